/* A convolutional network: conv2d + ReLU layers, flatten (PyTorch's order,
 * c*H*W + h*W + w), then an MLP head with ReLU between its Linears and none
 * after the last (SB3's NatureCNN plus a policy head is one such net).
 * Internal to mimic (not installed). Parameters are one float run, conv
 * layers first (weight (O,C,k,k) then bias (O) each), then the head's
 * Linears as mimic_mlp lays them out; gradients mirror it and are added
 * to. Caches are sized for max_batch at setup; nothing allocates in
 * forward or backward. */
#ifndef MIMIC_NN_CNN_H
#define MIMIC_NN_CNN_H

#include <stdbool.h>

#include "mimic/nn.h"
#include "mimic/rng.h"
#include "nn/conv.h"

#define MIMIC_CNN_MAX_CONV 8

typedef struct mimic_cnn_config {
  int in_c, in_h, in_w; /* one input picture, CHW */
  int n_conv;
  int out_channels[MIMIC_CNN_MAX_CONV], kernel[MIMIC_CNN_MAX_CONV];
  int stride[MIMIC_CNN_MAX_CONV], pad[MIMIC_CNN_MAX_CONV];
  int n_fc;                     /* Linear layers of the head (0: none, out = the
                                   last conv layer's ReLU output, flattened) */
  int fc[MIMIC_MLP_MAX_LAYERS]; /* their output widths */
} mimic_cnn_config;

typedef struct mimic_cnn {
  mimic_cnn_config cfg;
  mimic_conv2d_shape conv[MIMIC_CNN_MAX_CONV]; /* N = the batch of the last forward */
  size_t w_off[MIMIC_CNN_MAX_CONV], b_off[MIMIC_CNN_MAX_CONV];
  size_t n_conv_params, n_params;
  float *params, *grads;
  bool owns_params;
  mimic_mlp head; /* views params + n_conv_params */
  int max_batch, batch;
  float *cache;
  float *pre[MIMIC_CNN_MAX_CONV], *act[MIMIC_CNN_MAX_CONV]; /* conv outputs before/after ReLU */
  float *col[MIMIC_CNN_MAX_CONV];                           /* each layer's unfolded input */
  float *tmp, *d0, *d1;                                     /* backward scratch */
  float *out;                                               /* = head.out */
} mimic_cnn;

/* Sets up a CNN (shapes checked: every kernel must fit) with caches for
 * max_batch pictures; params/grads as mimic_mlp_create (both NULL: owned). */
mimic_status mimic_cnn_create(mimic_cnn *m, const mimic_cnn_config *cfg, int max_batch,
                              float *params, float *grads);
/* Features the conv layers hand the head: C*H*W of the last one (0 if invalid). */
int mimic_cnn_features(const mimic_cnn_config *cfg);
/* Floats of a CNN's parameters (0 if cfg is invalid). */
size_t mimic_cnn_param_count(const mimic_cnn_config *cfg);
/* Frees caches and owned parameters. */
void mimic_cnn_free(mimic_cnn *m);
/* PyTorch's default init of nn.Conv2d and nn.Linear: weight and bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), layer by layer. */
void mimic_cnn_init_torch(mimic_cnn *m, mimic_rng *rng);
/* Forward pass of x (N, C, H, W), N <= max_batch; output (N, fc[last]), or
 * (N, features) without a head, in m->out. */
mimic_status mimic_cnn_forward(mimic_cnn *m, const float *x, int N);
/* Backward after mimic_cnn_forward(m, x, N): adds to m->grads from dout
 * (N, out); dx (N, C, H, W) unless NULL (then the first layer's input
 * gradient is never computed). */
mimic_status mimic_cnn_backward(mimic_cnn *m, const float *dout, int N, float *dx);
/* Sets every gradient to zero. */
void mimic_cnn_zero_grad(mimic_cnn *m);

#endif
