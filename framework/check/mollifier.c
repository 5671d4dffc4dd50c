/* mollifier.c - conformance of a mollifier: G^eps >= 0 and finite, int G^eps
 * = 1, grad G^eps against central differences, cutoff(rtol) holds its tail
 * bound, width = (1/d) int |z|^2 G^eps, the separable factor (if any)
 * reproduces G, and the reentrant operations are thread-safe.
 *
 * Integrals are radial, int_{R^d} f(|z|) dz = |S^{d-1}| int_0^inf r^{d-1} f(r) dr,
 * by GSL's QAGIU asked for relative accuracy 1e-10; its error estimate sets
 * each tolerance (never below 1e-9, ten times the accuracy asked for). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "check.h"

static const double sphere[4] = {0, 2, 2 * M_PI, 4 * M_PI}; /* |S^{d-1}| */
static const double epss[] = {0.05, 1.0};
#define N_EPS (sizeof epss / sizeof *epss)

enum { MASS, GRAD_NORM, SECOND_MOMENT };

typedef struct radial_ctx {
  const kl_instance *m;
  unsigned d;
  double eps, scale;
  int what;
} radial_ctx;

/* The radial integrand in the variable s = r / scale. */
static double radial_f(double s, void *p) {
  const radial_ctx *c = p;
  double r = s * c->scale, r2 = r * r, v, g;
  kl_mollifier_profile(c->m, c->d, c->eps, 1, &r2, &v, &g);
  double rd = c->d == 1 ? 1 : c->d == 2 ? r : r2;
  double f = c->what == GRAD_NORM ? fabs(g) * r : c->what == SECOND_MOMENT ? r2 * v : v;
  return sphere[c->d] * rd * f * c->scale;
}

/* int_a^inf; *abserr is QAGIU's estimate (infinite when it fails). */
static double radial(const kl_instance *m, unsigned d, double eps, double scale, int what,
                     double a, double *abserr) {
  radial_ctx c = {m, d, eps, scale, what};
  gsl_function f = {radial_f, &c};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  double res = NAN;
  *abserr = INFINITY;
  if (!w) return NAN;
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  int rc = gsl_integration_qagiu(&f, a / scale, 0, 1e-10, 1000, w, &res, abserr);
  gsl_set_error_handler(old);
  gsl_integration_workspace_free(w);
  if (rc && rc != GSL_EROUND) *abserr = INFINITY;
  return res;
}

static double quad_tol(double abserr, double size) {
  return fmax(1e-9 * fabs(size), 10 * abserr);
}

/* A length of the blob: where the quadrature and the difference steps live. */
static double blob_scale(const kl_instance *m, unsigned d, double eps) {
  double R = kl_mollifier_cutoff(m, d, eps, 0.5);
  if (isfinite(R) && R > 0) return R;
  double w = kl_mollifier_has_width(m) ? kl_mollifier_width(m, d, eps) : NAN;
  return isfinite(w) && w > 0 ? sqrt(w) : 1.0;
}

static void check_values(kl_check *c, const kl_instance *m, unsigned d, double eps, double L) {
  enum { N = 401 };
  double r2[N], v[N], g[N];
  for (int i = 0; i < N; i++) {
    double r = 20.0 * L * i / (N - 1);
    r2[i] = r * r;
  }
  kl_mollifier_profile(m, d, eps, N, r2, v, g);
  double bad = 0;
  for (int i = 0; i < N; i++)
    if (!isfinite(v[i]) || v[i] < 0 || !isfinite(g[i])) bad++;
  kl_check_result(c, bad == 0, bad, 0,
                  "d=%u eps=%g profile finite and >= 0 (%d radii in [0, 20 cutoff(1/2)]): bad points",
                  d, eps, N);
}

static void check_mass(kl_check *c, const kl_instance *m, unsigned d, double eps, double L) {
  double err, q = radial(m, d, eps, L, MASS, 0, &err);
  double tol = quad_tol(err, 1);
  kl_check_result(c, fabs(q - 1) <= tol, fabs(q - 1), tol, "d=%u eps=%g integral: |int G - 1|",
                  d, eps);
}

/* Central differences with step h = 1e-4 L: truncation h^2/6 |G'''| ~ 2e-9 G(0)/L
 * for a blob smooth on the scale L, rounding 1e-16 G(0)/h ~ 1e-12 G(0)/L; the
 * tolerance 1e-6 G(0)/L leaves a factor 500 and still sees any wrong factor. */
static void check_gradient(kl_check *c, const kl_instance *m, unsigned d, double eps, double L) {
  static const double z0[][3] = {{0.3, -0.2, 0.1}, {1.1, 0.4, -0.7}, {-0.05, 0.02, 0.6}};
  double g0 = kl_mollifier_eval(m, d, eps, (double[3]){0, 0, 0}, NULL);
  double h = 1e-4 * L, worst = 0;
  for (size_t p = 0; p < 3; p++) {
    double z[3], grad[3];
    for (int a = 0; a < 3; a++) z[a] = z0[p][a] * L;
    kl_mollifier_eval(m, d, eps, z, grad);
    for (unsigned a = 0; a < d; a++) {
      double zp[3], zm[3];
      memcpy(zp, z, sizeof zp);
      memcpy(zm, z, sizeof zm);
      zp[a] += h;
      zm[a] -= h;
      double fd = (kl_mollifier_eval(m, d, eps, zp, NULL) - kl_mollifier_eval(m, d, eps, zm, NULL)) /
                  (2 * h);
      double e = fabs(grad[a] - fd);
      if (!(e <= worst)) worst = e; /* NaN sticks */
    }
  }
  double tol = 1e-6 * g0 / L;
  kl_check_result(c, worst <= tol, worst, tol,
                  "d=%u eps=%g gradient g(|z|^2) z against central differences (h = 1e-4 cutoff(1/2)): "
                  "max error", d, eps);
}

/* The tails beyond cutoff(rtol), of G and of |grad G| relative to its integral:
 * each <= rtol, with 1% of rtol for the quadrature of a tiny tail. */
static void check_cutoff(kl_check *c, const kl_instance *m, unsigned d, double eps, double L) {
  static const double rtols[] = {1e-3, 1e-8};
  for (size_t k = 0; k < 2; k++) {
    double rtol = rtols[k], e1, e2, e3;
    double R = kl_mollifier_cutoff(m, d, eps, rtol);
    if (!(R > 0) || !isfinite(R)) {
      kl_check_verdict(c, false, "d=%u eps=%g cutoff(rtol=%g) = %g: expected a finite radius > 0",
                       d, eps, rtol, R);
      continue;
    }
    double tail = radial(m, d, eps, L, MASS, R, &e1);
    kl_check_result(c, tail <= 1.01 * rtol + 10 * e1, tail, 1.01 * rtol + 10 * e1,
                    "d=%u eps=%g cutoff(rtol=%g) = %.4g: mass beyond it", d, eps, rtol, R);
    double gtot = radial(m, d, eps, L, GRAD_NORM, 0, &e2);
    double gtail = radial(m, d, eps, L, GRAD_NORM, R, &e3) / gtot;
    double gtol = 1.01 * rtol + 10 * (e3 + gtail * e2) / gtot;
    kl_check_result(c, gtail <= gtol, gtail, gtol,
                    "d=%u eps=%g cutoff(rtol=%g): relative int |grad G| beyond it", d, eps, rtol);
  }
}

static void check_width(kl_check *c, const kl_instance *m, unsigned d, double eps, double L) {
  if (!kl_mollifier_has_width(m)) {
    kl_check_skip(c, "d=%u eps=%g width: not provided (OPTIONAL)", d, eps);
    return;
  }
  double err, m2 = radial(m, d, eps, L, SECOND_MOMENT, 0, &err) / d;
  double w = kl_mollifier_width(m, d, eps);
  double tol = quad_tol(err / d, m2);
  kl_check_result(c, fabs(w - m2) <= tol, fabs(w - m2), tol,
                  "d=%u eps=%g width %.6g against (1/d) int |z|^2 G = %.6g: difference", d, eps, w,
                  m2);
}

/* G(z) = prod g(z_a) and grad_a G = g'(z_a) prod_{b != a} g(z_b): relative 1e-12. */
static void check_separable(kl_check *c, const kl_instance *m, unsigned d, double eps, double L) {
  if (!kl_mollifier_is_separable(m)) return;
  static const double z0[][3] = {{0.3, -0.2, 0.1}, {1.1, 0.4, -0.7}};
  double worst = 0;
  for (size_t p = 0; p < 2; p++) {
    double z[3], grad[3], g[3], dg[3];
    for (int a = 0; a < 3; a++) z[a] = z0[p][a] * L;
    double v = kl_mollifier_eval(m, d, eps, z, grad);
    kl_mollifier_factor(m, d, eps, d, z, g, dg);
    double prod = 1;
    for (unsigned a = 0; a < d; a++) prod *= g[a];
    double e = fabs(prod - v) / v;
    for (unsigned a = 0; a < d; a++) {
      double ga = dg[a];
      for (unsigned b = 0; b < d; b++)
        if (b != a) ga *= g[b];
      double ea = fabs(ga - grad[a]) / (v / L);
      if (!(ea <= e)) e = ea;
    }
    if (!(e <= worst)) worst = e;
  }
  kl_check_result(c, worst <= 1e-12, worst, 1e-12,
                  "d=%u eps=%g separable factor reproduces G and grad G: relative difference", d,
                  eps);
}

/* ------------------------------------------------------------ threads */
enum { CHUNK = 256, N_CHUNKS = 32, PER_CHUNK = 6 * CHUNK + 2 };

typedef struct thread_arg {
  const kl_instance *m;
  unsigned d;
  double eps, L;
  const double *x; /* CHUNK * N_CHUNKS numbers in [-1, 1) */
} thread_arg;

static void thread_chunk(const void *p, size_t k, double *out) {
  const thread_arg *a = p;
  double r2[CHUNK], xs[CHUNK];
  for (size_t i = 0; i < CHUNK; i++) {
    xs[i] = 4 * a->L * a->x[k * CHUNK + i];
    r2[i] = xs[i] * xs[i];
  }
  kl_mollifier_profile(a->m, a->d, a->eps, CHUNK, r2, out, out + CHUNK);
  kl_mollifier_profile(a->m, a->d, a->eps, CHUNK, r2, out + 2 * CHUNK, NULL);
  kl_mollifier_profile(a->m, a->d, a->eps, CHUNK, r2, NULL, out + 3 * CHUNK);
  if (kl_mollifier_is_separable(a->m))
    kl_mollifier_factor(a->m, a->d, a->eps, CHUNK, xs, out + 4 * CHUNK, out + 5 * CHUNK);
  out[6 * CHUNK] = kl_mollifier_cutoff(a->m, a->d, a->eps, 1e-3 * (1 + fabs(a->x[k])));
  out[6 * CHUNK + 1] = kl_mollifier_has_width(a->m) ? kl_mollifier_width(a->m, a->d, a->eps) : 0;
}

void kl_check_mollifier(kl_check *c) {
  static double x[CHUNK * N_CHUNKS];
  kl_check_random(x, CHUNK * N_CHUNKS);
  unsigned supported = 0;
  for (unsigned d = 1; d <= 3; d++) {
    kl_error err = {0, ""};
    kl_instance *m = kl_check_create(c, d, 0, NULL, NULL, &err);
    if (!m) {
      kl_check_skip(c, "d=%u: create refuses it (%s)", d, err.message);
      continue;
    }
    supported++;
    for (size_t e = 0; e < N_EPS; e++) {
      double eps = epss[e], L = blob_scale(m, d, eps);
      check_values(c, m, d, eps, L);
      check_mass(c, m, d, eps, L);
      check_gradient(c, m, d, eps, L);
      check_cutoff(c, m, d, eps, L);
      check_width(c, m, d, eps, L);
      check_separable(c, m, d, eps, L);
    }
    thread_arg a = {m, d, epss[0], blob_scale(m, d, epss[0]), x};
    char what[64];
    snprintf(what, sizeof what, "d=%u eps=%g profile, separable, cutoff, width", d, epss[0]);
    kl_check_threads(c, what, thread_chunk, &a, N_CHUNKS, PER_CHUNK);
    kl_instance_free(m);
  }
  if (!supported)
    kl_check_verdict(c, false, "no dimension 1..3 could be created with %s",
                     kl_check_parameters(c));
}
