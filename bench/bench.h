/* bench/bench.h - the Landau pair-sum kernels timed by `kinlab bench`
 * (framework/cli/bench_cmd.c).  They are compiled into the landau_particles
 * plugin module (plugins/landau/landau.mk: bench/fast_pairs.c with the model's
 * own source and flags, bench/naive_pairs.c as the scalar yardstick), which
 * exports this table under KL_BENCH_PAIRS_SYMBOL; `kinlab bench` finds the
 * module on the plugin path and looks the table up (dlsym), so the core program
 * contains no plugin code (issue 17: benchmarks respect the layering). */
#ifndef KL_BENCH_H
#define KL_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KL_BENCH_PAIRS_SYMBOL "kinlab_bench_landau_pairs"
#define KL_BENCH_PAIRS_MODEL "landau_particles" /* the plugin whose module has it */

typedef struct kl_bench_pairs_ops {
  uint32_t struct_size;
  /* The naive reference (bench/naive_pairs.c, -O2 -fno-tree-vectorize): a plain
   * double loop over ordered pairs, scalar, pow for |z|^gamma:
   * out[a*N+i] = -sum_{j != i} w_j C |z|^gamma (|z|^2 dF - (z.dF) z)_a. */
  void (*naive)(unsigned d, size_t N, double C, double gamma, const double *v, const double *F,
                const double *w, double *out);
  /* The model's pair sum (plugins/landau/landau_pairs.h): the direct tiled
   * sum, or with moments (gamma = 0 only) the exact O(N) moment expansion.
   * Returns 0, or nonzero when out of memory.  *flops_per_pair: the flops the
   * direct sum counts per unordered pair. */
  int (*fast)(unsigned d, size_t N, double C, double gamma, const double *v, const double *F,
              const double *w, double *out, int reps, double *seconds, double *flops_per_pair,
              bool moments);
  /* The model's treecode (pair_sum: tree, plugins/landau/landau_tree.h) on the
   * same inputs: the best of reps sums (a first, untimed sum when reps > 1).
   * Returns 0, or nonzero when out of memory.  *far_per_target,
   * *near_per_target: the kernel evaluations per target of the last sum. */
  int (*tree)(unsigned d, size_t N, double C, double gamma, const double *v, const double *F,
              const double *w, double *out, int reps, unsigned degree, double theta,
              size_t leaf_size, double *seconds, double *near_per_target,
              double *far_per_target);
  /* The exact sum at ns targets idx[k] (each against all N particles,
   * serially in j, OpenMP over the targets): out[a*ns + k]; the reference of
   * the treecode's error. */
  void (*sample)(unsigned d, size_t N, double C, double gamma, const double *v, const double *F,
                 const double *w, size_t ns, const size_t *idx, double *out);
} kl_bench_pairs_ops;

/* The functions behind the table: naive and sample in bench/naive_pairs.c (one
 * row sum shared), fast and tree in bench/fast_pairs.c. */
void kl_bench_naive_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                          const double *F, const double *w, double *out);
int kl_bench_fast_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                        const double *F, const double *w, double *out, int reps,
                        double *seconds, double *flops_per_pair, bool moments);
int kl_bench_tree_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                        const double *F, const double *w, double *out, int reps,
                        unsigned degree, double theta, size_t leaf_size, double *seconds,
                        double *near_per_target, double *far_per_target);
void kl_bench_sample_pairs(unsigned d, size_t N, double C, double gamma, const double *v,
                           const double *F, const double *w, size_t ns, const size_t *idx,
                           double *out);

#endif
