/* crash_create.c - a test plugin whose create() segfaults.  kinlab runs
 * plugins in its own process and cannot survive this; its fatal-signal handler
 * names the plugin and exits 3 (docs/robustness.md).  The segfault is raised
 * directly rather than by a NULL dereference, so that the sanitizer build
 * (UBSan stops at the dereference itself) tests the same path. */
#include <signal.h>

#include <kinlab/kinlab.h>

static double density(void *s, const double *x, const double *v) {
  (void)s; (void)x; (void)v;
  return 1;
}
static const kl_initial_ops ops = {sizeof(kl_initial_ops), density, NULL, NULL, NULL};

static int create_crash(const kl_setup *s, void **state, kl_error *err) {
  (void)s; (void)err;
  *state = NULL;
  raise(SIGSEGV);
  return KL_OK;
}
static const kl_plugin_info crash = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "rb_crash_create",
                                     "create() segfaults", NULL, &ops, create_crash, NULL};
static const kl_plugin_info *const table[] = {&crash, NULL};
KL_PLUGIN_MODULE(table)
