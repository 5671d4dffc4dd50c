/* plugins/common/simd_math.h - helpers for the plugins' vectorized inner loops.
 *
 * KL_ISA_CLONES: build a function three times (x86-64-v4 = AVX-512, x86-64-v3 =
 * AVX2 + FMA, the x86-64 baseline) with GCC's target_clones; the loader picks
 * the best one the CPU runs (ifunc), so the binary stays portable.  Empty for
 * other compilers and targets.
 *
 * SIMD exp and pow: glibc's libmvec has vector versions (max error 4 ulp);
 * math.h declares them only under -ffast-math, which kinlab does not use, so
 * they are declared here when configure found libmvec (MVEC_CPPFLAGS =
 * -DKL_HAVE_LIBMVEC, link MVEC_LIBS).  Calls in `#pragma omp simd` loops then use
 * the vector variants; elsewhere the loops stay scalar.
 *
 * kl_max_finite, kl_min_finite: max/min as plain comparisons.  fmax/fmin must
 * order NaNs and so stay libm calls inside simd loops; use these where the
 * operands are finite (a NaN still propagates to the result or is caught by the
 * runner's finiteness check).
 *
 * Internal to the tree: not installed. */
#ifndef KL_SIMD_MATH_H
#define KL_SIMD_MATH_H

#include <math.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KL_ISA_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KL_ISA_CLONES
#endif

#if defined(KL_HAVE_LIBMVEC) && defined(__GNUC__) && !defined(__clang__) && \
    defined(__x86_64__) && defined(__linux__)
__attribute__((simd("notinbranch"))) extern double exp(double);
__attribute__((simd("notinbranch"))) extern double pow(double, double);
#endif

static inline double kl_max_finite(double a, double b) { return a > b ? a : b; }
static inline double kl_min_finite(double a, double b) { return a < b ? a : b; }

#endif
