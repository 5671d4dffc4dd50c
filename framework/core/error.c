/* error.c - error reports and logging. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int kl_error_setv(kl_error *err, int code, const char *fmt, va_list ap) {
  if (err) {
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
  }
  return code;
}

int kl_error_set(kl_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kl_error_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

int kl_error_prefix(kl_error *err, const char *fmt, ...) {
  if (!err) return KL_OK;
  char prefix[512], old[KL_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->message, sizeof old);
  /* prefix + ": " + old, truncated to the buffer. */
  size_t lp = strnlen(prefix, sizeof err->message - 3);
  memcpy(err->message, prefix, lp);
  memcpy(err->message + lp, ": ", 2);
  size_t room = sizeof err->message - lp - 3, lo = strnlen(old, room);
  memcpy(err->message + lp + 2, old, lo);
  err->message[lp + 2 + lo] = '\0';
  return err->code;
}

void kl_error_clear(kl_error *err) {
  if (err) {
    err->code = KL_OK;
    err->message[0] = '\0';
  }
}

const char *kl_status_name(int code) {
  switch (code) {
  case KL_OK: return "success";
  case KL_EINVAL: return "invalid input";
  case KL_ENOMEM: return "out of memory";
  case KL_EIO: return "input/output error";
  case KL_EPLUGIN: return "plugin error";
  case KL_ENUMERIC: return "numerical failure";
  case KL_EINTERRUPTED: return "interrupted";
  case KL_ELIMIT: return "limit reached";
  case KL_ENOTSUP: return "not supported";
  case KL_EINTERNAL: return "internal error";
  default: return "unknown error";
  }
}

/* ------------------------------------------------------------------ log */
kl_log *kl_log_new(FILE *file, kl_log_level console_level, bool console) {
  kl_log *log = calloc(1, sizeof *log);
  if (!log) return NULL;
  log->file = file;
  log->console_level = console_level;
  log->console = console;
  return log;
}

void kl_log_free(kl_log *log) {
  if (!log) return;
  if (log->file) fclose(log->file);
  free(log);
}

static const char *level_name(kl_log_level level) {
  switch (level) {
  case KL_LOG_DEBUG: return "debug";
  case KL_LOG_INFO: return "info";
  case KL_LOG_WARN: return "warning";
  default: return "error";
  }
}

void kl_logf(kl_log *log, kl_log_level level, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  bool console = log ? (log->console && level >= log->console_level) : level >= KL_LOG_WARN;
  if (console) {
    if (log && log->before_console) log->before_console(log->console_ctx);
    fprintf(stderr, "kinlab: %s: %s%s\n", level_name(level), log ? log->console_tag : "", msg);
  }
  if (log && log->file) {
    fprintf(log->file, "%s: %s\n", level_name(level), msg);
    fflush(log->file);
  }
}

int kl_error_nomem(kl_error *err) { return kl_error_set(err, KL_ENOMEM, "out of memory"); }
