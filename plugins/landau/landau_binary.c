/* plugins/landau/landau_binary.c - stochastic binary collisions for the
 * homogeneous Landau equation (Takizuka-Abe / Nanbu type), the Monte Carlo
 * method of particle-in-cell codes, on the same kernels and initial data as
 * landau_particles (docs/landau.md, "landau_binary", has the derivation).
 *
 * The Landau operator in weak form, with A(z) = phi(|z|)(|z|^2 I - z z^T) and
 * b = div A = -(d-1) phi(|z|) z,
 *   d/dt int g f = int int f(v) f(w) [A(v-w) : D^2 g(v) + 2 b(v-w) . grad g(v)],
 * is the generator of a velocity that drifts with 2b and diffuses with 2A
 * against a partner w drawn from f.  For a pair (v, w) with z = v - w moving
 * as v' = c + z'/2, w' = c - z'/2 (c the centre of mass: momentum and energy
 * of the pair are kept exactly when |z'| = |z|), the relative velocity then
 * has drift 4b and covariance rate 8A = 8 phi r^2 (I - u u^T), u = z / r:
 * that is Brownian motion of u on the unit sphere with Cov(du) = 2 kappa dt
 * (I - u u^T), kappa = 4 M phi(r) (M the mass: one partner out of N particles of
 * weight M / N stands for all of them), whose Ito drift -(d-1) kappa u dt is
 * exactly 4b / r.  So a collision only turns z.
 *
 * One step of length dt: the N particles (N even) are paired by a random
 * permutation; each pair turns u by the exponential map of a tangent Gaussian
 * eta (covariance 2 kappa dt on the tangent space):
 *   u' = cos|eta| u + sin|eta| eta/|eta|,
 * which has the mean and covariance of the Brownian step to O(dt) (weak order
 * 1).  When kappa dt > ISOTROPIC_KAPPA_DT (Coulomb pairs at small |z|: the
 * Brownian motion forgets u within the step, the first harmonic decays by
 * e^{-(d-1) kappa dt}) u' is uniform on the sphere instead.  Draws come from
 * counter-based streams of (seed, t, pair): reproducible, independent of the
 * thread count, and the same after a restart.
 *
 * Initial data: N equal-weight samples of f0 on [-L, L]^d by systematic
 * resampling of the cell masses of a sampling mesh (uniform in the cell), then
 * (match_moments) shifted and scaled to the mesh's momentum and energy, so
 * the invariants carry no sampling noise.  The particle view offers a Gaussian
 * reconstruction (kernel density estimate) for diagnostics such as bkw_error.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#include "landau_box.h"
#include "landau_setup.h"
#include "landau_rng.h"

/* Beyond this kappa dt a pair's direction is drawn uniformly (see above). */
#define ISOTROPIC_KAPPA_DT 2.0

typedef struct lbc_state {
  unsigned d;
  size_t N;          /* particles (even) */
  uint64_t seed;
  double mass;       /* M = sum of the weights */
  double *w;         /* N equal weights M / N (the view's weights) */
  double *y0;        /* d*N initial velocities (SoA) */
  kl_instance *kern; /* NULL: Maxwell molecules with constant C */
  double C;          /* phi when kern is NULL */
  kl_instance *moll; /* reconstruction for diagnostics */
  double eps;
  size_t *perm;      /* N: the pairing */
  double *r2, *phi;  /* N/2: |z|^2 and phi(|z|) of the pairs */
} lbc_state;

static const kl_param_spec lbc_params[] = {
    {"d", KL_PARAM_INT, "2", 2, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "velocity dimension (2 or 3)"},
    {"N", KL_PARAM_INT, "10000", 2, 100000000,
     KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_COUNT, NULL, "1",
     "particles (even: they collide in pairs); the statistical error falls as N^(-1/2)"},
    {"seed", KL_PARAM_INT, "1", 0, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "seed of the initial sample and of the collisions; a run is a function of (seed, t)"},
    {"kernel", KL_PARAM_PLUGIN, NULL, 0, 0, KL_PARAM_OPTIONAL, "kernel", NULL,
     "collision kernel; default: Maxwell molecules (gamma = 0) with the BKW constant "
     "C = 1/16 (d = 2) or 1/24 (d = 3), as landau_particles"},
    {"box", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_OPTIONAL,
     NULL, "velocity",
     "half-width L of the sampling box [-L, L]^d; default: the smallest L that leaves out at "
     "most box_tail_tol of the mass and fourth moment of f0 and of its equilibrium"},
    {"box_tail_tol", KL_PARAM_REAL, "1e-12", 0, 1,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_HAS_MAX | KL_PARAM_MAX_EXCLUSIVE, NULL,
     "1", "without box: relative tail tolerance of the default sampling box"},
    {"sampling_cells", KL_PARAM_INT, NULL, 2, 4096,
     KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_OPTIONAL, NULL, "1",
     "cells per side of the sampling mesh (default 512 in 2-D, 96 in 3-D): the sample "
     "follows f0's cell masses, uniform within a cell"},
    {"match_moments", KL_PARAM_BOOL, "true", 0, 0, 0, NULL, NULL,
     "shift and scale the sample to the sampling mesh's momentum and energy (no sampling "
     "noise in the invariants)"},
    {"mollifier", KL_PARAM_PLUGIN, "{type: gaussian}", 0, 0, 0, "mollifier", NULL,
     "blob of the reconstruction offered to diagnostics (a kernel density estimate)"},
    {"epsilon", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_OPTIONAL,
     NULL, "mollifier's own",
     "eps of the reconstruction blob; default: the blob whose variance is Silverman's "
     "bandwidth T (4 / ((d + 2) N))^(2 / (d + 4)), T the temperature of f0"},
    KL_PARAM_END};

static const char *const names2[] = {"mass", "momentum_x", "momentum_y", "energy", "m4"};
static const char *const names3[] = {"mass", "momentum_x", "momentum_y", "momentum_z", "energy",
                                     "m4"};

static void lbc_destroy(void *state) {
  lbc_state *s = state;
  if (!s) return;
  free(s->w);
  free(s->y0);
  free(s->perm);
  free(s->r2);
  free(s->phi);
  free(s);
}

static size_t ipow(size_t b, unsigned e) {
  size_t r = 1;
  while (e--) r *= b;
  return r;
}

/* The sampling box half-width (the `box` key, or the tail rule). */
static int sampling_box(const kl_setup *setup, unsigned d, double *L, kl_error *err) {
  const kl_params *p = setup->params;
  if (kl_params_is_set(p, "box")) {
    *L = kl_params_real(p, "box");
    return KL_OK;
  }
  lb_box box = {0};
  int rc = ls_default_box(setup, d, kl_params_real(p, "box_tail_tol"), 0, 2, &box, err);
  if (!rc) *L = box.L;
  return rc;
}

/* Midpoint-rule sums of f0 on an n^d mesh of [-L, L]^d: mass, momentum and
 * energy, and (cum != NULL) the running mass over the cells.  False when f0 is
 * not finite and >= 0 at a cell centre: that centre in bad_v, f0 in *bad_f. */
typedef struct mesh_sums {
  double mass, mom[3], energy;
} mesh_sums;

static bool mesh_moments(const kl_instance *initial, unsigned d, double L, size_t n,
                         double *cum, mesh_sums *out, double *bad_v, double *bad_f) {
  const size_t M = ipow(n, d);
  const double h = 2 * L / (double)n, hd = pow(h, (double)d);
  *out = (mesh_sums){0, {0, 0, 0}, 0};
  for (size_t k = 0; k < M; k++) {
    double v[3] = {0, 0, 0}, r2 = 0;
    size_t r = k;
    for (unsigned a = d; a-- > 0;) {
      v[a] = -L + ((double)(r % n) + 0.5) * h;
      r /= n;
    }
    const double f = kl_initial_density(initial, NULL, v);
    if (!(f >= 0) || !isfinite(f)) {
      memcpy(bad_v, v, sizeof v);
      *bad_f = f;
      return false;
    }
    const double m = f * hd;
    out->mass += m;
    for (unsigned a = 0; a < d; a++) out->mom[a] += m * v[a], r2 += v[a] * v[a];
    out->energy += m * r2;
    if (cum) cum[k] = out->mass;
  }
  return true;
}

/* Most relative change of the mesh mass between n/2 and n cells per side for
 * f0 to count as resolved by the sampling mesh. */
static const double SAMPLING_MASS_RTOL = 1e-6;

/* N equal-weight samples of f0: systematic resampling of the cell masses of an
 * n^d mesh on [-L, L]^d, uniform within the chosen cell.  Also the mesh's
 * mass, momentum and energy (midpoint rule). */
static int sample_initial(lbc_state *s, const kl_setup *setup, double L, long n, bool match,
                          kl_error *err) {
  const kl_params *p = setup->params;
  const unsigned d = s->d;
  const size_t M = ipow((size_t)n, d), N = s->N;
  const double h = 2 * L / (double)n;
  double *cum = malloc(M * sizeof *cum);
  if (!cum)
    return kl_params_error(err, KL_ENOMEM, p, "sampling_cells",
                           "out of memory: %zu sampling cells need %zu bytes", M,
                           M * sizeof *cum);
  mesh_sums ms;
  double v[3], f;
  if (!mesh_moments(setup->initial, d, L, (size_t)n, cum, &ms, v, &f)) {
    free(cum);
    if (kl_params_is_set(p, "box")) /* the user's box reaches where f0 overflows */
      return kl_params_error(err, KL_EINVAL, p, "box",
                             "initial '%s': density %g at v = (%g, %g%s) of the sampling "
                             "mesh is not finite and >= 0: expected a smaller box",
                             kl_instance_name(setup->initial), f, v[0], v[1],
                             d == 3 ? ", ..." : "");
    return kl_error_set(err, KL_EINVAL,
                        "initial '%s': density %g at v = (%g, %g%s) is not finite and >= 0",
                        kl_instance_name(setup->initial), f, v[0], v[1], d == 3 ? ", ..." : "");
  }
  const double mass = ms.mass, energy = ms.energy, *mom = ms.mom;
  if (!(mass > 0) || !isfinite(mass)) {
    free(cum);
    return kl_params_error(err, KL_EINVAL, p, "box",
                           "the initial density has no positive finite mass on the sampling "
                           "mesh of [-%g, %g]^%u (mass %g)",
                           L, L, d, mass);
  }
  /* f0 resolved by the mesh: a mesh of half the cells gives the same mass
   * (sampling_cells: 2 gave particles of total mass 1.7e-5 for a unit mass) */
  mesh_sums half;
  const double coarse =
      mesh_moments(setup->initial, d, L, (size_t)n / 2, NULL, &half, v, &f) ? half.mass : NAN;
  if (!(fabs(coarse - mass) <= SAMPLING_MASS_RTOL * mass)) {
    free(cum);
    return kl_params_error(err, KL_EINVAL, p, "sampling_cells",
                           "the sampling mesh does not resolve initial '%s': its mass on "
                           "[-%g, %g]^%u is %.9g with %ld cells per side and %.9g with %ld "
                           "(expected a relative change below %g): expected more "
                           "sampling_cells (or a smaller box)",
                           kl_instance_name(setup->initial), L, L, d, mass, n, coarse, n / 2,
                           SAMPLING_MASS_RTOL);
  }
  /* systematic resampling: u_i = (i + U) / N of the mass, one U for all */
  uint64_t x = lr_stream(s->seed, 0x696e697469616cULL /* "initial" */, 0);
  const double U = lr_uniform(&x);
  size_t k = 0;
  for (size_t i = 0; i < N; i++) {
    const double target = ((double)i + U) / (double)N * mass;
    while (k + 1 < M && cum[k] <= target) k++;
    size_t r = k;
    for (unsigned a = d; a-- > 0;) {
      s->y0[a * N + i] = -L + ((double)(r % (size_t)n) + lr_uniform(&x)) * h;
      r /= (size_t)n;
    }
  }
  free(cum);
  /* the systematic sample is ordered by cell: shuffle so that the pairing of
   * the first step does not see that order (Fisher-Yates, same stream) */
  for (size_t i = N - 1; i > 0; i--) {
    const size_t j = (size_t)(lr_splitmix64(&x) % (uint64_t)(i + 1));
    for (unsigned a = 0; a < d; a++) {
      const double t = s->y0[a * N + i];
      s->y0[a * N + i] = s->y0[a * N + j];
      s->y0[a * N + j] = t;
    }
  }
  s->mass = mass;
  if (match) {
    double mean[3], spread = 0, u2 = 0;
    for (unsigned a = 0; a < d; a++) {
      double sum = 0;
      for (size_t i = 0; i < N; i++) sum += s->y0[a * N + i];
      mean[a] = sum / (double)N;
      u2 += (mom[a] / mass) * (mom[a] / mass);
    }
    for (unsigned a = 0; a < d; a++)
      for (size_t i = 0; i < N; i++) {
        const double dv = s->y0[a * N + i] - mean[a];
        spread += dv * dv;
      }
    const double thermal = energy / mass - u2; /* sum of the d temperatures */
    if (!(spread > 0) || !(thermal > 0))
      return kl_params_error(err, KL_EINVAL, p, "match_moments",
                             "the sample (spread %g) or the initial data (temperature %g) have "
                             "no thermal energy to match: set match_moments: false",
                             spread, thermal / d);
    const double lambda = sqrt(thermal / (spread / (double)N));
    for (unsigned a = 0; a < d; a++)
      for (size_t i = 0; i < N; i++)
        s->y0[a * N + i] = mom[a] / mass + lambda * (s->y0[a * N + i] - mean[a]);
  }
  return KL_OK;
}

/* Silverman's bandwidth as a variance, T (4 / ((d + 2) N))^(2 / (d + 4)),
 * turned into the mollifier's own eps through its width (variance per
 * component): width(eps) is taken as a power law in eps, measured at 1 and 2. */
static int reconstruction_eps(lbc_state *s, const kl_params *p, kl_error *err) {
  if (kl_params_is_set(p, "epsilon")) {
    s->eps = kl_params_real(p, "epsilon");
    return KL_OK;
  }
  const unsigned d = s->d;
  const size_t N = s->N;
  double energy = 0, mean2 = 0;
  for (unsigned a = 0; a < d; a++) {
    double sum = 0;
    for (size_t i = 0; i < N; i++) {
      sum += s->y0[a * N + i];
      energy += s->y0[a * N + i] * s->y0[a * N + i];
    }
    mean2 += (sum / (double)N) * (sum / (double)N);
  }
  const double T = (energy / (double)N - mean2) / d;
  const double variance = T * pow(4.0 / ((d + 2.0) * (double)N), 2.0 / (d + 4.0));
  const double w1 = kl_mollifier_width(s->moll, d, 1), w2 = kl_mollifier_width(s->moll, d, 2);
  const double power = log2(w2 / w1);
  s->eps = pow(variance / w1, 1 / power);
  if (!(s->eps > 0) || !isfinite(s->eps))
    return kl_params_error(err, KL_EINVAL, p, "epsilon",
                           "mollifier '%s' declares no width (variance) to place Silverman's "
                           "bandwidth %g on: set epsilon",
                           kl_instance_name(s->moll), variance);
  return KL_OK;
}

static int lbc_create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  if (!setup->initial)
    return kl_error_set(err, KL_EINVAL,
                        "model landau_binary (%s): needs initial data (an `initial:` section)",
                        kl_params_path(p));
  if (setup->dim_x != 0)
    return kl_error_set(err, KL_EINVAL,
                        "model landau_binary (%s): spatially homogeneous initial data only",
                        kl_params_path(p));
  const long N = kl_params_int(p, "N");
  if (N % 2)
    return kl_params_error(err, KL_EINVAL, p, "N",
                           "particles collide in pairs: expected an even N, found %ld", N);
  lbc_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = (unsigned)kl_params_int(p, "d");
  s->N = (size_t)N;
  s->seed = (uint64_t)kl_params_int(p, "seed");
  const unsigned d = s->d;
  double L = 0;
  int rc = sampling_box(setup, d, &L, err);
  if (rc) goto fail;
  s->w = malloc(s->N * sizeof *s->w);
  s->y0 = malloc(d * s->N * sizeof *s->y0);
  s->perm = malloc(s->N * sizeof *s->perm);
  s->r2 = malloc(s->N / 2 * sizeof *s->r2);
  s->phi = malloc(s->N / 2 * sizeof *s->phi);
  if (!s->w || !s->y0 || !s->perm || !s->r2 || !s->phi) {
    rc = kl_params_error(err, KL_ENOMEM, p, "N",
                         "out of memory: N = %ld particles need %zu bytes; reduce N", N,
                         (size_t)N * ((d + 2) * sizeof(double) + sizeof(size_t)));
    goto fail;
  }
  const long cells = kl_params_is_set(p, "sampling_cells") ? kl_params_int(p, "sampling_cells")
                     : d == 2                              ? 512
                                                           : 96;
  rc = sample_initial(s, setup, L, cells, kl_params_bool(p, "match_moments"), err);
  if (rc) goto fail;
  for (size_t i = 0; i < s->N; i++) s->w[i] = s->mass / (double)s->N;

  s->kern = kl_params_plugin(p, "kernel");
  s->C = d == 2 ? 1.0 / 16 : 1.0 / 24;
  double C = s->C, gamma = 0;
  if (s->kern && kl_kernel_power_law(s->kern, &C, &gamma) != KL_OK) C = gamma = NAN;
  char kernel_is[64];
  if (isnan(C)) snprintf(kernel_is, sizeof kernel_is, "is not a power law");
  else snprintf(kernel_is, sizeof kernel_is, "has gamma = %g, C = %g", gamma, C);
  ls_warn_exact_kernel(setup, C, gamma, kernel_is);

  s->moll = kl_params_plugin(p, "mollifier");
  rc = reconstruction_eps(s, p, err);
  if (rc) goto fail;
  kl_logf(setup->log, KL_LOG_INFO,
          "landau_binary: %zu particles of weight %.6g sampled on [-%.6g, %.6g]^%u (%ld cells "
          "per side); reconstruction eps = %.6g",
          s->N, s->mass / (double)s->N, L, L, d, cells, s->eps);
  *state = s;
  return KL_OK;
fail:
  lbc_destroy(s);
  return rc;
}

static size_t lbc_size(void *state) {
  const lbc_state *s = state;
  return s->d * s->N;
}

static int lbc_initial(void *state, double *t0, double *y, kl_error *err) {
  (void)t0, (void)err;
  const lbc_state *s = state;
  memcpy(y, s->y0, s->d * s->N * sizeof *y);
  return KL_OK;
}

static unsigned lbc_n_parts(void *state) {
  (void)state;
  return 1;
}

static kl_split_scheme lbc_split_scheme(void *state) {
  (void)state;
  return KL_SPLIT_LIE;
}

/* One collision step over [t, t + dt] (see the head of the file). */
static int lbc_step(void *state, unsigned part, double t, double dt, double *y, kl_error *err) {
  (void)part;
  lbc_state *s = state;
  const unsigned d = s->d;
  const size_t N = s->N, pairs = N / 2;
  const uint64_t key = lr_time_key(t);
  uint64_t x = lr_stream(s->seed, key, UINT64_MAX);
  for (size_t i = 0; i < N; i++) s->perm[i] = i;
  for (size_t i = N - 1; i > 0; i--) {
    const size_t j = (size_t)(lr_splitmix64(&x) % (uint64_t)(i + 1)); /* bias < 2^-40 */
    const size_t tmp = s->perm[i];
    s->perm[i] = s->perm[j];
    s->perm[j] = tmp;
  }
  for (size_t q = 0; q < pairs; q++) {
    const size_t i = s->perm[2 * q], j = s->perm[2 * q + 1];
    double r2 = 0;
    for (unsigned a = 0; a < d; a++) {
      const double z = y[a * N + i] - y[a * N + j];
      r2 += z * z;
    }
    s->r2[q] = r2;
  }
  if (s->kern) kl_kernel_weight(s->kern, pairs, s->r2, s->phi);
  else
    for (size_t q = 0; q < pairs; q++) s->phi[q] = s->C;
  const double M = s->mass;
  int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad)
  for (size_t q = 0; q < pairs; q++) {
    const size_t i = s->perm[2 * q], j = s->perm[2 * q + 1];
    const double r2 = s->r2[q];
    if (r2 == 0) continue; /* nothing to turn */
    const double kdt = 4 * M * s->phi[q] * dt;
    if (!(kdt >= 0) || !isfinite(kdt)) {
      bad = 1;
      continue;
    }
    const double r = sqrt(r2);
    double u[3], g[4], c[3];
    for (unsigned a = 0; a < d; a++) {
      u[a] = (y[a * N + i] - y[a * N + j]) / r;
      c[a] = 0.5 * (y[a * N + i] + y[a * N + j]);
    }
    uint64_t xs = lr_stream(s->seed, key, q);
    lr_normal2(&xs, &g[0], &g[1]);
    if (d == 3) lr_normal2(&xs, &g[2], &g[3]); /* 2-D needs two */
    double un[3];
    if (kdt > ISOTROPIC_KAPPA_DT) {
      double gn = 0;
      for (unsigned a = 0; a < d; a++) gn += g[a] * g[a];
      gn = sqrt(gn);
      for (unsigned a = 0; a < d; a++) un[a] = g[a] / gn;
    } else {
      double gu = 0, eta[3], theta = 0;
      for (unsigned a = 0; a < d; a++) gu += g[a] * u[a];
      const double sd = sqrt(2 * kdt);
      for (unsigned a = 0; a < d; a++) {
        eta[a] = sd * (g[a] - gu * u[a]);
        theta += eta[a] * eta[a];
      }
      theta = sqrt(theta);
      const double cs = cos(theta), sn = theta > 0 ? sin(theta) / theta : 1;
      double n2 = 0;
      for (unsigned a = 0; a < d; a++) {
        un[a] = cs * u[a] + sn * eta[a];
        n2 += un[a] * un[a];
      }
      /* |un| = 1 up to rounding; renormalise so that |z'| = |z| to the last bit
       * the rounding allows (energy) */
      n2 = sqrt(n2);
      for (unsigned a = 0; a < d; a++) un[a] /= n2;
    }
    for (unsigned a = 0; a < d; a++) {
      y[a * N + i] = c[a] + 0.5 * r * un[a];
      y[a * N + j] = c[a] - 0.5 * r * un[a];
    }
  }
  if (bad)
    return kl_error_set(err, KL_ENUMERIC,
                        "landau_binary: at t = %g the kernel gave a collision rate that is not "
                        "finite and >= 0 (phi(|z|) 4 M dt)",
                        t);
  return KL_OK;
}

static int lbc_view(void *state, const double *y, kl_view *view, kl_error *err) {
  (void)err;
  const lbc_state *s = state;
  ls_particle_view(s->d, s->N, y, s->w, s->moll, s->eps, view);
  return KL_OK;
}

static size_t lbc_invariant_names(void *state, const char *const **names) {
  const lbc_state *s = state;
  *names = s->d == 2 ? names2 : names3;
  return s->d == 2 ? sizeof names2 / sizeof *names2 : sizeof names3 / sizeof *names3;
}

static int lbc_invariants(void *state, double t, const double *y, double *values,
                          kl_error *err) {
  (void)t, (void)err;
  const lbc_state *s = state;
  const unsigned d = s->d;
  const size_t N = s->N;
  double mass, mom[3], energy, m4;
  ls_moments(d, N, s->w, y, &mass, mom, &energy, &m4);
  size_t q = 0;
  values[q++] = mass;
  for (unsigned a = 0; a < d; a++) values[q++] = mom[a];
  values[q++] = energy;
  values[q++] = m4;
  return KL_OK;
}

/* Equal weights; every collision keeps the pair's momentum and energy exactly
 * (up to rounding: |z'| = |z| to the last bit the renormalisation allows). */
static void lbc_conservation(void *state, kl_conservation *classes) {
  const lbc_state *s = state;
  size_t q = 0;
  classes[q++] = KL_CONSERVED_ROUNDOFF;
  for (unsigned a = 0; a < s->d; a++) classes[q++] = KL_CONSERVED_ROUNDOFF;
  classes[q] = KL_CONSERVED_ROUNDOFF;
}

static const kl_model_ops lbc_ops = {
    .struct_size = sizeof(kl_model_ops),
    .size = lbc_size,
    .initial = lbc_initial,
    .n_parts = lbc_n_parts,
    .split_scheme = lbc_split_scheme,
    .part_step = lbc_step,
    .view = lbc_view,
    .invariant_names = lbc_invariant_names,
    .invariants = lbc_invariants,
    .conservation = lbc_conservation,
};

static const kl_plugin_info lbc_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_MODEL,
    "landau_binary",
    "stochastic binary collisions (Takizuka-Abe / Nanbu type) for the homogeneous Landau "
    "equation: random pairs turn their relative velocity; momentum and energy exact",
    lbc_params,
    &lbc_ops,
    lbc_create,
    lbc_destroy};

static const kl_plugin_info *const plugins[] = {&lbc_info, NULL};
KL_PLUGIN_MODULE(plugins)
