/* files.c - files that are never left half-written, and small file-system
 * helpers (paths, directories, copies, existence).
 *
 * Every output goes to "PATH.tmp.PID" first and is renamed over PATH only once
 * it is complete and flushed, so an interrupted run never leaves a truncated
 * file under a final name (rename(2) is atomic within a file system).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

char *kl_tmp_path(const char *path) {
  size_t len = strlen(path) + 32;
  char *t = malloc(len);
  if (t) snprintf(t, len, "%s.tmp.%ld", path, (long)getpid());
  return t;
}

bool kl_pathf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size) {
    if (size) buf[0] = '\0';
    return false;
  }
  return true;
}

int kl_mkdir_p(const char *path, kl_error *err) {
  char buf[4096];
  if (strlen(path) >= sizeof buf)
    return kl_error_set(err, KL_EIO, "directory name too long: %s", path);
  strcpy(buf, path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return kl_error_set(err, KL_EIO, "cannot create directory %s: %s", buf, strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST)
    return kl_error_set(err, KL_EIO, "cannot create directory %s: %s", buf, strerror(errno));
  struct stat st;
  if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
    return kl_error_set(err, KL_EIO, "%s exists and is not a directory", buf);
  if (access(buf, W_OK) != 0)
    return kl_error_set(err, KL_EIO, "output directory %s is not writable: %s", buf,
                        strerror(errno));
  return KL_OK;
}

int kl_atomic_open(kl_atomic_file *af, const char *path, kl_error *err) {
  memset(af, 0, sizeof *af);
  af->path = strdup(path);
  af->tmp_path = kl_tmp_path(path);
  if (!af->path || !af->tmp_path) {
    free(af->path);
    free(af->tmp_path);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  af->fp = fopen(af->tmp_path, "w");
  if (!af->fp) {
    int rc = kl_error_set(err, KL_EIO, "cannot write %s: %s", af->tmp_path, strerror(errno));
    free(af->path);
    free(af->tmp_path);
    af->path = af->tmp_path = NULL;
    return rc;
  }
  return KL_OK;
}

int kl_atomic_commit(kl_atomic_file *af, kl_error *err) {
  int rc = KL_OK;
  if (!af->fp) return KL_OK;
  if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0)
    rc = kl_error_set(err, KL_EIO, "writing %s failed: %s (disk full?)", af->path,
                      strerror(errno));
  if (fclose(af->fp) != 0 && !rc)
    rc = kl_error_set(err, KL_EIO, "closing %s failed: %s", af->path, strerror(errno));
  af->fp = NULL;
  if (!rc && rename(af->tmp_path, af->path) != 0)
    rc = kl_error_set(err, KL_EIO, "cannot rename %s to %s: %s", af->tmp_path, af->path,
                      strerror(errno));
  if (rc) unlink(af->tmp_path);
  free(af->path);
  free(af->tmp_path);
  af->path = af->tmp_path = NULL;
  return rc;
}

void kl_atomic_abort(kl_atomic_file *af) {
  if (af->fp) fclose(af->fp);
  if (af->tmp_path) unlink(af->tmp_path);
  free(af->path);
  free(af->tmp_path);
  memset(af, 0, sizeof *af);
}

int kl_copy_file(const char *from, const char *to, kl_error *err) {
  FILE *in = fopen(from, "rb");
  if (!in) return kl_error_set(err, KL_EIO, "cannot read %s: %s", from, strerror(errno));
  FILE *out = fopen(to, "wb");
  if (!out) {
    fclose(in);
    return kl_error_set(err, KL_EIO, "cannot write %s: %s", to, strerror(errno));
  }
  char buf[1 << 16];
  size_t n;
  int rc = KL_OK;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) {
      rc = kl_error_set(err, KL_EIO, "writing %s failed: %s", to, strerror(errno));
      break;
    }
  if (ferror(in)) rc = kl_error_set(err, KL_EIO, "reading %s failed", from);
  fclose(in);
  if (fclose(out) != 0 && !rc) rc = kl_error_set(err, KL_EIO, "closing %s failed", to);
  return rc;
}

bool kl_file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}
