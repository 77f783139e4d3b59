/* bench/nn: training throughput of mimic's MLPs and the machine's sgemm peak.
 *
 * One training step = zero grads, forward, categorical BC loss and its
 * gradient, backward (no dx for the input), one Adam step, on a fixed batch.
 * Configurations: 4 -> [32, 32] -> 2 tanh at batch 32 and 256, and
 * 17 -> [256, 256] -> 6 tanh at batch 256. OpenBLAS runs on one thread.
 * Each figure is the median of several timed runs after a warm-up.
 *
 * The sgemm peak is a single-thread 2048^3 sgemm in the same process, run
 * before each timed run of 17-256-256-6 so both see the same machine load
 * (the machine may be shared); median and best are reported. The step's
 * useful FLOPs are forward 2*B*sum(in*out) + dW 2*B*sum(in*out) + dx
 * 2*B*sum_{l>0}(in*out); "fraction_of_peak" for 17-256-256-6 is the median
 * of the per-run ratios (for the others: their rate over the median peak).
 *
 * Prints one JSON object on stdout. Targets: >= 600,000 samples/s for
 * 4-32-32-2 at batch 32; >= 40% of peak for 17-256-256-6 at batch 256. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/core.h"
#include "mimic/nn.h"
#include "mimic/rng.h"

#define BENCH_NAME "nn"
#include "bench_util.h"
#include "nn/layers.h"
#include "nn/heads.h"
#include "nn/optim.h"

#define RUNS 7

/* A square single-thread sgemm of size n, for the machine's peak. */
typedef struct peak_gemm {
  int n;
  float *A, *B, *C;
} peak_gemm;

static void peak_init(peak_gemm *p, int n) {
  p->n = n;
  p->A = malloc((size_t)n * n * sizeof(float));
  p->B = malloc((size_t)n * n * sizeof(float));
  p->C = malloc((size_t)n * n * sizeof(float));
  mimic_rng r;
  mimic_rng_seed(&r, 1);
  for (size_t i = 0; i < (size_t)n * n; i++) {
    p->A[i] = mimic_rng_float(&r) - 0.5f;
    p->B[i] = mimic_rng_float(&r) - 0.5f;
    p->C[i] = 0;
  }
}

/* Runs the sgemm once; returns GFLOP/s. */
static double peak_run(peak_gemm *p) {
  int n = p->n;
  double t = mimic_now();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, p->A, n, p->B, n, 0.0f,
              p->C, n);
  t = mimic_now() - t;
  return 2.0 * n * n * (double)n / t / 1e9;
}

static void peak_free(peak_gemm *p) {
  free(p->A);
  free(p->B);
  free(p->C);
}

typedef struct result {
  double samples_per_s, us_per_step, gflops;
  double peak_gflops, peak_best, fraction; /* when measured alongside */
} result;

static int train_step(mimic_mlp *m, mimic_optim *o, const float *x, const int32_t *acts, int B,
                      float *dlogits) {
  mimic_bc_stats st;
  mimic_mlp_zero_grad(m);
  if (mimic_mlp_forward(m, x, B) != MIMIC_OK) return -1;
  if (mimic_bc_categorical(m->out, acts, NULL, B, m->sizes[m->n_layers], 1e-3f, dlogits, &st) !=
      MIMIC_OK)
    return -1;
  if (mimic_mlp_backward(m, x, dlogits, B, NULL) != MIMIC_OK) return -1;
  mimic_optim_step(o, m->params, m->grads);
  return 0;
}

/* Times training steps; with peak, each timed run follows one peak sgemm so
 * that both see the same machine load, and fraction is the median of the
 * per-run ratios. */
static int bench_config(const int *sizes, int n_sizes, int B, peak_gemm *peak, result *res) {
  mimic_mlp m;
  if (mimic_mlp_create(&m, sizes, n_sizes, MIMIC_ACT_TANH, B, NULL, NULL) != MIMIC_OK) return -1;
  mimic_rng r;
  mimic_rng_seed(&r, 2);
  mimic_mlp_init_torch(&m, &r);
  mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  mimic_optim o;
  if (mimic_optim_create(&o, &oc, m.n_params) != MIMIC_OK) return -1;
  int in = sizes[0], K = sizes[n_sizes - 1];
  float *x = malloc((size_t)B * in * sizeof *x), *dl = malloc((size_t)B * K * sizeof *dl);
  int32_t *acts = malloc((size_t)B * sizeof *acts);
  for (int i = 0; i < B * in; i++) x[i] = (float)mimic_rng_normal(&r);
  for (int i = 0; i < B; i++) acts[i] = (int32_t)mimic_rng_integers(&r, 0, K);

  /* warm up, and size a run to ~0.25 s */
  long iters = 0;
  double t0 = mimic_now();
  while (mimic_now() - t0 < 0.2) {
    if (train_step(&m, &o, x, acts, B, dl)) return -1;
    iters++;
  }
  long per_run = (long)(iters * 0.25 / (mimic_now() - t0)) + 1;
  double flops = 0;
  for (int l = 0; l + 1 < n_sizes; l++) {
    double io = (double)sizes[l] * sizes[l + 1];
    flops += 2.0 * B * io * (l > 0 ? 3 : 2);
  }
  double sps[RUNS], pk[RUNS], fr[RUNS];
  if (peak) peak_run(peak); /* warm */
  for (int k = 0; k < RUNS; k++) {
    if (peak) pk[k] = peak_run(peak);
    double t = mimic_now();
    for (long i = 0; i < per_run; i++)
      if (train_step(&m, &o, x, acts, B, dl)) return -1;
    t = mimic_now() - t;
    sps[k] = (double)per_run * B / t;
    if (peak) fr[k] = flops * per_run / t / 1e9 / pk[k];
  }
  if (peak) {
    res->peak_best = 0;
    for (int k = 0; k < RUNS; k++)
      if (pk[k] > res->peak_best) res->peak_best = pk[k];
    res->peak_gflops = median(pk, RUNS);
    res->fraction = median(fr, RUNS);
  }
  res->samples_per_s = median(sps, RUNS);
  res->us_per_step = B / res->samples_per_s * 1e6;
  res->gflops = flops * (res->samples_per_s / B) / 1e9;
  free(x);
  free(dl);
  free(acts);
  mimic_optim_free(&o);
  mimic_mlp_free(&m);
  return 0;
}

int main(void) {
  mimic_nn_set_threads(1);
  peak_gemm pg;
  peak_init(&pg, 2048);
  static const int small[] = {4, 32, 32, 2}, big[] = {17, 256, 256, 6};
  struct {
    const char *name;
    const int *sizes;
    int batch;
    result r;
  } cfg[] = {{.name = "4-32-32-2_tanh_b32", .sizes = small, .batch = 32},
             {.name = "4-32-32-2_tanh_b256", .sizes = small, .batch = 256},
             {.name = "17-256-256-6_tanh_b256", .sizes = big, .batch = 256}};
  for (int k = 0; k < 3; k++)
    if (bench_config(cfg[k].sizes, 4, cfg[k].batch, k == 2 ? &pg : NULL, &cfg[k].r)) {
      fprintf(stderr, "bench/nn: %s\n", mimic_errmsg());
      return 1;
    }
  peak_free(&pg);
  double peak = cfg[2].r.peak_gflops, peak_best = cfg[2].r.peak_best, frac = cfg[2].r.fraction;
  printf("{\n  \"benchmark\": \"nn\",\n  \"blas\": \"%s\",\n  \"threads\": %d,\n",
         mimic_nn_blas_info(), mimic_nn_get_threads());
  printf("  \"runs\": %d,\n  \"step\": \"zero_grad+forward+bc_loss+backward+adam\",\n", RUNS);
  printf("  \"sgemm_peak_gflops\": %.2f,\n  \"sgemm_peak_gflops_best\": %.2f,\n", peak, peak_best);
  printf("  \"sgemm_peak_size\": 2048,\n  \"configs\": [\n");
  for (int k = 0; k < 3; k++) {
    const int *s = cfg[k].sizes;
    printf("    {\"name\": \"%s\", \"sizes\": [%d, %d, %d, %d], \"activation\": \"tanh\", "
           "\"batch\": %d, \"samples_per_s\": %.0f, \"us_per_step\": %.2f, \"gflops\": %.2f, "
           "\"fraction_of_peak\": %.3f}%s\n",
           cfg[k].name, s[0], s[1], s[2], s[3], cfg[k].batch, cfg[k].r.samples_per_s,
           cfg[k].r.us_per_step, cfg[k].r.gflops, k == 2 ? frac : cfg[k].r.gflops / peak,
           k < 2 ? "," : "");
  }
  bool ok_small = cfg[0].r.samples_per_s >= 600000, ok_big = frac >= 0.40;
  printf("  ],\n  \"targets\": {\"4-32-32-2_b32_samples_per_s\": 600000, "
         "\"17-256-256-6_b256_fraction_of_peak\": 0.40},\n");
  printf("  \"meets_targets\": {\"4-32-32-2_b32\": %s, \"17-256-256-6_b256\": %s}\n}\n",
         ok_small ? "true" : "false", ok_big ? "true" : "false");
  return 0;
}
