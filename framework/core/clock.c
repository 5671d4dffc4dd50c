/* clock.c - wall-clock time for the run statistics (wall_s) and benchmarks. */
#include <time.h>

#include "internal.h"

double kl_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
