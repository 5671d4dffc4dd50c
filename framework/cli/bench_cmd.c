/* bench_cmd.c - `kinlab bench [--n N] [--d D] [--gamma G] [--threads T]
 * [--reps R] [--naive-n M] [--batch P] [--tree ...] [--csv]`: time the Landau
 * collision pair sum (the model's own kernel, plugins/landau/landau_pairs.h)
 * beside the naive reference (bench/naive_pairs.c), optionally the treecode
 * (landau_tree.h) with its error on sampled targets, the mollifier sums and a
 * full right-hand side of landau_particles, and print one table.  See
 * docs/performance.md. */
#include <dlfcn.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../../bench/bench.h"
#include "cli.h"
#include "internal.h" /* kl_csv_field, kl_wall_now */
#include "kinlab/host.h"

/* Largest --n (and --naive-n, --batch): 10^9 particles need 10^9 x 8 x 11 bytes. */
#define BENCH_MAX_N 1000000000L

static void bench_usage(FILE *out) {
  fprintf(out,
          "Usage: kinlab bench [--n N] [--d D] [--gamma G] [--threads T] [--reps R]\n"
          "                    [--naive-n M] [--batch P] [--no-rhs] [--no-pairs] [--no-full]\n"
          "                    [--tree] [--tree-degree K] [--tree-theta TH] [--tree-leaf L]\n"
          "                    [--sample S] [--no-direct] [--csv]\n"
          "\n"
          "Time the Landau collision pair sum (each unordered pair once, SIMD, OpenMP;\n"
          "for gamma = 0 and 2 also the exact O(N) moment expansion) against the\n"
          "naive reference (ordered pairs, scalar, pow, -O2), the mollifier sums and a full\n"
          "right-hand side of landau_particles (Maxwellian initial data on an n^d mesh\n"
          "with n^d ~ N), and print one table.\n"
          "\n"
          "  --n N        particles (default 20000)\n"
          "  --d D        velocity dimension 2 or 3 (default 3)\n"
          "  --gamma G    kernel exponent (default -3)\n"
          "  --threads T  OpenMP threads (default: OMP_NUM_THREADS or all)\n"
          "  --reps R     repetitions, the best is reported (default 3)\n"
          "  --naive-n M  run the naive reference on the first M >= 2 particles only and\n"
          "               scale its time by (N/M)^2 (default: N, the full sum)\n"
          "  --batch P    also time collisions: random_batch with batch_size P (default 0: no)\n"
          "  --no-rhs     skip the model rows (pair sums only)\n"
          "  --no-pairs   skip the pair-sum rows (model rows only)\n"
          "  --no-full    skip the full right-hand side row\n"
          "  --tree       also time the treecode (pair_sum: tree) and print its max\n"
          "               relative error against the exact sum on --sample targets\n"
          "  --tree-degree K, --tree-theta TH, --tree-leaf L\n"
          "               its interpolation degree (default 7), opening angle (0.7)\n"
          "               and leaf size (32), as the model's tree_* parameters\n"
          "  --sample S   targets (evenly spaced indices) of the error (default 1000,\n"
          "               or N when smaller)\n"
          "  --no-direct  skip the direct and naive sums (with --tree, for large N)\n"
          "  --csv        comma-separated output\n"
          "\n"
          "Every value is checked before anything is timed (gamma against the power_law\n"
          "kernel's bounds when the plugins are found); a bad value, or an option that\n"
          "others make meaningless (--no-rhs with --batch or --no-full, --no-pairs with\n"
          "--naive-n), is a usage error (exit 1) and nothing is timed.\n");
}

/* Deterministic pseudo-random numbers (splitmix64) for the pair-sum inputs. */
static double urand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

/* Out of memory for what --n asks: say so, and how much (0: unknown). */
static int bench_nomem(const char *what, size_t bytes) {
  if (bytes) fprintf(stderr, "kinlab: error: bench --n: out of memory for %s (%zu bytes)\n", what, bytes);
  else fprintf(stderr, "kinlab: error: bench --n: out of memory for %s\n", what);
  return EXIT_INPUT;
}

typedef struct row {
  const char *what;
  double n, seconds, pairs, flops, speedup;
} row;

static void print_rows(const row *r, size_t nr, bool csv, unsigned d, double gamma, int threads) {
  if (csv) {
    printf("what,N,d,gamma,threads,seconds,pairs_per_s,gflops,speedup_vs_naive\n");
    for (size_t k = 0; k < nr; k++) {
      kl_csv_field(stdout, r[k].what); /* "pair sum, naive ...": quoted (RFC 4180) */
      printf(",%.0f,%u,%g,%d,%.6g,%.6g,%.6g,%.4g\n", r[k].n, d, gamma, threads,
             r[k].seconds, r[k].pairs > 0 ? r[k].pairs / r[k].seconds : NAN,
             r[k].flops > 0 ? 1e-9 * r[k].flops / r[k].seconds : NAN, r[k].speedup);
    }
    return;
  }
  printf("kinlab bench: d = %u, gamma = %g, %d thread%s\n\n", d, gamma, threads,
         threads == 1 ? "" : "s");
  printf("| %-40s | %8s | %11s | %12s | %8s | %9s |\n", "what", "N", "seconds",
         "pairs/s", "GFLOP/s", "vs naive");
  printf("|%s|%s|%s|%s|%s|%s|\n", "------------------------------------------", "----------:",
         "------------:", "-------------:", "---------:", "----------:");
  for (size_t k = 0; k < nr; k++) {
    char ps[32] = "", gf[32] = "", sp[32] = "";
    if (r[k].pairs > 0) snprintf(ps, sizeof ps, "%.4g", r[k].pairs / r[k].seconds);
    if (r[k].flops > 0) snprintf(gf, sizeof gf, "%.3g", 1e-9 * r[k].flops / r[k].seconds);
    if (isfinite(r[k].speedup)) snprintf(sp, sizeof sp, "%.1fx", r[k].speedup);
    printf("| %-40s | %8.0f | %11.5g | %12s | %8s | %9s |\n", r[k].what, r[k].n,
           r[k].seconds, ps, gf, sp);
  }
  printf("\npairs/s counts unordered pairs N(N-1)/2 resolved per second for every row\n"
         "(the naive loop evaluates each twice); GFLOP/s counts the flops of\n"
         "docs/performance.md; a model row's pairs are those of its pair sum.\n");
}

/* The pair-sum kernels exported by the landau_particles module found on the
 * plugin path (bench/bench.h), or NULL with a message.  *handle keeps the
 * module open while they run (dlclose it after). */
static const kl_bench_pairs_ops *bench_pair_kernels(void **handle) {
  *handle = NULL;
  kl_error err = {0, ""};
  kl_registry *reg = kl_registry_new();
  int rc = reg ? kl_registry_load_default_path(reg, &err) : KL_ENOMEM;
  const char *file = NULL;
  for (size_t i = 0; !rc && i < kl_registry_count(reg) && !file; i++)
    if (!strcmp(kl_registry_at(reg, i)->name, KL_BENCH_PAIRS_MODEL))
      file = kl_registry_origin(reg, i);
  const kl_bench_pairs_ops *ops = NULL;
  if (file && (*handle = dlopen(file, RTLD_NOW | RTLD_LOCAL)))
    ops = (const kl_bench_pairs_ops *)dlsym(*handle, KL_BENCH_PAIRS_SYMBOL);
  if (!ops || ops->struct_size < sizeof *ops)
    fprintf(stderr,
            "kinlab: error: bench: the pair-sum kernels come from the %s plugin module, %s%s%s\n",
            KL_BENCH_PAIRS_MODEL,
            rc ? "but the plugin path failed to load: " : !file ? "which is not on the plugin "
                                                                  "path (KINLAB_PLUGIN_PATH)"
                                                : "which has no benchmark table (another "
                                                  "version?): ",
            rc ? err.message : "", rc || !file ? "" : file);
  if ((!ops || ops->struct_size < sizeof *ops) && *handle) {
    dlclose(*handle);
    *handle = NULL;
    ops = NULL;
  }
  kl_registry_free(reg);
  return ops;
}

/* Time kl_model_rhs of a landau_particles instance. */
static int time_rhs(kl_registry *reg, kl_instance *init, unsigned d, long nside, double gamma,
                    const char *extra, int reps, double *seconds, size_t *N, kl_error *err) {
  char yaml[512];
  snprintf(yaml, sizeof yaml,
           "{type: landau_particles, d: %u, n: %ld, kernel: {type: power_law, gamma: %.17g}%s}",
           d, nside, gamma, extra);
  kl_instance *model = NULL;
  int rc = kl_instance_from_yaml(reg, KL_KIND_MODEL, yaml, d, 0, init, NULL, &model, err);
  if (rc) return rc;
  size_t n = kl_model_size(model);
  double *y = malloc(n * sizeof *y), *dy = malloc(n * sizeof *dy);
  double t0 = 0;
  if (!y || !dy)
    rc = kl_error_set(err, KL_ENOMEM, "--n: out of memory for two state vectors of %zu values "
                                      "(%zu bytes)", n, 2 * n * sizeof *y);
  if (!rc) rc = kl_model_initial(model, &t0, y, err);
  if (!rc) rc = kl_model_rhs(model, 0, y, dy, err); /* warm-up */
  double best = INFINITY;
  for (int r = 0; !rc && r < reps; r++) {
    double a = kl_wall_now();
    rc = kl_model_rhs(model, 0, y, dy, err);
    double b = kl_wall_now() - a;
    if (b < best) best = b;
  }
  *seconds = best;
  *N = n / d;
  free(y);
  free(dy);
  kl_instance_free(model);
  return rc;
}

int kl_cli_bench(int argc, char **argv) {
  static const struct option longopts[] = {
      {"n", required_argument, NULL, 'n'},       {"d", required_argument, NULL, 'd'},
      {"gamma", required_argument, NULL, 'g'},   {"threads", required_argument, NULL, 't'},
      {"reps", required_argument, NULL, 'r'},    {"naive-n", required_argument, NULL, 'm'},
      {"batch", required_argument, NULL, 'b'},   {"no-rhs", no_argument, NULL, 'x'},
      {"no-pairs", no_argument, NULL, 'p'},      {"no-full", no_argument, NULL, 'f'},
      {"csv", no_argument, NULL, 'c'},           {"help", no_argument, NULL, 'h'},
      {"tree", no_argument, NULL, 'T'},          {"tree-degree", required_argument, NULL, 'K'},
      {"tree-theta", required_argument, NULL, 'H'}, {"tree-leaf", required_argument, NULL, 'L'},
      {"sample", required_argument, NULL, 'S'},  {"no-direct", no_argument, NULL, 'D'},
      {NULL, 0, NULL, 0}};
  long N = 20000, naive_n = 0, batch = 0, dim = 3, nthreads = 0, nreps = 3;
  double gamma = -3;
  const char *gamma_text = "-3";
  bool csv = false, no_rhs = false, no_pairs = false, no_full = false;
  bool seen_naive = false, seen_batch = false;
  bool tree = false, no_direct = false, seen_tree_opt = false, seen_sample = false;
  long tree_degree = 7, tree_leaf = 32, sample = 1000;
  double tree_theta = 0.7;
  optind = 1;
  int c, bad = 0;
  /* Every value is checked here, before anything is timed: a bad one stops
   * the benchmark with exit 1 (docs/performance.md). */
  while (!bad && (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'n': bad = kl_cli_parse_long("--n", optarg, 2, BENCH_MAX_N, &N); break;
    case 'm':
      bad = kl_cli_parse_long("--naive-n", optarg, 0, BENCH_MAX_N, &naive_n);
      seen_naive = true;
      /* One particle has no pair: the naive row was "inf" seconds, exit 0. */
      if (!bad && naive_n == 1) {
        fprintf(stderr, "kinlab: error: --naive-n 1: expected 0 (the full sum) or at least 2 "
                        "particles (one has no pair to time)\n");
        bad = 1;
      }
      break;
    case 'b':
      bad = kl_cli_parse_long("--batch", optarg, 0, BENCH_MAX_N, &batch);
      seen_batch = true;
      if (!bad && batch == 1) {
        fprintf(stderr, "kinlab: error: --batch 1: expected 0 (no random batches) or a batch "
                        "size of at least 2\n");
        bad = 1;
      }
      break;
    case 'd': bad = kl_cli_parse_long("--d", optarg, 2, 3, &dim); break;
    case 'g':
      bad = kl_cli_parse_real("--gamma", optarg, &gamma);
      gamma_text = optarg;
      break;
    case 't': bad = kl_cli_parse_long("--threads", optarg, 1, KL_CLI_MAX_THREADS, &nthreads); break;
    case 'r': bad = kl_cli_parse_long("--reps", optarg, 1, 1000, &nreps); break;
    case 'c': csv = true; break;
    case 'x': no_rhs = true; break;
    case 'p': no_pairs = true; break;
    case 'f': no_full = true; break;
    case 'T': tree = true; break;
    case 'D': no_direct = true; break;
    case 'K':
      bad = kl_cli_parse_long("--tree-degree", optarg, 1, 16, &tree_degree);
      seen_tree_opt = true;
      break;
    case 'L':
      bad = kl_cli_parse_long("--tree-leaf", optarg, 1, BENCH_MAX_N, &tree_leaf);
      seen_tree_opt = true;
      break;
    case 'S':
      bad = kl_cli_parse_long("--sample", optarg, 1, BENCH_MAX_N, &sample);
      seen_tree_opt = seen_sample = true;
      break;
    case 'H':
      bad = kl_cli_parse_real("--tree-theta", optarg, &tree_theta);
      if (!bad && !(tree_theta > 0 && tree_theta < 1)) {
        fprintf(stderr, "kinlab: error: --tree-theta %s: expected a number in (0, 1)\n", optarg);
        bad = 1;
      }
      seen_tree_opt = true;
      break;
    case 'h': bench_usage(stdout); return 0;
    default: fprintf(stderr, "Try 'kinlab bench --help'.\n"); return 1;
    }
  }
  if (bad) return 1;
  /* Options that the other options make meaningless are refused, not ignored. */
  const char *clash = optind != argc            ? "bench takes no arguments"
                      : no_rhs && no_pairs      ? "--no-rhs --no-pairs: nothing left to time"
                      : no_rhs && no_full       ? "--no-full skips a model row, but --no-rhs "
                                                  "skips them all"
                      : no_rhs && seen_batch    ? "--batch times a model row, but --no-rhs "
                                                  "skips them"
                      : no_pairs && seen_naive  ? "--naive-n sets the naive pair sum, but "
                                                  "--no-pairs skips it"
                      : seen_tree_opt && !tree  ? "--tree-degree, --tree-theta, --tree-leaf "
                                                  "and --sample set the treecode: add --tree"
                      : no_direct && !tree      ? "--no-direct without --tree: no pair sum "
                                                  "left to time"
                      : no_direct && no_pairs   ? "--no-direct skips pair-sum rows, but "
                                                  "--no-pairs skips them all"
                      : tree && no_pairs        ? "--tree times a pair sum, but --no-pairs "
                                                  "skips them"
                      : no_direct && seen_naive ? "--naive-n sets the naive pair sum, but "
                                                  "--no-direct skips it"
                      : seen_sample && sample > N ? "--sample: expected at most --n"
                      : naive_n > N             ? "--naive-n: expected at most --n"
                      : batch > N               ? "--batch: expected at most --n"
                      /* the model rows use n = round(N^(1/d)) particles a side */
                      : !no_rhs && lround(pow((double)N, 1.0 / (double)dim)) < 2
                          ? "--n: the model rows need N^(1/d) >= 1.5 (2 particles a side): "
                            "expected a larger --n, or --no-rhs"
                                                : NULL;
  if (clash) {
    fprintf(stderr, "kinlab: error: %s%s%s\n", clash, optind != argc ? ": " : "",
            optind != argc ? argv[optind] : "");
    return 1;
  }
  const unsigned d = (unsigned)dim;
  int threads = (int)nthreads;
  const int reps = (int)nreps;
  /* The kernel's own bounds on gamma (and the model's on batch_size), before
   * anything is timed, when the plugins are there to say (--no-rhs needs none). */
  {
    kl_registry *reg = kl_registry_new();
    kl_error err = {0, ""};
    int rc = reg ? kl_registry_load_default_path(reg, &err) : KL_ENOMEM;
    bool have_kernel = !rc && kl_registry_find(reg, "power_law");
    if (!rc && !have_kernel && !no_rhs)
      rc = kl_error_set(&err, KL_EPLUGIN, "the model rows need the landau_particles and "
                                          "power_law plugins: not found (KINLAB_PLUGIN_PATH; "
                                          "or --no-rhs)");
    if (have_kernel) {
      char yaml[256];
      snprintf(yaml, sizeof yaml, "{type: power_law, gamma: %.17g}", gamma);
      kl_instance *k = NULL;
      rc = kl_instance_from_yaml(reg, KL_KIND_KERNEL, yaml, d, 0, NULL, NULL, &k, &err);
      kl_instance_free(k);
    }
    kl_registry_free(reg);
    if (rc) {
      fprintf(stderr, "kinlab: error: bench%s%s: %s\n", rc == KL_EINVAL ? " --gamma " : "",
              rc == KL_EINVAL ? gamma_text : "", err.message[0] ? err.message : "out of memory");
      return rc == KL_EINVAL ? 1 : kl_cli_exit_code(rc);
    }
  }
  if (threads > 0 && kl_cli_check_threads("--threads", threads)) return EXIT_INPUT;
  if (naive_n == 0) naive_n = N;
  if (sample > N) sample = N; /* the default 1000, for a smaller --n */
#ifdef _OPENMP
  if (threads > 0) omp_set_num_threads(threads);
  threads = omp_get_max_threads();
#else
  threads = 1;
#endif
  const double C = d == 2 ? 1.0 / 16 : 1.0 / 24;
  void *kernels_module;
  const kl_bench_pairs_ops *K = bench_pair_kernels(&kernels_module);
  if (!K) return EXIT_PLUGIN;
  const bool polynomial = gamma == 0 || gamma == 2; /* A(z) polynomial: moments exist */
  const size_t n = (size_t)N;
  double *v = malloc(d * n * sizeof *v), *F = malloc(d * n * sizeof *F),
         *w = malloc(n * sizeof *w), *o1 = malloc(d * n * sizeof *o1),
         *o2 = malloc(d * n * sizeof *o2);
  if (!v || !F || !w || !o1 || !o2) {
    free(v);
    free(F);
    free(w);
    free(o1);
    free(o2);
    return bench_nomem("the particle arrays", (4 * d + 1) * n * sizeof *v);
  }
  uint64_t seed = 12345;
  for (size_t i = 0; i < d * n; i++) v[i] = 6 * urand(&seed) - 3;
  for (size_t i = 0; i < d * n; i++) F[i] = 2 * urand(&seed) - 1;
  for (size_t i = 0; i < n; i++) w[i] = (0.5 + urand(&seed)) / (double)n;

  row rows[10];
  size_t nr = 0;
  const double pairs = 0.5 * (double)n * (double)(n - 1);
  double fast_s = NAN, fpp = 0, naive_s = NAN, maxerr = 0, maxval = 0, maxerr_mom = 0,
         maxval_direct = 0;
  const size_t m = (size_t)naive_n;
  double tree_s = NAN, tree_err = NAN, tree_ref = NAN, tree_near = 0, tree_far = 0;
  if (no_pairs || no_direct) {
    double t0;
    if (K->fast(d, 2, C, gamma, v, F, w, o1, 1, &t0, &fpp, false))
      return bench_nomem("the pair sum's blocks", 0);
    if (no_pairs) goto model_rows;
    goto tree_row;
  }
  if (K->fast(d, n, C, gamma, v, F, w, o1, reps, &fast_s, &fpp, false))
    return bench_nomem("the pair sum's blocks", 0);
  /* naive: on the first naive_n particles (stride naive_n arrays) */
  double *vm = malloc(d * m * sizeof *vm), *Fm = malloc(d * m * sizeof *Fm);
  if (!vm || !Fm) return bench_nomem("the naive sum's copies", 2 * d * m * sizeof *vm);
  for (unsigned a = 0; a < d; a++) {
    memcpy(vm + a * m, v + a * n, m * sizeof *vm);
    memcpy(Fm + a * m, F + a * n, m * sizeof *Fm);
  }
  double a0 = kl_wall_now();
  K->naive(d, m, C, gamma, vm, Fm, w, o2);
  /* naive flops per ordered pair: z d, dF d, |z|^2 2d-1, z.dF 2d-1, phi 3 (sqrt,
   * pow, mul: one each), acc += w phi (r2 dF - sz z) 6 per component */
  const double naive_fpp = d + d + (2 * d - 1) + (2 * d - 1) + 3 + 6 * d;
  naive_s = (kl_wall_now() - a0) * ((double)n * (double)(n - 1)) / ((double)m * (double)(m - 1));
  /* check: the two sums agree on the first naive_n particles when m == n */
  if (m == n)
    for (size_t i = 0; i < d * n; i++) {
      double e = fabs(o1[i] - o2[i]);
      maxerr = e > maxerr ? e : maxerr;
      maxval = fabs(o2[i]) > maxval ? fabs(o2[i]) : maxval;
    }
  free(vm);
  free(Fm);
  rows[nr++] = (row){"pair sum, naive reference (-O2, 1 thr)", (double)n, naive_s, pairs,
                     2 * pairs * naive_fpp, 1.0};
  rows[nr++] = (row){"pair sum, kinlab direct (landau_pairs.h)", (double)n, fast_s, pairs,
                     pairs * fpp, naive_s / fast_s};
  if (polynomial) { /* gamma = 0 or 2: the exact O(N) moment expansion too */
    double mom_s = NAN, unused;
    double *o3 = malloc(d * n * sizeof *o3);
    if (!o3 || K->fast(d, n, C, gamma, v, F, w, o3, reps, &mom_s, &unused, true))
      return bench_nomem("the moment expansion", d * n * sizeof *o3);
    for (size_t i = 0; i < d * n; i++) {
      double e = fabs(o3[i] - o1[i]);
      maxerr_mom = e > maxerr_mom ? e : maxerr_mom;
      maxval_direct = fabs(o1[i]) > maxval_direct ? fabs(o1[i]) : maxval_direct;
    }
    free(o3);
    rows[nr++] = (row){"pair sum, kinlab moments (O(N), exact)", (double)n, mom_s, pairs, 0,
                       naive_s / mom_s};
  }

tree_row:
  if (tree) { /* the treecode, and its error against the exact sum on sampled targets */
    const size_t ns = (size_t)sample;
    double *o3 = malloc(d * n * sizeof *o3), *ref = malloc(d * ns * sizeof *ref);
    size_t *idx = malloc(ns * sizeof *idx);
    if (!o3 || !ref || !idx ||
        K->tree(d, n, C, gamma, v, F, w, o3, reps, (unsigned)tree_degree,
                            tree_theta, (size_t)tree_leaf, &tree_s, &tree_near, &tree_far))
      return bench_nomem("the treecode", d * n * sizeof *o3);
    for (size_t k = 0; k < ns; k++) idx[k] = k * n / ns;
    K->sample(d, n, C, gamma, v, F, w, ns, idx, ref);
    double emax = 0, umax = 0;
    for (size_t k = 0; k < ns; k++) {
      double e2 = 0, u2 = 0;
      for (unsigned a = 0; a < d; a++) {
        const double e = o3[a * n + idx[k]] - ref[a * ns + k];
        e2 += e * e, u2 += ref[a * ns + k] * ref[a * ns + k];
      }
      emax = fmax(emax, sqrt(e2)), umax = fmax(umax, sqrt(u2));
    }
    tree_err = emax / umax, tree_ref = umax;
    free(o3), free(ref), free(idx);
    static char name[96];
    snprintf(name, sizeof name, "pair sum, kinlab tree (n = %ld, theta = %g, error %.2g)",
             tree_degree, tree_theta, tree_err);
    rows[nr++] = (row){name, (double)n, tree_s, pairs, 0, naive_s / tree_s};
  }

model_rows:;
  int rc = 0;
  if (!no_rhs) {
    kl_registry *reg = kl_registry_new();
    kl_error err = {0, ""};
    kl_instance *init = NULL;
    long nside = lround(pow((double)n, 1.0 / d));
    if (!reg) rc = kl_error_set(&err, KL_ENOMEM, "out of memory");
    if (!rc) rc = kl_registry_load_default_path(reg, &err);
    if (!rc)
      rc = kl_instance_from_yaml(reg, KL_KIND_INITIAL, "{type: maxwellian}", d, 0, NULL, NULL,
                                 &init, &err);
    double s1 = 0, s2 = 0, s3 = 0;
    size_t Nm = 0;
    if (!rc) rc = time_rhs(reg, init, d, nside, gamma, ", collisions: none", reps, &s1, &Nm, &err);
    if (!rc) rows[nr++] = (row){"mollifier sums (rhs, collisions: none)", (double)Nm, s1, 0, 0, NAN};
    /* the direct pair sum (pair_sum: auto would take the tree from N = 50 000,
     * whose cost is not the flops below): moments stays the default for gamma = 0, 2 */
    if (!rc && !no_full)
      rc = time_rhs(reg, init, d, nside, gamma, polynomial ? "" : ", pair_sum: direct", reps,
                    &s2, &Nm, &err);
    double mp = 0.5 * (double)Nm * (double)(Nm - 1);
    /* gamma = 0, 2: the model's default pair sum is the O(N) moment expansion,
     * whose flops are not those of the direct sum: no GFLOP/s for that row */
    if (!rc && !no_full)
      rows[nr++] = (row){polynomial ? "full rhs (landau_particles, moments)"
                                    : "full rhs (landau_particles)",
                         (double)Nm, s2, mp, polynomial ? 0 : mp * fpp,
                         naive_s * (mp / pairs) / s2};
    if (!rc && batch > 0) {
      char extra[128];
      snprintf(extra, sizeof extra, ", collisions: random_batch, batch_size: %ld", batch);
      rc = time_rhs(reg, init, d, nside, gamma, extra, reps, &s3, &Nm, &err);
      double bp = 0.5 * (double)Nm * (double)(batch - 1);
      if (!rc) {
        static char name[64];
        snprintf(name, sizeof name, "rhs, random_batch p = %ld", batch);
        rows[nr++] = (row){name, (double)Nm, s3, bp, bp * fpp, NAN};
      }
    }
    kl_instance_free(init);
    kl_registry_free(reg);
    /* A model parameter bench derived from the options: say which option. */
    if (rc == KL_EINVAL)
      kl_error_prefix(&err, "--n %ld --d %ld: the model rows (landau_particles, n = %ld a side) "
                            "cannot be set up: use a larger --n, or --no-rhs",
                      N, dim, nside);
    if (rc) { /* no table: a part of it would pass for the whole */
      free(v);
      free(F);
      free(w);
      free(o1);
      free(o2);
      return kl_cli_fail(&err);
    }
  }
  print_rows(rows, nr, csv, d, gamma, threads);
  if (m == n && !no_pairs && !no_direct && !csv)
    printf("max |kinlab - naive| = %.3g (max |naive| = %.3g)\n", maxerr, maxval);
  if (tree && !csv)
    printf("tree (degree %ld, theta %g, leaf %ld): max relative error %.3g on %ld sampled\n"
           "targets (max_i |tree_i - exact_i| / max_i |exact_i|, max |exact| = %.3g); kernel\n"
           "evaluations per target: %.4g near + %.4g far (direct: N - 1 = %zu)%s\n",
           tree_degree, tree_theta, tree_leaf, tree_err, sample, tree_ref, tree_near, tree_far,
           n - 1, "");
  if (tree && !no_direct && !csv)
    printf("speed-up of the tree over the direct sum: %.3gx\n", fast_s / tree_s);
  if (polynomial && !no_pairs && !no_direct && !csv)
    printf("max |moments - direct| = %.3g (max |direct| = %.3g); the moments row's pairs/s\n"
           "are the pairs the direct sum resolves, its cost is O(N) (docs/performance.md)\n",
           maxerr_mom, maxval_direct);
  free(v);
  free(F);
  free(w);
  free(o1);
  free(o2);
  dlclose(kernels_module);
  return 0;
}
