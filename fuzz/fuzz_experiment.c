/* fuzz/fuzz_experiment.c - libFuzzer target: bytes -> kl_experiment_load_string.
 * Build and run: make fuzz FUZZ_SECONDS=600 (tests/robust.mk). */
#include "fuzz_common.h"

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
  kl_experiment *exp = NULL;
  kl_error err = {0, ""};
  int rc = kl_experiment_load_string(text, "fuzz.yaml", NULL, 0, fz_reg, &exp, &err);
  if (getenv("FZ_DEBUG")) fprintf(stderr, "rc=%d %s\n", rc, rc ? err.message : "ok");
  if (rc) {
    fz_check_error(rc, &err, "load");
    if (exp) abort(); /* *out must stay NULL on failure */
  } else {
    fz_check_roundtrip(exp);
    kl_experiment_free(exp);
  }
  free(text);
  return 0;
}
