/* bench/cs_rhs.c - CPU time of one RK4 step (4 right-hand sides) of
 * cs_particles on the Table-1 patch of paper 004 (docs/cucker_smale.md,
 * "Performance of cs_particles"):
 *
 *   bench/cs_rhs N [REPS]      (in the build directory, KINLAB_PLUGIN_PATH set)
 *
 * d = 1, dim_x = 1, periodic [0, 20), psi = indicator, N eps = 1 (the model's
 * default epsilon), initial data cs_patch (side 2 at x = 11, v = -0.3, mass 1).
 * Times 4 x REPS evaluations (REPS RK4 steps, default 2) after one warm-up
 * with the process CPU clock (so other load on the machine does not count)
 * and prints the mean CPU time per step.  Public API only (kinlab/kinlab.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <kinlab/kinlab.h>

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int parse_long(const char *what, const char *text, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end || errno || v < min || v > max) {
    fprintf(stderr, "cs_rhs: %s %s: expected an integer in %ld..%ld\n", what, text, min, max);
    return 1;
  }
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  long N = 0, reps = 2;
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "Usage: %s N [REPS]\n  CPU time per RK4 step (4 rhs) of cs_particles, "
                    "N particles, mean of REPS steps (default 2)\n", argv[0]);
    return 1;
  }
  if (parse_long("N", argv[1], 2, 100000000L, &N) ||
      (argc > 2 && parse_long("REPS", argv[2], 1, 1000, &reps)))
    return 1;
  kl_error err = {0, ""};
  kl_registry *reg = kl_registry_new();
  kl_instance *init = NULL, *model = NULL;
  double *y = NULL, *dy = NULL;
  int rc = reg ? kl_registry_load_default_path(reg, &err)
               : kl_error_set(&err, KL_ENOMEM, "out of memory");
  if (!rc)
    rc = kl_instance_from_yaml(reg, KL_KIND_INITIAL,
                               "{type: cs_patch, center: [11, -0.3], side: [2], mass: 1}", 1, 1,
                               NULL, NULL, &init, &err);
  char yaml[256];
  snprintf(yaml, sizeof yaml,
           "{type: cs_particles, d: 1, dim_x: 1, N: %ld, gamma: 1, psi: psi_indicator, "
           "box_lo: [0], box_hi: [20], boundary: periodic}", N);
  if (!rc) rc = kl_instance_from_yaml(reg, KL_KIND_MODEL, yaml, 1, 1, init, NULL, &model, &err);
  size_t n = rc ? 0 : kl_model_size(model);
  if (!rc && (!(y = malloc(n * sizeof *y)) || !(dy = malloc(n * sizeof *dy))))
    rc = kl_error_set(&err, KL_ENOMEM, "N %ld: out of memory for two states of %zu values", N, n);
  double t0 = 0;
  if (!rc) rc = kl_model_initial(model, &t0, y, &err);
  if (!rc) rc = kl_model_rhs(model, t0, y, dy, &err); /* warm-up: pages, cell lists */
  double c = cpu_seconds();
  for (long r = 0; !rc && r < 4 * reps; r++) rc = kl_model_rhs(model, t0, y, dy, &err);
  double per_step = (cpu_seconds() - c) / (double)reps;
  if (!rc) {
    /* the mean of dv/dt (the state is [x, v]): ~0, momentum is conserved */
    double acc = 0;
    for (long i = 0; i < N; i++) acc += dy[N + i];
    printf("N=%ld cpu per RK4 step (4 rhs) = %.4f s, mean of %ld (mean dv/dt = %.2e)\n", N,
           per_step, reps, acc / (double)N);
  } else {
    fprintf(stderr, "cs_rhs: error: %s\n", err.message);
  }
  free(y);
  free(dy);
  kl_instance_free(model);
  kl_instance_free(init);
  kl_registry_free(reg);
  return rc ? 2 : 0;
}
