/* Reward networks saved before format version 2 (GAIL: state-action
 * inputs, softplus output; AIRL: state inputs, absorbing states) load as
 * kind "mimic.reward" and give exactly the rewards they gave then; saved
 * again they are version-2 files with the same rewards. */
#include "legacy_fixtures.h"

#include "mimic/reward.h"

static const float obs[3 * 4] = {0.01f, -0.02f, 0.03f, 0.04f, 0.5f, 1.0f,
                                 -0.1f, -1.5f,  -1.0f, 0.25f, 0.2f, 2.0f};
static const float next_obs[3 * 4] = {0.5f, 1.0f, -0.1f, -1.5f, -1.0f, 0.25f,
                                      0.2f, 2.0f, 0,     0,     0,     0};

static void check(mimic_reward_net *r, const json_t *want, const char *name) {
  /* record.c passed the rows of its obs table from row 0 and row 1 on */
  float act[3] = {0, 1, 1};
  bool term[3] = {false, false, true};
  double pred[3], fn[3];
  assert_int_equal(mimic_reward_net_predict(r, obs, act, next_obs, 3, pred), MIMIC_OK);
  assert_int_equal(mimic_reward_net_fn(r, obs, act, next_obs, term, 3, fn), MIMIC_OK);
  legacy_same_f64(pred, json_object_get(want, "predict"), 3, name);
  legacy_same_f64(fn, json_object_get(want, "reward_fn"), 3, name);
}

static void test_reward_nets(void **state) {
  (void)state;
  const char *files[] = {"gail-reward.mimic", "airl-reward.mimic"};
  for (int f = 0; f < 2; f++) {
    char *path = legacy_path(files[f]), *again = tu_tmp_path(files[f]);
    json_t *want = legacy_expected(files[f]);
    mimic_reward_net r, s;
    assert_int_equal(mimic_reward_net_load(path, &r), MIMIC_OK);
    check(&r, want, files[f]);
    mimic_space as = {.kind = MIMIC_SPACE_DISCRETE, .n = 2, .dim = 1};
    assert_int_equal(mimic_reward_net_save(&r, again, "CartPole-v1", NULL, &as, NULL), MIMIC_OK);
    char kind[64];
    int kv;
    assert_int_equal(mimic_container_probe(again, kind, sizeof kind, &kv), MIMIC_OK);
    assert_string_equal(kind, MIMIC_KIND_REWARD);
    assert_int_equal(mimic_reward_net_load(again, &s), MIMIC_OK);
    assert_memory_equal(s.model.params, r.model.params, r.model.n_params * sizeof(float));
    check(&s, want, files[f]);
    mimic_reward_net_free(&s);
    mimic_reward_net_free(&r);
    json_decref(want);
    free(path);
    free(again);
  }
  /* a policy is not a reward network, and the other way round */
  char *policy = legacy_path("bc-cartpole.mimic"), *reward = legacy_path("gail-reward.mimic");
  mimic_reward_net r;
  mimic_model m;
  assert_int_equal(mimic_reward_net_load(policy, &r), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "not a 'mimic.reward'"));
  assert_int_equal(mimic_model_load(reward, NULL, 1, &m), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "holds a 'mimic.reward', not a 'mimic.policy'"));
  free(policy);
  free(reward);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reward_nets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
