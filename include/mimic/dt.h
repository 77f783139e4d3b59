/* mimic/dt.h: Decision Transformer (Chen et al. 2021): offline learning as
 * sequence modelling. A small GPT reads the last K steps of a trajectory as
 * (return-to-go, state, action) tokens with timestep embeddings and
 * predicts each step's action; acting, it is told the return it should
 * reach (the target) and the return still to come falls by every reward
 * received. Trained on a dataset with rewards (mimic/data.h, e.g. one of
 * `mimic dataset generate`'s), it can be asked for more than the average
 * episode it saw: conditioned on the expert's return, it imitates the
 * better episodes of a mixed-quality dataset where behavioural cloning
 * copies them all.
 *
 * The recipe is the paper's (and d3rlpy's): windows of K steps starting at
 * a uniformly drawn step of the dataset (a window the episode's end cuts is
 * padded), states standardised by the dataset's mean and std, returns-to-go
 * divided by return_scale, AdamW with a linear warm-up, gradient norm
 * clipped at 0.25, the mean squared error of tanh actions (continuous,
 * actions scaled to [-1, 1] by the Box's bounds) or cross-entropy
 * (discrete). No dropout (mimic's GPT has none). Same configuration, data
 * and seed, one BLAS thread: the same model bit for bit, and a checkpoint
 * resumes to it exactly. See docs/decision-transformer.md. */
#ifndef MIMIC_DT_H
#define MIMIC_DT_H

#include <stdbool.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/data.h"
#include "mimic/evaluate.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_dt_config {
  int context;                 /* K, steps per window (20) */
  int n_layer, n_head, n_embd; /* the GPT (3, 1, 128) */
  int max_ep_len;              /* timestep embeddings (0: the dataset's longest episode) */
  int batch_size;              /* windows per step (64) */
  long steps;                  /* gradient steps (10000) */
  double lr;                   /* AdamW's (1e-4) */
  double weight_decay;         /* AdamW's (1e-4) */
  long warmup_steps;           /* lr rises linearly over these steps (1000) */
  double grad_clip;            /* max gradient norm (0.25) */
  double return_scale;         /* returns-to-go are divided by it (0: the largest |return| of an
                                  episode of the dataset) */
  uint64_t seed;
} mimic_dt_config;

/* The paper's settings for its gym tasks, with 10000 steps, seed 0. */
mimic_dt_config mimic_dt_defaults(void);
/* Checks a configuration; fails with a sentence naming the bad field. */
mimic_status mimic_dt_check(const mimic_dt_config *cfg);

typedef struct mimic_dt mimic_dt;

/* What a learner reports every log interval. */
typedef struct mimic_dt_log {
  long step;          /* gradient steps so far */
  double loss;        /* mean training loss since the last report */
  double lr;          /* the learning rate of the last step */
  double eval_return; /* filled in by callers (NAN if none) */
  double seconds;     /* learning time so far */
} mimic_dt_log;

/* Returns false to stop learning. */
typedef bool (*mimic_dt_callback)(mimic_dt *t, const mimic_dt_log *row, void *user);

/* Prepares a learner on ds's episodes (copied: ds may be freed after);
 * the dataset needs rewards and at least one step. */
mimic_status mimic_dt_create(const mimic_dt_config *cfg, const mimic_dataset *ds, mimic_dt **out);
/* Takes steps gradient steps (0: up to cfg.steps), calling cb every
 * log_every steps (0: never). */
mimic_status mimic_dt_learn(mimic_dt *t, long steps, long log_every, mimic_dt_callback cb,
                            void *user);
/* Gradient steps taken so far. */
long mimic_dt_steps(const mimic_dt *t);
/* The configuration (with return_scale and max_ep_len resolved). */
const mimic_dt_config *mimic_dt_config_of(const mimic_dt *t);
/* The best and mean episode return of the training data (NAN for a loaded model). */
void mimic_dt_data_returns(const mimic_dt *t, double *best, double *mean);

/* Runs `episodes` deterministic episodes of env id (options may be NULL),
 * episode k from reset(seed + k), asking for target_return; fills out as
 * mimic_evaluate does (normalised when normalize and the environment has
 * an expert). */
mimic_status mimic_dt_evaluate(mimic_dt *t, const char *env_id, const char *env_opts,
                               double target_return, int episodes, uint64_t seed, bool normalize,
                               mimic_eval_result *out);

/* Writes the model (a container of kind "mimic.dt": the configuration,
 * spaces, normalisation and parameters; extra_json, an object or NULL, is
 * merged into its metadata) atomically. */
mimic_status mimic_dt_save(const mimic_dt *t, const char *path, const char *extra_json);
/* Reads a model mimic_dt_save wrote; it can evaluate, not learn. */
mimic_status mimic_dt_load(const char *path, mimic_dt **out);
/* Writes everything a resumed run needs (kind "mimic.dt-checkpoint"). */
mimic_status mimic_dt_save_checkpoint(const mimic_dt *t, const char *path);
/* Continues from a checkpoint of a run with the same configuration and data. */
mimic_status mimic_dt_load_checkpoint(mimic_dt *t, const char *path);
/* Frees a learner (NULL is fine). */
void mimic_dt_free(mimic_dt *t);

#ifdef __cplusplus
}
#endif
#endif
