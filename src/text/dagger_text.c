/* The text labeling loop: the state source of the DAgger driver
 * (mimic/dagger.h) for a pool of documents.
 *
 * Each round's candidates are the pool's items not answered or skipped in
 * an earlier round; the driver scores them with the text learner, picks
 * its batch, asks the expert (undo and skip included) and refits the
 * learner on the seed plus every answer, in pool order (so a model depends
 * only on which answers exist). Everything durable is the driver's label
 * log: the seed is its round 0, answers and skips follow.
 *
 * Features are computed once: TfidfVectorizer fitted on the seed and pool
 * texts (using unlabeled text is free and standard in pool-based active
 * learning), or a vectorizer and rows given by the caller; the learner
 * reads each document's row from them. The session's label list is fixed
 * when it starts (seed labels, extra labels, a label file's labels) and
 * kept with the session: a resumed session offers the labels it started
 * with, and refuses to resume with another pool, seed, rule or model.
 * Test labels the session does not offer still count, as errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mimic/textloop.h"
#include "core/util.h"
#include "text/learner.h"
#include "loop/transport.h"
#include "text/codec.h"

mimic_text_dagger_config mimic_text_dagger_defaults(void) {
  mimic_text_dagger_config c = {0};
  c.rounds = 3;
  c.query = (mimic_query_rule){MIMIC_QUERY_MARGIN, 0, 10};
  mimic_tfidf_config_default(&c.tfidf);
  mimic_linear_config_default(&c.linear);
  c.n_guesses = 3;
  c.session = "text-dagger";
  return c;
}

void mimic_text_dagger_result_free(mimic_text_dagger_result *r) {
  if (!r) return;
  free(r->rows);
  mimic_text_model_free(&r->model);
  memset(r, 0, sizeof *r);
}

typedef struct source {
  const mimic_text_dagger_config *cfg;
  const mimic_text_dagger_input *in;
  mimic_policy *learner;
  const char *pool_name;
  /* features */
  mimic_tfidf vec_own;
  mimic_csr xp_own, xs_own, xt_own;
  const mimic_tfidf *vec;
  const mimic_csr *xp, *xs, *xt;
  mimic_text_doc *pool, *seed, *test;
  const void **test_items;
  /* labels */
  mimic_labelset labels;
  float *seed_y;
  int32_t *test_y, *pred; /* test labels the session lacks get ids past its list */
  int k_eval;
  float *act; /* [n_test] */
  mimic_text_dagger_result *res;
} source;

/* Pool item i's key: "<pool name>:<row>". */
static void item_key(const source *s, size_t i, char *buf, size_t cap) {
  long long row = s->in->pool_row ? (long long)s->in->pool_row[i] : (long long)i + 1;
  snprintf(buf, cap, "%s:%lld", s->pool_name, row);
}

/* The pool index of an item key, or -1. */
static long item_index(const source *s, const char *key) {
  const char *colon = key ? strrchr(key, ':') : NULL;
  if (!colon || strncmp(key, s->pool_name, (size_t)(colon - key)) ||
      strlen(s->pool_name) != (size_t)(colon - key))
    return -1;
  char *end;
  long long row = strtoll(colon + 1, &end, 10);
  if (end == colon + 1 || *end) return -1;
  size_t n = s->in->n_pool;
  if (!s->in->pool_row) return row >= 1 && (size_t)row <= n ? (long)(row - 1) : -1;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->in->pool_row[mid] < row)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && s->in->pool_row[lo] == row ? (long)lo : -1;
}

static mimic_status gather(void *ctx, mimic_dagger *d, int round, double beta) {
  source *s = ctx;
  (void)round;
  (void)beta; /* a classifier's label decides nothing in the world: no mixture */
  for (size_t i = 0; i < s->in->n_pool; i++) {
    char key[160];
    item_key(s, i, key, sizeof key);
    if (mimic_dagger_settled(d, key)) continue; /* answered or skipped in an earlier round */
    mimic_dagger_state st = {.item = &s->pool[i],
                             .key = key,
                             .id = s->in->pool_id ? s->in->pool_id[i] : NULL,
                             .order = i};
    MIMIC_TRY(mimic_dagger_add(d, &st, 1, NULL));
  }
  return MIMIC_OK;
}

static mimic_status restore(void *ctx, const char *key, const char *text,
                            mimic_dagger_example *out) {
  source *s = ctx;
  long i = item_index(s, key);
  if (i < 0 || strcmp(text, s->in->pool_text[i]) != 0)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s is not an item of this pool", key);
  *out = (mimic_dagger_example){.item = &s->pool[i], .order = (uint64_t)i};
  return MIMIC_OK;
}

/* Accuracy and macro-F1 on the test set (labels the model never saw count as errors). */
static mimic_status evaluate(void *ctx, int round, mimic_dagger_round *row) {
  source *s = ctx;
  (void)round;
  if (s->in->n_test == 0) return MIMIC_OK;
  row->n_metrics = 2;
  row->metric_names[0] = "accuracy";
  row->metric_names[1] = "macro_f1";
  row->metrics[0] = row->metrics[1] = NAN;
  if (!mimic_policy_fitted(s->learner)) return MIMIC_OK;
  mimic_act_batch b = {
      .n = (int)s->in->n_test, .items = s->test_items, .actions = s->act, .deterministic = true};
  MIMIC_TRY(mimic_policy_act(s->learner, &b));
  for (size_t i = 0; i < s->in->n_test; i++) s->pred[i] = (int32_t)s->act[i];
  mimic_class_metrics m;
  MIMIC_TRY(mimic_metrics_compute(s->test_y, s->pred, s->in->n_test, s->k_eval, &m));
  row->metrics[0] = m.accuracy;
  row->metrics[1] = m.macro_f1;
  mimic_metrics_free(&m);
  return MIMIC_OK;
}

static void on_row(const mimic_dagger_round *row, void *user) {
  source *s = user;
  mimic_text_dagger_result *r = s->res;
  mimic_dagger_round *rows = mimic_realloc(r->rows, (size_t)r->n_rows + 1, sizeof *rows, "rows");
  if (!rows) {
    MIMIC_WARN("cannot keep the round's row: %s", mimic_errmsg());
    return;
  }
  r->rows = rows;
  r->rows[r->n_rows++] = *row;
  if (s->cfg->on_round) s->cfg->on_round(row, s->cfg->user);
}

/* ---- setting up ------------------------------------------------------------ */

static mimic_status check_input(const mimic_text_dagger_config *cfg,
                                const mimic_text_dagger_input *in) {
  if (cfg->rounds < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "the loop needs at least 1 round, got %d", cfg->rounds);
  if (cfg->query.kind != MIMIC_QUERY_ALL && cfg->query.kind != MIMIC_QUERY_UNCERTAIN &&
      cfg->query.k < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "the query rule needs a batch size of at least 1");
  if (!cfg->session || !*cfg->session) return mimic_fail(MIMIC_ERR_INVALID, "no session name");
  if (in->n_pool == 0 || !in->pool_text) return mimic_fail(MIMIC_ERR_INVALID, "the pool is empty");
  if (in->n_seed && (!in->seed_text || !in->seed_label))
    return mimic_fail(MIMIC_ERR_INVALID, "the seed has no texts or labels");
  if (in->n_test && (!in->test_text || !in->test_label))
    return mimic_fail(MIMIC_ERR_INVALID, "the test set has no texts or labels");
  for (size_t i = 1; in->pool_row && i < in->n_pool; i++)
    if (in->pool_row[i] <= in->pool_row[i - 1])
      return mimic_fail(MIMIC_ERR_INVALID, "pool row numbers must increase");
  if (in->vec) {
    if (!in->X_pool || in->X_pool->n_rows != (int64_t)in->n_pool ||
        (in->n_seed && (!in->X_seed || in->X_seed->n_rows != (int64_t)in->n_seed)) ||
        (in->n_test && (!in->X_test || in->X_test->n_rows != (int64_t)in->n_test)))
      return mimic_fail(MIMIC_ERR_INVALID, "given features must have one row per pool, seed and "
                                           "test item");
  }
  return MIMIC_OK;
}

/* TfidfVectorizer on seed + pool texts (or the caller's features), and the documents. */
static mimic_status build_features(source *s) {
  const mimic_text_dagger_input *in = s->in;
  mimic_status st = MIMIC_OK;
  if (in->vec) {
    s->vec = in->vec;
    s->xp = in->X_pool;
    s->xs = in->X_seed;
    s->xt = in->X_test;
  } else {
    size_t n = in->n_seed + in->n_pool;
    const char **docs = mimic_malloc(n * sizeof *docs, "documents");
    if (!docs) return MIMIC_ERR_NOMEM;
    memcpy(docs, in->seed_text, in->n_seed * sizeof *docs);
    memcpy(docs + in->n_seed, in->pool_text, in->n_pool * sizeof *docs);
    st = mimic_tfidf_fit(&s->vec_own, docs, n, &s->cfg->tfidf);
    free(docs);
    if (!st) st = mimic_tfidf_transform(&s->vec_own, in->pool_text, in->n_pool, &s->xp_own);
    if (!st && in->n_seed)
      st = mimic_tfidf_transform(&s->vec_own, in->seed_text, in->n_seed, &s->xs_own);
    if (!st && in->n_test)
      st = mimic_tfidf_transform(&s->vec_own, in->test_text, in->n_test, &s->xt_own);
    s->vec = &s->vec_own;
    s->xp = &s->xp_own;
    s->xs = &s->xs_own;
    s->xt = &s->xt_own;
  }
  s->pool = mimic_calloc(in->n_pool, sizeof *s->pool, "documents");
  s->seed = mimic_calloc(in->n_seed ? in->n_seed : 1, sizeof *s->seed, "documents");
  s->test = mimic_calloc(in->n_test ? in->n_test : 1, sizeof *s->test, "documents");
  s->test_items = mimic_calloc(in->n_test ? in->n_test : 1, sizeof *s->test_items, "documents");
  if (!st && (!s->pool || !s->seed || !s->test || !s->test_items)) st = MIMIC_ERR_NOMEM;
  for (size_t i = 0; !st && i < in->n_pool; i++)
    s->pool[i] = (mimic_text_doc){in->pool_text[i], s->xp, (int64_t)i};
  for (size_t i = 0; !st && i < in->n_seed; i++)
    s->seed[i] = (mimic_text_doc){in->seed_text[i], s->xs, (int64_t)i};
  for (size_t i = 0; !st && i < in->n_test; i++) {
    s->test[i] = (mimic_text_doc){in->test_text[i], s->xt, (int64_t)i};
    s->test_items[i] = &s->test[i];
  }
  return st;
}

/* The label list offered when a session starts: seed, extra and label-file labels. */
static mimic_status candidate_labels(const source *s, const mimic_expert *expert,
                                     mimic_labelset *out) {
  const char *const *known;
  size_t n_known = mimic_expert_table_labels(expert, &known);
  size_t total = s->in->n_seed + s->in->n_labels + n_known;
  const char **v = mimic_malloc((total ? total : 1) * sizeof *v, "labels");
  if (!v) return MIMIC_ERR_NOMEM;
  size_t m = 0;
  for (size_t i = 0; i < s->in->n_seed; i++) v[m++] = s->in->seed_label[i];
  for (size_t i = 0; i < s->in->n_labels; i++) v[m++] = s->in->labels[i];
  for (size_t i = 0; i < n_known; i++) v[m++] = known[i];
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < m && !st; i++) {
    size_t bad;
    if (!v[i] || !*v[i] || !mimic_utf8_valid(v[i], strlen(v[i]), &bad))
      st =
          mimic_fail(MIMIC_ERR_INVALID, "label %zu of the label list is empty or not UTF-8", i + 1);
  }
  if (!st && m == 0)
    st = mimic_fail(MIMIC_ERR_INVALID, "no labels to offer: give a labeled seed, a label list, "
                                       "or a label-file expert");
  if (!st) st = mimic_labelset_build(out, v, m, NULL);
  free(v);
  return st;
}

/* The session's own labels (a resumed session keeps those it started with). */
static mimic_status stored_labels(const source *s, const json_t *data, mimic_labelset *out) {
  json_t *names = json_object_get(data, "labels");
  size_t n = json_array_size(names);
  if (!json_is_array(names))
    return mimic_fail(MIMIC_ERR_FORMAT, "session '%s' has no label list", s->cfg->session);
  const char **v = mimic_calloc(n ? n : 1, sizeof *v, "labels");
  if (!v) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (size_t k = 0; !st && k < n; k++)
    if (!(v[k] = json_string_value(json_array_get(names, k))))
      st = mimic_fail(MIMIC_ERR_FORMAT, "session '%s': label %zu is not a string", s->cfg->session,
                      k + 1);
  if (!st) st = mimic_labelset_from_names(out, v, (int)n);
  free(v);
  return st;
}

static uint32_t crc_strings(const char *const *a, const char *const *b, size_t n) {
  uint32_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    crc = mimic_crc32(crc, a[i], strlen(a[i]) + 1);
    if (b) crc = mimic_crc32(crc, b[i], strlen(b[i]) + 1);
  }
  return crc;
}

/* What decides the questions: a resumed session must have the same. */
static char *settings_text(const source *s) {
  const mimic_text_dagger_config *c = s->cfg;
  char tfidf[160];
  const mimic_tfidf_config *v = &c->tfidf;
  snprintf(tfidf, sizeof tfidf, "%s ngram=%d,%d min_df=%s%g max_df=%s%g max_features=%lld%s%s",
           s->in->vec ? "given" : "seed+pool", v->ngram_min, v->ngram_max,
           v->min_df.fraction ? "f" : "", v->min_df.value, v->max_df.fraction ? "f" : "",
           v->max_df.value, (long long)v->max_features, v->sublinear_tf ? " sublinear" : "",
           v->lowercase ? "" : " cased");
  const mimic_linear_config *l = &c->linear;
  json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:s, s:{s:s, s:f, s:f, s:f, s:i, s:i}}", "pool items",
                        (json_int_t)s->in->n_pool, "pool checksum",
                        (json_int_t)crc_strings(s->in->pool_text, NULL, s->in->n_pool),
                        "seed items", (json_int_t)s->in->n_seed, "seed checksum",
                        (json_int_t)crc_strings(s->in->seed_text, s->in->seed_label, s->in->n_seed),
                        "vectorizer", tfidf, "model", "kind", mimic_linear_kind_name(l->kind), "C",
                        l->C, "tol", l->tol, "bias", l->bias, "max_iter", l->max_iter,
                        "class_weight", (int)l->class_weight_mode);
  char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(j);
  if (!text) mimic_fail_nomem("session settings");
  return text;
}

static char *data_text(const source *s, const mimic_labelset *labels, const char *seed_name) {
  json_t *names = json_array();
  for (int k = 0; names && k < labels->n; k++)
    json_array_append_new(names, json_string(labels->names[k]));
  json_t *j =
      names ? json_pack("{s:o, s:s, s:s}", "labels", names, "pool", s->pool_name, "seed", seed_name)
            : NULL;
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!text) mimic_fail_nomem("session data");
  return text;
}

/* Seed and test labels as ids; test labels the session lacks get ids past its list. */
static mimic_status map_labels(source *s) {
  const mimic_text_dagger_input *in = s->in;
  int L = s->labels.n;
  s->seed_y = mimic_malloc((in->n_seed + 1) * sizeof *s->seed_y, "seed labels");
  int32_t *ids = mimic_malloc((in->n_seed + 1) * sizeof *ids, "seed labels");
  s->test_y = mimic_malloc((in->n_test + 1) * sizeof *s->test_y, "test labels");
  s->pred = mimic_malloc((in->n_test + 1) * sizeof *s->pred, "predictions");
  s->act = mimic_malloc((in->n_test + 1) * sizeof *s->act, "predictions");
  mimic_status st = s->seed_y && ids && s->test_y && s->pred && s->act ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st) st = mimic_labelset_ids(&s->labels, in->seed_label, in->n_seed, ids, 1);
  for (size_t i = 0; !st && i < in->n_seed; i++) s->seed_y[i] = (float)ids[i];
  free(ids);
  if (st || in->n_test == 0) return st;
  mimic_labelset unseen = {0};
  const char **extra = mimic_malloc(in->n_test * sizeof *extra, "test labels");
  if (!extra) return MIMIC_ERR_NOMEM;
  size_t n_extra = 0;
  for (size_t i = 0; i < in->n_test; i++)
    if (mimic_labelset_find(&s->labels, in->test_label[i]) < 0)
      extra[n_extra++] = in->test_label[i];
  st = n_extra ? mimic_labelset_build(&unseen, extra, n_extra, NULL) : MIMIC_OK;
  for (size_t i = 0; !st && i < in->n_test; i++) {
    int k = mimic_labelset_find(&s->labels, in->test_label[i]);
    s->test_y[i] = k >= 0 ? k : L + mimic_labelset_find(&unseen, in->test_label[i]);
  }
  s->k_eval = L + unseen.n;
  if (!st && unseen.n)
    MIMIC_INFO("%d test labels are not among the session's %d labels; they count as errors",
               unseen.n, L);
  mimic_labelset_free(&unseen);
  free(extra);
  return st;
}

static void source_free(source *s) {
  mimic_policy_free(s->learner);
  mimic_tfidf_free(&s->vec_own);
  mimic_csr_free(&s->xp_own);
  mimic_csr_free(&s->xs_own);
  mimic_csr_free(&s->xt_own);
  mimic_labelset_free(&s->labels);
  free(s->pool);
  free(s->seed);
  free(s->test);
  free(s->test_items);
  free(s->seed_y);
  free(s->test_y);
  free(s->pred);
  free(s->act);
}

/* Keeps the session's labels: a resumed session's own, with a warning about new ones. */
static mimic_status settle_labels(source *s, mimic_dagger *d, mimic_labelset *offered) {
  if (!mimic_dagger_resumed(d)) {
    s->labels = *offered;
    memset(offered, 0, sizeof *offered);
    return MIMIC_OK;
  }
  MIMIC_TRY(stored_labels(s, mimic_dagger_data(d), &s->labels));
  int extra = 0;
  for (int k = 0; k < offered->n; k++)
    extra += mimic_labelset_find(&s->labels, offered->names[k]) < 0;
  if (extra)
    MIMIC_WARN("session '%s' keeps the %d labels it started with; %d new labels are not offered",
               s->cfg->session, s->labels.n, extra);
  return MIMIC_OK;
}

mimic_status mimic_text_dagger_run(const mimic_text_dagger_config *cfg,
                                   const mimic_text_dagger_input *in, mimic_codec *codec,
                                   mimic_expert *expert, mimic_labelstore *store,
                                   mimic_text_dagger_result *res) {
  memset(res, 0, sizeof *res);
  MIMIC_TRY(check_input(cfg, in));
  MIMIC_TRY(mimic_linear_config_check(&cfg->linear));
  if (!in->vec) MIMIC_TRY(mimic_tfidf_config_check(&cfg->tfidf));
  if (expert->codec != codec)
    return mimic_fail(MIMIC_ERR_INVALID, "the expert answers through another codec");
  source s = {.cfg = cfg, .in = in, .res = res};
  s.pool_name = in->pool_name && *in->pool_name ? in->pool_name : "pool";
  const char *seed_name = in->seed_name && *in->seed_name ? in->seed_name : "seed";
  char *seed_labeler = mimic_asprintf("seed:%s", seed_name), *set = NULL, *data = NULL;
  mimic_labelset offered = {0};
  mimic_dagger *d = NULL;
  mimic_status st = seed_labeler ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st) st = candidate_labels(&s, expert, &offered);
  if (!st) st = build_features(&s); /* before the session: its settings name the features */
  if (!st && !(set = settings_text(&s))) st = MIMIC_ERR_NOMEM;
  if (!st && !(data = data_text(&s, &offered, seed_name))) st = MIMIC_ERR_NOMEM;
  mimic_labeled seed = {0};
  char query[64];
  mimic_query_format(&cfg->query, query, sizeof query);
  char settings[4096];
  if (!st) { /* the rule and its seed decide the questions too */
    json_t *j = json_loads(set, 0, NULL);
    json_object_set_new(j, "query rule", json_string(query));
    json_object_set_new(j, "random seed", json_integer((json_int_t)cfg->seed));
    char *t = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(settings, sizeof settings, "%s", t ? t : "{}");
    free(t);
    json_decref(j);
  }
  mimic_dagger_config dc = {.rounds = cfg->rounds,
                            .beta = {MIMIC_BETA_CONSTANT, 0},
                            .query = cfg->query,
                            .seed = cfg->seed,
                            .expert = expert,
                            .seed_set = &seed,
                            .store = store,
                            .session = cfg->session,
                            .session_kind = "text-dagger",
                            .settings = settings,
                            .data = data,
                            .log_seed = true,
                            .seed_name = seed_name,
                            .seed_labeler = seed_labeler,
                            .evaluate_start = true,
                            .progress = cfg->progress,
                            .on_round = on_row,
                            .user = &s};
  mimic_dagger_source src = {.ctx = &s, .gather = gather, .restore = restore, .evaluate = evaluate};
  if (!st) st = mimic_dagger_open(&dc, &src, &d);
  if (!st) st = settle_labels(&s, d, &offered);
  if (!st) st = mimic_text_codec_set_labels(codec, &s.labels);
  if (!st) st = map_labels(&s);
  if (!st) st = mimic_text_learner(&cfg->linear, s.vec, &s.labels, &s.learner);
  const void **seed_items = NULL;
  if (!st && in->n_seed) {
    if (!(seed_items = mimic_malloc(in->n_seed * sizeof *seed_items, "seed"))) st = MIMIC_ERR_NOMEM;
    for (size_t i = 0; !st && i < in->n_seed; i++) seed_items[i] = &s.seed[i];
    seed = (mimic_labeled){.n = in->n_seed, .items = seed_items, .actions = s.seed_y};
  }
  if (!st) {
    dc.learner = s.learner;
    res->resumed = mimic_dagger_resumed(d);
    st = mimic_dagger_run(d, NULL, 0, NULL);
    res->quit = st == MIMIC_ERR_INTERRUPTED;
  }
  if (d) {
    long answers, asked, skipped;
    mimic_dagger_counts(d, &answers, &asked, &skipped);
    res->n_answers = (size_t)answers;
    res->n_asked = (size_t)asked;
    res->n_skipped = (size_t)skipped;
  }
  res->n_seed = in->n_seed;
  if (res->n_rows > 0) {
    res->first_round = res->rows[0].round + 1;
    res->rounds_done = res->rows[res->n_rows - 1].round + 1;
  }
  if (res->quit && res->n_rows) res->rounds_done = res->rows[res->n_rows - 1].round + 1;
  if ((st == MIMIC_OK || st == MIMIC_ERR_INTERRUPTED) && cfg->keep_model && s.learner &&
      mimic_policy_fitted(s.learner)) {
    char *msg = st ? mimic_strdup(mimic_errmsg()) : NULL;
    mimic_status ks = mimic_text_learner_model(s.learner, &res->model);
    if (ks)
      st = ks;
    else if (msg)
      mimic_fail(st, "%s", msg);
    free(msg);
  }
  mimic_dagger_close(d);
  mimic_labelset_free(&offered);
  free(seed_items);
  free(seed_labeler);
  free(set);
  free(data);
  source_free(&s);
  return st;
}
