/* DAgger for agents: the state source of the one DAgger driver
 * (mimic/dagger.h) and the codec of agent states.
 *
 * A language agent cannot be rolled out in a simulator here, so "the states
 * the learner visits" are the states of conversations it meets: the pool
 * (recorded production conversations, or states to check), cut into one
 * slice per round in file order. Each round's candidates are the slice's
 * states not answered in an earlier round; the driver scores them with the
 * agent learner (uncertain:T is the router's deferral), asks the expert (a
 * person, a program with kind "agent_state", or the pool's recorded moves,
 * a label table), commits every answer before the next question and refits
 * on the demonstrations plus every answer, in the order given.
 *
 * The codec. A program gets {"kind": "agent_state", "state": {...},
 * "actions": [the actions known so far], "guess": {"action", "confidence",
 * "arguments" (what the learner's argument filler puts in that tool's
 * arguments)} or null}; a person the intent, request, earlier moves and the last
 * observation; the label log the state as compact JSON, and every answer's
 * meta says {"kind": "agent", ...} so stored corrections read back as
 * examples (mimic_agent_examples_add_store). Actions are ids into a
 * vocabulary that an answer naming a new tool extends. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "agent/learner.h"
#include "loop/transport.h"

void mimic_agent_dagger_defaults(mimic_agent_dagger_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  mimic_agent_config_default(&cfg->policy);
  cfg->expert = "recorded";
  cfg->expert_timeout = 30;
  cfg->session = "agent-dagger";
  cfg->rounds = 1;
  cfg->query = (mimic_query_rule){MIMIC_QUERY_UNCERTAIN, 0.5, 0};
}

/* The loop's state source; the codec's ctx (its vocabulary, and the learner
 * whose guesses come with their arguments). */
typedef struct source {
  const mimic_agent_dagger_config *cfg;
  mimic_agent_vocab vocab;
  mimic_codec codec;
  mimic_policy *learner;
  mimic_expert *expert;
  char **keys; /* [pool n] "<trace>#<step>" */
  float *demo_act;
  const char **demo_args;
  const void **demo_items;
} source;

/* ---- the codec -------------------------------------------------------------- */

static int ac_n_names(const mimic_codec *c) { return (int)((source *)c->ctx)->vocab.n; }
static const char *ac_name(const mimic_codec *c, int k) {
  return ((source *)c->ctx)->vocab.names[k];
}
static mimic_status ac_add_name(const mimic_codec *c, const char *name, int *id) {
  return mimic_agent_vocab_add(&((source *)c->ctx)->vocab, name, id);
}

static const mimic_agent_state *state_of(const mimic_questions *q, size_t i) {
  return &((const mimic_agent_example *)q->items[i])->state;
}

/* The arguments the learner fills for its guess g at state i (a new
 * reference; an empty object when it fills none). */
static mimic_status guess_arguments(const mimic_codec *c, const mimic_questions *q, size_t i, int g,
                                    json_t **args) {
  const source *s = c->ctx;
  const mimic_agent_model *m = s->learner ? mimic_agent_learner_model(s->learner) : NULL;
  const int action = m ? mimic_agent_action_id(m, ac_name(c, g)) : -1;
  if (action < 0) {
    *args = json_object();
    return *args ? MIMIC_OK : mimic_fail_nomem("a guess's arguments");
  }
  return mimic_agent_fill_arguments(m, action, state_of(q, i), args, NULL);
}

static mimic_status ac_request_shared(const mimic_codec *c, const mimic_questions *q, json_t *req) {
  (void)q;
  json_t *acts = json_array();
  if (!acts) return mimic_fail_nomem("a request");
  for (int k = 0; k < ac_n_names(c); k++) json_array_append_new(acts, json_string(ac_name(c, k)));
  json_object_set_new(req, "actions", acts);
  return MIMIC_OK;
}

static mimic_status ac_request(const mimic_codec *c, const mimic_questions *q, size_t i,
                               json_t *req) {
  json_t *state = mimic_agent_state_to_json(state_of(q, i));
  if (!state) return mimic_fail_nomem("a request");
  json_object_set_new(req, "state", state);
  float g = q->guess ? q->guess[i] : NAN;
  json_t *args = NULL;
  if (isnan(g) || g < 0 || g >= (float)ac_n_names(c)) {
    json_object_set_new(req, "guess", json_null());
    return MIMIC_OK;
  }
  MIMIC_TRY(guess_arguments(c, q, i, (int)g, &args));
  json_object_set_new(req, "guess",
                      json_pack("{s:s, s:f, s:o}", "action", ac_name(c, (int)g), "confidence",
                                q->guess_conf ? (double)q->guess_conf[i] : 1.0, "arguments", args));
  return MIMIC_OK;
}

static mimic_status ac_show(const mimic_codec *c, const mimic_questions *q, size_t i, FILE *o) {
  (void)c;
  const mimic_agent_state *s = state_of(q, i);
  fprintf(o, "  intent:   %s\n", s->intent ? s->intent : "(none)");
  fprintf(o, "  request:  %.300s\n", s->request ? s->request : "");
  fprintf(o, "  previous:");
  if (!s->n_previous) fprintf(o, " (none)");
  for (size_t k = 0; k < s->n_previous; k++) fprintf(o, " %s", s->previous[k]);
  fprintf(o, "\n  last observation: %.400s\n",
          s->last_observation ? s->last_observation : "(none)");
  return MIMIC_OK;
}

static char *ac_state_text(const mimic_codec *c, const mimic_questions *q, size_t i) {
  (void)c;
  json_t *j = mimic_agent_state_to_json(state_of(q, i));
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return text;
}

/* The codec of agent states over vocab (borrowed). */
static void agent_codec(source *s, mimic_codec *c) {
  memset(c, 0, sizeof *c);
  c->kind = "agent_state";
  c->log_kind = "agent";
  c->space = (mimic_space){.kind = MIMIC_SPACE_DISCRETE, .n = 0, .dim = 1};
  c->ctx = s;
  c->n_names = ac_n_names;
  c->name = ac_name;
  c->add_name = ac_add_name;
  c->request_shared = ac_request_shared;
  c->request = ac_request;
  c->show = ac_show;
  c->state_text = ac_state_text;
}

/* ---- the source ------------------------------------------------------------- */

static char *item_key(const mimic_agent_example *e) {
  return mimic_asprintf("%s#%zu", e->trace_id ? e->trace_id : "", e->step);
}

static void slice(const source *s, int round, size_t *lo, size_t *hi) {
  size_t n = s->cfg->pool->n, R = (size_t)s->cfg->rounds;
  *lo = n * (size_t)round / R;
  *hi = n * (size_t)(round + 1) / R;
}

static mimic_status gather(void *ctx, mimic_dagger *d, int round, double beta) {
  source *s = ctx;
  (void)beta; /* the expert never acts in place of the learner: the states are given */
  size_t lo, hi;
  slice(s, round, &lo, &hi);
  for (size_t i = lo; i < hi; i++) {
    if (mimic_dagger_settled(d, s->keys[i])) continue; /* answered in an earlier round */
    mimic_dagger_state st = {
        .item = &s->cfg->pool->ex[i], .key = s->keys[i], .order = MIMIC_DAGGER_IN_ANSWER_ORDER};
    MIMIC_TRY(mimic_dagger_add(d, &st, 1, NULL));
  }
  return MIMIC_OK;
}

static mimic_status restore(void *ctx, const char *key, const char *text,
                            mimic_dagger_example *out) {
  source *s = ctx;
  (void)text;
  for (size_t i = 0; i < s->cfg->pool->n; i++)
    if (!strcmp(s->keys[i], key)) {
      *out = (mimic_dagger_example){.item = &s->cfg->pool->ex[i],
                                    .order = MIMIC_DAGGER_IN_ANSWER_ORDER};
      return MIMIC_OK;
    }
  return mimic_fail(MIMIC_ERR_FORMAT, "%s is not a state of this pool", key);
}

static mimic_status evaluate(void *ctx, int round, mimic_dagger_round *row) {
  source *s = ctx;
  (void)round;
  row->n_metrics = 0;
  row->metric_names[row->n_metrics] = "corrections";
  row->metrics[row->n_metrics++] =
      (double)(row->dataset_size - (s->cfg->demos ? s->cfg->demos->n : 0));
  const mimic_agent_model *m = mimic_agent_learner_model(s->learner);
  if (!s->cfg->eval || !s->cfg->eval->n || !m) return MIMIC_OK;
  mimic_agent_eval ev;
  MIMIC_TRY(mimic_agent_evaluate(m, s->cfg->eval->ex, s->cfg->eval->n, &ev));
  double t = s->cfg->query.kind == MIMIC_QUERY_UNCERTAIN ? s->cfg->query.threshold
                                                         : mimic_agent_threshold(m);
  mimic_agent_calib_row cr;
  mimic_agent_calibrate(ev.confidence, ev.correct, ev.n, &t, 1, &cr);
  row->metric_names[row->n_metrics] = "accuracy";
  row->metrics[row->n_metrics++] = ev.accuracy;
  row->metric_names[row->n_metrics] = "coverage";
  row->metrics[row->n_metrics++] = cr.coverage;
  row->metric_names[row->n_metrics] = "covered_accuracy";
  row->metrics[row->n_metrics++] = cr.accuracy;
  mimic_agent_eval_free(&ev);
  return MIMIC_OK;
}

static mimic_status end_round(void *ctx, int round, json_t *state) {
  source *s = ctx;
  (void)round;
  (void)state;
  if (s->cfg->model_out && mimic_policy_fitted(s->learner))
    MIMIC_TRY(mimic_policy_save(s->learner, s->cfg->model_out));
  return MIMIC_OK;
}

/* The pool's recorded moves as a label table. */
static mimic_status recorded_expert(source *s, mimic_expert **out) {
  const mimic_agent_examples *pool = s->cfg->pool;
  const char **ids = mimic_malloc(pool->n * sizeof *ids, "moves");
  const char **labels = mimic_malloc(pool->n * sizeof *labels, "moves");
  const char **args = mimic_malloc(pool->n * sizeof *args, "moves");
  mimic_status st = ids && labels && args ? MIMIC_OK : MIMIC_ERR_NOMEM;
  size_t n = 0;
  for (size_t i = 0; !st && i < pool->n; i++) {
    if (!pool->ex[i].action) continue; /* asked about, it is reported by the table */
    ids[n] = s->keys[i];
    labels[n] = pool->ex[i].action;
    args[n++] = pool->ex[i].arguments;
  }
  if (!st && n == 0)
    st = mimic_fail(MIMIC_ERR_INVALID, "the pool has no recorded moves for the 'recorded' expert");
  if (!st) st = mimic_expert_table(&s->codec, "recorded", n, ids, NULL, labels, args, out);
  free(ids);
  free(labels);
  free(args);
  return st;
}

static mimic_status open_expert(source *s) {
  const mimic_agent_dagger_config *cfg = s->cfg;
  const char *spec = cfg->expert ? cfg->expert : "recorded";
  if (cfg->web_agreement > 1 && strcmp(spec, "web") && strncmp(spec, "web:", 4))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "agreement (%d votes per question) is for people at the labeling page: "
                      "it needs the expert web[:PORT], not '%s'",
                      cfg->web_agreement, spec);
  if (!strcmp(spec, "recorded")) return recorded_expert(s, &s->expert);
  if (!strcmp(spec, "human"))
    return mimic_expert_human(&s->codec, cfg->human_in ? fileno(cfg->human_in) : 0,
                              cfg->human_out ? cfg->human_out : stderr, &s->expert);
  if (strncmp(spec, "cmd:", 4) && strcmp(spec, "web") && strncmp(spec, "web:", 4))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "unknown expert '%s' (use recorded, human, web[:PORT] or cmd:PROGRAM)", spec);
  mimic_expert_opts eo = {
      .timeout_s = cfg->expert_timeout, .bind = cfg->bind, .agreement = cfg->web_agreement};
  return mimic_expert_open(spec, &s->codec, &eo, &s->expert);
}

static void source_free(source *s) {
  for (size_t i = 0; s->keys && i < s->cfg->pool->n; i++) free(s->keys[i]);
  free(s->keys);
  mimic_expert_free(s->expert);
  mimic_policy_free(s->learner);
  mimic_agent_vocab_free(&s->vocab);
  free(s->demo_act);
  free(s->demo_args);
  free(s->demo_items);
}

/* The demonstrations as the seed set (their actions join the vocabulary first). */
static mimic_status demo_seed(source *s, mimic_labeled *seed) {
  const mimic_agent_examples *d = s->cfg->demos;
  memset(seed, 0, sizeof *seed);
  if (!d || !d->n) return MIMIC_OK;
  s->demo_act = mimic_malloc(d->n * sizeof *s->demo_act, "demonstrations");
  s->demo_args = mimic_malloc(d->n * sizeof *s->demo_args, "demonstrations");
  s->demo_items = mimic_malloc(d->n * sizeof *s->demo_items, "demonstrations");
  if (!s->demo_act || !s->demo_args || !s->demo_items) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < d->n; i++) {
    if (!d->ex[i].action)
      return mimic_fail(MIMIC_ERR_INVALID, "demonstration %s#%zu has no move", d->ex[i].trace_id,
                        d->ex[i].step);
    int id;
    MIMIC_TRY(mimic_agent_vocab_add(&s->vocab, d->ex[i].action, &id));
    s->demo_act[i] = (float)id;
    s->demo_args[i] = d->ex[i].arguments;
    s->demo_items[i] = &d->ex[i];
  }
  *seed = (mimic_labeled){
      .n = d->n, .items = s->demo_items, .actions = s->demo_act, .details = s->demo_args};
  return MIMIC_OK;
}

mimic_status mimic_agent_dagger_run(const mimic_agent_dagger_config *cfg, mimic_dagger_round *rows,
                                    int cap, int *n_rows, mimic_agent_model **final) {
  if (final) *final = NULL;
  if (n_rows) *n_rows = 0;
  if (!cfg->pool) return mimic_fail(MIMIC_ERR_INVALID, "DAgger for agents needs a pool of states");
  if (!cfg->store_path)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger for agents needs a label store");
  if (cfg->rounds < 1) return mimic_fail(MIMIC_ERR_INVALID, "rounds must be >= 1");
  MIMIC_TRY(mimic_agent_config_check(&cfg->policy));
  source s = {.cfg = cfg};
  agent_codec(&s, &s.codec);
  mimic_labelstore *store = NULL;
  mimic_dagger *d = NULL;
  mimic_labeled seed;
  mimic_status st = MIMIC_OK;
  s.keys = mimic_calloc(cfg->pool->n ? cfg->pool->n : 1, sizeof *s.keys, "keys");
  if (!s.keys) st = MIMIC_ERR_NOMEM;
  for (size_t i = 0; !st && i < cfg->pool->n; i++)
    if (!(s.keys[i] = item_key(&cfg->pool->ex[i]))) st = MIMIC_ERR_NOMEM;
  if (!st) st = demo_seed(&s, &seed);
  if (!st) st = mimic_agent_learner(&cfg->policy, &s.vocab, &s.learner);
  if (!st) st = open_expert(&s);
  if (!st) st = mimic_labelstore_open(cfg->store_path, NULL, &store);
  char settings[512], query[64];
  mimic_query_format(&cfg->query, query, sizeof query);
  snprintf(settings, sizeof settings,
           "{\"policy\": \"%s\", \"rounds\": %d, \"query rule\": \"%s\"}",
           mimic_agent_policy_name(cfg->policy.policy), cfg->rounds, query);
  mimic_dagger_config dc = {.rounds = cfg->rounds,
                            .beta = {MIMIC_BETA_CONSTANT, 0},
                            .query = cfg->query,
                            .seed = cfg->seed,
                            .learner = s.learner,
                            .expert = s.expert,
                            .seed_set = &seed,
                            .store = store,
                            .session = cfg->session ? cfg->session : "agent-dagger",
                            .session_kind = MIMIC_AGENT_SESSION_KIND,
                            .settings = settings,
                            .finish = true,
                            .on_round = cfg->on_round,
                            .user = cfg->user};
  mimic_dagger_source src = {.ctx = &s,
                             .gather = gather,
                             .restore = restore,
                             .evaluate = evaluate,
                             .end_round = end_round};
  if (!st) st = mimic_dagger_open(&dc, &src, &d);
  if (!st) st = mimic_dagger_run(d, rows, cap, n_rows);
  if (!st && final) *final = mimic_agent_learner_take(s.learner);
  mimic_dagger_close(d);
  mimic_labelstore_close(store);
  source_free(&s);
  return st;
}
