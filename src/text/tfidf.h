/* The tokenizer and the TF-IDF pieces under mimic/text.h's vectorizer:
 * token lists, the analyzer (tokens and n-grams), one document at a time
 * without allocating (the agent policy's path) and deep copies. Internal to
 * mimic (not installed): users fit and transform with mimic_tfidf_*. */
#ifndef MIMIC_TEXT_TFIDF_H
#define MIMIC_TEXT_TFIDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/text.h"

/* ---- tokenizer ---------------------------------------------------------- */

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

/* ---- TF-IDF ------------------------------------------------------------- */

/* The analyzer: tokens, then 2-grams, 3-grams, ... ("a b"), as the vectorizer sees them. */
mimic_status mimic_tfidf_analyze(const mimic_tfidf_config *cfg, const char *doc, size_t len,
                                 mimic_tokens *out);

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

#endif
