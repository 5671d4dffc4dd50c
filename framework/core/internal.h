/* framework/core/internal.h - internal declarations shared by the core files. */
#ifndef KINLAB_CORE_INTERNAL_H
#define KINLAB_CORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <kinlab/kinlab.h>

#include "config.h"

struct kl_log {
  FILE *file;                  /* run-directory log (owned) or NULL          */
  kl_log_level console_level;  /* lowest level printed on stderr             */
  bool console;
  void (*before_console)(void *ctx); /* clears the progress line          */
  void *console_ctx;
};
kl_log *kl_log_new(FILE *file, kl_log_level console_level, bool console);
void kl_log_free(kl_log *log);

struct kl_instance {
  const kl_plugin_info *info;
  kl_params *params;      /* owned */
  void *state;
  bool owns_params;
  size_t n_children;      /* instances created for PLUGIN parameters (owned) */
  struct kl_instance **children;
};

/* Create an instance: nested PLUGIN parameters first (same dimensions), then
 * the plugin's create().  Takes ownership of params (also on failure). */
int kl_instance_create(const kl_plugin_info *info, kl_params *params, const kl_setup *base,
                       kl_instance **out, kl_error *err);


/* Write a file atomically: data goes to PATH.tmp.PID, fsync'ed, renamed. */
typedef struct kl_atomic_file {
  FILE *fp;
  char *path, *tmp_path;
} kl_atomic_file;
int kl_atomic_open(kl_atomic_file *af, const char *path, kl_error *err);
int kl_atomic_commit(kl_atomic_file *af, kl_error *err); /* close + rename */
void kl_atomic_abort(kl_atomic_file *af);                /* close + unlink */
int kl_mkdir_p(const char *path, kl_error *err);
/* OpenMP threads for this process (no-op without OpenMP). */
void kl_set_threads(int threads);
/* snprintf for paths: false (and an empty string) when the result would not fit. */
bool kl_pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Copy a file (used to continue snapshots after a restart). */
int kl_copy_file(const char *from, const char *to, kl_error *err);

/* SHA-256 (FIPS 180-4, sha256.c): one call, or init / update... / final. */
typedef struct kl_sha256_ctx {
  uint32_t h[8];
  uint64_t bytes;         /* message length so far */
  unsigned char block[64];
  size_t fill;            /* bytes waiting in block */
} kl_sha256_ctx;
void kl_sha256_init(kl_sha256_ctx *c);
void kl_sha256_update(kl_sha256_ctx *c, const void *data, size_t n);
void kl_sha256_final(kl_sha256_ctx *c, unsigned char out[32]);
void kl_sha256(const void *data, size_t n, unsigned char out[32]);
/* 64 lower-case hex digits and a NUL. */
void kl_sha256_hex(const unsigned char digest[32], char hex[65]);

/* HDF5 files: snapshots (a group per output time) and checkpoints. */
typedef struct kl_h5 kl_h5;
int kl_h5_create(const char *path, kl_h5 **out, kl_error *err);  /* atomic: tmp + rename */
int kl_h5_reopen_copy(const char *existing, const char *path, kl_h5 **out, kl_error *err);
int kl_h5_commit(kl_h5 *h, kl_error *err);  /* close + rename; frees h */
void kl_h5_abort(kl_h5 *h);                 /* close + unlink; frees h */
/* Open the snapshot group for an output time (index k, time t). */
int kl_h5_begin_snapshot(kl_h5 *h, size_t k, double t, kl_snapshot **snap, kl_error *err);
int kl_h5_end_snapshot(kl_snapshot *snap, kl_error *err);
/* A vector attribute on a dataset of the open snapshot (grid coordinates). */
int kl_snapshot_set_attr(kl_snapshot *snap, const char *dataset, const char *name, size_t n,
                         const double *values, kl_error *err);
/* Plain datasets / attributes at the file root (checkpoints). */
int kl_h5_write_root(kl_h5 *h, const char *name, size_t n, const double *data, kl_error *err);
int kl_h5_read_file(const char *path, const char *name, double *data, size_t n, kl_error *err);
int kl_h5_dataset_size(const char *path, const char *name, size_t *n, kl_error *err);
/* A text as a fixed-length string dataset; read back into a malloc'ed string. */
int kl_h5_write_root_string(kl_h5 *h, const char *name, const char *text, kl_error *err);
int kl_h5_read_file_string(const char *path, const char *name, char **text, kl_error *err);
/* Whether a group or dataset `name` exists in the file at path. */
int kl_h5_has_object(const char *path, const char *name, bool *has, kl_error *err);

#endif
