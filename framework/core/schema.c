/* schema.c - JSON Schema (draft 2020-12) and text descriptions generated from
 * the plugins' parameter tables.
 *
 * Layout under the schema directory:
 *   experiment.schema.json   the experiment file; $defs/<kind> is the anyOf of
 *                            the registered plugins of that kind
 *   <kind>/<name>.json       one plugin's mapping {type: NAME, ...}
 * Output is deterministic (plugins sorted by kind, then name; no timestamps)
 * and every file is written to a temporary name and renamed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SCHEMA_DIALECT "https://json-schema.org/draft/2020-12/schema"

/* ------------------------------------------------------------ JSON text */

static void indent(FILE *f, int level) {
  for (int i = 0; i < level; i++) fputs("  ", f);
}

/* A YAML default value as JSON, typed like the validator types it. */
static bool plain_number(const char *s, double *x) {
  char *end;
  if (!*s) return false;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    long v = strtol(s + 2, &end, s[1] == 'x' ? 16 : 8);
    if (*end) return false;
    *x = (double)v;
    return true;
  }
  /* Core-schema numbers only: digits, sign, dot, exponent. */
  for (const char *p = s; *p; p++)
    if (!strchr("0123456789+-.eE", *p)) return false;
  *x = strtod(s, &end);
  return *end == '\0' && isfinite(*x);
}

static void json_node(FILE *f, const kl_node *n) {
  if (n->type == KL_NODE_MAP) {
    fputc('{', f);
    for (size_t i = 0; i < n->n; i++) {
      if (i) fputs(", ", f);
      kl_json_string(f, n->keys[i]);
      fputs(": ", f);
      json_node(f, n->items[i]);
    }
    fputc('}', f);
  } else if (n->type == KL_NODE_SEQ) {
    fputc('[', f);
    for (size_t i = 0; i < n->n; i++) {
      if (i) fputs(", ", f);
      json_node(f, n->items[i]);
    }
    fputc(']', f);
  } else {
    double x;
    const char *s = n->scalar;
    if (n->plain && (!strcmp(s, "true") || !strcmp(s, "false")))
      fputs(s, f);
    else if (n->plain && (!*s || !strcmp(s, "~") || !strcmp(s, "null")))
      fputs("null", f);
    else if (n->plain && plain_number(s, &x))
      kl_json_number_short(f, x);
    else
      kl_json_string(f, s);
  }
}

static void json_default(FILE *f, const kl_param_spec *s) {
  const char *d = s->default_value;
  switch (s->type) {
  case KL_PARAM_STRING:
  case KL_PARAM_ENUM: kl_json_string(f, d); return;
  default: break;
  }
  kl_node *n = NULL;
  if (kl_yaml_parse_string(d, strlen(d), "<default>", &n, NULL) == KL_OK && n) {
    json_node(f, n);
    kl_node_free(n);
  } else {
    kl_json_string(f, d);
  }
}

/* ------------------------------------------------------------ schemas */
/* The separator and indentation before the next member of an object. */
static void next_member(FILE *f, int lvl) {
  fputs(",\n", f);
  indent(f, lvl);
}

static void bounds(FILE *f, const kl_param_spec *s, int lvl) {
  if (s->flags & KL_PARAM_HAS_MIN && isfinite(s->min)) {
    next_member(f, lvl);
    fputs((s->flags & KL_PARAM_MIN_EXCLUSIVE) ? "\"exclusiveMinimum\": " : "\"minimum\": ", f);
    kl_json_number_short(f, s->min);
  }
  if (s->flags & KL_PARAM_HAS_MAX && isfinite(s->max)) {
    next_member(f, lvl);
    fputs((s->flags & KL_PARAM_MAX_EXCLUSIVE) ? "\"exclusiveMaximum\": " : "\"maximum\": ", f);
    kl_json_number_short(f, s->max);
  }
}

/* The members of a bounded number schema, each line indented to lvl. */
static void number_members(FILE *f, const kl_param_spec *s, int lvl) {
  indent(f, lvl);
  fputs("\"type\": \"number\"", f);
  bounds(f, s, lvl);
  fputc('\n', f);
}

static void description(FILE *f, const kl_param_spec *s) {
  char buf[1200];
  const char *doc = s->doc ? s->doc : "";
  if (s->unit && *s->unit && strcmp(s->unit, "1") != 0)
    snprintf(buf, sizeof buf, "%s%sUnit: %s.", doc, *doc ? " " : "", s->unit);
  else
    snprintf(buf, sizeof buf, "%s", doc);
  kl_json_string(f, buf);
}

/* The resolution a parameter declares (KL_PARAM_STEP_SIZE / KL_PARAM_COUNT):
 * "step" or "count" for the schema, the words for --describe; NULL: none. */
static const char *resolution_name(const kl_param_spec *s, bool words) {
  if (s->flags & KL_PARAM_STEP_SIZE) return words ? "step size" : "step";
  if (s->flags & KL_PARAM_COUNT) return "count";
  return NULL;
}

/* `prefix` is the relative path from this schema file to the schema directory. */
static void param_schema(FILE *f, const kl_param_spec *s, const char *prefix, int lvl) {
  fputs("{\n", f);
  indent(f, lvl + 1);
  fputs("\"description\": ", f);
  description(f, s);
  switch (s->type) {
  case KL_PARAM_REAL:
  case KL_PARAM_INT:
    next_member(f, lvl + 1);
    fputs(s->type == KL_PARAM_REAL ? "\"type\": \"number\"" : "\"type\": \"integer\"", f);
    bounds(f, s, lvl + 1);
    break;
  case KL_PARAM_BOOL:
    next_member(f, lvl + 1);
    fputs("\"type\": \"boolean\"", f);
    break;
  case KL_PARAM_STRING:
    next_member(f, lvl + 1);
    fputs("\"type\": \"string\"", f);
    break;
  case KL_PARAM_ENUM: {
    next_member(f, lvl + 1);
    fputs("\"type\": \"string\"", f);
    next_member(f, lvl + 1);
    fputs("\"enum\": [", f);
    const char *p = s->choices ? s->choices : "";
    for (bool first = true; *p; first = false) {
      const char *bar = strchr(p, '|');
      size_t len = bar ? (size_t)(bar - p) : strlen(p);
      char name[256];
      snprintf(name, sizeof name, "%.*s", (int)len, p);
      if (!first) fputs(", ", f);
      kl_json_string(f, name);
      if (!bar) break;
      p = bar + 1;
    }
    fputc(']', f);
    break;
  }
  case KL_PARAM_REAL_LIST: /* a number, or a list of numbers, in the bounds */
    next_member(f, lvl + 1);
    fputs("\"anyOf\": [\n", f);
    indent(f, lvl + 2);
    fputs("{\n", f);
    number_members(f, s, lvl + 3);
    indent(f, lvl + 2);
    fputs("},\n", f);
    indent(f, lvl + 2);
    fputs("{\n", f);
    indent(f, lvl + 3);
    fputs("\"type\": \"array\",\n", f);
    indent(f, lvl + 3);
    fputs("\"items\": {\n", f);
    number_members(f, s, lvl + 4);
    indent(f, lvl + 3);
    fputs("}\n", f);
    indent(f, lvl + 2);
    fputs("}\n", f);
    indent(f, lvl + 1);
    fputc(']', f);
    break;
  case KL_PARAM_PLUGIN:
    next_member(f, lvl + 1);
    fprintf(f, "\"$ref\": \"%sexperiment.schema.json#/$defs/%s\"", prefix,
            s->choices ? s->choices : "plugin");
    break;
  }
  if (s->default_value) {
    next_member(f, lvl + 1);
    fputs("\"default\": ", f);
    json_default(f, s);
  }
  /* An annotation (ignored by validators): kinlab compare's orders. */
  const char *resolution = resolution_name(s, false);
  if (resolution) {
    next_member(f, lvl + 1);
    fputs("\"x-kinlab-resolution\": ", f);
    kl_json_string(f, resolution);
  }
  fputc('\n', f);
  indent(f, lvl);
  fputc('}', f);
}

/* An object schema of a parameter table (plugin mapping or core section). */
static void object_schema(FILE *f, const kl_param_spec *specs, const char *plugin_name,
                          const char *prefix, int lvl) {
  indent(f, lvl + 1);
  fputs("\"type\": \"object\",\n", f);
  indent(f, lvl + 1);
  fputs("\"properties\": {", f);
  bool first = true;
  if (plugin_name) {
    fputc('\n', f);
    indent(f, lvl + 2);
    fputs("\"type\": {\"const\": ", f);
    kl_json_string(f, plugin_name);
    fputc('}', f);
    first = false;
  }
  for (const kl_param_spec *s = specs; s && s->name; s++) {
    fputs(first ? "\n" : ",\n", f);
    first = false;
    indent(f, lvl + 2);
    kl_json_string(f, s->name);
    fputs(": ", f);
    param_schema(f, s, prefix, lvl + 2);
  }
  fputc('\n', f);
  indent(f, lvl + 1);
  fputs("},\n", f);
  indent(f, lvl + 1);
  fputs("\"required\": [", f);
  first = true;
  if (plugin_name) {
    fputs("\"type\"", f);
    first = false;
  }
  for (const kl_param_spec *s = specs; s && s->name; s++)
    if (!s->default_value && !(s->flags & KL_PARAM_OPTIONAL)) {
      if (!first) fputs(", ", f);
      kl_json_string(f, s->name);
      first = false;
    }
  fputs("],\n", f);
  indent(f, lvl + 1);
  fputs("\"additionalProperties\": false\n", f);
}

static bool has_required(const kl_param_spec *specs) {
  for (const kl_param_spec *s = specs; s && s->name; s++)
    if (!s->default_value && !(s->flags & KL_PARAM_OPTIONAL)) return true;
  return false;
}

static int cmp_info(const void *pa, const void *pb) {
  const kl_plugin_info *a = *(const kl_plugin_info *const *)pa;
  const kl_plugin_info *b = *(const kl_plugin_info *const *)pb;
  if (a->kind != b->kind) return (int)a->kind - (int)b->kind;
  return strcmp(a->name, b->name);
}

static int write_plugin(const kl_plugin_info *info, const char *dir, kl_error *err) {
  const char *kname = kl_kind_name(info->kind);
  size_t len = strlen(dir) + strlen(kname) + strlen(info->name) + 16;
  char *sub = malloc(len), *path = malloc(len);
  if (!sub || !path) {
    free(sub);
    free(path);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  snprintf(sub, len, "%s/%s", dir, kname);
  snprintf(path, len, "%s/%s/%s.json", dir, kname, info->name);
  int rc = kl_mkdir_p(sub, err);
  kl_atomic_file af;
  if (!rc) rc = kl_atomic_open(&af, path, err);
  if (!rc) {
    FILE *f = af.fp;
    fputs("{\n  \"$schema\": \"" SCHEMA_DIALECT "\",\n  \"title\": ", f);
    char title[300];
    snprintf(title, sizeof title, "%s plugin %s", kname, info->name);
    kl_json_string(f, title);
    fputs(",\n  \"description\": ", f);
    kl_json_string(f, info->summary ? info->summary : "");
    fputs(",\n", f);
    object_schema(f, info->params, info->name, "../", 0);
    fputs("}\n", f);
    rc = kl_atomic_commit(&af, err);
  }
  free(sub);
  free(path);
  return rc;
}

static void section_schema(FILE *f, const char *name, const kl_param_spec *specs,
                           const char *doc) {
  indent(f, 2);
  kl_json_string(f, name);
  fputs(": {\n", f);
  indent(f, 3);
  fputs("\"description\": ", f);
  kl_json_string(f, doc);
  fputs(",\n", f);
  object_schema(f, specs, NULL, "", 2);
  indent(f, 2);
  fputc('}', f);
}

static int write_experiment(const kl_plugin_info **all, size_t n, const char *dir,
                            kl_error *err) {
  size_t len = strlen(dir) + 32;
  char *path = malloc(len);
  if (!path) return kl_error_set(err, KL_ENOMEM, "out of memory");
  snprintf(path, len, "%s/experiment.schema.json", dir);
  kl_atomic_file af;
  int rc = kl_atomic_open(&af, path, err);
  free(path);
  if (rc) return rc;
  FILE *f = af.fp;
  fputs("{\n  \"$schema\": \"" SCHEMA_DIALECT "\",\n"
        "  \"title\": \"kinlab experiment\",\n"
        "  \"description\": \"An experiment file for `kinlab run` (see "
        "docs/experiment-format.md).\",\n"
        "  \"type\": \"object\",\n"
        "  \"properties\": {\n"
        "    \"name\": {\"description\": \"Run name (default: the file's stem).\", "
        "\"type\": \"string\", \"pattern\": \"^[A-Za-z0-9_.=,-]+$\"},\n"
        "    \"description\": {\"type\": \"string\"},\n"
        "    \"plugin_path\": {\"description\": \"Plugin directories or modules (*.so), "
        "relative to the experiment file.\", \"anyOf\": [{\"type\": \"string\"}, "
        "{\"type\": \"array\", \"items\": {\"type\": \"string\"}}]},\n"
        "    \"model\": {\"$ref\": \"#/$defs/model\"},\n"
        "    \"initial\": {\"$ref\": \"#/$defs/initial\"},\n"
        "    \"integrator\": {\"$ref\": \"#/$defs/integrator\"},\n",
        f);
  section_schema(f, "time", kl_time_specs, "Time span, output times and limits.");
  fputs(",\n    \"diagnostics\": {\"type\": \"array\", \"items\": {\"$ref\": "
        "\"#/$defs/diagnostic\"}},\n",
        f);
  section_schema(f, "output", kl_output_specs, "What the run directory receives.");
  fputs(",\n", f);
  section_schema(f, "compare", kl_compare_specs,
                 "How kinlab compare measures errors against a reference run.");
  fputs(",\n"
        "    \"variants\": {\n"
        "      \"type\": \"array\",\n"
        "      \"minItems\": 1,\n"
        "      \"items\": {\n"
        "        \"type\": \"object\",\n"
        "        \"properties\": {\n"
        "          \"name\": {\"type\": \"string\", \"pattern\": \"^[A-Za-z0-9_.=,-]+$\"},\n"
        "          \"description\": {\"type\": \"string\"},\n"
        "          \"set\": {\"description\": \"Dotted key paths and their values.\", "
        "\"type\": \"object\"}\n"
        "        },\n"
        "        \"required\": [\"name\"],\n"
        "        \"additionalProperties\": false\n"
        "      }\n"
        "    },\n"
        "    \"sweep\": {\"description\": \"Dotted key paths and lists of values; runs are the "
        "Cartesian product.\", \"type\": \"object\", \"additionalProperties\": "
        "{\"type\": \"array\", \"minItems\": 1}}\n"
        "  },\n",
        f);
  fprintf(f, "  \"required\": [\"model\", \"initial\", \"integrator\"%s],\n",
          has_required(kl_time_specs) ? ", \"time\"" : "");
  fputs("  \"additionalProperties\": false,\n  \"$defs\": {", f);
  for (int kind = 1; kind <= KL_KIND_COUNT; kind++) {
    const char *kname = kl_kind_name((kl_kind)kind);
    fputs(kind > 1 ? ",\n    " : "\n    ", f);
    kl_json_string(f, kname);
    fputs(": ", f);
    size_t count = 0, bare = 0;
    for (size_t i = 0; i < n; i++)
      if ((int)all[i]->kind == kind) {
        count++;
        bare += !has_required(all[i]->params);
      }
    if (!count) {
      fputs("false", f); /* no plugin of this kind is registered */
      continue;
    }
    fputs("{\"anyOf\": [", f);
    bool first = true;
    for (size_t i = 0; i < n; i++)
      if ((int)all[i]->kind == kind) {
        fprintf(f, "%s\n      {\"$ref\": \"%s/%s.json\"}", first ? "" : ",", kname,
                all[i]->name);
        first = false;
      }
    if (bare) {
      /* A bare name is short for {type: NAME} when nothing is required. */
      fputs(",\n      {\"enum\": [", f);
      first = true;
      for (size_t i = 0; i < n; i++)
        if ((int)all[i]->kind == kind && !has_required(all[i]->params)) {
          if (!first) fputs(", ", f);
          kl_json_string(f, all[i]->name);
          first = false;
        }
      fputs("]}", f);
    }
    fputs("\n    ]}", f);
  }
  fputs("\n  }\n}\n", f);
  return kl_atomic_commit(&af, err);
}

int kl_schema_write_all(const kl_registry *reg, const char *dir, kl_error *err) {
  if (!dir) return kl_error_set(err, KL_EINVAL, "no schema directory given");
  size_t n = kl_registry_count(reg);
  const kl_plugin_info **all = malloc((n ? n : 1) * sizeof *all);
  if (!all) return kl_error_set(err, KL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) all[i] = kl_registry_at(reg, i);
  qsort(all, n, sizeof *all, cmp_info);
  int rc = kl_mkdir_p(dir, err);
  for (size_t i = 0; !rc && i < n; i++) rc = write_plugin(all[i], dir, err);
  if (!rc) rc = write_experiment(all, n, dir, err);
  free(all);
  return rc;
}

/* ------------------------------------------------------------ describe */
int kl_describe_plugin(const kl_plugin_info *info, FILE *out) {
  if (!info || !out) return KL_EINVAL;
  const char *kname = kl_kind_name(info->kind);
  fprintf(out, "%s (%s plugin)\n  %s\n\n", info->name, kname ? kname : "?",
          info->summary ? info->summary : "");
  size_t np = 0;
  for (const kl_param_spec *s = info->params; s && s->name; s++) np++;
  if (!np) {
    fputs("  no parameters\n", out);
    return ferror(out) ? KL_EIO : KL_OK;
  }
  /* Columns: name, type, default, range/choices, unit; doc on its own. */
  enum { NCOL = 5 };
  static const char *const head[NCOL] = {"parameter", "type", "default", "range/choices",
                                         "unit"};
  char(*cell)[NCOL][160] = calloc(np, sizeof *cell);
  if (!cell) return KL_ENOMEM;
  size_t width[NCOL];
  for (int c = 0; c < NCOL; c++) width[c] = strlen(head[c]);
  size_t i = 0;
  for (const kl_param_spec *s = info->params; s && s->name; s++, i++) {
    snprintf(cell[i][0], sizeof cell[i][0], "%s", s->name);
    if (s->type == KL_PARAM_PLUGIN)
      snprintf(cell[i][1], sizeof cell[i][1], "%s plugin", s->choices ? s->choices : "?");
    else
      snprintf(cell[i][1], sizeof cell[i][1], "%s", kl_param_type_name(s->type));
    if (s->default_value)
      snprintf(cell[i][2], sizeof cell[i][2], "%s", s->default_value);
    else
      snprintf(cell[i][2], sizeof cell[i][2], "%s",
               (s->flags & KL_PARAM_OPTIONAL) ? "(optional)" : "required");
    char e[300];
    if (s->type == KL_PARAM_ENUM)
      snprintf(cell[i][3], sizeof cell[i][3], "%s", s->choices ? s->choices : "");
    else if (s->type == KL_PARAM_REAL || s->type == KL_PARAM_INT ||
             s->type == KL_PARAM_REAL_LIST) {
      kl_param_expect_text(s, e, sizeof e);
      /* "REAL > 0" -> "> 0"; "REAL_LIST (each >= 0)" -> "each >= 0" */
      const char *r = strchr(e, ' ');
      if (r) {
        r++;
        if (*r == '(') {
          r++;
          e[strlen(e) - 1] = '\0';
        }
      }
      snprintf(cell[i][3], sizeof cell[i][3], "%s", r ? r : "-");
    } else
      snprintf(cell[i][3], sizeof cell[i][3], "-");
    snprintf(cell[i][4], sizeof cell[i][4], "%s", s->unit && *s->unit ? s->unit : "-");
    for (int c = 0; c < NCOL; c++)
      if (strlen(cell[i][c]) > width[c]) width[c] = strlen(cell[i][c]);
  }
  fputs(" ", out);
  for (int c = 0; c < NCOL; c++) fprintf(out, " %-*s", c == NCOL - 1 ? 0 : (int)width[c], head[c]);
  fputs("\n ", out);
  for (int c = 0; c < NCOL; c++) {
    fputc(' ', out);
    for (size_t k = 0; k < width[c]; k++) fputc('-', out);
  }
  fputc('\n', out);
  i = 0;
  for (const kl_param_spec *s = info->params; s && s->name; s++, i++) {
    fputs(" ", out);
    for (int c = 0; c < NCOL; c++)
      fprintf(out, " %-*s", c == NCOL - 1 ? 0 : (int)width[c], cell[i][c]);
    fputc('\n', out);
    if (s->doc && *s->doc) fprintf(out, "      %s\n", s->doc);
    const char *resolution = resolution_name(s, true);
    if (resolution)
      fprintf(out, "      resolution: %s (kinlab compare: orders in it, size = %s)\n", resolution,
              s->flags & KL_PARAM_COUNT ? "1/value" : "value");
  }
  free(cell);
  return ferror(out) ? KL_EIO : KL_OK;
}
