/* What the libFuzzer targets share: inputs as files, since most of mimic's
 * readers take a path (each target writes to its own file in $TMPDIR). */
#ifndef MIMIC_FUZZ_UTIL_H
#define MIMIC_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimic/core.h"

/* Writes data to this process's file with the given extension; its path. */
__attribute__((unused)) static const char *fuzz_file(const uint8_t *data, size_t size,
                                                     const char *ext) {
  static char path[512];
  const char *tmp = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/mimic-fuzz-%d%s", tmp && *tmp ? tmp : "/tmp", (int)getpid(), ext);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (size && fwrite(data, 1, size, f) != size) abort();
  fclose(f);
  return path;
}

/* A NUL-terminated copy (malloc'd). */
__attribute__((unused)) static char *fuzz_text(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

#endif
