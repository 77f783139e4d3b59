/* PPO, part 1: setting up the trainer and collecting rollouts (SB3's
 * OnPolicyAlgorithm.collect_rollouts under a VecNormalize wrapper).
 *
 * Each step: the actor and critic see the normalised observations of all N
 * environments as one batch; actions are sampled (categorical: inverse CDF;
 * gaussian: mean + std * N(0,1), unclipped in the buffer, clipped for the
 * environment as SB3 does); the vector environment steps and auto-resets;
 * the observation statistics take in the new observations, and the value
 * of every final observation of an episode cut by the time limit is
 * computed right away for the bootstrap. Rewards stay raw here: the update
 * turns them into training rewards (learned reward, scaling), so a
 * discriminator can learn from the rollout in between.
 *
 * Everything is allocated in mimic_ppo_create; collect allocates nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/ppo_impl.h"
#include "core/util.h"
#include "nn/layers.h"
#include "nn/heads.h"
#include "nn/optim.h"
#include "nn/model.h"

static void *take(char **cursor, size_t bytes) {
  void *p = *cursor;
  *cursor += (bytes + 63) & ~(size_t)63;
  return p;
}

/* One allocation for every buffer; sizes follow the struct's comments. */
static void *alloc_buffers(mimic_ppo *p) {
  size_t n = (size_t)p->n, N = (size_t)p->N, D = (size_t)p->D, K = (size_t)p->K, aw = (size_t)p->aw,
         B = (size_t)p->mb, f = sizeof(float);
  size_t sizes[] = {
      D * f,
      D * f,
      N * sizeof(double), /* norm, ret_acc */
      N * D * f,
      N * D * f,
      N, /* cur, starts */
      n * D * f,
      n * D * f,
      n * D * f,
      n * aw * f,
      n * sizeof(int32_t),
      n * K * f, /* buffer */
      6 * n * f,
      2 * n * sizeof(double),
      2 * n * sizeof(bool),
      n,
      N * f,
      N,
      N * K * f,
      N * D * f, /* step */
      N * sizeof(int32_t),
      N * sizeof(int),
      B * D * f,
      B * K * f,
      4 * B * f,
      B * sizeof(int32_t),
      n * sizeof(uint32_t), /* minibatch */
      N * sizeof(double),
      K * f,
  };
  size_t total = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) total += (sizes[i] + 63) & ~(size_t)63;
  char *mem = mimic_alloc_aligned(total, "ppo buffers");
  if (!mem) return NULL;
  memset(mem, 0, total);
  char *c = mem;
  p->norm_mean = take(&c, D * f);
  p->norm_var = take(&c, D * f);
  p->ret_acc = take(&c, N * sizeof(double));
  p->cur_raw = take(&c, N * D * f);
  p->cur_norm = take(&c, N * D * f);
  p->last_starts = take(&c, N);
  p->b_obs = take(&c, n * D * f);
  p->b_raw = take(&c, n * D * f);
  p->b_next = take(&c, n * D * f);
  p->b_env_act = take(&c, n * aw * f);
  p->b_acts = take(&c, n * sizeof(int32_t));
  p->b_actions = take(&c, n * K * f);
  float *six = take(&c, 6 * n * f);
  p->b_values = six, p->b_logp = six + n, p->b_rew = six + 2 * n;
  p->b_tv = six + 3 * n, p->b_adv = six + 4 * n, p->b_ret = six + 5 * n;
  double *two = take(&c, 2 * n * sizeof(double));
  p->b_env_rew = two, p->b_train_rew = two + n;
  bool *tb = take(&c, 2 * n * sizeof(bool));
  p->b_term = tb, p->b_trunc = tb + n;
  p->b_starts = take(&c, n);
  p->last_values = take(&c, N * f);
  p->last_dones = take(&c, N);
  p->s_actions = take(&c, N * K * f);
  p->s_tmp = take(&c, N * D * f);
  p->s_env_act = p->roll.actions, p->s_next = p->roll.obs, p->s_final = p->roll.final_obs;
  p->s_rew = p->roll.reward, p->s_term = p->roll.terminated, p->s_trunc = p->roll.truncated;
  p->s_acts = take(&c, N * sizeof(int32_t));
  p->s_rows = take(&c, N * sizeof(int));
  p->m_obs = take(&c, B * D * f);
  p->m_actions = take(&c, B * K * f);
  float *four = take(&c, 4 * B * f);
  p->m_olp = four, p->m_ov = four + B, p->m_adv = four + 2 * B, p->m_ret = four + 3 * B;
  p->m_acts = take(&c, B * sizeof(int32_t));
  p->perm = take(&c, n * sizeof(uint32_t));
  p->ep_train = take(&c, N * sizeof(double));
  p->anchor_log_std = take(&c, K * f);
  return mem;
}

/* Copies a space with its bounds into dst, bounds stored in *store. */
static mimic_status copy_space(const mimic_space *src, mimic_space *dst, float **store) {
  *dst = *src;
  *store = NULL;
  if (src->kind != MIMIC_SPACE_BOX) return MIMIC_OK;
  *store = mimic_malloc(2 * (size_t)src->dim * sizeof(float), "space bounds");
  if (!*store) return MIMIC_ERR_NOMEM;
  memcpy(*store, src->low, (size_t)src->dim * sizeof(float));
  memcpy(*store + src->dim, src->high, (size_t)src->dim * sizeof(float));
  dst->low = *store;
  dst->high = *store + src->dim;
  return MIMIC_OK;
}

/* Builds the model: fresh, or from init (actor, log_std, a fitting critic
 * and the observation statistics kept). */
static mimic_status make_model(mimic_ppo *p, const mimic_model *init) {
  const mimic_ppo_config *c = &p->cfg;
  mimic_model_config mc;
  mimic_head_kind head = p->discrete ? MIMIC_HEAD_CATEGORICAL : MIMIC_HEAD_GAUSSIAN;
  mimic_model_config_init(&mc, p->D, p->K, head);
  mc.n_hidden = c->n_hidden;
  memcpy(mc.hidden, c->hidden, sizeof mc.hidden);
  mc.activation = c->activation;
  mc.critic = true;
  mc.critic_n_hidden = c->vf_n_hidden;
  memcpy(mc.critic_hidden, c->vf_hidden, sizeof mc.critic_hidden);
  mc.critic_activation = c->activation;
  mc.log_std_init = (float)c->log_std_init;
  bool keep_critic = false;
  if (init) {
    const mimic_model_config *ic = &init->cfg;
    if (ic->conv.n_conv)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "PPO does not train image (CNN) policies yet; start from an MLP policy");
    if (ic->obs_dim != p->D || ic->act_dim != p->K || ic->head != head)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "the starting policy (%s head, %d inputs, %d outputs) does not fit %s "
                        "(%s head, %d inputs, %d outputs)",
                        mimic_head_name(ic->head), ic->obs_dim, ic->act_dim, p->env_id,
                        mimic_head_name(head), p->D, p->K);
    mc.n_hidden = ic->n_hidden;
    memcpy(mc.hidden, ic->hidden, sizeof mc.hidden);
    mc.activation = ic->activation;
    mc.log_std_init = ic->log_std_init;
    keep_critic =
        ic->critic && ic->critic_n_hidden == c->vf_n_hidden &&
        memcmp(ic->critic_hidden, c->vf_hidden, (size_t)c->vf_n_hidden * sizeof(int)) == 0 &&
        ic->critic_activation == c->activation;
  }
  MIMIC_TRY(mimic_model_check_config(&mc));
  int max_batch = p->mb > p->N ? p->mb : p->N;
  MIMIC_TRY(mimic_model_create(&p->model, &mc, max_batch));
  mimic_init_kind kind = c->ortho_init ? MIMIC_INIT_ORTHOGONAL : MIMIC_INIT_TORCH;
  MIMIC_TRY(mimic_model_init_params(&p->model, kind, &p->rng));
  if (!init) return MIMIC_OK;
  memcpy(p->model.actor.params, init->actor.params, init->actor.n_params * sizeof(float));
  if (keep_critic)
    memcpy(p->model.critic.params, init->critic.params, init->critic.n_params * sizeof(float));
  if (init->log_std) memcpy(p->model.log_std, init->log_std, (size_t)p->K * sizeof(float));
  if (init->obs_norm) {
    MIMIC_TRY(mimic_model_set_obs_norm(&p->model, init->obs_mean, init->obs_var, init->obs_eps,
                                       init->obs_clip));
    for (int k = 0; k < p->D; k++) {
      p->obs_rms.mean[k] = init->obs_mean[k];
      p->obs_rms.var[k] = init->obs_var[k];
    }
    p->obs_frozen = true;
    p->cfg.norm_obs = true;
  } else {
    p->cfg.norm_obs = false; /* it was trained on raw observations */
  }
  return MIMIC_OK;
}

/* Updates the observation statistics with the N new rows of this rank and,
 * data-parallel, every other rank's, in rank order: the update one process
 * stepping all ranks' environments makes. */
static mimic_status update_obs_stats(mimic_ppo *p, const float *rows) {
  if (!p->cfg.norm_obs || p->obs_frozen) return MIMIC_OK;
  const size_t block = (size_t)p->N * (size_t)p->D;
  mimic_comm *c = p->cfg.comm;
  if (!mimic_comm_parallel(c)) {
    rl_running_update(&p->obs_rms, rows, (size_t)p->N, (size_t)p->D);
    return MIMIC_OK;
  }
  MIMIC_TRY(c->gather(c, rows, block * sizeof(float), p->all_obs, 0));
  MIMIC_TRY(c->bcast(c, p->all_obs, (size_t)c->size * block * sizeof(float), 0));
  rl_running_update(&p->obs_rms, p->all_obs, (size_t)c->size * (size_t)p->N, (size_t)p->D);
  return MIMIC_OK;
}

mimic_status mimic_ppo_create(const mimic_ppo_config *cfg, const mimic_model *init,
                              mimic_ppo **out) {
  *out = NULL;
  MIMIC_TRY(mimic_ppo_check(cfg));
  mimic_ppo *p = mimic_calloc(1, sizeof *p, "a PPO trainer");
  if (!p) return MIMIC_ERR_NOMEM;
  p->cfg = *cfg;
  p->env_id = mimic_strdup(cfg->env_id);
  p->env_opts = cfg->env_opts ? mimic_strdup(cfg->env_opts) : NULL;
  mimic_status st = p->env_id && (p->env_opts || !cfg->env_opts) ? MIMIC_OK : MIMIC_ERR_NOMEM;
  p->cfg.env_id = p->env_id;
  p->cfg.env_opts = p->env_opts;
  p->N = cfg->n_envs;
  p->T = cfg->n_steps;
  p->n = p->N * p->T;
  p->mb = cfg->batch_size < p->n ? cfg->batch_size : p->n;
  const bool parallel = mimic_comm_parallel(cfg->comm);
  p->env_seed = cfg->seed + (parallel ? (uint64_t)cfg->comm->rank * (uint64_t)p->N : 0);
  /* opened with this rank's seed, so a checkpoint's rollout matches before the first reset */
  mimic_rollout_config rc = {.n = p->N, .seed = p->env_seed};
  if (st == MIMIC_OK) st = mimic_rollout_open(&p->roll, cfg->env_id, cfg->env_opts, &rc);
  if (st == MIMIC_OK) {
    mimic_env *e = p->roll.envs[0];
    const mimic_space *as = mimic_env_action_space(e), *os = mimic_env_obs_space(e);
    p->discrete = as->kind == MIMIC_SPACE_DISCRETE;
    p->D = os->dim;
    p->K = p->discrete ? as->n : as->dim;
    p->aw = mimic_space_width(as);
    st = copy_space(as, &p->act_space, &p->act_bounds);
    if (st == MIMIC_OK) st = copy_space(os, &p->obs_space, &p->obs_bounds);
  }
  mimic_rng_seed(&p->rng, cfg->seed);
  if (st == MIMIC_OK) st = rl_running_init(&p->obs_rms, p->D, 1e-4);
  if (st == MIMIC_OK) st = rl_running_init(&p->ret_rms, 1, 1e-4);
  if (st == MIMIC_OK && !alloc_buffers(p)) st = MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) st = make_model(p, init);
  if (st == MIMIC_OK) {
    int wb = p->mb > p->N ? p->mb : p->N;
    st = mimic_ppo_work_create(&p->work, &p->model, wb);
  }
  if (st == MIMIC_OK) {
    mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
    oc.lr = cfg->learning_rate;
    oc.eps = cfg->adam_eps;
    st = mimic_optim_create(&p->opt, &oc, p->model.n_params);
  }
  if (st == MIMIC_OK && parallel) st = ppo_dist_start(p);
  if (st != MIMIC_OK) {
    mimic_ppo_free(p);
    return st;
  }
  p->t0 = mimic_now();
  *out = p;
  return MIMIC_OK;
}

void mimic_ppo_free(mimic_ppo *p) {
  if (!p) return;
  mimic_rollout_close(&p->roll);
  mimic_model_free(&p->model);
  mimic_optim_free(&p->opt);
  mimic_ppo_work_free(&p->work);
  rl_running_free(&p->obs_rms);
  rl_running_free(&p->ret_rms);
  mimic_mlp_free(&p->anchor);
  mimic_free_aligned(p->norm_mean);
  free(p->ckpt_rms);
  free(p->all_obs);
  free(p->all_ret);
  free(p->reduce);
  free(p->gperm);
  free(p->gidx);
  free(p->act_bounds);
  free(p->obs_bounds);
  free(p->env_id);
  free(p->env_opts);
  free(p);
}

void mimic_ppo_set_reward(mimic_ppo *p, mimic_reward_fn fn, void *user) {
  p->reward_fn = fn;
  p->reward_user = user;
}

mimic_status mimic_ppo_set_anchor(mimic_ppo *p, const mimic_model *clone) {
  const mimic_model_config *c = &clone->cfg;
  if (c->obs_dim != p->D || c->act_dim != p->K || c->head != p->model.cfg.head)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "the anchor policy does not fit the trained one (%s, %d -> %d)",
                      mimic_head_name(c->head), c->obs_dim, c->act_dim);
  if (clone->obs_norm != p->model.obs_norm)
    return mimic_fail(MIMIC_ERR_INVALID, "the anchor policy normalises observations differently; "
                                         "start the trainer from it");
  mimic_mlp_free(&p->anchor);
  MIMIC_TRY(mimic_mlp_create(&p->anchor, clone->actor.sizes, clone->actor.n_layers + 1,
                             clone->actor.act, p->mb, NULL, NULL));
  memcpy(p->anchor.params, clone->actor.params, clone->actor.n_params * sizeof(float));
  if (clone->log_std) memcpy(p->anchor_log_std, clone->log_std, (size_t)p->K * sizeof(float));
  p->has_anchor = true;
  return MIMIC_OK;
}

mimic_status ppo_sync_norm(mimic_ppo *p) {
  if (!p->cfg.norm_obs || p->obs_frozen) return MIMIC_OK;
  rl_running_get(&p->obs_rms, p->norm_mean, p->norm_var);
  return mimic_model_set_obs_norm(&p->model, p->norm_mean, p->norm_var, 1e-8f,
                                  (float)p->cfg.clip_obs);
}

mimic_status ppo_normalize(mimic_ppo *p, const float *raw, int n, float *dst) {
  size_t bytes = (size_t)n * (size_t)p->D * sizeof(float);
  if (!p->model.obs_norm) {
    if (dst != raw) memmove(dst, raw, bytes);
    return MIMIC_OK;
  }
  const float *x = mimic_model_normalize_obs(&p->model, raw, n);
  if (!x) return mimic_errcode();
  memcpy(dst, x, bytes);
  return MIMIC_OK;
}

/* Resets every environment (seed + i) and the observation statistics' first batch. */
static mimic_status start(mimic_ppo *p) {
  MIMIC_TRY(mimic_rollout_reset(&p->roll, p->env_seed));
  memcpy(p->cur_raw, p->roll.obs, (size_t)p->N * (size_t)p->D * sizeof(float));
  MIMIC_TRY(update_obs_stats(p, p->cur_raw));
  MIMIC_TRY(ppo_sync_norm(p));
  MIMIC_TRY(ppo_normalize(p, p->cur_raw, p->N, p->cur_norm));
  for (int i = 0; i < p->N; i++) p->last_starts[i] = 1;
  p->started = true;
  return MIMIC_OK;
}

/* Samples actions for the N current observations; fills row t of the buffer.
 * Data-parallel, the lower ranks' environments' draws come first and the
 * higher ones' after (ppo_dist.c). */
static mimic_status act(mimic_ppo *p, int t) {
  const int N = p->N, K = p->K, D = p->D;
  const size_t row = (size_t)t * (size_t)N;
  MIMIC_TRY(mimic_mlp_forward(&p->model.actor, p->cur_norm, N));
  MIMIC_TRY(mimic_mlp_forward(&p->model.critic, p->cur_norm, N));
  const float *out = p->model.actor.out;
  const mimic_comm *c = p->cfg.comm;
  const bool par = mimic_comm_parallel(c);
  if (par) ppo_dist_skip_draws(p, c->rank * N);
  float *logp = p->b_logp + row;
  if (p->discrete) {
    mimic_cat_sample(out, N, K, &p->rng, p->s_acts);
    mimic_cat_log_softmax(out, N, K, p->work.logp);
    mimic_cat_log_prob(p->work.logp, p->s_acts, N, K, logp);
    for (int i = 0; i < N; i++) {
      p->s_env_act[i] = (float)p->s_acts[i];
      p->b_acts[row + (size_t)i] = p->s_acts[i];
    }
  } else {
    mimic_gauss_sample(out, p->model.log_std, N, K, &p->rng, p->s_actions);
    mimic_gauss_log_prob(out, p->model.log_std, p->s_actions, N, K, logp);
    memcpy(p->b_actions + row * (size_t)K, p->s_actions, (size_t)N * (size_t)K * sizeof(float));
    for (int i = 0; i < N; i++)
      for (int j = 0; j < K; j++) { /* SB3 clips Box actions before stepping */
        float a = p->s_actions[(size_t)i * K + j];
        a = a < p->act_space.low[j]    ? p->act_space.low[j]
            : a > p->act_space.high[j] ? p->act_space.high[j]
                                       : a;
        p->s_env_act[(size_t)i * K + j] = a;
      }
  }
  if (par) ppo_dist_skip_draws(p, (c->size - 1 - c->rank) * N);
  memcpy(p->b_values + row, p->model.critic.out, (size_t)N * sizeof(float));
  memcpy(p->b_obs + row * (size_t)D, p->cur_norm, (size_t)N * (size_t)D * sizeof(float));
  memcpy(p->b_raw + row * (size_t)D, p->cur_raw, (size_t)N * (size_t)D * sizeof(float));
  memcpy(p->b_env_act + row * (size_t)p->aw, p->s_env_act,
         (size_t)N * (size_t)p->aw * sizeof(float));
  memcpy(p->b_starts + row, p->last_starts, (size_t)N);
  return MIMIC_OK;
}

/* Values of the final observations of episodes cut by the time limit. */
static mimic_status terminal_values(mimic_ppo *p, size_t row) {
  int m = 0;
  const size_t D = (size_t)p->D;
  for (int i = 0; i < p->N; i++) {
    p->b_tv[row + (size_t)i] = 0.0f;
    if (p->s_trunc[i] && !p->s_term[i]) {
      memcpy(p->s_tmp + (size_t)m * D, p->s_final + (size_t)i * D, D * sizeof(float));
      p->s_rows[m++] = i;
    }
  }
  if (m == 0) return MIMIC_OK;
  MIMIC_TRY(ppo_normalize(p, p->s_tmp, m, p->s_tmp));
  MIMIC_TRY(mimic_mlp_forward(&p->model.critic, p->s_tmp, m));
  for (int k = 0; k < m; k++) p->b_tv[row + (size_t)p->s_rows[k]] = p->model.critic.out[k];
  return MIMIC_OK;
}

mimic_status mimic_ppo_collect(mimic_ppo *p) {
  if (!p->started) MIMIC_TRY(start(p));
  const int N = p->N;
  const size_t D = (size_t)p->D;
  for (int t = 0; t < p->T; t++) {
    const size_t row = (size_t)t * (size_t)N;
    MIMIC_TRY(act(p, t));
    MIMIC_TRY(mimic_rollout_step(&p->roll)); /* s_next .. s_trunc are its rows */
    for (int i = 0; i < N; i++) {
      size_t r = row + (size_t)i;
      bool done = p->s_term[i] || p->s_trunc[i];
      const float *next = done ? p->s_final + (size_t)i * D : p->s_next + (size_t)i * D;
      memcpy(p->b_next + r * D, next, D * sizeof(float));
      p->b_env_rew[r] = p->s_rew[i];
      p->b_term[r] = p->s_term[i];
      p->b_trunc[r] = p->s_trunc[i];
      p->last_starts[i] = done;
    }
    MIMIC_TRY(update_obs_stats(p, p->s_next));
    MIMIC_TRY(ppo_sync_norm(p));
    MIMIC_TRY(ppo_normalize(p, p->s_next, N, p->cur_norm));
    memcpy(p->cur_raw, p->s_next, (size_t)N * D * sizeof(float));
    MIMIC_TRY(terminal_values(p, row));
    p->timesteps += mimic_comm_parallel(p->cfg.comm) ? (long)N * p->cfg.comm->size : N;
  }
  MIMIC_TRY(mimic_mlp_forward(&p->model.critic, p->cur_norm, N));
  memcpy(p->last_values, p->model.critic.out, (size_t)N * sizeof(float));
  memcpy(p->last_dones, p->last_starts, (size_t)N);
  p->rollout_ready = true;
  return MIMIC_OK;
}

mimic_ppo_rollout mimic_ppo_last_rollout(const mimic_ppo *p) {
  return (mimic_ppo_rollout){.n = p->rollout_ready ? p->n : 0,
                             .obs_dim = p->D,
                             .act_width = p->aw,
                             .obs = p->b_raw,
                             .next_obs = p->b_next,
                             .actions = p->b_env_act,
                             .terminated = p->b_term,
                             .truncated = p->b_trunc,
                             .env_rewards = p->b_env_rew};
}
