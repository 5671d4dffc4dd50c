/* plugins/landau/landau_tree.h - the collision pair sum by a barycentric Lagrange
 * treecode (Wang, Tlupova, Krasny, "A kernel-independent treecode based on
 * barycentric Lagrange interpolation", Commun. Comput. Phys. 28 (2020);
 * BaryTree: Vaughn, Wilson, Krasny 2020), particle-cluster form with target
 * batches.  Included by landau_pairs.h (pair_sum: tree); internal, not installed.
 *
 * The sum.  With z = v_i - v_j, dF = F_i - F_j, phi = phi(|z|) (the kernel's
 * weight) and the source charges q_j = w_j (scalar) and g_j = w_j F_j (vector),
 *
 *   dv_i/dt = -sum_j w_j phi (|z|^2 dF - (z.dF) z) = -sum_j phi (|z|^2 D_j - (z.D_j) z),
 *   D_j = q_j F_i - g_j,
 *
 * i.e. per target the tensor kernel sums F_i sum_j q_j phi |z|^2 - sum_j g_j phi |z|^2
 * - (sum_j q_j phi z z^T) F_i + sum_j phi z z^T g_j: every term is LINEAR in the
 * source charges (q_j, g_j), with the kernels phi(|z|) |z|^2 and phi(|z|) z_k z_l of
 * z = v_i - v_j alone.  The treecode interpolates these kernels in the source
 * variable on a cluster's Chebyshev tensor grid s_k (degree n, P = (n+1)^d
 * points): K(v_i - v_j) ~ sum_k K(v_i - s_k) L_k(v_j), so a well-separated
 * cluster acts as P proxy sources at s_k with the modified charges
 *
 *   Q_k = sum_{j in cluster} L_k(v_j) q_j,   G_k = sum_{j in cluster} L_k(v_j) g_j,
 *
 * and the far-field term is evaluated by the SAME pair formula as the near
 * field, with (v_j, q_j, g_j) replaced by (s_k, Q_k, G_k).  L_k is the tensor
 * product of 1-D barycentric Lagrange polynomials on Chebyshev points of the
 * second kind, s = c + h cos(k pi / n), weights (-1)^k (halved at k = 0, n);
 * a source that hits a node exactly gets L = 1 there and 0 elsewhere.
 *
 * Error: for a kernel analytic away from z = 0 the tensor Chebyshev interpolant
 * on a box of radius r_C at distance R converges like rho^-n with rho ~ R/r_C;
 * the multipole acceptance criterion (r_B + r_C) / R < theta (r_B the target
 * batch's radius) makes every accepted cluster satisfy R/r_C > 1/theta, so the
 * error relative to the far field is O(theta^n) (times the Lebesgue constant,
 * O(log^d n)).  The kernels here are homogeneous of degree gamma + 2 (power
 * laws) - smooth away from 0 for every gamma.  tests/test_landau_tree checks
 * the measured error against theta^n.
 *
 * Work per sum: the tree (recursive bisection of the tight bounding box along
 * its longest axis, leaves of at most leaf_size particles) O(N log N); the
 * charges of the clusters that some batch uses, O(N P (d+1)) per tree level;
 * the evaluation O(N log N P) for fixed theta.
 * Memory O(N), plus P (2d+1) doubles per used cluster: those of one tree level
 * are disjoint and hold more than P particles each, so at most (2d+1) N doubles
 * per level.
 *
 * Deterministic for any number of threads: the tree is built serially; each
 * cluster's charges are summed by one thread in tree order; each target's sum
 * is computed by one thread over a fixed interaction list (far clusters and
 * near ranges in traversal order).  The result is not antisymmetric in (i, j):
 * momentum and energy are conserved to the treecode's error only
 * (docs/performance.md measures the drift).
 *
 * MPI: the target batches b with b % ranks == rank are this rank's; the
 * others are left 0 and the caller's MPI_Allreduce sums the ranks. */
#ifndef KL_LANDAU_TREE_H
#define KL_LANDAU_TREE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#include "../common/simd_math.h"

enum { LT_MAX_DEGREE = 16, LT_MAX_DEPTH = 64, LT_CHUNK = 256 };

typedef struct lt_node {
  size_t lo, hi;       /* its particles, [lo, hi) in tree order        */
  double c[3], hw[3];  /* centre and half-widths of the interpolation box */
  double r;            /* radius |hw| (the MAC's)                       */
  size_t child0;       /* first child (children are contiguous)         */
  unsigned nchild;     /* 0: leaf                                       */
  long proxy;          /* index of its proxy block, -1: none            */
} lt_node;

typedef struct lt_tree {
  unsigned d, degree;
  double theta;
  size_t leaf_size;
  size_t N;
  int rank, ranks;
  /* the kernel */
  gamma_case gc;
  double C, gamma;
  kl_instance *kern;
  /* the tree (rebuilt every sum) */
  size_t *perm;        /* tree position -> particle index                */
  size_t *tmp;         /* N: scratch of the partition                   */
  double *src;         /* (2d+1) N: x_a, q, g_a in tree order (SoA)     */
  double *tgtF;        /* d N: F_a in tree order                         */
  double *acc;         /* d N: the sum in tree order                     */
  lt_node *nodes;
  size_t nnodes, cap_nodes;
  size_t *leaves;      /* the target batches: leaf node indices          */
  size_t nleaves;
  /* interaction lists: per batch b, entries list[off[b] .. off[b+1]):
   * e >= 0 a far cluster (node index), e < 0 a near range (node -e-1) */
  struct lt_entry *list;
  size_t *list_off;
  size_t cap_list;
  double *proxy;       /* per used cluster: P (2d+1) doubles             */
  size_t nproxy, cap_proxy;
  size_t *proxy_node;  /* proxy block -> node                            */
} lt_tree;

static inline size_t lt_points(const lt_tree *t) {
  size_t P = 1;
  for (unsigned a = 0; a < t->d; a++) P *= t->degree + 1;
  return P;
}

static inline void lt_free(lt_tree *t) {
  free(t->perm);
  free(t->tmp);
  free(t->src);
  free(t->tgtF);
  free(t->acc);
  free(t->nodes);
  free(t->leaves);
  free(t->list);
  free(t->list_off);
  free(t->proxy);
  free(t->proxy_node);
  t->perm = t->tmp = t->leaves = t->list_off = t->proxy_node = NULL;
  t->src = t->tgtF = t->acc = t->proxy = NULL;
  t->nodes = NULL;
  t->list = NULL;
  t->cap_nodes = t->cap_list = t->cap_proxy = 0;
}

/* Arrays of O(N) for N particles; 0 or KL_ENOMEM.  d, degree, theta,
 * leaf_size and the kernel are set by the caller. */
static inline int lt_init(lt_tree *t, unsigned d, size_t N) {
  t->d = d;
  t->N = N;
  if (t->ranks < 1) t->ranks = 1, t->rank = 0;
  const size_t n1 = N ? N : 1;
  t->perm = malloc(n1 * sizeof *t->perm);
  t->tmp = malloc(n1 * sizeof *t->tmp);
  t->src = malloc((2 * d + 1) * n1 * sizeof *t->src);
  t->tgtF = malloc(d * n1 * sizeof *t->tgtF);
  t->acc = malloc(d * n1 * sizeof *t->acc);
  t->leaves = malloc(n1 * sizeof *t->leaves);
  t->list_off = malloc((n1 + 1) * sizeof *t->list_off);
  if (!t->perm || !t->tmp || !t->src || !t->tgtF || !t->acc || !t->leaves || !t->list_off) {
    lt_free(t);
    return KL_ENOMEM;
  }
  return KL_OK;
}

/* ------------------------------------------------------------ the tree */
static inline long lt_new_nodes(lt_tree *t, size_t k) {
  if (t->nnodes + k > t->cap_nodes) {
    size_t cap = t->cap_nodes ? 2 * t->cap_nodes : 64;
    while (cap < t->nnodes + k) cap *= 2;
    lt_node *n = realloc(t->nodes, cap * sizeof *n);
    if (!n) return -1;
    t->nodes = n;
    t->cap_nodes = cap;
  }
  size_t first = t->nnodes;
  t->nnodes += k;
  return (long)first;
}

/* Node k: the tight box of its particles (an axis of zero extent gets a small
 * width so that the interpolation grid is not degenerate); split it, when it
 * holds more than leaf_size particles, at the midpoint of its longest axis
 * into two children.  Binary, not octree, splits: cluster sizes then step by 2,
 * not 8, and far more clusters just above the P particles that make proxies
 * pay come out (measured at N = 1e5, 3-D Coulomb, degree 6: half the near
 * field of an octree). */
static int lt_build_node(lt_tree *t, const double *v, size_t k, unsigned depth) {
  const unsigned d = t->d;
  const size_t N = t->N, lo = t->nodes[k].lo, hi = t->nodes[k].hi;
  double mn[3] = {INFINITY, INFINITY, INFINITY}, mx[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (unsigned a = 0; a < d; a++)
    for (size_t q = lo; q < hi; q++) {
      const double x = v[a * N + t->perm[q]];
      mn[a] = x < mn[a] ? x : mn[a];
      mx[a] = x > mx[a] ? x : mx[a];
    }
  double hmax = 0;
  for (unsigned a = 0; a < d; a++) hmax = fmax(hmax, 0.5 * (mx[a] - mn[a]));
  lt_node *nd = t->nodes + k;
  double r2 = 0;
  for (unsigned a = 0; a < 3; a++) {
    nd->c[a] = a < d ? 0.5 * (mn[a] + mx[a]) : 0;
    nd->hw[a] = a < d ? fmax(0.5 * (mx[a] - mn[a]), 1e-3 * hmax) : 0;
    r2 += nd->hw[a] * nd->hw[a];
  }
  nd->r = sqrt(r2);
  nd->nchild = 0;
  nd->child0 = 0;
  nd->proxy = -1;
  if (hi - lo <= t->leaf_size || hmax == 0 || depth >= LT_MAX_DEPTH) return KL_OK;
  unsigned longest = 0;
  for (unsigned a = 1; a < d; a++)
    if (mx[a] - mn[a] > mx[longest] - mn[longest]) longest = a;
  /* stable partition of [lo, hi): below / above the midpoint of that axis
   * (both non-empty: the box is tight and its extent there positive) */
  const double *x = v + longest * N, mid = nd->c[longest];
  size_t below = lo, above = hi;
  for (size_t q = lo; q < hi; q++) {
    const size_t j = t->perm[q];
    if (x[j] > mid) t->tmp[--above] = j;
    else t->tmp[below++] = j;
  }
  for (size_t q = lo; q < below; q++) t->perm[q] = t->tmp[q];
  for (size_t q = below; q < hi; q++) t->perm[q] = t->tmp[hi - 1 - (q - below)];
  const unsigned nchild = 2;
  const long first = lt_new_nodes(t, nchild); /* may move t->nodes */
  if (first < 0) return KL_ENOMEM;
  t->nodes[k].child0 = (size_t)first;
  t->nodes[k].nchild = nchild;
  t->nodes[first].lo = lo, t->nodes[first].hi = below;
  t->nodes[first + 1].lo = below, t->nodes[first + 1].hi = hi;
  for (unsigned c = 0; c < nchild; c++) {
    int rc = lt_build_node(t, v, (size_t)first + c, depth + 1);
    if (rc) return rc;
  }
  return KL_OK;
}

static int lt_build(lt_tree *t, const double *v) {
  t->nnodes = 0;
  for (size_t i = 0; i < t->N; i++) t->perm[i] = i;
  if (lt_new_nodes(t, 1) < 0) return KL_ENOMEM;
  t->nodes[0].lo = 0;
  t->nodes[0].hi = t->N;
  int rc = lt_build_node(t, v, 0, 0);
  if (rc) return rc;
  t->nleaves = 0;
  for (size_t k = 0; k < t->nnodes; k++)
    if (!t->nodes[k].nchild) t->leaves[t->nleaves++] = k;
  return KL_OK;
}

/* ------------------------------------------------- interaction lists */
typedef struct lt_entry {
  size_t lo, hi; /* near: the particles [lo, hi) in tree order              */
  long far;      /* >= 0: a far cluster (node index), its proxies; -1: near */
} lt_entry;

/* The entries of batch (leaf) b, written to out[0 ..] (only counted when out
 * is NULL): a cluster C is far when (r_B + r_C) < theta R (R the distance of
 * the centres) and it holds more than P particles (else its particles cost
 * less than its proxies); a near cluster that passes the MAC, or a leaf, is a
 * range of particles; otherwise its children are visited, in tree order.
 * Adjacent near ranges merge (longer loops).  stack: LT_MAX_DEPTH * 8 + 1. */
static size_t lt_batch_list(const lt_tree *t, size_t b, lt_entry *out, size_t *stack) {
  const lt_node *B = t->nodes + t->leaves[b];
  const size_t P = lt_points(t);
  size_t n = 0, top = 0, near_hi = (size_t)-1;
  bool last_near = false;
  stack[top++] = 0;
  while (top) {
    const size_t k = stack[--top];
    const lt_node *C = t->nodes + k;
    double R2 = 0;
    for (unsigned a = 0; a < t->d; a++) R2 += (B->c[a] - C->c[a]) * (B->c[a] - C->c[a]);
    const double s = B->r + C->r;
    const bool mac = s * s < t->theta * t->theta * R2;
    if (mac && C->hi - C->lo > P) {
      if (out) out[n] = (lt_entry){0, 0, (long)k};
      n++;
      last_near = false;
    } else if (mac || !C->nchild) {
      if (last_near && near_hi == C->lo) {
        if (out) out[n - 1].hi = C->hi;
      } else {
        if (out) out[n] = (lt_entry){C->lo, C->hi, -1};
        n++;
      }
      last_near = true;
      near_hi = C->hi;
    } else {
      for (unsigned c = C->nchild; c-- > 0;) stack[top++] = C->child0 + c;
    }
  }
  return n;
}

/* ----------------------------------------------------------- charges */
/* The proxy block of node k: P points s (tensor grid, last axis fastest), the
 * modified charges Q = sum_j L(v_j) q_j and G_a = sum_j L(v_j) g_ja, summed in
 * tree order.  Block layout: x_a at a P, Q at d P, G_a at (d + 1 + a) P. */
static void lt_charges(const lt_tree *t, const lt_node *nd, double *blk) {
  const unsigned d = t->d, n = t->degree, n1 = n + 1;
  const size_t N = t->N, P = lt_points(t);
  double s[3][LT_MAX_DEGREE + 1], bw[LT_MAX_DEGREE + 1];
  for (unsigned k = 0; k <= n; k++) {
    bw[k] = (k % 2 ? -1.0 : 1.0) * (k == 0 || k == n ? 0.5 : 1.0);
    for (unsigned a = 0; a < d; a++) s[a][k] = nd->c[a] + nd->hw[a] * cos(3.14159265358979323846 * k / n);
  }
  for (size_t p = 0; p < P; p++) {
    size_t r = p;
    for (unsigned a = d; a-- > 0;) {
      blk[a * P + p] = s[a][r % n1];
      r /= n1;
    }
  }
  double *restrict Q = blk + d * P;
  memset(Q, 0, (d + 1) * P * sizeof *Q);
  for (size_t j = nd->lo; j < nd->hi; j++) {
    double L[3][LT_MAX_DEGREE + 1];
    for (unsigned a = 0; a < d; a++) {
      const double x = t->src[a * N + j];
      double sum = 0;
      int hit = -1;
      for (unsigned k = 0; k <= n; k++) {
        const double dx = x - s[a][k];
        if (dx == 0) {
          hit = (int)k;
          break;
        }
        L[a][k] = bw[k] / dx;
        sum += L[a][k];
      }
      if (hit >= 0)
        for (unsigned k = 0; k <= n; k++) L[a][k] = k == (unsigned)hit;
      else
        for (unsigned k = 0; k <= n; k++) L[a][k] /= sum;
    }
    const double q = t->src[d * N + j], g0 = t->src[(d + 1) * N + j],
                 g1 = t->src[(d + 2) * N + j], g2 = d == 3 ? t->src[(d + 3) * N + j] : 0;
    double *restrict G0 = Q + P, *restrict G1 = Q + 2 * P, *restrict G2 = Q + 3 * P;
    if (d == 2) {
      for (unsigned k1 = 0; k1 <= n; k1++) {
        const double l1 = L[0][k1];
        double *restrict q_ = Q + k1 * n1, *restrict a_ = G0 + k1 * n1, *restrict b_ = G1 + k1 * n1;
#pragma omp simd
        for (unsigned k2 = 0; k2 <= n; k2++) {
          const double l = l1 * L[1][k2];
          q_[k2] += l * q, a_[k2] += l * g0, b_[k2] += l * g1;
        }
      }
    } else {
      for (unsigned k1 = 0; k1 <= n; k1++)
        for (unsigned k2 = 0; k2 <= n; k2++) {
          const double l12 = L[0][k1] * L[1][k2];
          const size_t o = (k1 * n1 + k2) * n1;
          double *restrict q_ = Q + o, *restrict a_ = G0 + o, *restrict b_ = G1 + o,
                           *restrict c_ = G2 + o;
#pragma omp simd
          for (unsigned k3 = 0; k3 <= n; k3++) {
            const double l = l12 * L[2][k3];
            q_[k3] += l * q, a_[k3] += l * g0, b_[k3] += l * g1, c_[k3] += l * g2;
          }
        }
    }
  }
}

/* -------------------------------------------------------- evaluation */
/* acc += sum_{j < m} phi (|z|^2 D - (z.D) z), z = x_t - x_j, D = q_j F_t - g_j,
 * for the target tg = (x_t, F_t) and the sources s (components at s + c st:
 * x_a, q, g_a).  PHI as in landau_pairs.h (rr = |z|^2, rs = rr or 1 at rr = 0,
 * where the term is 0 anyway: coincident particles do not interact). */
#define LT_EVAL2(NAME, PHI)                                                                   \
  KL_ISA_CLONES static void NAME(const double *s, size_t st, size_t m, const double *tg,       \
                                 const double *restrict phi, double C, double *acc) {         \
    (void)phi, (void)C;                                                                       \
    const double *restrict x = s, *restrict y = s + st, *restrict q = s + 2 * st,             \
                           *restrict gx = s + 3 * st, *restrict gy = s + 4 * st;              \
    const double xi = tg[0], yi = tg[1], Fx = tg[3], Fy = tg[4];                              \
    double sx = 0, sy = 0;                                                                    \
    _Pragma("omp simd reduction(+ : sx, sy)") for (size_t j = 0; j < m; j++) {                \
      const double zx = xi - x[j], zy = yi - y[j];                                            \
      const double rr = zx * zx + zy * zy, rs = rr + (double)(rr <= 0);                       \
      (void)rs;                                                                               \
      const double p = PHI;                                                                   \
      const double dx = q[j] * Fx - gx[j], dy = q[j] * Fy - gy[j];                            \
      const double sz = zx * dx + zy * dy;                                                    \
      sx += p * (rr * dx - sz * zx);                                                          \
      sy += p * (rr * dy - sz * zy);                                                          \
    }                                                                                         \
    acc[0] += sx, acc[1] += sy;                                                               \
  }

#define LT_EVAL3(NAME, PHI)                                                                   \
  KL_ISA_CLONES static void NAME(const double *s, size_t st, size_t m, const double *tg,       \
                                 const double *restrict phi, double C, double *acc) {         \
    (void)phi, (void)C;                                                                       \
    const double *restrict x = s, *restrict y = s + st, *restrict zc = s + 2 * st,            \
                           *restrict q = s + 3 * st, *restrict gx = s + 4 * st,               \
                           *restrict gy = s + 5 * st, *restrict gz = s + 6 * st;              \
    const double xi = tg[0], yi = tg[1], zi = tg[2], Fx = tg[3], Fy = tg[4], Fz = tg[5];      \
    double sx = 0, sy = 0, s3 = 0;                                                            \
    _Pragma("omp simd reduction(+ : sx, sy, s3)") for (size_t j = 0; j < m; j++) {            \
      const double zx = xi - x[j], zy = yi - y[j], zz = zi - zc[j];                           \
      const double rr = zx * zx + zy * zy + zz * zz, rs = rr + (double)(rr <= 0);             \
      (void)rs;                                                                               \
      const double p = PHI;                                                                   \
      const double dx = q[j] * Fx - gx[j], dy = q[j] * Fy - gy[j], dz = q[j] * Fz - gz[j];    \
      const double sz = zx * dx + zy * dy + zz * dz;                                          \
      sx += p * (rr * dx - sz * zx);                                                          \
      sy += p * (rr * dy - sz * zy);                                                          \
      s3 += p * (rr * dz - sz * zz);                                                          \
    }                                                                                         \
    acc[0] += sx, acc[1] += sy, acc[2] += s3;                                                 \
  }

#define LT_PHI_0 (C)
#define LT_PHI_TAB (phi[j])
LT_EVAL2(lt_eval2_m3, LP_PHI_M3)
LT_EVAL2(lt_eval2_m5_2, LP_PHI_M5_2)
LT_EVAL2(lt_eval2_m2, LP_PHI_M2)
LT_EVAL2(lt_eval2_m3_2, LP_PHI_M3_2)
LT_EVAL2(lt_eval2_m1, LP_PHI_M1)
LT_EVAL2(lt_eval2_m1_2, LP_PHI_M1_2)
LT_EVAL2(lt_eval2_0, LT_PHI_0)
LT_EVAL2(lt_eval2_1_2, LP_PHI_1_2)
LT_EVAL2(lt_eval2_1, LP_PHI_1)
LT_EVAL2(lt_eval2_3_2, LP_PHI_3_2)
LT_EVAL2(lt_eval2_2, LP_PHI_2)
LT_EVAL2(lt_eval2_tab, LT_PHI_TAB)
LT_EVAL3(lt_eval3_m3, LP_PHI_M3)
LT_EVAL3(lt_eval3_m5_2, LP_PHI_M5_2)
LT_EVAL3(lt_eval3_m2, LP_PHI_M2)
LT_EVAL3(lt_eval3_m3_2, LP_PHI_M3_2)
LT_EVAL3(lt_eval3_m1, LP_PHI_M1)
LT_EVAL3(lt_eval3_m1_2, LP_PHI_M1_2)
LT_EVAL3(lt_eval3_0, LT_PHI_0)
LT_EVAL3(lt_eval3_1_2, LP_PHI_1_2)
LT_EVAL3(lt_eval3_1, LP_PHI_1)
LT_EVAL3(lt_eval3_3_2, LP_PHI_3_2)
LT_EVAL3(lt_eval3_2, LP_PHI_2)
LT_EVAL3(lt_eval3_tab, LT_PHI_TAB)

typedef void (*lt_eval_fn)(const double *, size_t, size_t, const double *, const double *,
                           double, double *);

static inline lt_eval_fn lt_eval_for(unsigned d, gamma_case gc) {
  static const lt_eval_fn f2[] = {
      [G_M3] = lt_eval2_m3, [G_M5_2] = lt_eval2_m5_2, [G_M2] = lt_eval2_m2,
      [G_M3_2] = lt_eval2_m3_2, [G_M1] = lt_eval2_m1, [G_M1_2] = lt_eval2_m1_2,
      [G_0] = lt_eval2_0, [G_1_2] = lt_eval2_1_2, [G_1] = lt_eval2_1,
      [G_3_2] = lt_eval2_3_2, [G_2] = lt_eval2_2, [G_PLUGIN] = lt_eval2_tab,
      [G_GENERIC] = lt_eval2_tab};
  static const lt_eval_fn f3[] = {
      [G_M3] = lt_eval3_m3, [G_M5_2] = lt_eval3_m5_2, [G_M2] = lt_eval3_m2,
      [G_M3_2] = lt_eval3_m3_2, [G_M1] = lt_eval3_m1, [G_M1_2] = lt_eval3_m1_2,
      [G_0] = lt_eval3_0, [G_1_2] = lt_eval3_1_2, [G_1] = lt_eval3_1,
      [G_3_2] = lt_eval3_3_2, [G_2] = lt_eval3_2, [G_PLUGIN] = lt_eval3_tab,
      [G_GENERIC] = lt_eval3_tab};
  return d == 2 ? f2[gc] : f3[gc];
}

/* One target against m sources; the table cases (a kernel plugin's weight, or
 * pow for a generic gamma) in chunks of LT_CHUNK with the scratch r2, phi. */
static inline void lt_eval(const lt_tree *t, lt_eval_fn f, bool tab, const double *s, size_t st,
                           size_t m, const double *tg, double *r2, double *phi, double *acc) {
  if (!tab) {
    f(s, st, m, tg, NULL, t->C, acc);
    return;
  }
  const unsigned d = t->d;
  for (size_t j0 = 0; j0 < m; j0 += LT_CHUNK) {
    const size_t c = m - j0 < LT_CHUNK ? m - j0 : LT_CHUNK;
    for (size_t j = 0; j < c; j++) {
      double rr = 0;
      for (unsigned a = 0; a < d; a++) {
        const double z = tg[a] - s[a * st + j0 + j];
        rr += z * z;
      }
      r2[j] = rr;
    }
    if (t->kern) {
      kl_kernel_weight(t->kern, c, r2, phi);
      for (size_t j = 0; j < c; j++)
        if (!(r2[j] > 0)) phi[j] = 0.0;
    } else {
      lp_phi_pow(t->C, 0.5 * t->gamma, c, r2, phi);
    }
    f(s + j0, st, c, tg, phi, t->C, acc);
  }
}

/* Kernel evaluations per target of the last sum: against particles (near)
 * and against proxies (far); the cost model of docs/performance.md. */
static inline void lt_interactions(const lt_tree *t, double *near, double *far) {
  double n = 0, f = 0;
  const double P = (double)lt_points(t);
  for (size_t b = 0; b < t->nleaves && t->N; b++) {
    const lt_node *B = t->nodes + t->leaves[b];
    for (size_t e = t->list_off[b]; e < t->list_off[b + 1]; e++)
      if (t->list[e].far >= 0) f += (double)(B->hi - B->lo) * P;
      else n += (double)(B->hi - B->lo) * (double)(t->list[e].hi - t->list[e].lo);
  }
  *near = t->N ? n / (double)t->N : 0;
  *far = t->N ? f / (double)t->N : 0;
}

/* ------------------------------------------------------------- the sum */
/* dvdt = -sum_j w_j A(v_i - v_j)(F_i - F_j) by the treecode; v, F, dvdt of
 * stride N.  0 or KL_ENOMEM. */
static int lt_sum(lt_tree *t, const double *v, const double *F, const double *w, double *dvdt) {
  const unsigned d = t->d;
  const size_t N = t->N, P = lt_points(t);
  if (N == 0) return KL_OK;
  int rc = lt_build(t, v);
  if (rc) return rc;
  for (size_t q = 0; q < N; q++) {
    const size_t j = t->perm[q];
    t->src[d * N + q] = w[j];
    for (unsigned a = 0; a < d; a++) {
      t->src[a * N + q] = v[a * N + j];
      t->src[(d + 1 + a) * N + q] = w[j] * F[a * N + j];
      t->tgtF[a * N + q] = F[a * N + j];
    }
  }
  /* the interaction lists (serial: cheap, O(N / leaf_size) traversals) */
  size_t stack[8 * LT_MAX_DEPTH + 8];
  t->list_off[0] = 0;
  for (size_t b = 0; b < t->nleaves; b++)
    t->list_off[b + 1] = t->list_off[b] + lt_batch_list(t, b, NULL, stack);
  const size_t nlist = t->list_off[t->nleaves];
  if (nlist > t->cap_list) {
    lt_entry *l = realloc(t->list, nlist * sizeof *l);
    if (!l) return KL_ENOMEM;
    t->list = l;
    t->cap_list = nlist;
  }
  lt_entry *list = t->list;
  for (size_t b = 0; b < t->nleaves; b++) lt_batch_list(t, b, list + t->list_off[b], stack);
  /* the clusters some batch uses as far field get proxies, in node order */
  for (size_t e = 0; e < nlist; e++)
    if (list[e].far >= 0) t->nodes[list[e].far].proxy = 0; /* marked */
  size_t np = 0;
  for (size_t k = 0; k < t->nnodes; k++) np += t->nodes[k].proxy == 0;
  if (np > t->cap_proxy) {
    double *px = realloc(t->proxy, np * (2 * d + 1) * P * sizeof *px);
    if (!px) return KL_ENOMEM;
    t->proxy = px;
    size_t *pn = realloc(t->proxy_node, np * sizeof *pn);
    if (!pn) return KL_ENOMEM;
    t->proxy_node = pn;
    t->cap_proxy = np;
  }
  t->nproxy = np;
  np = 0;
  for (size_t k = 0; k < t->nnodes; k++)
    if (t->nodes[k].proxy == 0) t->proxy_node[np] = k, t->nodes[k].proxy = (long)np++;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t b = 0; b < np; b++)
    lt_charges(t, t->nodes + t->proxy_node[b], t->proxy + b * (2 * d + 1) * P);
  /* evaluation: one thread per batch, each target over its batch's list */
  const bool tab = t->gc == G_PLUGIN || t->gc == G_GENERIC;
  const lt_eval_fn f = lt_eval_for(d, t->gc);
  int fail = 0;
#pragma omp parallel
  {
    double *r2 = tab ? malloc(2 * LT_CHUNK * sizeof *r2) : NULL, *phi = r2 ? r2 + LT_CHUNK : NULL;
    if (tab && !r2) {
#pragma omp atomic write
      fail = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (size_t b = 0; b < t->nleaves; b++) {
      const lt_node *B = t->nodes + t->leaves[b];
      const bool mine = t->ranks <= 1 || (int)(b % (size_t)t->ranks) == t->rank;
      for (size_t i = B->lo; i < B->hi; i++) {
        double acc[3] = {0, 0, 0}, tg[6] = {0, 0, 0, 0, 0, 0};
        if (mine && (!tab || r2)) {
          for (unsigned a = 0; a < d; a++) tg[a] = t->src[a * N + i], tg[3 + a] = t->tgtF[a * N + i];
          for (size_t e = t->list_off[b]; e < t->list_off[b + 1]; e++) {
            const lt_entry *en = list + e;
            if (en->far >= 0)
              lt_eval(t, f, tab, t->proxy + (size_t)t->nodes[en->far].proxy * (2 * d + 1) * P, P,
                      P, tg, r2, phi, acc);
            else
              lt_eval(t, f, tab, t->src + en->lo, N, en->hi - en->lo, tg, r2, phi, acc);
          }
        }
        for (unsigned a = 0; a < d; a++) t->acc[a * N + i] = -acc[a];
      }
    }
    free(r2);
  }
  for (size_t k = 0; k < t->nnodes; k++) t->nodes[k].proxy = -1;
  if (fail) return KL_ENOMEM;
#pragma omp parallel for schedule(static)
  for (size_t q = 0; q < N; q++)
    for (unsigned a = 0; a < d; a++) dvdt[a * N + t->perm[q]] = t->acc[a * N + q];
  return KL_OK;
}

#endif
