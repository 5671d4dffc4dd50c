/* plugins/cucker_smale/cs_invariants.h - the invariant columns that both CS
 * models report first, under the same names (so compare and the plots line up
 * the particle and the kinetic runs). */
#ifndef CS_INVARIANTS_H
#define CS_INVARIANTS_H

#include <stdbool.h>
#include <stddef.h>

#include <kinlab/kinlab.h>

/* names[0 .. d+1] = mass, momentum_x[, _y[, _z]], energy; returns d + 2. */
static inline size_t cs_conserved_names(const char **names, unsigned d) {
  static const char *const momentum[] = {"momentum_x", "momentum_y", "momentum_z"};
  size_t q = 0;
  names[q++] = "mass";
  for (unsigned k = 0; k < d; k++) names[q++] = momentum[k];
  names[q++] = "energy";
  return q;
}

/* The conservation classes of those columns (kl_model_ops.conservation):
 * mass and momentum kept to round-off where the scheme keeps them; the
 * energy is dissipated by alignment, never declared. */
static inline void cs_conservation(kl_conservation *classes, unsigned d, bool mass_kept,
                                   bool momentum_kept) {
  if (mass_kept) classes[0] = KL_CONSERVED_ROUNDOFF;
  for (unsigned k = 0; k < d && momentum_kept; k++) classes[1 + k] = KL_CONSERVED_ROUNDOFF;
}

#endif
