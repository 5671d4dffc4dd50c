/* Refers to a function no library defines: RTLD_NOW must fail at load time. */
#include <kinlab/kinlab.h>

double kinlab_test_function_that_does_not_exist(double);
static double gamma_missing(void *s) { (void)s; return kinlab_test_function_that_does_not_exist(1.0); }
static void weight_one(void *s, size_t n, const double *r2, double *phi) {
  (void)s; (void)r2;
  for (size_t i = 0; i < n; i++) phi[i] = 1;
}
static const kl_kernel_ops ops = {sizeof(kl_kernel_ops), weight_one, gamma_missing, NULL, NULL};
static const kl_plugin_info info = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "unresolved", "missing symbol",
                                    NULL, &ops, NULL, NULL};
static const kl_plugin_info *const table[] = {&info, NULL};
KL_PLUGIN_MODULE(table)
