/* plugins/landau/landau_rate.h - the exact instantaneous rate of the second
 * moments P = int v (x) v f of the Landau equation at a sum of Maxwellians with
 * diagonal covariances (../shared/notes/validation.md; docs/landau.md,
 * "The exact second-moment rate"):
 *
 *   dP/dt = 2 int int f(v) f(w) phi(|u|) (|u|^2 I - d u (x) u) dv dw,  u = v - w,
 *
 * for A(z) = phi(|z|)(|z|^2 I - z (x) z).  For f = sum_k w_k N(m_k, diag(s_k))
 * the relative velocity of a pair (k, l) is Gaussian, u ~ N(m_k - m_l,
 * diag(s_k + s_l)), so dP/dt is a sum of d-dimensional Gaussian expectations,
 * computed here in polar/spherical coordinates about u = 0, where the
 * singularity of phi (|u|^gamma, gamma > -d - 2) is integrable:
 *   radial:  Gauss-Legendre panels of width sqrt(min s)/2 out to |m| + 12
 *            sqrt(max s) (the Gaussian beyond is below e^-72), the first panel
 *            graded geometrically towards 0 (r^(gamma + d + 1) is not smooth there
 *            for non-integer gamma);
 *   angular: the trapezoid rule in the angle (2-D, spectral for the periodic
 *            integrand) or Gauss-Legendre in cos(theta) x trapezoid in the
 *            azimuth (3-D).
 * The mass of the Gaussian, integrated with the same nodes, must come out 1:
 * its error is returned as the quadrature's self-check.
 */
#ifndef KL_LANDAU_RATE_H
#define KL_LANDAU_RATE_H

#include <math.h>
#include <stdlib.h>

/* phi[i] = phi(sqrt(r2[i])) for n squared radii (kl_kernel_weight's form). */
typedef void (*lrate_phi_fn)(void *ctx, size_t n, const double *r2, double *phi);

enum { LRATE_GL = 8, LRATE_GRADED = 30, LRATE_ANGLES_2D = 256, LRATE_COS_3D = 48,
       LRATE_AZIMUTH_3D = 96, LRATE_MAX_PANELS = 2048 };

/* Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n from the
 * Chebyshev guess; to round-off for n <= 64). */
static inline void lrate_gauss_legendre(int n, double *x, double *w) {
  for (int i = 0; i < n; i++) {
    double z = cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 1;
    for (int it = 0; it < 100; it++) {
      double p0 = 1, p1 = z;
      for (int k = 2; k <= n; k++) {
        const double p2 = ((2.0 * k - 1) * z * p1 - (k - 1.0) * p0) / k;
        p0 = p1, p1 = p2;
      }
      dp = n * (z * p1 - p0) / (z * z - 1);
      const double dz = p1 / dp;
      z -= dz;
      if (fabs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
}

/* out += scale * E_{u ~ N(mu, diag(s))}[phi(|u|) (|u|^2 I - d u u^T)] (d x d,
 * row-major in out[3][3]).  Returns |mass - 1| of the Gaussian on the same
 * nodes, -1 when out of memory, -2 when the Gaussian is too narrow for the
 * nodes (more than LRATE_MAX_PANELS radial panels). */
static inline double lrate_gaussian_term(unsigned d, const double *mu, const double *s,
                                         lrate_phi_fn phi, void *ctx, double scale,
                                         double out[3][3]) {
  double smin = s[0], smax = s[0], m2 = 0;
  for (unsigned a = 0; a < d; a++) {
    smin = fmin(smin, s[a]), smax = fmax(smax, s[a]);
    m2 += mu[a] * mu[a];
  }
  const double R = sqrt(m2) + 12 * sqrt(smax), width = 0.5 * sqrt(smin);
  /* beyond LRATE_MAX_PANELS the Gaussian is narrower than the angular nodes
   * resolve (the self-check would fail), and the count grows without bound
   * (temperatures [1e-12, 1]: minutes; 1e-300: not a size_t) */
  if (!(R / width <= LRATE_MAX_PANELS)) return -2;
  const size_t panels = (size_t)ceil(R / width);
  /* panel edges: geometric on [0, width], uniform after */
  const size_t np = panels - 1 + LRATE_GRADED + 1, nr = np * LRATE_GL;
  double gx[LRATE_GL], gw[LRATE_GL];
  lrate_gauss_legendre(LRATE_GL, gx, gw);
  double *r = malloc(nr * sizeof *r), *wr = malloc(nr * sizeof *wr), *r2 = malloc(nr * sizeof *r2),
         *ph = malloc(nr * sizeof *ph);
  if (!r || !wr || !r2 || !ph) {
    free(r), free(wr), free(r2), free(ph);
    return -1;
  }
  size_t q = 0;
  for (size_t p = 0; p < np; p++) {
    double lo, hi;
    if (p <= LRATE_GRADED) { /* [0, width 2^-G], then doubling up to width */
      lo = p == 0 ? 0 : width * ldexp(1, (int)p - 1 - LRATE_GRADED);
      hi = width * ldexp(1, (int)p - LRATE_GRADED);
    } else {
      lo = width * (double)(p - LRATE_GRADED);
      hi = lo + width;
    }
    for (int i = 0; i < LRATE_GL; i++, q++) {
      r[q] = 0.5 * (lo + hi) + 0.5 * (hi - lo) * gx[i];
      wr[q] = 0.5 * (hi - lo) * gw[i];
      r2[q] = r[q] * r[q];
    }
  }
  phi(ctx, nr, r2, ph);
  double norm = 1;
  for (unsigned a = 0; a < d; a++) norm *= 1 / sqrt(2 * M_PI * s[a]);
  /* angular nodes */
  double om[LRATE_COS_3D * LRATE_AZIMUTH_3D][3], wom[LRATE_COS_3D * LRATE_AZIMUTH_3D];
  size_t nom = 0;
  if (d == 2) {
    for (int j = 0; j < LRATE_ANGLES_2D; j++, nom++) {
      const double t = 2 * M_PI * j / LRATE_ANGLES_2D;
      om[nom][0] = cos(t), om[nom][1] = sin(t), om[nom][2] = 0;
      wom[nom] = 2 * M_PI / LRATE_ANGLES_2D;
    }
  } else {
    double cx[LRATE_COS_3D], cw[LRATE_COS_3D];
    lrate_gauss_legendre(LRATE_COS_3D, cx, cw);
    for (int i = 0; i < LRATE_COS_3D; i++)
      for (int j = 0; j < LRATE_AZIMUTH_3D; j++, nom++) {
        const double f = 2 * M_PI * (j + 0.5) / LRATE_AZIMUTH_3D, st = sqrt(1 - cx[i] * cx[i]);
        om[nom][0] = st * cos(f), om[nom][1] = st * sin(f), om[nom][2] = cx[i];
        wom[nom] = cw[i] * 2 * M_PI / LRATE_AZIMUTH_3D;
      }
  }
  double mass = 0, acc[3][3] = {{0}};
  for (size_t k = 0; k < nr; k++) {
    const double rd1 = d == 2 ? r[k] : r2[k]; /* r^(d-1) */
    double ang_mass = 0, ang[3][3] = {{0}};
    for (size_t j = 0; j < nom; j++) {
      double e = 0;
      for (unsigned a = 0; a < d; a++) {
        const double z = r[k] * om[j][a] - mu[a];
        e += z * z / s[a];
      }
      const double g = wom[j] * exp(-0.5 * e);
      ang_mass += g;
      for (unsigned a = 0; a < d; a++)
        for (unsigned b = a; b < d; b++) ang[a][b] += g * om[j][a] * om[j][b];
    }
    const double base = wr[k] * rd1 * norm;
    mass += base * ang_mass;
    const double f = base * ph[k] * r2[k];
    for (unsigned a = 0; a < d; a++)
      for (unsigned b = a; b < d; b++)
        acc[a][b] += f * ((a == b ? ang_mass : 0) - d * ang[a][b]);
  }
  for (unsigned a = 0; a < d; a++)
    for (unsigned b = a; b < d; b++) {
      out[a][b] += scale * acc[a][b];
      if (b != a) out[b][a] = out[a][b];
    }
  free(r), free(wr), free(r2), free(ph);
  return fabs(mass - 1);
}

/* dP/dt at f = sum_k w[k] N(m[k], diag(s[k])), K components.  Returns the
 * largest mass error of the pair quadratures (self-check), -1 out of memory,
 * -2 a pair too narrow for the nodes. */
static inline double lrate_mixture(unsigned d, size_t K, const double *w, const double (*m)[3],
                                   const double (*s)[3], lrate_phi_fn phi, void *ctx,
                                   double rate[3][3]) {
  for (unsigned a = 0; a < 3; a++)
    for (unsigned b = 0; b < 3; b++) rate[a][b] = 0;
  double worst = 0;
  for (size_t k = 0; k < K; k++)
    for (size_t l = 0; l < K; l++) {
      if (w[k] == 0 || w[l] == 0) continue;
      double mu[3], sv[3];
      for (unsigned a = 0; a < d; a++) mu[a] = m[k][a] - m[l][a], sv[a] = s[k][a] + s[l][a];
      const double e = lrate_gaussian_term(d, mu, sv, phi, ctx, 2 * w[k] * w[l], rate);
      if (e < 0) return e;
      worst = fmax(worst, e);
    }
  return worst;
}

#endif
