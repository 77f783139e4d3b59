/* mimic/agent.h: cloning tool-using language agents from their trajectories.
 *
 * A language agent alternates thought, tool call and observation until it
 * replies. mimic treats each move as one imitation step:
 *
 *   STATE   what the agent knows before its next move: the intent (if
 *           given), the user's request, the actions taken so far and the
 *           last observation (a tool's output or the user's last message);
 *   ACTION  the next tool to call, or "reply" (answer the user in words);
 *   EXPERT  the recorded agent, a person, or a program (e.g. an LLM).
 *
 * This header holds the whole agent layer:
 *
 *   traces      mimic's trace format (JSON Lines, docs/agent-trace.schema.json)
 *               and importers for OpenAI chat transcripts with tool_calls,
 *               ReAct text and ReAct with JSON arguments. A malformed record
 *               is reported with its line and field and the others load.
 *   examples    the (state, action, arguments) pairs of traces and of stored
 *               corrections; splits by task (never by run).
 *   policies    frequency (per intent and step), Markov (previous k
 *               actions), logistic regression over sparse features through
 *               LIBLINEAR; each answers an action and a confidence; an
 *               argument filler predicts where each argument comes from.
 *   routing     act when confidence >= threshold, else the fallback route;
 *               evaluation and calibration (coverage and accuracy per
 *               threshold).
 *   retrieval   the k stored demonstration steps nearest to a state by
 *               TF-IDF cosine, as few-shot examples.
 *   corrections expert answers stored in the SQLite label store at once.
 *   DAgger      the agent plug-in of the one DAgger driver (mimic/dagger.h).
 *   serving     an HTTP server (libmicrohttpd): /predict, /correct, /health.
 *
 * A fitted model is immutable: any number of threads may predict with it
 * at once, each with its own mimic_agent_scratch. Nothing allocates on the
 * prediction path once a scratch has grown to the largest state seen. */
#ifndef MIMIC_AGENT_H
#define MIMIC_AGENT_H

#include <jansson.h>

#include "mimic/core.h"
#include "mimic/dagger.h"
#include "mimic/labelstore.h"
#include "mimic/policy.h"
#include "mimic/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The action name of a plain reply to the user (no tool). */
#define MIMIC_AGENT_REPLY "reply"

/* ---- traces ------------------------------------------------------------ */

/* One move of an agent. Exactly one of tool-call (action != "reply",
 * arguments a JSON object) or reply (action == "reply", reply text). */
typedef struct mimic_agent_step {
  char *thought;     /* the reasoning before the move, or NULL */
  char *action;      /* the tool's name, or "reply" */
  char *arguments;   /* the tool's arguments as compact JSON with sorted keys ("{}" if none);
                        NULL for a reply */
  char *reply;       /* the reply's text; NULL for a tool call */
  char *observation; /* what came back: the tool's output, or the user's next message; or NULL */
} mimic_agent_step;

/* One trajectory: a request and the moves that answered it. */
typedef struct mimic_agent_trace {
  char *id;      /* unique within a file */
  char *task;    /* the task it solves (runs of one task share it); NULL = its own task */
  char *intent;  /* the request's intent, or NULL */
  char *request; /* the user's request (first message) */
  mimic_agent_step *steps;
  size_t n_steps;
  char *outcome;  /* free text ("success", "failure", ...), or NULL */
  double reward;  /* NAN when absent */
  int64_t line;   /* where the record starts in its source file (1-based) */
  int64_t record; /* index of the record in its source file (0-based) */
} mimic_agent_trace;

/* A malformed record: where and what ("line 7: steps[2].action: missing"). */
typedef struct mimic_agent_problem {
  int64_t line;   /* 1-based line of the record, 0 inside a one-line JSON array */
  int64_t record; /* 0-based index of the record in the file */
  char *field;    /* the JSON path of the bad field ("steps[2].action"), or "" */
  char *message;  /* what is wrong */
} mimic_agent_problem;

typedef struct mimic_agent_traces {
  size_t n;
  mimic_agent_trace *t;
  size_t n_problems;
  mimic_agent_problem *problems; /* records that were skipped, in file order */
} mimic_agent_traces;

typedef enum mimic_agent_format {
  MIMIC_AGENT_FORMAT_AUTO = 0,   /* by content (see mimic_agent_traces_read) */
  MIMIC_AGENT_FORMAT_MIMIC,      /* mimic's trace format, JSON Lines */
  MIMIC_AGENT_FORMAT_OPENAI,     /* OpenAI chat transcripts with tool_calls */
  MIMIC_AGENT_FORMAT_REACT,      /* ReAct text: Thought: / Action: tool[arg] / Observation: */
  MIMIC_AGENT_FORMAT_REACT_JSON, /* ReAct with JSON arguments: Action: tool {..} or Action Input: */
} mimic_agent_format;

/* Parses "auto", "mimic", "openai", "react" or "react-json". */
mimic_status mimic_agent_format_parse(const char *name, mimic_agent_format *out);

/* Reads trajectories from path. Auto-detection: a file starting with '['
 * is a JSON array of chat runs (tau-bench's historical trajectories);
 * otherwise JSON Lines, whose first record decides: "steps" is mimic's
 * format, "messages"/"traj" with tool_calls OpenAI, with "Action:" text
 * ReAct (react-json when the first action's argument is a JSON object).
 * Malformed records land in out->problems; the call fails only when the
 * file cannot be read or is not of the format at all. */
mimic_status mimic_agent_traces_read(const char *path, mimic_agent_format fmt,
                                     mimic_agent_traces *out);
/* Writes traces in mimic's format (one object per line), atomically. */
mimic_status mimic_agent_traces_write(const char *path, const mimic_agent_traces *t);
/* Frees traces and problems (safe on a zeroed set). */
void mimic_agent_traces_free(mimic_agent_traces *t);

/* ---- states and examples ----------------------------------------------- */

/* What the agent knows before a move. Strings are borrowed. */
typedef struct mimic_agent_state {
  const char *intent;          /* NULL or "" = none */
  const char *request;         /* NULL = "" */
  const char *const *previous; /* [n_previous] actions so far, oldest first */
  size_t n_previous;
  const char *last_observation; /* NULL = none */
  /* Optional, for argument filling: observations[i] came back after
   * previous[i] (n_observations <= n_previous). */
  const char *const *observations;
  size_t n_observations;
  /* Optional: what each previous action said or sent: a reply's text, a tool
   * call's arguments as JSON (NULL array, or NULL entries, when unknown). */
  const char *const *previous_content; /* [n_previous] */
} mimic_agent_state;

/* A state parsed from JSON, owning its strings. */
typedef struct mimic_agent_state_buf {
  mimic_agent_state s;
  json_t *json;        /* a reference to the object the strings live in (not a copy:
                          do not change it while the state is used) */
  const char **arrays; /* backing of s.previous, s.observations, s.previous_content */
  char **owned;        /* texts made while parsing (arguments, non-string observations) */
  size_t n_owned;
} mimic_agent_state_buf;

/* Parses {"intent", "request", "previous_actions": [...], "last_observation",
 * "observations": [...]}: unknown keys are ignored, a wrong type is an error
 * naming the field. A previous action is a name, or an object like a trace
 * step's action ({"tool": name, "arguments": {...}} or {"reply": text}),
 * which also gives its content. A non-string observation is kept as its
 * compact JSON. */
mimic_status mimic_agent_state_from_json(const json_t *obj, mimic_agent_state_buf *out);
/* Frees a parsed state. */
void mimic_agent_state_buf_free(mimic_agent_state_buf *b);
/* A state as JSON (a new reference; NULL if out of memory). */
json_t *mimic_agent_state_to_json(const mimic_agent_state *s);

/* One training example: the state before a move and the move. */
typedef struct mimic_agent_example {
  mimic_agent_state state;
  const char *action;    /* tool name or "reply" */
  const char *arguments; /* compact JSON object, or NULL (replies, unknown) */
  const char *trace_id;  /* where it came from ("correction:17" for a stored correction) */
  size_t step;           /* its index in the trace */
  int64_t group;         /* the task it belongs to (for splitting), -1 for corrections */
} mimic_agent_example;

typedef struct mimic_agent_examples {
  size_t n, cap;
  mimic_agent_example *ex;
  /* storage: pointer arrays per trace, strings of corrections */
  void **owned;
  size_t n_owned, cap_owned;
} mimic_agent_examples;

/* Appends the moves of the traces (all, or those with take[i] true) as examples.
 * The examples borrow the traces' strings: keep the traces alive. */
mimic_status mimic_agent_examples_add_traces(mimic_agent_examples *e, const mimic_agent_traces *t,
                                             const bool *take);
/* Appends one example, copying everything it points to. */
mimic_status mimic_agent_examples_add_copy(mimic_agent_examples *e, const mimic_agent_state *s,
                                           const char *action, const char *arguments,
                                           const char *trace_id, size_t step);
/* Frees examples (safe on a zeroed set). */
void mimic_agent_examples_free(mimic_agent_examples *e);

typedef enum mimic_agent_split_by {
  MIMIC_AGENT_SPLIT_TASK = 0, /* all runs of a task fall on one side */
  MIMIC_AGENT_SPLIT_TRACE,    /* each trajectory on its own */
} mimic_agent_split_by;

/* Parses "task" or "trace". */
mimic_status mimic_agent_split_by_parse(const char *name, mimic_agent_split_by *out);
/* Marks traces for the test side: round(test_fraction * groups) groups
 * (tasks or traces), drawn by a permutation seeded with seed. test[i] is
 * per trace; *n_test_groups (may be NULL) gets the number of test groups. */
mimic_status mimic_agent_split(const mimic_agent_traces *t, mimic_agent_split_by by,
                               double test_fraction, uint64_t seed, bool *test,
                               size_t *n_test_groups);

/* ---- policies ---------------------------------------------------------- */

typedef enum mimic_agent_policy_kind {
  MIMIC_AGENT_FREQUENCY = 0, /* counts of actions per intent (and step); the mission's policy */
  MIMIC_AGENT_MARKOV,        /* counts per intent and previous k actions, with back-off */
  MIMIC_AGENT_LOGREG,        /* LIBLINEAR logistic regression over sparse state features */
  MIMIC_AGENT_TRANSFORMER,   /* a small GPT over the whole trace as byte-pair tokens */
} mimic_agent_policy_kind;

/* Parses "frequency", "markov", "logreg" or "transformer". */
mimic_status mimic_agent_policy_parse(const char *name, mimic_agent_policy_kind *out);
/* Returns "frequency", "markov", "logreg" or "transformer". */
const char *mimic_agent_policy_name(mimic_agent_policy_kind k);

/* Feature blocks of the logreg policy (see src/agent/policy.c). */
enum {
  MIMIC_AGENT_FEAT_REQUEST = 1u << 0,     /* TF-IDF of the request */
  MIMIC_AGENT_FEAT_OBSERVATION = 1u << 1, /* TF-IDF of the last observation */
  MIMIC_AGENT_FEAT_SHAPES = 1u << 2,      /* token shapes of the last observation */
  MIMIC_AGENT_FEAT_REPLY = 1u << 3,       /* TF-IDF of the agent's last reply */
  MIMIC_AGENT_FEAT_AVAILABLE = 1u << 4,   /* per tool: copied arguments found / found unused */
  MIMIC_AGENT_FEAT_PREVIOUS = 1u << 5,    /* one-hots of the last prev_k actions */
  MIMIC_AGENT_FEAT_COUNTS = 1u << 6,      /* log(1 + times) each action was taken */
  MIMIC_AGENT_FEAT_INTENT = 1u << 7,      /* one-hot of the intent */
  MIMIC_AGENT_FEAT_PROGRESS = 1u << 8,    /* step buckets, moves since the last reply */
  MIMIC_AGENT_FEAT_ALL = (1u << 9) - 1,
  MIMIC_AGENT_FEAT_DEFAULT =
      MIMIC_AGENT_FEAT_ALL & ~(MIMIC_AGENT_FEAT_REQUEST | MIMIC_AGENT_FEAT_REPLY),
};

/* Parses a feature list: "default", "all", names joined by commas
 * ("observation,shapes,previous"), or changes to the default ("+request,-shapes"). */
mimic_status mimic_agent_features_parse(const char *text, unsigned *out);

/* The trace transformer (docs/agents.md): the state is read as one token
 * stream - intent, request, then per earlier move its action token, its
 * arguments or reply text and what came back - each text cut to `segment`
 * bytes and byte-pair encoded with `merges` merges learned from the
 * training states; the last `context` tokens go through a GPT of `layers`
 * blocks of width `embd` with `heads` heads, whose output at the last
 * position scores the actions. Trained with AdamW (weight decay 0.01,
 * learning rate decaying linearly to a tenth, gradient norm clipped at 1)
 * for `epochs` passes in batches of `batch` states, shuffled by `seed`. */
typedef struct mimic_agent_tf_config {
  int context, layers, heads, embd; /* default 128, 2, 2, 64 */
  int merges;                       /* byte-pair merges learned (default 512) */
  size_t segment;                   /* bytes of each text kept, from its start (default 192) */
  int epochs, batch;                /* default 8, 16 */
  double lr;                        /* default 1e-3 */
  uint64_t seed;                    /* initialisation and shuffling (default 0) */
} mimic_agent_tf_config;

typedef struct mimic_agent_config {
  mimic_agent_policy_kind policy; /* default logreg */
  int markov_k;                   /* previous actions the Markov policy looks at (default 2) */
  double threshold;               /* the router's default threshold, stored in the model (0.5) */
  /* logreg features */
  unsigned features;          /* MIMIC_AGENT_FEAT_* (default MIMIC_AGENT_FEAT_DEFAULT) */
  int prev_k;                 /* one-hots of the last prev_k actions, by position (default 2) */
  size_t max_observation;     /* bytes of the last observation featurised and kept (4096) */
  mimic_tfidf_config tfidf;   /* for every text block (default: TfidfVectorizer() with
                                 sublinear tf) */
  mimic_linear_config linear; /* default OvR, C = 3 (docs/agents.md) */
  mimic_forest_config forest; /* n_trees > 0: a random forest on the same features too, and
                                 the policy averages both (default 0 trees: off) */
  mimic_agent_tf_config tf;   /* the transformer policy */
  /* retrieval */
  bool keep_demos; /* keep the demonstration steps for few-shot retrieval (true) */
  int n_threads;   /* threads for fitting, 0 = all cores (results do not depend on it) */
} mimic_agent_config;

/* Fills cfg with the defaults above. */
void mimic_agent_config_default(mimic_agent_config *cfg);
/* Checks a configuration before any work. */
mimic_status mimic_agent_config_check(const mimic_agent_config *cfg);

typedef struct mimic_agent_model mimic_agent_model;

/* Fits a policy (and argument filler, and retrieval index) on n examples. */
mimic_status mimic_agent_fit(const mimic_agent_example *ex, size_t n, const mimic_agent_config *cfg,
                             mimic_agent_model **out);
/* The kind of an agent model's file. */
#define MIMIC_KIND_AGENT "mimic.agent"

/* Saves a model durably (model file kind "mimic.agent", docs/model-file.md). */
mimic_status mimic_agent_save(const mimic_agent_model *m, const char *path);
/* Loads and validates a model file. */
mimic_status mimic_agent_load(const char *path, mimic_agent_model **out);
/* Frees a model (NULL is fine). */
void mimic_agent_free(mimic_agent_model *m);

/* The policy's kind. */
mimic_agent_policy_kind mimic_agent_kind(const mimic_agent_model *m);
/* Number of actions the model knows (tools + "reply" if seen). */
int mimic_agent_n_actions(const mimic_agent_model *m);
/* Name of action k (sorted by byte order). */
const char *mimic_agent_action(const mimic_agent_model *m, int k);
/* Id of an action name, or -1. */
int mimic_agent_action_id(const mimic_agent_model *m, const char *name);
/* The router threshold stored in the model. */
double mimic_agent_threshold(const mimic_agent_model *m);
/* Number of demonstration steps kept for retrieval. */
size_t mimic_agent_n_demos(const mimic_agent_model *m);
/* Number of examples the model was fitted on. */
size_t mimic_agent_n_trained(const mimic_agent_model *m);

/* Per-thread buffers for predicting and retrieving. */
typedef struct mimic_agent_scratch mimic_agent_scratch;

/* Makes buffers sized for m (usable only with m). */
mimic_status mimic_agent_scratch_new(const mimic_agent_model *m, mimic_agent_scratch **out);
/* Frees buffers (NULL is fine). */
void mimic_agent_scratch_free(mimic_agent_scratch *s);

typedef struct mimic_agent_prediction {
  int action;          /* the most probable action (ties: lowest id); -1 when the model
                          knows nothing about the state (an unseen intent) */
  double confidence;   /* its probability, 0 when action is -1 */
  const double *proba; /* [n_actions] in scratch, valid until the next call */
} mimic_agent_prediction;

/* Predicts the next move of state. Thread-safe with one scratch per thread. */
mimic_status mimic_agent_predict(const mimic_agent_model *m, const mimic_agent_state *s,
                                 mimic_agent_scratch *scratch, mimic_agent_prediction *out);

/* The route of a prediction: "act" when confidence >= threshold, else fallback. */
static inline const char *mimic_agent_route(double confidence, double threshold,
                                            const char *fallback) {
  return confidence >= threshold ? "act" : fallback;
}

/* ---- arguments --------------------------------------------------------- */

/* Fills the arguments of tool `action` for state: each argument the tool
 * usually has, with its most frequent source; copied values are taken from
 * the request or the most recent observation that holds a value of the
 * right key or shape. *args gets a JSON object of the arguments it could
 * fill and *sources (may be NULL) one of their sources (new references). */
mimic_status mimic_agent_fill_arguments(const mimic_agent_model *m, int action,
                                        const mimic_agent_state *s, json_t **args,
                                        json_t **sources);

/* ---- evaluation and calibration ---------------------------------------- */

typedef struct mimic_agent_calib_row {
  double threshold;
  size_t covered;  /* states with confidence >= threshold */
  double coverage; /* covered / n */
  double accuracy; /* accuracy on the covered states (NAN if none) */
} mimic_agent_calib_row;

/* Coverage and accuracy at each of nt thresholds from per-state confidences
 * and correctness. */
void mimic_agent_calibrate(const double *conf, const bool *correct, size_t n,
                           const double *thresholds, size_t nt, mimic_agent_calib_row *rows);

typedef struct mimic_agent_eval {
  size_t n;             /* moves evaluated */
  double accuracy;      /* next move right (an unseen action counts as wrong) */
  size_t n_tool_calls;  /* moves that are tool calls */
  double tool_accuracy; /* next move right on tool calls */
  double reply_accuracy;
  size_t n_args_scored;      /* tool calls predicted right whose arguments are known */
  double args_exact;         /* share of those whose filled arguments equal the true ones exactly */
  size_t n_arg_values;       /* arguments of those calls */
  double arg_value_accuracy; /* share of argument values filled exactly right */
  size_t unseen_actions;     /* true actions the model never saw */
  double *confidence;        /* [n] */
  bool *correct;             /* [n] */
  int32_t *predicted;        /* [n] (-1: nothing) */
} mimic_agent_eval;

/* Predicts every example and scores the moves and the arguments. */
mimic_status mimic_agent_evaluate(const mimic_agent_model *m, const mimic_agent_example *ex,
                                  size_t n, mimic_agent_eval *out);
/* Frees the arrays of an evaluation. */
void mimic_agent_eval_free(mimic_agent_eval *e);

/* ---- retrieval --------------------------------------------------------- */

typedef struct mimic_agent_shot {
  size_t demo;  /* index of the demonstration step */
  double score; /* TF-IDF cosine similarity */
} mimic_agent_shot;

/* The k stored demonstration steps most similar to state (ties: lower
 * index), best first; *n_out gets how many (fewer if fewer are similar at
 * all). out needs room for k. Thread-safe with one scratch per thread. */
mimic_status mimic_agent_retrieve(const mimic_agent_model *m, const mimic_agent_state *s, int k,
                                  mimic_agent_scratch *scratch, mimic_agent_shot *out,
                                  size_t *n_out);
/* A demonstration step as a few-shot example: {"trace", "step", "score", "state",
 * "action", "arguments"} (a new reference). */
json_t *mimic_agent_shot_json(const mimic_agent_model *m, const mimic_agent_shot *shot);

/* ---- corrections ------------------------------------------------------- */

/* The label store session kind of agent corrections. */
#define MIMIC_AGENT_SESSION_KIND "agent-corrections"

/* Stores an expert's answer for state (action, optional arguments JSON
 * object text, labeler, round, extra meta JSON object text or NULL), committed
 * before returning; *id (may be NULL) gets the record id. */
mimic_status mimic_agent_store_correction(mimic_labelstore *store, int64_t session,
                                          const mimic_agent_state *s, const char *action,
                                          const char *arguments, const char *labeler, int64_t round,
                                          const char *extra_meta, int64_t *id);

/* Appends the stored corrections of a session (0: all sessions of kind
 * agent-corrections or agent-dagger) as examples. Bad records fail naming the id. */
mimic_status mimic_agent_examples_add_store(mimic_agent_examples *e, mimic_labelstore *store,
                                            int64_t session);

/* ---- DAgger ------------------------------------------------------------ */

/* Reads states to ask about, one JSON object per line: a state
 * ({"intent", "request", "previous_actions", ...}, optionally with "id"), or
 * a mimic trace (all its states, with their recorded moves). Bad lines fail
 * naming the line. The examples own their strings; actions may be NULL. */
mimic_status mimic_agent_states_read(const char *path, mimic_agent_examples *out);

/* DAgger for agents through mimic_dagger_run: each round the learner meets
 * the states of the next slice of `pool` (conversations it would have
 * handled), the query rule picks the ones it was unsure about (default
 * uncertain:0.5, the router's deferral), the expert answers each, every
 * answer is committed to the label store before the next question, and the
 * policy is refitted on the demonstrations plus all corrections. The
 * session's state in the store (the next round) makes a killed run resume
 * after its last finished round, and answers already stored are never asked
 * again (states are keyed by "<trace>#<step>"). */
typedef struct mimic_agent_dagger_config {
  const mimic_agent_examples *demos; /* demonstrations to start from (may be NULL) */
  const mimic_agent_examples *pool;  /* states the learner meets, split into rounds in order */
  const mimic_agent_examples *eval;  /* held-out moves scored after each round (may be NULL) */
  mimic_agent_config policy;
  const char *expert;     /* "human", "cmd:PROGRAM ARGS", or "recorded" (the pool's own moves) */
  double expert_timeout;  /* seconds per answer of a program (default 30) */
  FILE *human_in;         /* a person's answers (default stdin) */
  const char *bind;       /* web: the labeling page's address (default 127.0.0.1) */
  int web_agreement;      /* web: votes per question, the majority answers (0, 1: one) */
  FILE *human_out;        /* questions to a person (default stderr) */
  const char *store_path; /* the SQLite label store */
  const char *session;    /* session name (default "agent-dagger") */
  int rounds;             /* default 1 */
  mimic_query_rule query; /* default uncertain:0.5 */
  uint64_t seed;
  const char *model_out; /* written after every round (may be NULL) */
  void (*on_round)(const mimic_dagger_round *row, void *user);
  void *user;
} mimic_agent_dagger_config;

/* Fills cfg with the defaults above. */
void mimic_agent_dagger_defaults(mimic_agent_dagger_config *cfg);
/* Runs the loop; *final (may be NULL) gets the last fitted model. */
mimic_status mimic_agent_dagger_run(const mimic_agent_dagger_config *cfg, mimic_dagger_round *rows,
                                    int cap, int *n_rows, mimic_agent_model **final);

/* ---- serving ----------------------------------------------------------- */

typedef struct mimic_agent_server_config {
  const char *host;         /* address to bind (default 127.0.0.1) */
  int port;                 /* 0 = any free port (see mimic_agent_server_port) */
  int threads;              /* worker threads (default 2) */
  size_t max_body;          /* request body limit in bytes (default 1 MiB); larger: 413 */
  unsigned timeout_s;       /* idle connection timeout (default 15 s) */
  unsigned max_connections; /* default 512; past it requests get 503 (GET /health is still
                               answered, from a reserve of max_connections / 4 + 16) */
  unsigned max_per_ip;      /* connections from one address (default 128); more are refused */
  double request_timeout_s; /* a request's headers and body must all arrive within this,
                               however the bytes trickle (default 10 s) */
  double busy_timeout_s;    /* the same while the server is full (default 1 s) */
  double threshold;         /* the router's threshold (NAN: the model's) */
  const char *fallback;     /* route name when unsure (default "fallback") */
  int examples;             /* few-shot examples per /predict unless the request says (default 3) */
  bool lock_model;          /* serialise predictions with a mutex (for measuring; default off:
                               the model is shared read-only, scratch is per thread) */
  mimic_labelstore *store;  /* where /correct writes (NULL: /correct answers 503) */
  int64_t session;          /* the store's session for corrections */
} mimic_agent_server_config;

/* Fills cfg with the defaults above. */
void mimic_agent_server_defaults(mimic_agent_server_config *cfg);

typedef struct mimic_agent_server mimic_agent_server;

/* Starts serving m (borrowed: keep it alive until stop) in background threads. */
mimic_status mimic_agent_server_start(const mimic_agent_model *m,
                                      const mimic_agent_server_config *cfg,
                                      mimic_agent_server **out);
/* The port the server listens on. */
int mimic_agent_server_port(const mimic_agent_server *s);

typedef struct mimic_agent_server_stats {
  uint64_t requests, predictions, corrections, bad_requests, too_large, not_found, errors;
  uint64_t busy;      /* answered 503: the server was full */
  uint64_t timed_out; /* connections cut: a request did not arrive within request_timeout_s */
  uint64_t open;      /* connections open now */
} mimic_agent_server_stats;

/* Counts so far. */
void mimic_agent_server_stats_get(const mimic_agent_server *s, mimic_agent_server_stats *out);
/* Stops the server and waits for its threads (NULL is fine). */
void mimic_agent_server_stop(mimic_agent_server *s);

#ifdef __cplusplus
}
#endif
#endif
