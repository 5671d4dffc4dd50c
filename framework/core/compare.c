/* compare.c - placeholder until the comparison tables land (issue 7). */
#include "internal.h"

int kl_compare_run_dir(const char *run_dir, kl_error *err) {
  return kl_error_set(err, KL_ENOTSUP, "%s: comparisons are not implemented yet", run_dir);
}
