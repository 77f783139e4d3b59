/* Failures per episode against expert labels (experiments/experiments.h).
 *
 * Ross et al.'s other observation: given more data, DAgger's failures fall
 * to about zero within a few iterations, while behavioral cloning's do not
 * improve with more demonstrations. At one horizon and for label counts
 * K, 2K, ..., PK (K = labels/rounds): BC on that many expert labels drawn
 * from E, 2E, ..., PE expert episodes (E = sample_episodes: more labels
 * come with more demonstrations), and DAgger after that many rounds of K
 * labels from E of its learner's episodes (its first being the same BC).
 * Both drive the same evaluation episodes; a failure is a step at which
 * the task stops paying (compounding.c). DAgger's runs of p rounds are
 * separate runs; since a run is a pure function of its settings, the run
 * of p rounds is the first p rounds of the longer ones. */
#include "experiments/compounding_impl.h"

#include <stdlib.h>
#include <string.h>

mimic_status mimic_experiment_compounding_labels(const mimic_compounding_config *cfg,
                                                 mimic_compounding_labels_result *out) {
  memset(out, 0, sizeof *out);
  MIMIC_TRY(mimic_compounding_check(cfg));
  const double t0 = mimic_now();
  const int P = cfg->labels_points, S = cfg->seeds, T = cfg->labels_horizon;
  const long K = cfg->labels / cfg->rounds;
  out->horizon = T;
  out->n = P;
  out->seeds = S;
  double *bc = mimic_calloc(2 * (size_t)P * (size_t)S, sizeof *bc, "failure counts");
  if (!bc) return MIMIC_ERR_NOMEM;
  double *dg = bc + (size_t)P * (size_t)S;
  mimic_progress bar;
  mimic_progress_begin(&bar, "failures against labels", "run", (uint64_t)(P * S));
  if (!cfg->progress) bar.active = false;
  mimic_status st = MIMIC_OK;
  for (int p = 0; p < P && st == MIMIC_OK; p++) {
    out->labels[p] = K * (p + 1);
    for (int s = 0; s < S && st == MIMIC_OK; s++) {
      const uint64_t seed = compounding_seed(cfg, s), eval_seed = seed + 500000u;
      mimic_model m;
      compounding_score sc;
      long used;
      st = compounding_bc(cfg, T, K * (p + 1), cfg->sample_episodes * (p + 1), seed, &m);
      if (st == MIMIC_OK) {
        st = compounding_measure(cfg, &m, T, eval_seed, &sc);
        bc[(size_t)p * (size_t)S + (size_t)s] = sc.failures;
        mimic_model_free(&m);
      }
      if (st == MIMIC_OK) st = compounding_dagger(cfg, T, p + 1, seed, &m, &used);
      if (st == MIMIC_OK) {
        st = compounding_measure(cfg, &m, T, eval_seed, &sc);
        dg[(size_t)p * (size_t)S + (size_t)s] = sc.failures;
        mimic_model_free(&m);
      }
      mimic_progress_update(&bar, (uint64_t)(p * S + s + 1));
    }
  }
  mimic_progress_end(&bar);
  for (int p = 0; p < P && st == MIMIC_OK; p++) {
    const double *b = bc + (size_t)p * (size_t)S, *d = dg + (size_t)p * (size_t)S;
    st = mimic_bootstrap_mean(b, S, cfg->resamples, cfg->seed ^ 0xfa11u, &out->bc[p],
                              &out->bc_lo[p], &out->bc_hi[p]);
    if (st == MIMIC_OK)
      st = mimic_bootstrap_mean(d, S, cfg->resamples, cfg->seed ^ 0xfa11u, &out->dagger[p],
                                &out->dagger_lo[p], &out->dagger_hi[p]);
  }
  free(bc);
  out->seconds = mimic_now() - t0;
  return st;
}
