/* run.c - the run loop: instances, time stepping, outputs, checkpoints.
 *
 * One run directory per variant holds
 *   config.resolved.yaml  the complete configuration, rerunnable as it is
 *   timeseries.csv        one row per output time
 *   snapshots.h5          one group per output time (view of the state + diagnostics)
 *   checkpoint.h5         state to continue from (kinlab run --restart DIR)
 *   summary.json          status, counters, timings, final invariants
 *   run.log               everything that was logged
 * Files are published atomically (kl_atomic_*, kl_h5_*), so a stopped run
 * leaves complete files and a checkpoint, never a truncated file.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kl_autoconf.h"

#include "internal.h"
#ifdef KL_HAVE_MPI
#include <mpi.h>
#endif

static volatile sig_atomic_t stop_requested;

void kl_set_threads(int threads) {
#ifdef _OPENMP
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

void kl_request_stop(void) { stop_requested = 1; }

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CHECKPOINT_FORMAT 1.0
enum { META_FORMAT, META_T, META_STEP, META_DT, META_NEXT_OUT, META_ROWS, META_ACCEPTED,
       META_REJECTED, META_RHS, META_WALL, META_N, META_PART_DT, META_COUNT };

typedef struct part_ctx {
  const kl_instance *model;
  unsigned part;
} part_ctx;

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
  double *outputs;
  size_t n_out, next_out;
  size_t rows;
  /* columns */
  size_t n_cols, n_inv;
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
} run_ctx;

/* -------------------------------------------------------------- helpers */
static int path_join(char *out, size_t size, const char *dir, const char *name, kl_error *err) {
  return kl_pathf(out, size, "%s/%s", dir, name)
             ? KL_OK
             : kl_error_set(err, KL_EIO, "path too long: %s/%s", dir, name);
}

static bool file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int sys_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  return kl_model_rhs((const kl_instance *)ctx, t, y, dydt, err);
}

static int sys_part_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  part_ctx *p = ctx;
  return kl_model_part_rhs(p->model, p->part, t, y, dydt, err);
}

static void progress_clear(void *ctx) {
  run_ctx *r = ctx;
  if (r->progress) fprintf(stderr, "\r\033[K");
}

static void progress_update(run_ctx *r, bool force) {
  if (!r->progress) return;
  double now = wall_now();
  if (!force && now - r->last_progress < 0.25) return;
  r->last_progress = now;
  double frac = (r->t - r->t_start) / (r->t_final - r->t_start);
  if (!(frac >= 0)) frac = 0;
  if (frac > 1) frac = 1;
  double elapsed = now - r->wall_start;
  char eta[32] = "--";
  if (frac > 1e-3) snprintf(eta, sizeof eta, "%.0fs", elapsed * (1 - frac) / frac);
  fprintf(stderr, "\r\033[K%s%s[%3.0f%%] t = %.6g / %.6g  step %llu  ETA %s",
          r->cfg->variant_name[0] ? r->cfg->variant_name : "", r->cfg->variant_name[0] ? " " : "",
          100 * frac, r->t, r->t_final, (unsigned long long)r->step, eta);
  fflush(stderr);
}

/* -------------------------------------------------------------- outputs */
static int setup_output_times(run_ctx *r, kl_error *err) {
  const kl_params *tp = r->cfg->time;
  r->t_final = kl_params_real(tp, "t_final");
  if (!(r->t_final > r->t_start))
    return kl_params_error(err, KL_EINVAL, tp, "t_final",
                           "expected an end time after the start time %.17g of the initial "
                           "data, found %.17g (t_final is absolute)",
                           r->t_start, r->t_final);
  const double *list = NULL;
  size_t n_list = kl_params_is_set(tp, "outputs") ? kl_params_real_list(tp, "outputs", &list) : 0;
  double every = kl_params_is_set(tp, "output_every") ? kl_params_real(tp, "output_every")
                                                      : (r->t_final - r->t_start) / 10;
  size_t cap = n_list + 2;
  if (!n_list) {
    double k = ceil((r->t_final - r->t_start) / every - 1e-9);
    if (k > 1e7)
      return kl_params_error(err, KL_EINVAL, tp, "output_every",
                             "expected at most 10^7 output times, found %.3g", k);
    cap = (size_t)k + 2;
  }
  r->outputs = malloc(cap * sizeof *r->outputs);
  if (!r->outputs) return kl_error_set(err, KL_ENOMEM, "out of memory");
  size_t m = 0;
  r->outputs[m++] = r->t_start;
  if (n_list) {
    for (size_t i = 0; i < n_list; i++) {
      if (list[i] < r->outputs[m - 1] || list[i] > r->t_final)
        return kl_params_error(err, KL_EINVAL, tp, "outputs",
                               "expected increasing times within [%.17g, %.17g], found %.17g",
                               r->t_start, r->t_final, list[i]);
      if (list[i] > r->outputs[m - 1]) r->outputs[m++] = list[i];
    }
  } else {
    for (size_t k = 1;; k++) {
      double tk = r->t_start + (double)k * every;
      if (tk >= r->t_final * (1 - 1e-12) - 1e-300) break;
      r->outputs[m++] = tk;
    }
  }
  if (r->outputs[m - 1] < r->t_final) r->outputs[m++] = r->t_final;
  r->n_out = m;
  return KL_OK;
}

static int add_column(run_ctx *r, const char *name, size_t *cap, kl_error *err) {
  if (r->n_cols == *cap) {
    *cap = *cap ? 2 * *cap : 32;
    char **p = realloc(r->col_names, *cap * sizeof *p);
    if (!p) return kl_error_set(err, KL_ENOMEM, "out of memory");
    r->col_names = p;
  }
  /* Column names must be unique: a second "energy" becomes "diag.energy". */
  for (size_t i = 0; i < r->n_cols; i++)
    if (strcmp(r->col_names[i], name) == 0)
      return kl_error_set(err, KL_EPLUGIN, "two diagnostics write the column '%s'", name);
  if (!(r->col_names[r->n_cols] = strdup(name))) return kl_error_set(err, KL_ENOMEM, "out of memory");
  r->n_cols++;
  return KL_OK;
}

static const char *const base_columns[] = {"t", "step", "dt", "accepted", "rejected",
                                           "rhs_evals", "wall_s"};
#define N_BASE_COLUMNS (sizeof base_columns / sizeof *base_columns)

static int setup_columns(run_ctx *r, kl_error *err) {
  size_t cap = 0;
  int rc = KL_OK;
  for (size_t i = 0; i < N_BASE_COLUMNS && !rc; i++) rc = add_column(r, base_columns[i], &cap, err);
  const char *const *names;
  r->n_inv = kl_model_invariant_names(r->model, &names);
  for (size_t i = 0; i < r->n_inv && !rc; i++) rc = add_column(r, names[i], &cap, err);
  r->diag_col_start = calloc(r->n_diags + 1, sizeof *r->diag_col_start);
  if (!r->diag_col_start) return kl_error_set(err, KL_ENOMEM, "out of memory");
  for (size_t d = 0; d < r->n_diags && !rc; d++) {
    r->diag_col_start[d] = r->n_cols;
    size_t nc = kl_diagnostic_columns(r->diags[d], &names);
    for (size_t i = 0; i < nc && !rc; i++) {
      char buf[256];
      kl_pathf(buf, sizeof buf, "%s", names[i]);
      for (size_t j = 0; j < r->n_cols; j++)
        if (strcmp(r->col_names[j], buf) == 0) {
          kl_pathf(buf, sizeof buf, "%s.%s", kl_instance_name(r->diags[d]), names[i]);
          break;
        }
      rc = add_column(r, buf, &cap, err);
    }
  }
  r->diag_col_start[r->n_diags] = r->n_cols;
  if (rc) return rc;
  r->row = calloc(r->n_cols, sizeof *r->row);
  return r->row ? KL_OK : kl_error_set(err, KL_ENOMEM, "out of memory");
}

static int write_csv_header(run_ctx *r, kl_error *err) {
  for (size_t i = 0; i < r->n_cols; i++)
    fprintf(r->csv.fp, "%s%s", i ? "," : "", r->col_names[i]);
  fputc('\n', r->csv.fp);
  return ferror(r->csv.fp) ? kl_error_set(err, KL_EIO, "writing timeseries.csv failed: %s",
                                          strerror(errno))
                           : KL_OK;
}

static int write_view_snapshot(const kl_view *v, kl_snapshot *snap, kl_error *err) {
  int rc = KL_OK;
  if (v->kind == KL_VIEW_PARTICLES) {
    const kl_particle_view *p = &v->particles;
    size_t dims[2] = {v->dim_v, p->n};
    /* Components are separate arrays in the view: gather (d x N). */
    double *buf = malloc((size_t)(v->dim_v > v->dim_x ? v->dim_v : v->dim_x) * (p->n ? p->n : 1) *
                         sizeof *buf);
    if (!buf) return kl_error_set(err, KL_ENOMEM, "out of memory: snapshot of %zu particles", p->n);
    for (unsigned k = 0; k < v->dim_v; k++) memcpy(buf + k * p->n, p->v[k], p->n * sizeof *buf);
    rc = kl_snapshot_write(snap, "velocities", 2, dims, buf, err);
    if (!rc && v->dim_x && p->x[0]) {
      dims[0] = v->dim_x;
      for (unsigned k = 0; k < v->dim_x; k++) memcpy(buf + k * p->n, p->x[k], p->n * sizeof *buf);
      rc = kl_snapshot_write(snap, "positions", 2, dims, buf, err);
    }
    free(buf);
    if (!rc && p->w) rc = kl_snapshot_write(snap, "weights", 1, &p->n, p->w, err);
  } else if (v->kind == KL_VIEW_GRID) {
    const kl_grid_view *g = &v->grid;
    size_t dims[4] = {g->nx, g->nv[0], g->nv[1] ? g->nv[1] : 1, g->nv[2] ? g->nv[2] : 1};
    unsigned rank = 1 + (v->dim_v ? v->dim_v : 1);
    rc = kl_snapshot_write(snap, "f", rank, dims, g->f, err);
    /* Cell k of an axis covers [lo + k d, lo + (k+1) d]: axis order x, v0, v1, v2. */
    double x_lo[1] = {g->x_lo}, dx[1] = {g->dx};
    if (!rc) rc = kl_snapshot_set_attr(snap, "f", "x_lo", 1, x_lo, err);
    if (!rc) rc = kl_snapshot_set_attr(snap, "f", "dx", 1, dx, err);
    unsigned dv = v->dim_v ? v->dim_v : 1;
    if (!rc) rc = kl_snapshot_set_attr(snap, "f", "v_lo", dv, g->v_lo, err);
    if (!rc) rc = kl_snapshot_set_attr(snap, "f", "dv", dv, g->dv, err);
  }
  return rc;
}

static int observe(run_ctx *r, kl_error *err) {
  kl_view view;
  int rc = kl_model_view(r->model, r->y, &view, err);
  if (rc) return kl_error_prefix(err, "model '%s' view", kl_instance_name(r->model));
  view.dim_v = view.dim_v ? view.dim_v : r->cfg->dim_v;
  kl_observation obs = {r->t, r->step, r->y, &view, r->model, r->initial};
  double *row = r->row;
  row[0] = r->t;
  row[1] = (double)r->step;
  row[2] = r->dt;
  row[3] = (double)r->stats.accepted;
  row[4] = (double)r->stats.rejected;
  row[5] = (double)r->stats.rhs_evals;
  row[6] = r->wall_before + (wall_now() - r->wall_start);
  rc = kl_model_invariants(r->model, r->t, r->y, row + N_BASE_COLUMNS, err);
  if (rc) return kl_error_prefix(err, "model '%s' invariants", kl_instance_name(r->model));
  for (size_t d = 0; d < r->n_diags && !rc; d++) {
    if (r->diag_col_start[d + 1] > r->diag_col_start[d])
      rc = kl_diagnostic_observe(r->diags[d], &obs, row + r->diag_col_start[d], err);
    if (rc) return kl_error_prefix(err, "diagnostic '%s' at t = %.17g", kl_instance_name(r->diags[d]), r->t);
  }
  for (size_t i = 0; i < r->n_cols; i++) fprintf(r->csv.fp, "%s%.17g", i ? "," : "", row[i]);
  fputc('\n', r->csv.fp);
  if (fflush(r->csv.fp) != 0 || ferror(r->csv.fp))
    return kl_error_set(err, KL_EIO, "writing %s/timeseries.csv failed: %s (disk full?)", r->dir,
                        strerror(errno));
  size_t k = r->rows++;
  bool last = r->t >= r->t_final;
  if (r->snapshots && (k % (size_t)r->snapshot_every == 0 || last)) {
    kl_snapshot *snap = NULL;
    rc = kl_h5_begin_snapshot(r->h5, k, r->t, &snap, err);
    if (!rc) rc = write_view_snapshot(&view, snap, err);
    for (size_t d = 0; d < r->n_diags && !rc; d++)
      if (kl_diagnostic_has_snapshot(r->diags[d])) {
        rc = kl_diagnostic_snapshot(r->diags[d], &obs, snap, err);
        if (rc) kl_error_prefix(err, "diagnostic '%s' snapshot", kl_instance_name(r->diags[d]));
      }
    int rc2 = kl_h5_end_snapshot(snap, err);
    if (!rc) rc = rc2;
    if (rc) kl_error_prefix(err, "writing %s/snapshots.h5 at t = %.17g", r->dir, r->t);
  }
  return rc;
}

/* Copy the in-progress CSV/HDF5 files to their final names (atomically), so
 * the run directory is consistent at every checkpoint and stop. */
static int publish_file(const char *tmp, const char *final, kl_error *err) {
  char t2[PATH_MAX];
  kl_pathf(t2, sizeof t2, "%s.publish", final);
  int rc = kl_copy_file(tmp, t2, err);
  if (!rc && rename(t2, final) != 0)
    rc = kl_error_set(err, KL_EIO, "cannot rename %s: %s", t2, strerror(errno));
  if (rc) unlink(t2);
  return rc;
}

static int write_checkpoint(run_ctx *r, kl_error *err) {
  char path[PATH_MAX];
  int rc = path_join(path, sizeof path, r->dir, "checkpoint.h5", err);
  if (rc) return rc;
  /* Outputs first: a checkpoint never refers to rows that are not published. */
  fflush(r->csv.fp);
  if (fsync(fileno(r->csv.fp)) != 0)
    return kl_error_set(err, KL_EIO, "writing timeseries.csv failed: %s", strerror(errno));
  char final[PATH_MAX];
  path_join(final, sizeof final, r->dir, "timeseries.csv", err);
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
  meta[META_WALL] = r->wall_before + (wall_now() - r->wall_start);
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

/* ------------------------------------------------------------- stepping */
static int integrate_part(run_ctx *r, unsigned k, double t, double h, kl_error *err) {
  int rc = kl_model_part_step(r->model, k, t, h, r->y, err);
  if (rc != KL_USE_INTEGRATOR) {
    if (rc) kl_error_prefix(err, "model '%s' split part %u", kl_instance_name(r->model), k);
    return rc;
  }
  double tp = t, t_end = t + h;
  double dt = kl_integrator_is_adaptive(r->integrator) && r->part_dt > 0 ? r->part_dt : h;
  while (tp < t_end) {
    kl_step_stats st = {0, 0, 0};
    rc = kl_integrator_step(r->integrator, &r->part_sys[k], &tp, &dt, t_end, r->y, &st, err);
    r->stats.rejected += st.rejected;
    r->stats.rhs_evals += st.rhs_evals;
    if (rc) return rc;
  }
  if (kl_integrator_is_adaptive(r->integrator)) r->part_dt = dt;
  return KL_OK;
}

static int advance(run_ctx *r, double t_limit, kl_error *err) {
  double remaining = t_limit - r->t;
  bool adaptive = kl_integrator_is_adaptive(r->integrator);
  /* A fixed step that would leave a sliver of round-off before t_limit
   * (remaining = dt (1 + 1e-12)) lands on t_limit instead. */
  bool to_limit = !adaptive && remaining <= r->dt * (1 + 1e-9);
  if (r->unsplit) {
    double dt = to_limit ? remaining : r->dt;
    double t = r->t;
    int rc = kl_integrator_step(r->integrator, &r->sys, &t, &dt, t_limit, r->y, &r->stats, err);
    if (rc) return rc;
    if (adaptive || !to_limit) r->dt = dt;
    r->t = to_limit ? t_limit : t;
    return KL_OK;
  }
  double h = to_limit || remaining < r->dt ? remaining : r->dt;
  unsigned np = kl_model_n_parts(r->model);
  int rc = KL_OK;
  if (kl_model_split_scheme(r->model) == KL_SPLIT_LIE || np == 1) {
    for (unsigned k = 0; k < np && !rc; k++) rc = integrate_part(r, k, r->t, h, err);
  } else { /* Strang: half steps of parts 0..np-2 around a full step of the last */
    for (unsigned k = 0; k + 1 < np && !rc; k++) rc = integrate_part(r, k, r->t, h / 2, err);
    if (!rc) rc = integrate_part(r, np - 1, r->t, h, err);
    for (unsigned k = np - 1; k-- > 0 && !rc;) rc = integrate_part(r, k, r->t + h / 2, h / 2, err);
  }
  if (rc) return rc;
  r->stats.accepted++;
  r->t = (h == remaining) ? t_limit : r->t + h;
  return KL_OK;
}

static int check_finite(run_ctx *r, kl_error *err) {
  /* y * 0 is 0 for finite y and NaN for NaN/Inf: one vectorised pass, and the
   * slow scan only once something is wrong. */
  /* A double is NaN or Inf iff its exponent bits are all ones: with
   * e = bits & EXP (e <= EXP), e + 2^52 sets bit 63 exactly then.  An integer
   * OR reduction vectorizes with no dependency chain worth the name (a
   * floating-point probe sum took 2 cycles per entry, 20 % of a Cucker-Smale
   * grid step); the slow scan below runs only once something is wrong. */
  const uint64_t EXP = UINT64_C(0x7FF0000000000000), ONE = UINT64_C(1) << 52;
  uint64_t any = 0;
  const double *y = r->y;
  const size_t n = r->n;
  /* (An OpenMP split of this pass was slower: libgomp's spin-wait cost more than
   * the second core's bandwidth gained, 10.2 s vs 9.2 s for paper 004's Table 1.) */
#pragma omp simd reduction(| : any)
  for (size_t i = 0; i < n; i++) {
    uint64_t bits;
    memcpy(&bits, y + i, sizeof bits);
    any |= (bits & EXP) + ONE;
  }
  if (!(any >> 63)) return KL_OK;
  for (size_t i = 0; i < r->n; i++)
    if (!isfinite(r->y[i]))
      return kl_error_set(err, KL_ENUMERIC,
                          "numerical blow-up: state entry %zu of %zu is %s after step %llu at "
                          "t = %.17g (dt = %.3g); outputs up to the previous output time are "
                          "kept in %s. Reduce dt or check the parameters",
                          i, r->n, isnan(r->y[i]) ? "NaN" : "Inf", (unsigned long long)r->step,
                          r->t, r->dt, r->dir);
  return KL_OK;
}

/* ------------------------------------------------------------ set-up */
static int create_instances(run_ctx *r, kl_error *err) {
  const kl_run_config *c = r->cfg;
  kl_setup base = {sizeof(kl_setup), NULL, c->dim_v, c->dim_x, NULL, NULL, r->log};
  int rc = kl_instance_create(c->initial_info, c->initial, &base, &r->initial, err);
  ((kl_run_config *)c)->initial = NULL; /* owned by the instance now */
  if (rc) return rc;
  base.initial = r->initial;
  rc = kl_instance_create(c->model_info, c->model, &base, &r->model, err);
  ((kl_run_config *)c)->model = NULL;
  if (rc) return rc;
  base.model = r->model;
  rc = kl_instance_create(c->integrator_info, c->integrator, &base, &r->integrator, err);
  ((kl_run_config *)c)->integrator = NULL;
  if (rc) return rc;
  r->diags = calloc(c->n_diagnostics + 1, sizeof *r->diags);
  if (!r->diags) return kl_error_set(err, KL_ENOMEM, "out of memory");
  for (size_t i = 0; i < c->n_diagnostics; i++) {
    rc = kl_instance_create(c->diagnostic_info[i], c->diagnostics[i], &base, &r->diags[i], err);
    c->diagnostics[i] = NULL;
    if (rc) return rc;
    r->n_diags++;
  }
  return KL_OK;
}

static int check_views(run_ctx *r, kl_error *err) {
  kl_view view;
  int rc = kl_model_view(r->model, r->y, &view, err);
  if (rc) return rc;
  for (size_t d = 0; d < r->n_diags; d++)
    if (!(kl_diagnostic_accepts(r->diags[d]) & view.kind))
      return kl_error_set(err, KL_EINVAL,
                          "%s: diagnostic '%s' cannot observe model '%s' (it expects %s, the "
                          "model provides %s)",
                          r->exp->source, kl_instance_name(r->diags[d]), kl_instance_name(r->model),
                          (kl_diagnostic_accepts(r->diags[d]) & KL_VIEW_PARTICLES) ? "particles"
                                                                                   : "a grid",
                          view.kind == KL_VIEW_PARTICLES ? "particles" : "a grid");
  return KL_OK;
}

static int write_resolved_config(run_ctx *r, kl_error *err) {
  char path[PATH_MAX];
  int rc = path_join(path, sizeof path, r->dir, "config.resolved.yaml", err);
  if (rc) return rc;
  kl_node *tree = kl_run_config_resolved(r->exp, r->cfg);
  if (!tree) return kl_error_set(err, KL_ENOMEM, "cannot build the resolved configuration");
  kl_atomic_file af;
  if ((rc = kl_atomic_open(&af, path, err))) {
    kl_node_free(tree);
    return rc;
  }
  fprintf(af.fp, "# Resolved configuration written by kinlab %s; rerun with: kinlab run %s\n",
          kl_version(), path);
  rc = kl_node_emit_yaml(tree, af.fp, err);
  kl_node_free(tree);
  if (rc) {
    kl_atomic_abort(&af);
    return rc;
  }
  return kl_atomic_commit(&af, err);
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void json_number(FILE *f, double x) {
  if (isfinite(x)) fprintf(f, "%.17g", x);
  else fputs("null", f);
}

static int write_summary(run_ctx *r, int status, const kl_error *run_err, kl_error *err) {
  char path[PATH_MAX];
  int rc = path_join(path, sizeof path, r->dir, "summary.json", err);
  if (rc) return rc;
  kl_atomic_file af;
  if ((rc = kl_atomic_open(&af, path, err))) return rc;
  FILE *f = af.fp;
  fprintf(f, "{\n  \"kinlab_version\": ");
  json_string(f, kl_version());
  fprintf(f, ",\n  \"experiment\": ");
  json_string(f, r->exp->name);
  fprintf(f, ",\n  \"variant\": ");
  json_string(f, r->cfg->variant_name);
  fprintf(f, ",\n  \"status\": ");
  json_string(f, status == KL_OK ? "completed" : kl_status_name(status));
  fprintf(f, ",\n  \"message\": ");
  json_string(f, status == KL_OK || !run_err ? "" : run_err->message);
  fprintf(f, ",\n  \"model\": ");
  json_string(f, r->model ? kl_instance_name(r->model) : "");
  fprintf(f, ",\n  \"integrator\": ");
  json_string(f, r->integrator ? kl_instance_name(r->integrator) : "");
  fprintf(f, ",\n  \"state_size\": %zu", r->n);
  fprintf(f, ",\n  \"t_start\": ");
  json_number(f, r->t_start);
  fprintf(f, ",\n  \"t\": ");
  json_number(f, r->t);
  fprintf(f, ",\n  \"t_final\": ");
  json_number(f, r->t_final);
  fprintf(f, ",\n  \"steps\": %llu,\n  \"rejected\": %llu,\n  \"rhs_evals\": %llu",
          (unsigned long long)r->stats.accepted, (unsigned long long)r->stats.rejected,
          (unsigned long long)r->stats.rhs_evals);
  fprintf(f, ",\n  \"wall_s\": ");
  json_number(f, r->wall_before + (wall_now() - r->wall_start));
  fprintf(f, ",\n  \"outputs\": %zu", r->rows);
  /* Which columns are the model's invariants (drift is meaningful for them). */
  fprintf(f, ",\n  \"invariants\": [");
  for (size_t i = 0; r->col_names && i < r->n_inv; i++) {
    fputs(i ? ", " : "", f);
    json_string(f, r->col_names[N_BASE_COLUMNS + i]);
  }
  fputc(']', f);
  fprintf(f, ",\n  \"final\": {");
  for (size_t i = 0; r->row && r->rows && i < r->n_cols; i++) {
    fprintf(f, "%s\n    ", i ? "," : "");
    json_string(f, r->col_names[i]);
    fputs(": ", f);
    json_number(f, r->row[i]);
  }
  fprintf(f, "\n  }\n}\n");
  return kl_atomic_commit(&af, err);
}

static void run_free(run_ctx *r) {
  if (r->csv.fp) kl_atomic_abort(&r->csv);
  if (r->h5) kl_h5_abort(r->h5);
  for (size_t d = 0; d < r->n_diags; d++) kl_instance_free(r->diags[d]);
  free(r->diags);
  kl_instance_free(r->integrator);
  kl_instance_free(r->model);
  kl_instance_free(r->initial);
  for (size_t i = 0; i < r->n_cols; i++) free(r->col_names[i]);
  free(r->col_names);
  free(r->row);
  free(r->diag_col_start);
  free(r->outputs);
  free(r->y);
  free(r->parts);
  free(r->part_sys);
  kl_log_free(r->log);
}

/* Continue from DIR/checkpoint.h5: state, counters, and the outputs written
 * before it (CSV rows and snapshot groups beyond the checkpoint are dropped). */
static int restore_checkpoint(run_ctx *r, kl_error *err) {
  char path[PATH_MAX], csv_path[PATH_MAX];
  path_join(path, sizeof path, r->dir, "checkpoint.h5", err);
  path_join(csv_path, sizeof csv_path, r->dir, "timeseries.csv", err);
  if (!file_exists(path))
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

static int run_one(run_ctx *r, bool restart, kl_error *err) {
  const kl_run_config *c = r->cfg;
  int rc = kl_mkdir_p(r->dir, err);
  if (rc) return rc;
  char path[PATH_MAX];
  path_join(path, sizeof path, r->dir, "run.log", err);
  FILE *logf = fopen(path, restart ? "a" : "w");
  if (!logf) return kl_error_set(err, KL_EIO, "cannot write %s: %s", path, strerror(errno));
  r->log = kl_log_new(logf, KL_LOG_WARN, true);
  if (!r->log) {
    fclose(logf);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  r->log->before_console = progress_clear;
  r->log->console_ctx = r;
  kl_logf(r->log, KL_LOG_INFO, "%s %s%s%s in %s", restart ? "restarting" : "starting",
          r->exp->name, c->variant_name[0] ? " variant " : "", c->variant_name, r->dir);
  if (!restart && (rc = write_resolved_config(r, err))) return rc;
  if ((rc = create_instances(r, err))) return rc;
  r->n = kl_model_size(r->model);
  if (r->n == 0) return kl_error_set(err, KL_EINVAL, "model '%s' has an empty state", kl_instance_name(r->model));
  r->y = calloc(r->n, sizeof *r->y);
  if (!r->y) return kl_error_set(err, KL_ENOMEM, "out of memory: model '%s' has a state of %zu "
                                 "values (%zu bytes): reduce its size parameters",
                                 kl_instance_name(r->model), r->n, r->n * sizeof *r->y);
  r->t_start = kl_initial_start_time(r->initial);
  double t0 = r->t_start;
  if ((rc = kl_model_initial(r->model, &t0, r->y, err))) return rc;
  r->t_start = r->t = t0;
  if ((rc = check_finite(r, err))) return kl_error_prefix(err, "initial state");
  if ((rc = check_views(r, err))) return rc;
  if ((rc = setup_output_times(r, err))) return rc;
  r->dt = kl_params_real(kl_instance_params(r->integrator), "dt");
  if (!(r->dt > 0))
    return kl_error_set(err, KL_EINVAL, "%s: integrator '%s' has no positive dt", r->exp->source,
                        kl_instance_name(r->integrator));
  if ((rc = kl_model_check_dt(r->model, r->dt, err))) return rc;
  r->unsplit = kl_model_n_parts(r->model) == 0;
  r->sys = (kl_system){sys_rhs, r->model, r->n};
  if (!r->unsplit) {
    unsigned np = kl_model_n_parts(r->model);
    r->parts = calloc(np, sizeof *r->parts);
    r->part_sys = calloc(np, sizeof *r->part_sys);
    if (!r->parts || !r->part_sys) return kl_error_set(err, KL_ENOMEM, "out of memory");
    for (unsigned k = 0; k < np; k++) {
      r->parts[k] = (part_ctx){r->model, k};
      r->part_sys[k] = (kl_system){sys_part_rhs, &r->parts[k], r->n};
    }
  }
  const kl_params *tp = c->time, *op = c->output;
  r->max_steps = kl_params_int(tp, "max_steps");
  r->wall_limit = kl_params_real(tp, "wall_limit");
  r->checkpoint_every = kl_params_int(tp, "checkpoint_every");
  r->snapshots = kl_params_bool(op, "snapshots");
  r->snapshot_every = kl_params_int(op, "snapshot_every");
  if (r->snapshot_every < 1) r->snapshot_every = 1;
  if ((rc = setup_columns(r, err))) return rc;
  path_join(path, sizeof path, r->dir, "timeseries.csv", err);
  if ((rc = kl_atomic_open(&r->csv, path, err))) return rc;
  if (r->snapshots) {
    path_join(path, sizeof path, r->dir, "snapshots.h5", err);
    if (restart && file_exists(path)) rc = kl_h5_reopen_copy(path, path, &r->h5, err);
    else rc = kl_h5_create(path, &r->h5, err);
    if (rc) return rc;
  }
  r->wall_start = wall_now();
  r->progress = !r->opt->quiet && isatty(STDERR_FILENO);
  if (restart) {
    if ((rc = restore_checkpoint(r, err))) return rc;
  } else {
    if ((rc = write_csv_header(r, err))) return rc;
    if ((rc = observe(r, err))) return rc;
    r->next_out = 1;
  }
  int stop = KL_OK;
  kl_error stop_err = {0, ""};
  while (r->next_out < r->n_out) {
    double t_limit = r->outputs[r->next_out];
    while (r->t < t_limit) {
      if (stop_requested) {
        stop = kl_error_set(&stop_err, KL_EINTERRUPTED,
                            "stopped by a signal at t = %.17g after step %llu; continue with: "
                            "kinlab run --restart %s",
                            r->t, (unsigned long long)r->step, r->dir);
        break;
      }
      if (r->max_steps > 0 && r->step >= (uint64_t)r->max_steps) {
        stop = kl_error_set(&stop_err, KL_ELIMIT,
                            "step limit time.max_steps = %ld reached at t = %.17g; continue "
                            "with: kinlab run --restart %s --set time.max_steps=0",
                            r->max_steps, r->t, r->dir);
        break;
      }
      if (r->wall_limit > 0 && wall_now() - r->wall_start >= r->wall_limit) {
        stop = kl_error_set(&stop_err, KL_ELIMIT,
                            "wall-clock limit time.wall_limit = %gs reached at t = %.17g; "
                            "continue with: kinlab run --restart %s",
                            r->wall_limit, r->t, r->dir);
        break;
      }
      rc = advance(r, t_limit, err);
      if (rc) {
        kl_error_prefix(err, "step %llu at t = %.17g", (unsigned long long)r->step + 1, r->t);
        goto failed;
      }
      r->step++;
      if ((rc = check_finite(r, err))) goto failed;
      if (r->checkpoint_every > 0 && r->step % (uint64_t)r->checkpoint_every == 0 &&
          r->t < t_limit) {
        if ((rc = write_checkpoint(r, err))) goto failed;
      }
      progress_update(r, false);
    }
    if (stop) break;
    r->next_out++;
    if ((rc = observe(r, err))) goto failed;
    if (r->checkpoint_every > 0 && (rc = write_checkpoint(r, err))) goto failed;
  }
  progress_update(r, true);
  if (r->progress) fputc('\n', stderr);
  /* Completed or stopped: checkpoint, then publish outputs and summary. */
  if ((rc = write_checkpoint(r, err))) goto failed;
  if ((rc = kl_atomic_commit(&r->csv, err))) goto failed;
  if (r->h5) {
    kl_h5 *h = r->h5;
    r->h5 = NULL;
    if ((rc = kl_h5_commit(h, err))) goto failed;
  }
  if ((rc = write_summary(r, stop, &stop_err, err))) return rc;
  if (stop) {
    r->log->console = false; /* the caller prints the message once */
    kl_logf(r->log, KL_LOG_WARN, "%s", stop_err.message);
    *err = stop_err;
    return stop;
  }
  kl_logf(r->log, KL_LOG_INFO, "completed: t = %.17g, %llu steps, %llu rhs evaluations, %.3f s",
          r->t, (unsigned long long)r->stats.accepted, (unsigned long long)r->stats.rhs_evals,
          r->wall_before + wall_now() - r->wall_start);
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
    write_summary(r, rc, err, &e2);
  }
  return rc;
}

/* --------------------------------------------------------- experiments */
static bool is_run_dir(const char *dir) {
  char p[PATH_MAX];
  kl_pathf(p, sizeof p, "%s/.kinlab-run", dir);
  return file_exists(p);
}

static int remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && !rc) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
      char p[PATH_MAX];
      kl_pathf(p, sizeof p, "%s/%s", path, de->d_name);
      rc = remove_tree(p);
    }
    closedir(d);
    return rc ? rc : rmdir(path);
  }
  return unlink(path);
}

static int prepare_base_dir(const char *dir, const kl_run_options *opt, kl_error *err) {
  struct stat st;
  if (stat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return kl_error_set(err, KL_EIO, "output directory %s exists and is not a directory", dir);
    DIR *d = opendir(dir);
    bool empty = true;
    struct dirent *de;
    while (d && (de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) empty = false;
    if (d) closedir(d);
    if (!empty) {
      if (!opt->force)
        return kl_error_set(err, KL_EIO,
                            "output directory %s already exists and is not empty: choose "
                            "another with --out DIR, or pass --force to replace it",
                            dir);
      if (!is_run_dir(dir))
        return kl_error_set(err, KL_EIO,
                            "refusing to replace %s with --force: it is not a kinlab run "
                            "directory (no .kinlab-run marker)",
                            dir);
      if (remove_tree(dir) != 0)
        return kl_error_set(err, KL_EIO, "cannot remove %s: %s", dir, strerror(errno));
    }
  }
  int rc = kl_mkdir_p(dir, err);
  if (rc) return rc;
  char p[PATH_MAX];
  kl_pathf(p, sizeof p, "%s/.kinlab-run", dir);
  FILE *f = fopen(p, "w");
  if (!f) return kl_error_set(err, KL_EIO, "cannot write %s: %s", p, strerror(errno));
  fprintf(f, "kinlab run directory\n");
  fclose(f);
  return KL_OK;
}

static int run_variant(kl_experiment *exp, size_t i, const char *dir, bool restart,
                       const kl_run_options *opt, kl_error *err) {
  run_ctx r;
  memset(&r, 0, sizeof r);
  r.exp = exp;
  r.cfg = &exp->runs[i];
  r.opt = opt;
  snprintf(r.dir, sizeof r.dir, "%s", dir);
  int rc = run_one(&r, restart, err);
  if (rc && rc != KL_EINTERRUPTED && rc != KL_ELIMIT && r.log) {
    r.log->console = false; /* the caller prints it once */
    kl_logf(r.log, KL_LOG_ERROR, "%s", err->message);
  }
  run_free(&r);
  return rc;
}

/* Write the experiment (after --set) so `kinlab run --restart BASE` can
 * continue its unfinished variants. */
static int write_experiment_copy(const kl_experiment *exp, const char *base, kl_error *err) {
  char path[PATH_MAX];
  if (!kl_pathf(path, sizeof path, "%s/experiment.yaml", base))
    return kl_error_set(err, KL_EIO, "path too long: %s", base);
  kl_atomic_file af;
  int rc = kl_atomic_open(&af, path, err);
  if (rc) return rc;
  fprintf(af.fp, "# Experiment %s as run by kinlab %s (after --set overrides)\n", exp->name,
          kl_version());
  rc = kl_node_emit_yaml(exp->tree, af.fp, err);
  if (rc) {
    kl_atomic_abort(&af);
    return rc;
  }
  return kl_atomic_commit(&af, err);
}

/* output.plots: true runs tools/kinlab-plot (installed as kinlab-plot, or
 * $KINLAB_PLOT) on the run directory; a missing tool or matplotlib is a warning,
 * not a failed run: the data are complete without the figures. */
static void run_plot_tool(const char *dir, bool quiet) {
  const char *tool = getenv("KINLAB_PLOT");
  if (!tool || !*tool) tool = "kinlab-plot";
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "kinlab: warning: plots not made: fork: %s\n", strerror(errno));
    return;
  }
  if (pid == 0) {
    if (quiet) {
      FILE *n = freopen("/dev/null", "w", stdout);
      (void)n;
    }
    execlp(tool, tool, dir, "--format", "png,pdf", (char *)NULL);
    fprintf(stderr, "kinlab: warning: plots not made: cannot run %s: %s (set $KINLAB_PLOT)\n",
            tool, strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 127))
    fprintf(stderr, "kinlab: warning: %s %s failed (exit %d); the run's data are complete\n",
            tool, dir, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static bool variant_completed(const char *dir) {
  char p[PATH_MAX];
  if (!kl_pathf(p, sizeof p, "%s/summary.json", dir)) return false;
  FILE *f = fopen(p, "r");
  if (!f) return false;
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return strstr(buf, "\"status\": \"completed\"") != NULL;
}

typedef struct child {
  pid_t pid;
  int fd; /* read end of the pipe carrying the child's kl_error */
  size_t variant;
} child;

bool kl_experiment_output_dir(const kl_experiment *exp, const kl_run_options *opt, char *buf,
                              size_t size) {
  const char *d = exp->n_runs ? kl_params_string(exp->runs[0].output, "dir") : NULL;
  return opt && opt->restart_dir ? kl_pathf(buf, size, "%s", opt->restart_dir)
         : opt && opt->out_dir   ? kl_pathf(buf, size, "%s", opt->out_dir)
         : d                     ? kl_pathf(buf, size, "%s", d)
                                 : kl_pathf(buf, size, "runs/%s", exp->name);
}

int kl_experiment_run(kl_experiment *exp, kl_registry *reg, const kl_run_options *opt,
                      kl_error *err) {
  (void)reg;
  kl_run_options defaults = {sizeof defaults, NULL, false, false, NULL, 0, 0};
  if (!opt) opt = &defaults;
  char base[PATH_MAX];
  bool restart = opt->restart_dir != NULL;
  if (!kl_experiment_output_dir(exp, opt, base, sizeof base))
    return kl_error_set(err, KL_EIO, "output directory name too long");
  /* Under mpirun every rank runs the experiment (the model splits its work);
   * rank 0 writes the run directory, the others a private scratch one. */
  int rank = 0, ranks = 1;
#ifdef KL_HAVE_MPI
  int mpi_on = 0;
  MPI_Initialized(&mpi_on);
  if (mpi_on) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  }
#endif
  kl_run_options rank_opt = *opt;
  char scratch[64] = "";
  if (ranks > 1) {
    if (restart)
      return kl_error_set(err, KL_EINVAL,
                          "--restart under mpirun is not supported: restart with one process");
    rank_opt.jobs = 1;
    if (rank > 0) {
      snprintf(scratch, sizeof scratch, "/tmp/kinlab-rank%d-XXXXXX", rank);
      if (!mkdtemp(scratch)) return kl_error_set(err, KL_EIO, "mkdtemp: %s", strerror(errno));
      kl_pathf(base, sizeof base, "%s/run", scratch);
      rank_opt.quiet = true;
    }
    opt = &rank_opt;
  }
  int rc;
  if (!restart && (rc = prepare_base_dir(base, opt, err))) return rc;
  if (!restart && exp->n_runs > 1 && (rc = write_experiment_copy(exp, base, err))) return rc;
  stop_requested = 0;
  if (opt->threads > 0) kl_set_threads(opt->threads);
  /* Variants run as separate processes, `jobs` at a time: each is
   * deterministic on its own, so the results do not depend on jobs. */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1) cores = 1;
  int jobs = opt->jobs > 0 ? opt->jobs : (int)cores;
  if ((size_t)jobs > exp->n_runs) jobs = (int)exp->n_runs;
  if (jobs < 1) jobs = 1;
  kl_run_options child_opt = *opt;
  if (jobs > 1) {
    child_opt.quiet = true; /* one progress line per variant would interleave */
    if (child_opt.threads <= 0) child_opt.threads = (int)(cores / jobs > 0 ? cores / jobs : 1);
  }
  int first_rc = KL_OK;
  kl_error first_err = {0, ""};
  size_t failed = 0, next = 0, running = 0;
  child *children = calloc((size_t)jobs, sizeof *children);
  if (!children) return kl_error_set(err, KL_ENOMEM, "out of memory");
  for (;;) {
    /* Launch while there is room. */
    while (running < (size_t)jobs && next < exp->n_runs && !stop_requested) {
      size_t i = next++;
      char dir[PATH_MAX];
      if (exp->n_runs > 1) kl_pathf(dir, sizeof dir, "%s/%s", base, exp->runs[i].variant_name);
      else kl_pathf(dir, sizeof dir, "%s", base);
      bool this_restart = false;
      if (restart) {
        if (variant_completed(dir)) continue; /* not run again */
        char p[PATH_MAX];
        kl_pathf(p, sizeof p, "%s/checkpoint.h5", dir);
        this_restart = file_exists(p);
      }
      if (jobs == 1) { /* in this process */
        kl_error e = {0, ""};
        rc = run_variant(exp, i, dir, this_restart, opt, &e);
        if (rc) {
          failed++;
          if (exp->n_runs > 1) {
            kl_error_prefix(&e, "variant '%s'", exp->runs[i].variant_name);
            if (rc != KL_EINTERRUPTED) fprintf(stderr, "kinlab: error: %s\n", e.message);
          }
          if (!first_rc) {
            first_rc = rc;
            first_err = e;
          }
        } else if (exp->n_runs > 1 && !opt->quiet) {
          fprintf(stderr, "kinlab: variant '%s' completed\n", exp->runs[i].variant_name);
        }
        continue;
      }
      int fds[2];
      if (pipe(fds) != 0) {
        free(children);
        return kl_error_set(err, KL_EIO, "pipe: %s", strerror(errno));
      }
      fflush(NULL);
      pid_t pid = fork();
      if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(children);
        return kl_error_set(err, KL_EIO, "fork: %s", strerror(errno));
      }
      if (pid == 0) { /* the child runs one variant and reports its kl_error */
        close(fds[0]);
        kl_error e = {0, ""};
        if (child_opt.threads > 0) kl_set_threads(child_opt.threads);
        int crc = run_variant(exp, i, dir, this_restart, &child_opt, &e);
        e.code = crc;
        ssize_t w = write(fds[1], &e, sizeof e);
        (void)w;
        close(fds[1]);
        free(children);
        _exit(crc ? 1 : 0);
      }
      close(fds[1]);
      children[running++] = (child){pid, fds[0], i};
    }
    if (running == 0) break;
    /* Wait for any child, then collect it. */
    int status;
    pid_t done = wait(&status);
    if (done < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t k = 0; k < running; k++) {
      if (children[k].pid != done) continue;
      kl_error e = {0, ""};
      ssize_t got = read(children[k].fd, &e, sizeof e);
      close(children[k].fd);
      if (got != (ssize_t)sizeof e)
        kl_error_set(&e, KL_EINTERNAL, "the process running it %s",
                     WIFSIGNALED(status) ? "was killed by a signal" : "failed");
      size_t i = children[k].variant;
      if (e.code) {
        failed++;
        kl_error_prefix(&e, "variant '%s'", exp->runs[i].variant_name);
        if (e.code != KL_EINTERRUPTED) fprintf(stderr, "kinlab: error: %s\n", e.message);
        if (!first_rc) {
          first_rc = e.code;
          first_err = e;
        }
      } else if (!opt->quiet) {
        fprintf(stderr, "kinlab: variant '%s' completed\n", exp->runs[i].variant_name);
      }
      children[k] = children[--running];
      break;
    }
  }
  free(children);
  if (exp->n_runs > 1 && !stop_requested && rank == 0) {
    kl_error e = {0, ""};
    if (kl_compare_run_dir(base, &e) != KL_OK)
      fprintf(stderr, "kinlab: warning: comparison tables not written: %s\n", e.message);
  }
  if (rank == 0 && !stop_requested && exp->n_runs && kl_params_bool(exp->runs[0].output, "plots"))
    run_plot_tool(base, opt->quiet);
  if (scratch[0]) remove_tree(scratch);
  if (first_rc) {
    *err = first_err;
    if (exp->n_runs > 1 && first_rc != KL_EINTERRUPTED)
      kl_error_prefix(err, "%zu of %zu variants failed; first", failed, exp->n_runs);
  }
  return first_rc;
}
