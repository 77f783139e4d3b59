/* mimic/preferences.h: reward learning from preferences between trajectory
 * fragments (Christiano et al. 2017; the `imitation` library's
 * PreferenceComparisons).
 *
 * The agent (PPO, mimic/ppo.h) acts; pairs of fragments of its behaviour
 * (fragment_length consecutive steps of one episode) are shown to a
 * gatherer who says which is better; a reward network (an ensemble of
 * them, optionally) learns from those answers with the Bradley-Terry loss
 *
 *     P(fragment 1 preferred) = sigmoid(R1 - R2),   Ri = sum_t discount^t r(s_t, a_t)
 *
 * (the difference clipped at +-50), and the agent is trained on the learned
 * reward. imitation's alternating schedule: a first share of the
 * comparisons (initial_comparison_frac) is asked before the agent has
 * learned anything and trained on for initial_epoch_multiplier times the
 * epochs; the rest is spread over the iterations by a hyperbolic schedule
 * (iteration i gets a share proportional to 1 / (1 + i / (iterations - 1)));
 * after each round of questions the reward is trained and the agent takes
 * total_steps / iterations environment steps on it.
 *
 * Fragments are drawn from fresh episodes of the current agent (its
 * stochastic policy, `transition_oversampling` times the steps the
 * fragments need), uniformly over the start positions that keep a fragment
 * inside one episode. Pairs are drawn at random, or (pairs =
 * MIMIC_PAIRS_DISAGREEMENT, with an ensemble) the most disputed of
 * `sample_factor` times as many random candidates: those where the
 * members' predicted return differences vary most (imitation's
 * ActiveSelectionFragmenter on the logit).
 *
 * The gatherer is a function; mimic_pref_oracle is the synthetic one that
 * answers from the environment's true reward with imitation's noise model
 * (Boltzmann-rational: P(1 preferred) = sigmoid((R1 - R2) / temperature)
 * with discounted true returns, sampled unless `oracle_sample` is off).
 * On CartPole-v1 every step pays 1, so two fragments of equal length have
 * equal true returns and every comparison is a coin flip: use
 * `fixed_horizon=1` (seals' CartPole-v0) for reward learning.
 *
 * The policy the agent trains on is the ensemble's mean raw output,
 * standardised by the mean and standard deviation of the rewards it
 * predicts on the compared fragments (recomputed after each training, as
 * imitation's normalised reward nets do with running statistics).
 *
 * Same configuration, seed and answers: the same reward networks and agent,
 * bit for bit. */
#ifndef MIMIC_PREFERENCES_H
#define MIMIC_PREFERENCES_H

#include <stdio.h>

#include "mimic/ppo.h"
#include "mimic/reward.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How pairs of fragments are chosen. */
typedef enum mimic_pref_pairs {
  MIMIC_PAIRS_RANDOM = 0,
  MIMIC_PAIRS_DISAGREEMENT = 1, /* the ensemble's most disputed candidates */
} mimic_pref_pairs;

typedef struct mimic_pref_config {
  mimic_ppo_config ppo;              /* the agent; ppo.total_steps is its training budget */
  int comparisons;                   /* total comparisons asked (default 1000) */
  int iterations;                    /* rounds of questions + agent training (10) */
  double initial_comparison_frac;    /* share asked before the agent trains (0.1) */
  double initial_epoch_multiplier;   /* epochs on the first share, times reward_epochs (200) */
  int fragment_length;               /* steps per fragment (100) */
  double transition_oversampling;    /* agent steps sampled per step the fragments need (1) */
  mimic_pref_pairs pairs;            /* random (default) or disagreement */
  int sample_factor;                 /* disagreement: candidates per pair asked (2) */
  int ensemble;                      /* reward networks (1) */
  mimic_reward_inputs reward_inputs; /* state (default; imitation's BasicRewardNet reads state and
                                        action: see docs/preferences.md) */
  int reward_n_hidden;               /* hidden layers: default [32, 32] */
  int reward_hidden[MIMIC_MLP_MAX_LAYERS - 1];
  mimic_activation reward_activation; /* relu */
  double reward_lr;                   /* Adam (1e-3) */
  int reward_batch;                   /* comparisons per step (32) */
  int reward_epochs;                  /* epochs over all comparisons per training (3) */
  double discount;                    /* of the returns compared (1) */
  double temperature;                 /* oracle: Boltzmann temperature (1) */
  bool oracle_sample;                 /* oracle: sample its answer (true) or give P itself */
  uint64_t seed;                      /* fragments, pairs, nets, oracle (ppo.seed: the agent) */
} mimic_pref_config;

/* imitation-like defaults for env_id: the agent is PPO with the env's
 * preset (mimic_ppo_preset; on CartPole-v1 with 300,000 steps, three times
 * the preset's); 1,000 comparisons over 10 iterations. */
mimic_pref_config mimic_pref_defaults(const char *env_id);
/* Checks a configuration; fails with a sentence naming the bad field. */
mimic_status mimic_pref_check(const mimic_pref_config *cfg);

/* One side of a question: length steps of one episode. */
typedef struct mimic_fragment {
  const float *obs;      /* (length, obs_dim) s_t */
  const float *next_obs; /* (length, obs_dim) s_t+1 */
  const float *actions;  /* (length, act_width) */
  const double *rewards; /* (length) the environment's true rewards */
  int length, obs_dim, act_width;
} mimic_fragment;

/* The answer to a question: the probability that the first fragment is
 * better: 1 (first), 0 (second), 0.5 (equal), anything in between for a
 * soft answer, or NAN to skip the pair (it is not used). */
typedef mimic_status (*mimic_pref_gather_fn)(void *user, const mimic_fragment *first,
                                             const mimic_fragment *second, int n,
                                             double *preference);

/* The synthetic gatherer (user = the trainer, mimic_pref *): answers from
 * true rewards as the configuration's oracle fields say. */
mimic_status mimic_pref_oracle(void *user, const mimic_fragment *first,
                               const mimic_fragment *second, int n, double *preference);

/* ---- people, programs, and the label log ------------------------------ */

/* A person at a terminal (user = mimic_pref_human *): each pair is shown
 * side by side as a table of observations and actions at a few evenly
 * spaced steps; the answer is 1 or l (left better), 2 or r (right), e or =
 * (equal), s (skip), q (quit: MIMIC_ERR_INTERRUPTED; end of input too).
 * Lines are read from in_fd a byte at a time, prompts written to out. */
typedef struct mimic_pref_human {
  int in_fd;
  FILE *out;
  int shown_steps; /* rows of each table (0: 6) */
  long asked;      /* questions shown so far (numbers the prompts) */
} mimic_pref_human;
/* The terminal gatherer (a mimic_pref_gather_fn). */
mimic_status mimic_pref_human_gather(void *user, const mimic_fragment *first,
                                     const mimic_fragment *second, int n, double *preference);

/* A program speaking the expert protocol's "compare" requests
 * (docs/expert-protocol.md): one pair per request, answered with
 * {"preference": p} (p in [0, 1], the probability the first is better),
 * {"choice": "first" | "second" | "equal"} or {"skip": true}. */
typedef struct mimic_pref_program mimic_pref_program;
/* Starts cmdline (never through a shell); timeout_s bounds each reply. */
mimic_status mimic_pref_program_open(const char *cmdline, double timeout_s, const char *env_id,
                                     mimic_pref_program **out);
/* The program gatherer (a mimic_pref_gather_fn; user = the program). */
mimic_status mimic_pref_program_gather(void *user, const mimic_fragment *first,
                                       const mimic_fragment *second, int n, double *preference);
/* Stops the program (NULL is fine). */
void mimic_pref_program_close(mimic_pref_program *p);

/* Any gatherer with every answer in a label store (mimic/labelstore.h),
 * committed before the next question. A run is a pure function of its
 * settings, seed and answers, so a killed run resumes by running again:
 * the answers the log already holds are replayed (each checked against
 * its question's fingerprint) and the gatherer is asked only from where
 * the log ends. */
typedef struct mimic_pref_log mimic_pref_log;
/* Opens session name in the store at path for a run described by
 * config_json (a resumed session must have been made with the same),
 * answers by inner (labeler names it in the log). */
mimic_status mimic_pref_log_open(const char *path, const char *name, const char *config_json,
                                 const char *labeler, mimic_pref_gather_fn inner, void *inner_user,
                                 mimic_pref_log **out);
/* The logging gatherer (a mimic_pref_gather_fn; user = the log). */
mimic_status mimic_pref_log_gather(void *user, const mimic_fragment *first,
                                   const mimic_fragment *second, int n, double *preference);
/* Where a gatherer answered out of order (several people at a page) puts
 * each answer as it comes; the log has it on disk before the call returns. */
typedef struct mimic_pref_sink {
  const char *const *keys; /* [n] each pair's key in the log: stable across restarts */
  int round;               /* the trainer's round of questions (1-based) */
  long answered;           /* answers the log held when this batch was handed over */
  /* Stores pair i's answer (NAN: skipped) given by labeler (NULL: the log's). */
  mimic_status (*store)(void *ctx, int i, double preference, const char *labeler);
  /* Takes back pair i's answer, which must be the latest stored (it is asked again). */
  mimic_status (*undo)(void *ctx, int i);
  void *ctx;
} mimic_pref_sink;

/* A gatherer answered out of order: answers all n pairs through sink
 * before it returns. */
typedef mimic_status (*mimic_pref_stream_fn)(void *user, const mimic_fragment *first,
                                             const mimic_fragment *second, int n,
                                             const mimic_pref_sink *sink);
/* Makes the log hand every pair of a batch it has no answer for to stream
 * at once, instead of asking the inner gatherer one pair at a time. */
void mimic_pref_log_stream(mimic_pref_log *l, mimic_pref_stream_fn stream, void *user);
/* The label store the log writes (borrowed). */
struct mimic_labelstore *mimic_pref_log_store(mimic_pref_log *l);

/* People at a labeling page (docs/web-expert.md): two clips side by side,
 * drawn by the environment's renderer where its observation is its state. */
typedef struct mimic_pref_web mimic_pref_web;
/* Serves the page for spec "web[:PORT]" on bind (NULL: 127.0.0.1), the
 * clips from env_id with env_opts; budget comparisons over rounds rounds. */
mimic_status mimic_pref_web_open(const char *spec, const char *bind, const char *env_id,
                                 const char *env_opts, int rounds, long budget, int agreement,
                                 mimic_pref_web **out);
/* Agreement mode (agreement > 1 at open): every vote is kept in session
 * NAME/votes of log's label store before its reply, the majority answers
 * (docs/web-expert.md). Nothing with agreement 1. */
mimic_status mimic_pref_web_votes(mimic_pref_web *w, mimic_pref_log *log, const char *name);
/* The page as a streaming gatherer (a mimic_pref_stream_fn; user = the page). */
mimic_status mimic_pref_web_gather(void *user, const mimic_fragment *first,
                                   const mimic_fragment *second, int n,
                                   const mimic_pref_sink *sink);
/* Tells the page how the agent did after a round (its chart). */
void mimic_pref_web_round_done(mimic_pref_web *w, int round, const char *metric, double value);
/* Stops serving and frees the page (NULL is fine). */
void mimic_pref_web_close(mimic_pref_web *w);

/* Answers in the log when it was opened (replayed before asking). */
long mimic_pref_log_resumed(const mimic_pref_log *l);
/* Answers given so far (replayed and new). */
long mimic_pref_log_answers(const mimic_pref_log *l);
/* Closes the log, marking the session finished (or quit, resumable). */
mimic_status mimic_pref_log_close(mimic_pref_log *l, bool finished);

/* One round's numbers. */
typedef struct mimic_pref_round {
  int iteration, iterations; /* 1-based */
  int asked;                 /* comparisons asked this round */
  int comparisons;           /* kept so far (skipped ones are not kept) */
  int ties;                  /* answers of 0.5 so far */
  double reward_loss;        /* mean Bradley-Terry loss over the kept comparisons, after training */
  double reward_accuracy;    /* share of decided comparisons the reward orders the same way */
  long sample_steps;         /* environment steps spent sampling fragments so far */
  mimic_ppo_iter ppo;        /* the agent's last iteration of the round */
} mimic_pref_round;

/* Returns false to stop after this round. */
typedef bool (*mimic_pref_callback)(const mimic_pref_round *r, void *user);

typedef struct mimic_pref mimic_pref;

/* Sets up the trainer; gather (NULL: mimic_pref_oracle on the trainer)
 * answers the questions. */
mimic_status mimic_pref_create(const mimic_pref_config *cfg, mimic_pref_gather_fn gather,
                               void *gather_user, mimic_pref **out);
/* Frees the trainer (NULL is fine). */
void mimic_pref_free(mimic_pref *p);
/* Runs the schedule; cb (may be NULL) after each round, ppo_cb (may be
 * NULL) after each of the agent's PPO iterations. */
mimic_status mimic_pref_learn(mimic_pref *p, mimic_pref_callback cb, mimic_ppo_callback ppo_cb,
                              void *user);
/* The agent (evaluate it, save it with mimic_ppo_save). */
mimic_ppo *mimic_pref_agent(mimic_pref *p);
/* Saves the first reward network as a reward network file (env id and
 * spaces in its metadata), which `mimic train ppo --reward` accepts. */
mimic_status mimic_pref_save_reward(mimic_pref *p, const char *path);

#ifdef __cplusplus
}
#endif
#endif
