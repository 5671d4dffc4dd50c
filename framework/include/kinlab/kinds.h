/* kinlab/kinds.h - operations tables of the six plugin kinds and their wrappers.
 *
 * Every table starts with struct_size (sizeof the table the plugin was built
 * with) so new OPTIONAL operations can be appended: the host treats an
 * operation beyond struct_size as NULL.
 */
#ifndef KINLAB_KINDS_H
#define KINLAB_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kinlab/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Mollifier: a radial blob G^eps(z) = eps^-d G(z/eps) with integral 1.     */
/* ------------------------------------------------------------------------ */
typedef struct kl_mollifier_ops {
  uint32_t struct_size;
  /* REQUIRED.  For n squared distances r2[i] = |z_i|^2 fill value[i] = G^eps(z_i)
   * and grad_factor[i] = g_i such that grad G^eps(z_i) = g_i z_i.  Either output
   * may be NULL.  eps is the plugin's own scaling (documented per plugin). */
  void (*profile)(void *state, unsigned d, double eps, size_t n, const double *r2,
                  double *value, double *grad_factor);
  /* REQUIRED.  A radius R with  int_{|z|>R} G^eps  <=  rtol  (and likewise for
   * |grad G^eps|): sums may be truncated at R with relative error rtol. */
  double (*cutoff)(void *state, unsigned d, double eps, double rtol);
  /* OPTIONAL (ABI 1.1).  Only for a separable mollifier, G^eps(z) = prod_a g(z_a)
   * exactly for every z in dimension d: fill g[i] = g(x[i]) and dg[i] = g'(x[i])
   * for n one-dimensional points x (either output may be NULL).  Models may
   * then build G^eps and grad G^eps from 1-D tables (landau_particles does:
   * no exp in its inner loops).  NULL: not separable (the exponential blob). */
  void (*separable)(void *state, unsigned d, double eps, size_t n, const double *x, double *g,
                    double *dg);
} kl_mollifier_ops;

void kl_mollifier_profile(const kl_instance *m, unsigned d, double eps, size_t n,
                          const double *r2, double *value, double *grad_factor);
double kl_mollifier_cutoff(const kl_instance *m, unsigned d, double eps, double rtol);
/* Whether m provides the separable factor, and the factor itself (m must provide it). */
bool kl_mollifier_is_separable(const kl_instance *m);
void kl_mollifier_factor(const kl_instance *m, unsigned d, double eps, size_t n, const double *x,
                         double *g, double *dg);
/* Convenience: G^eps at one point z of dimension d, and its gradient (may be NULL). */
double kl_mollifier_eval(const kl_instance *m, unsigned d, double eps, const double *z,
                         double *grad);

/* ------------------------------------------------------------------------ */
/* Collision kernel: A(z) = phi(|z|) (|z|^2 I - z (x) z).                   */
/* ------------------------------------------------------------------------ */
typedef struct kl_kernel_ops {
  uint32_t struct_size;
  /* REQUIRED.  phi[i] = phi(sqrt(r2[i])) for n squared distances; phi = 0 where
   * r2 = 0 (the pair term vanishes), never NaN. */
  void (*weight)(void *state, size_t n, const double *r2, double *phi);
  /* REQUIRED.  The exponent gamma of the power law (for reports and fast paths). */
  double (*gamma)(void *state);
  /* OPTIONAL.  C when phi(r) = C r^gamma exactly, so models may use a
   * specialised loop; NULL (or a NaN return): not a pure power law. */
  double (*power_law_coefficient)(void *state);
} kl_kernel_ops;

void kl_kernel_weight(const kl_instance *k, size_t n, const double *r2, double *phi);
double kl_kernel_gamma(const kl_instance *k);
/* NaN when the kernel is not a pure power law. */
double kl_kernel_power_law_coefficient(const kl_instance *k);
/* out = A(z) x in dimension d (reference implementation, for tests/diagnostics). */
void kl_kernel_apply(const kl_instance *k, unsigned d, const double *z, const double *x,
                     double *out);

/* ------------------------------------------------------------------------ */
/* Initial data: f0(x, v), optionally an exact solution f(t, x, v).          */
/* ------------------------------------------------------------------------ */
typedef struct kl_initial_ops {
  uint32_t struct_size;
  /* REQUIRED.  f0 at (x, v); x is NULL for spatially homogeneous data
   * (setup->dim_x == 0).  Must be finite and >= 0. */
  double (*density)(void *state, const double *x, const double *v);
  /* OPTIONAL.  Exact solution at time t (absolute time, t >= start_time).
   * Returns KL_OK and sets *f, or KL_ENOTSUP when none is known for this t or
   * these model parameters.  NULL: no exact solution. */
  int (*exact)(void *state, double t, const double *x, const double *v, double *f);
  /* OPTIONAL.  The time at which f0 is given (BKW 3-D starts at t0 > 0); NULL: 0. */
  double (*start_time)(void *state);
  /* OPTIONAL.  A box containing the support of f0 (or where it exceeds a
   * negligible fraction of its mass): lo[dim], hi[dim] for x (if dim_x>0) then v.
   * NULL: unknown (models then need an explicit box). */
  int (*support)(void *state, double *x_lo, double *x_hi, double *v_lo, double *v_hi);
} kl_initial_ops;

double kl_initial_density(const kl_instance *init, const double *x, const double *v);
bool kl_initial_has_exact(const kl_instance *init);
int kl_initial_exact(const kl_instance *init, double t, const double *x, const double *v,
                     double *f);
double kl_initial_start_time(const kl_instance *init);
int kl_initial_support(const kl_instance *init, double *x_lo, double *x_hi, double *v_lo,
                       double *v_hi);

/* ------------------------------------------------------------------------ */
/* Views of a model's state, for diagnostics and snapshots.                  */
/* ------------------------------------------------------------------------ */
typedef enum kl_view_kind {
  KL_VIEW_PARTICLES = 1u << 0, /* weighted particles: velocities (and positions) */
  KL_VIEW_GRID = 1u << 1       /* f on a phase-space grid                        */
} kl_view_kind;

typedef struct kl_particle_view {
  size_t n;                /* number of particles                                  */
  const double *v[3];      /* v[k][i]: velocity component k of particle i (SoA)    */
  const double *x[3];      /* positions, NULL for homogeneous models               */
  const double *w;         /* weights (mass of each particle), sum = total mass     */
  const kl_instance *mollifier; /* blob used for reconstructions, or NULL          */
  double eps;              /* its eps (the mollifier's own scaling)                */
} kl_particle_view;

typedef struct kl_grid_view {
  size_t nx;               /* cells in x (1 for homogeneous)                        */
  size_t nv[3];            /* cells per velocity direction (1 beyond dim_v)          */
  double x_lo, dx;         /* cell i covers [x_lo + i dx, x_lo + (i+1) dx]           */
  double v_lo[3], dv[3];
  const double *f;         /* cell averages, index ((ix*nv[0] + iv0)*nv[1] + iv1)*nv[2] + iv2 */
} kl_grid_view;

typedef struct kl_view {
  kl_view_kind kind;
  unsigned dim_v, dim_x;
  kl_particle_view particles; /* when kind == KL_VIEW_PARTICLES */
  kl_grid_view grid;          /* when kind == KL_VIEW_GRID      */
} kl_view;

/* ------------------------------------------------------------------------ */
/* Model: the state vector y, its right-hand side and/or split parts.        */
/* ------------------------------------------------------------------------ */
typedef enum kl_split_scheme { KL_SPLIT_LIE = 1, KL_SPLIT_STRANG = 2 } kl_split_scheme;

/* part_step returns this to ask the framework to integrate part k with the
 * experiment's integrator over part_rhs instead. */
#define KL_USE_INTEGRATOR 100

typedef struct kl_model_ops {
  uint32_t struct_size;
  /* REQUIRED.  Length of the state vector y. */
  size_t (*size)(void *state);
  /* REQUIRED.  Fill y with the initial state at time t0 (already set to the
   * initial plugin's start time; the model may change it). */
  int (*initial)(void *state, double *t0, double *y, kl_error *err);
  /* OPTIONAL (REQUIRED when n_parts is NULL).  dydt = rhs(t, y). */
  int (*rhs)(void *state, double t, const double *y, double *dydt, kl_error *err);
  /* OPTIONAL.  Number of split parts (transport, alignment, ...); NULL: 0, unsplit. */
  unsigned (*n_parts)(void *state);
  /* OPTIONAL.  Lie or Strang composition of the parts; NULL: Strang. */
  kl_split_scheme (*split_scheme)(void *state);
  /* OPTIONAL.  Advance part k over [t, t+dt] in place (exact or the model's own
   * scheme), or return KL_USE_INTEGRATOR. */
  int (*part_step)(void *state, unsigned k, double t, double dt, double *y, kl_error *err);
  /* OPTIONAL.  Right-hand side of part k (used with KL_USE_INTEGRATOR). */
  int (*part_rhs)(void *state, unsigned k, double t, const double *y, double *dydt,
                  kl_error *err);
  /* REQUIRED.  Describe y for diagnostics (pointers into y or into the state). */
  int (*view)(void *state, const double *y, kl_view *view, kl_error *err);
  /* OPTIONAL.  Names of the quantities the model itself reports (mass,
   * momentum_x, energy, ...); NULL: none. */
  size_t (*invariant_names)(void *state, const char *const **names);
  /* OPTIONAL.  Values of those quantities at (t, y). */
  int (*invariants)(void *state, double t, const double *y, double *values, kl_error *err);
  /* OPTIONAL.  Refuse (KL_EINVAL with the reason) or accept a time step, e.g. a
   * CFL bound of a transport scheme.  NULL: every dt is accepted. */
  int (*check_dt)(void *state, double dt, kl_error *err);
} kl_model_ops;

size_t kl_model_size(const kl_instance *m);
int kl_model_initial(const kl_instance *m, double *t0, double *y, kl_error *err);
bool kl_model_has_rhs(const kl_instance *m);
int kl_model_rhs(const kl_instance *m, double t, const double *y, double *dydt, kl_error *err);
unsigned kl_model_n_parts(const kl_instance *m);
kl_split_scheme kl_model_split_scheme(const kl_instance *m);
int kl_model_part_step(const kl_instance *m, unsigned k, double t, double dt, double *y,
                       kl_error *err);
int kl_model_part_rhs(const kl_instance *m, unsigned k, double t, const double *y,
                      double *dydt, kl_error *err);
int kl_model_view(const kl_instance *m, const double *y, kl_view *view, kl_error *err);
size_t kl_model_invariant_names(const kl_instance *m, const char *const **names);
int kl_model_invariants(const kl_instance *m, double t, const double *y, double *values,
                        kl_error *err);
int kl_model_check_dt(const kl_instance *m, double dt, kl_error *err);

/* ------------------------------------------------------------------------ */
/* Integrator: advances an ODE system (gsl_odeiv2_system style).             */
/* ------------------------------------------------------------------------ */
typedef struct kl_system {
  int (*rhs)(void *ctx, double t, const double *y, double *dydt, kl_error *err);
  void *ctx;
  size_t n;
} kl_system;

/* Counters an integrator adds to on each step call. */
typedef struct kl_step_stats {
  uint64_t accepted;  /* steps taken                        */
  uint64_t rejected;  /* tries rejected by the error control */
  uint64_t rhs_evals; /* calls of sys->rhs                   */
} kl_step_stats;

enum { KL_INTEGRATOR_ADAPTIVE = 1u << 0 };

typedef struct kl_integrator_ops {
  uint32_t struct_size;
  unsigned flags;                 /* KL_INTEGRATOR_ADAPTIVE for error-controlled steppers */
  /* REQUIRED.  Order of accuracy (the lower order of an embedded pair is not it). */
  unsigned (*order)(void *state);
  /* REQUIRED.  One step from *t towards t_limit (> *t).
   * Fixed-step: takes h = min(*dt, t_limit - *t) and leaves *dt unchanged.
   * Adaptive: tries h = min(*dt, t_limit - *t), shrinks it on rejection (up to
   * its max-rejections parameter, then KL_ELIMIT), and on success sets *dt to
   * the proposed next step.  Either way, when the step reaches t_limit it must
   * set *t = t_limit exactly (outputs land on their times).  y is updated in
   * place; on failure y and *t are left unchanged. */
  int (*step)(void *state, const kl_system *sys, double *t, double *dt, double t_limit,
              double *y, kl_step_stats *stats, kl_error *err);
  /* OPTIONAL.  Forget history (after a restart or a split sub-step change). */
  void (*reset)(void *state);
} kl_integrator_ops;

unsigned kl_integrator_order(const kl_instance *i);
bool kl_integrator_is_adaptive(const kl_instance *i);
int kl_integrator_step(const kl_instance *i, const kl_system *sys, double *t, double *dt,
                       double t_limit, double *y, kl_step_stats *stats, kl_error *err);
void kl_integrator_reset(const kl_instance *i);

/* ------------------------------------------------------------------------ */
/* Diagnostic: observes the state at output times.                          */
/* ------------------------------------------------------------------------ */
typedef struct kl_observation {
  double t;                /* absolute time                       */
  uint64_t step;           /* steps taken so far                  */
  const double *y;         /* the model's state vector            */
  const kl_view *view;     /* the model's view of y               */
  kl_instance *model;
  kl_instance *initial;
} kl_observation;

/* Writes datasets of one snapshot (an HDF5 group per output time). */
typedef struct kl_snapshot kl_snapshot;
int kl_snapshot_write(kl_snapshot *snap, const char *name, unsigned rank, const size_t *dims,
                      const double *data, kl_error *err);

typedef struct kl_diagnostic_ops {
  uint32_t struct_size;
  unsigned accepts;        /* bit mask of kl_view_kind this diagnostic understands */
  /* REQUIRED.  Column names it adds to timeseries.csv (may be 0). */
  size_t (*columns)(void *state, const char *const **names);
  /* OPTIONAL (REQUIRED when columns > 0).  values[] in the order of the names. */
  int (*observe)(void *state, const kl_observation *obs, double *values, kl_error *err);
  /* OPTIONAL.  Write datasets into this output time's snapshot group. */
  int (*snapshot)(void *state, const kl_observation *obs, kl_snapshot *snap, kl_error *err);
} kl_diagnostic_ops;

unsigned kl_diagnostic_accepts(const kl_instance *d);
size_t kl_diagnostic_columns(const kl_instance *d, const char *const **names);
int kl_diagnostic_observe(const kl_instance *d, const kl_observation *obs, double *values,
                          kl_error *err);
bool kl_diagnostic_has_snapshot(const kl_instance *d);
int kl_diagnostic_snapshot(const kl_instance *d, const kl_observation *obs, kl_snapshot *snap,
                           kl_error *err);

#ifdef __cplusplus
}
#endif
#endif /* KINLAB_KINDS_H */
