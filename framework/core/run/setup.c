/* setup.c - the set-up of one run that writes no file: plugin instances (their
 * create() checks run), the initial state, view/diagnostic compatibility, the
 * output schedule, the step size and the model's own dt check, the columns.
 * `kinlab validate` runs exactly this for every variant, so a file it accepts
 * does not fail set-up in `run`. */
#include <string.h>
#include <unistd.h>

#include "run_internal.h"

static int sys_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  return kl_model_rhs((const kl_instance *)ctx, t, y, dydt, err);
}

static int sys_part_rhs(void *ctx, double t, const double *y, double *dydt, kl_error *err) {
  part_ctx *p = ctx;
  return kl_model_part_rhs(p->model, p->part, t, y, dydt, err);
}

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

/* A state that alone exceeds the machine's memory is a parameter out of
 * reach, not an allocation to try: refuse it naming the model's largest
 * integer parameter (its particle or cell count in practice). */
static int check_state_fits(const run_ctx *r, kl_error *err) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return KL_OK;
  double memory = (double)pages * (double)page, need = (double)r->n * sizeof(double);
  if (need <= memory) return KL_OK;
  const kl_params *p = kl_instance_params(r->model);
  const char *largest = NULL;
  long largest_value = 0;
  for (const kl_param_spec *s = kl_params_specs(p); s && s->name; s++)
    if (s->type == KL_PARAM_INT && kl_params_int(p, s->name) > largest_value)
      largest = s->name, largest_value = kl_params_int(p, s->name);
  const double GiB = 1024.0 * 1024 * 1024;
  if (largest)
    return kl_params_error(err, KL_EINVAL, p, largest,
                           "model '%s' would need a state of %zu values (%.3g GiB), more than "
                           "this machine's memory (%.3g GiB): reduce %s (found %ld)",
                           kl_instance_name(r->model), r->n, need / GiB, memory / GiB, largest,
                           largest_value);
  return kl_error_set(err, KL_EINVAL,
                      "model '%s' would need a state of %zu values (%.3g GiB), more than this "
                      "machine's memory (%.3g GiB)",
                      kl_instance_name(r->model), r->n, need / GiB, memory / GiB);
}

int run_setup(run_ctx *r, kl_error *err) {
  const kl_run_config *c = r->cfg;
  int rc;
  if ((rc = create_instances(r, err))) return rc;
  r->n = kl_model_size(r->model);
  if (r->n == 0) return kl_error_set(err, KL_EINVAL, "model '%s' has an empty state", kl_instance_name(r->model));
  if ((rc = check_state_fits(r, err))) return rc;
  r->y = calloc(r->n, sizeof *r->y);
  if (!r->y) return kl_error_set(err, KL_ENOMEM, "out of memory: model '%s' has a state of %zu "
                                 "values (%zu bytes): reduce its size parameters",
                                 kl_instance_name(r->model), r->n, r->n * sizeof *r->y);
  r->t_start = kl_initial_start_time(r->initial);
  double t0 = r->t_start;
  if ((rc = kl_model_initial(r->model, &t0, r->y, err))) return rc;
  r->t_start = r->t = t0;
  if ((rc = run_check_finite(r, err))) return kl_error_prefix(err, "initial state");
  if ((rc = check_views(r, err))) return rc;
  if ((rc = run_setup_output_times(r, err))) return rc;
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
  r->max_drift[KL_CONSERVED_ROUNDOFF] = kl_params_real(tp, "max_drift_roundoff");
  r->max_drift[KL_CONSERVED_TRUNCATION] = kl_params_real(tp, "max_drift_truncation");
  if (r->snapshot_every < 1) r->snapshot_every = 1;
  return run_setup_columns(r, err);
}

int run_dry_setup(const kl_experiment *exp, size_t i, const kl_registry *reg, kl_log *log,
                  kl_error *err) {
  kl_run_config copy;
  int rc = kl_run_config_copy(&exp->runs[i], reg, &copy, err);
  if (rc) return rc;
  run_ctx r;
  memset(&r, 0, sizeof r); /* r.dir empty: nothing is written */
  r.exp = exp;
  r.cfg = &copy;
  r.log = log;
  rc = run_setup(&r, err);
  r.log = NULL; /* the caller's */
  run_free(&r);
  kl_run_config_free(&copy);
  return rc;
}

int kl_experiment_dry_setup(const kl_experiment *exp, const kl_registry *reg, kl_error *err) {
  for (size_t i = 0; i < exp->n_runs; i++) {
    int rc = run_dry_setup(exp, i, reg, NULL, err);
    if (rc) {
      if (exp->n_runs > 1) kl_error_prefix(err, "variant '%s'", exp->runs[i].variant_name);
      return rc;
    }
  }
  return KL_OK;
}

void run_free(run_ctx *r) {
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
  free(r->inv_class);
  free(r->inv0);
  free(r->diag_col_start);
  free(r->outputs);
  free(r->y);
  free(r->parts);
  free(r->part_sys);
  free(r->config_text);
  kl_log_free(r->log);
}
