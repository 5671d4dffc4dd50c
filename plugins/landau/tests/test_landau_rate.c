/* plugins/landau/tests/test_landau_rate.c - the exact second-moment rate
 * (landau_rate.h) and the diagnostics second_moments, second_moment_rate.
 *
 * Independent values:
 *  - gamma = 0: E[|u|^2 I - d u u^T] = (tr S + |mu|^2) I - d (S + mu mu^T) for
 *    u ~ N(mu, S);
 *  - gamma = -3 (Coulomb) at mu = 0, S = diag(s): with 1/|u| =
 *    (2/sqrt(pi)) int_0^inf e^{-t^2 |u|^2} dt and 1/|u|^3 = (4/sqrt(pi))
 *    int_0^inf t^2 e^{-t^2 |u|^2} dt,
 *      E[1/|u|]         = (2/sqrt(pi)) int_0^inf prod_i (1 + 2 t^2 s_i)^(-1/2) dt,
 *      E[u_a^2 / |u|^3] = (4/sqrt(pi)) int_0^inf t^2 s_a / (1 + 2 t^2 s_a)
 *                                              prod_i (1 + 2 t^2 s_i)^(-1/2) dt,
 *    one-dimensional integrals done here by GSL's QAGIU (not by the header's
 *    polar quadrature): the classical isotropization rate of an anisotropic
 *    Maxwellian, in 2-D and 3-D.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../landau_rate.h"
#include "test_landau_common.h"

typedef struct power_phi {
  double C, gamma;
} power_phi;

static void phi_power(void *ctx, size_t n, const double *r2, double *phi) {
  const power_phi *p = ctx;
  for (size_t i = 0; i < n; i++) phi[i] = r2[i] > 0 ? p->C * pow(r2[i], 0.5 * p->gamma) : 0;
}

static void test_maxwell_closed_form(void) {
  const double mu[3] = {0.7, -1.3, 0.4}, S[3] = {0.8, 1.9, 1.3};
  for (unsigned d = 2; d <= 3; d++) {
    power_phi pp = {0.3, 0};
    double out[3][3] = {{0}};
    const double check = lrate_gaussian_term(d, mu, S, phi_power, &pp, 1, out);
    CU_ASSERT(check >= 0 && check < 1e-12);
    double tr = 0, m2 = 0;
    for (unsigned a = 0; a < d; a++) tr += S[a], m2 += mu[a] * mu[a];
    for (unsigned a = 0; a < d; a++)
      for (unsigned b = 0; b < d; b++) {
        const double exact =
            pp.C * ((a == b) * (tr + m2) - d * ((a == b) * S[a] + mu[a] * mu[b]));
        KL_ASSERT_CLOSE(out[a][b], exact, 1e-12 * (tr + m2));
      }
  }
}

typedef struct aniso {
  unsigned d, comp; /* comp = d: E[1/|u|]; else E[u_comp^2 / |u|^3] */
  double s[3];
} aniso;

static double aniso_integrand(double t, void *ctx) {
  const aniso *q = ctx;
  double prod = 1;
  for (unsigned i = 0; i < q->d; i++) prod /= sqrt(1 + 2 * t * t * q->s[i]);
  if (q->comp == q->d) return 2 / sqrt(M_PI) * prod;
  return 4 / sqrt(M_PI) * t * t * q->s[q->comp] / (1 + 2 * t * t * q->s[q->comp]) * prod;
}

static double aniso_expectation(unsigned d, unsigned comp, const double *s) {
  aniso q = {d, comp, {s[0], s[1], d > 2 ? s[2] : 0}};
  gsl_function F = {aniso_integrand, &q};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  double r = NAN, e;
  gsl_integration_qagiu(&F, 0, 1e-14, 1e-13, 1000, w, &r, &e);
  gsl_integration_workspace_free(w);
  return r;
}

/* A single anisotropic Maxwellian N(0, diag(T)) under phi = C |u|^-3: the
 * pair term is u ~ N(0, 2 diag(T)), dP/dt = 2 C (E[1/|u|] I - d E[u u^T/|u|^3]). */
static void test_coulomb_anisotropic(void) {
  gsl_set_error_handler_off();
  for (unsigned d = 2; d <= 3; d++) {
    const double w[1] = {1}, m[1][3] = {{0, 0, 0}}, T[1][3] = {{1.5, 0.6, 0.6}};
    power_phi pp = {0.05, -3};
    double rate[3][3];
    const double check = lrate_mixture(d, 1, w, m, T, phi_power, &pp, rate);
    CU_ASSERT(check >= 0 && check < 1e-10);
    double s[3];
    for (unsigned a = 0; a < d; a++) s[a] = 2 * T[0][a];
    const double inv = aniso_expectation(d, d, s);
    for (unsigned a = 0; a < d; a++) {
      const double exact = 2 * pp.C * (inv - d * aniso_expectation(d, a, s));
      printf("\n  d = %u: dP_%u%u/dt = %.15g (1-D integral %.15g)", d, a, a, rate[a][a], exact);
      KL_ASSERT_CLOSE(rate[a][a], exact, 1e-9 * fabs(exact));
      for (unsigned b = a + 1; b < d; b++) KL_ASSERT_CLOSE(rate[a][b], 0, 1e-13);
    }
    /* energy: the trace vanishes */
    double tr = 0;
    for (unsigned a = 0; a < d; a++) tr += rate[a][a];
    KL_ASSERT_CLOSE(tr, 0, 1e-12);
    /* the hot direction cools */
    CU_ASSERT(rate[0][0] < 0);
  }
}

/* The diagnostic on landau_particles, 2-D Coulomb, the default bimaxwellian:
 * P of the particles, and p_rate_t0_error falling with n (the blob method's
 * O(h^2)-type convergence; the values are in docs/landau.md). */
static double diag_error(int n, const char *extra, double *P) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: bimaxwellian}", 2, 0, NULL, NULL);
  char y[192];
  snprintf(y, sizeof y,
           "{type: landau_particles, d: 2, n: %d, box: 9, kernel: {type: power_law, gamma: -3, "
           "C: 0.0625, regime: coulomb}%s}",
           n, extra);
  kl_instance *model = init ? kl_test_instance(KL_KIND_MODEL, y, 2, 0, init, NULL) : NULL;
  kl_instance *diag = model ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: second_moments}", 2,
                                               0, init, model)
                            : NULL;
  kl_instance *rate = model ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: second_moment_rate}",
                                               2, 0, init, model)
                            : NULL;
  double err_value = NAN;
  if (diag && rate) {
    const size_t len = kl_model_size(model);
    double *yv = malloc(len * sizeof *yv), t = 0;
    kl_error err = {0, ""};
    kl_model_initial(model, &t, yv, &err);
    kl_view view;
    kl_model_view(model, yv, &view, &err);
    kl_observation obs = {t, 0, yv, &view, model, init};
    CU_ASSERT_EQUAL(kl_diagnostic_observe(diag, &obs, P, &err), KL_OK);
    CU_ASSERT_EQUAL(kl_diagnostic_observe(rate, &obs, &err_value, &err), KL_OK);
    free(yv);
  } else
    CU_FAIL("instances");
  kl_instance_free(rate);
  kl_instance_free(diag);
  kl_instance_free(model);
  kl_instance_free(init);
  return err_value;
}

static void test_diagnostic_converges(void) {
  double P16[3], P32[3];
  const double e16 = diag_error(24, "", P16), e32 = diag_error(48, "", P32);
  printf("\n  p_rate_t0_error n = 24: %.4g, n = 48: %.4g", e16, e32);
  /* P of the default bimaxwellian: means (3,1)/sqrt2, (-1,1)/sqrt2, T = 1:
   * P_xx = 1 + (4.5 + 0.5)/2 = 3.5, P_xy = (1.5 - 0.5)/2 = 0.5, P_yy = 1.5;
   * the mesh quadrature on [-9, 9]^2 (the far mean is 6.9 sigma inside) is
   * spectrally accurate */
  KL_ASSERT_CLOSE(P32[0], 3.5, 1e-9);
  KL_ASSERT_CLOSE(P32[1], 0.5, 1e-9);
  KL_ASSERT_CLOSE(P32[2], 1.5, 1e-9);
  CU_ASSERT(isfinite(e16) && isfinite(e32));
  CU_ASSERT(e32 < 0.5 * e16); /* order > 1 in h */
  /* measured when this test was written (docs/landau.md has the n = 16...128
   * study): 0.334 and 0.1035; within 5 % (a changed scheme moves them by more) */
  KL_ASSERT_CLOSE(e16, 0.334, 0.05 * 0.334);
  KL_ASSERT_CLOSE(e32, 0.1035, 0.05 * 0.1035);
}

/* No mixture (BKW) or no right-hand side (landau_binary): second_moment_rate
 * is refused with the reason, second_moments still works. */
static void test_rate_refused(void) {
  kl_instance *bkw = kl_test_instance(KL_KIND_INITIAL, "{type: bkw}", 2, 0, NULL, NULL);
  kl_instance *bim = kl_test_instance(KL_KIND_INITIAL, "{type: bimaxwellian}", 2, 0, NULL, NULL);
  kl_instance *blob =
      bkw ? kl_test_instance(KL_KIND_MODEL, "{type: landau_particles, d: 2, n: 8}", 2, 0, bkw,
                             NULL)
          : NULL;
  kl_instance *binary =
      bim ? kl_test_instance(KL_KIND_MODEL, "{type: landau_binary, d: 2, N: 100}", 2, 0, bim,
                             NULL)
          : NULL;
  CU_ASSERT_FATAL(blob && binary);
  kl_instance *d = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_test_instance_status(KL_KIND_DIAGNOSTIC, "{type: second_moment_rate}", 2, 0,
                                          bkw, blob, &d, &err),
                  KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "sum of Maxwellians"));
  CU_ASSERT_EQUAL(kl_test_instance_status(KL_KIND_DIAGNOSTIC, "{type: second_moment_rate}", 2, 0,
                                          bim, binary, &d, &err),
                  KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "right-hand side"));
  kl_instance *sm = kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: second_moments}", 2, 0, bim,
                                     binary);
  CU_ASSERT_PTR_NOT_NULL(sm);
  kl_instance_free(sm);
  kl_instance_free(binary);
  kl_instance_free(blob);
  kl_instance_free(bim);
  kl_instance_free(bkw);
}

/* epsilon_extrapolation: richardson removes the O(eps) bias: the error falls
 * faster than the plain method's (order > 2 here) and is several times smaller
 * (docs/landau.md has the 2-D and 3-D studies). */
static void test_extrapolation(void) {
  double P[3];
  const double plain = diag_error(48, "", P),
               e24 = diag_error(24, ", epsilon_extrapolation: richardson", P),
               e48 = diag_error(48, ", epsilon_extrapolation: richardson", P);
  printf("\n  richardson: n = 24: %.4g, n = 48: %.4g (plain %.4g)", e24, e48, plain);
  CU_ASSERT(e48 < 0.25 * plain);
  CU_ASSERT(e48 < 0.25 * e24); /* order > 2 in h */
  /* momentum and energy stay exact: sum w U = 0, sum w v.U = 0 to round-off */
  for (unsigned d = 2; d <= 3; d++) {
    kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: bimaxwellian}", d, 0, NULL, NULL);
    char y[192];
    snprintf(y, sizeof y,
             "{type: landau_particles, d: %u, n: 12, box: 7, epsilon_extrapolation: richardson, "
             "kernel: {type: power_law, gamma: -3, C: 0.0625, regime: coulomb}}",
             d);
    kl_instance *model = init ? kl_test_instance(KL_KIND_MODEL, y, d, 0, init, NULL) : NULL;
    CU_ASSERT_FATAL(model != NULL);
    const size_t len = kl_model_size(model), N = len / d;
    double *v = malloc(len * sizeof *v), *u = malloc(len * sizeof *u), t = 0;
    kl_error err = {0, ""};
    kl_model_initial(model, &t, v, &err);
    CU_ASSERT_EQUAL(kl_model_rhs(model, t, v, u, &err), KL_OK);
    kl_view view;
    kl_model_view(model, v, &view, &err);
    double mom[3] = {0, 0, 0}, energy = 0, scale = 0;
    for (size_t i = 0; i < N; i++)
      for (unsigned a = 0; a < d; a++) {
        const double w = view.particles.w[i];
        mom[a] += w * u[a * N + i];
        energy += w * v[a * N + i] * u[a * N + i];
        scale += w * fabs(v[a * N + i] * u[a * N + i]);
      }
    for (unsigned a = 0; a < d; a++) KL_ASSERT_CLOSE(mom[a], 0, 1e-14 * scale);
    KL_ASSERT_CLOSE(energy, 0, 1e-14 * scale);
    free(v), free(u);
    kl_instance_free(model);
    kl_instance_free(init);
  }
}

static CU_TestInfo tests[] = {{"gamma = 0: closed form", test_maxwell_closed_form},
                              {"Coulomb, anisotropic Maxwellian: 1-D integrals",
                               test_coulomb_anisotropic},
                              {"second_moments on the blob method", test_diagnostic_converges},
                              {"second_moment_rate refused", test_rate_refused},
                              {"epsilon_extrapolation: richardson", test_extrapolation},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"landau second-moment rate", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
int main(void) { return kl_test_main(suites); }
