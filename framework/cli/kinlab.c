/* kinlab.c - the `kinlab` program.
 *
 * Exit codes (also in `kinlab --help` and README.md):
 *   0 success, 1 usage error, 2 invalid experiment or parameter (or one that needs
 *   more memory than is available), 3 plugin error,
 *   4 numerical failure or limit reached, 5 input/output error,
 *   6 a conformance check of check-plugin failed, 70 internal error; 128 + the
 *   signal's number when a signal stopped the run (a checkpoint was written):
 *   129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kinlab/kinlab.h>

#include "cli.h"
#include "internal.h" /* kl_did_you_mean */
#include "kl_autoconf.h"
#ifdef KL_HAVE_MPI
#include <mpi.h>
#endif

int kl_cli_exit_code(int status) {
  switch (status) {
  case KL_OK: return 0;
  case KL_EINVAL:
  case KL_ENOMEM: return EXIT_INPUT; /* parameters that need more memory than there is */
  case KL_EPLUGIN: return EXIT_PLUGIN;
  case KL_ENUMERIC:
  case KL_ELIMIT: return EXIT_NUMERIC;
  case KL_EIO: return EXIT_IO;
  case KL_EINTERRUPTED: return EXIT_INTERRUPTED;
  default: return EXIT_INTERNAL;
  }
}

int kl_cli_fail(const kl_error *err) {
  fprintf(stderr, "kinlab: error: %s\n", err->message[0] ? err->message : kl_status_name(err->code));
  return kl_cli_exit_code(err->code);
}

/* `kinlab --help`: the command table (commands.c), then what holds for all. */
static void usage(FILE *out) {
  fprintf(out, "Usage: kinlab COMMAND [ARGUMENTS] [OPTIONS]\n"
               "       kinlab help COMMAND   (or kinlab COMMAND --help): a command's options\n"
               "\n"
               "Commands:\n");
  kl_cli_command_list(out);
  fprintf(out,
          "  --help, --version\n"
          "\n"
          "Plugins are searched in: the experiment's plugin_path, $KINLAB_PLUGIN_PATH\n"
          "(colon-separated), then %s.  A name found in two different\n"
          "files is an error unless plugin_path names the module file to use.\n"
          "\n"
          "--threads: 1..%d; --jobs: 1..%d; jobs x threads at most %d.\n"
          "\n"
          "Exit codes: 0 success, 1 usage error, 2 invalid experiment or parameter\n"
          "(also one that needs more memory than there is), 3 plugin error, 4 numerical\n"
          "failure or limit reached, 5 input/output error, 6 a check of check-plugin\n"
          "failed, 70 internal error;\n"
          "128 + signal number when stopped by a signal, a checkpoint written:\n"
          "129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM.\n",
          kl_plugindir(), KL_CLI_MAX_THREADS, KL_CLI_MAX_JOBS, KL_CLI_MAX_THREADS);
}

static void on_signal(int sig) { kl_request_stop_signal(sig); }

/* SIGINT, SIGTERM, SIGHUP (terminal closed) and SIGQUIT all stop a run with a
 * checkpoint.  Installed before anything else of the run, and the stop
 * request is never cleared afterwards, so no signal is lost in set-up.  A
 * signal ignored when kinlab starts stays ignored: `nohup kinlab run ... &`
 * must survive the terminal's SIGHUP, and a script's background job the
 * SIGINT of a Ctrl-C (the shell ignores it there); catching them stopped
 * those runs (and a SIGINT in the first milliseconds was lost, later not). */
static void install_stop_handlers(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) sigaddset(&sa.sa_mask, sigs[k]);
  for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) {
    struct sigaction old;
    if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    sigaction(sigs[k], &sa, NULL);
  }
}

/* The exit code of a run: 128 + signal number when a signal stopped it. */
static int run_exit_code(const kl_error *err) {
  int code = kl_cli_fail(err);
  if (err->code == KL_EINTERRUPTED && kl_stop_signal() > 0) code = 128 + kl_stop_signal();
  return code;
}

typedef struct cli_opts {
  const char *out, *restart, *describe, *kind, *experiment;
  const char **sets;
  size_t n_sets;
  bool force, quiet;
  int threads, jobs;
  int first_arg; /* index of the first positional argument */
} cli_opts;

/* Options of the commands run, validate, plugins and schema.  `allowed` lists
 * the short letters the command reads: any other option is refused (a usage
 * error) rather than silently ignored. */
static int parse_opts(int argc, char **argv, const char *cmd, const char *allowed, cli_opts *o) {
  static const struct option longopts[] = {
      {"out", required_argument, NULL, 'o'},      {"set", required_argument, NULL, 's'},
      {"force", no_argument, NULL, 'f'},          {"quiet", no_argument, NULL, 'q'},
      {"restart", required_argument, NULL, 'r'},  {"threads", required_argument, NULL, 't'},
      {"describe", required_argument, NULL, 'd'}, {"kind", required_argument, NULL, 'k'},
      {"jobs", required_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
      {"experiment", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->sets = calloc((size_t)argc + 1, sizeof *o->sets);
  if (!o->sets) return EXIT_INTERNAL;
  optind = 1;
  int c;
  long v;
  while ((c = getopt_long(argc, argv, "o:s:fqr:t:j:d:k:e:h", longopts, NULL)) != -1) {
    if (c != 'h' && c != '?' && !strchr(allowed, c)) {
      const char *name = "?";
      for (size_t i = 0; longopts[i].name; i++)
        if (longopts[i].val == c) name = longopts[i].name;
      fprintf(stderr, "kinlab: error: --%s is not an option of '%s' (it would be ignored); see "
                      "'kinlab help %s'\n", name, cmd, cmd);
      return EXIT_USAGE;
    }
    /* An empty directory name (an unset shell variable) named no directory:
     * it was reported as "cannot create directory : ...", an I/O error. */
    if ((c == 'o' || c == 'r') && !*optarg) {
      fprintf(stderr, "kinlab: error: --%s: expected a directory, found an empty name\n",
              c == 'o' ? "out" : "restart");
      return EXIT_USAGE;
    }
    /* Likewise an empty plugin name or experiment file: it was "no plugin
     * named ''" (exit 3) or ": cannot open" (exit 5). */
    if ((c == 'd' || c == 'e') && !*optarg) {
      fprintf(stderr, "kinlab: error: --%s: expected %s, found an empty name\n",
              c == 'd' ? "describe" : "experiment",
              c == 'd' ? "a plugin name or module file" : "an experiment file");
      return EXIT_USAGE;
    }
    switch (c) {
    case 'o': o->out = optarg; break;
    case 's':
      if (!strchr(optarg, '=')) {
        fprintf(stderr, "kinlab: error: --set %s: expected KEY=VALUE (e.g. --set model.n=40)\n",
                optarg);
        return EXIT_USAGE;
      }
      o->sets[o->n_sets++] = optarg;
      break;
    case 'f': o->force = true; break;
    case 'q': o->quiet = true; break;
    case 'r': o->restart = optarg; break;
    case 't':
      if (kl_cli_parse_long("--threads", optarg, 1, KL_CLI_MAX_THREADS, &v)) return EXIT_USAGE;
      o->threads = (int)v;
      break;
    case 'j':
      if (kl_cli_parse_long("--jobs", optarg, 1, KL_CLI_MAX_JOBS, &v)) return EXIT_USAGE;
      o->jobs = (int)v;
      break;
    case 'd': o->describe = optarg; break;
    case 'k': o->kind = optarg; break;
    case 'e': o->experiment = optarg; break;
    case 'h':
      kl_cli_command_usage(kl_cli_find_command(cmd), stdout);
      exit(0);
    default: fprintf(stderr, "Try 'kinlab help %s'.\n", cmd); return EXIT_USAGE;
    }
  }
  if (o->threads && o->jobs && (long)o->threads * o->jobs > KL_CLI_MAX_THREADS) {
    fprintf(stderr, "kinlab: error: --jobs %d --threads %d: %ld threads in all, expected at "
                    "most %d\n", o->jobs, o->threads, (long)o->threads * o->jobs,
            KL_CLI_MAX_THREADS);
    return EXIT_USAGE;
  }
  o->first_arg = optind;
  return kl_cli_no_empty_argument(argc, argv, optind, cmd);
}

/* A command that takes no positional arguments. */
static int no_arguments(int argc, const cli_opts *o, char **argv, const char *cmd) {
  if (o->first_arg >= argc) return 0;
  fprintf(stderr, "kinlab: error: '%s' takes no argument '%s'; see 'kinlab help %s'\n", cmd,
          argv[o->first_arg], cmd);
  return EXIT_USAGE;
}

static int load_registry(kl_registry **reg, kl_error *err) {
  *reg = kl_registry_new();
  if (!*reg) return kl_error_set(err, KL_ENOMEM, "out of memory");
  return kl_registry_load_default_path(*reg, err);
}

/* Modules skipped and directories missing: not fatal, but never silent. */
static void print_registry_warnings(const kl_registry *reg) {
  for (size_t i = 0; i < kl_registry_warning_count(reg); i++)
    fprintf(stderr, "kinlab: warning: %s\n", kl_registry_warning(reg, i));
}

/* Where a plugin's code comes from, and any other file with its name. */
static void print_plugin_files(const kl_registry *reg, const kl_plugin_info *info,
                               const char *indent, bool full) {
  kl_plugin_source src;
  if (!kl_registry_source(reg, info, &src)) return;
  printf("%sfile: %s\n", indent, src.file);
  if (full)
    printf("%ssha256: %s\n%sABI: %u.%u\n", indent, src.sha256[0] ? src.sha256 : "(compiled in)",
           indent, src.abi_major, src.abi_minor);
  kl_error why = {0, ""};
  bool ambiguous = kl_registry_check_name(reg, info->name, &why) != KL_OK;
  for (size_t k = 0; k < src.n_others; k++)
    printf("%salso: %s (%s)\n", indent, kl_registry_other_file(reg, info->name, k),
           ambiguous ? "different: using this name is an error" : "not used");
  if (ambiguous) fprintf(stderr, "kinlab: warning: %s\n", why.message);
}

/* The plugins (their warnings printed) and the experiment of file (NULL: the
 * default experiment) with the --set options, as run and validate load them. */
static int load_experiment(const char *file, const cli_opts *o, kl_registry **reg,
                           kl_experiment **exp, kl_error *err) {
  int rc = load_registry(reg, err);
  if (!rc && file) rc = kl_experiment_load_file(file, o->sets, o->n_sets, *reg, exp, err);
  else if (!rc)
    rc = kl_experiment_load_string(kl_default_experiment_yaml(), "<default experiment>", o->sets,
                                   o->n_sets, *reg, exp, err);
  print_registry_warnings(*reg);
  return rc;
}

int kl_cli_run(int argc, char **argv) {
  cli_opts o;
  int rc = parse_opts(argc, argv, "run", "osfqrtj", &o);
  if (rc) {
    free(o.sets);
    return rc;
  }
  if (argc - o.first_arg > 1) {
    fprintf(stderr, "kinlab: error: run takes at most one experiment file\n");
    free(o.sets);
    return EXIT_USAGE;
  }
  const char *file = o.first_arg < argc ? argv[o.first_arg] : NULL;
  char resolved[4096];
  if (o.restart) {
    const char *why = file     ? "--restart takes the configuration from the run directory; do "
                                 "not give a FILE"
                      : o.out  ? "--restart continues in the run directory it is given; --out "
                                 "would be ignored"
                      : o.force ? "--restart keeps the run directory; --force (replace it) "
                                  "would be ignored"
                               : NULL;
    if (why) {
      fprintf(stderr, "kinlab: error: %s\n", why);
      free(o.sets);
      return EXIT_USAGE;
    }
    /* Checked before any variant computes: a restart continues what was run,
     * so a variant not started yet must not start as another configuration. */
    for (size_t i = 0; i < o.n_sets; i++) {
      const char *eq = strchr(o.sets[i], '=');
      char key[256];
      snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - o.sets[i]) : (int)strlen(o.sets[i]),
               o.sets[i]);
      if (!kl_restart_may_change(key)) {
        fprintf(stderr,
                "kinlab: error: --set %s: a restart continues the run as it was started; it may "
                "change only %s (to run another configuration, start a new run)\n",
                o.sets[i], kl_restart_may_change_list());
        free(o.sets);
        return EXIT_INPUT;
      }
    }
    snprintf(resolved, sizeof resolved, "%s/config.resolved.yaml", o.restart);
    struct stat st;
    if (stat(resolved, &st) != 0) { /* an experiment with variants keeps its file */
      snprintf(resolved, sizeof resolved, "%s/experiment.yaml", o.restart);
      if (stat(resolved, &st) != 0) {
        fprintf(stderr, "kinlab: error: %s is not a kinlab run directory (no "
                        "config.resolved.yaml or experiment.yaml)\n", o.restart);
        free(o.sets);
        return EXIT_IO;
      }
    }
    file = resolved;
  }
  install_stop_handlers();
  /* Refuse a thread count the limits do not allow before libgomp aborts on it. */
  int team = o.threads ? o.threads : kl_cli_default_threads();
  if ((rc = kl_cli_check_threads(o.threads ? "--threads" : "OpenMP's default thread count",
                                 team))) {
    free(o.sets);
    return rc;
  }
  kl_error err = {0, ""};
  kl_registry *reg = NULL;
  kl_experiment *exp = NULL;
  rc = load_experiment(file, &o, &reg, &exp, &err);
  if (!rc) {
    kl_run_options opt = {sizeof opt, o.out, o.force, o.quiet, o.restart, o.threads, o.jobs};
    rc = kl_experiment_run(exp, reg, &opt, &err);
    int rank = 0;
#ifdef KL_HAVE_MPI
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
#endif
    if (!rc && !o.quiet && rank == 0) kl_cli_print_summary(exp, &opt);
  }
  int code = rc ? run_exit_code(&err) : 0;
  kl_experiment_free(exp);
  kl_registry_free(reg);
  free(o.sets);
  return code;
}

int kl_cli_validate(int argc, char **argv) {
  cli_opts o;
  int rc = parse_opts(argc, argv, "validate", "s", &o);
  if (rc) {
    free(o.sets);
    return rc;
  }
  if (argc - o.first_arg != 1) {
    fprintf(stderr, "kinlab: error: validate takes exactly one experiment file\n");
    free(o.sets);
    return EXIT_USAGE;
  }
  kl_error err = {0, ""};
  kl_registry *reg = NULL;
  kl_experiment *exp = NULL;
  rc = load_experiment(argv[o.first_arg], &o, &reg, &exp, &err);
  /* The dry set-up of every variant, as `run` does it before its first step. */
  if (!rc) rc = kl_experiment_dry_setup(exp, reg, &err);
  int code = rc ? kl_cli_fail(&err) : 0;
  if (!rc)
    printf("%s: valid (%zu run%s)\n", argv[o.first_arg], kl_experiment_variant_count(exp),
           kl_experiment_variant_count(exp) == 1 ? "" : "s");
  kl_experiment_free(exp);
  kl_registry_free(reg);
  free(o.sets);
  return code;
}

/* A --describe argument that names a module file rather than a plugin. */
static bool names_module(const char *arg) {
  size_t n = strlen(arg);
  return strchr(arg, '/') || (n > 3 && !strcmp(arg + n - 3, ".so"));
}

/* `kinlab plugins --describe NAME`: the plugin NAME of reg, or "did you mean". */
static int describe_plugin(const kl_registry *reg, const char *name) {
  const kl_plugin_info *info = kl_registry_find(reg, name);
  if (!info) {
    const char *names[512];
    size_t n = kl_registry_names(reg, 0, names, sizeof names / sizeof *names);
    const char *near = kl_did_you_mean(name, names, n);
    fprintf(stderr, "kinlab: error: no plugin named '%s'%s%s%s; see 'kinlab plugins' (the "
                    "plugins of an experiment's plugin_path: --experiment FILE)\n", name,
            near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return EXIT_PLUGIN;
  }
  kl_describe_plugin(info, stdout);
  printf("\nmodule:\n");
  print_plugin_files(reg, info, "  ", true);
  return 0;
}

/* `kinlab plugins --describe FILE.so`: every plugin the module provides, read
 * from the module alone (not the search path). */
static int describe_module(const char *file) {
  kl_error err = {0, ""};
  kl_registry *alone = kl_registry_new();
  int rc = alone ? kl_registry_load_file(alone, file, &err)
                 : kl_error_set(&err, KL_ENOMEM, "out of memory");
  int code = rc ? kl_cli_fail(&err) : 0;
  if (!rc && kl_registry_count(alone) == 0) {
    fprintf(stderr, "kinlab: error: %s provides no plugin\n", file);
    code = EXIT_PLUGIN;
  }
  for (size_t i = 0; !rc && i < kl_registry_count(alone); i++) {
    if (i) printf("\n");
    describe_plugin(alone, kl_registry_at(alone, i)->name);
  }
  kl_registry_free(alone);
  return code;
}

int kl_cli_plugins(int argc, char **argv) {
  cli_opts o;
  int rc = parse_opts(argc, argv, "plugins", "dke", &o);
  if (!rc) rc = no_arguments(argc, &o, argv, "plugins");
  if (!rc && o.describe && o.kind) {
    fprintf(stderr, "kinlab: error: --describe shows one plugin whatever its kind; --kind "
                    "filters the list: give one of them\n");
    rc = EXIT_USAGE;
  }
  if (!rc && o.describe && o.experiment && names_module(o.describe)) {
    fprintf(stderr, "kinlab: error: --describe %s names a module file, described alone; "
                    "--experiment would be ignored\n", o.describe);
    rc = EXIT_USAGE;
  }
  if (rc) {
    free(o.sets);
    return rc;
  }
  if (o.describe && names_module(o.describe)) {
    free(o.sets);
    return describe_module(o.describe);
  }
  kl_error err = {0, ""};
  kl_registry *reg = NULL;
  rc = load_registry(&reg, &err);
  /* An experiment's plugin_path entries after the standard path, as a run
   * loads them (load_experiment). */
  if (!rc && o.experiment) rc = kl_experiment_load_plugin_path(o.experiment, reg, &err);
  print_registry_warnings(reg);
  int code = 0;
  int kind = 0;
  if (!rc && o.kind && !(kind = kl_kind_from_name(o.kind))) {
    fprintf(stderr, "kinlab: error: --kind %s: expected one of mollifier, kernel, model, "
                    "integrator, initial, diagnostic, comm_weight\n", o.kind);
    code = EXIT_USAGE;
  } else if (rc) {
    code = kl_cli_fail(&err);
  } else if (o.describe) {
    code = describe_plugin(reg, o.describe);
  } else {
    for (int k = 1; k <= KL_KIND_COUNT; k++) {
      if (kind && k != kind) continue;
      bool header = false;
      for (size_t i = 0; i < kl_registry_count(reg); i++) {
        const kl_plugin_info *info = kl_registry_at(reg, i);
        if ((int)info->kind != k) continue;
        if (!header) printf("%s:\n", kl_kind_name((kl_kind)k));
        header = true;
        printf("  %-22s %s\n", info->name, info->summary ? info->summary : "");
        print_plugin_files(reg, info, "                         ", false);
      }
    }
    if (kl_registry_count(reg) == 0)
      fprintf(stderr, "kinlab: warning: no plugins found (searched $KINLAB_PLUGIN_PATH and %s)\n",
              kl_plugindir());
  }
  kl_registry_free(reg);
  free(o.sets);
  return code;
}

int kl_cli_schema(int argc, char **argv) {
  cli_opts o;
  int rc = parse_opts(argc, argv, "schema", "o", &o);
  /* The directory: `kinlab schema DIR` or `kinlab schema --out DIR`, once. */
  const char *dir = o.out;
  if (!rc && o.first_arg < argc) {
    if (o.out || argc - o.first_arg > 1) {
      fprintf(stderr, "kinlab: error: 'schema' takes one directory, as DIR or as --out DIR; "
                      "found '%s' and '%s'\n", o.out ? o.out : argv[o.first_arg],
              o.out ? argv[o.first_arg] : argv[o.first_arg + 1]);
      rc = EXIT_USAGE;
    }
    dir = argv[o.first_arg];
  }
  if (rc) {
    free(o.sets);
    return rc;
  }
  if (!dir) dir = "schemas";
  kl_error err = {0, ""};
  kl_registry *reg = NULL;
  rc = load_registry(&reg, &err);
  if (!rc) rc = kl_schema_write_all(reg, dir, &err);
  int code = rc ? kl_cli_fail(&err) : 0;
  if (!rc) printf("schemas written to %s/\n", dir);
  kl_registry_free(reg);
  free(o.sets);
  return code;
}

static int dispatch(int argc, char **argv);

/* A plugin that crashes takes the process with it (plugins run in-process);
 * at least say which one and exit with the plugin-error code instead of dying
 * silently.  Only async-signal-safe calls (write, _exit) here. */
static void say(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void on_fatal_signal(int sig) {
  const char *what = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS"
                   : sig == SIGFPE  ? "SIGFPE"  : "SIGILL";
  const char *plugin = kl_plugin_in_create();
  say("kinlab: error: crashed with ");
  say(what);
  if (plugin) {
    say(" in create() of plugin '");
    say(plugin);
    say("'");
    /* The creates it runs inside, innermost first: they are not to blame. */
    const char *outer;
    for (unsigned depth = 1; (outer = kl_plugin_in_create_at(depth)); depth++) {
      say(depth == 1 ? " (called from create() of '" : ", in create() of '");
      say(outer);
      say("'");
    }
    say(kl_plugin_in_create_at(1) ? ")" : "");
    say(": a bug in that plugin; outputs under temporary names were not published\n");
  } else {
    say(" (a bug in a plugin or in kinlab; please report it with the experiment file)\n");
  }
  _exit(plugin ? EXIT_PLUGIN : EXIT_INTERNAL);
}

static void install_crash_handlers(void) {
  static char alt_stack[1 << 16]; /* a stack overflow must still reach the handler */
  stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
}

/* With --enable-mpi, kinlab runs under mpirun: MPI is initialised here (one
 * thread calls MPI; OpenMP threads only compute), results printed by rank 0. */
/* What a command printed may be its result (kinlab default > exp.yaml, a
 * check-plugin report): a write that failed (a full disk) must not exit 0
 * with the file cut short.  A reader that has gone (EPIPE: kinlab run x |
 * head, SIGPIPE ignored for the last line of a completed run) is no error. */
static int finish_stdout(int code) {
  errno = 0;
  bool failed = fflush(stdout) != 0 || ferror(stdout);
  int e = errno;
  if (!failed || e == EPIPE) return code;
  fprintf(stderr, "kinlab: error: writing the standard output failed%s%s: what it printed is "
                  "incomplete\n", e ? ": " : "", e ? strerror(e) : "");
  return code ? code : EXIT_IO;
}

int main(int argc, char **argv) {
  /* Not under sanitizers: they report crashes better themselves. */
  if (!getenv("KL_NO_CRASH_HANDLER")) install_crash_handlers();
#ifdef KL_HAVE_MPI
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int code = dispatch(argc, argv);
  MPI_Finalize();
  return finish_stdout(code);
#else
  return finish_stdout(dispatch(argc, argv));
#endif
}

int kl_cli_default(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--help")) {
    kl_cli_command_usage(kl_cli_find_command("default"), stdout);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "kinlab: error: 'default' takes no arguments (found '%s')\n", argv[1]);
    return EXIT_USAGE;
  }
  fputs(kl_default_experiment_yaml(), stdout);
  return 0;
}

/* "unknown command 'X' (did you mean 'Y'?); commands: ..." */
static int unknown_command(const char *name) {
  const char *names[32] = {NULL};
  size_t n = 0;
  for (const kl_cli_command *c = kl_cli_commands; c->name && n < 32; c++) names[n++] = c->name;
  const char *m = kl_did_you_mean(name, names, n);
  fprintf(stderr, "kinlab: error: unknown command '%s'", name);
  if (m) fprintf(stderr, " (did you mean '%s'?)", m);
  fputs("; commands:", stderr);
  for (size_t i = 0; i < n; i++) fprintf(stderr, "%s %s", i ? "," : "", names[i]);
  fputs(" (kinlab --help)\n", stderr);
  return EXIT_USAGE;
}

int kl_cli_help(int argc, char **argv) {
  if (argc < 2) {
    usage(stdout);
    return 0;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h")) name = "help"; /* kinlab help --help */
  if (argc > 2) {
    fprintf(stderr, "kinlab: error: 'help' takes one command (found '%s' and '%s')\n", argv[1],
            argv[2]);
    return EXIT_USAGE;
  }
  const kl_cli_command *cmd = kl_cli_find_command(name);
  if (!cmd) return unknown_command(name);
  if (cmd->options) {
    kl_cli_command_usage(cmd, stdout);
    return 0;
  }
  char help_opt[] = "--help";
  char *args[] = {argv[1], help_opt, NULL}; /* the command's own, longer help */
  return cmd->run(2, args);
}

static int dispatch(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h")) name = "help";
  if (!strcmp(name, "--version")) {
    if (argc > 2) {
      fprintf(stderr, "kinlab: error: '%s' takes no arguments (found '%s')\n", name, argv[2]);
      return EXIT_USAGE;
    }
    printf("kinlab %s (plugin ABI %u.%u)\n", kl_version(), KL_ABI_MAJOR, KL_ABI_MINOR);
    return 0;
  }
  const kl_cli_command *cmd = kl_cli_find_command(name);
  if (!cmd) return unknown_command(name);
  return cmd->run(argc - 1, argv + 1);
}
