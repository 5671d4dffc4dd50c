/* shadow_power_law.c - a test kernel named like the built-in `power_law`
 * (tests/bad_inputs/plugin_shadow_*.yaml): found in a directory it makes the
 * name ambiguous (exit 3, naming both files); named as a file in plugin_path
 * it is the one that runs, and summary.json records its file and SHA-256. */
#include <kinlab/kinlab.h>

static const kl_param_spec params[] = {
    {"gamma", KL_PARAM_REAL, "0", -3, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "exponent (only 0 is computed: A(z) = |z|^2 I - z z^T)"},
    KL_PARAM_END};
static double gamma_of(void *s) { (void)s; return 0; }
static void weight(void *s, size_t n, const double *r2, double *phi) {
  (void)s; (void)r2;
  for (size_t i = 0; i < n; i++) phi[i] = 1;
}
static const kl_kernel_ops ops = {sizeof(kl_kernel_ops), weight, gamma_of, NULL, NULL};
static const kl_plugin_info shadow = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "power_law",
                                      "test double of the built-in power_law (Maxwell only)",
                                      params, &ops, NULL, NULL};
static const kl_plugin_info *const table[] = {&shadow, NULL};
KL_PLUGIN_MODULE(table)
