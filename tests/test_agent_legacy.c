/* Agent models saved before format version 2 (the JSON-header layout of
 * version 1: a frequency policy, logistic regression, and logistic
 * regression averaged with a forest) load and predict exactly what they
 * predicted then; saved again, they are version-2 files that predict the
 * same. */
#include "legacy_fixtures.h"

#include "mimic/agent.h"

static const char *const states[3] = {
    "{\"intent\": \"order_status\", \"request\": \"Where is order F1207?\"}",
    "{\"intent\": \"refund\", \"request\": \"I want my money back for order A1234\", "
    "\"previous_actions\": [\"search_orders\"], \"last_observation\": \"{\\\"status\\\": "
    "\\\"delivered\\\"}\"}",
    "{\"request\": \"My blender arrived broken!\"}"};

static void check(const mimic_agent_model *m, const json_t *want, const char *name) {
  int K = mimic_agent_n_actions(m);
  assert_int_equal(K, json_integer_value(json_object_get(want, "n_actions")));
  assert_int_equal(mimic_agent_n_demos(m), json_integer_value(json_object_get(want, "n_demos")));
  mimic_agent_scratch *s;
  assert_int_equal(mimic_agent_scratch_new(m, &s), MIMIC_OK);
  for (int i = 0; i < 3; i++) {
    const json_t *w = json_array_get(json_object_get(want, "states"), (size_t)i);
    json_t *j = json_loads(states[i], 0, NULL);
    mimic_agent_state_buf b;
    mimic_agent_prediction p;
    assert_int_equal(mimic_agent_state_from_json(j, &b), MIMIC_OK);
    assert_int_equal(mimic_agent_predict(m, &b.s, s, &p), MIMIC_OK);
    assert_string_equal(p.action >= 0 ? mimic_agent_action(m, p.action) : "",
                        json_string_value(json_object_get(w, "action")));
    assert_true(p.confidence == json_number_value(json_object_get(w, "confidence")));
    legacy_same_f64(p.proba, json_object_get(w, "proba"), (size_t)K, name);
    mimic_agent_state_buf_free(&b);
    json_decref(j);
  }
  mimic_agent_scratch_free(s);
}

static void test_agent_models(void **state) {
  (void)state;
  const char *files[] = {"agent-frequency.mimic", "agent-logreg.mimic", "agent-forest.mimic"};
  for (int f = 0; f < 3; f++) {
    char *path = legacy_path(files[f]), *again = tu_tmp_path(files[f]);
    json_t *want = legacy_expected(files[f]);
    mimic_agent_model *m, *r;
    assert_int_equal(mimic_agent_load(path, &m), MIMIC_OK);
    check(m, want, files[f]);
    assert_int_equal(mimic_agent_save(m, again), MIMIC_OK);
    char kind[64];
    int kv;
    assert_int_equal(mimic_container_probe(again, kind, sizeof kind, &kv), MIMIC_OK);
    assert_string_equal(kind, MIMIC_KIND_AGENT);
    assert_int_equal(mimic_agent_load(again, &r), MIMIC_OK);
    check(r, want, files[f]);
    mimic_agent_free(r);
    mimic_agent_free(m);
    json_decref(want);
    free(path);
    free(again);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_agent_models),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
