/* Corrections: an expert's answer for an agent state, in the label store.
 *
 * A correction is one label-store record (mimic/labelstore.h): `text` is the
 * state as compact JSON, `label` the action, `meta` a JSON object
 * {"kind": "agent", "arguments": {...}, ...} (the marker lets a store shared
 * with the text loop be read back safely), committed before the call
 * returns. Reading them back turns each record into an example that owns
 * its strings; a record whose state or meta does not parse is an error
 * naming its id, never silently dropped.
 *
 * This file also reads "states files" for DAgger and the CLI: JSON Lines of
 * states (optionally with "id"), or of whole mimic traces. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "loop/label_log.h"

mimic_status mimic_agent_store_correction(mimic_labelstore *store, int64_t session,
                                          const mimic_agent_state *s, const char *action,
                                          const char *arguments, const char *labeler, int64_t round,
                                          const char *extra_meta, int64_t *id) {
  if (!action || !*action) return mimic_fail(MIMIC_ERR_INVALID, "a correction needs an action");
  json_t *meta = NULL, *state = mimic_agent_state_to_json(s);
  if (!state) return MIMIC_ERR_NOMEM;
  if (extra_meta) {
    json_error_t err;
    meta = json_loads(extra_meta, 0, &err);
    if (!json_is_object(meta)) {
      json_decref(meta);
      json_decref(state);
      return mimic_fail(MIMIC_ERR_INVALID, "correction meta must be a JSON object");
    }
  } else {
    meta = json_object();
  }
  mimic_status st = MIMIC_OK;
  if (!meta || json_object_set_new(meta, "kind", json_string("agent"))) st = MIMIC_ERR_NOMEM;
  if (!st && arguments) {
    json_t *a = json_loads(arguments, 0, NULL);
    if (!json_is_object(a)) {
      json_decref(a);
      st = mimic_fail(MIMIC_ERR_INVALID, "correction arguments must be a JSON object");
    } else if (json_object_set_new(meta, "arguments", a)) {
      st = MIMIC_ERR_NOMEM;
    }
  }
  char *text = NULL, *mtext = NULL;
  if (!st) {
    text = json_dumps(state, JSON_COMPACT);
    mtext = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text || !mtext) st = mimic_fail_nomem("a correction");
  }
  if (!st) {
    mimic_label_record r = {0};
    r.session = session;
    r.text = text;
    r.label = (char *)action;
    r.labeler = (char *)(labeler ? labeler : "expert");
    r.round = round;
    r.meta = mtext;
    json_t *item = json_object_get(meta, "item");
    r.item = json_is_string(item) ? (char *)json_string_value(item) : NULL;
    st = mimic_labelstore_add(store, &r, NULL, id);
  }
  free(text);
  free(mtext);
  json_decref(meta);
  json_decref(state);
  return st;
}

mimic_status mimic_agent_examples_add_store(mimic_agent_examples *e, mimic_labelstore *store,
                                            int64_t session) {
  mimic_label_list l = {0};
  MIMIC_TRY(mimic_labelstore_fetch(store, session, &l));
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < l.n && !st; i++) {
    const mimic_label_record *r = &l.r[i];
    json_t *meta = r->meta ? json_loads(r->meta, 0, NULL) : NULL;
    const char *kind = json_string_value(json_object_get(meta, "kind"));
    if (!kind || strcmp(kind, "agent")) {
      json_decref(meta);
      if (session == 0) continue; /* another loop's label in a shared store */
      st = mimic_fail(MIMIC_ERR_FORMAT, "label %lld is not an agent correction", (long long)r->id);
      break;
    }
    json_error_t err;
    json_t *sj = json_loads(r->text ? r->text : "", 0, &err);
    mimic_agent_state_buf sb;
    st = sj ? mimic_agent_state_from_json(sj, &sb)
            : mimic_fail(MIMIC_ERR_FORMAT, "state is not JSON: %s", err.text);
    if (!st) {
      json_t *args = json_object_get(meta, "arguments");
      char *at = json_is_object(args) ? agent_json_canon(args) : NULL;
      char tid[48];
      snprintf(tid, sizeof tid, "correction:%lld", (long long)r->id);
      st = mimic_agent_examples_add_copy(e, &sb.s, r->label, at, tid, sb.s.n_previous);
      free(at);
      mimic_agent_state_buf_free(&sb);
    }
    if (st) mimic_errctx("label %lld", (long long)r->id);
    json_decref(sj);
    json_decref(meta);
  }
  mimic_label_list_free(&l);
  return st;
}

/* ---- states files ------------------------------------------------------- */

typedef struct states_ctx {
  mimic_agent_examples *out;
  const char *path;
} states_ctx;

static mimic_status states_line(void *vc, const char *line, size_t len, int64_t lineno) {
  states_ctx *c = vc;
  json_error_t err;
  json_t *o = json_loadb(line, len, 0, &err);
  if (!o)
    return mimic_fail(MIMIC_ERR_FORMAT, "line %lld: not valid JSON: %s", (long long)lineno,
                      err.text);
  mimic_status st = MIMIC_OK;
  if (json_object_get(o, "steps")) { /* a whole trace: all its states */
    mimic_agent_trace t;
    char field[128];
    st = mimic_agent_trace_from_json(o, &t, field, sizeof field);
    if (st) {
      mimic_errctx("line %lld: %s", (long long)lineno, field);
    } else {
      mimic_agent_traces one = {1, &t, 0, NULL};
      mimic_agent_examples tmp = {0};
      st = mimic_agent_examples_add_traces(&tmp, &one, NULL);
      for (size_t i = 0; i < tmp.n && !st; i++)
        st = mimic_agent_examples_add_copy(c->out, &tmp.ex[i].state, tmp.ex[i].action,
                                           tmp.ex[i].arguments, tmp.ex[i].trace_id, tmp.ex[i].step);
      mimic_agent_examples_free(&tmp);
      mimic_agent_trace_free(&t);
    }
  } else {
    mimic_agent_state_buf sb;
    st = mimic_agent_state_from_json(o, &sb);
    if (st) {
      mimic_errctx("line %lld", (long long)lineno);
    } else {
      json_t *id = json_object_get(o, "id");
      char tid[64];
      if (json_is_string(id))
        snprintf(tid, sizeof tid, "%s", json_string_value(id));
      else if (json_is_integer(id))
        snprintf(tid, sizeof tid, "%lld", (long long)json_integer_value(id));
      else
        snprintf(tid, sizeof tid, "line%lld", (long long)lineno);
      json_t *act = json_object_get(o, "action");
      st = mimic_agent_examples_add_copy(c->out, &sb.s,
                                         json_is_string(act) ? json_string_value(act) : NULL, NULL,
                                         tid, sb.s.n_previous);
      mimic_agent_state_buf_free(&sb);
    }
  }
  json_decref(o);
  return st;
}

mimic_status mimic_agent_states_read(const char *path, mimic_agent_examples *out) {
  char *buf;
  size_t len;
  MIMIC_TRY(mimic_read_file(path, &buf, &len));
  states_ctx c = {out, path};
  mimic_status st = agent_each_line(buf, len, states_line, &c);
  free(buf);
  if (st) mimic_errctx("%s", path);
  return st;
}
