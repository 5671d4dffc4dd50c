/* test_compare.c - comparison tables of a run directory (framework/compare/).
 *
 * Hand-made run directories with known numbers: drifts, orders between
 * successive resolutions and the least-squares slope on synthetic errors
 * e = C h^p (exact up to rounding, so 1e-12), grouping by a second varying key
 * with a tied one (eps chosen with n), failed variants; and an end-to-end run
 * of a tiny in-test experiment with `variants:` and `sweep:` followed by
 * kl_compare_run_dir.  The resolution keys come from the KL_PARAM_STEP_SIZE /
 * KL_PARAM_COUNT flags of the plugins in a test registry (the fixtures and
 * in-test descriptors); a key whose plugin is not in it has no rule.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "../framework/core/internal.h" /* kl_json_*, kl_compare_run_dir_by */
#include "../framework/compare/compare_internal.h" /* moments, remap, density errors */

static char base_dir[] = "/tmp/kinlab-test-compare-XXXXXX";

/* ------------------------------------------------------------ file helpers */
static void write_file(const char *dir, const char *name, const char *text) {
  char p[4400];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(text, f);
  fclose(f);
}

static char *path_in(const char *a, const char *b) {
  static char buf[4][4400];
  static int k;
  char *p = buf[k++ % 4], tmp[4400];
  if (snprintf(tmp, sizeof tmp, "%s/%s", a, b) >= (int)sizeof tmp) /* a may be an earlier result */
    CU_FAIL("path too long");
  memcpy(p, tmp, sizeof tmp);
  return p;
}

/* A variant directory: config.resolved.yaml from `config`, timeseries with the
 * given rows (header: base columns + extra), summary with status/message. */
static void make_variant(const char *run, const char *name, const char *config,
                         const char *extra_header, const char *const *rows, size_t n_rows,
                         const char *status, const char *message) {
  char dir[4400];
  snprintf(dir, sizeof dir, "%s/%s", run, name);
  mkdir(dir, 0777);
  if (config) write_file(dir, "config.resolved.yaml", config);
  char text[8192];
  size_t used = (size_t)snprintf(text, sizeof text, "t,step,dt,accepted,rejected,rhs_evals,wall_s,%s\n",
                                 extra_header);
  for (size_t i = 0; i < n_rows; i++)
    used += (size_t)snprintf(text + used, sizeof text - used, "%s\n", rows[i]);
  write_file(dir, "timeseries.csv", text);
  if (status) {
    snprintf(text, sizeof text,
             "{\n  \"kinlab_version\": \"test\",\n  \"variant\": \"%s\",\n  \"status\": \"%s\",\n"
             "  \"message\": \"%s\",\n  \"state_size\": 300,\n  \"steps\": 40,\n"
             "  \"rejected\": 1,\n  \"rhs_evals\": 160,\n  \"wall_s\": 0.5,\n"
             "  \"final\": {}\n}\n",
             name, status, message);
    write_file(dir, "summary.json", text);
  }
  write_file(dir, "run.log", "[info] starting\n[error] something went wrong at t = 0.3\n");
}

/* comparison.csv as a table of strings (with CSV quoting). */
typedef struct table {
  size_t rows, cols;
  char *cell[64][64];
} table;

static void table_free(table *t) {
  for (size_t r = 0; r < 64; r++)
    for (size_t c = 0; c < 64; c++) free(t->cell[r][c]);
  free(t);
}

static table *read_csv(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  table *t = calloc(1, sizeof *t);
  char field[4096];
  size_t len = 0, r = 0, c = 0;
  bool quoted = false;
  int ch;
  while ((ch = fgetc(f)) != EOF && r < 64) {
    if (quoted) {
      if (ch == '"') {
        int next = fgetc(f);
        if (next == '"') field[len++] = '"';
        else {
          quoted = false;
          if (next != EOF) ungetc(next, f);
        }
      } else if (len + 1 < sizeof field) field[len++] = (char)ch;
      continue;
    }
    if (ch == '"') quoted = true;
    else if (ch == ',' || ch == '\n') {
      field[len] = '\0';
      if (c < 64) t->cell[r][c++] = strdup(field);
      len = 0;
      if (ch == '\n') {
        if (r == 0) t->cols = c;
        c = 0;
        r++;
      }
    } else if (len + 1 < sizeof field) field[len++] = (char)ch;
  }
  t->rows = r;
  fclose(f);
  return t;
}

static const char *cell(const table *t, const char *row, const char *col) {
  size_t cc = SIZE_MAX;
  for (size_t c = 0; c < t->cols; c++)
    if (!strcmp(t->cell[0][c], col)) cc = c;
  if (cc == SIZE_MAX) return NULL;
  for (size_t r = 1; r < t->rows; r++)
    if (!strcmp(t->cell[r][0], row)) return t->cell[r][cc];
  return NULL;
}

static const char *str(const table *t, const char *row, const char *col) {
  const char *s = cell(t, row, col);
  return s ? s : "<missing>";
}

static double num(const table *t, const char *row, const char *col) {
  const char *s = cell(t, row, col);
  if (!s) {
    char m[256];
    snprintf(m, sizeof m, "no cell %s / %s in comparison.csv", row, col);
    CU_FAIL(m);
    return NAN;
  }
  return *s ? strtod(s, NULL) : NAN;
}

static size_t row_index(const table *t, const char *row) {
  for (size_t r = 1; r < t->rows; r++)
    if (!strcmp(t->cell[r][0], row)) return r;
  return 0;
}

static bool md_contains(const char *dir, const char *needle) {
  char p[4400];
  snprintf(p, sizeof p, "%s/comparison.md", dir);
  FILE *f = fopen(p, "r");
  if (!f) return false;
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return strstr(buf, needle) != NULL;
}

/* ------------------------------------------------------- hand-made runs */
static const char *config_dt(const char *integrator, double dt) {
  static char buf[4][1024];
  static int k;
  char *b = buf[k++ % 4];
  snprintf(b, 1024,
           "name: conv\nmodel:\n  type: test_decay\n  d: 2\ninitial: {type: test_flat}\n"
           "integrator:\n  type: %s\n  dt: %.17g\ntime:\n  t_final: 1\n"
           "output:\n  dir: /somewhere/else\n  snapshots: true\n",
           integrator, dt);
  return b;
}

/* Variants dt = 0.1 / 2^k with e = 3 dt^2, a mass column that moves, one
 * failed variant (dt = 0.2) and one without summary (dt = 0.4), integrated by
 * the plugin named integrator. */
static const double step_dts[] = {0.1, 0.05, 0.025, 0.0125};
static const char *const step_names[] = {"dt=0.1", "dt=0.05", "dt=0.025", "dt=0.0125"};
static void make_step_run(const char *run, const char *integrator) {
  mkdir(run, 0777);
  write_file(run, ".kinlab-run", "kinlab run directory\n");
  for (int k = 0; k < 4; k++) {
    char r0[256], r1[256], r2[256];
    double dt = step_dts[k], e = 3 * dt * dt;
    snprintf(r0, sizeof r0, "0,0,%g,0,0,0,0,1,0", dt);
    snprintf(r1, sizeof r1, "0.5,5,%g,5,0,20,0.1,1.5,%.17g", dt, e / 2);
    snprintf(r2, sizeof r2, "1,10,%g,10,0,40,0.2,0.75,%.17g", dt, e);
    const char *rows[] = {r0, r1, r2};
    make_variant(run, step_names[k], config_dt(integrator, dt), "mass,l1_error", rows, 3,
                 "completed", "");
  }
  const char *bad_rows[] = {"0,0,0.2,0,0,0,0,1,0", "0.5,5,0.2,5,0,20,0.1,7,5"};
  make_variant(run, "dt=0.2", config_dt(integrator, 0.2), "mass,l1_error", bad_rows, 2,
               "numerical failure", "numerical blow-up: state entry 3 is NaN after step 7 at t = 0.7");
  make_variant(run, "dt=0.4", config_dt(integrator, 0.4), "mass,l1_error", bad_rows, 1, NULL, NULL);
}

/* The fixtures (tests/fixtures.c), whose test_euler declares dt a step size. */
static kl_registry *registry(void) {
  kl_registry *reg = kl_registry_new();
  kl_test_add_fixtures(reg);
  return reg;
}

/* The orders in integrator.dt, from test_euler's flag. */
static void test_step_orders(void) {
  char run[4400];
  snprintf(run, sizeof run, "%s/steps", base_dir);
  make_step_run(run, "test_euler");
  const char *const *names = step_names;
  kl_registry *reg = registry();
  kl_error err = {0, ""};
  int rc = kl_compare_run_dir_in(reg, run, NULL, NULL, NULL, &err);
  kl_registry_free(reg);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  table *t = read_csv(path_in(run, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_EQUAL(t->rows, 7); /* header + 6 variants */
  /* Only integrator.dt differs (output.dir and the rest are the same). */
  CU_ASSERT_STRING_EQUAL(t->cell[0][1], "status");
  CU_ASSERT_STRING_EQUAL(t->cell[0][2], "integrator.dt");
  CU_ASSERT_STRING_EQUAL(t->cell[0][3], "steps");
  /* Coarse to fine: dt = 0.4, 0.2, 0.1, ..., 0.0125. */
  CU_ASSERT_EQUAL(row_index(t, "dt=0.4"), 1);
  CU_ASSERT_EQUAL(row_index(t, "dt=0.2"), 2);
  CU_ASSERT_EQUAL(row_index(t, "dt=0.1"), 3);
  CU_ASSERT_EQUAL(row_index(t, "dt=0.0125"), 6);
  /* Drift: mass 1 -> 1.5 -> 0.75: |0.75 - 1| = 0.25, relative 0.25, max 0.5. */
  KL_ASSERT_CLOSE(num(t, "dt=0.05", "mass_drift"), 0.25, 1e-15);
  KL_ASSERT_CLOSE(num(t, "dt=0.05", "mass_rel_drift"), 0.25, 1e-15);
  KL_ASSERT_CLOSE(num(t, "dt=0.05", "mass_max_drift"), 0.5, 1e-15);
  /* Final errors, counters from summary.json (not from its "final" object). */
  KL_ASSERT_CLOSE(num(t, "dt=0.025", "l1_error"), 3 * 0.025 * 0.025, 1e-17);
  KL_ASSERT_CLOSE(num(t, "dt=0.025", "steps"), 40, 0);
  KL_ASSERT_CLOSE(num(t, "dt=0.025", "rhs_evals"), 160, 0);
  KL_ASSERT_CLOSE(num(t, "dt=0.025", "wall_s"), 0.5, 0);
  KL_ASSERT_CLOSE(num(t, "dt=0.025", "state_size"), 300, 0);
  /* e = 3 dt^2: every successive order and the fitted slope are 2 up to the
   * rounding of the logarithms (~1e-15 relative). */
  CU_ASSERT(isnan(num(t, "dt=0.1", "order_l1_error"))); /* first of the group */
  for (int k = 1; k < 4; k++) KL_ASSERT_CLOSE(num(t, names[k], "order_l1_error"), 2.0, 1e-12);
  for (int k = 0; k < 4; k++) KL_ASSERT_CLOSE(num(t, names[k], "fit_order_l1_error"), 2.0, 1e-12);
  /* Failed variants: listed with status and message, no error or order. */
  CU_ASSERT_STRING_EQUAL(str(t, "dt=0.2", "status"), "numerical failure");
  CU_ASSERT_PTR_NOT_NULL(strstr(str(t, "dt=0.2", "message"), "NaN after step 7"));
  CU_ASSERT(isnan(num(t, "dt=0.2", "l1_error")));
  CU_ASSERT(isnan(num(t, "dt=0.2", "order_l1_error")));
  CU_ASSERT_STRING_EQUAL(str(t, "dt=0.4", "status"), "failed");
  CU_ASSERT_PTR_NOT_NULL(strstr(str(t, "dt=0.4", "message"), "something went wrong"));
  table_free(t);
  CU_ASSERT(md_contains(run, "| dt=0.2 | 0.2 | numerical failure |"));
  CU_ASSERT(md_contains(run, "### In integrator.dt (size s = value)"));
  CU_ASSERT(md_contains(run, "2.000, 2.000, 2.000 | 2.000 |"));
  CU_ASSERT(md_contains(run, "- **dt=0.4**: failed: [error] something went wrong"));
  CU_ASSERT(!md_contains(run, "Keys without a resolution rule"));
}

/* A copy of fixture `base` named `name` with parameter table `params`, added
 * to reg (only the names and tables matter to compare; info must outlive reg). */
static void add_copy(kl_registry *reg, kl_plugin_info *info, const char *base, const char *name,
                     const kl_param_spec *params) {
  *info = *kl_registry_find(reg, base);
  info->name = name;
  info->params = params;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_registry_add(reg, info, "test", &err), KL_OK);
}

/* A particle model whose n is a count and whose mollifier plugins' eps is a
 * step size (tied to n in the run below: no study of its own). */
static const kl_param_spec count_model_params[] = {
    {"n", KL_PARAM_INT, "4", 0, 0, KL_PARAM_COUNT, NULL, "1", "particles"},
    {"mollifier", KL_PARAM_PLUGIN, NULL, 0, 0, KL_PARAM_OPTIONAL, "mollifier", NULL, "blob"},
    KL_PARAM_END};
static const kl_param_spec count_mollifier_params[] = {
    {"eps", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_STEP_SIZE, NULL, "1", "width"},
    KL_PARAM_END};

/* n x mollifier with eps tied to n: orders in n (size 1/n) per mollifier,
 * e = n^-1 for mol_a and 5 n^-2 for mol_b, and the fit over 3 points. */
static void test_count_orders_grouped(void) {
  char run[4400];
  snprintf(run, sizeof run, "%s/counts", base_dir);
  mkdir(run, 0777);
  const int ns[] = {10, 20, 40};
  const char *mols[] = {"mol_a", "mol_b"};
  for (int m = 0; m < 2; m++)
    for (int k = 0; k < 3; k++) {
      char name[64], cfg[1024], r0[128], r1[128];
      snprintf(name, sizeof name, "n=%d,mollifier=%s", ns[k], m ? "b" : "a");
      snprintf(cfg, sizeof cfg,
               "name: c\nmodel:\n  type: count_model\n  n: %d\n  mollifier:\n    type: %s\n"
               "    eps: %.17g\nintegrator: {type: test_euler, dt: 0.01}\n",
               ns[k], mols[m], 0.5 / ns[k]);
      double e = m == 0 ? 1.0 / ns[k] : 5.0 / (ns[k] * ns[k]);
      snprintf(r0, sizeof r0, "0,0,0.01,0,0,0,0,2,0,0");
      snprintf(r1, sizeof r1, "1,100,0.01,100,0,400,1,2,1e-3,%.17g", e);
      const char *rows[] = {r0, r1};
      make_variant(run, name, cfg, "energy,momentum_x,m4_error", rows, 2, "completed", "");
    }
  kl_registry *reg = registry();
  kl_plugin_info model, mol_a, mol_b;
  add_copy(reg, &model, "test_decay", "count_model", count_model_params);
  add_copy(reg, &mol_a, "test_flat", "mol_a", count_mollifier_params);
  add_copy(reg, &mol_b, "test_flat", "mol_b", count_mollifier_params);
  kl_error err = {0, ""};
  int rc = kl_compare_run_dir_in(reg, run, NULL, NULL, NULL, &err);
  kl_registry_free(reg);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  table *t = read_csv(path_in(run, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  /* model.n is the resolution; model.mollifier.eps is tied to it (no second
   * resolution key, so the order columns carry no @key suffix). */
  KL_ASSERT_CLOSE(num(t, "n=20,mollifier=a", "order_m4_error"), 1.0, 1e-12);
  KL_ASSERT_CLOSE(num(t, "n=40,mollifier=a", "order_m4_error"), 1.0, 1e-12);
  KL_ASSERT_CLOSE(num(t, "n=20,mollifier=b", "order_m4_error"), 2.0, 1e-12);
  KL_ASSERT_CLOSE(num(t, "n=10,mollifier=b", "fit_order_m4_error"), 2.0, 1e-12);
  KL_ASSERT_CLOSE(num(t, "n=10,mollifier=a", "fit_order_m4_error"), 1.0, 1e-12);
  /* momentum_x starts at 0: drift 1e-3, no relative drift. */
  KL_ASSERT_CLOSE(num(t, "n=10,mollifier=a", "momentum_x_drift"), 1e-3, 1e-18);
  CU_ASSERT(isnan(num(t, "n=10,mollifier=a", "momentum_x_rel_drift")));
  KL_ASSERT_CLOSE(num(t, "n=10,mollifier=a", "energy_drift"), 0, 0);
  /* Groups in order of appearance, coarse (small n) to fine. */
  CU_ASSERT_EQUAL(row_index(t, "n=10,mollifier=a"), 1);
  CU_ASSERT_EQUAL(row_index(t, "n=40,mollifier=a"), 3);
  CU_ASSERT_EQUAL(row_index(t, "n=10,mollifier=b"), 4);
  table_free(t);
  CU_ASSERT(md_contains(run, "### In model.n (size s = 1 / value)"));
  CU_ASSERT(!md_contains(run, "### In model.mollifier.eps"));
  CU_ASSERT(md_contains(run, "| model.mollifier.type=mol_b | m4_error | 10, 20, 40 |"));
  CU_ASSERT(!md_contains(run, "Keys without a resolution rule"));
}

/* A *_exact column (an exact solution's value, which changes with t) is no
 * drift: comparison.csv and .md report its value at the final time. */
static void test_exact_columns(void) {
  char run[4400];
  snprintf(run, sizeof run, "%s/exact", base_dir);
  mkdir(run, 0777);
  write_file(run, ".kinlab-run", "kinlab run directory\n");
  for (int k = 0; k < 2; k++) {
    const char *rows[] = {"0,0,0.1,0,0,0,0,1,2,0", "1,10,0.1,10,0,40,0.2,1.25,1.5,0.01"};
    make_variant(run, step_names[k], config_dt("test_euler", step_dts[k]), "mass,m4_exact,m4_error",
                 rows, 2, "completed", "");
  }
  kl_registry *reg = registry();
  kl_error err = {0, ""};
  int rc = kl_compare_run_dir_in(reg, run, NULL, NULL, NULL, &err);
  kl_registry_free(reg);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  table *t = read_csv(path_in(run, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  KL_ASSERT_CLOSE(num(t, "dt=0.1", "m4_exact"), 1.5, 0);
  KL_ASSERT_CLOSE(num(t, "dt=0.05", "m4_exact"), 1.5, 0);
  CU_ASSERT_PTR_NULL(cell(t, "dt=0.1", "m4_exact_drift"));
  CU_ASSERT_PTR_NULL(cell(t, "dt=0.1", "m4_exact_rel_drift"));
  CU_ASSERT_PTR_NULL(cell(t, "dt=0.1", "m4_exact_max_drift"));
  KL_ASSERT_CLOSE(num(t, "dt=0.1", "mass_drift"), 0.25, 0); /* other columns still drift */
  table_free(t);
  CU_ASSERT(md_contains(run, "## Exact values at the final time"));
  CU_ASSERT(md_contains(run, "| run | mass |\n"));  /* not in the drift table */
  CU_ASSERT(md_contains(run, "| run | m4_exact |\n"));
  CU_ASSERT(md_contains(run, "| dt=0.1 | 1.5 |\n"));
}

/* A key whose plugin is not in the registry, or whose plugin does not have
 * it, has no rule: no orders, comparison.md says why; --by gives the rule. */
static void test_unknown_resolution(void) {
  char run[4400];
  snprintf(run, sizeof run, "%s/unknown", base_dir);
  make_step_run(run, "no_such_integrator");
  kl_registry *reg = registry();
  kl_error err = {0, ""};
  int rc = kl_compare_run_dir_in(reg, run, NULL, NULL, NULL, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT(md_contains(run, "- resolution of integrator.dt unknown: plugin 'no_such_integrator' "
                             "not found; use --by integrator.dt:step|count\n"));
  CU_ASSERT(!md_contains(run, "### In integrator.dt"));
  table *t = read_csv(path_in(run, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_PTR_NULL(cell(t, "dt=0.05", "order_l1_error")); /* no order columns */
  KL_ASSERT_CLOSE(num(t, "dt=0.025", "l1_error"), 3 * 0.025 * 0.025, 1e-17);
  table_free(t);
  /* --by KEY:step: the orders 2 of e = 3 dt^2; :count takes s = 1/dt, so
   * coarse to fine is dt increasing and the orders are -2. */
  static const struct { const char *rule; double order; int coarsest; } by[] = {
      {"step", 2.0, 0}, {NULL, 2.0, 0} /* an explicit key without rule: step */,
      {"count", -2.0, 3}};
  for (size_t b = 0; b < sizeof by / sizeof *by; b++) {
    rc = kl_compare_run_dir_in(reg, run, "integrator.dt", by[b].rule, NULL, &err);
    if (rc) fprintf(stderr, "\n%s\n", err.message);
    CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
    CU_ASSERT(!md_contains(run, "Keys without a resolution rule"));
    t = read_csv(path_in(run, "comparison.csv"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (int k = 0; k < 4; k++) {
      double order = num(t, step_names[k], "order_l1_error");
      if (k == by[b].coarsest) {
        CU_ASSERT(isnan(order)); /* first of the group */
      } else {
        KL_ASSERT_CLOSE(order, by[b].order, 1e-12);
      }
      KL_ASSERT_CLOSE(num(t, step_names[k], "fit_order_l1_error"), by[b].order, 1e-12);
    }
    table_free(t);
  }
  /* The plugin is there but has no such parameter (another version of it). */
  snprintf(run, sizeof run, "%s/unknown_param", base_dir);
  mkdir(run, 0777);
  const char *rows[] = {"0,0,0.1,0,0,0,0,1"};
  make_variant(run, "a", "model: {type: test_decay}\nintegrator: {type: test_euler, h: 0.1}\n", "m",
               rows, 1, "completed", "");
  make_variant(run, "b", "model: {type: test_decay}\nintegrator: {type: test_euler, h: 0.2}\n", "m",
               rows, 1, "completed", "");
  CU_ASSERT_EQUAL(kl_compare_run_dir_in(reg, run, NULL, NULL, NULL, &err), KL_OK);
  CU_ASSERT(md_contains(run, "- resolution of integrator.h unknown: plugin 'test_euler' has no "
                             "parameter 'h'; use --by integrator.h:step|count\n"));
  /* A known count n; a mollifier that is not in the registry, with eps tied
   * to n (part of the study in n: not named) and w varying on its own (named). */
  kl_plugin_info model;
  add_copy(reg, &model, "test_decay", "count_model", count_model_params);
  snprintf(run, sizeof run, "%s/unknown_nested", base_dir);
  mkdir(run, 0777);
  for (int n = 10; n <= 20; n += 10)
    for (int w = 1; w <= 2; w++) {
      char name[64], cfg[512], r1[128];
      snprintf(name, sizeof name, "n=%d,w=%d", n, w);
      snprintf(cfg, sizeof cfg, "model:\n  type: count_model\n  n: %d\n  mollifier:\n"
                                "    type: mol_x\n    eps: %.17g\n    w: %d\n"
                                "integrator: {type: test_euler, dt: 0.1}\n", n, 0.5 / n, w);
      snprintf(r1, sizeof r1, "1,10,0.1,10,0,40,0.2,%.17g", (double)w / n);
      const char *nrows[] = {"0,0,0.1,0,0,0,0,0", r1};
      make_variant(run, name, cfg, "x_error", nrows, 2, "completed", "");
    }
  CU_ASSERT_EQUAL(kl_compare_run_dir_in(reg, run, NULL, NULL, NULL, &err), KL_OK);
  CU_ASSERT(md_contains(run, "### In model.n (size s = 1 / value)"));
  CU_ASSERT(md_contains(run, "- resolution of model.mollifier.w unknown: plugin 'mol_x' not "
                             "found; use --by model.mollifier.w:step|count\n"));
  CU_ASSERT(!md_contains(run, "resolution of model.mollifier.eps"));
  t = read_csv(path_in(run, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  KL_ASSERT_CLOSE(num(t, "n=20,w=2", "order_x_error"), 1.0, 1e-12); /* e = w / n */
  table_free(t);
  kl_registry_free(reg);
}

static void test_not_a_run_dir(void) {
  char *dir = path_in(base_dir, "empty");
  mkdir(dir, 0777);
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_compare_run_dir(dir, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not a kinlab run directory"));
  CU_ASSERT_EQUAL(kl_compare_run_dir(path_in(base_dir, "missing"), &err), KL_EIO);
}

/* ------------------------------------------------ end to end, in-test plugins */

/* Forward Euler's error at t = 1 for y' = -y, y(0) = 1, with step dt = 1/k. */
static double euler_error(double dt) { return fabs(pow(1 - dt, round(1 / dt)) - exp(-1.0)); }

static void test_end_to_end(void) {
  const char *text =
      "name: e2e\n"
      "model: {type: test_decay, d: 1}\n"
      "initial: {type: test_flat}\n"
      "integrator: {type: test_euler, dt: 0.01}\n"
      "diagnostics: [{type: test_exact}]\n"
      "time: {t_final: 1, output_every: 0.5}\n"
      "variants:\n"
      "  - {name: coarse, set: {integrator.dt: 0.05}}\n"
      "  - {name: medium, set: {integrator.dt: 0.025}}\n"
      "  - {name: fine, set: {integrator.dt: 0.0125}}\n"
      "  - {name: blowup, set: {integrator.dt: 0.005, model.blowup: true}}\n";
  char dir[4400];
  snprintf(dir, sizeof dir, "%s/e2e", base_dir);
  kl_registry *reg = registry();
  kl_experiment *exp = NULL;
  kl_error err = {0, ""};
  int rc = kl_experiment_load_string(text, "e2e.yaml", NULL, 0, reg, &exp, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  kl_run_options opt = {sizeof opt, dir, false, true, NULL, 0, 1};
  rc = kl_experiment_run(exp, reg, &opt, &err);
  CU_ASSERT_EQUAL(rc, KL_ENUMERIC); /* the blowup variant; the others completed */
  kl_experiment_free(exp);
  rc = kl_compare_run_dir_in(reg, dir, NULL, NULL, NULL, &err);
  kl_registry_free(reg);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  table *t = read_csv(path_in(dir, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_EQUAL(t->rows, 5);
  CU_ASSERT_STRING_EQUAL(str(t, "fine", "status"), "completed");
  CU_ASSERT_STRING_EQUAL(str(t, "blowup", "status"), "numerical failure");
  CU_ASSERT_PTR_NOT_NULL(strstr(str(t, "blowup", "message"), "blow-up"));
  /* Both integrator.dt and model.blowup differ; only dt is a resolution key. */
  CU_ASSERT_PTR_NOT_NULL(cell(t, "fine", "integrator.dt"));
  CU_ASSERT_STRING_EQUAL(str(t, "blowup", "model.blowup"), "true");
  /* Groups (here by model.blowup) in the natural order of the names, coarse to
   * fine inside a group. */
  CU_ASSERT_EQUAL(row_index(t, "blowup"), 1);
  CU_ASSERT_EQUAL(row_index(t, "coarse"), 2);
  CU_ASSERT_EQUAL(row_index(t, "fine"), 4);
  /* Errors and orders against forward Euler's closed form (1 - dt)^(1/dt):
   * the run's y0 differs from it by rounding only (~1e-16 on errors ~ 1e-3,
   * i.e. ~1e-13 relative, hence 1e-10 on the orders). */
  KL_ASSERT_CLOSE(num(t, "fine", "y0_error"), euler_error(0.0125), 1e-14);
  double p_mc = log(euler_error(0.025) / euler_error(0.0125)) / log(2.0);
  double p_cm = log(euler_error(0.05) / euler_error(0.025)) / log(2.0);
  KL_ASSERT_CLOSE(num(t, "fine", "order_y0_error"), p_mc, 1e-10);
  KL_ASSERT_CLOSE(num(t, "medium", "order_y0_error"), p_cm, 1e-10);
  /* Euler is first order: observed orders 1 - O(dt). */
  KL_ASSERT_CLOSE(num(t, "fine", "order_y0_error"), 1.0, 0.02);
  KL_ASSERT_CLOSE(num(t, "coarse", "fit_order_y0_error"), 1.0, 0.05);
  CU_ASSERT(isnan(num(t, "blowup", "order_y0_error")));
  /* The model's invariant sum = y0 + y1 + y2 = 6 e^{-t} in exact arithmetic; Euler's
   * 6 (1 - dt)^(1/dt) at t = 1. */
  KL_ASSERT_CLOSE(num(t, "fine", "sum_drift"), 6 - 6 * pow(1 - 0.0125, 80), 1e-13);
  KL_ASSERT_CLOSE(num(t, "fine", "sum_max_drift"), 6 - 6 * pow(1 - 0.0125, 80), 1e-13);
  KL_ASSERT_CLOSE(num(t, "fine", "particles"), 3, 0);
  KL_ASSERT_CLOSE(num(t, "fine", "steps"), 80, 0);
  CU_ASSERT(num(t, "fine", "cpu_s") >= 0); /* from summary.json, next to wall_s */
  table_free(t);
  /* Compare on a single variant directory works too. */
  CU_ASSERT_EQUAL(kl_compare_run_dir(path_in(dir, "fine"), &err), KL_OK);
  t = read_csv(path_in(path_in(dir, "fine"), "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_EQUAL(t->rows, 2);
  KL_ASSERT_CLOSE(num(t, "fine", "y0_error"), euler_error(0.0125), 1e-14);
  table_free(t);
}

/* summary.json as the run wrote it (test_end_to_end's "fine") read back by
 * the reader next to its writer (run/summary.c): the same member names. */
static void test_summary_round_trip(void) {
  char path[4400];
  snprintf(path, sizeof path, "%s/e2e/fine/summary.json", base_dir);
  kl_summary s;
  kl_error err = {0, ""};
  int rc = kl_summary_read(path, &s, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT(kl_summary_completed(&s));
  CU_ASSERT_STRING_EQUAL(s.status, "completed");
  CU_ASSERT_STRING_EQUAL(s.message, "");
  CU_ASSERT_STRING_EQUAL(s.variant, "fine");
  KL_ASSERT_CLOSE(s.steps, 80, 0);
  KL_ASSERT_CLOSE(s.rejected, 0, 0);
  KL_ASSERT_CLOSE(s.outputs, 3, 0); /* t = 0, 0.5, 1 */
  KL_ASSERT_CLOSE(s.t, 1, 0);
  CU_ASSERT(s.wall_s >= 0);
  /* CPU time of this variant alone (run in-process after "coarse" and
   * "medium"): present, and no more than every core busy for its wall time
   * (+ 10 ms: getrusage and the clock tick at different times). */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  CU_ASSERT(s.cpu_s >= 0);
  CU_ASSERT(s.cpu_s <= s.wall_s * (double)(cores > 0 ? cores : 1) + 0.01);
  CU_ASSERT_EQUAL(s.n_invariants, 2); /* test_decay's y0 and sum */
  if (s.n_invariants == 2) {
    CU_ASSERT_STRING_EQUAL(s.invariants[0], "y0");
    CU_ASSERT_STRING_EQUAL(s.invariants[1], "sum");
  }
  bool has_error = false;
  for (size_t i = 0; i < s.n_final; i++)
    if (!strcmp(s.final_names[i], "y0_error")) {
      has_error = true;
      KL_ASSERT_CLOSE(s.final_values[i], euler_error(0.0125), 1e-14);
    }
  CU_ASSERT(has_error);
  kl_summary_free(&s);
  /* A failed variant's summary reads, and is not completed. */
  snprintf(path, sizeof path, "%s/e2e/blowup/summary.json", base_dir);
  CU_ASSERT_EQUAL_FATAL(kl_summary_read(path, &s, &err), KL_OK);
  CU_ASSERT(!kl_summary_completed(&s));
  CU_ASSERT_STRING_EQUAL(s.status, "numerical failure");
  kl_summary_free(&s);
}

/* ------------------------------------------------ the strict JSON parser */
static int parse_json(const char *text, kl_json **out, kl_error *err) {
  return kl_json_parse(text, strlen(text), "s.json", out, err);
}

/* Each text must fail with KL_EINVAL and a message containing the piece. */
static void test_json_rejects(void) {
  static const struct { const char *text, *piece; } cases[] = {
      {"{\"a\": 1} x", "s.json:1:10: expected the end of the file after the JSON value, found 'x'"},
      {"{\"a\": 1}{}", "s.json:1:9: expected the end"},
      {"{\"a\": \"\\q\"}", "s.json:1:8: bad escape \\q"},
      {"{\"a\": \"\\u12g4\"}", "bad \\u escape: expected 4 hexadecimal digits, found 'g'"},
      {"{\"a\": \"\\udc00\"}", "low surrogate"},
      {"{\"a\": \"\\ud800x\"}", "not followed by a low one"},
      {"{\"a\": \"\\u0000\"}", "NUL characters are not allowed"},
      {"{\"a\": 1,\n \"a\": 2}", "s.json:2:2: duplicate member \"a\" (first value at 1:7)"},
      {"{\"a\": 1e999}", "s.json:1:7: number 1e999 is not a finite double"},
      {"{\"a\": -1e400}", "is not a finite double"},
      {"{\"a\": NaN}", "(NaN and Infinity are not JSON: write null)"},
      {"{\"a\": Infinity}", "(NaN and Infinity are not JSON"},
      {"{\"a\": 01}", "expected ',' or '}', found '1'"},
      {"{\"a\": 1.}", "expected a digit after the decimal point"},
      {"{\"a\": .5}", "expected a JSON value"},
      {"{\"a\": 1e}", "expected a digit in the exponent"},
      {"{\"a\": -}", "expected a digit, found '}'"},
      {"{\"a\": +1}", "expected a JSON value"},
      {"{\"a\": [1, 2,]}", "trailing comma before ']'"},
      {"{\"a\": 1,}", "trailing comma before '}'"},
      {"{a: 1}", "expected a member name in double quotes, found 'a'"},
      {"{\"a\" 1}", "expected ':' after member \"a\""},
      {"{\"a\": \"x", "unterminated string"},
      {"{\"a\": \"x\ty\"}", "control character 0x09"},
      {"{\"a\": tru}", "expected a JSON value"},
      {"{\"a\": truex}", "expected a JSON value"},
      {"", "s.json:1:1: expected a value, found end of file"},
      {"{\"a\": [", "expected a value, found end of file"},
      {"  \n\n  {\"a\": [1 2]}", "s.json:3:12: expected ',' or ']', found '2'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    kl_json *v = (kl_json *)1;
    kl_error err = {0, ""};
    int rc = parse_json(cases[i].text, &v, &err);
    CU_ASSERT_EQUAL(rc, KL_EINVAL);
    CU_ASSERT_PTR_NULL(v);
    if (!strstr(err.message, cases[i].piece)) {
      fprintf(stderr, "\ncase %zu %s: got \"%s\", want \"%s\"\n", i, cases[i].text, err.message,
              cases[i].piece);
      CU_FAIL("message");
    }
  }
  /* A NUL byte inside the given length. */
  kl_json *v = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_json_parse("{\"a\":\n 1\0}", 10, "s.json", &v, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "s.json:2:3: NUL byte"));
}

/* Nesting: KL_JSON_MAX_DEPTH levels parse, one more is refused (and 100 000
 * levels do not overflow the stack). */
static void test_json_depth(void) {
  char text[2 * KL_JSON_MAX_DEPTH + 3];
  for (int extra = 0; extra <= 1; extra++) {
    int d = KL_JSON_MAX_DEPTH + extra;
    memset(text, '[', (size_t)d);
    memset(text + d, ']', (size_t)d);
    text[2 * d] = '\0';
    kl_json *v = NULL;
    kl_error err = {0, ""};
    int rc = parse_json(text, &v, &err);
    CU_ASSERT_EQUAL(rc, extra ? KL_EINVAL : KL_OK);
    if (extra) CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "nested deeper than 32 levels"));
    kl_json_free(v);
  }
  size_t n = 100000;
  char *deep = malloc(n + 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(deep);
  memset(deep, '{', n);
  deep[n] = '\0';
  kl_json *v = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_json_parse(deep, n, "deep.json", &v, &err), KL_EINVAL);
  free(deep);
}

/* What is accepted is decoded exactly: escapes, surrogate pairs, numbers,
 * literals, positions. */
static void test_json_accepts(void) {
  const char *text = "{\n  \"s\": \"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\",\n"
                     "  \"n\": [0, -0.5, 1e-3, 12E+2, 123456789012345678],\n"
                     "  \"o\": {\"t\": true, \"f\": false, \"z\": null, \"e\": {}, \"l\": []}\n}\n";
  kl_json *v = NULL;
  kl_error err = {0, ""};
  int rc = parse_json(text, &v, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  const kl_json *s = kl_json_get(v, "s"), *n = kl_json_get(v, "n"), *o = kl_json_get(v, "o");
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(o);
  CU_ASSERT_STRING_EQUAL(s->string, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
  CU_ASSERT_EQUAL(s->line, 2);
  CU_ASSERT_EQUAL(s->col, 8);
  CU_ASSERT_EQUAL(n->type, KL_JSON_ARRAY);
  CU_ASSERT_EQUAL_FATAL(n->n, 5);
  CU_ASSERT_EQUAL(n->items[1].number, -0.5);
  CU_ASSERT_EQUAL(n->items[2].number, 1e-3);
  CU_ASSERT_EQUAL(n->items[3].number, 1200);
  CU_ASSERT_EQUAL(n->items[4].number, 123456789012345678.0);
  CU_ASSERT_EQUAL(kl_json_get(o, "t")->type, KL_JSON_BOOL);
  CU_ASSERT(kl_json_get(o, "t")->boolean);
  CU_ASSERT(!kl_json_get(o, "f")->boolean);
  CU_ASSERT_EQUAL(kl_json_get(o, "z")->type, KL_JSON_NULL);
  CU_ASSERT_EQUAL(kl_json_get(o, "e")->type, KL_JSON_OBJECT);
  CU_ASSERT_EQUAL(kl_json_get(o, "l")->n, 0);
  CU_ASSERT_PTR_NULL(kl_json_get(v, "missing"));
  kl_json_free(v);
}

/* ------------------------------------------ malformed run directories */
/* A good single run, then one defect at a time: compare must fail with the
 * status and a message naming the file, line and column. */
static void good_run(const char *dir) {
  char cmd[4600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
  mkdir(dir, 0777);
  write_file(dir, "config.resolved.yaml",
             "name: r\nmodel: {type: m, n: 4}\nintegrator: {type: rk4, dt: 0.5}\n");
  write_file(dir, "timeseries.csv",
             "t,step,dt,accepted,rejected,rhs_evals,wall_s,mass,l1_error\n"
             "0,0,0.5,0,0,0,0,1,nan\n0.5,1,0.5,1,0,4,0.25,1,-nan\n1,2,0.5,2,0,8,0.5,inf,0.25\n");
  write_file(dir, "summary.json",
             "{\"status\": \"completed\", \"message\": \"\", \"state_size\": 8, \"steps\": 2,\n"
             " \"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": null, \"t_start\": 0, \"t\": 1,\n"
             " \"t_final\": 1, \"outputs\": 3, \"invariants\": [\"mass\"], \"final\": {\"t\": 1, "
             "\"mass\": null}, \"future_member\": [1, {\"x\": 2}]}\n");
}

static void test_malformed_run_dirs(void) {
  static const struct { const char *file, *text, *status_piece; int code; } cases[] = {
      {"summary.json", "{\"status\": \"completed\"} trailing", "summary.json:1:25: expected the end", KL_EINVAL},
      {"summary.json", "{\"status\": \"done\", \"message\": \"\", \"state_size\": 8, \"steps\": 2, "
                       "\"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": 1}",
       "summary.json:1:12: member \"status\": expected \"completed\" or a kinlab failure", KL_EINVAL},
      {"summary.json", "{\"status\": \"completed\", \"message\": \"\", \"state_size\": -8, \"steps\": 2, "
                       "\"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": 1}",
       "summary.json:1:54: member \"state_size\": expected a non-negative integer, found -8", KL_EINVAL},
      {"summary.json", "{\"status\": \"completed\", \"message\": \"\", \"state_size\": 8, \"steps\": 2, "
                       "\"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": \"1\"}",
       "member \"wall_s\": expected a number or null, found a string", KL_EINVAL},
      {"summary.json", "{\"status\": \"completed\", \"message\": \"\", \"steps\": 2, "
                       "\"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": 1}",
       "summary.json: no member \"state_size\" (expected a non-negative integer)", KL_EINVAL},
      {"summary.json", "[1]", "summary.json:1:1: expected a JSON object {...}, found a list", KL_EINVAL},
      {"summary.json", "{\"status\": \"completed\", \"message\": \"\", \"state_size\": 8, \"steps\": 2, "
                       "\"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": 1, \"outputs\": 4}",
       "timeseries.csv: 3 data rows, but summary.json records outputs = 4", KL_EINVAL},
      {"summary.json", "{\"status\": \"completed\", \"message\": \"\", \"state_size\": 8, \"steps\": 2, "
                       "\"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": 1, \"t\": 0.75}",
       "the last row is at t = 1, but summary.json records t = 0.75", KL_EINVAL},
      {"summary.json", "{\"status\": \"completed\", \"message\": \"\", \"state_size\": 8, \"steps\": 2, "
                       "\"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": 1, \"invariants\": [\"a\", 1]}",
       "member \"invariants\": expected a list of strings", KL_EINVAL},
      {"timeseries.csv", "", "timeseries.csv: empty file (expected a header line t,step,dt,", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall,mass\n",
       "timeseries.csv:1:39: column 7: expected 'wall_s'", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m,m\n0,0,1,0,0,0,0,1,1\n",
       "timeseries.csv:1:48: column 9: expected a new column name without spaces or quotes, found "
       "'m' a second time", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n1,1,1,1,0,1,0\n",
       "timeseries.csv:3: 7 fields, expected 8 as in the header", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n1,1,1,1,0,1,0,1,2\n",
       "timeseries.csv:3:17: 9 fields, expected 8", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n1,1,1,1,0,1,0,1e5x\n",
       "timeseries.csv:3:15: field 8 (m): expected a number (or nan, -nan, inf, -inf), found '1e5x'", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n1,1,1,1,0,1,0,NaN\n",
       "field 8 (m): expected a number (or nan", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1e309\n",
       "timeseries.csv:2:15: field 8 (m): expected a number within the range of a double, found '1e309'", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n1,1,1,1,0,1,0,1\n1,2,1,2,0,2,0,1\n",
       "timeseries.csv:4:1: field 1 (t): expected a time after the previous row's (times must increase), found 1", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\nnan,0,1,0,0,0,0,1\n",
       "timeseries.csv:2:1: field 1 (t): expected a finite number, found nan", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0.5,1,0,0,0,0,1\n",
       "timeseries.csv:2:3: field 2 (step): expected a non-negative integer, found 0.5", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,0,0,0,0,0,1\n",
       "field 3 (dt): expected a positive step size, found 0", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n\n",
       "timeseries.csv:3:1: field 1 (t): expected a number", KL_EINVAL},
      {"timeseries.csv", "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n1,1,1,1,0,1,0,1",
       "timeseries.csv:3: the last line has no newline (a truncated row)", KL_EINVAL},
      {"config.resolved.yaml", "model: {type: m, n: .nan}\nintegrator: {type: rk4}\n",
       "config.resolved.yaml:1:21: key model.n: expected a finite number, found .nan", KL_EINVAL},
      {"config.resolved.yaml", "model: {type: m, n: 1e999}\nintegrator: {type: rk4}\n",
       "config.resolved.yaml:1:21: key model.n: expected a finite number, found 1e999", KL_EINVAL},
      {"config.resolved.yaml", "model: {type: m}\nintegrator: [rk4]\n",
       "config.resolved.yaml:2:13: key integrator: expected a mapping", KL_EINVAL},
      {"config.resolved.yaml", "model: {type: m\n", "config.resolved.yaml:2:1: YAML syntax error", KL_EINVAL},
      {"snapshots.h5", "not HDF5", "snapshots.h5: not a readable HDF5 file", KL_EINVAL},
  };
  char dir[4400];
  snprintf(dir, sizeof dir, "%s/malformed", base_dir);
  good_run(dir);
  kl_error err = {0, ""};
  int rc = kl_compare_run_dir(dir, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK); /* the control: nan, -nan and inf are accepted */
  table *t = read_csv(path_in(dir, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  KL_ASSERT_CLOSE(num(t, "malformed", "l1_error"), 0.25, 0);
  CU_ASSERT_STRING_EQUAL(str(t, "malformed", "wall_s"), "");
  table_free(t);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    good_run(dir);
    write_file(dir, cases[i].file, cases[i].text);
    rc = kl_compare_run_dir(dir, &err);
    CU_ASSERT_EQUAL(rc, cases[i].code);
    if (rc != cases[i].code || !strstr(err.message, cases[i].status_piece)) {
      fprintf(stderr, "\ncase %zu (%s): rc %d \"%s\", want \"%s\"\n", i, cases[i].file, rc,
              err.message, cases[i].status_piece);
      CU_FAIL("message");
    }
  }
  /* A variant that failed while writing may end in a cut row: it is left out. */
  good_run(dir);
  write_file(dir, "summary.json",
             "{\"status\": \"input/output error\", \"message\": \"disk full\", \"state_size\": 8, "
             "\"steps\": 2, \"rejected\": 0, \"rhs_evals\": 8, \"wall_s\": 1}");
  write_file(dir, "timeseries.csv",
             "t,step,dt,accepted,rejected,rhs_evals,wall_s,m\n0,0,1,0,0,0,0,1\n1,1,1,1,0,1,0,1.");
  CU_ASSERT_EQUAL(kl_compare_run_dir(dir, &err), KL_OK);
  /* A run file that is not a regular file cannot be read: KL_EIO. */
  good_run(dir);
  CU_ASSERT_EQUAL(unlink(path_in(dir, "summary.json")), 0);
  mkdir(path_in(dir, "summary.json"), 0777);
  CU_ASSERT_EQUAL(kl_compare_run_dir(dir, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "summary.json: not a regular file"));
  /* A variant directory whose only run file is not a regular file is read
   * (and refused, naming it), not silently left out of the comparison. */
  char multi[4400];
  snprintf(multi, sizeof multi, "%s/malformed_variants", base_dir);
  mkdir(multi, 0777);
  good_run(path_in(multi, "a"));
  mkdir(path_in(multi, "b"), 0777);
  mkdir(path_in(path_in(multi, "b"), "summary.json"), 0777);
  CU_ASSERT_EQUAL(kl_compare_run_dir(multi, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "b/summary.json: not a regular file"));
  /* A completed run without its time series contradicts itself. */
  good_run(dir);
  CU_ASSERT_EQUAL(unlink(path_in(dir, "timeseries.csv")), 0);
  CU_ASSERT_EQUAL(kl_compare_run_dir(dir, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "says the run completed, but"));
}

/* --by with a key that is not a positive number in every variant. */
static void test_by_not_numeric(void) {
  char run[4400];
  snprintf(run, sizeof run, "%s/by", base_dir);
  mkdir(run, 0777);
  const char *rows[] = {"0,0,0.1,0,0,0,0,1"};
  make_variant(run, "a", "model: {type: m, k: 1}\nintegrator: {type: rk4, dt: 0.1}\n", "m", rows, 1,
               "completed", "");
  make_variant(run, "b", "model: {type: m, k: x}\nintegrator: {type: rk4, dt: 0.1}\n", "m", rows, 1,
               "completed", "");
  kl_error err = {0, ""};
  bool bad_by = false;
  CU_ASSERT_EQUAL(kl_compare_run_dir_by(run, "model.k", "count", &bad_by, &err), KL_EINVAL);
  CU_ASSERT(bad_by);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "--by model.k: variant 'b' has model.k = x"));
  bad_by = false;
  CU_ASSERT_EQUAL(kl_compare_run_dir_by(run, "model.j", NULL, &bad_by, &err), KL_EINVAL);
  CU_ASSERT(bad_by);
  /* Without --by the run compares (model.k is not a resolution key). */
  CU_ASSERT_EQUAL(kl_compare_run_dir_by(run, NULL, NULL, &bad_by, &err), KL_OK);
  CU_ASSERT(!bad_by);
}

/* ------------------------------------- resolution keys from the parameter flags */
/* A model whose "n" declares nothing and whose "k" is a count, with a nested
 * plugin whose "w" is a step size and whose "eps" declares nothing: the flags
 * decide, not the names (the name guess would pick n and eps). */
static const kl_param_spec flag_inner_params[] = {
    {"w", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_STEP_SIZE, NULL, "1", "a step size"},
    {"eps", KL_PARAM_REAL, "1", 0, 0, 0, NULL, "1", "not a resolution, whatever its name"},
    KL_PARAM_END};
static const kl_param_spec flag_model_params[] = {
    {"n", KL_PARAM_INT, "1", 0, 0, 0, NULL, "1", "not a resolution, whatever its name"},
    {"k", KL_PARAM_INT, "1", 0, 0, KL_PARAM_COUNT, NULL, "1", "a count"},
    {"inner", KL_PARAM_PLUGIN, NULL, 0, 0, KL_PARAM_OPTIONAL, "mollifier", NULL, "nested"},
    KL_PARAM_END};

/* The fixtures plus "flag_model" and "flag_inner" (copies of fixtures with the
 * tables above). */
static kl_registry *flag_registry(kl_plugin_info *model, kl_plugin_info *inner) {
  kl_registry *reg = registry();
  add_copy(reg, model, "test_decay", "flag_model", flag_model_params);
  add_copy(reg, inner, "test_flat", "flag_inner", flag_inner_params);
  return reg;
}

static void test_flags_decide(void) {
  kl_plugin_info model, inner;
  kl_registry *reg = flag_registry(&model, &inner);
  char run[4400], run2[4400];
  snprintf(run, sizeof run, "%s/flags", base_dir);
  snprintf(run2, sizeof run2, "%s/flags_nested", base_dir);
  mkdir(run, 0777);
  mkdir(run2, 0777);
  for (int n = 1; n <= 2; n++)
    for (int k = 10; k <= 20; k += 10) {
      /* e = 1/k in model.k; e = 3 w^2 in model.inner.w */
      double w = k == 10 ? 0.1 : 0.05;
      char name[64], cfg[512], r0[128], r1[128];
      snprintf(r0, sizeof r0, "0,0,0.1,0,0,0,0,0");
      snprintf(name, sizeof name, "n=%d,k=%d", n, k);
      snprintf(cfg, sizeof cfg, "model:\n  type: flag_model\n  n: %d\n  k: %d\n"
                                "integrator: {type: test_euler, dt: 0.1}\n", n, k);
      snprintf(r1, sizeof r1, "1,10,0.1,10,0,40,0.2,%.17g", 1.0 / k);
      const char *rows[] = {r0, r1};
      make_variant(run, name, cfg, "x_error", rows, 2, "completed", "");
      snprintf(name, sizeof name, "eps=%d,w=%g", n, w);
      snprintf(cfg, sizeof cfg, "model:\n  type: flag_model\n  inner:\n    type: flag_inner\n"
                                "    w: %.17g\n    eps: %d\n"
                                "integrator: {type: test_euler, dt: 0.1}\n", w, n);
      snprintf(r1, sizeof r1, "1,10,0.1,10,0,40,0.2,%.17g", 3 * w * w);
      make_variant(run2, name, cfg, "x_error", rows, 2, "completed", "");
    }
  kl_error err = {0, ""};
  int rc = kl_compare_run_dir_in(reg, run, NULL, NULL, NULL, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT(md_contains(run, "### In model.k (size s = 1 / value)"));
  CU_ASSERT(!md_contains(run, "### In model.n "));
  table *t = read_csv(path_in(run, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  KL_ASSERT_CLOSE(num(t, "n=2,k=20", "order_x_error"), 1.0, 1e-12);
  table_free(t);
  rc = kl_compare_run_dir_in(reg, run2, NULL, NULL, NULL, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT(md_contains(run2, "### In model.inner.w (size s = value)"));
  CU_ASSERT(!md_contains(run2, "### In model.inner.eps "));
  t = read_csv(path_in(run2, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  KL_ASSERT_CLOSE(num(t, "eps=1,w=0.05", "order_x_error"), 2.0, 1e-12);
  table_free(t);
  kl_registry_free(reg);
}

/* The loader refuses both flags on one parameter, or a flag on a non-number. */
static void test_flags_checked(void) {
  static const kl_param_spec both[] = {
      {"bad", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_STEP_SIZE | KL_PARAM_COUNT, NULL, "1", "both"},
      KL_PARAM_END};
  static const kl_param_spec text[] = {
      {"label", KL_PARAM_STRING, "a", 0, 0, KL_PARAM_COUNT, NULL, "1", "not a number"},
      KL_PARAM_END};
  static const kl_param_spec list[] = {
      {"nv", KL_PARAM_REAL_LIST, "[1]", 0, 0, KL_PARAM_COUNT, NULL, "1", "counts"},
      KL_PARAM_END};
  kl_registry *reg = registry();
  kl_plugin_info info = *kl_registry_find(reg, "test_decay");
  kl_error err = {0, ""};
  info.name = "flag_both";
  info.params = both;
  CU_ASSERT_EQUAL(kl_registry_add(reg, &info, "test", &err), KL_EPLUGIN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "plugin 'flag_both': parameter 'bad': expected at most one"));
  info.name = "flag_text";
  info.params = text;
  CU_ASSERT_EQUAL(kl_registry_add(reg, &info, "test", &err), KL_EPLUGIN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "parameter 'label'"));
  info.name = "flag_list";
  info.params = list;
  CU_ASSERT_EQUAL(kl_registry_add(reg, &info, "test", &err), KL_OK);
  kl_registry_free(reg);
}

/* ------------------------------------------------- reference errors */
/* Moments of three weighted particles in 2-D against hand values, and the
 * moment errors against the same particles with doubled weights. */
static void test_reference_moments(void) {
  const double v[] = {1, 0, -1, /* v_x */ 0, 2, -1 /* v_y */};
  const double w[] = {1, 0.5, 2}, w2[] = {2, 1, 4};
  CU_ASSERT_EQUAL_FATAL(kl_cmp_moment_count(2), 1 + 2 + 4 + 8 + 1);
  double m[16], m2[16];
  kl_cmp_particle_moments(v, w, 3, 2, m);
  /* mass; sum w v; sum w v_a v_b (xx, xy, yx, yy); sum w v_a v_b v_c; sum w |v|^4 */
  const double hand[16] = {3.5, -1, -1, 3, 2, 2, 4, -1, -2, -2, -2, -2, -2, -2, 2, 17};
  for (int k = 0; k < 16; k++) KL_ASSERT_CLOSE(m[k], hand[k], 1e-15);
  kl_cmp_particle_moments(v, w2, 3, 2, m2);
  double e[5];
  kl_cmp_moment_errors(m, m2, 2, e);
  KL_ASSERT_CLOSE(e[0], 3.5, 1e-15);
  KL_ASSERT_CLOSE(e[1], 0, 1e-15); /* the same mean velocity */
  KL_ASSERT_CLOSE(e[2], sqrt(9 + 4 + 4 + 16), 1e-14);
  KL_ASSERT_CLOSE(e[3], sqrt(1 + 6 * 4 + 4), 1e-14);
  KL_ASSERT_CLOSE(e[4], 17, 1e-14);
  /* Without weights every particle weighs 1. */
  kl_cmp_particle_moments(v, NULL, 3, 2, m2);
  KL_ASSERT_CLOSE(m2[0], 3, 0);
  KL_ASSERT_CLOSE(m2[15], 1 + 16 + 4, 1e-15);
}

/* The conservative remap: nested grids reproduce a piecewise constant f
 * exactly (fine target) or average it (coarse target); the mass is the same
 * on any target grid covering the source, also when the cells do not nest. */
static void test_reference_remap(void) {
  const double f[] = {1, 2, 3, 4};
  size_t src = 4, coarse = 2, fine = 8;
  double lo = 0, d = 0.25, dc = 0.5, df = 0.125, out[8];
  CU_ASSERT_EQUAL_FATAL(kl_cmp_remap(1, &src, &lo, &d, f, &fine, &lo, &df, out), KL_OK);
  for (int k = 0; k < 8; k++) KL_ASSERT_CLOSE(out[k], f[k / 2], 1e-15);
  CU_ASSERT_EQUAL_FATAL(kl_cmp_remap(1, &src, &lo, &d, f, &coarse, &lo, &dc, out), KL_OK);
  KL_ASSERT_CLOSE(out[0], 1.5, 1e-15);
  KL_ASSERT_CLOSE(out[1], 3.5, 1e-15);
  /* 2-D, 2 x 3 cells onto 5 x 7 cells of another size covering them (not
   * nested, shifted): the mass sum f dx dv is kept to rounding. */
  const double g[] = {1, 0, 2, 5, 3, 0.5};
  size_t sd[2] = {2, 3}, dd[2] = {5, 7};
  double slo[2] = {0, -1}, sdd[2] = {0.5, 2.0 / 3}, dlo[2] = {-0.1, -1.2}, ddd[2] = {0.23, 0.37};
  double big[35], mass_src = 0, mass_dst = 0;
  CU_ASSERT_EQUAL_FATAL(kl_cmp_remap(2, sd, slo, sdd, g, dd, dlo, ddd, big), KL_OK);
  for (int k = 0; k < 6; k++) mass_src += g[k] * sdd[0] * sdd[1];
  for (int k = 0; k < 35; k++) mass_dst += big[k] * ddd[0] * ddd[1];
  KL_ASSERT_CLOSE(mass_dst, mass_src, 1e-14);
  /* A constant stays constant in every target cell inside the source. */
  const double one[] = {1, 1, 1, 1, 1, 1};
  CU_ASSERT_EQUAL_FATAL(kl_cmp_remap(2, sd, slo, sdd, one, dd, dlo, ddd, big), KL_OK);
  KL_ASSERT_CLOSE(big[1 * 7 + 2], 1, 1e-14); /* [0.13, 0.36] x [-0.46, -0.09] */
}

/* Density errors of one particle of weight 1 against one of weight 1/2 at
 * the same point: the difference is half a Gaussian, so L1 = 1/2, L2 =
 * (1/2) / (2 sigma sqrt(pi)) in 2-D, Linf = (1/2) / (2 pi sigma^2) (the
 * particle sits on a grid point); identical sets give 0. */
static void test_reference_density(void) {
  const double z[] = {0.3, -0.2}, wa[] = {1}, wb[] = {0.5}, sigma[] = {0.3, 0.3};
  double e[3];
  CU_ASSERT_EQUAL_FATAL(kl_cmp_density_errors(z, wa, 1, z, wb, 1, 2, sigma, e), KL_OK);
  KL_ASSERT_CLOSE(e[0], 0.5, 1e-7);
  KL_ASSERT_CLOSE(e[1], 0.5 / (2 * 0.3 * sqrt(M_PI)), 1e-7);
  KL_ASSERT_CLOSE(e[2], 0.5 / (2 * M_PI * 0.09), 1e-12);
  CU_ASSERT_EQUAL_FATAL(kl_cmp_density_errors(z, wa, 1, z, wa, 1, 2, sigma, e), KL_OK);
  KL_ASSERT_CLOSE(e[0], 0, 0);
}

/* snapshots.h5 of a particle run: two particles (+-a, 0) of weight 1/2 in d
 * dimensions (m4 = a^4) at the output times. */
static void write_particle_snapshots(const char *dir, unsigned d, double a, const double *times,
                                     size_t n_times) {
  kl_h5 *h = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_h5_create(path_in(dir, "snapshots.h5"), &h, &err), KL_OK);
  for (size_t k = 0; k < n_times; k++) {
    kl_snapshot *snap = NULL;
    CU_ASSERT_EQUAL_FATAL(kl_h5_begin_snapshot(h, k, times[k], &snap, &err), KL_OK);
    double v[6] = {0}, w[2] = {0.5, 0.5};
    v[0] = a, v[1] = -a; /* first component; the others 0 */
    size_t dims[2] = {d, 2}, n = 2;
    CU_ASSERT_EQUAL(kl_snapshot_write(snap, KL_SNAP_VELOCITIES, 2, dims, v, &err), KL_OK);
    CU_ASSERT_EQUAL(kl_snapshot_write(snap, KL_SNAP_WEIGHTS, 1, &n, w, &err), KL_OK);
    double var = 0.04;
    CU_ASSERT_EQUAL(kl_snapshot_set_attr(snap, KL_SNAP_VELOCITIES, KL_SNAP_BLOB_VARIANCE, 1, &var,
                                         &err), KL_OK);
    CU_ASSERT_EQUAL(kl_h5_end_snapshot(snap, &err), KL_OK);
  }
  CU_ASSERT_EQUAL_FATAL(kl_h5_commit(h, &err), KL_OK);
}

/* Variants n = 4, 8, 16 of count_model (n a count) with m4 = a^4, a = 1.1,
 * 1.05, 1 at t = 0 and 1. */
static const int ref_ns[] = {4, 8, 16};
static const double ref_as[] = {1.1, 1.05, 1.0};
static void make_reference_run(const char *run, const char *model) {
  mkdir(run, 0777);
  write_file(run, ".kinlab-run", "kinlab run directory\n");
  const double times[] = {0, 1};
  for (int k = 0; k < 3; k++) {
    char name[64], cfg[1024], dir[4400];
    snprintf(name, sizeof name, "n=%d", ref_ns[k]);
    snprintf(cfg, sizeof cfg,
             "name: r\nmodel:\n  type: %s\n  n: %d\nintegrator: {type: test_euler, dt: 0.01}\n",
             model, ref_ns[k]);
    const char *rows[] = {"0,0,0.01,0,0,0,0,2", "1,100,0.01,100,0,400,1,2"};
    make_variant(run, name, cfg, "energy", rows, 2, "completed", "");
    snprintf(dir, sizeof dir, "%s/%s", run, name);
    write_particle_snapshots(dir, 2, ref_as[k], times, 2);
  }
}

static int compare_with(const char *run, const char *reference, bool *bad, kl_error *err) {
  kl_registry *reg = registry();
  kl_plugin_info model;
  add_copy(reg, &model, "test_decay", "count_model", count_model_params);
  kl_compare_options o = {NULL, NULL, reference, 0};
  *bad = false;
  int rc = kl_compare_run_dir_with(reg, run, &o, bad, err);
  kl_registry_free(reg);
  return rc;
}

/* The reference: by default the finest completed run of the group
 * (Richardson-style, the reference itself without error), a named variant
 * (--reference or the experiment's compare.reference); a name that is no
 * variant and a variant that did not complete are refused. */
static void test_reference_choice(void) {
  char run[4400];
  snprintf(run, sizeof run, "%s/reference", base_dir);
  make_reference_run(run, "count_model");
  /* n = 32 failed: the finest completed run (n = 16) is the reference */
  const char *failed_rows[] = {"0,0,0.01,0,0,0,0,2"};
  make_variant(run, "n=32",
               "name: r\nmodel:\n  type: count_model\n  n: 32\nintegrator: {type: test_euler, "
               "dt: 0.01}\n",
               "energy", failed_rows, 1, "numerical failure", "blow-up");
  kl_error err = {0, ""};
  bool bad;
  int rc = compare_with(run, NULL, &bad, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  table *t = read_csv(path_in(run, "comparison.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  double e4 = pow(1.1, 4) - 1, e8 = pow(1.05, 4) - 1;
  KL_ASSERT_CLOSE(num(t, "n=4", "ref_m4_error"), e4, 1e-14);
  KL_ASSERT_CLOSE(num(t, "n=8", "ref_m4_error"), e8, 1e-14);
  CU_ASSERT(isnan(num(t, "n=16", "ref_m4_error"))); /* the reference */
  KL_ASSERT_CLOSE(num(t, "n=4", "ref_mass_error"), 0, 0);
  KL_ASSERT_CLOSE(num(t, "n=8", "order_ref_m4_error"), log(e4 / e8) / log(2), 1e-12);
  table_free(t);
  CU_ASSERT(md_contains(run, "Richardson-style: against the finest run"));
  t = read_csv(path_in(run, "reference_errors.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  CU_ASSERT_EQUAL(t->rows, 1 + 2 * 2); /* header, two times of two variants */
  CU_ASSERT_STRING_EQUAL(str(t, "n=4", "reference"), "n=16");
  table_free(t);
  t = read_csv(path_in(run, "work_precision.csv"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(t);
  KL_ASSERT_CLOSE(num(t, "all", "ref_m4_error"), e4, 1e-14); /* one family, n=4 first */
  table_free(t);

  /* Named: every variant against n=8. */
  CU_ASSERT_EQUAL_FATAL(compare_with(run, "n=8", &bad, &err), KL_OK);
  t = read_csv(path_in(run, "comparison.csv"));
  KL_ASSERT_CLOSE(num(t, "n=4", "ref_m4_error"), pow(1.1, 4) - pow(1.05, 4), 1e-14);
  KL_ASSERT_CLOSE(num(t, "n=16", "ref_m4_error"), pow(1.05, 4) - 1, 1e-14);
  CU_ASSERT(isnan(num(t, "n=8", "ref_m4_error")));
  table_free(t);
  CU_ASSERT(md_contains(run, "against the variant **n=8**"));

  /* The same from experiment.yaml's compare: section. */
  write_file(run, "experiment.yaml", "name: r\ncompare: {reference: n=16}\n");
  CU_ASSERT_EQUAL_FATAL(compare_with(run, NULL, &bad, &err), KL_OK);
  t = read_csv(path_in(run, "comparison.csv"));
  KL_ASSERT_CLOSE(num(t, "n=8", "ref_m4_error"), e8, 1e-14);
  KL_ASSERT_CLOSE(num(t, "n=4", "ref_m4_error"), e4, 1e-14);
  table_free(t);
  CU_ASSERT(md_contains(run, "against the variant **n=16**"));
  unlink(path_in(run, "experiment.yaml"));

  /* A reference that did not complete is refused. */
  CU_ASSERT_EQUAL(compare_with(run, "n=32", &bad, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "reference variant 'n=32' did not complete"));

  /* A name that is no variant: a usage error with a suggestion. */
  CU_ASSERT_EQUAL(compare_with(run, "n=9", &bad, &err), KL_EINVAL);
  CU_ASSERT(bad);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "reference 'n=9': no such variant"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "did you mean"));
}

/* A single run BASE/NAME of model (n = 32) whose particles are (+-1, 0) in d
 * dimensions at the given times; its path in dir. */
static void make_external_run(char dir[4400], const char *name, const char *model, unsigned d,
                              const double *times, size_t n_times) {
  const char *rows[] = {"0,0,0.01,0,0,0,0,2", "1,100,0.01,100,0,400,1,2"};
  char cfg[512];
  snprintf(cfg, sizeof cfg,
           "name: r\nmodel:\n  type: %s\n  n: 32\nintegrator: {type: test_euler, dt: 0.01}\n",
           model);
  snprintf(dir, 4400, "%s/%s", base_dir, name);
  make_variant(base_dir, name, cfg, "energy", rows, 2, "completed", "");
  write_particle_snapshots(dir, d, 1.0, times, n_times);
}

/* Another run directory as the reference: a compatible one is used; one of
 * another model, another dimension or without common output times is
 * refused naming the file and what differs. */
static void test_reference_external(void) {
  char run[4400], other[4400];
  snprintf(run, sizeof run, "%s/reference_ext", base_dir);
  make_reference_run(run, "count_model");
  const double t01[] = {0, 1}, t05[] = {0.5};
  make_external_run(other, "ext_good", "count_model", 2, t01, 2);
  kl_error err = {0, ""};
  bool bad;
  int rc = compare_with(run, other, &bad, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  table *t = read_csv(path_in(run, "comparison.csv"));
  KL_ASSERT_CLOSE(num(t, "n=4", "ref_m4_error"), pow(1.1, 4) - 1, 1e-14);
  KL_ASSERT_CLOSE(num(t, "n=16", "ref_m4_error"), 0, 0);
  table_free(t);

  /* another model */
  make_external_run(other, "ext_model", "other_model", 2, t01, 2);
  CU_ASSERT_EQUAL(compare_with(run, other, &bad, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ext_model/config.resolved.yaml: model.type is "
                                             "'other_model'"));
  /* another dimension */
  make_external_run(other, "ext_dim", "count_model", 3, t01, 2);
  CU_ASSERT_EQUAL(compare_with(run, other, &bad, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "different kinds or dimensions"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "ext_dim/snapshots.h5"));
  /* no common output time */
  make_external_run(other, "ext_times", "count_model", 2, t05, 1);
  CU_ASSERT_EQUAL(compare_with(run, other, &bad, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no common output time"));
  /* not a run directory */
  CU_ASSERT_EQUAL(compare_with(run, "/nonexistent/run", &bad, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not a run directory"));
}

int main(void) {
  if (!mkdtemp(base_dir)) return 1;
  static CU_TestInfo tests[] = {
      {"step-like key: drift, orders, failed variants", test_step_orders},
      {"count-like key grouped, tied key", test_count_orders_grouped},
      {"*_exact columns: final value, not drift", test_exact_columns},
      {"resolution unknown without the plugin's table; --by", test_unknown_resolution},
      {"not a run directory", test_not_a_run_dir},
      {"end to end with variants", test_end_to_end},
      {"summary.json read back as written", test_summary_round_trip},
      {"JSON: refused inputs name line and column", test_json_rejects},
      {"JSON: nesting limit", test_json_depth},
      {"JSON: accepted inputs decoded exactly", test_json_accepts},
      {"malformed run directories", test_malformed_run_dirs},
      {"--by key not numeric", test_by_not_numeric},
      {"resolution keys from the parameter flags", test_flags_decide},
      {"resolution flags checked by the loader", test_flags_checked},
      {"reference: moments by hand", test_reference_moments},
      {"reference: conservative remap", test_reference_remap},
      {"reference: density errors by hand", test_reference_density},
      {"reference: finest, named, experiment key, unknown name", test_reference_choice},
      {"reference: another run directory checked", test_reference_external},
      CU_TEST_INFO_NULL};
  static CU_SuiteInfo suites[] = {{"compare", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
  int rc = kl_test_main(suites);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", base_dir);
  if (getenv("KL_TEST_KEEP")) /* keep the directories for a look */
    fprintf(stderr, "kept %s\n", base_dir);
  else if (rc == 0 && system(cmd) != 0)
    rc = 1;
  return rc;
}
