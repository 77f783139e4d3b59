/* Allocation helpers that explain their failures.
 *
 * Every allocation mimic makes outside a hot loop goes through these, so an
 * out-of-memory condition becomes a status and a sentence naming what was
 * being allocated, never a crash. Sizes are checked for overflow because
 * they often come from untrusted files. */
#include "mimic/core.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *mimic_malloc(size_t n, const char *what) {
  void *p = malloc(n ? n : 1);
  if (!p) mimic_fail_nomem(what);
  return p;
}

void *mimic_calloc(size_t count, size_t size, const char *what) {
  if (size && count > SIZE_MAX / size) {
    mimic_fail(MIMIC_ERR_NOMEM, "%s: size %zu x %zu overflows", what ? what : "buffer", count,
               size);
    return NULL;
  }
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) mimic_fail_nomem(what);
  return p;
}

void *mimic_realloc(void *p, size_t count, size_t size, const char *what) {
  if (size && count > SIZE_MAX / size) {
    mimic_fail(MIMIC_ERR_NOMEM, "%s: size %zu x %zu overflows", what ? what : "buffer", count,
               size);
    return NULL;
  }
  size_t n = count * size;
  void *q = realloc(p, n ? n : 1);
  if (!q) mimic_fail_nomem(what);
  return q;
}

mimic_status mimic_grow(void *buf, size_t *cap, size_t need, size_t size, size_t first,
                        const char *what) {
  if (need <= *cap) return MIMIC_OK;
  size_t c = *cap ? *cap : (first ? first : 1);
  while (c < need) {
    if (c > SIZE_MAX / 2) return mimic_fail(MIMIC_ERR_NOMEM, "%s: %zu items overflow", what, need);
    c *= 2;
  }
  void **p = buf; /* buf is the address of the caller's pointer */
  void *q = mimic_realloc(*p, c, size, what);
  if (!q) return MIMIC_ERR_NOMEM;
  *p = q;
  *cap = c;
  return MIMIC_OK;
}

bool mimic_ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

char *mimic_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = mimic_malloc(n, "a string");
  if (d) memcpy(d, s, n);
  return d;
}

char *mimic_asprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    mimic_fail(MIMIC_ERR_INVALID, "bad format string");
    return NULL;
  }
  char *s = mimic_malloc((size_t)n + 1, "a string");
  if (!s) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

void *mimic_alloc_aligned(size_t n, const char *what) {
  size_t rounded = (n + 63) & ~(size_t)63;
  if (rounded < n) {
    mimic_fail(MIMIC_ERR_NOMEM, "%s: size %zu overflows", what ? what : "buffer", n);
    return NULL;
  }
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (!p) mimic_fail_nomem(what);
  return p;
}

void mimic_free_aligned(void *p) { free(p); }

/* Physical memory, not what is free now: the answer does not change with the
 * load of the moment, and a need beyond all of it can never be met (the
 * kernel's overcommit would let the allocation succeed and the process be
 * killed, or the machine swap, part way through). */
size_t mimic_memory_total(void) {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0) return 0;
  if ((unsigned long)pages > SIZE_MAX / (unsigned long)size) return SIZE_MAX;
  return (size_t)pages * (size_t)size;
}
