/* plugins/cucker_smale/tests/test_cs_kinetic.c - the cs_kinetic grid model (paper 004): homogeneous exact
 * solution (Theorem 2.3) with observed order in dv, d = 1 and 2; conservation, positivity,
 * energy/entropy monotonicity on a short inhomogeneous run; the CFL refusal. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* Run the model's split parts (Lie or Strang as the runner composes them). */
static int advance(kl_instance *m, double t, double dt, double *y, kl_error *err) {
  int rc;
  if (kl_model_split_scheme(m) == KL_SPLIT_LIE) {
    if ((rc = kl_model_part_step(m, 0, t, dt, y, err))) return rc;
    return kl_model_part_step(m, 1, t, dt, y, err);
  }
  if ((rc = kl_model_part_step(m, 0, t, dt / 2, y, err))) return rc;
  if ((rc = kl_model_part_step(m, 1, t, dt, y, err))) return rc;
  return kl_model_part_step(m, 0, t + dt / 2, dt / 2, y, err);
}

/* Gaussian f0 of cs_gaussian: mass * N(mean, sigma^2 I) */
static double gauss0(unsigned d, const double *v, const double *mean, double sigma) {
  double r2 = 0;
  for (unsigned k = 0; k < d; k++) r2 += (v[k] - mean[k]) * (v[k] - mean[k]);
  return pow(2 * M_PI * sigma * sigma, -0.5 * d) * exp(-r2 / (2 * sigma * sigma));
}

/* L1 error of the cell averages against the exact solution (2.3), 3-point Gauss per
 * direction; m = 1 and vbar = mean (the Gaussian's moments). */
static double homogeneous_error_al(unsigned d, unsigned nv, double gamma, double T, double *drift,
                                   const char *alignment, double *linf) {
  char yaml[400];
  const double mean[2] = {0.2, -0.1}, sigma = 0.5;
  snprintf(yaml, sizeof yaml,
           "{type: cs_gaussian, mass: 1, mean: [0.2%s], sigma: 0.5}", d == 2 ? ", -0.1" : "");
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, yaml, d, 0, NULL, NULL);
  snprintf(yaml, sizeof yaml,
           "{type: cs_kinetic, d: %u, dim_x: 0, gamma: %g, v_lo: [-3], v_hi: [3], nv: [%u], "
           "alignment: %s, splitting: lie}",
           d, gamma, nv, alignment);
  kl_instance *m = init ? kl_test_instance(KL_KIND_MODEL, yaml, d, 0, init, NULL) : NULL;
  if (!m) {
    kl_instance_free(init);
    return NAN;
  }
  size_t n = kl_model_size(m);
  double *y = calloc(n, sizeof *y), t = 0, inv0[8], inv[8];
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_model_initial(m, &t, y, &err), KL_OK);
  kl_model_invariants(m, 0, y, inv0, &err);
  double dt = 0.02;
  int steps = (int)(T / dt + 0.5);
  for (int s = 0; s < steps; s++) CU_ASSERT_EQUAL(advance(m, s * dt, dt, y, &err), KL_OK);
  kl_model_invariants(m, T, y, inv, &err);
  drift[0] = fabs(inv[0] - inv0[0]);
  drift[1] = fabs(inv[1] - inv0[1]) + (d == 2 ? fabs(inv[2] - inv0[2]) : 0);
  /* f_min is the entry after mass, d momenta, energy, entropy */
  drift[2] = inv[d + 3];
  double g[3] = {-sqrt(0.6) / 2, 0, sqrt(0.6) / 2}, gw[3] = {5.0 / 18, 8.0 / 18, 5.0 / 18};
  double dv = 6.0 / nv, a = gamma * 1.0 * T, scale = exp(a * d), stretch = exp(a), err1 = 0;
  size_t n1 = d == 2 ? nv : 1;
  double errinf = 0;
  for (size_t J = 0; J < n; J++) {
    size_t j[2] = {J / n1, J % n1};
    double ex = 0;
    for (int p = 0; p < 3; p++)
      for (int q = 0; q < (d == 2 ? 3 : 1); q++) {
        double v[2], w = gw[p] * (d == 2 ? gw[q] : 1);
        v[0] = -3 + (j[0] + 0.5 + g[p]) * dv;
        v[1] = d == 2 ? -3 + (j[1] + 0.5 + g[q]) * dv : 0;
        double z[2];
        for (unsigned k = 0; k < d; k++) z[k] = mean[k] + stretch * (v[k] - mean[k]);
        ex += w * scale * gauss0(d, z, mean, sigma);
      }
    err1 += fabs(y[J] - ex);
    errinf = fmax(errinf, fabs(y[J] - ex));
  }
  if (linf) *linf = errinf;
  for (unsigned k = 0; k < d; k++) err1 *= dv;
  free(y);
  kl_instance_free(m);
  kl_instance_free(init);
  return err1;
}

static double homogeneous_error(unsigned d, unsigned nv, double gamma, double T, double *drift) {
  return homogeneous_error_al(d, nv, gamma, T, drift, "exact", NULL);
}

/* upwind_balanced (interface speeds, momentum-balancing u*): first order in dv in L1 AND
 * in Linf (the exact map has an O(1) pointwise error at v = u, docs/cucker_smale.md;
 * measured Linf 0.23, 0.24, 0.25 there), momentum to round-off.  Measured here:
 * L1 3.4e-2, 1.7e-2, 8.7e-3, Linf 3.1e-2, 1.6e-2, 8.3e-3 (orders ~0.95, 0.99); we demand
 * orders > 0.8 in both norms and Linf < 0.02 at dv = 0.0125 (exact map: 0.25). */
static void test_homogeneous_balanced(void) {
  double e[3], li[3], dr[3];
  unsigned nv[3] = {120, 240, 480};
  for (int i = 0; i < 3; i++) {
    e[i] = homogeneous_error_al(1, nv[i], 0.5, 1.0, dr, "upwind_balanced", &li[i]);
    CU_ASSERT(dr[0] < 1e-13);
    CU_ASSERT(dr[1] < 1e-13);
    CU_ASSERT(dr[2] >= 0);
  }
  printf("\n    balanced d=1 L1 %.3e %.3e %.3e, Linf %.3e %.3e %.3e ", e[0], e[1], e[2], li[0],
         li[1], li[2]);
  CU_ASSERT(log2(e[0] / e[1]) > 0.8 && log2(e[1] / e[2]) > 0.8);
  CU_ASSERT(log2(li[0] / li[1]) > 0.8 && log2(li[1] / li[2]) > 0.8);
  CU_ASSERT(li[2] < 0.02);
}

/* remap (the exact flow map with a limited piecewise-linear conservative remap) under
 * strong contraction: gamma m T = 2, the Gaussian's width shrinks e^2 = 7.4-fold to
 * sigma(T) = 0.068; nv = 400, 800 give dv = sigma(T)/4.5, sigma(T)/9.  A second-order
 * scheme quarters the error when dv halves: we demand observed orders
 * log2(e(400)/e(800)) >= 1.8 in L1 (the goal of issue 16, 0.2 below the design order
 * for the pre-asymptotic coarse level; measured 2.60, d = 2: 2.00) and >= 0.9 in Linf
 * (limiters clip smooth extrema; measured 1.51, d = 2: 1.55).  The test fails for the
 * first-order schemes: exact map L1 order 0.91 (d = 2: 0.11), Linf -0.09 (no
 * convergence); upwind_balanced 0.91 and 0.86 (d = 2: 0.67).  Mass and momentum to
 * 1e-13 relative (mass 1, momentum 0.2), f >= 0.  d = 2: nv 100, 200 (under-resolved:
 * dv = sigma(T)/1.1, sigma(T)/2.3, still order 2). */
static void test_homogeneous_remap_strong(void) {
  double e[2], li[2], dr[3];
  unsigned nv[2] = {400, 800};
  for (int i = 0; i < 2; i++) {
    e[i] = homogeneous_error_al(1, nv[i], 1.0, 2.0, dr, "remap", &li[i]);
    CU_ASSERT(dr[0] < 1e-13);
    CU_ASSERT(dr[1] < 1e-13 * 0.2);
    CU_ASSERT(dr[2] >= 0);
  }
  double p1 = log2(e[0] / e[1]), pinf = log2(li[0] / li[1]);
  printf("\n    remap d=1 strong: L1 %.3e %.3e (order %.2f), Linf %.3e %.3e (order %.2f) ", e[0],
         e[1], p1, li[0], li[1], pinf);
  CU_ASSERT(p1 >= 1.8);
  CU_ASSERT(pinf >= 0.9);
  unsigned nv2[2] = {100, 200};
  for (int i = 0; i < 2; i++) {
    e[i] = homogeneous_error_al(2, nv2[i], 1.0, 2.0, dr, "remap", &li[i]);
    CU_ASSERT(dr[0] < 1e-13);
    CU_ASSERT(dr[1] < 1e-13 * 0.2);
    CU_ASSERT(dr[2] >= 0);
  }
  p1 = log2(e[0] / e[1]), pinf = log2(li[0] / li[1]);
  printf("\n    remap d=2 strong: L1 %.3e %.3e (order %.2f), Linf %.3e %.3e (order %.2f) ", e[0],
         e[1], p1, li[0], li[1], pinf);
  CU_ASSERT(p1 >= 1.8);
  CU_ASSERT(pinf >= 0.9);
}

/* Many small remaps, as in Table 1 (30 000 steps of gamma rho dt ~ 1e-5 in 400 columns):
 * mass and momentum must stay at round-off, not drift by a bias.  The Table 1 patch on a
 * coarser grid (200 x 200 cells), 4000 alignment steps of dt = 1e-4, gamma = 0.1: drift
 * must stay below 1e-13 (measured 1e-16 .. 1e-15).  A version whose fix-up wrote
 * (1 - theta) g_j + theta g_j-1 lost ~1e-13 here (Table 1: 1.3e-13 by t = 0.5) through
 * the rounding of 1 - theta, the same in every cell of a column. */
static void test_remap_many_steps(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: cs_patch}", 1, 1, NULL, NULL);
  kl_instance *m = init ? kl_test_instance(KL_KIND_MODEL,
                                           "{type: cs_kinetic, d: 1, dim_x: 1, gamma: 0.1, "
                                           "dx: 0.1, dv: [0.03], alignment: remap}",
                                           1, 1, init, NULL)
                        : NULL;
  if (!m) {
    kl_instance_free(init);
    return;
  }
  size_t n = kl_model_size(m);
  double *y = calloc(n, sizeof *y), t = 0, a[8], b[8];
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_model_initial(m, &t, y, &err), KL_OK);
  kl_model_invariants(m, 0, y, a, &err);
  for (int s = 0; s < 4000; s++) kl_model_part_step(m, 1, s * 1e-4, 1e-4, y, &err);
  kl_model_invariants(m, 0.4, y, b, &err);
  printf("\n    remap 4000 steps: mass drift %.1e, momentum drift %.1e, f_min %g ", b[0] - a[0],
         b[1] - a[1], b[4]);
  CU_ASSERT(fabs(b[0] - a[0]) < 1e-13);
  CU_ASSERT(fabs(b[1] - a[1]) < 1e-13);
  CU_ASSERT(b[4] >= 0);
  free(y);
  kl_instance_free(m);
  kl_instance_free(init);
}

/* The exact map with linear mass splitting is exact in time (rho, u are invariants of
 * the homogeneous flow) and first order in dv (the splitting adds a variance of order
 * dv (1 - lambda)|v - u| per step, like an upwind scheme).  Halving dv must therefore
 * roughly halve the L1 error: we demand an observed order > 0.8 and mass/momentum
 * conserved to 1e-13 (sums of ~10^3 terms of size <= 1). */
static void test_homogeneous_1d(void) {
  double e[3], dr[3];
  unsigned nv[3] = {120, 240, 480};
  for (int i = 0; i < 3; i++) {
    e[i] = homogeneous_error(1, nv[i], 0.5, 1.0, dr);
    CU_ASSERT(dr[0] < 1e-13);
    CU_ASSERT(dr[1] < 1e-13);
    CU_ASSERT(dr[2] >= 0);
  }
  double p1 = log2(e[0] / e[1]), p2 = log2(e[1] / e[2]);
  printf("\n    d=1 L1 errors %.3e %.3e %.3e, orders %.2f %.2f ", e[0], e[1], e[2], p1, p2);
  CU_ASSERT(e[2] < e[1] && e[1] < e[0]);
  CU_ASSERT(p1 > 0.8 && p2 > 0.8);
  CU_ASSERT(e[2] < 0.05); /* the solution has mass 1: a 5 % L1 error at dv = 0.0125 */
}

/* The exact alignment map contracts towards u by lambda = e^{-gamma rho dt} for any
 * dt: one step with gamma rho dt = 5 must shrink the centred energy by about
 * lambda^2 (plus the O(dv^2) of the linear mass splitting), keep f >= 0, mass and
 * momentum.  A linearised lambda = 1 - gamma rho dt (= -4) reflects the mass
 * across u and spreads it. */
static void test_exact_alignment_large_dt(void) {
  kl_instance *init = kl_test_instance(
      KL_KIND_INITIAL, "{type: cs_gaussian, mass: 1, mean: [0.2], sigma: 0.5}", 1, 0, NULL, NULL);
  kl_instance *m = init ? kl_test_instance(KL_KIND_MODEL,
                                           "{type: cs_kinetic, d: 1, dim_x: 0, gamma: 50, "
                                           "v_lo: [-3], v_hi: [3], nv: [120], alignment: exact, "
                                           "splitting: lie}",
                                           1, 0, init, NULL)
                        : NULL;
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  size_t n = kl_model_size(m);
  double *y = calloc(n, sizeof *y), t = 0, inv0[8], inv[8];
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_model_initial(m, &t, y, &err), KL_OK);
  kl_model_invariants(m, 0, y, inv0, &err);
  CU_ASSERT_EQUAL(advance(m, 0, 0.1, y, &err), KL_OK); /* gamma rho dt = 50 * 1 * 0.1 */
  kl_model_invariants(m, 0.1, y, inv, &err);
  double u = inv0[1] / inv0[0];
  /* energy = int |v|^2 f; centred: int |v - u|^2 f */
  double centred0 = inv0[2] - inv0[0] * u * u, centred = inv[2] - inv[0] * u * u;
  CU_ASSERT(fabs(inv[0] - inv0[0]) < 1e-14);
  CU_ASSERT(fabs(inv[1] - inv0[1]) < 1e-14);
  CU_ASSERT(inv[4] >= 0); /* f_min */
  printf("\n    centred energy %.4g -> %.4g in one step ", centred0, centred);
  CU_ASSERT(centred < 0.01 * centred0);
  free(y);
  kl_instance_free(m);
  kl_instance_free(init);
}

static void test_homogeneous_2d(void) {
  double e[3], dr[3];
  unsigned nv[3] = {60, 120, 240};
  for (int i = 0; i < 3; i++) {
    e[i] = homogeneous_error(2, nv[i], 0.5, 0.6, dr);
    CU_ASSERT(dr[0] < 1e-13);
    CU_ASSERT(dr[1] < 1e-13);
    CU_ASSERT(dr[2] >= 0);
  }
  double p1 = log2(e[0] / e[1]), p2 = log2(e[1] / e[2]);
  printf("\n    d=2 L1 errors %.3e %.3e %.3e, orders %.2f %.2f ", e[0], e[1], e[2], p1, p2);
  /* first order, reached from below: the coarsest level is pre-asymptotic */
  CU_ASSERT(e[2] < e[1] && e[1] < e[0]);
  CU_ASSERT(p1 > 0.5 && p2 > 0.8);
}

/* Short inhomogeneous run on a coarse Table-1 grid: mass and momentum to round-off,
 * f >= 0, energy non-increasing after every step (the exact alignment step with linear
 * splitting dissipates the discrete energy when (1-lambda)|v-u| <= dv, and transport
 * keeps sum |v|^2 f exactly up to boundary fluxes, which vanish here).  The entropy
 * H = sum f log f must grow (Prop. 2.1): alignment raises it by gamma d int rho^2 per
 * unit time; the numerical diffusion of both parts lowers it.  For smooth data
 * (cs_gaussian) the growth wins at every output interval (0.05); for the discontinuous
 * patch the smearing of the jumps wins during an initial layer (H dips by ~1 % until
 * t ~ 0.05, docs/cucker_smale.md), so there we check H monotone after t = 0.1 only. */
static void run_inhomogeneous(const char *transport, const char *alignment, const char *split,
                              const char *initial_yaml) {
  bool patch = strstr(initial_yaml, "cs_patch") != NULL;
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, initial_yaml, 1, 1, NULL, NULL);
  char yaml[400];
  snprintf(yaml, sizeof yaml,
           "{type: cs_kinetic, d: 1, dim_x: 1, gamma: 1, dx: 0.1, dv: [0.03], "
           "transport: %s, alignment: %s, splitting: %s}",
           transport, alignment, split);
  kl_instance *m = init ? kl_test_instance(KL_KIND_MODEL, yaml, 1, 1, init, NULL) : NULL;
  if (!m) {
    kl_instance_free(init);
    return;
  }
  size_t n = kl_model_size(m);
  double *y = calloc(n, sizeof *y), t = 0, inv0[8], inv[8], prev[8];
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_model_initial(m, &t, y, &err), KL_OK);
  kl_model_invariants(m, 0, y, inv0, &err);
  memcpy(prev, inv0, sizeof prev);
  double dt = 0.005, H_last = inv0[3];
  int energy_ok = 1, fmin_ok = 1, H_ok = 1;
  for (int s = 0; s < 200; s++) {
    CU_ASSERT_EQUAL_FATAL(advance(m, s * dt, dt, y, &err), KL_OK);
    kl_model_invariants(m, (s + 1) * dt, y, inv, &err);
    /* energy: round-off of a sum of ~10^4 terms */
    if (inv[2] > prev[2] + 1e-14) energy_ok = 0;
    if (inv[4] < 0) fmin_ok = 0;
    if ((s + 1) % 10 == 0) {
      if (inv[3] < H_last && (!patch || (s + 1) * dt > 0.1 + 1e-9)) H_ok = 0;
      H_last = inv[3];
    }
    memcpy(prev, inv, sizeof prev);
  }
  printf("\n    %s/%s/%s: mass drift %.1e, momentum drift %.1e, energy %.6f -> %.6f, H %.4f -> %.4f ",
         transport, alignment, split, inv[0] - inv0[0], inv[1] - inv0[1], inv0[2], inv[2],
         inv0[3], inv[3]);
  CU_ASSERT(fabs(inv[0] - inv0[0]) < 1e-13);
  if (strcmp(alignment, "upwind_interface")) CU_ASSERT(fabs(inv[1] - inv0[1]) < 1e-13);
  CU_ASSERT(fmin_ok);
  CU_ASSERT(energy_ok);
  CU_ASSERT(H_ok);
  CU_ASSERT(inv[3] > inv0[3]);
  CU_ASSERT(inv[2] < inv0[2]); /* gamma = 1 over t = 1 dissipates a visible amount */
  free(y);
  kl_instance_free(m);
  kl_instance_free(init);
}

#define GAUSS "{type: cs_gaussian, x_profile: gaussian, x_center: 10, x_width: 1, mean: [-0.3]}"
static void test_inhomogeneous_muscl_exact(void) {
  run_inhomogeneous("muscl", "exact", "strang", "{type: cs_patch}");
  run_inhomogeneous("muscl", "exact", "strang", GAUSS);
}
static void test_inhomogeneous_upwind_lie(void) {
  run_inhomogeneous("upwind", "exact", "lie", "{type: cs_patch}");
  run_inhomogeneous("upwind", "exact", "lie", GAUSS);
}
static void test_inhomogeneous_balanced(void) {
  run_inhomogeneous("muscl", "upwind_balanced", "strang", "{type: cs_patch}");
  run_inhomogeneous("muscl", "upwind_balanced", "strang", GAUSS);
}
static void test_inhomogeneous_remap(void) {
  run_inhomogeneous("muscl", "remap", "strang", "{type: cs_patch}");
  run_inhomogeneous("muscl", "remap", "strang", GAUSS);
  run_inhomogeneous("sl", "remap", "lie", GAUSS);
}
static void test_inhomogeneous_sl(void) {
  run_inhomogeneous("sl", "upwind", "strang", "{type: cs_patch}");
  run_inhomogeneous("sl", "upwind", "strang", GAUSS);
}

/* The interface-speed upwind flux keeps mass but not momentum: a test that would pass
 * for every scheme is worthless, so show that this one does drift (measured 6e-6 over
 * this run; the momentum-exact schemes above stay below 1e-13). */
static void test_interface_flux_drifts(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: cs_patch}", 1, 1, NULL, NULL);
  kl_instance *m =
      init ? kl_test_instance(KL_KIND_MODEL,
                              "{type: cs_kinetic, d: 1, dim_x: 1, gamma: 1, dx: 0.1, dv: [0.03], "
                              "alignment: upwind_interface}",
                              1, 1, init, NULL)
           : NULL;
  if (!m) {
    kl_instance_free(init);
    return;
  }
  size_t n = kl_model_size(m);
  double *y = calloc(n, sizeof *y), t = 0, a[8], b[8];
  kl_error err = {0, ""};
  kl_model_initial(m, &t, y, &err);
  kl_model_invariants(m, 0, y, a, &err);
  for (int s = 0; s < 200; s++) advance(m, s * 0.005, 0.005, y, &err);
  kl_model_invariants(m, 1, y, b, &err);
  CU_ASSERT(fabs(b[0] - a[0]) < 1e-13);
  CU_ASSERT(fabs(b[1] - a[1]) > 1e-7);
  free(y);
  kl_instance_free(m);
  kl_instance_free(init);
}

static void test_cfl_refusal(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: cs_patch}", 1, 1, NULL, NULL);
  kl_instance *m =
      init ? kl_test_instance(KL_KIND_MODEL, "{type: cs_kinetic, d: 1, dim_x: 1, dx: 0.05}", 1,
                              1, init, NULL)
           : NULL;
  if (!m) {
    kl_instance_free(init);
    return;
  }
  kl_error err = {0, ""};
  /* max |v| = 2.995 (cell centres), dx = 0.05: dt <= 0.0167 */
  CU_ASSERT_EQUAL(kl_model_check_dt(m, 1e-4, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_model_check_dt(m, 0.02, &err), KL_EINVAL);
  CU_ASSERT(strstr(err.message, "CFL") != NULL);
  CU_ASSERT(strstr(err.message, "dt = 0.02") != NULL);
  kl_instance_free(m);
  kl_instance *s =
      kl_test_instance(KL_KIND_MODEL, "{type: cs_kinetic, d: 1, dim_x: 1, transport: sl}", 1, 1,
                       init, NULL);
  if (s) CU_ASSERT_EQUAL(kl_model_check_dt(s, 0.02, &err), KL_OK);
  kl_instance_free(s);
  kl_instance_free(init);
}

/* A dx that does not divide the domain is refused with the key named. */
static void test_bad_dx(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: cs_patch}", 1, 1, NULL, NULL);
  kl_instance *m = NULL;
  kl_error err = {0, ""};
  int rc = kl_test_instance_status(KL_KIND_MODEL, "{type: cs_kinetic, d: 1, dim_x: 1, dx: 0.07}",
                                   1, 1, init, NULL, &m, &err);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  CU_ASSERT(strstr(err.message, "dx") != NULL);
  kl_instance_free(m);
  kl_instance_free(init);
}

/* The model of the hand-computed diagnostic tests: homogeneous, d = 1, 8 cells of 0.5 on
 * [-2, 2], gamma = ln 2, initial data cs_patch centre 0.5, side 2 (mass 1). */
static kl_instance *hand_model(kl_instance **init) {
  *init = kl_test_instance(KL_KIND_INITIAL, "{type: cs_patch, center: [0.5], side: [2]}", 1, 0,
                           NULL, NULL);
  return *init ? kl_test_instance(KL_KIND_MODEL,
                                  "{type: cs_kinetic, d: 1, dim_x: 0, gamma: 0.69314718055994531, "
                                  "v_lo: [-2], v_hi: [2], nv: [8]}",
                                  1, 0, *init, NULL)
               : NULL;
}

/* cs_grid and cs_exact_error on hand-computed cases (d = 1, 8 cells of 0.5 on
 * [-2, 2], centres -1.75 ... 1.75).  cs_patch centre 0.5, side 2, mass 1 is 0.5 on
 * [-0.5, 1.5], exactly the cells 3..6, so its Gauss cell averages are exact: mass
 * m = 1, mean vbar = 0.5, max 0.5, support radius R0 = 0.75.  At t = 1 with
 * gamma = ln 2, e^(gamma m t) = 2: the exact solution is 2 f0(0.5 + 2 (v - 0.5)), 1 on
 * [0, 1] (cells 4, 5).  The grid holds the initial data, plus 5e-7 in cell 0: exactly
 * threshold (1e-6) x max f for cs_grid, so not part of the support (f > threshold). */
static void test_cs_diagnostics_hand_computed(void) {
  kl_instance *init = NULL, *m = hand_model(&init);
  kl_instance *grid = m ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: cs_grid}", 1, 0, init, m) : NULL;
  kl_instance *exact =
      m ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: cs_exact_error}", 1, 0, init, m) : NULL;
  if (!grid || !exact) {
    CU_FAIL("instances");
    goto out;
  }
  CU_ASSERT_EQUAL_FATAL(kl_model_size(m), 8);
  double f[8] = {0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0}, vals[8];
  kl_error err = {0, ""};
  kl_view view;
  CU_ASSERT_EQUAL(kl_model_view(m, f, &view, &err), KL_OK);
  /* t = 0: the exact solution is f itself */
  kl_observation obs = {0, 0, f, &view, m, init};
  CU_ASSERT_EQUAL(kl_diagnostic_observe(exact, &obs, vals, &err), KL_OK);
  const double ex0[8] = {0, 0, 0.5, 0.5, 0.75, 0.75, 1, 0.25 * 2.25};
  for (int k = 0; k < 8; k++) KL_ASSERT_CLOSE(vals[k], ex0[k], 1e-14);
  /* t = 1: errors 0.5 in cells 3..6 (l1 4 x 0.5 x dv), max 2 x 0.5, radius 0.75 / 2,
   * energy sum fe v^2 dv = (0.25^2 + 0.75^2) 0.5 */
  obs.t = 1;
  CU_ASSERT_EQUAL(kl_diagnostic_observe(exact, &obs, vals, &err), KL_OK);
  const double ex1[8] = {1, 0.5, 1, 0.5, 0.375, 0.75, 1, 0.3125};
  for (int k = 0; k < 8; k++) KL_ASSERT_CLOSE(vals[k], ex1[k], 1e-14);
  /* cs_grid: max f, and the radius about the mean of f, the cell at threshold excluded */
  f[0] = 5e-7;
  CU_ASSERT_EQUAL(kl_diagnostic_observe(grid, &obs, vals, &err), KL_OK);
  const double mean = (0.5 * (-0.25 + 0.25 + 0.75 + 1.25) + 5e-7 * -1.75) / (2 + 5e-7);
  KL_ASSERT_CLOSE(vals[0], 0.5, 0);
  KL_ASSERT_CLOSE(vals[1], 1.25 - mean, 1e-15);
out:
  kl_instance_free(grid);
  kl_instance_free(exact);
  kl_instance_free(m);
  kl_instance_free(init);
}

/* cs_entropy_rate by hand: the grid of the test above, gamma = ln 2.  t = 0: f = 0.5 on
 * cells 3..6 (dv = 0.5): rho = 1, predicted rate gamma d rho^2 = ln 2, H = 2 x 0.5 ln 0.5
 * = -ln 2, no measured rate yet (NaN).  t = 0.5: f = 1 on cells 4, 5 (the exact solution
 * at t = 1, here at 0.5 to check the division by the interval): rho = 1, H = 0, so the
 * measured rate is ln 2 / 0.5 and the ratio to the predicted ln 2 is 2.  A model other
 * than cs_kinetic (here cs_particles, which also has a gamma) is refused. */
static void test_cs_entropy_rate_hand_computed(void) {
  kl_instance *init = NULL, *m = hand_model(&init);
  kl_instance *hr =
      m ? kl_test_instance(KL_KIND_DIAGNOSTIC, "{type: cs_entropy_rate}", 1, 0, init, m) : NULL;
  if (!hr) {
    CU_FAIL("instances");
    goto out;
  }
  double f0[8] = {0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0}, f1[8] = {0, 0, 0, 0, 1, 1, 0, 0}, vals[3];
  kl_error err = {0, ""};
  kl_view view;
  CU_ASSERT_EQUAL(kl_model_view(m, f0, &view, &err), KL_OK);
  kl_observation obs = {0, 0, f0, &view, m, init};
  CU_ASSERT_EQUAL(kl_diagnostic_observe(hr, &obs, vals, &err), KL_OK);
  KL_ASSERT_CLOSE(vals[0], log(2.0), 1e-15);
  CU_ASSERT(isnan(vals[1]) && isnan(vals[2]));
  CU_ASSERT_EQUAL(kl_model_view(m, f1, &view, &err), KL_OK);
  obs.t = 0.5, obs.y = f1;
  CU_ASSERT_EQUAL(kl_diagnostic_observe(hr, &obs, vals, &err), KL_OK);
  KL_ASSERT_CLOSE(vals[0], log(2.0), 1e-15);
  KL_ASSERT_CLOSE(vals[1], 2 * log(2.0), 1e-15);
  KL_ASSERT_CLOSE(vals[2], 2, 1e-15);
  kl_instance *decay = kl_test_instance(
      KL_KIND_MODEL, "{type: cs_particles, d: 1, dim_x: 0, N: 10, psi: psi_all_to_all}", 1, 0, init, NULL);
  kl_instance *bad = NULL;
  int rc = decay ? kl_test_instance_status(KL_KIND_DIAGNOSTIC, "{type: cs_entropy_rate}", 1, 0,
                                           NULL, decay, &bad, &err)
                 : KL_OK;
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  CU_ASSERT(strstr(err.message, "expected model cs_kinetic") != NULL);
  kl_instance_free(bad);
  kl_instance_free(decay);
out:
  kl_instance_free(hr);
  kl_instance_free(m);
  kl_instance_free(init);
}


/* The split parts run on OpenMP threads (x-columns of the alignment, velocity rows of the
 * transport) with the same arithmetic per entry for any split: the state after many
 * steps must be the same bytes for 1, 2 and 3 threads, for every transport and
 * alignment scheme, in d = 1 and d = 2. */
static void run_threads(unsigned d, const char *transport, const char *alignment,
                        const char *split) {
  char yaml[400];
  snprintf(yaml, sizeof yaml, "{type: cs_patch, center: [10, -0.3%s], side: [2]}",
           d == 2 ? ", 0.2" : "");
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, yaml, d, 1, NULL, NULL);
  snprintf(yaml, sizeof yaml,
           "{type: cs_kinetic, d: %u, dim_x: 1, gamma: 2, dx: 0.1, dv: [%s], boundary: periodic, "
           "transport: %s, alignment: %s, splitting: %s}",
           d, d == 1 ? "0.02" : "0.1", transport, alignment, split);
  kl_instance *m = init ? kl_test_instance(KL_KIND_MODEL, yaml, d, 1, init, NULL) : NULL;
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  size_t n = kl_model_size(m);
  double *y[3];
  kl_error err = {0, ""};
  const double dt = 0.01;
  for (int nt = 1; nt <= 3; nt++) {
#ifdef _OPENMP
    omp_set_num_threads(nt);
#endif
    double t = 0;
    y[nt - 1] = calloc(n, sizeof(double));
    CU_ASSERT_EQUAL_FATAL(kl_model_initial(m, &t, y[nt - 1], &err), KL_OK);
    for (int s = 0; s < 150; s++)
      CU_ASSERT_EQUAL_FATAL(advance(m, s * dt, dt, y[nt - 1], &err), KL_OK);
  }
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
  printf("\n    d=%u %s/%s/%s: ", d, transport, alignment, split);
  CU_ASSERT(memcmp(y[0], y[1], n * sizeof(double)) == 0);
  CU_ASSERT(memcmp(y[0], y[2], n * sizeof(double)) == 0);
  for (int k = 0; k < 3; k++) free(y[k]);
  kl_instance_free(m);
  kl_instance_free(init);
}

static void test_thread_count_bit_identical(void) {
  run_threads(1, "muscl", "remap", "strang");
  run_threads(1, "muscl", "exact", "lie");
  run_threads(1, "sl", "upwind_balanced", "strang");
  run_threads(1, "upwind", "upwind", "strang");
  run_threads(2, "muscl", "remap", "strang");
  run_threads(2, "sl", "exact", "lie");
  run_threads(2, "muscl", "upwind_interface", "strang");
}

static CU_TestInfo tests[] = {{"homogeneous exact solution d=1, order in dv", test_homogeneous_1d},
                              {"homogeneous exact solution d=2", test_homogeneous_2d},
                              {"homogeneous remap, strong contraction, order >= 1.8",
                               test_homogeneous_remap_strong},
                              {"remap: mass and momentum over 4000 small steps", test_remap_many_steps},
                              {"exact alignment contracts for a large dt",
                               test_exact_alignment_large_dt},
                              {"homogeneous upwind_balanced, L1 and Linf order",
                               test_homogeneous_balanced},
                              {"inhomogeneous muscl/upwind_balanced/strang",
                               test_inhomogeneous_balanced},
                              {"inhomogeneous muscl/exact/strang", test_inhomogeneous_muscl_exact},
                              {"inhomogeneous muscl/remap/strang, sl/remap/lie",
                               test_inhomogeneous_remap},
                              {"inhomogeneous upwind/exact/lie", test_inhomogeneous_upwind_lie},
                              {"inhomogeneous sl/upwind/strang", test_inhomogeneous_sl},
                              {"interface flux drifts in momentum", test_interface_flux_drifts},
                              {"CFL refusal", test_cfl_refusal},
                              {"1, 2, 3 threads give the same bytes", test_thread_count_bit_identical},
                              {"dx must divide the domain", test_bad_dx},
                              {"cs_grid, cs_exact_error hand-computed", test_cs_diagnostics_hand_computed},
                              {"cs_entropy_rate hand-computed", test_cs_entropy_rate_hand_computed},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"cs_kinetic", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};

int main(void) { return kl_test_main(suites); }
