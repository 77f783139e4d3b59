/* What mimic's trainers and model kinds do with a model (mimic/nn.h)
 * beyond making, running and saving it: resize its caches, zero and fill
 * its gradients with imitation's BC loss, normalise a batch, compare
 * architectures, and put a model into a container of another kind (a
 * reward network). Internal to mimic (not installed). */
#ifndef MIMIC_NN_MODEL_H
#define MIMIC_NN_MODEL_H

#include <stdint.h>

#include "mimic/nn.h"
#include "nn/heads.h"
#include "nn/recurrent.h"

/* A model's GRU (cfg.gru_hidden = H units over the In = obs_dim normalised
 * observations): parameters in PyTorch's layout viewing the model's
 * allocation, and caches for max_rows = B*T rows (one step of B streams,
 * or B sequences of T steps in training). */
typedef struct mimic_gru_trunk {
  mimic_rnn_params p, g; /* views into the model's params / grads */
  int In, H, max_rows;
  float *cache; /* one allocation for everything below */
  float *out, *gates, *hn, *dout, *h0, *scratch;
} mimic_gru_trunk;

/* One step of a recurrent model for B streams: obs (B, obs_dim) raw, h
 * (B, H) the streams' states, replaced by the new ones; the actor's output
 * lands in m->actor.out. */
mimic_status mimic_model_step(mimic_model *m, const float *obs, float *h, int B);
/* Categorical BC over B sequences of T steps (a recurrent model: from
 * zero states; a transformer: windows of T <= context steps): obs (B, T,
 * obs_dim) raw, acts (B, T), mask (B, T) 1 on real steps and 0 on
 * padding. The data terms are means over the real steps; the gradient is
 * added to m->grads. Needs a recurrent model with max_batch >= B*T. */
mimic_status mimic_model_bc_sequences(mimic_model *m, const float *obs, const int32_t *acts,
                                      const float *mask, int B, int T, float ent_weight,
                                      float l2_weight, mimic_bc_stats *st);

/* A transformer model acting: B windows of T raw observations (B, T,
 * obs_dim), window b's first len[b] rows real (padding after them is never
 * read); the actor's output for each window's last real step lands in
 * m->actor.out (B, act_dim). Needs max_batch >= B*T. */
mimic_status mimic_model_windows(mimic_model *m, const float *obs, const int *len, int B, int T);
/* Actor forward of observations x (B, obs_dim) already normalised, through
 * the trunk if the model has one; output in m->actor.out. */
mimic_status mimic_model_actor_forward(mimic_model *m, const float *x, int B);
/* Backward of mimic_model_actor_forward(m, x, B) from dout (B, act_dim):
 * adds to the actor's (and trunk's) gradients. */
mimic_status mimic_model_actor_backward(mimic_model *m, const float *x, const float *dout, int B);
/* Resizes the caches for max_batch rows. */
mimic_status mimic_model_reserve(mimic_model *m, int max_batch);
/* Sets every gradient to zero. */
void mimic_model_zero_grad(mimic_model *m);
/* Returns obs (B, obs_dim) normalised into m->obs_buf, or obs itself when
 * normalisation is off; NULL (error set) if B is outside 1..max_batch. */
const float *mimic_model_normalize_obs(mimic_model *m, const float *obs, int B);
/* Categorical BC on a batch (imitation's BehaviorCloningLossCalculator):
 * forward, loss, and the gradient ADDED to m->grads (L2 over ALL params).
 * weight (B, may be NULL) scales each row's data term. With l2_weight == 0
 * the L2 term is skipped and st->l2_norm is NAN. */
mimic_status mimic_model_bc_discrete(mimic_model *m, const float *obs, const int32_t *acts,
                                     const float *weight, int B, float ent_weight, float l2_weight,
                                     mimic_bc_stats *st);
/* Gaussian BC (nll - ent_weight*entropy + L2 incl. log_std), or MSE + L2 for
 * a regression head, on actions (B, act_dim), rows scaled by weight (may be
 * NULL); gradient added to m->grads. */
mimic_status mimic_model_bc_continuous(mimic_model *m, const float *obs, const float *actions,
                                       const float *weight, int B, float ent_weight,
                                       float l2_weight, mimic_bc_stats *st);
/* Fails with a sentence naming the first difference between the
 * architectures a (what was found) and b (what was expected). */
mimic_status mimic_model_config_compare(const mimic_model_config *a, const mimic_model_config *b);
/* Adds the model to a container of any kind: meta "architecture" and the
 * metadata's keys, arrays "params" (and "obs_mean", "obs_var") borrowing
 * the model's buffers (keep m alive and unchanged until c is saved). */
mimic_status mimic_model_to_container(const mimic_model *m, mimic_container *c);
/* Builds a model from a container holding one (what mimic_model_to_container
 * added), checking everything; expect and max_batch as mimic_model_load. */
mimic_status mimic_model_from_container(const mimic_container *c, const mimic_model_config *expect,
                                        int max_batch, mimic_model *m);

#endif
