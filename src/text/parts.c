/* The text layer's model parts in a model container (docs/model-file.md):
 * a TF-IDF vectorizer, a linear model and a list of class names, each under
 * its own meta key with float64 arrays named "<key>.<what>". The text
 * classifier and the agent model are built from these parts.
 *
 * Settings and vocabularies are JSON (readable, and exactly scikit-learn's
 * parameter names); weights and idf are float64 arrays, so a model read
 * back predicts bit for bit what it predicted when it was saved. Imports
 * trust nothing: every setting is range-checked, terms are sorted and
 * unique, counts agree with array lengths; the container has already
 * checked that every float is finite. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "text/text_impl.h"
#include "text/parts.h"

mimic_status part_add(mimic_container *c, const char *key, const char *suffix, const double *data,
                      uint64_t len) {
  char name[256];
  int w = snprintf(name, sizeof name, "%s.%s", key, suffix);
  if (w < 0 || (size_t)w >= sizeof name)
    return mimic_fail(MIMIC_ERR_INVALID, "model file: array name '%s.%s' is too long", key, suffix);
  return mimic_container_add(c, name, MIMIC_ARRAY_F8, data, len);
}

mimic_status part_get(const mimic_container *c, const char *key, const char *suffix, uint64_t len,
                      const double **data) {
  char name[256];
  snprintf(name, sizeof name, "%s.%s", key, suffix);
  return mimic_container_get(c, name, MIMIC_ARRAY_F8, len, (const void **)data);
}

mimic_status part_bad(const mimic_container *c, const char *key, const char *what) {
  char field[128];
  snprintf(field, sizeof field, "meta.%s", key);
  return mimic_container_fail(c, field, "%s", what);
}

static json_t *bound_json(mimic_df_bound b) {
  return b.fraction ? json_real(b.value) : json_integer((json_int_t)b.value);
}

mimic_status mimic_tfidf_export(const mimic_tfidf *v, const char *key, mimic_container *c) {
  json_t *o = json_object(), *terms = json_array(), *df = json_array(), *ng = json_array();
  if (!o || !terms || !df || !ng) {
    json_decref(o);
    json_decref(terms);
    json_decref(df);
    json_decref(ng);
    return mimic_fail_nomem("model header");
  }
  const mimic_tfidf_config *k = &v->cfg;
  json_object_set_new(o, "type", json_string("tfidf"));
  json_object_set_new(o, "lowercase", json_boolean(k->lowercase));
  json_object_set_new(o, "token_pattern", json_string("(?u)\\b\\w\\w+\\b"));
  json_array_append_new(ng, json_integer(k->ngram_min));
  json_array_append_new(ng, json_integer(k->ngram_max));
  json_object_set_new(o, "ngram_range", ng);
  json_object_set_new(o, "min_df", bound_json(k->min_df));
  json_object_set_new(o, "max_df", bound_json(k->max_df));
  json_object_set_new(o, "max_features",
                      k->max_features ? json_integer(k->max_features) : json_null());
  json_object_set_new(o, "sublinear_tf", json_boolean(k->sublinear_tf));
  json_object_set_new(o, "use_idf", json_boolean(k->use_idf));
  json_object_set_new(o, "smooth_idf", json_boolean(k->smooth_idf));
  json_object_set_new(o, "norm", k->norm_l2 ? json_string("l2") : json_null());
  json_object_set_new(o, "n_docs", json_integer(v->n_docs));
  for (int64_t t = 0; t < v->n_features; t++) {
    json_array_append_new(terms, json_string(mimic_tfidf_term(v, t)));
    json_array_append_new(df, json_integer(v->df[t]));
  }
  json_object_set_new(o, "terms", terms);
  json_object_set_new(o, "df", df);
  json_object_set_new(c->meta, key, o);
  return part_add(c, key, "idf", v->idf, (uint64_t)v->n_features);
}

static mimic_status bound_from(const json_t *j, mimic_df_bound *b) {
  if (json_is_integer(j)) {
    b->fraction = false;
    b->value = (double)json_integer_value(j);
  } else if (json_is_real(j)) {
    b->fraction = true;
    b->value = json_real_value(j);
  } else {
    return MIMIC_ERR_FORMAT;
  }
  return MIMIC_OK;
}

mimic_status mimic_tfidf_import(mimic_tfidf *v, const mimic_container *f, const char *key) {
  memset(v, 0, sizeof *v);
  const json_t *o = json_object_get(f->meta, key);
  if (!json_is_object(o)) return part_bad(f, key, "missing");
  const json_t *type = json_object_get(o, "type");
  if (!json_is_string(type) || strcmp(json_string_value(type), "tfidf"))
    return part_bad(f, key, "type is not 'tfidf'");
  mimic_tfidf_config c;
  mimic_tfidf_config_default(&c);
  const json_t *ng = json_object_get(o, "ngram_range");
  if (!json_is_array(ng) || json_array_size(ng) != 2 || !json_is_integer(json_array_get(ng, 0)) ||
      !json_is_integer(json_array_get(ng, 1)))
    return part_bad(f, key, "ngram_range must be two integers");
  json_int_t lo = json_integer_value(json_array_get(ng, 0)),
             hi = json_integer_value(json_array_get(ng, 1));
  if (lo < 1 || hi < lo || hi > 16) return part_bad(f, key, "ngram_range out of range");
  c.ngram_min = (int)lo;
  c.ngram_max = (int)hi;
  if (bound_from(json_object_get(o, "min_df"), &c.min_df) ||
      bound_from(json_object_get(o, "max_df"), &c.max_df))
    return part_bad(f, key, "min_df/max_df must be numbers");
  const json_t *mf = json_object_get(o, "max_features");
  if (json_is_integer(mf) && json_integer_value(mf) > 0)
    c.max_features = json_integer_value(mf);
  else if (!json_is_null(mf))
    return part_bad(f, key, "max_features must be null or a positive integer");
  const char *flags[] = {"lowercase", "sublinear_tf", "use_idf", "smooth_idf"};
  bool *dst[] = {&c.lowercase, &c.sublinear_tf, &c.use_idf, &c.smooth_idf};
  for (int i = 0; i < 4; i++) {
    const json_t *j = json_object_get(o, flags[i]);
    if (!json_is_boolean(j)) return part_bad(f, key, "a flag is not true/false");
    *dst[i] = json_is_true(j);
  }
  const json_t *norm = json_object_get(o, "norm");
  if (json_is_null(norm))
    c.norm_l2 = false;
  else if (json_is_string(norm) && !strcmp(json_string_value(norm), "l2"))
    c.norm_l2 = true;
  else
    return part_bad(f, key, "norm must be 'l2' or null");
  if (mimic_tfidf_config_check(&c)) return mimic_errctx("%s: meta.%s", f->name, key);
  const json_t *nd = json_object_get(o, "n_docs"), *terms = json_object_get(o, "terms"),
               *df = json_object_get(o, "df");
  if (!json_is_integer(nd) || json_integer_value(nd) < 1)
    return part_bad(f, key, "n_docs must be a positive integer");
  if (!json_is_array(terms) || !json_is_array(df) ||
      json_array_size(terms) != json_array_size(df) || json_array_size(terms) < 1 ||
      json_array_size(terms) > INT32_MAX)
    return part_bad(f, key, "terms and df must be arrays of the same, non-zero length");
  int64_t V = (int64_t)json_array_size(terms), n_docs = json_integer_value(nd);
  const double *idf;
  MIMIC_TRY(part_get(f, key, "idf", (uint64_t)V, &idf));
  size_t bytes = 0;
  for (int64_t t = 0; t < V; t++) {
    const json_t *s = json_array_get(terms, (size_t)t);
    if (!json_is_string(s) || json_string_length(s) == 0 ||
        strlen(json_string_value(s)) != json_string_length(s))
      return part_bad(f, key, "every term must be a non-empty string without NUL");
    bytes += json_string_length(s) + 1;
  }
  char *buf = mimic_malloc(bytes, "vocabulary");
  int64_t *off = mimic_malloc(((size_t)V + 1) * sizeof *off, "vocabulary");
  int64_t *dfv = mimic_malloc((size_t)V * sizeof *dfv, "document frequencies");
  double *idfv = mimic_malloc((size_t)V * sizeof *idfv, "idf");
  if (!buf || !off || !dfv || !idfv) {
    free(buf);
    free(off);
    free(dfv);
    free(idfv);
    return MIMIC_ERR_NOMEM;
  }
  int64_t q = 0;
  mimic_status st = MIMIC_OK;
  for (int64_t t = 0; t < V && st == MIMIC_OK; t++) {
    const json_t *s = json_array_get(terms, (size_t)t);
    size_t n = json_string_length(s);
    off[t] = q;
    memcpy(buf + q, json_string_value(s), n + 1);
    if (t > 0) {
      const char *prev = buf + off[t - 1];
      size_t pn = (size_t)(off[t] - off[t - 1] - 1);
      int c = memcmp(prev, buf + q, pn < n ? pn : n);
      if (c > 0 || (c == 0 && pn >= n)) st = part_bad(f, key, "terms are not sorted and unique");
    }
    q += (int64_t)n + 1;
    const json_t *d = json_array_get(df, (size_t)t);
    if (st == MIMIC_OK &&
        (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > n_docs))
      st = part_bad(f, key, "df values must be integers in 1..n_docs");
    if (st == MIMIC_OK) dfv[t] = json_integer_value(d);
    if (st == MIMIC_OK && !(idf[t] > 0)) st = part_bad(f, key, "idf values must be positive");
    idfv[t] = idf[t];
  }
  off[V] = q;
  if (st) {
    free(buf);
    free(off);
    free(dfv);
    free(idfv);
    return st;
  }
  return mimic_tfidf_assemble(v, &c, n_docs, buf, off, dfv, idfv, V);
}

mimic_status mimic_linear_export(const mimic_linear *m, const char *key, mimic_container *c) {
  json_t *o = json_object();
  if (!o) return mimic_fail_nomem("model header");
  json_object_set_new(o, "type", json_string(mimic_linear_kind_name(m->kind)));
  json_object_set_new(o, "n_classes", json_integer(m->n_classes));
  json_object_set_new(o, "n_features", json_integer(m->n_features));
  json_object_set_new(o, "C", json_real(m->C));
  json_object_set_new(o, "bias", json_real(m->bias));
  json_object_set_new(o, "n_iter", json_integer(m->n_iter));
  json_object_set_new(o, "objective", json_real(m->objective));
  json_object_set_new(o, "layout", json_string("w[feature * n_classes + class]"));
  json_object_set_new(c->meta, key, o);
  MIMIC_TRY(part_add(c, key, "w", m->w, (uint64_t)(m->n_features * m->n_classes)));
  return part_add(c, key, "intercept", m->intercept, (uint64_t)m->n_classes);
}

mimic_status mimic_linear_import(mimic_linear *m, const mimic_container *f, const char *key) {
  memset(m, 0, sizeof *m);
  const json_t *o = json_object_get(f->meta, key);
  if (!json_is_object(o)) return part_bad(f, key, "missing");
  const json_t *type = json_object_get(o, "type"), *K = json_object_get(o, "n_classes"),
               *V = json_object_get(o, "n_features"), *C = json_object_get(o, "C"),
               *B = json_object_get(o, "bias"), *it = json_object_get(o, "n_iter"),
               *obj = json_object_get(o, "objective");
  mimic_linear_kind kind;
  if (!json_is_string(type) || mimic_linear_kind_parse(json_string_value(type), &kind))
    return part_bad(f, key, "type must be 'ovr' or 'softmax'");
  if (!json_is_integer(K) || json_integer_value(K) < 1 || json_integer_value(K) > 1000000 ||
      !json_is_integer(V) || json_integer_value(V) < 0 || json_integer_value(V) > INT32_MAX ||
      !json_is_number(C) || !(json_number_value(C) > 0) || !json_is_number(B) ||
      !isfinite(json_number_value(B)))
    return part_bad(f, key, "n_classes, n_features, C or bias missing or out of range");
  int64_t nk = json_integer_value(K), nv = json_integer_value(V);
  if ((uint64_t)nk * (uint64_t)nv > (uint64_t)1 << 40) return part_bad(f, key, "model too large");
  const double *w, *b;
  MIMIC_TRY(part_get(f, key, "w", (uint64_t)(nk * nv), &w));
  MIMIC_TRY(part_get(f, key, "intercept", (uint64_t)nk, &b));
  MIMIC_TRY(linear_alloc(m, kind, (int)nk, nv));
  memcpy(m->w, w, (size_t)(nk * nv) * sizeof *w);
  memcpy(m->intercept, b, (size_t)nk * sizeof *b);
  m->C = json_number_value(C);
  m->bias = json_number_value(B);
  m->n_iter = json_is_integer(it) ? (int)json_integer_value(it) : 0;
  m->objective = json_is_number(obj) ? json_number_value(obj) : 0.0;
  return MIMIC_OK;
}

mimic_status mimic_labelset_export(const mimic_labelset *ls, const char *key, mimic_container *c) {
  json_t *a = json_array();
  if (!a) return mimic_fail_nomem("model header");
  for (int k = 0; k < ls->n; k++) json_array_append_new(a, json_string(ls->names[k]));
  json_object_set_new(c->meta, key, a);
  return MIMIC_OK;
}

mimic_status mimic_labelset_import(mimic_labelset *ls, const mimic_container *f, const char *key) {
  memset(ls, 0, sizeof *ls);
  const json_t *a = json_object_get(f->meta, key);
  if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > 1000000)
    return part_bad(f, key, "must be a non-empty array of class names");
  size_t n = json_array_size(a);
  const char **names = mimic_malloc(n * sizeof *names, "class names");
  if (!names) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    const json_t *s = json_array_get(a, i);
    if (!json_is_string(s) || json_string_length(s) == 0 ||
        strlen(json_string_value(s)) != json_string_length(s) ||
        (i > 0 && strcmp(names[i - 1], json_string_value(s)) >= 0)) {
      free(names);
      return part_bad(f, key, "class names must be non-empty strings, sorted and unique");
    }
    names[i] = json_string_value(s);
  }
  mimic_status st = mimic_labelset_from_names(ls, names, (int)n);
  free(names);
  return st;
}
