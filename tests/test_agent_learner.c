/* The agent learner behind the learner interface, on the mission's
 * demonstrations (docs/agent-mission/demos.jsonl): the same answers as the
 * agent policy fitted directly, ids in a vocabulary that keeps its order as
 * an expert's new action joins it, an unseen intent as confidence NAN, save
 * and reload. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/agent.h"
#include "agent/learner.h"

static void test_matches_the_policy(void **st) {
  (void)st;
  char path[1024];
  snprintf(path, sizeof path, "%s/docs/agent-mission/demos.jsonl", MIMIC_SOURCE_DIR);
  mimic_agent_traces demos;
  assert_int_equal(mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &demos), MIMIC_OK);
  mimic_agent_examples ex = {0};
  assert_int_equal(mimic_agent_examples_add_traces(&ex, &demos, NULL), MIMIC_OK);
  mimic_agent_config cfg;
  mimic_agent_config_default(&cfg);
  cfg.policy = MIMIC_AGENT_FREQUENCY;
  /* the vocabulary already holds an action no demonstration uses: ids must keep */
  mimic_agent_vocab vocab = {0};
  int id;
  assert_int_equal(mimic_agent_vocab_add(&vocab, "escalate_to_human", &id), MIMIC_OK);
  assert_int_equal(id, 0);
  const void **items = malloc(ex.n * sizeof *items);
  float *acts = malloc(ex.n * sizeof *acts);
  const char **args = malloc(ex.n * sizeof *args);
  for (size_t i = 0; i < ex.n; i++) {
    items[i] = &ex.ex[i];
    assert_int_equal(mimic_agent_vocab_add(&vocab, ex.ex[i].action, &id), MIMIC_OK);
    acts[i] = (float)id;
    args[i] = ex.ex[i].arguments;
  }
  mimic_policy *l;
  assert_int_equal(mimic_agent_learner(&cfg, &vocab, &l), MIMIC_OK);
  assert_false(mimic_policy_fitted(l));
  mimic_labeled data = {.n = ex.n, .items = items, .actions = acts, .details = args};
  assert_int_equal(mimic_policy_fit(l, &data, false, 0), MIMIC_OK);
  assert_int_equal(mimic_policy_n_actions(l), (int)vocab.n);
  assert_int_equal(mimic_agent_vocab_find(&vocab, "escalate_to_human"), 0);
  /* the policy fitted directly */
  mimic_agent_model *m;
  assert_int_equal(mimic_agent_fit(ex.ex, ex.n, &cfg, &m), MIMIC_OK);
  mimic_agent_scratch *sc;
  assert_int_equal(mimic_agent_scratch_new(m, &sc), MIMIC_OK);
  size_t V = vocab.n;
  float a[2], conf[2];
  double *proba = malloc(2 * V * sizeof *proba);
  mimic_agent_example order = {.state = {"order_status", "Where is order F1207?"}};
  mimic_agent_example complaint = {.state = {"complaint", "My blender arrived broken!"}};
  const void *two[2] = {&order, &complaint};
  mimic_act_batch b = {.n = 2,
                       .items = two,
                       .actions = a,
                       .confidence = conf,
                       .proba = proba,
                       .deterministic = true};
  assert_int_equal(mimic_policy_act(l, &b), MIMIC_OK);
  mimic_agent_prediction p;
  assert_int_equal(mimic_agent_predict(m, &order.state, sc, &p), MIMIC_OK);
  assert_string_equal(vocab.names[(int)a[0]], mimic_agent_action(m, p.action));
  assert_string_equal(vocab.names[(int)a[0]], "search_orders");
  assert_true(fabs(conf[0] - 2.0 / 3.0) < 1e-6);
  for (int k = 0; k < mimic_agent_n_actions(m); k++)
    assert_true(proba[mimic_agent_vocab_find(&vocab, mimic_agent_action(m, k))] == p.proba[k]);
  assert_true(proba[0] == 0); /* escalate_to_human: never demonstrated */
  /* complaint was never seen: nothing known, the most uncertain state of all */
  assert_true(isnan(conf[1]) && isnan(a[1]) && isnan(proba[V]));
  /* saved and reloaded, the same answers */
  char *file = tu_tmp_path("agent-learner.mimic");
  assert_int_equal(mimic_policy_save(l, file), MIMIC_OK);
  mimic_policy *again;
  assert_int_equal(mimic_agent_learner(&cfg, &vocab, &again), MIMIC_OK);
  assert_int_equal(mimic_policy_reload(again, file), MIMIC_OK);
  float a2[2], conf2[2];
  b.actions = a2;
  b.confidence = conf2;
  b.proba = NULL;
  assert_int_equal(mimic_policy_act(again, &b), MIMIC_OK);
  assert_true(a2[0] == a[0] && conf2[0] == conf[0]);
  /* an id outside the vocabulary is refused */
  acts[0] = (float)V;
  assert_int_equal(mimic_policy_fit(l, &data, false, 0), MIMIC_ERR_RANGE);
  free(file);
  free(proba);
  free(items);
  free(acts);
  free(args);
  mimic_agent_scratch_free(sc);
  mimic_agent_free(m);
  mimic_policy_free(l);
  mimic_policy_free(again);
  mimic_agent_vocab_free(&vocab);
  mimic_agent_examples_free(&ex);
  mimic_agent_traces_free(&demos);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matches_the_policy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
