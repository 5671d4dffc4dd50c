/* summary.c - summary.json (status, counters, timings, final row) and
 * config.resolved.yaml, both published atomically; and the reader of
 * summary.json (compare, restarts), so that its member names and types are
 * written down once: summary_members below. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "run_internal.h"

int run_write_resolved_config(run_ctx *r, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "config.resolved.yaml", err);
  if (rc) return rc;
  kl_node *tree = kl_run_config_resolved(r->exp, r->cfg);
  if (!tree) return kl_error_set(err, KL_ENOMEM, "cannot build the resolved configuration");
  kl_atomic_file af;
  if ((rc = kl_atomic_open(&af, path, err))) {
    kl_node_free(tree);
    return rc;
  }
  fprintf(af.fp, "# Resolved configuration written by kinlab %s; rerun with: kinlab run ",
          kl_version());
  /* A line break in the directory's name would end the comment and leave
   * the rest of the path as YAML text: the file would not read back. */
  for (const char *c = path; *c; c++) fputc(iscntrl((unsigned char)*c) ? '?' : *c, af.fp);
  fputc('\n', af.fp);
  rc = kl_node_emit_yaml(tree, af.fp, err);
  kl_node_free(tree);
  if (rc) {
    kl_atomic_abort(&af);
    return rc;
  }
  if ((rc = kl_atomic_commit(&af, err))) return rc;
  return run_hash_resolved_config(r, err);
}

int run_hash_resolved_config(run_ctx *r, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "config.resolved.yaml", err);
  return rc ? rc : kl_sha256_file(path, r->config_file_sha256, err);
}

/* The members of summary.json and their types, in the order the reader
 * checks them (the required ones first).  A reader allows unknown members (a
 * later kinlab may add some, and provenance.c adds "plugins", ...); known ones
 * must have their type. */
enum summary_member_id {
  SM_STATUS, SM_MESSAGE, SM_STEPS, SM_REJECTED, SM_RHS_EVALS, SM_STATE_SIZE, SM_WALL_S,
  SM_KINLAB_VERSION, SM_EXPERIMENT, SM_VARIANT, SM_MODEL, SM_INTEGRATOR, SM_T_START, SM_T,
  SM_T_FINAL, SM_OUTPUTS, SM_CPU_S, SM_CONFIG_FILE_SHA256, SM_RESOLUTION, SM_INVARIANTS, SM_FINAL,
  SM_COUNT
};
enum member_type { M_STRING, M_COUNT, M_NUMBER_OR_NULL, M_STRINGS, M_NUMBERS, M_STRING_MAP };
static const struct summary_member {
  const char *name;
  enum member_type type;
  bool required; /* by kl_summary_read (what compare shows) */
} summary_members[SM_COUNT] = {
    [SM_KINLAB_VERSION] = {"kinlab_version", M_STRING, false},
    [SM_EXPERIMENT] = {"experiment", M_STRING, false},
    [SM_VARIANT] = {"variant", M_STRING, false},
    [SM_STATUS] = {"status", M_STRING, true},
    [SM_MESSAGE] = {"message", M_STRING, true},
    [SM_MODEL] = {"model", M_STRING, false},
    [SM_INTEGRATOR] = {"integrator", M_STRING, false},
    [SM_STATE_SIZE] = {"state_size", M_COUNT, true},
    [SM_T_START] = {"t_start", M_NUMBER_OR_NULL, false},
    [SM_T] = {"t", M_NUMBER_OR_NULL, false},
    [SM_T_FINAL] = {"t_final", M_NUMBER_OR_NULL, false},
    [SM_STEPS] = {"steps", M_COUNT, true},
    [SM_REJECTED] = {"rejected", M_COUNT, true},
    [SM_RHS_EVALS] = {"rhs_evals", M_COUNT, true},
    [SM_WALL_S] = {"wall_s", M_NUMBER_OR_NULL, true},
    /* CPU seconds (user + system, all threads) of the variant since it was
     * started or last restarted: not kept in the checkpoint, unlike wall_s.
     * Absent in summaries of kinlab before 2026-12. */
    [SM_CPU_S] = {"cpu_s", M_NUMBER_OR_NULL, false},
    [SM_OUTPUTS] = {"outputs", M_COUNT, false},
    /* SHA-256 of config.resolved.yaml as written: readers refuse a file edited
     * after the run (compare would show values that were not run).  Absent in
     * summaries of kinlab before 2026-12. */
    [SM_CONFIG_FILE_SHA256] = {"config_file_sha256", M_STRING, false},
    /* {"model.n": "count", "integrator.dt": "step", ...}: the parameters of
     * this run's plugins flagged KL_PARAM_COUNT / KL_PARAM_STEP_SIZE, so that
     * readers without the plugins (kinlab-plot) know the resolution keys. */
    [SM_RESOLUTION] = {"resolution", M_STRING_MAP, false},
    [SM_INVARIANTS] = {"invariants", M_STRINGS, false},
    [SM_FINAL] = {"final", M_NUMBERS, false},
};

static const char *const member_expect[] = {
    [M_STRING] = "a string",
    [M_COUNT] = "a non-negative integer",
    [M_NUMBER_OR_NULL] = "a number or null",
    [M_STRINGS] = "a list of strings",
    [M_NUMBERS] = "an object of numbers (or null)",
    [M_STRING_MAP] = "an object of strings",
};

/* The status of a run that completed; a failed one has kl_status_name(code). */
static const char summary_completed[] = "completed";

/* The flagged parameters of one plugin and its nested plugins, as
 * `"path.name": "step"|"count"` members (after *first, a comma). */
static void write_resolution(FILE *f, const char *path, const kl_plugin_info *info,
                             const kl_params *params, bool *first) {
  for (const kl_param_spec *s = info ? info->params : NULL; s && s->name; s++) {
    char key[512];
    snprintf(key, sizeof key, "%s.%s", path, s->name);
    if (s->type == KL_PARAM_PLUGIN) {
      if (params && kl_params_child(params, s->name))
        write_resolution(f, key, kl_params_child_info(params, s->name),
                         kl_params_child(params, s->name), first);
      continue;
    }
    const char *rule = (s->flags & KL_PARAM_STEP_SIZE) ? "step"
                       : (s->flags & KL_PARAM_COUNT) ? "count" : NULL;
    if (!rule) continue;
    fputs(*first ? "\n    " : ",\n    ", f);
    *first = false;
    kl_json_string(f, key);
    fputs(": ", f);
    kl_json_string(f, rule);
  }
}

/* `"name": ` of member id, after the previous member (or the opening brace). */
static void member(FILE *f, enum summary_member_id id) {
  fprintf(f, "%s\"%s\": ", id == SM_KINLAB_VERSION ? "{\n  " : ",\n  ", summary_members[id].name);
}

int run_write_summary(run_ctx *r, int status, const kl_error *run_err, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "summary.json", err);
  if (rc) return rc;
  kl_atomic_file af;
  if ((rc = kl_atomic_open(&af, path, err))) return rc;
  FILE *f = af.fp;
  member(f, SM_KINLAB_VERSION);
  kl_json_string(f, kl_version());
  member(f, SM_EXPERIMENT);
  kl_json_string(f, r->exp->name);
  member(f, SM_VARIANT);
  kl_json_string(f, r->cfg->variant_name);
  member(f, SM_STATUS);
  kl_json_string(f, status == KL_OK ? summary_completed : kl_status_name(status));
  member(f, SM_MESSAGE);
  kl_json_string(f, status == KL_OK || !run_err ? "" : run_err->message);
  member(f, SM_MODEL);
  kl_json_string(f, r->model ? kl_instance_name(r->model) : "");
  member(f, SM_INTEGRATOR);
  kl_json_string(f, r->integrator ? kl_instance_name(r->integrator) : "");
  member(f, SM_STATE_SIZE);
  fprintf(f, "%zu", r->n);
  member(f, SM_T_START);
  kl_json_number(f, r->t_start);
  member(f, SM_T);
  kl_json_number(f, r->t);
  member(f, SM_T_FINAL);
  kl_json_number(f, r->t_final);
  member(f, SM_STEPS);
  fprintf(f, "%llu", (unsigned long long)r->stats.accepted);
  member(f, SM_REJECTED);
  fprintf(f, "%llu", (unsigned long long)r->stats.rejected);
  member(f, SM_RHS_EVALS);
  fprintf(f, "%llu", (unsigned long long)r->stats.rhs_evals);
  member(f, SM_WALL_S);
  kl_json_number(f, r->wall_before + (kl_wall_now() - r->wall_start));
  member(f, SM_CPU_S);
  kl_json_number(f, kl_cpu_now() - r->cpu_start);
  member(f, SM_OUTPUTS);
  fprintf(f, "%zu", r->rows);
  member(f, SM_CONFIG_FILE_SHA256);
  kl_json_string(f, r->config_file_sha256);
  member(f, SM_RESOLUTION);
  fputc('{', f);
  bool first = true;
  const kl_run_config *c = r->cfg;
  write_resolution(f, "model", c->model_info, c->model, &first);
  write_resolution(f, "initial", c->initial_info, c->initial, &first);
  write_resolution(f, "integrator", c->integrator_info, c->integrator, &first);
  for (size_t i = 0; i < c->n_diagnostics; i++) {
    char role[64];
    snprintf(role, sizeof role, "diagnostics.%zu", i);
    write_resolution(f, role, c->diagnostic_info[i], c->diagnostics[i], &first);
  }
  fputs(first ? "}" : "\n  }", f);
  kl_provenance_write_json(f, r->cfg->plugins);
  /* Which columns are the model's invariants (drift is meaningful for them). */
  member(f, SM_INVARIANTS);
  fputc('[', f);
  for (size_t i = 0; r->col_names && i < r->n_inv; i++) {
    fputs(i ? ", " : "", f);
    kl_json_string(f, r->col_names[KL_RUN_N_BASE_COLUMNS + i]);
  }
  fputc(']', f);
  member(f, SM_FINAL);
  fputc('{', f);
  for (size_t i = 0; r->row && r->rows && i < r->n_cols; i++) {
    fprintf(f, "%s\n    ", i ? "," : "");
    kl_json_string(f, r->col_names[i]);
    fputs(": ", f);
    kl_json_number(f, r->row[i]);
  }
  fprintf(f, "\n  }\n}\n");
  return kl_atomic_commit(&af, err);
}

/* ------------------------------------------------------------ reading */
static const char *json_type_name(const kl_json *v) {
  static const char *const names[] = {"null", "a boolean", "a number", "a string", "a list",
                                      "an object"};
  return names[v->type];
}

static bool is_count(const kl_json *v) {
  return v->type == KL_JSON_NUMBER && v->number >= 0 && v->number <= 0x1p53 &&
         v->number == floor(v->number);
}

static bool member_ok(const kl_json *v, enum member_type t) {
  switch (t) {
  case M_STRING: return v->type == KL_JSON_STRING;
  case M_COUNT: return is_count(v);
  case M_NUMBER_OR_NULL: return v->type == KL_JSON_NUMBER || v->type == KL_JSON_NULL;
  case M_STRINGS:
    if (v->type != KL_JSON_ARRAY) return false;
    for (size_t i = 0; i < v->n; i++)
      if (v->items[i].type != KL_JSON_STRING) return false;
    return true;
  case M_NUMBERS:
    if (v->type != KL_JSON_OBJECT) return false;
    for (size_t i = 0; i < v->n; i++)
      if (v->items[i].type != KL_JSON_NUMBER && v->items[i].type != KL_JSON_NULL) return false;
    return true;
  case M_STRING_MAP:
    if (v->type != KL_JSON_OBJECT) return false;
    for (size_t i = 0; i < v->n; i++)
      if (v->items[i].type != KL_JSON_STRING) return false;
    return true;
  }
  return false;
}

static const kl_json *get(const kl_json *doc, enum summary_member_id id) {
  return kl_json_get(doc, summary_members[id].name);
}

static double number(const kl_json *doc, enum summary_member_id id) {
  const kl_json *m = get(doc, id);
  return m && m->type == KL_JSON_NUMBER ? m->number : NAN;
}

static bool known_status(const char *s) {
  if (!strcmp(s, summary_completed)) return true;
  for (int code = KL_EINVAL; code <= KL_EINTERNAL; code++)
    if (!strcmp(s, kl_status_name(code))) return true;
  return false;
}

/* The members' presence and types, a known status, t_start <= t <= t_final. */
static int check_summary(const kl_json *doc, const char *path, kl_error *err) {
  if (doc->type != KL_JSON_OBJECT)
    return kl_error_set(err, KL_EINVAL, "%s:%u:%u: expected a JSON object {...}, found %s", path,
                        doc->line, doc->col, json_type_name(doc));
  for (size_t i = 0; i < SM_COUNT; i++) {
    const struct summary_member *m = &summary_members[i];
    const kl_json *val = kl_json_get(doc, m->name);
    if (!val && m->required)
      return kl_error_set(err, KL_EINVAL, "%s: no member \"%s\" (expected %s)", path, m->name,
                          member_expect[m->type]);
    if (val && !member_ok(val, m->type)) {
      char found[64];
      if (val->type == KL_JSON_NUMBER) snprintf(found, sizeof found, "%.17g", val->number);
      else snprintf(found, sizeof found, "%s", json_type_name(val));
      return kl_error_set(err, KL_EINVAL, "%s:%u:%u: member \"%s\": expected %s, found %s", path,
                          val->line, val->col, m->name, member_expect[m->type], found);
    }
  }
  const kl_json *st = get(doc, SM_STATUS);
  if (!known_status(st->string))
    return kl_error_set(err, KL_EINVAL,
                        "%s:%u:%u: member \"status\": expected \"completed\" or a kinlab failure "
                        "(\"numerical failure\", \"limit reached\", ...), found \"%s\"",
                        path, st->line, st->col, st->string);
  /* Only the two rules write_resolution writes: compare and kinlab-plot would
   * otherwise treat a key under an unknown rule as some resolution. */
  const kl_json *res = get(doc, SM_RESOLUTION);
  for (size_t i = 0; res && i < res->n; i++) {
    const kl_json *rule = &res->items[i];
    if (strcmp(rule->string, "step") && strcmp(rule->string, "count"))
      return kl_error_set(err, KL_EINVAL,
                          "%s:%u:%u: member \"resolution\": key \"%s\": expected the rule "
                          "\"step\" or \"count\", found \"%s\"",
                          path, rule->line, rule->col, res->keys[i], rule->string);
  }
  double t0 = number(doc, SM_T_START), t = number(doc, SM_T), t1 = number(doc, SM_T_FINAL);
  if (!isnan(t) && ((!isnan(t0) && t < t0) || (!isnan(t1) && t > t1))) {
    const kl_json *m = get(doc, SM_T);
    return kl_error_set(err, KL_EINVAL,
                        "%s:%u:%u: member \"t\" = %.17g is outside [t_start, t_final] = [%.17g, "
                        "%.17g]",
                        path, m->line, m->col, t, t0, t1);
  }
  return KL_OK;
}

static int copy_summary(const kl_json *doc, kl_summary *s, kl_error *err) {
  const kl_json *var = get(doc, SM_VARIANT), *fin = get(doc, SM_FINAL),
                *inv = get(doc, SM_INVARIANTS);
  s->status = strdup(get(doc, SM_STATUS)->string);
  s->message = strdup(get(doc, SM_MESSAGE)->string);
  const kl_json *cfg_sha = get(doc, SM_CONFIG_FILE_SHA256);
  s->variant = strdup(var ? var->string : "");
  s->config_file_sha256 = strdup(cfg_sha ? cfg_sha->string : "");
  if (!s->status || !s->message || !s->variant || !s->config_file_sha256)
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->steps = number(doc, SM_STEPS);
  s->rejected = number(doc, SM_REJECTED);
  s->rhs_evals = number(doc, SM_RHS_EVALS);
  s->wall_s = number(doc, SM_WALL_S);
  s->cpu_s = number(doc, SM_CPU_S);
  s->state_size = number(doc, SM_STATE_SIZE);
  s->outputs = number(doc, SM_OUTPUTS);
  s->t = number(doc, SM_T);
  size_t nf = fin ? fin->n : 0, ni = inv ? inv->n : 0;
  s->final_names = calloc(nf ? nf : 1, sizeof *s->final_names);
  s->final_values = calloc(nf ? nf : 1, sizeof *s->final_values);
  s->invariants = calloc(ni ? ni : 1, sizeof *s->invariants);
  if (!s->final_names || !s->final_values || !s->invariants)
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  for (; s->n_final < nf; s->n_final++) {
    const kl_json *x = &fin->items[s->n_final];
    /* null is how summary.json writes NaN */
    s->final_values[s->n_final] = x->type == KL_JSON_NUMBER ? x->number : NAN;
    if (!(s->final_names[s->n_final] = strdup(fin->keys[s->n_final])))
      return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  for (; s->n_invariants < ni; s->n_invariants++)
    if (!(s->invariants[s->n_invariants] = strdup(inv->items[s->n_invariants].string)))
      return kl_error_set(err, KL_ENOMEM, "out of memory");
  return KL_OK;
}

int kl_summary_read(const char *path, kl_summary *s, kl_error *err) {
  memset(s, 0, sizeof *s);
  kl_json *doc = NULL;
  int rc = kl_json_parse_file(path, KL_RUN_TEXT_MAX, &doc, err);
  if (!rc) rc = check_summary(doc, path, err);
  if (!rc) rc = copy_summary(doc, s, err);
  kl_json_free(doc);
  if (rc) kl_summary_free(s);
  return rc;
}

void kl_summary_free(kl_summary *s) {
  free(s->status);
  free(s->message);
  free(s->variant);
  free(s->config_file_sha256);
  for (size_t i = 0; i < s->n_invariants; i++) free(s->invariants[i]);
  free(s->invariants);
  for (size_t i = 0; i < s->n_final; i++) free(s->final_names[i]);
  free(s->final_names);
  free(s->final_values);
  memset(s, 0, sizeof *s);
}

bool kl_summary_completed(const kl_summary *s) {
  return s->status && !strcmp(s->status, summary_completed);
}
