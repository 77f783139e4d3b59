/* mimic train preferences: reward learning from preferences between
 * fragments of the agent's behaviour (mimic/preferences.h), the agent
 * trained with PPO on the learned reward. Thin: flags become a
 * mimic_pref_config, the library trains, rl_common.c logs, plots and
 * reports. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/rl_common.h"
#include "cli/show.h"
#include "mimic/preferences.h"

#define MAX_OPTS 72

/* What the run reports at the end, from the last round. */
typedef struct pref_run {
  rl_monitor *monitor;
  mimic_pref_round last;
  mimic_pref_web *web; /* the labeling page, if people answer there */
} pref_run;

static bool on_ppo(mimic_ppo *p, const mimic_ppo_iter *it, void *user) {
  pref_run *run = user;
  return rl_monitor_iter(p, it, run->monitor);
}

static bool on_round(const mimic_pref_round *r, void *user) {
  pref_run *run = user;
  run->last = *r;
  /* the page charts how well the learned reward agrees with the answers (an
   * agent's return needs finished episodes, which fixed-horizon tasks lack) */
  mimic_pref_web_round_done(run->web, r->iteration + 1, "reward accuracy", r->reward_accuracy);
  if (run->monitor->bar_started)
    mimic_progress_note(&run->monitor->bar, "round %d/%d: %d comparisons, reward accuracy %.3f",
                        r->iteration, r->iterations, r->comparisons, r->reward_accuracy);
  return true;
}

/* Who answers, and the label log that keeps the answers. */
typedef struct pref_gatherer {
  mimic_pref_human human;
  mimic_pref_program *program;
  mimic_pref_web *web;
  int agreement; /* web: votes per pair, the majority answering */
  mimic_pref_log *log;
  mimic_pref_gather_fn fn; /* NULL: the oracle, unlogged */
  void *user;
} pref_gatherer;

/* The settings a resumed label log must have been made with. */
static char *pref_config_json(const mimic_pref_config *c) {
  json_t *o = json_object();
  json_object_set_new(o, "env", json_string(c->ppo.env_id));
  json_object_set_new(o, "env_opts", cli_json_str(c->ppo.env_opts));
  json_object_set_new(o, "seed", cli_json_u64(c->seed));
  json_object_set_new(o, "ppo_seed", cli_json_u64(c->ppo.seed));
  json_object_set_new(o, "steps", json_integer(c->ppo.total_steps));
  json_object_set_new(o, "comparisons", json_integer(c->comparisons));
  json_object_set_new(o, "iterations", json_integer(c->iterations));
  json_object_set_new(o, "fragment_length", json_integer(c->fragment_length));
  json_object_set_new(o, "pairs", json_integer(c->pairs));
  json_object_set_new(o, "ensemble", json_integer(c->ensemble));
  json_object_set_new(o, "initial_frac", cli_json_number(c->initial_comparison_frac));
  return cli_json_text(o);
}

/* Opens the gatherer the flag names, logged to log_path (NULL: none for
 * the oracle, OUT.labels for a person or a program). */
static mimic_status pref_gatherer_open(pref_gatherer *g, const char *gatherer, const char *log_path,
                                       const char *out, const char *bind,
                                       const mimic_pref_config *c, mimic_pref *oracle_of) {
  const bool oracle = !gatherer || !strcmp(gatherer, "oracle");
  const bool web = gatherer && !strncmp(gatherer, "web", 3);
  g->human = (mimic_pref_human){.in_fd = 0, .out = stderr};
  if (oracle) {
    g->fn = mimic_pref_oracle;
    g->user = oracle_of;
  } else if (web) {
    MIMIC_TRY(mimic_pref_web_open(gatherer, bind, c->ppo.env_id, c->ppo.env_opts, c->iterations + 1,
                                  c->comparisons, g->agreement, &g->web));
    g->fn = NULL;
  } else if (!strcmp(gatherer, "human")) {
    g->fn = mimic_pref_human_gather;
    g->user = &g->human;
  } else {
    MIMIC_TRY(mimic_pref_program_open(gatherer + 4, 0, c->ppo.env_id, &g->program));
    g->fn = mimic_pref_program_gather;
    g->user = g->program;
  }
  char fallback[4096];
  if (!log_path && !oracle) {
    snprintf(fallback, sizeof fallback, "%s.labels", out);
    log_path = fallback;
  }
  if (!log_path) return MIMIC_OK;
  char *config = pref_config_json(c);
  if (!config) return mimic_fail_nomem("the label log's settings");
  mimic_status st = mimic_pref_log_open(log_path, "preferences", config,
                                        oracle ? "oracle" : gatherer, g->fn, g->user, &g->log);
  free(config);
  if (st != MIMIC_OK) return st;
  if (web) mimic_pref_log_stream(g->log, mimic_pref_web_gather, g->web);
  if (web) MIMIC_TRY(mimic_pref_web_votes(g->web, g->log, "preferences"));
  g->human.asked = mimic_pref_log_resumed(g->log);
  if (g->human.asked > 0)
    fprintf(stderr,
            "train preferences: %ld answers in %s are replayed; asking from comparison %ld\n",
            g->human.asked, log_path, g->human.asked + 1);
  g->fn = mimic_pref_log_gather;
  g->user = g->log;
  return MIMIC_OK;
}

/* Hands each question to the gatherer opened after the trainer (the
 * oracle needs the trainer, the trainer needs a gatherer). */
static mimic_status pref_gatherer_gate(void *user, const mimic_fragment *first,
                                       const mimic_fragment *second, int n, double *preference) {
  const pref_gatherer *g = user;
  return g->fn(g->user, first, second, n, preference);
}

/* Parses the configuration flags that are not PPO's; returns a usage exit code or -1. */
static int pref_flags(const char *cmd, const cli_opt *o, const char *pairs, const char *hidden,
                      const char *inputs, const char *gatherer, mimic_pref_config *c) {
  if (gatherer && strcmp(gatherer, "oracle") != 0 && strcmp(gatherer, "human") != 0 &&
      strncmp(gatherer, "cmd:", 4) != 0 && strcmp(gatherer, "web") != 0 &&
      strncmp(gatherer, "web:", 4) != 0)
    return cli_usage_error(cmd, "--gatherer is oracle, human, web[:PORT] or cmd:PROGRAM, got '%s'",
                           gatherer);
  if (pairs) {
    if (strcmp(pairs, "random") == 0)
      c->pairs = MIMIC_PAIRS_RANDOM;
    else if (strcmp(pairs, "disagreement") == 0)
      c->pairs = MIMIC_PAIRS_DISAGREEMENT;
    else
      return cli_usage_error(cmd, "--pairs is random or disagreement, got '%s'", pairs);
    if (c->pairs == MIMIC_PAIRS_DISAGREEMENT && !cli_seen(o, "ensemble") && c->ensemble < 2)
      c->ensemble = 3;
  }
  if (hidden &&
      !cli_parse_hidden(hidden, c->reward_hidden, &c->reward_n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--reward-hidden wants widths like 32,32, got '%s'", hidden);
  if (inputs && !mimic_reward_inputs_parse(inputs, &c->reward_inputs))
    return cli_usage_error(cmd,
                           "--reward-inputs is state, state-action, state-next-state or "
                           "state-action-next-state, got '%s'",
                           inputs);
  if (mimic_pref_check(c)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  return -1;
}

int cli_train_preferences(int argc, char **argv) {
  const char *cmd = "train preferences";
  const char *env = NULL, *env_opts = NULL, *out = NULL, *reward_out = NULL, *pairs = NULL,
             *hidden = NULL, *inputs = NULL, *gatherer = NULL, *label_log = NULL, *bind = NULL;
  mimic_pref_config d = mimic_pref_defaults(NULL);
  int comparisons = d.comparisons, iterations = d.iterations, length = d.fragment_length,
      ensemble = d.ensemble, epochs = d.reward_epochs, batch = d.reward_batch, agreement = 1;
  double initial = d.initial_comparison_frac, multiplier = d.initial_epoch_multiplier,
         oversampling = d.transition_oversampling, lr = d.reward_lr, temperature = d.temperature,
         discount = d.discount;
  uint64_t seed = 0;
  bool no_sample = false;
  rl_ppo_flags f = {0};
  rl_monitor m = {.cmd = cmd};
  cli_opt o[MAX_OPTS];
  int n = 0;
  o[n++] = (cli_opt){"env", CLI_STR, &env, "ID", "environment id", true};
  o[n++] = (cli_opt){"env-opts", CLI_STR, &env_opts, "K=V,..",
                     "environment options (fixed_horizon=1 for CartPole-v1)"};
  o[n++] = (cli_opt){"o", CLI_STR, &out, "FILE", "where to write the agent's policy", true};
  o[n++] = (cli_opt){"reward-out", CLI_STR, &reward_out, "FILE", "write the learned reward here"};
  o[n++] = (cli_opt){"gatherer", CLI_STR, &gatherer, "KIND",
                     "who answers: oracle (synthetic, from the true reward; default), human (at "
                     "this terminal), web[:PORT] (people at a labeling page, docs/web-expert.md) "
                     "or cmd:PROGRAM (docs/expert-protocol.md)"};
  o[n++] = (cli_opt){"bind", CLI_STR, &bind, "ADDR",
                     "web: serve the page on ADDR, not only 127.0.0.1 (warns; needs a token)"};
  o[n++] = (cli_opt){"web-agreement", CLI_INT, &agreement, "K",
                     "web: votes each pair needs from distinct people; the majority is learned "
                     "(default 1)"};
  o[n++] = (cli_opt){"label-log", CLI_STR, &label_log, "FILE",
                     "keep every answer here; a rerun resumes (default for human and cmd: "
                     "OUT.labels)"};
  o[n++] = (cli_opt){"comparisons", CLI_INT, &comparisons, "N", "comparisons asked (1000)"};
  o[n++] = (cli_opt){"iterations", CLI_INT, &iterations, "N", "rounds after the first (10)"};
  o[n++] = (cli_opt){"fragment-length", CLI_INT, &length, "L", "steps per fragment (100)"};
  o[n++] = (cli_opt){"initial-frac", CLI_DOUBLE, &initial, "F",
                     "share of comparisons asked before the agent trains (0.1)"};
  o[n++] = (cli_opt){"initial-epoch-multiplier", CLI_DOUBLE, &multiplier, "M",
                     "epochs on that first share, times --reward-epochs (200)"};
  o[n++] = (cli_opt){"oversampling", CLI_DOUBLE, &oversampling, "X",
                     "agent steps sampled per step the fragments need (1)"};
  o[n++] = (cli_opt){"pairs", CLI_STR, &pairs, "HOW",
                     "random (default) or disagreement (most disputed by an ensemble)"};
  o[n++] = (cli_opt){"ensemble", CLI_INT, &ensemble, "K",
                     "reward networks (1; 3 with --pairs disagreement)"};
  o[n++] = (cli_opt){"reward-epochs", CLI_INT, &epochs, "N", "epochs per reward training (3)"};
  o[n++] = (cli_opt){"reward-batch", CLI_INT, &batch, "B", "comparisons per reward step (32)"};
  o[n++] = (cli_opt){"reward-lr", CLI_DOUBLE, &lr, "LR", "reward Adam learning rate (1e-3)"};
  o[n++] =
      (cli_opt){"reward-hidden", CLI_STR, &hidden, "N,N", "reward hidden widths (default 32,32)"};
  o[n++] = (cli_opt){"reward-inputs", CLI_STR, &inputs, "KIND",
                     "state (default), state-action, state-next-state, ..."};
  o[n++] = (cli_opt){"discount", CLI_DOUBLE, &discount, "G", "discount of compared returns (1)"};
  o[n++] =
      (cli_opt){"temperature", CLI_DOUBLE, &temperature, "T", "oracle's Boltzmann temperature (1)"};
  o[n++] = (cli_opt){"no-sample", CLI_FLAG, &no_sample, NULL,
                     "oracle answers its probability instead of sampling"};
  o[n++] = (cli_opt){"pref-seed", CLI_U64, &seed, "S",
                     "seed of fragments, pairs, reward nets and oracle (default: --seed)"};
  int parsed = rl_parse(cmd,
                        "Learn a reward from preferences between fragments of the agent's "
                        "behaviour (Christiano et al. 2017), training the agent with PPO on it.",
                        "--env ID -o FILE [options]", o, n, &f, &m, argc, argv);
  if (parsed >= 0) return parsed;
  mimic_pref_config c = mimic_pref_defaults(env);
  const long budget = c.ppo.total_steps; /* preferences' own, unless --steps or --preset none */
  int rc = rl_ppo_config(cmd, o, &f, env, env_opts, &c.ppo);
  if (rc >= 0) return rc;
  if (!cli_seen(o, "steps") && !(f.preset && !strcmp(f.preset, "none"))) c.ppo.total_steps = budget;
  c.comparisons = comparisons;
  c.iterations = iterations;
  c.fragment_length = length;
  c.initial_comparison_frac = initial;
  c.initial_epoch_multiplier = multiplier;
  c.transition_oversampling = oversampling;
  c.ensemble = ensemble;
  c.reward_epochs = epochs;
  c.reward_batch = batch;
  c.reward_lr = lr;
  c.discount = discount;
  c.temperature = temperature;
  c.oracle_sample = !no_sample;
  c.seed = cli_seen(o, "pref-seed") ? seed : c.ppo.seed;
  rc = pref_flags(cmd, o, pairs, hidden, inputs, gatherer, &c);
  if (rc >= 0) return rc;
  if (bind && !(gatherer && !strncmp(gatherer, "web", 3)))
    return cli_usage_error(cmd, "--bind serves the labeling page: give --gatherer web[:PORT]");
  rc = cli_check_agreement(cmd, agreement, "--gatherer", gatherer);
  if (rc) return rc;
  mimic_pref *t = NULL;
  pref_gatherer g = {.agreement = agreement};
  mimic_status st = mimic_pref_create(&c, pref_gatherer_gate, &g, &t);
  if (st == MIMIC_OK) st = pref_gatherer_open(&g, gatherer, label_log, out, bind, &c, t);
  snprintf(m.title, sizeof m.title, "preferences on %s%s%s, %d comparisons", env,
           env_opts ? " " : "", env_opts ? env_opts : "", c.comparisons);
  m.reference = NAN;
  pref_run run = {.monitor = &m, .web = g.web};
  if (st == MIMIC_OK) {
    st = mimic_pref_learn(t, on_round, on_ppo, &run);
    if (st == MIMIC_OK && m.failed) st = mimic_errcode();
  }
  mimic_pref_program_close(g.program);
  mimic_pref_web_close(g.web);
  if (st == MIMIC_ERR_INTERRUPTED) {
    long kept = g.log ? mimic_pref_log_answers(g.log) : 0;
    mimic_pref_log_close(g.log, false);
    mimic_pref_free(t);
    rl_monitor_free(&m);
    fprintf(stderr,
            "train preferences: stopped; %ld answers are kept; run the same command again to "
            "resume\n",
            kept);
    return CLI_EXIT_OK;
  }
  if (g.log) {
    mimic_status closed = mimic_pref_log_close(g.log, st == MIMIC_OK);
    if (st == MIMIC_OK) st = closed;
  }
  if (st == MIMIC_OK) st = rl_monitor_finish(&m);
  if (st == MIMIC_OK && reward_out) st = mimic_pref_save_reward(t, reward_out);
  if (st == MIMIC_OK) {
    json_t *meta = json_object();
    json_object_set_new(meta, "algorithm", json_string("preferences"));
    json_object_set_new(meta, "comparisons", json_integer(run.last.comparisons));
    char *text = cli_json_text(meta);
    st = text ? mimic_ppo_save(mimic_pref_agent(t), out, text)
              : mimic_fail_nomem("the model's description");
    free(text);
  }
  if (st == MIMIC_OK) {
    json_t *extra = json_object();
    json_object_set_new(extra, "algorithm", json_string("preferences"));
    json_object_set_new(extra, "comparisons", json_integer(run.last.comparisons));
    json_object_set_new(extra, "ties", json_integer(run.last.ties));
    json_object_set_new(extra, "reward_accuracy", cli_json_number(run.last.reward_accuracy));
    json_object_set_new(extra, "reward_loss", cli_json_number(run.last.reward_loss));
    json_object_set_new(extra, "sample_steps", json_integer(run.last.sample_steps));
    if (!m.json && !m.quiet)
      printf("%d comparisons (%d ties), reward accuracy %.3f on them, %ld steps sampled for "
             "fragments\n",
             run.last.comparisons, run.last.ties, run.last.reward_accuracy, run.last.sample_steps);
    rc = rl_report(cmd, mimic_pref_agent(t), &m, out, extra, 100);
    json_decref(extra);
  } else {
    rc = cli_fail(cmd);
  }
  mimic_pref_free(t);
  rl_monitor_free(&m);
  return rc;
}
