/* Private pieces shared by the agent layer's files: traces as JSON, the
 * model struct, the feature layout of the logistic-regression policy,
 * argument sources, the server's core, and small
 * helpers for problems, strings and JSON. Internal to mimic (not
 * installed); the public agent API is mimic/agent.h. */
#ifndef MIMIC_AGENT_IMPL_H
#define MIMIC_AGENT_IMPL_H

#include <pthread.h>

#include "mimic/agent.h"
#include "text/forest.h"
#include "text/tfidf.h"

/* ---- traces (trace.c) --------------------------------------------------- */

/* Returns the name of a format ("openai", ...). */
const char *mimic_agent_format_name(mimic_agent_format f);
/* Same from a buffer; name is used in messages. */
mimic_status mimic_agent_traces_parse(const char *buf, size_t len, const char *name,
                                      mimic_agent_format fmt, mimic_agent_traces *out);
/* One trace as a JSON object of mimic's format (a new reference, NULL if out of memory). */
json_t *mimic_agent_trace_to_json(const mimic_agent_trace *t);
/* Parses one trace object of mimic's format; on failure *field names the bad field. */
mimic_status mimic_agent_trace_from_json(const json_t *obj, mimic_agent_trace *t, char *field,
                                         size_t field_cap);
/* Frees one trace's strings and steps. */
void mimic_agent_trace_free(mimic_agent_trace *t);

/* ---- features, arguments, serving --------------------------------------- */

/* Writes a feature set as its names joined by commas. */
void mimic_agent_features_format(unsigned features, char *buf, size_t cap);

typedef enum mimic_arg_source {
  MIMIC_ARG_REQUEST = 0, /* a value copied from the request */
  MIMIC_ARG_OBSERVATION, /* a value copied from an earlier observation */
  MIMIC_ARG_CONSTANT,    /* always the same value */
  MIMIC_ARG_OTHER,       /* composed by the agent (cannot be predicted by copying) */
} mimic_arg_source;

/* Returns "request", "observation", "constant" or "other". */
const char *mimic_arg_source_name(mimic_arg_source s);
/* The source of each argument of action seen in training, as {"name": {"source":
 * share,...}} (a new reference). */
json_t *mimic_agent_argument_table(const mimic_agent_model *m, int action);

/* Handles one request without HTTP (the server's core, for tests and
 * embedding): method, path and body in; HTTP status and a JSON body
 * (malloc'd) out. scratch may be NULL (one is made for the call). */
int mimic_agent_server_handle(mimic_agent_server *s, const char *method, const char *path,
                              const char *body, size_t len, mimic_agent_scratch *scratch,
                              char **response);

/* ---- helpers (trace.c) -------------------------------------------------- */

/* Appends a problem (field may be NULL) to t. */
mimic_status agent_problem_add(mimic_agent_traces *t, int64_t line, int64_t record,
                               const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Appends a trace (moved: *tr is zeroed) to t. */
mimic_status agent_traces_push(mimic_agent_traces *t, mimic_agent_trace *tr);
/* Compact JSON with sorted keys (malloc'd), the canonical text of arguments. */
char *agent_json_canon(const json_t *v);
/* A JSON value as text: strings as they are, anything else compact JSON (malloc'd). */
char *agent_json_text(const json_t *v);
/* Checks ids are unique; moves duplicates to problems. */
mimic_status agent_traces_check_ids(mimic_agent_traces *t);
/* Calls fn for each non-blank line of buf (line numbers 1-based). fn's status stops the walk. */
typedef mimic_status (*agent_line_fn)(void *ctx, const char *line, size_t len, int64_t lineno);
mimic_status agent_each_line(const char *buf, size_t len, agent_line_fn fn, void *ctx);

/* ---- importers (import.c) ---------------------------------------------- */

mimic_status agent_import_openai_array(const char *buf, size_t len, const char *name,
                                       mimic_agent_traces *out);
/* One JSON Lines record of a chat format; fmt is OPENAI, REACT or REACT_JSON. */
mimic_status agent_import_chat_record(const json_t *rec, int64_t line, int64_t record,
                                      const char *name, mimic_agent_format fmt,
                                      mimic_agent_traces *out);
/* Detects the format of one parsed JSON Lines record (AUTO if unknown). */
mimic_agent_format agent_detect_record(const json_t *rec);

/* ---- the model --------------------------------------------------------- */

/* Counts of actions under one key (a row of the frequency/Markov tables). */
typedef struct agent_count_row {
  char *key;    /* "intent\x1fstep" or "intent\x1fa1\x1fa2" */
  int32_t best; /* most frequent action (ties: lowest id) */
  double total;
  double *counts; /* [K] */
} agent_count_row;

typedef struct agent_count_table {
  size_t n, cap;
  agent_count_row *rows;
  /* open-addressing hash over keys */
  int64_t *slots;
  size_t n_slots;
} agent_count_table;

/* One argument of one tool, as seen in training. */
typedef struct agent_arg_info {
  char *name;
  double seen;      /* calls of the tool with this argument */
  double source[4]; /* counts per mimic_arg_source */
  char *constant;   /* the value's canonical JSON when the source is constant */
  /* shapes of copied string values, for finding candidates in text */
  char **shapes;
  size_t n_shapes;
  size_t min_len, max_len;
  bool numeric; /* values were JSON numbers */
  /* JSON keys the copied values sat under in observations (most seen first) */
  struct agent_arg_ctx {
    char *key;
    double count;
  } * ctx;
  size_t n_ctx;
} agent_arg_info;

/* Observations searched for argument values, counting back from the last
 * one: for filling the chosen tool's arguments, and for the per-tool
 * availability features of every prediction. On tau-bench a window of 2
 * for the features predicts the next move about 0.3 points worse (and
 * arguments 2 points worse) at 1.4 times the speed; 8 keeps both. */
#define AGENT_ARG_WINDOW 8
#define AGENT_AVAIL_WINDOW 8

typedef struct agent_tool_args {
  double calls; /* calls of the tool with known arguments */
  size_t n;
  agent_arg_info *arg;
} agent_tool_args;

/* A demonstration step kept for retrieval. */
typedef struct agent_demo {
  char *trace, *intent, *request, *observation, *action, *arguments;
  char **previous;
  size_t n_previous, step;
} agent_demo;

/* Feature blocks of the logreg policy, in column order. */
typedef struct agent_features {
  int prev_k;
  size_t max_observation;
  int64_t off_request, off_obs, off_shape, off_reply, off_avail, off_prev, off_counts, off_intent,
      off_progress, n_cols;
} agent_features;

struct mimic_agent_model {
  mimic_agent_policy_kind kind;
  mimic_agent_config cfg;
  mimic_labelset actions; /* K action names, sorted */
  mimic_labelset intents; /* intents seen (for one-hots) */
  size_t n_trained;
  /* frequency / Markov */
  agent_count_table table;
  /* logreg */
  mimic_tfidf vec_request, vec_obs, vec_reply, vec_shape;
  agent_features feat;
  mimic_linear clf;
  mimic_forest forest; /* n_trees 0: none */
  /* arguments per action */
  agent_tool_args *args; /* [K] */
  /* retrieval */
  size_t n_demos;
  agent_demo *demos;
  mimic_tfidf vec_demo;
  mimic_csr demo_t;    /* transpose of the demo TF-IDF rows: term -> (demo, weight) */
  int reply_id;        /* id of "reply", or -1 */
  struct agent_tf *tf; /* the transformer policy (agent/tf_policy.h), else NULL */
};

struct mimic_agent_scratch {
  mimic_tfidf_scratch tf;
  int32_t *idx;
  double *val;
  size_t cap;
  double *proba;        /* [K] */
  double *proba_forest; /* [K] */
  double *dense;        /* [n_cols] with a forest (else [1]), all zero between predictions */
  int32_t *count;       /* [K] zeroed counts */
  int32_t *ids;         /* action ids of a history */
  size_t ids_cap;
  float *score;     /* [n_demos] retrieval accumulator */
  int32_t *touched; /* [n_demos] */
  char *text;       /* joined texts */
  size_t text_cap;
  struct mimic_gpt *gpt; /* the transformer's own copy (its caches are per thread) */
  int32_t *tok;          /* a state's tokens */
  size_t tok_cap;
};

/* Table ops (policy.c). */
void agent_count_table_free(agent_count_table *t);
const agent_count_row *agent_count_find(const agent_count_table *t, const char *key, size_t len);
mimic_status agent_count_add(agent_count_table *t, const char *key, size_t len, int K, int action,
                             double w);
void agent_count_finish(agent_count_table *t, int K);

/* Computes the column offsets of the feature blocks from the vocabularies. */
void agent_layout(mimic_agent_model *m);
/* Featurises a state into scratch (sorted columns); returns nnz. */
mimic_status agent_featurize(const mimic_agent_model *m, const mimic_agent_state *s,
                             mimic_agent_scratch *sc, int64_t *nnz);
/* The text the retrieval index sees for a state (into scratch). */
const char *agent_demo_text(const mimic_agent_state *s, size_t max_obs, mimic_agent_scratch *sc,
                            size_t *len);
/* The agent's most recent reply text in the state's history ("" if none). */
const char *agent_last_reply(const mimic_agent_state *s);
/* The shape document of text (each token replaced by its shape word) into *buf. */
mimic_status agent_shape_doc(const char *text, size_t len, char **buf, size_t *cap,
                             size_t *out_len);
/* Bytes of an observation featurised: at most max bytes, cut at a UTF-8 boundary. */
size_t agent_obs_len(const char *obs, size_t max);

/* Arguments (args.c). */
mimic_status agent_args_fit(mimic_agent_model *m, const mimic_agent_example *ex, size_t n,
                            const int32_t *y);
void agent_args_free(mimic_agent_model *m);
/* Whether every copied argument of action has a candidate in the state, and whether one is
 * a value no earlier call of action used. */
void agent_args_available(const mimic_agent_model *m, int action, const mimic_agent_state *s,
                          bool *fillable, bool *fresh);
json_t *agent_args_export(const mimic_agent_model *m);
mimic_status agent_args_import(mimic_agent_model *m, const json_t *j, const char *path);

/* Retrieval (retrieve.c). */
mimic_status agent_demos_build(mimic_agent_model *m, const mimic_agent_example *ex, size_t n);
mimic_status agent_demos_index(mimic_agent_model *m);
void agent_demos_free(mimic_agent_model *m);
json_t *agent_demos_export(const mimic_agent_model *m);
mimic_status agent_demos_import(mimic_agent_model *m, const json_t *j, const char *path);

#endif
