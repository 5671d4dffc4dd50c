/* crash_create.c - a test plugin whose create() dereferences NULL.
 * kinlab runs plugins in its own process, so it cannot survive this: the run
 * dies with SIGSEGV (see docs/robustness.md).  The case that loads it is an
 * xfail in tests/bad_inputs/, kept to document the limitation. */
#include <kinlab/kinlab.h>

static double density(void *s, const double *x, const double *v) {
  (void)s; (void)x; (void)v;
  return 1;
}
static const kl_initial_ops ops = {sizeof(kl_initial_ops), density, NULL, NULL, NULL};

static int create_crash(const kl_setup *s, void **state, kl_error *err) {
  (void)s; (void)err;
  volatile int *p = NULL;
  *state = (void *)(long)*p;
  return KL_OK;
}
static const kl_plugin_info crash = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "rb_crash_create",
                                     "create() segfaults", NULL, &ops, create_crash, NULL};
static const kl_plugin_info *const table[] = {&crash, NULL};
KL_PLUGIN_MODULE(table)
