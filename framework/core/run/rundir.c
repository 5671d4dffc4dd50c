/* rundir.c - run directories: made with a .kinlab-run marker so that --force
 * only ever removes what kinlab made; locked by the process writing them; the
 * experiment copy of a multi-variant run; whether a variant completed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_internal.h"

int kl_run_path(char *out, size_t size, const char *dir, const char *name, kl_error *err) {
  return kl_pathf(out, size, "%s/%s", dir, name)
             ? KL_OK
             : kl_error_set(err, KL_EIO, "path too long: %s/%s", dir, name);
}

bool kl_is_run_dir(const char *dir) {
  char p[PATH_MAX];
  kl_pathf(p, sizeof p, "%s/.kinlab-run", dir);
  return kl_file_exists(p);
}

int kl_remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && !rc) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
      char p[PATH_MAX];
      kl_pathf(p, sizeof p, "%s/%s", path, de->d_name);
      rc = kl_remove_tree(p);
    }
    closedir(d);
    return rc ? rc : rmdir(path);
  }
  return unlink(path);
}

#define LOCK_FILE ".kinlab-run.lock"

/* An exclusive flock(2) on DIR/.kinlab-run.lock, held until kl_run_dir_unlock:
 * a second run, --force or --restart of DIR fails at once.  The descriptor is
 * close-on-exec (the plot tool does not hold it); forked variant processes
 * inherit it, which is harmless: the lock belongs to the open file, is never
 * released with LOCK_UN, and goes only once every copy is closed, so a child's
 * exit leaves the parent's lock in place. */
int kl_run_dir_lock(const char *dir, int *lock_fd, kl_error *err) {
  char p[PATH_MAX];
  int rc = kl_run_path(p, sizeof p, dir, LOCK_FILE, err);
  if (rc) return rc;
  int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return kl_error_set(err, KL_EIO, "cannot open %s: %s", p, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    char pid[32] = "";
    ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    close(fd);
    if (e == EWOULDBLOCK)
      return kl_error_set(err, KL_EIO,
                          "%s is in use by process %s: another kinlab run is writing it (wait "
                          "for it to finish, or stop it)",
                          dir, pid[0] ? pid : "(unknown)");
    return kl_error_set(err, KL_EIO, "cannot lock %s: %s", p, strerror(e));
  }
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  bool wrote = ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) == len;
  (void)wrote; /* without it only a second process's message lacks the pid */
  *lock_fd = fd;
  return KL_OK;
}

void kl_run_dir_unlock(int lock_fd) {
  if (lock_fd >= 0) close(lock_fd); /* not LOCK_UN: see kl_run_dir_lock */
}

/* Remove what DIR holds except its lock file (held by this process). */
static int remove_contents(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *de;
  int rc = 0;
  while ((de = readdir(d)) && !rc) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, LOCK_FILE))
      continue;
    char p[PATH_MAX];
    kl_pathf(p, sizeof p, "%s/%s", dir, de->d_name);
    rc = kl_remove_tree(p);
  }
  closedir(d);
  return rc;
}

/* Whether DIR lies inside a run directory that a process is writing (its lock
 * held): a run written into a variant's directory of a running experiment
 * would be overwritten by it.  Paths are compared as written (made absolute). */
static int check_not_inside_running(const char *dir, kl_error *err) {
  char path[PATH_MAX];
  if (dir[0] == '/') kl_pathf(path, sizeof path, "%s", dir);
  else {
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd) || !kl_pathf(path, sizeof path, "%s/%s", cwd, dir)) return KL_OK;
  }
  for (char *slash = strrchr(path, '/'); slash && slash > path; slash = strrchr(path, '/')) {
    *slash = '\0'; /* path is now the next ancestor */
    char p[PATH_MAX];
    if (!kl_pathf(p, sizeof p, "%s/%s", path, LOCK_FILE)) continue;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    bool busy = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    char pid[32] = "";
    ssize_t n = busy ? pread(fd, pid, sizeof pid - 1, 0) : 0;
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
    close(fd);
    if (busy)
      return kl_error_set(err, KL_EIO,
                          "%s lies inside the run directory %s, which process %s is writing: "
                          "choose an output directory outside it",
                          dir, path, pid[0] ? pid : "(unknown)");
  }
  return KL_OK;
}

/* Make (or with --force empty) the run directory DIR, locked: *lock_fd. */
int kl_prepare_run_dir(const char *dir, const kl_run_options *opt, int *lock_fd, kl_error *err) {
  struct stat st;
  bool empty = true;
  int rc0 = check_not_inside_running(dir, err);
  if (rc0) return rc0;
  if (stat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return kl_error_set(err, KL_EIO, "output directory %s exists and is not a directory", dir);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) empty = false;
    if (d) closedir(d);
    if (!empty) {
      if (!opt->force)
        return kl_error_set(err, KL_EIO,
                            "output directory %s already exists and is not empty: choose "
                            "another with --out DIR, or pass --force to replace it",
                            dir);
      if (!kl_is_run_dir(dir))
        return kl_error_set(err, KL_EIO,
                            "refusing to replace %s with --force: it is not a kinlab run "
                            "directory (no .kinlab-run marker)",
                            dir);
    }
  }
  int rc = kl_mkdir_p(dir, err);
  if (rc) return rc;
  /* Locked before anything is removed, and the directory itself is kept, so
   * a process still writing it is never pulled from under. */
  if ((rc = kl_run_dir_lock(dir, lock_fd, err))) return rc;
  if (!empty && remove_contents(dir) != 0) {
    rc = kl_error_set(err, KL_EIO, "cannot empty %s: %s", dir, strerror(errno));
    goto fail;
  }
  char p[PATH_MAX];
  kl_pathf(p, sizeof p, "%s/.kinlab-run", dir);
  FILE *f = fopen(p, "w");
  if (!f) {
    rc = kl_error_set(err, KL_EIO, "cannot write %s: %s", p, strerror(errno));
    goto fail;
  }
  fprintf(f, "kinlab run directory\n");
  fclose(f);
  return KL_OK;
fail:
  kl_run_dir_unlock(*lock_fd);
  *lock_fd = -1;
  return rc;
}

/* Write the experiment (after --set) so `kinlab run --restart BASE` can
 * continue its unfinished variants. */
int kl_write_experiment_copy(const kl_experiment *exp, const char *base, kl_error *err) {
  char path[PATH_MAX];
  if (!kl_pathf(path, sizeof path, "%s/experiment.yaml", base))
    return kl_error_set(err, KL_EIO, "path too long: %s", base);
  kl_atomic_file af;
  int rc = kl_atomic_open(&af, path, err);
  if (rc) return rc;
  fprintf(af.fp, "# Experiment %s as run by kinlab %s (after --set overrides)\n", exp->name,
          kl_version());
  rc = kl_node_emit_yaml(exp->tree, af.fp, err);
  if (rc) {
    kl_atomic_abort(&af);
    return rc;
  }
  return kl_atomic_commit(&af, err);
}

/* Whether a variant's run directory holds a completed run: a summary.json
 * that reads and checks (kl_summary_read) with status "completed". */
bool kl_variant_completed(const char *dir) {
  char p[PATH_MAX];
  if (!kl_pathf(p, sizeof p, "%s/summary.json", dir) || !kl_file_exists(p)) return false;
  kl_summary s;
  kl_error ignored = {0, ""};
  if (kl_summary_read(p, &s, &ignored) != KL_OK) return false;
  bool completed = kl_summary_completed(&s);
  kl_summary_free(&s);
  return completed;
}

/* Remove what a process killed while writing DIR left behind: its in-progress
 * files NAME.tmp.PID (kl_atomic_open, kl_h5_create) and NAME.publish; pid 0:
 * those of any process (the caller holds the lock, so none is writing). */
void kl_remove_stale_tmp(const char *dir, long pid) {
  DIR *d = opendir(dir);
  if (!d) return;
  char suffix[40];
  snprintf(suffix, sizeof suffix, ".tmp.%ld", pid);
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *name = de->d_name;
    size_t len = strlen(name), sl = strlen(suffix);
    const char *tmp = strstr(name, ".tmp.");
    bool stale = pid > 0 ? len > sl && !strcmp(name + len - sl, suffix)
                         : (tmp && tmp[5] && strspn(tmp + 5, "0123456789") == strlen(tmp + 5));
    stale = stale || (len > 8 && !strcmp(name + len - 8, ".publish"));
    if (!stale) continue;
    char p[PATH_MAX];
    if (kl_pathf(p, sizeof p, "%s/%s", dir, name)) unlink(p);
  }
  closedir(d);
}

/* Whether a variant's run directory holds any published output (a run that
 * published nothing, killed before its first checkpoint, starts afresh). */
bool kl_run_dir_has_outputs(const char *dir) {
  static const char *const files[] = {"checkpoint.h5", "timeseries.csv", "summary.json"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char p[PATH_MAX];
    if (kl_pathf(p, sizeof p, "%s/%s", dir, files[i]) && kl_file_exists(p)) return true;
  }
  return false;
}
