/* testutil.c - helpers shared by the CUnit suites. */
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/Basic.h>

#include "testutil.h"

static kl_registry *test_registry;

static void free_registry(void) {
  kl_registry_free(test_registry);
  test_registry = NULL;
}

kl_registry *kl_test_registry(void) {
  if (!test_registry) {
    kl_error err = {0, ""};
    test_registry = kl_registry_new();
    if (kl_registry_load_default_path(test_registry, &err) != KL_OK)
      fprintf(stderr, "test registry: %s\n", err.message);
    atexit(free_registry);
  }
  return test_registry;
}

int kl_test_instance_status(int kind, const char *yaml, unsigned dim_v, unsigned dim_x,
                            kl_instance *initial, kl_instance *model, kl_instance **out,
                            kl_error *err) {
  return kl_instance_from_yaml(kl_test_registry(), kind, yaml, dim_v, dim_x, initial, model,
                               out, err);
}

kl_instance *kl_test_instance(int kind, const char *yaml, unsigned dim_v, unsigned dim_x,
                              kl_instance *initial, kl_instance *model) {
  kl_error err = {0, ""};
  kl_instance *inst = NULL;
  if (kl_test_instance_status(kind, yaml, dim_v, dim_x, initial, model, &inst, &err) != KL_OK) {
    char msg[KL_ERROR_MESSAGE_MAX + 64];
    snprintf(msg, sizeof msg, "instance %s: %s", yaml, err.message);
    fprintf(stderr, "%s\n", msg);
    CU_FAIL(msg);
    return NULL;
  }
  return inst;
}

const char *kl_test_srcdir(void) {
  const char *s = getenv("KL_TOP_SRCDIR");
  return s ? s : ".";
}

const char *kl_test_builddir(void) {
  const char *s = getenv("KL_TOP_BUILDDIR");
  return s ? s : ".";
}

int kl_test_main(CU_SuiteInfo *suites) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  if (CU_register_suites(suites) != CUE_SUCCESS) {
    fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
    CU_cleanup_registry();
    return 1;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
