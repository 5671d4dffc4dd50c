/* tests/test_landau_kernels.c - the power_law collision kernel. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static const double gammas[] = {2, 1, 0.5, 0, -1, -2, -2.5, -3};

static kl_instance *kernel(double gamma, double C) {
  char y[128];
  snprintf(y, sizeof y, "{type: power_law, gamma: %.17g, C: %.17g}", gamma, C);
  return kl_test_instance(KL_KIND_KERNEL, y, 3, 0, NULL, NULL);
}

/* A(z) = phi (|z|^2 I - z z^T): A(z) z = 0, x.A(z)y = y.A(z)x, x.A(z)x >= 0, and
 * x.A(z)x = phi |z|^2 |x_perp|^2 exactly; round-off tolerance 1e-13 relative. */
static void test_structure(void) {
  const double zs[][3] = {{0.3, -1.2, 0.5}, {2.0, 0.1, -0.4}, {-0.01, 0.02, 0.005}};
  const double xs[][3] = {{1, 0.5, -2}, {-0.3, 0.7, 0.2}};
  for (size_t g = 0; g < sizeof gammas / sizeof *gammas; g++) {
    kl_instance *k = kernel(gammas[g], 0.7);
    if (!k) continue;
    for (unsigned d = 2; d <= 3; d++)
      for (size_t i = 0; i < 3; i++) {
        const double *z = zs[i];
        double r2 = 0, az[3], ax[3], ay[3];
        for (unsigned a = 0; a < d; a++) r2 += z[a] * z[a];
        double phi = 0.7 * pow(r2, 0.5 * gammas[g]), scale = phi * r2;
        kl_kernel_apply(k, d, z, z, az);
        for (unsigned a = 0; a < d; a++) KL_ASSERT_CLOSE(az[a], 0.0, 1e-13 * scale * sqrt(r2));
        kl_kernel_apply(k, d, z, xs[0], ax);
        kl_kernel_apply(k, d, z, xs[1], ay);
        double xay = 0, yax = 0, xax = 0, xz = 0, xx = 0;
        for (unsigned a = 0; a < d; a++) {
          xay += xs[0][a] * ay[a];
          yax += xs[1][a] * ax[a];
          xax += xs[0][a] * ax[a];
          xz += xs[0][a] * z[a];
          xx += xs[0][a] * xs[0][a];
        }
        KL_ASSERT_CLOSE(xay, yax, 1e-13 * scale * 5);
        CU_ASSERT(xax >= -1e-13 * scale * xx);
        KL_ASSERT_CLOSE(xax, phi * (r2 * xx - xz * xz), 1e-13 * scale * xx);
      }
    kl_instance_free(k);
  }
}

/* phi = C r^gamma (fast paths against pow), phi(0) = 0 and finite for every gamma. */
static void test_weight(void) {
  for (size_t g = 0; g < sizeof gammas / sizeof *gammas; g++) {
    kl_instance *k = kernel(gammas[g], 1.0 / 24);
    if (!k) continue;
    double r2[4] = {0.0, 1e-300, 0.49, 9.0}, phi[4];
    kl_kernel_weight(k, 4, r2, phi);
    CU_ASSERT_EQUAL(phi[0], 0.0);
    /* never NaN; r^gamma overflows to +inf at r2 = 1e-300 only for gamma < -2 */
    for (int i = 0; i < 4; i++) CU_ASSERT(!isnan(phi[i]) && (isfinite(phi[i]) || (gammas[g] < -2 && i == 1)));
    for (int i = 2; i < 4; i++)
      KL_ASSERT_CLOSE(phi[i], pow(r2[i], 0.5 * gammas[g]) / 24, 1e-15 * phi[i]);
    KL_ASSERT_CLOSE(kl_kernel_gamma(k), gammas[g], 0);
    KL_ASSERT_CLOSE(kl_kernel_power_law_coefficient(k), 1.0 / 24, 0);
    kl_instance_free(k);
  }
}

/* A named regime checks gamma; the message names the key and the regime. */
static void test_regimes(void) {
  static const struct {
    const char *yaml;
    int ok;
    const char *regime;
  } cases[] = {
      {"{type: power_law, gamma: 1, regime: hard}", 1, "hard"},
      {"{type: power_law, gamma: 0, regime: hard}", 0, "hard"},
      {"{type: power_law, gamma: 0, regime: maxwell}", 1, "maxwell"},
      {"{type: power_law, gamma: -1, regime: maxwell}", 0, "maxwell"},
      {"{type: power_law, gamma: -2, regime: soft}", 1, "soft"},
      {"{type: power_law, gamma: -2.5, regime: soft}", 0, "soft"},
      {"{type: power_law, gamma: 0, regime: soft}", 0, "soft"},
      {"{type: power_law, gamma: -2.5, regime: very_soft}", 1, "very_soft"},
      {"{type: power_law, gamma: -2, regime: very_soft}", 0, "very_soft"},
      {"{type: power_law, gamma: -3, regime: very_soft}", 0, "very_soft"},
      {"{type: power_law, gamma: -3, regime: coulomb}", 1, "coulomb"},
      {"{type: power_law, gamma: -2.9, regime: coulomb}", 0, "coulomb"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    kl_instance *k = NULL;
    kl_error err = {0, ""};
    int rc = kl_test_instance_status(KL_KIND_KERNEL, cases[i].yaml, 2, 0, NULL, NULL, &k, &err);
    if (cases[i].ok) {
      CU_ASSERT_EQUAL(rc, KL_OK);
    } else {
      CU_ASSERT_EQUAL(rc, KL_EINVAL);
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "gamma"));
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[i].regime));
    }
    kl_instance_free(k);
  }
  /* below -3 the parameter table's range refuses it */
  kl_instance *k = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_NOT_EQUAL(kl_test_instance_status(KL_KIND_KERNEL, "{type: power_law, gamma: -3.5}",
                                              2, 0, NULL, NULL, &k, &err),
                      KL_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "gamma"));
  kl_instance_free(k);
}

static CU_TestInfo tests[] = {{"A(z) structure", test_structure},
                              {"weight phi", test_weight},
                              {"regimes", test_regimes},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"landau kernels", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
int main(void) { return kl_test_main(suites); }
