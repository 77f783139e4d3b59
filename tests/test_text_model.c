/* Text model files: fit, save, load gives the same vocabulary, weights and
 * probabilities bit for bit; saving is atomic (no temp files left, an
 * existing file is replaced whole); and hostile files are clean errors:
 * every truncation, byte flips, a wrong magic/version/kind, lengths larger
 * than the file, duplicate or missing arrays, NaN weights, unsorted terms,
 * inconsistent sizes, and a header that lies about its arrays. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "core/util.h"

static const char *train_texts[] = {
    "my card was declined at the shop",
    "card declined again today",
    "how do I top up my account",
    "top up with apple pay failed",
    "I want a refund for this charge",
    "refund not showing up",
    "where is my new card",
    "card has not arrived yet",
    "cannot top up by bank transfer",
    "the refund was rejected",
};
static const char *train_labels[] = {"declined", "declined", "top_up",  "top_up", "refund",
                                     "refund",   "arrival",  "arrival", "top_up", "refund"};

static void fit_small(mimic_text_model *m, mimic_linear_kind kind) {
  mimic_text_model_config cfg;
  mimic_text_model_config_default(&cfg);
  cfg.linear.kind = kind;
  cfg.tfidf.ngram_max = 2;
  cfg.tfidf.sublinear_tf = true;
  assert_int_equal(mimic_text_model_fit(m, train_texts, train_labels, 10, &cfg), MIMIC_OK);
}

static char *slurp(const char *path, size_t *n) {
  char *d;
  assert_int_equal(mimic_read_file(path, &d, n), MIMIC_OK);
  return d;
}

static void spit(const char *path, const void *d, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(d, 1, n, f), n);
  fclose(f);
}

static void test_round_trip(void **state) {
  (void)state;
  for (int kind = 0; kind < 2; kind++) {
    mimic_text_model m, r;
    fit_small(&m, (mimic_linear_kind)kind);
    char *path = tu_tmp_path(kind ? "softmax.mimic" : "ovr.mimic");
    assert_int_equal(mimic_text_model_save(&m, path), MIMIC_OK);
    assert_int_equal(mimic_text_model_load(&r, path), MIMIC_OK);
    assert_int_equal(r.classes.n, m.classes.n);
    for (int k = 0; k < m.classes.n; k++)
      assert_string_equal(r.classes.names[k], m.classes.names[k]);
    assert_int_equal(r.vec.n_features, m.vec.n_features);
    for (int64_t t = 0; t < m.vec.n_features; t++) {
      assert_string_equal(mimic_tfidf_term(&r.vec, t), mimic_tfidf_term(&m.vec, t));
      assert_int_equal(r.vec.df[t], m.vec.df[t]);
    }
    assert_memory_equal(r.vec.idf, m.vec.idf, (size_t)m.vec.n_features * sizeof(double));
    assert_true(r.vec.cfg.sublinear_tf && r.vec.cfg.ngram_max == 2 && r.vec.cfg.lowercase);
    assert_true(r.vec.cfg.max_df.fraction && r.vec.cfg.max_df.value == 1.0);
    assert_true(!r.vec.cfg.min_df.fraction && r.vec.cfg.min_df.value == 1.0);
    assert_int_equal(r.clf.kind, m.clf.kind);
    assert_true(r.clf.C == m.clf.C && r.clf.bias == m.clf.bias);
    assert_memory_equal(r.clf.w, m.clf.w,
                        (size_t)(m.clf.n_features * m.clf.n_classes) * sizeof(double));
    const char *probe[] = {"card declined", "refund please", "unknown words only", "!!"};
    double a[16], b[16];
    assert_int_equal(mimic_text_model_proba(&m, probe, 4, a), MIMIC_OK);
    assert_int_equal(mimic_text_model_proba(&r, probe, 4, b), MIMIC_OK);
    assert_memory_equal(a, b, sizeof a);
    int32_t pred[4];
    assert_int_equal(mimic_text_model_predict(&r, probe, 2, pred, NULL), MIMIC_OK);
    assert_string_equal(r.classes.names[pred[0]], "declined");
    assert_string_equal(r.classes.names[pred[1]], "refund");
    /* saving over an existing file: replaced, no temp files left behind */
    assert_int_equal(mimic_text_model_save(&r, path), MIMIC_OK);
    char *dir = strdup(path);
    *strrchr(dir, '/') = '\0';
    DIR *dd = opendir(dir);
    struct dirent *e;
    while ((e = readdir(dd))) assert_null(strstr(e->d_name, ".tmp."));
    closedir(dd);
    free(dir);
    mimic_text_model_free(&r);
    mimic_text_model_free(&m);
    free(path);
  }
}

/* Every loader failure must be a clean error with a message naming the file. */
static void expect_bad(const char *path, const char *needle) {
  mimic_text_model m;
  mimic_status st = mimic_text_model_load(&m, path);
  if (st == MIMIC_OK) fail_msg("loaded a bad file (%s)", needle ? needle : "");
  if (needle && !strstr(mimic_errmsg(), needle))
    fail_msg("message '%s' lacks '%s'", mimic_errmsg(), needle);
}

static void test_truncations_and_flips(void **state) {
  (void)state;
  mimic_text_model m;
  fit_small(&m, MIMIC_LINEAR_SOFTMAX);
  char *good = tu_tmp_path("good.mimic"), *bad = tu_tmp_path("bad.mimic");
  assert_int_equal(mimic_text_model_save(&m, good), MIMIC_OK);
  mimic_text_model_free(&m);
  size_t n;
  char *d = slurp(good, &n);
  /* every prefix (stepping to keep the test quick) */
  for (size_t len = 0; len < n; len += (len < 64 ? 1 : 97)) {
    spit(bad, d, len);
    expect_bad(bad, NULL);
  }
  /* single-bit flips anywhere are caught (by the CRC or earlier checks) */
  for (size_t pos = 0; pos < n; pos += 13) {
    d[pos] ^= 0x10;
    spit(bad, d, n);
    expect_bad(bad, NULL);
    d[pos] ^= 0x10;
  }
  spit(bad, d, n);
  assert_int_equal(mimic_text_model_load(&m, bad), MIMIC_OK);
  mimic_text_model_free(&m);
  /* specific messages */
  memcpy(d, "NOTAMODL", 8);
  spit(bad, d, n);
  expect_bad(bad, "not a mimic model file");
  spit(bad, "hello", 5);
  expect_bad(bad, "not a mimic model file");
  expect_bad("/nonexistent/dir/model.mimic", "model.mimic");
  free(d);
  free(good);
  free(bad);
}

/* A well-formed container (valid CRC) whose contents lie. */
static void write_raw(const char *path, const char *header, const double *arr, size_t n_arr,
                      uint32_t version) {
  size_t H = strlen(header), pad = (8 - (16 + H) % 8) % 8;
  size_t total = 16 + H + pad + 8 * n_arr + 4;
  unsigned char *b = calloc(1, total);
  memcpy(b, "MIMICMDL", 8);
  for (int i = 0; i < 4; i++) b[8 + i] = (unsigned char)(version >> (8 * i));
  for (int i = 0; i < 4; i++) b[12 + i] = (unsigned char)(H >> (8 * i));
  memcpy(b + 16, header, H);
  memcpy(b + 16 + H + pad, arr, 8 * n_arr); /* little-endian host */
  uint32_t crc = mimic_crc32(0, b, total - 4);
  for (int i = 0; i < 4; i++) b[total - 4 + i] = (unsigned char)(crc >> (8 * i));
  spit(path, b, total);
  free(b);
}

static void test_lying_headers(void **state) {
  (void)state;
  char *p = tu_tmp_path("lie.mimic");
  double arr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const char *vec = "\"vectorizer\":{\"type\":\"tfidf\",\"lowercase\":true,\"ngram_range\":[1,1],"
                    "\"min_df\":1,\"max_df\":1.0,\"max_features\":null,\"sublinear_tf\":false,"
                    "\"use_idf\":true,\"smooth_idf\":true,\"norm\":\"l2\",\"n_docs\":3,"
                    "\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]}";
  const char *clf = "\"classifier\":{\"type\":\"softmax\",\"n_classes\":2,\"n_features\":2,"
                    "\"C\":1.0,\"bias\":1.0}";
  const char *tab = "\"arrays\":[{\"name\":\"vectorizer.idf\",\"dtype\":\"<f8\",\"count\":2},"
                    "{\"name\":\"classifier.w\",\"dtype\":\"<f8\",\"count\":4},"
                    "{\"name\":\"classifier.intercept\",\"dtype\":\"<f8\",\"count\":2}]";
  char h[4096];
  /* the honest version loads */
  snprintf(h, sizeof h,
           "{\"format\":\"mimic-model\",\"version\":1,\"kind\":\"mimic.text_classifier\","
           "\"meta\":{\"classes\":[\"a\",\"b\"],%s,%s},%s}",
           vec, clf, tab);
  write_raw(p, h, arr, 8, 1);
  mimic_text_model m;
  assert_int_equal(mimic_text_model_load(&m, p), MIMIC_OK);
  assert_int_equal(m.vec.n_features, 2);
  mimic_text_model_free(&m);
  /* version */
  write_raw(p, h, arr, 8, 2);
  expect_bad(p, "version 2");
  /* arrays that do not fill the file */
  write_raw(p, h, arr, 7, 1);
  expect_bad(p, NULL);
  /* kind */
  snprintf(h, sizeof h,
           "{\"format\":\"mimic-model\",\"version\":1,\"kind\":\"mimic.agent\","
           "\"meta\":{\"classes\":[\"a\",\"b\"],%s,%s},%s}",
           vec, clf, tab);
  write_raw(p, h, arr, 8, 1);
  expect_bad(p, "not a 'mimic.text_classifier'");
  /* huge count */
  snprintf(
      h, sizeof h,
      "{\"format\":\"mimic-model\",\"version\":1,\"kind\":\"mimic.text_classifier\","
      "\"meta\":{},\"arrays\":[{\"name\":\"x\",\"dtype\":\"<f8\",\"count\":9007199254740991}]}");
  write_raw(p, h, arr, 8, 1);
  expect_bad(p, "count that fits");
  /* negative count, wrong dtype, duplicate names */
  const char *tabs[] = {
      "[{\"name\":\"x\",\"dtype\":\"<f8\",\"count\":-8}]",
      "[{\"name\":\"x\",\"dtype\":\"<f4\",\"count\":8}]",
      ("[{\"name\":\"x\",\"dtype\":\"<f8\",\"count\":4},{\"name\":\"x\",\"dtype\":\"<f8\","
       "\"count\":"
       "4}]"),
      "{}",
  };
  for (int i = 0; i < 4; i++) {
    snprintf(h, sizeof h,
             "{\"format\":\"mimic-model\",\"version\":1,\"kind\":\"mimic.text_classifier\","
             "\"meta\":{},\"arrays\":%s}",
             tabs[i]);
    write_raw(p, h, arr, 8, 1);
    expect_bad(p, NULL);
  }
  /* duplicate JSON keys, not JSON, nested junk */
  write_raw(p, "{\"format\":\"mimic-model\",\"format\":\"x\"}", arr, 0, 1);
  expect_bad(p, "header");
  write_raw(p, "{not json", arr, 0, 1);
  expect_bad(p, "header");
  char deep[3000];
  for (int i = 0; i < 1400; i++) deep[i] = '[';
  for (int i = 0; i < 1400; i++) deep[1400 + i] = ']';
  deep[2800] = 0;
  write_raw(p, deep, arr, 0, 1);
  expect_bad(p, NULL);
  /* component lies: unsorted terms, df out of range, NaN weight, size mismatch, bad classes */
  struct {
    const char *vec, *clf, *classes;
    double bad_value;
    int bad_at;
    const char *needle;
  } cases[] = {
      {"\"terms\":[\"bb\",\"aa\"],\"df\":[1,2]", NULL, NULL, 0, -1, "sorted"},
      {"\"terms\":[\"aa\",\"aa\"],\"df\":[1,2]", NULL, NULL, 0, -1, "sorted"},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,9]", NULL, NULL, 0, -1, "df"},
      {"\"terms\":[\"aa\",\"\"],\"df\":[1,2]", NULL, NULL, 0, -1, "term"},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]", NULL, NULL, NAN, 3, "not finite"},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]", NULL, NULL, -1.0, 0, "idf"},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]",
       "\"classifier\":{\"type\":\"softmax\",\"n_classes\":2,\"n_features\":3,\"C\":1.0,\"bias\":1."
       "0}",
       NULL, 0, -1, NULL},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]",
       "\"classifier\":{\"type\":\"magic\",\"n_classes\":2,\"n_features\":2,\"C\":1.0,\"bias\":1."
       "0}",
       NULL, 0, -1, "type"},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]",
       "\"classifier\":{\"type\":\"ovr\",\"n_classes\":2,\"n_features\":2,\"C\":-1.0,\"bias\":1.0}",
       NULL, 0, -1, NULL},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]", NULL, "[\"b\",\"a\"]", 0, -1, "sorted"},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]", NULL, "[\"a\",\"b\",\"c\"]", 0, -1, "classes"},
      {"\"terms\":[\"aa\",\"bb\"],\"df\":[1,2]", NULL, "[\"a\",7]", 0, -1, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char v[1024];
    snprintf(v, sizeof v,
             "\"vectorizer\":{\"type\":\"tfidf\",\"lowercase\":true,\"ngram_range\":[1,1],"
             "\"min_df\":1,\"max_df\":1.0,\"max_features\":null,\"sublinear_tf\":false,"
             "\"use_idf\":true,\"smooth_idf\":true,\"norm\":\"l2\",\"n_docs\":3,%s}",
             cases[i].vec);
    snprintf(h, sizeof h,
             "{\"format\":\"mimic-model\",\"version\":1,\"kind\":\"mimic.text_classifier\","
             "\"meta\":{\"classes\":%s,%s,%s},%s}",
             cases[i].classes ? cases[i].classes : "[\"a\",\"b\"]", v,
             cases[i].clf ? cases[i].clf : clf, tab);
    double a2[8];
    memcpy(a2, arr, sizeof a2);
    if (cases[i].bad_at >= 0) a2[cases[i].bad_at] = cases[i].bad_value;
    write_raw(p, h, a2, 8, 1);
    expect_bad(p, cases[i].needle);
  }
  free(p);
}

/* The container on its own (other layers store their models in it). */
static void test_container(void **state) {
  (void)state;
  char *p = tu_tmp_path("c.mimic");
  double a[3] = {1.5, -2.25, 1e300}, b[1] = {0.1};
  mimic_container w;
  assert_int_equal(mimic_container_init(&w, "test.kind", 1), MIMIC_OK);
  assert_int_equal(mimic_container_add(&w, "first", MIMIC_ARRAY_F8, a, 3), MIMIC_OK);
  assert_int_equal(mimic_container_add(&w, "second", MIMIC_ARRAY_F8, b, 1), MIMIC_OK);
  json_object_set_new(w.meta, "hello", json_string("world"));
  json_object_set_new(w.meta, "n", json_integer(3));
  assert_int_equal(mimic_container_save(&w, p), MIMIC_OK);
  mimic_container_free(&w);
  mimic_container f;
  assert_int_equal(mimic_container_read(p, &f), MIMIC_OK);
  assert_int_equal(mimic_container_expect(&f, "test.kind", 1), MIMIC_OK);
  const void *x;
  assert_int_equal(mimic_container_get(&f, "first", MIMIC_ARRAY_F8, 3, &x), MIMIC_OK);
  assert_memory_equal(x, a, sizeof a);
  assert_int_equal(mimic_container_get(&f, "first", MIMIC_ARRAY_F8, 4, &x), MIMIC_ERR_FORMAT);
  assert_int_equal(mimic_container_get(&f, "third", MIMIC_ARRAY_F8, 1, &x), MIMIC_ERR_FORMAT);
  assert_string_equal(json_string_value(json_object_get(f.meta, "hello")), "world");
  assert_int_equal(mimic_container_expect(&f, "other.kind", 1), MIMIC_ERR_FORMAT);
  mimic_container_free(&f);
  assert_int_equal(mimic_container_init(&w, "k", 1), MIMIC_OK);
  assert_int_equal(mimic_container_add(&w, "x", MIMIC_ARRAY_F8, a, 3), MIMIC_OK);
  assert_int_equal(mimic_container_add(&w, "x", MIMIC_ARRAY_F8, b, 1), MIMIC_ERR_INVALID);
  mimic_container_free(&w);
  free(p);
}

/* A classifier fitted on some texts with a vectorizer fitted on more (a pool). */
static void test_fit_with_pool_vectorizer(void **state) {
  (void)state;
  const char *pool[] = {"card declined",    "refund please",   "top up failed",
                        "where is my card", "refund rejected", "a word only the pool has"};
  mimic_tfidf_config tc;
  mimic_tfidf_config_default(&tc);
  mimic_tfidf v;
  assert_int_equal(mimic_tfidf_fit(&v, pool, 6, &tc), MIMIC_OK);
  mimic_linear_config lc;
  mimic_linear_config_default(&lc);
  mimic_text_model m;
  assert_int_equal(mimic_text_model_fit_with(&m, &v, train_texts, train_labels, 10, &lc), MIMIC_OK);
  assert_int_equal(m.vec.n_features, v.n_features);
  assert_true(mimic_tfidf_lookup(&m.vec, "pool", 4) >= 0);
  assert_int_equal(m.classes.n, 4);
  int32_t pred[1];
  const char *q[] = {"my card was declined"};
  assert_int_equal(mimic_text_model_predict(&m, q, 1, pred, NULL), MIMIC_OK);
  assert_string_equal(m.classes.names[pred[0]], "declined");
  char *path = tu_tmp_path("pool.mimic");
  assert_int_equal(mimic_text_model_save(&m, path), MIMIC_OK);
  mimic_text_model r;
  assert_int_equal(mimic_text_model_load(&r, path), MIMIC_OK);
  assert_int_equal(r.vec.n_docs, 6);
  mimic_text_model_free(&r);
  mimic_text_model_free(&m);
  mimic_tfidf_free(&v);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_truncations_and_flips),
      cmocka_unit_test(test_lying_headers),
      cmocka_unit_test(test_container),
      cmocka_unit_test(test_fit_with_pool_vectorizer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
