/* Soft Q imitation learning: from 10 expert episodes of CartPole-v1 SQIL
 * learns a policy that balances the pole (>= 475), the same seed gives the
 * same network bit for bit (another seed does not), and demonstrations
 * that do not fit the environment, continuous action spaces and bad
 * settings are refused with a message saying why. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "mimic/collect.h"
#include "mimic/sqil.h"

static void test_cartpole_from_ten_episodes(void **state) {
  (void)state;
  mimic_nn_set_threads(1);
  mimic_dataset demos;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 10, 0, &demos), MIMIC_OK);
  mimic_transitions t = mimic_dataset_transitions(&demos);
  mimic_sqil_config c = mimic_sqil_defaults("CartPole-v1");
  mimic_model q;
  assert_int_equal(mimic_sqil_learn(&c, &t, 0, NULL, NULL, &q), MIMIC_OK);
  const double ret = tu_model_return(&q, "CartPole-v1", 50);
  print_message("SQIL CartPole-v1: return %.1f over 50 episodes after %ld steps\n", ret,
                c.total_steps);
  assert_true(ret >= 475);
  mimic_dataset_free(&demos);
}

static bool count_logs(const mimic_sqil_log *row, const mimic_model *q, void *user) {
  assert_non_null(q);
  long *n = user;
  assert_true(row->step > 0 && row->updates >= 0);
  (*n)++;
  return true;
}

static void test_same_seed_same_network(void **state) {
  (void)state;
  mimic_nn_set_threads(1);
  mimic_dataset demos;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 2, 3, &demos), MIMIC_OK);
  mimic_transitions t = mimic_dataset_transitions(&demos);
  mimic_sqil_config c = mimic_sqil_defaults("CartPole-v1");
  c.total_steps = 1500;
  c.learning_starts = 500;
  c.target_update_interval = 100;
  c.seed = 7;
  mimic_model a, b, other;
  long logs = 0;
  assert_int_equal(mimic_sqil_learn(&c, &t, 500, count_logs, &logs, &a), MIMIC_OK);
  assert_int_equal(logs, 3);
  assert_int_equal(mimic_sqil_learn(&c, &t, 0, NULL, NULL, &b), MIMIC_OK);
  assert_int_equal(a.n_params, b.n_params);
  assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
  c.seed = 8;
  assert_int_equal(mimic_sqil_learn(&c, &t, 0, NULL, NULL, &other), MIMIC_OK);
  assert_true(memcmp(a.params, other.params, a.n_params * sizeof(float)) != 0);
  mimic_model_free(&a);
  mimic_model_free(&b);
  mimic_model_free(&other);
  mimic_dataset_free(&demos);
}

static void expect_refused(const mimic_sqil_config *c, const mimic_transitions *t,
                           const char *says) {
  mimic_model q;
  assert_int_not_equal(mimic_sqil_learn(c, t, 0, NULL, NULL, &q), MIMIC_OK);
  print_message("refused: %s\n", mimic_errmsg());
  assert_non_null(strstr(mimic_errmsg(), says));
}

static void test_bad_input_is_refused(void **state) {
  (void)state;
  mimic_dataset cart, acro;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 1, 0, &cart), MIMIC_OK);
  assert_int_equal(mimic_collect_expert("Acrobot-v1", NULL, 1, 0, &acro), MIMIC_OK);
  mimic_transitions tc = mimic_dataset_transitions(&cart);
  mimic_transitions ta = mimic_dataset_transitions(&acro);
  mimic_sqil_config c = mimic_sqil_defaults("CartPole-v1");
  c.total_steps = 10;
  expect_refused(&c, &ta, "observations of 6");
  c.env_id = "Pendulum-v1";
  expect_refused(&c, &tc, "Box");
  c.env_id = "CartPole-v1";
  c.temperature = 0;
  expect_refused(&c, &tc, "temperature");
  c.temperature = 0.1;
  float *act = (float *)tc.act; /* the dataset's own buffer: an action outside Discrete(2) */
  act[0] = 5;
  expect_refused(&c, &tc, "transition 0: action 5");
  mimic_dataset_free(&cart);
  mimic_dataset_free(&acro);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cartpole_from_ten_episodes),
      cmocka_unit_test(test_same_seed_same_network),
      cmocka_unit_test(test_bad_input_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
