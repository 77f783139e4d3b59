/* TF-IDF against scikit-learn: the six reference files in
 * $MIMIC_TESTDATA/text (two corpora x default, sublinear_tf, ngram_1_2).
 * Terms, vocabulary, df, analyzer tokens, unseen tokens and raw counts must
 * match exactly; idf and tf-idf values to 1e-12 relative, with the same
 * non-zero positions. Also: per-character lower-casing and word-character
 * classes from the files, option semantics (min_df/max_df/max_features),
 * errors naming the row, and thread-count independence. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "text/tfidf.h"

static const char *const files[] = {
    "text/tfidf_support_default.json",    "text/tfidf_support_sublinear_tf.json",
    "text/tfidf_support_ngram_1_2.json",  "text/tfidf_messy_default.json",
    "text/tfidf_messy_sublinear_tf.json", "text/tfidf_messy_ngram_1_2.json",
};

/* Reads a string array into a NULL-terminated char* array (borrowed strings). */
static const char **strings(const json_t *a, size_t *n) {
  *n = json_array_size(a);
  const char **v = calloc(*n + 1, sizeof *v);
  for (size_t i = 0; i < *n; i++) v[i] = json_string_value(json_array_get(a, i));
  return v;
}

static void config_from(const json_t *doc, mimic_tfidf_config *cfg) {
  mimic_tfidf_config_default(cfg);
  const json_t *c = json_object_get(doc, "config");
  const json_t *ng = json_object_get(c, "ngram_range");
  cfg->ngram_min = (int)json_integer_value(json_array_get(ng, 0));
  cfg->ngram_max = (int)json_integer_value(json_array_get(ng, 1));
  cfg->sublinear_tf = json_is_true(json_object_get(c, "sublinear_tf"));
  cfg->lowercase = json_is_true(json_object_get(c, "lowercase"));
  cfg->smooth_idf = json_is_true(json_object_get(c, "smooth_idf"));
  cfg->use_idf = json_is_true(json_object_get(c, "use_idf"));
  const json_t *mn = json_object_get(c, "min_df"), *mx = json_object_get(c, "max_df");
  cfg->min_df.fraction = json_is_real(mn);
  cfg->min_df.value = json_number_value(mn);
  cfg->max_df.fraction = json_is_real(mx);
  cfg->max_df.value = json_number_value(mx);
  assert_true(json_is_null(json_object_get(c, "max_features")));
  assert_string_equal(json_string_value(json_object_get(c, "norm")), "l2");
  assert_string_equal(json_string_value(json_object_get(c, "token_pattern")), "(?u)\\b\\w\\w+\\b");
}

/* Checks a CSR matrix against a reference COO {n_rows, n_cols, row, col, value}. */
static void check_sparse(const mimic_csr *X, const json_t *ref, double rtol, bool exact,
                         const char *what) {
  assert_int_equal(X->n_rows, json_integer_value(json_object_get(ref, "n_rows")));
  assert_int_equal(X->n_cols, json_integer_value(json_object_get(ref, "n_cols")));
  const json_t *rows = json_object_get(ref, "row"), *cols = json_object_get(ref, "col"),
               *vals = json_object_get(ref, "value");
  size_t nnz = json_array_size(rows);
  if ((size_t)mimic_csr_nnz(X) != nnz)
    fail_msg("%s: %lld non-zeros, want %zu", what, (long long)mimic_csr_nnz(X), nnz);
  size_t q = 0;
  for (int64_t i = 0; i < X->n_rows; i++)
    for (int64_t p = X->indptr[i]; p < X->indptr[i + 1]; p++, q++) {
      assert_int_equal(i, json_integer_value(json_array_get(rows, q)));
      if (X->indices[p] != json_integer_value(json_array_get(cols, q)))
        fail_msg("%s: row %lld entry %zu: column %d, want %lld", what, (long long)i, q,
                 X->indices[p], (long long)json_integer_value(json_array_get(cols, q)));
      double want = json_number_value(json_array_get(vals, q));
      if (exact) {
        if (X->data[p] != want)
          fail_msg("%s: row %lld: %g != %g", what, (long long)i, X->data[p], want);
      } else if (!(fabs(X->data[p] - want) <= rtol * fabs(want))) {
        fail_msg("%s: row %lld col %d: %.17g vs %.17g", what, (long long)i, X->indices[p],
                 X->data[p], want);
      }
    }
}

static void check_tokens(const mimic_tfidf_config *cfg, const char **docs, size_t n,
                         const json_t *ref, const char *what) {
  mimic_tokens t = {0};
  for (size_t d = 0; d < n; d++) {
    assert_int_equal(mimic_tfidf_analyze(cfg, docs[d], strlen(docs[d]), &t), MIMIC_OK);
    const json_t *r = json_array_get(ref, d);
    if (t.n != json_array_size(r))
      fail_msg("%s doc %zu: %zu tokens, want %zu", what, d, t.n, json_array_size(r));
    for (size_t k = 0; k < t.n; k++)
      if (strcmp(t.buf + t.off[k], json_string_value(json_array_get(r, k))) != 0)
        fail_msg("%s doc %zu token %zu: '%s' vs '%s'", what, d, k, t.buf + t.off[k],
                 json_string_value(json_array_get(r, k)));
  }
  mimic_tokens_free(&t);
}

static void check_file(const char *rel) {
  json_t *doc = tu_load_json(rel);
  mimic_tfidf_config cfg;
  config_from(doc, &cfg);
  size_t ntr, nho;
  const char **tr = strings(json_object_get(doc, "train_docs"), &ntr);
  const char **ho = strings(json_object_get(doc, "heldout_docs"), &nho);
  mimic_tfidf v;
  mimic_csr X, H, C;
  assert_int_equal(mimic_tfidf_fit_transform(&v, tr, ntr, &cfg, &X), MIMIC_OK);
  /* vocabulary */
  const json_t *terms = json_object_get(doc, "terms");
  assert_int_equal(v.n_features, json_integer_value(json_object_get(doc, "n_features")));
  assert_int_equal(v.n_features, json_array_size(terms));
  size_t V = (size_t)v.n_features;
  double *idf = tu_tensor_f64(json_object_get(doc, "idf"), &V);
  int64_t *df = tu_tensor_i64(json_object_get(doc, "df"), &V);
  const json_t *vocab = json_object_get(doc, "vocabulary");
  for (size_t c = 0; c < V; c++) {
    const char *want = json_string_value(json_array_get(terms, c));
    assert_string_equal(mimic_tfidf_term(&v, (int64_t)c), want);
    assert_int_equal(mimic_tfidf_lookup(&v, want, strlen(want)), (int64_t)c);
    assert_int_equal(json_integer_value(json_object_get(vocab, want)), (int64_t)c);
    assert_int_equal(v.df[c], df[c]);
  }
  assert_int_equal(json_object_size(vocab), V);
  tu_assert_close_f64(v.idf, idf, V, 0.0, 1e-12, "idf");
  /* tokens */
  check_tokens(&cfg, tr, ntr, json_object_get(doc, "train_tokens"), "train tokens");
  check_tokens(&cfg, ho, nho, json_object_get(doc, "heldout_tokens"), "heldout tokens");
  /* unseen features of held-out docs, in order of first appearance */
  mimic_tokens t = {0};
  const json_t *unseen = json_object_get(doc, "heldout_unseen_tokens");
  for (size_t d = 0; d < nho; d++) {
    assert_int_equal(mimic_tfidf_analyze(&cfg, ho[d], strlen(ho[d]), &t), MIMIC_OK);
    const json_t *r = json_array_get(unseen, d);
    size_t q = 0;
    for (size_t k = 0; k < t.n; k++) {
      const char *tok = t.buf + t.off[k];
      if (mimic_tfidf_lookup(&v, tok, t.len[k]) >= 0) continue;
      bool dup = false;
      for (size_t e = 0; e < k; e++) dup |= strcmp(t.buf + t.off[e], tok) == 0;
      if (dup) continue;
      assert_true(q < json_array_size(r));
      assert_string_equal(tok, json_string_value(json_array_get(r, q)));
      q++;
    }
    assert_int_equal(q, json_array_size(r));
  }
  mimic_tokens_free(&t);
  /* matrices */
  check_sparse(&X, json_object_get(doc, "train_tfidf"), 1e-12, false, "train tf-idf");
  assert_int_equal(mimic_tfidf_transform(&v, ho, nho, &H), MIMIC_OK);
  check_sparse(&H, json_object_get(doc, "heldout_tfidf"), 1e-12, false, "heldout tf-idf");
  mimic_csr_free(&H);
  assert_int_equal(mimic_tfidf_transform(&v, tr, ntr, &H),
                   MIMIC_OK); /* transform == fit_transform */
  check_sparse(&H, json_object_get(doc, "train_tfidf"), 1e-12, false, "train transform");
  assert_int_equal(mimic_tfidf_counts(&v, tr, ntr, &C), MIMIC_OK);
  check_sparse(&C, json_object_get(doc, "train_counts"), 0, true, "train counts");
  mimic_csr_free(&C);
  assert_int_equal(mimic_tfidf_counts(&v, ho, nho, &C), MIMIC_OK);
  check_sparse(&C, json_object_get(doc, "heldout_counts"), 0, true, "heldout counts");
  /* one document at a time gives the same rows */
  mimic_tfidf_scratch sc = {0};
  for (size_t d = 0; d < nho; d++) {
    const int32_t *ix;
    const double *vx;
    int64_t nnz;
    assert_int_equal(mimic_tfidf_transform_one(&v, ho[d], strlen(ho[d]), &sc, &ix, &vx, &nnz),
                     MIMIC_OK);
    mimic_csr_free(&H);
    assert_int_equal(mimic_tfidf_transform(&v, &ho[d], 1, &H), MIMIC_OK);
    assert_int_equal(nnz, mimic_csr_nnz(&H));
    for (int64_t p = 0; p < nnz; p++) {
      assert_int_equal(ix[p], H.indices[p]);
      assert_true(vx[p] == H.data[p]);
    }
  }
  mimic_tfidf_scratch_free(&sc);
  /* a copy behaves the same */
  mimic_tfidf cp;
  assert_int_equal(mimic_tfidf_copy(&v, &cp), MIMIC_OK);
  mimic_csr_free(&H);
  assert_int_equal(mimic_tfidf_transform(&cp, ho, nho, &H), MIMIC_OK);
  check_sparse(&H, json_object_get(doc, "heldout_tfidf"), 1e-12, false, "copy transform");
  mimic_tfidf_free(&cp);
  mimic_csr_free(&H);
  mimic_csr_free(&C);
  mimic_csr_free(&X);
  mimic_tfidf_free(&v);
  free(idf);
  free(df);
  free(tr);
  free(ho);
  json_decref(doc);
}

static void test_reference_files(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) check_file(files[i]);
}

/* Lower-casing and word classes of every non-ASCII character in the messy corpus. */
static void test_non_ascii_chars(void **state) {
  (void)state;
  json_t *doc = tu_load_json("text/tfidf_messy_default.json");
  const json_t *chars = json_object_get(doc, "non_ascii_chars");
  assert_true(json_array_size(chars) > 10);
  mimic_tokens t = {0};
  size_t i;
  const json_t *c;
  json_array_foreach(chars, i, c) {
    const char *ch = json_string_value(json_object_get(c, "char"));
    const char *low = json_string_value(json_object_get(c, "lower"));
    bool word = json_is_true(json_object_get(c, "is_word_char"));
    char buf[64], want[64];
    snprintf(buf, sizeof buf, "x%sx", ch);
    mimic_tokens_clear(&t);
    assert_int_equal(mimic_text_tokenize(buf, strlen(buf), true, &t), MIMIC_OK);
    if (word) {
      snprintf(want, sizeof want, "x%sx", low);
      if (t.n != 1 || strcmp(t.buf + t.off[0], want) != 0)
        fail_msg("%s: got %zu tokens ('%s'), want '%s'",
                 json_string_value(json_object_get(c, "codepoint")), t.n, t.n ? t.buf : "", want);
    } else {
      assert_int_equal(t.n, 0); /* "x" and "x" are single letters */
    }
  }
  mimic_tokens_free(&t);
  json_decref(doc);
}

/* Python's str.lower special cases and regex details. */
static void test_python_lower_rules(void **state) {
  (void)state;
  mimic_tokens t = {0};
  struct {
    const char *in;
    const char *out[4];
  } cases[] = {
      {"ΟΔΟΣ ΣΑΣ", {"οδος", "σας"}}, /* final sigma at word ends */
      {"ΣΑ", {"σα"}},                /* not final: nothing cased before */
      {"İstanbul", {"stanbul"}},     /* U+0130 -> i + U+0307, which splits */
      {"Straße STRASSE", {"straße", "strasse"}},
      {"can’t e-mail v2.0.1 1º", {"can", "mail", "v2", "1º"}},
      {"30\xc2\xa0seconds\tok\nyes", {"30", "seconds", "ok", "yes"}},
      {"a b c _x __", {"_x", "__"}},
      {"ǅemal", {"ǆemal"}}, /* title case lowers */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mimic_tokens_clear(&t);
    assert_int_equal(mimic_text_tokenize(cases[i].in, strlen(cases[i].in), true, &t), MIMIC_OK);
    size_t n = 0;
    while (n < 4 && cases[i].out[n]) n++;
    if (t.n != n) fail_msg("'%s': %zu tokens, want %zu", cases[i].in, t.n, n);
    for (size_t k = 0; k < n; k++) assert_string_equal(t.buf + t.off[k], cases[i].out[k]);
  }
  /* without lower-casing */
  mimic_tokens_clear(&t);
  assert_int_equal(mimic_text_tokenize("Hello WORLD", 11, false, &t), MIMIC_OK);
  assert_int_equal(t.n, 2);
  assert_string_equal(t.buf + t.off[0], "Hello");
  mimic_tokens_free(&t);
}

static void test_invalid_utf8(void **state) {
  (void)state;
  const char *bad[] = {"ok \xff there", "\xc3", "ab\xed\xa0\x80", "\xc0\xaf overlong"};
  mimic_tokens t = {0};
  for (size_t i = 0; i < 4; i++) {
    mimic_tokens_clear(&t);
    assert_int_equal(mimic_text_tokenize(bad[i], strlen(bad[i]), true, &t), MIMIC_ERR_FORMAT);
    assert_non_null(strstr(mimic_errmsg(), "invalid UTF-8"));
  }
  mimic_tokens_free(&t);
  const char *docs[] = {"good text", "fine", "bad \xfe text"};
  mimic_tfidf_config cfg;
  mimic_tfidf_config_default(&cfg);
  mimic_tfidf v;
  assert_int_equal(mimic_tfidf_fit(&v, docs, 3, &cfg), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "row 2"));
  assert_int_equal(mimic_tfidf_fit(&v, docs, 2, &cfg), MIMIC_OK);
  mimic_csr X;
  assert_int_equal(mimic_tfidf_transform(&v, docs, 3, &X), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "row 2"));
  mimic_tfidf_free(&v);
}

/* min_df, max_df (count vs fraction), max_features, and their errors. */
static void test_options(void **state) {
  (void)state;
  const char *docs[] = {"apple banana cherry", "apple banana", "apple durian", "apple elder elder"};
  mimic_tfidf_config cfg;
  mimic_tfidf v;
  mimic_tfidf_config_default(&cfg);
  cfg.min_df.value = 2; /* banana (2), apple (4) */
  assert_int_equal(mimic_tfidf_fit(&v, docs, 4, &cfg), MIMIC_OK);
  assert_int_equal(v.n_features, 2);
  assert_string_equal(mimic_tfidf_term(&v, 0), "apple");
  mimic_tfidf_free(&v);
  mimic_tfidf_config_default(&cfg);
  cfg.max_df.fraction = true;
  cfg.max_df.value = 0.5; /* df <= 2: drops apple */
  assert_int_equal(mimic_tfidf_fit(&v, docs, 4, &cfg), MIMIC_OK);
  assert_int_equal(mimic_tfidf_lookup(&v, "apple", 5), -1);
  assert_int_equal(v.n_features, 4); /* banana cherry durian elder */
  mimic_tfidf_free(&v);
  mimic_tfidf_config_default(&cfg);
  cfg.max_df.fraction = false;
  cfg.max_df.value = 1; /* an integer 1 means one document, not 100% */
  assert_int_equal(mimic_tfidf_fit(&v, docs, 4, &cfg), MIMIC_OK);
  assert_int_equal(v.n_features, 3); /* cherry, durian, elder */
  mimic_tfidf_free(&v);
  mimic_tfidf_config_default(&cfg);
  cfg.max_features = 2; /* by corpus frequency: apple 4, then banana 2 = elder 2 -> term order */
  assert_int_equal(mimic_tfidf_fit(&v, docs, 4, &cfg), MIMIC_OK);
  assert_int_equal(v.n_features, 2);
  assert_string_equal(mimic_tfidf_term(&v, 0), "apple");
  assert_string_equal(mimic_tfidf_term(&v, 1), "banana");
  mimic_tfidf_free(&v);
  /* errors */
  mimic_tfidf_config_default(&cfg);
  cfg.min_df.value = 3;
  cfg.max_df.fraction = false;
  cfg.max_df.value = 2;
  assert_int_equal(mimic_tfidf_fit(&v, docs, 4, &cfg), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "max_df"));
  mimic_tfidf_config_default(&cfg);
  cfg.min_df.value = 5;
  cfg.max_df.fraction = false;
  cfg.max_df.value = 10;
  assert_int_equal(mimic_tfidf_fit(&v, docs, 4, &cfg), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "no terms remain"));
  mimic_tfidf_config_default(&cfg);
  const char *empty[] = {"!!", "a b"};
  assert_int_equal(mimic_tfidf_fit(&v, empty, 2, &cfg), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "empty vocabulary"));
  cfg.ngram_min = 2;
  cfg.ngram_max = 1;
  assert_int_equal(mimic_tfidf_config_check(&cfg), MIMIC_ERR_INVALID);
  /* df bounds parse like Python literals */
  mimic_df_bound b;
  assert_int_equal(mimic_df_bound_parse("2", &b), MIMIC_OK);
  assert_false(b.fraction);
  assert_int_equal(mimic_df_bound_parse("1.0", &b), MIMIC_OK);
  assert_true(b.fraction);
  assert_int_equal(mimic_df_bound_parse("0.5", &b), MIMIC_OK);
  assert_int_equal(mimic_df_bound_parse("1.5", &b), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_df_bound_parse("0", &b), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_df_bound_parse("x", &b), MIMIC_ERR_INVALID);
  /* trigram-only range: no unigrams */
  mimic_tfidf_config_default(&cfg);
  cfg.ngram_min = 3;
  cfg.ngram_max = 3;
  mimic_tokens t = {0};
  assert_int_equal(mimic_tfidf_analyze(&cfg, "one two three four", 18, &t), MIMIC_OK);
  assert_int_equal(t.n, 2);
  assert_string_equal(t.buf + t.off[0], "one two three");
  assert_string_equal(t.buf + t.off[1], "two three four");
  mimic_tokens_free(&t);
}

/* Transform splits documents over threads; the result must not depend on it. */
static void test_threads_same_result(void **state) {
  (void)state;
  enum { N = 3000 };
  char **docs = malloc(N * sizeof *docs);
  const char *words[] = {"card", "lost", "refund", "pin", "transfer", "fee", "top", "up", "cash"};
  for (int i = 0; i < N; i++) {
    char buf[128] = "";
    for (int w = 0; w < 6; w++) {
      strcat(buf, words[(i * 7 + w * 3 + i / 5) % 9]);
      strcat(buf, " ");
    }
    docs[i] = strdup(buf);
  }
  mimic_tfidf_config cfg;
  mimic_tfidf_config_default(&cfg);
  cfg.ngram_max = 2;
  mimic_tfidf v1, v2;
  mimic_csr A, B;
  cfg.n_threads = 1;
  assert_int_equal(mimic_tfidf_fit_transform(&v1, (const char *const *)docs, N, &cfg, &A),
                   MIMIC_OK);
  cfg.n_threads = 3;
  assert_int_equal(mimic_tfidf_fit(&v2, (const char *const *)docs, N, &cfg), MIMIC_OK);
  assert_int_equal(mimic_tfidf_transform(&v2, (const char *const *)docs, N, &B), MIMIC_OK);
  assert_int_equal(mimic_csr_nnz(&A), mimic_csr_nnz(&B));
  assert_memory_equal(A.indptr, B.indptr, (N + 1) * sizeof *A.indptr);
  assert_memory_equal(A.indices, B.indices, (size_t)mimic_csr_nnz(&A) * sizeof *A.indices);
  assert_memory_equal(A.data, B.data, (size_t)mimic_csr_nnz(&A) * sizeof *A.data);
  mimic_csr_free(&A);
  mimic_csr_free(&B);
  mimic_tfidf_free(&v1);
  mimic_tfidf_free(&v2);
  for (int i = 0; i < N; i++) free(docs[i]);
  free(docs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_files),
      cmocka_unit_test(test_non_ascii_chars),
      cmocka_unit_test(test_python_lower_rules),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_threads_same_result),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
