/* read.c - reading a run directory for compare: its variants (the
 * sub-directories with run files, or the directory itself for a single run)
 * and per variant config.resolved.yaml, summary.json (kl_summary_read, the
 * reader next to its writer run/summary.c), run.log's last line, snapshots.h5's
 * sizes and timeseries.csv.  Everything is checked (docs/comparisons.md, "What
 * is checked"): a file that cannot be read is KL_EIO, one whose content is
 * malformed or contradicts another file is KL_EINVAL, both naming the file
 * (and line and column).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "compare_internal.h"

/* Whether dir holds a run file.  Any kind of entry counts: one that is not a
 * regular file (a directory named summary.json) is then an error naming it
 * (run_file), not a variant silently left out. */
static bool has_run_files(const char *dir) {
  static const char *const files[] = {"config.resolved.yaml", "summary.json", "timeseries.csv",
                                      "run.log"};
  char p[PATH_MAX];
  for (size_t i = 0; i < sizeof files / sizeof *files; i++)
    if (kl_pathf(p, sizeof p, "%s/%s", dir, files[i]) && kl_file_exists(p)) return true;
  return false;
}

/* Natural order: "n=10" before "n=100", "n=9" before "n=10". */
static int natural_cmp(const char *a, const char *b) {
  while (*a && *b) {
    if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
      while (*a == '0') a++;
      while (*b == '0') b++;
      size_t la = 0, lb = 0;
      while (isdigit((unsigned char)a[la])) la++;
      while (isdigit((unsigned char)b[lb])) lb++;
      if (la != lb) return la < lb ? -1 : 1;
      int c = strncmp(a, b, la);
      if (c) return c;
      a += la;
      b += lb;
    } else {
      if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
      a++;
      b++;
    }
  }
  return *a ? 1 : *b ? -1 : 0;
}

/* --------------------------------------------------- configuration */
static int flatten(const kl_node *n, const char *prefix, variant *v) {
  char key[1024];
  if (n->type == KL_NODE_SCALAR) {
    if (!strcmp(prefix, "output.dir")) return 0; /* where it ran, not what */
    return kl_cmp_sv_push(&v->keys, prefix) || kl_cmp_sv_push(&v->vals, n->scalar ? n->scalar : "");
  }
  for (size_t i = 0; i < n->n; i++) {
    if (n->type == KL_NODE_MAP)
      snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", n->keys[i]);
    else
      snprintf(key, sizeof key, "%s%s%zu", prefix, *prefix ? "." : "", i);
    if (flatten(n->items[i], key, v)) return -1;
  }
  if (n->n == 0) /* an empty list or mapping is a value too */
    return kl_cmp_sv_push(&v->keys, prefix) || kl_cmp_sv_push(&v->vals, n->type == KL_NODE_MAP ? "{}" : "[]");
  return 0;
}

/* The last non-empty line of run.log: why a variant without summary failed. */
static char *last_log_line(const char *dir) {
  char p[PATH_MAX];
  if (!kl_pathf(p, sizeof p, "%s/run.log", dir)) return NULL;
  char *text = NULL;
  size_t n = 0;
  kl_error ignored;
  if (kl_read_text_file(p, KL_RUN_TEXT_MAX, &text, &n, &ignored)) return NULL;
  while (n && isspace((unsigned char)text[n - 1])) text[--n] = '\0';
  char *line = strrchr(text, '\n');
  char *out = strdup(line ? line + 1 : text);
  free(text);
  return out;
}

/* --------------------------------------------------- snapshots.h5 */
/* Particles or grid cells of the last snapshot.  A completed run's snapshots.h5
 * must open; one that failed may have left it unfinished. */
static int run_file(const variant *v, const char *name, char *path, size_t size, bool *present,
                    kl_error *err);
static int read_snapshot_sizes(variant *v, kl_error *err) {
  char p[PATH_MAX];
  bool present;
  v->particles = v->cells = NAN;
  int rc = run_file(v, "snapshots.h5", p, sizeof p, &present, err);
  if (rc || !present) return rc;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0)
    return v->ok ? kl_error_set(err, KL_EINVAL, "%s: not a readable HDF5 file (the run "
                                                "completed, so it should be)", p)
                 : KL_OK;
  H5G_info_t info;
  if (H5Gget_info(f, &info) >= 0 && info.nlinks > 0) {
    char name[256];
    if (H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_DEC, 0, name, sizeof name,
                           H5P_DEFAULT) > 0) {
      hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
      if (g >= 0) {
        const char *sets[] = {KL_SNAP_VELOCITIES, KL_SNAP_GRID}; /* particles, cells */
        for (int k = 0; k < 2; k++) {
          if (H5Lexists(g, sets[k], H5P_DEFAULT) <= 0) continue;
          hid_t d = H5Dopen2(g, sets[k], H5P_DEFAULT);
          if (d < 0) continue;
          hid_t s = H5Dget_space(d);
          hsize_t dims[8];
          int rank = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
          if (rank > 0 && rank <= 8) {
            if (k == 0) v->particles = (double)dims[rank - 1];
            else {
              double c = 1;
              for (int i = 0; i < rank; i++) c *= (double)dims[i];
              v->cells = c;
            }
          }
          if (s >= 0) H5Sclose(s);
          H5Dclose(d);
        }
        H5Gclose(g);
      }
    }
  }
  H5Fclose(f);
  return KL_OK;
}

/* --------------------------------------------------- timeseries.csv */
/* A field as run/observe.c writes it with "%.17g": the decimal grammar
 * -?D+(.D+)?([eE][+-]?D+)? with a finite value, or printf's spellings of the
 * non-finite values nan, -nan, inf, -inf.  Returns false for anything else
 * (*overflow: decimal, but beyond a double). */
static bool csv_number(const char *s, double *x, bool *overflow) {
  *overflow = false;
  static const struct { const char *text; double value; } words[] = {
      {"nan", NAN}, {"-nan", NAN}, {"inf", INFINITY}, {"-inf", -INFINITY}};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (!strcmp(s, words[i].text)) {
      *x = words[i].value;
      return true;
    }
  const char *q = s;
  if (*q == '-') q++;
  if (!isdigit((unsigned char)*q)) return false;
  while (isdigit((unsigned char)*q)) q++;
  if (*q == '.') {
    if (!isdigit((unsigned char)*++q)) return false;
    while (isdigit((unsigned char)*q)) q++;
  }
  if (*q == 'e' || *q == 'E') {
    q++;
    if (*q == '+' || *q == '-') q++;
    if (!isdigit((unsigned char)*q)) return false;
    while (isdigit((unsigned char)*q)) q++;
  }
  if (*q) return false;
  *x = strtod(s, NULL);
  *overflow = !isfinite(*x);
  return !*overflow;
}

/* Check one base-column value (finite by then): times increase, counters are
 * non-negative integers that never decrease, dt > 0, wall_s >= 0.  NULL or
 * what was expected. */
static const char *base_value_problem(size_t col, double x, double prev, bool first) {
  switch (col) {
  case KL_COL_T:
    return first || x > prev ? NULL : "a time after the previous row's (times must increase)";
  case KL_COL_DT: return x > 0 ? NULL : "a positive step size";
  case KL_COL_WALL_S: return x >= 0 ? NULL : "a non-negative wall time";
  default:
    if (!(x >= 0 && x == floor(x))) return "a non-negative integer";
    return first || x >= prev ? NULL : "a count not below the previous row's";
  }
}

/* Read and check timeseries.csv (see the comment at the top). */
static int read_timeseries(variant *v, const char *p, kl_error *err) {
  FILE *f = fopen(p, "r");
  if (!f) return kl_error_set(err, KL_EIO, "cannot read %s: %s", p, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  unsigned long lineno = 1;
  int rc = KL_OK;
  double *row = NULL;
  char base_list[128] = ""; /* "t,step,...,wall_s" for messages */
  for (size_t k = 0, used = 0; k < KL_RUN_N_BASE_COLUMNS && used < sizeof base_list; k++)
    used += (size_t)snprintf(base_list + used, sizeof base_list - used, "%s%s", k ? "," : "",
                             kl_run_base_columns[k]);
  errno = 0;
  if ((len = getline(&line, &cap, f)) <= 0) {
    rc = errno && !feof(f) ? kl_error_set(err, KL_EIO, "cannot read %s: %s", p, strerror(errno))
                           : kl_error_set(err, KL_EINVAL, "%s: empty file (expected a header line "
                                                          "%s,...)", p, base_list);
    goto done;
  }
  if (line[len - 1] == '\n') line[--len] = '\0';
  if (len && line[len - 1] == '\r') line[--len] = '\0';
  for (char *s = line, *comma;; s = comma + 1) {
    comma = strchr(s, ',');
    if (comma) *comma = '\0';
    size_t k = v->cols.n, col = (size_t)(s - line) + 1;
    if (k < KL_RUN_N_BASE_COLUMNS && strcmp(s, kl_run_base_columns[k])) {
      rc = kl_error_set(err, KL_EINVAL, "%s:1:%zu: column %zu: expected '%s' (the header starts "
                                        "with %s), found '%.64s'",
                        p, col, k + 1, kl_run_base_columns[k], base_list, s);
      goto done;
    }
    if (!*s || strpbrk(s, " \t\"") || kl_cmp_sv_find(&v->cols, s) >= 0) {
      rc = kl_error_set(err, KL_EINVAL, "%s:1:%zu: column %zu: expected a new column name without "
                                        "spaces or quotes, found '%.64s'%s",
                        p, col, k + 1, s, *s && kl_cmp_sv_find(&v->cols, s) >= 0 ? " a second time" : "");
      goto done;
    }
    if (kl_cmp_sv_push(&v->cols, s)) {
      rc = kl_error_nomem(err);
      goto done;
    }
    if (!comma) break;
  }
  const size_t nc = v->cols.n, n_base = KL_RUN_N_BASE_COLUMNS;
  if (nc < n_base) {
    rc = kl_error_set(err, KL_EINVAL, "%s:1: %zu columns, expected at least the %zu of %s", p, nc,
                      n_base, base_list);
    goto done;
  }
  row = calloc(nc, sizeof *row);
  v->first = calloc(nc, sizeof *v->first);
  v->last = calloc(nc, sizeof *v->last);
  v->max_drift = calloc(nc, sizeof *v->max_drift);
  if (!row || !v->first || !v->last || !v->max_drift) {
    rc = kl_error_set(err, KL_ENOMEM, "%s: out of memory for %zu columns (%zu bytes)", p, nc,
                      4 * nc * sizeof *row);
    goto done;
  }
  errno = 0;
  while ((len = getline(&line, &cap, f)) > 0) {
    lineno++;
    if (line[len - 1] != '\n') {
      /* Only a run that failed while writing (disk full) leaves a cut row. */
      if (!v->ok) break;
      rc = kl_error_set(err, KL_EINVAL, "%s:%lu: the last line has no newline (a truncated row) "
                                        "although summary.json says the run completed",
                        p, lineno);
      goto done;
    }
    line[--len] = '\0';
    if (len && line[len - 1] == '\r') line[--len] = '\0';
    size_t k = 0;
    for (char *s = line, *comma;; s = comma + 1, k++) {
      comma = strchr(s, ',');
      if (comma) *comma = '\0';
      size_t col = (size_t)(s - line) + 1;
      if (k >= nc) {
        size_t fields = k + 1;
        while (comma && (comma = strchr(comma + 1, ','))) fields++;
        rc = kl_error_set(err, KL_EINVAL, "%s:%lu:%zu: %zu fields, expected %zu as in the header",
                          p, lineno, col, fields, nc);
        goto done;
      }
      bool overflow;
      if (!csv_number(s, &row[k], &overflow)) {
        rc = kl_error_set(err, KL_EINVAL, "%s:%lu:%zu: field %zu (%s): expected %s, found '%.64s'",
                          p, lineno, col, k + 1, v->cols.s[k],
                          overflow ? "a number within the range of a double"
                                   : "a number (or nan, -nan, inf, -inf)",
                          s);
        goto done;
      }
      if (k < n_base) {
        const char *problem = isfinite(row[k]) ? base_value_problem(k, row[k], v->last[k], !v->rows)
                                               : "a finite number";
        if (problem) {
          rc = kl_error_set(err, KL_EINVAL, "%s:%lu:%zu: field %zu (%s): expected %s, found %s", p,
                            lineno, col, k + 1, v->cols.s[k], problem, s);
          goto done;
        }
      }
      if (!comma) break;
    }
    if (k + 1 != nc) {
      rc = kl_error_set(err, KL_EINVAL, "%s:%lu: %zu fields, expected %zu as in the header", p,
                        lineno, k + 1, nc);
      goto done;
    }
    for (size_t c = 0; c < nc; c++) {
      if (v->rows == 0) v->first[c] = row[c];
      v->last[c] = row[c];
      double d = fabs(row[c] - v->first[c]);
      if (v->rows == 0 || d > v->max_drift[c] || isnan(d)) v->max_drift[c] = d;
    }
    v->rows++;
  }
  if (ferror(f)) rc = kl_error_set(err, KL_EIO, "cannot read %s: %s", p, strerror(errno));
done:
  free(row);
  free(line);
  fclose(f);
  return rc;
}

/* --------------------------------------------------- reading a variant */
/* DIR/NAME: false when absent; an error when it is there but not a regular file. */
static int run_file(const variant *v, const char *name, char *path, size_t size, bool *present,
                    kl_error *err) {
  struct stat st;
  *present = false;
  if (!kl_pathf(path, size, "%s/%s", v->dir, name))
    return kl_error_set(err, KL_EIO, "path too long: %s/%s", v->dir, name);
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) return KL_OK;
    return kl_error_set(err, KL_EIO, "cannot read %s: %s", path, strerror(errno));
  }
  if (!S_ISREG(st.st_mode))
    return kl_error_set(err, KL_EIO, "cannot read %s: not a regular file", path);
  *present = true;
  return KL_OK;
}

/* config.resolved.yaml: a mapping with model and integrator mappings, and no
 * plain scalar that is a non-finite or overflowing number (kinlab validated
 * every parameter finite before it ran, so such a value is not its writing). */
static int check_config_values(const kl_node *n, const char *key, kl_error *err) {
  char where[PATH_MAX + 32];
  if (n->type == KL_NODE_SCALAR) {
    const char *s = n->scalar ? n->scalar : "";
    const char *u = *s == '-' || *s == '+' ? s + 1 : s;
    bool special = !strcmp(u, ".inf") || !strcmp(u, ".Inf") || !strcmp(u, ".INF") ||
                   (u == s && (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")));
    if (n->plain && (special || (kl_yaml_float_syntax(s) && !isfinite(strtod(s, NULL)))))
      return kl_error_set(err, KL_EINVAL, "%s: key %s: expected a finite number, found %.64s",
                          kl_node_where(n, where, sizeof where), key, s);
    return KL_OK;
  }
  for (size_t i = 0; i < n->n; i++) {
    char sub[1024];
    if (n->type == KL_NODE_MAP) snprintf(sub, sizeof sub, "%s%s%s", key, *key ? "." : "", n->keys[i]);
    else snprintf(sub, sizeof sub, "%s%s%zu", key, *key ? "." : "", i);
    int rc = check_config_values(n->items[i], sub, err);
    if (rc) return rc;
  }
  return KL_OK;
}

static int read_config(variant *v, const char *path, kl_error *err) {
  kl_node *tree = NULL;
  int rc = kl_yaml_parse_file(path, &tree, err);
  char where[PATH_MAX + 32];
  if (!rc && tree->type != KL_NODE_MAP)
    rc = kl_error_set(err, KL_EINVAL, "%s: expected a mapping (an experiment as kinlab run "
                                      "writes it)", kl_node_where(tree, where, sizeof where));
  static const char *const sections[] = {"model", "integrator"};
  for (size_t i = 0; !rc && i < sizeof sections / sizeof *sections; i++) {
    const kl_node *s = kl_node_map_get(tree, sections[i]);
    if (!s || s->type != KL_NODE_MAP)
      rc = kl_error_set(err, KL_EINVAL, "%s: key %s: expected a mapping with the %s's type and "
                                        "parameters, found %s",
                        kl_node_where(s ? s : tree, where, sizeof where), sections[i], sections[i],
                        s ? "a scalar or list" : "nothing");
  }
  if (!rc) rc = check_config_values(tree, "", err);
  if (!rc && flatten(tree, "", v)) rc = kl_error_nomem(err);
  kl_node_free(tree);
  return rc;
}

/* Everything compare reads of a variant, checked (docs/comparisons.md, "What
 * is checked"): a file that cannot be read is KL_EIO, one whose content is
 * malformed or contradicts another file is KL_EINVAL, both naming the file
 * (and line and column). */
int kl_cmp_read_variant(variant *v, kl_error *err) {
  char p[PATH_MAX];
  bool present;
  kl_summary *sum = &v->summary; /* NaN counters without summary.json */
  sum->steps = sum->rejected = sum->rhs_evals = sum->wall_s = sum->cpu_s = sum->state_size = NAN;
  sum->outputs = sum->t = NAN;
  int rc = run_file(v, "config.resolved.yaml", p, sizeof p, &present, err);
  if (!rc && present) rc = read_config(v, p, err);
  if (!rc) rc = run_file(v, "summary.json", p, sizeof p, &present, err);
  if (!rc && present && !(rc = kl_summary_read(p, sum, err))) v->have_summary = true;
  if (rc) return rc;
  v->status = strdup(v->have_summary ? sum->status : "failed");
  if (v->have_summary && *sum->message) {
    v->message = strdup(sum->message);
  } else {
    v->message = v->have_summary ? strdup("") : last_log_line(v->dir);
    if (!v->message)
      v->message = strdup(v->have_summary ? "" : "no summary.json (the run did not finish)");
  }
  if (!v->status || !v->message) return kl_error_nomem(err);
  v->ok = v->have_summary && kl_summary_completed(sum);
  if ((rc = read_snapshot_sizes(v, err))) return rc;
  if ((rc = run_file(v, "timeseries.csv", p, sizeof p, &present, err))) return rc;
  if (present && (rc = read_timeseries(v, p, err))) return rc;
  /* A completed run wrote every output row and its summary after them. */
  if (v->ok && !v->rows)
    return kl_error_set(err, KL_EINVAL, "%s/summary.json says the run completed, but %s/"
                                        "timeseries.csv %s",
                        v->dir, v->dir, present ? "has no data rows" : "does not exist");
  if (v->ok && !isnan(sum->outputs) && sum->outputs != (double)v->rows)
    return kl_error_set(err, KL_EINVAL, "%s: %zu data rows, but summary.json records outputs = "
                                        "%.0f (files of different runs?)",
                        p, v->rows, sum->outputs);
  if (v->ok && !isnan(sum->t) && sum->t != v->last[KL_COL_T])
    return kl_error_set(err, KL_EINVAL, "%s: the last row is at t = %.17g, but summary.json "
                                        "records t = %.17g (files of different runs?)",
                        p, v->last[KL_COL_T], sum->t);
  /* summary.json's "final" is the last row, written with the same %.17g: any
   * difference means the two files come from different runs (a time series
   * copied from another variant with the same t_final). */
  for (size_t i = 0; v->ok && i < sum->n_final; i++) {
    ssize_t c = kl_cmp_sv_find(&v->cols, sum->final_names[i]);
    if (c < 0 || c == KL_COL_WALL_S) continue; /* timing, not a result */
    double a = v->last[c], b = sum->final_values[i]; /* b NaN: null, any non-finite value */
    if (!(a == b || (!isfinite(a) && isnan(b))))
      return kl_error_set(err, KL_EINVAL, "%s: the last row has %s = %.17g, but summary.json "
                                          "records %.17g (files of different runs?)",
                          p, sum->final_names[i], a, b);
  }
  /* The configuration shown is the one that ran: summary.json records the
   * hash of config.resolved.yaml as written (absent before 2026-12). */
  if (v->have_summary && *sum->config_file_sha256) {
    char cfg[PATH_MAX], hex[KL_SHA256_HEX_SIZE];
    if ((rc = run_file(v, "config.resolved.yaml", cfg, sizeof cfg, &present, err))) return rc;
    if (!present)
      return kl_error_set(err, KL_EINVAL, "%s/summary.json records config_file_sha256, but %s "
                                          "does not exist",
                          v->dir, cfg);
    if ((rc = kl_sha256_file(cfg, hex, err))) return rc;
    if (strcmp(hex, sum->config_file_sha256))
      return kl_error_set(err, KL_EINVAL, "%s was changed after the run: its SHA-256 differs "
                                          "from config_file_sha256 in summary.json (the values "
                                          "shown would not be those that ran; restore it or "
                                          "rerun the variant)",
                          cfg);
  }
  if (v->have_summary && *sum->variant && strcmp(sum->variant, v->name))
    return kl_error_set(err, KL_EINVAL, "%s/summary.json is of variant '%s', found in the "
                                        "directory of variant '%s' (copied from another?)",
                        v->dir, sum->variant, v->name);
  return KL_OK;
}

int kl_cmp_list_variants(cmp *c, kl_error *err) {
  struct stat st;
  if (stat(c->run_dir, &st) != 0)
    return kl_error_set(err, KL_EIO, "%s: %s", c->run_dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return kl_error_set(err, KL_EIO, "%s is not a directory", c->run_dir);
  if (has_run_files(c->run_dir)) { /* a single run */
    c->v = calloc(1, sizeof *c->v);
    if (!c->v) return kl_error_nomem(err);
    const char *base = strrchr(c->run_dir, '/');
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s", base && base[1] ? base + 1 : c->run_dir);
    if (!base || !base[1]) { /* "dir/" */
      size_t n = strlen(name);
      while (n > 1 && name[n - 1] == '/') name[--n] = '\0';
      const char *b = strrchr(name, '/');
      if (b && b[1]) memmove(name, b + 1, strlen(b + 1) + 1);
    }
    c->v[0].name = strdup(name);
    c->v[0].dir = strdup(c->run_dir);
    c->nv = 1;
    return c->v[0].name && c->v[0].dir ? KL_OK : kl_error_nomem(err);
  }
  DIR *d = opendir(c->run_dir);
  if (!d) return kl_error_set(err, KL_EIO, "cannot read %s: %s", c->run_dir, strerror(errno));
  strvec names = {0, 0, NULL};
  struct dirent *de;
  int rc = KL_OK;
  while ((de = readdir(d)) && !rc) {
    if (de->d_name[0] == '.') continue;
    char p[PATH_MAX];
    if (!kl_pathf(p, sizeof p, "%s/%s", c->run_dir, de->d_name)) continue;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && has_run_files(p) && kl_cmp_sv_push(&names, de->d_name))
      rc = kl_error_nomem(err);
  }
  closedir(d);
  if (!rc && names.n == 0)
    rc = kl_error_set(err, KL_EIO,
                      "%s is not a kinlab run directory: no config.resolved.yaml, summary.json or "
                      "timeseries.csv in it or in its sub-directories",
                      c->run_dir);
  if (!rc) {
    /* Natural order of the names (insertion sort: a handful of variants). */
    for (size_t i = 1; i < names.n; i++)
      for (size_t j = i; j > 0 && natural_cmp(names.s[j - 1], names.s[j]) > 0; j--) {
        char *t = names.s[j];
        names.s[j] = names.s[j - 1];
        names.s[j - 1] = t;
      }
    c->v = calloc(names.n, sizeof *c->v);
    if (!c->v) rc = kl_error_nomem(err);
  }
  for (size_t i = 0; !rc && i < names.n; i++) {
    char p[PATH_MAX];
    kl_pathf(p, sizeof p, "%s/%s", c->run_dir, names.s[i]);
    c->v[i].name = names.s[i];
    names.s[i] = NULL;
    if (!(c->v[i].dir = strdup(p))) rc = kl_error_nomem(err);
    c->nv++;
  }
  kl_cmp_sv_free(&names);
  return rc;
}

