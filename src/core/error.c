/* Thread-local last error, in the manner of sqlite3_errmsg().
 *
 * One fixed buffer per thread: recording an error never allocates, so even
 * an out-of-memory failure can be explained. Context is prepended as the
 * error travels up ("file: episode 3: actions: row 7 is NaN"). */
#include "mimic/core.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

#define ERRMSG_CAP 1024

static _Thread_local char errmsg[ERRMSG_CAP];
static _Thread_local mimic_status errcode = MIMIC_OK;

const char *mimic_status_str(mimic_status st) {
  switch (st) {
  case MIMIC_OK: return "ok";
  case MIMIC_ERR_INVALID: return "invalid argument";
  case MIMIC_ERR_NOMEM: return "out of memory";
  case MIMIC_ERR_IO: return "input/output error";
  case MIMIC_ERR_FORMAT: return "malformed input";
  case MIMIC_ERR_NOT_FOUND: return "not found";
  case MIMIC_ERR_RANGE: return "value out of range";
  case MIMIC_ERR_EXTERNAL: return "external program failed";
  case MIMIC_ERR_TIMEOUT: return "timed out";
  case MIMIC_ERR_INTERRUPTED: return "interrupted";
  }
  return "unknown status";
}

const char *mimic_errmsg(void) { return errmsg; }

mimic_status mimic_errcode(void) { return errcode; }

void mimic_errclear(void) {
  errmsg[0] = '\0';
  errcode = MIMIC_OK;
}

/* Messages quote what programs and files said (an expert's "error" text, a
 * line of a file); on a terminal, their control characters would run as
 * escape sequences. So a message holds no C0 or C1 control character or DEL:
 * each becomes '?' (a C1 character's two UTF-8 bytes become "??"). */
static void sanitize(char *s) {
  for (unsigned char *p = (unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      *p = '?';
    else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
      p[0] = p[1] = '?';
  }
}

mimic_status mimic_vfail(mimic_status st, const char *fmt, va_list ap) {
  vsnprintf(errmsg, sizeof errmsg, fmt, ap);
  sanitize(errmsg);
  errcode = st;
  return st;
}

mimic_status mimic_fail(mimic_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  mimic_vfail(st, fmt, ap);
  va_end(ap);
  return st;
}

mimic_status mimic_errctx(const char *fmt, ...) {
  char ctx[ERRMSG_CAP];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  if (n < 0) return errcode;
  char joined[ERRMSG_CAP];
  size_t lc = strlen(ctx);
  if (lc > ERRMSG_CAP - 3) lc = ERRMSG_CAP - 3;
  memcpy(joined, ctx, lc);
  joined[lc] = ':';
  joined[lc + 1] = ' ';
  size_t rest = ERRMSG_CAP - lc - 3, lm = strlen(errmsg);
  if (lm > rest) lm = rest;
  memcpy(joined + lc + 2, errmsg, lm);
  joined[lc + 2 + lm] = '\0';
  sanitize(joined);
  memcpy(errmsg, joined, sizeof errmsg);
  if (errcode == MIMIC_OK) errcode = MIMIC_ERR_INVALID;
  return errcode;
}

mimic_status mimic_fail_nomem(const char *what) {
  return mimic_fail(MIMIC_ERR_NOMEM, "out of memory allocating %s", what ? what : "a buffer");
}
