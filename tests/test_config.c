/* test_config.c - the configuration layer: YAML trees, parameter validation,
 * experiments (--set, variants, sweeps), resolved configurations, schemas.
 *
 * Error messages are compared with their exact FILE:LINE:COL so that a wrong
 * position is caught.  Small fake plugins are registered on a private
 * registry: the suite does not depend on the real plugins.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h" /* config.h, kl_did_you_mean */
#include "testutil.h"

/* ---------------------------------------------------------- fake plugins */
static const kl_model_ops model_ops = {.struct_size = sizeof(kl_model_ops)};
static const kl_mollifier_ops moll_ops = {.struct_size = sizeof(kl_mollifier_ops)};
static const kl_kernel_ops kern_ops = {.struct_size = sizeof(kl_kernel_ops)};
static const kl_initial_ops init_ops = {.struct_size = sizeof(kl_initial_ops)};
static const kl_integrator_ops integ_ops = {.struct_size = sizeof(kl_integrator_ops)};
static const kl_diagnostic_ops diag_ops = {.struct_size = sizeof(kl_diagnostic_ops)};

static const kl_param_spec model_params[] = {
    {"d", KL_PARAM_INT, "2", 1, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "velocity dimension"},
    {"n", KL_PARAM_INT, NULL, 1, 0, KL_PARAM_HAS_MIN | KL_PARAM_COUNT, NULL, "1",
     "particles per direction"},
    {"mollifier", KL_PARAM_PLUGIN, "fmoll", 0, 0, 0, "mollifier", NULL, "blob"},
    {"kernel", KL_PARAM_PLUGIN, NULL, 0, 0, KL_PARAM_OPTIONAL, "kernel", NULL, "collision kernel"},
    {"scheme", KL_PARAM_ENUM, "direct", 0, 0, 0, "direct|cells|tree", NULL, "pair sum"},
    {"label", KL_PARAM_STRING, NULL, 0, 0, KL_PARAM_OPTIONAL, NULL, NULL, "free text"},
    KL_PARAM_END};
static const kl_param_spec moll_params[] = {
    {"epsilon", KL_PARAM_REAL, "0.1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity", "blob width"},
    KL_PARAM_END};
static const kl_param_spec kern_params[] = {
    {"gamma", KL_PARAM_REAL, "-3", -4, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "exponent"},
    KL_PARAM_END};
static const kl_param_spec init_params[] = {
    {"temperature", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "1", "temperature"},
    {"centers", KL_PARAM_REAL_LIST, "[0, 1.5]", 0, 0, 0, NULL, "velocity", "centres"},
    {"fraction", KL_PARAM_REAL, "0.5", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_MAX_EXCLUSIVE,
     NULL, "1", "a fraction in [0, 1)"},
    KL_PARAM_END};
static const kl_param_spec rk4_params[] = {
    {"dt", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_STEP_SIZE,
     NULL, "time", "time step"},
    KL_PARAM_END};
static const kl_param_spec euler_params[] = {
    {"dt", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "time",
     "time step"},
    {"substeps", KL_PARAM_INT, "1", 1, 0, KL_PARAM_HAS_MIN, NULL, "1", "sub-steps"},
    KL_PARAM_END};
static const kl_param_spec diag_params[] = {
    {"enabled", KL_PARAM_BOOL, "true", 0, 0, 0, NULL, NULL, "on/off"}, KL_PARAM_END};

#define INFO(kind, name, params, ops) \
  {KL_PLUGIN_HEADER, kind, name, "fake " name, params, &ops, NULL, NULL}
static const kl_plugin_info fakes[] = {
    INFO(KL_KIND_MODEL, "fmodel", model_params, model_ops),
    INFO(KL_KIND_MOLLIFIER, "fmoll", moll_params, moll_ops),
    INFO(KL_KIND_MOLLIFIER, "fmoll_wide", moll_params, moll_ops),
    INFO(KL_KIND_KERNEL, "fkern", kern_params, kern_ops),
    INFO(KL_KIND_INITIAL, "finit", init_params, init_ops),
    INFO(KL_KIND_INTEGRATOR, "rk4", rk4_params, integ_ops),
    INFO(KL_KIND_INTEGRATOR, "euler", euler_params, integ_ops),
    INFO(KL_KIND_DIAGNOSTIC, "fdiag", diag_params, diag_ops),
};

static kl_registry *reg;

static int suite_init(void) {
  kl_error err = {0, ""};
  reg = kl_registry_new();
  if (!reg) return 1;
  for (size_t i = 0; i < sizeof fakes / sizeof *fakes; i++)
    if (kl_registry_add(reg, &fakes[i], "test", &err) != KL_OK) {
      fprintf(stderr, "%s\n", err.message);
      return 1;
    }
  return 0;
}

static int suite_clean(void) {
  kl_registry_free(reg);
  reg = NULL;
  return 0;
}

/* ------------------------------------------------------------ helpers */
/* Lines of the base experiment (columns are 1-based):
 *   1 name: t
 *   2 model:
 *   3   type: fmodel
 *   4   n: 10
 *   5   mollifier: {type: fmoll, epsilon: 0.2}
 *   6 initial: {type: finit}
 *   7 integrator: {type: rk4, dt: 0.01}
 *   8 time: {t_final: 1.0, output_every: 0.5}
 */
static const char *const base_lines[] = {
    "name: t",
    "model:",
    "  type: fmodel",
    "  n: 10",
    "  mollifier: {type: fmoll, epsilon: 0.2}",
    "initial: {type: finit}",
    "integrator: {type: rk4, dt: 0.01}",
    "time: {t_final: 1.0, output_every: 0.5}",
};
#define N_BASE 8

/* The base experiment with line `line` (1-based; 0: none) replaced by `repl`
 * (NULL: deleted) and `extra` appended. */
static char *experiment_text(int line, const char *repl, const char *extra) {
  size_t cap = 4096 + (repl ? strlen(repl) : 0) + (extra ? strlen(extra) : 0);
  char *s = malloc(cap);
  size_t used = 0;
  for (int i = 0; i < N_BASE; i++) {
    const char *l = (i + 1 == line) ? repl : base_lines[i];
    if (l) used += (size_t)snprintf(s + used, cap - used, "%s\n", l);
  }
  if (extra) snprintf(s + used, cap - used, "%s", extra);
  return s;
}

static int load(const char *text, const char *const *ov, size_t n_ov, kl_experiment **exp,
                kl_error *err) {
  kl_error_clear(err);
  *exp = NULL;
  return kl_experiment_load_string(text, "t.yaml", ov, n_ov, reg, exp, err);
}

/* Loading must fail with KL_EINVAL and exactly this message. */
static void expect_error(int line, const char *repl, const char *extra, const char *message) {
  char *text = experiment_text(line, repl, extra);
  kl_experiment *exp = NULL;
  kl_error err;
  int rc = load(text, NULL, 0, &exp, &err);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  CU_ASSERT_PTR_NULL(exp);
  if (strcmp(err.message, message) != 0) {
    fprintf(stderr, "\nexpected: %s\n     got: %s\n", message, err.message);
    CU_FAIL("error message differs");
  }
  kl_experiment_free(exp);
  free(text);
}

/* The message must start with `prefix`. */
static void expect_prefix(const char *text, const char *const *ov, size_t n_ov, int code,
                          const char *prefix) {
  kl_experiment *exp = NULL;
  kl_error err;
  int rc = load(text, ov, n_ov, &exp, &err);
  CU_ASSERT_EQUAL(rc, code);
  CU_ASSERT_PTR_NULL(exp);
  if (strncmp(err.message, prefix, strlen(prefix)) != 0) {
    fprintf(stderr, "\nexpected prefix: %s\n            got: %s\n", prefix, err.message);
    CU_FAIL("error message differs");
  }
  kl_experiment_free(exp);
}

/* ------------------------------------------------------------ YAML */
static void test_yaml_positions(void) {
  kl_node *root = NULL;
  kl_error err;
  const char *text = "a: 1\nb:\n  - x\n  - 'y'\nc: {d: e}\n";
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(text, strlen(text), "p.yaml", &root, &err), KL_OK);
  CU_ASSERT_EQUAL(root->type, KL_NODE_MAP);
  CU_ASSERT_EQUAL(root->n, 3);
  const kl_node *b = kl_node_map_get(root, "b");
  CU_ASSERT_EQUAL_FATAL(b->type, KL_NODE_SEQ);
  CU_ASSERT_EQUAL(b->items[1]->line, 4);
  CU_ASSERT_EQUAL(b->items[1]->col, 5);
  CU_ASSERT_FALSE(b->items[1]->plain);
  CU_ASSERT_TRUE(b->items[0]->plain);
  CU_ASSERT_EQUAL(root->key_line[2], 5);
  CU_ASSERT_EQUAL(root->key_col[2], 1);
  const kl_node *c = kl_node_map_get(root, "c");
  CU_ASSERT_EQUAL(c->line, 5);
  CU_ASSERT_EQUAL(c->col, 4);
  CU_ASSERT_EQUAL(c->key_col[0], 5);
  char w[64];
  CU_ASSERT_STRING_EQUAL(kl_node_where(c->items[0], w, sizeof w), "p.yaml:5:8");
  kl_node_free(root);
}

static void parse_fails(const char *text, int code, const char *message) {
  kl_node *root = NULL;
  kl_error err = {0, ""};
  int rc = kl_yaml_parse_string(text, strlen(text), "y.yaml", &root, &err);
  CU_ASSERT_EQUAL(rc, code);
  CU_ASSERT_PTR_NULL(root);
  if (strncmp(err.message, message, strlen(message)) != 0) {
    fprintf(stderr, "\nexpected: %s\n     got: %s\n", message, err.message);
    CU_FAIL("error message differs");
  }
  kl_node_free(root);
}

static void test_yaml_errors(void) {
  parse_fails("a: b: c\n", KL_EINVAL,
              "y.yaml:1:5: YAML syntax error: mapping values are not allowed in this context");
  parse_fails("a: 1\nb:\n  c: 2\n  c: 3\n", KL_EINVAL, "y.yaml:4:3: duplicate key 'c' (first at 3:3)");
  parse_fails("a: 1\n---\nb: 2\n", KL_EINVAL, "y.yaml:2:1: a second YAML document starts here");
  parse_fails("? [a, b]\n: c\n", KL_EINVAL, "y.yaml:1:3: a mapping key must be a scalar");
  parse_fails("a: *nope\n", KL_EINVAL, "y.yaml:1:4: alias *nope refers to an unknown anchor");
  parse_fails("a: \xff\xfe\n", KL_EINVAL, "y.yaml:1:4: not valid UTF-8 text");
  parse_fails("a: !custom 3\n", KL_EINVAL, "y.yaml:1:4: unsupported YAML tag '!custom'");
  /* Core tags need text of their type (issue 13: they were ignored). */
  parse_fails("a: !!null 0.01\n", KL_EINVAL,
              "y.yaml:1:4: !!null '0.01': expected empty, ~ or null after the tag");
  parse_fails("a: !!bool 4\n", KL_EINVAL, "y.yaml:1:4: !!bool '4': expected true or false");
  parse_fails("a: !!int 1.5\n", KL_EINVAL, "y.yaml:1:4: !!int '1.5': expected an integer");
  parse_fails("a: !!float x\n", KL_EINVAL, "y.yaml:1:4: !!float 'x': expected a number");
}

/* A byte-order mark is skipped; core tags type the scalar, also when quoted. */
static void test_yaml_bom_and_tags(void) {
  kl_node *root = NULL;
  kl_error err;
  const char *text = "\xEF\xBB\xBF" "a: !!str 5\nb: !!int '7'\nc: !!float 3\nd: !!null\n";
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(text, strlen(text), "t.yaml", &root, &err), KL_OK);
  const kl_node *a = kl_node_map_get(root, "a"), *b = kl_node_map_get(root, "b"),
                *c = kl_node_map_get(root, "c");
  CU_ASSERT_EQUAL(root->key_line[0], 1);
  CU_ASSERT_EQUAL(root->key_col[0], 1);
  CU_ASSERT_FALSE(a->plain);
  CU_ASSERT_TRUE(b->plain);
  CU_ASSERT_FALSE(b->float_tag);
  CU_ASSERT_TRUE(c->plain && c->float_tag);
  /* !!float 3 stays a real through the emitter. */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  CU_ASSERT_EQUAL(kl_node_emit_yaml(root, f, &err), KL_OK);
  fclose(f);
  kl_node *back = NULL;
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(buf, len, "e.yaml", &back, &err), KL_OK);
  CU_ASSERT_TRUE(kl_node_map_get(back, "c")->float_tag);
  CU_ASSERT_FALSE(kl_node_map_get(back, "a")->plain);
  kl_node_free(back);
  free(buf);
  kl_node_free(root);
  /* A file of nothing but a byte-order mark is an empty document (the mark is
   * skipped also when it is all there is). */
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string("\xEF\xBB\xBF", 3, "bom.yaml", &root, &err), KL_OK);
  CU_ASSERT_EQUAL(root->type, KL_NODE_SCALAR);
  CU_ASSERT_STRING_EQUAL(root->scalar, "");
  kl_node_free(root);
  /* An exponent needs digits: "1e" is no number (strtod would read 1). */
  expect_error(7, "integrator: {type: rk4, dt: 1e}", NULL,
               "t.yaml:7:29: key integrator.dt: expected a number, found 1e");
  expect_error(7, "integrator: {type: rk4, dt: 1e+}", NULL,
               "t.yaml:7:29: key integrator.dt: expected a number, found 1e+");
  /* A tagged value given to a parameter: !!str is no number, !!float no integer. */
  expect_error(4, "  n: !!float 10", NULL,
               "t.yaml:4:6: key model.n: expected an integer, found !!float 10");
  expect_error(7, "integrator: {type: rk4, dt: !!str 0.01}", NULL,
               "t.yaml:7:29: key integrator.dt: expected a number, found the string \"0.01\"");
  expect_error(7, "integrator: {type: rk4, dt: !!null 0.01}", NULL,
               "t.yaml:7:29: !!null '0.01': expected empty, ~ or null after the tag");
}

static void test_yaml_duplicates_large_map(void) {
  /* 40 keys: the sorted check; the duplicate reported is the earliest repeat. */
  char text[2048];
  size_t used = 0;
  for (int i = 0; i < 40; i++) used += (size_t)snprintf(text + used, sizeof text - used, "k%d: %d\n", i, i);
  used += (size_t)snprintf(text + used, sizeof text - used, "k7: x\nk3: y\n");
  parse_fails(text, KL_EINVAL, "y.yaml:41:1: duplicate key 'k7' (first at 8:1)");
}

static void test_yaml_alias(void) {
  kl_node *root = NULL;
  kl_error err;
  const char *ok = "base: &b {x: 1, y: [1, 2]}\ncopy: *b\n";
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(ok, strlen(ok), "a.yaml", &root, &err), KL_OK);
  const kl_node *copy = kl_node_map_get(root, "copy");
  CU_ASSERT_EQUAL_FATAL(copy->type, KL_NODE_MAP);
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(copy, "x")->scalar, "1");
  CU_ASSERT_EQUAL(kl_node_map_get(copy, "y")->n, 2);
  CU_ASSERT_PTR_NOT_EQUAL(copy, kl_node_map_get(root, "base")); /* a copy */
  kl_node_free(root);
  /* An anchored key, used again as a value. */
  const char *key_anchor = "&k a: 1\nb: *k\n";
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(key_anchor, strlen(key_anchor), "a.yaml", &root, &err),
                        KL_OK);
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(root, "b")->scalar, "a");
  kl_node_free(root);

  /* Billion laughs: 10 levels of 10 aliases each would be 10^10 nodes.  Level
   * k holds 10^k scalars, so the total passes 100000 during level 4 (line 5). */
  char bomb[2048];
  size_t used = (size_t)snprintf(bomb, sizeof bomb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
  for (int k = 1; k < 10; k++) {
    used += (size_t)snprintf(bomb + used, sizeof bomb - used, "a%d: &a%d [", k, k);
    for (int j = 0; j < 10; j++)
      used += (size_t)snprintf(bomb + used, sizeof bomb - used, "%s*a%d", j ? ", " : "", k - 1);
    used += (size_t)snprintf(bomb + used, sizeof bomb - used, "]\n");
  }
  /* Before line 5's aliases: root 1 + levels 0..3 (11+111+1111+11111) + 5 keys
   * + a4's list = 12351 nodes; each alias of a3 adds 11111, so the 8th one
   * (column 10 + 7*5 = 45) passes 100000. */
  kl_error e2 = {0, ""};
  root = NULL;
  int rc = kl_yaml_parse_string(bomb, strlen(bomb), "bomb.yaml", &root, &e2);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  CU_ASSERT_PTR_NULL(root);
  CU_ASSERT_PTR_NOT_NULL(strstr(e2.message, "alias expansion exceeds 100000 nodes"));
  CU_ASSERT_EQUAL(strcmp(e2.message, "bomb.yaml:5:45: alias expansion exceeds 100000 nodes (an alias bomb?)"), 0);
  kl_node_free(root);
}

static void test_yaml_depth(void) {
  char deep[256];
  int k = 0;
  deep[k++] = 'a';
  deep[k++] = ':';
  deep[k++] = ' ';
  for (int i = 0; i < 100; i++) deep[k++] = '[';
  deep[k] = '\0';
  /* The top mapping is level 1, so the 64th '[' (column 3 + 64) is level 65. */
  parse_fails(deep, KL_EINVAL, "y.yaml:1:67: nesting deeper than 64 levels");
  /* 63 levels of brackets inside the top mapping (64 in all) are fine. */
  char ok[256];
  k = 0;
  ok[k++] = 'a', ok[k++] = ':', ok[k++] = ' ';
  for (int i = 0; i < 63; i++) ok[k++] = '[';
  for (int i = 0; i < 63; i++) ok[k++] = ']';
  ok[k] = '\0';
  kl_node *root = NULL;
  kl_error err;
  CU_ASSERT_EQUAL(kl_yaml_parse_string(ok, strlen(ok), "y.yaml", &root, &err), KL_OK);
  kl_node_free(root);
}

static void test_yaml_files(void) {
  kl_node *root = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL(kl_yaml_parse_file("/nonexistent/x.yaml", &root, &err), KL_EIO);
  CU_ASSERT_STRING_EQUAL(err.message, "/nonexistent/x.yaml: cannot open: No such file or directory");
  CU_ASSERT_EQUAL(kl_yaml_parse_file("/", &root, &err), KL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "Is a directory"));
  /* Too large: a sparse file just over the limit. */
  char path[] = "/tmp/kl_test_config_XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT_EQUAL(ftruncate(fd, (off_t)KL_YAML_MAX_BYTES + 1), 0);
  close(fd);
  CU_ASSERT_EQUAL(kl_yaml_parse_file(path, &root, &err), KL_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "file too large"));
  unlink(path);
  CU_ASSERT_PTR_NULL(root);
}

static void test_yaml_emit_roundtrip(void) {
  const char *text =
      "s: 'quoted 3'\nn: '3'\nb: 'true'\nnull_text: ''\nplain: 3\nr: 0.1\nl: [1, two, '3']\n"
      "m: {k: 'a: b', j: \"line\\nbreak\"}\nempty: {}\nu: caf\xc3\xa9\n";
  kl_node *a = NULL, *b = NULL;
  kl_error err;
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(text, strlen(text), "e.yaml", &a, &err), KL_OK);
  char *buf1 = NULL, *buf2 = NULL;
  size_t len1 = 0, len2 = 0;
  FILE *f = open_memstream(&buf1, &len1);
  CU_ASSERT_EQUAL(kl_node_emit_yaml(a, f, &err), KL_OK);
  fclose(f);
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(buf1, len1, "e2.yaml", &b, &err), KL_OK);
  /* Same types and texts. */
  CU_ASSERT_FALSE(kl_node_map_get(b, "n")->plain);
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(b, "n")->scalar, "3");
  CU_ASSERT_FALSE(kl_node_map_get(b, "b")->plain);
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(b, "null_text")->scalar, "");
  CU_ASSERT_FALSE(kl_node_map_get(b, "null_text")->plain);
  CU_ASSERT_TRUE(kl_node_map_get(b, "plain")->plain);
  CU_ASSERT_FALSE(kl_node_map_get(b, "l")->items[2]->plain);
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(kl_node_map_get(b, "m"), "j")->scalar, "line\nbreak");
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(b, "u")->scalar, "caf\xc3\xa9");
  CU_ASSERT_EQUAL(kl_node_map_get(b, "empty")->type, KL_NODE_MAP);
  f = open_memstream(&buf2, &len2);
  CU_ASSERT_EQUAL(kl_node_emit_yaml(b, f, &err), KL_OK);
  fclose(f);
  CU_ASSERT_STRING_EQUAL(buf1, buf2);
  free(buf1);
  free(buf2);
  kl_node_free(a);
  kl_node_free(b);
}

static void test_set_path(void) {
  kl_node *root = NULL;
  kl_error err;
  const char *text = "integrator: rk4\nlist: [a, b]\nx: 1\n";
  CU_ASSERT_EQUAL_FATAL(kl_yaml_parse_string(text, strlen(text), "s.yaml", &root, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_node_set_path(root, "integrator.dt", "0.5", "--set", &err), KL_OK);
  const kl_node *integ = kl_node_map_get(root, "integrator");
  CU_ASSERT_EQUAL_FATAL(integ->type, KL_NODE_MAP);
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(integ, "type")->scalar, "rk4");
  CU_ASSERT_STRING_EQUAL(kl_node_map_get(integ, "dt")->file, "--set");
  CU_ASSERT_EQUAL(kl_node_set_path(root, "list.1", "[1, 2]", "--set", &err), KL_OK);
  CU_ASSERT_EQUAL(kl_node_map_get(root, "list")->items[1]->type, KL_NODE_SEQ);
  CU_ASSERT_EQUAL(kl_node_set_path(root, "list.2", "c", "--set", &err), KL_OK); /* append */
  CU_ASSERT_EQUAL(kl_node_map_get(root, "list")->n, 3);
  CU_ASSERT_EQUAL(kl_node_set_path(root, "new.deep.key", "v", "--set", &err), KL_OK);
  CU_ASSERT_STRING_EQUAL(
      kl_node_map_get(kl_node_map_get(kl_node_map_get(root, "new"), "deep"), "key")->scalar, "v");
  CU_ASSERT_EQUAL(kl_node_set_path(root, "list.9", "c", "--set", &err), KL_EINVAL);
  CU_ASSERT_STRING_EQUAL(err.message, "--set:1:1: key list.9: expected an index 0..3 into the "
                                      "list at s.yaml:2:7, found '9'");
  CU_ASSERT_EQUAL(kl_node_set_path(root, "x.y", "1", "--set", &err), KL_EINVAL);
  CU_ASSERT_STRING_EQUAL(err.message, "--set:1:1: key x.y: cannot set 'y' inside x, which is "
                                      "the scalar '1' (at s.yaml:3:4)");
  CU_ASSERT_EQUAL(kl_node_set_path(root, "x", "[unclosed", "--set", &err), KL_EINVAL);
  CU_ASSERT_STRING_EQUAL(err.message, "--set:1:10: key x: YAML syntax error: did not find expected ',' "
                                      "or ']' (while parsing a flow sequence that starts at 1:1)");
  kl_node_free(root);
}

/* ------------------------------------------------------------ params */
static void test_base_loads(void) {
  char *text = experiment_text(0, NULL, NULL);
  kl_experiment *exp = NULL;
  kl_error err;
  int rc = load(text, NULL, 0, &exp, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT_STRING_EQUAL(exp->name, "t");
  CU_ASSERT_EQUAL(kl_experiment_variant_count(exp), 1);
  CU_ASSERT_STRING_EQUAL(kl_experiment_variant_name(exp, 0), "");
  const kl_run_config *run = &exp->runs[0];
  CU_ASSERT_EQUAL(run->dim_v, 2);
  CU_ASSERT_EQUAL(run->dim_x, 0);
  CU_ASSERT_STRING_EQUAL(run->model_info->name, "fmodel");
  CU_ASSERT_EQUAL(kl_params_int(run->model, "n"), 10);
  CU_ASSERT_TRUE(kl_params_is_set(run->model, "n"));
  CU_ASSERT_FALSE(kl_params_is_set(run->model, "d"));
  CU_ASSERT_STRING_EQUAL(kl_params_string(run->model, "scheme"), "direct");
  CU_ASSERT_PTR_NULL(kl_params_string(run->model, "label"));
  CU_ASSERT_PTR_NULL(kl_params_child(run->model, "kernel"));
  const kl_params *moll = kl_params_child(run->model, "mollifier");
  CU_ASSERT_PTR_NOT_NULL_FATAL(moll);
  CU_ASSERT_STRING_EQUAL(kl_params_child_info(run->model, "mollifier")->name, "fmoll");
  CU_ASSERT_EQUAL(kl_params_real(moll, "epsilon"), 0.2);
  CU_ASSERT_STRING_EQUAL(kl_params_path(moll), "model.mollifier");
  const double *c = NULL;
  CU_ASSERT_EQUAL(kl_params_real_list(run->initial, "centers", &c), 2);
  CU_ASSERT_EQUAL(c[1], 1.5);
  CU_ASSERT_EQUAL(kl_params_real(run->time, "t_final"), 1.0);
  CU_ASSERT_EQUAL(kl_params_int(run->time, "max_steps"), 0);
  CU_ASSERT_FALSE(kl_params_is_set(run->time, "outputs"));
  CU_ASSERT_TRUE(kl_params_bool(run->output, "snapshots"));
  CU_ASSERT_EQUAL(kl_params_int(run->output, "snapshot_every"), 1);
  CU_ASSERT_PTR_NULL(kl_params_string(run->output, "dir"));
  CU_ASSERT_EQUAL(run->n_diagnostics, 0);

  /* kl_params_error points at the value, or at the mapping for a default. */
  kl_error e2;
  CU_ASSERT_EQUAL(kl_params_error(&e2, KL_EINVAL, run->model, "n", "too many (%d)", 10), KL_EINVAL);
  CU_ASSERT_STRING_EQUAL(e2.message, "t.yaml:4:6: key model.n: too many (10)");
  kl_params_error(&e2, KL_EINVAL, moll, "epsilon", "expected less");
  CU_ASSERT_STRING_EQUAL(e2.message, "t.yaml:5:37: key model.mollifier.epsilon: expected less");
  kl_params_error(&e2, KL_EINVAL, run->model, "d", "bad");
  CU_ASSERT_STRING_EQUAL(e2.message, "t.yaml:3:3: key model.d: bad");

  /* Programming errors: loud on stderr, a null value, no abort. */
  fprintf(stderr, "\n(two BUG messages expected below)\n");
  CU_ASSERT_TRUE(isnan(kl_params_real(run->model, "nope")));
  CU_ASSERT_EQUAL(kl_params_int(moll, "epsilon"), 0);
  kl_experiment_free(exp);
  free(text);
}

static void test_param_errors(void) {
  expect_error(4, "  n: abc", NULL, "t.yaml:4:6: key model.n: expected an integer, found abc");
  expect_error(4, "  n: 2.5", NULL, "t.yaml:4:6: key model.n: expected an integer, found 2.5");
  expect_error(4, "  n: -1", NULL, "t.yaml:4:6: key model.n: expected a value >= 1, found -1");
  expect_error(4, "  n: [1]", NULL, "t.yaml:4:6: key model.n: expected an integer, found a list");
  expect_error(4, "  n: 99999999999999999999", NULL,
               "t.yaml:4:6: key model.n: expected an integer, found 99999999999999999999 (out of "
               "range)");
  expect_error(5, "  mollifier: {type: fmoll, epsilon: .nan}", NULL,
               "t.yaml:5:37: key model.mollifier.epsilon: expected a finite number, found .nan");
  expect_error(5, "  mollifier: {type: fmoll, epsilon: 1e400}", NULL,
               "t.yaml:5:37: key model.mollifier.epsilon: expected a finite number, found 1e400 "
               "(beyond the range of a double)");
  expect_error(5, "  mollifier: {type: fmoll, epsilon: -.inf}", NULL,
               "t.yaml:5:37: key model.mollifier.epsilon: expected a finite number, found -.inf");
  expect_error(5, "  mollifier: {type: fmoll, epsilon: \"3\"}", NULL,
               "t.yaml:5:37: key model.mollifier.epsilon: expected a number, found the string "
               "\"3\"");
  expect_error(5, "  mollifier: {type: fmoll, epsilon: 0}", NULL,
               "t.yaml:5:37: key model.mollifier.epsilon: expected a value > 0, found 0");
  expect_error(5, "  mollifier: {type: fmoll, epsilom: 0.2}", NULL,
               "t.yaml:5:28: unknown key 'epsilom' in model.mollifier (did you mean "
               "'epsilon'?); allowed keys: type, epsilon");
  expect_error(4, "  n: 10\n  scheme: tre", NULL,
               "t.yaml:5:11: key model.scheme: expected one of direct|cells|tree, found tre (did "
               "you mean tree?)");
  expect_error(4, NULL, NULL,
               "t.yaml:3:3: key model.n: required key missing (expected INT >= 1: particles per "
               "direction)");
  expect_error(8, "time: {output_every: 0.5}", NULL,
               "t.yaml:8:7: key time.t_final: required key missing (expected REAL > 0: Final "
               "time of the run (absolute time; some initial data start at t0 > 0).)");
  expect_error(8, "time: {t_final: 1, outputs: [0.5, -1]}", NULL,
               "t.yaml:8:35: key time.outputs.1: expected a value >= 0, found -1");
  expect_error(6, "initial: {type: finit, centers: true}", NULL,
               "t.yaml:6:33: key initial.centers: expected a number, found the boolean true");
  expect_error(0, NULL, "output: {plots: yes}\n",
               "t.yaml:9:17: key output.plots: expected true or false, found yes");
  expect_error(0, NULL, "modle: 3\n",
               "t.yaml:9:1: unknown key 'modle' in the top level (did you mean 'model'?); "
               "allowed keys: name, description, plugin_path, model, initial, integrator, time, "
               "diagnostics, output, variants, sweep, compare");
}

/* Range checks at their boundaries: an inclusive bound admits the bound itself,
 * an exclusive one refuses it (and admits the nearest double inside). */
static void test_param_bounds(void) {
  static const struct {
    int line;
    const char *repl;
    const char *error; /* NULL: loads */
  } cases[] = {
      {6, "initial: {type: finit, fraction: 0}", NULL},
      {6, "initial: {type: finit, fraction: 0.99999999999999989}", NULL},
      {6, "initial: {type: finit, fraction: 1}",
       "t.yaml:6:34: key initial.fraction: expected a value in [0, 1), found 1"},
      {6, "initial: {type: finit, fraction: -4.9406564584124654e-324}",
       "t.yaml:6:34: key initial.fraction: expected a value in [0, 1), found "
       "-4.9406564584124654e-324"},
      {4, "  n: 1", NULL},
      {4, "  n: 0", "t.yaml:4:6: key model.n: expected a value >= 1, found 0"},
      {5, "  mollifier: {type: fmoll, epsilon: 4.9406564584124654e-324}", NULL},
      {5, "  mollifier: {type: fmoll, epsilon: 0}",
       "t.yaml:5:37: key model.mollifier.epsilon: expected a value > 0, found 0"},
      {4, "  n: 10\n  d: 3", NULL},
      {4, "  n: 10\n  d: 4", "t.yaml:5:6: key model.d: expected a value in [1, 3], found 4"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    if (cases[i].error) {
      expect_error(cases[i].line, cases[i].repl, NULL, cases[i].error);
      continue;
    }
    char *text = experiment_text(cases[i].line, cases[i].repl, NULL);
    kl_experiment *exp = NULL;
    kl_error err;
    int rc = load(text, NULL, 0, &exp, &err);
    if (rc) fprintf(stderr, "\n%s: %s\n", cases[i].repl, err.message);
    CU_ASSERT_EQUAL(rc, KL_OK);
    kl_experiment_free(exp);
    free(text);
  }
}

static void test_plugin_errors(void) {
  expect_error(7, "integrator: {type: rk5, dt: 0.01}", NULL,
               "t.yaml:7:20: key integrator.type: unknown integrator plugin 'rk5' (did you mean "
               "'rk4'?); available: euler, rk4");
  expect_error(7, "integrator: fmoll", NULL,
               "t.yaml:7:13: key integrator: expected an integrator plugin, found 'fmoll' (a "
               "mollifier plugin); available: euler, rk4");
  expect_error(5, "  mollifier: {type: fmol}", NULL,
               "t.yaml:5:21: key model.mollifier.type: unknown mollifier plugin 'fmol' (did you "
               "mean 'fmoll'?); available: fmoll, fmoll_wide");
  expect_error(5, "  kernel: {type: fkern, gamma: 2}", NULL,
               "t.yaml:5:32: key model.kernel.gamma: expected a value in [-4, 1], found 2");
  expect_error(7, "integrator: {dt: 0.01}", NULL,
               "t.yaml:7:13: key integrator: required key 'type' missing (expected the name of "
               "an integrator plugin; available: euler, rk4)");
  expect_error(7, NULL, NULL,
               "t.yaml:1:1: key integrator: required key missing (expected an integrator "
               "plugin; available: euler, rk4)");
  expect_error(7, "integrator: rk4", NULL,
               "t.yaml:7:13: key integrator.dt: required key missing (expected REAL > 0: time "
               "step)");
  expect_error(0, NULL, "diagnostics: [fdiag, {type: fdiag, enabled: 1}]\n",
               "t.yaml:9:45: key diagnostics.1.enabled: expected true or false, found 1");
  expect_error(0, NULL, "diagnostics: fdiag\n",
               "t.yaml:9:14: key diagnostics: expected a list of diagnostic plugins, found a "
               "scalar");
  expect_error(4, "  n: 10\n  d: 4", NULL,
               "t.yaml:5:6: key model.d: expected a value in [1, 3], found 4");
}

static void test_empty_and_bad_documents(void) {
  expect_prefix("", NULL, 0, KL_EINVAL,
                "t.yaml:1:1: expected a mapping of experiment keys (model, initial, integrator, "
                "time, ...), found an empty document");
  expect_prefix("# only a comment\n", NULL, 0, KL_EINVAL, "t.yaml:1:1: expected a mapping");
  expect_prefix("- a\n- b\n", NULL, 0, KL_EINVAL,
                "t.yaml:1:1: expected a mapping of experiment keys (model, initial, integrator, "
                "time, ...), found a list");
  expect_prefix("model: {type: fmodel\n", NULL, 0, KL_EINVAL, "t.yaml:2:1: YAML syntax error:");
}

/* ------------------------------------------------------------ --set */
static void test_overrides(void) {
  char *text = experiment_text(0, NULL, NULL);
  kl_experiment *exp = NULL;
  kl_error err;
  const char *ov[] = {"model.n=40", "integrator={type: euler, dt: 0.5}",
                      "model.mollifier.epsilon=0.25", "output.dir=out/x"};
  int rc = load(text, ov, 4, &exp, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  const kl_run_config *run = &exp->runs[0];
  CU_ASSERT_EQUAL(kl_params_int(run->model, "n"), 40);
  CU_ASSERT_STRING_EQUAL(run->integrator_info->name, "euler");
  CU_ASSERT_EQUAL(kl_params_real(run->integrator, "dt"), 0.5);
  CU_ASSERT_EQUAL(kl_params_real(kl_params_child(run->model, "mollifier"), "epsilon"), 0.25);
  CU_ASSERT_STRING_EQUAL(kl_params_string(run->output, "dir"), "out/x");
  kl_error e2;
  kl_params_error(&e2, KL_EINVAL, run->model, "n", "x");
  CU_ASSERT_STRING_EQUAL(e2.message, "--set:1:1: key model.n: x");
  kl_experiment_free(exp);

  const char *bad1[] = {"model.n=abc"};
  expect_prefix(text, bad1, 1, KL_EINVAL, "--set:1:1: key model.n: expected an integer, found abc");
  const char *bad2[] = {"model.nn=3"};
  expect_prefix(text, bad2, 1, KL_EINVAL,
                "--set:1:1: unknown key 'nn' in model (did you mean 'n'?); allowed keys: type, d, "
                "n, mollifier, kernel, scheme, label");
  const char *bad3[] = {"model.n"};
  expect_prefix(text, bad3, 1, KL_EINVAL, "--set:1:1: expected KEY.PATH=VALUE, found 'model.n'");
  const char *bad4[] = {"integrator.type=euler", "integrator.substeps=0"};
  expect_prefix(text, bad4, 2, KL_EINVAL,
                "--set:1:1: key integrator.substeps: expected a value >= 1, found 0");
  const char *bad5[] = {"model.n=[1, 2"};
  expect_prefix(text, bad5, 1, KL_EINVAL, "--set:1:6: key model.n: YAML syntax error:");
  free(text);
}

/* ------------------------------------------------------------ variants */
static void test_variants_and_sweep(void) {
  char *text = experiment_text(
      0, NULL, NULL);
  size_t len = strlen(text);
  const char *extra =
      "variants:\n"
      "  - {name: small, set: {model.n: 5}}\n"
      "  - name: euler\n"
      "    set: {integrator: {type: euler}}\n"
      "sweep:\n"
      "  model.mollifier.epsilon: [0.1, 0.2, 0.3]\n"
      "  integrator.dt: [0.01, 0.001]\n";
  char *full = malloc(len + strlen(extra) + 1);
  memcpy(full, text, len);
  strcpy(full + len, extra);
  kl_experiment *exp = NULL;
  kl_error err;
  int rc = load(full, NULL, 0, &exp, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT_EQUAL_FATAL(kl_experiment_variant_count(exp), 12);
  CU_ASSERT_STRING_EQUAL(kl_experiment_variant_name(exp, 0), "small,epsilon=0.1,dt=0.01");
  CU_ASSERT_STRING_EQUAL(kl_experiment_variant_name(exp, 1), "small,epsilon=0.1,dt=0.001");
  CU_ASSERT_STRING_EQUAL(kl_experiment_variant_name(exp, 2), "small,epsilon=0.2,dt=0.01");
  CU_ASSERT_STRING_EQUAL(kl_experiment_variant_name(exp, 11), "euler,epsilon=0.3,dt=0.001");
  CU_ASSERT_PTR_NULL(kl_experiment_variant_name(exp, 12));
  CU_ASSERT_EQUAL(kl_params_int(exp->runs[0].model, "n"), 5);
  CU_ASSERT_EQUAL(kl_params_int(exp->runs[6].model, "n"), 10);
  CU_ASSERT_STRING_EQUAL(exp->runs[6].integrator_info->name, "euler");
  /* The sweep sets integrator.dt after the variant's whole integrator. */
  CU_ASSERT_EQUAL(kl_params_real(exp->runs[7].integrator, "dt"), 0.001);
  CU_ASSERT_EQUAL(kl_params_real(kl_params_child(exp->runs[4].model, "mollifier"), "epsilon"),
                  0.3);
  kl_experiment_free(exp);
  free(full);

  /* Sweep alone, over plugin types; names are sanitised. */
  const char *sw = "sweep: {integrator.type: [rk4, euler], model.label: ['a b/c']}\n";
  full = malloc(len + strlen(sw) + 1);
  memcpy(full, text, len);
  strcpy(full + len, sw);
  rc = load(full, NULL, 0, &exp, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  CU_ASSERT_EQUAL(kl_experiment_variant_count(exp), 2);
  CU_ASSERT_STRING_EQUAL(kl_experiment_variant_name(exp, 0), "type=rk4,label=a_b_c");
  CU_ASSERT_STRING_EQUAL(kl_experiment_variant_name(exp, 1), "type=euler,label=a_b_c");
  CU_ASSERT_STRING_EQUAL(exp->runs[1].integrator_info->name, "euler");
  kl_experiment_free(exp);
  free(full);
  free(text);

  /* A bad variant: its name and the position inside variants:. */
  expect_error(0, NULL,
               "variants:\n"
               "  - {name: ok, set: {model.n: 3}}\n"
               "  - {name: bad, set: {model.n: 0}}\n",
               "t.yaml:11:32: key model.n: expected a value >= 1, found 0 (in variant 'bad')");
  expect_error(0, NULL, "variants:\n  - {name: a, set: {model.nn: 3}}\n",
               "t.yaml:10:21: unknown key 'nn' in model (did you mean 'n'?); allowed keys: type, "
               "d, n, mollifier, kernel, scheme, label (in variant 'a')");
  expect_error(0, NULL, "variants:\n  - {name: a}\n  - {name: a}\n",
               "t.yaml:11:12: key variants.1.name: duplicate variant name 'a' (first at 10:12)");
  expect_error(0, NULL, "variants:\n  - {name: 'a/b'}\n",
               "t.yaml:10:12: key variants.0.name: expected a name of letters, digits and _.=,- "
               "(it names the run directory), found 'a/b'");
  expect_error(0, NULL, "variants:\n  - {name: a, sett: {}}\n",
               "t.yaml:10:15: unknown key 'sett' in variants.0 (did you mean 'set'?); allowed "
               "keys: name, description, set");
  expect_error(0, NULL, "sweep: {model.n: 3}\n",
               "t.yaml:9:18: key sweep.model.n: expected a non-empty list of values, found a "
               "scalar");
  expect_error(0, NULL, "sweep: {plugin_path.0: [a]}\n",
               "t.yaml:9:9: key sweep.plugin_path.0: plugin_path cannot be changed per run");
  expect_error(0, NULL, "sweep: {description: [a, b]}\n",
               "t.yaml:9:9: key sweep.description: description cannot be changed per run");
  /* A typo in the first component of a sweep or variant key would add an
   * unknown top-level key that nothing reads: identical runs. */
  expect_error(0, NULL, "sweep: {modle.n: [4, 8]}\n",
               "t.yaml:9:9: key sweep.modle.n: unknown top-level key 'modle' (did you mean "
               "'model.n'?); expected a dotted key below model, initial, integrator, time, "
               "diagnostics or output");
  expect_error(0, NULL, "variants:\n  - {name: a, set: {modle.n: 8}}\n",
               "t.yaml:10:21: key variants.0.set.modle.n: unknown top-level key 'modle' (did "
               "you mean 'model.n'?); expected a dotted key below model, initial, integrator, "
               "time, diagnostics or output");
  /* A value given twice: the later setting would silently undo the earlier. */
  expect_error(0, NULL,
               "variants:\n  - {name: a, set: {model.n: 8}}\nsweep: {model: [{type: fmodel}]}\n",
               "t.yaml:11:9: key sweep.model: would override the value that variants.0.set.model.n "
               "(at 10:21) gives, which would then have no effect; give the value in one place");
  expect_error(0, NULL,
               "variants:\n  - {name: a, set: {integrator: {type: euler, dt: 0.02}}}\n"
               "sweep: {integrator.dt: [0.1]}\n",
               "t.yaml:11:9: key sweep.integrator.dt: would override the value that "
               "variants.0.set.integrator (at 10:21) gives, which would then have no effect; "
               "give the value in one place");
  expect_error(0, NULL, "variants:\n  - {name: a, set: {model.n: 8, model: {type: fmodel}}}\n",
               "t.yaml:10:33: key variants.0.set.model: would override the value that "
               "variants.0.set.model.n (at 10:21) gives, which would then have no effect; give "
               "the value in one place");
  text = experiment_text(0, NULL, "sweep: {model.n: [4, 8]}\n");
  const char *typo_set[] = {"sweep={n: [4, 5]}"};
  expect_prefix(text, typo_set, 1, KL_EINVAL,
                "--set:1:2: key sweep.n: unknown top-level key 'n'; expected a dotted key below");
  const char *twice[] = {"model.n=5"};
  expect_prefix(text, twice, 1, KL_EINVAL,
                "t.yaml:9:9: key sweep.model.n: also set by --set model.n, which the sweep "
                "would silently override; give the value in one place");
  const char *twice_below[] = {"model={type: fmodel, n: 5}"};
  expect_prefix(text, twice_below, 1, KL_EINVAL,
                "t.yaml:9:9: key sweep.model.n: also set by --set model, which the sweep would");
  /* A --set the sweep composes with (a key it does not give) is fine. */
  const char *apart[] = {"model.d=1"};
  kl_experiment *exp2 = NULL;
  CU_ASSERT_EQUAL(load(text, apart, 1, &exp2, &err), KL_OK);
  kl_experiment_free(exp2);
  free(text);
  text = experiment_text(0, NULL, "variants:\n  - {name: a, set: {model.n: 8}}\n");
  expect_prefix(text, twice, 1, KL_EINVAL,
                "t.yaml:10:21: key variants.0.set.model.n: also set by --set model.n, which the "
                "variant would silently override");
  free(text);
}

/* ------------------------------------------------------------ schedule */
/* Checks of the time section that `validate` makes (issue 13): output times,
 * their number, the step count of a fixed-step run. */
/* The experiment loads; its schedule, from the start time 0 of the test's
 * initial data, fails with exactly this message (the dry set-up of validate and
 * run calls kl_run_config_schedule with the initial data's start time). */
static void expect_schedule_error(int line, const char *repl, const char *extra,
                                  const char *message) {
  char *text = experiment_text(line, repl, extra);
  kl_experiment *exp = NULL;
  kl_error err;
  CU_ASSERT_EQUAL_FATAL(load(text, NULL, 0, &exp, &err), KL_OK);
  int rc = kl_run_config_schedule(&exp->runs[0], exp->runs[0].integrator, 0, NULL, NULL, &err);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  if (strcmp(err.message, message) != 0) {
    fprintf(stderr, "\nexpected: %s\n     got: %s\n", message, err.message);
    CU_FAIL("error message differs");
  }
  kl_experiment_free(exp);
  free(text);
}

static void test_schedule(void) {
  expect_schedule_error(8, "time: {t_final: 1, outputs: [0.5, 0.25]}", NULL,
               "t.yaml:8:29: key time.outputs: expected increasing output times, found "
               "outputs.1 = 0.25 before outputs.0 = 0.5");
  expect_schedule_error(8, "time: {t_final: 1, outputs: [0.5, 0.5]}", NULL,
               "t.yaml:8:29: key time.outputs: expected increasing output times, found "
               "outputs.1 = 0.5 equal to outputs.0 = 0.5");
  expect_schedule_error(8, "time: {t_final: 1, outputs: [2]}", NULL,
               "t.yaml:8:29: key time.outputs: expected output times within [0, 1], found "
               "outputs.0 = 2");
  expect_schedule_error(8, "time: {t_final: 1, output_every: 1e-8}", NULL,
               "t.yaml:8:34: key time.output_every: expected at most time.max_outputs = "
               "10000000 output times, found 1e+08 (raise time.max_outputs for a run that needs "
               "more)");
  expect_schedule_error(7, "integrator: {type: rk4, dt: 1e-300}", NULL,
               "t.yaml:7:29: key integrator.dt: a fixed step of 1e-300 takes 1e+300 steps from "
               "t = 0 to t_final = 1; expected at most time.max_fixed_steps = 1000000000 (raise "
               "it, or set time.max_steps, for a run that needs more)");
  expect_schedule_error(8, "time: {t_final: 1e8, max_fixed_steps: 1000}", NULL,
               "t.yaml:7:29: key integrator.dt: a fixed step of 0.01 takes 1e+10 steps from "
               "t = 0 to t_final = 1e+08; expected at most time.max_fixed_steps = 1000 (raise "
               "it, or set time.max_steps, for a run that needs more)");
  expect_error(0, NULL, "output: {dir: ''}\n",
               "t.yaml:9:15: key output.dir: expected a non-empty string, found \"\"");
  expect_error(0, NULL, "diagnostics: [fdiag, {type: fdiag}]\n",
               "t.yaml:9:22: key diagnostics.1: diagnostic 'fdiag' is already listed as "
               "diagnostics.0 (at 9:15); expected each diagnostic once");

  /* Raised limits, or max_steps ending the run first, are accepted; the
   * output times are the output_every grid merged with the list. */
  const char *ok[] = {"integrator.dt=1e-10", "integrator.dt=1e-10"};
  const char *const extra[] = {"time.max_fixed_steps=20000000000", "time.max_steps=100"};
  for (int i = 0; i < 2; i++) {
    char *text = experiment_text(0, NULL, NULL);
    const char *ov[] = {ok[i], extra[i]};
    kl_experiment *exp = NULL;
    kl_error err;
    int rc = load(text, ov, 2, &exp, &err);
    if (!rc)
      rc = kl_run_config_schedule(&exp->runs[0], exp->runs[0].integrator, 0, NULL, NULL, &err);
    if (rc) fprintf(stderr, "\n%s\n", err.message);
    CU_ASSERT_EQUAL(rc, KL_OK);
    kl_experiment_free(exp);
    free(text);
  }
  char *text = experiment_text(8, "time: {t_final: 1, output_every: 0.5, outputs: [0.25, 0.5]}",
                               NULL);
  kl_experiment *exp = NULL;
  kl_error err;
  CU_ASSERT_EQUAL_FATAL(load(text, NULL, 0, &exp, &err), KL_OK);
  double *times = NULL;
  size_t n = 0;
  CU_ASSERT_EQUAL(kl_run_config_schedule(&exp->runs[0], exp->runs[0].integrator, 0, &times, &n,
                                         &err), KL_OK);
  CU_ASSERT_EQUAL_FATAL(n, 4);
  CU_ASSERT(times[0] == 0 && times[1] == 0.25 && times[2] == 0.5 && times[3] == 1);
  free(times);
  /* The runner's start time (after t_final, or after an output time). */
  CU_ASSERT_EQUAL(kl_run_config_schedule(&exp->runs[0], exp->runs[0].integrator, 2, NULL, NULL,
                                         &err), KL_EINVAL);
  CU_ASSERT_STRING_EQUAL(err.message, "t.yaml:8:17: key time.t_final: expected an end time after "
                         "the start time 2 of the initial data, found 1 (t_final is absolute)");
  CU_ASSERT_EQUAL(kl_run_config_schedule(&exp->runs[0], exp->runs[0].integrator, 0.3, NULL,
                                         NULL, &err), KL_EINVAL);
  CU_ASSERT_STRING_EQUAL(err.message, "t.yaml:8:48: key time.outputs: expected output times "
                         "within [0.3, 1], found outputs.0 = 0.25");
  kl_experiment_free(exp);
  free(text);
}

/* ------------------------------------------------------------ resolved */
static char *emit(const kl_node *n) {
  char *buf = NULL;
  size_t len = 0;
  kl_error err;
  FILE *f = open_memstream(&buf, &len);
  CU_ASSERT_EQUAL(kl_node_emit_yaml(n, f, &err), KL_OK);
  fclose(f);
  return buf;
}

static void test_resolved_roundtrip(void) {
  char *text = experiment_text(
      5, "  mollifier: {type: fmoll_wide, epsilon: 0.1}\n  kernel: fkern\n  label: '12'",
      "description: \"a: test\"\ndiagnostics: [fdiag]\noutput: {dir: 'true'}\n");
  kl_experiment *exp = NULL, *exp2 = NULL;
  kl_error err;
  int rc = load(text, NULL, 0, &exp, &err);
  if (rc) fprintf(stderr, "\n%s\n", err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  kl_node *r1 = kl_run_config_resolved(exp, &exp->runs[0]);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r1);
  char *y1 = emit(r1);
  rc = kl_experiment_load_string(y1, "resolved.yaml", NULL, 0, reg, &exp2, &err);
  if (rc) fprintf(stderr, "\n%s\n%s\n", y1, err.message);
  CU_ASSERT_EQUAL_FATAL(rc, KL_OK);
  kl_node *r2 = kl_run_config_resolved(exp2, &exp2->runs[0]);
  char *y2 = emit(r2);
  CU_ASSERT_STRING_EQUAL(y1, y2);
  /* Every default is filled in; quoted strings stay strings. */
  CU_ASSERT_PTR_NOT_NULL(strstr(y1, "scheme: direct"));
  CU_ASSERT_PTR_NOT_NULL(strstr(y1, "label: \"12\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(y1, "dir: \"true\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(y1, "gamma: -3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(y1, "max_steps: 0"));
  CU_ASSERT_STRING_EQUAL(kl_params_string(exp2->runs[0].model, "label"), "12");
  CU_ASSERT_EQUAL(kl_params_real(exp2->runs[0].integrator, "dt"), 0.01);
  kl_node_free(r1);
  kl_node_free(r2);
  free(y1);
  free(y2);
  kl_experiment_free(exp);
  kl_experiment_free(exp2);
  free(text);

  /* Reals survive exactly. */
  char *t2 = experiment_text(7, "integrator: {type: rk4, dt: 0.1234567890123456789}", NULL);
  CU_ASSERT_EQUAL_FATAL(load(t2, NULL, 0, &exp, &err), KL_OK);
  r1 = kl_run_config_resolved(exp, &exp->runs[0]);
  y1 = emit(r1);
  CU_ASSERT_EQUAL_FATAL(kl_experiment_load_string(y1, "r.yaml", NULL, 0, reg, &exp2, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_params_real(exp2->runs[0].integrator, "dt"), 0.1234567890123456789);
  kl_node_free(r1);
  free(y1);
  kl_experiment_free(exp);
  kl_experiment_free(exp2);
  free(t2);
}

/* ------------------------------------------------------------ did you mean */
static void test_did_you_mean(void) {
  const char *c[] = {"epsilon", "gamma", "type"};
  CU_ASSERT_STRING_EQUAL(kl_did_you_mean("epsilom", c, 3), "epsilon");
  CU_ASSERT_STRING_EQUAL(kl_did_you_mean("tpye", c, 3), "type");
  CU_ASSERT_PTR_NULL(kl_did_you_mean("zzzzzzz", c, 3));
}

/* ------------------------------------------------------------ schema */
static size_t count_substrings(const char *text, const char *needle) {
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, needle)); p++) n++;
  return n;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

static void test_schema(void) {
  char dir[] = "/tmp/kl_schema_XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  kl_error err;
  CU_ASSERT_EQUAL_FATAL(kl_schema_write_all(reg, dir, &err), KL_OK);
  char path[256];
  snprintf(path, sizeof path, "%s/experiment.schema.json", dir);
  char *exp1 = slurp(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(exp1);
  CU_ASSERT_PTR_NOT_NULL(strstr(exp1, "\"$schema\": \"https://json-schema.org/draft/2020-12/schema\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(exp1, "{\"$ref\": \"integrator/euler.json\"},\n      {\"$ref\": \"integrator/rk4.json\"}"));
  CU_ASSERT_PTR_NOT_NULL(strstr(exp1, "\"exclusiveMinimum\": 0"));
  snprintf(path, sizeof path, "%s/model/fmodel.json", dir);
  char *m = slurp(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_PTR_NOT_NULL(strstr(m, "\"type\": {\"const\": \"fmodel\"}"));
  CU_ASSERT_PTR_NOT_NULL(strstr(m, "\"required\": [\"type\", \"n\"]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(m, "\"enum\": [\"direct\", \"cells\", \"tree\"]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(m, "\"$ref\": \"../experiment.schema.json#/$defs/mollifier\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(m, "\"additionalProperties\": false"));
  /* The resolution flag as an annotation of its parameter, and of no other. */
  const char *n_schema = strstr(m, "\"n\": {");
  CU_ASSERT_PTR_NOT_NULL(n_schema);
  if (n_schema)
    CU_ASSERT_PTR_NOT_NULL(strstr(n_schema, "\"minimum\": 1,\n      \"x-kinlab-resolution\": "
                                            "\"count\"\n    },\n    \"mollifier\""));
  CU_ASSERT_EQUAL(count_substrings(m, "x-kinlab-resolution"), 1);
  snprintf(path, sizeof path, "%s/integrator/rk4.json", dir);
  char *rk4 = slurp(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rk4);
  CU_ASSERT_PTR_NOT_NULL(strstr(rk4, "\"exclusiveMinimum\": 0,\n      \"x-kinlab-resolution\": "
                                     "\"step\"\n"));
  free(rk4);
  snprintf(path, sizeof path, "%s/integrator/euler.json", dir);
  char *euler = slurp(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(euler);
  CU_ASSERT_PTR_NULL(strstr(euler, "x-kinlab-resolution")); /* its dt declares nothing */
  free(euler);
  snprintf(path, sizeof path, "%s/initial/finit.json", dir);
  char *fi = slurp(path);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fi);
  CU_ASSERT_PTR_NOT_NULL(strstr(fi, "\"default\": [0, 1.5]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(fi, "Unit: velocity."));
  CU_ASSERT_PTR_NOT_NULL(strstr(fi, "\"exclusiveMaximum\": 1"));
  /* Deterministic: a second run writes the same bytes. */
  CU_ASSERT_EQUAL(kl_schema_write_all(reg, dir, &err), KL_OK);
  snprintf(path, sizeof path, "%s/experiment.schema.json", dir);
  char *exp2 = slurp(path);
  CU_ASSERT_STRING_EQUAL(exp1, exp2);
  free(exp1);
  free(exp2);
  free(m);
  free(fi);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

static void test_describe(void) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  CU_ASSERT_EQUAL(kl_describe_plugin(&fakes[0], f), KL_OK);
  fclose(f);
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "fmodel (model plugin)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "required"));
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "direct|cells|tree"));
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "mollifier plugin"));
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "[1, 3]"));
  /* The resolution flag under its parameter (n), and no other. */
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "particles per direction\n      resolution: count (kinlab "
                                     "compare: orders in it, size = 1/value)\n"));
  CU_ASSERT_EQUAL(count_substrings(buf, "resolution:"), 1);
  free(buf);
  f = open_memstream(&buf, &len);
  CU_ASSERT_EQUAL(kl_describe_plugin(&fakes[5], f), KL_OK); /* rk4 */
  fclose(f);
  CU_ASSERT_PTR_NOT_NULL(strstr(buf, "time step\n      resolution: step size (kinlab compare: "
                                     "orders in it, size = value)\n"));
  free(buf);
}

static CU_TestInfo yaml_tests[] = {
    {"positions", test_yaml_positions},
    {"errors", test_yaml_errors},
    {"duplicates in a large map", test_yaml_duplicates_large_map},
    {"aliases and alias bombs", test_yaml_alias},
    {"nesting depth", test_yaml_depth},
    {"files", test_yaml_files},
    {"emit round trip", test_yaml_emit_roundtrip},
    {"set path", test_set_path},
    CU_TEST_INFO_NULL};
static CU_TestInfo param_tests[] = {
    {"base experiment", test_base_loads},
    {"parameter errors", test_param_errors},
    {"parameter bounds", test_param_bounds},
    {"plugin errors", test_plugin_errors},
    {"empty and bad documents", test_empty_and_bad_documents},
    {"--set overrides", test_overrides},
    {"variants and sweep", test_variants_and_sweep},
    {"time schedule", test_schedule},
    {"byte-order mark and tags", test_yaml_bom_and_tags},
    {"resolved round trip", test_resolved_roundtrip},
    {"did you mean", test_did_you_mean},
    {"schema", test_schema},
    {"describe", test_describe},
    CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {
    {"yaml", NULL, NULL, NULL, NULL, yaml_tests},
    {"config", suite_init, suite_clean, NULL, NULL, param_tests},
    CU_SUITE_INFO_NULL};

int main(void) { return kl_test_main(suites); }
