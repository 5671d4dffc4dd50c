/* gsl_odeiv2.c - GSL's adaptive steppers behind the kinlab integrator
 * interface: gsl_rkf45, gsl_rkck, gsl_rk8pd.  Each kinlab step is one
 * gsl_odeiv2_evolve_apply towards t_limit (GSL lands on t1 exactly) with the
 * standard control (atol, rtol on y).  A kinlab rhs failure is passed through
 * GSL as GSL_EBADFUNC and its kl_error is returned unchanged.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include <kinlab/kinlab.h>

typedef struct gsl_state {
  const gsl_odeiv2_step_type *type;
  unsigned order;
  double rtol, atol;
  long max_rejections;
  size_t n;
  gsl_odeiv2_step *step;
  gsl_odeiv2_control *control;
  gsl_odeiv2_evolve *evolve;
  /* bridge */
  const kl_system *sys;
  kl_error *err;
  int rhs_status;
  kl_step_stats *stats;
} gsl_state;

static const kl_param_spec params[] = {
    {"dt", KL_PARAM_REAL, "1e-3", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "time",
     "initial time step"},
    {"rtol", KL_PARAM_REAL, "1e-6", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "relative tolerance of the local error (gsl_odeiv2_control_standard)"},
    {"atol", KL_PARAM_REAL, "1e-9", 0, 0, KL_PARAM_HAS_MIN, NULL, "state",
     "absolute tolerance of the local error"},
    {"max_rejections", KL_PARAM_INT, "50", 1, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "failed tries of one step before giving up"},
    KL_PARAM_END};

static int create_common(const kl_setup *setup, const gsl_odeiv2_step_type *type,
                         unsigned order, void **state, kl_error *err) {
  /* GSL's default handler aborts the process: errors come back as codes. */
  gsl_set_error_handler_off();
  gsl_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->type = type;
  s->order = order;
  s->rtol = kl_params_real(setup->params, "rtol");
  s->atol = kl_params_real(setup->params, "atol");
  s->max_rejections = kl_params_int(setup->params, "max_rejections");
  if (s->rtol == 0 && s->atol == 0) {
    free(s);
    return kl_params_error(err, KL_EINVAL, setup->params, "atol", "expected atol > 0 or rtol > 0");
  }
  *state = s;
  return KL_OK;
}

static int create_rkf45(const kl_setup *setup, void **state, kl_error *err) {
  return create_common(setup, gsl_odeiv2_step_rkf45, 5, state, err);
}
static int create_rkck(const kl_setup *setup, void **state, kl_error *err) {
  return create_common(setup, gsl_odeiv2_step_rkck, 5, state, err);
}
static int create_rk8pd(const kl_setup *setup, void **state, kl_error *err) {
  return create_common(setup, gsl_odeiv2_step_rk8pd, 8, state, err);
}

static void free_gsl(gsl_state *s) {
  if (s->evolve) gsl_odeiv2_evolve_free(s->evolve);
  if (s->control) gsl_odeiv2_control_free(s->control);
  if (s->step) gsl_odeiv2_step_free(s->step);
  s->evolve = NULL;
  s->control = NULL;
  s->step = NULL;
}

static void destroy(void *state) {
  if (!state) return;
  free_gsl(state);
  free(state);
}

static unsigned order(void *state) { return ((gsl_state *)state)->order; }

static int bridge(double t, const double y[], double dydt[], void *params) {
  gsl_state *s = params;
  s->stats->rhs_evals++;
  int rc = s->sys->rhs(s->sys->ctx, t, y, dydt, s->err);
  if (rc) {
    s->rhs_status = rc;
    return GSL_EBADFUNC;
  }
  for (size_t i = 0; i < s->sys->n; i++)
    if (!isfinite(dydt[i])) return GSL_FAILURE; /* makes GSL shrink the step */
  return GSL_SUCCESS;
}

static void reset(void *state) {
  gsl_state *s = state;
  if (s->evolve) gsl_odeiv2_evolve_reset(s->evolve);
  if (s->step) gsl_odeiv2_step_reset(s->step);
}

static int step(void *state, const kl_system *sys, double *t, double *dt, double t_limit,
                double *y, kl_step_stats *stats, kl_error *err) {
  gsl_state *s = state;
  if (!s->step || s->n != sys->n) {
    free_gsl(s);
    s->n = sys->n;
    s->step = gsl_odeiv2_step_alloc(s->type, sys->n);
    s->control = gsl_odeiv2_control_standard_new(s->atol, s->rtol, 1.0, 0.0);
    s->evolve = gsl_odeiv2_evolve_alloc(sys->n);
    if (!s->step || !s->control || !s->evolve) {
      free_gsl(s);
      return kl_error_set(err, KL_ENOMEM, "out of memory: GSL stepper");
    }
  }
  s->sys = sys;
  s->err = err;
  s->rhs_status = KL_OK;
  s->stats = stats;
  gsl_odeiv2_system gsys = {bridge, NULL, sys->n, s};
  double *y_save = malloc(sys->n * sizeof *y_save);
  if (!y_save) return kl_error_set(err, KL_ENOMEM, "out of memory");
  memcpy(y_save, y, sys->n * sizeof *y);
  double t0 = *t, h = fmin(*dt, t_limit - *t);
  unsigned long failed0 = s->evolve->failed_steps;
  int status = GSL_FAILURE;
  for (long tries = 0; tries < s->max_rejections; tries++) {
    double tt = t0;
    status = gsl_odeiv2_evolve_apply(s->evolve, s->control, s->step, &gsys, &tt, t_limit, &h, y);
    if (status == GSL_SUCCESS && tt > t0) {
      *t = tt;
      break;
    }
    if (s->rhs_status) break;
    memcpy(y, y_save, sys->n * sizeof *y);
    h *= 0.5;
    status = GSL_FAILURE;
  }
  stats->rejected += s->evolve->failed_steps - failed0;
  if (status != GSL_SUCCESS) {
    memcpy(y, y_save, sys->n * sizeof *y);
    free(y_save);
    if (s->rhs_status) return s->rhs_status;
    return kl_error_set(err, KL_ELIMIT,
                        "GSL %s: no acceptable step at t = %.17g after %ld tries (%s)",
                        s->type->name, t0, s->max_rejections, gsl_strerror(status));
  }
  free(y_save);
  stats->accepted++;
  *dt = h;
  return KL_OK;
}

static const kl_integrator_ops ops = {sizeof(kl_integrator_ops), KL_INTEGRATOR_ADAPTIVE, order,
                                      step, reset};

static const kl_plugin_info rkf45 = {KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "gsl_rkf45",
                                     "GSL Runge-Kutta-Fehlberg 4(5), adaptive", params, &ops,
                                     create_rkf45, destroy};
static const kl_plugin_info rkck = {KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "gsl_rkck",
                                    "GSL Runge-Kutta Cash-Karp 4(5), adaptive", params, &ops,
                                    create_rkck, destroy};
static const kl_plugin_info rk8pd = {KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "gsl_rk8pd",
                                     "GSL Runge-Kutta Prince-Dormand 8(9), adaptive", params, &ops,
                                     create_rk8pd, destroy};

static const kl_plugin_info *const plugins[] = {&rkf45, &rkck, &rk8pd, NULL};
KL_PLUGIN_MODULE(plugins)
