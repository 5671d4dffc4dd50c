/* framework/core/run/run_internal.h - the run of one variant, split by job:
 *
 *   setup.c       instances, initial state, dt and view checks (the dry set-up
 *                 `kinlab validate` shares with `run`)
 *   schedule.c    output times
 *   observe.c     CSV columns, one output row, snapshot groups
 *   loop.c        the time loop: steps, stop conditions, progress line
 *   progress.c    the progress board of variants run as processes
 *   checkpoint.c  checkpoint.h5 and restart from it
 *   summary.c     summary.json and config.resolved.yaml
 *   rundir.c      run directories: creation, the .kinlab-run marker, --force,
 *                 the lock held while a process writes one
 *   variants.c    kl_experiment_run: variants as processes, jobs at a time
 */
#ifndef KINLAB_CORE_RUN_INTERNAL_H
#define KINLAB_CORE_RUN_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "../internal.h"

typedef struct part_ctx {
  const kl_instance *model;
  unsigned part;
} part_ctx;

/* Everything one variant's run owns; freed by run_free(). */
typedef struct run_ctx {
  const kl_experiment *exp;
  const kl_run_config *cfg;
  const kl_run_options *opt;
  char dir[PATH_MAX];
  kl_log *log;
  kl_instance *initial, *model, *integrator;
  kl_instance **diags;
  size_t n_diags;
  size_t n;
  double *y;
  double t, t_start, t_final, dt, part_dt;
  uint64_t step;
  kl_step_stats stats;
  double *outputs;      /* output times, outputs[0] = t_start, last = t_final */
  size_t n_out, next_out;
  size_t rows;          /* rows written to timeseries.csv */
  /* columns */
  size_t n_cols, n_inv;
  /* drift check of the conserved invariants (observe.c) */
  kl_conservation *inv_class; /* n_inv, from the model */
  double *inv0;               /* values at the start (or at the restart point) */
  bool have_inv0;
  double max_drift[3];        /* by kl_conservation; 0: no check */
  char **col_names;
  double *row;
  size_t *diag_col_start;
  /* files */
  kl_atomic_file csv;
  kl_h5 *h5;
  bool snapshots;
  long snapshot_every;
  /* time keeping */
  double wall_start, wall_before;
  double cpu_start; /* kl_cpu_now() when this process started the variant */
  long max_steps;
  double wall_limit;
  long checkpoint_every;
  bool unsplit;
  kl_system sys;
  part_ctx *parts;
  kl_system *part_sys;
  /* progress */
  bool progress;
  double last_progress;
  /* what the checkpoint belongs to (checkpoint.c) */
  char *config_text;          /* the resolved configuration, one line per key */
  char config_sha256[65], plugins_sha256[65];
  char config_file_sha256[65]; /* of config.resolved.yaml's bytes, for summary.json */
  size_t snapshots_written;   /* snapshot groups, the last for row last_snapshot */
  size_t last_snapshot;
  int lock_fd;                /* this variant's directory lock, or -1 */
} run_ctx;


int kl_run_path(char *out, size_t size, const char *dir, const char *name, kl_error *err);

/* setup.c: everything before the first step that writes no file.  With
 * r->dir empty nothing is written at all (the dry set-up of validate). */
int run_setup(run_ctx *r, kl_error *err);
void run_free(run_ctx *r);

/* schedule.c */
int run_setup_output_times(run_ctx *r, kl_error *err);

/* observe.c */
int run_setup_columns(run_ctx *r, kl_error *err);
int run_write_csv_header(run_ctx *r, kl_error *err);
int run_observe(run_ctx *r, kl_error *err);
/* The invariants' reference values for the drift check, from the state now
 * (a restart: the restored state). */
int run_drift_reference(run_ctx *r, kl_error *err);

/* loop.c */
bool kl_run_stop_requested(void);
/* "SIGTERM", ... or "a stop request": what stopped the run, for messages. */
const char *kl_stop_reason(void);
/* A stop request writes a byte to fd (-1: none), waking a parent in poll(). */
void kl_run_set_wake_fd(int fd);
int run_loop(run_ctx *r, kl_error *stop_err, kl_error *err);
int run_check_finite(run_ctx *r, kl_error *err);
void run_progress_update(run_ctx *r, bool force);
void run_progress_clear(void *ctx);

/* progress.c: the progress board of a --jobs run (variants as processes). */
typedef struct run_progress_slot run_progress_slot;
/* In a variant process: publish progress into slot (NULL: nowhere). */
void run_progress_set_slot(run_progress_slot *slot);
void run_progress_publish(const run_ctx *r); /* called by run_progress_update */
/* "  NAME  [ 42%] t = 0.42 / 1  step 84  3 s" into buf, at most width - 1
 * characters (t NaN: "setting up"); returns its length. */
size_t run_progress_format(char *buf, size_t size, const char *name, double t, double t_start,
                           double t_final, uint64_t step, double elapsed, size_t width);
typedef struct run_board_text {
  char *text;
  size_t len, cap;
} run_board_text;
typedef struct run_board {
  bool on;
  const kl_experiment *exp;
  size_t n;                  /* variants */
  run_progress_slot *slots;  /* n, shared with the variant processes */
  size_t bytes;
  double *started;           /* wall time each variant was launched */
  run_board_text *pending;   /* per variant: its stderr not yet written */
  size_t drawn;              /* lines on the terminal now */
} run_board;
/* Whether to show the board: stderr a terminal, not --quiet; the
 * environment KINLAB_PROGRESS=always|never overrides the terminal test. */
bool run_board_wanted(bool quiet);
int run_board_open(run_board *b, const kl_experiment *exp, size_t n, kl_error *err);
void run_board_close(run_board *b);
run_progress_slot *run_board_slot(run_board *b, size_t i); /* reset, launch time now */
void run_board_clear(run_board *b);
void run_board_draw(run_board *b, const size_t *running, size_t n_running, size_t done,
                    size_t failed);
void run_board_forward(run_board *b, size_t i, int fd, bool at_eof);

/* checkpoint.c */
int run_identify_config(run_ctx *r, kl_error *err); /* before run_setup */
void run_plugins_digest(run_ctx *r, char hex[65]);
int run_write_checkpoint(run_ctx *r, kl_error *err);
int run_restore_checkpoint(run_ctx *r, kl_error *err);

/* summary.c */
int run_write_summary(run_ctx *r, int status, const kl_error *run_err, kl_error *err);
int run_write_resolved_config(run_ctx *r, kl_error *err);
/* SHA-256 of config.resolved.yaml as it is on disk, into r->config_file_sha256
 * (written by run_write_resolved_config; at a restart, the file it continues). */
int run_hash_resolved_config(run_ctx *r, kl_error *err);

/* setup.c: the dry set-up of variant i (run_setup on a copy of its
 * configuration, then freed; no step, no file).  Warnings go to log (NULL:
 * stderr). */
int run_dry_setup(const kl_experiment *exp, size_t i, const kl_registry *reg, kl_log *log,
                  kl_error *err);

/* run.c: one variant from set-up to published outputs. */
int run_variant(kl_experiment *exp, size_t i, const char *dir, bool restart,
                const kl_run_options *opt, kl_error *err);

/* rundir.c */
bool kl_is_run_dir(const char *dir);
int kl_remove_tree(const char *path);
int kl_prepare_run_dir(const char *dir, const kl_run_options *opt, int *lock_fd, kl_error *err);
int kl_run_dir_lock(const char *dir, int *lock_fd, kl_error *err);
void kl_run_dir_unlock(int lock_fd);
int kl_write_experiment_copy(const kl_experiment *exp, const char *base, kl_error *err);
bool kl_variant_completed(const char *dir);
void kl_remove_stale_tmp(const char *dir, long pid);
bool kl_run_dir_has_outputs(const char *dir);

#endif
