/* plugins/integrators/tests/test_integrators.c - the integrator plugins (plugins/integrators/):
 * observed orders of the fixed-step methods and of the embedded pairs' main
 * formulas, tolerance of the adaptive steppers, exact landing on t_limit,
 * max_rejections, error paths, counters, FSAL and restart bit-identity. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const all_types[] = {"euler",   "ssprk3",    "rk4",      "bs32",
                                        "dopri54", "gsl_rkf45", "gsl_rkck", "gsl_rk8pd"};
#define N_TYPES (sizeof all_types / sizeof *all_types)
static const char *const adaptive_types[] = {"bs32", "dopri54", "gsl_rkf45", "gsl_rkck",
                                             "gsl_rk8pd"};
#define N_ADAPTIVE (sizeof adaptive_types / sizeof *adaptive_types)

/* ---------------------------------------------------------------- systems */

/* Harmonic oscillator y1' = w y2, y2' = -w y1 (w = *(double *)ctx, 1 when ctx
 * is NULL): y(t) = (cos wt, -sin wt) from (1, 0). */
static int oscillator(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)t; (void)err;
  double w = ctx ? *(const double *)ctx : 1.0;
  dydt[0] = w * y[1];
  dydt[1] = -w * y[0];
  return KL_OK;
}

/* All-to-all Cucker-Smale particles in d = 2 (structure of arrays: all v_x, then
 * all v_y), dv_i/dt = (kappa/N) sum_j (v_j - v_i):
 *   v_i(t) = vbar + exp(-kappa t) (v_i(0) - vbar),
 * the particle form of the homogeneous exact solution of docs/cucker_smale.md
 * (rate gamma m = kappa for unit mass and psi = 1). */
#define CS_N 5
#define CS_D 2
static const double cs_kappa = 2.0;
static const double cs_v0[CS_D * CS_N] = {-1.0, 0.3, 0.7, 2.0, -0.4, 0.5, -1.5, 0.2, 1.1, 0.0};
static int cs_all_to_all(void *ctx, double t, const double *v, double *dvdt, kl_error *err) {
  (void)ctx; (void)t; (void)err;
  for (int k = 0; k < CS_D; k++) {
    const double *vk = v + k * CS_N;
    double mean = 0;
    for (int j = 0; j < CS_N; j++) mean += vk[j] / CS_N;
    for (int i = 0; i < CS_N; i++) dvdt[k * CS_N + i] = cs_kappa * (mean - vk[i]);
  }
  return KL_OK;
}

/* y' = -2 t y^2, y(0) = 1: y = 1 / (1 + t^2).  Nonlinear and non-autonomous,
 * so it sees the order conditions that linear constant-coefficient problems
 * cannot (on those, e.g. every 3-stage method of order 3 gives the same
 * numbers: bs32's main formula and ssprk3 agree to the last digit). */
static int riccati(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx; (void)err;
  dydt[0] = -2 * t * y[0] * y[0];
  return KL_OK;
}

/* y' = y^2, y(0) = 1: y = 1/(1 - t) blows up at t = 1. */
static int blow_up(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx; (void)t; (void)err;
  dydt[0] = y[0] * y[0];
  return KL_OK;
}

static int nan_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx; (void)t; (void)y; (void)err;
  dydt[0] = dydt[1] = NAN;
  return KL_OK;
}

/* NaN at every stage after the first of a step from t = 0.5 (GSL's own
 * retries then count against max_rejections, not only ours). */
static int nan_later_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  if (t > 0.5) return nan_rhs(ctx, t, y, dydt, err);
  return oscillator(NULL, t, y, dydt, err);
}

/* A finite but huge rhs: from y0 = 0.9 DBL_MAX, y overflows to Inf for h > 0.4
 * (DBL_MAX / 4, not DBL_MAX: GSL's weighted sums of the stages would overflow
 * before the multiplication by h). */
static int overflow_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx; (void)t; (void)y; (void)err;
  dydt[0] = DBL_MAX / 4;
  return KL_OK;
}

/* The oscillator, failing with KL_ENUMERIC at its fail_at-th call. */
typedef struct counting {
  long calls, fail_at;
} counting;
static int failing_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  counting *c = ctx;
  if (++c->calls == c->fail_at)
    return kl_error_set(err, KL_ENUMERIC, "test rhs fails at call %ld, t = %g", c->calls, t);
  return oscillator(NULL, t, y, dydt, err);
}

/* ---------------------------------------------------------------- helpers */

static kl_instance *integrator(const char *yaml) {
  return kl_test_instance(KL_KIND_INTEGRATOR, yaml, 1, 0, NULL, NULL);
}

static kl_instance *integrator_of(const char *type, double dt) {
  char yaml[96];
  snprintf(yaml, sizeof yaml, "{type: %s, dt: %.17g}", type, dt);
  return integrator(yaml);
}

/* Steps from *t to T (one t_limit): KL_OK or the first failure. */
static int integrate_to(kl_instance *in, const kl_system *sys, double *t, double T, double *dt,
                        double *y, kl_step_stats *st) {
  kl_error err = {0, ""};
  while (*t < T) {
    int rc = kl_integrator_step(in, sys, t, dt, T, y, st, &err);
    if (rc) {
      fprintf(stderr, "\n%s: %s\n", kl_instance_name(in), err.message);
      return rc;
    }
  }
  return KL_OK;
}

static int integrate(kl_instance *in, const kl_system *sys, double T, double dt, double *y,
                     kl_step_stats *st) {
  double t = 0;
  int rc = integrate_to(in, sys, &t, T, &dt, y, st);
  CU_ASSERT(rc != KL_OK || t == T); /* lands exactly */
  return rc;
}

static double oscillator_error(kl_instance *in, double dt, double T) {
  kl_system sys = {oscillator, NULL, 2};
  double y[2] = {1, 0};
  kl_step_stats st = {0, 0, 0};
  CU_ASSERT_EQUAL(integrate(in, &sys, T, dt, y, &st), KL_OK);
  return hypot(y[0] - cos(T), y[1] + sin(T));
}

static double riccati_error(kl_instance *in, double dt, double T) {
  kl_system sys = {riccati, NULL, 1};
  double y = 1;
  kl_step_stats st = {0, 0, 0};
  CU_ASSERT_EQUAL(integrate(in, &sys, T, dt, &y, &st), KL_OK);
  return fabs(y - 1 / (1 + T * T));
}

static double cs_error(kl_instance *in, double dt, double T) {
  kl_system sys = {cs_all_to_all, NULL, CS_D * CS_N};
  double v[CS_D * CS_N];
  memcpy(v, cs_v0, sizeof v);
  kl_step_stats st = {0, 0, 0};
  CU_ASSERT_EQUAL(integrate(in, &sys, T, dt, v, &st), KL_OK);
  double e = 0;
  for (int k = 0; k < CS_D; k++) {
    double vbar = 0;
    for (int i = 0; i < CS_N; i++) vbar += cs_v0[k * CS_N + i] / CS_N;
    for (int i = 0; i < CS_N; i++) {
      double exact = vbar + exp(-cs_kappa * T) * (cs_v0[k * CS_N + i] - vbar);
      e = fmax(e, fabs(v[k * CS_N + i] - exact));
    }
  }
  return e;
}

/* ------------------------------------------------------------------ orders */

/* Observed order p_obs = log2(e(dt) / e(dt/2)) within 0.2 of the stated order p.
 * Why 0.2: the global error is e(h) = C h^p (1 + D h + O(h^2)), so
 *   p_obs = p + log2((1 + D h) / (1 + D h/2)) ~ p + D h / (2 ln 2).
 * D is of the size of the problem's rate (1 for the oscillator, kappa = 2 for
 * Cucker-Smale), so at kappa h <= 0.1 the shift is <= ~0.15, while an error in
 * a coefficient drops the order by at least 1.  Dormand-Prince's leading error
 * constant is small by design, so its D is larger (~8 on the Riccati problem:
 * p_obs = 5.88, 5.53, 5.31, 5.17 at h = 0.2 ... 0.025), hence its smaller h
 * there.  dt is large enough that e(dt/2) stays far above round-off (>= 1e-13,
 * against ~1e-15 accumulated).  Measured shifts: <= 0.17. */
static kl_instance *instance_fmt(const char *yaml_fmt, const char *type, double dt) {
  char yaml[192];
  snprintf(yaml, sizeof yaml, yaml_fmt, type, dt, dt);
  return integrator(yaml);
}

static void check_order(const char *yaml_fmt, const char *type, unsigned order, double dt,
                        double dt_cs, double dt_ric) {
  kl_instance *in[6] = {instance_fmt(yaml_fmt, type, dt), instance_fmt(yaml_fmt, type, dt / 2),
                        instance_fmt(yaml_fmt, type, dt_cs),
                        instance_fmt(yaml_fmt, type, dt_cs / 2),
                        instance_fmt(yaml_fmt, type, dt_ric),
                        instance_fmt(yaml_fmt, type, dt_ric / 2)};
  for (int k = 0; k < 6; k++) CU_ASSERT_PTR_NOT_NULL_FATAL(in[k]);
  CU_ASSERT_EQUAL(kl_integrator_order(in[0]), order);
  double e1 = oscillator_error(in[0], dt, 2.0), e2 = oscillator_error(in[1], dt / 2, 2.0);
  double c1 = cs_error(in[2], dt_cs, 1.0), c2 = cs_error(in[3], dt_cs / 2, 1.0);
  double r1 = riccati_error(in[4], dt_ric, 2.0), r2 = riccati_error(in[5], dt_ric / 2, 2.0);
  double p_osc = log2(e1 / e2), p_cs = log2(c1 / c2), p_ric = log2(r1 / r2);
  printf("\n    %s: errors %.2e, %.2e -> observed order %.3f (oscillator, dt %g); %.2e, %.2e -> "
         "%.3f (Cucker-Smale all-to-all, dt %g); %.2e, %.2e -> %.3f (y' = -2t y^2, dt %g) ",
         type, e1, e2, p_osc, dt, c1, c2, p_cs, dt_cs, r1, r2, p_ric, dt_ric);
  KL_ASSERT_CLOSE(p_osc, order, 0.2);
  KL_ASSERT_CLOSE(p_cs, order, 0.2);
  KL_ASSERT_CLOSE(p_ric, order, 0.2);
  for (int k = 0; k < 6; k++) kl_instance_free(in[k]);
}

static const char fixed_fmt[] = "{type: %s, dt: %.17g}";
static void test_euler_order(void) { check_order(fixed_fmt, "euler", 1, 0.01, 0.01, 0.01); }
static void test_ssprk3_order(void) { check_order(fixed_fmt, "ssprk3", 3, 0.05, 0.05, 0.05); }
static void test_rk4_order(void) { check_order(fixed_fmt, "rk4", 4, 0.05, 0.05, 0.05); }

/* The embedded pairs run at a constant step when dt_max = dt and the tolerance
 * is loose enough that no try is rejected: then the main formula's order shows
 * (a wrong coefficient of b would show here, one of bhat in the tolerance test). */
static const char pinned_fmt[] = "{type: %s, dt: %.17g, dt_max: %.17g, rtol: 1, atol: 1}";
static void test_dopri54_order(void) { check_order(pinned_fmt, "dopri54", 5, 0.2, 0.05, 0.025); }
static void test_bs32_order(void) { check_order(pinned_fmt, "bs32", 3, 0.05, 0.05, 0.05); }

/* --------------------------------------------------------------- tolerance */

/* Global error over T = 10 (about 1.6 periods) is within 100 rtol: the
 * controller bounds each local error by ~rtol (per step, not per unit step),
 * and the errors of tens to hundreds of steps add up partly; measured 4-30 rtol.
 * A tighter rtol costs more steps: for an error-per-step controller of lower
 * order q, steps ~ rtol^(-1/(q+1)), i.e. 1000^(1/5) ~ 4.0 for dopri54 and
 * 1000^(1/3) = 10 for bs32 from rtol 1e-6 to 1e-9 (checked within a factor 1.5). */
static void check_adaptive(const char *type, double expected_growth) {
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
  double growth = (double)steps[1] / (double)steps[0];
  printf("\n    %s: error %.2e (rtol 1e-6, %llu steps), %.2e (rtol 1e-9, %llu steps), growth %.2f ",
         type, errs[0], (unsigned long long)steps[0], errs[1], (unsigned long long)steps[1],
         growth);
  CU_ASSERT(errs[0] < 100 * rtols[0]);
  CU_ASSERT(errs[1] < 100 * rtols[1]);
  CU_ASSERT(steps[1] > steps[0]);
  if (expected_growth > 0) {
    CU_ASSERT(growth > expected_growth / 1.5 && growth < expected_growth * 1.5);
  }
}

static void test_dopri54(void) { check_adaptive("dopri54", pow(1000, 1.0 / 5)); }
static void test_bs32(void) { check_adaptive("bs32", pow(1000, 1.0 / 3)); }
static void test_gsl_rkf45(void) { check_adaptive("gsl_rkf45", 0); }
static void test_gsl_rkck(void) { check_adaptive("gsl_rkck", 0); }
static void test_gsl_rk8pd(void) { check_adaptive("gsl_rk8pd", 0); }

/* ----------------------------------------------------------------- landing */

/* Output times that are not multiples of dt: every method lands on each one
 * bitwise (t == t_out), never passes it, and a fixed step leaves dt alone. */
static void test_landing(void) {
  const double outs[] = {1.0 / 3, 0.7, 1.0, 1.0 + 1e-10, 2.0 / 3 + 1.5, 3.14159};
  for (size_t k = 0; k < N_TYPES; k++) {
    kl_instance *in = integrator_of(all_types[k], 0.1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    bool adaptive = kl_integrator_is_adaptive(in);
    kl_system sys = {oscillator, NULL, 2};
    double y[2] = {1, 0}, t = 0, dt = 0.1;
    kl_step_stats st = {0, 0, 0};
    kl_error err = {0, ""};
    bool ok = true;
    for (size_t o = 0; o < sizeof outs / sizeof *outs && ok; o++) {
      while (t < outs[o] && ok) {
        ok = kl_integrator_step(in, &sys, &t, &dt, outs[o], y, &st, &err) == KL_OK;
        ok = ok && t <= outs[o] && (adaptive ? dt > 0 && isfinite(dt) : dt == 0.1);
      }
      ok = ok && t == outs[o];
    }
    if (!ok) fprintf(stderr, "\n%s: t = %.17g, dt = %g: %s\n", all_types[k], t, dt, err.message);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT(fabs(y[0] - cos(t)) < 0.2); /* and integrated on the way (euler: 17% growth) */
    kl_instance_free(in);
  }
}

/* --------------------------------------------------------------- counters */

/* rhs evaluations: s per step for the fixed-step methods (rk4: 4); for the
 * FSAL pairs 1 + (s - 1)(accepted + rejected) on one run (the last stage of a
 * step is the first of the next, and k1 is shared by the tries of a step);
 * for GSL's steppers f(t, y) once per evolve_apply plus, per try, the stages
 * after the first and f(t + h, y_new) for dydt_out: 6 (rkf45, rkck), 13 (rk8pd). */
static void test_counters(void) {
  struct {
    const char *type;
    uint64_t stages;
    int fsal; /* 1: FSAL pair, 2: GSL (f(t, y) once per step) */
  } cases[] = {{"euler", 1, 0},     {"ssprk3", 3, 0},    {"rk4", 4, 0},       {"bs32", 4, 1},
               {"dopri54", 7, 1},   {"gsl_rkf45", 6, 2}, {"gsl_rkck", 6, 2},  {"gsl_rk8pd", 13, 2}};
  /* (stages: per try for GSL, see above) */
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    /* dt = 3 forces rejections at the start of the adaptive runs; 1/64 is
     * exact in binary, so the fixed steps take exactly 320 steps to T = 5. */
    double dt = cases[k].fsal ? 3.0 : 1.0 / 64;
    kl_instance *in = integrator_of(cases[k].type, dt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    kl_system sys = {oscillator, NULL, 2};
    double y[2] = {1, 0};
    kl_step_stats st = {0, 0, 0};
    CU_ASSERT_EQUAL(integrate(in, &sys, 5.0, dt, y, &st), KL_OK);
    uint64_t tries = st.accepted + st.rejected, expected;
    if (cases[k].fsal == 0) {
      CU_ASSERT_EQUAL(st.accepted, 320);
      CU_ASSERT_EQUAL(st.rejected, 0);
      expected = cases[k].stages * st.accepted;
    } else {
      CU_ASSERT(st.rejected > 0);
      expected = cases[k].fsal == 1 ? 1 + (cases[k].stages - 1) * tries
                                    : st.accepted + cases[k].stages * tries;
    }
    printf("\n    %s: %llu accepted, %llu rejected, %llu rhs evaluations (expected %llu) ",
           cases[k].type, (unsigned long long)st.accepted, (unsigned long long)st.rejected,
           (unsigned long long)st.rhs_evals, (unsigned long long)expected);
    CU_ASSERT_EQUAL(st.rhs_evals, expected);
    kl_instance_free(in);
  }
  /* One step of rk4 from scratch: 1 accepted, 4 evaluations; the stats are
   * added to, not reset. */
  kl_instance *in = integrator_of("rk4", 0.1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(in);
  kl_system sys = {oscillator, NULL, 2};
  double y[2] = {1, 0}, t = 0, dt = 0.1;
  kl_step_stats st = {10, 20, 30};
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_integrator_step(in, &sys, &t, &dt, 1.0, y, &st, &err), KL_OK);
  CU_ASSERT(st.accepted == 11 && st.rejected == 20 && st.rhs_evals == 34);
  kl_instance_free(in);
}

/* ------------------------------------------------------------ error paths */

/* An rhs failing at its 1st, 2nd, ... call: the error comes back with its own
 * code and message, y and t are those before the failing step, bitwise. */
static void test_rhs_failure(void) {
  for (size_t k = 0; k < N_TYPES; k++) {
    for (long fail_at = 1; fail_at <= 9; fail_at += 2) {
      kl_instance *in = integrator_of(all_types[k], 0.1);
      CU_ASSERT_PTR_NOT_NULL_FATAL(in);
      counting c = {0, fail_at};
      kl_system sys = {failing_rhs, &c, 2};
      double y[2] = {1, 0.5}, t = 0.25, dt = 0.1; /* >= 9 calls before t = 2 */
      kl_step_stats st = {0, 0, 0};
      kl_error err = {0, ""};
      int rc = KL_OK;
      while (rc == KL_OK && t < 2.0) {
        double y_before[2] = {y[0], y[1]}, t_before = t;
        rc = kl_integrator_step(in, &sys, &t, &dt, 2.0, y, &st, &err);
        if (rc) {
          CU_ASSERT_EQUAL(rc, KL_ENUMERIC);
          CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "test rhs fails"));
          CU_ASSERT(memcmp(y, y_before, sizeof y) == 0 && t == t_before);
        }
      }
      CU_ASSERT_EQUAL(rc, KL_ENUMERIC); /* the failure was met */
      kl_instance_free(in);
    }
  }
}

/* max_rejections: an rhs that returns NaN is rejected exactly max_rejections
 * times, then KL_ELIMIT names t and dt; y and t are unchanged.  With the
 * defaults the step still fails with KL_ELIMIT (possibly at dt_min first). */
static void test_max_rejections(void) {
  for (size_t k = 0; k < N_ADAPTIVE; k++) {
    for (int variant = 0; variant < 2; variant++) {
      char yaml[128];
      snprintf(yaml, sizeof yaml, "{type: %s, dt: 0.1, max_rejections: 3}", adaptive_types[k]);
      kl_instance *in = integrator(yaml), *in_default = integrator_of(adaptive_types[k], 0.1);
      CU_ASSERT_PTR_NOT_NULL_FATAL(in);
      CU_ASSERT_PTR_NOT_NULL_FATAL(in_default);
      kl_system sys = {variant ? nan_later_rhs : nan_rhs, NULL, 2};
      double y[2] = {1, 2}, t = 0.5, dt = 0.1;
      kl_step_stats st = {0, 0, 0};
      kl_error err = {0, ""};
      CU_ASSERT_EQUAL(kl_integrator_step(in, &sys, &t, &dt, 1.0, y, &st, &err), KL_ELIMIT);
      CU_ASSERT_EQUAL(st.rejected, 3);
      CU_ASSERT_EQUAL(st.accepted, 0);
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "rejected 3 times"));
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t = 0.5"));
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "dt = "));
      CU_ASSERT(y[0] == 1 && y[1] == 2 && t == 0.5);
      if (st.rejected != 3)
        fprintf(stderr, "\n%s variant %d: %s\n", adaptive_types[k], variant, err.message);
      err = (kl_error){0, ""};
      CU_ASSERT_EQUAL(kl_integrator_step(in_default, &sys, &t, &dt, 1.0, y, &st, &err), KL_ELIMIT);
      CU_ASSERT(y[0] == 1 && y[1] == 2 && t == 0.5);
      if (variant == 0) printf("\n    %s: %s ", adaptive_types[k], err.message);
      kl_instance_free(in);
      kl_instance_free(in_default);
    }
  }
}

/* A try whose result overflows to Inf is rejected (and the step shrunk until
 * it fits), never accepted because its error estimate happens to be finite. */
static void test_overflow_rejected(void) {
  for (size_t k = 0; k < N_ADAPTIVE; k++) {
    kl_instance *in = integrator_of(adaptive_types[k], 1.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    kl_system sys = {overflow_rhs, NULL, 1};
    double y = 0.9 * DBL_MAX, t = 0.5, dt = 1.0;
    kl_step_stats st = {0, 0, 0};
    kl_error err = {0, ""};
    int rc = kl_integrator_step(in, &sys, &t, &dt, 1.0, &y, &st, &err);
    if (rc) fprintf(stderr, "\n%s: %s\n", adaptive_types[k], err.message);
    CU_ASSERT_EQUAL(rc, KL_OK);
    CU_ASSERT(isfinite(y) && y > 0.9 * DBL_MAX);
    CU_ASSERT(t > 0.5 && t <= 0.9);
    CU_ASSERT(st.rejected >= 1);
    kl_instance_free(in);
  }
}

/* y' = y^2 from y(0) = 1 towards t = 2: the steps shrink as t -> 1 and the
 * stepper gives up with KL_ELIMIT at the blow-up.  The numerical solution has
 * its own pole, off by the accumulated relative error (~1e-6 here), so the
 * stop is checked at |t - 1| < 1e-4, with y huge but finite. */
static void test_blow_up(void) {
  for (size_t k = 0; k < N_ADAPTIVE; k++) {
    kl_instance *in = integrator_of(adaptive_types[k], 0.1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    kl_system sys = {blow_up, NULL, 1};
    double y = 1, t = 0, dt = 0.1;
    kl_step_stats st = {0, 0, 0};
    kl_error err = {0, ""};
    int rc = KL_OK;
    for (long steps = 0; rc == KL_OK && steps < 100000; steps++)
      rc = kl_integrator_step(in, &sys, &t, &dt, 2.0, &y, &st, &err);
    printf("\n    %s: stops at t = 1 %+.2e after %llu steps, y = %.3g ", adaptive_types[k],
           t - 1, (unsigned long long)st.accepted, y);
    CU_ASSERT_EQUAL(rc, KL_ELIMIT);
    CU_ASSERT(fabs(t - 1) < 1e-4);
    CU_ASSERT(y > 1e6);
    CU_ASSERT(isfinite(y));
    kl_instance_free(in);
  }
}

/* ---------------------------------------------------- restart and history */

/* Three runs to T = 3 with outputs at 1, 2, 3 must agree bit for bit:
 *  A: one instance throughout;
 *  B: a "checkpoint" after 7 steps: (t, y, dt) go to a fresh instance;
 *  C: reset() before every step (drops any FSAL cache). */
static void run_outputs(kl_instance *in, const kl_system *sys, double *t, double *dt, double *y,
                        long stop_after, bool reset_each, kl_step_stats *st) {
  kl_error err = {0, ""};
  long steps = 0;
  for (double out = 1; out <= 3; out++) {
    while (*t < out) {
      if (stop_after >= 0 && steps == stop_after) return;
      if (reset_each) kl_integrator_reset(in);
      int rc = kl_integrator_step(in, sys, t, dt, out, y, st, &err);
      CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
      steps++;
    }
  }
}

static void test_restart_bitwise(void) {
  for (size_t k = 0; k < N_TYPES; k++) {
    const char *type = all_types[k];
    kl_system sys = {cs_all_to_all, NULL, CS_D * CS_N};
    double ya[CS_D * CS_N], yb[CS_D * CS_N], yc[CS_D * CS_N];
    memcpy(ya, cs_v0, sizeof ya);
    memcpy(yb, cs_v0, sizeof yb);
    memcpy(yc, cs_v0, sizeof yc);
    double ta = 0, tb = 0, tc = 0, dta = 0.15, dtb = 0.15, dtc = 0.15;
    kl_step_stats sa = {0, 0, 0}, sb = {0, 0, 0}, sc = {0, 0, 0};

    kl_instance *a = integrator_of(type, 0.15);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    run_outputs(a, &sys, &ta, &dta, ya, -1, false, &sa);

    kl_instance *b1 = integrator_of(type, 0.15);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b1);
    run_outputs(b1, &sys, &tb, &dtb, yb, 7, false, &sb);
    CU_ASSERT(tb > 0 && tb < 3);
    kl_instance_free(b1);
    kl_instance *b2 = integrator_of(type, 0.15);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
    run_outputs(b2, &sys, &tb, &dtb, yb, -1, false, &sb);

    kl_instance *c = integrator_of(type, 0.15);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    run_outputs(c, &sys, &tc, &dtc, yc, -1, true, &sc);

    CU_ASSERT(ta == 3 && tb == 3 && tc == 3);
    CU_ASSERT(memcmp(ya, yb, sizeof ya) == 0);
    CU_ASSERT(memcmp(ya, yc, sizeof ya) == 0);
    CU_ASSERT(dta == dtb && dta == dtc);
    CU_ASSERT(sa.accepted == sb.accepted && sa.accepted == sc.accepted);
    if (!(memcmp(ya, yb, sizeof ya) == 0 && memcmp(ya, yc, sizeof ya) == 0))
      fprintf(stderr, "\n%s: restart differs: %.17g %.17g %.17g\n", type, ya[0], yb[0], yc[0]);
    kl_instance_free(a);
    kl_instance_free(b2);
    kl_instance_free(c);
  }
}

/* One instance used for two systems in turn (as split schemes do, with
 * different ctx), and for a larger system after a smaller one (the work arrays
 * grow): results equal those of fresh instances, bitwise. */
static int advance(kl_instance *in, const kl_system *sys, double t, double t1, double *dt,
                   double *y, kl_step_stats *st) {
  return integrate_to(in, sys, &t, t1, dt, y, st);
}

static void test_shared_instance(void) {
  double w1 = 1.0, w2 = 2.5;
  for (size_t k = 0; k < N_TYPES; k++) {
    const char *type = all_types[k];
    kl_instance *shared = integrator_of(type, 0.1);
    kl_instance *f1 = integrator_of(type, 0.1), *f2 = integrator_of(type, 0.1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(shared);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f2);
    kl_system s1 = {oscillator, &w1, 2}, s2 = {oscillator, &w2, 2};
    double y[2] = {1, 0}, yref[2] = {1, 0};
    double t = 0, dt1 = 0.1, dt2 = 0.1, tr = 0, dtr1 = 0.1, dtr2 = 0.1;
    kl_step_stats st = {0, 0, 0};
    /* Lie splitting by hand: h = 0.25 for part 1 then part 2. */
    for (int n = 0; n < 8; n++) {
      double t1 = t + 0.25;
      CU_ASSERT_EQUAL_FATAL(advance(shared, &s1, t, t1, &dt1, y, &st), KL_OK);
      CU_ASSERT_EQUAL_FATAL(advance(shared, &s2, t, t1, &dt2, y, &st), KL_OK);
      CU_ASSERT_EQUAL_FATAL(advance(f1, &s1, tr, t1, &dtr1, yref, &st), KL_OK);
      kl_integrator_reset(f2); /* y changed since f2's last step */
      CU_ASSERT_EQUAL_FATAL(advance(f2, &s2, tr, t1, &dtr2, yref, &st), KL_OK);
      t = tr = t1;
    }
    CU_ASSERT(memcmp(y, yref, sizeof y) == 0);
    /* Now a larger system on the same instance. */
    kl_instance *fresh = integrator_of(type, 0.1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
    kl_system cs = {cs_all_to_all, NULL, CS_D * CS_N};
    double v[CS_D * CS_N], vref[CS_D * CS_N];
    memcpy(v, cs_v0, sizeof v);
    memcpy(vref, cs_v0, sizeof vref);
    CU_ASSERT_EQUAL(integrate(shared, &cs, 1.0, 0.1, v, &st), KL_OK);
    CU_ASSERT_EQUAL(integrate(fresh, &cs, 1.0, 0.1, vref, &st), KL_OK);
    CU_ASSERT(memcmp(v, vref, sizeof v) == 0);
    kl_instance_free(shared);
    kl_instance_free(f1);
    kl_instance_free(f2);
    kl_instance_free(fresh);
  }
}

/* -------------------------------------------------------------- parameters */

static void expect_einval(const char *yaml, const char *key) {
  kl_instance *in = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_test_instance_status(KL_KIND_INTEGRATOR, yaml, 1, 0, NULL, NULL, &in, &err),
                  KL_EINVAL);
  if (key && !strstr(err.message, key)) {
    fprintf(stderr, "\n%s: message lacks '%s': %s\n", yaml, key, err.message);
    CU_FAIL("message names the key");
  }
  if (in) kl_instance_free(in);
}

/* y' = y, componentwise. */
static int growth(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx, (void)t, (void)err;
  for (int i = 0; i < 4; i++) dydt[i] = y[i];
  return KL_OK;
}

/* y' = y, but NaN beyond t = 0.5. */
static int growth_until_half(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx, (void)err;
  for (int i = 0; i < 4; i++) dydt[i] = t > 0.5 ? NAN : y[i];
  return KL_OK;
}

/* The step-size controller on a hand-computed step: bs32 on y' = y from
 * y = (1, 2, 0.5, 4), h = 0.1, rtol = 1e-4, atol = 1e-6.  Per component the stages
 * are k1 = y, k2 = y + h/2 k1, k3 = y + 3h/4 k2, y_new = y + h (2/9 k1 + 1/3 k2 +
 * 4/9 k3), k4 = y_new; the estimate e = h sum_j (b_j - bhat_j) k_j; the norm
 * err = sqrt(mean_i (e_i / (atol + rtol max(|y_i|, |y_new_i|)))^2) = 0.2056 (docs/
 * integrators.md): accepted, next dt = h clamp(0.9 err^(-1/3), 0.2, 5) = 0.152.  A norm
 * without the mean (x 2 here), without the root, or another exponent moves it by 10 %
 * or more.  Tolerance: e is a cancelling combination (sum_j (b_j - bhat_j) = 0) of
 * size 2e-4 y h against 0.39 y h in magnitudes, so its round-off is ~2e-13 relative
 * and the proposal's (err^(-1/3)) ~7e-14 (measured 4e-14): 1e-12.  From h = 0.3 (err =
 * 5.4) the first try is rejected and retried at h clamp(0.9 err^(-1/3)) = 0.154, which
 * is accepted (err = 0.75) and, after a rejection, never grown: next = h min(1, ...). */
static void test_controller_by_hand(void) {
  const double b[4] = {2.0 / 9, 1.0 / 3, 4.0 / 9, 0}, bh[4] = {7.0 / 24, 0.25, 1.0 / 3, 0.125};
  kl_instance *in = integrator("{type: bs32, dt: 0.1, rtol: 1e-4, atol: 1e-6}");
  CU_ASSERT_PTR_NOT_NULL_FATAL(in);
  for (int variant = 0; variant < 2; variant++) {
    const double y0[4] = {1, 2, 0.5, 4}, h0 = variant ? 0.3 : 0.1;
    /* the hand computation, for a step of size h */
    double h = h0, errn = 0, ynew[4];
    for (int attempt = 0; attempt < 2; attempt++) {
      double sum = 0;
      for (int i = 0; i < 4; i++) {
        const double y = y0[i], k1 = y, k2 = y + h / 2 * k1, k3 = y + 0.75 * h * k2;
        ynew[i] = y + h * (b[0] * k1 + b[1] * k2 + b[2] * k3);
        const double k[4] = {k1, k2, k3, ynew[i]};
        double e = 0;
        for (int j = 0; j < 4; j++) e += (b[j] - bh[j]) * k[j];
        e *= h;
        const double q = e / (1e-6 + 1e-4 * fmax(fabs(y), fabs(ynew[i])));
        sum += q * q;
      }
      errn = sqrt(sum / 4);
      if (errn <= 1) break;
      h *= fmax(0.2, fmin(1.0, 0.9 * pow(errn, -1.0 / 3)));
    }
    const double factor = fmin(5.0, fmax(0.2, 0.9 * pow(errn, -1.0 / 3)));
    const double next = h * (variant ? fmin(factor, 1.0) : factor);
    double y[4] = {1, 2, 0.5, 4}, t = 0, dt = h0;
    kl_system sys = {growth, NULL, 4};
    kl_step_stats st = {0, 0, 0};
    kl_error err = {0, ""};
    kl_integrator_reset(in);
    CU_ASSERT_EQUAL(kl_integrator_step(in, &sys, &t, &dt, 10.0, y, &st, &err), KL_OK);
    CU_ASSERT_EQUAL(st.rejected, (uint64_t)variant);
    KL_ASSERT_CLOSE(t, h, 1e-15 * h);
    KL_ASSERT_CLOSE(dt, next, 1e-12 * next);
    for (int i = 0; i < 4; i++) KL_ASSERT_CLOSE(y[i], ynew[i], 1e-15 * ynew[i]);
    if (variant == 0) KL_ASSERT_CLOSE(errn, 0.2056262589259052, 1e-9);
  }
  kl_instance_free(in);
  /* With an error ~ h^3 the retry after a rejection never asks to grow (its factor
   * is at most safety / safety = 1), so the no-growth rule shows only after a
   * rejection for NaN: y' = y, NaN beyond t = 0.5.  From h = 1 the try reaches
   * t = 1 (NaN: error norm Inf, factor min_factor 0.2); the retry h = 0.2 has err
   * 0.016 at rtol 1e-2 and would grow 3.6x, but stays at 0.2. */
  in = integrator("{type: bs32, dt: 1, rtol: 1e-2, atol: 1e-6}");
  CU_ASSERT_PTR_NOT_NULL_FATAL(in);
  double y[4] = {1, 2, 0.5, 4}, t = 0, dt = 1;
  kl_system sys = {growth_until_half, NULL, 4};
  kl_step_stats st = {0, 0, 0};
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_integrator_step(in, &sys, &t, &dt, 10.0, y, &st, &err), KL_OK);
  CU_ASSERT_EQUAL(st.rejected, 1);
  KL_ASSERT_CLOSE(t, 0.2, 1e-16);
  KL_ASSERT_CLOSE(dt, 0.2, 1e-16);
  kl_instance_free(in);
}

static void test_bad_params(void) {
  expect_einval("{type: rk4, dt: -0.1}", "dt");
  expect_einval("{type: euler, dt: 0}", "dt");
  expect_einval("{type: rk4}", "dt");
  expect_einval("{type: dopri54, rtol: 0, atol: 0}", "atol");
  expect_einval("{type: bs32, safety: 1.5}", "safety");
  expect_einval("{type: dopri54, dt_min: 0.1, dt_max: 0.01}", "dt_min");
  expect_einval("{type: dopri54, max_rejections: 0}", "max_rejections");
  expect_einval("{type: gsl_rk8pd, rtol: 0, atol: 0}", "atol");
  expect_einval("{type: gsl_rkf45, dt_max: -1}", "dt_max");
  /* Pure absolute (or relative) control is allowed. */
  kl_instance *in = integrator("{type: dopri54, rtol: 0, atol: 1e-8}");
  CU_ASSERT_PTR_NOT_NULL(in);
  if (in) kl_instance_free(in);
}

int main(void) {
  static CU_TestInfo tests[] = {
      {"euler order 1", test_euler_order},
      {"ssprk3 order 3", test_ssprk3_order},
      {"rk4 order 4", test_rk4_order},
      {"dopri54 main formula order 5", test_dopri54_order},
      {"bs32 main formula order 3", test_bs32_order},
      {"dopri54 meets its tolerance", test_dopri54},
      {"bs32 meets its tolerance", test_bs32},
      {"gsl_rkf45 meets its tolerance", test_gsl_rkf45},
      {"gsl_rkck meets its tolerance", test_gsl_rkck},
      {"gsl_rk8pd meets its tolerance", test_gsl_rk8pd},
      {"lands on t_limit exactly", test_landing},
      {"rhs evaluations and counters", test_counters},
      {"rhs failure leaves y and t unchanged", test_rhs_failure},
      {"max_rejections gives KL_ELIMIT", test_max_rejections},
      {"blow-up gives KL_ELIMIT", test_blow_up},
      {"an overflowing try is rejected", test_overflow_rejected},
      {"restart and reset are bit-identical", test_restart_bitwise},
      {"step-size controller on a hand-computed step", test_controller_by_hand},
      {"one instance, several systems and sizes", test_shared_instance},
      {"parameter errors", test_bad_params},
      CU_TEST_INFO_NULL};
  static CU_SuiteInfo suites[] = {{"integrators", NULL, NULL, NULL, NULL, tests},
                                  CU_SUITE_INFO_NULL};
  return kl_test_main(suites);
}
