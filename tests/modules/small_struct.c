/* A descriptor that claims to be smaller than any published kl_plugin_info. */
#include <kinlab/kinlab.h>

static const kl_plugin_info info = {KL_ABI_MAJOR, 0, 12, KL_KIND_KERNEL, "tiny", "too small",
                                    NULL, NULL, NULL, NULL};
static const kl_plugin_info *const table[] = {&info, NULL};
KL_PLUGIN_MODULE(table)
