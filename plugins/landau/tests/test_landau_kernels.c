/* plugins/landau/tests/test_landau_kernels.c - the power_law collision kernel, and the pair
 * sums of landau_pairs.h (the model's, shared as source) against a direct sum
 * in long double. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "../landau_pairs.h"

static const double gammas[] = {2, 1, 0.5, 0, -1, -2, -2.5, -3};

static kl_instance *kernel(double gamma, double C) {
  char y[128];
  snprintf(y, sizeof y, "{type: power_law, gamma: %.17g, C: %.17g}", gamma, C);
  return kl_test_instance(KL_KIND_KERNEL, y, 3, 0, NULL, NULL);
}

/* A(z) = phi (|z|^2 I - z z^T): A(z) z = 0, x.A(z)y = y.A(z)x, x.A(z)x >= 0, and
 * x.A(z)x = phi |z|^2 |x_perp|^2 exactly; round-off tolerance 1e-13 relative. */
static void test_structure(void) {
  const double zs[][3] = {{0.3, -1.2, 0.5}, {2.0, 0.1, -0.4}, {-0.01, 0.02, 0.005}};
  const double xs[][3] = {{1, 0.5, -2}, {-0.3, 0.7, 0.2}};
  for (size_t g = 0; g < sizeof gammas / sizeof *gammas; g++) {
    kl_instance *k = kernel(gammas[g], 0.7);
    if (!k) continue;
    for (unsigned d = 2; d <= 3; d++)
      for (size_t i = 0; i < 3; i++) {
        const double *z = zs[i];
        double r2 = 0, az[3], ax[3], ay[3];
        for (unsigned a = 0; a < d; a++) r2 += z[a] * z[a];
        double phi = 0.7 * pow(r2, 0.5 * gammas[g]), scale = phi * r2;
        kl_kernel_apply(k, d, z, z, az);
        for (unsigned a = 0; a < d; a++) KL_ASSERT_CLOSE(az[a], 0.0, 1e-13 * scale * sqrt(r2));
        kl_kernel_apply(k, d, z, xs[0], ax);
        kl_kernel_apply(k, d, z, xs[1], ay);
        double xay = 0, yax = 0, xax = 0, xz = 0, xx = 0;
        for (unsigned a = 0; a < d; a++) {
          xay += xs[0][a] * ay[a];
          yax += xs[1][a] * ax[a];
          xax += xs[0][a] * ax[a];
          xz += xs[0][a] * z[a];
          xx += xs[0][a] * xs[0][a];
        }
        KL_ASSERT_CLOSE(xay, yax, 1e-13 * scale * 5);
        CU_ASSERT(xax >= -1e-13 * scale * xx);
        KL_ASSERT_CLOSE(xax, phi * (r2 * xx - xz * xz), 1e-13 * scale * xx);
      }
    kl_instance_free(k);
  }
}

/* phi = C r^gamma (fast paths against pow), phi(0) = 0 and finite for every gamma. */
static void test_weight(void) {
  for (size_t g = 0; g < sizeof gammas / sizeof *gammas; g++) {
    kl_instance *k = kernel(gammas[g], 1.0 / 24);
    if (!k) continue;
    double r2[4] = {0.0, 1e-300, 0.49, 9.0}, phi[4];
    kl_kernel_weight(k, 4, r2, phi);
    CU_ASSERT_EQUAL(phi[0], 0.0);
    /* never NaN; r^gamma overflows to +inf at r2 = 1e-300 only for gamma < -2 */
    for (int i = 0; i < 4; i++) CU_ASSERT(!isnan(phi[i]) && (isfinite(phi[i]) || (gammas[g] < -2 && i == 1)));
    for (int i = 2; i < 4; i++)
      KL_ASSERT_CLOSE(phi[i], pow(r2[i], 0.5 * gammas[g]) / 24, 1e-15 * phi[i]);
    KL_ASSERT_CLOSE(kl_kernel_gamma(k), gammas[g], 0);
    KL_ASSERT_CLOSE(kl_kernel_power_law_coefficient(k), 1.0 / 24, 0);
    kl_instance_free(k);
  }
}

/* A named regime checks gamma; the message names the key and the regime. */
static void test_regimes(void) {
  static const struct {
    const char *yaml;
    int ok;
    const char *regime;
  } cases[] = {
      {"{type: power_law, gamma: 1, regime: hard}", 1, "hard"},
      {"{type: power_law, gamma: 0, regime: hard}", 0, "hard"},
      {"{type: power_law, gamma: 0, regime: maxwell}", 1, "maxwell"},
      {"{type: power_law, gamma: -1, regime: maxwell}", 0, "maxwell"},
      {"{type: power_law, gamma: -2, regime: soft}", 1, "soft"},
      {"{type: power_law, gamma: -2.5, regime: soft}", 0, "soft"},
      {"{type: power_law, gamma: 0, regime: soft}", 0, "soft"},
      {"{type: power_law, gamma: -2.5, regime: very_soft}", 1, "very_soft"},
      {"{type: power_law, gamma: -2, regime: very_soft}", 0, "very_soft"},
      {"{type: power_law, gamma: -3, regime: very_soft}", 0, "very_soft"},
      {"{type: power_law, gamma: -3, regime: coulomb}", 1, "coulomb"},
      {"{type: power_law, gamma: -2.9, regime: coulomb}", 0, "coulomb"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    kl_instance *k = NULL;
    kl_error err = {0, ""};
    int rc = kl_test_instance_status(KL_KIND_KERNEL, cases[i].yaml, 2, 0, NULL, NULL, &k, &err);
    if (cases[i].ok) {
      CU_ASSERT_EQUAL(rc, KL_OK);
    } else {
      CU_ASSERT_EQUAL(rc, KL_EINVAL);
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "gamma"));
      CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[i].regime));
    }
    kl_instance_free(k);
  }
  /* below -3 the parameter table's range refuses it */
  kl_instance *k = NULL;
  kl_error err = {0, ""};
  CU_ASSERT_NOT_EQUAL(kl_test_instance_status(KL_KIND_KERNEL, "{type: power_law, gamma: -3.5}",
                                              2, 0, NULL, NULL, &k, &err),
                      KL_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "gamma"));
  kl_instance_free(k);
}

/* ------------------------------------------------- pair sums (landau_pairs.h) */
/* The pair sum dv_i/dt = -sum_j w_j phi(|z|) (|z|^2 dF - (z.dF) z), z = v_i - v_j,
 * dF = F_i - F_j, written out in long double with phi = C powl(|z|^2, gamma/2)
 * (independent of the sqrt/div chains, the SIMD pow and the kernel plugin);
 * coincident particles (z = 0) contribute nothing.  scale[i] = sum_j w_j phi
 * (|z|^2 |dF| + |z.dF| |z|) bounds the magnitude of the summands. */
static void pairs_reference(unsigned d, size_t N, double C, double gamma, const double *v,
                            const double *F, const double *w, long double *ref,
                            long double *scale) {
  for (size_t i = 0; i < N; i++) {
    long double acc[3] = {0, 0, 0}, sc = 0;
    for (size_t j = 0; j < N; j++) {
      long double z[3], g[3], rr = 0, zg = 0, gg = 0;
      for (unsigned a = 0; a < d; a++) {
        z[a] = (long double)v[a * N + i] - v[a * N + j];
        g[a] = (long double)F[a * N + i] - F[a * N + j];
        rr += z[a] * z[a], zg += z[a] * g[a], gg += g[a] * g[a];
      }
      if (rr == 0) continue;
      const long double phi = C * powl(rr, 0.5L * gamma);
      for (unsigned a = 0; a < d; a++) acc[a] -= w[j] * phi * (rr * g[a] - zg * z[a]);
      sc += w[j] * phi * (rr * sqrtl(gg) + fabsl(zg) * sqrtl(rr));
    }
    for (unsigned a = 0; a < d; a++) ref[a * N + i] = acc[a];
    scale[i] = sc;
  }
}

/* max_i |out_i - ref_i| / scale_i (per particle) or / max_i scale_i (global);
 * infinite when an output is NaN. */
static double pairs_error(unsigned d, size_t N, const double *out, const long double *ref,
                          const long double *scale, bool global) {
  long double smax = 0, e = 0;
  for (size_t i = 0; i < N; i++) smax = fmaxl(smax, scale[i]);
  for (size_t i = 0; i < N; i++)
    for (unsigned a = 0; a < d; a++) {
      const long double s = global ? smax : scale[i];
      const long double diff = fabsl((long double)out[a * N + i] - ref[a * N + i]);
      if (!(diff == diff)) return INFINITY; /* NaN (fmaxl would drop it) */
      e = fmaxl(e, s > 0 ? diff / s : (diff > 0 ? INFINITY : 0));
    }
  return (double)e;
}

/* Every gamma path of landau_pairs.h (the named sqrt/div chains -3 ... 2 in
 * steps of 1/2, the generic SIMD pow at -2.7 and 0.3, the kernel plugin per
 * row) in d = 2 and 3, through both sums the model uses: the blocked tiles of
 * lp_pairs_sum (collisions: full; N = 100 gives 4 blocks of 32, the last one
 * short) and lp_pairs_serial (random batches), plus the O(N) moment expansions
 * for gamma = 0 and 2; random particles in [-2, 2]^d with two coincident ones.
 * Tolerance from double rounding: each summand carries <= ~20 u (u = 2^-53) of
 * its bound (z, |z|^2, dF, z.dF, phi: <= 4 correctly rounded ops or pow's 4 ulp,
 * the two products); a recursive sum of m terms adds <= (m - 1) u of the sum of
 * their magnitudes; the tiles and the column buffers add <= B + 2 more roundings:
 * |error_i| <= (N + 32) u scale_i.  We allow (N + 32) DBL_EPSILON = 2x that
 * (6e-14 here); measured <= 1.5e-16.  The moment expansions regroup the same terms
 * through moments of the whole cloud, so their error is relative to the largest
 * scale, not each particle's: allowed 1e-13 (measured <= 1.5e-16).  A wrong
 * exponent, sign or factor in any phi, or a wrong case for a gamma, is O(1). */
static void test_pair_sums(void) {
  static const struct {
    double gamma;
    gamma_case gc;
  } cases[] = {{-3, G_M3},    {-2.5, G_M5_2}, {-2, G_M2},    {-1.5, G_M3_2}, {-1, G_M1},
               {-0.5, G_M1_2}, {0, G_0},       {0.5, G_1_2},  {1, G_1},       {1.5, G_3_2},
               {2, G_2},      {-2.7, G_GENERIC}, {0.3, G_GENERIC}};
  const size_t N = 100;
  const double C = 0.37;
  double *v = malloc(3 * N * sizeof *v), *F = malloc(3 * N * sizeof *F), *w = malloc(N * sizeof *w),
         *out = malloc(3 * N * sizeof *out), *r2 = malloc(N * sizeof *r2),
         *phi = malloc(N * sizeof *phi);
  long double *ref = malloc(3 * N * sizeof *ref), *scale = malloc(N * sizeof *scale);
  CU_ASSERT_FATAL(v && F && w && out && r2 && phi && ref && scale);
  unsigned long long s = 0x2545F4914F6CDD1Dull;
#define RND() (s ^= s << 13, s ^= s >> 7, s ^= s << 17, (double)(s >> 11) / 9007199254740992.0)
  for (size_t i = 0; i < 3 * N; i++) v[i] = 4 * RND() - 2, F[i] = 2 * RND() - 1;
  for (size_t i = 0; i < N; i++) w[i] = (0.5 + RND()) / (double)N;
#undef RND
  for (unsigned d = 2; d <= 3; d++) {
    for (unsigned a = 0; a < d; a++) v[a * N + 57] = v[a * N + 3]; /* coincident: z = 0 */
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
      const double g = cases[c].gamma;
      CU_ASSERT_EQUAL(lp_gamma_case(C, g), cases[c].gc);
      pairs_reference(d, N, C, g, v, F, w, ref, scale);
      const double tol = (double)(N + 32) * DBL_EPSILON;
      /* the blocked tiles (and, for gamma = 0 and 2, the moment expansion) */
      for (int moments = 0; moments <= (cases[c].gc == G_0 || cases[c].gc == G_2); moments++) {
        lp_pairs p = {0};
        p.gc = cases[c].gc, p.C = C, p.gamma = g, p.moments = moments;
        CU_ASSERT_FATAL(lp_pairs_init(&p, d, N) == 0);
        CU_ASSERT_EQUAL(lp_pairs_sum(&p, v, F, w, out), KL_OK);
        const double e = pairs_error(d, N, out, ref, scale, moments);
        if (!(e <= (moments ? 1e-13 : tol)))
          printf("\n    d = %u, gamma = %g, %s: error %.3g ", d, g, moments ? "moments" : "tiles", e);
        CU_ASSERT(e <= (moments ? 1e-13 : tol));
        lp_pairs_free(&p);
      }
      /* the serial sum of a random batch (its first 37 particles) */
      const size_t m = 37;
      double *vb = malloc(3 * m * sizeof *vb), *Fb = malloc(3 * m * sizeof *Fb);
      CU_ASSERT_FATAL(vb && Fb);
      for (unsigned a = 0; a < d; a++)
        for (size_t i = 0; i < m; i++) vb[a * m + i] = v[a * N + i], Fb[a * m + i] = F[a * N + i];
      for (unsigned a = 0; a < d; a++) vb[a * m + 30] = vb[a * m + 3]; /* coincident */
      pairs_reference(d, m, C, g, vb, Fb, w, ref, scale);
      lp_pairs_serial(d, cases[c].gc, C, g, NULL, m, vb, Fb, w, out, r2, phi);
      const double eb = pairs_error(d, m, out, ref, scale, false);
      CU_ASSERT(eb <= (double)(m + 32) * DBL_EPSILON);
      /* the kernel plugin's weight per row (a non-power-law kernel's path) */
      if (cases[c].gc == G_M3 || cases[c].gc == G_GENERIC || cases[c].gc == G_1_2) {
        kl_instance *k = kernel(g, C);
        if (k) {
          lp_pairs p = {0};
          p.gc = G_PLUGIN, p.C = C, p.gamma = g, p.kern = k;
          CU_ASSERT_FATAL(lp_pairs_init(&p, d, N) == 0);
          pairs_reference(d, N, C, g, v, F, w, ref, scale);
          CU_ASSERT_EQUAL(lp_pairs_sum(&p, v, F, w, out), KL_OK);
          CU_ASSERT(pairs_error(d, N, out, ref, scale, false) <= tol);
          lp_pairs_free(&p);
          kl_instance_free(k);
        }
      }
      free(vb);
      free(Fb);
    }
  }
  CU_ASSERT_EQUAL(lp_gamma_case(NAN, 0), G_PLUGIN);
  free(v), free(F), free(w), free(out), free(r2), free(phi), free(ref), free(scale);
}

static CU_TestInfo tests[] = {{"A(z) structure", test_structure},
                              {"weight phi", test_weight},
                              {"regimes", test_regimes},
                              {"pair sums vs long double, every gamma path", test_pair_sums},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"landau kernels", NULL, NULL, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
int main(void) { return kl_test_main(suites); }
