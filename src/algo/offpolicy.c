/* The off-policy learners (mimic/offpolicy.h): configuration, networks,
 * the online loop (SB3's collect_rollouts over one environment through
 * the rollout helper, gradient_steps updates every train_freq steps), the offline loop (d3rlpy's
 * uniform minibatches of a dataset's transitions), and the policy file.
 * The updates themselves are in offpolicy_update.c. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/offline_loss.h"
#include "algo/offpolicy_impl.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"
#include "nn/layers.h"

static const char *const algo_names[] = {"sac", "td3", "td3bc",        "iql",
                                         "cql", "dqn", "discrete-cql", "discrete-bc"};
#define N_ALGOS 8

const char *mimic_offpolicy_algo_name(mimic_offpolicy_algo algo) {
  return (unsigned)algo < N_ALGOS ? algo_names[algo] : NULL;
}

bool mimic_offpolicy_algo_parse(const char *name, mimic_offpolicy_algo *out) {
  for (int a = 0; a < N_ALGOS; a++)
    if (name && strcmp(name, algo_names[a]) == 0) {
      *out = (mimic_offpolicy_algo)a;
      return true;
    }
  return false;
}

bool mimic_offpolicy_is_offline(mimic_offpolicy_algo algo) {
  return algo == MIMIC_OFFPOLICY_TD3BC || algo == MIMIC_OFFPOLICY_IQL ||
         algo == MIMIC_OFFPOLICY_CQL || algo == MIMIC_OFFPOLICY_DISCRETE_CQL ||
         algo == MIMIC_OFFPOLICY_DISCRETE_BC;
}

bool mimic_offpolicy_is_discrete(mimic_offpolicy_algo algo) {
  return algo == MIMIC_OFFPOLICY_DQN || algo == MIMIC_OFFPOLICY_DISCRETE_CQL ||
         algo == MIMIC_OFFPOLICY_DISCRETE_BC;
}

mimic_offpolicy_config mimic_offpolicy_defaults(mimic_offpolicy_algo algo) {
  mimic_offpolicy_config c = {
      .algo = algo,
      .total_steps = 100000,
      .buffer_size = 1000000,
      .learning_starts = 100,
      .batch_size = 256,
      .actor_lr = 3e-4,
      .critic_lr = 3e-4,
      .gamma = 0.99,
      .tau = 0.005,
      .gradient_steps = 1,
      .n_hidden = 2,
      .hidden = {256, 256},
      .ent_auto = true,
      .ent_coef = 1.0,
      .target_entropy = NAN,
      .use_sde = false,
      .sde_sample_freq = -1,
      .log_std_init = -3.0,
      .clip_mean = 2.0,
      .sde_learn_features = true,
      .policy_delay = 2,
      .target_noise = 0.2,
      .target_noise_clip = 0.5,
      .action_noise = 0.1,
      .alpha = 2.5,
      .normalize_obs = algo == MIMIC_OFFPOLICY_TD3BC,
      .expectile = 0.7,
      .beta = 3.0,
      .max_weight = 100.0,
      .conservative_weight = 5.0,
      .n_action_samples = 10,
      .alpha_threshold = 10.0,
      .cql_alpha = 1.0,
      .alpha_lr = 1e-4,
      .temp_lr = 1e-4,
      .train_freq = algo == MIMIC_OFFPOLICY_SAC || algo == MIMIC_OFFPOLICY_TD3 ? 1 : 4,
      .target_update_interval = 10000,
      .exploration_fraction = 0.1,
      .exploration_initial_eps = 1.0,
      .exploration_final_eps = 0.05,
      .max_grad_norm = 0,
      .adam_eps = 1e-8,
      .double_q = false,
      .logit_penalty = 0.5,
  };
  if (algo == MIMIC_OFFPOLICY_CQL) c.actor_lr = 1e-4; /* d3rlpy's CQLConfig */
  if (algo == MIMIC_OFFPOLICY_TD3) {                  /* SB3's TD3: lr 1e-3, net_arch [400, 300] */
    c.actor_lr = c.critic_lr = 1e-3;
    c.hidden[0] = 400;
    c.hidden[1] = 300;
  }
  if (algo == MIMIC_OFFPOLICY_DQN) { /* SB3's DQN */
    c.actor_lr = c.critic_lr = 1e-4;
    c.batch_size = 32;
    c.tau = 1.0;
    c.hidden[0] = c.hidden[1] = 64;
    c.max_grad_norm = 10;
  }
  if (algo == MIMIC_OFFPOLICY_DISCRETE_CQL) { /* d3rlpy's DiscreteCQLConfig */
    c.actor_lr = c.critic_lr = 6.25e-5;
    c.adam_eps = 1e-2 / 32;
    c.batch_size = 32;
    c.tau = 1.0;
    c.target_update_interval = 8000;
    c.double_q = true;
  }
  if (algo == MIMIC_OFFPOLICY_DISCRETE_BC) { /* d3rlpy's DiscreteBCConfig */
    c.actor_lr = c.critic_lr = 1e-3;
    c.batch_size = 100;
  }
  return c;
}

mimic_status mimic_offpolicy_check(const mimic_offpolicy_config *c) {
#define BAD(...) return mimic_fail(MIMIC_ERR_INVALID, __VA_ARGS__)
  if (!mimic_offpolicy_algo_name(c->algo)) BAD("off-policy: algo %d is unknown", (int)c->algo);
  if (!c->env_id || !*c->env_id) BAD("off-policy: env_id is required");
  if (c->total_steps < 1) BAD("off-policy: total_steps must be >= 1, got %ld", c->total_steps);
  if (c->batch_size < 1 || c->batch_size > 1 << 20)
    BAD("off-policy: batch_size must be in 1..%d, got %d", 1 << 20, c->batch_size);
  if (!mimic_offpolicy_is_offline(c->algo)) {
    if (c->buffer_size < 1) BAD("off-policy: buffer_size must be >= 1, got %ld", c->buffer_size);
    if (c->learning_starts < 0)
      BAD("off-policy: learning_starts must be >= 0, got %ld", c->learning_starts);
    if (c->gradient_steps < 1)
      BAD("off-policy: gradient_steps must be >= 1, got %d", c->gradient_steps);
    if (c->train_freq < 1) BAD("off-policy: train_freq must be >= 1, got %d", c->train_freq);
  }
  if (c->use_sde) {
    if (c->algo != MIMIC_OFFPOLICY_SAC)
      BAD("off-policy: gSDE (use_sde) is SAC's exploration, not %s's",
          mimic_offpolicy_algo_name(c->algo));
    if (c->sde_sample_freq < 1 && c->sde_sample_freq != -1)
      BAD("off-policy: sde_sample_freq must be >= 1 or -1 (each rollout's start), got %d",
          c->sde_sample_freq);
    if (!(c->log_std_init >= -20 && c->log_std_init <= 2))
      BAD("off-policy: log_std_init must be in [-20, 2], got %g", c->log_std_init);
    if (!(c->clip_mean >= 0 && isfinite(c->clip_mean)))
      BAD("off-policy: clip_mean must be >= 0 (0: none), got %g", c->clip_mean);
  }
  if (mimic_offpolicy_is_discrete(c->algo)) {
    if (c->target_update_interval < 1)
      BAD("off-policy: target_update_interval must be >= 1, got %ld", c->target_update_interval);
    if (!(c->exploration_fraction >= 0 && c->exploration_fraction <= 1) ||
        !(c->exploration_initial_eps >= 0 && c->exploration_initial_eps <= 1) ||
        !(c->exploration_final_eps >= 0 && c->exploration_final_eps <= 1))
      BAD("off-policy: exploration_fraction and the epsilons must be in [0, 1]");
    if (!(c->max_grad_norm >= 0)) BAD("off-policy: max_grad_norm must be >= 0");
    if (!(c->logit_penalty >= 0)) BAD("off-policy: logit_penalty must be >= 0");
    if (c->algo == MIMIC_OFFPOLICY_DISCRETE_CQL && !(c->cql_alpha >= 0))
      BAD("off-policy: discrete CQL's alpha (cql_alpha) must be >= 0, got %g", c->cql_alpha);
  }
  if (!(c->adam_eps > 0)) BAD("off-policy: adam_eps must be > 0, got %g", c->adam_eps);
  if (!(c->actor_lr > 0) || !(c->critic_lr > 0))
    BAD("off-policy: learning rates must be > 0 (actor %g, critic %g)", c->actor_lr, c->critic_lr);
  if (!(c->gamma >= 0 && c->gamma <= 1))
    BAD("off-policy: gamma must be in [0, 1], got %g", c->gamma);
  if (!(c->tau > 0 && c->tau <= 1)) BAD("off-policy: tau must be in (0, 1], got %g", c->tau);
  if (c->n_hidden < 1 || c->n_hidden > MIMIC_MLP_MAX_LAYERS - 1)
    BAD("off-policy: 1 to %d hidden layers, got %d", MIMIC_MLP_MAX_LAYERS - 1, c->n_hidden);
  for (int i = 0; i < c->n_hidden; i++)
    if (c->hidden[i] < 1 || c->hidden[i] > MIMIC_MLP_MAX_WIDTH)
      BAD("off-policy: hidden layer %d has width %d", i, c->hidden[i]);
  if (!(c->ent_coef > 0)) BAD("off-policy: ent_coef must be > 0, got %g", c->ent_coef);
  if (c->policy_delay < 1) BAD("off-policy: policy_delay must be >= 1, got %d", c->policy_delay);
  if (!(c->target_noise >= 0) || !(c->target_noise_clip >= 0) || !(c->action_noise >= 0))
    BAD("off-policy: noise levels must be >= 0");
  if (!(c->alpha >= 0)) BAD("off-policy: alpha must be >= 0, got %g", c->alpha);
  if (!(c->expectile > 0 && c->expectile < 1))
    BAD("off-policy: expectile must be in (0, 1), got %g", c->expectile);
  if (!(c->beta >= 0) || !(c->max_weight > 0)) BAD("off-policy: beta >= 0 and max_weight > 0");
  if (c->algo == MIMIC_OFFPOLICY_CQL &&
      (c->n_action_samples < 1 || c->n_action_samples > 1000 || !(c->conservative_weight >= 0) ||
       !(c->cql_alpha > 0) || !(c->alpha_lr > 0) || !(c->temp_lr > 0) ||
       (long)c->batch_size * 3 * c->n_action_samples > 1 << 24))
    BAD("off-policy: CQL needs n_action_samples in 1..1000, conservative_weight >= 0, cql_alpha, "
        "alpha_lr and temp_lr > 0");
  if (mimic_comm_parallel(c->comm)) {
    if (c->algo != MIMIC_OFFPOLICY_TD3BC && c->algo != MIMIC_OFFPOLICY_IQL)
      BAD("off-policy: %s runs on one process only (data-parallel: td3bc, iql), not on %d ranks",
          mimic_offpolicy_algo_name(c->algo), c->comm->size);
    if (c->batch_size < c->comm->size)
      BAD("off-policy: a batch of %d cannot be split over %d ranks", c->batch_size, c->comm->size);
  } else if (c->shard_total) {
    BAD("off-policy: a shard of the data (shard_total) needs several ranks");
  }
#undef BAD
  return MIMIC_OK;
}

/* ---- create / free ---------------------------------------------------------- */

static mimic_status alloc_work(mimic_offpolicy *t) {
  op_work *w = &t->w;
  size_t B = (size_t)t->B, D = (size_t)t->D, A = (size_t)t->A;
  float **f[] = {&w->obs, &w->next_obs, &w->act,  &w->rew,    &w->done, &w->sa,        &w->dsa,
                 &w->eps, &w->eps2,     &w->a_pi, &w->a_next, &w->logp, &w->logp_next, &w->q1,
                 &w->q2,  &w->target,   &w->dq,   &w->v,      &w->dv,   &w->dact,      &w->dout};
  size_t n[] = {B * D, B * D, B * A, B, B, B * (D + A), B * (D + A), B * A, B * A, B * A,    B * A,
                B,     B,     B,     B, B, B,           B,           B,     B * A, B * 2 * A};
  for (size_t k = 0; k < sizeof n / sizeof n[0]; k++)
    if (!(*f[k] = mimic_calloc(n[k], sizeof(float), "an off-policy batch"))) return MIMIC_ERR_NOMEM;
  w->rew_d = mimic_calloc(B, sizeof(double), "an off-policy batch");
  w->done_u8 = mimic_calloc(B, 1, "an off-policy batch");
  w->rows = mimic_calloc(B, sizeof(uint32_t), "an off-policy batch");
  t->step_act = mimic_calloc(A * 2, sizeof(float), "an action");
  if (!w->rew_d || !w->done_u8 || !w->rows || !t->step_act) return MIMIC_ERR_NOMEM;
  return MIMIC_OK;
}

static void free_work(op_work *w) {
  float *f[] = {w->obs, w->next_obs, w->act,  w->rew,    w->done, w->sa,        w->dsa,
                w->eps, w->eps2,     w->a_pi, w->a_next, w->logp, w->logp_next, w->q1,
                w->q2,  w->target,   w->dq,   w->v,      w->dv,   w->dact,      w->dout};
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) free(f[k]);
  free(w->rew_d);
  free(w->done_u8);
  free(w->rows);
}

static int sizes_of(const mimic_offpolicy_config *c, int in, int out, int *s) {
  s[0] = in;
  for (int i = 0; i < c->n_hidden; i++) s[i + 1] = c->hidden[i];
  s[c->n_hidden + 1] = out;
  return c->n_hidden + 2;
}

/* Discrete algorithms: one network D -> K (Q-values or BC's logits) as
 * the "actor", its target, one Adam; no critics. */
static mimic_status make_discrete_network(mimic_offpolicy *t) {
  const mimic_offpolicy_config *c = &t->cfg;
  int as[MIMIC_MLP_MAX_LAYERS + 1];
  int na = sizes_of(c, t->D, t->K, as);
  t->n_actor = mimic_mlp_param_count(as, na);
  t->a_params = mimic_calloc(3 * t->n_actor, sizeof(float), "Q-network parameters");
  t->qbuf = mimic_calloc((size_t)t->B * t->K * 2, sizeof(float), "Q-network scratch");
  t->act_ids = mimic_calloc((size_t)t->B, sizeof(int32_t), "an action batch");
  if (!t->a_params || !t->qbuf || !t->act_ids) return MIMIC_ERR_NOMEM;
  t->a_grads = t->a_params + t->n_actor;
  t->a_targ = t->a_grads + t->n_actor;
  MIMIC_TRY(mimic_mlp_create(&t->actor, as, na, MIMIC_ACT_RELU, t->B, t->a_params, t->a_grads));
  MIMIC_TRY(mimic_mlp_create(&t->actor_targ, as, na, MIMIC_ACT_RELU, t->B, t->a_targ, t->a_grads));
  mimic_mlp_init_torch(&t->actor, &t->rng);
  memcpy(t->a_targ, t->a_params, t->n_actor * sizeof(float));
  mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  oc.lr = c->actor_lr;
  oc.eps = c->adam_eps;
  return mimic_optim_create(&t->actor_opt, &oc, t->n_actor);
}

/* gSDE's views of the actor (trunk and head over its parameters), log_std
 * after them at log_std_init, and the scratch of its samples. */
static mimic_status make_sde(mimic_offpolicy *t, const int *as, int na, size_t pa) {
  const int B = t->B, F = t->F, A = t->A;
  const size_t trunk = mimic_mlp_param_count(as, na - 1);
  MIMIC_TRY(
      mimic_mlp_create(&t->sde_trunk, as, na - 1, MIMIC_ACT_RELU, B, t->a_params, t->a_grads));
  MIMIC_TRY(mimic_mlp_create(&t->sde_head, as + na - 2, 2, MIMIC_ACT_RELU, B, t->a_params + trunk,
                             t->a_grads + trunk));
  t->sde_log_std = t->a_params + pa;
  t->sde_grad_log_std = t->a_grads + pa;
  for (size_t k = 0; k < (size_t)F * A; k++) t->sde_log_std[k] = (float)t->cfg.log_std_init;
  const size_t BF = (size_t)B * F, BA = (size_t)B * A, FA = (size_t)F * A;
  t->sde_buf = mimic_calloc(3 * BF + 2 * BA + 4 * FA, sizeof(float), "gSDE's scratch");
  if (!t->sde_buf) return MIMIC_ERR_NOMEM;
  t->sde_latent = t->sde_buf;
  t->sde_dlatent = t->sde_latent + BF;
  t->sde_dx = t->sde_dlatent + BF;
  t->sde_noise = t->sde_dx + BF;
  t->sde_var = t->sde_noise + BA;
  t->sde_z = t->sde_var + BA;
  t->sde_w = t->sde_z + FA;
  t->sde_sigma = t->sde_w + FA;
  t->sde_explore = t->sde_sigma + FA;
  return MIMIC_OK;
}

/* Actor, critics, targets and optimizers, initialised as PyTorch's
 * nn.Linear (SB3's and d3rlpy's off-policy networks): actor, then Q1, Q2,
 * then V, from one generator. */
static mimic_status make_networks(mimic_offpolicy *t) {
  if (t->discrete) return make_discrete_network(t);
  const mimic_offpolicy_config *c = &t->cfg;
  const bool sac = c->algo == MIMIC_OFFPOLICY_SAC || c->algo == MIMIC_OFFPOLICY_CQL,
             iql = c->algo == MIMIC_OFFPOLICY_IQL;
  int as[MIMIC_MLP_MAX_LAYERS + 1], qs[MIMIC_MLP_MAX_LAYERS + 1], vs[MIMIC_MLP_MAX_LAYERS + 1];
  const bool sde = c->use_sde;
  int na = sizes_of(c, t->D, sac && !sde ? 2 * t->A : t->A, as);
  int nq = sizes_of(c, t->D + t->A, 1, qs);
  int nv = sizes_of(c, t->D, 1, vs);
  size_t pa = mimic_mlp_param_count(as, na), pq = mimic_mlp_param_count(qs, nq),
         pv = iql ? mimic_mlp_param_count(vs, nv) : 0;
  t->F = c->hidden[c->n_hidden - 1];
  t->n_actor = pa + (iql ? (size_t)t->A : 0) + (sde ? (size_t)t->F * t->A : 0);
  t->n_q = 2 * pq;
  t->n_critic = t->n_q + pv;
  t->a_params = mimic_calloc(3 * t->n_actor, sizeof(float), "actor parameters");
  t->c_params = mimic_calloc(3 * t->n_critic, sizeof(float), "critic parameters");
  if (!t->a_params || !t->c_params) return MIMIC_ERR_NOMEM;
  t->a_grads = t->a_params + t->n_actor;
  t->a_targ = t->a_grads + t->n_actor;
  t->c_grads = t->c_params + t->n_critic;
  t->c_targ = t->c_grads + t->n_critic;
  const int B = t->B;
  MIMIC_TRY(mimic_mlp_create(&t->actor, as, na, MIMIC_ACT_RELU, B, t->a_params, t->a_grads));
  MIMIC_TRY(mimic_mlp_create(&t->actor_targ, as, na, MIMIC_ACT_RELU, B, t->a_targ, t->a_grads));
  for (int k = 0; k < 2; k++) {
    MIMIC_TRY(mimic_mlp_create(&t->q[k], qs, nq, MIMIC_ACT_RELU, B, t->c_params + k * pq,
                               t->c_grads + k * pq));
    MIMIC_TRY(mimic_mlp_create(&t->q_targ[k], qs, nq, MIMIC_ACT_RELU, B, t->c_targ + k * pq,
                               t->c_grads + k * pq));
  }
  if (iql) {
    MIMIC_TRY(mimic_mlp_create(&t->vnet, vs, nv, MIMIC_ACT_RELU, B, t->c_params + t->n_q,
                               t->c_grads + t->n_q));
    t->log_std = t->a_params + pa; /* d3rlpy: a parameter starting at 0 */
    t->grad_log_std = t->a_grads + pa;
  }
  if (sde) MIMIC_TRY(make_sde(t, as, na, pa));
  mimic_mlp_init_torch(&t->actor, &t->rng);
  mimic_mlp_init_torch(&t->q[0], &t->rng);
  mimic_mlp_init_torch(&t->q[1], &t->rng);
  if (iql) mimic_mlp_init_torch(&t->vnet, &t->rng);
  memcpy(t->a_targ, t->a_params, t->n_actor * sizeof(float));
  memcpy(t->c_targ, t->c_params, t->n_critic * sizeof(float));
  mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  oc.eps = c->adam_eps;
  oc.lr = c->actor_lr;
  MIMIC_TRY(mimic_optim_create(&t->actor_opt, &oc, t->n_actor));
  oc.lr = c->critic_lr;
  MIMIC_TRY(mimic_optim_create(&t->critic_opt, &oc, t->n_critic));
  /* SB3: the temperature follows the learning rate; d3rlpy's CQL has its own */
  oc.lr = c->algo == MIMIC_OFFPOLICY_CQL ? c->temp_lr : c->actor_lr;
  MIMIC_TRY(mimic_optim_create(&t->alpha_opt, &oc, 1));
  t->log_alpha = logf((float)c->ent_coef);
  if (c->algo == MIMIC_OFFPOLICY_CQL) {
    oc.lr = c->alpha_lr;
    MIMIC_TRY(mimic_optim_create(&t->cql_opt, &oc, 1));
    t->log_cql = logf((float)c->cql_alpha);
    size_t rows = (size_t)B * 3 * (size_t)c->n_action_samples;
    t->big_sa = mimic_calloc(rows * (size_t)(t->D + t->A + 5) + (size_t)B * 2 * t->A, sizeof(float),
                             "CQL's sampled actions");
    if (!t->big_sa) return MIMIC_ERR_NOMEM;
    t->big_lp = t->big_sa + rows * (size_t)(t->D + t->A);
    t->big_dq = t->big_lp + rows;
    t->big_q = t->big_dq + rows;
    t->out_next = t->big_q + 2 * rows;
    for (int k = 0; k < 2; k++) MIMIC_TRY(mimic_mlp_reserve(&t->q[k], (int)rows));
  }
  t->target_entropy = isnan(c->target_entropy) ? -(double)t->A : c->target_entropy;
  return MIMIC_OK;
}

/* Copies an env's spaces (bounds owned) and checks the action space. */
static mimic_status take_spaces(mimic_offpolicy *t, const mimic_env *e) {
  const mimic_space *as = mimic_env_action_space(e), *os = mimic_env_obs_space(e);
  t->obs_bounds = mimic_calloc((size_t)os->dim * 2, sizeof(float), "observation bounds");
  if (!t->obs_bounds) return MIMIC_ERR_NOMEM;
  t->D = os->dim;
  memcpy(t->obs_bounds, os->low, (size_t)t->D * sizeof(float));
  memcpy(t->obs_bounds + t->D, os->high, (size_t)t->D * sizeof(float));
  t->obs_space = mimic_space_box(t->D, t->obs_bounds, t->obs_bounds + t->D);
  if (t->discrete) {
    if (as->kind != MIMIC_SPACE_DISCRETE)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "%s: %s learns Discrete actions, but the action space is a Box of %d",
                        t->env_id, mimic_offpolicy_algo_name(t->cfg.algo), as->dim);
    t->A = 1;
    t->K = as->n;
    t->act_space = mimic_space_discrete(t->K);
    return MIMIC_OK;
  }
  if (as->kind != MIMIC_SPACE_BOX)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s: %s learns continuous actions, but the action space is Discrete(%d)",
                      t->env_id, mimic_offpolicy_algo_name(t->cfg.algo), as->n);
  t->A = as->dim;
  t->act_low = mimic_calloc((size_t)t->A * 2, sizeof(float), "action bounds");
  if (!t->act_low) return MIMIC_ERR_NOMEM;
  t->act_high = t->act_low + t->A;
  for (int j = 0; j < t->A; j++) {
    if (!isfinite(as->low[j]) || !isfinite(as->high[j]) || !(as->high[j] > as->low[j]))
      return mimic_fail(
          MIMIC_ERR_INVALID, "%s: action dimension %d has bounds [%g, %g]; %s needs finite ones",
          t->env_id, j, as->low[j], as->high[j], mimic_offpolicy_algo_name(t->cfg.algo));
    t->act_low[j] = as->low[j];
    t->act_high[j] = as->high[j];
  }
  t->act_space = mimic_space_box(t->A, t->act_low, t->act_high);
  return MIMIC_OK;
}

/* The dataset's observation mean and std + 1e-3 (TD3+BC), written as the
 * model normalises: (obs - mean) / sqrt(var + eps), var = (std + 1e-3)^2. */
#define NORM_EPS 1e-8f
/* Sharded: the whole dataset's mean and (population) standard deviation of
 * each observation column into mean[2D], from every rank's rows: the sums,
 * then the squared deviations from the mean, each summed over the ranks. */
static mimic_status shard_obs_stats(mimic_offpolicy *t, double *mean) {
  const mimic_transitions *d = t->data;
  const int D = t->D;
  float *acc = t->reduce; /* holds max(critic, actor) >= D floats */
  for (int pass = 0; pass < 2; pass++) {
    for (int k = 0; k < D; k++) {
      double s = 0;
      for (size_t j = 0; j < d->n; j++) {
        double x = d->obs[(size_t)d->obs_row[j] * (size_t)D + (size_t)k];
        s += pass == 0 ? x : (x - mean[k]) * (x - mean[k]);
      }
      acc[k] = (float)s;
    }
    MIMIC_TRY(t->cfg.comm->allreduce_sum(t->cfg.comm, acc, (size_t)D));
    for (int k = 0; k < D; k++)
      if (pass == 0)
        mean[k] = (double)acc[k] / (double)t->cfg.shard_total;
      else
        mean[D + k] = sqrt((double)acc[k] / (double)t->cfg.shard_total);
  }
  return MIMIC_OK;
}

static mimic_status take_obs_stats(mimic_offpolicy *t) {
  mimic_obs_stats st; /* initialised by the call */
  mimic_status s = mimic_obs_stats_of_transitions(&st, t->data, NULL, 0);
  double *mean = mimic_calloc((size_t)t->D * 2, sizeof(double), "observation statistics");
  t->obs_mean = mimic_calloc((size_t)t->D * 3, sizeof(float), "observation statistics");
  if (!s && (!mean || !t->obs_mean)) s = MIMIC_ERR_NOMEM;
  if (!s && t->own) s = shard_obs_stats(t, mean);
  if (!s) {
    if (!t->own) mimic_obs_stats_get(&st, mean, mean + t->D);
    t->obs_scale = t->obs_mean + t->D;
    float *var = t->obs_scale + t->D;
    for (int k = 0; k < t->D; k++) {
      double sd = mean[t->D + k] + 1e-3;
      t->obs_mean[k] = (float)mean[k];
      var[k] = (float)(sd * sd);
      t->obs_scale[k] = (float)(1.0 / sqrt((double)var[k] + NORM_EPS));
    }
  }
  free(mean);
  mimic_obs_stats_free(&st);
  return s;
}

static mimic_status check_data(mimic_offpolicy *t) {
  const mimic_transitions *d = t->data;
  MIMIC_TRY(mimic_transitions_check(d));
  if (!d->obs_row || !d->rew || !d->done)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s needs transitions with next observations, rewards and dones (a "
                      "dataset's episodes)",
                      mimic_offpolicy_algo_name(t->cfg.algo));
  if (t->discrete) {
    if (d->obs_dim != t->D || d->act_dim != 1 || !d->act_space ||
        d->act_space->kind != MIMIC_SPACE_DISCRETE || d->act_space->n != t->K)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "the dataset has observations of %d and %s actions, but %s has %d and "
                        "Discrete(%d)",
                        d->obs_dim,
                        d->act_space && d->act_space->kind == MIMIC_SPACE_DISCRETE ? "Discrete"
                                                                                   : "Box",
                        t->env_id, t->D, t->K);
    MIMIC_TRY(mimic_transitions_check_ids(d, t->K));
  } else if (d->obs_dim != t->D || d->act_dim != t->A || !d->act_space ||
             d->act_space->kind != MIMIC_SPACE_BOX)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "the dataset has observations of %d and %s actions of %d, but %s has %d "
                      "and a Box of %d",
                      d->obs_dim,
                      d->act_space && d->act_space->kind == MIMIC_SPACE_BOX ? "Box" : "Discrete",
                      d->act_dim, t->env_id, t->D, t->A);
  if (d->n < 1) return mimic_fail(MIMIC_ERR_INVALID, "the dataset has no transitions");
  if (d->n > UINT32_MAX) return mimic_fail(MIMIC_ERR_INVALID, "the dataset is too large");
  return MIMIC_OK;
}

mimic_status mimic_offpolicy_create(const mimic_offpolicy_config *cfg,
                                    const mimic_transitions *data, mimic_offpolicy **out) {
  *out = NULL;
  MIMIC_TRY(mimic_offpolicy_check(cfg));
  const bool offline = mimic_offpolicy_is_offline(cfg->algo);
  if (offline && !data)
    return mimic_fail(MIMIC_ERR_INVALID, "%s learns from a dataset; none was given",
                      mimic_offpolicy_algo_name(cfg->algo));
  if (!offline && data)
    return mimic_fail(MIMIC_ERR_INVALID, "%s learns online; it takes no dataset",
                      mimic_offpolicy_algo_name(cfg->algo));
  mimic_offpolicy *t = mimic_calloc(1, sizeof *t, "an off-policy learner");
  if (!t) return MIMIC_ERR_NOMEM;
  t->cfg = *cfg;
  t->offline = offline;
  t->discrete = mimic_offpolicy_is_discrete(cfg->algo);
  t->env_id = mimic_strdup(cfg->env_id);
  t->env_opts = cfg->env_opts ? mimic_strdup(cfg->env_opts) : NULL;
  t->cfg.env_id = t->env_id;
  t->cfg.env_opts = t->env_opts;
  t->B = cfg->batch_size;
  t->Bs = t->B;
  if (mimic_comm_parallel(cfg->comm)) { /* this rank's rows of every global batch */
    const mimic_comm *c = cfg->comm;
    t->lo = (int)((long)t->B * c->rank / c->size);
    t->Bs = (int)((long)t->B * (c->rank + 1) / c->size) - t->lo;
  }
  t->data = data;
  mimic_rng_seed(&t->rng, cfg->seed);
  mimic_status st = t->env_id && (t->env_opts || !cfg->env_opts) ? MIMIC_OK : MIMIC_ERR_NOMEM;
  mimic_env *e = NULL;
  if (!st) st = mimic_env_make(t->env_id, t->env_opts, &e);
  if (!st) st = take_spaces(t, e);
  mimic_env_free(e);
  if (!st && offline) st = check_data(t);
  if (!st) st = alloc_work(t);
  if (!st) st = make_networks(t);
  if (!st && mimic_comm_parallel(cfg->comm)) {
    size_t n = (t->n_critic > t->n_actor ? t->n_critic : t->n_actor) + OP_N_SHARED;
    t->reduce = mimic_malloc(n * sizeof(float), "the all-reduce buffer");
    if (!t->reduce) st = MIMIC_ERR_NOMEM;
    if (!st && cfg->shard_total &&
        !(t->own = mimic_calloc((size_t)t->B, sizeof *t->own, "the batch's rows")))
      st = MIMIC_ERR_NOMEM;
    if (!st)
      st = mimic_comm_check_same(cfg->comm, t->a_params, t->n_actor * sizeof(float),
                                 "the initial actor parameters");
    if (!st)
      st = mimic_comm_check_same(cfg->comm, t->c_params, t->n_critic * sizeof(float),
                                 "the initial critic parameters");
  }
  if (!st && offline && cfg->normalize_obs) st = take_obs_stats(t); /* sharded: a collective */
  if (!st && !offline) {
    size_t cap = (size_t)cfg->buffer_size;
    if (cap > (size_t)cfg->total_steps)
      cap = (size_t)cfg->total_steps; /* never more rows than steps */
    st = mimic_replay_init(&t->replay, cap, t->D, t->A);
    mimic_rollout_config rc = {.n = 1, .seed = cfg->seed, .episodes = 0};
    if (!st) st = mimic_rollout_open(&t->roll, t->env_id, t->env_opts, &rc);
  }
  if (st) {
    mimic_offpolicy_free(t);
    return st;
  }
  t->t0 = mimic_now();
  *out = t;
  return MIMIC_OK;
}

void mimic_offpolicy_free(mimic_offpolicy *t) {
  if (!t) return;
  mimic_mlp_free(&t->actor);
  mimic_mlp_free(&t->actor_targ);
  for (int k = 0; k < 2; k++) {
    mimic_mlp_free(&t->q[k]);
    mimic_mlp_free(&t->q_targ[k]);
  }
  mimic_mlp_free(&t->vnet);
  mimic_mlp_free(&t->sde_trunk);
  mimic_mlp_free(&t->sde_head);
  free(t->sde_buf);
  free(t->a_params);
  free(t->c_params);
  mimic_optim_free(&t->actor_opt);
  mimic_optim_free(&t->critic_opt);
  mimic_optim_free(&t->alpha_opt);
  mimic_optim_free(&t->cql_opt);
  free(t->big_sa);
  free(t->reduce);
  free(t->own);
  free(t->qbuf);
  free(t->act_ids);
  free(t->obs_mean);
  free(t->act_low);
  free(t->obs_bounds);
  mimic_replay_free(&t->replay);
  mimic_episode_buf_free(&t->rec_ep);
  mimic_rollout_close(&t->roll);
  free_work(&t->w);
  free(t->step_act);
  free(t->env_id);
  free(t->env_opts);
  free(t);
}

/* ---- learning ---------------------------------------------------------------- */

/* DQN's exploration rate after t->steps steps (SB3's linear schedule). */
static double epsilon(const mimic_offpolicy *t) {
  const mimic_offpolicy_config *c = &t->cfg;
  double done = (double)t->steps / (double)c->total_steps;
  if (done >= c->exploration_fraction) return c->exploration_final_eps;
  return c->exploration_initial_eps +
         (c->exploration_final_eps - c->exploration_initial_eps) * done / c->exploration_fraction;
}

/* One environment step of SB3's collect_rollouts. */
static mimic_status env_step(mimic_offpolicy *t) {
  mimic_rollout *r = &t->roll;
  const int A = t->A;
  float *a = t->step_act; /* in [-1, 1] */
  if (t->cfg.use_sde) {   /* SB3: a new matrix as each rollout of train_freq steps begins */
    long k = t->steps % t->cfg.train_freq;
    if (k == 0 || (t->cfg.sde_sample_freq > 0 && k % t->cfg.sde_sample_freq == 0))
      op_sde_reset_explore(t);
  }
  if (t->discrete) {
    int id;
    if (t->steps < t->cfg.learning_starts || mimic_rng_uniform(&t->rng, 0.0, 1.0) < epsilon(t))
      id = (int)mimic_rng_integers(&t->rng, 0, t->K);
    else
      id = op_greedy(t, r->obs);
    a[0] = r->actions[0] = (float)id;
  } else if (t->steps < t->cfg.learning_starts) {
    for (int j = 0; j < A; j++) a[j] = (float)mimic_rng_uniform(&t->rng, -1.0, 1.0);
  } else if (t->cfg.use_sde) {
    op_sde_act(t, r->obs, a);
  } else if (t->cfg.algo == MIMIC_OFFPOLICY_SAC) {
    mimic_mlp_forward(&t->actor, r->obs, 1);
    for (int j = 0; j < A; j++) t->w.eps[j] = (float)mimic_rng_normal(&t->rng);
    float lp;
    mimic_squashed_sample(t->actor.out, t->w.eps, 1, A, a, &lp);
  } else {
    op_actor_deterministic(t, r->obs, 1, a);
    for (int j = 0; j < A; j++) {
      float v = a[j] + (float)(mimic_rng_normal(&t->rng) * t->cfg.action_noise);
      a[j] = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
    }
  }
  for (int j = 0; j < A && !t->discrete; j++) /* SB3's unscale_action */
    r->actions[j] = t->act_low[j] + 0.5f * (a[j] + 1.0f) * (t->act_high[j] - t->act_low[j]);
  memcpy(t->w.obs, r->obs, (size_t)t->D * sizeof(float)); /* the observation acted on */
  MIMIC_TRY(mimic_rollout_step(r));
  bool ended = r->n_end > 0;
  const float *next = ended ? r->final_obs : r->obs;
  mimic_replay_add(&t->replay, t->w.obs, a, r->reward[0], next, r->terminated[0]);
  t->steps++;
  if (t->discrete && t->steps % t->cfg.target_update_interval == 0) op_update_target(t);
  if (!t->record) return MIMIC_OK;
  MIMIC_TRY(mimic_episode_buf_step(&t->rec_ep, r->actions, r->reward[0], r->terminated[0],
                                   r->truncated[0], next));
  if (!ended) return MIMIC_OK;
  mimic_episode view = mimic_episode_buf_view(&t->rec_ep);
  MIMIC_TRY(mimic_dataset_add_episode(t->record, &view));
  return mimic_episode_buf_reset(&t->rec_ep, r->obs, MIMIC_NO_SEED);
}

/* Fills the batch from the replay buffer or the dataset. */
static void sample_batch(mimic_offpolicy *t) {
  op_work *w = &t->w;
  int B = t->B;
  const int A = t->A, D = t->D;
  if (!t->offline) {
    mimic_batch b = {
        .obs = w->obs, .act = w->act, .next_obs = w->next_obs, .rew = w->rew_d, .done = w->done_u8};
    mimic_replay_sample(&t->replay, &t->rng, (size_t)B, &b);
  } else {
    const uint64_t total = t->cfg.shard_total ? t->cfg.shard_total : t->data->n;
    for (int i = 0; i < B; i++)
      w->rows[i] = (uint32_t)mimic_rng_integers(&t->rng, 0, (int64_t)total);
    if (t->own) { /* sharded: the rows this rank holds, at the front */
      t->Bs = 0;
      for (int i = 0; i < B; i++)
        if (w->rows[i] - t->cfg.shard_first < t->data->n) {
          t->own[t->Bs] = i;
          w->rows[t->Bs++] = (uint32_t)(w->rows[i] - t->cfg.shard_first);
        }
      B = t->Bs;
    }
    mimic_batch b = {
        .obs = w->obs, .act = w->act, .next_obs = w->next_obs, .rew = w->rew_d, .done = w->done_u8};
    mimic_transitions_gather(t->data, w->rows, (size_t)B, &b);
    for (size_t k = 0; k < (size_t)B * A && !t->discrete; k++) { /* env units -> [-1, 1] */
      int j = (int)(k % (size_t)A);
      float v = 2.0f * (w->act[k] - t->act_low[j]) / (t->act_high[j] - t->act_low[j]) - 1.0f;
      w->act[k] = v < -1.0f ? -1.0f : v > 1.0f ? 1.0f : v;
    }
    if (t->obs_mean)
      for (size_t k = 0; k < (size_t)B * D; k++) {
        int j = (int)(k % (size_t)D);
        w->obs[k] = (w->obs[k] - t->obs_mean[j]) * t->obs_scale[j];
        w->next_obs[k] = (w->next_obs[k] - t->obs_mean[j]) * t->obs_scale[j];
      }
  }
  for (int i = 0; i < B && t->discrete; i++) t->act_ids[i] = (int32_t)w->act[i];
  for (int i = 0; i < B; i++) {
    w->rew[i] = (float)w->rew_d[i];
    w->done[i] = w->done_u8[i] ? 1.0f : 0.0f;
  }
}

static void fill_log(mimic_offpolicy *t, mimic_offpolicy_log *row) {
  *row = (mimic_offpolicy_log){
      .step = t->steps,
      .updates = t->updates,
      .episodes = t->offline ? 0 : t->roll.log.episodes,
      .ep_return_mean = t->offline ? NAN : mimic_episode_log_recent_return(&t->roll.log),
      .critic_loss = t->n_critic_terms ? t->sum_critic / t->n_critic_terms : NAN,
      .actor_loss = t->n_actor_terms ? t->sum_actor / t->n_actor_terms : NAN,
      .value_loss = (t->cfg.algo == MIMIC_OFFPOLICY_IQL || t->cfg.algo == MIMIC_OFFPOLICY_CQL ||
                     t->cfg.algo == MIMIC_OFFPOLICY_DISCRETE_CQL) &&
                            t->n_critic_terms
                        ? t->sum_value / t->n_critic_terms
                        : NAN,
      .ent_coef = t->cfg.algo == MIMIC_OFFPOLICY_SAC || t->cfg.algo == MIMIC_OFFPOLICY_CQL
                      ? exp((double)t->log_alpha)
                      : NAN,
      .q_mean = t->n_critic_terms ? t->sum_q / t->n_critic_terms : NAN,
      .eval_return = NAN,
      .seconds = mimic_now() - t->t0,
  };
  t->sum_critic = t->sum_actor = t->sum_value = t->sum_q = 0;
  t->n_critic_terms = t->n_actor_terms = 0;
}

mimic_status mimic_offpolicy_learn(mimic_offpolicy *t, long steps, long log_every,
                                   mimic_offpolicy_callback cb, void *user) {
  long end = steps > 0 ? t->steps + steps : t->cfg.total_steps;
  if (log_every < 1) log_every = 1000;
  while (t->steps < end) {
    if (!t->offline) {
      MIMIC_TRY(env_step(t));
      /* SB3: train every train_freq steps (SAC and TD3 by default every step) */
      bool due = t->steps % t->cfg.train_freq == 0;
      if (t->steps > t->cfg.learning_starts && due)
        for (int g = 0; g < t->cfg.gradient_steps; g++) {
          sample_batch(t);
          MIMIC_TRY(op_update(t));
        }
    } else {
      sample_batch(t);
      MIMIC_TRY(op_update(t));
      t->steps++;
    }
    if (cb && (t->steps % log_every == 0 || t->steps == end)) {
      mimic_offpolicy_log row;
      fill_log(t, &row);
      if (!cb(t, &row, user)) break;
    }
  }
  return MIMIC_OK;
}

mimic_status mimic_offpolicy_record(mimic_offpolicy *t, mimic_dataset *ds) {
  if (t->offline)
    return mimic_fail(MIMIC_ERR_INVALID, "%s learns offline: there are no episodes to record",
                      mimic_offpolicy_algo_name(t->cfg.algo));
  if (ds->n_episodes == 0 && ds->obs_dim == 0) {
    mimic_env *e = t->roll.envs[0];
    mimic_data_space dos = {0}, das = {0};
    mimic_status st = mimic_data_space_from_env(&dos, mimic_env_obs_space(e));
    if (!st) st = mimic_data_space_from_env(&das, mimic_env_action_space(e));
    if (!st) st = mimic_dataset_init(ds, &dos, &das);
    if (!st) st = mimic_dataset_meta_set(&ds->meta.env_id, t->env_id);
    mimic_data_space_free(&dos);
    mimic_data_space_free(&das);
    MIMIC_TRY(st);
  }
  if (ds->obs_dim != t->D || ds->act_dim != t->A)
    return mimic_fail(MIMIC_ERR_INVALID, "the dataset to record into has other spaces than %s",
                      t->env_id);
  if (!t->rec_ep.obs) MIMIC_TRY(mimic_episode_buf_init(&t->rec_ep, t->D, t->A));
  MIMIC_TRY(mimic_episode_buf_reset(&t->rec_ep, t->roll.obs, MIMIC_NO_SEED));
  t->record = ds;
  return MIMIC_OK;
}

long mimic_offpolicy_steps(const mimic_offpolicy *t) { return t->steps; }

const mimic_offpolicy_config *mimic_offpolicy_get_config(const mimic_offpolicy *t) {
  return &t->cfg;
}

/* ---- the policy -------------------------------------------------------------- */

mimic_status mimic_offpolicy_actor_model(mimic_offpolicy *t, mimic_model *out) {
  const mimic_offpolicy_config *c = &t->cfg;
  const bool iql = c->algo == MIMIC_OFFPOLICY_IQL;
  mimic_model_config mc = {
      .obs_dim = t->D,
      .act_dim = t->discrete ? t->K : t->A,
      .head = t->discrete ? MIMIC_HEAD_CATEGORICAL
              : iql       ? MIMIC_HEAD_GAUSSIAN
                          : MIMIC_HEAD_REGRESSION,
      .n_hidden = c->n_hidden,
      .activation = MIMIC_ACT_RELU,
      .squash = !t->discrete, /* Discrete: Q-values (or logits) as logits, argmax acts */
  };
  memcpy(mc.hidden, c->hidden, sizeof mc.hidden);
  mimic_model m;
  MIMIC_TRY(mimic_model_create(&m, &mc, 1));
  /* every layer as trained; SAC's last layer keeps only its mean rows */
  const mimic_mlp *src = &t->actor;
  for (int l = 0; l < src->n_layers; l++) {
    size_t rows = (size_t)m.actor.sizes[l + 1], cols = (size_t)m.actor.sizes[l];
    memcpy(mimic_mlp_W(&m.actor, l), mimic_mlp_W(src, l), rows * cols * sizeof(float));
    memcpy(mimic_mlp_b(&m.actor, l), mimic_mlp_b(src, l), rows * sizeof(float));
  }
  if (iql)
    for (int j = 0; j < t->A; j++) {
      float s = t->log_std[j];
      m.log_std[j] = s < -5.0f ? -5.0f : s > 2.0f ? 2.0f : s;
    }
  mimic_status st = MIMIC_OK;
  if (t->obs_mean)
    st = mimic_model_set_obs_norm(&m, t->obs_mean, t->obs_scale + t->D, NORM_EPS, 0.0f);
  if (st) {
    mimic_model_free(&m);
    return st;
  }
  *out = m;
  return MIMIC_OK;
}

mimic_status mimic_offpolicy_save(mimic_offpolicy *t, const char *path, const char *extra_json) {
  const mimic_offpolicy_config *c = &t->cfg;
  json_t *meta = extra_json ? json_loads(extra_json, 0, NULL) : json_object();
  if (!json_is_object(meta)) {
    json_decref(meta);
    return mimic_fail(MIMIC_ERR_INVALID, "%s: extra metadata is not a JSON object",
                      mimic_offpolicy_algo_name(c->algo));
  }
  if (!json_object_get(meta, "algorithm"))
    json_object_set_new(meta, "algorithm", json_string(mimic_offpolicy_algo_name(c->algo)));
  json_t *hidden = json_array();
  for (int i = 0; i < c->n_hidden; i++) json_array_append_new(hidden, json_integer(c->hidden[i]));
  json_t *pc = json_pack("{s:I, s:I, s:I, s:i, s:f, s:f, s:f, s:f, s:o, s:I, s:I}", "total_steps",
                         (json_int_t)c->total_steps, "buffer_size", (json_int_t)c->buffer_size,
                         "learning_starts", (json_int_t)c->learning_starts, "batch_size",
                         c->batch_size, "actor_lr", c->actor_lr, "critic_lr", c->critic_lr, "gamma",
                         c->gamma, "tau", c->tau, "hidden", hidden, "seed", (json_int_t)c->seed,
                         "steps", (json_int_t)t->steps);
  if (pc && c->algo == MIMIC_OFFPOLICY_SAC) {
    json_object_set_new(pc, "ent_auto", json_boolean(c->ent_auto));
    json_object_set_new(pc, "ent_coef", json_real(exp((double)t->log_alpha)));
    json_object_set_new(pc, "train_freq", json_integer(c->train_freq));
    json_object_set_new(pc, "gradient_steps", json_integer(c->gradient_steps));
    json_object_set_new(pc, "use_sde", json_boolean(c->use_sde));
  }
  if (pc && c->use_sde) {
    json_object_set_new(pc, "sde_sample_freq", json_integer(c->sde_sample_freq));
    json_object_set_new(pc, "log_std_init", json_real(c->log_std_init));
    json_object_set_new(pc, "clip_mean", json_real(c->clip_mean));
    json_object_set_new(pc, "sde_learn_features", json_boolean(c->sde_learn_features));
  }
  if (pc && (c->algo == MIMIC_OFFPOLICY_TD3 || c->algo == MIMIC_OFFPOLICY_TD3BC)) {
    json_object_set_new(pc, "policy_delay", json_integer(c->policy_delay));
    json_object_set_new(pc, "target_noise", json_real(c->target_noise));
    json_object_set_new(pc, "target_noise_clip", json_real(c->target_noise_clip));
  }
  if (pc && c->algo == MIMIC_OFFPOLICY_TD3)
    json_object_set_new(pc, "action_noise", json_real(c->action_noise));
  if (pc && c->algo == MIMIC_OFFPOLICY_TD3BC) json_object_set_new(pc, "alpha", json_real(c->alpha));
  if (pc && c->algo == MIMIC_OFFPOLICY_CQL) {
    json_object_set_new(pc, "conservative_weight", json_real(c->conservative_weight));
    json_object_set_new(pc, "n_action_samples", json_integer(c->n_action_samples));
    json_object_set_new(pc, "alpha_threshold", json_real(c->alpha_threshold));
    json_object_set_new(pc, "cql_alpha", json_real(exp((double)t->log_cql)));
    json_object_set_new(pc, "temperature", json_real(exp((double)t->log_alpha)));
  }
  if (pc && t->discrete) {
    json_object_set_new(pc, "adam_eps", json_real(c->adam_eps));
    if (c->algo != MIMIC_OFFPOLICY_DISCRETE_BC) {
      json_object_set_new(pc, "target_update_interval",
                          json_integer((json_int_t)c->target_update_interval));
      json_object_set_new(pc, "double_q", json_boolean(c->double_q));
    }
    if (c->algo == MIMIC_OFFPOLICY_DQN) {
      json_object_set_new(pc, "train_freq", json_integer(c->train_freq));
      json_object_set_new(pc, "exploration_fraction", json_real(c->exploration_fraction));
      json_object_set_new(pc, "exploration_final_eps", json_real(c->exploration_final_eps));
      json_object_set_new(pc, "max_grad_norm", json_real(c->max_grad_norm));
    }
    if (c->algo == MIMIC_OFFPOLICY_DISCRETE_CQL)
      json_object_set_new(pc, "alpha", json_real(c->cql_alpha));
    if (c->algo == MIMIC_OFFPOLICY_DISCRETE_BC)
      json_object_set_new(pc, "beta", json_real(c->logit_penalty));
  }
  if (pc && c->algo == MIMIC_OFFPOLICY_IQL) {
    json_object_set_new(pc, "expectile", json_real(c->expectile));
    json_object_set_new(pc, "beta", json_real(c->beta));
    json_object_set_new(pc, "max_weight", json_real(c->max_weight));
  }
  if (pc) json_object_set_new(meta, "offpolicy", pc);
  char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(meta);
  if (!text) return mimic_fail_nomem("policy metadata");
  mimic_model m;
  memset(&m, 0, sizeof m);
  mimic_status st = mimic_offpolicy_actor_model(t, &m);
  if (!st) st = mimic_policy_describe_model(&m, t->env_id, &t->obs_space, &t->act_space, text);
  if (!st) st = mimic_model_save(&m, path);
  mimic_model_free(&m);
  free(text);
  return st;
}

mimic_status mimic_offpolicy_evaluate(mimic_offpolicy *t, int episodes, uint64_t seed, double *mean,
                                      double *std) {
  mimic_model m;
  MIMIC_TRY(mimic_offpolicy_actor_model(t, &m));
  return mimic_evaluate_model(&m, &t->act_space, t->env_id, t->env_opts, episodes, seed, mean, std);
}
