/* Policy evaluation over seeded episodes.
 *
 * Up to `parallel` environments step in lockstep so the policy answers one
 * batch per step (a network's forward pass is then one matrix product, not
 * hundreds). Episode k is always reset with seed + k and assigned in order,
 * so the set of episodes, and hence every figure, is the same whatever the
 * degree of parallelism. Sampled actions draw from one generator in a fixed
 * order, so a sampled evaluation is reproducible too. */
#include "mimic/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/nn.h"
#include "mimic/rollout.h"

mimic_eval_config mimic_eval_defaults(void) {
  return (mimic_eval_config){.episodes = 100,
                             .seed = 0,
                             .sample = false,
                             .parallel = 0,
                             .normalize = true,
                             .progress = true};
}

void mimic_eval_result_free(mimic_eval_result *r) {
  free(r->returns);
  free(r->lengths);
  r->returns = NULL;
  r->lengths = NULL;
}

/* Runs cfg->episodes episodes of policy; fills returns, lengths, success. */
static mimic_status run_episodes(mimic_policy *policy, const char *env_id, const char *env_opts,
                                 const mimic_eval_config *cfg, const char *label, double *returns,
                                 int *lengths, double *success) {
  int n = cfg->parallel > 0 ? cfg->parallel : (cfg->episodes < 32 ? cfg->episodes : 32);
  if (n > cfg->episodes) n = cfg->episodes;
  mimic_rollout r;
  mimic_rollout_config rc = {.n = n, .seed = cfg->seed, .episodes = cfg->episodes};
  MIMIC_TRY(mimic_rollout_open(&r, env_id, env_opts, &rc));
  mimic_status st = MIMIC_OK;
  int od = r.obs_dim;
  if (mimic_policy_obs_dim(policy) && mimic_policy_obs_dim(policy) != od)
    st = mimic_fail(MIMIC_ERR_INVALID, "%s expects observations of %d values, but %s gives %d",
                    mimic_policy_describe(policy), mimic_policy_obs_dim(policy), env_id, od);
  mimic_rng rng;
  mimic_rng_seed(&rng, cfg->seed ^ 0x5eedULL);
  mimic_progress bar;
  mimic_progress_begin(&bar, label, "episode", (uint64_t)cfg->episodes);
  if (!cfg->progress) bar.active = false;
  while (st == MIMIC_OK && !mimic_rollout_done(&r)) {
    st = mimic_rollout_act(&r, policy, !cfg->sample, &rng);
    if (st == MIMIC_OK) st = mimic_rollout_step(&r);
    for (int k = 0; st == MIMIC_OK && k < r.n_end; k++) {
      const mimic_episode_end *e = &r.end[k];
      returns[e->episode] = e->ret;
      lengths[e->episode] = e->length;
      if (success) success[e->episode] = e->success;
    }
    mimic_progress_update(&bar, (uint64_t)r.log.episodes);
  }
  mimic_progress_end(&bar);
  mimic_rollout_close(&r);
  return st;
}

static void mean_std(const double *v, int n, double *mean, double *std) {
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++) s += v[i];
  *mean = s / n;
  for (int i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
  *std = sqrt(s2 / n); /* population std, as SB3's evaluate_policy (np.std) */
}

static mimic_status reference_return(const char *kind, const char *env_id, const char *env_opts,
                                     const mimic_eval_config *cfg, double *mean) {
  mimic_env *env;
  MIMIC_TRY(mimic_env_make(env_id, env_opts, &env));
  mimic_policy *p;
  mimic_status st = mimic_policy_open(kind, env, 0, &p);
  mimic_env_free(env);
  if (st) return st;
  double *r = mimic_malloc((size_t)cfg->episodes * sizeof *r, "returns");
  int *len = mimic_malloc((size_t)cfg->episodes * sizeof *len, "lengths");
  st = r && len ? MIMIC_OK : MIMIC_ERR_NOMEM;
  mimic_eval_config ref = *cfg;
  ref.sample = strcmp(kind, "random") == 0; /* the random policy always samples */
  if (st == MIMIC_OK) st = run_episodes(p, env_id, env_opts, &ref, kind, r, len, NULL);
  double std;
  if (st == MIMIC_OK) mean_std(r, cfg->episodes, mean, &std);
  free(r);
  free(len);
  mimic_policy_free(p);
  return st;
}

mimic_status mimic_eval_references(const char *env_id, const char *env_opts,
                                   const mimic_eval_config *cfg, double *expert_return,
                                   double *random_return) {
  /* One definition everywhere: the references belong to the environment
   * (id and options), not to the evaluation asking for them, so they are
   * always measured on the same episodes, whatever cfg's count and seed. */
  mimic_eval_config ref = *cfg;
  ref.episodes = MIMIC_EVAL_REF_EPISODES;
  ref.seed = 0;
  ref.sample = false;
  MIMIC_TRY(reference_return("expert", env_id, env_opts, &ref, expert_return));
  return reference_return("random", env_id, env_opts, &ref, random_return);
}

mimic_status mimic_evaluate(mimic_policy *policy, const char *env_id, const char *env_opts,
                            const mimic_eval_config *cfg, mimic_eval_result *out) {
  memset(out, 0, sizeof *out);
  if (cfg->episodes < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "evaluation needs at least 1 episode");
  out->episodes = cfg->episodes;
  out->returns = mimic_malloc((size_t)cfg->episodes * sizeof *out->returns, "returns");
  out->lengths = mimic_malloc((size_t)cfg->episodes * sizeof *out->lengths, "lengths");
  double *success = mimic_malloc((size_t)cfg->episodes * sizeof *success, "successes");
  mimic_status st = out->returns && out->lengths && success ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK)
    st = run_episodes(policy, env_id, env_opts, cfg, "eval", out->returns, out->lengths, success);
  if (st == MIMIC_OK) {
    mean_std(out->returns, cfg->episodes, &out->return_mean, &out->return_std);
    double len = 0, succ = 0;
    for (int i = 0; i < cfg->episodes; i++) {
      len += out->lengths[i];
      succ += success[i];
    }
    out->length_mean = len / cfg->episodes;
    out->success_rate = succ / cfg->episodes; /* NAN propagates when undefined */
    out->expert_return = out->random_return = out->normalized_score = NAN;
  }
  free(success);
  if (st == MIMIC_OK && cfg->normalize) {
    st = mimic_eval_references(env_id, env_opts, cfg, &out->expert_return, &out->random_return);
    if (st == MIMIC_OK) {
      double span = out->expert_return - out->random_return;
      out->normalized_score =
          fabs(span) > 1e-12 ? (out->return_mean - out->random_return) / span : NAN;
    }
  }
  if (st != MIMIC_OK) mimic_eval_result_free(out);
  return st;
}

mimic_status mimic_evaluate_model(struct mimic_model *model, const mimic_space *action_space,
                                  const char *env_id, const char *env_opts, int episodes,
                                  uint64_t seed, double *mean, double *std) {
  mimic_policy *pol;
  mimic_status st = mimic_policy_from_model(model, action_space, &pol);
  if (st) {
    mimic_model_free(model);
    return st;
  }
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = episodes;
  ec.seed = seed;
  ec.normalize = false;
  ec.progress = false;
  mimic_eval_result r;
  st = mimic_evaluate(pol, env_id, env_opts, &ec, &r);
  if (st == MIMIC_OK) {
    *mean = r.return_mean;
    if (std) *std = r.return_std;
    mimic_eval_result_free(&r);
  }
  mimic_policy_free(pol);
  return st;
}
