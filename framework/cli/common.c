/* common.c - helpers of the kinlab program. */
#include <stdio.h>

#include "cli.h"
#include "config.h"

void kl_cli_print_summary(const kl_experiment *exp, const kl_run_options *opt) {
  const char *dir = opt->restart_dir ? opt->restart_dir : opt->out_dir;
  char buf[4096];
  if (!dir) {
    const char *d = exp->n_runs ? kl_params_string(exp->runs[0].output, "dir") : NULL;
    if (!d) {
      snprintf(buf, sizeof buf, "runs/%s", exp->name);
      d = buf;
    }
    dir = d;
  }
  printf("kinlab: %s: %zu run%s completed; results in %s/\n", exp->name, exp->n_runs,
         exp->n_runs == 1 ? "" : "s", dir);
}
