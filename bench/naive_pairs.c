/* bench/naive_pairs.c - the naive reference of the Landau collision pair sum.
 * Compiled -O2 -fno-tree-vectorize (bench/local.mk): a plain double loop over
 * the N(N-1) ordered pairs, scalar, with pow for |z|^gamma.  Kept deliberately
 * simple: it is the yardstick of docs/performance.md, not a code to optimise. */
#include <math.h>

#include "bench.h"

/* The sum at target i over all j != i, in j order: one row of the naive loop. */
static void naive_target(unsigned d, size_t N, double C, double gamma, const double *v,
                         const double *F, const double *w, size_t i, double *acc) {
  acc[0] = acc[1] = acc[2] = 0;
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
}

void kl_bench_naive_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                          const double *F, const double *w, double *out) {
  for (size_t i = 0; i < N; i++) {
    double acc[3];
    naive_target(d, N, C, gamma, v, F, w, i, acc);
    for (unsigned a = 0; a < d; a++) out[a * N + i] = -acc[a];
  }
}

/* The same rows at ns sampled targets, OpenMP over the targets (the reference
 * of the treecode's error): out[a*ns + k] for target idx[k]. */
void kl_bench_sample_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                           const double *F, const double *w, size_t ns, const size_t *idx,
                           double *out) {
#pragma omp parallel for schedule(dynamic, 4)
  for (size_t k = 0; k < ns; k++) {
    double acc[3];
    naive_target(d, N, C, gamma, v, F, w, idx[k], acc);
    for (unsigned a = 0; a < d; a++) out[a * ns + k] = -acc[a];
  }
}
