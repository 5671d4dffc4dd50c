/* bench/fast_pairs.c - the landau_particles pair sum, compiled into the
 * model's plugin module (plugins/landau/landau.mk) from the same source
 * (landau_pairs.h) with the same flags, and the table `kinlab bench` looks up
 * there (bench.h). */
#include <time.h>

#include "../plugins/landau/landau_pairs.h"
#include "bench.h"

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int kl_bench_fast_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                        const double *F, const double *w, double *out, int reps,
                        double *seconds, double *flops_per_pair, bool moments) {
  lp_pairs p = {0};
  p.moments = moments;
  p.gc = lp_gamma_case(C, gamma);
  p.C = C;
  p.gamma = gamma;
  if (lp_pairs_init(&p, d, N)) {
    lp_pairs_free(&p);
    return 1;
  }
  int rc = lp_pairs_sum(&p, v, F, w, out); /* warm-up (pages, ifunc) */
  double best = INFINITY;
  for (int r = 0; !rc && r < reps; r++) {
    double t0 = wall_now();
    rc = lp_pairs_sum(&p, v, F, w, out);
    double t = wall_now() - t0;
    if (t < best) best = t;
  }
  *seconds = best;
  *flops_per_pair = lp_pair_flops(d, p.gc);
  lp_pairs_free(&p);
  return rc;
}

int kl_bench_tree_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                        const double *F, const double *w, double *out, int reps,
                        unsigned degree, double theta, size_t leaf_size, double *seconds,
                        double *near_per_target, double *far_per_target) {
  lp_pairs p = {0};
  p.use_tree = true;
  p.gc = lp_gamma_case(C, gamma);
  p.C = C;
  p.gamma = gamma;
  p.tree.degree = degree;
  p.tree.theta = theta;
  p.tree.leaf_size = leaf_size;
  if (lp_pairs_init(&p, d, N)) {
    lp_pairs_free(&p);
    return 1;
  }
  int rc = reps > 1 ? lp_pairs_sum(&p, v, F, w, out) : 0; /* warm-up (pages, ifunc) */
  double best = INFINITY;
  for (int r = 0; !rc && r < reps; r++) {
    double t0 = wall_now();
    rc = lp_pairs_sum(&p, v, F, w, out);
    double t = wall_now() - t0;
    if (t < best) best = t;
  }
  *seconds = best;
  lt_interactions(&p.tree, near_per_target, far_per_target);
  lp_pairs_free(&p);
  return rc;
}

/* Exported from the plugin module (default visibility, like the plugin entry). */
const kl_bench_pairs_ops kinlab_bench_landau_pairs = {
    sizeof(kl_bench_pairs_ops), kl_bench_naive_pairs, kl_bench_fast_pairs, kl_bench_tree_pairs,
    kl_bench_sample_pairs};
