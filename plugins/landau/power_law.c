/* plugins/landau/power_law.c - the Landau collision kernel
 *
 *   A(z) = C |z|^gamma (|z|^2 I - z (x) z) = C |z|^{2+gamma} Pi[z],   phi(r) = C r^gamma,
 *
 * Pi[z] the projection orthogonal to z.  Regimes (notes/landau.md): hard gamma > 0,
 * maxwell gamma = 0, soft -2 <= gamma < 0, very_soft -3 < gamma < -2,
 * coulomb gamma = -3.  `regime` (default any) states the intent and is checked
 * against gamma.  phi(0) = 0 by convention (the pair term vanishes at z = 0;
 * A(z) ~ |z|^{2+gamma} is bounded only for gamma >= -2), never NaN.  The
 * exponents -3, -2, -1, 0, 1, 2 avoid pow(): sqrt/multiply/divide chains.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

typedef enum { G_GENERIC, G_M3, G_M2, G_M1, G_0, G_1, G_2 } gamma_case;

typedef struct power_law_state {
  double gamma, C, half_gamma;
  gamma_case gc;
} power_law_state;

static const kl_param_spec power_law_params[] = {
    {"gamma", KL_PARAM_REAL, NULL, -3, 10, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "exponent of the power law |z|^gamma (-3 Coulomb ... 0 Maxwell ... > 0 hard)"},
    {"C", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "collision constant C > 0 (BKW: 1/16 in 2-D, 1/24 in 3-D)"},
    {"regime", KL_PARAM_ENUM, "any", 0, 0, 0, "any|hard|maxwell|soft|very_soft|coulomb", NULL,
     "expected regime, checked against gamma: hard > 0, maxwell = 0, soft [-2, 0), "
     "very_soft (-3, -2), coulomb = -3; any: no check"},
    KL_PARAM_END};

static int power_law_create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  double g = kl_params_real(p, "gamma");
  const char *regime = kl_params_string(p, "regime");
  const char *need = NULL;
  if (!regime || strcmp(regime, "any") == 0) {
  } else if (strcmp(regime, "hard") == 0) {
    if (!(g > 0)) need = "gamma > 0";
  } else if (strcmp(regime, "maxwell") == 0) {
    if (g != 0) need = "gamma = 0";
  } else if (strcmp(regime, "soft") == 0) {
    if (!(g >= -2 && g < 0)) need = "-2 <= gamma < 0";
  } else if (strcmp(regime, "very_soft") == 0) {
    if (!(g > -3 && g < -2)) need = "-3 < gamma < -2";
  } else if (strcmp(regime, "coulomb") == 0) {
    if (g != -3) need = "gamma = -3";
  }
  if (need)
    return kl_params_error(err, KL_EINVAL, p, "gamma",
                           "regime '%s' needs %s, found gamma = %g", regime, need, g);
  power_law_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->gamma = g;
  s->half_gamma = 0.5 * g;
  s->C = kl_params_real(p, "C");
  s->gc = g == -3 ? G_M3 : g == -2 ? G_M2 : g == -1 ? G_M1 : g == 0 ? G_0 : g == 1 ? G_1
        : g == 2 ? G_2 : G_GENERIC;
  *state = s;
  return KL_OK;
}

static void power_law_destroy(void *state) { free(state); }

static void power_law_weight(void *state, size_t n, const double *r2, double *phi) {
  const power_law_state *s = state;
  const double C = s->C;
  switch (s->gc) {
  case G_M3:
    for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? C / (r2[i] * sqrt(r2[i])) : 0.0;
    break;
  case G_M2:
    for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? C / r2[i] : 0.0;
    break;
  case G_M1:
    for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? C / sqrt(r2[i]) : 0.0;
    break;
  case G_0:
    for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? C : 0.0;
    break;
  case G_1:
    for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? C * sqrt(r2[i]) : 0.0;
    break;
  case G_2:
    for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? C * r2[i] : 0.0;
    break;
  case G_GENERIC:
    for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? C * pow(r2[i], s->half_gamma) : 0.0;
    break;
  }
}

static double power_law_gamma(void *state) { return ((const power_law_state *)state)->gamma; }

static double power_law_coefficient(void *state) {
  return ((const power_law_state *)state)->C;
}

static const kl_kernel_ops power_law_ops = {sizeof(kl_kernel_ops), power_law_weight,
                                            power_law_gamma, power_law_coefficient};

static const kl_plugin_info power_law_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_KERNEL,
    "power_law",
    "Landau kernel A(z) = C |z|^gamma (|z|^2 I - z z^T), hard to Coulomb",
    power_law_params,
    &power_law_ops,
    power_law_create,
    power_law_destroy};

static const kl_plugin_info *const plugins[] = {&power_law_info, NULL};
KL_PLUGIN_MODULE(plugins)
