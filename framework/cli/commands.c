/* commands.c - the table of commands beyond run/validate/plugins/schema. */
#include <stddef.h>

#include "cli.h"

const kl_cli_command kl_cli_extra_commands[] = {
    {NULL, NULL},
};
