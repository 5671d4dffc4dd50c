/* plugins/landau/incgamma.h - the regularized upper incomplete gamma
 * function Q(a, x) = Gamma(a, x) / Gamma(a) for half-integer and integer a,
 * and a bisection solver, shared by the mollifier cut-offs.
 *
 * Q(1/2, x) = erfc(sqrt x), Q(1, x) = e^-x and Q(a+1, x) = Q(a, x) +
 * x^a e^-x / Gamma(a+1) (integration by parts) give every a in {1/2, 1, 3/2,
 * ...} from libm alone: no GSL error handler can fire here and an underflow
 * is simply 0.  Header-only, static functions: each module keeps its one
 * exported symbol.
 */
#ifndef KL_MOLLIFIER_INCGAMMA_H
#define KL_MOLLIFIER_INCGAMMA_H

#include <math.h>

/* Q(a, x) for a = k/2, k = 1, 2, ..., x >= 0. */
static double kl_incgamma_Q(double a, double x) {
  if (x <= 0) return 1.0;
  double twice = 2.0 * a;
  int k = (int)lround(twice);
  double q, b; /* q = Q(b, x) */
  if (k % 2) {
    b = 0.5;
    q = erfc(sqrt(x));
  } else {
    b = 1.0;
    q = exp(-x);
  }
  while (b + 0.5 < a) { /* b < a: step b -> b + 1 */
    q += exp(b * log(x) - x - lgamma(b + 1.0));
    b += 1.0;
  }
  return q;
}

/* Smallest x (to relative 1e-12) with pred(x) true for a predicate monotone in x
 * (false below, true above).  Returns INFINITY when even x = 1e300 fails. */
typedef int (*kl_incgamma_pred)(const void *ctx, double x);
static double kl_bisect_up(kl_incgamma_pred pred, const void *ctx) {
  double lo = 0.0, hi = 1.0;
  if (pred(ctx, lo)) return 0.0;
  while (!pred(ctx, hi)) {
    lo = hi;
    hi *= 2.0;
    if (hi > 1e300) return INFINITY;
  }
  for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; it++) {
    double mid = 0.5 * (lo + hi);
    if (pred(ctx, mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

#endif
