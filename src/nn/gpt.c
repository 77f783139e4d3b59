/* The pre-LayerNorm GPT-2 block and a small GPT (nanoGPT's Block and GPT,
 * without dropout), llm.c's layout: every parameter in one allocation with
 * structs of pointers into it, gradients mirroring it, every activation the
 * backward pass needs in a second allocation sized once for the largest
 * batch, so a training step allocates nothing.
 *
 * Block: x1 = x + c_proj(Attn(c_attn(LN_1(x)))), out = x1 +
 * mlp.c_proj(gelu_tanh(mlp.c_fc(LN_2(x1)))). The residual adds each
 * branch's input gradient to the gradient passing straight through. */
#include "nn/layers.h"
#include "nn/transformer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- block ------------------------------------------------------------------ */

size_t mimic_block_param_count(int C) { return 12 * (size_t)C * C + 13 * (size_t)C; }

void mimic_block_params_point(mimic_block_params *p, float *base, int C) {
  size_t c = (size_t)C;
  float **slots[12] = {&p->ln1w, &p->ln1b, &p->qkvw, &p->qkvb, &p->attprojw, &p->attprojb,
                       &p->ln2w, &p->ln2b, &p->fcw,  &p->fcb,  &p->fcprojw,  &p->fcprojb};
  size_t sizes[12] = {c, c, 3 * c * c, 3 * c, c * c, c, c, c, 4 * c * c, 4 * c, 4 * c * c, c};
  for (int i = 0; i < 12; i++) {
    *slots[i] = base;
    base += sizes[i];
  }
}

size_t mimic_block_act_count(const mimic_block_shape *s) {
  size_t bt = (size_t)s->B * s->T, c = (size_t)s->C;
  return bt * c * 5 + bt * 4 + bt * 3 * c + (size_t)s->B * s->NH * s->T * s->T + bt * 8 * c +
         mimic_attention_scratch_count(s->T, s->C, s->NH);
}

void mimic_block_acts_point(mimic_block_acts *a, float *base, const mimic_block_shape *s) {
  size_t bt = (size_t)s->B * s->T, c = (size_t)s->C;
  float **slots[14] = {&a->ln1,  &a->ln1_mean, &a->ln1_rstd, &a->qkv,        &a->att,
                       &a->atty, &a->x1,       &a->ln2,      &a->ln2_mean,   &a->ln2_rstd,
                       &a->fch,  &a->fch_gelu, &a->out,      &a->att_scratch};
  size_t sizes[14] = {bt * c,
                      bt,
                      bt,
                      bt * 3 * c,
                      (size_t)s->B * s->NH * s->T * s->T,
                      bt * c,
                      bt * c,
                      bt * c,
                      bt,
                      bt,
                      bt * 4 * c,
                      bt * 4 * c,
                      bt * c,
                      mimic_attention_scratch_count(s->T, s->C, s->NH)};
  for (int i = 0; i < 14; i++) {
    *slots[i] = base;
    base += sizes[i];
  }
}

size_t mimic_block_scratch_count(const mimic_block_shape *s) {
  size_t bt = (size_t)s->B * s->T, c = (size_t)s->C;
  return bt * 8 * c + bt * 3 * c + bt * 3 * c + mimic_attention_scratch_count(s->T, s->C, s->NH);
}

void mimic_block_forward(const mimic_block_params *p, mimic_block_acts *a, const float *x,
                         const mimic_block_shape *s) {
  const int BT = s->B * s->T, C = s->C;
  const size_t n = (size_t)BT * C;
  mimic_layernorm_forward(a->ln1, a->ln1_mean, a->ln1_rstd, x, p->ln1w, p->ln1b, BT, C, s->eps);
  mimic_linear_forward(a->qkv, a->ln1, p->qkvw, p->qkvb, BT, C, 3 * C);
  mimic_attention_forward(a->atty, a->att, a->att_scratch, a->qkv, s->B, s->T, C, s->NH);
  mimic_linear_forward(a->x1, a->atty, p->attprojw, p->attprojb, BT, C, C);
  for (size_t i = 0; i < n; i++) a->x1[i] += x[i];
  mimic_layernorm_forward(a->ln2, a->ln2_mean, a->ln2_rstd, a->x1, p->ln2w, p->ln2b, BT, C, s->eps);
  mimic_linear_forward(a->fch, a->ln2, p->fcw, p->fcb, BT, C, 4 * C);
  mimic_gelu_forward(a->fch_gelu, a->fch, (size_t)BT * 4 * C, MIMIC_GELU_TANH);
  mimic_linear_forward(a->out, a->fch_gelu, p->fcprojw, p->fcprojb, BT, 4 * C, C);
  for (size_t i = 0; i < n; i++) a->out[i] += a->x1[i];
}

void mimic_block_backward(float *dx, const mimic_block_params *g, const mimic_block_params *p,
                          const mimic_block_acts *a, const float *x, const float *dout,
                          float *scratch, const mimic_block_shape *s) {
  const int BT = s->B * s->T, C = s->C;
  const size_t n = (size_t)BT * C, n4 = n * 4;
  float *dfchg = scratch, *dfch = dfchg + n4, *dqkv = dfch + n4, *dx1 = dqkv + 3 * n;
  float *dt1 = dx1 + n, *dt2 = dt1 + n, *datt = dt2 + n;
  memcpy(dx1, dout, n * sizeof *dx1);
  // MLP branch
  mimic_linear_backward(dfchg, g->fcprojw, g->fcprojb, dout, a->fch_gelu, p->fcprojw, BT, 4 * C, C);
  mimic_gelu_backward(dfch, dfchg, a->fch, n4, MIMIC_GELU_TANH);
  mimic_linear_backward(dt1, g->fcw, g->fcb, dfch, a->ln2, p->fcw, BT, C, 4 * C);
  mimic_layernorm_backward(dt2, g->ln2w, g->ln2b, dt1, a->x1, p->ln2w, a->ln2_mean, a->ln2_rstd, BT,
                           C);
  for (size_t i = 0; i < n; i++) dx1[i] += dt2[i];
  // attention branch
  mimic_linear_backward(dt1, g->attprojw, g->attprojb, dx1, a->atty, p->attprojw, BT, C, C);
  mimic_attention_backward(dqkv, datt, dt1, a->qkv, a->att, s->B, s->T, C, s->NH);
  mimic_linear_backward(dt1, g->qkvw, g->qkvb, dqkv, a->ln1, p->qkvw, BT, C, 3 * C);
  mimic_layernorm_backward(dt2, g->ln1w, g->ln1b, dt1, x, p->ln1w, a->ln1_mean, a->ln1_rstd, BT, C);
  for (size_t i = 0; i < n; i++) dx[i] = dx1[i] + dt2[i];
}

/* ---- GPT ----------------------------------------------------------------------- */

static size_t gpt_param_count(const mimic_gpt_config *c) {
  size_t C = (size_t)c->n_embd;
  return (size_t)c->vocab_size * C * 2 + (size_t)c->block_size * C +
         (size_t)c->n_layer * mimic_block_param_count(c->n_embd) + 2 * C;
}

static void gpt_point(mimic_gpt *g, float *base, mimic_block_params *blocks, float **wte,
                      float **wpe, float **lnfw, float **lnfb, float **head) {
  const mimic_gpt_config *c = &g->cfg;
  size_t C = (size_t)c->n_embd;
  *wte = base;
  base += (size_t)c->vocab_size * C;
  *wpe = base;
  base += (size_t)c->block_size * C;
  for (int l = 0; l < c->n_layer; l++) {
    mimic_block_params_point(&blocks[l], base, c->n_embd);
    base += mimic_block_param_count(c->n_embd);
  }
  *lnfw = base;
  *lnfb = base + C;
  *head = base + 2 * C;
}

mimic_status mimic_gpt_create(mimic_gpt *g, const mimic_gpt_config *cfg, int max_B, int max_T) {
  memset(g, 0, sizeof *g);
  if (cfg->vocab_size < 1 || cfg->block_size < 1 || cfg->n_layer < 1 || cfg->n_head < 1 ||
      cfg->n_embd < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "gpt: vocab_size, block_size, n_layer, n_head and n_embd "
                                         "must all be positive");
  if (cfg->n_layer > MIMIC_GPT_MAX_LAYERS)
    return mimic_fail(MIMIC_ERR_INVALID, "gpt: n_layer %d is above the limit of %d", cfg->n_layer,
                      MIMIC_GPT_MAX_LAYERS);
  if (cfg->n_embd % cfg->n_head)
    return mimic_fail(MIMIC_ERR_INVALID, "gpt: n_embd %d is not a multiple of n_head %d",
                      cfg->n_embd, cfg->n_head);
  if (max_B < 1 || max_T < 1 || max_T > cfg->block_size)
    return mimic_fail(MIMIC_ERR_INVALID, "gpt: cache for %d x %d positions (block_size %d)", max_B,
                      max_T, cfg->block_size);
  g->cfg = *cfg;
  g->max_B = max_B;
  g->max_T = max_T;
  g->n_params = gpt_param_count(cfg);
  g->params = calloc(g->n_params, sizeof(float));
  g->grads = calloc(g->n_params, sizeof(float));
  mimic_block_shape s = {max_B, max_T, cfg->n_embd, cfg->n_head, 1e-5f};
  size_t bt = (size_t)max_B * max_T, C = (size_t)cfg->n_embd, V = (size_t)cfg->vocab_size;
  size_t per_block = mimic_block_act_count(&s);
  size_t n_acts = bt * C + per_block * cfg->n_layer + bt * C + 2 * bt + 2 * bt * V +
                  mimic_block_scratch_count(&s) + 2 * bt * C;
  g->acts = malloc(n_acts * sizeof(float));
  g->idx = malloc(bt * sizeof(int32_t));
  if (!g->params || !g->grads || !g->acts || !g->idx) {
    mimic_gpt_free(g);
    return mimic_fail_nomem("gpt parameters and activations");
  }
  gpt_point(g, g->params, g->blocks, &g->wte, &g->wpe, &g->lnfw, &g->lnfb, &g->lm_head);
  float *dwte, *dwpe, *dlnfw, *dlnfb, *dhead;
  gpt_point(g, g->grads, g->dblocks, &dwte, &dwpe, &dlnfw, &dlnfb, &dhead);
  float *p = g->acts;
  g->x0 = p;
  p += bt * C;
  for (int l = 0; l < cfg->n_layer; l++) {
    mimic_block_acts_point(&g->bacts[l], p, &s);
    p += per_block;
  }
  g->lnf = p;
  p += bt * C;
  g->lnf_mean = p;
  p += bt;
  g->lnf_rstd = p;
  p += bt;
  g->logits = p;
  p += bt * V;
  g->dlogits = p;
  p += bt * V;
  g->dres = p;
  p += bt * C;
  g->dtmp = p;
  p += bt * C;
  g->scratch = p;
  return MIMIC_OK;
}

void mimic_gpt_free(mimic_gpt *g) {
  free(g->params);
  free(g->grads);
  free(g->acts);
  free(g->idx);
  memset(g, 0, sizeof *g);
}

void mimic_fill_normal(float *w, size_t n, double std, mimic_rng *rng) {
  for (size_t i = 0; i < n; i++) w[i] = (float)(std * mimic_rng_normal(rng));
}

void mimic_block_init(mimic_block_params *b, int C, int n_layer, mimic_rng *rng) {
  size_t c = (size_t)C;
  double proj_std = 0.02 / sqrt(2.0 * n_layer);
  memset(b->ln1b, 0, c * sizeof(float));
  memset(b->ln2b, 0, c * sizeof(float));
  memset(b->qkvb, 0, 3 * c * sizeof(float));
  memset(b->attprojb, 0, c * sizeof(float));
  memset(b->fcb, 0, 4 * c * sizeof(float));
  memset(b->fcprojb, 0, c * sizeof(float));
  for (size_t i = 0; i < c; i++) b->ln1w[i] = b->ln2w[i] = 1.0f;
  mimic_fill_normal(b->qkvw, 3 * c * c, 0.02, rng);
  mimic_fill_normal(b->attprojw, c * c, proj_std, rng);
  mimic_fill_normal(b->fcw, 4 * c * c, 0.02, rng);
  mimic_fill_normal(b->fcprojw, 4 * c * c, proj_std, rng);
}

void mimic_gpt_init(mimic_gpt *g, mimic_rng *rng) {
  const mimic_gpt_config *c = &g->cfg;
  size_t C = (size_t)c->n_embd, V = (size_t)c->vocab_size;
  memset(g->params, 0, g->n_params * sizeof(float));
  mimic_fill_normal(g->wte, V * C, 0.02, rng);
  mimic_fill_normal(g->wpe, (size_t)c->block_size * C, 0.02, rng);
  for (int l = 0; l < c->n_layer; l++) mimic_block_init(&g->blocks[l], c->n_embd, c->n_layer, rng);
  for (size_t i = 0; i < C; i++) g->lnfw[i] = 1.0f;
  mimic_fill_normal(g->lm_head, V * C, 0.02, rng);
}

mimic_status mimic_gpt_forward(mimic_gpt *g, const int32_t *idx, int B, int T) {
  const mimic_gpt_config *c = &g->cfg;
  if (B < 1 || T < 1 || B > g->max_B || T > g->max_T)
    return mimic_fail(MIMIC_ERR_INVALID, "gpt: batch %d x %d exceeds the cache of %d x %d", B, T,
                      g->max_B, g->max_T);
  for (int i = 0; i < B * T; i++)
    if (idx[i] < 0 || idx[i] >= c->vocab_size)
      return mimic_fail(MIMIC_ERR_RANGE, "gpt: token %d at position %d is outside [0, %d)", idx[i],
                        i, c->vocab_size);
  memcpy(g->idx, idx, (size_t)B * T * sizeof *idx);
  g->B = B;
  g->T = T;
  const int C = c->n_embd, BT = B * T;
  mimic_block_shape s = {B, T, C, c->n_head, 1e-5f};
  mimic_embedding_forward(g->x0, idx, g->wte, g->wpe, B, T, C);
  const float *x = g->x0;
  for (int l = 0; l < c->n_layer; l++) {
    mimic_block_forward(&g->blocks[l], &g->bacts[l], x, &s);
    x = g->bacts[l].out;
  }
  mimic_layernorm_forward(g->lnf, g->lnf_mean, g->lnf_rstd, x, g->lnfw, g->lnfb, BT, C, 1e-5f);
  mimic_linear_forward(g->logits, g->lnf, g->lm_head, NULL, BT, C, c->vocab_size);
  return MIMIC_OK;
}

mimic_status mimic_gpt_loss(mimic_gpt *g, const int32_t *targets, double *loss) {
  const int V = g->cfg.vocab_size, BT = g->B * g->T;
  if (BT == 0) return mimic_fail(MIMIC_ERR_INVALID, "gpt: loss before a forward pass");
  for (int i = 0; i < BT; i++)
    if (targets[i] < 0 || targets[i] >= V)
      return mimic_fail(MIMIC_ERR_RANGE, "gpt: target %d at position %d is outside [0, %d)",
                        targets[i], i, V);
  double total = 0;
  const float inv = 1.0f / (float)BT;
  for (int i = 0; i < BT; i++) {
    const float *z = g->logits + (size_t)i * V;
    float *d = g->dlogits + (size_t)i * V;
    float mx = z[0];
    for (int v = 1; v < V; v++)
      if (z[v] > mx) mx = z[v];
    float sum = 0.0f;
    for (int v = 0; v < V; v++) {
      d[v] = expf(z[v] - mx);
      sum += d[v];
    }
    total += (double)logf(sum) + mx - z[targets[i]];
    float r = 1.0f / sum;
    for (int v = 0; v < V; v++) d[v] = d[v] * r * inv;
    d[targets[i]] -= inv;
  }
  *loss = total / BT;
  return MIMIC_OK;
}

void mimic_gpt_backward(mimic_gpt *g) {
  const mimic_gpt_config *c = &g->cfg;
  const int B = g->B, T = g->T, C = c->n_embd, BT = B * T, L = c->n_layer;
  mimic_block_shape s = {B, T, C, c->n_head, 1e-5f};
  float *dwte, *dwpe, *dlnfw, *dlnfb, *dhead;
  mimic_block_params dummy[MIMIC_GPT_MAX_LAYERS];
  gpt_point(g, g->grads, dummy, &dwte, &dwpe, &dlnfw, &dlnfb, &dhead);
  const float *xL = g->bacts[L - 1].out;
  mimic_linear_backward(g->dtmp, dhead, NULL, g->dlogits, g->lnf, g->lm_head, BT, C, c->vocab_size);
  mimic_layernorm_backward(g->dres, dlnfw, dlnfb, g->dtmp, xL, g->lnfw, g->lnf_mean, g->lnf_rstd,
                           BT, C);
  for (int l = L - 1; l >= 0; l--) {
    const float *x = l ? g->bacts[l - 1].out : g->x0;
    mimic_block_backward(g->dres, &g->dblocks[l], &g->blocks[l], &g->bacts[l], x, g->dres,
                         g->scratch, &s);
  }
  mimic_embedding_backward(dwte, dwpe, g->dres, g->idx, B, T, C);
}

void mimic_gpt_zero_grad(mimic_gpt *g) { memset(g->grads, 0, g->n_params * sizeof(float)); }
