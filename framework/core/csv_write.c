/* csv_write.c - CSV text for the files kinlab writes (timeseries.csv,
 * comparison.csv, `kinlab bench --csv`): RFC 4180 fields. */
#include <string.h>

#include "internal.h"

void kl_csv_field(FILE *f, const char *s) {
  if (!s) return;
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}
