/* Data-parallel TD3+BC and IQL under MPI (ctest runs it under `mpirun -np 2`
 * and `-np 4`, and once alone as a one-process job).
 *
 * Every rank trains the same learner twice on its slices of the same global
 * batches, and once alone (no communicator) as the reference. The two
 * parallel runs must agree bit for bit (their checkpoints, which hold every
 * network, target and optimizer moment, are the same bytes), every rank
 * must hold the same parameters (the checkpoint checks it and fails
 * otherwise), and the parallel actor must equal the one-process one up to
 * float summation order: the test prints the largest parameter difference
 * and fails above 1e-4 (see docs/cluster.md for the measured numbers).
 * On several ranks it then does the same with sharded reads (each rank
 * loads only its episodes, mimic_dataset_load_shard), after checking the
 * shards partition the dataset.
 * A failure on any rank ends the job (mpi_check.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mimic/collect.h"
#include "mimic/offpolicy.h"
#include "mpi_check.h"

/* Trains with comm c (NULL: alone) and returns the actor as a model; the
 * learner's checkpoint goes to ckpt (NULL: none). */
static void train(const mimic_offpolicy_config *base, mimic_comm *c, const mimic_transitions *t,
                  const mimic_dataset_shard *shard, const char *ckpt, mimic_model *actor) {
  mimic_offpolicy_config cfg = *base;
  cfg.comm = c;
  if (shard) {
    cfg.shard_first = shard->first_step;
    cfg.shard_total = shard->steps;
  }
  mimic_offpolicy *op = NULL;
  CHECK(mimic_offpolicy_create(&cfg, t, &op) == MIMIC_OK, "create");
  CHECK(mimic_offpolicy_learn(op, 0, 1000, NULL, NULL) == MIMIC_OK, "learn");
  if (ckpt) CHECK(mimic_offpolicy_save_checkpoint(op, ckpt) == MIMIC_OK, "checkpoint");
  CHECK(mimic_offpolicy_actor_model(op, actor) == MIMIC_OK, "actor model");
  mimic_offpolicy_free(op);
}

/* t: every rank's whole data; mine (may be NULL): this rank's shard of it. */
static void check_algo(mimic_offpolicy_algo algo, int batch, const mimic_transitions *t,
                       const mimic_transitions *mine, const mimic_dataset_shard *shard,
                       const char *dir) {
  const char *name = mimic_offpolicy_algo_name(algo);
  mimic_offpolicy_config cfg = mimic_offpolicy_defaults(algo);
  cfg.env_id = "Pendulum-v1";
  cfg.total_steps = 400;
  cfg.batch_size = batch;
  cfg.n_hidden = 2;
  cfg.hidden[0] = cfg.hidden[1] = 32;
  char pa[512], pb[512];
  snprintf(pa, sizeof pa, "%s/%s-a.ck", dir, name);
  snprintf(pb, sizeof pb, "%s/%s-b.ck", dir, name);
  mimic_model ref, a, b;
  train(&cfg, NULL, t, NULL, NULL, &ref);
  train(&cfg, comm, mine ? mine : t, shard, pa, &a);
  train(&cfg, comm, mine ? mine : t, shard, pb, &b);
  CHECK(a.n_params == ref.n_params, "%s: parameter counts", name);
  CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0,
        "%s: two runs on %d ranks differ", name, comm->size);
  double d = 0;
  for (size_t k = 0; k < a.n_params; k++) d = fmax(d, fabs((double)a.params[k] - ref.params[k]));
  if (comm->rank == 0) {
    size_t na, nb;
    unsigned char *fa = mpi_slurp(pa, &na), *fb = mpi_slurp(pb, &nb);
    CHECK(na == nb && memcmp(fa, fb, na) == 0, "%s: two checkpoints on %d ranks differ", name,
          comm->size);
    free(fa);
    free(fb);
    printf("%s%s, batch %d on %d rank%s: %zu actor parameters, %ld steps; max |param - one "
           "process| = %.3g\n",
           name, shard ? " (sharded)" : "", batch, comm->size, comm->size == 1 ? "" : "s",
           a.n_params, cfg.total_steps, d);
  }
  if (comm->size == 1) CHECK(d == 0, "%s: a one-rank job differs from no communicator", name);
  CHECK(d <= 1e-4, "%s: the parallel actor differs from one process by %g", name, d);
  mimic_model_free(&ref);
  mimic_model_free(&a);
  mimic_model_free(&b);
}

/* Sharded reads: the dataset written once, each rank loads only its shard;
 * the shards partition the episodes and steps in rank order, hold exactly
 * the whole dataset's values there, and training on them gives the
 * one-process model (up to summation order) and repeats bit for bit. */
static void check_shards(const mimic_dataset *whole, const mimic_transitions *t, const char *dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/demos", dir);
  if (comm->rank == 0) {
    mimic_write_opts wo = mimic_write_opts_default();
    CHECK(mimic_dataset_save(whole, path, &wo) == MIMIC_OK, "save");
  }
  int go = 1;
  CHECK(comm->bcast(comm, &go, sizeof go, 0) == MIMIC_OK, "bcast");
  mimic_dataset ds;
  mimic_dataset_shard sh;
  CHECK(mimic_dataset_load_shard(path, comm->rank, comm->size, &ds, &sh) == MIMIC_OK, "shard");
  CHECK(sh.episodes == whole->n_episodes && sh.steps == whole->n_steps, "whole counts");
  /* the shard's values are the whole dataset's there */
  CHECK(sh.first_step + ds.n_steps <= whole->n_steps, "shard past the end");
  CHECK(ds.n_steps > 0 && ds.n_episodes > 0, "an empty shard");
  const size_t D = (size_t)ds.obs_dim, A = (size_t)ds.act_dim;
  for (size_t j = 0; j < ds.n_steps; j++) {
    size_t g = (size_t)sh.first_step + j;
    CHECK(memcmp(ds.act + j * A, whole->act + g * A, A * sizeof(float)) == 0 &&
              ds.rew[j] == whole->rew[g] &&
              memcmp(ds.obs + (size_t)ds.obs_row[j] * D, whole->obs + (size_t)whole->obs_row[g] * D,
                     D * sizeof(float)) == 0,
          "shard step %zu differs from the dataset's step %zu", j, g);
  }
  /* rank order: each shard starts where the one before ended, the last ends the set */
  uint64_t mine[4] = {sh.first_step, ds.n_steps, sh.first_episode, ds.n_episodes};
  uint64_t *all = comm->rank == 0 ? calloc((size_t)comm->size, sizeof mine) : NULL;
  CHECK(comm->gather(comm, mine, sizeof mine, all, 0) == MIMIC_OK, "gather");
  if (comm->rank == 0) {
    uint64_t step = 0, ep = 0;
    for (int r = 0; r < comm->size; r++) {
      CHECK(all[4 * r] == step && all[4 * r + 2] == ep, "rank %d's shard starts at step %llu", r,
            (unsigned long long)all[4 * r]);
      step += all[4 * r + 1];
      ep += all[4 * r + 3];
    }
    CHECK(step == whole->n_steps && ep == whole->n_episodes, "the shards do not cover the set");
    printf("%d shards partition %zu episodes, %zu steps\n", comm->size, whole->n_episodes,
           whole->n_steps);
  }
  free(all);
  mimic_transitions mt = mimic_dataset_transitions(&ds);
  check_algo(MIMIC_OFFPOLICY_TD3BC, 64, t, &mt, &sh, dir);
  check_algo(MIMIC_OFFPOLICY_IQL, 30, t, &mt, &sh, dir);
  mimic_dataset_free(&ds);
}

int main(void) {
  CHECK(mimic_mpi_begin(&comm) == MIMIC_OK, "joining the job");
  mimic_log_set_level(MIMIC_LOG_WARN);
  /* one folder for the job: rank 0 makes it, the others learn its name */
  char dir[64];
  mpi_tmpdir(dir, "mpi-offline");

  mimic_dataset ds;
  /* 5 episodes: every rank of 4 holds at least one */
  CHECK(mimic_collect_expert("Pendulum-v1", NULL, 5, 0, &ds) == MIMIC_OK, "collect");
  mimic_transitions t = mimic_dataset_transitions(&ds);
  check_algo(MIMIC_OFFPOLICY_TD3BC, 64, &t, NULL, NULL, dir);
  /* 30 rows do not split evenly over 4 ranks (7, 8, 7, 8) */
  check_algo(MIMIC_OFFPOLICY_IQL, 30, &t, NULL, NULL, dir);
  check_algo(MIMIC_OFFPOLICY_TD3BC, 30, &t, NULL, NULL, dir);
  if (comm->size > 1) check_shards(&ds, &t, dir);

  if (comm->size > 1) { /* refused alike on every rank */
    mimic_offpolicy_config cfg = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_IQL);
    cfg.env_id = "Pendulum-v1";
    cfg.comm = comm;
    cfg.batch_size = comm->size - 1;
    CHECK(mimic_offpolicy_check(&cfg) == MIMIC_ERR_INVALID, "a batch of %d on %d ranks passed",
          cfg.batch_size, comm->size);
    CHECK(strstr(mimic_errmsg(), "cannot be split over") != NULL, "message: %s", mimic_errmsg());
    cfg = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_CQL);
    cfg.env_id = "Pendulum-v1";
    cfg.comm = comm;
    CHECK(mimic_offpolicy_check(&cfg) == MIMIC_ERR_INVALID, "CQL on %d ranks passed", comm->size);
    CHECK(strstr(mimic_errmsg(), "runs on one process only") != NULL, "message: %s",
          mimic_errmsg());
  }
  mimic_dataset_free(&ds);
  mpi_rmdir(dir);
  mimic_mpi_end(comm);
  return 0;
}
