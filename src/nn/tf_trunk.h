/* A model's transformer trunk (cfg.tf.context > 0): a policy that reads
 * the last K observations. Each normalised observation is one token,
 * embedded by a linear layer plus a learned position embedding (the
 * token's place in its window, 0..K-1), then the pre-LN GPT-2 blocks of
 * transformer.h with causal attention and a final LayerNorm; the actor MLP
 * reads each token's output, so the action at a step depends on that step
 * and the K-1 before it. Internal to mimic (nn/model.h's models use it).
 *
 * Parameters, in the model's allocation before the actor: W_in (C, D),
 * b_in (C), wpe (K, C), the blocks, ln_f weight and bias (C). Caches are
 * sized for R tokens in all, any B windows of T <= K tokens with B*T <= R. */
#ifndef MIMIC_NN_TF_TRUNK_H
#define MIMIC_NN_TF_TRUNK_H

#include "mimic/nn.h"
#include "nn/transformer.h"

typedef struct mimic_tf_trunk {
  int D, K, L, NH, C;
  float *w_in, *b_in, *wpe, *lnfw, *lnfb; /* views into the model's params */
  mimic_block_params p[MIMIC_GPT_MAX_LAYERS], g[MIMIC_GPT_MAX_LAYERS];
  float *params, *grads; /* the trunk's run in the model's params / grads */
  int max_rows, B, T;    /* capacity in tokens; shape of the last forward */
  float *cache;          /* one allocation for everything below */
  float *x0, *lnf, *lnf_mean, *lnf_rstd, *dres, *dtmp, *blocks, *scratch;
  mimic_block_acts acts[MIMIC_GPT_MAX_LAYERS];
  float *out;  /* = lnf (B*T, C): what the actor reads */
  float *dout; /* (B*T, C): the actor's input gradient */
} mimic_tf_trunk;

/* Floats of the trunk's parameters for cfg (0 when it has none). */
size_t mimic_tf_param_count(const mimic_model_config *cfg);
/* Points t's tensors into params / grads and sizes its caches for rows tokens. */
mimic_status mimic_tf_create(mimic_tf_trunk *t, const mimic_model_config *cfg, float *params,
                             float *grads, int rows);
/* Resizes the caches for rows tokens. */
mimic_status mimic_tf_reserve(mimic_tf_trunk *t, int rows);
/* Frees the caches. */
void mimic_tf_free(mimic_tf_trunk *t);
/* GPT-2's init (N(0, 0.02), residual projections / sqrt(2L), LayerNorm 1). */
void mimic_tf_init(mimic_tf_trunk *t, mimic_rng *rng);
/* Forward of B windows of T tokens x (B, T, D) (normalised); out lands in
 * t->out (B*T, C). x must stay unchanged until the backward pass. */
mimic_status mimic_tf_forward(mimic_tf_trunk *t, const float *x, int B, int T);
/* Backward from t->dout of the last forward; adds to the trunk's gradients. */
void mimic_tf_backward(mimic_tf_trunk *t, const float *x);

#endif
