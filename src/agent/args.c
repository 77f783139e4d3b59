/* Argument sources: where the value of each tool argument comes from.
 *
 * Fitting looks at every argument of every tool call in the examples and
 * asks where its value could have been copied from: the request (the text
 * holds the value verbatim), an earlier observation (a tool's output or a
 * user's message holds it), nowhere (the agent composed it: a sum, a list
 * of passengers) or, when every call used the same value, a constant. Per
 * (tool, argument) it keeps the counts of each source, how often the tool
 * had the argument, the "shapes" of copied values and their lengths.
 *
 * Filling reverses this for a state: for each argument the tool usually
 * has, take its most frequent source and look for a value there, the most
 * recent observation first:
 *   1. by key: `"name": value` in JSON-like text (tool outputs are JSON);
 *   2. by shape: the first token whose shape (character classes with runs
 *      collapsed: "mia_li_3668" -> "a_a_9", "HAT069" -> "A9") and length
 *      match values seen in training.
 * It is a simple, honest baseline: composed arguments are not filled, and
 * evaluation reports how often the filled arguments are exactly right. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"

#define MAX_SHAPES 16
#define SHAPE_CAP 48

static const char *source_names[] = {"request", "observation", "constant", "other"};

const char *mimic_arg_source_name(mimic_arg_source s) {
  return (unsigned)s < 4 ? source_names[s] : "?";
}

/* The shape of a value: character classes with runs collapsed. */
static void shape_of(const char *s, size_t n, char *out) {
  size_t k = 0;
  char last = 0;
  for (size_t i = 0; i < n && k + 1 < SHAPE_CAP; i++) {
    unsigned char c = (unsigned char)s[i];
    char cls = isupper(c) ? 'A' : islower(c) ? 'a' : isdigit(c) ? '9' : (char)c;
    if (c >= 0x80) cls = 'u';
    if (cls != last) out[k++] = cls;
    last = cls;
  }
  out[k] = 0;
}

static bool looks_json(const char *t);
static void key_before(const char *text, size_t p, char *key, size_t cap);
static mimic_status add_ctx(agent_arg_info *a, const char *key, double count);

/* Characters of a value token: letters, digits and _ - . @ + : / (a table: this runs
 * over every byte of free text for every tool on the prediction path). */
static const bool tok_table[256] = {
    ['0' ... '9'] = true, ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['_'] = true, ['-'] = true,
    ['.'] = true,         ['@'] = true,         ['+'] = true,         [':'] = true, ['/'] = true,
};
static inline bool tok_char(unsigned char c) { return tok_table[c]; }

void agent_args_free(mimic_agent_model *m) {
  if (!m->args) return;
  for (int k = 0; k < m->actions.n; k++) {
    agent_tool_args *t = &m->args[k];
    for (size_t j = 0; j < t->n; j++) {
      agent_arg_info *a = &t->arg[j];
      free(a->name);
      free(a->constant);
      for (size_t s = 0; s < a->n_shapes; s++) free(a->shapes[s]);
      free(a->shapes);
      for (size_t c = 0; c < a->n_ctx; c++) free(a->ctx[c].key);
      free(a->ctx);
    }
    free(t->arg);
  }
  free(m->args);
  m->args = NULL;
}

static agent_arg_info *find_arg(agent_tool_args *t, const char *name, bool create) {
  for (size_t j = 0; j < t->n; j++)
    if (!strcmp(t->arg[j].name, name)) return &t->arg[j];
  if (!create) return NULL;
  void *p = mimic_realloc(t->arg, t->n + 1, sizeof *t->arg, "argument table");
  if (!p) return NULL;
  t->arg = p;
  agent_arg_info *a = &t->arg[t->n];
  memset(a, 0, sizeof *a);
  a->min_len = SIZE_MAX;
  if (!(a->name = mimic_strdup(name))) return NULL;
  t->n++;
  return a;
}

static mimic_status add_shape(agent_arg_info *a, const char *shape) {
  for (size_t s = 0; s < a->n_shapes; s++)
    if (!strcmp(a->shapes[s], shape)) return MIMIC_OK;
  if (a->n_shapes >= MAX_SHAPES) return MIMIC_OK;
  void *p = mimic_realloc(a->shapes, a->n_shapes + 1, sizeof *a->shapes, "argument shapes");
  if (!p) return MIMIC_ERR_NOMEM;
  a->shapes = p;
  if (!(a->shapes[a->n_shapes] = mimic_strdup(shape))) return MIMIC_ERR_NOMEM;
  a->n_shapes++;
  return MIMIC_OK;
}

/* The text form a copied value would have in a transcript. */
static char *value_text(const json_t *v) {
  if (json_is_string(v)) return mimic_strdup(json_string_value(v));
  if (json_is_integer(v)) return mimic_asprintf("%lld", (long long)json_integer_value(v));
  if (json_is_real(v)) return agent_json_canon(v);
  return NULL;
}

static bool holds(const char *text, const char *value) {
  return text && *value && strstr(text, value) != NULL;
}

mimic_status agent_args_fit(mimic_agent_model *m, const mimic_agent_example *ex, size_t n,
                            const int32_t *y) {
  int K = m->actions.n;
  m->args = mimic_calloc((size_t)K, sizeof *m->args, "argument tables");
  if (!m->args) return MIMIC_ERR_NOMEM;
  /* const_ok[k][j] is tracked through agent_arg_info.constant: "" = not constant */
  for (size_t i = 0; i < n; i++) {
    const mimic_agent_example *e = &ex[i];
    if (y[i] == m->reply_id || !e->arguments) continue;
    json_t *args = json_loads(e->arguments, 0, NULL);
    if (!json_is_object(args)) {
      json_decref(args);
      continue;
    }
    agent_tool_args *t = &m->args[y[i]];
    t->calls++;
    const char *key;
    json_t *v;
    json_object_foreach(args, key, v) {
      agent_arg_info *a = find_arg(t, key, true);
      if (!a) {
        json_decref(args);
        return MIMIC_ERR_NOMEM;
      }
      a->seen++;
      char *canon = agent_json_canon(v);
      if (!canon) {
        json_decref(args);
        return MIMIC_ERR_NOMEM;
      }
      if (a->seen == 1) {
        a->constant = canon;
      } else {
        if (a->constant && strcmp(a->constant, canon)) {
          free(a->constant);
          a->constant = mimic_strdup(""); /* seen two values: not a constant */
          if (!a->constant) {
            free(canon);
            json_decref(args);
            return MIMIC_ERR_NOMEM;
          }
        }
        free(canon);
      }
      char *text = value_text(v);
      mimic_arg_source src = MIMIC_ARG_OTHER;
      if (text) {
        const mimic_agent_state *s = &e->state;
        const char *where = NULL; /* the text the value was copied from */
        if (holds(s->request, text)) {
          src = MIMIC_ARG_REQUEST;
          where = s->request;
        } else if (holds(s->last_observation, text)) {
          src = MIMIC_ARG_OBSERVATION;
          where = s->last_observation;
        } else {
          for (size_t o = s->n_observations; o-- > 0 && src == MIMIC_ARG_OTHER;)
            if (holds(s->observations[o], text)) {
              src = MIMIC_ARG_OBSERVATION;
              where = s->observations[o];
            }
        }
        bool json = where && looks_json(where);
        if (json) { /* remember the JSON key it sat under */
          char key[64];
          key_before(where, (size_t)(strstr(where, text) - where), key, sizeof key);
          if (key[0] && add_ctx(a, key, 1)) {
            free(text);
            json_decref(args);
            return MIMIC_ERR_NOMEM;
          }
        } else if (where) {
          char shape[SHAPE_CAP];
          size_t len = strlen(text);
          shape_of(text, len, shape);
          if (add_shape(a, shape)) {
            free(text);
            json_decref(args);
            return MIMIC_ERR_NOMEM;
          }
          if (len < a->min_len) a->min_len = len;
          if (len > a->max_len) a->max_len = len;
          a->numeric = !json_is_string(v);
        }
      }
      free(text);
      a->source[src]++;
    }
    json_decref(args);
  }
  /* a value used by every call (at least twice) is a constant; so is the
   * value of a tool's only call when it was copied from nowhere: one
   * correction's {"reason": "complaint"} is the best guess for the next */
  for (int k = 0; k < K; k++)
    for (size_t j = 0; j < m->args[k].n; j++) {
      agent_arg_info *a = &m->args[k].arg[j];
      bool one_composed = a->seen == 1 && a->source[MIMIC_ARG_OTHER] == 1;
      if (a->constant && (!*a->constant || (a->seen < 2 && !one_composed))) {
        free(a->constant);
        a->constant = NULL;
      }
      if (a->min_len == SIZE_MAX) a->min_len = 0;
    }
  return MIMIC_OK;
}

static mimic_arg_source best_source(const agent_arg_info *a) {
  if (a->constant) return MIMIC_ARG_CONSTANT;
  int best = MIMIC_ARG_OTHER;
  for (int s = 0; s < 4; s++)
    if (s != MIMIC_ARG_CONSTANT && a->source[s] > a->source[best]) best = s;
  return (mimic_arg_source)best;
}

/* ---- candidates ---------------------------------------------------------- */

static bool looks_json(const char *t) {
  while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r') t++;
  return *t == '{' || *t == '[';
}

/* The JSON key whose value holds position p of text ("" if none within reach). */
static void key_before(const char *text, size_t p, char *key, size_t cap) {
  key[0] = 0;
  size_t lo = p > 4096 ? p - 4096 : 0;
  for (size_t i = p; i-- > lo;) {
    if (text[i] != ':') continue;
    size_t j = i;
    while (j > lo && text[j - 1] == ' ') j--;
    if (j == lo || text[j - 1] != '"') continue;
    size_t e = j - 1, k = e;
    while (k > lo && text[k - 1] != '"') k--;
    if (k == lo) return;
    size_t n = e - k;
    if (n >= cap) n = cap - 1;
    memcpy(key, text + k, n);
    key[n] = 0;
    return;
  }
}

/* Adds count to key's tally (at most 8 keys are kept; later new ones are
 * dropped). A model file naming a key twice gets the sum. */
static mimic_status add_ctx(agent_arg_info *a, const char *key, double count) {
  for (size_t i = 0; i < a->n_ctx; i++)
    if (!strcmp(a->ctx[i].key, key)) {
      a->ctx[i].count += count;
      return MIMIC_OK;
    }
  if (a->n_ctx >= 8) return MIMIC_OK;
  void *p = mimic_realloc(a->ctx, a->n_ctx + 1, sizeof *a->ctx, "argument contexts");
  if (!p) return MIMIC_ERR_NOMEM;
  a->ctx = p;
  if (!(a->ctx[a->n_ctx].key = mimic_strdup(key))) return MIMIC_ERR_NOMEM;
  a->ctx[a->n_ctx].count = count;
  a->n_ctx++;
  return MIMIC_OK;
}

/* A candidate value: n bytes at s; quoted = it was a JSON string. */
typedef bool (*cand_fn)(void *ctx, const char *s, size_t n, bool quoted);

/* Candidates of a in one text: under the argument's JSON keys in JSON text,
 * tokens of the right shape in free text. Stops when fn returns true. */
static bool each_candidate(const char *text, const agent_arg_info *a, cand_fn fn, void *ctx) {
  if (!text || !*text) return false;
  if (looks_json(text)) {
    size_t tl = strlen(text);
    char needle[72];
    for (size_t c = 0; c < a->n_ctx; c++) {
      const char *key = a->ctx[c].key;
      size_t kl = strlen(key);
      if (!kl || kl + 2 > sizeof needle) continue;
      needle[0] = '"';
      memcpy(needle + 1, key, kl);
      needle[kl + 1] = '"';
      for (const char *p = memmem(text, tl, needle, kl + 2); p;
           p = memmem(p + 1, tl - (size_t)(p + 1 - text), needle, kl + 2)) {
        const char *q = p + kl + 2;
        while (*q == ' ') q++;
        if (*q != ':') continue;
        q++;
        while (*q == ' ') q++;
        bool list = *q == '[';
        if (list) q++;
        for (;;) {
          while (list && (*q == ' ' || *q == ',' || *q == '\n')) q++;
          if (*q == '"') {
            const char *e = q + 1;
            while (*e && *e != '"') e += (*e == '\\' && e[1]) ? 2 : 1;
            if (*e != '"') break;
            if (fn(ctx, q + 1, (size_t)(e - q - 1), true)) return true;
            q = e + 1;
          } else if (isdigit((unsigned char)*q) || *q == '-') {
            const char *e = q + 1;
            while (isdigit((unsigned char)*e) || *e == '.') e++;
            if (fn(ctx, q, (size_t)(e - q), false)) return true;
            q = e;
          } else {
            break;
          }
          if (!list) break;
        }
      }
    }
    return false;
  }
  if (!a->n_shapes) return false;
  const unsigned char *p = (const unsigned char *)text;
  char shape[SHAPE_CAP];
  while (*p) {
    while (*p && !tok_char(*p)) p++;
    const unsigned char *s = p;
    while (*p && tok_char(*p)) p++;
    size_t n = (size_t)(p - s);
    while (n && (s[n - 1] == '.' || s[n - 1] == ':' || s[n - 1] == '-' || s[n - 1] == '/')) n--;
    if (!n || n < a->min_len || n > a->max_len) continue;
    shape_of((const char *)s, n, shape);
    for (size_t k = 0; k < a->n_shapes; k++)
      if (!strcmp(shape, a->shapes[k])) {
        if (fn(ctx, (const char *)s, n, false)) return true;
        break;
      }
  }
  return false;
}

/* Was value v (n bytes) used by an earlier call of tool? */
static bool used_before(const mimic_agent_state *s, const char *tool, const char *v, size_t n) {
  if (!s->previous_content) return false;
  for (size_t i = 0; i < s->n_previous; i++) {
    const char *c = s->previous_content[i];
    if (!c || strcmp(s->previous[i], tool)) continue;
    const char *end = c + strlen(c);
    for (const char *h = c; (h = memmem(h, (size_t)(end - h), v, n)); h++) {
      /* a whole value: bounded by quotes or JSON punctuation */
      char before = h > c ? h[-1] : 0, after = h[n];
      bool lb = before == '"' || before == ':' || before == ' ' || before == '[' || before == ',';
      bool rb = after == '"' || after == ',' || after == '}' || after == ']' || after == 0;
      if (lb && rb) return true;
    }
  }
  return false;
}

typedef struct cand_ctx {
  const mimic_agent_state *s;
  const char *tool;
  bool any, fresh;
  const char *first, *fresh_v; /* spans of the first and the first fresh candidate */
  size_t first_n, fresh_n;
  bool first_q, fresh_q;
} cand_ctx;

static bool note_candidate(void *vc, const char *v, size_t n, bool quoted) {
  cand_ctx *c = vc;
  if (n == 0) return false;
  if (!c->any) {
    c->any = true;
    c->first = v;
    c->first_n = n;
    c->first_q = quoted;
  }
  if (!used_before(c->s, c->tool, v, n)) {
    c->fresh = true;
    c->fresh_v = v;
    c->fresh_n = n;
    c->fresh_q = quoted;
    return true;
  }
  return false;
}

/* The texts a source is looked up in, most useful first. */
static void scan_state(const mimic_agent_state *s, const agent_arg_info *a, mimic_arg_source src,
                       size_t window, cand_ctx *c) {
  if (src == MIMIC_ARG_REQUEST && each_candidate(s->request, a, note_candidate, c)) return;
  const char *last = s->last_observation;
  if (each_candidate(last, a, note_candidate, c)) return;
  size_t lo = s->n_observations > window ? s->n_observations - window : 0;
  for (size_t o = s->n_observations; o-- > lo;) {
    if (s->observations[o] == last) continue;
    if (each_candidate(s->observations[o], a, note_candidate, c)) return;
  }
  if (src != MIMIC_ARG_REQUEST) each_candidate(s->request, a, note_candidate, c);
}

void agent_args_available(const mimic_agent_model *m, int action, const mimic_agent_state *s,
                          bool *fillable, bool *fresh) {
  *fillable = *fresh = false;
  if (!m->args || action == m->reply_id) return;
  const agent_tool_args *t = &m->args[action];
  bool all = true, any_copy = false, any_fresh = false;
  for (size_t j = 0; j < t->n && all; j++) {
    const agent_arg_info *a = &t->arg[j];
    if (a->seen * 2 < t->calls) continue;
    mimic_arg_source src = best_source(a);
    if (src != MIMIC_ARG_REQUEST && src != MIMIC_ARG_OBSERVATION) continue;
    any_copy = true;
    cand_ctx c = {s, m->actions.names[action]};
    scan_state(s, a, src, AGENT_AVAIL_WINDOW, &c);
    if (!c.any) all = false;
    any_fresh |= c.fresh;
  }
  *fillable = any_copy && all;
  *fresh = any_copy && all && any_fresh;
}

static json_t *value_json(const char *v, size_t n, bool quoted, bool numeric) {
  if (quoted) {
    if (!memchr(v, '\\', n)) return json_stringn(v, n);
    json_t *j = NULL;
    char *buf = malloc(n + 3);
    if (buf) {
      buf[0] = '"';
      memcpy(buf + 1, v, n);
      buf[n + 1] = '"';
      j = json_loadb(buf, n + 2, JSON_DECODE_ANY, NULL);
      free(buf);
    }
    return j;
  }
  if (numeric) {
    char buf[64];
    if (n >= sizeof buf) return NULL;
    memcpy(buf, v, n);
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (*end || end == buf) return NULL;
    return strchr(buf, '.') ? json_real(d) : json_integer((json_int_t)d);
  }
  return json_stringn(v, n);
}

mimic_status mimic_agent_fill_arguments(const mimic_agent_model *m, int action,
                                        const mimic_agent_state *s, json_t **args,
                                        json_t **sources) {
  *args = json_object();
  if (sources) *sources = json_object();
  if (!*args || (sources && !*sources)) goto nomem;
  if (action < 0 || action >= m->actions.n || action == m->reply_id || !m->args) return MIMIC_OK;
  const agent_tool_args *t = &m->args[action];
  for (size_t j = 0; j < t->n; j++) {
    const agent_arg_info *a = &t->arg[j];
    if (a->seen * 2 < t->calls) continue; /* an argument the tool seldom has */
    mimic_arg_source src = best_source(a);
    json_t *v = NULL;
    if (src == MIMIC_ARG_CONSTANT) {
      v = json_loads(a->constant, JSON_DECODE_ANY, NULL);
    } else if (src == MIMIC_ARG_REQUEST || src == MIMIC_ARG_OBSERVATION) {
      cand_ctx c = {s, m->actions.names[action]};
      scan_state(s, a, src, AGENT_ARG_WINDOW, &c);
      if (c.fresh)
        v = value_json(c.fresh_v, c.fresh_n, c.fresh_q, a->numeric);
      else if (c.any)
        v = value_json(c.first, c.first_n, c.first_q, a->numeric);
    }
    if (!v) continue;
    if (json_object_set_new(*args, a->name, v)) goto nomem;
    if (sources && json_object_set_new(*sources, a->name, json_string(mimic_arg_source_name(src))))
      goto nomem;
  }
  return MIMIC_OK;
nomem:
  json_decref(*args);
  if (sources) json_decref(*sources);
  *args = NULL;
  if (sources) *sources = NULL;
  return mimic_fail_nomem("arguments");
}

json_t *mimic_agent_argument_table(const mimic_agent_model *m, int action) {
  json_t *o = json_object();
  if (!o || action < 0 || action >= m->actions.n || !m->args) return o;
  const agent_tool_args *t = &m->args[action];
  for (size_t j = 0; j < t->n; j++) {
    const agent_arg_info *a = &t->arg[j];
    json_t *e = json_object();
    json_object_set_new(o, a->name, e);
    json_object_set_new(e, "present", json_real(t->calls > 0 ? a->seen / t->calls : 0));
    json_object_set_new(e, "source", json_string(mimic_arg_source_name(best_source(a))));
    for (int s = 0; s < 4; s++)
      if (s != MIMIC_ARG_CONSTANT)
        json_object_set_new(e, source_names[s],
                            json_real(a->seen > 0 ? a->source[s] / a->seen : 0));
  }
  return o;
}

/* ---- model file ---------------------------------------------------------- */

json_t *agent_args_export(const mimic_agent_model *m) {
  json_t *root = json_object();
  if (!root) return NULL;
  for (int k = 0; k < m->actions.n && m->args; k++) {
    const agent_tool_args *t = &m->args[k];
    if (t->n == 0 && t->calls == 0) continue;
    json_t *tool = json_object(), *list = json_array();
    json_object_set_new(root, m->actions.names[k], tool);
    json_object_set_new(tool, "calls", json_real(t->calls));
    json_object_set_new(tool, "args", list);
    for (size_t j = 0; j < t->n; j++) {
      const agent_arg_info *a = &t->arg[j];
      json_t *e = json_object(), *shapes = json_array();
      json_array_append_new(list, e);
      json_object_set_new(e, "name", json_string(a->name));
      json_object_set_new(e, "seen", json_real(a->seen));
      json_object_set_new(
          e, "sources",
          json_pack("[ffff]", a->source[0], a->source[1], a->source[2], a->source[3]));
      json_object_set_new(e, "constant", a->constant ? json_string(a->constant) : json_null());
      for (size_t s = 0; s < a->n_shapes; s++)
        json_array_append_new(shapes, json_string(a->shapes[s]));
      json_object_set_new(e, "shapes", shapes);
      json_object_set_new(e, "min_len", json_integer((json_int_t)a->min_len));
      json_object_set_new(e, "max_len", json_integer((json_int_t)a->max_len));
      json_object_set_new(e, "numeric", json_boolean(a->numeric));
      json_t *ctx = json_array();
      for (size_t c = 0; c < a->n_ctx; c++)
        json_array_append_new(ctx, json_pack("[sf]", a->ctx[c].key, a->ctx[c].count));
      json_object_set_new(e, "contexts", ctx);
    }
  }
  return root;
}

mimic_status agent_args_import(mimic_agent_model *m, const json_t *j, const char *path) {
  m->args =
      mimic_calloc((size_t)(m->actions.n ? m->actions.n : 1), sizeof *m->args, "argument tables");
  if (!m->args) return MIMIC_ERR_NOMEM;
  if (!j) return MIMIC_OK;
  if (!json_is_object(j))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.arguments must be an object", path);
  const char *tool;
  json_t *tj;
  json_object_foreach((json_t *)j, tool, tj) {
    int k = mimic_labelset_find(&m->actions, tool);
    json_t *list = json_object_get(tj, "args");
    if (k < 0 || !json_is_array(list) || !json_is_number(json_object_get(tj, "calls")))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.arguments.%s is malformed", path, tool);
    agent_tool_args *t = &m->args[k];
    t->calls = json_number_value(json_object_get(tj, "calls"));
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
      json_t *name = json_object_get(e, "name"), *src = json_object_get(e, "sources");
      json_t *con = json_object_get(e, "constant"), *shapes = json_object_get(e, "shapes");
      if (!json_is_string(name) || !json_is_array(src) || json_array_size(src) != 4 ||
          !json_is_array(shapes) || (con && !json_is_null(con) && !json_is_string(con)))
        return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.arguments.%s.args[%zu] is malformed", path,
                          tool, i);
      agent_arg_info *a = find_arg(t, json_string_value(name), true);
      if (!a) return MIMIC_ERR_NOMEM;
      a->seen = json_number_value(json_object_get(e, "seen"));
      for (int s = 0; s < 4; s++) a->source[s] = json_number_value(json_array_get(src, (size_t)s));
      if (json_is_string(con) && !(a->constant = mimic_strdup(json_string_value(con))))
        return MIMIC_ERR_NOMEM;
      size_t q;
      json_t *sh;
      json_array_foreach(shapes, q, sh) if (json_is_string(sh))
          MIMIC_TRY(add_shape(a, json_string_value(sh)));
      a->min_len = (size_t)json_integer_value(json_object_get(e, "min_len"));
      a->max_len = (size_t)json_integer_value(json_object_get(e, "max_len"));
      a->numeric = json_is_true(json_object_get(e, "numeric"));
      json_t *ctx = json_object_get(e, "contexts");
      size_t c;
      json_t *cv;
      json_array_foreach(ctx, c, cv) {
        json_t *k = json_array_get(cv, 0), *n = json_array_get(cv, 1);
        if (!json_is_string(k) || !json_is_number(n))
          return mimic_fail(MIMIC_ERR_FORMAT,
                            "%s: meta.arguments.%s.args[%zu].contexts[%zu] is "
                            "malformed",
                            path, tool, i, c);
        MIMIC_TRY(add_ctx(a, json_string_value(k), json_number_value(n)));
      }
    }
  }
  return MIMIC_OK;
}
