/* instance.c - plugin instances and the per-kind wrappers.
 *
 * Callers never dereference ops tables themselves: these wrappers check that
 * an operation exists within the table size the plugin was built with (so an
 * older plugin simply lacks newer OPTIONAL operations) and apply the
 * documented default when an OPTIONAL one is NULL.
 */
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* The operation `field` of table type T of a descriptor, or NULL when absent
 * (beyond the table size the plugin was built with). */
#define KL_INFO_OP(info, T, field)                                                       \
  ((offsetof(T, field) + sizeof(((T *)0)->field) <= ((const T *)(info)->ops)->struct_size) \
       ? ((const T *)(info)->ops)->field                                                 \
       : NULL)
#define KL_OP(inst, T, field) KL_INFO_OP((inst)->info, T, field)

/* The plugins whose create() is running, innermost last, for the crash report
 * of the kinlab program (a fatal-signal handler reads it; plugins run
 * in-process).  A stack, not one name: a create() may create other instances,
 * and when they return the outer one is still running.  Deeper nesting than
 * the array is counted but not named.  Global on purpose (kinlab/host.h): the
 * crash handler that reads it receives no object. */
#define CREATE_STACK_MAX 16
static const char *volatile create_stack[CREATE_STACK_MAX];
static volatile sig_atomic_t create_depth;

const char *kl_plugin_in_create_at(unsigned depth) {
  sig_atomic_t n = create_depth;
  if ((sig_atomic_t)depth >= n) return NULL;
  sig_atomic_t i = n - 1 - (sig_atomic_t)depth;
  return i < CREATE_STACK_MAX ? create_stack[i] : "(nested too deep)";
}

const char *kl_plugin_in_create(void) { return kl_plugin_in_create_at(0); }

const kl_plugin_info *kl_instance_info(const kl_instance *inst) { return inst->info; }
const kl_params *kl_instance_params(const kl_instance *inst) { return inst->params; }
void *kl_instance_state(const kl_instance *inst) { return inst->state; }
const char *kl_instance_name(const kl_instance *inst) { return inst->info->name; }

static const kl_param_spec *declared_param(const kl_plugin_info *info, const char *name) {
  for (const kl_param_spec *p = info->params; p && p->name; p++)
    if (!strcmp(p->name, name)) return p;
  return NULL;
}

/* The rules of kinds.h ("Host checks"): REQUIRED operations and the
 * parameters the framework reads by name.  Checked when a module is loaded
 * (origin: its file) and again when an instance is created (origin NULL: a
 * descriptor added with kl_registry_add is checked only then), so a faulty
 * plugin is reported by name instead of misbehaving later. */
int kl_plugin_check_rules(const kl_plugin_info *info, const char *origin, kl_error *err) {
  const char *missing = NULL, *rule = NULL;
  const kl_param_spec *p;
  switch (info->kind) {
  case KL_KIND_MOLLIFIER:
    if (!KL_INFO_OP(info, kl_mollifier_ops, profile)) missing = "profile";
    else if (!KL_INFO_OP(info, kl_mollifier_ops, cutoff)) missing = "cutoff";
    break;
  case KL_KIND_KERNEL:
    if (!KL_INFO_OP(info, kl_kernel_ops, weight)) missing = "weight";
    break;
  case KL_KIND_INITIAL:
    if (!KL_INFO_OP(info, kl_initial_ops, density)) missing = "density";
    break;
  case KL_KIND_MODEL:
    if (!KL_INFO_OP(info, kl_model_ops, size)) missing = "size";
    else if (!KL_INFO_OP(info, kl_model_ops, initial)) missing = "initial";
    else if (!KL_INFO_OP(info, kl_model_ops, view)) missing = "view";
    else if (!KL_INFO_OP(info, kl_model_ops, rhs) && !KL_INFO_OP(info, kl_model_ops, n_parts))
      missing = "rhs (or n_parts with part_step/part_rhs)";
    else if (KL_INFO_OP(info, kl_model_ops, n_parts) && !KL_INFO_OP(info, kl_model_ops, part_step) &&
             !KL_INFO_OP(info, kl_model_ops, part_rhs))
      rule = "a model with n_parts must provide part_step or part_rhs (or both)";
    else if (KL_INFO_OP(info, kl_model_ops, invariant_names) &&
             !KL_INFO_OP(info, kl_model_ops, invariants))
      rule = "a model with invariant_names must provide invariants";
    else if (!(p = declared_param(info, "d")) || p->type != KL_PARAM_INT)
      rule = "a model declares an INT parameter 'd' (the velocity dimension, 1..3)";
    else if ((p = declared_param(info, "dim_x")) && p->type != KL_PARAM_INT)
      rule = "a model's parameter 'dim_x' (the space dimension, 0..3), when declared, is an INT";
    break;
  case KL_KIND_INTEGRATOR:
    if (!KL_INFO_OP(info, kl_integrator_ops, order)) missing = "order";
    else if (!KL_INFO_OP(info, kl_integrator_ops, step)) missing = "step";
    else if (!(p = declared_param(info, "dt")) || p->type != KL_PARAM_REAL)
      rule = "an integrator declares a REAL parameter 'dt' (its fixed or first step)";
    else if ((p = declared_param(info, "dt_max")) && p->type != KL_PARAM_REAL)
      rule = "an integrator's parameter 'dt_max' (largest step), when declared, is a REAL";
    break;
  case KL_KIND_DIAGNOSTIC:
    if (!KL_INFO_OP(info, kl_diagnostic_ops, columns)) missing = "columns";
    break;
  case KL_KIND_COMM_WEIGHT:
    if (!KL_INFO_OP(info, kl_comm_weight_ops, weight)) missing = "weight";
    else if (!KL_INFO_OP(info, kl_comm_weight_ops, support)) missing = "support";
    break;
  }
  const char *kind = kl_kind_name(info->kind);
  if (missing)
    return kl_error_set(err, KL_EPLUGIN,
                        "%s%splugin '%s' (%s): REQUIRED operation '%s' is missing (kinlab/kinds.h, "
                        "docs/writing-plugins.md)",
                        origin ? origin : "", origin ? ": " : "", info->name, kind, missing);
  if (rule)
    return kl_error_set(err, KL_EPLUGIN,
                        "%s%splugin '%s' (%s) breaks a rule of its kind: %s (kinlab/kinds.h, "
                        "docs/writing-plugins.md)",
                        origin ? origin : "", origin ? ": " : "", info->name, kind, rule);
  return KL_OK;
}

/* Rules that need the created state. */
static int check_state_rules(const kl_instance *inst, kl_error *err) {
  if (inst->info->kind == KL_KIND_DIAGNOSTIC && !KL_OP(inst, kl_diagnostic_ops, observe)) {
    const char *const *names = NULL;
    size_t n = KL_OP(inst, kl_diagnostic_ops, columns)(inst->state, &names);
    if (n > 0)
      return kl_error_set(err, KL_EPLUGIN,
                          "plugin '%s' (diagnostic) breaks a rule of its kind: a diagnostic "
                          "with columns (%zu) must provide observe (kinlab/kinds.h, "
                          "docs/writing-plugins.md)",
                          inst->info->name, n);
  }
  return KL_OK;
}

void kl_instance_free(kl_instance *inst) {
  if (!inst) return;
  if (inst->info->destroy && inst->state) inst->info->destroy(inst->state);
  /* Children after the parent: the parent's state may refer to them. */
  for (size_t i = 0; i < inst->n_children; i++) kl_instance_free(inst->children[i]);
  free(inst->children);
  if (inst->owns_params) kl_params_free(inst->params);
  free(inst);
}

static int create_impl(const kl_plugin_info *info, kl_params *params, bool owns_params,
                       const kl_setup *base, kl_instance **out, kl_error *err) {
  *out = NULL;
  kl_instance *inst = calloc(1, sizeof *inst);
  if (!inst) {
    if (owns_params) kl_params_free(params);
    return kl_error_set(err, KL_ENOMEM, "out of memory creating plugin '%s'", info->name);
  }
  inst->info = info;
  inst->params = params;
  inst->owns_params = owns_params;
  int rc = kl_plugin_check_rules(info, NULL, err);
  /* Nested plugin parameters (a model's mollifier and kernel) come first. */
  size_t n_plugin = 0;
  for (const kl_param_spec *s = info->params; s && s->name; s++)
    if (s->type == KL_PARAM_PLUGIN) n_plugin++;
  if (!rc && n_plugin) {
    inst->children = calloc(n_plugin, sizeof *inst->children);
    if (!inst->children) rc = kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  for (const kl_param_spec *s = info->params; !rc && s && s->name; s++) {
    if (s->type != KL_PARAM_PLUGIN) continue;
    const kl_plugin_info *child_info = kl_params_child_info(params, s->name);
    kl_params *child_params = kl_params_child(params, s->name);
    if (!child_info || !child_params) continue; /* optional and absent */
    kl_instance *child = NULL;
    rc = create_impl(child_info, child_params, false, base, &child, err);
    if (rc) break;
    inst->children[inst->n_children++] = child;
    kl_params_attach_instance(params, s->name, child);
  }
  if (!rc && info->create) {
    kl_setup setup = *base;
    setup.struct_size = sizeof setup;
    setup.params = params;
    /* The name is stored before the depth grows: a signal in between sees the
     * old stack, never an unset slot. */
    if (create_depth < CREATE_STACK_MAX) create_stack[create_depth] = info->name;
    create_depth++;
    rc = info->create(&setup, &inst->state, err);
    create_depth--;
    /* A status outside kl_status is a plugin bug: report it as a plugin error. */
    if (rc < KL_OK || rc > KL_EINTERNAL) {
      kl_error_set(err, KL_EPLUGIN,
                   "plugin '%s': create() returned %d, which is not a kinlab status (a bug in "
                   "the plugin)",
                   info->name, rc);
      rc = KL_EPLUGIN;
    }
    if (rc && err && err->message[0] == '\0')
      kl_error_set(err, rc, "plugin '%s' failed to initialise (%s)", info->name,
                   kl_status_name(rc));
  }
  /* A state that breaks a rule is destroyed here: below, a failed create has none. */
  if (!rc && (rc = check_state_rules(inst, err)) && info->destroy && inst->state)
    info->destroy(inst->state);
  if (rc) {
    inst->state = NULL; /* create failed: nothing to destroy */
    kl_instance_free(inst);
    return rc;
  }
  *out = inst;
  return KL_OK;
}

int kl_instance_create(const kl_plugin_info *info, kl_params *params, const kl_setup *base,
                       kl_instance **out, kl_error *err) {
  return create_impl(info, params, true, base, out, err);
}

int kl_instance_from_yaml(kl_registry *reg, int kind, const char *yaml_text, unsigned dim_v,
                          unsigned dim_x, kl_instance *initial, kl_instance *model,
                          kl_instance **out, kl_error *err) {
  *out = NULL;
  kl_node *node = NULL;
  int rc = kl_yaml_parse_string(yaml_text, strlen(yaml_text), "<string>", &node, err);
  if (rc) return rc;
  const kl_plugin_info *info = NULL;
  kl_params *params = NULL;
  const char *kname = kl_kind_name(kind);
  rc = kl_params_build_plugin(kind, node, kname ? kname : "plugin", reg, &info, &params, err);
  kl_node_free(node);
  if (rc) return rc;
  kl_setup setup = {sizeof(kl_setup), NULL, dim_v, dim_x, initial, model, NULL};
  return kl_instance_create(info, params, &setup, out, err);
}

/* ------------------------------------------------------------ mollifier */
void kl_mollifier_profile(const kl_instance *m, unsigned d, double eps, size_t n,
                          const double *r2, double *value, double *grad_factor) {
  KL_OP(m, kl_mollifier_ops, profile)(m->state, d, eps, n, r2, value, grad_factor);
}

double kl_mollifier_cutoff(const kl_instance *m, unsigned d, double eps, double rtol) {
  return KL_OP(m, kl_mollifier_ops, cutoff)(m->state, d, eps, rtol);
}

bool kl_mollifier_is_separable(const kl_instance *m) {
  return KL_OP(m, kl_mollifier_ops, separable) != NULL;
}

void kl_mollifier_factor(const kl_instance *m, unsigned d, double eps, size_t n, const double *x,
                         double *g, double *dg) {
  KL_OP(m, kl_mollifier_ops, separable)(m->state, d, eps, n, x, g, dg);
}

bool kl_mollifier_has_width(const kl_instance *m) {
  return KL_OP(m, kl_mollifier_ops, width) != NULL;
}

double kl_mollifier_width(const kl_instance *m, unsigned d, double eps) {
  double (*w)(void *, unsigned, double) = KL_OP(m, kl_mollifier_ops, width);
  return w ? w(m->state, d, eps) : NAN;
}

/* Mass of G^eps inside radius r:  |S^{d-1}| int_0^r t^{d-1} G^eps(t) dt, by
 * 5-point Gauss-Legendre on HM_PANELS equal panels (the profile is smooth;
 * 200 panels give ~1e-14 for the Gaussian and the exponential blob). */
#define HM_PANELS 200
static double mass_within(const kl_instance *m, unsigned d, double eps, double r, double *t,
                          double *r2, double *g) {
  static const double x[5] = {-0.9061798459386640, -0.5384693101056831, 0.0,
                              0.5384693101056831, 0.9061798459386640};
  static const double w[5] = {0.2369268850561891, 0.4786286704993665, 0.5688888888888889,
                              0.4786286704993665, 0.2369268850561891};
  static const double sphere[4] = {0, 2.0, 2.0 * M_PI, 4.0 * M_PI};
  const double hp = r / HM_PANELS;
  for (size_t p = 0; p < HM_PANELS; p++)
    for (size_t q = 0; q < 5; q++) {
      t[5 * p + q] = hp * ((double)p + 0.5 + 0.5 * x[q]);
      r2[5 * p + q] = t[5 * p + q] * t[5 * p + q];
    }
  kl_mollifier_profile(m, d, eps, 5 * HM_PANELS, r2, g, NULL);
  double sum = 0;
  for (size_t i = 0; i < 5 * HM_PANELS; i++) {
    double tp = d == 1 ? 1.0 : d == 2 ? t[i] : r2[i];
    sum += w[i % 5] * tp * g[i];
  }
  return sphere[d] * 0.5 * hp * sum;
}

double kl_mollifier_half_mass_radius(const kl_instance *m, unsigned d, double eps) {
  if (d < 1 || d > 3) return NAN;
  /* cutoff(rtol 1/2) bounds the tail mass by 1/2: the half-mass radius is below it. */
  double hi = kl_mollifier_cutoff(m, d, eps, 0.5), lo = 0;
  if (!(hi > 0) || !isfinite(hi)) return NAN;
  double *buf = malloc(3 * 5 * HM_PANELS * sizeof *buf);
  if (!buf) return NAN;
  double *t = buf, *r2 = buf + 5 * HM_PANELS, *g = buf + 10 * HM_PANELS;
  double result = NAN;
  if (mass_within(m, d, eps, hi, t, r2, g) >= 0.5) {
    for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; it++) {
      double mid = 0.5 * (lo + hi);
      if (mass_within(m, d, eps, mid, t, r2, g) < 0.5) lo = mid;
      else hi = mid;
    }
    result = 0.5 * (lo + hi);
  }
  free(buf);
  return result;
}

double kl_mollifier_eval(const kl_instance *m, unsigned d, double eps, const double *z,
                         double *grad) {
  double r2 = 0, value, g;
  for (unsigned k = 0; k < d; k++) r2 += z[k] * z[k];
  kl_mollifier_profile(m, d, eps, 1, &r2, &value, &g);
  if (grad)
    for (unsigned k = 0; k < d; k++) grad[k] = g * z[k];
  return value;
}

/* ---------------------------------------------------------- comm_weight */
void kl_comm_weight_eval(const kl_instance *w, size_t n, const double *r2, double *psi) {
  KL_OP(w, kl_comm_weight_ops, weight)(w->state, n, r2, psi);
}

double kl_comm_weight_support(const kl_instance *w) {
  return KL_OP(w, kl_comm_weight_ops, support)(w->state);
}

double kl_comm_weight_at(const kl_instance *w, double r) {
  double r2 = r * r, psi;
  kl_comm_weight_eval(w, 1, &r2, &psi);
  return psi;
}

/* |S^{dim-1}| times the composite Simpson rule (4000 intervals) of psi(r) r^{dim-1}
 * on [0, R]. */
double kl_comm_weight_quadrature(const kl_instance *w, unsigned dim) {
  if (dim < 1 || dim > 3) return NAN;
  double R = kl_comm_weight_support(w);
  if (!(R > 0) || !isfinite(R)) return NAN;
  double surf = dim == 1 ? 2 : dim == 2 ? 2 * M_PI : 4 * M_PI;
  const int n = 4000;
  double s = 0;
  for (int i = 0; i <= n; i++) {
    double r = R * ((double)i / n);
    s += kl_comm_weight_at(w, r) * pow(r, dim - 1) * (i == 0 || i == n ? 1 : i % 2 ? 4 : 2);
  }
  return surf * s / (3.0 * n) * R;
}

/* the plugin's closed form when it has one */
double kl_comm_weight_integral(const kl_instance *w, unsigned dim) {
  if (dim < 1 || dim > 3) return NAN;
  double (*op)(void *, unsigned) = KL_OP(w, kl_comm_weight_ops, integral);
  return op ? op(w->state, dim) : kl_comm_weight_quadrature(w, dim);
}

/* --------------------------------------------------------------- kernel */
void kl_kernel_weight(const kl_instance *k, size_t n, const double *r2, double *phi) {
  KL_OP(k, kl_kernel_ops, weight)(k->state, n, r2, phi);
}

int kl_kernel_power_law(const kl_instance *k, double *C, double *gamma) {
  double c = NAN, g = NAN;
  int rc = KL_ENOTSUP;
  int (*op)(void *, double *, double *) = KL_OP(k, kl_kernel_ops, power_law);
  double (*old_gamma)(void *) = KL_OP(k, kl_kernel_ops, gamma);
  double (*old_coefficient)(void *) = KL_OP(k, kl_kernel_ops, power_law_coefficient);
  if (op) {
    rc = op(k->state, &c, &g);
  } else if (old_gamma && old_coefficient) { /* a kernel written for ABI 1.0/1.1 */
    c = old_coefficient(k->state);
    g = old_gamma(k->state);
    rc = KL_OK;
  }
  if (rc != KL_OK || isnan(c) || isnan(g)) {
    c = g = NAN;
    rc = KL_ENOTSUP;
  }
  if (C) *C = c;
  if (gamma) *gamma = g;
  return rc;
}

double kl_kernel_gamma(const kl_instance *k) {
  double g;
  kl_kernel_power_law(k, NULL, &g);
  return g;
}

double kl_kernel_power_law_coefficient(const kl_instance *k) {
  double c;
  kl_kernel_power_law(k, &c, NULL);
  return c;
}

void kl_kernel_apply(const kl_instance *k, unsigned d, const double *z, const double *x,
                     double *out) {
  double r2 = 0, zx = 0, phi;
  for (unsigned i = 0; i < d; i++) {
    r2 += z[i] * z[i];
    zx += z[i] * x[i];
  }
  kl_kernel_weight(k, 1, &r2, &phi);
  for (unsigned i = 0; i < d; i++) out[i] = phi * (r2 * x[i] - zx * z[i]);
}

/* -------------------------------------------------------------- initial */
double kl_initial_density(const kl_instance *init, const double *x, const double *v) {
  return KL_OP(init, kl_initial_ops, density)(init->state, x, v);
}

bool kl_initial_has_exact(const kl_instance *init) {
  return init && KL_OP(init, kl_initial_ops, exact) != NULL;
}

int kl_initial_exact(const kl_instance *init, double t, const double *x, const double *v,
                     double *f) {
  int (*op)(void *, double, const double *, const double *, double *) =
      KL_OP(init, kl_initial_ops, exact);
  return op ? op(init->state, t, x, v, f) : KL_ENOTSUP;
}

double kl_initial_start_time(const kl_instance *init) {
  double (*op)(void *) = KL_OP(init, kl_initial_ops, start_time);
  return op ? op(init->state) : 0.0;
}

int kl_initial_support(const kl_instance *init, double *x_lo, double *x_hi, double *v_lo,
                       double *v_hi) {
  int (*op)(void *, double *, double *, double *, double *) =
      KL_OP(init, kl_initial_ops, support);
  return op ? op(init->state, x_lo, x_hi, v_lo, v_hi) : KL_ENOTSUP;
}

int kl_initial_mass(const kl_instance *init, double *mass) {
  int (*op)(void *, double *) = KL_OP(init, kl_initial_ops, mass);
  return op ? op(init->state, mass) : KL_ENOTSUP;
}

int kl_initial_exact_parameter(const kl_instance *init, const char *name, double *value) {
  int (*op)(void *, const char *, double *) = KL_OP(init, kl_initial_ops, exact_parameter);
  return op ? op(init->state, name, value) : KL_ENOTSUP;
}

/* ---------------------------------------------------------------- model */
size_t kl_model_size(const kl_instance *m) { return KL_OP(m, kl_model_ops, size)(m->state); }

int kl_model_initial(const kl_instance *m, double *t0, double *y, kl_error *err) {
  return KL_OP(m, kl_model_ops, initial)(m->state, t0, y, err);
}

bool kl_model_has_rhs(const kl_instance *m) { return KL_OP(m, kl_model_ops, rhs) != NULL; }

int kl_model_rhs(const kl_instance *m, double t, const double *y, double *dydt, kl_error *err) {
  int (*op)(void *, double, const double *, double *, kl_error *) = KL_OP(m, kl_model_ops, rhs);
  if (!op)
    return kl_error_set(err, KL_ENOTSUP, "model '%s' has no right-hand side", m->info->name);
  return op(m->state, t, y, dydt, err);
}

unsigned kl_model_n_parts(const kl_instance *m) {
  unsigned (*op)(void *) = KL_OP(m, kl_model_ops, n_parts);
  return op ? op(m->state) : 0;
}

kl_split_scheme kl_model_split_scheme(const kl_instance *m) {
  kl_split_scheme (*op)(void *) = KL_OP(m, kl_model_ops, split_scheme);
  return op ? op(m->state) : KL_SPLIT_STRANG;
}

int kl_model_part_step(const kl_instance *m, unsigned k, double t, double dt, double *y,
                       kl_error *err) {
  int (*op)(void *, unsigned, double, double, double *, kl_error *) =
      KL_OP(m, kl_model_ops, part_step);
  return op ? op(m->state, k, t, dt, y, err) : KL_USE_INTEGRATOR;
}

int kl_model_part_rhs(const kl_instance *m, unsigned k, double t, const double *y,
                      double *dydt, kl_error *err) {
  int (*op)(void *, unsigned, double, const double *, double *, kl_error *) =
      KL_OP(m, kl_model_ops, part_rhs);
  if (!op)
    return kl_error_set(err, KL_EPLUGIN,
                        "model '%s': split part %u asks for the integrator but the model "
                        "has no part_rhs",
                        m->info->name, k);
  return op(m->state, k, t, y, dydt, err);
}

int kl_model_view(const kl_instance *m, const double *y, kl_view *view, kl_error *err) {
  memset(view, 0, sizeof *view);
  return KL_OP(m, kl_model_ops, view)(m->state, y, view, err);
}

size_t kl_model_invariant_names(const kl_instance *m, const char *const **names) {
  size_t (*op)(void *, const char *const **) = KL_OP(m, kl_model_ops, invariant_names);
  *names = NULL;
  return (op && KL_OP(m, kl_model_ops, invariants)) ? op(m->state, names) : 0;
}

int kl_model_invariants(const kl_instance *m, double t, const double *y, double *values,
                        kl_error *err) {
  int (*op)(void *, double, const double *, double *, kl_error *) =
      KL_OP(m, kl_model_ops, invariants);
  return op ? op(m->state, t, y, values, err) : KL_OK;
}

int kl_model_check_dt(const kl_instance *m, double dt, kl_error *err) {
  int (*op)(void *, double, kl_error *) = KL_OP(m, kl_model_ops, check_dt);
  return op ? op(m->state, dt, err) : KL_OK;
}

void kl_model_conservation(const kl_instance *m, kl_conservation *classes) {
  const char *const *names;
  size_t n = kl_model_invariant_names(m, &names);
  for (size_t i = 0; i < n; i++) classes[i] = KL_NOT_CONSERVED;
  void (*op)(void *, kl_conservation *) = KL_OP(m, kl_model_ops, conservation);
  if (op) op(m->state, classes);
}

/* ----------------------------------------------------------- integrator */
unsigned kl_integrator_order(const kl_instance *i) {
  return KL_OP(i, kl_integrator_ops, order)(i->state);
}

bool kl_integrator_is_adaptive(const kl_instance *i) {
  return (((const kl_integrator_ops *)i->info->ops)->flags & KL_INTEGRATOR_ADAPTIVE) != 0;
}

int kl_integrator_step(const kl_instance *i, const kl_system *sys, double *t, double *dt,
                       double t_limit, double *y, kl_step_stats *stats, kl_error *err) {
  return KL_OP(i, kl_integrator_ops, step)(i->state, sys, t, dt, t_limit, y, stats, err);
}

void kl_integrator_reset(const kl_instance *i) {
  void (*op)(void *) = KL_OP(i, kl_integrator_ops, reset);
  if (op) op(i->state);
}

/* ----------------------------------------------------------- diagnostic */
unsigned kl_diagnostic_accepts(const kl_instance *d) {
  return ((const kl_diagnostic_ops *)d->info->ops)->accepts;
}

size_t kl_diagnostic_columns(const kl_instance *d, const char *const **names) {
  *names = NULL;
  return KL_OP(d, kl_diagnostic_ops, columns)(d->state, names);
}

int kl_diagnostic_observe(const kl_instance *d, const kl_observation *obs, double *values,
                          kl_error *err) {
  int (*op)(void *, const kl_observation *, double *, kl_error *) =
      KL_OP(d, kl_diagnostic_ops, observe);
  if (!op)
    return kl_error_set(err, KL_EPLUGIN, "diagnostic '%s' declares columns but no observe",
                        d->info->name);
  return op(d->state, obs, values, err);
}

bool kl_diagnostic_has_snapshot(const kl_instance *d) {
  return KL_OP(d, kl_diagnostic_ops, snapshot) != NULL;
}

int kl_diagnostic_snapshot(const kl_instance *d, const kl_observation *obs, kl_snapshot *snap,
                           kl_error *err) {
  int (*op)(void *, const kl_observation *, kl_snapshot *, kl_error *) =
      KL_OP(d, kl_diagnostic_ops, snapshot);
  return op ? op(d->state, obs, snap, err) : KL_OK;
}
