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

/* Appends array "<key>.<suffix>" to the arrays of a model file being written. */
mimic_status mfile_add_named(mimic_mfile_array *arrays, int *n, int max, const char *key,
                             const char *suffix, const double *data, uint64_t len);
/* Fails with "<path>: meta.<key>: <what>". */
mimic_status mfile_bad(const mimic_mfile *f, const char *key, const char *what);

#endif
