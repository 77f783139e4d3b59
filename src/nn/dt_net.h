/* The Decision Transformer's network (Chen et al. 2021): a trajectory is
 * read as tokens (R_1, s_1, a_1, R_2, s_2, a_2, ...) where R_k is the
 * return-to-go, each token embedded by its own linear layer (a discrete
 * action by a table), plus a learned embedding of the episode timestep
 * shared by the step's three tokens (the GPT has no position embedding of
 * its own), a LayerNorm, the pre-LN GPT-2 blocks of transformer.h, a final
 * LayerNorm, and a head reading the state tokens' outputs to predict each
 * step's action (tanh for continuous actions, logits for discrete ones).
 * Internal to mimic; layers.h's conventions hold (parameter gradients are
 * added to, nothing allocates in forward or backward).
 *
 * Shapes: B windows of K steps, T = 3K tokens, C channels; states (B,K,S),
 * actions (B,K,A) (a discrete action is one float holding its id), rtg
 * (B,K), timesteps (B,K). A window shorter than K is padded on the right:
 * the attention is causal, so padding after a step cannot change what is
 * predicted at it, and the loss skips the padded steps. */
#ifndef MIMIC_NN_DT_NET_H
#define MIMIC_NN_DT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/rng.h"
#include "nn/transformer.h"

typedef struct mimic_dt_net_config {
  int state_dim;
  int act_dim;    /* continuous: action width; discrete: number of actions */
  bool discrete;  /* actions are ids (one float each) */
  int max_ep_len; /* rows of the timestep embedding (later timesteps use the last) */
  int context;    /* K: steps per window */
  int n_layer, n_head, n_embd;
} mimic_dt_net_config;

/* Parameters in one run, in this order: ret_w (C), ret_b (C), st_w (C,S),
 * st_b (C), act_w (discrete: (A,C) table; continuous: (C,A)), act_b (C,
 * continuous only), t_emb (max_ep_len,C), lne_w, lne_b (C), the blocks,
 * lnf_w, lnf_b (C), head_w (A,C), head_b (A). grads mirror it. */
typedef struct mimic_dt_net {
  mimic_dt_net_config cfg;
  size_t n_params;
  float *params, *grads;
  float *ret_w, *ret_b, *st_w, *st_b, *act_w, *act_b, *t_emb, *lne_w, *lne_b;
  float *lnf_w, *lnf_b, *head_w, *head_b;
  mimic_block_params blocks[MIMIC_GPT_MAX_LAYERS], dblocks[MIMIC_GPT_MAX_LAYERS];
  int max_B, B, K;                 /* capacity in windows; shape of the last forward */
  float *acts;                     /* one run for everything below */
  float *xe;                       /* (B,T,C) summed embeddings before the LayerNorm */
  float *x0, *lne_mean, *lne_rstd; /* (B,T,C), (B,T), (B,T) */
  mimic_block_acts bacts[MIMIC_GPT_MAX_LAYERS];
  float *lnf, *lnf_mean, *lnf_rstd; /* (B,T,C), (B,T), (B,T) */
  float *hs;                        /* (B,K,C) the state tokens' rows of lnf */
  float *out;                       /* (B,K,A) predicted actions (tanh) or logits */
  float *dout;                      /* (B,K,A): the caller writes the loss's gradient here */
  float *tmp, *dtmp;                /* (B,K,C) each */
  float *dres, *dbig;               /* (B,T,C) each */
  float *scratch;                   /* the blocks' backward scratch */
  int32_t *tidx, *aidx;             /* (B,K) clamped timesteps, discrete action ids */
  const float *in_states, *in_actions, *in_rtg; /* the last forward's inputs */
} mimic_dt_net;

/* Checks cfg and allocates parameters, gradients (zeroed) and caches for
 * up to max_B windows of cfg.context steps. */
mimic_status mimic_dt_net_create(mimic_dt_net *n, const mimic_dt_net_config *cfg, int max_B);
/* Frees everything (n may be zeroed). */
void mimic_dt_net_free(mimic_dt_net *n);
/* GPT-2's init for every part: weights N(0, 0.02) (the residual
 * projections 0.02 / sqrt(2 n_layer)), biases 0, LayerNorm weights 1. */
void mimic_dt_net_init(mimic_dt_net *n, mimic_rng *rng);
/* Forward pass of B windows of K <= context steps; predictions land in
 * n->out. The inputs must stay unchanged until the matching backward.
 * Fails on a discrete action outside [0, A) or a negative timestep. */
mimic_status mimic_dt_net_forward(mimic_dt_net *n, const float *states, const float *actions,
                                  const float *rtg, const int32_t *timesteps, int B, int K);
/* Backward pass from n->dout (gradient of the loss with respect to n->out)
 * of the last forward; adds to n->grads. */
void mimic_dt_net_backward(mimic_dt_net *n);
/* Sets every gradient to zero. */
void mimic_dt_net_zero_grad(mimic_dt_net *n);

#endif
