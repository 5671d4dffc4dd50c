/* fuzz/fuzz_common.h - the oracle shared by the configuration fuzzers.
 *
 * Beyond "no crash, no leak, no UB" (ASan/UBSan), each input must either
 *  - fail with a status a configuration error may have (EINVAL; ENOMEM, EIO
 *    and EPLUGIN are tolerated) and a non-empty message, or
 *  - load, and then every run's resolved configuration (what the runner writes
 *    as config.resolved.yaml) must emit as YAML and load back without error,
 *    because `kinlab run config.resolved.yaml` promises to accept it as it is.
 * A violation aborts, which libFuzzer records as a crash. */
#ifndef KINLAB_FUZZ_COMMON_H
#define KINLAB_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_plugins.h"

static kl_registry *fz_reg;

static void fz_check_error(int rc, const kl_error *err, const char *what) {
  if (rc != KL_EINVAL && rc != KL_ENOMEM && rc != KL_EIO && rc != KL_EPLUGIN) {
    fprintf(stderr, "%s: unexpected status %d: %s\n", what, rc, err->message);
    abort();
  }
  if (err->code != rc || !err->message[0] || !memchr(err->message, 0, sizeof err->message)) {
    fprintf(stderr, "%s: status %d with code %d / empty message\n", what, rc, err->code);
    abort();
  }
}

/* Emit each run's resolved configuration and load it back. */
static void fz_check_roundtrip(const kl_experiment *exp) {
  for (size_t i = 0; i < exp->n_runs; i++) {
    kl_node *res = kl_run_config_resolved(exp, &exp->runs[i]);
    if (!res) abort(); /* no allocation failure under libFuzzer's malloc limit */
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp) abort();
    kl_error err = {0, ""};
    int rc = kl_node_emit_yaml(res, fp, &err);
    fclose(fp);
    kl_node_free(res);
    if (rc) {
      fprintf(stderr, "resolved configuration of run %zu does not emit: %s\n", i, err.message);
      abort();
    }
    kl_experiment *again = NULL;
    rc = kl_experiment_load_string(buf, "<resolved>", NULL, 0, fz_reg, &again, &err);
    if (rc) {
      fprintf(stderr, "resolved configuration of run %zu does not load back: %s\n---\n%s---\n",
              i, err.message, buf);
      abort();
    }
    if (again->n_runs != 1) abort();
    kl_experiment_free(again);
    free(buf);
  }
}

/* Inputs that name plugin files would make the fuzzer dlopen arbitrary
 * libraries from the disk: not what it is here to test. */
static int fz_refuse(const char *text) { return strstr(text, "plugin_path") != NULL; }

#endif
