/* plugins/cucker_smale/cs_particles.c - the rescaled Cucker-Smale particle system (paper 004,
 * (1.4)), written for particles of weight w = M/N:
 *
 *     dx_i/dt = v_i,    dv_i/dt = (kappa / eps^dim_x) sum_j w psi(|x_j - x_i|/eps) (v_j - v_i).
 *
 * With M = 1 (the paper's empirical measure has mass 1) and N eps^dim_x = 1 this is
 * exactly (1.4): kappa/eps^d * (1/N) = kappa.  Its formal limit is (1.3) with
 * gamma = kappa int psi(|z|) dz and f of total mass M.
 * psi is a plugin of kind comm_weight (cs_psi.c has the built-ins; docs/writing-plugins.md):
 *   psi_indicator   1_{r<1} (the default),  int psi = |B_1|  (2, pi, 4 pi/3)
 *   psi_bump        exp(1 - 1/(1 - r^2)),   int psi by quadrature
 *   psi_power_law   (1 + (r/ell)^2)^-beta, no cut-off: every pair interacts (O(N^2); in a
 *                   periodic box through the minimum image)
 *   psi_all_to_all  psi == 1 over the whole box of volume V (homogeneous test): then
 *                   gamma = kappa V / eps^d and dv_i/dt = gamma (M/V) (vbar - v_i), i.e. the
 *                   rate gamma m of Theorem 2.3 with m = M/V the spatial density; with
 *                   dim_x = 0, V = 1 and m = M.  Particle velocities then follow
 *                   v_i(t) = vbar + e^{-gamma m t} (v_i(0) - vbar) exactly.
 * A psi that is not integrable must be constant (all-to-all, summed in O(N) through the
 * mean); an integrable one gives gamma = kappa int psi.  Give gamma or kappa (not both).
 * Pair sums use cell lists of side >= eps times psi's support (O(N)) and visit each pair
 * once with equal and opposite contributions, so sum_i w v_i is kept to round-off.
 * State y = [x (dim_x x N, SoA), v (d x N, SoA)].
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#include "cs_cells.h"
#include "cs_invariants.h"

typedef struct cs_particles {
  unsigned d, dim_x;
  size_t N;
  double M, w, gamma, kappa, eps, K; /* K = kappa / eps^dim_x (all_to_all: gamma / V) */
  const kl_instance *psi;            /* the communication weight (kind comm_weight) */
  double psi_support;                /* its support radius, in units of eps */
  bool mean_field;                   /* psi constant (not integrable): O(N) through the mean */
  bool periodic;
  double box_lo[3], box_len[3], V;
  uint64_t seed;
  double *wts, *acc, *vs, *accs; /* vs, accs: velocities / accelerations in cell order */
  double *dvd[3];
  cs_cells cells;
  kl_instance *initial;
  const kl_params *params; /* the instance's own (for messages naming a key) */
  const char *names[8]; /* invariant columns (string literals) */
  size_t n_names;
} cs_particles;

static const kl_param_spec params[] = {
    {"d", KL_PARAM_INT, "1", 1, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "velocity dimension"},
    {"dim_x", KL_PARAM_INT, "1", 0, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "space dimension: 0 (homogeneous, psi: psi_all_to_all only) or d"},
    {"N", KL_PARAM_INT, "1000", 2, 0, KL_PARAM_HAS_MIN | KL_PARAM_COUNT, NULL, "1", "number of particles"},
    {"mass", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "total mass M (weights M/N); default: the initial data's total mass when they give it "
     "(cs_patch: mass, or value times the box volume; cs_gaussian: mass), else 1"},
    {"gamma", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN, NULL, "1",
     "kinetic coupling gamma = kappa int psi (default 1 unless kappa is given)"},
    {"kappa", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN, NULL, "1",
     "particle coupling kappa of (1.4) (alternative to gamma)"},
    {"epsilon", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_STEP_SIZE, NULL,
     "length",
     "interaction range (default from N eps^dim_x = 1)"},
    {"psi", KL_PARAM_PLUGIN, "{type: psi_indicator}", 0, 0, 0, "comm_weight", NULL,
     "communication weight psi(r), r in units of epsilon: a comm_weight plugin (psi_indicator, "
     "psi_bump, psi_power_law, psi_all_to_all, or your own)"},
    {"box_lo", KL_PARAM_REAL_LIST, "[0]", 0, 0, 0, NULL, "length",
     "lower corner of the space box (one value: all directions)"},
    {"box_hi", KL_PARAM_REAL_LIST, "[20]", 0, 0, 0, NULL, "length",
     "upper corner of the space box (one value: all directions)"},
    {"boundary", KL_PARAM_ENUM, "periodic", 0, 0, 0, "periodic|free", NULL,
     "periodic box, or free space (the box only bounds the sampling)"},
    {"seed", KL_PARAM_INT, "1", 0, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "seed of the sampling generator (xoshiro256**)"},
    KL_PARAM_END};

/* --------------------------------------------------------- xoshiro256** */
typedef struct rng {
  uint64_t s[4];
} rng;
static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t rng_next(rng *r) {
  uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
  return res;
}
static double rng_uniform(rng *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static void rng_seed(rng *r, uint64_t seed) {
  for (int k = 0; k < 4; k++) r->s[k] = splitmix64(&seed);
}

/* ------------------------------------------------------------- psi */
/* A psi that is not integrable is accepted only when it is a positive constant (the
 * all-to-all coupling): its value, checked from r = 0 to 1e6; NaN otherwise. */
static double constant_psi(const kl_instance *psi) {
  static const double r2[] = {0, 0.25, 1, 4, 100, 1e6, 1e12};
  double v[sizeof r2 / sizeof *r2];
  size_t n = sizeof r2 / sizeof *r2;
  kl_comm_weight_eval(psi, n, r2, v);
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[0]) return NAN;
  return v[0] > 0 && isfinite(v[0]) ? v[0] : NAN;
}

static void destroy(void *state) {
  cs_particles *s = state;
  if (!s) return;
  free(s->wts), free(s->acc), free(s->vs), free(s->accs);
  cs_cells_free(&s->cells);
  free(s);
}

static int read_box(const kl_params *p, const char *key, unsigned dim, double *out,
                    kl_error *err) {
  const double *vals;
  size_t n = kl_params_real_list(p, key, &vals);
  if (n != 1 && n != dim)
    return kl_params_error(err, KL_EINVAL, p, key, "expected 1 or %u values, found %zu", dim, n);
  for (unsigned k = 0; k < dim; k++) out[k] = vals[n == 1 ? 0 : k];
  return KL_OK;
}

static int create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  cs_particles *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  int rc = KL_OK;
  s->d = (unsigned)kl_params_int(p, "d");
  s->dim_x = (unsigned)kl_params_int(p, "dim_x");
  s->N = (size_t)kl_params_int(p, "N");
  s->initial = setup->initial;
  s->params = p;
  s->psi = kl_params_plugin(p, "psi");
  s->psi_support = kl_comm_weight_support(s->psi);
  const char *ps = kl_instance_name(s->psi);
  if (!(s->psi_support > 0)) {
    rc = kl_params_error(err, KL_EINVAL, p, "psi",
                         "'%s' declares the support radius %g: expected a positive radius (or "
                         "INFINITY) from its support() (a plugin bug)",
                         ps, s->psi_support);
    goto fail;
  }
  /* integrable in dim_x (dim 1 for dim_x = 0: only "constant or not" matters there) */
  double ipsi_unit = kl_comm_weight_integral(s->psi, s->dim_x ? s->dim_x : 1);
  double psi0 = NAN;
  /* a weight of integral <= 0 (a negative psi, or a plugin's integral() of the
   * wrong sign) turned kappa = gamma / int psi negative: anti-alignment, exit 0 */
  if (!isnan(ipsi_unit) && !(ipsi_unit > 0)) {
    rc = kl_params_error(err, KL_EINVAL, p, "psi",
                         "'%s' has int psi = %g in dimension %u: expected a positive integral "
                         "(a weight psi >= 0, not 0 everywhere; kinlab check-plugin tests it)",
                         ps, ipsi_unit, s->dim_x ? s->dim_x : 1);
    goto fail;
  }
  if (!isfinite(ipsi_unit)) {
    psi0 = constant_psi(s->psi);
    if (isnan(psi0)) {
      rc = kl_params_error(err, KL_EINVAL, p, "psi",
                           "'%s' is not integrable in dimension %u (int psi = %g) and not "
                           "constant: gamma = kappa int psi is undefined; use an integrable psi "
                           "(psi_power_law: beta > %g) or psi_all_to_all",
                           ps, s->dim_x ? s->dim_x : 1, ipsi_unit, 0.5 * (s->dim_x ? s->dim_x : 1));
      goto fail;
    }
    s->mean_field = true;
  }
  s->periodic = !strcmp(kl_params_string(p, "boundary"), "periodic");
  s->seed = (uint64_t)kl_params_int(p, "seed");
  if (s->dim_x != 0 && s->dim_x != s->d) {
    rc = kl_params_error(err, KL_EINVAL, p, "dim_x",
                         "expected 0 (homogeneous) or d = %u (x and v in R^d), found %u", s->d,
                         s->dim_x);
    goto fail;
  }
  if (s->dim_x == 0 && !s->mean_field) {
    rc = kl_params_error(err, KL_EINVAL, p, "psi",
                         "a spatially homogeneous run (dim_x = 0) needs a constant psi "
                         "(psi_all_to_all), found %s",
                         ps);
    goto fail;
  }
  s->V = 1;
  if (s->dim_x) {
    double hi[3];
    if ((rc = read_box(p, "box_lo", s->dim_x, s->box_lo, err)) ||
        (rc = read_box(p, "box_hi", s->dim_x, hi, err)))
      goto fail;
    for (unsigned k = 0; k < s->dim_x; k++) {
      s->box_len[k] = hi[k] - s->box_lo[k];
      if (!(s->box_len[k] > 0) || !isfinite(s->box_len[k])) {
        rc = kl_params_error(err, KL_EINVAL, p, "box_hi",
                             "expected box_hi > box_lo with a finite width");
        goto fail;
      }
      s->V *= s->box_len[k];
    }
  }
  if (s->mean_field && s->dim_x && !s->periodic) {
    rc = kl_params_error(err, KL_EINVAL, p, "boundary",
                         "psi: %s (constant) needs a periodic box (its volume defines gamma)", ps);
    goto fail;
  }
  /* total mass */
  s->M = 1;
  double initial_mass = NAN;
  bool initial_knows_mass = s->initial && kl_initial_mass(s->initial, &initial_mass) == KL_OK;
  if (kl_params_is_set(p, "mass")) {
    s->M = kl_params_real(p, "mass");
    /* The weights carry the model's mass; initial data of another mass would be
     * silently rescaled (diagnostics compare against the initial data's). */
    if (initial_knows_mass && initial_mass != s->M) {
      rc = kl_params_error(err, KL_EINVAL, p, "mass",
                           "%g differs from the mass %g of initial '%s' (the weights carry "
                           "this one); give the mass in one place",
                           s->M, initial_mass, kl_instance_name(s->initial));
      goto fail;
    }
  } else if (initial_knows_mass) {
    s->M = initial_mass;
    /* the initial data know their mass (cs_patch: mass, or value times the box volume) */
    if (!(s->M > 0) || !isfinite(s->M)) {
      rc = kl_params_error(err, KL_EINVAL, p, "mass",
                           "initial '%s' gives the total mass %g: expected a positive finite "
                           "mass (give it here)",
                           kl_instance_name(s->initial), s->M);
      goto fail;
    }
  }
  s->w = s->M / (double)s->N;
  s->eps = kl_params_is_set(p, "epsilon") ? kl_params_real(p, "epsilon")
           : s->dim_x ? pow((double)s->N, -1.0 / s->dim_x) : 1;
  if (kl_params_is_set(p, "gamma") && kl_params_is_set(p, "kappa")) {
    rc = kl_params_error(err, KL_EINVAL, p, "kappa", "give gamma or kappa, not both");
    goto fail;
  }
  double ipsi = s->mean_field ? psi0 * s->V / pow(s->eps, s->dim_x) : ipsi_unit;
  if (kl_params_is_set(p, "kappa")) s->kappa = kl_params_real(p, "kappa"), s->gamma = s->kappa * ipsi;
  else {
    s->gamma = kl_params_is_set(p, "gamma") ? kl_params_real(p, "gamma") : 1.0;
    s->kappa = s->gamma / ipsi;
  }
  s->K = s->mean_field ? s->gamma / s->V : s->kappa / pow(s->eps, s->dim_x);
  s->wts = malloc(s->N * sizeof *s->wts);
  s->acc = malloc(s->N * s->d * sizeof *s->acc);
  s->vs = malloc(s->N * s->d * sizeof *s->vs);
  s->accs = malloc(s->N * s->d * sizeof *s->accs);
  if (!s->wts || !s->acc || !s->vs || !s->accs) {
    rc = kl_params_error(err, KL_ENOMEM, p, "N",
                         "out of memory: N = %zu particles need %zu bytes; reduce N or raise "
                         "the memory limit",
                         s->N, (1 + 3 * (size_t)s->d) * s->N * sizeof *s->acc);
    goto fail;
  }
  for (size_t i = 0; i < s->N; i++) s->wts[i] = s->w;
  size_t q = cs_conserved_names(s->names, s->d);
  s->names[q++] = "velocity_radius";
  s->names[q++] = "gamma";
  s->n_names = q;
  *state = s;
  return KL_OK;
fail:
  destroy(s);
  return rc;
}

static size_t size(void *state) {
  cs_particles *s = state;
  return (s->dim_x + s->d) * s->N;
}

/* Rejection sampling from f0 in its support box (intersected with the space box). */
static int initial(void *state, double *t0, double *y, kl_error *err) {
  (void)t0;
  cs_particles *s = state;
  if (!s->initial) return kl_error_set(err, KL_EINVAL, "cs_particles: no initial data");
  double xl[3], xh[3], vl[3], vh[3];
  if (kl_initial_support(s->initial, xl, xh, vl, vh))
    return kl_error_set(err, KL_EINVAL,
                        "cs_particles: initial '%s' gives no support box to sample from",
                        kl_instance_name(s->initial));
  for (unsigned k = 0; k < s->dim_x; k++) {
    xl[k] = fmax(xl[k], s->box_lo[k]);
    xh[k] = fmin(xh[k], s->box_lo[k] + s->box_len[k]);
    if (!(xh[k] > xl[k]))
      return kl_params_error(err, KL_EINVAL, s->params, "box_hi",
                             "the support of f0 (initial '%s') misses the space box [box_lo, "
                             "box_hi] = [%g, %g] in x%u: move the initial data or widen the box",
                             kl_instance_name(s->initial), s->box_lo[k],
                             s->box_lo[k] + s->box_len[k], k + 1);
  }
  unsigned D = s->dim_x + s->d;
  double lo[6], hi[6];
  for (unsigned k = 0; k < s->dim_x; k++) lo[k] = xl[k], hi[k] = xh[k];
  for (unsigned k = 0; k < s->d; k++) lo[s->dim_x + k] = vl[k], hi[s->dim_x + k] = vh[k];
  /* bound of f0: max over a lattice of about 2e5 points, times 1.5 */
  unsigned per = (unsigned)floor(pow(2e5, 1.0 / D));
  if (per < 3) per = 3;
  size_t npts = 1;
  for (unsigned k = 0; k < D; k++) npts *= per;
  double fbound = 0, z[6];
  for (size_t pt = 0; pt < npts; pt++) {
    size_t r = pt;
    for (unsigned k = 0; k < D; k++) {
      z[k] = lo[k] + (hi[k] - lo[k]) * ((double)(r % per) + 0.5) / per;
      r /= per;
    }
    fbound = fmax(fbound, kl_initial_density(s->initial, s->dim_x ? z : NULL, z + s->dim_x));
  }
  if (!(fbound > 0))
    return kl_error_set(err, KL_EINVAL, "cs_particles: f0 vanishes on its support box");
  fbound *= 1.5;
  rng g;
  rng_seed(&g, s->seed);
  size_t N = s->N, tries = 0;
  for (size_t i = 0; i < N;) {
    if (++tries > 1000 * N + 1000000)
      return kl_error_set(err, KL_ELIMIT,
                          "cs_particles: rejection sampling accepted only %zu of %zu particles",
                          i, N);
    for (unsigned k = 0; k < D; k++) z[k] = lo[k] + (hi[k] - lo[k]) * rng_uniform(&g);
    double f = kl_initial_density(s->initial, s->dim_x ? z : NULL, z + s->dim_x);
    if (rng_uniform(&g) * fbound >= f) continue;
    for (unsigned k = 0; k < D; k++) y[k * N + i] = z[k];
    i++;
  }
  return KL_OK;
}

typedef struct pair_ctx {
  cs_particles *s;
  const double *v; /* d x N, SoA (original or cell order) */
  double *acc;     /* d x N, same order as v */
  double kw, inv_e2;
} pair_ctx;

static void pair_fn(void *ctx, size_t i, size_t j, const double *dx, double r2) {
  (void)dx;
  pair_ctx *c = ctx;
  const cs_particles *s = c->s;
  double q = r2 * c->inv_e2, psi;
  kl_comm_weight_eval(s->psi, 1, &q, &psi);
  double k = c->kw * psi;
  if (k == 0) return;
  size_t N = s->N;
  for (unsigned q = 0; q < s->d; q++) {
    double a = k * (c->v[q * N + j] - c->v[q * N + i]);
    c->acc[q * N + i] += a;
    c->acc[q * N + j] -= a;
  }
}

static int rhs(void *state, double t, const double *y, double *dydt, kl_error *err) {
  (void)t;
  cs_particles *s = state;
  size_t N = s->N;
  const double *x[3] = {NULL, NULL, NULL}, *v[3] = {NULL, NULL, NULL};
  for (unsigned k = 0; k < s->dim_x; k++) x[k] = y + k * N;
  for (unsigned k = 0; k < s->d; k++) v[k] = y + (s->dim_x + k) * N;
  /* dx/dt = v */
  for (unsigned k = 0; k < s->dim_x; k++) memcpy(dydt + k * N, v[k], N * sizeof *dydt);
  double *dv = dydt + s->dim_x * N;
  if (s->mean_field) {
    /* sum_j w (v_j - v_i) = M (vbar - v_i), O(N) */
    for (unsigned k = 0; k < s->d; k++) {
      double m = 0;
      for (size_t i = 0; i < N; i++) m += v[k][i];
      m /= (double)N;
      double c = s->K * s->M;
      for (size_t i = 0; i < N; i++) dv[k * N + i] = c * (m - v[k][i]);
    }
    return KL_OK;
  }
  /* cut-off eps R (R = 1 for the built-in compact weights; infinite: every pair) */
  if (cs_cells_build(&s->cells, s->dim_x, s->periodic, s->box_lo, s->box_len,
                     s->eps * s->psi_support, N, x))
    return kl_error_set(err, KL_ENOMEM, "cs_particles: out of memory for the cell lists");
  pair_ctx c = {s, y + s->dim_x * N, s->acc, s->K * s->w, 1 / (s->eps * s->eps)};
  if (s->cells.brute) { /* all pairs, original order */
    memset(s->acc, 0, N * s->d * sizeof *s->acc);
    cs_cells_for_pairs(&s->cells, x, pair_fn, &c);
    memcpy(dv, s->acc, N * s->d * sizeof *dv);
    return KL_OK;
  }
  /* Gather v into cell order, sum the pairs on contiguous data, scatter back: the pair
   * loop then touches memory in order (the particles' indices are random in x). */
  const size_t *ord = s->cells.order;
  for (unsigned k = 0; k < s->d; k++)
    for (size_t p = 0; p < N; p++) s->vs[k * N + p] = v[k][ord[p]];
  memset(s->accs, 0, N * s->d * sizeof *s->accs);
  c.v = s->vs, c.acc = s->accs;
  cs_cells_for_pairs_sorted(&s->cells, pair_fn, &c);
  for (unsigned k = 0; k < s->d; k++)
    for (size_t p = 0; p < N; p++) dv[k * N + ord[p]] = s->accs[k * N + p];
  return KL_OK;
}

static int view(void *state, const double *y, kl_view *v, kl_error *err) {
  (void)err;
  cs_particles *s = state;
  memset(v, 0, sizeof *v);
  v->kind = KL_VIEW_PARTICLES;
  v->dim_v = s->d;
  v->dim_x = s->dim_x;
  v->particles.n = s->N;
  for (unsigned k = 0; k < s->dim_x; k++) v->particles.x[k] = y + k * s->N;
  for (unsigned k = 0; k < s->d; k++) v->particles.v[k] = y + (s->dim_x + k) * s->N;
  v->particles.w = s->wts;
  return KL_OK;
}

static size_t invariant_names(void *state, const char *const **names) {
  cs_particles *s = state;
  *names = s->names;
  return s->n_names;
}

/* Weights are constant and every pair's contributions are equal and
 * opposite (all_to_all: sum_i w (vbar - v_i) = 0): mass and momentum to
 * round-off, whatever the boundary. */
static void conservation(void *state, kl_conservation *classes) {
  const cs_particles *s = state;
  cs_conservation(classes, s->d, true, true);
}

static int invariants(void *state, double t, const double *y, double *out, kl_error *err) {
  (void)t, (void)err;
  cs_particles *s = state;
  size_t N = s->N;
  double p[3] = {0, 0, 0}, e = 0;
  for (unsigned k = 0; k < s->d; k++) {
    const double *v = y + (s->dim_x + k) * N;
    for (size_t i = 0; i < N; i++) p[k] += v[i], e += v[i] * v[i];
  }
  double rmax = 0;
  for (size_t i = 0; i < N; i++) {
    double r2 = 0;
    for (unsigned k = 0; k < s->d; k++) {
      double a = y[(s->dim_x + k) * N + i] - p[k] / (double)N;
      r2 += a * a;
    }
    rmax = fmax(rmax, r2);
  }
  size_t q = 0;
  out[q++] = s->M;
  for (unsigned k = 0; k < s->d; k++) out[q++] = s->w * p[k];
  out[q++] = s->w * e;
  out[q++] = sqrt(rmax);
  out[q++] = s->gamma;
  return KL_OK;
}

static const kl_model_ops ops = {sizeof(kl_model_ops),
                                 size,
                                 initial,
                                 rhs,
                                 NULL,
                                 NULL,
                                 NULL,
                                 NULL,
                                 view,
                                 invariant_names,
                                 invariants,
                                 NULL,
                                 conservation};

static const kl_plugin_info info = {
    KL_PLUGIN_HEADER,
    KL_KIND_MODEL,
    "cs_particles",
    "rescaled Cucker-Smale particles (paper 004, (1.4)), N eps^d = 1, cell-list pair sums",
    params,
    &ops,
    create,
    destroy};

static const kl_plugin_info *const plugins[] = {&info, NULL};
KL_PLUGIN_MODULE(plugins)
