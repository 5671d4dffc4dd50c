/* plugins/common/simd_math.h - SIMD exp and pow for the plugins' inner loops.
 *
 * glibc's libmvec has vector versions of exp and pow (max error 4 ulp); math.h
 * declares them only under -ffast-math, which kinlab does not use, so they are
 * declared here when configure found libmvec (MVEC_CPPFLAGS = -DKL_HAVE_LIBMVEC,
 * link MVEC_LIBS).  Loops calling them under `#pragma omp simd`, in functions
 * built per ISA with KL_SIMD_CLONES (AVX-512, AVX2, x86-64 baseline: the loader
 * picks one), then call the vector variants.  Elsewhere the loops stay scalar.
 * Internal to the tree: not installed. */
#ifndef KL_SIMD_MATH_H
#define KL_SIMD_MATH_H

#include <math.h>

#if defined(KL_HAVE_LIBMVEC) && defined(__GNUC__) && !defined(__clang__) && \
    defined(__x86_64__) && defined(__linux__)
__attribute__((simd("notinbranch"))) extern double exp(double);
__attribute__((simd("notinbranch"))) extern double pow(double, double);
#define KL_SIMD_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KL_SIMD_CLONES
#endif

#endif
