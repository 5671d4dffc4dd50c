/* plugins/landau/landau_particles.c - the deterministic particle (blob) method
 * for the regularized homogeneous Landau equation (Carrillo, Hu, Wang, Wu,
 * J. Comput. Phys. X 7 (2020), "CHWW"; analysed in paper 000, eqs. (3)-(6)).
 *
 * Particles sit at the cell centres c_k of a uniform mesh of spacing h = 2L/n
 * on [-L, L]^d, with weights w_i = h^d f0(v_i) (cells with f0 = 0 are dropped).
 * Writing G = G^eps for the mollifier and A(z) = phi(|z|)(|z|^2 I - z z^T):
 *
 *   rho_k   = sum_l w_l G(c_k - v_l)                      (blob density on the mesh)
 *   F_i     = sum_k h^d grad G(v_i - c_k) log rho_k      (midpoint rule for
 *             (grad G * log(f^N * G))(v_i) = int grad G(v_i - u) log(f^N*G)(u) du)
 *   dv_i/dt = -sum_j w_j A(v_i - v_j) (F_i - F_j)
 *
 * This is paper 000's particle system (5)/(6) (there with w = 1/N and the
 * u-integral exact), with CHWW's midpoint rule on the fixed initial mesh for the
 * u-integral.  The regularized entropy uses the same quadrature,
 * E^eps = sum_k h^d rho_k log rho_k, and the dissipation reported is
 * D = -sum_i w_i F_i . dv_i/dt = (1/2) sum_ij w_i w_j (F_i-F_j).A(v_i-v_j)(F_i-F_j) >= 0.
 * (The exact discrete derivative is dE/dt = -D + sum_i w_i H_i . dv_i/dt with
 * H_i = sum_k h^d grad G(v_i - c_k), the midpoint rule for int grad G = 0:
 * negligible for a blob wider than h, see docs/landau.md.)
 *
 * Cost per right-hand side: the pair sum (landau_pairs.h) visits each unordered
 * pair once, O(N^2), in tiles of a fixed block decomposition (it depends on N
 * only, never on the thread count), or for gamma = 0 and 2 (A polynomial in z)
 * is the exact O(N) moment expansion (pair_sum: auto).  The two mollifier sums
 * are truncated at the mollifier's cut-off radius R(eps, cutoff_rtol): the mesh
 * points within R of a velocity are enumerated exactly as runs, the density is
 * scattered plane by plane from the particles sorted by plane, and a separable
 * mollifier is evaluated through 1-D factor tables: O(N + M).  Every sum has a
 * fixed order, so the result is bit-identical for any number of OpenMP threads.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef KL_HAVE_MPI
#include <mpi.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include <kinlab/kinlab.h>

#include "landau_box.h"
#include "landau_setup.h"
#include "landau_pairs.h"
#include "landau_rng.h"

enum { COLL_FULL, COLL_RANDOM_BATCH, COLL_NONE };

typedef struct lp_state {
  unsigned d;
  long n;             /* mesh cells per side                                  */
  double L, h, hd;    /* box [-L, L]^d, spacing, cell volume h^d               */
  double lo;          /* c_j = lo + j h in each direction                      */
  size_t M, N;        /* mesh points, particles                                */
  double *w;          /* N weights                                             */
  double *y0;         /* d*N initial velocities (SoA)                          */
  kl_instance *moll, *kern;
  double eps, R, R2, rtol;
  kl_log *log;        /* for the once-only warning below                      */
  bool warned_outside;/* a particle left the quadrature mesh (warned once)     */
  double energy0;     /* sum w |v|^2 of the initial particles                 */
  double max_energy_drift; /* relative; beyond it invariants() fails          */
  gamma_case gc;
  double C, gamma;
  /* work arrays */
  double *rho;        /* M */
  double *logrho;     /* M: log rho_k where rho_k > 0 (computed once per rhs) */
  double *F;          /* d*N */
  double *U;          /* d*N (invariants) */
  lp_pairs pairs;     /* the pair sum (landau_pairs.h) */
  int collisions;     /* COLL_* */
  size_t batch;       /* random_batch: p */
  uint64_t seed;
  double tau;         /* batch interval (0: key on t itself) */
  size_t *perm;       /* N: the batch shuffle */
  bool have_key;
  /* MPI: this rank's share of the mesh points and particles in the mollifier
   * sums (contiguous ranges, gathered with MPI_Allgatherv); 1 rank: all */
  int rank, ranks;
  int *mesh_counts, *mesh_displs, *part_counts, *part_displs;
  uint64_t key;       /* key of the batches in perm */
  /* cell lists */
  size_t *plane_start;/* n + 3: particles sorted by nearest mesh plane in v_1 */
  double *sv;         /* d*N sorted velocities */
  double *sw;         /* N sorted weights */
  size_t *bin_of;     /* N: scratch of the sort */
  size_t ball_side;   /* bound on the mesh points within R of any v per axis */
  size_t ball_cap;    /* ... and in all (ball_side^d) */
  bool separable;     /* the mollifier is a product of 1-D factors          */
  double *tab_g;      /* separable: N * d * ball_side factor tables (sorted) */
  size_t *tab_start;  /* ... and N * d first mesh indices of the tables      */
  /* epsilon_extrapolation: richardson.  The blob of twice the width, swapped
   * into the fields above (swap_blob) for a second evaluation of F. */
  bool extrapolate;
  struct lp_blob {
    double eps, R, R2;
    size_t ball_side, ball_cap;
    double *tab_g;
    size_t *tab_start;
  } alt;
  double *F_alt;      /* d*N: F of the wider blob */
} lp_state;

static const kl_param_spec lp_params[] = {
    {"d", KL_PARAM_INT, "2", 2, 3, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "velocity dimension (2 or 3)"},
    {"n", KL_PARAM_INT, "20", 2, 4096, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX | KL_PARAM_COUNT, NULL, "1",
     "mesh cells (initial particles) per side"},
    {"box", KL_PARAM_REAL, NULL, 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_OPTIONAL,
     NULL, "velocity",
     "half-width L of the mesh [-L, L]^d (h = 2L/n); default: the smallest L that leaves out at "
     "most the tail tolerance (box_tail_tol) of the mass and fourth moment of the initial data "
     "and of the Maxwellian they relax to"},
    {"box_tail_tol", KL_PARAM_REAL, NULL, 0, 1,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_HAS_MAX | KL_PARAM_MAX_EXCLUSIVE |
         KL_PARAM_OPTIONAL,
     NULL, "1",
     "without box: relative tail tolerance of the default box; default box_tail_coeff * "
     "(h / sqrt(T))^2 (T the temperature of the initial data), below the method's O(h^2) error"},
    {"box_tail_coeff", KL_PARAM_REAL, "0.1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE,
     NULL, "1",
     "without box and box_tail_tol: the tail tolerance is box_tail_coeff * (h / sqrt(T))^2"},
    {"mollifier", KL_PARAM_PLUGIN, "{type: gaussian}", 0, 0, 0, "mollifier", NULL,
     "blob G^eps used for the regularized entropy"},
    {"kernel", KL_PARAM_PLUGIN, NULL, 0, 0, KL_PARAM_OPTIONAL, "kernel", NULL,
     "collision kernel; default: Maxwell molecules (gamma = 0) with the BKW constant "
     "C = 1/16 (d = 2) or 1/24 (d = 3)"},
    {"epsilon", KL_PARAM_REAL, NULL, 0, 0,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_OPTIONAL | KL_PARAM_STEP_SIZE, NULL,
     "mollifier's own",
     "absolute eps (in the mollifier's own scaling); default epsilon_coeff * h^epsilon_power"},
    {"epsilon_coeff", KL_PARAM_REAL, "0.64", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE,
     NULL, "1", "eps = epsilon_coeff * h^epsilon_power when epsilon is not given (CHWW: 0.64)"},
    {"epsilon_power", KL_PARAM_REAL, "1.98", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE,
     NULL, "1", "exponent of h in the default eps (CHWW: 1.98, eps the Gaussian's variance)"},
    {"cutoff_rtol", KL_PARAM_REAL, "1e-12", 0, 0.5,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_HAS_MAX, NULL, "1",
     "mollifier sums are truncated at the radius where the blob's tail is below this "
     "relative tolerance"},
    {"quadrature", KL_PARAM_ENUM, "chww_midpoint", 0, 0, 0, "chww_midpoint", NULL,
     "quadrature of the entropy variation: chww_midpoint = midpoint rule on the fixed "
     "initial mesh (CHWW)"},
    {"collisions", KL_PARAM_ENUM, "full", 0, 0, 0, "full|random_batch|none", NULL,
     "collision pair sum: full = all N(N-1)/2 pairs, O(N^2); random_batch = random batches "
     "of batch_size particles (Carrillo, Jin, Tang), O(N p); none = no collisions "
     "(dv/dt = 0; for benchmarks of the mollifier sums)"},
    {"batch_size", KL_PARAM_INT, "100", 2, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "random_batch: particles per batch p (N is split into floor(N/p) batches of p or p+1)"},
    {"seed", KL_PARAM_INT, "1", 0, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "random_batch: seed of the batch shuffle; the batches are a function of (seed, step key)"},
    {"batch_interval", KL_PARAM_REAL, "0", 0, 0, KL_PARAM_HAS_MIN, NULL, "time",
     "random_batch: batches are redrawn when floor(t / batch_interval) changes; 0 = the "
     "integrator's dt (from the runner's check_dt), or, without one, at every distinct t"},
    {"pair_sum", KL_PARAM_ENUM, "auto", 0, 0, 0, "auto|direct|moments|tree", NULL,
     "collisions: full: how the pair sum is computed: direct = each unordered pair once, "
     "O(N^2); moments = the exact O(N) moment expansion, valid for polynomial kernels "
     "(power_law gamma = 0, Maxwell molecules, or gamma = 2) only; tree = the barycentric "
     "Lagrange treecode, O(N log N), approximate (error ~ tree_theta^tree_degree), any kernel; "
     "auto = moments for gamma = 0 and 2, otherwise tree from N = 50000 particles (above the "
     "measured crossover with direct, docs/performance.md), direct below"},
    {"tree_degree", KL_PARAM_INT, "7", 1, 16, KL_PARAM_HAS_MIN | KL_PARAM_HAS_MAX, NULL, "1",
     "pair_sum: tree: degree n of the Chebyshev interpolation in each cluster ((n+1)^d proxy "
     "particles); the error falls like tree_theta^n"},
    {"tree_theta", KL_PARAM_REAL, "0.7", 0, 1,
     KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE | KL_PARAM_HAS_MAX | KL_PARAM_MAX_EXCLUSIVE, NULL,
     "1",
     "pair_sum: tree: opening angle of the acceptance criterion (r_batch + r_cluster) < theta "
     "R: a cluster is interpolated only when that far away"},
    {"tree_leaf_size", KL_PARAM_INT, "32", 1, 0, KL_PARAM_HAS_MIN, NULL, "1",
     "pair_sum: tree: most particles in a leaf of the tree (a target batch)"},
    {"epsilon_extrapolation", KL_PARAM_ENUM, "none", 0, 0, 0, "none|richardson", NULL,
     "richardson: remove the O(eps) regularization bias, F = 2 F[G_eps] - F[G_eps'] with eps' "
     "the blob of twice the width (variance); the pair sum is linear in F, so only the "
     "mollifier sums are done twice.  Momentum and energy stay exact; the regularized "
     "entropy is no longer guaranteed to decrease"},
    {"max_energy_drift", KL_PARAM_REAL, "0.1", 0, 0, KL_PARAM_HAS_MIN | KL_PARAM_MIN_EXCLUSIVE,
     NULL, "1",
     "a relative drift of the energy from its initial value beyond this stops the run "
     "(exit 4): the method conserves energy up to the time integrator's error, so a "
     "larger drift means an unstable step, not physics"},
    KL_PARAM_END};

static const char *const names2[] = {"mass", "momentum_x", "momentum_y", "energy", "m4",
                                     "entropy", "dissipation"};
static const char *const names3[] = {"mass",   "momentum_x", "momentum_y", "momentum_z",
                                     "energy", "m4",         "entropy",    "dissipation"};

static void lp_destroy(void *state) {
  lp_state *s = state;
  if (!s) return;
  free(s->w);
  free(s->y0);
  free(s->rho);
  free(s->logrho);
  free(s->F);
  free(s->U);
  lp_pairs_free(&s->pairs);
  free(s->perm);
  free(s->plane_start);
  free(s->tab_g);
  free(s->tab_start);
  free(s->alt.tab_g);
  free(s->alt.tab_start);
  free(s->F_alt);
  free(s->sv);
  free(s->sw);
  free(s->bin_of);
  free(s->mesh_counts);
  free(s->mesh_displs);
  free(s->part_counts);
  free(s->part_displs);
  free(s);
}

static size_t ipow(size_t b, unsigned e) {
  size_t r = 1;
  while (e--) r *= b;
  return r;
}

static int lp_create(const kl_setup *setup, void **state, kl_error *err) {
  const kl_params *p = setup->params;
  int rc = KL_OK;
  if (!setup->initial)
    return kl_error_set(err, KL_EINVAL,
                        "model landau_particles (%s): needs initial data (an `initial:` section)",
                        kl_params_path(p));
  lp_state *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  s->d = (unsigned)kl_params_int(p, "d");
  s->n = kl_params_int(p, "n");
  const unsigned d = s->d;

  /* ---- the box */
  if (kl_params_is_set(p, "box")) {
    s->L = kl_params_real(p, "box");
    if (kl_params_is_set(p, "box_tail_tol") || kl_params_is_set(p, "box_tail_coeff"))
      kl_logf(setup->log, KL_LOG_WARN,
              "%s: box = %g is set, so box_tail_tol and box_tail_coeff are ignored (they "
              "choose the box only when box is absent)",
              kl_params_path(p), s->L);
  } else {
    const bool fixed = kl_params_is_set(p, "box_tail_tol");
    lb_box box = {0};
    rc = ls_default_box(setup, d, fixed ? kl_params_real(p, "box_tail_tol") : 0,
                        kl_params_real(p, "box_tail_coeff"), s->n, &box, err);
    if (rc) goto fail;
    s->L = box.L;
    kl_logf(setup->log, KL_LOG_INFO,
            "landau_particles: box L = %.6g from the tail tolerance %.3g (%s): beyond "
            "[-L, L]^%u the initial data leave %.3g and their equilibrium (T = %.6g) %.3g of "
            "the mass or fourth moment",
            box.L, box.tol, fixed ? "box_tail_tol" : "box_tail_coeff (h / sqrt(T))^2", d,
            box.tail_initial, box.T, box.tail_equilibrium);
  }
  s->h = 2.0 * s->L / (double)s->n;
  s->hd = d == 2 ? s->h * s->h : s->h * s->h * s->h;
  /* Derived values are checked where they are derived, against the keys they
   * come from: a later check (the cut-off radius) would blame its own key. */
  if (!(s->hd > 0) || !isfinite(s->hd)) {
    rc = kl_params_error(err, KL_EINVAL, p, "box",
                         "the mesh cell h = 2 box / n = %g has a volume h^%u = %g: expected a "
                         "box with a positive finite cell volume, found box = %g%s",
                         s->h, d, s->hd, s->L,
                         kl_params_is_set(p, "box") ? "" : " (from the initial data)");
    goto fail;
  }
  s->lo = -s->L + 0.5 * s->h;
  s->M = ipow((size_t)s->n, d);

  /* ---- mollifier, eps, cut-off */
  s->moll = kl_params_plugin(p, "mollifier");
  if (kl_params_is_set(p, "epsilon"))
    s->eps = kl_params_real(p, "epsilon");
  else
    s->eps = kl_params_real(p, "epsilon_coeff") * pow(s->h, kl_params_real(p, "epsilon_power"));
  if (!(s->eps > 0) || !isfinite(s->eps)) {
    const char *key = kl_params_is_set(p, "box")             ? "box"
                      : kl_params_is_set(p, "epsilon_power") ? "epsilon_power"
                                                             : "epsilon_coeff";
    rc = kl_params_error(err, KL_EINVAL, p, key,
                         "eps = epsilon_coeff * h^epsilon_power = %g * %g^%g = %g: expected a "
                         "positive finite eps (set epsilon, or a box giving a sensible h = 2 "
                         "box / n)",
                         kl_params_real(p, "epsilon_coeff"), s->h,
                         kl_params_real(p, "epsilon_power"), s->eps);
    goto fail;
  }
  s->rtol = kl_params_real(p, "cutoff_rtol");
  s->R = kl_mollifier_cutoff(s->moll, d, s->eps, s->rtol);
  if (!(s->R > 0) || !isfinite(s->R)) {
    rc = kl_params_error(err, KL_EINVAL, p, "cutoff_rtol",
                         "mollifier '%s' gives no finite cut-off radius for eps = %g, rtol = %g",
                         kl_instance_name(s->moll), s->eps, s->rtol);
    goto fail;
  }
  s->R2 = s->R * s->R;
  /* A blob wider than the mesh makes the regularised entropy meaningless: refuse
   * when even its half-mass radius exceeds the box half-width L.  The real
   * half-mass radius (the host integrates the REQUIRED profile), not the
   * width: it is defined for every mollifier, and it is what "half the mass
   * beyond" says; the RMS radius sqrt(d width) would weigh the exponential
   * blob's long tail.  Not cutoff(..., 0.5) either: that is an upper bound of
   * the tail, 31 % above the Gaussian's half-mass radius in 2-D. */
  double half_mass = kl_mollifier_half_mass_radius(s->moll, d, s->eps);
  if (half_mass > s->L) {
    rc = kl_params_error(err, KL_EINVAL, p, kl_params_is_set(p, "epsilon") ? "epsilon" : "epsilon_coeff",
                         "the blob (eps = %g, half its mass beyond radius %g) is wider than the "
                         "mesh box [-%g, %g]^%u: expected a much smaller eps",
                         s->eps, half_mass, s->L, s->L, d);
    goto fail;
  }
  s->log = setup->log;
  /* The default eps = epsilon_coeff h^epsilon_power is CHWW's rule for the
   * Gaussian's variance: warn unless this blob's variance per component is
   * eps (compare widths, never names).  An explicit epsilon, or an explicit
   * epsilon_power (a law of the user's own, e.g. 0.99 for a length), is the
   * user's word: no warning on every variant. */
  if (!kl_params_is_set(p, "epsilon") && !kl_params_is_set(p, "epsilon_power")) {
    const double width = kl_mollifier_width(s->moll, d, s->eps);
    if (!(fabs(width - s->eps) <= 1e-12 * s->eps)) {
      char what[96];
      if (isnan(width))
        snprintf(what, sizeof what, "mollifier '%s' gives no width", kl_instance_name(s->moll));
      else
        snprintf(what, sizeof what, "mollifier '%s' has variance %g per component at this eps",
                 kl_instance_name(s->moll), width);
      kl_logf(setup->log, KL_LOG_WARN,
              "%s: eps = %g from epsilon_coeff * h^epsilon_power, a rule for the variance of "
              "the blob; %s (eps is in the mollifier's own scaling; set epsilon to choose it "
              "yourself, see docs/landau.md)",
              kl_params_path(p), s->eps, what);
    }
  }

  /* ---- kernel */
  s->kern = kl_params_plugin(p, "kernel");
  if (s->kern) {
    /* Not a power law: C = gamma = NaN, the pair sum calls the kernel's weight. */
    kl_kernel_power_law(s->kern, &s->C, &s->gamma);
    s->gc = lp_gamma_case(s->C, s->gamma);
  } else {
    s->gamma = 0;
    s->C = d == 2 ? 1.0 / 16 : 1.0 / 24;
    s->gc = G_0;
  }
  char kernel_is[64]; /* for messages */
  if (s->gc == G_PLUGIN) snprintf(kernel_is, sizeof kernel_is, "is not a power law");
  else snprintf(kernel_is, sizeof kernel_is, "has gamma = %g, C = %g", s->gamma, s->C);
  ls_warn_exact_kernel(setup, s->C, s->gamma, kernel_is);

  /* ---- particles at the cell centres */
  s->w = malloc(s->M * sizeof *s->w);
  s->y0 = malloc(d * s->M * sizeof *s->y0);
  if (!s->w || !s->y0) {
    rc = kl_params_error(err, KL_ENOMEM, p, "n",
                         "out of memory: n = %ld gives %zu mesh points, whose weights and "
                         "velocities need %zu bytes; reduce n or raise the memory limit",
                         s->n, s->M, (1 + (size_t)d) * s->M * sizeof *s->w);
    goto fail;
  }
  size_t N = 0;
  for (size_t k = 0; k < s->M; k++) {
    double v[3];
    size_t r = k;
    for (unsigned a = d; a-- > 0;) {
      v[a] = s->lo + (double)(r % (size_t)s->n) * s->h;
      r /= (size_t)s->n;
    }
    double f = kl_initial_density(setup->initial, NULL, v);
    if (!(f >= 0) || !isfinite(f)) {
      rc = kl_error_set(err, KL_EINVAL,
                        "initial '%s': density %g at v = (%g, %g%s) is not finite and >= 0",
                        kl_instance_name(setup->initial), f, v[0], v[1], d == 3 ? ", ..." : "");
      goto fail;
    }
    double w = s->hd * f;
    if (w == 0) continue;
    s->w[N] = w;
    for (unsigned a = 0; a < d; a++) s->y0[a * s->M + N] = v[a];
    N++;
  }
  if (N == 0) {
    rc = kl_params_error(err, KL_EINVAL, p, "box",
                         "the initial density is 0 at every cell centre of [-%g, %g]^%u", s->L,
                         s->L, d);
    goto fail;
  }
  /* compact the SoA velocities to stride N */
  for (unsigned a = 1; a < d; a++) memmove(s->y0 + a * N, s->y0 + a * s->M, N * sizeof *s->y0);
  s->N = N;
  s->energy0 = 0;
  for (size_t i = 0; i < N; i++)
    for (unsigned a = 0; a < d; a++) s->energy0 += s->w[i] * s->y0[a * N + i] * s->y0[a * N + i];
  s->max_energy_drift = kl_params_real(p, "max_energy_drift");

  /* ---- block decomposition of the pair sum (depends on N only) */
  const char *coll = kl_params_string(p, "collisions");
  s->collisions = !strcmp(coll, "random_batch") ? COLL_RANDOM_BATCH
                : !strcmp(coll, "none")         ? COLL_NONE
                                                : COLL_FULL;
  const char *how = kl_params_string(p, "pair_sum");
  const bool polynomial = s->gc == G_0 || s->gc == G_2; /* A(z) polynomial in z */
  if (!strcmp(how, "moments") && !polynomial) {
    rc = kl_params_error(err, KL_EINVAL, p, "pair_sum",
                         "'moments' is exact for polynomial kernels only (a power_law kernel "
                         "with gamma = 0 or 2); this kernel %s: expected auto, direct or tree",
                         kernel_is);
    goto fail;
  }
  s->pairs.moments = polynomial && (!strcmp(how, "auto") || !strcmp(how, "moments"));
  s->pairs.use_tree = !strcmp(how, "tree") ||
                      (!strcmp(how, "auto") && !polynomial && N >= LP_TREE_AUTO_MIN_N);
  s->pairs.tree.degree = (unsigned)kl_params_int(p, "tree_degree");
  s->pairs.tree.theta = kl_params_real(p, "tree_theta");
  s->pairs.tree.leaf_size = (size_t)kl_params_int(p, "tree_leaf_size");
  if (!s->pairs.use_tree && (kl_params_is_set(p, "tree_degree") ||
                             kl_params_is_set(p, "tree_theta") ||
                             kl_params_is_set(p, "tree_leaf_size")))
    kl_logf(setup->log, KL_LOG_WARN,
            "%s: the pair sum is not the treecode here (pair_sum = %s, N = %zu), so "
            "tree_degree, tree_theta and tree_leaf_size are ignored",
            kl_params_path(p), how, N);
  s->pairs.gc = s->gc;
  s->pairs.C = s->C;
  s->pairs.gamma = s->gamma;
  s->pairs.kern = s->kern;
  s->rank = 0;
  s->ranks = 1;
#ifdef KL_HAVE_MPI
  int mpi_on = 0;
  MPI_Initialized(&mpi_on);
  if (mpi_on) {
    MPI_Comm_rank(MPI_COMM_WORLD, &s->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &s->ranks);
  }
#endif
  s->pairs.rank = s->rank;
  s->pairs.ranks = s->ranks;
  int prc = s->collisions == COLL_FULL ? lp_pairs_init(&s->pairs, d, N) : 0;
  if (s->ranks > 1) {
    const size_t K = (size_t)s->ranks;
    s->mesh_counts = malloc(K * sizeof(int));
    s->mesh_displs = malloc(K * sizeof(int));
    s->part_counts = malloc(K * sizeof(int));
    s->part_displs = malloc(K * sizeof(int));
    /* whole mesh planes (first index) per rank: mesh_density works by plane */
    const size_t nn = (size_t)s->n, plane = s->M / nn;
    if (!s->mesh_counts || !s->mesh_displs || !s->part_counts || !s->part_displs) prc = 1;
    else
      for (size_t r = 0; r < K; r++) {
        s->mesh_displs[r] = (int)(nn * r / K * plane);
        s->mesh_counts[r] = (int)(nn * (r + 1) / K * plane) - s->mesh_displs[r];
        s->part_displs[r] = (int)(N * r / K);
        s->part_counts[r] = (int)(N * (r + 1) / K) - s->part_displs[r];
      }
  }
  s->batch = (size_t)kl_params_int(p, "batch_size");
  s->seed = (uint64_t)kl_params_int(p, "seed");
  s->tau = kl_params_real(p, "batch_interval");
  if (s->collisions == COLL_RANDOM_BATCH && !(s->perm = malloc(N * sizeof *s->perm))) prc = 1;

  s->rho = malloc(s->M * sizeof *s->rho);
  s->logrho = malloc(s->M * sizeof *s->logrho);
  s->F = malloc(d * N * sizeof *s->F);
  s->U = malloc(d * N * sizeof *s->U);
  s->plane_start = malloc(((size_t)s->n + 3) * sizeof *s->plane_start);
  s->sv = malloc(d * N * sizeof *s->sv);
  s->sw = malloc(N * sizeof *s->sw);
  s->bin_of = malloc(N * sizeof *s->bin_of);
  {
    const double sd = 2.0 * s->R / s->h + 2; /* points within R per axis, at most n */
    const size_t side = sd >= (double)s->n ? (size_t)s->n : (size_t)sd;
    s->ball_side = side;
    s->ball_cap = ipow(side, d);
  }
  s->separable = kl_mollifier_is_separable(s->moll);
  if (s->separable) {
    s->tab_g = malloc(N * d * s->ball_side * sizeof *s->tab_g);
    s->tab_start = malloc(N * d * sizeof *s->tab_start);
    if (!s->tab_g || !s->tab_start) prc = 1;
  }
  s->extrapolate = !strcmp(kl_params_string(p, "epsilon_extrapolation"), "richardson");
  if (s->extrapolate) {
    /* the wider blob: twice the width (variance per component); width(eps)
     * taken as a power law in eps, measured at eps and 2 eps */
    const double w1 = kl_mollifier_width(s->moll, d, s->eps),
                 w2 = kl_mollifier_width(s->moll, d, 2 * s->eps), power = log2(w2 / w1);
    s->alt.eps = s->eps * pow(2, 1 / power);
    s->alt.R = kl_mollifier_cutoff(s->moll, d, s->alt.eps, s->rtol);
    if (!(s->alt.eps > 0) || !isfinite(s->alt.eps) || !(s->alt.R > 0) || !isfinite(s->alt.R)) {
      rc = kl_params_error(err, KL_EINVAL, p, "epsilon_extrapolation",
                           "mollifier '%s' declares no width (variance) at eps = %g, so the blob "
                           "of twice the width is unknown: expected none",
                           kl_instance_name(s->moll), s->eps);
      goto fail;
    }
    if (kl_mollifier_half_mass_radius(s->moll, d, s->alt.eps) > s->L) {
      rc = kl_params_error(err, KL_EINVAL, p, "epsilon_extrapolation",
                           "the blob of twice the width (eps = %g) is wider than the mesh box "
                           "[-%g, %g]^%u: expected a smaller eps or none",
                           s->alt.eps, s->L, s->L, d);
      goto fail;
    }
    s->alt.R2 = s->alt.R * s->alt.R;
    const double sd = 2.0 * s->alt.R / s->h + 2;
    s->alt.ball_side = sd >= (double)s->n ? (size_t)s->n : (size_t)sd;
    s->alt.ball_cap = ipow(s->alt.ball_side, d);
    s->F_alt = malloc(d * N * sizeof *s->F_alt);
    if (!s->F_alt) prc = 1;
    if (s->separable) {
      s->alt.tab_g = malloc(N * d * s->alt.ball_side * sizeof *s->alt.tab_g);
      s->alt.tab_start = malloc(N * d * sizeof *s->alt.tab_start);
      if (!s->alt.tab_g || !s->alt.tab_start) prc = 1;
    }
  }
  if (prc || !s->rho || !s->logrho || !s->F || !s->U || !s->plane_start || !s->sv || !s->sw ||
      !s->bin_of) {
    /* What this block asked for (the pair sum's blocks not counted). */
    size_t need = 2 * s->M * sizeof *s->rho + 3 * d * N * sizeof *s->F +
                  N * (sizeof *s->sw + sizeof *s->bin_of) +
                  (s->separable ? N * d * (s->ball_side * sizeof *s->tab_g + sizeof *s->tab_start)
                                : 0);
    rc = kl_params_error(err, KL_ENOMEM, p, "n",
                         "out of memory: n = %ld gives %zu particles, whose work arrays need "
                         "%zu bytes or more; reduce n or raise the memory limit",
                         s->n, N, need);
    goto fail;
  }
  char pair_is[96];
  if (s->collisions != COLL_FULL) snprintf(pair_is, sizeof pair_is, "%s", coll);
  else if (s->pairs.moments) snprintf(pair_is, sizeof pair_is, "moments (O(N))");
  else if (s->pairs.use_tree)
    snprintf(pair_is, sizeof pair_is, "tree (degree %u, theta %g, leaf size %zu)",
             s->pairs.tree.degree, s->pairs.tree.theta, s->pairs.tree.leaf_size);
  else snprintf(pair_is, sizeof pair_is, "direct");
  kl_logf(setup->log, KL_LOG_INFO,
          "landau_particles: d = %u, n = %ld, h = %g, N = %zu particles, M = %zu mesh points, "
          "eps = %g (%s), cut-off radius %g = %.2f h, kernel %s, pair sum: %s%s",
          d, s->n, s->h, N, s->M, s->eps, kl_instance_name(s->moll), s->R, s->R / s->h,
          kernel_is, pair_is, s->ranks > 1 ? " (split over MPI ranks)" : "");
  *state = s;
  return KL_OK;
fail:
  lp_destroy(s);
  return rc;
}

static size_t lp_size(void *state) {
  const lp_state *s = state;
  return s->d * s->N;
}

static int lp_initial(void *state, double *t0, double *y, kl_error *err) {
  (void)t0, (void)err;
  const lp_state *s = state;
  memcpy(y, s->y0, s->d * s->N * sizeof *y);
  return KL_OK;
}

/* ------------------------------------------------------ mollifier sums */
/* The mesh points c_k with |c_k - v| < R, exactly, as runs along the last
 * axis: the first indices by range, the ends of each run from
 * sqrt(R^2 - (partial |z|^2)), so no distance is computed for a point outside
 * the ball and the runs vectorize.  A run starts at mesh indices j[] (flat
 * index k) and has cnt points. */
typedef struct ball_run {
  size_t k, j[3], cnt;
} ball_run;

/* The mesh indices j in [j_lo, j_hi] with |x - c_j| <= r on one axis, as
 * *first and *count; false when there are none.  The bounds are clamped in
 * double first: a far particle's bound may not fit a size_t.  The factor tables
 * and the ball use this one rule, so a ball's indices always lie in the
 * particle's table window. */
static inline bool mesh_window(const lp_state *s, double x, double r, double j_lo, double j_hi,
                               size_t *first, size_t *count) {
  const double ih = 1.0 / s->h;
  const double l = kl_max_finite(ceil((x - r - s->lo) * ih), j_lo),
               u = kl_min_finite(floor((x + r - s->lo) * ih), j_hi);
  if (!(l <= u)) return false;
  *first = (size_t)l;
  *count = (size_t)u - *first + 1;
  return true;
}

/* The runs of v's ball within the planes j_1 in [p_lo, p_hi] (at most
 * ball_cap / ball_side of them); returns their number.  v must be finite
 * (build_planes checked).  Built per ISA like the pair tiles: at x86-64-v3 and
 * up ceil/floor are one instruction (roundsd), at the baseline a libm call. */
KL_ISA_CLONES static size_t ball_runs(const lp_state *s, const double *v, double p_lo,
                                      double p_hi, ball_run *runs) {
  const size_t n = (size_t)s->n;
  const double h = s->h, lo = s->lo, R2 = s->R2, top = (double)(n - 1);
  size_t nr = 0, j0a, c0, j1a, c1, j2a, c2;
  if (!mesh_window(s, v[0], s->R, p_lo, p_hi, &j0a, &c0)) return 0;
  for (size_t j0 = j0a; j0 < j0a + c0; j0++) {
    const double z0 = v[0] - (lo + (double)j0 * h), rem0 = R2 - z0 * z0;
    if (!(rem0 > 0) || !mesh_window(s, v[1], sqrt(rem0), 0, top, &j1a, &c1)) continue;
    if (s->d == 2) { /* the run is along j1 */
      runs[nr++] = (ball_run){j0 * n + j1a, {j0, j1a, 0}, c1};
      continue;
    }
    for (size_t j1 = j1a; j1 < j1a + c1; j1++) {
      const double z1 = v[1] - (lo + (double)j1 * h), rem1 = rem0 - z1 * z1;
      if (!(rem1 > 0) || !mesh_window(s, v[2], sqrt(rem1), 0, top, &j2a, &c2)) continue;
      runs[nr++] = (ball_run){(j0 * n + j1) * n + j2a, {j0, j1, j2a}, c2};
    }
  }
  return nr;
}

/* The points of nr runs of v's ball, appended at position m: flat index k,
 * |z|^2 and (z != NULL) the components of z = v - c_k (stride cap); returns
 * the new m.  For mollifiers that are only radial. */
static size_t run_points(const lp_state *s, const double *v, const ball_run *runs, size_t nr,
                         size_t m, size_t cap, size_t *restrict kidx, double *restrict r2,
                         double *restrict z) {
  const unsigned d = s->d, last = d - 1;
  const double h = s->h, lo = s->lo;
  for (size_t r = 0; r < nr; r++) {
    const ball_run *b = runs + r;
    double zf[3], rr = 0;
    for (unsigned a = 0; a < d; a++) zf[a] = v[a] - (lo + (double)b->j[a] * h);
    for (unsigned a = 0; a < last; a++) rr += zf[a] * zf[a];
    const double za = zf[last];
    for (size_t q = 0; q < b->cnt; q++) {
      const double zl = za - (double)q * h;
      kidx[m + q] = b->k + q;
      r2[m + q] = rr + zl * zl;
    }
    if (z)
      for (unsigned a = 0; a < d; a++)
        for (size_t q = 0; q < b->cnt; q++)
          z[a * cap + m + q] = a == last ? za - (double)q * h : zf[a];
    m += b->cnt;
  }
  return m;
}

/* Separable mollifiers (G = prod_a g(z_a)): the 1-D factors of v's window,
 * g[a * side + (j - start[a])] = g(v_a - c_j) (and dg = g') for the mesh
 * indices j within R of v_a on axis a; x: scratch of d * side. */
static void factor_tables(const lp_state *s, const double *v, size_t *start, double *x, double *g,
                          double *dg) {
  const unsigned d = s->d;
  const size_t side = s->ball_side;
  for (unsigned a = 0; a < d; a++) {
    size_t len = 0;
    if (!mesh_window(s, v[a], s->R, 0, (double)(s->n - 1), &start[a], &len)) start[a] = 0;
    for (size_t q = 0; q < side; q++) /* len <= side: side >= 2R/h + 1, or n */
      x[a * side + q] = q < len ? v[a] - (s->lo + (double)(start[a] + q) * s->h) : 0.0;
  }
  kl_mollifier_factor(s->moll, d, s->eps, d * side, x, g, dg);
}

/* Sorts the particles of y by their nearest mesh plane in v_1 (counting sort,
 * stable: increasing i inside a plane; bucket 0 / n + 1 for those below / above
 * the mesh) into sv/sw, so the particles that can reach plane j lie in the
 * buckets within R/h + 1 of it; for a separable mollifier also their factor
 * tables (sorted order). */
static int build_planes(lp_state *s, const double *y, kl_error *err) {
  const unsigned d = s->d;
  const size_t N = s->N, nb = (size_t)s->n + 2;
  memset(s->plane_start, 0, (nb + 1) * sizeof *s->plane_start);
  for (size_t i = 0; i < N; i++) {
    for (unsigned a = 0; a < d; a++)
      if (!isfinite(y[a * N + i]))
        return kl_error_set(err, KL_ENUMERIC,
                            "landau_particles: velocity %u of particle %zu is not finite (%g)",
                            a + 1, i, y[a * N + i]);
    double p = floor((y[i] - s->lo) / s->h + 0.5) + 1;
    size_t b = p < 0 ? 0 : p > (double)(nb - 1) ? nb - 1 : (size_t)p;
    s->bin_of[i] = b;
    s->plane_start[b + 1]++;
  }
  for (size_t b = 0; b < nb; b++) s->plane_start[b + 1] += s->plane_start[b];
  /* stable placement; bin_of[i] becomes the destination slot of particle i */
  size_t *fill = malloc(nb * sizeof *fill);
  if (!fill) return kl_error_set(err, KL_ENOMEM, "out of memory (mollifier sums)");
  memcpy(fill, s->plane_start, nb * sizeof *fill);
  for (size_t i = 0; i < N; i++) {
    size_t dst = fill[s->bin_of[i]]++;
    for (unsigned a = 0; a < d; a++) s->sv[a * N + dst] = y[a * N + i];
    s->sw[dst] = s->w[i];
  }
  free(fill);
  if (!s->separable) return KL_OK;
  const size_t side = s->ball_side;
  int fail = 0;
#pragma omp parallel
  {
    double *x = malloc(d * side * sizeof *x);
    if (!x) {
#pragma omp atomic write
      fail = 1;
    }
#pragma omp for schedule(static)
    for (size_t q = 0; q < N; q++) {
      if (!x) continue;
      const double v[3] = {s->sv[q], s->sv[N + q], d == 3 ? s->sv[2 * N + q] : 0};
      factor_tables(s, v, s->tab_start + q * d, x, s->tab_g + q * d * side, NULL);
    }
    free(x);
  }
  if (fail) return kl_error_set(err, KL_ENOMEM, "out of memory (mollifier sums)");
  return KL_OK;
}

/* With MPI every rank computes a contiguous range of the mesh planes (rho) and
 * of the particles (F) and MPI_Allgatherv gives every rank all of them: each
 * value is computed by exactly the code of the 1-rank run, so rho and F are
 * bit-identical to it.  buf holds ncomp components of stride n. */
static int gather_ranges(lp_state *s, double *buf, unsigned ncomp, size_t n, const int *counts,
                         const int *displs, kl_error *err) {
#ifdef KL_HAVE_MPI
  if (s->ranks > 1)
    for (unsigned a = 0; a < ncomp; a++)
      if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf + a * n, counts, displs,
                         MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
        return kl_error_set(err, KL_EIO,
                            "landau_particles: MPI_Allgatherv of the mollifier sums failed");
#else
  (void)s, (void)buf, (void)ncomp, (void)n, (void)counts, (void)displs, (void)err;
#endif
  return KL_OK;
}

/* rho_k = sum_l w_l G(c_k - v_l) over the particles within R, for every mesh
 * point.  Plane by plane (a thread owns whole planes): the particles that can
 * reach plane j are added to it in sorted order.  Every rho_k is thus the sum
 * of its terms in one fixed order whatever the number of threads.  Separable
 * mollifier: each term is w_l times a product of table entries; otherwise
 * batches of entries (k, |z|^2, w) are evaluated with one profile call each. */
enum { LP_BATCH = 2048 };

static void scatter_batch(lp_state *s, size_t m, const size_t *kidx, const double *r2,
                          const double *ww, double *val) {
  kl_mollifier_profile(s->moll, s->d, s->eps, m, r2, val, NULL);
  for (size_t e = 0; e < m; e++) s->rho[kidx[e]] += ww[e] * val[e];
}

/* Particle q (sorted) into plane j through its factor tables. */
static void scatter_separable(lp_state *s, size_t q, size_t j, const ball_run *runs, size_t nr) {
  const unsigned d = s->d, last = d - 1;
  const size_t side = s->ball_side, *st = s->tab_start + q * d;
  const double *g = s->tab_g + q * d * side;
  const double w0 = s->sw[q] * g[j - st[0]];
  for (size_t r = 0; r < nr; r++) {
    const ball_run *b = runs + r;
    const double f = d == 3 ? w0 * g[side + (b->j[1] - st[1])] : w0;
    const double *restrict gl = g + last * side + (b->j[last] - st[last]);
    double *restrict rho = s->rho + b->k;
    for (size_t t = 0; t < b->cnt; t++) rho[t] += f * gl[t];
  }
}

static int mesh_density(lp_state *s, const double *y, kl_error *err) {
  int rc = build_planes(s, y, err);
  if (rc) return rc;
  const unsigned d = s->d;
  const size_t N = s->N, n = (size_t)s->n, plane = d == 2 ? n : n * n;
  /* ball_side^(d-1) bounds both the runs of one ball and one particle's points
   * in one plane */
  const size_t per_plane = s->ball_cap / s->ball_side;
  const size_t cap = per_plane > LP_BATCH ? per_plane : LP_BATCH;
  const size_t reach = (size_t)ceil(s->R / s->h) + 1; /* buckets that can reach a plane */
  const size_t j_lo = s->ranks > 1 ? (size_t)s->mesh_displs[s->rank] / plane : 0,
               j_hi = s->ranks > 1 ? j_lo + (size_t)s->mesh_counts[s->rank] / plane : n;
  int fail = 0;
#pragma omp parallel
  {
    ball_run *runs = malloc(per_plane * sizeof *runs);
    size_t *kidx = s->separable ? NULL : malloc(cap * sizeof *kidx);
    double *r2 = s->separable ? NULL : malloc(cap * sizeof *r2),
           *ww = s->separable ? NULL : malloc(cap * sizeof *ww),
           *val = s->separable ? NULL : malloc(cap * sizeof *val);
    const bool ok = runs && (s->separable || (kidx && r2 && ww && val));
    if (!ok) {
#pragma omp atomic write
      fail = 1;
    }
#pragma omp for schedule(dynamic, 1)
    for (size_t j = j_lo; j < j_hi; j++) {
      if (!ok) continue;
      memset(s->rho + j * plane, 0, plane * sizeof *s->rho);
      /* plane j is bucket j + 1; buckets 0 and n + 1 hold the particles off the mesh */
      const size_t b0 = j + 1 > reach ? j + 1 - reach : 0,
                   b1 = j + 1 + reach < n + 1 ? j + 1 + reach : n + 1;
      size_t m = 0;
      for (size_t q = s->plane_start[b0]; q < s->plane_start[b1 + 1]; q++) {
        const double v[3] = {s->sv[q], s->sv[N + q], d == 3 ? s->sv[2 * N + q] : 0};
        const size_t nr = ball_runs(s, v, (double)j, (double)j, runs);
        if (!nr) continue;
        if (s->separable) {
          scatter_separable(s, q, j, runs, nr);
          continue;
        }
        if (m + per_plane > cap) { /* batches never split one particle's points */
          scatter_batch(s, m, kidx, r2, ww, val);
          m = 0;
        }
        const size_t m1 = run_points(s, v, runs, nr, m, cap, kidx, r2, NULL);
        for (size_t e = m; e < m1; e++) ww[e] = s->sw[q];
        m = m1;
      }
      if (m) scatter_batch(s, m, kidx, r2, ww, val);
    }
    free(runs);
    free(kidx);
    free(r2);
    free(ww);
    free(val);
  }
  if (fail) return kl_error_set(err, KL_ENOMEM, "out of memory (mollifier sums)");
  rc = gather_ranges(s, s->rho, 1, s->M, s->mesh_counts, s->mesh_displs, err);
  if (rc) return rc;
  /* once per mesh point, not once per (particle, mesh point) pair; a
   * non-finite density (a mollifier plugin returning NaN or inf) is an error,
   * not a silently dropped term */
  size_t bad = s->M;
#pragma omp parallel for schedule(static) reduction(min : bad)
  for (size_t k = 0; k < s->M; k++) {
    if (!isfinite(s->rho[k]) && k < bad) bad = k;
    s->logrho[k] = s->rho[k] > 0 ? log(s->rho[k]) : 0.0;
  }
  if (bad < s->M)
    return kl_error_set(err, KL_ENUMERIC,
                        "landau_particles: the blob density at mesh point %zu is %g: mollifier "
                        "'%s' returned a non-finite value",
                        bad, s->rho[bad], kl_instance_name(s->moll));
  return KL_OK;
}

/* F_i = h^d sum_k grad G(v_i - c_k) log rho_k over the mesh points within R
 * (rho_k > 0 there: the particle i itself is within R of them; log rho_k is
 * taken as 0 where rho_k = 0, which drops the term).  Separable mollifier:
 * d_a G = g'(z_a) prod_{b != a} g(z_b), so along a run only two sums of table
 * entries times log rho are needed. */
static void force_separable(const lp_state *s, const double *v, const ball_run *runs, size_t nr,
                            double *x, double *g, double *dg, double *f) {
  size_t st[3];
  factor_tables(s, v, st, x, g, dg);
  const size_t side = s->ball_side;
  double f0 = 0, f1 = 0, f2 = 0;
  for (size_t r = 0; r < nr; r++) {
    const ball_run *b = runs + r;
    const double *restrict L = s->logrho + b->k;
    const unsigned last = s->d - 1;
    const double *restrict gl = g + last * side + (b->j[last] - st[last]),
                           *restrict dgl = dg + last * side + (b->j[last] - st[last]);
    double S0 = 0, S1 = 0;
#pragma omp simd reduction(+ : S0, S1)
    for (size_t t = 0; t < b->cnt; t++) {
      S0 += gl[t] * L[t];
      S1 += dgl[t] * L[t];
    }
    const double a0 = g[b->j[0] - st[0]], d0 = dg[b->j[0] - st[0]];
    if (s->d == 2) {
      f0 += d0 * S0;
      f1 += a0 * S1;
    } else {
      const double a1 = g[side + (b->j[1] - st[1])], d1 = dg[side + (b->j[1] - st[1])];
      f0 += d0 * a1 * S0;
      f1 += a0 * d1 * S0;
      f2 += a0 * a1 * S1;
    }
  }
  f[0] = f0, f[1] = f1, f[2] = f2;
}

static void force_radial(const lp_state *s, const double *v, const ball_run *runs, size_t nr,
                         size_t cap, size_t *kidx, double *r2, double *z, double *g, double *f) {
  const size_t m = run_points(s, v, runs, nr, 0, cap, kidx, r2, z);
  double f0 = 0, f1 = 0, f2 = 0; /* scalars: an f[a] loop kept f in memory (a store chain) */
  if (m) {
    kl_mollifier_profile(s->moll, s->d, s->eps, m, r2, NULL, g);
    const double *lr = s->logrho, *z0 = z, *z1 = z + cap, *z2 = z + 2 * cap;
    if (s->d == 2) {
#pragma omp simd reduction(+ : f0, f1)
      for (size_t q = 0; q < m; q++) {
        const double c = g[q] * lr[kidx[q]];
        f0 += c * z0[q];
        f1 += c * z1[q];
      }
    } else {
#pragma omp simd reduction(+ : f0, f1, f2)
      for (size_t q = 0; q < m; q++) {
        const double c = g[q] * lr[kidx[q]];
        f0 += c * z0[q];
        f1 += c * z1[q];
        f2 += c * z2[q];
      }
    }
  }
  f[0] = f0, f[1] = f1, f[2] = f2;
}

static int particle_forces(lp_state *s, const double *y, kl_error *err) {
  const unsigned d = s->d;
  const size_t N = s->N, cap = s->ball_cap, side = s->ball_side, max_runs = cap / side;
  const size_t i_lo = s->ranks > 1 ? (size_t)s->part_displs[s->rank] : 0,
               i_hi = s->ranks > 1 ? i_lo + (size_t)s->part_counts[s->rank] : N;
  /* scratch: separable: x, g, dg of d * side; radial: r2, g of cap, z of d * cap */
  const size_t nbuf = s->separable ? 3 * d * side : (d + 2) * cap;
  int fail = 0;
#pragma omp parallel
  {
    ball_run *runs = malloc(max_runs * sizeof *runs);
    size_t *kidx = s->separable ? NULL : malloc(cap * sizeof *kidx);
    double *buf = malloc(nbuf * sizeof *buf);
    const bool ok = runs && buf && (s->separable || kidx);
    if (!ok) {
#pragma omp atomic write
      fail = 1;
    }
#pragma omp for schedule(static)
    for (size_t i = i_lo; i < i_hi; i++) {
      if (!ok) continue;
      const double v[3] = {y[i], y[N + i], d == 3 ? y[2 * N + i] : 0};
      const size_t nr = ball_runs(s, v, 0, (double)(s->n - 1), runs);
      double f[3] = {0, 0, 0};
      if (nr && s->separable)
        force_separable(s, v, runs, nr, buf, buf + d * side, buf + 2 * d * side, f);
      else if (nr)
        force_radial(s, v, runs, nr, cap, kidx, buf, buf + 2 * cap, buf + cap, f);
      for (unsigned a = 0; a < d; a++) s->F[a * N + i] = s->hd * f[a];
    }
    free(runs);
    free(kidx);
    free(buf);
  }
  if (fail) return kl_error_set(err, KL_ENOMEM, "out of memory (mollifier sums)");
  return gather_ranges(s, s->F, s->d, N, s->part_counts, s->part_displs, err);
}

/* ------------------------------------------------------------- pair sum */
/* With MPI (mpirun -np K kinlab run ...), every rank holds all velocities
 * (replicated data) and computes the row blocks I = rank, rank + K, ...; one
 * MPI_Allreduce of the d N derivatives then gives every rank the full sum.
 * Cost per rhs: N^2/(2K) pair evaluations against ~2 d N doubles moved, so the
 * communication is negligible while N/K >> latency/pair time (docs/performance.md). */
static int pair_sum(lp_state *s, const double *y, double *dydt, kl_error *err) {
  if (lp_pairs_sum(&s->pairs, y, s->F, s->w, dydt))
    return kl_error_set(err, KL_ENOMEM, "out of memory (pair sum)");
#ifdef KL_HAVE_MPI
  if (s->pairs.ranks > 1 && !s->pairs.moments &&
      MPI_Allreduce(MPI_IN_PLACE, dydt, (int)(s->d * s->N), MPI_DOUBLE, MPI_SUM,
                    MPI_COMM_WORLD) != MPI_SUCCESS)
    return kl_error_set(err, KL_EIO, "landau_particles: MPI_Allreduce of the pair sum failed");
#endif
  return KL_OK;
}

/* ------------------------------------------------- random-batch collisions */
/* Carrillo, Jin, Tang (random batch method): the N particles are shuffled and
 * split into nb = floor(N/p) batches of p or p+1; particle i interacts only with
 * its own batch b, the sum scaled by (N-1)/(|b|-1) so that it is unbiased.
 * Pairs inside a batch are still antisymmetric with A(z)z = 0: momentum and
 * energy are conserved exactly (to round-off) for every draw.  The shuffle is a
 * Fisher-Yates permutation driven by splitmix64 seeded from (seed, key), key =
 * floor(t / tau) (tau = batch_interval or the integrator's dt) or the bits of t
 * when tau = 0: the batches are fixed within a step (all RK stages in
 * [t_n, t_n + dt) see the same batches) and reproducible from seed and step. */
static uint64_t batch_key(const lp_state *s, double t) {
  if (s->tau > 0) {
    double k = floor(t / s->tau + 1e-6); /* guard: t = k tau - round-off */
    return (uint64_t)(int64_t)k;
  }
  return lr_time_key(t);
}

static int random_batch_sum(lp_state *s, double t, const double *y, double *dydt,
                            kl_error *err) {
  const unsigned d = s->d;
  const size_t N = s->N;
  uint64_t key = batch_key(s, t);
  if (!s->have_key || key != s->key) {
    uint64_t x = s->seed * 0xd1342543de82ef95ULL ^ key;
    (void)lr_splitmix64(&x);
    for (size_t i = 0; i < N; i++) s->perm[i] = i;
    for (size_t i = N - 1; i > 0; i--) {
      size_t j = (size_t)(lr_splitmix64(&x) % (uint64_t)(i + 1)); /* bias < 2^-40 */
      size_t tmp = s->perm[i];
      s->perm[i] = s->perm[j];
      s->perm[j] = tmp;
    }
    s->key = key;
    s->have_key = true;
  }
  size_t nb = N / s->batch;
  if (nb == 0) nb = 1;
  const size_t pmax = (N + nb - 1) / nb;
  int fail = 0;
#pragma omp parallel
  {
    double *buf = malloc((3 * d + 3) * pmax * sizeof *buf);
    if (!buf) {
#pragma omp atomic write
      fail = 1;
    }
#pragma omp for schedule(dynamic, 4)
    for (size_t b = 0; b < nb; b++) {
      if (!buf) continue;
      const size_t k0 = b * N / nb, k1 = (b + 1) * N / nb, m = k1 - k0;
      double *v = buf, *F = v + d * m, *out = F + d * m, *w = out + d * m, *r2 = w + m,
             *phi = r2 + m;
      for (size_t q = 0; q < m; q++) {
        const size_t i = s->perm[k0 + q];
        w[q] = s->w[i];
        for (unsigned a = 0; a < d; a++) {
          v[a * m + q] = y[a * N + i];
          F[a * m + q] = s->F[a * N + i];
        }
      }
      lp_pairs_serial(d, s->gc, s->C, s->gamma, s->kern, m, v, F, w, out, r2, phi);
      const double scale = m > 1 ? (double)(N - 1) / (double)(m - 1) : 0.0;
      for (size_t q = 0; q < m; q++) {
        const size_t i = s->perm[k0 + q];
        for (unsigned a = 0; a < d; a++) dydt[a * N + i] = scale * out[a * m + q];
      }
    }
    free(buf);
  }
  if (fail) return kl_error_set(err, KL_ENOMEM, "out of memory (random batches)");
  return KL_OK;
}

static int lp_check_dt(void *state, double dt, kl_error *err) {
  (void)err;
  lp_state *s = state;
  if (s->collisions == COLL_RANDOM_BATCH && s->tau == 0 && dt > 0) s->tau = dt;
  return KL_OK;
}

/* Exchange the blob of the mollifier sums with the wider one (extrapolation). */
static void swap_blob(lp_state *s) {
  struct lp_blob cur = {s->eps, s->R, s->R2, s->ball_side, s->ball_cap, s->tab_g, s->tab_start};
  s->eps = s->alt.eps, s->R = s->alt.R, s->R2 = s->alt.R2;
  s->ball_side = s->alt.ball_side, s->ball_cap = s->alt.ball_cap;
  s->tab_g = s->alt.tab_g, s->tab_start = s->alt.tab_start;
  s->alt = cur;
}

static int lp_rhs(void *state, double t, const double *y, double *dydt, kl_error *err) {
  lp_state *s = state;
  int rc = KL_OK;
  if (s->extrapolate) { /* the wider blob first: rho of the model's own eps stays */
    swap_blob(s);
    rc = mesh_density(s, y, err);
    if (!rc) rc = particle_forces(s, y, err);
    swap_blob(s);
    if (rc) return rc;
    memcpy(s->F_alt, s->F, s->d * s->N * sizeof *s->F);
  }
  rc = mesh_density(s, y, err);
  if (!rc) rc = particle_forces(s, y, err);
  if (rc) return rc;
  if (s->extrapolate) /* F is linear in the pair sum: U[2F - F'] = 2U[F] - U[F'] */
    for (size_t i = 0; i < s->d * s->N; i++) s->F[i] = 2 * s->F[i] - s->F_alt[i];
  if (s->collisions == COLL_FULL) rc = pair_sum(s, y, dydt, err);
  else if (s->collisions == COLL_RANDOM_BATCH) rc = random_batch_sum(s, t, y, dydt, err);
  else memset(dydt, 0, s->d * s->N * sizeof *dydt);
  if (rc) return rc;
  const size_t n = s->d * s->N;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(dydt[i]))
      return kl_error_set(err, KL_ENUMERIC,
                          "landau_particles: dv/dt of particle %zu is not finite (%g)", i % s->N,
                          dydt[i]);
  return KL_OK;
}

static int lp_view(void *state, const double *y, kl_view *view, kl_error *err) {
  (void)err;
  const lp_state *s = state;
  ls_particle_view(s->d, s->N, y, s->w, s->moll, s->eps, view);
  return KL_OK;
}

static size_t lp_invariant_names(void *state, const char *const **names) {
  const lp_state *s = state;
  *names = s->d == 2 ? names2 : names3;
  return s->d == 2 ? sizeof names2 / sizeof *names2 : sizeof names3 / sizeof *names3;
}

static int lp_invariants(void *state, double t, const double *y, double *values,
                         kl_error *err) {
  lp_state *s = state;
  const unsigned d = s->d;
  const size_t N = s->N;
  /* The entropy quadrature lives on the fixed mesh [-L, L]^d: mass beyond it
   * plus the blob radius is invisible to F and the entropy (CHWW's scheme).
   * The mass out there says whether it matters: the first to leave is often a
   * corner particle of negligible weight (docs/landau.md, "The box"). */
  if (!s->warned_outside)
    for (size_t i = 0; i < N * d; i++)
      if (fabs(y[i]) > s->L + s->R) {
        double out = 0, all = 0;
        size_t count = 0;
        for (size_t j = 0; j < N; j++) {
          bool beyond = false;
          for (unsigned a = 0; a < d; a++) beyond |= fabs(y[a * N + j]) > s->L + s->R;
          all += s->w[j];
          if (beyond) out += s->w[j], count++;
        }
        kl_logf(s->log, KL_LOG_WARN,
                "landau_particles: at t = %g particle %zu has |v_%zu| = %g beyond the "
                "quadrature mesh [-%g, %g] plus the blob radius %g (%zu particles, %.3g of the "
                "mass, are out there): enlarge model.box if that mass matters",
                t, i % N, i / N, fabs(y[i]), s->L, s->L, s->R, count, out / all);
        s->warned_outside = true;
        break;
      }
  double mass, mom[3], energy, m4;
  ls_moments(d, N, s->w, y, &mass, mom, &energy, &m4);
  /* The scheme conserves energy up to the integrator's error (exactly in the
   * semi-discrete system): a large drift is an unstable step, whose particles
   * then fly off the mesh -- a result, however finite, that must not count. */
  const double drift = s->energy0 > 0 ? fabs(energy - s->energy0) / s->energy0 : 0;
  if (!(drift <= s->max_energy_drift))
    return kl_error_set(err, KL_ENUMERIC,
                        "at t = %g the energy is %.6g, its initial value "
                        "%.6g: a relative drift of %.3g beyond max_energy_drift = %g means the "
                        "time step is unstable for this kernel and eps; lower integrator.dt "
                        "(or use an adaptive integrator)",
                        t, energy, s->energy0, drift, s->max_energy_drift);
  /* rhs fills rho (same y), F and U */
  int rc = lp_rhs(s, t, y, s->U, err);
  if (rc) return rc;
  double entropy = 0, diss = 0;
  for (size_t k = 0; k < s->M; k++)
    if (s->rho[k] > 0) entropy += s->hd * s->rho[k] * log(s->rho[k]);
  for (size_t i = 0; i < N; i++)
    for (unsigned a = 0; a < d; a++) diss -= s->w[i] * s->F[a * N + i] * s->U[a * N + i];
  size_t q = 0;
  values[q++] = mass;
  for (unsigned a = 0; a < d; a++) values[q++] = mom[a];
  values[q++] = energy;
  values[q++] = m4;
  values[q++] = entropy;
  values[q++] = diss;
  return KL_OK;
}

/* Constant weights; antisymmetric pairs with A(z)z = 0 (also inside random
 * batches): mass and momentum to round-off, the energy up to the time
 * integrator's error (exactly in the semi-discrete system).  The treecode's
 * sum is not exactly antisymmetric: momentum then drifts with its
 * approximation error (docs/performance.md, "Treecode"), a truncation. */
static void lp_conservation(void *state, kl_conservation *classes) {
  const lp_state *s = state;
  size_t q = 0;
  classes[q++] = KL_CONSERVED_ROUNDOFF;
  for (unsigned a = 0; a < s->d; a++)
    classes[q++] = s->pairs.use_tree ? KL_CONSERVED_TRUNCATION : KL_CONSERVED_ROUNDOFF;
  classes[q] = KL_CONSERVED_TRUNCATION;
}

static const kl_model_ops lp_ops = {
    .struct_size = sizeof(kl_model_ops),
    .size = lp_size,
    .initial = lp_initial,
    .rhs = lp_rhs,
    .view = lp_view,
    .invariant_names = lp_invariant_names,
    .invariants = lp_invariants,
    .check_dt = lp_check_dt,
    .conservation = lp_conservation,
};

static const kl_plugin_info lp_info = {
    KL_PLUGIN_HEADER,
    KL_KIND_MODEL,
    "landau_particles",
    "deterministic particle (blob) method for the regularized homogeneous Landau equation "
    "(CHWW)",
    lp_params,
    &lp_ops,
    lp_create,
    lp_destroy};

static const kl_plugin_info *const plugins[] = {&lp_info, NULL};
KL_PLUGIN_MODULE(plugins)
