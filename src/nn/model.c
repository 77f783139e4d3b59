/* Model: everything a policy file holds — an actor MLP, an optional critic
 * MLP, the head kind, a Gaussian log_std, observation normalisation and a
 * free-form JSON metadata string — plus BC on a batch.
 *
 * All trainable floats live in ONE allocation, in this order:
 *   trunk (conv layers, if any) | actor (W0 b0 W1 b1 ...) | critic (W0 b0 ...) | log_std (act_dim)
 * with the gradients in a mirror allocation. The MLP structs are views into
 * it. One optimizer, one gradient clip and one L2 sum therefore cover the
 * whole model, which is what imitation's BC (L2 over every parameter,
 * including the value branch and log_std) and SB3's PPO (one Adam over actor,
 * critic and log_std) do.
 *
 * Observation normalisation follows SB3's VecNormalize:
 * clip((obs - mean) / sqrt(var + eps), -clip, clip), applied into a buffer
 * owned by the model (sized with the caches), with 1/sqrt(var + eps)
 * precomputed in double.
 *
 * An image model (cfg.conv.n_conv > 0) puts a conv + ReLU trunk (a
 * mimic_cnn without a head) in front of the actor, whose input is then the
 * trunk's flattened output; everything that runs the actor goes through
 * mimic_model_actor_forward/backward so the trunk is never skipped. */
#include "mimic/nn.h"
#include "core/util.h"
#include "nn/cnn.h"
#include "nn/heads.h"
#include "nn/layers.h"
#include "nn/model.h"
#include "nn/tf_trunk.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mimic_head_name(mimic_head_kind head) {
  switch (head) {
  case MIMIC_HEAD_CATEGORICAL: return "categorical";
  case MIMIC_HEAD_GAUSSIAN: return "gaussian";
  case MIMIC_HEAD_REGRESSION: return "regression";
  }
  return NULL;
}

void mimic_model_config_init(mimic_model_config *cfg, int obs_dim, int act_dim,
                             mimic_head_kind head) {
  memset(cfg, 0, sizeof *cfg);
  cfg->obs_dim = obs_dim;
  cfg->act_dim = act_dim;
  cfg->head = head;
  cfg->n_hidden = 2;
  cfg->hidden[0] = cfg->hidden[1] = 32;
  cfg->activation = MIMIC_ACT_TANH;
  cfg->critic = true;
  cfg->critic_n_hidden = 2;
  cfg->critic_hidden[0] = cfg->critic_hidden[1] = 32;
  cfg->critic_activation = MIMIC_ACT_TANH;
  cfg->log_std_init = 0.0f;
}

static void trunk_config(const mimic_model_config *c, mimic_cnn_config *cc);

static mimic_status check_net(const char *what, int n_hidden, const int *hidden,
                              mimic_activation act) {
  if (n_hidden < 0 || n_hidden > MIMIC_MLP_MAX_LAYERS - 1)
    return mimic_fail(MIMIC_ERR_INVALID, "model: %s has %d hidden layers; allowed 0..%d", what,
                      n_hidden, MIMIC_MLP_MAX_LAYERS - 1);
  for (int i = 0; i < n_hidden; i++)
    if (hidden[i] < 1 || hidden[i] > MIMIC_MLP_MAX_WIDTH)
      return mimic_fail(MIMIC_ERR_INVALID, "model: %s hidden layer %d has width %d; allowed 1..%d",
                        what, i, hidden[i], MIMIC_MLP_MAX_WIDTH);
  if (!mimic_activation_name(act))
    return mimic_fail(MIMIC_ERR_INVALID, "model: %s activation %d is unknown (tanh or relu)", what,
                      (int)act);
  return MIMIC_OK;
}

mimic_status mimic_model_check_config(const mimic_model_config *c) {
  if (!mimic_head_name(c->head))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "model: head %d is unknown (categorical, gaussian or regression)",
                      (int)c->head);
  if (c->obs_dim < 1 || c->obs_dim > MIMIC_MLP_MAX_WIDTH)
    return mimic_fail(MIMIC_ERR_INVALID, "model: obs_dim %d is outside 1..%d", c->obs_dim,
                      MIMIC_MLP_MAX_WIDTH);
  if (c->act_dim < 1 || c->act_dim > MIMIC_MLP_MAX_WIDTH)
    return mimic_fail(MIMIC_ERR_INVALID, "model: act_dim %d is outside 1..%d", c->act_dim,
                      MIMIC_MLP_MAX_WIDTH);
  MIMIC_TRY(check_net("actor", c->n_hidden, c->hidden, c->activation));
  if (c->critic)
    MIMIC_TRY(check_net("critic", c->critic_n_hidden, c->critic_hidden, c->critic_activation));
  if (!isfinite(c->log_std_init))
    return mimic_fail(MIMIC_ERR_INVALID, "model: log_std_init must be finite");
  if (c->conv.n_conv) {
    const mimic_conv_config *v = &c->conv;
    if (v->n_conv < 0 || v->n_conv > MIMIC_MODEL_MAX_CONV)
      return mimic_fail(MIMIC_ERR_INVALID, "model: %d conv layers; allowed 0..%d", v->n_conv,
                        MIMIC_MODEL_MAX_CONV);
    if ((long)v->image[0] * v->image[1] * v->image[2] != c->obs_dim)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "model: an image of %d x %d x %d is not the %d observation values",
                        v->image[0], v->image[1], v->image[2], c->obs_dim);
    mimic_cnn_config cc;
    trunk_config(c, &cc);
    if (!mimic_cnn_param_count(&cc))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "model: the conv layers do not fit a %d x %d x %d image (every kernel must "
                        "fit its padded input; channels, kernels and strides positive)",
                        v->image[0], v->image[1], v->image[2]);
    if (c->critic)
      return mimic_fail(MIMIC_ERR_INVALID, "model: an image model has no critic network");
  }
  if (c->gru_hidden) {
    if (c->gru_hidden < 0 || c->gru_hidden > 65536)
      return mimic_fail(MIMIC_ERR_INVALID, "model: a GRU of %d units; allowed 1..65536",
                        c->gru_hidden);
    if (c->conv.n_conv)
      return mimic_fail(MIMIC_ERR_INVALID, "model: a conv trunk and a GRU together are not "
                                           "supported yet");
    if (c->critic)
      return mimic_fail(MIMIC_ERR_INVALID, "model: a recurrent model has no critic network");
    if (c->head != MIMIC_HEAD_CATEGORICAL)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "model: a recurrent model has a categorical head (discrete actions)");
  }
  if (c->tf.context) {
    const mimic_tf_config *t = &c->tf;
    if (t->context < 1 || t->context > 1024 || t->layers < 1 || t->layers > MIMIC_GPT_MAX_LAYERS ||
        t->heads < 1 || t->embd < 1 || t->embd > 4096 || t->embd % t->heads)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "model: a transformer of context %d (1..1024), %d layers (1..%d), %d "
                        "heads and width %d (1..4096, a multiple of the heads)",
                        t->context, t->layers, MIMIC_GPT_MAX_LAYERS, t->heads, t->embd);
    if (c->conv.n_conv || c->gru_hidden)
      return mimic_fail(MIMIC_ERR_INVALID, "model: a transformer with a conv trunk or a GRU is "
                                           "not supported");
    if (c->critic)
      return mimic_fail(MIMIC_ERR_INVALID, "model: a transformer model has no critic network");
    if (c->head != MIMIC_HEAD_CATEGORICAL)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "model: a transformer model has a categorical head (discrete actions)");
  }
  if (c->squash && c->head == MIMIC_HEAD_CATEGORICAL)
    return mimic_fail(MIMIC_ERR_INVALID, "model: a categorical head cannot be squashed");
  return MIMIC_OK;
}

/* ---- the GRU trunk ---------------------------------------------------------- */

static void gru_free(mimic_gru_trunk *g) {
  if (!g) return;
  mimic_free_aligned(g->cache);
  free(g);
}

/* Sizes g's caches for rows = B*T rows. */
static mimic_status gru_reserve(mimic_gru_trunk *g, int rows) {
  size_t R = (size_t)rows, H = (size_t)g->H;
  size_t n = R * H * (1 + 3 + 1 + 1 + 1 + 8);
  float *c = mimic_alloc_aligned(n * sizeof(float), "GRU caches");
  if (!c) return MIMIC_ERR_NOMEM;
  memset(c, 0, n * sizeof(float));
  mimic_free_aligned(g->cache);
  g->cache = c;
  g->out = c;
  g->gates = g->out + R * H;
  g->hn = g->gates + 3 * R * H;
  g->dout = g->hn + R * H;
  g->h0 = g->dout + R * H;
  g->scratch = g->h0 + R * H;
  g->max_rows = rows;
  return MIMIC_OK;
}

/* One GRU pass over B sequences of T steps of normalised x from h0 (B, H). */
static void gru_run(mimic_gru_trunk *g, const float *x, const float *h0, int B, int T) {
  mimic_rnn_shape s = {B, T, g->In, g->H};
  mimic_gru_forward(g->out, g->gates, g->hn, g->scratch, x, h0, &g->p, &s);
}

/* Backward of gru_run from g->dout (B, T, H); adds to the GRU's gradients. */
static void gru_back(mimic_gru_trunk *g, const float *x, const float *h0, int B, int T) {
  mimic_rnn_shape s = {B, T, g->In, g->H};
  mimic_gru_backward(NULL, NULL, &g->g, g->scratch, g->dout, NULL, x, h0, g->out, g->gates, g->hn,
                     &g->p, &s);
}

mimic_status mimic_model_config_cnn(mimic_model_config *cfg, int c, int h, int w) {
  if (c < 1 || h < 1 || w < 1 || (long)c * h * w != cfg->obs_dim)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "model: a CNN policy needs image observations; %d x %d x %d is not the %d "
                      "observation values",
                      c, h, w, cfg->obs_dim);
  mimic_conv_config *v = &cfg->conv;
  memset(v, 0, sizeof *v);
  v->image[0] = c, v->image[1] = h, v->image[2] = w;
  if (h >= 36 && w >= 36) {
    const int ch[3] = {32, 64, 64}, k[3] = {8, 4, 3}, st[3] = {4, 2, 1};
    v->n_conv = 3;
    for (int l = 0; l < 3; l++) v->channels[l] = ch[l], v->kernel[l] = k[l], v->stride[l] = st[l];
    cfg->hidden[0] = 512;
  } else if (h < 9 || w < 9) {
    /* 5x5/2 then 3x3/2 does not fit (a 7x7 gridworld view): the 2x2 convs
       of MiniGrid's rl-starter-files (16, 32, 64; no max-pool) */
    const int ch[3] = {16, 32, 64};
    v->n_conv = 3;
    for (int l = 0; l < 3; l++) v->channels[l] = ch[l], v->kernel[l] = 2, v->stride[l] = 1;
    cfg->hidden[0] = 64;
  } else {
    const int ch[2] = {16, 32}, k[2] = {5, 3}, st[2] = {2, 2};
    v->n_conv = 2;
    for (int l = 0; l < 2; l++) v->channels[l] = ch[l], v->kernel[l] = k[l], v->stride[l] = st[l];
    cfg->hidden[0] = 64;
  }
  cfg->n_hidden = 1;
  cfg->activation = MIMIC_ACT_RELU;
  cfg->critic = false;
  cfg->critic_n_hidden = 0;
  return mimic_model_check_config(cfg);
}

/* Fills the trunk's mimic_cnn configuration (no head) from c->conv. */
static void trunk_config(const mimic_model_config *c, mimic_cnn_config *cc) {
  memset(cc, 0, sizeof *cc);
  cc->in_c = c->conv.image[0], cc->in_h = c->conv.image[1], cc->in_w = c->conv.image[2];
  cc->n_conv = c->conv.n_conv;
  for (int l = 0; l < cc->n_conv; l++) {
    cc->out_channels[l] = c->conv.channels[l];
    cc->kernel[l] = c->conv.kernel[l];
    cc->stride[l] = c->conv.stride[l];
    cc->pad[l] = c->conv.pad[l];
  }
}

/* Fills sizes with in, hidden..., out; returns the number of widths. */
static int net_sizes(int *sizes, int in, int n_hidden, const int *hidden, int out) {
  sizes[0] = in;
  for (int i = 0; i < n_hidden; i++) sizes[i + 1] = hidden[i];
  sizes[n_hidden + 1] = out;
  return n_hidden + 2;
}

static mimic_status model_work(mimic_model *m, int max_batch) {
  size_t rows = (size_t)max_batch;
  size_t n = rows * (size_t)m->cfg.obs_dim + rows * (size_t)m->cfg.act_dim;
  float *w = mimic_alloc_aligned(n * sizeof(float), "model work buffers");
  if (!w) return MIMIC_ERR_NOMEM;
  memset(w, 0, n * sizeof(float));
  mimic_free_aligned(m->work);
  m->work = w;
  m->obs_buf = w;
  m->dout = w + rows * (size_t)m->cfg.obs_dim;
  m->max_batch = max_batch;
  return MIMIC_OK;
}

mimic_status mimic_model_reserve(mimic_model *m, int max_batch) {
  if (max_batch < 1 || max_batch > (1 << 24))
    return mimic_fail(MIMIC_ERR_INVALID, "model: max batch %d is outside 1..%d", max_batch,
                      1 << 24);
  if (m->trunk) {
    mimic_cnn_config cc;
    trunk_config(&m->cfg, &cc);
    mimic_cnn t;
    MIMIC_TRY(mimic_cnn_create(&t, &cc, max_batch, m->trunk->params, m->trunk->grads));
    mimic_cnn_free(m->trunk);
    *m->trunk = t;
  }
  if (m->gru) MIMIC_TRY(gru_reserve(m->gru, max_batch));
  if (m->tf) MIMIC_TRY(mimic_tf_reserve(m->tf, max_batch));
  MIMIC_TRY(mimic_mlp_reserve(&m->actor, max_batch));
  if (m->cfg.critic) MIMIC_TRY(mimic_mlp_reserve(&m->critic, max_batch));
  return model_work(m, max_batch);
}

mimic_status mimic_model_create(mimic_model *m, const mimic_model_config *cfg, int max_batch) {
  memset(m, 0, sizeof *m);
  MIMIC_TRY(mimic_model_check_config(cfg));
  m->cfg = *cfg;
  if (!cfg->critic) {
    m->cfg.critic_n_hidden = 0;
    memset(m->cfg.critic_hidden, 0, sizeof m->cfg.critic_hidden);
  }
  mimic_cnn_config cc;
  trunk_config(cfg, &cc);
  size_t pt = cfg->conv.n_conv ? mimic_cnn_param_count(&cc) : 0;
  int in = cfg->conv.n_conv ? mimic_cnn_features(&cc) : cfg->obs_dim;
  if (cfg->gru_hidden) {
    pt = mimic_rnn_param_count(3, cfg->obs_dim, cfg->gru_hidden);
    in = cfg->gru_hidden;
  }
  if (cfg->tf.context) {
    pt = mimic_tf_param_count(cfg);
    in = cfg->tf.embd;
  }
  int as[MIMIC_MLP_MAX_LAYERS + 1], cs[MIMIC_MLP_MAX_LAYERS + 1];
  int na = net_sizes(as, in, cfg->n_hidden, cfg->hidden, cfg->act_dim);
  int nc =
      cfg->critic ? net_sizes(cs, cfg->obs_dim, cfg->critic_n_hidden, cfg->critic_hidden, 1) : 0;
  size_t pa = mimic_mlp_param_count(as, na), pc = nc ? mimic_mlp_param_count(cs, nc) : 0;
  size_t pl = cfg->head == MIMIC_HEAD_GAUSSIAN ? (size_t)cfg->act_dim : 0;
  m->n_params = pt + pa + pc + pl;
  /* parameters, gradients and an optimizer's two moments, plus the
     activation caches of a batch (about two floats per unit and row) */
  size_t units = 0;
  for (int l = 0; l < na; l++) units += (size_t)as[l];
  for (int l = 0; l < nc; l++) units += (size_t)cs[l];
  double need = 16.0 * (double)m->n_params + 8.0 * (double)units * (double)max_batch;
  size_t total = mimic_memory_total();
  if (total && need > (double)total)
    return mimic_fail(MIMIC_ERR_NOMEM,
                      "model: a network of %zu parameters needs about %.1f GB of memory to "
                      "train, more than this machine's %.1f GB; use narrower hidden layers",
                      m->n_params, need / 1e9, (double)total / 1e9);
  mimic_status st = MIMIC_ERR_NOMEM;
  m->params = mimic_alloc_aligned(2 * m->n_params * sizeof(float), "model parameters");
  if (!m->params) goto fail;
  memset(m->params, 0, 2 * m->n_params * sizeof(float));
  m->grads = m->params + m->n_params;
  if (cfg->gru_hidden) {
    st = MIMIC_ERR_NOMEM;
    m->gru = mimic_calloc(1, sizeof *m->gru, "model GRU");
    if (!m->gru) goto fail;
    m->gru->In = cfg->obs_dim;
    m->gru->H = cfg->gru_hidden;
    mimic_rnn_params_point(&m->gru->p, m->params, 3, cfg->obs_dim, cfg->gru_hidden);
    mimic_rnn_params_point(&m->gru->g, m->grads, 3, cfg->obs_dim, cfg->gru_hidden);
    st = gru_reserve(m->gru, max_batch);
    if (st != MIMIC_OK) goto fail;
  } else if (cfg->tf.context) {
    m->tf = mimic_calloc(1, sizeof *m->tf, "model transformer");
    if (!m->tf) goto fail;
    st = mimic_tf_create(m->tf, cfg, m->params, m->grads, max_batch);
    if (st != MIMIC_OK) goto fail;
  } else if (pt) {
    m->trunk = mimic_calloc(1, sizeof *m->trunk, "model trunk");
    if (!m->trunk) goto fail;
    st = mimic_cnn_create(m->trunk, &cc, max_batch, m->params, m->grads);
    if (st != MIMIC_OK) goto fail;
  }
  st = mimic_mlp_create(&m->actor, as, na, cfg->activation, max_batch, m->params + pt,
                        m->grads + pt);
  if (st != MIMIC_OK) goto fail;
  if (nc) {
    st = mimic_mlp_create(&m->critic, cs, nc, cfg->critic_activation, max_batch,
                          m->params + pt + pa, m->grads + pt + pa);
    if (st != MIMIC_OK) goto fail;
  }
  if (pl) {
    m->log_std = m->params + pt + pa + pc;
    m->grad_log_std = m->grads + pt + pa + pc;
    for (int j = 0; j < cfg->act_dim; j++) m->log_std[j] = cfg->log_std_init;
  }
  st = MIMIC_ERR_NOMEM;
  m->obs_mean = mimic_calloc(3 * (size_t)cfg->obs_dim, sizeof(float), "observation statistics");
  if (!m->obs_mean) goto fail;
  m->obs_var = m->obs_mean + cfg->obs_dim;
  m->obs_scale = m->obs_var + cfg->obs_dim;
  m->metadata = mimic_strdup("{}");
  if (!m->metadata) goto fail;
  st = model_work(m, max_batch);
  if (st != MIMIC_OK) goto fail;
  return MIMIC_OK;
fail:
  mimic_model_free(m);
  return st;
}

void mimic_model_free(mimic_model *m) {
  if (m->trunk) mimic_cnn_free(m->trunk);
  free(m->trunk);
  gru_free(m->gru);
  if (m->tf) mimic_tf_free(m->tf);
  free(m->tf);
  mimic_mlp_free(&m->actor);
  mimic_mlp_free(&m->critic);
  mimic_free_aligned(m->params);
  mimic_free_aligned(m->work);
  free(m->obs_mean);
  free(m->metadata);
  memset(m, 0, sizeof *m);
}

mimic_status mimic_model_init_params(mimic_model *m, mimic_init_kind kind, mimic_rng *rng) {
  if (m->trunk) mimic_cnn_init_torch(m->trunk, rng);
  if (m->gru) { /* nn.GRU's default: every tensor U(-1/sqrt(H), 1/sqrt(H)) */
    double bound = 1.0 / sqrt((double)m->gru->H);
    size_t n = mimic_rnn_param_count(3, m->gru->In, m->gru->H);
    for (size_t k = 0; k < n; k++) m->params[k] = (float)mimic_rng_uniform(rng, -bound, bound);
  }
  if (m->tf) mimic_tf_init(m->tf, rng);
  if (kind == MIMIC_INIT_TORCH) {
    mimic_mlp_init_torch(&m->actor, rng);
    if (m->cfg.critic) mimic_mlp_init_torch(&m->critic, rng);
  } else if (kind == MIMIC_INIT_ORTHOGONAL) {
    const float g = (float)sqrt(2.0);
    MIMIC_TRY(mimic_mlp_init_orthogonal(&m->actor, rng, g, 0.01f));
    if (m->cfg.critic) MIMIC_TRY(mimic_mlp_init_orthogonal(&m->critic, rng, g, 1.0f));
  } else {
    return mimic_fail(MIMIC_ERR_INVALID, "model: unknown init kind %d", (int)kind);
  }
  if (m->log_std)
    for (int j = 0; j < m->cfg.act_dim; j++) m->log_std[j] = m->cfg.log_std_init;
  return MIMIC_OK;
}

void mimic_model_zero_grad(mimic_model *m) { memset(m->grads, 0, m->n_params * sizeof(float)); }

mimic_status mimic_model_set_obs_norm(mimic_model *m, const float *mean, const float *var,
                                      float eps, float clip) {
  if (!(eps >= 0.0f) || !isfinite(eps) || !isfinite(clip))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "model: observation eps %g and clip %g must be finite, eps >= 0", eps, clip);
  for (int k = 0; k < m->cfg.obs_dim; k++) {
    if (!isfinite(mean[k]))
      return mimic_fail(MIMIC_ERR_INVALID, "model: observation mean[%d] is not finite", k);
    if (!isfinite(var[k]) || var[k] < 0.0f || !((double)var[k] + eps > 0.0))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "model: observation var[%d] = %g must be finite and var + eps > 0", k,
                        var[k]);
  }
  for (int k = 0; k < m->cfg.obs_dim; k++) {
    m->obs_mean[k] = mean[k];
    m->obs_var[k] = var[k];
    m->obs_scale[k] = (float)(1.0 / sqrt((double)var[k] + eps));
  }
  m->obs_eps = eps;
  m->obs_clip = clip;
  m->obs_norm = true;
  return MIMIC_OK;
}

mimic_status mimic_model_set_metadata(mimic_model *m, const char *json) {
  size_t len = strlen(json);
  if (len > (16u << 20))
    return mimic_fail(MIMIC_ERR_INVALID, "model: metadata is %zu bytes; at most 16 MiB", len);
  json_error_t err;
  json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
  if (!j) return mimic_fail(MIMIC_ERR_INVALID, "model: metadata is not JSON: %s", err.text);
  bool obj = json_is_object(j), reserved = json_object_get(j, "architecture") != NULL;
  /* compact text, so a model and the same model read back from a file agree */
  char *copy = obj && !reserved ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!obj) return mimic_fail(MIMIC_ERR_INVALID, "model: metadata must be a JSON object");
  if (reserved)
    return mimic_fail(
        MIMIC_ERR_INVALID,
        "model: metadata key 'architecture' is reserved for the model's architecture");
  if (!copy) return mimic_fail_nomem("model metadata");
  free(m->metadata);
  m->metadata = copy;
  return MIMIC_OK;
}

const float *mimic_model_normalize_obs(mimic_model *m, const float *obs, int B) {
  if (!m->obs_norm) return obs;
  if (B < 1 || B > m->max_batch) {
    mimic_fail(MIMIC_ERR_INVALID, "model: batch %d is outside 1..%d", B, m->max_batch);
    return NULL;
  }
  int D = m->cfg.obs_dim;
  float clip = m->obs_clip;
  for (int i = 0; i < B; i++) {
    const float *x = obs + (size_t)i * D;
    float *y = m->obs_buf + (size_t)i * D;
    for (int k = 0; k < D; k++) {
      float v = (x[k] - m->obs_mean[k]) * m->obs_scale[k];
      if (clip > 0.0f) v = v < -clip ? -clip : v > clip ? clip : v;
      y[k] = v;
    }
  }
  return m->obs_buf;
}

static mimic_status check_batch(const mimic_model *m, int B) {
  if (B < 1 || B > m->max_batch)
    return mimic_fail(MIMIC_ERR_INVALID, "model: batch %d is outside 1..%d", B, m->max_batch);
  return MIMIC_OK;
}

mimic_status mimic_model_actor_forward(mimic_model *m, const float *x, int B) {
  if (m->gru) { /* from a zero state */
    memset(m->gru->h0, 0, (size_t)B * m->gru->H * sizeof(float));
    gru_run(m->gru, x, m->gru->h0, B, 1);
    x = m->gru->out;
  }
  if (m->trunk) {
    MIMIC_TRY(mimic_cnn_forward(m->trunk, x, B));
    x = m->trunk->out;
  }
  if (m->tf) { /* each row a window of its own */
    MIMIC_TRY(mimic_tf_forward(m->tf, x, B, 1));
    x = m->tf->out;
  }
  return mimic_mlp_forward(&m->actor, x, B);
}

mimic_status mimic_model_actor_backward(mimic_model *m, const float *x, const float *dout, int B) {
  if (m->gru) {
    MIMIC_TRY(mimic_mlp_backward(&m->actor, m->gru->out, dout, B, m->gru->dout));
    gru_back(m->gru, x, m->gru->h0, B, 1);
    return MIMIC_OK;
  }
  if (m->tf) {
    MIMIC_TRY(mimic_mlp_backward(&m->actor, m->tf->out, dout, B, m->tf->dout));
    mimic_tf_backward(m->tf, x);
    return MIMIC_OK;
  }
  if (!m->trunk) return mimic_mlp_backward(&m->actor, x, dout, B, NULL);
  MIMIC_TRY(mimic_mlp_backward(&m->actor, m->trunk->out, dout, B, m->trunk->d1));
  return mimic_cnn_backward(m->trunk, m->trunk->d1, B, NULL);
}

static double bc_l2(mimic_model *m, float l2_weight);

mimic_status mimic_model_step(mimic_model *m, const float *obs, float *h, int B) {
  if (!m->gru) return mimic_fail(MIMIC_ERR_INVALID, "model: it has no recurrent state");
  MIMIC_TRY(check_batch(m, B));
  const float *x = mimic_model_normalize_obs(m, obs, B);
  if (!x) return mimic_errcode();
  gru_run(m->gru, x, h, B, 1);
  memcpy(h, m->gru->out, (size_t)B * m->gru->H * sizeof(float));
  return mimic_mlp_forward(&m->actor, m->gru->out, B);
}

/* Categorical BC of a transformer model over B windows of T normalised
 * observations x (see mimic_model_bc_sequences). */
static mimic_status tf_bc_sequences(mimic_model *m, const float *x, const int32_t *acts,
                                    const float *mask, double valid, int B, int T, float ent_weight,
                                    float l2_weight, mimic_bc_stats *st) {
  const int R = B * T;
  mimic_tf_trunk *t = m->tf;
  MIMIC_TRY(mimic_tf_forward(t, x, B, T));
  MIMIC_TRY(mimic_mlp_forward(&m->actor, t->out, R));
  float *w = t->dtmp; /* free until the trunk's backward pass */
  const float scale = (float)(R / valid);
  for (int i = 0; i < R; i++) w[i] = mask[i] * scale;
  MIMIC_TRY(
      mimic_bc_categorical(m->actor.out, acts, w, R, m->cfg.act_dim, ent_weight, m->dout, st));
  MIMIC_TRY(mimic_mlp_backward(&m->actor, t->out, m->dout, R, t->dout));
  mimic_tf_backward(t, x);
  mimic_bc_finish(st, bc_l2(m, l2_weight), l2_weight);
  return MIMIC_OK;
}

mimic_status mimic_model_windows(mimic_model *m, const float *obs, const int *len, int B, int T) {
  if (!m->tf) return mimic_fail(MIMIC_ERR_INVALID, "model: it is not a transformer");
  if (B < 1 || T < 1 || (long)B * T > m->max_batch)
    return mimic_fail(MIMIC_ERR_INVALID, "model: %d windows of %d steps exceed %d rows", B, T,
                      m->max_batch);
  for (int b = 0; b < B; b++)
    if (len[b] < 1 || len[b] > T)
      return mimic_fail(MIMIC_ERR_INVALID, "model: window %d holds %d of %d steps", b, len[b], T);
  const float *x = mimic_model_normalize_obs(m, obs, B * T);
  if (!x) return mimic_errcode();
  mimic_tf_trunk *t = m->tf;
  MIMIC_TRY(mimic_tf_forward(t, x, B, T));
  const size_t C = (size_t)t->C;
  for (int b = 0; b < B; b++) /* each window's last step, gathered for the actor */
    memcpy(t->dtmp + (size_t)b * C, t->out + ((size_t)b * T + len[b] - 1) * C, C * sizeof(float));
  return mimic_mlp_forward(&m->actor, t->dtmp, B);
}

mimic_status mimic_model_bc_sequences(mimic_model *m, const float *obs, const int32_t *acts,
                                      const float *mask, int B, int T, float ent_weight,
                                      float l2_weight, mimic_bc_stats *st) {
  if (!m->gru && !m->tf)
    return mimic_fail(MIMIC_ERR_INVALID, "bc: sequences need a recurrent or transformer model");
  if (B < 1 || T < 1 || (long)B * T > m->max_batch)
    return mimic_fail(MIMIC_ERR_INVALID, "model: %d sequences of %d steps exceed %d rows", B, T,
                      m->max_batch);
  const int R = B * T;
  double valid = 0;
  for (int i = 0; i < R; i++) valid += mask[i];
  if (!(valid > 0)) return mimic_fail(MIMIC_ERR_INVALID, "bc: a batch of sequences without steps");
  const float *x = mimic_model_normalize_obs(m, obs, R);
  if (!x) return mimic_errcode();
  if (m->tf) return tf_bc_sequences(m, x, acts, mask, valid, B, T, ent_weight, l2_weight, st);
  mimic_gru_trunk *g = m->gru;
  memset(g->h0, 0, (size_t)B * g->H * sizeof(float));
  gru_run(g, x, g->h0, B, T);
  MIMIC_TRY(mimic_mlp_forward(&m->actor, g->out, R));
  /* weights turn bc_categorical's means over R rows into means over the real steps */
  float *w = g->dout; /* free until the actor's backward pass */
  const float scale = (float)(R / valid);
  for (int i = 0; i < R; i++) w[i] = mask[i] * scale;
  MIMIC_TRY(
      mimic_bc_categorical(m->actor.out, acts, w, R, m->cfg.act_dim, ent_weight, m->dout, st));
  MIMIC_TRY(mimic_mlp_backward(&m->actor, g->out, m->dout, R, g->dout));
  gru_back(g, x, g->h0, B, T);
  mimic_bc_finish(st, bc_l2(m, l2_weight), l2_weight);
  return MIMIC_OK;
}

mimic_status mimic_model_forward(mimic_model *m, const float *obs, int B) {
  MIMIC_TRY(check_batch(m, B));
  const float *x = mimic_model_normalize_obs(m, obs, B);
  return x ? mimic_model_actor_forward(m, x, B) : mimic_errcode();
}

mimic_status mimic_model_value(mimic_model *m, const float *obs, int B) {
  if (!m->cfg.critic)
    return mimic_fail(MIMIC_ERR_INVALID, "model: it has no critic (value) network");
  MIMIC_TRY(check_batch(m, B));
  const float *x = mimic_model_normalize_obs(m, obs, B);
  return x ? mimic_mlp_forward(&m->critic, x, B) : mimic_errcode();
}

/* The L2 term over every parameter; without a weight the sum of squares is
 * only a diagnostic, left to whoever wants it (it costs a pass over all
 * parameters per batch). */
static double bc_l2(mimic_model *m, float l2_weight) {
  if (l2_weight == 0) return NAN;
  return mimic_l2_penalty(m->params, m->grads, m->n_params, l2_weight);
}

mimic_status mimic_model_bc_discrete(mimic_model *m, const float *obs, const int32_t *acts,
                                     const float *weight, int B, float ent_weight, float l2_weight,
                                     mimic_bc_stats *st) {
  if (m->cfg.head != MIMIC_HEAD_CATEGORICAL)
    return mimic_fail(MIMIC_ERR_INVALID, "bc: discrete actions need a categorical head, not %s",
                      mimic_head_name(m->cfg.head));
  MIMIC_TRY(check_batch(m, B));
  const float *x = mimic_model_normalize_obs(m, obs, B);
  MIMIC_TRY(mimic_model_actor_forward(m, x, B));
  MIMIC_TRY(
      mimic_bc_categorical(m->actor.out, acts, weight, B, m->cfg.act_dim, ent_weight, m->dout, st));
  MIMIC_TRY(mimic_model_actor_backward(m, x, m->dout, B));
  mimic_bc_finish(st, bc_l2(m, l2_weight), l2_weight);
  return MIMIC_OK;
}

/* mean(w_i (pred - target)^2) over the B x A values, and its gradient. */
static double weighted_mse(const float *pred, const float *target, const float *weight, int B,
                           int A, float *dpred) {
  double s = 0, n = (double)B * A;
  for (int i = 0; i < B; i++)
    for (int j = 0; j < A; j++) {
      size_t k = (size_t)i * A + j;
      double d = (double)pred[k] - target[k];
      s += weight[i] * d * d;
      dpred[k] = (float)(2.0 * weight[i] * d / n);
    }
  return s / n;
}

mimic_status mimic_model_bc_continuous(mimic_model *m, const float *obs, const float *actions,
                                       const float *weight, int B, float ent_weight,
                                       float l2_weight, mimic_bc_stats *st) {
  if (m->cfg.head == MIMIC_HEAD_CATEGORICAL)
    return mimic_fail(MIMIC_ERR_INVALID, "bc: a categorical head needs discrete actions");
  MIMIC_TRY(check_batch(m, B));
  int A = m->cfg.act_dim;
  const float *x = mimic_model_normalize_obs(m, obs, B);
  MIMIC_TRY(mimic_model_actor_forward(m, x, B));
  if (m->cfg.head == MIMIC_HEAD_GAUSSIAN) {
    mimic_bc_gaussian(m->actor.out, m->log_std, actions, weight, B, A, ent_weight, m->dout,
                      m->grad_log_std, st);
  } else {
    memset(st, 0, sizeof *st);
    st->mse = weight ? weighted_mse(m->actor.out, actions, weight, B, A, m->dout)
                     : mimic_mse(m->actor.out, actions, (size_t)B * A, m->dout);
  }
  MIMIC_TRY(mimic_model_actor_backward(m, x, m->dout, B));
  mimic_bc_finish(st, bc_l2(m, l2_weight), l2_weight);
  if (m->cfg.head == MIMIC_HEAD_REGRESSION) st->loss = st->mse + st->l2_loss;
  return MIMIC_OK;
}
