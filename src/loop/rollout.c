/* Rollouts: N copies of an environment stepped by one policy (see
 * mimic/rollout.h).
 *
 * The copies are plain environments stepped one after the other through
 * the public env API: at mimic's sizes a step costs tens of nanoseconds to
 * a few microseconds, so what matters is that the policy sees one batch
 * per step and that nothing allocates after open. When some copies are idle
 * (the seeded episodes ran out) the running ones are packed into the front
 * of private buffers for the policy and unpacked after; when all run, the
 * policy reads and writes the rollout's own rows directly.
 *
 * Episode k of a seeded rollout always starts from reset(seed + k), and
 * episodes are handed out in index order, so which copy runs an episode
 * never changes what happens in it. */
#include "mimic/rollout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *row(float *base, int i, int width) { return base + (size_t)i * (size_t)width; }

/* Counts one finished episode. */
static void log_add(mimic_episode_log *log, const mimic_episode_end *e) {
  log->episodes++;
  log->return_sum += e->ret;
  log->return_sq_sum += e->ret * e->ret;
  log->length_sum += e->length;
  if (!isnan(e->success)) {
    log->judged++;
    log->successes += e->success > 0;
  }
  log->terminated += e->terminated;
  log->truncated += !e->terminated;
  log->recent_return[log->recent_pos] = e->ret;
  log->recent_length[log->recent_pos] = e->length;
  log->recent_pos = (log->recent_pos + 1) % MIMIC_EPISODE_RECENT;
  if (log->recent_n < MIMIC_EPISODE_RECENT) log->recent_n++;
}

double mimic_episode_log_mean_return(const mimic_episode_log *log) {
  return log->episodes ? log->return_sum / (double)log->episodes : NAN;
}

/* The ring is summed in storage order: the mean is the same set of
 * episodes as SB3's deque, and the order never depends on a wrap. */
static double ring_mean(const double *v, const int *iv, int n) {
  if (!n) return NAN;
  double s = 0;
  for (int k = 0; k < n; k++) s += v ? v[k] : iv[k];
  return s / n;
}

double mimic_episode_log_recent_return(const mimic_episode_log *log) {
  return ring_mean(log->recent_return, NULL, log->recent_n);
}

double mimic_episode_log_recent_length(const mimic_episode_log *log) {
  return ring_mean(NULL, log->recent_length, log->recent_n);
}

/* Counts the episode copy i begins (reset is whether one began: when the
 * seeded episodes ran out the copy idles instead). */
static void begin_episode(mimic_rollout *r, int i, bool reset) {
  r->ep_return[i] = 0;
  r->ep_length[i] = 0;
  if (!reset) {
    if (r->running[i]) r->n_running--;
    r->running[i] = false;
    return;
  }
  r->ep_index[i] = r->started++;
  if (!r->running[i]) r->n_running++;
  r->running[i] = true;
}

mimic_status mimic_rollout_reset(mimic_rollout *r, uint64_t seed) {
  r->cfg.seed = seed;
  r->started = 0;
  r->n_end = 0;
  /* episode k from reset(seed + k) when seeded; else copy i from seed + i,
   * its later episodes continuing its generator */
  int m = 0;
  for (int i = 0; i < r->n; i++) {
    bool go = r->cfg.episodes == 0 || r->started < r->cfg.episodes;
    if (go) {
      r->pack_seed[m] = (int64_t)(seed + (uint64_t)(r->cfg.episodes > 0 ? r->started : i));
      r->pack_copy[m++] = i;
    }
    begin_episode(r, i, go);
  }
  if (mimic_env_reset_copies(r->envs, r->pack_copy, m, r->pack_seed, r->obs))
    return mimic_errctx("%s", mimic_env_id(r->envs[0]));
  return MIMIC_OK;
}

mimic_status mimic_rollout_open(mimic_rollout *r, const char *env_id, const char *env_opts,
                                const mimic_rollout_config *cfg) {
  memset(r, 0, sizeof *r);
  if (cfg->n < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "a rollout needs at least 1 copy, got %d", cfg->n);
  if (cfg->episodes < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "a rollout cannot run %ld episodes", cfg->episodes);
  r->cfg = *cfg;
  r->n = cfg->n;
  r->envs = mimic_calloc((size_t)r->n, sizeof *r->envs, "environments");
  if (!r->envs) return MIMIC_ERR_NOMEM;
  mimic_status made = mimic_env_make_copies(env_id, env_opts, r->n, r->envs);
  if (made) {
    mimic_rollout_close(r);
    return made;
  }
  r->obs_dim = mimic_env_obs_space(r->envs[0])->dim;
  r->act_width = mimic_space_width(mimic_env_action_space(r->envs[0]));
  size_t n = (size_t)r->n, od = n * (size_t)r->obs_dim, aw = n * (size_t)r->act_width;
  r->obs = mimic_calloc(od, sizeof(float), "observations");
  r->final_obs = mimic_calloc(od, sizeof(float), "observations");
  r->pack_obs = mimic_calloc(od, sizeof(float), "observations");
  r->actions = mimic_calloc(aw, sizeof(float), "actions");
  r->pack_act = mimic_calloc(aw, sizeof(float), "actions");
  r->confidence = mimic_calloc(n, sizeof(float), "confidences");
  r->pack_conf = mimic_calloc(n, sizeof(float), "confidences");
  r->reward = mimic_calloc(n, sizeof(double), "rewards");
  r->ep_return = mimic_calloc(n, sizeof(double), "returns");
  r->terminated = mimic_calloc(n, sizeof(bool), "flags");
  r->truncated = mimic_calloc(n, sizeof(bool), "flags");
  r->running = mimic_calloc(n, sizeof(bool), "flags");
  r->ep_length = mimic_calloc(n, sizeof(int), "lengths");
  r->ep_index = mimic_calloc(n, sizeof(long), "episodes");
  r->end = mimic_calloc(n, sizeof(mimic_episode_end), "episodes");
  r->pack_envs = mimic_calloc(n, sizeof(mimic_env *), "environments");
  r->pack_copy = mimic_calloc(n, sizeof(int), "environments");
  r->ident = mimic_calloc(n, sizeof(int), "environments");
  r->pack_start = mimic_calloc(n, sizeof(bool), "flags");
  r->pack_reset = mimic_calloc(n, sizeof(bool), "flags");
  r->pack_seed = mimic_calloc(n, sizeof(int64_t), "seeds");
  for (int i = 0; r->ident && i < r->n; i++) r->ident[i] = i;
  mimic_status st = MIMIC_OK;
  if (!r->obs || !r->final_obs || !r->pack_obs || !r->actions || !r->pack_act || !r->confidence ||
      !r->pack_conf || !r->reward || !r->ep_return || !r->terminated || !r->truncated ||
      !r->running || !r->ep_length || !r->ep_index || !r->end || !r->pack_envs || !r->pack_copy ||
      !r->ident || !r->pack_start || !r->pack_reset || !r->pack_seed)
    st = MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) st = mimic_rollout_reset(r, cfg->seed);
  if (st) mimic_rollout_close(r);
  return st;
}

void mimic_rollout_close(mimic_rollout *r) {
  if (!r) return;
  for (int i = 0; r->envs && i < r->n; i++) mimic_env_free(r->envs[i]);
  free(r->envs);
  free(r->obs);
  free(r->final_obs);
  free(r->pack_obs);
  free(r->actions);
  free(r->pack_act);
  free(r->confidence);
  free(r->pack_conf);
  free(r->reward);
  free(r->ep_return);
  free(r->terminated);
  free(r->truncated);
  free(r->running);
  free(r->ep_length);
  free(r->ep_index);
  free(r->end);
  free(r->pack_envs);
  free(r->pack_copy);
  free(r->ident);
  free(r->pack_start);
  free(r->pack_reset);
  free(r->pack_seed);
  free(r->saved);
  memset(r, 0, sizeof *r);
}

bool mimic_rollout_done(const mimic_rollout *r) { return r->cfg.episodes > 0 && r->n_running == 0; }

mimic_status mimic_rollout_act(mimic_rollout *r, mimic_policy *policy, bool deterministic,
                               mimic_rng *rng) {
  /* a recurrent policy follows copy i as stream i, from each episode's start */
  if (r->n_running == r->n) {
    for (int i = 0; i < r->n; i++) r->pack_start[i] = r->ep_length[i] == 0;
    mimic_act_batch b = {.n = r->n,
                         .obs = r->obs,
                         .envs = r->envs,
                         .actions = r->actions,
                         .confidence = r->confidence,
                         .deterministic = deterministic,
                         .rng = rng,
                         .streams = r->ident,
                         .starts = r->pack_start};
    return mimic_policy_act(policy, &b);
  }
  int m = 0;
  for (int i = 0; i < r->n; i++) {
    if (!r->running[i]) continue;
    memcpy(row(r->pack_obs, m, r->obs_dim), row(r->obs, i, r->obs_dim),
           (size_t)r->obs_dim * sizeof(float));
    r->pack_envs[m] = r->envs[i];
    r->pack_start[m] = r->ep_length[i] == 0;
    r->pack_copy[m++] = i;
  }
  mimic_act_batch b = {.n = m,
                       .obs = r->pack_obs,
                       .envs = r->pack_envs,
                       .actions = r->pack_act,
                       .confidence = r->pack_conf,
                       .deterministic = deterministic,
                       .rng = rng,
                       .streams = r->pack_copy,
                       .starts = r->pack_start};
  MIMIC_TRY(mimic_policy_act(policy, &b));
  for (int k = 0; k < m; k++) {
    int i = r->pack_copy[k];
    memcpy(row(r->actions, i, r->act_width), row(r->pack_act, k, r->act_width),
           (size_t)r->act_width * sizeof(float));
    r->confidence[i] = r->pack_conf[k];
  }
  return MIMIC_OK;
}

mimic_status mimic_rollout_step(mimic_rollout *r) {
  r->n_end = 0;
  int m = 0;
  for (int i = 0; i < r->n; i++) {
    if (r->running[i]) {
      r->pack_copy[m++] = i;
    } else {
      r->reward[i] = 0;
      r->terminated[i] = r->truncated[i] = false;
    }
  }
  /* the copies that end are reset in the same call, in copy order, with
   * the seeds start-of-episode order gives them */
  bool seeded = r->cfg.episodes > 0;
  mimic_env_batch b = {.envs = r->envs,
                       .rows = r->pack_copy,
                       .m = m,
                       .actions = r->actions,
                       .obs = r->obs,
                       .reward = r->reward,
                       .terminated = r->terminated,
                       .truncated = r->truncated,
                       .final_obs = r->final_obs,
                       .reset = r->pack_reset,
                       .next_seed =
                           seeded ? (int64_t)(r->cfg.seed + (uint64_t)r->started) : MIMIC_SEED_NONE,
                       .max_resets = seeded ? r->cfg.episodes - r->started : (long)r->n};
  MIMIC_TRY(mimic_env_step_copies(&b));
  for (int k = 0; k < m; k++) {
    int i = r->pack_copy[k];
    r->ep_return[i] += r->reward[i];
    r->ep_length[i]++;
    if (!r->terminated[i] && !r->truncated[i]) continue;
    mimic_episode_end *e = &r->end[r->n_end++];
    *e = (mimic_episode_end){
        .copy = i,
        .episode = r->ep_index[i],
        .ret = r->ep_return[i],
        .length = r->ep_length[i],
        .success = mimic_env_success(r->envs[i], r->ep_return[i], r->terminated[i], r->reward[i]),
        .terminated = r->terminated[i]};
    log_add(&r->log, e);
    begin_episode(r, i, r->pack_reset[i]);
  }
  return MIMIC_OK;
}
