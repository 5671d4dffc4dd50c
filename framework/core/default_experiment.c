/* default_experiment.c - what `kinlab run` runs when no file is given. */
#include "kl_autoconf.h"

#include "internal.h"

/* 2-D BKW (Maxwell molecules, exact solution known): small enough to finish in
 * seconds, real enough to show the errors against the exact solution. */
static const char default_yaml[] =
    "# kinlab default experiment: 2-D BKW solution of the Landau equation\n"
    "# (Maxwell molecules), deterministic blob method, compared with the exact solution.\n"
    "name: default_bkw2d\n"
    "description: 2-D BKW, n = 20 particles per side, RK4, T = 2\n"
    "model:\n"
    "  type: landau_particles\n"
    "  d: 2\n"
    "  n: 20\n"
    "  box: 4\n"
    "  mollifier: {type: gaussian}\n"
    "  kernel: {type: power_law, gamma: 0, C: 0.0625, regime: maxwell}\n"
    "initial: {type: bkw}\n"
    "integrator: {type: rk4, dt: 0.01}\n"
    "time: {t_final: 2, output_every: 0.25}\n"
    "diagnostics: [bkw_error]\n"
    "output: {dir: runs/default_bkw2d}\n";

const char *kl_default_experiment_yaml(void) { return default_yaml; }

const char *kl_version(void) { return PACKAGE_VERSION; }
