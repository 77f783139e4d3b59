/* Small text utilities every layer needs: UTF-8 validation (utf8proc's
 * decoder, which refuses overlong forms, surrogates and code points past
 * U+10FFFF), writing one CSV field as RFC 4180 quotes it, and numbers and
 * strings as the label log writes them. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
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

/* Powers of ten a double holds exactly. */
static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12};

static size_t float_text_printf(float v, char *buf) {
  int n = snprintf(buf, MIMIC_FLOAT_TEXT_MAX, "%.9g", (double)v);
  return n > 0 ? (size_t)n : 0;
}

size_t mimic_float_text(float value, char *buf) {
  double v = fabs((double)value);
  /* For 1e-4 <= v < 1e9 "%.9g" writes no exponent, and v * 10^(8 - e) is
   * exact in a double (24 bits of float times at most 5^12's 28), so the
   * rounding below (half to even, as printf's) sees the true digits. The
   * rest (zero, tiny, huge, inf, nan) is rare: printf writes it. */
  if (!(v >= 1e-4 && v < 1e9)) return float_text_printf(value, buf);
  int e = 8; /* floor(log10(v)) */
  if (v < 1.0) {
    e = -1;
    while (v * POW10[-e] < 1.0) e--;
  } else {
    while (v < POW10[e]) e--;
  }
  double scaled = v * POW10[8 - e];
  double whole = floor(scaled), frac = scaled - whole;
  uint64_t d = (uint64_t)whole;
  if (frac > 0.5 || (frac == 0.5 && (d & 1))) d++;
  if (d >= 1000000000u) { /* rounded up to the next power of ten */
    d /= 10;
    if (++e >= 9) return float_text_printf(value, buf);
  }
  char digits[9];
  for (int i = 8; i >= 0; i--, d /= 10) digits[i] = (char)('0' + d % 10);
  int last = 8; /* the last digit written: trailing zeros go */
  char *p = buf;
  if (signbit(value)) *p++ = '-';
  if (e >= 0) {
    while (last > e && digits[last] == '0') last--;
    for (int i = 0; i <= e; i++) *p++ = digits[i];
    if (last > e) *p++ = '.';
    for (int i = e + 1; i <= last; i++) *p++ = digits[i];
  } else {
    while (digits[last] == '0') last--;
    *p++ = '0';
    *p++ = '.';
    for (int i = -1; i > e; i--) *p++ = '0';
    for (int i = 0; i <= last; i++) *p++ = digits[i];
  }
  *p = '\0';
  return (size_t)(p - buf);
}

char *mimic_float_list_text(const float *v, int n) {
  size_t cap = (size_t)(n > 0 ? n : 0) * (MIMIC_FLOAT_TEXT_MAX + 2) + 3, at = 0;
  char *buf = mimic_malloc(cap, "a list of numbers");
  if (!buf) return NULL;
  buf[at++] = '[';
  for (int j = 0; j < n; j++) {
    if (j) {
      buf[at++] = ',';
      buf[at++] = ' ';
    }
    at += mimic_float_text(v[j], buf + at);
  }
  buf[at++] = ']';
  buf[at] = '\0';
  return buf;
}

size_t mimic_json_quote(const char *s, char *buf, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
#define PUT(ch)                                                                                    \
  do {                                                                                             \
    if (n + 1 < cap) buf[n] = (ch);                                                                \
    n++;                                                                                           \
  } while (0)
  PUT('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char ch = *p;
    if (ch == '"' || ch == '\\') {
      PUT('\\');
      PUT((char)ch);
    } else if (ch < 0x20) {
      PUT('\\');
      PUT('u');
      PUT('0');
      PUT('0');
      PUT(hex[ch >> 4]);
      PUT(hex[ch & 15]);
    } else {
      PUT((char)ch);
    }
  }
  PUT('"');
#undef PUT
  if (cap) buf[n < cap ? n : cap - 1] = '\0';
  return n;
}

/* ---- a JSON syntax check ---------------------------------------------- */

typedef struct json_scan {
  const unsigned char *p, *end;
  int depth;
} json_scan;

static void json_ws(json_scan *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static bool json_lit(json_scan *j, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n)) return false;
  j->p += n;
  return true;
}

static bool json_str(json_scan *j) {
  if (j->p >= j->end || *j->p != '"') return false;
  const unsigned char *start = ++j->p;
  for (; j->p < j->end; j->p++) {
    unsigned char ch = *j->p;
    if (ch == '"') {
      size_t bad;
      bool ok = mimic_utf8_valid((const char *)start, (size_t)(j->p - start), &bad);
      j->p++;
      return ok;
    }
    if (ch < 0x20) return false;
    if (ch != '\\') continue;
    if (++j->p >= j->end) return false;
    if (*j->p == 'u') {
      for (int k = 0; k < 4; k++)
        if (++j->p >= j->end || !isxdigit(*j->p)) return false;
    } else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
      return false;
    }
  }
  return false;
}

static bool json_digits(json_scan *j) {
  const unsigned char *start = j->p;
  while (j->p < j->end && isdigit(*j->p)) j->p++;
  return j->p > start;
}

static bool json_num(json_scan *j) {
  if (j->p < j->end && *j->p == '-') j->p++;
  if (j->p < j->end && *j->p == '0')
    j->p++;
  else if (!json_digits(j))
    return false;
  if (j->p < j->end && *j->p == '.' && (j->p++, !json_digits(j))) return false;
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (!json_digits(j)) return false;
  }
  return true;
}

static bool json_value(json_scan *j) {
  json_ws(j);
  if (j->p >= j->end) return false;
  unsigned char ch = *j->p;
  if (ch == '"') return json_str(j);
  if (ch == 't') return json_lit(j, "true");
  if (ch == 'f') return json_lit(j, "false");
  if (ch == 'n') return json_lit(j, "null");
  if (ch != '{' && ch != '[') return json_num(j);
  if (++j->depth > 64) return false;
  char close = ch == '{' ? '}' : ']';
  j->p++;
  json_ws(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    j->depth--;
    return true;
  }
  for (;;) {
    if (close == '}') {
      json_ws(j);
      if (!json_str(j)) return false;
      json_ws(j);
      if (j->p >= j->end || *j->p++ != ':') return false;
    }
    if (!json_value(j)) return false;
    json_ws(j);
    if (j->p >= j->end) return false;
    if (*j->p == ',') {
      j->p++;
      continue;
    }
    if (*j->p++ != close) return false;
    j->depth--;
    return true;
  }
}

bool mimic_json_valid(const char *s, size_t len) {
  json_scan j = {(const unsigned char *)s, (const unsigned char *)s + len, 0};
  if (!json_value(&j)) return false;
  json_ws(&j);
  return j.p == j.end;
}

char *mimic_json_quote_nonfinite(const char *line) {
  size_t n = strlen(line), extra = 0;
  for (const char *c = line; (c = strpbrk(c, "NI")); c++) extra += 2;
  char *out = mimic_malloc(n + extra + 1, "JSON text");
  if (!out) return NULL;
  size_t o = 0;
  bool in_string = false;
  for (size_t i = 0; i < n; i++) {
    char c = line[i];
    if (in_string) {
      out[o++] = c;
      if (c == '\\' && i + 1 < n)
        out[o++] = line[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    const char *word = NULL;
    if (strncmp(line + i, "NaN", 3) == 0)
      word = "NaN";
    else if (strncmp(line + i, "Infinity", 8) == 0)
      word = "Infinity";
    else if (strncmp(line + i, "-Infinity", 9) == 0)
      word = "-Infinity";
    if (word) {
      size_t k = strlen(word);
      out[o++] = '"';
      memcpy(out + o, word, k);
      o += k;
      out[o++] = '"';
      i += k - 1;
      continue;
    }
    out[o++] = c;
  }
  out[o] = '\0';
  return out;
}
