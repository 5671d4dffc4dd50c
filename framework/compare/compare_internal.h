/* framework/compare/compare_internal.h - what the stages of `kinlab compare`
 * share: the data model of a comparison and the entry point of each stage.
 *
 *   read.c     the run directory: its variants and, per variant,
 *              config.resolved.yaml, summary.json (through run/summary.c's
 *              reader), snapshots.h5 and timeseries.csv, all checked
 *   analyse.c  varying keys, resolution keys (from the parameter tables'
 *              KL_PARAM_STEP_SIZE / KL_PARAM_COUNT flags), observed orders,
 *              display order
 *   write.c    comparison.csv and comparison.md (atomically)
 *   compare.c  the driver (kl_compare_run_dir*) and the helpers above
 *
 * The boundary: the compare stages use only internal.h's readers (YAML, JSON,
 * summary, base columns) and the public registry; nothing in the core calls
 * into them but through kl_compare_run_dir* (host.h).
 */
#ifndef KINLAB_COMPARE_INTERNAL_H
#define KINLAB_COMPARE_INTERNAL_H

#include <sys/types.h>

#include "internal.h"

/* How a resolution key's value gives the size s the error falls with: the
 * KL_PARAM_STEP_SIZE / KL_PARAM_COUNT flag of its parameter, or --by. */
enum { RULE_NONE = 0, RULE_STEP = 1 /* s = value */, RULE_COUNT = 2 /* s = 1 / value */ };

typedef struct strvec {
  size_t n, cap;
  char **s;
} strvec;

typedef struct variant {
  char *name;    /* sub-directory name, or the run directory's base name */
  char *dir;
  /* config.resolved.yaml, flattened */
  strvec keys, vals;
  /* summary.json (kl_summary_read); status and message also without it */
  bool have_summary;
  kl_summary summary;
  char *status, *message;
  /* snapshots.h5 */
  double particles, cells;
  /* timeseries.csv */
  strvec cols;
  double *first, *last, *max_drift;
  size_t rows;
  bool ok; /* completed */
  double ref_sigma; /* the analysis Gaussian's width against its reference (first axis) */
} variant;

typedef struct res_key {
  char *key;
  int rule;
  size_t *group;   /* group id per variant (SIZE_MAX: not part of it) */
  double *size;    /* s per variant */
  size_t n_groups;
  size_t n_err;    /* errors the order and fit arrays have room for */
  double **order;  /* [err][variant]: order from the previous member of its group */
  double **fit;    /* [err][variant]: least-squares slope of its group */
} res_key;

/* How the reference run of the reference errors was chosen (reference.c). */
enum { REF_NONE = 0, REF_FINEST, REF_NAMED, REF_PATH };

/* One line of reference_errors.csv: a variant's errors at one common time. */
typedef struct ref_row {
  size_t variant;
  double t;
  double *vals; /* as many as cmp.ref_cols */
} ref_row;

typedef struct cmp {
  const char *run_dir;
  const kl_registry *reg; /* plugins whose parameter tables name the resolution keys */
  variant *v;
  size_t nv;
  strvec varying;   /* varying configuration keys */
  strvec errors;    /* *_error columns */
  strvec quants;    /* invariant and diagnostic columns: reported as drifts */
  strvec exacts;    /* *_exact columns (an exact solution's value): reported as
                     * their value at the final time, not as drifts */
  res_key *rk;
  size_t n_rk;
  strvec unresolved; /* "resolution of KEY unknown: why; use --by ...", one per key */
  strvec absent;     /* variants of experiment.yaml without a directory */
  char *absent_unchecked; /* why experiment.yaml's variants were not checked, or NULL */
  size_t *order;    /* display order of the variants */
  /* errors against a reference run (reference.c) */
  int ref_mode;          /* REF_* */
  size_t *ref_of;        /* per variant: index of its reference variant, SIZE_MAX: none */
  char *ref_dir;         /* REF_PATH: the other run directory */
  double analysis_width; /* fixed Gaussian width (> 0), else derived from the reference */
  bool ref_grid;         /* grid model: the grid columns */
  strvec ref_cols;       /* ref_*_error columns (also in errors) */
  ref_row *ref_rows;
  size_t n_ref_rows, cap_ref_rows;
} cmp;

/* compare.c: helpers of all stages */
int kl_cmp_sv_push(strvec *v, const char *s);
ssize_t kl_cmp_sv_find(const strvec *v, const char *s);
void kl_cmp_sv_free(strvec *v);
/* Numeric value of a configuration scalar ("0.01", "1e-3", "40"), else NaN. */
double kl_cmp_numeric(const char *s);
/* A flattened configuration value of v (NULL: v has no such key). */
const char *kl_cmp_config_value(const variant *v, const char *key);
/* Column col of one of v's rows (first, last, max_drift): NaN when absent. */
double kl_cmp_column_value(const variant *v, const double *arr, const char *col);
/* Equal configuration values (numbers compared as numbers: "0.1" = "1e-1"). */
bool kl_cmp_same_value(const char *a, const char *b);
/* Whether key j is tied to key k over the variants (a one-to-one function of it). */
bool kl_cmp_tied(const cmp *c, const char *k, const char *j);

/* read.c */
int kl_cmp_list_variants(cmp *c, kl_error *err);
int kl_cmp_read_variant(variant *v, kl_error *err);

/* analyse.c */
int kl_cmp_find_varying(cmp *c, kl_error *err);
int kl_cmp_find_resolution_keys(cmp *c, const char *by_key, int by_rule, bool *bad_by,
                                kl_error *err);
int kl_cmp_display_order(cmp *c, kl_error *err);
/* The variants of group g of rk (members: room for nv), coarse to fine; their number. */
size_t kl_cmp_group_members(const res_key *rk, size_t nv, size_t g, size_t *members);

/* Free rk's groups, sizes, orders and fits (not its key). */
void kl_cmp_res_key_clear_orders(res_key *rk);
/* Orders again, after reference.c added its error columns. */
int kl_cmp_recompute_orders(cmp *c, kl_error *err);

/* reference.c */
/* Choose each variant's reference (spec: "finest", a variant name, a run
 * directory, or NULL for the default); *bad_usage for a name that is none. */
int kl_cmp_choose_reference(cmp *c, const char *spec, bool *bad_usage, kl_error *err);
/* Choose the reference (spec, else experiment.yaml's compare.reference, else
 * the default), compute the errors at every common time, add the ref_*_error
 * columns and recompute the orders.  width > 0: the analysis Gaussian's width. */
int kl_cmp_reference_errors(cmp *c, const char *spec, double width, bool *bad_usage,
                            kl_error *err);
/* Moments of n particles (velocities v: d x n, weights w or NULL for 1):
 * mass, sum w v (d), sum w v_a v_b (d^2), sum w v_a v_b v_c (d^3), sum w |v|^4. */
size_t kl_cmp_moment_count(unsigned d);
void kl_cmp_particle_moments(const double *v, const double *w, size_t n, unsigned d,
                             double *out);
/* |dM|, |d mean velocity|_2, Frobenius |dM2|, |dM3|, |d m4| between two moment vectors. */
void kl_cmp_moment_errors(const double *a, const double *b, unsigned d, double out[5]);
/* Conservative remap (cell-overlap average) of f on a rank-axis grid onto another. */
int kl_cmp_remap(unsigned rank, const size_t *src_dims, const double *src_lo,
                 const double *src_d, const double *f, const size_t *dst_dims,
                 const double *dst_lo, const double *dst_d, double *out);
/* L1, L2, Linf of the difference of two Gaussian reconstructions (width sigma
 * per axis) of particle sets a and b (D x n coordinates) on a common grid. */
int kl_cmp_density_errors(const double *za, const double *wa, size_t na, const double *zb,
                          const double *wb, size_t nb, unsigned D, const double *sigma,
                          double out[3]);

/* write.c */
int kl_cmp_write_outputs(const cmp *c, kl_error *err);

#endif
