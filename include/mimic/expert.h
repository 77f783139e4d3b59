/* mimic/expert.h: who labels states, written once for every domain.
 *
 * An expert answers a batch of questions. A question is a state the learner
 * met (an observation and the live environment, a document, an agent's
 * state) together with the learner's guess; an answer is an action (with
 * an optional detail, such as a tool's arguments), or a person's skip,
 * undo or quit. The transports are written once and serve every domain:
 *
 *   builtin   the environment's own expert, reading the live environment
 *   policy    any policy acting as the expert (a saved policy file, random)
 *   table     a label file in memory: answers looked up by item id or by
 *             the state's text (text gold labels, an agent's recorded moves)
 *   program   an external program speaking JSON Lines (docs/expert-protocol.md)
 *   human     a person at the terminal: a line per answer, or single keys
 *   web       people at a labeling page mimic serves (docs/web-expert.md):
 *             several at once, each answer handed to the loop as it comes
 *
 * A domain brings a codec: the action space and its names, how a state is
 * put in a program's request, shown to a person and written in the label
 * log. Everything else (parsing replies, checking answers against the
 * space, numbering choices for people, matching names) is done here once,
 * so an answer means the same thing whoever gives it.
 *
 * An expert can also act as a policy (mimic_policy_open's "cmd:" and
 * "human" specs), which is how `mimic eval --policy cmd:...` and `collect`
 * drive a program. */
#ifndef MIMIC_EXPERT_H
#define MIMIC_EXPERT_H

#include <stdio.h>

#include <jansson.h>

#include "mimic/core.h"
#include "mimic/env.h"
#include "mimic/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- questions and answers ---------------------------------------------- */

struct mimic_answer;

/* A batch of states to label, with what the learner made of them. */
typedef struct mimic_questions mimic_questions;
struct mimic_questions {
  size_t n;
  const float *obs;          /* [n x obs_dim] observation rows, or NULL */
  int obs_dim;               /* with obs */
  const void *const *items;  /* [n] item states (documents, agent states), or NULL */
  mimic_env *const *envs;    /* [n] live environments in these states, or NULL */
  const char *const *keys;   /* [n] the loop's stable keys ("pool.csv:17"), or NULL */
  const char *const *ids;    /* [n] ids the outside world knows the items by, or NULL */
  const float *guess;        /* [n x width] the learner's actions, or NULL (no learner yet) */
  const float *guess_conf;   /* [n] their confidences (NAN: the learner knows nothing), or NULL */
  const double *guess_proba; /* [n x guess_k] probabilities of every action, or NULL */
  int guess_k;
  int round, rounds;    /* the loop's round (1-based) of rounds; 0: not in a loop */
  size_t number, count; /* the first question's number in its round, of count (0: unknown) */
  bool can_undo;        /* an earlier answer of this round can be taken back */
  bool must_act;        /* the state needs an action now (a rollout waits): no skip or undo */
  bool again;           /* asked again after an undo */
  const char *note;     /* for a person: where the loop stands (episodes that just ended,
                           what is left of the round), or NULL */
  /* Where an expert that streams (mimic_expert.streams) hands each answer
   * as it comes, in any order: the caller stores it before the expert
   * hands out another question. An undo names the question i whose answer
   * is taken back (it is asked again). Set by the caller; NULL: answers
   * come back together when label returns. */
  mimic_status (*deliver)(void *ctx, const mimic_questions *q, size_t i, struct mimic_answer *a);
  void *deliver_ctx;
};

typedef enum mimic_answer_kind {
  MIMIC_ANSWER_ACTION = 0, /* action (and detail) hold the answer */
  MIMIC_ANSWER_SKIP,       /* no answer: the state is not asked about again */
  MIMIC_ANSWER_UNDO,       /* take back the previous answer of this round, ask it again
                              (nothing to take back: ask this question again) */
  MIMIC_ANSWER_QUIT,       /* stop now; what was answered is kept and the run can resume */
} mimic_answer_kind;

/* One answer. action is the caller's buffer of the space's width. */
typedef struct mimic_answer {
  mimic_answer_kind kind;
  const char *labeler; /* who of several people answered ("web:alice"), borrowed until the
                          answer is stored; NULL: the expert's name */
  float *action;
  char *detail; /* a JSON object text attached to the action (a tool's arguments), malloc'd
                   by the expert and freed by the caller; NULL when none */
} mimic_answer;

/* ---- codecs: a domain's states and actions as the outside sees them ------ */

typedef struct mimic_codec mimic_codec;

struct mimic_codec {
  const char *kind;  /* a program request's "kind": "state", "text", "agent_state" */
  mimic_space space; /* the actions answers live in (Box bounds borrowed) */
  bool keys;         /* a person answers with one key per state (environments) */
  void *ctx;         /* the domain's */
  /* Names of discrete actions (NULL: actions are numbers). */
  int (*n_names)(const mimic_codec *c);
  const char *(*name)(const mimic_codec *c, int k);
  /* Gives a name no action has yet an id (open lists: an agent's tools); NULL: refused. */
  mimic_status (*add_name)(const mimic_codec *c, const char *name, int *id);
  /* Puts what every state of q shares (an environment's id and action
   * space, a label list) into a program's request; NULL: nothing. */
  mimic_status (*request_shared)(const mimic_codec *c, const mimic_questions *q, json_t *req);
  /* Puts state i's own fields (and the learner's guess) into a request: the
   * request itself for one state, an element of its "batch" for several. */
  mimic_status (*request)(const mimic_codec *c, const mimic_questions *q, size_t i, json_t *req);
  /* Shows state i to a person. */
  mimic_status (*show)(const mimic_codec *c, const mimic_questions *q, size_t i, FILE *out);
  /* State i as the label log keeps it (malloc'd text). */
  char *(*state_text)(const mimic_codec *c, const mimic_questions *q, size_t i);
  /* A PNG picture of state i for a page (*png malloc'd; NULL when there is
   * none); NULL: the live environment's frame, if any. */
  mimic_status (*picture)(const mimic_codec *c, const mimic_questions *q, size_t i,
                          unsigned char **png, size_t *len);
  /* Frees ctx (mimic_codec_free; NULL: nothing to free). */
  void (*free_ctx)(mimic_codec *c);
  const char *noun;     /* what an action is called in messages ("label"; NULL: "action") */
  const char *log_kind; /* "kind" in the meta of every answer logged (NULL: none) */
  /* A Box's dimensions as people call them ("torque"): dim names, or NULL (a[0], a[1], ...). */
  const char *const *dim_names;
};

/* Frees a codec made on the heap by a mimic_codec_* constructor (NULL is fine). */
void mimic_codec_free(mimic_codec *c);

/* ---- experts ------------------------------------------------------------- */

typedef struct mimic_expert mimic_expert;

typedef struct mimic_expert_class {
  const char *kind;
  /* Answers q->n questions (answers[i].action has the space's width). */
  mimic_status (*label)(mimic_expert *e, const mimic_questions *q, mimic_answer *answers);
  void (*free_impl)(mimic_expert *e);
  /* Hears how a finished round's learner did (a page charts it); NULL: not interested. */
  void (*round_done)(mimic_expert *e, int round, const char *metric, double value);
} mimic_expert_class;

struct mimic_expert {
  const mimic_expert_class *cls;
  const mimic_codec *codec; /* borrowed */
  char name[160];           /* the labeler recorded with each answer: "human", "builtin",
                               "cmd:./oracle", "file:gold.csv", "policy:clone.mimic" */
  bool person;              /* a person: answers are committed one by one, no progress bar */
  bool repeatable;          /* answers cost nothing and repeat exactly (built-in, a policy):
                               a loop may commit a round's answers together */
  bool live;                /* answers from the live environment (built-in) or shows it (a
                               person): its questions cannot wait for the state to pass */
  size_t max_batch;         /* the most questions one label call takes (a program's is
                               what it announced in its first reply) */
  bool streams;             /* answers come one by one in any order through q->deliver
                               (several people at a page): asked a whole batch at once */
  long answers;             /* questions answered so far */
  void *impl;
};

/* Asks q->n questions (in batches of at most max_batch) and checks every
 * answer: actions in the space, no skip or undo where the state must act,
 * undo only for the first question (with nothing to take back, it asks
 * that question again). A quit or an undo ends the batch: the questions
 * after it are not asked and their answers read QUIT. */
mimic_status mimic_expert_label(mimic_expert *e, const mimic_questions *q, mimic_answer *answers);
/* Tells the expert how the learner of a finished round did (metric: "accuracy",
 * "return"); experts that show progress keep it. NULL e is fine. */
void mimic_expert_round_done(mimic_expert *e, int round, const char *metric, double value);
/* Frees an expert and what it runs (a program is stopped). NULL is fine. */
void mimic_expert_free(mimic_expert *e);
/* Allocates an expert of class cls for codec (for writing new transports). */
mimic_status mimic_expert_alloc(const mimic_expert_class *cls, const mimic_codec *codec,
                                const char *name, mimic_expert **out);

/* Options of mimic_expert_open (zeroed: the defaults). */
typedef struct mimic_expert_opts {
  double timeout_s; /* program: seconds per reply (0: 30; < 0: no limit) */
  int in_fd;        /* person: where answers come from (default 0) */
  FILE *out;        /* person: where questions go (default stderr) */
  bool interactive; /* person: refuse unless in_fd is a terminal */
  const char *bind; /* web: the address the page is served on (NULL: 127.0.0.1; any other
                       address is warned about and needs the printed token) */
  int agreement;    /* web: votes each question needs from distinct people, the majority
                       answering (0 or 1: the first answer; more: docs/web-expert.md) */
} mimic_expert_opts;

/* Opens an expert from a command-line spec: "builtin" or "expert" (the
 * environment's own), "human", "web[:PORT]" (a labeling page, default port
 * 8765; 0 picks a free one), "cmd:PROGRAM ARGS", "random", or the path
 * of a policy file. Domains add their own specs (file:, recorded) first. */
mimic_status mimic_expert_open(const char *spec, const mimic_codec *codec,
                               const mimic_expert_opts *opts, mimic_expert **out);
/* A label file in memory: n entries, entry j answers label[j] (an
 * action's name, its number or a Box's JSON list) with detail[j] (may be
 * NULL) for the state whose id is id[j] or, failing that, whose text is
 * text[j] (ids or texts may be NULL). A state found in neither is an error
 * naming it. */
mimic_status mimic_expert_table(const mimic_codec *codec, const char *name, size_t n,
                                const char *const *id, const char *const *text,
                                const char *const *label, const char *const *detail,
                                mimic_expert **out);

/* ---- the environment codec ---------------------------------------------- */

/* The codec of environment states like like's (control, gridworld):
 * requests carry the env id, the observation and the action space; a
 * person sees the environment's text picture and answers with keys (a Box
 * action: a list of numbers, one per named dimension). Its id, space and
 * names are copied (like may go). Free with mimic_codec_free. */
mimic_status mimic_codec_env(const mimic_env *like, mimic_codec **out);

#ifdef __cplusplus
}
#endif
#endif
