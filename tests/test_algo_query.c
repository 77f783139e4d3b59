/* Query rules' uncertainty scores and selection (top k by score, ties to
 * the lower index, NAN first, seeded random draws). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "mimic/dagger.h"

static void test_uncertainty_scores(void **state) {
  (void)state;
  double p[3 * 3] = {0.7, 0.2, 0.1, 0.4, 0.4, 0.2, 1.0, 0.0, 0.0};
  double s[3];
  assert_int_equal(mimic_query_scores(MIMIC_QUERY_LEAST_CONFIDENT, p, NULL, 3, 3, s), MIMIC_OK);
  assert_true(fabs(s[0] - 0.3) < 1e-15 && fabs(s[1] - 0.6) < 1e-15 && s[2] == 0.0);
  assert_int_equal(mimic_query_scores(MIMIC_QUERY_MARGIN, p, NULL, 3, 3, s), MIMIC_OK);
  assert_true(fabs(s[0] - 0.5) < 1e-15 && fabs(s[1] - 1.0) < 1e-15 && s[2] == 0.0);
  assert_int_equal(mimic_query_scores(MIMIC_QUERY_ENTROPY, p, NULL, 3, 3, s), MIMIC_OK);
  double h0 = -(0.7 * log(0.7) + 0.2 * log(0.2) + 0.1 * log(0.1));
  assert_true(fabs(s[0] - h0) < 1e-15 && s[2] == 0.0);
  assert_int_equal(mimic_query_scores(MIMIC_QUERY_UNCERTAIN, p, NULL, 3, 3, s), MIMIC_OK);
  assert_true(fabs(s[1] - 0.6) < 1e-15); /* 1 - confidence */
  double nanp[2] = {NAN, 0.5};
  assert_int_equal(mimic_query_scores(MIMIC_QUERY_ENTROPY, nanp, NULL, 1, 2, s), MIMIC_ERR_RANGE);
  /* a learner that knows nothing about state 1 (confidence NAN): ranked first */
  float conf[3] = {0.7f, NAN, 1.0f};
  double q[3 * 3] = {0.7, 0.2, 0.1, NAN, NAN, NAN, 1.0, 0.0, 0.0};
  assert_int_equal(mimic_query_scores(MIMIC_QUERY_MARGIN, q, conf, 3, 3, s), MIMIC_OK);
  assert_true(fabs(s[0] - 0.5) < 1e-15 && isnan(s[1]) && s[2] == 0.0);
  mimic_query_rule rule = {.kind = MIMIC_QUERY_MARGIN, .k = 2};
  size_t pick[3];
  assert_int_equal(mimic_query_select(&rule, s, NULL, 3, NULL, pick), 2);
  assert_int_equal(pick[0], 1);
  assert_int_equal(pick[1], 0);
  /* confidences alone: 1 - confidence for every rule */
  conf[1] = 0.25f;
  assert_int_equal(mimic_query_scores(MIMIC_QUERY_ENTROPY, NULL, conf, 3, 0, s), MIMIC_OK);
  assert_true(fabs(s[1] - 0.75) < 1e-7 && s[2] == 0.0);
}

static void test_query_select(void **state) {
  (void)state;
  /* 6 items, 2 classes: uncertainty by margin, with a tie between items 1 and 4 */
  double p[12] = {0.9, 0.1, 0.6, 0.4, 0.99, 0.01, 0.5, 0.5, 0.4, 0.6, 0.8, 0.2};
  size_t out[6], n;
  mimic_query_rule q = {.kind = MIMIC_QUERY_MARGIN, .k = 3};
  double sc[6];
  assert_int_equal(mimic_query_scores(q.kind, p, NULL, 6, 2, sc), MIMIC_OK);
  n = mimic_query_select(&q, sc, NULL, 6, NULL, out);
  assert_int_equal(n, 3);
  assert_int_equal(out[0], 3); /* 0.5/0.5 */
  assert_int_equal(out[1], 1); /* tie 0.6/0.4 with item 4: lower index first */
  assert_int_equal(out[2], 4);
  bool skip[6] = {0, 0, 0, 1, 0, 0};
  assert_int_equal(mimic_query_scores(q.kind, p, NULL, 6, 2, sc), MIMIC_OK);
  n = mimic_query_select(&q, sc, skip, 6, NULL, out);
  assert_int_equal(out[0], 1);
  assert_int_equal(out[1], 4);
  assert_int_equal(out[2], 5);
  q.kind = MIMIC_QUERY_LEAST_CONFIDENT;
  q.k = 10; /* more than there are: all eligible */
  assert_int_equal(mimic_query_scores(q.kind, p, NULL, 6, 2, sc), MIMIC_OK);
  n = mimic_query_select(&q, sc, skip, 6, NULL, out);
  assert_int_equal(n, 5);
  /* random: same seed, same picks; distinct; never skipped */
  q.kind = MIMIC_QUERY_RANDOM;
  q.k = 3;
  mimic_rng a, b;
  mimic_rng_seed(&a, 42);
  mimic_rng_seed(&b, 42);
  size_t o2[6], n2;
  assert_int_equal(mimic_query_scores(q.kind, p, NULL, 6, 2, sc), MIMIC_OK);
  n = mimic_query_select(&q, sc, skip, 6, &a, out);
  assert_int_equal(mimic_query_scores(q.kind, p, NULL, 6, 2, sc), MIMIC_OK);
  n2 = mimic_query_select(&q, sc, skip, 6, &b, o2);
  assert_int_equal(n, 3);
  assert_int_equal(n2, 3);
  assert_memory_equal(out, o2, 3 * sizeof *out);
  for (int i = 0; i < 3; i++) {
    assert_true(out[i] != 3);
    for (int j = 0; j < i; j++) assert_true(out[i] != out[j]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_uncertainty_scores),
      cmocka_unit_test(test_query_select),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
