/* Behavioral cloning: the trainer loop, validation, early stopping,
 * checkpoints and the learning curve.
 *
 * The loop is imitation's BC.train: for every minibatch (drawn without
 * replacement, the short last batch dropped), zero the gradients, add the
 * BC loss's gradient, step Adam. Buffers are allocated once before the
 * loop. A checkpoint holds the model, Adam's moments and step count, the
 * sampler's position and the partial sums of the epoch in progress, which
 * is everything the loop's future depends on: resuming replays the exact
 * same arithmetic. */
#include "mimic/bc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/plot.h"
#include "core/util.h"
#include "nn/heads.h"
#include "nn/optim.h"
#include "nn/model.h"
#include "algo/bc_sequences.h"
#include "algo/bc_shard.h"

mimic_bc_config mimic_bc_defaults(void) {
  return (mimic_bc_config){.n_hidden = 2,
                           .hidden = {32, 32},
                           .activation = MIMIC_ACT_TANH,
                           .init = MIMIC_INIT_ORTHOGONAL,
                           .batch_size = 32,
                           .lr = 1e-3,
                           .ent_weight = 1e-3,
                           .l2_weight = 0,
                           .epochs = 0,
                           .batches = 0,
                           .val_fraction = 0,
                           .patience = 0,
                           .normalize_obs = true,
                           .seed = 0,
                           .progress = true};
}

static long default_epochs(const mimic_bc_config *cfg) {
  return cfg->epochs > 0 ? cfg->epochs : 30;
}

static mimic_head_kind head_for(const mimic_bc_config *cfg, const mimic_transitions *t) {
  if (t->act_space->kind == MIMIC_SPACE_DISCRETE) return MIMIC_HEAD_CATEGORICAL;
  return cfg->head ? cfg->head : MIMIC_HEAD_GAUSSIAN;
}

mimic_status mimic_bc_check(const mimic_bc_config *cfg, const mimic_transitions *t) {
  if (cfg->batch_size < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "batch size must be at least 1, got %d", cfg->batch_size);
  if (!(cfg->lr > 0 && isfinite(cfg->lr)))
    return mimic_fail(MIMIC_ERR_INVALID, "learning rate must be positive, got %g", cfg->lr);
  if (!(cfg->ent_weight >= 0) || !(cfg->l2_weight >= 0))
    return mimic_fail(MIMIC_ERR_INVALID, "ent_weight and l2_weight must be >= 0");
  if (cfg->epochs < 0 || cfg->batches < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "epochs and batches must be >= 0");
  if (cfg->epochs > 0 && cfg->batches > 0)
    return mimic_fail(MIMIC_ERR_INVALID, "give epochs or batches, not both");
  if (!(cfg->val_fraction >= 0 && cfg->val_fraction < 1))
    return mimic_fail(MIMIC_ERR_INVALID, "validation fraction must be in [0, 1), got %g",
                      cfg->val_fraction);
  if (cfg->patience < 0) return mimic_fail(MIMIC_ERR_INVALID, "patience must be >= 0");
  if (cfg->patience > 0 && cfg->val_fraction <= 0)
    return mimic_fail(MIMIC_ERR_INVALID, "early stopping (patience) needs a validation fraction");
  if (!(cfg->max_grad_norm >= 0))
    return mimic_fail(MIMIC_ERR_INVALID, "max_grad_norm must be >= 0");
  if (mimic_comm_parallel(cfg->comm) && cfg->batch_size < cfg->comm->size)
    return mimic_fail(MIMIC_ERR_INVALID, "a batch of %d cannot be split over %d ranks",
                      cfg->batch_size, cfg->comm->size);
  if (cfg->shard && !mimic_comm_parallel(cfg->comm) &&
      (cfg->shard->first_step != 0 || cfg->shard->steps != t->n))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a shard of %zu of the dataset's %llu transitions needs the other ranks "
                      "(a communicator)",
                      t->n, (unsigned long long)cfg->shard->steps);
  if (mimic_comm_parallel(cfg->comm) && (cfg->gru_hidden || cfg->tf.context))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a %s policy trains on one process only (not with %d ranks)",
                      cfg->gru_hidden ? "recurrent" : "transformer", cfg->comm->size);
  if (cfg->n_hidden < 0 || cfg->n_hidden > MIMIC_MLP_MAX_LAYERS - 1)
    return mimic_fail(MIMIC_ERR_INVALID, "between 0 and %d hidden layers, got %d",
                      MIMIC_MLP_MAX_LAYERS - 1, cfg->n_hidden);
  MIMIC_TRY(mimic_transitions_check(t));
  bool discrete = t->act_space->kind == MIMIC_SPACE_DISCRETE;
  if (discrete && cfg->head && cfg->head != MIMIC_HEAD_CATEGORICAL)
    return mimic_fail(MIMIC_ERR_INVALID, "discrete actions need the categorical head");
  if (discrete && t->act_dim != 1)
    return mimic_fail(MIMIC_ERR_INVALID, "discrete actions are one value each, not %d", t->act_dim);
  if (!discrete && cfg->head == MIMIC_HEAD_CATEGORICAL)
    return mimic_fail(MIMIC_ERR_INVALID, "continuous actions need a gaussian or regression head");
  return MIMIC_OK;
}

/* Whether each rank holds only its shard of the data. */
static bool sharded(const mimic_bc_config *cfg) {
  return cfg->shard && mimic_comm_parallel(cfg->comm);
}

/* mimic_transitions_check_scale's test on statistics gathered from shards
 * (the values are on other ranks, so the message cannot point at one). */
static mimic_status check_scale(const mimic_obs_stats *st) {
  for (int c = 0; c < st->dim; c++) {
    double s = sqrt(st->m2[c] / (double)st->count);
    float var = (float)s * (float)s;
    if (!isfinite(s) || !isfinite(var))
      return mimic_fail(MIMIC_ERR_RANGE,
                        "observations: column %d cannot be standardised: its standard deviation "
                        "%.3g squared is beyond float32; rescale the column or train without "
                        "observation normalisation",
                        c, s);
  }
  return MIMIC_OK;
}

mimic_status mimic_bc_model_create(const mimic_bc_config *cfg, const mimic_transitions *t,
                                   mimic_model *model) {
  MIMIC_TRY(mimic_bc_check(cfg, t));
  mimic_head_kind head = head_for(cfg, t);
  int act_dim = head == MIMIC_HEAD_CATEGORICAL ? t->act_space->n : t->act_dim;
  mimic_model_config mc;
  mimic_model_config_init(&mc, t->obs_dim, act_dim, head);
  mc.n_hidden = cfg->n_hidden;
  for (int i = 0; i < cfg->n_hidden; i++) mc.hidden[i] = cfg->hidden[i];
  mc.activation = cfg->activation;
  /* imitation's policy carries a value branch that BC never trains; its only
   * effect is on the L2 term, so it is there only when L2 is on */
  mc.critic = cfg->l2_weight > 0;
  if (cfg->conv.n_conv) {
    mc.conv = cfg->conv;
    mc.critic = false; /* an image critic would need a trunk of its own */
  }
  if (cfg->tf.context) {
    mc.tf = cfg->tf;
    mc.critic = false;
  }
  if (cfg->gru_hidden) {
    mc.gru_hidden = cfg->gru_hidden;
    mc.critic = false;
  }
  MIMIC_TRY(mimic_model_create(model, &mc, cfg->batch_size));
  mimic_rng rng;
  mimic_rng_seed(&rng, cfg->seed);
  mimic_status st = mimic_model_init_params(model, cfg->init, &rng);
  if (st == MIMIC_OK && cfg->normalize_obs) {
    mimic_obs_stats stats = {0};
    if (sharded(cfg)) { /* every rank's rows, as one process sees them */
      st = bc_shard_obs_stats(cfg->comm, t, &stats);
      if (st == MIMIC_OK) st = check_scale(&stats);
    } else {
      st = mimic_transitions_check_scale(t);
      if (st == MIMIC_OK) st = mimic_obs_stats_of_transitions(&stats, t, NULL, 0);
    }
    float *mean = mimic_malloc((size_t)t->obs_dim * 2 * sizeof(float), "normalisation");
    if (st == MIMIC_OK && !mean) st = MIMIC_ERR_NOMEM;
    if (st == MIMIC_OK) {
      float *std = mean + t->obs_dim;
      mimic_obs_stats_normalizer(&stats, 1e-6, mean, std);
      for (int i = 0; i < t->obs_dim; i++) std[i] = std[i] * std[i]; /* the model takes variances */
      st = mimic_model_set_obs_norm(model, mean, std, 1e-8f, 10.0f);
    }
    free(mean);
    mimic_obs_stats_free(&stats);
  }
  if (st != MIMIC_OK) mimic_model_free(model);
  return st;
}

void mimic_bc_report_free(mimic_bc_report *r) {
  free(r->curve);
  r->curve = NULL;
}

/* ---- checkpoints ---------------------------------------------------------- */

#define CKPT_MAGIC "MIMICCKP"
#define CKPT_VERSION 1u

/* The trainer state that, with the model, decides the rest of a run. */
typedef struct loop_state {
  uint64_t sampler_epoch, sampler_pos;
  int64_t batches_done, epochs_done;
  double epoch_loss, epoch_neglogp, epoch_entropy, epoch_prob, epoch_l2; /* partial sums */
  int64_t epoch_batches;
  double best_val;
  int64_t best_epoch, bad_epochs;
} loop_state;

/* Layout: magic, version, model bytes (length-prefixed), Adam's t, m, v,
 * the loop state, the learning curve so far, the best parameters (early
 * stopping), CRC-32 of everything before it. */
static mimic_status checkpoint_save(const char *path, const mimic_model *model,
                                    const mimic_optim *opt, const loop_state *ls,
                                    const mimic_bc_epoch *curve, uint64_t n_rows,
                                    const float *best) {
  uint8_t *mbuf;
  size_t mlen;
  MIMIC_TRY(mimic_model_encode(model, &mbuf, &mlen));
  mimic_atomic_file f;
  mimic_status st = mimic_atomic_open(&f, path);
  if (st) {
    free(mbuf);
    return st;
  }
  uint32_t crc = 0, version = CKPT_VERSION;
  uint64_t mlen64 = mlen, n = opt->n;
  int64_t t = opt->t;
  bool ok = true;
#define PUT(ptr, bytes)                                                                            \
  do {                                                                                             \
    ok = ok && fwrite((ptr), 1, (bytes), f.fp) == (bytes);                                         \
    crc = mimic_crc32(crc, (ptr), (bytes));                                                        \
  } while (0)
  PUT(CKPT_MAGIC, 8);
  PUT(&version, sizeof version);
  PUT(&mlen64, sizeof mlen64);
  PUT(mbuf, mlen);
  PUT(&n, sizeof n);
  PUT(&t, sizeof t);
  PUT(opt->m, n * sizeof(float));
  PUT(opt->v, n * sizeof(float));
  PUT(ls, sizeof *ls);
  PUT(&n_rows, sizeof n_rows);
  PUT(curve, n_rows * sizeof *curve);
  uint64_t n_best = best ? n : 0;
  PUT(&n_best, sizeof n_best);
  if (best) PUT(best, n * sizeof(float));
#undef PUT
  ok = ok && fwrite(&crc, 1, sizeof crc, f.fp) == sizeof crc;
  free(mbuf);
  if (!ok) {
    mimic_atomic_abort(&f);
    return mimic_fail(MIMIC_ERR_IO, "%s: cannot write checkpoint", path);
  }
  return mimic_atomic_commit(&f);
}

/* Reads a checkpoint into model (same architecture), opt, ls, the curve
 * (up to curve_cap rows) and best (when it was saved with one). */
static mimic_status checkpoint_load(const char *path, mimic_model *model, mimic_optim *opt,
                                    loop_state *ls, mimic_bc_epoch *curve, long curve_cap,
                                    long *n_rows, float *best) {
  char *buf;
  size_t len;
  MIMIC_TRY(mimic_read_file(path, &buf, &len));
  const uint8_t *p = (const uint8_t *)buf, *end = p + (len >= 4 ? len - 4 : 0);
  mimic_status st = MIMIC_OK;
  uint32_t version, crc_file;
  uint64_t mlen, n, rows, n_best;
  int64_t t;
  const uint8_t *q = p + 20, *mbytes, *m, *v, *lsp, *rowp, *bestp;
  if (len < 24 || memcmp(p, CKPT_MAGIC, 8) != 0) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: not a mimic checkpoint", path);
    goto done;
  }
  memcpy(&crc_file, end, 4);
  if (mimic_crc32(0, p, len - 4) != crc_file) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: checkpoint is damaged (checksum mismatch)", path);
    goto done;
  }
  memcpy(&version, p + 8, 4);
  memcpy(&mlen, p + 12, 8);
  if (version != CKPT_VERSION) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: checkpoint version %u, this mimic reads %u", path,
                    version, CKPT_VERSION);
    goto done;
  }
#define TAKE(dst, bytes)                                                                           \
  do {                                                                                             \
    if ((uint64_t)(end - q) < (uint64_t)(bytes)) goto truncated;                                   \
    dst = q;                                                                                       \
    q += (bytes);                                                                                  \
  } while (0)
  TAKE(mbytes, mlen);
  const uint8_t *tmp;
  TAKE(tmp, 16);
  memcpy(&n, tmp, 8);
  memcpy(&t, tmp + 8, 8);
  if (n != opt->n) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: checkpoint is for another model (%llu parameters, want %zu)", path,
                    (unsigned long long)n, opt->n);
    goto done;
  }
  TAKE(m, n * sizeof(float));
  TAKE(v, n * sizeof(float));
  TAKE(lsp, sizeof *ls);
  TAKE(tmp, 8);
  memcpy(&rows, tmp, 8);
  if (rows > (uint64_t)curve_cap) goto truncated;
  TAKE(rowp, rows * sizeof *curve);
  TAKE(tmp, 8);
  memcpy(&n_best, tmp, 8);
  if (n_best != 0 && n_best != n) goto truncated;
  TAKE(bestp, n_best * sizeof(float));
  if (q != end) goto truncated;
#undef TAKE
  mimic_model loaded;
  st = mimic_model_decode(mbytes, mlen, path, &model->cfg, model->max_batch, &loaded);
  if (st) goto done;
  mimic_model_free(model);
  *model = loaded;
  memcpy(opt->m, m, n * sizeof(float));
  memcpy(opt->v, v, n * sizeof(float));
  opt->t = t;
  memcpy(ls, lsp, sizeof *ls);
  memcpy(curve, rowp, rows * sizeof *curve);
  *n_rows = (long)rows;
  if (best) memcpy(best, n_best ? bestp : (const uint8_t *)model->params, n * sizeof(float));
  goto done;
truncated:
  st = mimic_fail(MIMIC_ERR_FORMAT, "%s: checkpoint is inconsistent or truncated", path);
done:
  free(buf);
  return st;
}

/* ---- the learning-curve log and chart -------------------------------------- */

static mimic_status log_rows(const char *path, const mimic_bc_epoch *rows, long n) {
  /* rewritten whole each epoch: small, and never torn */
  mimic_atomic_file f;
  MIMIC_TRY(mimic_atomic_open(&f, path));
  bool jsonl = mimic_ends_with(path, ".jsonl");
  if (!jsonl)
    fprintf(f.fp,
            "epoch,batches,train_loss,neglogp,entropy,prob_true_act,l2_norm,val_loss,seconds\n");
  for (long i = 0; i < n; i++) {
    const mimic_bc_epoch *r = &rows[i];
    char val[32] = "null";
    if (!isnan(r->val_loss)) snprintf(val, sizeof val, "%.9g", r->val_loss);
    if (jsonl)
      fprintf(f.fp,
              "{\"epoch\": %ld, \"batches\": %ld, \"train_loss\": %.9g, \"neglogp\": %.9g, "
              "\"entropy\": %.9g, "
              "\"prob_true_act\": %.9g, \"l2_norm\": %.9g, \"val_loss\": %s, \"seconds\": %.4f}\n",
              r->epoch, r->batches, r->train_loss, r->neglogp, r->entropy, r->prob_true_act,
              r->l2_norm, val, r->seconds);
    else
      fprintf(f.fp, "%ld,%ld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.4f\n", r->epoch, r->batches,
              r->train_loss, r->neglogp, r->entropy, r->prob_true_act, r->l2_norm, r->val_loss,
              r->seconds);
  }
  return mimic_atomic_commit(&f);
}

static mimic_status plot_curve(const char *path, const char *cfg_title, const mimic_bc_epoch *rows,
                               long n) {
  double *x = mimic_malloc((size_t)(n ? n : 1) * 3 * sizeof *x, "chart data");
  if (!x) return MIMIC_ERR_NOMEM;
  double *train = x + n, *val = x + 2 * n;
  bool has_val = false;
  for (long i = 0; i < n; i++) {
    x[i] = (double)rows[i].epoch;
    train[i] = rows[i].train_loss;
    val[i] = rows[i].val_loss;
    has_val |= !isnan(val[i]);
  }
  char title[200];
  snprintf(title, sizeof title, "behavioral cloning%s%s", cfg_title ? ": " : "",
           cfg_title ? cfg_title : "");
  mimic_plot *p = mimic_plot_new(title, "epoch", "loss");
  mimic_status st = p ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) st = mimic_plot_line(p, "train", x, train, (int)n, n < 40);
  if (st == MIMIC_OK && has_val) st = mimic_plot_line(p, "validation", x, val, (int)n, n < 40);
  if (st == MIMIC_OK) st = mimic_plot_save(p, path);
  mimic_plot_free(p);
  free(x);
  return st;
}

/* ---- training ---------------------------------------------------------------- */

typedef struct bufs {
  float *obs, *act, *weight;
  int32_t *acts;
  uint32_t *val_rows; /* local ids of the validation rows this process holds */
  size_t n_val_rows;  /* ... how many */
  size_t n_val_total; /* of the validation rows of every rank */
  uint32_t *own;      /* sharded: the local ids of this rank's rows of a batch */
  float *best;
  float *reduce; /* data-parallel: the gradients and the batch's numbers, summed over ranks */
} bufs;

/* The curve row of epoch from the partial sums in ls (val_loss left NAN). */
static mimic_bc_epoch epoch_row(const loop_state *ls, long epoch, double l2_norm, double seconds) {
  return (mimic_bc_epoch){.epoch = epoch,
                          .batches = ls->batches_done,
                          .train_loss = ls->epoch_loss / (double)ls->epoch_batches,
                          .neglogp = ls->epoch_neglogp / (double)ls->epoch_batches,
                          .entropy = ls->epoch_entropy / (double)ls->epoch_batches,
                          .prob_true_act = ls->epoch_prob / (double)ls->epoch_batches,
                          .l2_norm = l2_norm,
                          .val_loss = NAN,
                          .seconds = seconds};
}

/* Runs the BC loss (and its gradient into model->grads) on one batch. */
/* weight is NULL when the training set has no weights. */
static mimic_status batch_loss(const mimic_bc_config *cfg, mimic_model *model, bool discrete,
                               const float *obs, const float *act, const float *weight,
                               int32_t *acts, int n, mimic_bc_stats *stats) {
  if (discrete) {
    for (int i = 0; i < n; i++) acts[i] = (int32_t)act[i];
    return mimic_model_bc_discrete(model, obs, acts, weight, n, (float)cfg->ent_weight,
                                   (float)cfg->l2_weight, stats);
  }
  return mimic_model_bc_continuous(model, obs, act, weight, n, (float)cfg->ent_weight,
                                   (float)cfg->l2_weight, stats);
}

static mimic_status validation_loss(const mimic_bc_config *cfg, const mimic_transitions *t,
                                    mimic_model *model, bool discrete, bufs *b, double *out) {
  double total = 0;
  mimic_batch batch = {.obs = b->obs, .act = b->act, .weight = b->weight};
  for (size_t off = 0; off < b->n_val_rows; off += (size_t)cfg->batch_size) {
    size_t n = b->n_val_rows - off < (size_t)cfg->batch_size ? b->n_val_rows - off
                                                             : (size_t)cfg->batch_size;
    mimic_transitions_gather(t, b->val_rows + off, n, &batch);
    mimic_bc_stats stats;
    MIMIC_TRY(batch_loss(cfg, model, discrete, b->obs, b->act, b->weight, b->acts, (int)n, &stats));
    total += stats.loss * (double)n;
  }
  mimic_model_zero_grad(model);
  if (sharded(cfg)) { /* every rank's rows: the sums of the losses, summed */
    b->reduce[0] = (float)total;
    MIMIC_TRY(cfg->comm->allreduce_sum(cfg->comm, b->reduce, 1));
    total = b->reduce[0];
  }
  *out = total / (double)b->n_val_total;
  return MIMIC_OK;
}

/* The batch's numbers a data-parallel step sums with the gradients. */
#define N_SHARED 5

/* Data-parallel: the loss of this rank's rows [lo, hi) of the batch
 * buffers, part of a global batch of n rows, then one all-reduce of the
 * gradients and the batch's numbers, each rank's weighted by its share of
 * the batch (the loss is a mean over rows), so model->grads and stats end
 * as the whole batch's on every rank. A rank without rows adds zeros. */
static mimic_status share_loss(const mimic_bc_config *cfg, mimic_model *model, bool discrete,
                               const mimic_transitions *t, bufs *b, size_t lo, size_t hi, size_t n,
                               mimic_bc_stats *stats) {
  mimic_comm *c = cfg->comm;
  if (hi > lo) {
    MIMIC_TRY(batch_loss(cfg, model, discrete, b->obs + lo * (size_t)t->obs_dim,
                         b->act + lo * (size_t)t->act_dim, b->weight ? b->weight + lo : NULL,
                         b->acts, (int)(hi - lo), stats));
  } else { /* the gradients are zero already; the L2 figure is every rank's own */
    memset(stats, 0, sizeof *stats);
    stats->l2_norm =
        cfg->l2_weight != 0 ? mimic_l2_penalty(model->params, NULL, model->n_params, 0.0f) : NAN;
  }
  const float share = (float)(hi - lo) / (float)n;
  const size_t P = model->n_params;
  float *r = b->reduce;
  for (size_t k = 0; k < P; k++) r[k] = model->grads[k] * share;
  const double mine[N_SHARED] = {stats->loss, stats->neglogp, stats->entropy, stats->prob_true_act,
                                 stats->mse};
  for (int k = 0; k < N_SHARED; k++) r[P + k] = (float)(mine[k] * share);
  MIMIC_TRY(c->allreduce_sum(c, r, P + N_SHARED));
  memcpy(model->grads, r, P * sizeof(float));
  stats->loss = r[P];
  stats->neglogp = r[P + 1];
  stats->entropy = r[P + 2];
  stats->prob_true_act = r[P + 3];
  stats->mse = r[P + 4];
  return MIMIC_OK;
}

/* Rank 0 writes the checkpoint, once every rank is seen to hold the same
 * parameters (the file stands for all of them). */
static mimic_status checkpoint_write(const mimic_bc_config *cfg, const mimic_model *model,
                                     const mimic_optim *opt, const loop_state *ls,
                                     const mimic_bc_epoch *curve, long curve_n, const float *best) {
  MIMIC_TRY(mimic_comm_check_same(cfg->comm, model->params, model->n_params * sizeof(float),
                                  "the parameters"));
  if (!mimic_comm_writer(cfg->comm)) return MIMIC_OK;
  return checkpoint_save(cfg->checkpoint_path, model, opt, ls, curve, (uint64_t)curve_n, best);
}

mimic_status mimic_bc_fit(const mimic_bc_config *cfg, const mimic_transitions *t,
                          mimic_model *model, mimic_bc_report *report) {
  memset(report, 0, sizeof *report);
  MIMIC_TRY(mimic_bc_check(cfg, t));
  if (model->gru || model->tf) return mimic_bc_fit_sequences(cfg, t, model, report);
  const bool discrete = t->act_space->kind == MIMIC_SPACE_DISCRETE;
  const bool writer = mimic_comm_writer(cfg->comm);
  /* sharded, the split and the permutations are drawn over the whole
     dataset's shape (global row ids), as one process draws them */
  bc_shard sh = {0};
  if (sharded(cfg)) MIMIC_TRY(bc_shard_open(&sh, cfg->comm, cfg->shard, t));
  const mimic_transitions *shape = sharded(cfg) ? &sh.global : t;
  mimic_status st = MIMIC_OK;
  uint32_t *train_rows = NULL, *val_rows = NULL;
  size_t n_train = 0, n_val = 0;
  if (cfg->val_fraction > 0) {
    st = mimic_transitions_split(shape, cfg->val_fraction, cfg->seed, &train_rows, &n_train,
                                 &val_rows, &n_val);
    if (st == MIMIC_OK && (n_val == 0 || n_train == 0))
      st = shape->ep_start
               ? mimic_fail(MIMIC_ERR_INVALID,
                            "a validation split needs at least 2 episodes (have %zu)",
                            shape->n_episodes)
               : mimic_fail(MIMIC_ERR_INVALID,
                            "a validation split needs at least 2 transitions (have %zu)", shape->n);
  }
  bufs b = {0};
  mimic_sampler sampler = {0};
  mimic_optim opt = {0};
  mimic_bc_epoch *curve = NULL;
  long curve_cap = 0, curve_n = 0;
  if (st == MIMIC_OK) st = mimic_model_reserve(model, cfg->batch_size);
  if (st == MIMIC_OK)
    st = mimic_sampler_init(&sampler, shape, train_rows, n_train, (size_t)cfg->batch_size, true,
                            cfg->seed);
  size_t per_epoch = st == MIMIC_OK ? mimic_sampler_batches_per_epoch(&sampler) : 0;
  if (st == MIMIC_OK && per_epoch == 0)
    st = mimic_fail(MIMIC_ERR_INVALID, "%zu training transitions make no full batch of %d",
                    sampler.n, cfg->batch_size);
  if (st == MIMIC_OK) {
    mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
    oc.lr = cfg->lr;
    st = mimic_optim_create(&opt, &oc, model->n_params);
  }
  if (st == MIMIC_OK) {
    size_t B = (size_t)cfg->batch_size;
    b.obs = mimic_malloc(B * (size_t)t->obs_dim * sizeof(float), "a batch");
    b.act = mimic_malloc(B * (size_t)t->act_dim * sizeof(float), "a batch");
    b.acts = mimic_malloc(B * sizeof(int32_t), "a batch");
    if (t->weight) b.weight = mimic_malloc(B * sizeof(float), "a batch");
    if (sharded(cfg)) b.own = mimic_malloc(B * sizeof(uint32_t), "a batch");
    if (!b.obs || !b.act || !b.acts || (t->weight && !b.weight) || (sharded(cfg) && !b.own))
      st = MIMIC_ERR_NOMEM;
  }
  if (st == MIMIC_OK && mimic_comm_parallel(cfg->comm)) {
    b.reduce = mimic_malloc((model->n_params + N_SHARED) * sizeof(float), "the all-reduce buffer");
    if (!b.reduce) st = MIMIC_ERR_NOMEM;
    if (st == MIMIC_OK)
      st = mimic_comm_check_same(cfg->comm, model->params, model->n_params * sizeof(float),
                                 "the initial parameters");
  }
  if (st == MIMIC_OK && n_val) {
    b.val_rows = val_rows;
    b.n_val_total = b.n_val_rows = n_val;
    if (sharded(cfg)) b.n_val_rows = bc_shard_own(&sh, val_rows, n_val, val_rows);
    b.best = mimic_malloc(model->n_params * sizeof(float), "the best parameters");
    if (!b.best) st = MIMIC_ERR_NOMEM;
  }
  long total = cfg->batches > 0 ? cfg->batches : default_epochs(cfg) * (long)per_epoch;
  loop_state ls = {.best_val = INFINITY, .best_epoch = 0};
  curve_cap = per_epoch ? total / (long)per_epoch + 2 : 0; /* per_epoch is 0 only on error */
  if (st == MIMIC_OK) {
    curve = mimic_calloc((size_t)curve_cap, sizeof *curve, "the learning curve");
    if (!curve) st = MIMIC_ERR_NOMEM;
  }
  if (st == MIMIC_OK && cfg->resume && cfg->checkpoint_path &&
      mimic_path_exists(cfg->checkpoint_path)) {
    st =
        checkpoint_load(cfg->checkpoint_path, model, &opt, &ls, curve, curve_cap, &curve_n, b.best);
    if (st == MIMIC_OK) {
      /* the sampler counts epochs begun; seek takes the 0-based epoch in progress */
      if (ls.sampler_epoch > 0)
        mimic_sampler_seek(&sampler, ls.sampler_epoch - 1, (size_t)ls.sampler_pos);
      MIMIC_INFO("bc: resuming from %s at batch %lld of %ld", cfg->checkpoint_path,
                 (long long)ls.batches_done, total);
    }
  }
  mimic_progress bar;
  mimic_progress_begin(&bar, "train bc", "batch", (uint64_t)total);
  if (!cfg->progress || !writer) bar.active = false;
  double t0 = mimic_now();
  mimic_batch batch = {.obs = b.obs, .act = b.act, .weight = b.weight};
  bool stop = false;
  while (st == MIMIC_OK && ls.batches_done < total && !stop) {
    size_t n, lo = 0, hi = 0;
    if (sharded(cfg)) { /* the rows of the global batch this rank holds */
      const uint32_t *rows;
      n = mimic_sampler_next_rows(&sampler, &rows);
      hi = bc_shard_own(&sh, rows, n, b.own);
      mimic_transitions_gather(t, b.own, hi, &batch);
    } else { /* every rank holds the batch; each its contiguous slice */
      n = mimic_sampler_next(&sampler, &batch);
      lo = n * (size_t)(b.reduce ? cfg->comm->rank : 0) / (size_t)(b.reduce ? cfg->comm->size : 1);
      hi = b.reduce ? n * (size_t)(cfg->comm->rank + 1) / (size_t)cfg->comm->size : n;
    }
    mimic_model_zero_grad(model);
    mimic_bc_stats stats;
    if (b.reduce) {
      st = share_loss(cfg, model, discrete, t, &b, lo, hi, n, &stats);
    } else {
      st = batch_loss(cfg, model, discrete, b.obs, b.act, b.weight, b.acts, (int)n, &stats);
    }
    if (st) break;
    if (!isfinite(stats.loss)) {
      st = mimic_fail(MIMIC_ERR_RANGE,
                      "the loss became %g at batch %lld (try a smaller learning rate)", stats.loss,
                      (long long)ls.batches_done + 1);
      break;
    }
    if (cfg->max_grad_norm > 0)
      mimic_clip_grad_norm(model->grads, model->n_params, (float)cfg->max_grad_norm);
    mimic_optim_step(&opt, model->params, model->grads);
    ls.batches_done++;
    ls.epoch_batches++;
    ls.epoch_loss += stats.loss;
    ls.epoch_neglogp += stats.neglogp;
    ls.epoch_entropy += stats.entropy;
    ls.epoch_prob += stats.prob_true_act;
    ls.epoch_l2 = stats.l2_norm; /* NAN without an L2 weight: filled in at the epoch's end */
    if (ls.batches_done % (long)per_epoch == 0) {
      double l2 = isnan(ls.epoch_l2) ? mimic_l2_penalty(model->params, NULL, model->n_params, 0)
                                     : ls.epoch_l2;
      mimic_bc_epoch row = epoch_row(&ls, (long)++ls.epochs_done, l2, mimic_now() - t0);
      ls.epoch_loss = ls.epoch_neglogp = ls.epoch_entropy = ls.epoch_prob = 0;
      ls.epoch_batches = 0;
      if (n_val) {
        st = validation_loss(cfg, t, model, discrete, &b, &row.val_loss);
        if (st) break;
        if (row.val_loss < ls.best_val) {
          ls.best_val = row.val_loss;
          ls.best_epoch = row.epoch;
          ls.bad_epochs = 0;
          memcpy(b.best, model->params, model->n_params * sizeof(float));
        } else if (cfg->patience > 0 && ++ls.bad_epochs >= cfg->patience) {
          stop = true;
          report->stopped_early = true;
        }
      }
      if (curve_n < curve_cap) curve[curve_n++] = row;
      if (cfg->log_path && writer) st = log_rows(cfg->log_path, curve, curve_n);
      if (st) break;
      mimic_progress_note(&bar, "epoch %ld loss %.4f", row.epoch, row.train_loss);
    }
    mimic_progress_update(&bar, (uint64_t)ls.batches_done);
    if (cfg->checkpoint_path && cfg->checkpoint_every > 0 &&
        ls.batches_done % cfg->checkpoint_every == 0) {
      ls.sampler_epoch = sampler.epoch;
      ls.sampler_pos = sampler.pos;
      st = checkpoint_write(cfg, model, &opt, &ls, curve, curve_n, b.best);
    }
  }
  mimic_progress_end(&bar);
  if (st == MIMIC_OK && cfg->patience > 0 && ls.best_epoch > 0)
    memcpy(model->params, b.best, model->n_params * sizeof(float));
  if (st == MIMIC_OK && cfg->checkpoint_path) {
    ls.sampler_epoch = sampler.epoch;
    ls.sampler_pos = sampler.pos;
    st = checkpoint_write(cfg, model, &opt, &ls, curve, curve_n, b.best);
  }
  if (st == MIMIC_OK && b.reduce)
    st = mimic_comm_check_same(cfg->comm, model->params, model->n_params * sizeof(float),
                               "the trained parameters");
  if (st == MIMIC_OK && ls.epoch_batches > 0 && curve_n < curve_cap) {
    /* a run cut by --batches ends mid-epoch: report that partial epoch too
     * (after the checkpoint, which keeps the sums for a resumed run) */
    curve[curve_n++] = epoch_row(&ls, (long)ls.epochs_done + 1, ls.epoch_l2, mimic_now() - t0);
    if (cfg->log_path && writer) st = log_rows(cfg->log_path, curve, curve_n);
  }
  if (st == MIMIC_OK && cfg->plot_path && curve_n > 0 && writer)
    st = plot_curve(cfg->plot_path, cfg->plot_title, curve, curve_n);
  report->epochs = curve_n;
  report->batches = ls.batches_done;
  report->samples = ls.batches_done * cfg->batch_size;
  report->final_train_loss = curve_n ? curve[curve_n - 1].train_loss : NAN;
  report->best_val_loss = n_val ? ls.best_val : NAN;
  report->train_transitions = n_val ? n_train : shape->n;
  report->val_transitions = n_val;
  report->best_epoch = ls.best_epoch;
  report->seconds = mimic_now() - t0;
  report->curve = curve;
  if (st != MIMIC_OK) mimic_bc_report_free(report);
  mimic_optim_free(&opt);
  mimic_sampler_free(&sampler);
  free(b.obs);
  free(b.act);
  free(b.acts);
  free(b.weight);
  free(b.best);
  free(b.reduce);
  free(b.own);
  free(train_rows);
  free(val_rows);
  bc_shard_close(&sh);
  return st;
}
