/* plugins/landau/tests/test_landau_tree.c - the barycentric Lagrange treecode
 * of the collision pair sum (landau_tree.h, pair_sum: tree) against the direct
 * sum: accuracy for every named gamma and a user kernel in d = 2 and 3, its
 * convergence in the degree, thread determinism, degenerate clouds, and the
 * model's pair_sum / tree_* parameters. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "testutil.h"
#include "../landau_pairs.h"

/* A user kernel, not a power law: screened Coulomb phi = C e^(-r/2) / r^3
 * (analytic away from 0, like every kernel the treecode is meant for). */
static void screened_weight(void *s, size_t n, const double *r2, double *phi) {
  (void)s;
  for (size_t i = 0; i < n; i++) {
    const double r = sqrt(r2[i]);
    phi[i] = r2[i] > 0 ? 0.05 * exp(-0.5 * r) / (r2[i] * r) : 0.0;
  }
}
static const kl_kernel_ops screened_ops = {sizeof(kl_kernel_ops), screened_weight, NULL, NULL,
                                           NULL};

static kl_registry *user_registry;
static kl_instance *user_kernel(unsigned d) {
  if (!user_registry) {
    static const kl_plugin_info info = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "screened_test",
                                        "test", NULL, &screened_ops, NULL, NULL};
    kl_error err = {0, ""};
    user_registry = kl_registry_new();
    CU_ASSERT_FATAL(user_registry && kl_registry_add(user_registry, &info, "test", &err) == KL_OK);
  }
  kl_error err = {0, ""};
  kl_instance *k = NULL;
  CU_ASSERT_EQUAL(kl_instance_from_yaml(user_registry, KL_KIND_KERNEL, "{type: screened_test}",
                                        d, 0, NULL, NULL, &k, &err),
                  KL_OK);
  return k;
}

/* N particles: a Gaussian-like cloud (sum of three uniforms) with a denser
 * clump, random F, positive weights; one pair coincident (z = 0). */
static void cloud(unsigned d, size_t N, double *v, double *F, double *w) {
  unsigned long long s = 0x9E3779B97F4A7C15ull;
#define RND() (s ^= s << 13, s ^= s >> 7, s ^= s << 17, (double)(s >> 11) / 9007199254740992.0)
  for (size_t i = 0; i < N; i++) {
    const double scale = i % 5 == 0 ? 0.2 : 1.0; /* a fifth in a clump */
    for (unsigned a = 0; a < d; a++) {
      v[a * N + i] = scale * (RND() + RND() + RND() - 1.5) * 2;
      F[a * N + i] = 2 * RND() - 1;
    }
    w[i] = (0.5 + RND()) / (double)N;
  }
#undef RND
  for (unsigned a = 0; a < d; a++) v[a * N + 7] = v[a * N + 3];
}

/* max_i |x_i - ref_i| / max_i |ref_i| over the vectors (Euclidean per particle). */
static double rel_error(unsigned d, size_t N, const double *ref, const double *x) {
  double e = 0, u = 0;
  for (size_t i = 0; i < N; i++) {
    double e2 = 0, u2 = 0;
    for (unsigned a = 0; a < d; a++) {
      const double di = x[a * N + i] - ref[a * N + i];
      e2 += di * di, u2 += ref[a * N + i] * ref[a * N + i];
    }
    e = fmax(e, sqrt(e2)), u = fmax(u, sqrt(u2));
  }
  CU_ASSERT(u > 0);
  return u > 0 ? e / u : INFINITY;
}

typedef struct {
  double gamma; /* NAN: the user kernel */
  gamma_case gc;
} kcase;
static const kcase kcases[] = {{-3, G_M3}, {-2, G_M2}, {-1, G_M1}, {0, G_0},
                               {1, G_1},   {NAN, G_PLUGIN}};

/* The direct (tiles) and tree sums of one case; the tree's relative error. */
static double tree_error(unsigned d, size_t N, const double *v, const double *F, const double *w,
                         const kcase *kc, unsigned degree, double theta, size_t leaf) {
  const double C = 0.3;
  kl_instance *k = isnan(kc->gamma) ? user_kernel(d) : NULL;
  double *ref = malloc(d * N * sizeof *ref), *out = malloc(d * N * sizeof *out);
  CU_ASSERT_FATAL(ref && out);
  lp_pairs p = {0}, q = {0};
  p.gc = q.gc = kc->gc, p.C = q.C = C, p.gamma = q.gamma = kc->gamma, p.kern = q.kern = k;
  q.use_tree = true, q.tree.degree = degree, q.tree.theta = theta, q.tree.leaf_size = leaf;
  CU_ASSERT_FATAL(lp_pairs_init(&p, d, N) == 0 && lp_pairs_init(&q, d, N) == 0);
  CU_ASSERT_EQUAL(lp_pairs_sum(&p, v, F, w, ref), KL_OK);
  CU_ASSERT_EQUAL(lp_pairs_sum(&q, v, F, w, out), KL_OK);
  const double e = rel_error(d, N, ref, out);
  double near, far;
  lt_interactions(&q.tree, &near, &far);
  CU_ASSERT(far > 0); /* the far field (interpolation) is exercised */
  lp_pairs_free(&p), lp_pairs_free(&q);
  free(ref), free(out);
  kl_instance_free(k);
  return e;
}

/* Tree vs direct for gamma = -3, -2, -1, 0, 1 and the user kernel, d = 2, 3.
 * The bound: the tensor Chebyshev interpolant of degree n of a function
 * analytic in the Bernstein ellipse of parameter rho converges like rho^-n;
 * the acceptance criterion puts every interpolated cluster at R > r_C / theta,
 * where rho >= 1/theta, so the far field's error is O(theta^n) relative to it
 * (landau_tree.h).  The test asserts error <= theta^n at theta = 0.5 and the
 * degrees n = 4 (6.3e-2) and 8 (3.9e-3), and the convergence that bound
 * predicts: e(8) <= theta^4 e(4).  A wrong weight, node, charge or acceptance
 * gives an O(1) error or no convergence; the measured errors (about 1e-5 and
 * 1e-8, printed with KL_TEST_VERBOSE=1) sit far below.  gamma = 0: the kernels
 * are quadratic polynomials, interpolated exactly by any degree >= 2, so both
 * errors are round-off (<= 1e-12).  N is large enough that clusters of more
 * than (n+1)^d particles exist: tree_error asserts the far field was used. */
static void test_accuracy(void) {
  const double theta = 0.5;
  for (unsigned d = 2; d <= 3; d++) {
    const size_t N = d == 2 ? 3000 : 8000;
    double *v = malloc(d * N * sizeof *v), *F = malloc(d * N * sizeof *F),
           *w = malloc(N * sizeof *w);
    CU_ASSERT_FATAL(v && F && w);
    cloud(d, N, v, F, w);
    for (size_t c = 0; c < sizeof kcases / sizeof *kcases; c++) {
      const double e4 = tree_error(d, N, v, F, w, kcases + c, 4, theta, 16);
      const double e8 = tree_error(d, N, v, F, w, kcases + c, 8, theta, 16);
      if (getenv("KL_TEST_VERBOSE"))
        printf("\n    d = %u, gamma = %g: error %.3g (degree 4), %.3g (degree 8)", d,
               kcases[c].gamma, e4, e8);
      CU_ASSERT(e4 <= pow(theta, 4));
      CU_ASSERT(e8 <= pow(theta, 8));
      if (kcases[c].gc == G_0) {
        CU_ASSERT(e4 <= 1e-12 && e8 <= 1e-12);
      } else {
        CU_ASSERT(e8 <= pow(theta, 4) * e4);
      }
    }
    free(v), free(F), free(w);
  }
}

/* Bit-identical results for 1 and 2 threads (and a repeated sum), d = 2, 3,
 * a fast path and the table path. */
static void test_threads(void) {
#ifdef _OPENMP
  const int saved = omp_get_max_threads();
  for (unsigned d = 2; d <= 3; d++) {
    const size_t N = 3000;
    double *v = malloc(d * N * sizeof *v), *F = malloc(d * N * sizeof *F),
           *w = malloc(N * sizeof *w), *o1 = malloc(d * N * sizeof *o1),
           *o2 = malloc(d * N * sizeof *o2), *o3 = malloc(d * N * sizeof *o3);
    CU_ASSERT_FATAL(v && F && w && o1 && o2 && o3);
    cloud(d, N, v, F, w);
    const kcase cs[] = {{-3, G_M3}, {-2.7, G_GENERIC}};
    for (size_t c = 0; c < 2; c++) {
      lp_pairs q = {0};
      q.gc = cs[c].gc, q.C = 0.3, q.gamma = cs[c].gamma;
      q.use_tree = true, q.tree.degree = 5, q.tree.theta = 0.6, q.tree.leaf_size = 20;
      CU_ASSERT_FATAL(lp_pairs_init(&q, d, N) == 0);
      omp_set_num_threads(1);
      CU_ASSERT_EQUAL(lp_pairs_sum(&q, v, F, w, o1), KL_OK);
      omp_set_num_threads(2);
      CU_ASSERT_EQUAL(lp_pairs_sum(&q, v, F, w, o2), KL_OK);
      CU_ASSERT_EQUAL(lp_pairs_sum(&q, v, F, w, o3), KL_OK);
      CU_ASSERT(memcmp(o1, o2, d * N * sizeof *o1) == 0);
      CU_ASSERT(memcmp(o2, o3, d * N * sizeof *o1) == 0);
      lp_pairs_free(&q);
    }
    free(v), free(F), free(w), free(o1), free(o2), free(o3);
  }
  omp_set_num_threads(saved);
#else
  CU_PASS("no OpenMP");
#endif
}

/* Degenerate clouds: N = 1 and 2, every particle at one point (one leaf of
 * zero extent, nothing interacts), a flat cloud (one axis of zero extent,
 * larger than a leaf: clusters with a degenerate axis are interpolated):
 * equal to the direct sum within the test's bound, finite, no crash. */
static void test_degenerate(void) {
  const unsigned d = 3;
  const size_t N = 2000;
  double *v = malloc(d * N * sizeof *v), *F = malloc(d * N * sizeof *F),
         *w = malloc(N * sizeof *w), *ref = malloc(d * N * sizeof *ref),
         *out = malloc(d * N * sizeof *out);
  CU_ASSERT_FATAL(v && F && w && ref && out);
  cloud(d, N, v, F, w);
  for (int shape = 0; shape < 4; shape++) {
    const size_t n = shape == 0 ? 1 : shape == 1 ? 2 : N;
    double *vv = malloc(d * n * sizeof *vv), *FF = malloc(d * n * sizeof *FF);
    CU_ASSERT_FATAL(vv && FF);
    for (unsigned a = 0; a < d; a++)
      for (size_t i = 0; i < n; i++) {
        vv[a * n + i] = shape == 2 ? 0.25 : shape == 3 && a == 2 ? -1.0 : v[a * N + i];
        FF[a * n + i] = F[a * N + i];
      }
    lp_pairs p = {0}, q = {0};
    p.gc = q.gc = G_M3, p.C = q.C = 0.3, p.gamma = q.gamma = -3;
    q.use_tree = true, q.tree.degree = 8, q.tree.theta = 0.5, q.tree.leaf_size = 16;
    CU_ASSERT_FATAL(lp_pairs_init(&p, d, n) == 0 && lp_pairs_init(&q, d, n) == 0);
    CU_ASSERT_EQUAL(lp_pairs_sum(&p, vv, FF, w, ref), KL_OK);
    CU_ASSERT_EQUAL(lp_pairs_sum(&q, vv, FF, w, out), KL_OK);
    double e = 0, u = 0;
    for (size_t i = 0; i < d * n; i++) {
      CU_ASSERT(isfinite(out[i]));
      e = fmax(e, fabs(out[i] - ref[i])), u = fmax(u, fabs(ref[i]));
    }
    CU_ASSERT(e <= pow(0.5, 8) * u);
    if (shape == 2) {
      CU_ASSERT(u == 0 && e == 0); /* coincident: no interaction */
    }
    lp_pairs_free(&p), lp_pairs_free(&q);
    free(vv), free(FF);
  }
  free(v), free(F), free(w), free(ref), free(out);
}

/* The model: pair_sum: tree gives the direct rhs to the tree's accuracy; a bad
 * tree_theta, or moments for a non-polynomial kernel, is refused naming the key. */
static void test_model(void) {
  kl_instance *init = kl_test_instance(KL_KIND_INITIAL, "{type: maxwellian}", 3, 0, NULL, NULL);
  if (!init) return;
  const char *base = "{type: landau_particles, d: 3, n: 14, box: 4, kernel: {type: power_law, "
                     "gamma: -3}";
  char y[512];
  snprintf(y, sizeof y, "%s, pair_sum: direct}", base);
  kl_instance *md = kl_test_instance(KL_KIND_MODEL, y, 3, 0, init, NULL);
  snprintf(y, sizeof y, "%s, pair_sum: tree, tree_degree: 8, tree_theta: 0.5, tree_leaf_size: 20}",
           base);
  kl_instance *mt = kl_test_instance(KL_KIND_MODEL, y, 3, 0, init, NULL);
  if (md && mt) {
    const size_t n = kl_model_size(md);
    double *yy = malloc(n * sizeof *yy), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b),
           t = 0;
    kl_error err = {0, ""};
    CU_ASSERT_FATAL(yy && a && b);
    CU_ASSERT_EQUAL(kl_model_initial(md, &t, yy, &err), KL_OK);
    CU_ASSERT_EQUAL(kl_model_rhs(md, 0, yy, a, &err), KL_OK);
    CU_ASSERT_EQUAL(kl_model_rhs(mt, 0, yy, b, &err), KL_OK);
    CU_ASSERT(rel_error(3, n / 3, a, b) <= pow(0.5, 8));
    CU_ASSERT(rel_error(3, n / 3, a, b) > 0); /* it is the treecode, not the direct sum */
    free(yy), free(a), free(b);
  }
  kl_instance_free(md);
  kl_instance_free(mt);
  static const struct {
    const char *extra, *key;
  } bad[] = {{"pair_sum: moments", "pair_sum"},
             {"pair_sum: tree, tree_theta: 1", "tree_theta"},
             {"pair_sum: tree, tree_theta: 0", "tree_theta"},
             {"pair_sum: tree, tree_degree: 0", "tree_degree"},
             {"pair_sum: tree, tree_degree: 17", "tree_degree"},
             {"pair_sum: tree, tree_leaf_size: 0", "tree_leaf_size"},
             {"pair_sum: fast", "pair_sum"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(y, sizeof y, "%s, %s}", base, bad[i].extra);
    kl_instance *m = NULL;
    kl_error err = {0, ""};
    CU_ASSERT_NOT_EQUAL(kl_test_instance_status(KL_KIND_MODEL, y, 3, 0, init, NULL, &m, &err),
                        KL_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, bad[i].key));
    kl_instance_free(m);
  }
  kl_instance_free(init);
}

static int cleanup(void) {
  kl_registry_free(user_registry);
  user_registry = NULL;
  return 0;
}

static CU_TestInfo tests[] = {{"tree vs direct, every gamma and a user kernel", test_accuracy},
                              {"thread determinism", test_threads},
                              {"degenerate clouds", test_degenerate},
                              {"model pair_sum: tree", test_model},
                              CU_TEST_INFO_NULL};
static CU_SuiteInfo suites[] = {{"landau treecode", NULL, cleanup, NULL, NULL, tests},
                                CU_SUITE_INFO_NULL};
int main(void) { return kl_test_main(suites); }
