/* `mimic agent ...`: clone tool-using agents from their trajectories.
 *
 *   import     read OpenAI / ReAct / mimic trace files, report bad records, write mimic traces
 *   fit        fit a policy (frequency, markov, logreg, transformer) on traces (+ stored
 * corrections) predict    the next move of states, with confidence, route and arguments calibrate
 * coverage and accuracy per confidence threshold (+ a plot) examples   the k most similar
 * demonstration steps, as few-shot examples (JSON) dagger     ask an expert about the states the
 * policy is unsure of; learn the answers serve      HTTP: POST /predict, POST /correct, GET /health
 *   eval       next-move accuracy on held-out tasks (split by task) or a test file
 *
 * Thin wrappers over mimic/agent.h. --json prints one JSON object on stdout
 * (predict and examples: one per state) and nothing else. Errors exit 1 and
 * name the file, line and field; usage errors exit 2. */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "mimic/agent.h"
#include "mimic/plot.h"

static int cmd_agent_import(int argc, char **argv);
static int cmd_agent_fit(int argc, char **argv);
static int cmd_agent_predict(int argc, char **argv);
static int cmd_agent_calibrate(int argc, char **argv);
static int cmd_agent_examples(int argc, char **argv);
static int cmd_agent_dagger(int argc, char **argv);
static int cmd_agent_serve(int argc, char **argv);
static int cmd_agent_eval(int argc, char **argv);

static const cli_command agent_commands[] = {
    {"import", cmd_agent_import,
     "read OpenAI/ReAct transcripts or mimic traces; write mimic traces"},
    {"fit", cmd_agent_fit,
     "fit a policy (frequency, markov, logreg, transformer) on traces and corrections"},
    {"predict", cmd_agent_predict, "the next move of states: action, confidence, route, arguments"},
    {"calibrate", cmd_agent_calibrate, "coverage and accuracy at each confidence threshold"},
    {"examples", cmd_agent_examples, "the most similar demonstration steps, as few-shot JSON"},
    {"dagger", cmd_agent_dagger, "ask an expert where the policy is unsure; learn the answers"},
    {"serve", cmd_agent_serve, "serve a policy over HTTP (/predict, /correct, /health)"},
    {"eval", cmd_agent_eval, "next-move accuracy on held-out tasks, coverage per threshold"},
    {NULL, NULL, NULL},
};

int cmd_agent(int argc, char **argv) {
  return cli_dispatch("agent", agent_commands, argc - 1, argv + 1);
}

/* ---- shared helpers ----------------------------------------------------- */

static void print_json(json_t *o) {
  char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
  if (s) puts(s);
  free(s);
  json_decref(o);
}

static void report_problems(const char *path, const mimic_agent_traces *t, int max) {
  for (size_t i = 0; i < t->n_problems && (int)i < max; i++) {
    const mimic_agent_problem *p = &t->problems[i];
    if (p->line)
      fprintf(stderr, "%s: line %lld: %s%s%s\n", path, (long long)p->line, p->field,
              *p->field ? ": " : "", p->message);
    else
      fprintf(stderr, "%s: record %lld: %s%s%s\n", path, (long long)p->record + 1, p->field,
              *p->field ? ": " : "", p->message);
  }
  if (t->n_problems > (size_t)max)
    fprintf(stderr, "%s: ... and %zu more malformed records\n", path, t->n_problems - (size_t)max);
}

/* Reads traces, reporting skipped records on stderr (unless quiet). */
static mimic_status read_traces(const char *path, const char *format, bool quiet,
                                mimic_agent_traces *t) {
  mimic_agent_format fmt;
  MIMIC_TRY(mimic_agent_format_parse(format ? format : "auto", &fmt));
  MIMIC_TRY(mimic_agent_traces_read(path, fmt, t));
  if (!quiet && t->n_problems) {
    report_problems(path, t, 20);
    fprintf(stderr, "%s: skipped %zu malformed record%s, read %zu\n", path, t->n_problems,
            t->n_problems == 1 ? "" : "s", t->n);
  }
  return MIMIC_OK;
}

/* Policy options shared by fit, eval, calibrate and dagger. */
typedef struct policy_opts {
  const char *policy, *features;
  double threshold, C;
  int markov_k, prev_k, threads, trees;
  long long max_obs;
  bool no_demos;
  const char *model_kind;
  mimic_agent_tf_config tf;
  long long tf_segment, tf_seed;
} policy_opts;

#define POLICY_OPTS(po)                                                                              \
  {"policy", CLI_STR, &(po).policy, "KIND", "frequency, markov, logreg (default), transformer",      \
   false},                                                                                           \
      {"threshold",                                                                                  \
       CLI_DOUBLE,                                                                                   \
       &(po).threshold,                                                                              \
       "T",                                                                                          \
       "route threshold stored in the model (default 0.5)",                                          \
       false},                                                                                       \
      {"markov-k", CLI_INT, &(po).markov_k, "K", "previous actions of the Markov policy (2)",        \
       false},                                                                                       \
      {"features",                                                                                   \
       CLI_STR,                                                                                      \
       &(po).features,                                                                               \
       "LIST",                                                                                       \
       "logreg features: default, all, names, +name/-name",                                          \
       false},                                                                                       \
      {"prev-k", CLI_INT, &(po).prev_k, "K", "logreg: previous actions by position (2)", false},     \
      {"C", CLI_DOUBLE, &(po).C, "X", "logreg: inverse regularisation strength (3)", false},         \
      {"classifier", CLI_STR, &(po).model_kind, "KIND", "logreg: ovr (default) or softmax", false},  \
      {"trees",                                                                                      \
       CLI_INT,                                                                                      \
       &(po).trees,                                                                                  \
       "N",                                                                                          \
       "logreg: average with a random forest of N trees (0: none)",                                  \
       false},                                                                                       \
      {"max-observation",                                                                            \
       CLI_LONG,                                                                                     \
       &(po).max_obs,                                                                                \
       "BYTES",                                                                                      \
       "bytes of an observation featurised and kept (4096)",                                         \
       false},                                                                                       \
      {"tf-context", CLI_INT, &(po).tf.context, "K", "transformer: last K tokens read (128)",        \
       false},                                                                                       \
      {"tf-layers", CLI_INT, &(po).tf.layers, "N", "transformer: blocks (2)", false},                \
      {"tf-heads", CLI_INT, &(po).tf.heads, "N", "transformer: attention heads (2)", false},         \
      {"tf-embd", CLI_INT, &(po).tf.embd, "D", "transformer: width (64)", false},                    \
      {"tf-merges", CLI_INT, &(po).tf.merges, "N", "transformer: byte-pair merges (512)", false},    \
      {"tf-segment", CLI_LONG, &(po).tf_segment, "BYTES", "transformer: bytes kept per text (192)",  \
       false},                                                                                       \
      {"tf-epochs", CLI_INT, &(po).tf.epochs, "N", "transformer: passes over the moves (8)", false}, \
      {"tf-batch", CLI_INT, &(po).tf.batch, "N", "transformer: moves per step (16)", false},         \
      {"tf-lr", CLI_DOUBLE, &(po).tf.lr, "X", "transformer: AdamW learning rate (1e-3)", false},     \
      {"tf-seed", CLI_LONG, &(po).tf_seed, "S", "transformer: initialisation and order (0)", false}, \
      {"no-demos", CLI_FLAG, &(po).no_demos, NULL, "keep no demonstrations for retrieval", false},   \
  {                                                                                                  \
    "threads", CLI_INT, &(po).threads, "N", "threads (default: all cores)", false                    \
  }

static void policy_opts_init(policy_opts *po) {
  mimic_agent_config c;
  mimic_agent_config_default(&c);
  memset(po, 0, sizeof *po);
  po->policy = "logreg";
  po->threshold = c.threshold;
  po->C = c.linear.C;
  po->markov_k = c.markov_k;
  po->prev_k = c.prev_k;
  po->trees = c.forest.n_trees;
  po->max_obs = (long long)c.max_observation;
  po->tf = c.tf;
  po->tf_segment = (long long)c.tf.segment;
  po->tf_seed = (long long)c.tf.seed;
}

static mimic_status policy_config(const policy_opts *po, mimic_agent_config *c) {
  mimic_agent_config_default(c);
  MIMIC_TRY(mimic_agent_policy_parse(po->policy, &c->policy));
  if (po->features) MIMIC_TRY(mimic_agent_features_parse(po->features, &c->features));
  if (po->model_kind) MIMIC_TRY(mimic_linear_kind_parse(po->model_kind, &c->linear.kind));
  c->threshold = po->threshold;
  c->markov_k = po->markov_k;
  c->prev_k = po->prev_k;
  c->linear.C = po->C;
  if (po->trees < 0) return mimic_fail(MIMIC_ERR_INVALID, "--trees must be >= 0");
  c->forest.n_trees = po->trees;
  if (po->max_obs < 16) return mimic_fail(MIMIC_ERR_INVALID, "--max-observation must be >= 16");
  c->max_observation = (size_t)po->max_obs;
  c->keep_demos = !po->no_demos;
  c->n_threads = po->threads;
  if (po->tf_segment < 1 || po->tf_seed < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "--tf-segment must be >= 1 and --tf-seed >= 0");
  c->tf = po->tf;
  c->tf.segment = (size_t)po->tf_segment;
  c->tf.seed = (uint64_t)po->tf_seed;
  return mimic_agent_config_check(c);
}

/* Reads a state from inline JSON text. */
static mimic_status parse_state(const char *text, json_t **out) {
  json_error_t err;
  *out = json_loads(text, 0, &err);
  if (!*out)
    return mimic_fail(MIMIC_ERR_FORMAT, "--state is not valid JSON (column %d): %s", err.column,
                      err.text);
  if (!json_is_object(*out)) {
    json_decref(*out);
    return mimic_fail(MIMIC_ERR_FORMAT, "--state must be a JSON object");
  }
  return MIMIC_OK;
}

/* The states of --state JSON or --states FILE as examples. */
static mimic_status read_states(const char *state, const char *states, mimic_agent_examples *e) {
  if (states) return mimic_agent_states_read(states, e);
  json_t *j;
  MIMIC_TRY(parse_state(state, &j));
  mimic_agent_state_buf sb;
  mimic_status st = mimic_agent_state_from_json(j, &sb);
  if (!st) st = mimic_agent_examples_add_copy(e, &sb.s, NULL, NULL, "state", sb.s.n_previous);
  if (!st) mimic_agent_state_buf_free(&sb);
  json_decref(j);
  return st;
}

/* ---- import ------------------------------------------------------------- */

static int cmd_agent_import(int argc, char **argv) {
  const char *cmd = "agent import";
  const char *in = NULL, *out = NULL, *format = "auto";
  bool strict = false, json = false, quiet = false;
  cli_opt opts[] = {
      {"in", CLI_STR, &in, "FILE", "the file to read (or give it as the argument)", false},
      {"format", CLI_STR, &format, "FMT", "auto, mimic, openai, react or react-json", false},
      {"o", CLI_STR, &out, "FILE", "write mimic traces (JSON Lines) here", false},
      {"strict", CLI_FLAG, &strict, NULL, "fail (exit 1) if any record is malformed", false},
      {"json", CLI_FLAG, &json, NULL, "print a JSON summary", false},
      {"quiet", CLI_FLAG, &quiet, NULL, "print nothing but errors", false},
      {NULL},
  };
  cli_parsed p = cli_parse(cmd, "Read agent trajectories; report malformed records; convert.",
                           "FILE [-o traces.jsonl] [--format FMT]", opts, 1, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(json, quiet);
  if (p.npos) in = p.pos[0];
  if (!in) return cli_usage_error(cmd, "give the file to read");
  mimic_agent_traces t;
  if (read_traces(in, format, true, &t)) return cli_fail(cmd);
  if (!quiet && t.n_problems) report_problems(in, &t, 50);
  size_t steps = 0, calls = 0, replies = 0;
  json_t *tools = json_object();
  for (size_t i = 0; i < t.n; i++)
    for (size_t k = 0; k < t.t[i].n_steps; k++) {
      const char *a = t.t[i].steps[k].action;
      steps++;
      if (!strcmp(a, MIMIC_AGENT_REPLY)) {
        replies++;
        continue;
      }
      calls++;
      json_t *c = json_object_get(tools, a);
      json_object_set_new(tools, a, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
  int rc = CLI_EXIT_OK;
  if (out && mimic_agent_traces_write(out, &t)) rc = cli_fail(cmd);
  if (rc == CLI_EXIT_OK && json) {
    json_t *o =
        json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:O}", "file", in, "traces", (json_int_t)t.n, "steps",
                  (json_int_t)steps, "tool_calls", (json_int_t)calls, "replies",
                  (json_int_t)replies, "malformed", (json_int_t)t.n_problems, "tools", tools);
    json_t *probs = json_array();
    for (size_t i = 0; i < t.n_problems; i++)
      json_array_append_new(probs,
                            json_pack("{s:I,s:I,s:s,s:s}", "line", (json_int_t)t.problems[i].line,
                                      "record", (json_int_t)t.problems[i].record + 1, "field",
                                      t.problems[i].field, "message", t.problems[i].message));
    json_object_set_new(o, "problems", probs);
    if (out) json_object_set_new(o, "output", json_string(out));
    print_json(o);
  } else if (rc == CLI_EXIT_OK && !quiet) {
    printf("%s: %zu trajectories, %zu moves (%zu tool calls over %zu tools, %zu replies)", in, t.n,
           steps, calls, json_object_size(tools), replies);
    if (t.n_problems) printf(", %zu malformed records skipped", t.n_problems);
    printf("\n");
    if (out) printf("wrote %s\n", out);
  }
  json_decref(tools);
  if (rc == CLI_EXIT_OK && strict && t.n_problems) {
    fprintf(stderr, "mimic %s: error: %zu malformed records (--strict)\n", cmd, t.n_problems);
    rc = CLI_EXIT_FAIL;
  }
  mimic_agent_traces_free(&t);
  return rc;
}

/* ---- fit ---------------------------------------------------------------- */

static int cmd_agent_fit(int argc, char **argv) {
  const char *cmd = "agent fit";
  const char *traces = NULL, *format = "auto", *store = NULL, *out = NULL;
  bool json = false, quiet = false;
  policy_opts po;
  policy_opts_init(&po);
  cli_opt opts[] = {
      {"traces", CLI_STR, &traces, "FILE", "demonstrations (any trace format)", false},
      {"format", CLI_STR, &format, "FMT", "auto, mimic, openai, react or react-json", false},
      {"corrections", CLI_STR, &store, "DB", "also learn the corrections in this label store",
       false},
      {"o", CLI_STR, &out, "FILE", "where to write the model", true},
      POLICY_OPTS(po),
      {"json", CLI_FLAG, &json, NULL, "print a JSON summary", false},
      {"quiet", CLI_FLAG, &quiet, NULL, "print nothing but errors", false},
      {NULL},
  };
  cli_parsed p =
      cli_parse(cmd, "Fit an agent policy on demonstrations and corrections.",
                "--traces FILE [--corrections DB] -o agent.mimic [options]", opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(json, quiet);
  if (!traces && !store) return cli_usage_error(cmd, "give --traces, --corrections or both");
  mimic_agent_config cfg;
  if (policy_config(&po, &cfg)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  mimic_agent_traces t = {0};
  mimic_agent_examples ex = {0};
  mimic_labelstore *db = NULL;
  mimic_agent_model *m = NULL;
  int rc = CLI_EXIT_OK;
  size_t n_corr = 0;
  double t0 = mimic_now(), fit_s = 0;
  if (traces && (read_traces(traces, format, quiet || json, &t) ||
                 mimic_agent_examples_add_traces(&ex, &t, NULL))) {
    rc = cli_fail(cmd);
    goto done;
  }
  if (store) {
    mimic_labelstore_opts so = {.read_only = true};
    size_t before = ex.n;
    if (mimic_labelstore_open(store, &so, &db) || mimic_agent_examples_add_store(&ex, db, 0)) {
      mimic_errctx("%s", store);
      rc = cli_fail(cmd);
      goto done;
    }
    n_corr = ex.n - before;
  }
  t0 = mimic_now();
  if (mimic_agent_fit(ex.ex, ex.n, &cfg, &m) || mimic_agent_save(m, out)) {
    rc = cli_fail(cmd);
    goto done;
  }
  fit_s = mimic_now() - t0;
  if (json) {
    json_t *acts = json_array();
    for (int k = 0; k < mimic_agent_n_actions(m); k++)
      json_array_append_new(acts, json_string(mimic_agent_action(m, k)));
    print_json(json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:f,s:f}", "model", out, "policy",
                         mimic_agent_policy_name(cfg.policy), "traces", (json_int_t)t.n, "examples",
                         (json_int_t)ex.n, "corrections", (json_int_t)n_corr, "actions", acts,
                         "threshold", cfg.threshold, "fit_seconds", fit_s));
  } else if (!quiet) {
    printf("fitted %s policy on %zu moves (%zu from corrections): %d actions, %.2f s\nsaved %s\n",
           mimic_agent_policy_name(cfg.policy), ex.n, n_corr, mimic_agent_n_actions(m), fit_s, out);
  }
done:
  mimic_agent_free(m);
  mimic_agent_examples_free(&ex);
  mimic_agent_traces_free(&t);
  mimic_labelstore_close(db);
  return rc;
}

/* ---- predict and examples ----------------------------------------------- */

static json_t *prediction_json(const mimic_agent_model *m, const mimic_agent_example *e,
                               mimic_agent_scratch *sc, double threshold, const char *fallback,
                               int k, mimic_status *st) {
  mimic_agent_prediction p;
  if ((*st = mimic_agent_predict(m, &e->state, sc, &p))) return NULL;
  const char *name = p.action >= 0 ? mimic_agent_action(m, p.action) : NULL;
  json_t *args = NULL, *src = NULL;
  if ((*st = mimic_agent_fill_arguments(m, p.action, &e->state, &args, &src))) return NULL;
  json_t *o = json_pack("{s:s,s:o,s:f,s:s,s:o,s:o}", "id", e->trace_id ? e->trace_id : "", "action",
                        name ? json_string(name) : json_null(), "confidence", p.confidence, "route",
                        mimic_agent_route(p.confidence, threshold, fallback), "arguments", args,
                        "argument_sources", src);
  if (k > 0 && o) {
    mimic_agent_shot shots[20];
    size_t n = 0;
    if ((*st = mimic_agent_retrieve(m, &e->state, k > 20 ? 20 : k, sc, shots, &n))) {
      json_decref(o);
      return NULL;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, mimic_agent_shot_json(m, &shots[i]));
    json_object_set_new(o, "examples", arr);
  }
  return o;
}

static int cmd_agent_predict(int argc, char **argv) {
  const char *cmd = "agent predict";
  const char *model = NULL, *state = NULL, *states = NULL, *fallback = "fallback";
  double threshold = NAN;
  int k = 0;
  bool json = false;
  cli_opt opts[] = {
      {"model", CLI_STR, &model, "FILE", "a model from `mimic agent fit`", true},
      {"state", CLI_STR, &state, "JSON", "one state as JSON", false},
      {"states", CLI_STR, &states, "FILE", "states (or traces) as JSON Lines", false},
      {"threshold", CLI_DOUBLE, &threshold, "T", "act when confidence >= T (default: the model's)",
       false},
      {"fallback", CLI_STR, &fallback, "NAME", "the route when unsure (default fallback)", false},
      {"k", CLI_INT, &k, "K", "also retrieve K few-shot examples", false},
      {"json", CLI_FLAG, &json, NULL, "one JSON object per state", false},
      {NULL},
  };
  cli_parsed p =
      cli_parse(cmd, "Predict the next move of agent states.",
                "--model agent.mimic (--state JSON | --states FILE) [--json]", opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(json, false);
  if (!state == !states) return cli_usage_error(cmd, "give exactly one of --state and --states");
  if (k < 0 || k > 20) return cli_usage_error(cmd, "--k must be in 0..20");
  mimic_agent_model *m = NULL;
  mimic_agent_examples ex = {0};
  mimic_agent_scratch *sc = NULL;
  int rc = CLI_EXIT_OK;
  if (mimic_agent_load(model, &m) || read_states(state, states, &ex) ||
      mimic_agent_scratch_new(m, &sc)) {
    rc = cli_fail(cmd);
    goto done;
  }
  if (isnan(threshold)) threshold = mimic_agent_threshold(m);
  for (size_t i = 0; i < ex.n; i++) {
    mimic_status st;
    json_t *o = prediction_json(m, &ex.ex[i], sc, threshold, fallback, k, &st);
    if (!o) {
      mimic_errctx("state %zu", i + 1);
      rc = cli_fail(cmd);
      goto done;
    }
    if (json) {
      print_json(o);
    } else {
      json_t *a = json_object_get(o, "action");
      char *args = json_dumps(json_object_get(o, "arguments"), JSON_COMPACT | JSON_SORT_KEYS);
      printf("%s\t%.4f\t%s\t%s\n", json_is_string(a) ? json_string_value(a) : "(none)",
             json_number_value(json_object_get(o, "confidence")),
             json_string_value(json_object_get(o, "route")), args ? args : "{}");
      free(args);
      json_decref(o);
    }
  }
done:
  mimic_agent_scratch_free(sc);
  mimic_agent_examples_free(&ex);
  mimic_agent_free(m);
  return rc;
}

static int cmd_agent_examples(int argc, char **argv) {
  const char *cmd = "agent examples";
  const char *model = NULL, *state = NULL, *states = NULL, *out = NULL;
  int k = 3;
  cli_opt opts[] = {
      {"model", CLI_STR, &model, "FILE", "a model from `mimic agent fit`", true},
      {"state", CLI_STR, &state, "JSON", "one state as JSON", false},
      {"states", CLI_STR, &states, "FILE", "states (or traces) as JSON Lines", false},
      {"k", CLI_INT, &k, "K", "examples per state (default 3)", false},
      {"o", CLI_STR, &out, "FILE", "write the JSON here instead of stdout", false},
      {NULL},
  };
  cli_parsed p =
      cli_parse(cmd,
                "Retrieve the most similar demonstration steps as few-shot "
                "examples (TF-IDF cosine).",
                "--model agent.mimic (--state JSON | --states FILE) [-k 3]", opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  if (!state == !states) return cli_usage_error(cmd, "give exactly one of --state and --states");
  if (k < 1 || k > 20) return cli_usage_error(cmd, "-k must be in 1..20");
  mimic_agent_model *m = NULL;
  mimic_agent_examples ex = {0};
  mimic_agent_scratch *sc = NULL;
  json_t *all = json_array();
  int rc = CLI_EXIT_OK;
  if (mimic_agent_load(model, &m) || read_states(state, states, &ex) ||
      mimic_agent_scratch_new(m, &sc)) {
    rc = cli_fail(cmd);
    goto done;
  }
  if (mimic_agent_n_demos(m) == 0)
    fprintf(stderr,
            "mimic %s: warning: the model keeps no demonstrations (fitted with "
            "--no-demos)\n",
            cmd);
  for (size_t i = 0; i < ex.n; i++) {
    mimic_agent_shot shots[20];
    size_t n;
    if (mimic_agent_retrieve(m, &ex.ex[i].state, k, sc, shots, &n)) {
      rc = cli_fail(cmd);
      goto done;
    }
    json_t *arr = json_array();
    for (size_t j = 0; j < n; j++) json_array_append_new(arr, mimic_agent_shot_json(m, &shots[j]));
    json_array_append_new(all, json_pack("{s:s,s:o}", "id", ex.ex[i].trace_id, "examples", arr));
  }
  {
    json_t *doc = state ? json_incref(json_object_get(json_array_get(all, 0), "examples")) : all;
    if (state) json_decref(all);
    all = NULL;
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(doc);
    if (!s) {
      rc = cli_fail(cmd);
    } else if (out) {
      size_t len = strlen(s);
      s[len] = '\n';
      if (mimic_write_file_atomic(out, s, len + 1)) rc = cli_fail(cmd);
    } else {
      puts(s);
    }
    free(s);
  }
done:
  json_decref(all);
  mimic_agent_scratch_free(sc);
  mimic_agent_examples_free(&ex);
  mimic_agent_free(m);
  return rc;
}

/* ---- eval and calibrate ------------------------------------------------- */

/* The held-out moves and the model: either --model with --traces as the
 * test set, or --traces split by task, fitted on the training side. */
typedef struct eval_setup {
  mimic_agent_traces t;
  mimic_agent_examples train, test;
  mimic_agent_model *m;
  size_t n_train_traces, n_test_traces, n_test_groups;
  double fit_s;
  bool *is_test;
} eval_setup;

/* The held-out tasks (or traces, split by trace) in order of appearance. */
static json_t *held_out(const eval_setup *e, const char *split_by) {
  json_t *names = json_array(), *seen = json_object();
  bool by_trace = strcmp(split_by, "trace") == 0;
  for (size_t i = 0; names && seen && i < e->t.n; i++) {
    if (!e->is_test || !e->is_test[i]) continue;
    const mimic_agent_trace *tr = &e->t.t[i];
    const char *name = !by_trace && tr->task ? tr->task : tr->id;
    if (json_object_get(seen, name)) continue;
    json_object_set_new(seen, name, json_true());
    json_array_append_new(names, json_string(name));
  }
  json_decref(seen);
  return names;
}

static void eval_setup_free(eval_setup *e) {
  mimic_agent_free(e->m);
  mimic_agent_examples_free(&e->train);
  mimic_agent_examples_free(&e->test);
  mimic_agent_traces_free(&e->t);
  free(e->is_test);
}

/* The split another run printed (held out: a, b, ...): the traces of the
 * named tasks (or traces, by_trace) are the test side; a name that matches
 * nothing is an error, so a typo does not shrink the test set silently. */
static mimic_status split_named(eval_setup *e, bool by_trace, const char *list) {
  char *copy = mimic_strdup(list);
  if (!copy) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  e->n_test_groups = 0;
  char *save = NULL;
  for (char *name = strtok_r(copy, ",", &save); name && !st; name = strtok_r(NULL, ",", &save)) {
    while (*name == ' ') name++;
    bool found = false;
    for (size_t i = 0; i < e->t.n; i++) {
      const mimic_agent_trace *tr = &e->t.t[i];
      const char *key = !by_trace && tr->task ? tr->task : tr->id;
      if (strcmp(key, name) == 0) e->is_test[i] = found = true;
    }
    if (!found)
      st = mimic_fail(MIMIC_ERR_INVALID, "--held-out names %s '%s', which no trace has",
                      by_trace ? "trace" : "task", name);
    e->n_test_groups++;
  }
  free(copy);
  return st;
}

static mimic_status eval_prepare(const char *traces, const char *format, const char *model,
                                 const char *split_by, double frac, uint64_t seed,
                                 const char *held_list, const policy_opts *po, bool quiet,
                                 eval_setup *e) {
  memset(e, 0, sizeof *e);
  MIMIC_TRY(read_traces(traces, format, quiet, &e->t));
  if (model) {
    MIMIC_TRY(mimic_agent_load(model, &e->m));
    e->n_test_traces = e->t.n;
    return mimic_agent_examples_add_traces(&e->test, &e->t, NULL);
  }
  mimic_agent_config cfg;
  MIMIC_TRY(policy_config(po, &cfg));
  mimic_agent_split_by by;
  MIMIC_TRY(mimic_agent_split_by_parse(split_by, &by));
  e->is_test = mimic_calloc(e->t.n ? e->t.n : 1, sizeof *e->is_test, "a split");
  bool *train = mimic_calloc(e->t.n ? e->t.n : 1, sizeof *train, "a split");
  if (!e->is_test || !train) {
    free(train);
    return MIMIC_ERR_NOMEM;
  }
  mimic_status st = held_list
                        ? split_named(e, by == MIMIC_AGENT_SPLIT_TRACE, held_list)
                        : mimic_agent_split(&e->t, by, frac, seed, e->is_test, &e->n_test_groups);
  for (size_t i = 0; i < e->t.n; i++) {
    train[i] = !e->is_test[i];
    e->n_test_traces += e->is_test[i];
  }
  e->n_train_traces = e->t.n - e->n_test_traces;
  if (!st) st = mimic_agent_examples_add_traces(&e->train, &e->t, train);
  if (!st) st = mimic_agent_examples_add_traces(&e->test, &e->t, e->is_test);
  free(train);
  if (st) return st;
  if (e->train.n == 0) return mimic_fail(MIMIC_ERR_INVALID, "the training side has no moves");
  if (e->test.n == 0)
    return mimic_fail(MIMIC_ERR_INVALID, "the test side has no moves (--test-fraction %g)", frac);
  double t0 = mimic_now();
  st = mimic_agent_fit(e->train.ex, e->train.n, &cfg, &e->m);
  e->fit_s = mimic_now() - t0;
  return st;
}

static mimic_status parse_thresholds(const char *text, double *t, size_t cap, size_t *n) {
  *n = 0;
  const char *p = text;
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p || !(v >= 0 && v <= 1) || *n == cap)
      return mimic_fail(MIMIC_ERR_INVALID, "--thresholds wants numbers in [0, 1] like 0.5,0.7,0.9");
    t[(*n)++] = v;
    p = end;
    if (*p == ',')
      p++;
    else if (*p)
      return mimic_fail(MIMIC_ERR_INVALID, "--thresholds: bad text '%s'", p);
  }
  if (!*n) return mimic_fail(MIMIC_ERR_INVALID, "--thresholds is empty");
  return MIMIC_OK;
}

static json_t *calib_json(const mimic_agent_calib_row *rows, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(
        arr, json_pack("{s:f,s:I,s:f,s:o}", "threshold", rows[i].threshold, "covered",
                       (json_int_t)rows[i].covered, "coverage", rows[i].coverage, "accuracy",
                       isnan(rows[i].accuracy) ? json_null() : json_real(rows[i].accuracy)));
  return arr;
}

/* The split and fit flags of eval and calibrate as usage errors: a bad
 * --split-by or --test-fraction, or any of them beside --model, which is
 * already fit and scored on all of --traces. Returns -1 when all is well. */
static int check_split_flags(const char *cmd, const cli_opt *opts, const char *model,
                             const char *split_by, double frac) {
  mimic_agent_split_by by;
  if (mimic_agent_split_by_parse(split_by, &by)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  if (!(frac > 0 && frac < 1)) return cli_usage_error(cmd, "--test-fraction must be in (0, 1)");
  if (cli_seen(opts, "held-out") && (cli_seen(opts, "test-fraction") || cli_seen(opts, "seed")))
    return cli_usage_error(cmd, "--held-out names the test side: no --test-fraction or --seed");
  if (!model) return -1;
  static const char *const fit_only[] = {
      "held-out",   "split-by", "test-fraction",   "seed",     "policy",
      "threshold",  "markov-k", "features",        "prev-k",   "C",
      "classifier", "trees",    "max-observation", "no-demos", NULL};
  for (int i = 0; fit_only[i]; i++)
    if (cli_seen(opts, fit_only[i]))
      return cli_usage_error(cmd,
                             "%s%s splits or fits the traces, and --model is already fit (it is "
                             "scored on all of --traces)",
                             fit_only[i][1] ? "--" : "-", fit_only[i]);
  return -1;
}

static int cmd_agent_eval(int argc, char **argv) {
  const char *cmd = "agent eval";
  const char *traces = NULL, *format = "auto", *model = NULL, *split_by = "task";
  const char *thresholds = "0.5,0.7,0.9", *held = NULL;
  double frac = 0.3;
  uint64_t seed = 0;
  bool json = false, quiet = false;
  policy_opts po;
  policy_opts_init(&po);
  const char *model_file = NULL;
  cli_opt opts[] = {
      {"traces", CLI_STR, &traces, "FILE", "trajectories (any trace format)", true},
      {"format", CLI_STR, &format, "FMT", "auto, mimic, openai, react or react-json", false},
      {"model", CLI_STR, &model_file, "FILE", "evaluate this fitted model on all of --traces",
       false},
      {"split-by", CLI_STR, &split_by, "BY",
       "task (default; runs of a task stay together) or "
       "trace",
       false},
      {"test-fraction", CLI_DOUBLE, &frac, "F", "share of tasks held out (default 0.3)", false},
      {"seed", CLI_U64, &seed, "S", "seed of the split (default 0)", false},
      {"held-out", CLI_STR, &held, "LIST",
       "test on these tasks (traces with --split-by trace), as a run printed them: a,b,c", false},
      {"thresholds", CLI_STR, &thresholds, "LIST", "confidence thresholds (0.5,0.7,0.9)", false},
      POLICY_OPTS(po),
      {"json", CLI_FLAG, &json, NULL, "print one JSON object", false},
      {"quiet", CLI_FLAG, &quiet, NULL, "print nothing but errors", false},
      {NULL},
  };
  cli_parsed p = cli_parse(cmd, "Next-move accuracy of a policy on held-out tasks.",
                           "--traces FILE [--split-by task] [--test-fraction 0.3] [--seed S] "
                           "[--json]",
                           opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(json, quiet);
  model = model_file;
  double th[32];
  size_t nt;
  if (parse_thresholds(thresholds, th, 32, &nt)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  int bad = check_split_flags(cmd, opts, model, split_by, frac);
  if (bad >= 0) return bad;
  mimic_agent_config tmp;
  if (!model && policy_config(&po, &tmp)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  eval_setup e;
  int rc = CLI_EXIT_OK;
  mimic_agent_eval ev = {0};
  if (eval_prepare(traces, format, model, split_by, frac, seed, held, &po, quiet || json, &e) ||
      mimic_agent_evaluate(e.m, e.test.ex, e.test.n, &ev)) {
    rc = cli_fail(cmd);
    goto done;
  }
  mimic_agent_calib_row rows[32];
  mimic_agent_calibrate(ev.confidence, ev.correct, ev.n, th, nt, rows);
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "traces", json_string(traces));
    json_object_set_new(o, "policy", json_string(mimic_agent_policy_name(mimic_agent_kind(e.m))));
    if (!model) {
      json_object_set_new(o, "split_by", json_string(split_by));
      json_object_set_new(o, "test_fraction", json_real(frac));
      json_object_set_new(o, "seed", json_integer((json_int_t)seed));
      json_object_set_new(o, "test_groups", json_integer((json_int_t)e.n_test_groups));
      json_object_set_new(o, "held_out", held_out(&e, split_by));
      json_object_set_new(o, "train_traces", json_integer((json_int_t)e.n_train_traces));
      json_object_set_new(o, "n_train", json_integer((json_int_t)e.train.n));
      json_object_set_new(o, "fit_seconds", json_real(e.fit_s));
    }
    json_object_set_new(o, "test_traces", json_integer((json_int_t)e.n_test_traces));
    json_object_set_new(o, "n", json_integer((json_int_t)ev.n));
    json_object_set_new(o, "actions", json_integer(mimic_agent_n_actions(e.m)));
    json_object_set_new(o, "accuracy", json_real(ev.accuracy));
    json_object_set_new(o, "tool_accuracy", json_real(ev.tool_accuracy));
    json_object_set_new(o, "reply_accuracy", json_real(ev.reply_accuracy));
    json_object_set_new(o, "unseen_actions", json_integer((json_int_t)ev.unseen_actions));
    json_object_set_new(o, "args_scored", json_integer((json_int_t)ev.n_args_scored));
    json_object_set_new(o, "args_exact",
                        isnan(ev.args_exact) ? json_null() : json_real(ev.args_exact));
    json_object_set_new(o, "arg_value_accuracy",
                        isnan(ev.arg_value_accuracy) ? json_null()
                                                     : json_real(ev.arg_value_accuracy));
    json_object_set_new(o, "thresholds", calib_json(rows, nt));
    json_t *cov = json_object(), *acc = json_object();
    for (size_t i = 0; i < nt; i++) {
      char key[32];
      snprintf(key, sizeof key, "%g", th[i]);
      json_object_set_new(cov, key, json_real(rows[i].coverage));
      json_object_set_new(acc, key,
                          isnan(rows[i].accuracy) ? json_null() : json_real(rows[i].accuracy));
    }
    json_object_set_new(o, "coverage_at", cov);
    json_object_set_new(o, "accuracy_at", acc);
    print_json(o);
  } else if (!quiet) {
    if (!model)
      printf("split by %s: %zu test tasks/traces (%zu traces, %zu moves), %zu training moves; "
             "fit %.2f s\n",
             split_by, e.n_test_groups, e.n_test_traces, ev.n, e.train.n, e.fit_s);
    if (!model) { /* which were held out, so the split can be reproduced elsewhere */
      json_t *held = held_out(&e, split_by);
      printf("held out:");
      size_t i;
      json_t *v;
      json_array_foreach(held, i, v) printf("%s %s", i ? "," : "", json_string_value(v));
      printf("\n");
      json_decref(held);
    }
    char replies[32] = "none";
    if (!isnan(ev.reply_accuracy)) snprintf(replies, sizeof replies, "%.4f", ev.reply_accuracy);
    printf("next-move accuracy %.4f  (tool calls %.4f over %zu, replies %s)\n", ev.accuracy,
           ev.tool_accuracy, ev.n_tool_calls, replies);
    printf("arguments exactly right %.4f of %zu correct tool calls; values %.4f\n", ev.args_exact,
           ev.n_args_scored, ev.arg_value_accuracy);
    printf("%10s %10s %10s\n", "threshold", "coverage", "accuracy");
    for (size_t i = 0; i < nt; i++)
      printf("%10.2f %10.4f %10.4f\n", rows[i].threshold, rows[i].coverage, rows[i].accuracy);
  }
done:
  mimic_agent_eval_free(&ev);
  eval_setup_free(&e);
  return rc;
}

static int cmd_agent_calibrate(int argc, char **argv) {
  const char *cmd = "agent calibrate";
  const char *traces = NULL, *format = "auto", *model_file = NULL, *split_by = "task";
  const char *plot = NULL, *thresholds = NULL, *held = NULL;
  double frac = 0.3;
  uint64_t seed = 0;
  bool json = false, quiet = false;
  policy_opts po;
  policy_opts_init(&po);
  cli_opt opts[] = {
      {"traces", CLI_STR, &traces, "FILE", "held-out trajectories (or all, to split)", true},
      {"format", CLI_STR, &format, "FMT", "auto, mimic, openai, react or react-json", false},
      {"model", CLI_STR, &model_file, "FILE", "a fitted model: calibrate it on all of --traces",
       false},
      {"split-by", CLI_STR, &split_by, "BY", "without --model: task (default) or trace", false},
      {"test-fraction", CLI_DOUBLE, &frac, "F", "without --model: share held out (0.3)", false},
      {"seed", CLI_U64, &seed, "S", "seed of the split (default 0)", false},
      {"held-out", CLI_STR, &held, "LIST",
       "test on these tasks (traces with --split-by trace): a,b,c", false},
      {"thresholds", CLI_STR, &thresholds, "LIST", "thresholds (default 0, 0.05, ..., 0.95)",
       false},
      {"plot", CLI_STR, &plot, "FILE", "draw coverage and accuracy against threshold (.png/.svg)",
       false},
      POLICY_OPTS(po),
      {"json", CLI_FLAG, &json, NULL, "print one JSON object", false},
      {"quiet", CLI_FLAG, &quiet, NULL, "print nothing but errors", false},
      {NULL},
  };
  cli_parsed p = cli_parse(cmd,
                           "Coverage and accuracy of the router at each confidence "
                           "threshold, to pick one.",
                           "--model agent.mimic --traces test.jsonl [--plot calib.png] | --traces "
                           "FILE --split-by task",
                           opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(json, quiet);
  double th[64];
  size_t nt = 0;
  if (thresholds) {
    if (parse_thresholds(thresholds, th, 64, &nt))
      return cli_usage_error(cmd, "%s", mimic_errmsg());
  } else {
    for (int i = 0; i < 20; i++) th[nt++] = i * 0.05;
  }
  int bad = check_split_flags(cmd, opts, model_file, split_by, frac);
  if (bad >= 0) return bad;
  eval_setup e;
  int rc = CLI_EXIT_OK;
  mimic_agent_eval ev = {0};
  if (eval_prepare(traces, format, model_file, split_by, frac, seed, held, &po, quiet || json,
                   &e) ||
      mimic_agent_evaluate(e.m, e.test.ex, e.test.n, &ev)) {
    rc = cli_fail(cmd);
    goto done;
  }
  mimic_agent_calib_row rows[64];
  mimic_agent_calibrate(ev.confidence, ev.correct, ev.n, th, nt, rows);
  if (plot) {
    double x[64], cov[64], acc[64];
    for (size_t i = 0; i < nt; i++) {
      x[i] = rows[i].threshold;
      cov[i] = rows[i].coverage;
      acc[i] = rows[i].accuracy;
    }
    char title[160];
    snprintf(title, sizeof title, "router calibration (%s policy, %zu moves)",
             mimic_agent_policy_name(mimic_agent_kind(e.m)), ev.n);
    mimic_plot *pl = mimic_plot_new(title, "confidence threshold", "share");
    if (!pl || mimic_plot_line(pl, "coverage (acts)", x, cov, (int)nt, true) ||
        mimic_plot_line(pl, "accuracy when acting", x, acc, (int)nt, true) ||
        mimic_plot_hline(pl, "accuracy overall", ev.accuracy) ||
        (mimic_plot_ylim(pl, 0, 1.02), mimic_plot_save(pl, plot))) {
      mimic_plot_free(pl);
      rc = cli_fail(cmd);
      goto done;
    }
    mimic_plot_free(pl);
  }
  if (json) {
    json_t *o = json_pack("{s:s,s:I,s:f,s:o}", "policy",
                          mimic_agent_policy_name(mimic_agent_kind(e.m)), "n", (json_int_t)ev.n,
                          "accuracy", ev.accuracy, "thresholds", calib_json(rows, nt));
    if (plot) json_object_set_new(o, "plot", json_string(plot));
    print_json(o);
  } else if (!quiet) {
    printf("%zu moves, next-move accuracy %.4f\n", ev.n, ev.accuracy);
    printf("%10s %10s %10s %10s\n", "threshold", "coverage", "accuracy", "deferred");
    for (size_t i = 0; i < nt; i++)
      printf("%10.2f %10.4f %10.4f %10zu\n", rows[i].threshold, rows[i].coverage, rows[i].accuracy,
             ev.n - rows[i].covered);
    if (plot) printf("plot: %s\n", plot);
  }
done:
  mimic_agent_eval_free(&ev);
  eval_setup_free(&e);
  return rc;
}

/* ---- dagger ------------------------------------------------------------- */

static void on_round(const mimic_dagger_round *r, void *user) {
  bool silent = *(bool *)user; /* --json or --quiet */
  if (silent) return;
  printf("round %d: %zu states, %zu asked, %zu examples", r->round + 1, r->candidates, r->queried,
         r->dataset_size);
  for (int i = 0; i < r->n_metrics; i++) printf(", %s %.4g", r->metric_names[i], r->metrics[i]);
  printf(" (%.2f s)\n", r->seconds);
  fflush(stdout);
}

static int cmd_agent_dagger(int argc, char **argv) {
  const char *cmd = "agent dagger";
  const char *demos = NULL, *pool = NULL, *eval = NULL, *expert = "human", *store = NULL;
  const char *session = "agent-dagger", *query = "uncertain:0.5", *out = NULL, *bind = NULL;
  int rounds = 1, agreement = 1;
  double timeout = 30;
  uint64_t seed = 0;
  bool json = false, quiet = false, silent;
  policy_opts po;
  policy_opts_init(&po);
  cli_opt opts[] = {
      {"demos", CLI_STR, &demos, "FILE", "demonstrations to start from (any trace format)", false},
      {"pool", CLI_STR, &pool, "FILE", "states the policy meets: JSON Lines of states or traces",
       true},
      {"eval", CLI_STR, &eval, "FILE", "held-out traces scored after each round", false},
      {"expert", CLI_STR, &expert, "WHO",
       "human (default), web[:PORT] (a labeling page), cmd:PROGRAM or recorded", false},
      {"bind", CLI_STR, &bind, "ADDR",
       "web: serve the page on ADDR, not only 127.0.0.1 (warned; needs the printed token)", false},
      {"web-agreement", CLI_INT, &agreement, "K",
       "web: votes each question needs from distinct people; the majority is learned (default 1)",
       false},
      {"expert-timeout", CLI_DOUBLE, &timeout, "S", "seconds per answer of a program (30)", false},
      {"store", CLI_STR, &store, "DB", "label store for the answers (SQLite)", true},
      {"session", CLI_STR, &session, "NAME", "session name; rerun to resume (agent-dagger)", false},
      {"rounds", CLI_INT, &rounds, "R", "rounds: the pool is cut into R slices (1)", false},
      {"query", CLI_STR, &query, "RULE",
       "which states go to the expert (uncertain:T, T the --threshold, 0.5)", false},
      {"seed", CLI_U64, &seed, "S", "seed for random queries", false},
      {"o", CLI_STR, &out, "FILE", "the policy after every round", true},
      POLICY_OPTS(po),
      {"json", CLI_FLAG, &json, NULL, "print a JSON summary", false},
      {"quiet", CLI_FLAG, &quiet, NULL, "print nothing but errors (and a person's questions)",
       false},
      {NULL},
  };
  cli_parsed p = cli_parse(cmd,
                           "DAgger for agents: the expert answers where the policy is unsure; "
                           "answers are stored at once and learned.",
                           "--demos FILE --pool FILE --store DB -o agent.mimic [--expert "
                           "cmd:PROGRAM]",
                           opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(json, quiet);
  silent = json || quiet;
  mimic_agent_dagger_config cfg;
  mimic_agent_dagger_defaults(&cfg);
  /* the router's threshold is also where the expert is asked, unless the
   * query rule is given: --threshold 0.7 asks below 0.7, not below 0.5 */
  char query_buf[64];
  if (cli_seen(opts, "threshold") && !cli_seen(opts, "query")) {
    snprintf(query_buf, sizeof query_buf, "uncertain:%.17g", po.threshold);
    query = query_buf;
  }
  if (policy_config(&po, &cfg.policy) || mimic_query_parse(query, &cfg.query))
    return cli_usage_error(cmd, "%s", mimic_errmsg());
  if (rounds < 1) return cli_usage_error(cmd, "--rounds must be >= 1");
  int bad = cli_check_agreement(cmd, agreement, "--expert", expert);
  if (bad) return bad;
  mimic_agent_traces dt = {0}, et = {0};
  mimic_agent_examples dex = {0}, pex = {0}, eex = {0};
  mimic_agent_model *m = NULL;
  mimic_dagger_round rows[256];
  int n_rows = 0, rc = CLI_EXIT_OK;
  if ((demos && (read_traces(demos, "auto", json, &dt) ||
                 mimic_agent_examples_add_traces(&dex, &dt, NULL))) ||
      mimic_agent_states_read(pool, &pex) ||
      (eval && (read_traces(eval, "auto", json, &et) ||
                mimic_agent_examples_add_traces(&eex, &et, NULL)))) {
    rc = cli_fail(cmd);
    goto done;
  }
  cfg.demos = &dex;
  cfg.pool = &pex;
  cfg.eval = eval ? &eex : NULL;
  cfg.expert = expert;
  cfg.bind = bind;
  cfg.web_agreement = agreement;
  cfg.expert_timeout = timeout;
  cfg.store_path = store;
  cfg.session = session;
  cfg.rounds = rounds;
  cfg.seed = seed;
  cfg.model_out = out;
  cfg.on_round = on_round;
  cfg.user = &silent;
  mimic_status st = mimic_agent_dagger_run(&cfg, rows, 256, &n_rows, &m);
  if (st == MIMIC_ERR_INTERRUPTED) { /* a person quit: every answer is stored */
    fprintf(stderr, "mimic agent dagger: stopped: %s; the answers are in %s (session %s)\n",
            mimic_errmsg(), store, session);
    goto done;
  }
  if (st) {
    rc = cli_fail(cmd);
    goto done;
  }
  if (json) {
    json_t *arr = json_array();
    for (int i = 0; i < n_rows; i++) {
      json_t *r = json_pack("{s:i,s:I,s:I,s:I}", "round", rows[i].round + 1, "states",
                            (json_int_t)rows[i].candidates, "asked", (json_int_t)rows[i].queried,
                            "examples", (json_int_t)rows[i].dataset_size);
      for (int k = 0; k < rows[i].n_metrics; k++)
        json_object_set_new(r, rows[i].metric_names[k], json_real(rows[i].metrics[k]));
      json_array_append_new(arr, r);
    }
    long total = n_rows ? rows[n_rows - 1].expert_queries : 0;
    print_json(json_pack("{s:s,s:s,s:I,s:o}", "model", out, "store", store, "expert_queries",
                         (json_int_t)total, "rounds", arr));
  } else if (!quiet) {
    printf("saved %s; answers in %s (session %s)\n", out, store, session);
  }
done:
  mimic_agent_free(m);
  mimic_agent_examples_free(&dex);
  mimic_agent_examples_free(&pex);
  mimic_agent_examples_free(&eex);
  mimic_agent_traces_free(&dt);
  mimic_agent_traces_free(&et);
  return rc;
}

/* ---- serve -------------------------------------------------------------- */

static int cmd_agent_serve(int argc, char **argv) {
  const char *cmd = "agent serve";
  const char *model = NULL, *host = "127.0.0.1", *store = NULL, *session = "http-corrections";
  const char *fallback = "fallback";
  int port = 8080, threads = 2, examples = 3;
  long long max_body = 1 << 20;
  int timeout = 15, max_conn = 512, max_per_ip = 128;
  double threshold = NAN, request_timeout = 10;
  bool lock = false, quiet = false;
  cli_opt opts[] = {
      {"model", CLI_STR, &model, "FILE", "a model from `mimic agent fit`", true},
      {"host", CLI_STR, &host, "ADDR", "address to bind (default 127.0.0.1: this machine only)",
       false},
      {"port", CLI_INT, &port, "N", "TCP port (default 8080; 0 = any free port)", false},
      {"threads", CLI_INT, &threads, "N", "worker threads (default 2)", false},
      {"store", CLI_STR, &store, "DB", "label store for POST /correct (default: MODEL.db)", false},
      {"session", CLI_STR, &session, "NAME", "store session of the corrections", false},
      {"threshold", CLI_DOUBLE, &threshold, "T", "act when confidence >= T (default: the model's)",
       false},
      {"fallback", CLI_STR, &fallback, "NAME", "the route when unsure (default fallback)", false},
      {"examples", CLI_INT, &examples, "K", "few-shot examples per /predict (default 3)", false},
      {"max-body", CLI_LONG, &max_body, "BYTES", "largest request body (default 1 MiB)", false},
      {"timeout", CLI_INT, &timeout, "S", "close idle connections after S seconds (15)", false},
      {"request-timeout", CLI_DOUBLE, &request_timeout, "S",
       "a request must arrive whole within S seconds, however slowly (10)", false},
      {"max-connections", CLI_INT, &max_conn, "N", "past N connections answer 503 (512)", false},
      {"max-per-ip", CLI_INT, &max_per_ip, "N", "connections one address may hold (128)", false},
      {"lock-model", CLI_FLAG, &lock, NULL, "serialise predictions with a lock (to measure)",
       false},
      {"quiet", CLI_FLAG, &quiet, NULL, "print nothing but errors", false},
      {NULL},
  };
  cli_parsed p =
      cli_parse(cmd, "Serve an agent policy over HTTP until interrupted.",
                "--model agent.mimic [--port 8080] [--host 127.0.0.1]", opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(false, quiet);
  if (max_body < 64) return cli_usage_error(cmd, "--max-body must be >= 64");
  if (timeout < 1) return cli_usage_error(cmd, "--timeout must be >= 1");
  if (!(request_timeout > 0 && request_timeout <= 86400))
    return cli_usage_error(cmd, "--request-timeout must be in (0, 86400] seconds");
  if (max_conn < 1 || max_conn > 100000)
    return cli_usage_error(cmd, "--max-connections must be in 1..100000");
  if (max_per_ip < 1) return cli_usage_error(cmd, "--max-per-ip must be >= 1");
  mimic_agent_model *m = NULL;
  mimic_labelstore *db = NULL;
  mimic_agent_server *srv = NULL;
  char *store_path = store ? strdup(store) : mimic_asprintf("%s.db", model);
  int rc = CLI_EXIT_OK;
  mimic_agent_server_config sc;
  mimic_agent_server_defaults(&sc);
  int64_t sid = 0;
  bool resumed;
  if (!store_path || mimic_agent_load(model, &m) || mimic_labelstore_open(store_path, NULL, &db) ||
      mimic_labelstore_session_open(db, session, MIMIC_AGENT_SESSION_KIND, NULL, &sid, &resumed)) {
    rc = cli_fail(cmd);
    goto done;
  }
  sc.host = host;
  sc.port = port;
  sc.threads = threads;
  sc.max_body = (size_t)max_body;
  sc.timeout_s = (unsigned)timeout;
  sc.request_timeout_s = request_timeout;
  sc.max_connections = (unsigned)max_conn;
  sc.max_per_ip = (unsigned)max_per_ip;
  sc.threshold = threshold;
  sc.fallback = fallback;
  sc.examples = examples;
  sc.lock_model = lock;
  sc.store = db;
  sc.session = sid;
  /* block the stop signals in every thread; this one waits for them */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (mimic_agent_server_start(m, &sc, &srv)) {
    rc = cli_fail(cmd);
    goto done;
  }
  if (!quiet) {
    fprintf(stderr, "serving %s (%s policy, %d actions) on http://%s:%d  (corrections: %s)\n",
            model, mimic_agent_policy_name(mimic_agent_kind(m)), mimic_agent_n_actions(m), host,
            mimic_agent_server_port(srv), store_path);
    fflush(stderr);
  }
  int sig;
  sigwait(&set, &sig);
  mimic_agent_server_stats st;
  mimic_agent_server_stats_get(srv, &st);
  mimic_agent_server_stop(srv);
  if (!quiet)
    fprintf(stderr, "stopped: %llu requests, %llu predictions, %llu corrections, %llu bad\n",
            (unsigned long long)st.requests, (unsigned long long)st.predictions,
            (unsigned long long)st.corrections,
            (unsigned long long)(st.bad_requests + st.too_large + st.not_found));
done:
  mimic_labelstore_close(db);
  mimic_agent_free(m);
  free(store_path);
  return rc;
}
