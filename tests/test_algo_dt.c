/* Decision Transformer (mimic/dt.h): on a mixed CartPole dataset (a few
 * expert episodes among many random ones) the transformer asked for the
 * expert's return plays at the expert's level and beats behavioural
 * cloning on the same data; asked for a random episode's return it plays
 * much worse (the return conditioning is real); a run is a pure function
 * of its seed, a checkpoint resumes it exactly, a saved model acts as the
 * learner did, and damaged files and bad configurations are refused. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/dt_impl.h"
#include "mimic/bc.h"
#include "mimic/evaluate.h"
#include "mimic/nn.h"
#include "mimic/offpolicy.h"
#include "mimic/policy.h"

#define ENV "CartPole-v1"

/* n_expert episodes of the built-in expert and ~random_steps of random play. */
static void mixed(mimic_dataset *ds, long expert_steps, long random_steps) {
  mimic_nn_set_threads(1);
  mimic_generate_config g = mimic_generate_defaults(ENV, MIMIC_QUALITY_EXPERT, expert_steps);
  mimic_generate_result r;
  memset(ds, 0, sizeof *ds);
  if (mimic_generate_dataset(&g, ds, &r)) fail_msg("%s", mimic_errmsg());
  mimic_dataset rnd;
  memset(&rnd, 0, sizeof rnd);
  g = mimic_generate_defaults(ENV, MIMIC_QUALITY_RANDOM, random_steps);
  g.seed = 7;
  if (mimic_generate_dataset(&g, &rnd, &r)) fail_msg("%s", mimic_errmsg());
  for (size_t e = 0; e < rnd.n_episodes; e++) {
    mimic_episode ep = mimic_dataset_episode(&rnd, e);
    assert_int_equal(mimic_dataset_add_episode(ds, &ep), MIMIC_OK);
  }
  mimic_dataset_free(&rnd);
}

static mimic_dt_config small(void) {
  mimic_dt_config c = mimic_dt_defaults();
  c.context = 10;
  c.n_layer = 1;
  c.n_head = 1;
  c.n_embd = 32;
  c.batch_size = 32;
  c.steps = 1500;
  c.lr = 1e-3;
  c.warmup_steps = 100;
  return c;
}

static double dt_return(mimic_dt *t, double target, int episodes) {
  mimic_eval_result r;
  if (mimic_dt_evaluate(t, ENV, NULL, target, episodes, 1000, false, &r))
    fail_msg("%s", mimic_errmsg());
  double m = r.return_mean;
  mimic_eval_result_free(&r);
  return m;
}

static void test_dt_beats_bc_on_mixed_data(void **state) {
  (void)state;
  mimic_dataset ds;
  mixed(&ds, 2500, 7500); /* 5 expert episodes among ~350 random ones */
  mimic_dt_config c = small();
  mimic_dt *t;
  assert_int_equal(mimic_dt_create(&c, &ds, &t), MIMIC_OK);
  assert_int_equal(mimic_dt_learn(t, 0, 0, NULL, NULL), MIMIC_OK);
  assert_int_equal(mimic_dt_steps(t), c.steps);
  double best, mean;
  mimic_dt_data_returns(t, &best, &mean);
  assert_true(best == 500.0 && mean < 100.0);
  double expert = dt_return(t, 500, 10), low = dt_return(t, 20, 10);
  /* behavioural cloning (imitation's defaults) on the same transitions */
  mimic_transitions tr = mimic_dataset_transitions(&ds);
  mimic_bc_config bc = mimic_bc_defaults();
  bc.progress = false;
  mimic_model m;
  mimic_bc_report rep;
  assert_int_equal(mimic_bc_model_create(&bc, &tr, &m), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(&bc, &tr, &m, &rep), MIMIC_OK);
  mimic_bc_report_free(&rep);
  double bc_mean;
  assert_int_equal(
      mimic_evaluate_model(&m, &ds.act_space.space, ENV, NULL, 10, 1000, &bc_mean, NULL), MIMIC_OK);
  print_message("dt at 500: %.1f, dt at 20: %.1f, bc: %.1f\n", expert, low, bc_mean);
  assert_true(expert >= 450.0);
  assert_true(expert > bc_mean + 50.0);
  assert_true(low < expert - 100.0);
  mimic_dt_free(t);
  mimic_dataset_free(&ds);
}

static void test_dt_deterministic_resume_and_files(void **state) {
  (void)state;
  mimic_dataset ds;
  mixed(&ds, 600, 600);
  mimic_dt_config c = small();
  c.steps = 40;
  mimic_dt *a, *b;
  assert_int_equal(mimic_dt_create(&c, &ds, &a), MIMIC_OK);
  assert_int_equal(mimic_dt_learn(a, 0, 0, NULL, NULL), MIMIC_OK);
  /* the same run in two halves, through a checkpoint, into a fresh learner */
  char *ckpt = tu_tmp_path("dt.ckpt"), *model = tu_tmp_path("dt.mimic");
  assert_int_equal(mimic_dt_create(&c, &ds, &b), MIMIC_OK);
  assert_int_equal(mimic_dt_learn(b, 15, 0, NULL, NULL), MIMIC_OK);
  assert_int_equal(mimic_dt_save_checkpoint(b, ckpt), MIMIC_OK);
  mimic_dt_free(b);
  assert_int_equal(mimic_dt_create(&c, &ds, &b), MIMIC_OK);
  assert_int_equal(mimic_dt_load_checkpoint(b, ckpt), MIMIC_OK);
  assert_int_equal(mimic_dt_steps(b), 15);
  assert_int_equal(mimic_dt_learn(b, 0, 0, NULL, NULL), MIMIC_OK);
  assert_int_equal(memcmp(a->net.params, b->net.params, a->net.n_params * sizeof(float)), 0);
  /* a checkpoint of another configuration is refused, naming the field */
  mimic_dt_config c2 = c;
  c2.n_embd = 16;
  mimic_dt *other;
  assert_int_equal(mimic_dt_create(&c2, &ds, &other), MIMIC_OK);
  assert_int_equal(mimic_dt_load_checkpoint(other, ckpt), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "n_embd"));
  mimic_dt_free(other);
  /* a saved model acts exactly as the learner */
  assert_int_equal(mimic_dt_save(a, model, "{\"algorithm\": \"dt\"}"), MIMIC_OK);
  mimic_dt *l;
  assert_int_equal(mimic_dt_load(model, &l), MIMIC_OK);
  mimic_eval_result r1, r2;
  assert_int_equal(mimic_dt_evaluate(a, ENV, NULL, 500, 3, 1000, false, &r1), MIMIC_OK);
  assert_int_equal(mimic_dt_evaluate(l, ENV, NULL, 500, 3, 1000, false, &r2), MIMIC_OK);
  for (int i = 0; i < 3; i++) assert_true(r1.returns[i] == r2.returns[i]);
  mimic_eval_result_free(&r1);
  mimic_eval_result_free(&r2);
  assert_int_equal(mimic_dt_learn(l, 1, 0, NULL, NULL), MIMIC_ERR_INVALID);
  /* the wrong environment, and a damaged model file */
  assert_int_equal(mimic_dt_evaluate(l, "Pendulum-v1", NULL, 0, 1, 0, false, &r1),
                   MIMIC_ERR_INVALID);
  mimic_dt_free(l);
  FILE *f = fopen(model, "r+b");
  assert_non_null(f);
  fseek(f, -40, SEEK_END);
  fputc(0x55, f);
  fclose(f);
  assert_int_not_equal(mimic_dt_load(model, &l), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "dt.mimic"));
  assert_int_equal(mimic_dt_load(ckpt, &l), MIMIC_ERR_FORMAT); /* a checkpoint is not a model */
  /* configurations */
  c2 = c;
  c2.n_head = 3;
  assert_int_equal(mimic_dt_check(&c2), MIMIC_ERR_INVALID);
  c2 = c;
  c2.lr = 0;
  assert_int_equal(mimic_dt_create(&c2, &ds, &other), MIMIC_ERR_INVALID);
  mimic_dt_free(a);
  mimic_dt_free(b);
  free(ckpt);
  free(model);
  mimic_dataset_free(&ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dt_deterministic_resume_and_files),
      cmocka_unit_test(test_dt_beats_bc_on_mixed_data),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
