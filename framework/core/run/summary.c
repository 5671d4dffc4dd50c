/* summary.c - summary.json (status, counters, timings, final row) and
 * config.resolved.yaml, both published atomically. */
#include <ctype.h>
#include <math.h>

#include "run_internal.h"

int run_write_resolved_config(run_ctx *r, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "config.resolved.yaml", err);
  if (rc) return rc;
  kl_node *tree = kl_run_config_resolved(r->exp, r->cfg);
  if (!tree) return kl_error_set(err, KL_ENOMEM, "cannot build the resolved configuration");
  kl_atomic_file af;
  if ((rc = kl_atomic_open(&af, path, err))) {
    kl_node_free(tree);
    return rc;
  }
  fprintf(af.fp, "# Resolved configuration written by kinlab %s; rerun with: kinlab run ",
          kl_version());
  /* A line break in the directory's name would end the comment and leave
   * the rest of the path as YAML text: the file would not read back. */
  for (const char *c = path; *c; c++) fputc(iscntrl((unsigned char)*c) ? '?' : *c, af.fp);
  fputc('\n', af.fp);
  rc = kl_node_emit_yaml(tree, af.fp, err);
  kl_node_free(tree);
  if (rc) {
    kl_atomic_abort(&af);
    return rc;
  }
  return kl_atomic_commit(&af, err);
}



int run_write_summary(run_ctx *r, int status, const kl_error *run_err, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "summary.json", err);
  if (rc) return rc;
  kl_atomic_file af;
  if ((rc = kl_atomic_open(&af, path, err))) return rc;
  FILE *f = af.fp;
  fprintf(f, "{\n  \"kinlab_version\": ");
  kl_json_string(f, kl_version());
  fprintf(f, ",\n  \"experiment\": ");
  kl_json_string(f, r->exp->name);
  fprintf(f, ",\n  \"variant\": ");
  kl_json_string(f, r->cfg->variant_name);
  fprintf(f, ",\n  \"status\": ");
  kl_json_string(f, status == KL_OK ? "completed" : kl_status_name(status));
  fprintf(f, ",\n  \"message\": ");
  kl_json_string(f, status == KL_OK || !run_err ? "" : run_err->message);
  fprintf(f, ",\n  \"model\": ");
  kl_json_string(f, r->model ? kl_instance_name(r->model) : "");
  fprintf(f, ",\n  \"integrator\": ");
  kl_json_string(f, r->integrator ? kl_instance_name(r->integrator) : "");
  fprintf(f, ",\n  \"state_size\": %zu", r->n);
  fprintf(f, ",\n  \"t_start\": ");
  kl_json_number(f, r->t_start);
  fprintf(f, ",\n  \"t\": ");
  kl_json_number(f, r->t);
  fprintf(f, ",\n  \"t_final\": ");
  kl_json_number(f, r->t_final);
  fprintf(f, ",\n  \"steps\": %llu,\n  \"rejected\": %llu,\n  \"rhs_evals\": %llu",
          (unsigned long long)r->stats.accepted, (unsigned long long)r->stats.rejected,
          (unsigned long long)r->stats.rhs_evals);
  fprintf(f, ",\n  \"wall_s\": ");
  kl_json_number(f, r->wall_before + (kl_wall_now() - r->wall_start));
  fprintf(f, ",\n  \"outputs\": %zu", r->rows);
  kl_provenance_write_json(f, r->cfg->plugins);
  /* Which columns are the model's invariants (drift is meaningful for them). */
  fprintf(f, ",\n  \"invariants\": [");
  for (size_t i = 0; r->col_names && i < r->n_inv; i++) {
    fputs(i ? ", " : "", f);
    kl_json_string(f, r->col_names[KL_RUN_N_BASE_COLUMNS + i]);
  }
  fputc(']', f);
  fprintf(f, ",\n  \"final\": {");
  for (size_t i = 0; r->row && r->rows && i < r->n_cols; i++) {
    fprintf(f, "%s\n    ", i ? "," : "");
    kl_json_string(f, r->col_names[i]);
    fputs(": ", f);
    kl_json_number(f, r->row[i]);
  }
  fprintf(f, "\n  }\n}\n");
  return kl_atomic_commit(&af, err);
}
