/* abi_1_1.c - plugins as built against kinlab ABI 1.1, before the 1.2 additions:
 * the operations tables of that release (shorter: no mollifier width, no kernel
 * power_law, no initial mass / exact_parameter), declared here as they were
 * published, and abi_minor 1.  The 1.2 host must load them, read the
 * deprecated kernel pair the old way, and see the new operations as absent
 * (tests/test_loader.c, test_abi_1_1_module). */
#include <math.h>

#include <kinlab/kinlab.h>

typedef struct mollifier_ops_1_1 {
  uint32_t struct_size;
  void (*profile)(void *, unsigned, double, size_t, const double *, double *, double *);
  double (*cutoff)(void *, unsigned, double, double);
  void (*separable)(void *, unsigned, double, size_t, const double *, double *, double *);
} mollifier_ops_1_1;

typedef struct kernel_ops_1_1 {
  uint32_t struct_size;
  void (*weight)(void *, size_t, const double *, double *);
  double (*gamma)(void *);
  double (*power_law_coefficient)(void *);
} kernel_ops_1_1;

typedef struct initial_ops_1_1 {
  uint32_t struct_size;
  double (*density)(void *, const double *, const double *);
  int (*exact)(void *, double, const double *, const double *, double *);
  double (*start_time)(void *);
  int (*support)(void *, double *, double *, double *, double *);
} initial_ops_1_1;

/* The unit Gaussian (variance eps) in any d. */
static void profile(void *s, unsigned d, double eps, size_t n, const double *r2, double *v,
                    double *g) {
  (void)s;
  const double norm = pow(2 * M_PI * eps, -0.5 * d);
  for (size_t i = 0; i < n; i++) {
    const double G = norm * exp(-r2[i] / (2 * eps));
    if (v) v[i] = G;
    if (g) g[i] = -G / eps;
  }
}
static double cutoff(void *s, unsigned d, double eps, double rtol) {
  (void)s, (void)d;
  return sqrt(2 * eps * (-log(rtol) + 3 * d)); /* generous */
}
static void weight(void *s, size_t n, const double *r2, double *phi) {
  (void)s;
  for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? 0.5 / r2[i] : 0;
}
static double gamma_m2(void *s) { (void)s; return -2; }
static double coefficient(void *s) { (void)s; return 0.5; }
static double density(void *s, const double *x, const double *v) {
  (void)s, (void)x, (void)v;
  return 1;
}

static const mollifier_ops_1_1 moll_ops = {sizeof moll_ops, profile, cutoff, NULL};
static const kernel_ops_1_1 kernel_ops = {sizeof kernel_ops, weight, gamma_m2, coefficient};
static const initial_ops_1_1 initial_ops = {sizeof initial_ops, density, NULL, NULL, NULL};

#define HEADER_1_1 KL_ABI_MAJOR, 1u, (uint32_t)sizeof(kl_plugin_info)
static const kl_plugin_info moll = {HEADER_1_1, KL_KIND_MOLLIFIER, "old_mollifier",
                                    "ABI 1.1 mollifier", NULL, &moll_ops, NULL, NULL};
static const kl_plugin_info kernel = {HEADER_1_1, KL_KIND_KERNEL, "old_kernel",
                                      "ABI 1.1 kernel, 0.5 r^-2", NULL, &kernel_ops, NULL, NULL};
static const kl_plugin_info init = {HEADER_1_1, KL_KIND_INITIAL, "old_initial",
                                    "ABI 1.1 initial data", NULL, &initial_ops, NULL, NULL};
static const kl_plugin_info *const table[] = {&moll, &kernel, &init, NULL};
KL_PLUGIN_MODULE(table)
