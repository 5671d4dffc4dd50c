/* model.c - conformance of models and diagnostics, kept modest: create with
 * the default parameters beside a compatible initial plugin (and model) from
 * the plugin path, the kind's rules after create, the initial state, one
 * right-hand side or split step, the view and the invariants finite, and for
 * a diagnostic one observation of that state finite.  Their operations are
 * main-thread: no thread check. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* The value of INT parameter `name` that an instance of info gets: --set
 * (for the plugin under test), else its default, else `fallback`. */
static long int_param(const kl_check *c, const kl_plugin_info *info, const char *name,
                      long fallback) {
  size_t len = strlen(name);
  if (info == c->info)
    for (size_t i = 0; i < c->n_sets; i++)
      if (!strncmp(c->sets[i], name, len) && c->sets[i][len] == '=')
        return strtol(c->sets[i] + len + 1, NULL, 10);
  for (const kl_param_spec *s = info->params; s && s->name; s++)
    if (!strcmp(s->name, name) && s->default_value) return strtol(s->default_value, NULL, 10);
  return fallback;
}

static kl_instance *create_yaml(kl_registry *reg, int kind, const char *name, const char *extra,
                                unsigned dim_v, unsigned dim_x, kl_instance *initial,
                                kl_instance *model) {
  char yaml[300];
  snprintf(yaml, sizeof yaml, "{type: %s%s}", name, extra);
  kl_instance *inst = NULL;
  kl_error err = {0, ""};
  if (kl_instance_from_yaml(reg, kind, yaml, dim_v, dim_x, initial, model, &inst, &err))
    return NULL;
  return inst;
}

/* A model (the one under test when c->info is a model, else each model found)
 * created beside the first initial plugin it accepts.  *initial and *model, or
 * false; *why says what the plugin under test refused last. */
static bool find_model(kl_check *c, kl_instance **initial, kl_instance **model, char *why,
                       size_t why_size) {
  snprintf(why, why_size, "no initial plugin on the plugin path");
  for (size_t mi = 0; mi < kl_registry_count(c->reg); mi++) {
    const kl_plugin_info *m = c->info->kind == KL_KIND_MODEL ? c->info : kl_registry_at(c->reg, mi);
    if (m->kind != KL_KIND_MODEL) continue;
    unsigned dim_v = (unsigned)int_param(c, m, "d", 1), dim_x = (unsigned)int_param(c, m, "dim_x", 0);
    for (size_t ii = 0; ii < kl_registry_count(c->reg); ii++) {
      const kl_plugin_info *in = kl_registry_at(c->reg, ii);
      if (in->kind != KL_KIND_INITIAL) continue;
      kl_instance *init = create_yaml(c->reg, KL_KIND_INITIAL, in->name, "", dim_v, dim_x, NULL, NULL);
      if (!init) continue;
      kl_error err = {0, ""};
      kl_instance *mod = NULL;
      if (m == c->info)
        mod = kl_check_create(c, dim_v, dim_x, init, NULL, &err);
      else
        mod = create_yaml(c->reg, KL_KIND_MODEL, m->name, "", dim_v, dim_x, init, NULL);
      if (mod) {
        *initial = init, *model = mod;
        return true;
      }
      /* a long plugin message is cut to fit: it is a reason shown, not data */
      if (m == c->info && snprintf(why, why_size, "with initial %s: %s", in->name, err.message) < 0)
        why[0] = '\0';
      kl_instance_free(init);
    }
    if (c->info->kind == KL_KIND_MODEL) break;
  }
  return false;
}

static size_t count_bad(const double *x, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += !isfinite(x[i]);
  return bad;
}

/* The initial state, its view, one rhs or split step, the invariants.  *y
 * (malloc'ed, the initial state) and *t0 for a diagnostic's observation. */
static bool exercise_model(kl_check *c, kl_instance *model, bool report, double **y_out,
                           double *t0_out, kl_view *view) {
  size_t n = kl_model_size(model);
  double *y = calloc(n ? n : 1, sizeof *y), *f = calloc(n ? n : 1, sizeof *f);
  double t0 = 0;
  kl_error err = {0, ""};
  bool ok = y && f && n > 0;
  if (report) kl_check_verdict(c, ok, "state size %zu > 0", n);
  if (ok) {
    int rc = kl_model_initial(model, &t0, y, &err);
    ok = !rc && count_bad(y, n) == 0;
    if (report)
      kl_check_verdict(c, ok, "initial state at t0 = %g: %s", t0,
                       rc ? err.message : ok ? "finite" : "NOT finite");
  }
  if (ok) {
    int rc = kl_model_view(model, y, view, &err);
    ok = !rc;
    if (report) kl_check_verdict(c, ok, "view of the initial state%s%s", rc ? ": " : "", rc ? err.message : "");
  }
  if (ok && report) {
    if (kl_model_has_rhs(model)) {
      int rc = kl_model_rhs(model, t0, y, f, &err);
      size_t bad = rc ? n : count_bad(f, n);
      kl_check_result(c, bad == 0, (double)bad, 0, "rhs at the initial state%s%s: non-finite entries",
                      rc ? ": " : "", rc ? err.message : "");
    }
    for (unsigned k = 0; k < kl_model_n_parts(model); k++) {
      memcpy(f, y, n * sizeof *y);
      int rc = kl_model_part_step(model, k, t0, 1e-3, f, &err);
      if (rc == KL_USE_INTEGRATOR) rc = kl_model_part_rhs(model, k, t0, y, f, &err);
      size_t bad = rc ? n : count_bad(f, n);
      kl_check_result(c, bad == 0, (double)bad, 0,
                      "split part %u: one step of 1e-3 (or its rhs)%s%s: non-finite entries", k,
                      rc ? ": " : "", rc ? err.message : "");
      kl_model_initial(model, &t0, y, &err); /* a part step may touch the state */
    }
    const char *const *names = NULL;
    size_t ni = kl_model_invariant_names(model, &names);
    if (ni) {
      double *v = calloc(ni, sizeof *v);
      int rc = v ? kl_model_invariants(model, t0, y, v, &err) : KL_ENOMEM;
      size_t bad = rc ? ni : count_bad(v, ni);
      kl_check_result(c, bad == 0, (double)bad, 0, "%zu invariants at the initial state%s%s: "
                      "non-finite values", ni, rc ? ": " : "", rc ? err.message : "");
      free(v);
    }
  }
  free(f);
  if (ok) {
    *y_out = y, *t0_out = t0;
    kl_model_view(model, y, view, &err); /* views point into y */
  } else {
    free(y);
  }
  return ok;
}

void kl_check_model(kl_check *c) {
  kl_instance *init = NULL, *model = NULL;
  char why[600];
  if (!find_model(c, &init, &model, why, sizeof why)) {
    kl_check_verdict(c, false, "create with %s beside an initial plugin from the path: %s",
                     kl_check_parameters(c), why);
    return;
  }
  kl_check_verdict(c, true, "create (and the kind's rules, checked by the loader and by create) "
                   "beside initial %s", kl_instance_name(init));
  double *y = NULL, t0;
  kl_view view;
  exercise_model(c, model, true, &y, &t0, &view);
  kl_check_skip(c, "thread safety: a model's operations are main-thread");
  free(y);
  kl_instance_free(model);
  kl_instance_free(init);
}

/* A model and initial plugin from the path that the diagnostic under test
 * accepts (create succeeds and it understands the model's view). */
static kl_instance *find_diagnostic(kl_check *c, kl_instance **init_out, kl_instance **model_out,
                                    double **y, double *t0, kl_view *view, char *why,
                                    size_t why_size) {
  /* Each model with its default dimensions, then with each other dim_x it
   * may declare (cs_exact_error wants homogeneous cs_kinetic runs). */
  for (size_t mi = 0; mi < kl_registry_count(c->reg) * 5; mi++) {
    const kl_plugin_info *m = kl_registry_at(c->reg, mi % kl_registry_count(c->reg));
    unsigned variant = (unsigned)(mi / kl_registry_count(c->reg)); /* 0: defaults, 1..4: dim_x 0..3 */
    if (m->kind != KL_KIND_MODEL) continue;
    unsigned dim_v = (unsigned)int_param(c, m, "d", 1), dim_x = (unsigned)int_param(c, m, "dim_x", 0);
    char extra[32] = "";
    if (variant) {
      bool declares = false;
      for (const kl_param_spec *s = m->params; s && s->name; s++) declares |= !strcmp(s->name, "dim_x");
      if (!declares || variant - 1 == dim_x) continue;
      dim_x = variant - 1;
      snprintf(extra, sizeof extra, ", dim_x: %u", dim_x);
    }
    for (size_t ii = 0; ii < kl_registry_count(c->reg); ii++) {
      const kl_plugin_info *in = kl_registry_at(c->reg, ii);
      if (in->kind != KL_KIND_INITIAL) continue;
      kl_instance *init = create_yaml(c->reg, KL_KIND_INITIAL, in->name, "", dim_v, dim_x, NULL, NULL);
      kl_instance *model =
          init ? create_yaml(c->reg, KL_KIND_MODEL, m->name, extra, dim_v, dim_x, init, NULL) : NULL;
      kl_instance *diag = NULL;
      kl_error err = {0, ""};
      if (model && !(diag = kl_check_create(c, dim_v, dim_x, init, model, &err)) &&
          snprintf(why, why_size, "with model %s and initial %s: %s", m->name, in->name,
                   err.message) < 0) /* a long message is cut to fit: a reason shown */
        why[0] = '\0';
      if (diag && exercise_model(c, model, false, y, t0, view)) {
        if (kl_diagnostic_accepts(diag) & view->kind) {
          *init_out = init, *model_out = model;
          return diag;
        }
        snprintf(why, why_size, "model %s: view kind %d not accepted", m->name, (int)view->kind);
        free(*y);
        *y = NULL;
      }
      kl_instance_free(diag);
      kl_instance_free(model);
      kl_instance_free(init);
    }
  }
  return NULL;
}

/* Two observations of the model's initial state, at t0 and t0 + 1e-3: the
 * first may leave a column NaN (a rate needs a previous observation:
 * cs_entropy_rate), never infinite; the second must be finite. */
void kl_check_diagnostic(kl_check *c) {
  kl_instance *init = NULL, *model = NULL;
  double *y = NULL, t0 = 0;
  kl_view view;
  char why[600] = "no model on the plugin path accepts any initial plugin";
  kl_instance *diag = find_diagnostic(c, &init, &model, &y, &t0, &view, why, sizeof why);
  if (!diag) {
    kl_check_skip(c, "create: no model and initial plugin on the path that it accepts (last: %s)",
                  why);
    return;
  }
  kl_check_verdict(c, true, "create (and the kind's rules) with model %s and initial %s",
                   kl_instance_name(model), kl_instance_name(init));
  const char *const *names = NULL;
  size_t nc = kl_diagnostic_columns(diag, &names);
  double *v = calloc(nc ? nc : 1, sizeof *v);
  for (int k = 0; k < 2 && nc && v; k++) {
    kl_observation obs = {t0 + 1e-3 * k, (uint64_t)k, y, &view, model, init};
    kl_error err = {0, ""};
    int rc = kl_diagnostic_observe(diag, &obs, v, &err);
    size_t bad = 0;
    for (size_t i = 0; i < nc; i++) bad += rc || (k ? !isfinite(v[i]) : isinf(v[i]));
    kl_check_result(c, bad == 0, (double)bad, 0,
                    "observation %d of the initial state of %s (%zu columns)%s%s: %s", k + 1,
                    kl_instance_name(model), nc, rc ? ": " : "", rc ? err.message : "",
                    k ? "non-finite values" : "infinite values");
  }
  if (!nc) kl_check_skip(c, "observe: no columns");
  kl_check_skip(c, "thread safety: a diagnostic's operations are main-thread");
  free(v);
  free(y);
  kl_instance_free(diag);
  kl_instance_free(model);
  kl_instance_free(init);
}
