/* kinlab/plugin.h - the plugin contract.
 *
 * A plugin module (a libtool module, loaded with dlopen RTLD_NOW|RTLD_LOCAL)
 * exports exactly one function:
 *
 *     const kl_plugin_info *kinlab_plugin_entry(uint32_t host_abi_major, uint32_t index);
 *
 * It returns the descriptor of its index-th plugin (0, 1, ...) and NULL past
 * the last one, as LADSPA enumerates its descriptors.  The host checks
 * abi_major (must equal KL_ABI_MAJOR) and struct_size (at least the size of
 * the first published kl_plugin_info) before it reads anything else, so the
 * table can grow at its end without breaking old plugins (LV2's `size` idea).
 *
 * Each kind has a const operations table of function pointers (GSL
 * gsl_odeiv2_step_type style).  Operations are marked REQUIRED or OPTIONAL; an
 * OPTIONAL NULL gets the documented default.  Callers never use ops-> directly:
 * they go through the kl_<kind>_* wrappers in kinlab/kinds.h.
 */
#ifndef KINLAB_PLUGIN_H
#define KINLAB_PLUGIN_H

#include <stdint.h>

#include <kinlab/params.h>
#include <kinlab/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KL_ABI_MAJOR 1u /* incompatible changes bump this */
#define KL_ABI_MINOR 3u /* additions at the end of tables bump this (1: mollifier separable;
                           2: mollifier width, kernel power_law, initial mass and
                           exact_parameter; kernel gamma no longer REQUIRED;
                           3: the kind comm_weight, model conservation) */

#define KL_PLUGIN_ENTRY_SYMBOL "kinlab_plugin_entry"

typedef enum kl_kind {
  KL_KIND_MOLLIFIER = 1,
  KL_KIND_KERNEL = 2,
  KL_KIND_MODEL = 3,
  KL_KIND_INTEGRATOR = 4,
  KL_KIND_INITIAL = 5,
  KL_KIND_DIAGNOSTIC = 6,
  KL_KIND_COMM_WEIGHT = 7 /* ABI 1.3: a communication weight psi(r) (Cucker-Smale) */
} kl_kind;
#define KL_KIND_COUNT 7

const char *kl_kind_name(kl_kind kind);         /* "mollifier", ... or NULL */
int kl_kind_from_name(const char *name);        /* kl_kind, or 0 if unknown */

/* What a plugin is given when it is instantiated. */
typedef struct kl_setup {
  uint32_t struct_size;        /* sizeof(kl_setup) of the host                     */
  const kl_params *params;     /* validated parameters of this instance            */
  unsigned dim_v;              /* velocity dimension of the experiment (1..3)      */
  unsigned dim_x;              /* space dimension, 0 for spatially homogeneous     */
  kl_instance *initial;        /* the experiment's initial-data instance or NULL   */
  kl_instance *model;          /* the model instance (diagnostics) or NULL         */
  kl_log *log;                 /* warnings go here (kl_logf)                       */
} kl_setup;

typedef struct kl_plugin_info {
  uint32_t abi_major;          /* KL_ABI_MAJOR the plugin was built with          */
  uint32_t abi_minor;          /* KL_ABI_MINOR the plugin was built with          */
  uint32_t struct_size;        /* sizeof(kl_plugin_info) the plugin was built with */
  kl_kind kind;
  const char *name;            /* unique over all loaded plugins: [a-z0-9_]+       */
  const char *summary;         /* one line                                         */
  const kl_param_spec *params; /* table ended by KL_PARAM_END (NULL: none)         */
  const void *ops;             /* the kind's operations table (kinds.h)            */
  /* OPTIONAL: allocate state from the validated parameters; NULL: stateless. */
  int (*create)(const kl_setup *setup, void **state, kl_error *err);
  /* OPTIONAL: free the state made by create. */
  void (*destroy)(void *state);
} kl_plugin_info;

/* Convenience for plugin authors: fills the first three fields. */
#define KL_PLUGIN_HEADER KL_ABI_MAJOR, KL_ABI_MINOR, (uint32_t)sizeof(kl_plugin_info)

/* Declare the entry point of a module providing the plugins of a NULL-ended
 * array `table` of kl_plugin_info pointers. */
#define KL_PLUGIN_MODULE(table)                                                   \
  const kl_plugin_info *kinlab_plugin_entry(uint32_t host_abi_major, uint32_t index); \
  const kl_plugin_info *kinlab_plugin_entry(uint32_t host_abi_major, uint32_t index) { \
    (void)host_abi_major;                                                         \
    for (uint32_t i_ = 0; (table)[i_]; i_++)                                      \
      if (i_ == index) return (table)[i_];                                        \
    return NULL;                                                                  \
  }

typedef const kl_plugin_info *(*kl_plugin_entry_fn)(uint32_t host_abi_major, uint32_t index);

/* An instantiated plugin: descriptor, validated parameters and state. */
const kl_plugin_info *kl_instance_info(const kl_instance *inst);
const kl_params *kl_instance_params(const kl_instance *inst);
void *kl_instance_state(const kl_instance *inst);
const char *kl_instance_name(const kl_instance *inst); /* plugin name */

#ifdef __cplusplus
}
#endif
#endif /* KINLAB_PLUGIN_H */
