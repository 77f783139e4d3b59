/* The offline-RL table (mimic experiment offline): every algorithm on
 * every dataset kind, D4RL's way. For each seed and kind a dataset is
 * generated (mimic_generate_dataset, that seed), then behavioural cloning
 * (imitation's defaults) and each offline learner train on it with that
 * seed and are evaluated deterministically on the same episodes as the
 * dataset's reference returns (20 from seed 1000); the score is
 * normalised with the dataset's ref_min_score and ref_max_score. The
 * Decision Transformer is asked for the expert's return (ref_max_score). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/experiments.h"
#include "mimic/bc.h"
#include "mimic/dt.h"
#include "mimic/evaluate.h"
#include "mimic/offpolicy.h"
#include "mimic/policy.h"

static mimic_status score_model(const mimic_exp_offline_config *c, mimic_model *m,
                                const mimic_dataset *ds, double *out) {
  mimic_policy *p;
  mimic_status st = mimic_policy_from_model(m, &ds->act_space.space, &p);
  if (st) {
    mimic_model_free(m);
    return st;
  }
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = c->eval_episodes;
  ec.seed = 1000;
  ec.normalize = false;
  ec.progress = false;
  mimic_eval_result r;
  st = mimic_evaluate(p, c->env_id, c->env_opts, &ec, &r);
  if (!st) {
    *out = (r.return_mean - ds->meta.ref_min_score) /
           (ds->meta.ref_max_score - ds->meta.ref_min_score);
    mimic_eval_result_free(&r);
  }
  mimic_policy_free(p);
  return st;
}

/* The Decision Transformer on ds, asked for the expert's return. */
static mimic_status run_dt(const mimic_exp_offline_config *c, const mimic_dataset *ds,
                           uint64_t seed, double *out) {
  mimic_dt_config dc = c->dt;
  if (!dc.steps) dc.steps = c->steps;
  dc.seed = seed;
  mimic_dt *t;
  MIMIC_TRY(mimic_dt_create(&dc, ds, &t));
  mimic_eval_result r;
  mimic_status st = mimic_dt_learn(t, 0, 0, NULL, NULL);
  if (!st)
    st = mimic_dt_evaluate(t, c->env_id, c->env_opts, ds->meta.ref_max_score, c->eval_episodes,
                           1000, false, &r);
  if (!st) {
    *out = (r.return_mean - ds->meta.ref_min_score) /
           (ds->meta.ref_max_score - ds->meta.ref_min_score);
    mimic_eval_result_free(&r);
  }
  mimic_dt_free(t);
  return st;
}

/* One learner (MIMIC_EXP_OFFLINE_BC, _DT or an offline algorithm) on ds. */
static mimic_status run_one(const mimic_exp_offline_config *c, int algo, const mimic_dataset *ds,
                            uint64_t seed, double *out) {
  mimic_transitions t = mimic_dataset_transitions(ds);
  mimic_model m;
  if (algo == MIMIC_EXP_OFFLINE_DT) return run_dt(c, ds, seed, out);
  const bool discrete = ds->act_space.space.kind == MIMIC_SPACE_DISCRETE;
  if (discrete && algo == MIMIC_EXP_OFFLINE_BC) algo = MIMIC_OFFPOLICY_DISCRETE_BC;
  if (discrete && algo == MIMIC_OFFPOLICY_CQL) algo = MIMIC_OFFPOLICY_DISCRETE_CQL;
  if (algo != MIMIC_EXP_OFFLINE_BC && discrete != mimic_offpolicy_is_discrete(algo))
    return mimic_fail(MIMIC_ERR_INVALID, "%s learns %s actions; %s's are %s",
                      mimic_offpolicy_algo_name((mimic_offpolicy_algo)algo),
                      discrete ? "continuous" : "Discrete", c->env_id,
                      discrete ? "Discrete" : "continuous");
  if (algo == MIMIC_EXP_OFFLINE_BC) {
    mimic_bc_config bc = mimic_bc_defaults();
    bc.seed = seed;
    bc.progress = false;
    mimic_bc_report rep;
    MIMIC_TRY(mimic_bc_model_create(&bc, &t, &m));
    mimic_status st = mimic_bc_fit(&bc, &t, &m, &rep);
    mimic_bc_report_free(&rep);
    if (st) {
      mimic_model_free(&m);
      return st;
    }
    return score_model(c, &m, ds, out);
  }
  mimic_offpolicy_config oc = mimic_offpolicy_defaults((mimic_offpolicy_algo)algo);
  oc.env_id = c->env_id;
  oc.env_opts = c->env_opts;
  oc.total_steps = c->steps;
  oc.seed = seed;
  if (algo == MIMIC_OFFPOLICY_DISCRETE_CQL && c->target_update_interval)
    oc.target_update_interval = c->target_update_interval;
  if (algo == MIMIC_OFFPOLICY_DISCRETE_CQL && c->cql_lr > 0) oc.actor_lr = oc.critic_lr = c->cql_lr;
  if (c->n_hidden) {
    oc.n_hidden = c->n_hidden;
    memcpy(oc.hidden, c->hidden, sizeof oc.hidden);
  }
  mimic_offpolicy *o;
  MIMIC_TRY(mimic_offpolicy_create(&oc, &t, &o));
  mimic_status st = mimic_offpolicy_learn(o, 0, 0, NULL, NULL);
  if (!st) st = mimic_offpolicy_actor_model(o, &m);
  mimic_offpolicy_free(o);
  return st ? st : score_model(c, &m, ds, out);
}

mimic_status mimic_exp_offline_run(const mimic_exp_offline_config *c, double *scores,
                                   double *data_scores) {
  if (c->n_kinds < 1 || c->n_algos < 1 || c->seeds < 1 || c->seeds > MIMIC_EXPERIMENT_MAX_SEEDS)
    return mimic_fail(MIMIC_ERR_INVALID, "offline experiment: kinds, algorithms and 1..%d seeds",
                      MIMIC_EXPERIMENT_MAX_SEEDS);
  mimic_progress bar;
  mimic_progress_begin(&bar, "offline", "runs",
                       (uint64_t)(c->seeds * c->n_kinds * (c->n_algos + 1)));
  if (!c->progress) bar.active = false;
  uint64_t done = 0;
  mimic_status st = MIMIC_OK;
  for (int s = 0; !st && s < c->seeds; s++)
    for (int k = 0; !st && k < c->n_kinds; k++) {
      mimic_generate_config g = mimic_generate_defaults(c->env_id, c->kinds[k], c->transitions);
      g.env_opts = c->env_opts;
      g.seed = c->first_seed + (uint64_t)s;
      g.eval_every = c->eval_every;
      g.expert_noise = c->expert_noise;
      if (c->n_hidden) {
        g.sac.n_hidden = g.dqn.n_hidden = c->n_hidden;
        memcpy(g.sac.hidden, c->hidden, sizeof g.sac.hidden);
        memcpy(g.dqn.hidden, c->hidden, sizeof g.dqn.hidden);
      }
      mimic_dataset ds;
      memset(&ds, 0, sizeof ds);
      mimic_generate_result r;
      st = mimic_generate_dataset(&g, &ds, &r);
      if (!st)
        data_scores[k * c->seeds + s] =
            (r.data_return - r.random_return) / (r.expert_return - r.random_return);
      mimic_progress_update(&bar, ++done);
      for (int a = 0; !st && a < c->n_algos; a++) {
        st = run_one(c, c->algos[a], &ds, c->first_seed + (uint64_t)s,
                     &scores[((size_t)a * c->n_kinds + k) * c->seeds + s]);
        if (st)
          mimic_errctx("%s on %s, seed %d",
                       c->algos[a] == MIMIC_EXP_OFFLINE_BC ? "bc"
                       : c->algos[a] == MIMIC_EXP_OFFLINE_DT
                           ? "dt"
                           : mimic_offpolicy_algo_name((mimic_offpolicy_algo)c->algos[a]),
                       mimic_data_quality_name(c->kinds[k]), s);
        mimic_progress_update(&bar, ++done);
      }
      mimic_dataset_free(&ds);
    }
  mimic_progress_end(&bar);
  return st;
}
