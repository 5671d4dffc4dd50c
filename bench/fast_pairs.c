/* bench/fast_pairs.c - the landau_particles pair sum, compiled from the same
 * source as the model (plugins/landau/landau_pairs.h) with the same flags. */
#include <time.h>

#include "../plugins/landau/landau_pairs.h"
#include "bench.h"

static double now(void) {
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
    double t0 = now();
    rc = lp_pairs_sum(&p, v, F, w, out);
    double t = now() - t0;
    if (t < best) best = t;
  }
  *seconds = best;
  *flops_per_pair = lp_pair_flops(d, p.gc);
  lp_pairs_free(&p);
  return rc;
}
