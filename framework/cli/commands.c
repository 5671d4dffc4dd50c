/* commands.c - the table of commands beyond run/validate/plugins/schema. */
#include <stddef.h>

#include "cli.h"

int kl_cli_compare(int argc, char **argv); /* compare_cmd.c */
int kl_cli_bench(int argc, char **argv);   /* bench_cmd.c */

const kl_cli_command kl_cli_extra_commands[] = {
    {"compare", kl_cli_compare},
    {"bench", kl_cli_bench},
    {NULL, NULL},
};
