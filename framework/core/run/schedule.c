/* schedule.c - output times: `time.outputs` (a list) or every `output_every`
 * (default a tenth of the run), always including the start and t_final. */
#include <math.h>

#include "run_internal.h"

int run_setup_output_times(run_ctx *r, kl_error *err) {
  const kl_params *tp = r->cfg->time;
  r->t_final = kl_params_real(tp, "t_final");
  if (!(r->t_final > r->t_start))
    return kl_params_error(err, KL_EINVAL, tp, "t_final",
                           "expected an end time after the start time %.17g of the initial "
                           "data, found %.17g (t_final is absolute)",
                           r->t_start, r->t_final);
  const double *list = NULL;
  size_t n_list = kl_params_is_set(tp, "outputs") ? kl_params_real_list(tp, "outputs", &list) : 0;
  double every = kl_params_is_set(tp, "output_every") ? kl_params_real(tp, "output_every")
                                                      : (r->t_final - r->t_start) / 10;
  size_t cap = n_list + 2;
  if (!n_list) {
    double k = ceil((r->t_final - r->t_start) / every - 1e-9);
    if (k > 1e7)
      return kl_params_error(err, KL_EINVAL, tp, "output_every",
                             "expected at most 10^7 output times, found %.3g", k);
    cap = (size_t)k + 2;
  }
  r->outputs = malloc(cap * sizeof *r->outputs);
  if (!r->outputs) return kl_error_set(err, KL_ENOMEM, "out of memory");
  size_t m = 0;
  r->outputs[m++] = r->t_start;
  if (n_list) {
    for (size_t i = 0; i < n_list; i++) {
      if (list[i] < r->outputs[m - 1] || list[i] > r->t_final)
        return kl_params_error(err, KL_EINVAL, tp, "outputs",
                               "expected increasing times within [%.17g, %.17g], found %.17g",
                               r->t_start, r->t_final, list[i]);
      if (list[i] > r->outputs[m - 1]) r->outputs[m++] = list[i];
    }
  } else {
    for (size_t k = 1;; k++) {
      double tk = r->t_start + (double)k * every;
      if (tk >= r->t_final * (1 - 1e-12) - 1e-300) break;
      r->outputs[m++] = tk;
    }
  }
  if (r->outputs[m - 1] < r->t_final) r->outputs[m++] = r->t_final;
  r->n_out = m;
  return KL_OK;
}
