/* Agent model files: one container (docs/model-file.md) of kind
 * "mimic.agent" holding the policy, the argument table and the kept
 * demonstrations.
 *
 * meta keys: policy, threshold, markov_k, prev_k, max_observation,
 * n_trained, actions (sorted names), intents (sorted, may be absent),
 * counts (frequency/Markov: the keys; array "counts" holds rows x K),
 * request_, observation_, shape_, reply_vectorizer and classifier (logreg; a
 * vectorizer is null when its training texts had no words), arguments,
 * demonstrations. The retrieval index is rebuilt from the demonstrations
 * on load (a deterministic function of them), so the file stays one
 * readable JSON header plus float64 arrays. Loading validates every part
 * against the others (vocabulary sizes against the classifier, count rows
 * against the action list) before the model is used. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "agent/tf_policy.h"
#include "text/parts.h"

mimic_status mimic_agent_save(const mimic_agent_model *m, const char *path) {
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, MIMIC_KIND_AGENT, 1));
  json_t *meta = c.meta;
  double *counts = NULL;
  mimic_status st = MIMIC_OK;
  int K = m->actions.n;
  json_object_set_new(meta, "policy", json_string(mimic_agent_policy_name(m->kind)));
  json_object_set_new(meta, "threshold", json_real(m->cfg.threshold));
  json_object_set_new(meta, "markov_k", json_integer(m->cfg.markov_k));
  json_object_set_new(meta, "prev_k", json_integer(m->cfg.prev_k));
  char feats[256];
  mimic_agent_features_format(m->cfg.features, feats, sizeof feats);
  json_object_set_new(meta, "features", json_string(feats));
  json_object_set_new(meta, "max_observation", json_integer((json_int_t)m->cfg.max_observation));
  json_object_set_new(meta, "n_trained", json_integer((json_int_t)m->n_trained));
  st = mimic_labelset_export(&m->actions, "actions", &c);
  if (!st && m->intents.n > 0) st = mimic_labelset_export(&m->intents, "intents", &c);
  if (!st && m->kind == MIMIC_AGENT_TRANSFORMER) st = agent_tf_export(m, &c);
  if (!st && m->kind < MIMIC_AGENT_LOGREG) {
    json_t *keys = json_array();
    counts = mimic_malloc((m->table.n * (size_t)K + 1) * sizeof *counts, "counts");
    if (!keys || !counts) {
      json_decref(keys);
      st = MIMIC_ERR_NOMEM;
    } else {
      for (size_t r = 0; r < m->table.n; r++) {
        json_array_append_new(keys, json_string(m->table.rows[r].key));
        memcpy(counts + r * (size_t)K, m->table.rows[r].counts, (size_t)K * sizeof *counts);
      }
      json_object_set_new(meta, "counts", keys);
      st = mimic_container_add(&c, "counts", MIMIC_ARRAY_F8, counts, m->table.n * (uint64_t)K);
    }
  }
  if (!st && m->kind == MIMIC_AGENT_LOGREG) {
    if (m->vec_request.n_features > 0)
      st = mimic_tfidf_export(&m->vec_request, "request_vectorizer", &c);
    else
      json_object_set_new(meta, "request_vectorizer", json_null());
    if (!st && m->vec_obs.n_features > 0)
      st = mimic_tfidf_export(&m->vec_obs, "observation_vectorizer", &c);
    else if (!st)
      json_object_set_new(meta, "observation_vectorizer", json_null());
    if (!st && m->vec_shape.n_features > 0)
      st = mimic_tfidf_export(&m->vec_shape, "shape_vectorizer", &c);
    else if (!st)
      json_object_set_new(meta, "shape_vectorizer", json_null());
    if (!st && m->vec_reply.n_features > 0)
      st = mimic_tfidf_export(&m->vec_reply, "reply_vectorizer", &c);
    else if (!st)
      json_object_set_new(meta, "reply_vectorizer", json_null());
    if (!st) st = mimic_linear_export(&m->clf, "classifier", &c);
    if (!st && m->forest.n_trees > 0) st = mimic_forest_export(&m->forest, "forest", &c);
  }
  if (!st) {
    json_t *args = agent_args_export(m);
    json_t *demos = agent_demos_export(m);
    if (!args || !demos) {
      json_decref(args);
      json_decref(demos);
      st = mimic_fail_nomem("model header");
    } else {
      json_object_set_new(meta, "arguments", args);
      json_object_set_new(meta, "demonstrations", demos);
    }
  }
  if (!st) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  free(counts);
  return st;
}

static mimic_status get_int(const json_t *meta, const char *key, long long lo, long long hi,
                            long long *out, const char *path) {
  json_t *v = json_object_get(meta, key);
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.%s must be an integer in %lld..%lld", path, key,
                      lo, hi);
  *out = json_integer_value(v);
  return MIMIC_OK;
}

static mimic_status load_counts(mimic_agent_model *m, const mimic_container *f, const char *path) {
  json_t *keys = json_object_get(f->meta, "counts");
  if (!json_is_array(keys)) return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.counts missing", path);
  size_t n = json_array_size(keys);
  int K = m->actions.n;
  const double *c;
  MIMIC_TRY(mimic_container_get(f, "counts", MIMIC_ARRAY_F8, n * (uint64_t)K, (const void **)&c));
  for (size_t r = 0; r < n; r++) {
    json_t *k = json_array_get(keys, r);
    if (!json_is_string(k))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.counts[%zu] is not a string", path, r);
    const char *key = json_string_value(k);
    size_t len = json_string_length(k);
    if (agent_count_find(&m->table, key, len))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.counts[%zu] repeats a key", path, r);
    for (int a = 0; a < K; a++) {
      double v = c[r * (size_t)K + (size_t)a];
      if (!(v >= 0 && isfinite(v)))
        return mimic_fail(MIMIC_ERR_FORMAT, "%s: counts[%zu][%d] is not a count", path, r, a);
      if (v > 0) MIMIC_TRY(agent_count_add(&m->table, key, len, K, a, v));
    }
    if (!agent_count_find(&m->table, key, len))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.counts[%zu] has no counts", path, r);
  }
  agent_count_finish(&m->table, K);
  return MIMIC_OK;
}

/* Rebuilds an optional vectorizer (null = none). */
static mimic_status load_vec(mimic_tfidf *v, const mimic_container *f, const char *key) {
  json_t *j = json_object_get(f->meta, key);
  if (json_is_null(j)) {
    memset(v, 0, sizeof *v);
    mimic_tfidf_config_default(&v->cfg);
    return MIMIC_OK;
  }
  return mimic_tfidf_import(v, f, key);
}

mimic_status mimic_agent_load(const char *path, mimic_agent_model **out) {
  *out = NULL;
  mimic_container f;
  MIMIC_TRY(mimic_container_read(path, &f));
  mimic_agent_model *m = mimic_calloc(1, sizeof *m, "an agent model");
  mimic_status st = m ? mimic_container_expect(&f, MIMIC_KIND_AGENT, 1) : MIMIC_ERR_NOMEM;
  const json_t *meta = f.meta;
  long long v;
  if (!st) {
    mimic_agent_config_default(&m->cfg);
    json_t *pol = json_object_get(meta, "policy");
    if (!json_is_string(pol) || mimic_agent_policy_parse(json_string_value(pol), &m->kind))
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.policy is not a known policy", path);
    m->cfg.policy = m->kind;
  }
  if (!st) {
    json_t *th = json_object_get(meta, "threshold");
    if (!json_is_number(th) || !(json_number_value(th) >= 0 && json_number_value(th) <= 1))
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.threshold must be in [0, 1]", path);
    else
      m->cfg.threshold = json_number_value(th);
  }
  if (!st && !(st = get_int(meta, "markov_k", 0, 16, &v, path))) m->cfg.markov_k = (int)v;
  if (!st && !(st = get_int(meta, "prev_k", 0, 16, &v, path))) m->cfg.prev_k = (int)v;
  if (!st) {
    json_t *fj = json_object_get(meta, "features");
    if (!json_is_string(fj) || mimic_agent_features_parse(json_string_value(fj), &m->cfg.features))
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.features is not a feature list", path);
  }
  if (!st && !(st = get_int(meta, "max_observation", 16, 64 << 20, &v, path)))
    m->cfg.max_observation = (size_t)v;
  if (!st && !(st = get_int(meta, "n_trained", 0, INT64_MAX, &v, path))) m->n_trained = (size_t)v;
  if (!st) st = mimic_labelset_import(&m->actions, &f, "actions");
  if (!st && json_object_get(meta, "intents"))
    st = mimic_labelset_import(&m->intents, &f, "intents");
  if (!st) m->reply_id = mimic_labelset_find(&m->actions, MIMIC_AGENT_REPLY);
  if (!st && m->kind < MIMIC_AGENT_LOGREG) st = load_counts(m, &f, path);
  if (!st && m->kind == MIMIC_AGENT_TRANSFORMER) st = agent_tf_import(m, &f, path);
  if (!st && m->kind == MIMIC_AGENT_LOGREG) {
    st = load_vec(&m->vec_request, &f, "request_vectorizer");
    if (!st) st = load_vec(&m->vec_obs, &f, "observation_vectorizer");
    if (!st) st = load_vec(&m->vec_shape, &f, "shape_vectorizer");
    if (!st) st = load_vec(&m->vec_reply, &f, "reply_vectorizer");
    if (!st) st = mimic_linear_import(&m->clf, &f, "classifier");
    if (!st) {
      m->feat.prev_k = m->cfg.prev_k;
      m->feat.max_observation = m->cfg.max_observation;
      agent_layout(m);
      const agent_features *ft = &m->feat;
      int K = m->actions.n;
      if (m->clf.n_features != ft->n_cols)
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: the classifier has %lld features, the layout %lld",
                        path, (long long)m->clf.n_features, (long long)ft->n_cols);
      else if (m->clf.n_classes != K)
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: the classifier has %d classes, the file names %d",
                        path, m->clf.n_classes, K);
    }
    json_t *forest = json_object_get(meta, "forest");
    if (!st && forest && !json_is_null(forest)) { /* a forest averaged with the classifier */
      st = mimic_forest_import(&m->forest, &f, "forest");
      if (!st && (m->forest.n_features != m->feat.n_cols || m->forest.n_classes != m->actions.n))
        st = mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: the forest has %lld features and %d classes, the model %lld and %d",
                        path, (long long)m->forest.n_features, m->forest.n_classes,
                        (long long)m->feat.n_cols, m->actions.n);
      if (!st) m->cfg.forest.n_trees = m->forest.n_trees;
    }
  }
  if (!st) st = agent_args_import(m, json_object_get(meta, "arguments"), path);
  if (!st) st = agent_demos_import(m, json_object_get(meta, "demonstrations"), path);
  if (!st) {
    m->cfg.keep_demos = m->n_demos > 0;
    st = agent_demos_index(m);
  }
  mimic_container_free(&f);
  if (st) {
    mimic_agent_free(m);
    return st;
  }
  *out = m;
  return MIMIC_OK;
}
