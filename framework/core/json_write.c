/* json_write.c - JSON text for the files kinlab writes (summary.json, the
 * JSON Schemas, provenance): strings escaped per RFC 8259, numbers as %.17g
 * (or the shortest text that reads back exactly) and non-finite numbers as
 * null (JSON has no NaN). */
#include <math.h>

#include "internal.h"

void kl_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\t': fputs("\\t", f); break;
    case '\r': fputs("\\r", f); break;
    default:
      if (*p < 0x20)
        fprintf(f, "\\u%04x", *p);
      else
        fputc(*p, f);
    }
  }
  fputc('"', f);
}

void kl_json_number(FILE *f, double x) {
  if (isfinite(x)) fprintf(f, "%.17g", x);
  else fputs("null", f);
}

/* The schemas are read by people: 0.1, not 0.10000000000000001. */
void kl_json_number_short(FILE *f, double x) {
  char buf[64];
  if (isfinite(x)) fputs(kl_fmt_real(x, buf, sizeof buf), f);
  else fputs("null", f);
}
