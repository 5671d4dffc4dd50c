/* checkpoint.c - checkpoint.h5 (state, counters, output position) and the
 * restart from it.  The published timeseries.csv is brought up to date first,
 * so a checkpoint never refers to rows that are not on disk. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "run_internal.h"

#define CHECKPOINT_FORMAT 1.0
enum { META_FORMAT, META_T, META_STEP, META_DT, META_NEXT_OUT, META_ROWS, META_ACCEPTED,
       META_REJECTED, META_RHS, META_WALL, META_N, META_PART_DT, META_COUNT };

/* Copy the in-progress CSV to its final name (atomically), so the run
 * directory is consistent at every checkpoint and stop. */
static int publish_file(const char *tmp, const char *final, kl_error *err) {
  char t2[PATH_MAX];
  kl_pathf(t2, sizeof t2, "%s.publish", final);
  int rc = kl_copy_file(tmp, t2, err);
  if (!rc && rename(t2, final) != 0)
    rc = kl_error_set(err, KL_EIO, "cannot rename %s: %s", t2, strerror(errno));
  if (rc) unlink(t2);
  return rc;
}

int run_write_checkpoint(run_ctx *r, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "checkpoint.h5", err);
  if (rc) return rc;
  /* Outputs first: a checkpoint never refers to rows that are not published. */
  fflush(r->csv.fp);
  if (fsync(fileno(r->csv.fp)) != 0)
    return kl_error_set(err, KL_EIO, "writing timeseries.csv failed: %s", strerror(errno));
  char final[PATH_MAX];
  kl_run_path(final, sizeof final, r->dir, "timeseries.csv", err);
  if ((rc = publish_file(r->csv.tmp_path, final, err))) return rc;
  kl_h5 *h = NULL;
  if ((rc = kl_h5_create(path, &h, err))) return rc;
  double meta[META_COUNT] = {0};
  meta[META_FORMAT] = CHECKPOINT_FORMAT;
  meta[META_T] = r->t;
  meta[META_STEP] = (double)r->step;
  meta[META_DT] = r->dt;
  meta[META_NEXT_OUT] = (double)r->next_out;
  meta[META_ROWS] = (double)r->rows;
  meta[META_ACCEPTED] = (double)r->stats.accepted;
  meta[META_REJECTED] = (double)r->stats.rejected;
  meta[META_RHS] = (double)r->stats.rhs_evals;
  meta[META_WALL] = r->wall_before + (kl_wall_now() - r->wall_start);
  meta[META_N] = (double)r->n;
  meta[META_PART_DT] = r->part_dt;
  rc = kl_h5_write_root(h, "meta", META_COUNT, meta, err);
  if (!rc) rc = kl_h5_write_root(h, "y", r->n, r->y, err);
  if (rc) {
    kl_h5_abort(h);
    return rc;
  }
  return kl_h5_commit(h, err);
}


int run_restore_checkpoint(run_ctx *r, kl_error *err) {
  char path[PATH_MAX], csv_path[PATH_MAX];
  kl_run_path(path, sizeof path, r->dir, "checkpoint.h5", err);
  kl_run_path(csv_path, sizeof csv_path, r->dir, "timeseries.csv", err);
  if (!kl_file_exists(path))
    return kl_error_set(err, KL_EIO, "%s: no checkpoint to restart from", path);
  double meta[META_COUNT];
  int rc = kl_h5_read_file(path, "meta", meta, META_COUNT, err);
  if (rc) return rc;
  if (meta[META_FORMAT] != CHECKPOINT_FORMAT || meta[META_N] != (double)r->n)
    return kl_error_set(err, KL_EINVAL,
                        "%s: checkpoint does not match this configuration (state size %.0f, "
                        "expected %zu)",
                        path, meta[META_N], r->n);
  if ((rc = kl_h5_read_file(path, "y", r->y, r->n, err))) return rc;
  r->t = meta[META_T];
  r->step = (uint64_t)meta[META_STEP];
  r->dt = meta[META_DT];
  r->next_out = (size_t)meta[META_NEXT_OUT];
  size_t rows = (size_t)meta[META_ROWS];
  r->stats.accepted = (uint64_t)meta[META_ACCEPTED];
  r->stats.rejected = (uint64_t)meta[META_REJECTED];
  r->stats.rhs_evals = (uint64_t)meta[META_RHS];
  r->wall_before = meta[META_WALL];
  r->part_dt = meta[META_PART_DT];
  /* Copy the header and the first `rows` rows of the published CSV. */
  FILE *in = fopen(csv_path, "r");
  if (!in) return kl_error_set(err, KL_EIO, "cannot read %s: %s", csv_path, strerror(errno));
  char *line = NULL;
  size_t cap = 0, copied = 0;
  ssize_t len;
  while (copied <= rows && (len = getline(&line, &cap, in)) > 0) {
    fwrite(line, 1, (size_t)len, r->csv.fp);
    copied++;
  }
  free(line);
  fclose(in);
  if (copied != rows + 1)
    return kl_error_set(err, KL_EIO, "%s has %zu rows, the checkpoint expects %zu", csv_path,
                        copied ? copied - 1 : 0, rows);
  r->rows = rows;
  kl_integrator_reset(r->integrator);
  return KL_OK;
}
