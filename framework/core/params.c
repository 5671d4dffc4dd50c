/* params.c - validation of YAML mappings against kl_param_spec tables, and the
 * kl_params getters plugins read their values through.
 *
 * Plain scalars are typed as in the YAML 1.2 core schema (null, bool, int,
 * float); quoted scalars are strings.  Every error names FILE:LINE:COL, the
 * dotted key path, what was expected and what was found.  A kl_params owns
 * copies of everything it needs (values, source positions), so the YAML tree
 * may be freed once the parameters are built.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct pval {
  bool present;   /* a value (given or default) */
  bool is_set;    /* given in the YAML / --set   */
  char *file;     /* where the value is (the mapping for defaults) */
  unsigned line, col;
  double real;
  long integer;
  bool boolean;
  char *string;
  double *list;
  size_t list_n;
  const kl_plugin_info *child_info;
  kl_params *child;
  kl_instance *inst;
} pval;

struct kl_params {
  const kl_param_spec *specs;
  size_t n;
  pval *v;
  char *path;     /* dotted path of the mapping ("" for the top level) */
  char *file;     /* where the mapping is */
  unsigned line, col;
};

/* ------------------------------------------------------------ helpers */
static char *join_path(const char *path, const char *name) {
  size_t a = path ? strlen(path) : 0, b = strlen(name);
  char *s = malloc(a + b + 2);
  if (!s) return NULL;
  if (a) {
    memcpy(s, path, a);
    s[a] = '.';
    memcpy(s + a + 1, name, b + 1);
  } else {
    memcpy(s, name, b + 1);
  }
  return s;
}

/* "FILE:LINE:COL: key PATH: message" */
static int loc_error(kl_error *err, int code, const char *file, unsigned line, unsigned col,
                     const char *path, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int loc_error(kl_error *err, int code, const char *file, unsigned line, unsigned col,
                     const char *path, const char *fmt, ...) {
  char msg[KL_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (path && *path)
    return kl_error_set(err, code, "%s:%u:%u: key %s: %s", file, line, col, path, msg);
  return kl_error_set(err, code, "%s:%u:%u: %s", file, line, col, msg);
}

#define NODE_LOC(n) ((n) ? (n)->file : "<unknown>"), ((n) ? (n)->line : 0), ((n) ? (n)->col : 0)

static bool is_null(const kl_node *n) {
  if (!n) return true;
  if (n->type != KL_NODE_SCALAR || !n->plain) return false;
  const char *s = n->scalar ? n->scalar : "";
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* What a node is, for "found ..." (buf of at least 64 bytes). */
static const char *found_text(const kl_node *n, char *buf, size_t size) {
  if (!n) return "nothing";
  if (n->type == KL_NODE_MAP) return "a mapping";
  if (n->type == KL_NODE_SEQ) return "a list";
  if (is_null(n)) return "an empty value";
  const char *s = n->scalar;
  int len = (int)strlen(s);
  const char *ell = "";
  if (len > 200) len = 200, ell = "...";
  if (n->plain)
    snprintf(buf, size, "%.*s%s", len, s, ell);
  else
    snprintf(buf, size, "the string \"%.*s%s\"", len, s, ell);
  return buf;
}

/* " (did you mean 'x'?)" or "" */
static const char *suggest(const char *word, const char *const *cand, size_t n, char *buf,
                           size_t size, bool quote) {
  const char *m = kl_did_you_mean(word, cand, n);
  if (!m) return "";
  snprintf(buf, size, quote ? " (did you mean '%s'?)" : " (did you mean %s?)", m);
  return buf;
}

/* ------------------------------------------------------ descriptions */
/* "> 0", ">= 1", "in (0, 1]" or "" */
static const char *range_text(const kl_param_spec *s, char *buf, size_t size) {
  char lo[40], hi[40];
  bool has_min = s->flags & KL_PARAM_HAS_MIN, has_max = s->flags & KL_PARAM_HAS_MAX;
  kl_fmt_real(s->min, lo, sizeof lo);
  kl_fmt_real(s->max, hi, sizeof hi);
  if (has_min && has_max)
    snprintf(buf, size, "in %c%s, %s%c", (s->flags & KL_PARAM_MIN_EXCLUSIVE) ? '(' : '[', lo, hi,
             (s->flags & KL_PARAM_MAX_EXCLUSIVE) ? ')' : ']');
  else if (has_min)
    snprintf(buf, size, "%s %s", (s->flags & KL_PARAM_MIN_EXCLUSIVE) ? ">" : ">=", lo);
  else if (has_max)
    snprintf(buf, size, "%s %s", (s->flags & KL_PARAM_MAX_EXCLUSIVE) ? "<" : "<=", hi);
  else
    buf[0] = '\0';
  return buf;
}

const char *kl_param_type_name(kl_param_type t) {
  switch (t) {
  case KL_PARAM_REAL: return "REAL";
  case KL_PARAM_INT: return "INT";
  case KL_PARAM_BOOL: return "BOOL";
  case KL_PARAM_STRING: return "STRING";
  case KL_PARAM_ENUM: return "ENUM";
  case KL_PARAM_REAL_LIST: return "REAL_LIST";
  case KL_PARAM_PLUGIN: return "PLUGIN";
  }
  return "?";
}

/* "INT >= 1", "one of a|b", "a kernel plugin", "REAL_LIST (each >= 0)" */
const char *kl_param_expect_text(const kl_param_spec *s, char *buf, size_t size) {
  char r[100];
  range_text(s, r, sizeof r);
  switch (s->type) {
  case KL_PARAM_ENUM: snprintf(buf, size, "one of %s", s->choices ? s->choices : ""); break;
  case KL_PARAM_PLUGIN:
    snprintf(buf, size, "%s %s plugin", kl_article(s->choices), s->choices ? s->choices : "?");
    break;
  case KL_PARAM_REAL_LIST:
    if (*r)
      snprintf(buf, size, "REAL_LIST (each %s)", r);
    else
      snprintf(buf, size, "REAL_LIST");
    break;
  default:
    if (*r)
      snprintf(buf, size, "%s %s", kl_param_type_name(s->type), r);
    else
      snprintf(buf, size, "%s", kl_param_type_name(s->type));
  }
  return buf;
}

/* --------------------------------------------------- scalar typing */
static bool plain_is_bool(const char *s, bool *v) {
  if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return *v = true, true;
  if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return *v = false, true;
  return false;
}

/* Core-schema integer: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+.  Returns 1 for
 * an integer that fits a long, -1 for one that overflows, 0 for no integer. */
static int plain_int(const char *s, long *v) {
  int base = 10;
  const char *digits = s;
  bool neg = false;
  if (s[0] == '0' && s[1] == 'o') base = 8, digits = s + 2;
  else if (s[0] == '0' && s[1] == 'x') base = 16, digits = s + 2;
  else if (*s == '+' || *s == '-') neg = *s == '-', digits = s + 1;
  if (!*digits) return 0;
  for (const char *p = digits; *p; p++)
    if (base == 10 ? !isdigit((unsigned char)*p)
                   : base == 8 ? (*p < '0' || *p > '7') : !isxdigit((unsigned char)*p))
      return 0;
  errno = 0;
  unsigned long long u = strtoull(digits, NULL, base);
  if (errno == ERANGE) return -1;
  if (neg) {
    if (u > (unsigned long long)LONG_MAX + 1ull) return -1;
    *v = u == (unsigned long long)LONG_MAX + 1ull ? LONG_MIN : -(long)u;
  } else {
    if (u > (unsigned long long)LONG_MAX) return -1;
    *v = (long)u;
  }
  return 1;
}

/* "010": 10 in YAML 1.2 (what kinlab reads) but 8 in YAML 1.1 (PyYAML and
 * other readers of the same file): refused as ambiguous. */
static bool plain_is_leading_zero_int(const char *s) {
  const char *p = (*s == '+' || *s == '-') ? s + 1 : s;
  if (p[0] != '0' || !p[1]) return false;
  for (const char *q = p; *q; q++)
    if (!isdigit((unsigned char)*q)) return false;
  return true;
}

static bool plain_is_nonfinite(const char *s) {
  const char *p = (*s == '+' || *s == '-') ? s + 1 : s;
  if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) return true;
  return !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
}

/* ------------------------------------------------------ value parsing */
typedef struct vctx {
  const char *path;         /* dotted path of the value */
  const kl_registry *reg;
  kl_error *err;
} vctx;

static int bad_value(const vctx *c, const kl_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad_value(const vctx *c, const kl_node *n, const char *fmt, ...) {
  char msg[KL_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return loc_error(c->err, KL_EINVAL, NODE_LOC(n), c->path, "%s", msg);
}

static int leading_zero_error(const vctx *c, const kl_node *n, const char *expected) {
  return bad_value(c, n,
                   "expected %s, found %s: a leading zero reads as octal in YAML 1.1 and "
                   "as decimal in YAML 1.2; write it without the zero (or 0o... for octal)",
                   expected, n->scalar);
}

static bool in_range(const kl_param_spec *s, double x) {
  if (s->flags & KL_PARAM_HAS_MIN) {
    if ((s->flags & KL_PARAM_MIN_EXCLUSIVE) ? !(x > s->min) : !(x >= s->min)) return false;
  }
  if (s->flags & KL_PARAM_HAS_MAX) {
    if ((s->flags & KL_PARAM_MAX_EXCLUSIVE) ? !(x < s->max) : !(x <= s->max)) return false;
  }
  return true;
}

static int check_range(const vctx *c, const kl_param_spec *s, const kl_node *n, double x) {
  if (in_range(s, x)) return KL_OK;
  char r[100], f[300];
  return bad_value(c, n, "expected a value %s, found %s", range_text(s, r, sizeof r),
                   found_text(n, f, sizeof f));
}

static int parse_real(const vctx *c, const kl_param_spec *s, const kl_node *n, double *out) {
  char f[300];
  if (n->type != KL_NODE_SCALAR || !n->plain || is_null(n))
    return bad_value(c, n, "expected a number, found %s", found_text(n, f, sizeof f));
  const char *t = n->scalar;
  if (plain_is_leading_zero_int(t)) return leading_zero_error(c, n, "a number");
  long iv;
  int ik = plain_int(t, &iv);
  double x;
  if (ik == 1) {
    x = (double)iv;
  } else if (plain_is_nonfinite(t)) {
    return bad_value(c, n, "expected a finite number, found %s", t);
  } else if (ik == -1 || kl_yaml_float_syntax(t)) {
    if (ik == -1 && (t[1] == 'x' || t[1] == 'o'))
      return bad_value(c, n, "expected a number, found %s (out of range)", t);
    x = strtod(t, NULL);
    if (!isfinite(x))
      return bad_value(c, n, "expected a finite number, found %s (beyond the range of a double)",
                       t);
  } else {
    bool b;
    if (plain_is_bool(t, &b))
      return bad_value(c, n, "expected a number, found the boolean %s", t);
    return bad_value(c, n, "expected a number, found %s", found_text(n, f, sizeof f));
  }
  *out = x;
  return s ? check_range(c, s, n, x) : KL_OK;
}

static int parse_int(const vctx *c, const kl_param_spec *s, const kl_node *n, long *out) {
  char f[300];
  if (n->type != KL_NODE_SCALAR || !n->plain || is_null(n))
    return bad_value(c, n, "expected an integer, found %s", found_text(n, f, sizeof f));
  if (n->float_tag)
    return bad_value(c, n, "expected an integer, found !!float %s", n->scalar);
  if (plain_is_leading_zero_int(n->scalar)) return leading_zero_error(c, n, "an integer");
  long v;
  int k = plain_int(n->scalar, &v);
  if (k == -1)
    return bad_value(c, n, "expected an integer, found %s (out of range)", n->scalar);
  if (k == 0) return bad_value(c, n, "expected an integer, found %s", found_text(n, f, sizeof f));
  *out = v;
  return check_range(c, s, n, (double)v);
}

static int parse_bool(const vctx *c, const kl_node *n, bool *out) {
  char f[300];
  if (n->type == KL_NODE_SCALAR && n->plain && plain_is_bool(n->scalar, out)) return KL_OK;
  return bad_value(c, n, "expected true or false, found %s", found_text(n, f, sizeof f));
}

static int parse_enum(const vctx *c, const kl_param_spec *s, const kl_node *n, char **out) {
  char f[300];
  const char *choices = s->choices ? s->choices : "";
  if (n->type != KL_NODE_SCALAR || is_null(n))
    return bad_value(c, n, "expected one of %s, found %s", choices, found_text(n, f, sizeof f));
  /* Split "a|b|c". */
  const char *cand[64];
  char names[64][64];
  size_t nc = 0;
  for (const char *p = choices; *p && nc < 64;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == strlen(n->scalar) && !strncmp(p, n->scalar, len)) {
      *out = strdup(n->scalar);
      return *out ? KL_OK : kl_error_set(c->err, KL_ENOMEM, "out of memory");
    }
    snprintf(names[nc], sizeof names[nc], "%.*s", (int)len, p);
    cand[nc] = names[nc];
    nc++;
    if (!bar) break;
    p = bar + 1;
  }
  char sg[120];
  return bad_value(c, n, "expected one of %s, found %s%s", choices, found_text(n, f, sizeof f),
                   suggest(n->scalar, cand, nc, sg, sizeof sg, false));
}

static int parse_list(const vctx *c, const kl_param_spec *s, const kl_node *n, double **out,
                      size_t *len) {
  if (n->type == KL_NODE_SCALAR) {
    double x;
    int rc = parse_real(c, s, n, &x);
    if (rc) return rc;
    if (!(*out = malloc(sizeof **out))) return kl_error_set(c->err, KL_ENOMEM, "out of memory");
    **out = x;
    *len = 1;
    return KL_OK;
  }
  if (n->type != KL_NODE_SEQ)
    return bad_value(c, n, "expected a number or a list of numbers, found a mapping");
  double *v = malloc((n->n ? n->n : 1) * sizeof *v);
  if (!v) return kl_error_set(c->err, KL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n->n; i++) {
    char idx[24];
    snprintf(idx, sizeof idx, "%zu", i);
    char *ip = join_path(c->path, idx);
    if (!ip) {
      free(v);
      return kl_error_set(c->err, KL_ENOMEM, "out of memory");
    }
    vctx ci = {ip, c->reg, c->err};
    int rc = parse_real(&ci, s, n->items[i], &v[i]);
    free(ip);
    if (rc) {
      free(v);
      return rc;
    }
  }
  *out = v;
  *len = n->n;
  return KL_OK;
}

/* ---------------------------------------------------------- params */
void kl_params_free(kl_params *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].file);
    free(p->v[i].string);
    free(p->v[i].list);
    kl_params_free(p->v[i].child);
  }
  free(p->v);
  free(p->path);
  free(p->file);
  free(p);
}

static void node_restamp(kl_node *n, const char *file, unsigned line, unsigned col) {
  char *f = strdup(file);
  if (f) {
    free(n->file);
    n->file = f;
  }
  n->line = line;
  n->col = col;
  for (size_t i = 0; i < n->n; i++) {
    node_restamp(n->items[i], file, line, col);
    if (n->type == KL_NODE_MAP) n->key_line[i] = line, n->key_col[i] = col;
  }
}

/* The YAML node of a default value, positioned at the owning mapping. */
static int default_node(const kl_param_spec *s, const char *file, unsigned line, unsigned col,
                        kl_node **out, kl_error *err) {
  *out = NULL;
  if (s->type == KL_PARAM_REAL_LIST || s->type == KL_PARAM_PLUGIN) {
    int rc = kl_yaml_parse_string(s->default_value, strlen(s->default_value), "<default>", out,
                                  err);
    if (rc) return kl_error_prefix(err, "plugin bug: default of parameter '%s'", s->name);
    node_restamp(*out, file, line, col);
    return KL_OK;
  }
  kl_node *n = calloc(1, sizeof *n);
  if (!n || !(n->file = strdup(file)) || !(n->scalar = strdup(s->default_value))) {
    kl_node_free(n);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  n->type = KL_NODE_SCALAR;
  n->plain = !(s->type == KL_PARAM_STRING || s->type == KL_PARAM_ENUM);
  n->line = line;
  n->col = col;
  *out = n;
  return KL_OK;
}

static int parse_value(const vctx *c, const kl_param_spec *s, const kl_node *n, pval *v) {
  switch (s->type) {
  case KL_PARAM_REAL: return parse_real(c, s, n, &v->real);
  case KL_PARAM_INT: return parse_int(c, s, n, &v->integer);
  case KL_PARAM_BOOL: return parse_bool(c, n, &v->boolean);
  case KL_PARAM_STRING: {
    char f[300];
    if (n->type != KL_NODE_SCALAR || is_null(n))
      return bad_value(c, n, "expected a string, found %s", found_text(n, f, sizeof f));
    if (!*n->scalar) /* "" is never a useful path or label, and reads as "unset" nowhere */
      return bad_value(c, n, "expected a non-empty string, found \"\"");
    v->string = strdup(n->scalar);
    return v->string ? KL_OK : kl_error_set(c->err, KL_ENOMEM, "out of memory");
  }
  case KL_PARAM_ENUM: return parse_enum(c, s, n, &v->string);
  case KL_PARAM_REAL_LIST: return parse_list(c, s, n, &v->list, &v->list_n);
  case KL_PARAM_PLUGIN: {
    int kind = kl_kind_from_name(s->choices);
    if (!kind)
      return kl_error_set(c->err, KL_EPLUGIN,
                          "plugin bug: parameter %s declares unknown plugin kind '%s'", c->path,
                          s->choices ? s->choices : "(null)");
    return kl_params_build_plugin(kind, n, c->path, c->reg, &v->child_info, &v->child, c->err);
  }
  }
  return kl_error_set(c->err, KL_EPLUGIN, "plugin bug: parameter %s has an unknown type %d",
                      c->path, (int)s->type);
}

int kl_params_build(const kl_param_spec *specs, const kl_node *map, const kl_node *where,
                    const char *path, const char *const *skip_keys, const kl_registry *reg,
                    kl_params **out, kl_error *err) {
  *out = NULL;
  if (!path) path = "";
  if (map && is_null(map)) {
    where = map;
    map = NULL;
  }
  if (map && map->type != KL_NODE_MAP) {
    char f[300];
    return loc_error(err, KL_EINVAL, NODE_LOC(map), path, "expected a mapping of parameters, "
                     "found %s", found_text(map, f, sizeof f));
  }
  const kl_node *loc = map ? map : where;
  const char *file = loc ? loc->file : "<defaults>";
  unsigned line = loc ? loc->line : 1, col = loc ? loc->col : 1;

  size_t ns = 0, nskip = 0;
  while (specs && specs[ns].name) ns++;
  while (skip_keys && skip_keys[nskip]) nskip++;

  /* Unknown keys first: a typo is the likeliest mistake. */
  if (map) {
    for (size_t i = 0; i < map->n; i++) {
      const char *k = map->keys[i];
      bool known = false;
      for (size_t j = 0; j < ns && !known; j++) known = !strcmp(k, specs[j].name);
      for (size_t j = 0; j < nskip && !known; j++) known = !strcmp(k, skip_keys[j]);
      if (known) continue;
      const char **cand = malloc((ns + nskip + 1) * sizeof *cand);
      if (!cand) return kl_error_set(err, KL_ENOMEM, "out of memory");
      size_t nc = 0;
      for (size_t j = 0; j < nskip; j++) cand[nc++] = skip_keys[j];
      for (size_t j = 0; j < ns; j++) cand[nc++] = specs[j].name;
      char allowed[1200] = "", sg[200];
      size_t used = 0;
      for (size_t j = 0; j < nc && used < sizeof allowed; j++)
        used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", j ? ", " : "",
                                 cand[j]);
      const char *s = suggest(k, cand, nc, sg, sizeof sg, true);
      /* A key added by --set has no position in this file: use its value's. */
      const kl_node *val = map->items[i];
      bool foreign = val && val->file && map->file && strcmp(val->file, map->file) != 0;
      const char *kf = foreign ? val->file : map->file;
      unsigned kline = foreign ? val->line : map->key_line[i];
      unsigned kcol = foreign ? val->col : map->key_col[i];
      int rc;
      if (nc)
        rc = kl_error_set(err, KL_EINVAL, "%s:%u:%u: unknown key '%s' in %s%s; allowed keys: %s",
                          kf, kline, kcol, k, *path ? path : "the top level", s, allowed);
      else
        rc = kl_error_set(err, KL_EINVAL, "%s:%u:%u: unknown key '%s' in %s; %s takes no keys",
                          kf, kline, kcol, k, *path ? path : "the top level",
                          *path ? path : "it");
      free(cand);
      return rc;
    }
  }

  kl_params *p = calloc(1, sizeof *p);
  if (!p) return kl_error_set(err, KL_ENOMEM, "out of memory");
  p->specs = specs;
  p->n = ns;
  p->line = line;
  p->col = col;
  if (!(p->path = strdup(path)) || !(p->file = strdup(file)) ||
      (ns && !(p->v = calloc(ns, sizeof *p->v)))) {
    kl_params_free(p);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  int rc = KL_OK;
  for (size_t i = 0; i < ns && !rc; i++) {
    const kl_param_spec *s = &specs[i];
    pval *v = &p->v[i];
    char *vpath = join_path(path, s->name);
    if (!vpath) {
      rc = kl_error_set(err, KL_ENOMEM, "out of memory");
      break;
    }
    vctx c = {vpath, reg, err};
    const kl_node *n = map ? kl_node_map_get(map, s->name) : NULL;
    if (n && !is_null(n)) {
      rc = parse_value(&c, s, n, v);
      if (!rc) {
        v->present = v->is_set = true;
        v->line = n->line;
        v->col = n->col;
        if (!(v->file = strdup(n->file))) rc = kl_error_set(err, KL_ENOMEM, "out of memory");
      }
    } else if (s->default_value) {
      kl_node *dn = NULL;
      rc = default_node(s, file, line, col, &dn, err);
      if (!rc) rc = parse_value(&c, s, dn, v);
      if (rc && rc != KL_ENOMEM && err)
        kl_error_prefix(err, "invalid default '%s' declared by the plugin", s->default_value);
      kl_node_free(dn);
      if (!rc) {
        v->present = true;
        v->line = line;
        v->col = col;
        if (!(v->file = strdup(file))) rc = kl_error_set(err, KL_ENOMEM, "out of memory");
      }
    } else if (!(s->flags & KL_PARAM_OPTIONAL)) {
      char e[300];
      kl_param_expect_text(s, e, sizeof e);
      const kl_node *at = n ? n : loc;
      if (n)
        rc = loc_error(err, KL_EINVAL, NODE_LOC(at), vpath, "expected %s, found an empty value",
                       e);
      else
        rc = loc_error(err, KL_EINVAL, file, line, col, vpath,
                       "required key missing (expected %s%s%s)", e, s->doc ? ": " : "",
                       s->doc ? s->doc : "");
    }
    free(vpath);
  }
  if (rc) {
    kl_params_free(p);
    return rc;
  }
  *out = p;
  return KL_OK;
}

/* "a, b, c" of the registered plugins of kind, sorted; "" if none. */
static void available_list(const char **names, size_t n, char *buf, size_t size) {
  qsort(names, n, sizeof *names, kl_cmp_cstr);
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
}

int kl_params_build_plugin(int kind, const kl_node *node, const char *path,
                           const kl_registry *reg, const kl_plugin_info **info, kl_params **out,
                           kl_error *err) {
  *out = NULL;
  if (info) *info = NULL;
  if (!path) path = "";
  const char *kname = kl_kind_name((kl_kind)kind);
  if (!kname) kname = "plugin";
  size_t total = kl_registry_count(reg);
  const char **names = malloc((total ? total : 1) * sizeof *names);
  if (!names) return kl_error_set(err, KL_ENOMEM, "out of memory");
  size_t nn = kl_registry_names(reg, kind, names, total);
  char avail[1200];
  available_list(names, nn, avail, sizeof avail);
  char avail_sentence[1300];
  if (nn)
    snprintf(avail_sentence, sizeof avail_sentence, "available: %s", avail);
  else
    snprintf(avail_sentence, sizeof avail_sentence,
             "no %s plugins are loaded (see KINLAB_PLUGIN_PATH and plugin_path)", kname);

  int rc = KL_OK;
  const kl_node *type_node = NULL, *map = NULL;
  char *type_path = NULL;
  char f[300];
  if (!node) {
    rc = kl_error_set(err, KL_EINVAL, "key %s: required key missing (expected %s %s plugin; %s)",
                      path, kl_article(kname), kname, avail_sentence);
  } else if (node->type == KL_NODE_SCALAR && !is_null(node)) {
    type_node = node;
    type_path = strdup(path);
  } else if (node->type == KL_NODE_MAP) {
    map = node;
    type_node = kl_node_map_get(node, "type");
    if (!type_node)
      rc = loc_error(err, KL_EINVAL, NODE_LOC(node), path,
                     "required key 'type' missing (expected the name of %s %s plugin; %s)",
                     kl_article(kname), kname, avail_sentence);
    else if (type_node->type != KL_NODE_SCALAR || is_null(type_node)) {
      char *tp = join_path(path, "type");
      rc = loc_error(err, KL_EINVAL, NODE_LOC(type_node), tp ? tp : path,
                     "expected the name of %s %s plugin, found %s", kl_article(kname), kname,
                     found_text(type_node, f, sizeof f));
      free(tp);
    } else {
      type_path = join_path(path, "type");
    }
  } else {
    rc = loc_error(err, KL_EINVAL, NODE_LOC(node), path,
                   "expected %s %s plugin ({type: NAME, ...} or NAME), found %s; %s",
                   kl_article(kname), kname, found_text(node, f, sizeof f), avail_sentence);
  }
  if (!rc && !type_path) rc = kl_error_set(err, KL_ENOMEM, "out of memory");
  const kl_plugin_info *pi = NULL;
  if (!rc) {
    const char *name = type_node->scalar;
    pi = kl_registry_find(reg, name);
    kl_error why = {0, ""};
    if (kl_registry_check_name(reg, name, &why)) { /* ambiguous, or maybe a broken file's */
      rc = loc_error(err, KL_EPLUGIN, NODE_LOC(type_node), type_path, "%s", why.message);
    } else if (!pi) {
      char sg[200], missing[1000];
      bool any_missing = kl_registry_missing_dirs(reg, missing, sizeof missing) > 0;
      rc = loc_error(err, KL_EINVAL, NODE_LOC(type_node), type_path,
                     "unknown %s plugin '%s'%s; %s%s%s", kname, name,
                     suggest(name, names, nn, sg, sizeof sg, true), avail_sentence,
                     any_missing ? "; note: " : "", any_missing ? missing : "");
    } else if ((int)pi->kind != kind) {
      const char *other = kl_kind_name(pi->kind);
      if (!other) other = "unknown-kind";
      rc = loc_error(err, KL_EINVAL, NODE_LOC(type_node), type_path,
                     "expected %s %s plugin, found '%s' (%s %s plugin); %s", kl_article(kname),
                     kname, name, kl_article(other), other, avail_sentence);
    }
  }
  static const char *const skip[] = {"type", NULL};
  if (!rc) rc = kl_params_build(pi->params, map, node, path, skip, reg, out, err);
  if (!rc && info) *info = pi;
  free(type_path);
  free(names);
  return rc;
}

/* ---------------------------------------------------------- getters */
static const pval *lookup(const kl_params *p, const char *name, int type, const char *fn,
                          size_t *index) {
  if (!p || !name) {
    fprintf(stderr, "kinlab: BUG: %s(%s%s%s) called with %s\n", fn, name ? "\"" : "",
            name ? name : "NULL", name ? "\"" : "", p ? "a NULL name" : "NULL parameters");
    return NULL;
  }
  for (size_t i = 0; i < p->n; i++) {
    if (strcmp(p->specs[i].name, name) != 0) continue;
    int t = (int)p->specs[i].type;
    if (type && t != type && !(type == KL_PARAM_STRING && t == KL_PARAM_ENUM)) {
      fprintf(stderr,
              "kinlab: BUG: %s(\"%s\") on %s: the parameter is declared %s, not %s "
              "(returning a null value)\n",
              fn, name, *p->path ? p->path : "the top level", kl_param_type_name(t),
              kl_param_type_name((kl_param_type)type));
      return NULL;
    }
    if (index) *index = i;
    return &p->v[i];
  }
  fprintf(stderr,
          "kinlab: BUG: %s(\"%s\") on %s: no such parameter is declared (returning a null "
          "value)\n",
          fn, name, *p->path ? p->path : "the top level");
  return NULL;
}

double kl_params_real(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, KL_PARAM_REAL, __func__, NULL);
  return v && v->present ? v->real : NAN;
}

long kl_params_int(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, KL_PARAM_INT, __func__, NULL);
  return v && v->present ? v->integer : 0;
}

bool kl_params_bool(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, KL_PARAM_BOOL, __func__, NULL);
  return v && v->present ? v->boolean : false;
}

const char *kl_params_string(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, KL_PARAM_STRING, __func__, NULL);
  return v && v->present ? v->string : NULL;
}

size_t kl_params_real_list(const kl_params *p, const char *name, const double **values) {
  const pval *v = lookup(p, name, KL_PARAM_REAL_LIST, __func__, NULL);
  if (values) *values = v && v->present ? v->list : NULL;
  return v && v->present ? v->list_n : 0;
}

kl_instance *kl_params_plugin(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, KL_PARAM_PLUGIN, __func__, NULL);
  return v ? v->inst : NULL;
}

bool kl_params_is_set(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, 0, __func__, NULL);
  return v && v->is_set;
}

const char *kl_params_path(const kl_params *p) { return p ? p->path : ""; }

const kl_param_spec *kl_params_specs(const kl_params *p) { return p ? p->specs : NULL; }

const kl_plugin_info *kl_params_child_info(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, KL_PARAM_PLUGIN, __func__, NULL);
  return v ? v->child_info : NULL;
}

kl_params *kl_params_child(const kl_params *p, const char *name) {
  const pval *v = lookup(p, name, KL_PARAM_PLUGIN, __func__, NULL);
  return v ? v->child : NULL;
}

void kl_params_attach_instance(kl_params *p, const char *name, kl_instance *inst) {
  size_t i;
  if (lookup(p, name, KL_PARAM_PLUGIN, __func__, &i)) p->v[i].inst = inst;
}

int kl_params_error(kl_error *err, int code, const kl_params *p, const char *name,
                    const char *fmt, ...) {
  char msg[KL_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!p) return kl_error_set(err, code, "key %s: %s", name ? name : "?", msg);
  const char *file = p->file;
  unsigned line = p->line, col = p->col;
  for (size_t i = 0; name && i < p->n; i++)
    if (!strcmp(p->specs[i].name, name)) {
      if (p->v[i].file) file = p->v[i].file, line = p->v[i].line, col = p->v[i].col;
      break;
    }
  char *path = join_path(p->path, name ? name : "?");
  int rc = loc_error(err, code, file, line, col, path ? path : (name ? name : "?"), "%s", msg);
  free(path);
  return rc;
}

/* -------------------------------------------------------- to node */
kl_node *kl_params_to_node(const kl_params *p, const char *plugin_type) {
  if (!p) return NULL;
  const char *file = p->file ? p->file : "<resolved>";
  kl_node *map = kl_node_new(KL_NODE_MAP, file, p->line, p->col);
  if (!map) return NULL;
  if (plugin_type &&
      kl_node_append(map, "type", kl_node_new_scalar(plugin_type, true, file, p->line, p->col)))
    goto fail;
  for (size_t i = 0; i < p->n; i++) {
    const kl_param_spec *s = &p->specs[i];
    const pval *v = &p->v[i];
    if (!v->present) continue;
    char buf[64];
    kl_node *val = NULL;
    const char *vf = v->file ? v->file : file;
    switch (s->type) {
    case KL_PARAM_REAL:
      val = kl_node_new_scalar(kl_fmt_real(v->real, buf, sizeof buf), true, vf, v->line, v->col);
      break;
    case KL_PARAM_INT:
      snprintf(buf, sizeof buf, "%ld", v->integer);
      val = kl_node_new_scalar(buf, true, vf, v->line, v->col);
      break;
    case KL_PARAM_BOOL:
      val = kl_node_new_scalar(v->boolean ? "true" : "false", true, vf, v->line, v->col);
      break;
    case KL_PARAM_STRING:
    case KL_PARAM_ENUM:
      val = kl_node_new_scalar(v->string ? v->string : "", false, vf, v->line, v->col);
      break;
    case KL_PARAM_REAL_LIST:
      val = kl_node_new(KL_NODE_SEQ, vf, v->line, v->col);
      for (size_t k = 0; val && k < v->list_n; k++)
        if (kl_node_append(val, NULL, kl_node_new_scalar(kl_fmt_real(v->list[k], buf, sizeof buf),
                                                         true, vf, v->line, v->col))) {
          kl_node_free(val);
          val = NULL;
        }
      break;
    case KL_PARAM_PLUGIN:
      if (!v->child || !v->child_info) continue;
      val = kl_params_to_node(v->child, v->child_info->name);
      break;
    }
    if (kl_node_append(map, s->name, val)) goto fail;
  }
  return map;
fail:
  kl_node_free(map);
  return NULL;
}
