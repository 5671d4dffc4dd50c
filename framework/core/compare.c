/* compare.c - side-by-side comparison of the variants of a run directory.
 *
 * kl_compare_run_dir(RUN_DIR) reads every variant (the sub-directories that
 * hold run files, or RUN_DIR itself for a single run) and writes
 *   RUN_DIR/comparison.csv  one row per variant (machine-readable)
 *   RUN_DIR/comparison.md   the same as tables, plus observed orders
 * atomically (temp + rename).
 *
 * Per variant: the configuration keys whose values differ between variants
 * (flattened dotted keys of config.resolved.yaml), status and message
 * (summary.json, else the last line of run.log), counters and wall time, state
 * size (and particles or grid cells from the last snapshot), the final value
 * of every `*_error` column of timeseries.csv, and for every other quantity
 * column (model invariants and diagnostics) its drift |q(T) - q(0)|, relative
 * drift |q(T) - q(0)| / |q(0)| and the maximum over the output times of
 * |q(t) - q(0)|.
 *
 * Observed orders of convergence (docs/comparisons.md).  A varying key is a
 * *resolution key* when its value is numeric in every variant and its last
 * dotted component is step-like (dt h eps epsilon delta dx dv dy dz rtol atol
 * tol: size s = value) or count-like (n N nx nv ny nz np particles
 * n_particles cells: size s = 1/value); an explicit key and rule can be given
 * instead (kinlab compare --by KEY[:step|:count]).  Keys that vary in lockstep
 * with the resolution key (eps chosen as a function of n) are *tied* to it;
 * the variants are grouped by the values of the other varying keys, each group
 * sorted coarse to fine (s decreasing), and between successive completed
 * variants with positive errors the order is
 *     p = log(e_i / e_{i+1}) / log(s_i / s_{i+1}),
 * with the least-squares slope of log e against log s over the group.
 * Variants that did not complete are listed with their status and message and
 * are left out of the orders.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* Also used by `kinlab compare --by KEY[:RULE]` (framework/cli/compare_cmd.c). */
int kl_compare_run_dir_by(const char *run_dir, const char *key, const char *rule,
                          kl_error *err);

enum { RULE_NONE = 0, RULE_STEP = 1, RULE_COUNT = 2 };

typedef struct strvec {
  size_t n, cap;
  char **s;
} strvec;

typedef struct variant {
  char *name;    /* sub-directory name, or the run directory's base name */
  char *dir;
  /* config.resolved.yaml, flattened */
  strvec keys, vals;
  /* summary.json */
  bool have_summary;
  char *status, *message;
  double steps, rejected, rhs_evals, wall_s, state_size;
  strvec inv_names; /* "invariants": [...] when summary.json lists them */
  /* snapshots.h5 */
  double particles, cells;
  /* timeseries.csv */
  strvec cols;
  double *first, *last, *max_drift;
  size_t rows;
  bool ok; /* completed */
} variant;

typedef struct res_key {
  char *key;
  int rule;
  size_t *group;   /* group id per variant (SIZE_MAX: not part of it) */
  double *size;    /* s per variant */
  size_t n_groups;
  double **order;  /* [err][variant]: order from the previous member of its group */
  double **fit;    /* [err][variant]: least-squares slope of its group */
} res_key;

typedef struct cmp {
  const char *run_dir;
  variant *v;
  size_t nv;
  strvec varying;   /* varying configuration keys */
  strvec errors;    /* *_error columns */
  strvec quants;    /* other quantity columns */
  res_key *rk;
  size_t n_rk;
  size_t *order;    /* display order of the variants */
} cmp;

static const char *const base_columns[] = {"t", "step", "dt", "accepted", "rejected",
                                           "rhs_evals", "wall_s"};

/* ------------------------------------------------------------ helpers */
static int nomem(kl_error *err) { return kl_error_set(err, KL_ENOMEM, "out of memory"); }

static int sv_push(strvec *v, const char *s) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 16;
    char **p = realloc(v->s, cap * sizeof *p);
    if (!p) return -1;
    v->s = p;
    v->cap = cap;
  }
  if (!(v->s[v->n] = strdup(s))) return -1;
  v->n++;
  return 0;
}

static ssize_t sv_find(const strvec *v, const char *s) {
  for (size_t i = 0; i < v->n; i++)
    if (!strcmp(v->s[i], s)) return (ssize_t)i;
  return -1;
}

static void sv_free(strvec *v) {
  for (size_t i = 0; i < v->n; i++) free(v->s[i]);
  free(v->s);
  memset(v, 0, sizeof *v);
}

static bool file_exists(const char *dir, const char *name) {
  char p[PATH_MAX];
  struct stat st;
  return kl_pathf(p, sizeof p, "%s/%s", dir, name) && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool has_run_files(const char *dir) {
  static const char *const files[] = {"config.resolved.yaml", "summary.json", "timeseries.csv",
                                      "run.log"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++)
    if (file_exists(dir, files[i])) return true;
  return false;
}

static char *read_text(const char *path, size_t max) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n + 1 >= cap) {
      if (cap >= max) break;
      char *p = realloc(buf, cap * 2);
      if (!p) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = p;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* Numeric value of a configuration scalar ("0.01", "1e-3", "40"), else NaN. */
static double numeric(const char *s) {
  if (!s || !*s) return NAN;
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  while (*end && isspace((unsigned char)*end)) end++;
  if (*end || errno || !isfinite(x)) return NAN;
  return x;
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
    return sv_push(&v->keys, prefix) || sv_push(&v->vals, n->scalar ? n->scalar : "");
  }
  for (size_t i = 0; i < n->n; i++) {
    if (n->type == KL_NODE_MAP)
      snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", n->keys[i]);
    else
      snprintf(key, sizeof key, "%s%s%zu", prefix, *prefix ? "." : "", i);
    if (flatten(n->items[i], key, v)) return -1;
  }
  if (n->n == 0) /* an empty list or mapping is a value too */
    return sv_push(&v->keys, prefix) || sv_push(&v->vals, n->type == KL_NODE_MAP ? "{}" : "[]");
  return 0;
}

static const char *config_value(const variant *v, const char *key) {
  ssize_t i = sv_find(&v->keys, key);
  return i < 0 ? NULL : v->vals.s[i];
}

/* A configuration value for the tables: numbers in their shortest form that
 * reads back to the same double (config.resolved.yaml writes 17 digits, so
 * 0.2 comes as 0.20000000000000001). */
static const char *value_text(const variant *v, const char *key, bool brief) {
  static char buf[8][64];
  static int k;
  const char *s = config_value(v, key);
  double x = numeric(s);
  if (isnan(x) || strlen(s) < (brief ? 9 : 16)) return s;
  char *b = buf[k++ % 8];
  if (brief) { /* Markdown: 6 digits */
    snprintf(b, sizeof buf[0], "%.6g", x);
    return b;
  }
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(b, sizeof buf[0], "%.*g", digits, x);
    if (strtod(b, NULL) == x) break;
  }
  return b;
}
static const char *display_value(const variant *v, const char *key) {
  return value_text(v, key, false);
}
static const char *md_value(const variant *v, const char *key) {
  return value_text(v, key, true);
}

/* --------------------------------------------------- summary.json */
/* A small reader for the flat JSON that run/summary.c writes: the top-level members
 * that are strings, numbers (null: NaN) or lists of strings. */
static const char *json_ws(const char *p) {
  while (*p && isspace((unsigned char)*p)) p++;
  return p;
}

/* Parse a JSON string at p (at the opening quote) into out (may be NULL). */
static const char *json_str(const char *p, char *out, size_t size) {
  size_t k = 0;
  if (*p != '"') return NULL;
  for (p++; *p && *p != '"'; p++) {
    char c = *p;
    if (c == '\\') {
      p++;
      switch (*p) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'u': {
        unsigned u = 0;
        for (int i = 1; i <= 4; i++) {
          if (!isxdigit((unsigned char)p[i])) return NULL;
          u = u * 16 + (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0'
                                                             : tolower((unsigned char)p[i]) - 'a' + 10);
        }
        p += 4;
        c = u < 0x80 ? (char)u : '?';
        break;
      }
      case '\0': return NULL;
      default: c = *p;
      }
    }
    if (out && k + 1 < size) out[k++] = c;
  }
  if (*p != '"') return NULL;
  if (out && size) out[k] = '\0';
  return p + 1;
}

static const char *json_skip(const char *p) {
  p = json_ws(p);
  if (*p == '"') return json_str(p, NULL, 0);
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (*p) {
      if (*p == '"') {
        if (!(p = json_str(p, NULL, 0))) return NULL;
        continue;
      }
      if (*p == '{' || *p == '[') depth++;
      else if (*p == '}' || *p == ']') {
        if (--depth == 0) return p + 1;
      }
      p++;
    }
    return NULL;
  }
  while (*p && *p != ',' && *p != '}' && *p != ']') p++;
  return p;
}

/* The value of top-level member `key`, or NULL. */
static const char *json_member(const char *text, const char *key) {
  const char *p = json_ws(text);
  if (*p != '{') return NULL;
  p = json_ws(p + 1);
  char name[256];
  while (*p == '"') {
    if (!(p = json_str(p, name, sizeof name))) return NULL;
    p = json_ws(p);
    if (*p != ':') return NULL;
    p = json_ws(p + 1);
    if (!strcmp(name, key)) return p;
    if (!(p = json_skip(p))) return NULL;
    p = json_ws(p);
    if (*p == ',') p = json_ws(p + 1);
  }
  return NULL;
}

static double json_number(const char *text, const char *key) {
  const char *p = json_member(text, key);
  if (!p || *p == 'n') return NAN;
  char *end;
  double x = strtod(p, &end);
  return end == p ? NAN : x;
}

static char *json_string(const char *text, const char *key) {
  const char *p = json_member(text, key);
  if (!p || *p != '"') return NULL;
  size_t size = strlen(p) + 1;
  char *s = malloc(size);
  if (s && !json_str(p, s, size)) {
    free(s);
    s = NULL;
  }
  return s;
}

static void json_string_list(const char *text, const char *key, strvec *out) {
  const char *p = json_member(text, key);
  if (!p || *p != '[') return;
  p = json_ws(p + 1);
  char buf[512];
  while (*p == '"') {
    if (!(p = json_str(p, buf, sizeof buf))) return;
    if (sv_push(out, buf)) return;
    p = json_ws(p);
    if (*p == ',') p = json_ws(p + 1);
  }
}

/* The last non-empty line of run.log: why a variant without summary failed. */
static char *last_log_line(const char *dir) {
  char p[PATH_MAX];
  if (!kl_pathf(p, sizeof p, "%s/run.log", dir)) return NULL;
  char *text = read_text(p, 1u << 24);
  if (!text) return NULL;
  size_t n = strlen(text);
  while (n && isspace((unsigned char)text[n - 1])) text[--n] = '\0';
  char *line = strrchr(text, '\n');
  char *out = strdup(line ? line + 1 : text);
  free(text);
  return out;
}

/* --------------------------------------------------- snapshots.h5 */
static void read_snapshot_sizes(variant *v) {
  char p[PATH_MAX];
  v->particles = v->cells = NAN;
  if (!kl_pathf(p, sizeof p, "%s/snapshots.h5", v->dir) || !file_exists(v->dir, "snapshots.h5"))
    return;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return;
  H5G_info_t info;
  if (H5Gget_info(f, &info) >= 0 && info.nlinks > 0) {
    char name[256];
    if (H5Lget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_DEC, 0, name, sizeof name,
                           H5P_DEFAULT) > 0) {
      hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
      if (g >= 0) {
        const char *sets[] = {"velocities", "f"};
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
}

/* --------------------------------------------------- timeseries.csv */
static int read_timeseries(variant *v, kl_error *err) {
  char p[PATH_MAX];
  if (!kl_pathf(p, sizeof p, "%s/timeseries.csv", v->dir)) return KL_OK;
  FILE *f = fopen(p, "r");
  if (!f) return KL_OK; /* a variant that failed early has none */
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int rc = KL_OK;
  if ((len = getline(&line, &cap, f)) > 0) {
    char *save = NULL;
    for (char *tok = strtok_r(line, ",\r\n", &save); tok; tok = strtok_r(NULL, ",\r\n", &save))
      if (sv_push(&v->cols, tok)) {
        rc = nomem(err);
        break;
      }
  }
  size_t nc = v->cols.n;
  double *row = calloc(nc ? nc : 1, sizeof *row);
  v->first = calloc(nc ? nc : 1, sizeof *v->first);
  v->last = calloc(nc ? nc : 1, sizeof *v->last);
  v->max_drift = calloc(nc ? nc : 1, sizeof *v->max_drift);
  if (!row || !v->first || !v->last || !v->max_drift) rc = nomem(err);
  unsigned long lineno = 1;
  while (!rc && (len = getline(&line, &cap, f)) > 0) {
    lineno++;
    char *s = line, *end;
    size_t k = 0;
    while (*s == ' ') s++;
    if (*s == '\n' || *s == '\0') continue;
    for (; k < nc; k++) {
      row[k] = strtod(s, &end);
      if (end == s) row[k] = NAN; /* empty field */
      s = end;
      if (*s == ',') s++;
      else break;
    }
    if (k + 1 < nc) {
      /* A short row can only be the last one of an interrupted write; ignore it. */
      continue;
    }
    for (size_t c = 0; c < nc; c++) {
      if (v->rows == 0) v->first[c] = row[c];
      v->last[c] = row[c];
      double d = fabs(row[c] - v->first[c]);
      if (v->rows == 0 || d > v->max_drift[c] || isnan(d)) v->max_drift[c] = d;
    }
    v->rows++;
  }
  free(row);
  free(line);
  fclose(f);
  return rc;
}

static bool is_base_column(const char *c) {
  for (size_t i = 0; i < sizeof base_columns / sizeof *base_columns; i++)
    if (!strcmp(c, base_columns[i])) return true;
  return false;
}

static bool is_error_column(const char *c) {
  size_t n = strlen(c);
  return n >= 6 && !strcmp(c + n - 6, "_error");
}

static double column_value(const variant *v, const double *arr, const char *col) {
  ssize_t i = sv_find(&v->cols, col);
  return i < 0 || !arr || !v->rows ? NAN : arr[i];
}

/* --------------------------------------------------- reading a variant */
static int read_variant(variant *v, kl_error *err) {
  int rc = KL_OK;
  char p[PATH_MAX];
  v->steps = v->rejected = v->rhs_evals = v->wall_s = v->state_size = NAN;
  if (kl_pathf(p, sizeof p, "%s/config.resolved.yaml", v->dir) &&
      file_exists(v->dir, "config.resolved.yaml")) {
    kl_node *tree = NULL;
    kl_error e = {0, ""};
    if (kl_yaml_parse_file(p, &tree, &e) == KL_OK) {
      if (flatten(tree, "", v)) rc = nomem(err);
    }
    kl_node_free(tree);
  }
  if (rc) return rc;
  if (kl_pathf(p, sizeof p, "%s/summary.json", v->dir) && file_exists(v->dir, "summary.json")) {
    char *text = read_text(p, 1u << 24);
    if (text) {
      v->have_summary = true;
      v->status = json_string(text, "status");
      v->message = json_string(text, "message");
      v->steps = json_number(text, "steps");
      v->rejected = json_number(text, "rejected");
      v->rhs_evals = json_number(text, "rhs_evals");
      v->wall_s = json_number(text, "wall_s");
      v->state_size = json_number(text, "state_size");
      json_string_list(text, "invariants", &v->inv_names);
      free(text);
    }
  }
  if (!v->status) v->status = strdup(v->have_summary ? "unknown" : "failed");
  if (!v->message || !*v->message) {
    free(v->message);
    v->message = v->have_summary ? strdup("") : last_log_line(v->dir);
    if (!v->message)
      v->message = strdup(v->have_summary ? "" : "no summary.json (the run did not finish)");
  }
  if (!v->status || !v->message) return nomem(err);
  v->ok = !strcmp(v->status, "completed");
  read_snapshot_sizes(v);
  return read_timeseries(v, err);
}

static int list_variants(cmp *c, kl_error *err) {
  struct stat st;
  if (stat(c->run_dir, &st) != 0)
    return kl_error_set(err, KL_EIO, "%s: %s", c->run_dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return kl_error_set(err, KL_EIO, "%s is not a directory", c->run_dir);
  if (has_run_files(c->run_dir)) { /* a single run */
    c->v = calloc(1, sizeof *c->v);
    if (!c->v) return nomem(err);
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
    return c->v[0].name && c->v[0].dir ? KL_OK : nomem(err);
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
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && has_run_files(p) && sv_push(&names, de->d_name))
      rc = nomem(err);
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
    if (!c->v) rc = nomem(err);
  }
  for (size_t i = 0; !rc && i < names.n; i++) {
    char p[PATH_MAX];
    kl_pathf(p, sizeof p, "%s/%s", c->run_dir, names.s[i]);
    c->v[i].name = names.s[i];
    names.s[i] = NULL;
    if (!(c->v[i].dir = strdup(p))) rc = nomem(err);
    c->nv++;
  }
  sv_free(&names);
  return rc;
}

/* --------------------------------------------------- analysis */
static int find_varying(cmp *c, kl_error *err) {
  strvec all = {0, 0, NULL};
  for (size_t i = 0; i < c->nv; i++)
    for (size_t k = 0; k < c->v[i].keys.n; k++)
      if (sv_find(&all, c->v[i].keys.s[k]) < 0 && sv_push(&all, c->v[i].keys.s[k])) {
        sv_free(&all);
        return nomem(err);
      }
  for (size_t k = 0; k < all.n; k++) {
    const char *ref = NULL;
    bool first = true, varies = false;
    for (size_t i = 0; i < c->nv && !varies; i++) {
      if (!c->v[i].keys.n) continue; /* no configuration: nothing to compare */
      const char *val = config_value(&c->v[i], all.s[k]);
      if (first) {
        ref = val;
        first = false;
      } else if ((ref == NULL) != (val == NULL) || (ref && strcmp(ref, val))) {
        /* Numbers written differently ("0.1" / "1e-1") are the same value. */
        double a = numeric(ref), b = numeric(val);
        varies = !(a == b);
      }
    }
    if (varies && sv_push(&c->varying, all.s[k])) {
      sv_free(&all);
      return nomem(err);
    }
  }
  sv_free(&all);
  /* Columns: the union over the variants, in order of first appearance. */
  for (size_t i = 0; i < c->nv; i++) {
    const variant *v = &c->v[i];
    for (size_t k = 0; k < v->cols.n; k++) {
      const char *col = v->cols.s[k];
      if (is_base_column(col)) continue;
      strvec *dst = is_error_column(col) ? &c->errors : &c->quants;
      if (dst == &c->quants && v->inv_names.n && sv_find(&v->inv_names, col) < 0) continue;
      if (sv_find(dst, col) < 0 && sv_push(dst, col)) return nomem(err);
    }
  }
  return KL_OK;
}

static int rule_of_key(const char *key) {
  const char *last = strrchr(key, '.');
  last = last ? last + 1 : key;
  static const char *const step[] = {"dt", "h", "eps", "epsilon", "delta", "dx", "dv", "dy",
                                     "dz", "rtol", "atol", "tol"};
  static const char *const count[] = {"n", "N", "nx", "nv", "ny", "nz", "np", "particles",
                                      "n_particles", "cells"};
  for (size_t i = 0; i < sizeof step / sizeof *step; i++)
    if (!strcmp(last, step[i])) return RULE_STEP;
  for (size_t i = 0; i < sizeof count / sizeof *count; i++)
    if (!strcmp(last, count[i])) return RULE_COUNT;
  return RULE_NONE;
}

static bool same_value(const char *a, const char *b) {
  if (!a || !b) return a == b;
  if (!strcmp(a, b)) return true;
  double x = numeric(a), y = numeric(b);
  return x == y;
}

/* J is tied to K when, over the variants, equal K values go with equal J
 * values and vice versa (J is a one-to-one function of K). */
static bool tied(const cmp *c, const char *k, const char *j) {
  for (size_t a = 0; a < c->nv; a++)
    for (size_t b = a + 1; b < c->nv; b++) {
      bool ek = same_value(config_value(&c->v[a], k), config_value(&c->v[b], k));
      bool ej = same_value(config_value(&c->v[a], j), config_value(&c->v[b], j));
      if (ek != ej) return false;
    }
  return true;
}

static void lsq_slope(const double *x, const double *y, size_t n, double *slope) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= (double)n;
  my /= (double)n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  *slope = sxx > 0 ? sxy / sxx : NAN;
}

/* Group the variants for resolution key rk and compute its orders. */
static int compute_orders(cmp *c, res_key *rk, kl_error *err) {
  size_t nv = c->nv, ne = c->errors.n;
  rk->group = malloc(nv * sizeof *rk->group);
  rk->size = malloc(nv * sizeof *rk->size);
  rk->order = calloc(ne ? ne : 1, sizeof *rk->order);
  rk->fit = calloc(ne ? ne : 1, sizeof *rk->fit);
  size_t *rep = malloc(nv * sizeof *rep); /* a representative variant per group */
  size_t *members = malloc(nv * sizeof *members);
  double *lx = malloc(nv * sizeof *lx), *ly = malloc(nv * sizeof *ly);
  int rc = KL_OK;
  if (!rk->group || !rk->size || !rk->order || !rk->fit || !rep || !members || !lx || !ly)
    rc = nomem(err);
  for (size_t e = 0; e < ne && !rc; e++) {
    rk->order[e] = malloc(nv * sizeof **rk->order);
    rk->fit[e] = malloc(nv * sizeof **rk->fit);
    if (!rk->order[e] || !rk->fit[e]) rc = nomem(err);
    for (size_t i = 0; !rc && i < nv; i++) rk->order[e][i] = rk->fit[e][i] = NAN;
  }
  /* The keys that define the groups: varying, not K, not tied to K. */
  bool *grouping = calloc(c->varying.n ? c->varying.n : 1, sizeof *grouping);
  if (!grouping && !rc) rc = nomem(err);
  for (size_t k = 0; !rc && k < c->varying.n; k++)
    grouping[k] = strcmp(c->varying.s[k], rk->key) && !tied(c, rk->key, c->varying.s[k]);
  rk->n_groups = 0;
  for (size_t i = 0; !rc && i < nv; i++) {
    double x = numeric(config_value(&c->v[i], rk->key));
    rk->size[i] = rk->rule == RULE_COUNT ? 1 / x : x;
    rk->group[i] = SIZE_MAX;
    if (!(rk->size[i] > 0) || !isfinite(rk->size[i])) continue;
    for (size_t g = 0; g < rk->n_groups && rk->group[i] == SIZE_MAX; g++) {
      bool same = true;
      for (size_t k = 0; k < c->varying.n && same; k++)
        if (grouping[k])
          same = same_value(config_value(&c->v[i], c->varying.s[k]),
                            config_value(&c->v[rep[g]], c->varying.s[k]));
      if (same) rk->group[i] = g;
    }
    if (rk->group[i] == SIZE_MAX) {
      rep[rk->n_groups] = i;
      rk->group[i] = rk->n_groups++;
    }
  }
  for (size_t g = 0; !rc && g < rk->n_groups; g++) {
    size_t m = 0;
    for (size_t i = 0; i < nv; i++)
      if (rk->group[i] == g) members[m++] = i;
    /* coarse to fine: s decreasing (stable) */
    for (size_t a = 1; a < m; a++)
      for (size_t b = a; b > 0 && rk->size[members[b - 1]] < rk->size[members[b]]; b--) {
        size_t t = members[b];
        members[b] = members[b - 1];
        members[b - 1] = t;
      }
    for (size_t e = 0; e < ne; e++) {
      size_t np = 0, prev = SIZE_MAX;
      for (size_t a = 0; a < m; a++) {
        const variant *v = &c->v[members[a]];
        double ev = v->ok ? fabs(column_value(v, v->last, c->errors.s[e])) : NAN;
        if (!(ev > 0) || !isfinite(ev)) continue;
        double s = rk->size[members[a]];
        if (prev != SIZE_MAX && rk->size[prev] != s) {
          double ep = fabs(column_value(&c->v[prev], c->v[prev].last, c->errors.s[e]));
          rk->order[e][members[a]] = log(ep / ev) / log(rk->size[prev] / s);
        }
        prev = members[a];
        lx[np] = log(s);
        ly[np] = log(ev);
        np++;
      }
      double slope = NAN;
      if (np >= 2) lsq_slope(lx, ly, np, &slope);
      for (size_t a = 0; a < m; a++) rk->fit[e][members[a]] = slope;
    }
  }
  free(grouping);
  free(rep);
  free(members);
  free(lx);
  free(ly);
  return rc;
}

static int find_resolution_keys(cmp *c, const char *by_key, int by_rule, kl_error *err) {
  strvec cand = {0, 0, NULL};
  int rc = KL_OK;
  if (by_key) {
    if (sv_find(&c->varying, by_key) < 0) {
      char list[512] = "";
      size_t used = 0;
      for (size_t k = 0; k < c->varying.n && used < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                 c->varying.s[k]);
      return kl_error_set(err, KL_EINVAL,
                          "%s: resolution key %s does not vary between the variants (varying: "
                          "%s)",
                          c->run_dir, by_key, c->varying.n ? list : "none");
    }
    if (sv_push(&cand, by_key)) return nomem(err);
  } else {
    /* Count-like keys first (n with eps tied to it is a study in n), then step-like. */
    for (int pass = 0; pass < 2 && !rc; pass++)
      for (size_t k = 0; k < c->varying.n && !rc; k++) {
        int r = rule_of_key(c->varying.s[k]);
        if (r != (pass == 0 ? RULE_COUNT : RULE_STEP)) continue;
        bool all_numeric = true;
        for (size_t i = 0; i < c->nv && all_numeric; i++)
          if (c->v[i].keys.n) all_numeric = !isnan(numeric(config_value(&c->v[i], c->varying.s[k])));
        if (all_numeric && sv_push(&cand, c->varying.s[k])) rc = nomem(err);
      }
  }
  c->rk = calloc(cand.n ? cand.n : 1, sizeof *c->rk);
  if (!c->rk && !rc) rc = nomem(err);
  for (size_t k = 0; k < cand.n && !rc; k++) {
    bool skip = false; /* tied to a key already used */
    for (size_t j = 0; j < c->n_rk && !skip; j++) skip = tied(c, c->rk[j].key, cand.s[k]);
    if (skip) continue;
    res_key *rk = &c->rk[c->n_rk++];
    rk->rule = by_key && by_rule ? by_rule : rule_of_key(cand.s[k]);
    if (!rk->rule) rk->rule = RULE_STEP;
    if (!(rk->key = strdup(cand.s[k]))) rc = nomem(err);
    if (!rc) rc = compute_orders(c, rk, err);
  }
  sv_free(&cand);
  return rc;
}

/* Display order: by the first resolution key's groups (in order of first
 * appearance), coarse to fine inside a group; else the natural name order. */
static int display_order(cmp *c, kl_error *err) {
  c->order = malloc((c->nv ? c->nv : 1) * sizeof *c->order);
  if (!c->order) return nomem(err);
  for (size_t i = 0; i < c->nv; i++) c->order[i] = i;
  if (!c->n_rk) return KL_OK;
  const res_key *rk = &c->rk[0];
  for (size_t a = 1; a < c->nv; a++)
    for (size_t b = a; b > 0; b--) {
      size_t x = c->order[b - 1], y = c->order[b];
      size_t gx = rk->group[x], gy = rk->group[y];
      bool swap = gx > gy || (gx == gy && gx != SIZE_MAX && rk->size[x] < rk->size[y]);
      if (!swap) break;
      c->order[b - 1] = y;
      c->order[b] = x;
    }
  return KL_OK;
}

/* --------------------------------------------------- writing */
static void csv_field(FILE *f, const char *s) {
  if (s && strpbrk(s, ",\"\n\r")) {
    fputc('"', f);
    for (; *s; s++) {
      if (*s == '"') fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else if (s) {
    fputs(s, f);
  }
}

static void csv_num(FILE *f, double x) {
  fputc(',', f);
  if (!isnan(x)) fprintf(f, "%.17g", x);
}

static void order_column_name(const cmp *c, size_t k, const char *what, const char *err_col,
                              char *buf, size_t size) {
  if (c->n_rk > 1) snprintf(buf, size, "%s_%s@%s", what, err_col, c->rk[k].key);
  else snprintf(buf, size, "%s_%s", what, err_col);
}

/* Relative drift only for quantities that are not zero up to round-off at
 * t = 0 (|q(0)| > 1e-12): a momentum of 1e-17 has no meaningful relative change. */
#define REL_DRIFT_FLOOR 1e-12
static double rel_drift(const variant *v, const char *q) {
  double a = column_value(v, v->first, q), b = column_value(v, v->last, q);
  return fabs(a) > REL_DRIFT_FLOOR ? fabs(b - a) / fabs(a) : NAN;
}

static void write_csv(const cmp *c, FILE *f) {
  char name[1024];
  fputs("variant,status", f);
  for (size_t k = 0; k < c->varying.n; k++) {
    fputc(',', f);
    csv_field(f, c->varying.s[k]);
  }
  fputs(",steps,rejected,rhs_evals,wall_s,state_size,particles,cells", f);
  for (size_t e = 0; e < c->errors.n; e++) fprintf(f, ",%s", c->errors.s[e]);
  for (size_t q = 0; q < c->quants.n; q++)
    fprintf(f, ",%s_drift,%s_rel_drift,%s_max_drift", c->quants.s[q], c->quants.s[q],
            c->quants.s[q]);
  for (size_t k = 0; k < c->n_rk; k++)
    for (size_t e = 0; e < c->errors.n; e++) {
      order_column_name(c, k, "order", c->errors.s[e], name, sizeof name);
      fputc(',', f);
      csv_field(f, name);
      order_column_name(c, k, "fit_order", c->errors.s[e], name, sizeof name);
      fputc(',', f);
      csv_field(f, name);
    }
  fputs(",message\n", f);
  for (size_t o = 0; o < c->nv; o++) {
    size_t i = c->order[o];
    const variant *v = &c->v[i];
    csv_field(f, v->name);
    fputc(',', f);
    csv_field(f, v->status);
    for (size_t k = 0; k < c->varying.n; k++) {
      fputc(',', f);
      csv_field(f, display_value(v, c->varying.s[k]));
    }
    csv_num(f, v->steps);
    csv_num(f, v->rejected);
    csv_num(f, v->rhs_evals);
    csv_num(f, v->wall_s);
    csv_num(f, v->state_size);
    csv_num(f, v->particles);
    csv_num(f, v->cells);
    for (size_t e = 0; e < c->errors.n; e++)
      csv_num(f, v->ok ? column_value(v, v->last, c->errors.s[e]) : NAN);
    for (size_t q = 0; q < c->quants.n; q++) {
      const char *qn = c->quants.s[q];
      double a = column_value(v, v->first, qn), b = column_value(v, v->last, qn);
      csv_num(f, v->ok ? fabs(b - a) : NAN);
      csv_num(f, v->ok ? rel_drift(v, qn) : NAN);
      csv_num(f, v->ok ? column_value(v, v->max_drift, qn) : NAN);
    }
    for (size_t k = 0; k < c->n_rk; k++)
      for (size_t e = 0; e < c->errors.n; e++) {
        csv_num(f, c->rk[k].order[e][i]);
        csv_num(f, c->rk[k].fit[e][i]);
      }
    fputc(',', f);
    csv_field(f, v->message);
    fputc('\n', f);
  }
}

/* Markdown cells: no '|' or newlines inside. */
static void md_text(FILE *f, const char *s) {
  for (; s && *s; s++) {
    if (*s == '|') fputs("\\|", f);
    else if (*s == '\n' || *s == '\r') fputc(' ', f);
    else fputc(*s, f);
  }
}

static void md_num(FILE *f, double x, const char *fmt) {
  fputs(" | ", f);
  if (isnan(x)) fputs("–", f);
  else fprintf(f, fmt, x);
}

static void write_md(const cmp *c, FILE *f) {
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
  fputs(" | status | steps | rhs evals | wall [s] | state size", f);
  for (size_t e = 0; e < c->errors.n; e++) fprintf(f, " | %s", c->errors.s[e]);
  fputs(" |\n|---", f);
  for (size_t k = 0; k < c->varying.n + 5 + c->errors.n; k++) fputs("|---", f);
  fputs("|\n", f);
  for (size_t o = 0; o < c->nv; o++) {
    const variant *v = &c->v[c->order[o]];
    fputs("| ", f);
    md_text(f, v->name);
    for (size_t k = 0; k < c->varying.n; k++) {
      fputs(" | ", f);
      const char *val = md_value(v, c->varying.s[k]);
      md_text(f, val ? val : "–");
    }
    fputs(" | ", f);
    md_text(f, v->status);
    md_num(f, v->steps, "%.0f");
    md_num(f, v->rhs_evals, "%.0f");
    md_num(f, v->wall_s, "%.3g");
    fputs(" | ", f);
    if (isnan(v->state_size)) fputs("–", f);
    else fprintf(f, "%.0f", v->state_size);
    if (!isnan(v->particles)) fprintf(f, " (%.0f particles)", v->particles);
    else if (!isnan(v->cells)) fprintf(f, " (%.0f cells)", v->cells);
    for (size_t e = 0; e < c->errors.n; e++)
      md_num(f, v->ok ? column_value(v, v->last, c->errors.s[e]) : NAN, "%.4g");
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
    fputs("\n## Drift of the invariants and diagnostics\n\n"
          "Each cell: |q(T) − q(0)|, relative |q(T) − q(0)| / |q(0)| in parentheses, and the "
          "largest |q(t) − q(0)| over the output times.\n\n| run",
          f);
    for (size_t q = 0; q < c->quants.n; q++) fprintf(f, " | %s", c->quants.s[q]);
    fputs(" |\n|---", f);
    for (size_t q = 0; q < c->quants.n; q++) fputs("|---", f);
    fputs("|\n", f);
    for (size_t o = 0; o < c->nv; o++) {
      const variant *v = &c->v[c->order[o]];
      fputs("| ", f);
      md_text(f, v->name);
      for (size_t q = 0; q < c->quants.n; q++) {
        const char *qn = c->quants.s[q];
        double a = column_value(v, v->first, qn), b = column_value(v, v->last, qn);
        if (!v->ok || isnan(a)) {
          fputs(" | –", f);
          continue;
        }
        fprintf(f, " | %.3g", fabs(b - a));
        double r = rel_drift(v, qn);
        if (!isnan(r)) fprintf(f, " (%.3g)", r);
        fprintf(f, ", max %.3g", column_value(v, v->max_drift, qn));
      }
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
      /* Group labels: the grouping keys that refine the partition of the
       * variants made by the keys before them (mollifier.type, not also the
       * epsilon law that goes with it). */
      bool *label = calloc(c->varying.n ? c->varying.n : 1, sizeof *label);
      if (!label) return;
      bool has_groups = false;
      for (size_t j = 0; j < c->varying.n; j++) {
        if (!strcmp(c->varying.s[j], rk->key) || tied(c, rk->key, c->varying.s[j])) continue;
        bool refines = false;
        for (size_t a = 0; a < c->nv && !refines; a++)
          for (size_t b = a + 1; b < c->nv && !refines; b++) {
            if (rk->group[a] == SIZE_MAX || rk->group[b] == SIZE_MAX) continue;
            bool agree = true;
            for (size_t i = 0; i < j && agree; i++)
              if (label[i])
                agree = same_value(config_value(&c->v[a], c->varying.s[i]),
                                   config_value(&c->v[b], c->varying.s[i]));
            refines = agree && !same_value(config_value(&c->v[a], c->varying.s[j]),
                                           config_value(&c->v[b], c->varying.s[j]));
          }
        label[j] = refines;
        has_groups |= refines;
      }
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
              const char *val = md_value(&c->v[rep], c->varying.s[j]);
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
          size_t idx[1024], m = 0;
          for (size_t i = 0; i < c->nv && m < 1024; i++)
            if (rk->group[i] == g) idx[m++] = i;
          for (size_t a = 1; a < m; a++)
            for (size_t b = a; b > 0 && rk->size[idx[b - 1]] < rk->size[idx[b]]; b--) {
              size_t t = idx[b];
              idx[b] = idx[b - 1];
              idx[b - 1] = t;
            }
          fputs(" | ", f);
          for (size_t a = 0; a < m; a++)
            fprintf(f, "%s%s", a ? ", " : "", md_value(&c->v[idx[a]], rk->key));
          fputs(" | ", f);
          for (size_t a = 0; a < m; a++) {
            const variant *v = &c->v[idx[a]];
            double ev = v->ok ? column_value(v, v->last, c->errors.s[e]) : NAN;
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
    }
  }
}

static int write_outputs(const cmp *c, kl_error *err) {
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
  write_md(c, af.fp);
  return kl_atomic_commit(&af, err);
}

static void cmp_free(cmp *c) {
  for (size_t i = 0; i < c->nv; i++) {
    variant *v = &c->v[i];
    free(v->name);
    free(v->dir);
    sv_free(&v->keys);
    sv_free(&v->vals);
    free(v->status);
    free(v->message);
    sv_free(&v->inv_names);
    sv_free(&v->cols);
    free(v->first);
    free(v->last);
    free(v->max_drift);
  }
  free(c->v);
  for (size_t k = 0; k < c->n_rk; k++) {
    res_key *rk = &c->rk[k];
    for (size_t e = 0; e < c->errors.n; e++) {
      if (rk->order) free(rk->order[e]);
      if (rk->fit) free(rk->fit[e]);
    }
    free(rk->order);
    free(rk->fit);
    free(rk->group);
    free(rk->size);
    free(rk->key);
  }
  free(c->rk);
  free(c->order);
  sv_free(&c->varying);
  sv_free(&c->errors);
  sv_free(&c->quants);
}

int kl_compare_run_dir_by(const char *run_dir, const char *key, const char *rule,
                          kl_error *err) {
  if (!run_dir) return kl_error_set(err, KL_EINVAL, "no run directory given");
  int by_rule = RULE_NONE;
  if (rule && *rule) {
    if (!strcmp(rule, "step")) by_rule = RULE_STEP;
    else if (!strcmp(rule, "count")) by_rule = RULE_COUNT;
    else
      return kl_error_set(err, KL_EINVAL,
                          "resolution rule '%s': expected 'step' (size = value) or 'count' "
                          "(size = 1/value)",
                          rule);
  }
  cmp c;
  memset(&c, 0, sizeof c);
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", run_dir);
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
  c.run_dir = dir;
  int rc = list_variants(&c, err);
  for (size_t i = 0; !rc && i < c.nv; i++) rc = read_variant(&c.v[i], err);
  if (!rc) rc = find_varying(&c, err);
  if (!rc) rc = find_resolution_keys(&c, key && *key ? key : NULL, by_rule, err);
  if (!rc) rc = display_order(&c, err);
  if (!rc) rc = write_outputs(&c, err);
  cmp_free(&c);
  return rc;
}

int kl_compare_run_dir(const char *run_dir, kl_error *err) {
  return kl_compare_run_dir_by(run_dir, NULL, NULL, err);
}
