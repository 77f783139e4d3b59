/* Data-parallel PPO as one run under MPI (ctest runs it under `mpirun -np 2`
 * and `-np 4`, and once alone as a one-process job).
 *
 * A job of S ranks stepping 8/S environments each must be the run one
 * process makes with 8 environments: the same actions, the same global
 * minibatches, the same parameters up to float summation order. Every rank
 * trains a few iterations twice with the communicator and once alone (no
 * communicator) with all 8 environments as the reference. The two parallel
 * runs must agree bit for bit, and the parallel parameters must equal the
 * one-process ones: the test prints the largest difference and fails above
 * 1e-4 (docs/cluster.md gives the measured differences). A one-rank job
 * must equal no communicator exactly. A failure on any rank ends the job
 * (mpi_check.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/ppo.h"
#include "mpi_check.h"

#define ENVS 8 /* one process's environments; split over 1, 2 or 4 ranks */
#define ITERS 3

typedef struct run {
  float *params;
  size_t n_params;
  mimic_ppo_iter it[ITERS];
  long timesteps;
} run;

/* Trains ITERS iterations with comm c (NULL: alone with every environment). */
static void train(const mimic_ppo_config *base, mimic_comm *c, run *out) {
  mimic_ppo_config cfg = *base;
  cfg.comm = c;
  cfg.n_envs = mimic_comm_parallel(c) ? ENVS / c->size : ENVS;
  mimic_ppo *p;
  CHECK(mimic_ppo_create(&cfg, NULL, &p) == MIMIC_OK, "ppo_create");
  for (int i = 0; i < ITERS; i++) {
    CHECK(mimic_ppo_collect(p) == MIMIC_OK, "collect %d", i);
    CHECK(mimic_ppo_update(p, &out->it[i]) == MIMIC_OK, "update %d", i);
  }
  const mimic_model *m = mimic_ppo_model(p);
  out->n_params = m->n_params;
  out->params = malloc(m->n_params * sizeof(float));
  CHECK(out->params != NULL, "malloc");
  memcpy(out->params, m->params, m->n_params * sizeof(float));
  out->timesteps = out->it[ITERS - 1].timesteps;
  mimic_ppo_free(p);
}

static void check_config(const char *what, const mimic_ppo_config *cfg) {
  run ref, a, b;
  train(cfg, NULL, &ref);
  train(cfg, comm, &a);
  train(cfg, comm, &b);
  CHECK(a.n_params == ref.n_params, "%s: parameter counts", what);
  CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0,
        "%s: two runs on %d ranks differ", what, comm->size);
  CHECK(a.timesteps == ref.timesteps, "%s: %ld steps, alone %ld", what, a.timesteps, ref.timesteps);
  double d = 0;
  for (size_t k = 0; k < a.n_params; k++) d = fmax(d, fabs((double)a.params[k] - ref.params[k]));
  double kl = 0, vl = 0;
  for (int i = 0; i < ITERS; i++) {
    CHECK(a.it[i].epochs == ref.it[i].epochs, "%s: iteration %d ran %d epochs, alone %d", what,
          i + 1, a.it[i].epochs, ref.it[i].epochs);
    kl = fmax(kl, fabs(a.it[i].approx_kl - ref.it[i].approx_kl));
    vl = fmax(vl, fabs(a.it[i].value_loss - ref.it[i].value_loss) /
                      fmax(1.0, fabs(ref.it[i].value_loss)));
  }
  if (comm->rank == 0)
    printf("%s on %d rank%s x %d envs: %zu parameters after %d iterations; max |param - one "
           "process| = %.3g, approx_kl %.3g, value loss (relative) %.3g\n",
           what, comm->size, comm->size == 1 ? "" : "s", ENVS / comm->size, a.n_params, ITERS, d,
           kl, vl);
  if (comm->size == 1)
    CHECK(d == 0, "%s: a one-rank job differs from no communicator by %g", what, d);
  CHECK(d <= 1e-4, "%s: parallel parameters differ from one process by %g", what, d);
  CHECK(kl <= 1e-5 && vl <= 1e-4, "%s: logged losses differ (kl %g, value %g)", what, kl, vl);
  free(ref.params);
  free(a.params);
  free(b.params);
}

int main(void) {
  CHECK(mimic_mpi_begin(&comm) == MIMIC_OK, "joining the job");
  mimic_log_set_level(MIMIC_LOG_WARN);

  mimic_ppo_config cfg = mimic_ppo_defaults();
  cfg.env_id = "CartPole-v1";
  cfg.n_steps = 64;
  cfg.batch_size = 64;
  cfg.n_epochs = 4;
  cfg.seed = 3;
  cfg.total_steps = 100000;
  check_config("CartPole-v1", &cfg);
  /* minibatches the ranks hold unevenly (100 rows, the last 12), entropy,
   * a KL stop and linear schedules */
  cfg.batch_size = 100;
  cfg.ent_coef = 0.01;
  cfg.target_kl = 0.01;
  cfg.lr_linear = cfg.clip_linear = true;
  cfg.total_steps = 4000;
  check_config("CartPole-v1, batch 100, target_kl", &cfg);

  /* gaussian actions (normals drawn in pairs), reward normalisation, value clipping */
  cfg = mimic_ppo_defaults();
  cfg.env_id = "Pendulum-v1";
  cfg.n_steps = 64;
  cfg.batch_size = 64;
  cfg.n_epochs = 4;
  cfg.seed = 5;
  cfg.norm_reward = true;
  cfg.clip_range_vf = 0.2;
  cfg.total_steps = 100000;
  check_config("Pendulum-v1", &cfg);
  mimic_mpi_end(comm);
  return 0;
}
