/* plugins/landau/tests/test_landau_common.h - helpers of the Landau model tests. */
#ifndef KL_TEST_LANDAU_COMMON_H
#define KL_TEST_LANDAU_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* One classical RK4 step of the model (the integrator plugins live elsewhere). */
static inline int landau_rk4_step(kl_instance *model, double t, double dt, double *y, size_t n,
                           kl_error *err) {
  double *k = malloc(5 * n * sizeof *k);
  if (!k) return KL_ENOMEM;
  double *k1 = k, *k2 = k + n, *k3 = k + 2 * n, *k4 = k + 3 * n, *tmp = k + 4 * n;
  int rc = kl_model_rhs(model, t, y, k1, err);
  for (size_t i = 0; !rc && i < n; i++) tmp[i] = y[i] + 0.5 * dt * k1[i];
  if (!rc) rc = kl_model_rhs(model, t + 0.5 * dt, tmp, k2, err);
  for (size_t i = 0; !rc && i < n; i++) tmp[i] = y[i] + 0.5 * dt * k2[i];
  if (!rc) rc = kl_model_rhs(model, t + 0.5 * dt, tmp, k3, err);
  for (size_t i = 0; !rc && i < n; i++) tmp[i] = y[i] + dt * k3[i];
  if (!rc) rc = kl_model_rhs(model, t + dt, tmp, k4, err);
  for (size_t i = 0; !rc && i < n; i++) y[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
  free(k);
  return rc;
}

/* Index of an invariant by name, or -1. */
static inline int landau_invariant_index(kl_instance *model, const char *name) {
  const char *const *names;
  size_t n = kl_model_invariant_names(model, &names);
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return (int)i;
  return -1;
}

#endif
