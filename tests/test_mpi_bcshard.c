/* Behavioral cloning on sharded reads under MPI (ctest runs it under
 * `mpirun -np 2` and `-np 4`, and once alone as a one-process job).
 *
 * A dataset of 11 episodes of 20, 27, .. 90 steps (605 transitions: the
 * rows divide evenly over neither 2 nor 4 ranks, nor do the episodes) is
 * written once; every rank loads only its shard (mimic_dataset_load_shard).
 * Checked on every rank count:
 * - the shards partition the dataset: every global row is held by exactly
 *   one rank (summed over the ranks: each row's count is 1), each rank's
 *   values are the whole dataset's there, and every rank learns the same
 *   global episode table as the whole dataset's;
 * - the observation statistics of a sharded model equal one process's bit
 *   for bit (they are continued rank after rank, algo/bc_shard.c);
 * - the model trained on shards equals one process's on the whole set up to
 *   float summation order (the test prints the largest difference and
 *   fails above 1e-4, test_mpi_bc's tolerance), with the same validation
 *   split (train/validation counts, best epoch, the early stop), for a
 *   categorical head, one with a validation split, L2 and early stopping
 *   (it stops after 11 of 40 epochs), and a Gaussian one (measured: 6e-8
 *   to 1.8e-6 at 2 and 4 ranks; docs/cluster.md);
 * - two sharded runs on the same rank count agree bit for bit;
 * - a shard with a NaN in its last episode fails on the rank that holds it
 *   (naming the file, the episode and the field) and loads on the others;
 *   a truncated file fails on every rank.
 * Alone (one rank) the shard is the whole set and training equals training
 * without shard information bit for bit. A failure on any rank ends the
 * job (mpi_check.h). */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algo/bc_shard.h"
#include "mimic/bc.h"
#include "mpi_check.h"

#define E 11
#define D 4

/* The dataset: observations from a seeded generator, actions a rule of
 * them (Discrete(3), or a Box(2) when continuous). */
static void make_dataset(bool continuous, mimic_dataset *ds) {
  float lo[D], hi[D], alo[2] = {-2, -2}, ahi[2] = {2, 2};
  for (int k = 0; k < D; k++) lo[k] = -INFINITY, hi[k] = INFINITY;
  mimic_space os = mimic_space_box(D, lo, hi);
  mimic_space as = continuous ? mimic_space_box(2, alo, ahi) : mimic_space_discrete(3);
  mimic_data_space dos, das;
  CHECK(mimic_data_space_from_env(&dos, &os) == MIMIC_OK, "obs space");
  CHECK(mimic_data_space_from_env(&das, &as) == MIMIC_OK, "act space");
  CHECK(mimic_dataset_init(ds, &dos, &das) == MIMIC_OK, "init");
  mimic_data_space_free(&dos);
  mimic_data_space_free(&das);
  mimic_rng rng;
  mimic_rng_seed(&rng, 7);
  static float obs[91 * D], act[90 * 2];
  static double rew[90];
  static uint8_t term[90], trunc[90];
  for (int e = 0; e < E; e++) {
    size_t T = 20 + 7 * (size_t)e;
    for (size_t i = 0; i < (T + 1) * D; i++) obs[i] = (float)(mimic_rng_normal(&rng) * 2 + 1);
    for (size_t i = 0; i < T; i++) {
      const float *o = obs + i * D;
      if (continuous) {
        act[2 * i] = 0.5f * o[0] - 0.3f * o[1];
        act[2 * i + 1] = 0.2f * o[2] + 0.1f * o[3];
        act[2 * i] = fmaxf(-2, fminf(2, act[2 * i]));
        act[2 * i + 1] = fmaxf(-2, fminf(2, act[2 * i + 1]));
      } else {
        act[i] = (float)((o[0] > 1) + (o[1] > 0.5f));
      }
      rew[i] = 1;
      term[i] = i + 1 == T;
      trunc[i] = 0;
    }
    mimic_episode ep = {
        .T = T, .obs = obs, .act = act, .rew = rew, .term = term, .trunc = trunc, .seed = e};
    CHECK(mimic_dataset_add_episode(ds, &ep) == MIMIC_OK, "add episode %d", e);
  }
}

/* Writes ds to dir/name (rank 0) and has every rank wait for it. */
static void save(const mimic_dataset *ds, const char *dir, const char *name, char *path,
                 size_t cap) {
  snprintf(path, cap, "%s/%s", dir, name);
  if (comm->rank == 0) {
    mimic_write_opts wo = mimic_write_opts_default();
    CHECK(mimic_dataset_save(ds, path, &wo) == MIMIC_OK, "save %s", path);
  }
  int go = 1;
  CHECK(comm->bcast(comm, &go, sizeof go, 0) == MIMIC_OK, "bcast");
}

/* The shards partition the rows, hold the whole set's values, and every
 * rank's global episode table is the whole set's. */
static void check_partition(const mimic_dataset *whole, const mimic_dataset *ds,
                            const mimic_dataset_shard *sh, const mimic_transitions *mine) {
  CHECK(sh->episodes == whole->n_episodes && sh->steps == whole->n_steps, "whole counts");
  for (size_t j = 0; j < ds->n_steps; j++) {
    size_t g = (size_t)sh->first_step + j;
    CHECK(g < whole->n_steps, "shard row %zu past the end", j);
    CHECK(memcmp(ds->act + j, whole->act + g, sizeof(float)) == 0 &&
              memcmp(mimic_dataset_step_obs(ds, j), mimic_dataset_step_obs(whole, g),
                     D * sizeof(float)) == 0,
          "shard row %zu differs from the dataset's row %zu", j, g);
  }
  bc_shard s;
  CHECK(bc_shard_open(&s, comm, sh, mine) == MIMIC_OK, "bc_shard_open");
  CHECK(s.global.n == whole->n_steps && s.global.n_episodes == whole->n_episodes,
        "global shape %zu rows, %zu episodes", s.global.n, s.global.n_episodes);
  CHECK(memcmp(s.ep_start, whole->ep_start, (whole->n_episodes + 1) * sizeof(uint64_t)) == 0,
        "the global episode table differs from the dataset's");
  /* every global row, as one batch: each is this rank's or not; summed
     over the ranks, each row must be held exactly once */
  const size_t n = whole->n_steps;
  uint32_t *rows = malloc(n * sizeof *rows), *own = malloc(n * sizeof *own);
  float *count = calloc(n, sizeof *count);
  CHECK(rows && own && count, "memory");
  for (size_t i = 0; i < n; i++) rows[i] = (uint32_t)(n - 1 - i); /* any order */
  size_t k = bc_shard_own(&s, rows, n, own);
  CHECK(k == ds->n_steps, "rank holds %zu rows of a batch of all, its shard %zu", k, ds->n_steps);
  for (size_t i = 0; i < k; i++) {
    CHECK(own[i] < ds->n_steps, "local id %u outside the shard", own[i]);
    count[sh->first_step + own[i]] += 1;
  }
  CHECK(comm->allreduce_sum(comm, count, n) == MIMIC_OK, "allreduce");
  for (size_t i = 0; i < n; i++)
    CHECK(count[i] == 1, "row %zu is held by %g ranks", i, (double)count[i]);
  if (comm->rank == 0)
    printf("%d shards partition %zu rows (%zu episodes): each row held once\n", comm->size, n,
           whole->n_episodes);
  free(rows);
  free(own);
  free(count);
  bc_shard_close(&s);
}

static void train(const mimic_bc_config *base, mimic_comm *c, const mimic_dataset_shard *sh,
                  const mimic_transitions *t, mimic_model *model, mimic_bc_report *rep) {
  mimic_bc_config cfg = *base;
  cfg.comm = c;
  cfg.shard = sh;
  CHECK(mimic_bc_model_create(&cfg, t, model) == MIMIC_OK, "model_create");
  CHECK(mimic_bc_fit(&cfg, t, model, rep) == MIMIC_OK, "bc_fit");
}

/* One configuration: the one-process reference on the whole set, two
 * sharded runs, the comparisons. */
static void check_config(const char *what, const mimic_bc_config *cfg,
                         const mimic_transitions *whole, const mimic_transitions *mine,
                         const mimic_dataset_shard *sh) {
  mimic_model ref, a, b;
  mimic_bc_report rr, ra, rb;
  train(cfg, NULL, NULL, whole, &ref, &rr);
  train(cfg, comm, sh, mine, &a, &ra);
  train(cfg, comm, sh, mine, &b, &rb);
  CHECK(a.n_params == ref.n_params, "%s: parameter counts", what);
  CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0,
        "%s: two sharded runs on %d ranks differ", what, comm->size);
  CHECK(a.obs_norm == ref.obs_norm && a.obs_norm &&
            memcmp(a.obs_mean, ref.obs_mean, D * sizeof(float)) == 0 &&
            memcmp(a.obs_var, ref.obs_var, D * sizeof(float)) == 0,
        "%s: the sharded observation statistics are not one process's", what);
  CHECK(ra.batches == rr.batches && ra.epochs == rr.epochs, "%s: %ld batches, alone %ld", what,
        ra.batches, rr.batches);
  CHECK(ra.train_transitions == rr.train_transitions && ra.val_transitions == rr.val_transitions,
        "%s: split %zu/%zu, alone %zu/%zu", what, ra.train_transitions, ra.val_transitions,
        rr.train_transitions, rr.val_transitions);
  CHECK(ra.best_epoch == rr.best_epoch && ra.stopped_early == rr.stopped_early,
        "%s: best epoch %ld, alone %ld", what, ra.best_epoch, rr.best_epoch);
  double d = 0;
  for (size_t k = 0; k < a.n_params; k++) d = fmax(d, fabs((double)a.params[k] - ref.params[k]));
  double loss_gap = fabs(ra.final_train_loss - rr.final_train_loss);
  double val_gap = isnan(rr.best_val_loss) ? 0 : fabs(ra.best_val_loss - rr.best_val_loss);
  CHECK(isnan(rr.best_val_loss) == isnan(ra.best_val_loss), "%s: validation on one side", what);
  if (comm->rank == 0)
    printf("%s, sharded on %d rank%s: %zu parameters, %ld batches, %zu/%zu train/validation "
           "rows%s; max |param - one process| = %.3g, final loss gap %.3g, validation gap %.3g\n",
           what, comm->size, comm->size == 1 ? "" : "s", a.n_params, ra.batches,
           ra.train_transitions, ra.val_transitions, ra.stopped_early ? ", stopped early" : "", d,
           loss_gap, val_gap);
  if (comm->size == 1) CHECK(d == 0, "%s: one rank differs from one process by %g", what, d);
  CHECK(d <= 1e-4, "%s: sharded model differs from one process by %g", what, d);
  CHECK(loss_gap <= 1e-4 && val_gap <= 1e-4, "%s: losses differ by %g, %g", what, loss_gap,
        val_gap);
  mimic_model *models[] = {&ref, &a, &b};
  mimic_bc_report *reports[] = {&rr, &ra, &rb};
  for (int k = 0; k < 3; k++) {
    mimic_model_free(models[k]);
    mimic_bc_report_free(reports[k]);
  }
}

/* Trains the three configurations on the dataset at path. */
static void check_training(const char *path, const mimic_dataset *whole, bool continuous) {
  mimic_dataset ds;
  mimic_dataset_shard sh;
  CHECK(mimic_dataset_load_shard(path, comm->rank, comm->size, &ds, &sh) == MIMIC_OK, "shard");
  mimic_transitions t = mimic_dataset_transitions(whole), mine = mimic_dataset_transitions(&ds);
  if (!continuous) check_partition(whole, &ds, &sh, &mine);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  if (continuous) {
    cfg.batch_size = 25;
    cfg.epochs = 4;
    check_config("Box(2), gaussian, batch 25", &cfg, &t, &mine, &sh);
  } else {
    cfg.epochs = 4;
    check_config("Discrete(3), batch 32", &cfg, &t, &mine, &sh);
    /* a validation split by episode, L2 and early stopping: the split is
       drawn over the global episodes, as one process draws it */
    cfg.batch_size = 30;
    cfg.l2_weight = 1e-4;
    cfg.val_fraction = 0.3;
    cfg.patience = 2;
    cfg.epochs = 40;
    cfg.lr = 2e-2;
    check_config("Discrete(3), batch 30, l2, 30% validation, patience 2", &cfg, &t, &mine, &sh);
  }
  mimic_dataset_free(&ds);
}

static void spit(const char *path, const unsigned char *buf, size_t n) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(buf, 1, n, f) == n && fclose(f) == 0, "write %s", path);
}

/* Bad files: a NaN in the last episode fails only where it is read, and
 * names the file, the episode and the field; a truncated file fails on
 * every rank. Each rank's verdict is gathered, so none is left waiting. */
static void check_bad(const mimic_dataset *whole, const char *dir) {
  char path[256], file[300];
  save(whole, dir, "bad", path, sizeof path);
  snprintf(file, sizeof file, "%s/data/main_data.hdf5", path);
  if (comm->rank == 0) { /* the last observation row, contiguous and raw: make it NaN */
    size_t n;
    unsigned char *buf = mpi_slurp(file, &n);
    const float *last = whole->obs + (whole->n_steps + whole->n_episodes - 1) * D;
    unsigned char *at = memmem(buf, n, last, D * sizeof(float));
    CHECK(at && !memmem(at + 1, n - (size_t)(at + 1 - buf), last, D * sizeof(float)),
          "the last row's bytes are not in the file once");
    const float nan = NAN;
    memcpy(at, &nan, sizeof nan);
    spit(file, buf, n);
    free(buf);
  }
  int go = 1;
  CHECK(comm->bcast(comm, &go, sizeof go, 0) == MIMIC_OK, "bcast");
  mimic_dataset ds;
  mimic_dataset_shard sh;
  mimic_status st = mimic_dataset_load_shard(path, comm->rank, comm->size, &ds, &sh);
  const bool last_rank = comm->rank == comm->size - 1;
  if (st == MIMIC_OK) mimic_dataset_free(&ds);
  CHECK((st != MIMIC_OK) == last_rank, "rank %d of %d loaded the shard with a NaN: %d", comm->rank,
        comm->size, (int)st);
  if (last_rank)
    CHECK(strstr(mimic_errmsg(), "main_data.hdf5") && strstr(mimic_errmsg(), "episode_10") &&
              strstr(mimic_errmsg(), "observations") && strstr(mimic_errmsg(), "NaN"),
          "message: %s", mimic_errmsg());
  int fails = st != MIMIC_OK, *all = calloc((size_t)comm->size, sizeof(int));
  CHECK(comm->gather(comm, &fails, sizeof fails, all, 0) == MIMIC_OK, "gather");
  CHECK(comm->bcast(comm, &go, sizeof go, 0) == MIMIC_OK, "bcast");
  if (comm->rank == 0) { /* truncated: every rank fails */
    size_t n;
    unsigned char *buf = mpi_slurp(file, &n);
    remove(file);
    spit(file, buf, n / 2);
    free(buf);
  }
  CHECK(comm->bcast(comm, &go, sizeof go, 0) == MIMIC_OK, "bcast");
  st = mimic_dataset_load_shard(path, comm->rank, comm->size, &ds, &sh);
  CHECK(st != MIMIC_OK, "rank %d loaded a truncated file", comm->rank);
  CHECK(strstr(mimic_errmsg(), "main_data.hdf5") != NULL, "message: %s", mimic_errmsg());
  CHECK(comm->gather(comm, &fails, sizeof fails, all, 0) == MIMIC_OK, "gather");
  free(all);
}

int main(void) {
  CHECK(mimic_mpi_begin(&comm) == MIMIC_OK, "joining the job");
  mimic_log_set_level(MIMIC_LOG_WARN);
  char dir[64];
  mpi_tmpdir(dir, "mpi-bcshard");

  for (int continuous = 0; continuous < 2; continuous++) {
    mimic_dataset whole;
    make_dataset(continuous, &whole);
    char path[256];
    save(&whole, dir, continuous ? "box" : "discrete", path, sizeof path);
    check_training(path, &whole, continuous);
    if (!continuous && comm->size > 1) check_bad(&whole, dir);
    mimic_dataset_free(&whole);
  }

  mpi_rmdir(dir);
  mimic_mpi_end(comm);
  return 0;
}
