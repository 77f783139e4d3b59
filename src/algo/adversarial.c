/* GAIL and AIRL: the discriminator and the rounds (see mimic/adversarial.h).
 *
 * The expert transitions are copied once into flat arrays (obs, next obs,
 * action, terminated); data-parallel with cfg.shard, a rank copies only
 * its shard of them (adversarial_dist.c). A discriminator step builds a batch of 2B rows,
 * expert rows first (label 1) then generator rows (label 0), drawn
 * uniformly with replacement from the demonstrations and from the last
 * rollout. Inputs are normalised with running statistics that take in
 * every training batch (imitation's RunningNorm input layer); they are
 * stored in the networks' own normalisers, so a saved reward network
 * carries them.
 *
 * GAIL:  logit = D(s, a)                         reward softplus(logit)
 * AIRL:  f = g(s[, a]) + gamma (1 - done) h(s') - h(s),
 *        logit = f - log pi(a|s)                 reward f
 * BCE with logits, dLoss/dlogit = (sigmoid(logit) - label) / 2B; AIRL's h
 * runs once over the 4B rows [s; s'] so one backward pass covers both of
 * its uses. Buffers are sized at create (the rollout size for rewards, 4B
 * for steps); nothing allocates per round.
 *
 * Absorbing states: a sampled index beyond the real transitions (there are
 * as many extra indices as terminations) stands for an absorbing-to-
 * absorbing transition; a real terminated transition then leads to the
 * absorbing state instead of masking h(s'). The generator's reward of a
 * terminated step adds gamma / (1 - gamma) r_abs, with r_abs the reward of
 * the absorbing transition (AIRL: g(abs) + gamma h(abs) - h(abs); GAIL:
 * softplus(D(abs, 0))). log pi of an absorbing transition is taken as 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/softplus.h"
#include "mimic/adversarial.h"
#include "nn/layers.h"
#include "nn/optim.h"
#include "nn/model.h"
#include "algo/adversarial_impl.h"
#include "algo/reward_net.h"

mimic_adv_config mimic_adv_defaults(mimic_adv_kind kind, const char *env_id) {
  mimic_adv_config c;
  memset(&c, 0, sizeof c);
  c.kind = kind;
  c.ppo = mimic_ppo_defaults();
  c.ppo.env_id = env_id;
  if (env_id) mimic_ppo_preset(env_id, &c.ppo);
  c.ppo.norm_reward = true;
  c.disc_n_hidden = 2;
  c.disc_hidden[0] = c.disc_hidden[1] = 32;
  c.shaping_n_hidden = 2;
  c.shaping_hidden[0] = c.shaping_hidden[1] = 32;
  c.disc_activation = MIMIC_ACT_RELU;
  c.disc_lr = 1e-3;
  c.n_disc_updates = 2;
  c.demo_batch_size = 256;
  c.disc_normalize = true;
  c.absorbing = kind == MIMIC_ADV_AIRL;
  if (env_id && strcmp(env_id, "Pendulum-v1") == 0) {
    /* a dense learned reward: a longer horizon than the true reward's
     * preset, and a discriminator that knows something before the
     * generator first learns from it (else the generator can settle into
     * spinning at full torque); docs/rl.md */
    c.ppo.gamma = 0.99;
    c.disc_warmup = 100;
  }
  return c;
}

mimic_status mimic_adv_check(const mimic_adv_config *c) {
  if (c->kind != MIMIC_ADV_GAIL && c->kind != MIMIC_ADV_AIRL)
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: kind %d is neither GAIL nor AIRL",
                      (int)c->kind);
  MIMIC_TRY(mimic_ppo_check(&c->ppo));
  if (mimic_comm_parallel(c->ppo.comm) && c->kind != MIMIC_ADV_GAIL)
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: AIRL runs on one process only, not %d ranks",
                      c->ppo.comm->size);
  if (c->reward_inputs && !mimic_reward_inputs_name(c->reward_inputs))
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: unknown reward inputs %d",
                      (int)c->reward_inputs);
  if (!(c->disc_lr > 0) || !isfinite(c->disc_lr))
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: disc_lr %g must be > 0", c->disc_lr);
  if (!(c->disc_weight_decay >= 0) || !isfinite(c->disc_weight_decay))
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: disc_weight_decay %g must be >= 0",
                      c->disc_weight_decay);
  if (c->n_disc_updates < 0 || c->disc_warmup < 0)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "adversarial: n_disc_updates %d and disc_warmup %d must be >= 0",
                      c->n_disc_updates, c->disc_warmup);
  if (c->demo_batch_size < 1 || c->demo_batch_size > (1 << 20))
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: demo_batch_size %d must be in 1..1048576",
                      c->demo_batch_size);
  if (c->disc_n_hidden < 0 || c->disc_n_hidden >= MIMIC_MLP_MAX_LAYERS || c->shaping_n_hidden < 0 ||
      c->shaping_n_hidden >= MIMIC_MLP_MAX_LAYERS)
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: at most %d hidden layers",
                      MIMIC_MLP_MAX_LAYERS - 1);
  return MIMIC_OK;
}

static mimic_status copy_demos(mimic_adv *a, const mimic_dataset *ds) {
  if (ds->n_steps == 0)
    return mimic_fail(MIMIC_ERR_INVALID, "adversarial: the demonstrations hold no transitions");
  const mimic_space *das = &ds->act_space.space;
  if (ds->obs_dim != a->D)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "adversarial: demonstrations have observations of %d values, %s gives %d",
                      ds->obs_dim, a->cfg.ppo.env_id, a->D);
  if (das->kind != a->act_space.kind || ds->act_dim != a->aw ||
      (das->kind == MIMIC_SPACE_DISCRETE && das->n != a->act_space.n))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "adversarial: the demonstrations' action space is not %s's",
                      a->cfg.ppo.env_id);
  size_t M = ds->n_steps, D = (size_t)a->D, aw = (size_t)a->aw;
  a->M = a->d_n = M; /* sharded, adv_dist_demos makes M the whole file's */
  a->d_obs = mimic_malloc(M * (2 * D + aw) * sizeof(float) + M * sizeof(bool), "demonstrations");
  if (!a->d_obs) return MIMIC_ERR_NOMEM;
  a->d_next = a->d_obs + M * D;
  a->d_act = a->d_next + M * D;
  a->d_term = (bool *)(a->d_act + M * aw);
  for (size_t j = 0; j < M; j++) {
    memcpy(a->d_obs + j * D, mimic_dataset_step_obs(ds, j), D * sizeof(float));
    memcpy(a->d_next + j * D, mimic_dataset_step_next_obs(ds, j), D * sizeof(float));
    memcpy(a->d_act + j * aw, mimic_dataset_step_act(ds, j), aw * sizeof(float));
    a->d_term[j] = mimic_dataset_step_done(ds, j);
    a->M_term += a->d_term[j];
  }
  return MIMIC_OK;
}

static mimic_status setup_nets(mimic_adv *a) {
  const mimic_adv_config *c = &a->cfg;
  mimic_reward_inputs in = c->reward_inputs            ? c->reward_inputs
                           : c->kind == MIMIC_ADV_GAIL ? MIMIC_REWARD_STATE_ACTION
                                                       : MIMIC_REWARD_STATE;
  MIMIC_TRY(mimic_reward_net_create(&a->g, in, a->D, &a->act_space, c->absorbing, c->disc_n_hidden,
                                    c->disc_hidden, c->disc_activation, &a->rng));
  a->g.output =
      c->kind == MIMIC_ADV_GAIL && !c->gail_logit_reward ? MIMIC_REWARD_SOFTPLUS : MIMIC_REWARD_RAW;
  int rows = 4 * a->B > a->n_roll ? 4 * a->B : a->n_roll;
  MIMIC_TRY(mimic_reward_net_reserve(&a->g, rows));
  MIMIC_TRY(rl_running_init(&a->norm_g, a->g.in_dim, 1e-4));
  mimic_optim_config oc =
      mimic_optim_defaults(c->disc_weight_decay > 0 ? MIMIC_OPTIM_ADAMW : MIMIC_OPTIM_ADAM);
  oc.lr = c->disc_lr;
  oc.weight_decay = c->disc_weight_decay;
  MIMIC_TRY(mimic_optim_create(&a->opt_g, &oc, a->g.model.n_params));
  if (c->kind == MIMIC_ADV_AIRL) {
    MIMIC_TRY(mimic_reward_net_create(&a->h, MIMIC_REWARD_STATE, a->D, NULL, c->absorbing,
                                      c->shaping_n_hidden, c->shaping_hidden, c->disc_activation,
                                      &a->rng));
    MIMIC_TRY(mimic_reward_net_reserve(&a->h, rows));
    MIMIC_TRY(rl_running_init(&a->norm_h, a->h.in_dim, 1e-4));
    MIMIC_TRY(mimic_optim_create(&a->opt_h, &oc, a->h.model.n_params));
  }
  return MIMIC_OK;
}

mimic_status mimic_adv_create(const mimic_adv_config *cfg, const mimic_dataset *demos,
                              mimic_adv **out) {
  *out = NULL;
  MIMIC_TRY(mimic_adv_check(cfg));
  mimic_adv *a = mimic_calloc(1, sizeof *a, "an adversarial trainer");
  if (!a) return MIMIC_ERR_NOMEM;
  a->cfg = *cfg;
  mimic_status st = mimic_ppo_create(&cfg->ppo, NULL, &a->gen);
  if (st == MIMIC_OK) {
    const mimic_ppo_config *pc = mimic_ppo_get_config(a->gen);
    a->cfg.ppo = *pc; /* strings owned by the generator */
    mimic_ppo_rollout r = mimic_ppo_last_rollout(a->gen);
    a->D = r.obs_dim;
    a->aw = r.act_width;
    a->n_roll = pc->n_steps * pc->n_envs;
    a->B = cfg->demo_batch_size;
    mimic_env *env;
    st = mimic_env_make(pc->env_id, pc->env_opts, &env);
    if (st == MIMIC_OK) {
      a->act_space = *mimic_env_action_space(env);
      a->act_space.low = a->act_space.high = NULL; /* only kind, n and dim are used */
      mimic_env_free(env);
    }
  }
  a->cfg.shard = NULL; /* the caller's, read here only */
  a->par = mimic_comm_parallel(cfg->ppo.comm);
  a->sharded = a->par && cfg->shard;
  if (st == MIMIC_OK && cfg->shard && !a->par &&
      (cfg->shard->first_step != 0 || cfg->shard->steps != demos->n_steps))
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "adversarial: a shard of %zu of the demonstrations' %llu transitions needs the "
                    "other ranks (a communicator of several)",
                    demos->n_steps, (unsigned long long)cfg->shard->steps);
  mimic_rng_seed(&a->rng, cfg->ppo.seed ^ 0xd15c0ULL);
  if (st == MIMIC_OK) st = copy_demos(a, demos);
  if (st == MIMIC_OK && !a->sharded) a->demo_crc = adv_demo_crc(a, 0, -1); /* else the ranks' */
  if (st == MIMIC_OK) st = setup_nets(a);
  a->hi = 2 * a->B;
  a->n_gen = (size_t)a->n_roll;
  if (st == MIMIC_OK && a->par) {
    st = adv_dist_start(a);
    a->n_gen = (size_t)a->n_roll * (size_t)cfg->ppo.comm->size;
  }
  if (st == MIMIC_OK && a->sharded) st = adv_dist_demos(a, demos, cfg->shard);
  if (st == MIMIC_OK) {
    size_t B2 = 2 * (size_t)a->B, D = (size_t)a->D;
    size_t floats = B2 * (2 * D + (size_t)a->aw + 3) + 2 * B2 * D + 2 * B2 + 2 * (size_t)a->n_roll +
                    D + (size_t)a->aw;
    a->s_obs =
        mimic_calloc(floats * sizeof(float) + 3 * B2 * sizeof(bool), 1, "discriminator buffers");
    if (!a->s_obs)
      st = MIMIC_ERR_NOMEM;
    else {
      a->s_next = a->s_obs + B2 * D;
      a->s_act = a->s_next + B2 * D;
      a->s_logpi = a->s_act + B2 * (size_t)a->aw;
      a->s_logit = a->s_logpi + B2;
      a->s_dl = a->s_logit + B2;
      a->s_hin = a->s_dl + B2;
      a->s_hd = a->s_hin + 2 * B2 * D;
      a->r_g = a->s_hd + 2 * B2;
      a->r_hs = a->r_g + a->n_roll;
      a->zeros = a->r_hs + a->n_roll;
      a->s_mask = (bool *)(a->zeros + D + (size_t)a->aw);
      a->s_abs = a->s_mask + B2;
      a->one[0] = true;
    }
  }
  if (st != MIMIC_OK) {
    mimic_adv_free(a);
    return st;
  }
  *out = a;
  return MIMIC_OK;
}

void mimic_adv_free(mimic_adv *a) {
  if (!a) return;
  mimic_ppo_free(a->gen);
  mimic_reward_net_free(&a->g);
  mimic_reward_net_free(&a->h);
  mimic_optim_free(&a->opt_g);
  mimic_optim_free(&a->opt_h);
  rl_running_free(&a->norm_g);
  rl_running_free(&a->norm_h);
  free(a->d_obs);
  free(a->s_obs);
  free(a->ckpt_rms);
  free(a->ckpt_norm);
  free(a->reduce);
  free(a->all_term);
  free(a->s_held);
  free(a);
}

mimic_ppo *mimic_adv_generator(mimic_adv *a) { return a->gen; }
mimic_reward_net *mimic_adv_reward(mimic_adv *a) { return &a->g; }

/* Updates a network's running input statistics from its assembled inputs
 * (rows) and writes them into its normaliser. */
static mimic_status renorm(mimic_adv *a, mimic_reward_net *r, rl_running *st, int rows) {
  if (!a->cfg.disc_normalize) return MIMIC_OK;
  rl_running_update(st, r->in_buf, (size_t)rows, (size_t)r->in_dim);
  rl_running_get(st, r->model.obs_mean, r->model.obs_var);
  return mimic_model_set_obs_norm(&r->model, r->model.obs_mean, r->model.obs_var, 1e-5f, 0.0f);
}

/* Forward of a network on rows [lo, lo + rows) of its assembled inputs;
 * returns the (normalised) input pointer for backward. */
static const float *forward(mimic_reward_net *r, int lo, int rows, mimic_status *st) {
  const float *x = r->in_buf + (size_t)lo * (size_t)r->in_dim;
  *st = mimic_model_forward(&r->model, x, rows);
  return r->model.obs_norm ? r->model.obs_buf : x;
}

/* One discriminator step; adds the loss to *loss and the last step's
 * accuracies to out. Data-parallel, the rank draws the whole batch,
 * assembles the rows it holds, completes the batch from the others' and
 * computes on its rows [lo, hi) of it (adversarial_dist.c). */
static mimic_status disc_step(mimic_adv *a, mimic_adv_round *out, double *loss) {
  const int B = a->B, B2 = 2 * B;
  const size_t D = (size_t)a->D, aw = (size_t)a->aw;
  mimic_ppo_rollout r = mimic_ppo_last_rollout(a->gen);
  const bool absorbing = a->cfg.absorbing;
  bool *abs_s = a->s_abs, *abs_n = a->s_abs + B2;
  for (int k = 0; k < B2; k++) {
    const float *o = a->zeros, *nx = a->zeros, *ac = a->zeros;
    bool term = false, held = true, ab;
    if (k < B) {
      size_t j =
          (size_t)mimic_rng_integers(&a->rng, 0, (int64_t)(a->M + (absorbing ? a->M_term : 0)));
      ab = j >= a->M;           /* sharded, rank 0 supplies the absorbing rows */
      if (!ab) j -= a->d_first; /* past d_n (wrapped) when another rank holds the row */
      held = ab ? !a->sharded || a->rank == 0 : j < a->d_n;
      if (held && !ab)
        o = a->d_obs + j * D, nx = a->d_next + j * D, ac = a->d_act + j * aw, term = a->d_term[j];
    } else {
      size_t j = (size_t)mimic_rng_integers(&a->rng, 0, (int64_t)(a->n_gen + a->gen_term));
      int owner = 0;
      ab = j >= a->n_gen; /* an absorbing-to-absorbing transition (rank 0 supplies it) */
      if (!ab) j = adv_gen_row(a, j, &owner);
      held = owner == a->rank;
      if (held && !ab)
        o = r.obs + j * D, nx = r.next_obs + j * D, ac = r.actions + j * aw, term = r.terminated[j];
    }
    memcpy(a->s_obs + (size_t)k * D, o, D * sizeof(float));
    memcpy(a->s_next + (size_t)k * D, nx, D * sizeof(float));
    memcpy(a->s_act + (size_t)k * aw, ac, aw * sizeof(float));
    abs_s[k] = ab;
    abs_n[k] = ab || (absorbing && term);
    a->s_mask[k] = term && !absorbing;
    if (a->par) a->s_held[k] = held;
  }
  const bool airl = a->cfg.kind == MIMIC_ADV_AIRL;
  const double gamma = a->cfg.ppo.gamma;
  const int lo = a->lo, m = a->hi - a->lo;
  mimic_status st;
  MIMIC_TRY(mimic_reward_net_inputs_abs(&a->g, a->s_obs, a->s_act, a->s_next,
                                        absorbing ? abs_s : NULL, absorbing ? abs_n : NULL, B2));
  if (a->par) MIMIC_TRY(adv_dist_share_rows(a));
  MIMIC_TRY(renorm(a, &a->g, &a->norm_g, B2));
  const float *xg = NULL;
  if (m > 0) {
    xg = forward(&a->g, lo, m, &st);
    MIMIC_TRY(st);
    memcpy(a->s_logit + lo, a->g.model.actor.out, (size_t)m * sizeof(float));
  }
  const float *xh = NULL;
  if (airl) { /* one process only: lo = 0, m = B2 */
    memcpy(a->s_hin, a->s_obs, (size_t)B2 * D * sizeof(float));
    memcpy(a->s_hin + (size_t)B2 * D, a->s_next, (size_t)B2 * D * sizeof(float));
    MIMIC_TRY(mimic_reward_net_inputs_abs(&a->h, a->s_hin, NULL, NULL, absorbing ? a->s_abs : NULL,
                                          NULL, 2 * B2));
    MIMIC_TRY(renorm(a, &a->h, &a->norm_h, B2)); /* statistics of s rows only */
    xh = forward(&a->h, 0, 2 * B2, &st);
    MIMIC_TRY(st);
    MIMIC_TRY(mimic_ppo_log_prob(a->gen, a->s_obs, a->s_act, B2, a->s_logpi));
    const float *hv = a->h.model.actor.out;
    for (int k = 0; k < B2; k++) {
      double f = a->s_logit[k] + gamma * (a->s_mask[k] ? 0.0 : hv[B2 + k]) - hv[k];
      a->s_logit[k] = (float)(f - (abs_s[k] ? 0.0 : a->s_logpi[k]));
    }
  }
  /* loss, expert and generator accuracy, mean expert and generator logit (as sums) */
  double sums[ADV_SHARED] = {0};
  for (int k = lo; k < a->hi; k++) {
    double z = a->s_logit[k], y = k < B ? 1.0 : 0.0;
    sums[0] += y > 0 ? mimic_softplus(-z) : mimic_softplus(z);
    a->s_dl[k] = (float)((1.0 / (1.0 + exp(-z)) - y) / B2);
    if (k < B)
      sums[1] += z > 0, sums[3] += z;
    else
      sums[2] += z < 0, sums[4] += z;
  }
  mimic_model_zero_grad(&a->g.model);
  if (m > 0) MIMIC_TRY(mimic_mlp_backward(&a->g.model.actor, xg, a->s_dl + lo, m, NULL));
  if (a->par) MIMIC_TRY(adv_dist_sum(a, sums));
  *loss += sums[0] / B2;
  out->disc_acc_expert = sums[1] / B;
  out->disc_acc_gen = sums[2] / B;
  out->expert_logit = sums[3] / B;
  out->gen_logit = sums[4] / B;
  mimic_optim_step(&a->opt_g, a->g.model.params, a->g.model.grads);
  if (airl) {
    for (int k = 0; k < B2; k++) {
      a->s_hd[k] = -a->s_dl[k];
      a->s_hd[B2 + k] = a->s_mask[k] ? 0.0f : (float)(gamma * a->s_dl[k]);
    }
    mimic_model_zero_grad(&a->h.model);
    MIMIC_TRY(mimic_mlp_backward(&a->h.model.actor, xh, a->s_hd, 2 * B2, NULL));
    mimic_optim_step(&a->opt_h, a->h.model.params, a->h.model.grads);
  }
  return MIMIC_OK;
}

/* The reward of the absorbing-to-absorbing transition (*r_abs) and, for
 * AIRL, h(absorbing) (*h_abs). */
static mimic_status absorbing_reward(mimic_adv *a, double *r_abs, double *h_abs) {
  MIMIC_TRY(mimic_reward_net_inputs_abs(&a->g, a->zeros, a->zeros, a->zeros, a->one, a->one, 1));
  MIMIC_TRY(mimic_model_forward(&a->g.model, a->g.in_buf, 1));
  double gv = a->g.model.actor.out[0];
  *h_abs = 0;
  if (a->cfg.kind == MIMIC_ADV_GAIL) {
    *r_abs = a->g.output == MIMIC_REWARD_SOFTPLUS ? mimic_softplus(gv) : gv;
    return MIMIC_OK;
  }
  MIMIC_TRY(mimic_reward_net_inputs_abs(&a->h, a->zeros, NULL, NULL, a->one, NULL, 1));
  MIMIC_TRY(mimic_model_forward(&a->h.model, a->h.in_buf, 1));
  *h_abs = a->h.model.actor.out[0];
  *r_abs = gv + a->cfg.ppo.gamma * *h_abs - *h_abs;
  return MIMIC_OK;
}

/* The generator's reward (PPO calls it over the whole rollout). */
static mimic_status gen_reward(void *user, const float *obs, const float *act,
                               const float *next_obs, const bool *terminated, int n,
                               double *rewards) {
  mimic_adv *a = user;
  const double gamma = a->cfg.ppo.gamma;
  const bool absorbing = a->cfg.absorbing;
  double r_abs = 0, h_abs = 0;
  if (absorbing) MIMIC_TRY(absorbing_reward(a, &r_abs, &h_abs));
  const double tail = gamma < 1 ? gamma / (1 - gamma) * r_abs : 0;
  if (a->cfg.kind == MIMIC_ADV_GAIL) {
    MIMIC_TRY(mimic_reward_net_predict(&a->g, obs, act, next_obs, n, rewards));
    if (absorbing)
      for (int i = 0; i < n; i++)
        if (terminated[i]) rewards[i] += tail;
    return MIMIC_OK;
  }
  MIMIC_TRY(mimic_reward_net_forward(&a->g, obs, act, next_obs, n, a->r_g));
  MIMIC_TRY(mimic_reward_net_forward(&a->h, obs, NULL, NULL, n, a->r_hs));
  for (int i = 0; i < n; i++) rewards[i] = (double)a->r_g[i] - a->r_hs[i];
  MIMIC_TRY(mimic_reward_net_forward(&a->h, next_obs, NULL, NULL, n, a->r_hs));
  for (int i = 0; i < n; i++) {
    if (!terminated[i])
      rewards[i] += gamma * a->r_hs[i];
    else if (absorbing)
      rewards[i] += gamma * h_abs + tail;
  }
  return MIMIC_OK;
}

mimic_status mimic_adv_round_run(mimic_adv *a, mimic_adv_round *out) {
  memset(out, 0, sizeof *out);
  MIMIC_TRY(mimic_ppo_collect(a->gen));
  /* counted once here: every discriminator step of the round samples this rollout */
  a->gen_term = 0;
  if (a->cfg.absorbing) {
    mimic_ppo_rollout r = mimic_ppo_last_rollout(a->gen);
    for (int j = 0; j < r.n; j++) a->gen_term += r.terminated[j];
    if (a->par) MIMIC_TRY(adv_dist_total(a, a->gen_term, &a->gen_term));
  }
  double loss = 0;
  int steps = a->cfg.n_disc_updates + (a->round == 0 ? a->cfg.disc_warmup : 0);
  for (int u = 0; u < steps; u++) MIMIC_TRY(disc_step(a, out, &loss));
  out->disc_loss = steps ? loss / steps : NAN;
  if (a->par && steps)
    MIMIC_TRY(mimic_comm_check_same(a->cfg.ppo.comm, a->g.model.params,
                                    a->g.model.n_params * sizeof(float),
                                    "the discriminator parameters"));
  mimic_ppo_set_reward(a->gen, gen_reward, a);
  MIMIC_TRY(mimic_ppo_update(a->gen, &out->ppo));
  out->round = ++a->round;
  return MIMIC_OK;
}

mimic_status mimic_adv_learn(mimic_adv *a, long total_steps, mimic_adv_callback cb, void *user) {
  if (total_steps <= 0) total_steps = a->cfg.ppo.total_steps;
  while (mimic_ppo_timesteps(a->gen) < total_steps) {
    mimic_adv_round r;
    MIMIC_TRY(mimic_adv_round_run(a, &r));
    if (cb && !cb(a, &r, user)) break;
  }
  return MIMIC_OK;
}

mimic_status mimic_adv_save_reward(mimic_adv *a, const char *path, const char *shaping_path) {
  mimic_env *env;
  MIMIC_TRY(mimic_env_make(a->cfg.ppo.env_id, a->cfg.ppo.env_opts, &env));
  const mimic_space *os = mimic_env_obs_space(env), *as = mimic_env_action_space(env);
  const bool airl = a->cfg.kind == MIMIC_ADV_AIRL;
  const double gamma = a->cfg.ppo.gamma;
  if (a->cfg.absorbing) { /* the saved reward's own absorbing value: g alone (AIRL), softplus(D)
                             (GAIL) */
    double r_abs, h_abs;
    mimic_status st = absorbing_reward(a, &r_abs, &h_abs);
    if (st) {
      mimic_env_free(env);
      return st;
    }
    if (airl) r_abs = r_abs - gamma * h_abs + h_abs; /* g(abs) */
    a->g.absorbing_value = gamma < 1 ? gamma / (1 - gamma) * r_abs : 0;
  }
  char extra[256];
  snprintf(extra, sizeof extra,
           "{\"algorithm\": \"%s\", \"reward_kind\": \"%s\", \"gamma\": %.17g, \"rounds\": %ld}",
           airl ? "airl" : "gail",
           airl                                   ? "airl-g"
           : a->g.output == MIMIC_REWARD_SOFTPLUS ? "gail-softplus-logit"
                                                  : "gail-logit",
           a->cfg.ppo.gamma, a->round);
  mimic_status st = mimic_reward_net_save(&a->g, path, a->cfg.ppo.env_id, os, as, extra);
  if (st == MIMIC_OK && airl && shaping_path) {
    snprintf(extra, sizeof extra,
             "{\"algorithm\": \"airl\", \"reward_kind\": \"airl-h\", \"gamma\": %.17g}",
             a->cfg.ppo.gamma);
    st = mimic_reward_net_save(&a->h, shaping_path, a->cfg.ppo.env_id, os, as, extra);
  }
  mimic_env_free(env);
  return st;
}
