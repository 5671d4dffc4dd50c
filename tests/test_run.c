/* test_run.c - the runner end to end with small plugins compiled into the test:
 * output files, exact output times, NaN stop, refusal to overwrite, restart
 * bit-identity after a step limit and after a stop request (SIGINT path);
 * restarts refused when anything differs from what was run (configuration,
 * damaged checkpoint, changed time series, missing files, a locked directory);
 * SHA-256 against the FIPS 180-4 examples. */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/run_internal.h"
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
  kl_clear_stop(); /* a stop request lasts for the process */
  CU_ASSERT(exists(cut, "checkpoint.h5"));
  CU_ASSERT(exists(cut, "timeseries.csv"));
  /* A restart may not change the model: the stop hook counts calls from the
   * restart, 45 more steps to go, so it does not fire again. */
  const char *no_stop[] = {"model.stop_after_rhs=0"};
  CU_ASSERT_EQUAL(restart_dir(cut, no_stop, 1, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "model.stop_after_rhs 55 -> 0"));
  int rc = restart_dir(cut, NULL, 0, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL(rc, KL_OK);
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


/* ------------------------------------------------ restart integrity (#13) */

/* A run stopped by time.max_steps = 37 (checkpoint at step 37, rows up to
 * t = 0.25), its uninterrupted twin, and fresh copies of the stopped one. */
static const char *integrity_full, *integrity_cut;

static void make_integrity_runs(void) {
  static char full[4200], cut[4200];
  if (integrity_full) return;
  kl_error err = {0, ""};
  snprintf(full, sizeof full, "%s", subdir("int-full"));
  snprintf(cut, sizeof cut, "%s", subdir("int-cut"));
  CU_ASSERT_EQUAL_FATAL(run_text(experiment_text("", ""), full, false, NULL, 0, &err), KL_OK);
  const char *limit[] = {"time.max_steps=37"};
  CU_ASSERT_EQUAL_FATAL(run_text(experiment_text("", ""), cut, false, limit, 1, &err), KL_ELIMIT);
  integrity_full = full;
  integrity_cut = cut;
}

static const char *fresh_cut(const char *name) {
  make_integrity_runs();
  const char *dir = subdir(name);
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dir, integrity_cut, dir);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  return dir;
}

static const char *const no_limit[] = {"time.max_steps=0"};

/* Restart a copy of the stopped run with `sets`: the status, the message. */
static int restart_copy(const char *dir, const char *const *sets, size_t n_sets, kl_error *err) {
  return restart_dir(dir, sets ? sets : no_limit, sets ? n_sets : 1, err);
}

static void path_in(char *out, size_t size, const char *dir, const char *file) {
  snprintf(out, size, "%s/%s", dir, file);
}

static void test_sha256_vectors(void) {
  /* FIPS 180-4 / NIST CSRC examples. */
  static const struct {
    const char *msg, *hex;
  } v[] = {
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
       "lmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
  };
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    unsigned char d[32];
    char hex[65];
    kl_sha256(v[i].msg, strlen(v[i].msg), d);
    kl_sha256_to_hex(d, hex);
    CU_ASSERT_STRING_EQUAL(hex, v[i].hex);
  }
  /* One million 'a', fed in pieces of uneven sizes (the block buffering). */
  static char a[1100]; /* the largest piece is 1059 */
  memset(a, 'a', sizeof a);
  kl_sha256_ctx c;
  kl_sha256_init(&c);
  size_t done = 0, piece = 1;
  while (done < 1000000) {
    size_t k = piece < 1000000 - done ? piece : 1000000 - done;
    kl_sha256_update(&c, a, k);
    done += k;
    piece = piece % 997 + 63;
  }
  unsigned char d[32];
  char hex[65];
  kl_sha256_final(&c, d);
  kl_sha256_to_hex(d, hex);
  CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* The checkpoint belongs to the configuration it was written with: another
 * value of a model parameter, edited into config.resolved.yaml, given with
 * --set, or a checkpoint copied from another experiment, is refused. */
static void test_restart_other_configuration(void) {
  kl_error err = {0, ""};
  const char *dir = fresh_cut("int-config");
  const char *lambda[] = {"time.max_steps=0", "model.lambda=2"};
  CU_ASSERT_EQUAL(restart_copy(dir, lambda, 2, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "model.lambda 1 -> 2"));
  /* Edited in the file itself. */
  char p[8400], cmd[9000];
  path_in(p, sizeof p, dir, "config.resolved.yaml");
  snprintf(cmd, sizeof cmd, "sed -i 's/dt: 0.01/dt: 0.02/' '%s'", p);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "integrator.dt 0.01 -> 0.02"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "config.resolved.yaml"));
  snprintf(cmd, sizeof cmd, "sed -i 's/dt: 0.02/dt: 0.01/' '%s'", p);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  /* The keys a restart may change are not part of the identity. */
  const char *allowed[] = {"time.max_steps=0", "time.wall_limit=1000", "time.checkpoint_every=7",
                           "output.plots=false"};
  int rc = restart_copy(dir, allowed, 4, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL(rc, KL_OK);
  compare_runs(integrity_full, dir);
  /* A checkpoint (and its time series) from another experiment. */
  const char *other = subdir("int-other"), *dir2 = fresh_cut("int-copied");
  const char *limit[] = {"time.max_steps=37", "model.lambda=3"};
  CU_ASSERT_EQUAL_FATAL(run_text(experiment_text("", ""), other, false, limit, 2, &err),
                        KL_ELIMIT);
  snprintf(cmd, sizeof cmd, "cp '%s/checkpoint.h5' '%s/timeseries.csv' '%s/'", other, other, dir2);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  CU_ASSERT_EQUAL(restart_copy(dir2, NULL, 0, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "model.lambda 3 -> 1"));
}

static void flip_byte(const char *path, long offset) {
  FILE *f = fopen(path, "r+b");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL_FATAL(fseek(f, offset, SEEK_SET), 0);
  int c = fgetc(f);
  CU_ASSERT_NOT_EQUAL_FATAL(c, EOF);
  fseek(f, offset, SEEK_SET);
  fputc(c ^ 0x01, f);
  fclose(f);
}

/* Where a contiguous dataset's values lie in the file. */
static void dataset_extent(const char *path, const char *name, long *offset, long *size) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  haddr_t at = H5Dget_offset(ds);
  *offset = at == HADDR_UNDEF ? -1 : (long)at;
  *size = (long)H5Dget_storage_size(ds);
  H5Dclose(ds);
  H5Fclose(f);
}

/* Flip a bit of the byte at `offset` of DIR/checkpoint.h5, restart, flip it
 * back.  A refused restart changes nothing but run.log; after one that ran,
 * DIR is copied afresh from the stopped run. */
static int restart_flipped(const char *dir, long offset, kl_error *err) {
  char p[8400];
  path_in(p, sizeof p, dir, "checkpoint.h5");
  flip_byte(p, offset);
  int rc = restart_copy(dir, NULL, 0, err);
  if (rc == KL_OK) {
    compare_runs(integrity_full, dir); /* nothing that mattered was changed */
    fresh_cut("int-flip");
  } else {
    flip_byte(p, offset);
  }
  return rc;
}

/* A changed bit anywhere in the checkpoint's data is refused; a bit changed
 * elsewhere in the file is refused or changes nothing, never the results. */
static void test_restart_flipped_bytes(void) {
  const char *dir = fresh_cut("int-flip");
  char ck[8400];
  path_in(ck, sizeof ck, dir, "checkpoint.h5");
  const char *names[] = {"meta", "y", "config", "config_sha256", "plugins_sha256",
                         "timeseries_sha256", "checksum_sha256"};
  int cases = 0, refused = 0;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    long at, size;
    dataset_extent(ck, names[i], &at, &size);
    CU_ASSERT_FATAL(at > 0 && size > 0);
    /* Every byte of the numbers; every 3rd of the texts. */
    for (long k = 0; k < size; k += i < 2 ? 1 : 3) {
      kl_error err = {0, ""};
      int rc = restart_flipped(dir, at + k, &err);
      cases++;
      if (rc == KL_EIO && strstr(err.message, "checkpoint.h5")) refused++;
      else fprintf(stderr, "\n%s byte %ld: status %d: %s\n", names[i], k, rc, err.message);
    }
  }
  CU_ASSERT_EQUAL(refused, cases);
  /* The whole file, every 97th byte (HDF5's own structures too; most of its
   * bytes are reserved space that changes nothing, and a restart that runs
   * costs a copy of the run). */
  struct stat st;
  CU_ASSERT_EQUAL_FATAL(stat(ck, &st), 0);
  for (long k = 0; k < (long)st.st_size; k += 97) {
    kl_error err = {0, ""};
    restart_flipped(dir, k, &err);
  }
}

static void replace_line(const char *path, int line, const char *text) {
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "sed -i '%dc\\%s' '%s'", line, text, path);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}

/* The rows the checkpoint continues must be those it was written after. */
static void test_restart_changed_timeseries(void) {
  kl_error err = {0, ""};
  char p[8400];
  /* A garbage row. */
  const char *dir = fresh_cut("int-csv");
  path_in(p, sizeof p, dir, "timeseries.csv");
  replace_line(p, 2, "garbage");
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "timeseries.csv:2: expected 9 comma-separated numbers"));
  /* A row with the right fields and another number. */
  dir = fresh_cut("int-csv");
  path_in(p, sizeof p, dir, "timeseries.csv");
  replace_line(p, 2, "0,0,0.01,0,0,0,0,0.5,1.5");
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "differ from those the checkpoint was written"));
  /* A row too few. */
  dir = fresh_cut("int-csv");
  path_in(p, sizeof p, dir, "timeseries.csv");
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "sed -i '$d' '%s'", p);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "has 1 rows, the checkpoint continues 2"));
  /* No time series. */
  dir = fresh_cut("int-csv");
  path_in(p, sizeof p, dir, "timeseries.csv");
  unlink(p);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "timeseries.csv"));
  /* Rows after those the checkpoint continues are written again. */
  dir = fresh_cut("int-csv");
  path_in(p, sizeof p, dir, "timeseries.csv");
  FILE *f = fopen(p, "a");
  fputs("not,a,row\n", f);
  fclose(f);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_OK);
  compare_runs(integrity_full, dir);
}

/* Missing files are errors, not a silent new start or lost snapshots. */
static void test_restart_missing_files(void) {
  kl_error err = {0, ""};
  char p[8400];
  const char *dir = fresh_cut("int-missing");
  path_in(p, sizeof p, dir, "checkpoint.h5");
  unlink(p);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "checkpoint.h5 is missing"));
  CU_ASSERT_EQUAL(count_lines(dir, "timeseries.csv"), 3); /* untouched */
  dir = fresh_cut("int-missing");
  path_in(p, sizeof p, dir, "snapshots.h5");
  unlink(p);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "snapshots.h5 is missing"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "2 snapshot groups"));
  /* snapshots.h5 of another run, without the groups the checkpoint continues. */
  const char *other = subdir("int-nosnap");
  const char *limit[] = {"time.max_steps=3"};
  CU_ASSERT_EQUAL_FATAL(run_text(experiment_text("", ""), other, false, limit, 1, &err), KL_ELIMIT);
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "cp '%s/snapshots.h5' '%s/'", other, dir);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "no group output_000001"));
}

/* A checkpoint of format 1 (no identity) is refused with its format named. */
static void test_restart_old_format(void) {
  const char *dir = fresh_cut("int-format");
  char p[8400];
  path_in(p, sizeof p, dir, "checkpoint.h5");
  kl_error err = {0, ""};
  double meta[12] = {1.0, 0.37, 37, 0.01, 2, 2, 37, 0, 37, 0, 3, 0}, y[3] = {1, 1, 1};
  kl_h5 *h = NULL;
  CU_ASSERT_EQUAL_FATAL(kl_h5_create(p, &h, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_h5_write_root(h, "meta", 12, meta, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_h5_write_root(h, "y", 3, y, &err), KL_OK);
  CU_ASSERT_EQUAL_FATAL(kl_h5_commit(h, &err), KL_OK);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "checkpoint of format 1 "));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "--force"));
}

/* A run directory is locked while written: a second restart or --force of it
 * fails at once; a forked process's exit does not release the lock. */
static void test_run_dir_lock(void) {
  const char *dir = fresh_cut("int-lock");
  kl_error err = {0, ""};
  int fd = -1;
  CU_ASSERT_EQUAL_FATAL(kl_run_dir_lock(dir, &fd, &err), KL_OK);
  pid_t pid = fork();
  if (pid == 0) _exit(0); /* inherits the descriptor, closes it on exit */
  int status;
  waitpid(pid, &status, 0);
  CU_ASSERT_EQUAL(restart_copy(dir, NULL, 0, &err), KL_EIO);
  char expect[64];
  snprintf(expect, sizeof expect, "is in use by process %ld", (long)getpid());
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, expect));
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), dir, true, NULL, 0, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, expect));
  CU_ASSERT(exists(dir, "checkpoint.h5")); /* --force removed nothing */
  kl_run_dir_unlock(fd);
  int rc = restart_copy(dir, NULL, 0, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL(rc, KL_OK);
  compare_runs(integrity_full, dir);
  /* The lock is released at the end of a run: --force works again. */
  CU_ASSERT_EQUAL(run_text(experiment_text("", ""), dir, true, NULL, 0, &err), KL_OK);
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

/* The drift check of declared-conserved invariants (observe.c): "sum" of
 * test_decay is e^{-t} times its start (6): declared, it trips its class's
 * bound at the first output time where 1 - e^{-lambda t} exceeds it, with
 * exit 4 naming the invariant, the drift and the bound, the row kept. */
static void test_conserved_drift(void) {
  char dir[4200];
  kl_error err;
  /* truncation class, default bound 0.1: 1 - e^{-0.25} = 0.22 at t = 0.25 (Euler: 0.222) */
  snprintf(dir, sizeof dir, "%s/drift_truncation", base_dir);
  int rc = run_text(experiment_text(", sum_class: 2", ""), dir, false, NULL, 0, &err);
  CU_ASSERT_EQUAL(rc, KL_ENUMERIC);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "invariant 'sum', which model 'test_decay' keeps up "
                                             "to the time integrator's error, drifted from 6 to"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "by t = 0.25 (relative drift 0.222"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "beyond time.max_drift_truncation = 0.1"));
  CU_ASSERT_EQUAL(count_lines(dir, "timeseries.csv"), 3); /* header, t = 0, the drifted 0.25 */
  /* the bound is inclusive-exclusive at its edge: 0.23 lets t = 0.25 pass, not t = 0.5 */
  snprintf(dir, sizeof dir, "%s/drift_bound", base_dir);
  rc = run_text(experiment_text(", sum_class: 2", ", max_drift_truncation: 0.23"), dir, false,
                NULL, 0, &err);
  CU_ASSERT_EQUAL(rc, KL_ENUMERIC);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "by t = 0.5 "));
  /* 0: no check */
  snprintf(dir, sizeof dir, "%s/drift_off", base_dir);
  rc = run_text(experiment_text(", sum_class: 2", ", max_drift_truncation: 0"), dir, false, NULL,
                0, &err);
  CU_ASSERT_EQUAL(rc, KL_OK);
  /* round-off class, bound 1e-6: lambda = 1e-5 drifts 2.5e-6 by t = 0.25 */
  snprintf(dir, sizeof dir, "%s/drift_roundoff", base_dir);
  const char *slow[] = {"model.lambda=1e-5"};
  rc = run_text(experiment_text(", sum_class: 1", ""), dir, false, slow, 1, &err);
  CU_ASSERT_EQUAL(rc, KL_ENUMERIC);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "keeps to round-off"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "beyond time.max_drift_roundoff = 1e-06"));
  /* not declared (the default): no check whatever the drift */
  snprintf(dir, sizeof dir, "%s/drift_undeclared", base_dir);
  rc = run_text(experiment_text("", ""), dir, false, NULL, 0, &err);
  CU_ASSERT_EQUAL(rc, KL_OK);
  /* an undefined class is the plugin's error */
  snprintf(dir, sizeof dir, "%s/drift_bad_class", base_dir);
  rc = run_text(experiment_text(", sum_class: 3", ""), dir, false, NULL, 0, &err);
  CU_ASSERT_EQUAL(rc, KL_EPLUGIN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "conservation class 3 of invariant 'sum'"));
}

/* The progress board's line (progress.c, a --jobs run on a terminal): name,
 * percentage, t / t_final, step, elapsed; "setting up" before the variant's
 * first report (t NaN); cut to the terminal's width (a wrapped line would
 * break the redraw in place). */
size_t run_progress_format(char *buf, size_t size, const char *name, double t, double t_start,
                           double t_final, uint64_t step, double elapsed, size_t width);
static void test_progress_format(void) {
  char buf[256];
  size_t len = run_progress_format(buf, sizeof buf, "n=64", 0.5, 0, 2, 50, 3.2, 100);
  CU_ASSERT_STRING_EQUAL(buf, "  n=64  [ 25%] t = 0.5 / 2  step 50  3 s");
  CU_ASSERT_EQUAL(len, strlen(buf));
  run_progress_format(buf, sizeof buf, "a", 1.5, 1, 2, 7, 0, 100); /* from a restart's t_start */
  CU_ASSERT_STRING_EQUAL(buf, "  a  [ 50%] t = 1.5 / 2  step 7  0 s");
  run_progress_format(buf, sizeof buf, "a", NAN, NAN, NAN, 0, 1, 100);
  CU_ASSERT_STRING_EQUAL(buf, "  a  [  0%] setting up  1 s");
  len = run_progress_format(buf, sizeof buf, "a-long-variant-name", 1, 0, 2, 1, 0, 20);
  CU_ASSERT_EQUAL(len, 19);
  CU_ASSERT_STRING_EQUAL(buf, "  a-long-variant-na");
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
      {"restart refuses another configuration", test_restart_other_configuration},
      {"restart refuses a damaged checkpoint", test_restart_flipped_bytes},
      {"restart refuses a changed time series", test_restart_changed_timeseries},
      {"restart refuses missing files", test_restart_missing_files},
      {"restart refuses an old checkpoint format", test_restart_old_format},
      {"run directory lock", test_run_dir_lock},
      {"restart of an adaptive run keeps its step size", test_restart_adaptive},
      {"a failed write is never renamed into place", test_atomic_write_failure},
      {"a declared-conserved invariant that drifts stops the run", test_conserved_drift},
      CU_TEST_INFO_NULL};
  static CU_TestInfo progress_tests[] = {{"progress line format", test_progress_format},
                                         CU_TEST_INFO_NULL};
  static CU_TestInfo sha_tests[] = {{"FIPS 180-4 examples", test_sha256_vectors},
                                    CU_TEST_INFO_NULL};
  static CU_SuiteInfo suites[] = {{"runner", NULL, NULL, NULL, NULL, tests},
                                  {"sha256", NULL, NULL, NULL, NULL, sha_tests},
                                  {"progress", NULL, NULL, NULL, NULL, progress_tests},
                                  CU_SUITE_INFO_NULL};
  int rc = kl_test_main(suites);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf %s", base_dir);
  if (rc == 0 && system(cmd) != 0) rc = 1;
  return rc;
}
