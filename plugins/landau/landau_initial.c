/* plugins/landau/landau_initial.c - initial data for the homogeneous Landau
 * equation (notes/landau.md, notes/validation.md).  Velocity-only (dim_x = 0):
 * x is ignored.
 *
 *   bkw          BKW exact solution for Maxwell molecules, d = 2 (A = (1/16)(|z|^2 I - z z))
 *                or d = 3 (A = (1/24)(...)); exact(t) and start_time = t0.
 *   maxwellian   mass (2 pi T)^{-d/2} exp(-|v-u|^2/(2T)); stationary, so exact(t) = f0.
 *   bimaxwellian w1 N(u1, T1) + w2 N(u2, T2), T_k = temperature_k I or, with
 *                temperatures_k, diag(T_k) (anisotropic: T_par != T_perp); default:
 *                the 2-D Coulomb test (equal mix of N((3,1)/sqrt2, I) and
 *                N((-1,1)/sqrt2, I)).  Its exact_parameter() gives the mixture
 *                ("mixture_count", "mixture_<k>_weight", "mixture_<k>_mean_<a>",
 *                "mixture_<k>_temperature_<a>"), from which the diagnostic
 *                second_moment_rate computes the exact rate dP/dt at t0.
 *   rosenbluth   (1/S^2) exp(-S (|v| - sigma)^2 / sigma^2), sigma = 0.3, S = 10 (CHWW).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

static double norm2(unsigned d, const double *v) {
  double s = 0;
  for (unsigned k = 0; k < d; k++) s += v[k] * v[k];
  return s;
}

static int need_dim(const kl_setup *setup, const char *name, unsigned lo, unsigned hi,
                    kl_error *err) {
  /* The model's dimension is not a key of this table: name the choice of
   * initial data (initial.type), which does not fit it. */
  if (setup->dim_x != 0)
    return kl_params_error(err, KL_EINVAL, setup->params, "type",
                           "initial '%s' is spatially homogeneous data only, but the model has "
                           "dim_x = %u",
                           name, setup->dim_x);
  if (setup->dim_v < lo || setup->dim_v > hi)
    return kl_params_error(err, KL_EINVAL, setup->params, "type",
                           "initial '%s' supports velocity dimension d = %u%s%u, the model has "
                           "d = %u",
                           name, lo, hi == lo + 1 ? " or " : " to ", hi, setup->dim_v);
  return KL_OK;
}

/* ================================================================== BKW */
typedef struct bkw_state {
  unsigned d;
  double t0;
} bkw_state;

static const kl_param_spec bkw_params[] = {
    {"t0", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_OPTIONAL, NULL, "time",
     "time at which the BKW solution is sampled as f0 (default 0 in 2-D, 5.5 in 3-D; "
     "3-D needs K(t0) = 1 - exp(-t0/6) > 3/5, i.e. t0 > 6 log(5/2) = 5.4977)"},
    KL_PARAM_END};

static double bkw_K(unsigned d, double t) {
  return d == 2 ? 1.0 - 0.5 * exp(-t / 8.0) : 1.0 - exp(-t / 6.0);
}

static double bkw_f(unsigned d, double t, const double *v) {
  double K = bkw_K(d, t), r2 = norm2(d, v);
  if (d == 2)
    return exp(-r2 / (2 * K)) / (2 * M_PI * K) *
           ((2 * K - 1) / K + (1 - K) / (2 * K * K) * r2);
  return pow(2 * M_PI * K, -1.5) * exp(-r2 / (2 * K)) *
         ((5 * K - 3) / (2 * K) + (1 - K) / (2 * K * K) * r2);
}

static int bkw_create(const kl_setup *setup, void **state, kl_error *err) {
  int rc = need_dim(setup, "bkw", 2, 3, err);
  if (rc) return rc;
  const kl_params *p = setup->params;
  double t0 = kl_params_is_set(p, "t0") ? kl_params_real(p, "t0") : setup->dim_v == 2 ? 0 : 5.5;
  if (setup->dim_v == 3 && !(bkw_K(3, t0) > 0.6))
    return kl_params_error(err, KL_EINVAL, p, "t0",
                           "the 3-D BKW solution is a density only when K(t0) = 1 - "
                           "exp(-t0/6) > 3/5, i.e. t0 > %.6f; found t0 = %g (K = %.6f)",
                           6 * log(2.5), t0, bkw_K(3, t0));
  bkw_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = setup->dim_v;
  s->t0 = t0;
  *state = s;
  return KL_OK;
}

static double bkw_density(void *state, const double *x, const double *v) {
  (void)x;
  const bkw_state *s = state;
  return bkw_f(s->d, s->t0, v);
}

static int bkw_exact(void *state, double t, const double *x, const double *v, double *f) {
  (void)x;
  const bkw_state *s = state;
  if (!(t >= s->t0 - 1e-12 * (1 + s->t0))) return KL_ENOTSUP;
  *f = bkw_f(s->d, t, v);
  return KL_OK;
}

static double bkw_start_time(void *state) { return ((const bkw_state *)state)->t0; }

static int bkw_support(void *state, double *x_lo, double *x_hi, double *v_lo, double *v_hi) {
  (void)x_lo, (void)x_hi;
  const bkw_state *s = state;
  /* f <= (poly) exp(-|v|^2/(2K)), K <= 1: below 1e-7 of its peak beyond |v| = 6. */
  for (unsigned k = 0; k < s->d; k++) v_lo[k] = -6.0, v_hi[k] = 6.0;
  return KL_OK;
}

/* The Landau equation BKW solves: Maxwell molecules, phi(r) = C with
 * C = 1/16 in 2-D, 1/24 in 3-D (notes/landau.md). */
static int bkw_exact_parameter(void *state, const char *name, double *value) {
  const bkw_state *s = state;
  if (!strcmp(name, "landau_gamma")) *value = 0.0;
  else if (!strcmp(name, "landau_C")) *value = s->d == 2 ? 1.0 / 16 : 1.0 / 24;
  else return KL_ENOTSUP;
  return KL_OK;
}

static const kl_initial_ops bkw_ops = {sizeof(kl_initial_ops), bkw_density, bkw_exact,
                                       bkw_start_time, bkw_support, NULL, bkw_exact_parameter};

static const kl_plugin_info bkw_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_INITIAL,
    "bkw",
    "BKW exact solution of the Landau equation for Maxwell molecules (d = 2 or 3)",
    bkw_params,
    &bkw_ops,
    bkw_create,
    free};

/* ============================================================ Maxwellians */
/* Reads a velocity list of length 1..d; missing trailing components are 0. */
static int read_velocity(const kl_params *p, const char *key, unsigned d, double *u,
                         kl_error *err) {
  const double *vals;
  size_t n = kl_params_real_list(p, key, &vals);
  if (n > d)
    return kl_params_error(err, KL_EINVAL, p, key,
                           "expected a velocity with at most d = %u components, found %zu", d,
                           n);
  for (unsigned k = 0; k < 3; k++) u[k] = k < n ? vals[k] : 0.0;
  return KL_OK;
}

static double gauss(unsigned d, double T, const double *u, const double *v) {
  double r2 = 0;
  for (unsigned k = 0; k < d; k++) r2 += (v[k] - u[k]) * (v[k] - u[k]);
  double c = 1.0 / (2 * M_PI * T);
  double norm = d == 1 ? sqrt(c) : d == 2 ? c : c * sqrt(c);
  return norm * exp(-r2 / (2 * T));
}

/* N(u, diag(T)) */
static double gauss_diagonal(unsigned d, const double *T, const double *u, const double *v) {
  double e = 0, norm = 1;
  for (unsigned k = 0; k < d; k++) {
    e += (v[k] - u[k]) * (v[k] - u[k]) / T[k];
    norm /= sqrt(2 * M_PI * T[k]);
  }
  return norm * exp(-0.5 * e);
}

typedef struct maxwellian_state {
  unsigned d;
  double mass, T, u[3];
} maxwellian_state;

static const kl_param_spec maxwellian_params[] = {
    {"mass", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "total mass"},
    {"mean", KL_PARAM_REAL_LIST, "[0]", 0, 0, 0, NULL, "velocity",
     "mean velocity (up to d components; missing ones are 0)"},
    {"temperature", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity^2", "temperature T (variance of each velocity component)"},
    KL_PARAM_END};

static int maxwellian_create(const kl_setup *setup, void **state, kl_error *err) {
  int rc = need_dim(setup, "maxwellian", 1, 3, err);
  if (rc) return rc;
  maxwellian_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = setup->dim_v;
  s->mass = kl_params_real(setup->params, "mass");
  s->T = kl_params_real(setup->params, "temperature");
  rc = read_velocity(setup->params, "mean", s->d, s->u, err);
  if (rc) {
    free(s);
    return rc;
  }
  *state = s;
  return KL_OK;
}

static double maxwellian_density(void *state, const double *x, const double *v) {
  (void)x;
  const maxwellian_state *s = state;
  return s->mass * gauss(s->d, s->T, s->u, v);
}

static int maxwellian_exact(void *state, double t, const double *x, const double *v,
                            double *f) {
  (void)t;
  *f = maxwellian_density(state, x, v); /* an equilibrium of every Landau kernel */
  return KL_OK;
}

static int maxwellian_support(void *state, double *x_lo, double *x_hi, double *v_lo,
                              double *v_hi) {
  (void)x_lo, (void)x_hi;
  const maxwellian_state *s = state;
  double r = 6.0 * sqrt(s->T);
  for (unsigned k = 0; k < s->d; k++) v_lo[k] = s->u[k] - r, v_hi[k] = s->u[k] + r;
  return KL_OK;
}

static const kl_initial_ops maxwellian_ops = {sizeof(kl_initial_ops), maxwellian_density,
                                              maxwellian_exact, NULL, maxwellian_support, NULL, NULL};

static const kl_plugin_info maxwellian_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_INITIAL,
    "maxwellian",
    "Maxwellian mass N(mean, T I); an equilibrium (exact solution f(t) = f0)",
    maxwellian_params,
    &maxwellian_ops,
    maxwellian_create,
    free};

typedef struct bimaxwellian_state {
  unsigned d;
  double w[2], T[2][3], u[2][3];
  bool isotropic[2]; /* T_k = temperature_k I: the isotropic formula, as before */
} bimaxwellian_state;

static const kl_param_spec bimaxwellian_params[] = {
    {"mean1", KL_PARAM_REAL_LIST, "[2.1213203435596424, 0.7071067811865476]", 0, 0, 0, NULL,
     "velocity", "mean velocity of the first Maxwellian (default (3,1)/sqrt2; missing "
     "components are 0)"},
    {"mean2", KL_PARAM_REAL_LIST, "[-0.7071067811865476, 0.7071067811865476]", 0, 0, 0, NULL,
     "velocity", "mean velocity of the second Maxwellian (default (-1,1)/sqrt2)"},
    {"temperature1", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity^2", "temperature of the first Maxwellian"},
    {"temperature2", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity^2", "temperature of the second Maxwellian"},
    {"weight1", KL_PARAM_REAL, "0.5", 0, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "mass of the first Maxwellian"},
    {"weight2", KL_PARAM_REAL, "0.5", 0, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "mass of the second Maxwellian"},
    {"temperatures1", KL_PARAM_REAL_LIST, NULL, 0, 0, KL_PARAM_OPTIONAL, NULL, "velocity^2",
     "temperature of the first Maxwellian per velocity component (d values > 0; an "
     "anisotropic Maxwellian, T_par != T_perp); replaces temperature1"},
    {"temperatures2", KL_PARAM_REAL_LIST, NULL, 0, 0, KL_PARAM_OPTIONAL, NULL, "velocity^2",
     "temperature of the second Maxwellian per velocity component; replaces temperature2"},
    KL_PARAM_END};

/* temperatures_k (d values > 0) or temperature_k for every component */
static int read_temperatures(const kl_params *p, const char *list_key, const char *key,
                             unsigned d, double *T, kl_error *err) {
  if (!kl_params_is_set(p, list_key)) {
    for (unsigned a = 0; a < 3; a++) T[a] = kl_params_real(p, key);
    return KL_OK;
  }
  if (kl_params_is_set(p, key))
    return kl_params_error(err, KL_EINVAL, p, list_key,
                           "give either %s or %s, not both", key, list_key);
  const double *vals;
  const size_t n = kl_params_real_list(p, list_key, &vals);
  if (n != d)
    return kl_params_error(err, KL_EINVAL, p, list_key,
                           "expected d = %u temperatures (one per velocity component), found %zu",
                           d, n);
  for (unsigned a = 0; a < d; a++) {
    if (!(vals[a] > 0) || !isfinite(vals[a]))
      return kl_params_error(err, KL_EINVAL, p, list_key,
                             "expected temperatures > 0, found %g (component %u)", vals[a], a);
    T[a] = vals[a];
  }
  for (unsigned a = d; a < 3; a++) T[a] = 1;
  return KL_OK;
}

static int bimaxwellian_create(const kl_setup *setup, void **state, kl_error *err) {
  int rc = need_dim(setup, "bimaxwellian", 1, 3, err);
  if (rc) return rc;
  const kl_params *p = setup->params;
  bimaxwellian_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = setup->dim_v;
  s->w[0] = kl_params_real(p, "weight1");
  s->w[1] = kl_params_real(p, "weight2");
  rc = read_temperatures(p, "temperatures1", "temperature1", s->d, s->T[0], err);
  if (!rc) rc = read_temperatures(p, "temperatures2", "temperature2", s->d, s->T[1], err);
  s->isotropic[0] = !kl_params_is_set(p, "temperatures1");
  s->isotropic[1] = !kl_params_is_set(p, "temperatures2");
  if (!rc) rc = read_velocity(p, "mean1", s->d, s->u[0], err);
  if (!rc) rc = read_velocity(p, "mean2", s->d, s->u[1], err);
  if (!rc && !(s->w[0] + s->w[1] > 0))
    rc = kl_params_error(err, KL_EINVAL, p, "weight2",
                         "expected weight1 + weight2 > 0, found both 0");
  if (rc) {
    free(s);
    return rc;
  }
  *state = s;
  return KL_OK;
}

static double bimaxwellian_density(void *state, const double *x, const double *v) {
  (void)x;
  const bimaxwellian_state *s = state;
  double f = 0;
  for (int k = 0; k < 2; k++)
    f += s->w[k] * (s->isotropic[k] ? gauss(s->d, s->T[k][0], s->u[k], v)
                                    : gauss_diagonal(s->d, s->T[k], s->u[k], v));
  return f;
}

static int bimaxwellian_exact_parameter(void *state, const char *name, double *value) {
  const bimaxwellian_state *s = state;
  if (!strcmp(name, "mixture_count")) {
    *value = 2;
    return KL_OK;
  }
  unsigned k, a;
  int end = 0;
  if (sscanf(name, "mixture_%u_weight%n", &k, &end) == 1 && name[end] == 0 && k < 2) {
    *value = s->w[k];
    return KL_OK;
  }
  end = 0;
  if (sscanf(name, "mixture_%u_mean_%u%n", &k, &a, &end) == 2 && name[end] == 0 && k < 2 &&
      a < s->d) {
    *value = s->u[k][a];
    return KL_OK;
  }
  end = 0;
  if (sscanf(name, "mixture_%u_temperature_%u%n", &k, &a, &end) == 2 && name[end] == 0 &&
      k < 2 && a < s->d) {
    *value = s->T[k][a];
    return KL_OK;
  }
  return KL_ENOTSUP;
}

static int bimaxwellian_support(void *state, double *x_lo, double *x_hi, double *v_lo,
                                double *v_hi) {
  (void)x_lo, (void)x_hi;
  const bimaxwellian_state *s = state;
  for (unsigned k = 0; k < s->d; k++) {
    double a = s->u[0][k] - 6 * sqrt(s->T[0][k]), b = s->u[1][k] - 6 * sqrt(s->T[1][k]);
    double c = s->u[0][k] + 6 * sqrt(s->T[0][k]), e = s->u[1][k] + 6 * sqrt(s->T[1][k]);
    v_lo[k] = a < b ? a : b;
    v_hi[k] = c > e ? c : e;
  }
  return KL_OK;
}

static const kl_initial_ops bimaxwellian_ops = {sizeof(kl_initial_ops), bimaxwellian_density,
                                                NULL, NULL, bimaxwellian_support, NULL,
                                                bimaxwellian_exact_parameter};

static const kl_plugin_info bimaxwellian_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_INITIAL,
    "bimaxwellian",
    "sum of two shifted Maxwellians (default: the 2-D Coulomb test of CHWW)",
    bimaxwellian_params,
    &bimaxwellian_ops,
    bimaxwellian_create,
    free};

/* ============================================================ Rosenbluth */
typedef struct rosenbluth_state {
  unsigned d;
  double sigma, S;
} rosenbluth_state;

static const kl_param_spec rosenbluth_params[] = {
    {"sigma", KL_PARAM_REAL, "0.3", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity", "radius sigma of the shell"},
    {"S", KL_PARAM_REAL, "10", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "sharpness S: f0 = (1/S^2) exp(-S (|v| - sigma)^2 / sigma^2)"},
    KL_PARAM_END};

static int rosenbluth_create(const kl_setup *setup, void **state, kl_error *err) {
  int rc = need_dim(setup, "rosenbluth", 2, 3, err);
  if (rc) return rc;
  rosenbluth_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = setup->dim_v;
  s->sigma = kl_params_real(setup->params, "sigma");
  s->S = kl_params_real(setup->params, "S");
  /* f0 divides by sigma^2 and S^2: both must be finite, nonzero doubles, or
   * every value of f0 is NaN, Inf or 0. */
  const char *bad = !(s->sigma * s->sigma > 0) || !isfinite(s->sigma * s->sigma) ? "sigma"
                    : !(s->S * s->S > 0) || !isfinite(s->S * s->S)               ? "S"
                                                                                 : NULL;
  if (bad) {
    double v = kl_params_real(setup->params, bad);
    free(s);
    return kl_params_error(err, KL_EINVAL, setup->params, bad,
                           "expected %s whose square is a finite, nonzero double (about 1e-154 "
                           "to 1e154), found %g",
                           bad, v);
  }
  *state = s;
  return KL_OK;
}

static double rosenbluth_density(void *state, const double *x, const double *v) {
  (void)x;
  const rosenbluth_state *s = state;
  double r = sqrt(norm2(s->d, v)) - s->sigma;
  return exp(-s->S * r * r / (s->sigma * s->sigma)) / (s->S * s->S);
}

static int rosenbluth_support(void *state, double *x_lo, double *x_hi, double *v_lo,
                              double *v_hi) {
  (void)x_lo, (void)x_hi;
  const rosenbluth_state *s = state;
  /* exp(-S r^2/sigma^2) < e^-36 beyond r = 6 sigma / sqrt(S); the relaxed
   * Maxwellian has T = O(sigma^2), so leave room: radius 2 sigma + that. */
  double R = 2 * s->sigma + 6 * s->sigma / sqrt(s->S);
  for (unsigned k = 0; k < s->d; k++) v_lo[k] = -R, v_hi[k] = R;
  return KL_OK;
}

static const kl_initial_ops rosenbluth_ops = {sizeof(kl_initial_ops), rosenbluth_density, NULL,
                                              NULL, rosenbluth_support, NULL, NULL};

static const kl_plugin_info rosenbluth_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_INITIAL,
    "rosenbluth",
    "Rosenbluth shell (1/S^2) exp(-S(|v|-sigma)^2/sigma^2) (Coulomb relaxation test)",
    rosenbluth_params,
    &rosenbluth_ops,
    rosenbluth_create,
    free};

static const kl_plugin_info *const plugins[] = {&bkw_info, &maxwellian_info,
                                                &bimaxwellian_info, &rosenbluth_info, NULL};
KL_PLUGIN_MODULE(plugins)
