/* framework/cli/cli.h - pieces of the kinlab program shared by its commands. */
#ifndef KINLAB_CLI_H
#define KINLAB_CLI_H

#include <kinlab/kinlab.h>

int kl_cli_exit_code(int status);
int kl_cli_fail(const kl_error *err); /* prints the error, returns the exit code */
void kl_cli_print_summary(const kl_experiment *exp, const kl_run_options *opt);

/* Further commands (compare, bench, ...), each in its own file. */
typedef struct kl_cli_command {
  const char *name;
  int (*run)(int argc, char **argv);
} kl_cli_command;
extern const kl_cli_command kl_cli_extra_commands[];

#endif
