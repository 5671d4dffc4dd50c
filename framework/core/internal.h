/* framework/core/internal.h - internal declarations shared by the core files. */
#ifndef KINLAB_CORE_INTERNAL_H
#define KINLAB_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <kinlab/kinlab.h>

#include "config.h"

struct kl_log {
  FILE *file;                  /* run-directory log (owned) or NULL          */
  kl_log_level console_level;  /* lowest level printed on stderr             */
  bool console;
  void (*before_console)(void *ctx); /* clears the progress line          */
  void *console_ctx;
  char console_tag[80];        /* "variant 'b': " on stderr in multi-variant runs */
};
kl_log *kl_log_new(FILE *file, kl_log_level console_level, bool console);
void kl_log_free(kl_log *log);

struct kl_instance {
  const kl_plugin_info *info;
  kl_params *params;      /* owned */
  void *state;
  bool owns_params;
  size_t n_children;      /* instances created for PLUGIN parameters (owned) */
  struct kl_instance **children;
};

/* Create an instance: nested PLUGIN parameters first (same dimensions), then
 * the plugin's create().  Takes ownership of params (also on failure). */
int kl_instance_create(const kl_plugin_info *info, kl_params *params, const kl_setup *base,
                       kl_instance **out, kl_error *err);

/* The rules of a plugin's kind (kinlab/kinds.h, "Host checks"): REQUIRED
 * operations and the parameters the framework reads by name.  KL_EPLUGIN with
 * a message naming origin (the module file; NULL: none), the plugin and the
 * rule.  instance.c; the loader calls it for every descriptor it loads. */
int kl_plugin_check_rules(const kl_plugin_info *info, const char *origin, kl_error *err);


/* SHA-256 (FIPS 180-4, sha256.c): plugin provenance and run integrity.
 * One call (kl_sha256, kl_sha256_hex, kl_sha256_file) or init / update... /
 * final; digests as 32 bytes or KL_SHA256_HEX_SIZE lower-case hex + NUL. */
typedef struct kl_sha256_ctx {
  uint32_t h[8];
  uint64_t length;          /* bytes hashed so far */
  unsigned char block[64];  /* pending partial block */
  size_t used;
} kl_sha256_ctx;
void kl_sha256_init(kl_sha256_ctx *s);
void kl_sha256_update(kl_sha256_ctx *s, const void *data, size_t n);
void kl_sha256_final(kl_sha256_ctx *s, unsigned char out[32]);
void kl_sha256_final_hex(kl_sha256_ctx *s, char hex[KL_SHA256_HEX_SIZE]);
void kl_sha256_to_hex(const unsigned char digest[32], char hex[KL_SHA256_HEX_SIZE]);
void kl_sha256(const void *data, size_t n, unsigned char out[32]);
void kl_sha256_hex(const void *data, size_t n, char hex[KL_SHA256_HEX_SIZE]);
int kl_sha256_file(const char *path, char hex[KL_SHA256_HEX_SIZE], kl_error *err);

/* error.c: KL_ENOMEM "out of memory" (a message that can say no more). */
int kl_error_nomem(kl_error *err);

/* text.c: helpers for messages and listings. */
const char *kl_article(const char *word); /* "an" before a vowel, else "a" */
int kl_cmp_cstr(const void *a, const void *b); /* qsort of char * by strcmp */
/* Levenshtein-closest candidate within distance max(2, len/3), or NULL. */
const char *kl_did_you_mean(const char *word, const char *const *candidates, size_t n);
/* Shortest "%.Ng" that reads back as exactly x (at most %.17g); returns buf. */
const char *kl_fmt_real(double x, char *buf, size_t size);

/* clock.c: wall-clock seconds (CLOCK_MONOTONIC) for wall_s and benchmarks. */
double kl_wall_now(void);
/* CPU seconds (user + system, every thread) this process has used so far
 * (getrusage RUSAGE_SELF; a forked variant counts its own only); NaN when
 * getrusage fails.  A difference of two is the CPU time in between. */
double kl_cpu_now(void);

/* json_write.c: JSON text (RFC 8259) for summary.json, schemas, provenance. */
void kl_json_string(FILE *f, const char *s);  /* a string literal (quotes, escapes) */
void kl_json_number(FILE *f, double x);       /* %.17g; null when not finite */
void kl_json_number_short(FILE *f, double x); /* shortest exact text; null when not finite */

/* csv_write.c: CSV (RFC 4180) for timeseries.csv, comparison.csv, bench --csv. */
void kl_csv_field(FILE *f, const char *s); /* quoted when it has , " CR or LF; "" inside */

/* files.c: write a file atomically: data goes to PATH.tmp.PID, fsync'ed, renamed. */
typedef struct kl_atomic_file {
  FILE *fp;
  char *path, *tmp_path;
} kl_atomic_file;
int kl_atomic_open(kl_atomic_file *af, const char *path, kl_error *err);
int kl_atomic_commit(kl_atomic_file *af, kl_error *err); /* close + rename */
void kl_atomic_abort(kl_atomic_file *af);                /* close + unlink */
int kl_mkdir_p(const char *path, kl_error *err);
char *kl_tmp_path(const char *path); /* malloc'ed "PATH.tmp.PID", or NULL */
bool kl_file_exists(const char *path);
/* OpenMP threads for this process (no-op without OpenMP). */
void kl_set_threads(int threads);
/* snprintf for paths: false (and an empty string) when the result would not fit. */
bool kl_pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copy a file (used to continue snapshots after a restart). */
int kl_copy_file(const char *from, const char *to, kl_error *err);


/* HDF5 files: snapshots (a group per output time) and checkpoints. */
typedef struct kl_h5 kl_h5;
int kl_h5_create(const char *path, kl_h5 **out, kl_error *err);  /* atomic: tmp + rename */
int kl_h5_reopen_copy(const char *existing, const char *path, kl_h5 **out, kl_error *err);
int kl_h5_commit(kl_h5 *h, kl_error *err);  /* close + rename; frees h */
void kl_h5_abort(kl_h5 *h);                 /* close + unlink; frees h */
/* Open the snapshot group for an output time (index k, time t). */
int kl_h5_begin_snapshot(kl_h5 *h, size_t k, double t, kl_snapshot **snap, kl_error *err);
int kl_h5_end_snapshot(kl_snapshot *snap, kl_error *err);
/* The datasets of a snapshot group, one definition for the writer
 * (run/observe.c) and the reader (compare's read.c; python/kinlab reads the
 * same names, docs/python.md). */
#define KL_SNAP_VELOCITIES "velocities" /* particles: dim_v x N */
#define KL_SNAP_POSITIONS "positions"   /* particles: dim_x x N */
#define KL_SNAP_WEIGHTS "weights"       /* particles: N */
#define KL_SNAP_BLOB_VARIANCE "blob_variance" /* attribute of velocities: the mollifier's
                                                * width (variance per component), when
                                                * it declares one */
#define KL_SNAP_GRID "f"                /* grid: nx x nv0 [x nv1 [x nv2]], attributes: */
#define KL_SNAP_GRID_X_LO "x_lo"        /* cell k of an axis covers [lo + k d, lo + (k+1) d] */
#define KL_SNAP_GRID_DX "dx"
#define KL_SNAP_GRID_V_LO "v_lo"
#define KL_SNAP_GRID_DV "dv"
/* A vector attribute on a dataset of the open snapshot (grid coordinates). */
int kl_snapshot_set_attr(kl_snapshot *snap, const char *dataset, const char *name, size_t n,
                         const double *values, kl_error *err);
/* Plain datasets / attributes at the file root (checkpoints). */
int kl_h5_write_root(kl_h5 *h, const char *name, size_t n, const double *data, kl_error *err);
int kl_h5_read_file(const char *path, const char *name, double *data, size_t n, kl_error *err);
int kl_h5_dataset_size(const char *path, const char *name, size_t *n, kl_error *err);
/* A text as a fixed-length string dataset; read back into a malloc'ed string. */
int kl_h5_write_root_string(kl_h5 *h, const char *name, const char *text, kl_error *err);
int kl_h5_read_file_string(const char *path, const char *name, char **text, kl_error *err);
/* A text attribute of the file root (snapshots.h5's run identity); reading an
 * absent attribute gives *text = NULL and KL_OK. */
int kl_h5_set_root_attr_string(kl_h5 *h, const char *name, const char *text, kl_error *err);
int kl_h5_read_root_attr_string(const char *path, const char *name, char **text, kl_error *err);
#define KL_SNAP_CONFIG_SHA256 "config_sha256" /* root attribute of snapshots.h5: the run's
                                               * configuration digest (the checkpoint's) */
/* Whether a group or dataset `name` exists in the file at path. */
int kl_h5_has_object(const char *path, const char *name, bool *has, kl_error *err);

/* Strict JSON (RFC 8259), json_read.c: reads back what json_write.c writes
 * (summary.json).  kl_json_parse refuses syntax errors, bad escapes, duplicate
 * member names, numbers beyond a double, NUL bytes, nesting deeper than
 * KL_JSON_MAX_DEPTH and anything after the value, with KL_EINVAL and
 * "FILE:LINE:COL: what was expected, found ...". */
#define KL_JSON_MAX_DEPTH 32
typedef enum kl_json_type {
  KL_JSON_NULL, KL_JSON_BOOL, KL_JSON_NUMBER, KL_JSON_STRING, KL_JSON_ARRAY, KL_JSON_OBJECT
} kl_json_type;
typedef struct kl_json {
  kl_json_type type;
  bool boolean;
  double number;         /* finite */
  char *string;          /* UTF-8, no NUL inside */
  size_t n;              /* ARRAY / OBJECT: items */
  char **keys;           /* OBJECT: member names */
  struct kl_json *items;
  unsigned line, col;    /* 1-based position of the value (columns in bytes) */
} kl_json;
int kl_json_parse(const char *text, size_t len, const char *file, kl_json **out, kl_error *err);
/* The file at path, at most max bytes (KL_EIO unreadable, KL_EINVAL larger or malformed). */
int kl_json_parse_file(const char *path, size_t max, kl_json **out, kl_error *err);
const kl_json *kl_json_get(const kl_json *object, const char *key); /* NULL if absent */
void kl_json_free(kl_json *v);
/* The whole of a regular file plus a NUL (*len excludes it): KL_EIO when it
 * cannot be read, KL_EINVAL when it is larger than max. */
int kl_read_text_file(const char *path, size_t max, char **text, size_t *len, kl_error *err);
/* Text files a run writes (summary.json, run.log) are far smaller than this. */
#define KL_RUN_TEXT_MAX (16u << 20)

/* The columns every timeseries.csv starts with, in this order (run/observe.c
 * writes them, compare reads and checks them). */
enum {
  KL_COL_T, KL_COL_STEP, KL_COL_DT, KL_COL_ACCEPTED, KL_COL_REJECTED, KL_COL_RHS_EVALS,
  KL_COL_WALL_S, KL_RUN_N_BASE_COLUMNS
};
extern const char *const kl_run_base_columns[KL_RUN_N_BASE_COLUMNS];

/* summary.json (run/summary.c writes and reads it: the member names live
 * there).  kl_summary_read checks JSON syntax, the members' types, a known
 * status and t_start <= t <= t_final; every error names the file (and line
 * and column).  Numbers absent or null are NaN. */
typedef struct kl_summary {
  char *status, *message, *variant;     /* variant: "" when absent */
  char *config_file_sha256;             /* of config.resolved.yaml; "" when absent */
  double steps, rejected, rhs_evals, wall_s, cpu_s, state_size; /* cpu_s: NaN when absent */
  double outputs, t;                    /* checked against timeseries.csv by compare */
  size_t n_invariants;                  /* "invariants": model invariant columns */
  char **invariants;
  size_t n_final;                       /* "final": the last row, NaN for null */
  char **final_names;
  double *final_values;
} kl_summary;
int kl_summary_read(const char *path, kl_summary *s, kl_error *err);
void kl_summary_free(kl_summary *s);
bool kl_summary_completed(const kl_summary *s); /* status "completed" */

#endif
