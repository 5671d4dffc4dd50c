/* variants.c - kl_experiment_run: the run directory of an experiment, its
 * variants run in this process (jobs = 1) or as child processes, `jobs` at a
 * time, then the comparison tables and plots.  Under mpirun every rank runs
 * the experiment; rank 0 writes the run directory. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

typedef struct child {
  pid_t pid;
  int fd; /* read end of the pipe carrying the child's kl_error */
  size_t variant;
} child;

bool kl_experiment_output_dir(const kl_experiment *exp, const kl_run_options *opt, char *buf,
                              size_t size) {
  const char *d = exp->n_runs ? kl_params_string(exp->runs[0].output, "dir") : NULL;
  return opt && opt->restart_dir ? kl_pathf(buf, size, "%s", opt->restart_dir)
         : opt && opt->out_dir   ? kl_pathf(buf, size, "%s", opt->out_dir)
         : d                     ? kl_pathf(buf, size, "%s", d)
                                 : kl_pathf(buf, size, "runs/%s", exp->name);
}

int kl_experiment_run(kl_experiment *exp, kl_registry *reg, const kl_run_options *opt,
                      kl_error *err) {
  (void)reg;
  kl_run_options defaults = {sizeof defaults, NULL, false, false, NULL, 0, 0};
  if (!opt) opt = &defaults;
  char base[PATH_MAX];
  bool restart = opt->restart_dir != NULL;
  if (!kl_experiment_output_dir(exp, opt, base, sizeof base))
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
      kl_pathf(base, sizeof base, "%s/run", scratch);
      rank_opt.quiet = true;
    }
    opt = &rank_opt;
  }
  int rc, lock_fd = -1; /* the base directory's lock, held to the end */
  rc = restart ? kl_run_dir_lock(base, &lock_fd, err) : kl_prepare_run_dir(base, opt, &lock_fd, err);
  if (!rc && !restart && exp->n_runs > 1) rc = kl_write_experiment_copy(exp, base, err);
  if (rc) {
    kl_run_dir_unlock(lock_fd);
    return rc;
  }
  kl_run_clear_stop();
  if (opt->threads > 0) kl_set_threads(opt->threads);
  /* Variants run as separate processes, `jobs` at a time: each is
   * deterministic on its own, so the results do not depend on jobs. */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1) cores = 1;
  int jobs = opt->jobs > 0 ? opt->jobs : (int)cores;
  if ((size_t)jobs > exp->n_runs) jobs = (int)exp->n_runs;
  if (jobs < 1) jobs = 1;
  kl_run_options child_opt = *opt;
  if (jobs > 1) {
    child_opt.quiet = true; /* one progress line per variant would interleave */
    if (child_opt.threads <= 0) child_opt.threads = (int)(cores / jobs > 0 ? cores / jobs : 1);
  }
  int first_rc = KL_OK;
  kl_error first_err = {0, ""};
  size_t failed = 0, next = 0, running = 0;
  child *children = calloc((size_t)jobs, sizeof *children);
  if (!children) {
    kl_run_dir_unlock(lock_fd);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  for (;;) {
    /* Launch while there is room. */
    while (running < (size_t)jobs && next < exp->n_runs && !kl_run_stop_requested()) {
      size_t i = next++;
      char dir[PATH_MAX];
      if (exp->n_runs > 1) kl_pathf(dir, sizeof dir, "%s/%s", base, exp->runs[i].variant_name);
      else kl_pathf(dir, sizeof dir, "%s", base);
      bool this_restart = false;
      if (restart) {
        if (kl_variant_completed(dir)) continue; /* not run again */
        /* A variant never started is started; one that was needs its checkpoint. */
        this_restart = kl_file_exists(dir);
      }
      if (jobs == 1) { /* in this process */
        kl_error e = {0, ""};
        rc = run_variant(exp, i, dir, this_restart, opt, &e);
        if (rc) {
          failed++;
          if (exp->n_runs > 1) {
            kl_error_prefix(&e, "variant '%s'", exp->runs[i].variant_name);
            if (rc != KL_EINTERRUPTED) fprintf(stderr, "kinlab: error: %s\n", e.message);
          }
          if (!first_rc) {
            first_rc = rc;
            first_err = e;
          }
        } else if (exp->n_runs > 1 && !opt->quiet) {
          fprintf(stderr, "kinlab: variant '%s' completed\n", exp->runs[i].variant_name);
        }
        continue;
      }
      int fds[2];
      if (pipe(fds) != 0) {
        free(children);
        kl_run_dir_unlock(lock_fd);
        return kl_error_set(err, KL_EIO, "pipe: %s", strerror(errno));
      }
      fflush(NULL);
      pid_t pid = fork();
      if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(children);
        kl_run_dir_unlock(lock_fd);
        return kl_error_set(err, KL_EIO, "fork: %s", strerror(errno));
      }
      if (pid == 0) { /* the child runs one variant and reports its kl_error */
        close(fds[0]);
        kl_error e = {0, ""};
        if (child_opt.threads > 0) kl_set_threads(child_opt.threads);
        int crc = run_variant(exp, i, dir, this_restart, &child_opt, &e);
        e.code = crc;
        ssize_t w = write(fds[1], &e, sizeof e);
        (void)w;
        close(fds[1]);
        free(children);
        _exit(crc ? 1 : 0);
      }
      close(fds[1]);
      children[running++] = (child){pid, fds[0], i};
    }
    if (running == 0) break;
    /* Wait for any child, then collect it. */
    int status;
    pid_t done = wait(&status);
    if (done < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t k = 0; k < running; k++) {
      if (children[k].pid != done) continue;
      kl_error e = {0, ""};
      ssize_t got = read(children[k].fd, &e, sizeof e);
      close(children[k].fd);
      if (got != (ssize_t)sizeof e)
        kl_error_set(&e, KL_EINTERNAL, "the process running it %s",
                     WIFSIGNALED(status) ? "was killed by a signal" : "failed");
      size_t i = children[k].variant;
      if (e.code) {
        failed++;
        kl_error_prefix(&e, "variant '%s'", exp->runs[i].variant_name);
        if (e.code != KL_EINTERRUPTED) fprintf(stderr, "kinlab: error: %s\n", e.message);
        if (!first_rc) {
          first_rc = e.code;
          first_err = e;
        }
      } else if (!opt->quiet) {
        fprintf(stderr, "kinlab: variant '%s' completed\n", exp->runs[i].variant_name);
      }
      children[k] = children[--running];
      break;
    }
  }
  free(children);
  if (exp->n_runs > 1 && !kl_run_stop_requested() && rank == 0) {
    kl_error e = {0, ""};
    if (kl_compare_run_dir(base, &e) != KL_OK)
      fprintf(stderr, "kinlab: warning: comparison tables not written: %s\n", e.message);
  }
  if (rank == 0 && !kl_run_stop_requested() && exp->n_runs && kl_params_bool(exp->runs[0].output, "plots"))
    run_plot_tool(base, opt->quiet);
  if (scratch[0]) kl_remove_tree(scratch);
  if (first_rc) {
    *err = first_err;
    if (exp->n_runs > 1 && first_rc != KL_EINTERRUPTED)
      kl_error_prefix(err, "%zu of %zu variants failed; first", failed, exp->n_runs);
  }
  kl_run_dir_unlock(lock_fd);
  return first_rc;
}
