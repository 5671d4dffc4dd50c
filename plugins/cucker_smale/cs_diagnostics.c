/* plugins/cucker_smale/cs_diagnostics.c - diagnostics of the kinetic Cucker-Smale runs
 * (paper 004, notes/cucker_smale.md).
 *
 *   cs_grid         grid view: ||f||_inf, velocity-support radius about the global mean
 *                   velocity (cells with f > threshold * max f), and snapshot datasets
 *                   h(v) = sup_x f (the paper's Fig. 2), rho(x), u(x).  (The runner itself
 *                   writes the f snapshot.)
 *   cs_exact_error  homogeneous grid runs (dim_x = 0): errors against the exact solution
 *                   f(t,v) = e^{gamma m d t} f0(vbar + e^{gamma m t}(v - vbar)) (Theorem 2.3),
 *                   with gamma read from the model's parameters and m, vbar the moments of
 *                   f0 (Gauss quadrature on the model's cells); L1 and Linf errors of the cell
 *                   averages, predicted vs measured ||f||_inf and support radius
 *                   (Corollary 2.4: e^{gamma m d t} ||f0||, e^{-gamma m t} R0).
 *   cs_moments      grid or particle view with dim_x = 1: rho(x) and u(x) on bins (particle
 *                   histograms), for comparing cs_particles with cs_kinetic.
 *   cs_entropy_rate grid view of cs_kinetic: dH/dt of H = int f log f predicted by
 *                   Prop. 2.1 (gamma d int rho^2 dx) vs measured between outputs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#include "cs_gauss.h"

/* ------------------------------------------------------------ helpers */
static void cell_v(const kl_grid_view *g, size_t J, double *v) {
  size_t j0 = J / (g->nv[1] * g->nv[2]), j1 = (J / g->nv[2]) % g->nv[1], j2 = J % g->nv[2];
  v[0] = g->v_lo[0] + ((double)j0 + 0.5) * g->dv[0];
  v[1] = g->v_lo[1] + ((double)j1 + 0.5) * g->dv[1];
  v[2] = g->v_lo[2] + ((double)j2 + 0.5) * g->dv[2];
}

static double dvol(const kl_view *vw) {
  double c = 1;
  for (unsigned k = 0; k < vw->dim_v; k++) c *= vw->grid.dv[k];
  return c;
}

/* global mean velocity and max f of a grid view */
static void grid_mean(const kl_view *vw, double *mean, double *fmaxp) {
  const kl_grid_view *g = &vw->grid;
  size_t nvt = g->nv[0] * g->nv[1] * g->nv[2];
  double m = 0, p[3] = {0, 0, 0}, fm = 0, v[3];
  for (size_t ix = 0; ix < g->nx; ix++)
    for (size_t J = 0; J < nvt; J++) {
      double f = g->f[ix * nvt + J];
      fm = fmax(fm, f);
      if (f == 0) continue;
      cell_v(g, J, v);
      m += f;
      for (int k = 0; k < 3; k++) p[k] += f * v[k];
    }
  for (int k = 0; k < 3; k++) mean[k] = m > 0 ? p[k] / m : 0;
  *fmaxp = fm;
}

static double support_radius(const kl_view *vw, const double *mean, double thr) {
  const kl_grid_view *g = &vw->grid;
  size_t nvt = g->nv[0] * g->nv[1] * g->nv[2];
  double r = 0, v[3];
  for (size_t ix = 0; ix < g->nx; ix++)
    for (size_t J = 0; J < nvt; J++) {
      if (!(g->f[ix * nvt + J] > thr)) continue;
      cell_v(g, J, v);
      double r2 = 0;
      for (unsigned k = 0; k < vw->dim_v; k++) r2 += (v[k] - mean[k]) * (v[k] - mean[k]);
      r = fmax(r, sqrt(r2));
    }
  return r;
}

/* =============================================================== cs_grid */
typedef struct grid_state {
  double thr;
} grid_state;

static const kl_param_spec grid_params[] = {
    {"threshold", KL_PARAM_REAL, "1e-6", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "support = cells with f > threshold * max f"},
    KL_PARAM_END};

static int grid_create(const kl_setup *setup, void **state, kl_error *err) {
  grid_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->thr = kl_params_real(setup->params, "threshold");
  *state = s;
  return KL_OK;
}

static const char *const grid_cols[] = {"f_max", "v_support_radius"};
static size_t grid_columns(void *state, const char *const **names) {
  (void)state;
  *names = grid_cols;
  return 2;
}

static int grid_observe(void *state, const kl_observation *obs, double *values, kl_error *err) {
  (void)err;
  grid_state *s = state;
  double mean[3], fm;
  grid_mean(obs->view, mean, &fm);
  values[0] = fm;
  values[1] = support_radius(obs->view, mean, s->thr * fm);
  return KL_OK;
}

static int grid_snapshot(void *state, const kl_observation *obs, kl_snapshot *snap,
                         kl_error *err) {
  (void)state;
  const kl_view *vw = obs->view;
  const kl_grid_view *g = &vw->grid;
  size_t nvt = g->nv[0] * g->nv[1] * g->nv[2], nx = g->nx;
  unsigned d = vw->dim_v;
  double *h = calloc(nvt, sizeof *h), *rho = calloc(nx, sizeof *rho),
         *u = calloc(nx * d, sizeof *u);
  if (!h || !rho || !u) {
    free(h), free(rho), free(u);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  double c = dvol(vw), v[3];
  for (size_t ix = 0; ix < nx; ix++) {
    double m = 0, p[3] = {0, 0, 0};
    for (size_t J = 0; J < nvt; J++) {
      double f = g->f[ix * nvt + J];
      h[J] = fmax(h[J], f);
      if (f == 0) continue;
      cell_v(g, J, v);
      m += f;
      for (unsigned k = 0; k < d; k++) p[k] += f * v[k];
    }
    rho[ix] = m * c;
    for (unsigned k = 0; k < d; k++) u[ix * d + k] = m > 0 ? p[k] / m : 0;
  }
  size_t dh[3] = {g->nv[0], g->nv[1], g->nv[2]}, du[2] = {nx, d};
  int rc = kl_snapshot_write(snap, "h", d, dh, h, err);
  if (!rc) rc = kl_snapshot_write(snap, "rho", 1, &nx, rho, err);
  if (!rc) rc = kl_snapshot_write(snap, "u", 2, du, u, err);
  free(h), free(rho), free(u);
  return rc;
}

static const kl_diagnostic_ops grid_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_GRID, grid_columns,
                                           grid_observe, grid_snapshot};

static const kl_plugin_info grid_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "cs_grid",
    "||f||_inf, velocity-support radius; snapshots h(v) = sup_x f, rho(x), u(x)",
    grid_params,
    &grid_ops,
    grid_create,
    free};

/* ========================================================= cs_exact_error */
typedef struct exact_state {
  double thr;
  unsigned quad;
  bool ready;
  double t0, m, vbar[3], f0max, R0;
} exact_state;

static const kl_param_spec exact_params[] = {
    {"threshold", KL_PARAM_REAL, "1e-6", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "measured support = cells with f > threshold * max f"},
    {"quadrature", KL_PARAM_INT, "4", 1, 4, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "Gauss-Legendre points per direction for exact cell averages"},
    KL_PARAM_END};

static int exact_create(const kl_setup *setup, void **state, kl_error *err) {
  if (setup->dim_x != 0)
    return kl_error_set(err, KL_EINVAL,
                        "diagnostic 'cs_exact_error' (%s): the exact solution is known for "
                        "spatially homogeneous runs only (dim_x = 0), found dim_x = %u",
                        kl_params_path(setup->params), setup->dim_x);
  exact_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->thr = kl_params_real(setup->params, "threshold");
  s->quad = (unsigned)kl_params_int(setup->params, "quadrature");
  *state = s;
  return KL_OK;
}


/* cell average over velocity cell J of g(v) = scale * f0(vbar + stretch (v - vbar)) */
static double cell_avg(const exact_state *s, const kl_instance *init, const kl_grid_view *g,
                       unsigned d, size_t J, double scale, double stretch) {
  double gx[4], gw[4], vc[3], v[3];
  gauss_rule(s->quad, gx, gw);
  cell_v(g, J, vc);
  unsigned q = s->quad;
  size_t npts = 1;
  for (unsigned k = 0; k < d; k++) npts *= q;
  double sum = 0;
  for (size_t pt = 0; pt < npts; pt++) {
    size_t r = pt;
    double w = 1;
    for (unsigned k = 0; k < d; k++) {
      double vk = vc[k] + gx[r % q] * g->dv[k];
      v[k] = s->vbar[k] + stretch * (vk - s->vbar[k]);
      w *= gw[r % q];
      r /= q;
    }
    sum += w * kl_initial_density(init, NULL, v);
  }
  return scale * sum;
}

static const char *const exact_cols[] = {"l1_error",   "linf_error",      "f_max_exact",
                                         "f_max",      "radius_exact",    "radius",
                                         "mass_exact", "energy_exact"};
static size_t exact_columns(void *state, const char *const **names) {
  (void)state;
  *names = exact_cols;
  return 8;
}

static int exact_observe(void *state, const kl_observation *obs, double *values, kl_error *err) {
  exact_state *s = state;
  const kl_view *vw = obs->view;
  if (vw->kind != KL_VIEW_GRID)
    return kl_error_set(err, KL_EINVAL, "cs_exact_error: needs a grid view");
  const kl_grid_view *g = &vw->grid;
  unsigned d = vw->dim_v;
  size_t nvt = g->nv[0] * g->nv[1] * g->nv[2];
  double c = dvol(vw);
  if (!s->ready) {
    /* moments of f0 by quadrature on the model's cells (exact for a patch aligned with
     * the grid, spectrally accurate for Gaussians) */
    s->t0 = kl_initial_start_time(obs->initial);
    double m = 0, p[3] = {0, 0, 0}, fm = 0, vc[3];
    s->vbar[0] = s->vbar[1] = s->vbar[2] = 0;
    for (size_t J = 0; J < nvt; J++) {
      double f = cell_avg(s, obs->initial, g, d, J, 1, 1);
      cell_v(g, J, vc);
      m += f;
      for (unsigned k = 0; k < d; k++) p[k] += f * vc[k];
      fm = fmax(fm, f);
    }
    s->m = m * c;
    for (unsigned k = 0; k < d; k++) s->vbar[k] = p[k] * c / s->m;
    /* radius of the initial support measured like the numerical one */
    double thr = s->thr * fm, R = 0;
    for (size_t J = 0; J < nvt; J++) {
      double f = cell_avg(s, obs->initial, g, d, J, 1, 1);
      if (!(f > thr)) continue;
      cell_v(g, J, vc);
      double r2 = 0;
      for (unsigned k = 0; k < d; k++) r2 += (vc[k] - s->vbar[k]) * (vc[k] - s->vbar[k]);
      R = fmax(R, sqrt(r2));
    }
    s->R0 = R;
    s->f0max = fm;
    s->ready = true;
  }
  double gamma = kl_params_real(kl_instance_params(obs->model), "gamma");
  double tau = obs->t - s->t0, a = gamma * s->m * tau;
  double scale = exp(a * d), stretch = exp(a);
  /* Past e^{gamma m t} ~ 1e308 the exact solution is a point mass no grid can
   * measure: an error, not NaN columns in a "completed" run. */
  if (!isfinite(scale) || !isfinite(stretch))
    return kl_error_set(err, KL_ENUMERIC,
                        "cs_exact_error: at t = %g the exact solution has contracted by "
                        "e^(gamma m t) = e^%g, beyond a double: it is a point mass the grid "
                        "cannot resolve; lower gamma or t_final",
                        obs->t, a);
  double l1 = 0, linf = 0, mass = 0, en = 0, vc[3];
  for (size_t J = 0; J < nvt; J++) {
    double fe = cell_avg(s, obs->initial, g, d, J, scale, stretch);
    double diff = fabs(g->f[J] - fe);
    l1 += diff;
    linf = fmax(linf, diff);
    mass += fe;
    cell_v(g, J, vc);
    for (unsigned k = 0; k < d; k++) en += fe * vc[k] * vc[k];
  }
  double mean[3], fm;
  grid_mean(vw, mean, &fm);
  values[0] = l1 * c;
  values[1] = linf;
  values[2] = scale * s->f0max;
  values[3] = fm;
  values[4] = s->R0 / stretch;
  values[5] = support_radius(vw, mean, s->thr * fm);
  values[6] = mass * c;
  values[7] = en * c;
  return KL_OK;
}

static const kl_diagnostic_ops exact_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_GRID,
                                            exact_columns, exact_observe, NULL};

static const kl_plugin_info exact_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "cs_exact_error",
    "homogeneous CS: L1/Linf error against the exact solution (Theorem 2.3), ||f||_inf and "
    "support radius predicted vs measured",
    exact_params,
    &exact_ops,
    exact_create,
    free};

/* ============================================================ cs_moments */
typedef struct moments_state {
  double lo, hi;
  size_t nb;
  bool wrap;
  double *rho, *u;
} moments_state;

static const kl_param_spec moments_params[] = {
    {"x_lo", KL_PARAM_REAL, "0", 0, 0, 0, NULL, "length", "left end of the bins"},
    {"x_hi", KL_PARAM_REAL, "20", 0, 0, 0, NULL, "length", "right end of the bins"},
    {"bins", KL_PARAM_INT, "100", 1, 1e7, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "number of bins (at most 10^7: each output writes 4 values per bin)"},
    {"wrap", KL_PARAM_BOOL, "true", 0, 0, 0, NULL, "1",
     "wrap particle positions into [x_lo, x_hi) (periodic box)"},
    KL_PARAM_END};

static void moments_destroy(void *state) {
  moments_state *s = state;
  if (!s) return;
  free(s->rho), free(s->u), free(s);
}

static int moments_create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  if (setup->dim_x != 1)
    return kl_error_set(err, KL_EINVAL, "diagnostic 'cs_moments' (%s): needs dim_x = 1, found %u",
                        kl_params_path(p), setup->dim_x);
  moments_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->lo = kl_params_real(p, "x_lo"), s->hi = kl_params_real(p, "x_hi");
  s->nb = (size_t)kl_params_int(p, "bins");
  s->wrap = kl_params_bool(p, "wrap");
  if (!(s->hi > s->lo)) {
    moments_destroy(s);
    return kl_params_error(err, KL_EINVAL, p, "x_hi", "expected x_hi > x_lo");
  }
  s->rho = calloc(s->nb, sizeof *s->rho);
  s->u = calloc(s->nb * 3, sizeof *s->u);
  if (!s->rho || !s->u) {
    size_t nb = s->nb;
    moments_destroy(s);
    return kl_params_error(err, KL_ENOMEM, p, "bins", "out of memory: %zu bins need %zu bytes",
                           nb, 4 * nb * sizeof(double));
  }
  *state = s;
  return KL_OK;
}

static void moments_compute(moments_state *s, const kl_view *vw) {
  size_t nb = s->nb;
  unsigned d = vw->dim_v;
  double hb = (s->hi - s->lo) / (double)nb;
  memset(s->rho, 0, nb * sizeof *s->rho);
  memset(s->u, 0, nb * 3 * sizeof *s->u);
  if (vw->kind == KL_VIEW_PARTICLES) {
    const kl_particle_view *p = &vw->particles;
    double L = s->hi - s->lo;
    for (size_t i = 0; i < p->n; i++) {
      double x = p->x[0][i];
      if (s->wrap) x = s->lo + (x - s->lo) - L * floor((x - s->lo) / L);
      long b = (long)floor((x - s->lo) / hb);
      if (b < 0 || b >= (long)nb) continue;
      double w = p->w ? p->w[i] : 1.0 / (double)p->n;
      s->rho[b] += w;
      for (unsigned k = 0; k < d; k++) s->u[(size_t)b * d + k] += w * p->v[k][i];
    }
  } else {
    const kl_grid_view *g = &vw->grid;
    size_t nvt = g->nv[0] * g->nv[1] * g->nv[2];
    double c = dvol(vw) * g->dx, v[3];
    for (size_t ix = 0; ix < g->nx; ix++) {
      double xc = g->x_lo + ((double)ix + 0.5) * g->dx;
      long b = (long)floor((xc - s->lo) / hb);
      if (b < 0 || b >= (long)nb) continue;
      for (size_t J = 0; J < nvt; J++) {
        double f = g->f[ix * nvt + J];
        if (f == 0) continue;
        cell_v(g, J, v);
        s->rho[b] += f * c;
        for (unsigned k = 0; k < d; k++) s->u[(size_t)b * d + k] += f * c * v[k];
      }
    }
  }
  for (size_t b = 0; b < nb; b++) {
    for (unsigned k = 0; k < d; k++) s->u[b * d + k] = s->rho[b] > 0 ? s->u[b * d + k] / s->rho[b] : 0;
    s->rho[b] /= hb;
  }
}

static const char *const moments_cols[] = {"rho_max", "u_spread"};
static size_t moments_columns(void *state, const char *const **names) {
  (void)state;
  *names = moments_cols;
  return 2;
}

static int moments_observe(void *state, const kl_observation *obs, double *values,
                           kl_error *err) {
  (void)err;
  moments_state *s = state;
  moments_compute(s, obs->view);
  double rm = 0, umin = INFINITY, umax = -INFINITY;
  unsigned d = obs->view->dim_v;
  for (size_t b = 0; b < s->nb; b++) rm = fmax(rm, s->rho[b]);
  for (size_t b = 0; b < s->nb; b++)
    if (s->rho[b] > 1e-3 * rm) umin = fmin(umin, s->u[b * d]), umax = fmax(umax, s->u[b * d]);
  values[0] = rm;
  values[1] = umax >= umin ? umax - umin : 0;
  return KL_OK;
}

static int moments_snapshot(void *state, const kl_observation *obs, kl_snapshot *snap,
                            kl_error *err) {
  moments_state *s = state;
  moments_compute(s, obs->view);
  size_t du[2] = {s->nb, obs->view->dim_v};
  int rc = kl_snapshot_write(snap, "rho_bins", 1, &s->nb, s->rho, err);
  if (!rc) rc = kl_snapshot_write(snap, "u_bins", 2, du, s->u, err);
  return rc;
}

static const kl_diagnostic_ops moments_ops = {sizeof(kl_diagnostic_ops),
                                              KL_VIEW_GRID | KL_VIEW_PARTICLES, moments_columns,
                                              moments_observe, moments_snapshot};

static const kl_plugin_info moments_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "cs_moments",
    "rho(x), u(x) on bins for grids and particles (histograms); rho_max, spread of u",
    moments_params,
    &moments_ops,
    moments_create,
    moments_destroy};

/* ====================================================== cs_entropy_rate */
/* Prop. 2.1 (paper 004): dH/dt = gamma d int int int f f_* dx dv dv_* = gamma d int rho^2 dx
 * for H = int f log f (checked against the paper's proof: (1 + log f) against the
 * alignment term, two integrations by parts, div_v((v - v_*) f_*) = d f_*; transport
 * does not change H).  Columns: the predicted rate at t, the measured rate
 * (H(t) - H(t_prev)) / (t - t_prev) between consecutive outputs, and their ratio with the
 * predicted rate averaged over the interval (trapezoid): 1 for an exact solution, below 1
 * where the scheme's numerical diffusion (which lowers H) eats part of the alignment gain.
 * The measured rate needs the previous output: NaN at the first output of a run (and of
 * a restarted run). */
typedef struct hrate_state {
  double gamma;
  bool have_prev;
  double t_prev, H_prev, rate_prev;
} hrate_state;

static int hrate_create(const kl_setup *setup, void **state, kl_error *err) {
  if (!setup->model || strcmp(kl_instance_name(setup->model), "cs_kinetic"))
    return kl_error_set(err, KL_EINVAL,
                        "diagnostic 'cs_entropy_rate' (%s): expected model cs_kinetic (it reads "
                        "gamma), found %s",
                        kl_params_path(setup->params),
                        setup->model ? kl_instance_name(setup->model) : "none");
  hrate_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->gamma = kl_params_real(kl_instance_params(setup->model), "gamma");
  *state = s;
  return KL_OK;
}

static const char *const hrate_cols[] = {"H_rate_predicted", "H_rate_measured", "H_rate_ratio"};
static size_t hrate_columns(void *state, const char *const **names) {
  (void)state;
  *names = hrate_cols;
  return 3;
}

static int hrate_observe(void *state, const kl_observation *obs, double *values, kl_error *err) {
  (void)err;
  hrate_state *s = state;
  const kl_view *vw = obs->view;
  const kl_grid_view *g = &vw->grid;
  size_t nvt = g->nv[0] * g->nv[1] * g->nv[2];
  double c = dvol(vw), H = 0, rho2 = 0;
  for (size_t ix = 0; ix < g->nx; ix++) {
    double m = 0;
    for (size_t J = 0; J < nvt; J++) {
      double f = g->f[ix * nvt + J];
      if (f > 0) H += f * log(f);
      m += f;
    }
    rho2 += (m * c) * (m * c);
  }
  H *= c * g->dx;
  double rate = s->gamma * vw->dim_v * rho2 * g->dx;
  values[0] = rate;
  values[1] = values[2] = NAN;
  if (s->have_prev && obs->t > s->t_prev) {
    values[1] = (H - s->H_prev) / (obs->t - s->t_prev);
    values[2] = values[1] / (0.5 * (rate + s->rate_prev));
  }
  s->have_prev = true, s->t_prev = obs->t, s->H_prev = H, s->rate_prev = rate;
  return KL_OK;
}

static const kl_diagnostic_ops hrate_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_GRID,
                                            hrate_columns, hrate_observe, NULL};

static const kl_plugin_info hrate_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_DIAGNOSTIC,
    "cs_entropy_rate",
    "H = int f log f: rate predicted by Prop. 2.1 (gamma d int rho^2 dx) vs measured between "
    "outputs, and their ratio",
    NULL,
    &hrate_ops,
    hrate_create,
    free};

static const kl_plugin_info *const plugins[] = {&grid_info, &exact_info, &moments_info,
                                                 &hrate_info, NULL};
KL_PLUGIN_MODULE(plugins)
