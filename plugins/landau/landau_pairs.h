/* plugins/landau/landau_pairs.h - the Landau collision pair sum
 *
 *   dv_i/dt = - sum_j w_j A(v_i - v_j) (F_i - F_j),  A(z) = phi(|z|)(|z|^2 I - z z^T),
 *
 * shared, as source, by the landau_particles model and `kinlab bench`
 * (bench/fast_pairs.c includes it), so the benchmark times exactly the code the
 * model runs.  Internal: not installed, not part of the plugin contract.
 *
 * Each unordered pair is visited once (the summand is antisymmetric in i, j),
 * over tiles of a fixed block decomposition that depends on N only: row block I
 * owns the contributions to itself and writes those to block J > I into the
 * private buffer of tile (I, J); the buffers are summed in increasing I.  The
 * result is therefore bit-identical for any number of OpenMP threads.
 *
 * The inner loop is one fused `omp simd` loop per (d, gamma) case; for the named
 * power laws phi is a sqrt/div chain (gamma = -3: C / (r2 sqrt r2), -2: C / r2,
 * -1: C / sqrt r2, 0: C, 1: C sqrt r2, 2: C r2, and the half-integers -2.5 ...
 * 1.5 with r2^(1/4) = sqrt sqrt r2), never pow.  The kernels are
 * built three times (x86-64 baseline SSE2, x86-64-v3 = AVX2 + FMA, x86-64-v4 =
 * AVX-512) with GCC's target_clones (KL_ISA_CLONES, plugins/common/simd_math.h);
 * the loader picks the best one the CPU runs (ifunc), so the binary stays portable.  FMA contraction makes the clones
 * differ in the last bits; on one machine every run uses the same clone.  Other
 * gamma fill a per-row table with SIMD pow (plugins/common/simd_math.h).
 *
 * For gamma = 0 and 2, A is a polynomial in z and lp_pairs_moments(2) give the
 * same sum exactly in O(N) from moments of the particles (p->moments).  For
 * large N the barycentric Lagrange treecode of landau_tree.h (p->use_tree)
 * gives it approximately in O(N log N), for every kernel.
 */
#ifndef KL_LANDAU_PAIRS_H
#define KL_LANDAU_PAIRS_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <kinlab/kinlab.h>

#include "../common/simd_math.h"

typedef enum {
  G_PLUGIN, G_GENERIC, G_M3, G_M5_2, G_M2, G_M3_2, G_M1, G_M1_2, G_0, G_1_2, G_1, G_3_2, G_2
} gamma_case;

/* PHI: phi(rr) for rr = |z|^2 (K: a constant factor of phi moved out of the inner loop: the
 * row weight w_i and the row sums are scaled by K instead). */
/* PHI: phi from rr = |z|^2 >= 0 and rs = (rr > 0 ? rr : 1), without any
 * branch or mask (GCC would not if-convert a division under -ftrapping-math):
 * at rr = 0 (coincident particles) z = 0, so t = phi (rr dF - (z.dF) z) = 0
 * for the finite phi(rs = 1) = C: coincident particles do not interact. */
#define LP_PHI_M3 (C / (rs * sqrt(rs)))
#define LP_PHI_M5_2 (C / (rs * sqrt(sqrt(rs)))) /* half-integer gamma: |z|^(1/2) = r2^(1/4) */
#define LP_PHI_M3_2 (C / (sqrt(rs) * sqrt(sqrt(rs))))
#define LP_PHI_M1_2 (C / sqrt(sqrt(rs)))
#define LP_PHI_1_2 (C * sqrt(sqrt(rr)))
#define LP_PHI_3_2 (C * sqrt(rr) * sqrt(sqrt(rr)))
#define LP_PHI_M2 (C / rs)
#define LP_PHI_M1 (C / sqrt(rs))
#define LP_PHI_0 (1.0) /* with K = C: the constant leaves the inner loop */
#define LP_PHI_1 (C * sqrt(rr))
#define LP_PHI_2 (C * rr)
#define LP_PHI_TAB (phi[q])

/* phi[q] = C r2^(gamma/2) for a generic gamma, branch-free so that the loop
 * vectorizes with libmvec's SIMD pow (plugins/common/simd_math.h): r2 = 0 is
 * replaced by 1 inside pow and the result multiplied by 0. */
KL_ISA_CLONES static void lp_phi_pow(double C, double hg, size_t m, const double *restrict r2,
                                      double *restrict phi) {
#pragma omp simd
  for (size_t q = 0; q < m; q++) {
    const double pos = (double)(r2[q] > 0);
    phi[q] = pos * C * pow(r2[q] + (1.0 - pos), hg);
  }
}

#include "landau_tree.h" /* pair_sum: tree */

enum { LP_MAX_BLOCKS = 64, LP_MIN_BLOCK = 32 };
/* pair_sum: auto takes the treecode (for a non-polynomial kernel) from this N:
 * above the crossover with the direct sum measured by `kinlab bench`
 * (docs/performance.md), and above the examples' N, whose results stay exact. */
enum { LP_TREE_AUTO_MIN_N = 50000 };

typedef struct lp_pairs {
  unsigned d;
  size_t N;
  size_t bs, B;       /* block size, number of blocks                  */
  gamma_case gc;
  double C, gamma;
  kl_instance *kern;  /* for G_PLUGIN                                   */
  bool moments;       /* gamma = 0 or 2: the exact O(N) moment expansion
                         (lp_pairs_moments, _moments2) instead of tiles */
  bool use_tree;      /* the treecode (landau_tree.h) instead of tiles; set
                         tree.degree, .theta, .leaf_size before lp_pairs_init */
  lt_tree tree;
  int rank, ranks;    /* MPI: this rank computes the row blocks I with
                         I % ranks == rank (ranks 0 or 1: all of them); set
                         before lp_pairs_init                          */
  double *own;        /* d*N: row-block contributions                   */
  double *part;       /* tile buffers of this rank's row blocks         */
  size_t tile_off[LP_MAX_BLOCKS]; /* first tile of row block I in part */
} lp_pairs;

static inline gamma_case lp_gamma_case(double C, double g) {
  if (isnan(C)) return G_PLUGIN;
  return g == -3 ? G_M3 : g == -2.5 ? G_M5_2 : g == -2 ? G_M2 : g == -1.5 ? G_M3_2
       : g == -1 ? G_M1 : g == -0.5 ? G_M1_2 : g == 0 ? G_0 : g == 0.5 ? G_1_2 : g == 1 ? G_1
       : g == 1.5 ? G_3_2 : g == 2 ? G_2 : G_GENERIC;
}

static inline bool lp_owns_block(const lp_pairs *p, size_t I) {
  return p->ranks <= 1 || (int)(I % (size_t)p->ranks) == p->rank;
}

/* Block decomposition for N particles and buffers; 0 or KL_ENOMEM.  Only the
 * tiles (I, J > I) of the row blocks this rank owns get a buffer, so K ranks
 * hold about 1/K of them each; the moment expansion needs none. */
static inline int lp_pairs_init(lp_pairs *p, unsigned d, size_t N) {
  if (p->ranks < 1) p->ranks = 1, p->rank = 0;
  p->d = d;
  p->N = N;
  p->B = (N + LP_MIN_BLOCK - 1) / LP_MIN_BLOCK;
  if (p->B > LP_MAX_BLOCKS) p->B = LP_MAX_BLOCKS;
  if (p->B == 0) p->B = 1;
  p->bs = (N + p->B - 1) / p->B;
  p->bs = (p->bs + 7) / 8 * 8;
  p->B = (N + p->bs - 1) / p->bs;
  if (p->B == 0) p->B = 1;
  const bool tiles = !p->moments && !p->use_tree;
  size_t ntiles = 0;
  for (size_t I = 0; I < p->B; I++) {
    p->tile_off[I] = ntiles;
    if (lp_owns_block(p, I) && tiles) ntiles += p->B - 1 - I;
  }
  if (p->use_tree) {
    p->tree.gc = p->gc, p->tree.C = p->C, p->tree.gamma = p->gamma, p->tree.kern = p->kern;
    p->tree.rank = p->rank, p->tree.ranks = p->ranks;
    if (lt_init(&p->tree, d, N)) return KL_ENOMEM;
  }
  p->own = malloc((N && tiles ? d * N : 1) * sizeof *p->own);
  p->part = malloc((ntiles ? ntiles : 1) * d * p->bs * sizeof *p->part);
  return p->own && p->part ? 0 : KL_ENOMEM;
}

static inline void lp_pairs_free(lp_pairs *p) {
  free(p->own);
  free(p->part);
  p->own = p->part = NULL;
  lt_free(&p->tree);
}

/* ---------------------------------------------------------------- kernels */
/* One tile: rows i in [i0, i1) against columns j in [j0, j1) (j > i).  The
 * arrays have stride N between components (v, F, own) or astride (acc, index
 * j - jbase).  Contributions to i: own[i] -= sum_j w_j t_ij; to j: acc[j] +=
 * w_i t_ij, t_ij = phi (|z|^2 dF - (z.dF) z), z = v_i - v_j, dF = F_i - F_j. */
typedef struct lp_tile {
  size_t N, i0, i1, j0, j1, astride, jbase;
  const double *v, *F, *w;
  double *own, *acc;
  double C, gamma;
  double *r2, *phi; /* scratch of length >= j1 - j0 (generic / plugin cases) */
  kl_instance *kern;
} lp_tile;


#define LP_TILE2(NAME, PHI, PRE, K)                                                            \
  KL_ISA_CLONES static void NAME(const lp_tile *a) {                                              \
    const size_t N = a->N;                                                                    \
    const double C = a->C;                                                                    \
    (void)C;                                                                                  \
    const double *restrict vx = a->v, *restrict vy = a->v + N;                                \
    const double *restrict fx = a->F, *restrict fy = a->F + N;                                \
    const double *restrict w = a->w;                                                          \
    double *ax = a->acc - a->jbase, *ay = a->acc + a->astride - a->jbase;                     \
    for (size_t i = a->i0; i < a->i1; i++) {                                                  \
      const size_t js = a->j0 > i + 1 ? a->j0 : i + 1;                                        \
      if (js >= a->j1) continue;                                                              \
      const double xi = vx[i], yi = vy[i], Fx = fx[i], Fy = fy[i], wi = (K) * w[i];           \
      PRE                                                                                     \
      double sx = 0, sy = 0;                                                                  \
      _Pragma("omp simd reduction(+ : sx, sy)") for (size_t j = js; j < a->j1; j++) {         \
        const size_t q = j - js;                                                              \
        (void)q;                                                                              \
        const double zx = xi - vx[j], zy = yi - vy[j];                                        \
        const double dx = Fx - fx[j], dy = Fy - fy[j];                                        \
        const double rr = zx * zx + zy * zy, rs = rr + (double)(rr <= 0);                         \
        (void)rs;                                                                             \
        const double p = PHI;                                                                  \
        const double sz = zx * dx + zy * dy;                                                  \
        const double tx = p * (rr * dx - sz * zx), ty = p * (rr * dy - sz * zy);              \
        sx += w[j] * tx;                                                                      \
        sy += w[j] * ty;                                                                      \
        ax[j] += wi * tx;                                                                     \
        ay[j] += wi * ty;                                                                     \
      }                                                                                       \
      a->own[i] -= (K) * sx;                                                                  \
      a->own[N + i] -= (K) * sy;                                                              \
    }                                                                                         \
  }

#define LP_TILE3(NAME, PHI, PRE, K)                                                            \
  KL_ISA_CLONES static void NAME(const lp_tile *a) {                                              \
    const size_t N = a->N;                                                                    \
    const double C = a->C;                                                                    \
    (void)C;                                                                                  \
    const double *restrict vx = a->v, *restrict vy = a->v + N, *restrict vz = a->v + 2 * N;   \
    const double *restrict fx = a->F, *restrict fy = a->F + N, *restrict fz = a->F + 2 * N;   \
    const double *restrict w = a->w;                                                          \
    double *ax = a->acc - a->jbase, *ay = a->acc + a->astride - a->jbase,                     \
           *az = a->acc + 2 * a->astride - a->jbase;                                          \
    for (size_t i = a->i0; i < a->i1; i++) {                                                  \
      const size_t js = a->j0 > i + 1 ? a->j0 : i + 1;                                        \
      if (js >= a->j1) continue;                                                              \
      const double xi = vx[i], yi = vy[i], zi = vz[i], Fx = fx[i], Fy = fy[i], Fz = fz[i],    \
                   wi = (K) * w[i];                                                           \
      PRE                                                                                     \
      double sx = 0, sy = 0, s3 = 0;                                                          \
      _Pragma("omp simd reduction(+ : sx, sy, s3)") for (size_t j = js; j < a->j1; j++) {     \
        const size_t q = j - js;                                                              \
        (void)q;                                                                              \
        const double zx = xi - vx[j], zy = yi - vy[j], zz = zi - vz[j];                       \
        const double dx = Fx - fx[j], dy = Fy - fy[j], dz = Fz - fz[j];                       \
        const double rr = zx * zx + zy * zy + zz * zz, rs = rr + (double)(rr <= 0);               \
        (void)rs;                                                                             \
        const double p = PHI;                                                                  \
        const double sz = zx * dx + zy * dy + zz * dz;                                        \
        const double tx = p * (rr * dx - sz * zx), ty = p * (rr * dy - sz * zy),              \
                     tz = p * (rr * dz - sz * zz);                                            \
        sx += w[j] * tx;                                                                      \
        sy += w[j] * ty;                                                                      \
        s3 += w[j] * tz;                                                                      \
        ax[j] += wi * tx;                                                                     \
        ay[j] += wi * ty;                                                                     \
        az[j] += wi * tz;                                                                     \
      }                                                                                       \
      a->own[i] -= (K) * sx;                                                                  \
      a->own[N + i] -= (K) * sy;                                                              \
      a->own[2 * N + i] -= (K) * s3;                                                          \
    }                                                                                         \
  }

#define LP_PRE_NONE
#define LP_PRE_TAB2                                                                           \
  {                                                                                           \
    const size_t m = a->j1 - js;                                                              \
    for (size_t q = 0; q < m; q++) {                                                          \
      const double zx = xi - vx[js + q], zy = yi - vy[js + q];                                \
      a->r2[q] = zx * zx + zy * zy;                                                           \
    }                                                                                         \
    lp_phi_fill(a, m);                                                                        \
  }                                                                                           \
  const double *restrict phi = a->phi;
#define LP_PRE_TAB3                                                                           \
  {                                                                                           \
    const size_t m = a->j1 - js;                                                              \
    for (size_t q = 0; q < m; q++) {                                                          \
      const double zx = xi - vx[js + q], zy = yi - vy[js + q], zz = zi - vz[js + q];          \
      a->r2[q] = zx * zx + zy * zy + zz * zz;                                                 \
    }                                                                                         \
    lp_phi_fill(a, m);                                                                        \
  }                                                                                           \
  const double *restrict phi = a->phi;

/* phi[q] for the m squared distances r2[q]: pow (generic gamma) or the kernel
 * plugin; 0 at r2 = 0 (coincident particles do not interact). */
static inline void lp_phi_fill(const lp_tile *a, size_t m) {
  if (a->kern) {
    kl_kernel_weight(a->kern, m, a->r2, a->phi);
    for (size_t q = 0; q < m; q++)
      if (!(a->r2[q] > 0)) a->phi[q] = 0.0;
  } else {
    lp_phi_pow(a->C, 0.5 * a->gamma, m, a->r2, a->phi);
  }
}

LP_TILE2(lp_tile2_m3, LP_PHI_M3, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_m5_2, LP_PHI_M5_2, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_m3_2, LP_PHI_M3_2, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_m1_2, LP_PHI_M1_2, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_1_2, LP_PHI_1_2, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_3_2, LP_PHI_3_2, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_m2, LP_PHI_M2, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_m1, LP_PHI_M1, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_0, LP_PHI_0, LP_PRE_NONE, C)
LP_TILE2(lp_tile2_1, LP_PHI_1, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_2, LP_PHI_2, LP_PRE_NONE, 1.0)
LP_TILE2(lp_tile2_tab, LP_PHI_TAB, LP_PRE_TAB2, 1.0)
LP_TILE3(lp_tile3_m3, LP_PHI_M3, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_m5_2, LP_PHI_M5_2, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_m3_2, LP_PHI_M3_2, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_m1_2, LP_PHI_M1_2, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_1_2, LP_PHI_1_2, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_3_2, LP_PHI_3_2, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_m2, LP_PHI_M2, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_m1, LP_PHI_M1, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_0, LP_PHI_0, LP_PRE_NONE, C)
LP_TILE3(lp_tile3_1, LP_PHI_1, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_2, LP_PHI_2, LP_PRE_NONE, 1.0)
LP_TILE3(lp_tile3_tab, LP_PHI_TAB, LP_PRE_TAB3, 1.0)

static inline void lp_tile_run(unsigned d, gamma_case gc, const lp_tile *a) {
  if (d == 2) {
    switch (gc) {
    case G_M3: lp_tile2_m3(a); break;
    case G_M5_2: lp_tile2_m5_2(a); break;
    case G_M3_2: lp_tile2_m3_2(a); break;
    case G_M1_2: lp_tile2_m1_2(a); break;
    case G_1_2: lp_tile2_1_2(a); break;
    case G_3_2: lp_tile2_3_2(a); break;
    case G_M2: lp_tile2_m2(a); break;
    case G_M1: lp_tile2_m1(a); break;
    case G_0: lp_tile2_0(a); break;
    case G_1: lp_tile2_1(a); break;
    case G_2: lp_tile2_2(a); break;
    default: lp_tile2_tab(a); break;
    }
  } else {
    switch (gc) {
    case G_M3: lp_tile3_m3(a); break;
    case G_M5_2: lp_tile3_m5_2(a); break;
    case G_M3_2: lp_tile3_m3_2(a); break;
    case G_M1_2: lp_tile3_m1_2(a); break;
    case G_1_2: lp_tile3_1_2(a); break;
    case G_3_2: lp_tile3_3_2(a); break;
    case G_M2: lp_tile3_m2(a); break;
    case G_M1: lp_tile3_m1(a); break;
    case G_0: lp_tile3_0(a); break;
    case G_1: lp_tile3_1(a); break;
    case G_2: lp_tile3_2(a); break;
    default: lp_tile3_tab(a); break;
    }
  }
}

static inline double *lp_tile_buffer(const lp_pairs *p, size_t I, size_t J) { /* I < J */
  return p->part + (p->tile_off[I] + (J - I - 1)) * p->d * p->bs;
}

/* All pairs of n particles in arrays of stride n (a random batch, or a small
 * system), serially: out[a*n + i] = -sum_j w_j A(v_i - v_j)(F_i - F_j).
 * r2, phi: scratch of length n. */
static inline void lp_pairs_serial(unsigned d, gamma_case gc, double C, double gamma,
                                   kl_instance *kern, size_t n, const double *v,
                                   const double *F, const double *w, double *out, double *r2,
                                   double *phi) {
  memset(out, 0, d * n * sizeof *out);
  lp_tile t = {n, 0, n, 0, n, n, 0, v, F, w, out, out, C, gamma, r2, phi,
               gc == G_PLUGIN ? kern : NULL};
  lp_tile_run(d, gc, &t);
}

/* The total weight M0 and the weighted means m of v and Fbar of F, summed in
 * index order (the moment expansions centre on them: the pair sum depends on
 * differences only, and centring keeps the cancellation small); false when
 * M0 = 0. */
static inline bool lp_weighted_means(unsigned d, size_t N, const double *v, const double *F,
                                     const double *w, double *M0, double *m, double *Fbar) {
  double M = 0;
  for (unsigned a = 0; a < 3; a++) m[a] = 0, Fbar[a] = 0;
  for (size_t j = 0; j < N; j++) {
    M += w[j];
    for (unsigned a = 0; a < d; a++) {
      m[a] += w[j] * v[a * N + j];
      Fbar[a] += w[j] * F[a * N + j];
    }
  }
  *M0 = M;
  if (!(M != 0)) return false;
  for (unsigned a = 0; a < d; a++) m[a] /= M, Fbar[a] /= M;
  return true;
}

/* Particle j centred: u = v_j - m, g = F_j - Fbar (zero beyond d), |u|^2, u.g. */
static inline void lp_centred(unsigned d, size_t N, size_t j, const double *v, const double *F,
                              const double *m, const double *Fbar, double *u, double *g,
                              double *uu, double *ug) {
  double s2 = 0, sg = 0;
  for (unsigned a = 0; a < 3; a++) {
    u[a] = a < d ? v[a * N + j] - m[a] : 0.0;
    g[a] = a < d ? F[a * N + j] - Fbar[a] : 0.0;
    s2 += u[a] * u[a];
    sg += u[a] * g[a];
  }
  *uu = s2, *ug = sg;
}

/* ------------------------------------------------------ moment expansion */
/* Maxwell molecules (gamma = 0): A(z) = C (|z|^2 I - z z^T) is a quadratic
 * polynomial in z = v_i - v_j, so the pair sum is a polynomial in v_i whose
 * coefficients are O(N) moments of the particles; it is computed exactly (up
 * to round-off) in O(N).  With u = v - m, g = F - Fbar (m, Fbar the weighted
 * means: the sum depends on differences only, and centring keeps the
 * cancellation small) and the moments
 *   M0 = sum w,  M1 = sum w u,  S = sum w u u^T,  P = sum w g,  Q = sum w g u^T,
 *   R = sum w |u|^2 g,  W = sum w u (u.g),
 * sum_j w_j A(z)/C = (M0|u_i|^2 - 2 u_i.M1 + tr S) I - (M0 u_i u_i^T - u_i M1^T - M1 u_i^T + S) =: a_i
 * sum_j w_j A(z) g_j/C = |u_i|^2 P - 2 Q u_i + R - u_i (u_i.P) + (tr Q) u_i + Q^T u_i - W =: b_i
 * and dv_i/dt = -C (a_i g_i - b_i).  (The j = i term is A(0) = 0 either way.)
 * The moments are summed serially in index order and every row is independent:
 * the result is bit-identical for any thread count.  Work: about 40 d flops per
 * particle instead of ~ (N/2) x 45 per particle for the tiles.  M0 > 0, m and
 * Fbar: from lp_weighted_means (lp_pairs_sum). */
static inline void lp_pairs_moments(unsigned d, size_t N, double C, const double *v,
                                    const double *F, const double *w, double M0,
                                    const double *m, const double *Fbar, double *dvdt) {
  double M1[3] = {0, 0, 0}, S[3][3] = {{0}}, P[3] = {0, 0, 0}, Q[3][3] = {{0}},
         R[3] = {0, 0, 0}, W[3] = {0, 0, 0};
  for (size_t j = 0; j < N; j++) {
    double u[3], g[3], uu, ug;
    lp_centred(d, N, j, v, F, m, Fbar, u, g, &uu, &ug);
    const double wj = w[j];
    for (unsigned a = 0; a < d; a++) {
      M1[a] += wj * u[a];
      P[a] += wj * g[a];
      R[a] += wj * uu * g[a];
      W[a] += wj * ug * u[a];
      for (unsigned b = 0; b < d; b++) {
        S[a][b] += wj * u[a] * u[b];
        Q[a][b] += wj * g[a] * u[b];
      }
    }
  }
  double trS = 0, trQ = 0;
  for (unsigned a = 0; a < d; a++) trS += S[a][a], trQ += Q[a][a];
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < N; i++) {
    double u[3], g[3], uu, ug, uM1 = 0, uP = 0;
    lp_centred(d, N, i, v, F, m, Fbar, u, g, &uu, &ug);
    for (unsigned a = 0; a < d; a++) uM1 += u[a] * M1[a], uP += u[a] * P[a];
    const double diag = M0 * uu - 2 * uM1 + trS;
    for (unsigned a = 0; a < d; a++) {
      double ag = diag * g[a], Qu = 0, QTu = 0;
      for (unsigned b = 0; b < d; b++) {
        ag -= (M0 * u[a] * u[b] - u[a] * M1[b] - M1[a] * u[b] + S[a][b]) * g[b];
        Qu += Q[a][b] * u[b];
        QTu += Q[b][a] * u[b];
      }
      const double bg = uu * P[a] - 2 * Qu + R[a] - u[a] * uP + trQ * u[a] + QTu - W[a];
      dvdt[a * N + i] = -C * (ag - bg);
    }
  }
}

/* gamma = 2: A(z) = C |z|^2 (|z|^2 I - z z^T) is quartic in z.  With x = u_i,
 * y = u_j (centred velocities), c = g_i, X = |x|^2, Y = |y|^2 and the weighted
 * moments over j
 *   M0 = sum w, M1 = sum w y, S = sum w y y^T, V3 = sum w Y y, Y4 = sum w Y^2,
 *   T3[a][b][c] = sum w y_a y_b y_c, SY = sum w Y y y^T,
 *   P = sum w g, Q = sum w g y^T, T = tr Q, W = sum w (y.g) y, U3[a][b][c] =
 *   sum w g_a y_b y_c, PY = sum w Y g, PY2 = sum w Y^2 g, QY = sum w Y g y^T,
 *   SQ = sum w (y.g) y y^T, TY = sum w Y (y.g), WY = sum w Y (y.g) y,
 * and |z|^2 = X - 2 x.y + Y, the two sums of the pair term are
 *   (a) sum_j w_j A(z) c / C = [X^2 M0 + 4 x.Sx + Y4 - 4X x.M1 + 2X trS - 4 x.V3] c
 *       - { X [(x.c) M0 x - (c.M1) x - (x.c) M1 + S c]
 *           - 2 [(x.c)(x.M1) x - (x.Sc) x - (x.c) S x + T3(x, c)]
 *           + (x.c) trS x - (c.V3) x - (x.c) V3 + SY c },
 *   (b) sum_j w_j A(z) g_j / C = X^2 P + 4 U3(x, x) + PY2 - 4X Q x + 2X PY - 4 QY x
 *       - { X [(x.P) x - T x - Q^T x + W]
 *           - 2 [(x.Qx) x - (x.W) x - V(x, x) + SQ x]
 *           + (x.PY) x - TY x - QY^T x + WY },
 * with T3(x, c)_a = sum_bc T3[a][b][c] x_b c_c, U3(x, x)_a = sum_bc U3[a][b][c] x_b x_c
 * and V(x, x)_a = sum_j w y_a (y.x)(g.x) = sum_bc U3[c][a][b] x_b x_c; then
 * dv_i/dt = -C ((a) - (b)).  Same properties as the gamma = 0 expansion. */
static inline void lp_pairs_moments2(unsigned d, size_t N, double C, const double *v,
                                     const double *F, const double *w, double M0,
                                     const double *m, const double *Fbar, double *dvdt) {
  double M1[3] = {0}, S[3][3] = {{0}}, V3[3] = {0}, Y4 = 0, T3[3][3][3] = {{{0}}},
         SY[3][3] = {{0}}, P[3] = {0}, Q[3][3] = {{0}}, W[3] = {0}, U3[3][3][3] = {{{0}}},
         PY[3] = {0}, PY2[3] = {0}, QY[3][3] = {{0}}, SQ[3][3] = {{0}}, TY = 0, WY[3] = {0};
  for (size_t j = 0; j < N; j++) {
    double y[3], g[3], Y, q;
    lp_centred(d, N, j, v, F, m, Fbar, y, g, &Y, &q);
    const double wj = w[j];
    Y4 += wj * Y * Y;
    TY += wj * Y * q;
    for (unsigned a = 0; a < d; a++) {
      M1[a] += wj * y[a];
      V3[a] += wj * Y * y[a];
      P[a] += wj * g[a];
      W[a] += wj * q * y[a];
      PY[a] += wj * Y * g[a];
      PY2[a] += wj * Y * Y * g[a];
      WY[a] += wj * Y * q * y[a];
      for (unsigned b = 0; b < d; b++) {
        S[a][b] += wj * y[a] * y[b];
        SY[a][b] += wj * Y * y[a] * y[b];
        Q[a][b] += wj * g[a] * y[b];
        QY[a][b] += wj * Y * g[a] * y[b];
        SQ[a][b] += wj * q * y[a] * y[b];
        for (unsigned c = 0; c < d; c++) {
          T3[a][b][c] += wj * y[a] * y[b] * y[c];
          U3[a][b][c] += wj * g[a] * y[b] * y[c];
        }
      }
    }
  }
  double trS = 0, T = 0;
  for (unsigned a = 0; a < d; a++) trS += S[a][a], T += Q[a][a];
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < N; i++) {
    double x[3], c[3], X, xc;
    lp_centred(d, N, i, v, F, m, Fbar, x, c, &X, &xc);
    double Sx[3] = {0}, Sc[3] = {0}, SYc[3] = {0}, Qx[3] = {0}, QTx[3] = {0}, QYx[3] = {0},
           QYTx[3] = {0}, SQx[3] = {0}, T3xc[3] = {0}, U3xx[3] = {0}, Vxx[3] = {0};
    double xM1 = 0, cM1 = 0, xV3 = 0, cV3 = 0, xP = 0, xW = 0, xPY = 0;
    for (unsigned a = 0; a < d; a++) {
      xM1 += x[a] * M1[a], cM1 += c[a] * M1[a];
      xV3 += x[a] * V3[a], cV3 += c[a] * V3[a], xP += x[a] * P[a];
      xW += x[a] * W[a], xPY += x[a] * PY[a];
      for (unsigned b = 0; b < d; b++) {
        Sx[a] += S[a][b] * x[b], Sc[a] += S[a][b] * c[b], SYc[a] += SY[a][b] * c[b];
        Qx[a] += Q[a][b] * x[b], QTx[a] += Q[b][a] * x[b];
        QYx[a] += QY[a][b] * x[b], QYTx[a] += QY[b][a] * x[b];
        SQx[a] += SQ[a][b] * x[b];
        for (unsigned e = 0; e < d; e++) {
          T3xc[a] += T3[a][b][e] * x[b] * c[e];
          U3xx[a] += U3[a][b][e] * x[b] * x[e];
          Vxx[a] += U3[e][a][b] * x[b] * x[e];
        }
      }
    }
    double xSx = 0, xSc = 0, xQx = 0;
    for (unsigned a = 0; a < d; a++) xSx += x[a] * Sx[a], xSc += x[a] * Sc[a], xQx += x[a] * Qx[a];
    const double a1 = X * X * M0 + 4 * xSx + Y4 - 4 * X * xM1 + 2 * X * trS - 4 * xV3;
    for (unsigned a = 0; a < d; a++) {
      const double a2 = X * (xc * M0 * x[a] - cM1 * x[a] - xc * M1[a] + Sc[a]) -
                        2 * (xc * xM1 * x[a] - xSc * x[a] - xc * Sx[a] + T3xc[a]) +
                        xc * trS * x[a] - cV3 * x[a] - xc * V3[a] + SYc[a];
      const double b1 = X * X * P[a] + 4 * U3xx[a] + PY2[a] - 4 * X * Qx[a] + 2 * X * PY[a] -
                        4 * QYx[a];
      const double b2 = X * (xP * x[a] - T * x[a] - QTx[a] + W[a]) -
                        2 * (xQx * x[a] - xW * x[a] - Vxx[a] + SQx[a]) + xPY * x[a] -
                        TY * x[a] - QYTx[a] + WY[a];
      dvdt[a * N + i] = -C * ((a1 * c[a] - a2) - (b1 - b2));
    }
  }
}

/* dvdt = -sum_j w_j A(v_i - v_j)(F_i - F_j) for all i; v, F, dvdt of stride N.
 * With p->moments (gamma = 0 or 2 only) the O(N) moment expansions above, complete
 * on every rank; with p->use_tree the treecode (landau_tree.h), this rank's target
 * batches only; otherwise the tiles, of this rank's row blocks only. */
static inline int lp_pairs_sum(lp_pairs *p, const double *v, const double *F, const double *w,
                               double *dvdt) {
  if (p->moments) { /* every rank computes the whole O(N) sum */
    double M0, m[3], Fbar[3];
    if (!lp_weighted_means(p->d, p->N, v, F, w, &M0, m, Fbar))
      memset(dvdt, 0, p->d * p->N * sizeof *dvdt); /* no mass: no collisions */
    else if (p->gc == G_2)
      lp_pairs_moments2(p->d, p->N, p->C, v, F, w, M0, m, Fbar, dvdt);
    else
      lp_pairs_moments(p->d, p->N, p->C, v, F, w, M0, m, Fbar, dvdt);
    return KL_OK;
  }
  if (p->use_tree) return lt_sum(&p->tree, v, F, w, dvdt);
  const unsigned d = p->d;
  const size_t N = p->N, B = p->B, bs = p->bs;
  int fail = 0;
  memset(p->own, 0, d * N * sizeof *p->own);
#pragma omp parallel
  {
    double *r2 = NULL, *phi = NULL;
    if (p->gc == G_PLUGIN || p->gc == G_GENERIC) {
      r2 = malloc(bs * sizeof *r2);
      phi = malloc(bs * sizeof *phi);
      if (!r2 || !phi) {
#pragma omp atomic write
        fail = 1;
      }
    }
#pragma omp for schedule(dynamic, 1)
    for (size_t I = 0; I < B; I++) {
      if (fail || !lp_owns_block(p, I)) continue;
      size_t i0 = I * bs, i1 = i0 + bs < N ? i0 + bs : N;
      lp_tile t = {N, i0, i1, i0, i1, N, 0, v, F, w, p->own, p->own, p->C, p->gamma, r2, phi,
                   p->gc == G_PLUGIN ? p->kern : NULL};
      lp_tile_run(d, p->gc, &t); /* diagonal tile: both ends into own[] */
      for (size_t J = I + 1; J < B; J++) {
        size_t j0 = J * bs, j1 = j0 + bs < N ? j0 + bs : N;
        double *acc = lp_tile_buffer(p, I, J);
        memset(acc, 0, d * bs * sizeof *acc);
        t.j0 = j0, t.j1 = j1, t.acc = acc, t.astride = bs, t.jbase = j0;
        lp_tile_run(d, p->gc, &t);
      }
    }
    free(r2);
    free(phi);
  }
  if (fail) return KL_ENOMEM;
  /* dv_j/dt = own_j + sum_{I < J} part(I, J)_j, in increasing I. */
#pragma omp parallel for schedule(static)
  for (size_t J = 0; J < B; J++) {
    size_t j0 = J * bs, j1 = j0 + bs < N ? j0 + bs : N;
    for (unsigned a = 0; a < d; a++) {
      double *out = dvdt + a * N;
      for (size_t j = j0; j < j1; j++) out[j] = p->own[a * N + j];
      for (size_t I = 0; I < J; I++) {
        if (!lp_owns_block(p, I)) continue;
        const double *acc = lp_tile_buffer(p, I, J) + a * bs;
        for (size_t j = j0; j < j1; j++) out[j] += acc[j - j0];
      }
    }
  }
  return KL_OK;
}

/* Floating-point operations counted per unordered pair (docs/performance.md),
 * sqrt and division counted as one flop each although they cost more:
 * d = 3: z 3, |z|^2 5, dF 3, z.dF 5, t = phi (|z|^2 dF - (z.dF) z) 4x3, the two
 * accumulations (w_j t into row i, w_i t into column j) 2x3 + 2x3; phi:
 * gamma = -3: 3 (sqrt, mul, div), -2: 1, -1: 2, 0: 0 and no multiplication by
 * phi (the constant is factored out of the loop: 3 fewer), 1: 2, 2: 1;
 * half-integers: -2.5, -1.5: 4 (2 sqrt, mul, div), -0.5: 3, 0.5: 3, 1.5: 4;
 * d = 2: z 2, |z|^2 3, dF 2, z.dF 3, t 4x2, accumulations 8. */
static inline double lp_pair_flops(unsigned d, gamma_case gc) {
  double base = d == 3 ? 3 + 5 + 3 + 5 + 12 + 12 : 2 + 3 + 2 + 3 + 8 + 8;
  double ph = gc == G_M3 ? 3 : gc == G_M2 ? 1 : gc == G_M1 ? 2 : gc == G_0 ? -(double)d
            : gc == G_1 ? 2 : gc == G_2 ? 1
            : gc == G_M5_2 || gc == G_M3_2 || gc == G_3_2 ? 4
            : gc == G_M1_2 || gc == G_1_2 ? 3 : 2;
  return base + ph;
}

#endif
