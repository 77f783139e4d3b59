/* Network policies: a mimic_model behind the policy interface, and policy
 * files.
 *
 * A policy file is a model file (docs/model-file.md) whose metadata names
 * the environment and both spaces in Gymnasium's JSON, so a file alone is
 * enough to act: `mimic eval --policy clone.mimic` needs nothing else. The
 * model's caches grow to the largest batch seen, outside any step loop.
 *
 * A recurrent model (a GRU) keeps one state per stream the batches name
 * (a rollout's copies): a row whose episode starts, or a batch without
 * streams, begins from the zero state; the others continue their stream's.
 * The state table grows when a new stream appears, not per step. A
 * transformer model keeps each stream's last K observations the same way
 * (its window; a new episode empties it) and answers from the window. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mimic/data.h"
#include "mimic/nn.h"
#include "mimic/policy.h"
#include "nn/heads.h"
#include "nn/model.h"

typedef struct model_impl {
  mimic_model model;
  int32_t *acts; /* (max_batch) argmax / samples */
  float *probs;  /* (max_batch, act_dim) softmax, for proba */
  int cap;
  float *state; /* recurrent models: (n_streams, H) each stream's state */
  float *h;     /* (cap, H) the batch's states */
  int n_streams;
  /* transformer models: (n_streams, K, obs_dim) windows and their lengths,
   * and the batch's windows (cap, K, obs_dim) */
  float *win, *bwin;
  int *win_len, *blen;
} model_impl;

static mimic_status ensure_batch(mimic_policy *p, int n) {
  model_impl *m = p->impl;
  /* a trainer (BC) may have resized the model's caches since the last act */
  if (n > m->model.max_batch) MIMIC_TRY(mimic_model_reserve(&m->model, n));
  if (n <= m->cap) return MIMIC_OK;
  int32_t *acts = mimic_realloc(m->acts, (size_t)n, sizeof *acts, "policy actions");
  if (!acts) return MIMIC_ERR_NOMEM;
  m->acts = acts;
  float *probs =
      mimic_realloc(m->probs, (size_t)n * (size_t)m->model.cfg.act_dim, sizeof *probs, "probs");
  if (!probs) return MIMIC_ERR_NOMEM;
  m->probs = probs;
  if (m->model.cfg.gru_hidden) {
    float *h = mimic_realloc(m->h, (size_t)n * (size_t)m->model.cfg.gru_hidden, sizeof *h,
                             "recurrent states");
    if (!h) return MIMIC_ERR_NOMEM;
    m->h = h;
  }
  if (m->model.cfg.tf.context) {
    const int K = m->model.cfg.tf.context;
    if ((long)n * K > m->model.max_batch) MIMIC_TRY(mimic_model_reserve(&m->model, n * K));
    float *w = mimic_realloc(m->bwin, (size_t)n * K * (size_t)m->model.cfg.obs_dim, sizeof *w,
                             "transformer windows");
    if (!w) return MIMIC_ERR_NOMEM;
    m->bwin = w;
    int *len = mimic_realloc(m->blen, (size_t)n, sizeof *len, "transformer windows");
    if (!len) return MIMIC_ERR_NOMEM;
    m->blen = len;
  }
  m->cap = n;
  return MIMIC_OK;
}

/* Recurrent models: one step from each row's stream state, kept after. */
static mimic_status recurrent_forward(model_impl *m, const mimic_act_batch *b) {
  const int H = m->model.cfg.gru_hidden;
  const size_t hb = (size_t)H * sizeof(float);
  int need = 0;
  for (int i = 0; b->streams && i < b->n; i++) {
    if (b->streams[i] < 0) return mimic_fail(MIMIC_ERR_INVALID, "stream %d", b->streams[i]);
    if (b->streams[i] >= need) need = b->streams[i] + 1;
  }
  if (need > m->n_streams) {
    float *st = mimic_realloc(m->state, (size_t)need * (size_t)H, sizeof *st, "recurrent states");
    if (!st) return MIMIC_ERR_NOMEM;
    memset(st + (size_t)m->n_streams * H, 0, (size_t)(need - m->n_streams) * hb);
    m->state = st;
    m->n_streams = need;
  }
  for (int i = 0; i < b->n; i++) {
    bool fresh = !b->streams || !b->starts || b->starts[i];
    if (fresh)
      memset(m->h + (size_t)i * H, 0, hb);
    else
      memcpy(m->h + (size_t)i * H, m->state + (size_t)b->streams[i] * H, hb);
  }
  MIMIC_TRY(mimic_model_step(&m->model, b->obs, m->h, b->n));
  for (int i = 0; b->streams && i < b->n; i++)
    memcpy(m->state + (size_t)b->streams[i] * H, m->h + (size_t)i * H, hb);
  return MIMIC_OK;
}

/* Transformer models: each row's observation joins its stream's window
 * (emptied at an episode's start, the oldest dropped when full), and the
 * windows go through the model as one batch padded to the longest. */
static mimic_status window_forward(model_impl *m, const mimic_act_batch *b) {
  const int K = m->model.cfg.tf.context, D = m->model.cfg.obs_dim;
  const size_t wrow = (size_t)D * sizeof(float);
  int need = 0;
  for (int i = 0; b->streams && i < b->n; i++) {
    if (b->streams[i] < 0) return mimic_fail(MIMIC_ERR_INVALID, "stream %d", b->streams[i]);
    if (b->streams[i] >= need) need = b->streams[i] + 1;
  }
  if (need > m->n_streams) {
    float *w = mimic_realloc(m->win, (size_t)need * K * D, sizeof *w, "transformer windows");
    if (!w) return MIMIC_ERR_NOMEM;
    m->win = w;
    int *len = mimic_realloc(m->win_len, (size_t)need, sizeof *len, "transformer windows");
    if (!len) return MIMIC_ERR_NOMEM;
    for (int s = m->n_streams; s < need; s++) len[s] = 0;
    m->win_len = len;
    m->n_streams = need;
  }
  int T = 1;
  for (int i = 0; i < b->n; i++) {
    const float *o = b->obs + (size_t)i * D;
    float *dst = m->bwin + (size_t)i * K * D;
    if (!b->streams) { /* every row an episode's first state */
      memcpy(dst, o, wrow);
      m->blen[i] = 1;
      continue;
    }
    int s = b->streams[i];
    if (!b->starts || b->starts[i]) m->win_len[s] = 0;
    int L = m->win_len[s];
    float *w = m->win + (size_t)s * K * D;
    if (L == K) {
      memmove(w, w + D, (size_t)(K - 1) * wrow);
      L--;
    }
    memcpy(w + (size_t)L * D, o, wrow);
    m->win_len[s] = ++L;
    memcpy(dst, w, (size_t)L * wrow);
    m->blen[i] = L;
    if (L > T) T = L;
  }
  /* the batch laid out as (n, T, D): rows move down from the (n, K, D) staging */
  for (int i = 0; i < b->n; i++) {
    float *row = m->bwin + (size_t)i * T * D;
    memmove(row, m->bwin + (size_t)i * K * D, (size_t)m->blen[i] * wrow);
    memset(row + (size_t)m->blen[i] * D, 0, (size_t)(T - m->blen[i]) * wrow);
  }
  return mimic_model_windows(&m->model, m->bwin, m->blen, b->n, T);
}

static mimic_status model_act(mimic_policy *p, mimic_act_batch *b) {
  model_impl *m = p->impl;
  if (!b->obs) return mimic_fail(MIMIC_ERR_INVALID, "%s acts on observations", p->description);
  MIMIC_TRY(ensure_batch(p, b->n));
  if (m->model.cfg.gru_hidden)
    MIMIC_TRY(recurrent_forward(m, b));
  else if (m->model.cfg.tf.context)
    MIMIC_TRY(window_forward(m, b));
  else
    MIMIC_TRY(mimic_model_forward(&m->model, b->obs, b->n));
  const float *out = m->model.actor.out;
  const int A = m->model.cfg.act_dim;
  if (m->model.cfg.head == MIMIC_HEAD_CATEGORICAL) {
    if (b->deterministic)
      mimic_cat_argmax(out, b->n, A, m->acts);
    else
      mimic_cat_sample(out, b->n, A, b->rng, m->acts);
    for (int i = 0; i < b->n; i++) {
      const float *z = out + (size_t)i * (size_t)A;
      b->actions[i] = (float)m->acts[i];
      if (b->confidence) { /* softmax probability of the chosen action */
        float mx = z[0];
        for (int j = 1; j < A; j++) mx = z[j] > mx ? z[j] : mx;
        double sum = 0;
        for (int j = 0; j < A; j++) sum += exp((double)(z[j] - mx));
        b->confidence[i] = (float)(exp((double)(z[m->acts[i]] - mx)) / sum);
      }
    }
    if (b->proba) { /* the head's float softmax, as every query rule has always scored it */
      mimic_cat_probs(out, b->n, A, m->probs);
      for (size_t k = 0; k < (size_t)b->n * (size_t)A; k++) b->proba[k] = m->probs[k];
    }
    return MIMIC_OK;
  }
  size_t total = (size_t)b->n * (size_t)A;
  if (!b->deterministic && m->model.cfg.head == MIMIC_HEAD_GAUSSIAN)
    mimic_gauss_sample(out, m->model.log_std, b->n, A, b->rng, b->actions);
  else
    memcpy(b->actions, out, total * sizeof *out);
  const mimic_space *s = &p->action_space;
  if (m->model.cfg.squash) /* SB3's squashed actors: tanh, then [-1, 1] to [low, high] */
    for (size_t k = 0; k < total; k++) {
      int j = (int)(k % (size_t)A);
      float t = tanhf(b->actions[k]);
      b->actions[k] = s->low[j] + 0.5f * (t + 1.0f) * (s->high[j] - s->low[j]);
    }
  for (size_t k = 0; k < total; k++) { /* SB3 clips Box actions before stepping */
    int j = (int)(k % (size_t)A);
    if (b->actions[k] < s->low[j]) b->actions[k] = s->low[j];
    if (b->actions[k] > s->high[j]) b->actions[k] = s->high[j];
  }
  if (b->confidence)
    for (int i = 0; i < b->n; i++) b->confidence[i] = 1.0f;
  return MIMIC_OK;
}

static void model_free(mimic_policy *p) {
  model_impl *m = p->impl;
  if (!m) return;
  mimic_model_free(&m->model);
  free(m->acts);
  free(m->probs);
  free(m->state);
  free(m->h);
  free(m->win);
  free(m->bwin);
  free(m->win_len);
  free(m->blen);
  free(m);
}

static const mimic_policy_class model_class = {"mlp", model_act, model_free};

mimic_status mimic_policy_from_model(mimic_model *model, const mimic_space *action_space,
                                     mimic_policy **out) {
  *out = NULL;
  const mimic_model_config *c = &model->cfg;
  if (action_space->kind == MIMIC_SPACE_DISCRETE) {
    if (c->head != MIMIC_HEAD_CATEGORICAL || c->act_dim != action_space->n)
      return mimic_fail(MIMIC_ERR_INVALID, "a %s head with %d outputs cannot act in Discrete(%d)",
                        mimic_head_name(c->head), c->act_dim, action_space->n);
  } else if (c->head == MIMIC_HEAD_CATEGORICAL || c->act_dim != action_space->dim) {
    return mimic_fail(MIMIC_ERR_INVALID, "a %s head with %d outputs cannot act in a Box of %d",
                      mimic_head_name(c->head), c->act_dim, action_space->dim);
  }
  for (int j = 0; c->squash && j < action_space->dim; j++)
    if (!isfinite(action_space->low[j]) || !isfinite(action_space->high[j]))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "a squashed (tanh) policy needs finite action bounds; dimension %d is "
                        "unbounded",
                        j);
  MIMIC_TRY(mimic_policy_alloc(&model_class, action_space, c->obs_dim, out));
  model_impl *m = mimic_calloc(1, sizeof *m, "a network policy");
  if (!m) {
    mimic_policy_free(*out);
    *out = NULL;
    return MIMIC_ERR_NOMEM;
  }
  m->model = *model; /* ownership moves: the caller's struct must not be freed */
  memset(model, 0, sizeof *model);
  (*out)->impl = m;
  c = &m->model.cfg; /* the caller's struct was emptied by the move */
  char arch[96] = "";
  size_t k = 0;
  const mimic_conv_config *v = &c->conv;
  if (c->gru_hidden) /* "984-gru64-32-7" */
    k += (size_t)snprintf(arch, sizeof arch, "%d-gru%d", c->obs_dim, c->gru_hidden);
  else if (c->tf.context) /* "984-tf16x2x64-64-7": context, layers, width */
    k += (size_t)snprintf(arch, sizeof arch, "%d-tf%dx%dx%d", c->obs_dim, c->tf.context,
                          c->tf.layers, c->tf.embd);
  else if (v->n_conv) /* "1x24x32-c16k5s2-c32k3s2-64-7": the image, then each conv layer */
    k += (size_t)snprintf(arch, sizeof arch, "%dx%dx%d", v->image[0], v->image[1], v->image[2]);
  else
    k += (size_t)snprintf(arch, sizeof arch, "%d", c->obs_dim);
  for (int l = 0; l < v->n_conv && k < sizeof arch; l++)
    k += (size_t)snprintf(arch + k, sizeof arch - k, v->pad[l] ? "-c%dk%ds%dp%d" : "-c%dk%ds%d",
                          v->channels[l], v->kernel[l], v->stride[l], v->pad[l]);
  for (int i = 0; i < c->n_hidden && k < sizeof arch; i++)
    k += (size_t)snprintf(arch + k, sizeof arch - k, "-%d", c->hidden[i]);
  if (k < sizeof arch) snprintf(arch + k, sizeof arch - k, "-%d", c->act_dim);
  snprintf((*out)->description, sizeof(*out)->description, "%s %s %s %s",
           c->gru_hidden   ? "gru"
           : c->tf.context ? "transformer"
           : v->n_conv     ? "cnn"
                           : "mlp",
           arch, mimic_activation_name(c->activation), mimic_head_name(c->head));
  return MIMIC_OK;
}

mimic_model *mimic_policy_model(mimic_policy *p) {
  return p->cls == &model_class ? &((model_impl *)p->impl)->model : NULL;
}

mimic_status mimic_policy_describe_model(mimic_model *model, const char *env_id,
                                         const mimic_space *obs_space,
                                         const mimic_space *action_space, const char *extra_json) {
  json_t *meta = NULL;
  if (extra_json) {
    json_error_t err;
    meta = json_loads(extra_json, 0, &err);
    if (!json_is_object(meta)) {
      json_decref(meta);
      return mimic_fail(MIMIC_ERR_INVALID, "policy metadata is not a JSON object: %s", err.text);
    }
  } else {
    meta = json_object();
  }
  char *obs_text = mimic_space_json(obs_space), *act_text = mimic_space_json(action_space);
  mimic_status st = obs_text && act_text ? MIMIC_OK : mimic_errcode();
  if (st == MIMIC_OK) {
    json_object_set_new(meta, "format", json_string("mimic-policy-1"));
    if (env_id) json_object_set_new(meta, "env_id", json_string(env_id));
    json_object_set_new(meta, "observation_space", json_string(obs_text));
    json_object_set_new(meta, "action_space", json_string(act_text));
    char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    st = text ? mimic_model_set_metadata(model, text) : mimic_fail_nomem("policy metadata");
    free(text);
  }
  free(act_text);
  free(obs_text);
  json_decref(meta);
  return st;
}

mimic_status mimic_policy_load(const char *path, mimic_policy **out) {
  *out = NULL;
  mimic_model model;
  MIMIC_TRY(mimic_model_load(path, NULL, 1, &model));
  json_error_t err;
  json_t *meta = json_loads(model.metadata ? model.metadata : "{}", 0, &err);
  const char *space_text = json_string_value(json_object_get(meta, "action_space"));
  mimic_status st = MIMIC_OK;
  mimic_data_space act = {0};
  if (!space_text)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: not a policy file (its metadata has no action_space)",
                    path);
  else if (mimic_data_space_parse(&act, space_text) != MIMIC_OK)
    st = mimic_errctx("%s: metadata action_space", path);
  if (st == MIMIC_OK) {
    st = mimic_policy_from_model(&model, &act.space, out);
    if (st) mimic_errctx("%s", path);
  }
  if (st != MIMIC_OK) mimic_model_free(&model);
  mimic_data_space_free(&act);
  json_decref(meta);
  return st;
}
