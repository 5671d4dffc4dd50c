/* check_plugin_cmd.c - `kinlab check-plugin FILE.so`: the conformance checks
 * of framework/check/ on every plugin of one module (docs/writing-plugins.md,
 * "Testing your plugin"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "config.h"   /* kl_params_build_plugin */
#include "internal.h" /* kl_did_you_mean */

static void (*const check_of_kind[KL_KIND_COUNT + 1])(kl_check *) = {
    [KL_KIND_MOLLIFIER] = kl_check_mollifier, [KL_KIND_KERNEL] = kl_check_kernel,
    [KL_KIND_MODEL] = kl_check_model,         [KL_KIND_INTEGRATOR] = kl_check_integrator,
    [KL_KIND_INITIAL] = kl_check_initial,     [KL_KIND_DIAGNOSTIC] = kl_check_diagnostic,
    [KL_KIND_COMM_WEIGHT] = kl_check_comm_weight,
};

/* "{type: NAME, KEY: VALUE, ...}" from --set KEY=VALUE (VALUE is YAML). */
static char *plugin_yaml(const char *name, char *const *sets, size_t n_sets) {
  size_t len = strlen(name) + 16;
  for (size_t i = 0; i < n_sets; i++) len += strlen(sets[i]) + 4;
  char *y = malloc(len);
  if (!y) return NULL;
  size_t at = (size_t)snprintf(y, len, "{type: %s", name);
  for (size_t i = 0; i < n_sets; i++) {
    const char *eq = strchr(sets[i], '=');
    at += (size_t)snprintf(y + at, len - at, ", %.*s: %s", (int)(eq - sets[i]), sets[i], eq + 1);
  }
  snprintf(y + at, len - at, "}");
  return y;
}

int kl_cli_check_plugin(int argc, char **argv) {
  static const struct option longopts[] = {{"kind", required_argument, NULL, 'k'},
                                           {"name", required_argument, NULL, 'n'},
                                           {"set", required_argument, NULL, 's'},
                                           {"threads", required_argument, NULL, 't'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  const char *kind_name = NULL, *name = NULL;
  long threads = 4;
  char **sets = calloc((size_t)argc + 1, sizeof *sets);
  size_t n_sets = 0;
  if (!sets) return EXIT_INTERNAL;
  optind = 1;
  int opt, code = 0;
  while (!code && (opt = getopt_long(argc, argv, "k:n:s:t:h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'k': kind_name = optarg; break;
    case 'n':
      name = optarg;
      if (!*name) { /* was "provides no plugin named " (exit 3) */
        fprintf(stderr, "kinlab: error: --name: expected a plugin name, found an empty name\n");
        code = EXIT_USAGE;
      }
      break;
    case 's':
      if (!strchr(optarg, '=') || optarg[0] == '=') {
        fprintf(stderr, "kinlab: error: --set %s: expected KEY=VALUE (e.g. --set epsilon=0.1)\n",
                optarg);
        code = EXIT_USAGE;
      }
      sets[n_sets++] = optarg;
      break;
    case 't':
      if (kl_cli_parse_long("--threads", optarg, 1, KL_CLI_MAX_THREADS, &threads))
        code = EXIT_USAGE;
      break;
    case 'h':
      kl_cli_command_usage(kl_cli_find_command("check-plugin"), stdout);
      free(sets);
      return 0;
    default: fprintf(stderr, "Try 'kinlab help check-plugin'.\n"); code = EXIT_USAGE;
    }
  }
  int kind = 0;
  if (!code && kind_name && !(kind = kl_kind_from_name(kind_name))) {
    fprintf(stderr, "kinlab: error: --kind %s: expected one of mollifier, kernel, model, "
                    "integrator, initial, diagnostic, comm_weight\n", kind_name);
    code = EXIT_USAGE;
  }
  if (!code && argc - optind != 1) {
    fprintf(stderr, "kinlab: error: check-plugin takes exactly one module file (FILE.so); see "
                    "'kinlab help check-plugin'\n");
    code = EXIT_USAGE;
  }
  if (!code) code = kl_cli_no_empty_argument(argc, argv, optind, "check-plugin");
  if (!code) code = kl_cli_check_threads("--threads", (int)threads);
  if (code) {
    free(sets);
    return code;
  }
  const char *file = argv[optind];
  /* The module alone names the plugins to check; the checks run in a registry
   * where it is pinned before the standard path, whose plugins the module's
   * may need (a model's initial data, a nested kernel). */
  kl_error err = {0, ""};
  kl_registry *alone = kl_registry_new(), *reg = kl_registry_new();
  int rc = !alone || !reg ? kl_error_set(&err, KL_ENOMEM, "out of memory")
                          : kl_registry_load_file(alone, file, &err);
  if (!rc) rc = kl_registry_load_file(reg, file, &err);
  if (!rc) rc = kl_registry_load_default_path(reg, &err);
  if (rc) {
    code = kl_cli_fail(&err);
    kl_registry_free(alone);
    kl_registry_free(reg);
    free(sets);
    return code;
  }
  /* A --set meant for one plugin of a module holding several: say how to
   * check that one alone. */
  char others[512] = "";
  size_t n_selected = 0, used = 0;
  for (size_t i = 0; i < kl_registry_count(alone); i++) {
    const kl_plugin_info *p = kl_registry_at(alone, i);
    if ((kind && (int)p->kind != kind) || (name && strcmp(name, p->name))) continue;
    int w = snprintf(others + used, sizeof others - used, "%s%s", n_selected ? ", " : "", p->name);
    if (w > 0 && (size_t)w < sizeof others - used) used += (size_t)w;
    n_selected++;
  }
  char name_hint[640] = "";
  if (n_selected > 1)
    snprintf(name_hint, sizeof name_hint, "; %s holds %zu plugins (%s): check one with --name NAME",
             file, n_selected, others);
  unsigned checked = 0, failed_plugins = 0;
  for (size_t i = 0; i < kl_registry_count(alone); i++) {
    const kl_plugin_info *mine = kl_registry_at(alone, i);
    if ((kind && (int)mine->kind != kind) || (name && strcmp(name, mine->name))) continue;
    /* A parameter without a default must come from --set (an integrator's
     * dt excepted: the checks choose their own steps). */
    const kl_param_spec *missing = NULL;
    for (const kl_param_spec *s = mine->params; s && s->name && !missing; s++) {
      bool given = false;
      for (size_t k = 0; k < n_sets; k++)
        given |= !strncmp(sets[k], s->name, strlen(s->name)) && sets[k][strlen(s->name)] == '=';
      if (!s->default_value && !(s->flags & KL_PARAM_OPTIONAL) && !given &&
          !(mine->kind == KL_KIND_INTEGRATOR && !strcmp(s->name, "dt")))
        missing = s;
    }
    /* A --set key the plugin does not declare: a typo, not a failed check. */
    const char *unknown = NULL;
    char key[128];
    for (size_t k = 0; k < n_sets && !unknown; k++) {
      snprintf(key, sizeof key, "%.*s", (int)(strchr(sets[k], '=') - sets[k]), sets[k]);
      const char *names[256];
      size_t n_names = 0;
      bool found = false;
      for (const kl_param_spec *s = mine->params; s && s->name; s++) {
        found |= !strcmp(s->name, key);
        if (n_names < 256) names[n_names++] = s->name;
      }
      if (!found) {
        unknown = key;
        const char *near = kl_did_you_mean(key, names, n_names);
        fprintf(stderr, "kinlab: error: --set %s: %s %s has no parameter '%s'%s%s%s (kinlab "
                        "plugins --describe %s)%s\n", sets[k], kl_kind_name(mine->kind), mine->name,
                key, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "",
                mine->name, name_hint);
        code = EXIT_INPUT;
      }
    }
    if (unknown) continue;
    if (missing) {
      fprintf(stderr, "kinlab: error: %s %s: parameter '%s' has no default: give it with --set "
                      "%s=VALUE (kinlab plugins --describe %s)%s\n", kl_kind_name(mine->kind),
              mine->name, missing->name, missing->name, mine->name, n_sets ? name_hint : "");
      code = EXIT_INPUT;
      continue;
    }
    char *yaml = plugin_yaml(mine->name, sets, n_sets);
    /* A --set value its parameter refuses (or YAML that is no value) is the
     * user's error, exit 2: every create would refuse it, and the checks would
     * blame the plugin for "no dimension could be created" (exit 6). */
    if (yaml && n_sets) {
      kl_node *node = NULL;
      kl_params *params = NULL;
      kl_error perr = {0, ""};
      if (kl_yaml_parse_string(yaml, strlen(yaml), "--set", &node, &perr) == KL_OK)
        kl_params_build_plugin((int)mine->kind, node, kl_kind_name(mine->kind), reg, NULL,
                               &params, &perr);
      kl_node_free(node);
      kl_params_free(params);
      if (perr.code) {
        fprintf(stderr, "kinlab: error: %s %s: a --set value is refused: %s\n",
                kl_kind_name(mine->kind), mine->name, perr.message);
        code = EXIT_INPUT;
        free(yaml);
        continue;
      }
    }
    kl_check c = {stdout, reg, kl_registry_find(reg, mine->name), yaml,
                  (const char *const *)sets, n_sets, (unsigned)threads, 0, 0, 0};
    if (!yaml || !c.info) {
      free(yaml);
      continue;
    }
    printf("%s %s (%s):\n", kl_kind_name(c.info->kind), c.info->name, file);
    check_of_kind[c.info->kind](&c);
    kl_check_schema(&c);
    printf("%s: %u passed, %u failed, %u skipped\n\n", c.info->name, c.passed, c.failed,
           c.skipped);
    fflush(stdout);
    checked++;
    failed_plugins += c.failed > 0;
    free(yaml);
  }
  if (code) {
    /* a plugin's parameters were refused: said above */
  } else if (!checked) {
    fprintf(stderr, "kinlab: error: %s provides no plugin%s%s%s%s (see 'kinlab plugins')\n", file,
            kind_name ? " of kind " : "", kind_name ? kind_name : "", name ? " named " : "",
            name ? name : "");
    code = EXIT_PLUGIN;
  } else if (failed_plugins) {
    fprintf(stderr, "kinlab: %u of %u plugins in %s FAILED conformance checks\n", failed_plugins,
            checked, file);
    code = EXIT_CHECK;
  } else {
    if (checked == 1) printf("the plugin in %s passed\n", file);
    else printf("all %u plugins in %s passed\n", checked, file);
  }
  kl_registry_free(alone);
  kl_registry_free(reg);
  free(sets);
  return code;
}
