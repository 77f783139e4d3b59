/* The text classifier: a TF-IDF vectorizer, a linear model and the class
 * names, fitted together and saved as one model file.
 *
 * Classes are the sorted distinct labels of the training data (so column k
 * of every probability matrix is classes.names[k]). The file is a model
 * container of kind "mimic.text_classifier" (docs/model-file.md) with meta
 * keys "classes", "vectorizer" and "classifier"; loading validates each
 * part and their agreement (the classifier's feature count is the
 * vocabulary size, its class count the number of names). */
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "text/tfidf.h"
#include "text/parts.h"

void mimic_text_model_config_default(mimic_text_model_config *cfg) {
  mimic_tfidf_config_default(&cfg->tfidf);
  mimic_linear_config_default(&cfg->linear);
}

void mimic_text_model_free(mimic_text_model *m) {
  if (!m) return;
  mimic_tfidf_free(&m->vec);
  mimic_linear_free(&m->clf);
  mimic_labelset_free(&m->classes);
}

mimic_status mimic_text_model_fit(mimic_text_model *m, const char *const *texts,
                                  const char *const *labels, size_t n,
                                  const mimic_text_model_config *cfg) {
  memset(m, 0, sizeof *m);
  if (n == 0) return mimic_fail(MIMIC_ERR_INVALID, "no training texts");
  MIMIC_TRY(mimic_tfidf_config_check(&cfg->tfidf));
  MIMIC_TRY(mimic_linear_config_check(&cfg->linear));
  int32_t *y = mimic_malloc(n * sizeof *y, "labels");
  if (!y) return MIMIC_ERR_NOMEM;
  mimic_csr X = {0};
  mimic_status st = mimic_labelset_build(&m->classes, labels, n, y);
  if (st == MIMIC_OK) st = mimic_tfidf_fit_transform(&m->vec, texts, n, &cfg->tfidf, &X);
  if (st == MIMIC_OK) st = mimic_linear_fit(&m->clf, &X, y, m->classes.n, &cfg->linear);
  mimic_csr_free(&X);
  free(y);
  if (st) mimic_text_model_free(m);
  return st;
}

mimic_status mimic_text_model_fit_with(mimic_text_model *m, const mimic_tfidf *vec,
                                       const char *const *texts, const char *const *labels,
                                       size_t n, const mimic_linear_config *cfg) {
  memset(m, 0, sizeof *m);
  if (n == 0) return mimic_fail(MIMIC_ERR_INVALID, "no training texts");
  MIMIC_TRY(mimic_linear_config_check(cfg));
  int32_t *y = mimic_malloc(n * sizeof *y, "labels");
  if (!y) return MIMIC_ERR_NOMEM;
  mimic_csr X = {0};
  mimic_status st = mimic_labelset_build(&m->classes, labels, n, y);
  if (st == MIMIC_OK) st = mimic_tfidf_copy(vec, &m->vec);
  if (st == MIMIC_OK) st = mimic_tfidf_transform(&m->vec, texts, n, &X);
  if (st == MIMIC_OK) st = mimic_linear_fit(&m->clf, &X, y, m->classes.n, cfg);
  mimic_csr_free(&X);
  free(y);
  if (st) mimic_text_model_free(m);
  return st;
}

mimic_status mimic_text_model_proba(const mimic_text_model *m, const char *const *texts, size_t n,
                                    double *proba) {
  mimic_csr X;
  MIMIC_TRY(mimic_tfidf_transform(&m->vec, texts, n, &X));
  mimic_status st = mimic_linear_proba(&m->clf, &X, proba);
  mimic_csr_free(&X);
  return st;
}

mimic_status mimic_text_model_predict(const mimic_text_model *m, const char *const *texts, size_t n,
                                      int32_t *pred, double *conf) {
  mimic_csr X;
  MIMIC_TRY(mimic_tfidf_transform(&m->vec, texts, n, &X));
  mimic_status st = mimic_linear_predict(&m->clf, &X, pred, conf);
  mimic_csr_free(&X);
  return st;
}

mimic_status mimic_text_model_save(const mimic_text_model *m, const char *path) {
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, MIMIC_KIND_TEXT_CLASSIFIER, 1));
  mimic_status st = mimic_labelset_export(&m->classes, "classes", &c);
  if (!st) st = mimic_tfidf_export(&m->vec, "vectorizer", &c);
  if (!st) st = mimic_linear_export(&m->clf, "classifier", &c);
  if (!st) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  return st;
}

mimic_status mimic_text_model_load(mimic_text_model *m, const char *path) {
  memset(m, 0, sizeof *m);
  mimic_container f;
  MIMIC_TRY(mimic_container_read(path, &f));
  mimic_status st = mimic_container_expect(&f, MIMIC_KIND_TEXT_CLASSIFIER, 1);
  if (!st) st = mimic_labelset_import(&m->classes, &f, "classes");
  if (!st) st = mimic_tfidf_import(&m->vec, &f, "vectorizer");
  if (!st) st = mimic_linear_import(&m->clf, &f, "classifier");
  if (!st && m->clf.n_features != m->vec.n_features)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: classifier has %lld features, vocabulary %lld", path,
                    (long long)m->clf.n_features, (long long)m->vec.n_features);
  if (!st && m->clf.n_classes != m->classes.n)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: classifier has %d classes, the file names %d", path,
                    m->clf.n_classes, m->classes.n);
  mimic_container_free(&f);
  if (st) mimic_text_model_free(m);
  return st;
}
