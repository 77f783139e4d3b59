/* Random forests: splits a linear model cannot make (XOR), thresholds at
 * the midpoint with negative values, zeros (absent entries) and positive
 * values in one column, bit-identical results for a seed whatever the
 * thread count, model-file round trips, files whose nodes do not form
 * trees, and configuration and input errors. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text/forest.h"
#include "text/csr.h"

/* rows of (col, value) pairs; value 0 is left out as CSR leaves it out */
static void build(mimic_csr *X, int n, int d, const double *dense) {
  mimic_csr_builder b = {0};
  assert_int_equal(mimic_csr_builder_init(&b, d), MIMIC_OK);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < d; j++)
      if (dense[i * d + j] != 0)
        assert_int_equal(mimic_csr_builder_add(&b, j, dense[i * d + j]), MIMIC_OK);
    assert_int_equal(mimic_csr_builder_end_row(&b), MIMIC_OK);
  }
  mimic_csr_builder_finish(&b, X);
  mimic_csr_builder_free(&b);
}

static void proba(const mimic_forest *f, const double *x, int d, double *p) {
  int32_t idx[8];
  double val[8], dense[8] = {0};
  int64_t nnz = 0;
  for (int j = 0; j < d; j++)
    if (x[j] != 0) {
      idx[nnz] = j;
      val[nnz++] = x[j];
    }
  mimic_forest_proba_row(f, idx, val, nnz, dense, p);
  for (int j = 0; j < d; j++) assert_true(dense[j] == 0); /* scratch left clean */
}

/* XOR of two binary features plus a noise feature: 25 copies of each corner. */
static void xor_data(mimic_csr *X, int32_t *y) {
  double dense[100 * 3];
  for (int i = 0; i < 100; i++) {
    int a = (i / 25) & 1, b = (i / 50) & 1;
    dense[i * 3] = a;
    dense[i * 3 + 1] = b;
    dense[i * 3 + 2] = (i * 7) % 5;
    y[i] = a ^ b;
  }
  build(X, 100, 3, dense);
}

/* Fits a forest of n_trees on the XOR data (other settings default). */
static void fit_xor(mimic_forest *f, int n_trees, double max_features, uint64_t seed,
                    int n_threads) {
  mimic_csr X;
  int32_t y[100];
  xor_data(&X, y);
  mimic_forest_config cfg;
  mimic_forest_config_default(&cfg);
  cfg.n_trees = n_trees;
  cfg.max_features = max_features;
  cfg.seed = seed;
  cfg.n_threads = n_threads;
  assert_int_equal(mimic_forest_fit(f, &X, y, 2, &cfg), MIMIC_OK);
  mimic_csr_free(&X);
}

static void test_xor(void **state) {
  (void)state;
  mimic_forest f;
  fit_xor(&f, 50, 1.0, 0, 0);
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++) {
      double x[3] = {a, b, 2}, p[2];
      proba(&f, x, 3, p);
      assert_true(fabs(p[0] + p[1] - 1) < 1e-12);
      assert_true(p[a ^ b] > 0.9);
    }
  mimic_forest_free(&f);
}

static void test_negative_zero_positive(void **state) {
  (void)state;
  /* one column: -1 -> class 0, absent (0) -> class 1, +1 -> class 2 */
  double dense[30];
  int32_t y[30];
  for (int i = 0; i < 30; i++) {
    dense[i] = (double)(i % 3) - 1;
    y[i] = i % 3;
  }
  mimic_csr X;
  build(&X, 30, 1, dense);
  mimic_forest_config cfg;
  mimic_forest_config_default(&cfg);
  cfg.n_trees = 1;
  mimic_forest f;
  assert_int_equal(mimic_forest_fit(&f, &X, y, 3, &cfg), MIMIC_OK);
  /* one tree of pure leaves: thresholds at the midpoints -0.5 and 0.5 */
  assert_int_equal(f.n_leaves, 3);
  for (int64_t i = 0; i < f.n_nodes; i++)
    if (f.nodes[i].feature >= 0)
      assert_true(f.nodes[i].threshold == -0.5 || f.nodes[i].threshold == 0.5);
  for (int c = 0; c < 3; c++) {
    double x[1] = {(double)c - 1}, p[3];
    proba(&f, x, 1, p);
    for (int k = 0; k < 3; k++) assert_true(p[k] == (k == c ? 1.0 : 0.0));
  }
  mimic_forest_free(&f);
  mimic_csr_free(&X);
}

static void test_deterministic_and_threads(void **state) {
  (void)state;
  mimic_forest f1, f2, f3;
  fit_xor(&f1, 17, 0, 5, 1);
  fit_xor(&f2, 17, 0, 5, 2);
  fit_xor(&f3, 17, 0, 6, 2);
  assert_int_equal(f1.n_nodes, f2.n_nodes);
  assert_memory_equal(f1.packed, f2.packed, (size_t)(f1.n_trees + 4 * f1.n_nodes) * sizeof(double));
  assert_memory_equal(f1.leaf, f2.leaf, (size_t)(f1.n_leaves * 2) * sizeof(double));
  bool differs = f1.n_nodes != f3.n_nodes ||
                 memcmp(f1.packed, f3.packed, (size_t)(f1.n_trees + 4 * f1.n_nodes) * 8);
  assert_true(differs); /* another seed draws other bootstraps */
  mimic_forest_free(&f1);
  mimic_forest_free(&f2);
  mimic_forest_free(&f3);
}

/* Writes f as the only part of a model file. */
static void write_forest(const char *path, const mimic_forest *f, const double *nodes) {
  mimic_container c;
  assert_int_equal(mimic_container_init(&c, "mimic.test", 1), MIMIC_OK);
  assert_int_equal(mimic_forest_export(f, "forest", &c), MIMIC_OK);
  if (nodes) c.arrays[0].data = nodes;
  assert_int_equal(mimic_container_save(&c, path), MIMIC_OK);
  mimic_container_free(&c);
}

/* Reads the file written by write_forest. */
static void read_forest(const char *path, mimic_container *file) {
  assert_int_equal(mimic_container_read(path, file), MIMIC_OK);
  assert_int_equal(mimic_container_expect(file, "mimic.test", 1), MIMIC_OK);
}

static void test_file_round_trip_and_bad_trees(void **state) {
  (void)state;
  mimic_forest f, g;
  fit_xor(&f, 5, 0, 0, 0);
  char *path = tu_tmp_path("forest.mimic");
  write_forest(path, &f, NULL);
  mimic_container file;
  read_forest(path, &file);
  assert_int_equal(mimic_forest_import(&g, &file, "forest"), MIMIC_OK);
  mimic_container_free(&file);
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++) {
      double x[3] = {a, b, 1}, p[2], q[2];
      proba(&f, x, 3, p);
      proba(&g, x, 3, q);
      assert_memory_equal(p, q, sizeof p);
    }
  mimic_forest_free(&g);
  /* tampered nodes: a child pointing back to the root, then a feature out of range */
  size_t np = (size_t)(f.n_trees + 4 * f.n_nodes);
  double *bad = malloc(np * sizeof *bad);
  int64_t inner = -1;
  for (int64_t i = 0; i < f.n_nodes && inner < 0; i++)
    if (f.nodes[i].feature >= 0) inner = i;
  assert_true(inner >= 0);
  for (int what = 0; what < 3; what++) {
    memcpy(bad, f.packed, np * sizeof *bad);
    double *node = bad + f.n_trees + 4 * inner;
    if (what == 0) node[2] = (double)inner; /* left child = itself */
    if (what == 1) node[0] = 3;             /* feature 3 of 3 */
    if (what == 2) node[3] = node[2];       /* both children the same node */
    write_forest(path, &f, bad);
    read_forest(path, &file);
    assert_int_equal(mimic_forest_import(&g, &file, "forest"), MIMIC_ERR_FORMAT);
    assert_non_null(strstr(mimic_errmsg(), "meta.forest"));
    mimic_container_free(&file);
  }
  free(bad);
  free(path);
  mimic_forest_free(&f);
  mimic_forest_free(&g);
}

static void test_bad_config_and_labels(void **state) {
  (void)state;
  mimic_csr X;
  int32_t y[100];
  xor_data(&X, y);
  mimic_forest_config cfg;
  mimic_forest f;
  mimic_forest_config_default(&cfg);
  cfg.n_trees = 0;
  assert_int_equal(mimic_forest_fit(&f, &X, y, 2, &cfg), MIMIC_ERR_INVALID);
  mimic_forest_config_default(&cfg);
  cfg.max_features = 1.5;
  assert_int_equal(mimic_forest_fit(&f, &X, y, 2, &cfg), MIMIC_ERR_INVALID);
  mimic_forest_config_default(&cfg);
  cfg.min_samples_leaf = 0;
  assert_int_equal(mimic_forest_fit(&f, &X, y, 2, &cfg), MIMIC_ERR_INVALID);
  mimic_forest_config_default(&cfg);
  X.data[3] = NAN; /* a value that cannot be ordered */
  assert_int_not_equal(mimic_forest_fit(&f, &X, y, 2, &cfg), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "training features"));
  X.data[3] = 1;
  y[7] = 2; /* a label outside 0..1 */
  assert_int_equal(mimic_forest_fit(&f, &X, y, 2, &cfg), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "row 7"));
  mimic_csr_free(&X);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_xor),
      cmocka_unit_test(test_negative_zero_positive),
      cmocka_unit_test(test_deterministic_and_threads),
      cmocka_unit_test(test_file_round_trip_and_bad_trees),
      cmocka_unit_test(test_bad_config_and_labels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
