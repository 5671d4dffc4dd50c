/* fuzz/fuzz_setup.c - libFuzzer target: the promise of `kinlab validate`
 * (issue 13).  Bytes -> experiment (as validate loads it) -> the dry set-up of
 * every variant (validate's, on a copy of each configuration).  When that
 * accepts, the set-up `run` does must accept too:
 *  - on the configuration reloaded from config.resolved.yaml (what --restart
 *    loads), and
 *  - on the experiment's own configuration (run_setup as run_one calls it,
 *    no run directory), which consumes its parameters.
 * A KL_EINVAL (exit 2) there, or any other failure, aborts.
 *
 * The plugins are the real ones, dlopened from $KINLAB_PLUGIN_PATH (make
 * fuzz-setup sets it to the build tree); they resolve kinlab's functions in
 * this executable (linked -rdynamic).  Inputs asking for large states are
 * skipped, and experiments of more than 32 runs: the harness has a 2 GB
 * memory limit and a set-up must take milliseconds.  Build and run: make fuzz-setup FUZZ_SECONDS=600. */
#include <math.h>

#include "fuzz_common.h"
#include "run/run_internal.h"

static kl_log *fz_silent;

/* A list parameter's value in direction j (one value stands for all). */
static double fz_list_at(const kl_params *m, const char *name, size_t j) {
  const double *v = NULL;
  size_t k = kl_params_real_list(m, name, &v);
  return k ? v[j < k ? j : 0] : NAN;
}

/* Cells of a grid given by its cell sizes (dx, dv) rather than counts: the
 * cs_table1 seed is 400 x 600 cells per variant, and a mutation of it made a
 * set-up slower than the timeout (third attack, issue 13). */
static double fz_grid_cells(const kl_params *m) {
  bool has_dx = false, has_dv = false;
  for (const kl_param_spec *s = kl_params_specs(m); s && s->name; s++) {
    has_dx |= !strcmp(s->name, "dx");
    has_dv |= !strcmp(s->name, "dv");
  }
  if (!has_dv) return 0;
  double cells = 1;
  if (has_dx && !kl_params_is_set(m, "nx") && kl_params_int(m, "dim_x") > 0)
    cells *= (kl_params_real(m, "x_hi") - kl_params_real(m, "x_lo")) / kl_params_real(m, "dx");
  if (!kl_params_is_set(m, "nv"))
    for (size_t j = 0; j < (size_t)kl_params_int(m, "d"); j++)
      cells *= (fz_list_at(m, "v_hi", j) - fz_list_at(m, "v_lo", j)) / fz_list_at(m, "dv", j);
  return fabs(cells);
}

/* Particle or cell counts beyond these make set-ups slow or large. */
static bool fz_too_big(const kl_experiment *exp) {
  if (exp->n_runs > 32) return true;
  for (size_t i = 0; i < exp->n_runs; i++) {
    const kl_params *m = exp->runs[i].model;
    for (const kl_param_spec *s = kl_params_specs(m); s && s->name; s++) {
      if (s->type == KL_PARAM_INT && !strcmp(s->name, "n") && kl_params_int(m, "n") > 24) return true;
      if (s->type == KL_PARAM_INT && (!strcmp(s->name, "N") || !strcmp(s->name, "nx")) &&
          kl_params_int(m, s->name) > 2048)
        return true;
      if (s->type == KL_PARAM_REAL_LIST && !strcmp(s->name, "nv") && kl_params_is_set(m, "nv")) {
        /* one value stands for every one of the d directions: nv: [120] in d = 3 */
        double cells = 1;
        for (size_t j = 0; j < (size_t)kl_params_int(m, "d"); j++) cells *= fz_list_at(m, "nv", j);
        if (!(cells <= 1e5)) return true;
      }
    }
    if (!(fz_grid_cells(m) <= 1e5)) return true;
    const kl_params *t = exp->runs[i].time;
    if (kl_params_is_set(t, "output_every") &&
        !(kl_params_real(t, "t_final") / kl_params_real(t, "output_every") <= 1e5))
      return true;
  }
  return false;
}

static void fz_check_setup_error(int rc, const kl_error *err) {
  if (rc < KL_EINVAL || rc > KL_EINTERNAL || rc == KL_EINTERNAL || rc == KL_EINTERRUPTED) {
    fprintf(stderr, "dry set-up: unexpected status %d: %s\n", rc, err->message);
    abort();
  }
  if (!err->message[0]) {
    fprintf(stderr, "dry set-up: status %d with an empty message\n", rc);
    abort();
  }
}

static int fz_dry_setup(const kl_experiment *exp, kl_error *err) {
  for (size_t i = 0; i < exp->n_runs; i++) {
    int rc = run_dry_setup(exp, i, fz_reg, fz_silent, err);
    if (rc) return rc;
  }
  return KL_OK;
}

static void fz_violation(const char *what, size_t i, int rc, const kl_error *err) {
  fprintf(stderr, "validate accepted, but %s of run %zu failed with status %d: %s\n", what, i, rc,
          err->message);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!fz_reg) {
    kl_error err = {0, ""};
    fz_reg = kl_registry_new();
    if (!fz_reg || kl_registry_load_default_path(fz_reg, &err) || kl_registry_count(fz_reg) == 0) {
      fprintf(stderr, "fuzz_setup: no plugins (set KINLAB_PLUGIN_PATH): %s\n", err.message);
      abort();
    }
    fz_silent = kl_log_new(NULL, KL_LOG_ERROR, false);
  }
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  kl_experiment *exp = NULL;
  kl_error err = {0, ""};
  if (fz_refuse(text) ||
      kl_experiment_load_string(text, "fuzz.yaml", NULL, 0, fz_reg, &exp, &err) ||
      fz_too_big(exp)) {
    kl_experiment_free(exp);
    free(text);
    return 0;
  }
  int rc = fz_dry_setup(exp, &err);
  if (getenv("FZ_DEBUG")) fprintf(stderr, "dry set-up rc=%d %s\n", rc, rc ? err.message : "ok");
  if (rc) {
    fz_check_setup_error(rc, &err);
  } else {
    for (size_t i = 0; i < exp->n_runs; i++) { /* the configuration --restart loads */
      kl_node *res = kl_run_config_resolved(exp, &exp->runs[i]);
      char *buf = NULL;
      size_t len = 0;
      FILE *fp = res ? open_memstream(&buf, &len) : NULL;
      if (!fp) abort();
      rc = kl_node_emit_yaml(res, fp, &err);
      fclose(fp);
      kl_node_free(res);
      kl_experiment *again = NULL;
      if (!rc) rc = kl_experiment_load_string(buf, "<resolved>", NULL, 0, fz_reg, &again, &err);
      if (!rc) rc = fz_dry_setup(again, &err);
      kl_experiment_free(again);
      free(buf);
      if (rc && rc != KL_ENOMEM) fz_violation("the set-up of its config.resolved.yaml", i, rc, &err);
    }
    for (size_t i = 0; i < exp->n_runs; i++) { /* run's own set-up */
      run_ctx r;
      memset(&r, 0, sizeof r);
      r.exp = exp;
      r.cfg = &exp->runs[i];
      r.log = fz_silent;
      rc = run_setup(&r, &err);
      r.log = NULL; /* not run_free's to close */
      run_free(&r);
      if (rc && rc != KL_ENOMEM) fz_violation("run's set-up", i, rc, &err);
    }
  }
  kl_experiment_free(exp);
  free(text);
  return 0;
}
