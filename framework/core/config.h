/* framework/core/config.h - internal: YAML trees with source marks, parameter
 * validation, experiments and their variants.  Not installed.
 */
#ifndef KINLAB_CORE_CONFIG_H
#define KINLAB_CORE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <kinlab/kinlab.h>

/* ------------------------------ YAML tree -------------------------------- */
typedef enum kl_node_type { KL_NODE_SCALAR = 1, KL_NODE_MAP = 2, KL_NODE_SEQ = 3 } kl_node_type;

typedef struct kl_node {
  kl_node_type type;
  char *scalar;          /* SCALAR: the text                                      */
  bool plain;            /* SCALAR: unquoted (so 1e3 is a number, "1e3" a string) */
  bool float_tag;        /* SCALAR: tagged !!float, so an integer text is a real   */
  size_t n;              /* MAP: pairs; SEQ: items                                */
  char **keys;           /* MAP: key texts                                        */
  unsigned *key_line, *key_col; /* MAP: 1-based position of each key              */
  struct kl_node **items;/* MAP: values; SEQ: items                               */
  char *file;            /* display name of the source ("exp.yaml", "--set", "<default>") */
  unsigned line, col;    /* 1-based position of the node's first character        */
} kl_node;

/* Parse one YAML document with libyaml.  Refuses: syntax errors (with the
 * position libyaml reports), several documents, duplicate keys, non-scalar
 * keys, more than KL_YAML_MAX_NODES nodes after alias expansion (alias bombs),
 * nesting deeper than KL_YAML_MAX_DEPTH, files above KL_YAML_MAX_BYTES. */
#define KL_YAML_MAX_NODES 100000
#define KL_YAML_MAX_DEPTH 64
#define KL_YAML_MAX_BYTES (16u << 20)
int kl_yaml_parse_file(const char *path, kl_node **out, kl_error *err);
int kl_yaml_parse_string(const char *text, size_t len, const char *display_name, kl_node **out,
                         kl_error *err);
void kl_node_free(kl_node *node);
kl_node *kl_node_clone(const kl_node *node);
kl_node *kl_node_map_get(const kl_node *map, const char *key);
/* "FILE:LINE:COL" of a node into buf. */
const char *kl_node_where(const kl_node *node, char *buf, size_t size);
/* Set (or add) the value at a dotted path ("model.kernel.gamma",
 * "diagnostics.1.type") to the YAML text `value` (parsed as YAML, so "[1,2]"
 * is a list).  `origin` is the display name for errors ("--set"). */
int kl_node_set_path(kl_node *root, const char *dotted_path, const char *value,
                     const char *origin, kl_error *err);
/* Set the value at `dotted` to `value` (taken, also on failure).  Keys created
 * on the way get the position (file, line, col): the --set argument or the
 * dotted key inside `variants:`. */
int kl_node_set_path_node(kl_node *root, const char *dotted, kl_node *value, const char *file,
                          unsigned line, unsigned col, kl_error *err);
/* Build trees (the resolved configuration): an empty node of `type` at (file
 * or "<unknown>", line, col); a scalar; append (key, value) to a map or value
 * to a seq (key NULL), taking value (freed on failure).  NULL / -1 when out
 * of memory. */
kl_node *kl_node_new(kl_node_type type, const char *file, unsigned line, unsigned col);
kl_node *kl_node_new_scalar(const char *text, bool plain, const char *file, unsigned line,
                            unsigned col);
int kl_node_append(kl_node *parent, const char *key, kl_node *value);
/* YAML 1.2 core-schema float syntax (integers included; not .inf/.nan). */
bool kl_yaml_float_syntax(const char *s);
/* Emit as block YAML that kl_yaml_parse_* reads back to the same tree. */
int kl_node_emit_yaml(const kl_node *node, FILE *out, kl_error *err);

/* ------------------------------ parameters -------------------------------- */
/* Validate `map` (may be NULL: all defaults) against specs.  `path` is the
 * dotted key path of the mapping ("model.kernel"); `where` is the node used
 * for errors about missing keys when map is NULL.  Checks unknown keys (with
 * "did you mean"), types, ranges, enums, required keys; fills defaults.
 * PLUGIN parameters are validated recursively through kl_params_build_plugin.
 * `skip_keys` (NULL-ended, may be NULL) are keys the caller handles ("type"). */
int kl_params_build(const kl_param_spec *specs, const kl_node *map, const kl_node *where,
                    const char *path, const char *const *skip_keys, const kl_registry *reg,
                    kl_params **out, kl_error *err);
/* Validate a plugin mapping {type: NAME, ...} of `kind` (or a bare scalar NAME,
 * short for {type: NAME}): unknown NAME gets "did you mean" from reg, a plugin of
 * another kind is "expected a KIND plugin, found NAME (a KIND2 plugin)". */
int kl_params_build_plugin(int kind, const kl_node *node, const char *path,
                           const kl_registry *reg, const kl_plugin_info **info,
                           kl_params **out, kl_error *err);
void kl_params_free(kl_params *p);
const kl_param_spec *kl_params_specs(const kl_params *p);
/* PLUGIN parameter: the nested descriptor and parameters (NULL if absent). */
const kl_plugin_info *kl_params_child_info(const kl_params *p, const char *name);
kl_params *kl_params_child(const kl_params *p, const char *name);
/* Attach the instance created for a PLUGIN parameter (the params do not own it). */
void kl_params_attach_instance(kl_params *p, const char *name, kl_instance *inst);
/* The resolved mapping (defaults filled in, "type" first for plugins) for
 * config.resolved.yaml. */
kl_node *kl_params_to_node(const kl_params *p, const char *plugin_type);

/* Parameter tables as text (kinlab plugins --describe, schemas, messages):
 * "REAL", "INT", ...; what a value must be ("INT >= 1", "one of a|b", "a
 * kernel plugin", "REAL_LIST (each >= 0)"). */
const char *kl_param_type_name(kl_param_type t);
const char *kl_param_expect_text(const kl_param_spec *s, char *buf, size_t size);

/* ------------------------------ registry --------------------------------- */
/* Record a missing plugin directory: a warning (kl_registry_warning), and a
 * note in "unknown plugin" errors, rather than a failed load. */
int kl_registry_note_missing_dir(kl_registry *reg, kl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Those notes joined with "; " into buf; returns how many there are. */
size_t kl_registry_missing_dirs(const kl_registry *reg, char *buf, size_t size);

/* ------------------------------ experiments ------------------------------ */
/* One run of an experiment: the validated configuration of one variant. */
typedef struct kl_run_config {
  char *variant_name;                 /* "" when the experiment has no variants */
  kl_node *tree;                      /* the variant's tree after overrides     */
  const kl_plugin_info *model_info;  kl_params *model;
  const kl_plugin_info *initial_info; kl_params *initial;
  const kl_plugin_info *integrator_info; kl_params *integrator;
  size_t n_diagnostics;
  const kl_plugin_info **diagnostic_info; kl_params **diagnostics;
  kl_params *time;                    /* time: section (kl_time_specs)          */
  kl_params *output;                  /* output: section (kl_output_specs)      */
  unsigned dim_v, dim_x;              /* model params "d" and "dim_x" (0 if absent) */
  struct kl_provenance *plugins;      /* the plugins' files and hashes (owned)  */
} kl_run_config;

/* ------------------------------ provenance ------------------------------- */
/* Which code a run uses: per plugin (model, initial, integrator, diagnostics,
 * each followed by its nested PLUGIN parameters) the role, name, module file,
 * its SHA-256 and the ABI it was built for; plus the registry's load warnings.
 * Built when the experiment is validated, recorded in summary.json and run.log
 * (provenance.c). */
typedef struct kl_provenance_item {
  char *role;                      /* "model", "model.kernel", "diagnostics.1" */
  char *name, *file;               /* plugin; absolute module path ("builtin..." compiled in) */
  char sha256[KL_SHA256_HEX_SIZE]; /* of the module file when loaded; "" compiled in */
  uint32_t abi_major, abi_minor;
} kl_provenance_item;
typedef struct kl_provenance {
  size_t n;
  kl_provenance_item *items;
  size_t n_warnings;
  char **warnings;                 /* kl_registry_warning at validation */
  char digest[KL_SHA256_HEX_SIZE]; /* kl_provenance_digest */
} kl_provenance;
int kl_provenance_of_run(const kl_registry *reg, const struct kl_run_config *run,
                         kl_provenance **out, kl_error *err);
void kl_provenance_free(kl_provenance *p);
/* The members `"plugins": [...], "plugins_sha256": "...", "plugin_warnings": [...]`
 * of a JSON object, each preceded by ",\n  " (written after another member). */
void kl_provenance_write_json(FILE *f, const kl_provenance *p);
/* One INFO line per plugin and the digest; warnings as WARN lines, in the log
 * file only (the kinlab program has printed them already). */
void kl_provenance_log(const kl_provenance *p, kl_log *log);
/* One SHA-256 over the plugins used: the lines "NAME SHA256\n" of the distinct
 * (name, sha256) pairs, sorted.  Equal for two runs exactly when they use the
 * same plugins from the same bytes, whatever the roles (restart integrity). */
const char *kl_provenance_digest(const kl_provenance *p);

struct kl_experiment {
  char *source;                       /* display name of the file               */
  char *name;                         /* name: key, else the file's stem        */
  kl_node *tree;                      /* the parsed file after --set overrides  */
  size_t n_runs;
  kl_run_config *runs;                /* one per variant (one if none)          */
};

/* A copy of src with parameters of its own (built again from src->tree), for
 * a dry set-up that must leave src's parameters to the real run; freed with
 * kl_run_config_free. */
int kl_run_config_copy(const kl_run_config *src, const kl_registry *reg, kl_run_config *out,
                       kl_error *err);
void kl_run_config_free(kl_run_config *rc);

/* The complete configuration of one run as a plain experiment (no variants,
 * every default filled in, plugin_path made absolute): config.resolved.yaml,
 * which `kinlab run` accepts as it is. */
kl_node *kl_run_config_resolved(const kl_experiment *exp, const kl_run_config *run);

/* The time schedule of a run that starts at t_start: refuses t_final <=
 * t_start, output times out of order, repeated or outside [t_start,
 * t_final], more than time.max_outputs output times, and a fixed-step
 * integrator taking more than time.max_fixed_steps steps (unless
 * time.max_steps stops it first).  With `times`, also returns the output
 * times (t_start, the output_every grid merged with time.outputs, t_final;
 * malloc'ed).  Validation calls it with t_start = 0, the runner with the start
 * time of the initial data.  `integrator`: the parameters of rc's integrator
 * (the runner hands rc->integrator to the instance it creates). */
int kl_run_config_schedule(const kl_run_config *rc, const kl_params *integrator, double t_start,
                           double **times, size_t *n_times, kl_error *err);

/* Parameter tables of the core sections (also used for the JSON Schema). */
extern const kl_param_spec kl_time_specs[];
extern const kl_param_spec kl_compare_specs[]; /* compare: (read by framework/compare) */
extern const kl_param_spec kl_output_specs[];

#endif /* KINLAB_CORE_CONFIG_H */
