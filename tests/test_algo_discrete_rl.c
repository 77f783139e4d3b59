/* Discrete offline RL (mimic/offpolicy.h): DQN learns CartPole-v1 (with
 * rl-zoo's settings, the generator's) and makes the medium datasets of
 * Discrete environments; on a CartPole medium-replay set (mostly random
 * play) discrete CQL beats d3rlpy's discrete BC by a wide margin, while on
 * expert data discrete BC keeps the expert's level; a discrete CQL run
 * resumed from a checkpoint ends bit for bit where a straight run does;
 * algorithms and action spaces that do not match are refused. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/evaluate.h"
#include "mimic/nn.h"
#include "mimic/offpolicy.h"
#include "mimic/policy.h"

#define ENV "CartPole-v1"

static void generate(mimic_data_quality kind, long n, mimic_dataset *ds, mimic_generate_result *r) {
  mimic_nn_set_threads(1);
  mimic_generate_config c = mimic_generate_defaults(ENV, kind, n);
  memset(ds, 0, sizeof *ds);
  if (mimic_generate_dataset(&c, ds, r)) fail_msg("%s", mimic_errmsg());
}

static double normalized(double ret, const mimic_dataset *ds) {
  return (ret - ds->meta.ref_min_score) / (ds->meta.ref_max_score - ds->meta.ref_min_score);
}

/* The learner's greedy policy, 20 episodes from seed 1000, normalised. */
static double score(mimic_offpolicy *o, const mimic_dataset *ds) {
  double mean;
  if (mimic_offpolicy_evaluate(o, 20, 1000, &mean, NULL)) fail_msg("%s", mimic_errmsg());
  return normalized(mean, ds);
}

static mimic_offpolicy *offline(mimic_offpolicy_algo algo, const mimic_transitions *t, long steps,
                                uint64_t seed) {
  mimic_offpolicy_config c = mimic_offpolicy_defaults(algo);
  c.env_id = ENV;
  c.total_steps = steps;
  c.seed = seed;
  if (algo == MIMIC_OFFPOLICY_DISCRETE_CQL) { /* for small data: see docs/offline-rl.md */
    c.target_update_interval = 1000;
    c.actor_lr = c.critic_lr = 3e-4;
  }
  mimic_offpolicy *o;
  if (mimic_offpolicy_create(&c, t, &o) || mimic_offpolicy_learn(o, 0, 0, NULL, NULL))
    fail_msg("%s", mimic_errmsg());
  return o;
}

static void test_dqn_learns_cartpole(void **state) {
  mimic_nn_set_threads(1);
  mimic_generate_config g = mimic_generate_defaults(ENV, MIMIC_QUALITY_MEDIUM, 1);
  mimic_offpolicy_config c = g.dqn; /* rl-zoo's CartPole settings */
  c.total_steps = 40000;
  mimic_offpolicy *o;
  assert_int_equal(mimic_offpolicy_create(&c, NULL, &o), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_learn(o, 0, 0, NULL, NULL), MIMIC_OK);
  double mean;
  assert_int_equal(mimic_offpolicy_evaluate(o, 20, 1000, &mean, NULL), MIMIC_OK);
  print_message("DQN, 40000 steps: %.1f over 20 episodes\n", mean);
  assert_true(mean >= 250); /* random play: about 22; solved at 475 */
  /* its policy file is a Categorical model acting greedily */
  char *path = tu_tmp_path("dqn.mimic");
  assert_int_equal(mimic_offpolicy_save(o, path, NULL), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_load(path, &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = 20;
  ec.seed = 1000;
  ec.normalize = false;
  ec.progress = false;
  mimic_eval_result r;
  assert_int_equal(mimic_evaluate(p, ENV, NULL, &ec, &r), MIMIC_OK);
  assert_true(r.return_mean == mean);
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  free(path);
  mimic_offpolicy_free(o);
}

static void test_cql_beats_bc_on_medium_replay(void **state) {
  mimic_dataset ds;
  mimic_generate_result r;
  generate(MIMIC_QUALITY_MEDIUM_REPLAY, 0, &ds, &r);
  assert_non_null(strstr(ds.meta.extra_json, "\"algorithm\":\"dqn\""));
  assert_true(r.medium_steps > 0 && r.medium_score > 0.25); /* DQN learned something */
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_offpolicy *bc = offline(MIMIC_OFFPOLICY_DISCRETE_BC, &t, 5000, 0);
  mimic_offpolicy *cql = offline(MIMIC_OFFPOLICY_DISCRETE_CQL, &t, 10000, 0);
  double b = score(bc, &ds), q = score(cql, &ds);
  print_message("medium-replay (%zu transitions, data %.3f, medium policy %.3f after %ld DQN "
                "steps): discrete BC %.3f, discrete CQL %.3f\n",
                ds.n_steps, normalized(r.data_return, &ds), r.medium_score, r.medium_steps, b, q);
  assert_true(q >= b + 0.2);
  mimic_offpolicy_free(bc);
  mimic_offpolicy_free(cql);
  mimic_dataset_free(&ds);
}

static void test_bc_keeps_expert_level(void **state) {
  mimic_dataset ds;
  mimic_generate_result r;
  generate(MIMIC_QUALITY_EXPERT, 5000, &ds, &r);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_offpolicy *bc = offline(MIMIC_OFFPOLICY_DISCRETE_BC, &t, 3000, 0);
  double s = score(bc, &ds);
  print_message("expert data: discrete BC %.3f\n", s);
  assert_true(s >= 0.9);
  mimic_offpolicy_free(bc);
  /* a run resumed from a checkpoint is the run that did not stop */
  mimic_offpolicy_config c = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_DISCRETE_CQL);
  c.env_id = ENV;
  c.total_steps = 600;
  c.target_update_interval = 100;
  c.hidden[0] = c.hidden[1] = 32;
  char *ck = tu_tmp_path("dcql.ckpt"), *fa = tu_tmp_path("dcql_a.mimic"),
       *fb = tu_tmp_path("dcql_b.mimic");
  mimic_offpolicy *a, *b1, *b2;
  assert_int_equal(mimic_offpolicy_create(&c, &t, &a), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_learn(a, 0, 0, NULL, NULL), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_save(a, fa, NULL), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_create(&c, &t, &b1), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_learn(b1, 250, 0, NULL, NULL), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_save_checkpoint(b1, ck), MIMIC_OK);
  mimic_offpolicy_free(b1);
  assert_int_equal(mimic_offpolicy_create(&c, &t, &b2), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_load_checkpoint(b2, ck), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_steps(b2), 250);
  assert_int_equal(mimic_offpolicy_learn(b2, 0, 0, NULL, NULL), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_save(b2, fb, NULL), MIMIC_OK);
  size_t na, nb;
  char *da, *db;
  assert_int_equal(mimic_read_file(fa, &da, &na), MIMIC_OK);
  assert_int_equal(mimic_read_file(fb, &db, &nb), MIMIC_OK);
  assert_true(na == nb && memcmp(da, db, na) == 0);
  free(da), free(db);
  /* a checkpoint of another algorithm is refused */
  mimic_offpolicy_config o = c;
  o.algo = MIMIC_OFFPOLICY_DISCRETE_BC;
  mimic_offpolicy *x;
  assert_int_equal(mimic_offpolicy_create(&o, &t, &x), MIMIC_OK);
  assert_int_not_equal(mimic_offpolicy_load_checkpoint(x, ck), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "algorithm"));
  mimic_offpolicy_free(x);
  mimic_offpolicy_free(a);
  mimic_offpolicy_free(b2);
  free(ck), free(fa), free(fb);
  /* continuous learners refuse Discrete data, discrete ones continuous envs */
  mimic_offpolicy_config k = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_CQL);
  k.env_id = ENV;
  x = NULL;
  assert_int_not_equal(mimic_offpolicy_create(&k, &t, &x), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "Discrete(2)"));
  assert_null(x);
  mimic_offpolicy_config d = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_DQN);
  d.env_id = "Pendulum-v1";
  assert_int_not_equal(mimic_offpolicy_create(&d, NULL, &x), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "Discrete"));
  d.env_id = ENV;
  d.train_freq = 0;
  assert_int_not_equal(mimic_offpolicy_create(&d, NULL, &x), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "train_freq"));
  mimic_dataset_free(&ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bc_keeps_expert_level),
      cmocka_unit_test(test_cql_beats_bc_on_medium_replay),
      cmocka_unit_test(test_dqn_learns_cartpole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
