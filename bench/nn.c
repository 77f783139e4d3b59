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
 * Models ("models" in the output; `--only models` runs just these):
 * SB3's Nature-CNN + a 6-action Linear on 84x84x4 at batch 32 (forward,
 * cross-entropy, backward without the input gradient, Adam) and a 4-block
 * GPT, C = 128, 4 heads, vocabulary 256, sequence 64, batch 16 (forward,
 * cross-entropy, backward, AdamW); each timed run follows a peak sgemm and
 * fraction_of_peak is the median per-run ratio. Each model also reports
 * samples per second of process CPU time and its fraction of the peak
 * sgemm's CPU-time rate (*_cpu, sgemm_peak_cpu_gflops): on a shared
 * machine these move far less with the load than the wall-clock figures.
 * bench/nn_torch.py times PyTorch on the same shapes in the same run.
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
#include "nn/cnn.h"
#include "nn/layers.h"
#include "nn/heads.h"
#include "nn/optim.h"
#include "nn/transformer.h"

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

/* Runs the sgemm once; returns GFLOP/s of wall time (and of this
 * process's CPU time in *cpu_gflops). */
static double peak_run(peak_gemm *p, double *cpu_gflops) {
  int n = p->n;
  double t = mimic_now(), c = process_cpu_now();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, p->A, n, p->B, n, 0.0f,
              p->C, n);
  t = mimic_now() - t;
  c = process_cpu_now() - c;
  double flops = 2.0 * n * n * (double)n;
  if (cpu_gflops) *cpu_gflops = flops / c / 1e9;
  return flops / t / 1e9;
}

static void peak_free(peak_gemm *p) {
  free(p->A);
  free(p->B);
  free(p->C);
}

/* Wall-clock figures, and the same per second of this process's CPU time
 * (*_cpu): on a shared machine the wall clock also counts the time other
 * processes hold the core, the CPU time does not. */
typedef struct result {
  double samples_per_s, us_per_step, gflops;
  double peak_gflops, peak_best, fraction; /* when measured alongside */
  double samples_per_cpu_s, peak_cpu_gflops, fraction_cpu;
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

/* One training step of some network on a fixed batch; returns 0 or -1. */
typedef int (*step_fn)(void *ctx);

/* Times steps of batch B and flops useful FLOPs each: a warm-up sizes a run
 * to ~0.25 s, then RUNS timed runs, each after one peak sgemm (when peak
 * is given) so both see the same machine load; fraction is the median of
 * the per-run ratios. */
static int time_steps(step_fn step, void *ctx, int B, double flops, peak_gemm *peak, result *res) {
  long iters = 0;
  double t0 = mimic_now();
  while (mimic_now() - t0 < 0.2 || iters < 2) {
    if (step(ctx)) return -1;
    iters++;
  }
  long per_run = (long)(iters * 0.25 / (mimic_now() - t0)) + 1;
  double sps[RUNS], pk[RUNS], fr[RUNS], cps[RUNS], cpk[RUNS], cfr[RUNS];
  if (peak) peak_run(peak, NULL); /* warm */
  for (int k = 0; k < RUNS; k++) {
    if (peak) pk[k] = peak_run(peak, &cpk[k]);
    double t = mimic_now(), c = process_cpu_now();
    for (long i = 0; i < per_run; i++)
      if (step(ctx)) return -1;
    t = mimic_now() - t;
    c = process_cpu_now() - c;
    sps[k] = (double)per_run * B / t;
    cps[k] = (double)per_run * B / c;
    if (peak) fr[k] = flops * per_run / t / 1e9 / pk[k];
    if (peak) cfr[k] = flops * per_run / c / 1e9 / cpk[k];
  }
  if (peak) {
    res->peak_best = 0;
    for (int k = 0; k < RUNS; k++)
      if (pk[k] > res->peak_best) res->peak_best = pk[k];
    res->peak_gflops = median(pk, RUNS);
    res->fraction = median(fr, RUNS);
    res->peak_cpu_gflops = median(cpk, RUNS);
    res->fraction_cpu = median(cfr, RUNS);
  }
  res->samples_per_cpu_s = median(cps, RUNS);
  res->samples_per_s = median(sps, RUNS);
  res->us_per_step = B / res->samples_per_s * 1e6;
  res->gflops = flops * (res->samples_per_s / B) / 1e9;
  return 0;
}

typedef struct mlp_ctx {
  mimic_mlp *m;
  mimic_optim *o;
  const float *x;
  const int32_t *acts;
  int B;
  float *dlogits;
} mlp_ctx;

static int mlp_step(void *p) {
  mlp_ctx *c = p;
  return train_step(c->m, c->o, c->x, c->acts, c->B, c->dlogits);
}

/* Times MLP training steps (see time_steps). */
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
  double flops = 0;
  for (int l = 0; l + 1 < n_sizes; l++) {
    double io = (double)sizes[l] * sizes[l + 1];
    flops += 2.0 * B * io * (l > 0 ? 3 : 2);
  }
  mlp_ctx c = {&m, &o, x, acts, B, dl};
  int rc = time_steps(mlp_step, &c, B, flops, peak, res);
  free(x);
  free(dl);
  free(acts);
  mimic_optim_free(&o);
  mimic_mlp_free(&m);
  return rc;
}

/* ---- Nature-CNN and a small GPT (the shapes bench/nn_torch.py times) ------- */

typedef struct cnn_ctx {
  mimic_cnn *m;
  mimic_optim *o;
  const float *x;
  const int32_t *acts;
  int B;
  float *dlogits;
} cnn_ctx;

static int cnn_step(void *p) {
  cnn_ctx *c = p;
  mimic_bc_stats st;
  int K = c->m->cfg.fc[c->m->cfg.n_fc - 1];
  mimic_cnn_zero_grad(c->m);
  if (mimic_cnn_forward(c->m, c->x, c->B) != MIMIC_OK) return -1;
  if (mimic_bc_categorical(c->m->out, c->acts, NULL, c->B, K, 0.0f, c->dlogits, &st) != MIMIC_OK)
    return -1;
  if (mimic_cnn_backward(c->m, c->dlogits, c->B, NULL) != MIMIC_OK) return -1;
  mimic_optim_step(c->o, c->m->params, c->m->grads);
  return 0;
}

/* SB3's NatureCNN (32 8x8/4, 64 4x4/2, 64 3x3/1, Linear 512) and a Linear
 * to 6 actions on 84x84x4; one step = forward, cross-entropy, backward
 * without the input gradient, Adam. */
static int bench_cnn(int B, peak_gemm *peak, result *res) {
  mimic_cnn_config cfg = {.in_c = 4, .in_h = 84, .in_w = 84, .n_conv = 3, .n_fc = 2};
  const int oc[3] = {32, 64, 64}, ks[3] = {8, 4, 3}, st[3] = {4, 2, 1};
  for (int l = 0; l < 3; l++)
    cfg.out_channels[l] = oc[l], cfg.kernel[l] = ks[l], cfg.stride[l] = st[l];
  cfg.fc[0] = 512, cfg.fc[1] = 6;
  mimic_cnn m;
  if (mimic_cnn_create(&m, &cfg, B, NULL, NULL) != MIMIC_OK) return -1;
  mimic_rng r;
  mimic_rng_seed(&r, 3);
  mimic_cnn_init_torch(&m, &r);
  mimic_optim_config ocfg = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  mimic_optim o;
  if (mimic_optim_create(&o, &ocfg, m.n_params) != MIMIC_OK) return -1;
  size_t nx = (size_t)B * 4 * 84 * 84;
  float *x = malloc(nx * sizeof *x), *dl = malloc((size_t)B * 6 * sizeof *dl);
  int32_t *acts = malloc((size_t)B * sizeof *acts);
  for (size_t i = 0; i < nx; i++) x[i] = mimic_rng_float(&r);
  for (int i = 0; i < B; i++) acts[i] = (int32_t)mimic_rng_integers(&r, 0, 6);
  /* forward 2*MACs; backward dW the same and dx for every layer but the first */
  double fwd = 0, dx = 0;
  for (int l = 0; l < 3; l++) {
    const mimic_conv2d_shape *s = &m.conv[l];
    double f = 2.0 * B * s->O * s->Ho * s->Wo * s->C * s->k * s->k;
    fwd += f;
    if (l) dx += f;
  }
  for (int l = 0; l < 2; l++) {
    double f = 2.0 * B * m.head.sizes[l] * m.head.sizes[l + 1];
    fwd += f;
    dx += f;
  }
  cnn_ctx c = {&m, &o, x, acts, B, dl};
  int rc = time_steps(cnn_step, &c, B, 2 * fwd + dx, peak, res);
  free(x);
  free(dl);
  free(acts);
  mimic_optim_free(&o);
  mimic_cnn_free(&m);
  return rc;
}

typedef struct gpt_ctx {
  mimic_gpt *g;
  mimic_optim *o;
  const int32_t *idx, *tg;
  int B, T;
} gpt_ctx;

static int gpt_step(void *p) {
  gpt_ctx *c = p;
  double loss;
  mimic_gpt_zero_grad(c->g);
  if (mimic_gpt_forward(c->g, c->idx, c->B, c->T) != MIMIC_OK) return -1;
  if (mimic_gpt_loss(c->g, c->tg, &loss) != MIMIC_OK) return -1;
  mimic_gpt_backward(c->g);
  mimic_optim_step(c->o, c->g->params, c->g->grads);
  return 0;
}

/* A GPT of n_layer blocks of width C (C/32 heads), vocabulary 256, at
 * sequence T and batch B; one step = forward, cross-entropy, backward,
 * AdamW. samples = sequences. */
static int bench_gpt(int n_layer, int C, int T, int B, peak_gemm *peak, result *res) {
  mimic_gpt_config cfg = {256, T, n_layer, C / 32, C};
  mimic_gpt g;
  if (mimic_gpt_create(&g, &cfg, B, T) != MIMIC_OK) return -1;
  mimic_rng r;
  mimic_rng_seed(&r, 4);
  mimic_gpt_init(&g, &r);
  mimic_optim_config ocfg = mimic_optim_defaults(MIMIC_OPTIM_ADAMW);
  mimic_optim o;
  if (mimic_optim_create(&o, &ocfg, g.n_params) != MIMIC_OK) return -1;
  int32_t *idx = malloc((size_t)B * (T + 1) * sizeof *idx);
  for (int i = 0; i < B * (T + 1); i++) idx[i] = (int32_t)mimic_rng_integers(&r, 0, 256);
  /* per token: 24 C^2 per block in the Linears, 4 T C in the (full square)
   * attention products, 2 C V in the head; backward twice the forward */
  double fwd = (double)B * T * (n_layer * (24.0 * C * C + 4.0 * T * C) + 2.0 * C * 256);
  gpt_ctx c = {&g, &o, idx, idx + B, B, T}; /* targets: the ids shifted (any ids will do) */
  int rc = time_steps(gpt_step, &c, B, 3 * fwd, peak, res);
  free(idx);
  mimic_optim_free(&o);
  mimic_gpt_free(&g);
  return rc;
}

/* Prints the models' entries of the JSON object. */
static void print_models(const result *cnn, const result *gpt) {
  printf("  \"models\": [\n");
  printf("    {\"name\": \"nature_cnn_84x84x4_b32\", \"step\": "
         "\"forward+cross_entropy+backward+adam\", \"batch\": 32, \"samples_per_s\": %.1f, "
         "\"us_per_step\": %.0f, \"gflops\": %.2f, \"fraction_of_peak\": %.3f, "
         "\"samples_per_cpu_s\": %.1f, \"fraction_of_peak_cpu\": %.3f},\n",
         cnn->samples_per_s, cnn->us_per_step, cnn->gflops, cnn->fraction, cnn->samples_per_cpu_s,
         cnn->fraction_cpu);
  printf("    {\"name\": \"gpt_L4_C128_T64_b16\", \"step\": "
         "\"forward+cross_entropy+backward+adamw\", \"batch\": 16, \"seq_len\": 64, "
         "\"samples_per_s\": %.1f, \"tokens_per_s\": %.0f, \"us_per_step\": %.0f, "
         "\"gflops\": %.2f, \"fraction_of_peak\": %.3f, \"samples_per_cpu_s\": %.1f, "
         "\"fraction_of_peak_cpu\": %.3f}\n  ],\n  \"sgemm_peak_cpu_gflops\": %.2f",
         gpt->samples_per_s, gpt->samples_per_s * 64, gpt->us_per_step, gpt->gflops, gpt->fraction,
         gpt->samples_per_cpu_s, gpt->fraction_cpu, gpt->peak_cpu_gflops);
}

int main(int argc, char **argv) {
  /* --only mlp | --only models: one half of the benchmark */
  bool do_mlp = true, do_models = true;
  if (argc == 3 && strcmp(argv[1], "--only") == 0 && strcmp(argv[2], "mlp") == 0)
    do_models = false;
  else if (argc == 3 && strcmp(argv[1], "--only") == 0 && strcmp(argv[2], "models") == 0)
    do_mlp = false;
  else if (argc != 1) {
    fprintf(stderr, "usage: bench/nn [--only mlp|models]\n");
    return 2;
  }
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
  result cnn = {0}, gpt = {0};
  for (int k = 0; do_mlp && k < 3; k++)
    if (bench_config(cfg[k].sizes, 4, cfg[k].batch, k == 2 ? &pg : NULL, &cfg[k].r)) die("mlp");
  if (do_models && bench_cnn(32, &pg, &cnn)) die("nature cnn");
  if (do_models && bench_gpt(4, 128, 64, 16, &pg, &gpt)) die("gpt");
  peak_free(&pg);
  double peak = do_mlp ? cfg[2].r.peak_gflops : gpt.peak_gflops;
  double peak_best = do_mlp ? cfg[2].r.peak_best : gpt.peak_best, frac = cfg[2].r.fraction;
  printf("{\n  \"benchmark\": \"nn\",\n  \"blas\": \"%s\",\n  \"threads\": %d,\n",
         mimic_nn_blas_info(), mimic_nn_get_threads());
  printf("  \"runs\": %d,\n", RUNS);
  printf("  \"sgemm_peak_gflops\": %.2f,\n  \"sgemm_peak_gflops_best\": %.2f,\n", peak, peak_best);
  printf("  \"sgemm_peak_size\": 2048,\n");
  if (do_mlp) {
    printf("  \"step\": \"zero_grad+forward+bc_loss+backward+adam\",\n  \"configs\": [\n");
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
    printf("  \"meets_targets\": {\"4-32-32-2_b32\": %s, \"17-256-256-6_b256\": %s}%s\n",
           ok_small ? "true" : "false", ok_big ? "true" : "false", do_models ? "," : "");
  }
  if (do_models) {
    print_models(&cnn, &gpt);
    printf("\n");
  }
  printf("}\n");
  return 0;
}
