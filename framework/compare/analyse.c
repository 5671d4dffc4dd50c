/* analyse.c - what compare computes from the variants it read: the
 * configuration keys that vary, the quantity and *_error columns, the
 * resolution keys (by the parameter tables' KL_PARAM_STEP_SIZE / KL_PARAM_COUNT
 * flags, or --by), the groups and observed orders of each resolution key, and
 * the display order of the variants (docs/comparisons.md).
 */
#include <math.h>
#include <string.h>

#include "compare_internal.h"

/* --------------------------------------------------- columns */
static bool is_base_column(const char *c) {
  for (size_t i = 0; i < KL_RUN_N_BASE_COLUMNS; i++)
    if (!strcmp(c, kl_run_base_columns[i])) return true;
  return false;
}

static bool is_error_column(const char *c) {
  size_t n = strlen(c);
  return n >= 6 && !strcmp(c + n - 6, "_error");
}

/* A column of an exact solution's value (m4_exact, f_max_exact): what the
 * run is measured against, so it has no drift worth reporting; its value at
 * the final time is. */
static bool is_exact_column(const char *c) {
  size_t n = strlen(c);
  return n >= 6 && !strcmp(c + n - 6, "_exact");
}

/* A model invariant by summary.json's "invariants" (all columns are when it
 * lists none: a summary written before it had the member). */
static bool is_invariant(const kl_summary *s, const char *col) {
  for (size_t i = 0; i < s->n_invariants; i++)
    if (!strcmp(s->invariants[i], col)) return true;
  return s->n_invariants == 0;
}

/* --------------------------------------------------- varying keys */
int kl_cmp_find_varying(cmp *c, kl_error *err) {
  strvec all = {0, 0, NULL};
  for (size_t i = 0; i < c->nv; i++)
    for (size_t k = 0; k < c->v[i].keys.n; k++)
      if (kl_cmp_sv_find(&all, c->v[i].keys.s[k]) < 0 && kl_cmp_sv_push(&all, c->v[i].keys.s[k])) {
        kl_cmp_sv_free(&all);
        return kl_error_nomem(err);
      }
  for (size_t k = 0; k < all.n; k++) {
    const char *ref = NULL;
    bool first = true, varies = false;
    for (size_t i = 0; i < c->nv && !varies; i++) {
      if (!c->v[i].keys.n) continue; /* no configuration: nothing to compare */
      const char *val = kl_cmp_config_value(&c->v[i], all.s[k]);
      if (first) {
        ref = val;
        first = false;
      } else if ((ref == NULL) != (val == NULL) || (ref && strcmp(ref, val))) {
        /* Numbers written differently ("0.1" / "1e-1") are the same value. */
        double a = kl_cmp_numeric(ref), b = kl_cmp_numeric(val);
        varies = !(a == b);
      }
    }
    if (varies && kl_cmp_sv_push(&c->varying, all.s[k])) {
      kl_cmp_sv_free(&all);
      return kl_error_nomem(err);
    }
  }
  kl_cmp_sv_free(&all);
  /* Columns: the union over the variants, in order of first appearance. */
  for (size_t i = 0; i < c->nv; i++) {
    const variant *v = &c->v[i];
    for (size_t k = 0; k < v->cols.n; k++) {
      const char *col = v->cols.s[k];
      if (is_base_column(col)) continue;
      strvec *dst = is_error_column(col)   ? &c->errors
                    : is_exact_column(col) ? &c->exacts
                                           : &c->quants;
      if (dst == &c->quants && !is_invariant(&v->summary, col)) continue;
      if (kl_cmp_sv_find(dst, col) < 0 && kl_cmp_sv_push(dst, col)) return kl_error_nomem(err);
    }
  }
  return KL_OK;
}

/* The rule a parameter declares with KL_PARAM_STEP_SIZE or KL_PARAM_COUNT. */
static int rule_of_spec(const kl_param_spec *s) {
  if (s->flags & KL_PARAM_STEP_SIZE) return RULE_STEP;
  if (s->flags & KL_PARAM_COUNT) return RULE_COUNT;
  return RULE_NONE;
}

static const kl_param_spec *find_spec(const kl_param_spec *table, const char *name, size_t len) {
  for (; table && table->name; table++)
    if (strlen(table->name) == len && !strncmp(table->name, name, len)) return table;
  return NULL;
}

/* The parameter table of the plugin v's configuration names at PREFIX.type
 * ("model.type", "model.kernel.type"); NULL, with *found false and the reason
 * in why, when that plugin is not in the registry. */
static const kl_param_spec *plugin_table(const cmp *c, const variant *v, const char *prefix,
                                         size_t len, bool *found, char *why, size_t why_size) {
  char key[1024];
  snprintf(key, sizeof key, "%.*s.type", (int)len, prefix);
  const char *type = kl_cmp_config_value(v, key);
  const kl_plugin_info *info = type && c->reg ? kl_registry_find(c->reg, type) : NULL;
  *found = info != NULL;
  if (!type)
    snprintf(why, why_size, "variant '%.100s' names no plugin (no %.200s)", v->name, key);
  else if (!info)
    snprintf(why, why_size, "plugin '%.200s' not found", type);
  return info ? info->params : NULL;
}

/* The rule of the parameter behind a flattened configuration key of v,
 * following its dotted path through the framework's tables (time, output) and
 * the plugins' (model, initial, integrator, diagnostics.N and the plugins
 * nested in their PLUGIN parameters).  *known is false, with the reason in
 * why, when a table on the way is not available (a plugin that is not
 * loaded, or one without that parameter). */
static int rule_in_variant(const cmp *c, const variant *v, const char *key, bool *known,
                           char *why, size_t why_size) {
  *known = true;
  const char *dot = strchr(key, '.');
  if (!dot) return RULE_NONE; /* name, ...: the experiment's own keys */
  size_t len = (size_t)(dot - key);
  const kl_param_spec *table = NULL;
  const char *rest = dot + 1;
  bool of_plugin = false; /* table is a plugin's, named at key[0, len).type */
  if (len == 4 && !strncmp(key, "time", 4)) {
    table = kl_time_specs;
  } else if (len == 6 && !strncmp(key, "output", 6)) {
    table = kl_output_specs;
  } else if ((len == 5 && !strncmp(key, "model", 5)) || (len == 7 && !strncmp(key, "initial", 7)) ||
             (len == 10 && !strncmp(key, "integrator", 10))) {
    table = plugin_table(c, v, key, len, known, why, why_size);
    of_plugin = true;
  } else if (len == 11 && !strncmp(key, "diagnostics", 11)) { /* diagnostics.N.KEY */
    const char *idx = strchr(rest, '.');
    if (!idx) return RULE_NONE;
    len = (size_t)(idx - key);
    table = plugin_table(c, v, key, len, known, why, why_size);
    of_plugin = true;
    rest = idx + 1;
  } else {
    return RULE_NONE;
  }
  while (*known) {
    const char *end = strchr(rest, '.');
    size_t n = end ? (size_t)(end - rest) : strlen(rest);
    if (n == 4 && !strncmp(rest, "type", 4)) return RULE_NONE;
    const kl_param_spec *s = find_spec(table, rest, n);
    if (!s) { /* not in the table: a different version of the plugin */
      *known = false;
      char type_key[1024];
      snprintf(type_key, sizeof type_key, "%.*s.type", (int)len, key);
      if (of_plugin)
        snprintf(why, why_size, "plugin '%.200s' has no parameter '%.*s'",
                 kl_cmp_config_value(v, type_key), n > 200 ? 200 : (int)n, rest);
      else
        snprintf(why, why_size, "section %.*s has no parameter '%.*s'", (int)len, key,
                 n > 200 ? 200 : (int)n, rest);
      break;
    }
    if (!end) return rule_of_spec(s);
    if (s->type != KL_PARAM_PLUGIN) return RULE_NONE; /* an element of a list */
    len = (size_t)(end - key);
    table = plugin_table(c, v, key, len, known, why, why_size);
    rest = end + 1;
  }
  return RULE_NONE;
}

/* The rule a varying key's parameter declares, in the first variant whose
 * tables are available.  *known is false when no variant's are (the reason
 * in why, from the first variant that has the key): then the key has no
 * rule, never one guessed from its name. */
static int rule_of_key(const cmp *c, const char *key, bool *known, char *why, size_t why_size) {
  *known = false;
  snprintf(why, why_size, "no variant has %.200s", key);
  bool first = true;
  for (size_t i = 0; i < c->nv; i++) {
    char reason[512];
    if (!kl_cmp_config_value(&c->v[i], key)) continue;
    int rule = rule_in_variant(c, &c->v[i], key, known, reason, sizeof reason);
    if (*known) return rule;
    if (first) snprintf(why, why_size, "%s", reason);
    first = false;
  }
  return RULE_NONE;
}

static void lsq_slope(const double *x, const double *y, size_t n, double *slope) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= (double)n;
  my /= (double)n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  *slope = sxx > 0 ? sxy / sxx : NAN;
}

size_t kl_cmp_group_members(const res_key *rk, size_t nv, size_t g, size_t *members) {
  size_t m = 0;
  for (size_t i = 0; i < nv; i++)
    if (rk->group[i] == g) members[m++] = i;
  /* coarse to fine: s decreasing (stable) */
  for (size_t a = 1; a < m; a++)
    for (size_t b = a; b > 0 && rk->size[members[b - 1]] < rk->size[members[b]]; b--) {
      size_t t = members[b];
      members[b] = members[b - 1];
      members[b - 1] = t;
    }
  return m;
}

/* Group the variants for resolution key rk and compute its orders. */
static int compute_orders(cmp *c, res_key *rk, kl_error *err) {
  size_t nv = c->nv, ne = c->errors.n;
  rk->group = malloc(nv * sizeof *rk->group);
  rk->size = malloc(nv * sizeof *rk->size);
  rk->order = calloc(ne ? ne : 1, sizeof *rk->order);
  rk->fit = calloc(ne ? ne : 1, sizeof *rk->fit);
  rk->n_err = ne;
  size_t *rep = malloc(nv * sizeof *rep); /* a representative variant per group */
  size_t *members = malloc(nv * sizeof *members);
  double *lx = malloc(nv * sizeof *lx), *ly = malloc(nv * sizeof *ly);
  int rc = KL_OK;
  if (!rk->group || !rk->size || !rk->order || !rk->fit || !rep || !members || !lx || !ly)
    rc = kl_error_nomem(err);
  for (size_t e = 0; e < ne && !rc; e++) {
    rk->order[e] = malloc(nv * sizeof **rk->order);
    rk->fit[e] = malloc(nv * sizeof **rk->fit);
    if (!rk->order[e] || !rk->fit[e]) rc = kl_error_nomem(err);
    for (size_t i = 0; !rc && i < nv; i++) rk->order[e][i] = rk->fit[e][i] = NAN;
  }
  /* The keys that define the groups: varying, not K, not tied to K. */
  bool *grouping = calloc(c->varying.n ? c->varying.n : 1, sizeof *grouping);
  if (!grouping && !rc) rc = kl_error_nomem(err);
  for (size_t k = 0; !rc && k < c->varying.n; k++)
    grouping[k] = strcmp(c->varying.s[k], rk->key) && !kl_cmp_tied(c, rk->key, c->varying.s[k]);
  rk->n_groups = 0;
  for (size_t i = 0; !rc && i < nv; i++) {
    double x = kl_cmp_numeric(kl_cmp_config_value(&c->v[i], rk->key));
    rk->size[i] = rk->rule == RULE_COUNT ? 1 / x : x;
    rk->group[i] = SIZE_MAX;
    if (!(rk->size[i] > 0) || !isfinite(rk->size[i])) continue;
    for (size_t g = 0; g < rk->n_groups && rk->group[i] == SIZE_MAX; g++) {
      bool same = true;
      for (size_t k = 0; k < c->varying.n && same; k++)
        if (grouping[k])
          same = kl_cmp_same_value(kl_cmp_config_value(&c->v[i], c->varying.s[k]),
                            kl_cmp_config_value(&c->v[rep[g]], c->varying.s[k]));
      if (same) rk->group[i] = g;
    }
    if (rk->group[i] == SIZE_MAX) {
      rep[rk->n_groups] = i;
      rk->group[i] = rk->n_groups++;
    }
  }
  for (size_t g = 0; !rc && g < rk->n_groups; g++) {
    size_t m = kl_cmp_group_members(rk, nv, g, members);
    for (size_t e = 0; e < ne; e++) {
      size_t np = 0, prev = SIZE_MAX;
      for (size_t a = 0; a < m; a++) {
        const variant *v = &c->v[members[a]];
        double ev = v->ok ? fabs(kl_cmp_column_value(v, v->last, c->errors.s[e])) : NAN;
        if (!(ev > 0) || !isfinite(ev)) continue;
        double s = rk->size[members[a]];
        if (prev != SIZE_MAX && rk->size[prev] != s) {
          double ep = fabs(kl_cmp_column_value(&c->v[prev], c->v[prev].last, c->errors.s[e]));
          rk->order[e][members[a]] = log(ep / ev) / log(rk->size[prev] / s);
        }
        prev = members[a];
        lx[np] = log(s);
        ly[np] = log(ev);
        np++;
      }
      double slope = NAN;
      if (np >= 2) lsq_slope(lx, ly, np, &slope);
      for (size_t a = 0; a < m; a++) rk->fit[e][members[a]] = slope;
    }
  }
  free(grouping);
  free(rep);
  free(members);
  free(lx);
  free(ly);
  return rc;
}

int kl_cmp_find_resolution_keys(cmp *c, const char *by_key, int by_rule, bool *bad_by,
                                kl_error *err) {
  strvec cand = {0, 0, NULL};
  int rc = KL_OK;
  if (by_key) {
    *bad_by = true;
    if (kl_cmp_sv_find(&c->varying, by_key) < 0) {
      char list[512] = "";
      size_t used = 0;
      for (size_t k = 0; k < c->varying.n && used < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                 c->varying.s[k]);
      return kl_error_set(err, KL_EINVAL,
                          "%s: resolution key %s does not vary between the variants (varying: "
                          "%s)",
                          c->run_dir, by_key, c->varying.n ? list : "none");
    }
    /* An explicit key must give a size in every variant that has a configuration. */
    for (size_t i = 0; i < c->nv; i++) {
      const char *val = kl_cmp_config_value(&c->v[i], by_key);
      if (c->v[i].keys.n && !(kl_cmp_numeric(val) > 0))
        return kl_error_set(err, KL_EINVAL,
                            "--by %s: variant '%s' has %s = %s in %s/config.resolved.yaml; "
                            "expected a positive number in every variant",
                            by_key, c->v[i].name, by_key, val ? val : "(nothing)", c->v[i].dir);
    }
    *bad_by = false;
    if (kl_cmp_sv_push(&cand, by_key)) return kl_error_nomem(err);
  } else {
    /* Count keys first (n with eps tied to it is a study in n), then step
     * sizes; a key whose rule is unknown is no candidate (noted below). */
    strvec unknown = {0, 0, NULL}, unknown_why = {0, 0, NULL};
    for (int pass = 0; pass < 2 && !rc; pass++)
      for (size_t k = 0; k < c->varying.n && !rc; k++) {
        const char *key = c->varying.s[k];
        bool all_numeric = true;
        for (size_t i = 0; i < c->nv && all_numeric; i++)
          if (c->v[i].keys.n) all_numeric = !isnan(kl_cmp_numeric(kl_cmp_config_value(&c->v[i], key)));
        if (!all_numeric) continue;
        bool known;
        char why[600];
        int r = rule_of_key(c, key, &known, why, sizeof why);
        if (!known && pass == 0) {
          if (kl_cmp_sv_push(&unknown, key) || kl_cmp_sv_push(&unknown_why, why))
            rc = kl_error_nomem(err);
          continue;
        }
        if (r == (pass == 0 ? RULE_COUNT : RULE_STEP) && kl_cmp_sv_push(&cand, key))
          rc = kl_error_nomem(err);
      }
    /* The orders are computed below; the keys that might have been
     * resolutions are named in comparison.md with the reason and the way
     * to give the rule, but not those tied to a candidate (they would not
     * be a separate study). */
    for (size_t u = 0; u < unknown.n && !rc; u++) {
      bool tied = false;
      for (size_t j = 0; j < cand.n && !tied; j++) tied = kl_cmp_tied(c, cand.s[j], unknown.s[u]);
      char note[1200];
      snprintf(note, sizeof note, "resolution of %.300s unknown: %s; use --by %.300s:step|count",
               unknown.s[u], unknown_why.s[u], unknown.s[u]);
      if (!tied && kl_cmp_sv_push(&c->unresolved, note)) rc = kl_error_nomem(err);
    }
    kl_cmp_sv_free(&unknown);
    kl_cmp_sv_free(&unknown_why);
  }
  c->rk = calloc(cand.n ? cand.n : 1, sizeof *c->rk);
  if (!c->rk && !rc) rc = kl_error_nomem(err);
  for (size_t k = 0; k < cand.n && !rc; k++) {
    bool skip = false; /* tied to a key already used */
    for (size_t j = 0; j < c->n_rk && !skip; j++) skip = kl_cmp_tied(c, c->rk[j].key, cand.s[k]);
    if (skip) continue;
    res_key *rk = &c->rk[c->n_rk++];
    bool known;
    char why[600];
    rk->rule = by_key && by_rule ? by_rule : rule_of_key(c, cand.s[k], &known, why, sizeof why);
    if (!rk->rule) rk->rule = RULE_STEP; /* --by KEY of a key that declares nothing */
    if (!(rk->key = strdup(cand.s[k]))) rc = kl_error_nomem(err);
    if (!rc) rc = compute_orders(c, rk, err);
  }
  kl_cmp_sv_free(&cand);
  return rc;
}

/* The reference errors are more *_error columns: the groups stay, the orders
 * are computed again for every column. */
void kl_cmp_res_key_clear_orders(res_key *rk) {
  for (size_t e = 0; e < rk->n_err; e++) {
    if (rk->order) free(rk->order[e]);
    if (rk->fit) free(rk->fit[e]);
  }
  free(rk->order);
  free(rk->fit);
  free(rk->group);
  free(rk->size);
  rk->order = rk->fit = NULL;
  rk->group = NULL;
  rk->size = NULL;
  rk->n_err = 0;
}

int kl_cmp_recompute_orders(cmp *c, kl_error *err) {
  for (size_t k = 0; k < c->n_rk; k++) {
    res_key *rk = &c->rk[k];
    kl_cmp_res_key_clear_orders(rk);
    int rc = compute_orders(c, rk, err);
    if (rc) return rc;
  }
  return KL_OK;
}

/* Display order: by the first resolution key's groups (in order of first
 * appearance), coarse to fine inside a group; else the natural name order. */
int kl_cmp_display_order(cmp *c, kl_error *err) {
  c->order = malloc((c->nv ? c->nv : 1) * sizeof *c->order);
  if (!c->order) return kl_error_nomem(err);
  for (size_t i = 0; i < c->nv; i++) c->order[i] = i;
  if (!c->n_rk) return KL_OK;
  const res_key *rk = &c->rk[0];
  for (size_t a = 1; a < c->nv; a++)
    for (size_t b = a; b > 0; b--) {
      size_t x = c->order[b - 1], y = c->order[b];
      size_t gx = rk->group[x], gy = rk->group[y];
      bool swap = gx > gy || (gx == gy && gx != SIZE_MAX && rk->size[x] < rk->size[y]);
      if (!swap) break;
      c->order[b - 1] = y;
      c->order[b] = x;
    }
  return KL_OK;
}

