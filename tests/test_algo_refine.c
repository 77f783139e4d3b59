/* Clone, then refine: demonstrations of a deliberately weakened expert
 * (Pendulum-v1's built-in expert taking a uniformly random action half of
 * the time) are cloned by BC, then PPO refines the clone with a decaying KL
 * anchor. The refined policy beats both the weakened expert it learned from
 * and its clone (fixed seeds, 50k env steps). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/collect.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"
#include "mimic/ppo.h"

/* Mean return of model (copied) over 50 episodes from seed 1000. */
static double eval_model(const mimic_model *m, const char *env) {
  uint8_t *buf;
  size_t len;
  mimic_model copy;
  assert_int_equal(mimic_model_encode(m, &buf, &len), MIMIC_OK);
  assert_int_equal(mimic_model_decode(buf, len, "copy", NULL, 64, &copy), MIMIC_OK);
  free(buf);
  mimic_env *e;
  assert_int_equal(mimic_env_make(env, NULL, &e), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&copy, mimic_env_action_space(e), &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.seed = 1000;
  ec.episodes = 50;
  ec.normalize = false;
  ec.progress = false;
  mimic_eval_result r;
  assert_int_equal(mimic_evaluate(p, env, NULL, &ec, &r), MIMIC_OK);
  double v = r.return_mean;
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  mimic_env_free(e);
  return v;
}

typedef struct watch {
  double first_kl_anchor; /* anchor loss of the first iteration */
  double coef_first, coef_last;
} watch;

static bool on_iter(mimic_ppo *p, const mimic_ppo_iter *it, void *user) {
  (void)p;
  watch *w = user;
  if (it->iteration == 1) w->first_kl_anchor = it->anchor_loss, w->coef_first = it->anchor_coef;
  w->coef_last = it->anchor_coef;
  return true;
}

static void test_refine_beats_weakened_expert(void **state) {
  (void)state;
  const char *env = "Pendulum-v1";
  mimic_env *e;
  assert_int_equal(mimic_env_make(env, NULL, &e), MIMIC_OK);
  mimic_policy *expert;
  assert_int_equal(mimic_policy_builtin_expert(e, &expert), MIMIC_OK);
  /* the weakened expert, measured on the evaluation seeds */
  mimic_collect_config cc = {.env_id = env, .episodes = 50, .seed = 1000, .epsilon = 0.5};
  mimic_collect_result weak;
  assert_int_equal(mimic_collect(&cc, expert, NULL, NULL, &weak), MIMIC_OK);
  /* its demonstrations (other seeds), cloned */
  mimic_dataset ds = {0};
  cc.episodes = 20;
  cc.seed = 0;
  mimic_collect_result cr;
  assert_int_equal(mimic_collect(&cc, expert, &ds, NULL, &cr), MIMIC_OK);
  mimic_bc_config bc = mimic_bc_defaults();
  bc.progress = false;
  mimic_model clone;
  mimic_transitions t = mimic_dataset_transitions(&ds);
  assert_int_equal(mimic_bc_model_create(&bc, &t, &clone), MIMIC_OK);
  mimic_bc_report br;
  assert_int_equal(mimic_bc_fit(&bc, &t, &clone, &br), MIMIC_OK);
  mimic_bc_report_free(&br);
  double clone_ret = eval_model(&clone, env);
  /* refine */
  mimic_ppo_config c = mimic_ppo_defaults();
  c.env_id = env;
  mimic_ppo_preset(env, &c);
  c.total_steps = 50000;
  mimic_ppo_refine_defaults(&c);
  assert_int_equal(c.anchor, MIMIC_ANCHOR_KL);
  mimic_ppo *p;
  assert_int_equal(mimic_ppo_create_refine(&c, &clone, &p), MIMIC_OK);
  /* the starting policy is the clone: same actions */
  float obs[3] = {0.6f, 0.8f, -1.0f};
  assert_int_equal(mimic_model_forward(&clone, obs, 1), MIMIC_OK);
  float a0 = clone.actor.out[0];
  assert_int_equal(mimic_model_forward(mimic_ppo_model(p), obs, 1), MIMIC_OK);
  assert_true(mimic_ppo_model(p)->actor.out[0] == a0);
  watch w = {0};
  assert_int_equal(mimic_ppo_learn(p, 0, on_iter, &w), MIMIC_OK);
  double refined = eval_model(mimic_ppo_model(p), env);
  print_message("Pendulum-v1: weakened expert (epsilon 0.5) %.1f, its BC clone %.1f, refined with "
                "PPO for %ld "
                "steps %.1f (first-iteration KL to the clone %.4f)\n",
                weak.return_mean, clone_ret, mimic_ppo_timesteps(p), refined, w.first_kl_anchor);
  assert_true(refined > weak.return_mean + 100);
  assert_true(refined > clone_ret + 100);
  assert_true(w.coef_first > 0.9 && w.coef_last == 0.0);
  assert_true(w.first_kl_anchor < 0.1); /* it stayed near the clone at first */
  mimic_ppo_free(p);
  mimic_model_free(&clone);
  mimic_dataset_free(&ds);
  mimic_policy_free(expert);
  mimic_env_free(e);
}

int main(void) {
  mimic_nn_set_threads(1);
  mimic_log_set_level(MIMIC_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refine_beats_weakened_expert),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
