/* framework/cli/cli.h - pieces of the kinlab program shared by its commands. */
#ifndef KINLAB_CLI_H
#define KINLAB_CLI_H

#include <stdio.h>

#include <kinlab/kinlab.h>

/* Exit codes (kinlab --help, README.md). */
enum { EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_PLUGIN = 3, EXIT_NUMERIC = 4, EXIT_IO = 5,
       EXIT_CHECK = 6, /* check-plugin: a conformance check failed */
       EXIT_INTERNAL = 70, EXIT_INTERRUPTED = 130 };

/* Thread counts above this are refused as usage errors (--threads, bench
 * --threads, --jobs x --threads): far beyond any machine's cores, and each
 * thread reserves a stack. */
#define KL_CLI_MAX_THREADS 1024
#define KL_CLI_MAX_JOBS 256

int kl_cli_exit_code(int status);
int kl_cli_fail(const kl_error *err); /* prints the error, returns the exit code */
void kl_cli_print_summary(const kl_experiment *exp, const kl_run_options *opt);
/* Option values: the whole text an integer in min..max / a finite number;
 * else print "OPTION TEXT: expected ..." and return EXIT_USAGE. */
int kl_cli_parse_long(const char *option, const char *text, long min, long max, long *out);
int kl_cli_parse_real(const char *option, const char *text, double *out);
/* Start `threads` threads at once and stop them: 0, or print why they cannot
 * all start (a memory or process limit) naming `what` and return EXIT_INPUT. */
int kl_cli_check_threads(const char *what, int threads);
int kl_cli_default_threads(void); /* OpenMP's team size without --threads */
/* Positional arguments argv[first..argc): 0, or print that an empty one (an
 * unset shell variable) names no file and return EXIT_USAGE. */
int kl_cli_no_empty_argument(int argc, char **argv, int first, const char *cmd);

/* The commands: one table (commands.c) from which `kinlab --help`, `kinlab
 * help COMMAND` and the dispatch are made.  A command's `run` gets argv from
 * its own name on (argv[0] is the name). */
typedef struct kl_cli_command {
  const char *name;
  /* The arguments after the name, one form a line; a line that starts with a
   * space continues the form before it. */
  const char *synopsis;
  const char *help;    /* what it does: lines of at most 72 characters */
  /* "  --opt ARG   what it does" lines for `kinlab help NAME`, or NULL when
   * the command prints its own longer help (`kinlab NAME --help`). */
  const char *options;
  int (*run)(int argc, char **argv);
} kl_cli_command;
extern const kl_cli_command kl_cli_commands[]; /* ends with a NULL name */
const kl_cli_command *kl_cli_find_command(const char *name);
/* Usage of one command (synopsis, help, options) on out. */
void kl_cli_command_usage(const kl_cli_command *cmd, FILE *out);
/* Every command's synopsis and help, for `kinlab --help`. */
void kl_cli_command_list(FILE *out);

/* The commands (kinlab.c, compare_cmd.c, bench_cmd.c). */
int kl_cli_run(int argc, char **argv);
int kl_cli_validate(int argc, char **argv);
int kl_cli_plugins(int argc, char **argv);
int kl_cli_schema(int argc, char **argv);
int kl_cli_default(int argc, char **argv);
int kl_cli_help(int argc, char **argv);
int kl_cli_compare(int argc, char **argv);
int kl_cli_bench(int argc, char **argv);
int kl_cli_check_plugin(int argc, char **argv); /* check_plugin_cmd.c */

#endif
