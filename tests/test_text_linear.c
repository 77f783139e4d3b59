/* Linear models against the references in $MIMIC_TESTDATA/text:
 *   - OvR through LIBLINEAR vs `liblinear_c` (LIBLINEAR 2.30 itself, C=1,
 *     bias=1, eps=1e-4): coef, intercept, decision values and probabilities
 *     to 1e-9, with LIBLINEAR's class order mapped back to sorted order;
 *   - softmax vs `lbfgs_multinomial_exact`: probabilities to 1e-6 and the
 *     objective value;
 * plus: the per-class OvR decomposition equals LIBLINEAR's own multi-class
 * train() with class weights, two-class and one-class models, bit-identical
 * results for any thread count, sample weights, and input errors. */
#include "testutil.h"

#include <linear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/linear.h"
#include "mimic/text.h"
#include "text/csr.h"

static const char *const files[] = {
    "text/tfidf_support_default.json",    "text/tfidf_support_sublinear_tf.json",
    "text/tfidf_support_ngram_1_2.json",  "text/tfidf_messy_default.json",
    "text/tfidf_messy_sublinear_tf.json", "text/tfidf_messy_ngram_1_2.json",
};

/* Builds a CSR matrix from a reference COO object. */
static void csr_from(const json_t *ref, mimic_csr *X) {
  int64_t nr = json_integer_value(json_object_get(ref, "n_rows"));
  int64_t nc = json_integer_value(json_object_get(ref, "n_cols"));
  const json_t *rows = json_object_get(ref, "row"), *cols = json_object_get(ref, "col"),
               *vals = json_object_get(ref, "value");
  size_t nnz = json_array_size(rows);
  assert_int_equal(mimic_csr_alloc(X, nr, nc, (int64_t)nnz), MIMIC_OK);
  for (size_t q = 0; q < nnz; q++) {
    int64_t r = json_integer_value(json_array_get(rows, q));
    X->indices[q] = (int32_t)json_integer_value(json_array_get(cols, q));
    X->data[q] = json_number_value(json_array_get(vals, q));
    X->indptr[r + 1] = (int64_t)q + 1;
  }
  for (int64_t r = 0; r < nr; r++)
    if (X->indptr[r + 1] < X->indptr[r]) X->indptr[r + 1] = X->indptr[r];
  assert_int_equal(mimic_csr_check(X, "reference"), MIMIC_OK);
}

static double *tensor(const json_t *model, const char *key, size_t *n) {
  return tu_tensor_f64(json_object_get(model, key), n);
}

static void check_model(const mimic_linear *m, const json_t *ref, const mimic_csr *Xtr,
                        const mimic_csr *Xho, double tol, bool decision, bool coefs,
                        const char *what) {
  int K = m->n_classes;
  size_t n;
  char msg[128];
  if (coefs) {
    double *coef = tensor(ref, "coef", &n), *icpt = tensor(ref, "intercept", &n);
    double *got = malloc((size_t)K * (size_t)m->n_features * sizeof *got);
    for (int k = 0; k < K; k++)
      for (int64_t j = 0; j < m->n_features; j++)
        got[k * m->n_features + j] = mimic_linear_coef(m, k, j);
    snprintf(msg, sizeof msg, "%s coef", what);
    tu_assert_close_f64(got, coef, (size_t)K * (size_t)m->n_features, tol, 0, msg);
    snprintf(msg, sizeof msg, "%s intercept", what);
    tu_assert_close_f64(m->intercept, icpt, (size_t)K, tol, 0, msg);
    free(got);
    free(coef);
    free(icpt);
  }
  const mimic_csr *Xs[2] = {Xtr, Xho};
  const char *sets[2] = {"train", "heldout"};
  for (int s = 0; s < 2; s++) {
    double *out = malloc((size_t)(Xs[s]->n_rows * K) * sizeof *out);
    char key[64];
    if (decision) {
      assert_int_equal(mimic_linear_decision(m, Xs[s], out), MIMIC_OK);
      snprintf(key, sizeof key, "decision_%s", sets[s]);
      double *want = tensor(ref, key, &n);
      assert_int_equal(n, (size_t)(Xs[s]->n_rows * K));
      snprintf(msg, sizeof msg, "%s %s", what, key);
      tu_assert_close_f64(out, want, n, tol, 0, msg);
      free(want);
    }
    assert_int_equal(mimic_linear_proba(m, Xs[s], out), MIMIC_OK);
    snprintf(key, sizeof key, "proba_%s", sets[s]);
    double *want = tensor(ref, key, &n);
    assert_int_equal(n, (size_t)(Xs[s]->n_rows * K));
    snprintf(msg, sizeof msg, "%s %s", what, key);
    tu_assert_close_f64(out, want, n, tol, 0, msg);
    free(want);
    free(out);
  }
}

static void load_case(const char *rel, json_t **doc, mimic_csr *Xtr, mimic_csr *Xho, int32_t **y,
                      int *K) {
  *doc = tu_load_json(rel);
  csr_from(json_object_get(*doc, "train_tfidf"), Xtr);
  csr_from(json_object_get(*doc, "heldout_tfidf"), Xho);
  const json_t *cl = json_object_get(*doc, "classifiers");
  *K = (int)json_array_size(json_object_get(cl, "classes"));
  size_t n;
  int64_t *ids = tu_tensor_i64(json_object_get(cl, "train_label_ids"), &n);
  assert_int_equal(n, Xtr->n_rows);
  *y = malloc(n * sizeof **y);
  for (size_t i = 0; i < n; i++) (*y)[i] = (int32_t)ids[i];
  free(ids);
}

static void test_liblinear_reference(void **state) {
  (void)state;
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    json_t *doc;
    mimic_csr Xtr, Xho;
    int32_t *y;
    int K;
    load_case(files[f], &doc, &Xtr, &Xho, &y, &K);
    const json_t *ref = json_object_get(json_object_get(doc, "classifiers"), "liblinear_c");
    assert_true(tu_num(ref, "C") == 1.0 && tu_num(ref, "eps") == 1e-4 &&
                tu_num(ref, "bias") == 1.0);
    mimic_linear_config cfg;
    mimic_linear_config_default(&cfg);
    cfg.kind = MIMIC_LINEAR_OVR;
    cfg.C = 1.0;
    cfg.tol = 1e-4;
    cfg.bias = 1.0;
    mimic_linear m;
    assert_int_equal(mimic_linear_fit(&m, &Xtr, y, K, &cfg), MIMIC_OK);
    check_model(&m, ref, &Xtr, &Xho, 1e-9, true, true, files[f]);
    mimic_linear_free(&m);
    /* against the solver-independent optimum, at its documented tolerance */
    const json_t *ex = json_object_get(json_object_get(doc, "classifiers"), "liblinear_ovr_exact");
    assert_int_equal(mimic_linear_fit(&m, &Xtr, y, K, &cfg), MIMIC_OK);
    check_model(&m, ex, &Xtr, &Xho, 2e-4, true, true, "ovr exact");
    mimic_linear_free(&m);
    free(y);
    mimic_csr_free(&Xtr);
    mimic_csr_free(&Xho);
    json_decref(doc);
  }
}

static void test_softmax_reference(void **state) {
  (void)state;
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    json_t *doc;
    mimic_csr Xtr, Xho;
    int32_t *y;
    int K;
    load_case(files[f], &doc, &Xtr, &Xho, &y, &K);
    const json_t *ref =
        json_object_get(json_object_get(doc, "classifiers"), "lbfgs_multinomial_exact");
    mimic_linear_config cfg;
    mimic_linear_config_default(&cfg);
    cfg.kind = MIMIC_LINEAR_SOFTMAX;
    cfg.C = 1.0;
    cfg.tol = 1e-10;
    cfg.max_iter = 5000;
    mimic_linear m;
    assert_int_equal(mimic_linear_fit(&m, &Xtr, y, K, &cfg), MIMIC_OK);
    check_model(&m, ref, &Xtr, &Xho, 1e-6, false, false, files[f]);
    double obj = tu_num(ref, "objective");
    if (fabs(m.objective - obj) > 1e-9 * fabs(obj))
      fail_msg("%s: objective %.15g, want %.15g", files[f], m.objective, obj);
    /* coefficients too, and intercepts summing to zero like the reference */
    check_model(&m, ref, &Xtr, &Xho, 1e-5, false, true, files[f]);
    double sb = 0;
    for (int k = 0; k < K; k++) sb += m.intercept[k];
    assert_true(fabs(sb) < 1e-9);
    mimic_linear_free(&m);
    /* scikit-learn's own lbfgs stops early: within its documented 1e-4 */
    const json_t *sk =
        json_object_get(json_object_get(doc, "classifiers"), "lbfgs_multinomial_sklearn");
    cfg.tol = 1e-4;
    assert_int_equal(mimic_linear_fit(&m, &Xtr, y, K, &cfg), MIMIC_OK);
    check_model(&m, sk, &Xtr, &Xho, 1e-3, false, false, "softmax vs sklearn");
    mimic_linear_free(&m);
    free(y);
    mimic_csr_free(&Xtr);
    mimic_csr_free(&Xho);
    json_decref(doc);
  }
}

/* mimic's class-by-class OvR equals one call of LIBLINEAR's multi-class
 * train() with the same class weights (LIBLINEAR weights only the class's
 * own side). */
static void test_ovr_equals_liblinear_multiclass(void **state) {
  (void)state;
  json_t *doc;
  mimic_csr Xtr, Xho;
  int32_t *y;
  int K;
  load_case(files[0], &doc, &Xtr, &Xho, &y, &K);
  double cw[8] = {0.5, 2.0, 1.5, 3.0, 1, 1, 1, 1};
  mimic_linear_config cfg;
  mimic_linear_config_default(&cfg);
  cfg.kind = MIMIC_LINEAR_OVR;
  cfg.C = 3.0;
  cfg.tol = 1e-4; /* the eps LIBLINEAR is called with below */
  cfg.class_weight_mode = MIMIC_CLASS_WEIGHT_GIVEN;
  cfg.class_weight = cw;
  mimic_linear m;
  assert_int_equal(mimic_linear_fit(&m, &Xtr, y, K, &cfg), MIMIC_OK);
  /* LIBLINEAR directly */
  int64_t n = Xtr.n_rows, V = Xtr.n_cols;
  struct feature_node *nodes = malloc((size_t)(mimic_csr_nnz(&Xtr) + 2 * n) * sizeof *nodes);
  struct feature_node **rows = malloc((size_t)n * sizeof *rows);
  double *yy = malloc((size_t)n * sizeof *yy);
  int64_t q = 0;
  for (int64_t i = 0; i < n; i++) {
    rows[i] = nodes + q;
    for (int64_t p = Xtr.indptr[i]; p < Xtr.indptr[i + 1]; p++) {
      nodes[q].index = Xtr.indices[p] + 1;
      nodes[q++].value = Xtr.data[p];
    }
    nodes[q].index = (int)V + 1;
    nodes[q++].value = 1.0;
    nodes[q++].index = -1;
    yy[i] = y[i];
  }
  struct problem prob = {.l = (int)n, .n = (int)V + 1, .y = yy, .x = rows, .bias = 1.0};
  int wl[8];
  for (int k = 0; k < K; k++) wl[k] = k;
  struct parameter par = {.solver_type = L2R_LR,
                          .eps = 1e-4,
                          .C = 3.0,
                          .nr_weight = K,
                          .weight_label = wl,
                          .weight = cw,
                          .p = 0.1};
  struct model *ll = train(&prob, &par);
  for (int c = 0; c < K; c++) {
    int k = ll->label[c];
    for (int64_t j = 0; j < V; j++)
      if (fabs(get_decfun_coef(ll, (int)j + 1, c) - mimic_linear_coef(&m, k, j)) > 1e-9)
        fail_msg("class %d feature %lld differs", k, (long long)j);
    assert_true(fabs(get_decfun_bias(ll, c) - m.intercept[k]) < 1e-9);
  }
  free_and_destroy_model(&ll);
  free(nodes);
  free(rows);
  free(yy);
  mimic_linear_free(&m);
  free(y);
  mimic_csr_free(&Xtr);
  mimic_csr_free(&Xho);
  json_decref(doc);
}

/* Same results bit for bit with 1, 2 and 3 threads (and twice in a row). */
static void test_threads_bit_identical(void **state) {
  (void)state;
  json_t *doc;
  mimic_csr Xtr, Xho;
  int32_t *y;
  int K;
  load_case(files[5], &doc, &Xtr, &Xho, &y, &K);
  for (int kind = 0; kind < 2; kind++) {
    mimic_linear ref;
    mimic_linear_config cfg;
    mimic_linear_config_default(&cfg);
    cfg.kind = (mimic_linear_kind)kind;
    cfg.n_threads = 1;
    assert_int_equal(mimic_linear_fit(&ref, &Xtr, y, K, &cfg), MIMIC_OK);
    for (int t = 1; t <= 3; t++) {
      mimic_linear m;
      cfg.n_threads = t;
      assert_int_equal(mimic_linear_fit(&m, &Xtr, y, K, &cfg), MIMIC_OK);
      assert_memory_equal(m.w, ref.w, (size_t)(Xtr.n_cols * K) * sizeof *m.w);
      assert_memory_equal(m.intercept, ref.intercept, (size_t)K * sizeof *m.intercept);
      assert_int_equal(m.n_iter, ref.n_iter);
      mimic_linear_free(&m);
    }
    mimic_linear_free(&ref);
  }
  free(y);
  mimic_csr_free(&Xtr);
  mimic_csr_free(&Xho);
  json_decref(doc);
}

/* Two classes (one binary problem), one class (a constant), weights and errors. */
static void test_small_cases(void **state) {
  (void)state;
  /* 1-D data: class 1 when x > 0 */
  mimic_csr X;
  assert_int_equal(mimic_csr_alloc(&X, 6, 2, 6), MIMIC_OK);
  double xs[6] = {-2, -1, -0.5, 0.5, 1, 2};
  int32_t y[6] = {0, 0, 0, 1, 1, 1};
  for (int i = 0; i < 6; i++) {
    X.indices[i] = 0;
    X.data[i] = xs[i];
    X.indptr[i + 1] = i + 1;
  }
  for (int kind = 0; kind < 2; kind++) {
    mimic_linear_config cfg;
    mimic_linear_config_default(&cfg);
    cfg.kind = (mimic_linear_kind)kind;
    mimic_linear m;
    assert_int_equal(mimic_linear_fit(&m, &X, y, 2, &cfg), MIMIC_OK);
    double p[12];
    assert_int_equal(mimic_linear_proba(&m, &X, p), MIMIC_OK);
    for (int i = 0; i < 6; i++) {
      assert_true(fabs(p[2 * i] + p[2 * i + 1] - 1.0) < 1e-12);
      assert_true((p[2 * i + 1] > 0.5) == (y[i] == 1));
    }
    /* symmetric data: p(x) + p(-x) = 1 for the OvR binary model */
    if (kind == MIMIC_LINEAR_OVR) assert_true(fabs(p[1] + p[11] - 1.0) < 1e-6);
    int32_t pred[6];
    double conf[6];
    assert_int_equal(mimic_linear_predict(&m, &X, pred, conf), MIMIC_OK);
    for (int i = 0; i < 6; i++) assert_int_equal(pred[i], y[i]);
    mimic_linear_free(&m);
    /* one class: probability 1 */
    int32_t zeros[6] = {0};
    assert_int_equal(mimic_linear_fit(&m, &X, zeros, 1, &cfg), MIMIC_OK);
    assert_int_equal(mimic_linear_proba(&m, &X, p), MIMIC_OK);
    for (int i = 0; i < 6; i++) assert_true(p[i] == 1.0);
    mimic_linear_free(&m);
    /* errors: a class without rows, a class out of range */
    assert_int_equal(mimic_linear_fit(&m, &X, y, 3, &cfg), MIMIC_ERR_INVALID);
    assert_non_null(strstr(mimic_errmsg(), "class 2 has no training rows"));
    int32_t bad[6] = {0, 0, 0, 1, 1, 5};
    assert_int_equal(mimic_linear_fit(&m, &X, bad, 2, &cfg), MIMIC_ERR_RANGE);
    assert_non_null(strstr(mimic_errmsg(), "row 5"));
    cfg.C = -1;
    assert_int_equal(mimic_linear_fit(&m, &X, y, 2, &cfg), MIMIC_ERR_INVALID);
    assert_non_null(strstr(mimic_errmsg(), "C must be"));
  }
  /* sample weights: doubling every weight equals doubling C (softmax) */
  mimic_linear_config cfg;
  mimic_linear_config_default(&cfg);
  cfg.kind = MIMIC_LINEAR_SOFTMAX;
  cfg.tol = 1e-10;
  double sw[6] = {2, 2, 2, 2, 2, 2};
  mimic_linear a, b;
  cfg.sample_weight = sw;
  assert_int_equal(mimic_linear_fit(&a, &X, y, 2, &cfg), MIMIC_OK);
  cfg.sample_weight = NULL;
  cfg.C *= 2;
  assert_int_equal(mimic_linear_fit(&b, &X, y, 2, &cfg), MIMIC_OK);
  assert_true(fabs(a.w[0] - b.w[0]) < 1e-6 && fabs(a.w[1] - b.w[1]) < 1e-6);
  mimic_linear_free(&a);
  mimic_linear_free(&b);
  /* sample weights are a softmax feature */
  cfg.kind = MIMIC_LINEAR_OVR;
  cfg.sample_weight = sw;
  assert_int_equal(mimic_linear_fit(&a, &X, y, 2, &cfg), MIMIC_ERR_INVALID);
  cfg.sample_weight = NULL;
  /* balanced class weights (n / (K * count)) move the boundary toward the big class */
  int32_t yi[6] = {0, 0, 0, 0, 0, 1};
  for (int kind = 0; kind < 2; kind++) {
    double pn[12], pb[12];
    cfg.kind = (mimic_linear_kind)kind;
    cfg.class_weight_mode = MIMIC_CLASS_WEIGHT_NONE;
    assert_int_equal(mimic_linear_fit(&a, &X, yi, 2, &cfg), MIMIC_OK);
    assert_int_equal(mimic_linear_proba(&a, &X, pn), MIMIC_OK);
    mimic_linear_free(&a);
    cfg.class_weight_mode = MIMIC_CLASS_WEIGHT_BALANCED;
    assert_int_equal(mimic_linear_fit(&a, &X, yi, 2, &cfg), MIMIC_OK);
    assert_int_equal(mimic_linear_proba(&a, &X, pb), MIMIC_OK);
    mimic_linear_free(&a);
    /* the rare class gains near the boundary (x = 0.5 and x = 1) */
    assert_true(pb[7] > pn[7] && pb[9] > pn[9]);
  }
  mimic_csr_free(&X);
}

static void test_labelset(void **state) {
  (void)state;
  const char *labels[] = {"card", "atm", "card", "zeta", "atm"};
  mimic_labelset ls;
  int32_t ids[5];
  assert_int_equal(mimic_labelset_build(&ls, labels, 5, ids), MIMIC_OK);
  assert_int_equal(ls.n, 3);
  assert_string_equal(ls.names[0], "atm");
  assert_int_equal(ids[0], 1);
  assert_int_equal(ids[3], 2);
  assert_int_equal(mimic_labelset_find(&ls, "zeta"), 2);
  assert_int_equal(mimic_labelset_find(&ls, "nope"), -1);
  const char *more[] = {"atm", "unknown"};
  assert_int_equal(mimic_labelset_ids(&ls, more, 2, ids, 10), MIMIC_ERR_NOT_FOUND);
  assert_non_null(strstr(mimic_errmsg(), "row 11"));
  mimic_labelset_free(&ls);
  const char *dup[] = {"a", "b", "a"};
  assert_int_equal(mimic_labelset_from_names(&ls, dup, 3), MIMIC_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_liblinear_reference),
      cmocka_unit_test(test_softmax_reference),
      cmocka_unit_test(test_ovr_equals_liblinear_multiclass),
      cmocka_unit_test(test_threads_bit_identical),
      cmocka_unit_test(test_small_cases),
      cmocka_unit_test(test_labelset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
