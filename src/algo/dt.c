/* Decision Transformer: the configuration, the data in the form the
 * network reads, and learning (mimic/dt.h).
 *
 * The data is copied once into per-step rows: the standardised state, the
 * action (scaled to [-1, 1] by the Box's bounds, or the id), the scaled
 * return-to-go (the undiscounted sum of the episode's rewards from that
 * step on) and the step's index in its episode. A window starts at a
 * uniformly drawn step and runs for K steps or to its episode's end,
 * whichever comes first (so long episodes give proportionally more
 * windows, as the paper's length-weighted sampling does); the rest of the
 * window is padding that the loss skips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/dt_impl.h"

mimic_dt_config mimic_dt_defaults(void) {
  return (mimic_dt_config){.context = 20,
                           .n_layer = 3,
                           .n_head = 1,
                           .n_embd = 128,
                           .max_ep_len = 0,
                           .batch_size = 64,
                           .steps = 10000,
                           .lr = 1e-4,
                           .weight_decay = 1e-4,
                           .warmup_steps = 1000,
                           .grad_clip = 0.25,
                           .return_scale = 0,
                           .seed = 0};
}

mimic_status mimic_dt_check(const mimic_dt_config *c) {
  if (c->context < 1 || c->context > 1024)
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: context %d is not in 1..1024",
                      c->context);
  if (c->n_layer < 1 || c->n_layer > 32 || c->n_head < 1 || c->n_embd < 1 || c->n_embd % c->n_head)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "decision transformer: n_layer (1..32), n_head and n_embd must be positive "
                      "and n_embd a multiple of n_head (got %d, %d, %d)",
                      c->n_layer, c->n_head, c->n_embd);
  if (c->max_ep_len < 0 || c->batch_size < 1 || c->steps < 0 || c->warmup_steps < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: max_ep_len >= 0, batch_size >= 1, "
                                         "steps >= 0 and warmup_steps >= 0");
  if (!(c->lr > 0) || !(c->weight_decay >= 0) || !(c->grad_clip > 0) || !(c->return_scale >= 0) ||
      !isfinite(c->return_scale))
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: lr and grad_clip must be > 0, "
                                         "weight_decay and return_scale finite and >= 0");
  return MIMIC_OK;
}

mimic_status mimic_dt_alloc(mimic_dt *t, int max_B) {
  mimic_dt_net_config nc = {.state_dim = t->S,
                            .act_dim = t->A,
                            .discrete = t->discrete,
                            .max_ep_len = t->cfg.max_ep_len,
                            .context = t->cfg.context,
                            .n_layer = t->cfg.n_layer,
                            .n_head = t->cfg.n_head,
                            .n_embd = t->cfg.n_embd};
  MIMIC_TRY(mimic_dt_net_create(&t->net, &nc, max_B));
  mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAMW);
  oc.lr = t->cfg.lr;
  oc.weight_decay = t->cfg.weight_decay;
  MIMIC_TRY(mimic_optim_create(&t->opt, &oc, t->net.n_params));
  size_t bk = (size_t)max_B * t->cfg.context;
  t->b_states = mimic_malloc(bk * ((size_t)t->S + t->aw + 2) * sizeof(float), "a DT batch");
  t->b_t = mimic_malloc(bk * sizeof(int32_t), "a DT batch");
  if (!t->b_states || !t->b_t) return mimic_errcode();
  t->b_actions = t->b_states + bk * t->S;
  t->b_rtg = t->b_actions + bk * t->aw;
  t->b_mask = t->b_rtg + bk;
  return MIMIC_OK;
}

/* Copies ds into t's per-step rows (see the top of the file). */
static mimic_status prepare_data(mimic_dt *t, const mimic_dataset *ds) {
  const size_t N = ds->n_steps;
  const int S = t->S, aw = t->aw;
  t->states = mimic_malloc(N * ((size_t)S + aw + 1) * sizeof(float), "the DT's data");
  t->tstep = mimic_malloc(N * sizeof(int32_t), "the DT's data");
  t->ep_end = mimic_malloc(N * sizeof(uint64_t), "the DT's data");
  if (!t->states || !t->tstep || !t->ep_end) return mimic_errcode();
  t->actions = t->states + N * S;
  t->rtg = t->actions + N * aw;
  // standardisation over every step's state (double sums; std + 1e-6 as the paper's)
  for (int d = 0; d < S; d++) {
    double s = 0, s2 = 0;
    for (size_t j = 0; j < N; j++) s += mimic_dataset_step_obs(ds, j)[d];
    double mean = s / (double)N;
    for (size_t j = 0; j < N; j++) {
      double v = mimic_dataset_step_obs(ds, j)[d] - mean;
      s2 += v * v;
    }
    t->obs_mean[d] = (float)mean;
    t->obs_std[d] = (float)(sqrt(s2 / (double)N) + 1e-6);
  }
  double best = -INFINITY, sum = 0, max_abs = 0;
  int longest = 1;
  for (size_t e = 0; e < ds->n_episodes; e++) {
    uint64_t a = ds->ep_start[e], b = ds->ep_start[e + 1];
    double ret = 0;
    for (uint64_t j = b; j-- > a;) {
      ret += ds->rew[j];
      t->rtg[j] = (float)ret; /* scaled below, once the scale is known */
    }
    if (!isfinite(ret))
      return mimic_fail(MIMIC_ERR_FORMAT, "episode %zu: its rewards sum to %g", e, ret);
    if (ret > best) best = ret;
    sum += ret;
    if (fabs(ret) > max_abs) max_abs = fabs(ret);
    if ((int)(b - a) > longest) longest = (int)(b - a);
    for (uint64_t j = a; j < b; j++) {
      t->tstep[j] = (int32_t)(j - a);
      t->ep_end[j] = b;
      const float *o = mimic_dataset_step_obs(ds, j), *act = mimic_dataset_step_act(ds, j);
      for (int d = 0; d < S; d++) t->states[j * S + d] = (o[d] - t->obs_mean[d]) / t->obs_std[d];
      for (int d = 0; d < aw; d++) {
        float v = act[d];
        if (!t->discrete) {
          v = 2.0f * (v - t->act_low[d]) / (t->act_high[d] - t->act_low[d]) - 1.0f;
          v = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
        }
        t->actions[j * aw + d] = v;
      }
    }
  }
  t->best_return = best;
  t->mean_return = sum / (double)ds->n_episodes;
  if (t->cfg.return_scale == 0) t->cfg.return_scale = max_abs > 0 ? max_abs : 1.0;
  if (t->cfg.max_ep_len == 0) t->cfg.max_ep_len = longest;
  for (size_t j = 0; j < N; j++) t->rtg[j] = (float)(t->rtg[j] / t->cfg.return_scale);
  return MIMIC_OK;
}

mimic_status mimic_dt_create(const mimic_dt_config *cfg, const mimic_dataset *ds, mimic_dt **out) {
  *out = NULL;
  MIMIC_TRY(mimic_dt_check(cfg));
  if (ds->n_steps == 0 || ds->n_episodes == 0)
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: the dataset has no steps");
  if (!ds->rew)
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: the dataset has no rewards");
  const mimic_space *as = &ds->act_space.space;
  if (as->kind == MIMIC_SPACE_BOX)
    for (int d = 0; d < as->dim; d++)
      if (!isfinite(as->low[d]) || !isfinite(as->high[d]) || !(as->high[d] > as->low[d]))
        return mimic_fail(MIMIC_ERR_INVALID,
                          "decision transformer: action %d's bounds [%g, %g] are not finite: the "
                          "network answers in the Box's bounds",
                          d, (double)as->low[d], (double)as->high[d]);
  mimic_dt *t = mimic_calloc(1, sizeof *t, "a decision transformer");
  if (!t) return mimic_errcode();
  t->cfg = *cfg;
  t->S = ds->obs_dim;
  t->discrete = as->kind == MIMIC_SPACE_DISCRETE;
  t->aw = t->discrete ? 1 : as->dim;
  t->A = t->discrete ? as->n : as->dim;
  t->obs_mean = mimic_malloc((2 * (size_t)t->S + 2 * (size_t)t->aw) * sizeof(float), "stats");
  mimic_status st = t->obs_mean ? MIMIC_OK : mimic_errcode();
  if (!st) {
    t->obs_std = t->obs_mean + t->S;
    t->act_low = t->obs_std + t->S;
    t->act_high = t->act_low + t->aw;
    for (int d = 0; d < t->aw; d++) {
      t->act_low[d] = t->discrete ? 0.0f : as->low[d];
      t->act_high[d] = t->discrete ? (float)t->A : as->high[d];
    }
    if (ds->meta.env_id && !(t->env_id = strdup(ds->meta.env_id)))
      st = mimic_fail_nomem("an env id");
  }
  t->n_steps = ds->n_steps;
  if (!st) st = prepare_data(t, ds);
  if (!st) st = mimic_dt_alloc(t, cfg->batch_size);
  if (st) {
    mimic_dt_free(t);
    return st;
  }
  mimic_rng init;
  mimic_rng_seed(&init, cfg->seed);
  mimic_dt_net_init(&t->net, &init);
  mimic_rng_seed(&t->rng, cfg->seed ^ 0xd7d7d7d7ULL);
  *out = t;
  return MIMIC_OK;
}

void mimic_dt_free(mimic_dt *t) {
  if (!t) return;
  mimic_dt_net_free(&t->net);
  mimic_optim_free(&t->opt);
  free(t->obs_mean);
  free(t->env_id);
  free(t->states);
  free(t->tstep);
  free(t->ep_end);
  free(t->b_states);
  free(t->b_t);
  free(t);
}

long mimic_dt_steps(const mimic_dt *t) { return t->step; }

const mimic_dt_config *mimic_dt_config_of(const mimic_dt *t) { return &t->cfg; }

void mimic_dt_data_returns(const mimic_dt *t, double *best, double *mean) {
  if (best) *best = t->states ? t->best_return : NAN;
  if (mean) *mean = t->states ? t->mean_return : NAN;
}

/* Fills the batch with B windows drawn from the data; returns the real steps. */
static long draw_batch(mimic_dt *t) {
  const int B = t->cfg.batch_size, K = t->cfg.context, S = t->S, aw = t->aw;
  long real = 0;
  for (int b = 0; b < B; b++) {
    size_t j0 = (size_t)mimic_rng_integers(&t->rng, 0, (int64_t)t->n_steps);
    size_t len = t->ep_end[j0] - j0;
    if (len > (size_t)K) len = (size_t)K;
    for (int k = 0; k < K; k++) {
      size_t i = (size_t)b * K + k, j = j0 + (size_t)k;
      bool on = (size_t)k < len;
      for (int d = 0; d < S; d++) t->b_states[i * S + d] = on ? t->states[j * S + d] : 0.0f;
      for (int d = 0; d < aw; d++) t->b_actions[i * aw + d] = on ? t->actions[j * aw + d] : 0.0f;
      t->b_rtg[i] = on ? t->rtg[j] : 0.0f;
      t->b_t[i] = on ? t->tstep[j] : 0;
      t->b_mask[i] = on ? 1.0f : 0.0f;
    }
    real += (long)len;
  }
  return real;
}

/* The loss of the last forward against the batch's actions (cross-entropy
 * of the logits, or the mean squared error of the tanh actions over every
 * real step and dimension); writes its gradient into net.dout. */
static double batch_loss(mimic_dt *t, long real) {
  const int BK = t->cfg.batch_size * t->cfg.context, A = t->A;
  const float *out = t->net.out;
  float *d = t->net.dout;
  double total = 0;
  if (t->discrete) {
    const float inv = 1.0f / (float)real;
    for (int i = 0; i < BK; i++) {
      const float *z = out + (size_t)i * A;
      float *g = d + (size_t)i * A;
      if (t->b_mask[i] == 0.0f) {
        memset(g, 0, (size_t)A * sizeof *g);
        continue;
      }
      int y = (int)t->b_actions[i];
      float mx = z[0], sum = 0.0f;
      for (int a = 1; a < A; a++)
        if (z[a] > mx) mx = z[a];
      for (int a = 0; a < A; a++) sum += (g[a] = expf(z[a] - mx));
      total += (double)logf(sum) + mx - z[y];
      for (int a = 0; a < A; a++) g[a] *= inv / sum;
      g[y] -= inv;
    }
    return total / (double)real;
  }
  const float inv = 2.0f / (float)(real * A);
  for (int i = 0; i < BK; i++)
    for (int a = 0; a < A; a++) {
      size_t k = (size_t)i * A + a;
      float e = t->b_mask[i] != 0.0f ? out[k] - t->b_actions[k] : 0.0f;
      total += (double)e * e;
      d[k] = inv * e;
    }
  return total / (double)(real * A);
}

mimic_status mimic_dt_learn(mimic_dt *t, long steps, long log_every, mimic_dt_callback cb,
                            void *user) {
  if (!t->states)
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: a loaded model has no data to "
                                         "learn from");
  long stop = steps > 0 ? t->step + steps : t->cfg.steps;
  const int B = t->cfg.batch_size, K = t->cfg.context;
  while (t->step < stop) {
    double t0 = mimic_now();
    long real = draw_batch(t);
    MIMIC_TRY(mimic_dt_net_forward(&t->net, t->b_states, t->b_actions, t->b_rtg, t->b_t, B, K));
    double loss = batch_loss(t, real);
    mimic_dt_net_zero_grad(&t->net);
    mimic_dt_net_backward(&t->net);
    mimic_clip_grad_norm(t->net.grads, t->net.n_params, (float)t->cfg.grad_clip);
    double warm = t->cfg.warmup_steps > 0 ? (double)(t->step + 1) / (double)t->cfg.warmup_steps : 1;
    t->opt.cfg.lr = t->cfg.lr * (warm < 1 ? warm : 1);
    mimic_optim_step(&t->opt, t->net.params, t->net.grads);
    t->step++;
    t->loss_sum += loss;
    t->loss_n++;
    t->seconds += mimic_now() - t0;
    if (!isfinite(loss))
      return mimic_fail(MIMIC_ERR_RANGE, "decision transformer: the loss is %g at step %ld", loss,
                        t->step);
    if (cb && log_every > 0 && (t->step % log_every == 0 || t->step == stop)) {
      mimic_dt_log row = {.step = t->step,
                          .loss = t->loss_sum / (double)t->loss_n,
                          .lr = t->opt.cfg.lr,
                          .eval_return = NAN,
                          .seconds = t->seconds};
      t->loss_sum = 0;
      t->loss_n = 0;
      if (!cb(t, &row, user)) break;
    }
  }
  return MIMIC_OK;
}
