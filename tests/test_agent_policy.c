/* Agent policies on the mission's example (docs/agent-mission/demos.jsonl):
 * after five demonstrations the frequency policy answers search_orders for
 * order_status with confidence 2/3 and knows nothing about complaint (it
 * goes to the fallback); an expert's correction stored in the label store
 * and learned makes complaint -> escalate_to_human with confidence 1. Also:
 * the Markov policy's back-off, logistic regression on the same data,
 * model files (predictions identical after save/load, damaged files
 * refused), argument sources and filling, retrieval of demonstrations,
 * corrections read back from the store, and feature lists. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/agent.h"
#include "agent/agent_impl.h"

static mimic_agent_traces demos;
static mimic_agent_examples demo_ex;

static int setup(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/docs/agent-mission/demos.jsonl", MIMIC_SOURCE_DIR);
  if (mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &demos)) return -1;
  if (demos.n != 5 || demos.n_problems) return -1;
  memset(&demo_ex, 0, sizeof demo_ex);
  return mimic_agent_examples_add_traces(&demo_ex, &demos, NULL) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  mimic_agent_examples_free(&demo_ex);
  mimic_agent_traces_free(&demos);
  return 0;
}

/* kind 3: logreg averaged with a forest of 10 trees */
static mimic_agent_model *fit(mimic_agent_policy_kind kind, const mimic_agent_examples *e) {
  mimic_agent_config cfg;
  mimic_agent_config_default(&cfg);
  cfg.policy = kind < 3 ? kind : MIMIC_AGENT_LOGREG;
  cfg.forest.n_trees = kind < 3 ? 0 : 10;
  cfg.n_threads = 1;
  mimic_agent_model *m = NULL;
  assert_int_equal(mimic_agent_fit(e->ex, e->n, &cfg, &m), MIMIC_OK);
  return m;
}

static mimic_agent_prediction predict(const mimic_agent_model *m, const mimic_agent_state *s) {
  mimic_agent_scratch *sc;
  assert_int_equal(mimic_agent_scratch_new(m, &sc), MIMIC_OK);
  mimic_agent_prediction p;
  assert_int_equal(mimic_agent_predict(m, s, sc, &p), MIMIC_OK);
  p.proba = NULL; /* not valid after the scratch is gone */
  mimic_agent_scratch_free(sc);
  return p;
}

static const mimic_agent_state order_state = {
    "order_status", "Where is order F1207?", NULL, 0, NULL, NULL, 0, NULL};
static const mimic_agent_state complaint_state = {
    "complaint", "My blender arrived broken and nobody answers my emails!", NULL, 0, NULL, NULL, 0,
    NULL};

/* The mission, exactly: 0.67, the fallback, the correction, learned. */
static void test_mission(void **state) {
  (void)state;
  mimic_agent_model *m = fit(MIMIC_AGENT_FREQUENCY, &demo_ex);
  assert_int_equal(mimic_agent_n_actions(m), 5);
  mimic_agent_prediction p = predict(m, &order_state);
  assert_string_equal(mimic_agent_action(m, p.action), "search_orders");
  assert_true(fabs(p.confidence - 2.0 / 3.0) < 1e-12);
  char buf[16];
  snprintf(buf, sizeof buf, "%.2f", p.confidence);
  assert_string_equal(buf, "0.67");
  assert_string_equal(mimic_agent_route(p.confidence, 0.5, "fallback"), "act");
  /* the next move of order_status after search_orders: reply, 3 of 3 second moves */
  const char *prev[] = {"search_orders"};
  mimic_agent_state s2 = order_state;
  s2.previous = prev;
  s2.n_previous = 1;
  p = predict(m, &s2);
  assert_string_equal(mimic_agent_action(m, p.action), "reply");
  assert_true(fabs(p.confidence - 2.0 / 3.0) < 1e-12); /* demo-3 looks the order up first */
  /* complaint was never seen: no action, confidence 0, the fallback route */
  p = predict(m, &complaint_state);
  assert_int_equal(p.action, -1);
  assert_true(p.confidence == 0);
  assert_string_equal(mimic_agent_route(p.confidence, 0.5, "expert"), "expert");
  /* the expert's answer goes to the store, committed at once ... */
  char *db = tu_tmp_path("corrections.db");
  mimic_labelstore *store;
  assert_int_equal(mimic_labelstore_open(db, NULL, &store), MIMIC_OK);
  int64_t session, id;
  bool resumed;
  assert_int_equal(mimic_labelstore_session_open(store, "mission", MIMIC_AGENT_SESSION_KIND, NULL,
                                                 &session, &resumed),
                   MIMIC_OK);
  assert_int_equal(mimic_agent_store_correction(store, session, &complaint_state,
                                                "escalate_to_human", "{\"reason\":\"complaint\"}",
                                                "human", 1, NULL, &id),
                   MIMIC_OK);
  mimic_labelstore_close(store);
  /* ... and is learned: demonstrations + corrections read back from disk */
  mimic_labelstore_opts ro = {.read_only = true};
  assert_int_equal(mimic_labelstore_open(db, &ro, &store), MIMIC_OK);
  mimic_agent_examples all = {0};
  assert_int_equal(mimic_agent_examples_add_traces(&all, &demos, NULL), MIMIC_OK);
  assert_int_equal(mimic_agent_examples_add_store(&all, store, 0), MIMIC_OK);
  mimic_labelstore_close(store);
  assert_int_equal(all.n, demo_ex.n + 1);
  const mimic_agent_example *c = &all.ex[all.n - 1];
  assert_string_equal(c->action, "escalate_to_human");
  assert_string_equal(c->arguments, "{\"reason\":\"complaint\"}");
  assert_string_equal(c->state.intent, "complaint");
  mimic_agent_model *m2 = fit(MIMIC_AGENT_FREQUENCY, &all);
  p = predict(m2, &complaint_state);
  assert_string_equal(mimic_agent_action(m2, p.action), "escalate_to_human");
  assert_true(p.confidence == 1.0);
  assert_string_equal(mimic_agent_route(p.confidence, 0.5, "fallback"), "act");
  p = predict(m2, &order_state); /* unchanged */
  assert_string_equal(mimic_agent_action(m2, p.action), "search_orders");
  assert_true(fabs(p.confidence - 2.0 / 3.0) < 1e-12);
  mimic_agent_free(m2);
  mimic_agent_examples_free(&all);
  mimic_agent_free(m);
  free(db);
}

/* Markov over the last 2 actions, backing off to shorter histories. */
static void test_markov(void **state) {
  (void)state;
  mimic_agent_model *m = fit(MIMIC_AGENT_MARKOV, &demo_ex);
  const char *h1[] = {"lookup_customer"};
  mimic_agent_state s = order_state;
  s.previous = h1;
  s.n_previous = 1;
  mimic_agent_prediction p = predict(m, &s);
  assert_string_equal(mimic_agent_action(m, p.action), "search_orders");
  assert_true(p.confidence == 1.0);
  /* a history never seen (cancel_order under order_status) backs off to the intent */
  const char *h2[] = {"cancel_order", "cancel_order"};
  s.previous = h2;
  s.n_previous = 2;
  p = predict(m, &s);
  assert_string_equal(mimic_agent_action(m, p.action), "reply"); /* 3 of 7 moves */
  assert_true(fabs(p.confidence - 3.0 / 7.0) < 1e-12);
  /* the refund intent after search_orders: issue_refund */
  const char *h3[] = {"search_orders"};
  mimic_agent_state r = {"refund", "money back for D3300", h3, 1, "{}", NULL, 0, NULL};
  p = predict(m, &r);
  assert_string_equal(mimic_agent_action(m, p.action), "issue_refund");
  p = predict(m, &complaint_state);
  assert_int_equal(p.action, -1);
  mimic_agent_free(m);
}

/* Logistic regression on the same data; file round trip gives identical answers. */
static void test_logreg_and_files(void **state) {
  (void)state;
  mimic_agent_model *m = fit(MIMIC_AGENT_LOGREG, &demo_ex);
  mimic_agent_prediction p = predict(m, &order_state);
  assert_string_equal(mimic_agent_action(m, p.action), "search_orders");
  assert_true(p.confidence > 0.2 && p.confidence < 1);
  /* after a tool's output comes the reply */
  const char *h[] = {"search_orders"};
  mimic_agent_state s = {"order_status",
                         "Where is order F1207?",
                         h,
                         1,
                         "{\"order_id\": \"F1207\", \"status\": \"shipped\"}",
                         NULL,
                         0,
                         NULL};
  p = predict(m, &s);
  assert_string_equal(mimic_agent_action(m, p.action), "reply");
  char *path = tu_tmp_path("agent.mimic");
  for (int kind = 0; kind < 4; kind++) {
    mimic_agent_model *a = fit((mimic_agent_policy_kind)kind, &demo_ex), *b;
    assert_int_equal(mimic_agent_save(a, path), MIMIC_OK);
    assert_int_equal(mimic_agent_load(path, &b), MIMIC_OK);
    assert_int_equal(mimic_agent_kind(b), kind < 3 ? kind : MIMIC_AGENT_LOGREG);
    assert_int_equal(mimic_agent_n_actions(a), mimic_agent_n_actions(b));
    assert_int_equal(mimic_agent_n_demos(a), mimic_agent_n_demos(b));
    for (size_t i = 0; i < demo_ex.n; i++) {
      mimic_agent_prediction pa = predict(a, &demo_ex.ex[i].state);
      mimic_agent_prediction pb = predict(b, &demo_ex.ex[i].state);
      assert_int_equal(pa.action, pb.action);
      assert_true(pa.confidence == pb.confidence);
      json_t *x, *y;
      assert_int_equal(mimic_agent_fill_arguments(a, pa.action, &demo_ex.ex[i].state, &x, NULL),
                       MIMIC_OK);
      assert_int_equal(mimic_agent_fill_arguments(b, pb.action, &demo_ex.ex[i].state, &y, NULL),
                       MIMIC_OK);
      assert_true(json_equal(x, y));
      json_decref(x);
      json_decref(y);
    }
    mimic_agent_free(a);
    mimic_agent_free(b);
  }
  /* a damaged file is refused */
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, 40, SEEK_SET);
  fputc('#', f);
  fclose(f);
  mimic_agent_model *bad = NULL;
  assert_int_not_equal(mimic_agent_load(path, &bad), MIMIC_OK);
  assert_null(bad);
  free(path);
  mimic_agent_free(m);
}

/* Argument sources: order ids are copied from the request; after
 * lookup_customer, the order id comes from the customer's orders. */
static void test_arguments(void **state) {
  (void)state;
  mimic_agent_model *m = fit(MIMIC_AGENT_FREQUENCY, &demo_ex);
  int so = mimic_agent_action_id(m, "search_orders");
  json_t *tab = mimic_agent_argument_table(m, so);
  json_t *oid = json_object_get(tab, "order_id");
  assert_non_null(oid);
  assert_string_equal(json_string_value(json_object_get(oid, "source")), "request");
  json_decref(tab);
  json_t *args, *src;
  assert_int_equal(mimic_agent_fill_arguments(m, so, &order_state, &args, &src), MIMIC_OK);
  assert_string_equal(json_string_value(json_object_get(args, "order_id")), "F1207");
  assert_string_equal(json_string_value(json_object_get(src, "order_id")), "request");
  json_decref(args);
  json_decref(src);
  /* no order id in the request: it is found in the customer record (a JSON observation) */
  const char *h[] = {"lookup_customer"};
  const char *obs[] = {"{\"customer_id\": \"C-9\", \"orders\": [\"Z7777\"]}"};
  mimic_agent_state s = {"order_status", "what about my order?", h, 1, obs[0], obs, 1, NULL};
  assert_int_equal(mimic_agent_fill_arguments(m, so, &s, &args, NULL), MIMIC_OK);
  assert_string_equal(json_string_value(json_object_get(args, "order_id")), "Z7777");
  json_decref(args);
  /* a reply has no arguments */
  assert_int_equal(
      mimic_agent_fill_arguments(m, mimic_agent_action_id(m, "reply"), &s, &args, NULL), MIMIC_OK);
  assert_int_equal(json_object_size(args), 0);
  json_decref(args);
  /* evaluation on the demonstrations themselves: every move right, arguments scored */
  mimic_agent_eval ev;
  mimic_agent_model *lr = fit(MIMIC_AGENT_LOGREG, &demo_ex);
  assert_int_equal(mimic_agent_evaluate(lr, demo_ex.ex, demo_ex.n, &ev), MIMIC_OK);
  assert_int_equal(ev.n, 12);
  assert_true(ev.accuracy == 1.0);
  assert_true(ev.n_args_scored == 7);
  assert_true(ev.args_exact >= 5.0 / 7.0); /* issue_refund's amount is composed */
  double th[3] = {0, 0.5, 1.01};
  mimic_agent_calib_row rows[3];
  mimic_agent_calibrate(ev.confidence, ev.correct, ev.n, th, 3, rows);
  assert_true(rows[0].coverage == 1.0 && rows[0].accuracy == 1.0);
  assert_true(rows[2].coverage == 0 && isnan(rows[2].accuracy));
  mimic_agent_eval_free(&ev);
  mimic_agent_free(lr);
  mimic_agent_free(m);
}

/* Retrieval: the nearest demonstration steps by TF-IDF cosine, best first. */
static void test_retrieval(void **state) {
  (void)state;
  mimic_agent_model *m = fit(MIMIC_AGENT_LOGREG, &demo_ex);
  assert_int_equal(mimic_agent_n_demos(m), 12);
  mimic_agent_scratch *sc;
  assert_int_equal(mimic_agent_scratch_new(m, &sc), MIMIC_OK);
  mimic_agent_state s = {
      "refund", "my blender does not work, I want my money back", NULL, 0, NULL, NULL, 0, NULL};
  mimic_agent_shot shots[4];
  size_t n;
  assert_int_equal(mimic_agent_retrieve(m, &s, 4, sc, shots, &n), MIMIC_OK);
  assert_true(n >= 1);
  json_t *j = mimic_agent_shot_json(m, &shots[0]);
  assert_string_equal(json_string_value(json_object_get(j, "trace")), "demo-4");
  assert_int_equal(json_integer_value(json_object_get(j, "step")), 0); /* no previous actions */
  assert_string_equal(json_string_value(json_object_get(j, "action")), "search_orders");
  json_decref(j);
  for (size_t i = 1; i < n; i++) assert_true(shots[i].score <= shots[i - 1].score);
  /* k = 0 and an empty state retrieve nothing; a second call gives the same */
  size_t n2;
  mimic_agent_shot again[4];
  assert_int_equal(mimic_agent_retrieve(m, &s, 4, sc, again, &n2), MIMIC_OK);
  assert_int_equal(n2, n);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(again[i].demo, shots[i].demo);
    assert_true(again[i].score == shots[i].score);
  }
  mimic_agent_state empty = {0};
  assert_int_equal(mimic_agent_retrieve(m, &empty, 4, sc, shots, &n), MIMIC_OK);
  assert_int_equal(n, 0);
  mimic_agent_scratch_free(sc);
  mimic_agent_free(m);
}

static void test_features(void **state) {
  (void)state;
  unsigned f;
  assert_int_equal(mimic_agent_features_parse("default", &f), MIMIC_OK);
  assert_int_equal(f, MIMIC_AGENT_FEAT_DEFAULT);
  assert_int_equal(mimic_agent_features_parse("+request,-shapes", &f), MIMIC_OK);
  assert_int_equal(f, (MIMIC_AGENT_FEAT_DEFAULT | MIMIC_AGENT_FEAT_REQUEST) &
                          ~MIMIC_AGENT_FEAT_SHAPES);
  assert_int_equal(mimic_agent_features_parse("observation,previous", &f), MIMIC_OK);
  assert_int_equal(f, MIMIC_AGENT_FEAT_OBSERVATION | MIMIC_AGENT_FEAT_PREVIOUS);
  char buf[256];
  mimic_agent_features_format(f, buf, sizeof buf);
  assert_string_equal(buf, "observation,previous");
  assert_int_equal(mimic_agent_features_parse("observation,bogus", &f), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_agent_features_parse("-all", &f), MIMIC_ERR_INVALID);
  /* every single block fits and predicts on its own */
  for (unsigned b = 1; b < MIMIC_AGENT_FEAT_ALL; b <<= 1) {
    mimic_agent_config cfg;
    mimic_agent_config_default(&cfg);
    cfg.features = b;
    cfg.n_threads = 1;
    mimic_agent_model *m;
    assert_int_equal(mimic_agent_fit(demo_ex.ex, demo_ex.n, &cfg, &m), MIMIC_OK);
    mimic_agent_prediction p = predict(m, &order_state);
    assert_true(p.action >= 0 && p.confidence > 0);
    mimic_agent_free(m);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mission),          cmocka_unit_test(test_markov),
      cmocka_unit_test(test_logreg_and_files), cmocka_unit_test(test_arguments),
      cmocka_unit_test(test_retrieval),        cmocka_unit_test(test_features),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
