/* The transformer trunk of a model (tf_trunk.h), built from gpt.c's
 * blocks. Its caches are sized by tokens, not by windows, so one model
 * serves training (B windows of K) and acting (one window per environment,
 * as long as its episode so far, up to K): a block's activations are
 * pointed afresh for each call's (B, T), within room for R tokens and an
 * attention matrix of R * K entries per head. */
#include "nn/tf_trunk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "nn/layers.h"

size_t mimic_tf_param_count(const mimic_model_config *cfg) {
  const mimic_tf_config *c = &cfg->tf;
  if (c->context <= 0) return 0;
  size_t C = (size_t)c->embd;
  return C * (size_t)cfg->obs_dim + C + (size_t)c->context * C +
         (size_t)c->layers * mimic_block_param_count(c->embd) + 2 * C;
}

static void point(float *base, float **w_in, float **b_in, float **wpe, mimic_block_params *blk,
                  float **lnfw, float **lnfb, int D, int K, int L, int C) {
  size_t c = (size_t)C;
  *w_in = base, base += c * D;
  *b_in = base, base += c;
  *wpe = base, base += (size_t)K * c;
  for (int l = 0; l < L; l++) {
    mimic_block_params_point(&blk[l], base, C);
    base += mimic_block_param_count(C);
  }
  *lnfw = base;
  *lnfb = base + c;
}

/* Floats of one block's activations for rows tokens (any B*T <= rows, T <= K). */
static size_t block_room(const mimic_tf_trunk *t, int rows) {
  mimic_block_shape s = {rows, 1, t->C, t->NH, 1e-5f};
  return mimic_block_act_count(&s) + (size_t)rows * t->NH * t->K +
         mimic_attention_scratch_count(t->K, t->C, t->NH);
}

mimic_status mimic_tf_reserve(mimic_tf_trunk *t, int rows) {
  size_t R = (size_t)rows, C = (size_t)t->C;
  mimic_block_shape s = {rows, 1, t->C, t->NH, 1e-5f};
  size_t n = R * C * 5 + 2 * R + block_room(t, rows) * t->L + mimic_block_scratch_count(&s) +
             mimic_attention_scratch_count(t->K, t->C, t->NH);
  float *c = mimic_alloc_aligned(n * sizeof(float), "transformer caches");
  if (!c) return MIMIC_ERR_NOMEM;
  memset(c, 0, n * sizeof(float));
  mimic_free_aligned(t->cache);
  t->cache = c;
  t->x0 = c, c += R * C;
  t->lnf = c, c += R * C;
  t->lnf_mean = c, c += R;
  t->lnf_rstd = c, c += R;
  t->dres = c, c += R * C;
  t->dtmp = c, c += R * C;
  t->dout = c, c += R * C;
  t->blocks = c, c += block_room(t, rows) * t->L;
  t->scratch = c;
  t->out = t->lnf;
  t->max_rows = rows;
  return MIMIC_OK;
}

mimic_status mimic_tf_create(mimic_tf_trunk *t, const mimic_model_config *cfg, float *params,
                             float *grads, int rows) {
  memset(t, 0, sizeof *t);
  const mimic_tf_config *c = &cfg->tf;
  t->D = cfg->obs_dim, t->K = c->context, t->L = c->layers, t->NH = c->heads, t->C = c->embd;
  t->params = params;
  t->grads = grads;
  point(params, &t->w_in, &t->b_in, &t->wpe, t->p, &t->lnfw, &t->lnfb, t->D, t->K, t->L, t->C);
  float *d[5];
  point(grads, &d[0], &d[1], &d[2], t->g, &d[3], &d[4], t->D, t->K, t->L, t->C);
  return mimic_tf_reserve(t, rows);
}

void mimic_tf_free(mimic_tf_trunk *t) {
  mimic_free_aligned(t->cache);
  t->cache = NULL;
}

void mimic_tf_init(mimic_tf_trunk *t, mimic_rng *rng) {
  size_t C = (size_t)t->C;
  mimic_fill_normal(t->w_in, C * t->D, 0.02, rng);
  memset(t->b_in, 0, C * sizeof(float));
  mimic_fill_normal(t->wpe, (size_t)t->K * C, 0.02, rng);
  for (int l = 0; l < t->L; l++) mimic_block_init(&t->p[l], t->C, t->L, rng);
  for (size_t i = 0; i < C; i++) t->lnfw[i] = 1.0f, t->lnfb[i] = 0.0f;
}

mimic_status mimic_tf_forward(mimic_tf_trunk *t, const float *x, int B, int T) {
  if (B < 1 || T < 1 || T > t->K || (long)B * T > t->max_rows)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "transformer: %d windows of %d observations exceed its context %d or "
                      "its %d rows",
                      B, T, t->K, t->max_rows);
  const int C = t->C, R = B * T;
  t->B = B, t->T = T;
  mimic_linear_forward(t->x0, x, t->w_in, t->b_in, R, t->D, C);
  for (int i = 0; i < R; i++) {
    float *row = t->x0 + (size_t)i * C;
    const float *pe = t->wpe + (size_t)(i % T) * C;
    for (int k = 0; k < C; k++) row[k] += pe[k];
  }
  mimic_block_shape s = {B, T, C, t->NH, 1e-5f};
  const float *in = t->x0;
  size_t room = block_room(t, t->max_rows);
  for (int l = 0; l < t->L; l++) {
    mimic_block_acts_point(&t->acts[l], t->blocks + room * l, &s);
    mimic_block_forward(&t->p[l], &t->acts[l], in, &s);
    in = t->acts[l].out;
  }
  mimic_layernorm_forward(t->lnf, t->lnf_mean, t->lnf_rstd, in, t->lnfw, t->lnfb, R, C, 1e-5f);
  return MIMIC_OK;
}

void mimic_tf_backward(mimic_tf_trunk *t, const float *x) {
  const int B = t->B, T = t->T, C = t->C, R = B * T, L = t->L;
  float *dw_in, *db_in, *dwpe, *dlnfw, *dlnfb;
  mimic_block_params dummy[MIMIC_GPT_MAX_LAYERS];
  point(t->grads, &dw_in, &db_in, &dwpe, dummy, &dlnfw, &dlnfb, t->D, t->K, t->L, t->C);
  mimic_layernorm_backward(t->dres, dlnfw, dlnfb, t->dout, t->acts[L - 1].out, t->lnfw, t->lnf_mean,
                           t->lnf_rstd, R, C);
  mimic_block_shape s = {B, T, C, t->NH, 1e-5f};
  for (int l = L - 1; l >= 0; l--) {
    const float *in = l ? t->acts[l - 1].out : t->x0;
    mimic_block_backward(t->dres, &t->g[l], &t->p[l], &t->acts[l], in, t->dres, t->scratch, &s);
  }
  for (int i = 0; i < R; i++) {
    const float *d = t->dres + (size_t)i * C;
    float *pe = dwpe + (size_t)(i % T) * C;
    for (int k = 0; k < C; k++) pe[k] += d[k];
  }
  mimic_linear_backward(NULL, dw_in, db_in, t->dres, x, t->w_in, R, t->D, C);
}
