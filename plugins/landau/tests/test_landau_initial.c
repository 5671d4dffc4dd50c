/* plugins/landau/tests/test_landau_initial.c - initial data of the Landau tests: moments by
 * midpoint quadrature on [-10, 10]^d (spectrally accurate for these
 * Gaussian-tailed densities: the tail beyond 10 is below e^-40), errors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* mass, momentum[d], energy, M4 of f0 (t < 0) or of exact(t) */
static void moments(kl_instance *init, unsigned d, double t, double *mass, double *mom,
                    double *energy, double *m4) {
  const int n = d == 2 ? 200 : 80;
  const double L = 10, h = 2 * L / n, vol = pow(h, d);
  *mass = *energy = *m4 = 0;
  mom[0] = mom[1] = mom[2] = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      for (int k = 0; k < (d == 3 ? n : 1); k++) {
        double v[3] = {-L + (i + 0.5) * h, -L + (j + 0.5) * h, d == 3 ? -L + (k + 0.5) * h : 0};
        double f, r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
        if (t < 0) f = kl_initial_density(init, NULL, v);
        else if (kl_initial_exact(init, t, NULL, v, &f) != KL_OK) {
          CU_FAIL("exact failed");
          return;
        }
        *mass += f * vol;
        for (unsigned a = 0; a < d; a++) mom[a] += f * v[a] * vol;
        *energy += f * r2 * vol;
        *m4 += f * r2 * r2 * vol;
      }
}

/* BKW: mass 1, momentum 0, energy d, M4 = 16K - 8K^2 (2-D), 30K - 15K^2 (3-D);
 * quadrature error ~1e-12 at this resolution: tolerance 1e-9. */
static void test_bkw_moments(void) {
  for (unsigned d = 2; d <= 3; d++) {
    kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: bkw}", d, 0, NULL, NULL);
    if (!init) continue;
    double t0 = kl_initial_start_time(init);
    KL_ASSERT_CLOSE(t0, d == 2 ? 0.0 : 5.5, 0);
    const double ts[] = {-1, t0 + 1.5};
    for (int q = 0; q < 2; q++) {
      double t = ts[q] < 0 ? t0 : ts[q];
      double K = d == 2 ? 1 - 0.5 * exp(-t / 8) : 1 - exp(-t / 6);
      double mass, mom[3], energy, m4;
      moments(init, d, ts[q], &mass, mom, &energy, &m4);
      KL_ASSERT_CLOSE(mass, 1.0, 1e-9);
      for (unsigned a = 0; a < d; a++) KL_ASSERT_CLOSE(mom[a], 0.0, 1e-9);
      KL_ASSERT_CLOSE(energy, (double)d, 1e-9);
      KL_ASSERT_CLOSE(m4, d == 2 ? 16 * K - 8 * K * K : 30 * K - 15 * K * K, 1e-9);
    }
    /* f0 = exact(t0); the 2-D f0 is |v|^2 exp(-|v|^2) / pi */
    double v[3] = {0.7, -0.4, 0.2}, f;
    CU_ASSERT_EQUAL(kl_initial_exact(init, t0, NULL, v, &f), KL_OK);
    KL_ASSERT_CLOSE(f, kl_initial_density(init, NULL, v), 1e-15);
    if (d == 2) KL_ASSERT_CLOSE(f, 0.65 * exp(-0.65) / M_PI, 1e-15);
    double lo[3], hi[3];
    CU_ASSERT_EQUAL(kl_initial_support(init, NULL, NULL, lo, hi), KL_OK);
    kl_instance_free(init);
  }
}

static void expect_error(const char *yaml, unsigned d, const char *word) {
  kl_instance *i = NULL;
  kl_error err = {0, ""};
  int rc = kl_test_instance_status(KL_KIND_INITIAL, yaml, d, 0, NULL, NULL, &i, &err);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  if (!strstr(err.message, word)) {
    fprintf(stderr, "message for %s lacks '%s': %s\n", yaml, word, err.message);
    CU_FAIL("message does not name the key");
  }
  kl_instance_free(i);
}

static void test_errors(void) {
  expect_error("{type: bkw, t0: 5}", 3, "t0");  /* K(5) = 0.565 <= 3/5 */
  expect_error("{type: bkw}", 1, "d = 1");
  expect_error("{type: rosenbluth}", 1, "d = 1");
  expect_error("{type: maxwellian, mean: [1, 2, 3]}", 2, "mean");
  expect_error("{type: bimaxwellian, weight1: 0, weight2: 0}", 2, "weight");
  kl_instance *i = kl_test_instance(KL_KIND_INITIAL, "{type: bkw, t0: 5.6}", 3, 0, NULL, NULL);
  kl_instance_free(i);
}

/* Maxwellian and bi-Maxwellian moments. */
static void test_maxwellians(void) {
  kl_instance *m = kl_test_instance(
      KL_KIND_INITIAL, "{type: maxwellian, mass: 2, mean: [0.5], temperature: 0.7}", 2, 0, NULL,
      NULL);
  if (m) {
    double mass, mom[3], energy, m4;
    moments(m, 2, -1, &mass, mom, &energy, &m4);
    KL_ASSERT_CLOSE(mass, 2.0, 1e-9);
    KL_ASSERT_CLOSE(mom[0], 1.0, 1e-9);
    KL_ASSERT_CLOSE(mom[1], 0.0, 1e-9);
    KL_ASSERT_CLOSE(energy, 2 * (2 * 0.7 + 0.25), 1e-9);
    CU_ASSERT(kl_initial_has_exact(m));
    kl_instance_free(m);
  }
  kl_instance *b = kl_test_instance(KL_KIND_INITIAL, "{type: bimaxwellian}", 2, 0, NULL, NULL);
  if (b) {
    double mass, mom[3], energy, m4;
    moments(b, 2, -1, &mass, mom, &energy, &m4);
    KL_ASSERT_CLOSE(mass, 1.0, 1e-9);
    KL_ASSERT_CLOSE(mom[0], M_SQRT1_2, 1e-9); /* (3 - 1)/(2 sqrt 2) */
    KL_ASSERT_CLOSE(mom[1], M_SQRT1_2, 1e-9);
    KL_ASSERT_CLOSE(energy, 2 + 0.5 * (5 + 1), 1e-9); /* 2T + mean |u|^2 */
    CU_ASSERT(!kl_initial_has_exact(b));
    kl_instance_free(b);
  }
  kl_instance *r = kl_test_instance(KL_KIND_INITIAL, "{type: rosenbluth}", 3, 0, NULL, NULL);
  if (r) {
    KL_ASSERT_CLOSE(kl_initial_density(r, NULL, (double[3]){0.3, 0, 0}), 0.01, 1e-15);
    KL_ASSERT_CLOSE(kl_initial_density(r, NULL, (double[3]){0, 0, 0}), exp(-10) / 100, 1e-17);
    kl_instance_free(r);
  }
}

static CU_TestInfo tests[] = {{"bkw moments", test_bkw_moments},
                              {"errors", test_errors},
                              {"maxwellians, rosenbluth", test_maxwellians},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"landau initial data", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
int main(void) { return kl_test_main(suites); }
