/* plugins/cucker_smale/cs_kinetic.c - kinetic Cucker-Smale equation with local alignment
 * (paper 004, eq. (1.3); notes/cucker_smale.md) on a phase-space grid of cell averages:
 *
 *     d_t f + v . grad_x f = gamma div_v( rho (v - u) f ),   rho = int f dv, rho u = int v f dv.
 *
 * Two split parts (the framework composes them, Lie or Strang):
 *   part 0  transport   d_t f + v_1 d_x f = 0 (dim_x = 1; identity when dim_x = 0), each
 *                       velocity cell J moved with its centre velocity v_1(J):
 *             upwind    first-order upwind, positive for nu = |v| dt/dx <= 1;
 *             muscl     time-centred limited MUSCL (second-order TVD, Sweby region,
 *                       minmod or MC slopes); in incremental form f_i - C (f_i - f_i-1) with
 *                       C in [nu^2, nu(2 - nu)], hence positive and bound preserving for nu <= 1;
 *             sl        conservative semi-Lagrangian: the integer part of the shift exactly,
 *                       the fractional part with the limited MUSCL flux (any dt).
 *                       All three are in flux form, so mass is conserved to round-off.
 *   part 1  alignment   in every x-cell d_t f = gamma div_v(rho (v - u) f) with rho, u frozen
 *                       (both are invariants of this part):
 *             remap     (default) the exact homogeneous flow map, a dilation toward u by
 *                       lambda = e^{-gamma rho dt} (Theorem 2.3), applied to cell averages by a
 *                       conservative remap: each target cell receives the integral of a
 *                       limited piecewise-linear reconstruction (limiter: minmod|mc) over its
 *                       preimage, direction by direction in d = 2, 3.  Exact in time (any dt),
 *                       second order in dv (first at limited extrema), f >= 0, mass to
 *                       round-off, support never grows.  The remap alone does not keep the
 *                       cell-centre first moment sum_j v_j m_j (the remapped profile is not
 *                       symmetric inside a target cell, even for unlimited slopes): one
 *                       conservative upwind shift of O(dv^2) fraction per direction restores
 *                       it to round-off (momentum_fixup).
 *             exact     the exact homogeneous flow map (Theorem 2.3): the mass of cell j is
 *                       carried to y_j = u + e^{-gamma rho dt} (v_j - u) and split linearly
 *                       between the two grid velocities around y_j (bilinear in d = 2,
 *                       trilinear in d = 3).  Mass and the first moment sum_j v_j m_j are
 *                       kept to round-off, f stays >= 0 for any dt, the v-support cannot grow,
 *                       and for (1 - e^{-gamma rho dt}) |v - u| <= dv the discrete energy is
 *                       non-increasing (see docs/cucker_smale.md).  First order in dv.
 *             upwind    forward-Euler upwind flux with cell-centred speeds (same stencil with
 *                       gamma rho dt in place of 1 - e^{-gamma rho dt}); momentum exact;
 *                       sub-cycled automatically so that gamma rho dt |v - u|/dv <= 1.
 *             upwind_interface  the textbook upwind flux with speeds at cell interfaces:
 *                       conservative in mass but NOT in momentum (kept to show the drift).
 *             upwind_balanced  the interface-speed upwind flux with u replaced, per x-cell,
 *                       sub-step and direction, by the u* that makes the discrete momentum
 *                       change vanish: Phi(u*) = sum_{interfaces} (u* - v_{j+1/2}) f_upwind = 0
 *                       (Phi is continuous and strictly increasing: unique root, found by
 *                       safeguarded Newton).  Momentum kept to round-off AND consistent at
 *                       the stagnation velocity (the exact map is not: O(1) pointwise error
 *                       at v = u, see docs/cucker_smale.md); first order, f >= 0 under the
 *                       sub-cycling CFL.
 *
 * State y: cell averages, index ((ix*nv[0] + i0)*nv[1] + i1)*nv[2] + i2 (kl_grid_view).
 *
 * Threads (OpenMP, `--threads`): transport splits the velocity rows into blocks, the
 * alignment the x-columns; every entry is computed by one thread with the same
 * arithmetic as in a serial sweep, and no sum crosses a block, so the results are the
 * same bytes for any thread count (tests/test_cs_kinetic: 1, 2, 3 threads).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <unistd.h>

#include <kinlab/kinlab.h>

#include "../common/simd_math.h" /* kl_max_finite: fmax stayed a libm call in the simd loops */
#include "cs_gauss.h"
#include "cs_invariants.h"

/* Fewest velocity cells per direction: a cell's update by the limited
 * reconstructions (remap/muscl slopes from i-1..i+1, fluxes at both faces)
 * reads cells i-2..i+2, so on fewer than 5 cells no cell has its stencil
 * inside the grid and every update is made of boundary rules. */
#define CS_MIN_VELOCITY_CELLS 5

enum { BC_PERIODIC, BC_INFLOW_ZERO };
enum { TR_UPWIND, TR_MUSCL, TR_SL };
enum { LIM_MINMOD, LIM_MC };
enum { AL_EXACT, AL_UPWIND, AL_UPWIND_INTERFACE, AL_UPWIND_BALANCED, AL_REMAP };

typedef struct cs_kinetic {
  unsigned d, dim_x;
  double gamma;
  size_t nx, nv[3], nvt, n; /* nvt: velocity cells per x-cell; n = nx * nvt */
  double x_lo, dx, v_lo[3], dv[3];
  int bc, transport, limiter, alignment;
  kl_split_scheme split;
  double flush_rel, flush_abs; /* values with |f| < flush_abs are set to 0 in transport */
  unsigned quad;
  double vmax1; /* max |v_1| over cell centres */
  double *vc[3];     /* cell centres per direction */
  double *v1J;       /* v_1 of every flattened velocity cell */
  double *nuJ, *cJ;  /* per-call transport coefficients */
  double *pad;       /* (nx + 4) * nvt scratch: old columns with ghosts */
  double *s0, *s1, *F0, *F1; /* slope and flux rows (nvt) */
  size_t nvmax;      /* max nv over the directions (per-thread alignment scratch) */
  unsigned char *colnz; /* per x-cell: any nonzero value */
  size_t J0, nJ;        /* flattened velocity cells J0 .. J0+nJ-1 hold every nonzero value */
  double t_lo, t_hi;    /* time interval of the last part step (activity bookkeeping) */
  double refused_cfl;   /* sub-step count an upwind alignment step asked for, when refused */
  kl_instance *initial;
  const char *names[8]; /* invariant columns (string literals) */
  size_t n_names;
} cs_kinetic;

static const kl_param_spec params[] = {
    {"d", KL_PARAM_INT, "1", 1, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "velocity dimension"},
    {"dim_x", KL_PARAM_INT, "1", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "space dimension: 0 spatially homogeneous, 1 one space direction (along v_1)"},
    {"gamma", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN, NULL, "1/(mass time)",
     "coupling gamma = kappa int psi"},
    {"x_lo", KL_PARAM_REAL, "0", 0, 0, 0, NULL, "length", "left end of the x-domain"},
    {"x_hi", KL_PARAM_REAL, "20", 0, 0, 0, NULL, "length", "right end of the x-domain"},
    {"nx", KL_PARAM_INT, NULL, 1, 0, KL_PARAM_HAS_MIN | KL_PARAM_OPTIONAL | KL_PARAM_COUNT, NULL, "1",
     "cells in x (default from dx)"},
    {"dx", KL_PARAM_REAL, "0.05", 0, 0,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_STEP_SIZE, NULL,
     "length", "cell size in x, used when nx is absent ((x_hi-x_lo)/dx rounded)"},
    {"v_lo", KL_PARAM_REAL_LIST, "[-3]", 0, 0, 0, NULL, "velocity",
     "lower velocity bound per direction (one value: all directions)"},
    {"v_hi", KL_PARAM_REAL_LIST, "[3]", 0, 0, 0, NULL, "velocity",
     "upper velocity bound per direction (one value: all directions)"},
    {"nv", KL_PARAM_REAL_LIST, NULL, 1, 0, KL_PARAM_HAS_MIN | KL_PARAM_OPTIONAL | KL_PARAM_COUNT, NULL, "1",
     "velocity cells per direction (integers; default from dv)"},
    {"dv", KL_PARAM_REAL_LIST, "[0.01]", 0, 0,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_STEP_SIZE, NULL,
     "velocity", "velocity cell size per direction, used when nv is absent"},
    {"boundary", KL_PARAM_ENUM, "inflow_zero", 0, 0, 0, "periodic|inflow_zero", NULL,
     "x boundary: periodic, or zero inflow (mass leaving the domain is lost)"},
    {"splitting", KL_PARAM_ENUM, "strang", 0, 0, 0, "lie|strang", NULL,
     "composition of transport (part 0) and alignment (part 1)"},
    {"transport", KL_PARAM_ENUM, "muscl", 0, 0, 0, "upwind|muscl|sl", NULL,
     "x-transport: first-order upwind, limited MUSCL (CFL |v|dt/dx <= 1), or conservative "
     "semi-Lagrangian (any dt)"},
    {"limiter", KL_PARAM_ENUM, "mc", 0, 0, 0, "minmod|mc", NULL,
     "slope limiter of the muscl/sl transport and of the remap alignment"},
    {"alignment", KL_PARAM_ENUM, "remap", 0, 0, 0,
     "exact|upwind|upwind_interface|upwind_balanced|remap", NULL,
     "alignment step: exact flow map with linear mass splitting, momentum-exact upwind, "
     "interface-speed upwind (not momentum conserving), interface-speed upwind with a "
     "momentum-balancing u* (conservative and consistent at v = u), or the exact flow map "
     "with a conservative limited piecewise-linear remap (second order, any dt)"},
    {"quadrature", KL_PARAM_INT, "3", 1, 4, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "Gauss-Legendre points per direction for the initial cell averages"},
    {"flush", KL_PARAM_REAL, "1e-30", 0, 1e-10, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "transport sets |f| < flush * max f0 to 0 (stops underflowing tails; 0: never)"},
    KL_PARAM_END};

static void destroy(void *state) {
  cs_kinetic *s = state;
  if (!s) return;
  for (int k = 0; k < 3; k++) free(s->vc[k]);
  free(s->v1J), free(s->nuJ), free(s->cJ), free(s->pad), free(s->s0), free(s->s1);
  free(s->F0), free(s->F1), free(s->colnz);
  free(s);
}

static int enum_index(const char *v, const char *const *names, int n) {
  for (int i = 0; i < n; i++)
    if (!strcmp(v, names[i])) return i;
  return 0;
}

static int read_dir_list(const kl_params *p, const char *key, unsigned d, double *out,
                         kl_error *err) {
  const double *vals;
  size_t n = kl_params_real_list(p, key, &vals);
  if (n != 1 && n != d)
    return kl_params_error(err, KL_EINVAL, p, key,
                           "expected one value or d = %u values, found %zu", d, n);
  for (unsigned k = 0; k < d; k++) out[k] = vals[n == 1 ? 0 : k];
  return KL_OK;
}

/* A grid whose arrays alone exceed the machine's memory is refused before
 * anything is allocated or filled: malloc of it may succeed (overcommit) and
 * filling it would page for minutes (nv: [1e9] made `kinlab validate` hang).
 * Counted: the state (nx x nvt, the framework's), the 8 velocity rows of
 * scratch and, with transport, the padded copy ((nx + 4) x nvt). */
static int check_grid_fits(const cs_kinetic *s, const kl_params *p, kl_error *err) {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return KL_OK;
  double nvt = (double)s->nv[0] * (double)s->nv[1] * (double)s->nv[2], nx = (double)s->nx;
  double need = (nx + 8 + (s->dim_x ? nx + 4 : 0)) * nvt * sizeof(double);
  double memory = (double)pages * (double)page;
  if (need <= memory) return KL_OK;
  const double GiB = 1024.0 * 1024 * 1024;
  bool by_nv = kl_params_is_set(p, "nv");
  return kl_params_error(err, KL_EINVAL, p, by_nv ? "nv" : "dv",
                         "a grid of %zu x %zu x %zu velocity cells%s would need %.3g GiB, more "
                         "than this machine's memory (%.3g GiB): use fewer cells (%s)",
                         s->nv[0], s->nv[1], s->nv[2], s->dim_x ? " per x-cell" : "", need / GiB,
                         memory / GiB, by_nv ? "smaller nv" : "larger dv");
}

static int create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  cs_kinetic *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  int rc = KL_OK;
  s->d = (unsigned)kl_params_int(p, "d");
  s->dim_x = (unsigned)kl_params_int(p, "dim_x");
  s->gamma = kl_params_real(p, "gamma");
  s->initial = setup->initial;
  static const char *const bcs[] = {"periodic", "inflow_zero"};
  static const char *const trs[] = {"upwind", "muscl", "sl"};
  static const char *const lims[] = {"minmod", "mc"};
  static const char *const als[] = {"exact", "upwind", "upwind_interface", "upwind_balanced",
                                    "remap"};
  s->bc = enum_index(kl_params_string(p, "boundary"), bcs, 2);
  s->transport = enum_index(kl_params_string(p, "transport"), trs, 3);
  s->limiter = enum_index(kl_params_string(p, "limiter"), lims, 2);
  s->alignment = enum_index(kl_params_string(p, "alignment"), als, 5);
  s->split = strcmp(kl_params_string(p, "splitting"), "lie") ? KL_SPLIT_STRANG : KL_SPLIT_LIE;
  s->quad = (unsigned)kl_params_int(p, "quadrature");
  s->flush_rel = kl_params_real(p, "flush");
  if (s->dim_x == 1) {
    s->x_lo = kl_params_real(p, "x_lo");
    double xh = kl_params_real(p, "x_hi");
    if (!(xh > s->x_lo) || !isfinite(xh - s->x_lo)) { /* a width of inf would blame dx */
      rc = kl_params_error(err, KL_EINVAL, p, "x_hi",
                           "expected x_hi > x_lo = %g with a finite width, found %g", s->x_lo, xh);
      goto fail;
    }
    if (kl_params_is_set(p, "nx")) s->nx = (size_t)kl_params_int(p, "nx");
    else {
      double r = (xh - s->x_lo) / kl_params_real(p, "dx");
      s->nx = (size_t)(r + 0.5);
      if (s->nx < 1 || fabs(r - (double)s->nx) > 1e-6 * r) {
        rc = kl_params_error(err, KL_EINVAL, p, "dx",
                             "expected dx dividing x_hi - x_lo = %g, found dx = %g (ratio %g)",
                             xh - s->x_lo, kl_params_real(p, "dx"), r);
        goto fail;
      }
    }
    s->dx = (xh - s->x_lo) / (double)s->nx;
  } else {
    s->nx = 1, s->x_lo = 0, s->dx = 1;
  }
  double vl[3], vh[3], dvl[3];
  if ((rc = read_dir_list(p, "v_lo", s->d, vl, err)) || (rc = read_dir_list(p, "v_hi", s->d, vh, err)))
    goto fail;
  for (unsigned k = 0; k < s->d; k++)
    if (!(vh[k] > vl[k]) || !isfinite(vh[k] - vl[k])) { /* before dv/nv use the width */
      rc = kl_params_error(err, KL_EINVAL, p, "v_hi",
                           "expected v_hi > v_lo with a finite width in direction %u, found "
                           "[%g, %g]",
                           k + 1, vl[k], vh[k]);
      goto fail;
    }
  if (kl_params_is_set(p, "nv")) {
    if ((rc = read_dir_list(p, "nv", s->d, dvl, err))) goto fail;
    for (unsigned k = 0; k < s->d; k++) {
      if (dvl[k] != floor(dvl[k])) {
        rc = kl_params_error(err, KL_EINVAL, p, "nv", "expected integers, found %g", dvl[k]);
        goto fail;
      }
      if (dvl[k] < CS_MIN_VELOCITY_CELLS) { /* checked here, so the error names nv and not v_hi */
        rc = kl_params_error(err, KL_EINVAL, p, "nv",
                             "expected at least %d cells in direction %u (a cell's update reads "
                             "two neighbours on each side), found %g",
                             CS_MIN_VELOCITY_CELLS, k + 1, dvl[k]);
        goto fail;
      }
      if (!(dvl[k] <= 0x1p53)) { /* beyond any memory; (size_t) of it would be undefined */
        rc = kl_params_error(err, KL_EINVAL, p, "nv", "expected at most 2^53 cells in direction "
                             "%u, found %g", k + 1, dvl[k]);
        goto fail;
      }
      s->nv[k] = (size_t)dvl[k];
    }
  } else {
    if ((rc = read_dir_list(p, "dv", s->d, dvl, err))) goto fail;
    for (unsigned k = 0; k < s->d; k++) {
      double r = (vh[k] - vl[k]) / dvl[k];
      s->nv[k] = r <= 0x1p53 ? (size_t)(r + 0.5) : 0;
      if (s->nv[k] < CS_MIN_VELOCITY_CELLS || fabs(r - (double)s->nv[k]) > 1e-6 * r) {
        rc = kl_params_error(err, KL_EINVAL, p, "dv",
                             "expected dv dividing v_hi - v_lo = %g into >= %d cells (and at "
                             "most 2^53), found %g",
                             vh[k] - vl[k], CS_MIN_VELOCITY_CELLS, dvl[k]);
        goto fail;
      }
    }
  }
  for (unsigned k = 0; k < s->d; k++) {
    if (!(vh[k] > vl[k]) || s->nv[k] < CS_MIN_VELOCITY_CELLS) {
      rc = kl_params_error(err, KL_EINVAL, p, "v_hi",
                           "expected v_hi > v_lo and at least %d cells in direction %u",
                           CS_MIN_VELOCITY_CELLS, k + 1);
      goto fail;
    }
    s->v_lo[k] = vl[k];
    s->dv[k] = (vh[k] - vl[k]) / (double)s->nv[k];
  }
  for (unsigned k = s->d; k < 3; k++) s->nv[k] = 1, s->v_lo[k] = 0, s->dv[k] = 1;
  if ((rc = check_grid_fits(s, p, err))) goto fail;
  s->nvt = s->nv[0] * s->nv[1] * s->nv[2];
  s->n = s->nx * s->nvt;
  size_t nvmax = s->nv[0] > s->nv[1] ? s->nv[0] : s->nv[1];
  if (s->nv[2] > nvmax) nvmax = s->nv[2];
  for (unsigned k = 0; k < 3; k++) {
    s->vc[k] = malloc(s->nv[k] * sizeof(double));
    if (!s->vc[k]) goto nomem;
    for (size_t j = 0; j < s->nv[k]; j++) s->vc[k][j] = s->v_lo[k] + ((double)j + 0.5) * s->dv[k];
  }
  if (s->d < 3) s->vc[2][0] = 0;
  if (s->d < 2) s->vc[1][0] = 0;
  s->v1J = malloc(s->nvt * sizeof(double));
  s->nuJ = malloc(s->nvt * sizeof(double));
  s->cJ = malloc(s->nvt * sizeof(double));
  s->s0 = malloc(s->nvt * sizeof(double));
  s->s1 = malloc(s->nvt * sizeof(double));
  s->F0 = malloc(s->nvt * sizeof(double));
  s->F1 = malloc(s->nvt * sizeof(double));
  s->nvmax = nvmax;
  s->colnz = malloc(s->nx);
  s->pad = s->dim_x ? malloc((s->nx + 4) * s->nvt * sizeof(double)) : NULL;
  if (!s->v1J || !s->nuJ || !s->cJ || !s->s0 || !s->s1 || !s->F0 || !s->F1 || !s->colnz ||
      (s->dim_x && !s->pad))
    goto nomem;
  s->vmax1 = 0;
  for (size_t J = 0; J < s->nvt; J++) {
    s->v1J[J] = s->vc[0][J / (s->nv[1] * s->nv[2])];
    if (fabs(s->v1J[J]) > s->vmax1) s->vmax1 = fabs(s->v1J[J]);
  }
  memset(s->colnz, 1, s->nx);
  /* Names of the invariants. */
  size_t q = cs_conserved_names(s->names, s->d);
  s->names[q++] = "entropy";
  s->names[q++] = "f_min";
  s->names[q++] = "f_max";
  s->n_names = q;
  if (setup->dim_x != s->dim_x || setup->dim_v != s->d) {
    rc = kl_error_set(err, KL_EINVAL, "cs_kinetic: setup dimensions (%u, %u) differ from d, dim_x",
                      setup->dim_v, setup->dim_x);
    goto fail;
  }
  *state = s;
  return KL_OK;
nomem:
  rc = kl_params_error(err, KL_ENOMEM, p, kl_params_is_set(p, "nv") ? "nv" : "dv",
                       "out of memory: a %zu x %zu x %zu x %zu grid (nx x nv) needs %zu bytes or "
                       "more; use fewer cells (nx, nv, or larger dx, dv) or raise the memory limit",
                       s->nx, s->nv[0], s->nv[1], s->nv[2],
                       (s->dim_x ? s->nx + 12 : 8) * s->nvt * sizeof(double));
fail:
  destroy(s);
  return rc;
}

static size_t size(void *state) { return ((cs_kinetic *)state)->n; }


static double fmax_abs(const double *f, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fabs(f[i]) > m ? fabs(f[i]) : m;
  return m;
}

/* Recompute the activity bookkeeping (nonzero columns, velocity range) from y.
 * Transport never creates a nonzero velocity row and the alignment keeps mass
 * inside the hull of each column's support, so the range only has to be found
 * when y was set from outside (initial data, a checkpoint). */
static void rescan(cs_kinetic *s, const double *y) {
  size_t lo = s->nvt, hi = 0;
  for (size_t ix = 0; ix < s->nx; ix++) {
    const double *g = y + ix * s->nvt;
    size_t a = 0, b = s->nvt;
    while (a < s->nvt && g[a] == 0) a++;
    while (b > a && g[b - 1] == 0) b--;
    s->colnz[ix] = a < b;
    if (a < b) {
      lo = a < lo ? a : lo;
      hi = b - 1 > hi ? b - 1 : hi;
    }
  }
  if (lo > hi) lo = 0, hi = 0;
  s->J0 = lo, s->nJ = hi - lo + 1;
}

static void track_time(cs_kinetic *s, const double *y, double t, double dt) {
  double tol = 1e-9 * (fabs(t) + fabs(dt) + 1e-300);
  if (t < s->t_lo - tol || t > s->t_hi + tol) rescan(s, y);
  s->t_lo = t, s->t_hi = t + dt;
}

static int initial(void *state, double *t0, double *y, kl_error *err) {
  (void)t0;
  cs_kinetic *s = state;
  if (!s->initial) return kl_error_set(err, KL_EINVAL, "cs_kinetic: no initial data");
  double gx[4], gw[4];
  unsigned q = s->quad;
  gauss_rule(q, gx, gw);
  unsigned nd = s->d + s->dim_x; /* quadrature dimensions */
  size_t npts = 1;
  for (unsigned k = 0; k < nd; k++) npts *= q;
  for (size_t ix = 0; ix < s->nx; ix++)
    for (size_t J = 0; J < s->nvt; J++) {
      size_t jj[3] = {J / (s->nv[1] * s->nv[2]), (J / s->nv[2]) % s->nv[1], J % s->nv[2]};
      double sum = 0;
      for (size_t pt = 0; pt < npts; pt++) {
        size_t r = pt;
        double x[1], v[3], w = 1;
        if (s->dim_x) {
          x[0] = s->x_lo + ((double)ix + 0.5 + gx[r % q]) * s->dx;
          w *= gw[r % q];
          r /= q;
        }
        for (unsigned k = 0; k < s->d; k++) {
          v[k] = s->vc[k][jj[k]] + gx[r % q] * s->dv[k];
          w *= gw[r % q];
          r /= q;
        }
        sum += w * kl_initial_density(s->initial, s->dim_x ? x : NULL, v);
      }
      if (!(sum >= 0) || !isfinite(sum))
        return kl_error_set(err, KL_EINVAL,
                            "cs_kinetic: initial density is negative or not finite (%g) in "
                            "cell x %zu, v %zu",
                            sum, ix, J);
      y[ix * s->nvt + J] = sum;
    }
  const double f_max = fmax_abs(y, s->n);
  s->flush_abs = s->flush_rel * f_max;
  /* Initial data outside the grid gave f = 0 in every cell: a run of nothing
   * that "completed", with NaN relative errors. */
  if (f_max == 0)
    return kl_error_set(err, KL_EINVAL,
                        "cs_kinetic: the initial data are 0 in every cell of the grid (v in "
                        "[%g, %g]%s): the grid does not cover them; widen v_lo/v_hi%s",
                        s->v_lo[0], s->v_lo[0] + (double)s->nv[0] * s->dv[0],
                        s->d > 1 ? " in direction 1, ..." : "", s->dim_x ? " or x_lo/x_hi" : "");
  rescan(s, y);
  s->t_lo = s->t_hi = *t0;
  return KL_OK;
}

/* ------------------------------------------------------------ transport */
static inline double limit(int lim, double a, double b) {
  if (!(a * b > 0)) return 0;
  double aa = fabs(a), bb = fabs(b), m;
  if (lim == LIM_MINMOD) m = aa < bb ? aa : bb;
  else {
    m = 0.5 * (aa + bb);
    double t = 2 * (aa < bb ? aa : bb);
    m = t < m ? t : m;
  }
  return copysign(m, a);
}

/* slope row of column c of the padded array (pad col index pc), entries Ja .. Jb-1 */
static void slope_row(const cs_kinetic *s, const double *pad, size_t pc, double *out, size_t Ja,
                      size_t Jb) {
  const size_t st = s->nJ;
  const double *a = pad + (pc - 1) * st, *b = pad + pc * st, *c = pad + (pc + 1) * st;
  if (s->transport == TR_UPWIND) {
    memset(out + Ja, 0, (Jb - Ja) * sizeof *out);
    return;
  }
  if (s->limiter == LIM_MINMOD) {
#pragma omp simd
    for (size_t J = Ja; J < Jb; J++) {
      double l = b[J] - a[J], r = c[J] - b[J];
      double m = kl_min_finite(fabs(l), fabs(r));
      out[J] = l * r > 0 ? copysign(m, l) : 0.0;
    }
  } else {
#pragma omp simd
    for (size_t J = Ja; J < Jb; J++) {
      double l = b[J] - a[J], r = c[J] - b[J];
      double m = kl_min_finite(2 * kl_min_finite(fabs(l), fabs(r)), 0.5 * fabs(l + r));
      out[J] = l * r > 0 ? copysign(m, l) : 0.0;
    }
  }
}

/* flux row at the interface between pad columns pc and pc+1, given their slopes,
 * entries Ja .. Jb-1 */
static void flux_row(const cs_kinetic *s, const double *pad, size_t pc, const double *sl,
                     const double *sr, double *F, size_t Ja, size_t Jb) {
  const size_t n = s->nJ;
  const double *a = pad + pc * n, *b = pad + (pc + 1) * n, *nu = s->nuJ + s->J0,
               *c = s->cJ + s->J0;
#pragma omp simd
  for (size_t J = Ja; J < Jb; J++) {
    double np = kl_max_finite(nu[J], 0.0), nm = kl_min_finite(nu[J], 0.0);
    F[J] = np * (a[J] + c[J] * sl[J]) + nm * (b[J] - c[J] * sr[J]);
  }
}

static size_t wrap(const cs_kinetic *s, long c) {
  long nx = (long)s->nx;
  return (size_t)(((c % nx) + nx) % nx);
}

static int transport_muscl(cs_kinetic *s, double dt, double *y) {
  const size_t N = s->nvt, nx = s->nx, n = s->nJ, J0 = s->J0;
  for (size_t J = 0; J < N; J++) {
    s->nuJ[J] = s->v1J[J] * dt / s->dx;
    s->cJ[J] = 0.5 * (1 - fabs(s->nuJ[J]));
  }
  /* Active columns: the nonzero ones widened by 2 (the stencil reach). */
  long lo = -1, hi = -1;
  for (size_t i = 0; i < nx; i++)
    if (s->colnz[i]) {
      if (lo < 0) lo = (long)i;
      hi = (long)i;
    }
  if (lo < 0) return KL_OK; /* f == 0 */
  lo -= 2, hi += 2;
  if (s->bc == BC_PERIODIC) {
    if (lo < 0 || hi > (long)nx - 1) lo = 0, hi = (long)nx - 1;
  } else {
    if (lo < 0) lo = 0;
    if (hi > (long)nx - 1) hi = (long)nx - 1;
  }
  /* pad column pc holds old column lo - 2 + pc, for pc = 0 .. (hi-lo) + 4 */
  const long m = hi - lo + 1;
  memset(s->colnz + lo, 0, (size_t)m);
  /* Every velocity row J is an independent 1-D problem: each thread sweeps all columns
   * for its own block of rows (copy to pad, slopes, fluxes, update), with the same
   * arithmetic per entry for any block split, so the result does not depend on the
   * thread count.  Blocks are multiples of 8 rows (whole simd vectors). */
#pragma omp parallel
  {
    size_t Ja = 0, Jb = n;
#ifdef _OPENMP
    size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
    size_t blk = ((n + nt - 1) / nt + 7) / 8 * 8;
    Ja = t * blk < n ? t * blk : n;
    Jb = Ja + blk < n ? Ja + blk : n;
#endif
    const size_t w = Jb - Ja;
    for (long pc = 0; pc < m + 4 && w; pc++) {
      long c = lo - 2 + pc;
      double *dst = s->pad + (size_t)pc * n + Ja;
      if (c >= 0 && c < (long)nx) memcpy(dst, y + (size_t)c * N + J0 + Ja, w * sizeof *dst);
      else if (s->bc == BC_PERIODIC) memcpy(dst, y + wrap(s, c) * N + J0 + Ja, w * sizeof *dst);
      else memset(dst, 0, w * sizeof *dst);
    }
    double *sa = s->s0, *sb = s->s1, *Fl = s->F0, *Fr = s->F1;
    const double tiny = s->flush_abs;
    if (w) {
      slope_row(s, s->pad, 1, sa, Ja, Jb);          /* slope of pad col 1 (column lo-1) */
      slope_row(s, s->pad, 2, sb, Ja, Jb);          /* column lo */
      flux_row(s, s->pad, 1, sa, sb, Fl, Ja, Jb); /* interface lo - 1/2 */
    }
    for (long k = 0; k < m && w; k++) {
      size_t pc = (size_t)k + 2; /* pad column of column lo + k */
      double *t = sa;
      sa = sb, sb = t;
      slope_row(s, s->pad, pc + 1, sb, Ja, Jb);
      flux_row(s, s->pad, pc, sa, sb, Fr, Ja, Jb); /* interface (lo+k) + 1/2 */
      double *out = y + (size_t)(lo + k) * N + J0;
      const double *old = s->pad + pc * n;
      double mx = 0;
#pragma omp simd reduction(max : mx)
      for (size_t J = Ja; J < Jb; J++) {
        double v = old[J] - (Fr[J] - Fl[J]);
        v = fabs(v) < tiny ? 0.0 : v;
        out[J] = v;
        mx = kl_max_finite(mx, fabs(v));
      }
      if (mx > 0) {
#pragma omp atomic write
        s->colnz[lo + k] = 1;
      }
      t = Fl, Fl = Fr, Fr = t;
    }
  }
  return KL_OK;
}

/* Conservative semi-Lagrangian: row by row, shift by the integer part of nu
 * (exact), then the limited MUSCL flux for the fractional part. */
static int transport_sl(cs_kinetic *s, double dt, double *y) {
  const size_t n = s->nvt, nx = s->nx;
  bool nomem = false;
  /* rows J are independent: each by one thread, with its own line scratch */
#pragma omp parallel
  {
    double *L = malloc((2 * nx + 4) * sizeof *L); /* nx + 4 with two ghosts each side */
    double *G = L ? L + nx + 4 : NULL;             /* new row */
    if (!L) {
#pragma omp atomic write
      nomem = true;
    }
#pragma omp for schedule(dynamic, 8)
    for (long Jl = 0; Jl < (long)n; Jl++) {
      const size_t J = (size_t)Jl;
      if (!L) continue;
      double nu = s->v1J[J] * dt / s->dx;
      long k = (long)trunc(nu);
      double fr = nu - (double)k, c = 0.5 * (1 - fabs(fr));
      /* L[i + 2] = f at column i - k (the integer shift), ghosts by the boundary rule */
      bool any = false;
      for (long i = -2; i < (long)nx + 2; i++) {
        long src = i - k;
        double v;
        if (src >= 0 && src < (long)nx) v = y[(size_t)src * n + J];
        else if (s->bc == BC_PERIODIC) v = y[wrap(s, src) * n + J];
        else v = 0;
        L[i + 2] = v;
        any |= v != 0;
      }
      if (!any) continue;
      for (long i = 0; i < (long)nx; i++) {
        /* fluxes at i-1/2 and i+1/2 of the shifted row */
        double Fm, Fp;
        long p = i + 2;
        if (fr >= 0) {
          double sm = s->transport == TR_UPWIND ? 0 : limit(s->limiter, L[p - 1] - L[p - 2], L[p] - L[p - 1]);
          double sp = s->transport == TR_UPWIND ? 0 : limit(s->limiter, L[p] - L[p - 1], L[p + 1] - L[p]);
          Fm = fr * (L[p - 1] + c * sm);
          Fp = fr * (L[p] + c * sp);
        } else {
          double sm = s->transport == TR_UPWIND ? 0 : limit(s->limiter, L[p] - L[p - 1], L[p + 1] - L[p]);
          double sp = s->transport == TR_UPWIND ? 0 : limit(s->limiter, L[p + 1] - L[p], L[p + 2] - L[p + 1]);
          Fm = fr * (L[p] - c * sm);
          Fp = fr * (L[p + 1] - c * sp);
        }
        double v = L[p] - (Fp - Fm);
        G[i] = fabs(v) < s->flush_abs ? 0.0 : v;
      }
      for (size_t i = 0; i < nx; i++) y[i * n + J] = G[i];
    }
    free(L);
#pragma omp for
    for (long i = 0; i < (long)nx; i++) s->colnz[i] = fmax_abs(y + (size_t)i * n, n) > 0;
  }
  return nomem ? KL_ENOMEM : KL_OK;
}

/* ------------------------------------------------------------ alignment */
/* Scratch of one thread of the alignment.  The x-columns are aligned independently, each
 * one by one thread with the same arithmetic, so the result does not depend on the
 * thread count or the schedule. */
typedef struct align_scratch {
  double *tmp;        /* nvt: the new column */
  double *wk;         /* max nv: per-direction weights (remap: the marginal after) */
  double *rl;         /* 3 max nv: remap line, image, slopes */
  double refused_cfl; /* sub-step count a refused upwind step asked for */
} align_scratch;

/* Apply, along velocity direction k of one x-column g (nvt values), the linear
 * mass-splitting map with signed fractions w[j] (w > 0: mass moves to j-1).
 * |w| <= 1 everywhere: a three-point stencil; otherwise a general scatter. */
static void split_dir(const cs_kinetic *s, unsigned k, double *g, const double *w, bool small,
                      double *tmp, const double *shift) {
  size_t nk = s->nv[k];
  size_t inner = 1, outer = 1;
  for (unsigned q = k + 1; q < 3; q++) inner *= s->nv[q];
  for (unsigned q = 0; q < k; q++) outer *= s->nv[q];
  memset(tmp, 0, s->nvt * sizeof *tmp);
  for (size_t o = 0; o < outer; o++) {
    double *G = g + o * nk * inner, *T = tmp + o * nk * inner;
    if (small && inner == 1) {
      T[0] = G[0] * (1 - fabs(w[0])) + kl_max_finite(w[1], 0.0) * G[1];
      const size_t last = nk - 1;
#pragma omp simd
      for (size_t j = 1; j < last; j++)
        T[j] = G[j] * (1 - fabs(w[j])) + kl_max_finite(w[j + 1], 0.0) * G[j + 1] +
               kl_max_finite(-w[j - 1], 0.0) * G[j - 1];
      T[nk - 1] = G[nk - 1] * (1 - fabs(w[nk - 1])) + kl_max_finite(-w[nk - 2], 0.0) * G[nk - 2];
    } else if (small) {
      for (size_t j = 0; j < nk; j++) {
        double a = 1 - fabs(w[j]), bp = j + 1 < nk ? kl_max_finite(w[j + 1], 0.0) : 0,
               bm = j > 0 ? kl_max_finite(-w[j - 1], 0.0) : 0;
        const double *c = G + j * inner, *cp = j + 1 < nk ? c + inner : c,
                     *cm = j > 0 ? c - inner : c;
        double *t = T + j * inner;
#pragma omp simd
        for (size_t i = 0; i < inner; i++) t[i] = a * c[i] + bp * cp[i] + bm * cm[i];
      }
    } else {
      /* general: cell j goes to position j - shift[j] (in cells), split linearly */
      for (size_t j = 0; j < nk; j++) {
        double pos = (double)j - shift[j];
        if (pos < 0) pos = 0;
        if (pos > (double)(nk - 1)) pos = (double)(nk - 1);
        size_t kk = (size_t)floor(pos);
        if (kk >= nk - 1) kk = nk - 2;
        double b = pos - (double)kk, a = 1 - b;
        const double *c = G + j * inner;
        double *t0 = T + kk * inner, *t1 = t0 + inner;
        for (size_t i = 0; i < inner; i++) t0[i] += a * c[i], t1[i] += b * c[i];
      }
    }
  }
  memcpy(g, tmp, s->nvt * sizeof *g);
}

/* Linear mass splitting on one contiguous line of n cells, fractions w (w > 0:
 * towards lower index); |w| <= 1 everywhere: three-point stencil. */
static void line_split(double *G, size_t n, const double *w, double *T) {
  double maxw = 0;
  for (size_t j = 0; j < n; j++) maxw = kl_max_finite(maxw, fabs(w[j]));
  if (n == 1) return;
  if (maxw <= 1) {
    const size_t last = n - 1;
    T[0] = G[0] * (1 - fabs(w[0])) + kl_max_finite(w[1], 0.0) * G[1];
#pragma omp simd
    for (size_t j = 1; j < last; j++)
      T[j] = G[j] * (1 - fabs(w[j])) + kl_max_finite(w[j + 1], 0.0) * G[j + 1] +
             kl_max_finite(-w[j - 1], 0.0) * G[j - 1];
    T[last] = G[last] * (1 - fabs(w[last])) + kl_max_finite(-w[last - 1], 0.0) * G[last - 1];
  } else {
    memset(T, 0, n * sizeof *T);
    for (size_t j = 0; j < n; j++) {
      double pos = (double)j - w[j];
      pos = pos < 0 ? 0 : pos > (double)(n - 1) ? (double)(n - 1) : pos;
      size_t k = (size_t)floor(pos);
      if (k >= n - 1) k = n - 2;
      double b = pos - (double)k;
      T[k] += (1 - b) * G[j];
      T[k + 1] += b * G[j];
    }
  }
  memcpy(G, T, n * sizeof *G);
}

/* upwind_balanced: the root of Phi(u) = sum over the interfaces j+1/2 of the lines of
 * direction k of (u - v_{j+1/2}) f_up, f_up = f_L if v_{j+1/2} < u else f_R.  Phi is
 * continuous (the switch happens where its factor vanishes) and increasing with slope
 * S = sum f_up > 0, so the root is unique; Newton (u = sum v f_up / S, exact on each linear
 * piece) with a bisection safeguard.  Layout: g[(o*nk + j)*inner + i]. */
static double balanced_u(const double *g, size_t outer, size_t nk, size_t inner,
                         const double *vc, double dv, double u0) {
  double lo = vc[0] - dv, hi = vc[nk - 1] + dv, u = u0;
  for (int it = 0; it < 200; it++) {
    double S = 0, Q = 0;
    for (size_t o = 0; o < outer; o++)
      for (size_t j = 0; j + 1 < nk; j++) {
        double vi = vc[j] + 0.5 * dv;
        const double *c = g + (o * nk + j + (vi < u ? 0 : 1)) * inner;
        double sf = 0;
        for (size_t i = 0; i < inner; i++) sf += c[i];
        S += sf, Q += vi * sf;
      }
    if (!(S > 0)) return u0;
    double phi = u * S - Q;
    if (phi > 0) hi = u;
    else if (phi < 0) lo = u;
    double un = Q / S; /* root of this linear piece */
    if (un == u || phi == 0) return u;
    if (!(un > lo && un < hi)) un = 0.5 * (lo + hi);
    if (hi - lo <= 1e-14 * (fabs(lo) + fabs(hi) + dv)) return un;
    u = un;
  }
  return u;
}

/* remap: conservative remap of cell averages under the exact flow map of the alignment
 * part, the dilation v -> c + lambda (v - c), lambda = e^{-gamma rho dt}, about the mean
 * velocity c.  In cell-index coordinates (cell i = [i, i+1]) target cell j receives the
 * integral of the reconstruction over the preimage [P(j), P(j+1)], P(e) = xc + (e - xc) /
 * lambda; the Jacobian e^{gamma rho dt} comes out of the integral.  The reconstruction is
 * piecewise linear with limited slopes (minmod or MC, zero outside the line): its edge
 * values lie between the neighbours, so it is >= 0 and every piece len * r(mid) is >= 0.
 * The preimages tile [P(0), P(n)], which contains [0, n] because xc is inside and
 * 1/lambda >= 1: mass is kept to round-off, the support cannot grow, any dt.  Exact for
 * linear f and exact in time, hence second order in dv where the limiter is inactive.
 * Slopes scratch sl (n). */
static void remap_line(const double *g, double *h, double *sl, size_t n, double xc,
                       double stretch, int lim) {
  sl[0] = limit(lim, g[0], n > 1 ? g[1] - g[0] : -g[0]);
  for (size_t i = 1; i + 1 < n; i++) sl[i] = limit(lim, g[i] - g[i - 1], g[i + 1] - g[i]);
  if (n > 1) sl[n - 1] = limit(lim, g[n - 1] - g[n - 2], -g[n - 1]);
  const double nd = (double)n;
  double a = xc - stretch * xc; /* P(0); P(j+1) of cell j is reused as P(j) of j+1 */
  for (size_t j = 0; j < n; j++) {
    double b = xc + stretch * ((double)(j + 1) - xc);
    double lo = a > 0 ? a : 0, hi = b < nd ? b : nd, sum = 0;
    a = b;
    if (!(hi > lo)) {
      h[j] = 0;
      continue;
    }
    size_t i0 = (size_t)lo, i1 = (size_t)ceil(hi);
    if (i1 > n) i1 = n;
    for (size_t i = i0; i < i1; i++) {
      /* the piece [pl, ph] in the cell's own coordinate (0..1): x - i is exact here
       * (Sterbenz), so the offsets carry no O(i eps) error into the mass */
      double di = (double)i, pl = lo > di ? lo - di : 0, ph = hi < di + 1 ? hi - di : 1;
      if (!(ph > pl)) continue;
      double r = g[i] + sl[i] * (0.5 * (pl + ph) - 0.5);
      sum += (ph - pl) * kl_max_finite(r, 0.0);
    }
    h[j] = sum;
  }
}

/* The remap keeps the mean only up to the discretisation error: the discrete first moment
 * uses cell centres, the remapped profile is piecewise linear.  Restore it exactly (to
 * round-off) with one conservative upwind shift of fraction theta along direction k, the
 * same in every line: moving theta g_j from cell j to j+1 changes sum_j j G_j by theta
 * G_j (G: the marginal along k), so theta = -defect / sum of the donor marginals.  The
 * defect is O(dv^2) (smooth data: far smaller), so theta << 1 and the shift keeps f >= 0
 * (theta is capped at 1, which never happened in the tests) and second order.
 * defect = sum_j (j - xc) (G_j(after) - G_j(before)), in cells. */
static void momentum_fixup(double *g, size_t outer, size_t nk, size_t inner, const double *Gm,
                           double defect) {
  double donors = 0;
  size_t jlo = defect < 0 ? 0 : 1, jhi = defect < 0 ? nk - 1 : nk; /* donor cells */
  for (size_t j = jlo; j < jhi; j++) donors += Gm[j];
  if (!(donors > 0) || defect == 0 || nk < 2) return;
  double theta = fabs(defect) / donors;
  if (theta > 1) theta = 1;
  for (size_t o = 0; o < outer; o++)
    for (size_t i = 0; i < inner; i++) {
      double *c = g + o * nk * inner + i;
      /* each transfer t = theta g_j is subtracted and added as the same number, so the
       * mass is kept to the rounding of the additions; (1 - theta) g_j + theta g_j-1
       * would add the rounding of 1 - theta (the same in every cell: a bias) */
      if (defect < 0) { /* shift up j -> j+1, from the top so every donor is an old value */
        for (size_t j = nk - 1; j-- > 0;) {
          double t = theta * c[j * inner];
          c[j * inner] -= t, c[(j + 1) * inner] += t;
        }
      } else { /* shift down j -> j-1, from the bottom */
        for (size_t j = 1; j < nk; j++) {
          double t = theta * c[j * inner];
          c[j * inner] -= t, c[(j - 1) * inner] += t;
        }
      }
    }
}

/* e^{gamma rho dt}, capped where the preimage of one cell already covers the line many
 * times over (beyond that the result no longer changes, and inf * 0 would give NaN). */
static double remap_stretch(double rate_dt, size_t n) {
  double cap = 1e12 * (double)(n + 1);
  return rate_dt < log(cap) ? exp(rate_dt) : cap;
}

/* remap alignment along direction k of the column g (layout g[(o*nk + j)*inner + i]),
 * dilation about c = v_lo + xc dv by 1/stretch, followed by the momentum fix-up. */
static void remap_dir(const cs_kinetic *s, align_scratch *sc, double *g, size_t outer, size_t nk,
                      size_t inner, double xc, double stretch) {
  double *line = sc->rl, *img = line + nk, *sl = img + nk, *Gb = sc->wk;
  double defect = 0;
  memset(Gb, 0, nk * sizeof *Gb);
  for (size_t o = 0; o < outer; o++)
    for (size_t i = 0; i < inner; i++) {
      double *c = g + o * nk * inner + i;
      for (size_t j = 0; j < nk; j++) line[j] = c[j * inner];
      remap_line(line, img, sl, nk, xc, stretch, s->limiter);
      for (size_t j = 0; j < nk; j++) {
        defect += ((double)j + 0.5 - xc) * (img[j] - line[j]);
        Gb[j] += img[j];
        c[j * inner] = img[j];
      }
    }
  momentum_fixup(g, outer, nk, inner, Gb, defect);
}

/* Sub-steps that keep an upwind alignment step within its CFL bound.  Beyond
 * CS_MAX_SUBSTEPS (or for a NaN bound) the step is refused: a huge count made
 * the run endless, and one above UINT_MAX wrapped (to 0 for gamma = 1e300: no
 * alignment at all, and a completed run). */
#define CS_MAX_SUBSTEPS 1e6
static int substeps(align_scratch *sc, double cfl, unsigned *nsub) {
  if (!(cfl <= CS_MAX_SUBSTEPS)) {
    sc->refused_cfl = cfl;
    return KL_ELIMIT;
  }
  *nsub = cfl <= 1 ? 1 : (unsigned)ceil(cfl);
  return KL_OK;
}

/* d = 1: work on the velocity range J0 .. J0+nJ-1 that holds all the mass. */
static int align_column_1d(const cs_kinetic *s, align_scratch *sc, double dt, double *g) {
  const size_t n = s->nJ;
  double *G = g + s->J0, *w = sc->wk, *tmp = sc->tmp;
  const double *v = s->vc[0] + s->J0, dv = s->dv[0];
  double m = 0, p = 0;
#pragma omp simd reduction(+ : m, p)
  for (size_t j = 0; j < n; j++) m += G[j], p += G[j] * v[j];
  if (!(m > 0)) return KL_OK;
  double u = p / m, rate = s->gamma * m * dv;
  if (s->alignment == AL_REMAP) {
    remap_dir(s, sc, G, 1, n, 1, (u - v[0]) / dv + 0.5, remap_stretch(rate * dt, n));
    return KL_OK;
  }
  if (s->alignment == AL_EXACT) {
    double c = -expm1(-rate * dt) / dv;
#pragma omp simd
    for (size_t j = 0; j < n; j++) w[j] = c * (v[j] - u);
    w[0] = kl_min_finite(w[0], 0.0), w[n - 1] = kl_max_finite(w[n - 1], 0.0);
    line_split(G, n, w, tmp);
    return KL_OK;
  }
  double vr = (kl_max_finite(fabs(v[0] - u), fabs(v[n - 1] - u)) + dv) / dv;
  double cfl = rate * dt * vr;
  unsigned nsub;
  if (substeps(sc, cfl, &nsub)) return KL_ELIMIT;
  double h = dt / nsub, c = rate * h / dv;
  for (unsigned it = 0; it < nsub; it++) {
    if (s->alignment == AL_UPWIND) {
      for (size_t j = 0; j < n; j++) w[j] = c * (v[j] - u);
      w[0] = kl_min_finite(w[0], 0.0), w[n - 1] = kl_max_finite(w[n - 1], 0.0);
      line_split(G, n, w, tmp);
    } else {
      double ub = s->alignment == AL_UPWIND_BALANCED ? balanced_u(G, 1, n, 1, v, dv, u) : u;
      memcpy(tmp, G, n * sizeof *tmp);
      for (size_t j = 0; j + 1 < n; j++) {
        double a = -(v[j] + 0.5 * dv - ub);
        double F = c * (a > 0 ? a * G[j] : a * G[j + 1]);
        tmp[j] -= F, tmp[j + 1] += F;
      }
      memcpy(G, tmp, n * sizeof *G);
    }
  }
  return KL_OK;
}

static int align_column(const cs_kinetic *s, align_scratch *sc, double dt, double *g) {
  if (s->d == 1) return align_column_1d(s, sc, dt, g);
  double *tmp = sc->tmp;
  const size_t n = s->nvt;
  /* rho, rho u with cell-centre velocities (exact moments of the piecewise constant f) */
  double rho = 0, mu[3] = {0, 0, 0};
  for (size_t J = 0; J < n; J++) rho += g[J];
  if (!(rho > 0)) return KL_OK;
  for (unsigned k = 0; k < s->d; k++) {
    size_t nk = s->nv[k], inner = 1, outer = 1;
    for (unsigned q = k + 1; q < 3; q++) inner *= s->nv[q];
    for (unsigned q = 0; q < k; q++) outer *= s->nv[q];
    double acc = 0;
    if (inner == 1 && outer == 1) {
      const double *vk = s->vc[k];
#pragma omp simd reduction(+ : acc)
      for (size_t j = 0; j < nk; j++) acc += g[j] * vk[j];
    } else
      for (size_t o = 0; o < outer; o++)
        for (size_t j = 0; j < nk; j++) {
          const double *c = g + (o * nk + j) * inner;
          double sj = 0;
          for (size_t i = 0; i < inner; i++) sj += c[i];
          acc += sj * s->vc[k][j];
        }
    mu[k] = acc / rho;
  }
  double dvol = 1;
  for (unsigned k = 0; k < s->d; k++) dvol *= s->dv[k];
  rho *= dvol;
  double rate = s->gamma * rho;
  if (s->alignment == AL_REMAP) {
    for (unsigned k = 0; k < s->d; k++) {
      size_t nk = s->nv[k], inner = 1, outer = 1;
      for (unsigned q = k + 1; q < 3; q++) inner *= s->nv[q];
      for (unsigned q = 0; q < k; q++) outer *= s->nv[q];
      remap_dir(s, sc, g, outer, nk, inner, (mu[k] - s->v_lo[k]) / s->dv[k],
                remap_stretch(rate * dt, nk));
    }
    return KL_OK;
  }
  if (s->alignment == AL_EXACT) {
    double one_minus_lambda = -expm1(-rate * dt);
    for (unsigned k = 0; k < s->d; k++) {
      size_t nk = s->nv[k];
      double maxw = 0;
      for (size_t j = 0; j < nk; j++) {
        sc->wk[j] = one_minus_lambda * (s->vc[k][j] - mu[k]) / s->dv[k];
        maxw = kl_max_finite(maxw, fabs(sc->wk[j]));
      }
      /* u lies in [v_0, v_nk-1]; round-off must not push mass off the grid */
      sc->wk[0] = kl_min_finite(sc->wk[0], 0.0);
      sc->wk[nk - 1] = kl_max_finite(sc->wk[nk - 1], 0.0);
      split_dir(s, k, g, sc->wk, maxw <= 1, tmp, sc->wk);
    }
    return KL_OK;
  }
  /* flux schemes, forward Euler, sub-cycled to keep every fraction <= 1 */
  double vr = 0;
  for (unsigned k = 0; k < s->d; k++) {
    double a = kl_max_finite(fabs(s->vc[k][0] - mu[k]), fabs(s->vc[k][s->nv[k] - 1] - mu[k]));
    vr = kl_max_finite(vr, (a + s->dv[k]) / s->dv[k]);
  }
  double cfl = rate * dt * vr * (s->alignment == AL_UPWIND ? 1.0 : (double)s->d);
  unsigned nsub;
  if (substeps(sc, cfl, &nsub)) return KL_ELIMIT;
  double h = dt / nsub;
  for (unsigned it = 0; it < nsub; it++) {
    if (s->alignment == AL_UPWIND) {
      for (unsigned k = 0; k < s->d; k++) {
        for (size_t j = 0; j < s->nv[k]; j++)
          sc->wk[j] = rate * h * (s->vc[k][j] - mu[k]) / s->dv[k];
        split_dir(s, k, g, sc->wk, true, tmp, sc->wk);
      }
    } else {
      /* interface speeds a_{j+1/2} = -rate (v_{j+1/2} - u), upwind value; all
       * directions from the same old state (unsplit Euler) */
      memcpy(tmp, g, n * sizeof *tmp);
      for (unsigned k = 0; k < s->d; k++) {
        size_t nk = s->nv[k], inner = 1, outer = 1;
        for (unsigned q = k + 1; q < 3; q++) inner *= s->nv[q];
        for (unsigned q = 0; q < k; q++) outer *= s->nv[q];
        double c = rate * h / s->dv[k];
        double ub = s->alignment == AL_UPWIND_BALANCED
                        ? balanced_u(g, outer, nk, inner, s->vc[k], s->dv[k], mu[k])
                        : mu[k];
        for (size_t o = 0; o < outer; o++)
          for (size_t j = 0; j + 1 < nk; j++) {
            double a = -(s->vc[k][j] + 0.5 * s->dv[k] - ub); /* speed / rate */
            for (size_t i = 0; i < inner; i++) {
              size_t L = (o * nk + j) * inner + i, R = L + inner;
              double F = c * (a > 0 ? a * g[L] : a * g[R]);
              tmp[L] -= F;
              tmp[R] += F;
            }
          }
      }
      memcpy(g, tmp, n * sizeof *g);
    }
  }
  return KL_OK;
}

/* Every x-column by one thread (columns are independent).  A refused column stops the
 * run; the lowest refused column is the one reported, as in a serial sweep. */
static int alignment(cs_kinetic *s, double dt, double *y) {
  if (s->gamma == 0) return KL_OK;
  int rc = KL_OK;
  size_t first_bad = SIZE_MAX;
  const long nx = (long)s->nx;
#pragma omp parallel
  {
    align_scratch sc = {malloc(s->nvt * sizeof(double)), malloc(s->nvmax * sizeof(double)),
                        malloc(3 * s->nvmax * sizeof(double)), 0};
    bool have = sc.tmp && sc.wk && sc.rl;
#pragma omp for schedule(dynamic, 8)
    for (long ix = 0; ix < nx; ix++) {
      if (!s->colnz[ix]) continue;
      int r = have ? align_column(s, &sc, dt, y + (size_t)ix * s->nvt) : KL_ENOMEM;
      if (r) {
#pragma omp critical(cs_kinetic_alignment)
        if ((size_t)ix < first_bad) first_bad = (size_t)ix, rc = r, s->refused_cfl = sc.refused_cfl;
      }
    }
    free(sc.tmp), free(sc.wk), free(sc.rl);
  }
  return rc;
}

static int part_step(void *state, unsigned k, double t, double dt, double *y, kl_error *err) {
  (void)t;
  cs_kinetic *s = state;
  int rc = KL_OK;
  track_time(s, y, t, dt);
  if (k == 0) {
    if (!s->dim_x) return KL_OK;
    if (s->transport == TR_SL) rc = transport_sl(s, dt, y);
    else {
      double nu = s->vmax1 * dt / s->dx;
      if (nu > 1 + 1e-12)
        return kl_error_set(err, KL_EINVAL,
                            "cs_kinetic: transport sub-step dt = %g violates the CFL bound "
                            "max|v| dt/dx = %g > 1 of transport '%s'",
                            dt, nu, s->transport == TR_UPWIND ? "upwind" : "muscl");
      rc = transport_muscl(s, dt, y);
    }
  } else if (k == 1) {
    rc = alignment(s, dt, y);
  } else
    return kl_error_set(err, KL_EINTERNAL, "cs_kinetic: no split part %u", k);
  if (rc == KL_ELIMIT)
    return kl_error_set(err, rc,
                        "cs_kinetic: the upwind alignment step of dt = %g needs %g sub-steps "
                        "(gamma rho dt |v - u|/dv), more than %g: use a smaller dt or gamma, "
                        "or alignment: exact",
                        dt, ceil(s->refused_cfl), CS_MAX_SUBSTEPS);
  if (rc) return kl_error_set(err, rc, "cs_kinetic: out of memory in part %u", k);
  return KL_OK;
}

static unsigned n_parts(void *state) {
  (void)state;
  return 2;
}
static kl_split_scheme split_scheme(void *state) { return ((cs_kinetic *)state)->split; }

static int check_dt(void *state, double dt, kl_error *err) {
  cs_kinetic *s = state;
  if (!s->dim_x || s->transport == TR_SL) return KL_OK;
  /* Strang gives transport (part 0) half steps; we still demand the full dt. */
  double nu = s->vmax1 * dt / s->dx;
  if (nu > 1 + 1e-12)
    return kl_error_set(err, KL_EINVAL,
                        "cs_kinetic: dt = %g violates the transport CFL condition "
                        "max|v| dt/dx <= 1 (max|v| = %g, dx = %g: max|v| dt/dx = %g); the "
                        "'%s' scheme is positive and conservative only below it. Use dt <= %g "
                        "or transport: sl",
                        dt, s->vmax1, s->dx, nu,
                        s->transport == TR_UPWIND ? "upwind" : "muscl", s->dx / s->vmax1);
  return KL_OK;
}

static int view(void *state, const double *y, kl_view *v, kl_error *err) {
  (void)err;
  cs_kinetic *s = state;
  memset(v, 0, sizeof *v);
  v->kind = KL_VIEW_GRID;
  v->dim_v = s->d;
  v->dim_x = s->dim_x;
  v->grid.nx = s->nx;
  v->grid.x_lo = s->x_lo;
  v->grid.dx = s->dx;
  for (int k = 0; k < 3; k++) {
    v->grid.nv[k] = s->nv[k];
    v->grid.v_lo[k] = s->v_lo[k];
    v->grid.dv[k] = s->dv[k];
  }
  v->grid.f = y;
  return KL_OK;
}

static size_t invariant_names(void *state, const char *const **names) {
  cs_kinetic *s = state;
  *names = s->names;
  return s->n_names;
}

/* Flux form: mass to round-off, unless it flows out through an inflow_zero
 * x boundary; momentum too, except with upwind_interface alignment (kept to
 * show the drift, see the top of this file). */
static void conservation(void *state, kl_conservation *classes) {
  const cs_kinetic *s = state;
  bool closed = s->dim_x == 0 || s->bc == BC_PERIODIC;
  cs_conservation(classes, s->d, closed, closed && s->alignment != AL_UPWIND_INTERFACE);
}

static int invariants(void *state, double t, const double *y, double *out, kl_error *err) {
  (void)t, (void)err;
  cs_kinetic *s = state;
  double vol = s->dx;
  for (unsigned k = 0; k < s->d; k++) vol *= s->dv[k];
  /* Neumaier-compensated sums: the reported drift is the scheme's, not the sum's. */
  double acc[6] = {0}, cmp[6] = {0}, fmin_ = INFINITY, fmax_ = -INFINITY;
  size_t n1 = s->nv[1] * s->nv[2];
  for (size_t ix = 0; ix < s->nx; ix++)
    for (size_t J = 0; J < s->nvt; J++) {
      double f = y[ix * s->nvt + J];
      fmin_ = f < fmin_ ? f : fmin_;
      fmax_ = f > fmax_ ? f : fmax_;
      if (f == 0) continue;
      double v0 = s->vc[0][J / n1], v1 = s->vc[1][(J / s->nv[2]) % s->nv[1]],
             v2 = s->vc[2][J % s->nv[2]];
      double term[6] = {f, f * v0, f * v1, f * v2, f * (v0 * v0 + v1 * v1 + v2 * v2),
                        f > 0 ? f * log(f) : 0};
      for (int q = 0; q < 6; q++) {
        double t2 = acc[q] + term[q];
        cmp[q] += fabs(acc[q]) >= fabs(term[q]) ? (acc[q] - t2) + term[q] : (term[q] - t2) + acc[q];
        acc[q] = t2;
      }
    }
  double m = acc[0] + cmp[0], p[3] = {acc[1] + cmp[1], acc[2] + cmp[2], acc[3] + cmp[3]},
         e = acc[4] + cmp[4], h = acc[5] + cmp[5];
  size_t q = 0;
  out[q++] = m * vol;
  for (unsigned k = 0; k < s->d; k++) out[q++] = p[k] * vol;
  out[q++] = e * vol;
  out[q++] = h * vol;
  out[q++] = fmin_;
  out[q++] = fmax_;
  return KL_OK;
}

static const kl_model_ops ops = {sizeof(kl_model_ops),
                                 size,
                                 initial,
                                 NULL,
                                 n_parts,
                                 split_scheme,
                                 part_step,
                                 NULL,
                                 view,
                                 invariant_names,
                                 invariants,
                                 check_dt,
                                 conservation};

static const kl_plugin_info info = {
    KL_PLUGIN_HEADER,
    KL_KIND_MODEL,
    "cs_kinetic",
    "kinetic Cucker-Smale equation with local alignment on a phase-space grid (paper 004)",
    params,
    &ops,
    create,
    destroy};

static const kl_plugin_info *const plugins[] = {&info, NULL};
KL_PLUGIN_MODULE(plugins)
