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
  char *origin;   /* file (or "builtin:...") */
  int path_rank;  /* search-path element it came from; -1: explicit */
} entry;

struct kl_registry {
  entry *entries;
  size_t n, cap;
  void **handles;  /* dlopen handles, closed at free */
  size_t n_handles, cap_handles;
  int next_rank;          /* explicit directories (plugin_path), in order */
  int next_default_rank;  /* $KINLAB_PLUGIN_PATH and PLUGINDIR come after  */
};
#define DEFAULT_RANK_BASE (1 << 20)

static const char *const kind_names[KL_KIND_COUNT + 1] = {
    NULL, "mollifier", "kernel", "model", "integrator", "initial", "diagnostic"};

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

void kl_registry_free(kl_registry *reg) {
  if (!reg) return;
  for (size_t i = 0; i < reg->n; i++) free(reg->entries[i].origin);
  free(reg->entries);
  /* Handles are closed last, in reverse order: descriptors point into them. */
  for (size_t i = reg->n_handles; i-- > 0;) dlclose(reg->handles[i]);
  free(reg->handles);
  free(reg);
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
  uint32_t ops_size = *(const uint32_t *)info->ops;
  if (ops_size < sizeof(uint32_t) + sizeof(void *))
    return kl_error_set(err, KL_EPLUGIN,
                        "%s: plugin '%s': operations table too small (%u bytes)", origin,
                        info->name, ops_size);
  return KL_OK;
}

static int add_entry(kl_registry *reg, const kl_plugin_info *info, const char *origin,
                     int rank, kl_error *err) {
  long existing = find_index(reg, info->name);
  if (existing >= 0) {
    entry *e = &reg->entries[existing];
    /* Different search-path elements: the earlier element (lower rank) wins,
     * whatever the load order, like $PATH. */
    if (rank >= 0 && e->path_rank >= 0 && e->path_rank != rank) {
      if (e->path_rank < rank) return KL_OK; /* the new one is shadowed */
      char *o = strdup(origin);
      if (!o) return kl_error_set(err, KL_ENOMEM, "out of memory registering plugins");
      free(e->origin);
      *e = (entry){info, o, rank};
      return KL_OK;
    }
    return kl_error_set(err, KL_EPLUGIN,
                        "duplicate plugin name '%s': defined in %s and in %s (rename one, "
                        "or remove one from the plugin path)",
                        info->name, e->origin, origin);
  }
  if (reg->n == reg->cap) {
    size_t cap = reg->cap ? 2 * reg->cap : 32;
    entry *p = realloc(reg->entries, cap * sizeof *p);
    if (!p) return kl_error_set(err, KL_ENOMEM, "out of memory registering plugins");
    reg->entries = p;
    reg->cap = cap;
  }
  char *o = strdup(origin);
  if (!o) return kl_error_set(err, KL_ENOMEM, "out of memory registering plugins");
  reg->entries[reg->n++] = (entry){info, o, rank};
  return KL_OK;
}

int kl_registry_add(kl_registry *reg, const kl_plugin_info *info, const char *origin,
                    kl_error *err) {
  if (!reg || !info) return kl_error_set(err, KL_EINVAL, "kl_registry_add: NULL argument");
  const char *o = origin ? origin : "builtin";
  int rc = check_info(info, o, 0, err);
  return rc ? rc : add_entry(reg, info, o, -1, err);
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
      }
    }
  }
  fclose(f);
  return rc;
}

static int load_file_ranked(kl_registry *reg, const char *path, int rank, kl_error *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return kl_error_set(err, KL_EPLUGIN, "plugin %s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return kl_error_set(err, KL_EPLUGIN, "plugin %s: not a regular file", path);
  int erc = check_elf_extents(path, st.st_size, err);
  if (erc) return erc;
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
  size_t before = reg->n;
  uint32_t index = 0;
  for (;; index++) {
    if (index > 1024) {
      rc = kl_error_set(err, KL_EPLUGIN, "plugin %s: more than 1024 plugins in one module", path);
      break;
    }
    const kl_plugin_info *info = entry_fn(KL_ABI_MAJOR, index);
    if (!info) break;
    rc = check_info(info, path, index, err);
    if (rc) break;
    rc = add_entry(reg, info, path, rank, err);
    if (rc) break;
  }
  if (!rc && index == 0)
    rc = kl_error_set(err, KL_EPLUGIN, "plugin %s: %s() returned no plugin for this ABI (%u)",
                      path, KL_PLUGIN_ENTRY_SYMBOL, KL_ABI_MAJOR);
  if (rc) { /* leave the registry as it was */
    for (size_t i = before; i < reg->n; i++) free(reg->entries[i].origin);
    reg->n = before;
  }
  return rc;
}

int kl_registry_load_file(kl_registry *reg, const char *path, kl_error *err) {
  return load_file_ranked(reg, path, -1, err);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir_ranked(kl_registry *reg, const char *dir, bool must_exist, int rank,
                           kl_error *err);

int kl_registry_load_dir(kl_registry *reg, const char *dir, bool must_exist, kl_error *err) {
  return load_dir_ranked(reg, dir, must_exist, reg->next_rank++, err);
}

static int load_default_dir(kl_registry *reg, const char *dir, kl_error *err) {
  return load_dir_ranked(reg, dir, false, DEFAULT_RANK_BASE + reg->next_default_rank++, err);
}

static int load_dir_ranked(kl_registry *reg, const char *dir, bool must_exist, int rank,
                           kl_error *err) {
  DIR *d = opendir(dir);
  if (!d) {
    if (!must_exist && (errno == ENOENT || errno == ENOTDIR)) return KL_OK;
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
    if (n == cap) {
      cap = cap ? 2 * cap : 32;
      char **p = realloc(names, cap * sizeof *p);
      if (!p) {
        rc = kl_error_set(err, KL_ENOMEM, "out of memory listing %s", dir);
        break;
      }
      names = p;
    }
    if (!(names[n] = strdup(de->d_name))) {
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
    rc = load_file_ranked(reg, path, rank, err);
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
      rc = load_default_dir(reg, tok, err);
    free(copy);
    if (rc) return kl_error_prefix(err, "while loading $KINLAB_PLUGIN_PATH");
  }
  /* $KINLAB_PLUGINDIR replaces the installed directory; set but empty, it
   * disables it (make check uses only the build tree's plugins). */
  const char *installed = getenv("KINLAB_PLUGINDIR");
  if (!installed) installed = PLUGINDIR;
  return *installed ? load_default_dir(reg, installed, err) : KL_OK;
}

const kl_plugin_info *kl_registry_find(const kl_registry *reg, const char *name) {
  long i = (reg && name) ? find_index(reg, name) : -1;
  return i >= 0 ? reg->entries[i].info : NULL;
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
