/* A program as the expert: JSON Lines over its stdin and stdout
 * (docs/expert-protocol.md), for every domain.
 *
 * Version 1, one state a message:
 *   request  {"id": 3, "kind": <the codec's kind>, ...shared fields..., ...the state's...}
 *   reply    {"id": 3, "action": ...}   (or "label": a name; + "arguments": {...})
 *            {"id": 3, "skip": true}
 * Version 2, many states a message, so a program can run one batched
 * predict: mimic's first request (always one state) also carries
 * "protocol": 2; a program that answers it with "protocol": 2 (and, if it
 * likes, "max_batch": K) is sent batches from then on:
 *   request  {"id": 4, "kind": ..., "protocol": 2, ...shared..., "batch": [{...state...}, ...]}
 *   reply    {"id": 4, "actions": [...]}   one answer per state, in order
 *            {"id": 4, "replies": [{"action": ...} | {"skip": true}, ...]}
 * A program that never says "protocol" keeps getting one state at a time,
 * so programs written for version 1 work unchanged.
 *
 * The transport (spawning without a shell, ids, timeouts, a program that
 * dies or prints garbage, {"error": ...}) is mimic_proc's; the state's
 * fields are the codec's. What is here is the reply: an action given as a
 * number, a list or a name goes through the codec (so it is checked
 * against the space and the names, and a name an open list has not seen
 * joins it), "arguments" must be an object and is kept as canonical JSON
 * (sorted keys, compact), and anything else is an error that quotes the
 * reply and names the item: guessing what a program meant would put a
 * wrong answer in the label log. */
#include <stdlib.h>
#include <string.h>

#include "mimic/expert.h"
#include "core/proc.h"
#include "loop/transport.h"

enum {
  PROTOCOL = 2,            /* the newest version mimic speaks */
  DEFAULT_MAX_BATCH = 256, /* for a version-2 program that names no limit */
  MAX_BATCH = 4096         /* the most states mimic puts in one message */
};

typedef struct program {
  mimic_proc *proc;
  int version; /* 1 until the program answers "protocol": 2 */
  bool greeted;
} program;

/* "expert program 'x': reply to request 4 (item pool.csv:7)", for messages. */
static void reply_name(const mimic_expert *e, const mimic_questions *q, size_t i, long id,
                       char *what, size_t cap) {
  const char *item = q->keys ? q->keys[i] : NULL;
  snprintf(what, cap, "expert program '%s': reply to request %ld%s%s%s", e->name + 4, id,
           item ? " (item " : "", item ? item : "", item ? ")" : "");
}

/* Reads one state's answer (an object with "action", "label" or "skip"). */
static mimic_status read_answer(mimic_expert *e, const json_t *reply, const char *what,
                                mimic_answer *a) {
  json_t *v = json_object_get(reply, "action");
  if (!v) v = json_object_get(reply, "label");
  if (!v && json_is_true(json_object_get(reply, "skip"))) {
    a->kind = MIMIC_ANSWER_SKIP;
    return MIMIC_OK;
  }
  if (!v) {
    char *text = json_dumps(reply, JSON_COMPACT);
    mimic_status st = mimic_fail(
        MIMIC_ERR_FORMAT, "%s has no \"action\" (or \"label\") and no \"skip\": true: %.120s", what,
        text ? text : "?");
    free(text);
    return st;
  }
  MIMIC_TRY(mimic_codec_action_from_json(e->codec, v, what, a->action));
  json_t *args = json_object_get(reply, "arguments");
  if (args && !json_is_null(args)) {
    if (!json_is_object(args))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: \"arguments\" must be a JSON object", what);
    a->detail = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
    if (!a->detail) return mimic_fail_nomem("an answer");
  }
  a->kind = MIMIC_ANSWER_ACTION;
  return MIMIC_OK;
}

/* A version-2 program's "protocol" and "max_batch" in its first reply. */
static mimic_status read_greeting(mimic_expert *e, program *p, const json_t *reply) {
  json_t *v = json_object_get(reply, "protocol");
  if (!v) return MIMIC_OK; /* version 1: one state at a time */
  if (!json_is_integer(v) || json_integer_value(v) < 1)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "expert program '%s': \"protocol\" must be 1 or 2 (the version it speaks)",
                      e->name + 4);
  p->version = json_integer_value(v) >= PROTOCOL ? PROTOCOL : 1;
  json_t *m = json_object_get(reply, "max_batch");
  json_int_t max = DEFAULT_MAX_BATCH;
  if (m && (!json_is_integer(m) || (max = json_integer_value(m)) < 1))
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "expert program '%s': \"max_batch\" must be a positive integer", e->name + 4);
  if (p->version == PROTOCOL) e->max_batch = max < MAX_BATCH ? (size_t)max : MAX_BATCH;
  return MIMIC_OK;
}

/* One state in one message (version 1, and the greeting). */
static mimic_status label_one(mimic_expert *e, program *p, const mimic_questions *q, size_t i,
                              mimic_answer *a) {
  json_t *req = json_object();
  if (!req) return mimic_fail_nomem("a request");
  json_object_set_new(req, "kind", json_string(e->codec->kind));
  bool greet = !p->greeted;
  if (greet) json_object_set_new(req, "protocol", json_integer(PROTOCOL));
  mimic_status st = MIMIC_OK;
  if (e->codec->request_shared) st = e->codec->request_shared(e->codec, q, req);
  if (!st) st = e->codec->request(e->codec, q, i, req);
  json_t *reply = NULL;
  if (!st) st = mimic_proc_request(p->proc, req, &reply);
  long id = (long)json_integer_value(json_object_get(req, "id"));
  json_decref(req);
  p->greeted = true;
  char what[256];
  reply_name(e, q, i, id, what, sizeof what);
  if (!st && greet) st = read_greeting(e, p, reply);
  if (!st) st = read_answer(e, reply, what, a);
  json_decref(reply);
  return st;
}

/* Every state of q in one message (version 2). */
static mimic_status label_batch(mimic_expert *e, program *p, const mimic_questions *q,
                                mimic_answer *answers) {
  json_t *req = json_object(), *batch = json_array();
  if (!req || !batch) {
    json_decref(req);
    json_decref(batch);
    return mimic_fail_nomem("a request");
  }
  json_object_set_new(req, "kind", json_string(e->codec->kind));
  json_object_set_new(req, "protocol", json_integer(PROTOCOL));
  mimic_status st = MIMIC_OK;
  if (e->codec->request_shared) st = e->codec->request_shared(e->codec, q, req);
  for (size_t i = 0; i < q->n && !st; i++) {
    json_t *item = json_object();
    st = item ? e->codec->request(e->codec, q, i, item) : mimic_fail_nomem("a request");
    if (item) json_array_append_new(batch, item);
  }
  json_object_set_new(req, "batch", batch);
  json_t *reply = NULL;
  if (!st) st = mimic_proc_request(p->proc, req, &reply);
  long id = (long)json_integer_value(json_object_get(req, "id"));
  json_decref(req);
  if (st) return st;
  json_t *list = json_object_get(reply, "replies");
  bool objects = list != NULL;
  if (!list) list = json_object_get(reply, "actions");
  if (!list) list = json_object_get(reply, "labels");
  char what[256];
  reply_name(e, q, 0, id, what, sizeof what);
  if (!json_is_array(list) || json_array_size(list) != q->n) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "expert program '%s': reply to request %ld must hold \"actions\" (or "
                    "\"replies\") with one entry for each of its %zu states%s",
                    e->name + 4, id, q->n, json_is_array(list) ? ", and holds another number" : "");
    json_decref(reply);
    return st;
  }
  for (size_t i = 0; i < q->n && !st; i++) {
    json_t *v = json_array_get(list, i);
    reply_name(e, q, i, id, what, sizeof what);
    size_t len = strlen(what);
    snprintf(what + len, sizeof what - len, ", state %zu of %zu", i + 1, q->n);
    if (objects && !json_is_object(v))
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: each of \"replies\" must be an object", what);
    else if (objects)
      st = read_answer(e, v, what, &answers[i]);
    else if ((st = mimic_codec_action_from_json(e->codec, v, what, answers[i].action)) == MIMIC_OK)
      answers[i].kind = MIMIC_ANSWER_ACTION;
  }
  json_decref(reply);
  return st;
}

static mimic_status program_label(mimic_expert *e, const mimic_questions *q,
                                  mimic_answer *answers) {
  program *p = e->impl;
  size_t i = 0;
  if (!p->greeted && q->n > 0) MIMIC_TRY(label_one(e, p, q, i++, &answers[0]));
  if (p->version < PROTOCOL) {
    for (; i < q->n; i++) MIMIC_TRY(label_one(e, p, q, i, &answers[i]));
    return MIMIC_OK;
  }
  if (i == q->n) return MIMIC_OK;
  mimic_questions rest = mimic_questions_slice(q, i, q->n - i, mimic_space_width(&e->codec->space));
  return label_batch(e, p, &rest, answers + i);
}

static void program_free(mimic_expert *e) {
  program *p = e->impl;
  if (p) mimic_proc_stop(p->proc);
  free(p);
}

static const mimic_expert_class program_class = {
    .kind = "program", .label = program_label, .free_impl = program_free};

mimic_status mimic_expert_program(const char *cmdline, const mimic_codec *codec, double timeout_s,
                                  mimic_expert **out) {
  *out = NULL;
  if (!codec->request)
    return mimic_fail(MIMIC_ERR_INVALID, "these states cannot be sent to a program");
  char name[160];
  snprintf(name, sizeof name, "cmd:%s", cmdline);
  MIMIC_TRY(mimic_expert_alloc(&program_class, codec, name, out));
  program *p = mimic_calloc(1, sizeof *p, "an expert program");
  mimic_status st =
      p ? mimic_proc_start(cmdline, "expert program", timeout_s, &p->proc) : MIMIC_ERR_NOMEM;
  if (p) p->version = 1;
  (*out)->impl = p;
  if (st) {
    mimic_expert_free(*out);
    *out = NULL;
  }
  return st;
}
