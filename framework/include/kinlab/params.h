/* kinlab/params.h - parameter tables: one description, three uses.
 *
 * A plugin declares its parameters once, as a table of kl_param_spec ended by
 * KL_PARAM_END.  From that table the framework validates the YAML (unknown key
 * with "did you mean", wrong type, out of range: all with file:line:column),
 * prints `kinlab plugins --describe NAME` and generates the JSON Schema under
 * schemas/.  A plugin reads the validated values through kl_params_* getters.
 */
#ifndef KINLAB_PARAMS_H
#define KINLAB_PARAMS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include <kinlab/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kl_param_type {
  KL_PARAM_REAL = 1,      /* finite double                                       */
  KL_PARAM_INT = 2,       /* integer (long)                                      */
  KL_PARAM_BOOL = 3,      /* true/false                                          */
  KL_PARAM_STRING = 4,    /* free text (paths, labels)                           */
  KL_PARAM_ENUM = 5,      /* one of `choices` ("a|b|c")                          */
  KL_PARAM_REAL_LIST = 6, /* sequence of finite doubles (or a single number)      */
  KL_PARAM_PLUGIN = 7     /* mapping {type: NAME, ...} of a plugin of kind `choices` */
} kl_param_type;

/* Flags of a kl_param_spec. */
enum {
  KL_PARAM_OPTIONAL = 1u << 0,      /* may be absent although it has no default     */
  KL_PARAM_HAS_MIN = 1u << 1,       /* value >= min (> min with MIN_EXCLUSIVE)      */
  KL_PARAM_HAS_MAX = 1u << 2,       /* value <= max (< max with MAX_EXCLUSIVE)      */
  KL_PARAM_MIN_EXCLUSIVE = 1u << 3,
  KL_PARAM_MAX_EXCLUSIVE = 1u << 4,
  /* A resolution parameter (REAL or INT): results converge as a step size
   * (dt, a cell width, a blob width) shrinks or as a count (particles, grid
   * cells) grows.  `kinlab compare` computes observed orders of convergence
   * in the parameters that vary and carry one of these (docs/comparisons.md):
   * size s = value for a STEP_SIZE, s = 1/value for a COUNT.  At most one. */
  KL_PARAM_STEP_SIZE = 1u << 5,
  KL_PARAM_COUNT = 1u << 6
};

typedef struct kl_param_spec {
  const char *name;          /* YAML key; NULL ends the table                    */
  kl_param_type type;
  const char *default_value; /* YAML text of the default; NULL: required unless OPTIONAL */
  double min, max;           /* bounds for REAL, INT and each REAL_LIST element   */
  unsigned flags;
  const char *choices;       /* ENUM: "a|b|c"; PLUGIN: the kind name ("kernel")  */
  const char *unit;          /* "1", "s", "velocity", ... (documentation only)    */
  const char *doc;           /* one sentence                                      */
} kl_param_spec;

#define KL_PARAM_END {NULL, (kl_param_type)0, NULL, 0, 0, 0, NULL, NULL, NULL}

/* Validated parameter values of one plugin instance (owned by the framework). */
typedef struct kl_params kl_params;
typedef struct kl_instance kl_instance;

double kl_params_real(const kl_params *p, const char *name);
long kl_params_int(const kl_params *p, const char *name);
bool kl_params_bool(const kl_params *p, const char *name);
/* STRING and ENUM values; NULL when an OPTIONAL parameter is absent. */
const char *kl_params_string(const kl_params *p, const char *name);
/* REAL_LIST: returns the length and points *values at the elements. */
size_t kl_params_real_list(const kl_params *p, const char *name, const double **values);
/* PLUGIN: the instance the framework created for this parameter (NULL if absent). */
kl_instance *kl_params_plugin(const kl_params *p, const char *name);
/* True when the key was given in the YAML (or by --set), false for a default. */
bool kl_params_is_set(const kl_params *p, const char *name);
/* Dotted path of the mapping these parameters came from, e.g. "model.kernel". */
const char *kl_params_path(const kl_params *p);

/* Report a bad parameter value found by a plugin: the message is prefixed by
 * "FILE:LINE:COL: key PATH.NAME: " pointing at the value (or at the owning
 * mapping for a default).  Returns code. */
int kl_params_error(kl_error *err, int code, const kl_params *p, const char *name,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#ifdef __cplusplus
}
#endif
#endif /* KINLAB_PARAMS_H */
