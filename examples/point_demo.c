/* point_demo: registers PointMass-v0 (point_env.c) and uses it by id, as
 * any built-in environment: shows its first state, records the built-in
 * expert, evaluates a random policy, then clones the expert with
 * behavioral cloning and evaluates the clone.
 *
 *     point_demo              # dims=2
 *     point_demo dims=12      # any options of the environment
 *
 * Public headers only; link with `pkg-config --libs mimic` (or see
 * docs/write-an-environment.md for static linking). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <mimic/bc.h>
#include <mimic/collect.h>
#include <mimic/evaluate.h>

#include "point_env.h"

#define ID "PointMass-v0"

static int fail(const char *what) {
  fprintf(stderr, "point_demo: %s: %s\n", what, mimic_errmsg());
  return 1;
}

/* The environment's first state after reset(seed 0), as it draws itself. */
static mimic_status show_first_state(const char *opts) {
  mimic_env *env;
  MIMIC_TRY(mimic_env_make(ID, opts, &env));
  const mimic_space *os = mimic_env_obs_space(env), *as = mimic_env_action_space(env);
  printf("%s (%s): observation Box(%d), action Box(%d, [%g, %g]), time limit %d\n", ID,
         opts ? opts : "default options", os->dim, as->dim, (double)as->low[0], (double)as->high[0],
         mimic_env_max_steps(env));
  float *obs = malloc(sizeof(float) * (size_t)os->dim);
  char picture[1024];
  mimic_status st = obs ? mimic_env_reset(env, 0, obs) : MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) st = mimic_env_render_text(env, picture, sizeof picture);
  if (st == MIMIC_OK) printf("%s", picture);
  free(obs);
  mimic_env_free(env);
  return st;
}

/* Evaluates policy on cfg's episodes, prints a row and frees the policy. */
static mimic_status evaluate(const char *who, mimic_policy *policy, const char *opts,
                             const mimic_eval_config *cfg, mimic_eval_result *r) {
  mimic_status st = mimic_evaluate(policy, ID, opts, cfg, r);
  mimic_policy_free(policy);
  if (st == MIMIC_OK)
    printf("%-7s return %8.2f  length %6.1f  success %3.0f%%\n", who, r->return_mean,
           r->length_mean, 100 * r->success_rate);
  return st;
}

int main(int argc, char **argv) {
  const char *opts = argc > 1 ? argv[1] : NULL;
  if (mimic_env_register(&point_env_class) != MIMIC_OK) return fail("register");
  if (show_first_state(opts) != MIMIC_OK) return fail("make");

  /* 20 expert episodes, from reset(seed 0) to reset(seed 19) */
  mimic_dataset demos;
  if (mimic_collect_expert(ID, opts, 20, 0, &demos) != MIMIC_OK) return fail("collect");
  printf("expert demonstrations: %zu episodes, %zu steps\n", demos.n_episodes, demos.n_steps);

  /* 100 evaluation episodes from seed 1000, which the demonstrations never saw */
  mimic_eval_config ec = mimic_eval_defaults();
  ec.seed = 1000;
  ec.normalize = false;
  ec.progress = false;
  mimic_eval_result r;
  mimic_policy *policy;
  if (mimic_policy_random(&demos.act_space.space, &policy) != MIMIC_OK ||
      evaluate("random", policy, opts, &ec, &r) != MIMIC_OK)
    return fail("evaluate the random policy");
  mimic_eval_result_free(&r);

  /* behavioral cloning with imitation's defaults, scored against the expert */
  mimic_bc_config bc = mimic_bc_defaults();
  bc.progress = false;
  mimic_model model;
  mimic_bc_report report;
  mimic_transitions train = mimic_dataset_transitions(&demos);
  if (mimic_bc_model_create(&bc, &train, &model) != MIMIC_OK ||
      mimic_bc_fit(&bc, &train, &model, &report) != MIMIC_OK)
    return fail("behavioral cloning");
  mimic_bc_report_free(&report);
  ec.normalize = true; /* also runs the expert and a random policy on the same seeds */
  if (mimic_policy_from_model(&model, &demos.act_space.space, &policy) != MIMIC_OK ||
      evaluate("clone", policy, opts, &ec, &r) != MIMIC_OK)
    return fail("evaluate the clone");
  printf("expert return %.2f, random return %.2f: the clone's normalised score is %.3f\n",
         r.expert_return, r.random_return, r.normalized_score);
  mimic_eval_result_free(&r);
  mimic_dataset_free(&demos);
  return 0;
}
