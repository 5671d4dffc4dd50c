/* kinlab/status.h - status codes, error reports and logging.
 *
 * Every public function returns a kl_status (0 on success) and, when it fails,
 * fills a caller-provided kl_error with a message that names the file, the key
 * and what was expected.  The library never calls exit().
 */
#ifndef KINLAB_STATUS_H
#define KINLAB_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kl_status {
  KL_OK = 0,
  KL_EINVAL = 1,      /* invalid input: configuration, parameter, argument   */
  KL_ENOMEM = 2,      /* out of memory                                       */
  KL_EIO = 3,         /* file or directory could not be read or written      */
  KL_EPLUGIN = 4,     /* plugin could not be loaded or is incompatible       */
  KL_ENUMERIC = 5,    /* NaN/Inf or another numerical failure                */
  KL_EINTERRUPTED = 6,/* stopped by a signal (a checkpoint was written)      */
  KL_ELIMIT = 7,      /* a step, rejection or wall-clock limit was reached   */
  KL_ENOTSUP = 8,     /* operation not supported by this plugin/build        */
  KL_EINTERNAL = 9    /* a bug in kinlab: please report it                   */
} kl_status;

/* Room for a message that quotes a path, a key path and a value. */
#define KL_ERROR_MESSAGE_MAX 2048

typedef struct kl_error {
  int code;                           /* a kl_status */
  char message[KL_ERROR_MESSAGE_MAX]; /* "file:line:col: key: expected ..., found ..." */
} kl_error;

/* Fill err (which may be NULL) and return code. */
int kl_error_set(kl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kl_error_setv(kl_error *err, int code, const char *fmt, va_list ap);
/* Prefix the existing message with "context: " (for call chains). */
int kl_error_prefix(kl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void kl_error_clear(kl_error *err);
/* A short English name for a status code ("invalid input", ...). */
const char *kl_status_name(int code);

/* Logging.  A kl_log is created by the runner (stderr + run-directory log file);
 * plugins receive it in their kl_setup.  A NULL log writes to stderr. */
typedef struct kl_log kl_log;
typedef enum kl_log_level {
  KL_LOG_DEBUG = 0,
  KL_LOG_INFO = 1,
  KL_LOG_WARN = 2,
  KL_LOG_ERROR = 3
} kl_log_level;

void kl_logf(kl_log *log, kl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif /* KINLAB_STATUS_H */
