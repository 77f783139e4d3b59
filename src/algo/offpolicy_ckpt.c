/* Checkpoints of the offline learners (mimic/offpolicy.h): everything a
 * run needs to continue as if it had never stopped, in the model
 * container (kind "mimic.offpolicy-checkpoint"): every network and its
 * target, every optimizer's moments and step count, the temperatures, the
 * generator and the step counters. A resumed run ends with the same
 * parameters, bit for bit, as one that ran straight through. The
 * configuration that shapes the arrays (algorithm, widths, dimensions) is
 * in meta and must match the learner it is loaded into; a file is checked
 * field by field before anything is overwritten, and the settings that
 * change the numbers (meta.settings) must be this run's, naming the first
 * that differs. Online learners (SAC, TD3, DQN) also keep the replay
 * buffer's filled rows and the environment mid-episode with its episode
 * log (mimic_rollout_save_state, arrays "roll.*"), so a killed run resumed
 * writes the same policy file byte for byte. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "algo/offpolicy_impl.h"
#include "algo/ppo_impl.h" /* ckpt_same_settings */

#define CKPT_KIND "mimic.offpolicy-checkpoint"

/* The arrays of a checkpoint, in file order; count 0 = absent. */
typedef struct ckpt_array {
  const char *name;
  float *data;
  size_t count;
} ckpt_array;

static int arrays_of(mimic_offpolicy *t, ckpt_array *a) {
  int n = 0;
  a[n++] = (ckpt_array){"actor", t->a_params, t->n_actor};
  a[n++] = (ckpt_array){"actor_target", t->a_targ, t->n_actor};
  if (t->n_critic) /* the discrete algorithms have none */
    a[n++] = (ckpt_array){"critic", t->c_params, t->n_critic};
  if (t->n_critic) a[n++] = (ckpt_array){"critic_target", t->c_targ, t->n_critic};
  a[n++] = (ckpt_array){"actor_adam_m", t->actor_opt.m, t->n_actor};
  a[n++] = (ckpt_array){"actor_adam_v", t->actor_opt.v, t->n_actor};
  if (t->n_critic) a[n++] = (ckpt_array){"critic_adam_m", t->critic_opt.m, t->n_critic};
  if (t->n_critic) a[n++] = (ckpt_array){"critic_adam_v", t->critic_opt.v, t->n_critic};
  if (t->cfg.use_sde) /* the rollout's exploration matrix (log_std is the actor's) */
    a[n++] = (ckpt_array){"sde_explore", t->sde_explore, (size_t)t->F * t->A};
  a[n++] = (ckpt_array){"scalars", NULL, 0}; /* log_alpha, log_cql and their moments */
  return n;
}

static mimic_status not_recording(const mimic_offpolicy *t) {
  if (t->record)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s: a run that records its episodes into a dataset has no checkpoints (the "
                      "dataset in memory is not part of one)",
                      mimic_offpolicy_algo_name(t->cfg.algo));
  return MIMIC_OK;
}

mimic_status mimic_offpolicy_check_same(mimic_offpolicy *t) {
  mimic_comm *c = t->cfg.comm;
  MIMIC_TRY(
      mimic_comm_check_same(c, t->a_params, t->n_actor * sizeof(float), "the actor parameters"));
  return mimic_comm_check_same(c, t->c_params, t->n_critic * sizeof(float),
                               "the critic parameters");
}

/* The configuration that changes a run's numbers, for meta.settings. An
 * offline run may be resumed with more gradient steps; an online one not
 * (its replay capacity and DQN's exploration schedule follow the total). */
static json_t *settings_of(const mimic_offpolicy *t) {
  const mimic_offpolicy_config *c = &t->cfg;
  json_t *s = json_pack(
      "{s:s, s:s, s:I, s:i, s:f, s:f, s:f, s:f, s:b, s:f, s:f, s:i, s:f, s:f, s:f, s:f, s:b, s:f, "
      "s:f, s:f, s:f, s:i, s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:f, s:f, s:f, s:b, s:f}",
      "env", c->env_id ? c->env_id : "", "env_opts", c->env_opts ? c->env_opts : "", "seed",
      (json_int_t)c->seed, "batch_size", c->batch_size, "actor_lr", c->actor_lr, "critic_lr",
      c->critic_lr, "gamma", c->gamma, "tau", c->tau, "ent_auto", c->ent_auto, "ent_coef",
      c->ent_coef, "target_entropy", isnan(c->target_entropy) ? -1e300 : c->target_entropy,
      "policy_delay", c->policy_delay, "target_noise", c->target_noise, "target_noise_clip",
      c->target_noise_clip, "action_noise", c->action_noise, "alpha", c->alpha, "normalize_obs",
      c->normalize_obs, "expectile", c->expectile, "beta", c->beta, "max_weight", c->max_weight,
      "conservative_weight", c->conservative_weight, "n_action_samples", c->n_action_samples,
      "alpha_threshold", c->alpha_threshold, "cql_alpha", c->cql_alpha, "alpha_lr", c->alpha_lr,
      "temp_lr", c->temp_lr, "target_update_interval", (json_int_t)c->target_update_interval,
      "exploration_fraction", c->exploration_fraction, "exploration_initial_eps",
      c->exploration_initial_eps, "exploration_final_eps", c->exploration_final_eps,
      "max_grad_norm", c->max_grad_norm, "adam_eps", c->adam_eps, "double_q", c->double_q,
      "logit_penalty", c->logit_penalty);
  /* SAC and TD3 learned every step before they had train_freq: their
   * earlier files, without the key, mean 1 */
  bool every_step = c->algo == MIMIC_OFFPOLICY_SAC || c->algo == MIMIC_OFFPOLICY_TD3;
  if (s && (!every_step || c->train_freq != 1))
    json_object_set_new(s, "train_freq", json_integer(c->train_freq));
  if (s && c->use_sde) {
    json_object_set_new(s, "use_sde", json_true());
    json_object_set_new(s, "sde_sample_freq", json_integer(c->sde_sample_freq));
    json_object_set_new(s, "log_std_init", json_real(c->log_std_init));
    json_object_set_new(s, "clip_mean", json_real(c->clip_mean));
    json_object_set_new(s, "sde_learn_features", json_boolean(c->sde_learn_features));
  }
  if (s && !t->offline) {
    json_object_set_new(s, "total_steps", json_integer(c->total_steps));
    json_object_set_new(s, "buffer_size", json_integer(c->buffer_size));
    json_object_set_new(s, "learning_starts", json_integer(c->learning_starts));
    json_object_set_new(s, "gradient_steps", json_integer(c->gradient_steps));
  }
  return s;
}

/* Online: the replay buffer's filled rows (its positions are in meta). */
static mimic_status add_replay(mimic_offpolicy *t, mimic_container *c) {
  const mimic_replay *r = &t->replay;
  MIMIC_TRY(mimic_container_add(c, "replay_obs", MIMIC_ARRAY_F4, r->obs, r->size * t->D));
  MIMIC_TRY(mimic_container_add(c, "replay_next_obs", MIMIC_ARRAY_F4, r->next_obs, r->size * t->D));
  MIMIC_TRY(mimic_container_add(c, "replay_act", MIMIC_ARRAY_F4, r->act, r->size * t->A));
  MIMIC_TRY(mimic_container_add(c, "replay_rew", MIMIC_ARRAY_F8, r->rew, r->size));
  return mimic_container_add(c, "replay_done", MIMIC_ARRAY_U1, r->done, r->size);
}

mimic_status mimic_offpolicy_save_checkpoint(mimic_offpolicy *t, const char *path) {
  MIMIC_TRY(not_recording(t));
  /* the file stands for every rank: they must agree, and one writes it */
  MIMIC_TRY(mimic_offpolicy_check_same(t));
  if (!mimic_comm_writer(t->cfg.comm)) return MIMIC_OK;
  float scalars[6] = {
      t->log_alpha, t->alpha_opt.m ? t->alpha_opt.m[0] : 0, t->alpha_opt.v ? t->alpha_opt.v[0] : 0,
      t->log_cql,   t->cql_opt.m ? t->cql_opt.m[0] : 0,     t->cql_opt.v ? t->cql_opt.v[0] : 0};
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, CKPT_KIND, 1));
  json_t *hidden = json_array();
  for (int i = 0; i < t->cfg.n_hidden; i++)
    json_array_append_new(hidden, json_integer(t->cfg.hidden[i]));
  json_t *m = json_pack(
      "{s:s, s:i, s:i, s:i, s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "algorithm",
      mimic_offpolicy_algo_name(t->cfg.algo), "obs_dim", t->D, "act_dim", t->A, "batch_size", t->B,
      "hidden", hidden, "steps", (json_int_t)t->steps, "updates", (json_int_t)t->updates,
      "actor_adam_t", (json_int_t)t->actor_opt.t, "critic_adam_t", (json_int_t)t->critic_opt.t,
      "alpha_adam_t", (json_int_t)t->alpha_opt.t, "cql_adam_t", (json_int_t)t->cql_opt.t);
  json_t *settings = settings_of(t);
  if (m && settings) json_object_set_new(m, "settings", settings);
  if (m && !t->offline) {
    json_object_set_new(m, "replay_capacity", json_integer((json_int_t)t->replay.capacity));
    json_object_set_new(m, "replay_size", json_integer((json_int_t)t->replay.size));
    json_object_set_new(m, "replay_pos", json_integer((json_int_t)t->replay.pos));
  }
  mimic_status st =
      m && settings && !json_object_update(c.meta, m) ? MIMIC_OK : mimic_fail_nomem("a checkpoint");
  if (!m) json_decref(settings);
  json_decref(m);
  ckpt_array a[16];
  int n = arrays_of(t, a);
  for (int i = 0; !st && i < n; i++)
    st = a[i].data ? mimic_container_add(&c, a[i].name, MIMIC_ARRAY_F4, a[i].data, a[i].count)
                   : mimic_container_add(&c, a[i].name, MIMIC_ARRAY_F4, scalars, 6);
  if (!st) st = mimic_container_add(&c, "rng", MIMIC_ARRAY_U1, &t->rng, sizeof t->rng);
  if (!st && !t->offline) st = add_replay(t, &c);
  if (!st && !t->offline) st = mimic_rollout_save_state(&t->roll, &c, "roll");
  if (!st) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  return st;
}

/* An integer of meta that must equal want. */
static mimic_status same_int(const mimic_container *c, const char *key, long long want) {
  const json_t *v = json_object_get(c->meta, key);
  if (!json_is_integer(v))
    return mimic_container_fail(c, "meta", "'%s' is missing or not an integer", key);
  if (json_integer_value(v) != want)
    return mimic_container_fail(c, "meta", "%s is %lld, but this learner has %lld", key,
                                (long long)json_integer_value(v), want);
  return MIMIC_OK;
}

/* A non-negative integer of meta. */
static mimic_status count_of(const mimic_container *c, const char *key, long *out) {
  const json_t *v = json_object_get(c->meta, key);
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return mimic_container_fail(c, "meta", "'%s' must be a non-negative integer", key);
  *out = (long)json_integer_value(v);
  return MIMIC_OK;
}

static mimic_status check_and_load(mimic_offpolicy *t, const mimic_container *c) {
  MIMIC_TRY(mimic_container_expect(c, CKPT_KIND, 1));
  const char *algo = json_string_value(json_object_get(c->meta, "algorithm"));
  if (!algo || strcmp(algo, mimic_offpolicy_algo_name(t->cfg.algo)) != 0)
    return mimic_container_fail(c, "meta.algorithm", "is %s, but this learner is %s",
                                algo ? algo : "missing", mimic_offpolicy_algo_name(t->cfg.algo));
  MIMIC_TRY(same_int(c, "obs_dim", t->D));
  MIMIC_TRY(same_int(c, "act_dim", t->A));
  MIMIC_TRY(same_int(c, "batch_size", t->B));
  MIMIC_TRY(ckpt_same_settings(c, "settings", settings_of(t)));
  /* use_sde is in the settings only when on (earlier files have none) */
  const bool file_sde =
      json_is_true(json_object_get(json_object_get(c->meta, "settings"), "use_sde"));
  if (file_sde != t->cfg.use_sde)
    return mimic_container_fail(c, "meta.settings.use_sde",
                                "the checkpoint was written %s gSDE, this run is %s it",
                                file_sde ? "with" : "without", t->cfg.use_sde ? "with" : "without");
  const json_t *h = json_object_get(c->meta, "hidden");
  bool same = json_is_array(h) && (int)json_array_size(h) == t->cfg.n_hidden;
  for (int i = 0; same && i < t->cfg.n_hidden; i++)
    same = json_integer_value(json_array_get(h, (size_t)i)) == t->cfg.hidden[i];
  if (!same) return mimic_container_fail(c, "meta.hidden", "the widths differ from this learner's");
  long steps, updates, at, ct, lt, qt;
  MIMIC_TRY(count_of(c, "steps", &steps));
  MIMIC_TRY(count_of(c, "updates", &updates));
  MIMIC_TRY(count_of(c, "actor_adam_t", &at));
  MIMIC_TRY(count_of(c, "critic_adam_t", &ct));
  MIMIC_TRY(count_of(c, "alpha_adam_t", &lt));
  MIMIC_TRY(count_of(c, "cql_adam_t", &qt));
  ckpt_array a[16];
  int n = arrays_of(t, a);
  const void *data[16], *rng;
  for (int i = 0; i < n; i++)
    MIMIC_TRY(
        mimic_container_get(c, a[i].name, MIMIC_ARRAY_F4, a[i].data ? a[i].count : 6, &data[i]));
  MIMIC_TRY(mimic_container_get(c, "rng", MIMIC_ARRAY_U1, sizeof t->rng, &rng));
  const void *rep[5] = {0};
  long rsize = 0, rpos = 0;
  int n_online = 0;
  if (!t->offline) {
    const mimic_replay *r = &t->replay;
    long cap;
    MIMIC_TRY(same_int(c, "replay_capacity", (long long)r->capacity));
    MIMIC_TRY(count_of(c, "replay_capacity", &cap));
    MIMIC_TRY(count_of(c, "replay_size", &rsize));
    MIMIC_TRY(count_of(c, "replay_pos", &rpos));
    if (rsize > cap || rpos >= cap || (rsize < cap && rpos != rsize))
      return mimic_container_fail(c, "meta",
                                  "replay_size %ld and replay_pos %ld do not fit a "
                                  "buffer of %ld rows",
                                  rsize, rpos, cap);
    const size_t rs = (size_t)rsize;
    MIMIC_TRY(mimic_container_get(c, "replay_obs", MIMIC_ARRAY_F4, rs * t->D, &rep[0]));
    MIMIC_TRY(mimic_container_get(c, "replay_next_obs", MIMIC_ARRAY_F4, rs * t->D, &rep[1]));
    MIMIC_TRY(mimic_container_get(c, "replay_act", MIMIC_ARRAY_F4, rs * t->A, &rep[2]));
    MIMIC_TRY(mimic_container_get(c, "replay_rew", MIMIC_ARRAY_F8, rs, &rep[3]));
    MIMIC_TRY(mimic_container_get(c, "replay_done", MIMIC_ARRAY_U1, rs, &rep[4]));
    const uint8_t *d = rep[4];
    for (size_t i = 0; i < rs; i++)
      if (d[i] > 1)
        return mimic_container_fail(c, "array 'replay_done'", "row %zu is %d, not 0 or 1", i, d[i]);
    n_online = 5;
    for (int i = 0; i < c->n_arrays; i++)
      if (!strncmp(c->arrays[i].name, "roll.", 5)) n_online++;
  }
  if (c->n_arrays != n + 1 + n_online)
    return mimic_container_fail(c, "arrays", "a checkpoint holds %d arrays, this one %d",
                                n + 1 + n_online, c->n_arrays);
  mimic_rng r;
  memcpy(&r, rng, sizeof r);
  if (!mimic_rng_plausible(&r))
    return mimic_container_fail(c, "array 'rng'", "is not a generator's state");
  /* everything of ours checked (the container checked finiteness); the
   * environment's state is checked as it loads, so it goes first */
  if (!t->offline) MIMIC_TRY(mimic_rollout_load_state(&t->roll, c, "roll"));
  if (!t->offline) {
    mimic_replay *r = &t->replay;
    const size_t rs = (size_t)rsize;
    memcpy(r->obs, rep[0], rs * t->D * sizeof(float));
    memcpy(r->next_obs, rep[1], rs * t->D * sizeof(float));
    memcpy(r->act, rep[2], rs * t->A * sizeof(float));
    memcpy(r->rew, rep[3], rs * sizeof(double));
    memcpy(r->done, rep[4], rs);
    r->size = rs;
    r->pos = (size_t)rpos;
  }
  const float *s = NULL;
  for (int i = 0; i < n; i++) {
    if (a[i].data)
      memcpy(a[i].data, data[i], a[i].count * sizeof(float));
    else
      s = data[i];
  }
  t->log_alpha = s[0];
  if (t->alpha_opt.m) t->alpha_opt.m[0] = s[1], t->alpha_opt.v[0] = s[2];
  t->log_cql = s[3];
  if (t->cql_opt.m) t->cql_opt.m[0] = s[4], t->cql_opt.v[0] = s[5];
  t->actor_opt.t = at;
  t->critic_opt.t = ct;
  t->alpha_opt.t = lt;
  t->cql_opt.t = qt;
  t->rng = r;
  t->steps = steps;
  t->updates = updates;
  return MIMIC_OK;
}

mimic_status mimic_offpolicy_load_checkpoint(mimic_offpolicy *t, const char *path) {
  MIMIC_TRY(not_recording(t));
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  mimic_status st = check_and_load(t, &c);
  mimic_container_free(&c);
  return st;
}
