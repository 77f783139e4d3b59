/* Spaces as datasets describe them: Gymnasium's JSON serialisation (as
 * Minari stores it in metadata.json) to and from mimic_data_space.
 *
 * mimic computes in float32, but a file may say float64, uint8 or int64,
 * and a Discrete space may start anywhere. A mimic_data_space keeps both
 * views: the float32 mimic_space (Discrete as 0..n-1) and the file's dtype,
 * start and exact double bounds, so reading a space and writing it again
 * gives the same text. Bounds are printed in the C locale with 9
 * significant digits for float32, 17 for float64, integers for integer
 * dtypes, and Infinity/-Infinity as Python's json module writes them
 * (Jansson refuses non-finite reals, so the text is built by hand).
 *
 * Only Box and Discrete are supported; Dict, Tuple, Text, MultiDiscrete and
 * MultiBinary spaces are refused with a message saying so. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "data/data_impl.h"

static const char *const dtype_names[] = {"float32", "float64", "int8",   "int16",  "int32",
                                          "int64",   "uint8",   "uint16", "uint32", "uint64"};

const char *mimic_dtype_name(mimic_dtype t) {
  if ((unsigned)t < sizeof dtype_names / sizeof *dtype_names) return dtype_names[t];
  return "unknown";
}

static bool dtype_parse(const char *s, mimic_dtype *out) {
  for (size_t i = 0; i < sizeof dtype_names / sizeof *dtype_names; i++)
    if (strcmp(s, dtype_names[i]) == 0) {
      *out = (mimic_dtype)i;
      return true;
    }
  return false;
}

static bool dtype_is_int(mimic_dtype t) {
  return t != MIMIC_DTYPE_FLOAT32 && t != MIMIC_DTYPE_FLOAT64;
}

void mimic_data_space_free(mimic_data_space *s) {
  if (!s) return;
  free(s->low);
  free(s->high);
  free(s->lowf);
  free(s->highf);
  memset(s, 0, sizeof *s);
}

static mimic_status alloc_bounds(mimic_data_space *s, int dim) {
  size_t n = dim > 0 ? (size_t)dim : 1;
  s->low = mimic_calloc(n, sizeof(double), "space bounds");
  s->high = mimic_calloc(n, sizeof(double), "space bounds");
  s->lowf = mimic_calloc(n, sizeof(float), "space bounds");
  s->highf = mimic_calloc(n, sizeof(float), "space bounds");
  if (!s->low || !s->high || !s->lowf || !s->highf) {
    mimic_data_space_free(s);
    return MIMIC_ERR_NOMEM;
  }
  s->space.low = s->lowf;
  s->space.high = s->highf;
  return MIMIC_OK;
}

mimic_status mimic_data_space_from_env(mimic_data_space *out, const mimic_space *s) {
  memset(out, 0, sizeof *out);
  out->space = *s;
  out->space.low = out->space.high = NULL;
  if (s->kind == MIMIC_SPACE_DISCRETE) {
    if (s->n <= 0) return mimic_fail(MIMIC_ERR_INVALID, "Discrete space needs n > 0");
    out->dtype = MIMIC_DTYPE_INT64;
    out->space.dim = 1;
    out->space.ndim = 0;
    return MIMIC_OK;
  }
  if (s->dim <= 0 || s->ndim < 1 || s->ndim > MIMIC_SPACE_MAX_DIMS)
    return mimic_fail(MIMIC_ERR_INVALID, "Box space needs 1..%d dimensions and dim > 0",
                      MIMIC_SPACE_MAX_DIMS);
  out->dtype = MIMIC_DTYPE_FLOAT32;
  MIMIC_TRY(alloc_bounds(out, s->dim));
  for (int i = 0; i < s->dim; i++) {
    out->lowf[i] = s->low ? s->low[i] : -INFINITY;
    out->highf[i] = s->high ? s->high[i] : INFINITY;
    out->low[i] = out->lowf[i];
    out->high[i] = out->highf[i];
  }
  return MIMIC_OK;
}

mimic_status mimic_data_space_copy(mimic_data_space *dst, const mimic_data_space *src) {
  memset(dst, 0, sizeof *dst);
  dst->space = src->space;
  dst->dtype = src->dtype;
  dst->start = src->start;
  dst->space.low = dst->space.high = NULL;
  if (src->space.kind == MIMIC_SPACE_BOX) {
    MIMIC_TRY(alloc_bounds(dst, src->space.dim));
    size_t n = (size_t)src->space.dim;
    memcpy(dst->low, src->low, n * sizeof(double));
    memcpy(dst->high, src->high, n * sizeof(double));
    memcpy(dst->lowf, src->lowf, n * sizeof(float));
    memcpy(dst->highf, src->highf, n * sizeof(float));
  }
  return MIMIC_OK;
}

bool mimic_data_space_equal(const mimic_data_space *a, const mimic_data_space *b) {
  if (a->space.kind != b->space.kind || a->dtype != b->dtype) return false;
  if (a->space.kind == MIMIC_SPACE_DISCRETE)
    return a->space.n == b->space.n && a->start == b->start;
  if (a->space.ndim != b->space.ndim || a->space.dim != b->space.dim) return false;
  for (int d = 0; d < a->space.ndim; d++)
    if (a->space.shape[d] != b->space.shape[d]) return false;
  for (int i = 0; i < a->space.dim; i++) {
    /* NaN bounds never occur (refused on parse) */
    if (a->low[i] != b->low[i] || a->high[i] != b->high[i]) return false;
  }
  return true;
}

/* ---- parsing ---------------------------------------------------------- */

static mimic_status bound_value(const json_t *v, const char *which, double *out) {
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return MIMIC_OK;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    if (strcmp(s, "Infinity") == 0 || strcmp(s, "inf") == 0) {
      *out = INFINITY;
      return MIMIC_OK;
    }
    if (strcmp(s, "-Infinity") == 0 || strcmp(s, "-inf") == 0) {
      *out = -INFINITY;
      return MIMIC_OK;
    }
    if (strcmp(s, "NaN") == 0) return mimic_fail(MIMIC_ERR_FORMAT, "%s holds NaN", which);
  }
  return mimic_fail(MIMIC_ERR_FORMAT, "%s holds a value that is not a number", which);
}

/* Reads nested lists of exactly shape (or one scalar, broadcast) into out. */
static mimic_status read_bounds(const json_t *v, const char *which, const int *shape, int ndim,
                                int dim, double *out) {
  if (!json_is_array(v)) {
    double x;
    MIMIC_TRY(bound_value(v, which, &x));
    for (int i = 0; i < dim; i++) out[i] = x;
    return MIMIC_OK;
  }
  /* walk the nested lists depth first */
  int idx = 0;
  const json_t *stack[MIMIC_SPACE_MAX_DIMS];
  size_t pos[MIMIC_SPACE_MAX_DIMS] = {0};
  stack[0] = v;
  int depth = 0;
  if (json_array_size(v) != (size_t)shape[0])
    return mimic_fail(MIMIC_ERR_FORMAT, "%s has %zu entries, the shape wants %d", which,
                      json_array_size(v), shape[0]);
  while (depth >= 0) {
    if (pos[depth] == json_array_size(stack[depth])) {
      depth--;
      if (depth >= 0) pos[depth]++;
      continue;
    }
    const json_t *e = json_array_get(stack[depth], pos[depth]);
    if (depth + 1 < ndim) {
      if (!json_is_array(e) || json_array_size(e) != (size_t)shape[depth + 1])
        return mimic_fail(MIMIC_ERR_FORMAT, "%s is not a nested list of the space's shape", which);
      stack[depth + 1] = e;
      pos[depth + 1] = 0;
      depth++;
      continue;
    }
    if (json_is_array(e))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s is nested deeper than the space's shape", which);
    if (idx >= dim) return mimic_fail(MIMIC_ERR_FORMAT, "%s has too many values", which);
    MIMIC_TRY(bound_value(e, which, &out[idx++]));
    pos[depth]++;
  }
  if (idx != dim)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s has %d values, the shape wants %d", which, idx, dim);
  return MIMIC_OK;
}

static mimic_status parse_obj(mimic_data_space *out, const json_t *o) {
  if (!json_is_object(o)) return mimic_fail(MIMIC_ERR_FORMAT, "a space must be a JSON object");
  const char *type = json_string_value(json_object_get(o, "type"));
  if (!type) return mimic_fail(MIMIC_ERR_FORMAT, "the space has no \"type\"");
  if (strcmp(type, "Discrete") == 0) {
    const json_t *n = json_object_get(o, "n"), *start = json_object_get(o, "start");
    if (!json_is_integer(n))
      return mimic_fail(MIMIC_ERR_FORMAT, "Discrete space: \"n\" must be an integer");
    if (!start) return mimic_fail(MIMIC_ERR_FORMAT, "Discrete space: \"start\" is missing");
    if (!json_is_integer(start))
      return mimic_fail(MIMIC_ERR_FORMAT, "Discrete space: \"start\" must be an integer");
    json_int_t nv = json_integer_value(n);
    if (nv <= 0 || nv > (1 << 24))
      return mimic_fail(MIMIC_ERR_FORMAT, "Discrete space: n = %lld is outside 1..16777216",
                        (long long)nv);
    const char *dt = json_string_value(json_object_get(o, "dtype"));
    mimic_dtype d = MIMIC_DTYPE_INT64;
    if (dt && (!dtype_parse(dt, &d) || !dtype_is_int(d)))
      return mimic_fail(MIMIC_ERR_FORMAT, "Discrete space: dtype '%s' is not an integer type", dt);
    out->space.kind = MIMIC_SPACE_DISCRETE;
    out->space.n = (int)nv;
    out->space.dim = 1;
    out->space.ndim = 0;
    out->dtype = MIMIC_DTYPE_INT64;
    out->start = (int64_t)json_integer_value(start);
    return MIMIC_OK;
  }
  if (strcmp(type, "Box") != 0) {
    if (strcmp(type, "Dict") == 0 || strcmp(type, "Tuple") == 0 || strcmp(type, "Text") == 0 ||
        strcmp(type, "MultiDiscrete") == 0 || strcmp(type, "MultiBinary") == 0)
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s spaces are not supported by mimic (only Box and Discrete)", type);
    return mimic_fail(MIMIC_ERR_FORMAT, "unknown space type '%s'", type);
  }
  const char *dt = json_string_value(json_object_get(o, "dtype"));
  const json_t *shape = json_object_get(o, "shape");
  const json_t *low = json_object_get(o, "low"), *high = json_object_get(o, "high");
  if (!dt) return mimic_fail(MIMIC_ERR_FORMAT, "Box space: \"dtype\" is missing");
  if (!dtype_parse(dt, &out->dtype))
    return mimic_fail(MIMIC_ERR_FORMAT, "Box space: dtype '%s' is not supported", dt);
  if (!json_is_array(shape))
    return mimic_fail(MIMIC_ERR_FORMAT, "Box space: \"shape\" must be a list");
  if (!low || !high)
    return mimic_fail(MIMIC_ERR_FORMAT, "Box space: \"low\" and \"high\" are required");
  size_t nd = json_array_size(shape);
  if (nd < 1 || nd > MIMIC_SPACE_MAX_DIMS)
    return mimic_fail(MIMIC_ERR_FORMAT, "Box space: rank %zu is outside 1..%d", nd,
                      MIMIC_SPACE_MAX_DIMS);
  long long dim = 1;
  out->space.kind = MIMIC_SPACE_BOX;
  out->space.ndim = (int)nd;
  for (size_t i = 0; i < nd; i++) {
    const json_t *e = json_array_get(shape, i);
    if (!json_is_integer(e) || json_integer_value(e) <= 0 || json_integer_value(e) > (1 << 28))
      return mimic_fail(MIMIC_ERR_FORMAT, "Box space: shape entries must be positive integers");
    out->space.shape[i] = (int)json_integer_value(e);
    dim *= json_integer_value(e);
    if (dim > (1 << 28)) return mimic_fail(MIMIC_ERR_FORMAT, "Box space: shape is too large");
  }
  out->space.dim = (int)dim;
  MIMIC_TRY(alloc_bounds(out, (int)dim));
  mimic_status st =
      read_bounds(low, "Box space: \"low\"", out->space.shape, out->space.ndim, (int)dim, out->low);
  if (st == MIMIC_OK)
    st = read_bounds(high, "Box space: \"high\"", out->space.shape, out->space.ndim, (int)dim,
                     out->high);
  if (st != MIMIC_OK) {
    mimic_data_space_free(out);
    return st;
  }
  for (int i = 0; i < (int)dim; i++) {
    if (out->low[i] > out->high[i]) {
      mimic_data_space_free(out);
      return mimic_fail(MIMIC_ERR_FORMAT, "Box space: low[%d] > high[%d]", i, i);
    }
    out->lowf[i] = (float)out->low[i];
    out->highf[i] = (float)out->high[i];
    if (out->dtype == MIMIC_DTYPE_FLOAT32) { /* the bounds NumPy would hold */
      out->low[i] = out->lowf[i];
      out->high[i] = out->highf[i];
    }
  }
  return MIMIC_OK;
}

mimic_status mimic_data_space_parse(mimic_data_space *out, const char *json_text) {
  memset(out, 0, sizeof *out);
  char *q = mimic_json_quote_nonfinite(json_text);
  if (!q) return MIMIC_ERR_NOMEM;
  json_error_t err;
  json_t *o = json_loads(q, JSON_REJECT_DUPLICATES, &err);
  free(q);
  if (!o) return mimic_fail(MIMIC_ERR_FORMAT, "the space is not valid JSON: %s", err.text);
  mimic_status st = parse_obj(out, o);
  json_decref(o);
  if (st != MIMIC_OK) memset(out, 0, sizeof *out);
  return st;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct sbuf {
  char *p;
  size_t n, cap;
  bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_put(sbuf *b, const char *fmt, ...) {
  if (b->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->oom = true;
      return;
    }
    if (b->p && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc < b->n + (size_t)k + 1) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
      b->oom = true;
      return;
    }
    b->p = np;
    b->cap = nc;
  }
}

static void put_bound(sbuf *b, double v, mimic_dtype t) {
  if (isinf(v)) {
    sb_put(b, "%s", v > 0 ? "Infinity" : "-Infinity");
    return;
  }
  if (dtype_is_int(t)) {
    sb_put(b, "%.0f", v);
    return;
  }
  char tmp[64];
  snprintf(tmp, sizeof tmp, t == MIMIC_DTYPE_FLOAT32 ? "%.9g" : "%.17g", v);
  /* the C library may use a locale's decimal comma: JSON wants a point */
  for (char *c = tmp; *c; c++)
    if (*c == ',') *c = '.';
  if (!strpbrk(tmp, ".eE")) strncat(tmp, ".0", sizeof tmp - strlen(tmp) - 1);
  sb_put(b, "%s", tmp);
}

char *mimic_data_space_to_json(const mimic_data_space *s) {
  sbuf b = {0};
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    sb_put(&b, "{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": %lld, \"n\": %d}",
           (long long)s->start, s->space.n);
  } else {
    const mimic_space *sp = &s->space;
    sb_put(&b, "{\"type\": \"Box\", \"dtype\": \"%s\", \"shape\": [", mimic_dtype_name(s->dtype));
    for (int d = 0; d < sp->ndim; d++) sb_put(&b, "%s%d", d ? ", " : "", sp->shape[d]);
    sb_put(&b, "]");
    for (int which = 0; which < 2; which++) {
      const double *v = which ? s->high : s->low;
      sb_put(&b, ", \"%s\": ", which ? "high" : "low");
      int idx[MIMIC_SPACE_MAX_DIMS] = {0};
      for (int d = 0; d < sp->ndim; d++) sb_put(&b, "[");
      for (int i = 0; i < sp->dim; i++) {
        if (i) {
          int closes = 0;
          for (int d = sp->ndim - 1; d > 0 && idx[d] == 0; d--) closes++;
          for (int c = 0; c < closes; c++) sb_put(&b, "]");
          sb_put(&b, ", ");
          for (int c = 0; c < closes; c++) sb_put(&b, "[");
        }
        put_bound(&b, v[i], s->dtype);
        for (int d = sp->ndim - 1; d >= 0; d--) {
          if (++idx[d] < sp->shape[d]) break;
          idx[d] = 0;
        }
      }
      for (int d = 0; d < sp->ndim; d++) sb_put(&b, "]");
    }
    sb_put(&b, "}");
  }
  if (b.oom || !b.p) {
    free(b.p);
    mimic_fail_nomem("space JSON");
    return NULL;
  }
  return b.p;
}

/* ---- metadata helpers ---------------------------------------------------- */

void mimic_dataset_meta_init(mimic_dataset_meta *m) {
  memset(m, 0, sizeof *m);
  m->ref_min_score = NAN;
  m->ref_max_score = NAN;
}

void mimic_dataset_meta_free(mimic_dataset_meta *m) {
  if (!m) return;
  free(m->dataset_id);
  free(m->env_id);
  free(m->env_spec);
  free(m->algorithm_name);
  free(m->author);
  free(m->description);
  free(m->extra_json);
  mimic_dataset_meta_init(m);
}

mimic_status mimic_dataset_meta_set(char **field, const char *value) {
  char *c = NULL;
  if (value && !(c = mimic_strdup(value))) return MIMIC_ERR_NOMEM;
  free(*field);
  *field = c;
  return MIMIC_OK;
}

mimic_status mimic_dataset_meta_copy(mimic_dataset_meta *dst, const mimic_dataset_meta *src) {
  mimic_dataset_meta_init(dst);
  dst->max_episode_steps = src->max_episode_steps;
  dst->ref_min_score = src->ref_min_score;
  dst->ref_max_score = src->ref_max_score;
  if (mimic_dataset_meta_set(&dst->dataset_id, src->dataset_id) ||
      mimic_dataset_meta_set(&dst->env_id, src->env_id) ||
      mimic_dataset_meta_set(&dst->env_spec, src->env_spec) ||
      mimic_dataset_meta_set(&dst->algorithm_name, src->algorithm_name) ||
      mimic_dataset_meta_set(&dst->author, src->author) ||
      mimic_dataset_meta_set(&dst->description, src->description) ||
      mimic_dataset_meta_set(&dst->extra_json, src->extra_json)) {
    mimic_dataset_meta_free(dst);
    return MIMIC_ERR_NOMEM;
  }
  return MIMIC_OK;
}

static bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool mimic_dataset_id_valid(const char *id) {
  if (!id || !*id) return false;
  const char *last = strrchr(id, '/');
  const char *name = last ? last + 1 : id;
  /* namespace parts: at least 2 characters each */
  const char *p = id;
  while (p < name) {
    const char *slash = strchr(p, '/');
    if (slash - p < 2) return false;
    for (const char *c = p; c < slash; c++)
      if (!id_char(*c)) return false;
    p = slash + 1;
  }
  size_t n = strlen(name);
  if (n < 3) return false;
  for (size_t i = 0; i < n; i++)
    if (!id_char(name[i])) return false;
  /* ends in -v<digits> with a non-empty name before it */
  size_t k = n;
  while (k > 0 && name[k - 1] >= '0' && name[k - 1] <= '9') k--;
  if (k == n || k < 3 || name[k - 1] != 'v' || name[k - 2] != '-') return false;
  return true;
}
