/* The density reward: the kernel density estimate equals the formula
 * (computed here independently, two-pass, from the raw points), the reward
 * is max(log p, floor) - floor with the documented default floor, a
 * Discrete action is one-hot encoded, bad settings and actions are
 * refused, and PPO on the density of 10 expert episodes of CartPole-v1
 * balances the pole (>= 475) without seeing CartPole's reward. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "mimic/collect.h"
#include "mimic/density.h"
#include "mimic/ppo.h"

/* Standardised Gaussian KDE of q among rows pts (n, d), straight from the
 * definition. */
static double reference_log_density(const float *pts, int n, int d, const float *q, double h) {
  double mean[8], sd[8];
  for (int k = 0; k < d; k++) {
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += pts[i * d + k];
    mean[k] = s / n;
    for (int i = 0; i < n; i++) ss += (pts[i * d + k] - mean[k]) * (pts[i * d + k] - mean[k]);
    sd[k] = ss > 0 ? sqrt(ss / n) : 1.0;
  }
  double sum = 0;
  for (int i = 0; i < n; i++) {
    double r2 = 0;
    for (int k = 0; k < d; k++) {
      double v = (q[k] - mean[k]) / sd[k] - (pts[i * d + k] - mean[k]) / sd[k];
      r2 += v * v;
    }
    sum += exp(-r2 / (2 * h * h));
  }
  return log(sum / n) - 0.5 * d * log(2 * M_PI * h * h);
}

static void test_estimate_matches_the_formula(void **state) {
  (void)state;
  /* four 2-D states (the last column constant: scale 1), one episode */
  const float obs[] = {0.0f, 1.0f, 1.0f, 1.0f, 3.0f, 1.0f, 4.0f, 1.0f, 5.0f, 1.0f};
  const float act[] = {0, 1, 0, 1};
  const uint8_t done[] = {0, 0, 0, 1};
  const uint32_t rows[] = {0, 1, 2, 3};
  mimic_space as = {.kind = MIMIC_SPACE_DISCRETE, .n = 2, .dim = 1};
  mimic_transitions t = {.n = 4,
                         .obs_dim = 2,
                         .act_dim = 1,
                         .act_space = &as,
                         .obs = obs,
                         .obs_row = rows,
                         .act = act,
                         .done = done};
  mimic_density_config c = mimic_density_defaults();
  c.inputs = MIMIC_REWARD_STATE;
  mimic_density d;
  assert_int_equal(mimic_density_fit(&d, &c, &t, &as), MIMIC_OK);
  const float q[] = {2.0f, 1.0f, 9.0f, 1.0f, 0.5f, 1.0f};
  double got[3];
  assert_int_equal(mimic_density_log(&d, q, NULL, NULL, 3, got), MIMIC_OK);
  for (int i = 0; i < 3; i++) {
    double want = reference_log_density(obs, 4, 2, q + 2 * i, 0.5);
    print_message("log p(%g) = %.12f (formula %.12f)\n", (double)q[2 * i], got[i], want);
    assert_true(fabs(got[i] - want) < 1e-6 * fmax(1, fabs(want))); /* float points */
  }
  /* the default floor, and the reward it makes: 0 far away, positive near */
  const double log_norm = -log(4.0) - log(2 * M_PI * 0.25);
  assert_true(fabs(d.floor - (log_norm - 4.5)) < 1e-12);
  double r[3];
  assert_int_equal(mimic_density_reward_fn(&d, q, NULL, NULL, NULL, 3, r), MIMIC_OK);
  assert_true(r[0] > 0 && fabs(r[0] - (got[0] - d.floor)) < 1e-12);
  assert_true(r[1] == 0.0); /* 9 is many bandwidths from every state */
  mimic_density_free(&d);
  /* state-action: the action is one-hot (two more columns) */
  c.inputs = MIMIC_REWARD_STATE_ACTION;
  assert_int_equal(mimic_density_fit(&d, &c, &t, &as), MIMIC_OK);
  assert_int_equal(d.in_dim, 4);
  const float qa[] = {0};
  double with0, with1;
  assert_int_equal(mimic_density_log(&d, obs, qa, NULL, 1, &with0), MIMIC_OK);
  const float qb[] = {1};
  assert_int_equal(mimic_density_log(&d, obs, qb, NULL, 1, &with1), MIMIC_OK);
  assert_true(with0 > with1); /* state 0 was demonstrated with action 0 */
  mimic_density_free(&d);
  /* refused: a bandwidth of 0, an action outside Discrete(2) */
  c.bandwidth = 0;
  assert_int_not_equal(mimic_density_fit(&d, &c, &t, &as), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "bandwidth"));
  c.bandwidth = 0.5;
  const float bad_act[] = {0, 1, 7, 1};
  t.act = bad_act;
  assert_int_not_equal(mimic_density_fit(&d, &c, &t, &as), MIMIC_OK);
  print_message("refused: %s\n", mimic_errmsg());
  assert_non_null(strstr(mimic_errmsg(), "transition 2: action 7"));
}

static void test_cartpole_on_the_density_alone(void **state) {
  (void)state;
  mimic_nn_set_threads(1);
  mimic_dataset demos;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 10, 0, &demos), MIMIC_OK);
  mimic_transitions t = mimic_dataset_transitions(&demos);
  mimic_env *env;
  assert_int_equal(mimic_env_make("CartPole-v1", NULL, &env), MIMIC_OK);
  mimic_density_config c = mimic_density_defaults();
  mimic_density d;
  assert_int_equal(mimic_density_fit(&d, &c, &t, mimic_env_action_space(env)), MIMIC_OK);
  mimic_ppo_config pc = mimic_ppo_defaults();
  pc.env_id = "CartPole-v1";
  assert_true(mimic_ppo_preset("CartPole-v1", &pc));
  pc.total_steps *= 2; /* train density's budget: twice the preset's */
  mimic_ppo *p;
  assert_int_equal(mimic_ppo_create(&pc, NULL, &p), MIMIC_OK);
  mimic_ppo_set_reward(p, mimic_density_reward_fn, &d);
  assert_int_equal(mimic_ppo_learn(p, 0, NULL, NULL), MIMIC_OK);
  mimic_model m;
  assert_int_equal(mimic_ppo_copy_model(p, &m), MIMIC_OK);
  const double ret = tu_model_return(&m, "CartPole-v1", 50);
  print_message("PPO on the density of 10 expert episodes: CartPole-v1 return %.1f\n", ret);
  assert_true(ret >= 475);
  mimic_ppo_free(p);
  mimic_density_free(&d);
  mimic_env_free(env);
  mimic_dataset_free(&demos);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_estimate_matches_the_formula),
      cmocka_unit_test(test_cartpole_on_the_density_alone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
