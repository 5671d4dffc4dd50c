/* kinlab/host.h - the host side: plugin registry, experiments, runs.
 *
 * Used by the `kinlab` program, the tests and anyone embedding kinlab.  All
 * state hangs on objects, PETSc-style: a registry maps plugin names to
 * descriptors; an experiment is a validated YAML document.  Two pieces of
 * process-wide state are deliberate, because signal handlers read or write
 * them and a handler receives no object: the stop request (kl_request_stop,
 * kl_request_stop_signal: a signal stops the whole process, every experiment
 * in it) and the stack of running plugin create() calls (kl_plugin_in_create:
 * named by the crash handler).  Both are volatile sig_atomic_t flags or
 * pointers, written only at those points.  (HDF5's own library state is
 * process-wide too; output.c only tells it once not to install its atexit
 * handler.)
 */
#ifndef KINLAB_HOST_H
#define KINLAB_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kinlab/kinds.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------- registry ---------------------------------- */
typedef struct kl_registry kl_registry;

kl_registry *kl_registry_new(void);
void kl_registry_free(kl_registry *reg);
/* dlopen one module (RTLD_NOW | RTLD_LOCAL) and register all its plugins.
 * Naming a file pins it: its plugins win over same-named plugins found in
 * directories (docs/writing-plugins.md, "Which file runs").
 * Errors: file not found, not a shared object, missing entry symbol, ABI major
 * mismatch, descriptor too small, unknown kind, a name also in another file
 * loaded with kl_registry_load_file. */
int kl_registry_load_file(kl_registry *reg, const char *path, kl_error *err);
/* Load every *.so in dir.  Two files providing one name (in this directory or
 * in two search-path elements) do not fail here: the name becomes ambiguous,
 * and using it is an error naming both files (kl_registry_check_name) unless a
 * file was pinned.  A module that cannot be loaded is skipped with a warning
 * (kl_registry_warning); so is a missing directory unless `must_exist`. */
int kl_registry_load_dir(kl_registry *reg, const char *dir, bool must_exist, kl_error *err);
/* The standard search order after the experiment's own plugin_path entries:
 * $KINLAB_PLUGIN_PATH (colon-separated), then the installed PLUGINDIR.  Missing
 * $KINLAB_PLUGIN_PATH entries are warnings; a missing PLUGINDIR is silent. */
int kl_registry_load_default_path(kl_registry *reg, kl_error *err);
/* Register a descriptor compiled into the caller (tests, embedding). */
int kl_registry_add(kl_registry *reg, const kl_plugin_info *info, const char *origin,
                    kl_error *err);
const kl_plugin_info *kl_registry_find(const kl_registry *reg, const char *name);
size_t kl_registry_count(const kl_registry *reg);
const kl_plugin_info *kl_registry_at(const kl_registry *reg, size_t i);
const char *kl_registry_origin(const kl_registry *reg, size_t i); /* file it came from */
/* Can the plugin `name` be used?  KL_EPLUGIN, naming the files, when two files
 * with different contents provide it and neither was pinned, or when a module
 * that failed to load may provide it (its file stem, or a name it declared). */
int kl_registry_check_name(const kl_registry *reg, const char *name, kl_error *err);
/* Problems that were skipped rather than fatal (a module that failed to load, a
 * missing directory): one sentence each, naming the file. */
size_t kl_registry_warning_count(const kl_registry *reg);
const char *kl_registry_warning(const kl_registry *reg, size_t i);

/* Where a registered plugin's code comes from (`kinlab plugins`, and the
 * provenance recorded in each run's summary.json and run.log). */
#define KL_SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */
typedef struct kl_plugin_source {
  const char *name;
  const char *file;     /* absolute path of the module; "builtin:..." for kl_registry_add */
  const char *sha256;   /* of the file when it was loaded; "" for compiled-in plugins */
  uint32_t abi_major, abi_minor; /* the ABI the plugin was built against */
  size_t n_others;      /* further files providing this name (shadowed or ambiguous) */
} kl_plugin_source;
/* Fill `out` for a registered descriptor; false if info is not in reg.  The
 * strings belong to the registry. */
bool kl_registry_source(const kl_registry *reg, const kl_plugin_info *info,
                        kl_plugin_source *out);
/* The i-th other file providing `name` (i < n_others), NULL past the end. */
const char *kl_registry_other_file(const kl_registry *reg, const char *name, size_t i);
/* Names of the registered plugins of a kind, for "did you mean" and listings:
 * fills up to max names, returns the count. */
size_t kl_registry_names(const kl_registry *reg, int kind, const char **names, size_t max);
const char *kl_plugindir(void); /* compiled-in PLUGINDIR */

/* ---------------------------- instances --------------------------------- */
/* Create an instance of a plugin of `kind` from a YAML mapping text such as
 * "{type: gaussian, epsilon: 0.1}" (tests, embedding, quick experiments).
 * Parameters are validated as in an experiment file (display name "<string>").
 * Nested plugin parameters are instantiated too, with the same dimensions. */
int kl_instance_from_yaml(kl_registry *reg, int kind, const char *yaml_text, unsigned dim_v,
                          unsigned dim_x, kl_instance *initial, kl_instance *model,
                          kl_instance **out, kl_error *err);
void kl_instance_free(kl_instance *inst);

/* ---------------------------- experiments ------------------------------- */
typedef struct kl_experiment kl_experiment;

/* Parse and validate an experiment.  `overrides` are "key.path=value" strings
 * as given to --set.  Plugin names are resolved through reg, after loading the
 * experiment's plugin_path entries into it.  Errors name FILE:LINE:COL, key,
 * expectation and what was found. */
int kl_experiment_load_file(const char *path, const char *const *overrides,
                            size_t n_overrides, kl_registry *reg, kl_experiment **out,
                            kl_error *err);
int kl_experiment_load_string(const char *text, const char *display_name,
                              const char *const *overrides, size_t n_overrides,
                              kl_registry *reg, kl_experiment **out, kl_error *err);
void kl_experiment_free(kl_experiment *exp);
/* Load only the plugin_path entries of the experiment file at path into reg
 * (`kinlab plugins --experiment FILE`): the rest of the file is not checked,
 * so the plugins of an experiment that does not validate yet can be listed. */
int kl_experiment_load_plugin_path(const char *path, kl_registry *reg, kl_error *err);
/* The embedded default experiment (kinlab run with no file). */
const char *kl_default_experiment_yaml(void);

/* Variants: an experiment with `variants:` or `sweep:` expands to several runs. */
size_t kl_experiment_variant_count(const kl_experiment *exp);
const char *kl_experiment_variant_name(const kl_experiment *exp, size_t i);

/* ---------------------------- runs -------------------------------------- */
typedef struct kl_run_options {
  uint32_t struct_size;
  const char *out_dir;     /* overrides output.dir; NULL: from the experiment */
  bool force;              /* replace an existing run directory               */
  bool quiet;              /* no progress line                                */
  const char *restart_dir; /* continue from this run directory's checkpoint   */
  int threads;             /* OpenMP threads, 0: default                      */
  int jobs;                /* variants run at once (processes), 0: 1          */
} kl_run_options;

/* Run every variant; writes the run directory.  Returns KL_OK when all
 * variants succeeded, else the first failure's code (the others still run).
 * `reg` is the registry exp was loaded with (it must outlive exp): the dry
 * set-up of every variant, before any computes, builds their parameters again
 * from it (kl_experiment_dry_setup). */
int kl_experiment_run(kl_experiment *exp, kl_registry *reg, const kl_run_options *opt,
                      kl_error *err);

/* The run directory kl_experiment_run uses: --restart DIR, --out DIR, the
 * experiment's output.dir, else runs/NAME.  False when it does not fit. */
bool kl_experiment_output_dir(const kl_experiment *exp, const kl_run_options *opt, char *buf,
                              size_t size);

/* Ask a running experiment to stop at the next step, writing a checkpoint
 * (async-signal-safe: sets a flag).  The request lasts for the process: one
 * made during set-up stops the run before its first step, and no further
 * variant is started. */
void kl_request_stop(void);
/* The same from a handler of signal signo (async-signal-safe): variants
 * running as child processes are sent signo too, and kl_stop_signal() tells
 * the host which signal stopped the run (for its exit code). */
void kl_request_stop_signal(int signo);
/* The signal of the first stop request; 0 if none or from kl_request_stop(). */
int kl_stop_signal(void);
/* Forget a stop request: for hosts that run several experiments in one
 * process (tests).  Never call it once signal handlers are installed: a signal
 * that arrived in between would be lost. */
void kl_clear_stop(void);

/* The dry set-up of every variant, exactly as `run` does it before its first
 * step: plugin instances (their create() checks), initial state, view and
 * diagnostic compatibility, output times, dt and the model's own dt check,
 * columns.  No step is taken and no file is written; each variant's state is
 * freed before the next.  A failure names the variant.  kl_experiment_run
 * does this for all variants before it computes any. */
int kl_experiment_dry_setup(const kl_experiment *exp, const kl_registry *reg, kl_error *err);
/* The keys a `--restart` may change (`--set`): they do not change the results
 * (step and wall-clock limits, checkpoint interval, output directory, plots);
 * any other would continue a run as another one. */
bool kl_restart_may_change(const char *key);
const char *kl_restart_may_change_list(void); /* "time.max_steps, ..." */

/* ---------------------------- comparisons ------------------------------- */
/* Read every variant of a run directory (its sub-directories, or the directory
 * itself for a single run) and write comparison.csv and comparison.md there:
 * per variant the parameters that differ, final errors, drift of each
 * invariant, wall time, rhs evaluations, state size; and observed orders of
 * convergence between successive resolutions with the least-squares slope. */
int kl_compare_run_dir(const char *run_dir, kl_error *err);
/* The same with an explicit resolution key (a dotted configuration key) and
 * its rule: "step" (size = value), "count" (size = 1/value) or NULL (from the
 * key's parameter flags, KL_PARAM_STEP_SIZE / KL_PARAM_COUNT, else step); key
 * NULL: every varying key whose parameter declares one of the flags.  *bad_by
 * (may be NULL) is set when the failure is the key's fault (a usage error). */
int kl_compare_run_dir_by(const char *run_dir, const char *key, const char *rule, bool *bad_by,
                          kl_error *err);
/* The same, with the parameter tables of reg's plugins; reg NULL: those of the
 * standard plugin search path (kl_registry_load_default_path). */
int kl_compare_run_dir_in(const kl_registry *reg, const char *run_dir, const char *key,
                          const char *rule, bool *bad_by, kl_error *err);
/* All options of a comparison (docs/comparisons.md).  reference: "finest",
 * a variant's name or another run directory; NULL: the experiment's
 * compare.reference, else "finest" when a resolution key varies.
 * analysis_width > 0: the Gaussian's standard deviation that reconstructs the
 * particle densities (0: the reference's blob width). */
typedef struct kl_compare_options {
  const char *by_key, *by_rule;
  const char *reference;
  double analysis_width;
} kl_compare_options;
int kl_compare_run_dir_with(const kl_registry *reg, const char *run_dir,
                            const kl_compare_options *opts, bool *bad_by, kl_error *err);

/* ---------------------------- schemas ----------------------------------- */
/* Write experiment.schema.json and one schema per plugin (<kind>/<name>.json)
 * under dir, atomically. */
int kl_schema_write_all(const kl_registry *reg, const char *dir, kl_error *err);
/* Describe a plugin's parameters as text (kinlab plugins --describe). */
int kl_describe_plugin(const kl_plugin_info *info, FILE *out);

const char *kl_version(void);
/* Name of the plugin whose create() is running, NULL otherwise (for crash
 * reports from a signal handler: plugins run in the kinlab process).  Creates
 * nest (a plugin may create instances in its own create()): depth 0 is the
 * innermost, depth 1 the create() that called it, ...; NULL past the outermost.
 * Both are async-signal-safe. */
const char *kl_plugin_in_create(void);
const char *kl_plugin_in_create_at(unsigned depth);

#ifdef __cplusplus
}
#endif
#endif /* KINLAB_HOST_H */
