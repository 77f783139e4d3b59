/* bench/imitate: wall time to a return of 475 on CartPole-v1 for the
 * learners that imitate without state-action labels or reward: SQIL and
 * density rewards (from 10 expert episodes), BCO (the same episodes
 * without their actions) and preferences (synthetic oracle, on the
 * fixed-horizon CartPole, whose return counts the upright steps of 500).
 *
 * Prints one JSON object; for each learner, over seeds 0..2:
 *   <name>_time_to_475_s   learning seconds until the greedy policy first
 *                          averages >= 475 over 10 episodes from seed 1000
 *                          (evaluation time not counted), median over the
 *                          seeds that got there (null if none did)
 *   <name>_steps_to_475    environment interactions at that point (median)
 *   <name>_reached         seeds that got there
 * Checks: SQIL every 1,000 steps, density and preferences every 4 PPO
 * iterations, BCO after each of its rounds. Single BLAS thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mimic/bco.h"
#include "mimic/collect.h"
#include "mimic/density.h"
#include "mimic/evaluate.h"
#include "mimic/preferences.h"
#include "mimic/sqil.h"

#define BENCH_NAME "imitate"
#include "bench_util.h"

enum { SEEDS = 3 };

typedef struct stopwatch {
  double t0, eval_time; /* start, and seconds spent evaluating */
  double learn_s;       /* learning seconds when 475 was reached (NAN: not yet) */
  long steps;
} stopwatch;

/* Greedy return of a model over 10 episodes (a copy: the policy owns it). */
static double model_return(const mimic_model *m, const char *opts) {
  mimic_model copy;
  if (mimic_model_copy(m, 1, &copy)) die("copy");
  mimic_env *e;
  if (mimic_env_make("CartPole-v1", opts, &e)) die("env");
  mimic_policy *p;
  if (mimic_policy_from_model(&copy, mimic_env_action_space(e), &p)) die("policy");
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = 10;
  ec.seed = 1000;
  ec.normalize = false;
  mimic_eval_result r = {0};
  if (mimic_evaluate(p, "CartPole-v1", opts, &ec, &r)) die("evaluate");
  double mean = r.return_mean;
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  mimic_env_free(e);
  return mean;
}

/* Records the time if ret reached 475; returns false to stop. */
static bool reached(stopwatch *w, double ret, double eval_started, long steps) {
  w->eval_time += mimic_now() - eval_started;
  if (ret < 475) return true;
  w->learn_s = mimic_now() - w->t0 - w->eval_time;
  w->steps = steps;
  return false;
}

static bool sqil_check(const mimic_sqil_log *row, const mimic_model *q, void *user) {
  double a = mimic_now();
  return reached(user, model_return(q, NULL), a, row->step);
}

static bool bco_check(const mimic_bco_round *r, const mimic_model *clone, void *user) {
  double a = mimic_now();
  return reached(user, model_return(clone, NULL), a, r->interactions);
}

static bool ppo_check(mimic_ppo *p, const mimic_ppo_iter *it, void *user) {
  if (it->iteration % 4) return true;
  double a = mimic_now(), mean;
  if (mimic_ppo_evaluate(p, 10, 1000, &mean, NULL)) die("evaluate");
  return reached(user, mean, a, it->timesteps);
}

static stopwatch start(void) { return (stopwatch){.t0 = mimic_now(), .learn_s = NAN, .steps = -1}; }

static stopwatch run_sqil(const mimic_dataset *demos, uint64_t seed) {
  mimic_sqil_config c = mimic_sqil_defaults("CartPole-v1");
  c.seed = seed;
  mimic_transitions t = mimic_dataset_transitions(demos);
  stopwatch w = start();
  mimic_model q;
  if (mimic_sqil_learn(&c, &t, 1000, sqil_check, &w, &q)) die("sqil");
  mimic_model_free(&q);
  return w;
}

static stopwatch run_bco(const mimic_dataset *stripped, uint64_t seed) {
  mimic_bco_config c = mimic_bco_defaults("CartPole-v1");
  c.seed = seed;
  stopwatch w = start();
  mimic_model clone;
  if (mimic_bco_train(&c, stripped, bco_check, &w, &clone, NULL)) die("bco");
  mimic_model_free(&clone);
  return w;
}

static stopwatch run_density(const mimic_dataset *demos, uint64_t seed) {
  mimic_transitions t = mimic_dataset_transitions(demos);
  mimic_env *e;
  if (mimic_env_make("CartPole-v1", NULL, &e)) die("env");
  stopwatch w = start();
  mimic_density d;
  mimic_density_config dc = mimic_density_defaults();
  if (mimic_density_fit(&d, &dc, &t, mimic_env_action_space(e))) die("density");
  mimic_ppo_config pc = mimic_ppo_defaults();
  pc.env_id = "CartPole-v1";
  mimic_ppo_preset("CartPole-v1", &pc);
  pc.total_steps *= 2; /* train density's budget */
  pc.seed = seed;
  mimic_ppo *p;
  if (mimic_ppo_create(&pc, NULL, &p)) die("ppo");
  mimic_ppo_set_reward(p, mimic_density_reward_fn, &d);
  if (mimic_ppo_learn(p, 0, ppo_check, &w)) die("density learn");
  mimic_ppo_free(p);
  mimic_density_free(&d);
  mimic_env_free(e);
  return w;
}

static stopwatch run_preferences(uint64_t seed) {
  mimic_pref_config c = mimic_pref_defaults("CartPole-v1");
  c.ppo.env_opts = "fixed_horizon=1";
  c.ppo.seed = c.seed = seed;
  stopwatch w = start();
  mimic_pref *p;
  if (mimic_pref_create(&c, NULL, NULL, &p)) die("preferences");
  if (mimic_pref_learn(p, NULL, ppo_check, &w)) die("preferences learn");
  mimic_pref_free(p);
  return w;
}

/* Prints one learner's three figures (with a trailing comma). */
static void report(const char *name, const stopwatch *w) {
  double t[SEEDS], s[SEEDS];
  int n = 0;
  for (int i = 0; i < SEEDS; i++)
    if (!isnan(w[i].learn_s)) t[n] = w[i].learn_s, s[n] = (double)w[i].steps, n++;
  if (n)
    printf("\"%s_time_to_475_s\": %.3f, \"%s_steps_to_475\": %.0f, ", name, median(t, n), name,
           median(s, n));
  else
    printf("\"%s_time_to_475_s\": null, \"%s_steps_to_475\": null, ", name, name);
  printf("\"%s_reached\": %d, ", name, n);
}

int main(void) {
  mimic_nn_set_threads(1);
  mimic_log_set_level(MIMIC_LOG_WARN);
  mimic_dataset demos, stripped;
  if (mimic_collect_expert("CartPole-v1", NULL, 10, 0, &demos)) die("collect");
  if (mimic_collect_expert("CartPole-v1", NULL, 10, 0, &stripped)) die("collect");
  if (mimic_dataset_strip_actions(&stripped)) die("strip");
  stopwatch sq[SEEDS], bc[SEEDS], de[SEEDS], pr[SEEDS];
  for (int i = 0; i < SEEDS; i++) {
    sq[i] = run_sqil(&demos, (uint64_t)i);
    bc[i] = run_bco(&stripped, (uint64_t)i);
    de[i] = run_density(&demos, (uint64_t)i);
    pr[i] = run_preferences((uint64_t)i);
  }
  printf("{\"env\": \"CartPole-v1\", ");
  report("sqil", sq);
  report("bco", bc);
  report("density", de);
  report("preferences_fixed_horizon", pr);
  printf("\"seeds\": %d, \"blas_threads\": %d}\n", SEEDS, mimic_nn_get_threads());
  mimic_dataset_free(&demos);
  mimic_dataset_free(&stripped);
  return 0;
}
