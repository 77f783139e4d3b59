/* mimic's trace format: one trajectory per line of JSON Lines.
 *
 *   {"id": "t1", "task": "12", "intent": "order_status",
 *    "request": "Where is my order?",
 *    "steps": [{"thought": "...", "action": {"tool": "search_orders",
 *                                            "arguments": {"email": "a@b.c"}},
 *               "observation": "[{\"order_id\": 7}]"},
 *              {"action": {"reply": "It ships tomorrow."}}],
 *    "outcome": "success", "reward": 1.0}
 *
 * The schema is docs/agent-trace.schema.json. Reading is forgiving per
 * record and strict per field: a record with a wrong field is reported
 * (line and JSON path: "line 7: steps[2].action.tool: must be a string")
 * and skipped, the other records load. Arguments are kept as canonical
 * JSON text (compact, keys sorted), so two argument objects are equal
 * exactly when their texts are; this is what "arguments exactly right"
 * compares. This file also holds the format dispatch of
 * mimic_agent_traces_read and the small helpers the importers share. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "core/util.h"

/* ---- helpers ------------------------------------------------------------ */

mimic_status agent_problem_add(mimic_agent_traces *t, int64_t line, int64_t record,
                               const char *field, const char *fmt, ...) {
  if (t->n_problems % 16 == 0) {
    void *p = mimic_realloc(t->problems, t->n_problems + 16, sizeof *t->problems, "problems");
    if (!p) return MIMIC_ERR_NOMEM;
    t->problems = p;
  }
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  mimic_agent_problem *p = &t->problems[t->n_problems];
  p->line = line;
  p->record = record;
  p->field = mimic_strdup(field ? field : "");
  p->message = mimic_strdup(msg);
  if (!p->field || !p->message) {
    free(p->field);
    free(p->message);
    return MIMIC_ERR_NOMEM;
  }
  t->n_problems++;
  return MIMIC_OK;
}

mimic_status agent_traces_push(mimic_agent_traces *t, mimic_agent_trace *tr) {
  if ((t->n & (t->n - 1)) == 0) { /* grow at powers of two */
    size_t cap = t->n ? t->n * 2 : 16;
    void *p = mimic_realloc(t->t, cap, sizeof *t->t, "traces");
    if (!p) return MIMIC_ERR_NOMEM;
    t->t = p;
  }
  t->t[t->n++] = *tr;
  memset(tr, 0, sizeof *tr);
  return MIMIC_OK;
}

char *agent_json_canon(const json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  if (!s) mimic_fail_nomem("JSON text");
  return s;
}

char *agent_json_text(const json_t *v) {
  if (json_is_string(v)) return mimic_strdup(json_string_value(v));
  return agent_json_canon(v);
}

mimic_status agent_each_line(const char *buf, size_t len, agent_line_fn fn, void *ctx) {
  int64_t lineno = 0;
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && buf[j] != '\n') j++;
    lineno++;
    size_t e = j;
    if (e > i && buf[e - 1] == '\r') e--;
    size_t k = i;
    while (k < e && (buf[k] == ' ' || buf[k] == '\t')) k++;
    if (k < e) MIMIC_TRY(fn(ctx, buf + i, e - i, lineno));
    i = j + 1;
  }
  return MIMIC_OK;
}

void mimic_agent_trace_free(mimic_agent_trace *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n_steps; i++) {
    mimic_agent_step *s = &t->steps[i];
    free(s->thought);
    free(s->action);
    free(s->arguments);
    free(s->reply);
    free(s->observation);
  }
  free(t->steps);
  free(t->id);
  free(t->task);
  free(t->intent);
  free(t->request);
  free(t->outcome);
  memset(t, 0, sizeof *t);
}

void mimic_agent_traces_free(mimic_agent_traces *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) mimic_agent_trace_free(&t->t[i]);
  for (size_t i = 0; i < t->n_problems; i++) {
    free(t->problems[i].field);
    free(t->problems[i].message);
  }
  free(t->t);
  free(t->problems);
  memset(t, 0, sizeof *t);
}

/* ---- formats ------------------------------------------------------------ */

static const char *format_names[] = {"auto", "mimic", "openai", "react", "react-json"};

mimic_status mimic_agent_format_parse(const char *name, mimic_agent_format *out) {
  for (int i = 0; i < 5; i++)
    if (!strcmp(name, format_names[i])) {
      *out = (mimic_agent_format)i;
      return MIMIC_OK;
    }
  return mimic_fail(MIMIC_ERR_INVALID,
                    "unknown trace format '%s' (use auto, mimic, openai, react or react-json)",
                    name);
}

const char *mimic_agent_format_name(mimic_agent_format f) {
  return (unsigned)f < 5 ? format_names[f] : "?";
}

/* ---- mimic's format: JSON -> trace ------------------------------------- */

static mimic_status bad(char *field, size_t cap, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static mimic_status bad(char *field, size_t cap, const char *path, const char *fmt, ...) {
  snprintf(field, cap, "%s", path);
  va_list ap;
  va_start(ap, fmt);
  mimic_status st = mimic_vfail(MIMIC_ERR_FORMAT, fmt, ap);
  va_end(ap);
  return st;
}

/* Reads an optional string member into *dst (NULL when absent or null). */
static mimic_status opt_string(const json_t *obj, const char *key, char **dst, char *field,
                               size_t cap, const char *path) {
  json_t *v = json_object_get(obj, key);
  *dst = NULL;
  if (!v || json_is_null(v)) return MIMIC_OK;
  if (!json_is_string(v)) return bad(field, cap, path, "must be a string");
  *dst = mimic_strdup(json_string_value(v));
  return *dst ? MIMIC_OK : MIMIC_ERR_NOMEM;
}

static mimic_status step_from_json(const json_t *js, size_t i, mimic_agent_step *s, char *field,
                                   size_t cap) {
  char path[96];
  memset(s, 0, sizeof *s);
  snprintf(path, sizeof path, "steps[%zu]", i);
  if (!json_is_object(js)) return bad(field, cap, path, "must be an object");
  snprintf(path, sizeof path, "steps[%zu].thought", i);
  MIMIC_TRY(opt_string(js, "thought", &s->thought, field, cap, path));
  snprintf(path, sizeof path, "steps[%zu].observation", i);
  json_t *obs = json_object_get(js, "observation");
  if (obs && !json_is_null(obs)) {
    if (!json_is_string(obs)) return bad(field, cap, path, "must be a string");
    if (!(s->observation = mimic_strdup(json_string_value(obs)))) return MIMIC_ERR_NOMEM;
  }
  snprintf(path, sizeof path, "steps[%zu].action", i);
  json_t *a = json_object_get(js, "action");
  if (!a) return bad(field, cap, path, "missing (every step needs an action)");
  if (!json_is_object(a))
    return bad(field, cap, path,
               "must be an object: {\"tool\": ..., \"arguments\": {...}} or "
               "{\"reply\": \"...\"}");
  json_t *tool = json_object_get(a, "tool"), *reply = json_object_get(a, "reply");
  if (tool && reply) return bad(field, cap, path, "has both \"tool\" and \"reply\"");
  if (!tool && !reply) return bad(field, cap, path, "needs \"tool\" or \"reply\"");
  if (reply) {
    snprintf(path, sizeof path, "steps[%zu].action.reply", i);
    if (!json_is_string(reply)) return bad(field, cap, path, "must be a string");
    if (!(s->reply = mimic_strdup(json_string_value(reply)))) return MIMIC_ERR_NOMEM;
    if (!(s->action = mimic_strdup(MIMIC_AGENT_REPLY))) return MIMIC_ERR_NOMEM;
    if (json_object_get(a, "arguments")) {
      snprintf(path, sizeof path, "steps[%zu].action.arguments", i);
      return bad(field, cap, path, "a reply has no arguments");
    }
    return MIMIC_OK;
  }
  snprintf(path, sizeof path, "steps[%zu].action.tool", i);
  if (!json_is_string(tool) || json_string_length(tool) == 0)
    return bad(field, cap, path, "must be a non-empty string");
  if (!strcmp(json_string_value(tool), MIMIC_AGENT_REPLY))
    return bad(field, cap, path, "\"reply\" is reserved for plain replies; use {\"reply\": text}");
  if (!(s->action = mimic_strdup(json_string_value(tool)))) return MIMIC_ERR_NOMEM;
  json_t *args = json_object_get(a, "arguments");
  snprintf(path, sizeof path, "steps[%zu].action.arguments", i);
  if (args && !json_is_object(args) && !json_is_null(args))
    return bad(field, cap, path, "must be an object");
  if (args && json_is_object(args)) {
    if (!(s->arguments = agent_json_canon(args))) return MIMIC_ERR_NOMEM;
  } else if (!(s->arguments = mimic_strdup("{}"))) {
    return MIMIC_ERR_NOMEM;
  }
  return MIMIC_OK;
}

mimic_status mimic_agent_trace_from_json(const json_t *obj, mimic_agent_trace *t, char *field,
                                         size_t cap) {
  memset(t, 0, sizeof *t);
  t->reward = NAN;
  field[0] = 0;
  mimic_status st = MIMIC_OK;
  if (!json_is_object(obj)) return bad(field, cap, "", "a trace must be a JSON object");
  json_t *id = json_object_get(obj, "id");
  if (!id) {
    st = bad(field, cap, "id", "missing");
    goto fail;
  }
  if (json_is_integer(id)) {
    if (!(t->id = mimic_asprintf("%lld", (long long)json_integer_value(id)))) goto nomem;
  } else if (json_is_string(id) && json_string_length(id) > 0) {
    if (!(t->id = mimic_strdup(json_string_value(id)))) goto nomem;
  } else {
    st = bad(field, cap, "id", "must be a non-empty string");
    goto fail;
  }
  json_t *task = json_object_get(obj, "task");
  if (task && json_is_integer(task)) {
    if (!(t->task = mimic_asprintf("%lld", (long long)json_integer_value(task)))) goto nomem;
  } else if ((st = opt_string(obj, "task", &t->task, field, cap, "task"))) {
    goto fail;
  }
  if ((st = opt_string(obj, "intent", &t->intent, field, cap, "intent"))) goto fail;
  if (t->intent && !*t->intent) {
    free(t->intent);
    t->intent = NULL;
  }
  json_t *req = json_object_get(obj, "request");
  if (!req) {
    st = bad(field, cap, "request", "missing");
    goto fail;
  }
  if (!json_is_string(req)) {
    st = bad(field, cap, "request", "must be a string");
    goto fail;
  }
  if (!(t->request = mimic_strdup(json_string_value(req)))) goto nomem;
  if ((st = opt_string(obj, "outcome", &t->outcome, field, cap, "outcome"))) goto fail;
  json_t *rw = json_object_get(obj, "reward");
  if (rw && !json_is_null(rw)) {
    if (!json_is_number(rw) || !isfinite(json_number_value(rw))) {
      st = bad(field, cap, "reward", "must be a finite number");
      goto fail;
    }
    t->reward = json_number_value(rw);
  }
  json_t *steps = json_object_get(obj, "steps");
  if (!steps) {
    st = bad(field, cap, "steps", "missing");
    goto fail;
  }
  if (!json_is_array(steps)) {
    st = bad(field, cap, "steps", "must be an array");
    goto fail;
  }
  size_t n = json_array_size(steps);
  t->steps = mimic_calloc(n ? n : 1, sizeof *t->steps, "steps");
  if (!t->steps) goto nomem;
  for (size_t i = 0; i < n; i++) {
    st = step_from_json(json_array_get(steps, i), i, &t->steps[i], field, cap);
    t->n_steps = i + 1; /* so free() sees the partial step */
    if (st) goto fail;
  }
  return MIMIC_OK;
nomem:
  st = MIMIC_ERR_NOMEM;
fail:
  mimic_agent_trace_free(t);
  return st;
}

/* ---- trace -> JSON ------------------------------------------------------ */

static int set_str(json_t *o, const char *k, const char *v) {
  return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

json_t *mimic_agent_trace_to_json(const mimic_agent_trace *t) {
  json_t *o = json_object(), *steps = json_array();
  if (!o || !steps) goto fail;
  int bad = set_str(o, "id", t->id) | set_str(o, "task", t->task) |
            set_str(o, "intent", t->intent) | set_str(o, "request", t->request ? t->request : "");
  if (bad) goto fail;
  for (size_t i = 0; i < t->n_steps; i++) {
    const mimic_agent_step *s = &t->steps[i];
    json_t *js = json_object(), *a = json_object();
    if (!js || !a || json_array_append_new(steps, js)) {
      json_decref(a);
      goto fail;
    }
    if (set_str(js, "thought", s->thought)) {
      json_decref(a);
      goto fail;
    }
    if (s->action && strcmp(s->action, MIMIC_AGENT_REPLY)) {
      json_t *args = json_loads(s->arguments ? s->arguments : "{}", 0, NULL);
      if (!args) args = json_object();
      if (json_object_set_new(a, "tool", json_string(s->action)) ||
          json_object_set_new(a, "arguments", args)) {
        json_decref(a);
        goto fail;
      }
    } else if (json_object_set_new(a, "reply", json_string(s->reply ? s->reply : ""))) {
      json_decref(a);
      goto fail;
    }
    if (json_object_set_new(js, "action", a) || set_str(js, "observation", s->observation))
      goto fail;
  }
  if (json_object_set_new(o, "steps", steps)) {
    steps = NULL;
    goto fail;
  }
  steps = NULL;
  if (set_str(o, "outcome", t->outcome)) goto fail;
  if (isfinite(t->reward) && json_object_set_new(o, "reward", json_real(t->reward))) goto fail;
  return o;
fail:
  json_decref(steps);
  json_decref(o);
  mimic_fail_nomem("a trace as JSON");
  return NULL;
}

mimic_status mimic_agent_traces_write(const char *path, const mimic_agent_traces *t) {
  mimic_atomic_file f;
  MIMIC_TRY(mimic_atomic_open(&f, path));
  for (size_t i = 0; i < t->n; i++) {
    json_t *o = mimic_agent_trace_to_json(&t->t[i]);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
      mimic_atomic_abort(&f);
      return mimic_fail_nomem("a trace line");
    }
    int bad = fputs(s, f.fp) < 0 || fputc('\n', f.fp) == EOF;
    free(s);
    if (bad) {
      mimic_atomic_abort(&f);
      return mimic_fail(MIMIC_ERR_IO, "%s: cannot write", path);
    }
  }
  return mimic_atomic_commit(&f);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct read_ctx {
  const char *name;
  mimic_agent_format fmt; /* AUTO until the first good record decides */
  mimic_agent_traces *out;
  int64_t records;
} read_ctx;

static mimic_status read_line(void *vc, const char *line, size_t len, int64_t lineno) {
  read_ctx *c = vc;
  json_error_t err;
  json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
  int64_t record = c->records++;
  if (!rec) {
    return agent_problem_add(c->out, lineno, record, "", "not valid JSON (column %d): %s",
                             err.column, err.text);
  }
  if (!json_is_object(rec)) {
    json_decref(rec);
    return agent_problem_add(c->out, lineno, record, "", "a record must be a JSON object");
  }
  mimic_agent_format fmt = c->fmt;
  if (fmt == MIMIC_AGENT_FORMAT_AUTO) {
    fmt = agent_detect_record(rec);
    if (fmt == MIMIC_AGENT_FORMAT_AUTO) {
      json_decref(rec);
      return agent_problem_add(c->out, lineno, record, "",
                               "neither a mimic trace (\"steps\") nor a chat transcript "
                               "(\"messages\" or \"traj\")");
    }
    c->fmt = fmt;
  }
  mimic_status st;
  size_t before = c->out->n;
  if (fmt == MIMIC_AGENT_FORMAT_MIMIC) {
    mimic_agent_trace t;
    char field[128];
    st = mimic_agent_trace_from_json(rec, &t, field, sizeof field);
    if (st == MIMIC_ERR_FORMAT) {
      st = agent_problem_add(c->out, lineno, record, field, "%s", mimic_errmsg());
    } else if (st == MIMIC_OK) {
      t.line = lineno;
      st = agent_traces_push(c->out, &t);
      if (st) mimic_agent_trace_free(&t);
    }
  } else {
    st = agent_import_chat_record(rec, lineno, record, c->name, fmt, c->out);
  }
  if (st == MIMIC_OK && c->out->n > before) c->out->t[c->out->n - 1].record = record;
  json_decref(rec);
  return st;
}

static int by_problem_line(const void *a, const void *b) {
  const mimic_agent_problem *x = a, *y = b;
  return (x->record > y->record) - (x->record < y->record);
}

mimic_status agent_traces_check_ids(mimic_agent_traces *t) {
  /* O(n log n): sort indices by id, then report the later duplicates */
  size_t n = t->n;
  if (n < 2) return MIMIC_OK;
  size_t *ord = mimic_malloc(n * sizeof *ord, "trace ids");
  bool *drop = mimic_calloc(n, sizeof *drop, "trace ids");
  if (!ord || !drop) {
    free(ord);
    free(drop);
    return MIMIC_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) ord[i] = i;
  /* insertion into a simple merge sort by (id, index) */
  size_t *tmp = mimic_malloc(n * sizeof *tmp, "trace ids");
  if (!tmp) {
    free(ord);
    free(drop);
    return MIMIC_ERR_NOMEM;
  }
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t a = lo, b = mid, k = lo;
      while (a < mid && b < hi) {
        int c = strcmp(t->t[ord[a]].id, t->t[ord[b]].id);
        tmp[k++] = (c < 0 || (c == 0 && ord[a] < ord[b])) ? ord[a++] : ord[b++];
      }
      while (a < mid) tmp[k++] = ord[a++];
      while (b < hi) tmp[k++] = ord[b++];
    }
    memcpy(ord, tmp, n * sizeof *ord);
  }
  free(tmp);
  mimic_status st = MIMIC_OK;
  for (size_t i = 1; i < n && !st; i++)
    if (!strcmp(t->t[ord[i]].id, t->t[ord[i - 1]].id)) {
      size_t first = ord[i - 1];
      while (i < n && !strcmp(t->t[ord[i]].id, t->t[first].id)) {
        drop[ord[i]] = true;
        st = agent_problem_add(t, t->t[ord[i]].line, t->t[ord[i]].record, "id",
                               "duplicate id '%s' (first used on line %lld)", t->t[ord[i]].id,
                               (long long)t->t[first].line);
        if (st) break;
        i++;
      }
    }
  free(ord);
  if (!st) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      if (drop[i])
        mimic_agent_trace_free(&t->t[i]);
      else
        t->t[m++] = t->t[i];
    }
    t->n = m;
  }
  free(drop);
  return st;
}

mimic_status mimic_agent_traces_parse(const char *buf, size_t len, const char *name,
                                      mimic_agent_format fmt, mimic_agent_traces *out) {
  memset(out, 0, sizeof *out);
  size_t i = 0;
  if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) i = 3; /* a UTF-8 BOM */
  while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')) i++;
  mimic_status st;
  if (i < len && buf[i] == '[') {
    if (fmt != MIMIC_AGENT_FORMAT_AUTO && fmt != MIMIC_AGENT_FORMAT_OPENAI)
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: a JSON array of chat runs is read as 'openai', not '%s'", name,
                        mimic_agent_format_name(fmt));
    st = agent_import_openai_array(buf, len, name, out);
  } else {
    read_ctx c = {name, fmt, out, 0};
    st = agent_each_line(buf, len, read_line, &c);
  }
  if (st == MIMIC_OK) st = agent_traces_check_ids(out);
  if (st) {
    mimic_errctx("%s", name);
    mimic_agent_traces_free(out);
    return st;
  }
  if (out->n_problems > 1)
    qsort(out->problems, out->n_problems, sizeof *out->problems, by_problem_line);
  if (out->n == 0 && out->n_problems > 0) {
    const mimic_agent_problem *p = &out->problems[0];
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: no trajectory could be read; %s %lld: %s%s%s", name,
                    p->line ? "line" : "record", (long long)(p->line ? p->line : p->record + 1),
                    p->field, *p->field ? ": " : "", p->message);
    mimic_agent_traces_free(out);
    return st;
  }
  return MIMIC_OK;
}

mimic_status mimic_agent_traces_read(const char *path, mimic_agent_format fmt,
                                     mimic_agent_traces *out) {
  memset(out, 0, sizeof *out);
  char *buf;
  size_t len;
  MIMIC_TRY(mimic_read_file(path, &buf, &len));
  mimic_status st = mimic_agent_traces_parse(buf, len, path, fmt, out);
  free(buf);
  return st;
}
