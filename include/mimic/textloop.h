/* mimic/textloop.h: the expert-in-the-loop labeling loop for text
 * classification (DAgger for classification) and its experts.
 *
 * A document is a state, its label the expert's action. Each round the
 * classifier scores the unlabeled pool, the DAgger driver (mimic/dagger.h)
 * picks the items its query rule wants (least confident, smallest margin,
 * highest entropy, or at random), an expert labels them one by one, and the
 * classifier is refit on the seed labels plus every answer. The loop is a
 * plug-in of that one driver, like DAgger in environments; nothing here
 * reimplements the round loop.
 *
 * Experts: a label file (the gold label of an item, found by id or exact
 * text; for experiments), an external program (JSON Lines, see
 * docs/expert-protocol.md) and a person at the terminal (the text, the
 * model's top guesses, and a prompt that takes a number, a label name or a
 * unique prefix, skip, undo and quit). Anything else can be an expert
 * through mimic_text_expert_new().
 *
 * Durability: with a label store (mimic/labelstore.h) every answer is
 * committed, together with the session's resume state, before the next
 * question. A killed or quit session run again with the same inputs asks
 * exactly the questions it had not yet had answered: the model of a round
 * is a pure function of the answers of earlier rounds, so the driver picks
 * the same batch again, and answers already stored are replayed instead of
 * asked (docs/text-dagger.md). */
#ifndef MIMIC_TEXTLOOP_H
#define MIMIC_TEXTLOOP_H

#include <stdio.h>

#include "mimic/dagger.h"
#include "mimic/labelstore.h"
#include "mimic/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- experts ------------------------------------------------------------ */

/* One question to an expert. */
typedef struct mimic_text_question {
  const char *item;             /* the item's stable key ("pool.csv:17") */
  const char *id;               /* the item's id (the pool's id column), or NULL */
  const char *text;             /* the document */
  const mimic_labelset *labels; /* every label an answer may name (sorted) */
  int n_guesses;                /* the model's top guesses (0 before any model) */
  const int32_t *guess;         /* [n_guesses] ids into labels, most probable first */
  const double *guess_p;        /* [n_guesses] their probabilities */
  int round, rounds;            /* this round (1-based) of rounds */
  size_t number, count;         /* question number (1-based) of count in the round (0: unknown) */
  bool can_undo;                /* an answer of this round can be undone */
  bool again;                   /* asked again after an undo */
} mimic_text_question;

typedef enum mimic_text_reply_kind {
  MIMIC_TEXT_REPLY_LABEL = 0, /* label holds the answer */
  MIMIC_TEXT_REPLY_SKIP,      /* no label for this item (it is not asked again) */
  MIMIC_TEXT_REPLY_UNDO,      /* take back the previous answer of this round and ask it again */
  MIMIC_TEXT_REPLY_QUIT,      /* stop now; the session can be resumed */
} mimic_text_reply_kind;

/* An expert's reply. */
typedef struct mimic_text_reply {
  mimic_text_reply_kind kind;
  int32_t label; /* LABEL: id into question->labels */
} mimic_text_reply;

/* Answers one question (for mimic_text_expert_new). */
typedef mimic_status (*mimic_text_ask_fn)(void *user, const mimic_text_question *q,
                                          mimic_text_reply *r);

typedef struct mimic_text_expert mimic_text_expert;

/* Options of mimic_text_expert_open (a zeroed struct gives the defaults). */
typedef struct mimic_text_expert_opts {
  const mimic_text_read_opts *read; /* file: format and columns (NULL: defaults) */
  const char *id_column;            /* file: ids to match the pool's (default "id") */
  double timeout_s;                 /* cmd: seconds per reply (default 30; < 0: none) */
  int in_fd;                        /* human: where answers come from (default 0 = stdin) */
  FILE *out;                        /* human: where questions go (default stderr) */
} mimic_text_expert_opts;

/* Opens an expert from a spec: "human", "file:PATH" or "cmd:PROGRAM ARGS". */
mimic_status mimic_text_expert_open(const char *spec, const mimic_text_expert_opts *opts,
                                    mimic_text_expert **out);
/* A person at the terminal: questions to out, one answer per line from in_fd. */
mimic_status mimic_text_expert_human(int in_fd, FILE *out, mimic_text_expert **e);
/* An external program speaking JSON Lines (docs/expert-protocol.md, "kind": "text"). */
mimic_status mimic_text_expert_program(const char *cmdline, double timeout_s,
                                       mimic_text_expert **e);
/* A label file: answers the gold label of an item, found by id when the
 * question has one and the file has an id column, else by exact text. */
mimic_status mimic_text_expert_file(const char *path, const mimic_text_read_opts *read,
                                    const char *id_column, mimic_text_expert **e);
/* The same from memory: n texts with labels (copied) and optional ids; name is the labeler. */
mimic_status mimic_text_expert_table(const char *name, const char *const *texts,
                                     const char *const *labels, const char *const *ids, size_t n,
                                     mimic_text_expert **e);
/* Any other expert: ask(user, ...) answers; free_user (may be NULL) runs at free. */
mimic_status mimic_text_expert_new(const char *name, mimic_text_ask_fn ask, void *user,
                                   void (*free_user)(void *), mimic_text_expert **e);
/* Asks one question; a LABEL reply is checked to name one of q->labels. */
mimic_status mimic_text_expert_ask(mimic_text_expert *e, const mimic_text_question *q,
                                   mimic_text_reply *r);
/* Who answers, as recorded with each label: "human", "file:gold.csv", "cmd:./oracle". */
const char *mimic_text_expert_name(const mimic_text_expert *e);
/* True for a person (no progress bars while it is asked). */
bool mimic_text_expert_is_human(const mimic_text_expert *e);
/* Labels the expert can give that are known beforehand (a label file's), sorted; 0 if none. */
size_t mimic_text_expert_labels(const mimic_text_expert *e, const char *const **labels);
/* Stops a program, frees the expert (NULL is fine). */
void mimic_text_expert_free(mimic_text_expert *e);

/* Reads the values of column `column` for the items of d (read from path
 * with the same format), e.g. an id column. *values is NULL when the file
 * has no such column; else n strings (free with mimic_text_strings_free). */
mimic_status mimic_text_read_column(const char *path, mimic_text_format format, const char *column,
                                    const mimic_text_data *d, char ***values);
/* Frees n strings and the array. */
void mimic_text_strings_free(char **v, size_t n);

/* ---- the loop ----------------------------------------------------------- */

typedef struct mimic_text_dagger_config {
  int rounds;                 /* default 3 */
  mimic_query_rule query;     /* default margin:10 (k = items asked per round) */
  uint64_t seed;              /* the random rule's draws (default 0) */
  mimic_tfidf_config tfidf;   /* TfidfVectorizer() defaults; fitted on seed + pool texts */
  mimic_linear_config linear; /* OvR, C = 10 (docs/text.md) */
  int n_guesses;              /* guesses shown with each question (default 3) */
  const char *session;        /* session name in the store (default "text-dagger") */
  bool keep_model;            /* leave the final model in the result */
  bool progress;              /* a progress bar over each round's questions */
  /* Called with the model before the first round run (round = first - 1)
   * and after every round (may be NULL). */
  void (*on_round)(const mimic_dagger_round *row, void *user);
  void *user;
} mimic_text_dagger_config;

/* The defaults above. */
mimic_text_dagger_config mimic_text_dagger_defaults(void);

/* What the loop works on. Strings are borrowed for the run. */
typedef struct mimic_text_dagger_input {
  size_t n_pool;                /* the unlabeled pool */
  const char *const *pool_text; /* [n_pool] */
  const char *const *pool_id;   /* [n_pool] ids shown to experts, or NULL */
  const int64_t *pool_row;      /* [n_pool] row numbers for item keys (NULL: 1..n), increasing */
  const char *pool_name;        /* item keys are "<pool_name>:<row>" (default "pool") */
  size_t n_seed;                /* the labeled seed (may be 0) */
  const char *const *seed_text, *const *seed_label;
  const char *seed_name; /* the seed's labeler is "seed:<seed_name>" (default "seed") */
  size_t n_test;         /* an optional test set, evaluated after every round */
  const char *const *test_text, *const *test_label;
  size_t n_labels;           /* labels an expert may give besides the seed's (may be 0) */
  const char *const *labels; /* [n_labels] */
  /* Optional features computed elsewhere (e.g. shared by many runs): a
   * vectorizer and the rows of pool, seed and test under it. NULL: the loop
   * fits TfidfVectorizer on seed + pool texts itself. */
  const mimic_tfidf *vec;
  const mimic_csr *X_pool, *X_seed, *X_test;
} mimic_text_dagger_input;

typedef struct mimic_text_dagger_result {
  int first_round;           /* the round (0-based) this run started at; > 0: resumed */
  int rounds_done;           /* rounds the session has finished */
  bool resumed, quit;        /* an earlier run's answers were found; the expert quit */
  int n_rows;                /* rows[0] = the model before this run's first round */
  mimic_dagger_round *rows;  /* then one per finished round; metrics accuracy, macro_f1 */
  size_t n_seed, n_answers;  /* labels: seed, and answers of the session (not undone) */
  size_t n_skipped, n_asked; /* items skipped; questions asked in this run (not replayed) */
  mimic_text_model model;    /* the final model (with keep_model) */
} mimic_text_dagger_result;

/* Runs the loop through mimic_dagger_run. store (may be NULL: answers are
 * kept in memory only) holds the session; an unfinished session of the
 * same name resumes (its pool, seed, query rule and model settings must be
 * the same). A person quitting returns MIMIC_ERR_INTERRUPTED with
 * result->quit set; everything answered is stored. Free the result with
 * mimic_text_dagger_result_free whatever the status. */
mimic_status mimic_text_dagger_run(const mimic_text_dagger_config *cfg,
                                   const mimic_text_dagger_input *in, mimic_text_expert *expert,
                                   mimic_labelstore *store, mimic_text_dagger_result *result);
/* Frees a result (safe on a zeroed one). */
void mimic_text_dagger_result_free(mimic_text_dagger_result *r);

#ifdef __cplusplus
}
#endif
#endif
