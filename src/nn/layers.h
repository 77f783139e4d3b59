/* Layers and MLPs: plain forward/backward functions over caller-owned
 * float32 buffers (the llm.c way), and their initialisers. Internal to
 * mimic (not installed): a user makes, runs and saves networks through the
 * model of mimic/nn.h; the trainers (src/algo) and the model (src/nn) are
 * built from these.
 *
 * Gradient convention: gradients of parameters are ADDED to (zero them
 * first, as in PyTorch); gradients of intermediate values (dx) are
 * overwritten. Nothing allocates in forward or backward. */
#ifndef MIMIC_NN_LAYERS_H
#define MIMIC_NN_LAYERS_H

#include <stddef.h>

#include "mimic/nn.h"

/* ---- layers (plain functions over caller-owned buffers) ----------------- */

/* out (B,OC) = inp (B,C) W^T + b; W is (OC,C), b is (OC) or NULL. */
void mimic_linear_forward(float *out, const float *inp, const float *W, const float *b, int B,
                          int C, int OC);
/* Backward of linear_forward. dW (OC,C) and db (OC) are accumulated (either
 * may be NULL); dinp (B,C) is overwritten (NULL skips it). dout is (B,OC). */
void mimic_linear_backward(float *dinp, float *dW, float *db, const float *dout, const float *inp,
                           const float *W, int B, int C, int OC);
/* out = tanh(inp) elementwise over n floats (out may equal inp). A fast
 * float tanh, within a few ulp of the exact one. */
void mimic_tanh_forward(float *out, const float *inp, size_t n);
/* The scalar of mimic_tanh_forward (bit-identical results). */
float mimic_tanhf(float x);
/* dinp = dout * (1 - out^2), out = tanh output (dinp may equal dout). */
void mimic_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
/* out = GELU's tanh form of inp in one vectorised pass (the bits of the
 * three-pass formula: the same operations in the same order). */
void mimic_gelu_tanh_forward(float *out, const float *inp, size_t n);
/* dinp = dout * GELU_tanh'(inp) in one vectorised pass (dinp may equal dout). */
void mimic_gelu_tanh_backward(float *dinp, const float *dout, const float *inp, size_t n);
/* out = max(inp, 0) elementwise (out may equal inp). */
void mimic_relu_forward(float *out, const float *inp, size_t n);
/* dinp = dout * (inp > 0), inp = the pre-activation or the ReLU output
 * (both give the same mask); dinp may equal dout. */
void mimic_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);

/* ---- MLP: Linear, act, ..., Linear (mimic_mlp, in mimic/nn.h) ----------- */

/* Returns the number of floats of an MLP with widths sizes[0..n_sizes-1]
 * (0 if the shape is invalid). */
size_t mimic_mlp_param_count(const int *sizes, int n_sizes);
/* Sets up an MLP with widths sizes[0..n_sizes-1] (n_sizes >= 2) and an
 * activation cache for max_batch rows. params/grads: n_params floats each
 * owned by the caller (e.g. slices of a model), or both NULL to allocate
 * them here (zeroed). */
mimic_status mimic_mlp_create(mimic_mlp *m, const int *sizes, int n_sizes, mimic_activation act,
                              int max_batch, float *params, float *grads);
/* Resizes the activation cache for max_batch rows (not in a hot loop). */
mimic_status mimic_mlp_reserve(mimic_mlp *m, int max_batch);
/* Frees the cache and, if owned, the parameters (m may be zeroed or freed). */
void mimic_mlp_free(mimic_mlp *m);
/* Weight of layer l, (d(l+1), d(l)). */
static inline float *mimic_mlp_W(const mimic_mlp *m, int l) { return m->params + m->w_off[l]; }
/* Bias of layer l, (d(l+1)). */
static inline float *mimic_mlp_b(const mimic_mlp *m, int l) { return m->params + m->b_off[l]; }
/* Gradient of W_l. */
static inline float *mimic_mlp_dW(const mimic_mlp *m, int l) { return m->grads + m->w_off[l]; }
/* Gradient of b_l. */
static inline float *mimic_mlp_db(const mimic_mlp *m, int l) { return m->grads + m->b_off[l]; }
/* Forward pass of x (B, d0), B <= max_batch; the output (B, dL) is m->out.
 * x must stay unchanged until the matching backward. */
mimic_status mimic_mlp_forward(mimic_mlp *m, const float *x, int B);
/* Backward pass after mimic_mlp_forward(m, x, B): adds dLoss/dparams to
 * m->grads given dout = dLoss/dout (B, dL); writes dLoss/dx (B, d0) into dx
 * unless dx is NULL. */
mimic_status mimic_mlp_backward(mimic_mlp *m, const float *x, const float *dout, int B, float *dx);
/* mimic_mlp_backward's dx alone, leaving the parameter gradients untouched
 * (a loss backpropagated through a network it does not train). */
mimic_status mimic_mlp_backward_input(mimic_mlp *m, const float *x, const float *dout, int B,
                                      float *dx);
/* Sets every gradient to zero. */
void mimic_mlp_zero_grad(mimic_mlp *m);
/* PyTorch's default nn.Linear init: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 * drawn layer by layer (W row-major, then b) from rng. */
void mimic_mlp_init_torch(mimic_mlp *m, mimic_rng *rng);
/* SB3's orthogonal init (torch.nn.init.orthogonal_ semantics): W = gain * Q
 * from the QR of a standard-normal matrix, b = 0; hidden layers use
 * hidden_gain (SB3: sqrt(2)), the last layer out_gain (SB3: 0.01 for a
 * policy output, 1 for a value output). */
mimic_status mimic_mlp_init_orthogonal(mimic_mlp *m, mimic_rng *rng, float hidden_gain,
                                       float out_gain);
/* Fills a (rows, cols) matrix with gain * a random orthogonal matrix as
 * torch.nn.init.orthogonal_ does (rows orthonormal when rows <= cols, else
 * columns orthonormal). */
mimic_status mimic_init_orthogonal(float *W, int rows, int cols, float gain, mimic_rng *rng);

#endif
