/* text.c - small text helpers for messages and listings: the article of a
 * word, sorting names, "did you mean" and the shortest exact number text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Shortest "%.Ng" that reads back as exactly x (at most %.17g). */
const char *kl_fmt_real(double x, char *buf, size_t size) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, x);
    if (strtod(buf, NULL) == x || prec == 17) break;
  }
  return buf;
}

const char *kl_article(const char *word) {
  return (word && strchr("aeiouAEIOU", word[0])) ? "an" : "a";
}

/* Optimal string alignment distance (Levenshtein with transpositions). */
static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return SIZE_MAX;
  size_t d[65][65];
  for (size_t i = 0; i <= n; i++) d[i][0] = i;
  for (size_t j = 0; j <= m; j++) d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      size_t cost = a[i - 1] != b[j - 1];
      size_t best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[n][m];
}

const char *kl_did_you_mean(const char *word, const char *const *candidates, size_t n) {
  if (!word) return NULL;
  size_t len = strlen(word), limit = len / 3 > 2 ? len / 3 : 2, best = SIZE_MAX;
  const char *pick = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!candidates[i]) continue;
    size_t dist = edit_distance(word, candidates[i]);
    if (dist <= limit && dist < best) {
      best = dist;
      pick = candidates[i];
    }
  }
  return pick;
}

int kl_cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}
