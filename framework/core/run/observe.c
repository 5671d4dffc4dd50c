/* observe.c - the output columns (base, model invariants, diagnostics), one
 * row of timeseries.csv per output time, and the snapshot groups. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "run_internal.h"

/* owner: the plugin that declares the column (NULL for the base columns). */
static int add_column(run_ctx *r, const char *owner, const char *name, size_t *cap,
                      kl_error *err) {
  if (r->n_cols == *cap) {
    *cap = *cap ? 2 * *cap : 32;
    char **p = realloc(r->col_names, *cap * sizeof *p);
    if (!p) return kl_error_set(err, KL_ENOMEM, "out of memory");
    r->col_names = p;
  }
  /* A name is one plain CSV field: readers of timeseries.csv (the restart
   * check, compare, simple scripts) split the header on commas. */
  if (!*name || strpbrk(name, ",\"\r\n"))
    return kl_error_set(err, KL_EPLUGIN, "plugin '%s': column name '%s': expected a non-empty "
                                         "name without comma, quote or line break",
                        owner ? owner : "kinlab", name);
  /* Column names must be unique: a second "energy" becomes "diag.energy". */
  for (size_t i = 0; i < r->n_cols; i++)
    if (strcmp(r->col_names[i], name) == 0)
      return kl_error_set(err, KL_EPLUGIN, "two diagnostics write the column '%s'", name);
  if (!(r->col_names[r->n_cols] = strdup(name))) return kl_error_set(err, KL_ENOMEM, "out of memory");
  r->n_cols++;
  return KL_OK;
}

const char *const kl_run_base_columns[KL_RUN_N_BASE_COLUMNS] = {
    [KL_COL_T] = "t",           [KL_COL_STEP] = "step",           [KL_COL_DT] = "dt",
    [KL_COL_ACCEPTED] = "accepted", [KL_COL_REJECTED] = "rejected",
    [KL_COL_RHS_EVALS] = "rhs_evals", [KL_COL_WALL_S] = "wall_s"};

int run_setup_columns(run_ctx *r, kl_error *err) {
  size_t cap = 0;
  int rc = KL_OK;
  for (size_t i = 0; i < KL_RUN_N_BASE_COLUMNS && !rc; i++) rc = add_column(r, NULL, kl_run_base_columns[i], &cap, err);
  const char *const *names;
  r->n_inv = kl_model_invariant_names(r->model, &names);
  for (size_t i = 0; i < r->n_inv && !rc; i++)
    rc = add_column(r, kl_instance_name(r->model), names[i], &cap, err);
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
      rc = add_column(r, kl_instance_name(r->diags[d]), buf, &cap, err);
    }
  }
  r->diag_col_start[r->n_diags] = r->n_cols;
  if (rc) return rc;
  r->row = calloc(r->n_cols, sizeof *r->row);
  r->inv_class = calloc(r->n_inv + 1, sizeof *r->inv_class);
  r->inv0 = calloc(r->n_inv + 1, sizeof *r->inv0);
  if (!r->row || !r->inv_class || !r->inv0) return kl_error_set(err, KL_ENOMEM, "out of memory");
  kl_model_conservation(r->model, r->inv_class);
  for (size_t i = 0; i < r->n_inv; i++)
    if ((unsigned)r->inv_class[i] > KL_CONSERVED_TRUNCATION)
      return kl_error_set(err, KL_EPLUGIN, "model '%s': conservation class %d of invariant '%s': "
                          "expected KL_NOT_CONSERVED, KL_CONSERVED_ROUNDOFF or "
                          "KL_CONSERVED_TRUNCATION", kl_instance_name(r->model),
                          (int)r->inv_class[i], r->col_names[KL_RUN_N_BASE_COLUMNS + i]);
  return KL_OK;
}

int run_drift_reference(run_ctx *r, kl_error *err) {
  int rc = kl_model_invariants(r->model, r->t, r->y, r->inv0, err);
  if (rc) return kl_error_prefix(err, "model '%s' invariants", kl_instance_name(r->model));
  r->have_inv0 = true;
  return KL_OK;
}

/* A conserved invariant (as the model declares it) that has drifted beyond
 * its class's bound: the scheme or the step is broken (a numerical failure,
 * exit 4), not a result.  Drifts are relative to the largest initial
 * magnitude of the declared invariants (a momentum starting at 0 has no
 * scale of its own). */
static int check_drift(const run_ctx *r, const double *inv, kl_error *err) {
  double scale = 0;
  for (size_t i = 0; i < r->n_inv; i++)
    if (r->inv_class[i] != KL_NOT_CONSERVED && fabs(r->inv0[i]) > scale) scale = fabs(r->inv0[i]);
  if (!(scale > 0)) scale = 1;
  for (size_t i = 0; i < r->n_inv; i++) {
    kl_conservation c = r->inv_class[i];
    double bound = r->max_drift[c];
    if (c == KL_NOT_CONSERVED || !(bound > 0)) continue;
    double drift = fabs(inv[i] - r->inv0[i]) / scale;
    if (drift <= bound) continue;
    bool roundoff = c == KL_CONSERVED_ROUNDOFF;
    return kl_error_set(err, KL_ENUMERIC,
                        "numerical failure: invariant '%s', which model '%s' keeps %s, drifted "
                        "from %.17g to %.17g by t = %.17g (relative drift %.3g, relative to "
                        "%.6g), beyond time.%s = %g; outputs up to t are kept in %s. Reduce dt, "
                        "check the parameters, or raise time.%s",
                        r->col_names[KL_RUN_N_BASE_COLUMNS + i], kl_instance_name(r->model),
                        roundoff ? "to round-off" : "up to the time integrator's error",
                        r->inv0[i], inv[i], r->t, drift, scale,
                        roundoff ? "max_drift_roundoff" : "max_drift_truncation", bound, r->dir,
                        roundoff ? "max_drift_roundoff" : "max_drift_truncation");
  }
  return KL_OK;
}

int run_write_csv_header(run_ctx *r, kl_error *err) {
  /* add_column refuses names that would need quotes (the restart check and
   * simple readers split the header on commas); kl_csv_field keeps the rule. */
  for (size_t i = 0; i < r->n_cols; i++) {
    if (i) fputc(',', r->csv.fp);
    kl_csv_field(r->csv.fp, r->col_names[i]);
  }
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
    rc = kl_snapshot_write(snap, KL_SNAP_VELOCITIES, 2, dims, buf, err);
    /* Readers draw the particle density with the blob the model used: its
     * variance from the mollifier's own width, never guessed from eps. */
    if (!rc && p->mollifier && kl_mollifier_has_width(p->mollifier)) {
      double var = kl_mollifier_width(p->mollifier, v->dim_v, p->eps);
      if (var > 0 && isfinite(var))
        rc = kl_snapshot_set_attr(snap, KL_SNAP_VELOCITIES, KL_SNAP_BLOB_VARIANCE, 1, &var, err);
    }
    if (!rc && v->dim_x && p->x[0]) {
      dims[0] = v->dim_x;
      for (unsigned k = 0; k < v->dim_x; k++) memcpy(buf + k * p->n, p->x[k], p->n * sizeof *buf);
      rc = kl_snapshot_write(snap, KL_SNAP_POSITIONS, 2, dims, buf, err);
    }
    free(buf);
    if (!rc && p->w) rc = kl_snapshot_write(snap, KL_SNAP_WEIGHTS, 1, &p->n, p->w, err);
  } else if (v->kind == KL_VIEW_GRID) {
    const kl_grid_view *g = &v->grid;
    size_t dims[4] = {g->nx, g->nv[0], g->nv[1] ? g->nv[1] : 1, g->nv[2] ? g->nv[2] : 1};
    unsigned rank = 1 + (v->dim_v ? v->dim_v : 1);
    rc = kl_snapshot_write(snap, KL_SNAP_GRID, rank, dims, g->f, err);
    /* Cell k of an axis covers [lo + k d, lo + (k+1) d]: axis order x, v0, v1, v2. */
    double x_lo[1] = {g->x_lo}, dx[1] = {g->dx};
    if (!rc) rc = kl_snapshot_set_attr(snap, KL_SNAP_GRID, KL_SNAP_GRID_X_LO, 1, x_lo, err);
    if (!rc) rc = kl_snapshot_set_attr(snap, KL_SNAP_GRID, KL_SNAP_GRID_DX, 1, dx, err);
    unsigned dv = v->dim_v ? v->dim_v : 1;
    if (!rc) rc = kl_snapshot_set_attr(snap, KL_SNAP_GRID, KL_SNAP_GRID_V_LO, dv, g->v_lo, err);
    if (!rc) rc = kl_snapshot_set_attr(snap, KL_SNAP_GRID, KL_SNAP_GRID_DV, dv, g->dv, err);
  }
  return rc;
}

int run_observe(run_ctx *r, kl_error *err) {
  kl_view view;
  int rc = kl_model_view(r->model, r->y, &view, err);
  if (rc) return kl_error_prefix(err, "model '%s' view", kl_instance_name(r->model));
  view.dim_v = view.dim_v ? view.dim_v : r->cfg->dim_v;
  kl_observation obs = {r->t, r->step, r->y, &view, r->model, r->initial};
  double *row = r->row;
  row[KL_COL_T] = r->t;
  row[KL_COL_STEP] = (double)r->step;
  row[KL_COL_DT] = r->dt;
  row[KL_COL_ACCEPTED] = (double)r->stats.accepted;
  row[KL_COL_REJECTED] = (double)r->stats.rejected;
  row[KL_COL_RHS_EVALS] = (double)r->stats.rhs_evals;
  row[KL_COL_WALL_S] = r->wall_before + (kl_wall_now() - r->wall_start);
  rc = kl_model_invariants(r->model, r->t, r->y, row + KL_RUN_N_BASE_COLUMNS, err);
  if (rc) return kl_error_prefix(err, "model '%s' invariants", kl_instance_name(r->model));
  /* A finite state can still overflow its moments (a kernel constant of 1e150):
   * an infinite or NaN invariant is a numerical failure, not a result. */
  for (size_t i = 0; i < r->n_inv; i++)
    if (!isfinite(row[KL_RUN_N_BASE_COLUMNS + i]))
      return kl_error_set(err, KL_ENUMERIC,
                          "numerical failure: invariant '%s' of model '%s' is %g at t = %.17g "
                          "after step %llu (dt = %.3g); outputs up to the previous output time "
                          "are kept in %s. Reduce dt or check the parameters",
                          r->col_names[KL_RUN_N_BASE_COLUMNS + i], kl_instance_name(r->model),
                          row[KL_RUN_N_BASE_COLUMNS + i], r->t, (unsigned long long)r->step,
                          r->dt, r->dir);
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
    if (!rc) {
      r->snapshots_written++;
      r->last_snapshot = k;
    }
    if (rc) kl_error_prefix(err, "writing %s/snapshots.h5 at t = %.17g", r->dir, r->t);
  }
  /* After the row is written: the drifted values stay in timeseries.csv. */
  const double *inv = row + KL_RUN_N_BASE_COLUMNS;
  if (!rc && !r->have_inv0) {
    memcpy(r->inv0, inv, r->n_inv * sizeof *inv);
    r->have_inv0 = true;
  } else if (!rc) {
    rc = check_drift(r, inv, err);
  }
  return rc;
}
