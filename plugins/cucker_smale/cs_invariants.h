/* plugins/cucker_smale/cs_invariants.h - the invariant columns that both CS
 * models report first, under the same names (so compare and the plots line up
 * the particle and the kinetic runs). */
#ifndef CS_INVARIANTS_H
#define CS_INVARIANTS_H

#include <stddef.h>

/* names[0 .. d+1] = mass, momentum_x[, _y[, _z]], energy; returns d + 2. */
static inline size_t cs_conserved_names(const char **names, unsigned d) {
  static const char *const momentum[] = {"momentum_x", "momentum_y", "momentum_z"};
  size_t q = 0;
  names[q++] = "mass";
  for (unsigned k = 0; k < d; k++) names[q++] = momentum[k];
  names[q++] = "energy";
  return q;
}

#endif
