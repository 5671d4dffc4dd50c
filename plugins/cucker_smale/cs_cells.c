/* plugins/cucker_smale/cs_cells.c - cell lists of side >= cutoff: O(N) pair search.
 *
 * Performance notes (docs/cucker_smale.md, "Performance"): the particles are sorted by
 * cell every build (counting sort) and the pair loop walks them in cell order over a
 * half stencil (own cell: later positions; the 3^d - 1 neighbours: only the "positive"
 * half), reading the cell-ordered copy xs; the number of cells is capped at 4n + 64 so
 * a small cut-off (N eps = 1 on a box much larger than the cloud) does not make the
 * cell array (and its clearing and prefix sum) many times larger than n. */
#include "cs_cells.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cs_cells_free(cs_cells *c) {
  free(c->start), free(c->order), free(c->cell_of);
  for (int k = 0; k < 3; k++) free(c->xs[k]), c->xs[k] = NULL;
  c->start = c->order = c->cell_of = NULL;
  c->cap_n = c->cap_cell = 0;
}

static inline double min_image(double d, double L, bool periodic) {
  return periodic ? d - L * nearbyint(d / L) : d;
}

int cs_cells_build(cs_cells *c, unsigned dim, bool periodic, const double *lo, const double *len,
                   double cutoff, size_t n, const double *const *x) {
  c->dim = dim, c->periodic = periodic, c->cutoff = cutoff, c->n = n;
  c->brute = false;
  c->ncell = 1;
  for (unsigned k = 0; k < dim; k++) {
    if (periodic) c->lo[k] = lo[k], c->len[k] = len[k];
    else {
      double a = INFINITY, b = -INFINITY;
      for (size_t i = 0; i < n; i++) a = fmin(a, x[k][i]), b = fmax(b, x[k][i]);
      if (n == 0) a = 0, b = 1;
      c->lo[k] = a, c->len[k] = (b - a) * (1 + 1e-12) + 1e-300;
    }
    double m = floor(c->len[k] / cutoff);
    if (m < 1) m = 1;
    /* at most ~2 (4n + 64)^(1/dim) per direction (larger cells are always correct), so
     * the product fits a size_t; the merging below brings it to <= 4n + 64 */
    double mmax = 2 * pow(4.0 * (double)n + 64, 1.0 / dim) + 1;
    if (m > mmax) m = floor(mmax);
    c->nc[k] = (size_t)m;
    /* periodic with fewer than 3 cells: the 3^dim neighbourhood would repeat cells */
    if (periodic && c->nc[k] < 3) c->brute = true;
    c->ncell *= c->nc[k];
  }
  for (unsigned k = dim; k < 3; k++) c->nc[k] = 1, c->lo[k] = 0, c->len[k] = 1;
  if (c->brute) return 0;
  /* Too many cells for n particles: merge cells uniformly (cells stay >= cutoff; a
   * periodic direction keeps >= 3 cells so the stencil never repeats a cell). */
  size_t min_nc = periodic ? 3 : 1;
  while (c->ncell > 4 * n + 64) {
    size_t nn = 1;
    for (unsigned k = 0; k < dim; k++) {
      size_t h = (c->nc[k] + 1) / 2;
      c->nc[k] = c->nc[k] > min_nc ? (h < min_nc ? min_nc : h) : c->nc[k];
      nn *= c->nc[k];
    }
    if (nn == c->ncell) break;
    c->ncell = nn;
  }
  if (c->cap_cell < c->ncell + 1) {
    free(c->start);
    c->start = malloc((c->ncell + 1) * sizeof *c->start);
    c->cap_cell = c->start ? c->ncell + 1 : 0;
  }
  if (c->cap_n < n || !c->order) {
    size_t m = n ? n : 1;
    free(c->order), free(c->cell_of);
    c->order = malloc(m * sizeof *c->order);
    c->cell_of = malloc(m * sizeof *c->cell_of);
    bool ok = c->order && c->cell_of;
    for (unsigned k = 0; k < 3; k++) {
      free(c->xs[k]);
      c->xs[k] = k < dim ? malloc(m * sizeof *c->xs[k]) : NULL;
      if (k < dim && !c->xs[k]) ok = false;
    }
    c->cap_n = ok ? m : 0;
  }
  if (!c->start || !c->cap_n) {
    cs_cells_free(c);
    return -1;
  }
  memset(c->start, 0, (c->ncell + 1) * sizeof *c->start);
  for (size_t i = 0; i < n; i++) {
    size_t id = 0;
    for (unsigned k = dim; k-- > 0;) {
      double r = (x[k][i] - c->lo[k]) / c->len[k];
      if (periodic) r -= floor(r);
      long ik = (long)(r * (double)c->nc[k]);
      if (ik < 0) ik = 0;
      if (ik >= (long)c->nc[k]) ik = (long)c->nc[k] - 1;
      id = id * c->nc[k] + (size_t)ik;
    }
    c->cell_of[i] = id;
    c->start[id + 1]++;
  }
  for (size_t q = 0; q < c->ncell; q++) c->start[q + 1] += c->start[q];
  /* scatter (stable: i ascending within a cell); start[q] is used as the fill pointer
   * and restored afterwards by shifting */
  for (size_t i = 0; i < n; i++) {
    size_t p = c->start[c->cell_of[i]]++;
    c->order[p] = i;
    for (unsigned k = 0; k < dim; k++) c->xs[k][p] = x[k][i];
  }
  memmove(c->start + 1, c->start, c->ncell * sizeof *c->start);
  c->start[0] = 0;
  return 0;
}

static inline void try_pair(const cs_cells *c, const double *const *x, size_t i, size_t j,
                            cs_pair_fn fn, void *ctx, size_t ri, size_t rj) {
  double dx[3] = {0, 0, 0}, r2 = 0;
  for (unsigned k = 0; k < c->dim; k++) {
    dx[k] = min_image(x[k][j] - x[k][i], c->len[k], c->periodic);
    r2 += dx[k] * dx[k];
  }
  if (r2 < c->cutoff * c->cutoff) fn(ctx, ri, rj, dx, r2);
}

void cs_pairs_brute(unsigned dim, bool periodic, const double *len, double cutoff, size_t n,
                    const double *const *x, cs_pair_fn fn, void *ctx) {
  cs_cells c = {0};
  c.dim = dim, c.periodic = periodic, c.cutoff = cutoff;
  for (unsigned k = 0; k < dim; k++) c.len[k] = periodic ? len[k] : 1;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) try_pair(&c, x, i, j, fn, ctx, i, j);
}

/* Pair loop over positions in cell order; map: report particle indices (order[p]). */
static void pairs_sorted(const cs_cells *c, bool map, cs_pair_fn fn, void *ctx) {
  const double *const *xs = (const double *const *)c->xs;
  const size_t *ord = c->order;
  long nc[3] = {(long)c->nc[0], (long)c->nc[1], (long)c->nc[2]};
  long r[3] = {c->dim > 0, c->dim > 1, c->dim > 2};
  /* half stencil: offsets whose first non-zero component (z, then y, then x) is > 0 */
  long off[13][3];
  int noff = 0;
  for (long a = -r[2]; a <= r[2]; a++)
    for (long b = -r[1]; b <= r[1]; b++)
      for (long e = -r[0]; e <= r[0]; e++)
        if (a > 0 || (a == 0 && (b > 0 || (b == 0 && e > 0))))
          off[noff][0] = e, off[noff][1] = b, off[noff][2] = a, noff++;
  for (size_t cell = 0; cell < c->ncell; cell++) {
    size_t p0 = c->start[cell], p1 = c->start[cell + 1];
    if (p0 == p1) continue;
    /* own cell: p < q */
    for (size_t p = p0; p < p1; p++)
      for (size_t q = p + 1; q < p1; q++)
        try_pair(c, xs, p, q, fn, ctx, map ? ord[p] : p, map ? ord[q] : q);
    long ci[3] = {(long)(cell % c->nc[0]), (long)((cell / c->nc[0]) % c->nc[1]),
                  (long)(cell / (c->nc[0] * c->nc[1]))};
    for (int o = 0; o < noff; o++) {
      long q3[3];
      bool skip = false;
      for (int k = 0; k < 3; k++) {
        q3[k] = ci[k] + off[o][k];
        if (q3[k] < 0 || q3[k] >= nc[k]) {
          if (!c->periodic || nc[k] == 1) skip = true;
          else q3[k] = (q3[k] + nc[k]) % nc[k];
        }
      }
      if (skip) continue;
      size_t nb = (size_t)q3[0] + c->nc[0] * ((size_t)q3[1] + c->nc[1] * (size_t)q3[2]);
      size_t s0 = c->start[nb], s1 = c->start[nb + 1];
      for (size_t p = p0; p < p1; p++)
        for (size_t q = s0; q < s1; q++)
          try_pair(c, xs, p, q, fn, ctx, map ? ord[p] : p, map ? ord[q] : q);
    }
  }
}

void cs_cells_for_pairs(const cs_cells *c, const double *const *x, cs_pair_fn fn, void *ctx) {
  if (c->brute) {
    cs_pairs_brute(c->dim, c->periodic, c->len, c->cutoff, c->n, x, fn, ctx);
    return;
  }
  pairs_sorted(c, true, fn, ctx);
}

void cs_cells_for_pairs_sorted(const cs_cells *c, cs_pair_fn fn, void *ctx) {
  if (c->brute) return; /* no cell order: callers use cs_cells_for_pairs (see header) */
  pairs_sorted(c, false, fn, ctx);
}
