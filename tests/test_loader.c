/* test_loader.c - the plugin loader's error paths and the registry rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
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

/* Two directories of the search path providing one name with different
 * bytes: the name is ambiguous, using it is an error naming both files, until
 * one file is named explicitly (pinned). */
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
  CU_ASSERT_EQUAL(kl_registry_check_name(reg, "same_name", &err), KL_EPLUGIN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "provided by two different files"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, la));
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, lb));
  kl_plugin_source src;
  CU_ASSERT_FATAL(kl_registry_source(reg, kl_registry_find(reg, "same_name"), &src));
  CU_ASSERT_EQUAL(src.n_others, 1);
  CU_ASSERT_PTR_NOT_NULL(kl_registry_other_file(reg, "same_name", 0));
  CU_ASSERT_PTR_NULL(kl_registry_other_file(reg, "same_name", 1));
  /* Naming a file pins it: no ambiguity, that one is used. */
  CU_ASSERT_EQUAL(kl_registry_load_file(reg, src_a, &err), KL_OK);
  CU_ASSERT_STRING_EQUAL(kl_registry_find(reg, "same_name")->summary, "first");
  CU_ASSERT_EQUAL(kl_registry_check_name(reg, "same_name", &err), KL_OK);
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, "/nonexistent-dir", true, &err), KL_EPLUGIN);
  CU_ASSERT_EQUAL(kl_registry_warning_count(reg), 0);
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, "/nonexistent-dir", false, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_registry_warning_count(reg), 1); /* not silent */
  CU_ASSERT_PTR_NOT_NULL(strstr(kl_registry_warning(reg, 0), "/nonexistent-dir does not exist"));
  kl_registry_free(reg);
  unlink(la);
  unlink(lb);
  rmdir(a);
  rmdir(b);
}

/* The same bytes in two directories (a directory listed twice, a copy): no
 * ambiguity, the first one is used. */
static void test_identical_copies(void) {
  char a[] = "/tmp/kinlab-test-dirA-XXXXXX", b[] = "/tmp/kinlab-test-dirB-XXXXXX";
  CU_ASSERT_FATAL(mkdtemp(a) && mkdtemp(b));
  char la[4200], lb[4200];
  snprintf(la, sizeof la, "%s/x.so", a);
  snprintf(lb, sizeof lb, "%s/x.so", b);
  CU_ASSERT(symlink(module("dup_a"), la) == 0);
  CU_ASSERT(symlink(module("dup_a"), lb) == 0);
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, a, true, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, b, true, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_registry_check_name(reg, "same_name", &err), KL_OK);
  kl_registry_free(reg);
  unlink(la);
  unlink(lb);
  rmdir(a);
  rmdir(b);
}

/* A module that does not load is skipped with a warning naming it; the other
 * modules of the directory load, and the name it may provide is refused. */
static void test_broken_module_skipped(void) {
  char dir[] = "/tmp/kinlab-test-broken-XXXXXX";
  CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
  char bad[4200], good[4200];
  snprintf(bad, sizeof bad, "%s/my_kernel.so", dir);
  snprintf(good, sizeof good, "%s/z.so", dir); /* sorted after the broken one */
  FILE *f = fopen(bad, "w");
  CU_ASSERT_FATAL(f != NULL);
  fputs("not an ELF file\n", f);
  fclose(f);
  CU_ASSERT(symlink(module("dup_a"), good) == 0);
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_registry_load_dir(reg, dir, true, &err), KL_OK);
  CU_ASSERT_PTR_NOT_NULL(kl_registry_find(reg, "same_name"));
  CU_ASSERT_EQUAL(kl_registry_warning_count(reg), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(kl_registry_warning(reg, 0), bad));
  CU_ASSERT_PTR_NOT_NULL(strstr(kl_registry_warning(reg, 0), "not an ELF"));
  CU_ASSERT_EQUAL(kl_registry_check_name(reg, "my_kernel", &err), KL_EPLUGIN);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, bad));
  CU_ASSERT_EQUAL(kl_registry_check_name(reg, "same_name", &err), KL_OK);
  kl_registry_free(reg);
  unlink(bad);
  unlink(good);
  rmdir(dir);
}

/* Provenance: absolute file, SHA-256 of its bytes, ABI; compiled-in plugins
 * have no hash. */
static void test_plugin_source(void) {
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  char cwd[4096], rel[8300];
  CU_ASSERT_FATAL(getcwd(cwd, sizeof cwd) != NULL);
  CU_ASSERT_EQUAL_FATAL(kl_registry_load_file(reg, module("dup_b"), &err), KL_OK);
  kl_plugin_source src;
  CU_ASSERT_FATAL(kl_registry_source(reg, kl_registry_find(reg, "same_name"), &src));
  char *abs = realpath(module("dup_b"), NULL);
  CU_ASSERT_STRING_EQUAL(src.file, abs);
  char hex[KL_SHA256_HEX_SIZE];
  CU_ASSERT_EQUAL(kl_sha256_file(abs, hex, &err), KL_OK);
  CU_ASSERT_STRING_EQUAL(src.sha256, hex);
  CU_ASSERT_EQUAL(strlen(src.sha256), 64);
  CU_ASSERT_EQUAL(src.abi_major, KL_ABI_MAJOR);
  CU_ASSERT_EQUAL(src.n_others, 0);
  free(abs);
  kl_registry_free(reg);
  /* A relative path is recorded absolute. */
  reg = kl_registry_new();
  CU_ASSERT_FATAL(chdir(kl_test_builddir()) == 0);
  snprintf(rel, sizeof rel, "tests/modules/.libs/dup_a.so");
  CU_ASSERT_EQUAL(kl_registry_load_file(reg, rel, &err), KL_OK);
  CU_ASSERT_FATAL(kl_registry_source(reg, kl_registry_find(reg, "same_name"), &src));
  CU_ASSERT_EQUAL(src.file[0], '/');
  CU_ASSERT_FATAL(chdir(cwd) == 0);
  kl_registry_free(reg);
}

/* FIPS 180-4 / NIST example vectors, whole and fed in uneven pieces. */
static void test_sha256_vectors(void) {
  static const struct {
    const char *msg;
    const char *digest;
  } v[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
       "lmnopqrsmnopqrstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"}};
  char hex[KL_SHA256_HEX_SIZE];
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
    kl_sha256_hex(v[i].msg, strlen(v[i].msg), hex);
    CU_ASSERT_STRING_EQUAL(hex, v[i].digest);
    kl_sha256_ctx s;
    kl_sha256_init(&s);
    for (size_t k = 0, step = 1; k < strlen(v[i].msg); k += step, step = step % 7 + 1) {
      size_t left = strlen(v[i].msg) - k;
      kl_sha256_update(&s, v[i].msg + k, step < left ? step : left);
    }
    kl_sha256_final_hex(&s, hex);
    CU_ASSERT_STRING_EQUAL(hex, v[i].digest);
  }
  /* One million 'a', in blocks of 1000. */
  char block[1000];
  memset(block, 'a', sizeof block);
  kl_sha256_ctx s;
  kl_sha256_init(&s);
  for (int i = 0; i < 1000; i++) kl_sha256_update(&s, block, sizeof block);
  kl_sha256_final_hex(&s, hex);
  CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* The digest over the plugins of a run: independent of the roles' order,
 * different when the plugins differ. */
static const char *run_digest(const char *diagnostics, char out[KL_SHA256_HEX_SIZE]) {
  char yaml[2048];
  snprintf(yaml, sizeof yaml,
           "model: {type: landau_particles, d: 2, n: 4, kernel: {type: power_law, gamma: 0}}\n"
           "initial: {type: bkw}\nintegrator: {type: euler, dt: 0.01}\n"
           "time: {t_final: 0.05}\ndiagnostics: %s\n",
           diagnostics);
  kl_experiment *exp = NULL;
  kl_error err = {0, ""};
  out[0] = '\0';
  if (kl_experiment_load_string(yaml, "t.yaml", NULL, 0, kl_test_registry(), &exp, &err)) {
    fprintf(stderr, "\n%s\n", err.message);
    return out;
  }
  const kl_provenance *p = exp->runs[0].plugins;
  snprintf(out, KL_SHA256_HEX_SIZE, "%s", kl_provenance_digest(p));
  CU_ASSERT(p->n >= 5); /* model, its kernel and mollifier, initial, integrator */
  CU_ASSERT_STRING_EQUAL(p->items[0].role, "model");
  bool kernel_seen = false;
  for (size_t i = 0; i < p->n; i++) {
    kernel_seen |= !strcmp(p->items[i].role, "model.kernel") &&
                   !strcmp(p->items[i].name, "power_law") && strlen(p->items[i].sha256) == 64;
    CU_ASSERT_EQUAL(p->items[i].file[0], '/');
  }
  CU_ASSERT(kernel_seen);
  kl_experiment_free(exp);
  return out;
}

static void test_provenance_digest(void) {
  char d1[KL_SHA256_HEX_SIZE], d2[KL_SHA256_HEX_SIZE], d3[KL_SHA256_HEX_SIZE];
  run_digest("[bkw_error, particles]", d1);
  run_digest("[particles, bkw_error]", d2);
  run_digest("[particles]", d3);
  CU_ASSERT_EQUAL(strlen(d1), 64);
  CU_ASSERT_STRING_EQUAL(d1, d2);
  CU_ASSERT_STRING_NOT_EQUAL(d1, d3);
}

/* The stack of plugins in create(): a create() that creates another instance
 * is still named after that one returns. */
static const char *seen_inner[2], *seen_outer_after;
static int create_inner(const kl_setup *s, void **state, kl_error *err) {
  (void)s; (void)err;
  *state = NULL;
  seen_inner[0] = kl_plugin_in_create_at(0);
  seen_inner[1] = kl_plugin_in_create_at(1);
  return KL_OK;
}
static double density_one(void *s, const double *x, const double *v) {
  (void)s; (void)x; (void)v;
  return 1;
}
static const kl_initial_ops nest_ops = {sizeof(kl_initial_ops), density_one, NULL, NULL, NULL, NULL, NULL};
static const kl_plugin_info inner = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "inner", "inner", NULL,
                                     &nest_ops, create_inner, NULL};
static int create_outer(const kl_setup *s, void **state, kl_error *err) {
  (void)s;
  *state = NULL;
  kl_registry *reg = kl_registry_new();
  kl_instance *inst = NULL;
  int rc = kl_registry_add(reg, &inner, "test", err);
  if (!rc) rc = kl_instance_from_yaml(reg, KL_KIND_INITIAL, "{type: inner}", 1, 0, NULL, NULL,
                                      &inst, err);
  kl_instance_free(inst);
  kl_registry_free(reg);
  seen_outer_after = kl_plugin_in_create();
  return rc;
}
static const kl_plugin_info outer = {KL_PLUGIN_HEADER, KL_KIND_INITIAL, "outer", "outer", NULL,
                                     &nest_ops, create_outer, NULL};

static void test_create_stack(void) {
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_registry_add(reg, &outer, "test", &err), KL_OK);
  kl_instance *inst = NULL;
  CU_ASSERT_EQUAL(kl_instance_from_yaml(reg, KL_KIND_INITIAL, "{type: outer}", 1, 0, NULL, NULL,
                                        &inst, &err),
                  KL_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(seen_inner[0]);
  CU_ASSERT_STRING_EQUAL(seen_inner[0], "inner");
  CU_ASSERT_PTR_NOT_NULL_FATAL(seen_inner[1]);
  CU_ASSERT_STRING_EQUAL(seen_inner[1], "outer");
  CU_ASSERT_PTR_NOT_NULL_FATAL(seen_outer_after);
  CU_ASSERT_STRING_EQUAL(seen_outer_after, "outer");
  CU_ASSERT_PTR_NULL(kl_plugin_in_create()); /* nothing in create() now */
  kl_instance_free(inst);
  kl_registry_free(reg);
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
static const kl_kernel_ops incomplete_ops = {sizeof(kl_kernel_ops), NULL, NULL, NULL, NULL};
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

/* Every rule of kinds.h the loader checks refuses a module that breaks it, at
 * load, naming the file (expect_load_error) and the rule. */
static void test_kind_rules(void) {
  static const char *const needles[] = {
      NULL,
      "plugin 'broken_rule' (mollifier): REQUIRED operation 'cutoff' is missing",
      "(model) breaks a rule of its kind: a model declares an INT parameter 'd'",
      "(model) breaks a rule of its kind: a model declares an INT parameter 'd'",
      "a model's parameter 'dim_x' (the space dimension, 0..3), when declared, is an INT",
      "a model with n_parts must provide part_step or part_rhs",
      "a model with invariant_names must provide invariants",
      "(integrator) breaks a rule of its kind: an integrator declares a REAL parameter 'dt'",
      "an integrator's parameter 'dt_max' (largest step), when declared, is a REAL",
      "plugin 'broken_rule' (kernel): REQUIRED operation 'weight' is missing",
      "plugin 'broken_rule' (comm_weight): REQUIRED operation 'support' is missing"};
  for (int rule = 1; rule <= 10; rule++) {
    char name[32];
    snprintf(name, sizeof name, "broken_rule_%d", rule);
    expect_load_error(module(name), needles[rule]);
  }
}

/* The same rules at creation, for descriptors that never went through the
 * loader (kl_registry_add): a model without `d`; a diagnostic whose columns()
 * reports columns but that has no observe (a rule that needs the state). */
static size_t two_columns(void *s, const char *const **names) {
  static const char *const n[] = {"a", "b"};
  (void)s;
  *names = n;
  return 2;
}
static size_t no_columns(void *s, const char *const **names) {
  (void)s, (void)names;
  return 0;
}
static size_t model_size(void *s) { (void)s; return 1; }
static int model_initial(void *s, double *t0, double *y, kl_error *err) {
  (void)s, (void)t0, (void)err;
  y[0] = 0;
  return KL_OK;
}
static int model_rhs(void *s, double t, const double *y, double *dydt, kl_error *err) {
  (void)s, (void)t, (void)y, (void)err;
  dydt[0] = 0;
  return KL_OK;
}
static int model_view(void *s, const double *y, kl_view *v, kl_error *err) {
  (void)s, (void)y, (void)v, (void)err;
  return KL_OK;
}

static void test_kind_rules_at_create(void) {
  static const kl_diagnostic_ops diag_cols = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES,
                                              two_columns, NULL, NULL};
  static const kl_diagnostic_ops diag_none = {sizeof(kl_diagnostic_ops), KL_VIEW_PARTICLES,
                                              no_columns, NULL, NULL};
  static const kl_model_ops model_ops = {sizeof(kl_model_ops), model_size, model_initial,
                                         model_rhs, NULL, NULL, NULL, NULL, model_view, NULL,
                                         NULL, NULL, NULL};
  static const kl_plugin_info infos[] = {
      {KL_PLUGIN_HEADER, KL_KIND_DIAGNOSTIC, "cols_no_observe", "", NULL, &diag_cols, NULL, NULL},
      {KL_PLUGIN_HEADER, KL_KIND_DIAGNOSTIC, "no_cols_no_observe", "", NULL, &diag_none, NULL,
       NULL},
      {KL_PLUGIN_HEADER, KL_KIND_MODEL, "model_without_d", "", NULL, &model_ops, NULL, NULL}};
  static const struct {
    int kind;
    const char *yaml, *needle;
  } cases[] = {{KL_KIND_DIAGNOSTIC, "{type: cols_no_observe}",
                "a diagnostic with columns (2) must provide observe"},
               {KL_KIND_DIAGNOSTIC, "{type: no_cols_no_observe}", NULL},
               {KL_KIND_MODEL, "{type: model_without_d}", "declares an INT parameter 'd'"}};
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  for (size_t i = 0; i < sizeof infos / sizeof *infos; i++)
    CU_ASSERT_EQUAL(kl_registry_add(reg, &infos[i], "test", &err), KL_OK);
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    kl_instance *inst = NULL;
    err = (kl_error){0, ""};
    int rc = kl_instance_from_yaml(reg, cases[c].kind, cases[c].yaml, 2, 0, NULL, NULL, &inst,
                                   &err);
    CU_ASSERT_EQUAL(rc, cases[c].needle ? KL_EPLUGIN : KL_OK);
    if (cases[c].needle && !strstr(err.message, cases[c].needle)) {
      fprintf(stderr, "\nmessage '%s' lacks '%s'\n", err.message, cases[c].needle);
      CU_FAIL("message lacks the rule");
    }
    CU_ASSERT((inst == NULL) == (cases[c].needle != NULL));
    kl_instance_free(inst);
  }
  kl_registry_free(reg);
}

/* A module built against ABI 1.1 (shorter tables) loads under 1.2: the new
 * OPTIONAL operations are absent, the deprecated kernel pair still says
 * "power law", and the host's half-mass radius works from the old profile. */
static void test_abi_1_1_module(void) {
  kl_registry *reg = kl_registry_new();
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_registry_load_file(reg, module("abi_1_1"), &err), KL_OK);
  CU_ASSERT_EQUAL(kl_registry_count(reg), 3);
  kl_plugin_source src;
  CU_ASSERT_FATAL(kl_registry_source(reg, kl_registry_find(reg, "old_kernel"), &src));
  CU_ASSERT_EQUAL(src.abi_minor, 1);
  kl_instance *m = NULL, *k = NULL, *i = NULL;
  CU_ASSERT_EQUAL(kl_instance_from_yaml(reg, KL_KIND_MOLLIFIER, "{type: old_mollifier}", 2, 0,
                                        NULL, NULL, &m, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_instance_from_yaml(reg, KL_KIND_KERNEL, "{type: old_kernel}", 2, 0, NULL,
                                        NULL, &k, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_instance_from_yaml(reg, KL_KIND_INITIAL, "{type: old_initial}", 2, 0, NULL,
                                        NULL, &i, &err), KL_OK);
  if (m && k && i) {
    CU_ASSERT_FALSE(kl_mollifier_has_width(m));
    CU_ASSERT(isnan(kl_mollifier_width(m, 2, 1.0)));
    CU_ASSERT_FALSE(kl_mollifier_is_separable(m));
    KL_ASSERT_CLOSE(kl_mollifier_half_mass_radius(m, 2, 1.0), sqrt(2 * log(2.0)), 1e-10);
    double C = 0, gamma = 0, mass = 0, value = 0;
    CU_ASSERT_EQUAL(kl_kernel_power_law(k, &C, &gamma), KL_OK);
    CU_ASSERT_EQUAL(C, 0.5);
    CU_ASSERT_EQUAL(gamma, -2);
    CU_ASSERT_EQUAL(kl_initial_mass(i, &mass), KL_ENOTSUP);
    CU_ASSERT_EQUAL(kl_initial_exact_parameter(i, "landau_gamma", &value), KL_ENOTSUP);
    CU_ASSERT_EQUAL(kl_initial_density(i, NULL, (double[2]){0, 0}), 1);
  }
  kl_instance_free(m);
  kl_instance_free(k);
  kl_instance_free(i);
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
      {"search path shadowing is ambiguous unless pinned", test_search_path_shadowing},
      {"identical copies are not ambiguous", test_identical_copies},
      {"a broken module is skipped with a warning", test_broken_module_skipped},
      {"plugin source: file, sha256, ABI", test_plugin_source},
      {"SHA-256 FIPS 180-4 vectors", test_sha256_vectors},
      {"provenance digest of a run", test_provenance_digest},
      {"stack of plugins in create()", test_create_stack},
      {"build-tree plugins", test_build_tree_plugins},
      {"kind names", test_kind_names},
      {"required operations", test_required_ops},
      {"rules of each kind, at load", test_kind_rules},
      {"rules of each kind, at create", test_kind_rules_at_create},
      {"a module built against ABI 1.1 loads", test_abi_1_1_module},
      CU_TEST_INFO_NULL};
  static CU_SuiteInfo suites[] = {{"loader", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
  return kl_test_main(suites);
}
