/* Data-parallel behavioral cloning under MPI (ctest runs it under
 * `mpirun -np 2` and `-np 4`, and once alone as a one-process job).
 *
 * Every rank trains the same clone twice on its slices of the same global
 * batches, and once alone (no communicator) as the reference. The two
 * parallel runs must agree bit for bit (a fixed rank count sums in a fixed
 * order), every rank must hold the same parameters (mimic_bc_fit checks it
 * and fails otherwise), and the parallel model must equal the one-process
 * one up to float summation order: the test prints the largest parameter
 * difference and fails above 1e-4 (measured: 1.2e-7 to 9.8e-7 at 2 and
 * 4 ranks; see docs/cluster.md). A failure on any rank ends the job
 * (mpi_check.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/collect.h"
#include "mpi_check.h"

/* Trains a clone with comm c (NULL: alone) into model. */
static void train(const mimic_bc_config *base, mimic_comm *c, const mimic_transitions *t,
                  mimic_model *model, mimic_bc_report *rep) {
  mimic_bc_config cfg = *base;
  cfg.comm = c;
  CHECK(mimic_bc_model_create(&cfg, t, model) == MIMIC_OK, "model_create");
  CHECK(mimic_bc_fit(&cfg, t, model, rep) == MIMIC_OK, "bc_fit");
}

static double max_diff(const mimic_model *a, const mimic_model *b) {
  double d = 0;
  for (size_t k = 0; k < a->n_params; k++) d = fmax(d, fabs((double)a->params[k] - b->params[k]));
  return d;
}

/* One configuration: reference, two parallel runs, the comparisons. */
static void check_config(const char *what, const mimic_bc_config *cfg, const mimic_transitions *t) {
  mimic_model ref, a, b;
  mimic_bc_report rr, ra, rb;
  train(cfg, NULL, t, &ref, &rr);
  train(cfg, comm, t, &a, &ra);
  train(cfg, comm, t, &b, &rb);
  CHECK(a.n_params == ref.n_params, "%s: parameter counts", what);
  CHECK(memcmp(a.params, b.params, a.n_params * sizeof(float)) == 0,
        "%s: two runs on %d ranks differ", what, comm->size);
  CHECK(ra.batches == rr.batches, "%s: %ld batches, alone %ld", what, ra.batches, rr.batches);
  double d = max_diff(&a, &ref);
  double loss_gap = fabs(ra.final_train_loss - rr.final_train_loss);
  if (comm->rank == 0)
    printf("%s on %d rank%s: %zu parameters, %ld batches; max |param - one process| = %.3g, "
           "final loss %.9g vs %.9g\n",
           what, comm->size, comm->size == 1 ? "" : "s", a.n_params, ra.batches, d,
           ra.final_train_loss, rr.final_train_loss);
  if (comm->size == 1)
    CHECK(d == 0, "%s: a one-rank job differs from no communicator by %g", what, d);
  CHECK(d <= 1e-4, "%s: parallel model differs from one process by %g", what, d);
  CHECK(loss_gap <= 1e-4, "%s: final losses differ by %g", what, loss_gap);
  mimic_model_free(&ref);
  mimic_model_free(&a);
  mimic_model_free(&b);
  mimic_bc_report_free(&rr);
  mimic_bc_report_free(&ra);
  mimic_bc_report_free(&rb);
}

int main(void) {
  CHECK(mimic_mpi_begin(&comm) == MIMIC_OK, "joining the job");
  mimic_log_set_level(MIMIC_LOG_WARN);

  mimic_dataset ds;
  CHECK(mimic_collect_expert("CartPole-v1", NULL, 10, 0, &ds) == MIMIC_OK, "collect");
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.epochs = 5;
  check_config("CartPole-v1, batch 32", &cfg, &t);
  /* a batch the ranks cannot split evenly (30 = 15+15, 7+8+7+8), with an
   * L2 term (every rank adds it; the shares weight it back to once) */
  cfg.batch_size = 30;
  cfg.l2_weight = 1e-4;
  check_config("CartPole-v1, batch 30, l2", &cfg, &t);
  mimic_dataset_free(&ds);

  mimic_collect_expert("Pendulum-v1", NULL, 5, 0, &ds);
  t = mimic_dataset_transitions(&ds);
  cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.epochs = 3;
  check_config("Pendulum-v1 (gaussian)", &cfg, &t);
  mimic_dataset_free(&ds);

  /* a batch smaller than the job is refused, on every rank alike */
  if (comm->size > 1) {
    CHECK(mimic_collect_expert("CartPole-v1", NULL, 1, 0, &ds) == MIMIC_OK, "collect");
    t = mimic_dataset_transitions(&ds);
    cfg.batch_size = comm->size - 1;
    cfg.comm = comm;
    CHECK(mimic_bc_check(&cfg, &t) == MIMIC_ERR_INVALID, "a batch of %d on %d ranks passed",
          cfg.batch_size, comm->size);
    CHECK(strstr(mimic_errmsg(), "cannot be split over") != NULL, "message: %s", mimic_errmsg());
    mimic_dataset_free(&ds);
  }
  mimic_mpi_end(comm);
  return 0;
}
