/* mimic/bc.h: behavioral cloning, supervised learning on expert pairs.
 *
 * The defaults are the `imitation` library's BC: a 2x32 tanh MLP (SB3's
 * policy, whose value branch counts in the L2 term), batches of 32, Adam
 * with lr 1e-3, ent_weight 1e-3, l2_weight 0. Discrete actions use the
 * categorical loss; continuous actions the Gaussian log-likelihood (or MSE).
 * Observations are standardised with the training set's statistics, which
 * are saved in the policy file (imitation leaves this to the user).
 *
 * Training is a pure function of (data, config, seed): minibatches are a
 * seeded permutation per epoch and nothing else draws random numbers, so a
 * run resumed from a checkpoint ends with the same parameters, bit for
 * bit, as one that was never interrupted. */
#ifndef MIMIC_BC_H
#define MIMIC_BC_H

#include "mimic/comm.h"
#include "mimic/core.h"
#include "mimic/data.h"
#include "mimic/nn.h"
#include "mimic/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_bc_config {
  int n_hidden;
  int hidden[MIMIC_MLP_MAX_LAYERS - 1]; /* default [32, 32] */
  mimic_activation activation;          /* default tanh */
  mimic_head_kind head;                 /* 0 = categorical for Discrete, gaussian for Box */
  mimic_init_kind init;                 /* default orthogonal (SB3) */
  int batch_size;                       /* default 32 */
  double lr;                            /* default 1e-3 */
  double ent_weight;                    /* default 1e-3 */
  double l2_weight;                     /* default 0 */
  double max_grad_norm;                 /* 0 = no clipping (imitation's BC does not clip) */
  long epochs;                          /* default 30 when batches is 0 */
  long batches;                         /* train for this many batches instead of epochs */
  double val_fraction;                  /* episodes held out for validation (default 0) */
  int patience;                         /* stop after this many epochs without a better
                                           validation loss and keep the best (0 = off) */
  bool normalize_obs;                   /* default true */
  uint64_t seed;
  const char *log_path;        /* learning curve, CSV (or JSON Lines for *.jsonl); may be NULL */
  const char *plot_path;       /* learning-curve chart (.png/.svg); may be NULL */
  const char *plot_title;      /* what it learned, for the chart's title ("CartPole-v1 ...");
                                  may be NULL */
  const char *checkpoint_path; /* may be NULL */
  long checkpoint_every;       /* batches between checkpoints (0 = only at the end) */
  bool resume;                 /* continue from checkpoint_path if it exists */
  bool progress;               /* progress bar */
  mimic_conv_config conv;      /* a conv trunk for image observations (n_conv 0: none; see
                                  mimic_model_config_cnn) */
  int gru_hidden;              /* > 0: a recurrent policy (a GRU of this many units) fitted on
                                  whole episodes, batch_size episodes a minibatch */
  mimic_tf_config tf;          /* context > 0: a transformer policy over the last K
                                  observations, fitted on windows of K steps of episodes,
                                  batch_size windows a minibatch */
  mimic_comm *comm;            /* data-parallel over comm's ranks (NULL: one process); see
                                  mimic_bc_fit */
  const mimic_dataset_shard *shard; /* with comm: the transitions are only this rank's shard of
                                       a dataset, and this says where it sits
                                       (mimic_dataset_load_shard); NULL: every rank holds all */
} mimic_bc_config;

/* One row of the learning curve (one epoch). */
typedef struct mimic_bc_epoch {
  long epoch;        /* 1-based */
  long batches;      /* batches trained so far */
  double train_loss; /* mean over the epoch's batches */
  double neglogp, entropy, prob_true_act, l2_norm;
  double val_loss; /* NAN without validation */
  double seconds;  /* since training began */
} mimic_bc_epoch;

typedef struct mimic_bc_report {
  long epochs, batches, samples;
  size_t train_transitions, val_transitions; /* the split trained on and held out */
  double final_train_loss, best_val_loss;
  long best_epoch; /* epoch whose parameters were kept (early stopping) */
  bool stopped_early;
  double seconds;
  mimic_bc_epoch *curve; /* [epochs] rows, malloc'd; free with mimic_bc_report_free */
} mimic_bc_report;

/* imitation's defaults (see above). */
mimic_bc_config mimic_bc_defaults(void);
/* Checks a configuration against a training set; fails with a sentence. */
mimic_status mimic_bc_check(const mimic_bc_config *cfg, const mimic_transitions *t);
/* Creates and initialises a model for the training set's shapes (seeded),
 * with observation statistics of all its rows when normalize_obs (sharded,
 * cfg->shard: of every rank's rows, one process's statistics bit for bit;
 * then a collective, called by every rank). */
mimic_status mimic_bc_model_create(const mimic_bc_config *cfg, const mimic_transitions *t,
                                   mimic_model *model);
/* Trains model on the transitions t (a dataset's: mimic_dataset_transitions).
 * A fresh model comes from mimic_bc_model_create; a trained one is
 * warm-started (DAgger). Validation episodes (transitions, when t has no
 * episodes) are held out when cfg->val_fraction > 0; weights scale each
 * transition's loss.
 * With a communicator of several ranks (cfg->comm), every rank holds the
 * same transitions and draws the same global batch; each takes its slice
 * (rank r of N: rows [r B/N, (r+1) B/N)), and the slices' gradients,
 * weighted by their share of the batch, are summed in one all-reduce, so
 * every rank steps Adam on the whole batch's gradient and the model equals
 * one process's up to float summation order. With cfg->shard each rank
 * holds only its episodes: the validation split and every epoch's
 * permutation are drawn over the whole dataset's rows, as one process
 * draws them, and each rank computes on the rows of each global batch it
 * holds (a rank holding none adds zeros); validation losses are summed
 * over the ranks. Only rank 0 writes the log,
 * chart and checkpoint; the parameters are checked to be identical on
 * every rank at each checkpoint and at the end. MLP and CNN policies only. */
mimic_status mimic_bc_fit(const mimic_bc_config *cfg, const mimic_transitions *t,
                          mimic_model *model, mimic_bc_report *report);
/* Frees the learning curve of a report. */
void mimic_bc_report_free(mimic_bc_report *r);

/* A learner (mimic/policy.h) that fits by behavioral cloning with cfg (its
 * files, resume and progress settings are ignored): the network is made at
 * the first fit from that set's statistics; a warm fit trains it further.
 * Saved files are policy files for env_id's spaces, with meta_json (a JSON
 * object text, may be NULL) in their metadata. */
mimic_status mimic_bc_learner(const mimic_bc_config *cfg, const char *env_id,
                              const mimic_space *obs_space, const mimic_space *act_space,
                              const char *meta_json, mimic_policy **out);
/* Starts a BC learner from a copy of a trained network (a clone to refine). */
mimic_status mimic_bc_learner_start(mimic_policy *learner, const mimic_model *init);
/* The network of a BC learner (NULL before its first fit or for another policy). */
mimic_model *mimic_bc_learner_model(mimic_policy *learner);

#ifdef __cplusplus
}
#endif
#endif
