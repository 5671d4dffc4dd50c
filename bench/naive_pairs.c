/* bench/naive_pairs.c - the naive reference of the Landau collision pair sum.
 * Compiled -O2 -fno-tree-vectorize (bench/local.mk): a plain double loop over
 * the N(N-1) ordered pairs, scalar, with pow for |z|^gamma.  Kept deliberately
 * simple: it is the yardstick of docs/performance.md, not a code to optimise. */
#include <math.h>

#include "bench.h"

void kl_bench_naive_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                          const double *F, const double *w, double *out) {
  for (size_t i = 0; i < N; i++) {
    double acc[3] = {0, 0, 0};
    for (size_t j = 0; j < N; j++) {
      if (j == i) continue;
      double z[3], dF[3], r2 = 0, sz = 0;
      for (unsigned a = 0; a < d; a++) {
        z[a] = v[a * N + i] - v[a * N + j];
        dF[a] = F[a * N + i] - F[a * N + j];
        r2 += z[a] * z[a];
        sz += z[a] * dF[a];
      }
      if (r2 == 0) continue;
      double phi = C * pow(sqrt(r2), gamma);
      for (unsigned a = 0; a < d; a++) acc[a] += w[j] * phi * (r2 * dF[a] - sz * z[a]);
    }
    for (unsigned a = 0; a < d; a++) out[a * N + i] = -acc[a];
  }
}
