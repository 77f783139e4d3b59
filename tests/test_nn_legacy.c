/* Policies saved before format version 2 (the binary layout of version 1)
 * load through today's one policy reader and compute exactly what they
 * computed when they were saved: a categorical BC policy with observation
 * normalisation, and a Gaussian PPO policy with a critic. Saved again,
 * they are version-2 files that read back bit for bit. */
#include "legacy_fixtures.h"

#include "mimic/nn.h"

static const float obs[3][4] = {
    {0.01f, -0.02f, 0.03f, 0.04f}, {0.5f, 1.0f, -0.1f, -1.5f}, {-1.0f, 0.25f, 0.2f, 2.0f}};

/* Checks m against expected.json's entry for name. */
static void check(mimic_model *m, const json_t *want, const char *name) {
  int D = m->cfg.obs_dim, A = m->cfg.act_dim;
  float x[3 * 4];
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < D; k++) x[i * D + k] = obs[i][k];
  assert_int_equal(m->n_params, json_integer_value(json_object_get(want, "n_params")));
  legacy_same_f32(m->params, json_object_get(want, "first_params"), 4, name);
  assert_int_equal(mimic_model_forward(m, x, 3), MIMIC_OK);
  legacy_same_f32(m->actor.out, json_object_get(want, "actor_out"), (size_t)(3 * A), name);
  if (m->cfg.critic) {
    assert_int_equal(mimic_model_value(m, x, 3), MIMIC_OK);
    legacy_same_f32(m->critic.out, json_object_get(want, "value"), 3, name);
  }
}

static void test_policies(void **state) {
  (void)state;
  struct {
    const char *file;
    mimic_head_kind head;
    bool critic;
  } files[] = {{"bc-cartpole.mimic", MIMIC_HEAD_CATEGORICAL, false},
               {"ppo-pendulum.mimic", MIMIC_HEAD_GAUSSIAN, true}};
  for (int f = 0; f < 2; f++) {
    char *path = legacy_path(files[f].file), *again = tu_tmp_path(files[f].file);
    json_t *want = legacy_expected(files[f].file);
    mimic_model m, r;
    assert_int_equal(mimic_model_load(path, NULL, 3, &m), MIMIC_OK);
    assert_int_equal(m.cfg.head, files[f].head);
    assert_int_equal(m.cfg.critic, files[f].critic);
    assert_true(m.obs_norm);
    assert_non_null(strstr(m.metadata, "\"format\":\"mimic-policy-1\""));
    check(&m, want, files[f].file);
    assert_int_equal(mimic_model_save(&m, again), MIMIC_OK);
    mimic_container c;
    assert_int_equal(mimic_container_read(again, &c), MIMIC_OK);
    assert_int_equal(c.format_version, 2);
    mimic_container_free(&c);
    assert_int_equal(mimic_model_load(again, &m.cfg, 3, &r), MIMIC_OK);
    assert_memory_equal(r.params, m.params, m.n_params * sizeof(float));
    assert_string_equal(r.metadata, m.metadata);
    check(&r, want, files[f].file);
    mimic_model_free(&r);
    mimic_model_free(&m);
    json_decref(want);
    free(path);
    free(again);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_policies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
