/* Preference comparisons (mimic/preferences.h): fragments of the agent's
 * behaviour, questions, a Bradley-Terry reward ensemble, PPO on it.
 *
 * Sampling keeps one rollout of the agent's N environments open for the
 * whole run and records each round's steps per copy in time order (copy i's
 * step t is row i * T + t), with an episode number per row: a fragment may
 * start at any row whose next L - 1 rows are the same copy's same episode.
 * Compared fragments are copied into the comparison set, so the sample
 * buffers are reused every round. */
#include "mimic/preferences.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/rollout.h"
#include "algo/bradley_terry.h"
#include "algo/reward_net.h"
#include "algo/rl_running.h"
#include "core/util.h"
#include "nn/layers.h"
#include "nn/model.h"
#include "nn/optim.h"

/* Fragments copied out of the samples: obs, next_obs and actions of L steps,
 * and their true rewards. */
typedef struct fragment_set {
  int n, cap;
  float *obs, *next, *act; /* (cap, L, D), (cap, L, D), (cap, L, aw) */
  double *rew;             /* (cap, L) */
} fragment_set;

enum { MAX_ITERATIONS = 1023 }; /* the schedule's arrays live on the stack */

struct mimic_pref {
  mimic_pref_config cfg;
  mimic_pref_gather_fn gather;
  void *gather_user;
  mimic_ppo *agent;
  int D, aw, L, N;
  mimic_rng rng;
  /* the reward ensemble */
  int K;
  mimic_reward_net *nets;
  mimic_optim *opts;
  rl_running *norms;
  double r_mean, r_std; /* standardisation of the ensemble's mean output */
  double *r_scratch;    /* (cap_scratch) one member's rewards */
  int cap_scratch;
  /* comparisons: fragments 2j and 2j + 1 with preference pref[j] */
  fragment_set cmp;
  double *pref;
  int ties;
  /* this round's samples */
  mimic_rollout roll;
  int T;                         /* steps per copy */
  float *s_obs, *s_next, *s_act; /* (N * T, .) */
  double *s_rew;
  long *s_episode;
  long episodes_begun; /* numbers episodes across copies */
  long *copy_episode;  /* (N) the episode each copy is in */
  int *starts;         /* rows where a fragment may start */
  long sample_steps;
  /* training scratch: 2 * reward_batch * L rows */
  float *b_obs, *b_next, *b_act, *b_r1, *b_r2, *b_g1, *b_g2, *b_dl;
  double *b_pref;
};

mimic_pref_config mimic_pref_defaults(const char *env_id) {
  mimic_pref_config c = {
      .ppo = mimic_ppo_defaults(),
      .comparisons = 1000,
      .iterations = 10,
      .initial_comparison_frac = 0.1,
      .initial_epoch_multiplier = 200,
      .fragment_length = 100,
      .transition_oversampling = 1,
      .pairs = MIMIC_PAIRS_RANDOM,
      .sample_factor = 2,
      .ensemble = 1,
      .reward_inputs = MIMIC_REWARD_STATE,
      .reward_n_hidden = 2,
      .reward_hidden = {32, 32},
      .reward_activation = MIMIC_ACT_RELU,
      .reward_lr = 1e-3,
      .reward_batch = 32,
      .reward_epochs = 3,
      .discount = 1,
      .temperature = 1,
      .oracle_sample = true,
      .seed = 0,
  };
  c.ppo.env_id = env_id;
  if (env_id) mimic_ppo_preset(env_id, &c.ppo);
  /* the agent learns from a reward that is itself still being learned: on
   * (fixed-horizon) CartPole PPO's 100k-step preset left 4 seeds of 5 below
   * 475, three times as many steps brought seeds 0-4 to 500 (docs/preferences.md) */
  if (env_id && !strcmp(env_id, "CartPole-v1")) c.ppo.total_steps = 300000;
  return c;
}

mimic_status mimic_pref_check(const mimic_pref_config *c) {
  MIMIC_TRY(mimic_ppo_check(&c->ppo));
  if (c->comparisons < 1) return mimic_fail(MIMIC_ERR_INVALID, "comparisons must be at least 1");
  if (c->iterations < 1 || c->iterations > MAX_ITERATIONS)
    return mimic_fail(MIMIC_ERR_INVALID, "iterations must be 1..%d", MAX_ITERATIONS);
  if (!(c->initial_comparison_frac >= 0 && c->initial_comparison_frac < 1))
    return mimic_fail(MIMIC_ERR_INVALID, "initial_comparison_frac must be in [0, 1)");
  if (!(c->initial_epoch_multiplier >= 1 && c->initial_epoch_multiplier <= 1e4))
    return mimic_fail(MIMIC_ERR_INVALID, "initial_epoch_multiplier must be in [1, 10000]");
  if (c->fragment_length < 1 || c->fragment_length > 100000)
    return mimic_fail(MIMIC_ERR_INVALID, "fragment_length must be in 1..100000");
  if (!(c->transition_oversampling >= 1 && c->transition_oversampling <= 100))
    return mimic_fail(MIMIC_ERR_INVALID, "transition_oversampling must be in [1, 100]");
  if (c->ensemble < 1 || c->ensemble > 32)
    return mimic_fail(MIMIC_ERR_INVALID, "ensemble must be 1..32 reward networks");
  if (c->pairs == MIMIC_PAIRS_DISAGREEMENT && c->ensemble < 2)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "choosing pairs by disagreement needs an ensemble of 2 or more networks");
  if (c->pairs != MIMIC_PAIRS_RANDOM && c->pairs != MIMIC_PAIRS_DISAGREEMENT)
    return mimic_fail(MIMIC_ERR_INVALID, "pairs must be random or disagreement");
  if (c->sample_factor < 1 || c->sample_factor > 100)
    return mimic_fail(MIMIC_ERR_INVALID, "sample_factor must be 1..100");
  if (!mimic_reward_inputs_name(c->reward_inputs))
    return mimic_fail(MIMIC_ERR_INVALID, "unknown reward inputs %d", (int)c->reward_inputs);
  if (c->reward_n_hidden < 0 || c->reward_n_hidden > MIMIC_MLP_MAX_LAYERS - 1)
    return mimic_fail(MIMIC_ERR_INVALID, "the reward network has 0..%d hidden layers",
                      MIMIC_MLP_MAX_LAYERS - 1);
  for (int i = 0; i < c->reward_n_hidden; i++)
    if (c->reward_hidden[i] < 1 || c->reward_hidden[i] > 65536)
      return mimic_fail(MIMIC_ERR_INVALID, "reward hidden width %d is out of 1..65536",
                        c->reward_hidden[i]);
  if (!(c->reward_lr > 0 && c->reward_lr < 1))
    return mimic_fail(MIMIC_ERR_INVALID, "reward_lr must be in (0, 1)");
  if (c->reward_batch < 1 || c->reward_batch > 4096)
    return mimic_fail(MIMIC_ERR_INVALID, "reward_batch must be 1..4096");
  if (c->reward_epochs < 1 || c->reward_epochs > 1000)
    return mimic_fail(MIMIC_ERR_INVALID, "reward_epochs must be 1..1000");
  if ((double)c->reward_batch * 2 * c->fragment_length > 1 << 24)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "reward_batch x fragment_length is too large (%d x %d transitions a step)",
                      c->reward_batch, c->fragment_length);
  if (!(c->discount > 0 && c->discount <= 1))
    return mimic_fail(MIMIC_ERR_INVALID, "discount must be in (0, 1]");
  if (!(c->temperature > 0 && isfinite(c->temperature)))
    return mimic_fail(MIMIC_ERR_INVALID, "temperature must be positive");
  return MIMIC_OK;
}

/* ---- fragments -------------------------------------------------------------- */

static mimic_status fragments_reserve(fragment_set *s, int n, int L, int D, int aw) {
  if (n <= s->cap) return MIMIC_OK;
  int cap = s->cap ? s->cap : 64;
  while (cap < n) cap *= 2;
  const size_t l = (size_t)L;
  float *o = realloc(s->obs, (size_t)cap * l * (size_t)D * sizeof *o);
  if (o) s->obs = o;
  float *x = realloc(s->next, (size_t)cap * l * (size_t)D * sizeof *x);
  if (x) s->next = x;
  float *a = realloc(s->act, (size_t)cap * l * (size_t)aw * sizeof *a);
  if (a) s->act = a;
  double *r = realloc(s->rew, (size_t)cap * l * sizeof *r);
  if (r) s->rew = r;
  if (!o || !x || !a || !r) return mimic_fail_nomem("the comparison set");
  s->cap = cap;
  return MIMIC_OK;
}

static void fragments_free(fragment_set *s) {
  free(s->obs);
  free(s->next);
  free(s->act);
  free(s->rew);
  memset(s, 0, sizeof *s);
}

/* A view of comparison fragment f. */
static mimic_fragment stored_fragment(const mimic_pref *p, int f) {
  const size_t L = (size_t)p->L, D = (size_t)p->D, aw = (size_t)p->aw;
  return (mimic_fragment){.obs = p->cmp.obs + (size_t)f * L * D,
                          .next_obs = p->cmp.next + (size_t)f * L * D,
                          .actions = p->cmp.act + (size_t)f * L * aw,
                          .rewards = p->cmp.rew + (size_t)f * L,
                          .length = p->L,
                          .obs_dim = p->D,
                          .act_width = p->aw};
}

/* A view of the sampled fragment starting at row. */
static mimic_fragment sampled_fragment(const mimic_pref *p, int row) {
  const size_t D = (size_t)p->D, aw = (size_t)p->aw;
  return (mimic_fragment){.obs = p->s_obs + (size_t)row * D,
                          .next_obs = p->s_next + (size_t)row * D,
                          .actions = p->s_act + (size_t)row * aw,
                          .rewards = p->s_rew + row,
                          .length = p->L,
                          .obs_dim = p->D,
                          .act_width = p->aw};
}

/* ---- sampling ----------------------------------------------------------------- */

/* Grows the sample buffers to T steps per copy. */
static mimic_status samples_reserve(mimic_pref *p, int T) {
  if (T <= p->T) return MIMIC_OK;
  const size_t rows = (size_t)p->N * (size_t)T, D = (size_t)p->D, aw = (size_t)p->aw;
  free(p->s_obs);
  free(p->s_rew);
  free(p->s_episode);
  free(p->starts);
  p->s_obs = mimic_malloc(rows * (2 * D + aw) * sizeof(float), "fragment samples");
  p->s_rew = mimic_malloc(rows * sizeof(double), "fragment samples");
  p->s_episode = mimic_malloc(rows * sizeof(long), "fragment samples");
  p->starts = mimic_malloc(rows * sizeof(int), "fragment samples");
  if (!p->s_obs || !p->s_rew || !p->s_episode || !p->starts) {
    p->T = 0;
    return MIMIC_ERR_NOMEM;
  }
  p->s_next = p->s_obs + rows * D;
  p->s_act = p->s_next + rows * D;
  p->T = T;
  return MIMIC_OK;
}

/* Runs the agent's stochastic policy for T steps on every copy, recording
 * the steps; returns in *n_starts the rows where a fragment may start. */
static mimic_status sample(mimic_pref *p, int T, int *n_starts) {
  MIMIC_TRY(samples_reserve(p, T));
  mimic_model model;
  MIMIC_TRY(mimic_ppo_copy_model(p->agent, &model));
  mimic_policy *policy;
  mimic_env *env0 = p->roll.envs[0];
  MIMIC_TRY(mimic_policy_from_model(&model, mimic_env_action_space(env0), &policy));
  const size_t D = (size_t)p->D, aw = (size_t)p->aw;
  mimic_status st = MIMIC_OK;
  for (int t = 0; t < T && st == MIMIC_OK; t++) {
    st = mimic_rollout_act(&p->roll, policy, false, &p->rng);
    for (int i = 0; i < p->N && st == MIMIC_OK; i++) {
      const size_t row = (size_t)i * (size_t)T + (size_t)t;
      memcpy(p->s_obs + row * D, p->roll.obs + (size_t)i * D, D * sizeof(float));
      memcpy(p->s_act + row * aw, p->roll.actions + (size_t)i * aw, aw * sizeof(float));
      p->s_episode[row] = p->copy_episode[i];
    }
    if (st == MIMIC_OK) st = mimic_rollout_step(&p->roll);
    for (int i = 0; i < p->N && st == MIMIC_OK; i++) {
      const size_t row = (size_t)i * (size_t)T + (size_t)t;
      const bool ended = p->roll.terminated[i] || p->roll.truncated[i];
      memcpy(p->s_next + row * D, (ended ? p->roll.final_obs : p->roll.obs) + (size_t)i * D,
             D * sizeof(float));
      p->s_rew[row] = p->roll.reward[i];
      if (ended) p->copy_episode[i] = p->episodes_begun++;
    }
  }
  mimic_policy_free(policy);
  MIMIC_TRY(st);
  p->sample_steps += (long)T * p->N;
  int n = 0;
  for (int i = 0; i < p->N; i++)
    for (int t = 0; t + p->L <= T; t++) {
      const int row = i * T + t;
      if (p->s_episode[row] == p->s_episode[row + p->L - 1]) p->starts[n++] = row;
    }
  if (n == 0)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "no episode of the agent lasted %d steps, so no fragment of that length "
                      "fits in one (lower the fragment length)",
                      p->L);
  *n_starts = n;
  return MIMIC_OK;
}

/* ---- the reward ensemble --------------------------------------------------------- */

/* Assembles the inputs of rows transitions into member k's buffer and
 * runs it; update_stats also feeds its running input statistics first.
 * Returns the normalised inputs (for backward) and leaves the outputs in
 * the model's actor.out. */
static const float *member_forward(mimic_pref *p, int k, const float *obs, const float *act,
                                   const float *next, int rows, bool update_stats,
                                   mimic_status *st) {
  mimic_reward_net *r = &p->nets[k];
  *st = mimic_reward_net_inputs(r, obs, act, next, rows);
  if (*st) return NULL;
  if (update_stats) {
    rl_running_update(&p->norms[k], r->in_buf, (size_t)rows, (size_t)r->in_dim);
    rl_running_get(&p->norms[k], r->model.obs_mean, r->model.obs_var);
    *st = mimic_model_set_obs_norm(&r->model, r->model.obs_mean, r->model.obs_var, 1e-5f, 0.0f);
    if (*st) return NULL;
  }
  *st = mimic_model_forward(&r->model, r->in_buf, rows);
  return r->model.obs_norm ? r->model.obs_buf : r->in_buf;
}

/* Copies comparison pairs idx[0..B) into the batch rows: pair b's first
 * fragment at rows [2bL, 2bL + L), its second right after. */
static void batch_rows(mimic_pref *p, const int *idx, int B) {
  const size_t L = (size_t)p->L, D = (size_t)p->D, aw = (size_t)p->aw;
  for (int b = 0; b < B; b++)
    for (int side = 0; side < 2; side++) {
      const mimic_fragment f = stored_fragment(p, 2 * idx[b] + side);
      const size_t row = (2 * (size_t)b + (size_t)side) * L;
      memcpy(p->b_obs + row * D, f.obs, L * D * sizeof(float));
      memcpy(p->b_next + row * D, f.next_obs, L * D * sizeof(float));
      memcpy(p->b_act + row * aw, f.actions, L * aw * sizeof(float));
    }
}

/* Splits outputs of batch rows into the two sides' (B, L) rewards. */
static void split_sides(const mimic_pref *p, const float *out, int B, float *r1, float *r2) {
  const size_t L = (size_t)p->L;
  for (int b = 0; b < B; b++) {
    memcpy(r1 + (size_t)b * L, out + 2 * (size_t)b * L, L * sizeof(float));
    memcpy(r2 + (size_t)b * L, out + (2 * (size_t)b + 1) * L, L * sizeof(float));
  }
}

/* One Adam step of member k on comparison pairs idx[0..B). */
static mimic_status member_step(mimic_pref *p, int k, const int *idx, int B) {
  batch_rows(p, idx, B);
  for (int b = 0; b < B; b++) p->b_pref[b] = p->pref[idx[b]];
  const int rows = 2 * B * p->L;
  mimic_status st;
  const float *x = member_forward(p, k, p->b_obs, p->b_act, p->b_next, rows, true, &st);
  MIMIC_TRY(st);
  mimic_reward_net *r = &p->nets[k];
  split_sides(p, r->model.actor.out, B, p->b_r1, p->b_r2);
  mimic_bt_loss(p->b_r1, p->b_r2, p->b_pref, B, p->L, p->cfg.discount, p->b_g1, p->b_g2, NULL);
  const size_t L = (size_t)p->L;
  for (int b = 0; b < B; b++) {
    memcpy(p->b_dl + 2 * (size_t)b * L, p->b_g1 + (size_t)b * L, L * sizeof(float));
    memcpy(p->b_dl + (2 * (size_t)b + 1) * L, p->b_g2 + (size_t)b * L, L * sizeof(float));
  }
  mimic_model_zero_grad(&r->model);
  MIMIC_TRY(mimic_mlp_backward(&r->model.actor, x, p->b_dl, rows, NULL));
  mimic_optim_step(&p->opts[k], r->model.params, r->model.grads);
  return MIMIC_OK;
}

/* Trains every member for epochs passes over the comparisons, each member
 * in its own shuffled order (from its own generator). */
static mimic_status train_reward(mimic_pref *p, int epochs, mimic_rng *member_rngs) {
  const int n = p->cmp.n / 2, B = p->cfg.reward_batch;
  int *order = mimic_malloc((size_t)n * sizeof *order, "comparison order");
  if (!order) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (int k = 0; k < p->K && st == MIMIC_OK; k++)
    for (int e = 0; e < epochs && st == MIMIC_OK; e++) {
      for (int j = 0; j < n; j++) order[j] = j;
      mimic_rng_shuffle(&member_rngs[k], order, (size_t)n, sizeof *order);
      for (int s = 0; s < n && st == MIMIC_OK; s += B)
        st = member_step(p, k, order + s, n - s < B ? n - s : B);
    }
  free(order);
  return st;
}

/* The ensemble's mean raw output for rows transitions, into out (double). */
static mimic_status ensemble_mean(mimic_pref *p, const float *obs, const float *act,
                                  const float *next, int rows, double *out) {
  for (int i = 0; i < rows; i++) out[i] = 0;
  for (int k = 0; k < p->K; k++) {
    mimic_status st;
    member_forward(p, k, obs, act, next, rows, false, &st);
    MIMIC_TRY(st);
    const float *y = p->nets[k].model.actor.out;
    for (int i = 0; i < rows; i++) out[i] += y[i] / p->K;
  }
  return MIMIC_OK;
}

/* After training: the loss and accuracy of the ensemble's mean reward on
 * the comparisons, and the standardisation of the reward the agent sees. */
static mimic_status reward_report(mimic_pref *p, mimic_pref_round *out) {
  const int n = p->cmp.n / 2, B = p->cfg.reward_batch, L = p->L;
  double loss = 0, sum = 0, sum_sq = 0;
  int right = 0, decided = 0;
  int idx[4096];
  double *mean = p->r_scratch;
  for (int s = 0; s < n; s += B) {
    const int b_n = n - s < B ? n - s : B;
    for (int b = 0; b < b_n; b++) idx[b] = s + b;
    batch_rows(p, idx, b_n);
    const int rows = 2 * b_n * L;
    MIMIC_TRY(ensemble_mean(p, p->b_obs, p->b_act, p->b_next, rows, mean));
    for (int i = 0; i < rows; i++) {
      sum += mean[i];
      sum_sq += mean[i] * mean[i];
      p->b_dl[i] = (float)mean[i];
    }
    split_sides(p, p->b_dl, b_n, p->b_r1, p->b_r2);
    double prob[4096];
    for (int b = 0; b < b_n; b++) p->b_pref[b] = p->pref[s + b];
    loss +=
        b_n * mimic_bt_loss(p->b_r1, p->b_r2, p->b_pref, b_n, L, p->cfg.discount, NULL, NULL, prob);
    for (int b = 0; b < b_n; b++) {
      if (p->b_pref[b] == 0.5) continue;
      decided++;
      right += (prob[b] > 0.5) == (p->b_pref[b] > 0.5);
    }
  }
  const double rows = 2.0 * n * L, m = sum / rows, var = sum_sq / rows - m * m;
  p->r_mean = m;
  p->r_std = var > 1e-16 ? sqrt(var) : 1.0;
  out->reward_loss = loss / n;
  out->reward_accuracy = decided ? (double)right / decided : NAN;
  return MIMIC_OK;
}

/* PPO's reward: the ensemble's mean, standardised (user = the trainer). */
static mimic_status learned_reward(void *user, const float *obs, const float *act,
                                   const float *next_obs, const bool *terminated, int n,
                                   double *rewards) {
  (void)terminated;
  mimic_pref *p = user;
  for (int s = 0; s < n; s += p->cap_scratch) {
    const int m = n - s < p->cap_scratch ? n - s : p->cap_scratch;
    const size_t D = (size_t)p->D, aw = (size_t)p->aw;
    MIMIC_TRY(ensemble_mean(p, obs + (size_t)s * D, act + (size_t)s * aw, next_obs + (size_t)s * D,
                            m, rewards + s));
  }
  for (int i = 0; i < n; i++) rewards[i] = (rewards[i] - p->r_mean) / p->r_std;
  return MIMIC_OK;
}

/* ---- questions ------------------------------------------------------------------ */

mimic_status mimic_pref_oracle(void *user, const mimic_fragment *first,
                               const mimic_fragment *second, int n, double *preference) {
  mimic_pref *p = user;
  const mimic_pref_config *c = &p->cfg;
  for (int j = 0; j < n; j++) {
    double R[2] = {0, 0};
    const mimic_fragment *f[2] = {&first[j], &second[j]};
    for (int side = 0; side < 2; side++) {
      double w = 1;
      for (int t = 0; t < f[side]->length; t++, w *= c->discount)
        R[side] += w * f[side]->rewards[t];
    }
    double d = (R[0] - R[1]) / c->temperature;
    if (d > MIMIC_BT_CLIP) d = MIMIC_BT_CLIP;
    if (d < -MIMIC_BT_CLIP) d = -MIMIC_BT_CLIP;
    const double prob = 1 / (1 + exp(-d));
    preference[j] = c->oracle_sample ? (mimic_rng_double(&p->rng) < prob ? 1.0 : 0.0) : prob;
    if (R[0] == R[1] && c->oracle_sample) preference[j] = 0.5; /* a tie is a tie, not a coin */
  }
  return MIMIC_OK;
}

/* The predicted return difference (first - second) of every member for
 * candidate pair (a, b) of sampled rows; returns their variance. */
static mimic_status disagreement(mimic_pref *p, int a, int b, double *var) {
  double sum = 0, sum_sq = 0;
  const mimic_fragment f[2] = {sampled_fragment(p, a), sampled_fragment(p, b)};
  for (int k = 0; k < p->K; k++) {
    double R[2];
    for (int side = 0; side < 2; side++) {
      mimic_status st;
      member_forward(p, k, f[side].obs, f[side].actions, f[side].next_obs, p->L, false, &st);
      MIMIC_TRY(st);
      R[side] = mimic_bt_return(p->nets[k].model.actor.out, p->L, p->cfg.discount);
    }
    sum += R[0] - R[1];
    sum_sq += (R[0] - R[1]) * (R[0] - R[1]);
  }
  *var = sum_sq / p->K - (sum / p->K) * (sum / p->K);
  return MIMIC_OK;
}

typedef struct candidate {
  int a, b;
  double var;
  int order;
} candidate;

/* Most disputed first; the earlier drawn among equals. */
static int by_dispute(const void *x, const void *y) {
  const candidate *a = x, *b = y;
  if (a->var != b->var) return a->var < b->var ? 1 : -1;
  return a->order - b->order;
}

/* Samples, picks n pairs, asks them, and keeps the answered ones. */
static mimic_status ask(mimic_pref *p, int n, mimic_pref_round *out) {
  const bool active = p->cfg.pairs == MIMIC_PAIRS_DISAGREEMENT;
  const int n_cand = active ? n * p->cfg.sample_factor : n;
  const double need = p->cfg.transition_oversampling * 2.0 * n_cand * p->L;
  int T = (int)ceil(need / p->N);
  if (T < p->L) T = p->L;
  int n_starts = 0;
  MIMIC_TRY(sample(p, T, &n_starts));
  candidate *cand = mimic_malloc((size_t)n_cand * sizeof *cand, "candidate pairs");
  mimic_fragment *first = mimic_malloc(2 * (size_t)n * sizeof *first, "questions");
  double *answer = mimic_malloc((size_t)n * sizeof *answer, "answers");
  mimic_status st = cand && first && answer ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (int j = 0; j < n_cand && st == MIMIC_OK; j++) {
    cand[j].a = p->starts[mimic_rng_integers(&p->rng, 0, n_starts)];
    cand[j].b = p->starts[mimic_rng_integers(&p->rng, 0, n_starts)];
    cand[j].order = j;
    cand[j].var = 0;
    if (active) st = disagreement(p, cand[j].a, cand[j].b, &cand[j].var);
  }
  if (st == MIMIC_OK && active) qsort(cand, (size_t)n_cand, sizeof *cand, by_dispute);
  mimic_fragment *second = first + n;
  for (int j = 0; st == MIMIC_OK && j < n; j++) {
    first[j] = sampled_fragment(p, cand[j].a);
    second[j] = sampled_fragment(p, cand[j].b);
  }
  if (st == MIMIC_OK) st = p->gather(p->gather_user, first, second, n, answer);
  for (int j = 0; st == MIMIC_OK && j < n; j++)
    if (!isnan(answer[j]) && !(answer[j] >= 0 && answer[j] <= 1))
      st = mimic_fail(MIMIC_ERR_INVALID,
                      "the gatherer answered %g for comparison %d: a preference is a "
                      "probability in [0, 1], or NAN to skip",
                      answer[j], j);
  int kept = 0;
  for (int j = 0; st == MIMIC_OK && j < n; j++) kept += !isnan(answer[j]);
  if (st == MIMIC_OK) st = fragments_reserve(&p->cmp, p->cmp.n + 2 * kept, p->L, p->D, p->aw);
  double *pref = NULL;
  if (st == MIMIC_OK) {
    pref = realloc(p->pref, (size_t)(p->cmp.n / 2 + kept) * sizeof *pref + sizeof *pref);
    if (!pref) st = mimic_fail_nomem("preferences");
  }
  if (pref) p->pref = pref;
  const size_t L = (size_t)p->L, D = (size_t)p->D, aw = (size_t)p->aw;
  for (int j = 0; st == MIMIC_OK && j < n; j++) {
    if (isnan(answer[j])) continue;
    const mimic_fragment *f[2] = {&first[j], &second[j]};
    for (int side = 0; side < 2; side++) {
      const size_t at = (size_t)p->cmp.n++;
      memcpy(p->cmp.obs + at * L * D, f[side]->obs, L * D * sizeof(float));
      memcpy(p->cmp.next + at * L * D, f[side]->next_obs, L * D * sizeof(float));
      memcpy(p->cmp.act + at * L * aw, f[side]->actions, L * aw * sizeof(float));
      memcpy(p->cmp.rew + at * L, f[side]->rewards, L * sizeof(double));
    }
    p->pref[p->cmp.n / 2 - 1] = answer[j];
    p->ties += answer[j] == 0.5;
  }
  out->asked = n;
  free(cand);
  free(first);
  free(answer);
  return st;
}

/* ---- the trainer ------------------------------------------------------------------ */

static mimic_status setup(mimic_pref *p) {
  const mimic_pref_config *c = &p->cfg;
  const mimic_ppo_config *pc = mimic_ppo_get_config(p->agent);
  mimic_rollout_config rc = {.n = pc->n_envs, .seed = c->seed + 104729, .episodes = 0};
  MIMIC_TRY(mimic_rollout_open(&p->roll, pc->env_id, pc->env_opts, &rc));
  p->N = p->roll.n;
  p->D = p->roll.obs_dim;
  p->aw = p->roll.act_width;
  p->L = c->fragment_length;
  p->copy_episode = mimic_malloc((size_t)p->N * sizeof *p->copy_episode, "episode numbers");
  if (!p->copy_episode) return MIMIC_ERR_NOMEM;
  for (int i = 0; i < p->N; i++) p->copy_episode[i] = i;
  p->episodes_begun = p->N;
  p->K = c->ensemble;
  p->nets = mimic_calloc((size_t)p->K, sizeof *p->nets, "reward networks");
  p->opts = mimic_calloc((size_t)p->K, sizeof *p->opts, "reward optimizers");
  p->norms = mimic_calloc((size_t)p->K, sizeof *p->norms, "reward normalisers");
  if (!p->nets || !p->opts || !p->norms) return MIMIC_ERR_NOMEM;
  const int rows = 2 * c->reward_batch * p->L;
  const int roll = pc->n_steps * pc->n_envs;
  p->cap_scratch = rows > roll ? rows : roll;
  mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  oc.lr = c->reward_lr;
  const mimic_space *as = mimic_env_action_space(p->roll.envs[0]);
  for (int k = 0; k < p->K; k++) {
    MIMIC_TRY(mimic_reward_net_create(&p->nets[k], c->reward_inputs, p->D, as, false,
                                      c->reward_n_hidden, c->reward_hidden, c->reward_activation,
                                      &p->rng));
    MIMIC_TRY(mimic_reward_net_reserve(&p->nets[k], p->cap_scratch));
    MIMIC_TRY(rl_running_init(&p->norms[k], p->nets[k].in_dim, 1e-4));
    MIMIC_TRY(mimic_optim_create(&p->opts[k], &oc, p->nets[k].model.n_params));
  }
  const size_t R = (size_t)rows, D = (size_t)p->D, aw = (size_t)p->aw;
  const size_t pairs = (size_t)c->reward_batch;
  p->b_obs = mimic_malloc(R * (2 * D + aw + 3) * sizeof(float), "reward batches");
  p->b_pref = mimic_malloc(pairs * sizeof(double), "reward batches");
  p->r_scratch = mimic_malloc((size_t)p->cap_scratch * sizeof(double), "reward scratch");
  if (!p->b_obs || !p->b_pref || !p->r_scratch) return MIMIC_ERR_NOMEM;
  p->b_next = p->b_obs + R * D;
  p->b_act = p->b_next + R * D;
  p->b_dl = p->b_act + R * aw;
  p->b_r1 = p->b_dl + R;
  p->b_r2 = p->b_r1 + R / 2;
  p->b_g1 = p->b_r2 + R / 2;
  p->b_g2 = p->b_g1 + R / 2;
  p->r_mean = 0;
  p->r_std = 1;
  mimic_ppo_set_reward(p->agent, learned_reward, p);
  return MIMIC_OK;
}

mimic_status mimic_pref_create(const mimic_pref_config *cfg, mimic_pref_gather_fn gather,
                               void *gather_user, mimic_pref **out) {
  *out = NULL;
  MIMIC_TRY(mimic_pref_check(cfg));
  mimic_pref *p = mimic_calloc(1, sizeof *p, "a preference trainer");
  if (!p) return MIMIC_ERR_NOMEM;
  p->cfg = *cfg;
  p->gather = gather ? gather : mimic_pref_oracle;
  p->gather_user = gather ? gather_user : p;
  mimic_rng_seed(&p->rng, cfg->seed ^ 0x9ef5ULL);
  mimic_status st = mimic_ppo_create(&cfg->ppo, NULL, &p->agent);
  if (st == MIMIC_OK) {
    p->cfg.ppo = *mimic_ppo_get_config(p->agent); /* strings owned by the agent */
    st = setup(p);
  }
  if (st != MIMIC_OK) {
    mimic_pref_free(p);
    return st;
  }
  *out = p;
  return MIMIC_OK;
}

void mimic_pref_free(mimic_pref *p) {
  if (!p) return;
  mimic_ppo_free(p->agent);
  for (int k = 0; p->nets && k < p->K; k++) {
    mimic_reward_net_free(&p->nets[k]);
    mimic_optim_free(&p->opts[k]);
    rl_running_free(&p->norms[k]);
  }
  free(p->nets);
  free(p->opts);
  free(p->norms);
  free(p->r_scratch);
  fragments_free(&p->cmp);
  free(p->pref);
  mimic_rollout_close(&p->roll);
  free(p->s_obs);
  free(p->s_rew);
  free(p->s_episode);
  free(p->starts);
  free(p->copy_episode);
  free(p->b_obs);
  free(p->b_pref);
  free(p);
}

mimic_ppo *mimic_pref_agent(mimic_pref *p) { return p->agent; }

/* Comparisons per round: the initial share, then the rest spread by
 * imitation's hyperbolic schedule, rounded so they add up (largest
 * remainders). */
static void schedule(const mimic_pref_config *c, int *counts) {
  const int initial = (int)(c->comparisons * c->initial_comparison_frac);
  const int rest = c->comparisons - initial, n = c->iterations;
  double w[MAX_ITERATIONS], total = 0, frac[MAX_ITERATIONS];
  for (int i = 0; i < n; i++) {
    w[i] = 1.0 / (1.0 + (n > 1 ? (double)i / (n - 1) : 0.0));
    total += w[i];
  }
  int given = 0;
  for (int i = 0; i < n; i++) {
    const double share = rest * w[i] / total;
    counts[i + 1] = (int)floor(share);
    frac[i] = share - counts[i + 1];
    given += counts[i + 1];
  }
  while (given < rest) {
    int best = 0;
    for (int i = 1; i < n; i++)
      if (frac[i] > frac[best]) best = i;
    counts[best + 1]++;
    frac[best] = -1;
    given++;
  }
  counts[0] = initial;
}

mimic_status mimic_pref_learn(mimic_pref *p, mimic_pref_callback cb, mimic_ppo_callback ppo_cb,
                              void *user) {
  const mimic_pref_config *c = &p->cfg;
  int counts[MAX_ITERATIONS + 1];
  schedule(c, counts);
  mimic_rng member_rngs[32];
  for (int k = 0; k < p->K; k++) mimic_rng_seed(&member_rngs[k], c->seed * 1000003ULL + 17 + k);
  const int rounds = c->iterations + 1;
  const long budget = c->ppo.total_steps, per_round = budget / rounds;
  long target = 0;
  for (int i = 0; i < rounds; i++) {
    mimic_pref_round r = {.iteration = i, .iterations = c->iterations};
    if (counts[i] > 0) MIMIC_TRY(ask(p, counts[i], &r));
    if (p->cmp.n > 0) {
      const double mult = i == 0 ? c->initial_epoch_multiplier : 1.0;
      MIMIC_TRY(train_reward(p, (int)lround(c->reward_epochs * mult), member_rngs));
      MIMIC_TRY(reward_report(p, &r));
    } else {
      r.reward_loss = r.reward_accuracy = NAN;
    }
    target = i == rounds - 1 ? budget : target + per_round;
    mimic_ppo_iter last = {.ep_return_mean = NAN, .eval_return = NAN};
    bool stop = false;
    while (!stop && mimic_ppo_timesteps(p->agent) < target) {
      MIMIC_TRY(mimic_ppo_collect(p->agent));
      MIMIC_TRY(mimic_ppo_update(p->agent, &last));
      stop = ppo_cb && !ppo_cb(p->agent, &last, user);
    }
    r.comparisons = p->cmp.n / 2;
    r.ties = p->ties;
    r.sample_steps = p->sample_steps;
    r.ppo = last;
    if ((cb && !cb(&r, user)) || stop) break;
  }
  return MIMIC_OK;
}

mimic_status mimic_pref_save_reward(mimic_pref *p, const char *path) {
  mimic_env *env0 = p->roll.envs[0];
  char extra[160];
  snprintf(extra, sizeof extra,
           "{\"reward_kind\": \"preferences\", \"comparisons\": %d, \"ensemble\": %d}",
           p->cmp.n / 2, p->K);
  return mimic_reward_net_save(&p->nets[0], path, mimic_env_id(env0), mimic_env_obs_space(env0),
                               mimic_env_action_space(env0), extra);
}
