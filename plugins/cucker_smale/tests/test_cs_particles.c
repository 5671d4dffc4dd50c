/* plugins/cucker_smale/tests/test_cs_particles.c - the cs_particles model (paper 004, (1.4)): all-to-all
 * homogeneous exact solution, momentum conservation of the local pair sum, cell lists
 * against brute force (cs_cells.c is compiled into this program). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_cells.h"
#include "testutil.h"

/* classical RK4 on the model's rhs (the integrator plugins are not needed here) */
static void rk4(kl_instance *m, double t, double h, double *y, size_t n) {
  double *k1 = malloc(5 * n * sizeof *k1), *k2 = k1 + n, *k3 = k2 + n, *k4 = k3 + n, *z = k4 + n;
  kl_error err = {0, ""};
  kl_model_rhs(m, t, y, k1, &err);
  for (size_t i = 0; i < n; i++) z[i] = y[i] + h / 2 * k1[i];
  kl_model_rhs(m, t + h / 2, z, k2, &err);
  for (size_t i = 0; i < n; i++) z[i] = y[i] + h / 2 * k2[i];
  kl_model_rhs(m, t + h / 2, z, k3, &err);
  for (size_t i = 0; i < n; i++) z[i] = y[i] + h * k3[i];
  kl_model_rhs(m, t + h, z, k4, &err);
  for (size_t i = 0; i < n; i++) y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  free(k1);
}

/* psi == 1, dim_x = 0, mass m: dv_i/dt = gamma m (vbar - v_i), so
 * v_i(t) = vbar + e^{-gamma m t} (v_i(0) - vbar).  RK4 with h = 0.05, rate gamma m = 1.5:
 * the per-step amplification error is (rate h)^5/120 ~ 2e-8 relative, 40 steps ~ 1e-6 of
 * |v - vbar| <= 2: tolerance 1e-5.  The rate checks the rescaling: a wrong factor
 * (N, eps^-d, 1/V) would be off by orders of magnitude. */
static void test_all_to_all_exact(void) {
  unsigned d = 2;
  kl_instance *init = kl_test_instance(
      KL_KIND_INITIAL, "{type: cs_patch, center: [0.5, -0.2], side: [2, 1], mass: 1.5}", d, 0,
      NULL, NULL);
  kl_instance *m =
      init ? kl_test_instance(KL_KIND_MODEL,
                              "{type: cs_particles, d: 2, dim_x: 0, N: 500, psi: psi_all_to_all, "
                              "gamma: 1, seed: 7}",
                              d, 0, init, NULL)
           : NULL;
  if (!m) {
    kl_instance_free(init);
    return;
  }
  size_t n = kl_model_size(m), N = 500;
  CU_ASSERT_EQUAL(n, 2 * N);
  double *y = calloc(n, sizeof *y), *y0 = calloc(n, sizeof *y0), t = 0, a[8], b[8];
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_model_initial(m, &t, y, &err), KL_OK);
  memcpy(y0, y, n * sizeof *y);
  /* sampling: inside the patch, reproducible */
  for (size_t i = 0; i < N; i++) {
    CU_ASSERT(y[i] >= -0.5 && y[i] <= 1.5);
    CU_ASSERT(y[N + i] >= -0.7 && y[N + i] <= 0.3);
  }
  kl_model_invariants(m, 0, y, a, &err);
  CU_ASSERT_DOUBLE_EQUAL(a[0], 1.5, 1e-15);
  double vbar[2] = {a[1] / a[0], a[2] / a[0]}, rate = 1.0 * 1.5, h = 0.05;
  for (int s = 0; s < 40; s++) rk4(m, s * h, h, y, n);
  double T = 40 * h, maxerr = 0;
  for (unsigned k = 0; k < d; k++)
    for (size_t i = 0; i < N; i++) {
      double ex = vbar[k] + exp(-rate * T) * (y0[k * N + i] - vbar[k]);
      maxerr = fmax(maxerr, fabs(y[k * N + i] - ex));
    }
  printf("\n    all-to-all max |v - exact| = %.2e ", maxerr);
  CU_ASSERT(maxerr < 1e-5);
  kl_model_invariants(m, T, y, b, &err);
  CU_ASSERT(fabs(b[1] - a[1]) < 1e-13 && fabs(b[2] - a[2]) < 1e-13);
  /* velocity radius shrinks like e^{-gamma m t} (Cor. 2.4(2)) */
  KL_ASSERT_CLOSE(b[4], a[4] * exp(-rate * T), 1e-5);
  /* same seed, same sample */
  kl_instance *m2 = kl_test_instance(KL_KIND_MODEL,
                                     "{type: cs_particles, d: 2, dim_x: 0, N: 500, psi: "
                                     "psi_all_to_all, gamma: 1, seed: 7}",
                                     d, 0, init, NULL);
  if (m2) {
    kl_model_initial(m2, &t, y, &err);
    CU_ASSERT(memcmp(y, y0, n * sizeof *y) == 0);
  }
  kl_instance_free(m2);
  free(y), free(y0);
  kl_instance_free(m);
  kl_instance_free(init);
}

/* Local interaction (indicator, 1-D periodic box, N eps = 1): sum_i w dv_i/dt = 0 to
 * round-off for every state, and momentum stays put over an RK4 run. */
static void test_local_momentum(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: cs_patch}", 1, 1, NULL, NULL);
  kl_instance *m =
      init ? kl_test_instance(KL_KIND_MODEL,
                              "{type: cs_particles, d: 1, dim_x: 1, N: 4000, gamma: 1, "
                              "psi: psi_indicator, box_lo: [0], box_hi: [20]}",
                              1, 1, init, NULL)
           : NULL;
  if (!m) {
    kl_instance_free(init);
    return;
  }
  size_t n = kl_model_size(m), N = 4000;
  double *y = calloc(n, sizeof *y), *f = calloc(n, sizeof *f), t = 0, a[8], b[8];
  kl_error err = {0, ""};
  CU_ASSERT_EQUAL_FATAL(kl_model_initial(m, &t, y, &err), KL_OK);
  CU_ASSERT_EQUAL(kl_model_rhs(m, 0, y, f, &err), KL_OK);
  double s = 0, sa = 0;
  for (size_t i = 0; i < N; i++) s += f[N + i], sa += fabs(f[N + i]);
  CU_ASSERT(sa > 0);
  CU_ASSERT(fabs(s) < 1e-13 * sa);
  kl_model_invariants(m, 0, y, a, &err);
  for (int k = 0; k < 50; k++) rk4(m, k * 0.01, 0.01, y, n);
  kl_model_invariants(m, 0.5, y, b, &err);
  printf("\n    local: momentum drift %.1e, energy %.5f -> %.5f ", b[1] - a[1], a[2], b[2]);
  CU_ASSERT(fabs(b[1] - a[1]) < 1e-13);
  CU_ASSERT(b[2] < a[2]); /* alignment dissipates energy */
  free(y), free(f);
  kl_instance_free(m);
  kl_instance_free(init);
}

/* ------------------------------------------------ cell list vs brute force */
typedef struct pairs {
  size_t n, cap;
  uint64_t *key;
} pairs;

static void collect(void *ctx, size_t i, size_t j, const double *dx, double r2) {
  (void)dx, (void)r2;
  pairs *p = ctx;
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 1024;
    p->key = realloc(p->key, p->cap * sizeof *p->key);
  }
  size_t a = i < j ? i : j, b = i < j ? j : i;
  p->key[p->n++] = ((uint64_t)a << 32) | b;
}

static int cmp64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return *s >> 11;
}

static void test_cells_vs_brute(void) {
  uint64_t seed = 12345;
  for (unsigned dim = 1; dim <= 3; dim++)
    for (int periodic = 0; periodic <= 1; periodic++)
      for (int rep = 0; rep < 4; rep++) {
        size_t n = 600 + 300 * rep;
        double lo[3] = {-1, 0, 2}, len[3] = {3, 2.5, 1.7};
        double cutoff = rep == 2 ? 0.9 : 0.21; /* rep 2: < 3 cells in some directions */
        /* rep 3: a cluster of side 0.05 near the box corner with a tiny cut-off (the
         * N eps = 1 situation): more than 4n + 64 cells of side cutoff, so the cells
         * are merged (and, periodic, the cluster straddles the wrap-around). */
        double clus = rep == 3 ? 0.05 : 1;
        if (rep == 3) cutoff = dim == 1 ? 2e-4 : 0.01;
        double *x[3];
        for (unsigned k = 0; k < 3; k++) {
          x[k] = malloc(n * sizeof *x[k]);
          for (size_t i = 0; i < n; i++)
            x[k][i] = (rep == 3 ? lo[k] - 0.02 : lo[k]) +
                      clus * len[k] * ((double)lcg(&seed) * 0x1.0p-53) +
                      (periodic && i % 7 == 0 ? len[k] : 0); /* some outside the box */
        }
        pairs A = {0}, B = {0};
        cs_cells c = {0};
        CU_ASSERT_EQUAL_FATAL(cs_cells_build(&c, dim, periodic, lo, len, cutoff, n,
                                             (const double *const *)x),
                              0);
        CU_ASSERT(c.brute || c.ncell <= 4 * n + 64);
        cs_cells_for_pairs(&c, (const double *const *)x, collect, &A);
        cs_pairs_brute(dim, periodic, len, cutoff, n, (const double *const *)x, collect, &B);
        CU_ASSERT_EQUAL(A.n, B.n);
        CU_ASSERT(A.n > 0);
        if (A.n == B.n && A.n) {
          qsort(A.key, A.n, sizeof *A.key, cmp64);
          qsort(B.key, B.n, sizeof *B.key, cmp64);
          CU_ASSERT(memcmp(A.key, B.key, A.n * sizeof *A.key) == 0);
          for (size_t i = 1; i < A.n; i++) CU_ASSERT_FATAL(A.key[i] != A.key[i - 1]);
        }
        cs_cells_free(&c);
        free(A.key), free(B.key);
        for (unsigned k = 0; k < 3; k++) free(x[k]);
      }
}

/* A homogeneous run with a local psi is refused with the key named. */
static void test_homogeneous_needs_all_to_all(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: cs_patch}", 1, 0, NULL, NULL);
  kl_instance *m = NULL;
  kl_error err = {0, ""};
  int rc = kl_test_instance_status(KL_KIND_MODEL, "{type: cs_particles, d: 1, dim_x: 0}", 1, 0,
                                   init, NULL, &m, &err);
  CU_ASSERT_EQUAL(rc, KL_EINVAL);
  CU_ASSERT(strstr(err.message, "psi") != NULL);
  kl_instance_free(m);
  kl_instance_free(init);
}

/* cs_moments on a hand-computed particle view: bins [0,1) [1,2) [2,3) [3,4), particles
 * (x, v, w) = (0.5, 2, 1) (0.7, 4, 1) (2.5, -1, 2) (4.5, 0, 1) (1.0, 10, 0.002).  With wrap,
 * x = 4.5 is 0.5: bin 0 holds mass 3 with mean velocity 2, bin 1 0.002 (below 1e-3 x
 * rho_max: left out of the spread), bin 2 mass 2 at -1: rho_max 3, u_spread 3.  Without
 * wrap x = 4.5 is dropped: bin 0 mass 2 at 3, rho_max 2, u_spread 4. */
static void test_moments_hand_computed(void) {
  const double x[5] = {0.5, 0.7, 2.5, 4.5, 1.0}, v[5] = {2, 4, -1, 0, 10},
               w[5] = {1, 1, 2, 1, 0.002};
  kl_view view;
  memset(&view, 0, sizeof view);
  view.kind = KL_VIEW_PARTICLES;
  view.dim_v = 1, view.dim_x = 1;
  view.particles.n = 5;
  view.particles.x[0] = x, view.particles.v[0] = v, view.particles.w = w;
  const char *specs[2] = {"{type: cs_moments, x_lo: 0, x_hi: 4, bins: 4}",
                          "{type: cs_moments, x_lo: 0, x_hi: 4, bins: 4, wrap: false}"};
  const double expect[2][2] = {{3, 3}, {2, 4}};
  for (int k = 0; k < 2; k++) {
    kl_instance *diag = kl_test_instance(KL_KIND_DIAGNOSTIC, specs[k], 1, 1, NULL, NULL);
    if (!diag) continue;
    kl_observation obs = {0, 0, NULL, &view, NULL, NULL};
    double vals[2];
    kl_error err = {0, ""};
    CU_ASSERT_EQUAL(kl_diagnostic_observe(diag, &obs, vals, &err), KL_OK);
    KL_ASSERT_CLOSE(vals[0], expect[k][0], 1e-15);
    KL_ASSERT_CLOSE(vals[1], expect[k][1], 1e-15);
    kl_instance_free(diag);
  }
}


/* The built-in communication weights (cs_psi.c) against values computed by hand:
 * bump(0.5) = exp(1 - 1/0.75) = exp(-1/3); power law beta = 1.5, ell = 2: (1 + 1)^-1.5 at
 * r = 2, 5^-1.5 at r = 4; integrals |B_1| = 2, pi, 4 pi/3 (indicator), pi^(d/2) ell^d
 * Gamma(beta - d/2) / Gamma(beta) = 4 (d = 1), 8 pi (d = 2), infinite for beta <= d/2
 * (power law), e int_{-1}^{1} exp(-1/(1 - x^2)) dx = 1.206900322437918 (bump, d = 1, from a
 * 2e6-interval Simpson rule). */
static void test_psi_hand_values(void) {
  static const double r[] = {0, 0.5, 0.999, 1, 2, 4};
  static const struct {
    const char *yaml;
    double psi[6], integral[3], tol;
  } cases[] = {
      {"{type: psi_indicator}", {1, 1, 1, 0, 0, 0}, {2, M_PI, 4 * M_PI / 3}, 1e-15},
      {"{type: psi_bump}",
       {1, 0.7165313105737893, exp(1 - 1 / (1 - 0.999 * 0.999)), 0, 0, 0},
       {1.206900322437918, NAN, NAN}, 1e-12},
      {"{type: psi_power_law, beta: 1.5, ell: 2}",
       {1, pow(1.0625, -1.5), pow(1 + 0.999 * 0.999 / 4, -1.5), pow(1.25, -1.5),
        0.3535533905932738, 0.08944271909999159},
       {4, 8 * M_PI, INFINITY}, 1e-14},
      {"{type: psi_all_to_all}", {1, 1, 1, 1, 1, 1}, {INFINITY, INFINITY, INFINITY}, 0},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    kl_instance *w = kl_test_instance(KL_KIND_COMM_WEIGHT, cases[c].yaml, 1, 1, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (size_t i = 0; i < 6; i++) {
      double v = kl_comm_weight_at(w, r[i]), e = cases[c].psi[i];
      if (!(fabs(v - e) <= cases[c].tol * fabs(e)))
        printf("\n    %s at r = %g: %.17g, expected %.17g", cases[c].yaml, r[i], v, e);
      CU_ASSERT(fabs(v - e) <= cases[c].tol * fabs(e));
    }
    for (unsigned d = 1; d <= 3; d++) {
      double I = kl_comm_weight_integral(w, d), e = cases[c].integral[d - 1];
      if (isnan(e)) continue;
      bool ok = isinf(e) ? I == e : fabs(I - e) <= 1e-12 * e;
      if (!ok) printf("\n    %s: integral in d = %u %.17g, expected %.17g", cases[c].yaml, d, I, e);
      CU_ASSERT(ok);
    }
    kl_instance_free(w);
  }
}

static CU_TestInfo tests[] = {{"all-to-all exact solution", test_all_to_all_exact},
                              {"built-in psi against hand values", test_psi_hand_values},
                              {"local pair sum keeps momentum", test_local_momentum},
                              {"cell lists equal brute force", test_cells_vs_brute},
                              {"homogeneous needs all_to_all", test_homogeneous_needs_all_to_all},
                              {"cs_moments hand-computed", test_moments_hand_computed},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"cs_particles", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};

int main(void) { return kl_test_main(suites); }
