/* comm_weight.c - conformance of a communication weight psi(r) (kinds.h,
 * kl_comm_weight_ops): psi finite and >= 0 from r = 0 to 1e12; a function of
 * the distance only (the same r2 gives the same value wherever it stands in a
 * batch, so the pairs i-j and j-i weigh the same: the models' momentum
 * conservation rests on it); the declared support honoured (psi = 0 from R
 * on); a declared closed-form integral against the host's quadrature of the
 * profile; weight thread-safe. */
#include <math.h>
#include <string.h>

#include "check.h"

static const double radii[] = {0, 1e-12, 1e-6, 1e-3, 0.1, 0.5, 0.9, 1, 1.5, 10, 1e3, 1e6, 1e12};
#define N_RADII (sizeof radii / sizeof *radii)

static void check_values(kl_check *c, const kl_instance *w) {
  double r2[N_RADII], psi[N_RADII], bad = 0;
  for (size_t i = 0; i < N_RADII; i++) r2[i] = radii[i] * radii[i];
  kl_comm_weight_eval(w, N_RADII, r2, psi);
  for (size_t i = 0; i < N_RADII; i++)
    if (!isfinite(psi[i]) || psi[i] < 0) bad++;
  kl_check_result(c, bad == 0, bad, 0, "weight finite and >= 0 at r = 0 ... 1e12: bad radii");
}

/* The radii forwards and backwards in one batch, and each one alone: every r2 must
 * give the same bits (a weight reading its position, a neighbour or a counter is not
 * a function of the distance, and psi_ij != psi_ji in a pair sum). */
static void check_distance_only(kl_check *c, const kl_instance *w) {
  double r2[2 * N_RADII], psi[2 * N_RADII], differ = 0;
  for (size_t i = 0; i < N_RADII; i++)
    r2[i] = r2[2 * N_RADII - 1 - i] = radii[i] * radii[i];
  kl_comm_weight_eval(w, 2 * N_RADII, r2, psi);
  for (size_t i = 0; i < N_RADII; i++) {
    double one;
    kl_comm_weight_eval(w, 1, &r2[i], &one);
    if (memcmp(&psi[i], &psi[2 * N_RADII - 1 - i], sizeof one) || memcmp(&psi[i], &one, sizeof one))
      differ++;
  }
  kl_check_result(c, differ == 0, differ, 0,
                  "weight a function of the distance only (symmetric: psi_ij = psi_ji; the same "
                  "r2 in any batch position gives the same value): radii that differ");
}

static void check_support(kl_check *c, const kl_instance *w) {
  double R = kl_comm_weight_support(w);
  if (!(R > 0)) { /* NaN too */
    kl_check_verdict(c, false, "support radius %g: expected > 0 (INFINITY: unbounded)", R);
    return;
  }
  if (isinf(R)) {
    kl_check_skip(c, "support: unbounded (INFINITY), nothing to honour");
    return;
  }
  static const double beyond[] = {1, 1 + 1e-12, 1.001, 1.5, 2, 10, 1e3, 1e6};
  enum { NB = sizeof beyond / sizeof *beyond };
  double r2[NB], psi[NB], nonzero = 0;
  for (size_t i = 0; i < NB; i++) r2[i] = (R * beyond[i]) * (R * beyond[i]);
  kl_comm_weight_eval(w, NB, r2, psi);
  for (size_t i = 0; i < NB; i++)
    if (psi[i] != 0) nonzero++;
  kl_check_result(c, nonzero == 0, nonzero, 0,
                  "support R = %g honoured: psi = 0 at r = R ... 1e6 R: radii with psi != 0", R);
}

/* The plugin's closed form against the host's Simpson rule on [0, R] (only for a
 * bounded support).  A profile that jumps at R (the indicator) makes the rule first
 * order there: the last interval errs by at most |S| psi(R-) R^dim h with h = 1/4000,
 * at most 3 h = 7.5e-4 of the integral for a profile whose mean over the ball is at
 * least psi(R-) (the indicator: 3.3e-4 in dim 3); hence 1e-3 relative.  A smooth one
 * agrees to ~1e-12. */
static void check_integral(kl_check *c, const kl_instance *w) {
  const kl_comm_weight_ops *ops = kl_instance_info(w)->ops;
  if (ops->struct_size <= offsetof(kl_comm_weight_ops, integral) || !ops->integral) {
    kl_check_skip(c, "integral: no closed form declared (OPTIONAL; the host integrates)");
    return;
  }
  double R = kl_comm_weight_support(w);
  for (unsigned dim = 1; dim <= 3; dim++) {
    double I = kl_comm_weight_integral(w, dim);
    if (!(I > 0)) { /* NaN, 0 or negative */
      kl_check_verdict(c, false, "dim=%u integral %g: expected > 0 (INFINITY: not integrable)",
                       dim, I);
      continue;
    }
    if (!(R > 0) || isinf(R)) {
      kl_check_verdict(c, true, "dim=%u integral %g > 0 (unbounded support: no quadrature)",
                       dim, I);
      continue;
    }
    double Q = kl_comm_weight_quadrature(w, dim), rel = fabs(I - Q) / Q;
    kl_check_result(c, rel <= 1e-3, rel, 1e-3,
                    "dim=%u declared integral %.12g against the quadrature %.12g: relative "
                    "difference", dim, I, Q);
  }
}

enum { CHUNK = 256, N_CHUNKS = 32 };

typedef struct thread_arg {
  const kl_instance *w;
  const double *x;
} thread_arg;

static void thread_chunk(const void *p, size_t chunk, double *out) {
  const thread_arg *a = p;
  double r2[CHUNK];
  for (size_t i = 0; i < CHUNK; i++) {
    double r = 2 * a->x[chunk * CHUNK + i];
    r2[i] = r * r;
  }
  kl_comm_weight_eval(a->w, CHUNK, r2, out);
}

void kl_check_comm_weight(kl_check *c) {
  static double x[CHUNK * N_CHUNKS];
  kl_check_random(x, CHUNK * N_CHUNKS);
  kl_error err = {0, ""};
  kl_instance *w = kl_check_create(c, 1, 1, NULL, NULL, &err);
  if (!w) {
    kl_check_verdict(c, false, "create refuses %s (%s)", kl_check_parameters(c), err.message);
    return;
  }
  check_values(c, w);
  check_distance_only(c, w);
  check_support(c, w);
  check_integral(c, w);
  thread_arg a = {w, x};
  kl_check_threads(c, "weight", thread_chunk, &a, N_CHUNKS, CHUNK);
  kl_instance_free(w);
}
