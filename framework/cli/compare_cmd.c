/* compare_cmd.c - placeholder until `kinlab compare` lands (issue 7). */
#include <stdio.h>

#include "cli.h"

int kl_cli_compare(int argc, char **argv);
int kl_cli_compare(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "kinlab: error: compare is not implemented yet\n");
  return 70;
}
