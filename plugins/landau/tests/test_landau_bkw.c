/* plugins/landau/tests/test_landau_bkw.c - the 2-D BKW solution with the particle method at
 * small n: fourth moment and reconstruction errors, their order in h, and the
 * invariants, with RK4 (a local step; dt = 0.02, whose error is far below the
 * O(h^2) regularization error measured here).
 *
 * Reference numbers (docs/validation.md, standalone driver, dt = 0.01, box 4,
 * eps = 0.64 h^1.98, Gaussian variance scaling), |M4 - M4_exact| at t = 1:
 *   n = 20: 1.59e-1   n = 40: 4.5e-2   n = 60: 2.1e-2   n = 80: 1.2e-2
 * i.e. order ~1.9 in h; see the table there.  Tolerances below: the n = 20 and
 * n = 30 errors within 5% of those values (a changed scheme moves them by far
 * more), and the observed order between them in [1.6, 2.4].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_landau_common.h"

#define M4_ERR_N20 0.1586
#define M4_ERR_N30 0.07788

typedef struct bkw_result {
  double m4_err, l1, l2, linf, mass_drift, mom, energy_drift, entropy_drop;
} bkw_result;

/* box: ", box: 4" and the like, or "" for the default box (the tail rule) */
static int run_bkw_box(int n, const char *box, double T, double dt, bkw_result *res) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: bkw}", 2, 0, NULL, NULL);
  if (!init) return 1;
  char y[256];
  snprintf(y, sizeof y, "{type: landau_particles, d: 2, n: %d%s}", n, box);
  kl_instance *model = kl_test_instance(KL_KIND_MODEL, y, 2, 0, init, NULL);
  kl_instance *diag = model ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: bkw_error}", 2, 0,
                                               init, model)
                            : NULL;
  if (!diag) return 1;
  size_t len = kl_model_size(model);
  double *yv = malloc(len * sizeof *yv), t = 0, inv0[16], inv[16], vals[5];
  kl_error err = {0, ""};
  kl_model_initial(model, &t, yv, &err);
  kl_model_invariants(model, t, yv, inv0, &err);
  long steps = lround(T / dt);
  for (long s = 0; s < steps; s++) {
    if (landau_rk4_step(model, t, dt, yv, len, &err)) {
      CU_FAIL(err.message);
      return 1;
    }
    t = (double)(s + 1) * dt;
  }
  kl_view view;
  kl_model_view(model, yv, &view, &err);
  kl_observation obs = {t, (uint64_t)steps, yv, &view, model, init};
  CU_ASSERT_EQUAL(kl_diagnostic_observe(diag, &obs, vals, &err), KL_OK);
  kl_model_invariants(model, t, yv, inv, &err);
  res->m4_err = vals[1];
  res->l1 = vals[2];
  res->l2 = vals[3];
  res->linf = vals[4];
  res->mass_drift = inv[0] - inv0[0];
  res->mom = fabs(inv[1]) + fabs(inv[2]);
  res->energy_drift = (inv[3] - inv0[3]) / inv0[3];
  res->entropy_drop = inv0[5] - inv[5];
  /* M4 exact at t (16K - 8K^2) against the diagnostic's quadrature */
  double K = 1 - 0.5 * exp(-t / 8);
  KL_ASSERT_CLOSE(vals[0], 16 * K - 8 * K * K, 1e-10);
  printf("\n    n = %d%s: |M4 err| %.4e  L1 %.3e  L2 %.3e  Linf %.3e  energy drift %.2e",
         n, *box ? box : " (default box)", res->m4_err, res->l1, res->l2, res->linf, res->energy_drift);
  free(yv);
  kl_instance_free(diag);
  kl_instance_free(model);
  kl_instance_free(init);
  return 0;
}

static int run_bkw(int n, double T, double dt, bkw_result *res) {
  return run_bkw_box(n, ", box: 4", T, dt, res);
}

/* The default box (the tail rule, L = 3.73 at n = 20, 3.93 at n = 30) keeps
 * the order and beats the former default, the support +-6 of bkw, whose
 * larger h = 2L/n costs about (6/L)^2 in the O(h^2) error (docs/validation.md
 * 1b: a factor 2 at T = 5). */
static void test_bkw_default_box(void) {
  bkw_result a, b, a6, b6;
  if (run_bkw_box(20, "", 1.0, 0.02, &a) || run_bkw_box(30, "", 1.0, 0.02, &b) ||
      run_bkw_box(20, ", box: 6", 1.0, 0.02, &a6) || run_bkw_box(30, ", box: 6", 1.0, 0.02, &b6))
    return;
  printf("\n");
  /* measured 1.62 (box 4: 1.75): L grows with n, which takes 2 ln(3.93/3.73) /
   * ln(1.5) = 0.26 off the order in n; box 6 gives 1.40 */
  const double order = log(a.m4_err / b.m4_err) / log(30.0 / 20.0);
  CU_ASSERT(order > 1.5 && order < 2.4);
  CU_ASSERT(a.m4_err < 0.6 * a6.m4_err);
  CU_ASSERT(b.m4_err < 0.6 * b6.m4_err);
}

static void test_bkw_convergence(void) {
  bkw_result a, b;
  if (run_bkw(20, 1.0, 0.02, &a) || run_bkw(30, 1.0, 0.02, &b)) return;
  printf("\n");
  KL_ASSERT_CLOSE(a.m4_err, M4_ERR_N20, 0.05 * M4_ERR_N20);
  KL_ASSERT_CLOSE(b.m4_err, M4_ERR_N30, 0.05 * M4_ERR_N30);
  double order = log(a.m4_err / b.m4_err) / log(30.0 / 20.0);
  CU_ASSERT(order > 1.6 && order < 2.4);
  /* reconstruction error falls with h too */
  CU_ASSERT(b.l1 < a.l1 && b.l2 < a.l2);
  /* invariants: mass exactly, momentum to round-off, energy to the RK4 error
   * O(dt^4) ~ 1e-9 over 50 steps (measured ~1e-11): tolerance 1e-8 */
  KL_ASSERT_CLOSE(a.mass_drift, 0.0, 0);
  KL_ASSERT_CLOSE(a.mom, 0.0, 1e-14);
  KL_ASSERT_CLOSE(a.energy_drift, 0.0, 1e-8);
  KL_ASSERT_CLOSE(b.energy_drift, 0.0, 1e-8);
  CU_ASSERT(a.entropy_drop > 0 && b.entropy_drop > 0);
}

static void test_bkw_needs_exact(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: bimaxwellian}", 2, 0, NULL, NULL);
  if (!init) return;
  kl_instance *d = NULL;
  kl_error err = {0, ""};
  int rc = kl_test_instance_status(KL_KIND_DIAGNOSTIC, "{type: bkw_error}", 2, 0, init, NULL, &d,
                                   &err);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "exact solution"));
  kl_instance_free(d);
  kl_instance_free(init);
}

/* bkw_error on a hand-computed case.  A standard Maxwellian (d = 2, 3; mass 1,
 * T = 1) on the reconstruction grid points: 2, box: 1 has the value
 * f0 = (2 pi)^(-d/2) e^(-d/8) at all 2^d cell centres (+-1/2, ...).  One
 * particle sits on the centre (1/2, ...) with a Gaussian blob of variance 1e-3
 * (cut-off radius 0.24 < 1: it reaches no other centre) and weight
 * w = 3 f0 / G(0), so the reconstruction is 3 f0 there and 0 elsewhere: the
 * errors are 2 f0 at one centre and f0 at the 2^d - 1 others, so
 *   l1 = (2 + 2^d - 1) / 2^d,  l2 = sqrt((4 + 2^d - 1) / 2^d),  linf = 2,
 * and m4_exact = d (d + 2) (the Maxwellian's fourth moment; midpoint rule on
 * [-10, 10]^d, spectrally accurate: 1e-10), m4_error = |w (d/4)^2 - d (d + 2)|.
 * Also the 3-D BKW fourth moment 30K - 15K^2 (K = 1 - e^(-t/6)) at t = 6.5. */
static void test_bkw_error_hand_computed(void) {
  for (unsigned d = 2; d <= 3; d++) {
    kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: maxwellian}", d, 0, NULL, NULL);
    kl_instance *moll = kl_test_instance(KL_KIND_MOLLIFIER, "{type: gaussian}", d, 0, NULL, NULL);
    kl_instance *diag =
        init ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: bkw_error, points: 2, box: 1}", d, 0,
                                init, NULL)
             : NULL;
    if (!diag || !moll) {
      CU_FAIL("instances");
      continue;
    }
    const double eps = 1e-3, f0 = pow(2 * M_PI, -0.5 * d) * exp(-(double)d / 8),
                 G0 = pow(2 * M_PI * eps, -0.5 * d), w = 3 * f0 / G0, half = 0.5;
    kl_view view;
    memset(&view, 0, sizeof view);
    view.kind = KL_VIEW_PARTICLES;
    view.dim_v = d;
    view.particles.n = 1;
    for (unsigned a = 0; a < d; a++) view.particles.v[a] = &half;
    view.particles.w = &w;
    view.particles.mollifier = moll;
    view.particles.eps = eps;
    kl_observation obs = {0, 0, NULL, &view, NULL, init};
    double vals[5];
    kl_error err = {0, ""};
    CU_ASSERT_EQUAL(kl_diagnostic_observe(diag, &obs, vals, &err), KL_OK);
    const double cells = pow(2, d), m4x = d * (d + 2.0);
    KL_ASSERT_CLOSE(vals[0], m4x, 1e-10);
    KL_ASSERT_CLOSE(vals[1], fabs(w * (d / 4.0) * (d / 4.0) - m4x), 1e-10);
    KL_ASSERT_CLOSE(vals[2], (2 + cells - 1) / cells, 1e-14);
    KL_ASSERT_CLOSE(vals[3], sqrt((4 + cells - 1) / cells), 1e-14);
    KL_ASSERT_CLOSE(vals[4], 2.0, 1e-14);
    kl_instance_free(diag);
    kl_instance_free(moll);
    kl_instance_free(init);
  }
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: bkw}", 3, 0, NULL, NULL);
  kl_instance *moll = kl_test_instance(KL_KIND_MOLLIFIER, "{type: gaussian}", 3, 0, NULL, NULL);
  kl_instance *diag =
      init ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: bkw_error, points: 2}", 3, 0, init, NULL)
           : NULL;
  if (diag && moll) {
    const double zero = 0, w = 1;
    kl_view view;
    memset(&view, 0, sizeof view);
    view.kind = KL_VIEW_PARTICLES;
    view.dim_v = 3;
    view.particles.n = 1;
    for (unsigned a = 0; a < 3; a++) view.particles.v[a] = &zero;
    view.particles.w = &w;
    view.particles.mollifier = moll;
    view.particles.eps = 0.1;
    kl_observation obs = {6.5, 0, NULL, &view, NULL, init};
    double vals[5];
    kl_error err = {0, ""};
    CU_ASSERT_EQUAL(kl_diagnostic_observe(diag, &obs, vals, &err), KL_OK);
    const double K = 1 - exp(-6.5 / 6);
    KL_ASSERT_CLOSE(vals[0], 30 * K - 15 * K * K, 1e-10);
    KL_ASSERT_CLOSE(vals[1], vals[0], 1e-10); /* the particle at 0 has no fourth moment */
  }
  kl_instance_free(diag);
  kl_instance_free(moll);
  kl_instance_free(init);
}


/* bkw_error split: true on a closed form.  For the standard Maxwellian M_1
 * (variance 1 per component) and a Gaussian blob of variance e, G^e * M_1 =
 * M_{1+e} exactly, so the smoothing part is the relative norm of M_{1+e} - M_1
 * on the grid, and the particle part that of f^e - M_{1+e}, with f^e the one
 * particle's blob: all three computed here from the formulas, independently of
 * the diagnostic's lattice quadrature (accurate to its 1e-10 tolerance). */
static double maxwellian(unsigned d, double var, const double *v) {
  double r2 = 0;
  for (unsigned a = 0; a < d; a++) r2 += v[a] * v[a];
  return pow(2 * M_PI * var, -0.5 * d) * exp(-0.5 * r2 / var);
}

static void test_bkw_error_split(void) {
  for (unsigned d = 2; d <= 3; d++) {
    const int points = d == 2 ? 8 : 4;
    const double box = 2, eps = 0.05, w = 0.7, p[3] = {0.3, -0.2, 0.1};
    char y[96];
    snprintf(y, sizeof y, "{type: bkw_error, points: %d, box: %g, split: true}", points, box);
    kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: maxwellian}", d, 0, NULL, NULL);
    kl_instance *moll = kl_test_instance(KL_KIND_MOLLIFIER, "{type: gaussian}", d, 0, NULL, NULL);
    kl_instance *diag = init ? kl_test_instance(KL_KIND_DIAGNOSTIC, y, d, 0, init, NULL) : NULL;
    if (!diag || !moll) {
      CU_FAIL("instances");
      kl_instance_free(diag);
      kl_instance_free(moll);
      kl_instance_free(init);
      continue;
    }
    const char *const *names;
    CU_ASSERT_EQUAL_FATAL(kl_diagnostic_columns(diag, &names), 11);
    CU_ASSERT_STRING_EQUAL(names[5], "l1_smoothing_error");
    CU_ASSERT_STRING_EQUAL(names[10], "linf_particle_error");
    kl_view view;
    memset(&view, 0, sizeof view);
    view.kind = KL_VIEW_PARTICLES;
    view.dim_v = d;
    view.particles.n = 1;
    for (unsigned a = 0; a < d; a++) view.particles.v[a] = &p[a];
    view.particles.w = &w;
    view.particles.mollifier = moll;
    view.particles.eps = eps;
    kl_observation obs = {0.5, 0, NULL, &view, NULL, init};
    double vals[11];
    kl_error err = {0, ""};
    CU_ASSERT_EQUAL_FATAL(kl_diagnostic_observe(diag, &obs, vals, &err), KL_OK);
    double f1 = 0, f2 = 0, fi = 0, s[3] = {0, 0, 0}, q[3] = {0, 0, 0}, t[3] = {0, 0, 0};
    const double dv = 2 * box / points;
    size_t total = 1;
    for (unsigned a = 0; a < d; a++) total *= (size_t)points;
    for (size_t k = 0; k < total; k++) {
      double v[3], z[3];
      size_t r = k;
      for (unsigned a = 0; a < d; a++, r /= (size_t)points) {
        v[a] = -box + ((double)(r % (size_t)points) + 0.5) * dv;
        z[a] = v[a] - p[a];
      }
      const double f = maxwellian(d, 1, v), g = maxwellian(d, 1 + eps, v),
                   h = w * maxwellian(d, eps, z), e[3] = {g - f, h - g, h - f};
      double *acc[3] = {s, q, t};
      for (int c = 0; c < 3; c++) {
        acc[c][0] += fabs(e[c]);
        acc[c][1] += e[c] * e[c];
        if (fabs(e[c]) > acc[c][2]) acc[c][2] = fabs(e[c]);
      }
      f1 += f, f2 += f * f;
      if (f > fi) fi = f;
    }
    const double *part[3] = {t, s, q};
    for (int c = 0; c < 3; c++) {
      KL_ASSERT_CLOSE(vals[2 + 3 * c], part[c][0] / f1, 1e-8);
      KL_ASSERT_CLOSE(vals[3 + 3 * c], sqrt(part[c][1] / f2), 1e-8);
      KL_ASSERT_CLOSE(vals[4 + 3 * c], part[c][2] / fi, 1e-8);
    }
    kl_instance_free(diag);
    kl_instance_free(moll);
    kl_instance_free(init);
  }
}

static CU_TestInfo tests[] = {{"BKW 2-D n = 20, 30 at t = 1", test_bkw_convergence},
                              {"BKW 2-D default box: order kept, beats box 6", test_bkw_default_box},
                              {"bkw_error needs an exact solution", test_bkw_needs_exact},
                              {"bkw_error on a hand-computed case", test_bkw_error_hand_computed},
                              {"bkw_error split on a closed form", test_bkw_error_split},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"landau BKW", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
int main(void) { return kl_test_main(suites); }
