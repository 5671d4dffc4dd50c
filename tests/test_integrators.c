/* test_integrators.c - orders of the fixed-step methods, tolerance of the
 * adaptive ones, exact landing on t_limit, error paths and counters. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* Harmonic oscillator y1' = y2, y2' = -y1: y(t) = (cos t, -sin t) from (1, 0). */
static int oscillator(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx; (void)t; (void)err;
  dydt[0] = y[1];
  dydt[1] = -y[0];
  return KL_OK;
}

/* All-to-all Cucker-Smale particles, dv_i/dt = (kappa/N) sum_j (v_j - v_i):
 * v_i(t) = vbar + exp(-kappa t) (v_i(0) - vbar) (the homogeneous exact solution). */
#define CS_N 5
static const double cs_kappa = 2.0;
static int cs_all_to_all(void *ctx, double t, const double *v, double *dvdt, kl_error *err) {
  (void)ctx; (void)t; (void)err;
  for (int i = 0; i < CS_N; i++) {
    double s = 0;
    for (int j = 0; j < CS_N; j++) s += v[j] - v[i];
    dvdt[i] = cs_kappa / CS_N * s;
  }
  return KL_OK;
}

static kl_instance *integrator(const char *yaml) {
  return kl_test_instance(KL_KIND_INTEGRATOR, yaml, 1, 0, NULL, NULL);
}

/* Integrate sys from 0 to T; returns the final state in y. */
static int integrate(kl_instance *in, const kl_system *sys, double T, double dt, double *y,
                     kl_step_stats *st) {
  double t = 0;
  kl_error err = {0, ""};
  while (t < T) {
    int rc = kl_integrator_step(in, sys, &t, &dt, T, y, st, &err);
    if (rc) {
      fprintf(stderr, "\n%s\n", err.message);
      return rc;
    }
  }
  CU_ASSERT_EQUAL(t, T); /* lands exactly */
  return KL_OK;
}

static double oscillator_error(kl_instance *in, double dt, double T) {
  kl_system sys = {oscillator, NULL, 2};
  double y[2] = {1, 0};
  kl_step_stats st = {0, 0, 0};
  CU_ASSERT_EQUAL(integrate(in, &sys, T, dt, y, &st), KL_OK);
  return hypot(y[0] - cos(T), y[1] + sin(T));
}

static double cs_error(kl_instance *in, double dt, double T) {
  kl_system sys = {cs_all_to_all, NULL, CS_N};
  double v0[CS_N] = {-1.0, 0.3, 0.7, 2.0, -0.4}, v[CS_N], vbar = 0;
  for (int i = 0; i < CS_N; i++) vbar += v0[i] / CS_N;
  memcpy(v, v0, sizeof v);
  kl_step_stats st = {0, 0, 0};
  CU_ASSERT_EQUAL(integrate(in, &sys, T, dt, v, &st), KL_OK);
  double e = 0;
  for (int i = 0; i < CS_N; i++) e = fmax(e, fabs(v[i] - (vbar + exp(-cs_kappa * T) * (v0[i] - vbar))));
  return e;
}

/* The observed order log2(e(dt)/e(dt/2)) is within 0.2 of the stated order:
 * at these dt the next term of the error expansion changes the ratio by
 * O(dt) relative, i.e. a few percent of the order (checked: all are within 0.1). */
static void check_order(const char *type, unsigned order, double dt) {
  char yaml[128];
  snprintf(yaml, sizeof yaml, "{type: %s, dt: %g}", type, dt);
  kl_instance *in = integrator(yaml);
  CU_ASSERT_PTR_NOT_NULL_FATAL(in);
  CU_ASSERT_EQUAL(kl_integrator_order(in), order);
  CU_ASSERT_FALSE(kl_integrator_is_adaptive(in));
  double p_osc = log2(oscillator_error(in, dt, 2.0) / oscillator_error(in, dt / 2, 2.0));
  double p_cs = log2(cs_error(in, dt, 1.0) / cs_error(in, dt / 2, 1.0));
  printf("\n    %s: observed order %.3f (oscillator), %.3f (Cucker-Smale all-to-all) ", type,
         p_osc, p_cs);
  KL_ASSERT_CLOSE(p_osc, order, 0.2);
  KL_ASSERT_CLOSE(p_cs, order, 0.2);
  kl_instance_free(in);
}

static void test_euler_order(void) { check_order("euler", 1, 0.01); }
static void test_ssprk3_order(void) { check_order("ssprk3", 3, 0.05); }
static void test_rk4_order(void) { check_order("rk4", 4, 0.05); }

/* Global error over 10 time units stays within a modest multiple of rtol
 * (local errors of size rtol accumulate over the steps: we allow 100 rtol),
 * and a tighter rtol costs more steps. */
static void check_adaptive(const char *type) {
  double errs[2];
  uint64_t steps[2];
  const double rtols[2] = {1e-6, 1e-9};
  for (int k = 0; k < 2; k++) {
    char yaml[160];
    snprintf(yaml, sizeof yaml, "{type: %s, dt: 0.1, rtol: %g, atol: %g}", type, rtols[k],
             rtols[k]);
    kl_instance *in = integrator(yaml);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_TRUE(kl_integrator_is_adaptive(in));
    kl_system sys = {oscillator, NULL, 2};
    double y[2] = {1, 0};
    kl_step_stats st = {0, 0, 0};
    CU_ASSERT_EQUAL(integrate(in, &sys, 10.0, 0.1, y, &st), KL_OK);
    errs[k] = hypot(y[0] - cos(10.0), y[1] + sin(10.0));
    steps[k] = st.accepted;
    CU_ASSERT(st.rhs_evals >= st.accepted);
    kl_instance_free(in);
  }
  printf("\n    %s: error %.2e (rtol 1e-6, %llu steps), %.2e (rtol 1e-9, %llu steps) ", type,
         errs[0], (unsigned long long)steps[0], errs[1], (unsigned long long)steps[1]);
  CU_ASSERT(errs[0] < 100 * rtols[0]);
  CU_ASSERT(errs[1] < 100 * rtols[1]);
  CU_ASSERT(steps[1] > steps[0]);
}

static void test_dopri54(void) { check_adaptive("dopri54"); }
static void test_bs32(void) { check_adaptive("bs32"); }
static void test_gsl_rkf45(void) { check_adaptive("gsl_rkf45"); }
static void test_gsl_rkck(void) { check_adaptive("gsl_rkck"); }
static void test_gsl_rk8pd(void) { check_adaptive("gsl_rk8pd"); }

/* Right-hand-side evaluations per step. */
static void test_counters(void) {
  const char *types[] = {"euler", "ssprk3", "rk4", "bs32", "dopri54"};
  const uint64_t evals[] = {1, 3, 4, 4, 7};
  for (int k = 0; k < 5; k++) {
    char yaml[64];
    /* A loose tolerance so the adaptive pairs accept their first try. */
    snprintf(yaml, sizeof yaml, k < 3 ? "{type: %s, dt: 0.01}" : "{type: %s, dt: 0.01, rtol: 1e-3}",
             types[k]);
    kl_instance *in = integrator(yaml);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    kl_system sys = {oscillator, NULL, 2};
    double y[2] = {1, 0}, t = 0, dt = 0.01;
    kl_step_stats st = {0, 0, 0};
    kl_error err = {0, ""};
    CU_ASSERT_EQUAL(kl_integrator_step(in, &sys, &t, &dt, 1.0, y, &st, &err), KL_OK);
    CU_ASSERT_EQUAL(st.accepted, 1);
    CU_ASSERT_EQUAL(st.rhs_evals, evals[k]);
    kl_instance_free(in);
  }
}

static int failing_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx; (void)y; (void)dydt;
  return kl_error_set(err, KL_ENUMERIC, "test rhs fails at t = %g", t);
}

static int nan_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx; (void)t; (void)y; (void)err;
  dydt[0] = dydt[1] = NAN;
  return KL_OK;
}

/* A failing rhs propagates its error and leaves y and t unchanged; an rhs that
 * returns NaN makes the adaptive steppers give up with KL_ELIMIT. */
static void test_failures(void) {
  const char *types[] = {"rk4", "ssprk3", "dopri54", "gsl_rk8pd"};
  for (int k = 0; k < 4; k++) {
    char yaml[96];
    snprintf(yaml, sizeof yaml, "{type: %s, dt: 0.1}", types[k]);
    kl_instance *in = integrator(yaml);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    kl_system sys = {failing_rhs, NULL, 2};
    double y[2] = {1, 2}, t = 0.5, dt = 0.1;
    kl_step_stats st = {0, 0, 0};
    kl_error err = {0, ""};
    CU_ASSERT_EQUAL(kl_integrator_step(in, &sys, &t, &dt, 1.0, y, &st, &err), KL_ENUMERIC);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "test rhs fails"));
    CU_ASSERT(y[0] == 1 && y[1] == 2 && t == 0.5);
    if (kl_integrator_is_adaptive(in)) {
      kl_system nan_sys = {nan_rhs, NULL, 2};
      int rc = kl_integrator_step(in, &nan_sys, &t, &dt, 1.0, y, &st, &err);
      CU_ASSERT_EQUAL(rc, KL_ELIMIT);
      CU_ASSERT(y[0] == 1 && y[1] == 2 && t == 0.5);
    }
    kl_instance_free(in);
  }
}

static void test_bad_params(void) {
  kl_instance *in = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_test_instance_status(KL_KIND_INTEGRATOR, "{type: rk4, dt: -0.1}", 1, 0,
                                          NULL, NULL, &in, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "dt"));
  CU_ASSERT_EQUAL(kl_test_instance_status(KL_KIND_INTEGRATOR, "{type: rk4}", 1, 0, NULL, NULL,
                                          &in, &err), KL_EINVAL);
  CU_ASSERT_EQUAL(kl_test_instance_status(KL_KIND_INTEGRATOR, "{type: dopri54, rtol: 0}", 1, 0,
                                          NULL, NULL, &in, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "rtol"));
  CU_ASSERT_EQUAL(kl_test_instance_status(KL_KIND_INTEGRATOR, "{type: gsl_rk8pd, rtol: 0, atol: 0}",
                                          1, 0, NULL, NULL, &in, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "atol"));
}

int main(void) {
  static CU_TestInfo tests[] = {
      {"euler order 1", test_euler_order},
      {"ssprk3 order 3", test_ssprk3_order},
      {"rk4 order 4", test_rk4_order},
      {"dopri54 meets its tolerance", test_dopri54},
      {"bs32 meets its tolerance", test_bs32},
      {"gsl_rkf45 meets its tolerance", test_gsl_rkf45},
      {"gsl_rkck meets its tolerance", test_gsl_rkck},
      {"gsl_rk8pd meets its tolerance", test_gsl_rk8pd},
      {"rhs evaluations per step", test_counters},
      {"failures leave the state unchanged", test_failures},
      {"parameter errors", test_bad_params},
      CU_TEST_INFO_NULL};
  static CU_SuiteInfo suites[] = {{"integrators", NULL, NULL, NULL, NULL, tests},
                                  CU_SUITE_INFO_NULL};
  return kl_test_main(suites);
}
