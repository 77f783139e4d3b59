/* mimic/dagger.h: the one interactive imitation loop.
 *
 * DAgger (Ross, Gordon & Bagnell 2011) runs the learner, asks an expert
 * what it would have done in the states the learner reaches, aggregates
 * those labels and refits. Uncertainty sampling for a text classifier and
 * confidence-based deferral for an agent are the same loop with a rule for
 * which visited states go to the expert. The driver here is that loop,
 * written once; a domain plugs in a *state source* (where a round's states
 * come from: rollouts of the beta-mixture, a pool of documents, slices of
 * recorded conversations) and brings a learner and an expert with a codec
 * (mimic/policy.h, mimic/expert.h). The driver owns everything else:
 *
 *   the schedule of beta, the query rule and the uncertainty scores (from
 *   the learner's probabilities), the expert's questions and their checks,
 *   the label log (every answer on disk before the next question, or a
 *   round's answers together for experts that repeat themselves exactly),
 *   undo and skip, the labeled set and its fitting order, the learner's
 *   refits, the per-round report, and resuming a killed run exactly: the
 *   rounds it finished are restored from the log, the round in progress is
 *   replayed and the answers it already got are taken from the log instead
 *   of being asked again.
 *
 * A round is a pure function of the learner at its start and the expert's
 * answers, so a replayed round asks the same questions in the same order. */
#ifndef MIMIC_DAGGER_H
#define MIMIC_DAGGER_H

#include <stddef.h>

#include <stdio.h>

#include <jansson.h>

#include "mimic/comm.h"
#include "mimic/core.h"
#include "mimic/expert.h"
#include "mimic/labelstore.h"
#include "mimic/policy.h"
#include "mimic/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- beta schedules ---------------------------------------------------- */

typedef enum mimic_beta_kind {
  MIMIC_BETA_LINEAR,      /* max(0, 1 - round / R): imitation's default, R = 15 */
  MIMIC_BETA_EXPONENTIAL, /* p^round */
  MIMIC_BETA_INDICATOR,   /* 1 in round 0, then 0 (often best in Ross et al.) */
  MIMIC_BETA_CONSTANT,    /* c every round */
} mimic_beta_kind;

typedef struct mimic_beta_schedule {
  mimic_beta_kind kind;
  double param; /* R for linear, p for exponential, c for constant */
} mimic_beta_schedule;

/* Parses "linear", "linear:R", "exp:p", "indicator" or "constant:c". */
mimic_status mimic_beta_parse(const char *text, mimic_beta_schedule *out);
/* The probability that the expert acts in round (0-based). */
double mimic_beta_at(const mimic_beta_schedule *s, int round);
/* Writes the schedule back as text ("linear:15"). */
void mimic_beta_format(const mimic_beta_schedule *s, char *buf, size_t cap);

/* ---- query rules ------------------------------------------------------- */

typedef enum mimic_query_kind {
  MIMIC_QUERY_ALL,             /* every candidate (classic DAgger) */
  MIMIC_QUERY_UNCERTAIN,       /* candidates whose confidence is below a threshold */
  MIMIC_QUERY_LEAST_CONFIDENT, /* the k with the lowest top probability */
  MIMIC_QUERY_MARGIN,          /* the k with the smallest top-1 minus top-2 margin */
  MIMIC_QUERY_ENTROPY,         /* the k with the highest predictive entropy */
  MIMIC_QUERY_RANDOM,          /* k uniformly at random (the baseline) */
} mimic_query_kind;

typedef struct mimic_query_rule {
  mimic_query_kind kind;
  double threshold; /* UNCERTAIN: ask when confidence < threshold */
  long k;           /* per-round label budget (0 = no budget; required for the top-k rules) */
} mimic_query_rule;

/* Parses "all", "uncertain:0.8", "least-confident:K", "budget:K" (= least-confident),
 * "margin:K", "entropy:K", "random:K". */
mimic_status mimic_query_parse(const char *text, mimic_query_rule *out);
/* Writes the rule back as text. */
void mimic_query_format(const mimic_query_rule *q, char *buf, size_t cap);
/* Uncertainty of each of n states for a rule kind (larger = ask first) from
 * their action probabilities proba [n x K] (may be NULL) and confidences
 * (may be NULL): LEAST_CONFIDENT and UNCERTAIN 1 - p_max, MARGIN
 * 1 - (p_max - p_second), ENTROPY -sum p ln p; ALL and RANDOM give 0.
 * Without proba every rule scores 1 - confidence. A NAN confidence (the
 * learner knows nothing there) scores NAN, ranked first by the selection. */
mimic_status mimic_query_scores(mimic_query_kind kind, const double *proba, const float *confidence,
                                size_t n, int K, double *scores);
/* Picks candidates from uncertainty scores (higher = more unsure, NAN
 * highest; for UNCERTAIN the score is 1 - confidence). Writes chosen indices to out in
 * descending score order (ties by index; RANDOM in random order) and returns
 * how many. already_labeled (may be NULL) marks candidates to skip. */
size_t mimic_query_select(const mimic_query_rule *q, const double *scores,
                          const bool *already_labeled, size_t n, mimic_rng *rng, size_t *out);

/* ---- the driver -------------------------------------------------------- */

#define MIMIC_DAGGER_MAX_METRICS 4

/* What one round did; the driver fills the counts, the source the metrics. */
typedef struct mimic_dagger_round {
  int round;
  double beta;
  size_t candidates;   /* states gathered this round */
  size_t queried;      /* answers this round (on the spot and by the query rule) */
  long expert_queries; /* all answers so far */
  size_t dataset_size; /* labeled examples the learner was fitted on */
  int n_metrics;
  const char *metric_names[MIMIC_DAGGER_MAX_METRICS];
  double metrics[MIMIC_DAGGER_MAX_METRICS];
  double seconds;
} mimic_dagger_round;

typedef struct mimic_dagger mimic_dagger; /* a run in progress, handed to its source */

/* Where an answer joins the labeled set: examples are fitted in ascending
 * order; MIMIC_DAGGER_IN_ANSWER_ORDER puts it after everything answered
 * before it. */
#define MIMIC_DAGGER_IN_ANSWER_ORDER UINT64_MAX

/* A state the learner met, as a source reports it. */
typedef struct mimic_dagger_state {
  const float *obs;   /* its observation row (copied), or NULL for an item */
  const void *item;   /* its item (borrowed for the whole run), or NULL */
  mimic_env *env;     /* the live environment in this state (read during the call only) */
  const char *key;    /* its stable key (copied); NULL: "<round>:<candidate>" */
  const char *id;     /* the id experts and label files know it by (copied), or NULL */
  const float *known; /* the expert's answer, known without asking (a built-in expert's
                         snapshot), or NULL; it counts as a question only if asked */
  uint64_t order;     /* where its answer joins the labeled set (see above) */
  bool start;         /* an episode begins here: the labeled set keeps episodes for learners
                         with memory (mimic_labeled.starts; stored with the answer) */
} mimic_dagger_state;

/* A labeled example restored from the label log. */
typedef struct mimic_dagger_example {
  const float *obs; /* the state's row (copied by the driver), or NULL */
  const void *item; /* its item (borrowed for the run), or NULL */
  uint64_t order;   /* as mimic_dagger_state.order */
} mimic_dagger_example;

/* A domain's plug-in: where a round's states come from, and what the
 * domain keeps of its own. */
typedef struct mimic_dagger_source {
  void *ctx;
  /* Gathers round's candidates: reports the states the learner meets with
   * mimic_dagger_add, and asks about those that need an answer at once
   * (the expert acts in them: beta; an online rule) with mimic_dagger_ask. */
  mimic_status (*gather)(void *ctx, mimic_dagger *d, int round, double beta);
  /* Turns a stored answer (its key and state text) back into its state. */
  mimic_status (*restore)(void *ctx, const char *key, const char *text, mimic_dagger_example *out);
  /* Measures the learner after a round (may be NULL). */
  mimic_status (*evaluate)(void *ctx, int round, mimic_dagger_round *row);
  /* The round is about to be made durable: saves what the source keeps and
   * adds it to state (an object stored with the session; may be NULL). */
  mimic_status (*end_round)(void *ctx, int round, json_t *state);
  /* A run resumes after finishing rounds [0, first): state is what
   * end_round stored (may be NULL). */
  mimic_status (*resume)(void *ctx, int first, const json_t *state);
} mimic_dagger_source;

typedef struct mimic_dagger_config {
  int rounds;
  mimic_beta_schedule beta;
  mimic_query_rule query;
  uint64_t seed;                 /* the random rule's draws (per round) */
  mimic_policy *learner;         /* a learner (borrowed), refitted after every round */
  mimic_expert *expert;          /* borrowed; its codec reads and writes answers */
  const mimic_labeled *seed_set; /* labeled before any answer (a text seed, demonstrations), or
                                    NULL; its items are borrowed for the run */
  uint64_t fit_seed;             /* added to the round for each fit's seed */
  long cap;                 /* keep at most this many answers for fitting (reservoir; rows only;
                               0 = all) */
  mimic_labelstore *store;  /* the label log (NULL: answers stay in memory, nothing resumes) */
  const char *session;      /* the session's name in the store */
  const char *session_kind; /* "dagger-env", "text-dagger", "agent-dagger" */
  const char *settings;     /* a JSON object of what decides the questions: a resumed session
                               must have been started with the same (NULL: {}) */
  const char *data;         /* a JSON object kept with a new session, given back on resume */
  bool log_seed;            /* store the seed set as answers of round 0 ... */
  const char *seed_name;    /* ... keyed "<seed_name>:<1-based index>" (default "seed") */
  const char *seed_labeler; /* ... with this labeler (default "seed") */
  const char *learner_path; /* saves the learner after every round and reloads it on resume
                               (a learner that warm-starts); NULL: resume refits */
  bool evaluate_start;      /* report the learner before the first round run (round = first - 1) */
  bool finish;              /* close the session when its last round is done: running it again is
                               an error (else it resumes with nothing to do, or more rounds) */
  bool progress;            /* a progress bar over each round's questions */
  /* Called after every reported row (may be NULL). */
  void (*on_round)(const mimic_dagger_round *row, void *user);
  void *user;
} mimic_dagger_config;

/* Opens a run: the session in the store is created, or resumed when an
 * unfinished one of that name exists and its settings match (else an error
 * naming the setting that differs). */
mimic_status mimic_dagger_open(const mimic_dagger_config *cfg, const mimic_dagger_source *source,
                               mimic_dagger **out);
/* True when the run resumes a session. */
bool mimic_dagger_resumed(const mimic_dagger *d);
/* The data a resumed session was started with (NULL for a new one). */
const json_t *mimic_dagger_data(const mimic_dagger *d);
/* Runs the rounds not yet finished. rows (may be NULL, cap entries) gets
 * one row per round run (and the starting row with evaluate_start); *n_rows
 * their count. A person quitting ends with MIMIC_ERR_INTERRUPTED after
 * everything answered is stored; running again resumes. */
mimic_status mimic_dagger_run(mimic_dagger *d, mimic_dagger_round *rows, int cap, int *n_rows);
/* Answers given so far (not undone), questions asked in this run, skips. */
void mimic_dagger_counts(const mimic_dagger *d, long *answers, long *asked, long *skipped);
/* Frees a run (NULL is fine). */
void mimic_dagger_close(mimic_dagger *d);

/* ---- for state sources -------------------------------------------------- */

/* Adds n states to this round's candidates; *first (may be NULL) gets the
 * index of the first. */
mimic_status mimic_dagger_add(mimic_dagger *d, const mimic_dagger_state *states, size_t n,
                              size_t *first);
/* Asks about candidates idx[0..n) now, in states that need an action
 * (answers replayed from the log come first); envs (may be NULL) are the
 * live environments in those states (a built-in expert reads them), the
 * learner's guesses (may be NULL) are shown to people. actions [n x width]
 * gets the answers. */
mimic_status mimic_dagger_ask(mimic_dagger *d, const size_t *idx, size_t n, mimic_env *const *envs,
                              const float *guess, const float *guess_conf, float *actions);
/* Sets a line a person is shown once, with the next question (where the
 * round stands, episodes that ended; copied, NULL clears it). */
void mimic_dagger_set_note(mimic_dagger *d, const char *note);
/* Whether key was answered (1) or skipped (2) in a round before the
 * current one, or neither (0): a pool's source leaves those out. */
int mimic_dagger_settled(const mimic_dagger *d, const char *key);
/* Whether candidate i got an answer this round; the action goes to action
 * (may be NULL). A source reads them when it makes its round durable. */
bool mimic_dagger_answer(const mimic_dagger *d, size_t i, float *action);
/* The learner is fitted (before that, sources act at random or not at all). */
bool mimic_dagger_learner_ready(const mimic_dagger *d);

/* ---- DAgger in environments -------------------------------------------- */

struct mimic_model;
struct mimic_bc_config;

/* DAgger on an environment: the state source of the driver above for
 * rollouts of the beta-mixture in N copies, an expert (built-in, program,
 * policy file or a person) labeling visited states, BC refits with warm
 * start, evaluation after every round, and durable storage in work_dir:
 *   work_dir/labels.sqlite  the label log: every answer (the observation,
 *                           the action, who answered, the round) and the
 *                           session's state (mimic/labelstore.h)
 *   work_dir/learner.mimic  the learner after the last finished round
 *   work_dir/best.mimic     the best learner so far (by mean return)
 * A killed run resumes exactly: finished rounds come back from the log,
 * the round in progress is replayed and answers already given are not
 * asked again. A work folder started with other settings is refused. */
typedef struct mimic_dagger_env_config {
  const char *env_id, *env_opts;
  const char *expert;       /* builtin, cmd:PROGRAM, human, or a policy file */
  mimic_expert *expert_obj; /* an expert the caller made (borrowed; its codec from
                               mimic_codec_env), asked instead of opening `expert` */
  double expert_timeout;    /* seconds per answer of a program */
  int human_fd;             /* human: answers come from this descriptor (0: the terminal) */
  FILE *human_out;          /* human: questions go here (NULL: stderr) */
  const char *bind;         /* web: the labeling page's address (NULL: 127.0.0.1) */
  int web_agreement;        /* web: votes per question, the majority answers (0, 1: one) */
  int rounds;               /* default 15 */
  mimic_beta_schedule beta; /* default linear:15 */
  mimic_query_rule query;   /* default all */
  bool defer;               /* the expert also acts where it is asked (uncertain rule) */
  long min_steps;           /* per round, default 500 */
  int min_episodes;         /* per round, default 3 */
  int n_envs;               /* environments rolled out side by side (default 4) */
  long epochs;              /* BC epochs per round (default 4) */
  long cap;                 /* keep at most this many labeled states in memory (0 = all) */
  int eval_episodes;        /* after each round (default 10; 0 = none) */
  bool eval_sample;         /* evaluate with sampled actions (breaks the loops a memoryless
                               policy falls into under partial observability) */
  uint64_t eval_seed;       /* evaluation episodes start from reset(eval_seed + k) */
  uint64_t seed;
  const char *work_dir; /* NULL: keep everything in memory (no resume) */
  const struct mimic_model
      *init; /* start from this learner (e.g. a BC clone), copied; may be NULL */
  bool progress;
  void (*on_round)(const mimic_dagger_round *row, void *user);
  void *user;
  /* distributed rollouts over comm's ranks (NULL or 1 rank: one process):
   * rank 0 is the learner (driver, label log, fits, evaluation, files);
   * every rank, rank 0 too, steps n_envs copies with the broadcast learner
   * and the beta mixture, its copy of the expert (built-in, a program or a
   * policy file; not a person) labelling on the spot, and sends the
   * round's states to rank 0. A round has one process's N*n_envs copies'
   * seeds and candidate order; the beta draws come from each rank's own
   * stream, and each rank rolls out its share of min_steps and
   * min_episodes. */
  mimic_comm *comm;
} mimic_dagger_env_config;

/* imitation's SimpleDAggerTrainer defaults (rounds 15, linear beta over 15
 * rounds, >= 500 steps and 3 episodes per round, 4 BC epochs per round). */
mimic_dagger_env_config mimic_dagger_env_defaults(void);
/* Runs DAgger; bc holds the learner's settings (its epochs are replaced by
 * cfg->epochs). The best learner is left in best (a fresh model; free it).
 * Distributed (cfg->comm), every rank calls it; ranks other than 0 return
 * when rank 0's run ends, with best zeroed and no rows. After a failure on
 * any rank the job must be ended (its peers wait in a collective). */
mimic_status mimic_dagger_env_run(const mimic_dagger_env_config *cfg,
                                  const struct mimic_bc_config *bc, struct mimic_model *best,
                                  mimic_dagger_round *rows, int cap, int *n_rows);

#ifdef __cplusplus
}
#endif
#endif
