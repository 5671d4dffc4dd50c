/* nonconforming.c - plugins that load (they keep every host rule) but break
 * the contract of their kind in one way each, for `kinlab check-plugin`
 * (tests/check_plugin.sh): each must fail the check named beside it, and the
 * control `conforming_gaussian` must pass every check.
 *
 *   conforming_gaussian   a correct Gaussian mollifier (variance scaling)
 *   unnormalised          int G = 1.01                       -> integral
 *   wrong_gradient        grad factor twice the true one      -> gradient
 *   lying_width           width 2 eps, the variance is eps    -> width
 *   short_cutoff          cutoff(rtol) = sqrt(eps)            -> cutoff
 *   racy_gaussian         profile through a static scratch    -> thread safety (by chance)
 *   negative_kernel       phi = -1/r^3: A(z) not PSD          -> positive semi-definite
 *   wrong_power_law       phi = r^-2 declared as r^-3         -> power_law gamma
 *   euler_as_rk4          explicit Euler declaring order 4    -> observed order
 *   bad_default           default -1 for a parameter >= 0     -> schema (and every create)
 *   negative_psi          psi = -1 for r < 1                  -> psi >= 0
 *   leaky_psi             support 1 declared, psi = 1 to r = 2 -> support honoured
 *   asymmetric_psi        psi reads its batch position        -> distance only (symmetric)
 *   wrong_integral_psi    the indicator declaring int = 2 |B| -> declared integral
 */
#include <math.h>
#include <string.h>

#include <kinlab/kinlab.h>

/* ------------------------------------------------------------ mollifiers */
/* Which way each mollifier is broken: its state is a pointer to one of these. */
enum { CORRECT, UNNORMALISED, WRONG_GRADIENT, LYING_WIDTH, SHORT_CUTOFF, RACY };
static const int breaks[] = {CORRECT, UNNORMALISED, WRONG_GRADIENT, LYING_WIDTH, SHORT_CUTOFF,
                             RACY};

static int mollifier_create(const kl_setup *setup, void **state, kl_error *err, int which) {
  (void)setup, (void)err;
  *state = (void *)&breaks[which];
  return KL_OK;
}
#define CREATE(NAME, WHICH)                                                                    \
  static int create_##NAME(const kl_setup *setup, void **state, kl_error *err) {               \
    return mollifier_create(setup, state, err, WHICH);                                         \
  }
CREATE(correct, CORRECT)
CREATE(unnormalised, UNNORMALISED)
CREATE(wrong_gradient, WRONG_GRADIENT)
CREATE(lying_width, LYING_WIDTH)
CREATE(short_cutoff, SHORT_CUTOFF)
CREATE(racy, RACY)

/* G = (2 pi eps)^{-d/2} exp(-r^2 / (2 eps)), grad G = -(G / eps) z. */
static void profile(void *state, unsigned d, double eps, size_t n, const double *r2,
                    double *value, double *grad_factor) {
  int which = *(const int *)state;
  static double scratch[4096]; /* the RACY bug: scratch shared by every thread */
  double norm = pow(2 * M_PI * eps, -0.5 * d) * (which == UNNORMALISED ? 1.01 : 1);
  for (size_t i0 = 0; i0 < n; i0 += 4096) {
    size_t m = n - i0 < 4096 ? n - i0 : 4096;
    for (size_t i = 0; i < m; i++) {
      double g = norm * exp(-r2[i0 + i] / (2 * eps));
      if (which == RACY) scratch[i] = g;
      if (value) value[i0 + i] = g;
      if (grad_factor) grad_factor[i0 + i] = -(which == WRONG_GRADIENT ? 2 : 1) * g / eps;
    }
    if (which == RACY)
      for (size_t i = 0; i < m; i++) {
        if (value) value[i0 + i] = scratch[i];
        if (grad_factor) grad_factor[i0 + i] = -scratch[i] / eps;
      }
  }
}

/* A generous radius: sqrt(eps (2 ln(1/rtol) + 4 d + 10)) bounds the chi_d tail
 * of the mass and of |grad G| (one power of r more) by rtol. */
static double cutoff(void *state, unsigned d, double eps, double rtol) {
  if (*(const int *)state == SHORT_CUTOFF) return sqrt(eps);
  return sqrt(eps * (2 * log(1 / rtol) + 4.0 * d + 10));
}

static double width(void *state, unsigned d, double eps) {
  (void)d;
  return *(const int *)state == LYING_WIDTH ? 2 * eps : eps;
}

static const kl_mollifier_ops mollifier_ops = {sizeof(kl_mollifier_ops), profile, cutoff, NULL,
                                               width};

#define MOLLIFIER(NAME, CREATE_FN, SUMMARY)                                                    \
  static const kl_plugin_info NAME##_info = {KL_PLUGIN_HEADER, KL_KIND_MOLLIFIER, #NAME, SUMMARY, \
                                             NULL, &mollifier_ops, CREATE_FN, NULL};
MOLLIFIER(conforming_gaussian, create_correct, "a correct Gaussian (control)")
MOLLIFIER(unnormalised, create_unnormalised, "integral 1.01")
MOLLIFIER(wrong_gradient, create_wrong_gradient, "gradient twice the true one")
MOLLIFIER(lying_width, create_lying_width, "declares width 2 eps")
MOLLIFIER(short_cutoff, create_short_cutoff, "cutoff far inside the tail bound")
MOLLIFIER(racy_gaussian, create_racy, "profile through a static scratch buffer")

static const kl_param_spec bad_default_params[] = {
    {"spread", KL_PARAM_REAL, "-1", 0, 0, KL_PARAM_HAS_MIN, NULL, "1", "a default below its minimum"},
    KL_PARAM_END};
static const kl_plugin_info bad_default_info = {
    KL_PLUGIN_HEADER, KL_KIND_MOLLIFIER, "bad_default", "a default its own schema refuses",
    bad_default_params, &mollifier_ops, create_correct, NULL};

/* ------------------------------------------------------------ kernels */
static void negative_weight(void *state, size_t n, const double *r2, double *phi) {
  (void)state;
  for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? -1 / (r2[i] * sqrt(r2[i])) : 0;
}

static void inverse_square_weight(void *state, size_t n, const double *r2, double *phi) {
  (void)state;
  for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? 1 / r2[i] : 0;
}

static int claims_coulomb(void *state, double *C, double *gamma) {
  (void)state;
  *C = 1, *gamma = -3;
  return KL_OK;
}

static const kl_kernel_ops negative_ops = {sizeof(kl_kernel_ops), negative_weight, NULL, NULL,
                                           NULL};
static const kl_kernel_ops wrong_power_law_ops = {sizeof(kl_kernel_ops), inverse_square_weight,
                                                  NULL, NULL, claims_coulomb};
static const kl_plugin_info negative_kernel_info = {
    KL_PLUGIN_HEADER, KL_KIND_KERNEL, "negative_kernel", "phi = -1/r^3", NULL, &negative_ops,
    NULL, NULL};
static const kl_plugin_info wrong_power_law_info = {
    KL_PLUGIN_HEADER, KL_KIND_KERNEL, "wrong_power_law", "phi = 1/r^2 declared as 1/r^3", NULL,
    &wrong_power_law_ops, NULL, NULL};

/* ------------------------------------------------------------ integrator */
static unsigned claims_four(void *state) {
  (void)state;
  return 4;
}

static int euler_step(void *state, const kl_system *sys, double *t, double *dt, double t_limit,
                      double *y, kl_step_stats *stats, kl_error *err) {
  (void)state;
  double h = *dt < t_limit - *t ? *dt : t_limit - *t, f[64];
  if (sys->n > 64) return kl_error_set(err, KL_EINVAL, "euler_as_rk4: at most 64 unknowns");
  int rc = sys->rhs(sys->ctx, *t, y, f, err);
  if (rc) return rc;
  for (size_t i = 0; i < sys->n; i++) y[i] += h * f[i];
  *t = h == t_limit - *t ? t_limit : *t + h;
  stats->accepted++, stats->rhs_evals++;
  return KL_OK;
}

static const kl_param_spec euler_params[] = {
    {"dt", KL_PARAM_REAL, "0.01", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "time",
     "time step"},
    KL_PARAM_END};
static const kl_integrator_ops euler_ops = {sizeof(kl_integrator_ops), 0, claims_four,
                                            euler_step, NULL};
static const kl_plugin_info euler_as_rk4_info = {
    KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "euler_as_rk4", "explicit Euler declaring order 4",
    euler_params, &euler_ops, NULL, NULL};

/* ------------------------------------------------------ communication weights */
static void negative_psi_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = r2[i] < 1 ? -1 : 0;
}
static void leaky_psi_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = r2[i] < 4 ? 1 : 0;
}
static void asymmetric_psi_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = r2[i] < 1 ? 1 + 1e-3 * (double)(i % 2) : 0;
}
static void indicator_psi_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = r2[i] < 1 ? 1 : 0;
}
static double unit_radius(void *state) {
  (void)state;
  return 1;
}
static double twice_ball(void *state, unsigned dim) {
  (void)state;
  return 2 * (dim == 1 ? 2 : dim == 2 ? M_PI : 4 * M_PI / 3);
}
#define PSI(NAME, WEIGHT, INTEGRAL, SUMMARY)                                                   \
  static const kl_comm_weight_ops NAME##_ops = {sizeof(kl_comm_weight_ops), WEIGHT,            \
                                                unit_radius, INTEGRAL};                        \
  static const kl_plugin_info NAME##_info = {KL_PLUGIN_HEADER, KL_KIND_COMM_WEIGHT, #NAME,     \
                                             SUMMARY, NULL, &NAME##_ops, NULL, NULL};
PSI(negative_psi, negative_psi_weight, NULL, "psi = -1 for r < 1")
PSI(leaky_psi, leaky_psi_weight, NULL, "support 1 declared, psi = 1 up to r = 2")
PSI(asymmetric_psi, asymmetric_psi_weight, NULL, "psi depends on its position in the batch")
PSI(wrong_integral_psi, indicator_psi_weight, twice_ball, "the indicator declaring int = 2 |B_1|")

static const kl_plugin_info *const plugins[] = {
    &conforming_gaussian_info, &unnormalised_info, &wrong_gradient_info,  &lying_width_info,
    &short_cutoff_info,        &racy_gaussian_info, &negative_kernel_info, &wrong_power_law_info,
    &euler_as_rk4_info,        &bad_default_info,   &negative_psi_info,   &leaky_psi_info,
    &asymmetric_psi_info,      &wrong_integral_psi_info, NULL};
KL_PLUGIN_MODULE(plugins)
