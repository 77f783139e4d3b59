/* The text labeling loop: a plug-in of the DAgger driver (mimic/dagger.h).
 *
 * The candidates of every round are the whole pool; the driver skips the
 * items marked by gather (answered or skipped in an earlier round), scores
 * the rest by the current model's uncertainty, picks its batch and calls
 * label() for each item. The model is refit after every round on the seed
 * plus every answer, in a fixed order (seed rows, then pool items by
 * index), so a round's model depends only on which answers exist.
 *
 * Features are computed once: TfidfVectorizer fitted on seed + pool texts
 * (using unlabeled text is free and standard in pool-based active
 * learning), or a vectorizer and matrices given by the caller, so a refit
 * is only LIBLINEAR on stacked rows (dagger_text_model.c). The classifier
 * sees only the labels answered so far; its classes map onto the session's
 * label list, fixed when the session starts (seed labels, extra labels, a
 * label file's labels). The session's bookkeeping in the label store is
 * dagger_text_session.c.
 *
 * Exact resume. Rounds before the state's round are finished. For the
 * round in progress, gather marks only items of earlier rounds, so the
 * driver, given the same model (refit from the answers of earlier rounds)
 * and the same per-round random seed, picks exactly the batch it picked
 * before the interruption, in the same order. label() then replays what
 * the store already holds for this round (answers and skips) and asks only
 * the rest. This holds for every query rule, random included, which the
 * driver's "answered" count alone could not give.
 *
 * Undo takes back the latest answer or skip of the round in progress (the
 * state keeps their order) and asks that item again before going on;
 * answers of finished rounds are already in the model and stay. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "text/dagger_text.h"

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

static mimic_status push_row(tl *t, const mimic_dagger_round *row) {
  mimic_text_dagger_result *r = t->res;
  mimic_dagger_round *rows = mimic_realloc(r->rows, (size_t)r->n_rows + 1, sizeof *rows, "rows");
  if (!rows) return MIMIC_ERR_NOMEM;
  r->rows = rows;
  r->rows[r->n_rows++] = *row;
  if (t->cfg->on_round) t->cfg->on_round(row, t->cfg->user);
  return MIMIC_OK;
}

/* ---- the driver's ops --------------------------------------------------------- */

static mimic_status op_resume(void *ctx, int *first, size_t *answered) {
  tl *t = ctx;
  *first = t->first_round;
  *answered = 0; /* label() replays the round's stored answers itself (see the top) */
  t->answers = 0;
  for (size_t i = 0; i < t->in->n_pool; i++)
    t->answers += t->answer[i] >= 0 && t->answer_round[i] < t->first_round;
  MIMIC_TRY(tl_fit_upto(t, t->first_round - 1));
  mimic_dagger_round row = {.round = t->first_round - 1};
  MIMIC_TRY(tl_measure(t, &row));
  return push_row(t, &row);
}

static mimic_status op_gather(void *ctx, int round, double beta, size_t *n, const bool **labeled) {
  tl *t = ctx;
  (void)beta; /* a classifier's label decides nothing in the world: no mixture */
  t->round = round;
  size_t open = 0;
  for (size_t i = 0; i < t->in->n_pool; i++) {
    t->marked[i] = (t->answer[i] >= 0 && t->answer_round[i] < round) ||
                   (t->skip_round[i] >= 0 && t->skip_round[i] < round);
    open += !t->marked[i];
  }
  const mimic_query_rule *q = &t->cfg->query;
  t->round_count = q->k > 0 && open > (size_t)q->k    ? (size_t)q->k
                   : q->kind == MIMIC_QUERY_UNCERTAIN ? 0
                                                      : open;
  t->round_number = 0;
  *n = t->in->n_pool;
  *labeled = t->marked;
  char label[32];
  snprintf(label, sizeof label, "round %d questions", round + 1);
  mimic_progress_begin(&t->bar, label, "item", t->round_count);
  if (!t->cfg->progress || mimic_text_expert_is_human(t->expert)) t->bar.active = false;
  return MIMIC_OK;
}

static mimic_status op_uncertainty(void *ctx, mimic_query_kind kind, double *scores, size_t n) {
  tl *t = ctx;
  if (!t->have_model) { /* no labels yet: every item is equally unknown */
    for (size_t i = 0; i < n; i++) scores[i] = 1.0;
    return MIMIC_OK;
  }
  return mimic_query_scores(kind, t->proba, NULL, n, t->n_classes, scores);
}

/* The model's top guesses for pool item i (ids into the label list). */
static int guesses(const tl *t, size_t i, int32_t *g, double *p, int cap) {
  if (!t->have_model) return 0;
  const double *row = t->proba + i * (size_t)t->n_classes;
  int n = 0;
  for (int c = 0; c < t->n_classes; c++) { /* insertion into the top `cap`, ties to lower class */
    if (n == cap && !(row[c] > p[n - 1])) continue;
    int j = n < cap ? n++ : n - 1;
    while (j > 0 && row[c] > p[j - 1]) {
      g[j] = g[j - 1];
      p[j] = p[j - 1];
      j--;
    }
    g[j] = c;
    p[j] = row[c];
  }
  for (int k = 0; k < n; k++) g[k] = t->cls[g[k]];
  return n;
}

static void push_hist(tl *t, size_t i, bool skip) {
  t->hist[t->n_hist] = i;
  t->hist_skip[t->n_hist++] = skip;
}

/* Takes back the round's latest answer or skip; its item goes on the redo stack. */
static mimic_status undo_last(tl *t) {
  size_t j = t->hist[--t->n_hist];
  bool skip = t->hist_skip[t->n_hist];
  t->redo[t->n_redo++] = j;
  if (skip) {
    t->skip_round[j] = -1;
    return tl_store_state(t, t->round);
  }
  t->answer[j] = -1;
  t->answer_round[j] = -1;
  t->answers--;
  return tl_store_undo(t, j);
}

/* Asks about item `item` once and acts on the reply (stores an answer or a
 * skip, or takes back the previous one). */
static mimic_status ask_once(tl *t, size_t item, bool again, mimic_text_reply *r) {
  enum { MAXG = 16 };
  int32_t g[MAXG];
  double p[MAXG];
  int cap = t->cfg->n_guesses < 0 ? 0 : t->cfg->n_guesses > MAXG ? MAXG : t->cfg->n_guesses;
  char key[160];
  tl_item_key(t, item, key, sizeof key);
  mimic_text_question q = {.item = key,
                           .id = t->in->pool_id ? t->in->pool_id[item] : NULL,
                           .text = t->in->pool_text[item],
                           .labels = &t->labels,
                           .n_guesses = cap ? guesses(t, item, g, p, cap) : 0,
                           .guess = g,
                           .guess_p = p,
                           .round = t->round + 1,
                           .rounds = t->cfg->rounds,
                           .number = t->round_number,
                           .count = t->round_count,
                           .can_undo = t->n_hist > 0,
                           .again = again};
  t->n_asked++;
  MIMIC_TRY(mimic_text_expert_ask(t->expert, &q, r));
  switch (r->kind) {
  case MIMIC_TEXT_REPLY_QUIT:
    return mimic_fail(MIMIC_ERR_INTERRUPTED, "%s quit", mimic_text_expert_name(t->expert));
  case MIMIC_TEXT_REPLY_UNDO: return t->n_hist ? undo_last(t) : MIMIC_OK;
  case MIMIC_TEXT_REPLY_SKIP:
    t->skip_round[item] = t->round;
    push_hist(t, item, true);
    return tl_store_state(t, t->round);
  case MIMIC_TEXT_REPLY_LABEL: {
    t->answer[item] = r->label;
    t->answer_round[item] = t->round;
    t->answers++;
    push_hist(t, item, false);
    char *m = NULL;
    if (q.n_guesses > 0) { /* the label name needs JSON escaping */
      json_t *j = json_pack("{s:s, s:f}", "guess", t->labels.names[g[0]], "p", p[0]);
      m = j ? json_dumps(j, JSON_COMPACT) : NULL;
      json_decref(j);
    }
    mimic_status st = tl_store_answer(t, item, r->label, m);
    free(m);
    return st;
  }
  }
  return MIMIC_OK;
}

static mimic_status op_label(void *ctx, size_t i, bool *added) {
  tl *t = ctx;
  *added = false;
  t->round_number++;
  if (t->answer[i] >= 0 && t->answer_round[i] == t->round) { /* stored before an interruption */
    t->answers++;
    *added = true;
    mimic_progress_update(&t->bar, t->round_number);
    return MIMIC_OK;
  }
  if (t->skip_round[i] == t->round) {
    mimic_progress_update(&t->bar, t->round_number);
    return MIMIC_OK;
  }
  if (t->answer[i] >= 0 || t->skip_round[i] >= 0)
    return mimic_fail(MIMIC_ERR_INVALID, "item %zu was already labeled in an earlier round", i);
  for (;;) {
    bool again = t->n_redo > 0;
    size_t item = again ? t->redo[t->n_redo - 1] : i;
    mimic_text_reply r;
    MIMIC_TRY(ask_once(t, item, again, &r));
    if (r.kind == MIMIC_TEXT_REPLY_UNDO) continue;
    if (again) {
      t->n_redo--;
      continue;
    }
    *added = r.kind == MIMIC_TEXT_REPLY_LABEL;
    mimic_progress_update(&t->bar, t->round_number);
    return MIMIC_OK;
  }
}

static mimic_status op_fit(void *ctx, int round) { return tl_fit_upto(ctx, round); }

static mimic_status op_evaluate(void *ctx, int round, mimic_dagger_round *row) {
  (void)round;
  return tl_measure(ctx, row);
}

static mimic_status op_end_round(void *ctx, int round) {
  tl *t = ctx;
  mimic_progress_end(&t->bar);
  t->n_hist = 0;
  t->rounds_done = round + 1;
  return tl_store_state(t, round + 1);
}

static size_t op_dataset_size(void *ctx) {
  tl *t = ctx;
  size_t n = t->in->n_seed;
  for (size_t i = 0; i < t->in->n_pool; i++) n += t->answer[i] >= 0;
  return n;
}

static long op_expert_queries(void *ctx) { return ((tl *)ctx)->answers; }

static void on_round(const mimic_dagger_round *row, void *user) {
  tl *t = user;
  if (push_row(t, row)) MIMIC_WARN("cannot keep the round's row: %s", mimic_errmsg());
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

/* The label list offered when a session starts: seed, extra and expert labels. */
static mimic_status candidate_labels(tl *t, const char ***out, size_t *n) {
  const char *const *known;
  size_t n_known = mimic_text_expert_labels(t->expert, &known);
  size_t total = t->in->n_seed + t->in->n_labels + n_known;
  const char **v = mimic_malloc((total ? total : 1) * sizeof *v, "labels");
  if (!v) return MIMIC_ERR_NOMEM;
  size_t m = 0;
  for (size_t i = 0; i < t->in->n_seed; i++) v[m++] = t->in->seed_label[i];
  for (size_t i = 0; i < t->in->n_labels; i++) v[m++] = t->in->labels[i];
  for (size_t i = 0; i < n_known; i++) v[m++] = known[i];
  for (size_t i = 0; i < m; i++) {
    size_t bad;
    if (!v[i] || !*v[i] || !mimic_utf8_valid(v[i], strlen(v[i]), &bad)) {
      free(v);
      return mimic_fail(MIMIC_ERR_INVALID, "label %zu of the label list is empty or not UTF-8",
                        i + 1);
    }
  }
  if (m == 0) {
    free(v);
    return mimic_fail(MIMIC_ERR_INVALID, "no labels to offer: give a labeled seed, a label list, "
                                         "or a label-file expert");
  }
  *out = v;
  *n = m;
  return MIMIC_OK;
}

static mimic_status alloc_state(tl *t) {
  size_t n = t->in->n_pool;
  t->answer = mimic_malloc(n * sizeof *t->answer, "answers");
  t->answer_round = mimic_malloc(n * sizeof *t->answer_round, "answers");
  t->skip_round = mimic_malloc(n * sizeof *t->skip_round, "skips");
  t->marked = mimic_calloc(n, sizeof *t->marked, "flags");
  t->hist = mimic_malloc(n * sizeof *t->hist, "history");
  t->hist_skip = mimic_malloc(n * sizeof *t->hist_skip, "history");
  t->redo = mimic_malloc(n * sizeof *t->redo, "history");
  if (!t->answer || !t->answer_round || !t->skip_round || !t->marked || !t->hist || !t->hist_skip ||
      !t->redo)
    return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) t->answer[i] = t->answer_round[i] = t->skip_round[i] = -1;
  return MIMIC_OK;
}

static void tl_free(tl *t) {
  mimic_tfidf_free(&t->vec_own);
  mimic_csr_free(&t->xp_own);
  mimic_csr_free(&t->xs_own);
  mimic_csr_free(&t->xt_own);
  mimic_labelset_free(&t->labels);
  mimic_linear_free(&t->clf);
  free(t->seed_labeler);
  free(t->seed_y);
  free(t->test_y);
  free(t->answer);
  free(t->answer_round);
  free(t->skip_round);
  free(t->marked);
  free(t->cls);
  free(t->proba);
  free(t->pred);
  free(t->hist);
  free(t->hist_skip);
  free(t->redo);
}

mimic_status mimic_text_dagger_run(const mimic_text_dagger_config *cfg,
                                   const mimic_text_dagger_input *in, mimic_text_expert *expert,
                                   mimic_labelstore *store, mimic_text_dagger_result *res) {
  memset(res, 0, sizeof *res);
  MIMIC_TRY(check_input(cfg, in));
  MIMIC_TRY(mimic_linear_config_check(&cfg->linear));
  if (!in->vec) MIMIC_TRY(mimic_tfidf_config_check(&cfg->tfidf));
  tl t = {.cfg = cfg, .in = in, .expert = expert, .store = store, .res = res};
  t.pool_name = in->pool_name && *in->pool_name ? in->pool_name : "pool";
  t.seed_name = in->seed_name && *in->seed_name ? in->seed_name : "seed";
  const char **cand = NULL;
  size_t n_cand = 0;
  bool resumed = false;
  mimic_status st =
      (t.seed_labeler = mimic_asprintf("seed:%s", t.seed_name)) ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st) st = candidate_labels(&t, &cand, &n_cand);
  if (!st) st = tl_build_features(&t); /* before the session: its settings name the features */
  if (!st) st = tl_session_open(&t, cand, n_cand, &resumed);
  free(cand);
  if (!st) st = tl_map_labels(&t);
  if (!st) st = alloc_state(&t);
  if (!st) st = tl_session_load(&t, resumed);
  if (!st) {
    res->resumed = resumed;
    res->first_round = t.first_round;
    t.rounds_done = t.first_round;
    if (resumed)
      MIMIC_INFO("session '%s': resuming at round %d (%zu answers stored)", cfg->session,
                 t.first_round + 1, op_dataset_size(&t) - in->n_seed);
    mimic_dagger_ops ops = {.ctx = &t,
                            .resume = op_resume,
                            .gather = op_gather,
                            .uncertainty = op_uncertainty,
                            .label = op_label,
                            .fit = op_fit,
                            .evaluate = op_evaluate,
                            .end_round = op_end_round,
                            .dataset_size = op_dataset_size,
                            .expert_queries = op_expert_queries};
    mimic_dagger_config dc = {.rounds = cfg->rounds,
                              .beta = {MIMIC_BETA_CONSTANT, 0},
                              .query = cfg->query,
                              .seed = cfg->seed,
                              .on_round = on_round,
                              .user = &t};
    int n_rows = 0;
    st = mimic_dagger_run(&dc, &ops, NULL, 0, &n_rows);
    mimic_progress_end(&t.bar);
    res->quit = st == MIMIC_ERR_INTERRUPTED;
    if (res->quit && store) {
      char *msg = mimic_strdup(mimic_errmsg());
      if (mimic_labelstore_session_close(store, t.session, "quit"))
        MIMIC_WARN("cannot mark the session as quit: %s", mimic_errmsg());
      mimic_fail(MIMIC_ERR_INTERRUPTED, "%s", msg ? msg : "the expert quit");
      free(msg);
    }
  }
  res->rounds_done = t.rounds_done;
  res->n_seed = in->n_seed;
  res->n_asked = t.n_asked;
  for (size_t i = 0; t.answer && i < in->n_pool; i++) {
    res->n_answers += t.answer[i] >= 0;
    res->n_skipped += t.skip_round[i] >= 0;
  }
  if ((st == MIMIC_OK || st == MIMIC_ERR_INTERRUPTED) && cfg->keep_model) {
    char *msg = st ? mimic_strdup(mimic_errmsg()) : NULL;
    mimic_status ks = tl_keep_model(&t, &res->model);
    if (ks)
      st = ks;
    else if (msg)
      mimic_fail(st, "%s", msg);
    free(msg);
  }
  tl_free(&t);
  return st;
}
