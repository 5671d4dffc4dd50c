/* checkpoint.c - checkpoint.h5 (state, counters, output position, and what
 * they belong to) and the restart from it.  The published timeseries.csv is
 * brought up to date first, so a checkpoint never refers to rows that are not
 * on disk.
 *
 * A restart continues only the run the checkpoint was written by: the
 * checkpoint holds the SHA-256 of the run's resolved configuration (less the
 * keys a restart may change, restart_may_change below), of its plugins, of the
 * published time-series rows it continues, and a checksum over all of it and
 * the state; any difference is refused with what differs. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "run_internal.h"

/* 2: identity datasets (config, plugins, timeseries, checksum), snapshot count. */
#define CHECKPOINT_FORMAT 2.0
enum { META_FORMAT, META_T, META_STEP, META_DT, META_NEXT_OUT, META_ROWS, META_ACCEPTED,
       META_REJECTED, META_RHS, META_WALL, META_N, META_PART_DT, META_SNAPSHOTS,
       META_LAST_SNAPSHOT, META_COUNT };

/* Keys of the resolved configuration that do not change the results, so a
 * restart may change them with --set: the stop limits the docs tell users to
 * raise, how often checkpoints are written, where the run directory is, and
 * whether plots are drawn afterwards.  (docs/integrators.md lists them.) */
static const char *const restart_may_change[] = {"time.max_steps", "time.wall_limit",
                                                 "time.checkpoint_every", "output.dir",
                                                 "output.plots", NULL};

/* ------------------------------------------------------------- identity */

static bool may_change(const char *path) {
  for (const char *const *k = restart_may_change; *k; k++)
    if (strcmp(*k, path) == 0) return true;
  return false;
}

bool kl_restart_may_change(const char *key) { return may_change(key); }

const char *kl_restart_may_change_list(void) {
  return "time.max_steps, time.wall_limit, time.checkpoint_every, output.dir, output.plots";
}

static void put_scalar(FILE *out, const kl_node *n) {
  if (!n->plain) fputc('"', out);
  for (const char *s = n->scalar ? n->scalar : ""; *s; s++) {
    if (*s == '\n') fputs("\\n", out);
    else if (*s == '\\' || (*s == '"' && !n->plain)) fprintf(out, "\\%c", *s);
    else fputc(*s, out);
  }
  if (!n->plain) fputc('"', out);
}

/* One line "dotted.key = value" per leaf, in tree order: the same keys
 * --set takes, so the first differing line names what changed. */
static void flatten(const kl_node *n, char *path, size_t len, size_t size, FILE *out) {
  if (len && may_change(path)) return;
  if (n->type == KL_NODE_SCALAR || n->n == 0) {
    fprintf(out, "%s = ", path);
    if (n->type == KL_NODE_SCALAR) put_scalar(out, n);
    else fputs(n->type == KL_NODE_MAP ? "{}" : "[]", out);
    fputc('\n', out);
    return;
  }
  for (size_t i = 0; i < n->n; i++) {
    int w = n->type == KL_NODE_MAP
                ? snprintf(path + len, size - len, "%s%s", len ? "." : "", n->keys[i])
                : snprintf(path + len, size - len, "%s%zu", len ? "." : "", i);
    if (w > 0 && (size_t)w < size - len) flatten(n->items[i], path, len + (size_t)w, size, out);
    path[len] = '\0';
  }
}

int run_identify_config(run_ctx *r, kl_error *err) {
  kl_node *tree = kl_run_config_resolved(r->exp, r->cfg);
  if (!tree) return kl_error_set(err, KL_ENOMEM, "cannot build the resolved configuration");
  size_t len = 0;
  FILE *out = open_memstream(&r->config_text, &len);
  if (!out) {
    kl_node_free(tree);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  char path[1024] = "";
  flatten(tree, path, 0, sizeof path, out);
  kl_node_free(tree);
  if (fclose(out) != 0 || !r->config_text)
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  unsigned char d[32];
  kl_sha256(r->config_text, len, d);
  kl_sha256_to_hex(d, r->config_sha256);
  return KL_OK;
}

static void digest_instance(kl_sha256_ctx *c, const kl_instance *inst) {
  char line[256];
  int n = snprintf(line, sizeof line, "%s abi %u.%u\n", inst->info->name,
                   (unsigned)inst->info->abi_major, (unsigned)inst->info->abi_minor);
  kl_sha256_update(c, line, n > 0 ? (size_t)n : 0);
  for (size_t i = 0; i < inst->n_children; i++) digest_instance(c, inst->children[i]);
}

/* The plugins the run uses: (name, ABI version) of every instance, nested
 * ones included, and the provenance digest over their module files' SHA-256
 * (kl_provenance_digest): a rebuilt plugin with other code is another run. */
void run_plugins_digest(run_ctx *r, char hex[65]) {
  kl_sha256_ctx c;
  kl_sha256_init(&c);
  const kl_instance *top[] = {r->initial, r->model, r->integrator};
  for (size_t i = 0; i < 3; i++)
    if (top[i]) digest_instance(&c, top[i]);
  for (size_t d = 0; d < r->n_diags; d++) digest_instance(&c, r->diags[d]);
  if (r->cfg->plugins) kl_sha256_update(&c, r->cfg->plugins->digest, strlen(r->cfg->plugins->digest));
  unsigned char out[32];
  kl_sha256_final(&c, out);
  kl_sha256_to_hex(out, hex);
}

static const char *plugins_sha256(run_ctx *r) {
  if (!r->plugins_sha256[0]) run_plugins_digest(r, r->plugins_sha256);
  return r->plugins_sha256;
}

/* Doubles in little-endian byte order: the checksum does not depend on the
 * machine (HDF5 converts the values themselves). */
static void digest_doubles(kl_sha256_ctx *c, const double *x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t bits;
    unsigned char b[8];
    memcpy(&bits, &x[i], sizeof bits);
    for (int k = 0; k < 8; k++) b[k] = (unsigned char)(bits >> (8 * k));
    kl_sha256_update(c, b, 8);
  }
}

enum { ID_CONFIG, ID_CONFIG_SHA, ID_PLUGINS_SHA, ID_TIMESERIES_SHA, ID_COUNT };
static const char *const id_names[ID_COUNT] = {"config", "config_sha256", "plugins_sha256",
                                               "timeseries_sha256"};

/* Over everything the restart uses: a flipped byte anywhere in it is caught. */
static void checkpoint_checksum(const double *meta, const double *y, size_t n,
                                const char *const id[ID_COUNT], char hex[65]) {
  kl_sha256_ctx c;
  kl_sha256_init(&c);
  digest_doubles(&c, meta, META_COUNT);
  digest_doubles(&c, y, n);
  for (int i = 0; i < ID_COUNT; i++) kl_sha256_update(&c, id[i], strlen(id[i]) + 1);
  unsigned char d[32];
  kl_sha256_final(&c, d);
  kl_sha256_to_hex(d, hex);
}

/* Reads the first `lines` lines of a time series: *got of them complete, their
 * SHA-256 in hex.  With `copy`, writes them there; with n_cols > 0, checks that
 * the header and every row have n_cols fields and the rows parse as numbers. */
static int csv_digest(const char *path, size_t lines, FILE *copy, size_t n_cols, size_t *got,
                      char hex[65], kl_error *err) {
  FILE *in = fopen(path, "r");
  if (!in)
    return kl_error_set(err, KL_EIO, "cannot read %s: %s%s", path, strerror(errno),
                        errno == ENOENT ? " (the checkpoint continues its rows: the run cannot "
                                          "be continued without it)"
                                        : "");
  kl_sha256_ctx c;
  kl_sha256_init(&c);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int rc = KL_OK;
  *got = 0;
  while (!rc && *got < lines && (len = getline(&line, &cap, in)) > 0) {
    if (line[len - 1] != '\n') break; /* an unfinished last line is not a row */
    size_t fields = 1;
    bool numbers = true;
    if (n_cols) {
      char *p = line;
      for (;;) {
        char *end;
        (void)strtod(p, &end);
        if (*got > 0 && (end == p || (*end != ',' && *end != '\n'))) numbers = false;
        char *comma = strchr(p, ',');
        if (!comma) break;
        fields++;
        p = comma + 1;
      }
      int shown = len - 1 > 60 ? 60 : (int)len - 1;
      if (fields != n_cols || !numbers)
        rc = kl_error_set(err, KL_EIO,
                          "%s:%zu: expected %zu comma-separated %s, found \"%.*s\": the time "
                          "series the checkpoint continues was changed or damaged",
                          path, *got + 1, n_cols, *got ? "numbers" : "column names", shown, line);
    }
    kl_sha256_update(&c, line, (size_t)len);
    if (copy) fwrite(line, 1, (size_t)len, copy);
    ++*got;
  }
  free(line);
  fclose(in);
  unsigned char d[32];
  kl_sha256_final(&c, d);
  kl_sha256_to_hex(d, hex);
  return rc;
}

/* ------------------------------------------------------------------ write */

/* Copy the in-progress CSV to its final name (atomically), so the run
 * directory is consistent at every checkpoint and stop. */
static int publish_file(const char *tmp, const char *final, kl_error *err) {
  char t2[PATH_MAX];
  kl_pathf(t2, sizeof t2, "%s.publish", final);
  int rc = kl_copy_file(tmp, t2, err);
  if (!rc && rename(t2, final) != 0)
    rc = kl_error_set(err, KL_EIO, "cannot rename %s: %s", t2, strerror(errno));
  if (rc) unlink(t2);
  return rc;
}

int run_write_checkpoint(run_ctx *r, kl_error *err) {
  char path[PATH_MAX];
  int rc = kl_run_path(path, sizeof path, r->dir, "checkpoint.h5", err);
  if (rc) return rc;
  /* Outputs first: a checkpoint never refers to rows that are not published. */
  fflush(r->csv.fp);
  if (fsync(fileno(r->csv.fp)) != 0)
    return kl_error_set(err, KL_EIO, "writing timeseries.csv failed: %s", strerror(errno));
  char final[PATH_MAX];
  kl_run_path(final, sizeof final, r->dir, "timeseries.csv", err);
  if ((rc = publish_file(r->csv.tmp_path, final, err))) return rc;
  char csv_sha[65];
  size_t lines = 0;
  if ((rc = csv_digest(final, r->rows + 1, NULL, 0, &lines, csv_sha, err))) return rc;
  if (lines != r->rows + 1)
    return kl_error_set(err, KL_EIO, "%s: %zu lines published, expected %zu", final, lines,
                        r->rows + 1);
  double meta[META_COUNT] = {0};
  meta[META_FORMAT] = CHECKPOINT_FORMAT;
  meta[META_T] = r->t;
  meta[META_STEP] = (double)r->step;
  meta[META_DT] = r->dt;
  meta[META_NEXT_OUT] = (double)r->next_out;
  meta[META_ROWS] = (double)r->rows;
  meta[META_ACCEPTED] = (double)r->stats.accepted;
  meta[META_REJECTED] = (double)r->stats.rejected;
  meta[META_RHS] = (double)r->stats.rhs_evals;
  meta[META_WALL] = r->wall_before + (kl_wall_now() - r->wall_start);
  meta[META_N] = (double)r->n;
  meta[META_PART_DT] = r->part_dt;
  meta[META_SNAPSHOTS] = (double)r->snapshots_written;
  meta[META_LAST_SNAPSHOT] = (double)r->last_snapshot;
  const char *id[ID_COUNT] = {r->config_text, r->config_sha256, plugins_sha256(r), csv_sha};
  char sum[65];
  checkpoint_checksum(meta, r->y, r->n, id, sum);
  kl_h5 *h = NULL;
  if ((rc = kl_h5_create(path, &h, err))) return rc;
  rc = kl_h5_write_root(h, "meta", META_COUNT, meta, err);
  if (!rc) rc = kl_h5_write_root(h, "y", r->n, r->y, err);
  for (int i = 0; i < ID_COUNT && !rc; i++) rc = kl_h5_write_root_string(h, id_names[i], id[i], err);
  if (!rc) rc = kl_h5_write_root_string(h, "checksum_sha256", sum, err);
  if (rc) {
    kl_h5_abort(h);
    return rc;
  }
  return kl_h5_commit(h, err);
}

/* ---------------------------------------------------------------- restore */

static const char *line_value(const char *text, const char *key, size_t key_len) {
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, key, key_len) == 0 && strncmp(p + key_len, " = ", 3) == 0)
      return p + key_len + 3;
  return NULL;
}

/* "KEY OLD -> NEW" for the first line where the two flattened texts differ. */
static void first_difference(const char *was, const char *now, char *out, size_t size) {
  const char *a = was, *b = now;
  while (*a && *b) {
    size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
    if (la != lb || memcmp(a, b, la) != 0) break;
    a += la + (a[la] == '\n');
    b += lb + (b[lb] == '\n');
  }
  /* The key of the first differing line (from the checkpoint's side when it
   * has one there), and its value on each side. */
  const char *line = *a ? a : b;
  if (!*line) {
    snprintf(out, size, "(the same keys and values; the text differs)");
    return;
  }
  const char *eq = strstr(line, " = ");
  size_t key_len = eq ? (size_t)(eq - line) : strcspn(line, "\n");
  const char *va = line_value(was, line, key_len), *vb = line_value(now, line, key_len);
  int na = va ? (int)strcspn(va, "\n") : 0, nb = vb ? (int)strcspn(vb, "\n") : 0;
  snprintf(out, size, "%.*s %.*s%s -> %.*s%s", (int)key_len, line, na > 200 ? 200 : na,
           va ? va : "(not set)", na > 200 ? "..." : "", nb > 200 ? 200 : nb,
           vb ? vb : "(not set)", nb > 200 ? "..." : "");
}

/* The identity checks of a checkpoint whose checksum holds. */
static int check_identity(run_ctx *r, const char *path, char *id[ID_COUNT], kl_error *err) {
  if (strcmp(id[ID_CONFIG_SHA], r->config_sha256) != 0) {
    char what[600];
    first_difference(id[ID_CONFIG], r->config_text, what, sizeof what);
    return kl_error_set(err, KL_EINVAL,
                        "%s (with any --set) differs from the configuration %s was written with: %s "
                        "(configuration SHA-256 %.12s..., checkpoint %.12s...; a restart may "
                        "change only time.max_steps, time.wall_limit, time.checkpoint_every, "
                        "output.dir and output.plots)",
                        r->exp->source, path, what, r->config_sha256, id[ID_CONFIG_SHA]);
  }
  if (strcmp(id[ID_PLUGINS_SHA], plugins_sha256(r)) != 0)
    return kl_error_set(err, KL_EINVAL,
                        "the plugins of this run differ from those %s was written with "
                        "(plugins SHA-256 %.12s..., checkpoint %.12s...): a plugin module was "
                        "rebuilt or replaced (the SHA-256 of its file), or another ABI "
                        "version is loaded; summary.json's \"plugins\" lists the files the "
                        "run started with",
                        path, r->plugins_sha256, id[ID_PLUGINS_SHA]);
  return KL_OK;
}

/* Reads and checks checkpoint.h5 into r (state, counters) and the ids. */
static int read_checkpoint(run_ctx *r, const char *path, double meta[META_COUNT],
                           char *id[ID_COUNT], kl_error *err) {
  if (!kl_file_exists(path))
    return kl_error_set(err, KL_EIO,
                        "%s is missing: this run has no checkpoint to continue from (it "
                        "stopped before writing one, or the file was removed); start it again "
                        "with: kinlab run %s/config.resolved.yaml --out %s --force",
                        path, r->dir, r->dir);
  size_t have = 0;
  int rc = kl_h5_dataset_size(path, "meta", &have, err);
  if (rc) return kl_error_prefix(err, "not a readable checkpoint");
  double head[META_COUNT + 1] = {0};
  if (have >= 1 && have <= META_COUNT + 1 && (rc = kl_h5_read_file(path, "meta", head, have, err)))
    return rc;
  if (have != META_COUNT || head[META_FORMAT] != CHECKPOINT_FORMAT)
    return kl_error_set(err, KL_EIO,
                        "%s is a checkpoint of format %g (%zu counters); this kinlab reads "
                        "format %g only, so it cannot continue the run: start it again with: "
                        "kinlab run %s/config.resolved.yaml --out %s --force",
                        path, have >= 1 ? head[META_FORMAT] : 0.0, have, CHECKPOINT_FORMAT,
                        r->dir, r->dir);
  memcpy(meta, head, META_COUNT * sizeof *meta);
  char *sum = NULL;
  for (int i = 0; i < ID_COUNT && !rc; i++) rc = kl_h5_read_file_string(path, id_names[i], &id[i], err);
  if (!rc) rc = kl_h5_read_file_string(path, "checksum_sha256", &sum, err);
  size_t n_y = 0;
  if (!rc) rc = kl_h5_dataset_size(path, "y", &n_y, err);
  if (rc) {
    free(sum);
    return kl_error_prefix(err, "damaged checkpoint");
  }
  if (n_y != r->n || meta[META_N] != (double)r->n) {
    free(sum);
    /* Another run's checkpoint, most likely: say what differs if it can. */
    if ((rc = check_identity(r, path, id, err))) return rc;
    return kl_error_set(err, KL_EIO,
                        "%s holds a state of %zu values, this run's model has %zu: the "
                        "checkpoint is damaged or belongs to another run",
                        path, n_y, r->n);
  }
  if ((rc = kl_h5_read_file(path, "y", r->y, r->n, err))) {
    free(sum);
    return rc;
  }
  char expect[65];
  checkpoint_checksum(meta, r->y, r->n, (const char *const *)id, expect);
  rc = strcmp(sum, expect) != 0;
  free(sum);
  if (rc)
    return kl_error_set(err, KL_EIO,
                        "%s is damaged: its checksum does not match its contents (a changed "
                        "byte in the state, counters or identity); it cannot be continued",
                        path);
  return check_identity(r, path, id, err);
}

int run_restore_checkpoint(run_ctx *r, kl_error *err) {
  char path[PATH_MAX], csv_path[PATH_MAX], snap_path[PATH_MAX];
  kl_run_path(path, sizeof path, r->dir, "checkpoint.h5", err);
  kl_run_path(csv_path, sizeof csv_path, r->dir, "timeseries.csv", err);
  kl_run_path(snap_path, sizeof snap_path, r->dir, "snapshots.h5", err);
  double meta[META_COUNT];
  char *id[ID_COUNT] = {NULL};
  int rc = read_checkpoint(r, path, meta, id, err);
  char csv_sha[65] = "";
  if (!rc) snprintf(csv_sha, sizeof csv_sha, "%s", id[ID_TIMESERIES_SHA]);
  for (int i = 0; i < ID_COUNT; i++) free(id[i]);
  if (rc) return rc;
  r->t = meta[META_T];
  r->step = (uint64_t)meta[META_STEP];
  r->dt = meta[META_DT];
  r->next_out = (size_t)meta[META_NEXT_OUT];
  size_t rows = (size_t)meta[META_ROWS];
  r->stats.accepted = (uint64_t)meta[META_ACCEPTED];
  r->stats.rejected = (uint64_t)meta[META_REJECTED];
  r->stats.rhs_evals = (uint64_t)meta[META_RHS];
  r->wall_before = meta[META_WALL];
  r->part_dt = meta[META_PART_DT];
  r->snapshots_written = (size_t)meta[META_SNAPSHOTS];
  r->last_snapshot = (size_t)meta[META_LAST_SNAPSHOT];
  /* The header and the first `rows` rows of the published CSV, as they were. */
  size_t got = 0;
  char have_sha[65];
  if ((rc = csv_digest(csv_path, rows + 1, r->csv.fp, r->n_cols, &got, have_sha, err))) return rc;
  if (got != rows + 1)
    return kl_error_set(err, KL_EIO, "%s has %zu rows, the checkpoint continues %zu", csv_path,
                        got ? got - 1 : 0, rows);
  if (strcmp(have_sha, csv_sha) != 0)
    return kl_error_set(err, KL_EIO,
                        "%s: its first %zu rows differ from those the checkpoint was written "
                        "after (SHA-256 %.12s..., checkpoint %.12s...): the time series was "
                        "changed, or belongs to another run",
                        csv_path, rows, have_sha, csv_sha);
  r->rows = rows;
  /* The snapshots this run wrote, not another run's (copied with the same
   * number of groups, they were continued: a file of two runs, "completed").
   * Files written before the attribute existed carry none. */
  if (r->snapshots && kl_file_exists(snap_path)) {
    char *their = NULL;
    if ((rc = kl_h5_read_root_attr_string(snap_path, KL_SNAP_CONFIG_SHA256, &their, err)))
      return rc;
    bool other = their && strcmp(their, r->config_sha256) != 0;
    if (other)
      rc = kl_error_set(err, KL_EIO,
                        "%s belongs to another run: its configuration SHA-256 %.12s... is not "
                        "this run's %.12s... (the checkpoint's); it cannot be continued",
                        snap_path, their, r->config_sha256);
    free(their);
    if (rc) return rc;
  }
  if (r->snapshots && r->snapshots_written > 0) {
    char group[64];
    bool has = false;
    snprintf(group, sizeof group, "output_%06zu", r->last_snapshot);
    if (!kl_file_exists(snap_path))
      return kl_error_set(err, KL_EIO,
                          "%s is missing: the checkpoint continues %zu snapshot group%s "
                          "written to it, which would be lost",
                          snap_path, r->snapshots_written, r->snapshots_written == 1 ? "" : "s");
    if ((rc = kl_h5_has_object(snap_path, group, &has, err))) return rc;
    if (!has)
      return kl_error_set(err, KL_EIO,
                          "%s has no group %s, which the checkpoint says was written: the "
                          "snapshots belong to another run or were changed",
                          snap_path, group);
  }
  kl_integrator_reset(r->integrator);
  return KL_OK;
}
