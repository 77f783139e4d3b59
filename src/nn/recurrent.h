/* GRU and LSTM layers (one layer, unidirectional, with biases, batch-first
 * input), in PyTorch's parameter layout and gate order, with backward
 * through time. Internal to mimic (not installed); layers.h's conventions
 * hold: parameter gradients are added to, dx and dh0 are overwritten,
 * nothing allocates.
 *
 * Truncated BPTT is the caller's choice of T: run a chunk from the state
 * the previous chunk ended in (h0, c0), and backpropagate within the
 * chunk only (dh0 may be NULL). */
#ifndef MIMIC_NN_RECURRENT_H
#define MIMIC_NN_RECURRENT_H

#include <stddef.h>

/* nn.GRU's / nn.LSTM's weight_ih_l0 (G*H, In), weight_hh_l0 (G*H, H),
 * bias_ih_l0 and bias_hh_l0 (G*H), G = 3 gates (r, z, n) for the GRU and
 * 4 (i, f, g, o) for the LSTM, stacked in that order. */
typedef struct mimic_rnn_params {
  float *w_ih, *w_hh, *b_ih, *b_hh;
} mimic_rnn_params;

/* B sequences of T steps of In inputs; H hidden units. */
typedef struct mimic_rnn_shape {
  int B, T, In, H;
} mimic_rnn_shape;

/* Floats of the parameters of a cell with `gates` gates: G*H*(In + H + 2). */
size_t mimic_rnn_param_count(int gates, int In, int H);
/* Points p's four tensors into base, in the order above. */
void mimic_rnn_params_point(mimic_rnn_params *p, float *base, int gates, int In, int H);
/* Floats of scratch forward (B*G*H) and backward (B*T*G*H + B*G*H + 2*B*H)
 * need; the larger of the two. */
size_t mimic_rnn_scratch(int gates, const mimic_rnn_shape *s);

/* GRU: out (B,T,H) from x (B,T,In) and h0 (B,H). Keeps for the backward
 * pass gates (B,T,3H): r, z, n after their nonlinearities; hn (B,T,H):
 * h_(t-1) W_hn^T + b_hn, the part r multiplies. */
void mimic_gru_forward(float *out, float *gates, float *hn, float *scratch, const float *x,
                       const float *h0, const mimic_rnn_params *p, const mimic_rnn_shape *s);
/* GRU backward from dout (B,T,H) and dhT (B,H, the gradient of the last
 * state; NULL = 0). dx (B,T,In) and dh0 (B,H) may be NULL. */
void mimic_gru_backward(float *dx, float *dh0, const mimic_rnn_params *g, float *scratch,
                        const float *dout, const float *dhT, const float *x, const float *h0,
                        const float *out, const float *gates, const float *hn,
                        const mimic_rnn_params *p, const mimic_rnn_shape *s);

/* LSTM: out (B,T,H) and cells (B,T,H, c_t) from x (B,T,In), h0 and c0
 * (B,H). Keeps gates (B,T,4H): i, f, g, o after their nonlinearities. */
void mimic_lstm_forward(float *out, float *cells, float *gates, float *scratch, const float *x,
                        const float *h0, const float *c0, const mimic_rnn_params *p,
                        const mimic_rnn_shape *s);
/* LSTM backward from dout (B,T,H), dhT and dcT (B,H; NULL = 0). dx, dh0,
 * dc0 may be NULL. */
void mimic_lstm_backward(float *dx, float *dh0, float *dc0, const mimic_rnn_params *g,
                         float *scratch, const float *dout, const float *dhT, const float *dcT,
                         const float *x, const float *h0, const float *c0, const float *out,
                         const float *cells, const float *gates, const mimic_rnn_params *p,
                         const mimic_rnn_shape *s);

#endif
