/* yaml.c - YAML documents (libyaml event API) as kl_node trees with source marks.
 *
 * Every node keeps the display name of its source and the 1-based line and
 * column of its first character; mapping keys keep their own positions.  The
 * builder refuses what a configuration file should never contain: several
 * documents, duplicate or non-scalar keys, alias bombs (the node count after
 * expanding aliases is bounded), absurd nesting and oversized files.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"

/* ------------------------------------------------------------ nodes */
kl_node *kl_node_new(kl_node_type type, const char *file, unsigned line, unsigned col) {
  kl_node *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->type = type;
  n->file = strdup(file ? file : "<unknown>");
  if (!n->file) {
    free(n);
    return NULL;
  }
  n->line = line;
  n->col = col;
  return n;
}

void kl_node_free(kl_node *node) {
  if (!node) return;
  free(node->scalar);
  for (size_t i = 0; i < node->n; i++) {
    if (node->keys) free(node->keys[i]);
    if (node->items) kl_node_free(node->items[i]);
  }
  free(node->keys);
  free(node->key_line);
  free(node->key_col);
  free(node->items);
  free(node->file);
  free(node);
}

/* Make room for `cap` entries (keys only for maps). */
static int node_reserve(kl_node *n, size_t cap) {
  kl_node **items = realloc(n->items, cap * sizeof *items);
  if (!items) return -1;
  n->items = items;
  if (n->type == KL_NODE_MAP) {
    char **keys = realloc(n->keys, cap * sizeof *keys);
    if (!keys) return -1;
    n->keys = keys;
    unsigned *kl = realloc(n->key_line, cap * sizeof *kl);
    if (!kl) return -1;
    n->key_line = kl;
    unsigned *kc = realloc(n->key_col, cap * sizeof *kc);
    if (!kc) return -1;
    n->key_col = kc;
  }
  return 0;
}

kl_node *kl_node_new_scalar(const char *text, bool plain, const char *file, unsigned line,
                            unsigned col) {
  kl_node *n = kl_node_new(KL_NODE_SCALAR, file, line, col);
  if (!n) return NULL;
  n->plain = plain;
  if (!(n->scalar = strdup(text))) {
    kl_node_free(n);
    return NULL;
  }
  return n;
}

int kl_node_append(kl_node *parent, const char *key, kl_node *value) {
  if (!value) return -1;
  if (node_reserve(parent, parent->n + 1)) goto fail;
  if (parent->type == KL_NODE_MAP) {
    if (!(parent->keys[parent->n] = strdup(key ? key : ""))) goto fail;
    parent->key_line[parent->n] = value->line;
    parent->key_col[parent->n] = value->col;
  }
  parent->items[parent->n++] = value;
  return 0;
fail:
  kl_node_free(value);
  return -1;
}

kl_node *kl_node_clone(const kl_node *node) {
  if (!node) return NULL;
  kl_node *c = kl_node_new(node->type, node->file, node->line, node->col);
  if (!c) return NULL;
  c->plain = node->plain;
  c->float_tag = node->float_tag;
  if (node->scalar && !(c->scalar = strdup(node->scalar))) goto fail;
  if (node->n) {
    if (node_reserve(c, node->n)) goto fail;
    for (size_t i = 0; i < node->n; i++) {
      if (node->type == KL_NODE_MAP) {
        c->keys[i] = strdup(node->keys[i]);
        c->key_line[i] = node->key_line[i];
        c->key_col[i] = node->key_col[i];
      }
      c->items[i] = kl_node_clone(node->items[i]);
      c->n = i + 1;
      if (!c->items[i] || (node->type == KL_NODE_MAP && !c->keys[i])) goto fail;
    }
  }
  return c;
fail:
  kl_node_free(c);
  return NULL;
}

kl_node *kl_node_map_get(const kl_node *map, const char *key) {
  if (!map || map->type != KL_NODE_MAP || !key) return NULL;
  for (size_t i = 0; i < map->n; i++)
    if (strcmp(map->keys[i], key) == 0) return map->items[i];
  return NULL;
}

const char *kl_node_where(const kl_node *node, char *buf, size_t size) {
  if (!buf || !size) return "";
  if (!node)
    snprintf(buf, size, "<unknown>");
  else
    snprintf(buf, size, "%s:%u:%u", node->file ? node->file : "<unknown>", node->line,
             node->col);
  return buf;
}

/* --------------------------------------------------------- builder */
typedef struct frame {
  kl_node *node;      /* MAP or SEQ being built                          */
  size_t cap;
  bool have_key;      /* MAP: a key was read, its value is next           */
  char *key;
  unsigned key_line, key_col;
  char *anchor;       /* anchor of this collection, registered at its end */
} frame;

typedef struct anchor {
  char *name;
  const kl_node *node; /* inside the tree being built, or `owned`   */
  kl_node *owned;      /* a scalar's own copy (a key's node is freed) */
  size_t count;        /* nodes (and keys) in the subtree */
  unsigned height;     /* collection nesting of the subtree */
} anchor;

typedef struct builder {
  const char *file;
  const char *text;
  size_t len;
  kl_error *err;
  frame *stack;
  size_t depth, stack_cap;
  anchor *anchors;
  size_t n_anchors, anchors_cap;
  size_t count; /* nodes + keys created, aliases expanded */
  kl_node *root;
} builder;

static int b_error(builder *b, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int b_error(builder *b, unsigned line, unsigned col, const char *fmt, ...) {
  char msg[KL_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return kl_error_set(b->err, KL_EINVAL, "%s:%u:%u: %s", b->file, line, col, msg);
}

static int b_nomem(builder *b) {
  return kl_error_set(b->err, KL_ENOMEM, "%s: out of memory while reading YAML", b->file);
}

static void subtree_stats(const kl_node *n, size_t *count, unsigned *height) {
  size_t c = 1;
  unsigned h = 0;
  for (size_t i = 0; i < n->n; i++) {
    size_t cc;
    unsigned hh;
    subtree_stats(n->items[i], &cc, &hh);
    c += cc + (n->type == KL_NODE_MAP);
    if (hh > h) h = hh;
  }
  *count = c;
  *height = h + (n->type != KL_NODE_SCALAR);
}

static int b_count(builder *b, size_t k, unsigned line, unsigned col, bool alias) {
  if (b->count + k > KL_YAML_MAX_NODES) {
    if (alias)
      return b_error(b, line, col, "alias expansion exceeds %d nodes (an alias bomb?)",
                     KL_YAML_MAX_NODES);
    return b_error(b, line, col, "document exceeds %d nodes", KL_YAML_MAX_NODES);
  }
  b->count += k;
  return KL_OK;
}

static int b_add_anchor(builder *b, const char *name, const kl_node *node) {
  if (b->n_anchors == b->anchors_cap) {
    size_t cap = b->anchors_cap ? 2 * b->anchors_cap : 8;
    anchor *a = realloc(b->anchors, cap * sizeof *a);
    if (!a) return b_nomem(b);
    b->anchors = a;
    b->anchors_cap = cap;
  }
  anchor *a = &b->anchors[b->n_anchors];
  if (!(a->name = strdup(name))) return b_nomem(b);
  a->owned = NULL;
  if (node->type == KL_NODE_SCALAR) {
    /* The scalar may become a key, whose node is freed: keep a copy. */
    if (!(a->owned = kl_node_clone(node))) {
      free(a->name);
      return b_nomem(b);
    }
    node = a->owned;
  }
  a->node = node;
  subtree_stats(node, &a->count, &a->height);
  b->n_anchors++;
  return KL_OK;
}

/* Sorted check for duplicate keys of a finished mapping (O(n log n)). */
typedef struct key_ref {
  const char *key;
  size_t index;
} key_ref;

static int cmp_key_ref(const void *pa, const void *pb) {
  const key_ref *a = pa, *b = pb;
  int c = strcmp(a->key, b->key);
  if (c) return c;
  return (a->index > b->index) - (a->index < b->index);
}

static int check_duplicates(builder *b, const kl_node *map) {
  if (map->n < 2) return KL_OK;
  if (map->n <= 16) {
    for (size_t j = 1; j < map->n; j++)
      for (size_t i = 0; i < j; i++)
        if (strcmp(map->keys[i], map->keys[j]) == 0)
          return b_error(b, map->key_line[j], map->key_col[j],
                         "duplicate key '%s' (first at %u:%u)", map->keys[j], map->key_line[i],
                         map->key_col[i]);
    return KL_OK;
  }
  key_ref *refs = malloc(map->n * sizeof *refs);
  if (!refs) return b_nomem(b);
  for (size_t i = 0; i < map->n; i++) refs[i] = (key_ref){map->keys[i], i};
  qsort(refs, map->n, sizeof *refs, cmp_key_ref);
  size_t best_second = SIZE_MAX, best_first = 0, group = 0;
  for (size_t i = 1; i < map->n; i++) {
    if (strcmp(refs[i].key, refs[group].key) != 0) {
      group = i;
      continue;
    }
    if (i == group + 1 && refs[i].index < best_second) {
      best_second = refs[i].index;
      best_first = refs[group].index;
    }
  }
  free(refs);
  if (best_second != SIZE_MAX)
    return b_error(b, map->key_line[best_second], map->key_col[best_second],
                   "duplicate key '%s' (first at %u:%u)", map->keys[best_second],
                   map->key_line[best_first], map->key_col[best_first]);
  return KL_OK;
}

/* Hand a finished node to its parent (or make it the root).  Takes ownership. */
static int b_attach(builder *b, kl_node *node) {
  if (b->depth == 0) {
    if (b->root) {
      kl_node_free(node);
      return b_error(b, 1, 1, "internal error: two roots");
    }
    b->root = node;
    return KL_OK;
  }
  frame *f = &b->stack[b->depth - 1];
  kl_node *p = f->node;
  if (p->type == KL_NODE_MAP && !f->have_key) {
    if (node->type != KL_NODE_SCALAR) {
      int rc = b_error(b, node->line, node->col,
                       "a mapping key must be a scalar, found a %s",
                       node->type == KL_NODE_MAP ? "mapping" : "sequence");
      kl_node_free(node);
      return rc;
    }
    /* A YAML 1.1 merge key would read as an ordinary key '<<', and the keys
     * it was meant to merge (often `type`) as missing: say what it is. */
    if (node->plain && !strcmp(node->scalar, "<<")) {
      int rc = b_error(b, node->line, node->col,
                       "merge keys ('<<') are not supported: write the keys out (an alias "
                       "can stand for a whole value)");
      kl_node_free(node);
      return rc;
    }
    f->key = node->scalar;
    node->scalar = NULL;
    f->key_line = node->line;
    f->key_col = node->col;
    f->have_key = true;
    kl_node_free(node);
    return KL_OK;
  }
  if (p->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 4;
    if (node_reserve(p, cap)) {
      kl_node_free(node);
      return b_nomem(b);
    }
    f->cap = cap;
  }
  if (p->type == KL_NODE_MAP) {
    p->keys[p->n] = f->key;
    p->key_line[p->n] = f->key_line;
    p->key_col[p->n] = f->key_col;
    f->key = NULL;
    f->have_key = false;
  }
  p->items[p->n++] = node;
  return KL_OK;
}

/* YAML 1.2 core-schema forms of the typed scalars. */
static bool core_null(const char *s) {
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static bool core_bool(const char *s) {
  static const char *const words[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (!strcmp(s, words[i])) return true;
  return false;
}

static bool core_int(const char *s) {
  const char *p = s;
  const char *digits = "0123456789";
  if (p[0] == '0' && p[1] == 'o') digits = "01234567", p += 2;
  else if (p[0] == '0' && p[1] == 'x') digits = "0123456789abcdefABCDEF", p += 2;
  else if (*p == '+' || *p == '-') p++;
  if (!*p) return false;
  for (; *p; p++)
    if (!strchr(digits, *p)) return false;
  return true;
}

static bool core_float(const char *s) {
  static const char *const words[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf", "+.INF",
                                      "-.inf", "-.Inf", "-.INF", ".nan",  ".NaN",  ".NAN"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (!strcmp(s, words[i])) return true;
  return kl_yaml_float_syntax(s);
}

/* Core tags are honoured: "!!str" and "!" make a string (so !!str 5 is no
 * number); !!null, !!bool, !!int and !!float need text of their type (in any
 * quoting) and make the scalar typed as if it were plain; !!float marks an
 * integer text as a real.  Other tags are refused. */
static int scalar_tag(builder *b, const yaml_event_t *ev, kl_node *n) {
  const char *tag = (const char *)ev->data.scalar.tag;
  n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  if (!tag) return KL_OK;
  if (strcmp(tag, "!") == 0 || strcmp(tag, YAML_STR_TAG) == 0) {
    n->plain = false;
    return KL_OK;
  }
  static const struct {
    const char *tag, *name, *expected;
    bool (*ok)(const char *);
  } typed[] = {
      {YAML_NULL_TAG, "!!null", "empty, ~ or null", core_null},
      {YAML_BOOL_TAG, "!!bool", "true or false", core_bool},
      {YAML_INT_TAG, "!!int", "an integer (digits, 0o octal or 0x hex)", core_int},
      {YAML_FLOAT_TAG, "!!float", "a number, .inf or .nan", core_float},
  };
  for (size_t i = 0; i < sizeof typed / sizeof *typed; i++) {
    if (strcmp(tag, typed[i].tag) != 0) continue;
    if (!typed[i].ok(n->scalar))
      return b_error(b, n->line, n->col, "%s '%.200s': expected %s after the tag",
                     typed[i].name, n->scalar, typed[i].expected);
    n->plain = true;
    n->float_tag = strcmp(tag, YAML_FLOAT_TAG) == 0;
    return KL_OK;
  }
  return b_error(b, n->line, n->col, "unsupported YAML tag '%s'", tag);
}

static int b_collection_tag(builder *b, const yaml_event_t *ev, const char *tag, bool map) {
  if (!tag || strcmp(tag, "!") == 0) return KL_OK;
  if (strcmp(tag, map ? YAML_MAP_TAG : YAML_SEQ_TAG) == 0) return KL_OK;
  return b_error(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
                 "unsupported YAML tag '%s'", tag);
}

/* 1-based line/column of a byte offset (for reader errors, which have no mark). */
static void offset_position(const char *text, size_t len, size_t offset, unsigned *line,
                            unsigned *col) {
  unsigned l = 1, c = 1;
  for (size_t i = 0; i < offset && i < len; i++) {
    unsigned char ch = (unsigned char)text[i];
    if (ch == '\n') {
      l++;
      c = 1;
    } else if ((ch & 0xC0) != 0x80) {
      c++;
    }
  }
  *line = l;
  *col = c;
}

static int parser_error(builder *b, const yaml_parser_t *p) {
  const char *problem = p->problem ? p->problem : "unknown error";
  if (p->error == YAML_MEMORY_ERROR) return b_nomem(b);
  if (p->error == YAML_READER_ERROR) {
    unsigned line, col;
    offset_position(b->text, b->len, p->problem_offset, &line, &col);
    if (p->problem_value != -1)
      return b_error(b, line, col, "not valid UTF-8 text: %s (byte 0x%02X)", problem,
                     (unsigned)p->problem_value & 0xFFu);
    return b_error(b, line, col, "not valid UTF-8 text: %s", problem);
  }
  unsigned line = (unsigned)p->problem_mark.line + 1, col = (unsigned)p->problem_mark.column + 1;
  /* libyaml puts the end of the stream on a line of its own when the text
   * has no final newline: point at the real end instead. */
  if (p->problem_mark.index >= b->len) offset_position(b->text, b->len, b->len, &line, &col);
  if (p->context)
    return b_error(b, line, col, "YAML syntax error: %s (%s that starts at %u:%u)", problem,
                   p->context, (unsigned)p->context_mark.line + 1,
                   (unsigned)p->context_mark.column + 1);
  return b_error(b, line, col, "YAML syntax error: %s", problem);
}

static int b_push(builder *b, kl_node *node, const char *anchor_name) {
  if (b->depth == b->stack_cap) {
    size_t cap = b->stack_cap ? 2 * b->stack_cap : 16;
    frame *s = realloc(b->stack, cap * sizeof *s);
    if (!s) {
      kl_node_free(node);
      return b_nomem(b);
    }
    b->stack = s;
    b->stack_cap = cap;
  }
  frame *f = &b->stack[b->depth];
  memset(f, 0, sizeof *f);
  f->node = node;
  if (anchor_name && !(f->anchor = strdup(anchor_name))) {
    kl_node_free(node);
    return b_nomem(b);
  }
  b->depth++;
  return KL_OK;
}

static int b_pop(builder *b) {
  frame f = b->stack[--b->depth];
  free(f.key);
  int rc = KL_OK;
  if (f.node->type == KL_NODE_MAP) rc = check_duplicates(b, f.node);
  if (!rc && f.anchor) rc = b_add_anchor(b, f.anchor, f.node);
  free(f.anchor);
  if (rc) {
    kl_node_free(f.node);
    return rc;
  }
  /* Register before attaching: attaching a key-less node could free it. */
  return b_attach(b, f.node);
}

static void b_free(builder *b) {
  for (size_t i = 0; i < b->depth; i++) {
    kl_node_free(b->stack[i].node);
    free(b->stack[i].key);
    free(b->stack[i].anchor);
  }
  free(b->stack);
  for (size_t i = 0; i < b->n_anchors; i++) {
    free(b->anchors[i].name);
    kl_node_free(b->anchors[i].owned);
  }
  free(b->anchors);
  kl_node_free(b->root);
}

static int b_event(builder *b, yaml_event_t *ev, bool *done, int *documents) {
  unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
  switch (ev->type) {
  case YAML_STREAM_START_EVENT: return KL_OK;
  case YAML_STREAM_END_EVENT: *done = true; return KL_OK;
  case YAML_DOCUMENT_START_EVENT:
    if (++*documents > 1)
      return b_error(b, line, col,
                     "a second YAML document starts here; a configuration holds exactly one");
    return KL_OK;
  case YAML_DOCUMENT_END_EVENT: return KL_OK;
  case YAML_ALIAS_EVENT: {
    const char *name = (const char *)ev->data.alias.anchor;
    const anchor *a = NULL;
    for (size_t i = b->n_anchors; i-- > 0;)
      if (strcmp(b->anchors[i].name, name) == 0) {
        a = &b->anchors[i];
        break;
      }
    if (!a)
      return b_error(b, line, col, "alias *%s refers to an unknown anchor (or to a node that "
                     "contains this alias)", name);
    int rc = b_count(b, a->count, line, col, true);
    if (rc) return rc;
    if (b->depth + a->height > KL_YAML_MAX_DEPTH)
      return b_error(b, line, col, "nesting deeper than %d levels (after expanding alias *%s)",
                     KL_YAML_MAX_DEPTH, name);
    kl_node *c = kl_node_clone(a->node);
    if (!c) return b_nomem(b);
    return b_attach(b, c);
  }
  case YAML_SCALAR_EVENT: {
    int rc = b_count(b, 1, line, col, false);
    if (rc) return rc;
    kl_node *n = kl_node_new(KL_NODE_SCALAR, b->file, line, col);
    if (!n) return b_nomem(b);
    n->scalar = malloc(ev->data.scalar.length + 1);
    if (!n->scalar) {
      kl_node_free(n);
      return b_nomem(b);
    }
    memcpy(n->scalar, ev->data.scalar.value, ev->data.scalar.length);
    n->scalar[ev->data.scalar.length] = '\0';
    if (strlen(n->scalar) != ev->data.scalar.length) {
      kl_node_free(n);
      return b_error(b, line, col, "a scalar contains a NUL character");
    }
    if ((rc = scalar_tag(b, ev, n))) {
      kl_node_free(n);
      return rc;
    }
    if (ev->data.scalar.anchor) {
      rc = b_add_anchor(b, (const char *)ev->data.scalar.anchor, n);
      if (rc) {
        kl_node_free(n);
        return rc;
      }
    }
    return b_attach(b, n);
  }
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT: {
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    const char *tag = (const char *)(map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    const char *anchor_name =
        (const char *)(map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
    if (b->depth > 0) {
      const frame *f = &b->stack[b->depth - 1];
      if (f->node->type == KL_NODE_MAP && !f->have_key)
        return b_error(b, line, col, "a mapping key must be a scalar, found a %s",
                       map ? "mapping" : "sequence");
    }
    if (b->depth + 1 > KL_YAML_MAX_DEPTH)
      return b_error(b, line, col, "nesting deeper than %d levels", KL_YAML_MAX_DEPTH);
    int rc = b_collection_tag(b, ev, tag, map);
    if (!rc) rc = b_count(b, 1, line, col, false);
    if (rc) return rc;
    kl_node *n = kl_node_new(map ? KL_NODE_MAP : KL_NODE_SEQ, b->file, line, col);
    if (!n) return b_nomem(b);
    return b_push(b, n, anchor_name);
  }
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT: return b_pop(b); /* keys were counted as scalars */
  default: return KL_OK;
  }
}

int kl_yaml_parse_string(const char *text, size_t len, const char *display_name, kl_node **out,
                         kl_error *err) {
  *out = NULL;
  const char *file = display_name ? display_name : "<string>";
  if (!text) text = "";
  if (len > KL_YAML_MAX_BYTES)
    return kl_error_set(err, KL_EINVAL, "%s: too large (%zu bytes; at most %u bytes)", file, len,
                        (unsigned)KL_YAML_MAX_BYTES);
  /* A UTF-8 byte-order mark (some editors write one) is no content; libyaml
   * only skips it when it detects the encoding itself. */
  if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, len -= 3;
  builder b = {.file = file, .text = text, .len = len, .err = err};
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    return kl_error_set(err, KL_ENOMEM, "%s: out of memory (YAML parser)", file);
  yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  bool done = false;
  int documents = 0, rc = KL_OK;
  while (!done && !rc) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      rc = parser_error(&b, &parser);
      break;
    }
    rc = b_event(&b, &ev, &done, &documents);
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  if (!rc && !b.root) {
    /* An empty stream: an empty (null) scalar, as "---" alone would give. */
    b.root = kl_node_new(KL_NODE_SCALAR, file, 1, 1);
    if (!b.root || !(b.root->scalar = strdup(""))) rc = b_nomem(&b);
    else b.root->plain = true;
  }
  if (rc) {
    b_free(&b);
    return rc;
  }
  *out = b.root;
  b.root = NULL;
  b_free(&b);
  return KL_OK;
}

int kl_yaml_parse_file(const char *path, kl_node **out, kl_error *err) {
  *out = NULL;
  FILE *fp = fopen(path, "rb");
  if (!fp) return kl_error_set(err, KL_EIO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap);
  if (!buf) {
    fclose(fp);
    return kl_error_set(err, KL_ENOMEM, "%s: out of memory", path);
  }
  for (;;) {
    if (len == cap) {
      char *nb = realloc(buf, 2 * cap);
      if (!nb) {
        free(buf);
        fclose(fp);
        return kl_error_set(err, KL_ENOMEM, "%s: out of memory", path);
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - len, fp);
    len += got;
    if (got == 0 || len > KL_YAML_MAX_BYTES) break;
  }
  int read_errno = ferror(fp) ? errno : 0;
  fclose(fp);
  if (read_errno) {
    free(buf);
    return kl_error_set(err, KL_EIO, "%s: cannot read: %s", path, strerror(read_errno));
  }
  if (len > KL_YAML_MAX_BYTES) {
    free(buf);
    return kl_error_set(err, KL_EINVAL, "%s: file too large (more than %u bytes)", path,
                        (unsigned)KL_YAML_MAX_BYTES);
  }
  int rc = kl_yaml_parse_string(buf, len, path, out, err);
  free(buf);
  return rc;
}

/* ------------------------------------------------------------ set path */
static bool is_index(const char *s, size_t *idx) {
  if (!*s) return false;
  size_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    if (v > (SIZE_MAX - 9) / 10) return false;
    v = v * 10 + (size_t)(*p - '0');
  }
  *idx = v;
  return true;
}

static int map_append(kl_node *map, const char *key, unsigned line, unsigned col, kl_node *value) {
  char *k = strdup(key);
  if (!k || node_reserve(map, map->n + 1)) {
    free(k);
    return -1;
  }
  map->keys[map->n] = k;
  map->key_line[map->n] = line;
  map->key_col[map->n] = col;
  map->items[map->n++] = value;
  return 0;
}

/* A plugin name: [a-z][a-z0-9_]* (not a number, not null/true/false). */
static bool looks_like_name(const char *s) {
  if (!(*s >= 'a' && *s <= 'z')) return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return false;
  return strcmp(s, "null") && strcmp(s, "true") && strcmp(s, "false");
}

/* After walking component `seg`: is the path so far `sweep` or
 * `variants.N.set`, whose keys are dotted paths themselves? */
static bool settings_below(const char *comp[3], unsigned *depth, const char *seg) {
  size_t idx;
  if (*depth < 3) comp[*depth] = seg;
  ++*depth;
  return (*depth == 1 && !strcmp(comp[0], "sweep")) ||
         (*depth == 3 && !strcmp(comp[0], "variants") && is_index(comp[1], &idx) &&
          !strcmp(comp[2], "set"));
}

int kl_node_set_path_node(kl_node *root, const char *dotted, kl_node *value, const char *file,
                          unsigned line, unsigned col, kl_error *err) {
  char *path = strdup(dotted ? dotted : "");
  if (!path) {
    kl_node_free(value);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  int rc = KL_OK;
  kl_node *cur = root;
  char *seg = path;
  size_t done_len = 0; /* length of the path prefix walked so far */
  unsigned depth = 0;  /* components walked */
  const char *comp[3] = {NULL, NULL, NULL}; /* the first three of them */
  bool in_settings = false; /* cur is `sweep` or `variants.N.set`: dotted keys */
  for (;;) {
    if (in_settings) {
      /* The rest of the path is one dotted key of the settings mapping
       * (variants.0.set.time.t_final=1 sets `time.t_final`), unless it walks
       * into a key that is there: a nested `time: {t_final: 1}` would replace
       * the whole time section of the run, silently dropping its other keys. */
      if (cur->type == KL_NODE_SCALAR && cur->plain &&
          (!*cur->scalar || !strcmp(cur->scalar, "~") || !strcmp(cur->scalar, "null"))) {
        free(cur->scalar);
        cur->scalar = NULL;
        cur->type = KL_NODE_MAP;
      }
      if (cur->type == KL_NODE_MAP) {
        size_t first = strcspn(seg, ".");
        bool walk = false;
        for (size_t i = 0; i < cur->n && value; i++)
          if (strcmp(cur->keys[i], seg) == 0) { /* the whole rest is a key: replace it */
            kl_node_free(cur->items[i]);
            cur->items[i] = value;
            value = NULL;
          }
        if (!value) break;
        for (size_t i = 0; i < cur->n && !walk; i++)
          walk = strlen(cur->keys[i]) == first && !strncmp(cur->keys[i], seg, first);
        if (!walk) {
          if (map_append(cur, seg, line, col, value)) {
            rc = kl_error_set(err, KL_ENOMEM, "out of memory");
            break;
          }
          value = NULL;
          break;
        }
      }
      in_settings = false;
    }
    char *dot = strchr(seg, '.');
    if (dot) *dot = '\0';
    if (!*seg) {
      rc = kl_error_set(err, KL_EINVAL, "%s:%u:%u: key %s: empty component in the key path",
                        file, line, col, dotted);
      break;
    }
    bool last = dot == NULL;
    /* A bare plugin name ("integrator: rk4") becomes {type: rk4} when a key
     * below it is set. */
    size_t idx;
    if (cur->type == KL_NODE_SCALAR && cur->plain && looks_like_name(cur->scalar) &&
        !is_index(seg, &idx) && cur != root) {
      kl_node *name = kl_node_new(KL_NODE_SCALAR, cur->file, cur->line, cur->col);
      if (!name) {
        rc = kl_error_set(err, KL_ENOMEM, "out of memory");
        break;
      }
      name->plain = true;
      name->scalar = cur->scalar;
      cur->scalar = NULL;
      cur->type = KL_NODE_MAP;
      if (map_append(cur, "type", cur->line, cur->col, name)) {
        kl_node_free(name);
        rc = kl_error_set(err, KL_ENOMEM, "out of memory");
        break;
      }
    } else if (cur->type == KL_NODE_SCALAR && cur != root && cur->plain &&
               (!*cur->scalar || strcmp(cur->scalar, "~") == 0 ||
                strcmp(cur->scalar, "null") == 0) && !is_index(seg, &idx)) {
      /* An empty value ("model:") becomes a mapping. */
      free(cur->scalar);
      cur->scalar = NULL;
      cur->type = KL_NODE_MAP;
    }
    kl_node **slot = NULL;
    if (cur->type == KL_NODE_MAP) {
      for (size_t i = 0; i < cur->n; i++)
        if (strcmp(cur->keys[i], seg) == 0) {
          slot = &cur->items[i];
          break;
        }
      if (!slot) { /* a new key: an empty mapping, replaced below when last */
        kl_node *fresh = kl_node_new(KL_NODE_MAP, file, line, col);
        if (!fresh || map_append(cur, seg, line, col, fresh)) {
          kl_node_free(fresh);
          rc = kl_error_set(err, KL_ENOMEM, "out of memory");
          break;
        }
        slot = &cur->items[cur->n - 1];
      }
    } else if (cur->type == KL_NODE_SEQ) {
      if (!is_index(seg, &idx) || idx > cur->n) {
        char w[600];
        rc = kl_error_set(err, KL_EINVAL,
                          "%s:%u:%u: key %s: expected an index 0..%zu into the list at %s, "
                          "found '%s'",
                          file, line, col, dotted, cur->n, kl_node_where(cur, w, sizeof w), seg);
        break;
      }
      if (idx == cur->n) { /* one item more: an empty mapping, replaced below when last */
        kl_node *fresh = kl_node_new(KL_NODE_MAP, file, line, col);
        if (!fresh || node_reserve(cur, cur->n + 1)) {
          kl_node_free(fresh);
          rc = kl_error_set(err, KL_ENOMEM, "out of memory");
          break;
        }
        cur->items[cur->n++] = fresh;
      }
      slot = &cur->items[idx];
    } else {
      char w[600];
      rc = kl_error_set(err, KL_EINVAL,
                        "%s:%u:%u: key %s: cannot set '%s' inside %.*s, which is the scalar "
                        "'%s' (at %s)",
                        file, line, col, dotted, seg, (int)(done_len ? done_len - 1 : 0), dotted,
                        cur->scalar ? cur->scalar : "", kl_node_where(cur, w, sizeof w));
      break;
    }
    if (last) {
      kl_node_free(*slot);
      *slot = value;
      value = NULL;
      break;
    }
    cur = *slot;
    done_len += strlen(seg) + 1;
    in_settings = settings_below(comp, &depth, seg);
    seg = dot + 1;
  }
  free(path);
  kl_node_free(value);
  return rc;
}

int kl_node_set_path(kl_node *root, const char *dotted_path, const char *value,
                     const char *origin, kl_error *err) {
  const char *file = origin ? origin : "--set";
  if (!root || root->type != KL_NODE_MAP)
    return kl_error_set(err, KL_EINVAL, "%s:1:1: key %s: the document is not a mapping", file,
                        dotted_path ? dotted_path : "");
  kl_node *v = NULL;
  int rc = kl_yaml_parse_string(value ? value : "", value ? strlen(value) : 0, file, &v, err);
  if (rc && err) { /* "--set:1:6: YAML syntax error" -> "--set:1:6: key model.n: YAML ..." */
    char rest[KL_ERROR_MESSAGE_MAX];
    const char *p = err->message;
    for (int colons = 0; *p && colons < 3; p++) colons += *p == ':';
    if (*p == ' ') p++;
    size_t loc = (size_t)(p - err->message);
    snprintf(rest, sizeof rest, "%s", p);
    snprintf(err->message + loc, sizeof err->message - loc, "key %s: %s",
             dotted_path ? dotted_path : "", rest);
  }
  if (rc) return rc;
  return kl_node_set_path_node(root, dotted_path, v, file, 1, 1, err);
}

/* ------------------------------------------------------------ emitter */
/* Would this text, written plain, read back as something other than a string
 * (YAML 1.2 core schema: null, bool, int, float)? */
static bool plain_is_typed(const char *s) {
  static const char *const words[] = {"",     "~",     "null",  "Null",  "NULL", "true",
                                      "True", "TRUE",  "false", "False", "FALSE", ".inf",
                                      ".Inf", ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                      "-.Inf", "-.INF", ".nan", ".NaN",  ".NAN"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strcmp(s, words[i]) == 0) return true;
  const char *p = s;
  if (p[0] == '0' && (p[1] == 'o' || p[1] == 'x') && p[2]) {
    bool hex = p[1] == 'x';
    for (p += 2; *p; p++)
      if (!(hex ? (strchr("0123456789abcdefABCDEF", *p) != NULL) : (*p >= '0' && *p <= '7')))
        return false;
    return true;
  }
  return kl_yaml_float_syntax(s);
}

/* YAML 1.2 core-schema float text, not .inf/.nan:
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? (also matches integers). */
bool kl_yaml_float_syntax(const char *s) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  size_t digits = 0, frac = 0;
  while (*p >= '0' && *p <= '9') p++, digits++;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') p++, frac++;
    if (!digits && !frac) return false;
  } else if (!digits) {
    return false;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-') p++;
    size_t e = 0;
    while (*p >= '0' && *p <= '9') p++, e++;
    if (!e) return false;
  }
  return *p == '\0';
}

static int emit_node(yaml_emitter_t *em, const kl_node *n) {
  yaml_event_t ev;
  if (n->type == KL_NODE_SCALAR) {
    const char *s = n->scalar ? n->scalar : "";
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
    if (n->plain)
      style = YAML_PLAIN_SCALAR_STYLE;
    else if (plain_is_typed(s))
      style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    /* An integer text read as a real (!!float 5) keeps its tag. */
    bool float_int = n->float_tag && core_int(s);
    if (!yaml_scalar_event_initialize(&ev, NULL,
                                      float_int ? (yaml_char_t *)YAML_FLOAT_TAG : NULL,
                                      (yaml_char_t *)s, (int)strlen(s), !float_int, !float_int,
                                      style))
      return -1;
    return yaml_emitter_emit(em, &ev) ? 0 : -1;
  }
  if (n->type == KL_NODE_SEQ) {
    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
        !yaml_emitter_emit(em, &ev))
      return -1;
    for (size_t i = 0; i < n->n; i++)
      if (emit_node(em, n->items[i])) return -1;
    if (!yaml_sequence_end_event_initialize(&ev)) return -1;
    return yaml_emitter_emit(em, &ev) ? 0 : -1;
  }
  if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
      !yaml_emitter_emit(em, &ev))
    return -1;
  for (size_t i = 0; i < n->n; i++) {
    const char *k = n->keys[i];
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)k, (int)strlen(k), 1, 1,
                                      plain_is_typed(k) && *k
                                          ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                          : YAML_ANY_SCALAR_STYLE) ||
        !yaml_emitter_emit(em, &ev))
      return -1;
    if (emit_node(em, n->items[i])) return -1;
  }
  if (!yaml_mapping_end_event_initialize(&ev)) return -1;
  return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

int kl_node_emit_yaml(const kl_node *node, FILE *out, kl_error *err) {
  if (!node) return kl_error_set(err, KL_EINVAL, "no YAML tree to write");
  yaml_emitter_t em;
  if (!yaml_emitter_initialize(&em)) return kl_error_set(err, KL_ENOMEM, "out of memory");
  yaml_emitter_set_output_file(&em, out);
  yaml_emitter_set_unicode(&em, 1);
  yaml_emitter_set_width(&em, -1);
  yaml_emitter_set_indent(&em, 2);
  yaml_event_t ev;
  int bad = !yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
            !yaml_emitter_emit(&em, &ev) ||
            !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
            !yaml_emitter_emit(&em, &ev) || emit_node(&em, node) ||
            !yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev) ||
            !yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev) ||
            !yaml_emitter_flush(&em);
  int rc = KL_OK;
  if (bad)
    rc = kl_error_set(err, em.error == YAML_MEMORY_ERROR ? KL_ENOMEM : KL_EIO,
                      "cannot write YAML: %s", em.problem ? em.problem : "write error");
  yaml_emitter_delete(&em);
  if (!rc && ferror(out)) rc = kl_error_set(err, KL_EIO, "cannot write YAML: write error");
  return rc;
}
