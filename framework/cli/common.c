/* common.c - helpers of the kinlab program. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli.h"

void kl_cli_print_summary(const kl_experiment *exp, const kl_run_options *opt) {
  char dir[4096];
  if (!kl_experiment_output_dir(exp, opt, dir, sizeof dir)) return;
  size_t n = kl_experiment_variant_count(exp);
  /* Everything is published: a reader that has gone (kinlab run x | head)
   * must not turn the completed run into death by SIGPIPE (exit 141, which
   * reads as "stopped by a signal").  The process exits right after this. */
  signal(SIGPIPE, SIG_IGN);
  printf("kinlab: %zu run%s completed; results in %s/%s\n", n, n == 1 ? "" : "s", dir,
         n > 1 ? " (comparison.md)" : "");
}

int kl_cli_parse_long(const char *option, const char *text, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end || errno || v < min || v > max) {
    fprintf(stderr, "kinlab: error: %s %s: expected an integer in %ld..%ld\n", option, text, min,
            max);
    return EXIT_USAGE;
  }
  *out = v;
  return 0;
}

int kl_cli_parse_real(const char *option, const char *text, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || !isfinite(v)) {
    fprintf(stderr, "kinlab: error: %s %s: expected a finite number\n", option, text);
    return EXIT_USAGE;
  }
  *out = v;
  return 0;
}

/* ---- can the threads start?  libgomp aborts the process (exit 1, "Thread
 * creation failed") when it cannot create its team, e.g. under `ulimit -v`;
 * so start as many threads once beforehand, each with the default stack libgomp
 * uses too, hold them all, and report a failure as a parameter error. */
typedef struct gate {
  pthread_mutex_t lock;
  pthread_cond_t open;
  bool released;
} gate;

static void *wait_at_gate(void *arg) {
  gate *g = arg;
  pthread_mutex_lock(&g->lock);
  while (!g->released) pthread_cond_wait(&g->open, &g->lock);
  pthread_mutex_unlock(&g->lock);
  return NULL;
}

int kl_cli_no_empty_argument(int argc, char **argv, int first, const char *cmd) {
  for (int i = first; i < argc; i++)
    if (!*argv[i]) {
      /* was "cannot create directory : ..." or ": cannot open", an I/O error */
      fprintf(stderr, "kinlab: error: '%s': argument %d is an empty name (an unset shell "
                      "variable?); see 'kinlab help %s'\n", cmd, i - first + 1, cmd);
      return EXIT_USAGE;
    }
  return 0;
}

int kl_cli_check_threads(const char *what, int threads) {
  if (threads <= 1) return 0;
  pthread_t *ids = malloc((size_t)threads * sizeof *ids);
  if (!ids) {
    fprintf(stderr, "kinlab: error: %s: out of memory for %d thread ids\n", what, threads);
    return EXIT_INPUT;
  }
  gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
  int started = 0, e = 0;
  /* The calling thread is one of the team. */
  while (started < threads - 1 && !(e = pthread_create(&ids[started], NULL, wait_at_gate, &g)))
    started++;
  pthread_mutex_lock(&g.lock);
  g.released = true;
  pthread_cond_broadcast(&g.open);
  pthread_mutex_unlock(&g.lock);
  for (int i = 0; i < started; i++) pthread_join(ids[i], NULL);
  free(ids);
  if (!e) return 0;
  fprintf(stderr,
          "kinlab: error: %s: cannot start %d threads (only %d could: %s); the memory or "
          "process limits (ulimit -v, ulimit -u) allow fewer: use --threads %d or less\n",
          what, threads, started + 1, strerror(e),
          /* half what started, within --threads' own range (it advised 16225) */
          started + 1 > 2 * KL_CLI_MAX_THREADS ? KL_CLI_MAX_THREADS
          : started + 1 > 1                    ? (started + 1) / 2
                                               : 1);
  return EXIT_INPUT;
}

int kl_cli_default_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
