/* common.c - what every kind's checks share: the PASS/FAIL lines, creating the
 * plugin under test, the thread-safety harness and the schema check. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "check.h"
#include "internal.h"

static void line(kl_check *c, const char *verdict, const char *what, va_list ap) {
  fprintf(c->out, "%-4s  %s  ", verdict, c->info->name);
  vfprintf(c->out, what, ap);
}

bool kl_check_result(kl_check *c, bool ok, double measured, double tolerance, const char *what,
                     ...) {
  /* A NaN measurement fails: !(NaN <= tol) is how the callers compare. */
  va_list ap;
  va_start(ap, what);
  line(c, ok ? "PASS" : "FAIL", what, ap);
  va_end(ap);
  fprintf(c->out, ": %.3g (tolerance %.3g)\n", measured, tolerance);
  ok ? c->passed++ : c->failed++;
  return ok;
}

bool kl_check_verdict(kl_check *c, bool ok, const char *what, ...) {
  va_list ap;
  va_start(ap, what);
  line(c, ok ? "PASS" : "FAIL", what, ap);
  va_end(ap);
  fputc('\n', c->out);
  ok ? c->passed++ : c->failed++;
  return ok;
}

void kl_check_skip(kl_check *c, const char *what, ...) {
  va_list ap;
  va_start(ap, what);
  line(c, "SKIP", what, ap);
  va_end(ap);
  fputc('\n', c->out);
  c->skipped++;
}

kl_instance *kl_check_create(kl_check *c, unsigned dim_v, unsigned dim_x, kl_instance *initial,
                             kl_instance *model, kl_error *err) {
  kl_instance *inst = NULL;
  if (kl_instance_from_yaml(c->reg, (int)c->info->kind, c->yaml, dim_v, dim_x, initial, model,
                            &inst, err) != KL_OK)
    return NULL;
  return inst;
}

const char *kl_check_parameters(const kl_check *c) {
  return c->n_sets ? "its parameters with the --set values" : "its default parameters";
}

void kl_check_random(double *x, size_t n) {
  uint64_t r = 0x243F6A8885A308D3ull; /* xorshift64, fixed seed: reproducible lines */
  for (size_t i = 0; i < n; i++) {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    x[i] = 2.0 * ((double)(r >> 11) / 9007199254740992.0) - 1.0;
  }
}

/* 8 rounds let a planted race (nonconforming.c racy_gaussian) slip through 2
 * runs in 10 on a loaded 2-core machine; 64 caught it in 20 of 20, in ~20 ms. */
enum { THREAD_ROUNDS = 64 };

void kl_check_threads(kl_check *c, const char *what, kl_check_chunk_fn fn, const void *arg,
                      size_t n_chunks, size_t per_chunk) {
  size_t total = n_chunks * per_chunk;
  double *ref = calloc(total, sizeof *ref); /* chunks may leave outputs unwritten */
  unsigned threads = c->threads;
  double *par = malloc((size_t)threads * total * sizeof *par);
  if (!ref || !par) {
    free(ref);
    free(par);
    kl_check_verdict(c, false, "%s: thread safety: out of memory", what);
    return;
  }
  for (size_t k = 0; k < n_chunks; k++) fn(arg, k, ref + k * per_chunk);
  size_t differing = 0;
  for (int round = 0; round < THREAD_ROUNDS; round++) {
    memset(par, 0, (size_t)threads * total * sizeof *par);
#ifdef _OPENMP
#pragma omp parallel num_threads((int)threads)
    {
      size_t t = (size_t)omp_get_thread_num();
#else
    for (size_t t = 0; t < threads; t++) {
#endif
      /* Thread t starts at its own chunk: all threads busy on one chunk's
       * neighbours at once, each chunk computed by every thread. */
      for (size_t j = 0; j < n_chunks; j++) {
        size_t k = (j + t * n_chunks / threads + (size_t)round) % n_chunks;
        fn(arg, k, par + t * total + k * per_chunk);
      }
    }
    for (size_t t = 0; t < threads; t++)
      for (size_t i = 0; i < total; i++)
        if (memcmp(&par[t * total + i], &ref[i], sizeof *ref) != 0) differing++;
  }
#ifdef _OPENMP
  kl_check_result(c, differing == 0, (double)differing, 0,
                  "%s: thread safety (%u threads x %d rounds, bit-identical to serial; a race "
                  "shows only by chance): values differing",
                  what, threads, THREAD_ROUNDS);
#else
  kl_check_skip(c, "%s: thread safety: kinlab was built without OpenMP", what);
  (void)differing;
#endif
  free(ref);
  free(par);
}

/* ------------------------------------------------------------ schema */

/* Does `value` satisfy the subset of JSON Schema that schema.c writes for a
 * parameter (type, enum, bounds, anyOf, items, $ref to a plugin)? */
static bool schema_accepts(const kl_json *schema, const kl_json *value, const char **why) {
  const kl_json *any = kl_json_get(schema, "anyOf");
  if (any && any->type == KL_JSON_ARRAY) {
    for (size_t i = 0; i < any->n; i++)
      if (schema_accepts(&any->items[i], value, why)) return true;
    *why = "matches none of anyOf";
    return false;
  }
  if (kl_json_get(schema, "$ref")) { /* a nested plugin: a mapping naming its type */
    bool ok = value->type == KL_JSON_OBJECT && kl_json_get(value, "type") &&
              kl_json_get(value, "type")->type == KL_JSON_STRING;
    if (!ok) *why = "a plugin parameter's default is not a mapping {type: NAME, ...}";
    return ok;
  }
  const kl_json *type = kl_json_get(schema, "type");
  const char *t = type && type->type == KL_JSON_STRING ? type->string : "";
  if (!strcmp(t, "number") || !strcmp(t, "integer")) {
    if (value->type != KL_JSON_NUMBER) return *why = "not a number", false;
    double x = value->number;
    if (!strcmp(t, "integer") && x != floor(x)) return *why = "not an integer", false;
    const kl_json *b;
    if ((b = kl_json_get(schema, "minimum")) && !(x >= b->number)) return *why = "below minimum", false;
    if ((b = kl_json_get(schema, "maximum")) && !(x <= b->number)) return *why = "above maximum", false;
    if ((b = kl_json_get(schema, "exclusiveMinimum")) && !(x > b->number))
      return *why = "not above exclusiveMinimum", false;
    if ((b = kl_json_get(schema, "exclusiveMaximum")) && !(x < b->number))
      return *why = "not below exclusiveMaximum", false;
    return true;
  }
  if (!strcmp(t, "boolean")) {
    if (value->type != KL_JSON_BOOL) return *why = "not a boolean", false;
    return true;
  }
  if (!strcmp(t, "string")) {
    if (value->type != KL_JSON_STRING) return *why = "not a string", false;
    const kl_json *e = kl_json_get(schema, "enum");
    if (!e) return true;
    for (size_t i = 0; i < e->n; i++)
      if (e->items[i].type == KL_JSON_STRING && !strcmp(e->items[i].string, value->string))
        return true;
    return *why = "not one of enum", false;
  }
  if (!strcmp(t, "array")) {
    if (value->type != KL_JSON_ARRAY) return *why = "not an array", false;
    const kl_json *items = kl_json_get(schema, "items");
    for (size_t i = 0; items && i < value->n; i++)
      if (!schema_accepts(items, &value->items[i], why)) return false;
    return true;
  }
  *why = "unknown schema type";
  return false;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

void kl_check_schema(kl_check *c) {
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/kinlab-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    kl_check_verdict(c, false, "schema: cannot make a temporary directory %s", dir);
    return;
  }
  kl_error err = {0, ""};
  kl_json *schema = NULL;
  char path[4200];
  snprintf(path, sizeof path, "%s/%s/%s.json", dir, kl_kind_name(c->info->kind), c->info->name);
  if (kl_schema_write_all(c->reg, dir, &err) != KL_OK ||
      kl_json_parse_file(path, 1 << 24, &schema, &err) != KL_OK) {
    kl_check_verdict(c, false, "schema: generating or reading it: %s", err.message);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return;
  }
  const kl_json *props = kl_json_get(schema, "properties");
  const kl_json *required = kl_json_get(schema, "required");
  size_t n_defaults = 0, bad = 0;
  for (const kl_param_spec *s = c->info->params; s && s->name; s++) {
    const kl_json *p = props ? kl_json_get(props, s->name) : NULL;
    if (!p) {
      kl_check_verdict(c, false, "schema: parameter %s missing from the schema", s->name);
      bad++;
      continue;
    }
    bool listed = false;
    for (size_t i = 0; required && i < required->n; i++)
      if (required->items[i].type == KL_JSON_STRING && !strcmp(required->items[i].string, s->name))
        listed = true;
    bool must = !s->default_value && !(s->flags & KL_PARAM_OPTIONAL);
    if (listed != must) {
      kl_check_verdict(c, false, "schema: parameter %s %s in \"required\"", s->name,
                       listed ? "is" : "is not");
      bad++;
    }
    const kl_json *d = kl_json_get(p, "default");
    if (!s->default_value) continue;
    n_defaults++;
    const char *why = "";
    if (!d) {
      kl_check_verdict(c, false, "schema: parameter %s: its default '%s' is not in the schema",
                       s->name, s->default_value);
      bad++;
    } else if (!schema_accepts(p, d, &why)) {
      kl_check_verdict(c, false, "schema: parameter %s: default '%s' is refused by its own "
                       "schema (%s)", s->name, s->default_value, why);
      bad++;
    }
  }
  if (!bad)
    kl_check_verdict(c, true, "schema: the generated JSON Schema accepts all %zu defaults and "
                     "requires exactly the parameters without one", n_defaults);
  kl_json_free(schema);
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
