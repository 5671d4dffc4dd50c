/* plugins/landau/exponential.c - the exponential blob of paper 000:
 *
 *   G(v) = C_d e^{-<v>},  <v> = (1 + |v|^2)^{1/2},  G^eps(v) = eps^-d G(v/eps)
 *   grad G^eps(v) = -(1/eps) <v/eps>^{-1} G^eps(v) v/eps        (paper 000, Lemma 2.3)
 *
 * eps is a length (the scaling of paper 000).  C_d comes from int G = 1:
 *   1/C_d = |S^{d-1}| int_0^inf r^{d-1} e^{-<r>} dr,  |S^0| = 2, |S^1| = 2 pi, |S^2| = 4 pi,
 * computed by GSL adaptive quadrature (QAGIU) when the plugin is created, for
 * d = 1, 2, 3.  (Closed forms, used only by the test: 1/C_1 = 2 K_1(1),
 * 1/C_2 = 4 pi / e, 1/C_3 = 4 pi K_2(1).)
 *
 * Cut-off, rho = R/eps: since <r> >= r, e^{-<r>} <= e^{-r}, hence
 *   int_{|v|>R} G^eps <= C_d |S^{d-1}| Gamma(d) Q(d, rho)
 *   int_{|v|>R} |grad G^eps| / int |grad G^eps| <= Gamma(d) Q(d, rho) / J_d,
 *       J_d = int_0^inf r^d <r>^{-1} e^{-<r>} dr   (|grad G^eps| = (r/<r>) G^eps / eps, r/<r> <= 1)
 * and pointwise G^eps(R) / G^eps(0) = e^{1 - <rho>}.  The cut-off is the smallest
 * rho meeting all three bounds with rtol (found by bisection), times eps.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include <kinlab/kinlab.h>

#include "incgamma.h"

typedef struct exponential_state {
  double C[4]; /* C_d, d = 1..3 */
  double J[4]; /* J_d = int_0^inf r^d e^{-<r>} / <r> dr */
} exponential_state;

static const double sphere_area[4] = {0.0, 2.0, 2.0 * M_PI, 4.0 * M_PI};

typedef struct radial_ctx {
  int power;   /* r^power */
  int inv_jap; /* divide by <r> */
} radial_ctx;

static double radial_integrand(double r, void *p) {
  const radial_ctx *c = p;
  double jr = sqrt(1.0 + r * r);
  double v = exp(-jr);
  for (int k = 0; k < c->power; k++) v *= r;
  return c->inv_jap ? v / jr : v;
}

static int radial_integral(int power, int inv_jap, double *out, kl_error *err) {
  radial_ctx c = {power, inv_jap};
  gsl_function f = {radial_integrand, &c};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
  if (!w) return kl_error_set(err, KL_ENOMEM, "out of memory");
  double abserr;
  /* GSL's default handler aborts: switch it off for this call, restore after. */
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  int st = gsl_integration_qagiu(&f, 0.0, 0.0, 1e-13, 200, w, out, &abserr);
  gsl_set_error_handler(old);
  gsl_integration_workspace_free(w);
  if (st && abserr > 1e-10 * fabs(*out))
    return kl_error_set(err, KL_ENUMERIC,
                        "exponential mollifier: quadrature of the radial integral "
                        "r^%d e^-<r>%s failed: %s",
                        power, inv_jap ? "/<r>" : "", gsl_strerror(st));
  return KL_OK;
}

static int exponential_create(const kl_setup *setup, void **state, kl_error *err) {
  (void)setup;
  exponential_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  for (int d = 1; d <= 3; d++) {
    double I;
    int rc = radial_integral(d - 1, 0, &I, err);
    if (!rc) rc = radial_integral(d, 1, &s->J[d], err);
    if (rc) {
      free(s);
      return rc;
    }
    s->C[d] = 1.0 / (sphere_area[d] * I);
  }
  *state = s;
  return KL_OK;
}

static void exponential_destroy(void *state) { free(state); }

static void exponential_profile(void *state, unsigned d, double eps, size_t n, const double *r2,
                                double *value, double *grad_factor) {
  const exponential_state *s = state;
  double ie = 1.0 / eps, ie2 = ie * ie;
  double norm = (d >= 1 && d <= 3 ? s->C[d] : NAN) *
                (d == 1 ? ie : d == 2 ? ie2 : d == 3 ? ie2 * ie : pow(ie, (double)d));
  for (size_t i = 0; i < n; i++) {
    double jr = sqrt(1.0 + r2[i] * ie2);
    double g = norm * exp(-jr);
    if (value) value[i] = g;
    if (grad_factor) grad_factor[i] = -g * ie2 / jr;
  }
}

typedef struct cut_ctx {
  const exponential_state *s;
  unsigned d;
  double rtol;
} cut_ctx;

static int cut_ok(const void *ctx, double rho) {
  const cut_ctx *c = ctx;
  double gq = tgamma((double)c->d) * kl_incgamma_Q((double)c->d, rho);
  if (c->s->C[c->d] * sphere_area[c->d] * gq > c->rtol) return 0; /* mass tail  */
  if (gq / c->s->J[c->d] > c->rtol) return 0;                     /* grad tail  */
  return exp(1.0 - sqrt(1.0 + rho * rho)) <= c->rtol;             /* pointwise  */
}

static double exponential_cutoff(void *state, unsigned d, double eps, double rtol) {
  if (!(rtol > 0) || d < 1 || d > 3) return INFINITY;
  if (rtol >= 1) return 0.0;
  cut_ctx c = {state, d, rtol};
  return eps * kl_bisect_up(cut_ok, &c);
}

static const kl_mollifier_ops exponential_ops = {sizeof(kl_mollifier_ops), exponential_profile,
                                                 exponential_cutoff, NULL};

static const kl_plugin_info exponential_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_MOLLIFIER,
    "exponential",
    "exponential blob C_d exp(-<v/eps>)/eps^d of paper 000; eps is a length",
    NULL,
    &exponential_ops,
    exponential_create,
    exponential_destroy};

static const kl_plugin_info *const plugins[] = {&exponential_info, NULL};
KL_PLUGIN_MODULE(plugins)
