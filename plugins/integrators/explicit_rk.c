/* explicit_rk.c - explicit Runge-Kutta integrators from Butcher tableaux:
 * fixed step (euler, ssprk3, rk4) and embedded pairs with step-size control
 * (bs32: Bogacki-Shampine 3(2), dopri54: Dormand-Prince 5(4)).
 *
 * Controller (docs/integrators.md): with the error estimate e = y_p - y_q
 * (p the order carried forward, q the embedded lower order),
 *   err = sqrt( mean_i ( e_i / (atol + rtol max(|y_i|, |y_new_i|)) )^2 ),
 * a try is accepted when err <= 1; the next step is
 *   h_new = h * clamp(safety * err^(-1/(q+1)), min_factor, max_factor)
 * (and at most h after a step that needed rejections).  A NaN/Inf estimate
 * is a rejection with the factor min_factor.
 *
 * FSAL (bs32 and dopri54): the last stage is f(t+h, y_new), the first stage of
 * the next step.  It is reused only when the next call passes the same
 * system (rhs, ctx, n), the same time and bitwise the same y, so for a
 * deterministic rhs the reuse cannot change a single bit: a run restarted
 * from a checkpoint (reset() drops the cache, k1 is recomputed) is
 * bit-identical to an uninterrupted one, and split schemes that change y
 * between calls simply recompute k1.  k1 is also shared by the tries of a
 * rejected step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kinlab/kinlab.h>

#define MAX_STAGES 7

typedef struct tableau {
  unsigned stages;
  unsigned order;          /* order of the solution carried forward */
  unsigned embedded_order; /* 0: fixed step */
  const double *a;         /* stages x stages, row-major, strictly lower */
  const double *b, *bhat, *c;
  bool shu_osher; /* SSP-RK3 in its convex-combination form */
  bool fsal;      /* last row of a equals b and c_last = 1 */
} tableau;

/* Forward Euler. */
static const double euler_a[] = {0}, euler_b[] = {1}, euler_c[] = {0};
static const tableau euler_tab = {1, 1, 0, euler_a, euler_b, NULL, euler_c, false, false};

/* SSP-RK3 (Shu-Osher 1988), evaluated in its convex-combination form
 *   u1 = y + h f(t, y)
 *   u2 = 3/4 y + 1/4 (u1 + h f(t + h, u1))
 *   y+ = 1/3 y + 2/3 (u2 + h f(t + h/2, u2));
 * the tableau below is the same method (kept for documentation). */
static const double ssp_a[] = {0, 0, 0, 1, 0, 0, 0.25, 0.25, 0};
static const double ssp_b[] = {1.0 / 6, 1.0 / 6, 2.0 / 3}, ssp_c[] = {0, 1, 0.5};
static const tableau ssprk3_tab = {3, 3, 0, ssp_a, ssp_b, NULL, ssp_c, true, false};

/* Classical RK4. */
static const double rk4_a[] = {0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 1, 0};
static const double rk4_b[] = {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}, rk4_c[] = {0, 0.5, 0.5, 1};
static const tableau rk4_tab = {4, 4, 0, rk4_a, rk4_b, NULL, rk4_c, false, false};

/* Bogacki-Shampine 3(2) (Appl. Math. Lett. 2, 1989). */
static const double bs_a[] = {0,       0,       0,       0,
                              0.5,     0,       0,       0,
                              0,       0.75,    0,       0,
                              2.0 / 9, 1.0 / 3, 4.0 / 9, 0};
static const double bs_b[] = {2.0 / 9, 1.0 / 3, 4.0 / 9, 0};
static const double bs_bhat[] = {7.0 / 24, 0.25, 1.0 / 3, 0.125};
static const double bs_c[] = {0, 0.5, 0.75, 1};
static const tableau bs32_tab = {4, 3, 2, bs_a, bs_b, bs_bhat, bs_c, false, true};

/* Dormand-Prince 5(4) (J. Comput. Appl. Math. 6, 1980). */
static const double dp_a[] = {
    0, 0, 0, 0, 0, 0, 0,
    1.0 / 5, 0, 0, 0, 0, 0, 0,
    3.0 / 40, 9.0 / 40, 0, 0, 0, 0, 0,
    44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0, 0, 0,
    19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0, 0, 0,
    9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656, 0, 0,
    35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0};
static const double dp_b[] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784,
                              11.0 / 84, 0};
static const double dp_bhat[] = {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640,
                                 -92097.0 / 339200, 187.0 / 2100, 1.0 / 40};
static const double dp_c[] = {0, 0.2, 0.3, 0.8, 8.0 / 9, 1, 1};
static const tableau dopri54_tab = {7, 5, 4, dp_a, dp_b, dp_bhat, dp_c, false, true};

typedef struct rk_state {
  const tableau *tab;
  double rtol, atol, safety, min_factor, max_factor, dt_min, dt_max;
  long max_rejections;
  size_t n, cap; /* current system size, capacity of the work arrays */
  double *work;  /* k[stages][cap], y_stage[cap], y_new[cap] */
  /* FSAL cache: k[0] = rhs(fsal_t, y_new) for this system, when fsal_valid. */
  bool fsal_valid;
  double fsal_t;
  int (*fsal_rhs)(void *, double, const double *, double *, kl_error *);
  void *fsal_ctx;
} rk_state;

#define POS KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE
static const kl_param_spec fixed_params[] = {
    {"dt", KL_PARAM_REAL, NULL, 0, 0, POS | KL_PARAM_STEP_SIZE, NULL, "time", "time step"},
    KL_PARAM_END};

static const kl_param_spec adaptive_params[] = {
    {"dt", KL_PARAM_REAL, "1e-3", 0, 0, POS | KL_PARAM_STEP_SIZE, NULL, "time", "initial time step"},
    {"rtol", KL_PARAM_REAL, "1e-6", 0, 1, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_STEP_SIZE,
     NULL, "1", "relative tolerance of the local error"},
    {"atol", KL_PARAM_REAL, "1e-9", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_STEP_SIZE, NULL, "state",
     "absolute tolerance of the local error (atol and rtol not both 0)"},
    {"safety", KL_PARAM_REAL, "0.9", 0, 1, POS | KL_PARAM_HAS_MAX, NULL, "1",
     "safety factor of the step proposal"},
    {"min_factor", KL_PARAM_REAL, "0.2", 0, 1, POS | KL_PARAM_HAS_MAX | KL_PARAM_MAX_EXCLUSIVE,
     NULL, "1", "smallest step change factor per try"},
    {"max_factor", KL_PARAM_REAL, "5", 1, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE, NULL,
     "1", "largest step growth factor per step"},
    {"dt_min", KL_PARAM_REAL, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, "time",
     "smallest step before giving up (0: 1e-14 max(|t|, |t_limit|))"},
    {"dt_max", KL_PARAM_REAL, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, "time",
     "largest step (0: no limit)"},
    {"max_rejections", KL_PARAM_INT, "50", 1, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "rejected tries of one step before giving up"},
    KL_PARAM_END};

static int rk_create_common(const kl_setup *setup, const tableau *tab, void **state,
                            kl_error *err) {
  rk_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->tab = tab;
  if (tab->embedded_order) {
    const kl_params *p = setup->params;
    s->rtol = kl_params_real(p, "rtol");
    s->atol = kl_params_real(p, "atol");
    s->safety = kl_params_real(p, "safety");
    s->min_factor = kl_params_real(p, "min_factor");
    s->max_factor = kl_params_real(p, "max_factor");
    s->dt_min = kl_params_real(p, "dt_min");
    s->dt_max = kl_params_real(p, "dt_max");
    s->max_rejections = kl_params_int(p, "max_rejections");
    if (s->atol == 0 && s->rtol == 0) {
      free(s);
      return kl_params_error(err, KL_EINVAL, p, "atol",
                             "expected atol > 0 or rtol > 0 (both are 0)");
    }
    if (s->dt_max > 0 && s->dt_min > s->dt_max) {
      double dt_min = s->dt_min, dt_max = s->dt_max;
      free(s);
      return kl_params_error(err, KL_EINVAL, p, "dt_min",
                             "expected dt_min <= dt_max = %g, found %g", dt_max, dt_min);
    }
  }
  *state = s;
  return KL_OK;
}

#define CREATE(name, tab)                                                      \
  static int name(const kl_setup *setup, void **state, kl_error *err) {        \
    return rk_create_common(setup, &tab, state, err);                          \
  }
CREATE(euler_create, euler_tab)
CREATE(ssprk3_create, ssprk3_tab)
CREATE(rk4_create, rk4_tab)
CREATE(bs32_create, bs32_tab)
CREATE(dopri54_create, dopri54_tab)

static void rk_destroy(void *state) {
  rk_state *s = state;
  if (s) free(s->work);
  free(s);
}

static unsigned rk_order(void *state) { return ((rk_state *)state)->tab->order; }

static void rk_reset(void *state) { ((rk_state *)state)->fsal_valid = false; }

/* Work arrays for a system of size n, allocated lazily and grown when n grows. */
static int ensure_work(rk_state *s, size_t n, kl_error *err) {
  if (n != s->n) s->fsal_valid = false;
  if (s->work && n <= s->cap) {
    s->n = n;
    return KL_OK;
  }
  size_t cap = n ? n : 1;
  double *w = realloc(s->work, (s->tab->stages + 2) * cap * sizeof *w);
  if (!w)
    return kl_error_set(err, KL_ENOMEM,
                        "out of memory: integrator work space for a state of %zu values (%zu "
                        "bytes); the model's parameters set the state size",
                        n, (s->tab->stages + 2) * cap * sizeof *w);
  s->work = w;
  s->cap = cap;
  s->n = n;
  return KL_OK;
}

#define K(s, j) ((s)->work + (size_t)(j) * (s)->cap)
#define YSTAGE(s) K(s, (s)->tab->stages)
#define YNEW(s) K(s, (s)->tab->stages + 1)

/* SSP-RK3 from (t, y) with k[0] = f(t, y) given: y_new. */
static int ssp_try(rk_state *s, const kl_system *sys, double t, double h, const double *y,
                   kl_step_stats *st, kl_error *err) {
  size_t n = sys->n;
  double *k0 = K(s, 0), *k = K(s, 1), *u = YSTAGE(s), *y_new = YNEW(s);
  int rc;
  for (size_t i = 0; i < n; i++) u[i] = y[i] + h * k0[i];
  if ((rc = sys->rhs(sys->ctx, t + h, u, k, err))) return rc;
  st->rhs_evals++;
  for (size_t i = 0; i < n; i++) u[i] = 0.75 * y[i] + 0.25 * (u[i] + h * k[i]);
  if ((rc = sys->rhs(sys->ctx, t + 0.5 * h, u, k, err))) return rc;
  st->rhs_evals++;
  for (size_t i = 0; i < n; i++) y_new[i] = y[i] / 3 + 2.0 / 3 * (u[i] + h * k[i]);
  return KL_OK;
}

/* One try of size h from (t, y) with k[0] = f(t, y) given: fills y_new and, for
 * an embedded pair, the error norm.  For an FSAL tableau the last stage is
 * evaluated at y_new itself, so k[last] = f(t + h, y_new) bit for bit. */
static int rk_try(rk_state *s, const kl_system *sys, double t, double h, const double *y,
                  double *err_norm, kl_step_stats *st, kl_error *err) {
  const tableau *tb = s->tab;
  size_t n = sys->n;
  double *y_new = YNEW(s);
  int rc;
  if (tb->shu_osher) return ssp_try(s, sys, t, h, y, st, err);
  for (unsigned j = 1; j < tb->stages; j++) {
    double *ys = (tb->fsal && j + 1 == tb->stages) ? y_new : YSTAGE(s);
    memcpy(ys, y, n * sizeof *ys);
    for (unsigned l = 0; l < j; l++) {
      double ha = h * tb->a[j * tb->stages + l];
      if (ha == 0) continue;
      const double *kl = K(s, l);
      for (size_t i = 0; i < n; i++) ys[i] += ha * kl[i];
    }
    if ((rc = sys->rhs(sys->ctx, t + tb->c[j] * h, ys, K(s, j), err))) return rc;
    st->rhs_evals++;
  }
  if (!tb->fsal) {
    memcpy(y_new, y, n * sizeof *y_new);
    for (unsigned j = 0; j < tb->stages; j++) {
      double hb = h * tb->b[j];
      if (hb == 0) continue;
      const double *kj = K(s, j);
      for (size_t i = 0; i < n; i++) y_new[i] += hb * kj[i];
    }
  }
  if (tb->embedded_order) {
    double d[MAX_STAGES], sum = 0, probe = 0;
    for (unsigned j = 0; j < tb->stages; j++) d[j] = tb->b[j] - tb->bhat[j];
    for (size_t i = 0; i < n; i++) {
      double e = 0;
      for (unsigned j = 0; j < tb->stages; j++) e += d[j] * K(s, j)[i];
      e *= h;
      double q = e / (s->atol + s->rtol * fmax(fabs(y[i]), fabs(y_new[i])));
      sum += q * q;
      probe += y_new[i] * 0.0; /* NaN once any y_new is NaN or Inf */
    }
    *err_norm = n ? sqrt(sum / (double)n) : 0;
    /* A result that overflowed is rejected even if its estimate looks fine
     * (Inf in the scale makes q = 0). */
    if (!isfinite(*err_norm) || probe != 0) *err_norm = INFINITY;
  }
  return KL_OK;
}

/* k[0] = f(t, y): from the FSAL cache when it is exactly this evaluation. */
static int first_stage(rk_state *s, const kl_system *sys, double t, const double *y,
                       kl_step_stats *st, kl_error *err) {
  bool hit = s->fsal_valid && s->fsal_rhs == sys->rhs && s->fsal_ctx == sys->ctx &&
             s->fsal_t == t && memcmp(YNEW(s), y, sys->n * sizeof *y) == 0;
  s->fsal_valid = false;
  if (hit) return KL_OK;
  int rc = sys->rhs(sys->ctx, t, y, K(s, 0), err);
  if (rc) return rc;
  st->rhs_evals++;
  return KL_OK;
}

/* After an accepted try of size h from t: y = y_new, remember k[last]. */
static void accept(rk_state *s, const kl_system *sys, double t, double h, double *y) {
  const tableau *tb = s->tab;
  memcpy(y, YNEW(s), sys->n * sizeof *y);
  if (tb->fsal) {
    memcpy(K(s, 0), K(s, tb->stages - 1), sys->n * sizeof *y);
    s->fsal_valid = true;
    s->fsal_t = t + tb->c[tb->stages - 1] * h;
    s->fsal_rhs = sys->rhs;
    s->fsal_ctx = sys->ctx;
  }
}

static int rk_step(void *state, const kl_system *sys, double *t, double *dt, double t_limit,
                   double *y, kl_step_stats *st, kl_error *err) {
  rk_state *s = state;
  const tableau *tb = s->tab;
  double t0 = *t, remaining = t_limit - t0;
  if (!(remaining > 0))
    return kl_error_set(err, KL_EINVAL, "integrator: t_limit %.17g is not after t %.17g",
                        t_limit, t0);
  if (!(*dt > 0))
    return kl_error_set(err, KL_EINVAL, "integrator: dt = %g at t = %.17g is not positive", *dt,
                        t0);
  int rc = ensure_work(s, sys->n, err);
  if (!rc) rc = first_stage(s, sys, t0, y, st, err);
  if (rc) return rc;

  if (!tb->embedded_order) { /* fixed step */
    double h = *dt < remaining ? *dt : remaining;
    if ((rc = rk_try(s, sys, t0, h, y, NULL, st, err))) return rc;
    accept(s, sys, t0, h, y);
    *t = (h == remaining) ? t_limit : t0 + h;
    st->accepted++;
    return KL_OK;
  }

  const double exponent = -1.0 / (double)(tb->embedded_order + 1);
  const double floor = s->dt_min > 0 ? s->dt_min : 1e-14 * fmax(fabs(t0), fabs(t_limit));
  double h_prop = *dt;
  if (s->dt_max > 0 && h_prop > s->dt_max) h_prop = s->dt_max;
  double h = h_prop;
  for (long tries = 0;; tries++) {
    bool truncated = h >= remaining;
    if (truncated) h = remaining;
    double e = 0;
    if ((rc = rk_try(s, sys, t0, h, y, &e, st, err))) return rc;
    double factor = e > 0 ? s->safety * pow(e, exponent) : s->max_factor;
    factor = fmin(s->max_factor, fmax(s->min_factor, factor));
    if (e <= 1) {
      accept(s, sys, t0, h, y);
      *t = truncated ? t_limit : t0 + h;
      st->accepted++;
      if (tries > 0 && factor > 1) factor = 1; /* no growth right after rejections */
      double next = h * factor;
      /* A step shortened to land on t_limit says nothing against the proposal. */
      if (truncated && tries == 0 && next < h_prop) next = h_prop;
      if (s->dt_max > 0 && next > s->dt_max) next = s->dt_max;
      *dt = next;
      return KL_OK;
    }
    st->rejected++;
    if (tries + 1 >= s->max_rejections)
      return kl_error_set(err, KL_ELIMIT,
                          "adaptive step rejected %ld times at t = %.17g (last dt = %.3g, "
                          "error norm %.3g): the problem is too stiff, blows up or its rhs "
                          "gives NaN/Inf for rtol = %g, atol = %g (integrator.max_rejections)",
                          s->max_rejections, t0, h, e, s->rtol, s->atol);
    h *= fmin(factor, 1.0);
    if (h < floor)
      return kl_error_set(err, KL_ELIMIT,
                          "adaptive step fell below dt_min = %.3g at t = %.17g (next dt = %.3g, "
                          "error norm %.3g after %ld rejections; integrator.dt_min)",
                          floor, t0, h, e, tries + 1);
  }
}

static const kl_integrator_ops fixed_ops = {sizeof(kl_integrator_ops), 0, rk_order, rk_step,
                                            rk_reset};
static const kl_integrator_ops adaptive_ops = {sizeof(kl_integrator_ops), KL_INTEGRATOR_ADAPTIVE,
                                               rk_order, rk_step, rk_reset};

static const kl_plugin_info euler_info = {KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "euler",
                                          "forward Euler, order 1", fixed_params, &fixed_ops,
                                          euler_create, rk_destroy};
static const kl_plugin_info ssprk3_info = {
    KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "ssprk3",
    "strong-stability-preserving RK3 (Shu-Osher), order 3", fixed_params, &fixed_ops,
    ssprk3_create, rk_destroy};
static const kl_plugin_info rk4_info = {KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "rk4",
                                        "classical Runge-Kutta, order 4", fixed_params,
                                        &fixed_ops, rk4_create, rk_destroy};
static const kl_plugin_info bs32_info = {
    KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "bs32",
    "Bogacki-Shampine 3(2) with error control, order 3", adaptive_params, &adaptive_ops,
    bs32_create, rk_destroy};
static const kl_plugin_info dopri54_info = {
    KL_PLUGIN_HEADER, KL_KIND_INTEGRATOR, "dopri54",
    "Dormand-Prince 5(4) with error control, order 5", adaptive_params, &adaptive_ops,
    dopri54_create, rk_destroy};

static const kl_plugin_info *const plugins[] = {&euler_info, &ssprk3_info, &rk4_info,
                                                &bs32_info, &dopri54_info, NULL};
KL_PLUGIN_MODULE(plugins)
