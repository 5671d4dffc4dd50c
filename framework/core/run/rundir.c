/* rundir.c - run directories: made with a .kinlab-run marker so that --force
 * only ever removes what kinlab made; the experiment copy of a multi-variant
 * run; whether a variant completed. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_internal.h"

int kl_run_path(char *out, size_t size, const char *dir, const char *name, kl_error *err) {
  return kl_pathf(out, size, "%s/%s", dir, name)
             ? KL_OK
             : kl_error_set(err, KL_EIO, "path too long: %s/%s", dir, name);
}

bool kl_file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
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

int kl_prepare_run_dir(const char *dir, const kl_run_options *opt, kl_error *err) {
  struct stat st;
  if (stat(dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return kl_error_set(err, KL_EIO, "output directory %s exists and is not a directory", dir);
    DIR *d = opendir(dir);
    bool empty = true;
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
      if (kl_remove_tree(dir) != 0)
        return kl_error_set(err, KL_EIO, "cannot remove %s: %s", dir, strerror(errno));
    }
  }
  int rc = kl_mkdir_p(dir, err);
  if (rc) return rc;
  char p[PATH_MAX];
  kl_pathf(p, sizeof p, "%s/.kinlab-run", dir);
  FILE *f = fopen(p, "w");
  if (!f) return kl_error_set(err, KL_EIO, "cannot write %s: %s", p, strerror(errno));
  fprintf(f, "kinlab run directory\n");
  fclose(f);
  return KL_OK;
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

/* Whether a variant's run directory holds a completed run. */
bool kl_variant_completed(const char *dir) {
  char p[PATH_MAX];
  if (!kl_pathf(p, sizeof p, "%s/summary.json", dir)) return false;
  FILE *f = fopen(p, "r");
  if (!f) return false;
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return strstr(buf, "\"status\": \"completed\"") != NULL;
}
