/* Datasets of known quality and offline RL on them (mimic/offpolicy.h):
 * generated datasets hold exactly the transitions asked for, the episode
 * the end cuts is marked truncated, and the metadata (kind, reference
 * returns, policies' scores) survives a save and a load; on a
 * medium-replay set of Pendulum-v1 (mostly random play) IQL beats
 * behavioural cloning by a wide margin, and on expert data TD3+BC keeps
 * the expert's level; an offline run is a pure function of its seed. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/evaluate.h"
#include "mimic/nn.h"
#include "mimic/offpolicy.h"
#include "mimic/policy.h"

#define ENV "Pendulum-v1"

static void generate(mimic_data_quality kind, long n, mimic_dataset *ds, mimic_generate_result *r) {
  mimic_nn_set_threads(1);
  mimic_generate_config c = mimic_generate_defaults(ENV, kind, n);
  c.sac.hidden[0] = c.sac.hidden[1] = 64;
  c.eval_every = 200;
  memset(ds, 0, sizeof *ds);
  if (mimic_generate_dataset(&c, ds, r)) fail_msg("%s", mimic_errmsg());
}

static double normalized(double ret, const mimic_dataset *ds) {
  return (ret - ds->meta.ref_min_score) / (ds->meta.ref_max_score - ds->meta.ref_min_score);
}

/* Mean return of a policy file... of a model, 20 episodes from seed 1000. */
static double score_model(mimic_model *m, const mimic_dataset *ds) {
  mimic_policy *p;
  if (mimic_policy_from_model(m, &ds->act_space.space, &p)) fail_msg("%s", mimic_errmsg());
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = 20;
  ec.seed = 1000;
  ec.normalize = false;
  ec.progress = false;
  mimic_eval_result r;
  if (mimic_evaluate(p, ENV, NULL, &ec, &r)) fail_msg("%s", mimic_errmsg());
  double ret = r.return_mean;
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  return normalized(ret, ds);
}

static double bc_score(const mimic_dataset *ds) {
  mimic_transitions t = mimic_dataset_transitions(ds);
  mimic_bc_config c = mimic_bc_defaults();
  c.progress = false;
  mimic_model m;
  mimic_bc_report rep;
  if (mimic_bc_model_create(&c, &t, &m) || mimic_bc_fit(&c, &t, &m, &rep))
    fail_msg("%s", mimic_errmsg());
  mimic_bc_report_free(&rep);
  return score_model(&m, ds);
}

static mimic_offpolicy *offline(mimic_offpolicy_algo algo, const mimic_transitions *t, long steps,
                                uint64_t seed) {
  mimic_offpolicy_config c = mimic_offpolicy_defaults(algo);
  c.env_id = ENV;
  c.total_steps = steps;
  c.hidden[0] = c.hidden[1] = 64;
  c.seed = seed;
  mimic_offpolicy *o;
  if (mimic_offpolicy_create(&c, t, &o) || mimic_offpolicy_learn(o, 0, 0, NULL, NULL))
    fail_msg("%s", mimic_errmsg());
  return o;
}

static double offline_score(mimic_offpolicy *o, const mimic_dataset *ds) {
  mimic_model m;
  if (mimic_offpolicy_actor_model(o, &m)) fail_msg("%s", mimic_errmsg());
  return score_model(&m, ds);
}

static void test_generate_random_and_expert(void **state) {
  mimic_dataset ds;
  mimic_generate_result r;
  generate(MIMIC_QUALITY_EXPERT, 500, &ds, &r);
  assert_int_equal(ds.n_steps, 500);
  assert_true(r.expert_return > r.random_return);
  assert_true(ds.meta.ref_min_score == r.random_return && ds.meta.ref_max_score == r.expert_return);
  mimic_episode last = mimic_dataset_episode(&ds, ds.n_episodes - 1);
  assert_true(last.trunc[last.T - 1]); /* cut by the dataset's end or the time limit */
  assert_true(normalized(r.data_return, &ds) > 0.9);
  assert_non_null(strstr(ds.meta.extra_json, "\"kind\":\"expert\""));
  char *dir = tu_tmp_path("gen_expert");
  mimic_write_opts wo = mimic_write_opts_default();
  wo.overwrite = true;
  wo.sync = false;
  assert_int_equal(mimic_dataset_save(&ds, dir, &wo), MIMIC_OK);
  mimic_dataset back;
  assert_int_equal(mimic_dataset_load(dir, &back), MIMIC_OK);
  assert_int_equal(back.n_steps, 500);
  assert_true(back.meta.ref_min_score == ds.meta.ref_min_score);
  assert_non_null(strstr(back.meta.extra_json, "\"kind\":\"expert\""));
  assert_non_null(strstr(back.meta.extra_json, "\"policies\""));
  mimic_dataset_free(&back);
  mimic_dataset_free(&ds);
  free(dir);
  generate(MIMIC_QUALITY_RANDOM, 4000, &ds, &r); /* 20 episodes */
  assert_int_equal(ds.n_steps, 4000);
  print_message("random: %zu episodes, data return %.1f (normalised %.3f)\n", ds.n_episodes,
                r.data_return, normalized(r.data_return, &ds));
  assert_true(fabs(normalized(r.data_return, &ds)) < 0.2);
  mimic_dataset_free(&ds);
  mimic_generate_config bad = mimic_generate_defaults(ENV, MIMIC_QUALITY_RANDOM, 0);
  memset(&ds, 0, sizeof ds);
  assert_int_not_equal(mimic_generate_dataset(&bad, &ds, &r), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "transition"));
  mimic_dataset_free(&ds);
}

static void test_generate_medium_expert(void **state) {
  mimic_dataset ds;
  mimic_generate_result r;
  generate(MIMIC_QUALITY_MEDIUM_EXPERT, 1000, &ds, &r);
  assert_int_equal(ds.n_steps, 1000);
  assert_true(r.medium_steps > 0 && isfinite(r.medium_score));
  assert_non_null(strstr(ds.meta.extra_json, "\"kind\":\"medium-expert\""));
  assert_non_null(strstr(ds.meta.extra_json, "\"medium\":{"));
  assert_non_null(strstr(ds.meta.extra_json, "\"expert\":{"));
  /* the first half is the medium policy's, the second the expert's */
  double first = 0, second = 0;
  for (size_t j = 0; j < 500; j++) first += ds.rew[j], second += ds.rew[500 + j];
  print_message("medium-expert: medium policy %.3f after %ld SAC steps; reward sums %.1f | %.1f\n",
                r.medium_score, r.medium_steps, first, second);
  assert_true(second > first);
  mimic_dataset_free(&ds);
}

static void test_iql_beats_bc_on_medium_replay(void **state) {
  mimic_dataset ds;
  mimic_generate_result r;
  generate(MIMIC_QUALITY_MEDIUM_REPLAY, 0, &ds, &r);
  assert_true(r.medium_score >= 1.0 / 3.0 - 0.3); /* 10-episode snapshots vs 100 episodes */
  assert_non_null(strstr(ds.meta.extra_json, "\"kind\":\"medium-replay\""));
  mimic_transitions t = mimic_dataset_transitions(&ds);
  double bc = bc_score(&ds);
  mimic_offpolicy *iql = offline(MIMIC_OFFPOLICY_IQL, &t, 5000, 0);
  double s = offline_score(iql, &ds);
  print_message(
      "medium-replay (%zu transitions, data %.3f, medium policy %.3f): BC %.3f, IQL %.3f\n",
      ds.n_steps, normalized(r.data_return, &ds), r.medium_score, bc, s);
  assert_true(s >= bc + 0.2);
  mimic_offpolicy_free(iql);
  mimic_dataset_free(&ds);
}

static void test_td3bc_keeps_expert_level(void **state) {
  mimic_dataset ds;
  mimic_generate_result r;
  generate(MIMIC_QUALITY_EXPERT, 5000, &ds, &r);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_offpolicy *o = offline(MIMIC_OFFPOLICY_TD3BC, &t, 3000, 0);
  double s = offline_score(o, &ds), bc = bc_score(&ds);
  print_message("expert data: BC %.3f, TD3+BC %.3f\n", bc, s);
  assert_true(s >= 0.9);
  /* same seed, same actor bit for bit; another seed, another actor */
  mimic_offpolicy *a = offline(MIMIC_OFFPOLICY_TD3BC, &t, 300, 5),
                  *b = offline(MIMIC_OFFPOLICY_TD3BC, &t, 300, 5),
                  *c = offline(MIMIC_OFFPOLICY_TD3BC, &t, 300, 6);
  mimic_model ma, mb, mc;
  assert_int_equal(mimic_offpolicy_actor_model(a, &ma), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_actor_model(b, &mb), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_actor_model(c, &mc), MIMIC_OK);
  assert_true(ma.obs_norm && ma.cfg.squash);
  assert_memory_equal(ma.params, mb.params, ma.n_params * sizeof(float));
  assert_true(memcmp(ma.params, mc.params, ma.n_params * sizeof(float)) != 0);
  mimic_model_free(&ma), mimic_model_free(&mb), mimic_model_free(&mc);
  mimic_offpolicy_free(a), mimic_offpolicy_free(b), mimic_offpolicy_free(c);
  /* an online algorithm takes no dataset */
  mimic_offpolicy_config sc = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_SAC);
  sc.env_id = ENV;
  mimic_offpolicy *x = NULL;
  assert_int_not_equal(mimic_offpolicy_create(&sc, &t, &x), MIMIC_OK);
  assert_null(x);
  mimic_offpolicy_free(o);
  mimic_dataset_free(&ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generate_random_and_expert),
      cmocka_unit_test(test_td3bc_keeps_expert_level),
      cmocka_unit_test(test_generate_medium_expert),
      cmocka_unit_test(test_iql_beats_bc_on_medium_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
