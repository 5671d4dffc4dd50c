/* reference.c - errors against a reference run, where no exact solution
 * exists (docs/comparisons.md, "Errors against a reference run").
 *
 * The reference: `--reference` (or the experiment's `compare: {reference:}`)
 * names a variant, 'finest' (the finest completed variant of each group of the
 * first resolution key: Richardson-style), or another run directory (checked
 * compatible: same model, same dimensions, common output times).  Default:
 * 'finest' when there is a resolution key, else none.
 *
 * At every output time a variant's snapshots.h5 shares with its reference
 * (times equal to a relative 1e-9):
 *   particles  the moments up to fourth order (mass, mean velocity, second
 *              and third moment tensors, the fourth moment sum w |v|^4), and
 *              the density reconstructed with ONE Gaussian (standard deviation
 *              sigma per axis, the same for both runs) on a common grid:
 *              L1, L2, Linf of the difference;
 *   grids      L1, L2, Linf of the difference after a conservative remap
 *              (cell-overlap averaging) of the variant's f onto the
 *              reference grid, and the mass difference.
 * The values at the last common time become columns ref_*_error of the
 * variant (so the order machinery of analyse.c sees them as *_error columns);
 * every time goes to reference_errors.csv.
 */
#include <dirent.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "compare_internal.h"

/* Output times that are the same time: relative tolerance. */
#define SAME_TIME_RTOL 1e-9
/* The analysis Gaussian is cut off at this many standard deviations. */
#define KERNEL_CUTOFF 6.0
/* Grid of the density: spacing sigma / 2 per axis, at most this many points
 * per axis for a density of dimension 1, 2, 3 (cost bound). */
static const size_t max_points_per_axis[4] = {0, 4001, 201, 49};
/* most relative mass a reconstruction may lose or gain on the grid */
static const double DENSITY_MASS_RTOL = 1e-3;

/* Reference error columns (particles, then grids). */
static const char *const particle_cols[] = {"ref_mass_error", "ref_mean_velocity_error",
                                            "ref_m2_error",   "ref_m3_error",
                                            "ref_m4_error",   "ref_l1_error",
                                            "ref_l2_error",   "ref_linf_error"};
#define N_PARTICLE_COLS (sizeof particle_cols / sizeof *particle_cols)
static const char *const grid_cols[] = {"ref_mass_error", "ref_l1_error", "ref_l2_error",
                                        "ref_linf_error"};
#define N_GRID_COLS (sizeof grid_cols / sizeof *grid_cols)

/* ------------------------------------------------------------ moments */
size_t kl_cmp_moment_count(unsigned d) { return 1 + d + d * d + d * d * d + 1; }

void kl_cmp_particle_moments(const double *v, const double *w, size_t n, unsigned d,
                             double *out) {
  size_t nm = kl_cmp_moment_count(d);
  memset(out, 0, nm * sizeof *out);
  double *m1 = out + 1, *m2 = m1 + d, *m3 = m2 + d * d, *m4 = m3 + d * d * d;
  for (size_t p = 0; p < n; p++) {
    double wp = w ? w[p] : 1.0, v2 = 0;
    out[0] += wp;
    for (unsigned a = 0; a < d; a++) {
      double va = v[a * n + p];
      v2 += va * va;
      m1[a] += wp * va;
      for (unsigned b = 0; b < d; b++) {
        double vb = v[b * n + p];
        m2[a * d + b] += wp * va * vb;
        for (unsigned c = 0; c < d; c++) m3[(a * d + b) * d + c] += wp * va * vb * v[c * n + p];
      }
    }
    *m4 += wp * v2 * v2;
  }
}

/* The five moment errors between two moment vectors (kl_cmp_particle_moments):
 * |dM|, |d(P/M)|_2, Frobenius norms of the second and third moment tensors'
 * differences, |d m4|. */
void kl_cmp_moment_errors(const double *a, const double *b, unsigned d, double out[5]) {
  out[0] = fabs(a[0] - b[0]);
  double s = 0;
  for (unsigned k = 0; k < d; k++) {
    double x = a[1 + k] / a[0] - b[1 + k] / b[0];
    s += x * x;
  }
  out[1] = sqrt(s);
  size_t off = 1 + d;
  for (int order = 2; order <= 3; order++) {
    size_t len = order == 2 ? (size_t)d * d : (size_t)d * d * d;
    s = 0;
    for (size_t k = 0; k < len; k++) s += (a[off + k] - b[off + k]) * (a[off + k] - b[off + k]);
    out[order] = sqrt(s);
    off += len;
  }
  out[4] = fabs(a[off] - b[off]);
}

/* ------------------------------------------------------------ remap */
/* One axis of the conservative remap: cur has shape outer x ns x inner on the
 * source cells [slo + i sd, slo + (i+1) sd]; out gets outer x nd x inner, the
 * average over each target cell [dlo + J dd, ...] (overlap-weighted; parts of
 * a target cell outside the source count as 0). */
static void remap_axis(const double *cur, size_t outer, size_t ns, size_t inner, double slo,
                       double sd, double *out, size_t nd, double dlo, double dd) {
  memset(out, 0, outer * nd * inner * sizeof *out);
  for (size_t J = 0; J < nd; J++) {
    double a = dlo + (double)J * dd, b = a + dd;
    double first = floor((a - slo) / sd);
    size_t i0 = first < 0 ? 0 : (size_t)first;
    for (size_t i = i0; i < ns; i++) {
      double lo = slo + (double)i * sd, hi = lo + sd;
      if (lo >= b) break;
      double ov = fmin(hi, b) - fmax(lo, a);
      if (!(ov > 0)) continue;
      double wgt = ov / dd;
      for (size_t o = 0; o < outer; o++) {
        const double *src = cur + (o * ns + i) * inner;
        double *dst = out + (o * nd + J) * inner;
        for (size_t k = 0; k < inner; k++) dst[k] += wgt * src[k];
      }
    }
  }
}

int kl_cmp_remap(unsigned rank, const size_t *src_dims, const double *src_lo,
                 const double *src_d, const double *f, const size_t *dst_dims,
                 const double *dst_lo, const double *dst_d, double *out) {
  size_t cur_dims[8], biggest = 1, total = 1;
  if (rank < 1 || rank > 8) return KL_EINVAL;
  for (unsigned a = 0; a < rank; a++) {
    if (!(src_d[a] > 0) || !(dst_d[a] > 0)) return KL_EINVAL;
    cur_dims[a] = src_dims[a];
    total *= src_dims[a];
  }
  biggest = total;
  /* the largest intermediate array: axes < a target, >= a source */
  for (unsigned a = 0; a < rank; a++) {
    size_t s = 1;
    for (unsigned b = 0; b < rank; b++) s *= b <= a ? dst_dims[b] : src_dims[b];
    if (s > biggest) biggest = s;
  }
  double *x = malloc((biggest ? biggest : 1) * sizeof *x), *y = malloc((biggest ? biggest : 1) * sizeof *y);
  if (!x || !y) {
    free(x);
    free(y);
    return KL_ENOMEM;
  }
  memcpy(x, f, total * sizeof *x);
  for (unsigned a = 0; a < rank; a++) {
    size_t outer = 1, inner = 1;
    for (unsigned b = 0; b < a; b++) outer *= cur_dims[b];
    for (unsigned b = a + 1; b < rank; b++) inner *= cur_dims[b];
    remap_axis(x, outer, cur_dims[a], inner, src_lo[a], src_d[a], y, dst_dims[a], dst_lo[a],
               dst_d[a]);
    cur_dims[a] = dst_dims[a];
    double *t = x;
    x = y;
    y = t;
  }
  size_t n_out = 1;
  for (unsigned a = 0; a < rank; a++) n_out *= dst_dims[a];
  memcpy(out, x, n_out * sizeof *out);
  free(x);
  free(y);
  return KL_OK;
}

/* ------------------------------------------------------------ density */
/* Gaussian reconstruction sum_p w_p prod_a phi_sigma_a(x_a - z_pa) of the
 * particles z (D x n, axis-major) on the grid lo + k h (P points per axis),
 * added into g (scale: +1 or -1). */
static void add_density(const double *z, const double *w, size_t n, unsigned D,
                        const double *sigma, const double *lo, const double *h, const size_t *P,
                        double scale, double *g) {
  double norm = scale;
  for (unsigned a = 0; a < D; a++) norm /= sigma[a] * sqrt(2 * M_PI);
  double kv[3][4096];
  size_t k0[3], kn[3];
  for (size_t p = 0; p < n; p++) {
    bool empty = false;
    for (unsigned a = 0; a < D && !empty; a++) {
      double c = z[a * n + p];
      double first = ceil((c - KERNEL_CUTOFF * sigma[a] - lo[a]) / h[a]);
      double last = floor((c + KERNEL_CUTOFF * sigma[a] - lo[a]) / h[a]);
      if (first < 0) first = 0;
      if (last > (double)P[a] - 1) last = (double)P[a] - 1;
      if (last < first) {
        empty = true;
        break;
      }
      k0[a] = (size_t)first;
      kn[a] = (size_t)(last - first) + 1;
      if (kn[a] > 4096) kn[a] = 4096;
      for (size_t k = 0; k < kn[a]; k++) {
        double u = (lo[a] + (double)(k0[a] + k) * h[a] - c) / sigma[a];
        kv[a][k] = exp(-0.5 * u * u);
      }
    }
    if (empty) continue;
    double wp = (w ? w[p] : 1.0) * norm;
    if (D == 1) {
      for (size_t i = 0; i < kn[0]; i++) g[k0[0] + i] += wp * kv[0][i];
    } else if (D == 2) {
      for (size_t i = 0; i < kn[0]; i++) {
        double wi = wp * kv[0][i];
        double *row = g + (k0[0] + i) * P[1] + k0[1];
        for (size_t j = 0; j < kn[1]; j++) row[j] += wi * kv[1][j];
      }
    } else {
      for (size_t i = 0; i < kn[0]; i++)
        for (size_t j = 0; j < kn[1]; j++) {
          double wij = wp * kv[0][i] * kv[1][j];
          double *row = g + ((k0[0] + i) * P[1] + k0[1] + j) * P[2] + k0[2];
          for (size_t k = 0; k < kn[2]; k++) row[k] += wij * kv[2][k];
        }
    }
  }
}

int kl_cmp_density_errors(const double *za, const double *wa, size_t na, const double *zb,
                          const double *wb, size_t nb, unsigned D, const double *sigma,
                          double out[3]) {
  out[0] = out[1] = out[2] = NAN;
  if (D < 1 || D > 3) return KL_OK;
  double lo[3], h[3];
  size_t P[3], total = 1;
  for (unsigned a = 0; a < D; a++) {
    double mn = INFINITY, mx = -INFINITY;
    for (size_t p = 0; p < na; p++) mn = fmin(mn, za[a * na + p]), mx = fmax(mx, za[a * na + p]);
    for (size_t p = 0; p < nb; p++) mn = fmin(mn, zb[a * nb + p]), mx = fmax(mx, zb[a * nb + p]);
    if (!isfinite(mn) || !isfinite(mx) || !(sigma[a] > 0)) return KL_OK;
    lo[a] = mn - KERNEL_CUTOFF * sigma[a];
    double range = mx + KERNEL_CUTOFF * sigma[a] - lo[a];
    h[a] = sigma[a] / 2;
    if (range / h[a] > (double)(max_points_per_axis[D] - 1))
      h[a] = range / (double)(max_points_per_axis[D] - 1);
    P[a] = (size_t)ceil(range / h[a]) + 1;
    total *= P[a];
  }
  double *g = calloc(total, sizeof *g);
  if (!g) return KL_ENOMEM;
  double vol = 1, l1 = 0, l2 = 0, linf = 0;
  for (unsigned a = 0; a < D; a++) vol *= h[a];
  /* Self-check: each reconstruction must keep its particles' mass on the
   * grid.  Where the grid had to be coarsened far below sigma (an
   * analysis_width of 1e-20: spacing 1e19 sigma) the Riemann sums miss or
   * hit the peaks and the norms are garbage (ref_l1_error 1e35). */
  double sum_a = 0, sum_diff = 0, mass_a = 0, mass_b = 0;
  for (size_t p = 0; p < na; p++) mass_a += wa ? wa[p] : 1.0;
  for (size_t p = 0; p < nb; p++) mass_b += wb ? wb[p] : 1.0;
  add_density(za, wa, na, D, sigma, lo, h, P, 1.0, g);
  for (size_t k = 0; k < total; k++) sum_a += g[k];
  add_density(zb, wb, nb, D, sigma, lo, h, P, -1.0, g);
  for (size_t k = 0; k < total; k++) sum_diff += g[k];
  const double rec_a = sum_a * vol, rec_b = (sum_a - sum_diff) * vol;
  if (!(fabs(rec_a - mass_a) <= DENSITY_MASS_RTOL * fabs(mass_a)) ||
      !(fabs(rec_b - mass_b) <= DENSITY_MASS_RTOL * fabs(mass_b))) {
    free(g);
    return KL_ENUMERIC;
  }
  for (size_t k = 0; k < total; k++) {
    double x = fabs(g[k]);
    l1 += x;
    l2 += x * x;
    if (x > linf) linf = x;
  }
  free(g);
  out[0] = l1 * vol;
  out[1] = sqrt(l2 * vol);
  out[2] = linf;
  return KL_OK;
}

/* ------------------------------------------------------------ snapshots */
typedef struct snap_list {
  size_t n;
  double *t;
  char (*group)[64];
} snap_list;

static void snap_list_free(snap_list *s) {
  free(s->t);
  free(s->group);
  memset(s, 0, sizeof *s);
}

typedef struct snap {
  bool grid;
  /* particles: velocities dim_v x n, positions dim_x x n, weights n */
  unsigned dim_v, dim_x;
  size_t n;
  double *v, *x, *w, blob_variance;
  /* grid: f with rank axes (x, v0, ...) */
  unsigned rank;
  size_t dims[4];
  double lo[4], d[4];
  double *f;
} snap;

static void snap_free(snap *s) {
  free(s->v);
  free(s->x);
  free(s->w);
  free(s->f);
  memset(s, 0, sizeof *s);
}

static herr_t collect_group(hid_t loc, const char *name, const H5L_info_t *info, void *data) {
  (void)info;
  snap_list *s = data;
  if (strncmp(name, "output_", 7) || strlen(name) >= 64) return 0;
  hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
  if (g < 0) return 0;
  double t = NAN;
  if (H5Aexists(g, "t") > 0) {
    hid_t a = H5Aopen(g, "t", H5P_DEFAULT);
    if (a >= 0) {
      if (H5Aread(a, H5T_NATIVE_DOUBLE, &t) < 0) t = NAN;
      H5Aclose(a);
    }
  }
  H5Gclose(g);
  if (!isfinite(t)) return 0;
  double *nt = realloc(s->t, (s->n + 1) * sizeof *nt);
  if (!nt) return -1;
  s->t = nt;
  char(*ng)[64] = realloc(s->group, (s->n + 1) * sizeof *ng);
  if (!ng) return -1;
  s->group = ng;
  s->t[s->n] = t;
  snprintf(s->group[s->n], 64, "%s", name);
  s->n++;
  return 0;
}

/* The snapshot groups of DIR/snapshots.h5 and their times, in output order. */
static int list_snapshots(const char *dir, snap_list *out, char *path, size_t size,
                          kl_error *err) {
  memset(out, 0, sizeof *out);
  if (!kl_pathf(path, size, "%s/snapshots.h5", dir))
    return kl_error_set(err, KL_EIO, "path too long: %s/snapshots.h5", dir);
  if (!kl_file_exists(path)) return KL_OK;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return kl_error_set(err, KL_EINVAL, "%s: not a readable HDF5 file", path);
  herr_t r = H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_group, out);
  H5Fclose(f);
  if (r < 0) {
    snap_list_free(out);
    return kl_error_nomem(err);
  }
  return KL_OK;
}

/* A double dataset of group g: its dims (rank <= 4) and values. */
static int read_dataset(hid_t g, const char *name, unsigned *rank, size_t dims[4], double **data) {
  *data = NULL;
  *rank = 0;
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0) return 1; /* absent */
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t s = H5Dget_space(d);
  hsize_t hd[8];
  int r = s >= 0 ? H5Sget_simple_extent_dims(s, hd, NULL) : -1;
  int rc = -1;
  if (r >= 1 && r <= 4) {
    size_t total = 1;
    for (int k = 0; k < r; k++) dims[k] = (size_t)hd[k], total *= (size_t)hd[k];
    *rank = (unsigned)r;
    *data = malloc((total ? total : 1) * sizeof **data);
    if (*data && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data) >= 0) rc = 0;
    else {
      free(*data);
      *data = NULL;
    }
  }
  if (s >= 0) H5Sclose(s);
  H5Dclose(d);
  return rc;
}

/* A vector attribute of dataset name in group g (n values). */
static int read_attr(hid_t g, const char *dset, const char *name, size_t n, double *out) {
  hid_t d = H5Dopen2(g, dset, H5P_DEFAULT);
  if (d < 0) return -1;
  int rc = -1;
  if (H5Aexists(d, name) > 0) {
    hid_t a = H5Aopen(d, name, H5P_DEFAULT);
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    if (s >= 0 && (size_t)H5Sget_simple_extent_npoints(s) == n &&
        H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0)
      rc = 0;
    if (s >= 0) H5Sclose(s);
    if (a >= 0) H5Aclose(a);
  }
  H5Dclose(d);
  return rc;
}

static int read_snap(const char *path, const char *group, snap *s, kl_error *err) {
  memset(s, 0, sizeof *s);
  s->blob_variance = NAN;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return kl_error_set(err, KL_EINVAL, "%s: not a readable HDF5 file", path);
  hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
  int rc = KL_OK;
  unsigned rank;
  size_t dims[4];
  if (g < 0) {
    rc = kl_error_set(err, KL_EINVAL, "%s: cannot open group %s", path, group);
  } else {
    int r = read_dataset(g, KL_SNAP_VELOCITIES, &rank, dims, &s->v);
    if (r == 0) {
      if (rank != 2 || dims[0] < 1 || dims[0] > 3)
        rc = kl_error_set(err, KL_EINVAL, "%s: %s/%s: expected d x N with d in 1..3", path, group,
                          KL_SNAP_VELOCITIES);
      s->dim_v = (unsigned)dims[0];
      s->n = dims[1];
      size_t wd[4];
      unsigned wr;
      int rw = rc ? 1 : read_dataset(g, KL_SNAP_WEIGHTS, &wr, wd, &s->w);
      if (rw < 0 || (rw == 0 && (wr != 1 || wd[0] != s->n)))
        rc = kl_error_set(err, KL_EINVAL, "%s: %s/%s: expected %zu weights", path, group,
                          KL_SNAP_WEIGHTS, s->n);
      int rx = rc ? 1 : read_dataset(g, KL_SNAP_POSITIONS, &wr, wd, &s->x);
      if (rx < 0 || (rx == 0 && (wr != 2 || wd[1] != s->n || wd[0] < 1 || wd[0] > 3)))
        rc = kl_error_set(err, KL_EINVAL, "%s: %s/%s: expected d_x x %zu positions", path, group,
                          KL_SNAP_POSITIONS, s->n);
      else if (rx == 0)
        s->dim_x = (unsigned)wd[0];
      double var;
      if (!rc && read_attr(g, KL_SNAP_VELOCITIES, KL_SNAP_BLOB_VARIANCE, 1, &var) == 0)
        s->blob_variance = var;
    } else if (r < 0) {
      rc = kl_error_set(err, KL_EINVAL, "%s: %s/%s: unreadable", path, group, KL_SNAP_VELOCITIES);
    } else if ((r = read_dataset(g, KL_SNAP_GRID, &rank, dims, &s->f)) == 0) {
      s->grid = true;
      s->rank = rank;
      memcpy(s->dims, dims, sizeof dims);
      if (rank < 2 ||
          read_attr(g, KL_SNAP_GRID, KL_SNAP_GRID_X_LO, 1, s->lo) ||
          read_attr(g, KL_SNAP_GRID, KL_SNAP_GRID_DX, 1, s->d) ||
          read_attr(g, KL_SNAP_GRID, KL_SNAP_GRID_V_LO, rank - 1, s->lo + 1) ||
          read_attr(g, KL_SNAP_GRID, KL_SNAP_GRID_DV, rank - 1, s->d + 1))
        rc = kl_error_set(err, KL_EINVAL,
                          "%s: %s/%s: expected the attributes %s, %s (1 value) and %s, %s (%u "
                          "values)",
                          path, group, KL_SNAP_GRID, KL_SNAP_GRID_X_LO, KL_SNAP_GRID_DX,
                          KL_SNAP_GRID_V_LO, KL_SNAP_GRID_DV, rank ? rank - 1 : 0);
      for (unsigned a = 0; !rc && a < rank; a++)
        if (!(s->d[a] > 0) || !isfinite(s->lo[a]))
          rc = kl_error_set(err, KL_EINVAL, "%s: %s/%s: cell sizes must be positive", path, group,
                            KL_SNAP_GRID);
    } else {
      rc = kl_error_set(err, KL_EINVAL, "%s: %s: neither %s nor %s", path, group,
                        KL_SNAP_VELOCITIES, KL_SNAP_GRID);
    }
    H5Gclose(g);
  }
  H5Fclose(f);
  if (rc) snap_free(s);
  return rc;
}

/* ------------------------------------------------------------ choosing */
static bool same_time(double a, double b) {
  return fabs(a - b) <= SAME_TIME_RTOL * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* The value of a configuration key in a directory's config.resolved.yaml. */
static char *config_value_in(const char *dir, const char *key) {
  char p[PATH_MAX];
  kl_node *tree = NULL;
  kl_error e = {0, ""};
  if (!kl_pathf(p, sizeof p, "%s/config.resolved.yaml", dir) || kl_yaml_parse_file(p, &tree, &e))
    return NULL;
  const kl_node *n = tree;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", key);
  char *save = NULL;
  for (char *part = strtok_r(buf, ".", &save); part && n; part = strtok_r(NULL, ".", &save))
    n = n->type == KL_NODE_MAP ? kl_node_map_get(n, part) : NULL;
  char *out = n && n->type == KL_NODE_SCALAR && n->scalar ? strdup(n->scalar) : NULL;
  kl_node_free(tree);
  return out;
}

/* compare: {reference, analysis_width} of RUN_DIR/experiment.yaml (the
 * experiment loader checked them when the run started). */
static int experiment_settings(const cmp *c, char **reference, double *width, kl_error *err) {
  char p[PATH_MAX];
  *reference = NULL;
  if (!kl_pathf(p, sizeof p, "%s/experiment.yaml", c->run_dir) || !kl_file_exists(p))
    return KL_OK;
  kl_node *tree = NULL;
  kl_error e = {0, ""};
  if (kl_yaml_parse_file(p, &tree, &e)) return KL_OK; /* find_absent_variants reports it */
  const kl_node *sec = tree->type == KL_NODE_MAP ? kl_node_map_get(tree, "compare") : NULL;
  int rc = KL_OK;
  if (sec && sec->type == KL_NODE_MAP) {
    const kl_node *r = kl_node_map_get(sec, "reference");
    if (r && r->type == KL_NODE_SCALAR && r->scalar && *r->scalar &&
        !(*reference = strdup(r->scalar)))
      rc = kl_error_nomem(err);
    const kl_node *w = kl_node_map_get(sec, "analysis_width");
    if (w && w->type == KL_NODE_SCALAR) {
      double x = kl_cmp_numeric(w->scalar);
      if (!(x > 0))
        rc = kl_error_set(err, KL_EINVAL,
                          "%s: compare.analysis_width: expected a positive number, found '%s'", p,
                          w->scalar ? w->scalar : "");
      else if (!(*width > 0))
        *width = x;
    }
  }
  kl_node_free(tree);
  return rc;
}

static bool is_run_dir(const char *dir) {
  char p[PATH_MAX];
  return kl_pathf(p, sizeof p, "%s/config.resolved.yaml", dir) && kl_file_exists(p);
}

/* For an external reference: the same model type and the same snapshot
 * dimensions as every compared variant; checked by check_compatible per
 * variant and time (dimensions), here the model. */
static int check_external(const cmp *c, const char *dir, kl_error *err) {
  char *ref_model = config_value_in(dir, "model.type");
  if (!ref_model) {
    return kl_error_set(err, KL_EINVAL,
                        "reference %s/config.resolved.yaml: no model.type (expected a run "
                        "directory of kinlab)",
                        dir);
  }
  int rc = KL_OK;
  for (size_t i = 0; i < c->nv && !rc; i++) {
    const char *m = kl_cmp_config_value(&c->v[i], "model.type");
    if (m && strcmp(m, ref_model))
      rc = kl_error_set(err, KL_EINVAL,
                        "reference %s/config.resolved.yaml: model.type is '%s', variant '%s' "
                        "(%s/config.resolved.yaml) has '%s'; expected the same model",
                        dir, ref_model, c->v[i].name, c->v[i].dir, m);
  }
  free(ref_model);
  return rc;
}

int kl_cmp_choose_reference(cmp *c, const char *spec, bool *bad_usage, kl_error *err) {
  c->ref_of = malloc((c->nv ? c->nv : 1) * sizeof *c->ref_of);
  if (!c->ref_of) return kl_error_nomem(err);
  for (size_t i = 0; i < c->nv; i++) c->ref_of[i] = SIZE_MAX;
  c->ref_mode = REF_NONE;
  if (!spec) {
    if (!c->n_rk) return KL_OK; /* nothing is finest: no reference errors unless asked */
    spec = "finest";
  }
  if (!strcmp(spec, "finest")) {
    if (!c->n_rk) {
      *bad_usage = true;
      return kl_error_set(err, KL_EINVAL,
                          "%s: reference 'finest': no resolution key varies between the "
                          "variants (give one with --by KEY, or name a reference variant)",
                          c->run_dir);
    }
    c->ref_mode = REF_FINEST;
    const res_key *rk = &c->rk[0];
    size_t *members = malloc((c->nv ? c->nv : 1) * sizeof *members);
    if (!members) return kl_error_nomem(err);
    for (size_t g = 0; g < rk->n_groups; g++) {
      size_t m = kl_cmp_group_members(rk, c->nv, g, members), finest = SIZE_MAX;
      for (size_t a = m; a-- > 0 && finest == SIZE_MAX;)
        if (c->v[members[a]].ok) finest = members[a];
      if (m < 2 || finest == SIZE_MAX) continue;
      for (size_t a = 0; a < m; a++) c->ref_of[members[a]] = finest;
    }
    free(members);
    return KL_OK;
  }
  for (size_t i = 0; i < c->nv; i++)
    if (!strcmp(c->v[i].name, spec)) {
      if (!c->v[i].ok)
        return kl_error_set(err, KL_EINVAL,
                            "%s: reference variant '%s' did not complete (%s); expected a "
                            "completed run",
                            c->run_dir, spec, c->v[i].status ? c->v[i].status : "no summary");
      c->ref_mode = REF_NAMED;
      for (size_t k = 0; k < c->nv; k++) c->ref_of[k] = i;
      return KL_OK;
    }
  struct stat st;
  if (!is_run_dir(spec) && stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
    char p[PATH_MAX];
    bool base = kl_pathf(p, sizeof p, "%s/experiment.yaml", spec) && kl_file_exists(p);
    return kl_error_set(err, KL_EINVAL,
                        "reference %s: %s; expected one run directory (with "
                        "config.resolved.yaml)%s",
                        spec, base ? "a directory of variants, not one run" : "not a run directory",
                        base ? ", e.g. one of its variants: REFERENCE/VARIANT" : "");
  }
  if (strchr(spec, '/') || is_run_dir(spec)) {
    if (!is_run_dir(spec))
      return kl_error_set(err, KL_EIO,
                          "reference %s: not a run directory (no config.resolved.yaml)", spec);
    int rc = check_external(c, spec, err);
    if (rc) return rc;
    if (!(c->ref_dir = strdup(spec))) return kl_error_nomem(err);
    c->ref_mode = REF_PATH;
    return KL_OK;
  }
  const char **names = malloc((c->nv + 1) * sizeof *names);
  if (!names) return kl_error_nomem(err);
  names[0] = "finest";
  for (size_t i = 0; i < c->nv; i++) names[i + 1] = c->v[i].name;
  const char *m = kl_did_you_mean(spec, names, c->nv + 1);
  char list[600] = "";
  size_t used = 0;
  for (size_t j = 0; j <= c->nv && used < sizeof list; j++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", names[j]);
  free(names);
  *bad_usage = true;
  return kl_error_set(err, KL_EINVAL,
                      "%s: reference '%s': no such variant%s%s%s and no run directory of that "
                      "name; expected 'finest', a variant (%s) or a run directory",
                      c->run_dir, spec, m ? " (did you mean '" : "", m ? m : "", m ? "'?)" : "",
                      list);
}

/* ------------------------------------------------------------ errors */
/* The analysis Gaussian's standard deviation per axis (velocity axes, then
 * position axes) for a reference snapshot: the fixed width when given; else
 * the reference's blob (sqrt of blob_variance) for velocity axes, and
 * Silverman's rule on the reference for axes without one. */
static void analysis_sigma(const snap *ref, double width, double *sigma) {
  unsigned D = ref->dim_v + ref->dim_x;
  for (unsigned a = 0; a < D; a++) {
    if (width > 0) {
      sigma[a] = width;
      continue;
    }
    if (a < ref->dim_v && ref->blob_variance > 0) {
      sigma[a] = sqrt(ref->blob_variance);
      continue;
    }
    const double *z = a < ref->dim_v ? ref->v + a * ref->n : ref->x + (a - ref->dim_v) * ref->n;
    double sw = 0, m = 0, s2 = 0;
    for (size_t p = 0; p < ref->n; p++) {
      double w = ref->w ? ref->w[p] : 1;
      sw += w;
      m += w * z[p];
    }
    m /= sw;
    for (size_t p = 0; p < ref->n; p++) s2 += (ref->w ? ref->w[p] : 1) * (z[p] - m) * (z[p] - m);
    s2 /= sw;
    sigma[a] = 1.06 * sqrt(s2) * pow((double)ref->n, -1.0 / (D + 4));
  }
}

/* Particle coordinates as one D x n array (velocities, then positions). */
static double *phase_coords(const snap *s) {
  unsigned D = s->dim_v + s->dim_x;
  double *z = malloc((size_t)D * (s->n ? s->n : 1) * sizeof *z);
  if (!z) return NULL;
  memcpy(z, s->v, (size_t)s->dim_v * s->n * sizeof *z);
  if (s->dim_x) memcpy(z + (size_t)s->dim_v * s->n, s->x, (size_t)s->dim_x * s->n * sizeof *z);
  return z;
}

static int particle_errors(const snap *a, const snap *r, double width, double *out,
                           double *sigma_used, kl_error *err) {
  unsigned d = a->dim_v;
  size_t nm = kl_cmp_moment_count(d);
  double *ma = malloc(2 * nm * sizeof *ma);
  if (!ma) return kl_error_nomem(err);
  kl_cmp_particle_moments(a->v, a->w, a->n, d, ma);
  kl_cmp_particle_moments(r->v, r->w, r->n, d, ma + nm);
  kl_cmp_moment_errors(ma, ma + nm, d, out);
  free(ma);
  unsigned D = a->dim_v + a->dim_x;
  double sigma[6];
  analysis_sigma(r, width, sigma);
  *sigma_used = sigma[0];
  double *za = phase_coords(a), *zr = phase_coords(r);
  int rc = za && zr ? kl_cmp_density_errors(za, a->w, a->n, zr, r->w, r->n, D, sigma, out + 5)
                    : KL_ENOMEM;
  free(za);
  free(zr);
  if (rc == KL_ENUMERIC)
    return kl_error_set(err, KL_EINVAL,
                        "the analysis Gaussian (sigma = %g%s) is not resolved by the "
                        "comparison grid (at most %zu points per axis over both particle sets "
                        "+- 6 sigma): its reconstructions do not keep their mass within %g; "
                        "expected an --analysis-width (compare.analysis_width) well above the "
                        "grid spacing and below the particles' spread",
                        sigma[0], width > 0 ? ", the analysis width" : ", from the reference",
                        max_points_per_axis[D], DENSITY_MASS_RTOL);
  return rc ? kl_error_nomem(err) : KL_OK;
}

static double grid_mass(const snap *s) {
  size_t total = 1;
  double vol = 1, m = 0;
  for (unsigned a = 0; a < s->rank; a++) total *= s->dims[a], vol *= s->d[a];
  for (size_t k = 0; k < total; k++) m += s->f[k];
  return m * vol;
}

static int grid_errors(const snap *a, const snap *r, double *out, kl_error *err) {
  size_t total = 1;
  double vol = 1;
  for (unsigned k = 0; k < r->rank; k++) total *= r->dims[k], vol *= r->d[k];
  double *g = malloc((total ? total : 1) * sizeof *g);
  if (!g) return kl_error_nomem(err);
  if (kl_cmp_remap(a->rank, a->dims, a->lo, a->d, a->f, r->dims, r->lo, r->d, g)) {
    free(g);
    return kl_error_nomem(err);
  }
  double l1 = 0, l2 = 0, linf = 0;
  for (size_t k = 0; k < total; k++) {
    double x = fabs(g[k] - r->f[k]);
    l1 += x;
    l2 += x * x;
    if (x > linf) linf = x;
  }
  free(g);
  out[0] = fabs(grid_mass(a) - grid_mass(r));
  out[1] = l1 * vol;
  out[2] = sqrt(l2 * vol);
  out[3] = linf;
  return KL_OK;
}

static int add_row(cmp *c, size_t variant, double t, const double *vals, size_t n,
                   kl_error *err) {
  if (c->n_ref_rows == c->cap_ref_rows) {
    size_t cap = c->cap_ref_rows ? 2 * c->cap_ref_rows : 64;
    ref_row *p = realloc(c->ref_rows, cap * sizeof *p);
    if (!p) return kl_error_nomem(err);
    c->ref_rows = p;
    c->cap_ref_rows = cap;
  }
  ref_row *r = &c->ref_rows[c->n_ref_rows];
  r->variant = variant;
  r->t = t;
  if (!(r->vals = malloc(n * sizeof *r->vals))) return kl_error_nomem(err);
  memcpy(r->vals, vals, n * sizeof *vals);
  c->n_ref_rows++;
  return KL_OK;
}

/* Append a final-time column to variant v (NaN first/max_drift). */
static int append_column(variant *v, const char *name, double value) {
  size_t n = v->cols.n;
  double *f = realloc(v->first, (n + 1) * sizeof *f);
  if (!f) return -1;
  v->first = f;
  double *l = realloc(v->last, (n + 1) * sizeof *l);
  if (!l) return -1;
  v->last = l;
  double *m = realloc(v->max_drift, (n + 1) * sizeof *m);
  if (!m) return -1;
  v->max_drift = m;
  if (kl_cmp_sv_push(&v->cols, name)) return -1;
  v->first[n] = v->max_drift[n] = NAN;
  v->last[n] = value;
  return 0;
}

/* Errors of variant i against the run in ref_dir at every common time. */
static int variant_errors(cmp *c, size_t i, const char *ref_dir, kl_error *err) {
  variant *v = &c->v[i];
  char pv[PATH_MAX], pr[PATH_MAX];
  snap_list lv, lr;
  int rc = list_snapshots(v->dir, &lv, pv, sizeof pv, err);
  if (rc) return rc;
  if ((rc = list_snapshots(ref_dir, &lr, pr, sizeof pr, err))) {
    snap_list_free(&lv);
    return rc;
  }
  double final_vals[N_PARTICLE_COLS];
  bool have_final = false, grid = false;
  for (size_t k = 0; k < N_PARTICLE_COLS; k++) final_vals[k] = NAN;
  size_t common = 0;
  for (size_t a = 0; a < lv.n && !rc; a++) {
    size_t b = 0;
    while (b < lr.n && !same_time(lv.t[a], lr.t[b])) b++;
    if (b == lr.n) continue;
    common++;
    snap sa, sr;
    if ((rc = read_snap(pv, lv.group[a], &sa, err))) break;
    if ((rc = read_snap(pr, lr.group[b], &sr, err))) {
      snap_free(&sa);
      break;
    }
    double vals[N_PARTICLE_COLS];
    size_t nvals = 0;
    if (sa.grid != sr.grid || sa.dim_v != sr.dim_v || sa.dim_x != sr.dim_x || sa.rank != sr.rank)
      rc = kl_error_set(err, KL_EINVAL,
                   "%s (%s) and reference %s (%s): different kinds or dimensions (%s, d = %u, "
                   "dim_x = %u, rank %u against %s, d = %u, dim_x = %u, rank %u); expected "
                   "the same model and dimension",
                   pv, lv.group[a], pr, lr.group[b], sa.grid ? "grid" : "particles", sa.dim_v,
                   sa.dim_x, sa.rank, sr.grid ? "grid" : "particles", sr.dim_v, sr.dim_x,
                   sr.rank);
    else if (sa.grid) {
      grid = true;
      nvals = N_GRID_COLS;
      rc = grid_errors(&sa, &sr, vals, err);
    } else {
      nvals = N_PARTICLE_COLS;
      rc = particle_errors(&sa, &sr, c->analysis_width, vals, &v->ref_sigma, err);
    }
    snap_free(&sa);
    snap_free(&sr);
    if (!rc) rc = add_row(c, i, lv.t[a], vals, nvals, err);
    if (!rc) {
      memcpy(final_vals, vals, nvals * sizeof *vals);
      have_final = true;
      c->ref_grid = grid;
    }
  }
  const size_t own_snaps = lv.n, ref_snaps = lr.n;
  snap_list_free(&lv);
  snap_list_free(&lr);
  if (rc) return rc;
  /* a run without snapshots (output.snapshots: false) was reported as "no
   * common output time" of a file that does not exist */
  if (!common && c->ref_mode != REF_FINEST && (!own_snaps || !ref_snaps))
    return kl_error_set(err, KL_EINVAL,
                        "%s: no snapshots (was output.snapshots false?): errors against a "
                        "reference compare the snapshots of both runs; expected snapshots.h5 "
                        "with output groups",
                        !own_snaps ? pv : pr);
  if (!common && c->ref_mode != REF_FINEST)
    return kl_error_set(err, KL_EINVAL,
                        "%s and reference %s/snapshots.h5: no common output time (expected the "
                        "same output times, equal to a relative %g)",
                        pv, ref_dir, SAME_TIME_RTOL);
  if (!have_final) return KL_OK;
  const char *const *cols = grid ? grid_cols : particle_cols;
  size_t nc = grid ? N_GRID_COLS : N_PARTICLE_COLS;
  for (size_t k = 0; k < nc; k++)
    if (append_column(v, cols[k], final_vals[k])) return kl_error_nomem(err);
  return KL_OK;
}

int kl_cmp_reference_errors(cmp *c, const char *spec, double width, bool *bad_usage,
                            kl_error *err) {
  char *from_experiment = NULL;
  c->analysis_width = width;
  int rc = experiment_settings(c, &from_experiment, &c->analysis_width, err);
  /* The experiment's 'finest' without a resolution key (a single run, or
   * variants of another kind) is the default, not an error after the run. */
  if (!spec && from_experiment && !strcmp(from_experiment, "finest")) {
    free(from_experiment);
    from_experiment = NULL;
  }
  if (!rc) rc = kl_cmp_choose_reference(c, spec ? spec : from_experiment, bad_usage, err);
  free(from_experiment);
  for (size_t i = 0; i < c->nv; i++) c->v[i].ref_sigma = NAN;
  for (size_t i = 0; !rc && i < c->nv; i++) {
    if (!c->v[i].ok) continue;
    const char *ref_dir = c->ref_mode == REF_PATH ? c->ref_dir
                          : c->ref_of[i] != SIZE_MAX && c->ref_of[i] != i ? c->v[c->ref_of[i]].dir
                                                                          : NULL;
    if (ref_dir) rc = variant_errors(c, i, ref_dir, err);
  }
  if (rc) return rc;
  /* The reference error columns, after the run's own *_error columns. */
  const char *const *cols = c->ref_grid ? grid_cols : particle_cols;
  size_t nc = c->ref_grid ? N_GRID_COLS : N_PARTICLE_COLS;
  if (c->n_ref_rows) {
    for (size_t k = 0; k < nc; k++)
      if (kl_cmp_sv_push(&c->ref_cols, cols[k]) || kl_cmp_sv_push(&c->errors, cols[k]))
        return kl_error_nomem(err);
    return kl_cmp_recompute_orders(c, err);
  }
  return KL_OK;
}
