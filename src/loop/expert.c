/* Experts: the common shell, the codec helpers and the spec parser
 * (mimic/expert.h).
 *
 * Every answer of every transport passes through mimic_expert_label, which
 * checks it the same way: an action inside the space (a discrete id in
 * range, a Box value finite), no skip or undo where a rollout waits for an
 * action, no undo with nothing to take back. A transport written by a user
 * cannot slip a bad answer into a label log.
 *
 * Actions travel as text in two places, program replies and the label
 * log, and both go through the codec helpers here: a named discrete action
 * is its name, an unnamed one its number, a Box action a JSON list of
 * float32 values printed with 9 significant digits (which read back to the
 * same bits). */
#include "mimic/expert.h"
#include "core/util.h"
#include "loop/transport.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mimic_codec_n_names(const mimic_codec *c) {
  return c->space.kind == MIMIC_SPACE_DISCRETE && c->n_names ? c->n_names(c) : 0;
}

/* Discrete actions there are now (a growing list counts its names). */
static int n_actions(const mimic_codec *c) {
  int named = mimic_codec_n_names(c);
  return named > c->space.n ? named : c->space.n;
}

int mimic_codec_find(const mimic_codec *c, const char *name) {
  int n = mimic_codec_n_names(c);
  for (int k = 0; k < n; k++)
    if (strcmp(c->name(c, k), name) == 0) return k;
  return -1;
}

char *mimic_codec_action_text(const mimic_codec *c, const float *action) {
  if (c->space.kind == MIMIC_SPACE_DISCRETE) {
    int k = (int)action[0];
    if (k >= 0 && k < mimic_codec_n_names(c)) return mimic_strdup(c->name(c, k));
    return mimic_asprintf("%d", k);
  }
  return mimic_float_list_text(action, c->space.dim);
}

/* A discrete action named by a string: a known name, or a new one for an open list. */
static mimic_status action_by_name(const mimic_codec *c, const char *name, const char *what,
                                   float *action) {
  int k = mimic_codec_find(c, name);
  if (k < 0 && c->add_name && *name) MIMIC_TRY(c->add_name(c, name, &k));
  if (k < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "%s names '%.80s', which is not one of the %d %ss", what,
                      name, n_actions(c), c->noun ? c->noun : "action");
  action[0] = (float)k;
  return MIMIC_OK;
}

mimic_status mimic_codec_action_from_json(const mimic_codec *c, const json_t *v, const char *what,
                                          float *action) {
  const mimic_space *s = &c->space;
  if (s->kind == MIMIC_SPACE_DISCRETE) {
    if (json_is_string(v)) return action_by_name(c, json_string_value(v), what, action);
    if (json_is_array(v) && json_array_size(v) == 1) v = json_array_get(v, 0);
    if (!json_is_integer(v) &&
        !(json_is_real(v) && json_real_value(v) == floor(json_real_value(v))))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s must be an integer for Discrete(%d)", what,
                        n_actions(c));
    double a = json_number_value(v);
    if (a < 0 || a >= n_actions(c))
      return mimic_fail(MIMIC_ERR_RANGE, "%s %g is outside Discrete(%d)", what, a, n_actions(c));
    action[0] = (float)a;
    return MIMIC_OK;
  }
  if (json_is_number(v) && s->dim == 1) {
    action[0] = (float)json_number_value(v);
  } else {
    if (!json_is_array(v) || json_array_size(v) != (size_t)s->dim)
      return mimic_fail(MIMIC_ERR_FORMAT, "%s must be a list of %d numbers", what, s->dim);
    for (int j = 0; j < s->dim; j++) {
      json_t *x = json_array_get(v, (size_t)j);
      if (!json_is_number(x))
        return mimic_fail(MIMIC_ERR_FORMAT, "%s[%d] is not a number", what, j);
      action[j] = (float)json_number_value(x);
    }
  }
  for (int j = 0; j < s->dim; j++) {
    if (!isfinite(action[j])) return mimic_fail(MIMIC_ERR_RANGE, "%s[%d] is not finite", what, j);
    if ((s->low && action[j] < s->low[j]) || (s->high && action[j] > s->high[j]))
      return mimic_fail(MIMIC_ERR_RANGE, "%s[%d] = %g is outside [%g, %g]", what, j,
                        (double)action[j], s->low ? (double)s->low[j] : -INFINITY,
                        s->high ? (double)s->high[j] : INFINITY);
  }
  return MIMIC_OK;
}

mimic_status mimic_codec_parse_action(const mimic_codec *c, const char *text, float *action) {
  if (c->space.kind == MIMIC_SPACE_DISCRETE && mimic_codec_n_names(c) + !!c->add_name > 0)
    return action_by_name(c, text, "the answer", action);
  json_error_t err;
  json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
  if (!v) return mimic_fail(MIMIC_ERR_FORMAT, "the answer '%.60s' is not an action", text);
  mimic_status st = mimic_codec_action_from_json(c, v, "the answer", action);
  json_decref(v);
  return st;
}

void mimic_codec_free(mimic_codec *c) {
  if (!c) return;
  if (c->free_ctx) c->free_ctx(c);
  free(c);
}

/* ---- the shell ------------------------------------------------------------- */

mimic_status mimic_expert_alloc(const mimic_expert_class *cls, const mimic_codec *codec,
                                const char *name, mimic_expert **out) {
  *out = NULL;
  mimic_expert *e = mimic_calloc(1, sizeof *e, "an expert");
  if (!e) return MIMIC_ERR_NOMEM;
  e->cls = cls;
  e->codec = codec;
  e->max_batch = 1;
  snprintf(e->name, sizeof e->name, "%s", name ? name : cls->kind);
  *out = e;
  return MIMIC_OK;
}

void mimic_expert_free(mimic_expert *e) {
  if (!e) return;
  if (e->cls->free_impl) e->cls->free_impl(e);
  free(e);
}

/* Checks one answer against the question's rules and the space. */
static mimic_status check_answer(const mimic_expert *e, const mimic_questions *q, size_t i,
                                 mimic_answer *a) {
  const mimic_codec *c = e->codec;
  switch (a->kind) {
  case MIMIC_ANSWER_ACTION:
    if (c->space.kind == MIMIC_SPACE_DISCRETE) {
      float v = a->action[0];
      if (!(v >= 0 && v < (float)n_actions(c) && v == floorf(v)))
        return mimic_fail(MIMIC_ERR_RANGE, "%s answered action %g; there are %d actions", e->name,
                          (double)v, n_actions(c));
    } else {
      for (int j = 0; j < c->space.dim; j++)
        if (!isfinite(a->action[j]))
          return mimic_fail(MIMIC_ERR_RANGE, "%s answered a non-finite action[%d]", e->name, j);
    }
    return MIMIC_OK;
  case MIMIC_ANSWER_SKIP:
  case MIMIC_ANSWER_UNDO:
    if (q->must_act)
      return mimic_fail(MIMIC_ERR_INVALID, "%s gave no action for a state that needs one now",
                        e->name);
    if (a->kind == MIMIC_ANSWER_UNDO && !e->person) /* a program's batch is committed whole */
      return mimic_fail(MIMIC_ERR_INVALID,
                        "%s asked to undo; only a person can take an answer back", e->name);
    if (a->kind == MIMIC_ANSWER_UNDO && i > 0) /* an undo with nothing to take back asks again */
      return mimic_fail(MIMIC_ERR_INVALID, "%s asked to undo inside a batch", e->name);
    return MIMIC_OK;
  case MIMIC_ANSWER_QUIT: return MIMIC_OK;
  }
  return mimic_fail(MIMIC_ERR_INVALID, "%s gave an answer of unknown kind %d", e->name,
                    (int)a->kind);
}

/* Questions [lo, lo + n) of q as a batch of their own. */
mimic_questions mimic_questions_slice(const mimic_questions *q, size_t lo, size_t n, int width) {
  mimic_questions s = *q;
  s.n = n;
  if (q->obs) s.obs = q->obs + lo * (size_t)q->obs_dim;
  if (q->items) s.items = q->items + lo;
  if (q->envs) s.envs = q->envs + lo;
  if (q->keys) s.keys = q->keys + lo;
  if (q->ids) s.ids = q->ids + lo;
  if (q->guess) s.guess = q->guess + lo * (size_t)width;
  if (q->guess_conf) s.guess_conf = q->guess_conf + lo;
  if (q->guess_proba) s.guess_proba = q->guess_proba + lo * (size_t)q->guess_k;
  if (q->number) s.number = q->number + lo;
  s.can_undo = q->can_undo && lo == 0;
  return s;
}

mimic_status mimic_expert_deliver(mimic_expert *e, const mimic_questions *q, size_t i,
                                  mimic_answer *a) {
  mimic_questions one = mimic_questions_slice(q, i, 1, mimic_space_width(&e->codec->space));
  MIMIC_TRY(check_answer(e, &one, 0, a));
  if (a->kind == MIMIC_ANSWER_QUIT) return MIMIC_OK;
  MIMIC_TRY(q->deliver(q->deliver_ctx, q, i, a));
  e->answers += a->kind == MIMIC_ANSWER_UNDO ? -1 : 1;
  return MIMIC_OK;
}

void mimic_expert_round_done(mimic_expert *e, int round, const char *metric, double value) {
  if (e && e->cls->round_done) e->cls->round_done(e, round, metric, value);
}

mimic_status mimic_expert_label(mimic_expert *e, const mimic_questions *q, mimic_answer *answers) {
  if (!q->obs && !q->items && !q->envs)
    return mimic_fail(MIMIC_ERR_INVALID, "questions need states");
  if (e->streams) { /* every answer was checked and handed over by mimic_expert_deliver */
    if (!q->deliver)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "%s hands answers over one by one: the loop must "
                        "take them (questions.deliver)",
                        e->name);
    for (size_t i = 0; i < q->n; i++) {
      answers[i].kind = MIMIC_ANSWER_QUIT;
      answers[i].detail = NULL;
      answers[i].labeler = NULL;
    }
    return e->cls->label(e, q, answers);
  }
  int width = mimic_space_width(&e->codec->space);
  for (size_t lo = 0, n; lo < q->n; lo += n) {
    size_t step = e->max_batch ? e->max_batch : 1; /* a program's grows once it has said so */
    n = q->n - lo < step ? q->n - lo : step;
    mimic_questions s = mimic_questions_slice(q, lo, n, width);
    for (size_t i = 0; i < n; i++) {
      answers[lo + i].kind = MIMIC_ANSWER_ACTION;
      answers[lo + i].detail = NULL;
      answers[lo + i].labeler = NULL;
    }
    MIMIC_TRY(e->cls->label(e, &s, answers + lo));
    for (size_t i = 0; i < n; i++) {
      MIMIC_TRY(check_answer(e, &s, i, &answers[lo + i]));
      if (answers[lo + i].kind == MIMIC_ANSWER_QUIT || answers[lo + i].kind == MIMIC_ANSWER_UNDO) {
        for (size_t k = lo + i + 1; k < q->n; k++) answers[k].kind = MIMIC_ANSWER_QUIT;
        e->answers += (long)i;
        return MIMIC_OK; /* the caller acts on it before anything else is asked */
      }
    }
    e->answers += (long)n;
  }
  return MIMIC_OK;
}

mimic_status mimic_expert_open(const char *spec, const mimic_codec *codec,
                               const mimic_expert_opts *opts, mimic_expert **out) {
  *out = NULL;
  mimic_expert_opts o = {0};
  if (opts) o = *opts;
  if (!spec || !*spec)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "no expert given (builtin, human, web[:PORT], cmd:PROGRAM or a file)");
  if (o.agreement > 1 && strcmp(spec, "web") && strncmp(spec, "web:", 4))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "--web-agreement %d asks several people at the labeling page for each "
                      "answer: it needs the expert web[:PORT], not '%s'",
                      o.agreement, spec);
  if (!strcmp(spec, "builtin") || !strcmp(spec, "expert")) return mimic_expert_builtin(codec, out);
  if (!strcmp(spec, "human")) {
    if (o.interactive && !isatty(o.in_fd))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "the human expert reads answers from a terminal, and stdin is not one");
    return mimic_expert_human(codec, o.in_fd, o.out ? o.out : stderr, out);
  }
  if (!strcmp(spec, "web") || !strncmp(spec, "web:", 4)) {
    char *end = NULL;
    long port = spec[3] ? strtol(spec + 4, &end, 10) : 8765;
    if (spec[3] && (!spec[4] || *end || port < 0 || port > 65535))
      return mimic_fail(MIMIC_ERR_INVALID, "expert '%s': the port must be 0..65535 (web:8765)",
                        spec);
    return mimic_expert_web(codec, o.bind, (int)port, o.agreement ? o.agreement : 1, out);
  }
  if (!strncmp(spec, "cmd:", 4)) {
    if (!spec[4])
      return mimic_fail(MIMIC_ERR_INVALID, "expert 'cmd:' needs a program (cmd:./oracle)");
    return mimic_expert_program(spec + 4, codec, o.timeout_s == 0 ? 30 : o.timeout_s, out);
  }
  mimic_policy *p;
  if (!strcmp(spec, "random")) {
    MIMIC_TRY(mimic_policy_random(&codec->space, &p));
  } else {
    mimic_status st = mimic_policy_load(spec, &p);
    if (st == MIMIC_ERR_IO || st == MIMIC_ERR_NOT_FOUND)
      return mimic_fail(
          st,
          "unknown expert '%s': not builtin, human, web[:PORT], cmd:PROGRAM, random or a "
          "readable policy file (%s)",
          spec, mimic_errmsg());
    if (st) return st;
  }
  char name[160];
  snprintf(name, sizeof name, "policy:%s", spec);
  return mimic_expert_policy(p, codec, name, out);
}

/* ---- an expert as a policy ------------------------------------------------- */

typedef struct expert_policy {
  mimic_expert *expert;
  mimic_codec *codec; /* owned, or NULL */
} expert_policy;

static mimic_status expert_act(mimic_policy *p, mimic_act_batch *b) {
  mimic_expert *e = ((expert_policy *)p->impl)->expert;
  int w = mimic_space_width(&e->codec->space);
  mimic_answer *answers = mimic_calloc((size_t)b->n, sizeof *answers, "answers");
  if (!answers) return MIMIC_ERR_NOMEM;
  for (int i = 0; i < b->n; i++) answers[i].action = b->actions + (size_t)i * (size_t)w;
  mimic_questions q = {.n = (size_t)b->n,
                       .obs = b->obs,
                       .obs_dim = p->obs_dim,
                       .items = b->items,
                       .envs = b->envs,
                       .must_act = true};
  mimic_status st = mimic_expert_label(e, &q, answers);
  for (int i = 0; st == MIMIC_OK && i < b->n; i++)
    if (answers[i].kind == MIMIC_ANSWER_QUIT)
      st = mimic_fail(MIMIC_ERR_INTERRUPTED, "%s quit", e->name);
  for (int i = 0; i < b->n; i++) free(answers[i].detail);
  free(answers);
  if (st) return st;
  for (int i = 0; b->confidence && i < b->n; i++) b->confidence[i] = 1.0f;
  return MIMIC_OK;
}

static void expert_policy_free(mimic_policy *p) {
  expert_policy *x = p->impl;
  if (!x) return;
  mimic_expert_free(x->expert);
  mimic_codec_free(x->codec);
  free(x);
}

static const mimic_policy_class expert_policy_class = {
    .kind = "expert", .act = expert_act, .free_impl = expert_policy_free};

mimic_status mimic_policy_from_expert(mimic_expert *e, mimic_codec *codec, int obs_dim,
                                      mimic_policy **out) {
  expert_policy *x = mimic_calloc(1, sizeof *x, "an expert policy");
  mimic_status st = x ? mimic_policy_alloc(&expert_policy_class, &e->codec->space, obs_dim, out)
                      : MIMIC_ERR_NOMEM;
  if (st) {
    free(x);
    mimic_expert_free(e);
    mimic_codec_free(codec);
    return st;
  }
  x->expert = e;
  x->codec = codec;
  (*out)->impl = x;
  snprintf((*out)->description, sizeof(*out)->description, "%.120s", e->name);
  return MIMIC_OK;
}

mimic_status mimic_policy_open(const char *spec, const mimic_env *env, double timeout_s,
                               mimic_policy **out) {
  *out = NULL;
  if (strcmp(spec, "expert") == 0 || strcmp(spec, "builtin") == 0)
    return mimic_policy_builtin_expert(env, out);
  if (strcmp(spec, "random") == 0) return mimic_policy_random(mimic_env_action_space(env), out);
  int obs_dim = mimic_env_obs_space(env)->dim;
  if (strncmp(spec, "cmd:", 4) == 0 || strcmp(spec, "human") == 0) {
    mimic_codec *codec;
    MIMIC_TRY(mimic_codec_env(env, &codec));
    mimic_expert_opts eo = {.timeout_s = timeout_s, .out = stderr, .interactive = true};
    mimic_expert *e;
    mimic_status st = mimic_expert_open(spec, codec, &eo, &e);
    if (st) {
      mimic_codec_free(codec);
      return st;
    }
    return mimic_policy_from_expert(e, codec, obs_dim, out);
  }
  MIMIC_TRY(mimic_policy_load(spec, out));
  if (mimic_policy_obs_dim(*out) != obs_dim) {
    mimic_status st =
        mimic_fail(MIMIC_ERR_INVALID, "%s expects observations of %d values, but %s gives %d", spec,
                   mimic_policy_obs_dim(*out), mimic_env_id(env), obs_dim);
    mimic_policy_free(*out);
    *out = NULL;
    return st;
  }
  const mimic_space *act = mimic_env_action_space(env), *pa = mimic_policy_action_space(*out);
  if (act->kind != pa->kind ||
      (act->kind == MIMIC_SPACE_DISCRETE ? act->n != pa->n : act->dim != pa->dim)) {
    mimic_policy_free(*out);
    *out = NULL;
    return mimic_fail(MIMIC_ERR_INVALID, "%s acts in another action space than %s", spec,
                      mimic_env_id(env));
  }
  return MIMIC_OK;
}
