/* Linear classifiers: class lists, configuration, and the prediction path
 * shared by both models (fitting lives in linear_ovr.c and
 * linear_softmax.c).
 *
 * Prediction is a sparse row times the feature-major weight matrix: for
 * each non-zero x_j, z += x_j * w[j, :], one contiguous axpy over the K
 * classes, then either a softmax (SOFTMAX) or LIBLINEAR's normalised
 * sigmoids (OVR). The decision values are summed in the row's column
 * order with the bias last, which is LIBLINEAR's own order in
 * predict_values(), so OvR outputs match LIBLINEAR's to rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimic/linear.h"
#include "text/linear_impl.h"
#include "text/pool.h"
#include "text/csr.h"

int mimic_default_threads(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  return (int)n;
}

/* ---- class lists ------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mimic_labelset_free(mimic_labelset *ls) {
  if (!ls) return;
  for (int i = 0; i < ls->n; i++) free(ls->names[i]);
  free(ls->names);
  memset(ls, 0, sizeof *ls);
}

mimic_status mimic_labelset_from_names(mimic_labelset *ls, const char *const *names, int n) {
  memset(ls, 0, sizeof *ls);
  if (n < 0) return mimic_fail(MIMIC_ERR_INVALID, "class list: negative size");
  ls->names = mimic_calloc((size_t)(n ? n : 1), sizeof *ls->names, "class names");
  if (!ls->names) return MIMIC_ERR_NOMEM;
  for (int i = 0; i < n; i++) {
    if (!names[i]) {
      mimic_labelset_free(ls);
      return mimic_fail(MIMIC_ERR_INVALID, "class list: name %d is missing", i);
    }
    ls->names[i] = mimic_strdup(names[i]);
    if (!ls->names[i]) {
      mimic_labelset_free(ls);
      return MIMIC_ERR_NOMEM;
    }
    ls->n = i + 1;
  }
  qsort(ls->names, (size_t)n, sizeof *ls->names, cmp_str);
  for (int i = 1; i < n; i++)
    if (strcmp(ls->names[i - 1], ls->names[i]) == 0) {
      mimic_status st =
          mimic_fail(MIMIC_ERR_INVALID, "class list: '%s' appears twice", ls->names[i]);
      mimic_labelset_free(ls);
      return st;
    }
  return MIMIC_OK;
}

mimic_status mimic_labelset_build(mimic_labelset *ls, const char *const *labels, size_t n,
                                  int32_t *ids) {
  memset(ls, 0, sizeof *ls);
  const char **tmp = mimic_malloc((n ? n : 1) * sizeof *tmp, "class names");
  if (!tmp) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) {
    if (!labels[i]) {
      free(tmp);
      return mimic_fail(MIMIC_ERR_INVALID, "row %zu: label is missing", i);
    }
    tmp[i] = labels[i];
  }
  qsort(tmp, n, sizeof *tmp, cmp_str);
  size_t u = 0;
  for (size_t i = 0; i < n; i++)
    if (u == 0 || strcmp(tmp[u - 1], tmp[i]) != 0) tmp[u++] = tmp[i];
  if (u > INT32_MAX) {
    free(tmp);
    return mimic_fail(MIMIC_ERR_RANGE, "too many classes");
  }
  mimic_status st = mimic_labelset_from_names(ls, tmp, (int)u);
  free(tmp);
  if (st) return st;
  if (ids) {
    st = mimic_labelset_ids(ls, labels, n, ids, 0);
    if (st) mimic_labelset_free(ls);
  }
  return st;
}

int mimic_labelset_find(const mimic_labelset *ls, const char *name) {
  int lo = 0, hi = ls->n - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    int c = strcmp(ls->names[mid], name);
    if (c == 0) return mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

mimic_status mimic_labelset_ids(const mimic_labelset *ls, const char *const *labels, size_t n,
                                int32_t *ids, int64_t row_base) {
  for (size_t i = 0; i < n; i++) {
    int k = labels[i] ? mimic_labelset_find(ls, labels[i]) : -1;
    if (k < 0)
      return mimic_fail(MIMIC_ERR_NOT_FOUND, "row %lld: unknown label '%s'",
                        (long long)(row_base + (int64_t)i), labels[i] ? labels[i] : "(none)");
    ids[i] = k;
  }
  return MIMIC_OK;
}

mimic_status mimic_labelset_copy(const mimic_labelset *a, mimic_labelset *out) {
  return mimic_labelset_from_names(out, (const char *const *)a->names, a->n);
}

/* ---- configuration ----------------------------------------------------- */

void mimic_linear_config_default(mimic_linear_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->kind = MIMIC_LINEAR_OVR;
  cfg->C = 10.0;
  cfg->tol = 0; /* the kind's own default: see mimic_linear_tol */
  cfg->bias = 1.0;
  cfg->max_iter = 500;
  cfg->class_weight_mode = MIMIC_CLASS_WEIGHT_NONE;
  cfg->n_threads = 0;
}

double mimic_linear_tol(const mimic_linear_config *cfg) {
  if (cfg->tol > 0) return cfg->tol;
  /* LIBLINEAR's own default for L2 logistic regression (-s 0) is 0.01: on
   * intent data it gives the accuracy of 1e-4 (BANKING77: 0.898 either way)
   * in half the time. Softmax's L-BFGS stops on a relative gradient norm. */
  return cfg->kind == MIMIC_LINEAR_OVR ? 1e-2 : 1e-4;
}

mimic_status mimic_linear_config_check(const mimic_linear_config *cfg) {
  if (cfg->kind != MIMIC_LINEAR_OVR && cfg->kind != MIMIC_LINEAR_SOFTMAX)
    return mimic_fail(MIMIC_ERR_INVALID, "model kind %d is neither ovr nor softmax", cfg->kind);
  if (!(cfg->C > 0) || !isfinite(cfg->C))
    return mimic_fail(MIMIC_ERR_INVALID, "C must be a positive number, got %g", cfg->C);
  if (!(cfg->tol >= 0) || !isfinite(cfg->tol))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "tol must be a positive number (or 0 for the default), got %g", cfg->tol);
  if (!isfinite(cfg->bias))
    return mimic_fail(MIMIC_ERR_INVALID, "bias must be finite, got %g", cfg->bias);
  if (cfg->max_iter < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "max_iter must be >= 1, got %d", cfg->max_iter);
  if (cfg->class_weight_mode == MIMIC_CLASS_WEIGHT_GIVEN && !cfg->class_weight)
    return mimic_fail(MIMIC_ERR_INVALID, "class weights requested but none given");
  if (cfg->class_weight_mode < MIMIC_CLASS_WEIGHT_NONE ||
      cfg->class_weight_mode > MIMIC_CLASS_WEIGHT_GIVEN)
    return mimic_fail(MIMIC_ERR_INVALID, "unknown class weight mode %d", cfg->class_weight_mode);
  if (cfg->n_threads < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "n_threads must be >= 0, got %d", cfg->n_threads);
  if (cfg->sample_weight && cfg->kind == MIMIC_LINEAR_OVR)
    return mimic_fail(MIMIC_ERR_INVALID, "sample weights need the softmax model");
  return MIMIC_OK;
}

const char *mimic_linear_kind_name(mimic_linear_kind kind) {
  return kind == MIMIC_LINEAR_OVR ? "ovr" : kind == MIMIC_LINEAR_SOFTMAX ? "softmax" : "unknown";
}

mimic_status mimic_linear_kind_parse(const char *name, mimic_linear_kind *out) {
  if (!strcmp(name, "ovr") || !strcmp(name, "liblinear") || !strcmp(name, "one-vs-rest")) {
    *out = MIMIC_LINEAR_OVR;
    return MIMIC_OK;
  }
  if (!strcmp(name, "softmax") || !strcmp(name, "multinomial")) {
    *out = MIMIC_LINEAR_SOFTMAX;
    return MIMIC_OK;
  }
  return mimic_fail(MIMIC_ERR_INVALID, "unknown model '%s' (want ovr or softmax)", name);
}

/* Per-class weights resolved from the configuration into cw[K]. */
mimic_status linear_class_weights(const mimic_linear_config *cfg, const int32_t *y, size_t n, int K,
                                  double *cw) {
  for (int k = 0; k < K; k++) cw[k] = 1.0;
  if (cfg->class_weight_mode == MIMIC_CLASS_WEIGHT_GIVEN) {
    for (int k = 0; k < K; k++) {
      if (!(cfg->class_weight[k] > 0) || !isfinite(cfg->class_weight[k]))
        return mimic_fail(MIMIC_ERR_INVALID, "class weight %d must be positive, got %g", k,
                          cfg->class_weight[k]);
      cw[k] = cfg->class_weight[k];
    }
  } else if (cfg->class_weight_mode == MIMIC_CLASS_WEIGHT_BALANCED) {
    int64_t *cnt = mimic_calloc((size_t)K, sizeof *cnt, "class counts");
    if (!cnt) return MIMIC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) cnt[y[i]]++;
    for (int k = 0; k < K; k++) cw[k] = (double)n / ((double)K * (double)cnt[k]);
    free(cnt);
  }
  return MIMIC_OK;
}

/* ---- fit dispatch ------------------------------------------------------ */

void mimic_linear_free(mimic_linear *m) {
  if (!m) return;
  free(m->w);
  free(m->intercept);
  memset(m, 0, sizeof *m);
}

mimic_status linear_alloc(mimic_linear *m, mimic_linear_kind kind, int K, int64_t V) {
  memset(m, 0, sizeof *m);
  m->kind = kind;
  m->n_classes = K;
  m->n_features = V;
  m->w = mimic_calloc((size_t)(V * K > 0 ? V * K : 1), sizeof *m->w, "model weights");
  m->intercept = mimic_calloc((size_t)K, sizeof *m->intercept, "model intercepts");
  if (!m->w || !m->intercept) {
    mimic_linear_free(m);
    return MIMIC_ERR_NOMEM;
  }
  return MIMIC_OK;
}

mimic_status mimic_linear_fit(mimic_linear *m, const mimic_csr *X, const int32_t *y, int n_classes,
                              const mimic_linear_config *cfg) {
  memset(m, 0, sizeof *m);
  MIMIC_TRY(mimic_linear_config_check(cfg));
  MIMIC_TRY(mimic_csr_check(X, "training features"));
  if (X->n_rows < 1) return mimic_fail(MIMIC_ERR_INVALID, "no training rows");
  if (n_classes < 1) return mimic_fail(MIMIC_ERR_INVALID, "no classes");
  int64_t *cnt = mimic_calloc((size_t)n_classes, sizeof *cnt, "class counts");
  if (!cnt) return MIMIC_ERR_NOMEM;
  for (int64_t i = 0; i < X->n_rows; i++) {
    if (y[i] < 0 || y[i] >= n_classes) {
      free(cnt);
      return mimic_fail(MIMIC_ERR_RANGE, "row %lld: class %d outside 0..%d", (long long)i, y[i],
                        n_classes - 1);
    }
    cnt[y[i]]++;
  }
  for (int k = 0; k < n_classes; k++)
    if (cnt[k] == 0) {
      free(cnt);
      return mimic_fail(MIMIC_ERR_INVALID, "class %d has no training rows", k);
    }
  free(cnt);
  if (cfg->sample_weight)
    for (int64_t i = 0; i < X->n_rows; i++)
      if (!(cfg->sample_weight[i] >= 0) || !isfinite(cfg->sample_weight[i]))
        return mimic_fail(MIMIC_ERR_INVALID, "row %lld: sample weight must be >= 0, got %g",
                          (long long)i, cfg->sample_weight[i]);
  if (n_classes == 1) { /* nothing to learn: always the one class */
    MIMIC_TRY(linear_alloc(m, cfg->kind, 1, X->n_cols));
    m->C = cfg->C;
    m->bias = cfg->bias;
    return MIMIC_OK;
  }
  if (cfg->kind == MIMIC_LINEAR_OVR) return linear_fit_ovr(m, X, y, n_classes, cfg);
  return linear_fit_softmax(m, X, y, n_classes, cfg);
}

/* ---- prediction -------------------------------------------------------- */

static inline void decision_row(const mimic_linear *m, const int32_t *idx, const double *val,
                                int64_t nnz, double *z) {
  int K = m->n_classes;
  for (int k = 0; k < K; k++) z[k] = 0.0;
  for (int64_t p = 0; p < nnz; p++) {
    if (idx[p] >= m->n_features) continue; /* unseen feature: weight 0 */
    const double *w = m->w + (int64_t)idx[p] * K;
    double x = val[p];
    for (int k = 0; k < K; k++) z[k] += w[k] * x;
  }
  /* LIBLINEAR adds the bias feature last (its value is `bias`, its weight the intercept
   * divided by it); softmax adds the intercept. */
  for (int k = 0; k < K; k++) z[k] += m->intercept[k];
}

static inline void proba_from_decision(const mimic_linear *m, double *z) {
  int K = m->n_classes;
  if (K == 1) {
    z[0] = 1.0;
    return;
  }
  if (m->kind == MIMIC_LINEAR_OVR) {
    double s = 0.0;
    for (int k = 0; k < K; k++) {
      z[k] = 1.0 / (1.0 + exp(-z[k]));
      s += z[k];
    }
    for (int k = 0; k < K; k++) z[k] /= s;
  } else {
    double mx = z[0];
    for (int k = 1; k < K; k++)
      if (z[k] > mx) mx = z[k];
    double s = 0.0;
    for (int k = 0; k < K; k++) {
      z[k] = exp(z[k] - mx);
      s += z[k];
    }
    for (int k = 0; k < K; k++) z[k] /= s;
  }
}

void mimic_linear_proba_row(const mimic_linear *m, const int32_t *idx, const double *val,
                            int64_t nnz, double *out) {
  decision_row(m, idx, val, nnz, out);
  proba_from_decision(m, out);
}

typedef struct predict_job {
  const mimic_linear *m;
  const mimic_csr *X;
  double *out;
  bool proba;
} predict_job;

static void predict_rows(void *ctx, int64_t begin, int64_t end, int worker) {
  (void)worker;
  predict_job *j = ctx;
  const mimic_csr *X = j->X;
  int K = j->m->n_classes;
  for (int64_t i = begin; i < end; i++) {
    int64_t a = X->indptr[i];
    double *z = j->out + i * K;
    decision_row(j->m, X->indices + a, X->data + a, X->indptr[i + 1] - a, z);
    if (j->proba) proba_from_decision(j->m, z);
  }
}

static mimic_status run_predict(const mimic_linear *m, const mimic_csr *X, double *out,
                                bool proba) {
  if (!m->w || m->n_classes < 1) return mimic_fail(MIMIC_ERR_INVALID, "the model is not fitted");
  if (X->n_cols > m->n_features && X->n_cols != m->n_features)
    MIMIC_DEBUG("predict: %lld features, model knows %lld (extra ones ignored)",
                (long long)X->n_cols, (long long)m->n_features);
  predict_job j = {m, X, out, proba};
  int64_t work = mimic_csr_nnz(X) * m->n_classes;
  tpool *pool = NULL;
  if (work > 2000000) { /* threads only pay off for big batches */
    MIMIC_TRY(tpool_create(mimic_default_threads(), &pool));
  }
  tpool_for(pool, X->n_rows, 256, predict_rows, &j);
  tpool_destroy(pool);
  return MIMIC_OK;
}

mimic_status mimic_linear_decision(const mimic_linear *m, const mimic_csr *X, double *out) {
  return run_predict(m, X, out, false);
}

mimic_status mimic_linear_proba(const mimic_linear *m, const mimic_csr *X, double *out) {
  return run_predict(m, X, out, true);
}

mimic_status mimic_linear_predict(const mimic_linear *m, const mimic_csr *X, int32_t *pred,
                                  double *conf) {
  int K = m->n_classes;
  double *p =
      mimic_malloc((size_t)(X->n_rows * K > 0 ? X->n_rows * K : 1) * sizeof *p, "probabilities");
  if (!p) return MIMIC_ERR_NOMEM;
  mimic_status st = mimic_linear_proba(m, X, p);
  if (st == MIMIC_OK)
    for (int64_t i = 0; i < X->n_rows; i++) {
      const double *r = p + i * K;
      int best = 0;
      for (int k = 1; k < K; k++)
        if (r[k] > r[best]) best = k;
      pred[i] = best;
      if (conf) conf[i] = r[best];
    }
  free(p);
  return st;
}

mimic_status mimic_linear_copy(const mimic_linear *a, mimic_linear *out) {
  MIMIC_TRY(linear_alloc(out, a->kind, a->n_classes, a->n_features));
  out->C = a->C;
  out->bias = a->bias;
  out->n_iter = a->n_iter;
  out->objective = a->objective;
  memcpy(out->w, a->w, (size_t)(a->n_features * a->n_classes) * sizeof *a->w);
  memcpy(out->intercept, a->intercept, (size_t)a->n_classes * sizeof *a->intercept);
  return MIMIC_OK;
}
