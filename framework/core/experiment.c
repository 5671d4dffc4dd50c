/* experiment.c - experiment files: top-level keys, --set overrides, plugin_path,
 * variants and sweeps, validation of every run, the resolved configuration.
 *
 * Order of work: parse the file; apply --set overrides to the tree; check the
 * top-level keys; load the plugin_path entries into the registry; expand
 * variants x sweep points; validate each run's tree completely.  The format is
 * described in docs/experiment-format.md.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"


/* ------------------------------------------------------- core tables */
const kl_param_spec kl_time_specs[] = {
    {"t_final", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "time", "Final time of the run (absolute time; some initial data start at t0 > 0)."},
    {"output_every", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "time",
     "Interval between output times (diagnostics, snapshots), counted from the start time."},
    {"outputs", KL_PARAM_REAL_LIST, NULL, 0, 0, KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN, NULL,
     "time", "Explicit output times, in addition to those of output_every."},
    {"max_steps", KL_PARAM_INT, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, "steps",
     "Stop after this many steps (0: no limit)."},
    {"wall_limit", KL_PARAM_REAL, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, "s",
     "Stop with a checkpoint after this much wall-clock time (0: no limit)."},
    {"checkpoint_every", KL_PARAM_INT, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, "steps",
     "Write a checkpoint every this many steps (0: only at the end and on signals)."},
    {"max_fixed_steps", KL_PARAM_INT, "1000000000", 1, 0, KL_PARAM_HAS_MIN, NULL, "steps",
     "Refuse a run of more than this many steps ((t_final - start time) / dt for a fixed "
     "step, / dt_max for an adaptive one), which a typo in dt, dt_max or t_final would make "
     "endless; raise it for a run that needs more."},
    {"max_outputs", KL_PARAM_INT, "10000000", 1, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "Refuse more than this many output times; raise it for a run that needs more."},
    {"max_drift_roundoff", KL_PARAM_REAL, "1e-6", 0, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "Stop (exit 4) when an invariant the model keeps to round-off (mass, momentum) has "
     "drifted from its initial value by more than this at an output time, relative to the "
     "largest initial magnitude of the model's conserved invariants (0: no check)."},
    {"max_drift_truncation", KL_PARAM_REAL, "0.1", 0, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "The same for an invariant the model keeps up to the time integrator's error (the "
     "Landau particles' energy) (0: no check)."},
    KL_PARAM_END};

const kl_param_spec kl_output_specs[] = {
    {"dir", KL_PARAM_STRING, NULL, 0, 0, KL_PARAM_OPTIONAL, NULL, "path",
     "Run directory (default runs/<name>; variants get subdirectories)."},
    {"snapshots", KL_PARAM_BOOL, "true", 0, 0, 0, NULL, "1",
     "Write snapshots.h5 with the state at output times."},
    {"snapshot_every", KL_PARAM_INT, "1", 1, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "Write a snapshot at every k-th output time."},
    {"plots", KL_PARAM_BOOL, "false", 0, 0, 0, NULL, "1",
     "Draw plots of the time series after the run (needs python3 + matplotlib)."},
    KL_PARAM_END};

/* compare: how `kinlab compare` (run after the variants) measures errors where
 * no exact solution exists (docs/comparisons.md, "Errors against a reference
 * run").  Read by framework/compare from the run directory's experiment.yaml;
 * checked here so that a wrong name fails before anything runs. */
const kl_param_spec kl_compare_specs[] = {
    {"reference", KL_PARAM_STRING, NULL, 0, 0, KL_PARAM_OPTIONAL, NULL, "",
     "Reference run for the errors: 'finest' (the finest variant of each group of the "
     "resolution key) or the name of a variant."},
    {"analysis_width", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_OPTIONAL | KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "velocity",
     "Standard deviation of the Gaussian that reconstructs every particle run's density "
     "for the reference errors (default: the reference's blob width)."},
    KL_PARAM_END};

static const char *const top_keys[] = {"name",   "description", "plugin_path", "model",
                                       "initial", "integrator", "time",        "diagnostics",
                                       "output", "variants",    "sweep",       "compare"};
#define N_TOP_KEYS (sizeof top_keys / sizeof *top_keys)
#define MAX_RUNS 10000

/* The experiment with what the public struct has no room for. */
typedef struct exp_priv {
  kl_experiment pub;
  char *description;
  char **plugin_path; /* absolute */
  size_t n_plugin_path;
} exp_priv;

/* ------------------------------------------------------------ helpers */
static int where_error(kl_error *err, const kl_node *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int where_error(kl_error *err, const kl_node *n, const char *path, const char *fmt, ...) {
  char msg[KL_ERROR_MESSAGE_MAX], w[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  kl_node_where(n, w, sizeof w);
  if (path && *path) return kl_error_set(err, KL_EINVAL, "%s: key %s: %s", w, path, msg);
  return kl_error_set(err, KL_EINVAL, "%s: %s", w, msg);
}

static bool node_is_null(const kl_node *n) {
  if (!n) return true;
  if (n->type != KL_NODE_SCALAR || !n->plain) return false;
  const char *s = n->scalar;
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static const char *found(const kl_node *n) {
  if (!n) return "nothing";
  if (n->type == KL_NODE_MAP) return "a mapping";
  if (n->type == KL_NODE_SEQ) return "a list";
  if (node_is_null(n)) return "an empty value";
  return n->plain ? "a scalar" : "a string";
}

static bool name_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         strchr("_.=,-", c) != NULL;
}

static bool valid_run_name(const char *s) {
  if (!*s || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 200) return false;
  for (const char *p = s; *p; p++)
    if (!name_char_ok(*p)) return false;
  return true;
}

static void sanitize(char *s) {
  for (char *p = s; *p; p++)
    if (!name_char_ok(*p)) *p = '_';
}

/* Remove key from a map node (frees its value). */
static void map_remove(kl_node *map, const char *key) {
  for (size_t i = 0; i < map->n; i++)
    if (!strcmp(map->keys[i], key)) {
      free(map->keys[i]);
      kl_node_free(map->items[i]);
      for (size_t j = i + 1; j < map->n; j++) {
        map->keys[j - 1] = map->keys[j];
        map->items[j - 1] = map->items[j];
        map->key_line[j - 1] = map->key_line[j];
        map->key_col[j - 1] = map->key_col[j];
      }
      map->n--;
      return;
    }
}

/* Where a map's key i was written.  Keys carry no file of their own: a key
 * that --set added to a mapping of the file (variants.0.set.x=...) has the
 * --set's position, so its value's file and position are the ones to show. */
typedef struct key_pos {
  const char *file;
  unsigned line, col;
} key_pos;

static key_pos key_position(const kl_node *map, size_t i) {
  const kl_node *val = map->items[i];
  if (val && val->file && map->file && strcmp(val->file, map->file) != 0)
    return (key_pos){val->file, val->line, val->col};
  return (key_pos){map->file, map->key_line[i], map->key_col[i]};
}

static int unknown_key(kl_error *err, const kl_node *map, size_t i, const char *where_name,
                       const char *const *allowed, size_t n_allowed) {
  const char *m = kl_did_you_mean(map->keys[i], allowed, n_allowed);
  char list[600] = "";
  size_t used = 0;
  for (size_t j = 0; j < n_allowed && used < sizeof list; j++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
  key_pos at = key_position(map, i);
  char sg[200] = "";
  if (m) snprintf(sg, sizeof sg, " (did you mean '%s'?)", m);
  return kl_error_set(err, KL_EINVAL, "%s:%u:%u: unknown key '%s' in %s%s; allowed keys: %s",
                      at.file, at.line, at.col, map->keys[i], where_name, sg, list);
}

static int missing_plugin(kl_error *err, const kl_node *root, const char *key, int kind,
                          const kl_registry *reg) {
  const char *kname = kl_kind_name((kl_kind)kind);
  size_t total = kl_registry_count(reg);
  const char **names = malloc((total ? total : 1) * sizeof *names);
  if (!names) return kl_error_nomem(err);
  size_t n = kl_registry_names(reg, kind, names, total);
  qsort(names, n, sizeof *names, kl_cmp_cstr);
  char list[1000] = "";
  size_t used = 0;
  for (size_t j = 0; j < n && used < sizeof list; j++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", names[j]);
  free(names);
  return where_error(err, root, key, "required key missing (expected %s %s plugin%s%s)",
                     kl_article(kname), kname, n ? "; available: " : "", list);
}

/* -------------------------------------------------------- run configs */
static void run_free(kl_run_config *rc) {
  if (!rc) return;
  free(rc->variant_name);
  kl_node_free(rc->tree);
  kl_params_free(rc->model);
  kl_params_free(rc->initial);
  kl_params_free(rc->integrator);
  for (size_t i = 0; i < rc->n_diagnostics; i++) kl_params_free(rc->diagnostics[i]);
  free(rc->diagnostics);
  free(rc->diagnostic_info);
  kl_params_free(rc->time);
  kl_params_free(rc->output);
  kl_provenance_free(rc->plugins);
  memset(rc, 0, sizeof *rc);
}

static const kl_param_spec *find_spec(const kl_plugin_info *info, const char *name) {
  for (const kl_param_spec *s = info->params; s && s->name; s++)
    if (!strcmp(s->name, name)) return s;
  return NULL;
}

static int build_section_plugin(const kl_node *root, const char *key, int kind,
                                const kl_registry *reg, const kl_plugin_info **info,
                                kl_params **out, kl_error *err) {
  const kl_node *n = kl_node_map_get(root, key);
  if (!n) return missing_plugin(err, root, key, kind, reg);
  return kl_params_build_plugin(kind, n, key, reg, info, out, err);
}

/* Validate one run's tree (taken by rc on success and failure). */
static int validate_run(kl_node *tree, const kl_registry *reg, kl_run_config *rc,
                        kl_error *err) {
  rc->tree = tree;
  int r = build_section_plugin(tree, "model", KL_KIND_MODEL, reg, &rc->model_info, &rc->model,
                               err);
  if (r) return r;
  const kl_param_spec *ds = find_spec(rc->model_info, "d");
  if (!ds || ds->type != KL_PARAM_INT)
    return kl_error_set(err, KL_EPLUGIN,
                        "plugin bug: model plugin '%s' declares no INT parameter 'd' (the "
                        "velocity dimension)",
                        rc->model_info->name);
  long d = kl_params_int(rc->model, "d");
  if (d < 1 || d > 3)
    return kl_params_error(err, KL_EINVAL, rc->model, "d", "expected a value in [1, 3], found %ld",
                           d);
  rc->dim_v = (unsigned)d;
  const kl_param_spec *xs = find_spec(rc->model_info, "dim_x");
  if (xs && xs->type == KL_PARAM_INT) {
    long dx = kl_params_int(rc->model, "dim_x");
    if (dx < 0 || dx > 3)
      return kl_params_error(err, KL_EINVAL, rc->model, "dim_x",
                             "expected a value in [0, 3], found %ld", dx);
    rc->dim_x = (unsigned)dx;
  }
  r = build_section_plugin(tree, "initial", KL_KIND_INITIAL, reg, &rc->initial_info, &rc->initial,
                           err);
  if (!r)
    r = build_section_plugin(tree, "integrator", KL_KIND_INTEGRATOR, reg, &rc->integrator_info,
                             &rc->integrator, err);
  if (!r)
    r = kl_params_build(kl_time_specs, kl_node_map_get(tree, "time"), tree, "time", NULL, reg,
                        &rc->time, err);
  if (r) return r;
  const kl_node *diag = kl_node_map_get(tree, "diagnostics");
  if (diag && !node_is_null(diag)) {
    if (diag->type != KL_NODE_SEQ)
      return where_error(err, diag, "diagnostics",
                         "expected a list of diagnostic plugins, found %s", found(diag));
    if (diag->n) {
      rc->diagnostics = calloc(diag->n, sizeof *rc->diagnostics);
      rc->diagnostic_info = calloc(diag->n, sizeof *rc->diagnostic_info);
      if (!rc->diagnostics || !rc->diagnostic_info) return kl_error_nomem(err);
    }
    for (size_t i = 0; i < diag->n; i++) {
      char path[40];
      snprintf(path, sizeof path, "diagnostics.%zu", i);
      r = kl_params_build_plugin(KL_KIND_DIAGNOSTIC, diag->items[i], path, reg,
                                 &rc->diagnostic_info[i], &rc->diagnostics[i], err);
      if (r) return r;
      rc->n_diagnostics = i + 1;
      /* Two instances of one diagnostic write the same columns and snapshot
       * datasets: the run would fail (or, for columns, rename) at output time. */
      for (size_t j = 0; j < i; j++)
        if (rc->diagnostic_info[j] == rc->diagnostic_info[i])
          return where_error(err, diag->items[i], path,
                             "diagnostic '%s' is already listed as diagnostics.%zu (at %u:%u); "
                             "expected each diagnostic once",
                             rc->diagnostic_info[i]->name, j, diag->items[j]->line,
                             diag->items[j]->col);
    }
  }
  r = kl_params_build(kl_output_specs, kl_node_map_get(tree, "output"), tree, "output", NULL,
                      reg, &rc->output, err);
  /* The output schedule and the step count depend on the initial data's start
   * time, known once they are created: the dry set-up checks them
   * (kl_experiment_dry_setup, run/schedule.c), for validate and run alike. */
  return r;
}

/* ------------------------------------------------------- schedule */
int kl_run_config_schedule(const kl_run_config *rc, const kl_params *integrator, double t_start,
                           double **times, size_t *n_times, kl_error *err) {
  if (times) *times = NULL, *n_times = 0;
  const kl_params *tp = rc->time;
  const double t_final = kl_params_real(tp, "t_final");
  char t0s[40], tfs[40], a[40], b[40];
  kl_fmt_real(t_start, t0s, sizeof t0s);
  kl_fmt_real(t_final, tfs, sizeof tfs);
  if (!(t_final > t_start))
    return kl_params_error(err, KL_EINVAL, tp, "t_final",
                           "expected an end time after the start time %s of the initial data, "
                           "found %s (t_final is absolute)",
                           t0s, tfs);
  const double *list = NULL;
  size_t n_list = kl_params_is_set(tp, "outputs") ? kl_params_real_list(tp, "outputs", &list) : 0;
  for (size_t i = 0; i < n_list; i++) {
    kl_fmt_real(list[i], a, sizeof a);
    if (list[i] < t_start || list[i] > t_final)
      return kl_params_error(err, KL_EINVAL, tp, "outputs",
                             "expected output times within [%s, %s], found outputs.%zu = %s", t0s,
                             tfs, i, a);
    if (i && !(list[i] > list[i - 1]))
      return kl_params_error(err, KL_EINVAL, tp, "outputs",
                             "expected increasing output times, found outputs.%zu = %s %s "
                             "outputs.%zu = %s",
                             i, a, list[i] == list[i - 1] ? "equal to" : "before", i - 1,
                             kl_fmt_real(list[i - 1], b, sizeof b));
  }
  /* The output_every grid (a tenth of the run without outputs), plus the list. */
  const bool grid = kl_params_is_set(tp, "output_every") || !n_list;
  const double every = kl_params_is_set(tp, "output_every") ? kl_params_real(tp, "output_every")
                                                            : (t_final - t_start) / 10;
  const double n_grid = grid ? ceil((t_final - t_start) / every - 1e-9) : 0;
  const long max_outputs = kl_params_int(tp, "max_outputs");
  if (n_grid + (double)n_list > (double)max_outputs)
    return kl_params_error(err, KL_EINVAL, tp, n_grid > (double)n_list ? "output_every" : "outputs",
                           "expected at most time.max_outputs = %ld output times, found %.3g "
                           "(raise time.max_outputs for a run that needs more)",
                           max_outputs, n_grid + (double)n_list);
  /* A fixed step covers the run in (t_final - t_start) / dt steps, unless
   * max_steps stops it first. */
  const kl_integrator_ops *ops = rc->integrator_info ? rc->integrator_info->ops : NULL;
  const kl_param_spec *dts = rc->integrator_info ? find_spec(rc->integrator_info, "dt") : NULL;
  const long max_fixed = kl_params_int(tp, "max_fixed_steps");
  const long max_steps = kl_params_int(tp, "max_steps");
  if (ops && !(ops->flags & KL_INTEGRATOR_ADAPTIVE) && dts && dts->type == KL_PARAM_REAL &&
      !(max_steps > 0 && max_steps <= max_fixed)) {
    double dt = kl_params_real(integrator, "dt");
    double steps = (t_final - t_start) / dt;
    if (!(steps <= (double)max_fixed))
      return kl_params_error(err, KL_EINVAL, integrator, "dt",
                             "a fixed step of %g takes %.3g steps from t = %g to t_final = %g; "
                             "expected at most time.max_fixed_steps = %ld (raise it, or set "
                             "time.max_steps, for a run that needs more)",
                             dt, steps, t_start, t_final, max_fixed);
  }
  /* An adaptive integrator takes at least (t_final - t_start) / dt_max steps:
   * dt_max: 1e-300 would run for ever with every step advancing t. */
  const kl_param_spec *dmax = rc->integrator_info ? find_spec(rc->integrator_info, "dt_max") : NULL;
  if (ops && (ops->flags & KL_INTEGRATOR_ADAPTIVE) && dmax && dmax->type == KL_PARAM_REAL &&
      !(max_steps > 0 && max_steps <= max_fixed)) {
    double dt_max = kl_params_real(integrator, "dt_max");
    double steps = (t_final - t_start) / dt_max;
    if (dt_max > 0 && !(steps <= (double)max_fixed))
      return kl_params_error(err, KL_EINVAL, integrator, "dt_max",
                             "a largest step of %g takes at least %.3g steps from t = %g to "
                             "t_final = %g; expected at most time.max_fixed_steps = %ld (raise "
                             "it, or set time.max_steps, for a run that needs more)",
                             dt_max, steps, t_start, t_final, max_fixed);
  }
  /* Nor can it grow its step faster than max_factor per step: from dt it
   * needs n >= log(1 + T (f - 1) / dt) / log(f) steps to cover T (dt: 1e-300
   * with max_factor: 1.0000001 took 7e9 steps).  In logarithms: no overflow. */
  const kl_param_spec *fmax = rc->integrator_info ? find_spec(rc->integrator_info, "max_factor")
                                                  : NULL;
  if (ops && (ops->flags & KL_INTEGRATOR_ADAPTIVE) && fmax && fmax->type == KL_PARAM_REAL && dts &&
      dts->type == KL_PARAM_REAL && !(max_steps > 0 && max_steps <= max_fixed) &&
      t_final > t_start) {
    double f = kl_params_real(integrator, "max_factor"), dt = kl_params_real(integrator, "dt");
    double x = log(t_final - t_start) + log(f - 1) - log(dt);
    double steps = (x > 30 ? x : log1p(exp(x))) / log1p(f - 1);
    if (f > 1 && dt > 0 && !(steps <= (double)max_fixed))
      return kl_params_error(err, KL_EINVAL, integrator, "dt",
                             "a first step of %g growing at most by max_factor = %.10g per step "
                             "takes at least %.3g steps from t = %g to t_final = %g; expected at "
                             "most time.max_fixed_steps = %ld (raise it, or set time.max_steps, "
                             "for a run that needs more)",
                             dt, f, steps, t_start, t_final, max_fixed);
  }
  if (!times) return KL_OK;
  double *t = malloc(((size_t)n_grid + n_list + 2) * sizeof *t);
  if (!t) return kl_error_nomem(err);
  /* Merge the grid and the list; a time within rounding of the last is the same.
   * Relative to the run's length, not to |t|: a short run at a large time
   * (t0 = 1e17) must keep its end apart from its start. */
  const double same = 1e-12 * (t_final - t_start);
  size_t m = 0, next_list = 0;
  t[m++] = t_start;
  for (size_t k = 1;; k++) {
    double tk = grid ? t_start + (double)k * every : t_final;
    if (grid && tk >= t_final - same) tk = t_final;
    while (next_list < n_list && list[next_list] <= tk) {
      if (list[next_list] > t[m - 1] + same) t[m++] = list[next_list];
      next_list++;
    }
    if (tk > t[m - 1] + same) t[m++] = tk;
    if (tk >= t_final) break;
  }
  if (t[m - 1] < t_final) { /* within rounding of t_final: t_final; never the start */
    if (m > 1) t[m - 1] = t_final;
    else t[m++] = t_final;
  }
  *times = t;
  *n_times = m;
  return KL_OK;
}

/* A run configuration with parameters of its own, built again from src's
 * tree: plugin instances take ownership of the parameters they are created
 * from, so a dry set-up works on a copy and leaves src for the real run. */
int kl_run_config_copy(const kl_run_config *src, const kl_registry *reg, kl_run_config *out,
                       kl_error *err) {
  memset(out, 0, sizeof *out);
  kl_node *tree = kl_node_clone(src->tree);
  if (!tree || !(out->variant_name = strdup(src->variant_name))) {
    kl_node_free(tree);
    return kl_error_nomem(err);
  }
  int rc = validate_run(tree, reg, out, err);
  if (rc) run_free(out);
  return rc;
}

void kl_run_config_free(kl_run_config *rc) { run_free(rc); }

/* -------------------------------------------------------- variants */
typedef struct setop {
  const char *key;
  const kl_node *value;
  const char *file;
  unsigned line, col;
} setop;

typedef struct runspec {
  char *name;
  const kl_node *variant_name; /* the variant's `name` node, NULL without variants */
  bool swept;                  /* the last op is a sweep value */
  size_t n_ops;
  setop *ops;
} runspec;

/* Keys that name the experiment rather than one run (description too: runs
 * that differ only in it would be identical). */
static bool forbidden_target(const char *key) {
  static const char *const no[] = {"name",    "description", "plugin_path",
                                   "variants", "sweep",       "compare"};
  size_t len = strcspn(key, ".");
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    if (strlen(no[i]) == len && !strncmp(no[i], key, len)) return true;
  return false;
}

/* A dotted key of `variants.N.set` or `sweep` must start with a top-level key
 * that can change per run: the deeper components are checked against the
 * parameter tables when each run's tree is validated, but a typo in the first
 * would add an unknown top-level key that nothing reads (identical runs). */
static int check_set_map(kl_error *err, const kl_node *set, const char *path) {
  if (set->type != KL_NODE_MAP)
    return where_error(err, set, path,
                       "expected a mapping of dotted keys to values (model.n: 40), found %s",
                       found(set));
  static const char *const per_run[] = {"model", "initial", "integrator", "time", "diagnostics",
                                        "output"};
  const size_t n_per_run = sizeof per_run / sizeof *per_run;
  for (size_t i = 0; i < set->n; i++) {
    const char *key = set->keys[i];
    key_pos at = key_position(set, i);
    int first_len = (int)strcspn(key, ".");
    if (forbidden_target(key))
      return kl_error_set(err, KL_EINVAL, "%s:%u:%u: key %s.%s: %.*s cannot be changed per run",
                          at.file, at.line, at.col, path, key, first_len,
                          key);
    /* Variants share the experiment's run directory (one subdirectory each):
     * a per-run output.dir was silently ignored. */
    if (!strcmp(key, "output.dir") || (!strcmp(key, "output") && set->items[i]->type ==
                                                                     KL_NODE_MAP &&
                                       kl_node_map_get(set->items[i], "dir")))
      return kl_error_set(err, KL_EINVAL,
                          "%s:%u:%u: key %s.%s: output.dir cannot change per run (variants are "
                          "subdirectories of the experiment's output.dir or --out)",
                          at.file, at.line, at.col, path, key);
    char first[256];
    snprintf(first, sizeof first, "%.*s", first_len, key);
    bool known = false;
    for (size_t j = 0; j < n_per_run && !known; j++) known = !strcmp(first, per_run[j]);
    if (known) continue;
    const char *m = kl_did_you_mean(first, per_run, n_per_run);
    char sg[300] = "";
    if (m) snprintf(sg, sizeof sg, " (did you mean '%s%s'?)", m, key + first_len);
    return kl_error_set(err, KL_EINVAL,
                        "%s:%u:%u: key %s.%s: unknown top-level key '%s'%s; expected a dotted "
                        "key below model, initial, integrator, time, diagnostics or output",
                        at.file, at.line, at.col, path, key, first, sg);
  }
  return KL_OK;
}

/* Whether `path` is `pre` or lies below it (whole dotted components). */
static bool path_within(const char *path, const char *pre) {
  /* Component by component; list indices by value (diagnostics.00 is .0). */
  while (*pre) {
    size_t a = strcspn(path, "."), b = strcspn(pre, ".");
    bool num = a && b && strspn(path, "0123456789") == a && strspn(pre, "0123456789") == b;
    if (num) {
      while (a > 1 && *path == '0') path++, a--;
      while (b > 1 && *pre == '0') pre++, b--;
    }
    if (a != b || strncmp(path, pre, a)) return false;
    path += a;
    pre += b;
    if (*pre == '.') {
      if (*path != '.') return false;
      path++, pre++;
    }
  }
  return *path == '\0' || *path == '.';
}

/* Whether node has a value at the dotted path `rest` (map keys, list indices). */
static bool node_has_path(const kl_node *n, const char *rest) {
  while (n && *rest) {
    size_t len = strcspn(rest, ".");
    const kl_node *next = NULL;
    if (n->type == KL_NODE_MAP) {
      for (size_t i = 0; i < n->n && !next; i++)
        if (strlen(n->keys[i]) == len && !strncmp(n->keys[i], rest, len)) next = n->items[i];
    } else if (n->type == KL_NODE_SEQ) {
      char *end;
      unsigned long idx = strtoul(rest, &end, 10);
      if (end == rest + len && idx < n->n) next = n->items[idx];
    }
    if (!next) return false;
    n = next;
    rest += len;
    if (*rest == '.') rest++;
  }
  return n != NULL;
}

/* Whether setting `later` after `earlier` (to the value `earlier_value`) throws
 * away what `earlier` set: the same key, a key above it, or a key below it
 * that the earlier value gives explicitly.  Setting a key the earlier value
 * lacks (sweep integrator.dt after a variant's {type: euler}) composes. */
static bool overrides(const char *later, const char *earlier, const kl_node *earlier_value) {
  if (path_within(earlier, later)) return true;
  if (!path_within(later, earlier)) return false;
  /* The part of `later` below `earlier`: skip as many components. */
  const char *rest = later;
  for (const char *e = earlier; *e; e++)
    if (*e == '.') rest = strchr(rest, '.') + 1;
  rest = strchr(rest, '.');
  return node_has_path(earlier_value, rest ? rest + 1 : "");
}

/* One value set for every run: a --set KEY (its value is in the tree), a
 * variant's set key, a sweep key (each of its values). */
typedef struct setting {
  const char *key, *origin; /* origin: "--set" or "variants.N.set" or "sweep" */
  const kl_node *map;       /* the set/sweep mapping (NULL for --set)         */
  size_t index;             /* key index in map                               */
} setting;

static int override_error(kl_error *err, const setting *later, const setting *earlier) {
  key_pos at = key_position(later->map, later->index);
  if (!earlier->map)
    return kl_error_set(err, KL_EINVAL,
                        "%s:%u:%u: key %s.%s: also set by --set %s, which %s would silently "
                        "override; give the value in one place",
                        at.file, at.line, at.col, later->origin, later->key, earlier->key,
                        strcmp(later->origin, "sweep") ? "the variant" : "the sweep");
  key_pos first = key_position(earlier->map, earlier->index);
  bool same_file = !strcmp(first.file, at.file);
  return kl_error_set(err, KL_EINVAL,
                      "%s:%u:%u: key %s.%s: would override the value that %s.%s (at %s%s%u:%u) "
                      "gives, which would then have no effect; give the value in one place",
                      at.file, at.line, at.col, later->origin, later->key, earlier->origin,
                      earlier->key, same_file ? "" : first.file, same_file ? "" : ":", first.line,
                      first.col);
}

/* A --set that replaces an earlier one (the same key, or a key above it)
 * leaves the earlier with no effect: say so rather than keep the last. */
static int check_set_twice(const char *const *set_keys, size_t n_set_keys, kl_error *err) {
  for (size_t j = 1; j < n_set_keys; j++)
    for (size_t i = 0; i < j; i++)
      if (path_within(set_keys[i], set_keys[j]))
        return kl_error_set(err, KL_EINVAL,
                            "--set %s: replaces what the earlier --set %s gives, which would then "
                            "have no effect; give the value once",
                            set_keys[j], set_keys[i]);
  return KL_OK;
}

/* Refuse a setting that would silently undo another: --set keys come first
 * (applied to the tree), then a variant's set keys in order, then the sweep
 * keys in order. */
static int check_overrides(const kl_node *root, const char *const *set_keys, size_t n_set_keys,
                           const kl_node *variants, const kl_node *sweep, kl_error *err) {
  size_t nv = variants ? variants->n : 1, n_sweep = sweep ? sweep->n : 0, most_set = 0;
  for (size_t vi = 0; variants && vi < nv; vi++) {
    const kl_node *set = kl_node_map_get(variants->items[vi], "set");
    if (set && set->type == KL_NODE_MAP && set->n > most_set) most_set = set->n;
  }
  size_t cap = n_set_keys + most_set + n_sweep;
  setting *ops = malloc((cap ? cap : 1) * sizeof *ops);
  if (!ops) return kl_error_nomem(err);
  int rc = KL_OK;
  for (size_t vi = 0; vi < nv && !rc; vi++) {
    size_t n = 0;
    for (size_t k = 0; k < n_set_keys; k++) ops[n++] = (setting){set_keys[k], "--set", NULL, 0};
    char origin[48];
    snprintf(origin, sizeof origin, "variants.%zu.set", vi);
    const kl_node *set = variants ? kl_node_map_get(variants->items[vi], "set") : NULL;
    for (size_t k = 0; set && set->type == KL_NODE_MAP && k < set->n; k++)
      ops[n++] = (setting){set->keys[k], origin, set, k};
    for (size_t k = 0; sweep && k < sweep->n; k++)
      ops[n++] = (setting){sweep->keys[k], "sweep", sweep, k};
    for (size_t j = n_set_keys; j < n && !rc; j++)
      for (size_t i = 0; i < j && !rc; i++) {
        /* The value the earlier setting gives: the tree's for --set, each
         * listed value for a sweep key. */
        bool hit = false;
        if (!ops[i].map) {
          hit = path_within(ops[i].key, ops[j].key) ||
                (path_within(ops[j].key, ops[i].key) && node_has_path(root, ops[j].key));
        } else if (!strcmp(ops[i].origin, "sweep")) {
          const kl_node *vals = ops[i].map->items[ops[i].index];
          for (size_t v = 0; vals->type == KL_NODE_SEQ && v < vals->n && !hit; v++)
            hit = overrides(ops[j].key, ops[i].key, vals->items[v]);
        } else {
          hit = overrides(ops[j].key, ops[i].key, ops[i].map->items[ops[i].index]);
        }
        if (hit) rc = override_error(err, &ops[j], &ops[i]);
      }
  }
  free(ops);
  return rc;
}

/* Label of a sweep value for run names. */
static void value_label(const kl_node *v, size_t index, char *buf, size_t size) {
  if (v->type == KL_NODE_SCALAR)
    snprintf(buf, size, "%s", v->scalar);
  else if (v->type == KL_NODE_MAP && kl_node_map_get(v, "type") &&
           kl_node_map_get(v, "type")->type == KL_NODE_SCALAR)
    snprintf(buf, size, "%s", kl_node_map_get(v, "type")->scalar);
  else
    snprintf(buf, size, "%zu", index);
}

static void runspecs_free(runspec *rs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(rs[i].name);
    free(rs[i].ops);
  }
  free(rs);
}

/* Expand variants x sweep points into run specifications. */
static int expand_runs(const kl_node *root, const char *const *set_keys, size_t n_set_keys,
                       runspec **out, size_t *n_out, kl_error *err) {
  *out = NULL;
  *n_out = 0;
  const kl_node *variants = kl_node_map_get(root, "variants");
  const kl_node *sweep = kl_node_map_get(root, "sweep");
  if (node_is_null(variants)) variants = NULL;
  if (node_is_null(sweep)) sweep = NULL;
  static const char *const vkeys[] = {"name", "description", "set"};
  size_t nv = 1;
  if (variants) {
    if (variants->type != KL_NODE_SEQ)
      return where_error(err, variants, "variants",
                         "expected a list of {name: NAME, set: {key.path: value, ...}}, found %s",
                         found(variants));
    if (!variants->n)
      return where_error(err, variants, "variants", "expected at least one variant, found []");
    nv = variants->n;
    for (size_t i = 0; i < nv; i++) {
      const kl_node *v = variants->items[i];
      char path[48];
      snprintf(path, sizeof path, "variants.%zu", i);
      if (v->type != KL_NODE_MAP)
        return where_error(err, v, path, "expected a mapping {name: NAME, set: {...}}, found %s",
                           found(v));
      for (size_t k = 0; k < v->n; k++) {
        bool ok = false;
        for (size_t j = 0; j < 3; j++) ok |= !strcmp(v->keys[k], vkeys[j]);
        if (!ok) return unknown_key(err, v, k, path, vkeys, 3);
      }
      const kl_node *name = kl_node_map_get(v, "name");
      if (!name)
        return where_error(err, v, path, "required key 'name' missing (expected a run name)");
      char np[64];
      snprintf(np, sizeof np, "%s.name", path);
      if (name->type != KL_NODE_SCALAR || !valid_run_name(name->scalar))
        return where_error(err, name, np,
                           "expected a name of letters, digits and _.=,- (it names the run "
                           "directory), found %s%s%s",
                           name->type == KL_NODE_SCALAR ? "'" : "",
                           name->type == KL_NODE_SCALAR ? name->scalar : found(name),
                           name->type == KL_NODE_SCALAR ? "'" : "");
      /* The base directory's own entries (and hidden names, the lock and
       * marker among them) cannot be a variant's directory. */
      static const char *const reserved[] = {"experiment.yaml", "comparison.csv",
                                             "comparison.md", "plots"};
      bool clash = name->scalar[0] == '.';
      for (size_t j = 0; j < sizeof reserved / sizeof *reserved; j++)
        clash |= !strcmp(name->scalar, reserved[j]);
      if (clash)
        return where_error(err, name, np,
                           "variant name '%s' is taken by the experiment's run directory "
                           "(experiment.yaml, comparison.csv, comparison.md, plots, hidden "
                           "files); expected another name",
                           name->scalar);
      for (size_t j = 0; j < i; j++) {
        const kl_node *other = kl_node_map_get(variants->items[j], "name");
        if (!strcmp(other->scalar, name->scalar))
          return where_error(err, name, np, "duplicate variant name '%s' (first at %u:%u)",
                             name->scalar, other->line, other->col);
      }
      const kl_node *desc = kl_node_map_get(v, "description");
      if (desc && desc->type != KL_NODE_SCALAR) {
        snprintf(np, sizeof np, "%s.description", path);
        return where_error(err, desc, np, "expected a string, found %s", found(desc));
      }
      const kl_node *set = kl_node_map_get(v, "set");
      if (set && !node_is_null(set)) {
        snprintf(np, sizeof np, "%s.set", path);
        int r = check_set_map(err, set, np);
        if (r) return r;
      }
    }
  }
  size_t ns = 1, n_keys = 0;
  if (sweep) {
    int r = check_set_map(err, sweep, "sweep");
    if (r) return r;
    n_keys = sweep->n;
    for (size_t k = 0; k < n_keys; k++) {
      const kl_node *vals = sweep->items[k];
      if (vals->type != KL_NODE_SEQ || !vals->n)
        return kl_error_set(err, KL_EINVAL,
                            "%s:%u:%u: key sweep.%s: expected a non-empty list of values, found %s",
                            vals->file, vals->line, vals->col, sweep->keys[k],
                            vals->type == KL_NODE_SEQ ? "[]" : found(vals));
      if (ns > MAX_RUNS / vals->n)
        return where_error(err, sweep, "sweep", "expands to more than %d runs", MAX_RUNS);
      ns *= vals->n;
    }
  }
  int r0 = check_set_twice(set_keys, n_set_keys, err);
  if (r0) return r0;
  if (variants || sweep) {
    int r = check_overrides(root, set_keys, n_set_keys, variants, sweep, err);
    if (r) return r;
  }
  if (nv * ns > MAX_RUNS)
    return where_error(err, root, "variants", "variants x sweep expand to more than %d runs",
                       MAX_RUNS);
  if (!variants && !sweep) {
    runspec *rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->name = strdup(""))) {
      free(rs);
      return kl_error_nomem(err);
    }
    *out = rs;
    *n_out = 1;
    return KL_OK;
  }
  size_t total = nv * ns;
  runspec *rs = calloc(total, sizeof *rs);
  if (!rs) return kl_error_nomem(err);
  /* Short labels for sweep keys: the last component unless two keys share it. */
  const char **labels = calloc(n_keys ? n_keys : 1, sizeof *labels);
  if (!labels) {
    free(rs);
    return kl_error_nomem(err);
  }
  for (size_t k = 0; k < n_keys; k++) {
    const char *dot = strrchr(sweep->keys[k], '.');
    labels[k] = dot ? dot + 1 : sweep->keys[k];
  }
  for (size_t k = 0; k < n_keys; k++)
    for (size_t j = 0; j < n_keys; j++)
      if (j != k && !strcmp(strrchr(sweep->keys[k], '.') ? strrchr(sweep->keys[k], '.') + 1
                                                          : sweep->keys[k],
                            strrchr(sweep->keys[j], '.') ? strrchr(sweep->keys[j], '.') + 1
                                                         : sweep->keys[j]))
        labels[k] = sweep->keys[k];
  int rc = KL_OK;
  for (size_t vi = 0; vi < nv && !rc; vi++) {
    const kl_node *v = variants ? variants->items[vi] : NULL;
    const kl_node *set = v ? kl_node_map_get(v, "set") : NULL;
    if (node_is_null(set)) set = NULL;
    size_t n_set = set ? set->n : 0;
    for (size_t si = 0; si < ns && !rc; si++) {
      runspec *r = &rs[vi * ns + si];
      r->ops = calloc(n_set + n_keys + 1, sizeof *r->ops);
      char name[1024] = "";
      size_t used = 0;
      if (v) used += (size_t)snprintf(name, sizeof name, "%s", kl_node_map_get(v, "name")->scalar);
      r->variant_name = v ? kl_node_map_get(v, "name") : NULL;
      r->swept = n_keys > 0;
      if (!r->ops) {
        rc = kl_error_nomem(err);
        break;
      }
      for (size_t k = 0; k < n_set; k++) {
        key_pos at = key_position(set, k);
        r->ops[r->n_ops++] = (setop){set->keys[k], set->items[k], at.file, at.line, at.col};
      }
      /* Sweep point si: the first key varies slowest. */
      size_t rem = si, stride = ns;
      for (size_t k = 0; k < n_keys; k++) {
        const kl_node *vals = sweep->items[k];
        stride /= vals->n;
        size_t idx = rem / stride;
        rem %= stride;
        const kl_node *val = vals->items[idx];
        key_pos at = key_position(sweep, k);
        r->ops[r->n_ops++] = (setop){sweep->keys[k], val, at.file, at.line, at.col};
        char vl[256], part[600];
        value_label(val, idx, vl, sizeof vl);
        snprintf(part, sizeof part, "%s=%s", labels[k], vl);
        sanitize(part);
        if (used < sizeof name)
          used += (size_t)snprintf(name + used, sizeof name - used, "%s%s", used ? "," : "", part);
      }
      if (used > 200) name[200] = '\0';
      /* Make names unique (sanitising may merge two). */
      char base[256];
      snprintf(base, sizeof base, "%.200s", name);
      for (int suffix = 2;; suffix++) {
        bool dup = false;
        for (size_t j = 0; j < vi * ns + si && !dup; j++) dup = !strcmp(rs[j].name, name);
        if (!dup) break;
        snprintf(name, sizeof name, "%s-%d", base, suffix);
      }
      if (!(r->name = strdup(name))) rc = kl_error_nomem(err);
    }
  }
  free(labels);
  if (rc) {
    runspecs_free(rs, total);
    return rc;
  }
  *out = rs;
  *n_out = total;
  return KL_OK;
}

static void append_variant_context(kl_error *err, const char *variant) {
  if (!err || !variant || !*variant) return;
  size_t len = strlen(err->message);
  snprintf(err->message + len, sizeof err->message - len, " (in variant '%s')", variant);
}

/* ------------------------------------------------------------- load */
void kl_experiment_free(kl_experiment *exp) {
  if (!exp) return;
  exp_priv *p = (exp_priv *)exp;
  for (size_t i = 0; i < exp->n_runs; i++) run_free(&exp->runs[i]);
  free(exp->runs);
  kl_node_free(exp->tree);
  free(exp->source);
  free(exp->name);
  free(p->description);
  for (size_t i = 0; i < p->n_plugin_path; i++) free(p->plugin_path[i]);
  free(p->plugin_path);
  free(p);
}

static int load_plugin_path(exp_priv *p, const kl_node *pp, const char *base_dir,
                            kl_registry *reg, kl_error *err) {
  if (node_is_null(pp)) return KL_OK;
  size_t n = pp->type == KL_NODE_SEQ ? pp->n : 1;
  if (pp->type == KL_NODE_MAP)
    return where_error(err, pp, "plugin_path",
                       "expected a directory or module path, or a list of them, found a mapping");
  if (n && !(p->plugin_path = calloc(n, sizeof *p->plugin_path))) return kl_error_nomem(err);
  for (size_t i = 0; i < n; i++) {
    const kl_node *e = pp->type == KL_NODE_SEQ ? pp->items[i] : pp;
    char path[48];
    if (pp->type == KL_NODE_SEQ)
      snprintf(path, sizeof path, "plugin_path.%zu", i);
    else
      snprintf(path, sizeof path, "plugin_path");
    if (e->type != KL_NODE_SCALAR || node_is_null(e))
      return where_error(err, e, path, "expected a directory or module path, found %s", found(e));
    char *full;
    if (e->scalar[0] == '/') {
      full = strdup(e->scalar);
    } else {
      size_t len = strlen(base_dir) + strlen(e->scalar) + 2;
      full = malloc(len);
      if (full) snprintf(full, len, "%s/%s", base_dir, e->scalar);
    }
    if (!full) return kl_error_nomem(err);
    p->plugin_path[p->n_plugin_path++] = full;
    size_t fl = strlen(full);
    bool is_file = fl > 3 && !strcmp(full + fl - 3, ".so");
    char w[600];
    kl_node_where(e, w, sizeof w);
    struct stat st;
    /* A missing directory is a warning, as in $KINLAB_PLUGIN_PATH: directories
     * never override a name found elsewhere, so it can only leave a name
     * unknown, and that error names it.  A named file that is missing is an
     * error: the run would otherwise use another file of the same name. */
    if (!is_file && stat(full, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
      if (kl_registry_note_missing_dir(reg, err, "%s: key %s: plugin directory %s does not "
                                       "exist; ignored", w, path, full))
        return KL_ENOMEM;
      continue;
    }
    int r = is_file ? kl_registry_load_file(reg, full, err)
                    : kl_registry_load_dir(reg, full, true, err);
    if (r) return kl_error_prefix(err, "%s: key %s", w, path);
  }
  return KL_OK;
}

/* compare: {reference: finest|NAME, analysis_width: W}: the types by the
 * table, a reference name against the variants (with a suggestion). */
static int check_compare_section(const kl_experiment *exp, const kl_registry *reg,
                                 kl_error *err) {
  const kl_node *node = kl_node_map_get(exp->tree, "compare");
  if (!node) return KL_OK;
  kl_params *p = NULL;
  int rc = kl_params_build(kl_compare_specs, node, exp->tree, "compare", NULL, reg, &p, err);
  if (rc) return rc;
  const char *ref = kl_params_is_set(p, "reference") ? kl_params_string(p, "reference") : NULL;
  bool known = !ref || !strcmp(ref, "finest");
  for (size_t i = 0; i < exp->n_runs && !known; i++)
    known = exp->runs[i].variant_name && !strcmp(exp->runs[i].variant_name, ref);
  if (!known) {
    const char **names = malloc((exp->n_runs + 1) * sizeof *names);
    if (!names) {
      kl_params_free(p);
      return kl_error_nomem(err);
    }
    size_t n = 0;
    names[n++] = "finest";
    for (size_t i = 0; i < exp->n_runs; i++)
      if (exp->runs[i].variant_name) names[n++] = exp->runs[i].variant_name;
    const char *m = kl_did_you_mean(ref, names, n);
    char list[600] = "";
    size_t used = 0;
    for (size_t j = 0; j < n && used < sizeof list; j++)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", names[j]);
    char sg[300] = "";
    if (m) snprintf(sg, sizeof sg, " (did you mean '%s'?)", m);
    const kl_node *at = kl_node_map_get(node, "reference");
    rc = where_error(err, at ? at : node, "compare.reference",
                     "no variant named '%s'%s; expected 'finest' or one of the variants: %s", ref,
                     sg, list);
    free(names);
  }
  kl_params_free(p);
  return rc;
}

/* Digest of a resolved configuration tree: types, keys and texts (numbers
 * are already in one spelling there, so 0.1 and 1e-1 give one digest). */
static void digest_node(kl_sha256_ctx *c, const kl_node *n) {
  char tag[32];
  int len = snprintf(tag, sizeof tag, "<%d %zu>", (int)n->type, n->n);
  kl_sha256_update(c, tag, (size_t)len);
  if (n->type == KL_NODE_SCALAR) kl_sha256_update(c, n->scalar, strlen(n->scalar) + 1);
  for (size_t i = 0; i < n->n; i++) {
    if (n->type == KL_NODE_MAP) kl_sha256_update(c, n->keys[i], strlen(n->keys[i]) + 1);
    digest_node(c, n->items[i]);
  }
}

/* Two runs with the same resolved configuration (a sweep value listed twice,
 * as 0.1 and 1e-1 say, or two variants that set the same) would compute one
 * result under two names: refused, naming both.  `digests` holds the first
 * `i` runs' digests; run i's is added. */
static int check_distinct_run(const kl_experiment *exp, size_t i, const runspec *rs,
                              unsigned char (*digests)[32], kl_error *err) {
  kl_node *tree = kl_run_config_resolved(exp, &exp->runs[i]);
  if (!tree) return kl_error_nomem(err);
  kl_sha256_ctx c;
  kl_sha256_init(&c);
  digest_node(&c, tree);
  kl_node_free(tree);
  kl_sha256_final(&c, digests[i]);
  for (size_t j = 0; j < i; j++)
    if (!memcmp(digests[j], digests[i], 32)) {
      /* Blame the sweep key, or else the later variant's name. */
      const setop *at = rs->swept ? &rs->ops[rs->n_ops - 1] : NULL;
      const kl_node *name = rs->variant_name;
      return kl_error_set(err, KL_EINVAL,
                          "%s:%u:%u: runs '%s' and '%s' have the same configuration (a value "
                          "listed twice in a sweep, or variants that set the same); expected "
                          "every run to differ",
                          at ? at->file : name ? name->file : exp->source,
                          at ? at->line : name ? name->line : 1, at ? at->col : name ? name->col : 1,
                          exp->runs[j].variant_name, exp->runs[i].variant_name);
    }
  return KL_OK;
}

static int load_tree(kl_node *tree, const char *source, const char *default_name,
                     const char *base_dir, const char *const *overrides, size_t n_overrides,
                     kl_registry *reg, kl_experiment **out, kl_error *err) {
  *out = NULL;
  exp_priv *p = calloc(1, sizeof *p);
  if (!p) {
    kl_node_free(tree);
    return kl_error_nomem(err);
  }
  kl_experiment *exp = &p->pub;
  exp->tree = tree;
  int rc = KL_OK;
  if (!(exp->source = strdup(source))) rc = kl_error_nomem(err);
  if (!rc && tree->type != KL_NODE_MAP) {
    char w[600];
    rc = kl_error_set(err, KL_EINVAL,
                      "%s: expected a mapping of experiment keys (model, initial, integrator, "
                      "time, ...), found %s",
                      kl_node_where(tree, w, sizeof w),
                      node_is_null(tree) ? "an empty document" : found(tree));
  }
  /* --set overrides come first: everything below sees their result.  The
   * keys of those that set a run's values are kept to refuse a variant or
   * sweep that would override them. */
  char **set_keys = calloc(n_overrides ? n_overrides : 1, sizeof *set_keys);
  size_t n_set_keys = 0;
  if (!rc && !set_keys) rc = kl_error_nomem(err);
  for (size_t i = 0; !rc && i < n_overrides; i++) {
    const char *o = overrides[i];
    const char *eq = o ? strchr(o, '=') : NULL;
    if (!eq || eq == o) {
      rc = kl_error_set(err, KL_EINVAL, "--set:1:1: expected KEY.PATH=VALUE, found '%s'",
                        o ? o : "");
      break;
    }
    char *key = strndup(o, (size_t)(eq - o));
    if (!key) {
      rc = kl_error_nomem(err);
      break;
    }
    rc = kl_node_set_path(tree, key, eq + 1, "--set", err);
    if (!rc && !forbidden_target(key)) set_keys[n_set_keys++] = key;
    else free(key);
  }
  /* Top-level keys. */
  for (size_t i = 0; !rc && i < tree->n; i++) {
    bool ok = false;
    for (size_t j = 0; j < N_TOP_KEYS && !ok; j++) ok = !strcmp(tree->keys[i], top_keys[j]);
    if (!ok) rc = unknown_key(err, tree, i, "the top level", top_keys, N_TOP_KEYS);
  }
  if (!rc) {
    const kl_node *name = kl_node_map_get(tree, "name");
    if (name && !node_is_null(name)) {
      if (name->type != KL_NODE_SCALAR || !valid_run_name(name->scalar))
        rc = where_error(err, name, "name",
                         "expected a name of letters, digits and _.=,- (it names the run "
                         "directory), found %s%s%s",
                         name->type == KL_NODE_SCALAR ? "'" : "",
                         name->type == KL_NODE_SCALAR ? name->scalar : found(name),
                         name->type == KL_NODE_SCALAR ? "'" : "");
      else if (!(exp->name = strdup(name->scalar)))
        rc = kl_error_nomem(err);
    } else {
      if (!(exp->name = strdup(default_name))) rc = kl_error_nomem(err);
      else sanitize(exp->name);
    }
  }
  if (!rc) {
    const kl_node *desc = kl_node_map_get(tree, "description");
    if (desc && !node_is_null(desc)) {
      if (desc->type != KL_NODE_SCALAR)
        rc = where_error(err, desc, "description", "expected a string, found %s", found(desc));
      else if (!(p->description = strdup(desc->scalar)))
        rc = kl_error_nomem(err);
    }
  }
  if (!rc) rc = load_plugin_path(p, kl_node_map_get(tree, "plugin_path"), base_dir, reg, err);
  runspec *rs = NULL;
  size_t nrs = 0;
  if (!rc)
    rc = expand_runs(tree, (const char *const *)set_keys, n_set_keys, &rs, &nrs, err);
  for (size_t i = 0; i < n_set_keys; i++) free(set_keys[i]);
  free(set_keys);
  if (!rc && !(exp->runs = calloc(nrs, sizeof *exp->runs))) rc = kl_error_nomem(err);
  unsigned char(*digests)[32] = NULL;
  if (!rc && nrs > 1 && !(digests = calloc(nrs, sizeof *digests))) rc = kl_error_nomem(err);
  for (size_t i = 0; !rc && i < nrs; i++) {
    kl_run_config *run = &exp->runs[i];
    exp->n_runs = i + 1;
    kl_node *t = kl_node_clone(tree);
    if (!t || !(run->variant_name = strdup(rs[i].name))) {
      kl_node_free(t);
      rc = kl_error_nomem(err);
      break;
    }
    map_remove(t, "variants");
    map_remove(t, "sweep");
    map_remove(t, "compare"); /* the experiment's, not a run's */
    for (size_t k = 0; !rc && k < rs[i].n_ops; k++) {
      const setop *op = &rs[i].ops[k];
      kl_node *v = kl_node_clone(op->value);
      if (!v) rc = kl_error_nomem(err);
      else rc = kl_node_set_path_node(t, op->key, v, op->file, op->line, op->col, err);
    }
    if (rc) {
      kl_node_free(t);
    } else {
      rc = validate_run(t, reg, run, err);
      if (!rc) rc = kl_provenance_of_run(reg, run, &run->plugins, err);
      if (!rc && digests) {
        rc = check_distinct_run(exp, i, &rs[i], digests, err);
        if (rc) continue; /* the message names both runs */
      }
    }
    if (rc) append_variant_context(err, rs[i].name);
  }
  free(digests);
  runspecs_free(rs, nrs);
  if (!rc) rc = check_compare_section(exp, reg, err);
  if (rc) {
    kl_experiment_free(exp);
    return rc;
  }
  *out = exp;
  return KL_OK;
}

int kl_experiment_load_file(const char *path, const char *const *overrides, size_t n_overrides,
                            kl_registry *reg, kl_experiment **out, kl_error *err) {
  *out = NULL;
  if (!path) return kl_error_set(err, KL_EINVAL, "no experiment file given");
  kl_node *tree = NULL;
  int rc = kl_yaml_parse_file(path, &tree, err);
  if (rc) return rc;
  /* Stem: the file name without its last extension. */
  const char *slash = strrchr(path, '/');
  char *stem = strdup(slash ? slash + 1 : path);
  /* Directory of the file, absolute, for relative plugin_path entries. */
  char *real = realpath(path, NULL);
  if (!real && stem) {
    /* A pipe (/dev/stdin -> pipe:[N]) was read, but has no path to resolve:
     * relative plugin_path entries are relative to its directory. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    char *rd = realpath(*dir ? dir : "/", NULL);
    if (rd && (real = malloc(strlen(rd) + 3))) sprintf(real, "%s/-", rd);
    free(rd);
  }
  if (!stem || !real) {
    int e = errno;
    free(stem);
    free(real);
    kl_node_free(tree);
    return stem ? kl_error_set(err, KL_EIO, "%s: cannot resolve the path: %s", path, strerror(e))
                : kl_error_nomem(err);
  }
  char *dot = strrchr(stem, '.');
  if (dot && dot != stem) *dot = '\0';
  char *rs = strrchr(real, '/');
  if (rs == real) rs[1] = '\0';
  else if (rs) *rs = '\0';
  rc = load_tree(tree, path, *stem ? stem : "experiment", real, overrides, n_overrides, reg, out,
                 err);
  free(stem);
  free(real);
  return rc;
}

int kl_experiment_load_plugin_path(const char *path, kl_registry *reg, kl_error *err) {
  if (!path) return kl_error_set(err, KL_EINVAL, "no experiment file given");
  kl_node *tree = NULL;
  int rc = kl_yaml_parse_file(path, &tree, err);
  if (rc) return rc;
  if (tree->type != KL_NODE_MAP) {
    kl_node_free(tree);
    return kl_error_set(err, KL_EINVAL, "%s: expected a mapping of experiment keys", path);
  }
  /* Relative entries are relative to the file's directory, as in a run. */
  char *real = realpath(path, NULL);
  if (!real) {
    int e = errno;
    kl_node_free(tree);
    return kl_error_set(err, KL_EIO, "%s: cannot resolve the path: %s", path, strerror(e));
  }
  char *slash = strrchr(real, '/');
  if (slash == real) slash[1] = '\0';
  else if (slash) *slash = '\0';
  exp_priv entries = {0};
  rc = load_plugin_path(&entries, kl_node_map_get(tree, "plugin_path"), real, reg, err);
  for (size_t i = 0; i < entries.n_plugin_path; i++) free(entries.plugin_path[i]);
  free(entries.plugin_path);
  free(real);
  kl_node_free(tree);
  return rc;
}

int kl_experiment_load_string(const char *text, const char *display_name,
                              const char *const *overrides, size_t n_overrides,
                              kl_registry *reg, kl_experiment **out, kl_error *err) {
  *out = NULL;
  const char *name = display_name ? display_name : "<string>";
  kl_node *tree = NULL;
  int rc = kl_yaml_parse_string(text, text ? strlen(text) : 0, name, &tree, err);
  if (rc) return rc;
  char *cwd = getcwd(NULL, 0);
  rc = load_tree(tree, name, "default", cwd ? cwd : ".", overrides, n_overrides, reg, out, err);
  free(cwd);
  return rc;
}

size_t kl_experiment_variant_count(const kl_experiment *exp) { return exp ? exp->n_runs : 0; }

const char *kl_experiment_variant_name(const kl_experiment *exp, size_t i) {
  return exp && i < exp->n_runs ? exp->runs[i].variant_name : NULL;
}

/* ------------------------------------------------------------ resolved */
kl_node *kl_run_config_resolved(const kl_experiment *exp, const kl_run_config *run) {
  if (!exp || !run) return NULL;
  const exp_priv *p = (const exp_priv *)exp;
  kl_node *root = kl_node_new(KL_NODE_MAP, "<resolved>", 1, 1);
  if (!root) return NULL;
  if (kl_node_append(root, "name", kl_node_new_scalar(exp->name, false, root->file, 1, 1)))
    goto fail;
  if (p->description &&
      kl_node_append(root, "description",
                     kl_node_new_scalar(p->description, false, root->file, 1, 1)))
    goto fail;
  if (p->n_plugin_path) {
    kl_node *seq = kl_node_new(KL_NODE_SEQ, root->file, 1, 1);
    if (!seq) goto fail;
    for (size_t i = 0; i < p->n_plugin_path; i++)
      if (kl_node_append(seq, NULL,
                         kl_node_new_scalar(p->plugin_path[i], false, root->file, 1, 1))) {
        kl_node_free(seq);
        goto fail;
      }
    if (kl_node_append(root, "plugin_path", seq)) goto fail;
  }
  if (kl_node_append(root, "model", kl_params_to_node(run->model, run->model_info->name)) ||
      kl_node_append(root, "initial", kl_params_to_node(run->initial, run->initial_info->name)) ||
      kl_node_append(root, "integrator",
                     kl_params_to_node(run->integrator, run->integrator_info->name)) ||
      kl_node_append(root, "time", kl_params_to_node(run->time, NULL)))
    goto fail;
  if (run->n_diagnostics) {
    kl_node *seq = kl_node_new(KL_NODE_SEQ, root->file, 1, 1);
    if (!seq) goto fail;
    for (size_t i = 0; i < run->n_diagnostics; i++)
      if (kl_node_append(seq, NULL,
                         kl_params_to_node(run->diagnostics[i], run->diagnostic_info[i]->name))) {
        kl_node_free(seq);
        goto fail;
      }
    if (kl_node_append(root, "diagnostics", seq)) goto fail;
  }
  if (kl_node_append(root, "output", kl_params_to_node(run->output, NULL))) goto fail;
  return root;
fail:
  kl_node_free(root);
  return NULL;
}
