/* Private declarations shared by the text layer's sources. */
#ifndef MIMIC_TEXT_IMPL_H
#define MIMIC_TEXT_IMPL_H

#include "mimic/text.h"
#include "text/linear_impl.h"

/* Builds a vectorizer from sorted unique terms, df and idf (model import);
 * takes ownership of the arrays on success and failure. */
mimic_status mimic_tfidf_assemble(mimic_tfidf *v, const mimic_tfidf_config *cfg, int64_t n_docs,
                                  char *term_buf, int64_t *term_off, int64_t *df, double *idf,
                                  int64_t n_features);

/* Adds float64 array "<key>.<suffix>" to a model container being written. */
mimic_status part_add(mimic_container *c, const char *key, const char *suffix, const double *data,
                      uint64_t len);
/* Gives float64 array "<key>.<suffix>" of exactly len values. */
mimic_status part_get(const mimic_container *c, const char *key, const char *suffix, uint64_t len,
                      const double **data);
/* Fails with "<file>: meta.<key>: <what>". */
mimic_status part_bad(const mimic_container *c, const char *key, const char *what);

#endif
