/* Optimizers (torch's Adam, AdamW, SGD) and gradient clipping over flat
 * float arrays. Internal to mimic (not installed): the trainers (mimic/bc.h,
 * mimic/ppo.h, mimic/adversarial.h) hold one each; nothing allocates in a
 * step. */
#ifndef MIMIC_NN_OPTIM_H
#define MIMIC_NN_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

#include "mimic/core.h"

/* ---- optimizers and clipping -------------------------------------------- */

typedef enum mimic_optim_kind {
  MIMIC_OPTIM_ADAM = 0,  /* torch.optim.Adam (weight_decay = L2 added to the gradient) */
  MIMIC_OPTIM_ADAMW = 1, /* torch.optim.AdamW (decoupled weight decay) */
  MIMIC_OPTIM_SGD = 2,   /* torch.optim.SGD with momentum, dampening, nesterov */
} mimic_optim_kind;

/* Hyper-parameters are doubles, as in Python: torch derives 1 - beta,
 * lr / (1 - beta1^t) etc. in double and rounds them to float once. */
typedef struct mimic_optim_config {
  mimic_optim_kind kind;
  double lr;
  double beta1, beta2, eps; /* Adam/AdamW */
  double weight_decay;
  double momentum, dampening; /* SGD */
  bool nesterov;              /* SGD */
} mimic_optim_config;

typedef struct mimic_optim {
  mimic_optim_config cfg;
  size_t n; /* floats updated per step */
  long t;   /* steps taken */
  float *m; /* Adam exp_avg / SGD momentum buffer (n) */
  float *v; /* Adam exp_avg_sq (n); same allocation as m */
} mimic_optim;

/* Returns torch's defaults for kind (Adam lr 1e-3, betas 0.9/0.999, eps
 * 1e-8, wd 0; AdamW the same with wd 1e-2; SGD lr 1e-2, no momentum). */
mimic_optim_config mimic_optim_defaults(mimic_optim_kind kind);
/* Checks a configuration; fails with a sentence saying what is wrong. */
mimic_status mimic_optim_check(const mimic_optim_config *cfg);
/* Sets up an optimizer for n floats (state zeroed). */
mimic_status mimic_optim_create(mimic_optim *o, const mimic_optim_config *cfg, size_t n);
/* Frees the optimizer state. */
void mimic_optim_free(mimic_optim *o);
/* Zeroes the state and the step counter. */
void mimic_optim_reset(mimic_optim *o);
/* One step over params (n) with gradients grads (n). */
void mimic_optim_step(mimic_optim *o, float *params, const float *grads);
/* One step over several blocks (lens must sum to o->n; the state is laid
 * out block after block), e.g. two separately allocated MLPs. */
void mimic_optim_step_blocks(mimic_optim *o, float *const *params, const float *const *grads,
                             const size_t *lens, int n_blocks);

/* Returns sqrt(sum of g^2) (double accumulation). */
double mimic_grad_norm(const float *grads, size_t n);
/* torch.nn.utils.clip_grad_norm_(max_norm): scales grads by
 * min(max_norm / (norm + 1e-6), 1); returns the norm before clipping. */
double mimic_clip_grad_norm(float *grads, size_t n, float max_norm);
/* The same over several blocks with one global norm. */
double mimic_clip_grad_norm_blocks(float *const *grads, const size_t *lens, int n_blocks,
                                   float max_norm);

#endif
