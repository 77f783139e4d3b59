/* bench/dt: one Decision Transformer training step (mimic/dt.h) at the
 * paper's gym settings: K = 20 steps (60 tokens), 3 blocks, C = 128, one
 * head, batch 64, on a Hopper-shaped dataset (11 state values, 3 actions
 * in [-1, 1], episodes of 1000 steps, random numbers). A step = draw the
 * windows, forward, MSE of the tanh actions, backward, clip the gradient
 * norm at 0.25, AdamW. One thread. Prints one JSON object: the median of
 * 7 timed runs of ~0.5 s after a warm-up, in steps/s and windows/s.
 *
 *   bench/dt [--dump FILE]
 *
 * --dump FILE also writes, for bench/dt_torch.py's check against PyTorch,
 * a fresh network's parameters, one batch, its predictions and the
 * gradient of sum(w * out) (float32 little-endian; layout in
 * bench/dt_torch.py). */
#define BENCH_NAME "dt"
#include "bench_util.h"

#include <math.h>
#include <string.h>

#include "algo/dt_impl.h"
#include "mimic/nn.h"

#define RUNS 7
enum { S = 11, A = 3, EPISODES = 20, LEN = 1000 };

static void make_dataset(mimic_dataset *ds, mimic_rng *r) {
  float lo[A] = {-1, -1, -1}, hi[A] = {1, 1, 1};
  mimic_space os = mimic_space_box(S, NULL, NULL), as = mimic_space_box(A, lo, hi);
  mimic_data_space dos, das;
  if (mimic_data_space_from_env(&dos, &os) || mimic_data_space_from_env(&das, &as) ||
      mimic_dataset_init(ds, &dos, &das))
    die("dataset");
  mimic_data_space_free(&dos);
  mimic_data_space_free(&das);
  float *obs = malloc((LEN + 1) * S * sizeof *obs), *act = malloc(LEN * A * sizeof *act);
  double *rew = malloc(LEN * sizeof *rew);
  uint8_t *term = calloc(LEN, 1), *trunc = calloc(LEN, 1);
  trunc[LEN - 1] = 1;
  for (int e = 0; e < EPISODES; e++) {
    for (int i = 0; i < (LEN + 1) * S; i++) obs[i] = (float)mimic_rng_normal(r);
    for (int i = 0; i < LEN * A; i++) act[i] = (float)mimic_rng_uniform(r, -1, 1);
    for (int i = 0; i < LEN; i++) rew[i] = mimic_rng_uniform(r, 0, 3);
    mimic_episode ep = {LEN, obs, act, rew, term, trunc, e};
    if (mimic_dataset_add_episode(ds, &ep)) die("episode");
  }
  free(obs), free(act), free(rew), free(term), free(trunc);
}

/* One forward and backward pass of a fresh network on one batch, written
 * for bench/dt_torch.py: int32 header (S, A, max_ep_len, K, n_layer,
 * n_head, C, B, n_params), then params, states, actions, rtg, timesteps
 * (int32), w, out, grads. */
static void dump(mimic_dt *t, const char *path) {
  mimic_dt_net *n = &t->net;
  const int B = 4, K = t->cfg.context;
  mimic_rng r;
  mimic_rng_seed(&r, 99);
  /* weights larger than the init's so that every path matters */
  for (size_t i = 0; i < n->n_params; i++) n->params[i] += 0.05f * (float)mimic_rng_normal(&r);
  size_t bk = (size_t)B * K;
  float *s = malloc(bk * S * 4), *a = malloc(bk * A * 4), *rt = malloc(bk * 4),
        *w = malloc(bk * A * 4);
  int32_t *ts = malloc(bk * 4);
  for (size_t i = 0; i < bk * S; i++) s[i] = (float)mimic_rng_normal(&r);
  for (size_t i = 0; i < bk * A; i++) a[i] = (float)mimic_rng_uniform(&r, -1, 1);
  for (size_t i = 0; i < bk * A; i++) w[i] = (float)mimic_rng_normal(&r);
  for (size_t i = 0; i < bk; i++) rt[i] = (float)mimic_rng_normal(&r);
  for (size_t i = 0; i < bk; i++) ts[i] = (int32_t)(i % K) * 37 + (int32_t)(i / K);
  if (mimic_dt_net_forward(n, s, a, rt, ts, B, K)) die("forward");
  memcpy(n->dout, w, bk * A * 4);
  mimic_dt_net_zero_grad(n);
  mimic_dt_net_backward(n);
  FILE *f = fopen(path, "wb");
  if (!f) die(path);
  int32_t hdr[9] = {S,
                    A,
                    t->cfg.max_ep_len,
                    K,
                    t->cfg.n_layer,
                    t->cfg.n_head,
                    t->cfg.n_embd,
                    B,
                    (int32_t)n->n_params};
  fwrite(hdr, 4, 9, f);
  fwrite(n->params, 4, n->n_params, f);
  fwrite(s, 4, bk * S, f);
  fwrite(a, 4, bk * A, f);
  fwrite(rt, 4, bk, f);
  fwrite(ts, 4, bk, f);
  fwrite(w, 4, bk * A, f);
  fwrite(n->out, 4, bk * A, f);
  fwrite(n->grads, 4, n->n_params, f);
  fclose(f);
  free(s), free(a), free(rt), free(w), free(ts);
}

int main(int argc, char **argv) {
  const char *dump_path = argc == 3 && strcmp(argv[1], "--dump") == 0 ? argv[2] : NULL;
  if (argc != 1 && !dump_path) {
    fprintf(stderr, "usage: bench/dt [--dump FILE]\n");
    return 2;
  }
  mimic_nn_set_threads(1);
  mimic_rng r;
  mimic_rng_seed(&r, 1);
  mimic_dataset ds = {0};
  make_dataset(&ds, &r);
  mimic_dt_config c = mimic_dt_defaults();
  mimic_dt *t;
  if (mimic_dt_create(&c, &ds, &t)) die("create");
  if (dump_path) {
    dump(t, dump_path);
    mimic_dt_free(t);
    mimic_dataset_free(&ds);
    return 0;
  }
  long iters = 0;
  double t0 = mimic_now();
  while (mimic_now() - t0 < 0.5 || iters < 2) {
    if (mimic_dt_learn(t, 1, 0, NULL, NULL)) die("step");
    iters++;
  }
  long per_run = (long)(iters * 0.5 / (mimic_now() - t0)) + 1;
  double sps[RUNS];
  for (int k = 0; k < RUNS; k++) {
    double s = mimic_now();
    if (mimic_dt_learn(t, per_run, 0, NULL, NULL)) die("step");
    sps[k] = (double)per_run / (mimic_now() - s);
  }
  double m = median(sps, RUNS);
  printf("{\"bench\": \"dt\", \"config\": {\"context\": %d, \"n_layer\": %d, \"n_head\": %d, "
         "\"n_embd\": %d, \"batch_size\": %d, \"state_dim\": %d, \"act_dim\": %d}, "
         "\"steps_per_s\": %.3f, \"windows_per_s\": %.1f, \"ms_per_step\": %.2f, \"runs\": %d}\n",
         c.context, c.n_layer, c.n_head, c.n_embd, c.batch_size, S, A, m, m * c.batch_size, 1e3 / m,
         RUNS);
  mimic_dt_free(t);
  mimic_dataset_free(&ds);
  return 0;
}
