/* The DAgger driver on a toy problem: schedules, query rules, counting,
 * resume and a person quitting. The toy learner classifies integers 0..99
 * by a threshold it fits from labels; the expert knows the true threshold. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The toy: states 0..99 (one-value observations), true label = state >= 37.
 * The learner's threshold is the midpoint between the largest known
 * negative and the smallest known positive; it is least sure next to it. */
typedef struct toy_learner {
  double lo, hi;
} toy_learner;

static mimic_status toy_fit(mimic_policy *p, const mimic_labeled *data, bool warm, uint64_t seed) {
  toy_learner *t = p->impl;
  t->lo = -1;
  t->hi = 100;
  for (size_t i = 0; i < data->n; i++) {
    double x = data->obs[i];
    if (data->actions[i] == 1 && x < t->hi) t->hi = x;
    if (data->actions[i] == 0 && x > t->lo) t->lo = x;
  }
  return MIMIC_OK;
}

static mimic_status toy_act(mimic_policy *p, mimic_act_batch *b) {
  toy_learner *t = p->impl;
  double mid = (t->lo + t->hi) / 2;
  for (int i = 0; i < b->n; i++) {
    double x = b->obs[i], p1 = x >= mid ? 1 - 0.5 / (1 + fabs(x - mid)) : 0.5 / (1 + fabs(x - mid));
    b->actions[i] = x >= mid;
    if (b->confidence) b->confidence[i] = (float)(p1 > 0.5 ? p1 : 1 - p1);
    if (b->proba) b->proba[2 * i] = 1 - p1, b->proba[2 * i + 1] = p1;
  }
  return MIMIC_OK;
}

static const mimic_policy_class toy_learner_class = {
    .kind = "toy", .act = toy_act, .free_impl = NULL, .fit = toy_fit};

static mimic_policy *toy_learner_new(toy_learner *t) {
  mimic_space two = {.kind = MIMIC_SPACE_DISCRETE, .n = 2, .dim = 1};
  mimic_policy *p;
  assert_int_equal(mimic_policy_alloc(&toy_learner_class, &two, 1, &p), MIMIC_OK);
  *t = (toy_learner){0, 99};
  p->impl = t;
  return p;
}

/* The expert knows the threshold; after quit_after answers it quits. */
typedef struct toy_expert {
  int quit_after; /* -1 = never */
  long asked;
} toy_expert;

static mimic_status toy_label(mimic_expert *e, const mimic_questions *q, mimic_answer *a) {
  toy_expert *t = e->impl;
  for (size_t i = 0; i < q->n; i++) {
    t->asked++;
    if (t->quit_after == 0) {
      a[i].kind = MIMIC_ANSWER_QUIT;
      continue;
    }
    if (t->quit_after > 0) t->quit_after--;
    a[i].action[0] = q->obs[i] >= 37;
  }
  return MIMIC_OK;
}

static const mimic_expert_class toy_expert_class = {.kind = "toy", .label = toy_label};

static char *toy_state_text(const mimic_codec *c, const mimic_questions *q, size_t i) {
  return mimic_asprintf("%g", (double)q->obs[i]);
}

static mimic_codec toy_codec = {.kind = "toy",
                                .space = {.kind = MIMIC_SPACE_DISCRETE, .n = 2, .dim = 1},
                                .state_text = toy_state_text};

/* The source: every state not yet settled, keyed by its value. */
static mimic_status toy_gather(void *ctx, mimic_dagger *d, int round, double beta) {
  for (int i = 0; i < 100; i++) {
    char key[16];
    snprintf(key, sizeof key, "x%d", i);
    if (mimic_dagger_settled(d, key)) continue;
    float x = (float)i;
    mimic_dagger_state s = {.obs = &x, .key = key, .order = (uint64_t)i};
    MIMIC_TRY(mimic_dagger_add(d, &s, 1, NULL));
  }
  return MIMIC_OK;
}

static float restored;

static mimic_status toy_restore(void *ctx, const char *key, const char *text,
                                mimic_dagger_example *out) {
  restored = (float)atof(text);
  *out = (mimic_dagger_example){.obs = &restored, .order = (uint64_t)atoi(key + 1)};
  return MIMIC_OK;
}

static mimic_status toy_evaluate(void *ctx, int round, mimic_dagger_round *row) {
  toy_learner *t = ctx;
  double mid = (t->lo + t->hi) / 2;
  int correct = 0;
  for (int i = 0; i < 100; i++) correct += ((double)i >= mid) == (i >= 37);
  row->n_metrics = 1;
  row->metric_names[0] = "accuracy";
  row->metrics[0] = correct / 100.0;
  return MIMIC_OK;
}

/* Runs the toy loop: rounds, rule, an optional label log. */
static mimic_status toy_run(const char *query, const char *beta, int rounds, int quit_after,
                            mimic_labelstore *store, mimic_dagger_round *rows, int *n_rows,
                            long *asked) {
  toy_learner tl;
  mimic_policy *learner = toy_learner_new(&tl);
  toy_expert te = {.quit_after = quit_after};
  mimic_expert *e;
  assert_int_equal(mimic_expert_alloc(&toy_expert_class, &toy_codec, "toy", &e), MIMIC_OK);
  e->impl = &te;
  e->person = true;
  mimic_dagger_config cfg = {.rounds = rounds,
                             .seed = 1,
                             .learner = learner,
                             .expert = e,
                             .store = store,
                             .session = "toy",
                             .session_kind = "toy"};
  mimic_beta_parse(beta, &cfg.beta);
  mimic_query_parse(query, &cfg.query);
  mimic_dagger_source src = {
      .ctx = &tl, .gather = toy_gather, .restore = toy_restore, .evaluate = toy_evaluate};
  mimic_dagger *d;
  mimic_status st = mimic_dagger_open(&cfg, &src, &d);
  if (!st) st = mimic_dagger_run(d, rows, 8, n_rows);
  mimic_dagger_close(d);
  mimic_expert_free(e);
  mimic_policy_free(learner);
  if (asked) *asked = te.asked;
  return st;
}

static void test_uncertainty_sampling_learns_threshold(void **state) {
  (void)state;
  mimic_dagger_round rows[8];
  int n_rows;
  assert_int_equal(toy_run("least-confident:1", "indicator", 8, -1, NULL, rows, &n_rows, NULL),
                   MIMIC_OK);
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
  assert_int_equal(toy_run("random:1", "indicator", 8, -1, NULL, rows, &n_rows, NULL), MIMIC_OK);
  assert_true(rows[7].metrics[0] < 1.0);
}

static void test_quit_and_resume(void **state) {
  (void)state;
  char *db = tu_tmp_path("toy.sqlite");
  mimic_labelstore *store;
  assert_int_equal(mimic_labelstore_open(db, NULL, &store), MIMIC_OK);
  mimic_dagger_round rows[8];
  int n_rows;
  long asked;
  assert_int_equal(toy_run("least-confident:2", "constant:0", 4, 5, store, rows, &n_rows, &asked),
                   MIMIC_ERR_INTERRUPTED);
  assert_int_equal(n_rows, 2); /* rounds 0 and 1 finished */
  int64_t n;
  assert_int_equal(mimic_labelstore_count(store, 0, &n), MIMIC_OK);
  assert_int_equal(n, 5); /* round 2 was cut short, but its answer was kept */
  assert_int_equal(toy_run("least-confident:2", "constant:0", 4, -1, store, rows, &n_rows, &asked),
                   MIMIC_OK);
  assert_int_equal(n_rows, 2); /* rounds 2 and 3 */
  assert_int_equal(rows[0].round, 2);
  assert_int_equal(rows[0].queried, 2); /* round 2's budget: one replayed from the log ... */
  assert_int_equal(asked, 3);           /* ... and only the rest asked: 1 + round 3's 2 */
  assert_int_equal(mimic_labelstore_count(store, 0, &n), MIMIC_OK);
  assert_int_equal(n, 8);
  /* a session that ran its rounds goes on when given more */
  assert_int_equal(toy_run("least-confident:2", "constant:0", 5, -1, store, rows, &n_rows, &asked),
                   MIMIC_OK);
  assert_int_equal(n_rows, 1);
  assert_int_equal(rows[0].round, 4);
  assert_int_equal(asked, 2);
  mimic_labelstore_close(store);
  free(db);
}

static void test_bad_config(void **state) {
  (void)state;
  mimic_dagger_round rows[8];
  int n_rows;
  assert_int_equal(toy_run("all", "indicator", 0, -1, NULL, rows, &n_rows, NULL),
                   MIMIC_ERR_INVALID);
  /* a rule that ranks by confidence needs a learner that gives probabilities */
  mimic_space box = {.kind = MIMIC_SPACE_BOX, .dim = 1};
  mimic_policy *random;
  assert_int_equal(mimic_policy_random(&box, &random), MIMIC_OK);
  mimic_dagger_config cfg = {.rounds = 1, .learner = random, .expert = NULL};
  mimic_dagger_source src = {.gather = toy_gather, .restore = toy_restore};
  mimic_dagger *d;
  assert_int_equal(mimic_dagger_open(&cfg, &src, &d), MIMIC_OK);
  assert_int_equal(mimic_dagger_run(d, NULL, 0, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "learner and an expert"));
  mimic_dagger_close(d);
  mimic_policy_free(random);
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
