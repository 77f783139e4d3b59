/* The DAgger driver (mimic/dagger.h): the round loop, the label log, the
 * labeled set, undo and skip, and exact resume, written once for every
 * domain.
 *
 * A round: the source gathers candidates (asking at once about states that
 * need an action), the learner scores the open ones, the query rule picks
 * some, the expert answers them, the learner is refitted on the seed plus
 * every answer, the source evaluates, and the round is made durable.
 *
 * The label log. Every answer is a row of the session in the label store:
 * its key, the state as the codec writes it, the action as text, the
 * labeler and round (round 0 is the seed). The session's state, committed
 * in the same transaction as each answer, holds the round in progress, the
 * keys answered or skipped in it in order (what undo takes back) and every
 * skip. Answers of an expert that repeats itself exactly (built-in, a
 * policy, a label file) are committed together at the end of their round:
 * asked again after a crash they are the same.
 *
 * Resume. The answers of finished rounds come back through the source's
 * restore (the state behind each key) into the labeled set; the learner is
 * reloaded (learner_path) or refitted; the round in progress runs again.
 * Its gather and selection see the same learner and draw from the same
 * per-round generators, so it meets the same states and picks the same
 * questions, and answers stored for them are replayed (the stored state
 * must equal the one met: a log from another run is refused).
 *
 * Order. Examples are fitted in ascending order of the key the source gave
 * each state (seed first), so a text model depends only on which answers
 * exist, and a control learner sees its states copy by copy as they were
 * rolled out. With a cap, answers beyond it replace earlier ones by
 * reservoir sampling and the order is the slots'.
 *
 * Episodes. A source may mark the states where an episode begins; the mark
 * travels with the answer (the label log's meta holds "start": true) and
 * the labeled set hands it to the learner (mimic_labeled.starts), so a
 * learner with memory fits on the episodes the rollouts ran. */
#include "mimic/dagger.h"
#include "core/util.h"
#include "loop/transport.h"
#include "loop/label_log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a set of string keys with a small value ------------------------------- */

typedef struct keyset {
  char **key;
  int *val;
  size_t n, cap; /* cap is a power of two; n <= cap / 2 */
} keyset;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static size_t ks_slot(const keyset *k, const char *key) {
  size_t i = (size_t)hash_str(key) & (k->cap - 1);
  while (k->key[i] && strcmp(k->key[i], key) != 0) i = (i + 1) & (k->cap - 1);
  return i;
}

/* The value of key, or -1. */
static int ks_get(const keyset *k, const char *key) {
  if (!k->cap) return -1;
  size_t i = ks_slot(k, key);
  return k->key[i] ? k->val[i] : -1;
}

static mimic_status ks_put(keyset *k, const char *key, int val) {
  if (2 * (k->n + 1) > k->cap) {
    keyset g = {.cap = k->cap ? 2 * k->cap : 64};
    g.key = mimic_calloc(g.cap, sizeof *g.key, "keys");
    g.val = mimic_calloc(g.cap, sizeof *g.val, "keys");
    if (!g.key || !g.val) {
      free(g.key);
      free(g.val);
      return MIMIC_ERR_NOMEM;
    }
    for (size_t i = 0; i < k->cap; i++)
      if (k->key[i]) {
        size_t j = ks_slot(&g, k->key[i]);
        g.key[j] = k->key[i];
        g.val[j] = k->val[i];
      }
    g.n = k->n;
    free(k->key);
    free(k->val);
    *k = g;
  }
  size_t i = ks_slot(k, key);
  if (!k->key[i]) {
    if (!(k->key[i] = mimic_strdup(key))) return MIMIC_ERR_NOMEM;
    k->n++;
  }
  k->val[i] = val;
  return MIMIC_OK;
}

/* Removes key (linear probing: the run after it is put back). */
static void ks_del(keyset *k, const char *key) {
  if (!k->cap) return;
  size_t i = ks_slot(k, key);
  if (!k->key[i]) return;
  free(k->key[i]);
  k->key[i] = NULL;
  k->n--;
  for (size_t j = (i + 1) & (k->cap - 1); k->key[j]; j = (j + 1) & (k->cap - 1)) {
    char *kk = k->key[j];
    int v = k->val[j];
    k->key[j] = NULL;
    size_t s = ks_slot(k, kk);
    k->key[s] = kk;
    k->val[s] = v;
  }
}

static void ks_free(keyset *k) {
  for (size_t i = 0; i < k->cap; i++) free(k->key[i]);
  free(k->key);
  free(k->val);
  memset(k, 0, sizeof *k);
}

/* Settled keys: round << 2 | kind. */
enum { SETTLED_ANSWER = 1, SETTLED_SKIP = 2 };

/* ---- the labeled set ------------------------------------------------------ */

typedef struct store {
  size_t n, cap, n_seed;
  float *obs; /* rows states: [cap x obs_dim] */
  const void **items;
  float *act;    /* [cap x width] */
  char **detail; /* [cap] owned, may be NULL */
  char **key;    /* [cap] owned (NULL for the seed) */
  uint64_t *order;
  bool *start;   /* [cap] an episode begins at this example */
  uint64_t seen; /* answers offered (reservoir) */
} store;

/* Scratch for a batch of questions about candidates. */
typedef struct qbuf {
  size_t cap;
  int k_cap;
  float *obs, *guess, *conf;
  double *proba;
  const void **items;
  const char **keys, **ids;
  char (*kb)[48];
} qbuf;

/* What ask() works in, sized for the largest batch so far. */
typedef struct ask_scratch {
  size_t cap;
  qbuf all, sub;
  size_t *todo, *todo_gi, *cid;
  mimic_env **todo_env;
  float *act;
  mimic_answer *ans;
} ask_scratch;

static void qbuf_free(qbuf *b) {
  free(b->obs);
  free(b->guess);
  free(b->conf);
  free(b->proba);
  free(b->items);
  free(b->keys);
  free(b->ids);
  free(b->kb);
  memset(b, 0, sizeof *b);
}

static void ask_arrays_free(ask_scratch *a) {
  free(a->todo);
  free(a->todo_gi);
  free(a->cid);
  free(a->todo_env);
  free(a->act);
  free(a->ans);
}

static void ask_scratch_free(ask_scratch *a) {
  qbuf_free(&a->all);
  qbuf_free(&a->sub);
  ask_arrays_free(a);
  memset(a, 0, sizeof *a);
}

/* ---- the run ------------------------------------------------------------- */

typedef struct cands {
  size_t n, cap;
  float *obs; /* [cap x obs_dim] */
  const void **items;
  char **key, **id; /* owned, may be NULL */
  float *known;     /* [cap x width] */
  float *answer;    /* [cap x width] the answer, when status is 1 */
  bool *has_known;
  bool *start; /* an episode begins at this state */
  uint64_t *order;
  uint8_t *status; /* 0 open, 1 answered, 2 skipped this round */
} cands;

typedef struct pending {
  mimic_label_record *r;
  size_t n, cap;
} pending;

struct mimic_dagger {
  const mimic_dagger_config *cfg;
  const char *labeler; /* who of several people gave the answer being recorded (NULL: the expert) */
  mimic_dagger_source src;
  int width, obs_dim;
  bool rows;
  /* session */
  int64_t session;
  bool resumed;
  json_t *data, *state; /* given back on resume; the stored state */
  int first;
  /* answers */
  keyset settled; /* keys answered or skipped in finished rounds */
  keyset replay;  /* this round's stored answers (index into replay_recs) and skips (-2) */
  mimic_label_list replay_recs;
  store ex;
  mimic_rng pool_rng;
  uint64_t answer_seq;
  long answers, asked, skipped;
  long replayable; /* answers stored for the round a resumed run starts in */
  /* the round in progress */
  int round;
  cands c;
  char **hist; /* this round's keys answered or skipped, in order (owned) */
  bool *hist_skip;
  size_t n_hist, cap_hist;
  pending pend;
  size_t batch_skips; /* a program's skips wait for their batch's commit */
  size_t round_count, round_number;
  bool again;     /* the question asked next was undone */
  char note[256]; /* shown to a person with the next questions ("": none) */
  mimic_progress bar;
  bool learner_fitted;
  ask_scratch scratch;
};

static float *row(float *base, size_t r, int width) { return base + r * (size_t)width; }

bool mimic_dagger_resumed(const mimic_dagger *d) { return d->resumed; }
const json_t *mimic_dagger_data(const mimic_dagger *d) { return d->data; }
bool mimic_dagger_learner_ready(const mimic_dagger *d) {
  return mimic_policy_fitted(d->cfg->learner);
}

void mimic_dagger_counts(const mimic_dagger *d, long *answers, long *asked, long *skipped) {
  if (answers) *answers = d->answers;
  if (asked) *asked = d->asked;
  if (skipped) *skipped = d->skipped;
}

bool mimic_dagger_answer(const mimic_dagger *d, size_t i, float *action) {
  if (i >= d->c.n || d->c.status[i] != 1) return false;
  if (action) memcpy(action, row(d->c.answer, i, d->width), (size_t)d->width * sizeof(float));
  return true;
}

int mimic_dagger_settled(const mimic_dagger *d, const char *key) {
  int v = ks_get(&d->settled, key);
  return v < 0 ? 0 : v & 3;
}

/* ---- the store ------------------------------------------------------------- */

static mimic_status store_reserve(mimic_dagger *d, size_t need) {
  store *s = &d->ex;
  if (need <= s->cap) return MIMIC_OK;
  size_t cap = s->cap ? s->cap : 1024;
  while (cap < need) cap *= 2;
  if (d->cfg->cap > 0 && cap > (size_t)d->cfg->cap + s->n_seed)
    cap = (size_t)d->cfg->cap + s->n_seed;
  if (cap < need) cap = need;
#define GROW(field, count)                                                                         \
  do {                                                                                             \
    void *p = mimic_realloc(s->field, cap * (size_t)(count), sizeof *s->field, "labeled states");  \
    if (!p) return MIMIC_ERR_NOMEM;                                                                \
    s->field = p;                                                                                  \
  } while (0)
  if (d->rows) GROW(obs, d->obs_dim);
  GROW(items, 1);
  GROW(act, d->width);
  GROW(detail, 1);
  GROW(key, 1);
  GROW(order, 1);
  GROW(start, 1);
#undef GROW
  s->cap = cap;
  return MIMIC_OK;
}

/* Writes example fields into slot i (taking detail and key). */
static void store_set(mimic_dagger *d, size_t i, const float *obs, const void *item,
                      const float *act, char *detail, char *key, uint64_t order, bool start) {
  store *s = &d->ex;
  if (d->rows) memcpy(row(s->obs, i, d->obs_dim), obs, (size_t)d->obs_dim * sizeof(float));
  s->items[i] = item;
  memcpy(row(s->act, i, d->width), act, (size_t)d->width * sizeof(float));
  s->detail[i] = detail;
  s->key[i] = key;
  s->order[i] = order;
  s->start[i] = start;
}

/* Adds an example (detail and key are taken). Beyond the cap, reservoir sampling. */
static mimic_status store_add(mimic_dagger *d, const float *obs, const void *item, const float *act,
                              char *detail, char *key, uint64_t order, bool start) {
  store *s = &d->ex;
  long cap = d->cfg->cap;
  if (cap > 0 && s->n >= s->n_seed + (size_t)cap) { /* full: the reservoir decides */
    s->seen++;
    uint64_t j = (uint64_t)mimic_rng_integers(&d->pool_rng, 0, (int64_t)s->seen);
    if (j >= (uint64_t)cap) {
      free(detail);
      free(key);
      return MIMIC_OK;
    }
    size_t slot = s->n_seed + (size_t)j;
    free(s->detail[slot]);
    free(s->key[slot]);
    store_set(d, slot, obs, item, act, detail, key, order, start);
    return MIMIC_OK;
  }
  s->seen++;
  mimic_status st = store_reserve(d, s->n + 1);
  if (st) {
    free(detail);
    free(key);
    return st;
  }
  size_t pos = s->n; /* keep the order: usually at the end */
  if (cap <= 0)
    while (pos > s->n_seed && s->order[pos - 1] > order) pos--;
  if (pos < s->n) {
    size_t m = s->n - pos;
    if (d->rows)
      memmove(row(s->obs, pos + 1, d->obs_dim), row(s->obs, pos, d->obs_dim),
              m * (size_t)d->obs_dim * sizeof(float));
    memmove(s->items + pos + 1, s->items + pos, m * sizeof *s->items);
    memmove(row(s->act, pos + 1, d->width), row(s->act, pos, d->width),
            m * (size_t)d->width * sizeof(float));
    memmove(s->detail + pos + 1, s->detail + pos, m * sizeof *s->detail);
    memmove(s->key + pos + 1, s->key + pos, m * sizeof *s->key);
    memmove(s->order + pos + 1, s->order + pos, m * sizeof *s->order);
    memmove(s->start + pos + 1, s->start + pos, m * sizeof *s->start);
  }
  store_set(d, pos, obs, item, act, detail, key, order, start);
  s->n++;
  return MIMIC_OK;
}

/* Takes the answer with key out of the store (undo). */
static void store_remove(mimic_dagger *d, const char *key) {
  store *s = &d->ex;
  for (size_t i = s->n; i-- > s->n_seed;) {
    if (!s->key[i] || strcmp(s->key[i], key)) continue;
    free(s->detail[i]);
    free(s->key[i]);
    size_t m = s->n - i - 1;
    if (d->rows)
      memmove(row(s->obs, i, d->obs_dim), row(s->obs, i + 1, d->obs_dim),
              m * (size_t)d->obs_dim * sizeof(float));
    memmove(s->items + i, s->items + i + 1, m * sizeof *s->items);
    memmove(row(s->act, i, d->width), row(s->act, i + 1, d->width),
            m * (size_t)d->width * sizeof(float));
    memmove(s->detail + i, s->detail + i + 1, m * sizeof *s->detail);
    memmove(s->key + i, s->key + i + 1, m * sizeof *s->key);
    memmove(s->order + i, s->order + i + 1, m * sizeof *s->order);
    memmove(s->start + i, s->start + i + 1, m * sizeof *s->start);
    s->n--;
    s->seen--;
    return;
  }
}

static void store_free(store *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->detail[i]);
    free(s->key[i]);
  }
  free(s->obs);
  free(s->items);
  free(s->act);
  free(s->detail);
  free(s->key);
  free(s->order);
  free(s->start);
  memset(s, 0, sizeof *s);
}

/* ---- the session state ---------------------------------------------------- */

static char *state_text(mimic_dagger *d, int round, const json_t *source) {
  json_t *hist = json_array(), *skipped = json_array();
  for (size_t h = 0; hist && h < d->n_hist; h++)
    json_array_append_new(hist, json_pack("[s,b]", d->hist[h], d->hist_skip[h]));
  for (size_t i = 0; skipped && i < d->settled.cap; i++)
    if (d->settled.key[i] && (d->settled.val[i] & 3) == SETTLED_SKIP)
      json_array_append_new(skipped, json_pack("[s,i]", d->settled.key[i], d->settled.val[i] >> 2));
  for (size_t h = 0; skipped && h < d->n_hist; h++) /* this round's skips */
    if (d->hist_skip[h]) json_array_append_new(skipped, json_pack("[s,i]", d->hist[h], round));
  json_t *s = json_pack("{s:i, s:i, s:I, s:o, s:o, s:O}", "version", 2, "round", round, "answers",
                        (json_int_t)d->answers, "history", hist, "skipped", skipped, "source",
                        source ? (json_t *)source
                               : (d->state ? json_object_get(d->state, "source") : json_null()));
  char *text = s ? json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(s);
  if (!text) mimic_fail_nomem("the session state");
  return text;
}

/* Commits the state alone (a skip, an undone skip). */
static mimic_status commit_state(mimic_dagger *d) {
  if (!d->cfg->store) return MIMIC_OK;
  char *state = state_text(d, d->round, NULL);
  if (!state) return MIMIC_ERR_NOMEM;
  mimic_status st = mimic_labelstore_session_set_state(d->cfg->store, d->session, state);
  free(state);
  return st;
}

/* ---- opening -------------------------------------------------------------- */

static mimic_status parse_object(const char *text, const char *what, json_t **out) {
  json_error_t err;
  *out = json_loads(text ? text : "{}", 0, &err);
  if (!json_is_object(*out)) {
    json_decref(*out);
    *out = NULL;
    return mimic_fail(MIMIC_ERR_INVALID, "%s is not a JSON object: %s", what, err.text);
  }
  return MIMIC_OK;
}

/* Compares a resumed session's settings with this run's, naming the first difference. */
static mimic_status check_settings(const char *session, const json_t *stored, const json_t *now) {
  const char *key;
  json_t *v;
  json_t *both[2] = {(json_t *)now, (json_t *)stored};
  for (int side = 0; side < 2; side++) json_object_foreach(both[side], key, v) {
      json_t *a = json_object_get(stored, key), *b = json_object_get(now, key);
      if (a && b && json_equal(a, b)) continue;
      char *ta = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
      char *tb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
      mimic_status st = mimic_fail(
          MIMIC_ERR_INVALID,
          "session '%s' was started with a different %s (%s then, %s now); run it with the same "
          "settings to resume, or start a new session (another name or folder)",
          session, key, ta ? ta : "none", tb ? tb : "none");
      free(ta);
      free(tb);
      return st;
    }
  return MIMIC_OK;
}

static mimic_status open_session(mimic_dagger *d) {
  const mimic_dagger_config *cfg = d->cfg;
  json_t *settings, *data;
  MIMIC_TRY(parse_object(cfg->settings, "the loop's settings", &settings));
  mimic_status st = parse_object(cfg->data, "the loop's data", &data);
  json_t *conf =
      st ? NULL : json_pack("{s:i, s:O, s:O}", "version", 2, "settings", settings, "data", data);
  char *text = conf ? json_dumps(conf, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (!st && !text) st = mimic_fail_nomem("the session");
  if (!st)
    st = mimic_labelstore_session_open(cfg->store, cfg->session, cfg->session_kind, text,
                                       &d->session, &d->resumed);
  free(text);
  json_decref(conf);
  char *stored_text = NULL, *state = NULL;
  if (!st && d->resumed) st = mimic_labelstore_session_config(cfg->store, d->session, &stored_text);
  json_t *stored = NULL;
  if (!st && d->resumed) {
    stored = stored_text ? json_loads(stored_text, 0, NULL) : NULL;
    if (!json_is_object(stored) || json_integer_value(json_object_get(stored, "version")) != 2)
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "session '%s' was made by another version of mimic; finish it with that "
                      "version, or start a new session (another name or folder)",
                      cfg->session);
    else
      st = check_settings(cfg->session, json_object_get(stored, "settings"), settings);
    if (!st) d->data = json_incref(json_object_get(stored, "data"));
  }
  if (!st && d->resumed) st = mimic_labelstore_session_state(cfg->store, d->session, &state);
  if (!st && state) {
    d->state = json_loads(state, 0, NULL);
    json_t *r = json_object_get(d->state, "round");
    if (!json_is_object(d->state) ||
        json_integer_value(json_object_get(d->state, "version")) != 2 || !json_is_integer(r) ||
        json_integer_value(r) < 0)
      st = mimic_fail(MIMIC_ERR_FORMAT, "session '%s': its state is damaged", cfg->session);
    else
      d->first = (int)json_integer_value(r);
  }
  free(stored_text);
  free(state);
  json_decref(stored);
  json_decref(settings);
  json_decref(data);
  return st;
}

mimic_status mimic_dagger_open(const mimic_dagger_config *cfg, const mimic_dagger_source *source,
                               mimic_dagger **out) {
  *out = NULL;
  if (cfg->rounds < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger needs at least 1 round, got %d", cfg->rounds);
  if (!source->gather || !source->restore)
    return mimic_fail(MIMIC_ERR_INVALID, "a state source needs gather and restore");
  if (cfg->store && (!cfg->session || !*cfg->session || !cfg->session_kind))
    return mimic_fail(MIMIC_ERR_INVALID, "a label log needs a session name and kind");
  mimic_dagger *d = mimic_calloc(1, sizeof *d, "a DAgger run");
  if (!d) return MIMIC_ERR_NOMEM;
  d->cfg = cfg;
  d->src = *source;
  mimic_rng_seed(&d->pool_rng, cfg->seed ^ 0xda66e7ULL);
  mimic_status st = cfg->store ? open_session(d) : MIMIC_OK;
  if (!st) st = mimic_expert_web_votes(cfg->expert, cfg->store, cfg->session);
  if (st) {
    mimic_dagger_close(d);
    return st;
  }
  *out = d;
  return MIMIC_OK;
}

void mimic_dagger_close(mimic_dagger *d) {
  if (!d) return;
  ks_free(&d->settled);
  ks_free(&d->replay);
  mimic_label_list_free(&d->replay_recs);
  store_free(&d->ex);
  cands *c = &d->c;
  for (size_t i = 0; i < c->n; i++) {
    free(c->key[i]);
    free(c->id[i]);
  }
  free(c->obs);
  free(c->items);
  free(c->key);
  free(c->id);
  free(c->known);
  free(c->answer);
  free(c->has_known);
  free(c->start);
  free(c->order);
  free(c->status);
  for (size_t h = 0; h < d->n_hist; h++) free(d->hist[h]);
  free(d->hist);
  free(d->hist_skip);
  for (size_t i = 0; i < d->pend.n; i++) mimic_label_record_free(&d->pend.r[i]);
  free(d->pend.r);
  ask_scratch_free(&d->scratch);
  json_decref(d->data);
  json_decref(d->state);
  free(d);
}

/* ---- candidates ------------------------------------------------------------- */

static void cands_clear(mimic_dagger *d) {
  cands *c = &d->c;
  for (size_t i = 0; i < c->n; i++) {
    free(c->key[i]);
    free(c->id[i]);
    c->key[i] = c->id[i] = NULL;
  }
  c->n = 0;
}

static mimic_status cands_reserve(mimic_dagger *d, size_t need) {
  cands *c = &d->c;
  if (need <= c->cap) return MIMIC_OK;
  size_t cap = c->cap ? c->cap : 1024;
  while (cap < need) cap *= 2;
#define GROW(field, count)                                                                         \
  do {                                                                                             \
    void *p = mimic_realloc(c->field, cap * (size_t)(count), sizeof *c->field, "candidates");      \
    if (!p) return MIMIC_ERR_NOMEM;                                                                \
    c->field = p;                                                                                  \
  } while (0)
  if (d->rows) GROW(obs, d->obs_dim);
  GROW(items, 1);
  GROW(key, 1);
  GROW(id, 1);
  GROW(known, d->width);
  GROW(answer, d->width);
  GROW(has_known, 1);
  GROW(start, 1);
  GROW(order, 1);
  GROW(status, 1);
#undef GROW
  for (size_t i = c->cap; i < cap; i++) c->key[i] = c->id[i] = NULL;
  c->cap = cap;
  return MIMIC_OK;
}

mimic_status mimic_dagger_add(mimic_dagger *d, const mimic_dagger_state *s, size_t n,
                              size_t *first) {
  cands *c = &d->c;
  if (first) *first = c->n;
  if (n && d->rows != (s[0].obs != NULL))
    return mimic_fail(MIMIC_ERR_INVALID, "a source gave %s where the loop holds %s",
                      s[0].obs ? "observations" : "items", d->rows ? "observations" : "items");
  MIMIC_TRY(cands_reserve(d, c->n + n));
  for (size_t k = 0; k < n; k++) {
    size_t i = c->n + k;
    if (d->rows) memcpy(row(c->obs, i, d->obs_dim), s[k].obs, (size_t)d->obs_dim * sizeof(float));
    c->items[i] = s[k].item;
    c->has_known[i] = s[k].known != NULL;
    if (s[k].known)
      memcpy(row(c->known, i, d->width), s[k].known, (size_t)d->width * sizeof(float));
    c->order[i] = s[k].order;
    c->start[i] = s[k].start;
    c->status[i] = 0;
    if ((s[k].key && !(c->key[i] = mimic_strdup(s[k].key))) ||
        (s[k].id && !(c->id[i] = mimic_strdup(s[k].id))))
      return MIMIC_ERR_NOMEM;
  }
  c->n += n;
  return MIMIC_OK;
}

/* Candidate i's key (generated "<round>:<i>" when the source gave none). */
/* Writes v in decimal just before end; returns where it starts. */
static char *decimal_before(char *end, uint64_t v) {
  do *--end = (char)('0' + v % 10);
  while (v /= 10);
  return end;
}

static const char *cand_key(mimic_dagger *d, size_t i, char *buf, size_t cap) {
  if (d->c.key[i]) return d->c.key[i];
  /* by hand: a rollout asks about every state, and snprintf cost more than
   * the rest of asking a built-in expert */
  char tmp[48], *end = tmp + sizeof tmp;
  char *at = decimal_before(end, i);
  *--at = ':';
  at = decimal_before(at, (uint64_t)d->round);
  size_t len = (size_t)(end - at) < cap ? (size_t)(end - at) : cap - 1;
  memcpy(buf, at, len);
  buf[len] = '\0';
  return buf;
}

/* ---- recording answers ------------------------------------------------------ */

static mimic_status hist_push(mimic_dagger *d, const char *key, bool skip) {
  MIMIC_TRY(mimic_grow(&d->hist, &d->cap_hist, d->n_hist + 1, sizeof *d->hist, 32, "history"));
  size_t cap = d->cap_hist;
  bool *hs = mimic_realloc(d->hist_skip, cap, sizeof *hs, "history");
  if (!hs) return MIMIC_ERR_NOMEM;
  d->hist_skip = hs;
  if (!(d->hist[d->n_hist] = mimic_strdup(key))) return MIMIC_ERR_NOMEM;
  d->hist_skip[d->n_hist++] = skip;
  return MIMIC_OK;
}

/* An answer's meta as json_dumps writes it (compact, keys sorted):
 * {"arguments": the detail, "guess": {"action", "confidence"}, "kind"},
 * or NULL when it has none of them. Written by hand: a rollout logs an
 * answer every step, and building it in jansson cost as much as the rest. */
static char *answer_meta(const mimic_codec *codec, const char *detail, const float *guess,
                         float guess_conf, bool start) {
  bool has_guess = guess && !isnan(guess[0]);
  if (!detail && !has_guess && !codec->log_kind && !start) return NULL;
  json_t *args = detail ? json_loads(detail, 0, NULL) : NULL;
  char *args_text = json_is_object(args) ? json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(args);
  char *action = has_guess ? mimic_codec_action_text(codec, guess) : NULL;
  size_t cap = 160 + (args_text ? strlen(args_text) : 0) + (action ? 6 * strlen(action) : 0) +
               (codec->log_kind ? 6 * strlen(codec->log_kind) : 0);
  char *out = mimic_malloc(cap, "an answer's meta");
  size_t n = 0;
  if (out) {
    const char *sep = "{";
    if (args_text) n += (size_t)snprintf(out + n, cap - n, "%s\"arguments\":%s", sep, args_text);
    if (args_text) sep = ",";
    if (action) {
      n += (size_t)snprintf(out + n, cap - n, "%s\"guess\":{\"action\":", sep);
      n += mimic_json_quote(action, out + n, cap - n);
      if (!isnan(guess_conf)) {
        memcpy(out + n, ",\"confidence\":", 14);
        n += 14;
        n += mimic_float_text(guess_conf, out + n);
      }
      out[n++] = '}';
      sep = ",";
    }
    if (codec->log_kind) {
      n += (size_t)snprintf(out + n, cap - n, "%s\"kind\":", sep);
      n += mimic_json_quote(codec->log_kind, out + n, cap - n);
      sep = ",";
    }
    if (start) {
      n += (size_t)snprintf(out + n, cap - n, "%s\"start\":true", sep);
      sep = ",";
    }
    if (*sep == '{') { /* a detail that was not an object, and nothing else */
      free(out);
      out = NULL;
    } else {
      out[n++] = '}';
      out[n] = '\0';
    }
  }
  free(args_text);
  free(action);
  return out;
}

/* The label-log record of an answer to question k of q (strings owned). */
static mimic_status make_record(mimic_dagger *d, const mimic_questions *q, size_t k,
                                const float *action, const char *detail, const float *guess,
                                float guess_conf, bool start, mimic_label_record *r) {
  const mimic_codec *codec = d->cfg->expert->codec;
  memset(r, 0, sizeof *r);
  r->session = d->session;
  r->round = d->round + 1;
  r->item = mimic_strdup(q->keys[k]);
  r->text = codec->state_text(codec, q, k);
  r->label = mimic_codec_action_text(codec, action);
  r->labeler = mimic_strdup(d->labeler ? d->labeler : d->cfg->expert->name);
  r->meta = answer_meta(codec, detail, guess, guess_conf, start);
  if (!r->item || !r->text || !r->label || !r->labeler) {
    mimic_label_record_free(r);
    return mimic_fail_nomem("an answer");
  }
  return MIMIC_OK;
}

/* Stores an answer durably: a person's now; a program's with the rest of
 * its batch (commit_batch, before the next batch is asked); a repeatable
 * expert's with its round. */
static mimic_status log_answer(mimic_dagger *d, mimic_label_record *r) {
  if (!d->cfg->store) {
    mimic_label_record_free(r);
    return MIMIC_OK;
  }
  if (!d->cfg->expert->person) {
    mimic_status st =
        mimic_grow(&d->pend.r, &d->pend.cap, d->pend.n + 1, sizeof *d->pend.r, 256, "answers");
    if (st) {
      mimic_label_record_free(r);
      return st;
    }
    d->pend.r[d->pend.n++] = *r;
    return MIMIC_OK;
  }
  char *state = state_text(d, d->round, NULL);
  mimic_status st = state ? mimic_labelstore_add(d->cfg->store, r, state, NULL) : MIMIC_ERR_NOMEM;
  free(state);
  mimic_label_record_free(r);
  return st;
}

/* Commits a program's answers, with the session's state, in one transaction
 * once they fill a batch (or now, with all): answers to one-state messages
 * asked in a rollout wait for the ones after them, so a kill loses at most
 * one batch and a batch costs one fsync. A repeatable expert's wait for the
 * round's end; a person's were committed one by one. */
static mimic_status commit_batch(mimic_dagger *d, bool all) {
  const mimic_dagger_config *cfg = d->cfg;
  const mimic_expert *e = cfg->expert;
  size_t group = e->max_batch ? e->max_batch : 1;
  if (!cfg->store || e->repeatable || e->person || d->pend.n + d->batch_skips == 0 ||
      (!all && d->pend.n + d->batch_skips < group))
    return MIMIC_OK;
  d->batch_skips = 0;
  char *state = state_text(d, d->round, NULL);
  mimic_status st = !state      ? MIMIC_ERR_NOMEM
                    : d->pend.n ? mimic_labelstore_add_many(cfg->store, d->pend.r, d->pend.n, state)
                                : mimic_labelstore_session_set_state(cfg->store, d->session, state);
  free(state);
  for (size_t i = 0; i < d->pend.n; i++) mimic_label_record_free(&d->pend.r[i]);
  d->pend.n = 0;
  return st;
}

/* The fitting order of an answer (answer order: after everything so far). */
static uint64_t answer_order(mimic_dagger *d, uint64_t order) {
  return order != MIMIC_DAGGER_IN_ANSWER_ORDER ? order : (1ull << 63) + d->answer_seq++;
}

/* Takes an action answer for candidate i into the labeled set and the log. */
static mimic_status record_answer(mimic_dagger *d, size_t i, const mimic_questions *q, size_t k,
                                  const float *action, char *detail, const float *guess,
                                  float guess_conf, bool stored) {
  char kb[48];
  const char *key = cand_key(d, i, kb, sizeof kb);
  mimic_label_record r;
  bool logged = !stored && d->cfg->store; /* without a label log, nothing to write */
  mimic_status st = logged
                        ? make_record(d, q, k, action, detail, guess, guess_conf, d->c.start[i], &r)
                        : MIMIC_OK;
  /* only states with a source's key are tracked one by one (undo, settled
   * keys); rollout states are numbered and never asked about twice */
  bool keyed = d->c.key[i] != NULL;
  char *kcopy = st || !keyed ? NULL : mimic_strdup(key);
  if (!st && keyed && !kcopy) st = MIMIC_ERR_NOMEM;
  if (!st && keyed) st = hist_push(d, key, false);
  if (st) {
    if (logged) mimic_label_record_free(&r);
    free(detail);
    free(kcopy);
    return st;
  }
  d->c.status[i] = 1;
  memcpy(row(d->c.answer, i, d->width), action, (size_t)d->width * sizeof(float));
  d->answers++;
  st = store_add(d, d->rows ? row(d->c.obs, i, d->obs_dim) : NULL, d->c.items[i], action, detail,
                 kcopy, answer_order(d, d->c.order[i]), d->c.start[i]);
  if (!st && logged) st = log_answer(d, &r);
  return st;
}

static mimic_status record_skip(mimic_dagger *d, size_t i) {
  if (!d->c.key[i])
    return mimic_fail(MIMIC_ERR_INVALID, "a state met in a rollout cannot be skipped");
  d->c.status[i] = 2;
  d->skipped++;
  MIMIC_TRY(hist_push(d, d->c.key[i], true));
  if (d->cfg->expert->repeatable || !d->cfg->expert->person) { /* with its batch or round */
    d->batch_skips++;
    return MIMIC_OK;
  }
  return commit_state(d);
}

/* Takes back this round's latest answer or skip; returns its candidate. */
static mimic_status undo_last(mimic_dagger *d, size_t *cand) {
  char *key = d->hist[--d->n_hist];
  bool skip = d->hist_skip[d->n_hist];
  mimic_status st = MIMIC_OK;
  *cand = SIZE_MAX;
  char kb[48];
  for (size_t i = 0; i < d->c.n && *cand == SIZE_MAX; i++)
    if (!strcmp(cand_key(d, i, kb, sizeof kb), key)) *cand = i;
  if (*cand == SIZE_MAX) {
    st = mimic_fail(MIMIC_ERR_INVALID, "undo: %s is not a question of this round", key);
    free(key);
    return st;
  }
  d->c.status[*cand] = 0;
  if (skip) {
    d->skipped--;
    st = commit_state(d);
  } else {
    d->answers--;
    store_remove(d, key);
    if (d->cfg->store) {
      char *state = state_text(d, d->round, NULL);
      mimic_label_record rec;
      st = state ? mimic_labelstore_undo(d->cfg->store, d->session, state, &rec) : MIMIC_ERR_NOMEM;
      free(state);
      if (!st && (!rec.item || strcmp(rec.item, key)))
        st = mimic_fail(MIMIC_ERR_FORMAT,
                        "undo took back the answer for %s, expected %s (was the session changed "
                        "by another program?)",
                        rec.item ? rec.item : "?", key);
      if (!st) mimic_label_record_free(&rec);
    }
  }
  free(key);
  return st;
}

/* ---- asking ----------------------------------------------------------------- */

/* The stored answer of this round for candidate i (replay), checked against
 * the state met now: 1 = an answer, 2 = a skip, 0 = none. */
static mimic_status replayed(mimic_dagger *d, size_t i, const mimic_questions *q, size_t k,
                             float *action, char **detail, int *kind) {
  *kind = 0;
  if (!d->replay.n) return MIMIC_OK;
  int v = ks_get(&d->replay, q->keys[k]);
  if (v < 0) return MIMIC_OK;
  if (v == -2 || v == INT32_MIN) {
    *kind = 2;
    return MIMIC_OK;
  }
  const mimic_label_record *r = &d->replay_recs.r[v];
  const mimic_codec *codec = d->cfg->expert->codec;
  char *now = codec->state_text(codec, q, k);
  if (!now) return mimic_fail_nomem("a state");
  bool same = strcmp(now, r->text) == 0;
  free(now);
  if (!same)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "the label log's answer %lld (item %s, round %lld) was given in another "
                      "state than this run meets: the log is not this run's",
                      (long long)r->id, r->item, (long long)r->round);
  MIMIC_TRY(mimic_codec_parse_action(codec, r->label, action));
  if (r->meta) {
    json_t *m = json_loads(r->meta, 0, NULL);
    json_t *a = json_object_get(m, "arguments");
    if (json_is_object(a) && !(*detail = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS))) {
      json_decref(m);
      return MIMIC_ERR_NOMEM;
    }
    json_decref(m);
  }
  ks_del(&d->replay, q->keys[k]); /* replayed once: an undo asks it afresh */
  (void)i;
  *kind = 1;
  return MIMIC_OK;
}

/* Room for n questions with k probabilities each (kept between calls: a
 * rollout asks every step). */
static mimic_status qbuf_reserve(qbuf *b, size_t n, int obs_dim, int width, int k) {
  if (n <= b->cap && k <= b->k_cap) return MIMIC_OK;
  size_t cap = n > 2 * b->cap ? n : 2 * b->cap;
  int kc = k > b->k_cap ? k : b->k_cap;
  qbuf_free(b);
  b->obs = obs_dim ? mimic_malloc(cap * (size_t)obs_dim * sizeof *b->obs, "questions") : NULL;
  b->guess = mimic_malloc(cap * (size_t)width * sizeof *b->guess, "questions");
  b->conf = mimic_malloc(cap * sizeof *b->conf, "questions");
  b->proba = kc ? mimic_malloc(cap * (size_t)kc * sizeof *b->proba, "questions") : NULL;
  b->items = mimic_malloc(cap * sizeof *b->items, "questions");
  b->keys = mimic_malloc(cap * sizeof *b->keys, "questions");
  b->ids = mimic_malloc(cap * sizeof *b->ids, "questions");
  b->kb = mimic_malloc(cap * sizeof *b->kb, "questions");
  bool ok = (b->obs || !obs_dim) && b->guess && b->conf && (b->proba || !kc) && b->items &&
            b->keys && b->ids && b->kb;
  if (!ok) {
    qbuf_free(b);
    return MIMIC_ERR_NOMEM;
  }
  b->cap = cap;
  b->k_cap = kc;
  return MIMIC_OK;
}

static mimic_status ask_scratch_reserve(mimic_dagger *d, size_t n, int k) {
  ask_scratch *a = &d->scratch;
  if (!n) n = 1;
  MIMIC_TRY(qbuf_reserve(&a->all, n, d->obs_dim, d->width, 0));
  MIMIC_TRY(qbuf_reserve(&a->sub, n, d->obs_dim, d->width, k));
  if (n <= a->cap) return MIMIC_OK;
  size_t cap = n > 2 * a->cap ? n : 2 * a->cap;
  ask_arrays_free(a);
  a->todo = mimic_malloc(cap * sizeof *a->todo, "questions");
  a->todo_gi = mimic_malloc(cap * sizeof *a->todo_gi, "questions");
  a->cid = mimic_malloc(cap * sizeof *a->cid, "questions");
  a->todo_env = mimic_malloc(cap * sizeof *a->todo_env, "questions");
  a->act = mimic_malloc(cap * (size_t)d->width * sizeof *a->act, "answers");
  a->ans = mimic_calloc(cap, sizeof *a->ans, "answers");
  if (!a->todo || !a->todo_gi || !a->cid || !a->todo_env || !a->act || !a->ans) {
    a->cap = 0;
    return MIMIC_ERR_NOMEM;
  }
  a->cap = cap;
  return MIMIC_OK;
}

/* Questions about candidates idx[0..n), with the guesses of rows gi[0..n) of
 * guess/conf/proba (guess NULL: none). */
static mimic_questions questions(mimic_dagger *d, qbuf *b, const size_t *idx, size_t n,
                                 const float *guess, const float *conf, const double *proba, int k,
                                 const size_t *gi) {
  const int w = d->width;
  for (size_t j = 0; j < n; j++) {
    size_t i = idx[j];
    if (d->rows)
      memcpy(row(b->obs, j, d->obs_dim), row(d->c.obs, i, d->obs_dim),
             (size_t)d->obs_dim * sizeof(float));
    b->items[j] = d->c.items[i];
    b->keys[j] = cand_key(d, i, b->kb[j], sizeof b->kb[j]);
    b->ids[j] = d->c.id[i];
    if (guess) {
      memcpy(row(b->guess, j, w), guess + gi[j] * (size_t)w, (size_t)w * sizeof(float));
      b->conf[j] = conf ? conf[gi[j]] : NAN;
      if (proba)
        memcpy(b->proba + j * (size_t)k, proba + gi[j] * (size_t)k, (size_t)k * sizeof(double));
    }
  }
  return (mimic_questions){.n = n,
                           .obs = d->rows ? b->obs : NULL,
                           .obs_dim = d->obs_dim,
                           .items = d->rows ? NULL : b->items,
                           .keys = b->keys,
                           .ids = b->ids,
                           .guess = guess ? b->guess : NULL,
                           .guess_conf = guess ? b->conf : NULL,
                           .guess_proba = guess && proba ? b->proba : NULL,
                           .guess_k = k,
                           .round = d->round + 1,
                           .rounds = d->cfg->rounds};
}

/* What a streaming expert's answers are recorded against (stream_deliver). */
typedef struct stream_ctx {
  mimic_dagger *d;
  const size_t *cid;  /* candidate of each question */
  const float *guess; /* the questions' guesses (rows), or NULL */
  const float *conf;
  size_t left; /* questions not yet answered or skipped */
} stream_ctx;

/* Records one answer of a streaming expert (several people at a page) the
 * moment it comes: durable before the expert hands out another question. */
static mimic_status stream_deliver(void *ctx, const mimic_questions *q, size_t t, mimic_answer *a) {
  stream_ctx *x = ctx;
  mimic_dagger *d = x->d;
  mimic_status st = MIMIC_OK;
  if (a->kind == MIMIC_ANSWER_UNDO) {
    size_t undone;
    if (d->n_hist == 0) return mimic_fail(MIMIC_ERR_INVALID, "undo: nothing to take back");
    st = undo_last(d, &undone);
    if (!st && undone != x->cid[t])
      st = mimic_fail(MIMIC_ERR_INVALID, "undo took back another question than %s", q->keys[t]);
    if (!st && d->round_number) d->round_number--;
    if (!st) x->left++;
    return st;
  }
  if (a->kind == MIMIC_ANSWER_SKIP) {
    st = record_skip(d, x->cid[t]);
  } else {
    int w = d->width;
    d->labeler = a->labeler;
    st = record_answer(d, x->cid[t], q, t, a->action, a->detail,
                       x->guess ? x->guess + t * (size_t)w : NULL, x->guess ? x->conf[t] : NAN,
                       false);
    d->labeler = NULL;
    a->detail = NULL; /* taken */
  }
  if (!st) {
    d->round_number++;
    x->left--;
  }
  return st;
}

/* Asks about candidates idx[0..n): first what the log (a replayed round) or
 * a snapshot already answers, then the expert: a person or a program one
 * question at a time (each answer on disk before the next question), an
 * expert that repeats itself in one batch. online: the states need actions
 * now (no skip, no undo). actions (may be NULL) gets every answer; *undone
 * the candidate an undo took back (SIZE_MAX: none), to be asked again. */
static mimic_status ask(mimic_dagger *d, const size_t *idx, size_t n, bool online,
                        mimic_env *const *envs, const float *guess, const float *conf,
                        const double *proba, int k, const size_t *gi, float *actions,
                        size_t *undone) {
  *undone = SIZE_MAX;
  mimic_expert *e = d->cfg->expert;
  const int w = d->width;
  mimic_status st = ask_scratch_reserve(d, n, guess && proba ? k : 0);
  if (st) return st;
  ask_scratch *sc = &d->scratch;
  size_t *todo = sc->todo, *todo_gi = sc->todo_gi;
  mimic_env **todo_env = sc->todo_env;
  float *act = sc->act;
  mimic_answer *ans = sc->ans;
  mimic_questions q = questions(d, &sc->all, idx, n, NULL, NULL, NULL, 0, NULL);
  size_t n_todo = 0;
  for (size_t j = 0; j < n && !st; j++) { /* answers the log or a snapshot already has */
    size_t i = idx[j];
    char *detail = NULL;
    int kind;
    st = replayed(d, i, &q, j, row(act, j, w), &detail, &kind);
    if (st) break;
    if (kind == 1) {
      st = record_answer(d, i, &q, j, row(act, j, w), detail, NULL, NAN, true);
    } else if (kind == 2) {
      d->c.status[i] = 2;
      d->skipped++;
      st = hist_push(d, q.keys[j], true);
    } else if (d->c.has_known[i]) {
      memcpy(row(act, j, w), row(d->c.known, i, w), (size_t)w * sizeof(float));
      st = record_answer(d, i, &q, j, row(act, j, w), NULL, NULL, NAN, false);
    } else {
      todo_gi[n_todo] = gi ? gi[j] : j;
      if (envs) todo_env[n_todo] = envs[j];
      todo[n_todo++] = j;
    }
  }
  /* a person one question at a time, a program in the batches it takes
   * (each committed before the next is asked), a repeatable expert at once */
  for (size_t lo = 0, m; lo < n_todo && !st && *undone == SIZE_MAX; lo += m) {
    size_t step = e->streams      ? n_todo
                  : e->person     ? 1
                  : e->repeatable ? n_todo
                  : e->max_batch  ? e->max_batch
                                  : 1;
    m = n_todo - lo < step ? n_todo - lo : step;
    size_t *cid = sc->cid;
    for (size_t t = 0; t < m; t++) {
      cid[t] = idx[todo[lo + t]];
      ans[t].action = row(act, todo[lo + t], w);
      ans[t].detail = NULL;
    }
    mimic_questions s = questions(d, &sc->sub, cid, m, guess, conf, proba, k, todo_gi + lo);
    s.envs = envs ? todo_env + lo : NULL;
    s.again = d->again;
    s.must_act = online;
    s.can_undo = !online && d->n_hist > 0;
    s.number = d->round_number + 1;
    s.count = d->round_count;
    s.note = d->note[0] ? d->note : NULL;
    stream_ctx sx = {d, cid, s.guess, s.guess_conf, m};
    if (e->streams) {
      s.deliver = stream_deliver;
      s.deliver_ctx = &sx;
    }
    st = mimic_expert_label(e, &s, ans);
    d->note[0] = '\0'; /* shown once */
    d->asked += st ? 0 : (long)m;
    if (!st && e->streams) { /* every answer was recorded as it came */
      if (sx.left)
        st = mimic_fail(MIMIC_ERR_INTERRUPTED,
                        "%s stopped with %zu questions open (everything answered is stored; run "
                        "the same command again to resume)",
                        e->name, sx.left);
      break;
    }
    for (size_t t = 0; t < m && !st; t++) {
      mimic_answer *a = &ans[t];
      if (a->kind == MIMIC_ANSWER_QUIT) {
        st = mimic_fail(MIMIC_ERR_INTERRUPTED,
                        "%s quit (everything answered is stored; run the same command again to "
                        "resume)",
                        e->name);
      } else if (a->kind == MIMIC_ANSWER_UNDO) {
        if (d->n_hist == 0) { /* nothing to take back: this question again */
          *undone = SIZE_MAX - 1;
          break;
        }
        st = undo_last(d, undone);
        if (!st && d->round_number) d->round_number--;
        break; /* the caller asks the undone one again, then this one */
      } else if (a->kind == MIMIC_ANSWER_SKIP) {
        st = record_skip(d, cid[t]);
        d->round_number++;
      } else {
        st = record_answer(d, cid[t], &s, t, a->action, a->detail,
                           s.guess ? row(sc->sub.guess, t, w) : NULL,
                           s.guess ? sc->sub.conf[t] : NAN, false);
        a->detail = NULL; /* taken */
        d->round_number++;
      }
      mimic_progress_update(&d->bar, d->round_number);
    }
    for (size_t t = 0; t < m; t++) {
      free(ans[t].detail);
      ans[t].detail = NULL;
    }
    if (!st) st = commit_batch(d, false);
  }
  if (!st && actions) memcpy(actions, act, n * (size_t)w * sizeof *act);
  return st;
}

void mimic_dagger_set_note(mimic_dagger *d, const char *note) {
  snprintf(d->note, sizeof d->note, "%s", note ? note : "");
}

mimic_status mimic_dagger_ask(mimic_dagger *d, const size_t *idx, size_t n, mimic_env *const *envs,
                              const float *guess, const float *guess_conf, float *actions) {
  for (size_t k = 0; k < n; k++)
    if (idx[k] >= d->c.n)
      return mimic_fail(MIMIC_ERR_INVALID, "candidate %zu does not exist", idx[k]);
  size_t undone;
  return ask(d, idx, n, true, envs, guess, guess_conf, NULL, 0, NULL, actions, &undone);
}

/* ---- a round ---------------------------------------------------------------- */

/* The learner's actions, confidences and probabilities for candidates open[0..n). */
static mimic_status score_open(mimic_dagger *d, const size_t *open, size_t n, float *act,
                               float *conf, double *proba, int K) {
  enum { CHUNK = 256 };
  float *obs =
      d->rows ? mimic_malloc((size_t)CHUNK * (size_t)d->obs_dim * sizeof(float), "a batch") : NULL;
  const void **items = mimic_malloc(CHUNK * sizeof *items, "a batch");
  if ((d->rows && !obs) || !items) {
    free(obs);
    free(items);
    return MIMIC_ERR_NOMEM;
  }
  mimic_status st = MIMIC_OK;
  for (size_t lo = 0; lo < n && !st; lo += CHUNK) {
    size_t m = n - lo < CHUNK ? n - lo : CHUNK;
    for (size_t j = 0; j < m; j++) {
      size_t i = open[lo + j];
      if (d->rows)
        memcpy(row(obs, j, d->obs_dim), row(d->c.obs, i, d->obs_dim),
               (size_t)d->obs_dim * sizeof(float));
      items[j] = d->c.items[i];
    }
    mimic_act_batch b = {.n = (int)m,
                         .obs = obs,
                         .items = d->rows ? NULL : items,
                         .actions = act + lo * (size_t)d->width,
                         .confidence = conf + lo,
                         .proba = proba ? proba + lo * (size_t)K : NULL,
                         .deterministic = true};
    st = mimic_policy_act(d->cfg->learner, &b);
  }
  free(obs);
  free(items);
  return st;
}

/* Picks and asks this round's questions among the open candidates. */
static mimic_status query(mimic_dagger *d, int round) {
  const mimic_dagger_config *cfg = d->cfg;
  size_t n = d->c.n, n_open = 0;
  size_t *open = mimic_malloc((n ? n : 1) * sizeof *open, "candidates");
  if (!open) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++)
    if (!d->c.status[i]) open[n_open++] = i;
  bool scored = cfg->query.kind != MIMIC_QUERY_ALL && cfg->query.kind != MIMIC_QUERY_RANDOM;
  bool fitted = mimic_policy_fitted(cfg->learner);
  bool guesses = fitted && n_open && (scored || !cfg->expert->repeatable);
  int K = mimic_policy_n_actions(cfg->learner);
  float *act = NULL, *conf = NULL;
  double *proba = NULL, *scores = mimic_malloc((n_open ? n_open : 1) * sizeof *scores, "scores");
  size_t *chosen = mimic_malloc((n_open ? n_open : 1) * sizeof *chosen, "candidates");
  mimic_status st = scores && chosen ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st && guesses) {
    act = mimic_malloc(n_open * (size_t)d->width * sizeof *act, "guesses");
    conf = mimic_malloc(n_open * sizeof *conf, "guesses");
    if (K > 0) proba = mimic_malloc(n_open * (size_t)K * sizeof *proba, "guesses");
    if (!act || !conf || (K > 0 && !proba)) st = MIMIC_ERR_NOMEM;
    if (!st) st = score_open(d, open, n_open, act, conf, proba, K);
  }
  if (!st && scored) {
    if (!fitted) /* nothing learned yet: every state is equally unknown */
      for (size_t j = 0; j < n_open; j++) scores[j] = 1.0;
    else if (K == 0)
      st = mimic_fail(MIMIC_ERR_INVALID,
                      "confidence-based queries need discrete actions; use 'all' or 'random'");
    else
      st = mimic_query_scores(cfg->query.kind, proba, conf, n_open, K, scores);
  }
  size_t k = 0;
  if (!st && n_open) {
    mimic_rng rng;
    mimic_rng_seed(&rng, cfg->seed * 1000003u + (uint64_t)round);
    k = mimic_query_select(&cfg->query, scores, NULL, n_open, &rng, chosen);
  }
  d->round_count = k;
  d->round_number = 0;
  char label[32];
  snprintf(label, sizeof label, "round %d questions", round + 1);
  mimic_progress_begin(&d->bar, label, "item", k);
  if (!cfg->progress || cfg->expert->person || !k) d->bar.active = false;
  size_t *cand = mimic_malloc((k ? k : 1) * sizeof *cand, "questions");
  size_t *redo = mimic_malloc((2 * k + 2) * sizeof *redo, "questions");
  if (!st && (!cand || !redo)) st = MIMIC_ERR_NOMEM;
  for (size_t b = 0; !st && b < k; b++) cand[b] = open[chosen[b]];
  bool one_by_one = cfg->expert->person && !cfg->expert->streams;
  if (!st && !one_by_one) { /* in batches, guesses by their rows in open */
    size_t undone;
    st = ask(d, cand, k, false, NULL, act, conf, proba, K, chosen, NULL, &undone);
  }
  /* a person one at a time, in the rule's order; an undone question is
   * asked again before the one that undid it */
  size_t n_redo = 0;
  bool again = false;
  for (size_t j = 0; !st && one_by_one && (j < k || n_redo);) {
    size_t pick = n_redo ? redo[--n_redo] : chosen[j++]; /* a position in open */
    size_t i = open[pick], undone;
    if (d->c.status[i]) continue; /* replayed as skipped */
    d->again = again;
    again = false;
    st = ask(d, &i, 1, false, NULL, act, conf, proba, K, &pick, NULL, &undone);
    d->again = false;
    if (st || undone == SIZE_MAX) continue;
    if (undone == SIZE_MAX - 1) { /* an undo with nothing to take back */
      redo[n_redo++] = pick;
      continue;
    }
    again = true; /* the undone question comes next */
    size_t p = 0;
    while (p < n_open && open[p] != undone) p++;
    if (p == n_open) {
      st = mimic_fail(MIMIC_ERR_INVALID, "cannot ask again about a state answered on the spot");
      break;
    }
    redo[n_redo++] = pick; /* this question, after the undone one */
    redo[n_redo++] = p;
  }
  free(cand);
  mimic_progress_end(&d->bar);
  free(redo);
  free(open);
  free(scores);
  free(chosen);
  free(act);
  free(conf);
  free(proba);
  return st;
}

/* Refits the learner on the seed and every answer, in the store's order. */
static mimic_status fit(mimic_dagger *d, int round) {
  store *s = &d->ex;
  if (s->n == 0) return MIMIC_OK; /* nothing to learn from yet */
  const char **details = mimic_malloc(s->n * sizeof *details, "details");
  if (!details) return MIMIC_ERR_NOMEM;
  bool any = false, episodes = false;
  for (size_t i = 0; i < s->n; i++) {
    details[i] = s->detail[i];
    any |= details[i] != NULL;
    episodes |= s->start[i];
  }
  mimic_labeled data = {.n = s->n,
                        .obs = d->rows ? s->obs : NULL,
                        .obs_dim = d->obs_dim,
                        .items = d->rows ? NULL : s->items,
                        .actions = s->act,
                        .details = any ? details : NULL,
                        .starts = episodes ? s->start : NULL};
  mimic_status st =
      mimic_policy_fit(d->cfg->learner, &data, true, d->cfg->fit_seed + (uint64_t)round);
  free(details);
  return st;
}

/* Measures the learner into row (the source's metrics). */
static mimic_status measure(mimic_dagger *d, mimic_dagger_round *row) {
  row->dataset_size = d->ex.n;
  row->expert_queries = d->answers;
  return d->src.evaluate ? d->src.evaluate(d->src.ctx, row->round, row) : MIMIC_OK;
}

/* Hands a finished row to the caller (after the round is durable). */
static mimic_status report(mimic_dagger *d, const mimic_dagger_round *row, mimic_dagger_round *rows,
                           int cap, int *n_rows) {
  if (rows && *n_rows < cap) rows[*n_rows] = *row;
  (*n_rows)++;
  if (d->cfg->on_round) d->cfg->on_round(row, d->cfg->user);
  return MIMIC_OK;
}

/* Makes round durable: the learner, the source's files, the round's answers and the state. */
static mimic_status end_round(mimic_dagger *d, int round) {
  const mimic_dagger_config *cfg = d->cfg;
  json_t *source = json_object();
  if (!source) return mimic_fail_nomem("the session state");
  mimic_status st = MIMIC_OK;
  if (cfg->learner_path && mimic_policy_fitted(cfg->learner))
    st = mimic_policy_save(cfg->learner, cfg->learner_path);
  if (!st && d->src.end_round) st = d->src.end_round(d->src.ctx, round, source);
  /* this round's answers and skips are now settled */
  for (size_t h = 0; !st && h < d->n_hist; h++)
    st = ks_put(&d->settled, d->hist[h],
                round << 2 | (d->hist_skip[h] ? SETTLED_SKIP : SETTLED_ANSWER));
  for (size_t h = 0; h < d->n_hist; h++) free(d->hist[h]);
  d->n_hist = 0;
  char *state = st ? NULL : state_text(d, round + 1, source);
  if (!st && !state) st = MIMIC_ERR_NOMEM;
  if (!st && cfg->store) {
    if (d->pend.n)
      st = mimic_labelstore_add_many(cfg->store, d->pend.r, d->pend.n, state);
    else
      st = mimic_labelstore_session_set_state(cfg->store, d->session, state);
  }
  for (size_t i = 0; i < d->pend.n; i++) mimic_label_record_free(&d->pend.r[i]);
  d->pend.n = 0;
  free(state);
  if (!st) {
    json_decref(d->state);
    d->state = json_pack("{s:O}", "source", source);
  }
  json_decref(source);
  return st;
}

/* ---- resuming --------------------------------------------------------------- */

/* Puts the seed set first in the store (order 0..n-1). */
static mimic_status add_seed(mimic_dagger *d) {
  const mimic_labeled *sd = d->cfg->seed_set;
  if (!sd || !sd->n) return MIMIC_OK;
  MIMIC_TRY(store_reserve(d, sd->n));
  for (size_t i = 0; i < sd->n; i++) {
    char *detail = NULL;
    if (sd->details && sd->details[i] && !(detail = mimic_strdup(sd->details[i])))
      return MIMIC_ERR_NOMEM;
    store_set(d, i, sd->obs ? row((float *)sd->obs, i, d->obs_dim) : NULL,
              sd->items ? sd->items[i] : NULL, row((float *)sd->actions, i, d->width), detail, NULL,
              (uint64_t)i, sd->starts ? sd->starts[i] : false);
  }
  d->ex.n = d->ex.n_seed = sd->n;
  return MIMIC_OK;
}

/* Stores the seed as the session's round-0 answers. */
static mimic_status log_seed(mimic_dagger *d) {
  const mimic_labeled *sd = d->cfg->seed_set;
  size_t n = sd ? sd->n : 0;
  if (!d->cfg->store || !d->cfg->log_seed || !n) return commit_state(d);
  const mimic_codec *codec = d->cfg->expert->codec;
  mimic_label_record *r = mimic_calloc(n, sizeof *r, "seed labels");
  if (!r) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < n && !st; i++) {
    const void *item = sd->items ? sd->items[i] : NULL;
    mimic_questions q = {.n = 1,
                         .obs = sd->obs ? sd->obs + i * (size_t)d->obs_dim : NULL,
                         .obs_dim = d->obs_dim,
                         .items = sd->items ? &item : NULL};
    r[i].session = d->session;
    r[i].round = 0;
    r[i].item = mimic_asprintf("%s:%zu", d->cfg->seed_name ? d->cfg->seed_name : "seed", i + 1);
    r[i].text = codec->state_text(codec, &q, 0);
    r[i].label = mimic_codec_action_text(codec, sd->actions + i * (size_t)d->width);
    r[i].labeler = mimic_strdup(d->cfg->seed_labeler ? d->cfg->seed_labeler : "seed");
    if (!r[i].item || !r[i].text || !r[i].label || !r[i].labeler) st = MIMIC_ERR_NOMEM;
  }
  char *state = st ? NULL : state_text(d, 0, NULL);
  if (!st && !state) st = MIMIC_ERR_NOMEM;
  if (!st) st = mimic_labelstore_add_many(d->cfg->store, r, n, state);
  free(state);
  for (size_t i = 0; i < n; i++) mimic_label_record_free(&r[i]);
  free(r);
  return st;
}

/* Brings back the answers of finished rounds and this round's for replay. */
static mimic_status restore(mimic_dagger *d) {
  const mimic_dagger_config *cfg = d->cfg;
  const mimic_codec *codec = cfg->expert->codec;
  MIMIC_TRY(mimic_labelstore_fetch(cfg->store, d->session, &d->replay_recs));
  mimic_label_list *l = &d->replay_recs;
  size_t seeds = 0;
  float *act = mimic_malloc((size_t)d->width * sizeof *act, "an action");
  if (!act) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (size_t j = 0; j < l->n && !st; j++) {
    const mimic_label_record *r = &l->r[j];
    if (r->round == 0) {
      seeds++;
      continue;
    }
    int round = (int)r->round - 1;
    if (!r->item || round > d->first) {
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "session '%s': stored answer %lld (item %s) does not fit the session's state",
                      cfg->session, (long long)r->id, r->item ? r->item : "?");
      break;
    }
    if (round == d->first) { /* replayed when this round asks for it again */
      st = ks_put(&d->replay, r->item, (int)j);
      d->replayable++;
      continue;
    }
    mimic_dagger_example ex = {0};
    st = d->src.restore(d->src.ctx, r->item, r->text, &ex);
    if (!st) st = mimic_codec_parse_action(codec, r->label, act);
    char *detail = NULL, *key = st ? NULL : mimic_strdup(r->item);
    bool start = false;
    if (!st && !key) st = MIMIC_ERR_NOMEM;
    if (!st && r->meta) {
      json_t *m = json_loads(r->meta, 0, NULL);
      json_t *a = json_object_get(m, "arguments");
      start = json_is_true(json_object_get(m, "start"));
      if (json_is_object(a) && !(detail = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS)))
        st = MIMIC_ERR_NOMEM;
      json_decref(m);
    }
    if (st) {
      free(key);
      mimic_errctx("session '%s': stored answer %lld (item %s)", cfg->session, (long long)r->id,
                   r->item);
      break;
    }
    if (d->rows != (ex.obs != NULL)) {
      free(key);
      free(detail);
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "session '%s': stored answer %lld is not a state of this loop", cfg->session,
                      (long long)r->id);
      break;
    }
    uint64_t order =
        ex.order != MIMIC_DAGGER_IN_ANSWER_ORDER ? ex.order : (1ull << 63) + (uint64_t)r->id;
    if ((uint64_t)r->id >= d->answer_seq) d->answer_seq = (uint64_t)r->id + 1;
    st = store_add(d, ex.obs, ex.item, act, detail, key, order, start);
    if (!st) st = ks_put(&d->settled, r->item, round << 2 | SETTLED_ANSWER);
    d->answers++;
  }
  free(act);
  if (!st && cfg->log_seed && cfg->seed_set && seeds != cfg->seed_set->n)
    st = mimic_fail(MIMIC_ERR_FORMAT, "session '%s' holds %zu seed labels, the seed has %zu",
                    cfg->session, seeds, cfg->seed_set->n);
  /* skips: settled (earlier rounds) or replayed (this one) */
  size_t k;
  json_t *e;
  json_array_foreach(json_object_get(d->state, "skipped"), k, e) {
    const char *key = json_string_value(json_array_get(e, 0));
    json_int_t round = json_integer_value(json_array_get(e, 1));
    if (st || !key) continue;
    if (round < d->first) {
      st = ks_put(&d->settled, key, (int)round << 2 | SETTLED_SKIP);
      d->skipped++;
    } else {
      st = ks_put(&d->replay, key, -2);
    }
  }
  /* this round's order of answers and skips, for undo */
  json_array_foreach(json_object_get(d->state, "history"), k, e) {
    const char *key = json_string_value(json_array_get(e, 0));
    if (!st && !key)
      st = mimic_fail(MIMIC_ERR_FORMAT, "session '%s': its round history is damaged", cfg->session);
  }
  return st;
}

mimic_status mimic_dagger_run(mimic_dagger *d, mimic_dagger_round *rows, int cap, int *n_rows) {
  const mimic_dagger_config *cfg = d->cfg;
  int got = 0;
  if (n_rows) *n_rows = 0;
  if (!cfg->learner || !cfg->expert)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger needs a learner and an expert");
  if (!mimic_policy_is_learner(cfg->learner))
    return mimic_fail(MIMIC_ERR_INVALID, "%s cannot learn", mimic_policy_describe(cfg->learner));
  const mimic_codec *codec = cfg->expert->codec;
  d->width = mimic_space_width(&codec->space);
  d->obs_dim = mimic_policy_obs_dim(cfg->learner);
  d->rows = d->obs_dim > 0;
  if (cfg->seed_set && cfg->seed_set->n && d->rows != (cfg->seed_set->obs != NULL))
    return mimic_fail(MIMIC_ERR_INVALID, "the seed's states are not the learner's kind");
  MIMIC_TRY(add_seed(d));
  mimic_status st = MIMIC_OK;
  if (cfg->store && d->resumed && d->state) {
    st = restore(d);
    if (!st && d->src.resume)
      st = d->src.resume(d->src.ctx, d->first, json_object_get(d->state, "source"));
    if (!st && d->first < cfg->rounds)
      MIMIC_INFO("session '%s': resuming at round %d of %d (%ld answers stored, %ld of them "
                 "in this round)",
                 cfg->session, d->first + 1, cfg->rounds, d->answers + d->replayable,
                 d->replayable);
  } else if (cfg->store) {
    st = log_seed(d);
  }
  if (!st && d->first > 0 && cfg->learner_path && mimic_path_exists(cfg->learner_path))
    st = mimic_policy_reload(cfg->learner, cfg->learner_path);
  else if (!st && d->ex.n > 0) /* the seed, or the answers of the finished rounds */
    st = fit(d, d->first - 1);
  if (!st && d->first >= cfg->rounds)
    MIMIC_INFO("session '%s' already ran its %d rounds (give more rounds to go on)",
               cfg->session ? cfg->session : "", d->first);
  if (!st && cfg->evaluate_start) {
    mimic_dagger_round row = {.round = d->first - 1};
    st = measure(d, &row);
    if (!st) st = report(d, &row, rows, cap, &got);
  }
  for (int round = d->first; round < cfg->rounds && !st; round++) {
    double t0 = mimic_now();
    d->round = round;
    long before = d->answers;
    mimic_dagger_round row = {.round = round, .beta = mimic_beta_at(&cfg->beta, round)};
    cands_clear(d);
    st = d->src.gather(d->src.ctx, d, round, row.beta);
    row.candidates = d->c.n;
    if (!st) st = query(d, round);
    if (!st) st = fit(d, round);
    row.queried = (size_t)(d->answers - before);
    if (!st) st = measure(d, &row); /* before the round is durable: the source keeps its best */
    if (!st && row.n_metrics)
      mimic_expert_round_done(cfg->expert, round + 1, row.metric_names[0], row.metrics[0]);
    if (!st) st = end_round(d, round);
    row.seconds = mimic_now() - t0;
    if (!st) st = report(d, &row, rows, cap, &got);
    ks_free(&d->replay); /* a replayed round is done */
  }
  if (st && d->pend.n) { /* what a program answered before the failure is kept */
    char *msg = mimic_strdup(mimic_errmsg());
    if (commit_batch(d, true)) MIMIC_WARN("cannot store the last answers: %s", mimic_errmsg());
    mimic_fail(st, "%s", msg ? msg : "DAgger failed");
    free(msg);
  }
  if (!st && cfg->store && cfg->finish && d->first < cfg->rounds)
    st = mimic_labelstore_session_close(cfg->store, d->session, "finished");
  if (st == MIMIC_ERR_INTERRUPTED && cfg->store) {
    char *msg = mimic_strdup(mimic_errmsg());
    if (mimic_labelstore_session_close(cfg->store, d->session, "quit"))
      MIMIC_WARN("cannot mark the session as quit: %s", mimic_errmsg());
    mimic_fail(MIMIC_ERR_INTERRUPTED, "%s", msg ? msg : "the expert quit");
    free(msg);
  }
  if (n_rows) *n_rows = got;
  return st;
}
