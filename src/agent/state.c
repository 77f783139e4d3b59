/* Agent states and examples: what the agent knew before each move.
 *
 * The state before step i of a trace is (intent, request, actions of steps
 * 0..i-1, observation of step i-1). Examples made from traces borrow the
 * traces' strings and share one array of action names per trace (state i
 * sees its first i entries), so a file of N moves costs N small structs,
 * not N copies of its history. Corrections read from the label store own
 * their strings (kept in the examples' `owned` list).
 *
 * Splits are by task by default: tau-bench runs every task four times, and
 * a test set holding another run of a training task would measure memory,
 * not generalisation. Groups are numbered in order of first appearance and
 * permuted with mimic_rng (NumPy's PCG64), so a seed gives the same split
 * everywhere. */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"

/* ---- states <-> JSON ---------------------------------------------------- */

static mimic_status state_fail(const char *field, const char *what) {
  return mimic_fail(MIMIC_ERR_FORMAT, "state: %s %s", field, what);
}

/* The compact JSON of v, owned by the state buffer (NULL if out of memory). */
static char *own_text(mimic_agent_state_buf *b, const json_t *v) {
  char *t = agent_json_canon(v);
  if (!t) return NULL;
  char **p = realloc(b->owned, (b->n_owned + 1) * sizeof *p);
  if (!p) {
    free(t);
    return NULL;
  }
  b->owned = p;
  b->owned[b->n_owned++] = t;
  return t;
}

mimic_status mimic_agent_state_from_json(const json_t *obj, mimic_agent_state_buf *out) {
  memset(out, 0, sizeof *out);
  if (!json_is_object(obj)) return state_fail("", "must be a JSON object");
  json_t *intent = json_object_get(obj, "intent");
  json_t *req = json_object_get(obj, "request");
  json_t *prev = json_object_get(obj, "previous_actions");
  json_t *last = json_object_get(obj, "last_observation");
  json_t *obs = json_object_get(obj, "observations");
  if (intent && !json_is_null(intent) && !json_is_string(intent))
    return state_fail("\"intent\"", "must be a string");
  if (req && !json_is_null(req) && !json_is_string(req))
    return state_fail("\"request\"", "must be a string");
  if (prev && !json_is_null(prev) && !json_is_array(prev))
    return state_fail("\"previous_actions\"", "must be a list of action names");
  if (obs && !json_is_null(obs) && !json_is_array(obs))
    return state_fail("\"observations\"", "must be a list");
  size_t np = json_array_size(prev), no = json_array_size(obs);
  for (size_t i = 0; i < np; i++) {
    json_t *a = json_array_get(prev, i);
    char f[64];
    snprintf(f, sizeof f, "\"previous_actions\"[%zu]", i);
    if (json_is_object(a)) {
      json_t *tool = json_object_get(a, "tool"), *reply = json_object_get(a, "reply");
      json_t *args = json_object_get(a, "arguments");
      if (tool && (!json_is_string(tool) || json_string_length(tool) == 0))
        return state_fail(f, "has a \"tool\" that is not a name");
      if (tool && !strcmp(json_string_value(tool), MIMIC_AGENT_REPLY))
        return state_fail(f, "has \"tool\": \"reply\", which is reserved for plain replies "
                             "(as in imported traces); use {\"reply\": text}");
      if (reply && !json_is_string(reply)) return state_fail(f, "has a \"reply\" that is not text");
      if (!tool && !reply) return state_fail(f, "needs \"tool\" or \"reply\"");
      if (args && !json_is_object(args) && !json_is_null(args))
        return state_fail(f, "has \"arguments\" that are not an object");
      continue;
    }
    if (!json_is_string(a) || json_string_length(a) == 0)
      return state_fail(f, "must be an action name or an action object");
  }
  /* a reference, not a copy: the object's strings must not change while the
   * state is used (a copy of a long history costs more than predicting) */
  out->json = json_incref((json_t *)obj);
  out->arrays = mimic_calloc(2 * np + no + 1, sizeof *out->arrays, "a state");
  if (!out->arrays) {
    mimic_agent_state_buf_free(out);
    return mimic_fail_nomem("a state");
  }
  mimic_agent_state *s = &out->s;
  s->intent =
      json_is_string(intent) && json_string_length(intent) ? json_string_value(intent) : NULL;
  s->request = json_is_string(req) ? json_string_value(req) : "";
  const char **content = out->arrays + np + no;
  bool any_content = false;
  for (size_t i = 0; i < np; i++) {
    json_t *a = json_array_get(prev, i);
    if (!json_is_object(a)) {
      out->arrays[i] = json_string_value(a);
      continue;
    }
    json_t *tool = json_object_get(a, "tool");
    if (json_is_string(tool)) {
      out->arrays[i] = json_string_value(tool);
      json_t *args = json_object_get(a, "arguments");
      if (json_is_object(args)) { /* kept as canonical text */
        char *t = own_text(out, args);
        if (!t) {
          mimic_agent_state_buf_free(out);
          return mimic_fail_nomem("a state");
        }
        content[i] = t;
      }
    } else {
      out->arrays[i] = MIMIC_AGENT_REPLY;
      content[i] = json_string_value(json_object_get(a, "reply"));
    }
    any_content |= content[i] != NULL;
  }
  s->previous_content = any_content ? content : NULL;
  s->previous = out->arrays;
  s->n_previous = np;
  /* non-string observations become their compact JSON */
  for (size_t i = 0; i < no; i++) {
    json_t *o = json_array_get(obs, i);
    if (json_is_string(o)) {
      out->arrays[np + i] = json_string_value(o);
    } else if (json_is_null(o)) {
      out->arrays[np + i] = "";
    } else if (!(out->arrays[np + i] = own_text(out, o))) {
      mimic_agent_state_buf_free(out);
      return mimic_fail_nomem("a state");
    }
  }
  s->observations = out->arrays + np;
  s->n_observations = no < np ? no : np;
  if (last && !json_is_null(last)) {
    s->last_observation = json_is_string(last) ? json_string_value(last) : own_text(out, last);
    if (!s->last_observation) {
      mimic_agent_state_buf_free(out);
      return mimic_fail_nomem("a state");
    }
  } else if (no > 0) {
    s->last_observation = out->arrays[np + no - 1];
  }
  return MIMIC_OK;
}

void mimic_agent_state_buf_free(mimic_agent_state_buf *b) {
  if (!b) return;
  json_decref(b->json);
  free(b->arrays);
  for (size_t i = 0; i < b->n_owned; i++) free(b->owned[i]);
  free(b->owned);
  memset(b, 0, sizeof *b);
}

json_t *mimic_agent_state_to_json(const mimic_agent_state *s) {
  json_t *o = json_object(), *prev = json_array();
  if (!o || !prev) goto fail;
  if (s->intent && *s->intent && json_object_set_new(o, "intent", json_string(s->intent)))
    goto fail;
  if (json_object_set_new(o, "request", json_string(s->request ? s->request : ""))) goto fail;
  for (size_t i = 0; i < s->n_previous; i++) {
    const char *c = s->previous_content ? s->previous_content[i] : NULL;
    json_t *a;
    if (!c) {
      a = json_string(s->previous[i]);
    } else if (!strcmp(s->previous[i], MIMIC_AGENT_REPLY)) {
      a = json_pack("{s:s}", "reply", c);
    } else {
      json_t *args = json_loads(c, 0, NULL);
      a = json_pack("{s:s,s:o}", "tool", s->previous[i], "arguments",
                    json_is_object(args) ? args : json_object());
      if (args && !json_is_object(args)) json_decref(args);
    }
    if (!a || json_array_append_new(prev, a)) goto fail;
  }
  if (json_object_set_new(o, "previous_actions", prev)) {
    prev = NULL;
    goto fail;
  }
  prev = NULL;
  if (s->last_observation &&
      json_object_set_new(o, "last_observation", json_string(s->last_observation)))
    goto fail;
  if (s->n_observations > 0) {
    json_t *obs = json_array();
    if (!obs || json_object_set_new(o, "observations", obs)) goto fail;
    for (size_t i = 0; i < s->n_observations; i++)
      if (json_array_append_new(obs, json_string(s->observations[i] ? s->observations[i] : "")))
        goto fail;
  }
  return o;
fail:
  json_decref(prev);
  json_decref(o);
  mimic_fail_nomem("a state as JSON");
  return NULL;
}

/* ---- examples ----------------------------------------------------------- */

static mimic_status keep(mimic_agent_examples *e, void *p) {
  if (!p) return MIMIC_ERR_NOMEM;
  if (e->n_owned == e->cap_owned) {
    size_t cap = e->cap_owned ? e->cap_owned * 2 : 64;
    void *q = mimic_realloc(e->owned, cap, sizeof *e->owned, "examples");
    if (!q) {
      free(p);
      return MIMIC_ERR_NOMEM;
    }
    e->owned = q;
    e->cap_owned = cap;
  }
  e->owned[e->n_owned++] = p;
  return MIMIC_OK;
}

static mimic_status reserve(mimic_agent_examples *e, size_t more) {
  if (e->n + more <= e->cap) return MIMIC_OK;
  size_t cap = e->cap ? e->cap : 64;
  while (cap < e->n + more) cap *= 2;
  void *p = mimic_realloc(e->ex, cap, sizeof *e->ex, "examples");
  if (!p) return MIMIC_ERR_NOMEM;
  e->ex = p;
  e->cap = cap;
  return MIMIC_OK;
}

static const char *trace_task(const mimic_agent_trace *tr) { return tr->task ? tr->task : tr->id; }

static int by_task_then_index(const void *a, const void *b, void *traces) {
  const mimic_agent_traces *t = traces;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int c = strcmp(trace_task(&t->t[i]), trace_task(&t->t[j]));
  return c ? c : (i < j ? -1 : i > j);
}

/* first[i] = the index of the first trace with trace i's task (a trace with
 * no task is its own); sorting keeps this O(n log n) for large trace files. */
static mimic_status task_firsts(const mimic_agent_traces *t, size_t *first) {
  size_t n = t->n;
  size_t *order = mimic_malloc((n ? n : 1) * sizeof *order, "a task grouping");
  if (!order) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n; i++) order[i] = i;
  qsort_r(order, n, sizeof *order, by_task_then_index, (void *)t);
  for (size_t a = 0; a < n;) {
    size_t b = a + 1;
    while (b < n && !strcmp(trace_task(&t->t[order[a]]), trace_task(&t->t[order[b]]))) b++;
    for (size_t k = a; k < b; k++) first[order[k]] = order[a];
    a = b;
  }
  free(order);
  return MIMIC_OK;
}

mimic_status mimic_agent_examples_add_traces(mimic_agent_examples *e, const mimic_agent_traces *t,
                                             const bool *take) {
  /* group numbers: the index of the first trace with the same task */
  size_t *first = mimic_malloc((t->n ? t->n : 1) * sizeof *first, "a task grouping");
  if (!first) return MIMIC_ERR_NOMEM;
  mimic_status st = task_firsts(t, first);
  for (size_t i = 0; i < t->n && !st; i++) {
    if (take && !take[i]) continue;
    const mimic_agent_trace *tr = &t->t[i];
    if (tr->n_steps == 0) continue;
    int64_t group = (int64_t)first[i];
    if ((st = reserve(e, tr->n_steps))) break;
    const char **arr = mimic_malloc(3 * tr->n_steps * sizeof *arr, "a trace's history");
    if ((st = keep(e, (void *)arr))) break;
    for (size_t k = 0; k < tr->n_steps; k++) {
      const mimic_agent_step *st = &tr->steps[k];
      arr[k] = st->action;
      arr[tr->n_steps + k] = st->observation ? st->observation : "";
      arr[2 * tr->n_steps + k] = st->reply ? st->reply : st->arguments;
    }
    for (size_t k = 0; k < tr->n_steps; k++) {
      mimic_agent_example *x = &e->ex[e->n++];
      memset(x, 0, sizeof *x);
      x->state.intent = tr->intent;
      x->state.request = tr->request;
      x->state.previous = arr;
      x->state.n_previous = k;
      x->state.last_observation = k > 0 ? tr->steps[k - 1].observation : NULL;
      x->state.observations = arr + tr->n_steps;
      x->state.n_observations = k;
      x->state.previous_content = arr + 2 * tr->n_steps;
      x->action = tr->steps[k].action;
      x->arguments = tr->steps[k].arguments;
      x->trace_id = tr->id;
      x->step = k;
      x->group = group;
    }
  }
  free(first);
  return st;
}

static const char *own(mimic_agent_examples *e, const char *s, mimic_status *st) {
  if (!s || *st) return NULL;
  char *p = mimic_strdup(s);
  *st = keep(e, p);
  return *st ? NULL : p;
}

mimic_status mimic_agent_examples_add_copy(mimic_agent_examples *e, const mimic_agent_state *s,
                                           const char *action, const char *arguments,
                                           const char *trace_id, size_t step) {
  MIMIC_TRY(reserve(e, 1));
  mimic_status st = MIMIC_OK;
  size_t np = s->n_previous, no = s->n_observations < np ? s->n_observations : np;
  const char **arr = mimic_calloc(2 * np + no + 1, sizeof *arr, "a state's history");
  MIMIC_TRY(keep(e, (void *)arr));
  for (size_t i = 0; i < np; i++) arr[i] = own(e, s->previous[i], &st);
  for (size_t i = 0; i < no; i++) arr[np + i] = own(e, s->observations[i], &st);
  for (size_t i = 0; i < np && s->previous_content; i++)
    arr[np + no + i] = own(e, s->previous_content[i], &st);
  mimic_agent_example x = {0};
  x.state.intent = own(e, s->intent, &st);
  x.state.request = own(e, s->request ? s->request : "", &st);
  x.state.previous = arr;
  x.state.n_previous = np;
  x.state.last_observation = own(e, s->last_observation, &st);
  x.state.observations = arr + np;
  x.state.n_observations = no;
  x.state.previous_content = s->previous_content ? arr + np + no : NULL;
  x.action = own(e, action, &st);
  x.arguments = own(e, arguments, &st);
  x.trace_id = own(e, trace_id ? trace_id : "", &st);
  x.step = step;
  x.group = -1;
  if (st) return st;
  e->ex[e->n++] = x;
  return MIMIC_OK;
}

void mimic_agent_examples_free(mimic_agent_examples *e) {
  if (!e) return;
  for (size_t i = 0; i < e->n_owned; i++) free(e->owned[i]);
  free(e->owned);
  free(e->ex);
  memset(e, 0, sizeof *e);
}

/* ---- splits ------------------------------------------------------------- */

mimic_status mimic_agent_split_by_parse(const char *name, mimic_agent_split_by *out) {
  if (!strcmp(name, "task"))
    *out = MIMIC_AGENT_SPLIT_TASK;
  else if (!strcmp(name, "trace") || !strcmp(name, "run"))
    *out = MIMIC_AGENT_SPLIT_TRACE;
  else
    return mimic_fail(MIMIC_ERR_INVALID, "--split-by wants task or trace, got '%s'", name);
  return MIMIC_OK;
}

mimic_status mimic_agent_split(const mimic_agent_traces *t, mimic_agent_split_by by,
                               double test_fraction, uint64_t seed, bool *test,
                               size_t *n_test_groups) {
  if (!(test_fraction >= 0 && test_fraction <= 1))
    return mimic_fail(MIMIC_ERR_INVALID, "test fraction must be in [0, 1], got %g", test_fraction);
  size_t n = t->n;
  size_t *group = mimic_malloc((n ? n : 1) * sizeof *group, "a split");
  uint32_t *perm = mimic_malloc((n ? n : 1) * sizeof *perm, "a split");
  bool *is_test = mimic_calloc(n ? n : 1, sizeof *is_test, "a split");
  if (!group || !perm || !is_test) {
    free(group);
    free(perm);
    free(is_test);
    return MIMIC_ERR_NOMEM;
  }
  mimic_status st = by == MIMIC_AGENT_SPLIT_TASK ? task_firsts(t, group) : MIMIC_OK;
  size_t n_groups = 0;
  for (size_t i = 0; i < n && !st; i++) /* numbered in order of first appearance */
    group[i] = by == MIMIC_AGENT_SPLIT_TASK && group[i] != i ? group[group[i]] : n_groups++;
  if (st) {
    free(group);
    free(perm);
    free(is_test);
    return st;
  }
  size_t n_test = (size_t)floor(test_fraction * (double)n_groups + 0.5);
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  mimic_rng_permutation(&rng, perm, n_groups);
  for (size_t g = 0; g < n_test; g++) is_test[perm[g]] = true;
  for (size_t i = 0; i < n; i++) test[i] = is_test[group[i]];
  if (n_test_groups) *n_test_groups = n_test;
  free(group);
  free(perm);
  free(is_test);
  return MIMIC_OK;
}
