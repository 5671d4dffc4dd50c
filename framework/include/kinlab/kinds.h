/* kinlab/kinds.h - operations tables of the seven plugin kinds and their wrappers.
 *
 * Every table starts with struct_size (sizeof the table the plugin was built
 * with) so new OPTIONAL operations can be appended: the host treats an
 * operation beyond struct_size as NULL.
 *
 * Each operation is marked
 *   REQUIRED   the loader refuses a plugin without it (at load, naming the file);
 *   OPTIONAL   NULL (or absent from an older, shorter table) gets the documented default;
 * and with its threading class (the words of LV2's lv2.h):
 *   [reentrant]    may be called concurrently from several threads with the same
 *                  state (the host and models call it inside OpenMP parallel
 *                  regions); must not modify state or any global, and must not
 *                  log.  Scratch memory is the caller's (the output arrays).
 *   [main thread]  called from one thread at a time, never concurrently with any
 *                  other operation of the same instance; may modify state.
 * create() and destroy() (plugin.h) are [main thread].
 *
 * Rules beyond the operations (parameters a kind must declare, ...) are listed
 * with each kind under "Host checks"; the loader enforces them when it loads
 * a module (framework/core/plugin.c, check_kind_rules) and again when it
 * creates an instance.  docs/writing-plugins.md explains each kind.
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
/* Mollifier: a radial blob G^eps(z) with integral 1, for every eps > 0.     */
/* eps is the plugin's own scaling (a variance, a length, ...): `width`      */
/* translates it into a common unit.                                         */
/* Host checks: profile and cutoff present.                                  */
/* ------------------------------------------------------------------------ */
typedef struct kl_mollifier_ops {
  uint32_t struct_size;
  /* REQUIRED [reentrant].  For n squared distances r2[i] = |z_i|^2 fill
   * value[i] = G^eps(z_i) and grad_factor[i] = g_i such that
   * grad G^eps(z_i) = g_i z_i.  Either output may be NULL.  eps is the
   * plugin's own scaling (documented per plugin). */
  void (*profile)(void *state, unsigned d, double eps, size_t n, const double *r2,
                  double *value, double *grad_factor);
  /* REQUIRED [reentrant].  A radius R with  int_{|z|>R} G^eps  <=  rtol  (and
   * likewise for |grad G^eps|): sums may be truncated at R with relative error
   * rtol.  An upper bound, not a quantile: cutoff(..., 0.5) is no half-mass
   * radius (for the Gaussian in 2-D it is 31 % larger). */
  double (*cutoff)(void *state, unsigned d, double eps, double rtol);
  /* OPTIONAL (ABI 1.1) [reentrant].  Only for a separable mollifier, G^eps(z) = prod_a g(z_a)
   * exactly for every z in dimension d: fill g[i] = g(x[i]) and dg[i] = g'(x[i])
   * for n one-dimensional points x (either output may be NULL).  Models may
   * then build G^eps and grad G^eps from 1-D tables (landau_particles does:
   * no exp in its inner loops).  NULL: not separable (the exponential blob). */
  void (*separable)(void *state, unsigned d, double eps, size_t n, const double *x, double *g,
                    double *dg);
  /* OPTIONAL (ABI 1.2) [reentrant].  The variance per component of the blob in
   * dimension d,  (1/d) int |z|^2 G^eps(z) dz,  exactly (a closed form, not a
   * quadrature of the profile).  It puts every plugin's eps on one scale:
   * models use it for eps rules written for a Gaussian's variance, plots for
   * the blob's size.  Gaussian (variance scaling): eps.  NULL: unknown (models
   * then treat the scaling of eps as unknown and say so). */
  double (*width)(void *state, unsigned d, double eps);
} kl_mollifier_ops;

void kl_mollifier_profile(const kl_instance *m, unsigned d, double eps, size_t n,
                          const double *r2, double *value, double *grad_factor);
double kl_mollifier_cutoff(const kl_instance *m, unsigned d, double eps, double rtol);
/* Whether m provides the separable factor, and the factor itself (m must provide it). */
bool kl_mollifier_is_separable(const kl_instance *m);
void kl_mollifier_factor(const kl_instance *m, unsigned d, double eps, size_t n, const double *x,
                         double *g, double *dg);
/* The variance per component of G^eps in dimension d; NaN when m has no width. */
bool kl_mollifier_has_width(const kl_instance *m);
double kl_mollifier_width(const kl_instance *m, unsigned d, double eps);
/* The radius holding half the blob's mass, int_{|z|<R} G^eps = 1/2, computed by
 * the host from the REQUIRED profile (radial quadrature, relative accuracy
 * 1e-9, tested against closed forms): defined for every mollifier.  NaN for d
 * outside 1..3, or when the profile does not hold half its mass within
 * cutoff(eps, 1/2) (a plugin bug). */
double kl_mollifier_half_mass_radius(const kl_instance *m, unsigned d, double eps);
/* Convenience: G^eps at one point z of dimension d, and its gradient (may be NULL). */
double kl_mollifier_eval(const kl_instance *m, unsigned d, double eps, const double *z,
                         double *grad);

/* ------------------------------------------------------------------------ */
/* Collision kernel: A(z) = phi(|z|) (|z|^2 I - z (x) z).                   */
/* Host checks: weight present.                                              */
/* ------------------------------------------------------------------------ */
typedef struct kl_kernel_ops {
  uint32_t struct_size;
  /* REQUIRED [reentrant].  phi[i] = phi(sqrt(r2[i])) for n squared distances;
   * phi = 0 where r2 = 0 (the pair term vanishes), never NaN.  Models call it
   * inside OpenMP regions (landau_particles' pair sum, per tile). */
  void (*weight)(void *state, size_t n, const double *r2, double *phi);
  /* DEPRECATED (the ABI 1.0-1.1 way; new kernels leave both NULL and give
   * power_law).  Kept in place so 1.0/1.1 tables keep their layout: when
   * power_law is absent or NULL, gamma() together with a
   * power_law_coefficient() that is not NULL and not NaN means phi(r) = C r^gamma.
   * Not REQUIRED since 1.2: a kernel that is not a power law has no exponent,
   * and models need nothing but weight() for it. */
  double (*gamma)(void *state);
  double (*power_law_coefficient)(void *state);
  /* OPTIONAL (ABI 1.2) [reentrant].  KL_OK with *C and *gamma when
   * phi(r) = C r^gamma exactly (models then use specialised loops, exact O(N)
   * sums for gamma = 0, 2, and report gamma); KL_ENOTSUP when this instance is
   * not a power law.  NULL: not a power law. */
  int (*power_law)(void *state, double *C, double *gamma);
} kl_kernel_ops;

void kl_kernel_weight(const kl_instance *k, size_t n, const double *r2, double *phi);
/* KL_OK with C and gamma when phi(r) = C r^gamma exactly, KL_ENOTSUP otherwise
 * (the 1.2 power_law op, or the deprecated pair of a 1.0/1.1 plugin).  Either
 * output pointer may be NULL. */
int kl_kernel_power_law(const kl_instance *k, double *C, double *gamma);
/* DEPRECATED (kept for plugins built against 1.1): gamma and C of
 * kl_kernel_power_law, NaN when the kernel is not a power law. */
double kl_kernel_gamma(const kl_instance *k);
double kl_kernel_power_law_coefficient(const kl_instance *k);
/* out = A(z) x in dimension d (reference implementation, for tests/diagnostics). */
void kl_kernel_apply(const kl_instance *k, unsigned d, const double *z, const double *x,
                     double *out);

/* ------------------------------------------------------------------------ */
/* Communication weight (ABI 1.3): the radial weight psi(r) >= 0 with which  */
/* Cucker-Smale agents at distance r (in units of the interaction range eps) */
/* align their velocities.  Host checks: weight and support present.         */
/* ------------------------------------------------------------------------ */
typedef struct kl_comm_weight_ops {
  uint32_t struct_size;
  /* REQUIRED [reentrant].  psi[i] = psi(sqrt(r2[i])) for n squared distances
   * r2[i] >= 0 (in units of eps): finite, >= 0, and 0 for r >= support().
   * Models call it for every interacting pair. */
  void (*weight)(void *state, size_t n, const double *r2, double *psi);
  /* REQUIRED [main thread].  A radius R with psi(r) = 0 for every r >= R (the
   * pair search stops there); INFINITY when psi has no bounded support (every
   * pair interacts: O(N^2) pair sums). */
  double (*support)(void *state);
  /* OPTIONAL [main thread].  The integral of psi(|z|) over z in R^dim (dim =
   * 1..3), in closed form; INFINITY when psi is not integrable there.  NULL:
   * the host integrates the profile (composite Simpson with 4000 intervals on
   * [0, support], exact to ~1e-14 for a smooth profile; NaN for an unbounded
   * support). */
  double (*integral)(void *state, unsigned dim);
} kl_comm_weight_ops;

void kl_comm_weight_eval(const kl_instance *w, size_t n, const double *r2, double *psi);
double kl_comm_weight_support(const kl_instance *w);
/* int_{R^dim} psi(|z|) dz: the plugin's closed form, else the host's quadrature
 * (see integral above); NaN for dim outside 1..3. */
double kl_comm_weight_integral(const kl_instance *w, unsigned dim);
/* The host's quadrature alone (what integral() is checked against); NaN for an
 * unbounded support or dim outside 1..3. */
double kl_comm_weight_quadrature(const kl_instance *w, unsigned dim);
/* Convenience: psi at one distance r (in units of eps). */
double kl_comm_weight_at(const kl_instance *w, double r);

/* ------------------------------------------------------------------------ */
/* Initial data: f0(x, v), optionally an exact solution f(t, x, v).          */
/* Host checks: density present.                                             */
/* ------------------------------------------------------------------------ */
typedef struct kl_initial_ops {
  uint32_t struct_size;
  /* REQUIRED [reentrant].  f0 at (x, v); x is NULL for spatially homogeneous
   * data (setup->dim_x == 0).  Must be finite and >= 0. */
  double (*density)(void *state, const double *x, const double *v);
  /* OPTIONAL [reentrant].  Exact solution at time t (absolute time, t >= start_time).
   * Returns KL_OK and sets *f, or KL_ENOTSUP when none is known for this t or
   * these model parameters.  NULL: no exact solution. */
  int (*exact)(void *state, double t, const double *x, const double *v, double *f);
  /* OPTIONAL [main thread].  The time at which f0 is given (BKW 3-D starts at t0 > 0); NULL: 0. */
  double (*start_time)(void *state);
  /* OPTIONAL [main thread].  A box containing the support of f0 (or where it exceeds a
   * negligible fraction of its mass): lo[dim], hi[dim] for x (if dim_x>0) then v.
   * NULL: unknown (models then need an explicit box). */
  int (*support)(void *state, double *x_lo, double *x_hi, double *v_lo, double *v_hi);
  /* OPTIONAL (ABI 1.2) [main thread].  The total mass of f0 (int f0 dv, or
   * int int f0 dx dv; per unit length of x for data uniform in x): KL_OK and
   * *mass, or KL_ENOTSUP.  NULL: unknown (models that need it ask the user). */
  int (*mass)(void *state, double *mass);
  /* OPTIONAL (ABI 1.2) [main thread].  Which equation exact() solves: for
   * data that are an exact solution only for particular values of the
   * equation's parameters, KL_OK and *value = the value of the parameter
   * `name` that exact() assumes; KL_ENOTSUP for a parameter it does not
   * constrain.  Names in use (a model asks for those of its equation):
   *   "landau_gamma", "landau_C"  the kernel phi(r) = C r^gamma of the Landau
   *                               equation (bkw: gamma = 0, C = 1/16 in 2-D,
   *                               1/24 in 3-D).
   * NULL: exact(), if any, holds for every parameter value. */
  int (*exact_parameter)(void *state, const char *name, double *value);
} kl_initial_ops;

double kl_initial_density(const kl_instance *init, const double *x, const double *v);
bool kl_initial_has_exact(const kl_instance *init);
int kl_initial_exact(const kl_instance *init, double t, const double *x, const double *v,
                     double *f);
double kl_initial_start_time(const kl_instance *init);
int kl_initial_support(const kl_instance *init, double *x_lo, double *x_hi, double *v_lo,
                       double *v_hi);
/* KL_ENOTSUP when the plugin does not provide it (see the ops above). */
int kl_initial_mass(const kl_instance *init, double *mass);
int kl_initial_exact_parameter(const kl_instance *init, const char *name, double *value);

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

/* How a model keeps one of its invariants (kl_model_ops.conservation), and
 * so which bound of the run's drift check applies to it. */
typedef enum kl_conservation {
  KL_NOT_CONSERVED = 0,       /* no promise (entropy, f_min, a dissipated energy)      */
  KL_CONSERVED_ROUNDOFF = 1,  /* kept to round-off by the scheme: time.max_drift_roundoff */
  KL_CONSERVED_TRUNCATION = 2 /* conserved by the equation, kept up to the time
                                 integrator's error: time.max_drift_truncation          */
} kl_conservation;

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
  /* OPTIONAL (ABI 1.3).  How each of the invariant_names is kept, one
   * kl_conservation per name into classes (the host zeroes it first); it
   * may depend on the parameters (mass leaves through an outflow boundary).
   * The run stops (exit 4) when a declared invariant drifts beyond its
   * class's bound.  NULL: nothing declared, no check. */
  void (*conservation)(void *state, kl_conservation *classes);
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
/* classes[i] for invariant i (kl_model_invariant_names), all KL_NOT_CONSERVED
 * for a model without the operation. */
void kl_model_conservation(const kl_instance *m, kl_conservation *classes);

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
  /* OPTIONAL (REQUIRED when columns > 0).  values[] in the order of the names.
   * NaN means "no value at this output" (a rate before its second output) and is
   * written as nan; a value that cannot be computed because the state is broken
   * is an error (return KL_ENUMERIC with the reason), never a NaN. */
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
