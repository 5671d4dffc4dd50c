/* plugins/cucker_smale/cs_psi.c - the built-in communication weights psi(r) of the
 * Cucker-Smale models (kind comm_weight, kinlab/kinds.h), r in units of the interaction
 * range eps:
 *
 *   psi_indicator   1 for r < 1, 0 beyond                      support 1, int = |B_1|
 *   psi_bump        exp(1 - 1/(1 - r^2)) for r < 1, 0 beyond   support 1, int by the
 *                                                              host's quadrature
 *   psi_power_law   (1 + (r/ell)^2)^(-beta)                    no bounded support;
 *                   int over R^dim = pi^(dim/2) ell^dim Gamma(beta - dim/2) / Gamma(beta)
 *                   for beta > dim/2, infinite otherwise
 *   psi_all_to_all  1 for every r (mean-field coupling)        no bounded support,
 *                                                              not integrable
 */
#include <math.h>
#include <stdlib.h>

#include <kinlab/kinlab.h>

/* |S^{dim-1}| / dim: the volume of the unit ball in dimension dim */
static double unit_ball(unsigned dim) {
  double surf = dim == 1 ? 2 : dim == 2 ? 2 * M_PI : 4 * M_PI;
  return surf / dim;
}

/* ------------------------------------------------------------ indicator */
static void indicator_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = r2[i] < 1 ? 1.0 : 0.0;
}
static double unit_support(void *state) {
  (void)state;
  return 1;
}
static double indicator_integral(void *state, unsigned dim) {
  (void)state;
  return unit_ball(dim);
}
static const kl_comm_weight_ops indicator_ops = {sizeof(kl_comm_weight_ops), indicator_weight,
                                                 unit_support, indicator_integral};
static const kl_plugin_info indicator_info = {
    KL_PLUGIN_HEADER, KL_KIND_COMM_WEIGHT, "psi_indicator",
    "communication weight psi(r) = 1 for r < 1, else 0 (the default of cs_particles)", NULL,
    &indicator_ops, NULL, NULL};

/* ----------------------------------------------------------------- bump */
static void bump_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = r2[i] < 1 ? exp(1 - 1 / (1 - r2[i])) : 0.0;
}
/* no closed form: the host's Simpson rule (C^inf profile: round-off accurate) */
static const kl_comm_weight_ops bump_ops = {sizeof(kl_comm_weight_ops), bump_weight, unit_support,
                                            NULL};
static const kl_plugin_info bump_info = {
    KL_PLUGIN_HEADER, KL_KIND_COMM_WEIGHT, "psi_bump",
    "communication weight psi(r) = exp(1 - 1/(1 - r^2)) for r < 1, else 0 (smooth bump)", NULL,
    &bump_ops, NULL, NULL};

/* ------------------------------------------------------------ power law */
typedef struct power_law {
  double beta, ell;
} power_law;

static const kl_param_spec power_law_params[] = {
    {"beta", KL_PARAM_REAL, "1", 0, 100,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_HAS_MAX, NULL, "1",
     "decay exponent: psi ~ (r/ell)^(-2 beta) for r >> ell (integrable in R^dim for beta > "
     "dim/2)"},
    {"ell", KL_PARAM_REAL, "1", 1e-12, 1e12,
     KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "core radius, in units of the interaction range eps"},
    KL_PARAM_END};

static int power_law_create(const kl_setup *setup, void **state, kl_error *err) {
  power_law *s = malloc(sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->beta = kl_params_real(setup->params, "beta");
  s->ell = kl_params_real(setup->params, "ell");
  *state = s;
  return KL_OK;
}
static void power_law_weight(void *state, size_t n, const double *r2, double *psi) {
  const power_law *s = state;
  const double inv_ell2 = 1 / (s->ell * s->ell);
  for (size_t i = 0; i < n; i++) psi[i] = pow(1 + r2[i] * inv_ell2, -s->beta);
}
static double no_support(void *state) {
  (void)state;
  return INFINITY;
}
static double power_law_integral(void *state, unsigned dim) {
  const power_law *s = state;
  double h = 0.5 * dim;
  if (!(s->beta > h)) return INFINITY;
  return pow(M_PI, h) * pow(s->ell, dim) * exp(lgamma(s->beta - h) - lgamma(s->beta));
}
static const kl_comm_weight_ops power_law_ops = {sizeof(kl_comm_weight_ops), power_law_weight,
                                                 no_support, power_law_integral};
static const kl_plugin_info power_law_info = {
    KL_PLUGIN_HEADER, KL_KIND_COMM_WEIGHT, "psi_power_law",
    "communication weight psi(r) = (1 + (r/ell)^2)^(-beta) (Cucker-Smale's original, no cut-off)",
    power_law_params, &power_law_ops, power_law_create, free};

/* ----------------------------------------------------------- all to all */
static void all_to_all_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state, (void)r2;
  for (size_t i = 0; i < n; i++) psi[i] = 1;
}
static double not_integrable(void *state, unsigned dim) {
  (void)state, (void)dim;
  return INFINITY;
}
static const kl_comm_weight_ops all_to_all_ops = {sizeof(kl_comm_weight_ops), all_to_all_weight,
                                                  no_support, not_integrable};
static const kl_plugin_info all_to_all_info = {
    KL_PLUGIN_HEADER, KL_KIND_COMM_WEIGHT, "psi_all_to_all",
    "communication weight psi == 1: every agent aligns with every other (mean field)", NULL,
    &all_to_all_ops, NULL, NULL};

static const kl_plugin_info *const plugins[] = {&indicator_info, &bump_info, &power_law_info,
                                                &all_to_all_info, NULL};
KL_PLUGIN_MODULE(plugins)
