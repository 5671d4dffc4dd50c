/* plugins/landau/landau_diagnostics.c - diagnostics of the Landau particle
 * method.
 *
 *   bkw_error  errors against the initial plugin's exact solution f(t, v):
 *              m4_exact   int |v|^4 f(t, v) dv (midpoint rule on [-moment_box,
 *                         moment_box]^d with moment_points per side: spectrally
 *                         accurate for the Gaussian-tailed BKW/Maxwellian solutions),
 *              m4_error   |sum_i w_i |v_i|^4 - m4_exact|   (particles alone),
 *              l1_error, l2_error, linf_error: relative errors of the blob
 *                         reconstruction f^eps(v) = sum_l w_l G^eps(v - v_l) on the
 *                         cell centres of a grid of `points` per side on [-box, box]^d:
 *                         sum|f^eps - f| / sum|f|, (sum (f^eps - f)^2 / sum f^2)^{1/2},
 *                         max|f^eps - f| / max|f|.
 *              G^eps is the model's mollifier with its eps (from the particle
 *              view), truncated at its cut-off radius for relative tolerance 1e-12.
 *              split: true adds the two parts of that error, in the same norms:
 *              l*_smoothing_error  G^eps * f - f, the regularization alone (what
 *                                  even exact particle paths would leave);
 *              l*_particle_error   f^eps - G^eps * f, the particles' part: the
 *                                  quadrature of G^eps * f by the particles and
 *                                  the error of their paths (the dynamic part).
 *              G^eps * f(v) is a lattice quadrature sum_j omega_j f(v - z_j)
 *              over z_j = delta j within the cut-off (tolerance 1e-10), omega_j
 *              = G^eps(z_j) delta^d normalised to sum 1; delta is halved from
 *              R/2 until the unnormalised sum of G^eps is 1 to 1e-10, which for
 *              a blob much narrower than f resolves the convolution as well.
 *   particles  snapshot of the particles: datasets v (d x N), w (N), t (1).
 *   second_moments
 *              P_ab = sum_i w_i v_ia v_ib (a <= b) at every output (any
 *              particle model: T_par(t), T_perp(t) of isotropization runs).
 *   second_moment_rate
 *              p_rate_t0_error: the relative (Frobenius) error of the model's
 *              dP/dt = sum_i w_i (v_i a_i^T + a_i v_i^T), a_i = dv_i/dt of its
 *              right-hand side at its initial state, against the exact rate at
 *              f0 (landau_rate.h).  Needs initial data that are a sum of
 *              Maxwellians (exact_parameter "mixture_*": bimaxwellian) and a
 *              model with a `kernel` parameter and a right-hand side
 *              (landau_particles, its default Maxwell kernel when absent):
 *              refused at creation otherwise.  The same value in every row: a
 *              property of the run's initial state (restart-proof: the state
 *              comes from the model's initial()).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#include "landau_rate.h"

/* =============================================================== bkw_error */
typedef struct bkw_error_state {
  unsigned d;
  long points, mpoints;
  double box, mbox;
  double *grid_f;   /* reconstruction on the grid */
  double *r2, *val; /* scratch */
  size_t scratch;
  bool split;        /* also the smoothing and particle parts */
  double *smooth_f;  /* G^eps * f on the grid (split) */
  double q_eps;      /* eps of the quadrature stencil below (NaN: none yet) */
  size_t q_count;    /* stencil points */
  double *q_z;       /* their offsets, d per point */
  double *q_omega;   /* their weights, sum 1 */
} bkw_error_state;

enum { BKW_COLUMNS = 5, BKW_SPLIT_COLUMNS = 11 };
static const char *const bkw_error_columns[BKW_SPLIT_COLUMNS] = {
    "m4_exact",           "m4_error",           "l1_error",          "l2_error",
    "linf_error",         "l1_smoothing_error", "l2_smoothing_error", "linf_smoothing_error",
    "l1_particle_error",  "l2_particle_error",  "linf_particle_error"};

static const kl_param_spec bkw_error_params[] = {
    {"points", KL_PARAM_INT, NULL, 2, 2048, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_OPTIONAL,
     NULL, "1", "reconstruction grid points per side (default 64 in 2-D, 32 in 3-D)"},
    {"box", KL_PARAM_REAL, "4", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity", "reconstruction grid on [-box, box]^d"},
    {"moment_points", KL_PARAM_INT, "100", 4, 4096, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "quadrature points per side for the exact fourth moment"},
    {"moment_box", KL_PARAM_REAL, "10", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity", "quadrature box [-moment_box, moment_box]^d for the exact fourth moment"},
    {"split", KL_PARAM_BOOL, "false", 0, 0, 0, NULL, NULL,
     "also report the reconstruction error's smoothing part (G^eps * f - f) and particle part "
     "(f^eps - G^eps * f) as l1/l2/linf_smoothing_error and l1/l2/linf_particle_error"},
    KL_PARAM_END};

static void bkw_error_destroy(void *state) {
  bkw_error_state *s = state;
  if (!s) return;
  free(s->grid_f);
  free(s->smooth_f);
  free(s->q_z);
  free(s->q_omega);
  free(s->r2);
  free(s->val);
  free(s);
}

static size_t ipow(size_t b, unsigned e) {
  size_t r = 1;
  while (e--) r *= b;
  return r;
}

static int bkw_error_create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  if (!setup->initial || !kl_initial_has_exact(setup->initial))
    return kl_error_set(err, KL_EINVAL,
                        "diagnostic bkw_error (%s): needs initial data with an exact solution "
                        "(bkw or maxwellian), found '%s'",
                        kl_params_path(p),
                        setup->initial ? kl_instance_name(setup->initial) : "none");
  if (setup->dim_v < 1 || setup->dim_v > 3 || setup->dim_x != 0)
    return kl_error_set(err, KL_EINVAL,
                        "diagnostic bkw_error (%s): homogeneous models with d = 1..3 only "
                        "(found d = %u, dim_x = %u)",
                        kl_params_path(p), setup->dim_v, setup->dim_x);
  bkw_error_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = setup->dim_v;
  s->points = kl_params_is_set(p, "points") ? kl_params_int(p, "points") : s->d == 3 ? 32 : 64;
  s->box = kl_params_real(p, "box");
  s->mpoints = kl_params_int(p, "moment_points");
  s->mbox = kl_params_real(p, "moment_box");
  s->split = kl_params_bool(p, "split");
  s->q_eps = NAN;
  const size_t grid_bytes = ipow((size_t)s->points, s->d) * sizeof *s->grid_f;
  s->grid_f = malloc(grid_bytes);
  if (s->grid_f && s->split) s->smooth_f = malloc(grid_bytes);
  if (!s->grid_f || (s->split && !s->smooth_f)) {
    long pts = s->points;
    unsigned d = s->d;
    bkw_error_destroy(s);
    return kl_params_error(err, KL_ENOMEM, p, "points",
                           "out of memory: a %ld^%u reconstruction grid needs %zu bytes; use "
                           "fewer points",
                           pts, d, grid_bytes);
  }
  *state = s;
  return KL_OK;
}

static size_t bkw_error_columns_fn(void *state, const char *const **names) {
  const bkw_error_state *s = state;
  *names = bkw_error_columns;
  return s->split ? BKW_SPLIT_COLUMNS : BKW_COLUMNS;
}

static double exact_m4(const bkw_error_state *s, const kl_observation *obs, int *rc) {
  const unsigned d = s->d;
  const size_t n = (size_t)s->mpoints, total = ipow(n, d);
  const double dv = 2 * s->mbox / (double)n, vol = pow(dv, (double)d);
  double sum = 0;
  for (size_t k = 0; k < total && !*rc; k++) {
    double v[3], r2 = 0, f;
    size_t r = k;
    for (unsigned a = d; a-- > 0;) {
      v[a] = -s->mbox + ((double)(r % n) + 0.5) * dv;
      r /= n;
      r2 += v[a] * v[a];
    }
    *rc = kl_initial_exact(obs->initial, obs->t, NULL, v, &f);
    sum += r2 * r2 * f;
  }
  return sum * vol;
}

/* Sums of |e|, e^2 and max |e| over the grid, and the relative norms from them. */
typedef struct norm_sums {
  double l1, l2, linf;
} norm_sums;

static void norm_add(norm_sums *n, double e) {
  e = fabs(e);
  n->l1 += e, n->l2 += e * e;
  if (e > n->linf) n->linf = e;
}

static void norm_relative(const norm_sums *n, double f1, double f2, double finf, double *out) {
  out[0] = f1 > 0 ? n->l1 / f1 : NAN;
  out[1] = f2 > 0 ? sqrt(n->l2 / f2) : NAN;
  out[2] = finf > 0 ? n->linf / finf : NAN;
}

/* The lattice stencil of G^eps * f for the view's mollifier and eps (see the
 * head of the file): built once per eps. */
enum { STENCIL_MAX_POINTS = 4000000 };
static const double STENCIL_RTOL = 1e-10;
/* The lattice must also resolve f, not only G^eps: at most this many grid
 * spacings of the diagnostic (a blob of eps = 1e300 met its mass check with a
 * spacing of 1e149 and G^eps * f came out as 0.12 f). */
static const double STENCIL_MAX_SPACING = 8;

static int smoothing_stencil(bkw_error_state *s, const kl_particle_view *pv, kl_error *err) {
  if (s->q_eps == pv->eps) return KL_OK;
  const unsigned d = s->d;
  const double R = kl_mollifier_cutoff(pv->mollifier, d, pv->eps, STENCIL_RTOL);
  if (!(R > 0) || !isfinite(R))
    return kl_error_set(err, KL_EINVAL,
                        "bkw_error split: the mollifier has no finite cut-off radius (eps = %g)",
                        pv->eps);
  const double dv = 2 * s->box / (double)s->points;
  for (double delta = R / 2;; delta /= 2) {
    const long half = (long)floor(R / delta);
    const size_t side = (size_t)(2 * half + 1), count = ipow(side, d);
    if (count > STENCIL_MAX_POINTS && delta > STENCIL_MAX_SPACING * dv)
      return kl_error_set(err, KL_EINVAL,
                          "bkw_error split: the mollifier (eps = %g, cut-off radius %g) is so "
                          "much wider than the grid spacing %g that the convolution G^eps * f "
                          "needs more than %d lattice points: expected a smaller eps, or "
                          "split: false",
                          pv->eps, R, dv, STENCIL_MAX_POINTS);
    if (count > STENCIL_MAX_POINTS)
      return kl_error_set(err, KL_EINVAL,
                          "bkw_error split: the mollifier (eps = %g) is not resolved by a "
                          "lattice of %d points within its cut-off; its profile is not "
                          "smooth enough for the convolution quadrature",
                          pv->eps, STENCIL_MAX_POINTS);
    double *z = malloc(count * d * sizeof *z), *omega = malloc(count * sizeof *omega),
           *r2s = malloc(count * sizeof *r2s);
    if (!z || !omega || !r2s) {
      free(z);
      free(omega);
      free(r2s);
      return kl_error_set(err, KL_ENOMEM, "out of memory (bkw_error split: %zu points)", count);
    }
    size_t m = 0;
    for (size_t k = 0; k < count; k++) {
      size_t r = k;
      double r2 = 0;
      for (unsigned a = d; a-- > 0;) {
        z[m * d + a] = delta * (double)((long)(r % side) - half);
        r /= side;
        r2 += z[m * d + a] * z[m * d + a];
      }
      if (r2 >= R * R) continue;
      r2s[m++] = r2;
    }
    kl_mollifier_profile(pv->mollifier, d, pv->eps, m, r2s, omega, NULL);
    free(r2s);
    double sum = 0;
    for (size_t q = 0; q < m; q++) sum += omega[q];
    sum *= pow(delta, (double)d);
    if (fabs(sum - 1) <= STENCIL_RTOL && delta <= STENCIL_MAX_SPACING * dv) {
      for (size_t q = 0; q < m; q++) omega[q] *= pow(delta, (double)d) / sum;
      free(s->q_z);
      free(s->q_omega);
      s->q_z = z, s->q_omega = omega, s->q_count = m, s->q_eps = pv->eps;
      return KL_OK;
    }
    free(z);
    free(omega);
  }
}

/* (G^eps * f)(t, v) by the stencil. */
static int smoothed_exact(const bkw_error_state *s, const kl_observation *obs, const double *v,
                          double *out) {
  const unsigned d = s->d;
  double sum = 0;
  for (size_t q = 0; q < s->q_count; q++) {
    double u[3], f;
    for (unsigned a = 0; a < d; a++) u[a] = v[a] - s->q_z[q * d + a];
    int rc = kl_initial_exact(obs->initial, obs->t, NULL, u, &f);
    if (rc) return rc;
    sum += s->q_omega[q] * f;
  }
  *out = sum;
  return KL_OK;
}

static int bkw_error_observe(void *state, const kl_observation *obs, double *values,
                             kl_error *err) {
  bkw_error_state *s = state;
  const kl_view *view = obs->view;
  const unsigned d = s->d;
  if (!view || view->kind != KL_VIEW_PARTICLES || view->dim_v != d)
    return kl_error_set(err, KL_EINVAL, "bkw_error: needs a particle view with d = %u", d);
  const kl_particle_view *pv = &view->particles;
  if (!pv->mollifier)
    return kl_error_set(err, KL_EINVAL,
                        "bkw_error: the model gives no mollifier for the reconstruction");
  for (size_t c = 0; c < (s->split ? BKW_SPLIT_COLUMNS : BKW_COLUMNS); c++) values[c] = NAN;
  if (!obs->initial) return KL_OK;

  /* ---- fourth moment */
  double m4 = 0;
  for (size_t i = 0; i < pv->n; i++) {
    double r2 = 0;
    for (unsigned a = 0; a < d; a++) r2 += pv->v[a][i] * pv->v[a][i];
    m4 += pv->w[i] * r2 * r2;
  }
  int rc = KL_OK;
  double m4x = exact_m4(s, obs, &rc);
  if (rc == KL_ENOTSUP) return KL_OK; /* no exact solution at this t: NaN columns */
  if (rc) return kl_error_set(err, rc, "bkw_error: the exact solution failed at t = %g", obs->t);
  values[0] = m4x;
  values[1] = fabs(m4 - m4x);

  /* ---- reconstruction on the grid: scatter each particle within the cut-off */
  const size_t n = (size_t)s->points, total = ipow(n, d);
  const double dv = 2 * s->box / (double)n, lo = -s->box + 0.5 * dv;
  const double R = kl_mollifier_cutoff(pv->mollifier, d, pv->eps, 1e-12);
  /* compared as a double: a cut-off far beyond the grid (eps = 1e300) must not
   * be converted to size_t (out of range: a tiny scratch, overrun) */
  const double reach = 2 * R / dv + 2;
  const size_t side = reach < (double)n ? (size_t)reach : n;
  size_t cap = ipow(side, d);
  if (cap > s->scratch) {
    free(s->r2);
    free(s->val);
    s->r2 = malloc(cap * sizeof *s->r2);
    s->val = malloc(cap * sizeof *s->val);
    if (!s->r2 || !s->val) {
      s->scratch = 0;
      return kl_error_set(err, KL_ENOMEM, "out of memory (bkw_error)");
    }
    s->scratch = cap;
  }
  size_t *idx = malloc(cap * sizeof *idx);
  if (!idx) return kl_error_set(err, KL_ENOMEM, "out of memory (bkw_error)");
  memset(s->grid_f, 0, total * sizeof *s->grid_f);
  for (size_t i = 0; i < pv->n; i++) {
    long jl[3] = {0, 0, 0}, jh[3] = {0, 0, 0};
    int empty = 0;
    for (unsigned a = 0; a < d; a++) {
      double l = ceil((pv->v[a][i] - R - lo) / dv), u = floor((pv->v[a][i] + R - lo) / dv);
      if (l < 0) l = 0;
      if (u > (double)n - 1) u = (double)n - 1;
      if (l > u) empty = 1;
      jl[a] = (long)l, jh[a] = (long)u;
    }
    if (empty) continue;
    size_t m = 0;
    for (long j0 = jl[0]; j0 <= jh[0]; j0++)
      for (long j1 = jl[1]; j1 <= (d > 1 ? jh[1] : 0); j1++)
        for (long j2 = jl[2]; j2 <= (d > 2 ? jh[2] : 0); j2++) {
          long jj[3] = {j0, j1, j2};
          double r2 = 0;
          size_t k = 0;
          for (unsigned a = 0; a < d; a++) {
            double z = pv->v[a][i] - (lo + (double)jj[a] * dv);
            r2 += z * z;
            k = k * n + (size_t)jj[a];
          }
          if (r2 >= R * R) continue;
          s->r2[m] = r2;
          idx[m++] = k;
        }
    kl_mollifier_profile(pv->mollifier, d, pv->eps, m, s->r2, s->val, NULL);
    for (size_t q = 0; q < m; q++) s->grid_f[idx[q]] += pv->w[i] * s->val[q];
  }
  free(idx);
  if (s->split && (rc = smoothing_stencil(s, pv, err))) return rc;
  norm_sums total_err = {0}, smooth_err = {0}, particle_err = {0};
  double f1 = 0, f2 = 0, fi = 0;
  for (size_t k = 0; k < total; k++) {
    double v[3], f;
    size_t r = k;
    for (unsigned a = d; a-- > 0;) {
      v[a] = lo + (double)(r % n) * dv;
      r /= n;
    }
    rc = kl_initial_exact(obs->initial, obs->t, NULL, v, &f);
    if (!rc && s->split) rc = smoothed_exact(s, obs, v, &s->smooth_f[k]);
    if (rc) return rc == KL_ENOTSUP ? KL_OK
                                    : kl_error_set(err, rc, "bkw_error: exact solution failed");
    norm_add(&total_err, s->grid_f[k] - f);
    if (s->split) {
      norm_add(&smooth_err, s->smooth_f[k] - f);
      norm_add(&particle_err, s->grid_f[k] - s->smooth_f[k]);
    }
    f1 += fabs(f), f2 += f * f;
    if (fabs(f) > fi) fi = fabs(f);
  }
  norm_relative(&total_err, f1, f2, fi, values + 2);
  if (s->split) {
    norm_relative(&smooth_err, f1, f2, fi, values + 5);
    norm_relative(&particle_err, f1, f2, fi, values + 8);
  }
  return KL_OK;
}

static const kl_diagnostic_ops bkw_error_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES,
                                                bkw_error_columns_fn, bkw_error_observe, NULL};

static const kl_plugin_info bkw_error_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "bkw_error",
    "fourth-moment and blob-reconstruction errors against the exact solution (BKW)",
    bkw_error_params,
    &bkw_error_ops,
    bkw_error_create,
    bkw_error_destroy};

/* =============================================================== particles */
static size_t particles_columns(void *state, const char *const **names) {
  (void)state;
  *names = NULL;
  return 0;
}

static int particles_snapshot(void *state, const kl_observation *obs, kl_snapshot *snap,
                              kl_error *err) {
  (void)state;
  const kl_view *view = obs->view;
  if (!view || view->kind != KL_VIEW_PARTICLES)
    return kl_error_set(err, KL_EINVAL, "particles: needs a particle view");
  const kl_particle_view *pv = &view->particles;
  const unsigned d = view->dim_v;
  size_t n = pv->n;
  double *buf = malloc((d ? d : 1) * (n ? n : 1) * sizeof *buf);
  if (!buf)
    return kl_error_set(err, KL_ENOMEM, "out of memory: particles snapshot of %zu particles (%zu "
                                        "bytes)", n, (d ? d : 1) * (n ? n : 1) * sizeof *buf);
  for (unsigned a = 0; a < d; a++) memcpy(buf + a * n, pv->v[a], n * sizeof *buf);
  size_t dims[2] = {d, n};
  int rc = kl_snapshot_write(snap, "v", 2, dims, buf, err);
  free(buf);
  if (!rc && pv->w) rc = kl_snapshot_write(snap, "w", 1, &n, pv->w, err);
  size_t one = 1;
  if (!rc) rc = kl_snapshot_write(snap, "t", 1, &one, &obs->t, err);
  return rc;
}

static const kl_diagnostic_ops particles_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES,
                                                particles_columns, NULL, particles_snapshot};

static const kl_plugin_info particles_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "particles",
    "snapshot of the particles: velocities v (d x N), weights w, time t",
    NULL,
    &particles_ops,
    NULL,
    NULL};

/* ========================================================== second_moments */
typedef struct sm_state {
  unsigned d;
  kl_instance *model;
  const kl_instance *kern; /* the model's kernel; NULL: phi = C */
  double C;
  bool have_exact;         /* f0 is a mixture, not one Maxwellian; the model has a kernel */
  double exact[3][3];      /* exact dP/dt at f0 */
  bool measured;           /* t0_error computed */
  double t0_error;
  kl_log *log;
} sm_state;

static const char *const sm_columns2[] = {"P_xx", "P_xy", "P_yy"};
static const char *const sm_columns3[] = {"P_xx", "P_xy", "P_xz", "P_yy", "P_yz", "P_zz"};
static const char *const rate_columns[] = {"p_rate_t0_error"};

static void sm_phi(void *ctx, size_t n, const double *r2, double *phi) {
  const sm_state *s = ctx;
  if (s->kern) kl_kernel_weight(s->kern, n, r2, phi);
  else
    for (size_t i = 0; i < n; i++) phi[i] = s->C;
}

static bool has_param(const kl_instance *inst, const char *name) {
  const kl_plugin_info *info = kl_instance_info(inst);
  for (const kl_param_spec *q = info ? info->params : NULL; q && q->name; q++)
    if (!strcmp(q->name, name)) return true;
  return false;
}

/* f0 = sum_k w_k N(m_k, diag(T_k)) from the initial plugin's mixture_*
 * parameters; false when it does not describe itself so. */
enum { SM_MAX_COMPONENTS = 16 };
static bool read_mixture(const kl_instance *init, unsigned d, size_t *K, double *w,
                         double (*m)[3], double (*T)[3]) {
  double count;
  if (!init || kl_initial_exact_parameter(init, "mixture_count", &count) != KL_OK ||
      !(count >= 1 && count <= SM_MAX_COMPONENTS) || count != floor(count))
    return false;
  *K = (size_t)count;
  char name[64];
  for (size_t k = 0; k < *K; k++) {
    snprintf(name, sizeof name, "mixture_%zu_weight", k);
    if (kl_initial_exact_parameter(init, name, &w[k]) != KL_OK || !(w[k] >= 0)) return false;
    for (unsigned a = 0; a < d; a++) {
      snprintf(name, sizeof name, "mixture_%zu_mean_%u", k, a);
      if (kl_initial_exact_parameter(init, name, &m[k][a]) != KL_OK || !isfinite(m[k][a]))
        return false;
      snprintf(name, sizeof name, "mixture_%zu_temperature_%u", k, a);
      if (kl_initial_exact_parameter(init, name, &T[k][a]) != KL_OK || !(T[k][a] > 0) ||
          !isfinite(T[k][a]))
        return false;
    }
  }
  return true;
}

/* True when the components of positive weight are one isotropic Maxwellian. */
static bool mixture_is_one_maxwellian(unsigned d, size_t K, const double *w,
                                      const double (*m)[3], const double (*T)[3]) {
  size_t first = K;
  for (size_t k = 0; k < K; k++) {
    if (w[k] == 0) continue;
    if (first == K) first = k;
    for (unsigned a = 0; a < d; a++)
      if (m[k][a] != m[first][a] || T[k][a] != T[first][0]) return false;
  }
  return true;
}

static int sm_create(const kl_setup *setup, void **state, kl_error *err) {
  if (setup->dim_v < 2 || setup->dim_v > 3 || setup->dim_x != 0)
    return kl_error_set(err, KL_EINVAL,
                        "diagnostic (%s): homogeneous models with d = 2 or 3 only (found "
                        "d = %u, dim_x = %u)",
                        kl_params_path(setup->params), setup->dim_v, setup->dim_x);
  sm_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = setup->dim_v;
  s->model = setup->model;
  s->t0_error = NAN;
  *state = s;
  return KL_OK;
}

static int rate_create(const kl_setup *setup, void **state, kl_error *err) {
  const char *path = kl_params_path(setup->params);
  size_t K = 0;
  double w[SM_MAX_COMPONENTS], m[SM_MAX_COMPONENTS][3], T[SM_MAX_COMPONENTS][3];
  if (setup->dim_v >= 2 && setup->dim_v <= 3 && !read_mixture(setup->initial, setup->dim_v, &K, w, m, T))
    return kl_error_set(err, KL_EINVAL,
                        "diagnostic second_moment_rate (%s): needs initial data that are a sum "
                        "of Maxwellians (bimaxwellian), found '%s'",
                        path, setup->initial ? kl_instance_name(setup->initial) : "none");
  if (!setup->model || !has_param(setup->model, "kernel") || !kl_model_has_rhs(setup->model))
    return kl_error_set(err, KL_EINVAL,
                        "diagnostic second_moment_rate (%s): needs a Landau model with a "
                        "`kernel` parameter and a right-hand side (landau_particles), found "
                        "'%s'",
                        path, setup->model ? kl_instance_name(setup->model) : "none");
  int rc = sm_create(setup, state, err);
  if (rc) return rc;
  sm_state *s = *state;
  s->kern = kl_params_plugin(kl_instance_params(setup->model), "kernel");
  s->C = s->d == 2 ? 1.0 / 16 : 1.0 / 24; /* the Landau models' default kernel */
  const double check = lrate_mixture(s->d, K, w, (const double(*)[3])m, (const double(*)[3])T,
                                     sm_phi, s, s->exact);
  if (!(check >= 0 && check <= 1e-10)) {
    free(s);
    *state = NULL;
    if (check == -2)
      return kl_error_set(err, KL_EINVAL,
                          "diagnostic second_moment_rate (%s): a Maxwellian of initial '%s' is "
                          "too narrow (min temperature) against its spread (mean distances, max "
                          "temperature) for the quadrature of the exact rate (more than %d "
                          "radial panels): expected temperatures closer to each other",
                          path, kl_instance_name(setup->initial), LRATE_MAX_PANELS);
    if (check < 0) return kl_error_set(err, KL_ENOMEM, "out of memory (second_moment_rate)");
    return kl_error_set(err, KL_ENUMERIC,
                        "diagnostic second_moment_rate (%s): the quadrature of the exact rate "
                        "integrates a Gaussian of the mixture to 1 only within %.3g (expected "
                        "1e-10)",
                        path, check);
  }
  s->log = setup->log;
  /* one Maxwellian (components of weight 0 aside, or all alike) is an
   * equilibrium: the exact rate is 0 and a relative error would divide
   * quadrature round-off (weight1: 0 reported 6.5e11) */
  s->have_exact = !mixture_is_one_maxwellian(s->d, K, w, m, T);
  if (!s->have_exact)
    kl_logf(setup->log, KL_LOG_WARN,
            "diagnostic second_moment_rate (%s): initial '%s' is a single isotropic "
            "Maxwellian, an equilibrium whose exact rate is 0: p_rate_t0_error is NaN",
            path, kl_instance_name(setup->initial));
  return KL_OK;
}

static size_t sm_columns_fn(void *state, const char *const **names) {
  const sm_state *s = state;
  *names = s->d == 2 ? sm_columns2 : sm_columns3;
  return s->d == 2 ? 3 : 6;
}

static size_t rate_columns_fn(void *state, const char *const **names) {
  (void)state;
  *names = rate_columns;
  return 1;
}

/* dP/dt of the model at its initial state against the exact rate. */
static int sm_measure_t0(sm_state *s, kl_error *err) {
  s->measured = true;
  if (!s->have_exact || !kl_model_has_rhs(s->model)) return KL_OK;
  const size_t len = kl_model_size(s->model);
  double *y = malloc(len * sizeof *y), *dy = malloc(len * sizeof *dy), t0 = 0;
  if (!y || !dy) {
    free(y), free(dy);
    return kl_error_set(err, KL_ENOMEM, "out of memory (second_moments: %zu values)", len);
  }
  kl_view view;
  int rc = kl_model_initial(s->model, &t0, y, err);
  if (!rc) rc = kl_model_rhs(s->model, t0, y, dy, err);
  if (!rc) rc = kl_model_view(s->model, y, &view, err);
  if (!rc && view.kind == KL_VIEW_PARTICLES) {
    const kl_particle_view *pv = &view.particles;
    const unsigned d = s->d;
    double rate[3][3] = {{0}}, num = 0, den = 0;
    bool inside = true; /* the view's velocities are entries of y: a_i sits at the same place in dy */
    for (unsigned a = 0; a < d; a++)
      inside &= pv->v[a] >= y && pv->v[a] + pv->n <= y + len;
    if (inside) {
      for (size_t i = 0; i < pv->n; i++)
        for (unsigned a = 0; a < d; a++)
          for (unsigned b = 0; b < d; b++) {
            const double va = pv->v[a][i], vb = pv->v[b][i];
            const double aa = dy[pv->v[a] - y + i], ab = dy[pv->v[b] - y + i];
            rate[a][b] += pv->w[i] * (va * ab + aa * vb);
          }
      for (unsigned a = 0; a < d; a++)
        for (unsigned b = 0; b < d; b++) {
          num += (rate[a][b] - s->exact[a][b]) * (rate[a][b] - s->exact[a][b]);
          den += s->exact[a][b] * s->exact[a][b];
        }
      s->t0_error = den > 0 ? sqrt(num / den) : NAN;
      /* the tensors themselves, for studies beyond the one number (run.log) */
      char line[512];
      int at = 0;
      for (unsigned a = 0; a < d; a++)
        for (unsigned b = a; b < d; b++)
          at += snprintf(line + at, sizeof line - (size_t)at, " %u%u: %.12g (exact %.12g)", a, b,
                         rate[a][b], s->exact[a][b]);
      kl_logf(s->log, KL_LOG_INFO, "second_moment_rate: dP/dt at t0:%s; relative error %.6g",
              line, s->t0_error);
    } else
      rc = kl_error_set(err, KL_EINVAL,
                        "second_moment_rate: the view of model '%s' does not point into its "
                        "state vector, so dv/dt cannot be read from its right-hand side",
                        kl_instance_name(s->model));
  }
  free(y), free(dy);
  return rc;
}

static int sm_observe(void *state, const kl_observation *obs, double *values, kl_error *err) {
  const sm_state *s = state;
  const kl_view *view = obs->view;
  const unsigned d = s->d;
  if (!view || view->kind != KL_VIEW_PARTICLES || view->dim_v != d)
    return kl_error_set(err, KL_EINVAL, "second_moments: needs a particle view with d = %u", d);
  const kl_particle_view *pv = &view->particles;
  size_t c = 0;
  for (unsigned a = 0; a < d; a++)
    for (unsigned b = a; b < d; b++) {
      double sum = 0;
      for (size_t i = 0; i < pv->n; i++) sum += pv->w[i] * pv->v[a][i] * pv->v[b][i];
      values[c++] = sum;
    }
  return KL_OK;
}

static int rate_observe(void *state, const kl_observation *obs, double *values, kl_error *err) {
  (void)obs;
  sm_state *s = state;
  if (!s->measured) {
    int rc = sm_measure_t0(s, err);
    if (rc) return rc;
  }
  values[0] = s->t0_error;
  return KL_OK;
}

static const kl_diagnostic_ops sm_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES,
                                         sm_columns_fn, sm_observe, NULL};

static const kl_plugin_info sm_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "second_moments",
    "second-moment tensor P = sum_i w_i v_i v_i^T of the particles",
    NULL,
    &sm_ops,
    sm_create,
    free};

static const kl_diagnostic_ops rate_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES,
                                           rate_columns_fn, rate_observe, NULL};

static const kl_plugin_info rate_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "second_moment_rate",
    "error of the model's dP/dt at t0 against the exact rate at a sum of Maxwellians (any "
    "Landau kernel)",
    NULL,
    &rate_ops,
    rate_create,
    free};

static const kl_plugin_info *const plugins[] = {&bkw_error_info, &particles_info, &sm_info,
                                                 &rate_info, NULL};
KL_PLUGIN_MODULE(plugins)
