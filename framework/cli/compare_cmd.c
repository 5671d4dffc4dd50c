/* compare_cmd.c - `kinlab compare RUN_DIR [--by KEY[:step|:count]]
 * [--reference NAME|finest|PATH] [--analysis-width W] [--quiet]`:
 * write RUN_DIR/comparison.csv and comparison.md (framework/compare/)
 * and print the Markdown tables unless --quiet. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void compare_usage(FILE *out) {
  fprintf(out,
          "Usage: kinlab compare RUN_DIR [--by KEY[:step|:count]] [--reference REF]\n"
          "                      [--analysis-width W] [--quiet]\n"
          "\n"
          "Write RUN_DIR/comparison.csv and RUN_DIR/comparison.md: per variant the\n"
          "parameters that differ, status, final *_error values, drift of each\n"
          "invariant, wall time, rhs evaluations, steps, state size, and observed\n"
          "orders of convergence between successive resolutions.\n"
          "\n"
          "  --by KEY[:RULE]  use the dotted configuration KEY as the resolution\n"
          "                   (default: every varying key whose parameter declares\n"
          "                   itself a step size or a count);\n"
          "                   RULE 'step': size = value, 'count': size = 1/value\n"
          "  --reference REF  measure errors against a reference run: 'finest' (the\n"
          "                   finest variant of each group: Richardson-style), a\n"
          "                   variant's name, or another run directory (default: the\n"
          "                   experiment's compare.reference, else 'finest' when a\n"
          "                   resolution key varies); writes reference_errors.csv\n"
          "  --analysis-width W  standard deviation of the Gaussian that reconstructs\n"
          "                   every particle run's density (default: the reference's\n"
          "                   blob width)\n"
          "  --quiet          do not print comparison.md\n");
}

int kl_cli_compare(int argc, char **argv) {
  static const struct option longopts[] = {{"quiet", no_argument, NULL, 'q'},
                                           {"by", required_argument, NULL, 'b'},
                                           {"reference", required_argument, NULL, 'r'},
                                           {"analysis-width", required_argument, NULL, 'w'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  bool quiet = false;
  char *by = NULL;
  const char *reference = NULL;
  double width = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "qb:r:w:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'q': quiet = true; break;
    case 'r': reference = optarg; break;
    case 'w': {
      char *end;
      width = strtod(optarg, &end);
      if (end == optarg || *end || !(width > 0) || !isfinite(width)) {
        fprintf(stderr, "kinlab: error: --analysis-width '%s': expected a positive number\n",
                optarg);
        free(by);
        return 1;
      }
      break;
    }
    case 'b':
      free(by);
      by = strdup(optarg);
      break;
    case 'h':
      compare_usage(stdout);
      free(by);
      return 0;
    default:
      fprintf(stderr, "Try 'kinlab compare --help'.\n");
      free(by);
      return 1;
    }
  }
  if (kl_cli_no_empty_argument(argc, argv, optind, "compare")) {
    free(by);
    return 1;
  }
  if (argc - optind != 1) {
    fprintf(stderr, "kinlab: error: compare takes exactly one run directory\n");
    compare_usage(stderr);
    free(by);
    return 1;
  }
  const char *dir = argv[optind];
  char *rule = NULL;
  if (by && (rule = strrchr(by, ':'))) *rule++ = '\0';
  /* An empty KEY (--by "", --by :step; an unset shell variable) silently
   * fell back to the default resolution keys. */
  if (by && !*by) {
    fprintf(stderr, "kinlab: error: --by: expected a dotted configuration KEY, found an empty "
                    "name\n");
    free(by);
    return 1;
  }
  if (by && rule && strcmp(rule, "step") && strcmp(rule, "count")) {
    fprintf(stderr, "kinlab: error: --by %s:%s: expected RULE 'step' or 'count'\n", by, rule);
    free(by);
    return 1;
  }
  kl_error err = {0, ""};
  bool bad_by = false;
  kl_compare_options opts = {by, rule, reference, width};
  int rc = kl_compare_run_dir_with(NULL, dir, &opts, &bad_by, &err);
  free(by);
  if (rc) {
    int code = kl_cli_fail(&err);
    return bad_by ? 1 : code; /* a bad --by is a usage error */
  }
  if (!quiet) {
    char path[4200];
    snprintf(path, sizeof path, "%s/comparison.md", dir);
    FILE *f = fopen(path, "r");
    if (f) {
      char buf[8192];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
      fclose(f);
    }
    fprintf(stderr, "kinlab: wrote %s/comparison.csv and %s/comparison.md\n", dir, dir);
  }
  return 0;
}
