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
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

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
  double summary_outputs, summary_t; /* "outputs", "t": checked against timeseries.csv */
  char *summary_variant;             /* "variant": checked against the directory name */
  strvec final_names;                /* "final": {...}: checked against the last row */
  double *final_vals;
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

/* Run files larger than this are not what kinlab writes (summary.json, run.log). */
#define RUN_TEXT_MAX (16u << 20)

/* The whole of a regular file: KL_EIO when it cannot be read, KL_EINVAL when it
 * is larger than max; *len excludes the terminating NUL added after it. */
static int read_file(const char *path, size_t max, char **text, size_t *len, kl_error *err) {
  *text = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return kl_error_set(err, KL_EIO, "cannot read %s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return kl_error_set(err, KL_EIO, "cannot read %s: not a regular file", path);
  }
  if ((uintmax_t)st.st_size > max) {
    fclose(f);
    return kl_error_set(err, KL_EINVAL, "%s: %jd bytes, more than the %zu a kinlab run writes",
                        path, (intmax_t)st.st_size, max);
  }
  size_t size = (size_t)st.st_size;
  char *buf = malloc(size + 1);
  if (!buf) {
    fclose(f);
    return kl_error_set(err, KL_ENOMEM, "out of memory reading %s (%zu bytes)", path, size + 1);
  }
  size_t n = fread(buf, 1, size, f);
  bool failed = ferror(f) != 0;
  fclose(f);
  if (failed) {
    free(buf);
    return kl_error_set(err, KL_EIO, "cannot read %s: %s", path, strerror(errno));
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return KL_OK;
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

/* --------------------------------------------------- strict JSON */
/* RFC 8259 JSON for summary.json: a syntax error, a bad escape, a duplicate
 * key, a number that overflows a double, a NUL byte, nesting deeper than
 * KL_JSON_MAX_DEPTH or anything after the value is an error naming
 * FILE:LINE:COL and what was expected. */
typedef struct json_parser {
  const char *text, *p, *end, *file;
  kl_error *err;
  unsigned line;          /* of jp->p: newlines occur only in whitespace */
  const char *line_start;
} json_parser;

/* Position (1-based, columns in bytes) of `at` on the current line. */
static void json_where(const json_parser *jp, const char *at, unsigned *line, unsigned *col) {
  *line = jp->line;
  *col = (unsigned)(at - jp->line_start) + 1;
}

/* "'x'", "end of file" or "byte 0x01": what was found at `at`, for messages. */
static const char *json_found(const json_parser *jp, const char *at, char *buf, size_t size) {
  if (at >= jp->end) return "end of file";
  unsigned char c = (unsigned char)*at;
  if (c >= 0x20 && c < 0x7f) snprintf(buf, size, "'%c'", c);
  else snprintf(buf, size, "byte 0x%02x", c);
  return buf;
}

static int json_fail(const json_parser *jp, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int json_fail(const json_parser *jp, const char *at, const char *fmt, ...) {
  char msg[KL_ERROR_MESSAGE_MAX / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  unsigned line, col;
  json_where(jp, at, &line, &col);
  return kl_error_set(jp->err, KL_EINVAL, "%s:%u:%u: %s", jp->file, line, col, msg);
}

static void json_skip_ws(json_parser *jp) {
  for (; jp->p < jp->end; jp->p++) {
    if (*jp->p == '\n') {
      jp->line++;
      jp->line_start = jp->p + 1;
    } else if (*jp->p != ' ' && *jp->p != '\t' && *jp->p != '\r') {
      break;
    }
  }
}

static int json_hex4(json_parser *jp, unsigned *u) {
  *u = 0;
  for (int i = 0; i < 4; i++, jp->p++) {
    if (jp->p >= jp->end || !isxdigit((unsigned char)*jp->p)) {
      char f[16];
      return json_fail(jp, jp->p, "bad \\u escape: expected 4 hexadecimal digits, found %s",
                       json_found(jp, jp->p, f, sizeof f));
    }
    char c = (char)tolower((unsigned char)*jp->p);
    *u = *u * 16 + (unsigned)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
  }
  return KL_OK;
}

static void utf8_put(char *out, size_t *k, unsigned u) {
  if (u < 0x80) {
    out[(*k)++] = (char)u;
  } else if (u < 0x800) {
    out[(*k)++] = (char)(0xc0 | (u >> 6));
    out[(*k)++] = (char)(0x80 | (u & 0x3f));
  } else if (u < 0x10000) {
    out[(*k)++] = (char)(0xe0 | (u >> 12));
    out[(*k)++] = (char)(0x80 | ((u >> 6) & 0x3f));
    out[(*k)++] = (char)(0x80 | (u & 0x3f));
  } else {
    out[(*k)++] = (char)(0xf0 | (u >> 18));
    out[(*k)++] = (char)(0x80 | ((u >> 12) & 0x3f));
    out[(*k)++] = (char)(0x80 | ((u >> 6) & 0x3f));
    out[(*k)++] = (char)(0x80 | (u & 0x3f));
  }
}

/* A string at jp->p (the opening quote) into a new UTF-8 C string. */
static int json_parse_string(json_parser *jp, char **out) {
  const char *start = jp->p++;
  size_t k = 0;
  /* Escapes never make the text longer than the source. */
  char *s = malloc((size_t)(jp->end - start) + 1);
  if (!s) return kl_error_set(jp->err, KL_ENOMEM, "%s: out of memory for a string of %zu bytes",
                              jp->file, (size_t)(jp->end - start));
  int rc = KL_OK;
  for (;;) {
    if (jp->p >= jp->end) {
      rc = json_fail(jp, start, "unterminated string (no closing '\"')");
      break;
    }
    unsigned char c = (unsigned char)*jp->p;
    if (c == '"') {
      jp->p++;
      break;
    }
    if (c < 0x20) {
      rc = json_fail(jp, jp->p, "control character 0x%02x in a string (write it as \\u%04x)", c, c);
      break;
    }
    if (c != '\\') {
      s[k++] = (char)c;
      jp->p++;
      continue;
    }
    const char *esc = jp->p++;
    char e = jp->p < jp->end ? *jp->p++ : '\0';
    switch (e) {
    case '"': s[k++] = '"'; break;
    case '\\': s[k++] = '\\'; break;
    case '/': s[k++] = '/'; break;
    case 'b': s[k++] = '\b'; break;
    case 'f': s[k++] = '\f'; break;
    case 'n': s[k++] = '\n'; break;
    case 'r': s[k++] = '\r'; break;
    case 't': s[k++] = '\t'; break;
    case 'u': {
      unsigned u, lo;
      if ((rc = json_hex4(jp, &u))) break;
      if (u >= 0xdc00 && u <= 0xdfff) {
        rc = json_fail(jp, esc, "bad \\u escape: a low surrogate \\u%04x without a high one", u);
        break;
      }
      if (u >= 0xd800 && u <= 0xdbff) { /* a pair: \uD83D\uDE00 */
        if (jp->end - jp->p < 2 || jp->p[0] != '\\' || jp->p[1] != 'u') {
          rc = json_fail(jp, esc, "bad \\u escape: high surrogate \\u%04x not followed by a low "
                                  "one", u);
          break;
        }
        jp->p += 2;
        if ((rc = json_hex4(jp, &lo))) break;
        if (lo < 0xdc00 || lo > 0xdfff) {
          rc = json_fail(jp, esc, "bad \\u escape: \\u%04x\\u%04x is not a surrogate pair", u, lo);
          break;
        }
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
      }
      if (u == 0) {
        rc = json_fail(jp, esc, "\\u0000 in a string (NUL characters are not allowed)");
        break;
      }
      utf8_put(s, &k, u);
      break;
    }
    default: {
      char f[16];
      rc = json_fail(jp, esc, "bad escape \\%s in a string: expected one of \\\" \\\\ \\/ \\b \\f "
                              "\\n \\r \\t \\uXXXX",
                     e ? (snprintf(f, sizeof f, "%c", e), f) : "(end of file)");
    }
    }
    if (rc) break;
  }
  if (rc) {
    free(s);
    return rc;
  }
  s[k] = '\0';
  *out = s;
  return KL_OK;
}

/* A number with JSON's grammar -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, finite. */
static int json_parse_number(json_parser *jp, double *x) {
  const char *start = jp->p, *q = jp->p;
  char f[16];
  if (q < jp->end && *q == '-') q++;
  if (q < jp->end && *q == '0') {
    q++;
  } else if (q < jp->end && *q >= '1' && *q <= '9') {
    while (q < jp->end && isdigit((unsigned char)*q)) q++;
  } else {
    return json_fail(jp, q, "expected a digit, found %s", json_found(jp, q, f, sizeof f));
  }
  if (q < jp->end && *q == '.') {
    if (++q >= jp->end || !isdigit((unsigned char)*q))
      return json_fail(jp, q, "expected a digit after the decimal point, found %s",
                       json_found(jp, q, f, sizeof f));
    while (q < jp->end && isdigit((unsigned char)*q)) q++;
  }
  if (q < jp->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < jp->end && (*q == '+' || *q == '-')) q++;
    if (q >= jp->end || !isdigit((unsigned char)*q))
      return json_fail(jp, q, "expected a digit in the exponent, found %s",
                       json_found(jp, q, f, sizeof f));
    while (q < jp->end && isdigit((unsigned char)*q)) q++;
  }
  char buf[512];
  size_t n = (size_t)(q - start);
  if (n >= sizeof buf) return json_fail(jp, start, "number longer than %zu characters", sizeof buf - 1);
  memcpy(buf, start, n);
  buf[n] = '\0';
  *x = strtod(buf, NULL);
  if (!isfinite(*x)) return json_fail(jp, start, "number %s is not a finite double", buf);
  jp->p = q;
  return KL_OK;
}

static int json_parse_value(json_parser *jp, kl_json *v, int depth);

static int json_grow(json_parser *jp, kl_json *v, size_t *cap, bool with_keys) {
  if (v->n < *cap) return KL_OK;
  size_t c = *cap ? 2 * *cap : 8;
  kl_json *items = realloc(v->items, c * sizeof *items);
  if (items) v->items = items;
  char **keys = with_keys ? realloc(v->keys, c * sizeof *keys) : NULL;
  if (keys) v->keys = keys;
  if (!items || (with_keys && !keys))
    return kl_error_set(jp->err, KL_ENOMEM, "%s: out of memory for %zu JSON values", jp->file, c);
  *cap = c;
  return KL_OK;
}

static int json_parse_value(json_parser *jp, kl_json *v, int depth) {
  char f[16];
  json_skip_ws(jp);
  memset(v, 0, sizeof *v);
  json_where(jp, jp->p, &v->line, &v->col);
  if (jp->p >= jp->end) return json_fail(jp, jp->p, "expected a value, found end of file");
  char c = *jp->p;
  if (c == '{' || c == '[') {
    if (depth >= KL_JSON_MAX_DEPTH)
      return json_fail(jp, jp->p, "nested deeper than %d levels", KL_JSON_MAX_DEPTH);
    bool object = c == '{';
    char close = object ? '}' : ']';
    v->type = object ? KL_JSON_OBJECT : KL_JSON_ARRAY;
    size_t cap = 0;
    jp->p++;
    json_skip_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
      jp->p++;
      return KL_OK;
    }
    for (;;) {
      int rc = json_grow(jp, v, &cap, object);
      if (rc) return rc;
      if (object) {
        json_skip_ws(jp);
        if (jp->p >= jp->end || *jp->p != '"')
          return json_fail(jp, jp->p, "expected a member name in double quotes, found %s",
                           json_found(jp, jp->p, f, sizeof f));
        const char *key_at = jp->p;
        char *key = NULL;
        if ((rc = json_parse_string(jp, &key))) return rc;
        for (size_t i = 0; i < v->n; i++)
          if (!strcmp(v->keys[i], key)) {
            unsigned l = v->items[i].line, cc = v->items[i].col;
            rc = json_fail(jp, key_at, "duplicate member \"%s\" (first value at %u:%u)", key, l, cc);
            free(key);
            return rc;
          }
        v->keys[v->n] = key;
        json_skip_ws(jp);
        if (jp->p >= jp->end || *jp->p != ':') {
          memset(&v->items[v->n], 0, sizeof v->items[v->n]); /* a null for kl_json_free */
          v->n++;
          return json_fail(jp, jp->p, "expected ':' after member \"%s\", found %s", key,
                           json_found(jp, jp->p, f, sizeof f));
        }
        jp->p++;
      }
      rc = json_parse_value(jp, &v->items[v->n], depth + 1);
      v->n++; /* freed by the caller even when incomplete */
      if (rc) return rc;
      json_skip_ws(jp);
      if (jp->p < jp->end && *jp->p == ',') {
        jp->p++;
        json_skip_ws(jp);
        if (jp->p < jp->end && *jp->p == close)
          return json_fail(jp, jp->p, "trailing comma before '%c'", close);
        continue;
      }
      if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        return KL_OK;
      }
      return json_fail(jp, jp->p, "expected ',' or '%c', found %s", close,
                       json_found(jp, jp->p, f, sizeof f));
    }
  }
  if (c == '"') {
    v->type = KL_JSON_STRING;
    return json_parse_string(jp, &v->string);
  }
  if (c == '-' || isdigit((unsigned char)c)) {
    v->type = KL_JSON_NUMBER;
    return json_parse_number(jp, &v->number);
  }
  static const struct { const char *word; kl_json_type type; bool b; } words[] = {
      {"null", KL_JSON_NULL, false}, {"true", KL_JSON_BOOL, true}, {"false", KL_JSON_BOOL, false}};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
    size_t n = strlen(words[i].word);
    if ((size_t)(jp->end - jp->p) >= n && !memcmp(jp->p, words[i].word, n) &&
        (jp->p + n == jp->end || !isalnum((unsigned char)jp->p[n]))) {
      v->type = words[i].type;
      v->boolean = words[i].b;
      jp->p += n;
      return KL_OK;
    }
  }
  return json_fail(jp, jp->p, "expected a JSON value (object, array, string, number, true, false "
                              "or null), found %s%s",
                   json_found(jp, jp->p, f, sizeof f),
                   isalpha((unsigned char)c) ? " (NaN and Infinity are not JSON: write null)" : "");
}

static void json_free_value(kl_json *v) {
  free(v->string);
  for (size_t i = 0; i < v->n; i++) {
    if (v->keys) free(v->keys[i]);
    json_free_value(&v->items[i]);
  }
  free(v->keys);
  free(v->items);
}

void kl_json_free(kl_json *v) {
  if (!v) return;
  json_free_value(v);
  free(v);
}

int kl_json_parse(const char *text, size_t len, const char *file, kl_json **out, kl_error *err) {
  *out = NULL;
  json_parser jp = {text, text, text + len, file ? file : "<json>", err, 1, text};
  const char *nul = memchr(text, '\0', len);
  if (nul) {
    for (const char *q = text; q < nul; q++)
      if (*q == '\n') jp.line++, jp.line_start = q + 1;
    return json_fail(&jp, nul, "NUL byte (not a text file)");
  }
  kl_json *v = calloc(1, sizeof *v);
  if (!v) return kl_error_set(err, KL_ENOMEM, "%s: out of memory", jp.file);
  int rc = json_parse_value(&jp, v, 0);
  if (!rc) {
    json_skip_ws(&jp);
    char f[16];
    if (jp.p < jp.end)
      rc = json_fail(&jp, jp.p, "expected the end of the file after the JSON value, found %s",
                     json_found(&jp, jp.p, f, sizeof f));
  }
  if (rc) {
    kl_json_free(v);
    return rc;
  }
  *out = v;
  return KL_OK;
}

const kl_json *kl_json_get(const kl_json *object, const char *key) {
  if (!object || object->type != KL_JSON_OBJECT) return NULL;
  for (size_t i = 0; i < object->n; i++)
    if (!strcmp(object->keys[i], key)) return &object->items[i];
  return NULL;
}

/* --------------------------------------------------- summary.json */
/* The members run/summary.c writes and their types.  Unknown members are allowed (a
 * later kinlab may add some); known ones must have their type. */
enum member_type { M_STRING, M_COUNT, M_NUMBER_OR_NULL, M_STRINGS, M_NUMBERS };
static const struct summary_member {
  const char *name;
  enum member_type type;
  bool required; /* the ones compare reads */
} summary_members[] = {
    {"status", M_STRING, true},          {"message", M_STRING, true},
    {"steps", M_COUNT, true},            {"rejected", M_COUNT, true},
    {"rhs_evals", M_COUNT, true},        {"state_size", M_COUNT, true},
    {"wall_s", M_NUMBER_OR_NULL, true},  {"kinlab_version", M_STRING, false},
    {"experiment", M_STRING, false},     {"variant", M_STRING, false},
    {"model", M_STRING, false},          {"integrator", M_STRING, false},
    {"t_start", M_NUMBER_OR_NULL, false}, {"t", M_NUMBER_OR_NULL, false},
    {"t_final", M_NUMBER_OR_NULL, false}, {"outputs", M_COUNT, false},
    {"invariants", M_STRINGS, false},    {"final", M_NUMBERS, false},
};

static const char *const member_expect[] = {
    [M_STRING] = "a string",
    [M_COUNT] = "a non-negative integer",
    [M_NUMBER_OR_NULL] = "a number or null",
    [M_STRINGS] = "a list of strings",
    [M_NUMBERS] = "an object of numbers (or null)",
};

static const char *json_type_name(const kl_json *v) {
  static const char *const names[] = {"null", "a boolean", "a number", "a string", "a list",
                                      "an object"};
  return names[v->type];
}

static bool is_count(const kl_json *v) {
  return v->type == KL_JSON_NUMBER && v->number >= 0 && v->number <= 0x1p53 &&
         v->number == floor(v->number);
}

static bool member_ok(const kl_json *v, enum member_type t) {
  switch (t) {
  case M_STRING: return v->type == KL_JSON_STRING;
  case M_COUNT: return is_count(v);
  case M_NUMBER_OR_NULL: return v->type == KL_JSON_NUMBER || v->type == KL_JSON_NULL;
  case M_STRINGS:
    if (v->type != KL_JSON_ARRAY) return false;
    for (size_t i = 0; i < v->n; i++)
      if (v->items[i].type != KL_JSON_STRING) return false;
    return true;
  case M_NUMBERS:
    if (v->type != KL_JSON_OBJECT) return false;
    for (size_t i = 0; i < v->n; i++)
      if (v->items[i].type != KL_JSON_NUMBER && v->items[i].type != KL_JSON_NULL) return false;
    return true;
  }
  return false;
}

static double member_number(const kl_json *doc, const char *name) {
  const kl_json *m = kl_json_get(doc, name);
  return m && m->type == KL_JSON_NUMBER ? m->number : NAN;
}

static bool known_status(const char *s) {
  if (!strcmp(s, "completed")) return true;
  for (int code = KL_EINVAL; code <= KL_EINTERNAL; code++)
    if (!strcmp(s, kl_status_name(code))) return true;
  return false;
}

/* Read and check summary.json: JSON syntax, the members' types, a known status
 * and t_start <= t <= t_final.  Sets have_summary, status, message, the
 * counters, invariants and (for the checks against timeseries.csv) outputs and t. */
static int read_summary(variant *v, const char *path, kl_error *err) {
  char *text = NULL;
  size_t len = 0;
  kl_json *doc = NULL;
  int rc = read_file(path, RUN_TEXT_MAX, &text, &len, err);
  if (!rc) rc = kl_json_parse(text, len, path, &doc, err);
  free(text);
  if (rc) return rc;
  if (doc->type != KL_JSON_OBJECT)
    rc = kl_error_set(err, KL_EINVAL, "%s:%u:%u: expected a JSON object {...}, found %s", path,
                      doc->line, doc->col, json_type_name(doc));
  for (size_t i = 0; !rc && i < sizeof summary_members / sizeof *summary_members; i++) {
    const struct summary_member *m = &summary_members[i];
    const kl_json *val = kl_json_get(doc, m->name);
    if (!val && m->required)
      rc = kl_error_set(err, KL_EINVAL, "%s: no member \"%s\" (expected %s)", path, m->name,
                        member_expect[m->type]);
    else if (val && !member_ok(val, m->type)) {
      char found[64];
      if (val->type == KL_JSON_NUMBER) snprintf(found, sizeof found, "%.17g", val->number);
      else snprintf(found, sizeof found, "%s", json_type_name(val));
      rc = kl_error_set(err, KL_EINVAL, "%s:%u:%u: member \"%s\": expected %s, found %s", path,
                        val->line, val->col, m->name, member_expect[m->type], found);
    }
  }
  if (!rc) {
    const kl_json *st = kl_json_get(doc, "status");
    if (!known_status(st->string))
      rc = kl_error_set(err, KL_EINVAL,
                        "%s:%u:%u: member \"status\": expected \"completed\" or a kinlab failure "
                        "(\"numerical failure\", \"limit reached\", ...), found \"%s\"",
                        path, st->line, st->col, st->string);
  }
  double t0 = member_number(doc, "t_start"), t = member_number(doc, "t"),
         t1 = member_number(doc, "t_final");
  if (!rc && !isnan(t) && ((!isnan(t0) && t < t0) || (!isnan(t1) && t > t1))) {
    const kl_json *m = kl_json_get(doc, "t");
    rc = kl_error_set(err, KL_EINVAL,
                      "%s:%u:%u: member \"t\" = %.17g is outside [t_start, t_final] = [%.17g, "
                      "%.17g]",
                      path, m->line, m->col, t, t0, t1);
  }
  if (!rc) {
    v->have_summary = true;
    v->status = strdup(kl_json_get(doc, "status")->string);
    v->message = strdup(kl_json_get(doc, "message")->string);
    v->steps = member_number(doc, "steps");
    v->rejected = member_number(doc, "rejected");
    v->rhs_evals = member_number(doc, "rhs_evals");
    v->wall_s = member_number(doc, "wall_s");
    v->state_size = member_number(doc, "state_size");
    v->summary_outputs = member_number(doc, "outputs");
    v->summary_t = t;
    const kl_json *var = kl_json_get(doc, "variant");
    v->summary_variant = strdup(var ? var->string : "");
    const kl_json *fin = kl_json_get(doc, "final");
    if (fin && fin->n && !(v->final_vals = calloc(fin->n, sizeof *v->final_vals))) rc = nomem(err);
    for (size_t i = 0; !rc && fin && i < fin->n; i++) {
      /* null is how summary.json writes NaN */
      v->final_vals[i] = fin->items[i].type == KL_JSON_NUMBER ? fin->items[i].number : NAN;
      if (sv_push(&v->final_names, fin->keys[i])) rc = nomem(err);
    }
    if (!rc && !v->summary_variant) rc = nomem(err);
    const kl_json *inv = kl_json_get(doc, "invariants");
    for (size_t i = 0; !rc && inv && i < inv->n; i++)
      if (sv_push(&v->inv_names, inv->items[i].string)) rc = nomem(err);
    if (!rc && (!v->status || !v->message)) rc = nomem(err);
  }
  kl_json_free(doc);
  return rc;
}

/* The last non-empty line of run.log: why a variant without summary failed. */
static char *last_log_line(const char *dir) {
  char p[PATH_MAX];
  if (!kl_pathf(p, sizeof p, "%s/run.log", dir)) return NULL;
  char *text = NULL;
  size_t n = 0;
  kl_error ignored;
  if (read_file(p, RUN_TEXT_MAX, &text, &n, &ignored)) return NULL;
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
  return KL_OK;
}

/* --------------------------------------------------- timeseries.csv */
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
  case 0: return first || x > prev ? NULL : "a time after the previous row's (times must increase)";
  case 2: return x > 0 ? NULL : "a positive step size";
  case 6: return x >= 0 ? NULL : "a non-negative wall time";
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
  static const char base_list[] = "t,step,dt,accepted,rejected,rhs_evals,wall_s";
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
    if (k < sizeof base_columns / sizeof *base_columns && strcmp(s, base_columns[k])) {
      rc = kl_error_set(err, KL_EINVAL, "%s:1:%zu: column %zu: expected '%s' (the header starts "
                                        "with %s), found '%.64s'",
                        p, col, k + 1, base_columns[k], base_list, s);
      goto done;
    }
    if (!*s || strpbrk(s, " \t\"") || sv_find(&v->cols, s) >= 0) {
      rc = kl_error_set(err, KL_EINVAL, "%s:1:%zu: column %zu: expected a new column name without "
                                        "spaces or quotes, found '%.64s'%s",
                        p, col, k + 1, s, *s && sv_find(&v->cols, s) >= 0 ? " a second time" : "");
      goto done;
    }
    if (sv_push(&v->cols, s)) {
      rc = nomem(err);
      goto done;
    }
    if (!comma) break;
  }
  const size_t nc = v->cols.n, n_base = sizeof base_columns / sizeof *base_columns;
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
  if (!rc && flatten(tree, "", v)) rc = nomem(err);
  kl_node_free(tree);
  return rc;
}

/* Everything compare reads of a variant, checked (docs/comparisons.md, "What
 * is checked"): a file that cannot be read is KL_EIO, one whose content is
 * malformed or contradicts another file is KL_EINVAL, both naming the file
 * (and line and column). */
static int read_variant(variant *v, kl_error *err) {
  char p[PATH_MAX];
  bool present;
  v->steps = v->rejected = v->rhs_evals = v->wall_s = v->state_size = NAN;
  v->summary_outputs = v->summary_t = NAN;
  int rc = run_file(v, "config.resolved.yaml", p, sizeof p, &present, err);
  if (!rc && present) rc = read_config(v, p, err);
  if (!rc) rc = run_file(v, "summary.json", p, sizeof p, &present, err);
  if (!rc && present) rc = read_summary(v, p, err);
  if (rc) return rc;
  if (!v->status) v->status = strdup("failed");
  if (!v->message || !*v->message) {
    free(v->message);
    v->message = v->have_summary ? strdup("") : last_log_line(v->dir);
    if (!v->message)
      v->message = strdup(v->have_summary ? "" : "no summary.json (the run did not finish)");
  }
  if (!v->status || !v->message) return nomem(err);
  v->ok = !strcmp(v->status, "completed");
  if ((rc = read_snapshot_sizes(v, err))) return rc;
  if ((rc = run_file(v, "timeseries.csv", p, sizeof p, &present, err))) return rc;
  if (present && (rc = read_timeseries(v, p, err))) return rc;
  /* A completed run wrote every output row and its summary after them. */
  if (v->ok && !v->rows)
    return kl_error_set(err, KL_EINVAL, "%s/summary.json says the run completed, but %s/"
                                        "timeseries.csv %s",
                        v->dir, v->dir, present ? "has no data rows" : "does not exist");
  if (v->ok && !isnan(v->summary_outputs) && v->summary_outputs != (double)v->rows)
    return kl_error_set(err, KL_EINVAL, "%s: %zu data rows, but summary.json records outputs = "
                                        "%.0f (files of different runs?)",
                        p, v->rows, v->summary_outputs);
  if (v->ok && !isnan(v->summary_t) && v->summary_t != v->last[0])
    return kl_error_set(err, KL_EINVAL, "%s: the last row is at t = %.17g, but summary.json "
                                        "records t = %.17g (files of different runs?)",
                        p, v->last[0], v->summary_t);
  /* summary.json's "final" is the last row, written with the same %.17g: any
   * difference means the two files come from different runs (a time series
   * copied from another variant with the same t_final). */
  for (size_t i = 0; v->ok && i < v->final_names.n; i++) {
    ssize_t c = sv_find(&v->cols, v->final_names.s[i]);
    if (c < 0 || !strcmp(v->final_names.s[i], "wall_s")) continue; /* timing, not a result */
    double a = v->last[c], b = v->final_vals[i]; /* b NaN: null, any non-finite value */
    if (!(a == b || (!isfinite(a) && isnan(b))))
      return kl_error_set(err, KL_EINVAL, "%s: the last row has %s = %.17g, but summary.json "
                                          "records %.17g (files of different runs?)",
                          p, v->final_names.s[i], a, b);
  }
  if (v->summary_variant && *v->summary_variant && strcmp(v->summary_variant, v->name))
    return kl_error_set(err, KL_EINVAL, "%s/summary.json is of variant '%s', found in the "
                                        "directory of variant '%s' (copied from another?)",
                        v->dir, v->summary_variant, v->name);
  return KL_OK;
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

static int find_resolution_keys(cmp *c, const char *by_key, int by_rule, bool *bad_by,
                                kl_error *err) {
  strvec cand = {0, 0, NULL};
  int rc = KL_OK;
  if (by_key) {
    *bad_by = true;
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
    /* An explicit key must give a size in every variant that has a configuration. */
    for (size_t i = 0; i < c->nv; i++) {
      const char *val = config_value(&c->v[i], by_key);
      if (c->v[i].keys.n && !(numeric(val) > 0))
        return kl_error_set(err, KL_EINVAL,
                            "--by %s: variant '%s' has %s = %s in %s/config.resolved.yaml; "
                            "expected a positive number in every variant",
                            by_key, c->v[i].name, by_key, val ? val : "(nothing)", c->v[i].dir);
    }
    *bad_by = false;
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
    sv_free(&v->final_names);
    free(v->final_vals);
    free(v->summary_variant);
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

int kl_compare_run_dir_by(const char *run_dir, const char *key, const char *rule, bool *bad_by,
                          kl_error *err) {
  bool unused;
  if (!bad_by) bad_by = &unused;
  *bad_by = false;
  if (!run_dir) return kl_error_set(err, KL_EINVAL, "no run directory given");
  int by_rule = RULE_NONE;
  if (rule && *rule) {
    if (!strcmp(rule, "step")) by_rule = RULE_STEP;
    else if (!strcmp(rule, "count")) by_rule = RULE_COUNT;
    else {
      *bad_by = true;
      return kl_error_set(err, KL_EINVAL,
                          "resolution rule '%s': expected 'step' (size = value) or 'count' "
                          "(size = 1/value)",
                          rule);
    }
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
  if (!rc) rc = find_resolution_keys(&c, key && *key ? key : NULL, by_rule, bad_by, err);
  if (!rc) rc = display_order(&c, err);
  if (!rc) rc = write_outputs(&c, err);
  cmp_free(&c);
  return rc;
}

int kl_compare_run_dir(const char *run_dir, kl_error *err) {
  return kl_compare_run_dir_by(run_dir, NULL, NULL, NULL, err);
}
