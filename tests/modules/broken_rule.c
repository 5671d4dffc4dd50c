/* broken_rule.c - plugins that break one rule of their kind (kinlab/kinds.h,
 * "Host checks"), one module per rule: built several times with RULE = 1, 2, ...
 * (tests/modules.mk); the loader must refuse each at load, naming the file and
 * the rule (tests/test_loader.c, test_kind_rules). */
#include <kinlab/kinlab.h>

/* Each RULE uses some of the pieces below. */
#define U __attribute__((unused))

U static void profile(void *s, unsigned d, double eps, size_t n, const double *r2, double *v,
                    double *g) {
  (void)s, (void)d, (void)eps, (void)r2;
  for (size_t i = 0; i < n; i++) {
    if (v) v[i] = 1;
    if (g) g[i] = 0;
  }
}
U static double gamma_zero(void *s) { (void)s; return 0; }
U static size_t size(void *s) { (void)s; return 1; }
U static int initial(void *s, double *t0, double *y, kl_error *err) {
  (void)s, (void)t0, (void)err;
  y[0] = 1;
  return KL_OK;
}
U static int rhs(void *s, double t, const double *y, double *dydt, kl_error *err) {
  (void)s, (void)t, (void)y, (void)err;
  dydt[0] = 0;
  return KL_OK;
}
U static int view(void *s, const double *y, kl_view *v, kl_error *err) {
  (void)s, (void)y, (void)v, (void)err;
  return KL_OK;
}
U static unsigned n_parts(void *s) { (void)s; return 2; }
U static size_t invariant_names(void *s, const char *const **names) {
  static const char *const n[] = {"y"};
  (void)s;
  *names = n;
  return 1;
}
U static unsigned order(void *s) { (void)s; return 1; }
U static int step(void *s, const kl_system *sys, double *t, double *dt, double t_limit, double *y,
                kl_step_stats *stats, kl_error *err) {
  (void)s, (void)sys, (void)dt, (void)y, (void)stats, (void)err;
  *t = t_limit;
  return KL_OK;
}

U static const kl_param_spec d_int[] = {
    {"d", KL_PARAM_INT, "1", 1, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "dimension"},
    KL_PARAM_END};
U static const kl_param_spec d_real[] = {
    {"d", KL_PARAM_REAL, "1", 0, 0, 0, NULL, "1", "dimension, wrongly a REAL"}, KL_PARAM_END};
U static const kl_param_spec dim_x_real[] = {
    {"d", KL_PARAM_INT, "1", 1, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1", "dimension"},
    {"dim_x", KL_PARAM_REAL, "0", 0, 0, 0, NULL, "1", "space dimension, wrongly a REAL"},
    KL_PARAM_END};
U static const kl_param_spec dt_real[] = {
    {"dt", KL_PARAM_REAL, "0.1", 0, 0, 0, NULL, "time", "step"}, KL_PARAM_END};
U static const kl_param_spec dt_max_int[] = {
    {"dt", KL_PARAM_REAL, "0.1", 0, 0, 0, NULL, "time", "step"},
    {"dt_max", KL_PARAM_INT, "1", 0, 0, 0, NULL, "time", "largest step, wrongly an INT"},
    KL_PARAM_END};

#if RULE == 1 /* a mollifier without its REQUIRED cutoff */
static const kl_mollifier_ops ops = {sizeof ops, profile, NULL, NULL, NULL};
#define KIND KL_KIND_MOLLIFIER
#define PARAMS NULL
#elif RULE == 2 /* a model that declares no `d` */
static const kl_model_ops ops = {sizeof ops, size, initial, rhs, NULL, NULL, NULL, NULL, view,
                                 NULL, NULL, NULL, NULL};
#define KIND KL_KIND_MODEL
#define PARAMS NULL
#elif RULE == 3 /* a model whose `d` is a REAL */
static const kl_model_ops ops = {sizeof ops, size, initial, rhs, NULL, NULL, NULL, NULL, view,
                                 NULL, NULL, NULL, NULL};
#define KIND KL_KIND_MODEL
#define PARAMS d_real
#elif RULE == 4 /* a model whose `dim_x` is a REAL */
static const kl_model_ops ops = {sizeof ops, size, initial, rhs, NULL, NULL, NULL, NULL, view,
                                 NULL, NULL, NULL, NULL};
#define KIND KL_KIND_MODEL
#define PARAMS dim_x_real
#elif RULE == 5 /* split parts but neither part_step nor part_rhs */
static const kl_model_ops ops = {sizeof ops, size, initial, NULL, n_parts, NULL, NULL, NULL, view,
                                 NULL, NULL, NULL, NULL};
#define KIND KL_KIND_MODEL
#define PARAMS d_int
#elif RULE == 6 /* invariant names without invariants */
static const kl_model_ops ops = {sizeof ops, size, initial, rhs, NULL, NULL, NULL, NULL, view,
                                 invariant_names, NULL, NULL, NULL};
#define KIND KL_KIND_MODEL
#define PARAMS d_int
#elif RULE == 7 /* an integrator that declares no `dt` */
static const kl_integrator_ops ops = {sizeof ops, 0, order, step, NULL};
#define KIND KL_KIND_INTEGRATOR
#define PARAMS NULL
#elif RULE == 8 /* an integrator whose `dt_max` is an INT */
static const kl_integrator_ops ops = {sizeof ops, KL_INTEGRATOR_ADAPTIVE, order, step, NULL};
#define KIND KL_KIND_INTEGRATOR
#define PARAMS dt_max_int
#elif RULE == 9 /* a kernel with the deprecated gamma but no REQUIRED weight */
static const kl_kernel_ops ops = {sizeof ops, NULL, gamma_zero, NULL, NULL};
#define KIND KL_KIND_KERNEL
#define PARAMS NULL
#elif RULE == 10 /* a communication weight without its REQUIRED support */
static void psi_one(void *s, size_t n, const double *r2, double *psi) {
  (void)s, (void)r2;
  for (size_t i = 0; i < n; i++) psi[i] = 1;
}
static const kl_comm_weight_ops ops = {sizeof ops, psi_one, NULL, NULL};
#define KIND KL_KIND_COMM_WEIGHT
#define PARAMS NULL
#else
#error "RULE must be 1..10"
#endif

static const kl_plugin_info info = {KL_PLUGIN_HEADER, KIND, "broken_rule", "breaks a rule",
                                    PARAMS, &ops, NULL, NULL};
static const kl_plugin_info *const table[] = {&info, NULL};
KL_PLUGIN_MODULE(table)
