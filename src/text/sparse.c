/* CSR matrices: allocation, checks, stacking, row selection and
 * transpose.
 *
 * Everything here is plain array work with SciPy's layout. Operations that
 * make a new matrix size it exactly in a first pass, so no result is
 * reallocated while it is filled. The builder is the one growable path (for
 * producers that do not know their size in advance); it sorts each row
 * once, when the row ends. */
#include "mimic/sparse.h"
#include "text/csr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mimic_status mimic_csr_alloc(mimic_csr *m, int64_t n_rows, int64_t n_cols, int64_t nnz) {
  memset(m, 0, sizeof *m);
  if (n_rows < 0 || n_cols < 0 || nnz < 0 || n_cols > INT32_MAX)
    return mimic_fail(MIMIC_ERR_INVALID, "sparse matrix: bad size %lld x %lld with %lld entries",
                      (long long)n_rows, (long long)n_cols, (long long)nnz);
  m->n_rows = n_rows;
  m->n_cols = n_cols;
  m->indptr = mimic_calloc((size_t)n_rows + 1, sizeof *m->indptr, "sparse row pointers");
  m->indices = mimic_malloc((size_t)(nnz ? nnz : 1) * sizeof *m->indices, "sparse indices");
  m->data = mimic_malloc((size_t)(nnz ? nnz : 1) * sizeof *m->data, "sparse values");
  if (!m->indptr || !m->indices || !m->data) {
    mimic_csr_free(m);
    return MIMIC_ERR_NOMEM;
  }
  return MIMIC_OK;
}

void mimic_csr_free(mimic_csr *m) {
  if (!m) return;
  free(m->indptr);
  free(m->indices);
  free(m->data);
  memset(m, 0, sizeof *m);
}

mimic_status mimic_csr_check(const mimic_csr *m, const char *what) {
  if (!what) what = "sparse matrix";
  if (!m || !m->indptr || m->n_rows < 0 || m->n_cols < 0 || m->n_cols > INT32_MAX)
    return mimic_fail(MIMIC_ERR_INVALID, "%s: not a valid matrix", what);
  if (m->indptr[0] != 0) return mimic_fail(MIMIC_ERR_INVALID, "%s: indptr[0] is not 0", what);
  for (int64_t i = 0; i < m->n_rows; i++) {
    int64_t a = m->indptr[i], b = m->indptr[i + 1];
    if (b < a)
      return mimic_fail(MIMIC_ERR_INVALID, "%s: row %lld: row pointers decrease", what,
                        (long long)i);
    for (int64_t p = a; p < b; p++) {
      int32_t c = m->indices[p];
      if (c < 0 || c >= m->n_cols)
        return mimic_fail(MIMIC_ERR_RANGE, "%s: row %lld: column %d outside 0..%lld", what,
                          (long long)i, c, (long long)m->n_cols - 1);
      if (p > a && c <= m->indices[p - 1])
        return mimic_fail(MIMIC_ERR_INVALID, "%s: row %lld: columns not strictly increasing", what,
                          (long long)i);
      if (!isfinite(m->data[p]))
        return mimic_fail(MIMIC_ERR_RANGE, "%s: row %lld, column %d: value is not finite", what,
                          (long long)i, c);
    }
  }
  return MIMIC_OK;
}

mimic_status mimic_csr_vstack(const mimic_csr *const *parts, int n_parts, mimic_csr *out) {
  memset(out, 0, sizeof *out);
  if (n_parts < 1) return mimic_fail(MIMIC_ERR_INVALID, "vstack: no matrices given");
  int64_t rows = 0, cols = parts[0]->n_cols, nnz = 0;
  for (int p = 0; p < n_parts; p++) {
    if (parts[p]->n_cols != cols)
      return mimic_fail(MIMIC_ERR_INVALID, "vstack: part %d has %lld columns, part 0 has %lld", p,
                        (long long)parts[p]->n_cols, (long long)cols);
    rows += parts[p]->n_rows;
    nnz += mimic_csr_nnz(parts[p]);
  }
  MIMIC_TRY(mimic_csr_alloc(out, rows, cols, nnz));
  int64_t r = 0, q = 0;
  for (int p = 0; p < n_parts; p++) {
    const mimic_csr *m = parts[p];
    int64_t k = mimic_csr_nnz(m);
    if (k) {
      memcpy(out->indices + q, m->indices, (size_t)k * sizeof *m->indices);
      memcpy(out->data + q, m->data, (size_t)k * sizeof *m->data);
    }
    for (int64_t i = 0; i < m->n_rows; i++) out->indptr[r + i + 1] = q + m->indptr[i + 1];
    r += m->n_rows;
    q += k;
  }
  return MIMIC_OK;
}

mimic_status mimic_csr_select_rows(const mimic_csr *a, const size_t *rows, size_t n,
                                   mimic_csr *out) {
  memset(out, 0, sizeof *out);
  int64_t nnz = 0;
  for (size_t i = 0; i < n; i++) {
    if (rows[i] >= (size_t)a->n_rows)
      return mimic_fail(MIMIC_ERR_RANGE, "select rows: row %zu outside 0..%lld", rows[i],
                        (long long)a->n_rows - 1);
    nnz += a->indptr[rows[i] + 1] - a->indptr[rows[i]];
  }
  MIMIC_TRY(mimic_csr_alloc(out, (int64_t)n, a->n_cols, nnz));
  int64_t q = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t s = a->indptr[rows[i]], k = a->indptr[rows[i] + 1] - s;
    if (k) {
      memcpy(out->indices + q, a->indices + s, (size_t)k * sizeof *a->indices);
      memcpy(out->data + q, a->data + s, (size_t)k * sizeof *a->data);
    }
    q += k;
    out->indptr[i + 1] = q;
  }
  return MIMIC_OK;
}

mimic_status mimic_csr_transpose(const mimic_csr *a, mimic_csr *out) {
  int64_t nnz = mimic_csr_nnz(a);
  if (a->n_rows > INT32_MAX) return mimic_fail(MIMIC_ERR_RANGE, "transpose: too many rows");
  MIMIC_TRY(mimic_csr_alloc(out, a->n_cols, a->n_rows, nnz));
  for (int64_t p = 0; p < nnz; p++) out->indptr[a->indices[p] + 1]++;
  for (int64_t j = 0; j < a->n_cols; j++) out->indptr[j + 1] += out->indptr[j];
  int64_t *next = mimic_malloc(((size_t)a->n_cols + 1) * sizeof *next, "transpose cursor");
  if (!next) {
    mimic_csr_free(out);
    return MIMIC_ERR_NOMEM;
  }
  memcpy(next, out->indptr, ((size_t)a->n_cols + 1) * sizeof *next);
  for (int64_t i = 0; i < a->n_rows; i++)
    for (int64_t p = a->indptr[i]; p < a->indptr[i + 1]; p++) {
      int64_t q = next[a->indices[p]]++;
      out->indices[q] = (int32_t)i;
      out->data[q] = a->data[p];
    }
  free(next);
  return MIMIC_OK;
}

/* ---- builder ----------------------------------------------------------- */

mimic_status mimic_csr_builder_init(mimic_csr_builder *b, int64_t n_cols) {
  memset(b, 0, sizeof *b);
  if (n_cols < 0 || n_cols > INT32_MAX)
    return mimic_fail(MIMIC_ERR_INVALID, "sparse builder: bad column count %lld",
                      (long long)n_cols);
  b->m.n_cols = n_cols;
  b->rowcap = 64;
  b->cap = 256;
  b->m.indptr = mimic_calloc((size_t)b->rowcap, sizeof *b->m.indptr, "sparse row pointers");
  b->m.indices = mimic_malloc((size_t)b->cap * sizeof *b->m.indices, "sparse indices");
  b->m.data = mimic_malloc((size_t)b->cap * sizeof *b->m.data, "sparse values");
  if (!b->m.indptr || !b->m.indices || !b->m.data) {
    mimic_csr_builder_free(b);
    return MIMIC_ERR_NOMEM;
  }
  return MIMIC_OK;
}

mimic_status mimic_csr_builder_add(mimic_csr_builder *b, int32_t col, double value) {
  if (col < 0 || col >= b->m.n_cols)
    return mimic_fail(MIMIC_ERR_RANGE, "sparse builder: column %d outside 0..%lld", col,
                      (long long)b->m.n_cols - 1);
  /* entries of the open row live after indptr[n_rows]; open_n counts them */
  int64_t pos = b->m.indptr[b->m.n_rows] + b->open_n;
  if (pos >= b->cap) {
    int64_t nc = b->cap * 2;
    int32_t *ni = mimic_realloc(b->m.indices, (size_t)nc, sizeof *ni, "sparse indices");
    if (!ni) return MIMIC_ERR_NOMEM;
    b->m.indices = ni;
    double *nd = mimic_realloc(b->m.data, (size_t)nc, sizeof *nd, "sparse values");
    if (!nd) return MIMIC_ERR_NOMEM;
    b->m.data = nd;
    b->cap = nc;
  }
  b->m.indices[pos] = col;
  b->m.data[pos] = value;
  b->open_n++;
  return MIMIC_OK;
}

/* Insertion sort by column of the open row (rows are short), then merge duplicates. */
mimic_status mimic_csr_builder_end_row(mimic_csr_builder *b) {
  int64_t s = b->m.indptr[b->m.n_rows], n = b->open_n;
  int32_t *ix = b->m.indices + s;
  double *v = b->m.data + s;
  for (int64_t i = 1; i < n; i++) {
    int32_t c = ix[i];
    double x = v[i];
    int64_t j = i - 1;
    while (j >= 0 && ix[j] > c) {
      ix[j + 1] = ix[j];
      v[j + 1] = v[j];
      j--;
    }
    ix[j + 1] = c;
    v[j + 1] = x;
  }
  int64_t w = 0;
  for (int64_t i = 0; i < n; i++) {
    if (w > 0 && ix[w - 1] == ix[i]) {
      v[w - 1] += v[i];
    } else {
      ix[w] = ix[i];
      v[w++] = v[i];
    }
  }
  if (b->m.n_rows + 2 > b->rowcap) {
    int64_t nc = b->rowcap * 2;
    int64_t *np = mimic_realloc(b->m.indptr, (size_t)nc, sizeof *np, "sparse row pointers");
    if (!np) return MIMIC_ERR_NOMEM;
    b->m.indptr = np;
    b->rowcap = nc;
  }
  b->m.indptr[b->m.n_rows + 1] = s + w;
  b->m.n_rows++;
  b->open_n = 0;
  return MIMIC_OK;
}

void mimic_csr_builder_finish(mimic_csr_builder *b, mimic_csr *out) {
  *out = b->m;
  memset(b, 0, sizeof *b);
}

void mimic_csr_builder_free(mimic_csr_builder *b) {
  mimic_csr_free(&b->m);
  memset(b, 0, sizeof *b);
}
