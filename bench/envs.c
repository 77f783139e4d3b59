/* bench/envs: environment steps per second on one core.
 *
 * For each environment id, steps with random actions drawn before the
 * clock starts (so the generator's cost is not measured), writing the
 * observation each step and resetting when an episode ends, through the
 * public mimic_env_step (validation included). Then the vector env for
 * CartPole-v1 at N = 1, 16 and 256 copies, counting environment steps
 * (N per call). Each figure is the median of RUNS timed runs of about
 * 0.2 s. Prints one JSON object on stdout.
 *
 * Two clocks: "single" and "vector" divide by wall time; the *_cpu figures
 * divide by this thread's CPU time, which stays meaningful on a machine
 * shared with other jobs (time slices lost to them are not counted).
 *
 * Usage: bench/envs [seconds_per_run]   (default 0.2) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/env.h"

#define BENCH_NAME "envs"
#include "bench_util.h"

enum { RUNS = 5, N_ACTIONS = 1 << 12 };

/* The ids measured one at a time (bench/grid breaks the gridworlds down
 * further: observation kinds and the planner expert). */
static const char *const single_ids[] = {
    "CartPole-v1",
    "MountainCar-v0",
    "MountainCarContinuous-v0",
    "Acrobot-v1",
    "Pendulum-v1",
    "LaneKeep-v0",
    "LaneKeepContinuous-v0",
    "MiniGrid-DoorKey-8x8-v0",
    "MiniGrid-FourRooms-v0",
    NULL,
};

static const int vec_sizes[] = {1, 16, 256};

/* Medians of one measurement on both clocks. */
typedef struct rate {
  double wall, cpu;
} rate;

/* Steps per second of one environment, the median of RUNS runs. */
static rate bench_single(const char *id, double seconds) {
  mimic_env *env;
  if (mimic_env_make(id, NULL, &env) != MIMIC_OK) die(id);
  const mimic_space *as = mimic_env_action_space(env);
  const int aw = mimic_space_width(as), od = mimic_env_obs_space(env)->dim;
  float *acts = malloc(sizeof(float) * (size_t)N_ACTIONS * (size_t)aw);
  float *obs = malloc(sizeof(float) * (size_t)od);
  mimic_rng rng;
  mimic_rng_seed(&rng, 1);
  for (int i = 0; i < N_ACTIONS; i++) mimic_space_sample(as, &rng, acts + (size_t)i * (size_t)aw);
  if (mimic_env_reset(env, 0, obs) != MIMIC_OK) die(id);
  double rates[RUNS], cpu_rates[RUNS];
  for (int run = 0; run < RUNS; run++) {
    long long steps = 0;
    double t0 = mimic_now(), c0 = cpu_now(), t;
    do {
      for (int k = 0; k < 65536; k++) {
        double r;
        bool te, tr;
        const float *a = acts + (size_t)(steps & (N_ACTIONS - 1)) * (size_t)aw;
        if (mimic_env_step(env, a, obs, &r, &te, &tr) != MIMIC_OK) die(id);
        steps++;
        if (te || tr) mimic_env_reset(env, MIMIC_SEED_NONE, obs);
      }
      t = mimic_now() - t0;
    } while (t < seconds);
    rates[run] = (double)steps / t;
    cpu_rates[run] = (double)steps / (cpu_now() - c0);
  }
  free(acts);
  free(obs);
  mimic_env_free(env);
  return (rate){median(rates, RUNS), median(cpu_rates, RUNS)};
}

/* Environment steps per second of a vector env of n copies. */
static rate bench_vec(const char *id, int n, double seconds) {
  mimic_vecenv *v;
  if (mimic_vecenv_make(id, NULL, n, &v) != MIMIC_OK) die(id);
  const mimic_space *as = mimic_env_action_space(mimic_vecenv_env(v, 0));
  const int aw = mimic_space_width(as), od = mimic_env_obs_space(mimic_vecenv_env(v, 0))->dim;
  const int n_batches = N_ACTIONS / n > 16 ? N_ACTIONS / n : 16;
  float *acts = malloc(sizeof(float) * (size_t)n_batches * (size_t)n * (size_t)aw);
  float *obs = malloc(sizeof(float) * (size_t)n * (size_t)od);
  float *final_obs = malloc(sizeof(float) * (size_t)n * (size_t)od);
  double *rew = malloc(sizeof(double) * (size_t)n);
  bool *te = malloc((size_t)n), *tr = malloc((size_t)n);
  mimic_rng rng;
  mimic_rng_seed(&rng, 2);
  for (int i = 0; i < n_batches * n; i++)
    mimic_space_sample(as, &rng, acts + (size_t)i * (size_t)aw);
  if (mimic_vecenv_reset(v, 0, obs) != MIMIC_OK) die(id);
  double rates[RUNS], cpu_rates[RUNS];
  for (int run = 0; run < RUNS; run++) {
    long long calls = 0;
    double t0 = mimic_now(), c0 = cpu_now(), t;
    do {
      for (int k = 0; k < 1 + 65536 / n; k++) {
        const float *a = acts + (size_t)(calls % n_batches) * (size_t)n * (size_t)aw;
        if (mimic_vecenv_step(v, a, obs, rew, te, tr, final_obs) != MIMIC_OK) die(id);
        calls++;
      }
      t = mimic_now() - t0;
    } while (t < seconds);
    rates[run] = (double)calls * n / t;
    cpu_rates[run] = (double)calls * n / (cpu_now() - c0);
  }
  free(acts);
  free(obs);
  free(final_obs);
  free(rew);
  free(te);
  free(tr);
  mimic_vecenv_free(v);
  return (rate){median(rates, RUNS), median(cpu_rates, RUNS)};
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.2;
  if (!(seconds > 0)) seconds = 0.2;
  enum { N_VEC = sizeof vec_sizes / sizeof vec_sizes[0] };
  int n_ids = 0;
  while (single_ids[n_ids]) n_ids++;
  rate *single = calloc((size_t)n_ids, sizeof *single), vec[N_VEC];
  for (int i = 0; i < n_ids; i++) single[i] = bench_single(single_ids[i], seconds);
  for (int i = 0; i < N_VEC; i++) vec[i] = bench_vec("CartPole-v1", vec_sizes[i], seconds);
  printf("{\"bench\": \"envs\", \"unit\": \"environment steps per second, one thread\", "
         "\"statistic\": \"median of %d runs of %.2f s\"",
         RUNS, seconds);
  for (int clock = 0; clock < 2; clock++) {
    printf(", \"single%s\": {", clock ? "_cpu" : "");
    for (int i = 0; i < n_ids; i++)
      printf("%s\"%s\": %.0f", i ? ", " : "", single_ids[i],
             clock ? single[i].cpu : single[i].wall);
    printf("}, \"vector%s\": {\"CartPole-v1\": {", clock ? "_cpu" : "");
    for (int i = 0; i < N_VEC; i++)
      printf("%s\"%d\": %.0f", i ? ", " : "", vec_sizes[i], clock ? vec[i].cpu : vec[i].wall);
    printf("}}");
  }
  printf("}\n");
  free(single);
  return 0;
}
