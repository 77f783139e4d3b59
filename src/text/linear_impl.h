/* Private pieces of the linear models (mimic/linear.h): what the
 * linear-model sources (linear.c, linear_ovr.c, linear_softmax.c) share,
 * and deep copies, the one-row prediction of the agent policy and the
 * thread count the text layer resolves "0 threads" to. Internal to mimic
 * (not installed). */
#ifndef MIMIC_TEXT_LINEAR_IMPL_H
#define MIMIC_TEXT_LINEAR_IMPL_H

#include "mimic/linear.h"

/* Deep copy of a class list. */
mimic_status mimic_labelset_copy(const mimic_labelset *a, mimic_labelset *out);
/* Deep copy of a model. */
mimic_status mimic_linear_copy(const mimic_linear *a, mimic_linear *out);
/* The tolerance a fit uses: cfg->tol, or the kind's default when it is 0. */
double mimic_linear_tol(const mimic_linear_config *cfg);
/* Probabilities of one sparse row (idx/val of length nnz) into out[K]; allocates nothing. */
void mimic_linear_proba_row(const mimic_linear *m, const int32_t *idx, const double *val,
                            int64_t nnz, double *out);
/* The number of threads "0 = all online CPUs" resolves to. */
int mimic_default_threads(void);

/* Allocates a zeroed model of K classes over V features. */
mimic_status linear_alloc(mimic_linear *m, mimic_linear_kind kind, int K, int64_t V);
/* Resolves per-class weights (1, balanced or given) into cw[K]. */
mimic_status linear_class_weights(const mimic_linear_config *cfg, const int32_t *y, size_t n, int K,
                                  double *cw);
/* One-vs-rest through LIBLINEAR (K >= 2, inputs checked). */
mimic_status linear_fit_ovr(mimic_linear *m, const mimic_csr *X, const int32_t *y, int K,
                            const mimic_linear_config *cfg);
/* Multinomial logistic regression by L-BFGS (K >= 2, inputs checked). */
mimic_status linear_fit_softmax(mimic_linear *m, const mimic_csr *X, const int32_t *y, int K,
                                const mimic_linear_config *cfg);

#endif
