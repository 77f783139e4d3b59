/* Optimizers (torch 1.13 single-tensor semantics) and gradient clipping.
 *
 * An optimizer updates a flat float array of n parameters; its state (Adam's
 * m and v, or SGD's momentum buffer) is one allocation mirroring it. A model
 * keeps actor, critic and log_std in one array, so one optimizer covers
 * them all; separately allocated blocks go through step_blocks, which lays
 * the state out block after block.
 *
 * Adam, per element, t = 1, 2, ... (bias corrections in double, as torch
 * computes them in Python, then used as float):
 *   [Adam, wd != 0]  g = g + wd * p          [AdamW]  p = p * (1 - lr * wd)
 *   m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g g
 *   p = p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * SGD: g += wd p; buf = g on the first step, else momentum buf +
 * (1 - dampening) g; g = nesterov ? g + momentum buf : buf; p -= lr g.
 *
 * The Adam loop is written with SSE intrinsics on x86-64 (4 lanes, then a
 * scalar tail doing the same operations in the same order, so every element
 * gets the same bits either way); libm's errno-setting sqrtf would keep the
 * compiler from vectorising it. */
#include "mimic/nn.h"
#include "core/util.h"
#include "nn/optim.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
#define MIMIC_HAVE_SSE 1
#endif

mimic_optim_config mimic_optim_defaults(mimic_optim_kind kind) {
  mimic_optim_config c;
  memset(&c, 0, sizeof c);
  c.kind = kind;
  c.lr = kind == MIMIC_OPTIM_SGD ? 1e-2 : 1e-3;
  c.beta1 = 0.9;
  c.beta2 = 0.999;
  c.eps = 1e-8;
  c.weight_decay = kind == MIMIC_OPTIM_ADAMW ? 1e-2 : 0.0;
  return c;
}

mimic_status mimic_optim_check(const mimic_optim_config *c) {
  if (c->kind != MIMIC_OPTIM_ADAM && c->kind != MIMIC_OPTIM_ADAMW && c->kind != MIMIC_OPTIM_SGD)
    return mimic_fail(MIMIC_ERR_INVALID, "optimizer: unknown kind %d", (int)c->kind);
  if (!(c->lr >= 0.0) || isinf(c->lr))
    return mimic_fail(MIMIC_ERR_INVALID, "optimizer: learning rate %g must be finite and >= 0",
                      c->lr);
  if (!(c->weight_decay >= 0.0) || isinf(c->weight_decay))
    return mimic_fail(MIMIC_ERR_INVALID, "optimizer: weight_decay %g must be finite and >= 0",
                      c->weight_decay);
  if (c->kind == MIMIC_OPTIM_SGD) {
    if (!(c->momentum >= 0.0) || isinf(c->momentum))
      return mimic_fail(MIMIC_ERR_INVALID, "optimizer: momentum %g must be finite and >= 0",
                        c->momentum);
    if (!isfinite(c->dampening))
      return mimic_fail(MIMIC_ERR_INVALID, "optimizer: dampening %g must be finite", c->dampening);
    if (c->nesterov && (c->momentum <= 0.0 || c->dampening != 0.0))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "optimizer: nesterov momentum needs momentum > 0 and dampening 0");
    return MIMIC_OK;
  }
  if (!(c->beta1 >= 0.0 && c->beta1 < 1.0))
    return mimic_fail(MIMIC_ERR_INVALID, "optimizer: beta1 %g must be in [0, 1)", c->beta1);
  if (!(c->beta2 >= 0.0 && c->beta2 < 1.0))
    return mimic_fail(MIMIC_ERR_INVALID, "optimizer: beta2 %g must be in [0, 1)", c->beta2);
  if (!(c->eps >= 0.0) || isinf(c->eps))
    return mimic_fail(MIMIC_ERR_INVALID, "optimizer: eps %g must be finite and >= 0", c->eps);
  return MIMIC_OK;
}

mimic_status mimic_optim_create(mimic_optim *o, const mimic_optim_config *cfg, size_t n) {
  memset(o, 0, sizeof *o);
  MIMIC_TRY(mimic_optim_check(cfg));
  if (n > SIZE_MAX / (2 * sizeof(float)))
    return mimic_fail(MIMIC_ERR_NOMEM, "optimizer: %zu parameters is too many", n);
  o->cfg = *cfg;
  o->n = n;
  o->m = mimic_alloc_aligned(2 * n * sizeof(float), "optimizer state");
  if (!o->m) return MIMIC_ERR_NOMEM;
  o->v = o->m + n;
  mimic_optim_reset(o);
  return MIMIC_OK;
}

void mimic_optim_free(mimic_optim *o) {
  mimic_free_aligned(o->m);
  memset(o, 0, sizeof *o);
}

void mimic_optim_reset(mimic_optim *o) {
  if (o->m) memset(o->m, 0, 2 * o->n * sizeof(float));
  o->t = 0;
}

/* The per-step scalars of Adam, all as float. */
typedef struct adam_k {
  float b1, omb1, b2, omb2, bc2s, eps, step, wd, decay;
  bool coupled;
} adam_k;

static void adam_block(const adam_k *k, float *p, const float *g, float *m, float *v, size_t n) {
  size_t i = 0;
#ifdef MIMIC_HAVE_SSE
  /* 4 lanes; identical operation order to the scalar tail below */
  const __m128 b1 = _mm_set1_ps(k->b1), omb1 = _mm_set1_ps(k->omb1), b2 = _mm_set1_ps(k->b2),
               omb2 = _mm_set1_ps(k->omb2), bc2s = _mm_set1_ps(k->bc2s), eps = _mm_set1_ps(k->eps),
               step = _mm_set1_ps(k->step), wd = _mm_set1_ps(k->wd), decay = _mm_set1_ps(k->decay);
  const bool coupled = k->coupled, decoupled = k->decay != 1.0f;
  for (; i + 4 <= n; i += 4) {
    __m128 pp = _mm_loadu_ps(p + i), gg = _mm_loadu_ps(g + i);
    if (coupled) gg = _mm_add_ps(gg, _mm_mul_ps(wd, pp));
    if (decoupled) pp = _mm_mul_ps(pp, decay);
    __m128 mm = _mm_add_ps(_mm_mul_ps(b1, _mm_loadu_ps(m + i)), _mm_mul_ps(omb1, gg));
    __m128 vv =
        _mm_add_ps(_mm_mul_ps(b2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(omb2, gg), gg));
    __m128 den = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vv), bc2s), eps);
    pp = _mm_sub_ps(pp, _mm_mul_ps(step, _mm_div_ps(mm, den)));
    _mm_storeu_ps(m + i, mm);
    _mm_storeu_ps(v + i, vv);
    _mm_storeu_ps(p + i, pp);
  }
#endif
  for (; i < n; i++) {
    float pp = p[i], gg = g[i];
    if (k->coupled) gg = gg + k->wd * pp;
    if (k->decay != 1.0) pp = pp * k->decay;
    float mm = k->b1 * m[i] + k->omb1 * gg;
    float vv = k->b2 * v[i] + (k->omb2 * gg) * gg;
    float den = sqrtf(vv) / k->bc2s + k->eps;
    p[i] = pp - k->step * (mm / den);
    m[i] = mm;
    v[i] = vv;
  }
}

static void sgd_block(const mimic_optim_config *c, bool first, float *p, const float *g, float *buf,
                      size_t n) {
  float lr = c->lr, wd = c->weight_decay, mom = c->momentum, damp = 1.0f - c->dampening;
  for (size_t i = 0; i < n; i++) {
    float d = g[i];
    if (wd != 0.0) d = d + wd * p[i];
    if (mom != 0.0) {
      float b = first ? d : mom * buf[i] + damp * d;
      buf[i] = b;
      d = c->nesterov ? d + mom * b : b;
    }
    p[i] = p[i] - lr * d;
  }
}

void mimic_optim_step_blocks(mimic_optim *o, float *const *params, const float *const *grads,
                             const size_t *lens, int n_blocks) {
  const mimic_optim_config *c = &o->cfg;
  o->t++;
  adam_k k = {0};
  if (c->kind != MIMIC_OPTIM_SGD) {
    double bc1 = 1.0 - pow(c->beta1, (double)o->t);
    double bc2 = 1.0 - pow(c->beta2, (double)o->t);
    k.b1 = (float)c->beta1;
    k.omb1 = (float)(1.0 - c->beta1);
    k.b2 = (float)c->beta2;
    k.omb2 = (float)(1.0 - c->beta2);
    k.bc2s = (float)sqrt(bc2); /* divided by, as torch does (not a reciprocal) */
    k.eps = (float)c->eps;
    k.step = (float)(c->lr / bc1);
    k.wd = (float)c->weight_decay;
    k.coupled = c->kind == MIMIC_OPTIM_ADAM && c->weight_decay != 0.0;
    k.decay = c->kind == MIMIC_OPTIM_ADAMW ? (float)(1.0 - c->lr * c->weight_decay) : 1.0f;
  }
  size_t off = 0;
  for (int b = 0; b < n_blocks; b++) {
    if (c->kind == MIMIC_OPTIM_SGD)
      sgd_block(c, o->t == 1, params[b], grads[b], o->m + off, lens[b]);
    else
      adam_block(&k, params[b], grads[b], o->m + off, o->v + off, lens[b]);
    off += lens[b];
  }
}

void mimic_optim_step(mimic_optim *o, float *params, const float *grads) {
  mimic_optim_step_blocks(o, &params, &grads, &o->n, 1);
}

/* ---- clipping ------------------------------------------------------------ */

double mimic_grad_norm(const float *grads, size_t n) {
  double s = 0;
  for (size_t k = 0; k < n; k++) s += (double)grads[k] * grads[k];
  return sqrt(s);
}

double mimic_clip_grad_norm_blocks(float *const *grads, const size_t *lens, int n_blocks,
                                   float max_norm) {
  double s = 0;
  for (int b = 0; b < n_blocks; b++)
    for (size_t k = 0; k < lens[b]; k++) s += (double)grads[b][k] * grads[b][k];
  double total = sqrt(s);
  double coef = (double)max_norm / (total + 1e-6);
  if (!(coef >= 1.0)) { /* torch multiplies by min(coef, 1); NaN spreads as in torch */
    float f = (float)coef;
    for (int b = 0; b < n_blocks; b++)
      for (size_t k = 0; k < lens[b]; k++) grads[b][k] *= f;
  }
  return total;
}

double mimic_clip_grad_norm(float *grads, size_t n, float max_norm) {
  return mimic_clip_grad_norm_blocks(&grads, &n, 1, max_norm);
}
