/* plugin.c - the plugin registry and the dlopen loader.
 *
 * The registry is an object (no global list): name -> descriptor, with the
 * file each came from.  Modules are loaded with RTLD_NOW | RTLD_LOCAL so that
 * a missing symbol fails at load time, naming the file (collectd does the
 * same), and plugins cannot clash with each other's symbols.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#ifndef PLUGINDIR
#define PLUGINDIR "/usr/local/lib/kinlab/plugins"
#endif

/* The first published kl_plugin_info ends after `destroy`: a plugin built
 * against ABI 1.0 has at least this many bytes. */
#define KL_PLUGIN_INFO_MIN_SIZE (offsetof(kl_plugin_info, destroy) + sizeof(void (*)(void *)))

typedef struct entry {
  const kl_plugin_info *info;
  char *origin;   /* the path as found (messages), or "builtin..." */
  char *file;     /* absolute path, or a copy of origin for compiled-in plugins */
  char sha256[KL_SHA256_HEX_SIZE]; /* of the module file at load; "" compiled-in */
  int path_rank;  /* search-path element it came from; -1: named explicitly */
} entry;

/* What went wrong without failing the load, for warnings and for refusing a
 * name a broken module may have provided. */
typedef struct problem {
  char *message;
  char **names;   /* plugin names the broken module may provide */
  size_t n_names;
  bool missing_dir;
} problem;

struct kl_registry {
  entry *entries;  /* one per name: the one `type: NAME` resolves to */
  size_t n, cap;
  entry *others;   /* further files providing a name of `entries` */
  size_t n_others, cap_others;
  problem *problems;
  size_t n_problems, cap_problems;
  void **handles;  /* dlopen handles, closed at free */
  size_t n_handles, cap_handles;
  int next_rank;          /* explicit directories (plugin_path), in order */
  int next_default_rank;  /* $KINLAB_PLUGIN_PATH and PLUGINDIR come after  */
};
#define DEFAULT_RANK_BASE (1 << 20)
#define MAX_PLUGINS_PER_MODULE 1024

static const char *const kind_names[KL_KIND_COUNT + 1] = {
    NULL, "mollifier", "kernel", "model", "integrator", "initial", "diagnostic",
    "comm_weight"};

const char *kl_kind_name(kl_kind kind) {
  return (kind >= 1 && kind <= KL_KIND_COUNT) ? kind_names[kind] : NULL;
}

int kl_kind_from_name(const char *name) {
  for (int k = 1; name && k <= KL_KIND_COUNT; k++)
    if (strcmp(kind_names[k], name) == 0) return k;
  return 0;
}

const char *kl_plugindir(void) { return PLUGINDIR; }

kl_registry *kl_registry_new(void) { return calloc(1, sizeof(kl_registry)); }

static void entry_free(entry *e) {
  free(e->origin);
  free(e->file);
}

static void problem_free(problem *p) {
  free(p->message);
  for (size_t i = 0; i < p->n_names; i++) free(p->names[i]);
  free(p->names);
}

void kl_registry_free(kl_registry *reg) {
  if (!reg) return;
  for (size_t i = 0; i < reg->n; i++) entry_free(&reg->entries[i]);
  free(reg->entries);
  for (size_t i = 0; i < reg->n_others; i++) entry_free(&reg->others[i]);
  free(reg->others);
  for (size_t i = 0; i < reg->n_problems; i++) problem_free(&reg->problems[i]);
  free(reg->problems);
  /* Handles are closed last, in reverse order: descriptors point into them. */
  for (size_t i = reg->n_handles; i-- > 0;) dlclose(reg->handles[i]);
  free(reg->handles);
  free(reg);
}

/* Room for `more` elements in an array of `size`-byte elements. */
static bool reserve(void **array, size_t *cap, size_t n, size_t more, size_t size) {
  if (n + more <= *cap) return true;
  size_t c = *cap ? *cap : 16;
  while (c < n + more) c *= 2;
  void *p = realloc(*array, c * size);
  if (!p) return false;
  *array = p;
  *cap = c;
  return true;
}

static int add_problem(kl_registry *reg, bool missing_dir, char **names, size_t n_names,
                       const char *message, kl_error *err) {
  char *m = strdup(message);
  if (!m || !reserve((void **)&reg->problems, &reg->cap_problems, reg->n_problems, 1,
                     sizeof *reg->problems)) {
    free(m);
    for (size_t i = 0; i < n_names; i++) free(names[i]);
    free(names);
    return kl_error_set(err, KL_ENOMEM, "out of memory loading plugins");
  }
  reg->problems[reg->n_problems++] = (problem){m, names, n_names, missing_dir};
  return KL_OK;
}

int kl_registry_note_missing_dir(kl_registry *reg, kl_error *err, const char *fmt, ...) {
  char msg[KL_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return add_problem(reg, true, NULL, 0, msg, err);
}

static bool valid_name(const char *s) {
  if (!s || !*s || strlen(s) > 64) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
  return true;
}

static long find_index(const kl_registry *reg, const char *name) {
  for (size_t i = 0; i < reg->n; i++)
    if (strcmp(reg->entries[i].info->name, name) == 0) return (long)i;
  return -1;
}

/* Check a descriptor before trusting any field past struct_size. */
static int check_info(const kl_plugin_info *info, const char *origin, uint32_t index,
                      kl_error *err) {
  if (info->abi_major != KL_ABI_MAJOR)
    return kl_error_set(err, KL_EPLUGIN,
                        "%s: plugin #%u was built for kinlab plugin ABI %u.%u, this kinlab "
                        "has ABI %u.%u: rebuild the plugin against the installed headers "
                        "(pkg-config --cflags kinlab)",
                        origin, index, info->abi_major, info->abi_minor, KL_ABI_MAJOR,
                        KL_ABI_MINOR);
  if (info->struct_size < KL_PLUGIN_INFO_MIN_SIZE)
    return kl_error_set(err, KL_EPLUGIN,
                        "%s: plugin #%u descriptor is too small (%u bytes, expected at "
                        "least %zu): not built against kinlab/plugin.h?",
                        origin, index, info->struct_size, (size_t)KL_PLUGIN_INFO_MIN_SIZE);
  if (!kl_kind_name(info->kind))
    return kl_error_set(err, KL_EPLUGIN, "%s: plugin #%u has unknown kind %d", origin, index,
                        (int)info->kind);
  if (!valid_name(info->name))
    return kl_error_set(err, KL_EPLUGIN,
                        "%s: plugin #%u has an invalid name (expected 1-64 characters "
                        "[a-z0-9_])",
                        origin, index);
  if (!info->ops)
    return kl_error_set(err, KL_EPLUGIN, "%s: plugin '%s' has no operations table", origin,
                        info->name);
  /* A resolution flag says how a number converges: one of the two, on a number. */
  for (const kl_param_spec *s = info->params; s && s->name; s++) {
    unsigned res = s->flags & (KL_PARAM_STEP_SIZE | KL_PARAM_COUNT);
    bool numeric = s->type == KL_PARAM_REAL || s->type == KL_PARAM_INT ||
                   s->type == KL_PARAM_REAL_LIST;
    if (res == (KL_PARAM_STEP_SIZE | KL_PARAM_COUNT) || (res && !numeric))
      return kl_error_set(err, KL_EPLUGIN,
                          "%s: plugin '%s': parameter '%s': expected at most one of "
                          "KL_PARAM_STEP_SIZE and KL_PARAM_COUNT, on a REAL, INT or REAL_LIST "
                          "parameter",
                          origin, info->name, s->name);
  }
  uint32_t ops_size = *(const uint32_t *)info->ops;
  if (ops_size < sizeof(uint32_t) + sizeof(void *))
    return kl_error_set(err, KL_EPLUGIN,
                        "%s: plugin '%s': operations table too small (%u bytes)", origin,
                        info->name, ops_size);
  return KL_OK;
}

/* Register one descriptor whose checks passed.  Capacity for one more entry
 * and one more "other" must be reserved: this cannot fail. */
static void add_checked(kl_registry *reg, const kl_plugin_info *info, const entry *src) {
  entry e = *src;
  e.info = info;
  long existing = find_index(reg, info->name);
  if (existing < 0) {
    reg->entries[reg->n++] = e;
    return;
  }
  entry *cur = &reg->entries[existing];
  /* A named file wins; else the earlier search-path element.  The other one is
   * kept: two different files for one name make the name ambiguous. */
  bool new_first = e.path_rank < 0 || (cur->path_rank >= 0 && e.path_rank < cur->path_rank);
  if (new_first) {
    reg->others[reg->n_others++] = *cur;
    *cur = e;
  } else {
    reg->others[reg->n_others++] = e;
  }
}

/* Copies of origin/file for one more entry, and room for it. */
static int prepare_entry(kl_registry *reg, const char *origin, const char *file,
                         const char *sha256, int rank, entry *out, kl_error *err) {
  out->info = NULL;
  out->origin = strdup(origin);
  out->file = strdup(file);
  snprintf(out->sha256, sizeof out->sha256, "%s", sha256);
  out->path_rank = rank;
  if (!out->origin || !out->file ||
      !reserve((void **)&reg->entries, &reg->cap, reg->n, 1, sizeof *reg->entries) ||
      !reserve((void **)&reg->others, &reg->cap_others, reg->n_others, 1, sizeof *reg->others)) {
    entry_free(out);
    return kl_error_set(err, KL_ENOMEM, "out of memory registering plugins");
  }
  return KL_OK;
}

/* Two files both named explicitly cannot both win. */
static int check_pin_conflict(const kl_registry *reg, const char *name, const char *origin,
                              int rank, kl_error *err) {
  long existing = find_index(reg, name);
  if (rank >= 0 || existing < 0 || reg->entries[existing].path_rank >= 0) return KL_OK;
  return kl_error_set(err, KL_EPLUGIN,
                      "duplicate plugin name '%s': defined in %s and in %s (both named "
                      "explicitly; rename one, or name only one)",
                      name, reg->entries[existing].origin, origin);
}

int kl_registry_add(kl_registry *reg, const kl_plugin_info *info, const char *origin,
                    kl_error *err) {
  if (!reg || !info) return kl_error_set(err, KL_EINVAL, "kl_registry_add: NULL argument");
  const char *o = origin ? origin : "builtin";
  int rc = check_info(info, o, 0, err);
  if (!rc) rc = check_pin_conflict(reg, info->name, o, -1, err);
  entry e;
  if (!rc) rc = prepare_entry(reg, o, o, "", -1, &e, err);
  if (!rc) add_checked(reg, info, &e);
  return rc;
}

static int keep_handle(kl_registry *reg, void *h, kl_error *err) {
  if (reg->n_handles == reg->cap_handles) {
    size_t cap = reg->cap_handles ? 2 * reg->cap_handles : 16;
    void **p = realloc(reg->handles, cap * sizeof *p);
    if (!p) return kl_error_set(err, KL_ENOMEM, "out of memory loading plugins");
    reg->handles = p;
    reg->cap_handles = cap;
  }
  reg->handles[reg->n_handles++] = h;
  return KL_OK;
}

/* dlopen maps a shared object's segments; one cut short (a truncated copy, an
 * interrupted download) makes the process die with SIGBUS on first touch.
 * Check that the ELF header and every PT_LOAD segment lie inside the file. */
/* A module linked against a sanitizer runtime that this process has not
 * loaded (a plugin built with -fsanitize=address for a plain kinlab) makes
 * that runtime end the process inside dlopen ("ASan runtime does not come
 * first", exit 1), so one such file in a plugin directory stopped every
 * command.  Reads the DT_NEEDED names of the 64-bit ELF `f`; `dyn` is its
 * PT_DYNAMIC header, `loads` its PT_LOAD headers (to map DT_STRTAB). */
static int check_elf_runtimes(FILE *f, const char *path, off_t size, const Elf64_Phdr *dyn,
                              const Elf64_Phdr *loads, unsigned n_loads, kl_error *err) {
  static const char *const runtimes[] = {"libasan.so", "libtsan.so", "libhwasan.so"};
  if (!dyn->p_filesz || (off_t)(dyn->p_offset + dyn->p_filesz) > size) return KL_OK;
  size_t n = dyn->p_filesz / sizeof(Elf64_Dyn);
  Elf64_Dyn *d = n ? calloc(n, sizeof *d) : NULL;
  if (!d) return KL_OK;
  uint64_t strtab = 0, strsz = 0;
  int rc = KL_OK;
  if (fseeko(f, (off_t)dyn->p_offset, SEEK_SET) == 0 && fread(d, sizeof *d, n, f) == n) {
    for (size_t i = 0; i < n && d[i].d_tag != DT_NULL; i++) {
      if (d[i].d_tag == DT_STRTAB) strtab = d[i].d_un.d_ptr;
      if (d[i].d_tag == DT_STRSZ) strsz = d[i].d_un.d_val;
    }
    uint64_t str_off = 0;
    bool mapped = false;
    for (unsigned k = 0; k < n_loads && !mapped; k++)
      if (strtab >= loads[k].p_vaddr && strtab < loads[k].p_vaddr + loads[k].p_filesz) {
        str_off = strtab - loads[k].p_vaddr + loads[k].p_offset;
        mapped = true;
      }
    for (size_t i = 0; mapped && i < n && d[i].d_tag != DT_NULL && !rc; i++) {
      char name[64] = "";
      if (d[i].d_tag != DT_NEEDED || d[i].d_un.d_val >= strsz ||
          fseeko(f, (off_t)(str_off + d[i].d_un.d_val), SEEK_SET) != 0 ||
          !fgets(name, sizeof name, f))
        continue;
      for (size_t r = 0; r < sizeof runtimes / sizeof *runtimes && !rc; r++)
        if (!strncmp(name, runtimes[r], strlen(runtimes[r])) &&
            !dlopen(name, RTLD_LAZY | RTLD_NOLOAD))
          rc = kl_error_set(err, KL_EPLUGIN,
                            "cannot load plugin %s: it was built with a sanitizer (it needs %s), "
                            "which this kinlab does not run with: loading it would end the "
                            "process; rebuild it without -fsanitize, or use a kinlab built "
                            "with it",
                            path, name);
    }
  }
  free(d);
  return rc;
}

static int check_elf_extents(const char *path, off_t size, kl_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return kl_error_set(err, KL_EPLUGIN, "plugin %s: %s", path, strerror(errno));
  unsigned char ident[EI_NIDENT];
  int rc = KL_OK;
  if (fread(ident, 1, EI_NIDENT, f) != EI_NIDENT || memcmp(ident, ELFMAG, SELFMAG) != 0) {
    rc = kl_error_set(err, KL_EPLUGIN,
                      "cannot load plugin %s: not an ELF shared object (is it a kinlab "
                      "plugin built for this machine?)",
                      path);
  } else if (ident[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    rewind(f);
    if (fread(&eh, sizeof eh, 1, f) != 1 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
        (off_t)(eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)) > size) {
      rc = kl_error_set(err, KL_EPLUGIN, "cannot load plugin %s: truncated or corrupt ELF header", path);
    } else {
      Elf64_Phdr dyn = {0}, loads[16];
      unsigned n_loads = 0;
      for (unsigned i = 0; i < eh.e_phnum && !rc; i++) {
        Elf64_Phdr ph;
        if (fseeko(f, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph), SEEK_SET) != 0 ||
            fread(&ph, sizeof ph, 1, f) != 1)
          rc = kl_error_set(err, KL_EPLUGIN, "cannot load plugin %s: unreadable program header", path);
        else if (ph.p_type == PT_LOAD && (off_t)(ph.p_offset + ph.p_filesz) > size)
          rc = kl_error_set(err, KL_EPLUGIN,
                            "cannot load plugin %s: the file is truncated (%lld bytes, a segment "
                            "needs %llu): rebuild or copy it again",
                            path, (long long)size,
                            (unsigned long long)(ph.p_offset + ph.p_filesz));
        else if (ph.p_type == PT_LOAD && n_loads < sizeof loads / sizeof *loads)
          loads[n_loads++] = ph;
        else if (ph.p_type == PT_DYNAMIC)
          dyn = ph;
      }
      if (!rc) rc = check_elf_runtimes(f, path, size, &dyn, loads, n_loads, err);
    }
  }
  fclose(f);
  return rc;
}

/* Load one module.  On failure the registry is as it was; `names`, when not
 * NULL, receives copies of the plugin names the module declared before the
 * failure (a broken module may still be the one a name was meant to come from). */
static int load_file_ranked(kl_registry *reg, const char *path, int rank, char ***names,
                            size_t *n_names, kl_error *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return kl_error_set(err, KL_EPLUGIN, "plugin %s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return kl_error_set(err, KL_EPLUGIN, "plugin %s: not a regular file", path);
  int erc = check_elf_extents(path, st.st_size, err);
  if (erc) return erc;
  /* The provenance of what runs: the absolute path and the bytes, read just
   * before dlopen maps the same file. */
  char file[PATH_MAX], sha256[KL_SHA256_HEX_SIZE];
  if (!realpath(path, file))
    return kl_error_set(err, KL_EPLUGIN, "plugin %s: %s", path, strerror(errno));
  kl_error read_err = {0, ""};
  if (kl_sha256_file(file, sha256, &read_err))
    return kl_error_set(err, KL_EPLUGIN, "cannot load plugin %s: %s", path, read_err.message);
  /* dlopen searches LD_LIBRARY_PATH for names without '/': make it a path. */
  char buf[PATH_MAX];
  if (!strchr(path, '/')) {
    snprintf(buf, sizeof buf, "./%s", path);
    path = buf;
  }
  dlerror();
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *why = dlerror();
    return kl_error_set(err, KL_EPLUGIN,
                        "cannot load plugin %s: %s (is it a shared object built for this "
                        "machine? `ldd %s` lists missing libraries)",
                        path, why ? why : "unknown dlopen error", path);
  }
  dlerror();
  kl_plugin_entry_fn entry_fn;
  /* POSIX: converting the void* from dlsym to a function pointer is allowed. */
  *(void **)(&entry_fn) = dlsym(h, KL_PLUGIN_ENTRY_SYMBOL);
  if (!entry_fn) {
    dlclose(h);
    return kl_error_set(err, KL_EPLUGIN,
                        "plugin %s: missing entry symbol '%s' (a kinlab plugin exports "
                        "%s, see docs/writing-plugins.md)",
                        path, KL_PLUGIN_ENTRY_SYMBOL, KL_PLUGIN_ENTRY_SYMBOL);
  }
  int rc = keep_handle(reg, h, err);
  if (rc) {
    dlclose(h);
    return rc;
  }
  /* Check every descriptor first, then register them all: a module is
   * registered completely or not at all. */
  const kl_plugin_info *infos[MAX_PLUGINS_PER_MODULE];
  uint32_t count = 0;
  for (;; count++) {
    const kl_plugin_info *info = entry_fn(KL_ABI_MAJOR, count);
    if (!info) break;
    if (count == MAX_PLUGINS_PER_MODULE) {
      rc = kl_error_set(err, KL_EPLUGIN, "plugin %s: more than %d plugins in one module", path,
                        MAX_PLUGINS_PER_MODULE);
      break;
    }
    if ((rc = check_info(info, path, count, err)) ||
        (rc = kl_plugin_check_rules(info, path, err)))
      break;
    for (uint32_t j = 0; j < count && !rc; j++)
      if (!strcmp(infos[j]->name, info->name))
        rc = kl_error_set(err, KL_EPLUGIN, "plugin %s: the name '%s' is defined twice", path,
                          info->name);
    if (!rc) rc = check_pin_conflict(reg, info->name, path, rank, err);
    if (rc) break;
    infos[count] = info;
  }
  if (!rc && count == 0)
    rc = kl_error_set(err, KL_EPLUGIN, "plugin %s: %s() returned no plugin for this ABI (%u)",
                      path, KL_PLUGIN_ENTRY_SYMBOL, KL_ABI_MAJOR);
  if (rc && names && count) {
    *names = calloc(count, sizeof **names);
    for (uint32_t j = 0; *names && j < count; j++)
      if (((*names)[*n_names] = strdup(infos[j]->name))) (*n_names)++;
  }
  if (!rc && (!reserve((void **)&reg->entries, &reg->cap, reg->n, count, sizeof *reg->entries) ||
              !reserve((void **)&reg->others, &reg->cap_others, reg->n_others, count,
                       sizeof *reg->others)))
    rc = kl_error_set(err, KL_ENOMEM, "out of memory registering plugins");
  for (uint32_t j = 0; !rc && j < count; j++) {
    entry e;
    if (!(rc = prepare_entry(reg, path, file, sha256, rank, &e, err)))
      add_checked(reg, infos[j], &e);
  }
  return rc;
}

int kl_registry_load_file(kl_registry *reg, const char *path, kl_error *err) {
  return load_file_ranked(reg, path, -1, NULL, NULL, err);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* `source` says where dir came from in the missing-directory warning; NULL:
 * no warning (the compiled-in default directory need not exist). */
static int load_dir_ranked(kl_registry *reg, const char *dir, bool must_exist, int rank,
                           const char *source, kl_error *err);

int kl_registry_load_dir(kl_registry *reg, const char *dir, bool must_exist, kl_error *err) {
  return load_dir_ranked(reg, dir, must_exist, reg->next_rank++, "a search-path directory", err);
}

/* A module of a search directory that does not load is skipped, not fatal:
 * one stale file must not stop every command.  The names it may provide (its
 * file stem and any it declared) are remembered, and using one of them is
 * refused (kl_registry_check_name), since that file may have been meant. */
static int skip_broken_module(kl_registry *reg, const char *file_name, char **names,
                              size_t n_names, kl_error *err) {
  char *stem = strdup(file_name);
  char **all = realloc(names, (n_names + 1) * sizeof *all);
  if (!stem || !all) {
    free(stem);
    char **owned = all ? all : names; /* a successful realloc freed names */
    for (size_t i = 0; i < n_names; i++) free(owned[i]);
    free(owned);
    return kl_error_set(err, KL_ENOMEM, "out of memory loading plugins");
  }
  stem[strlen(stem) - 3] = '\0'; /* ".so" */
  all[n_names++] = stem;
  char msg[KL_ERROR_MESSAGE_MAX + 64];
  snprintf(msg, sizeof msg, "skipped a plugin module that cannot be loaded: %s", err->message);
  kl_error_clear(err);
  return add_problem(reg, false, all, n_names, msg, err);
}

static int load_dir_ranked(kl_registry *reg, const char *dir, bool must_exist, int rank,
                           const char *source, kl_error *err) {
  DIR *d = opendir(dir);
  if (!d) {
    /* A file there (/dev/null, a module.so) was reported as "does not exist". */
    if (!must_exist && (errno == ENOENT || errno == ENOTDIR))
      return source ? kl_registry_note_missing_dir(
                          reg, err, "plugin directory %s %s (%s); ignored", dir,
                          errno == ENOTDIR ? "is not a directory" : "does not exist", source)
                    : KL_OK;
    return kl_error_set(err, KL_EPLUGIN, "plugin directory %s: %s", dir, strerror(errno));
  }
  /* Sorted, so the load order (and any error) does not depend on readdir. */
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = KL_OK;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0) continue;
    if (!reserve((void **)&names, &cap, n, 1, sizeof *names) ||
        !(names[n] = strdup(de->d_name))) {
      rc = kl_error_set(err, KL_ENOMEM, "out of memory listing %s", dir);
      break;
    }
    n++;
  }
  closedir(d);
  if (!rc) qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && !rc; i++) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    char **declared = NULL;
    size_t n_declared = 0;
    rc = load_file_ranked(reg, path, rank, &declared, &n_declared, err);
    if (rc == KL_EPLUGIN) rc = skip_broken_module(reg, names[i], declared, n_declared, err);
    else if (declared) {
      for (size_t j = 0; j < n_declared; j++) free(declared[j]);
      free(declared);
    }
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

int kl_registry_load_default_path(kl_registry *reg, kl_error *err) {
  const char *env = getenv("KINLAB_PLUGIN_PATH");
  if (env && *env) {
    char *copy = strdup(env), *save = NULL;
    if (!copy) return kl_error_set(err, KL_ENOMEM, "out of memory");
    int rc = KL_OK;
    for (char *tok = strtok_r(copy, ": ", &save); tok && !rc; tok = strtok_r(NULL, ": ", &save))
      rc = load_dir_ranked(reg, tok, false, DEFAULT_RANK_BASE + reg->next_default_rank++,
                           "in $KINLAB_PLUGIN_PATH", err);
    free(copy);
    if (rc) return kl_error_prefix(err, "while loading $KINLAB_PLUGIN_PATH");
  }
  /* $KINLAB_PLUGINDIR replaces the installed directory; set but empty, it
   * disables it (make check uses only the build tree's plugins).  The installed
   * directory may be absent (a build tree used in place): no warning then. */
  const char *installed = getenv("KINLAB_PLUGINDIR");
  const char *source = installed ? "$KINLAB_PLUGINDIR" : NULL;
  if (!installed) installed = PLUGINDIR;
  return *installed ? load_dir_ranked(reg, installed, false,
                                      DEFAULT_RANK_BASE + reg->next_default_rank++, source, err)
                    : KL_OK;
}

const kl_plugin_info *kl_registry_find(const kl_registry *reg, const char *name) {
  long i = (reg && name) ? find_index(reg, name) : -1;
  return i >= 0 ? reg->entries[i].info : NULL;
}

/* The files other than the chosen one that provide `name` with other bytes,
 * when the choice was not pinned: the name is ambiguous. */
static const entry *ambiguous_other(const kl_registry *reg, const entry *chosen) {
  if (chosen->path_rank < 0) return NULL;
  for (size_t i = 0; i < reg->n_others; i++) {
    const entry *o = &reg->others[i];
    if (!strcmp(o->info->name, chosen->info->name) && strcmp(o->sha256, chosen->sha256) != 0)
      return o;
  }
  return NULL;
}

int kl_registry_check_name(const kl_registry *reg, const char *name, kl_error *err) {
  long k = (reg && name) ? find_index(reg, name) : -1;
  if (k >= 0 && reg->entries[k].path_rank < 0) return KL_OK; /* pinned: that file it is */
  for (size_t i = 0; reg && name && i < reg->n_problems; i++)
    for (size_t j = 0; j < reg->problems[i].n_names; j++)
      if (!strcmp(reg->problems[i].names[j], name))
        return kl_error_set(err, KL_EPLUGIN,
                            "plugin '%s' may be provided by a module that cannot be loaded, so "
                            "it is not used from elsewhere (fix or remove that file): %s",
                            name, reg->problems[i].message);
  const entry *other = k >= 0 ? ambiguous_other(reg, &reg->entries[k]) : NULL;
  if (other)
    return kl_error_set(err, KL_EPLUGIN,
                        "plugin '%s' is provided by two different files, %s and %s; name the "
                        "one to use in plugin_path (plugin_path: [%s]) or remove the other "
                        "from the plugin search path",
                        name, reg->entries[k].origin, other->origin, reg->entries[k].file);
  return KL_OK;
}

size_t kl_registry_warning_count(const kl_registry *reg) { return reg ? reg->n_problems : 0; }

const char *kl_registry_warning(const kl_registry *reg, size_t i) {
  return reg && i < reg->n_problems ? reg->problems[i].message : NULL;
}

/* Sentences about missing plugin directories, for "unknown plugin" errors. */
size_t kl_registry_missing_dirs(const kl_registry *reg, char *buf, size_t size) {
  size_t used = 0, count = 0;
  if (size) buf[0] = '\0';
  for (size_t i = 0; reg && i < reg->n_problems; i++)
    if (reg->problems[i].missing_dir) {
      if (used < size)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", count ? "; " : "",
                                 reg->problems[i].message);
      count++;
    }
  return count;
}

bool kl_registry_source(const kl_registry *reg, const kl_plugin_info *info,
                        kl_plugin_source *out) {
  for (size_t i = 0; reg && info && i < reg->n; i++) {
    const entry *e = &reg->entries[i];
    if (e->info != info) continue;
    size_t others = 0;
    for (size_t j = 0; j < reg->n_others; j++)
      if (!strcmp(reg->others[j].info->name, info->name)) others++;
    *out = (kl_plugin_source){info->name, e->file,     e->sha256, info->abi_major,
                              info->abi_minor, others};
    return true;
  }
  return false;
}

const char *kl_registry_other_file(const kl_registry *reg, const char *name, size_t i) {
  for (size_t j = 0; reg && name && j < reg->n_others; j++)
    if (!strcmp(reg->others[j].info->name, name) && i-- == 0) return reg->others[j].file;
  return NULL;
}

size_t kl_registry_count(const kl_registry *reg) { return reg ? reg->n : 0; }
const kl_plugin_info *kl_registry_at(const kl_registry *reg, size_t i) {
  return (reg && i < reg->n) ? reg->entries[i].info : NULL;
}

const char *kl_registry_origin(const kl_registry *reg, size_t i) {
  return (reg && i < reg->n) ? reg->entries[i].origin : NULL;
}

size_t kl_registry_names(const kl_registry *reg, int kind, const char **names, size_t max) {
  size_t k = 0;
  for (size_t i = 0; reg && i < reg->n; i++)
    if (kind == 0 || (int)reg->entries[i].info->kind == kind) {
      if (k < max) names[k] = reg->entries[i].info->name;
      k++;
    }
  return k < max ? k : max;
}
