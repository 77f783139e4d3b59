/* mimic/text.h: text classification pieces for imitation and active learning.
 *
 * A document is a state, a label is an action, a person or a program is
 * the expert. This header holds what the text loop (and the agent layer)
 * is built from:
 *
 *   tokenizer + TF-IDF  scikit-learn's TfidfVectorizer to the last bit of
 *                       its specification: str.lower(), (?u)\b\w\w+\b,
 *                       n-grams, min_df/max_df/max_features, smooth idf,
 *                       sublinear tf, l2 rows (mimic_tfidf_*)
 *   readers             CSV (RFC 4180), JSON Lines and plain text, with
 *                       errors naming the file and row (mimic_text_read)
 *   metrics             accuracy, macro-F1, per-class report, confusion
 *   model files         one durable, validated file holding vectorizer,
 *                       classifier and class names (mimic_text_model_*), a
 *                       model container (mimic/container.h) whose parts
 *                       other layers reuse (mimic_*_export, mimic_*_import)
 *
 * Linear models and class lists are in mimic/linear.h, sparse matrices in
 * mimic/sparse.h, the SQLite label store in mimic/labelstore.h. */
#ifndef MIMIC_TEXT_H
#define MIMIC_TEXT_H

#include <jansson.h>

#include "mimic/container.h"
#include "mimic/core.h"
#include "mimic/dagger.h"
#include "mimic/labelstore.h"
#include "mimic/linear.h"
#include "mimic/policy.h"
#include "mimic/rng.h"
#include "mimic/sparse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tokenizer --------------------------------------------------------- */

/* A list of tokens: token i is the n_bytes[i] bytes at buf + off[i] (also
 * NUL-terminated there). Reused across calls to avoid allocation. */
typedef struct mimic_tokens {
  char *buf;
  size_t used, cap;
  uint32_t *off, *len;
  size_t n, ncap;
} mimic_tokens;

/* Appends the tokens of text (len bytes of UTF-8) to out: lower-cased like
 * Python's str.lower() when lowercase is true, then the runs of word
 * characters (letters, digits of any script, '_') of 2+ code points.
 * Invalid UTF-8 fails with the byte offset. */
mimic_status mimic_text_tokenize(const char *text, size_t len, bool lowercase, mimic_tokens *out);
/* Empties a token list, keeping its memory. */
void mimic_tokens_clear(mimic_tokens *t);
/* Frees a token list. */
void mimic_tokens_free(mimic_tokens *t);

/* ---- TF-IDF ------------------------------------------------------------ */

/* A document-frequency bound written like scikit-learn's: an integer count
 * of documents, or a fraction of documents in [0, 1]. */
typedef struct mimic_df_bound {
  bool fraction;
  double value;
} mimic_df_bound;

/* Parses "2" (count) or "0.5", "1.0", "1e-3" (fraction), as Python reads an int or a float. */
mimic_status mimic_df_bound_parse(const char *s, mimic_df_bound *out);

typedef struct mimic_tfidf_config {
  int ngram_min, ngram_max; /* ngram_range, default (1, 1) */
  mimic_df_bound min_df;    /* default count 1 */
  mimic_df_bound max_df;    /* default fraction 1.0 */
  int64_t max_features;     /* 0 = no limit; keeps the terms most frequent over the corpus */
  bool lowercase;           /* default true */
  bool sublinear_tf;        /* tf = 1 + ln(count); default false */
  bool use_idf;             /* default true */
  bool smooth_idf;          /* idf = ln((1+n)/(1+df)) + 1; default true */
  bool norm_l2;             /* default true (norm='l2'); false = no normalisation */
  int n_threads;            /* 0 = all online CPUs; results do not depend on it */
} mimic_tfidf_config;

/* Fills cfg with TfidfVectorizer()'s defaults. */
void mimic_tfidf_config_default(mimic_tfidf_config *cfg);
/* Checks a configuration (ranges as scikit-learn validates them). */
mimic_status mimic_tfidf_config_check(const mimic_tfidf_config *cfg);

typedef struct mimic_tfidf_hash mimic_tfidf_hash; /* private: term -> column */

/* A fitted vectorizer: terms sorted by code point (= byte order of UTF-8). */
typedef struct mimic_tfidf {
  mimic_tfidf_config cfg;
  int64_t n_features; /* V */
  int64_t n_docs;     /* documents it was fitted on */
  char *term_buf;     /* all terms, each NUL-terminated */
  int64_t *term_off;  /* [V + 1]: term c is term_buf + term_off[c] */
  int64_t *df;        /* [V] document frequency */
  double *idf;        /* [V] (all 1 when use_idf is false) */
  mimic_tfidf_hash *hash;
} mimic_tfidf;

/* Learns vocabulary and idf from n documents (NUL-terminated UTF-8). */
mimic_status mimic_tfidf_fit(mimic_tfidf *v, const char *const *docs, size_t n,
                             const mimic_tfidf_config *cfg);
/* fit, then X = the TF-IDF rows of the same documents (X may be NULL). */
mimic_status mimic_tfidf_fit_transform(mimic_tfidf *v, const char *const *docs, size_t n,
                                       const mimic_tfidf_config *cfg, mimic_csr *X);
/* TF-IDF rows of documents under the fitted vocabulary (unknown terms ignored). */
mimic_status mimic_tfidf_transform(const mimic_tfidf *v, const char *const *docs, size_t n,
                                   mimic_csr *X);
/* Raw term counts of documents under the fitted vocabulary (CountVectorizer). */
mimic_status mimic_tfidf_counts(const mimic_tfidf *v, const char *const *docs, size_t n,
                                mimic_csr *X);
/* The analyzer: tokens, then 2-grams, 3-grams, ... ("a b"), as the vectorizer sees them. */
mimic_status mimic_tfidf_analyze(const mimic_tfidf_config *cfg, const char *doc, size_t len,
                                 mimic_tokens *out);
/* Column of a term, or -1. */
int64_t mimic_tfidf_lookup(const mimic_tfidf *v, const char *term, size_t len);
/* Term of column c. */
static inline const char *mimic_tfidf_term(const mimic_tfidf *v, int64_t c) {
  return v->term_buf + v->term_off[c];
}

/* Per-thread scratch for transforming one document at a time without allocating. */
typedef struct mimic_tfidf_scratch {
  mimic_tokens tok;
  int32_t *cols;
  double *vals;
  size_t cap;
} mimic_tfidf_scratch;

/* TF-IDF of one document: idx and val point into s (valid until the next call). */
mimic_status mimic_tfidf_transform_one(const mimic_tfidf *v, const char *doc, size_t len,
                                       mimic_tfidf_scratch *s, const int32_t **idx,
                                       const double **val, int64_t *nnz);
/* Frees scratch memory. */
void mimic_tfidf_scratch_free(mimic_tfidf_scratch *s);
/* Deep copy. */
mimic_status mimic_tfidf_copy(const mimic_tfidf *a, mimic_tfidf *out);
/* Frees a vectorizer (safe on a zeroed one). */
void mimic_tfidf_free(mimic_tfidf *v);

/* ---- readers ----------------------------------------------------------- */

/* A CSV file per RFC 4180: first record is the header; fields may be quoted
 * ("a, b"), hold doubled quotes ("say ""hi""") and newlines. CRLF or LF. */
typedef struct mimic_csv {
  size_t n_rows, n_cols;
  char **header; /* [n_cols] */
  char **cells;  /* [n_rows * n_cols], row-major */
  int64_t *line; /* [n_rows]: the line each record starts on (1-based) */
  char *storage; /* backing memory of header and cells */
} mimic_csv;

/* Parses a CSV buffer; name is used in messages ("train.csv: row 7 (line 9): ..."). */
mimic_status mimic_csv_parse(const char *buf, size_t len, const char *name, mimic_csv *out);
/* Reads and parses a CSV file. */
mimic_status mimic_csv_read(const char *path, mimic_csv *out);
/* Column index of a header name, or -1. */
int mimic_csv_column(const mimic_csv *c, const char *name);
/* Frees a parsed CSV. */
void mimic_csv_free(mimic_csv *c);

typedef enum mimic_text_format {
  MIMIC_TEXT_AUTO = 0, /* by extension: .csv, .jsonl/.ndjson/.json, anything else: text */
  MIMIC_TEXT_CSV,
  MIMIC_TEXT_JSONL,
  MIMIC_TEXT_PLAIN, /* one item per line, no labels */
} mimic_text_format;

/* Parses "auto", "csv", "jsonl" or "txt"/"text". */
mimic_status mimic_text_format_parse(const char *name, mimic_text_format *out);
/* The format MIMIC_TEXT_AUTO picks for path: by its extension, in any case. */
mimic_text_format mimic_text_format_guess(const char *path);

typedef struct mimic_text_read_opts {
  mimic_text_format format;
  const char *text_column;  /* default "text" */
  const char *label_column; /* NULL: the first of "label", "category", "intent" present */
  bool need_labels;         /* fail when there is no label column */
  bool allow_empty;         /* accept empty or all-space texts (default: error naming the row) */
} mimic_text_read_opts;

/* Items read from a file: texts, labels (NULL if the file has none) and,
 * for messages, the row number of each item ("row" = data record, 1-based). */
typedef struct mimic_text_data {
  size_t n;
  char **text;
  char **label;
  int64_t *row;       /* record number (CSV: data row; JSONL/text: line) */
  int64_t *line;      /* line number where the record starts */
  char *label_column; /* the label column used, or NULL */
} mimic_text_data;

/* Reads texts (and labels) from path; invalid UTF-8 and empty texts fail naming the row. */
mimic_status mimic_text_read(const char *path, const mimic_text_read_opts *opts,
                             mimic_text_data *out);
/* Frees the data. */
void mimic_text_data_free(mimic_text_data *d);

/* ---- metrics ----------------------------------------------------------- */

/* Classification report over K classes (scikit-learn's classification_report). */
typedef struct mimic_class_metrics {
  int n_classes;
  int64_t n;
  double accuracy;
  double macro_precision, macro_recall, macro_f1; /* over classes present in truth or predictions */
  double weighted_f1;                             /* weighted by support */
  double *precision, *recall, *f1;                /* [K]; 0 where undefined */
  int64_t *support;                               /* [K] true count */
  int64_t *predicted;                             /* [K] predicted count */
  int64_t *confusion; /* [K * K]: row = true class, column = predicted */
} mimic_class_metrics;

/* Computes the report for y_true/y_pred in 0..K-1. */
mimic_status mimic_metrics_compute(const int32_t *y_true, const int32_t *y_pred, size_t n, int K,
                                   mimic_class_metrics *m);
/* Frees the arrays. */
void mimic_metrics_free(mimic_class_metrics *m);
/* Area under the ROC curve of score for telling correct[i] from not (ties count one half);
 * 0.5 = no better than chance; NaN if all items are correct or all wrong. */
double mimic_auc(const double *score, const bool *positive, size_t n);

/* ---- model files ------------------------------------------------------- */

/* The parts of text and agent models in a model container (mimic/container.h):
 * each export adds meta[key] (and float64 arrays "<key>.<name>") to c; each
 * import rebuilds the part from them, validating everything, with errors
 * naming the file and "meta.<key>". */

/* Adds a vectorizer's settings and terms under meta[key] and its idf as array "<key>.idf". */
mimic_status mimic_tfidf_export(const mimic_tfidf *v, const char *key, mimic_container *c);
/* Rebuilds a vectorizer from meta[key] and array "<key>.idf" (validating everything). */
mimic_status mimic_tfidf_import(mimic_tfidf *v, const mimic_container *c, const char *key);
/* Adds a linear model under meta[key] and arrays "<key>.w", "<key>.intercept". */
mimic_status mimic_linear_export(const mimic_linear *m, const char *key, mimic_container *c);
/* Rebuilds a linear model from meta[key] and its arrays. */
mimic_status mimic_linear_import(mimic_linear *m, const mimic_container *c, const char *key);
/* Adds class names as meta[key] (a JSON array of strings). */
mimic_status mimic_labelset_export(const mimic_labelset *ls, const char *key, mimic_container *c);
/* Reads class names from meta[key] (sorted, unique, valid UTF-8). */
mimic_status mimic_labelset_import(mimic_labelset *ls, const mimic_container *c, const char *key);

/* ---- text classifier (vectorizer + linear model + class names) -------- */

typedef struct mimic_text_model_config {
  mimic_tfidf_config tfidf;
  mimic_linear_config linear;
} mimic_text_model_config;

/* TfidfVectorizer() defaults and mimic_linear_config_default(). */
void mimic_text_model_config_default(mimic_text_model_config *cfg);

typedef struct mimic_text_model {
  mimic_tfidf vec;
  mimic_linear clf;
  mimic_labelset classes;
} mimic_text_model;

/* Fits vectorizer and classifier on n labelled texts. */
mimic_status mimic_text_model_fit(mimic_text_model *m, const char *const *texts,
                                  const char *const *labels, size_t n,
                                  const mimic_text_model_config *cfg);
/* Fits only the classifier on n labelled texts, with a vectorizer fitted
 * elsewhere (e.g. on the whole unlabelled pool; it is copied into m). */
mimic_status mimic_text_model_fit_with(mimic_text_model *m, const mimic_tfidf *vec,
                                       const char *const *texts, const char *const *labels,
                                       size_t n, const mimic_linear_config *cfg);
/* Probabilities [n x K] (columns in m->classes order). */
mimic_status mimic_text_model_proba(const mimic_text_model *m, const char *const *texts, size_t n,
                                    double *proba);
/* Predicted class ids (and confidences, if conf) of n texts. */
mimic_status mimic_text_model_predict(const mimic_text_model *m, const char *const *texts, size_t n,
                                      int32_t *pred, double *conf);
/* The kind of a text classifier's file. */
#define MIMIC_KIND_TEXT_CLASSIFIER "mimic.text_classifier"

/* Saves the model durably (kind "mimic.text_classifier"). */
mimic_status mimic_text_model_save(const mimic_text_model *m, const char *path);
/* Loads and validates a model file. */
mimic_status mimic_text_model_load(mimic_text_model *m, const char *path);
/* Frees a model (safe on a zeroed one). */
void mimic_text_model_free(mimic_text_model *m);

/* ---- the text learner --------------------------------------------------- */

/* A document as a state of the text learner: its text and, optionally, the
 * matrix that already holds its TF-IDF row under the learner's vectorizer
 * (a labeling loop vectorizes its pool once). */
typedef struct mimic_text_doc {
  const char *text;
  const mimic_csr *x; /* NULL: vectorize text when needed */
  int64_t row;        /* its row in x */
} mimic_text_doc;

/* A learner (mimic/policy.h) over mimic_text_doc items: the linear model cfg
 * on TF-IDF rows of vec (fitted beforehand, borrowed), acting in ids of
 * labels (borrowed). A fit sees only the labels its examples use; the
 * others get probability 0. Example weights need the softmax model. */
mimic_status mimic_text_learner(const mimic_linear_config *cfg, const mimic_tfidf *vec,
                                const mimic_labelset *labels, mimic_policy **out);
/* A copy of a fitted text learner as a stand-alone text model (to save or serve). */
mimic_status mimic_text_learner_model(const mimic_policy *p, mimic_text_model *out);

#ifdef __cplusplus
}
#endif
#endif
