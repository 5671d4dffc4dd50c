/* test_run.c - the runner end to end with small plugins compiled into the test:
 * output files, exact output times, NaN stop, refusal to overwrite, restart
 * bit-identity after a step limit and after a stop request (SIGINT path). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

/* ---------------------------------------------------------------- helpers */
static bool with_plugins; /* also the build tree's plugins (the integrators) */

static kl_registry *registry(void) {
  kl_registry *reg = kl_registry_new();
  kl_test_add_fixtures(reg);
  kl_error err = {0, ""};
  if (with_plugins && kl_registry_load_default_path(reg, &err) != KL_OK)
    fprintf(stderr, "registry: %s\n", err.message);
  return reg;
}

static char base_dir[] = "/tmp/kinlab-test-run-XXXXXX";

static const char *experiment_text(const char *model_extra, const char *time_extra) {
  static char buf[2048];
  snprintf(buf, sizeof buf,
           "name: decay\n"
           "model: {type: test_decay, d: 1, lambda: 1%s}\n"
           "initial: {type: test_flat}\n"
           "integrator: {type: test_euler, dt: 0.01}\n"
           "time: {t_final: 1, output_every: 0.25%s}\n",
           model_extra, time_extra);
  return buf;
}

static int run_text(const char *text, const char *dir, bool force, const char *const *sets,
                    size_t n_sets, kl_error *err) {
  kl_registry *reg = registry();
  kl_experiment *exp = NULL;
  int rc = kl_experiment_load_string(text, "test.yaml", sets, n_sets, reg, &exp, err);
  if (!rc) {
    kl_run_options opt = {sizeof opt, dir, force, true, NULL, 0, 1};
    rc = kl_experiment_run(exp, reg, &opt, err);
  }
  kl_experiment_free(exp);
  kl_registry_free(reg);
  return rc;
}

static int restart_dir(const char *dir, const char *const *sets, size_t n_sets, kl_error *err) {
  kl_registry *reg = registry();
  kl_experiment *exp = NULL;
  char path[4200];
  snprintf(path, sizeof path, "%s/config.resolved.yaml", dir);
  int rc = kl_experiment_load_file(path, sets, n_sets, reg, &exp, err);
  if (!rc) {
    kl_run_options opt = {sizeof opt, NULL, false, true, dir, 0, 1};
    rc = kl_experiment_run(exp, reg, &opt, err);
  }
  kl_experiment_free(exp);
  kl_registry_free(reg);
  return rc;
}

static char *subdir(const char *name) {
  static char buf[4][4200];
  static int k;
  char *b = buf[k++ % 4];
  snprintf(b, 4200, "%s/%s", base_dir, name);
  return b;
}

static bool exists(const char *dir, const char *file) {
  char p[8400];
  struct stat st;
  if (snprintf(p, sizeof p, "%s/%s", dir, file) >= (int)sizeof p) return false;
  return stat(p, &st) == 0;
}

/* Read timeseries.csv without its wall_s column (the only non-reproducible one)
 * and the column named `also` (NULL: none). */
static char *csv_without(const char *dir, const char *also) {
  char p[8400];
  snprintf(p, sizeof p, "%s/timeseries.csv", dir);
  FILE *f = fopen(p, "r");
  if (!f) return NULL;
  char *out = calloc(1, 1 << 16), line[4096];
  int wall_col = -1, also_col = -1;
  while (fgets(line, sizeof line, f)) {
    int col = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save), col++) {
      if (wall_col < 0 && strcmp(tok, "wall_s") == 0) wall_col = col;
      if (also_col < 0 && also && strcmp(tok, also) == 0) also_col = col;
      if (col == wall_col || col == also_col) continue;
      strcat(out, tok);
      strcat(out, ",");
    }
    strcat(out, "\n");
  }
  fclose(f);
  return out;
}

static int count_lines(const char *dir, const char *file) {
  char p[8400];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  FILE *f = fopen(p, "r");
  if (!f) return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

/* ------------------------------------------------------------------ tests */
static void test_outputs(void) {
  kl_error err = {0, ""};
  const char *dir = subdir("plain");
  int rc = run_text(experiment_text("", ""), dir, false, NULL, 0, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT(exists(dir, "config.resolved.yaml"));
  CU_ASSERT(exists(dir, "timeseries.csv"));
  CU_ASSERT(exists(dir, "snapshots.h5"));
  CU_ASSERT(exists(dir, "summary.json"));
  CU_ASSERT(exists(dir, "checkpoint.h5"));
  CU_ASSERT(exists(dir, "run.log"));
  CU_ASSERT_EQUAL(count_lines(dir, "timeseries.csv"), 6); /* header + t = 0, .25, .5, .75, 1 */
  /* Output times are hit exactly, and y0 is Euler's (1 - dt)^steps. */
  char p[8400];
  snprintf(p, sizeof p, "%s/timeseries.csv", dir);
  FILE *f = fopen(p, "r");
  char line[4096];
  CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
  CU_ASSERT_PTR_NOT_NULL(strstr(line, "t,step,dt,accepted,rejected,rhs_evals,wall_s,y0,sum"));
  double t = 0, step = 0, y0 = 0, expect_t[] = {0, 0.25, 0.5, 0.75, 1};
  for (int k = 0; k < 5 && fgets(line, sizeof line, f); k++) {
    double dt, acc, rej, rhs, wall;
    CU_ASSERT_EQUAL(sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &t, &step, &dt, &acc, &rej,
                           &rhs, &wall, &y0), 8);
    CU_ASSERT_EQUAL(t, expect_t[k]);
  }
  fclose(f);
  CU_ASSERT_EQUAL(step, 100);
  KL_ASSERT_CLOSE(y0, pow(0.99, 100), 1e-13);
  /* The resolved configuration is a valid experiment on its own. */
  kl_registry *reg = registry();
  kl_experiment *exp = NULL;
  snprintf(p, sizeof p, "%s/config.resolved.yaml", dir);
  rc = kl_experiment_load_file(p, NULL, 0, reg, &exp, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL(rc, KL_OK);
  kl_experiment_free(exp);
  kl_registry_free(reg);
}

static void test_refuses_overwrite(void) {
  kl_error err = {0, ""};
  const char *dir = subdir("twice");
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), dir, false, NULL, 0, &err), KL_OK);
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), dir, false, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "--force"));
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), dir, true, NULL, 0, &err), KL_OK);
  /* --force never removes a directory that kinlab did not make. */
  const char *foreign = subdir("foreign");
  mkdir(foreign, 0777);
  char p[8400];
  snprintf(p, sizeof p, "%s/precious.txt", foreign);
  FILE *f = fopen(p, "w");
  fputs("data\n", f);
  fclose(f);
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), foreign, true, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not a kinlab run directory"));
  CU_ASSERT(exists(foreign, "precious.txt"));
}

static void test_nan_stop(void) {
  kl_error err = {0, ""};
  const char *dir = subdir("blowup");
  /* y' = 10 y^2 from y(0) = 3 blows up at t = 1/30. */
  int rc = run_text(experiment_text(", blowup: true", ""), dir, false, NULL, 0,
                    &err);
  CU_ASSERT_EQUAL(rc, KL_ENUMERIC);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "after step"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "t = "));
  /* What was written before the blow-up is kept (t = 0 row at least). */
  CU_ASSERT(count_lines(dir, "timeseries.csv") >= 2);
  CU_ASSERT(exists(dir, "summary.json"));
}

static void compare_runs_without(const char *a, const char *b, const char *also) {
  char *ca = csv_without(a, also), *cb = csv_without(b, also);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
  CU_ASSERT_STRING_EQUAL(ca, cb);
  free(ca);
  free(cb);
}

static void compare_runs(const char *a, const char *b) { compare_runs_without(a, b, NULL); }

static void test_restart_after_step_limit(void) {
  kl_error err = {0, ""};
  const char *full = subdir("full"), *cut = subdir("cut");
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), full, false, NULL, 0, &err), KL_OK);
  const char *limit[] = {"time.max_steps=37"};
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), cut, false, limit, 1, &err), KL_ELIMIT);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "--restart"));
  CU_ASSERT(exists(cut, "checkpoint.h5"));
  const char *unlimited[] = {"time.max_steps=0"};
  int rc = restart_dir(cut, unlimited, 1, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL(rc, KL_OK);
  compare_runs(full, cut);
}

static void test_restart_after_stop_request(void) {
  kl_error err = {0, ""};
  const char *full = subdir("full2"), *cut = subdir("signal");
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), full, false, NULL, 0, &err), KL_OK);
  CU_ASSERT_EQUAL(run_text(experiment_text(", stop_after_rhs: 55", ""), cut, false, NULL, 0, &err),
                  KL_EINTERRUPTED);
  CU_ASSERT(exists(cut, "checkpoint.h5"));
  CU_ASSERT(exists(cut, "timeseries.csv"));
  const char *no_stop[] = {"model.stop_after_rhs=0"};
  CU_ASSERT_EQUAL(restart_dir(cut, no_stop, 1, &err), KL_OK);
  compare_runs(full, cut);
}

/* Variants in parallel processes give the same files as one after the other;
 * a failing variant is reported and does not stop the others. */
static void test_parallel_variants(void) {
  const char *text =
      "name: decay\n"
      "model: {type: test_decay, d: 1, lambda: 1}\n"
      "initial: {type: test_flat}\n"
      "integrator: {type: test_euler, dt: 0.01}\n"
      "time: {t_final: 1, output_every: 0.5}\n"
      "variants:\n"
      "  - {name: slow, set: {model.lambda: 0.5}}\n"
      "  - {name: fast, set: {model.lambda: 2}}\n"
      "  - {name: broken, set: {model.blowup: true}}\n"
      "  - {name: faster, set: {model.lambda: 3}}\n";
  const char *names[] = {"slow", "fast", "faster"};
  char dirs[2][4200];
  for (int jobs = 1; jobs <= 2; jobs++) {
    kl_registry *reg = registry();
    kl_experiment *exp = NULL;
    kl_error err = {0, ""};
    int rc = kl_experiment_load_string(text, "variants.yaml", NULL, 0, reg, &exp, &err);
    if (rc) fprintf(stderr, "\n%s\n", err.message);
    CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
    CU_ASSERT_EQUAL(kl_experiment_variant_count(exp), 4);
    snprintf(dirs[jobs - 1], sizeof dirs[0], "%s/variants-j%d", base_dir, jobs);
    kl_run_options opt = {sizeof opt, dirs[jobs - 1], false, true, NULL, 0, jobs};
    rc = kl_experiment_run(exp, reg, &opt, &err);
    CU_ASSERT_EQUAL(rc, KL_ENUMERIC); /* the broken variant */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "broken"));
    CU_ASSERT(exists(dirs[jobs - 1], "experiment.yaml"));
    kl_experiment_free(exp);
    kl_registry_free(reg);
  }
  for (int k = 0; k < 3; k++) {
    char a[8400], b[8400];
    snprintf(a, sizeof a, "%s/%s", dirs[0], names[k]);
    snprintf(b, sizeof b, "%s/%s", dirs[1], names[k]);
    CU_ASSERT(exists(a, "summary.json"));
    compare_runs(a, b);
  }
}

/* An adaptive integrator's step size is part of the state: a run cut after 7
 * steps (bs32 has grown dt from 1e-3 by then) and restarted continues with the
 * step size it had, so the time series (dt column included) equals the
 * uninterrupted run's bit for bit; restarting from the configured dt would not.
 * Only rhs_evals differs, by one: the restart evaluates the first stage that
 * bs32's FSAL cache held (explicit_rk.c). */
static void test_restart_adaptive(void) {
  kl_error err = {0, ""};
  const char *full = subdir("adaptive_full"), *cut = subdir("adaptive_cut");
  with_plugins = true;
  const char *integ = "integrator={type: bs32, dt: 0.001, rtol: 1e-9, atol: 1e-12}";
  const char *sets[] = {integ, "time.max_steps=7"};
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), full, false, sets, 1, &err), KL_OK);
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), cut, false, sets, 2, &err), KL_ELIMIT);
  const char *unlimited[] = {"time.max_steps=0"};
  int rc = restart_dir(cut, unlimited, 1, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL(rc, KL_OK);
  compare_runs_without(full, cut, "rhs_evals");
  with_plugins = false;
}

/* Atomic outputs (output.c): a write that fails (RLIMIT_FSIZE with SIGXFSZ
 * ignored, as on a full disk) makes kl_atomic_commit report KL_EIO and leaves
 * neither the final file nor the temporary one; kl_copy_file reports it too.
 * Without the limit the same writes succeed (positive control). */
static void test_atomic_write_failure(void) {
  static char big[64 * 1024];
  memset(big, 'x', sizeof big);
  char path[4300], copy[4300];
  snprintf(path, sizeof path, "%s/atomic.txt", base_dir);
  snprintf(copy, sizeof copy, "%s/atomic-copy.txt", base_dir);
  struct rlimit old, lim;
  CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &old) == 0);
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  for (int limited = 1; limited >= 0; limited--) {
    unlink(path);
    unlink(copy);
    kl_atomic_file af;
    kl_error err = {0, ""};
    CU_ASSERT_EQUAL_FATAL(kl_atomic_open(&af, path, &err), KL_OK);
    lim = old;
    if (limited) lim.rlim_cur = 16 * 1024;
    CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    fwrite(big, 1, sizeof big, af.fp);
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s", af.tmp_path);
    const int rc = kl_atomic_commit(&af, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    struct stat st;
    if (limited) {
      CU_ASSERT_EQUAL(rc, KL_EIO);
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "atomic.txt"));
      CU_ASSERT(stat(path, &st) != 0);
      CU_ASSERT(stat(tmp, &st) != 0);
    } else {
      CU_ASSERT_EQUAL(rc, KL_OK);
      CU_ASSERT(stat(path, &st) == 0 && st.st_size == (off_t)sizeof big);
      CU_ASSERT(stat(tmp, &st) != 0);
    }
  }
  /* kl_copy_file of the complete 64 KiB file under the limit fails */
  kl_error err = {0, ""};
  lim = old;
  lim.rlim_cur = 16 * 1024;
  CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  const int rc = kl_copy_file(path, copy, &err);
  setrlimit(RLIMIT_FSIZE, &old);
  CU_ASSERT_EQUAL(rc, KL_EIO);
  CU_ASSERT_EQUAL(kl_copy_file(path, copy, &err), KL_OK);
  signal(SIGXFSZ, old_handler);
  unlink(path);
  unlink(copy);
}

int main(void) {
  if (!mkdtemp(base_dir)) return 1;
  static CU_TestInfo tests[] = {
      {"outputs and exact output times", test_outputs},
      {"existing run directory", test_refuses_overwrite},
      {"NaN stop keeps data", test_nan_stop},
      {"restart after step limit is bit-identical", test_restart_after_step_limit},
      {"restart after stop request is bit-identical", test_restart_after_stop_request},
      {"parallel variants", test_parallel_variants},
      {"restart of an adaptive run keeps its step size", test_restart_adaptive},
      {"a failed write is never renamed into place", test_atomic_write_failure},
      CU_TEST_INFO_NULL};
  static CU_SuiteInfo suites[] = {{"runner", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
  int rc = kl_test_main(suites);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", base_dir);
  if (rc == 0 && system(cmd) != 0) rc = 1;
  return rc;
}
