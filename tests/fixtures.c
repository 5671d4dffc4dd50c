/* tests/fixtures.c - small plugins compiled into the tests (no dlopen), so the
 * runner and the comparison tables can be tested on problems with known
 * answers: y' = -lambda y (or a blow-up), f0 = 1, forward Euler, and the error
 * against exp(-t). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- model "decay": y_i' = -lambda y_i (or y_i' = y_i^2 with blowup: true) */
typedef struct decay {
  double lambda;
  bool blowup;
  long stop_after_rhs; /* > 0: request a stop after that many rhs calls */
  long calls;
  long sum_class; /* kl_conservation declared for the column "sum" */
  kl_instance *initial;
} decay;

static const kl_param_spec decay_params[] = {
    {"d", KL_PARAM_INT, "1", 1, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "dimension"},
    {"lambda", KL_PARAM_REAL, "1", 0, 0, 0, NULL, "1/s", "decay rate"},
    {"blowup", KL_PARAM_BOOL, "false", 0, 0, 0, NULL, NULL, "y' = y^2 instead"},
    {"stop_after_rhs", KL_PARAM_INT, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, NULL, "test hook"},
    {"sum_class", KL_PARAM_INT, "0", 0, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, NULL,
     "conservation class declared for 'sum' (3: an invalid one)"},
    KL_PARAM_END};

static int decay_create(const kl_setup *s, void **state, kl_error *err) {
  (void)err;
  decay *m = calloc(1, sizeof *m);
  m->lambda = kl_params_real(s->params, "lambda");
  m->blowup = kl_params_bool(s->params, "blowup");
  m->stop_after_rhs = kl_params_int(s->params, "stop_after_rhs");
  m->sum_class = kl_params_int(s->params, "sum_class");
  m->initial = s->initial;
  *state = m;
  return KL_OK;
}
static void decay_destroy(void *s) { free(s); }
static size_t decay_size(void *s) { (void)s; return 3; }
static int decay_initial(void *s, double *t0, double *y, kl_error *err) {
  (void)t0; (void)err;
  decay *m = s;
  double v = 0;
  for (int i = 0; i < 3; i++) y[i] = (i + 1) * kl_initial_density(m->initial, NULL, &v);
  return KL_OK;
}
static int decay_rhs(void *s, double t, const double *y, double *dydt, kl_error *err) {
  (void)t; (void)err;
  decay *m = s;
  if (m->stop_after_rhs > 0 && ++m->calls == m->stop_after_rhs) kl_request_stop();
  for (int i = 0; i < 3; i++) dydt[i] = m->blowup ? y[i] * y[i] * 10 : -m->lambda * y[i];
  return KL_OK;
}
static double weights[3] = {1, 1, 1};
static int decay_view(void *s, const double *y, kl_view *v, kl_error *err) {
  (void)s; (void)err;
  v->kind = KL_VIEW_PARTICLES;
  v->dim_v = 1;
  v->particles.n = 3;
  v->particles.v[0] = y;
  v->particles.w = weights;
  return KL_OK;
}
static const char *const decay_names[] = {"y0", "sum"};
static size_t decay_inv_names(void *s, const char *const **names) {
  (void)s;
  *names = decay_names;
  return 2;
}
static int decay_invariants(void *s, double t, const double *y, double *v, kl_error *err) {
  (void)s; (void)t; (void)err;
  v[0] = y[0];
  v[1] = y[0] + y[1] + y[2];
  return KL_OK;
}
/* "sum" decays as e^{-lambda t}: declared conserved, it drifts by
 * 1 - e^{-lambda t} (relative to its initial value, the largest declared). */
static void decay_conservation(void *s, kl_conservation *classes) {
  classes[1] = (kl_conservation)((decay *)s)->sum_class;
}
static const kl_model_ops decay_ops = {sizeof(kl_model_ops), decay_size, decay_initial, decay_rhs,
                                       NULL, NULL, NULL, NULL, decay_view, decay_inv_names,
                                       decay_invariants, NULL, decay_conservation};
static const kl_plugin_info decay_info = {KL_PLUGIN_HEADER, KL_KIND_MODEL, "test_decay",
                                          "y' = -lambda y", decay_params, &decay_ops,
                                          decay_create, decay_destroy};

/* ---- initial "test_flat": f0 = 1 */
static double flat_density(void *s, const double *x, const double *v) {
  (void)s; (void)x; (void)v;
  return 1.0;
}
static const kl_initial_ops flat_ops = {sizeof(kl_initial_ops), flat_density, NULL, NULL, NULL, NULL, NULL};
static const kl_plugin_info flat_info = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "test_flat", "f0 = 1",
                                         NULL, &flat_ops, NULL, NULL};

/* ---- integrator "test_euler" */
static const kl_param_spec euler_params[] = {
    {"dt", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_STEP_SIZE, NULL, "s", "step"},
    KL_PARAM_END};
static unsigned euler_order(void *s) { (void)s; return 1; }
static int euler_step(void *s, const kl_system *sys, double *t, double *dt, double t_limit,
                      double *y, kl_step_stats *st, kl_error *err) {
  (void)s;
  double h = fmin(*dt, t_limit - *t), f[16], y1[16];
  int rc = sys->rhs(sys->ctx, *t, y, f, err);
  st->rhs_evals++;
  if (rc) return rc;
  for (size_t i = 0; i < sys->n; i++) y1[i] = y[i] + h * f[i];
  memcpy(y, y1, sys->n * sizeof *y);
  *t = (h == t_limit - *t) ? t_limit : *t + h;
  st->accepted++;
  return KL_OK;
}
static const kl_integrator_ops euler_ops = {sizeof(kl_integrator_ops), 0, euler_order, euler_step,
                                            NULL};
static const kl_plugin_info euler_info = {KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "test_euler",
                                          "forward Euler", euler_params, &euler_ops, NULL, NULL};

/* diagnostic "test_exact": y0_error = |y_0(t) - exp(-t)| (lambda = 1). */
static const char *const exact_cols[] = {"y0_error"};
static size_t exact_columns(void *s, const char *const **names) {
  (void)s;
  *names = exact_cols;
  return 1;
}
static int exact_observe(void *s, const kl_observation *obs, double *values, kl_error *err) {
  (void)s; (void)err;
  values[0] = fabs(obs->y[0] - exp(-obs->t));
  return KL_OK;
}
static const kl_diagnostic_ops exact_ops = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES,
                                            exact_columns, exact_observe, NULL};
static const kl_plugin_info exact_info = {KL_PLUGIN_HEADER, KL_KIND_DIAGNOSTIC, "test_exact",
                                          "error against exp(-t)", NULL, &exact_ops, NULL, NULL};

void kl_test_add_fixtures(kl_registry *reg) {
  static const kl_plugin_info *const fixtures[] = {&decay_info, &flat_info, &euler_info,
                                                    &exact_info};
  kl_error err = {0, ""};
  for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++)
    CU_ASSERT_EQUAL(kl_registry_add(reg, fixtures[i], "test fixture", &err), KL_OK);
}
