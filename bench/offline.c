/* bench/offline: gradient updates per second of the offline learners at
 * d3rlpy's network size ((256, 256) ReLU, twin critics) and batch 256, on
 * a Pendulum-v1 expert dataset of 10000 transitions.
 *
 * Prints one JSON object: for each of td3bc, iql and cql,
 * <algo>_updates_per_s (the median of 5 runs of 200 updates each after 20
 * warm-up updates, CPU time of this process; CQL 20 after 2, as each of
 * its updates scores 30 sampled actions per state), and torch_updates_per_s:
 * null; the PyTorch re-creation is bench/offline_torch.py, which runs this
 * program in alternating rounds with its own timings and prints the
 * ratios. Single BLAS thread, so the figures are per core. Arguments
 * (td3bc, iql, cql) time only those; the others print null. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/collect.h"
#include "mimic/nn.h"
#include "mimic/offpolicy.h"

#define BENCH_NAME "offline"
#include "bench_util.h"

#define RUNS 5
#define UPDATES 200

static double rate(mimic_offpolicy_algo algo, const mimic_transitions *t) {
  /* CQL scores 30 sampled actions per state: a tenth of the updates */
  const int updates = algo == MIMIC_OFFPOLICY_CQL ? UPDATES / 10 : UPDATES;
  double v[RUNS];
  for (int r = 0; r < RUNS; r++) {
    mimic_offpolicy_config c = mimic_offpolicy_defaults(algo);
    c.env_id = "Pendulum-v1";
    c.seed = (uint64_t)r;
    mimic_offpolicy *o;
    if (mimic_offpolicy_create(&c, t, &o)) die("create");
    if (mimic_offpolicy_learn(o, updates / 10, 0, NULL, NULL)) die("warm-up");
    double t0 = process_cpu_now();
    if (mimic_offpolicy_learn(o, updates, 0, NULL, NULL)) die("learn");
    v[r] = updates / (process_cpu_now() - t0);
    mimic_offpolicy_free(o);
  }
  return median(v, RUNS);
}

/* x with one decimal, or null when not measured (NaN). */
static const char *json_num(char buf[32], double x) {
  if (isnan(x)) return "null";
  snprintf(buf, 32, "%.1f", x);
  return buf;
}

/* Whether algo `name` is to be timed: every one without arguments, else those named. */
static int wanted(int argc, char **argv, const char *name) {
  if (argc < 2) return 1;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], name)) return 1;
  return 0;
}

int main(int argc, char **argv) {
  mimic_nn_set_threads(1);
  mimic_dataset ds;
  mimic_generate_config g = mimic_generate_defaults("Pendulum-v1", MIMIC_QUALITY_EXPERT, 10000);
  memset(&ds, 0, sizeof ds);
  mimic_generate_result gr;
  if (mimic_generate_dataset(&g, &ds, &gr)) die("dataset");
  mimic_transitions t = mimic_dataset_transitions(&ds);
  double td3bc = wanted(argc, argv, "td3bc") ? rate(MIMIC_OFFPOLICY_TD3BC, &t) : NAN;
  double iql = wanted(argc, argv, "iql") ? rate(MIMIC_OFFPOLICY_IQL, &t) : NAN;
  double cql = wanted(argc, argv, "cql") ? rate(MIMIC_OFFPOLICY_CQL, &t) : NAN;
  char a[32], b[32], c[32];
  printf("{\"network\": [256, 256], \"batch\": 256, \"transitions\": %zu, \"runs\": %d, "
         "\"updates_per_run\": %d, \"td3bc_updates_per_s\": %s, \"iql_updates_per_s\": %s, "
         "\"cql_updates_per_s\": %s, \"torch_updates_per_s\": null, \"blas\": \"%s\"}\n",
         ds.n_steps, RUNS, UPDATES, json_num(a, td3bc), json_num(b, iql), json_num(c, cql),
         mimic_nn_blas_info());
  mimic_dataset_free(&ds);
  return 0;
}
