/* common.c - helpers of the kinlab program. */
#include <stdio.h>

#include "cli.h"

void kl_cli_print_summary(const kl_experiment *exp, const kl_run_options *opt) {
  char dir[4096];
  if (!kl_experiment_output_dir(exp, opt, dir, sizeof dir)) return;
  size_t n = kl_experiment_variant_count(exp);
  printf("kinlab: %zu run%s completed; results in %s/%s\n", n, n == 1 ? "" : "s", dir,
         n > 1 ? " (comparison.md)" : "");
}
