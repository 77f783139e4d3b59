/* The Decision Transformer acting (mimic_dt_evaluate): the one rollout
 * helper steps up to 16 copies of the environment, and each copy keeps
 * the window of its last K steps (normalised states, actions, returns-to-go,
 * timesteps). Every step the running copies' windows go through the
 * network as one batch, padded on the right to the longest (the causal
 * attention keeps padding out of what a window's last step sees); the
 * action predicted at each window's last state is taken (argmax, or the
 * tanh output scaled to the Box's bounds) and the copy's return-to-go falls
 * by the reward it brings. Episode k starts from reset(seed + k) whatever
 * the number of copies, so every figure depends on the seed alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/dt_impl.h"
#include "mimic/env.h"
#include "mimic/rollout.h"

#define DT_EVAL_COPIES 16

/* The windows of the copies: [n][K] rows each. */
typedef struct dt_windows {
  int n, K, S, aw;
  float *states, *actions, *rtg;
  int32_t *tstep;
  int *len;      /* [n] steps in each window */
  int *ep_t;     /* [n] the episode's current step */
  float *ep_rtg; /* [n] the return still to come, scaled */
} dt_windows;

static void window_start(dt_windows *w, int i, float rtg0) {
  w->len[i] = 0;
  w->ep_t[i] = 0;
  w->ep_rtg[i] = rtg0;
}

/* Appends copy i's observation as its window's newest step (dropping the
 * oldest when full). */
static void window_push(dt_windows *w, const mimic_dt *t, int i, const float *obs) {
  const int K = w->K, S = w->S, aw = w->aw;
  float *s = w->states + (size_t)i * K * S, *a = w->actions + (size_t)i * K * aw;
  float *r = w->rtg + (size_t)i * K;
  int32_t *ts = w->tstep + (size_t)i * K;
  if (w->len[i] == K) {
    memmove(s, s + S, (size_t)(K - 1) * S * sizeof *s);
    memmove(a, a + aw, (size_t)(K - 1) * aw * sizeof *a);
    memmove(r, r + 1, (size_t)(K - 1) * sizeof *r);
    memmove(ts, ts + 1, (size_t)(K - 1) * sizeof *ts);
    w->len[i]--;
  }
  int k = w->len[i]++;
  for (int d = 0; d < S; d++) s[k * S + d] = (obs[d] - t->obs_mean[d]) / t->obs_std[d];
  for (int d = 0; d < aw; d++) a[k * aw + d] = 0.0f; /* not seen by the prediction at k */
  r[k] = w->ep_rtg[i];
  ts[k] = w->ep_t[i];
}

/* Answers every running copy in one forward pass. */
static mimic_status act(mimic_dt *t, dt_windows *w, mimic_rollout *r) {
  const int K = w->K, S = w->S, aw = w->aw;
  int rows[DT_EVAL_COPIES], B = 0, Kb = 1;
  for (int i = 0; i < r->n; i++)
    if (r->running[i]) {
      rows[B++] = i;
      if (w->len[i] > Kb) Kb = w->len[i];
    }
  if (!B) return MIMIC_OK;
  for (int b = 0; b < B; b++) {
    int i = rows[b], L = w->len[i];
    for (int k = 0; k < Kb; k++) {
      size_t dst = (size_t)b * Kb + k, src = (size_t)i * K + k;
      bool on = k < L;
      for (int d = 0; d < S; d++) t->b_states[dst * S + d] = on ? w->states[src * S + d] : 0.0f;
      for (int d = 0; d < aw; d++)
        t->b_actions[dst * aw + d] = on ? w->actions[src * aw + d] : 0.0f;
      t->b_rtg[dst] = on ? w->rtg[src] : 0.0f;
      t->b_t[dst] = on ? w->tstep[src] : 0;
    }
  }
  MIMIC_TRY(mimic_dt_net_forward(&t->net, t->b_states, t->b_actions, t->b_rtg, t->b_t, B, Kb));
  for (int b = 0; b < B; b++) {
    int i = rows[b], k = w->len[i] - 1;
    const float *o = t->net.out + ((size_t)b * Kb + k) * t->A;
    float *dst = r->actions + (size_t)i * r->act_width,
          *hist = w->actions + ((size_t)i * K + k) * aw;
    if (t->discrete) {
      int best = 0;
      for (int a = 1; a < t->A; a++)
        if (o[a] > o[best]) best = a;
      dst[0] = hist[0] = (float)best;
    } else
      for (int d = 0; d < aw; d++) {
        hist[d] = o[d];
        dst[d] = t->act_low[d] + 0.5f * (o[d] + 1.0f) * (t->act_high[d] - t->act_low[d]);
      }
  }
  return MIMIC_OK;
}

static mimic_status check_env(const mimic_dt *t, const mimic_rollout *r, const char *env_id) {
  const mimic_space *as = mimic_env_action_space(r->envs[0]);
  bool same = r->obs_dim == t->S && (t->discrete ? as->kind == MIMIC_SPACE_DISCRETE && as->n == t->A
                                                 : as->kind == MIMIC_SPACE_BOX && as->dim == t->A);
  if (!same)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "decision transformer: %s's spaces (%d observations, %s %d) differ from the "
                      "model's (%d, %s %d)",
                      env_id, r->obs_dim, as->kind == MIMIC_SPACE_DISCRETE ? "Discrete" : "Box",
                      as->kind == MIMIC_SPACE_DISCRETE ? as->n : as->dim, t->S,
                      t->discrete ? "Discrete" : "Box", t->A);
  return MIMIC_OK;
}

static mimic_status run(mimic_dt *t, const char *env_id, const char *env_opts, float rtg0,
                        int episodes, uint64_t seed, mimic_eval_result *out, double *success) {
  mimic_rollout r;
  mimic_rollout_config rc = {.n = episodes < DT_EVAL_COPIES ? episodes : DT_EVAL_COPIES,
                             .seed = seed,
                             .episodes = episodes};
  if (rc.n > t->net.max_B) rc.n = t->net.max_B;
  MIMIC_TRY(mimic_rollout_open(&r, env_id, env_opts, &rc));
  dt_windows w = {.n = rc.n, .K = t->cfg.context, .S = t->S, .aw = t->aw};
  size_t nk = (size_t)w.n * w.K;
  w.states = mimic_malloc(nk * ((size_t)w.S + w.aw + 1) * sizeof(float) + w.n * sizeof(float),
                          "DT windows");
  w.tstep = mimic_malloc(nk * sizeof(int32_t) + 2 * (size_t)w.n * sizeof(int), "DT windows");
  mimic_status st = w.states && w.tstep ? MIMIC_OK : mimic_errcode();
  if (!st) st = check_env(t, &r, env_id);
  if (!st) {
    w.actions = w.states + nk * w.S;
    w.rtg = w.actions + nk * w.aw;
    w.ep_rtg = w.rtg + nk;
    w.len = (int *)(w.tstep + nk);
    w.ep_t = w.len + w.n;
    for (int i = 0; i < w.n; i++) window_start(&w, i, rtg0);
  }
  while (!st && !mimic_rollout_done(&r)) {
    for (int i = 0; i < r.n; i++)
      if (r.running[i]) window_push(&w, t, i, r.obs + (size_t)i * r.obs_dim);
    st = act(t, &w, &r);
    bool was[DT_EVAL_COPIES];
    for (int i = 0; i < r.n; i++) was[i] = r.running[i];
    if (!st) st = mimic_rollout_step(&r);
    for (int i = 0; !st && i < r.n; i++)
      if (was[i]) {
        w.ep_rtg[i] -= (float)(r.reward[i] / t->cfg.return_scale);
        w.ep_t[i]++;
      }
    for (int k = 0; !st && k < r.n_end; k++) {
      const mimic_episode_end *e = &r.end[k];
      out->returns[e->episode] = e->ret;
      out->lengths[e->episode] = e->length;
      success[e->episode] = e->success;
      window_start(&w, e->copy, rtg0);
    }
  }
  free(w.states);
  free(w.tstep);
  mimic_rollout_close(&r);
  return st;
}

mimic_status mimic_dt_evaluate(mimic_dt *t, const char *env_id, const char *env_opts,
                               double target_return, int episodes, uint64_t seed, bool normalize,
                               mimic_eval_result *out) {
  memset(out, 0, sizeof *out);
  if (episodes < 1) return mimic_fail(MIMIC_ERR_INVALID, "evaluation needs at least 1 episode");
  if (!isfinite(target_return))
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: the target return is %g",
                      target_return);
  out->episodes = episodes;
  out->returns = mimic_malloc((size_t)episodes * sizeof *out->returns, "returns");
  out->lengths = mimic_malloc((size_t)episodes * sizeof *out->lengths, "lengths");
  double *success = mimic_malloc((size_t)episodes * sizeof *success, "successes");
  mimic_status st = out->returns && out->lengths && success ? MIMIC_OK : mimic_errcode();
  if (!st)
    st = run(t, env_id, env_opts, (float)(target_return / t->cfg.return_scale), episodes, seed, out,
             success);
  if (!st) {
    double s = 0, s2 = 0, len = 0, succ = 0;
    for (int i = 0; i < episodes; i++) s += out->returns[i];
    out->return_mean = s / episodes;
    for (int i = 0; i < episodes; i++) {
      s2 += (out->returns[i] - out->return_mean) * (out->returns[i] - out->return_mean);
      len += out->lengths[i];
      succ += success[i];
    }
    out->return_std = sqrt(s2 / episodes); /* population std, as mimic_evaluate */
    out->length_mean = len / episodes;
    out->success_rate = succ / episodes;
    out->expert_return = out->random_return = out->normalized_score = NAN;
  }
  free(success);
  if (!st && normalize) {
    mimic_env *e = NULL;
    st = mimic_env_make(env_id, env_opts, &e);
    bool has = !st && mimic_env_has_expert(e);
    mimic_env_free(e);
    mimic_eval_config ec = mimic_eval_defaults();
    ec.progress = false;
    if (has)
      st = mimic_eval_references(env_id, env_opts, &ec, &out->expert_return, &out->random_return);
    if (!st && has) {
      double span = out->expert_return - out->random_return;
      out->normalized_score =
          fabs(span) > 1e-12 ? (out->return_mean - out->random_return) / span : NAN;
    }
  }
  if (st) mimic_eval_result_free(out);
  return st;
}
