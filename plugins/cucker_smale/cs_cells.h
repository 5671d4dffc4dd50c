/* plugins/cucker_smale/cs_cells.h - cell lists for the cs_particles pair sums (private;
 * compiled into the cs_particles module and into tests/test_cs_particles). */
#ifndef CS_CELLS_H
#define CS_CELLS_H
#include <stdbool.h>
#include <stddef.h>

typedef struct cs_cells {
  unsigned dim;       /* space dimension 1..3 */
  bool periodic;      /* periodic box [lo, lo + len) */
  double lo[3], len[3];
  double cutoff;      /* pairs with |x_i - x_j| < cutoff (minimum image when periodic) */
  size_t nc[3], ncell;
  bool brute;         /* too few cells for a 3^dim stencil without repeats: all pairs */
  size_t n;
  /* Particles in cell order (counting sort, stable): position p holds particle order[p];
   * cell q holds positions start[q] .. start[q+1]-1; xs[k][p] = x[k][order[p]]. */
  size_t *start, *order, *cell_of;
  double *xs[3];
  size_t cap_n, cap_cell; /* allocated sizes (buffers are reused between builds) */
} cs_cells;

/* Called once per unordered pair with |x_j - x_i| < cutoff; dx = x_j - x_i (minimum
 * image), r2 = |dx|^2.  i, j are particle indices (cs_cells_for_pairs) or positions in
 * cell order (cs_cells_for_pairs_sorted). */
typedef void (*cs_pair_fn)(void *ctx, size_t i, size_t j, const double *dx, double r2);

/* Build the lists for n positions x[k][i] (SoA).  For a free (non-periodic) box,
 * lo/len are taken from the bounding box of the positions.  At most 4n + 64 cells are
 * used (cells are merged, never made smaller than the cut-off), so the work and memory
 * are O(n) whatever the cut-off.  Returns 0 or -1 (no memory). */
int cs_cells_build(cs_cells *c, unsigned dim, bool periodic, const double *lo, const double *len,
                   double cutoff, size_t n, const double *const *x);
/* Visit every pair within the cut-off exactly once, in a deterministic order, walking
 * the particles cell by cell (cache friendly); fn gets particle indices. */
void cs_cells_for_pairs(const cs_cells *c, const double *const *x, cs_pair_fn fn, void *ctx);
/* The same pairs, fn gets positions p < q in cell order (use c->order to map back;
 * data gathered into cell order is then read contiguously).  Only when !c->brute (a
 * brute-force list has no cell order; use cs_cells_for_pairs). */
void cs_cells_for_pairs_sorted(const cs_cells *c, cs_pair_fn fn, void *ctx);
/* Reference: all n(n-1)/2 pairs tested directly (tests). */
void cs_pairs_brute(unsigned dim, bool periodic, const double *len, double cutoff, size_t n,
                    const double *const *x, cs_pair_fn fn, void *ctx);
void cs_cells_free(cs_cells *c);
#endif
