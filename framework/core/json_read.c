/* json_read.c - strict JSON (RFC 8259) for the files kinlab writes and reads
 * back (summary.json): the reading half of json_write.c.
 *
 * kl_json_parse refuses a syntax error, a bad escape, a duplicate key, a number
 * that overflows a double, a NUL byte, nesting deeper than KL_JSON_MAX_DEPTH or
 * anything after the value, with an error naming FILE:LINE:COL and what was
 * expected.  kl_read_text_file reads a whole run file with a size limit.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

/* The whole of a regular file: KL_EIO when it cannot be read, KL_EINVAL when it
 * is larger than max; *len excludes the terminating NUL added after it. */
int kl_read_text_file(const char *path, size_t max, char **text, size_t *len, kl_error *err) {
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

int kl_json_parse_file(const char *path, size_t max, kl_json **out, kl_error *err) {
  char *text = NULL;
  size_t len = 0;
  *out = NULL;
  int rc = kl_read_text_file(path, max, &text, &len, err);
  if (!rc) rc = kl_json_parse(text, len, path, out, err);
  free(text);
  return rc;
}
