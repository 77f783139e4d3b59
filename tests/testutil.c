/* Shared helpers for mimic's unit tests (see testutil.h). */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char testdata_dir[4096];
static char data_dir[4096];

static const char *shared_dir(char *buf, size_t cap, const char *env, const char *sub) {
  if (buf[0]) return buf;
  const char *v = getenv(env);
  if (v && *v)
    snprintf(buf, cap, "%s", v);
  else
    snprintf(buf, cap, "%s/../shared/%s", MIMIC_SOURCE_DIR, sub);
  struct stat sb;
  if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    fprintf(stderr, "FATAL: reference folder %s is missing (set %s)\n", buf, env);
    fail_msg("reference folder %s is missing (set %s)", buf, env);
  }
  return buf;
}

const char *tu_testdata_dir(void) {
  return shared_dir(testdata_dir, sizeof testdata_dir, "MIMIC_TESTDATA", "testdata");
}

const char *tu_data_dir(void) {
  return shared_dir(data_dir, sizeof data_dir, "MIMIC_DATA", "data");
}

char *tu_source_path(const char *rel) {
  size_t n = strlen(MIMIC_SOURCE_DIR) + strlen(rel) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", MIMIC_SOURCE_DIR, rel);
  return p;
}

json_t *tu_load_json(const char *rel) {
  char path[8192];
  snprintf(path, sizeof path, "%s/%s", tu_testdata_dir(), rel);
  json_error_t err;
  json_t *j = json_load_file(path, JSON_DECODE_ANY, &err);
  if (!j) {
    fprintf(stderr, "FATAL: cannot load %s: %s (line %d)\n", path, err.text, err.line);
    fail_msg("cannot load %s: %s", path, err.text);
  }
  return j;
}

char *tu_tmp_path(const char *name) {
  static char dir[4096];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "%s/tmp-tests", MIMIC_BINARY_DIR);
    mkdir(dir, 0755);
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/t-XXXXXX");
    if (!mkdtemp(dir)) fail_msg("mkdtemp %s: %s", dir, strerror(errno));
  }
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  snprintf(p, n, "%s/%s", dir, name);
  return p;
}

static const json_t *tensor_data(const json_t *t) {
  if (json_is_array(t)) return t;
  const json_t *d = json_object_get(t, "data");
  if (!json_is_array(d)) fail_msg("tensor has no data array");
  return d;
}

/* Appends the leaves of a possibly nested array. */
static void flatten(const json_t *a, json_t *out) {
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    if (json_is_array(v))
      flatten(v, out);
    else
      json_array_append(out, v);
  }
}

static json_t *flat_data(const json_t *t) {
  json_t *out = json_array();
  flatten(tensor_data(t), out);
  return out;
}

size_t tu_numel(const json_t *tensor) {
  json_t *f = flat_data(tensor);
  size_t n = json_array_size(f);
  json_decref(f);
  return n;
}

float *tu_tensor_f32(const json_t *tensor, size_t *n) {
  json_t *f = flat_data(tensor);
  size_t len = json_array_size(f);
  float *out = malloc((len ? len : 1) * sizeof *out);
  for (size_t i = 0; i < len; i++) out[i] = (float)json_number_value(json_array_get(f, i));
  json_decref(f);
  if (n) *n = len;
  return out;
}

double *tu_tensor_f64(const json_t *tensor, size_t *n) {
  json_t *f = flat_data(tensor);
  size_t len = json_array_size(f);
  double *out = malloc((len ? len : 1) * sizeof *out);
  for (size_t i = 0; i < len; i++) out[i] = json_number_value(json_array_get(f, i));
  json_decref(f);
  if (n) *n = len;
  return out;
}

int64_t *tu_tensor_i64(const json_t *tensor, size_t *n) {
  json_t *f = flat_data(tensor);
  size_t len = json_array_size(f);
  int64_t *out = malloc((len ? len : 1) * sizeof *out);
  for (size_t i = 0; i < len; i++) {
    json_t *v = json_array_get(f, i);
    out[i] = json_is_true(v) ? 1 : json_is_false(v) ? 0 : (int64_t)json_number_value(v);
  }
  json_decref(f);
  if (n) *n = len;
  return out;
}

double tu_num(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  if (!json_is_number(v)) fail_msg("field %s is missing or not a number", key);
  return json_number_value(v);
}

static void check_close(double got, double ref, size_t i, double atol, double rtol,
                        const char *what) {
  double diff = fabs(got - ref);
  if (!(diff <= atol + rtol * fabs(ref)))
    fail_msg("%s[%zu]: got %.17g, want %.17g (|diff| %.3g > %.3g)", what, i, got, ref, diff,
             atol + rtol * fabs(ref));
}

void tu_assert_close_f32(const float *got, const double *ref, size_t n, double atol, double rtol,
                         const char *what) {
  for (size_t i = 0; i < n; i++) check_close(got[i], ref[i], i, atol, rtol, what);
}

void tu_assert_close_f64(const double *got, const double *ref, size_t n, double atol, double rtol,
                         const char *what) {
  for (size_t i = 0; i < n; i++) check_close(got[i], ref[i], i, atol, rtol, what);
}

int tu_run(const char *cmd, char **out) {
  FILE *p = popen(cmd, "r");
  if (!p) fail_msg("popen %s failed", cmd);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t got;
  while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
    len += got;
    if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  int rc = pclose(p);
  if (out)
    *out = buf;
  else
    free(buf);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

const char *tu_cli(void) {
  const char *v = getenv("MIMIC_CLI");
  if (!v || !*v) fail_msg("MIMIC_CLI is not set (run the tests through ctest)");
  return v;
}
