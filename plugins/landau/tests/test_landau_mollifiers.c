/* plugins/landau/tests/test_landau_mollifiers.c - the gaussian and exponential mollifiers:
 * unit mass, gradient against finite differences, C_d against closed forms,
 * cut-off radius against its tolerance. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_bessel.h>

#include "testutil.h"

static const char *const specs[] = {"{type: gaussian}", "{type: gaussian, scaling: length}",
                                    "{type: exponential}"};
static const double sphere[4] = {0, 2, 2 * M_PI, 4 * M_PI};

typedef struct rad {
  const kl_instance *m;
  unsigned d;
  double eps;
  int what; /* 0: |S| r^{d-1} G, 1: |S| r^{d-1} |grad G| */
} rad;

static double rad_f(double r, void *p) {
  const rad *c = p;
  double r2 = r * r, v, g;
  kl_mollifier_profile(c->m, c->d, c->eps, 1, &r2, &v, &g);
  double rd = c->d == 1 ? 1 : c->d == 2 ? r : r * r;
  return sphere[c->d] * rd * (c->what ? fabs(g) * r : v);
}

/* int_a^inf of the radial integrand (GSL QAGIU; the integrands are smooth). */
static double radial(const kl_instance *m, unsigned d, double eps, int what, double a) {
  rad c = {m, d, eps, what};
  gsl_function f = {rad_f, &c};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(500);
  double res = NAN, abserr;
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  gsl_integration_qagiu(&f, a, 1e-300, 1e-12, 500, w, &res, &abserr);
  gsl_set_error_handler(old);
  gsl_integration_workspace_free(w);
  return res;
}

/* int G^eps = 1 by radial quadrature, every mollifier, d = 1..3, several eps.
 * QAGIU reaches ~1e-12 on these smooth integrands: tolerance 1e-9. */
static void test_unit_mass(void) {
  const double epss[] = {0.01, 0.3, 2.0};
  for (size_t s = 0; s < 3; s++) {
    kl_instance *m = kl_test_instance(KL_KIND_MOLLIFIER, specs[s], 2, 0, NULL, NULL);
    if (!m) continue;
    for (unsigned d = 1; d <= 3; d++)
      for (size_t e = 0; e < 3; e++) KL_ASSERT_CLOSE(radial(m, d, epss[e], 0, 0), 1.0, 1e-9);
    kl_instance_free(m);
  }
}

/* grad G^eps(z) = g z against central differences with step 1e-5 * scale:
 * truncation error O(step^2 G''') ~ 1e-10 relative; tolerance 1e-7 of max|grad|. */
static void test_gradient_fd(void) {
  const double z0[][3] = {{0.3, -0.2, 0.1}, {1.1, 0.4, -0.7}, {-0.05, 0.02, 0.6}};
  for (size_t s = 0; s < 3; s++) {
    kl_instance *m = kl_test_instance(KL_KIND_MOLLIFIER, specs[s], 2, 0, NULL, NULL);
    if (!m) continue;
    for (unsigned d = 1; d <= 3; d++)
      for (size_t p = 0; p < 3; p++) {
        double eps = 0.5, grad[3], z[3];
        memcpy(z, z0[p], sizeof z);
        kl_mollifier_eval(m, d, eps, z, grad);
        double g0 = kl_mollifier_eval(m, d, eps, (double[3]){0, 0, 0}, NULL);
        double step = 1e-5;
        for (unsigned a = 0; a < d; a++) {
          double zp[3], zm[3];
          memcpy(zp, z, sizeof zp);
          memcpy(zm, z, sizeof zm);
          zp[a] += step;
          zm[a] -= step;
          double fd = (kl_mollifier_eval(m, d, eps, zp, NULL) - kl_mollifier_eval(m, d, eps, zm, NULL)) /
                      (2 * step);
          KL_ASSERT_CLOSE(grad[a], fd, 1e-7 * g0 / eps);
        }
      }
    kl_instance_free(m);
  }
}

/* C_d of the exponential blob: G^1(0) = C_d e^{-1}, with the closed forms
 * 1/C_1 = 2 K_1(1), 1/C_2 = 4 pi / e, 1/C_3 = 4 pi K_2(1) (substitute r = sinh t:
 * int_0^inf cosh(nu t) e^{-cosh t} dt = K_nu(1)).  The plugin computes C_d by
 * quadrature to 1e-13: tolerance 1e-11 relative. */
static void test_exponential_constant(void) {
  kl_instance *m = kl_test_instance(KL_KIND_MOLLIFIER, "{type: exponential}", 2, 0, NULL, NULL);
  if (!m) return;
  const double C[4] = {0, 1 / (2 * gsl_sf_bessel_Kn(1, 1.0)), M_E / (4 * M_PI),
                       1 / (4 * M_PI * gsl_sf_bessel_Kn(2, 1.0))};
  for (unsigned d = 1; d <= 3; d++) {
    double r2 = 0, v;
    kl_mollifier_profile(m, d, 1.0, 1, &r2, &v, NULL);
    KL_ASSERT_CLOSE(v * M_E / C[d], 1.0, 1e-11);
    /* and the eps scaling G^eps(0) = eps^-d G(0) */
    kl_mollifier_profile(m, d, 0.5, 1, &r2, &v, NULL);
    KL_ASSERT_CLOSE(v * M_E * pow(0.5, d) / C[d], 1.0, 1e-11);
  }
  kl_instance_free(m);
}

/* The Gaussian's two scalings: variance eps and length sqrt(eps) give one blob. */
static void test_gaussian_scalings(void) {
  kl_instance *a = kl_test_instance(KL_KIND_MOLLIFIER, "{type: gaussian}", 2, 0, NULL, NULL);
  kl_instance *b = kl_test_instance(KL_KIND_MOLLIFIER, "{type: gaussian, scaling: length}", 2, 0,
                                    NULL, NULL);
  if (!a || !b) return;
  for (unsigned d = 1; d <= 3; d++) {
    double z[3] = {0.2, -0.4, 0.3}, ga[3], gb[3];
    double va = kl_mollifier_eval(a, d, 0.09, z, ga), vb = kl_mollifier_eval(b, d, 0.3, z, gb);
    KL_ASSERT_CLOSE(va, vb, 1e-14 * va);
    for (unsigned k = 0; k < d; k++) KL_ASSERT_CLOSE(ga[k], gb[k], 1e-13 * fabs(ga[k]));
    /* CHWW form: (2 pi eps)^{-d/2} */
    KL_ASSERT_CLOSE(kl_mollifier_eval(a, d, 0.09, (double[3]){0, 0, 0}, NULL),
                    pow(2 * M_PI * 0.09, -0.5 * d), 1e-13);
  }
  kl_instance_free(a);
  kl_instance_free(b);
}

/* Cut-off R(eps, rtol): the mass tail, the relative |grad| tail (by quadrature)
 * and G(R)/G(0) are all <= rtol (1% slack for the quadrature of tiny tails); for
 * the Gaussian (exact tail formulas) R is also tight: at 0.97 R one of the
 * three exceeds rtol. */
static void test_cutoff(void) {
  const double rtols[] = {1e-3, 1e-8, 1e-12};
  for (size_t s = 0; s < 3; s++) {
    kl_instance *m = kl_test_instance(KL_KIND_MOLLIFIER, specs[s], 2, 0, NULL, NULL);
    if (!m) continue;
    for (unsigned d = 1; d <= 3; d++)
      for (size_t k = 0; k < 3; k++) {
        double eps = 0.2, rtol = rtols[k];
        double R = kl_mollifier_cutoff(m, d, eps, rtol);
        CU_ASSERT(R > 0 && isfinite(R));
        double gtot = radial(m, d, eps, 1, 0);
        double tail = radial(m, d, eps, 0, R), gtail = radial(m, d, eps, 1, R) / gtot;
        double g0 = kl_mollifier_eval(m, d, eps, (double[3]){0, 0, 0}, NULL);
        double gR = kl_mollifier_eval(m, d, eps, (double[3]){R, 0, 0}, NULL) / g0;
        CU_ASSERT(tail <= 1.01 * rtol);
        CU_ASSERT(gtail <= 1.01 * rtol);
        CU_ASSERT(gR <= 1.0000001 * rtol);
        if (s < 2) {
          double r = 0.97 * R;
          double t2 = radial(m, d, eps, 0, r), gt2 = radial(m, d, eps, 1, r) / gtot;
          double gr = kl_mollifier_eval(m, d, eps, (double[3]){r, 0, 0}, NULL) / g0;
          CU_ASSERT(t2 > rtol || gt2 > rtol || gr > rtol);
        }
      }
    kl_instance_free(m);
  }
}

static void test_bad_scaling(void) {
  kl_instance *m = NULL;
  kl_error err = {0, ""};
  int rc = kl_test_instance_status(KL_KIND_MOLLIFIER, "{type: gaussian, scaling: width}", 2, 0,
                                   NULL, NULL, &m, &err);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "scaling"));
  kl_instance_free(m);
}

/* The Gaussian is separable: prod_a g(z_a) = G^eps(z) and g'(z_a) prod_{b != a}
 * g(z_b) = (grad G^eps(z))_a, d = 2 and 3, both scalings, at pseudo-random z
 * within 4 standard deviations: products of d exp against one exp of the sum,
 * a few ulp apart (libmvec exp: <= 4 ulp each); tolerance 1e-13 relative to
 * G^eps(0) (resp. max |grad|).  The exponential blob says it is not separable. */
static void test_separable(void) {
  for (size_t sp = 0; sp < 3; sp++) {
    kl_instance *m = kl_test_instance(KL_KIND_MOLLIFIER, specs[sp], 2, 0, NULL, NULL);
    if (!m) continue;
    const bool gaussian = strstr(specs[sp], "gaussian") != NULL;
    CU_ASSERT_EQUAL(kl_mollifier_is_separable(m), gaussian);
    if (!gaussian) {
      kl_instance_free(m);
      continue;
    }
    unsigned long long r = 0x9E3779B97F4A7C15ull;
    for (unsigned d = 2; d <= 3; d++)
      for (int e = 0; e < 2; e++) {
        const double eps = e ? 0.02 : 0.7, sd = strstr(specs[sp], "length") ? eps : sqrt(eps);
        double z0[3] = {0, 0, 0}, G0 = kl_mollifier_eval(m, d, eps, z0, NULL);
        for (int k = 0; k < 50; k++) {
          double z[3], g[3], dg[3], grad[3], gmax = G0 / sd;
          for (unsigned a = 0; a < d; a++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            z[a] = 8 * sd * ((double)(r >> 11) / 9007199254740992.0 - 0.5);
          }
          double G = kl_mollifier_eval(m, d, eps, z, grad);
          kl_mollifier_factor(m, d, eps, d, z, g, dg);
          double prod = 1;
          for (unsigned a = 0; a < d; a++) prod *= g[a];
          KL_ASSERT_CLOSE(prod, G, 1e-13 * G0);
          for (unsigned a = 0; a < d; a++) {
            double p = dg[a];
            for (unsigned b = 0; b < d; b++)
              if (b != a) p *= g[b];
            KL_ASSERT_CLOSE(p, grad[a], 1e-13 * gmax);
          }
        }
      }
    kl_instance_free(m);
  }
}

static CU_TestInfo tests[] = {{"unit mass", test_unit_mass},
                              {"separable factor (gaussian)", test_separable},
                              {"gradient vs finite differences", test_gradient_fd},
                              {"exponential C_d", test_exponential_constant},
                              {"gaussian scalings", test_gaussian_scalings},
                              {"cut-off radius", test_cutoff},
                              {"bad scaling", test_bad_scaling},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"landau mollifiers", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
int main(void) { return kl_test_main(suites); }
