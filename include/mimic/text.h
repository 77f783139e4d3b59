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
 *                       model container (mimic/container.h)
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
/* Column of a term, or -1. */
int64_t mimic_tfidf_lookup(const mimic_tfidf *v, const char *term, size_t len);
/* Term of column c. */
static inline const char *mimic_tfidf_term(const mimic_tfidf *v, int64_t c) {
  return v->term_buf + v->term_off[c];
}

/* Frees a vectorizer (safe on a zeroed one). */
void mimic_tfidf_free(mimic_tfidf *v);

/* ---- readers ----------------------------------------------------------- */

typedef enum mimic_text_format {
  MIMIC_TEXT_AUTO = 0, /* by extension: .csv, .jsonl/.ndjson/.json, anything else: text */
  MIMIC_TEXT_CSV,
  MIMIC_TEXT_JSONL,
  MIMIC_TEXT_PLAIN, /* one item per line, no labels */
} mimic_text_format;

/* Parses "auto", "csv", "jsonl" or "txt"/"text". */
mimic_status mimic_text_format_parse(const char *name, mimic_text_format *out);

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

#ifdef __cplusplus
}
#endif
#endif
