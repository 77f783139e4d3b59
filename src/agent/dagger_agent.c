/* DAgger for agents: the agent plug-in of the one DAgger driver (dagger.c).
 *
 * A language agent cannot be rolled out in a simulator here, so "the states
 * the learner visits" are the states of conversations it meets: the pool
 * (recorded production conversations, or states to check), cut into one
 * slice per round in file order. In each round:
 *
 *   gather       the slice's states; those already answered in the store
 *                (a resumed session) count as labeled and are skipped;
 *   uncertainty  from the current policy's probabilities (1 - confidence
 *                for the router's rule uncertain:T; margin, entropy, ...);
 *   label        asks the expert (a person at the terminal, a program over
 *                JSON Lines with kind "agent_state", or the pool's recorded
 *                move) and commits the answer to the label store before
 *                the next question;
 *   fit          refits the policy on demonstrations + all corrections;
 *   evaluate     next-move accuracy and coverage on held-out moves;
 *   end_round    writes the model and the session's next round, durably.
 *
 * A killed run reopens its session: the next round comes from the session
 * state, the answers already stored are loaded as corrections and never
 * asked again, and the unfinished round is replayed without its answered
 * states. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "mimic/proc.h"

void mimic_agent_dagger_defaults(mimic_agent_dagger_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  mimic_agent_config_default(&cfg->policy);
  cfg->expert = "recorded";
  cfg->expert_timeout = 30;
  cfg->session = "agent-dagger";
  cfg->rounds = 1;
  cfg->query = (mimic_query_rule){MIMIC_QUERY_UNCERTAIN, 0.5, 0};
}

typedef enum { EXPERT_RECORDED, EXPERT_HUMAN, EXPERT_PROGRAM } expert_kind;

typedef struct actx {
  const mimic_agent_dagger_config *cfg;
  expert_kind expert;
  mimic_proc *proc;
  FILE *in, *out;
  mimic_labelstore *store;
  int64_t session;
  mimic_agent_examples corrections; /* all answers so far (owned copies) */
  char **answered;                  /* item keys already answered */
  size_t n_answered, cap_answered;
  mimic_agent_model *model; /* NULL before the first fit with data */
  mimic_agent_scratch *scratch;
  int round;
  size_t lo, hi; /* the round's slice of the pool */
  bool *labeled; /* [hi - lo] */
  size_t n_cand;
  long queries;
} actx;

static char *item_key(const mimic_agent_example *e) {
  return mimic_asprintf("%s#%zu", e->trace_id ? e->trace_id : "", e->step);
}

/* Whether pool state i was answered already (in this run or a resumed one). */
static mimic_status was_answered(const actx *c, size_t i, bool *answered) {
  char *key = item_key(&c->cfg->pool->ex[i]);
  if (!key) return MIMIC_ERR_NOMEM;
  *answered = false;
  for (size_t j = 0; j < c->n_answered && !*answered; j++) *answered = !strcmp(c->answered[j], key);
  free(key);
  return MIMIC_OK;
}

static mimic_status note_answered(actx *c, const char *key) {
  if (c->n_answered == c->cap_answered) {
    size_t cap = c->cap_answered ? 2 * c->cap_answered : 64;
    void *p = mimic_realloc(c->answered, cap, sizeof *c->answered, "answered states");
    if (!p) return MIMIC_ERR_NOMEM;
    c->answered = p;
    c->cap_answered = cap;
  }
  if (!(c->answered[c->n_answered] = mimic_strdup(key))) return MIMIC_ERR_NOMEM;
  c->n_answered++;
  return MIMIC_OK;
}

/* Fits the policy on demonstrations + corrections (no model when there are none). */
static mimic_status refit(actx *c) {
  const mimic_agent_examples *d = c->cfg->demos;
  size_t nd = d ? d->n : 0, nc = c->corrections.n;
  if (nd + nc == 0) return MIMIC_OK;
  mimic_agent_example *all = mimic_malloc((nd + nc) * sizeof *all, "examples");
  if (!all) return MIMIC_ERR_NOMEM;
  if (nd) memcpy(all, d->ex, nd * sizeof *all);
  if (nc) memcpy(all + nd, c->corrections.ex, nc * sizeof *all);
  mimic_agent_model *m = NULL;
  mimic_status st = mimic_agent_fit(all, nd + nc, &c->cfg->policy, &m);
  free(all);
  if (st) return st;
  mimic_agent_scratch *sc;
  if ((st = mimic_agent_scratch_new(m, &sc))) {
    mimic_agent_free(m);
    return st;
  }
  mimic_agent_free(c->model);
  mimic_agent_scratch_free(c->scratch);
  c->model = m;
  c->scratch = sc;
  return MIMIC_OK;
}

static void slice(const actx *c, int round, size_t *lo, size_t *hi) {
  size_t n = c->cfg->pool->n, R = (size_t)c->cfg->rounds;
  *lo = n * (size_t)round / R;
  *hi = n * (size_t)(round + 1) / R;
}

static mimic_status a_resume(void *vc, int *first, size_t *answered) {
  actx *c = vc;
  char *state = NULL;
  MIMIC_TRY(mimic_labelstore_session_state(c->store, c->session, &state));
  *first = 0;
  if (state) {
    json_t *j = json_loads(state, 0, NULL);
    json_t *r = json_object_get(j, "next_round");
    if (json_is_integer(r) && json_integer_value(r) >= 0) *first = (int)json_integer_value(r);
    json_decref(j);
    free(state);
  }
  /* answers of the round in progress (for budgeted rules) */
  size_t lo, hi, k = 0;
  if (*first < c->cfg->rounds) {
    slice(c, *first, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
      bool done;
      MIMIC_TRY(was_answered(c, i, &done));
      k += done;
    }
  }
  *answered = k;
  return MIMIC_OK;
}

static mimic_status a_gather(void *vc, int round, double beta, size_t *n, const bool **labeled) {
  actx *c = vc;
  (void)beta; /* the expert never acts in place of the learner: the states are given */
  c->round = round;
  slice(c, round, &c->lo, &c->hi);
  c->n_cand = c->hi - c->lo;
  free(c->labeled);
  c->labeled = mimic_calloc(c->n_cand ? c->n_cand : 1, sizeof *c->labeled, "candidates");
  if (!c->labeled) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < c->n_cand; i++) MIMIC_TRY(was_answered(c, c->lo + i, &c->labeled[i]));
  *n = c->n_cand;
  *labeled = c->labeled;
  return MIMIC_OK;
}

static mimic_status a_uncertainty(void *vc, mimic_query_kind kind, double *scores, size_t n) {
  actx *c = vc;
  if (!c->model) { /* nothing learned yet: everything is maximally uncertain */
    for (size_t i = 0; i < n; i++) scores[i] = 1;
    return MIMIC_OK;
  }
  int K = mimic_agent_n_actions(c->model);
  for (size_t i = 0; i < n; i++) {
    mimic_agent_prediction pr;
    MIMIC_TRY(mimic_agent_predict(c->model, &c->cfg->pool->ex[c->lo + i].state, c->scratch, &pr));
    if (pr.action < 0) { /* the policy knows nothing here */
      scores[i] = kind == MIMIC_QUERY_ENTROPY ? log((double)K + 1) : 1;
      continue;
    }
    if (kind == MIMIC_QUERY_UNCERTAIN)
      scores[i] = 1 - pr.confidence;
    else
      MIMIC_TRY(mimic_query_scores(kind, pr.proba, NULL, 1, K, &scores[i]));
  }
  return MIMIC_OK;
}

/* ---- experts ------------------------------------------------------------ */

static void show_state(FILE *o, const mimic_agent_state *s) {
  fprintf(o, "  intent:   %s\n", s->intent ? s->intent : "(none)");
  fprintf(o, "  request:  %.300s\n", s->request ? s->request : "");
  fprintf(o, "  previous:");
  if (!s->n_previous) fprintf(o, " (none)");
  for (size_t i = 0; i < s->n_previous; i++) fprintf(o, " %s", s->previous[i]);
  fprintf(o, "\n  last observation: %.400s\n",
          s->last_observation ? s->last_observation : "(none)");
}

/* Asks a person: a number, an action name (optionally followed by JSON
 * arguments), Enter for the guess, s to skip, q to quit. */
static mimic_status ask_human(actx *c, const mimic_agent_state *s, const mimic_agent_prediction *g,
                              char **action, char **args, bool *skip) {
  FILE *o = c->out;
  const mimic_agent_model *m = c->model;
  int K = m ? mimic_agent_n_actions(m) : 0;
  const char *guess = m && g->action >= 0 ? mimic_agent_action(m, g->action) : NULL;
  fprintf(o, "\n-- round %d: the policy is unsure --\n", c->round + 1);
  show_state(o, s);
  if (guess)
    fprintf(o, "  guess: %s (confidence %.2f)\n", guess, g->confidence);
  else
    fprintf(o, "  guess: none (never seen a state like this)\n");
  fprintf(o, "  actions:");
  for (int k = 0; k < K; k++) fprintf(o, " %d=%s", k + 1, mimic_agent_action(m, k));
  fprintf(o, "\n");
  for (;;) {
    fprintf(o, "answer (number or action [JSON arguments]; Enter = guess, s = skip, q = quit)> ");
    fflush(o);
    char line[4096];
    if (!fgets(line, sizeof line, c->in))
      return mimic_fail(MIMIC_ERR_INTERRUPTED, "the expert's input ended (the answers so far are "
                                               "stored; run again to resume)");
    char *p = line;
    while (isspace((unsigned char)*p)) p++;
    char *e = p + strlen(p);
    while (e > p && isspace((unsigned char)e[-1])) *--e = 0;
    if (!strcmp(p, "q") || !strcmp(p, "quit"))
      return mimic_fail(MIMIC_ERR_INTERRUPTED, "the expert quit (the answers so far are stored)");
    if (!strcmp(p, "s") || !strcmp(p, "skip")) {
      *skip = true;
      return MIMIC_OK;
    }
    if (!*p) {
      if (!guess) {
        fprintf(o, "  there is no guess to accept; type an action\n");
        continue;
      }
      *action = mimic_strdup(guess);
      return *action ? MIMIC_OK : MIMIC_ERR_NOMEM;
    }
    char *sp = p;
    while (*sp && !isspace((unsigned char)*sp) && *sp != '{') sp++;
    char *rest = sp;
    while (isspace((unsigned char)*rest)) rest++;
    size_t nlen = (size_t)(sp - p);
    char *name = mimic_malloc(nlen + 1, "an action");
    if (!name) return MIMIC_ERR_NOMEM;
    memcpy(name, p, nlen);
    name[nlen] = 0;
    char *end;
    long num = strtol(name, &end, 10);
    if (!*end && num >= 1 && num <= K) {
      free(name);
      name = mimic_strdup(mimic_agent_action(m, (int)num - 1));
      if (!name) return MIMIC_ERR_NOMEM;
    } else if (!*end) {
      fprintf(o, "  no action number %ld\n", num);
      free(name);
      continue;
    }
    if (*rest) {
      json_error_t err;
      json_t *a = json_loads(rest, 0, &err);
      if (!json_is_object(a)) {
        fprintf(o, "  the arguments must be a JSON object (%s)\n", a ? "not an object" : err.text);
        json_decref(a);
        free(name);
        continue;
      }
      *args = agent_json_canon(a);
      json_decref(a);
      if (!*args) {
        free(name);
        return MIMIC_ERR_NOMEM;
      }
    }
    *action = name;
    return MIMIC_OK;
  }
}

static mimic_status ask_program(actx *c, const mimic_agent_state *s,
                                const mimic_agent_prediction *g, char **action, char **args,
                                bool *skip) {
  json_t *req = json_object(), *acts = json_array(), *state = mimic_agent_state_to_json(s);
  if (!req || !acts || !state) {
    json_decref(req);
    json_decref(acts);
    json_decref(state);
    return mimic_fail_nomem("a request");
  }
  const mimic_agent_model *m = c->model;
  for (int k = 0; m && k < mimic_agent_n_actions(m); k++)
    json_array_append_new(acts, json_string(mimic_agent_action(m, k)));
  json_object_set_new(req, "kind", json_string("agent_state"));
  json_object_set_new(req, "state", state);
  json_object_set_new(req, "actions", acts);
  if (m && g->action >= 0)
    json_object_set_new(req, "guess",
                        json_pack("{s:s,s:f}", "action", mimic_agent_action(m, g->action),
                                  "confidence", g->confidence));
  else
    json_object_set_new(req, "guess", json_null());
  json_t *reply = NULL;
  mimic_status st = mimic_proc_request(c->proc, req, &reply);
  json_decref(req);
  if (st) return st;
  json_t *err = json_object_get(reply, "error");
  json_t *a = json_object_get(reply, "action"), *ar = json_object_get(reply, "arguments");
  if (err) {
    st = mimic_fail(MIMIC_ERR_EXTERNAL, "the expert refused: %s",
                    json_is_string(err) ? json_string_value(err) : "(no reason)");
  } else if (json_is_true(json_object_get(reply, "skip"))) {
    *skip = true;
  } else if (!json_is_string(a) || !json_string_length(a)) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "the expert's reply has no \"action\" (a non-empty string)");
  } else if (ar && !json_is_null(ar) && !json_is_object(ar)) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "the expert's \"arguments\" must be a JSON object");
  } else {
    *action = mimic_strdup(json_string_value(a));
    if (*action && json_is_object(ar)) *args = agent_json_canon(ar);
    if (!*action || (json_is_object(ar) && !*args)) st = MIMIC_ERR_NOMEM;
  }
  json_decref(reply);
  return st;
}

static mimic_status a_label(void *vc, size_t i, bool *added) {
  actx *c = vc;
  const mimic_agent_example *e = &c->cfg->pool->ex[c->lo + i];
  *added = false;
  mimic_agent_prediction g = {-1, 0, NULL};
  if (c->model) MIMIC_TRY(mimic_agent_predict(c->model, &e->state, c->scratch, &g));
  char *action = NULL, *args = NULL;
  bool skip = false;
  mimic_status st = MIMIC_OK;
  const char *labeler = "recorded";
  if (c->expert == EXPERT_RECORDED) {
    if (!e->action)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "state %s#%zu has no recorded move for the 'recorded' "
                        "expert",
                        e->trace_id, e->step);
    action = mimic_strdup(e->action);
    if (action && e->arguments) args = mimic_strdup(e->arguments);
    if (!action || (e->arguments && !args)) st = MIMIC_ERR_NOMEM;
  } else if (c->expert == EXPERT_HUMAN) {
    labeler = "human";
    st = ask_human(c, &e->state, &g, &action, &args, &skip);
  } else {
    labeler = c->cfg->expert;
    st = ask_program(c, &e->state, &g, &action, &args, &skip);
  }
  if (!st) c->queries++;
  if (!st && !skip) {
    char *key = item_key(e);
    json_t *meta = json_object();
    char *mtext = NULL;
    if (key && meta) {
      json_object_set_new(meta, "item", json_string(key));
      if (g.action >= 0 && c->model)
        json_object_set_new(meta, "guess",
                            json_pack("{s:s,s:f}", "action", mimic_agent_action(c->model, g.action),
                                      "confidence", g.confidence));
      mtext = json_dumps(meta, JSON_COMPACT);
    }
    if (!key || !mtext) st = mimic_fail_nomem("a correction");
    if (!st)
      st = mimic_agent_store_correction(c->store, c->session, &e->state, action, args, labeler,
                                        c->round + 1, mtext, NULL);
    if (!st) st = note_answered(c, key);
    if (!st) {
      char tid[64];
      snprintf(tid, sizeof tid, "correction:%s", key);
      st = mimic_agent_examples_add_copy(&c->corrections, &e->state, action, args, tid, e->step);
    }
    if (!st) *added = true;
    free(key);
    free(mtext);
    json_decref(meta);
  }
  free(action);
  free(args);
  return st;
}

static mimic_status a_fit(void *vc, int round) {
  (void)round;
  return refit(vc);
}

static mimic_status a_evaluate(void *vc, int round, mimic_dagger_round *row) {
  actx *c = vc;
  (void)round;
  row->n_metrics = 0;
  row->metric_names[row->n_metrics] = "corrections";
  row->metrics[row->n_metrics++] = (double)c->corrections.n;
  if (!c->cfg->eval || !c->cfg->eval->n || !c->model) return MIMIC_OK;
  mimic_agent_eval ev;
  MIMIC_TRY(mimic_agent_evaluate(c->model, c->cfg->eval->ex, c->cfg->eval->n, &ev));
  double t = c->cfg->query.kind == MIMIC_QUERY_UNCERTAIN ? c->cfg->query.threshold
                                                         : mimic_agent_threshold(c->model);
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

static mimic_status a_end_round(void *vc, int round) {
  actx *c = vc;
  if (c->model && c->cfg->model_out) MIMIC_TRY(mimic_agent_save(c->model, c->cfg->model_out));
  char state[96];
  snprintf(state, sizeof state, "{\"next_round\": %d, \"queries\": %ld}", round + 1, c->queries);
  return mimic_labelstore_session_set_state(c->store, c->session, state);
}

static size_t a_dataset_size(void *vc) {
  actx *c = vc;
  return (c->cfg->demos ? c->cfg->demos->n : 0) + c->corrections.n;
}

static long a_expert_queries(void *vc) { return ((actx *)vc)->queries; }

mimic_status mimic_agent_dagger_run(const mimic_agent_dagger_config *cfg, mimic_dagger_round *rows,
                                    int cap, int *n_rows, mimic_agent_model **final) {
  if (final) *final = NULL;
  if (n_rows) *n_rows = 0;
  if (!cfg->pool) return mimic_fail(MIMIC_ERR_INVALID, "DAgger for agents needs a pool of states");
  if (!cfg->store_path)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger for agents needs a label store");
  if (cfg->rounds < 1) return mimic_fail(MIMIC_ERR_INVALID, "rounds must be >= 1");
  MIMIC_TRY(mimic_agent_config_check(&cfg->policy));
  actx c;
  memset(&c, 0, sizeof c);
  c.cfg = cfg;
  c.in = cfg->human_in ? cfg->human_in : stdin;
  c.out = cfg->human_out ? cfg->human_out : stderr;
  const char *ex = cfg->expert ? cfg->expert : "recorded";
  mimic_status st = MIMIC_OK;
  if (!strcmp(ex, "recorded"))
    c.expert = EXPERT_RECORDED;
  else if (!strcmp(ex, "human"))
    c.expert = EXPERT_HUMAN;
  else if (!strncmp(ex, "cmd:", 4))
    c.expert = EXPERT_PROGRAM;
  else
    return mimic_fail(MIMIC_ERR_INVALID, "unknown expert '%s' (use recorded, human or cmd:PROGRAM)",
                      ex);
  char config[512];
  char q[64];
  mimic_query_format(&cfg->query, q, sizeof q);
  snprintf(config, sizeof config, "{\"policy\": \"%s\", \"rounds\": %d, \"query\": \"%s\"}",
           mimic_agent_policy_name(cfg->policy.policy), cfg->rounds, q);
  bool resumed = false;
  st = mimic_labelstore_open(cfg->store_path, NULL, &c.store);
  if (!st)
    st = mimic_labelstore_session_open(c.store, cfg->session ? cfg->session : "agent-dagger",
                                       MIMIC_AGENT_SESSION_KIND, config, &c.session, &resumed);
  if (!st && resumed) { /* the answers already given are corrections, never asked again */
    st = mimic_agent_examples_add_store(&c.corrections, c.store, c.session);
    mimic_label_list l = {0};
    if (!st) st = mimic_labelstore_fetch(c.store, c.session, &l);
    for (size_t i = 0; !st && i < l.n; i++)
      if (l.r[i].item) st = note_answered(&c, l.r[i].item);
    mimic_label_list_free(&l);
    if (!st) MIMIC_INFO("agent dagger: resuming session with %zu answers", c.corrections.n);
  }
  if (!st && c.expert == EXPERT_PROGRAM)
    st = mimic_proc_start(ex + 4, cfg->expert_timeout, &c.proc);
  if (!st) st = refit(&c);
  if (!st) {
    mimic_dagger_ops ops = {
        .ctx = &c,
        .resume = a_resume,
        .gather = a_gather,
        .uncertainty = a_uncertainty,
        .label = a_label,
        .fit = a_fit,
        .evaluate = a_evaluate,
        .end_round = a_end_round,
        .dataset_size = a_dataset_size,
        .expert_queries = a_expert_queries,
    };
    mimic_dagger_config dc = {.rounds = cfg->rounds,
                              .beta = {MIMIC_BETA_CONSTANT, 0},
                              .query = cfg->query,
                              .seed = cfg->seed,
                              .on_round = cfg->on_round,
                              .user = cfg->user};
    st = mimic_dagger_run(&dc, &ops, rows, cap, n_rows);
    if (!st)
      st = mimic_labelstore_session_close(c.store, c.session, "finished");
    else if (st == MIMIC_ERR_INTERRUPTED) {
      char *msg = mimic_strdup(mimic_errmsg());
      mimic_labelstore_session_close(c.store, c.session, "quit");
      mimic_fail(MIMIC_ERR_INTERRUPTED, "%s", msg ? msg : "interrupted");
      free(msg);
    }
  }
  mimic_proc_stop(c.proc);
  if (!st && final) {
    *final = c.model;
    c.model = NULL;
  }
  mimic_agent_free(c.model);
  mimic_agent_scratch_free(c.scratch);
  mimic_agent_examples_free(&c.corrections);
  for (size_t i = 0; i < c.n_answered; i++) free(c.answered[i]);
  free(c.answered);
  free(c.labeled);
  mimic_labelstore_close(c.store);
  return st;
}
