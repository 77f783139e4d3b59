/* The DAgger driver on a toy problem: schedules, query rules, counting,
 * resume and a person quitting. The toy learner classifies integers 0..99
 * by a threshold it fits from labels; the expert knows the true threshold. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "mimic/dagger.h"

static void test_beta_schedules(void **state) {
  (void)state;
  mimic_beta_schedule s;
  assert_int_equal(mimic_beta_parse("linear", &s), MIMIC_OK);
  assert_true(mimic_beta_at(&s, 0) == 1.0);
  assert_true(fabs(mimic_beta_at(&s, 5) - (1 - 5 / 15.0)) < 1e-15);
  assert_true(mimic_beta_at(&s, 15) == 0.0 && mimic_beta_at(&s, 40) == 0.0);
  assert_int_equal(mimic_beta_parse("linear:4", &s), MIMIC_OK);
  assert_true(mimic_beta_at(&s, 2) == 0.5);
  assert_int_equal(mimic_beta_parse("exp:0.5", &s), MIMIC_OK);
  assert_true(mimic_beta_at(&s, 3) == 0.125);
  assert_int_equal(mimic_beta_parse("indicator", &s), MIMIC_OK);
  assert_true(mimic_beta_at(&s, 0) == 1.0 && mimic_beta_at(&s, 1) == 0.0);
  assert_int_equal(mimic_beta_parse("constant:0.3", &s), MIMIC_OK);
  assert_true(mimic_beta_at(&s, 9) == 0.3);
  char buf[32];
  mimic_beta_format(&s, buf, sizeof buf);
  assert_string_equal(buf, "constant:0.3");
  assert_int_equal(mimic_beta_parse("linear:0", &s), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_beta_parse("exp", &s), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_beta_parse("exp:1.5", &s), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_beta_parse("cosine", &s), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "unknown beta schedule 'cosine'"));
}

static void test_query_rules(void **state) {
  (void)state;
  mimic_query_rule q;
  assert_int_equal(mimic_query_parse("uncertain:0.8", &q), MIMIC_OK);
  assert_int_equal(q.kind, MIMIC_QUERY_UNCERTAIN);
  const double scores[6] = {0.1, 0.5, 0.3, 0.5, NAN, 0.05}; /* 1 - confidence */
  size_t out[6];
  /* confidence < 0.8  <=>  score > 0.2: indices 1, 3 (tie by index), 2, and NaN first */
  assert_int_equal(mimic_query_select(&q, scores, NULL, 6, NULL, out), 4);
  assert_int_equal(out[0], 4);
  assert_int_equal(out[1], 1);
  assert_int_equal(out[2], 3);
  assert_int_equal(out[3], 2);
  assert_int_equal(mimic_query_parse("margin:2", &q), MIMIC_OK);
  const bool skip[6] = {false, true, false, false, false, false};
  assert_int_equal(mimic_query_select(&q, scores, skip, 6, NULL, out), 2);
  assert_int_equal(out[0], 4);
  assert_int_equal(out[1], 3);
  mimic_rng r1, r2;
  mimic_rng_seed(&r1, 3);
  mimic_rng_seed(&r2, 3);
  assert_int_equal(mimic_query_parse("random:3", &q), MIMIC_OK);
  size_t a[6], b[6];
  assert_int_equal(mimic_query_select(&q, NULL, skip, 6, &r1, a), 3);
  assert_int_equal(mimic_query_select(&q, NULL, skip, 6, &r2, b), 3);
  assert_memory_equal(a, b, 3 * sizeof a[0]);
  for (int i = 0; i < 3; i++) assert_true(a[i] != 1);
  assert_int_equal(mimic_query_parse("all", &q), MIMIC_OK);
  assert_int_equal(mimic_query_select(&q, NULL, skip, 6, NULL, out), 5);
  assert_int_equal(mimic_query_parse("margin", &q), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_query_parse("uncertain:1.5", &q), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_query_parse("smart:3", &q), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_query_parse("budget:7", &q), MIMIC_OK);
  assert_int_equal(q.kind, MIMIC_QUERY_LEAST_CONFIDENT);
  assert_int_equal(q.k, 7);
}

/* The toy: items 0..99, true label = item >= 37; the learner's threshold is
 * the midpoint between the largest known negative and smallest positive. */
typedef struct toy {
  bool labeled[100];
  int label[100];
  double lo, hi; /* learner's bracket of the threshold */
  long queries;
  int quit_after;    /* a "person" quits after this many answers (-1 = never) */
  int durable_round; /* last round made durable */
  size_t cand[100];
  bool cand_labeled[100];
  size_t n_cand;
} toy;

static mimic_status toy_resume(void *ctx, int *first, size_t *answered) {
  toy *t = ctx;
  *first = t->durable_round + 1;
  *answered = 0;
  for (int i = 0; i < 100; i++) *answered += t->labeled[i];
  *answered -= (size_t)(*first) * 2; /* two answers per finished round */
  return MIMIC_OK;
}

static mimic_status toy_gather(void *ctx, int round, double beta, size_t *n, const bool **labeled) {
  toy *t = ctx;
  t->n_cand = 0;
  for (size_t i = 0; i < 100; i++)
    if (!t->labeled[i]) {
      t->cand_labeled[t->n_cand] = false;
      t->cand[t->n_cand++] = i;
    }
  *n = t->n_cand;
  *labeled = t->cand_labeled;
  return MIMIC_OK;
}

static mimic_status toy_uncertainty(void *ctx, mimic_query_kind kind, double *scores, size_t n) {
  toy *t = ctx;
  double mid = (t->lo + t->hi) / 2;
  for (size_t i = 0; i < n; i++) scores[i] = 1.0 / (1.0 + fabs((double)t->cand[i] - mid));
  return MIMIC_OK;
}

static mimic_status toy_label(void *ctx, size_t i, bool *added) {
  toy *t = ctx;
  if (t->quit_after == 0) return mimic_fail(MIMIC_ERR_INTERRUPTED, "the expert quit");
  if (t->quit_after > 0) t->quit_after--;
  size_t item = t->cand[i];
  t->labeled[item] = true;
  t->label[item] = item >= 37;
  t->queries++;
  *added = true;
  return MIMIC_OK;
}

static mimic_status toy_fit(void *ctx, int round) {
  toy *t = ctx;
  t->lo = -1;
  t->hi = 100;
  for (int i = 0; i < 100; i++) {
    if (!t->labeled[i]) continue;
    if (t->label[i] && i < t->hi) t->hi = i;
    if (!t->label[i] && i > t->lo) t->lo = i;
  }
  return MIMIC_OK;
}

static mimic_status toy_evaluate(void *ctx, int round, mimic_dagger_round *row) {
  toy *t = ctx;
  double mid = (t->lo + t->hi) / 2;
  int correct = 0;
  for (int i = 0; i < 100; i++) correct += ((double)i >= mid) == (i >= 37);
  row->n_metrics = 1;
  row->metric_names[0] = "accuracy";
  row->metrics[0] = correct / 100.0;
  return MIMIC_OK;
}

static mimic_status toy_end_round(void *ctx, int round) {
  ((toy *)ctx)->durable_round = round;
  return MIMIC_OK;
}

static size_t toy_size(void *ctx) {
  size_t n = 0;
  for (int i = 0; i < 100; i++) n += ((toy *)ctx)->labeled[i];
  return n;
}

static long toy_queries(void *ctx) { return ((toy *)ctx)->queries; }

static mimic_dagger_ops toy_ops(toy *t) {
  return (mimic_dagger_ops){.ctx = t,
                            .resume = toy_resume,
                            .gather = toy_gather,
                            .uncertainty = toy_uncertainty,
                            .label = toy_label,
                            .fit = toy_fit,
                            .evaluate = toy_evaluate,
                            .end_round = toy_end_round,
                            .dataset_size = toy_size,
                            .expert_queries = toy_queries};
}

static void test_uncertainty_sampling_learns_threshold(void **state) {
  (void)state;
  toy t = {.quit_after = -1, .durable_round = -1, .lo = 0, .hi = 99};
  mimic_dagger_ops ops = toy_ops(&t);
  mimic_dagger_config cfg = {.rounds = 8, .seed = 1};
  mimic_beta_parse("indicator", &cfg.beta);
  mimic_query_parse("least-confident:1", &cfg.query);
  mimic_dagger_round rows[8];
  int n_rows;
  assert_int_equal(mimic_dagger_run(&cfg, &ops, rows, 8, &n_rows), MIMIC_OK);
  assert_int_equal(n_rows, 8);
  /* one label per round, always next to the current guess: binary search */
  for (int i = 0; i < 8; i++) {
    assert_int_equal(rows[i].queried, 1);
    assert_int_equal(rows[i].dataset_size, (size_t)i + 1);
    assert_int_equal(rows[i].expert_queries, i + 1);
  }
  assert_true(rows[0].beta == 1.0 && rows[1].beta == 0.0);
  assert_true(rows[7].metrics[0] == 1.0); /* 8 labels locate the threshold exactly */

  /* random querying with the same budget does worse */
  toy r = {.quit_after = -1, .durable_round = -1, .lo = 0, .hi = 99};
  ops = toy_ops(&r);
  mimic_query_parse("random:1", &cfg.query);
  assert_int_equal(mimic_dagger_run(&cfg, &ops, rows, 8, &n_rows), MIMIC_OK);
  assert_true(rows[7].metrics[0] < 1.0);
}

static void test_quit_and_resume(void **state) {
  (void)state;
  toy t = {.quit_after = 5, .durable_round = -1, .lo = 0, .hi = 99};
  mimic_dagger_ops ops = toy_ops(&t);
  mimic_dagger_config cfg = {.rounds = 4, .seed = 1};
  mimic_beta_parse("constant:0", &cfg.beta);
  mimic_query_parse("least-confident:2", &cfg.query);
  mimic_dagger_round rows[4];
  int n_rows;
  assert_int_equal(mimic_dagger_run(&cfg, &ops, rows, 4, &n_rows), MIMIC_ERR_INTERRUPTED);
  assert_int_equal(n_rows, 2);          /* rounds 0 and 1 finished */
  assert_int_equal(t.durable_round, 1); /* round 2 was cut short */
  assert_int_equal(toy_size(&t), 5);    /* but its answer was kept */
  t.quit_after = -1;
  assert_int_equal(mimic_dagger_run(&cfg, &ops, rows, 4, &n_rows), MIMIC_OK);
  assert_int_equal(n_rows, 2); /* rounds 2 and 3 */
  assert_int_equal(rows[0].round, 2);
  assert_int_equal(rows[0].queried, 1); /* only the rest of round 2's budget */
  assert_int_equal(toy_size(&t), 8);
}

static void test_bad_config(void **state) {
  (void)state;
  toy t = {.durable_round = -1};
  mimic_dagger_ops ops = toy_ops(&t);
  mimic_dagger_config cfg = {.rounds = 0};
  assert_int_equal(mimic_dagger_run(&cfg, &ops, NULL, 0, NULL), MIMIC_ERR_INVALID);
  cfg.rounds = 2;
  mimic_query_parse("entropy:3", &cfg.query);
  ops.uncertainty = NULL;
  assert_int_equal(mimic_dagger_run(&cfg, &ops, NULL, 0, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "gives no confidence"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_beta_schedules),
      cmocka_unit_test(test_query_rules),
      cmocka_unit_test(test_uncertainty_sampling_learns_threshold),
      cmocka_unit_test(test_quit_and_resume),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
