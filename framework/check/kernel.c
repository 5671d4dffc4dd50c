/* kernel.c - conformance of a collision kernel A(z) = phi(|z|)(|z|^2 I - z z^T):
 * phi = 0 at z = 0, finite from tiny to huge |z|; A(z) (the host's
 * kl_kernel_apply from the plugin's weight) symmetric, positive semi-definite
 * and A(z) z = 0; a declared power law phi = C r^gamma agrees with a
 * least-squares fit of log phi against log r; weight is thread-safe.
 *
 * The plugin gives only phi: symmetry and A(z) z = 0 hold by construction,
 * and positive semi-definiteness is phi >= 0 (the eigenvalues of A are 0 and
 * phi |z|^2).  They are still checked on the assembled A, as a model sees it. */
#include <math.h>
#include <string.h>

#include "check.h"

/* |z| from tiny to huge: a kernel is evaluated at every pair distance. */
static const double radii[] = {1e-12, 1e-6, 1e-3, 0.1, 1, 10, 1e3, 1e6, 1e12};
#define N_RADII (sizeof radii / sizeof *radii)

static void check_weight_values(kl_check *c, const kl_instance *k) {
  double r2[N_RADII + 1], phi[N_RADII + 1];
  r2[0] = 0;
  for (size_t i = 0; i < N_RADII; i++) r2[i + 1] = radii[i] * radii[i];
  kl_kernel_weight(k, N_RADII + 1, r2, phi);
  kl_check_result(c, phi[0] == 0, phi[0], 0, "weight at z = 0 (the pair term vanishes): phi(0)");
  double bad = 0;
  for (size_t i = 1; i <= N_RADII; i++)
    if (!isfinite(phi[i]) || phi[i] < 0) bad++;
  kl_check_result(c, bad == 0, bad, 0,
                  "weight finite and >= 0 (A positive semi-definite) at |z| = 1e-12 ... 1e12: "
                  "bad radii");
}

/* A(z) column by column from kl_kernel_apply, for d = 2, 3 at unit-free
 * directions scaled to each radius; errors relative to |A| = phi |z|^2. */
static void check_matrix(kl_check *c, const kl_instance *k, unsigned d) {
  static const double dir[3] = {0.48, -0.6, 0.64}; /* |dir| = 1 in 3-D */
  double asym = 0, null = 0, neg = 0;
  for (size_t i = 0; i < N_RADII; i++) {
    double z[3] = {0}, A[3][3], norm_z = 0;
    for (unsigned a = 0; a < d; a++) z[a] = radii[i] * dir[a], norm_z += z[a] * z[a];
    for (unsigned j = 0; j < d; j++) {
      double e[3] = {0}, col[3];
      e[j] = 1;
      kl_kernel_apply(k, d, z, e, col);
      for (unsigned a = 0; a < d; a++) A[a][j] = col[a];
    }
    double size = 0;
    for (unsigned a = 0; a < d; a++)
      for (unsigned b = 0; b < d; b++) size = fmax(size, fabs(A[a][b]));
    if (size == 0) continue;
    double Az[3];
    kl_kernel_apply(k, d, z, z, Az);
    for (unsigned a = 0; a < d; a++) {
      for (unsigned b = 0; b < d; b++) asym = fmax(asym, fabs(A[a][b] - A[b][a]) / size);
      null = fmax(null, fabs(Az[a]) / (size * sqrt(norm_z)));
      if (!isfinite(Az[a])) null = INFINITY;
    }
    /* x^T A x >= 0 for x = e_a and a direction across z */
    for (unsigned a = 0; a < d; a++) neg = fmax(neg, -A[a][a] / size);
    if (!isfinite(size)) asym = null = neg = INFINITY;
  }
  kl_check_result(c, asym <= 1e-15, asym, 1e-15, "d=%u A(z) symmetric: max |A - A^T| / |A|", d);
  kl_check_result(c, neg <= 0, neg, 0, "d=%u A(z) positive semi-definite: max -A_aa / |A|", d);
  /* A z = phi (|z|^2 z - z |z|^2): rounding of a few products, 1e-15 relative */
  kl_check_result(c, null <= 1e-14, null, 1e-14, "d=%u A(z) z = 0: max |A z| / (|A| |z|)", d);
}

/* log phi against log r on 41 radii in [1e-3, 1e3]: the slope is gamma and the
 * intercept log C.  A power law evaluated in double is exact to a few ulp per
 * point: 1e-9 on gamma and on C relative leaves room for pow()'s rounding. */
static void check_power_law(kl_check *c, const kl_instance *k) {
  double C, gamma;
  if (kl_kernel_power_law(k, &C, &gamma) != KL_OK) {
    kl_check_skip(c, "power_law: not declared (OPTIONAL)");
    return;
  }
  enum { N = 41 };
  double r2[N], phi[N], sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < N; i++) {
    double r = pow(10.0, -3 + 6.0 * i / (N - 1));
    r2[i] = r * r;
  }
  kl_kernel_weight(k, N, r2, phi);
  for (int i = 0; i < N; i++) {
    double x = 0.5 * log(r2[i]), y = log(phi[i]);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  double slope = (N * sxy - sx * sy) / (N * sxx - sx * sx);
  double C_fit = exp((sy - slope * sx) / N);
  kl_check_result(c, fabs(slope - gamma) <= 1e-9, fabs(slope - gamma), 1e-9,
                  "power_law gamma = %g against the fitted slope %.12g of log phi vs log |z|: "
                  "difference", gamma, slope);
  kl_check_result(c, fabs(C_fit - C) <= 1e-9 * fabs(C), fabs(C_fit - C) / fabs(C), 1e-9,
                  "power_law C = %g against the fitted exp(intercept) %.12g: relative "
                  "difference", C, C_fit);
}

enum { CHUNK = 256, N_CHUNKS = 32 };

typedef struct thread_arg {
  const kl_instance *k;
  const double *x;
} thread_arg;

static void thread_chunk(const void *p, size_t chunk, double *out) {
  const thread_arg *a = p;
  double r2[CHUNK];
  for (size_t i = 0; i < CHUNK; i++) {
    double r = 4 * a->x[chunk * CHUNK + i];
    r2[i] = i % 17 ? r * r : 0; /* zeros among them: the r2 = 0 branch */
  }
  kl_kernel_weight(a->k, CHUNK, r2, out);
  double C = 0, gamma = 0;
  out[CHUNK] = kl_kernel_power_law(a->k, &C, &gamma);
  out[CHUNK + 1] = C, out[CHUNK + 2] = gamma;
}

void kl_check_kernel(kl_check *c) {
  static double x[CHUNK * N_CHUNKS];
  kl_check_random(x, CHUNK * N_CHUNKS);
  unsigned created = 0;
  for (unsigned d = 2; d <= 3; d++) {
    kl_error err = {0, ""};
    kl_instance *k = kl_check_create(c, d, 0, NULL, NULL, &err);
    if (!k) {
      kl_check_skip(c, "d=%u: create refuses it (%s)", d, err.message);
      continue;
    }
    created++;
    if (created == 1) {
      check_weight_values(c, k);
      check_power_law(c, k);
      thread_arg a = {k, x};
      kl_check_threads(c, "weight, power_law", thread_chunk, &a, N_CHUNKS, CHUNK + 3);
    }
    check_matrix(c, k, d);
    kl_instance_free(k);
  }
  if (!created) kl_check_verdict(c, false, "no dimension 2 or 3 could be created");
}
