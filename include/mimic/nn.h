/* mimic/nn.h: the policy network, made, run, saved and loaded.
 *
 * A model is an actor MLP (logits for a categorical head, the mean for a
 * Gaussian or a regression head), an optional critic MLP and a Gaussian
 * head's state-independent log_std, with observation normalisation and JSON
 * metadata. It is what BC (mimic/bc.h) and PPO (mimic/ppo.h) train and what
 * a policy file holds (a model container of kind "mimic.policy",
 * docs/model-file.md); mimic_policy_from_model (mimic/policy.h) makes it act.
 *
 * Shapes are written (rows, cols) and every matrix is row-major. A Linear
 * layer keeps PyTorch's layout: W is (out, in), b is (out), y = x W^T + b.
 *
 * Memory (the llm.c way). An MLP's parameters live in one contiguous float
 * array (layer 0 W, layer 0 b, layer 1 W, ...) and its activations in one
 * cache sized at setup for a maximum batch; a model puts ALL its trainable
 * floats (actor, critic, log_std) in one allocation, with gradients in a
 * mirror of it. Nothing is allocated in a forward pass.
 *
 * Initialisation: models default to SB3's orthogonal init
 * (MIMIC_INIT_ORTHOGONAL = 0), as the SB3 policies that imitation's BC
 * trains are initialised; MIMIC_INIT_TORCH is PyTorch's nn.Linear default.
 *
 * The layers, heads, losses and optimizers under the trainers are internal
 * to mimic (src/nn/, docs/nn.md). */
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

/* ---- networks ------------------------------------------------------------ */

typedef enum mimic_activation {
  MIMIC_ACT_TANH = 0,
  MIMIC_ACT_RELU = 1,
} mimic_activation;

/* Returns "tanh" or "relu" (NULL for an unknown value). */
const char *mimic_activation_name(mimic_activation act);

/* An MLP: Linear, act, Linear, act, ..., Linear (the actor and the critic
 * of a model; its functions are internal to mimic). */
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

#define MIMIC_MODEL_MAX_CONV 8 /* conv layers of a model's image trunk */

/* A convolutional trunk in front of the actor: observations are images
 * (C, H, W) = image, flattened in that order (obs_dim = C*H*W); each layer
 * is a conv2d (zero padding) + ReLU, and the actor MLP reads the last
 * layer's output flattened (PyTorch's order). */
typedef struct mimic_conv_config {
  int n_conv; /* 0: no trunk, the actor reads observations */
  int image[3];
  int channels[MIMIC_MODEL_MAX_CONV], kernel[MIMIC_MODEL_MAX_CONV];
  int stride[MIMIC_MODEL_MAX_CONV], pad[MIMIC_MODEL_MAX_CONV];
} mimic_conv_config;

/* A transformer trunk in front of the actor (a policy that reads the last
 * `context` observations, each one token; see docs/nn.md). */
typedef struct mimic_tf_config {
  int context; /* K > 0: a transformer over the last K observations; 0: none */
  int layers, heads, embd;
} mimic_tf_config;

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
  float log_std_init;     /* gaussian only (SB3 default 0) */
  mimic_conv_config conv; /* n_conv = 0: none */
  int gru_hidden;         /* > 0: a GRU of this many units reads the observations and the
                             actor reads its state (a policy with memory); 0: none */
  mimic_tf_config tf;     /* context 0: none */
  bool squash;            /* gaussian/regression: the action is tanh(output) scaled from [-1, 1]
                             to the Box's bounds (SAC, TD3 and the offline actors) */
} mimic_model_config;

/* Fills cfg with imitation's BC default policy (SB3 FeedForward32Policy):
 * actor [32, 32] tanh, critic [32, 32] tanh (its weights count in BC's L2
 * exactly as in imitation), log_std_init 0. */
void mimic_model_config_init(mimic_model_config *cfg, int obs_dim, int act_dim,
                             mimic_head_kind head);
/* Checks a configuration; fails with a sentence saying what is wrong. */
mimic_status mimic_model_check_config(const mimic_model_config *cfg);
/* Gives cfg a convolutional trunk for images (c, h, w) (obs_dim must be
 * c*h*w): SB3's NatureCNN (32 8x8/4, 64 4x4/2, 64 3x3/1) with one hidden
 * layer of 512 when h and w are at least 36; below 9 (a 7x7 gridworld
 * view) 16, 32, 64 2x2/1 with [64]; else 16 5x5/2, 32 3x3/2 with [64];
 * ReLU, no critic (an image critic would need a trunk of its own). */
mimic_status mimic_model_config_cnn(mimic_model_config *cfg, int c, int h, int w);

typedef struct mimic_model {
  mimic_model_config cfg;
  size_t n_params;
  float *params;                 /* ONE allocation: trunk | actor | critic | log_std */
  float *grads;                  /* mirrors params */
  struct mimic_cnn *trunk;       /* the conv trunk (cfg.conv), or NULL */
  struct mimic_gru_trunk *gru;   /* the recurrent trunk (cfg.gru_hidden), or NULL */
  struct mimic_tf_trunk *tf;     /* the transformer trunk (cfg.tf), or NULL */
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
/* Turns on observation normalisation with mean/var (obs_dim), eps > 0, clip. */
mimic_status mimic_model_set_obs_norm(mimic_model *m, const float *mean, const float *var,
                                      float eps, float clip);
/* Replaces the metadata with json, a JSON object (checked, kept as compact
 * JSON; the key "architecture" is reserved for the file's architecture). */
mimic_status mimic_model_set_metadata(mimic_model *m, const char *json);
/* Actor forward (through the trunk, if any) of raw observations (B,
 * obs_dim): logits / mean / prediction (B, act_dim) in m->actor.out. A
 * recurrent model answers from a zero state (an episode's first step). */
mimic_status mimic_model_forward(mimic_model *m, const float *obs, int B);
/* Critic forward: values (B) in m->critic.out. */
mimic_status mimic_model_value(mimic_model *m, const float *obs, int B);

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

#ifdef __cplusplus
}
#endif
#endif
