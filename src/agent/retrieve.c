/* Retrieval of demonstrations: the k stored steps nearest to a state.
 *
 * Every demonstration step the model was fitted on is kept (its state with
 * the observation cut to max_observation bytes, its action and arguments).
 * Its "retrieval text" (intent, request, previous actions, the head of the
 * last observation) gets a TF-IDF row from a vectorizer of its own with
 * max_df = 0.5: terms in more than half the steps (JSON punctuation words
 * of tool outputs, "the") say nothing about similarity and would make every
 * posting list long. The rows are stored transposed (term -> steps), so a
 * query touches only the steps that share a term with it: cosine scores are
 * accumulated in a per-thread float array and the top k picked in one pass.
 * The rows are l2-normalised, so the dot product is the cosine. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "core/util.h"
#include "text/tfidf.h"
#include "text/csr.h"

#define RETRIEVAL_OBS 1024 /* bytes of the observation in the retrieval text */

void agent_demos_free(mimic_agent_model *m) {
  for (size_t i = 0; i < m->n_demos; i++) {
    agent_demo *d = &m->demos[i];
    free(d->trace);
    free(d->intent);
    free(d->request);
    free(d->observation);
    free(d->action);
    free(d->arguments);
    for (size_t j = 0; j < d->n_previous; j++) free(d->previous[j]);
    free(d->previous);
  }
  free(m->demos);
  m->demos = NULL;
  m->n_demos = 0;
  mimic_tfidf_free(&m->vec_demo);
  mimic_csr_free(&m->demo_t);
}

static char *dup_or_null(const char *s, mimic_status *st) {
  if (!s || *st) return NULL;
  char *p = mimic_strdup(s);
  if (!p) *st = MIMIC_ERR_NOMEM;
  return p;
}

mimic_status agent_demos_build(mimic_agent_model *m, const mimic_agent_example *ex, size_t n) {
  m->demos = mimic_calloc(n ? n : 1, sizeof *m->demos, "demonstrations");
  if (!m->demos) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  size_t max_obs = m->cfg.max_observation;
  for (size_t i = 0; i < n && !st; i++) {
    const mimic_agent_example *e = &ex[i];
    agent_demo *d = &m->demos[i];
    m->n_demos = i + 1;
    d->trace = dup_or_null(e->trace_id ? e->trace_id : "", &st);
    d->step = e->step;
    d->intent = dup_or_null(e->state.intent, &st);
    d->request = dup_or_null(e->state.request ? e->state.request : "", &st);
    if (e->state.last_observation && !st) {
      size_t len = agent_obs_len(e->state.last_observation, max_obs);
      d->observation = mimic_malloc(len + 1, "an observation");
      if (!d->observation)
        st = MIMIC_ERR_NOMEM;
      else {
        memcpy(d->observation, e->state.last_observation, len);
        d->observation[len] = 0;
      }
    }
    d->action = dup_or_null(e->action, &st);
    d->arguments = dup_or_null(e->arguments, &st);
    if (!st && e->state.n_previous) {
      d->previous = mimic_calloc(e->state.n_previous, sizeof *d->previous, "a history");
      if (!d->previous) st = MIMIC_ERR_NOMEM;
      for (size_t j = 0; j < e->state.n_previous && !st; j++) {
        d->previous[j] = dup_or_null(e->state.previous[j], &st);
        d->n_previous = j + 1;
      }
    }
  }
  return st;
}

const char *agent_demo_text(const mimic_agent_state *s, size_t max_obs, mimic_agent_scratch *sc,
                            size_t *len) {
  const char *intent = s->intent ? s->intent : "";
  const char *req = s->request ? s->request : "";
  const char *obs = s->last_observation ? s->last_observation : "";
  size_t lo = agent_obs_len(obs, max_obs < RETRIEVAL_OBS ? max_obs : RETRIEVAL_OBS);
  size_t need = strlen(intent) + strlen(req) + lo + 8;
  for (size_t i = 0; i < s->n_previous; i++) need += strlen(s->previous[i]) + 1;
  if (mimic_grow(&sc->text, &sc->text_cap, need, 1, 1024, "a retrieval text")) return NULL;
  char *p = sc->text;
  size_t k = 0;
#define PUT(str, n)                                                                                \
  do {                                                                                             \
    memcpy(p + k, str, n);                                                                         \
    k += n;                                                                                        \
    p[k++] = '\n';                                                                                 \
  } while (0)
  PUT(intent, strlen(intent));
  PUT(req, strlen(req));
  for (size_t i = 0; i < s->n_previous; i++) PUT(s->previous[i], strlen(s->previous[i]));
  PUT(obs, lo);
#undef PUT
  p[k] = 0;
  *len = k;
  return p;
}

mimic_status agent_demos_index(mimic_agent_model *m) {
  size_t n = m->n_demos;
  mimic_tfidf_free(&m->vec_demo);
  mimic_csr_free(&m->demo_t);
  if (n == 0) return MIMIC_OK;
  char **texts = mimic_calloc(n, sizeof *texts, "retrieval texts");
  mimic_agent_scratch sc = {0};
  mimic_csr X = {0};
  mimic_status st = texts ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n && !st; i++) {
    const agent_demo *d = &m->demos[i];
    mimic_agent_state s = {
        d->intent, d->request, (const char *const *)d->previous, d->n_previous, d->observation,
        NULL,      0};
    size_t len;
    const char *t = agent_demo_text(&s, m->cfg.max_observation, &sc, &len);
    if (!t || !(texts[i] = mimic_malloc(len + 1, "a retrieval text"))) {
      st = MIMIC_ERR_NOMEM;
      break;
    }
    memcpy(texts[i], t, len + 1);
  }
  if (!st) {
    mimic_tfidf_config tc;
    mimic_tfidf_config_default(&tc);
    tc.sublinear_tf = true;
    tc.n_threads = m->cfg.n_threads;
    if (n >= 8) tc.max_df = (mimic_df_bound){true, 0.5};
    st = mimic_tfidf_fit_transform(&m->vec_demo, (const char *const *)texts, n, &tc, &X);
    if (st == MIMIC_ERR_INVALID && n >= 8) { /* max_df pruned every term: keep them all */
      tc.max_df = (mimic_df_bound){true, 1.0};
      mimic_tfidf_free(&m->vec_demo);
      st = mimic_tfidf_fit_transform(&m->vec_demo, (const char *const *)texts, n, &tc, &X);
    }
    if (st == MIMIC_ERR_INVALID) { /* no terms at all (empty texts): retrieval finds nothing */
      mimic_errclear();
      mimic_tfidf_free(&m->vec_demo);
      st = MIMIC_OK;
    } else if (!st) {
      st = mimic_csr_transpose(&X, &m->demo_t);
    }
  }
  mimic_csr_free(&X);
  free(sc.text);
  if (texts)
    for (size_t i = 0; i < n; i++) free(texts[i]);
  free(texts);
  return st;
}

mimic_status mimic_agent_retrieve(const mimic_agent_model *m, const mimic_agent_state *s, int k,
                                  mimic_agent_scratch *sc, mimic_agent_shot *out, size_t *n_out) {
  *n_out = 0;
  if (k <= 0 || m->n_demos == 0 || !m->demo_t.indptr) return MIMIC_OK;
  size_t len;
  const char *text = agent_demo_text(s, m->cfg.max_observation, sc, &len);
  if (!text) return MIMIC_ERR_NOMEM;
  const int32_t *idx;
  const double *val;
  int64_t nnz;
  MIMIC_TRY(mimic_tfidf_transform_one(&m->vec_demo, text, len, &sc->tf, &idx, &val, &nnz));
  size_t n_touched = 0;
  const mimic_csr *T = &m->demo_t;
  for (int64_t q = 0; q < nnz; q++) {
    int32_t term = idx[q];
    float w = (float)val[q];
    for (int64_t p = T->indptr[term]; p < T->indptr[term + 1]; p++) {
      int32_t d = T->indices[p];
      if (sc->score[d] == 0) sc->touched[n_touched++] = d;
      sc->score[d] += w * (float)T->data[p];
    }
  }
  /* top k by (score desc, index asc), by insertion into out */
  size_t n = 0;
  for (size_t t = 0; t < n_touched; t++) {
    int32_t d = sc->touched[t];
    double v = sc->score[d];
    sc->score[d] = 0;
    if (!(v > 0)) continue;
    if (n == (size_t)k) {
      const mimic_agent_shot *w = &out[n - 1];
      if (v < w->score || (v == w->score && (size_t)d > w->demo)) continue;
      n--;
    }
    size_t j = n;
    while (j > 0 &&
           (out[j - 1].score < v || (out[j - 1].score == v && out[j - 1].demo > (size_t)d))) {
      out[j] = out[j - 1];
      j--;
    }
    out[j].demo = (size_t)d;
    out[j].score = v;
    n++;
  }
  *n_out = n;
  return MIMIC_OK;
}

json_t *mimic_agent_shot_json(const mimic_agent_model *m, const mimic_agent_shot *shot) {
  if (shot->demo >= m->n_demos) return NULL;
  const agent_demo *d = &m->demos[shot->demo];
  mimic_agent_state s = {
      d->intent, d->request, (const char *const *)d->previous, d->n_previous, d->observation,
      NULL,      0};
  json_t *o = json_object();
  json_t *state = mimic_agent_state_to_json(&s);
  if (!o || !state) {
    json_decref(o);
    json_decref(state);
    return NULL;
  }
  json_object_set_new(o, "trace", json_string(d->trace));
  json_object_set_new(o, "step", json_integer((json_int_t)d->step));
  json_object_set_new(o, "score", json_real(shot->score));
  json_object_set_new(o, "state", state);
  json_object_set_new(o, "action", json_string(d->action));
  if (d->arguments) {
    json_t *a = json_loads(d->arguments, 0, NULL);
    json_object_set_new(o, "arguments", a ? a : json_object());
  }
  return o;
}

/* ---- model file ---------------------------------------------------------- */

json_t *agent_demos_export(const mimic_agent_model *m) {
  json_t *arr = json_array();
  if (!arr) return NULL;
  for (size_t i = 0; i < m->n_demos; i++) {
    const agent_demo *d = &m->demos[i];
    json_t *o = json_object(), *prev = json_array();
    if (!o || !prev || json_array_append_new(arr, o)) {
      json_decref(prev);
      json_decref(arr);
      return NULL;
    }
    json_object_set_new(o, "trace", json_string(d->trace));
    json_object_set_new(o, "step", json_integer((json_int_t)d->step));
    if (d->intent) json_object_set_new(o, "intent", json_string(d->intent));
    json_object_set_new(o, "request", json_string(d->request));
    for (size_t j = 0; j < d->n_previous; j++)
      json_array_append_new(prev, json_string(d->previous[j]));
    json_object_set_new(o, "previous_actions", prev);
    if (d->observation) json_object_set_new(o, "last_observation", json_string(d->observation));
    json_object_set_new(o, "action", json_string(d->action));
    if (d->arguments) json_object_set_new(o, "arguments", json_string(d->arguments));
  }
  return arr;
}

mimic_status agent_demos_import(mimic_agent_model *m, const json_t *j, const char *path) {
  if (!j) return MIMIC_OK;
  if (!json_is_array(j))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.demonstrations must be a list", path);
  size_t n = json_array_size(j);
  m->demos = mimic_calloc(n ? n : 1, sizeof *m->demos, "demonstrations");
  if (!m->demos) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < n && !st; i++) {
    json_t *o = json_array_get(j, i);
    json_t *tr = json_object_get(o, "trace"), *req = json_object_get(o, "request");
    json_t *act = json_object_get(o, "action"), *prev = json_object_get(o, "previous_actions");
    json_t *in = json_object_get(o, "intent"), *ob = json_object_get(o, "last_observation");
    json_t *args = json_object_get(o, "arguments"), *step = json_object_get(o, "step");
    if (!json_is_string(tr) || !json_is_string(req) || !json_is_string(act) ||
        !json_is_array(prev) || !json_is_integer(step) || (in && !json_is_string(in)) ||
        (ob && !json_is_string(ob)) || (args && !json_is_string(args)))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.demonstrations[%zu] is malformed", path, i);
    agent_demo *d = &m->demos[i];
    m->n_demos = i + 1;
    d->trace = dup_or_null(json_string_value(tr), &st);
    d->request = dup_or_null(json_string_value(req), &st);
    d->action = dup_or_null(json_string_value(act), &st);
    d->intent = dup_or_null(json_string_value(in), &st);
    d->observation = dup_or_null(json_string_value(ob), &st);
    d->arguments = dup_or_null(json_string_value(args), &st);
    d->step = (size_t)json_integer_value(step);
    size_t np = json_array_size(prev);
    if (np && !st) {
      d->previous = mimic_calloc(np, sizeof *d->previous, "a history");
      if (!d->previous) st = MIMIC_ERR_NOMEM;
      for (size_t q = 0; q < np && !st; q++) {
        json_t *a = json_array_get(prev, q);
        if (!json_is_string(a))
          return mimic_fail(MIMIC_ERR_FORMAT,
                            "%s: meta.demonstrations[%zu].previous_actions[%zu] "
                            "is not a string",
                            path, i, q);
        d->previous[q] = dup_or_null(json_string_value(a), &st);
        d->n_previous = q + 1;
      }
    }
  }
  return st;
}
