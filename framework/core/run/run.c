/* run.c - the run of one variant: set-up, files opened (or reopened for a
 * restart), the time loop, then outputs published and summary.json written.
 * Whatever happens, what was written before a failure stays published. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "run_internal.h"

/* Open run.log (appended on restart) and start logging into it. */
static int open_log(run_ctx *r, bool restart, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "run.log", err);
  if (rc) return rc;
  FILE *logf = fopen(path, restart ? "a" : "w");
  if (!logf) return kl_error_set(err, KL_EIO, "cannot write %s: %s", path, strerror(errno));
  r->log = kl_log_new(logf, KL_LOG_WARN, true);
  if (!r->log) {
    fclose(logf);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  r->log->before_console = run_progress_clear;
  r->log->console_ctx = r;
  /* Variants run side by side: every warning on the terminal says whose it is
   * (run.log is the variant's own). */
  if (r->exp->n_runs > 1)
    snprintf(r->log->console_tag, sizeof r->log->console_tag, "variant '%.60s': ",
             r->cfg->variant_name);
  return KL_OK;
}

/* The in-progress timeseries.csv and snapshots.h5 (a copy of the published
 * one when restarting), then the first row or the restored position.  A
 * restart checks the checkpoint before snapshots.h5 is copied or made anew. */
static int open_outputs(run_ctx *r, bool restart, kl_error *err) {
  char path[PATH_MAX];
  int rc;
  kl_run_path(path, sizeof path, r->dir, "timeseries.csv", err);
  if ((rc = kl_atomic_open(&r->csv, path, err))) return rc;
  r->wall_start = kl_wall_now();
  r->cpu_start = kl_cpu_now();
  r->progress = !r->opt->quiet && isatty(STDERR_FILENO);
  if (restart && (rc = run_restore_checkpoint(r, err))) return rc;
  /* The drift check of a restarted run counts from the restored state. */
  if (restart && (rc = run_drift_reference(r, err))) return rc;
  if (r->snapshots) {
    kl_run_path(path, sizeof path, r->dir, "snapshots.h5", err);
    if (restart && kl_file_exists(path)) rc = kl_h5_reopen_copy(path, path, &r->h5, err);
    else if (!(rc = kl_h5_create(path, &r->h5, err)))
      /* Ties the snapshots to this run: a restart refuses another run's. */
      rc = kl_h5_set_root_attr_string(r->h5, KL_SNAP_CONFIG_SHA256, r->config_sha256, err);
    if (rc) return rc;
  }
  if (restart) return KL_OK;
  if ((rc = run_write_csv_header(r, err))) return rc;
  if ((rc = run_observe(r, err))) return rc;
  r->next_out = 1;
  return KL_OK;
}

/* Completed or stopped: checkpoint, then publish the outputs. */
static int publish_outputs(run_ctx *r, kl_error *err) {
  int rc;
  if ((rc = run_write_checkpoint(r, err))) return rc;
  if ((rc = kl_atomic_commit(&r->csv, err))) return rc;
  if (r->h5) {
    kl_h5 *h = r->h5;
    r->h5 = NULL;
    if ((rc = kl_h5_commit(h, err))) return rc;
  }
  return KL_OK;
}

static int run_one(run_ctx *r, bool restart, kl_error *err) {
  const kl_run_config *c = r->cfg;
  int rc = kl_mkdir_p(r->dir, err);
  if (rc) return rc;
  /* A variant's own directory; a single run's is the base directory, which
   * kl_experiment_run has locked. */
  if (r->exp->n_runs > 1 && (rc = kl_run_dir_lock(r->dir, &r->lock_fd, err))) return rc;
  if ((rc = open_log(r, restart, err))) return rc;
  kl_logf(r->log, KL_LOG_INFO, "%s %s%s%s in %s", restart ? "restarting" : "starting",
          r->exp->name, c->variant_name[0] ? " variant " : "", c->variant_name, r->dir);
  kl_provenance_log(r->cfg->plugins, r->log);
  if ((rc = restart ? run_hash_resolved_config(r, err) : run_write_resolved_config(r, err)))
    return rc;
  if ((rc = run_identify_config(r, err))) return rc; /* run_setup takes the parameters */
  if ((rc = run_setup(r, err))) return rc;
  if ((rc = open_outputs(r, restart, err))) return rc;
  kl_error stop_err = {0, ""};
  if ((rc = run_loop(r, &stop_err, err))) goto failed;
  run_progress_update(r, true);
  if (r->progress) fputc('\n', stderr);
  if ((rc = publish_outputs(r, err))) goto failed;
  int stop = stop_err.code;
  if ((rc = run_write_summary(r, stop, &stop_err, err))) return rc;
  if (stop) {
    r->log->console = false; /* the caller prints the message once */
    kl_logf(r->log, KL_LOG_WARN, "%s", stop_err.message);
    *err = stop_err;
    return stop;
  }
  kl_logf(r->log, KL_LOG_INFO, "completed: t = %.17g, %llu steps, %llu rhs evaluations, %.3f s",
          r->t, (unsigned long long)r->stats.accepted, (unsigned long long)r->stats.rhs_evals,
          r->wall_before + kl_wall_now() - r->wall_start);
  return KL_OK;

failed:
  if (r->progress) fputc('\n', stderr);
  /* Keep what was written before the failure: publish the CSV and snapshots. */
  {
    kl_error e2;
    if (r->csv.fp) kl_atomic_commit(&r->csv, &e2);
    if (r->h5) {
      kl_h5 *h = r->h5;
      r->h5 = NULL;
      kl_h5_commit(h, &e2);
    }
    run_write_summary(r, rc, err, &e2);
  }
  return rc;
}

int run_variant(kl_experiment *exp, size_t i, const char *dir, bool restart,
                       const kl_run_options *opt, kl_error *err) {
  run_ctx r;
  memset(&r, 0, sizeof r);
  r.exp = exp;
  r.cfg = &exp->runs[i];
  r.opt = opt;
  r.lock_fd = -1;
  snprintf(r.dir, sizeof r.dir, "%s", dir);
  int rc = run_one(&r, restart, err);
  if (rc && rc != KL_EINTERRUPTED && rc != KL_ELIMIT && r.log) {
    r.log->console = false; /* the caller prints it once */
    kl_logf(r.log, KL_LOG_ERROR, "%s", err->message);
  }
  run_free(&r);
  kl_run_dir_unlock(r.lock_fd);
  return rc;
}
