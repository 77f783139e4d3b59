/* mimic/nn.h: dense float32 networks with hand-written forward and backward
 * passes (the llm.c way), the policy heads, imitation's BC loss, optimizers,
 * initialisers and the policy file (a model container of kind "mimic.policy").
 *
 * Shapes are written (rows, cols) and every matrix is row-major. A Linear
 * layer keeps PyTorch's layout: W is (out, in), b is (out), y = x W^T + b.
 *
 * Memory. An MLP's parameters live in one contiguous float array (layer 0 W,
 * layer 0 b, layer 1 W, ...), its gradients in a mirror of it, and its
 * activations in one cache sized at setup for a maximum batch. A model
 * (actor MLP, optional critic MLP, Gaussian log_std) puts ALL its trainable
 * floats in one allocation, so one optimizer, one clip and one L2 sum cover
 * actor + critic + log_std. Nothing is allocated in forward, backward, the
 * heads, the losses or the optimizer step.
 *
 * Gradient convention: gradients of parameters are ADDED to (zero them
 * first, as in PyTorch); gradients of intermediate values (dlogits, dmean,
 * dx) are overwritten.
 *
 * Initialisation: MLPs offer PyTorch's nn.Linear default and SB3's
 * orthogonal init. Models default to orthogonal (MIMIC_INIT_ORTHOGONAL =
 * 0), as the SB3 policies that imitation's BC trains are initialised. */
#ifndef MIMIC_NN_H
#define MIMIC_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/container.h"
#include "mimic/core.h"
#include "mimic/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_MLP_MAX_LAYERS 16     /* Linear layers per MLP */
#define MIMIC_MLP_MAX_WIDTH 1048576 /* units per layer */

/* ---- BLAS threads ------------------------------------------------------- */

/* Sets the number of OpenBLAS threads (1 = deterministic and fastest at
 * mimic's usual sizes). */
void mimic_nn_set_threads(int n);
/* Returns the number of OpenBLAS threads in use. */
int mimic_nn_get_threads(void);
/* Returns OpenBLAS's configuration and core name ("OpenBLAS 0.3.21 ... | Haswell"). */
const char *mimic_nn_blas_info(void);

/* ---- layers (plain functions over caller-owned buffers) ----------------- */

typedef enum mimic_activation {
  MIMIC_ACT_TANH = 0,
  MIMIC_ACT_RELU = 1,
} mimic_activation;

/* Returns "tanh" or "relu" (NULL for an unknown value). */
const char *mimic_activation_name(mimic_activation act);

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
/* out = max(inp, 0) elementwise (out may equal inp). */
void mimic_relu_forward(float *out, const float *inp, size_t n);
/* dinp = dout * (inp > 0), inp = the pre-activation or the ReLU output
 * (both give the same mask); dinp may equal dout. */
void mimic_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);

/* ---- MLP: Linear, act, Linear, act, ..., Linear ------------------------- */

typedef struct mimic_mlp {
  int n_layers;                        /* L Linear layers */
  int sizes[MIMIC_MLP_MAX_LAYERS + 1]; /* widths d0 .. dL */
  mimic_activation act;                /* after every Linear but the last */
  size_t n_params;                     /* floats in params (and grads) */
  size_t w_off[MIMIC_MLP_MAX_LAYERS];  /* W_l at params + w_off[l], (d(l+1), d(l)) */
  size_t b_off[MIMIC_MLP_MAX_LAYERS];  /* b_l at params + b_off[l], (d(l+1)) */
  float *params;                       /* n_params floats */
  float *grads;                        /* mirrors params */
  bool owns_params;                    /* params/grads were allocated by create */
  int max_batch;                       /* rows the cache holds */
  int batch;                           /* rows of the last forward */
  float *cache;                        /* one allocation for everything below */
  float *pre[MIMIC_MLP_MAX_LAYERS];    /* z_l (B, d(l+1)), l < L-1: pre-activations */
  float *hid[MIMIC_MLP_MAX_LAYERS];    /* h_(l+1) = act(z_l) (B, d(l+1)), l < L-1 */
  float *out;                          /* output (B, dL) of the last forward */
  float *scratch[2];                   /* (max_batch, max width) for backward */
} mimic_mlp;

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

/* ---- heads -------------------------------------------------------------- */

/* Categorical over K classes, from logits (B,K). */

/* logp (B,K) = log_softmax(logits) (logp may equal logits). */
void mimic_cat_log_softmax(const float *logits, int B, int K, float *logp);
/* probs (B,K) = softmax(logits) (probs may equal logits). */
void mimic_cat_probs(const float *logits, int B, int K, float *probs);
/* ent (B) = -sum_j p log p, from log-probabilities logp (B,K). */
void mimic_cat_entropy(const float *logp, int B, int K, float *ent);
/* out (B) = logp[i, acts[i]]; acts must lie in 0..K-1. */
void mimic_cat_log_prob(const float *logp, const int32_t *acts, int B, int K, float *out);
/* acts (B) = argmax_j logits[i,j] (the first on ties). */
void mimic_cat_argmax(const float *logits, int B, int K, int32_t *acts);
/* acts (B) ~ Categorical(softmax(logits)), one uniform double per row
 * (inverse CDF). */
void mimic_cat_sample(const float *logits, int B, int K, mimic_rng *rng, int32_t *acts);
/* dlogits (B,K) = dL/dlogits given dlogprob (B) = dL/dlog_prob[i] (NULL = 0)
 * and dent (B) = dL/dentropy[i] (NULL = 0), where log_prob[i] =
 * logp[i, acts[i]]. acts may be NULL when dlogprob is NULL. Overwrites. */
void mimic_cat_backward(const float *logp, const int32_t *acts, const float *dlogprob,
                        const float *dent, int B, int K, float *dlogits);

/* Diagonal Gaussian with a state-independent log_std (A): std = exp(log_std),
 * mean (B,A) = the actor's output (also the deterministic action). */

/* out (B) = sum_j log N(actions[i,j]; mean[i,j], std_j). */
void mimic_gauss_log_prob(const float *mean, const float *log_std, const float *actions, int B,
                          int A, float *out);
/* Returns the entropy of one row: sum_j (0.5 + 0.5 ln(2 pi) + log_std_j). */
float mimic_gauss_entropy(const float *log_std, int A);
/* actions (B,A) = mean + std * N(0,1) (mimic_rng_normal, row-major order). */
void mimic_gauss_sample(const float *mean, const float *log_std, int B, int A, mimic_rng *rng,
                        float *actions);
/* dmean (B,A) (overwritten) and dlog_std (A) (added to) given dlogprob (B) =
 * dL/dlog_prob[i] and dent_sum = sum_i dL/dentropy[i]. */
void mimic_gauss_backward(const float *mean, const float *log_std, const float *actions, int B,
                          int A, const float *dlogprob, float dent_sum, float *dmean,
                          float *dlog_std);

/* Regression: returns mean((pred - target)^2) over n floats (torch's
 * F.mse_loss) and, unless dpred is NULL, writes dpred = 2 (pred - target) / n. */
double mimic_mse(const float *pred, const float *target, size_t n, float *dpred);

/* ---- losses ------------------------------------------------------------- */

/* The numbers imitation's BC logs for one batch. */
typedef struct mimic_bc_stats {
  double loss;          /* neglogp + ent_loss + l2_loss (mse + l2_loss for regression) */
  double neglogp;       /* -mean log_prob (0 for regression) */
  double entropy;       /* mean entropy (0 for regression) */
  double ent_loss;      /* -ent_weight * entropy */
  double l2_norm;       /* 0.5 * sum of squares of ALL parameters */
  double l2_loss;       /* l2_weight * l2_norm */
  double prob_true_act; /* mean exp(log_prob) (a density for Gaussian; 0 for regression) */
  double mse;           /* mean squared error of the mean/prediction (diagnostic) */
} mimic_bc_stats;

/* Categorical BC data term over logits (B,K): sets neglogp, entropy,
 * ent_loss, prob_true_act, and writes dlogits (B,K) = d(neglogp -
 * ent_weight*entropy)/dlogits. Row i's terms are scaled by weight[i]
 * (weight NULL: all 1), each still divided by B. Fails if an action is
 * outside 0..K-1. */
mimic_status mimic_bc_categorical(const float *logits, const int32_t *acts, const float *weight,
                                  int B, int K, float ent_weight, float *dlogits,
                                  mimic_bc_stats *st);
/* Gaussian BC data term: sets neglogp, entropy, ent_loss, prob_true_act,
 * mse; writes dmean (B,A) and adds d/dlog_std to dlog_std (A). Row i's
 * likelihood terms are scaled by weight[i] (NULL: all 1). */
void mimic_bc_gaussian(const float *mean, const float *log_std, const float *actions,
                       const float *weight, int B, int A, float ent_weight, float *dmean,
                       float *dlog_std, mimic_bc_stats *st);
/* Returns 0.5 * sum(params^2) (double accumulation) and, if grads and
 * l2_weight != 0, adds l2_weight * params to grads. */
double mimic_l2_penalty(const float *params, float *grads, size_t n, float l2_weight);
/* Completes st with l2_norm, l2_loss and the total loss. */
void mimic_bc_finish(mimic_bc_stats *st, double l2_norm, float l2_weight);

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

/* ---- model: what a policy file holds ------------------------------------ */

typedef enum mimic_head_kind {
  MIMIC_HEAD_CATEGORICAL = 1, /* logits over act_dim discrete actions */
  MIMIC_HEAD_GAUSSIAN = 2,    /* mean (act_dim) + state-independent log_std */
  MIMIC_HEAD_REGRESSION = 3,  /* a point prediction (act_dim), MSE */
} mimic_head_kind;

/* Returns "categorical", "gaussian", "regression" (NULL if unknown). */
const char *mimic_head_name(mimic_head_kind head);

typedef enum mimic_init_kind {
  MIMIC_INIT_ORTHOGONAL = 0, /* default: SB3 (gains sqrt(2), 0.01 policy out, 1 value out; b = 0) */
  MIMIC_INIT_TORCH = 1,      /* PyTorch nn.Linear default */
} mimic_init_kind;

typedef struct mimic_model_config {
  int obs_dim;
  int act_dim; /* categorical: number of actions; gaussian/regression: action size */
  mimic_head_kind head;
  int n_hidden; /* actor hidden layers */
  int hidden[MIMIC_MLP_MAX_LAYERS - 1];
  mimic_activation activation;
  bool critic; /* a separate value MLP obs_dim -> critic_hidden -> 1 */
  int critic_n_hidden;
  int critic_hidden[MIMIC_MLP_MAX_LAYERS - 1];
  mimic_activation critic_activation;
  float log_std_init; /* gaussian only (SB3 default 0) */
} mimic_model_config;

/* Fills cfg with imitation's BC default policy (SB3 FeedForward32Policy):
 * actor [32, 32] tanh, critic [32, 32] tanh (its weights count in BC's L2
 * exactly as in imitation), log_std_init 0. */
void mimic_model_config_init(mimic_model_config *cfg, int obs_dim, int act_dim,
                             mimic_head_kind head);
/* Checks a configuration; fails with a sentence saying what is wrong. */
mimic_status mimic_model_check_config(const mimic_model_config *cfg);

typedef struct mimic_model {
  mimic_model_config cfg;
  size_t n_params;
  float *params;                 /* ONE allocation: actor | critic | log_std */
  float *grads;                  /* mirrors params */
  mimic_mlp actor;               /* views into params/grads */
  mimic_mlp critic;              /* n_layers == 0 when there is no critic */
  float *log_std, *grad_log_std; /* (act_dim) views for gaussian, else NULL */
  /* Observation normalisation (SB3 VecNormalize): when obs_norm,
   * obs' = clip((obs - mean) / sqrt(var + eps), -clip, clip) (no clip if clip <= 0). */
  bool obs_norm;
  float *obs_mean, *obs_var; /* (obs_dim) */
  float obs_eps, obs_clip;
  float *obs_scale; /* 1/sqrt(var + eps), derived */
  char *metadata;   /* a JSON object as text ("{}" by default) */
  int max_batch;
  float *work;    /* one allocation for obs_buf and dout */
  float *obs_buf; /* (max_batch, obs_dim) normalised observations */
  float *dout;    /* (max_batch, act_dim) dLoss/d(actor output) */
} mimic_model;

/* Allocates a model for cfg with caches for max_batch rows; parameters are
 * zero (call mimic_model_init_params). */
mimic_status mimic_model_create(mimic_model *m, const mimic_model_config *cfg, int max_batch);
/* Frees everything the model holds. */
void mimic_model_free(mimic_model *m);
/* Initialises all parameters from rng (log_std = cfg.log_std_init). */
mimic_status mimic_model_init_params(mimic_model *m, mimic_init_kind kind, mimic_rng *rng);
/* Resizes the caches for max_batch rows. */
mimic_status mimic_model_reserve(mimic_model *m, int max_batch);
/* Sets every gradient to zero. */
void mimic_model_zero_grad(mimic_model *m);
/* Turns on observation normalisation with mean/var (obs_dim), eps > 0, clip. */
mimic_status mimic_model_set_obs_norm(mimic_model *m, const float *mean, const float *var,
                                      float eps, float clip);
/* Replaces the metadata with json, a JSON object (checked, kept as compact
 * JSON; the key "architecture" is reserved for the file's architecture). */
mimic_status mimic_model_set_metadata(mimic_model *m, const char *json);
/* Returns obs (B, obs_dim) normalised into m->obs_buf, or obs itself when
 * normalisation is off; NULL (error set) if B is outside 1..max_batch. */
const float *mimic_model_normalize_obs(mimic_model *m, const float *obs, int B);
/* Actor forward of raw observations (B, obs_dim): logits / mean /
 * prediction (B, act_dim) in m->actor.out. */
mimic_status mimic_model_forward(mimic_model *m, const float *obs, int B);
/* Critic forward: values (B) in m->critic.out. */
mimic_status mimic_model_value(mimic_model *m, const float *obs, int B);
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

/* The kind of a policy file: a model saved by mimic_model_save. */
#define MIMIC_KIND_POLICY "mimic.policy"

/* Writes the model to path atomically as a policy file (docs/model-file.md). */
mimic_status mimic_model_save(const mimic_model *m, const char *path);
/* Encodes the model into a malloc'd buffer (the file's bytes). */
mimic_status mimic_model_encode(const mimic_model *m, uint8_t **buf, size_t *len);
/* Loads a model file into m (caches for max_batch rows). If expect is not
 * NULL, fails unless the file's architecture equals it. m is untouched on
 * failure. */
mimic_status mimic_model_load(const char *path, const mimic_model_config *expect, int max_batch,
                              mimic_model *m);
/* Decodes a model from bytes (name is used in messages). */
mimic_status mimic_model_decode(const void *buf, size_t len, const char *name,
                                const mimic_model_config *expect, int max_batch, mimic_model *m);
/* A deep copy of src into dst (its parameters, normalisation and metadata;
 * caches for max_batch rows), as saving and loading it would give. */
mimic_status mimic_model_copy(const mimic_model *src, int max_batch, mimic_model *dst);
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

#ifdef __cplusplus
}
#endif
#endif
