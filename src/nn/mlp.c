/* MLP: Linear, act, Linear, act, ..., Linear, as in llm.c.
 *
 * Parameters are one float array laid out layer by layer (W_l then b_l,
 * PyTorch layout), so saving, zeroing, clipping and the optimizer step are
 * single loops; the MLP either owns that array or views a slice of a bigger
 * one (a model holding actor, critic and log_std together). Gradients
 * mirror the parameters and are accumulated.
 *
 * The activation cache is one aligned allocation made at setup for
 * max_batch rows: per hidden layer the pre-activation z and the activation
 * h (z is kept for ReLU's mask and for inspection), the output, and two
 * ping-pong buffers for the backward pass. A forward with B rows uses the
 * first B rows of each slice, so forward and backward never allocate.
 * The price is that one MLP runs one batch at a time: two threads need two
 * MLP structs (they may view the same parameters). */
#include "mimic/nn.h"
#include "core/util.h"
#include "nn/layers.h"

#include <string.h>

size_t mimic_mlp_param_count(const int *sizes, int n_sizes) {
  if (!sizes || n_sizes < 2 || n_sizes > MIMIC_MLP_MAX_LAYERS + 1) return 0;
  size_t n = 0;
  for (int l = 0; l < n_sizes; l++)
    if (sizes[l] < 1 || sizes[l] > MIMIC_MLP_MAX_WIDTH) return 0;
  for (int l = 0; l + 1 < n_sizes; l++) n += (size_t)sizes[l + 1] * ((size_t)sizes[l] + 1);
  return n;
}

static int max_width(const mimic_mlp *m) {
  int w = 0;
  for (int l = 0; l <= m->n_layers; l++)
    if (m->sizes[l] > w) w = m->sizes[l];
  return w;
}

mimic_status mimic_mlp_reserve(mimic_mlp *m, int max_batch) {
  if (max_batch < 1 || max_batch > (1 << 24))
    return mimic_fail(MIMIC_ERR_INVALID, "mlp: max batch %d is outside 1..%d", max_batch, 1 << 24);
  int L = m->n_layers;
  size_t rows = (size_t)max_batch, total = 0;
  for (int l = 0; l + 1 < L; l++) total += 2 * rows * (size_t)m->sizes[l + 1];
  total += rows * (size_t)m->sizes[L];
  total += 2 * rows * (size_t)max_width(m);
  if (total > SIZE_MAX / sizeof(float) / 2)
    return mimic_fail(MIMIC_ERR_NOMEM, "mlp: activation cache for %d rows is too large", max_batch);
  float *cache = mimic_alloc_aligned(total * sizeof(float), "mlp activation cache");
  if (!cache) return MIMIC_ERR_NOMEM;
  memset(cache, 0, total * sizeof(float));
  mimic_free_aligned(m->cache);
  m->cache = cache;
  m->max_batch = max_batch;
  m->batch = 0;
  float *p = cache;
  for (int l = 0; l < MIMIC_MLP_MAX_LAYERS; l++) m->pre[l] = m->hid[l] = NULL;
  for (int l = 0; l + 1 < L; l++) {
    m->pre[l] = p;
    p += rows * (size_t)m->sizes[l + 1];
    m->hid[l] = p;
    p += rows * (size_t)m->sizes[l + 1];
  }
  m->out = p;
  p += rows * (size_t)m->sizes[L];
  m->scratch[0] = p;
  p += rows * (size_t)max_width(m);
  m->scratch[1] = p;
  return MIMIC_OK;
}

mimic_status mimic_mlp_create(mimic_mlp *m, const int *sizes, int n_sizes, mimic_activation act,
                              int max_batch, float *params, float *grads) {
  memset(m, 0, sizeof *m);
  if (n_sizes < 2 || n_sizes > MIMIC_MLP_MAX_LAYERS + 1)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "mlp: %d widths given; need 2..%d (input, hidden..., output)", n_sizes,
                      MIMIC_MLP_MAX_LAYERS + 1);
  for (int l = 0; l < n_sizes; l++)
    if (sizes[l] < 1 || sizes[l] > MIMIC_MLP_MAX_WIDTH)
      return mimic_fail(MIMIC_ERR_INVALID, "mlp: width %d (layer %d) is outside 1..%d", sizes[l], l,
                        MIMIC_MLP_MAX_WIDTH);
  if (act != MIMIC_ACT_TANH && act != MIMIC_ACT_RELU)
    return mimic_fail(MIMIC_ERR_INVALID, "mlp: unknown activation %d", (int)act);
  if ((params == NULL) != (grads == NULL))
    return mimic_fail(MIMIC_ERR_INVALID, "mlp: give both params and grads, or neither");
  m->n_layers = n_sizes - 1;
  memcpy(m->sizes, sizes, (size_t)n_sizes * sizeof *sizes);
  m->act = act;
  size_t off = 0;
  for (int l = 0; l < m->n_layers; l++) {
    m->w_off[l] = off;
    off += (size_t)sizes[l + 1] * (size_t)sizes[l];
    m->b_off[l] = off;
    off += (size_t)sizes[l + 1];
  }
  m->n_params = off;
  if (params) {
    m->params = params;
    m->grads = grads;
  } else {
    m->params = mimic_alloc_aligned(2 * off * sizeof(float), "mlp parameters");
    if (!m->params) return MIMIC_ERR_NOMEM;
    memset(m->params, 0, 2 * off * sizeof(float));
    m->grads = m->params + off;
    m->owns_params = true;
  }
  mimic_status st = mimic_mlp_reserve(m, max_batch);
  if (st != MIMIC_OK) mimic_mlp_free(m);
  return st;
}

void mimic_mlp_free(mimic_mlp *m) {
  if (m->owns_params) mimic_free_aligned(m->params);
  mimic_free_aligned(m->cache);
  memset(m, 0, sizeof *m);
}

void mimic_mlp_zero_grad(mimic_mlp *m) { memset(m->grads, 0, m->n_params * sizeof(float)); }

mimic_status mimic_mlp_forward(mimic_mlp *m, const float *x, int B) {
  if (B < 1 || B > m->max_batch)
    return mimic_fail(MIMIC_ERR_INVALID, "mlp forward: batch %d is outside 1..%d", B, m->max_batch);
  int L = m->n_layers;
  const float *h = x; // (B, d0)
  for (int l = 0; l < L; l++) {
    int C = m->sizes[l], OC = m->sizes[l + 1];
    if (l == L - 1) {
      mimic_linear_forward(m->out, h, mimic_mlp_W(m, l), mimic_mlp_b(m, l), B, C, OC);
      break;
    }
    // z_l (B, OC) = h (B, C) W_l^T + b_l ;  h_(l+1) = act(z_l)
    mimic_linear_forward(m->pre[l], h, mimic_mlp_W(m, l), mimic_mlp_b(m, l), B, C, OC);
    size_t n = (size_t)B * OC;
    if (m->act == MIMIC_ACT_TANH)
      mimic_tanh_forward(m->hid[l], m->pre[l], n);
    else
      mimic_relu_forward(m->hid[l], m->pre[l], n);
    h = m->hid[l];
  }
  m->batch = B;
  return MIMIC_OK;
}

/* The two backward passes; with_params false skips dW and db (the input's
 * gradient alone). */
static mimic_status backward(mimic_mlp *m, const float *x, const float *dout, int B, float *dx,
                             bool with_params) {
  if (B < 1 || B > m->max_batch)
    return mimic_fail(MIMIC_ERR_INVALID, "mlp backward: batch %d is outside 1..%d", B,
                      m->max_batch);
  if (B != m->batch)
    return mimic_fail(MIMIC_ERR_INVALID, "mlp backward: batch %d differs from the forward's %d", B,
                      m->batch);
  int L = m->n_layers;
  const float *g = dout; // dLoss/d(output of layer l), (B, d(l+1))
  for (int l = L - 1; l >= 0; l--) {
    int C = m->sizes[l], OC = m->sizes[l + 1];
    const float *in = l == 0 ? x : m->hid[l - 1];
    float *dinp = l == 0 ? dx : m->scratch[l & 1]; // never the buffer g lives in
    mimic_linear_backward(dinp, with_params ? mimic_mlp_dW(m, l) : NULL,
                          with_params ? mimic_mlp_db(m, l) : NULL, g, in, mimic_mlp_W(m, l), B, C,
                          OC);
    if (l == 0) break;
    size_t n = (size_t)B * C;
    if (m->act == MIMIC_ACT_TANH)
      mimic_tanh_backward(dinp, dinp, m->hid[l - 1], n);
    else
      mimic_relu_backward(dinp, dinp, m->pre[l - 1], n);
    g = dinp;
  }
  return MIMIC_OK;
}

mimic_status mimic_mlp_backward(mimic_mlp *m, const float *x, const float *dout, int B, float *dx) {
  return backward(m, x, dout, B, dx, true);
}

mimic_status mimic_mlp_backward_input(mimic_mlp *m, const float *x, const float *dout, int B,
                                      float *dx) {
  return backward(m, x, dout, B, dx, false);
}
