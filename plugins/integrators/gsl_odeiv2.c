/* gsl_odeiv2.c - GSL's adaptive steppers behind the kinlab integrator
 * interface: gsl_rkf45, gsl_rkck, gsl_rk8pd.
 *
 * Each kinlab step is one accepted gsl_odeiv2_evolve_apply towards
 * t1 = t_limit (GSL sets t = t1 exactly on its final step) with the standard
 * control gsl_odeiv2_control_standard_new(atol, rtol, 1, 0).  Bridging:
 *  - a kinlab rhs failure is returned to GSL as GSL_EBADFUNC (evolve_apply
 *    then returns at once) and its kl_error is returned unchanged;
 *  - a finite rhs with NaN/Inf entries is returned as GSL_FAILURE, which makes
 *    GSL halve the step and retry;
 *  - max_rejections bounds GSL's own retries too: the bridge counts the
 *    evolve's failed_steps (plus our retries after a NaN/Inf result) and stops
 *    the evolve with GSL_EBADFUNC once the budget is spent -> KL_ELIMIT.
 * On any failure y and t are restored and the stepper is reset.  The GSL
 * objects hold nothing between steps that changes the result (the control is
 * stateless; rkf45/rkck/rk8pd recompute f(t, y) at the start of every
 * evolve_apply), so a restart from a checkpoint is bit-identical.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include <kinlab/kinlab.h>

typedef struct gsl_state {
  const gsl_odeiv2_step_type *type;
  const char *name;
  unsigned order;
  double rtol, atol, dt_max;
  long max_rejections;
  size_t n;
  gsl_odeiv2_step *step;
  gsl_odeiv2_control *control;
  gsl_odeiv2_evolve *evolve;
  double *y_save;
  /* bridge, valid during one step() */
  const kl_system *sys;
  kl_error *err;
  kl_step_stats *stats;
  int rhs_status;        /* kl status of a failed rhs */
  long rejections;       /* rejections of this step before the current evolve_apply */
  bool limit_hit;        /* the bridge stopped GSL: max_rejections reached */
} gsl_state;

static const kl_param_spec params[] = {
    {"dt", KL_PARAM_REAL, "1e-3", 0, 0,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_STEP_SIZE, NULL, "time",
     "initial time step"},
    {"rtol", KL_PARAM_REAL, "1e-6", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_STEP_SIZE,
     NULL, "1",
     "relative tolerance of the local error (gsl_odeiv2_control_standard, max norm)"},
    {"atol", KL_PARAM_REAL, "1e-9", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_STEP_SIZE, NULL, "state",
     "absolute tolerance of the local error (atol and rtol not both 0)"},
    {"dt_max", KL_PARAM_REAL, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, "time",
     "largest step (0: no limit)"},
    {"max_rejections", KL_PARAM_INT, "50", 1, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "rejected tries of one step (GSL's and ours) before giving up"},
    KL_PARAM_END};

static int create_common(const kl_setup *setup, const gsl_odeiv2_step_type *type,
                         const char *name, unsigned order, void **state, kl_error *err) {
  /* GSL's default handler aborts the process: errors come back as codes. */
  gsl_set_error_handler_off();
  gsl_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->type = type;
  s->name = name;
  s->order = order;
  s->rtol = kl_params_real(setup->params, "rtol");
  s->atol = kl_params_real(setup->params, "atol");
  s->dt_max = kl_params_real(setup->params, "dt_max");
  s->max_rejections = kl_params_int(setup->params, "max_rejections");
  if (s->rtol == 0 && s->atol == 0) {
    free(s);
    return kl_params_error(err, KL_EINVAL, setup->params, "atol",
                           "expected atol > 0 or rtol > 0 (both are 0)");
  }
  *state = s;
  return KL_OK;
}

/* Orders of the solution GSL carries forward (gsl_odeiv2_step_order). */
static int create_rkf45(const kl_setup *setup, void **state, kl_error *err) {
  return create_common(setup, gsl_odeiv2_step_rkf45, "gsl_rkf45", 5, state, err);
}
static int create_rkck(const kl_setup *setup, void **state, kl_error *err) {
  return create_common(setup, gsl_odeiv2_step_rkck, "gsl_rkck", 5, state, err);
}
static int create_rk8pd(const kl_setup *setup, void **state, kl_error *err) {
  return create_common(setup, gsl_odeiv2_step_rk8pd, "gsl_rk8pd", 8, state, err);
}

static void free_gsl(gsl_state *s) {
  if (s->evolve) gsl_odeiv2_evolve_free(s->evolve);
  if (s->control) gsl_odeiv2_control_free(s->control);
  if (s->step) gsl_odeiv2_step_free(s->step);
  free(s->y_save);
  s->evolve = NULL;
  s->control = NULL;
  s->step = NULL;
  s->y_save = NULL;
  s->n = 0;
}

static void destroy(void *state) {
  if (!state) return;
  free_gsl(state);
  free(state);
}

static unsigned order(void *state) { return ((gsl_state *)state)->order; }

static int bridge(double t, const double y[], double dydt[], void *ctx) {
  gsl_state *s = ctx;
  if (s->rejections + (long)s->evolve->failed_steps >= s->max_rejections) {
    s->limit_hit = true;
    return GSL_EBADFUNC;
  }
  s->stats->rhs_evals++;
  int rc = s->sys->rhs(s->sys->ctx, t, y, dydt, s->err);
  if (rc) {
    s->rhs_status = rc;
    return GSL_EBADFUNC;
  }
  for (size_t i = 0; i < s->sys->n; i++)
    if (!isfinite(dydt[i])) return GSL_FAILURE; /* GSL halves the step */
  return GSL_SUCCESS;
}

static void reset(void *state) {
  gsl_state *s = state;
  if (s->evolve) gsl_odeiv2_evolve_reset(s->evolve);
  if (s->step) gsl_odeiv2_step_reset(s->step);
}

/* GSL objects for a system of size n (allocated lazily, again when n changes). */
static int ensure_gsl(gsl_state *s, size_t n, kl_error *err) {
  if (s->step && s->n == n) return KL_OK;
  free_gsl(s);
  if (n == 0) return kl_error_set(err, KL_EINVAL, "%s: empty system", s->name);
  s->step = gsl_odeiv2_step_alloc(s->type, n);
  s->control = gsl_odeiv2_control_standard_new(s->atol, s->rtol, 1.0, 0.0);
  s->evolve = gsl_odeiv2_evolve_alloc(n);
  s->y_save = malloc(n * sizeof *s->y_save);
  if (!s->step || !s->control || !s->evolve || !s->y_save) {
    free_gsl(s);
    return kl_error_set(err, KL_ENOMEM,
                        "out of memory: GSL stepper for a state of %zu values; the model's "
                        "parameters set the state size", n);
  }
  s->n = n;
  return KL_OK;
}

static bool all_finite(const double *y, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(y[i])) return false;
  return true;
}

static int step(void *state, const kl_system *sys, double *t, double *dt, double t_limit,
                double *y, kl_step_stats *stats, kl_error *err) {
  gsl_state *s = state;
  const double t0 = *t;
  if (!(t_limit > t0))
    return kl_error_set(err, KL_EINVAL, "%s: t_limit %.17g is not after t %.17g", s->name,
                        t_limit, t0);
  if (!(*dt > 0))
    return kl_error_set(err, KL_EINVAL, "%s: dt = %g at t = %.17g is not positive", s->name,
                        *dt, t0);
  int rc = ensure_gsl(s, sys->n, err);
  if (rc) return rc;
  s->sys = sys;
  s->err = err;
  s->stats = stats;
  s->rhs_status = KL_OK;
  s->rejections = 0;
  s->limit_hit = false;
  gsl_odeiv2_system gsys = {bridge, NULL, sys->n, s};
  memcpy(s->y_save, y, sys->n * sizeof *y);
  double h = *dt;
  if (s->dt_max > 0 && h > s->dt_max) h = s->dt_max;
  int status;
  for (;;) {
    double tt = t0, hh = h;
    gsl_odeiv2_evolve_reset(s->evolve); /* failed_steps = 0 */
    status = gsl_odeiv2_evolve_apply(s->evolve, s->control, s->step, &gsys, &tt, t_limit, &hh, y);
    s->rejections += (long)s->evolve->failed_steps;
    if (status == GSL_SUCCESS && tt > t0 && all_finite(y, sys->n)) {
      *t = tt; /* == t_limit exactly after GSL's final step */
      stats->accepted++;
      stats->rejected += (uint64_t)s->rejections;
      /* GSL keeps h unchanged after a final (shortened) step. */
      if (s->dt_max > 0 && hh > s->dt_max) hh = s->dt_max;
      *dt = hh;
      return KL_OK;
    }
    memcpy(y, s->y_save, sys->n * sizeof *y);
    gsl_odeiv2_step_reset(s->step);
    if (s->rhs_status) {
      stats->rejected += (uint64_t)s->rejections;
      return s->rhs_status;
    }
    if (!s->limit_hit) s->rejections++; /* GSL gave up, or its result is not finite */
    if (s->limit_hit || s->rejections >= s->max_rejections) break;
    /* Retry with half the step GSL last tried (or ours). */
    double last = s->evolve->last_step > 0 ? s->evolve->last_step : h;
    h = 0.5 * fmin(last, h);
  }
  stats->rejected += (uint64_t)s->rejections;
  return kl_error_set(err, KL_ELIMIT,
                      "%s: step rejected %ld times at t = %.17g (last dt = %.3g; GSL: %s): "
                      "the problem is too stiff, blows up or its rhs gives NaN/Inf for "
                      "rtol = %g, atol = %g (integrator.max_rejections)",
                      s->name, s->rejections, t0, h,
                      s->limit_hit ? "stopped by max_rejections" : gsl_strerror(status), s->rtol,
                      s->atol);
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
