/* screened_coulomb.c - an out-of-tree kinlab plugin: a collision kernel
 *     A(z) = C (|z|^2 + delta^2)^(gamma/2) (|z|^2 I - z (x) z),
 * a power law whose singularity at z = 0 is smoothed over the length delta.
 * Build:  cc -O2 -shared -fPIC -o screened_coulomb.so screened_coulomb.c \
 *             $(pkg-config --cflags --libs kinlab)
 * Use:    plugin_path: [.]  and  kernel: {type: screened_coulomb, delta: 0.1}
 */
#include <math.h>
#include <stdlib.h>

#include <kinlab/kinlab.h>

typedef struct screened {
  double C, gamma, delta2;
} screened;

/* One table: validation, `kinlab plugins --describe` and the JSON Schema. */
static const kl_param_spec params[] = {
    {"C", KL_PARAM_REAL, "1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL, "1",
     "collision constant"},
    {"gamma", KL_PARAM_REAL, "-3", -3, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "exponent of the power law"},
    {"delta", KL_PARAM_REAL, "0.1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "velocity", "screening length"},
    KL_PARAM_END};

static int create(const kl_setup *setup, void **state, kl_error *err) {
  screened *s = malloc(sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->C = kl_params_real(setup->params, "C");
  s->gamma = kl_params_real(setup->params, "gamma");
  double delta = kl_params_real(setup->params, "delta");
  s->delta2 = delta * delta;
  *state = s;
  return KL_OK;
}

static void destroy(void *state) { free(state); }

/* phi(|z|) for n squared distances; finite everywhere, also at z = 0. */
static void weight(void *state, size_t n, const double *r2, double *phi) {
  const screened *s = state;
  for (size_t i = 0; i < n; i++) phi[i] = s->C * pow(r2[i] + s->delta2, 0.5 * s->gamma);
}

/* Not a pure power law, so no power_law operation (it would say C, gamma when
 * phi(r) = C r^gamma exactly): models then use weight() for every pair.  The two
 * NULLs before it are the deprecated ABI 1.0/1.1 gamma/power_law_coefficient. */
static const kl_kernel_ops ops = {sizeof(kl_kernel_ops), weight, NULL, NULL, NULL};

static const kl_plugin_info info = {KL_PLUGIN_HEADER, KL_KIND_KERNEL, "screened_coulomb",
                                    "power-law kernel screened at |z| ~ delta", params, &ops,
                                    create, destroy};

static const kl_plugin_info *const plugins[] = {&info, NULL};
KL_PLUGIN_MODULE(plugins)
