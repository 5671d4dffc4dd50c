/* progress.c - where variants run as processes (--jobs J > 1): the parent's
 * progress board on the terminal, one line per running variant under an
 * aggregate line, redrawn in place.
 *
 * Children publish their t and step into a slot of an anonymous shared
 * mapping (a few relaxed atomic stores per step: no system call, nothing to
 * block on, nothing to hang on when a child dies: its slot just stops).  The
 * parent wakes at least every BOARD_PERIOD seconds to redraw.  While the
 * board is shown, the children's stderr goes through a pipe to the parent,
 * which clears the board, writes their complete lines (warnings name their
 * variant) and redraws it: nothing is printed into the middle of the board.
 *
 * The board is on only when stderr is a terminal and --quiet is not given;
 * KINLAB_PROGRESS=always forces it on (the tests, which have no terminal),
 * so logs and piped output are unchanged. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "run_internal.h"

struct run_progress_slot {
  _Atomic double t, t_start, t_final;
  _Atomic uint64_t step;
};

/* This process's slot (a variant process of a --jobs run), or NULL. */
static run_progress_slot *my_slot;

void run_progress_set_slot(run_progress_slot *slot) { my_slot = slot; }

void run_progress_publish(const run_ctx *r) {
  if (!my_slot) return;
  atomic_store_explicit(&my_slot->t_start, r->t_start, memory_order_relaxed);
  atomic_store_explicit(&my_slot->t_final, r->t_final, memory_order_relaxed);
  atomic_store_explicit(&my_slot->t, r->t, memory_order_relaxed);
  atomic_store_explicit(&my_slot->step, r->step, memory_order_relaxed);
}

size_t run_progress_format(char *buf, size_t size, const char *name, double t, double t_start,
                           double t_final, uint64_t step, double elapsed, size_t width) {
  double frac = (t - t_start) / (t_final - t_start);
  if (!(frac >= 0)) frac = 0; /* also before the child's first report (NaN) */
  if (frac > 1) frac = 1;
  char where[96];
  if (isnan(t)) snprintf(where, sizeof where, "setting up");
  else snprintf(where, sizeof where, "t = %.6g / %.6g  step %llu", t, t_final,
                (unsigned long long)step);
  int w = snprintf(buf, size, "  %s  [%3.0f%%] %s  %.0f s", name, 100 * frac, where, elapsed);
  size_t len = w < 0 ? 0 : (size_t)w >= size ? size - 1 : (size_t)w;
  if (width > 1 && len > width - 1) len = width - 1; /* a wrapped line would break the redraw */
  if (size) buf[len] = '\0';
  return len;
}

/* ------------------------------------------------------------ the board */
enum { BOARD_MAX_LINES = 16 };

bool run_board_wanted(bool quiet) {
  const char *force = getenv("KINLAB_PROGRESS");
  if (quiet) return false;
  if (force && !strcmp(force, "always")) return true;
  if (force && !strcmp(force, "never")) return false;
  if (force && *force) /* KINLAB_PROGRESS=1 or ALWAYS silently meant "auto" */
    fprintf(stderr,
            "kinlab: warning: KINLAB_PROGRESS='%s': expected always or never; the progress "
            "display is %s (stderr %s a terminal)\n",
            force, isatty(STDERR_FILENO) ? "on" : "off", isatty(STDERR_FILENO) ? "is" : "is not");
  return isatty(STDERR_FILENO);
}

int run_board_open(run_board *b, const kl_experiment *exp, size_t n, kl_error *err) {
  memset(b, 0, sizeof *b);
  b->exp = exp;
  b->n = n;
  b->started = calloc(n ? n : 1, sizeof *b->started);
  b->pending = calloc(n ? n : 1, sizeof *b->pending);
  if (!b->started || !b->pending) {
    free(b->started);
    free(b->pending);
    return kl_error_set(err, KL_ENOMEM, "out of memory");
  }
  b->bytes = (n ? n : 1) * sizeof *b->slots;
  void *m = mmap(NULL, b->bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    free(b->started);
    free(b->pending);
    return kl_error_set(err, KL_EIO, "mmap of the progress slots: %s", strerror(errno));
  }
  b->slots = m;
  b->on = true;
  return KL_OK;
}

void run_board_close(run_board *b) {
  if (!b->on) return;
  run_board_clear(b);
  munmap(b->slots, b->bytes);
  for (size_t i = 0; i < b->n; i++) free(b->pending[i].text);
  free(b->started);
  free(b->pending);
  memset(b, 0, sizeof *b);
}

run_progress_slot *run_board_slot(run_board *b, size_t i) {
  if (!b->on) return NULL;
  run_progress_slot *s = &b->slots[i];
  atomic_store_explicit(&s->t, NAN, memory_order_relaxed);
  atomic_store_explicit(&s->t_start, NAN, memory_order_relaxed);
  atomic_store_explicit(&s->t_final, NAN, memory_order_relaxed);
  atomic_store_explicit(&s->step, 0, memory_order_relaxed);
  b->started[i] = kl_wall_now();
  return s;
}

void run_board_clear(run_board *b) {
  if (!b->on || !b->drawn) return;
  fprintf(stderr, "\033[%zuA\r\033[J", b->drawn);
  fflush(stderr);
  b->drawn = 0;
}

static size_t terminal_width(void) {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 100;
}

void run_board_draw(run_board *b, const size_t *running, size_t n_running, size_t done,
                    size_t failed) {
  if (!b->on) return;
  run_board_clear(b);
  size_t width = terminal_width();
  char line[512];
  char failures[48] = "";
  if (failed) snprintf(failures, sizeof failures, " (%zu failed)", failed);
  snprintf(line, sizeof line, "kinlab: %zu of %zu variants done%s, %zu running", done, b->n,
           failures, n_running);
  if (strlen(line) > width - 1) line[width - 1] = '\0';
  fprintf(stderr, "%s\n", line);
  b->drawn = 1;
  double now = kl_wall_now();
  for (size_t k = 0; k < n_running; k++) {
    if (k == BOARD_MAX_LINES) {
      fprintf(stderr, "  ... and %zu more\n", n_running - k);
      b->drawn++;
      break;
    }
    size_t i = running[k];
    const run_progress_slot *s = &b->slots[i];
    run_progress_format(line, sizeof line, b->exp->runs[i].variant_name,
                        atomic_load_explicit(&s->t, memory_order_relaxed),
                        atomic_load_explicit(&s->t_start, memory_order_relaxed),
                        atomic_load_explicit(&s->t_final, memory_order_relaxed),
                        atomic_load_explicit(&s->step, memory_order_relaxed),
                        now - b->started[i], width);
    fprintf(stderr, "%s\n", line);
    b->drawn++;
  }
  fflush(stderr);
}

/* Copy what variant i's process wrote to its stderr pipe (fd) to stderr:
 * whole lines only while it runs (a partial one waits in its own buffer),
 * everything once it is gone (at_eof: read to the end). */
void run_board_forward(run_board *b, size_t i, int fd, bool at_eof) {
  run_board_text *t = &b->pending[i];
  char buf[4096];
  for (;;) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break; /* EOF, or EAGAIN: nothing more for now */
    size_t need = t->len + (size_t)got;
    if (need > t->cap) {
      char *p = realloc(t->text, need);
      if (!p) break; /* out of memory: what was read is lost, the run goes on */
      t->text = p, t->cap = need;
    }
    memcpy(t->text + t->len, buf, (size_t)got);
    t->len = need;
  }
  size_t whole = t->len;
  if (!at_eof)
    while (whole > 0 && t->text[whole - 1] != '\n') whole--;
  if (whole == 0) return;
  run_board_clear(b);
  fwrite(t->text, 1, whole, stderr);
  if (t->text[whole - 1] != '\n') fputc('\n', stderr);
  fflush(stderr);
  memmove(t->text, t->text + whole, t->len - whole);
  t->len -= whole;
}
