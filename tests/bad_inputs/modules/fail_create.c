/* fail_create.c - test plugins whose create() fails (tests/bad_inputs.sh).
 * Built for `make check` only (tests/robust.mk), never installed, and never on
 * KINLAB_PLUGIN_PATH: cases load it with --set plugin_path=.../fail_create.so.
 *   rb_fail_create  initial data; create reports a bad parameter through
 *                   kl_params_error (the message must carry file:line:col)
 *   rb_fail_silent  initial data; create returns KL_EPLUGIN with an empty message
 *   rb_fail_bogus   initial data; create returns a status no kl_status has (77)
 */
#include <kinlab/kinlab.h>

static double density(void *s, const double *x, const double *v) {
  (void)s; (void)x; (void)v;
  return 1;
}
static const kl_initial_ops ops = {sizeof(kl_initial_ops), density, NULL, NULL, NULL, NULL, NULL};

static const kl_param_spec params[] = {
    {"level", KL_PARAM_INT, "1", 0, 0, 0, NULL, "1", "any value is refused by create"},
    KL_PARAM_END};

static int create_params_error(const kl_setup *s, void **state, kl_error *err) {
  *state = NULL;
  return kl_params_error(err, KL_EINVAL, s->params, "level",
                         "expected a level this test plugin accepts (none), found %ld",
                         kl_params_int(s->params, "level"));
}
static int create_silent(const kl_setup *s, void **state, kl_error *err) {
  (void)s; (void)err;
  *state = NULL;
  return KL_EPLUGIN;
}
static int create_bogus(const kl_setup *s, void **state, kl_error *err) {
  (void)s; (void)err;
  *state = NULL;
  return 77;
}

static const kl_plugin_info fail_create = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "rb_fail_create",
                                           "create() reports a bad parameter", params, &ops,
                                           create_params_error, NULL};
static const kl_plugin_info fail_silent = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "rb_fail_silent",
                                           "create() fails without a message", NULL, &ops,
                                           create_silent, NULL};
static const kl_plugin_info fail_bogus = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "rb_fail_bogus",
                                          "create() returns an unknown status", NULL, &ops,
                                          create_bogus, NULL};
static const kl_plugin_info *const table[] = {&fail_create, &fail_silent, &fail_bogus, NULL};
KL_PLUGIN_MODULE(table)
