/* Shared pieces of the reinforcement-learning commands (train ppo, gail,
 * airl, refine): PPO's flags (parsed into holders, then laid over the
 * environment's preset, so a flag always wins), the per-iteration
 * callback (progress, periodic evaluation, CSV log, chart), and the final
 * evaluation. */
#ifndef MIMIC_CLI_RL_COMMON_H
#define MIMIC_CLI_RL_COMMON_H

#include <jansson.h>

#include <stdbool.h>

#include "cli/args.h"
#include "mimic/adversarial.h"
#include "mimic/ppo.h"
#include "mimic/reward.h"

/* Holders for PPO's flags. */
typedef struct rl_ppo_flags {
  int envs, n_steps, batch_size, epochs;
  long long steps;
  double lr, gamma, gae_lambda, clip, clip_vf, ent_coef, vf_coef, max_grad_norm, target_kl,
      log_std_init;
  bool lr_linear, lr_constant, norm_obs, no_norm_obs, norm_reward, no_norm_reward;
  const char *hidden, *vf_hidden, *activation, *preset;
  uint64_t seed;
} rl_ppo_flags;

/* Writes PPO's flag entries into opts (room for RL_PPO_OPTS); returns how many. */
#define RL_PPO_OPTS 26
int rl_ppo_opts(cli_opt *opts, rl_ppo_flags *f);
/* Builds the configuration for env: defaults, the preset (unless --preset
 * none), then every flag that was given. Returns a usage exit code or -1. */
int rl_ppo_config(const char *cmd, const cli_opt *opts, const rl_ppo_flags *f, const char *env,
                  const char *env_opts, mimic_ppo_config *cfg);

/* Holders for the monitoring flags, and the run's rows. */
typedef struct rl_monitor {
  const char *cmd;
  const char *log, *plot;
  int eval_every, eval_episodes;
  double target; /* stop once an evaluation reaches it (NAN: never) */
  bool json, quiet;
  double reference; /* a horizontal line on the chart (NAN: none) */
  const char *reference_name;
  char title[160];
  mimic_ppo_iter *rows;
  int n_rows, cap;
  mimic_progress bar;
  bool bar_started;
  long reached_steps; /* env steps when the target was first reached (-1: never) */
  double reached_seconds;
  bool failed;     /* an evaluation or log write failed (message set) */
  double last_log; /* mimic_now() of the last log write */
  /* checkpoints (train ppo, gail, airl): set can_checkpoint before rl_parse */
  bool can_checkpoint;
  const char *checkpoint; /* --checkpoint FILE, or NULL */
  int checkpoint_every;   /* iterations between checkpoints (0: at the end only) */
  bool resume;
  mimic_adv *adv;   /* GAIL/AIRL: the trainer the checkpoint holds (else the PPO one) */
  json_t *settings; /* the command's own settings a checkpoint must match (owned; may be NULL) */
  mimic_comm *comm; /* the MPI job (NULL or one rank: one process); rank 0 writes checkpoints */
} rl_monitor;

#define RL_MONITOR_OPTS 11
/* Writes the monitoring flag entries into opts; returns how many. */
int rl_monitor_opts(cli_opt *opts, rl_monitor *m);
/* The per-iteration callback for mimic_ppo_learn (user = the monitor). */
bool rl_monitor_iter(mimic_ppo *p, const mimic_ppo_iter *it, void *user);
/* Finishes: progress line, log and chart files. */
mimic_status rl_monitor_finish(rl_monitor *m);
/* With --resume and an existing --checkpoint: restores the trainer (p, or
 * m->adv) and the monitor's rows from it. */
mimic_status rl_checkpoint_resume(rl_monitor *m, mimic_ppo *p);
/* Writes --checkpoint (if given): the trainer's state and the monitor's rows. */
mimic_status rl_checkpoint_save(rl_monitor *m, mimic_ppo *p);
/* Frees the rows. */
void rl_monitor_free(rl_monitor *m);

/* Parses an RL command's argv: its own n entries in opts (room for
 * RL_PPO_OPTS + RL_MONITOR_OPTS + 1 more), then PPO's and the monitor's
 * flags; sets the output mode. Returns an exit code, or -1 to go on. */
int rl_parse(const char *cmd, const char *summary, const char *usage, cli_opt *opts, int n,
             rl_ppo_flags *f, rl_monitor *m, int argc, char **argv);

/* Evaluates the trained policy (100 episodes from seed 1000, normalised
 * when the environment has an expert) and prints the summary: text, or one
 * JSON object ending with extra's members (extra stays the caller's; may be NULL). */
int rl_report(const char *cmd, mimic_ppo *p, const rl_monitor *m, const char *out, json_t *extra,
              int final_episodes);

/* Saves a PPO policy with meta (released) as its description. */
mimic_status rl_save_with_meta(mimic_ppo *p, const char *out, json_t *meta);
/* Trains PPO with cfg on reward (NULL: the environment's own) under the
 * monitor, saves the policy to out described by meta, and reports with
 * extra's members (meta and extra stay the caller's). Returns the exit code. */
int rl_train_on_reward(const char *cmd, const mimic_ppo_config *cfg, rl_monitor *m,
                       mimic_reward_fn reward, void *user, const char *out, json_t *meta,
                       json_t *extra);

/* The tests' hard stop: with MIMIC_TEST_KILL_AT=K the process kills itself
 * (SIGKILL: no cleanup, as a crash or kill -9) right after the checkpoint
 * of iteration (or step) K, a deterministic point to resume from. */
void rl_kill_point(long iteration);

#endif
