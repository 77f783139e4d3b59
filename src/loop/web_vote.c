/* Agreement mode of the labeling page (--web-agreement K, docs/web-expert.md):
 * each question is handed to K distinct labelers, each labeler's answer is a
 * vote, and the loop gets the majority once K votes are in.
 *
 * Votes are durable before their reply: each is a row of its own session
 * of the run's label store ("<session>/votes": item, state, label, labeler,
 * round), so the loop's session keeps one answer per question (the
 * majority, labeler "web:majority") and replays as before, while every
 * vote stays in the log. A killed run finds its votes there: a question
 * with fewer than K is handed out again only to labelers who have not voted
 * on it; one with K whose majority was not stored yet is settled at once.
 *
 * The majority is the label with the most votes; a tie goes to the tied
 * label voted for first (the earliest vote among the tied labels), so a
 * replay of the stored votes reaches the same majority. A skip is a pass:
 * that labeler is not handed the question again in this run, and others
 * still are. Undo takes back only the labeler's own vote while the question
 * is open (the vote's row is marked undone; a settled majority stays).
 *
 * Agreement is reported over the questions with all K votes, per round and
 * overall: raw pairwise agreement P (the share of agreeing pairs of votes on
 * a question, averaged over questions) and Fleiss' kappa (P - Pe) / (1 - Pe)
 * with Pe the sum over labels of the squared share of all votes a label got.
 * Fleiss' for every K, also K = 2 (where it is Scott's pi, not Cohen's
 * kappa: the labels' shares are pooled over labelers). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "loop/label_log.h"
#include "loop/transport.h"
#include "loop/web.h"

typedef struct vote {
  char who[WEB_NAME_MAX + 1];
  int label;
  char *detail; /* the tool arguments given with it (JSON text), or NULL */
  int64_t id;   /* its row in the votes session */
} vote;

typedef struct hold {
  char who[WEB_NAME_MAX + 1];
  double handed; /* mimic_now() */
} hold;

/* One published question's votes, holders and passes. */
typedef struct tally {
  vote *v; /* [K], in the order given */
  int n;
  hold *h; /* [K] labelers it is handed to who have not voted yet */
  int n_h;
  char (*passed)[WEB_NAME_MAX + 1];
  size_t n_passed, cap_passed;
} tally;

/* Fleiss' sums over questions with K votes. */
typedef struct acc {
  long items;
  long sq;   /* sum over questions and labels of (votes for the label)^2 */
  long *tot; /* [n_tot] votes per label */
  size_t n_tot;
} acc;

struct web_votes {
  const mimic_codec *codec;
  mimic_labelstore *store; /* borrowed */
  int64_t session;
  mimic_label_list stored; /* the votes found at open, oldest first */
  tally *t;                /* [w->n_items] while a batch is published */
  size_t n_t;
  acc all;
  acc *by_round; /* [n_rounds], index = round */
  size_t n_rounds;
  bool counted; /* the stored complete questions are in all and by_round */
};

static int k_of(const web *w) { return w->agreement; }

static mimic_status acc_add(acc *a, const vote *v, int k) {
  for (int i = 0; i < k; i++) {
    size_t l = (size_t)v[i].label;
    if (l >= a->n_tot) {
      size_t cap = a->n_tot;
      MIMIC_TRY(mimic_grow(&a->tot, &cap, l + 1, sizeof *a->tot, 16, "agreement"));
      memset(a->tot + a->n_tot, 0, (cap - a->n_tot) * sizeof *a->tot);
      a->n_tot = cap;
    }
    a->tot[l]++;
    for (int j = 0; j < k; j++) a->sq += v[j].label == v[i].label;
  }
  a->items++;
  return MIMIC_OK;
}

/* A round's sums (grown as rounds come). */
static acc *round_acc(struct web_votes *V, int round) {
  size_t r = round > 0 ? (size_t)round : 0;
  if (r >= V->n_rounds) {
    size_t cap = V->n_rounds;
    if (mimic_grow(&V->by_round, &cap, r + 1, sizeof *V->by_round, 8, "agreement")) return NULL;
    memset(V->by_round + V->n_rounds, 0, (cap - V->n_rounds) * sizeof *V->by_round);
    V->n_rounds = cap;
  }
  return &V->by_round[r];
}

/* Counts a question that has its K votes, in its round and overall. */
static mimic_status count_complete(struct web_votes *V, const vote *v, int k, int round) {
  acc *r = round_acc(V, round);
  if (!r) return MIMIC_ERR_NOMEM;
  MIMIC_TRY(acc_add(&V->all, v, k));
  return acc_add(r, v, k);
}

static json_t *acc_json(const acc *a, int k) {
  json_t *p = json_null(), *kappa = json_null();
  if (a->items > 0) {
    double nk = (double)a->items * k;
    double pbar = ((double)a->sq - nk) / (nk * (k - 1));
    double pe = 0;
    for (size_t l = 0; l < a->n_tot; l++) pe += (a->tot[l] / nk) * (a->tot[l] / nk);
    p = json_real(pbar);
    if (pe < 1 - 1e-12) kappa = json_real((pbar - pe) / (1 - pe)); /* undefined: one label only */
  }
  return json_pack("{s:I, s:o, s:o}", "complete", (json_int_t)a->items, "pairwise", p, "kappa",
                   kappa);
}

json_t *web_votes_progress(const web *w) {
  const struct web_votes *V = w->votes;
  int k = k_of(w);
  json_t *rounds = json_array();
  for (size_t r = 0; V && r < V->n_rounds; r++)
    if (V->by_round[r].items) {
      json_t *j = acc_json(&V->by_round[r], k);
      json_object_set_new(j, "round", json_integer((json_int_t)r));
      json_array_append_new(rounds, j);
    }
  acc none = {0};
  const acc *now =
      V && w->round > 0 && (size_t)w->round < V->n_rounds ? &V->by_round[w->round] : &none;
  return json_pack("{s:i, s:o, s:o, s:o}", "k", k, "this_round", acc_json(now, k), "overall",
                   acc_json(V ? &V->all : &none, k), "rounds", rounds);
}

/* The vote of who among the first k, or -1. */
static int vote_of(const tally *t, const char *who) {
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->v[i].who, who)) return i;
  return -1;
}

/* The majority's vote: the label with most votes, a tie to the tied label
 * voted for first (a strict > over the votes in order keeps the first). */
static int majority(const vote *v, int k) {
  int best = 0, best_n = 0;
  for (int i = 0; i < k; i++) {
    int c = 0;
    for (int j = 0; j < k; j++) c += v[j].label == v[i].label;
    if (c > best_n) {
      best_n = c;
      best = i;
    }
  }
  return best;
}

static void tally_free(tally *t) {
  for (int i = 0; i < t->n; i++) free(t->v[i].detail);
  free(t->v);
  free(t->h);
  free(t->passed);
}

void web_votes_unpublish(web *w) {
  struct web_votes *V = w->votes;
  if (!V) return;
  for (size_t i = 0; i < V->n_t; i++) tally_free(&V->t[i]);
  free(V->t);
  V->t = NULL;
  V->n_t = 0;
}

void web_votes_free(web *w) {
  struct web_votes *V = w->votes;
  if (!V) return;
  web_votes_unpublish(w);
  mimic_label_list_free(&V->stored);
  free(V->all.tot);
  for (size_t r = 0; r < V->n_rounds; r++) free(V->by_round[r].tot);
  free(V->by_round);
  free(V);
  w->votes = NULL;
}

/* A stored vote as a tally's (label parsed, "web:" taken off the labeler). */
static mimic_status vote_from_record(const mimic_codec *c, const mimic_label_record *r, vote *v) {
  float a[1];
  memset(v, 0, sizeof *v);
  mimic_status st = mimic_codec_parse_action(c, r->label, a);
  if (st) {
    mimic_errctx("the vote %lld (item %s, %s) in the label log", (long long)r->id, r->item,
                 r->labeler ? r->labeler : "?");
    return st;
  }
  v->label = (int)a[0];
  v->id = r->id;
  const char *who = r->labeler && !strncmp(r->labeler, "web:", 4) ? r->labeler + 4 : r->labeler;
  snprintf(v->who, sizeof v->who, "%s", who ? who : "?");
  json_t *m = r->meta ? json_loads(r->meta, 0, NULL) : NULL;
  json_t *args = json_object_get(m, "arguments");
  if (json_is_object(args)) v->detail = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(m);
  return MIMIC_OK;
}

mimic_status web_votes_open(web *w, const mimic_codec *codec, mimic_labelstore *store,
                            const char *name) {
  int k = k_of(w);
  struct web_votes *V = mimic_calloc(1, sizeof *V, "the votes");
  if (!V) return MIMIC_ERR_NOMEM;
  V->codec = codec;
  V->store = store;
  w->votes = V;
  char *conf = mimic_asprintf("{\"agreement\":%d}", k), *was = NULL;
  bool resumed = false;
  mimic_status st =
      conf ? mimic_labelstore_session_open(store, name, "web-votes", conf, &V->session, &resumed)
           : MIMIC_ERR_NOMEM;
  if (!st && resumed) st = mimic_labelstore_session_config(store, V->session, &was);
  if (!st && resumed && (!was || strcmp(was, conf)))
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "session '%s' holds votes given with %s, not --web-agreement %d: resume it "
                    "with the same agreement",
                    name, was ? was : "no agreement", k);
  free(conf);
  free(was);
  if (!st) st = mimic_labelstore_fetch(store, V->session, &V->stored);
  if (st) web_votes_free(w);
  return st;
}

/* Counts the stored questions that have their K votes (the first K by id,
 * in the round of the K-th): at the first batch, when the codec knows its
 * labels. */
static mimic_status count_stored(web *w) {
  struct web_votes *V = w->votes;
  int k = k_of(w);
  mimic_status st = MIMIC_OK;
  V->counted = true;
  for (size_t i = 0; i < V->stored.n && !st; i++) {
    const mimic_label_record *r = &V->stored.r[i];
    bool first = true;
    for (size_t j = 0; j < i && first; j++) first = strcmp(V->stored.r[j].item, r->item) != 0;
    vote *v = first ? mimic_calloc((size_t)k, sizeof *v, "votes") : NULL;
    if (first && !v) st = MIMIC_ERR_NOMEM;
    int n = 0;
    int64_t round = 0;
    for (size_t j = i; first && !st && j < V->stored.n && n < k; j++)
      if (!strcmp(V->stored.r[j].item, r->item)) {
        st = vote_from_record(V->codec, &V->stored.r[j], &v[n++]);
        round = V->stored.r[j].round;
      }
    if (!st && n == k) st = count_complete(V, v, k, (int)round);
    for (int j = 0; v && j < n; j++) free(v[j].detail);
    free(v);
  }
  return st;
}

/* Hands question i's majority to the loop, which stores it (count: it has
 * just got its K-th vote, else its votes were counted when stored). */
static mimic_status settle(web *w, mimic_expert *e, const mimic_questions *q, mimic_answer *answers,
                           size_t i, size_t *open, bool count) {
  tally *t = &w->votes->t[i];
  int k = k_of(w), b = majority(t->v, k);
  mimic_answer *a = &answers[i];
  a->kind = MIMIC_ANSWER_ACTION;
  a->action[0] = (float)t->v[b].label;
  a->labeler = "web:majority";
  a->detail = t->v[b].detail ? mimic_strdup(t->v[b].detail) : NULL;
  if (t->v[b].detail && !a->detail) return MIMIC_ERR_NOMEM;
  mimic_status st = mimic_expert_deliver(e, q, i, a);
  free(a->detail); /* the loop took it unless it failed */
  a->detail = NULL;
  if (st) return st;
  w->items[i].state = 1;
  (*open)--;
  w->answered++;
  w->total++;
  return count ? count_complete(w->votes, t->v, k, q->round) : MIMIC_OK;
}

mimic_status web_votes_publish(web *w, mimic_expert *e, const mimic_questions *q,
                               mimic_answer *answers, size_t *open) {
  struct web_votes *V = w->votes;
  int k = k_of(w);
  web_votes_unpublish(w);
  if (!V->counted) MIMIC_TRY(count_stored(w));
  V->t = mimic_calloc(w->n_items ? w->n_items : 1, sizeof *V->t, "votes");
  if (!V->t) return MIMIC_ERR_NOMEM;
  V->n_t = w->n_items;
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < w->n_items && !st; i++) {
    tally *t = &V->t[i];
    t->v = mimic_calloc((size_t)k, sizeof *t->v, "votes");
    t->h = mimic_calloc((size_t)k, sizeof *t->h, "votes");
    if (!t->v || !t->h) st = MIMIC_ERR_NOMEM;
    for (size_t j = 0; !st && j < V->stored.n && t->n < k; j++)
      if (!strcmp(V->stored.r[j].item, w->items[i].id))
        st = vote_from_record(V->codec, &V->stored.r[j], &t->v[t->n++]);
    if (!st && t->n == k) st = settle(w, e, q, answers, i, open, false);
  }
  return st;
}

/* Drops holds older than the lease (the labeler went quiet). */
static void drop_stale(tally *t, double now) {
  int n = 0;
  for (int i = 0; i < t->n_h; i++)
    if (now - t->h[i].handed <= WEB_LEASE_S) t->h[n++] = t->h[i];
  t->n_h = n;
}

static int hold_of(const tally *t, const char *who) {
  for (int i = 0; i < t->n_h; i++)
    if (!strcmp(t->h[i].who, who)) return i;
  return -1;
}

static void unhold(tally *t, int h) {
  if (h < 0) return;
  memmove(t->h + h, t->h + h + 1, (size_t)(t->n_h - h - 1) * sizeof *t->h);
  t->n_h--;
}

static bool passed(const tally *t, const char *who) {
  for (size_t i = 0; i < t->n_passed; i++)
    if (!strcmp(t->passed[i], who)) return true;
  return false;
}

web_item *web_votes_hand_out(web *w, const char *labeler) {
  struct web_votes *V = w->votes;
  if (!w->active || !V || !V->t) return NULL;
  double now = mimic_now();
  size_t spare = SIZE_MAX;
  for (size_t i = 0; i < w->n_items; i++) {
    tally *t = &V->t[i];
    if (w->items[i].state || vote_of(t, labeler) >= 0 || passed(t, labeler)) continue;
    drop_stale(t, now);
    if (hold_of(t, labeler) >= 0) return &w->items[i];
    if (spare == SIZE_MAX && t->n + t->n_h < k_of(w)) spare = i;
  }
  if (spare == SIZE_MAX) return NULL;
  tally *t = &V->t[spare];
  snprintf(t->h[t->n_h].who, sizeof t->h[0].who, "%s", labeler);
  t->h[t->n_h++].handed = now;
  return &w->items[spare];
}

static void count_vote(web *w, const char *who, int by) {
  json_t *n = json_object_get(w->labelers, who);
  json_object_set_new(w->labelers, who, json_integer((n ? json_integer_value(n) : 0) + by));
}

static void reply(web_msg *m, json_t *j) {
  m->reply = j ? json_dumps(j, JSON_COMPACT) : NULL;
  m->code = 200;
  json_decref(j);
}

/* Takes back who's vote on the item the request names, else their latest. */
static mimic_status undo_vote(web *w, const char *who, web_msg *m) {
  struct web_votes *V = w->votes;
  json_t *jid = json_object_get(m->body, "item");
  const char *id = json_string_value(jid);
  size_t at = SIZE_MAX;
  int at_v = -1;
  if (jid && !id) {
    web_refuse(m, 400, "\"item\" must be the id of a question (a string)");
    return MIMIC_OK;
  }
  for (size_t i = 0; i < w->n_items; i++) {
    int v = vote_of(&V->t[i], who);
    if (id ? !strcmp(w->items[i].id, id)
           : v >= 0 && (at == SIZE_MAX || V->t[i].v[v].id > V->t[at].v[at_v].id)) {
      at = i;
      at_v = v;
    }
  }
  if (id && at == SIZE_MAX) {
    web_refuse(m, 404, "no open question has item id '%.200s'", id);
  } else if (at == SIZE_MAX || at_v < 0) {
    web_refuse(m, 409, "%s has no vote %s%.200s%s to take back: undo takes back only your own vote",
               who, id ? "on item '" : "in this batch", id ? id : "", id ? "'" : "");
  } else if (w->items[at].state) {
    web_refuse(m, 409,
               "item '%.200s' has all its %d votes and its majority is stored: it cannot be "
               "taken back",
               w->items[at].id, k_of(w));
  } else {
    tally *t = &V->t[at];
    MIMIC_TRY(mimic_labelstore_undo_id(V->store, V->session, t->v[at_v].id));
    free(t->v[at_v].detail);
    memmove(t->v + at_v, t->v + at_v + 1, (size_t)(t->n - at_v - 1) * sizeof *t->v);
    t->n--;
    count_vote(w, who, -1);
    drop_stale(t, mimic_now());
    if (t->n + t->n_h < k_of(w)) { /* asked again of the same person */
      snprintf(t->h[t->n_h].who, sizeof t->h[0].who, "%s", who);
      t->h[t->n_h++].handed = mimic_now();
    }
    reply(m, json_pack("{s:b, s:s}", "ok", 1, "undone", w->items[at].id));
  }
  return MIMIC_OK;
}

/* Stores who's vote for question i (the request's label and arguments). */
static mimic_status add_vote(web *w, const mimic_questions *q, size_t i, const char *who,
                             web_msg *m) {
  struct web_votes *V = w->votes;
  const mimic_codec *c = V->codec;
  json_t *v, *args;
  float a[1];
  if (!web_label_and_arguments(c, m, &v, &args)) return MIMIC_OK;
  if (mimic_codec_action_from_json(c, v, "label", a)) {
    web_refuse(m, 400, "%s", mimic_errmsg());
    return MIMIC_OK;
  }
  vote nv = {.label = (int)a[0]};
  snprintf(nv.who, sizeof nv.who, "%s", who);
  char labeler[WEB_NAME_MAX + 8];
  snprintf(labeler, sizeof labeler, "web:%s", who);
  mimic_label_record r = {.session = V->session,
                          .item = w->items[i].id,
                          .text =
                              c->state_text ? c->state_text(c, q, i) : mimic_strdup(w->items[i].id),
                          .label = mimic_codec_action_text(c, a),
                          .labeler = labeler,
                          .round = q->round};
  if (args) nv.detail = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
  if (nv.detail) r.meta = mimic_asprintf("{\"arguments\":%s}", nv.detail);
  mimic_status st =
      !r.text || !r.label || (args && !r.meta) ? mimic_fail_nomem("a vote") : MIMIC_OK;
  if (!st) st = mimic_labelstore_add(V->store, &r, NULL, &nv.id);
  tally *t = &V->t[i];
  if (!st) {
    t->v[t->n++] = nv;
    unhold(t, hold_of(t, who));
    count_vote(w, who, 1);
    reply(m, json_pack("{s:b, s:s, s:s, s:i, s:i}", "ok", 1, "item", w->items[i].id, "label",
                       r.label, "votes", t->n, "of", k_of(w)));
  } else {
    free(nv.detail);
  }
  free(r.text);
  free(r.label);
  free(r.meta);
  return st;
}

mimic_status web_votes_handle(web *w, mimic_expert *e, const mimic_questions *q,
                              mimic_answer *answers, const char *who, web_msg *m, size_t *open) {
  struct web_votes *V = w->votes;
  if (m->op == WEB_UNDO) return undo_vote(w, who, m);
  size_t i;
  if (!web_find_item(w, m, &i)) return MIMIC_OK;
  const char *id = w->items[i].id;
  tally *t = &V->t[i];
  int k = k_of(w);
  drop_stale(t, mimic_now());
  int h = hold_of(t, who);
  if (w->items[i].state) {
    web_refuse(m, 409, "item '%.200s' is already answered (it has its %d votes)", id, k);
  } else if (vote_of(t, who) >= 0) {
    web_refuse(m, 409, "%s has already voted on item '%.200s' (undo takes that vote back)", who,
               id);
  } else if (h < 0 && t->n + t->n_h >= k) {
    web_refuse(m, 409, "item '%.200s' was handed to %d other labelers", id, t->n_h);
  } else if (m->op == WEB_SKIP && q->must_act) {
    web_refuse(m, 409, "this state needs an action now: it cannot be skipped");
  } else if (m->op == WEB_SKIP) { /* a pass: others are still asked */
    MIMIC_TRY(
        mimic_grow(&t->passed, &t->cap_passed, t->n_passed + 1, sizeof *t->passed, 4, "passes"));
    snprintf(t->passed[t->n_passed++], sizeof t->passed[0], "%s", who);
    unhold(t, h);
    reply(m, json_pack("{s:b, s:s}", "ok", 1, "passed", id));
  } else {
    MIMIC_TRY(add_vote(w, q, i, who, m));
    if (m->code == 200 && t->n == k) return settle(w, e, q, answers, i, open, true);
  }
  return MIMIC_OK;
}
