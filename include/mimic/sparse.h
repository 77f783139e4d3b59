/* mimic/sparse.h: compressed sparse row (CSR) matrices of float64.
 *
 * The one sparse type of mimic's text and agent layers: TF-IDF features,
 * one-hot features (previous action, intent) and their concatenations are
 * all CSR, and the linear models take any CSR as input. The layout is
 * SciPy's csr_matrix (indptr, indices, data), so a matrix can be checked
 * against scipy by eye: row i owns entries indptr[i] .. indptr[i+1]-1,
 * whose column numbers are strictly increasing.
 *
 * Values are double: TF-IDF must match scikit-learn to 1e-12 and the
 * linear models LIBLINEAR to 1e-9, and the memory cost is small (text rows
 * hold tens of non-zeros). Column indices are int32 (2^31 features is far
 * beyond any vocabulary); row pointers are int64. A matrix mimic makes
 * (mimic_tfidf_transform, ...) is freed with mimic_csr_free, and so is one
 * a caller fills itself with malloc'd arrays in this layout. */
#ifndef MIMIC_SPARSE_H
#define MIMIC_SPARSE_H

#include "mimic/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_csr {
  int64_t n_rows, n_cols;
  int64_t *indptr;  /* [n_rows + 1], indptr[0] = 0 */
  int32_t *indices; /* [nnz], strictly increasing within a row */
  double *data;     /* [nnz] */
} mimic_csr;

/* Frees the arrays of m and zeroes it (safe on a zeroed or freed matrix). */
void mimic_csr_free(mimic_csr *m);
/* Returns the number of stored entries. */
static inline int64_t mimic_csr_nnz(const mimic_csr *m) {
  return m->indptr ? m->indptr[m->n_rows] : 0;
}
/* Stacks the parts on top of each other; all have the same number of columns. */
mimic_status mimic_csr_vstack(const mimic_csr *const *parts, int n_parts, mimic_csr *out);
/* out = the rows of a listed in rows (in that order; repeats allowed). */
mimic_status mimic_csr_select_rows(const mimic_csr *a, const size_t *rows, size_t n,
                                   mimic_csr *out);

#ifdef __cplusplus
}
#endif
#endif
