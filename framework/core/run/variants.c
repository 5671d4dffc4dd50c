/* variants.c - kl_experiment_run: the dry set-up of every variant, the run
 * directory, the variants run in this process (jobs = 1) or as child
 * processes `jobs` at a time, then the comparison tables and plots.  Under
 * mpirun every rank runs the experiment; rank 0 writes the run directory.
 *
 * Stops: a stop request (kl_request_stop_signal from the CLI's SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT handlers) is forwarded to every running variant process,
 * each writes its checkpoint, no further variant is started, and the result
 * is KL_EINTERRUPTED listing the variants that did not complete.  Variant
 * processes die with the parent (PR_SET_PDEATHSIG: SIGTERM, i.e. a checkpoint). */
#ifdef __linux__
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "kl_autoconf.h"

#include "run_internal.h"
#ifdef KL_HAVE_MPI
#include <mpi.h>
#endif

static void run_plot_tool(const char *dir, bool quiet) {
  const char *tool = getenv("KINLAB_PLOT");
  if (!tool || !*tool) tool = "kinlab-plot";
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "kinlab: warning: plots not made: fork: %s\n", strerror(errno));
    return;
  }
  if (pid == 0) {
    if (quiet) {
      FILE *n = freopen("/dev/null", "w", stdout);
      (void)n;
    }
    execlp(tool, tool, dir, "--format", "png,pdf", (char *)NULL);
    fprintf(stderr, "kinlab: warning: plots not made: cannot run %s: %s (set $KINLAB_PLOT)\n",
            tool, strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 127))
    fprintf(stderr, "kinlab: warning: %s %s failed (exit %d); the run's data are complete\n",
            tool, dir, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

bool kl_experiment_output_dir(const kl_experiment *exp, const kl_run_options *opt, char *buf,
                              size_t size) {
  const char *d = exp->n_runs ? kl_params_string(exp->runs[0].output, "dir") : NULL;
  return opt && opt->restart_dir ? kl_pathf(buf, size, "%s", opt->restart_dir)
         : opt && opt->out_dir   ? kl_pathf(buf, size, "%s", opt->out_dir)
         : d                     ? kl_pathf(buf, size, "%s", d)
                                 : kl_pathf(buf, size, "runs/%s", exp->name);
}

/* ------------------------------------------------------------ cores */
/* Cores this process may run on: its affinity mask (taskset, a batch
 * system's cpuset), not the machine's count. */
static int available_cores(void) {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* OMP_NUM_THREADS as a positive count (its first entry), or 0. */
static int omp_env_threads(void) {
  const char *e = getenv("OMP_NUM_THREADS");
  char *end;
  long v = e ? strtol(e, &end, 10) : 0;
  return e && end != e && v > 0 && v <= 4096 ? (int)v : 0;
}

/* Threads of each variant process when jobs > 1 and --threads is not given:
 * the cores shared out (at least 1), OMP_NUM_THREADS only lowering it, so
 * that jobs x threads <= cores by default. */
static int default_threads_per_job(int cores, int jobs) {
  int per = cores / jobs > 0 ? cores / jobs : 1;
  int env = omp_env_threads();
  return env > 0 && env < per ? env : per;
}

/* An explicit --threads or --jobs that puts more threads than cores to work
 * is the user's choice, but not a silent one: the processes compete for the
 * cores (the results do not change, wall_s grows). */
static void warn_oversubscribed(const kl_run_options *opt, int jobs, int threads, int cores) {
  long total = (long)jobs * threads;
  bool chosen = (opt->threads > 0 && total > cores) || (opt->jobs > 0 && jobs > cores);
  if (!chosen || total <= cores) return;
  char what[96];
  if (opt->threads > 0 && opt->jobs > 0)
    snprintf(what, sizeof what, "--jobs %d --threads %d", opt->jobs, opt->threads);
  else if (opt->threads > 0) snprintf(what, sizeof what, "--threads %d", opt->threads);
  else snprintf(what, sizeof what, "--jobs %d", opt->jobs);
  fprintf(stderr,
          "kinlab: warning: %s: %d run%s at once x %d thread%s = %ld threads on %d available "
          "core%s: they compete for the cores (results unchanged, wall_s grows); by default "
          "jobs x threads <= cores\n",
          what, jobs, jobs == 1 ? "" : "s", threads, threads == 1 ? "" : "s", total, cores,
          cores == 1 ? "" : "s");
}

/* ------------------------------------------------------------ outcomes */
typedef enum outcome { NOT_STARTED, COMPLETED, FAILED, INTERRUPTED } outcome;

typedef struct runner {
  kl_experiment *exp;
  const kl_run_options *opt;
  char base[PATH_MAX];
  outcome *outcome;   /* one per variant */
  size_t failed;
  int first_rc;       /* first failure other than an interruption */
  kl_error first_err;
  kl_error stop_err;  /* a single run's own interruption message */
} runner;

static void variant_dir(const runner *R, size_t i, char *dir, size_t size) {
  if (R->exp->n_runs > 1) kl_pathf(dir, size, "%s/%s", R->base, R->exp->runs[i].variant_name);
  else kl_pathf(dir, size, "%s", R->base);
}

/* Note what variant i's run returned (e->code KL_OK when it completed). */
static void record(runner *R, size_t i, kl_error *e) {
  const char *name = R->exp->runs[i].variant_name;
  bool many = R->exp->n_runs > 1;
  if (e->code == KL_OK) {
    R->outcome[i] = COMPLETED;
    if (many && !R->opt->quiet) fprintf(stderr, "kinlab: variant '%s' completed\n", name);
    return;
  }
  if (e->code == KL_EINTERRUPTED) {
    R->outcome[i] = INTERRUPTED;
    if (!many) R->stop_err = *e;
    return;
  }
  R->outcome[i] = FAILED;
  R->failed++;
  if (many) {
    kl_error_prefix(e, "variant '%s'", name);
    fprintf(stderr, "kinlab: error: %s\n", e->message);
  }
  if (!R->first_rc) {
    R->first_rc = e->code;
    R->first_err = *e;
  }
}

/* The result of a run in which some variant was interrupted or not started:
 * KL_EINTERRUPTED naming them, and how to continue.  dir_ready: the run
 * directory can be continued with --restart. */
static int stopped_result(const runner *R, bool dir_ready, kl_error *err) {
  const kl_experiment *exp = R->exp;
  const char *why = kl_run_stop_requested() ? kl_stop_reason() : NULL;
  if (exp->n_runs == 1) {
    if (R->outcome[0] == INTERRUPTED) {
      *err = R->stop_err;
      return KL_EINTERRUPTED;
    }
    if (dir_ready)
      return kl_error_set(err, KL_EINTERRUPTED,
                          "stopped by %s before the run started: nothing was computed; continue "
                          "with: kinlab run --restart %s",
                          why ? why : "a stop request", R->base);
    return kl_error_set(err, KL_EINTERRUPTED,
                        "stopped by %s before the run started: nothing was computed; run it "
                        "again%s%s",
                        why ? why : "a stop request", kl_is_run_dir(R->base) ? " with --force to replace " : "",
                        kl_is_run_dir(R->base) ? R->base : "");
  }
  char list[KL_ERROR_MESSAGE_MAX / 2] = "";
  size_t used = 0, listed = 0, incomplete = 0;
  for (size_t i = 0; i < exp->n_runs; i++) {
    if (R->outcome[i] == COMPLETED) continue;
    incomplete++;
    static const char *const label[] = {"not started", "", "failed", "interrupted"};
    int w = snprintf(list + used, sizeof list - used, "%s%s (%s)", listed ? ", " : "",
                     exp->runs[i].variant_name, label[R->outcome[i]]);
    if (w < 0 || (size_t)w >= sizeof list - used) {
      list[used] = '\0'; /* no room: the count below says how many are left out */
      continue;
    }
    used += (size_t)w;
    listed++;
  }
  char more[64] = "";
  if (listed < incomplete) snprintf(more, sizeof more, " and %zu more", incomplete - listed);
  char head[64];
  if (why) snprintf(head, sizeof head, "stopped by %s", why);
  else snprintf(head, sizeof head, "interrupted");
  if (!dir_ready)
    return kl_error_set(err, KL_EINTERRUPTED,
                        "%s before any variant started: nothing was computed; run it again",
                        head);
  return kl_error_set(err, KL_EINTERRUPTED,
                      "%s: %zu of %zu variants did not complete: %s%s; continue with: kinlab "
                      "run --restart %s",
                      head, incomplete, exp->n_runs, list, more, R->base);
}

/* ------------------------------------------------------------ processes */
typedef struct child {
  pid_t pid;
  int fd;     /* read end of the pipe carrying the child's kl_error */
  int err_fd; /* read end of its stderr while the progress board is shown, or -1 */
  size_t variant;
} child;

/* Exit status of a variant process that saw the stop request before it began
 * (EX_TEMPFAIL); 3 is the CLI's crash handler's for a plugin crash in create(). */
enum { CHILD_NOT_STARTED = 75, CHILD_PLUGIN_CRASH = 3 };

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_STOP_SIGNALS (sizeof stop_signals / sizeof *stop_signals)

static void stop_signal_set(sigset_t *set) {
  sigemptyset(set);
  for (size_t k = 0; k < N_STOP_SIGNALS; k++) sigaddset(set, stop_signals[k]);
}

/* In a new child: die with the parent.  The parent may have died before
 * prctl; then getppid() is no longer the pid recorded before fork. */
static bool child_bound_to(pid_t parent, int death_signal) {
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, death_signal);
#else
  (void)death_signal;
#endif
  return getppid() == parent;
}

static ssize_t read_full(int fd, void *buf, size_t size) {
  ssize_t got;
  while ((got = read(fd, buf, size)) < 0 && errno == EINTR) {
  }
  return got;
}

static int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

/* The dry set-up of the variants that will run (skip[i]: completed before a
 * restart).  Warnings are not shown: the real run shows them once. */
static int dry_setup_variants(const kl_experiment *exp, const kl_registry *reg, const bool *skip,
                              kl_error *err) {
  kl_log *silent = kl_log_new(NULL, KL_LOG_ERROR, false);
  int rc = KL_OK;
  for (size_t i = 0; i < exp->n_runs && !rc; i++) {
    if (skip[i]) continue;
    rc = run_dry_setup(exp, i, reg, silent, err);
    if (rc && exp->n_runs > 1) kl_error_prefix(err, "variant '%s'", exp->runs[i].variant_name);
  }
  kl_log_free(silent);
  return rc;
}

/* pipe + fork for a child that reports a kl_error: in the parent (*pid > 0)
 * fds[0] is the read end, in the child (*pid == 0) fds[1] the write end. */
static int fork_reporting(int fds[2], pid_t *pid, kl_error *err) {
  if (pipe(fds) != 0) return kl_error_set(err, KL_EIO, "pipe: %s", strerror(errno));
  fflush(NULL);
  *pid = fork();
  if (*pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return kl_error_set(err, KL_EIO, "fork: %s", strerror(e));
  }
  close(fds[*pid == 0 ? 0 : 1]);
  return KL_OK;
}

/* The same in a child process, for a parent that will fork the variants: an
 * OpenMP parallel region run in the parent would hang the children (libgomp
 * does not survive fork). */
static int dry_setup_in_child(const kl_experiment *exp, const kl_registry *reg, const bool *skip,
                              kl_error *err) {
  int fds[2];
  pid_t parent = getpid(), pid;
  int rc = fork_reporting(fds, &pid, err);
  if (rc) return rc;
  if (pid == 0) { /* writes no file: may die at once on any stop signal */
    kl_run_set_wake_fd(-1);
    for (size_t k = 0; k < N_STOP_SIGNALS; k++) { /* one ignored at start stays so (nohup) */
      struct sigaction was;
      if (sigaction(stop_signals[k], NULL, &was) == 0 && was.sa_handler != SIG_IGN)
        signal(stop_signals[k], SIG_DFL);
    }
    if (!child_bound_to(parent, SIGKILL)) _exit(CHILD_NOT_STARTED);
    kl_error e = {0, ""};
    e.code = dry_setup_variants(exp, reg, skip, &e);
    ssize_t w = write(fds[1], &e, sizeof e);
    (void)w;
    _exit(0);
  }
  kl_error e = {0, ""};
  ssize_t got;
  while ((got = read(fds[0], &e, sizeof e)) < 0 && errno == EINTR)
    if (kl_run_stop_requested()) kill(pid, SIGKILL); /* nothing of it to keep */
  close(fds[0]);
  int status = reap(pid);
  if (got == (ssize_t)sizeof e) {
    *err = e;
    return e.code;
  }
  if (kl_run_stop_requested()) return KL_EINTERRUPTED; /* the caller says so */
  if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_PLUGIN_CRASH) /* the handler said which */
    return kl_error_set(err, KL_EPLUGIN, "the set-up of the variants failed (see above)");
  return kl_error_set(err, KL_EINTERNAL, "the process setting up the variants %s",
                      WIFSIGNALED(status) ? "was killed by a signal" : "failed");
}

/* Fork a process running variant i; the caller has blocked the stop signals
 * (old: the mask to restore in the child). */
static int launch(runner *R, size_t i, bool restart, const kl_run_options *copt, child *ch,
                  size_t running, const int wake[2], const sigset_t *old, run_board *board,
                  kl_error *err) {
  char dir[PATH_MAX];
  variant_dir(R, i, dir, sizeof dir);
  int fds[2], errp[2] = {-1, -1};
  if (board->on && pipe(errp) != 0) return kl_error_set(err, KL_EIO, "pipe: %s", strerror(errno));
  run_progress_slot *slot = run_board_slot(board, i);
  pid_t parent = getpid(), pid;
  int rc = fork_reporting(fds, &pid, err);
  if (rc) {
    if (errp[0] >= 0) close(errp[0]), close(errp[1]);
    return rc;
  }
  if (pid == 0) { /* the child runs one variant and reports its kl_error */
    kl_run_set_wake_fd(-1);
    close(wake[0]);
    close(wake[1]);
    for (size_t k = 0; k < running; k++) {
      close(ch[k].fd);
      if (ch[k].err_fd >= 0) close(ch[k].err_fd);
    }
    if (errp[1] >= 0) { /* its messages reach the terminal through the parent's board */
      dup2(errp[1], STDERR_FILENO);
      close(errp[0]);
      close(errp[1]);
    }
    run_progress_set_slot(slot);
    /* SIGTERM: the variant writes its checkpoint when the parent is gone. */
    if (!child_bound_to(parent, SIGTERM)) _exit(CHILD_NOT_STARTED);
    pthread_sigmask(SIG_SETMASK, old, NULL);
    /* A stop the parent saw after its check (in another thread) came with fork. */
    if (kl_run_stop_requested()) _exit(CHILD_NOT_STARTED);
    kl_error e = {0, ""};
    if (copt->threads > 0) kl_set_threads(copt->threads);
    int crc = run_variant(R->exp, i, dir, restart, copt, &e);
    e.code = crc;
    ssize_t w = write(fds[1], &e, sizeof e);
    (void)w;
    _exit(crc ? 1 : 0);
  }
  if (errp[1] >= 0) {
    close(errp[1]);
    fcntl(errp[0], F_SETFL, fcntl(errp[0], F_GETFL) | O_NONBLOCK);
  }
  ch[running] = (child){pid, fds[0], errp[0], i};
  return KL_OK;
}

/* A variant process has reported (or closed its pipe): reap it, write what
 * it left on its stderr pipe, record it. */
static void collect(runner *R, const child *c, run_board *board) {
  kl_error e = {0, ""};
  ssize_t got = read_full(c->fd, &e, sizeof e);
  close(c->fd);
  int status = reap(c->pid);
  if (c->err_fd >= 0) {
    run_board_forward(board, c->variant, c->err_fd, true);
    close(c->err_fd);
  }
  if (got == 0 && WIFEXITED(status) && WEXITSTATUS(status) == CHILD_NOT_STARTED) return;
  if (got != (ssize_t)sizeof e) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_PLUGIN_CRASH) /* the handler said which */
      kl_error_set(&e, KL_EPLUGIN, "a plugin crashed in the process running it");
    else if (WIFSIGNALED(status))
      kl_error_set(&e, KL_EINTERNAL, "the process running it was killed by signal %d (out of "
                   "memory?); kinlab run --restart continues it from its last checkpoint, or "
                   "from the start if it wrote none",
                   WTERMSIG(status));
    else
      kl_error_set(&e, KL_EINTERNAL, "the process running it exited %d without a report",
                   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  if (WIFSIGNALED(status)) { /* it could not clean up after itself */
    char dir[PATH_MAX];
    variant_dir(R, c->variant, dir, sizeof dir);
    kl_remove_stale_tmp(dir, (long)c->pid);
  }
  record(R, c->variant, &e);
}

/* Run the variants not skipped as processes, jobs at a time. */
static int run_processes(runner *R, const bool *skip, const bool *restart_from, int jobs,
                         const kl_run_options *copt, kl_error *err) {
  const size_t n = R->exp->n_runs;
  child *ch = calloc((size_t)jobs, sizeof *ch);
  struct pollfd *pf = calloc(2 * (size_t)jobs + 1, sizeof *pf);
  size_t *shown = calloc((size_t)jobs, sizeof *shown); /* the running variants, for the board */
  int wake[2] = {-1, -1};
  int rc = KL_OK;
  run_board board = {0};
  if (!ch || !pf || !shown) rc = kl_error_set(err, KL_ENOMEM, "out of memory");
  else if (pipe(wake) != 0) rc = kl_error_set(err, KL_EIO, "pipe: %s", strerror(errno));
  else if (run_board_wanted(R->opt->quiet)) {
    kl_error berr;
    if (run_board_open(&board, R->exp, n, &berr)) /* a display, not worth failing the run for */
      fprintf(stderr, "kinlab: warning: no progress display: %s\n", berr.message);
  }
  if (rc) {
    if (wake[0] >= 0) close(wake[0]), close(wake[1]);
    free(ch);
    free(pf);
    free(shown);
    return rc;
  }
  for (int k = 0; k < 2; k++) {
    fcntl(wake[k], F_SETFL, fcntl(wake[k], F_GETFL) | O_NONBLOCK);
    fcntl(wake[k], F_SETFD, FD_CLOEXEC);
  }
  kl_run_set_wake_fd(wake[1]); /* from now on a stop request wakes poll() */
  sigset_t stops, old;
  stop_signal_set(&stops);
  size_t running = 0, next = 0;
  bool forwarded = false;
  for (;;) {
    if (kl_run_stop_requested() && !forwarded) {
      int sig = kl_stop_signal() ? kl_stop_signal() : SIGTERM;
      for (size_t k = 0; k < running; k++) kill(ch[k].pid, sig);
      forwarded = true;
    }
    while (!rc && running < (size_t)jobs && next < n) {
      size_t i = next++;
      if (skip[i]) continue;
      /* Blocked from the check to the child's registration: a stop either
       * prevents the fork or finds the child in ch[] to forward to. */
      pthread_sigmask(SIG_BLOCK, &stops, &old);
      if (kl_run_stop_requested()) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        break;
      }
      rc = launch(R, i, restart_from[i], copt, ch, running, wake, &old, &board, err);
      if (!rc) running++;
      pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (running == 0) break;
    if (board.on) {
      size_t done = 0;
      for (size_t i = 0; i < n; i++) done += R->outcome[i] == COMPLETED || R->outcome[i] == FAILED;
      for (size_t k = 0; k < running; k++) shown[k] = ch[k].variant;
      run_board_draw(&board, shown, running, done, R->failed);
    }
    pf[0] = (struct pollfd){wake[0], POLLIN, 0};
    for (size_t k = 0; k < running; k++) {
      pf[k + 1] = (struct pollfd){ch[k].fd, POLLIN, 0};
      /* fd -1: poll ignores it */
      pf[running + k + 1] = (struct pollfd){ch[k].err_fd, POLLIN, 0};
    }
    /* The board is redrawn at least every 0.25 s; without it, poll sleeps. */
    if (poll(pf, 2 * running + 1, board.on ? 250 : -1) < 0) {
      if (errno == EINTR) continue;
      pf[1].revents = POLLIN; /* cannot poll: wait for the first child instead */
    }
    for (size_t k = 0; k < running; k++)
      if (ch[k].err_fd >= 0 && (pf[running + k + 1].revents & POLLIN))
        run_board_forward(&board, ch[k].variant, ch[k].err_fd, false);
    if (pf[0].revents) {
      char drain[64];
      while (read(wake[0], drain, sizeof drain) > 0) {
      }
    }
    for (size_t k = running; k-- > 0;)
      if (pf[k + 1].revents) {
        run_board_clear(&board); /* record() may print */
        collect(R, &ch[k], &board);
        ch[k] = ch[--running];
      }
  }
  run_board_close(&board);
  kl_run_set_wake_fd(-1);
  close(wake[0]);
  close(wake[1]);
  free(ch);
  free(pf);
  free(shown);
  return rc;
}

/* ------------------------------------------------------------ the run */
int kl_experiment_run(kl_experiment *exp, kl_registry *reg, const kl_run_options *opt,
                      kl_error *err) {
  kl_run_options defaults = {sizeof defaults, NULL, false, false, NULL, 0, 0};
  if (!opt) opt = &defaults;
  runner R;
  memset(&R, 0, sizeof R);
  R.exp = exp;
  bool restart = opt->restart_dir != NULL;
  if (!kl_experiment_output_dir(exp, opt, R.base, sizeof R.base))
    return kl_error_set(err, KL_EIO, "output directory name too long");
  /* Under mpirun every rank runs the experiment (the model splits its work);
   * rank 0 writes the run directory, the others a private scratch one. */
  int rank = 0, ranks = 1;
#ifdef KL_HAVE_MPI
  int mpi_on = 0;
  MPI_Initialized(&mpi_on);
  if (mpi_on) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  }
#endif
  kl_run_options rank_opt = *opt;
  char scratch[64] = "";
  if (ranks > 1) {
    if (restart)
      return kl_error_set(err, KL_EINVAL,
                          "--restart under mpirun is not supported: restart with one process");
    rank_opt.jobs = 1;
    if (rank > 0) {
      snprintf(scratch, sizeof scratch, "/tmp/kinlab-rank%d-XXXXXX", rank);
      if (!mkdtemp(scratch)) return kl_error_set(err, KL_EIO, "mkdtemp: %s", strerror(errno));
      kl_pathf(R.base, sizeof R.base, "%s/run", scratch);
      rank_opt.quiet = true;
    }
    opt = &rank_opt;
  }
  R.opt = opt;
  bool dir_ready = restart; /* whether --restart can continue the run directory */
  const size_t n = exp->n_runs;
  R.outcome = calloc(n ? n : 1, sizeof *R.outcome);
  bool *skip = calloc(n ? n : 1, sizeof *skip);
  bool *restart_from = calloc(n ? n : 1, sizeof *restart_from);
  int rc = KL_OK;
  int lock_fd = -1; /* the base directory's lock (kl_run_dir_lock), held to the end */
  if (!R.outcome || !skip || !restart_from) {
    rc = kl_error_set(err, KL_ENOMEM, "out of memory");
    goto done;
  }
  if (restart && (rc = kl_run_dir_lock(R.base, &lock_fd, err))) goto done;
  /* On restart: completed variants are not run again; a variant never started
   * starts, one that was needs its checkpoint (a missing one is an error). */
  for (size_t i = 0; restart && i < n; i++) {
    char dir[PATH_MAX];
    variant_dir(&R, i, dir, sizeof dir);
    if ((skip[i] = kl_variant_completed(dir))) R.outcome[i] = COMPLETED;
    /* A variant killed before it published anything (no checkpoint, no
     * rows, no summary) has nothing to continue: it starts afresh. */
    if (!skip[i] && kl_file_exists(dir)) kl_remove_stale_tmp(dir, 0);
    restart_from[i] = !skip[i] && kl_file_exists(dir) && kl_run_dir_has_outputs(dir);
  }
  if (opt->threads > 0) kl_set_threads(opt->threads);
  /* Variants run as separate processes, `jobs` at a time: each is
   * deterministic on its own, so the results do not depend on jobs. */
  int cores = available_cores();
  size_t to_run = 0;
  for (size_t i = 0; i < n; i++) to_run += !skip[i];
  int jobs = opt->jobs > 0 ? opt->jobs : cores;
  if ((size_t)jobs > n) jobs = (int)n;
  if (jobs < 1) jobs = 1;
  kl_run_options child_opt = *opt;
  if (jobs > 1) {
    child_opt.quiet = true; /* the parent draws their progress (progress.c) */
    if (child_opt.threads <= 0) child_opt.threads = default_threads_per_job(cores, jobs);
  }
  if (rank == 0 && to_run > 0)
    warn_oversubscribed(opt, jobs, jobs > 1 ? child_opt.threads : (opt->threads > 0 ? opt->threads : 1),
                        cores);
  /* Every variant set up (dry) before any computes or the run directory is
   * touched: a bad last variant is reported at once, and --force does not
   * remove a run for a configuration that cannot start. */
  rc = jobs > 1 ? dry_setup_in_child(exp, reg, skip, err) : dry_setup_variants(exp, reg, skip, err);
  if (rc == KL_EINTERRUPTED && kl_run_stop_requested()) rc = KL_OK; /* reported below */
  if (rc || kl_run_stop_requested()) goto done;
  if (!restart) {
    if ((rc = kl_prepare_run_dir(R.base, opt, &lock_fd, err))) goto done;
    if (n > 1 && (rc = kl_write_experiment_copy(exp, R.base, err))) goto done;
    dir_ready = n > 1;
  }
  if (jobs > 1) {
    rc = run_processes(&R, skip, restart_from, jobs, &child_opt, err);
  } else {
    for (size_t i = 0; i < n && !kl_run_stop_requested(); i++) {
      if (skip[i]) continue;
      char dir[PATH_MAX];
      variant_dir(&R, i, dir, sizeof dir);
      kl_error e = {0, ""};
      e.code = run_variant(exp, i, dir, restart_from[i], opt, &e);
      record(&R, i, &e);
    }
  }
  if (rc) goto done;
  bool complete = true;
  for (size_t i = 0; i < n; i++)
    complete = complete && (R.outcome[i] == COMPLETED || R.outcome[i] == FAILED);
  if (complete && rank == 0) {
    if (n > 1) {
      kl_error e = {0, ""};
      if (kl_compare_run_dir_in(reg, R.base, NULL, NULL, NULL, &e) != KL_OK)
        fprintf(stderr, "kinlab: warning: comparison tables not written: %s\n", e.message);
    }
    if (n && !kl_run_stop_requested() && kl_params_bool(exp->runs[0].output, "plots"))
      run_plot_tool(R.base, opt->quiet);
  }

done:
  if (scratch[0]) kl_remove_tree(scratch);
  if (!rc) {
    bool incomplete = false;
    for (size_t i = 0; i < n; i++)
      incomplete = incomplete || R.outcome[i] == NOT_STARTED || R.outcome[i] == INTERRUPTED;
    if (incomplete) {
      rc = stopped_result(&R, dir_ready, err);
    } else if (R.first_rc) {
      rc = R.first_rc;
      *err = R.first_err;
      if (n > 1) kl_error_prefix(err, "%zu of %zu variants failed; first", R.failed, n);
    }
  }
  kl_run_dir_unlock(lock_fd);
  free(R.outcome);
  free(skip);
  free(restart_from);
  return rc;
}
