/* framework/check/check.h - `kinlab check-plugin`: conformance tests of one
 * plugin against the contract of its kind (kinlab/kinds.h,
 * docs/writing-plugins.md "Testing your plugin").
 *
 * Each check prints one line, PASS or FAIL, with the number it measured and
 * the tolerance it allowed (or SKIP with the reason).  One file per kind
 * (mollifier.c, kernel.c, integrator.c, initial.c, model.c for models and
 * diagnostics, comm_weight.c); common.c holds the report, the thread-safety harness and the
 * schema check that every kind shares.
 */
#ifndef KINLAB_CHECK_H
#define KINLAB_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <kinlab/kinlab.h>

/* One plugin under test and the tally of its checks. */
typedef struct kl_check {
  FILE *out;
  kl_registry *reg;            /* the module under test and the standard path */
  const kl_plugin_info *info;  /* the plugin under test                       */
  const char *yaml;            /* "{type: NAME, KEY: VALUE, ...}" (--set)     */
  const char *const *sets;     /* the --set KEY=VALUE texts in it              */
  size_t n_sets;
  unsigned threads;            /* OpenMP threads of the thread-safety check   */
  unsigned passed, failed, skipped;
} kl_check;

/* PASS when ok: "PASS  NAME  WHAT: measured M (tolerance T)".  `what` is a
 * printf format.  Returns ok. */
bool kl_check_result(kl_check *c, bool ok, double measured, double tolerance, const char *what,
                     ...) __attribute__((format(printf, 5, 6)));
/* A check without a number (a refused create, a wrong return code). */
bool kl_check_verdict(kl_check *c, bool ok, const char *what, ...)
    __attribute__((format(printf, 3, 4)));
void kl_check_skip(kl_check *c, const char *what, ...) __attribute__((format(printf, 2, 3)));

/* An instance of the plugin under test with dimensions dim_v, dim_x (its
 * defaults and --set values).  NULL with *err set when create refuses. */
kl_instance *kl_check_create(kl_check *c, unsigned dim_v, unsigned dim_x, kl_instance *initial,
                             kl_instance *model, kl_error *err);

/* Thread safety of reentrant operations: fn(arg, chunk, out) writes
 * `per_chunk` doubles for chunk `chunk`.  Every chunk is computed serially,
 * then by c->threads OpenMP threads at once (each in its own rotated order, so
 * threads work on one chunk at the same time), several rounds; the results
 * must be bit-identical.  A race shows only by chance. */
typedef void (*kl_check_chunk_fn)(const void *arg, size_t chunk, double *out);
void kl_check_threads(kl_check *c, const char *what, kl_check_chunk_fn fn, const void *arg,
                      size_t n_chunks, size_t per_chunk);
/* "its default parameters", or "its parameters with the --set values" when
 * --set gave some: what a refused create was given (the FAIL line must not
 * say defaults when the user's value may be what create refuses). */
const char *kl_check_parameters(const kl_check *c);
/* Pseudo-random numbers in [-1, 1) (fixed seed): the thread checks' inputs. */
void kl_check_random(double *x, size_t n);

/* The generated JSON Schema of the plugin (framework/core/schema.c) accepts
 * every default of its parameter table, and lists as required exactly the
 * parameters without a default. */
void kl_check_schema(kl_check *c);

/* The checks of each kind. */
void kl_check_mollifier(kl_check *c);
void kl_check_kernel(kl_check *c);
void kl_check_integrator(kl_check *c);
void kl_check_initial(kl_check *c);
void kl_check_model(kl_check *c);
void kl_check_diagnostic(kl_check *c);
void kl_check_comm_weight(kl_check *c);

#endif
