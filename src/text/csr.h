/* Making and checking CSR matrices (mimic/sparse.h): allocation,
 * structure checks, transposes and a row-by-row builder, for the text and
 * agent layers' featurisers, linear models and forests. Internal to mimic
 * (not installed): users get matrices from mimic_tfidf_* and free them. */
#ifndef MIMIC_TEXT_CSR_H
#define MIMIC_TEXT_CSR_H

#include <stdint.h>

#include "mimic/sparse.h"

/* Allocates an n_rows x n_cols matrix with room for nnz entries (indptr zeroed). */
mimic_status mimic_csr_alloc(mimic_csr *m, int64_t n_rows, int64_t n_cols, int64_t nnz);
/* Checks the structure (sizes, sorted unique in-range columns, finite values). */
mimic_status mimic_csr_check(const mimic_csr *m, const char *what);
/* out = the transpose of a (CSR of a^T, i.e. a in CSC); row order within columns is kept. */
mimic_status mimic_csr_transpose(const mimic_csr *a, mimic_csr *out);

/* Builds a CSR matrix row by row: add entries in any column order, then
 * end the row; duplicate columns within a row are summed. */
typedef struct mimic_csr_builder {
  mimic_csr m;
  int64_t cap;    /* capacity of indices/data */
  int64_t rowcap; /* capacity of indptr (rows + 1) */
  int64_t open_n; /* entries added to the row being built */
} mimic_csr_builder;

/* Starts an empty matrix with n_cols columns. */
mimic_status mimic_csr_builder_init(mimic_csr_builder *b, int64_t n_cols);
/* Adds value at column col of the current row. */
mimic_status mimic_csr_builder_add(mimic_csr_builder *b, int32_t col, double value);
/* Sorts and merges the current row and starts the next. */
mimic_status mimic_csr_builder_end_row(mimic_csr_builder *b);
/* Moves the finished matrix into out (the builder is left empty). */
void mimic_csr_builder_finish(mimic_csr_builder *b, mimic_csr *out);
/* Frees a builder that was not finished. */
void mimic_csr_builder_free(mimic_csr_builder *b);

#endif
