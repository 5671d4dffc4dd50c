/* plugins/landau/gaussian.c - the Gaussian blob.
 *
 *   scaling: variance (default, CHWW):  G^eps(v) = (2 pi eps)^{-d/2} exp(-|v|^2 / (2 eps))
 *   scaling: length   (paper 000 form): G^eps(v) = eps^-d G(v/eps),
 *                                       G(v) = (2 pi)^{-d/2} exp(-|v|^2/2)
 *
 * so with s2 = eps (variance) or eps^2 (length) the blob is the N(0, s2 I)
 * density and grad G^eps(v) = -(1/s2) G^eps(v) v.
 *
 * Cut-off: with x = R^2/(2 s2),
 *   int_{|v|>R} G^eps       = Q(d/2, x)         (chi-square tail),
 *   int_{|v|>R} |grad G^eps| / int |grad G^eps| = Q((d+1)/2, x)   (|grad G| = r G / s2),
 * Q the regularized upper incomplete gamma function; Q(a, x) grows with a, so
 * the gradient condition implies the mass condition.  We also ask for the
 * pointwise bound G^eps(R) <= rtol G^eps(0), i.e. x >= log(1/rtol), so that a
 * truncated sum sum_l w_l G^eps(c - v_l) misses at most rtol * M * G^eps(0)
 * (M = sum of the weights).  R = sqrt(2 s2 x*) for the smallest x* meeting both.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#include "incgamma.h"

/* The profile and the factor are the inner loops of the landau_particles
 * mollifier sums: SIMD exp where libmvec exists (plugins/common/simd_math.h). */
#include "../common/simd_math.h"

typedef struct gaussian_state {
  int length; /* 0: eps is the variance, 1: eps is the standard deviation */
} gaussian_state;

static const kl_param_spec gaussian_params[] = {
    {"scaling", KL_PARAM_ENUM, "variance", 0, 0, 0, "variance|length", NULL,
     "variance: eps is the variance, G^eps = (2 pi eps)^{-d/2} exp(-|v|^2/(2 eps)) as in "
     "CHWW; length: eps is the standard deviation, G^eps = eps^-d G(v/eps)"},
    KL_PARAM_END};

static int gaussian_create(const kl_setup *setup, void **state, kl_error *err) {
  gaussian_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  const char *sc = kl_params_string(setup->params, "scaling");
  s->length = sc && strcmp(sc, "length") == 0;
  *state = s;
  return KL_OK;
}

static void gaussian_destroy(void *state) { free(state); }

static double variance_of(const gaussian_state *s, double eps) {
  return s->length ? eps * eps : eps;
}

KL_ISA_CLONES
static void gaussian_profile(void *state, unsigned d, double eps, size_t n, const double *r2,
                             double *value, double *grad_factor) {
  const gaussian_state *s = state;
  double s2 = variance_of(s, eps);
  double c = 1.0 / (2.0 * M_PI * s2); /* normalisation per dimension */
  double norm = d == 1 ? sqrt(c) : d == 2 ? c : d == 3 ? c * sqrt(c) : pow(c, 0.5 * d);
  double a = -0.5 / s2, inv = -1.0 / s2;
  if (value && grad_factor) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
      double g = norm * exp(a * r2[i]);
      value[i] = g;
      grad_factor[i] = inv * g;
    }
  } else if (value) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) value[i] = norm * exp(a * r2[i]);
  } else if (grad_factor) {
    const double ng = inv * norm;
#pragma omp simd
    for (size_t i = 0; i < n; i++) grad_factor[i] = ng * exp(a * r2[i]);
  }
}

typedef struct tail_ctx {
  double a, rtol;
} tail_ctx;

static int tail_ok(const void *ctx, double x) {
  const tail_ctx *c = ctx;
  return kl_incgamma_Q(c->a, x) <= c->rtol;
}

static double gaussian_cutoff(void *state, unsigned d, double eps, double rtol) {
  const gaussian_state *s = state;
  if (!(rtol > 0)) return INFINITY;
  if (rtol >= 1) return 0.0;
  tail_ctx c = {0.5 * (d + 1), rtol};
  double x = kl_bisect_up(tail_ok, &c);
  double xp = -log(rtol);
  if (xp > x) x = xp;
  return sqrt(2.0 * variance_of(s, eps) * x);
}

/* G^eps(z) = prod_a g(z_a), g(x) = (2 pi s2)^{-1/2} exp(-x^2 / (2 s2)) in any d. */
KL_ISA_CLONES
static void gaussian_factor(void *state, unsigned d, double eps, size_t n, const double *x,
                            double *g, double *dg) {
  (void)d;
  const gaussian_state *s = state;
  const double s2 = variance_of(s, eps), norm = 1.0 / sqrt(2.0 * M_PI * s2), a = -0.5 / s2,
               inv = -1.0 / s2;
  if (g && dg) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
      const double v = norm * exp(a * x[i] * x[i]);
      g[i] = v;
      dg[i] = inv * x[i] * v;
    }
  } else if (g) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) g[i] = norm * exp(a * x[i] * x[i]);
  } else if (dg) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) dg[i] = inv * norm * x[i] * exp(a * x[i] * x[i]);
  }
}

static const kl_mollifier_ops gaussian_ops = {sizeof(kl_mollifier_ops), gaussian_profile,
                                              gaussian_cutoff, gaussian_factor};

static const kl_plugin_info gaussian_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_MOLLIFIER,
    "gaussian",
    "Gaussian blob; eps is its variance (CHWW, default) or its standard deviation",
    gaussian_params,
    &gaussian_ops,
    gaussian_create,
    gaussian_destroy};

static const kl_plugin_info *const plugins[] = {&gaussian_info, NULL};
KL_PLUGIN_MODULE(plugins)
