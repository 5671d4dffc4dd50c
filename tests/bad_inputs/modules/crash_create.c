/* crash_create.c - test plugins whose create() segfaults.  kinlab runs
 * plugins in its own process and cannot survive this; its fatal-signal handler
 * names the plugin really in create() and exits 3 (docs/robustness.md).  The
 * segfault is raised directly rather than by a NULL dereference, so that the
 * sanitizer build (UBSan stops at the dereference itself) tests the same path.
 *   rb_crash_create         initial data; create() segfaults
 *   rb_crash_kernel         kernel; create() segfaults (a nested PLUGIN
 *                           parameter of the model: the model is not to blame)
 *   rb_crash_after_nested   initial data; create() creates a helper instance
 *                           (public host API), frees it, then segfaults
 *   rb_crash_inside_nested  initial data; create() creates a helper whose own
 *                           create() segfaults */
#include <signal.h>
#include <string.h>

#include <kinlab/kinlab.h>

static double density(void *s, const double *x, const double *v) {
  (void)s; (void)x; (void)v;
  return 1;
}
static const kl_initial_ops ops = {sizeof(kl_initial_ops), density, NULL, NULL, NULL, NULL, NULL};

static int create_crash(const kl_setup *s, void **state, kl_error *err) {
  (void)s; (void)err;
  *state = NULL;
  raise(SIGSEGV);
  return KL_OK;
}
static const kl_plugin_info crash = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "rb_crash_create",
                                     "create() segfaults", NULL, &ops, create_crash, NULL};

static double gamma_zero(void *s) { (void)s; return 0; }
static void weight_one(void *s, size_t n, const double *r2, double *phi) {
  (void)s; (void)r2;
  for (size_t i = 0; i < n; i++) phi[i] = 1;
}
static const kl_kernel_ops kernel_ops = {sizeof(kl_kernel_ops), weight_one, gamma_zero, NULL, NULL};
static const kl_param_spec kernel_params[] = {
    {"gamma", KL_PARAM_REAL, "0", 0, 0, 0, NULL, "1", "ignored"}, KL_PARAM_END};
static const kl_plugin_info crash_kernel = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "rb_crash_kernel",
                                            "create() segfaults", kernel_params, &kernel_ops,
                                            create_crash, NULL};

/* Helpers that an outer create() instantiates through a private registry.
 * rb_helper_ok has a create() so that one runs and returns inside the outer. */
static int create_ok(const kl_setup *s, void **state, kl_error *err) {
  (void)s; (void)err;
  *state = NULL;
  return KL_OK;
}
static const kl_plugin_info helper_ok = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "rb_helper_ok",
                                         "create() succeeds", NULL, &ops, create_ok, NULL};
static const kl_plugin_info helper_crash = {KL_PLUGIN_HEADER, KL_KIND_INITIAL,
                                            "rb_helper_crash", "create() segfaults", NULL, &ops,
                                            create_crash, NULL};

static int create_helper(const kl_plugin_info *helper, kl_error *err) {
  kl_registry *reg = kl_registry_new();
  kl_instance *inst = NULL;
  int rc = reg ? kl_registry_add(reg, helper, "builtin:crash_create", err) : KL_ENOMEM;
  if (!rc) {
    char yaml[64] = "{type: ";
    strcat(strcat(yaml, helper->name), "}");
    rc = kl_instance_from_yaml(reg, KL_KIND_INITIAL, yaml, 1, 0, NULL, NULL, &inst, err);
  }
  kl_instance_free(inst);
  kl_registry_free(reg);
  return rc;
}

static int create_after_nested(const kl_setup *s, void **state, kl_error *err) {
  int rc = create_helper(&helper_ok, err);
  if (rc) return rc;
  return create_crash(s, state, err);
}
static int create_inside_nested(const kl_setup *s, void **state, kl_error *err) {
  (void)s;
  *state = NULL;
  return create_helper(&helper_crash, err);
}
static const kl_plugin_info after_nested = {KL_PLUGIN_HEADER, KL_KIND_INITIAL,
                                            "rb_crash_after_nested",
                                            "create() segfaults after creating a helper", NULL,
                                            &ops, create_after_nested, NULL};
static const kl_plugin_info inside_nested = {KL_PLUGIN_HEADER, KL_KIND_INITIAL,
                                             "rb_crash_inside_nested",
                                             "a helper created in create() segfaults", NULL,
                                             &ops, create_inside_nested, NULL};
static const kl_plugin_info *const table[] = {&crash, &crash_kernel, &after_nested,
                                              &inside_nested, NULL};
KL_PLUGIN_MODULE(table)
