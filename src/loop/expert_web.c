/* People at a labeling page as the expert (docs/web-expert.md).
 *
 * label() publishes the batch's questions (the codec's request for each,
 * the action names, the learner's suggestion and, for environments, the
 * frame as PNG) and then handles, one at a time on the loop's thread, the
 * changes the HTTP side queues (loop/web.h): an answer or a skip is checked
 * here (the item is open and held by nobody else, the label is one of the
 * space's) and handed to the loop through mimic_expert_deliver, which
 * stores it before the reply goes back, so a labeler's next question is
 * asked only after their answer is on disk. Several labelers get distinct
 * questions because a question is handed to one labeler at a time.
 *
 * Undo takes back the batch's latest answer or skip, and only its own
 * labeler may: with several people at once, "the previous answer" is
 * somebody's, and taking back another person's work silently would lose it.
 * A question answered before a restart was stored then and is not asked
 * again; the label log's resume replays it. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "loop/transport.h"
#include "loop/web.h"

typedef struct web_expert {
  web w;
  size_t *stack;                       /* the batch's answers and skips, in order */
  char (*stack_who)[WEB_NAME_MAX + 1]; /* and who gave them */
  size_t n_stack, stack_cap;
  char labeler[WEB_NAME_MAX + 8]; /* "web:NAME" of the answer being stored */
} web_expert;

static void items_free(web *w) {
  web_votes_unpublish(w);
  for (size_t i = 0; i < w->n_items; i++) {
    free(w->items[i].id);
    free(w->items[i].json);
    free(w->items[i].png);
  }
  free(w->items);
  w->items = NULL;
  w->n_items = 0;
}

/* The environment's frame as PNG (NULL when it draws none). */
static void frame_png(mimic_env *env, web_item *it) {
  int fw = 0, fh = 0;
  if (mimic_env_render_rgb(env, NULL, &fw, &fh) || fw <= 0 || fh <= 0) return;
  uint8_t *rgb = malloc((size_t)fw * (size_t)fh * 3);
  if (rgb && !mimic_env_render_rgb(env, rgb, &fw, &fh))
    (void)mimic_png_encode_rgb(rgb, fw, fh, &it->png, &it->png_len);
  free(rgb);
}

/* Question i as the page gets it. */
static mimic_status item_json(const mimic_codec *c, const mimic_questions *q, size_t i,
                              web_item *it) {
  json_t *state = json_object(), *actions = json_array();
  mimic_status st = state && actions ? MIMIC_OK : mimic_fail_nomem("a question");
  if (!st && c->request_shared) st = c->request_shared(c, q, state);
  if (!st) st = c->request(c, q, i, state);
  json_object_del(state, "labels"); /* the item's "actions" has them */
  json_object_del(state, "actions");
  if (!st && q->envs && q->envs[i] &&
      c->show) { /* the mission and the picture, as a person reads them */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
      bool shown = c->show(c, q, i, f) == MIMIC_OK;
      if (!fclose(f) && shown && text) json_object_set_new(state, "shown", json_string(text));
    }
    free(text);
  }
  if (it->png) json_object_del(state, "observation"); /* the frame shows it */
  int n = mimic_codec_n_names(c) > c->space.n ? mimic_codec_n_names(c) : c->space.n;
  for (int k = 0; !st && k < n; k++) {
    char *name = mimic_asprintf("%d", k);
    json_array_append_new(actions, json_string(k < mimic_codec_n_names(c) ? c->name(c, k) : name));
    free(name);
  }
  int width = mimic_space_width(&c->space);
  json_t *suggested = json_null(), *conf = json_null();
  if (q->guess && !isnan(q->guess[i * (size_t)width])) {
    int k = (int)q->guess[i * (size_t)width];
    if (k >= 0 && k < n) suggested = json_incref(json_array_get(actions, (size_t)k));
    if (q->guess_conf && isfinite(q->guess_conf[i])) conf = json_real(q->guess_conf[i]);
  }
  json_t *item =
      st ? NULL
         : json_pack("{s:s, s:s, s:s, s:O, s:O, s:o, s:o, s:b, s:b, s:i}", "id", it->id, "kind",
                     c->kind, "noun", c->noun ? c->noun : "action", "state", state, "actions",
                     actions, "suggested", suggested, "confidence", conf, "must_act", q->must_act,
                     "frame", it->png != NULL, "number", (int)(q->number + i));
  if (!st && !item) st = mimic_fail_nomem("a question");
  if (!st && c->space.kind == MIMIC_SPACE_BOX) st = web_box_fields(c, q, i, item);
  if (!st && !(it->json = json_dumps(item, JSON_COMPACT))) st = mimic_fail_nomem("a question");
  json_decref(item);
  json_decref(state);
  json_decref(actions);
  return st;
}

/* Publishes q's questions for the page. */
static mimic_status publish(web_expert *x, const mimic_codec *c, const mimic_questions *q) {
  web_item *items = mimic_calloc(q->n ? q->n : 1, sizeof *items, "questions");
  if (!items) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < q->n && !st; i++) {
    items[i].id = q->keys ? mimic_strdup(q->keys[i]) : mimic_asprintf("q%zu", q->number + i);
    if (!items[i].id) st = mimic_fail_nomem("a question");
    if (!st && c->picture)
      st = c->picture(c, q, i, &items[i].png, &items[i].png_len);
    else if (!st && q->envs && q->envs[i])
      frame_png(q->envs[i], &items[i]);
    if (!st) st = item_json(c, q, i, &items[i]);
  }
  web *w = &x->w;
  pthread_mutex_lock(&w->mu);
  items_free(w);
  w->items = items;
  w->n_items = q->n;
  if (st) items_free(w);
  w->round = q->round;
  w->rounds = q->rounds;
  w->count = q->count;
  w->answered = q->number ? q->number - 1 : 0;
  w->active = !st;
  pthread_mutex_unlock(&w->mu);
  return st;
}

/* shared with agreement mode (web_vote.c) */

void web_refuse(web_msg *m, int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *j = json_pack("{s:s}", "error", msg);
  m->reply = j ? json_dumps(j, JSON_COMPACT) : NULL;
  m->code = code;
  json_decref(j);
}

static void count_labeler(web *w, const char *who, int by) {
  json_t *n = json_object_get(w->labelers, who);
  json_object_set_new(w->labelers, who, json_integer((n ? json_integer_value(n) : 0) + by));
  w->answered = (size_t)((long)w->answered + by);
}

/* The reply {"ok": true, key: id}. */
static void done(web_msg *m, const char *key, const char *id, const char *label) {
  json_t *j = json_pack("{s:b, s:s, s:s*}", "ok", 1, key, id, "label", label);
  m->reply = j ? json_dumps(j, JSON_COMPACT) : NULL;
  m->code = 200;
  json_decref(j);
}

/* Takes back the batch's latest answer, if it is who's (w->mu held). */
static mimic_status handle_undo(mimic_expert *e, web_expert *x, const mimic_questions *q,
                                mimic_answer *answers, const char *who, web_msg *m, size_t *open) {
  web *w = &x->w;
  size_t n = x->n_stack;
  if (q->must_act) {
    web_refuse(m, 409, "these states need an action now: nothing can be taken back");
  } else if (!n) {
    web_refuse(m, 409, "nothing answered in this batch to take back");
  } else if (strcmp(x->stack_who[n - 1], who)) {
    web_refuse(m, 409, "the latest answer is %s's: undo takes back only your own latest answer",
               x->stack_who[n - 1]);
  } else {
    size_t i = x->stack[n - 1];
    answers[i].kind = MIMIC_ANSWER_UNDO;
    MIMIC_TRY(mimic_expert_deliver(e, q, i, &answers[i]));
    x->n_stack--;
    web_item *it = &w->items[i];
    if (it->state == 1) count_labeler(w, who, -1);
    w->total--;
    it->state = 0;
    snprintf(it->holder, sizeof it->holder, "%s", who); /* asked again, of the same person */
    it->handed = mimic_now();
    (*open)++;
    done(m, "undone", it->id, NULL);
  }
  return MIMIC_OK;
}

/* An answer or a skip of who's for the item the request names (w->mu held). */
bool web_label_and_arguments(const mimic_codec *c, web_msg *m, json_t **label, json_t **args) {
  *label = json_object_get(m->body, "label");
  *args = json_object_get(m->body, "arguments");
  if (!*label) {
    web_refuse(m, 400, "\"label\" is missing (the %s's name)", c->noun ? c->noun : "action");
    return false;
  }
  if (*args && !json_is_object(*args)) {
    web_refuse(m, 400, "\"arguments\" must be a JSON object");
    return false;
  }
  return true;
}

bool web_find_item(web *w, web_msg *m, size_t *index) {
  const char *id = json_string_value(json_object_get(m->body, "item"));
  size_t i = 0;
  while (id && i < w->n_items && strcmp(w->items[i].id, id)) i++;
  if (!id) {
    web_refuse(m, 400, "\"item\" must be the id of a question (a string)");
    return false;
  }
  if (i == w->n_items) {
    web_refuse(m, 404, "no open question has item id '%.200s'", id);
    return false;
  }
  *index = i;
  return true;
}

static mimic_status handle_answer(mimic_expert *e, web_expert *x, const mimic_questions *q,
                                  mimic_answer *answers, const char *who, web_msg *m,
                                  size_t *open) {
  web *w = &x->w;
  const mimic_codec *c = e->codec;
  size_t i;
  if (!web_find_item(w, m, &i)) return MIMIC_OK;
  const char *id = w->items[i].id;
  web_item *it = &w->items[i];
  if (it->state) {
    web_refuse(m, 409, "item '%.200s' is already %s", id, it->state == 1 ? "answered" : "skipped");
    return MIMIC_OK;
  }
  if (it->holder[0] && strcmp(it->holder, who) && mimic_now() - it->handed <= WEB_LEASE_S) {
    web_refuse(m, 409, "item '%.200s' was handed to %s", id, it->holder);
    return MIMIC_OK;
  }
  mimic_answer *a = &answers[i];
  a->detail = NULL;
  snprintf(x->labeler, sizeof x->labeler, "web:%s", who);
  a->labeler = x->labeler;
  if (m->op == WEB_SKIP) {
    if (q->must_act) {
      web_refuse(m, 409, "this state needs an action now: it cannot be skipped");
      return MIMIC_OK;
    }
    a->kind = MIMIC_ANSWER_SKIP;
  } else {
    json_t *v, *args;
    if (!web_label_and_arguments(c, m, &v, &args)) return MIMIC_OK;
    if (web_action_from_json(c, v, a->action)) {
      web_refuse(m, 400, "%s", mimic_errmsg());
      return MIMIC_OK;
    }
    if (args && !(a->detail = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS)))
      return mimic_fail_nomem("an answer");
    a->kind = MIMIC_ANSWER_ACTION;
  }
  mimic_status st = mimic_expert_deliver(e, q, i, a);
  free(a->detail); /* the loop took it unless it failed */
  a->detail = NULL;
  if (st) return st;
  it->state = a->kind == MIMIC_ANSWER_SKIP ? 2 : 1;
  x->stack[x->n_stack] = i;
  snprintf(x->stack_who[x->n_stack], sizeof x->stack_who[0], "%s", who);
  x->n_stack++;
  (*open)--;
  w->total++; /* answers and skips: a skipped question is one of a budget's too */
  if (it->state == 1) count_labeler(w, who, 1);
  char *label = it->state == 1 ? mimic_codec_action_text(c, a->action) : NULL;
  done(m, "item", id, label);
  free(label);
  return MIMIC_OK;
}

static mimic_status web_label(mimic_expert *e, const mimic_questions *q, mimic_answer *answers) {
  web_expert *x = e->impl;
  web *w = &x->w;
  if (q->n > x->stack_cap) {
    size_t cap = q->n;
    size_t *s = realloc(x->stack, cap * sizeof *s);
    if (s) x->stack = s;
    char(*who)[WEB_NAME_MAX + 1] = s ? realloc(x->stack_who, cap * sizeof *who) : NULL;
    if (who) x->stack_who = who;
    if (!s || !who) return mimic_fail_nomem("the page's questions");
    x->stack_cap = cap;
  }
  x->n_stack = 0;
  MIMIC_TRY(publish(x, e->codec, q));
  size_t open = q->n;
  mimic_status st = MIMIC_OK;
  pthread_mutex_lock(&w->mu);
  if (w->votes) st = web_votes_publish(w, e, q, answers, &open);
  while (open && !st) {
    while (!w->head) pthread_cond_wait(&w->to_loop, &w->mu);
    web_msg *m = w->head;
    if (!(w->head = m->next)) w->tail = NULL;
    const char *who = json_string_value(json_object_get(m->body, "labeler"));
    st = w->votes            ? web_votes_handle(w, e, q, answers, who, m, &open)
         : m->op == WEB_UNDO ? handle_undo(e, x, q, answers, who, m, &open)
                             : handle_answer(e, x, q, answers, who, m, &open);
    if (st) web_refuse(m, 500, "the answer could not be stored: %s", mimic_errmsg());
    web_msg_done(w, m);
    pthread_cond_broadcast(&w->to_http);
  }
  w->active = false;
  for (web_msg *m = w->head; m; m = m->next) {
    web_refuse(m, 409, "this batch of questions is closed: ask /api/next again");
    web_msg_done(w, m);
  }
  w->head = w->tail = NULL;
  pthread_cond_broadcast(&w->to_http);
  items_free(w);
  pthread_mutex_unlock(&w->mu);
  return st;
}

static void web_round_done(mimic_expert *e, int round, const char *metric, double value) {
  web *w = &((web_expert *)e->impl)->w;
  pthread_mutex_lock(&w->mu);
  json_array_append_new(w->history,
                        json_pack("{s:i, s:s, s:f}", "round", round, "metric", metric ? metric : "",
                                  "value", isfinite(value) ? value : 0.0));
  pthread_mutex_unlock(&w->mu);
}

void mimic_expert_web_budget(mimic_expert *e, long answered, long budget) {
  web *w = &((web_expert *)e->impl)->w;
  pthread_mutex_lock(&w->mu);
  w->total = answered;
  w->budget = budget;
  pthread_mutex_unlock(&w->mu);
}

static void web_free(mimic_expert *e) {
  web_expert *x = e->impl;
  if (!x) return;
  web_server_stop(&x->w);
  items_free(&x->w);
  web_votes_free(&x->w);
  json_decref(x->w.history);
  json_decref(x->w.labelers);
  free(x->stack);
  free(x->stack_who);
  free(x);
}

static const mimic_expert_class web_class = {
    .kind = "web", .label = web_label, .free_impl = web_free, .round_done = web_round_done};

mimic_status mimic_expert_web_votes(mimic_expert *e, mimic_labelstore *store, const char *session) {
  if (!e || e->cls != &web_class || ((web_expert *)e->impl)->w.agreement <= 1) return MIMIC_OK;
  web *w = &((web_expert *)e->impl)->w;
  if (e->codec->space.kind != MIMIC_SPACE_DISCRETE)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "--web-agreement %d takes the majority of discrete answers (labels, tools, "
                      "moves); this loop's actions are Box vectors",
                      w->agreement);
  if (!store)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "--web-agreement %d keeps every vote in the label log: this run has none",
                      w->agreement);
  char *name = mimic_asprintf("%s/votes", session);
  if (!name) return MIMIC_ERR_NOMEM;
  pthread_mutex_lock(&w->mu);
  web_votes_free(w);
  mimic_status st = web_votes_open(w, e->codec, store, name);
  pthread_mutex_unlock(&w->mu);
  free(name);
  return st;
}

mimic_status mimic_expert_web(const mimic_codec *codec, const char *bind, int port, int agreement,
                              mimic_expert **out) {
  *out = NULL;
  if (agreement < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "--web-agreement must be at least 1, got %d", agreement);
  if (agreement > 1 && codec->space.kind != MIMIC_SPACE_DISCRETE)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "--web-agreement %d takes a majority of labels, tools or moves; this "
                      "loop's actions are Box vectors, which have none",
                      agreement);
  web_expert *x = mimic_calloc(1, sizeof *x, "the labeling page");
  if (!x) return MIMIC_ERR_NOMEM;
  x->w.history = json_array();
  x->w.labelers = json_object();
  x->w.kind = codec->kind;
  x->w.agreement = agreement;
  mimic_status st = x->w.history && x->w.labelers ? web_server_start(&x->w, bind, port)
                                                  : mimic_fail_nomem("the labeling page");
  if (!st) st = mimic_expert_alloc(&web_class, codec, "web", out);
  if (st) {
    web_server_stop(&x->w);
    json_decref(x->w.history);
    json_decref(x->w.labelers);
    free(x);
    return st;
  }
  (*out)->impl = x;
  (*out)->person = true;
  (*out)->live = true;
  (*out)->streams = true;
  return MIMIC_OK;
}
