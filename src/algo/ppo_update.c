/* PPO, part 2: from a collected rollout to new parameters (SB3's PPO.train
 * after VecNormalize's reward scaling and compute_returns_and_advantage).
 *
 * 1. Training rewards: the reward function's (a learned reward) or the
 *    environment's; with norm_reward, divided by the running std of the
 *    discounted return and clipped, step by step in rollout order exactly as
 *    VecNormalize does while stepping.
 * 2. Time-limit bootstrap and GAE (gae.c).
 * 3. n_epochs passes; each a fresh permutation of the n rows cut into
 *    minibatches (the last one may be short, as SB3's get()). Per minibatch:
 *    the loss (ppo_loss.c) with the anchor term when refining, one global
 *    gradient clip over the model's single parameter array, one Adam step.
 *    With target_kl, an epoch stops before the step whose approx_kl
 *    exceeds 1.5 * target_kl (SB3). Data-parallel, the permutation and
 *    minibatches are those of the ranks' joint buffer and each rank works
 *    on its rows of them (ppo_dist.c).
 * Learning rate, clip range and anchor coefficient follow linear schedules
 * of the progress (timesteps / total_steps) when asked. */
#include <math.h>
#include <string.h>

#include "algo/ppo_impl.h"
#include "nn/layers.h"
#include "nn/optim.h"
#include "nn/model.h"

_Static_assert(sizeof(bool) == 1, "the terminal flags double as uint8_t masks");

/* Updates the reward statistics with this step's discounted returns of the
 * N environments and, data-parallel, every other rank's, in rank order:
 * the update one process stepping all ranks' environments makes. */
static mimic_status update_ret_stats(mimic_ppo *p) {
  const size_t N = (size_t)p->N;
  mimic_comm *c = p->cfg.comm;
  if (!mimic_comm_parallel(c)) {
    rl_running_update_scalars(&p->ret_rms, p->ret_acc, N);
    return MIMIC_OK;
  }
  MIMIC_TRY(c->gather(c, p->ret_acc, N * sizeof(double), p->all_ret, 0));
  MIMIC_TRY(c->bcast(c, p->all_ret, (size_t)c->size * N * sizeof(double), 0));
  rl_running_update_scalars(&p->ret_rms, p->all_ret, (size_t)c->size * N);
  return MIMIC_OK;
}

/* Fills the training rewards (b_train_rew) and the float rewards (b_rew). */
static mimic_status rewards(mimic_ppo *p) {
  const int N = p->N, n = p->n;
  if (p->reward_fn) {
    MIMIC_TRY(p->reward_fn(p->reward_user, p->b_raw, p->b_env_act, p->b_next, p->b_term, n,
                           p->b_train_rew));
    for (int r = 0; r < n; r++)
      if (!isfinite(p->b_train_rew[r]))
        return mimic_fail(MIMIC_ERR_RANGE, "the reward function gave %g at step %d of env %d",
                          p->b_train_rew[r], r / N, r % N);
  } else {
    memcpy(p->b_train_rew, p->b_env_rew, (size_t)n * sizeof(double));
  }
  for (int r = 0; r < n; r++) { /* episode returns of the reward trained on */
    int i = r % N;
    p->ep_train[i] += p->b_train_rew[r];
    if (p->b_term[r] || p->b_trunc[r]) {
      p->ring_train[p->ring_train_pos] = p->ep_train[i];
      p->ring_train_pos = (p->ring_train_pos + 1) % PPO_RING;
      if (p->ring_train_n < PPO_RING) p->ring_train_n++;
      p->ep_train[i] = 0;
    }
  }
  for (int t = 0; t < p->T; t++) {
    size_t row = (size_t)t * (size_t)N;
    if (p->cfg.norm_reward) {
      for (int i = 0; i < N; i++)
        p->ret_acc[i] = p->ret_acc[i] * p->cfg.gamma + p->b_train_rew[row + i];
      MIMIC_TRY(update_ret_stats(p));
      double scale = sqrt(p->ret_rms.var[0] + 1e-8), c = p->cfg.clip_reward;
      for (int i = 0; i < N; i++) {
        double v = p->b_train_rew[row + i] / scale;
        p->b_rew[row + i] = (float)(v < -c ? -c : v > c ? c : v);
        if (p->b_term[row + i] || p->b_trunc[row + i]) p->ret_acc[i] = 0;
      }
    } else {
      for (int i = 0; i < N; i++) p->b_rew[row + i] = (float)p->b_train_rew[row + i];
    }
  }
  return MIMIC_OK;
}

/* Copies minibatch rows perm[start .. start+B) into the m_* buffers. */
static void gather(mimic_ppo *p, const uint32_t *idx, int B) {
  const size_t D = (size_t)p->D, K = (size_t)p->K;
  for (int k = 0; k < B; k++) {
    size_t r = idx[k];
    memcpy(p->m_obs + (size_t)k * D, p->b_obs + r * D, D * sizeof(float));
    if (p->discrete)
      p->m_acts[k] = p->b_acts[r];
    else
      memcpy(p->m_actions + (size_t)k * K, p->b_actions + r * K, K * sizeof(float));
    p->m_olp[k] = p->b_logp[r];
    p->m_ov[k] = p->b_values[r];
    p->m_adv[k] = p->b_adv[r];
    p->m_ret[k] = p->b_ret[r];
  }
}

static double ring_mean(const double *v, int n) {
  if (n == 0) return NAN;
  double s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s / n;
}

/* 1 - Var(returns - values) / Var(returns) over the buffer (SB3). */
static double explained_variance(const float *values, const float *returns, int n) {
  double my = 0, md = 0;
  for (int i = 0; i < n; i++) {
    my += returns[i];
    md += returns[i] - values[i];
  }
  my /= n;
  md /= n;
  double vy = 0, vd = 0;
  for (int i = 0; i < n; i++) {
    double y = returns[i] - my, d = returns[i] - values[i] - md;
    vy += y * y;
    vd += d * d;
  }
  return vy == 0 ? NAN : 1.0 - vd / vy;
}

mimic_status mimic_ppo_update(mimic_ppo *p, mimic_ppo_iter *it) {
  if (!p->rollout_ready)
    return mimic_fail(MIMIC_ERR_INVALID, "ppo: update before a rollout was collected");
  const mimic_ppo_config *c = &p->cfg;
  MIMIC_TRY(rewards(p));
  /* bool is one byte holding 0 or 1, and a byte may alias anything, so the
   * flags serve as the uint8_t masks without a second copy per step */
  mimic_gae_bootstrap(p->b_rew, p->b_tv, (const uint8_t *)p->b_term, (const uint8_t *)p->b_trunc,
                      (size_t)p->n, c->gamma);
  mimic_gae(p->b_rew, p->b_values, p->b_starts, p->last_values, p->last_dones, p->T, p->N, c->gamma,
            c->gae_lambda, p->b_adv, p->b_ret);
  double total = c->total_steps > 0 ? (double)c->total_steps : 1.0;
  double remaining = 1.0 - (double)p->timesteps / total;
  if (remaining < 0) remaining = 0;
  double lr = c->lr_linear ? c->learning_rate * remaining : c->learning_rate;
  double clip = c->clip_linear ? c->clip_range * remaining : c->clip_range;
  double anchor = 0;
  if (p->has_anchor && c->anchor != MIMIC_ANCHOR_NONE) {
    anchor = c->anchor_coef;
    if (c->anchor_decay_steps > 0) {
      double f = 1.0 - (double)p->timesteps / (double)c->anchor_decay_steps;
      anchor *= f > 0 ? f : 0;
    }
  }
  p->opt.cfg.lr = lr;
  mimic_ppo_loss_config lc = {.clip_range = clip,
                              .clip_range_vf = c->clip_range_vf,
                              .ent_coef = c->ent_coef,
                              .vf_coef = c->vf_coef,
                              .normalize_advantage = c->normalize_advantage};
  double s_pl = 0, s_vl = 0, s_el = 0, s_al = 0, s_kl = 0, s_cf = 0;
  long batches = 0;
  int epochs = 0;
  bool go = true;
  /* data-parallel: the permutation and minibatches are the global buffer's (ppo_dist.c) */
  const bool par = p->reduce != NULL;
  const int ng = par ? p->n * c->comm->size : p->n;
  const int gmb = c->batch_size < ng ? c->batch_size : ng;
  uint32_t *perm = par ? p->gperm : p->perm;
  for (int e = 0; e < c->n_epochs && go; e++) {
    mimic_rng_permutation(&p->rng, perm, (size_t)ng);
    for (int start = 0; start < ng; start += gmb) {
      const int Bg = ng - start < gmb ? ng - start : gmb;
      int B = Bg;
      const uint32_t *idx = perm + start;
      if (par) {
        B = ppo_dist_rows(p, idx, Bg, p->gidx);
        idx = p->gidx;
      }
      gather(p, idx, B);
      mimic_ppo_batch b = {.B = B,
                           .B_total = Bg,
                           .obs = p->m_obs,
                           .acts = p->m_acts,
                           .actions = p->m_actions,
                           .old_log_prob = p->m_olp,
                           .old_values = p->m_ov,
                           .advantages = p->m_adv,
                           .returns = p->m_ret};
      double adv_norm[2];
      if (par && lc.normalize_advantage && Bg > 1) {
        MIMIC_TRY(ppo_dist_adv_norm(p, p->m_adv, B, Bg, adv_norm));
        b.adv_norm = adv_norm;
      }
      if (anchor > 0 && B > 0) {
        /* the clone's own output buffer: the loss runs only the model's networks */
        MIMIC_TRY(mimic_mlp_forward(&p->anchor, p->m_obs, B));
        b.anchor_out = p->anchor.out;
        b.anchor_log_std = p->anchor_log_std;
        b.anchor_kind = c->anchor;
        b.anchor_coef = anchor;
      }
      mimic_model_zero_grad(&p->model);
      mimic_ppo_loss_result r = {0};
      if (B > 0) MIMIC_TRY(mimic_ppo_loss(&p->model, &b, &lc, &p->work, &r));
      if (par) MIMIC_TRY(ppo_dist_sum(p, &r));
      s_pl += r.policy_loss;
      s_vl += r.value_loss;
      s_el += r.entropy_loss;
      s_al += r.anchor_loss;
      s_kl += r.approx_kl;
      s_cf += r.clip_fraction;
      batches++;
      if (c->target_kl > 0 && r.approx_kl > 1.5 * c->target_kl) {
        go = false;
        break;
      }
      if (c->max_grad_norm > 0)
        mimic_clip_grad_norm(p->model.grads, p->model.n_params, (float)c->max_grad_norm);
      mimic_optim_step(&p->opt, p->model.params, p->model.grads);
    }
    if (go) epochs++;
  }
  for (size_t k = 0; k < p->model.n_params; k++)
    if (!isfinite(p->model.params[k]))
      return mimic_fail(MIMIC_ERR_RANGE,
                        "ppo: parameter %zu became %g at iteration %ld (learning rate too high?)",
                        k, p->model.params[k], p->iteration + 1);
  if (p->reduce)
    MIMIC_TRY(mimic_comm_check_same(c->comm, p->model.params, p->model.n_params * sizeof(float),
                                    "ppo: the parameters"));
  p->rollout_ready = false;
  p->iteration++;
  if (it) {
    memset(it, 0, sizeof *it);
    double nb = batches ? (double)batches : 1.0;
    it->iteration = p->iteration;
    it->timesteps = p->timesteps;
    it->episodes = p->roll.log.episodes;
    it->ep_return_mean = mimic_episode_log_recent_return(&p->roll.log);
    it->ep_len_mean = mimic_episode_log_recent_length(&p->roll.log);
    it->ep_reward_mean = ring_mean(p->ring_train, p->ring_train_n);
    it->policy_loss = s_pl / nb;
    it->value_loss = s_vl / nb;
    it->entropy_loss = s_el / nb;
    it->anchor_loss = s_al / nb;
    it->approx_kl = s_kl / nb;
    it->clip_fraction = s_cf / nb;
    it->explained_variance = explained_variance(p->b_values, p->b_ret, p->n);
    it->learning_rate = lr;
    it->clip_range = clip;
    it->anchor_coef = anchor;
    it->std = NAN;
    it->eval_return = NAN;
    if (!p->discrete) {
      double s = 0;
      for (int j = 0; j < p->K; j++) s += exp((double)p->model.log_std[j]);
      it->std = s / p->K;
    }
    it->epochs = epochs;
    it->seconds = mimic_now() - p->t0;
    it->fps = it->seconds > 0 ? (double)p->timesteps / it->seconds : 0;
  }
  return MIMIC_OK;
}

mimic_status mimic_ppo_learn(mimic_ppo *p, long total_steps, mimic_ppo_callback cb, void *user) {
  if (total_steps <= 0) total_steps = p->cfg.total_steps;
  while (p->timesteps < total_steps) {
    MIMIC_TRY(mimic_ppo_collect(p));
    mimic_ppo_iter it;
    MIMIC_TRY(mimic_ppo_update(p, &it));
    if (cb && !cb(p, &it, user)) break;
  }
  return MIMIC_OK;
}
