/* Data-parallel GAIL as one run under MPI (ctest runs it under `mpirun -np 2`
 * and `-np 4`, and once alone as a one-process job).
 *
 * A job of S ranks stepping 8/S environments each must be the run one
 * process makes with 8 environments: the generator is data-parallel PPO
 * (test_mpi_ppo), and the discriminator must see the one process's batches,
 * its input statistics and its gradient. Every rank trains a few rounds
 * twice with the communicator and once alone (no communicator, all 8
 * environments) as the reference. The demonstrations are a file of 5
 * episodes (shared out unevenly over 2 and 4 ranks); in the parallel runs
 * each rank loads only its shard of them (mimic_dataset_load_shard, as
 * `mpirun mimic train gail` does), and once every rank holds them all.
 * Checked:
 *  - a rank holds only its shard's rows (and the whole file's count and
 *    terminations to draw from);
 *  - the two sharded parallel runs agree bit for bit, and with the run
 *    where every rank holds the whole file;
 *  - after round 1 (the rollouts are still the same bits) the
 *    discriminator's input statistics equal one process's exactly;
 *  - after the last round every parameter of the generator and of the
 *    discriminator is within 1e-4 of one process's (the test prints the
 *    largest difference; docs/cluster.md gives the measured ones), and so
 *    are the logged discriminator losses and accuracies;
 *  - a one-rank job equals no communicator exactly;
 *  - shards that do not partition the file are refused on every rank.
 * The absorbing configuration's demonstrations terminate every other
 * episode, so the expert's absorbing rows (rank 0's) and their count (the
 * ranks' summed) are drawn too.
 * A discriminator that drew batches of its own on each rank (as before)
 * is off by far more than the tolerance after one round. A failure on any
 * rank ends the job (mpi_check.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo/adversarial_impl.h"
#include "mimic/adversarial.h"
#include "mimic/collect.h"
#include "mpi_check.h"

#define ENVS 8 /* one process's environments; split over 1, 2 or 4 ranks */
#define ROUNDS 3

typedef struct net {
  float *params, *mean, *var;
  size_t n, in;
} net;

typedef struct run {
  net gen, disc, stats1; /* stats1: the discriminator's input statistics after round 1 */
  mimic_adv_round rd[ROUNDS];
} run;

static float *copy_floats(const float *src, size_t n) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  CHECK(p != NULL, "malloc");
  if (n) memcpy(p, src, n * sizeof(float));
  return p;
}

static void keep(const mimic_model *m, net *out) {
  out->n = m->n_params;
  out->in = m->obs_norm ? (size_t)m->cfg.obs_dim : 0;
  out->params = copy_floats(m->params, m->n_params);
  out->mean = copy_floats(m->obs_mean, out->in);
  out->var = copy_floats(m->obs_var, out->in);
}

static void drop(net *n) {
  free(n->params);
  free(n->mean);
  free(n->var);
}

static char dir[64];

/* The demonstrations: the whole file and this rank's shard of it. */
typedef struct demos {
  mimic_dataset whole, mine;
  mimic_dataset_shard shard;
  size_t terminated; /* the whole file's */
} demos;

/* Trains ROUNDS rounds with comm c (NULL: alone with every environment),
 * on this rank's shard (sharded) or on the whole file. */
static void train(const mimic_adv_config *base, const demos *d, mimic_comm *c, bool sharded,
                  run *out) {
  mimic_adv_config cfg = *base;
  cfg.ppo.comm = c;
  cfg.ppo.n_envs = mimic_comm_parallel(c) ? ENVS / c->size : ENVS;
  if (sharded) cfg.shard = &d->shard;
  const mimic_dataset *ds = sharded ? &d->mine : &d->whole;
  mimic_adv *a;
  CHECK(mimic_adv_create(&cfg, ds, &a) == MIMIC_OK, "adv_create: %s", mimic_errmsg());
  /* the rank holds its shard's rows only, and draws from the whole file's */
  CHECK(a->d_n == ds->n_steps && a->M == d->whole.n_steps &&
            a->d_first == (sharded && mimic_comm_parallel(c) ? d->shard.first_step : 0) &&
            a->M_term == d->terminated,
        "rank %d holds %zu rows from %llu of %zu (%zu terminated), its shard %zu from %llu of %zu "
        "(%zu)",
        c ? c->rank : 0, a->d_n, (unsigned long long)a->d_first, a->M, a->M_term, ds->n_steps,
        (unsigned long long)d->shard.first_step, d->whole.n_steps, d->terminated);
  for (int i = 0; i < ROUNDS; i++) {
    CHECK(mimic_adv_round_run(a, &out->rd[i]) == MIMIC_OK, "round %d", i + 1);
    if (i == 0) keep(&mimic_adv_reward(a)->model, &out->stats1);
  }
  keep(mimic_ppo_model(mimic_adv_generator(a)), &out->gen);
  keep(&mimic_adv_reward(a)->model, &out->disc);
  mimic_adv_free(a);
}

static double max_diff(const float *a, const float *b, size_t n) {
  double d = 0;
  for (size_t k = 0; k < n; k++) d = fmax(d, fabs((double)a[k] - b[k]));
  return d;
}

static bool same_stats(const net *a, const net *b) {
  return a->in == b->in && (!a->in || (memcmp(a->mean, b->mean, a->in * sizeof(float)) == 0 &&
                                       memcmp(a->var, b->var, a->in * sizeof(float)) == 0));
}

static bool same(const net *a, const net *b) {
  return a->n == b->n && memcmp(a->params, b->params, a->n * sizeof(float)) == 0 &&
         same_stats(a, b);
}

/* Collects 5 expert episodes of env (terminate: every other one ends
 * terminated), writes them to a file (rank 0) and loads the whole and this
 * rank's shard. */
static void load_demos(const char *env, bool terminate, demos *d) {
  mimic_dataset ds;
  CHECK(mimic_collect_expert(env, NULL, 5, 0, &ds) == MIMIC_OK, "demos");
  d->terminated = 0;
  for (size_t e = 0; e < ds.n_episodes; e++) {
    size_t last = (size_t)ds.ep_start[e + 1] - 1;
    if (terminate && e % 2 == 0) ds.term[last] = 1, ds.trunc[last] = 0;
    for (size_t j = (size_t)ds.ep_start[e]; j <= last; j++) d->terminated += ds.term[j];
  }
  char path[128];
  snprintf(path, sizeof path, "%s/%s%d", dir, env, (int)terminate);
  if (comm->rank == 0) {
    mimic_write_opts wo = mimic_write_opts_default();
    CHECK(mimic_dataset_save(&ds, path, &wo) == MIMIC_OK, "save %s", path);
  }
  mimic_dataset_free(&ds);
  int go = 1;
  CHECK(comm->bcast(comm, &go, sizeof go, 0) == MIMIC_OK, "bcast");
  CHECK(mimic_dataset_load(path, &d->whole) == MIMIC_OK, "load %s", path);
  CHECK(mimic_dataset_load_shard(path, comm->rank, comm->size, &d->mine, &d->shard) == MIMIC_OK,
        "load a shard of %s: %s", path, mimic_errmsg());
}

static void check_config(const char *what, const mimic_adv_config *cfg, bool terminate) {
  demos d;
  load_demos(cfg->ppo.env_id, terminate, &d);
  run ref, a, b, w;
  train(cfg, &d, NULL, false, &ref);
  train(cfg, &d, comm, true, &a);
  train(cfg, &d, comm, true, &b);
  train(cfg, &d, comm, false, &w);
  CHECK(same(&a.gen, &b.gen) && same(&a.disc, &b.disc), "%s: two runs on %d ranks differ", what,
        comm->size);
  CHECK(same(&a.gen, &w.gen) && same(&a.disc, &w.disc),
        "%s: on %d ranks, the run on shards differs from the run where every rank holds the file",
        what, comm->size);
  CHECK(a.gen.n == ref.gen.n && a.disc.n == ref.disc.n, "%s: parameter counts", what);
  CHECK(a.rd[ROUNDS - 1].ppo.timesteps == ref.rd[ROUNDS - 1].ppo.timesteps,
        "%s: %ld steps, alone %ld", what, a.rd[ROUNDS - 1].ppo.timesteps,
        ref.rd[ROUNDS - 1].ppo.timesteps);
  /* round 1's rollouts are the same bits, so its batches are too */
  CHECK(a.stats1.in && ref.stats1.in, "%s: no input statistics", what);
  CHECK(same_stats(&a.stats1, &ref.stats1),
        "%s: the discriminator's input statistics after round 1 differ from one process's (mean "
        "by %g, var by %g)",
        what, max_diff(a.stats1.mean, ref.stats1.mean, a.stats1.in),
        max_diff(a.stats1.var, ref.stats1.var, a.stats1.in));
  double dg = max_diff(a.gen.params, ref.gen.params, a.gen.n);
  double dd = max_diff(a.disc.params, ref.disc.params, a.disc.n);
  double dl = 0, dacc = 0, dlogit = 0;
  for (int i = 0; i < ROUNDS; i++) {
    const mimic_adv_round *x = &a.rd[i], *y = &ref.rd[i];
    dl = fmax(dl, fabs(x->disc_loss - y->disc_loss));
    dacc = fmax(dacc, fmax(fabs(x->disc_acc_expert - y->disc_acc_expert),
                           fabs(x->disc_acc_gen - y->disc_acc_gen)));
    dlogit = fmax(dlogit,
                  fmax(fabs(x->expert_logit - y->expert_logit), fabs(x->gen_logit - y->gen_logit)));
  }
  if (comm->rank == 0)
    printf("%s on %d rank%s x %d envs, %d rounds: max |param - one process| generator %.3g (%zu), "
           "discriminator %.3g (%zu); logged disc loss %.3g, accuracy %.3g, mean logit %.3g\n",
           what, comm->size, comm->size == 1 ? "" : "s", ENVS / comm->size, ROUNDS, dg, a.gen.n, dd,
           a.disc.n, dl, dacc, dlogit);
  if (comm->size == 1)
    CHECK(dg == 0 && dd == 0, "%s: a one-rank job differs from no communicator (%g, %g)", what, dg,
          dd);
  CHECK(dg <= 1e-4 && dd <= 1e-4,
        "%s: parallel parameters differ from one process's: generator by %g, discriminator by %g",
        what, dg, dd);
  /* an accuracy moves in steps of 1/B: a logit within float rounding of 0
   * may flip one row */
  CHECK(dl <= 1e-4 && dlogit <= 1e-4 && dacc <= 1.0 / cfg->demo_batch_size + 1e-12,
        "%s: logged discriminator figures differ (loss %g, accuracy %g, logit %g)", what, dl, dacc,
        dlogit);
  run *runs[4] = {&ref, &a, &b, &w};
  for (int i = 0; i < 4; i++) {
    drop(&runs[i]->gen);
    drop(&runs[i]->disc);
    drop(&runs[i]->stats1);
  }
  mimic_dataset_free(&d.whole);
  mimic_dataset_free(&d.mine);
}

/* Shards that do not partition the file (each rank given its neighbour's)
 * are refused on every rank, saying so, rather than trained on; so is
 * half a file on one process. */
static void check_misplaced(const mimic_adv_config *base) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s0", dir, base->ppo.env_id);
  mimic_dataset ds;
  mimic_dataset_shard sh;
  CHECK(mimic_dataset_load_shard(path, 0, 2, &ds, &sh) == MIMIC_OK, "load half");
  mimic_adv_config one = *base;
  one.shard = &sh;
  mimic_adv *a = NULL;
  CHECK(mimic_adv_create(&one, &ds, &a) != MIMIC_OK && a == NULL,
        "one process trained on half the demonstrations as if they were all");
  CHECK(strstr(mimic_errmsg(), "needs the other ranks") != NULL, "message: %s", mimic_errmsg());
  mimic_dataset_free(&ds);
  if (comm->size == 1) return;
  CHECK(mimic_dataset_load_shard(path, (comm->rank + 1) % comm->size, comm->size, &ds, &sh) ==
            MIMIC_OK,
        "load");
  mimic_adv_config cfg = *base;
  cfg.ppo.comm = comm;
  cfg.ppo.n_envs = ENVS / comm->size;
  cfg.shard = &sh;
  mimic_status st = mimic_adv_create(&cfg, &ds, &a);
  CHECK(st != MIMIC_OK && a == NULL, "rank %d trained on misplaced shards", comm->rank);
  CHECK(strstr(mimic_errmsg(), "do not partition the dataset") != NULL, "message: %s",
        mimic_errmsg());
  mimic_dataset_free(&ds);
}

int main(void) {
  CHECK(mimic_mpi_begin(&comm) == MIMIC_OK, "joining the job");
  mimic_log_set_level(MIMIC_LOG_WARN);
  mpi_tmpdir(dir, "mpi-gail");

  /* batches of 2 x 64 rows: 64 or 32 a rank */
  mimic_adv_config cfg = mimic_adv_defaults(MIMIC_ADV_GAIL, "CartPole-v1");
  cfg.ppo.n_steps = 64;
  cfg.ppo.batch_size = 64;
  cfg.ppo.n_epochs = 4;
  cfg.ppo.seed = 3;
  cfg.demo_batch_size = 64;
  check_config("CartPole-v1", &cfg, false);
  check_misplaced(&cfg);
  /* 2 x 45 rows the ranks split unevenly (22 and 23 on 4), warm-up steps,
   * absorbing states (the joint rollout's terminations), s' among the inputs */
  cfg.demo_batch_size = 45;
  cfg.disc_warmup = 3;
  cfg.absorbing = true;
  cfg.reward_inputs = MIMIC_REWARD_STATE_ACTION_NEXT_STATE;
  check_config("CartPole-v1, batch 45, absorbing, s'", &cfg, true);

  /* gaussian actions and reward normalisation (the adversarial default) */
  cfg = mimic_adv_defaults(MIMIC_ADV_GAIL, "Pendulum-v1");
  cfg.ppo.n_steps = 64;
  cfg.ppo.batch_size = 64;
  cfg.ppo.n_epochs = 4;
  cfg.ppo.seed = 5;
  cfg.disc_warmup = 2;
  cfg.demo_batch_size = 64;
  check_config("Pendulum-v1", &cfg, false);
  mpi_rmdir(dir);
  mimic_mpi_end(comm);
  return 0;
}
