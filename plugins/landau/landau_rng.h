/* plugins/landau/landau_rng.h - counter-based random numbers for the Landau
 * models: every draw is a function of (seed, key, index) only, so results do
 * not depend on the thread count or on the order in which pairs are visited,
 * and a restart (which knows t, hence the key) draws the same numbers.
 *
 * splitmix64 (Steele, Lea, Flood 2014; the generator that seeds xoshiro) is
 * used as a stream: its state advances by a Weyl constant, its output is a
 * 64-bit finaliser.  A stream for (seed, key, index) starts from a mix of the
 * three, so streams of different indices are decorrelated by the finaliser.
 */
#ifndef KL_LANDAU_RNG_H
#define KL_LANDAU_RNG_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t lr_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* The stream state of (seed, key, index). */
static inline uint64_t lr_stream(uint64_t seed, uint64_t key, uint64_t index) {
  uint64_t x = seed * 0xd1342543de82ef95ULL ^ key;
  x = lr_splitmix64(&x) ^ index * 0x9e3779b97f4a7c15ULL;
  (void)lr_splitmix64(&x);
  return x;
}

/* A uniform double in (0, 1): 53 random bits, never 0 (log-safe). */
static inline double lr_uniform(uint64_t *x) {
  return ((double)(lr_splitmix64(x) >> 11) + 0.5) * 0x1.0p-53;
}

/* Two independent standard normal numbers (Box-Muller). */
static inline void lr_normal2(uint64_t *x, double *g0, double *g1) {
  const double r = sqrt(-2 * log(lr_uniform(x))), a = 2 * M_PI * lr_uniform(x);
  *g0 = r * cos(a);
  *g1 = r * sin(a);
}

/* The key of a time t: its bit pattern (a function of t alone). */
static inline uint64_t lr_time_key(double t) {
  uint64_t bits;
  memcpy(&bits, &t, sizeof bits);
  return bits;
}

#endif
