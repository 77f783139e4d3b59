/* Data-parallel GAIL as one run under MPI (ctest runs it under `mpirun -np 2`
 * and `-np 4`, and once alone as a one-process job).
 *
 * A job of S ranks stepping 8/S environments each must be the run one
 * process makes with 8 environments: the generator is data-parallel PPO
 * (test_mpi_ppo), and the discriminator must see the one process's batches,
 * its input statistics and its gradient. Every rank trains a few rounds
 * twice with the communicator and once alone (no communicator, all 8
 * environments) as the reference. Checked:
 *  - the two parallel runs agree bit for bit;
 *  - after round 1 (the rollouts are still the same bits) the
 *    discriminator's input statistics equal one process's exactly;
 *  - after the last round every parameter of the generator and of the
 *    discriminator is within 1e-4 of one process's (the test prints the
 *    largest difference; docs/cluster.md gives the measured ones), and so
 *    are the logged discriminator losses and accuracies;
 *  - a one-rank job equals no communicator exactly.
 * A discriminator that drew batches of its own on each rank (as before)
 * is off by far more than the tolerance after one round. A failure on any
 * rank ends the job (mpi_check.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Trains ROUNDS rounds with comm c (NULL: alone with every environment). */
static void train(const mimic_adv_config *base, const mimic_dataset *ds, mimic_comm *c, run *out) {
  mimic_adv_config cfg = *base;
  cfg.ppo.comm = c;
  cfg.ppo.n_envs = mimic_comm_parallel(c) ? ENVS / c->size : ENVS;
  mimic_adv *a;
  CHECK(mimic_adv_create(&cfg, ds, &a) == MIMIC_OK, "adv_create");
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

static void check_config(const char *what, const mimic_adv_config *cfg, int episodes) {
  mimic_dataset ds;
  CHECK(mimic_collect_expert(cfg->ppo.env_id, NULL, episodes, 0, &ds) == MIMIC_OK, "demos");
  run ref, a, b;
  train(cfg, &ds, NULL, &ref);
  train(cfg, &ds, comm, &a);
  train(cfg, &ds, comm, &b);
  CHECK(same(&a.gen, &b.gen) && same(&a.disc, &b.disc), "%s: two runs on %d ranks differ", what,
        comm->size);
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
  run *runs[3] = {&ref, &a, &b};
  for (int i = 0; i < 3; i++) {
    drop(&runs[i]->gen);
    drop(&runs[i]->disc);
    drop(&runs[i]->stats1);
  }
  mimic_dataset_free(&ds);
}

int main(void) {
  CHECK(mimic_mpi_begin(&comm) == MIMIC_OK, "joining the job");
  mimic_log_set_level(MIMIC_LOG_WARN);

  /* batches of 2 x 64 rows: 64 or 32 a rank */
  mimic_adv_config cfg = mimic_adv_defaults(MIMIC_ADV_GAIL, "CartPole-v1");
  cfg.ppo.n_steps = 64;
  cfg.ppo.batch_size = 64;
  cfg.ppo.n_epochs = 4;
  cfg.ppo.seed = 3;
  cfg.demo_batch_size = 64;
  check_config("CartPole-v1", &cfg, 1);
  /* 2 x 45 rows the ranks split unevenly (22 and 23 on 4), warm-up steps,
   * absorbing states (the joint rollout's terminations), s' among the inputs */
  cfg.demo_batch_size = 45;
  cfg.disc_warmup = 3;
  cfg.absorbing = true;
  cfg.reward_inputs = MIMIC_REWARD_STATE_ACTION_NEXT_STATE;
  check_config("CartPole-v1, batch 45, absorbing, s'", &cfg, 1);

  /* gaussian actions and reward normalisation (the adversarial default) */
  cfg = mimic_adv_defaults(MIMIC_ADV_GAIL, "Pendulum-v1");
  cfg.ppo.n_steps = 64;
  cfg.ppo.batch_size = 64;
  cfg.ppo.n_epochs = 4;
  cfg.ppo.seed = 5;
  cfg.disc_warmup = 2;
  cfg.demo_batch_size = 64;
  check_config("Pendulum-v1", &cfg, 2);
  mimic_mpi_end(comm);
  return 0;
}
