/* The model files of tests/data/legacy-models, written before format
 * version 2, and what they computed then (expected.json, see its README):
 * paths, the expected values of one file, and exact comparisons (the
 * values were printed with %.9g for floats and %.17g for doubles, which
 * read back to the same bits). Header-only (static) so each test binary
 * stays standalone. */
#ifndef MIMIC_LEGACY_FIXTURES_H
#define MIMIC_LEGACY_FIXTURES_H

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* <repository>/tests/data/legacy-models/<name> (malloc'd). */
static inline char *legacy_path(const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "tests/data/legacy-models/%s", name);
  return tu_source_path(rel);
}

/* A new reference to expected.json's entry for file name. */
static inline json_t *legacy_expected(const char *name) {
  char *path = legacy_path("expected.json");
  json_error_t err;
  json_t *all = json_load_file(path, 0, &err);
  if (!all) fail_msg("%s: %s", path, err.text);
  json_t *e = json_incref(json_object_get(all, name));
  if (!e) fail_msg("%s has no entry for %s", path, name);
  json_decref(all);
  free(path);
  return e;
}

/* Fails unless got[0..n) are exactly the float32 numbers of array want. */
static inline void legacy_same_f32(const float *got, const json_t *want, size_t n,
                                   const char *what) {
  if (json_array_size(want) != n)
    fail_msg("%s: %zu values recorded, %zu computed", what, json_array_size(want), n);
  for (size_t i = 0; i < n; i++)
    if (got[i] != (float)json_number_value(json_array_get(want, i)))
      fail_msg("%s[%zu] is %.9g, it was %.9g", what, i, got[i],
               json_number_value(json_array_get(want, i)));
}

/* Fails unless got[0..n) are exactly the doubles of array want. */
static inline void legacy_same_f64(const double *got, const json_t *want, size_t n,
                                   const char *what) {
  if (json_array_size(want) != n)
    fail_msg("%s: %zu values recorded, %zu computed", what, json_array_size(want), n);
  for (size_t i = 0; i < n; i++)
    if (got[i] != json_number_value(json_array_get(want, i)))
      fail_msg("%s[%zu] is %.17g, it was %.17g", what, i, got[i],
               json_number_value(json_array_get(want, i)));
}

#endif
