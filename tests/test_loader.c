/* test_loader.c - the plugin loader's error paths and the registry rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char module_path[4096];

static const char *module(const char *name) {
  snprintf(module_path, sizeof module_path, "%s/tests/modules/.libs/%s.so", kl_test_builddir(),
           name);
  return module_path;
}

/* Load `name` into a fresh registry; expect failure with `needle` in the message. */
static void expect_load_error(const char *path, const char *needle) {
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  int rc = kl_registry_load_file(reg, path, &err);
  CU_ASSERT_EQUAL(rc, KL_EPLUGIN);
  CU_ASSERT_EQUAL(err.code, KL_EPLUGIN);
  if (!strstr(err.message, needle)) {
    fprintf(stderr, "\nmessage '%s' lacks '%s'\n", err.message, needle);
    CU_FAIL("message lacks the expected words");
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, path)); /* names the file */
  CU_ASSERT_EQUAL(kl_registry_count(reg), 0);
  kl_registry_free(reg);
}

static void test_missing_file(void) { expect_load_error("/nonexistent/x.so", "No such file"); }

static void test_not_shared_object(void) {
  char path[] = "/tmp/kinlab-test-garbage-XXXXXX.so";
  int fd = mkstemps(path, 3);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT(write(fd, "this is not an ELF file\n", 24) == 24);
  close(fd);
  expect_load_error(path, "cannot load plugin");
  unlink(path);
}

static void test_wrong_abi(void) { expect_load_error(module("wrong_abi"), "ABI 99.0"); }
static void test_struct_too_small(void) { expect_load_error(module("small_struct"), "too small"); }
static void test_missing_entry(void) {
  expect_load_error(module("no_entry"), "missing entry symbol 'kinlab_plugin_entry'");
}
static void test_undefined_symbol(void) {
  expect_load_error(module("undefined_symbol"), "kinlab_test_function_that_does_not_exist");
}

static void test_duplicate_name(void) {
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_registry_load_file(reg, module("dup_a"), &err), KL_OK);
  CU_ASSERT_EQUAL(kl_registry_count(reg), 1);
  char first[4096];
  snprintf(first, sizeof first, "%s", module("dup_a"));
  CU_ASSERT_EQUAL(kl_registry_load_file(reg, module("dup_b"), &err), KL_EPLUGIN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "duplicate plugin name 'same_name'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, first));
  CU_ASSERT_EQUAL(kl_registry_count(reg), 1);
  CU_ASSERT_STRING_EQUAL(kl_registry_find(reg, "same_name")->summary, "first");
  kl_registry_free(reg);
}

/* Two directories of the search path: the earlier one shadows the later. */
static void test_search_path_shadowing(void) {
  char a[] = "/tmp/kinlab-test-dirA-XXXXXX", b[] = "/tmp/kinlab-test-dirB-XXXXXX";
  CU_ASSERT_FATAL(mkdtemp(a) && mkdtemp(b));
  char la[4200], lb[4200];
  snprintf(la, sizeof la, "%s/x.so", a);
  snprintf(lb, sizeof lb, "%s/x.so", b);
  char src_a[4096], src_b[4096];
  snprintf(src_a, sizeof src_a, "%s", module("dup_a"));
  snprintf(src_b, sizeof src_b, "%s", module("dup_b"));
  CU_ASSERT(symlink(src_a, la) == 0);
  CU_ASSERT(symlink(src_b, lb) == 0);
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, b, true, &err), KL_OK); /* b ranks first */
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, a, true, &err), KL_OK);
  CU_ASSERT_STRING_EQUAL(kl_registry_find(reg, "same_name")->summary, "second");
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, "/nonexistent-dir", true, &err), KL_EPLUGIN);
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, "/nonexistent-dir", false, &err), KL_OK);
  kl_registry_free(reg);
  unlink(la);
  unlink(lb);
  rmdir(a);
  rmdir(b);
}

/* The build tree's plugins are found through $KINLAB_PLUGIN_PATH. */
static void test_build_tree_plugins(void) {
  kl_registry *reg = kl_test_registry();
  CU_ASSERT(kl_registry_count(reg) > 0);
  for (size_t i = 0; i < kl_registry_count(reg); i++) {
    const kl_plugin_info *info = kl_registry_at(reg, i);
    CU_ASSERT_EQUAL(info->abi_major, KL_ABI_MAJOR);
    CU_ASSERT_PTR_NOT_NULL(kl_kind_name(info->kind));
    CU_ASSERT_PTR_NOT_NULL(info->summary);
    CU_ASSERT_PTR_EQUAL(kl_registry_find(reg, info->name), info);
  }
}

static void test_kind_names(void) {
  for (int k = 1; k <= KL_KIND_COUNT; k++)
    CU_ASSERT_EQUAL(kl_kind_from_name(kl_kind_name((kl_kind)k)), k);
  CU_ASSERT_EQUAL(kl_kind_from_name("nonsense"), 0);
  CU_ASSERT_PTR_NULL(kl_kind_name((kl_kind)0));
}

/* A compiled-in descriptor with a REQUIRED op missing is refused at creation. */
static const kl_kernel_ops incomplete_ops = {sizeof(kl_kernel_ops), NULL, NULL, NULL};
static const kl_plugin_info incomplete = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "incomplete",
                                          "no weight op", NULL, &incomplete_ops, NULL, NULL};

static void test_required_ops(void) {
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_registry_add(reg, &incomplete, "test", &err), KL_OK);
  kl_instance *inst = NULL;
  int rc = kl_instance_from_yaml(reg, KL_KIND_KERNEL, "{type: incomplete}", 2, 0, NULL, NULL,
                                 &inst, &err);
  CU_ASSERT_EQUAL(rc, KL_EPLUGIN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "REQUIRED operation 'weight'"));
  CU_ASSERT_PTR_NULL(inst);
  kl_registry_free(reg);
}

int main(void) {
  static CU_TestInfo tests[] = {
      {"missing file", test_missing_file},
      {"not a shared object", test_not_shared_object},
      {"wrong ABI major", test_wrong_abi},
      {"descriptor too small", test_struct_too_small},
      {"missing entry symbol", test_missing_entry},
      {"undefined symbol fails at load (RTLD_NOW)", test_undefined_symbol},
      {"duplicate plugin name", test_duplicate_name},
      {"search path shadowing", test_search_path_shadowing},
      {"build-tree plugins", test_build_tree_plugins},
      {"kind names", test_kind_names},
      {"required operations", test_required_ops},
      CU_TEST_INFO_NULL};
  static CU_SuiteInfo suites[] = {{"loader", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
  return kl_test_main(suites);
}
