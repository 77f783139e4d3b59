/* Reward networks: a regression model over (s [, a] [, s']) that stands in
 * for an environment's reward (see mimic/reward.h).
 *
 * The input row is assembled in a buffer the network owns (grown outside
 * any step loop): the observation, then the action (one-hot for Discrete,
 * as imitation's reward nets preprocess it), then the next observation.
 * Normalisation lives in the model (its observation normaliser covers the
 * whole input row), so a saved network computes the same rewards anywhere.
 * The trade-off: one-hot columns are normalised too, exactly as imitation's
 * RunningNorm input layer does, which is harmless but not free. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/softplus.h"
#include "mimic/data.h"
#include "mimic/reward.h"
#include "nn/model.h"
#include "algo/reward_net.h"

static const char *const input_names[] = {NULL, "state", "state-action", "state-next-state",
                                          "state-action-next-state"};

const char *mimic_reward_inputs_name(mimic_reward_inputs in) {
  return in >= MIMIC_REWARD_STATE && in <= MIMIC_REWARD_STATE_ACTION_NEXT_STATE ? input_names[in]
                                                                                : NULL;
}

bool mimic_reward_inputs_parse(const char *name, mimic_reward_inputs *out) {
  for (int i = MIMIC_REWARD_STATE; i <= MIMIC_REWARD_STATE_ACTION_NEXT_STATE; i++)
    if (strcmp(name, input_names[i]) == 0) {
      *out = (mimic_reward_inputs)i;
      return true;
    }
  return false;
}

static bool uses_action(mimic_reward_inputs in) {
  return in == MIMIC_REWARD_STATE_ACTION || in == MIMIC_REWARD_STATE_ACTION_NEXT_STATE;
}
static bool uses_next(mimic_reward_inputs in) {
  return in == MIMIC_REWARD_STATE_NEXT_STATE || in == MIMIC_REWARD_STATE_ACTION_NEXT_STATE;
}

/* Fills the shape fields of r from inputs, obs_dim, the action space and
 * the absorbing flag. */
static mimic_status set_shape(mimic_reward_net *r, mimic_reward_inputs inputs, int obs_dim,
                              const mimic_space *as, bool absorbing) {
  if (!mimic_reward_inputs_name(inputs))
    return mimic_fail(MIMIC_ERR_INVALID, "reward net: unknown inputs kind %d", (int)inputs);
  if (obs_dim < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "reward net: obs_dim %d must be >= 1", obs_dim);
  r->inputs = inputs;
  r->obs_dim = obs_dim;
  r->act_in = r->act_width = r->n_discrete = 0;
  if (uses_action(inputs)) {
    if (!as)
      return mimic_fail(MIMIC_ERR_INVALID, "reward net: %s inputs need an action space",
                        input_names[inputs]);
    if (as->kind == MIMIC_SPACE_DISCRETE) {
      r->n_discrete = as->n;
      r->act_in = as->n;
      r->act_width = 1;
    } else {
      r->act_in = r->act_width = as->dim;
    }
  }
  r->absorbing = absorbing;
  int od = obs_dim + (absorbing ? 1 : 0);
  r->in_dim = od + r->act_in + (uses_next(inputs) ? od : 0);
  return MIMIC_OK;
}

mimic_status mimic_reward_net_create(mimic_reward_net *r, mimic_reward_inputs inputs, int obs_dim,
                                     const mimic_space *action_space, bool absorbing, int n_hidden,
                                     const int *hidden, mimic_activation act, mimic_rng *rng) {
  memset(r, 0, sizeof *r);
  MIMIC_TRY(set_shape(r, inputs, obs_dim, action_space, absorbing));
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, r->in_dim, 1, MIMIC_HEAD_REGRESSION);
  cfg.critic = false;
  cfg.critic_n_hidden = 0;
  cfg.n_hidden = n_hidden;
  for (int i = 0; i < n_hidden && i < MIMIC_MLP_MAX_LAYERS - 1; i++) cfg.hidden[i] = hidden[i];
  cfg.activation = act;
  MIMIC_TRY(mimic_model_check_config(&cfg));
  MIMIC_TRY(mimic_model_create(&r->model, &cfg, 1));
  mimic_status st = mimic_model_init_params(&r->model, MIMIC_INIT_TORCH, rng);
  if (st == MIMIC_OK) st = mimic_reward_net_reserve(r, 64);
  if (st != MIMIC_OK) mimic_reward_net_free(r);
  return st;
}

void mimic_reward_net_free(mimic_reward_net *r) {
  mimic_model_free(&r->model);
  free(r->in_buf);
  memset(r, 0, sizeof *r);
}

mimic_status mimic_reward_net_reserve(mimic_reward_net *r, int n) {
  if (n <= r->cap) return MIMIC_OK;
  float *b =
      mimic_realloc(r->in_buf, (size_t)n * (size_t)r->in_dim, sizeof(float), "reward net inputs");
  if (!b) return MIMIC_ERR_NOMEM;
  r->in_buf = b;
  MIMIC_TRY(mimic_model_reserve(&r->model, n));
  r->cap = n;
  return MIMIC_OK;
}

/* Writes one observation part (D floats, then the flag when absorbing). */
static float *put_obs(const mimic_reward_net *r, float *row, const float *o, bool abs) {
  const int D = r->obs_dim;
  if (abs)
    memset(row, 0, (size_t)D * sizeof *row);
  else
    memcpy(row, o, (size_t)D * sizeof *row);
  row += D;
  if (r->absorbing) *row++ = abs ? 1.0f : 0.0f;
  return row;
}

mimic_status mimic_reward_net_inputs_abs(mimic_reward_net *r, const float *obs, const float *act,
                                         const float *next_obs, const bool *abs_obs,
                                         const bool *abs_next, int n) {
  MIMIC_TRY(mimic_reward_net_reserve(r, n));
  const int D = r->obs_dim;
  const bool ua = uses_action(r->inputs), un = uses_next(r->inputs);
  if ((ua && !act) || (un && !next_obs))
    return mimic_fail(MIMIC_ERR_INVALID, "reward net: %s inputs need %s", input_names[r->inputs],
                      ua && !act ? "actions" : "next observations");
  if ((abs_obs || abs_next) && !r->absorbing)
    return mimic_fail(MIMIC_ERR_INVALID, "reward net: it has no absorbing-state input");
  for (int i = 0; i < n; i++) {
    float *row = r->in_buf + (size_t)i * (size_t)r->in_dim;
    bool as = abs_obs && abs_obs[i];
    row = put_obs(r, row, obs + (size_t)i * D, as);
    if (ua) {
      const float *a = act + (size_t)i * (size_t)r->act_width;
      if (as) {
        memset(row, 0, (size_t)r->act_in * sizeof *row);
      } else if (r->n_discrete) {
        float v = a[0];
        if (!(v >= 0 && v < r->n_discrete) || v != floorf(v))
          return mimic_fail(MIMIC_ERR_RANGE, "reward net: row %d: action %g is not in Discrete(%d)",
                            i, v, r->n_discrete);
        memset(row, 0, (size_t)r->n_discrete * sizeof *row);
        row[(int)v] = 1.0f;
      } else {
        memcpy(row, a, (size_t)r->act_width * sizeof *row);
      }
      row += r->act_in;
    }
    if (un) put_obs(r, row, next_obs + (size_t)i * D, abs_next && abs_next[i]);
  }
  return MIMIC_OK;
}

mimic_status mimic_reward_net_inputs(mimic_reward_net *r, const float *obs, const float *act,
                                     const float *next_obs, int n) {
  return mimic_reward_net_inputs_abs(r, obs, act, next_obs, NULL, NULL, n);
}

mimic_status mimic_reward_net_forward(mimic_reward_net *r, const float *obs, const float *act,
                                      const float *next_obs, int n, float *out) {
  MIMIC_TRY(mimic_reward_net_inputs(r, obs, act, next_obs, n));
  MIMIC_TRY(mimic_model_forward(&r->model, r->in_buf, n));
  memcpy(out, r->model.actor.out, (size_t)n * sizeof *out);
  return MIMIC_OK;
}

mimic_status mimic_reward_net_predict(mimic_reward_net *r, const float *obs, const float *act,
                                      const float *next_obs, int n, double *rewards) {
  MIMIC_TRY(mimic_reward_net_inputs(r, obs, act, next_obs, n));
  MIMIC_TRY(mimic_model_forward(&r->model, r->in_buf, n));
  const float *o = r->model.actor.out;
  for (int i = 0; i < n; i++)
    rewards[i] = r->output == MIMIC_REWARD_SOFTPLUS ? mimic_softplus(o[i]) : (double)o[i];
  return MIMIC_OK;
}

mimic_status mimic_reward_net_fn(void *user, const float *obs, const float *act,
                                 const float *next_obs, const bool *terminated, int n,
                                 double *rewards) {
  mimic_reward_net *r = user;
  MIMIC_TRY(mimic_reward_net_predict(r, obs, act, next_obs, n, rewards));
  if (r->absorbing && terminated)
    for (int i = 0; i < n; i++)
      if (terminated[i]) rewards[i] += r->absorbing_value;
  return MIMIC_OK;
}

mimic_status mimic_reward_net_save(mimic_reward_net *r, const char *path, const char *env_id,
                                   const mimic_space *obs_space, const mimic_space *action_space,
                                   const char *extra_json) {
  json_t *meta;
  if (extra_json) {
    json_error_t err;
    meta = json_loads(extra_json, 0, &err);
    if (!json_is_object(meta)) {
      json_decref(meta);
      return mimic_fail(MIMIC_ERR_INVALID, "reward metadata is not a JSON object: %s", err.text);
    }
  } else {
    meta = json_object();
  }
  mimic_status st = MIMIC_OK;
  json_object_set_new(meta, "reward_inputs", json_string(input_names[r->inputs]));
  json_object_set_new(meta, "output",
                      json_string(r->output == MIMIC_REWARD_SOFTPLUS ? "softplus" : "raw"));
  json_object_set_new(meta, "obs_dim", json_integer(r->obs_dim));
  json_object_set_new(meta, "absorbing", json_boolean(r->absorbing));
  if (r->absorbing) json_object_set_new(meta, "absorbing_value", json_real(r->absorbing_value));
  if (env_id) json_object_set_new(meta, "env_id", json_string(env_id));
  const mimic_space *spaces[2] = {obs_space, action_space};
  const char *const keys[2] = {"observation_space", "action_space"};
  for (int k = 0; k < 2 && st == MIMIC_OK; k++) {
    if (!spaces[k]) continue;
    char *text = mimic_space_json(spaces[k]);
    if (text)
      json_object_set_new(meta, keys[k], json_string(text));
    else
      st = mimic_errcode();
    free(text);
  }
  if (st == MIMIC_OK) {
    char *s = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    st = s ? mimic_model_set_metadata(&r->model, s) : mimic_fail_nomem("reward metadata");
    free(s);
  }
  json_decref(meta);
  mimic_container c;
  if (st == MIMIC_OK) st = mimic_container_init(&c, MIMIC_KIND_REWARD, 1);
  if (st != MIMIC_OK) return st;
  st = mimic_model_to_container(&r->model, &c);
  if (st == MIMIC_OK) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  return st;
}

mimic_status mimic_reward_net_load(const char *path, mimic_reward_net *r) {
  memset(r, 0, sizeof *r);
  mimic_model m;
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  mimic_status st = mimic_container_expect(&c, MIMIC_KIND_REWARD, 1);
  if (st == MIMIC_OK) st = mimic_model_from_container(&c, NULL, 1, &m);
  mimic_container_free(&c);
  if (st != MIMIC_OK) return st;
  json_t *meta = json_loads(m.metadata ? m.metadata : "{}", 0, NULL);
  const char *in_name = json_string_value(json_object_get(meta, "reward_inputs"));
  const char *out_name = json_string_value(json_object_get(meta, "output"));
  const char *as_text = json_string_value(json_object_get(meta, "action_space"));
  mimic_reward_inputs inputs = MIMIC_REWARD_STATE;
  mimic_data_space as = {0};
  bool have_as = false;
  if (m.cfg.head != MIMIC_HEAD_REGRESSION || m.cfg.act_dim != 1)
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: a reward network has a regression head with 1 output, this is %s with %d",
                    path, mimic_head_name(m.cfg.head), m.cfg.act_dim);
  else if (!in_name)
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: not a reward network (its metadata has no reward_inputs)", path);
  else if (!mimic_reward_inputs_parse(in_name, &inputs))
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: metadata reward_inputs '%s' is not state, state-action, "
                    "state-next-state or state-action-next-state",
                    path, in_name);
  else if (uses_action(inputs) && !as_text)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: metadata has no action_space for %s inputs", path,
                    in_name);
  if (st == MIMIC_OK && as_text) {
    st = mimic_data_space_parse(&as, as_text);
    if (st)
      mimic_errctx("%s: metadata action_space", path);
    else
      have_as = true;
  }
  if (st == MIMIC_OK) {
    /* in_dim = obs_dim [+ act_in] [+ obs_dim] */
    int act_in = 0;
    if (uses_action(inputs))
      act_in = as.space.kind == MIMIC_SPACE_DISCRETE ? as.space.n : as.space.dim;
    bool absorbing = json_is_true(json_object_get(meta, "absorbing"));
    int rest = m.cfg.obs_dim - act_in, od = uses_next(inputs) ? rest / 2 : rest;
    int obs_dim = od - (absorbing ? 1 : 0);
    if (obs_dim < 1 || (uses_next(inputs) && rest % 2))
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: input width %d does not fit %s inputs", path,
                      m.cfg.obs_dim, in_name);
    else
      st = set_shape(r, inputs, obs_dim, have_as ? &as.space : NULL, absorbing);
    r->absorbing_value = json_number_value(json_object_get(meta, "absorbing_value"));
    if (st == MIMIC_OK && !isfinite(r->absorbing_value))
      st =
          mimic_fail(MIMIC_ERR_FORMAT, "%s: metadata absorbing_value is not a finite number", path);
  }
  if (st == MIMIC_OK) {
    r->output =
        out_name && strcmp(out_name, "softplus") == 0 ? MIMIC_REWARD_SOFTPLUS : MIMIC_REWARD_RAW;
    r->model = m;
    st = mimic_reward_net_reserve(r, 64);
    if (st) mimic_reward_net_free(r);
  } else {
    mimic_model_free(&m);
  }
  mimic_data_space_free(&as);
  json_decref(meta);
  return st;
}

mimic_status mimic_reward_net_check_env(const mimic_reward_net *r, const mimic_env *env) {
  const mimic_space *os = mimic_env_obs_space(env), *as = mimic_env_action_space(env);
  if (os->dim != r->obs_dim)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "the reward network reads observations of %d values, but %s gives %d",
                      r->obs_dim, mimic_env_id(env), os->dim);
  if (uses_action(r->inputs)) {
    bool ok = r->n_discrete ? as->kind == MIMIC_SPACE_DISCRETE && as->n == r->n_discrete
                            : as->kind == MIMIC_SPACE_BOX && as->dim == r->act_width;
    if (!ok)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "the reward network reads actions of another space than %s's",
                        mimic_env_id(env));
  }
  return MIMIC_OK;
}
