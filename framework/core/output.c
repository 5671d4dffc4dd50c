/* output.c - HDF5 outputs: snapshot files (a group per output time) and
 * checkpoints.  Like every file kinlab writes (files.c), an HDF5 file is
 * written under "PATH.tmp.PID" and renamed over PATH once complete.
 */
#include <errno.h>
#include <hdf5.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* ------------------------------------------------------------------ HDF5 */
struct kl_h5 {
  hid_t file;
  char *path, *tmp_path;
};

struct kl_snapshot {
  hid_t group;
};

static void h5_quiet(void) {
  /* No atexit handler: after a failed close (disk full) HDF5's own clean-up
   * would crash at exit; kinlab closes what it opened itself.  HDF5's library
   * state is per process, so is this flag that it has been told. */
  static bool done;
  if (!done) {
    H5dont_atexit();
    done = true;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static int h5_open_common(const char *path, bool copy_from_existing, const char *existing,
                          kl_h5 **out, kl_error *err) {
  h5_quiet();
  *out = NULL;
  kl_h5 *h = calloc(1, sizeof *h);
  if (!h) return kl_error_set(err, KL_ENOMEM, "out of memory");
  h->path = strdup(path);
  h->tmp_path = kl_tmp_path(path);
  if (!h->path || !h->tmp_path) {
    free(h->path);
    free(h->tmp_path);
    free(h);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  if (copy_from_existing) {
    int rc = kl_copy_file(existing, h->tmp_path, err);
    if (rc) {
      unlink(h->tmp_path);
      free(h->path);
      free(h->tmp_path);
      free(h);
      return rc;
    }
    h->file = H5Fopen(h->tmp_path, H5F_ACC_RDWR, H5P_DEFAULT);
  } else {
    h->file = H5Fcreate(h->tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  }
  if (h->file < 0) {
    unlink(h->tmp_path);
    int rc = kl_error_set(err, KL_EIO, "cannot %s HDF5 file %s", copy_from_existing ? "open" : "create",
                          h->tmp_path);
    free(h->path);
    free(h->tmp_path);
    free(h);
    return rc;
  }
  *out = h;
  return KL_OK;
}

int kl_h5_create(const char *path, kl_h5 **out, kl_error *err) {
  return h5_open_common(path, false, NULL, out, err);
}

int kl_h5_reopen_copy(const char *existing, const char *path, kl_h5 **out, kl_error *err) {
  return h5_open_common(path, true, existing, out, err);
}

static void h5_free(kl_h5 *h) {
  free(h->path);
  free(h->tmp_path);
  free(h);
}

int kl_h5_commit(kl_h5 *h, kl_error *err) {
  if (!h) return KL_OK;
  int rc = KL_OK;
  if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0)
    rc = kl_error_set(err, KL_EIO, "writing %s failed (disk full?)", h->path);
  if (H5Fclose(h->file) < 0 && !rc)
    rc = kl_error_set(err, KL_EIO, "closing %s failed (disk full?)", h->path);
  if (!rc && rename(h->tmp_path, h->path) != 0)
    rc = kl_error_set(err, KL_EIO, "cannot rename %s to %s: %s", h->tmp_path, h->path,
                      strerror(errno));
  if (rc) unlink(h->tmp_path);
  h5_free(h);
  return rc;
}

void kl_h5_abort(kl_h5 *h) {
  if (!h) return;
  H5Fclose(h->file);
  unlink(h->tmp_path);
  h5_free(h);
}

static int write_attr_double(hid_t obj, const char *name, double value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(obj, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
  int ok = attr >= 0 && H5Awrite(attr, H5T_NATIVE_DOUBLE, &value) >= 0;
  if (attr >= 0) H5Aclose(attr);
  H5Sclose(space);
  return ok ? 0 : -1;
}

int kl_h5_begin_snapshot(kl_h5 *h, size_t k, double t, kl_snapshot **snap, kl_error *err) {
  *snap = NULL;
  char name[64];
  snprintf(name, sizeof name, "output_%06zu", k);
  kl_snapshot *s = calloc(1, sizeof *s);
  if (!s) return kl_error_set(err, KL_ENOMEM, "out of memory");
  if (H5Lexists(h->file, name, H5P_DEFAULT) > 0) H5Ldelete(h->file, name, H5P_DEFAULT);
  s->group = H5Gcreate2(h->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (s->group < 0 || write_attr_double(s->group, "t", t) < 0) {
    if (s->group >= 0) H5Gclose(s->group);
    free(s);
    return kl_error_set(err, KL_EIO, "cannot create snapshot group %s in %s", name, h->path);
  }
  *snap = s;
  return KL_OK;
}

int kl_h5_end_snapshot(kl_snapshot *snap, kl_error *err) {
  if (!snap) return KL_OK;
  int rc = H5Gclose(snap->group) < 0 ? kl_error_set(err, KL_EIO, "closing snapshot group failed")
                                     : KL_OK;
  free(snap);
  return rc;
}

static int write_dataset(hid_t loc, const char *name, unsigned rank, const size_t *dims,
                         const double *data, kl_error *err) {
  if (rank < 1 || rank > 8)
    return kl_error_set(err, KL_EINVAL, "dataset %s: rank %u not in 1..8", name, rank);
  hsize_t hd[8];
  for (unsigned i = 0; i < rank; i++) hd[i] = dims[i];
  if (H5Lexists(loc, name, H5P_DEFAULT) > 0)
    return kl_error_set(err, KL_EINVAL, "dataset %s written twice in one snapshot", name);
  hid_t space = H5Screate_simple((int)rank, hd, NULL);
  hid_t ds = H5Dcreate2(loc, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  int ok = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  /* A failed close is where a full disk shows up first: stop the run there. */
  if (ds >= 0 && H5Dclose(ds) < 0) ok = 0;
  H5Sclose(space);
  return ok ? KL_OK : kl_error_set(err, KL_EIO, "cannot write dataset %s (disk full?)", name);
}

int kl_snapshot_write(kl_snapshot *snap, const char *name, unsigned rank, const size_t *dims,
                      const double *data, kl_error *err) {
  if (!snap) return kl_error_set(err, KL_EINVAL, "kl_snapshot_write: no snapshot open");
  return write_dataset(snap->group, name, rank, dims, data, err);
}

int kl_snapshot_set_attr(kl_snapshot *snap, const char *dataset, const char *name,
                         size_t n, const double *values, kl_error *err) {
  hid_t ds = H5Dopen2(snap->group, dataset, H5P_DEFAULT);
  if (ds < 0) return kl_error_set(err, KL_EINVAL, "snapshot: no dataset '%s'", dataset);
  hsize_t dims[1] = {n};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t attr = H5Acreate2(ds, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
  int ok = attr >= 0 && H5Awrite(attr, H5T_NATIVE_DOUBLE, values) >= 0;
  if (attr >= 0) H5Aclose(attr);
  H5Sclose(space);
  H5Dclose(ds);
  return ok ? KL_OK : kl_error_set(err, KL_EIO, "cannot write attribute %s of %s", name, dataset);
}

int kl_h5_write_root(kl_h5 *h, const char *name, size_t n, const double *data, kl_error *err) {
  size_t dims[1] = {n};
  return write_dataset(h->file, name, 1, dims, data, err);
}

int kl_h5_dataset_size(const char *path, const char *name, size_t *n, kl_error *err) {
  h5_quiet();
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return kl_error_set(err, KL_EIO, "cannot open HDF5 file %s", path);
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  int rc = KL_OK;
  if (ds < 0) {
    rc = kl_error_set(err, KL_EIO, "%s: no dataset '%s'", path, name);
  } else {
    hid_t space = H5Dget_space(ds);
    hssize_t np = H5Sget_simple_extent_npoints(space);
    *n = np < 0 ? 0 : (size_t)np;
    H5Sclose(space);
    H5Dclose(ds);
  }
  H5Fclose(f);
  return rc;
}

int kl_h5_read_file(const char *path, const char *name, double *data, size_t n, kl_error *err) {
  size_t have = 0;
  int rc = kl_h5_dataset_size(path, name, &have, err);
  if (rc) return rc;
  if (have != n)
    return kl_error_set(err, KL_EIO, "%s: dataset '%s' has %zu values, expected %zu", path, name,
                        have, n);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ds = f >= 0 ? H5Dopen2(f, name, H5P_DEFAULT) : -1;
  int ok = ds >= 0 && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  if (ds >= 0) H5Dclose(ds);
  if (f >= 0) H5Fclose(f);
  return ok ? KL_OK : kl_error_set(err, KL_EIO, "%s: cannot read dataset '%s'", path, name);
}

int kl_h5_write_root_string(kl_h5 *h, const char *name, const char *text, kl_error *err) {
  size_t len = strlen(text);
  hid_t type = H5Tcopy(H5T_C_S1);
  hid_t space = H5Screate(H5S_SCALAR);
  int ok = type >= 0 && H5Tset_size(type, len ? len : 1) >= 0 &&
           H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0;
  hid_t ds = ok ? H5Dcreate2(h->file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                : -1;
  ok = ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, len ? text : "") >= 0;
  if (ds >= 0 && H5Dclose(ds) < 0) /* where a full disk shows first */
    ok = 0;
  H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  return ok ? KL_OK : kl_error_set(err, KL_EIO, "cannot write dataset %s (disk full?)", name);
}

int kl_h5_read_file_string(const char *path, const char *name, char **text, kl_error *err) {
  h5_quiet();
  *text = NULL;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return kl_error_set(err, KL_EIO, "cannot open HDF5 file %s", path);
  hid_t ds = H5Lexists(f, name, H5P_DEFAULT) > 0 ? H5Dopen2(f, name, H5P_DEFAULT) : -1;
  hid_t type = ds >= 0 ? H5Dget_type(ds) : -1;
  size_t size = type >= 0 && H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type)
                    ? H5Tget_size(type)
                    : 0;
  char *buf = size && size < (1u << 30) ? calloc(size + 1, 1) : NULL;
  int ok = buf && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
  if (type >= 0) H5Tclose(type);
  if (ds >= 0) H5Dclose(ds);
  H5Fclose(f);
  if (!ok) {
    free(buf);
    return kl_error_set(err, KL_EIO, "%s: no readable text dataset '%s'", path, name);
  }
  *text = buf;
  return KL_OK;
}

int kl_h5_set_root_attr_string(kl_h5 *h, const char *name, const char *text, kl_error *err) {
  size_t len = strlen(text);
  hid_t type = H5Tcopy(H5T_C_S1);
  hid_t space = H5Screate(H5S_SCALAR);
  int ok = type >= 0 && H5Tset_size(type, len ? len : 1) >= 0 &&
           H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0;
  hid_t attr = ok ? H5Acreate2(h->file, name, type, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
  ok = attr >= 0 && H5Awrite(attr, type, len ? text : "") >= 0;
  if (attr >= 0 && H5Aclose(attr) < 0) ok = 0;
  H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  return ok ? KL_OK : kl_error_set(err, KL_EIO, "cannot write attribute %s (disk full?)", name);
}

int kl_h5_read_root_attr_string(const char *path, const char *name, char **text, kl_error *err) {
  h5_quiet();
  *text = NULL;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return kl_error_set(err, KL_EIO, "cannot open HDF5 file %s", path);
  if (H5Aexists(f, name) <= 0) {
    H5Fclose(f);
    return KL_OK;
  }
  hid_t attr = H5Aopen(f, name, H5P_DEFAULT);
  hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
  size_t size = type >= 0 && H5Tget_class(type) == H5T_STRING && !H5Tis_variable_str(type)
                    ? H5Tget_size(type)
                    : 0;
  char *buf = size && size < (1u << 20) ? calloc(size + 1, 1) : NULL;
  int ok = buf && H5Aread(attr, type, buf) >= 0;
  if (type >= 0) H5Tclose(type);
  if (attr >= 0) H5Aclose(attr);
  H5Fclose(f);
  if (!ok) {
    free(buf);
    return kl_error_set(err, KL_EIO, "%s: attribute '%s' is no readable text", path, name);
  }
  *text = buf;
  return KL_OK;
}

int kl_h5_has_object(const char *path, const char *name, bool *has, kl_error *err) {
  h5_quiet();
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return kl_error_set(err, KL_EIO, "cannot open HDF5 file %s", path);
  *has = H5Lexists(f, name, H5P_DEFAULT) > 0;
  H5Fclose(f);
  return KL_OK;
}
