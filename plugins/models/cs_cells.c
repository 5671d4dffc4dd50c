/* plugins/models/cs_cells.c - cell lists of side >= cutoff: O(N) pair search. */
#include "cs_cells.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cs_cells_free(cs_cells *c) {
  free(c->start), free(c->order), free(c->cell_of);
  c->start = c->order = c->cell_of = NULL;
}

static inline double min_image(double d, double L, bool periodic) {
  return periodic ? d - L * nearbyint(d / L) : d;
}

int cs_cells_build(cs_cells *c, unsigned dim, bool periodic, const double *lo, const double *len,
                   double cutoff, size_t n, const double *const *x) {
  cs_cells_free(c);
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
    if (m > 1e6) m = 1e6;
    c->nc[k] = (size_t)m;
    /* periodic with fewer than 3 cells: the 3^dim neighbourhood would repeat cells */
    if (periodic && c->nc[k] < 3) c->brute = true;
    c->ncell *= c->nc[k];
  }
  for (unsigned k = dim; k < 3; k++) c->nc[k] = 1, c->lo[k] = 0, c->len[k] = 1;
  if (c->brute || c->ncell > 4 * n + 64) {
    if (!periodic && c->ncell > 4 * n + 64) {
      /* sparse free-space cloud: coarsen uniformly (cells stay >= cutoff) */
      while (c->ncell > 4 * n + 64) {
        c->ncell = 1;
        for (unsigned k = 0; k < dim; k++) {
          c->nc[k] = c->nc[k] > 1 ? (c->nc[k] + 1) / 2 : 1;
          c->ncell *= c->nc[k];
        }
      }
    } else if (c->brute)
      return 0;
  }
  c->start = calloc(c->ncell + 1, sizeof *c->start);
  c->order = malloc((n ? n : 1) * sizeof *c->order);
  c->cell_of = malloc((n ? n : 1) * sizeof *c->cell_of);
  if (!c->start || !c->order || !c->cell_of) {
    cs_cells_free(c);
    return -1;
  }
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
  size_t *fill = malloc((c->ncell ? c->ncell : 1) * sizeof *fill);
  if (!fill) {
    cs_cells_free(c);
    return -1;
  }
  memcpy(fill, c->start, c->ncell * sizeof *fill);
  for (size_t i = 0; i < n; i++) c->order[fill[c->cell_of[i]]++] = i; /* stable: i ascending */
  free(fill);
  return 0;
}

static inline void try_pair(const cs_cells *c, const double *const *x, size_t i, size_t j,
                            cs_pair_fn fn, void *ctx) {
  double dx[3] = {0, 0, 0}, r2 = 0;
  for (unsigned k = 0; k < c->dim; k++) {
    dx[k] = min_image(x[k][j] - x[k][i], c->len[k], c->periodic);
    r2 += dx[k] * dx[k];
  }
  if (r2 < c->cutoff * c->cutoff) fn(ctx, i, j, dx, r2);
}

void cs_pairs_brute(unsigned dim, bool periodic, const double *len, double cutoff, size_t n,
                    const double *const *x, cs_pair_fn fn, void *ctx) {
  cs_cells c = {0};
  c.dim = dim, c.periodic = periodic, c.cutoff = cutoff;
  for (unsigned k = 0; k < dim; k++) c.len[k] = periodic ? len[k] : 1;
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) try_pair(&c, x, i, j, fn, ctx);
}

void cs_cells_for_pairs(const cs_cells *c, const double *const *x, cs_pair_fn fn, void *ctx) {
  if (c->brute) {
    cs_pairs_brute(c->dim, c->periodic, c->len, c->cutoff, c->n, x, fn, ctx);
    return;
  }
  long nc[3] = {(long)c->nc[0], (long)c->nc[1], (long)c->nc[2]};
  long r[3] = {c->dim > 0, c->dim > 1, c->dim > 2};
  /* Each particle i visits the 3^dim cells around its own and takes the
   * partners j > i: every unordered pair once, in the order of i. */
  for (size_t i = 0; i < c->n; i++) {
    size_t id = c->cell_of[i];
    long ci[3] = {(long)(id % c->nc[0]), (long)((id / c->nc[0]) % c->nc[1]),
                  (long)(id / (c->nc[0] * c->nc[1]))};
    for (long a = -r[2]; a <= r[2]; a++)
      for (long b = -r[1]; b <= r[1]; b++)
        for (long e = -r[0]; e <= r[0]; e++) {
          long q[3] = {ci[0] + e, ci[1] + b, ci[2] + a};
          bool skip = false;
          for (int k = 0; k < 3; k++) {
            if (q[k] < 0 || q[k] >= nc[k]) {
              if (!c->periodic || nc[k] == 1) skip = true;
              else q[k] = (q[k] + nc[k]) % nc[k];
            }
          }
          if (skip) continue;
          size_t cell = (size_t)q[0] + c->nc[0] * ((size_t)q[1] + c->nc[1] * (size_t)q[2]);
          for (size_t p = c->start[cell]; p < c->start[cell + 1]; p++) {
            size_t j = c->order[p];
            if (j > i) try_pair(c, x, i, j, fn, ctx);
          }
        }
  }
}
