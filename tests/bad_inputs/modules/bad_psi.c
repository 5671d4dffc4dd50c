/* bad_psi.c - a communication weight whose integral() has the wrong sign
 * (psi itself is the Gaussian exp(-r^2) >= 0, int = sqrt(pi) in 1-D): cs_particles
 * took kappa = gamma / int psi < 0, an anti-aligning run with exit 0
 * (tests/bad_inputs/psi_integral_negative.yaml). */
#include <math.h>

#include <kinlab/kinlab.h>

static void gaussian_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = exp(-r2[i]);
}

static double wide_support(void *state) {
  (void)state;
  return 8;
}

static double negative_integral(void *state, unsigned dim) {
  (void)state, (void)dim;
  return -1;
}

static const kl_comm_weight_ops ops = {sizeof(kl_comm_weight_ops), gaussian_weight,
                                       wide_support, negative_integral};
static const kl_plugin_info info = {KL_PLUGIN_HEADER, KL_KIND_COMM_WEIGHT, "rb_negative_integral_psi",
                                    "exp(-r^2) declaring int psi = -1", NULL, &ops, NULL, NULL};
static const kl_plugin_info *const plugins[] = {&info, NULL};
KL_PLUGIN_MODULE(plugins)
