/* Model files: one durable, self-describing file per model (docs/model-file.md).
 *
 *   bytes 0-7    magic "MIMICMDL"
 *   bytes 8-11   format version, uint32 little-endian (1)
 *   bytes 12-15  header length H, uint32 little-endian (at most 64 MiB)
 *   H bytes      JSON header (UTF-8): {"format", "version", "kind", "meta",
 *                "arrays": [{"name", "dtype": "<f8", "count"}, ...]}
 *   zero bytes   padding to a multiple of 8
 *   arrays       each count * 8 bytes of little-endian IEEE-754 doubles,
 *                back to back in header order
 *   last 4       CRC-32 (zlib's) of every byte before it, little-endian
 *
 * JSON keeps the file readable by any tool (Python: json.loads(header),
 * np.frombuffer(body, '<f8')); binary arrays keep it small and fast (a
 * BANKING77 model loads in a few milliseconds). The writer goes through
 * mimic_atomic_file (temp file, fsync, rename). The reader trusts nothing:
 * it checks the magic, version, every length against the file size before
 * allocating, the CRC, JSON well-formedness (duplicate keys rejected), the
 * array table, and that the arrays exactly fill the file. Component
 * importers (vectorizer, linear model, class list) then validate their
 * meta and arrays: sorted unique terms, finite weights, consistent sizes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "text/text_impl.h"

static const char MAGIC[8] = {'M', 'I', 'M', 'I', 'C', 'M', 'D', 'L'};
enum { MFILE_VERSION = 1 };
#define MAX_HEADER (64u << 20)

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static double get_f64(const uint8_t *p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u |= (uint64_t)p[i] << (8 * i);
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* Writes bytes and folds them into the CRC. */
static mimic_status wr(mimic_atomic_file *f, uint32_t *crc, const void *p, size_t n) {
  if (n && fwrite(p, 1, n, f->fp) != n)
    return mimic_fail(MIMIC_ERR_IO, "%s: write failed", f->path);
  *crc = mimic_crc32(*crc, p, n);
  return MIMIC_OK;
}

mimic_status mimic_mfile_write(const char *path, const char *kind, const json_t *meta,
                               const mimic_mfile_array *arrays, int n_arrays) {
  json_t *hdr = json_object();
  json_t *tab = json_array();
  if (!hdr || !tab) {
    json_decref(hdr);
    json_decref(tab);
    return mimic_fail_nomem("model header");
  }
  json_object_set_new(hdr, "format", json_string("mimic-model"));
  json_object_set_new(hdr, "version", json_integer(MFILE_VERSION));
  json_object_set_new(hdr, "kind", json_string(kind));
  json_object_set(hdr, "meta", (json_t *)meta);
  for (int a = 0; a < n_arrays; a++) {
    for (int b = 0; b < a; b++)
      if (!strcmp(arrays[a].name, arrays[b].name)) {
        json_decref(hdr);
        json_decref(tab);
        return mimic_fail(MIMIC_ERR_INVALID, "model file: array '%s' given twice", arrays[a].name);
      }
    json_t *e = json_object();
    json_object_set_new(e, "name", json_string(arrays[a].name));
    json_object_set_new(e, "dtype", json_string("<f8"));
    json_object_set_new(e, "count", json_integer((json_int_t)arrays[a].n));
    json_array_append_new(tab, e);
  }
  json_object_set_new(hdr, "arrays", tab);
  char *text = json_dumps(hdr, JSON_COMPACT);
  json_decref(hdr);
  if (!text) return mimic_fail_nomem("model header");
  size_t H = strlen(text);
  if (H > MAX_HEADER) {
    free(text);
    return mimic_fail(MIMIC_ERR_RANGE, "%s: model header of %zu bytes is over 64 MiB", path, H);
  }
  mimic_atomic_file f;
  mimic_status st = mimic_atomic_open(&f, path);
  if (st) {
    free(text);
    return st;
  }
  uint32_t crc = 0;
  uint8_t head[16];
  memcpy(head, MAGIC, 8);
  put_u32(head + 8, MFILE_VERSION);
  put_u32(head + 12, (uint32_t)H);
  static const uint8_t zeros[8] = {0};
  st = wr(&f, &crc, head, 16);
  if (!st) st = wr(&f, &crc, text, H);
  if (!st) st = wr(&f, &crc, zeros, (8 - (16 + H) % 8) % 8);
  free(text);
  uint8_t buf[4096];
  for (int a = 0; !st && a < n_arrays; a++) {
    for (uint64_t i = 0; !st && i < arrays[a].n;) {
      size_t k = 0;
      for (; k < sizeof buf / 8 && i < arrays[a].n; k++, i++) {
        uint64_t u;
        memcpy(&u, &arrays[a].data[i], 8);
        for (int b = 0; b < 8; b++) buf[8 * k + (size_t)b] = (uint8_t)(u >> (8 * b));
      }
      st = wr(&f, &crc, buf, 8 * k);
    }
  }
  if (!st) {
    uint8_t tail[4];
    put_u32(tail, crc);
    st = wr(&f, &crc, tail, 4);
  }
  if (st) {
    mimic_atomic_abort(&f);
    return st;
  }
  return mimic_atomic_commit(&f);
}

void mimic_mfile_free(mimic_mfile *f) {
  if (!f) return;
  for (int a = 0; a < f->n_arrays; a++) {
    if (f->names) free(f->names[a]);
    if (f->data) free(f->data[a]);
  }
  free(f->names);
  free(f->data);
  free(f->len);
  free(f->path);
  free(f->kind);
  json_decref(f->meta);
  memset(f, 0, sizeof *f);
}

mimic_status mimic_mfile_read(const char *path, const char *want_kind, mimic_mfile *f) {
  memset(f, 0, sizeof *f);
  char *raw = NULL;
  size_t size = 0;
  MIMIC_TRY(mimic_read_file(path, &raw, &size));
  const uint8_t *b = (const uint8_t *)raw;
  mimic_status st = MIMIC_OK;
  json_t *hdr = NULL;
  if (size < 20 || memcmp(b, MAGIC, 8) != 0) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: not a mimic model file (no MIMICMDL signature)", path);
    goto done;
  }
  uint32_t version = get_u32(b + 8), H = get_u32(b + 12);
  if (version != MFILE_VERSION) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: model file version %u (this mimic reads version %d)",
                    path, version, MFILE_VERSION);
    goto done;
  }
  if (H > MAX_HEADER || (uint64_t)H + 20 > size) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: header length %u does not fit the file (%zu bytes)",
                    path, H, size);
    goto done;
  }
  uint32_t crc_stored = get_u32(b + size - 4), crc = mimic_crc32(0, b, size - 4);
  if (crc != crc_stored) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: checksum mismatch (the file is damaged or truncated)",
                    path);
    goto done;
  }
  json_error_t jerr;
  hdr = json_loadb(raw + 16, H, JSON_REJECT_DUPLICATES, &jerr);
  if (!hdr || !json_is_object(hdr)) {
    st =
        mimic_fail(MIMIC_ERR_FORMAT, "%s: header: %s", path, hdr ? "not a JSON object" : jerr.text);
    goto done;
  }
  const json_t *fmt = json_object_get(hdr, "format"), *kind = json_object_get(hdr, "kind"),
               *meta = json_object_get(hdr, "meta"), *tab = json_object_get(hdr, "arrays");
  if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "mimic-model") != 0 ||
      !json_is_string(kind) || !json_is_object(meta) || !json_is_array(tab)) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: header: want string 'format' = mimic-model, string 'kind', object "
                    "'meta' and array 'arrays'",
                    path);
    goto done;
  }
  if (want_kind && strcmp(json_string_value(kind), want_kind) != 0) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: holds a '%s', not a '%s'", path, json_string_value(kind),
                    want_kind);
    goto done;
  }
  size_t na = json_array_size(tab);
  if (na > 4096) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: header: %zu arrays is too many", path, na);
    goto done;
  }
  uint64_t body = (uint64_t)size - 4 - (16 + H + (8 - (16 + H) % 8) % 8), need = 0;
  if ((uint64_t)16 + H + (8 - (16 + H) % 8) % 8 + 4 > size) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: truncated after the header", path);
    goto done;
  }
  for (size_t a = 0; a < na; a++) {
    const json_t *e = json_array_get(tab, a);
    const json_t *nm = json_object_get(e, "name"), *dt = json_object_get(e, "dtype"),
                 *ct = json_object_get(e, "count");
    if (!json_is_string(nm) || !json_is_string(dt) || strcmp(json_string_value(dt), "<f8") != 0 ||
        !json_is_integer(ct) || json_integer_value(ct) < 0 ||
        (uint64_t)json_integer_value(ct) > body / 8) {
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: header: array entry %zu needs a name, dtype '<f8' and a count that "
                      "fits the file",
                      path, a);
      goto done;
    }
    for (size_t c = 0; c < a; c++)
      if (!strcmp(json_string_value(json_object_get(json_array_get(tab, c), "name")),
                  json_string_value(nm))) {
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: header: array '%s' listed twice", path,
                        json_string_value(nm));
        goto done;
      }
    need += 8 * (uint64_t)json_integer_value(ct);
  }
  if (need != body) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: arrays take %llu bytes but the file holds %llu", path,
                    (unsigned long long)need, (unsigned long long)body);
    goto done;
  }
  f->path = mimic_strdup(path);
  f->kind = mimic_strdup(json_string_value(kind));
  f->names = mimic_calloc(na ? na : 1, sizeof *f->names, "model arrays");
  f->data = mimic_calloc(na ? na : 1, sizeof *f->data, "model arrays");
  f->len = mimic_calloc(na ? na : 1, sizeof *f->len, "model arrays");
  if (!f->path || !f->kind || !f->names || !f->data || !f->len) {
    st = MIMIC_ERR_NOMEM;
    goto done;
  }
  const uint8_t *p = b + 16 + H + (8 - (16 + H) % 8) % 8;
  for (size_t a = 0; a < na; a++) {
    const json_t *e = json_array_get(tab, a);
    uint64_t n = (uint64_t)json_integer_value(json_object_get(e, "count"));
    f->names[a] = mimic_strdup(json_string_value(json_object_get(e, "name")));
    f->data[a] = mimic_malloc((size_t)(n ? n : 1) * sizeof(double), "model array");
    f->n_arrays = (int)a + 1;
    if (!f->names[a] || !f->data[a]) {
      st = MIMIC_ERR_NOMEM;
      goto done;
    }
    for (uint64_t i = 0; i < n; i++, p += 8) f->data[a][i] = get_f64(p);
    f->len[a] = n;
  }
  f->meta = json_incref(json_object_get(hdr, "meta"));
done:
  json_decref(hdr);
  free(raw);
  if (st) mimic_mfile_free(f);
  return st;
}

mimic_status mimic_mfile_get(const mimic_mfile *f, const char *name, uint64_t n,
                             const double **data) {
  for (int a = 0; a < f->n_arrays; a++)
    if (!strcmp(f->names[a], name)) {
      if (f->len[a] != n)
        return mimic_fail(MIMIC_ERR_FORMAT, "%s: array '%s' has %llu values, want %llu", f->path,
                          name, (unsigned long long)f->len[a], (unsigned long long)n);
      for (uint64_t i = 0; i < n; i++)
        if (!isfinite(f->data[a][i]))
          return mimic_fail(MIMIC_ERR_FORMAT, "%s: array '%s': value %llu is not finite", f->path,
                            name, (unsigned long long)i);
      *data = f->data[a];
      return MIMIC_OK;
    }
  return mimic_fail(MIMIC_ERR_FORMAT, "%s: array '%s' is missing", f->path, name);
}

/* ---- components -------------------------------------------------------- */

mimic_status mfile_add_named(mimic_mfile_array *arrays, int *n, int max, const char *key,
                             const char *suffix, const double *data, uint64_t len) {
  if (*n >= max) return mimic_fail(MIMIC_ERR_RANGE, "model file: too many arrays");
  int w = snprintf(arrays[*n].name, sizeof arrays[*n].name, "%s.%s", key, suffix);
  if (w < 0 || (size_t)w >= sizeof arrays[*n].name)
    return mimic_fail(MIMIC_ERR_INVALID, "model file: array name '%s.%s' is too long", key, suffix);
  arrays[*n].data = data;
  arrays[*n].n = len;
  (*n)++;
  return MIMIC_OK;
}

static json_t *bound_json(mimic_df_bound b) {
  return b.fraction ? json_real(b.value) : json_integer((json_int_t)b.value);
}

mimic_status mimic_tfidf_export(const mimic_tfidf *v, const char *key, json_t *meta,
                                mimic_mfile_array *arrays, int *n_arrays, int max_arrays) {
  json_t *o = json_object(), *terms = json_array(), *df = json_array(), *ng = json_array();
  if (!o || !terms || !df || !ng) {
    json_decref(o);
    json_decref(terms);
    json_decref(df);
    json_decref(ng);
    return mimic_fail_nomem("model header");
  }
  const mimic_tfidf_config *c = &v->cfg;
  json_object_set_new(o, "type", json_string("tfidf"));
  json_object_set_new(o, "lowercase", json_boolean(c->lowercase));
  json_object_set_new(o, "token_pattern", json_string("(?u)\\b\\w\\w+\\b"));
  json_array_append_new(ng, json_integer(c->ngram_min));
  json_array_append_new(ng, json_integer(c->ngram_max));
  json_object_set_new(o, "ngram_range", ng);
  json_object_set_new(o, "min_df", bound_json(c->min_df));
  json_object_set_new(o, "max_df", bound_json(c->max_df));
  json_object_set_new(o, "max_features",
                      c->max_features ? json_integer(c->max_features) : json_null());
  json_object_set_new(o, "sublinear_tf", json_boolean(c->sublinear_tf));
  json_object_set_new(o, "use_idf", json_boolean(c->use_idf));
  json_object_set_new(o, "smooth_idf", json_boolean(c->smooth_idf));
  json_object_set_new(o, "norm", c->norm_l2 ? json_string("l2") : json_null());
  json_object_set_new(o, "n_docs", json_integer(v->n_docs));
  for (int64_t t = 0; t < v->n_features; t++) {
    json_array_append_new(terms, json_string(mimic_tfidf_term(v, t)));
    json_array_append_new(df, json_integer(v->df[t]));
  }
  json_object_set_new(o, "terms", terms);
  json_object_set_new(o, "df", df);
  json_object_set_new(meta, key, o);
  return mfile_add_named(arrays, n_arrays, max_arrays, key, "idf", v->idf, (uint64_t)v->n_features);
}

mimic_status mfile_bad(const mimic_mfile *f, const char *key, const char *what) {
  return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.%s: %s", f->path, key, what);
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

mimic_status mimic_tfidf_import(mimic_tfidf *v, const mimic_mfile *f, const char *key) {
  memset(v, 0, sizeof *v);
  const json_t *o = json_object_get(f->meta, key);
  if (!json_is_object(o)) return mfile_bad(f, key, "missing");
  const json_t *type = json_object_get(o, "type");
  if (!json_is_string(type) || strcmp(json_string_value(type), "tfidf"))
    return mfile_bad(f, key, "type is not 'tfidf'");
  mimic_tfidf_config c;
  mimic_tfidf_config_default(&c);
  const json_t *ng = json_object_get(o, "ngram_range");
  if (!json_is_array(ng) || json_array_size(ng) != 2 || !json_is_integer(json_array_get(ng, 0)) ||
      !json_is_integer(json_array_get(ng, 1)))
    return mfile_bad(f, key, "ngram_range must be two integers");
  json_int_t lo = json_integer_value(json_array_get(ng, 0)),
             hi = json_integer_value(json_array_get(ng, 1));
  if (lo < 1 || hi < lo || hi > 16) return mfile_bad(f, key, "ngram_range out of range");
  c.ngram_min = (int)lo;
  c.ngram_max = (int)hi;
  if (bound_from(json_object_get(o, "min_df"), &c.min_df) ||
      bound_from(json_object_get(o, "max_df"), &c.max_df))
    return mfile_bad(f, key, "min_df/max_df must be numbers");
  const json_t *mf = json_object_get(o, "max_features");
  if (json_is_integer(mf) && json_integer_value(mf) > 0)
    c.max_features = json_integer_value(mf);
  else if (!json_is_null(mf))
    return mfile_bad(f, key, "max_features must be null or a positive integer");
  const char *flags[] = {"lowercase", "sublinear_tf", "use_idf", "smooth_idf"};
  bool *dst[] = {&c.lowercase, &c.sublinear_tf, &c.use_idf, &c.smooth_idf};
  for (int i = 0; i < 4; i++) {
    const json_t *j = json_object_get(o, flags[i]);
    if (!json_is_boolean(j)) return mfile_bad(f, key, "a flag is not true/false");
    *dst[i] = json_is_true(j);
  }
  const json_t *norm = json_object_get(o, "norm");
  if (json_is_null(norm))
    c.norm_l2 = false;
  else if (json_is_string(norm) && !strcmp(json_string_value(norm), "l2"))
    c.norm_l2 = true;
  else
    return mfile_bad(f, key, "norm must be 'l2' or null");
  if (mimic_tfidf_config_check(&c)) return mimic_errctx("%s: meta.%s", f->path, key);
  const json_t *nd = json_object_get(o, "n_docs"), *terms = json_object_get(o, "terms"),
               *df = json_object_get(o, "df");
  if (!json_is_integer(nd) || json_integer_value(nd) < 1)
    return mfile_bad(f, key, "n_docs must be a positive integer");
  if (!json_is_array(terms) || !json_is_array(df) ||
      json_array_size(terms) != json_array_size(df) || json_array_size(terms) < 1 ||
      json_array_size(terms) > INT32_MAX)
    return mfile_bad(f, key, "terms and df must be arrays of the same, non-zero length");
  int64_t V = (int64_t)json_array_size(terms), n_docs = json_integer_value(nd);
  const double *idf;
  char nm[256];
  snprintf(nm, sizeof nm, "%s.idf", key);
  MIMIC_TRY(mimic_mfile_get(f, nm, (uint64_t)V, &idf));
  size_t bytes = 0;
  for (int64_t t = 0; t < V; t++) {
    const json_t *s = json_array_get(terms, (size_t)t);
    if (!json_is_string(s) || json_string_length(s) == 0 ||
        strlen(json_string_value(s)) != json_string_length(s))
      return mfile_bad(f, key, "every term must be a non-empty string without NUL");
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
      if (c > 0 || (c == 0 && pn >= n)) st = mfile_bad(f, key, "terms are not sorted and unique");
    }
    q += (int64_t)n + 1;
    const json_t *d = json_array_get(df, (size_t)t);
    if (st == MIMIC_OK &&
        (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > n_docs))
      st = mfile_bad(f, key, "df values must be integers in 1..n_docs");
    if (st == MIMIC_OK) dfv[t] = json_integer_value(d);
    if (st == MIMIC_OK && !(idf[t] > 0)) st = mfile_bad(f, key, "idf values must be positive");
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

mimic_status mimic_linear_export(const mimic_linear *m, const char *key, json_t *meta,
                                 mimic_mfile_array *arrays, int *n_arrays, int max_arrays) {
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
  json_object_set_new(meta, key, o);
  MIMIC_TRY(mfile_add_named(arrays, n_arrays, max_arrays, key, "w", m->w,
                            (uint64_t)(m->n_features * m->n_classes)));
  return mfile_add_named(arrays, n_arrays, max_arrays, key, "intercept", m->intercept,
                         (uint64_t)m->n_classes);
}

mimic_status mimic_linear_import(mimic_linear *m, const mimic_mfile *f, const char *key) {
  memset(m, 0, sizeof *m);
  const json_t *o = json_object_get(f->meta, key);
  if (!json_is_object(o)) return mfile_bad(f, key, "missing");
  const json_t *type = json_object_get(o, "type"), *K = json_object_get(o, "n_classes"),
               *V = json_object_get(o, "n_features"), *C = json_object_get(o, "C"),
               *B = json_object_get(o, "bias"), *it = json_object_get(o, "n_iter"),
               *obj = json_object_get(o, "objective");
  mimic_linear_kind kind;
  if (!json_is_string(type) || mimic_linear_kind_parse(json_string_value(type), &kind))
    return mfile_bad(f, key, "type must be 'ovr' or 'softmax'");
  if (!json_is_integer(K) || json_integer_value(K) < 1 || json_integer_value(K) > 1000000 ||
      !json_is_integer(V) || json_integer_value(V) < 0 || json_integer_value(V) > INT32_MAX ||
      !json_is_number(C) || !(json_number_value(C) > 0) || !json_is_number(B) ||
      !isfinite(json_number_value(B)))
    return mfile_bad(f, key, "n_classes, n_features, C or bias missing or out of range");
  int64_t nk = json_integer_value(K), nv = json_integer_value(V);
  if ((uint64_t)nk * (uint64_t)nv > (uint64_t)1 << 40) return mfile_bad(f, key, "model too large");
  char nm[256];
  const double *w, *b;
  snprintf(nm, sizeof nm, "%s.w", key);
  MIMIC_TRY(mimic_mfile_get(f, nm, (uint64_t)(nk * nv), &w));
  snprintf(nm, sizeof nm, "%s.intercept", key);
  MIMIC_TRY(mimic_mfile_get(f, nm, (uint64_t)nk, &b));
  MIMIC_TRY(linear_alloc(m, kind, (int)nk, nv));
  memcpy(m->w, w, (size_t)(nk * nv) * sizeof *w);
  memcpy(m->intercept, b, (size_t)nk * sizeof *b);
  m->C = json_number_value(C);
  m->bias = json_number_value(B);
  m->n_iter = json_is_integer(it) ? (int)json_integer_value(it) : 0;
  m->objective = json_is_number(obj) ? json_number_value(obj) : 0.0;
  return MIMIC_OK;
}

mimic_status mimic_labelset_export(const mimic_labelset *ls, const char *key, json_t *meta) {
  json_t *a = json_array();
  if (!a) return mimic_fail_nomem("model header");
  for (int k = 0; k < ls->n; k++) json_array_append_new(a, json_string(ls->names[k]));
  json_object_set_new(meta, key, a);
  return MIMIC_OK;
}

mimic_status mimic_labelset_import(mimic_labelset *ls, const mimic_mfile *f, const char *key) {
  memset(ls, 0, sizeof *ls);
  const json_t *a = json_object_get(f->meta, key);
  if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > 1000000)
    return mfile_bad(f, key, "must be a non-empty array of class names");
  size_t n = json_array_size(a);
  const char **names = mimic_malloc(n * sizeof *names, "class names");
  if (!names) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    const json_t *s = json_array_get(a, i);
    if (!json_is_string(s) || json_string_length(s) == 0 ||
        strlen(json_string_value(s)) != json_string_length(s) ||
        (i > 0 && strcmp(names[i - 1], json_string_value(s)) >= 0)) {
      free(names);
      return mfile_bad(f, key, "class names must be non-empty strings, sorted and unique");
    }
    names[i] = json_string_value(s);
  }
  mimic_status st = mimic_labelset_from_names(ls, names, (int)n);
  free(names);
  return st;
}
