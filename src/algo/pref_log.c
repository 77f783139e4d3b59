/* The preference label log (mimic/preferences.h): every answer in a label
 * store, committed before the next question, and replayed when a killed run
 * is started again.
 *
 * A run is a pure function of its settings, seed and answers, so the
 * questions come back the same. Each answer is kept under its question's
 * key, "comparison N/HASH" (N counts the questions from the run's start,
 * HASH fingerprints the pair), and is replayed by key: people at a page
 * answer a batch in any order, so the log's order is not the questions'.
 * An answer logged under the same N with another HASH means the settings
 * or the seed changed, which is an error rather than a wrong replay. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "loop/label_log.h"
#include "mimic/preferences.h"

struct mimic_pref_log {
  mimic_labelstore *store;
  int64_t session;
  mimic_label_list replay; /* the answers found when opened */
  long asked;              /* questions handed over so far (numbers the keys) */
  long answers;            /* given so far, replayed ones first */
  int rounds;              /* calls of the gatherer so far */
  char *labeler;
  mimic_pref_gather_fn inner;
  void *inner_user;
  mimic_pref_stream_fn stream;
  void *stream_user;
};

/* FNV-1a over a fragment pair's observations and actions: the question's
 * fingerprint, so a replayed answer is known to answer the same question. */
static uint64_t pair_hash(const mimic_fragment *a, const mimic_fragment *b) {
  uint64_t h = 1469598103934665603ULL;
  const mimic_fragment *f[2] = {a, b};
  for (int s = 0; s < 2; s++) {
    const unsigned char *parts[2] = {(const unsigned char *)f[s]->obs,
                                     (const unsigned char *)f[s]->actions};
    size_t lens[2] = {(size_t)f[s]->length * f[s]->obs_dim * sizeof(float),
                      (size_t)f[s]->length * f[s]->act_width * sizeof(float)};
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < lens[k]; i++) h = (h ^ parts[k][i]) * 1099511628211ULL;
  }
  return h;
}

static const char *label_of(double p, char *buf, size_t cap) {
  if (isnan(p)) return "skip";
  if (p == 1.0) return "first";
  if (p == 0.0) return "second";
  if (p == 0.5) return "equal";
  snprintf(buf, cap, "%.17g", p);
  return buf;
}

static mimic_status preference_of(const char *label, double *p) {
  if (!strcmp(label, "skip"))
    *p = NAN;
  else if (!strcmp(label, "first"))
    *p = 1.0;
  else if (!strcmp(label, "second"))
    *p = 0.0;
  else if (!strcmp(label, "equal"))
    *p = 0.5;
  else {
    char *end;
    *p = strtod(label, &end);
    if (*end || !(*p >= 0 && *p <= 1))
      return mimic_fail(MIMIC_ERR_FORMAT, "the answer \"%s\" is not a preference", label);
  }
  return MIMIC_OK;
}

mimic_status mimic_pref_log_open(const char *path, const char *name, const char *config_json,
                                 const char *labeler, mimic_pref_gather_fn inner, void *inner_user,
                                 mimic_pref_log **out) {
  *out = NULL;
  mimic_pref_log *l = calloc(1, sizeof *l);
  if (!l) return mimic_fail_nomem("the preference log");
  l->inner = inner;
  l->inner_user = inner_user;
  l->labeler = strdup(labeler ? labeler : "gatherer");
  bool resumed = false;
  char *kept = NULL;
  mimic_status st = l->labeler ? mimic_labelstore_open(path, NULL, &l->store)
                               : mimic_fail_nomem("the preference log");
  if (st == MIMIC_OK)
    st = mimic_labelstore_session_open(l->store, name, "preferences", config_json, &l->session,
                                       &resumed);
  if (st == MIMIC_OK && resumed) st = mimic_labelstore_session_config(l->store, l->session, &kept);
  if (st == MIMIC_OK && resumed && config_json && (!kept || strcmp(kept, config_json) != 0))
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "session '%s' was started with other settings (%s); give the same ones to "
                    "resume it, or another label log",
                    name, kept ? kept : "none recorded");
  free(kept);
  if (st == MIMIC_OK && resumed) st = mimic_labelstore_fetch(l->store, l->session, &l->replay);
  if (st != MIMIC_OK) {
    mimic_errctx("label log %s", path);
    mimic_pref_log_close(l, false);
    return mimic_errcode();
  }
  *out = l;
  return MIMIC_OK;
}

void mimic_pref_log_stream(mimic_pref_log *l, mimic_pref_stream_fn stream, void *user) {
  l->stream = stream;
  l->stream_user = user;
}

struct mimic_labelstore *mimic_pref_log_store(mimic_pref_log *l) {
  return l->store;
}

/* The logged answer to the question key (*found false: none); an answer
 * under the same number to another pair is an error. */
static mimic_status replayed(const mimic_pref_log *l, const char *key, double *p, bool *found) {
  *found = false;
  const size_t num = (size_t)(strchr(key, '/') - key) + 1; /* "comparison N/" */
  for (size_t r = 0; r < l->replay.n; r++) {
    const char *item = l->replay.r[r].item;
    if (!item || strncmp(item, key, num)) continue;
    if (strcmp(item, key))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "label log: an answer was given to another question (%s, now %s): the "
                        "run's settings or seed differ from the logged run's",
                        item, key);
    *found = true;
    return preference_of(l->replay.r[r].label, p);
  }
  return MIMIC_OK;
}

static mimic_status put(mimic_pref_log *l, const char *key, double p, const char *labeler) {
  char buf[32];
  mimic_label_record rec = {.session = l->session,
                            .item = (char *)key,
                            .text = "preference between two fragments",
                            .label = (char *)label_of(p, buf, sizeof buf),
                            .labeler = (char *)(labeler ? labeler : l->labeler)};
  return mimic_labelstore_add(l->store, &rec, NULL, NULL);
}

/* A batch handed to a streaming gatherer: its pairs are the open ones. */
typedef struct stream_batch {
  mimic_pref_log *l;
  const char *const *keys; /* the open pairs' */
  const int *at;           /* where each open pair's answer goes */
  double *preference;
  bool *answered;
  int n_answered;
} stream_batch;

static mimic_status stream_store(void *ctx, int i, double p, const char *labeler) {
  stream_batch *b = ctx;
  if (b->answered[i]) return mimic_fail(MIMIC_ERR_INVALID, "%s is already answered", b->keys[i]);
  if (!isnan(p) && !(p >= 0 && p <= 1))
    return mimic_fail(MIMIC_ERR_RANGE, "%s: a preference is in [0, 1], got %g", b->keys[i], p);
  MIMIC_TRY(put(b->l, b->keys[i], p, labeler));
  b->preference[b->at[i]] = p;
  b->answered[i] = true;
  b->n_answered++;
  b->l->answers++;
  return MIMIC_OK;
}

static mimic_status stream_undo(void *ctx, int i) {
  stream_batch *b = ctx;
  if (!b->answered[i]) return mimic_fail(MIMIC_ERR_INVALID, "%s has no answer to undo", b->keys[i]);
  mimic_label_record undone = {0};
  MIMIC_TRY(mimic_labelstore_undo(b->l->store, b->l->session, NULL, &undone));
  bool same = undone.item && !strcmp(undone.item, b->keys[i]);
  mimic_label_record_free(&undone);
  if (!same)
    return mimic_fail(MIMIC_ERR_INVALID, "undo of %s: it is not the latest answer", b->keys[i]);
  b->answered[i] = false;
  b->n_answered--;
  b->l->answers--;
  return MIMIC_OK;
}

/* Hands the n_open pairs at[] of the batch to the streaming gatherer. */
static mimic_status ask_stream(mimic_pref_log *l, const mimic_fragment *first,
                               const mimic_fragment *second, char **keys, const int *at, int n_open,
                               double *preference) {
  mimic_fragment *f = mimic_malloc(2 * (size_t)n_open * sizeof *f, "the open pairs");
  bool *answered = mimic_calloc((size_t)n_open, sizeof *answered, "the open pairs");
  mimic_status st = f && answered ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (int j = 0; st == MIMIC_OK && j < n_open; j++) {
    f[j] = first[at[j]];
    f[n_open + j] = second[at[j]];
  }
  stream_batch b = {.l = l,
                    .keys = (const char *const *)keys,
                    .at = at,
                    .preference = preference,
                    .answered = answered};
  mimic_pref_sink sink = {.keys = (const char *const *)keys,
                          .round = l->rounds,
                          .answered = l->answers,
                          .store = stream_store,
                          .undo = stream_undo,
                          .ctx = &b};
  if (st == MIMIC_OK) st = l->stream(l->stream_user, f, f + n_open, n_open, &sink);
  if (st == MIMIC_OK && b.n_answered < n_open)
    st = mimic_fail(MIMIC_ERR_INVALID, "the gatherer returned with %d of %d comparisons unanswered",
                    n_open - b.n_answered, n_open);
  free(f);
  free(answered);
  return st;
}

mimic_status mimic_pref_log_gather(void *user, const mimic_fragment *first,
                                   const mimic_fragment *second, int n, double *preference) {
  mimic_pref_log *l = user;
  char **keys = mimic_calloc((size_t)n, sizeof *keys, "the questions' keys");
  int *at = mimic_malloc((size_t)n * sizeof *at, "the open pairs");
  mimic_status st = keys && at ? MIMIC_OK : MIMIC_ERR_NOMEM;
  int n_open = 0;
  l->rounds++;
  for (int i = 0; st == MIMIC_OK && i < n; i++) {
    keys[n_open] = mimic_asprintf("comparison %ld/%016llx", l->asked + i + 1,
                                  (unsigned long long)pair_hash(&first[i], &second[i]));
    bool found = false;
    st = keys[n_open] ? replayed(l, keys[n_open], &preference[i], &found)
                      : mimic_fail_nomem("a question's key");
    if (st == MIMIC_OK && found) {
      l->answers++;
      free(keys[n_open]);
      keys[n_open] = NULL;
    } else if (st == MIMIC_OK) {
      at[n_open++] = i;
    }
  }
  if (st == MIMIC_OK && n_open && l->stream) {
    st = ask_stream(l, first, second, keys, at, n_open, preference);
  } else if (st == MIMIC_OK && n_open && !l->inner) {
    st = mimic_fail(MIMIC_ERR_INVALID, "the preference log has no gatherer to ask");
  } else {
    for (int j = 0; st == MIMIC_OK && j < n_open; j++) {
      st = l->inner(l->inner_user, &first[at[j]], &second[at[j]], 1, &preference[at[j]]);
      if (st == MIMIC_OK) st = put(l, keys[j], preference[at[j]], NULL);
      if (st == MIMIC_OK) l->answers++;
    }
  }
  if (st == MIMIC_OK) l->asked += n;
  for (int j = 0; keys && j < n; j++) free(keys[j]);
  free(keys);
  free(at);
  return st;
}

long mimic_pref_log_resumed(const mimic_pref_log *l) { return (long)l->replay.n; }

long mimic_pref_log_answers(const mimic_pref_log *l) { return l->answers; }

mimic_status mimic_pref_log_close(mimic_pref_log *l, bool finished) {
  if (!l) return MIMIC_OK;
  mimic_status st = MIMIC_OK;
  if (l->store && l->session)
    st = mimic_labelstore_session_close(l->store, l->session, finished ? "finished" : "quit");
  mimic_labelstore_close(l->store);
  mimic_label_list_free(&l->replay);
  free(l->labeler);
  free(l);
  return st;
}
