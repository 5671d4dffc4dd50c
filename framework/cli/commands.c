/* commands.c - the table of kinlab's commands: `kinlab --help` is generated
 * from it, and `kinlab NAME` dispatches through it (kinlab.c). */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "cli.h"

const kl_cli_command kl_cli_commands[] = {
    {"run",
     "[FILE] [--out DIR] [--set KEY=VALUE]... [--force] [--quiet]\n"
     "    [--threads N] [--jobs J]\n"
     "--restart RUN_DIR [--set KEY=VALUE]... [--quiet] [--threads N]\n"
     "    [--jobs J]",
     "run an experiment (the embedded default without FILE), J variants at\n"
     "once (default: as cores allow); --restart continues a stopped run from\n"
     "its last checkpoint",
     "  --out DIR          the run directory (default: output.dir, else runs/NAME)\n"
     "  --set KEY=VALUE    override a key of the experiment (repeatable;\n"
     "                     e.g. --set model.n=40, --set integrator.dt=0.005)\n"
     "  --force            replace an existing run directory\n"
     "  --quiet            no progress line and no summary\n"
     "  --threads N        OpenMP threads per run (1..1024)\n"
     "  --jobs J           variants run at once, as processes (1..256)\n"
     "  --restart RUN_DIR  continue RUN_DIR from its checkpoint; --set may change\n"
     "                     only what does not change the results\n",
     kl_cli_run},
    {"validate", "FILE [--set KEY=VALUE]...",
     "check an experiment without running it: the set-up of every variant,\n"
     "no step, no file written",
     "  --set KEY=VALUE    override a key of the experiment (repeatable)\n", kl_cli_validate},
    {"plugins", "[--kind KIND | --describe NAME] [--experiment FILE]\n"
     "--describe FILE.so",
     "list the plugins found (and their files), or describe one's parameters;\n"
     "--describe FILE.so describes every plugin of that module",
     "  --kind KIND        only plugins of KIND (mollifier, kernel, model,\n"
     "                     integrator, initial, diagnostic, comm_weight)\n"
     "  --describe NAME    the parameters of plugin NAME and its module file\n"
     "                     (an unknown NAME: the closest name is suggested)\n"
     "  --describe FILE.so the plugins of the module FILE.so (a path with a /\n"
     "                     or ending in .so)\n"
     "  --experiment FILE  also the plugins of FILE's plugin_path (the rest of\n"
     "                     FILE is not checked)\n",
     kl_cli_plugins},
    {"schema", "[DIR] | --out DIR",
     "write the JSON Schemas of experiment files and of every plugin into DIR\n"
     "(default: schemas)",
     "  DIR, --out DIR     the directory to write (created if needed)\n", kl_cli_schema},
    {"compare", "RUN_DIR [--by KEY[:step|:count]] [--reference REF] [--quiet]",
     "write comparison.csv/.md of a run's variants: errors, drifts, cost and\n"
     "observed orders (kinlab compare --help)",
     NULL, kl_cli_compare},
    {"default", "", "print the embedded default experiment (what `kinlab run` runs)", "",
     kl_cli_default},
    {"bench", "[--n N] [--d D] [--gamma G] [--threads T] [--csv] ...",
     "time the Landau pair sum and mollifier sums against the naive\n"
     "reference (kinlab bench --help)",
     NULL, kl_cli_bench},
    {"check-plugin", "FILE.so [--kind KIND] [--name NAME] [--set KEY=VALUE]...\n"
     "    [--threads N]",
     "conformance tests of a plugin module against the contract of its kind\n"
     "(one PASS/FAIL line per check with the number measured and the\n"
     "tolerance); exit 6 when a check fails",
     "  --kind KIND        only the module's plugins of KIND\n"
     "  --name NAME        only the plugin NAME\n"
     "  --set KEY=VALUE    a parameter of the plugin instead of its default\n"
     "                     (repeatable; VALUE is YAML, e.g. --set gamma=-3)\n"
     "  --threads N        threads of the thread-safety checks (default 4)\n",
     kl_cli_check_plugin},
    {"help", "[COMMAND]", "this text, or the usage and options of COMMAND", "", kl_cli_help},
    {NULL, NULL, NULL, NULL, NULL},
};

const kl_cli_command *kl_cli_find_command(const char *name) {
  for (const kl_cli_command *c = kl_cli_commands; c->name; c++)
    if (!strcmp(c->name, name)) return c;
  return NULL;
}

/* Each line of text on out, after `indent`. */
static void print_indented(FILE *out, const char *indent, const char *text) {
  while (*text) {
    size_t n = strcspn(text, "\n");
    fprintf(out, "%s%.*s\n", indent, (int)n, text);
    text += n;
    if (*text) text++;
  }
}

/* The synopsis lines of cmd: `first` before the first form, `other` before
 * further forms, continuation lines aligned under the arguments. */
static void print_synopsis(const kl_cli_command *cmd, FILE *out, const char *first,
                           const char *other) {
  const char *s = cmd->synopsis;
  size_t forms = 0;
  while (*s) {
    size_t n = strcspn(s, "\n");
    if (*s == ' ') {
      size_t lead = strspn(s, " ");
      fprintf(out, "%*s%.*s\n", (int)(strlen(first) + strlen(cmd->name) + 1), "",
              (int)(n - lead), s + lead);
    } else {
      fprintf(out, "%s%s %.*s\n", forms ? other : first, cmd->name, (int)n, s);
      forms++;
    }
    s += n;
    if (*s) s++;
  }
  if (!forms) fprintf(out, "%s%s\n", first, cmd->name);
}

void kl_cli_command_usage(const kl_cli_command *cmd, FILE *out) {
  print_synopsis(cmd, out, "Usage: kinlab ", "       kinlab ");
  fputc('\n', out);
  print_indented(out, "", cmd->help);
  if (cmd->options && *cmd->options) fprintf(out, "\nOptions:\n%s", cmd->options);
}

void kl_cli_command_list(FILE *out) {
  for (const kl_cli_command *c = kl_cli_commands; c->name; c++) {
    print_synopsis(c, out, "  ", "  ");
    print_indented(out, "      ", c->help);
  }
}
