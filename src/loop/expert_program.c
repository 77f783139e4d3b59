/* A program as the expert: JSON Lines over its stdin and stdout
 * (docs/expert-protocol.md), for every domain.
 *
 *   request  {"id": 3, "kind": <the codec's kind>, ...the codec's fields...}
 *   reply    {"id": 3, "action": ...}   (or "label": a name; + "arguments": {...})
 *            {"id": 3, "skip": true}
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
#include "loop/proc.h"
#include "loop/transport.h"

typedef struct program {
  mimic_proc *proc;
} program;

/* Reads one reply into an answer. */
static mimic_status read_reply(mimic_expert *e, const mimic_questions *q, size_t i, long id,
                               const json_t *reply, mimic_answer *a) {
  const char *item = q->keys ? q->keys[i] : NULL;
  json_t *v = json_object_get(reply, "action");
  if (!v) v = json_object_get(reply, "label");
  if (!v && json_is_true(json_object_get(reply, "skip"))) {
    a->kind = MIMIC_ANSWER_SKIP;
    return MIMIC_OK;
  }
  char what[160];
  snprintf(what, sizeof what, "expert program '%s': reply to request %ld%s%s", e->name + 4, id,
           item ? " (item " : "", item ? item : "");
  if (item) strncat(what, ")", sizeof what - strlen(what) - 1);
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

static mimic_status program_label(mimic_expert *e, const mimic_questions *q,
                                  mimic_answer *answers) {
  program *p = e->impl;
  for (size_t i = 0; i < q->n; i++) {
    json_t *req = json_object();
    if (!req) return mimic_fail_nomem("a request");
    json_object_set_new(req, "kind", json_string(e->codec->kind));
    mimic_status st = e->codec->request(e->codec, q, i, req);
    json_t *reply = NULL;
    if (st == MIMIC_OK) st = mimic_proc_request(p->proc, req, &reply);
    long id = (long)json_integer_value(json_object_get(req, "id"));
    json_decref(req);
    if (st == MIMIC_OK) st = read_reply(e, q, i, id, reply, &answers[i]);
    json_decref(reply);
    if (st) return st;
  }
  return MIMIC_OK;
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
  mimic_status st = p ? mimic_proc_start(cmdline, timeout_s, &p->proc) : MIMIC_ERR_NOMEM;
  (*out)->impl = p;
  if (st) {
    mimic_expert_free(*out);
    *out = NULL;
  }
  return st;
}
