/* Preference comparisons: the Bradley-Terry loss against the reference
 * vectors (every bradley_terry case of nn/offline_rl.json), the fixed-horizon
 * variants of CartPole, MountainCar and Acrobot (seals' semantics), and the
 * trainer: Pendulum-v1 reaches 0.8 of the expert's normalised score from
 * 1,000 synthetic comparisons, the same seed gives the same agent bit for
 * bit, a custom gatherer's skips are not kept, and bad answers and
 * configurations are refused. */
#include "nn_testutil.h"

#include "mimic/evaluate.h"
#include "mimic/preferences.h"
#include "algo/bradley_terry.h"

/* ---- Bradley-Terry --------------------------------------------------------------- */

static void run_bt(const json_t *c) {
  const int B = (int)tu_num(c, "batch"), L = (int)tu_num(c, "segment_len");
  const double discount = tu_num(c, "discount");
  size_t n;
  float *r1 = tu_tensor_f32(nt_get(c, "rewards_1"), &n);
  assert_int_equal(n, (size_t)B * L);
  float *r2 = tu_tensor_f32(nt_get(c, "rewards_2"), &n);
  double *pref = tu_tensor_f64(nt_get(c, "preference"), &n);
  assert_int_equal(n, (size_t)B);
  float *g1 = malloc(sizeof(float) * B * L), *g2 = malloc(sizeof(float) * B * L);
  double *prob = malloc(sizeof(double) * B);
  const double loss = mimic_bt_loss(r1, r2, pref, B, L, discount, g1, g2, prob);
  const json_t *f64 = nt_get(c, "f64");
  nt_check_scalar(loss, nt_get(f64, "loss"), NT_ATOL, NT_RTOL, "loss");
  nt_check(g1, nt_get(f64, "grad_rewards_1"), (size_t)B * L, NT_ATOL, NT_RTOL, "grad_rewards_1");
  nt_check(g2, nt_get(f64, "grad_rewards_2"), (size_t)B * L, NT_ATOL, NT_RTOL, "grad_rewards_2");
  float *got = malloc(sizeof(float) * B * 4);
  for (int b = 0; b < B; b++) {
    got[b] = (float)prob[b];
    got[B + b] = (float)mimic_bt_return(r1 + (size_t)b * L, L, discount);
    got[2 * B + b] = (float)mimic_bt_return(r2 + (size_t)b * L, L, discount);
    /* one pair alone: its own loss */
    got[3 * B + b] = (float)mimic_bt_loss(r1 + (size_t)b * L, r2 + (size_t)b * L, pref + b, 1, L,
                                          discount, NULL, NULL, NULL);
  }
  nt_check(got, nt_get(f64, "prob_1_preferred"), B, NT_ATOL, NT_RTOL, "prob_1_preferred");
  nt_check(got + B, nt_get(f64, "return_1"), B, NT_ATOL, NT_RTOL, "return_1");
  nt_check(got + 2 * B, nt_get(f64, "return_2"), B, NT_ATOL, NT_RTOL, "return_2");
  nt_check(got + 3 * B, nt_get(f64, "loss_per_pair"), B, NT_ATOL, NT_RTOL, "loss_per_pair");
  free(r1), free(r2), free(pref), free(g1), free(g2), free(prob), free(got);
}

static void test_bradley_terry_reference(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/offline_rl.json");
  size_t i, seen = 0;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    const json_t *kind = json_object_get(c, "loss_type");
    if (!kind || strcmp(json_string_value(kind), "bradley_terry") != 0) continue;
    run_bt(c);
    seen++;
  }
  if (seen == 0) fail_msg("nn/offline_rl.json has no bradley_terry case");
  json_decref(f);
}

/* Finite differences of the loss, including a pair past the +-50 clip. */
static float fd_r1[12], fd_r2[12];
static double fd_pref[3] = {1, 0.5, 0};
static double bt_of(void *ctx) {
  (void)ctx;
  return mimic_bt_loss(fd_r1, fd_r2, fd_pref, 3, 4, 0.9, NULL, NULL, NULL);
}

static void test_bradley_terry_finite_differences(void **state) {
  (void)state;
  mimic_rng rng;
  mimic_rng_seed(&rng, 3);
  nt_fill(fd_r1, 12, -1, 1, &rng);
  nt_fill(fd_r2, 12, -1, 1, &rng);
  for (int t = 8; t < 12; t++) fd_r1[t] = 30; /* pair 2: difference beyond the clip */
  float g1[12], g2[12];
  mimic_bt_loss(fd_r1, fd_r2, fd_pref, 3, 4, 0.9, g1, g2, NULL);
  for (int t = 8; t < 12; t++) assert_true(g1[t] == 0 && g2[t] == 0);
  nt_fd_check(bt_of, NULL, fd_r1, g1, 12, 1e-2f, 1e-4, 1e-2, "d loss / d r1");
  nt_fd_check(bt_of, NULL, fd_r2, g2, 12, 1e-2f, 1e-4, 1e-2, "d loss / d r2");
}

/* ---- fixed horizons ---------------------------------------------------------------- */

static void test_cartpole_fixed_horizon(void **state) {
  (void)state;
  mimic_env *env;
  assert_int_equal(mimic_env_make("CartPole-v1", "fixed_horizon=1", &env), MIMIC_OK);
  assert_true(mimic_env_obs_space(env)->high[2] == (float)M_PI);
  float obs[4], push_right = 1;
  assert_int_equal(mimic_env_reset(env, 5, obs), MIMIC_OK);
  int zeros = 0, steps = 0;
  bool truncated = false;
  while (!truncated) { /* always push right: the pole falls, and keeps turning */
    double r, s[5];
    bool term;
    assert_int_equal(mimic_env_step(env, &push_right, obs, &r, &term, &truncated), MIMIC_OK);
    steps++;
    assert_false(term);
    assert_int_equal(mimic_env_get_state(env, s, 5), 5);
    assert_true(s[2] >= -M_PI && s[2] < M_PI);
    const bool ok = fabs(s[0]) < 2.4 && fabs(s[2]) < 12 * 2 * M_PI / 360;
    assert_true(r == (ok ? 1.0 : 0.0));
    zeros += r == 0;
  }
  assert_int_equal(steps, 500);
  assert_true(zeros > 400); /* fallen almost at once, never terminated */
  mimic_env_free(env);
  assert_int_equal(mimic_env_make("CartPole-v1", "fixed_horizon=2", &env), MIMIC_ERR_RANGE);
}

/* Steps an absorbing fixed-horizon env from a state just short of its goal:
 * the goal step is not terminal, then the last observation repeats with
 * reward 0 until the time limit. */
static void check_absorbing(const char *id, const double *near_goal, int n_state, float action,
                            int horizon) {
  mimic_env *env;
  assert_int_equal(mimic_env_make(id, "fixed_horizon=1", &env), MIMIC_OK);
  const int D = mimic_env_obs_space(env)->dim;
  float obs[8], first[8];
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  assert_int_equal(mimic_env_set_state(env, near_goal, n_state), MIMIC_OK);
  int steps = 0, absorbed_at = -1;
  bool truncated = false;
  while (!truncated) {
    double r;
    bool term;
    assert_int_equal(mimic_env_step(env, &action, obs, &r, &term, &truncated), MIMIC_OK);
    assert_false(term);
    if (absorbed_at >= 0) {
      assert_true(r == 0.0);
      assert_memory_equal(obs, first, D * sizeof(float));
    } else {
      double s[8];
      int k = mimic_env_get_state(env, s, 8);
      assert_int_equal(k, n_state + 1);
      if (s[n_state] != 0) absorbed_at = steps, memcpy(first, obs, D * sizeof(float));
    }
    steps++;
  }
  assert_int_equal(steps, horizon);
  assert_true(absorbed_at >= 0 && absorbed_at < horizon - 1);
  mimic_env_free(env);
}

static void test_absorbing_fixed_horizons(void **state) {
  (void)state;
  const double car[2] = {0.49, 0.05}; /* reaches the flag at once */
  check_absorbing("MountainCar-v0", car, 2, 2, 200);
  const double acro[4] = {M_PI, 0, 0, 0}; /* both links up: above the bar */
  check_absorbing("Acrobot-v1", acro, 4, 1, 500);
}

/* ---- the trainer ------------------------------------------------------------------- */

static mimic_pref_config small_config(void) {
  mimic_pref_config c = mimic_pref_defaults("CartPole-v1");
  c.ppo.env_opts = "fixed_horizon=1";
  c.comparisons = 60;
  c.iterations = 2;
  c.fragment_length = 20;
  c.initial_epoch_multiplier = 5;
  c.ppo.total_steps = 3 * c.ppo.n_steps * c.ppo.n_envs;
  return c;
}

/* The agent's parameters after a run of c (copied into a new buffer). */
static float *run_params(const mimic_pref_config *c, size_t *n) {
  mimic_pref *p;
  assert_int_equal(mimic_pref_create(c, NULL, NULL, &p), MIMIC_OK);
  assert_int_equal(mimic_pref_learn(p, NULL, NULL, NULL), MIMIC_OK);
  mimic_model *m = mimic_ppo_model(mimic_pref_agent(p));
  *n = m->n_params;
  float *copy = malloc(*n * sizeof *copy);
  memcpy(copy, m->params, *n * sizeof *copy);
  mimic_pref_free(p);
  return copy;
}

static void test_same_seed_same_agent(void **state) {
  (void)state;
  mimic_pref_config c = small_config();
  c.pairs = MIMIC_PAIRS_DISAGREEMENT;
  c.ensemble = 3;
  size_t n1, n2, n3;
  float *a = run_params(&c, &n1), *b = run_params(&c, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(a, b, n1 * sizeof *a);
  c.seed = 1;
  float *d = run_params(&c, &n3);
  assert_true(memcmp(a, d, n1 * sizeof *a) != 0);
  free(a), free(b), free(d);
}

typedef struct counting_gatherer {
  int asked, length;
  double answer;
} counting_gatherer;

/* The mean cart position of a fragment. */
static double mean_x(const mimic_fragment *f) {
  double x = 0;
  for (int t = 0; t < f->length; t++) x += f->obs[(size_t)t * f->obs_dim];
  return x / f->length;
}

/* Prefers the fragment further right (or answers g->answer when it is not
 * 1) in even questions, skips odd ones. */
static mimic_status skip_odd(void *user, const mimic_fragment *first, const mimic_fragment *second,
                             int n, double *preference) {
  counting_gatherer *g = user;
  for (int j = 0; j < n; j++) {
    g->length = first[j].length;
    assert_int_equal(second[j].length, first[j].length);
    const double right = mean_x(&first[j]) > mean_x(&second[j]) ? 1.0 : 0.0;
    preference[j] = (g->asked + j) % 2 ? NAN : g->answer == 1 ? right : g->answer;
  }
  g->asked += n;
  return MIMIC_OK;
}

static bool last_round(const mimic_pref_round *r, void *user) {
  *(mimic_pref_round *)user = *r;
  return true;
}

static void test_custom_gatherer(void **state) {
  (void)state;
  mimic_pref_config c = small_config();
  c.reward_epochs = 50; /* few comparisons: many passes */
  counting_gatherer g = {.answer = 1};
  mimic_pref *p;
  assert_int_equal(mimic_pref_create(&c, skip_odd, &g, &p), MIMIC_OK);
  mimic_pref_round r;
  assert_int_equal(mimic_pref_learn(p, last_round, NULL, &r), MIMIC_OK);
  assert_int_equal(g.asked, c.comparisons);
  assert_int_equal(g.length, c.fragment_length);
  assert_true(r.comparisons < c.comparisons && r.comparisons >= c.comparisons / 2 - 2);
  assert_int_equal(r.ties, 0);
  print_message("custom gatherer: %d kept, accuracy %.3f\n", r.comparisons, r.reward_accuracy);
  assert_true(r.reward_accuracy >= 0.9); /* "further right is better" is easy to learn */
  mimic_pref_free(p);
  /* an answer that is not a probability stops the run with a sentence */
  g = (counting_gatherer){.answer = 2};
  assert_int_equal(mimic_pref_create(&c, skip_odd, &g, &p), MIMIC_OK);
  assert_int_equal(mimic_pref_learn(p, NULL, NULL, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "answered 2 for comparison 0"));
  mimic_pref_free(p);
}

static void test_bad_configurations(void **state) {
  (void)state;
  mimic_pref_config c = small_config();
  mimic_pref *p;
  c.pairs = MIMIC_PAIRS_DISAGREEMENT;
  assert_int_equal(mimic_pref_create(&c, NULL, NULL, &p), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "ensemble"));
  c = small_config();
  c.fragment_length = 0;
  assert_int_equal(mimic_pref_check(&c), MIMIC_ERR_INVALID);
  c = small_config();
  c.initial_comparison_frac = 1;
  assert_int_equal(mimic_pref_check(&c), MIMIC_ERR_INVALID);
  /* plain CartPole-v1: a random agent's episodes are far shorter than 200 steps */
  c = small_config();
  c.ppo.env_opts = NULL;
  c.fragment_length = 200;
  assert_int_equal(mimic_pref_create(&c, NULL, NULL, &p), MIMIC_OK);
  assert_int_equal(mimic_pref_learn(p, NULL, NULL, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "lasted 200 steps"));
  mimic_pref_free(p);
}

/* Pendulum-v1 from 1,000 synthetic comparisons: normalised score >= 0.8
 * (the bar; docs/preferences.md gives the spread over seeds). */
static void test_pendulum_from_preferences(void **state) {
  (void)state;
  mimic_nn_set_threads(1);
  mimic_pref_config c = mimic_pref_defaults("Pendulum-v1");
  assert_true(c.comparisons <= 1000);
  mimic_pref *p;
  assert_int_equal(mimic_pref_create(&c, NULL, NULL, &p), MIMIC_OK);
  mimic_pref_round r;
  assert_int_equal(mimic_pref_learn(p, last_round, NULL, &r), MIMIC_OK);
  assert_int_equal(r.comparisons, c.comparisons);
  mimic_model copy;
  assert_int_equal(mimic_ppo_copy_model(mimic_pref_agent(p), &copy), MIMIC_OK);
  mimic_env *env;
  assert_int_equal(mimic_env_make("Pendulum-v1", NULL, &env), MIMIC_OK);
  mimic_policy *pol;
  assert_int_equal(mimic_policy_from_model(&copy, mimic_env_action_space(env), &pol), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = 50;
  ec.seed = 1000;
  mimic_eval_result e = {0};
  assert_int_equal(mimic_evaluate(pol, "Pendulum-v1", NULL, &ec, &e), MIMIC_OK);
  print_message("preferences on Pendulum-v1: return %.1f, normalised %.3f, reward accuracy %.3f\n",
                e.return_mean, e.normalized_score, r.reward_accuracy);
  assert_true(e.normalized_score >= 0.8);
  mimic_eval_result_free(&e);
  mimic_policy_free(pol);
  mimic_env_free(env);
  mimic_pref_free(p);
}

/* CartPole-v1 with fixed_horizon=1 from 1,000 synthetic comparisons: the
 * agent keeps the pole up (>= 475 upright steps of 500), the bar. */
static void test_cartpole_from_preferences(void **state) {
  (void)state;
  mimic_nn_set_threads(1);
  mimic_pref_config c = mimic_pref_defaults("CartPole-v1");
  c.ppo.env_opts = "fixed_horizon=1";
  assert_true(c.comparisons <= 1000);
  mimic_pref *p;
  assert_int_equal(mimic_pref_create(&c, NULL, NULL, &p), MIMIC_OK);
  mimic_pref_round r;
  assert_int_equal(mimic_pref_learn(p, last_round, NULL, &r), MIMIC_OK);
  double mean;
  assert_int_equal(mimic_ppo_evaluate(mimic_pref_agent(p), 50, 1000, &mean, NULL), MIMIC_OK);
  print_message("preferences on fixed-horizon CartPole-v1: %.1f upright steps, %d ties of %d\n",
                mean, r.ties, r.comparisons);
  assert_true(mean >= 475);
  mimic_pref_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bradley_terry_reference),
      cmocka_unit_test(test_bradley_terry_finite_differences),
      cmocka_unit_test(test_cartpole_fixed_horizon),
      cmocka_unit_test(test_absorbing_fixed_horizons),
      cmocka_unit_test(test_same_seed_same_agent),
      cmocka_unit_test(test_custom_gatherer),
      cmocka_unit_test(test_bad_configurations),
      cmocka_unit_test(test_pendulum_from_preferences),
      cmocka_unit_test(test_cartpole_from_preferences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
