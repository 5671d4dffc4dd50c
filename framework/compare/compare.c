/* compare.c - side-by-side comparison of the variants of a run directory:
 * the driver of the three stages (read.c, analyse.c, write.c; see
 * compare_internal.h) and the helpers they share.
 *
 * kl_compare_run_dir(RUN_DIR) reads every variant (the sub-directories that
 * hold run files, or RUN_DIR itself for a single run) and writes
 *   RUN_DIR/comparison.csv  one row per variant (machine-readable)
 *   RUN_DIR/comparison.md   the same as tables, plus observed orders
 * atomically (temp + rename).
 *
 * Per variant: the configuration keys whose values differ between variants
 * (flattened dotted keys of config.resolved.yaml), status and message
 * (summary.json, else the last line of run.log), counters and wall time, state
 * size (and particles or grid cells from the last snapshot), the final value
 * of every `*_error` column of timeseries.csv, and for every other quantity
 * column (model invariants and diagnostics) its drift |q(T) - q(0)|, relative
 * drift |q(T) - q(0)| / |q(0)| and the maximum over the output times of
 * |q(t) - q(0)|; a `*_exact` column (an exact solution's value, no drift to
 * speak of) its value at the final time.
 *
 * Observed orders of convergence (docs/comparisons.md).  A varying key is a
 * *resolution key* when its value is numeric in every variant and its
 * parameter declares itself a step size (KL_PARAM_STEP_SIZE: size s = value)
 * or a count (KL_PARAM_COUNT: size s = 1/value) in its plugin's parameter table
 * (analyse.c).  A key whose table is not available (its plugin is not loaded)
 * has no rule: comparison.md names it and why; an explicit key and rule can
 * be given instead (kinlab compare --by KEY[:step|:count]).  Keys that vary
 * in lockstep with the resolution key (eps chosen as a function of n) are
 * *tied* to it; the variants are grouped by the values of the other varying
 * keys, each group sorted coarse to fine (s decreasing), and between
 * successive completed variants with positive errors the order is
 *     p = log(e_i / e_{i+1}) / log(s_i / s_{i+1}),
 * with the least-squares slope of log e against log s over the group.
 * Variants that did not complete are listed with their status and message and
 * are left out of the orders.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "compare_internal.h"

/* ------------------------------------------------------------ helpers */
int kl_cmp_sv_push(strvec *v, const char *s) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 16;
    char **p = realloc(v->s, cap * sizeof *p);
    if (!p) return -1;
    v->s = p;
    v->cap = cap;
  }
  if (!(v->s[v->n] = strdup(s))) return -1;
  v->n++;
  return 0;
}

ssize_t kl_cmp_sv_find(const strvec *v, const char *s) {
  for (size_t i = 0; i < v->n; i++)
    if (!strcmp(v->s[i], s)) return (ssize_t)i;
  return -1;
}

void kl_cmp_sv_free(strvec *v) {
  for (size_t i = 0; i < v->n; i++) free(v->s[i]);
  free(v->s);
  memset(v, 0, sizeof *v);
}

double kl_cmp_numeric(const char *s) {
  if (!s || !*s) return NAN;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  while (*end && isspace((unsigned char)*end)) end++;
  if (*end || errno || !isfinite(x)) return NAN;
  return x;
}

const char *kl_cmp_config_value(const variant *v, const char *key) {
  ssize_t i = kl_cmp_sv_find(&v->keys, key);
  return i < 0 ? NULL : v->vals.s[i];
}

double kl_cmp_column_value(const variant *v, const double *arr, const char *col) {
  ssize_t i = kl_cmp_sv_find(&v->cols, col);
  return i < 0 || !arr || !v->rows ? NAN : arr[i];
}

bool kl_cmp_same_value(const char *a, const char *b) {
  if (!a || !b) return a == b;
  if (!strcmp(a, b)) return true;
  double x = kl_cmp_numeric(a), y = kl_cmp_numeric(b);
  return x == y;
}

/* J is tied to K when, over the variants, equal K values go with equal J
 * values and vice versa (J is a one-to-one function of K). */
bool kl_cmp_tied(const cmp *c, const char *k, const char *j) {
  for (size_t a = 0; a < c->nv; a++)
    for (size_t b = a + 1; b < c->nv; b++) {
      bool ek = kl_cmp_same_value(kl_cmp_config_value(&c->v[a], k), kl_cmp_config_value(&c->v[b], k));
      bool ej = kl_cmp_same_value(kl_cmp_config_value(&c->v[a], j), kl_cmp_config_value(&c->v[b], j));
      if (ek != ej) return false;
    }
  return true;
}

/* ------------------------------------------------------------ driver */
static void cmp_free(cmp *c) {
  for (size_t i = 0; i < c->nv; i++) {
    variant *v = &c->v[i];
    free(v->name);
    free(v->dir);
    kl_cmp_sv_free(&v->keys);
    kl_cmp_sv_free(&v->vals);
    kl_summary_free(&v->summary);
    free(v->status);
    free(v->message);
    kl_cmp_sv_free(&v->cols);
    free(v->first);
    free(v->last);
    free(v->max_drift);
  }
  free(c->v);
  for (size_t k = 0; k < c->n_rk; k++) {
    kl_cmp_res_key_clear_orders(&c->rk[k]);
    free(c->rk[k].key);
  }
  free(c->rk);
  free(c->order);
  kl_cmp_sv_free(&c->varying);
  kl_cmp_sv_free(&c->errors);
  kl_cmp_sv_free(&c->quants);
  kl_cmp_sv_free(&c->exacts);
  kl_cmp_sv_free(&c->unresolved);
  kl_cmp_sv_free(&c->absent);
  free(c->absent_unchecked);
  free(c->ref_of);
  free(c->ref_dir);
  kl_cmp_sv_free(&c->ref_cols);
  for (size_t r = 0; r < c->n_ref_rows; r++) free(c->ref_rows[r].vals);
  free(c->ref_rows);
}

/* The variants experiment.yaml (written at the start of a run with variants)
 * expands to, against the directories found: one without a directory was not
 * run (an interrupted run) or was deleted, and must not vanish silently from
 * the comparison.  The experiment is loaded as --restart loads it; when that
 * fails (its plugins are not found), the check is skipped and the table says
 * so. */
static int find_absent_variants(cmp *c, kl_error *err) {
  char path[PATH_MAX];
  if (c->nv < 1 || !kl_pathf(path, sizeof path, "%s/experiment.yaml", c->run_dir) ||
      !kl_file_exists(path))
    return KL_OK;
  kl_registry *reg = kl_registry_new();
  if (!reg) return kl_error_nomem(err);
  kl_error load_err = {0, ""};
  kl_experiment *exp = NULL;
  int rc = KL_OK;
  if (kl_registry_load_default_path(reg, &load_err) ||
      kl_experiment_load_file(path, NULL, 0, reg, &exp, &load_err)) {
    if (!(c->absent_unchecked = strdup(load_err.message))) rc = kl_error_nomem(err);
  } else {
    for (size_t i = 0; !rc && i < kl_experiment_variant_count(exp); i++) {
      const char *name = kl_experiment_variant_name(exp, i);
      bool found = false;
      for (size_t k = 0; k < c->nv && !found; k++) found = !strcmp(c->v[k].name, name);
      if (!found && kl_cmp_sv_push(&c->absent, name)) rc = kl_error_nomem(err);
    }
  }
  kl_experiment_free(exp);
  kl_registry_free(reg);
  return rc;
}

int kl_compare_run_dir_in(const kl_registry *reg, const char *run_dir, const char *key,
                          const char *rule, bool *bad_by, kl_error *err) {
  kl_compare_options o = {key, rule, NULL, 0};
  return kl_compare_run_dir_with(reg, run_dir, &o, bad_by, err);
}

int kl_compare_run_dir_with(const kl_registry *reg, const char *run_dir,
                            const kl_compare_options *opts, bool *bad_by, kl_error *err) {
  const char *key = opts ? opts->by_key : NULL, *rule = opts ? opts->by_rule : NULL;
  bool unused;
  if (!bad_by) bad_by = &unused;
  *bad_by = false;
  if (!run_dir) return kl_error_set(err, KL_EINVAL, "no run directory given");
  int by_rule = RULE_NONE;
  if (rule && *rule) {
    if (!strcmp(rule, "step")) by_rule = RULE_STEP;
    else if (!strcmp(rule, "count")) by_rule = RULE_COUNT;
    else {
      *bad_by = true;
      return kl_error_set(err, KL_EINVAL,
                          "resolution rule '%s': expected 'step' (size = value) or 'count' "
                          "(size = 1/value)",
                          rule);
    }
  }
  cmp c;
  memset(&c, 0, sizeof c);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", run_dir);
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
  c.run_dir = dir;
  /* Without a registry, the plugins of the standard search path say which
   * keys are resolutions; one that does not load leaves its keys without a
   * rule (comparison.md says so; --by gives one), the comparison itself
   * needs no plugin. */
  kl_registry *own = NULL;
  if (!reg && (own = kl_registry_new())) {
    kl_error ignored = {0, ""};
    (void)kl_registry_load_default_path(own, &ignored);
  }
  c.reg = reg ? reg : own;
  int rc = kl_cmp_list_variants(&c, err);
  if (!rc) rc = find_absent_variants(&c, err);
  for (size_t i = 0; !rc && i < c.nv; i++) rc = kl_cmp_read_variant(&c.v[i], err);
  if (!rc) rc = kl_cmp_find_varying(&c, err);
  if (!rc) rc = kl_cmp_find_resolution_keys(&c, key && *key ? key : NULL, by_rule, bad_by, err);
  if (!rc)
    rc = kl_cmp_reference_errors(&c, opts && opts->reference && *opts->reference ? opts->reference
                                                                                  : NULL,
                                 opts ? opts->analysis_width : 0, bad_by, err);
  if (!rc) rc = kl_cmp_display_order(&c, err);
  if (!rc) rc = kl_cmp_write_outputs(&c, err);
  cmp_free(&c);
  if (own) kl_registry_free(own);
  return rc;
}

int kl_compare_run_dir_by(const char *run_dir, const char *key, const char *rule, bool *bad_by,
                          kl_error *err) {
  return kl_compare_run_dir_in(NULL, run_dir, key, rule, bad_by, err);
}

int kl_compare_run_dir(const char *run_dir, kl_error *err) {
  return kl_compare_run_dir_by(run_dir, NULL, NULL, NULL, err);
}
