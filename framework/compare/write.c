/* write.c - comparison.csv (one row per variant, every number with 17
 * significant digits) and comparison.md (the same as tables, plus observed
 * orders), both written atomically into the run directory.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compare_internal.h"


/* Room for a configuration number as value_text writes it. */
#define VALUE_TEXT_MAX 64

/* A configuration value for the tables: numbers in their shortest form that
 * reads back to the same double (config.resolved.yaml writes 17 digits, so
 * 0.2 comes as 0.20000000000000001), written into the caller's buf (no
 * static buffer: comparisons may run in several threads). */
static const char *value_text(const variant *v, const char *key, bool brief,
                              char buf[VALUE_TEXT_MAX]) {
  const char *s = kl_cmp_config_value(v, key);
  double x = kl_cmp_numeric(s);
  if (isnan(x) || strlen(s) < (brief ? 9 : 16)) return s;
  if (brief) { /* Markdown: 6 digits */
    snprintf(buf, VALUE_TEXT_MAX, "%.6g", x);
    return buf;
  }
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, VALUE_TEXT_MAX, "%.*g", digits, x);
    if (strtod(buf, NULL) == x) break;
  }
  return buf;
}

/* --------------------------------------------------- writing */
static void csv_num(FILE *f, double x) {
  fputc(',', f);
  if (!isnan(x)) fprintf(f, "%.17g", x);
}

/* The run's counters and sizes, in the order write_csv writes them. */
static const char *const counter_columns[] = {"steps",      "rejected",  "rhs_evals", "wall_s",
                                              "cpu_s",      "state_size", "particles", "cells"};

static void order_column_name(const cmp *c, size_t k, const char *what, const char *err_col,
                              char *buf, size_t size) {
  if (c->n_rk > 1) snprintf(buf, size, "%s_%s@%s", what, err_col, c->rk[k].key);
  else snprintf(buf, size, "%s_%s", what, err_col);
}

/* Relative drift only for quantities that are not zero up to round-off at
 * t = 0 (|q(0)| > 1e-12): a momentum of 1e-17 has no meaningful relative change. */
#define REL_DRIFT_FLOOR 1e-12
static double rel_drift(const variant *v, const char *q) {
  double a = kl_cmp_column_value(v, v->first, q), b = kl_cmp_column_value(v, v->last, q);
  return fabs(a) > REL_DRIFT_FLOOR ? fabs(b - a) / fabs(a) : NAN;
}

/* A header field of comparison.csv, after the comma: NAME with a suffix. */
static void csv_name(FILE *f, const char *name, const char *suffix) {
  char text[1024];
  snprintf(text, sizeof text, "%s%s", name, suffix);
  fputc(',', f);
  kl_csv_field(f, text);
}

static void write_csv(const cmp *c, FILE *f) {
  char name[1024], value[VALUE_TEXT_MAX];
  fputs("variant,status", f);
  for (size_t k = 0; k < c->varying.n; k++) csv_name(f, c->varying.s[k], "");
  for (size_t k = 0; k < sizeof counter_columns / sizeof *counter_columns; k++)
    csv_name(f, counter_columns[k], "");
  for (size_t e = 0; e < c->errors.n; e++) csv_name(f, c->errors.s[e], "");
  for (size_t q = 0; q < c->quants.n; q++) {
    csv_name(f, c->quants.s[q], "_drift");
    csv_name(f, c->quants.s[q], "_rel_drift");
    csv_name(f, c->quants.s[q], "_max_drift");
  }
  for (size_t x = 0; x < c->exacts.n; x++) csv_name(f, c->exacts.s[x], "");
  for (size_t k = 0; k < c->n_rk; k++)
    for (size_t e = 0; e < c->errors.n; e++) {
      order_column_name(c, k, "order", c->errors.s[e], name, sizeof name);
      csv_name(f, name, "");
      order_column_name(c, k, "fit_order", c->errors.s[e], name, sizeof name);
      csv_name(f, name, "");
    }
  fputs(",message\n", f);
  for (size_t o = 0; o < c->nv; o++) {
    size_t i = c->order[o];
    const variant *v = &c->v[i];
    kl_csv_field(f, v->name);
    fputc(',', f);
    kl_csv_field(f, v->status);
    for (size_t k = 0; k < c->varying.n; k++) {
      fputc(',', f);
      kl_csv_field(f, value_text(v, c->varying.s[k], false, value));
    }
    csv_num(f, v->summary.steps);
    csv_num(f, v->summary.rejected);
    csv_num(f, v->summary.rhs_evals);
    csv_num(f, v->summary.wall_s);
    csv_num(f, v->summary.cpu_s);
    csv_num(f, v->summary.state_size);
    csv_num(f, v->particles);
    csv_num(f, v->cells);
    for (size_t e = 0; e < c->errors.n; e++)
      csv_num(f, v->ok ? kl_cmp_column_value(v, v->last, c->errors.s[e]) : NAN);
    for (size_t q = 0; q < c->quants.n; q++) {
      const char *qn = c->quants.s[q];
      double a = kl_cmp_column_value(v, v->first, qn), b = kl_cmp_column_value(v, v->last, qn);
      csv_num(f, v->ok ? fabs(b - a) : NAN);
      csv_num(f, v->ok ? rel_drift(v, qn) : NAN);
      csv_num(f, v->ok ? kl_cmp_column_value(v, v->max_drift, qn) : NAN);
    }
    for (size_t x = 0; x < c->exacts.n; x++)
      csv_num(f, v->ok ? kl_cmp_column_value(v, v->last, c->exacts.s[x]) : NAN);
    for (size_t k = 0; k < c->n_rk; k++)
      for (size_t e = 0; e < c->errors.n; e++) {
        csv_num(f, c->rk[k].order[e][i]);
        csv_num(f, c->rk[k].fit[e][i]);
      }
    fputc(',', f);
    kl_csv_field(f, v->message);
    fputc('\n', f);
  }
}

/* Markdown text on one line (newlines become spaces); in a table cell
 * (cell true) also no bare '|'. */
static void md_write(FILE *f, const char *s, bool cell) {
  for (; s && *s; s++) {
    if (*s == '|' && cell) fputs("\\|", f);
    else if (*s == '\n' || *s == '\r') fputc(' ', f);
    else fputc(*s, f);
  }
}

static void md_text(FILE *f, const char *s) { md_write(f, s, true); }

/* The end of a table's header line and the rule under its columns. */
static void md_header_end(FILE *f, size_t columns) {
  fputs(" |\n", f);
  for (size_t k = 0; k < columns; k++) fputs("|---", f);
  fputs("|\n", f);
}

/* A section's heading and text, then the header of its table: a "run"
 * column and one per entry of columns. */
static void md_column_table_start(FILE *f, const char *heading, const strvec *columns) {
  fputs(heading, f);
  fputs("| run", f);
  for (size_t k = 0; k < columns->n; k++) fprintf(f, " | %s", columns->s[k]);
  md_header_end(f, 1 + columns->n);
}

/* A variant's row up to its first cell: "| NAME". */
static void md_row_start(FILE *f, const variant *v) {
  fputs("| ", f);
  md_text(f, v->name);
}

static void md_num(FILE *f, double x, const char *fmt) {
  fputs(" | ", f);
  if (isnan(x)) fputs("–", f);
  else fprintf(f, fmt, x);
}

/* The keys that label the groups of rk (label[j] for varying key j): those
 * that refine the partition of the variants made by the keys before them
 * (mollifier.type, not also the epsilon law that goes with it); whether
 * there are any. */
static bool is_resolution(const cmp *c, const res_key *rk, const char *key) {
  for (size_t k = 0; k < c->n_rk; k++) {
    const res_key *r = rk ? rk : &c->rk[k];
    if (!strcmp(key, r->key) || kl_cmp_tied(c, r->key, key)) return true;
    if (rk) break;
  }
  return false;
}

/* rk NULL: the same over every resolution key (the scheme families). */
static bool group_label_keys(const cmp *c, const res_key *rk, bool *label) {
  bool has_groups = false;
  for (size_t j = 0; j < c->varying.n; j++) {
    label[j] = false;
    if (is_resolution(c, rk, c->varying.s[j])) continue;
    bool refines = false;
    for (size_t a = 0; a < c->nv && !refines; a++)
      for (size_t b = a + 1; b < c->nv && !refines; b++) {
        if (rk && (rk->group[a] == SIZE_MAX || rk->group[b] == SIZE_MAX)) continue;
        bool agree = true;
        for (size_t i = 0; i < j && agree; i++)
          if (label[i])
            agree = kl_cmp_same_value(kl_cmp_config_value(&c->v[a], c->varying.s[i]),
                                      kl_cmp_config_value(&c->v[b], c->varying.s[i]));
        refines = agree && !kl_cmp_same_value(kl_cmp_config_value(&c->v[a], c->varying.s[j]),
                                              kl_cmp_config_value(&c->v[b], c->varying.s[j]));
      }
    label[j] = refines;
    has_groups |= refines;
  }
  return has_groups;
}

/* --------------------------------------------------- reference errors */
/* Where the ref_* errors are measured: one sentence. */
static void md_reference_note(const cmp *c, FILE *f) {
  if (c->ref_mode == REF_FINEST)
    fputs("The `ref_*` errors are Richardson-style: against the finest run of each group of the "
          "first resolution key.\n\n",
          f);
  else if (c->ref_mode == REF_NAMED) {
    fputs("The `ref_*` errors are against the variant **", f);
    for (size_t i = 0; i < c->nv; i++)
      if (c->ref_of[i] != SIZE_MAX) {
        md_text(f, c->v[c->ref_of[i]].name);
        break;
      }
    fputs("** (which has no error of its own).\n\n", f);
  } else if (c->ref_mode == REF_PATH) {
    fputs("The `ref_*` errors are against the run in `", f);
    md_text(f, c->ref_dir);
    fputs("`.\n\n", f);
  }
}

static const char *reference_name(const cmp *c, size_t i) {
  if (c->ref_mode == REF_PATH) return c->ref_dir;
  return c->ref_of && c->ref_of[i] != SIZE_MAX && c->ref_of[i] != i ? c->v[c->ref_of[i]].name
                                                                    : NULL;
}

static void write_md_reference(const cmp *c, FILE *f) {
  fputs("\n## Errors against a reference run\n\n", f);
  md_reference_note(c, f);
  if (c->ref_grid)
    fputs("Grids: the run's f remapped conservatively (cell-overlap averages) onto the "
          "reference grid; `ref_l1_error`, `ref_l2_error`, `ref_linf_error` are the norms of the "
          "difference there, `ref_mass_error` the difference of the masses.",
          f);
  else {
    fputs("Particles: `ref_mass_error` |ΔM|, `ref_mean_velocity_error` |Δ(P/M)|, `ref_m2_error` "
          "and `ref_m3_error` the Frobenius norms of the second and third moment tensors' "
          "differences, `ref_m4_error` |Δ Σ w |v|^4|; `ref_l1_error`, `ref_l2_error`, "
          "`ref_linf_error` the norms of the difference of the densities reconstructed with one "
          "Gaussian for both runs",
          f);
    if (c->analysis_width > 0)
      fprintf(f, " (standard deviation %.4g per component, as given)", c->analysis_width);
    else
      fputs(" (standard deviation per component: the reference's blob width, sqrt of its "
            "`blob_variance`, else Silverman's rule on the reference; column σ)",
            f);
    fputc('.', f);
  }
  fputs(" Values at the last common output time; every common time is in "
        "reference_errors.csv.\n\n| run | reference",
        f);
  if (!c->ref_grid) fputs(" | σ", f);
  for (size_t k = 0; k < c->ref_cols.n; k++) fprintf(f, " | %s", c->ref_cols.s[k]);
  md_header_end(f, 2 + !c->ref_grid + c->ref_cols.n);
  for (size_t o = 0; o < c->nv; o++) {
    size_t i = c->order[o];
    const variant *v = &c->v[i];
    const char *r = reference_name(c, i);
    md_row_start(f, v);
    fputs(" | ", f);
    md_text(f, r ? r : (c->ref_of && c->ref_of[i] == i ? "(the reference)" : "–"));
    if (!c->ref_grid) md_num(f, v->ref_sigma, "%.4g");
    for (size_t k = 0; k < c->ref_cols.n; k++)
      md_num(f, v->ok ? kl_cmp_column_value(v, v->last, c->ref_cols.s[k]) : NAN, "%.4g");
    fputs(" |\n", f);
  }
}

static int write_reference_csv(const cmp *c, FILE *f) {
  fputs("variant,reference,t", f);
  for (size_t k = 0; k < c->ref_cols.n; k++) csv_name(f, c->ref_cols.s[k], "");
  fputc('\n', f);
  for (size_t o = 0; o < c->nv; o++) {
    size_t i = c->order[o];
    for (size_t r = 0; r < c->n_ref_rows; r++) {
      const ref_row *row = &c->ref_rows[r];
      if (row->variant != i) continue;
      kl_csv_field(f, c->v[i].name);
      fputc(',', f);
      kl_csv_field(f, reference_name(c, i));
      csv_num(f, row->t);
      for (size_t k = 0; k < c->ref_cols.n; k++) csv_num(f, row->vals[k]);
      fputc('\n', f);
    }
  }
  return KL_OK;
}

/* --------------------------------------------------- work-precision */
/* The errors of the work-precision table: the runs' own *_error columns
 * (an exact solution's) when there are any, else the reference errors. */
static bool wp_error(const cmp *c, size_t e) {
  bool is_ref = kl_cmp_sv_find(&c->ref_cols, c->errors.s[e]) >= 0;
  return c->errors.n > c->ref_cols.n ? !is_ref : is_ref;
}

/* A scheme family: the variants that differ only in the resolution keys
 * (and keys tied to them); its label "key=value,..." of the keys that tell
 * the families apart ("all" when there are none), or the variant's name
 * without a resolution key. */
static void family_label(const cmp *c, const bool *label, size_t i, char *buf, size_t size) {
  char value[VALUE_TEXT_MAX];
  if (!c->n_rk) {
    snprintf(buf, size, "%s", c->v[i].name);
    return;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < c->varying.n && used < size; k++) {
    const char *key = c->varying.s[k];
    if (!label[k]) continue;
    const char *val = value_text(&c->v[i], key, true, value);
    used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", used ? "," : "", key,
                             val ? val : "-");
  }
  if (!used) snprintf(buf, size, "all");
}

static bool have_work_precision(const cmp *c) {
  for (size_t e = 0; e < c->errors.n; e++)
    if (wp_error(c, e)) return c->nv > 1;
  return false;
}

static int write_work_precision_csv(const cmp *c, FILE *f) {
  char label[1024], value[VALUE_TEXT_MAX];
  bool *keys = calloc(c->varying.n ? c->varying.n : 1, sizeof *keys);
  if (!keys) return KL_ENOMEM;
  if (c->n_rk) group_label_keys(c, NULL, keys);
  fputs("family,variant", f);
  if (c->n_rk) csv_name(f, c->rk[0].key, "");
  fputs(",wall_s,cpu_s,rhs_evals", f);
  for (size_t e = 0; e < c->errors.n; e++)
    if (wp_error(c, e)) csv_name(f, c->errors.s[e], "");
  fputc('\n', f);
  for (size_t o = 0; o < c->nv; o++) {
    size_t i = c->order[o];
    const variant *v = &c->v[i];
    if (!v->ok) continue;
    family_label(c, keys, i, label, sizeof label);
    kl_csv_field(f, label);
    fputc(',', f);
    kl_csv_field(f, v->name);
    if (c->n_rk) {
      fputc(',', f);
      kl_csv_field(f, value_text(v, c->rk[0].key, false, value));
    }
    csv_num(f, v->summary.wall_s);
    csv_num(f, v->summary.cpu_s);
    csv_num(f, v->summary.rhs_evals);
    for (size_t e = 0; e < c->errors.n; e++)
      if (wp_error(c, e)) csv_num(f, kl_cmp_column_value(v, v->last, c->errors.s[e]));
    fputc('\n', f);
  }
  free(keys);
  return KL_OK;
}

static int write_md_work_precision(const cmp *c, FILE *f) {
  if (!have_work_precision(c)) return KL_OK;
  char label[1024];
  bool *keys = calloc(c->varying.n ? c->varying.n : 1, sizeof *keys);
  if (!keys) return KL_ENOMEM;
  if (c->n_rk) group_label_keys(c, NULL, keys);
  bool ref = c->errors.n == c->ref_cols.n;
  fprintf(f, "\n## Work–precision\n\n"
             "Error against cost, one curve per scheme family (the variants that differ only in "
             "the resolution key; `tools/kinlab-plot` draws `work_precision.*`).  Errors: %s.  "
             "The same numbers are in work_precision.csv.\n\n| family | run | wall [s] | cpu [s] "
             "| rhs evals",
          ref ? "against the reference run (no exact solution)" : "the runs' own `*_error` columns");
  size_t ncol = 5;
  for (size_t e = 0; e < c->errors.n; e++)
    if (wp_error(c, e)) {
      fprintf(f, " | %s", c->errors.s[e]);
      ncol++;
    }
  md_header_end(f, ncol);
  for (size_t o = 0; o < c->nv; o++) {
    size_t i = c->order[o];
    const variant *v = &c->v[i];
    if (!v->ok) continue;
    family_label(c, keys, i, label, sizeof label);
    fputs("| ", f);
    md_text(f, label);
    fputs(" | ", f);
    md_text(f, v->name);
    md_num(f, v->summary.wall_s, "%.3g");
    md_num(f, v->summary.cpu_s, "%.3g");
    md_num(f, v->summary.rhs_evals, "%.0f");
    for (size_t e = 0; e < c->errors.n; e++)
      if (wp_error(c, e)) md_num(f, kl_cmp_column_value(v, v->last, c->errors.s[e]), "%.4g");
    fputs(" |\n", f);
  }
  free(keys);
  return KL_OK;
}

/* KL_ENOMEM (nothing else) when memory runs out half-way. */
static int write_md(const cmp *c, FILE *f) {
  char value[VALUE_TEXT_MAX];
  const char *base = strrchr(c->run_dir, '/');
  fprintf(f, "# Comparison of %s\n\n", base && base[1] ? base + 1 : c->run_dir);
  fprintf(f, "Written by `kinlab compare %s` from %zu run%s (the numbers are also in "
             "comparison.csv).\n\n",
          c->run_dir, c->nv, c->nv == 1 ? "" : "s");
  /* Variants */
  fputs("## Runs\n\n| run", f);
  for (size_t k = 0; k < c->varying.n; k++) {
    fputs(" | ", f);
    md_text(f, c->varying.s[k]);
  }
  fputs(" | status | steps | rhs evals | wall [s] | cpu [s] | state size", f);
  for (size_t e = 0; e < c->errors.n; e++) fprintf(f, " | %s", c->errors.s[e]);
  md_header_end(f, 1 + c->varying.n + 6 + c->errors.n);
  for (size_t o = 0; o < c->nv; o++) {
    const variant *v = &c->v[c->order[o]];
    md_row_start(f, v);
    for (size_t k = 0; k < c->varying.n; k++) {
      fputs(" | ", f);
      const char *val = value_text(v, c->varying.s[k], true, value);
      md_text(f, val ? val : "–");
    }
    fputs(" | ", f);
    md_text(f, v->status);
    md_num(f, v->summary.steps, "%.0f");
    md_num(f, v->summary.rhs_evals, "%.0f");
    md_num(f, v->summary.wall_s, "%.3g");
    md_num(f, v->summary.cpu_s, "%.3g");
    fputs(" | ", f);
    if (isnan(v->summary.state_size)) fputs("–", f);
    else fprintf(f, "%.0f", v->summary.state_size);
    if (!isnan(v->particles)) fprintf(f, " (%.0f particles)", v->particles);
    else if (!isnan(v->cells)) fprintf(f, " (%.0f cells)", v->cells);
    for (size_t e = 0; e < c->errors.n; e++)
      md_num(f, v->ok ? kl_cmp_column_value(v, v->last, c->errors.s[e]) : NAN, "%.4g");
    fputs(" |\n", f);
  }
  /* Failures */
  bool any_failed = false;
  for (size_t o = 0; o < c->nv; o++) any_failed |= !c->v[c->order[o]].ok;
  if (any_failed) {
    fputs("\nRuns that did not complete (left out of the orders and drifts):\n\n", f);
    for (size_t o = 0; o < c->nv; o++) {
      const variant *v = &c->v[c->order[o]];
      if (v->ok) continue;
      fputs("- **", f);
      md_text(f, v->name);
      fputs("**: ", f);
      md_text(f, v->status);
      if (v->message && *v->message) {
        fputs(": ", f);
        md_text(f, v->message);
      }
      fputc('\n', f);
    }
  }
  /* Drifts */
  if (c->quants.n) {
    md_column_table_start(f,
                          "\n## Drift of the invariants and diagnostics\n\n"
                          "Each cell: |q(T) − q(0)|, relative |q(T) − q(0)| / |q(0)| in "
                          "parentheses, and the largest |q(t) − q(0)| over the output times.\n\n",
                          &c->quants);
    for (size_t o = 0; o < c->nv; o++) {
      const variant *v = &c->v[c->order[o]];
      md_row_start(f, v);
      for (size_t q = 0; q < c->quants.n; q++) {
        const char *qn = c->quants.s[q];
        double a = kl_cmp_column_value(v, v->first, qn), b = kl_cmp_column_value(v, v->last, qn);
        if (!v->ok || isnan(a)) {
          fputs(" | –", f);
          continue;
        }
        fprintf(f, " | %.3g", fabs(b - a));
        double r = rel_drift(v, qn);
        if (!isnan(r)) fprintf(f, " (%.3g)", r);
        fprintf(f, ", max %.3g", kl_cmp_column_value(v, v->max_drift, qn));
      }
      fputs(" |\n", f);
    }
  }
  /* Exact values: the solution the errors are measured against, at T */
  if (c->exacts.n) {
    md_column_table_start(f,
                          "\n## Exact values at the final time\n\n"
                          "The `*_exact` columns: the exact solution's value at the final output "
                          "time (not a drift: it is what the run is measured against).\n\n",
                          &c->exacts);
    for (size_t o = 0; o < c->nv; o++) {
      const variant *v = &c->v[c->order[o]];
      md_row_start(f, v);
      for (size_t x = 0; x < c->exacts.n; x++)
        md_num(f, v->ok ? kl_cmp_column_value(v, v->last, c->exacts.s[x]) : NAN, "%.6g");
      fputs(" |\n", f);
    }
  }
  /* Orders */
  if (c->n_rk && c->errors.n) {
    fputs("\n## Observed orders of convergence\n\n"
          "Between successive resolutions p = log(e_i / e_{i+1}) / log(s_i / s_{i+1}); "
          "\"fit\" is the least-squares slope of log e against log s over the group.\n",
          f);
    for (size_t k = 0; k < c->n_rk; k++) {
      const res_key *rk = &c->rk[k];
      fprintf(f, "\n### In %s (size s = %s)\n\n", rk->key,
              rk->rule == RULE_COUNT ? "1 / value" : "value");
      if (c->ref_cols.n) {
        if (c->ref_mode == REF_FINEST && k == 0)
          fputs("The `ref_*` errors are Richardson-style: against the finest run of each group "
                "(which has no error, and no order, of its own).\n\n",
                f);
        else
          md_reference_note(c, f);
      }
      /* Group labels: the grouping keys that refine the partition of the
       * variants made by the keys before them (mollifier.type, not also the
       * epsilon law that goes with it). */
      bool *label = calloc(c->varying.n ? c->varying.n : 1, sizeof *label);
      size_t *idx = malloc((c->nv ? c->nv : 1) * sizeof *idx); /* a group, coarse to fine */
      if (!label || !idx) {
        free(label);
        free(idx);
        return KL_ENOMEM;
      }
      bool has_groups = group_label_keys(c, rk, label);
      fprintf(f, "| %serror | %s | errors | orders | fit |\n|---|---|---|---|---|%s\n",
              has_groups ? "group | " : "", rk->key, has_groups ? "---|" : "");
      for (size_t g = 0; g < rk->n_groups; g++) {
        /* members in display order (coarse to fine when k == 0) */
        size_t rep = SIZE_MAX;
        for (size_t o = 0; o < c->nv && rep == SIZE_MAX; o++)
          if (rk->group[c->order[o]] == g) rep = c->order[o];
        size_t members = 0;
        for (size_t i = 0; i < c->nv; i++) members += rk->group[i] == g;
        if (members < 2) continue; /* nothing to compare */
        for (size_t e = 0; e < c->errors.n; e++) {
          fputs("| ", f);
          if (has_groups) {
            bool first = true;
            for (size_t j = 0; j < c->varying.n; j++) {
              if (!label[j]) continue;
              const char *val = value_text(&c->v[rep], c->varying.s[j], true, value);
              fprintf(f, "%s", first ? "" : ", ");
              md_text(f, c->varying.s[j]);
              fputc('=', f);
              md_text(f, val ? val : "–");
              first = false;
            }
            fputs(" | ", f);
          }
          md_text(f, c->errors.s[e]);
          /* sizes, errors and orders coarse to fine */
          size_t m = kl_cmp_group_members(rk, c->nv, g, idx);
          fputs(" | ", f);
          for (size_t a = 0; a < m; a++)
            fprintf(f, "%s%s", a ? ", " : "", value_text(&c->v[idx[a]], rk->key, true, value));
          fputs(" | ", f);
          for (size_t a = 0; a < m; a++) {
            const variant *v = &c->v[idx[a]];
            double ev = v->ok ? kl_cmp_column_value(v, v->last, c->errors.s[e]) : NAN;
            fprintf(f, "%s", a ? ", " : "");
            if (isnan(ev)) fprintf(f, "(%s)", v->ok ? "–" : v->status);
            else fprintf(f, "%.3g", ev);
          }
          fputs(" | ", f);
          bool any = false;
          for (size_t a = 0; a < m; a++) {
            double p = rk->order[e][idx[a]];
            if (isnan(p)) continue;
            fprintf(f, "%s%.3f", any ? ", " : "", p);
            any = true;
          }
          if (!any) fputs("–", f);
          md_num(f, m ? rk->fit[e][idx[0]] : NAN, "%.3f");
          fputs(" |\n", f);
        }
      }
      free(label);
      free(idx);
    }
  }
  if (c->ref_cols.n) write_md_reference(c, f);
  if (write_md_work_precision(c, f)) return KL_ENOMEM;
  if (c->absent.n) {
    fputs("\n## Variants without a directory\n\n"
          "experiment.yaml lists these variants, but their directories are absent (not run: "
          "an interrupted run, continue it with `kinlab run --restart`; or deleted). They are "
          "not compared.\n\n",
          f);
    for (size_t u = 0; u < c->absent.n; u++) {
      fputs("- ", f);
      md_write(f, c->absent.s[u], false);
      fputc('\n', f);
    }
  } else if (c->absent_unchecked) {
    fputs("\n(Whether every variant of experiment.yaml has a directory was not checked: ", f);
    md_write(f, c->absent_unchecked, false);
    fputs(")\n", f);
  }
  /* Keys that may be resolutions but whose parameter tables were not
   * available: no orders in them, and why. */
  if (c->unresolved.n) {
    fputs("\n## Keys without a resolution rule\n\n"
          "No orders in these keys: their parameters' tables (KL_PARAM_STEP_SIZE, "
          "KL_PARAM_COUNT) were not available, and the rule is not guessed from a name.\n\n",
          f);
    for (size_t u = 0; u < c->unresolved.n; u++) {
      fputs("- ", f);
      md_write(f, c->unresolved.s[u], false);
      fputc('\n', f);
    }
  }
  return KL_OK;
}

int kl_cmp_write_outputs(const cmp *c, kl_error *err) {
  char path[PATH_MAX];
  kl_atomic_file af;
  if (!kl_pathf(path, sizeof path, "%s/comparison.csv", c->run_dir))
    return kl_error_set(err, KL_EIO, "path too long: %s/comparison.csv", c->run_dir);
  int rc = kl_atomic_open(&af, path, err);
  if (rc) return rc;
  write_csv(c, af.fp);
  if ((rc = kl_atomic_commit(&af, err))) return rc;
  if (!kl_pathf(path, sizeof path, "%s/comparison.md", c->run_dir))
    return kl_error_set(err, KL_EIO, "path too long: %s/comparison.md", c->run_dir);
  if ((rc = kl_atomic_open(&af, path, err))) return rc;
  if (write_md(c, af.fp) != KL_OK) {
    kl_atomic_abort(&af);
    return kl_error_nomem(err);
  }
  if ((rc = kl_atomic_commit(&af, err))) return rc;
  /* The per-time reference errors and the work-precision table; a stale file
   * of an earlier comparison that has none is removed. */
  struct {
    const char *name;
    bool have;
    int (*write)(const cmp *, FILE *); /* KL_ENOMEM or KL_OK */
  } extra[] = {{"reference_errors.csv", c->ref_cols.n > 0, write_reference_csv},
               {"work_precision.csv", have_work_precision(c), write_work_precision_csv}};
  for (size_t k = 0; k < sizeof extra / sizeof *extra && !rc; k++) {
    if (!kl_pathf(path, sizeof path, "%s/%s", c->run_dir, extra[k].name))
      return kl_error_set(err, KL_EIO, "path too long: %s/%s", c->run_dir, extra[k].name);
    if (!extra[k].have) {
      (void)unlink(path);
      continue;
    }
    if ((rc = kl_atomic_open(&af, path, err))) return rc;
    if (extra[k].write(c, af.fp) != KL_OK) {
      kl_atomic_abort(&af);
      return kl_error_nomem(err);
    }
    rc = kl_atomic_commit(&af, err);
  }
  return rc;
}

