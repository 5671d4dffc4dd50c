/* provenance.c - which plugin code a run used: per plugin its role, name,
 * module file, SHA-256 and ABI (kl_registry_source), recorded in summary.json
 * and run.log, and one digest over them for restart integrity.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"


void kl_provenance_free(kl_provenance *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    free(p->items[i].role);
    free(p->items[i].name);
    free(p->items[i].file);
  }
  free(p->items);
  for (size_t i = 0; i < p->n_warnings; i++) free(p->warnings[i]);
  free(p->warnings);
  free(p);
}

typedef struct collector {
  const kl_registry *reg;
  kl_provenance *p;
  size_t cap;
  kl_error *err;
} collector;

static int provenance_nomem(kl_error *err) {
  return kl_error_set(err, KL_ENOMEM, "out of memory recording the plugins' provenance");
}

/* Add the plugin `info` in `role`, then its nested PLUGIN parameters. */
static int collect(collector *c, const char *role, const kl_plugin_info *info,
                   const kl_params *params) {
  if (!info) return KL_OK;
  kl_provenance *p = c->p;
  if (p->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 8;
    kl_provenance_item *items = realloc(p->items, cap * sizeof *items);
    if (!items) return provenance_nomem(c->err);
    p->items = items;
    c->cap = cap;
  }
  kl_plugin_source src;
  if (!kl_registry_source(c->reg, info, &src))
    return kl_error_set(c->err, KL_EINTERNAL, "plugin '%s' (%s) is not in the registry", info->name,
                        role);
  kl_provenance_item *it = &p->items[p->n];
  *it = (kl_provenance_item){strdup(role), strdup(src.name), strdup(src.file), "",
                             src.abi_major, src.abi_minor};
  snprintf(it->sha256, sizeof it->sha256, "%s", src.sha256);
  p->n++;
  if (!it->role || !it->name || !it->file) return provenance_nomem(c->err);
  for (const kl_param_spec *s = info->params; params && s && s->name; s++) {
    if (s->type != KL_PARAM_PLUGIN) continue;
    char child_role[512];
    snprintf(child_role, sizeof child_role, "%s.%s", role, s->name);
    int rc = collect(c, child_role, kl_params_child_info(params, s->name),
                     kl_params_child(params, s->name));
    if (rc) return rc;
  }
  return KL_OK;
}

static int cmp_line(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compute_digest(kl_provenance *p, kl_error *err) {
  char **lines = calloc(p->n + 1, sizeof *lines);
  if (!lines) return provenance_nomem(err);
  int rc = KL_OK;
  for (size_t i = 0; i < p->n && !rc; i++) {
    size_t len = strlen(p->items[i].name) + strlen(p->items[i].sha256) + 3;
    if (!(lines[i] = malloc(len))) rc = provenance_nomem(err);
    else snprintf(lines[i], len, "%s %s\n", p->items[i].name, p->items[i].sha256);
  }
  if (!rc) {
    qsort(lines, p->n, sizeof *lines, cmp_line);
    kl_sha256_ctx s;
    kl_sha256_init(&s);
    for (size_t i = 0; i < p->n; i++)
      if (i == 0 || strcmp(lines[i], lines[i - 1]) != 0) /* distinct pairs */
        kl_sha256_update(&s, lines[i], strlen(lines[i]));
    kl_sha256_final_hex(&s, p->digest);
  }
  for (size_t i = 0; i < p->n; i++) free(lines[i]);
  free(lines);
  return rc;
}

int kl_provenance_of_run(const kl_registry *reg, const kl_run_config *run, kl_provenance **out,
                         kl_error *err) {
  *out = NULL;
  kl_provenance *p = calloc(1, sizeof *p);
  if (!p) return provenance_nomem(err);
  collector c = {reg, p, 0, err};
  int rc = collect(&c, "model", run->model_info, run->model);
  if (!rc) rc = collect(&c, "initial", run->initial_info, run->initial);
  if (!rc) rc = collect(&c, "integrator", run->integrator_info, run->integrator);
  for (size_t i = 0; !rc && i < run->n_diagnostics; i++) {
    char role[64];
    snprintf(role, sizeof role, "diagnostics.%zu", i);
    rc = collect(&c, role, run->diagnostic_info[i], run->diagnostics[i]);
  }
  size_t nw = kl_registry_warning_count(reg);
  if (!rc && nw && !(p->warnings = calloc(nw, sizeof *p->warnings))) rc = provenance_nomem(err);
  for (size_t i = 0; !rc && i < nw; i++)
    if (!(p->warnings[p->n_warnings++] = strdup(kl_registry_warning(reg, i)))) rc = provenance_nomem(err);
  if (!rc) rc = compute_digest(p, err);
  if (rc) {
    kl_provenance_free(p);
    return rc;
  }
  *out = p;
  return KL_OK;
}

const char *kl_provenance_digest(const kl_provenance *p) { return p ? p->digest : ""; }

void kl_provenance_write_json(FILE *f, const kl_provenance *p) {
  if (!p) return;
  fputs(",\n  \"plugins\": [", f);
  for (size_t i = 0; i < p->n; i++) {
    const kl_provenance_item *it = &p->items[i];
    fputs(i ? ",\n    {\"role\": " : "\n    {\"role\": ", f);
    kl_json_string(f, it->role);
    fputs(", \"name\": ", f);
    kl_json_string(f, it->name);
    fputs(", \"file\": ", f);
    kl_json_string(f, it->file);
    fputs(", \"sha256\": ", f);
    kl_json_string(f, it->sha256);
    fprintf(f, ", \"abi\": \"%u.%u\"}", (unsigned)it->abi_major, (unsigned)it->abi_minor);
  }
  fputs(p->n ? "\n  ]" : "]", f);
  fputs(",\n  \"plugins_sha256\": ", f);
  kl_json_string(f, p->digest);
  fputs(",\n  \"plugin_warnings\": [", f);
  for (size_t i = 0; i < p->n_warnings; i++) {
    fputs(i ? ", " : "", f);
    kl_json_string(f, p->warnings[i]);
  }
  fputc(']', f);
}

void kl_provenance_log(const kl_provenance *p, kl_log *log) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    const kl_provenance_item *it = &p->items[i];
    kl_logf(log, KL_LOG_INFO, "plugin %s: %s from %s (sha256 %s, ABI %u.%u)", it->role, it->name,
            it->file, it->sha256[0] ? it->sha256 : "none: compiled in", (unsigned)it->abi_major,
            (unsigned)it->abi_minor);
  }
  kl_logf(log, KL_LOG_INFO, "plugins sha256 %s", p->digest);
  bool console = log && log->console;
  if (log) log->console = false;
  for (size_t i = 0; log && i < p->n_warnings; i++) kl_logf(log, KL_LOG_WARN, "%s", p->warnings[i]);
  if (log) log->console = console;
}
