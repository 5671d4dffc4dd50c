/* Two modules (dup_a, dup_b) define a plugin with the same name. */
#include <kinlab/kinlab.h>

static double gamma_zero(void *s) { (void)s; return 0; }
static void weight_one(void *s, size_t n, const double *r2, double *phi) {
  (void)s; (void)r2;
  for (size_t i = 0; i < n; i++) phi[i] = 1;
}
static const kl_kernel_ops ops = {sizeof(kl_kernel_ops), weight_one, gamma_zero, NULL, NULL};
static const kl_plugin_info info = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "same_name", DUP_SUMMARY,
                                    NULL, &ops, NULL, NULL};
static const kl_plugin_info *const table[] = {&info, NULL};
KL_PLUGIN_MODULE(table)
