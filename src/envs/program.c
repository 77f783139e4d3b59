/* Environments in other processes: `--env cmd:PROGRAM ARGS` and
 * `--env gym:ID[:JSON-KWARGS]`, spoken to in the env protocol
 * (docs/env-protocol.md) over the program's stdin and stdout.
 *
 * Each such environment is its own class, made for it alone when
 * mimic_env_make meets the "cmd:" or "gym:" scheme: the program's
 * handshake decides what a class otherwise fixes at compile time (the
 * spaces, the time limit, reward_threshold, whether there is an expert),
 * so init fills the class in and env.c frees it with the environment. A
 * vector of N copies is N programs, as Gymnasium's AsyncVectorEnv is N
 * processes.
 *
 * The transport (spawning without a shell, ids, timeouts, a program that
 * exits or prints garbage, {"error": ...}) is core's mimic_proc. What is
 * here is the meaning of each reply, checked before anything reaches
 * mimic's buffers: an observation of the wrong size or holding NaN, a
 * reward that is not a finite number, flags that are not booleans are
 * errors naming the program, the step and the field. The program's own
 * truncation becomes mimic's time limit for that step, as for a Python
 * environment stepped through callbacks. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/util.h"
#include "envs/program.h"

enum { PROTOCOL = 1, PROTOCOL_BATCH = 2 };
#define DEFAULT_TIMEOUT_S 60.0
#define HELLO_TIMEOUT_S 120.0

/* ---- reading replies ------------------------------------------------------ */

/* A JSON number, or one of the strings mimic_proc_allow_nonfinite makes. */
static bool read_real(const json_t *v, double *x) {
  if (json_is_number(v)) {
    *x = json_number_value(v);
    return true;
  }
  const char *s = json_string_value(v);
  if (!s) return false;
  if (strcmp(s, "NaN") == 0)
    *x = NAN;
  else if (strcmp(s, "Infinity") == 0)
    *x = INFINITY;
  else if (strcmp(s, "-Infinity") == 0)
    *x = -INFINITY;
  else
    return false;
  return true;
}

/* Flattens v (a number or nested lists of numbers, row-major) into out[dim].
 * Returns the count seen (may exceed dim: only dim are written), or -1 with
 * *bad set to the flat index of the first value that is not a number. */
static long flatten(const json_t *v, float *out, long dim, long at, long *bad) {
  if (json_is_array(v)) {
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) {
      at = flatten(x, out, dim, at, bad);
      if (at < 0) return -1;
    }
    return at;
  }
  double d;
  if (!read_real(v, &d)) {
    *bad = at;
    return -1;
  }
  if (at < dim) out[at] = (float)d;
  return at + 1;
}

/* Where a reply came from, for messages: "step 17 of episode 3". */
const char *program_where(const program_env *e, char *buf, size_t cap) {
  if (e->step > 0)
    snprintf(buf, cap, "step %ld of episode %ld", e->step, e->episode);
  else if (e->episode > 0)
    snprintf(buf, cap, "reset of episode %ld", e->episode);
  else
    snprintf(buf, cap, "hello");
  return buf;
}

/* Reads field `name` of reply into out[dim] floats: the right count, no NaN. */
static mimic_status read_floats(const program_env *e, const json_t *reply, const char *name,
                                float *out, int dim, bool allow_inf) {
  char w[64];
  const json_t *v = json_object_get(reply, name);
  if (!v)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: the reply has no \"%s\"",
                      program_where(e, w, sizeof w), name);
  long bad = 0, n = flatten(v, out, dim, 0, &bad);
  if (n < 0)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s[%ld] is not a number",
                      program_where(e, w, sizeof w), name, bad);
  if (n != dim)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s has %ld values, the space takes %d",
                      program_where(e, w, sizeof w), name, n, dim);
  for (int i = 0; i < dim; i++)
    if (isnan(out[i]) || (!allow_inf && isinf(out[i])))
      return mimic_fail(MIMIC_ERR_RANGE, "%s: %s[%d] is %s", program_where(e, w, sizeof w), name, i,
                        isnan(out[i]) ? "NaN" : "infinite");
  return MIMIC_OK;
}

/* Sends request (taking it) and wraps a failure with the program and step. */
static mimic_status ask(program_env *e, json_t *request, json_t **reply) {
  *reply = NULL;
  if (!request) return mimic_fail_nomem("a request");
  mimic_status st = mimic_proc_request(e->pc->proc, request, reply);
  json_decref(request);
  if (st == MIMIC_OK) return MIMIC_OK;
  e->pc->healthy = false;
  char w[64];
  return mimic_errctx("%s", program_where(e, w, sizeof w));
}

/* ---- the handshake ------------------------------------------------------------ */

/* A space from the handshake's JSON; bounds land in low/high (dim each, or
 * the caller learns dim with low NULL). */
static mimic_status read_space(const json_t *j, const char *name, mimic_space *s, float *low,
                               float *high) {
  const char *type = json_string_value(json_object_get(j, "type"));
  if (!json_is_object(j) || !type)
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: \"%s\" is not a space ({\"type\": ...})", name);
  if (strcmp(type, "Discrete") == 0) {
    const json_t *n = json_object_get(j, "n");
    if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > (1 << 30))
      return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.n is not a positive integer", name);
    const json_t *start = json_object_get(j, "start");
    if (start && !(json_is_integer(start) && json_integer_value(start) == 0))
      return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.start must be 0", name);
    *s = mimic_space_discrete((int)json_integer_value(n));
    return MIMIC_OK;
  }
  if (strcmp(type, "Box") != 0)
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.type is '%.40s', not Box or Discrete", name,
                      type);
  const json_t *shape = json_object_get(j, "shape");
  size_t nd = json_array_size(shape);
  if (!json_is_array(shape) || nd < 1 || nd > MIMIC_SPACE_MAX_DIMS)
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.shape is not a list of 1 to %d sizes", name,
                      MIMIC_SPACE_MAX_DIMS);
  *s = mimic_space_box(1, NULL, NULL);
  s->ndim = (int)nd;
  long long dim = 1;
  for (size_t d = 0; d < nd; d++) {
    const json_t *k = json_array_get(shape, d);
    if (!json_is_integer(k) || json_integer_value(k) < 1 || json_integer_value(k) > (1 << 24))
      return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.shape[%zu] is not a positive integer", name,
                        d);
    s->shape[d] = (int)json_integer_value(k);
    dim *= s->shape[d];
  }
  if (dim > (1 << 24))
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s holds %lld values (at most %d)", name, dim,
                      1 << 24);
  s->dim = (int)dim;
  if (!low) return MIMIC_OK;
  for (int side = 0; side < 2; side++) {
    const char *key = side ? "high" : "low";
    float *b = side ? high : low;
    const json_t *v = json_object_get(j, key);
    double x;
    if (!v || json_is_null(v)) {
      for (int i = 0; i < s->dim; i++) b[i] = side ? INFINITY : -INFINITY;
    } else if (read_real(v, &x)) { /* a scalar bound, broadcast as Gymnasium does */
      for (int i = 0; i < s->dim; i++) b[i] = (float)x;
    } else {
      long bad = 0, n = flatten(v, b, s->dim, 0, &bad);
      if (n < 0)
        return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.%s[%ld] is not a number", name, key, bad);
      if (n != s->dim)
        return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.%s has %ld values, the shape holds %d", name,
                          key, n, s->dim);
    }
    for (int i = 0; i < s->dim; i++)
      if (isnan(b[i])) return mimic_fail(MIMIC_ERR_FORMAT, "hello: %s.%s[%d] is NaN", name, key, i);
  }
  s->low = low;
  s->high = high;
  return MIMIC_OK;
}

/* Reads both spaces, allocating the class's bounds. */
static mimic_status read_spaces(program_class *pc, const json_t *reply, mimic_space *obs,
                                mimic_space *act) {
  const json_t *jo = json_object_get(reply, "observation_space");
  const json_t *ja = json_object_get(reply, "action_space");
  if (!jo || !ja)
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: the reply has no \"%s\"",
                      jo ? "action_space" : "observation_space");
  MIMIC_TRY(read_space(jo, "observation_space", obs, NULL, NULL));
  MIMIC_TRY(read_space(ja, "action_space", act, NULL, NULL));
  if (obs->kind != MIMIC_SPACE_BOX)
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: observation_space must be a Box");
  size_t n = 2 * (size_t)obs->dim + (act->kind == MIMIC_SPACE_BOX ? 2 * (size_t)act->dim : 0);
  pc->bounds = mimic_malloc(n * sizeof(float), "space bounds");
  if (!pc->bounds) return MIMIC_ERR_NOMEM;
  float *b = pc->bounds;
  MIMIC_TRY(read_space(jo, "observation_space", obs, b, b + obs->dim));
  b += 2 * obs->dim;
  if (act->kind == MIMIC_SPACE_BOX) MIMIC_TRY(read_space(ja, "action_space", act, b, b + act->dim));
  return MIMIC_OK;
}

static mimic_status program_expert(void *impl, float *action);
static mimic_status program_render_text(void *impl, char *buf, size_t cap);
static mimic_status program_render_rgb(void *impl, uint8_t *rgb, int *w, int *h);

/* Which of Gymnasium's render modes the handshake's "render_modes" lists. */
static mimic_status read_render_modes(program_class *pc, const json_t *reply) {
  pc->cls.render_text = NULL;
  pc->cls.render_rgb = NULL;
  const json_t *modes = json_object_get(reply, "render_modes");
  if (!modes || json_is_null(modes)) return MIMIC_OK;
  if (!json_is_array(modes))
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: render_modes is not a list of strings");
  size_t i;
  const json_t *m;
  json_array_foreach(modes, i, m) {
    const char *name = json_string_value(m);
    if (!name) return mimic_fail(MIMIC_ERR_FORMAT, "hello: render_modes[%zu] is not a string", i);
    if (strcmp(name, "ansi") == 0) pc->cls.render_text = program_render_text;
    if (strcmp(name, "rgb_array") == 0) pc->cls.render_rgb = program_render_rgb;
  }
  return MIMIC_OK;
}

/* Takes what the handshake says beyond the spaces. */
static mimic_status read_hello(program_class *pc, const json_t *reply, mimic_env_spec *spec) {
  const json_t *proto = json_object_get(reply, "protocol");
  if (!json_is_integer(proto))
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: the reply has no \"protocol\" (mimic speaks %d)",
                      PROTOCOL);
  program_group *g = pc->group && pc->copy == 0 && pc->group->n > 1 ? pc->group : NULL;
  json_int_t version = json_integer_value(proto);
  if (version != PROTOCOL && !(g && version == PROTOCOL_BATCH))
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "hello: the program speaks protocol %lld, mimic speaks %d%s",
                      (long long)version, g ? PROTOCOL_BATCH : PROTOCOL,
                      g ? " (or 1)" : " (2 only when it asks for copies)");
  if (g && version == PROTOCOL_BATCH) {
    const json_t *n = json_object_get(reply, "num_envs");
    if (!json_is_integer(n) || json_integer_value(n) != g->n)
      return mimic_fail(MIMIC_ERR_FORMAT, "hello: num_envs is %s, mimic asked for %d copies",
                        json_is_integer(n) ? "another number" : "missing", g->n);
  }
  if (g) g->batched = version == PROTOCOL_BATCH;
  if (g) {
    const json_t *eor = json_object_get(reply, "expert_on_request");
    if (eor && !json_is_boolean(eor))
      return mimic_fail(MIMIC_ERR_FORMAT, "hello: expert_on_request is not true or false");
    g->expert_on_request = g->batched && json_is_true(eor);
    g->want_expert = false;
  }
  const json_t *ms = json_object_get(reply, "max_episode_steps");
  if (ms && !json_is_null(ms)) {
    if (!json_is_integer(ms) || json_integer_value(ms) < 0 || json_integer_value(ms) > (1 << 30))
      return mimic_fail(MIMIC_ERR_FORMAT, "hello: max_episode_steps is not a count of steps");
    spec->max_steps = (int)json_integer_value(ms);
  }
  const json_t *rt = json_object_get(reply, "reward_threshold");
  if (rt && !json_is_null(rt)) {
    double x;
    if (!read_real(rt, &x) || isnan(x))
      return mimic_fail(MIMIC_ERR_FORMAT, "hello: reward_threshold is not a number");
    pc->cls.reward_threshold = x;
  }
  const json_t *ex = json_object_get(reply, "expert");
  if (ex && !json_is_boolean(ex))
    return mimic_fail(MIMIC_ERR_FORMAT, "hello: expert is not true or false");
  pc->cls.expert = json_is_true(ex) ? program_expert : NULL;
  return read_render_modes(pc, reply);
}

/* The options for the program: every key but mimic's own, as strings. */
static json_t *options_json(mimic_kv *kv) {
  json_t *o = json_object();
  for (int i = 0; o && i < kv->n; i++) {
    if (strcmp(kv->item[i].key, "max_steps") == 0 || strcmp(kv->item[i].key, "timeout") == 0)
      continue;
    kv->item[i].used = true;
    json_object_set_new(o, kv->item[i].key, json_string(kv->item[i].value));
  }
  return o;
}

/* The program's words: cmd:'s command line as it is, or the gym bridge's. */
static mimic_status program_argv(const char *spec, char ***argv) {
  if (strncmp(spec, "cmd:", 4) == 0) return mimic_argv_split(spec + 4, argv);
  /* gym:ID[:JSON-KWARGS] */
  const char *id = spec + 4, *colon = strchr(id, ':');
  size_t id_len = colon ? (size_t)(colon - id) : strlen(id);
  if (id_len == 0) return mimic_fail(MIMIC_ERR_INVALID, "'%s' names no Gymnasium id", spec);
  const char *bridge = getenv("MIMIC_GYM_BRIDGE");
  if (!bridge || !bridge[0]) {
    static const char *const places[] = {MIMIC_GYM_BRIDGE_INSTALLED, MIMIC_GYM_BRIDGE_SOURCE};
    bridge = NULL;
    for (size_t i = 0; i < sizeof places / sizeof *places && !bridge; i++)
      if (access(places[i], R_OK) == 0) bridge = places[i];
    if (!bridge)
      return mimic_fail(MIMIC_ERR_NOT_FOUND,
                        "cannot find mimic's Gymnasium bridge (gym_bridge.py; looked in %s; "
                        "MIMIC_GYM_BRIDGE names it)",
                        places[0]);
  }
  const char *python = getenv("MIMIC_PYTHON");
  char **a = mimic_calloc(5, sizeof *a, "an argument list");
  if (!a) return MIMIC_ERR_NOMEM;
  a[0] = mimic_strdup(python && python[0] ? python : "python3");
  a[1] = mimic_strdup(bridge);
  a[2] = mimic_strdup(id);
  if (a[2]) a[2][id_len] = '\0';
  if (colon) a[3] = mimic_strdup(colon + 1);
  if (!a[0] || !a[1] || !a[2] || (colon && !a[3])) {
    mimic_argv_free(a);
    return MIMIC_ERR_NOMEM;
  }
  *argv = a;
  return MIMIC_OK;
}

/* ---- idle programs ----------------------------------------------------------- */

/* Programs whose environment was freed while they were healthy wait here to
 * serve the next environment made with the same spec and timeout: an
 * evaluation opens up to 32 copies and DAgger evaluates every round, and
 * starting an interpreter each time would cost more than the episodes. A
 * reused program is sent hello again, which makes its environment anew, so
 * a fresh one and a reused one give the same episodes. When mimic exits the
 * idle programs read the end of their input and leave. */
enum { POOL_MAX = 64 };
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char *spec;
  double timeout_s;
  mimic_proc *proc;
} pool[POOL_MAX];
static int pool_n;

/* An idle program for spec, or NULL. */
static mimic_proc *pool_take(const char *spec, double timeout_s) {
  mimic_proc *p = NULL;
  pthread_mutex_lock(&pool_lock);
  for (int i = pool_n - 1; i >= 0 && !p; i--) {
    if (pool[i].timeout_s != timeout_s || strcmp(pool[i].spec, spec) != 0) continue;
    p = pool[i].proc;
    free(pool[i].spec);
    pool[i] = pool[--pool_n];
  }
  pthread_mutex_unlock(&pool_lock);
  return p;
}

/* Keeps p for reuse, or ends it when the pool is full. */
static void pool_give(const char *spec, double timeout_s, mimic_proc *p) {
  char *copy = mimic_strdup(spec);
  pthread_mutex_lock(&pool_lock);
  bool kept = copy && pool_n < POOL_MAX;
  if (kept) pool[pool_n++] = (__typeof__(pool[0])){copy, timeout_s, p};
  pthread_mutex_unlock(&pool_lock);
  if (!kept) {
    free(copy);
    mimic_proc_stop(p); /* end of its input is the protocol's close */
  }
}

/* Sends hello (with the options) and reads the handshake. */
static mimic_status hello(program_env *e, mimic_kv *kv, mimic_env_spec *spec) {
  program_group *g = e->pc->group && e->pc->copy == 0 && e->pc->group->n > 1 ? e->pc->group : NULL;
  json_t *req = json_pack("{s:s, s:i}", "type", "hello", "protocol", g ? PROTOCOL_BATCH : PROTOCOL);
  if (req && g) json_object_set_new(req, "num_envs", json_integer(g->n));
  json_t *opts = options_json(kv);
  if (req && opts) json_object_set(req, "options", opts);
  json_decref(opts);
  json_t *reply;
  MIMIC_TRY(ask(e, req, &reply));
  mimic_status st = read_spaces(e->pc, reply, &e->obs_space, &e->act_space);
  if (st == MIMIC_OK) st = read_hello(e->pc, reply, spec);
  json_decref(reply);
  if (st) return mimic_errctx("environment program '%s'", mimic_proc_name(e->pc->proc));
  return MIMIC_OK;
}

/* Copy 0's program answered protocol 2: the group takes the program and
 * the spaces, and the other copies join without a message. */
static mimic_status lead_group(program_env *e, const mimic_env_spec *spec) {
  program_group *g = e->pc->group;
  g->proc = e->pc->proc; /* the class keeps it as an alias, for messages */
  g->bounds = e->pc->bounds;
  e->pc->bounds = NULL;
  g->timeout_s = e->pc->timeout_s;
  g->max_steps = spec->max_steps;
  g->healthy = true;
  g->copies[0] = e;
  /* frames carry no pictures: play and render use a single environment */
  e->pc->cls.render_text = NULL;
  e->pc->cls.render_rgb = NULL;
  return program_group_ready(g);
}

/* A copy after the first of a batched group: the same spaces, no message
 * (its options went out with copy 0's hello, as they are the same). */
static mimic_status join_group(program_env *e, mimic_kv *kv, mimic_env_spec *spec) {
  program_group *g = e->pc->group;
  program_env *lead = g->copies[0];
  if (!lead || !g->proc)
    return mimic_fail(MIMIC_ERR_INVALID, "copy %d of '%s' made before copy 0", e->pc->copy,
                      g->spec);
  json_decref(options_json(kv)); /* marks them read */
  e->obs_space = lead->obs_space;
  e->act_space = lead->act_space;
  e->pc->proc = g->proc;
  e->pc->timeout_s = g->timeout_s;
  e->pc->cls.reward_threshold = lead->pc->cls.reward_threshold;
  e->pc->cls.expert = lead->pc->cls.expert;
  spec->max_steps = g->max_steps;
  spec->obs_space = e->obs_space;
  spec->action_space = e->act_space;
  g->copies[e->pc->copy] = e;
  return MIMIC_OK;
}

static mimic_status program_init(mimic_env *env, void *impl, const void *user, mimic_kv *kv,
                                 mimic_env_spec *spec) {
  program_env *e = impl;
  program_class *pc = (program_class *)user; /* made for this environment alone */
  e->pc = pc;
  e->env = env;
  MIMIC_TRY(mimic_kv_double(kv, "timeout", DEFAULT_TIMEOUT_S, 0, 1e9, &pc->timeout_s));
  program_group *g = pc->group;
  if (g && pc->copy > 0 && g->batched) return join_group(e, kv, spec);
  bool lead = g && pc->copy == 0 && g->n > 1; /* asks for every copy */
  if ((lead && (pc->proc = pool_take(g->pool_key, pc->timeout_s))) ||
      (pc->proc = pool_take(pc->spec, pc->timeout_s))) {
    mimic_env_spec before = *spec;
    if (hello(e, kv, spec) == MIMIC_OK) goto ready;
    /* it died while idle, or cannot start over: a new one decides */
    mimic_proc_stop(pc->proc);
    pc->proc = NULL;
    free(pc->bounds);
    pc->bounds = NULL;
    *spec = before;
  }
  char **argv;
  MIMIC_TRY(program_argv(pc->spec, &argv));
  /* starting an interpreter and importing a simulator may take longer than
   * a step: the handshake of a new program waits at least HELLO_TIMEOUT_S */
  double first =
      pc->timeout_s > 0 && pc->timeout_s < HELLO_TIMEOUT_S ? HELLO_TIMEOUT_S : pc->timeout_s;
  mimic_status st = mimic_proc_spawn(argv, "environment program", first, &pc->proc);
  mimic_argv_free(argv);
  if (st) return st;
  mimic_proc_allow_nonfinite(pc->proc);
  MIMIC_TRY(hello(e, kv, spec));
  mimic_proc_set_timeout(pc->proc, pc->timeout_s);
ready:
  spec->obs_space = e->obs_space;
  spec->action_space = e->act_space;
  pc->healthy = true;
  if (lead && g->batched) return lead_group(e, spec);
  return MIMIC_OK;
}

/* ---- reset, step, expert ------------------------------------------------------ */

/* Whether e's copy is served by its group's program in protocol 2. */
static bool batched(const program_env *e) { return e->pc->group && e->pc->group->batched; }

/* Reads an observation; failures name the program. */
static mimic_status read_obs(program_env *e, const json_t *reply, float *obs) {
  if (read_floats(e, reply, "obs", obs, e->obs_space.dim, true) == MIMIC_OK) return MIMIC_OK;
  e->pc->healthy = false;
  return mimic_errctx("environment program '%s'", mimic_proc_name(e->pc->proc));
}

static mimic_status program_reset(void *impl, mimic_rng *rng, mimic_kv *options, float *obs) {
  (void)rng; /* the program has its own generator, seeded through the request */
  program_env *e = impl;
  int64_t seed = mimic_env_reset_seed(e->env);
  if (batched(e)) {
    if (options->n)
      return mimic_fail(MIMIC_ERR_INVALID, "reset options do not reach copies served in a batch");
    return program_group_reset(e->pc->group, &e, 1, &seed, &obs);
  }
  e->step = 0;
  e->episode++;
  json_t *req = json_pack("{s:s}", "type", "reset");
  if (req) json_object_set_new(req, "seed", seed >= 0 ? json_integer(seed) : json_null());
  if (req && options->n) json_object_set_new(req, "options", options_json(options));
  json_t *reply;
  MIMIC_TRY(ask(e, req, &reply));
  mimic_status st = read_obs(e, reply, obs);
  json_decref(reply);
  return st;
}

/* An action as JSON: an integer for Discrete, a flat list for a Box. */
static json_t *action_json(const mimic_space *s, const float *action) {
  if (s->kind == MIMIC_SPACE_DISCRETE) return json_integer((json_int_t)action[0]);
  json_t *a = json_array();
  for (int i = 0; a && i < s->dim; i++) json_array_append_new(a, json_real(action[i]));
  return a;
}

/* A boolean field of a step's reply. */
static mimic_status read_flag(const program_env *e, const json_t *reply, const char *name,
                              bool *out) {
  const json_t *v = json_object_get(reply, name);
  if (json_is_boolean(v)) {
    *out = json_is_true(v);
    return MIMIC_OK;
  }
  char w[64];
  return mimic_fail(MIMIC_ERR_FORMAT, "environment program '%s': %s: %s is %s, not true or false",
                    mimic_proc_name(e->pc->proc), program_where(e, w, sizeof w), name,
                    v ? "another value" : "missing");
}

static mimic_status program_step(void *impl, const float *action, float *obs, double *reward,
                                 bool *terminated) {
  program_env *e = impl;
  bool trunc = false;
  if (batched(e)) {
    MIMIC_TRY(program_group_step_one(e, action, obs, reward, terminated, &trunc));
    goto clock;
  }
  e->step++;
  json_t *req =
      json_pack("{s:s, s:o}", "type", "step", "action", action_json(&e->act_space, action));
  json_t *reply;
  MIMIC_TRY(ask(e, req, &reply));
  mimic_status st = read_obs(e, reply, obs);
  double r = 0;
  bool term = false;
  char w[64];
  if (st == MIMIC_OK && (!read_real(json_object_get(reply, "reward"), &r) || !isfinite(r)))
    st = mimic_fail(MIMIC_ERR_RANGE, "environment program '%s': %s: reward is %s",
                    mimic_proc_name(e->pc->proc), program_where(e, w, sizeof w),
                    !json_object_get(reply, "reward") ? "missing"
                    : isnan(r)                        ? "NaN"
                    : isinf(r)                        ? "infinite"
                                                      : "not a number");
  if (st == MIMIC_OK) st = read_flag(e, reply, "terminated", &term);
  if (st == MIMIC_OK) st = read_flag(e, reply, "truncated", &trunc);
  json_decref(reply);
  if (st) {
    e->pc->healthy = false;
    return st;
  }
  *reward = r;
  *terminated = term;
clock:;
  /* the program's own time limit: mimic's clock ends the episode at this step */
  int elapsed = mimic_env_elapsed(e->env);
  if (trunc) MIMIC_TRY(mimic_env_set_clock(e->env, elapsed, elapsed + 1));
  return MIMIC_OK;
}

static mimic_status program_expert(void *impl, float *action) {
  program_env *e = impl;
  if (batched(e)) /* frames bring the expert's answers: no round trip once asked */
    return program_group_expert(e, action);
  json_t *reply;
  MIMIC_TRY(ask(e, json_pack("{s:s}", "type", "expert_action"), &reply));
  float a[1];
  float *out = e->act_space.kind == MIMIC_SPACE_DISCRETE ? a : action;
  mimic_status st = read_floats(e, reply, "action", out, mimic_space_width(&e->act_space), false);
  json_decref(reply);
  if (st == MIMIC_OK && e->act_space.kind == MIMIC_SPACE_DISCRETE) {
    if (!mimic_space_contains(&e->act_space, a)) {
      char w[64];
      st = mimic_fail(MIMIC_ERR_RANGE, "%s: expert_action %g is not in Discrete(%d)",
                      program_where(e, w, sizeof w), (double)a[0], e->act_space.n);
    }
    action[0] = a[0];
  }
  if (st) {
    e->pc->healthy = false;
    return mimic_errctx("environment program '%s'", mimic_proc_name(e->pc->proc));
  }
  return MIMIC_OK;
}

/* ---- render -------------------------------------------------------------------- */

/* Asks for a picture in mode ("ansi" or "rgb_array"). */
static mimic_status ask_render(program_env *e, const char *mode, json_t **reply) {
  return ask(e, json_pack("{s:s, s:s}", "type", "render", "mode", mode), reply);
}

static mimic_status program_render_text(void *impl, char *buf, size_t cap) {
  program_env *e = impl;
  json_t *reply;
  MIMIC_TRY(ask_render(e, "ansi", &reply));
  const char *text = json_string_value(json_object_get(reply, "text"));
  mimic_status st = MIMIC_OK;
  if (!text) {
    char w[64];
    st = mimic_fail(MIMIC_ERR_FORMAT, "environment program '%s': render at %s: \"text\" is %s",
                    mimic_proc_name(e->pc->proc), program_where(e, w, sizeof w),
                    json_object_get(reply, "text") ? "not a string" : "missing");
  } else if (cap > 0) {
    snprintf(buf, cap, "%s", text);
  }
  json_decref(reply);
  return st;
}

/* Decodes base64 text into out (cap bytes); returns the count, or -1. */
static long base64_decode(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (; *s && *s != '='; s++) {
    const char *digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *d = strchr(digits, *s);
    if (!d) return -1;
    acc = (acc << 6) | (unsigned)(d - digits);
    if ((bits += 6) >= 8) {
      bits -= 8;
      if (n >= cap) return -1;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  return (long)n;
}

/* A frame: {"width": W, "height": H, "rgb": base64 of H*W*3 bytes, row by
 * row}. The size query (rgb NULL) fetches the frame and keeps it, so the
 * call that follows with a buffer copies it without a second request. */
static mimic_status program_render_rgb(void *impl, uint8_t *rgb, int *w, int *h) {
  program_env *e = impl;
  if (rgb && e->frame && *w == e->frame_w && *h == e->frame_h) {
    memcpy(rgb, e->frame, (size_t)e->frame_w * (size_t)e->frame_h * 3);
    free(e->frame);
    e->frame = NULL;
    return MIMIC_OK;
  }
  json_t *reply;
  MIMIC_TRY(ask_render(e, "rgb_array", &reply));
  const json_t *jw = json_object_get(reply, "width"), *jh = json_object_get(reply, "height");
  const char *data = json_string_value(json_object_get(reply, "rgb"));
  char where_[64];
  mimic_status st = MIMIC_OK;
  long fw = json_integer_value(jw), fh = json_integer_value(jh);
  if (!json_is_integer(jw) || !json_is_integer(jh) || fw < 1 || fh < 1 || fw > 8192 || fh > 8192)
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "environment program '%s': render at %s: width and height are not sizes "
                    "from 1 to 8192",
                    mimic_proc_name(e->pc->proc), program_where(e, where_, sizeof where_));
  else if (!data)
    st = mimic_fail(MIMIC_ERR_FORMAT, "environment program '%s': render at %s: \"rgb\" is missing",
                    mimic_proc_name(e->pc->proc), program_where(e, where_, sizeof where_));
  size_t bytes = st ? 0 : (size_t)fw * (size_t)fh * 3;
  uint8_t *frame = st ? NULL : mimic_malloc(bytes, "a frame");
  if (!st && !frame) st = MIMIC_ERR_NOMEM;
  if (!st) {
    long got = base64_decode(data, frame, bytes);
    if (got != (long)bytes)
      st =
          mimic_fail(MIMIC_ERR_FORMAT,
                     "environment program '%s': render at %s: rgb holds %s, %ldx%ld pixels "
                     "take %zu bytes",
                     mimic_proc_name(e->pc->proc), program_where(e, where_, sizeof where_),
                     got < 0 ? "something that is not base64 (or too many bytes)" : "too few bytes",
                     fw, fh, bytes);
  }
  json_decref(reply);
  if (st) {
    free(frame);
    return st;
  }
  free(e->frame);
  e->frame = NULL;
  if (rgb && *w == fw && *h == fh) {
    memcpy(rgb, frame, bytes);
    free(frame);
  } else {
    e->frame = frame; /* the caller learns the size and asks again */
    e->frame_w = (int)fw;
    e->frame_h = (int)fh;
  }
  *w = (int)fw;
  *h = (int)fh;
  return MIMIC_OK;
}

static void program_fini(void *impl) {
  program_env *e = impl;
  free(e->frame);
}

/* ---- the class ---------------------------------------------------------------- */

bool mimic_env_is_program(const char *id) {
  return strncmp(id, "cmd:", 4) == 0 || strncmp(id, "gym:", 4) == 0;
}

mimic_status mimic_env_program_class(const char *id, mimic_env_class **out) {
  *out = NULL;
  program_class *pc = mimic_calloc(1, sizeof *pc, "an environment program");
  if (!pc) return MIMIC_ERR_NOMEM;
  pc->spec = mimic_strdup(id);
  if (!pc->spec) {
    free(pc);
    return MIMIC_ERR_NOMEM;
  }
  snprintf(pc->summary, sizeof pc->summary, "an environment in another process (%.60s)", id);
  pc->cls = (mimic_env_class){.id = pc->spec,
                              .summary = pc->summary,
                              .impl_size = sizeof(program_env),
                              .reward_threshold = NAN,
                              .user = pc,
                              .init = program_init,
                              .reset = program_reset,
                              .step = program_step,
                              .fini = program_fini,
                              .unlisted = true};
  *out = &pc->cls;
  return MIMIC_OK;
}

/* Ends the group's program (or keeps it for the same spec and N) and frees it. */
static void group_free(program_group *g) {
  if (g->proc && g->healthy)
    pool_give(g->pool_key, g->timeout_s, g->proc);
  else
    mimic_proc_stop(g->proc);
  free(g->spec);
  free(g->pool_key);
  free(g->copies);
  free(g->bounds);
  free(g->expert);
  free(g->expert_fresh);
  free(g->out);
  free(g->in);
  free(g->list);
  free(g->acts);
  free(g->rows);
  free(g->last);
  free(g);
}

mimic_status mimic_env_program_classes(const char *id, int n, mimic_env_class **out) {
  for (int i = 0; i < n; i++) out[i] = NULL;
  program_group *g = mimic_calloc(1, sizeof *g, "an environment program");
  if (!g) return MIMIC_ERR_NOMEM;
  g->n = n;
  g->spec = mimic_strdup(id);
  g->copies = mimic_calloc((size_t)n, sizeof *g->copies, "environment copies");
  size_t klen = strlen(id) + 16;
  g->pool_key = mimic_malloc(klen, "an environment program");
  if (!g->spec || !g->copies || !g->pool_key) {
    group_free(g);
    return MIMIC_ERR_NOMEM;
  }
  snprintf(g->pool_key, klen, "%s\n%d", id, n);
  for (int i = 0; i < n; i++) {
    mimic_status st = mimic_env_program_class(id, &out[i]);
    if (st) {
      if (i == 0) group_free(g); /* else the last class freed frees it */
      for (int k = 0; k < i; k++) mimic_env_program_class_free(out[k]);
      for (int k = 0; k < n; k++) out[k] = NULL;
      return st;
    }
    program_class *pc = (program_class *)out[i];
    pc->group = g;
    pc->copy = i;
    g->refs++;
  }
  return MIMIC_OK;
}

void mimic_env_program_class_free(mimic_env_class *cls) {
  if (!cls) return;
  program_class *pc = (program_class *)cls;
  program_group *g = pc->group;
  if (g && g->proc && pc->proc == g->proc) pc->proc = NULL; /* the group's: an alias */
  if (g && g->copies[pc->copy] && g->copies[pc->copy]->pc == pc) g->copies[pc->copy] = NULL;
  if (pc->proc && pc->healthy)
    pool_give(pc->spec, pc->timeout_s, pc->proc);
  else
    mimic_proc_stop(pc->proc); /* end of its input is the protocol's close */
  free(pc->bounds);
  free(pc->spec);
  free(pc);
  if (g && --g->refs == 0) group_free(g);
}
