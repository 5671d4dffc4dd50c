/* loop.c - the time loop of one run: steps up to each output time, the stop
 * conditions (signal, max_steps, wall_limit), finiteness of the state after
 * every step, and the progress line. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "run_internal.h"

/* Set from signal handlers (kl_request_stop_signal), read between steps.  A
 * request lasts for the process: one that arrives during set-up (say while
 * --force removes a large directory) still stops the run before its first
 * step.  stop_signal is the first signal's number (0: kl_request_stop).
 * Globals on purpose (kinlab/host.h): a handler gets no object to set a flag
 * in, and a signal asks the whole process to stop. */
static volatile sig_atomic_t stop_requested, stop_signal;
/* Write end of the pipe that wakes a parent waiting for variant processes. */
static volatile sig_atomic_t wake_fd = -1;

void kl_request_stop(void) { kl_request_stop_signal(0); }

void kl_request_stop_signal(int signo) {
  int saved = errno; /* a handler must not change errno under the code it interrupts */
  if (!stop_requested) stop_signal = signo;
  stop_requested = 1;
  if (wake_fd >= 0) {
    ssize_t w = write(wake_fd, "", 1); /* non-blocking: a full pipe is awake already */
    (void)w;
  }
  errno = saved;
}

int kl_stop_signal(void) { return stop_signal; }
void kl_clear_stop(void) { stop_requested = 0, stop_signal = 0; }
bool kl_run_stop_requested(void) { return stop_requested != 0; }
void kl_run_set_wake_fd(int fd) { wake_fd = fd; }

const char *kl_stop_reason(void) {
  switch (stop_signal) {
  case 0: return "a stop request";
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGHUP: return "SIGHUP";
  case SIGQUIT: return "SIGQUIT";
  default: return "a signal";
  }
}

void kl_set_threads(int threads) {
#ifdef _OPENMP
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

void run_progress_clear(void *ctx) {
  run_ctx *r = ctx;
  if (r->progress) fprintf(stderr, "\r\033[K");
}

void run_progress_update(run_ctx *r, bool force) {
  run_progress_publish(r); /* to the parent's board, in a variant process */
  if (!r->progress) return;
  double now = kl_wall_now();
  if (!force && now - r->last_progress < 0.25) return;
  r->last_progress = now;
  double frac = (r->t - r->t_start) / (r->t_final - r->t_start);
  if (!(frac >= 0)) frac = 0;
  if (frac > 1) frac = 1;
  double elapsed = now - r->wall_start;
  char eta[32] = "--";
  if (frac > 1e-3) snprintf(eta, sizeof eta, "%.0fs", elapsed * (1 - frac) / frac);
  fprintf(stderr, "\r\033[K%s%s[%3.0f%%] t = %.6g / %.6g  step %llu  ETA %s",
          r->cfg->variant_name[0] ? r->cfg->variant_name : "", r->cfg->variant_name[0] ? " " : "",
          100 * frac, r->t, r->t_final, (unsigned long long)r->step, eta);
  fflush(stderr);
}


/* A step that does not advance t (t + dt == t in double precision at large t,
 * or an integrator returning the same t) would repeat for ever. */
static int no_progress(const run_ctx *r, double t, double dt, kl_error *err) {
  return kl_error_set(err, KL_ENUMERIC,
                      "no progress: a step of dt = %.17g at t = %.17g leaves t unchanged (t + "
                      "dt == t in double precision, or the integrator returned the same t); "
                      "increase dt or give times closer to 0 (model '%s', integrator '%s')",
                      dt, t, kl_instance_name(r->model), kl_instance_name(r->integrator));
}

static int integrate_part(run_ctx *r, unsigned k, double t, double h, kl_error *err) {
  int rc = kl_model_part_step(r->model, k, t, h, r->y, err);
  if (rc != KL_USE_INTEGRATOR) {
    if (rc) kl_error_prefix(err, "model '%s' split part %u", kl_instance_name(r->model), k);
    return rc;
  }
  double tp = t, t_end = t + h;
  double dt = kl_integrator_is_adaptive(r->integrator) && r->part_dt > 0 ? r->part_dt : h;
  while (tp < t_end) {
    kl_step_stats st = {0, 0, 0};
    double before = tp;
    rc = kl_integrator_step(r->integrator, &r->part_sys[k], &tp, &dt, t_end, r->y, &st, err);
    r->stats.rejected += st.rejected;
    r->stats.rhs_evals += st.rhs_evals;
    if (rc) return rc;
    if (!(tp > before)) return no_progress(r, before, dt, err);
  }
  if (kl_integrator_is_adaptive(r->integrator)) r->part_dt = dt;
  return KL_OK;
}

static int advance(run_ctx *r, double t_limit, kl_error *err) {
  double remaining = t_limit - r->t;
  bool adaptive = kl_integrator_is_adaptive(r->integrator);
  /* A fixed step that would leave a sliver of round-off before t_limit
   * (remaining = dt (1 + 1e-12)) lands on t_limit instead. */
  bool to_limit = !adaptive && remaining <= r->dt * (1 + 1e-9);
  if (r->unsplit) {
    double dt = to_limit ? remaining : r->dt;
    double t = r->t;
    if (!(t + dt > t)) return no_progress(r, t, dt, err);
    int rc = kl_integrator_step(r->integrator, &r->sys, &t, &dt, t_limit, r->y, &r->stats, err);
    if (rc) return rc;
    if (!to_limit && !(t > r->t)) return no_progress(r, r->t, dt, err);
    if (adaptive || !to_limit) r->dt = dt;
    r->t = to_limit ? t_limit : t;
    return KL_OK;
  }
  double h = to_limit || remaining < r->dt ? remaining : r->dt;
  if (!(r->t + h > r->t)) return no_progress(r, r->t, h, err);
  unsigned np = kl_model_n_parts(r->model);
  int rc = KL_OK;
  if (kl_model_split_scheme(r->model) == KL_SPLIT_LIE || np == 1) {
    for (unsigned k = 0; k < np && !rc; k++) rc = integrate_part(r, k, r->t, h, err);
  } else { /* Strang: half steps of parts 0..np-2 around a full step of the last */
    for (unsigned k = 0; k + 1 < np && !rc; k++) rc = integrate_part(r, k, r->t, h / 2, err);
    if (!rc) rc = integrate_part(r, np - 1, r->t, h, err);
    for (unsigned k = np - 1; k-- > 0 && !rc;) rc = integrate_part(r, k, r->t + h / 2, h / 2, err);
  }
  if (rc) return rc;
  r->stats.accepted++;
  r->t = (h == remaining) ? t_limit : r->t + h;
  return KL_OK;
}

int run_check_finite(run_ctx *r, kl_error *err) {
  /* y * 0 is 0 for finite y and NaN for NaN/Inf: one vectorised pass, and the
   * slow scan only once something is wrong. */
  /* A double is NaN or Inf iff its exponent bits are all ones: with
   * e = bits & EXP (e <= EXP), e + 2^52 sets bit 63 exactly then.  An integer
   * OR reduction vectorizes with no dependency chain worth the name (a
   * floating-point probe sum took 2 cycles per entry, 20 % of a Cucker-Smale
   * grid step); the slow scan below runs only once something is wrong. */
  const uint64_t EXP = UINT64_C(0x7FF0000000000000), ONE = UINT64_C(1) << 52;
  uint64_t any = 0;
  const double *y = r->y;
  const size_t n = r->n;
  /* (An OpenMP split of this pass was slower: libgomp's spin-wait cost more than
   * the second core's bandwidth gained, 10.2 s vs 9.2 s for paper 004's Table 1.) */
#pragma omp simd reduction(| : any)
  for (size_t i = 0; i < n; i++) {
    uint64_t bits;
    memcpy(&bits, y + i, sizeof bits);
    any |= (bits & EXP) + ONE;
  }
  if (!(any >> 63)) return KL_OK;
  for (size_t i = 0; i < r->n; i++)
    if (!isfinite(r->y[i]))
      return kl_error_set(err, KL_ENUMERIC,
                          "numerical blow-up: state entry %zu of %zu is %s after step %llu at "
                          "t = %.17g (dt = %.3g); outputs up to the previous output time are "
                          "kept in %s. Reduce dt or check the parameters",
                          i, r->n, isnan(r->y[i]) ? "NaN" : "Inf", (unsigned long long)r->step,
                          r->t, r->dt, r->dir);
  return KL_OK;
}


/* A reason to stop before the next step (set in *why), or false. */
static bool should_stop(const run_ctx *r, kl_error *why) {
  if (stop_requested) {
    kl_error_set(why, KL_EINTERRUPTED,
                 "stopped by %s at t = %.17g after step %llu; continue with: "
                 "kinlab run --restart %s",
                 kl_stop_reason(), r->t, (unsigned long long)r->step, r->dir);
    return true;
  }
  if (r->max_steps > 0 && r->step >= (uint64_t)r->max_steps) {
    kl_error_set(why, KL_ELIMIT,
                 "step limit time.max_steps = %ld reached at t = %.17g; continue "
                 "with: kinlab run --restart %s --set time.max_steps=0",
                 r->max_steps, r->t, r->dir);
    return true;
  }
  if (r->wall_limit > 0 && kl_wall_now() - r->wall_start >= r->wall_limit) {
    kl_error_set(why, KL_ELIMIT,
                 "wall-clock limit time.wall_limit = %gs reached at t = %.17g; "
                 "continue with: kinlab run --restart %s",
                 r->wall_limit, r->t, r->dir);
    return true;
  }
  return false;
}

/* Steps from r->next_out to the last output time, writing a row (and a
 * checkpoint when asked) at each.  Returns an error code on failure; KL_OK
 * when t_final was reached or a stop condition ended the loop early, which
 * then sets stop_err (its code KL_EINTERRUPTED or KL_ELIMIT). */
int run_loop(run_ctx *r, kl_error *stop_err, kl_error *err) {
  int rc;
  while (r->next_out < r->n_out) {
    double t_limit = r->outputs[r->next_out];
    while (r->t < t_limit) {
      if (should_stop(r, stop_err)) return KL_OK;
      rc = advance(r, t_limit, err);
      if (rc)
        return kl_error_prefix(err, "step %llu at t = %.17g", (unsigned long long)r->step + 1,
                               r->t);
      r->step++;
      if ((rc = run_check_finite(r, err))) return rc;
      if (r->checkpoint_every > 0 && r->step % (uint64_t)r->checkpoint_every == 0 &&
          r->t < t_limit) {
        if ((rc = run_write_checkpoint(r, err))) return rc;
      }
      run_progress_update(r, false);
    }
    r->next_out++;
    if ((rc = run_observe(r, err))) return rc;
    if (r->checkpoint_every > 0 && (rc = run_write_checkpoint(r, err))) return rc;
  }
  return KL_OK;
}
