/* The text learner behind the learner interface: the same probabilities as
 * the text model fitted on the same rows, precomputed rows read as
 * vectorized ones, unseen labels at probability 0, save and reload, and
 * weights only where the model takes them. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "text/learner.h"

static const char *texts[] = {"my card has not arrived", "card still not here",
                              "how do I top up",         "top up with a bank transfer",
                              "the card was declined",   "declined payment at a shop",
                              "where is my new card",    "top up failed"};
static const char *gold[] = {"card_arrival", "card_arrival", "top_up",       "top_up",
                             "declined",     "declined",     "card_arrival", "top_up"};
enum { N = 8 };

static void test_matches_the_text_model(void **st) {
  (void)st;
  const char *offered[] = {"card_arrival", "declined", "refund", "top_up"}; /* refund: unused */
  mimic_labelset labels;
  assert_int_equal(mimic_labelset_from_names(&labels, offered, 4), MIMIC_OK);
  mimic_tfidf_config tc;
  mimic_tfidf_config_default(&tc);
  mimic_tfidf vec;
  mimic_csr X;
  assert_int_equal(mimic_tfidf_fit_transform(&vec, texts, N, &tc, &X), MIMIC_OK);
  mimic_linear_config lc;
  mimic_linear_config_default(&lc);
  /* documents with their rows precomputed, and the same texts without */
  mimic_text_doc with_rows[N], bare[N];
  const void *items_rows[N], *items_bare[N];
  float y[N];
  for (int i = 0; i < N; i++) {
    with_rows[i] = (mimic_text_doc){.text = texts[i], .x = &X, .row = i};
    bare[i] = (mimic_text_doc){.text = texts[i]};
    items_rows[i] = &with_rows[i];
    items_bare[i] = &bare[i];
    y[i] = (float)mimic_labelset_find(&labels, gold[i]);
  }
  mimic_policy *a, *b;
  assert_int_equal(mimic_text_learner(&lc, &vec, &labels, &a), MIMIC_OK);
  assert_int_equal(mimic_text_learner(&lc, &vec, &labels, &b), MIMIC_OK);
  assert_true(mimic_policy_is_learner(a));
  assert_int_equal(mimic_policy_n_actions(a), 4);
  mimic_labeled la = {.n = N, .items = items_rows, .actions = y};
  mimic_labeled lb = {.n = N, .items = items_bare, .actions = y};
  assert_int_equal(mimic_policy_fit(a, &la, false, 0), MIMIC_OK);
  assert_int_equal(mimic_policy_fit(b, &lb, false, 0), MIMIC_OK);
  float act_a[N], act_b[N], conf[N];
  double pa[N * 4], pb[N * 4];
  mimic_act_batch ba = {.n = N,
                        .items = items_rows,
                        .actions = act_a,
                        .confidence = conf,
                        .proba = pa,
                        .deterministic = true};
  mimic_act_batch bb = {
      .n = N, .items = items_bare, .actions = act_b, .proba = pb, .deterministic = true};
  assert_int_equal(mimic_policy_act(a, &ba), MIMIC_OK);
  assert_int_equal(mimic_policy_act(b, &bb), MIMIC_OK);
  assert_memory_equal(pa, pb, sizeof pa); /* precomputed rows are the vectorized rows */
  assert_memory_equal(act_a, act_b, sizeof act_a);
  /* the text model on the same texts: the same numbers for the labels it saw */
  mimic_text_model m;
  assert_int_equal(mimic_text_model_fit_with(&m, &vec, texts, gold, N, &lc), MIMIC_OK);
  assert_int_equal(m.classes.n, 3);
  double pm[N * 3];
  assert_int_equal(mimic_text_model_proba(&m, texts, N, pm), MIMIC_OK);
  int refund = mimic_labelset_find(&labels, "refund");
  for (int i = 0; i < N; i++) {
    for (int k = 0; k < 3; k++)
      assert_true(pa[i * 4 + mimic_labelset_find(&labels, m.classes.names[k])] == pm[i * 3 + k]);
    assert_true(pa[i * 4 + refund] == 0); /* no example used it */
    assert_true(conf[i] == (float)pa[i * 4 + (int)act_a[i]]);
    assert_true(act_a[i] == y[i]); /* it fits its own training set */
  }
  /* saved, it is a text model file; reloaded, it answers the same */
  char *path = tu_tmp_path("text-learner.mimic");
  assert_int_equal(mimic_policy_save(a, path), MIMIC_OK);
  mimic_text_model back;
  assert_int_equal(mimic_text_model_load(&back, path), MIMIC_OK);
  assert_int_equal(back.classes.n, 3);
  mimic_text_model_free(&back);
  mimic_policy *c;
  assert_int_equal(mimic_text_learner(&lc, &vec, &labels, &c), MIMIC_OK);
  assert_false(mimic_policy_fitted(c));
  assert_int_equal(mimic_policy_reload(c, path), MIMIC_OK);
  double pc[N * 4];
  mimic_act_batch bc = {
      .n = N, .items = items_rows, .actions = act_b, .proba = pc, .deterministic = true};
  assert_int_equal(mimic_policy_act(c, &bc), MIMIC_OK);
  assert_memory_equal(pa, pc, sizeof pa);
  /* a label outside the list is refused */
  y[0] = 4;
  assert_int_equal(mimic_policy_fit(b, &la, false, 0), MIMIC_ERR_RANGE);
  y[0] = 0;
  /* weights: refused by LIBLINEAR's one-vs-rest, taken by the softmax model */
  float w[N] = {1, 1, 1, 1, 1, 1, 1, 1};
  la.weights = w;
  assert_int_equal(mimic_policy_fit(b, &la, false, 0), MIMIC_ERR_INVALID);
  mimic_policy *s;
  lc.kind = MIMIC_LINEAR_SOFTMAX;
  assert_int_equal(mimic_text_learner(&lc, &vec, &labels, &s), MIMIC_OK);
  assert_int_equal(mimic_policy_fit(s, &la, false, 0), MIMIC_OK);
  mimic_policy_free(s);
  free(path);
  mimic_text_model_free(&m);
  mimic_policy_free(a);
  mimic_policy_free(b);
  mimic_policy_free(c);
  mimic_csr_free(&X);
  mimic_tfidf_free(&vec);
  mimic_labelset_free(&labels);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_the_text_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
