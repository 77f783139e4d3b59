/* bench/grid: gridworld steps per second on one core, observation included.
 *
 * For MiniGrid-DoorKey-8x8-v0 and MiniGrid-FourRooms-v0: random actions
 * (drawn before the clock starts) through
 *   - the generic interface, mimic_env_step, with the default one-hot
 *     observation (984 floats) and with obs=image (148 floats);
 *   - the native interface, mimic_grid_step, writing MiniGrid's uint8 image;
 * resetting (a new random layout) whenever an episode ends. Then the expert:
 * planner-chosen actions (mimic_env_expert_act + mimic_env_step) per
 * second, replanning every episode. Each figure is the median of RUNS runs
 * of about `seconds` each, timed by the thread's CPU clock (so a busy,
 * shared machine does not count other processes' time against us; the
 * wall-clock medians are printed too). MiniGrid itself does about 12,000
 * steps/s. Prints one JSON object on stdout.
 *
 * Usage: bench/grid [seconds_per_run]   (default 0.3) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/env.h"
#include "mimic/grid.h"

#define BENCH_NAME "grid"
#include "bench_util.h"

enum { RUNS = 7, N_ACTIONS = 1 << 14 };

typedef enum mode { GENERIC, NATIVE, EXPERT } mode;

/* Median steps/s by CPU time; *wall gets the median by wall-clock time. */
static double bench(const char *id, const char *options, mode m, double seconds, double *wall) {
  mimic_env *env;
  if (mimic_env_make(id, options, &env) != MIMIC_OK) die(id);
  float *acts = malloc(sizeof(float) * N_ACTIONS);
  float *obs = malloc(sizeof(float) * (size_t)mimic_env_obs_space(env)->dim);
  uint8_t image[MIMIC_GRID_IMAGE];
  mimic_rng rng;
  mimic_rng_seed(&rng, 1);
  for (int i = 0; i < N_ACTIONS; i++)
    acts[i] = (float)mimic_rng_integers(&rng, 0, MIMIC_GRID_N_ACTIONS);
  if (mimic_env_reset(env, 0, obs) != MIMIC_OK) die(id);
  double rates[RUNS], wall_rates[RUNS];
  volatile float sink = 0;
  for (int run = 0; run < RUNS; run++) {
    long long steps = 0;
    double t0 = cpu_now(), w0 = mimic_now(), t;
    do {
      for (int k = 0; k < 1024; k++) {
        double r;
        bool term, trunc;
        float a = acts[steps & (N_ACTIONS - 1)];
        if (m == EXPERT && mimic_env_expert_act(env, &a) != MIMIC_OK) die("expert");
        if (m == NATIVE) {
          if (mimic_grid_step(env, (int)a, image, &r, &term, &trunc) != MIMIC_OK) die("step");
        } else if (mimic_env_step(env, &a, obs, &r, &term, &trunc) != MIMIC_OK) {
          die("step");
        }
        steps++;
        if ((term || trunc) && mimic_env_reset(env, MIMIC_SEED_NONE, obs) != MIMIC_OK) die("reset");
      }
      t = cpu_now() - t0;
    } while (t < seconds);
    sink += obs[0] + image[0];
    rates[run] = (double)steps / t;
    wall_rates[run] = (double)steps / (mimic_now() - w0);
  }
  *wall = median(wall_rates, RUNS);
  (void)sink;
  free(acts);
  free(obs);
  mimic_env_free(env);
  return median(rates, RUNS);
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.3;
  if (!(seconds > 0)) seconds = 0.3;
  const char *ids[] = {"MiniGrid-DoorKey-8x8-v0", "MiniGrid-FourRooms-v0"};
  printf("{\"bench\": \"grid\", \"runs\": %d, \"seconds_per_run\": %g, \"statistic\": \"median\", "
         "\"clock\": \"thread cpu time (wall in *_wall)\", \"unit\": \"steps/s\", "
         "\"minigrid_python_reference\": 12000",
         RUNS, seconds);
  static const struct {
    const char *name, *options;
    mode m;
  } cases[] = {{"onehot", NULL, GENERIC},
               {"image", "obs=image", GENERIC},
               {"native_uint8", "obs=image", NATIVE},
               {"expert", "obs=image", EXPERT}};
  for (int i = 0; i < 2; i++) {
    printf(", \"%s\": {", ids[i]);
    for (int c = 0; c < 4; c++) {
      double wall, cpu = bench(ids[i], cases[c].options, cases[c].m, seconds, &wall);
      printf("%s\"%s_steps_per_s\": %.0f, \"%s_steps_per_s_wall\": %.0f", c ? ", " : "",
             cases[c].name, cpu, cases[c].name, wall);
    }
    printf("}");
    fflush(stdout);
  }
  printf("}\n");
  return 0;
}
