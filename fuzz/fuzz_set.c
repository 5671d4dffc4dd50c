/* fuzz/fuzz_set.c - libFuzzer target: --set KEY=VALUE override strings.
 * The input is split at newlines into at most 8 overrides applied to a valid
 * base experiment (as `kinlab run base.yaml --set L1 --set L2 ...` would).
 * Build and run: make fuzz FUZZ_SECONDS=600 (tests/robust.mk). */
#include "fuzz_common.h"

static const char base[] =
    "name: base\n"
    "model:\n"
    "  type: fz_model\n"
    "  d: 2\n"
    "  n: 10\n"
    "  v_lo: [-1, -2]\n"
    "  mollifier: {type: fz_moll, scaling: std}\n"
    "  kernel: fz_kernel\n"
    "initial: {type: fz_init, mean: [0, 0]}\n"
    "integrator: {type: fz_euler, dt: 0.1}\n"
    "time: {t_final: 1, output_every: 0.5, outputs: [0.25]}\n"
    "diagnostics: [fz_diag, {type: fz_diag, every: 2}]\n"
    "output: {dir: runs/x, snapshots: false}\n"
    "variants:\n"
    "  - {name: a, set: {model.n: 20}}\n"
    "  - {name: b, set: {integrator.dt: 0.05}}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!fz_reg) fz_reg = fz_registry();
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (fz_refuse(text)) {
    free(text);
    return 0;
  }
  const char *sets[8];
  size_t n = 0;
  for (char *p = text; n < 8;) {
    sets[n++] = p;
    char *nl = strchr(p, '\n');
    if (!nl) break;
    *nl = '\0';
    p = nl + 1;
    if (!*p) break; /* a final newline ends the last override */
  }
  kl_experiment *exp = NULL;
  kl_error err = {0, ""};
  int rc = kl_experiment_load_string(base, "base.yaml", sets, n, fz_reg, &exp, &err);
  if (getenv("FZ_DEBUG")) fprintf(stderr, "rc=%d %s\n", rc, rc ? err.message : "ok");
  if (rc) {
    fz_check_error(rc, &err, "load with --set");
    if (exp) abort();
  } else {
    fz_check_roundtrip(exp);
    kl_experiment_free(exp);
  }
  free(text);
  return 0;
}
