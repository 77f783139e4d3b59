/* The Decision Transformer's network (dt_net.h), the llm.c way: every
 * parameter in one allocation (gradients mirror it), every activation in a
 * second one sized once for the largest batch, the GPT-2 blocks of gpt.c
 * over the 3K interleaved tokens.
 *
 * Only the state tokens feed the head (Chen et al. predict a_k from the
 * output at s_k), so the final LayerNorm's gradient is zero on the other
 * rows: the backward pass scatters the head's input gradient into a zeroed
 * (B,T,C) buffer and runs the ordinary LayerNorm backward over it. */
#include "nn/dt_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/layers.h"

static size_t dt_param_count(const mimic_dt_net_config *c) {
  size_t C = (size_t)c->n_embd, S = (size_t)c->state_dim, A = (size_t)c->act_dim;
  size_t act = c->discrete ? A * C : C * A + C;
  return 2 * C + C * S + C + act + (size_t)c->max_ep_len * C + 2 * C +
         (size_t)c->n_layer * mimic_block_param_count(c->n_embd) + 2 * C + A * C + A;
}

static void dt_point(mimic_dt_net *n) {
  const mimic_dt_net_config *c = &n->cfg;
  size_t C = (size_t)c->n_embd, S = (size_t)c->state_dim, A = (size_t)c->act_dim;
  float *p = n->params;
  n->ret_w = p, p += C;
  n->ret_b = p, p += C;
  n->st_w = p, p += C * S;
  n->st_b = p, p += C;
  n->act_w = p, p += A * C;
  n->act_b = NULL;
  if (!c->discrete) n->act_b = p, p += C;
  n->t_emb = p, p += (size_t)c->max_ep_len * C;
  n->lne_w = p, p += C;
  n->lne_b = p, p += C;
  for (int l = 0; l < c->n_layer; l++) {
    mimic_block_params_point(&n->blocks[l], p, c->n_embd);
    mimic_block_params_point(&n->dblocks[l], n->grads + (p - n->params), c->n_embd);
    p += mimic_block_param_count(c->n_embd);
  }
  n->lnf_w = p, p += C;
  n->lnf_b = p, p += C;
  n->head_w = p, p += A * C;
  n->head_b = p;
}

/* The gradient of parameter tensor p. */
static float *grad_of(const mimic_dt_net *n, const float *p) { return n->grads + (p - n->params); }

mimic_status mimic_dt_net_create(mimic_dt_net *n, const mimic_dt_net_config *cfg, int max_B) {
  memset(n, 0, sizeof *n);
  if (cfg->state_dim < 1 || cfg->act_dim < 1 || cfg->max_ep_len < 1 || cfg->context < 1 ||
      cfg->n_layer < 1 || cfg->n_head < 1 || cfg->n_embd < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: state and action sizes, "
                                         "max_ep_len, context, n_layer, n_head and n_embd must "
                                         "all be positive");
  if (cfg->n_layer > MIMIC_GPT_MAX_LAYERS)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "decision transformer: n_layer %d is above the limit of %d", cfg->n_layer,
                      MIMIC_GPT_MAX_LAYERS);
  if (cfg->n_embd % cfg->n_head)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "decision transformer: n_embd %d is not a multiple of n_head %d", cfg->n_embd,
                      cfg->n_head);
  if (max_B < 1) return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: batch %d", max_B);
  n->cfg = *cfg;
  n->max_B = max_B;
  n->n_params = dt_param_count(cfg);
  n->params = calloc(n->n_params, sizeof(float));
  n->grads = calloc(n->n_params, sizeof(float));
  const int T = 3 * cfg->context;
  mimic_block_shape s = {max_B, T, cfg->n_embd, cfg->n_head, 1e-5f};
  size_t bt = (size_t)max_B * T, bk = (size_t)max_B * cfg->context, C = (size_t)cfg->n_embd;
  size_t A = (size_t)cfg->act_dim, per_block = mimic_block_act_count(&s);
  size_t n_acts = 2 * bt * C + 2 * bt + per_block * cfg->n_layer + bt * C + 2 * bt + bk * C +
                  2 * bk * A + 2 * bk * C + 2 * bt * C + mimic_block_scratch_count(&s);
  n->acts = malloc(n_acts * sizeof(float));
  n->tidx = malloc(2 * bk * sizeof(int32_t));
  if (!n->params || !n->grads || !n->acts || !n->tidx) {
    mimic_dt_net_free(n);
    return mimic_fail_nomem("decision transformer parameters and activations");
  }
  n->aidx = n->tidx + bk;
  dt_point(n);
  float *p = n->acts;
  float **runs[] = {&n->xe, &n->x0, &n->lne_mean, &n->lne_rstd};
  size_t sizes[] = {bt * C, bt * C, bt, bt};
  for (int i = 0; i < 4; i++) *runs[i] = p, p += sizes[i];
  for (int l = 0; l < cfg->n_layer; l++) {
    mimic_block_acts_point(&n->bacts[l], p, &s);
    p += per_block;
  }
  float **runs2[] = {&n->lnf, &n->lnf_mean, &n->lnf_rstd, &n->hs,   &n->out,    &n->dout,
                     &n->tmp, &n->dtmp,     &n->dres,     &n->dbig, &n->scratch};
  size_t sizes2[] = {bt * C, bt, bt, bk * C, bk * A, bk * A, bk * C, bk * C, bt * C, bt * C, 0};
  for (int i = 0; i < 11; i++) *runs2[i] = p, p += sizes2[i];
  return MIMIC_OK;
}

void mimic_dt_net_free(mimic_dt_net *n) {
  free(n->params);
  free(n->grads);
  free(n->acts);
  free(n->tidx);
  memset(n, 0, sizeof *n);
}

void mimic_dt_net_init(mimic_dt_net *n, mimic_rng *rng) {
  const mimic_dt_net_config *c = &n->cfg;
  size_t C = (size_t)c->n_embd, S = (size_t)c->state_dim, A = (size_t)c->act_dim;
  memset(n->params, 0, n->n_params * sizeof(float));
  mimic_fill_normal(n->ret_w, C, 0.02, rng);
  mimic_fill_normal(n->st_w, C * S, 0.02, rng);
  mimic_fill_normal(n->act_w, A * C, 0.02, rng);
  mimic_fill_normal(n->t_emb, (size_t)c->max_ep_len * C, 0.02, rng);
  for (size_t i = 0; i < C; i++) n->lne_w[i] = n->lnf_w[i] = 1.0f;
  for (int l = 0; l < c->n_layer; l++) mimic_block_init(&n->blocks[l], c->n_embd, c->n_layer, rng);
  mimic_fill_normal(n->head_w, A * C, 0.02, rng);
}

mimic_status mimic_dt_net_forward(mimic_dt_net *n, const float *states, const float *actions,
                                  const float *rtg, const int32_t *timesteps, int B, int K) {
  const mimic_dt_net_config *c = &n->cfg;
  if (B < 1 || K < 1 || B > n->max_B || K > c->context)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "decision transformer: %d windows of %d steps exceed the cache of %d x %d", B,
                      K, n->max_B, c->context);
  const int C = c->n_embd, S = c->state_dim, A = c->act_dim, T = 3 * K, BK = B * K, BT = B * T;
  for (int i = 0; i < BK; i++) {
    if (timesteps[i] < 0)
      return mimic_fail(MIMIC_ERR_RANGE, "decision transformer: timestep %d at row %d",
                        timesteps[i], i);
    n->tidx[i] = timesteps[i] < c->max_ep_len ? timesteps[i] : c->max_ep_len - 1;
    if (c->discrete) {
      float a = actions[i];
      if (!(a >= 0 && a < (float)A) || a != floorf(a))
        return mimic_fail(MIMIC_ERR_RANGE,
                          "decision transformer: action %g at row %d is not an id in [0, %d)",
                          (double)a, i, A);
      n->aidx[i] = (int32_t)a;
    }
  }
  n->B = B;
  n->K = K;
  n->in_states = states;
  n->in_actions = actions;
  n->in_rtg = rtg;
  // the three tokens of every step: return, state, action, each + its timestep's row
  mimic_linear_forward(n->tmp, states, n->st_w, n->st_b, BK, S, C);
  for (int i = 0; i < BK; i++) {
    float *x = n->xe + ((size_t)(i / K) * T + 3 * (i % K)) * C;
    const float *te = n->t_emb + (size_t)n->tidx[i] * C, *se = n->tmp + (size_t)i * C;
    for (int k = 0; k < C; k++) {
      x[k] = n->ret_w[k] * rtg[i] + n->ret_b[k] + te[k];
      x[C + k] = se[k] + te[k];
    }
  }
  if (!c->discrete) mimic_linear_forward(n->tmp, actions, n->act_w, n->act_b, BK, A, C);
  for (int i = 0; i < BK; i++) {
    float *x = n->xe + ((size_t)(i / K) * T + 3 * (i % K) + 2) * C;
    const float *te = n->t_emb + (size_t)n->tidx[i] * C;
    const float *ae = c->discrete ? n->act_w + (size_t)n->aidx[i] * C : n->tmp + (size_t)i * C;
    for (int k = 0; k < C; k++) x[k] = ae[k] + te[k];
  }
  mimic_layernorm_forward(n->x0, n->lne_mean, n->lne_rstd, n->xe, n->lne_w, n->lne_b, BT, C, 1e-5f);
  mimic_block_shape s = {B, T, C, c->n_head, 1e-5f};
  const float *x = n->x0;
  for (int l = 0; l < c->n_layer; l++) {
    mimic_block_forward(&n->blocks[l], &n->bacts[l], x, &s);
    x = n->bacts[l].out;
  }
  mimic_layernorm_forward(n->lnf, n->lnf_mean, n->lnf_rstd, x, n->lnf_w, n->lnf_b, BT, C, 1e-5f);
  for (int i = 0; i < BK; i++)
    memcpy(n->hs + (size_t)i * C, n->lnf + ((size_t)(i / K) * T + 3 * (i % K) + 1) * C,
           (size_t)C * sizeof(float));
  mimic_linear_forward(n->out, n->hs, n->head_w, n->head_b, BK, C, A);
  if (!c->discrete) mimic_tanh_forward(n->out, n->out, (size_t)BK * A);
  return MIMIC_OK;
}

void mimic_dt_net_backward(mimic_dt_net *n) {
  const mimic_dt_net_config *c = &n->cfg;
  const int B = n->B, K = n->K, C = c->n_embd, S = c->state_dim, A = c->act_dim, T = 3 * K;
  const int BK = B * K, BT = B * T, L = c->n_layer;
  if (!c->discrete) mimic_tanh_backward(n->dout, n->dout, n->out, (size_t)BK * A);
  mimic_linear_backward(n->dtmp, grad_of(n, n->head_w), grad_of(n, n->head_b), n->dout, n->hs,
                        n->head_w, BK, C, A);
  memset(n->dbig, 0, (size_t)BT * C * sizeof(float));
  for (int i = 0; i < BK; i++)
    memcpy(n->dbig + ((size_t)(i / K) * T + 3 * (i % K) + 1) * C, n->dtmp + (size_t)i * C,
           (size_t)C * sizeof(float));
  mimic_layernorm_backward(n->dres, grad_of(n, n->lnf_w), grad_of(n, n->lnf_b), n->dbig,
                           n->bacts[L - 1].out, n->lnf_w, n->lnf_mean, n->lnf_rstd, BT, C);
  mimic_block_shape s = {B, T, C, c->n_head, 1e-5f};
  for (int l = L - 1; l >= 0; l--) {
    const float *x = l ? n->bacts[l - 1].out : n->x0;
    mimic_block_backward(n->dres, &n->dblocks[l], &n->blocks[l], &n->bacts[l], x, n->dres,
                         n->scratch, &s);
  }
  mimic_layernorm_backward(n->dbig, grad_of(n, n->lne_w), grad_of(n, n->lne_b), n->dres, n->xe,
                           n->lne_w, n->lne_mean, n->lne_rstd, BT, C);
  float *dret_w = grad_of(n, n->ret_w), *dret_b = grad_of(n, n->ret_b);
  float *dte_all = grad_of(n, n->t_emb), *dact = grad_of(n, n->act_w);
  for (int i = 0; i < BK; i++) {
    const float *r0 = n->dbig + ((size_t)(i / K) * T + 3 * (i % K)) * C, *r1 = r0 + C, *r2 = r1 + C;
    float *dte = dte_all + (size_t)n->tidx[i] * C, rt = n->in_rtg[i];
    float *ds = n->tmp + (size_t)i * C, *da = n->dtmp + (size_t)i * C;
    float *dtab = c->discrete ? dact + (size_t)n->aidx[i] * C : NULL;
    for (int k = 0; k < C; k++) {
      dret_w[k] += r0[k] * rt;
      dret_b[k] += r0[k];
      dte[k] += r0[k] + r1[k] + r2[k];
      ds[k] = r1[k];
      if (dtab)
        dtab[k] += r2[k];
      else
        da[k] = r2[k];
    }
  }
  mimic_linear_backward(NULL, grad_of(n, n->st_w), grad_of(n, n->st_b), n->tmp, n->in_states,
                        n->st_w, BK, S, C);
  if (!c->discrete)
    mimic_linear_backward(NULL, dact, grad_of(n, n->act_b), n->dtmp, n->in_actions, n->act_w, BK, A,
                          C);
}

void mimic_dt_net_zero_grad(mimic_dt_net *n) { memset(n->grads, 0, n->n_params * sizeof(float)); }
