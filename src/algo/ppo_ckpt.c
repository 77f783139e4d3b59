/* Checkpoints of the PPO trainer (mimic/ppo.h: mimic_ppo_checkpoint,
 * mimic_ppo_restore), shared with GAIL and AIRL (adversarial_ckpt.c), in
 * the one model container as the offline learners' are (offpolicy_ckpt.c).
 *
 * A checkpoint is taken between iterations (a rollout boundary), so the
 * rollout buffer is empty and need not be kept. What the next iteration
 * reads is: the parameters, Adam's moments and step count, the generator,
 * VecNormalize's running statistics (observations, discounted returns and
 * the per-environment return accumulators), the observations the policy
 * answers next and which environments start an episode with them, the
 * training-reward returns in flight and their ring, the step and iteration
 * counters, and the N environments mid-episode with their episode log
 * (mimic_rollout_save_state). Resumed from it, a run ends with the same
 * parameters, bit for bit, as one that never stopped.
 *
 * meta.ppo holds the whole configuration; a checkpoint is refused when any
 * setting differs from the trainer's, naming the first. The generator and
 * environments are byte images: a checkpoint is for the build that wrote
 * it. Everything is checked before the trainer changes, except the
 * environments' own values, which their classes check as they are set (a
 * failed restore leaves a trainer to be freed, not used). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/ppo_impl.h"
#include "nn/model.h"

#define N_COUNTS 6

/* The configuration as JSON: every field that shapes the run. */
static json_t *config_json(const mimic_ppo_config *c) {
  json_t *h = json_array(), *vh = json_array();
  for (int i = 0; i < c->n_hidden; i++) json_array_append_new(h, json_integer(c->hidden[i]));
  for (int i = 0; i < c->vf_n_hidden; i++) json_array_append_new(vh, json_integer(c->vf_hidden[i]));
  return json_pack(
      "{s:s, s:o, s:i, s:i, s:i, s:i, s:f, s:b, s:f, s:f, s:f, s:b, s:f, s:b, s:f, s:f, s:f, s:f, "
      "s:f, s:b, s:b, s:f, s:f, s:o, s:o, s:s, s:f, s:b, s:I, s:I, s:i, s:f, s:I}",
      "env", c->env_id, "env_opts", c->env_opts ? json_string(c->env_opts) : json_null(), "n_envs",
      c->n_envs, "n_steps", c->n_steps, "batch_size", c->batch_size, "n_epochs", c->n_epochs,
      "learning_rate", c->learning_rate, "lr_linear", c->lr_linear, "gamma", c->gamma, "gae_lambda",
      c->gae_lambda, "clip_range", c->clip_range, "clip_linear", c->clip_linear, "clip_range_vf",
      c->clip_range_vf, "normalize_advantage", c->normalize_advantage, "ent_coef", c->ent_coef,
      "vf_coef", c->vf_coef, "max_grad_norm", c->max_grad_norm, "target_kl", c->target_kl,
      "adam_eps", c->adam_eps, "norm_obs", c->norm_obs, "norm_reward", c->norm_reward, "clip_obs",
      c->clip_obs, "clip_reward", c->clip_reward, "hidden", h, "vf_hidden", vh, "activation",
      mimic_activation_name(c->activation), "log_std_init", c->log_std_init, "ortho_init",
      c->ortho_init, "total_steps", (json_int_t)c->total_steps, "seed", (json_int_t)c->seed,
      "anchor", (int)c->anchor, "anchor_coef", c->anchor_coef, "anchor_decay_steps",
      (json_int_t)c->anchor_decay_steps);
}

mimic_status ckpt_same_settings(const mimic_container *c, const char *key, json_t *want) {
  if (!want) return mimic_fail_nomem("a checkpoint's settings");
  const json_t *have = json_object_get(c->meta, key);
  mimic_status st = MIMIC_OK;
  if (!json_is_object(have)) {
    st = mimic_container_fail(c, "meta", "'%s' (the settings it was written with) is missing", key);
  } else {
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v) {
      const json_t *h = json_object_get(have, k);
      if (h && json_equal(h, v)) continue;
      char *a = h ? json_dumps(h, JSON_ENCODE_ANY) : NULL, *b = json_dumps(v, JSON_ENCODE_ANY);
      char field[160];
      snprintf(field, sizeof field, "meta.%s.%s", key, k);
      st = mimic_container_fail(c, field,
                                "the checkpoint was written with %s, this run has %s: resume "
                                "with the same settings or start a new checkpoint",
                                a ? a : "nothing", b ? b : "?");
      free(a);
      free(b);
      break;
    }
  }
  json_decref(want);
  return st;
}

/* Running statistics as [count, mean (dim), var (dim)] in buf. */
static void rms_pack(const rl_running *r, double *buf) {
  buf[0] = r->count;
  memcpy(buf + 1, r->mean, (size_t)r->dim * sizeof(double));
  memcpy(buf + 1 + r->dim, r->var, (size_t)r->dim * sizeof(double));
}

static mimic_status rms_check(const mimic_container *c, const char *name, const double *buf,
                              int dim) {
  if (!(buf[0] > 0)) return mimic_container_fail(c, name, "the count %g must be > 0", buf[0]);
  for (int k = 0; k < dim; k++)
    if (!(buf[1 + dim + k] >= 0))
      return mimic_container_fail(c, name, "variance %d is %g", k, buf[1 + dim + k]);
  return MIMIC_OK;
}

static void rms_unpack(rl_running *r, const double *buf) {
  r->count = buf[0];
  memcpy(r->mean, buf + 1, (size_t)r->dim * sizeof(double));
  memcpy(r->var, buf + 1 + r->dim, (size_t)r->dim * sizeof(double));
}

mimic_status ppo_ckpt_add(mimic_ppo *p, mimic_container *c) {
  if (p->rollout_ready)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "ppo: a checkpoint is taken between iterations, not after a rollout");
  json_t *cfg = config_json(&p->cfg);
  if (!cfg || json_object_set_new(c->meta, "ppo", cfg))
    return mimic_fail_nomem("a checkpoint's settings");
  const size_t N = (size_t)p->N, D = (size_t)p->D, np = p->model.n_params;
  if (!p->ckpt_rms) {
    p->ckpt_rms = mimic_malloc((5 + 2 * D) * sizeof(double), "a checkpoint's statistics");
    if (!p->ckpt_rms) return MIMIC_ERR_NOMEM;
  }
  int64_t *k = p->ckpt_counts;
  k[0] = p->timesteps, k[1] = p->iteration, k[2] = p->started, k[3] = p->opt.t;
  k[4] = p->ring_train_n, k[5] = p->ring_train_pos;
  rms_pack(&p->obs_rms, p->ckpt_rms);
  rms_pack(&p->ret_rms, p->ckpt_rms + 1 + 2 * D);
  MIMIC_TRY(mimic_container_add(c, "ppo.counts", MIMIC_ARRAY_I8, k, N_COUNTS));
  MIMIC_TRY(mimic_container_add(c, "ppo.params", MIMIC_ARRAY_F4, p->model.params, np));
  MIMIC_TRY(mimic_container_add(c, "ppo.adam_m", MIMIC_ARRAY_F4, p->opt.m, np));
  MIMIC_TRY(mimic_container_add(c, "ppo.adam_v", MIMIC_ARRAY_F4, p->opt.v, np));
  MIMIC_TRY(mimic_container_add(c, "ppo.rms", MIMIC_ARRAY_F8, p->ckpt_rms, 4 + 2 * D));
  MIMIC_TRY(mimic_container_add(c, "ppo.ret_acc", MIMIC_ARRAY_F8, p->ret_acc, N));
  MIMIC_TRY(mimic_container_add(c, "ppo.ep_train", MIMIC_ARRAY_F8, p->ep_train, N));
  MIMIC_TRY(mimic_container_add(c, "ppo.ring_train", MIMIC_ARRAY_F8, p->ring_train, PPO_RING));
  MIMIC_TRY(mimic_container_add(c, "ppo.cur_raw", MIMIC_ARRAY_F4, p->cur_raw, N * D));
  MIMIC_TRY(mimic_container_add(c, "ppo.cur_norm", MIMIC_ARRAY_F4, p->cur_norm, N * D));
  MIMIC_TRY(mimic_container_add(c, "ppo.last_starts", MIMIC_ARRAY_U1, p->last_starts, N));
  MIMIC_TRY(mimic_container_add(c, "ppo.rng", MIMIC_ARRAY_U1, &p->rng, sizeof p->rng));
  p->ckpt_rms[4 + 2 * D] = mimic_now() - p->t0; /* the run's seconds so far, for its reports */
  MIMIC_TRY(mimic_container_add(c, "ppo.seconds", MIMIC_ARRAY_F8, p->ckpt_rms + 4 + 2 * D, 1));
  return mimic_rollout_save_state(&p->roll, c, "ppo.roll");
}

mimic_status ppo_ckpt_load(mimic_ppo *p, const mimic_container *c) {
  MIMIC_TRY(ckpt_same_settings(c, "ppo", config_json(&p->cfg)));
  const size_t N = (size_t)p->N, D = (size_t)p->D, np = p->model.n_params;
  const int64_t *k;
  const float *params, *m, *v, *cur_raw, *cur_norm;
  const double *rms, *ret_acc, *ep_train, *ring, *seconds;
  const void *starts, *rngp;
#define GET(name, type, count, ptr)                                                                \
  MIMIC_TRY(mimic_container_get(c, name, type, count, (const void **)(ptr)))
  GET("ppo.counts", MIMIC_ARRAY_I8, N_COUNTS, &k);
  GET("ppo.params", MIMIC_ARRAY_F4, np, &params);
  GET("ppo.adam_m", MIMIC_ARRAY_F4, np, &m);
  GET("ppo.adam_v", MIMIC_ARRAY_F4, np, &v);
  GET("ppo.rms", MIMIC_ARRAY_F8, 4 + 2 * D, &rms);
  GET("ppo.ret_acc", MIMIC_ARRAY_F8, N, &ret_acc);
  GET("ppo.ep_train", MIMIC_ARRAY_F8, N, &ep_train);
  GET("ppo.ring_train", MIMIC_ARRAY_F8, PPO_RING, &ring);
  GET("ppo.cur_raw", MIMIC_ARRAY_F4, N * D, &cur_raw);
  GET("ppo.cur_norm", MIMIC_ARRAY_F4, N * D, &cur_norm);
  GET("ppo.last_starts", MIMIC_ARRAY_U1, N, &starts);
  GET("ppo.rng", MIMIC_ARRAY_U1, sizeof p->rng, &rngp);
  GET("ppo.seconds", MIMIC_ARRAY_F8, 1, &seconds);
#undef GET
  if (k[0] < 0 || k[1] < 0 || (k[2] != 0 && k[2] != 1) || k[3] < 0 || k[4] < 0 || k[4] > PPO_RING ||
      k[5] < 0 || k[5] >= PPO_RING)
    return mimic_container_fail(c, "ppo.counts", "the counters are not valid");
  for (size_t i = 0; i < np; i++)
    if (!(v[i] >= 0)) return mimic_container_fail(c, "ppo.adam_v", "value %zu is negative", i);
  MIMIC_TRY(rms_check(c, "ppo.rms", rms, (int)D));
  MIMIC_TRY(rms_check(c, "ppo.rms", rms + 1 + 2 * D, 1));
  mimic_rng rng;
  memcpy(&rng, rngp, sizeof rng);
  if (!mimic_rng_plausible(&rng))
    return mimic_container_fail(c, "array 'ppo.rng'", "is not a generator's state");
  MIMIC_TRY(mimic_rollout_load_state(&p->roll, c, "ppo.roll"));
  /* checked and the environments are in place: overwrite the rest */
  p->timesteps = (long)k[0];
  p->iteration = (long)k[1];
  p->started = k[2] != 0;
  p->opt.t = (long)k[3];
  p->ring_train_n = (int)k[4];
  p->ring_train_pos = (int)k[5];
  memcpy(p->model.params, params, np * sizeof(float));
  memcpy(p->opt.m, m, np * sizeof(float));
  memcpy(p->opt.v, v, np * sizeof(float));
  rms_unpack(&p->obs_rms, rms);
  rms_unpack(&p->ret_rms, rms + 1 + 2 * D);
  memcpy(p->ret_acc, ret_acc, N * sizeof(double));
  memcpy(p->ep_train, ep_train, N * sizeof(double));
  memcpy(p->ring_train, ring, PPO_RING * sizeof(double));
  memcpy(p->cur_raw, cur_raw, N * D * sizeof(float));
  memcpy(p->cur_norm, cur_norm, N * D * sizeof(float));
  memcpy(p->last_starts, starts, N);
  p->rng = rng;
  p->rollout_ready = false;
  p->t0 = mimic_now() - (*seconds > 0 ? *seconds : 0);
  /* the model's normaliser is the float copy of the running statistics */
  return p->started ? ppo_sync_norm(p) : MIMIC_OK;
}

#define PPO_KIND "mimic.ppo-checkpoint"

mimic_status mimic_ppo_checkpoint(mimic_ppo *p, mimic_container *c) {
  MIMIC_TRY(mimic_container_init(c, PPO_KIND, 1));
  mimic_status st = ppo_ckpt_add(p, c);
  if (st) mimic_container_free(c);
  return st;
}

mimic_status mimic_ppo_restore(mimic_ppo *p, const mimic_container *c) {
  MIMIC_TRY(mimic_container_expect(c, PPO_KIND, 1));
  return ppo_ckpt_load(p, c);
}
