/* Small text utilities every layer needs: UTF-8 validation (utf8proc's
 * decoder, which refuses overlong forms, surrogates and code points past
 * U+10FFFF) and writing one CSV field as RFC 4180 quotes it. */
#include <ctype.h>
#include <string.h>
#include <utf8proc.h>

#include "mimic/core.h"
#include "core/util.h"

bool mimic_utf8_valid(const char *s, size_t len, size_t *bad_offset) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    if (u[i] < 0x80) {
      i++;
      continue;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
    if (k <= 0 || cp < 0) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += (size_t)k;
  }
  return true;
}

void mimic_csv_write_field(FILE *fp, const char *s) {
  if (!s) s = "";
  size_t n = strlen(s);
  bool quote = n > 0 && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]));
  if (!quote) quote = strpbrk(s, ",\"\r\n") != NULL;
  if (!quote) {
    fputs(s, fp);
    return;
  }
  fputc('"', fp);
  for (const char *p = s; *p; p++) {
    if (*p == '"') fputc('"', fp);
    fputc(*p, fp);
  }
  fputc('"', fp);
}
