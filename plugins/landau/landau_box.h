/* plugins/landau/landau_box.h - the default box of landau_particles: the
 * smallest half-width L whose cube [-L, L]^d leaves out at most a relative
 * tail tolerance of the mass and of the fourth moment, of the initial data AND
 * of the Maxwellian they relax to (docs/landau.md, "The box").
 *
 * Why the equilibrium too: the mesh is fixed while the solution spreads (BKW
 * 2-D: the relative M4 beyond |v|_inf = 4 grows from 2e-6 at t = 0 to 1.4e-3 at
 * t = 5), and what lies beyond the mesh is invisible to the entropy quadrature,
 * a bias that caps the order (issue 16).  The Landau equation conserves mass,
 * momentum and energy, so its equilibrium, the Maxwellian with the moments of
 * f0, is known from f0 alone.
 *
 * Everything is computed from the density (and the support box that bounds
 * where it is not negligible) by a midpoint rule on a fine cube grid; the
 * cells are binned into cube shells |v|_inf in [k delta, (k+1) delta), so the
 * tail beyond any L is a monotone, piecewise linear function of L.  Header
 * only, so that the tests call it on densities of their own. */
#ifndef KL_LANDAU_BOX_H
#define KL_LANDAU_BOX_H

#include <math.h>
#include <stdlib.h>

typedef double (*lb_density_fn)(void *ctx, const double *v);

/* Mass and M4 = int |v|^4 f of each cube shell of a g^d midpoint grid on [-S, S]^d. */
typedef struct lb_shells {
  size_t count;    /* g / 2 */
  double delta;    /* shell width 2S / g */
  double *mass, *m4;
  double mass_total, m4_total;
} lb_shells;

/* What lb_choose_box found, for the log. */
typedef struct lb_box {
  double L;             /* the half-width */
  double tol;           /* the tolerance at that L */
  double tail_initial;  /* max(relative mass, relative M4) of f0 beyond the cube */
  double tail_equilibrium; /* ... of the equilibrium Maxwellian */
  double T;             /* the temperature of f0 (and of its equilibrium) */
} lb_box;

static inline void lb_shells_free(lb_shells *sh) {
  free(sh->mass);
  free(sh->m4);
  sh->mass = sh->m4 = NULL;
}

/* Fill sh from f on [-S, S]^d with g (even) cells per side; also the mass,
 * momentum and energy of f (mom may be NULL).  0, or -1 out of memory. */
static inline int lb_shells_fill(unsigned d, lb_density_fn f, void *ctx, double S, size_t g,
                                 lb_shells *sh, double *mass, double *mom, double *energy) {
  sh->count = g / 2;
  sh->delta = 2 * S / (double)g;
  sh->mass = calloc(sh->count, sizeof *sh->mass);
  sh->m4 = calloc(sh->count, sizeof *sh->m4);
  if (!sh->mass || !sh->m4) {
    lb_shells_free(sh);
    return -1;
  }
  const double dv = d == 2 ? sh->delta * sh->delta : sh->delta * sh->delta * sh->delta;
  double m = 0, p[3] = {0, 0, 0}, e = 0;
  const size_t half = g / 2, total = d == 2 ? g * g : g * g * g;
  for (size_t c = 0; c < total; c++) {
    double v[3] = {0, 0, 0};
    size_t r = c, shell = 0;
    for (unsigned a = 0; a < d; a++) {
      const size_t i = r % g;
      r /= g;
      v[a] = -S + ((double)i + 0.5) * sh->delta;
      const size_t k = i >= half ? i - half : half - 1 - i;
      if (k > shell) shell = k;
    }
    const double w = f(ctx, v) * dv, r2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    sh->mass[shell] += w;
    sh->m4[shell] += w * r2 * r2;
    m += w;
    for (unsigned a = 0; a < d; a++) p[a] += w * v[a];
    e += w * r2;
  }
  sh->mass_total = sh->m4_total = 0;
  for (size_t k = 0; k < sh->count; k++) {
    sh->mass_total += sh->mass[k];
    sh->m4_total += sh->m4[k];
  }
  if (mass) *mass = m;
  if (mom)
    for (unsigned a = 0; a < d; a++) mom[a] = p[a];
  if (energy) *energy = e;
  return 0;
}

/* max(relative mass, relative M4) beyond the cube [-L, L]^d: the shells
 * outside L, the one that L cuts in proportion.  Nonincreasing in L. */
static inline double lb_tail(const lb_shells *sh, double L) {
  double m = 0, q = 0;
  for (size_t k = sh->count; k-- > 0;) {
    const double inner = (double)k * sh->delta, outer = inner + sh->delta;
    if (outer <= L) break;
    const double frac = inner >= L ? 1.0 : (outer - L) / sh->delta;
    m += frac * sh->mass[k];
    q += frac * sh->m4[k];
  }
  const double rm = sh->mass_total > 0 ? m / sh->mass_total : 0,
               rq = sh->m4_total > 0 ? q / sh->m4_total : 0;
  return rm > rq ? rm : rq;
}

typedef struct lb_maxwellian {
  unsigned d;
  double mass, T, u[3];
} lb_maxwellian;

static inline double lb_maxwellian_density(void *ctx, const double *v) {
  const lb_maxwellian *M = ctx;
  double r2 = 0;
  for (unsigned a = 0; a < M->d; a++) r2 += (v[a] - M->u[a]) * (v[a] - M->u[a]);
  return M->mass * pow(2 * M_PI * M->T, -0.5 * M->d) * exp(-r2 / (2 * M->T));
}

/* Cells per side of the tail quadrature: shells of width 12/512 (2-D) or
 * 12/128 (3-D) for a support of +-6; a few 10^6 density calls at most. */
#define LB_GRID_2D 512
#define LB_GRID_3D 128

/* The smallest L in (0, S'] with tail(L) <= tol(L), tail = the larger of the
 * tails of f0 and of its equilibrium, and tol(L) = tol_fixed when that is > 0,
 * else coeff (h / sqrt(T))^2 with h = 2L / n: the tail follows the method's
 * O(h^2) error.  S bounds f0's support (|v|_inf <= S); S' >= S also holds the
 * equilibrium.  Returns 0; -1 out of memory; -2 when f0 has no positive
 * mass or temperature on the grid. */
static inline int lb_choose_box(unsigned d, lb_density_fn f0, void *ctx, double S,
                                double tol_fixed, double coeff, long n, lb_box *out) {
  const size_t g = d == 2 ? LB_GRID_2D : LB_GRID_3D;
  lb_shells init = {0}, eq = {0};
  double mass, mom[3] = {0, 0, 0}, energy;
  if (lb_shells_fill(d, f0, ctx, S, g, &init, &mass, mom, &energy)) return -1;
  lb_maxwellian M = {d, mass, 0, {0, 0, 0}};
  double u2 = 0, umax = 0;
  for (unsigned a = 0; a < d && mass > 0; a++) {
    M.u[a] = mom[a] / mass;
    u2 += M.u[a] * M.u[a];
    if (fabs(M.u[a]) > umax) umax = fabs(M.u[a]);
  }
  M.T = mass > 0 ? (energy / mass - u2) / d : 0;
  if (!(mass > 0) || !(M.T > 0) || !isfinite(M.T)) {
    lb_shells_free(&init);
    return -2;
  }
  /* e^{-32} of the equilibrium lies beyond 8 sqrt(T) per axis */
  const double S_eq = fmax(S, umax + 8 * sqrt(M.T));
  if (lb_shells_fill(d, lb_maxwellian_density, &M, S_eq, g, &eq, NULL, NULL, NULL)) {
    lb_shells_free(&init);
    return -1;
  }
  double lo = 0, hi = S_eq; /* tail(hi) = 0 <= tol(hi) */
  for (int it = 0; it < 60; it++) {
    const double L = 0.5 * (lo + hi), h = 2 * L / (double)n;
    const double tol = tol_fixed > 0 ? tol_fixed : coeff * h * h / M.T;
    if (fmax(lb_tail(&init, L), lb_tail(&eq, L)) <= tol) hi = L;
    else lo = L;
  }
  const double h = 2 * hi / (double)n;
  out->L = hi;
  out->tol = tol_fixed > 0 ? tol_fixed : coeff * h * h / M.T;
  out->tail_initial = lb_tail(&init, hi);
  out->tail_equilibrium = lb_tail(&eq, hi);
  out->T = M.T;
  lb_shells_free(&init);
  lb_shells_free(&eq);
  return 0;
}

#endif
