/* plugins/landau/landau_setup.h - set-up steps the Landau models share
 * (landau_particles, landau_binary): the default box from the initial data's
 * tail (landau_box.h) and the check that exact-solution data match the kernel. */
#ifndef KL_LANDAU_SETUP_H
#define KL_LANDAU_SETUP_H

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <kinlab/kinlab.h>

#include "landau_box.h"

/* lb_density_fn of an initial plugin (spatially homogeneous: x = NULL) */
static inline double ls_initial_density(void *ctx, const double *v) {
  return kl_initial_density(ctx, NULL, v);
}

/* lb_choose_box on the model's initial data over the support they declare
 * (tol_fixed > 0, or coeff (h/sqrt(T))^2 with h = 2L/n).  Errors name `box`,
 * the key that makes the computation unnecessary. */
static inline int ls_default_box(const kl_setup *setup, unsigned d, double tol_fixed,
                                 double coeff, long n, lb_box *box, kl_error *err) {
  const kl_params *p = setup->params;
  double lo[3], hi[3];
  if (kl_initial_support(setup->initial, NULL, NULL, lo, hi) != KL_OK)
    return kl_params_error(err, KL_EINVAL, p, "box",
                           "initial data '%s' give no support box: set box (the particles "
                           "start in [-box, box]^d)",
                           kl_instance_name(setup->initial));
  double S = 0; /* the tail quadrature's cube [-S, S]^d holds the support */
  for (unsigned k = 0; k < d; k++) S = fmax(S, fmax(fabs(lo[k]), fabs(hi[k])));
  const int brc = lb_choose_box(d, ls_initial_density, (void *)setup->initial, S, tol_fixed,
                                coeff, n, box);
  if (brc == -1) return kl_error_set(err, KL_ENOMEM, "out of memory (default box)");
  if (brc)
    return kl_params_error(err, KL_EINVAL, p, "box",
                           "initial data '%s' have no positive, finite mass and temperature in "
                           "their support [-%g, %g]^%u: set box (the particles start in [-box, "
                           "box]^d)",
                           kl_instance_name(setup->initial), S, S, d);
  return KL_OK;
}

/* Initial data that are an exact solution only for one Landau kernel say
 * which (bkw: gamma = 0, C = 1/16 or 1/24); their exact() does not hold for
 * another: warn.  Asked of the plugin, never guessed from its name.  C and
 * gamma are NaN for a kernel that is not a power law; kernel_is describes it. */
static inline void ls_warn_exact_kernel(const kl_setup *setup, double C, double gamma,
                                        const char *kernel_is) {
  double exact_gamma, exact_C;
  if (kl_initial_has_exact(setup->initial) &&
      kl_initial_exact_parameter(setup->initial, "landau_gamma", &exact_gamma) == KL_OK &&
      kl_initial_exact_parameter(setup->initial, "landau_C", &exact_C) == KL_OK &&
      !(gamma == exact_gamma && fabs(C - exact_C) <= 1e-12 * fabs(exact_C)))
    kl_logf(setup->log, KL_LOG_WARN,
            "%s: the exact solution of initial '%s' solves the Landau equation with "
            "gamma = %g, C = %g only; this kernel %s",
            kl_params_path(setup->params), kl_instance_name(setup->initial), exact_gamma,
            exact_C, kernel_is);
}

/* The invariants both models report: mass, momentum, energy sum w |v|^2 and
 * sum w |v|^4 of N weighted particles, velocities SoA (y[a N + i]), summed in
 * particle order (the same bits as before this was shared). */
static inline void ls_moments(unsigned d, size_t N, const double *w, const double *y,
                              double *mass, double *mom, double *energy, double *m4) {
  *mass = *energy = *m4 = 0;
  for (unsigned a = 0; a < 3; a++) mom[a] = 0;
  for (size_t i = 0; i < N; i++) {
    double r2 = 0;
    for (unsigned a = 0; a < d; a++) {
      mom[a] += w[i] * y[a * N + i];
      r2 += y[a * N + i] * y[a * N + i];
    }
    *mass += w[i];
    *energy += w[i] * r2;
    *m4 += w[i] * r2 * r2;
  }
}

/* The particle view of N weighted velocities, SoA y[a N + i], with the blob
 * offered for reconstructions. */
static inline void ls_particle_view(unsigned d, size_t N, const double *y, const double *w,
                                    const kl_instance *moll, double eps, kl_view *view) {
  memset(view, 0, sizeof *view);
  view->kind = KL_VIEW_PARTICLES;
  view->dim_v = d;
  view->particles.n = N;
  for (unsigned a = 0; a < d; a++) view->particles.v[a] = y + a * N;
  view->particles.w = w;
  view->particles.mollifier = moll;
  view->particles.eps = eps;
}

#endif
