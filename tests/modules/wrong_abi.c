/* A plugin built for a future ABI major: the loader must refuse it. */
#include <kinlab/kinlab.h>

static double gamma_zero(void *s) { (void)s; return 0; }
static void weight_one(void *s, size_t n, const double *r2, double *phi) {
  (void)s; (void)r2;
  for (size_t i = 0; i < n; i++) phi[i] = 1;
}
static const kl_kernel_ops ops = {sizeof(kl_kernel_ops), weight_one, gamma_zero, NULL, NULL};
static const kl_plugin_info info = {KL_ABI_MAJOR + 98, 0, sizeof(kl_plugin_info), KL_KIND_KERNEL,
                                    "future_kernel", "built for ABI 99", NULL, &ops, NULL, NULL};
static const kl_plugin_info *const table[] = {&info, NULL};
KL_PLUGIN_MODULE(table)
