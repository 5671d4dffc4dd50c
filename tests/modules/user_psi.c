/* user_psi.c - a communication weight written by a user, outside the Cucker-Smale
 * domain (tests/cs_user_psi.sh runs cs_particles with it through plugin_path, and
 * `kinlab check-plugin` must pass it): the triangle psi(r) = 1 - r for r < 1, support 1,
 * no closed-form integral (the host integrates: int over R = 1, over R^2 pi/3, over
 * R^3 pi/3). */
#include <math.h>

#include <kinlab/kinlab.h>

static void triangle_weight(void *state, size_t n, const double *r2, double *psi) {
  (void)state;
  for (size_t i = 0; i < n; i++) psi[i] = r2[i] < 1 ? 1 - sqrt(r2[i]) : 0;
}

static double unit_support(void *state) {
  (void)state;
  return 1;
}

static const kl_comm_weight_ops ops = {sizeof(kl_comm_weight_ops), triangle_weight, unit_support,
                                       NULL};
static const kl_plugin_info info = {KL_PLUGIN_HEADER, KL_KIND_COMM_WEIGHT, "user_triangle_psi",
                                    "psi(r) = 1 - r for r < 1 (a user's weight)", NULL, &ops,
                                    NULL, NULL};
static const kl_plugin_info *const plugins[] = {&info, NULL};
KL_PLUGIN_MODULE(plugins)
