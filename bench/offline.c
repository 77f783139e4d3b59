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
 * (td3bc, iql, cql) time only those; the others print null.
 * sgemm_256_gflops is a 256^3 sgemm's rate on the same BLAS and thread, and
 * <algo>_sgemm_peak_fraction the matrix-product FLOPs of the updates done
 * per second (counted from the network shapes) over that rate. */
#include <cblas.h>
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

#define D_OBS 3 /* Pendulum-v1 */
#define D_ACT 1
#define H 256
#define BATCH 256.0

/* Multiply-add FLOPs (2 per product term) of one linear layer's product on a batch. */
static double lin(int in, int out) { return 2.0 * BATCH * in * out; }
/* A forward pass of in -> H -> H -> out. */
static double fwd(int in, int out) { return lin(in, H) + lin(H, H) + lin(H, out); }
/* A backward pass: weight gradients (w) and input gradients (x: 0 none,
 * 1 the hidden layers', 2 the input's too). */
static double bwd(int in, int out, int w, int x) {
  return (w ? fwd(in, out) : 0) + (x ? lin(H, H) + lin(H, out) : 0) + (x == 2 ? lin(in, H) : 0);
}

/* Matrix-product FLOPs of one update as offpolicy_update.c does it
 * (TD3+BC: the actor every second update). */
static double flops_per_update(mimic_offpolicy_algo algo) {
  const int SA = D_OBS + D_ACT;
  if (algo == MIMIC_OFFPOLICY_TD3BC)
    return fwd(D_OBS, D_ACT) + 4 * fwd(SA, 1) + 2 * bwd(SA, 1, 1, 1) +
           0.5 * (fwd(D_OBS, D_ACT) + fwd(SA, 1) + bwd(SA, 1, 0, 2) + bwd(D_OBS, D_ACT, 1, 1));
  /* IQL: V(s'), the critics and their targets, V twice more, the actor */
  return 3 * fwd(D_OBS, 1) + bwd(D_OBS, 1, 1, 1) + 4 * fwd(SA, 1) + 2 * bwd(SA, 1, 1, 1) +
         fwd(D_OBS, D_ACT) + bwd(D_OBS, D_ACT, 1, 1);
}

/* GFLOP/s of a (256 x 256) x (256 x 256) sgemm on this BLAS, one thread:
 * the update's largest product, its practical peak. Median of RUNS. */
static double sgemm_gflops(void) {
  enum { N = 256, REPS = 400 };
  float *a = calloc((size_t)N * N, sizeof(float)), *b = calloc((size_t)N * N, sizeof(float)),
        *c = calloc((size_t)N * N, sizeof(float));
  if (!a || !b || !c) die("sgemm buffers");
  for (int i = 0; i < N * N; i++) a[i] = b[i] = (float)((i % 17) - 8) / 16.0f;
  double v[RUNS];
  for (int r = 0; r < RUNS; r++) {
    double t0 = process_cpu_now();
    for (int k = 0; k < REPS; k++)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1.0f, a, N, b, N, 0.0f, c, N);
    v[r] = 2.0 * N * N * N * REPS / (process_cpu_now() - t0) / 1e9;
  }
  free(a), free(b), free(c);
  return median(v, RUNS);
}

/* x with one decimal, or null when not measured (NaN). */
static const char *json_num(char buf[32], double x) {
  if (isnan(x)) return "null";
  snprintf(buf, 32, "%.1f", x);
  return buf;
}

/* x with three decimals, or null (NaN). */
static const char *json_num3(char buf[32], double x) {
  if (isnan(x)) return "null";
  snprintf(buf, 32, "%.3f", x);
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
  const double peak = sgemm_gflops();
  /* the fraction of the sgemm peak an update's products reach */
  double ft = td3bc * flops_per_update(MIMIC_OFFPOLICY_TD3BC) / 1e9 / peak;
  double fi = iql * flops_per_update(MIMIC_OFFPOLICY_IQL) / 1e9 / peak;
  char a[32], b[32], c[32], e[32], f[32];
  printf("{\"network\": [256, 256], \"batch\": 256, \"transitions\": %zu, \"runs\": %d, "
         "\"updates_per_run\": %d, \"td3bc_updates_per_s\": %s, \"iql_updates_per_s\": %s, "
         "\"cql_updates_per_s\": %s, \"torch_updates_per_s\": null, \"sgemm_256_gflops\": %.1f, "
         "\"td3bc_sgemm_peak_fraction\": %s, \"iql_sgemm_peak_fraction\": %s, \"blas\": \"%s\"}\n",
         ds.n_steps, RUNS, UPDATES, json_num(a, td3bc), json_num(b, iql), json_num(c, cql), peak,
         json_num3(e, ft), json_num3(f, fi), mimic_nn_blas_info());
  mimic_dataset_free(&ds);
  return 0;
}
