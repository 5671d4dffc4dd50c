/* schedule.c - output times: `time.outputs` and/or every `output_every`
 * (default a tenth of the run), always including the start and t_final.
 * The rules live in kl_run_config_schedule (experiment.c), which validate
 * applies from t = 0 and the runner from the initial data's start time. */
#include "run_internal.h"

int run_setup_output_times(run_ctx *r, kl_error *err) {
  r->t_final = kl_params_real(r->cfg->time, "t_final");
  return kl_run_config_schedule(r->cfg, kl_instance_params(r->integrator), r->t_start,
                                &r->outputs, &r->n_out, err);
}
