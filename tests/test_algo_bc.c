/* Behavioral cloning end to end: experts' demonstrations, cloned, reach the
 * issue's returns; training is deterministic, resumes exactly from a
 * checkpoint, stops early on a validation plateau and refuses bad configs. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/collect.h"
#include "mimic/evaluate.h"

/* Clones env's expert from n episodes and evaluates the clone over 100. */
static void clone_and_eval(const char *env_id, int episodes, mimic_eval_result *res) {
  mimic_dataset ds;
  assert_int_equal(mimic_collect_expert(env_id, NULL, episodes, 0, &ds), MIMIC_OK);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  mimic_model model;
  assert_int_equal(mimic_bc_model_create(&cfg, &t, &model), MIMIC_OK);
  mimic_bc_report rep;
  assert_int_equal(mimic_bc_fit(&cfg, &t, &model, &rep), MIMIC_OK);
  assert_int_equal(rep.epochs, 30);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&model, &ds.act_space.space, &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.progress = false;
  ec.seed = 1000; /* not the demonstration seeds */
  assert_int_equal(mimic_evaluate(p, env_id, NULL, &ec, res), MIMIC_OK);
  print_message(
      "%s: BC from %d episodes: return %.2f +- %.2f, normalised %.3f (expert %.2f, random %.2f)\n",
      env_id, episodes, res->return_mean, res->return_std, res->normalized_score,
      res->expert_return, res->random_return);
  mimic_policy_free(p);
  mimic_bc_report_free(&rep);
  mimic_dataset_free(&ds);
}

static void test_cartpole_from_10_episodes(void **state) {
  (void)state;
  mimic_eval_result r;
  clone_and_eval("CartPole-v1", 10, &r);
  assert_true(r.return_mean >= 475);
  mimic_eval_result_free(&r);
}

static void test_continuous_from_20_episodes(void **state) {
  (void)state;
  mimic_eval_result r;
  clone_and_eval("MountainCarContinuous-v0", 20, &r);
  assert_true(r.normalized_score >= 0.8);
  mimic_eval_result_free(&r);
  clone_and_eval("Pendulum-v1", 20, &r);
  assert_true(r.normalized_score >= 0.8);
  mimic_eval_result_free(&r);
}

static void test_doorkey_from_200_episodes(void **state) {
  (void)state;
  mimic_eval_result r;
  clone_and_eval("MiniGrid-DoorKey-5x5-v0", 200, &r);
  print_message("DoorKey-5x5 success rate %.0f%%\n", 100 * r.success_rate);
  assert_true(r.success_rate >= 0.9);
  mimic_eval_result_free(&r);
}

/* Trains on a small CartPole set and returns the parameters (malloc'd). */
static float *train_params(mimic_bc_config *cfg, const mimic_transitions *t, size_t *n,
                           mimic_bc_report *rep) {
  mimic_model m;
  assert_int_equal(mimic_bc_model_create(cfg, t, &m), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(cfg, t, &m, rep), MIMIC_OK);
  float *p = malloc(m.n_params * sizeof *p);
  memcpy(p, m.params, m.n_params * sizeof *p);
  *n = m.n_params;
  mimic_model_free(&m);
  return p;
}

static void test_deterministic_and_exact_resume(void **state) {
  (void)state;
  mimic_dataset ds;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 3, 7, &ds), MIMIC_OK);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.batches = 700;
  cfg.seed = 3;
  size_t n1, n2, n3;
  mimic_bc_report r1, r2, r3;
  float *a = train_params(&cfg, &t, &n1, &r1);
  float *b = train_params(&cfg, &t, &n2, &r2);
  assert_int_equal(n1, n2);
  assert_memory_equal(a, b, n1 * sizeof *a); /* same seed, same bits */
  mimic_bc_report_free(&r2);

  /* stop at batch 300 (mid-epoch), then resume to 700 from the checkpoint */
  char *ckpt = tu_tmp_path("bc.ckpt");
  mimic_bc_config first = cfg;
  first.batches = 300;
  first.checkpoint_path = ckpt;
  mimic_model m;
  assert_int_equal(mimic_bc_model_create(&first, &t, &m), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(&first, &t, &m, &r3), MIMIC_OK);
  mimic_bc_report_free(&r3);
  mimic_model_free(&m);
  mimic_bc_config second = cfg;
  second.checkpoint_path = ckpt;
  second.resume = true;
  float *c = train_params(&second, &t, &n3, &r3);
  assert_int_equal(r3.batches, 700);
  assert_memory_equal(a, c, n1 * sizeof *a);
  assert_int_equal(r3.epochs, r1.epochs); /* the curve survives the restart */
  for (long e = 0; e < r1.epochs; e++)
    assert_true(r1.curve[e].train_loss == r3.curve[e].train_loss);

  /* a damaged checkpoint is refused, not half-loaded */
  FILE *fp = fopen(ckpt, "r+b");
  fseek(fp, 40, SEEK_SET);
  fputc(0x5a, fp);
  fclose(fp);
  assert_int_equal(mimic_bc_model_create(&second, &t, &m), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(&second, &t, &m, &r2), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "checksum"));
  mimic_model_free(&m);
  mimic_bc_report_free(&r1);
  mimic_bc_report_free(&r3);
  free(a);
  free(b);
  free(c);
  free(ckpt);
  mimic_dataset_free(&ds);
}

static void test_early_stopping_and_curve_files(void **state) {
  (void)state;
  mimic_dataset ds;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 6, 11, &ds), MIMIC_OK);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.epochs = 400;
  cfg.val_fraction = 0.34;
  cfg.patience = 3;
  cfg.lr = 1e-2; /* overfits quickly */
  char *log = tu_tmp_path("curve.jsonl"), *plot = tu_tmp_path("curve.png");
  cfg.log_path = log;
  cfg.plot_path = plot;
  mimic_model m;
  mimic_bc_report rep;
  assert_int_equal(mimic_bc_model_create(&cfg, &t, &m), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(&cfg, &t, &m, &rep), MIMIC_OK);
  assert_true(rep.stopped_early);
  assert_true(rep.epochs < 400);
  assert_int_equal(rep.epochs, rep.best_epoch + 3);
  for (long e = 0; e < rep.epochs; e++) assert_true(isfinite(rep.curve[e].val_loss));
  char *text = NULL;
  size_t len;
  assert_int_equal(mimic_read_file(log, &text, &len), MIMIC_OK);
  long lines = 0;
  for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
  assert_int_equal(lines, rep.epochs);
  assert_non_null(strstr(text, "\"val_loss\": "));
  assert_true(mimic_path_exists(plot));
  free(text);
  free(log);
  free(plot);
  mimic_bc_report_free(&rep);
  mimic_model_free(&m);
  mimic_dataset_free(&ds);
}

/* Returns of a clone trained on the expert's transitions plus the same
 * states with the other action, the wrong copies weighted by wrong_weight. */
static double clone_with_wrong_copies(float wrong_weight) {
  mimic_dataset ds;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 10, 0, &ds), MIMIC_OK);
  size_t n = ds.n_steps, od = (size_t)ds.obs_dim;
  float *obs = malloc(2 * n * od * sizeof(float)), *act = malloc(2 * n * sizeof(float));
  float *w = malloc(2 * n * sizeof(float));
  for (size_t j = 0; j < n; j++)
    for (int copy = 0; copy < 2; copy++) {
      size_t r = 2 * j + (size_t)copy;
      memcpy(obs + r * od, mimic_dataset_step_obs(&ds, j), od * sizeof(float));
      act[r] = copy ? 1 - ds.act[j] : ds.act[j];
      w[r] = copy ? wrong_weight : 1;
    }
  mimic_transitions t = {.n = 2 * n,
                         .obs_dim = ds.obs_dim,
                         .act_dim = 1,
                         .act_space = &ds.act_space.space,
                         .obs = obs,
                         .act = act,
                         .weight = w};
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  mimic_model model;
  mimic_bc_report rep;
  assert_int_equal(mimic_bc_model_create(&cfg, &t, &model), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(&cfg, &t, &model, &rep), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&model, &ds.act_space.space, &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.progress = false;
  ec.normalize = false;
  ec.seed = 1000;
  mimic_eval_result res;
  assert_int_equal(mimic_evaluate(p, "CartPole-v1", NULL, &ec, &res), MIMIC_OK);
  double ret = res.return_mean;
  mimic_eval_result_free(&res);
  mimic_policy_free(p);
  mimic_bc_report_free(&rep);
  mimic_dataset_free(&ds);
  free(obs);
  free(act);
  free(w);
  return ret;
}

static void test_weights_scale_each_transition(void **state) {
  (void)state;
  double ignored = clone_with_wrong_copies(0), heeded = clone_with_wrong_copies(3);
  print_message("wrong copies weighted 0: return %.1f; weighted 3: %.1f\n", ignored, heeded);
  assert_true(ignored >= 475); /* weight 0 takes them out of the loss */
  assert_true(heeded < 100);   /* weight 3: the wrong action outweighs the right one */
  /* a negative or non-finite weight is refused before training */
  float w = -1, o[4] = {0}, a = 0;
  mimic_space two = {.kind = MIMIC_SPACE_DISCRETE, .n = 2, .dim = 1};
  mimic_transitions t = {
      .n = 1, .obs_dim = 4, .act_dim = 1, .act_space = &two, .obs = o, .act = &a, .weight = &w};
  mimic_bc_config cfg = mimic_bc_defaults();
  assert_int_equal(mimic_bc_check(&cfg, &t), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "weight"));
}

/* The BC learner is BC behind the learner interface: the same bits as
 * mimic_bc_fit, warm fits continue, a saved learner reloads exactly. */
static void test_learner_interface(void **state) {
  (void)state;
  mimic_dataset ds;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 4, 3, &ds), MIMIC_OK);
  float *obs = malloc(ds.n_steps * 4 * sizeof(float));
  for (size_t j = 0; j < ds.n_steps; j++)
    memcpy(obs + 4 * j, mimic_dataset_step_obs(&ds, j), 4 * sizeof(float));
  mimic_labeled data = {.n = ds.n_steps, .obs = obs, .obs_dim = 4, .actions = ds.act};
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.epochs = 3;
  mimic_env *env;
  assert_int_equal(mimic_env_make("CartPole-v1", NULL, &env), MIMIC_OK);
  mimic_policy *l;
  assert_int_equal(mimic_bc_learner(&cfg, "CartPole-v1", mimic_env_obs_space(env),
                                    mimic_env_action_space(env), NULL, &l),
                   MIMIC_OK);
  assert_true(mimic_policy_is_learner(l));
  assert_false(mimic_policy_fitted(l));
  float a;
  mimic_act_batch b = {.n = 1, .obs = obs, .actions = &a, .deterministic = true};
  assert_int_equal(mimic_policy_act(l, &b), MIMIC_ERR_INVALID); /* nothing learned yet */
  assert_int_equal(mimic_policy_fit(l, &data, true, 5), MIMIC_OK);
  /* the same as BC itself with seed cfg.seed + 5 */
  mimic_bc_config direct = cfg;
  direct.seed = cfg.seed + 5;
  mimic_model m;
  mimic_bc_report rep;
  mimic_transitions flat = {.n = ds.n_steps,
                            .obs_dim = 4,
                            .act_dim = 1,
                            .act_space = &ds.act_space.space,
                            .obs = obs,
                            .act = ds.act};
  assert_int_equal(mimic_bc_model_create(&direct, &flat, &m), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(&direct, &flat, &m, &rep), MIMIC_OK);
  mimic_model *lm = mimic_bc_learner_model(l);
  assert_int_equal(lm->n_params, m.n_params);
  assert_memory_equal(lm->params, m.params, m.n_params * sizeof(float));
  /* a warm fit moves on from there; the saved learner reloads exactly */
  assert_int_equal(mimic_policy_fit(l, &data, true, 6), MIMIC_OK);
  assert_true(memcmp(lm->params, m.params, m.n_params * sizeof(float)) != 0);
  char *path = tu_tmp_path("learner.mimic");
  assert_int_equal(mimic_policy_save(l, path), MIMIC_OK);
  mimic_policy *again;
  assert_int_equal(mimic_bc_learner(&cfg, "CartPole-v1", mimic_env_obs_space(env),
                                    mimic_env_action_space(env), NULL, &again),
                   MIMIC_OK);
  assert_int_equal(mimic_policy_reload(again, path), MIMIC_OK);
  assert_memory_equal(mimic_bc_learner_model(again)->params, mimic_bc_learner_model(l)->params,
                      m.n_params * sizeof(float));
  /* probabilities of both actions, the chosen one's as confidence */
  float conf;
  double proba[2];
  b = (mimic_act_batch){.n = 1,
                        .obs = obs,
                        .actions = &a,
                        .confidence = &conf,
                        .proba = proba,
                        .deterministic = true};
  assert_int_equal(mimic_policy_act(again, &b), MIMIC_OK);
  assert_true(fabs(proba[0] + proba[1] - 1) < 1e-6);
  assert_true(fabs(proba[(int)a] - conf) < 1e-6);
  /* a file saved by it is a policy file anyone can load */
  mimic_policy *loaded;
  assert_int_equal(mimic_policy_load(path, &loaded), MIMIC_OK);
  mimic_policy_free(loaded);
  mimic_policy_free(again);
  mimic_policy_free(l);
  mimic_model_free(&m);
  mimic_bc_report_free(&rep);
  mimic_env_free(env);
  free(path);
  free(obs);
  mimic_dataset_free(&ds);
}

static void test_bad_configs(void **state) {
  (void)state;
  mimic_dataset ds;
  assert_int_equal(mimic_collect_expert("CartPole-v1", NULL, 1, 0, &ds), MIMIC_OK);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.batch_size = 0;
  assert_int_equal(mimic_bc_check(&cfg, &t), MIMIC_ERR_INVALID);
  cfg = mimic_bc_defaults();
  cfg.lr = -1;
  assert_int_equal(mimic_bc_check(&cfg, &t), MIMIC_ERR_INVALID);
  cfg = mimic_bc_defaults();
  cfg.epochs = 3;
  cfg.batches = 3;
  assert_int_equal(mimic_bc_check(&cfg, &t), MIMIC_ERR_INVALID);
  cfg = mimic_bc_defaults();
  cfg.patience = 2;
  assert_int_equal(mimic_bc_check(&cfg, &t), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "validation"));
  cfg = mimic_bc_defaults();
  cfg.head = MIMIC_HEAD_GAUSSIAN;
  assert_int_equal(mimic_bc_check(&cfg, &t), MIMIC_ERR_INVALID);
  cfg = mimic_bc_defaults();
  cfg.batch_size = 100000; /* more than the data */
  cfg.progress = false;
  mimic_model m;
  mimic_bc_report rep;
  assert_int_equal(mimic_bc_model_create(&cfg, &t, &m), MIMIC_OK);
  assert_int_equal(mimic_bc_fit(&cfg, &t, &m, &rep), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "no full batch"));
  mimic_model_free(&m);
  mimic_dataset_free(&ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cartpole_from_10_episodes),
      cmocka_unit_test(test_continuous_from_20_episodes),
      cmocka_unit_test(test_doorkey_from_200_episodes),
      cmocka_unit_test(test_deterministic_and_exact_resume),
      cmocka_unit_test(test_early_stopping_and_curve_files),
      cmocka_unit_test(test_weights_scale_each_transition),
      cmocka_unit_test(test_learner_interface),
      cmocka_unit_test(test_bad_configs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
