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
 * Experts are mimic's experts (mimic/expert.h) over the text codec: a label
 * file (the gold label of an item, found by id or exact text; for
 * experiments), an external program (JSON Lines, see
 * docs/expert-protocol.md) and a person at the terminal (the text, the
 * model's top guesses, and a prompt that takes a number, a label name or a
 * unique prefix, skip, undo and quit). Anything else can be an expert
 * through mimic_expert_alloc() with a class of its own.
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
#include "mimic/expert.h"
#include "mimic/labelstore.h"
#include "mimic/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the codec and experts ---------------------------------------------- */

/* The codec of the loop's documents: what a program, a person and
 * the label log see of a document. Its label list starts empty;
 * mimic_text_dagger_run sets the session's. Free with mimic_codec_free. */
mimic_status mimic_text_codec(mimic_codec **out);

/* Options of mimic_text_expert_open (a zeroed struct gives the defaults). */
typedef struct mimic_text_expert_opts {
  const mimic_text_read_opts *read; /* file: format and columns (NULL: defaults) */
  const char *id_column;            /* file: ids to match the pool's (default "id") */
  double timeout_s;                 /* cmd: seconds per reply (default 30; < 0: none) */
  int in_fd;                        /* human: where answers come from (default 0 = stdin) */
  FILE *out;                        /* human: where questions go (default stderr) */
  const char *bind;                 /* web: the page's address (default 127.0.0.1) */
  int agreement;                    /* web: votes per question, the majority answers (0, 1: one) */
} mimic_text_expert_opts;

/* Opens an expert for the text codec from a spec: "human", "web[:PORT]" (a
 * labeling page), "file:PATH" (gold labels) or "cmd:PROGRAM ARGS". */
mimic_status mimic_text_expert_open(const char *spec, const mimic_codec *codec,
                                    const mimic_text_expert_opts *opts, mimic_expert **out);

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

/* Runs the loop through the DAgger driver. The expert answers through
 * codec (a mimic_text_codec; the run sets its label list: the session's, or
 * for a new one the seed's labels, the extra labels and a label-file
 * expert's). store (may be NULL: answers are kept in memory only) holds the
 * session; an unfinished session of the same name resumes (its pool, seed,
 * query rule and model settings must be the same). A person quitting
 * returns MIMIC_ERR_INTERRUPTED with result->quit set; everything answered
 * is stored. Free the result with mimic_text_dagger_result_free whatever
 * the status. */
mimic_status mimic_text_dagger_run(const mimic_text_dagger_config *cfg,
                                   const mimic_text_dagger_input *in, mimic_codec *codec,
                                   mimic_expert *expert, mimic_labelstore *store,
                                   mimic_text_dagger_result *result);
/* Frees a result (safe on a zeroed one). */
void mimic_text_dagger_result_free(mimic_text_dagger_result *r);

#ifdef __cplusplus
}
#endif
#endif
