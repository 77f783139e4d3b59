/* CNN: conv2d + ReLU layers, flatten, MLP head (see cnn.h).
 *
 * Flatten costs nothing: an NCHW batch is already (N, C*H*W) row-major in
 * PyTorch's feature order, so the head reads the last conv layer's output
 * in place. Each conv layer keeps its unfolded input (col) from forward to
 * backward instead of unfolding again; the first layer's col is the big
 * one (84x84x4 at batch 32: 3.3 M floats). The first layer's input
 * gradient is skipped when the caller does not want it, which saves the
 * largest of the backward sgemms. */
#include "nn/cnn.h"
#include "core/util.h"
#include "nn/layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Fills shapes (N = 1) and the head's widths; returns 0 or -1 if invalid. */
static int plan(const mimic_cnn_config *cfg, mimic_conv2d_shape *sh, int *sizes) {
  if (cfg->n_conv < 1 || cfg->n_conv > MIMIC_CNN_MAX_CONV || cfg->n_fc < 0 ||
      cfg->n_fc > MIMIC_MLP_MAX_LAYERS)
    return -1;
  int C = cfg->in_c, H = cfg->in_h, W = cfg->in_w;
  for (int l = 0; l < cfg->n_conv; l++) {
    sh[l] = (mimic_conv2d_shape){
        1, C, H, W, cfg->out_channels[l], cfg->kernel[l], cfg->stride[l], cfg->pad[l], 0, 0};
    if (mimic_conv2d_shape_init(&sh[l])) return -1;
    C = sh[l].O;
    H = sh[l].Ho;
    W = sh[l].Wo;
  }
  sizes[0] = C * H * W;
  for (int l = 0; l < cfg->n_fc; l++) sizes[l + 1] = cfg->fc[l];
  return 0;
}

int mimic_cnn_features(const mimic_cnn_config *cfg) {
  mimic_conv2d_shape sh[MIMIC_CNN_MAX_CONV];
  int sizes[MIMIC_MLP_MAX_LAYERS + 1];
  return plan(cfg, sh, sizes) ? 0 : sizes[0];
}

size_t mimic_cnn_param_count(const mimic_cnn_config *cfg) {
  mimic_conv2d_shape sh[MIMIC_CNN_MAX_CONV];
  int sizes[MIMIC_MLP_MAX_LAYERS + 1];
  if (plan(cfg, sh, sizes)) return 0;
  size_t n = cfg->n_fc ? mimic_mlp_param_count(sizes, cfg->n_fc + 1) : 0;
  if (cfg->n_fc && !n) return 0;
  for (int l = 0; l < cfg->n_conv; l++)
    n += (size_t)sh[l].O * ((size_t)sh[l].C * sh[l].k * sh[l].k + 1);
  return n;
}

mimic_status mimic_cnn_create(mimic_cnn *m, const mimic_cnn_config *cfg, int max_batch,
                              float *params, float *grads) {
  memset(m, 0, sizeof *m);
  int sizes[MIMIC_MLP_MAX_LAYERS + 1];
  if (plan(cfg, m->conv, sizes) || !mimic_cnn_param_count(cfg))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "cnn: invalid architecture (1..%d conv layers whose kernels fit their "
                      "inputs, 0..%d Linear layers of positive width)",
                      MIMIC_CNN_MAX_CONV, MIMIC_MLP_MAX_LAYERS);
  if (max_batch < 1 || max_batch > (1 << 20))
    return mimic_fail(MIMIC_ERR_INVALID, "cnn: max batch %d is outside 1..%d", max_batch, 1 << 20);
  if (!params != !grads)
    return mimic_fail(MIMIC_ERR_INVALID, "cnn: give both params and grads, or neither");
  m->cfg = *cfg;
  m->n_params = mimic_cnn_param_count(cfg);
  size_t off = 0;
  for (int l = 0; l < cfg->n_conv; l++) {
    m->w_off[l] = off;
    off += (size_t)m->conv[l].O * m->conv[l].C * m->conv[l].k * m->conv[l].k;
    m->b_off[l] = off;
    off += (size_t)m->conv[l].O;
  }
  m->n_conv_params = off;
  if (!params) {
    params = calloc(m->n_params, sizeof(float));
    grads = calloc(m->n_params, sizeof(float));
    m->owns_params = true;
    if (!params || !grads) {
      free(params);
      free(grads);
      return mimic_fail_nomem("cnn parameters");
    }
  }
  m->params = params;
  m->grads = grads;
  m->max_batch = max_batch;
  mimic_status st = MIMIC_OK;
  if (cfg->n_fc)
    st = mimic_mlp_create(&m->head, sizes, cfg->n_fc + 1, MIMIC_ACT_RELU, max_batch, params + off,
                          grads + off);
  if (st != MIMIC_OK) {
    mimic_cnn_free(m);
    return st;
  }
  /* cache: pre, act and col per layer; tmp, d0, d1 at the largest size */
  size_t total = 0, big = 0;
  for (int l = 0; l < cfg->n_conv; l++) {
    mimic_conv2d_shape s = m->conv[l];
    s.N = max_batch;
    size_t out = (size_t)max_batch * s.O * s.Ho * s.Wo, in = (size_t)max_batch * s.C * s.H * s.W;
    size_t sc = mimic_conv2d_scratch(&s);
    total += 2 * out + sc;
    if (sc > big) big = sc;
    if (out > big) big = out;
    if (in > big) big = in;
  }
  total += 3 * big;
  m->cache = mimic_alloc_aligned(total * sizeof(float), "cnn activation cache");
  if (!m->cache) {
    mimic_cnn_free(m);
    return MIMIC_ERR_NOMEM;
  }
  float *p = m->cache;
  for (int l = 0; l < cfg->n_conv; l++) {
    mimic_conv2d_shape s = m->conv[l];
    s.N = max_batch;
    size_t out = (size_t)max_batch * s.O * s.Ho * s.Wo;
    m->pre[l] = p;
    p += out;
    m->act[l] = p;
    p += out;
    m->col[l] = p;
    p += mimic_conv2d_scratch(&s);
  }
  m->tmp = p;
  m->d0 = p + big;
  m->d1 = p + 2 * big;
  return MIMIC_OK;
}

void mimic_cnn_free(mimic_cnn *m) {
  mimic_mlp_free(&m->head);
  mimic_free_aligned(m->cache);
  if (m->owns_params) {
    free(m->params);
    free(m->grads);
  }
  memset(m, 0, sizeof *m);
}

static void fill_uniform(float *w, size_t n, double bound, mimic_rng *rng) {
  for (size_t i = 0; i < n; i++) w[i] = (float)mimic_rng_uniform(rng, -bound, bound);
}

void mimic_cnn_init_torch(mimic_cnn *m, mimic_rng *rng) {
  for (int l = 0; l < m->cfg.n_conv; l++) {
    const mimic_conv2d_shape *s = &m->conv[l];
    size_t fan_in = (size_t)s->C * s->k * s->k;
    double bound = 1.0 / sqrt((double)fan_in);
    fill_uniform(m->params + m->w_off[l], (size_t)s->O * fan_in, bound, rng);
    fill_uniform(m->params + m->b_off[l], (size_t)s->O, bound, rng);
  }
  if (m->cfg.n_fc) mimic_mlp_init_torch(&m->head, rng);
}

mimic_status mimic_cnn_forward(mimic_cnn *m, const float *x, int N) {
  if (N < 1 || N > m->max_batch)
    return mimic_fail(MIMIC_ERR_INVALID, "cnn: batch %d is outside 1..%d", N, m->max_batch);
  const float *in = x;
  for (int l = 0; l < m->cfg.n_conv; l++) {
    mimic_conv2d_shape *s = &m->conv[l];
    s->N = N;
    mimic_conv2d_forward(m->pre[l], m->col[l], m->tmp, in, m->params + m->w_off[l],
                         m->params + m->b_off[l], s);
    mimic_relu_forward(m->act[l], m->pre[l], (size_t)N * s->O * s->Ho * s->Wo);
    in = m->act[l];
  }
  m->batch = N;
  if (!m->cfg.n_fc) {
    m->out = m->act[m->cfg.n_conv - 1];
    return MIMIC_OK;
  }
  mimic_status st = mimic_mlp_forward(&m->head, in, N);
  m->out = m->head.out;
  return st;
}

mimic_status mimic_cnn_backward(mimic_cnn *m, const float *dout, int N, float *dx) {
  if (N != m->batch)
    return mimic_fail(MIMIC_ERR_INVALID, "cnn: backward of batch %d after a forward of %d", N,
                      m->batch);
  int L = m->cfg.n_conv;
  float *d = m->d0, *other = m->d1;
  const mimic_conv2d_shape *last = &m->conv[L - 1];
  if (m->cfg.n_fc)
    MIMIC_TRY(mimic_mlp_backward(&m->head, m->act[L - 1], dout, N, d));
  else
    memcpy(d, dout, (size_t)N * last->O * last->Ho * last->Wo * sizeof *d);
  for (int l = L - 1; l >= 0; l--) {
    const mimic_conv2d_shape *s = &m->conv[l];
    mimic_relu_backward(d, d, m->pre[l], (size_t)N * s->O * s->Ho * s->Wo);
    float *dinp = l ? other : dx;
    mimic_conv2d_backward(dinp, m->grads + m->w_off[l], m->grads + m->b_off[l], m->col[l], m->tmp,
                          d, m->params + m->w_off[l], s);
    other = d;
    d = dinp;
  }
  return MIMIC_OK;
}

void mimic_cnn_zero_grad(mimic_cnn *m) { memset(m->grads, 0, m->n_params * sizeof(float)); }
