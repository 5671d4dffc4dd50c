/* plugins/cucker_smale/cs_gauss.h - Gauss-Legendre rules on a cell, shared by the
 * Cucker-Smale grid model and its diagnostics (cell averages of f0 / exact f). */
#ifndef KINLAB_CS_GAUSS_H
#define KINLAB_CS_GAUSS_H

#include <math.h>

/* Gauss-Legendre nodes/weights on [-1/2, 1/2] (weights sum to 1). */
static inline void gauss_rule(unsigned q, double *x, double *w) {
  switch (q) {
  case 1: x[0] = 0, w[0] = 1; break;
  case 2: x[0] = -0.5 / sqrt(3.0), x[1] = -x[0], w[0] = w[1] = 0.5; break;
  case 3:
    x[0] = -0.5 * sqrt(0.6), x[1] = 0, x[2] = -x[0];
    w[0] = w[2] = 5.0 / 18, w[1] = 8.0 / 18;
    break;
  default: {
    double a = sqrt(3.0 / 7 - 2.0 / 7 * sqrt(1.2)), b = sqrt(3.0 / 7 + 2.0 / 7 * sqrt(1.2));
    double wa = (18 + sqrt(30.0)) / 36, wb = (18 - sqrt(30.0)) / 36;
    x[0] = -0.5 * b, x[1] = -0.5 * a, x[2] = 0.5 * a, x[3] = 0.5 * b;
    w[0] = w[3] = wb / 2, w[1] = w[2] = wa / 2;
  }
  }
}

#endif
