/* bad_columns.c - a test diagnostic whose column names cannot be plain CSV
 * fields (tests/bad_inputs.sh, robust.mk; never installed): timeseries.csv is
 * read by splitting its header on commas (the restart check, compare), so the
 * runner refuses such a name as a plugin error before anything is written.
 *   rb_comma_column  one column named "a,b" */
#include <kinlab/kinlab.h>

static const char *const names[] = {"a,b"};
static size_t columns(void *s, const char *const **out) {
  (void)s;
  *out = names;
  return 1;
}
static int observe(void *s, const kl_observation *obs, double *values, kl_error *err) {
  (void)s, (void)obs, (void)err;
  values[0] = 0;
  return KL_OK;
}
static const kl_diagnostic_ops ops = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES | KL_VIEW_GRID,
                                      columns, observe, NULL};
static int create(const kl_setup *s, void **state, kl_error *err) {
  (void)s, (void)err;
  *state = NULL;
  return KL_OK;
}
static const kl_plugin_info comma_column = {KL_PLUGIN_HEADER, KL_KIND_DIAGNOSTIC,
                                            "rb_comma_column", "a column named \"a,b\"", NULL,
                                            &ops, create, NULL};
static const kl_plugin_info *const table[] = {&comma_column, NULL};
KL_PLUGIN_MODULE(table)
