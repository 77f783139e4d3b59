/* The text learner: a learner of the policy layer (mimic/policy.h) over
 * documents, as the text DAgger loop (mimic_text_dagger_run) drives it.
 * Internal to mimic (not installed): users run the loop, or fit a
 * classifier with mimic_text_model_fit. */
#ifndef MIMIC_TEXT_LEARNER_H
#define MIMIC_TEXT_LEARNER_H

#include <stdint.h>

#include "mimic/policy.h"
#include "mimic/text.h"

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

#endif
