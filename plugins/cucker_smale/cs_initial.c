/* plugins/cucker_smale/cs_initial.c - initial data for the kinetic Cucker-Smale model
 * (paper 004, notes/cucker_smale.md).  Homogeneous (x ignored) when setup->dim_x == 0.
 *
 *   cs_patch     uniform on the box centre +- side/2 in (x, v) (x components first):
 *                the paper's Section 4 datum is the square of side 2 centred at (11, -0.3).
 *                The paper says "a uniform distribution", so the default is mass 1, i.e. the
 *                value 1/4 on the square; give `value: 1` for the other reading.
 *   cs_gaussian  mass * X(x) * N(mean, sigma^2 I)(v), X a probability density in x
 *                (indicator of [x_center - x_width/2, x_center + x_width/2], or a Gaussian of
 *                standard deviation x_width), or X == 1 (`x_profile: uniform`, mass per unit
 *                length).
 *
 * No exact(): the homogeneous solution f(t,v) = e^{gamma m d t} f0(vbar + e^{gamma m t}(v - vbar))
 * needs the model's gamma, which initial data do not know; the cs_exact_error diagnostic
 * (which sees the model and its parameters) evaluates it from f0 = density().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#define MAXD 4 /* x (at most 1) + v (at most 3) */

/* ================================================================ patch */
typedef struct patch_state {
  unsigned nd, dim_x, d;
  double lo[MAXD], hi[MAXD], value, mass;
} patch_state;

static const kl_param_spec patch_params[] = {
    {"center", KL_PARAM_REAL_LIST, NULL, 0, 0, KL_PARAM_OPTIONAL, NULL, "length, velocity",
     "centre of the box, x components (dim_x) then v components (d); default: x = 11, "
     "v = (-0.3, 0, 0) (the paper's Table 1 patch)"},
    {"side", KL_PARAM_REAL_LIST, "[2]", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "length, velocity", "side lengths (one value: a cube)"},
    {"mass", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "total mass (default 1 unless value is given)"},
    {"value", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "value of f0 on the box (alternative to mass)"},
    KL_PARAM_END};

static int patch_create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  if (setup->dim_x > 1)
    return kl_params_error(err, KL_EINVAL, p, "type",
                           "initial 'cs_patch' supports dim_x = 0 or 1, the model has dim_x = %u",
                           setup->dim_x);
  patch_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->dim_x = setup->dim_x, s->d = setup->dim_v, s->nd = s->dim_x + s->d;
  double c[MAXD] = {0};
  if (s->dim_x) c[0] = 11;
  c[s->dim_x] = -0.3;
  const double *vals;
  size_t n;
  if (kl_params_is_set(p, "center")) {
    n = kl_params_real_list(p, "center", &vals);
    if (n != s->nd) {
      unsigned nd = s->nd;
      free(s);
      return kl_params_error(err, KL_EINVAL, p, "center",
                             "expected %u values (dim_x = %u x components, then d = %u v "
                             "components), found %zu",
                             nd, setup->dim_x, setup->dim_v, n);
    }
    for (unsigned k = 0; k < s->nd; k++) c[k] = vals[k];
  }
  n = kl_params_real_list(p, "side", &vals);
  if (n != 1 && n != s->nd) {
    unsigned nd = s->nd;
    free(s);
    return kl_params_error(err, KL_EINVAL, p, "side", "expected 1 or %u values, found %zu",
                           nd, n);
  }
  double vol = 1;
  for (unsigned k = 0; k < s->nd; k++) {
    double h = vals[n == 1 ? 0 : k];
    s->lo[k] = c[k] - h / 2, s->hi[k] = c[k] + h / 2;
    vol *= h;
  }
  if (kl_params_is_set(p, "mass") && kl_params_is_set(p, "value")) {
    free(s);
    return kl_params_error(err, KL_EINVAL, p, "value", "give mass or value, not both");
  }
  if (kl_params_is_set(p, "value")) s->value = kl_params_real(p, "value"), s->mass = s->value * vol;
  else {
    s->mass = kl_params_is_set(p, "mass") ? kl_params_real(p, "mass") : 1.0;
    s->value = s->mass / vol;
  }
  *state = s;
  return KL_OK;
}

static double patch_density(void *state, const double *x, const double *v) {
  const patch_state *s = state;
  unsigned q = 0;
  if (s->dim_x) {
    if (!x || x[0] < s->lo[0] || x[0] > s->hi[0]) return 0;
    q = 1;
  }
  for (unsigned k = 0; k < s->d; k++)
    if (v[k] < s->lo[q + k] || v[k] > s->hi[q + k]) return 0;
  return s->value;
}

static int patch_support(void *state, double *x_lo, double *x_hi, double *v_lo, double *v_hi) {
  const patch_state *s = state;
  unsigned q = 0;
  if (s->dim_x) x_lo[0] = s->lo[0], x_hi[0] = s->hi[0], q = 1;
  for (unsigned k = 0; k < s->d; k++) v_lo[k] = s->lo[q + k], v_hi[k] = s->hi[q + k];
  return KL_OK;
}

static int patch_mass(void *state, double *mass) {
  *mass = ((const patch_state *)state)->mass;
  return KL_OK;
}

static const kl_initial_ops patch_ops = {sizeof(kl_initial_ops), patch_density, NULL, NULL,
                                         patch_support, patch_mass, NULL};

static const kl_plugin_info patch_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_INITIAL,
    "cs_patch",
    "uniform density on a box in (x, v) (paper 004, Section 4: side 2 at (11, -0.3), mass 1)",
    patch_params,
    &patch_ops,
    patch_create,
    free};

/* ============================================================= gaussian */
typedef struct gauss_state {
  unsigned dim_x, d;
  int xprof; /* 0 uniform, 1 indicator, 2 gaussian */
  double mass, mean[3], sigma, xc, xw;
} gauss_state;

static const kl_param_spec gauss_params[] = {
    {"mass", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "total mass (per unit length for x_profile: uniform)"},
    {"mean", KL_PARAM_REAL_LIST, "[0]", 0, 0, 0, NULL, "velocity",
     "mean velocity (missing trailing components are 0)"},
    {"sigma", KL_PARAM_REAL, "0.5", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity", "standard deviation of each velocity component"},
    {"x_profile", KL_PARAM_ENUM, "indicator", 0, 0, 0, "uniform|indicator|gaussian", NULL,
     "space profile when dim_x = 1"},
    {"x_center", KL_PARAM_REAL, "10", 0, 0, 0, NULL, "length", "centre of the space profile"},
    {"x_width", KL_PARAM_REAL, "2", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "length", "width of the indicator, or standard deviation of the Gaussian in x"},
    KL_PARAM_END};

static int gauss_create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  if (setup->dim_x > 1)
    return kl_params_error(err, KL_EINVAL, p, "type",
                           "initial 'cs_gaussian' supports dim_x = 0 or 1, the model has dim_x = %u",
                           setup->dim_x);
  gauss_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->dim_x = setup->dim_x, s->d = setup->dim_v;
  s->mass = kl_params_real(p, "mass");
  s->sigma = kl_params_real(p, "sigma");
  /* The density's peak mass (2 pi sigma^2)^(-d/2) must be a finite double:
   * beyond, every cell or sample of f0 is NaN or Inf. */
  double peak = s->mass * pow(2 * M_PI * s->sigma * s->sigma, -0.5 * s->d);
  if (!(s->sigma * s->sigma > 0) || !isfinite(s->sigma * s->sigma) || !isfinite(peak)) {
    double sigma = s->sigma;
    free(s);
    return kl_params_error(err, KL_EINVAL, p, "sigma",
                           "expected a sigma whose density peak mass (2 pi sigma^2)^(-d/2) "
                           "(d = %u) is a finite double, found %g",
                           setup->dim_v, sigma);
  }
  const double *vals;
  size_t n = kl_params_real_list(p, "mean", &vals);
  if (n > s->d) {
    free(s);
    return kl_params_error(err, KL_EINVAL, p, "mean",
                           "expected at most d = %u components, found %zu", setup->dim_v, n);
  }
  for (unsigned k = 0; k < 3; k++) s->mean[k] = k < n ? vals[k] : 0;
  const char *xp = kl_params_string(p, "x_profile");
  s->xprof = !strcmp(xp, "uniform") ? 0 : !strcmp(xp, "indicator") ? 1 : 2;
  s->xc = kl_params_real(p, "x_center");
  s->xw = kl_params_real(p, "x_width");
  *state = s;
  return KL_OK;
}

static double gauss_density(void *state, const double *x, const double *v) {
  const gauss_state *s = state;
  double r2 = 0;
  for (unsigned k = 0; k < s->d; k++) r2 += (v[k] - s->mean[k]) * (v[k] - s->mean[k]);
  double norm = pow(2 * M_PI * s->sigma * s->sigma, -0.5 * s->d);
  double f = s->mass * norm * exp(-r2 / (2 * s->sigma * s->sigma));
  if (s->dim_x && x) {
    if (s->xprof == 1) f *= fabs(x[0] - s->xc) <= s->xw / 2 ? 1 / s->xw : 0;
    else if (s->xprof == 2)
      f *= exp(-(x[0] - s->xc) * (x[0] - s->xc) / (2 * s->xw * s->xw)) / (sqrt(2 * M_PI) * s->xw);
  }
  return f;
}

static int gauss_support(void *state, double *x_lo, double *x_hi, double *v_lo, double *v_hi) {
  const gauss_state *s = state;
  /* exp(-r^2/2) < 1.3e-14 beyond 8 standard deviations */
  if (s->dim_x) {
    if (s->xprof == 0) x_lo[0] = -HUGE_VAL, x_hi[0] = HUGE_VAL;
    else {
      double h = s->xprof == 1 ? s->xw / 2 : 8 * s->xw;
      x_lo[0] = s->xc - h, x_hi[0] = s->xc + h;
    }
  }
  for (unsigned k = 0; k < s->d; k++)
    v_lo[k] = s->mean[k] - 8 * s->sigma, v_hi[k] = s->mean[k] + 8 * s->sigma;
  return KL_OK;
}

/* Per unit length of x for x_profile: uniform. */
static int gauss_mass(void *state, double *mass) {
  *mass = ((const gauss_state *)state)->mass;
  return KL_OK;
}

static const kl_initial_ops gauss_ops = {sizeof(kl_initial_ops), gauss_density, NULL, NULL,
                                         gauss_support, gauss_mass, NULL};

static const kl_plugin_info gauss_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_INITIAL,
    "cs_gaussian",
    "Gaussian in v (mass, mean, sigma), times an indicator/Gaussian/uniform profile in x",
    gauss_params,
    &gauss_ops,
    gauss_create,
    free};

static const kl_plugin_info *const plugins[] = {&patch_info, &gauss_info, NULL};
KL_PLUGIN_MODULE(plugins)
