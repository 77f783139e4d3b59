/* TF-IDF as scikit-learn's TfidfVectorizer computes it.
 *
 * fit: analyse every document (tokenize.c), intern each feature in an
 * open-addressing hash table that counts document frequency (once per
 * document, via a last-seen stamp) and total frequency, remember each
 * document's feature ids, then prune by min_df/max_df/max_features, sort
 * the surviving terms by code point (memcmp of their UTF-8) and number the
 * columns in that order. idf = ln((1+n)/(1+df)) + 1 with smooth_idf.
 *
 * transform: per document, look each feature up, sort the known columns,
 * count runs, tf (or 1 + ln tf) times idf, divide by the row's l2 norm.
 * Documents are independent, so transform splits them over threads in
 * fixed chunks and stacks the chunks in order: the output does not depend
 * on the thread count. fit analyses serially; it runs once per model and
 * takes a few tens of milliseconds on BANKING77's 10,000 texts.
 *
 * max_features ties: scikit-learn orders candidates with NumPy's unstable
 * argsort of -tf; here ties go to the term that sorts first, which is what
 * that argsort yields on small inputs and is at least deterministic. */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "text/pool.h"
#include "text/text_impl.h"
#include "text/tfidf.h"
#include "text/csr.h"

/* ---- hashing ----------------------------------------------------------- */

static inline uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    s += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, s, n);
  h = (h ^ w) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return h;
}

/* Column lookup of a fitted vectorizer: slots hold column + 1 (0 = empty). */
struct mimic_tfidf_hash {
  uint64_t mask;
  int32_t *slots;
  uint64_t *hashes; /* [V] */
};

static void hash_free(mimic_tfidf_hash *h) {
  if (!h) return;
  free(h->slots);
  free(h->hashes);
  free(h);
}

static mimic_status hash_build(mimic_tfidf *v) {
  mimic_tfidf_hash *h = mimic_calloc(1, sizeof *h, "vocabulary index");
  if (!h) return MIMIC_ERR_NOMEM;
  uint64_t size = 16;
  while (size < (uint64_t)v->n_features * 2) size *= 2;
  h->mask = size - 1;
  h->slots = mimic_calloc(size, sizeof *h->slots, "vocabulary index");
  h->hashes = mimic_malloc(((size_t)v->n_features + 1) * sizeof *h->hashes, "vocabulary index");
  if (!h->slots || !h->hashes) {
    hash_free(h);
    return MIMIC_ERR_NOMEM;
  }
  for (int64_t c = 0; c < v->n_features; c++) {
    const char *t = mimic_tfidf_term(v, c);
    size_t n = (size_t)(v->term_off[c + 1] - v->term_off[c] - 1);
    uint64_t hv = hash_bytes(t, n);
    h->hashes[c] = hv;
    uint64_t i = hv & h->mask;
    while (h->slots[i]) i = (i + 1) & h->mask;
    h->slots[i] = (int32_t)(c + 1);
  }
  v->hash = h;
  return MIMIC_OK;
}

static inline int64_t lookup_h(const mimic_tfidf *v, const char *s, size_t n, uint64_t hv) {
  const mimic_tfidf_hash *h = v->hash;
  uint64_t i = hv & h->mask;
  for (;;) {
    int32_t c = h->slots[i];
    if (!c) return -1;
    c--;
    if (h->hashes[c] == hv && (size_t)(v->term_off[c + 1] - v->term_off[c] - 1) == n &&
        memcmp(v->term_buf + v->term_off[c], s, n) == 0)
      return c;
    i = (i + 1) & h->mask;
  }
}

int64_t mimic_tfidf_lookup(const mimic_tfidf *v, const char *term, size_t len) {
  if (!v->hash) return -1;
  return lookup_h(v, term, len, hash_bytes(term, len));
}

/* ---- configuration ----------------------------------------------------- */

void mimic_tfidf_config_default(mimic_tfidf_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->ngram_min = 1;
  cfg->ngram_max = 1;
  cfg->min_df.fraction = false;
  cfg->min_df.value = 1;
  cfg->max_df.fraction = true;
  cfg->max_df.value = 1.0;
  cfg->max_features = 0;
  cfg->lowercase = true;
  cfg->sublinear_tf = false;
  cfg->use_idf = true;
  cfg->smooth_idf = true;
  cfg->norm_l2 = true;
  cfg->n_threads = 0;
}

static mimic_status check_bound(const mimic_df_bound *b, const char *name) {
  if (b->fraction) {
    if (!(b->value >= 0.0 && b->value <= 1.0))
      return mimic_fail(MIMIC_ERR_INVALID, "%s: a fraction must lie in [0, 1], got %g", name,
                        b->value);
  } else if (!(b->value >= 1.0) || b->value != floor(b->value) || b->value > 9e15) {
    return mimic_fail(MIMIC_ERR_INVALID, "%s: a document count must be an integer >= 1, got %g",
                      name, b->value);
  }
  return MIMIC_OK;
}

mimic_status mimic_tfidf_config_check(const mimic_tfidf_config *cfg) {
  if (cfg->ngram_min < 1 || cfg->ngram_max < cfg->ngram_min || cfg->ngram_max > 16)
    return mimic_fail(MIMIC_ERR_INVALID, "ngram_range: want 1 <= low <= high <= 16, got (%d, %d)",
                      cfg->ngram_min, cfg->ngram_max);
  MIMIC_TRY(check_bound(&cfg->min_df, "min_df"));
  MIMIC_TRY(check_bound(&cfg->max_df, "max_df"));
  if (cfg->max_features < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "max_features: want >= 0 (0 = no limit), got %lld",
                      (long long)cfg->max_features);
  if (cfg->n_threads < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "n_threads: want >= 0, got %d", cfg->n_threads);
  return MIMIC_OK;
}

mimic_status mimic_df_bound_parse(const char *s, mimic_df_bound *out) {
  if (!s || !*s) return mimic_fail(MIMIC_ERR_INVALID, "empty document-frequency bound");
  char *end = NULL;
  bool is_float = strpbrk(s, ".eEnN") != NULL; /* Python: "1" is an int, "1.0"/"1e0" a float */
  double x = strtod(s, &end);
  if (*end || !isfinite(x))
    return mimic_fail(MIMIC_ERR_INVALID, "'%s' is not a number of documents or a fraction", s);
  out->fraction = is_float;
  out->value = x;
  return check_bound(out, s);
}

/* ---- fit --------------------------------------------------------------- */

typedef struct entry {
  uint64_t hash;
  int64_t off;
  uint32_t len;
  int64_t df, tf, last_doc;
  int32_t col; /* final column or -1 */
} entry;

typedef struct vocab {
  entry *e;
  size_t n, cap;
  int32_t *slots; /* entry + 1, 0 = empty */
  uint64_t mask;
  char *arena;
  size_t used, acap;
} vocab;

static void vocab_free(vocab *vb) {
  free(vb->e);
  free(vb->slots);
  free(vb->arena);
  memset(vb, 0, sizeof *vb);
}

static mimic_status vocab_grow_table(vocab *vb) {
  uint64_t size = vb->mask ? (vb->mask + 1) * 2 : 1024;
  int32_t *ns = mimic_calloc(size, sizeof *ns, "vocabulary table");
  if (!ns) return MIMIC_ERR_NOMEM;
  for (size_t k = 0; k < vb->n; k++) {
    uint64_t i = vb->e[k].hash & (size - 1);
    while (ns[i]) i = (i + 1) & (size - 1);
    ns[i] = (int32_t)(k + 1);
  }
  free(vb->slots);
  vb->slots = ns;
  vb->mask = size - 1;
  return MIMIC_OK;
}

/* Returns the entry index of s (inserting it), or -1 with the error set. */
static int64_t vocab_intern(vocab *vb, const char *s, size_t n, uint64_t hv) {
  uint64_t i = hv & vb->mask;
  for (;;) {
    int32_t k = vb->slots[i];
    if (!k) break;
    entry *e = &vb->e[k - 1];
    if (e->hash == hv && e->len == n && memcmp(vb->arena + e->off, s, n) == 0) return k - 1;
    i = (i + 1) & vb->mask;
  }
  if (vb->n >= INT32_MAX - 1) {
    mimic_fail(MIMIC_ERR_RANGE, "vocabulary over 2^31 terms");
    return -1;
  }
  if (vb->n == vb->cap) {
    size_t nc = vb->cap ? vb->cap * 2 : 1024;
    entry *ne = mimic_realloc(vb->e, nc, sizeof *ne, "vocabulary");
    if (!ne) return -1;
    vb->e = ne;
    vb->cap = nc;
  }
  if (vb->used + n + 1 > vb->acap) {
    size_t nc = vb->acap ? vb->acap * 2 : 65536;
    while (nc < vb->used + n + 1) nc *= 2;
    char *na = mimic_realloc(vb->arena, nc, 1, "vocabulary");
    if (!na) return -1;
    vb->arena = na;
    vb->acap = nc;
  }
  memcpy(vb->arena + vb->used, s, n);
  vb->arena[vb->used + n] = '\0';
  entry *e = &vb->e[vb->n];
  e->hash = hv;
  e->off = (int64_t)vb->used;
  e->len = (uint32_t)n;
  e->df = e->tf = 0;
  e->last_doc = -1;
  e->col = -1;
  vb->used += n + 1;
  vb->slots[i] = (int32_t)(vb->n + 1);
  vb->n++;
  if (vb->n * 2 > vb->mask + 1 && vocab_grow_table(vb)) return -1;
  return (int64_t)vb->n - 1;
}

static int term_cmp(const char *a, size_t na, const char *b, size_t nb) {
  int c = memcmp(a, b, na < nb ? na : nb);
  if (c) return c;
  return na < nb ? -1 : na > nb;
}

static int cmp_entry_term(const void *pa, const void *pb, void *ctx) {
  const vocab *vb = ctx;
  const entry *a = &vb->e[*(const int32_t *)pa], *b = &vb->e[*(const int32_t *)pb];
  return term_cmp(vb->arena + a->off, a->len, vb->arena + b->off, b->len);
}

static int cmp_entry_tf(const void *pa, const void *pb, void *ctx) {
  const vocab *vb = ctx;
  const entry *a = &vb->e[*(const int32_t *)pa], *b = &vb->e[*(const int32_t *)pb];
  if (a->tf != b->tf) return a->tf > b->tf ? -1 : 1;
  return term_cmp(vb->arena + a->off, a->len, vb->arena + b->off, b->len);
}

void mimic_tfidf_free(mimic_tfidf *v) {
  if (!v) return;
  free(v->term_buf);
  free(v->term_off);
  free(v->df);
  free(v->idf);
  hash_free(v->hash);
  memset(v, 0, sizeof *v);
}

/* Fills idf from df (shared by fit and import). */
static void compute_idf(mimic_tfidf *v) {
  for (int64_t c = 0; c < v->n_features; c++) {
    if (!v->cfg.use_idf) {
      v->idf[c] = 1.0;
      continue;
    }
    double n = (double)v->n_docs, df = (double)v->df[c];
    if (v->cfg.smooth_idf) {
      n += 1.0;
      df += 1.0;
    }
    v->idf[c] = log(n / df) + 1.0;
  }
}

/* The fit proper; doc_terms/doc_ptr (may be NULL) receive each document's entry ids. */
static mimic_status fit_impl(mimic_tfidf *v, const char *const *docs, size_t n,
                             const mimic_tfidf_config *cfg, vocab *vb, int32_t **doc_terms,
                             int64_t **doc_ptr) {
  mimic_status st = MIMIC_OK;
  mimic_tokens tok = {0};
  int32_t *terms = NULL;
  int64_t *ptr = NULL, nterms = 0, tcap = 0;
  int32_t *order = NULL;
  if (doc_ptr) {
    ptr = mimic_malloc((n + 1) * sizeof *ptr, "document features");
    if (!ptr) return MIMIC_ERR_NOMEM;
    ptr[0] = 0;
  }
  if ((st = vocab_grow_table(vb))) goto done;
  for (size_t d = 0; d < n; d++) {
    if (!docs[d]) {
      st = mimic_fail(MIMIC_ERR_INVALID, "row %zu: text is missing (NULL)", d);
      goto done;
    }
    if ((st = mimic_tfidf_analyze(cfg, docs[d], strlen(docs[d]), &tok))) {
      mimic_errctx("row %zu", d);
      goto done;
    }
    if (doc_terms && nterms + (int64_t)tok.n > tcap) {
      int64_t nc = tcap ? tcap * 2 : 4096;
      while (nc < nterms + (int64_t)tok.n) nc *= 2;
      int32_t *nt = mimic_realloc(terms, (size_t)nc, sizeof *nt, "document features");
      if (!nt) {
        st = MIMIC_ERR_NOMEM;
        goto done;
      }
      terms = nt;
      tcap = nc;
    }
    for (size_t t = 0; t < tok.n; t++) {
      const char *s = tok.buf + tok.off[t];
      int64_t k = vocab_intern(vb, s, tok.len[t], hash_bytes(s, tok.len[t]));
      if (k < 0) {
        st = mimic_errcode() ? mimic_errcode() : MIMIC_ERR_NOMEM;
        goto done;
      }
      entry *e = &vb->e[k];
      if (e->last_doc != (int64_t)d) {
        e->last_doc = (int64_t)d;
        e->df++;
      }
      e->tf++;
      if (doc_terms) terms[nterms++] = (int32_t)k;
    }
    if (ptr) ptr[d + 1] = nterms;
  }
  if (vb->n == 0) {
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "empty vocabulary: the %zu training texts contain no word of 2+ letters or "
                    "digits",
                    n);
    goto done;
  }
  double max_count = cfg->max_df.fraction ? cfg->max_df.value * (double)n : cfg->max_df.value;
  double min_count = cfg->min_df.fraction ? cfg->min_df.value * (double)n : cfg->min_df.value;
  if (max_count < min_count) {
    st = mimic_fail(MIMIC_ERR_INVALID, "max_df corresponds to fewer documents than min_df");
    goto done;
  }
  order = mimic_malloc(vb->n * sizeof *order, "vocabulary order");
  if (!order) {
    st = MIMIC_ERR_NOMEM;
    goto done;
  }
  size_t kept = 0;
  for (size_t k = 0; k < vb->n; k++) {
    double df = (double)vb->e[k].df;
    if (df <= max_count && df >= min_count) order[kept++] = (int32_t)k;
  }
  if (cfg->max_features > 0 && kept > (size_t)cfg->max_features) {
    qsort_r(order, kept, sizeof *order, cmp_entry_tf, vb);
    kept = (size_t)cfg->max_features;
  }
  qsort_r(order, kept, sizeof *order, cmp_entry_term, vb);
  if (kept == 0) {
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "after pruning, no terms remain: try a lower min_df or a higher max_df");
    goto done;
  }
  /* the fitted vocabulary */
  memset(v, 0, sizeof *v);
  v->cfg = *cfg;
  v->n_features = (int64_t)kept;
  v->n_docs = (int64_t)n;
  size_t bytes = 0;
  for (size_t c = 0; c < kept; c++) bytes += vb->e[order[c]].len + 1;
  v->term_buf = mimic_malloc(bytes, "vocabulary");
  v->term_off = mimic_malloc((kept + 1) * sizeof *v->term_off, "vocabulary");
  v->df = mimic_malloc(kept * sizeof *v->df, "document frequencies");
  v->idf = mimic_malloc(kept * sizeof *v->idf, "idf");
  if (!v->term_buf || !v->term_off || !v->df || !v->idf) {
    st = MIMIC_ERR_NOMEM;
    goto done;
  }
  int64_t off = 0;
  for (size_t c = 0; c < kept; c++) {
    entry *e = &vb->e[order[c]];
    e->col = (int32_t)c;
    v->term_off[c] = off;
    memcpy(v->term_buf + off, vb->arena + e->off, e->len + 1);
    off += e->len + 1;
    v->df[c] = e->df;
  }
  v->term_off[kept] = off;
  compute_idf(v);
  st = hash_build(v);
done:
  if (st) mimic_tfidf_free(v);
  mimic_tokens_free(&tok);
  free(order);
  if (st || !doc_terms) {
    free(terms);
    free(ptr);
  } else {
    *doc_terms = terms;
    *doc_ptr = ptr;
  }
  return st;
}

mimic_status mimic_tfidf_fit(mimic_tfidf *v, const char *const *docs, size_t n,
                             const mimic_tfidf_config *cfg) {
  return mimic_tfidf_fit_transform(v, docs, n, cfg, NULL);
}

/* Sorts a short int array ascending (insertion sort; qsort when long). */
static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}
static void sort_cols(int32_t *c, size_t n) {
  if (n > 48) {
    qsort(c, n, sizeof *c, cmp_i32);
    return;
  }
  for (size_t i = 1; i < n; i++) {
    int32_t x = c[i];
    size_t j = i;
    while (j > 0 && c[j - 1] > x) {
      c[j] = c[j - 1];
      j--;
    }
    c[j] = x;
  }
}

/* Turns sorted columns cols[0..n) into (column, weight) pairs in place:
 * counts, then tf-idf and l2 normalisation. Returns the number of pairs. */
static int64_t weigh_row(const mimic_tfidf *v, int32_t *cols, size_t n, double *vals, bool counts) {
  int64_t w = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && cols[j] == cols[i]) j++;
    cols[w] = cols[i];
    vals[w++] = (double)(j - i);
    i = j;
  }
  if (counts) return w;
  for (int64_t p = 0; p < w; p++) {
    double tf = vals[p];
    if (v->cfg.sublinear_tf) tf = log(tf) + 1.0;
    vals[p] = v->cfg.use_idf ? tf * v->idf[cols[p]] : tf;
  }
  if (v->cfg.norm_l2) {
    double s = 0.0;
    for (int64_t p = 0; p < w; p++) s += vals[p] * vals[p];
    if (s != 0.0) {
      s = sqrt(s);
      for (int64_t p = 0; p < w; p++) vals[p] /= s;
    }
  }
  return w;
}

mimic_status mimic_tfidf_fit_transform(mimic_tfidf *v, const char *const *docs, size_t n,
                                       const mimic_tfidf_config *cfg, mimic_csr *X) {
  memset(v, 0, sizeof *v);
  if (X) memset(X, 0, sizeof *X);
  MIMIC_TRY(mimic_tfidf_config_check(cfg));
  if (n == 0) return mimic_fail(MIMIC_ERR_INVALID, "cannot fit a vectorizer on zero texts");
  vocab vb = {0};
  int32_t *terms = NULL;
  int64_t *ptr = NULL;
  mimic_status st = fit_impl(v, docs, n, cfg, &vb, X ? &terms : NULL, X ? &ptr : NULL);
  if (st == MIMIC_OK && X) {
    /* map entry ids to columns in place, drop pruned ones, weigh each row */
    st = mimic_csr_alloc(X, (int64_t)n, v->n_features, ptr[n]);
    if (st == MIMIC_OK) {
      int64_t q = 0;
      for (size_t d = 0; d < n; d++) {
        int64_t s = q;
        for (int64_t p = ptr[d]; p < ptr[d + 1]; p++) {
          int32_t c = vb.e[terms[p]].col;
          if (c >= 0) X->indices[q++] = c;
        }
        sort_cols(X->indices + s, (size_t)(q - s));
        q = s + weigh_row(v, X->indices + s, (size_t)(q - s), X->data + s, false);
        X->indptr[d + 1] = q;
      }
    }
    if (st) mimic_tfidf_free(v);
  }
  free(terms);
  free(ptr);
  vocab_free(&vb);
  return st;
}

/* ---- transform --------------------------------------------------------- */

static mimic_status scratch_reserve(mimic_tfidf_scratch *s, size_t n) {
  if (n <= s->cap) return MIMIC_OK;
  size_t nc = s->cap ? s->cap : 64;
  while (nc < n) nc *= 2;
  int32_t *c = mimic_realloc(s->cols, nc, sizeof *c, "tf-idf scratch");
  if (!c) return MIMIC_ERR_NOMEM;
  s->cols = c;
  double *x = mimic_realloc(s->vals, nc, sizeof *x, "tf-idf scratch");
  if (!x) return MIMIC_ERR_NOMEM;
  s->vals = x;
  s->cap = nc;
  return MIMIC_OK;
}

static mimic_status row_of(const mimic_tfidf *v, const char *doc, size_t len,
                           mimic_tfidf_scratch *s, bool counts, int64_t *nnz) {
  MIMIC_TRY(mimic_tfidf_analyze(&v->cfg, doc, len, &s->tok));
  MIMIC_TRY(scratch_reserve(s, s->tok.n + 1));
  size_t k = 0;
  for (size_t t = 0; t < s->tok.n; t++) {
    const char *w = s->tok.buf + s->tok.off[t];
    int64_t c = lookup_h(v, w, s->tok.len[t], hash_bytes(w, s->tok.len[t]));
    if (c >= 0) s->cols[k++] = (int32_t)c;
  }
  sort_cols(s->cols, k);
  *nnz = weigh_row(v, s->cols, k, s->vals, counts);
  return MIMIC_OK;
}

mimic_status mimic_tfidf_transform_one(const mimic_tfidf *v, const char *doc, size_t len,
                                       mimic_tfidf_scratch *s, const int32_t **idx,
                                       const double **val, int64_t *nnz) {
  MIMIC_TRY(row_of(v, doc, len, s, false, nnz));
  *idx = s->cols;
  *val = s->vals;
  return MIMIC_OK;
}

void mimic_tfidf_scratch_free(mimic_tfidf_scratch *s) {
  if (!s) return;
  mimic_tokens_free(&s->tok);
  free(s->cols);
  free(s->vals);
  memset(s, 0, sizeof *s);
}

enum { TRANSFORM_CHUNK = 512 };

typedef struct transform_job {
  const mimic_tfidf *v;
  const char *const *docs;
  size_t n;
  bool counts;
  mimic_csr *parts;             /* [n_chunks] */
  mimic_status *status;         /* [n_chunks] */
  char **errmsg;                /* [n_chunks] */
  mimic_tfidf_scratch *scratch; /* [n_workers] */
} transform_job;

static void transform_chunk(void *ctx, int64_t begin, int64_t end, int worker) {
  transform_job *j = ctx;
  for (int64_t chunk = begin; chunk < end; chunk++) {
    size_t a = (size_t)chunk * TRANSFORM_CHUNK;
    size_t b = a + TRANSFORM_CHUNK < j->n ? a + TRANSFORM_CHUNK : j->n;
    mimic_tfidf_scratch *s = &j->scratch[worker];
    mimic_csr_builder bld;
    mimic_status st = mimic_csr_builder_init(&bld, j->v->n_features);
    for (size_t d = a; st == MIMIC_OK && d < b; d++) {
      int64_t nnz = 0;
      if (!j->docs[d]) {
        st = mimic_fail(MIMIC_ERR_INVALID, "row %zu: text is missing (NULL)", d);
        break;
      }
      st = row_of(j->v, j->docs[d], strlen(j->docs[d]), s, j->counts, &nnz);
      if (st) {
        mimic_errctx("row %zu", d);
        break;
      }
      for (int64_t p = 0; st == MIMIC_OK && p < nnz; p++)
        st = mimic_csr_builder_add(&bld, s->cols[p], s->vals[p]);
      if (st == MIMIC_OK) st = mimic_csr_builder_end_row(&bld);
    }
    j->status[chunk] = st;
    if (st) {
      j->errmsg[chunk] = strdup(mimic_errmsg());
      mimic_csr_builder_free(&bld);
    } else {
      mimic_csr_builder_finish(&bld, &j->parts[chunk]);
    }
  }
}

static mimic_status transform_impl(const mimic_tfidf *v, const char *const *docs, size_t n,
                                   mimic_csr *X, bool counts) {
  memset(X, 0, sizeof *X);
  if (!v->hash) return mimic_fail(MIMIC_ERR_INVALID, "the vectorizer is not fitted");
  if (n == 0) return mimic_csr_alloc(X, 0, v->n_features, 0);
  size_t n_chunks = (n + TRANSFORM_CHUNK - 1) / TRANSFORM_CHUNK;
  int threads = v->cfg.n_threads > 0 ? v->cfg.n_threads : mimic_default_threads();
  if ((size_t)threads > n_chunks) threads = (int)n_chunks;
  transform_job j = {v, docs, n, counts, NULL, NULL, NULL, NULL};
  j.parts = mimic_calloc(n_chunks, sizeof *j.parts, "tf-idf parts");
  j.status = mimic_calloc(n_chunks, sizeof *j.status, "tf-idf parts");
  j.errmsg = mimic_calloc(n_chunks, sizeof *j.errmsg, "tf-idf parts");
  j.scratch = mimic_calloc((size_t)threads, sizeof *j.scratch, "tf-idf scratch");
  tpool *pool = NULL;
  mimic_status st = MIMIC_OK;
  if (!j.parts || !j.status || !j.errmsg || !j.scratch) st = MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) st = tpool_create(threads, &pool);
  if (st == MIMIC_OK) {
    tpool_for(pool, (int64_t)n_chunks, 1, transform_chunk, &j);
    for (size_t c = 0; c < n_chunks; c++)
      if (j.status[c]) { /* the first failing chunk names the lowest bad row */
        st = mimic_fail(j.status[c], "%s", j.errmsg[c] ? j.errmsg[c] : "tf-idf failed");
        break;
      }
  }
  if (st == MIMIC_OK) {
    const mimic_csr **pp = mimic_malloc(n_chunks * sizeof *pp, "tf-idf parts");
    if (!pp)
      st = MIMIC_ERR_NOMEM;
    else {
      for (size_t c = 0; c < n_chunks; c++) pp[c] = &j.parts[c];
      st = mimic_csr_vstack(pp, (int)n_chunks, X);
      free(pp);
    }
  }
  tpool_destroy(pool);
  for (size_t c = 0; j.parts && c < n_chunks; c++) mimic_csr_free(&j.parts[c]);
  for (size_t c = 0; j.errmsg && c < n_chunks; c++) free(j.errmsg[c]);
  for (int t = 0; j.scratch && t < threads; t++) mimic_tfidf_scratch_free(&j.scratch[t]);
  free(j.parts);
  free(j.status);
  free(j.errmsg);
  free(j.scratch);
  return st;
}

mimic_status mimic_tfidf_transform(const mimic_tfidf *v, const char *const *docs, size_t n,
                                   mimic_csr *X) {
  return transform_impl(v, docs, n, X, false);
}

mimic_status mimic_tfidf_counts(const mimic_tfidf *v, const char *const *docs, size_t n,
                                mimic_csr *X) {
  return transform_impl(v, docs, n, X, true);
}

mimic_status mimic_tfidf_copy(const mimic_tfidf *a, mimic_tfidf *out) {
  memset(out, 0, sizeof *out);
  out->cfg = a->cfg;
  out->n_features = a->n_features;
  out->n_docs = a->n_docs;
  size_t V = (size_t)a->n_features, bytes = (size_t)a->term_off[V];
  out->term_buf = mimic_malloc(bytes ? bytes : 1, "vocabulary");
  out->term_off = mimic_malloc((V + 1) * sizeof *out->term_off, "vocabulary");
  out->df = mimic_malloc((V ? V : 1) * sizeof *out->df, "document frequencies");
  out->idf = mimic_malloc((V ? V : 1) * sizeof *out->idf, "idf");
  if (!out->term_buf || !out->term_off || !out->df || !out->idf) {
    mimic_tfidf_free(out);
    return MIMIC_ERR_NOMEM;
  }
  memcpy(out->term_buf, a->term_buf, bytes);
  memcpy(out->term_off, a->term_off, (V + 1) * sizeof *out->term_off);
  memcpy(out->df, a->df, V * sizeof *out->df);
  memcpy(out->idf, a->idf, V * sizeof *out->idf);
  mimic_status st = hash_build(out);
  if (st) mimic_tfidf_free(out);
  return st;
}

mimic_status mimic_tfidf_assemble(mimic_tfidf *v, const mimic_tfidf_config *cfg, int64_t n_docs,
                                  char *term_buf, int64_t *term_off, int64_t *df, double *idf,
                                  int64_t n_features) {
  memset(v, 0, sizeof *v);
  v->cfg = *cfg;
  v->n_docs = n_docs;
  v->n_features = n_features;
  v->term_buf = term_buf;
  v->term_off = term_off;
  v->df = df;
  v->idf = idf;
  mimic_status st = hash_build(v);
  if (st) mimic_tfidf_free(v);
  return st;
}
