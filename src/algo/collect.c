/* Recording demonstrations (see mimic/collect.h).
 *
 * One environment, one episode at a time: demonstrations are cheap next to
 * everything else, and a single stream keeps episode k's seed and content
 * independent of any batching. The episode buffer is reused; the writer
 * makes each finished episode durable before the next one starts. */
#include "mimic/collect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/rollout.h"

/* Noise scales with each dimension's half-range, so it needs bounded Box
 * actions: a Discrete expert is made stochastic with epsilon instead. */
mimic_status mimic_collect_check_noise(const char *env_id, const mimic_space *as) {
  if (as->kind != MIMIC_SPACE_BOX)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s: action noise needs Box actions (Discrete: use epsilon instead)", env_id);
  for (int i = 0; i < as->dim; i++)
    if (!as->low || !as->high || !isfinite(as->low[i]) || !isfinite(as->high[i]))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "%s: action noise needs bounded actions; dimension %d is unbounded", env_id,
                        i);
  return MIMIC_OK;
}

/* Adds N(0, (std * half-range)^2) to each dimension and clips to the bounds. */
static void add_action_noise(const mimic_space *as, double std, mimic_rng *rng, float *action) {
  for (int i = 0; i < as->dim; i++) {
    const double half = 0.5 * ((double)as->high[i] - as->low[i]);
    const double a = action[i] + std * half * mimic_rng_normal(rng);
    action[i] = (float)(a < as->low[i] ? as->low[i] : a > as->high[i] ? as->high[i] : a);
  }
}

mimic_status mimic_collect(const mimic_collect_config *cfg, mimic_policy *policy, mimic_dataset *ds,
                           mimic_dataset_writer *writer, mimic_collect_result *result) {
  memset(result, 0, sizeof *result);
  if (cfg->episodes < 1) return mimic_fail(MIMIC_ERR_INVALID, "collect at least 1 episode");
  if (!(cfg->epsilon >= 0 && cfg->epsilon <= 1))
    return mimic_fail(MIMIC_ERR_INVALID, "epsilon must be in [0, 1], got %g", cfg->epsilon);
  if (!(cfg->action_noise >= 0 && isfinite(cfg->action_noise)))
    return mimic_fail(MIMIC_ERR_INVALID, "action noise must be a finite number >= 0, got %g",
                      cfg->action_noise);
  mimic_rollout r;
  mimic_rollout_config rc = {.n = 1, .seed = cfg->seed, .episodes = cfg->episodes};
  MIMIC_TRY(mimic_rollout_open(&r, cfg->env_id, cfg->env_opts, &rc));
  mimic_policy *random = NULL;
  mimic_episode_buf ep = {0};
  const mimic_space *os = mimic_env_obs_space(r.envs[0]), *as = mimic_env_action_space(r.envs[0]);
  mimic_status st = mimic_policy_random(as, &random);
  if (st == MIMIC_OK && cfg->action_noise > 0) st = mimic_collect_check_noise(cfg->env_id, as);
  if (st == MIMIC_OK) st = mimic_episode_buf_init(&ep, r.obs_dim, r.act_width);
  if (st == MIMIC_OK && ds && ds->n_episodes == 0 && ds->obs_dim == 0) {
    mimic_data_space dos = {0}, das = {0};
    st = mimic_data_space_from_env(&dos, os);
    if (st == MIMIC_OK) st = mimic_data_space_from_env(&das, as);
    if (st == MIMIC_OK) st = mimic_dataset_init(ds, &dos, &das);
    if (st == MIMIC_OK) st = mimic_dataset_meta_set(&ds->meta.env_id, cfg->env_id);
    mimic_data_space_free(&dos);
    mimic_data_space_free(&das);
  }
  mimic_rng rng;
  mimic_rng_seed(&rng, cfg->seed);
  mimic_progress bar;
  mimic_progress_begin(&bar, "collect", "episode", (uint64_t)cfg->episodes);
  if (!cfg->progress) bar.active = false;
  if (st == MIMIC_OK) st = mimic_episode_buf_reset(&ep, r.obs, (int64_t)cfg->seed);
  while (st == MIMIC_OK && !mimic_rollout_done(&r)) {
    st = mimic_rollout_act(&r, policy, !cfg->sample, &rng);
    if (st == MIMIC_OK && cfg->epsilon > 0 && mimic_rng_double(&rng) < cfg->epsilon) {
      mimic_act_batch b = {.n = 1, .obs = r.obs, .actions = r.actions, .rng = &rng};
      st = mimic_policy_act(random, &b);
    } else if (st == MIMIC_OK && cfg->action_noise > 0) {
      add_action_noise(as, cfg->action_noise, &rng, r.actions);
    }
    if (st == MIMIC_OK) st = mimic_rollout_step(&r);
    if (st == MIMIC_OK)
      st = mimic_episode_buf_step(&ep, r.actions, r.reward[0], r.terminated[0], r.truncated[0],
                                  r.n_end ? r.final_obs : r.obs);
    if (st != MIMIC_OK) {
      mimic_errctx("episode %ld (seed %lld)", r.ep_index[0],
                   (long long)(cfg->seed + (uint64_t)r.ep_index[0]));
      break;
    }
    bool cut = cfg->transitions > 0 && result->steps + ep.T >= (size_t)cfg->transitions;
    if (cut && !r.n_end) ep.trunc[ep.T - 1] = 1; /* the dataset ends inside this episode */
    if (!r.n_end && !cut) continue;
    mimic_episode view = mimic_episode_buf_view(&ep);
    if (ds) st = mimic_dataset_add_episode(ds, &view);
    if (st == MIMIC_OK && writer) st = mimic_dataset_writer_append(writer, &view);
    result->episodes++;
    result->steps += view.T;
    mimic_progress_note(&bar, "return %.1f", r.end[0].ret);
    mimic_progress_update(&bar, (uint64_t)result->episodes);
    if (cut) break;
    if (st == MIMIC_OK && r.running[0])
      st = mimic_episode_buf_reset(&ep, r.obs, (int64_t)(cfg->seed + (uint64_t)r.ep_index[0]));
  }
  mimic_progress_end(&bar);
  if (result->episodes) {
    /* a cut episode is not in the rollout's log: average what was recorded */
    result->return_mean = r.log.episodes ? mimic_episode_log_mean_return(&r.log) : NAN;
    result->length_mean = (double)result->steps / result->episodes;
  }
  mimic_episode_buf_free(&ep);
  mimic_policy_free(random);
  mimic_rollout_close(&r);
  return st;
}

mimic_status mimic_collect_expert(const char *env_id, const char *env_opts, int episodes,
                                  uint64_t seed, mimic_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  mimic_env *env;
  MIMIC_TRY(mimic_env_make(env_id, env_opts, &env));
  mimic_policy *expert;
  mimic_status st = mimic_policy_builtin_expert(env, &expert);
  mimic_env_free(env);
  if (st) return st;
  mimic_collect_config cfg = {
      .env_id = env_id, .env_opts = env_opts, .episodes = episodes, .seed = seed};
  mimic_collect_result res;
  st = mimic_collect(&cfg, expert, ds, NULL, &res);
  mimic_policy_free(expert);
  if (st) mimic_dataset_free(ds);
  return st;
}
