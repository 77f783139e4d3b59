/* Transformer pieces, the llm.c way: LayerNorm, GELU (erf and tanh forms),
 * token + position embeddings, causal multi-head self-attention, the
 * pre-LayerNorm GPT-2 block and a small GPT built from them. Internal to
 * mimic (not installed); layers.h's conventions hold: parameter gradients
 * are added to, gradients of inputs are overwritten, nothing allocates in a
 * forward or backward pass.
 *
 * Shapes: B sequences of T positions, C channels, NH heads of hd = C/NH
 * channels. Tensors are row-major, (B,T,C) meaning data[(b*T + t)*C + c].
 * Linear weights keep PyTorch's (out, in) layout. */
#ifndef MIMIC_NN_TRANSFORMER_H
#define MIMIC_NN_TRANSFORMER_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/rng.h"

/* ---- LayerNorm and GELU -------------------------------------------------- */

/* out (N,C) = (inp - mean) * rstd * w + b per row; mean, rstd (N) are kept
 * for the backward pass. Two-pass variance (biased), eps inside the sqrt. */
void mimic_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                             const float *b, int N, int C, float eps);
/* Backward of mimic_layernorm_forward: dw, db (C) are added to (either may
 * be NULL); dinp (N,C) is overwritten (it may not alias dout). */
void mimic_layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                              const float *inp, const float *w, const float *mean,
                              const float *rstd, int N, int C);

typedef enum mimic_gelu_kind {
  MIMIC_GELU_ERF = 0,  /* x * Phi(x), torch's approximate='none' */
  MIMIC_GELU_TANH = 1, /* GPT-2's tanh approximation, approximate='tanh' */
} mimic_gelu_kind;

/* out = gelu(inp) over n floats (out may not alias inp). */
void mimic_gelu_forward(float *out, const float *inp, size_t n, mimic_gelu_kind kind);
/* dinp = dout * gelu'(inp) (dinp may not alias dout or inp). */
void mimic_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n,
                         mimic_gelu_kind kind);

/* ---- embeddings ----------------------------------------------------------- */

/* out (B,T,C) = wte[idx[b,t]] + wpe[t] (wpe NULL: no position term). The
 * ids must be in [0, V): the caller checks them. */
void mimic_embedding_forward(float *out, const int32_t *idx, const float *wte, const float *wpe,
                             int B, int T, int C);
/* Adds dout's rows to dwte[idx] and (unless NULL) dwpe[t]. */
void mimic_embedding_backward(float *dwte, float *dwpe, const float *dout, const int32_t *idx,
                              int B, int T, int C);

/* ---- causal self-attention ------------------------------------------------ */

/* Floats of the scratch either attention pass needs (zero-padded tiles of
 * one head). */
size_t mimic_attention_scratch_count(int T, int C, int NH);
/* From qkv (B,T,3C) = [q | k | v] to y (B,T,C), heads concatenated;
 * att (B,NH,T,T) keeps the softmax (0 above the diagonal); scratch holds
 * mimic_attention_scratch_count floats. */
void mimic_attention_forward(float *y, float *att, float *scratch, const float *qkv, int B, int T,
                             int C, int NH);
/* Backward: dqkv (B,T,3C) overwritten from dy (B,T,C); scratch holds
 * mimic_attention_scratch_count floats. */
void mimic_attention_backward(float *dqkv, float *scratch, const float *dy, const float *qkv,
                              const float *att, int B, int T, int C, int NH);

/* ---- pre-LayerNorm GPT-2 block ------------------------------------------- */

/* The twelve tensors of a block (nanoGPT's names), pointers into one
 * contiguous run of mimic_block_param_count(C) floats in this order. */
typedef struct mimic_block_params {
  float *ln1w, *ln1b;         /* ln_1.weight, ln_1.bias (C) */
  float *qkvw, *qkvb;         /* attn.c_attn (3C,C), (3C) */
  float *attprojw, *attprojb; /* attn.c_proj (C,C), (C) */
  float *ln2w, *ln2b;         /* ln_2 (C) */
  float *fcw, *fcb;           /* mlp.c_fc (4C,C), (4C) */
  float *fcprojw, *fcprojb;   /* mlp.c_proj (C,4C), (C) */
} mimic_block_params;

/* What a block's forward pass keeps for its backward pass. */
typedef struct mimic_block_acts {
  float *ln1, *ln1_mean, *ln1_rstd; /* (B,T,C), (B,T), (B,T) */
  float *qkv;                       /* (B,T,3C) */
  float *att;                       /* (B,NH,T,T) */
  float *att_scratch;               /* the attention's tiles (forward only) */
  float *atty;                      /* (B,T,C) attention output before c_proj */
  float *x1;                        /* (B,T,C) x + attention branch */
  float *ln2, *ln2_mean, *ln2_rstd;
  float *fch, *fch_gelu; /* (B,T,4C) */
  float *out;            /* (B,T,C) */
} mimic_block_acts;

/* The shape every block call takes. */
typedef struct mimic_block_shape {
  int B, T, C, NH;
  float eps; /* LayerNorm's (1e-5) */
} mimic_block_shape;

/* Floats of a block's parameters: 12 C^2 + 13 C. */
size_t mimic_block_param_count(int C);
/* Points p's twelve tensors into base (mimic_block_param_count(C) floats). */
void mimic_block_params_point(mimic_block_params *p, float *base, int C);
/* Floats of a block's activations for shape s. */
size_t mimic_block_act_count(const mimic_block_shape *s);
/* Points a's buffers into base (mimic_block_act_count floats). */
void mimic_block_acts_point(mimic_block_acts *a, float *base, const mimic_block_shape *s);
/* Floats of the scratch a block's backward pass needs. */
size_t mimic_block_scratch_count(const mimic_block_shape *s);
/* w[0..n) drawn from N(0, std^2). */
void mimic_fill_normal(float *w, size_t n, double std, mimic_rng *rng);
/* GPT-2's init of a block of a model with n_layer blocks: weights N(0, 0.02)
 * (the two residual projections 0.02 / sqrt(2 n_layer)), biases 0,
 * LayerNorm weights 1. */
void mimic_block_init(mimic_block_params *p, int C, int n_layer, mimic_rng *rng);
/* out = a->out (B,T,C) = x1 + MLP(LN_2(x1)), x1 = x + Attn(LN_1(x)). */
void mimic_block_forward(const mimic_block_params *p, mimic_block_acts *a, const float *x,
                         const mimic_block_shape *s);
/* Backward from dout (B,T,C): adds to g's tensors, overwrites dx (which
 * may alias dout). x is the forward pass's input. */
void mimic_block_backward(float *dx, const mimic_block_params *g, const mimic_block_params *p,
                          const mimic_block_acts *a, const float *x, const float *dout,
                          float *scratch, const mimic_block_shape *s);

/* ---- a small GPT ----------------------------------------------------------- */

#define MIMIC_GPT_MAX_LAYERS 32

typedef struct mimic_gpt_config {
  int vocab_size, block_size; /* tokens, positions (rows of wpe) */
  int n_layer, n_head, n_embd;
} mimic_gpt_config;

/* Token + position embeddings, n_layer blocks, final LayerNorm, a bias-free
 * head (not tied to wte). One contiguous parameter run in the order wte
 * (V,C), wpe (block_size,C), the blocks, ln_f.weight, ln_f.bias, lm_head
 * (V,C); grads mirror it. */
typedef struct mimic_gpt {
  mimic_gpt_config cfg;
  size_t n_params;
  float *params, *grads;
  float *wte, *wpe, *lnfw, *lnfb, *lm_head; /* into params */
  mimic_block_params blocks[MIMIC_GPT_MAX_LAYERS], dblocks[MIMIC_GPT_MAX_LAYERS];
  int max_B, max_T, B, T; /* cache capacity; shape of the last forward */
  float *acts;            /* one run: embeddings, blocks, ln_f, logits, ... */
  float *x0;              /* (B,T,C) embeddings */
  float *lnf, *lnf_mean, *lnf_rstd;
  float *logits;  /* (B,T,V) */
  float *dlogits; /* (B,T,V): set by mimic_gpt_loss or by the caller */
  float *scratch, *dres, *dtmp;
  int32_t *idx; /* (B,T) ids of the last forward */
  mimic_block_acts bacts[MIMIC_GPT_MAX_LAYERS];
} mimic_gpt;

/* Checks cfg and allocates parameters, gradients (zeroed) and caches for
 * up to max_B sequences of up to max_T <= block_size positions. */
mimic_status mimic_gpt_create(mimic_gpt *g, const mimic_gpt_config *cfg, int max_B, int max_T);
/* Frees everything (g may be zeroed). */
void mimic_gpt_free(mimic_gpt *g);
/* GPT-2's init: weights N(0, 0.02) (the residual projections 0.02 /
 * sqrt(2 n_layer)), biases 0, LayerNorm weights 1. */
void mimic_gpt_init(mimic_gpt *g, mimic_rng *rng);
/* Forward pass of idx (B,T) (ids checked against vocab_size); logits
 * (B,T,V) land in g->logits. */
mimic_status mimic_gpt_forward(mimic_gpt *g, const int32_t *idx, int B, int T);
/* Mean cross-entropy of the last forward's logits against targets (B,T);
 * writes its gradient into g->dlogits. */
mimic_status mimic_gpt_loss(mimic_gpt *g, const int32_t *targets, double *loss);
/* Backward pass from g->dlogits of the last forward; adds to g->grads. */
void mimic_gpt_backward(mimic_gpt *g);
/* Sets every gradient to zero. */
void mimic_gpt_zero_grad(mimic_gpt *g);

#endif
