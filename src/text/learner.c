/* The text learner: TF-IDF + a linear model behind the learner interface
 * (mimic/policy.h), so the labeling loop fits, scores and saves it through
 * the same calls as a BC network or an agent policy.
 *
 * Its states are mimic_text_doc items. A document whose TF-IDF row was
 * already computed under the learner's vectorizer (a pool vectorized once
 * for a whole run) is read from that matrix; any other is vectorized on
 * the spot. A fit stacks the examples' rows in the order given (the loop
 * gives seed first, then answers in pool order, so a model depends only on
 * which answers exist) and fits the linear model on the labels it sees;
 * those classes map onto the session's label list, whose ids are the
 * learner's actions. Labels no example has used get probability 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text/text_impl.h"
#include "text/tfidf.h"
#include "text/learner.h"
#include "text/csr.h"

typedef struct text_learner {
  mimic_linear_config cfg;
  const mimic_tfidf *vec;
  const mimic_labelset *labels;
  mimic_linear clf;
  int32_t *cls; /* [labels->n]: model class k -> label id */
  int n_classes;
  double *scratch; /* [cap x n_classes] model-class probabilities */
  size_t cap;
} text_learner;

/* The TF-IDF rows of n documents, read from their matrices or vectorized. */
static mimic_status doc_rows(const text_learner *l, const void *const *items, size_t n,
                             mimic_csr *out) {
  mimic_csr_builder b;
  MIMIC_TRY(mimic_csr_builder_init(&b, l->vec->n_features));
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < n && !st; i++) {
    const mimic_text_doc *d = items[i];
    mimic_csr own = {0};
    const mimic_csr *x = d->x;
    int64_t r = d->row;
    if (!x || x->n_cols != l->vec->n_features || r < 0 || r >= x->n_rows) {
      st = mimic_tfidf_transform(l->vec, &d->text, 1, &own);
      x = &own;
      r = 0;
    }
    for (int64_t k = x->indptr[r]; !st && k < x->indptr[r + 1]; k++)
      st = mimic_csr_builder_add(&b, x->indices[k], x->data[k]);
    if (!st) st = mimic_csr_builder_end_row(&b);
    mimic_csr_free(&own);
  }
  if (st) {
    mimic_csr_builder_free(&b);
    return st;
  }
  mimic_csr_builder_finish(&b, out);
  return MIMIC_OK;
}

static mimic_status tl_fit(mimic_policy *p, const mimic_labeled *data, bool warm, uint64_t seed) {
  text_learner *l = p->impl;
  (void)warm; /* LIBLINEAR refits from scratch */
  (void)seed; /* and draws nothing at random */
  if (!data->items) return mimic_fail(MIMIC_ERR_INVALID, "the text learner fits on documents");
  const int L = l->labels->n;
  int32_t *to_class = mimic_malloc((size_t)L * sizeof *to_class, "classes");
  int32_t *y = mimic_malloc(data->n * sizeof *y, "training labels");
  mimic_status st = to_class && y ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (int k = 0; !st && k < L; k++) to_class[k] = -1;
  for (size_t i = 0; !st && i < data->n; i++) {
    float a = data->actions[i];
    if (!(a >= 0 && a < (float)L && a == floorf(a)))
      st = mimic_fail(MIMIC_ERR_RANGE, "example %zu has label id %g; there are %d labels", i,
                      (double)a, L);
    else
      to_class[(int)a] = 0;
  }
  /* classes seen, in label order, so model columns follow the label list */
  int K = 0;
  for (int k = 0; !st && k < L; k++)
    if (to_class[k] == 0) {
      l->cls[K] = k;
      to_class[k] = K++;
    }
  for (size_t i = 0; !st && i < data->n; i++) y[i] = to_class[(int)data->actions[i]];
  mimic_csr X = {0};
  mimic_linear_config cfg = l->cfg;
  double *w = NULL; /* the linear model takes double weights */
  if (!st && data->weights && cfg.kind != MIMIC_LINEAR_SOFTMAX)
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "example weights need the softmax model (LIBLINEAR's one-vs-rest takes none)");
  if (!st && data->weights && !(w = mimic_malloc(data->n * sizeof *w, "sample weights")))
    st = MIMIC_ERR_NOMEM;
  for (size_t i = 0; !st && w && i < data->n; i++) w[i] = data->weights[i];
  cfg.sample_weight = w;
  if (!st) st = doc_rows(l, data->items, data->n, &X);
  mimic_linear fitted = {0};
  if (!st) st = mimic_linear_fit(&fitted, &X, y, K, &cfg);
  if (!st) {
    mimic_linear_free(&l->clf);
    l->clf = fitted;
    l->n_classes = K;
  }
  mimic_csr_free(&X);
  free(w);
  free(y);
  free(to_class);
  return st;
}

static mimic_status tl_act(mimic_policy *p, mimic_act_batch *b) {
  text_learner *l = p->impl;
  if (!b->items) return mimic_fail(MIMIC_ERR_INVALID, "the text learner reads documents");
  const size_t n = (size_t)b->n, K = (size_t)l->n_classes, L = (size_t)l->labels->n;
  if (n * K > l->cap) {
    double *s = mimic_realloc(l->scratch, n * K, sizeof *s, "probabilities");
    if (!s) return MIMIC_ERR_NOMEM;
    l->scratch = s;
    l->cap = n * K;
  }
  mimic_csr X;
  MIMIC_TRY(doc_rows(l, b->items, n, &X));
  mimic_status st = mimic_linear_proba(&l->clf, &X, l->scratch);
  mimic_csr_free(&X);
  if (st) return st;
  for (size_t i = 0; i < n; i++) {
    const double *q = l->scratch + i * K;
    size_t best = 0; /* ties to the lowest class, i.e. the lowest label id */
    for (size_t k = 1; k < K; k++)
      if (q[k] > q[best]) best = k;
    b->actions[i] = (float)l->cls[best];
    if (b->confidence) b->confidence[i] = (float)q[best];
    if (b->proba) {
      double *row = b->proba + i * L;
      memset(row, 0, L * sizeof *row);
      for (size_t k = 0; k < K; k++) row[l->cls[k]] = q[k];
    }
  }
  return MIMIC_OK;
}

static mimic_status tl_save(const mimic_policy *p, const char *path) {
  mimic_text_model m;
  MIMIC_TRY(mimic_text_learner_model(p, &m));
  mimic_status st = mimic_text_model_save(&m, path);
  mimic_text_model_free(&m);
  return st;
}

static mimic_status tl_reload(mimic_policy *p, const char *path) {
  text_learner *l = p->impl;
  mimic_text_model m;
  MIMIC_TRY(mimic_text_model_load(&m, path));
  mimic_status st = MIMIC_OK;
  if (m.vec.n_features != l->vec->n_features)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: its vocabulary has %lld terms, this run's %lld", path,
                    (long long)m.vec.n_features, (long long)l->vec->n_features);
  for (int k = 0; !st && k < m.classes.n; k++) {
    int id = mimic_labelset_find(l->labels, m.classes.names[k]);
    if (id < 0)
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: class '%s' is not one of the %d labels", path,
                      m.classes.names[k], l->labels->n);
    else
      l->cls[k] = id;
  }
  if (!st) {
    mimic_linear_free(&l->clf);
    l->clf = m.clf;
    memset(&m.clf, 0, sizeof m.clf);
    l->n_classes = m.classes.n;
  }
  mimic_text_model_free(&m);
  return st;
}

static void tl_free(mimic_policy *p) {
  text_learner *l = p->impl;
  if (!l) return;
  mimic_linear_free(&l->clf);
  free(l->cls);
  free(l->scratch);
  free(l);
}

static const mimic_policy_class text_learner_class = {.kind = "text",
                                                      .act = tl_act,
                                                      .free_impl = tl_free,
                                                      .fit = tl_fit,
                                                      .save = tl_save,
                                                      .reload = tl_reload};

mimic_status mimic_text_learner(const mimic_linear_config *cfg, const mimic_tfidf *vec,
                                const mimic_labelset *labels, mimic_policy **out) {
  *out = NULL;
  MIMIC_TRY(mimic_linear_config_check(cfg));
  if (!labels || labels->n < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "the text learner needs at least one label");
  mimic_space space = {.kind = MIMIC_SPACE_DISCRETE, .n = labels->n, .dim = 1};
  MIMIC_TRY(mimic_policy_alloc(&text_learner_class, &space, 0, out));
  text_learner *l = mimic_calloc(1, sizeof *l, "a text learner");
  (*out)->impl = l;
  if (!l || !(l->cls = mimic_calloc((size_t)labels->n, sizeof *l->cls, "classes"))) {
    mimic_policy_free(*out);
    *out = NULL;
    return MIMIC_ERR_NOMEM;
  }
  l->cfg = *cfg;
  l->vec = vec;
  l->labels = labels;
  snprintf((*out)->description, sizeof(*out)->description, "text %s over %d labels",
           mimic_linear_kind_name(cfg->kind), labels->n);
  return MIMIC_OK;
}

mimic_status mimic_text_learner_model(const mimic_policy *p, mimic_text_model *out) {
  memset(out, 0, sizeof *out);
  if (p->cls != &text_learner_class)
    return mimic_fail(MIMIC_ERR_INVALID, "%s is not a text learner", p->description);
  const text_learner *l = p->impl;
  if (!p->fitted) return mimic_fail(MIMIC_ERR_INVALID, "the text learner has not been fitted");
  const char **names = mimic_malloc((size_t)l->n_classes * sizeof *names, "classes");
  if (!names) return MIMIC_ERR_NOMEM;
  for (int k = 0; k < l->n_classes; k++) names[k] = l->labels->names[l->cls[k]];
  mimic_status st = mimic_labelset_from_names(&out->classes, names, l->n_classes);
  free(names);
  if (!st) st = mimic_tfidf_copy(l->vec, &out->vec);
  if (!st) st = mimic_linear_copy(&l->clf, &out->clf);
  if (st) mimic_text_model_free(out);
  return st;
}
