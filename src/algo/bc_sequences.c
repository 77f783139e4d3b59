/* BC for policies with memory: a GRU policy learns from whole episodes.
 *
 * A minibatch is batch_size episodes, drawn without replacement from a
 * seeded permutation renewed every epoch, laid out as (B, T, obs_dim) with
 * T the longest of them; shorter episodes are padded and masked out of the
 * loss, which is the mean over real steps of imitation's BC loss. Each
 * sequence starts from the zero state, as the policy does at an episode's
 * first step, and gradients flow through the whole episode (demonstrations
 * are short enough; the layer itself takes chunks for longer ones). One
 * epoch is ceil(episodes / B) minibatches. Buffers are sized once for the
 * longest episode.
 *
 * A transformer policy learns from windows instead, as a GPT does: each of
 * the B windows starts at a uniformly drawn step and runs for K steps
 * (its context) or to its episode's end, padded and masked after that; an
 * epoch is ceil(steps / (B K')) minibatches, K' = min(K, longest episode),
 * so every step is seen about K' times an epoch in the windows' positions. */
#include "algo/bc_sequences.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "nn/model.h"
#include "nn/optim.h"

mimic_status mimic_bc_fit_sequences(const mimic_bc_config *cfg, const mimic_transitions *t,
                                    mimic_model *model, mimic_bc_report *report) {
  memset(report, 0, sizeof *report);
  if (t->act_space->kind != MIMIC_SPACE_DISCRETE)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a recurrent or transformer policy needs discrete actions");
  if (!t->ep_start || t->n_episodes == 0)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a recurrent or transformer policy learns from episodes; the "
                      "data has "
                      "none");
  if (cfg->val_fraction > 0 || cfg->checkpoint_path || cfg->resume || cfg->log_path ||
      cfg->plot_path)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a recurrent or transformer policy does not take validation, "
                      "checkpoints, logs or plots yet");
  const size_t E = t->n_episodes, D = (size_t)t->obs_dim, N = t->ep_start[E];
  const bool windows = model->tf != NULL;
  enum { MAX_SEQ_BATCH = 1024 };
  int B = windows || cfg->batch_size < (int)E ? cfg->batch_size : (int)E;
  if (B > MAX_SEQ_BATCH) B = MAX_SEQ_BATCH;
  size_t T_max = 0;
  for (size_t e = 0; e < E; e++)
    if (t->ep_start[e + 1] - t->ep_start[e] > T_max) T_max = t->ep_start[e + 1] - t->ep_start[e];
  if (T_max == 0) return mimic_fail(MIMIC_ERR_INVALID, "the episodes have no steps");
  if (windows && T_max > (size_t)model->cfg.tf.context) T_max = (size_t)model->cfg.tf.context;
  if ((size_t)B * T_max > (1u << 24))
    return mimic_fail(MIMIC_ERR_INVALID, "%d episodes of %zu steps are too large a batch", B,
                      T_max);
  const size_t rows = (size_t)B * T_max;
  MIMIC_TRY(mimic_model_reserve(model, (int)rows));
  float *obs = mimic_malloc(rows * D * sizeof(float), "a batch of episodes");
  float *mask = mimic_malloc(rows * sizeof(float), "a batch of episodes");
  int32_t *acts = mimic_malloc(rows * sizeof(int32_t), "a batch of episodes");
  uint32_t *perm = mimic_malloc(E * sizeof(uint32_t), "an episode order");
  mimic_optim opt = {0};
  mimic_status st = obs && mask && acts && perm ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) {
    mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
    oc.lr = cfg->lr;
    st = mimic_optim_create(&opt, &oc, model->n_params);
  }
  const size_t per_batch = windows ? (size_t)B * T_max : (size_t)B;
  const long per_epoch = (long)(((windows ? N : E) + per_batch - 1) / per_batch);
  const long total =
      cfg->batches > 0 ? cfg->batches : (cfg->epochs > 0 ? cfg->epochs : 30) * per_epoch;
  mimic_rng rng;
  mimic_rng_seed(&rng, cfg->seed ^ 0x5e9u);
  mimic_progress bar;
  mimic_progress_begin(&bar, windows ? "train bc (transformer)" : "train bc (gru)", "batch",
                       (uint64_t)total);
  if (!cfg->progress) bar.active = false;
  double t0 = mimic_now(), epoch_loss = 0, last_epoch_loss = NAN;
  long done = 0, steps = 0, in_epoch = 0;
  size_t pos = E;
  while (st == MIMIC_OK && done < total) {
    /* the next B episodes of the permutation (a new one each epoch) */
    int T = windows ? (int)T_max : 0, nb = B;
    size_t firsts[MAX_SEQ_BATCH], lens[MAX_SEQ_BATCH];
    for (int b = 0; b < B; b++) {
      if (windows) { /* a window from a uniformly drawn step */
        size_t j = (size_t)mimic_rng_integers(&rng, 0, (int64_t)N), lo = 0, hi = E;
        while (hi - lo > 1) { /* the episode holding step j */
          size_t mid = (lo + hi) / 2;
          if (t->ep_start[mid] <= j)
            lo = mid;
          else
            hi = mid;
        }
        firsts[b] = j;
        lens[b] = t->ep_start[lo + 1] - j < T_max ? t->ep_start[lo + 1] - j : T_max;
        continue;
      }
      if (pos == E) {
        mimic_rng_permutation(&rng, perm, E);
        pos = 0;
      }
      uint32_t e = perm[pos++];
      firsts[b] = t->ep_start[e];
      lens[b] = t->ep_start[e + 1] - firsts[b];
      if ((int)lens[b] > T) T = (int)lens[b];
    }
    for (int b = 0; b < nb; b++) {
      size_t first = firsts[b], len = lens[b];
      for (int k = 0; k < T; k++) {
        size_t r = (size_t)b * T + k;
        if ((size_t)k < len) {
          size_t j = first + k, src = t->obs_row ? t->obs_row[j] : j;
          memcpy(obs + r * D, t->obs + src * D, D * sizeof(float));
          acts[r] = (int32_t)t->act[j];
          mask[r] = t->weight ? t->weight[j] : 1.0f;
          steps++;
        } else {
          memset(obs + r * D, 0, D * sizeof(float));
          acts[r] = 0;
          mask[r] = 0.0f;
        }
      }
    }
    mimic_model_zero_grad(model);
    mimic_bc_stats stats;
    st = mimic_model_bc_sequences(model, obs, acts, mask, nb, T, (float)cfg->ent_weight,
                                  (float)cfg->l2_weight, &stats);
    if (st) break;
    if (!isfinite(stats.loss)) {
      st = mimic_fail(MIMIC_ERR_RANGE,
                      "the loss became %g at batch %ld (try a smaller learning "
                      "rate)",
                      stats.loss, done + 1);
      break;
    }
    if (cfg->max_grad_norm > 0)
      mimic_clip_grad_norm(model->grads, model->n_params, (float)cfg->max_grad_norm);
    mimic_optim_step(&opt, model->params, model->grads);
    done++;
    epoch_loss += stats.loss;
    if (++in_epoch == per_epoch) {
      last_epoch_loss = epoch_loss / (double)in_epoch;
      report->epochs++;
      mimic_progress_note(&bar, "epoch %ld loss %.4f", report->epochs, last_epoch_loss);
      epoch_loss = 0;
      in_epoch = 0;
    }
    mimic_progress_update(&bar, (uint64_t)done);
  }
  mimic_progress_end(&bar);
  if (in_epoch > 0) last_epoch_loss = epoch_loss / (double)in_epoch;
  report->batches = done;
  report->samples = steps;
  report->train_transitions = N; /* every step is trained on (no validation split) */
  report->final_train_loss = last_epoch_loss;
  report->best_val_loss = NAN;
  report->seconds = mimic_now() - t0;
  mimic_optim_free(&opt);
  free(obs);
  free(mask);
  free(acts);
  free(perm);
  return st;
}
