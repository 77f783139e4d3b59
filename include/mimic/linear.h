/* mimic/linear.h: linear classifiers over sparse rows, and class lists.
 *
 * Two models share one struct and one prediction path:
 *
 *   MIMIC_LINEAR_OVR      one-vs-rest L2-regularised logistic regression,
 *                         trained by LIBLINEAR (solver L2R_LR, the model of
 *                         `train -s 0 -B 1`, scikit-learn's
 *                         LogisticRegression(solver='liblinear')). The bias
 *                         is a constant feature whose weight is regularised.
 *                         proba_k = s_k / sum_j s_j with s_k = sigmoid(d_k).
 *   MIMIC_LINEAR_SOFTMAX  multinomial (softmax) logistic regression solved by
 *                         mimic's own L-BFGS: minimise
 *                         sum_i w_i * -ln softmax(W x_i + b)[y_i] + ||W||^2/(2C),
 *                         the intercept b not penalised (scikit-learn's
 *                         LogisticRegression(solver='lbfgs') objective).
 *
 * Classes are integers 0..K-1 given by the caller; a mimic_labelset maps
 * them to names in sorted order, so every per-class array (probability
 * columns, weight rows) is in sorted-name order whatever order the solver
 * saw. The input is any CSR matrix (checked before a fit), so features
 * other than TF-IDF work too: the agent policy appends one-hots of a
 * previous action and an intent.
 *
 * Weights are stored feature-major: w[j*K + k] is the weight of feature j
 * for class k. A sparse row then costs one short contiguous axpy per
 * non-zero, for fitting and for predicting.
 *
 * Threads: fitting and batch prediction use up to n_threads threads (OvR
 * splits classes, softmax splits rows and features). Every sum is taken in
 * an order that does not depend on the thread count, so results are the
 * same bit for bit with 1 or 8 threads. */
#ifndef MIMIC_LINEAR_H
#define MIMIC_LINEAR_H

#include "mimic/core.h"
#include "mimic/sparse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- class lists ------------------------------------------------------- */

/* Distinct class names sorted by byte order (strcmp), so ids are stable. */
typedef struct mimic_labelset {
  int n;
  char **names; /* [n], sorted, unique */
} mimic_labelset;

/* Builds the sorted set of distinct labels; ids (may be NULL) gets each row's class id. */
mimic_status mimic_labelset_build(mimic_labelset *ls, const char *const *labels, size_t n,
                                  int32_t *ids);
/* Builds a set from names given in any order (duplicates are an error). */
mimic_status mimic_labelset_from_names(mimic_labelset *ls, const char *const *names, int n);
/* Returns the id of name, or -1 if it is not in the set. */
int mimic_labelset_find(const mimic_labelset *ls, const char *name);
/* Maps labels to ids; an unknown label fails naming its row (row_base + i). */
mimic_status mimic_labelset_ids(const mimic_labelset *ls, const char *const *labels, size_t n,
                                int32_t *ids, int64_t row_base);
/* Frees the names (safe on a zeroed set). */
void mimic_labelset_free(mimic_labelset *ls);

/* ---- models ------------------------------------------------------------ */

typedef enum mimic_linear_kind {
  MIMIC_LINEAR_OVR = 0,     /* LIBLINEAR one-vs-rest logistic regression */
  MIMIC_LINEAR_SOFTMAX = 1, /* multinomial logistic regression (L-BFGS) */
} mimic_linear_kind;

typedef enum mimic_class_weight {
  MIMIC_CLASS_WEIGHT_NONE = 0,     /* every sample counts once */
  MIMIC_CLASS_WEIGHT_BALANCED = 1, /* n / (K * count_k), as scikit-learn's 'balanced' */
  MIMIC_CLASS_WEIGHT_GIVEN = 2,    /* the weights in class_weight[] */
} mimic_class_weight;

typedef struct mimic_linear_config {
  mimic_linear_kind kind; /* default OVR: ranks uncertainty at least as well (docs/text.md) */
  double C;               /* inverse regularisation strength (default 10; docs/text.md) */
  double tol;             /* OvR: LIBLINEAR eps (default 0.01, LIBLINEAR's own); softmax: stop
                             when ||grad||_inf <= tol * max(1, ||grad_0||_inf) (default 1e-4);
                             0 = the kind's default */
  double bias;            /* OvR: value of LIBLINEAR's bias feature (default 1; <= 0: no
                             intercept); softmax: > 0 fits an unpenalised intercept */
  int max_iter;           /* softmax: L-BFGS iteration cap (default 500); OvR: unused */
  mimic_class_weight class_weight_mode;
  const double *class_weight;  /* [K], used with MIMIC_CLASS_WEIGHT_GIVEN */
  const double *sample_weight; /* [n_rows] or NULL: softmax only (for DAgger reweighting) */
  int n_threads;               /* 0 = all online CPUs */
} mimic_linear_config;

/* Fills cfg with the defaults above. */
void mimic_linear_config_default(mimic_linear_config *cfg);
/* Checks a configuration before any work; fails with a sentence naming the field. */
mimic_status mimic_linear_config_check(const mimic_linear_config *cfg);
/* Returns "ovr" or "softmax". */
const char *mimic_linear_kind_name(mimic_linear_kind kind);
/* Parses "ovr"/"liblinear" or "softmax"/"multinomial". */
mimic_status mimic_linear_kind_parse(const char *name, mimic_linear_kind *out);

typedef struct mimic_linear {
  mimic_linear_kind kind;
  int n_classes;      /* K >= 1 */
  int64_t n_features; /* V, without the bias */
  double C, bias;     /* as fitted; bias <= 0 means no intercept */
  double *w;          /* [V * K], feature-major: w[j*K + k] */
  double *intercept;  /* [K] */
  int n_iter;         /* solver iterations (OvR: the largest over classes) */
  double objective;   /* softmax: final objective; OvR: 0 */
} mimic_linear;

/* Fits a model on rows X with classes y[i] in 0..n_classes-1. Every class
 * must occur at least once. With n_classes == 1 the model always answers
 * that class with probability 1. */
mimic_status mimic_linear_fit(mimic_linear *m, const mimic_csr *X, const int32_t *y, int n_classes,
                              const mimic_linear_config *cfg);
/* Decision values [X.n_rows x K], row-major (LIBLINEAR's predict_values order mapped to classes).
 */
mimic_status mimic_linear_decision(const mimic_linear *m, const mimic_csr *X, double *out);
/* Class probabilities [X.n_rows x K], row-major; each row sums to 1. */
mimic_status mimic_linear_proba(const mimic_linear *m, const mimic_csr *X, double *out);
/* Most probable class per row (ties: lowest id) and, if conf, its probability. */
mimic_status mimic_linear_predict(const mimic_linear *m, const mimic_csr *X, int32_t *pred,
                                  double *conf);
/* Returns coefficient of class k on feature j (scikit-learn's coef_[k, j]). */
static inline double mimic_linear_coef(const mimic_linear *m, int k, int64_t j) {
  return m->w[j * m->n_classes + k];
}
/* Frees the arrays (safe on a zeroed model). */
void mimic_linear_free(mimic_linear *m);

/* ---- random forests ------------------------------------------------------ */

/* Settings of a random forest over the same sparse rows (scikit-learn's
 * RandomForestClassifier), which the agent policy can average with its
 * linear model (mimic/agent.h). */
typedef struct mimic_forest_config {
  int n_trees;          /* default 100 */
  double max_features;  /* share of the features tried per split; 0 = sqrt(n_features) */
  int min_samples_leaf; /* distinct rows a leaf must keep; default 1 */
  int max_depth;        /* 0 = until pure (at most 256 levels) */
  uint64_t seed;        /* default 0 */
  int n_threads;        /* 0 = all online CPUs; results do not depend on it */
} mimic_forest_config;

#ifdef __cplusplus
}
#endif
#endif
