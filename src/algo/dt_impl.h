/* What the Decision Transformer's files share (mimic/dt.h): the learner's
 * struct. dt.c prepares the data and learns, dt_eval.c acts in an
 * environment, dt_io.c saves and loads models and checkpoints. Internal. */
#ifndef MIMIC_ALGO_DT_IMPL_H
#define MIMIC_ALGO_DT_IMPL_H

#include "mimic/dt.h"
#include "mimic/rng.h"
#include "nn/dt_net.h"
#include "nn/optim.h"

struct mimic_dt {
  mimic_dt_config cfg; /* return_scale and max_ep_len resolved */
  mimic_dt_net net;
  mimic_optim opt;
  int S, A; /* state width; actions: continuous width or discrete count */
  int aw;   /* floats per action row (1 when discrete) */
  bool discrete;
  float *obs_mean, *obs_std; /* [S] */
  float *act_low, *act_high; /* [aw] the Box's bounds (continuous) */
  char *env_id;              /* the data's environment (may be NULL) */
  /* the training data (NULL for a loaded model), one row per step */
  size_t n_steps;
  float *states, *actions, *rtg; /* normalised states, actions in [-1, 1] or ids, scaled rtg */
  int32_t *tstep;                /* the step's index in its episode */
  uint64_t *ep_end;              /* [n_steps] one past the last step of the step's episode */
  double best_return, mean_return;
  /* one minibatch of windows (B, K) */
  float *b_states, *b_actions, *b_rtg, *b_mask;
  int32_t *b_t;
  mimic_rng rng; /* draws the windows */
  long step;
  double seconds, loss_sum;
  long loss_n;
};

/* Allocates t's net, optimizer and batch buffers for max_B windows once
 * cfg, S, A, aw and discrete are set. */
mimic_status mimic_dt_alloc(mimic_dt *t, int max_B);

#endif
