/* bench/rl: reinforcement-learning speed (PPO, GAIL) on CartPole-v1.
 *
 * Prints one JSON object:
 *   ppo_env_steps_per_s        rollout collection alone (policy forward,
 *                              sampling, 8 environments stepping), the
 *                              CartPole preset, median of 5 runs
 *   ppo_train_samples_per_s    samples through the update (loss, backward,
 *                              clip, Adam: n_epochs x rollout size / update
 *                              time), same runs
 *   ppo_steps_per_s            a whole run (collect + update), same runs
 *   ppo_time_to_475_s          training seconds until the deterministic
 *                              policy first averages >= 475 over 10
 *                              evaluation episodes (checked every 4
 *                              iterations = 1024 steps; evaluation time not
 *                              counted), median over seeds 0..4
 *   ppo_time_to_475_wall_s     the same including the evaluations
 *   ppo_steps_to_475           env steps at that point (median)
 *   ppo_final_return_at_475    that policy over 100 fresh episodes (median)
 *   gail_one_episode_time_to_475_s / _steps
 *                              GAIL from one expert episode, the same stop
 *                              rule, median over seeds 0..2
 *   gail_one_episode_full_run_s
 *                              the full 100k-step GAIL run (the unit test's
 *                              configuration), seed 0
 * Single BLAS thread, so the figures are per core. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/adversarial.h"
#include "mimic/collect.h"
#include "mimic/ppo.h"

#define BENCH_NAME "rl"
#include "bench_util.h"

static mimic_ppo_config cartpole(uint64_t seed) {
  mimic_ppo_config c = mimic_ppo_defaults();
  c.env_id = "CartPole-v1";
  mimic_ppo_preset("CartPole-v1", &c);
  c.seed = seed;
  return c;
}

/* One full preset run, timing collect and update separately. */
static void throughput(uint64_t seed, double *env_rate, double *train_rate, double *run_rate) {
  mimic_ppo_config c = cartpole(seed);
  mimic_ppo *p;
  if (mimic_ppo_create(&c, NULL, &p)) die("create");
  double t_collect = 0, t_update = 0, t0 = mimic_now();
  long samples = 0;
  while (mimic_ppo_timesteps(p) < c.total_steps) {
    double a = mimic_now();
    if (mimic_ppo_collect(p)) die("collect");
    double b = mimic_now();
    mimic_ppo_iter it;
    if (mimic_ppo_update(p, &it)) die("update");
    t_collect += b - a;
    t_update += mimic_now() - b;
    samples += (long)it.epochs * c.n_envs * c.n_steps;
  }
  *env_rate = (double)mimic_ppo_timesteps(p) / t_collect;
  *train_rate = (double)samples / t_update;
  *run_rate = (double)mimic_ppo_timesteps(p) / (mimic_now() - t0);
  mimic_ppo_free(p);
}

typedef struct stopper {
  double t0, eval_time;
  double train_s, wall_s;
  long steps;
} stopper;

/* Evaluates every 4 iterations; stops at >= 475 over 10 episodes. */
static bool check(mimic_ppo *p, const mimic_ppo_iter *it, void *user) {
  stopper *s = user;
  if (it->iteration % 4) return true;
  double a = mimic_now(), mean;
  if (mimic_ppo_evaluate(p, 10, 1000, &mean, NULL)) die("evaluate");
  s->eval_time += mimic_now() - a;
  if (mean < 475) return true;
  s->wall_s = mimic_now() - s->t0;
  s->train_s = s->wall_s - s->eval_time;
  s->steps = it->timesteps;
  return false;
}

static bool check_adv(mimic_adv *a, const mimic_adv_round *r, void *user) {
  return check(mimic_adv_generator(a), &r->ppo, user);
}

int main(void) {
  mimic_nn_set_threads(1);
  mimic_log_set_level(MIMIC_LOG_WARN);
  enum { RUNS = 5 };
  double env_r[RUNS], train_r[RUNS], run_r[RUNS];
  for (int i = 0; i < RUNS; i++) throughput((uint64_t)i, &env_r[i], &train_r[i], &run_r[i]);

  double t475[RUNS], w475[RUNS], s475[RUNS], f475[RUNS];
  for (int i = 0; i < RUNS; i++) {
    mimic_ppo_config c = cartpole((uint64_t)i);
    stopper s = {.t0 = mimic_now(), .train_s = NAN, .wall_s = NAN, .steps = -1};
    mimic_ppo *p;
    if (mimic_ppo_create(&c, NULL, &p)) die("create");
    if (mimic_ppo_learn(p, 0, check, &s)) die("learn");
    double final = NAN;
    if (s.steps >= 0 && mimic_ppo_evaluate(p, 100, 5000, &final, NULL)) die("evaluate");
    t475[i] = s.train_s, w475[i] = s.wall_s, s475[i] = (double)s.steps, f475[i] = final;
    mimic_ppo_free(p);
  }

  mimic_dataset ds;
  if (mimic_collect_expert("CartPole-v1", NULL, 1, 0, &ds)) die("collect");
  enum { GRUNS = 3 };
  double g_t[GRUNS], g_s[GRUNS];
  for (int i = 0; i < GRUNS; i++) {
    mimic_adv_config c = mimic_adv_defaults(MIMIC_ADV_GAIL, "CartPole-v1");
    c.ppo.seed = (uint64_t)i;
    stopper s = {.t0 = mimic_now(), .train_s = NAN, .wall_s = NAN, .steps = -1};
    mimic_adv *a;
    if (mimic_adv_create(&c, &ds, &a)) die("gail");
    if (mimic_adv_learn(a, 0, check_adv, &s)) die("gail learn");
    g_t[i] = s.wall_s, g_s[i] = (double)s.steps;
    mimic_adv_free(a);
  }
  mimic_adv_config c = mimic_adv_defaults(MIMIC_ADV_GAIL, "CartPole-v1");
  mimic_adv *a;
  if (mimic_adv_create(&c, &ds, &a)) die("gail");
  double t0 = mimic_now();
  if (mimic_adv_learn(a, 0, NULL, NULL)) die("gail learn");
  double g_full = mimic_now() - t0;
  double g_full_ret = NAN;
  if (mimic_ppo_evaluate(mimic_adv_generator(a), 100, 5000, &g_full_ret, NULL)) die("evaluate");
  mimic_adv_free(a);
  mimic_dataset_free(&ds);

  printf(
      "{\"env\": \"CartPole-v1\", \"ppo_env_steps_per_s\": %.0f, \"ppo_train_samples_per_s\": "
      "%.0f, "
      "\"ppo_steps_per_s\": %.0f, \"ppo_time_to_475_s\": %.3f, \"ppo_time_to_475_wall_s\": %.3f, "
      "\"ppo_steps_to_475\": %.0f, \"ppo_final_return_at_475\": %.1f, "
      "\"gail_one_episode_time_to_475_s\": %.3f, "
      "\"gail_one_episode_steps_to_475\": %.0f, \"gail_one_episode_full_run_s\": %.3f, "
      "\"gail_one_episode_full_run_return\": %.1f, \"runs\": %d, \"gail_runs\": %d, "
      "\"blas_threads\": %d}\n",
      median(env_r, RUNS), median(train_r, RUNS), median(run_r, RUNS), median(t475, RUNS),
      median(w475, RUNS), median(s475, RUNS), median(f475, RUNS), median(g_t, GRUNS),
      median(g_s, GRUNS), g_full, g_full_ret, RUNS, GRUNS, mimic_nn_get_threads());
  return 0;
}
