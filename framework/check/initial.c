/* initial.c - conformance of initial data: f0 finite and >= 0, mass() equal
 * to the quadrature of f0 over support(), exact(start_time) = f0, and the
 * reentrant density and exact thread-safe.  Every (dim_v, dim_x) in 1..3 x
 * 0..1 that create accepts is checked.
 *
 * The quadrature is a tensor product of 5-point Gauss-Legendre rules on m and
 * 2m panels per direction; the tolerance is twice their difference (the
 * finer one's error when it converges at least linearly, as for a
 * discontinuous patch) plus 1e-8 of the mass for what lies outside the
 * support box ("where f0 exceeds a negligible fraction of its mass"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const double gl_x[5] = {-0.9061798459386640, -0.5384693101056831, 0.0,
                               0.5384693101056831, 0.9061798459386640};
static const double gl_w[5] = {0.2369268850561891, 0.4786286704993665, 0.5688888888888889,
                               0.4786286704993665, 0.2369268850561891};

typedef struct box {
  unsigned nd;            /* integrated directions */
  unsigned dim_x, dim_v;
  double lo[6], hi[6];    /* x then v; a direction with an infinite bound is uniform */
  bool uniform[6];
} box;

/* int f0 over the box with `panels` panels per integrated direction; counts
 * the points where f0 is negative or not finite. */
static double quadrature(const kl_instance *init, const box *b, unsigned panels, size_t *bad) {
  unsigned n = b->dim_x + b->dim_v, idx[6] = {0};
  unsigned per = 5 * panels;
  double sum = 0;
  for (;;) {
    double p[6], w = 1;
    for (unsigned k = 0; k < n; k++) {
      if (b->uniform[k]) {
        p[k] = 0;
        continue;
      }
      double h = (b->hi[k] - b->lo[k]) / panels;
      unsigned panel = idx[k] / 5, q = idx[k] % 5;
      p[k] = b->lo[k] + h * (panel + 0.5 * (gl_x[q] + 1));
      w *= 0.5 * h * gl_w[q];
    }
    double f = kl_initial_density(init, b->dim_x ? p : NULL, p + b->dim_x);
    if (!isfinite(f) || f < 0) (*bad)++;
    sum += w * f;
    unsigned k = 0;
    for (; k < n; k++) {
      if (b->uniform[k]) continue;
      if (++idx[k] < per) break;
      idx[k] = 0;
    }
    if (k == n) break;
  }
  return sum;
}

static void check_mass(kl_check *c, const kl_instance *init, const box *b, const char *dims) {
  double M;
  bool has_mass = kl_initial_mass(init, &M) == KL_OK;
  unsigned panels = b->nd <= 1 ? 64 : b->nd == 2 ? 32 : 12;
  size_t bad = 0;
  double q1 = quadrature(init, b, panels, &bad), q2 = quadrature(init, b, 2 * panels, &bad);
  kl_check_result(c, bad == 0, (double)bad, 0,
                  "%s density finite and >= 0 at the quadrature points: bad points", dims);
  if (!has_mass) {
    kl_check_skip(c, "%s mass: not provided (OPTIONAL); quadrature of f0: %.10g", dims, q2);
    return;
  }
  double tol = 2 * fabs(q1 - q2) + 1e-8 * fabs(M);
  kl_check_result(c, fabs(q2 - M) <= tol, fabs(q2 - M), tol,
                  "%s mass %.10g against the quadrature %.10g of f0 over support: difference",
                  dims, M, q2);
}

/* exact(start_time) against density at points of the box: 1e-12 of max f0
 * (the two may be different formulas for one function, rounding apart). */
static void check_exact(kl_check *c, const kl_instance *init, const box *b, const double *x,
                        const char *dims) {
  if (!kl_initial_has_exact(init)) {
    kl_check_skip(c, "%s exact: not provided (OPTIONAL)", dims);
    return;
  }
  double t0 = kl_initial_start_time(init), worst = 0, fmax_ = 0;
  unsigned n = b->dim_x + b->dim_v;
  for (int i = 0; i < 64; i++) {
    double p[6], f;
    for (unsigned k = 0; k < n; k++)
      p[k] = b->uniform[k] ? x[6 * i + k] : b->lo[k] + (b->hi[k] - b->lo[k]) * 0.5 * (1 + x[6 * i + k]);
    double f0 = kl_initial_density(init, b->dim_x ? p : NULL, p + b->dim_x);
    int rc = kl_initial_exact(init, t0, b->dim_x ? p : NULL, p + b->dim_x, &f);
    if (rc == KL_ENOTSUP) {
      kl_check_skip(c, "%s exact: KL_ENOTSUP at start time %g", dims, t0);
      return;
    }
    fmax_ = fmax(fmax_, fabs(f0));
    double e = rc ? INFINITY : fabs(f - f0);
    if (!(e <= worst)) worst = e;
  }
  kl_check_result(c, worst <= 1e-12 * fmax_, worst, 1e-12 * fmax_,
                  "%s exact(start time %g) = density: max difference", dims, t0);
}

enum { CHUNK = 128, N_CHUNKS = 32 };

typedef struct thread_arg {
  const kl_instance *init;
  const box *b;
  const double *x;
} thread_arg;

static void thread_chunk(const void *pa, size_t chunk, double *out) {
  const thread_arg *a = pa;
  const box *b = a->b;
  unsigned n = b->dim_x + b->dim_v;
  for (size_t i = 0; i < CHUNK; i++) {
    const double *u = a->x + 6 * (chunk * CHUNK + i);
    double p[6];
    for (unsigned k = 0; k < n; k++)
      p[k] = b->uniform[k] ? u[k] : b->lo[k] + (b->hi[k] - b->lo[k]) * 0.5 * (1 + u[k]);
    out[2 * i] = kl_initial_density(a->init, b->dim_x ? p : NULL, p + b->dim_x);
    if (kl_initial_has_exact(a->init))
      kl_initial_exact(a->init, 0.5 + fabs(u[0]), b->dim_x ? p : NULL, p + b->dim_x,
                       &out[2 * i + 1]);
  }
}

static void check_dims(kl_check *c, unsigned dim_v, unsigned dim_x, const double *x) {
  char dims[48];
  snprintf(dims, sizeof dims, "dim_v=%u dim_x=%u", dim_v, dim_x);
  kl_error err = {0, ""};
  kl_instance *init = kl_check_create(c, dim_v, dim_x, NULL, NULL, &err);
  if (!init) {
    kl_check_skip(c, "%s: create refuses it (%s)", dims, err.message);
    return;
  }
  box b = {0, dim_x, dim_v, {0}, {0}, {false}};
  bool has_support = kl_initial_support(init, b.lo, b.hi, b.lo + dim_x, b.hi + dim_x) == KL_OK;
  bool v_finite = true;
  for (unsigned k = 0; k < dim_x + dim_v; k++) {
    if (!has_support) b.lo[k] = -5, b.hi[k] = 5; /* somewhere to look at f0 */
    b.uniform[k] = !isfinite(b.lo[k]) || !isfinite(b.hi[k]);
    if (b.uniform[k] && k >= dim_x) v_finite = false;
    if (!b.uniform[k]) b.nd++;
  }
  if (!has_support || !v_finite || b.nd > 3) {
    size_t bad = 0;
    quadrature(init, &b, b.nd <= 2 ? 8 : 3, &bad);
    kl_check_result(c, bad == 0, (double)bad, 0,
                    "%s density finite and >= 0 on %s: bad points", dims,
                    has_support ? "its support" : "[-5, 5]^n (no support given)");
    kl_check_skip(c, "%s mass: %s", dims,
                  !has_support ? "no support() to integrate over"
                  : !v_finite  ? "support unbounded in v"
                               : "more than 3 directions to integrate");
  } else {
    check_mass(c, init, &b, dims);
  }
  check_exact(c, init, &b, x, dims);
  thread_arg a = {init, &b, x};
  char what[80];
  snprintf(what, sizeof what, "%s density, exact", dims);
  kl_check_threads(c, what, thread_chunk, &a, N_CHUNKS, 2 * CHUNK);
  kl_instance_free(init);
}

void kl_check_initial(kl_check *c) {
  static double x[6 * CHUNK * N_CHUNKS];
  kl_check_random(x, 6 * CHUNK * N_CHUNKS);
  unsigned before = c->passed + c->failed;
  for (unsigned dim_x = 0; dim_x <= 1; dim_x++)
    for (unsigned dim_v = 1; dim_v <= 3; dim_v++) check_dims(c, dim_v, dim_x, x);
  if (c->passed + c->failed == before)
    kl_check_verdict(c, false, "no (dim_v, dim_x) in 1..3 x 0..1 could be created");
}
