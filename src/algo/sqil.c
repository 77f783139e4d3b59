/* Soft Q imitation learning (mimic/sqil.h).
 *
 * The Q-network is the policy model itself (a categorical head whose
 * logits f are Q / T), so the file written at the end is the learner's own
 * parameters with nothing converted. A batch is 2B rows: B demonstrated
 * transitions (reward 1) first, then B of the agent's (reward 0); the
 * target network reads the 2B next observations in one call and the online
 * network the 2B observations in another. Nothing allocates after setup. */
#include "mimic/sqil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/replay.h"
#include "mimic/rollout.h"
#include "nn/layers.h"
#include "nn/optim.h"

mimic_sqil_config mimic_sqil_defaults(const char *env_id) {
  return (mimic_sqil_config){
      .env_id = env_id,
      .total_steps = 30000,
      .buffer_size = 100000,
      .learning_starts = 1000,
      .batch_size = 64,
      .lr = 1e-3,
      .gamma = 0.99,
      .temperature = 0.1,
      .train_freq = 1,
      .gradient_steps = 1,
      .target_update_interval = 500,
      .max_grad_norm = 10.0,
      .n_hidden = 2,
      .hidden = {64, 64},
  };
}

mimic_status mimic_sqil_check(const mimic_sqil_config *c) {
  const char *bad = NULL;
  if (!c->env_id)
    bad = "env_id is required";
  else if (c->total_steps < 1)
    bad = "total_steps must be positive";
  else if (c->buffer_size < 1)
    bad = "buffer_size must be positive";
  else if (c->learning_starts < 0)
    bad = "learning_starts must not be negative";
  else if (c->batch_size < 1 || c->batch_size > 65536)
    bad = "batch_size must be in 1..65536";
  else if (!(c->lr > 0) || !isfinite(c->lr))
    bad = "lr must be positive";
  else if (!(c->gamma >= 0 && c->gamma < 1))
    bad = "gamma must be in [0, 1)";
  else if (!(c->temperature > 0) || !isfinite(c->temperature))
    bad = "temperature must be positive";
  else if (c->train_freq < 1)
    bad = "train_freq must be positive";
  else if (c->gradient_steps < 1)
    bad = "gradient_steps must be positive";
  else if (c->target_update_interval < 1)
    bad = "target_update_interval must be positive";
  else if (!(c->max_grad_norm > 0))
    bad = "max_grad_norm must be positive";
  else if (c->n_hidden < 1 || c->n_hidden > MIMIC_MLP_MAX_LAYERS - 1)
    bad = "n_hidden is out of range";
  for (int i = 0; !bad && i < c->n_hidden; i++)
    if (c->hidden[i] < 1) bad = "hidden widths must be positive";
  return bad ? mimic_fail(MIMIC_ERR_INVALID, "SQIL: %s", bad) : MIMIC_OK;
}

typedef struct sqil {
  mimic_sqil_config cfg;
  int D, K, B; /* obs dim, actions, rows per half */
  const mimic_transitions *demos;
  mimic_model *q; /* online network (the result) */
  mimic_mlp targ; /* its target copy */
  mimic_optim opt;
  mimic_replay replay;
  mimic_rollout roll;
  mimic_rng rng;
  float *obs, *next_obs, *act; /* (2B, D), (2B, D), (2B) */
  double *rew;                 /* (2B) */
  uint8_t *done;               /* (2B) */
  uint32_t *rows;              /* (B) demonstration ids */
  float *dout;                 /* (2B, K) */
  float *probs;                /* (K) */
  float *acted_on;             /* (D) */
  long steps, updates;
  double sum_loss, sum_q_demo, sum_q_agent;
  long n_terms;
} sqil;

static mimic_status check_demos(const sqil *s) {
  const mimic_transitions *d = s->demos;
  MIMIC_TRY(mimic_transitions_check(d));
  if (!d->obs_row || !d->done)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "SQIL needs demonstrations with next observations and terminated flags "
                      "(a dataset's episodes)");
  if (!d->act_space || d->act_space->kind != MIMIC_SPACE_DISCRETE)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "SQIL learns Discrete actions; the demonstrations' are not");
  if (d->obs_dim != s->D || (int)d->act_space->n != s->K)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "the demonstrations have observations of %d and Discrete(%d) actions, but "
                      "%s has %d and Discrete(%d)",
                      d->obs_dim, (int)d->act_space->n, s->cfg.env_id, s->D, s->K);
  if (d->n < 1) return mimic_fail(MIMIC_ERR_INVALID, "the demonstrations have no transitions");
  if (d->n > UINT32_MAX) return mimic_fail(MIMIC_ERR_INVALID, "the demonstrations are too many");
  if (mimic_transitions_check_ids(d, s->K)) return mimic_errctx("SQIL's demonstrations");
  return MIMIC_OK;
}

static mimic_status setup(sqil *s) {
  const mimic_env *e = s->roll.envs[0];
  const mimic_space *as = mimic_env_action_space(e);
  if (as->kind != MIMIC_SPACE_DISCRETE)
    return mimic_fail(MIMIC_ERR_INVALID, "SQIL learns Discrete actions; %s has a %s action space",
                      s->cfg.env_id, as->kind == MIMIC_SPACE_BOX ? "Box" : "non-Discrete");
  s->D = s->roll.obs_dim;
  s->K = (int)as->n;
  s->B = s->cfg.batch_size;
  MIMIC_TRY(check_demos(s));
  mimic_model_config mc;
  mimic_model_config_init(&mc, s->D, s->K, MIMIC_HEAD_CATEGORICAL);
  mc.critic = false;
  mc.activation = MIMIC_ACT_RELU;
  mc.n_hidden = s->cfg.n_hidden;
  memcpy(mc.hidden, s->cfg.hidden, sizeof mc.hidden);
  const int B2 = 2 * s->B;
  MIMIC_TRY(mimic_model_create(s->q, &mc, B2));
  MIMIC_TRY(mimic_model_init_params(s->q, MIMIC_INIT_TORCH, &s->rng));
  const mimic_mlp *net = &s->q->actor;
  MIMIC_TRY(mimic_mlp_create(&s->targ, net->sizes, net->n_layers + 1, net->act, B2, NULL, NULL));
  memcpy(s->targ.params, net->params, net->n_params * sizeof(float));
  mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  oc.lr = s->cfg.lr;
  MIMIC_TRY(mimic_optim_create(&s->opt, &oc, net->n_params));
  MIMIC_TRY(mimic_replay_init(&s->replay, (size_t)s->cfg.buffer_size, s->D, 1));
  const size_t D = (size_t)s->D;
  s->obs = malloc((size_t)B2 * D * sizeof(float));
  s->next_obs = malloc((size_t)B2 * D * sizeof(float));
  s->act = malloc((size_t)B2 * sizeof(float));
  s->rew = malloc((size_t)B2 * sizeof(double));
  s->done = malloc((size_t)B2);
  s->rows = malloc((size_t)s->B * sizeof(uint32_t));
  s->dout = malloc((size_t)B2 * (size_t)s->K * sizeof(float));
  s->probs = malloc((size_t)s->K * sizeof(float));
  s->acted_on = malloc(D * sizeof(float));
  if (!s->obs || !s->next_obs || !s->act || !s->rew || !s->done || !s->rows || !s->dout ||
      !s->probs || !s->acted_on)
    return mimic_fail_nomem("SQIL's batch");
  return MIMIC_OK;
}

static void teardown(sqil *s) {
  mimic_mlp_free(&s->targ);
  mimic_optim_free(&s->opt);
  mimic_replay_free(&s->replay);
  mimic_rollout_close(&s->roll);
  free(s->obs);
  free(s->next_obs);
  free(s->act);
  free(s->rew);
  free(s->done);
  free(s->rows);
  free(s->dout);
  free(s->probs);
  free(s->acted_on);
}

/* T * logsumexp(f) of one row of logits f = Q / T: the soft value. */
static double soft_value(const float *f, int K, double T) {
  float m = f[0];
  for (int k = 1; k < K; k++) m = f[k] > m ? f[k] : m;
  double sum = 0;
  for (int k = 0; k < K; k++) sum += exp((double)(f[k] - m));
  return T * ((double)m + log(sum));
}

/* One environment step with an action sampled from softmax(Q / T). */
static mimic_status env_step(sqil *s) {
  mimic_rollout *r = &s->roll;
  int a;
  if (s->steps < s->cfg.learning_starts) {
    a = (int)mimic_rng_integers(&s->rng, 0, s->K);
  } else {
    MIMIC_TRY(mimic_mlp_forward(&s->q->actor, r->obs, 1));
    const float *f = s->q->actor.out;
    float m = f[0];
    for (int k = 1; k < s->K; k++) m = f[k] > m ? f[k] : m;
    float sum = 0;
    for (int k = 0; k < s->K; k++) sum += s->probs[k] = expf(f[k] - m);
    for (int k = 0; k < s->K; k++) s->probs[k] /= sum;
    a = mimic_rng_categorical(&s->rng, s->probs, s->K);
  }
  r->actions[0] = (float)a;
  memcpy(s->acted_on, r->obs, (size_t)s->D * sizeof(float));
  MIMIC_TRY(mimic_rollout_step(r));
  const float *next = r->n_end > 0 ? r->final_obs : r->obs;
  float af = (float)a;
  mimic_replay_add(&s->replay, s->acted_on, &af, 0.0, next, r->terminated[0]);
  s->steps++;
  return MIMIC_OK;
}

/* One gradient step on B demonstrated and B agent transitions. */
static mimic_status update(sqil *s) {
  const int B = s->B, B2 = 2 * B, K = s->K;
  const size_t D = (size_t)s->D;
  const double T = s->cfg.temperature;
  for (int i = 0; i < B; i++)
    s->rows[i] = (uint32_t)mimic_rng_integers(&s->rng, 0, (int64_t)s->demos->n);
  mimic_batch demo = {.obs = s->obs, .act = s->act, .next_obs = s->next_obs, .done = s->done};
  mimic_transitions_gather(s->demos, s->rows, (size_t)B, &demo);
  mimic_batch mine = {.obs = s->obs + (size_t)B * D,
                      .act = s->act + B,
                      .next_obs = s->next_obs + (size_t)B * D,
                      .done = s->done + B};
  mimic_replay_sample(&s->replay, &s->rng, (size_t)B, &mine);
  MIMIC_TRY(mimic_mlp_forward(&s->targ, s->next_obs, B2));
  MIMIC_TRY(mimic_mlp_forward(&s->q->actor, s->obs, B2));
  const float *f = s->q->actor.out;
  memset(s->dout, 0, (size_t)B2 * (size_t)K * sizeof(float));
  double loss = 0;
  for (int i = 0; i < B2; i++) {
    double reward = i < B ? 1.0 : 0.0;
    double y = reward;
    if (!s->done[i]) y += s->cfg.gamma * soft_value(s->targ.out + (size_t)i * K, K, T);
    int a = (int)s->act[i];
    double q = T * (double)f[(size_t)i * K + a];
    double err = q - y;
    loss += err * err;
    s->dout[(size_t)i * K + a] = (float)(2.0 * err * T / B2);
    if (i < B)
      s->sum_q_demo += q;
    else
      s->sum_q_agent += q;
  }
  mimic_mlp_zero_grad(&s->q->actor);
  MIMIC_TRY(mimic_mlp_backward(&s->q->actor, s->obs, s->dout, B2, NULL));
  mimic_clip_grad_norm(s->q->actor.grads, s->q->actor.n_params, (float)s->cfg.max_grad_norm);
  mimic_optim_step(&s->opt, s->q->actor.params, s->q->actor.grads);
  s->sum_loss += loss / B2;
  s->n_terms++;
  if (++s->updates % s->cfg.target_update_interval == 0)
    memcpy(s->targ.params, s->q->actor.params, s->targ.n_params * sizeof(float));
  return MIMIC_OK;
}

static bool report(sqil *s, mimic_sqil_callback cb, void *user, double t0) {
  long n = s->n_terms;
  mimic_sqil_log row = {
      .step = s->steps,
      .updates = s->updates,
      .episodes = s->roll.log.episodes,
      .ep_return_mean = mimic_episode_log_recent_return(&s->roll.log),
      .loss = n ? s->sum_loss / n : NAN,
      .q_demo = n ? s->sum_q_demo / ((double)n * s->B) : NAN,
      .q_agent = n ? s->sum_q_agent / ((double)n * s->B) : NAN,
      .seconds = mimic_now() - t0,
  };
  s->sum_loss = s->sum_q_demo = s->sum_q_agent = 0;
  s->n_terms = 0;
  return cb(&row, s->q, user);
}

mimic_status mimic_sqil_learn(const mimic_sqil_config *cfg, const mimic_transitions *demos,
                              long log_every, mimic_sqil_callback cb, void *user, mimic_model *q) {
  memset(q, 0, sizeof *q);
  MIMIC_TRY(mimic_sqil_check(cfg));
  sqil s = {.cfg = *cfg, .demos = demos, .q = q};
  mimic_rng_seed(&s.rng, cfg->seed);
  mimic_rollout_config rc = {.n = 1, .seed = cfg->seed, .episodes = 0};
  mimic_status st = mimic_rollout_open(&s.roll, cfg->env_id, cfg->env_opts, &rc);
  if (st == MIMIC_OK) st = setup(&s);
  if (log_every < 1) log_every = 1000;
  const double t0 = mimic_now();
  while (st == MIMIC_OK && s.steps < cfg->total_steps) {
    st = env_step(&s);
    if (st == MIMIC_OK && s.steps >= cfg->learning_starts && s.steps % cfg->train_freq == 0)
      for (int g = 0; st == MIMIC_OK && g < cfg->gradient_steps; g++) st = update(&s);
    if (st == MIMIC_OK && cb && (s.steps % log_every == 0 || s.steps == cfg->total_steps) &&
        !report(&s, cb, user, t0))
      break;
  }
  teardown(&s);
  if (st != MIMIC_OK) mimic_model_free(q);
  return st;
}
