/* integrator.c - conformance of an integrator: the observed order on two test
 * equations matches order(), every step lands exactly on t_limit, adaptive
 * ones reach the end within a loose accuracy.
 *
 *   linear     y' = -y,          y(0) = 1,  y(1) = 1/e
 *   nonlinear  y' = -2 t y^2,    y(0) = 1,  y(t) = 1/(1 + t^2)  (time-dependent)
 *
 * Observed order p_obs = log2(e(h) / e(h/2)) at the end time 1.  The step h is
 * chosen from the declared order p so that the error (~h^p ~ 1e-6 times the
 * error constant) stays far above rounding (~1e-16 per step): h = 10^(-6/p)
 * within [1e-3, 0.25] (that h is then shrunk to 1/(k + 1/2) so that the last
 * step is cut short).  The next term of the error expansion,
 * e(h) = K h^p (1 + D h), moves p_obs by log2((1 + D h)/(1 + D h/2)) ~ 0.72 D h,
 * halving with h: for RK4 on the nonlinear equation (D ~ 6) p_obs = 3.74 at
 * h = 0.057 and 3.87 at h = 0.032 (this h).  The tolerance 0.3 keeps twice
 * that margin and stays far from the neighbouring integer orders.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef struct test_ode {
  const char *name;
  int (*rhs)(void *ctx, double t, const double *y, double *dydt, kl_error *err);
  double y0, y_end; /* at t = 0 and t = 1 */
} test_ode;

static int linear_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx, (void)t, (void)err;
  dydt[0] = -y[0];
  return KL_OK;
}

static int nonlinear_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  (void)ctx, (void)err;
  dydt[0] = -2 * t * y[0] * y[0];
  return KL_OK;
}

static const test_ode odes[] = {
    {"y' = -y", linear_rhs, 1.0, 0.36787944117144233},
    {"y' = -2t y^2", nonlinear_rhs, 1.0, 0.5},
};

/* Integrate over [0, 1] with first step h; *y_end and the steps taken.
 * KL_OK, or the step's failure in err; *landed says whether t ended at 1
 * exactly. */
static int integrate(const kl_instance *integ, const test_ode *ode, double h, double *y_end,
                     bool *landed, unsigned long *steps, kl_error *err) {
  kl_system sys = {ode->rhs, NULL, 1};
  double t = 0, dt = h, y = ode->y0;
  kl_step_stats stats = {0, 0, 0};
  kl_integrator_reset(integ);
  *steps = 0;
  while (t < 1) {
    int rc = kl_integrator_step(integ, &sys, &t, &dt, 1.0, &y, &stats, err);
    if (rc) return rc;
    if (++*steps > 10000000) return kl_error_set(err, KL_ELIMIT, "no end after 10^7 steps");
  }
  *landed = t == 1.0;
  *y_end = y;
  return KL_OK;
}

static void check_fixed(kl_check *c, const kl_instance *integ, unsigned p) {
  double h = fmin(0.25, fmax(1e-3, pow(10.0, -6.0 / (p ? p : 1))));
  /* an h that does not divide 1: the last step must be cut to land on 1 */
  h = 1.0 / (floor(1.0 / h) + 0.5);
  for (size_t o = 0; o < sizeof odes / sizeof *odes; o++) {
    double y1, y2;
    bool l1, l2;
    unsigned long n1, n2;
    kl_error err = {0, ""};
    if (integrate(integ, &odes[o], h, &y1, &l1, &n1, &err) ||
        integrate(integ, &odes[o], h / 2, &y2, &l2, &n2, &err)) {
      kl_check_verdict(c, false, "%s: step failed: %s", odes[o].name, err.message);
      continue;
    }
    kl_check_verdict(c, l1 && l2, "%s: steps %.4g and %.4g end exactly at t_limit = 1",
                     odes[o].name, h, h / 2);
    double e1 = fabs(y1 - odes[o].y_end), e2 = fabs(y2 - odes[o].y_end);
    double p_obs = log2(e1 / e2);
    kl_check_result(c, fabs(p_obs - p) <= 0.3, p_obs, 0.3,
                    "%s: observed order at h = %.4g, %.4g (errors %.3g, %.3g) against the "
                    "declared order %u: p_obs (tolerance on |p_obs - %u|)",
                    odes[o].name, h, h / 2, e1, e2, p, p);
  }
}

/* Adaptive: the step size is the integrator's; it must still land on t_limit
 * exactly, and reach the solution to 1e-3 (any sensible error tolerance). */
static void check_adaptive(kl_check *c, const kl_instance *integ) {
  for (size_t o = 0; o < sizeof odes / sizeof *odes; o++) {
    double y;
    bool landed;
    unsigned long n;
    kl_error err = {0, ""};
    if (integrate(integ, &odes[o], 1e-3, &y, &landed, &n, &err)) {
      kl_check_verdict(c, false, "%s: step failed: %s", odes[o].name, err.message);
      continue;
    }
    kl_check_verdict(c, landed, "%s (adaptive, %lu steps) ends exactly at t_limit = 1",
                     odes[o].name, n);
    double e = fabs(y - odes[o].y_end);
    kl_check_result(c, e <= 1e-3, e, 1e-3, "%s (adaptive): error at t = 1", odes[o].name);
  }
}

void kl_check_integrator(kl_check *c) {
  /* `dt` is REQUIRED of every integrator; the checks choose their own steps,
   * so a dt without a default only needs some value to create. */
  const char *yaml = c->yaml;
  char *with_dt = NULL;
  for (const kl_param_spec *s = c->info->params; s && s->name; s++)
    if (!strcmp(s->name, "dt") && !s->default_value && !strstr(yaml, " dt:")) {
      size_t len = strlen(yaml) + 16;
      if ((with_dt = malloc(len))) {
        snprintf(with_dt, len, "%.*s, dt: 0.01}", (int)(strlen(yaml) - 1), yaml);
        c->yaml = with_dt;
      }
    }
  kl_error err = {0, ""};
  kl_instance *integ = kl_check_create(c, 1, 0, NULL, NULL, &err);
  if (!kl_check_verdict(c, integ != NULL, "create with %s%s%s", c->yaml, integ ? "" : ": ",
                        integ ? "" : err.message)) {
    c->yaml = yaml;
    free(with_dt);
    return;
  }
  unsigned p = kl_integrator_order(integ);
  kl_check_verdict(c, p >= 1, "declared order %u >= 1", p);
  if (kl_integrator_is_adaptive(integ))
    check_adaptive(c, integ);
  else if (p >= 1)
    check_fixed(c, integ, p);
  kl_check_skip(c, "thread safety: an integrator's operations are main-thread");
  kl_instance_free(integ);
  c->yaml = yaml;
  free(with_dt);
}
