/* bench/bench.h - kernels timed by `kinlab bench` (framework/cli/bench_cmd.c). */
#ifndef KL_BENCH_H
#define KL_BENCH_H

#include <stdbool.h>
#include <stddef.h>

/* The naive reference (bench/naive_pairs.c, -O2 -fno-tree-vectorize): a plain
 * double loop over ordered pairs, scalar, pow for |z|^gamma:
 * out[a*N+i] = -sum_{j != i} w_j C |z|^gamma (|z|^2 dF - (z.dF) z)_a. */
void kl_bench_naive_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                          const double *F, const double *w, double *out);

/* The model's pair sum (bench/fast_pairs.c compiles plugins/landau/landau_pairs.h):
 * the direct tiled sum, or with moments (gamma = 0 only) the exact O(N) moment
 * expansion.  Returns 0, or nonzero when out of memory.  *flops_per_pair: the
 * flops the direct sum counts per unordered pair. */
int kl_bench_fast_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                        const double *F, const double *w, double *out, int reps,
                        double *seconds, double *flops_per_pair, bool moments);

/* The model's treecode (pair_sum: tree, plugins/landau/landau_tree.h) on the
 * same inputs: the best of reps sums (a first, untimed sum when reps > 1).
 * Returns 0, or nonzero when out of memory.  *far_per_target, *near_per_target:
 * the kernel evaluations per target of the last sum (proxies and particles). */
int kl_bench_tree_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                        const double *F, const double *w, double *out, int reps,
                        unsigned degree, double theta, size_t leaf_size, double *seconds,
                        double *near_per_target, double *far_per_target);

/* The exact sum at ns targets idx[k] (each against all N particles, serially
 * in j, OpenMP over the targets): out[a*ns + k]; the reference of the
 * treecode's error. */
void kl_bench_sample_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                           const double *F, const double *w, size_t ns, const size_t *idx,
                           double *out);

#endif
