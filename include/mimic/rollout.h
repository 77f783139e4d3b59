/* mimic/rollout.h: environments stepped by a policy, and the episode
 * statistics every loop reports.
 *
 * A rollout is N copies of one environment side by side. Each step the
 * policy answers for every running copy in one batch, every running copy
 * steps, and a copy whose episode ended is reset in the same call
 * (Stable-Baselines3's VecEnv): obs row i then holds the next episode's
 * first observation and final_obs row i the last observation of the one
 * that ended. Two ways to seed:
 *
 *   episodes > 0   episode k starts from reset(seed + k), handed out in
 *                  order to whichever copy is free; once every episode has
 *                  started, copies fall idle. Every figure then depends on
 *                  the seed alone, not on N (evaluation, collection).
 *   episodes == 0  copy i starts from reset(seed + i) and its later
 *                  episodes continue its generator (training: PPO, DAgger).
 *
 * Every finished episode is counted in one place, the rollout's log
 * (PufferLib's Log): sums of returns, lengths, successes, terminations and
 * truncations, plus the last 100 episodes (SB3's ep_info_buffer). Collect,
 * evaluate, DAgger, PPO, GAIL/AIRL and the experiments all step through
 * here, so "an episode" means the same thing in every report. */
#ifndef MIMIC_ROLLOUT_H
#define MIMIC_ROLLOUT_H

#include "mimic/container.h"
#include "mimic/env.h"
#include "mimic/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_EPISODE_RECENT 100

/* Statistics of finished episodes, summed where they end; read the sums
 * directly: mean length = length_sum / episodes, success rate = successes /
 * judged, return variance = return_sq_sum / episodes - mean^2. A zeroed
 * log is empty. */
typedef struct mimic_episode_log {
  long episodes;
  double return_sum, return_sq_sum, length_sum; /* sums of return, return^2 and length */
  long successes, judged; /* episodes that succeeded / whose success is defined at all */
  long terminated, truncated;
  double recent_return[MIMIC_EPISODE_RECENT]; /* a ring of the last episodes */
  int recent_length[MIMIC_EPISODE_RECENT];
  int recent_n, recent_pos;
} mimic_episode_log;

/* One episode that just ended. */
typedef struct mimic_episode_end {
  int copy;        /* the copy that ran it */
  long episode;    /* its index (episodes > 0: it started from reset(seed + episode)) */
  double ret;      /* undiscounted return */
  int length;      /* steps */
  double success;  /* 1, 0, or NAN when the environment has no notion of success */
  bool terminated; /* false: cut by the time limit */
} mimic_episode_end;

typedef struct mimic_rollout_config {
  int n;         /* copies side by side (>= 1) */
  uint64_t seed; /* see the top of this file */
  long episodes; /* > 0: run exactly this many seeded episodes; 0: run on (training) */
} mimic_rollout_config;

typedef struct mimic_rollout {
  int n, obs_dim, act_width;
  mimic_env **envs;       /* [n] */
  float *obs;             /* [n x obs_dim] the current observations */
  float *actions;         /* [n x act_width] what the next step applies (act fills it) */
  float *confidence;      /* [n] the policy's confidence in those actions */
  double *reward;         /* [n] of the last step */
  bool *terminated;       /* [n] of the last step */
  bool *truncated;        /* [n] of the last step */
  float *final_obs;       /* [n x obs_dim] row i: last observation of the episode copy i ended */
  bool *running;          /* [n] copies with an episode in progress */
  int n_running;          /* how many */
  double *ep_return;      /* [n] return so far of each copy's episode */
  int *ep_length;         /* [n] steps so far */
  long *ep_index;         /* [n] the episode each copy runs */
  mimic_episode_end *end; /* [n] the episodes that ended in the last step */
  int n_end;
  mimic_episode_log log; /* every episode finished since open (zero it to start over) */
  mimic_rollout_config cfg;
  long started; /* episodes begun */
  /* private: the running copies packed into one batch */
  float *pack_obs, *pack_act, *pack_conf;
  mimic_env **pack_envs;
  int *pack_copy, *ident; /* the copies of a packed batch; 0..n-1 */
  bool *pack_start;       /* each batch row's episode begins with this step */
  bool *pack_reset;       /* [n] the copies the last step reset */
  int64_t *pack_seed;     /* [n] reset seeds */
  void *saved;            /* the bytes of the last mimic_rollout_save_state */
  size_t saved_cap;
} mimic_rollout;

/* Makes cfg->n copies of env id (with options) and resets them (see the top). */
mimic_status mimic_rollout_open(mimic_rollout *r, const char *env_id, const char *env_opts,
                                const mimic_rollout_config *cfg);
/* Starts over from seed: every copy is reset and episode counting restarts
 * (the log is kept). */
mimic_status mimic_rollout_reset(mimic_rollout *r, uint64_t seed);
/* Frees the copies and buffers (safe on a zeroed or failed rollout). */
void mimic_rollout_close(mimic_rollout *r);
/* True when every seeded episode has finished (never for episodes == 0). */
bool mimic_rollout_done(const mimic_rollout *r);

/* Asks policy for the actions (and confidences) of the running copies in
 * one batch; row k's stream is its copy and starts says whether its
 * episode begins there, so a recurrent policy carries each copy's memory
 * (a recurrent policy follows one rollout at a time). */
mimic_status mimic_rollout_act(mimic_rollout *r, mimic_policy *policy, bool deterministic,
                               mimic_rng *rng);
/* Applies r->actions to every running copy (all actions are checked before
 * any copy moves), records rewards and flags, logs ended episodes in
 * r->end and r->log, and resets their copies. */
mimic_status mimic_rollout_step(mimic_rollout *r);

/* Adds the rollout's state between steps to checkpoint c, as arrays named
 * prefix.*: every copy's environment mid-episode (mimic_env_save_state),
 * the observations, the episodes in progress and the log. c borrows the
 * rollout's memory: save it before the rollout steps again. */
mimic_status mimic_rollout_save_state(mimic_rollout *r, mimic_container *c, const char *prefix);
/* Restores what mimic_rollout_save_state put in c under prefix, into a
 * rollout opened with the same environment, options, copies and seeding
 * (checked, naming what differs). */
mimic_status mimic_rollout_load_state(mimic_rollout *r, const mimic_container *c,
                                      const char *prefix);

/* Mean return of the logged episodes (NAN when there are none). */
double mimic_episode_log_mean_return(const mimic_episode_log *log);
/* Mean return of the last MIMIC_EPISODE_RECENT episodes (NAN before the first). */
double mimic_episode_log_recent_return(const mimic_episode_log *log);
/* Mean length of the last MIMIC_EPISODE_RECENT episodes (NAN before the first). */
double mimic_episode_log_recent_length(const mimic_episode_log *log);

#ifdef __cplusplus
}
#endif
#endif
