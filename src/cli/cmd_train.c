/* mimic train <algorithm>: the trainers. Each algorithm's flags live in its
 * own function; this file holds the dispatcher and behavioral cloning. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/comm.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/evaluate.h"
#include "mimic/plot.h"
#include "mimic/policy.h"

/* Parses "32,32" into hidden sizes; returns false on a malformed list. */
bool cli_parse_hidden(const char *text, int *hidden, int *n_hidden, int cap) {
  *n_hidden = 0;
  if (!*text || strcmp(text, "none") == 0) return true;
  const char *p = text;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > 65536 || *n_hidden >= cap) return false;
    hidden[(*n_hidden)++] = (int)v;
    if (*end == ',')
      end++;
    else if (*end)
      return false;
    p = end;
  }
  return true;
}

/* Reads --activation. */
bool cli_parse_activation(const char *text, mimic_activation *act) {
  if (strcmp(text, "tanh") == 0)
    *act = MIMIC_ACT_TANH;
  else if (strcmp(text, "relu") == 0)
    *act = MIMIC_ACT_RELU;
  else
    return false;
  return true;
}

/* --policy mlp|cnn|gru[:H]|transformer[:K]: transformer reads the last K
 * observations (default 16) with 2 blocks of width 64 and 2 heads, and a
 * head of [64] relu unless --hidden / --activation say otherwise; gru is a
 * GRU of H units (default 64) over the
 * observations with a head of [64] relu unless --hidden / --activation say
 * otherwise; a cnn gets the default conv trunk for the observation
 * space's image shape (C, H, W), or (1, H, W) for a 2-D one; its head
 * widths and activation default to the trunk's ([64] or [512], relu)
 * unless --hidden / --activation were given. Returns false with a message
 * printed on a usage error. */
static bool policy_arch(const char *cmd, const char *policy, const char *hidden,
                        const char *activation, const mimic_space *os, mimic_bc_config *bc) {
  if (strcmp(policy, "mlp") == 0) return true;
  if (strncmp(policy, "gru", 3) == 0 && (!policy[3] || policy[3] == ':')) {
    char *end = NULL;
    long h = policy[3] ? strtol(policy + 4, &end, 10) : 64;
    if (policy[3] && (end == policy + 4 || *end || h < 1 || h > 65536)) {
      cli_usage_error(cmd, "--policy gru:H wants H units in 1..65536, got '%s'", policy);
      return false;
    }
    bc->gru_hidden = (int)h;
    if (!hidden) bc->n_hidden = 1, bc->hidden[0] = 64;
    if (!activation) bc->activation = MIMIC_ACT_RELU;
    return true;
  }
  if (strncmp(policy, "transformer", 11) == 0 && (!policy[11] || policy[11] == ':')) {
    char *end = NULL;
    long k = policy[11] ? strtol(policy + 12, &end, 10) : 16;
    if (policy[11] && (end == policy + 12 || *end || k < 1 || k > 1024)) {
      cli_usage_error(cmd, "--policy transformer:K wants a context K in 1..1024, got '%s'", policy);
      return false;
    }
    bc->tf = (mimic_tf_config){.context = (int)k, .layers = 2, .heads = 2, .embd = 64};
    if (!hidden) bc->n_hidden = 1, bc->hidden[0] = 64;
    if (!activation) bc->activation = MIMIC_ACT_RELU;
    return true;
  }
  if (strcmp(policy, "cnn") != 0) {
    cli_usage_error(cmd, "--policy is mlp, cnn, gru[:H] or transformer[:K], got '%s'", policy);
    return false;
  }
  int c = 1, h, w;
  if (os->ndim == 3)
    c = os->shape[0], h = os->shape[1], w = os->shape[2];
  else if (os->ndim == 2)
    h = os->shape[0], w = os->shape[1];
  else {
    cli_usage_error(cmd,
                    "--policy cnn needs image observations (shape C x H x W); these are %d "
                    "values (LaneKeep-v0 has obs=camera, the MiniGrid envs obs=view and obs=rgb)",
                    os->dim);
    return false;
  }
  mimic_model_config mc;
  mimic_model_config_init(&mc, os->dim, 1, MIMIC_HEAD_CATEGORICAL);
  if (mimic_model_config_cnn(&mc, c, h, w)) {
    cli_usage_error(cmd, "%s", mimic_errmsg());
    return false;
  }
  bc->conv = mc.conv;
  if (!hidden) {
    bc->n_hidden = mc.n_hidden;
    memcpy(bc->hidden, mc.hidden, sizeof bc->hidden);
  }
  if (!activation) bc->activation = MIMIC_ACT_RELU;
  return true;
}

static int train_bc(int argc, char **argv) {
  const char *data = NULL, *out = NULL, *hidden = NULL, *activation = NULL, *head = "auto",
             *log = NULL, *plot = NULL, *checkpoint = NULL, *policy = "mlp";
  mimic_bc_config cfg = mimic_bc_defaults();
  long long epochs = 0, batches = 0, checkpoint_every = 0;
  bool json = false, quiet = false, no_normalize = false, resume = false;
  cli_opt opts[] = {
      {"data", CLI_STR, &data, "DIR", "demonstrations (a Minari dataset folder)", true},
      {"o", CLI_STR, &out, "FILE", "where to write the policy", true},
      {"epochs", CLI_LONG, &epochs, "N", "passes over the data (default 30)"},
      {"batches", CLI_LONG, &batches, "N", "train for N minibatches instead of epochs"},
      {"batch-size", CLI_INT, &cfg.batch_size, "B", "minibatch size (default 32)"},
      {"lr", CLI_DOUBLE, &cfg.lr, "LR", "Adam learning rate (default 1e-3)"},
      {"ent-weight", CLI_DOUBLE, &cfg.ent_weight, "W", "entropy bonus weight (default 1e-3)"},
      {"l2-weight", CLI_DOUBLE, &cfg.l2_weight, "W", "L2 weight on all parameters (default 0)"},
      {"max-grad-norm", CLI_DOUBLE, &cfg.max_grad_norm, "N",
       "clip gradients to this global norm (default off)"},
      {"policy", CLI_STR, &policy, "mlp|cnn|gru[:H]|transformer[:K]",
       "network: mlp (default), cnn for image observations (conv trunk + MLP head), gru "
       "(memory: a GRU of H units, default 64, trained on whole episodes; --batch-size counts "
       "episodes) or transformer (memory: the last K observations, default 16, trained on "
       "windows; --batch-size counts windows); gru and transformer train on one process only, "
       "not under mpirun"},
      {"hidden", CLI_STR, &hidden, "N,N",
       "hidden layer widths (default 32,32; cnn: 64 or 512; gru, transformer: 64)"},
      {"activation", CLI_STR, &activation, "tanh|relu",
       "hidden activation (default tanh; cnn, gru, transformer: relu)"},
      {"head", CLI_STR, &head, "gaussian|mse",
       "continuous actions: Gaussian likelihood (default) or MSE"},
      {"val-fraction", CLI_DOUBLE, &cfg.val_fraction, "F",
       "hold out this fraction of episodes for validation"},
      {"patience", CLI_INT, &cfg.patience, "N",
       "stop after N epochs without a better validation loss"},
      {"no-normalize", CLI_FLAG, &no_normalize, NULL, "do not standardise observations"},
      {"seed", CLI_U64, &cfg.seed, "S", "seed for initialisation and minibatches (default 0)"},
      {"log", CLI_STR, &log, "FILE", "learning curve as CSV (or JSON Lines for .jsonl)"},
      {"plot", CLI_STR, &plot, "FILE", "learning-curve chart (.png or .svg)"},
      {"checkpoint", CLI_STR, &checkpoint, "FILE",
       "checkpoint file (written at the end and every N batches)"},
      {"checkpoint-every", CLI_LONG, &checkpoint_every, "N", "batches between checkpoints"},
      {"resume", CLI_FLAG, &resume, NULL, "continue from --checkpoint if it exists"},
      {"json", CLI_FLAG, &json, NULL, "print a JSON summary"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse("train bc", "Behavioral cloning: fit a policy to expert demonstrations.",
                           "--data DIR -o FILE [options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  /* 0 means "the default" to the library; asked for on the command line, it
     would leave a model that was never trained */
  if (cli_seen(opts, "epochs") && epochs < 1)
    return cli_usage_error("train bc", "--epochs must be at least 1");
  if (cli_seen(opts, "batches") && batches < 1)
    return cli_usage_error("train bc", "--batches must be at least 1");
  cfg.epochs = epochs;
  cfg.batches = batches;
  cfg.checkpoint_every = checkpoint_every;
  cfg.normalize_obs = !no_normalize;
  cfg.log_path = log;
  cfg.plot_path = plot;
  cfg.checkpoint_path = checkpoint;
  cfg.resume = resume;
  cfg.progress = !json && !quiet;
  if (!cli_parse_hidden(hidden ? hidden : "32,32", cfg.hidden, &cfg.n_hidden,
                        MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error("train bc", "--hidden wants widths like 64,64, got '%s'", hidden);
  if (!cli_parse_activation(activation ? activation : "tanh", &cfg.activation))
    return cli_usage_error("train bc", "--activation is tanh or relu, got '%s'", activation);
  if (strcmp(head, "gaussian") == 0)
    cfg.head = MIMIC_HEAD_GAUSSIAN;
  else if (strcmp(head, "mse") == 0)
    cfg.head = MIMIC_HEAD_REGRESSION;
  else if (strcmp(head, "auto") != 0)
    return cli_usage_error("train bc", "--head is gaussian or mse, got '%s'", head);
  if (resume && !checkpoint) return cli_usage_error("train bc", "--resume needs --checkpoint");
  /* under mpirun, data-parallel: every rank trains on its slice of each batch */
  mimic_comm *comm = cli_comm_begin("train bc");
  if (!comm) return CLI_EXIT_FAIL;
  cfg.comm = comm;
  const bool writer = mimic_comm_writer(comm);
  if (!writer) cfg.progress = false;

  /* several ranks: each reads only its shard of the episodes */
  mimic_dataset ds;
  mimic_dataset_shard shard = {0};
  if (mimic_comm_parallel(comm)
          ? mimic_dataset_load_shard(data, comm->rank, comm->size, &ds, &shard)
          : mimic_dataset_load(data, &ds))
    return cli_comm_end(comm, cli_comm_fail("train bc", comm));
  if (!mimic_comm_parallel(comm))
    shard = (mimic_dataset_shard){.episodes = ds.n_episodes, .steps = ds.n_steps};
  else
    cfg.shard = &shard;
  if (!mimic_dataset_has_actions(&ds)) {
    mimic_dataset_free(&ds);
    mimic_fail(MIMIC_ERR_INVALID,
               "%s has no actions (its metadata says \"actions_removed\"): clone from "
               "observations with 'mimic train bco'",
               data);
    return cli_comm_end(comm, cli_comm_fail("train bc", comm));
  }
  if (!policy_arch("train bc", policy, hidden, activation, &ds.obs_space.space, &cfg)) {
    mimic_dataset_free(&ds);
    return cli_comm_end(comm, CLI_EXIT_USAGE);
  }
  char title[160];
  snprintf(title, sizeof title, "%s, %zu episodes", ds.meta.env_id ? ds.meta.env_id : data,
           shard.episodes);
  cfg.plot_title = title;
  mimic_model model = {0};
  mimic_bc_report rep = {0};
  int rc = CLI_EXIT_FAIL;
  mimic_transitions t = mimic_dataset_transitions(&ds);
  /* what normalisation cannot take is named with the dataset it is in */
  mimic_status st = cfg.normalize_obs && !cfg.shard ? mimic_transitions_check_scale(&t) : MIMIC_OK;
  if (st) mimic_errctx("%s", data);
  if (st == MIMIC_OK) {
    st = mimic_bc_model_create(&cfg, &t, &model);
    if (st && cfg.shard) mimic_errctx("%s", data);
  }
  if (st == MIMIC_OK) st = mimic_bc_fit(&cfg, &t, &model, &rep);
  if (st == MIMIC_OK) {
    json_t *e = json_object();
    json_object_set_new(e, "algorithm", json_string("bc"));
    json_object_set_new(e, "trained_on", cli_json_str(data));
    json_object_set_new(e, "episodes", json_integer((json_int_t)shard.episodes));
    json_object_set_new(e, "transitions", json_integer((json_int_t)shard.steps));
    json_object_set_new(e, "epochs", json_integer(rep.epochs));
    json_object_set_new(e, "batches", json_integer(rep.batches));
    json_object_set_new(e, "seed", cli_json_u64(cfg.seed));
    char *extra = cli_json_text(e);
    mimic_space os = ds.obs_space.space, as = ds.act_space.space;
    st = extra ? mimic_policy_describe_model(&model, ds.meta.env_id, &os, &as, extra)
               : mimic_fail_nomem("the model's description");
    free(extra);
  }
  if (st == MIMIC_OK && writer) st = mimic_model_save(&model, out);
  if (st == MIMIC_OK && !writer) {
    rc = CLI_EXIT_OK;
  } else if (st == MIMIC_OK) {
    if (json) {
      json_t *o = json_object();
      json_object_set_new(o, "policy", cli_json_str(out));
      if (mimic_comm_parallel(comm)) json_object_set_new(o, "ranks", json_integer(comm->size));
      json_object_set_new(o, "episodes", json_integer((json_int_t)shard.episodes));
      json_object_set_new(o, "transitions", json_integer((json_int_t)shard.steps));
      json_object_set_new(o, "epochs", json_integer(rep.epochs));
      json_object_set_new(o, "batches", json_integer(rep.batches));
      json_object_set_new(o, "samples", json_integer(rep.samples));
      json_object_set_new(o, "final_train_loss", cli_json_number(rep.final_train_loss));
      json_object_set_new(o, "best_val_loss", cli_json_number(rep.best_val_loss));
      json_object_set_new(o, "stopped_early", json_boolean(rep.stopped_early));
      json_object_set_new(o, "seconds", cli_json_number(rep.seconds));
      cli_print_json_line(o);
    } else {
      char held[96] = "";
      if (rep.val_transitions)
        snprintf(held, sizeof held, ", %zu more held out for validation", rep.val_transitions);
      printf("trained %s on %zu transitions (of %zu in %zu episodes%s): %ld epoch%s, %ld "
             "batches, final loss %.4f%s; wrote %s\n",
             mimic_head_name(model.cfg.head), rep.train_transitions, (size_t)shard.steps,
             shard.episodes, held, rep.epochs, rep.epochs == 1 ? "" : "s", rep.batches,
             rep.final_train_loss, rep.stopped_early ? " (stopped early)" : "", out);
    }
    rc = CLI_EXIT_OK;
  } else {
    rc = cli_comm_fail("train bc", comm);
  }
  mimic_bc_report_free(&rep);
  mimic_model_free(&model);
  mimic_dataset_free(&ds);
  return cli_comm_end(comm, rc);
}

static void print_round(const mimic_dagger_round *r, void *user) {
  bool silent = *(bool *)user; /* --json prints the rounds at the end; --quiet not at all */
  if (silent) return;
  if (r->round == 0 || r->seconds < 0)
    printf("%5s %6s %9s %9s %9s %9s %9s %8s\n", "round", "beta", "visited", "labeled", "queries",
           "data", "return", "score");
  printf("%5d %6.3f %9zu %9zu %9ld %9zu %9.2f %8.3f\n", r->round + 1, r->beta, r->candidates,
         r->queried, r->expert_queries, r->dataset_size, r->n_metrics ? r->metrics[0] : NAN,
         r->n_metrics > 1 ? r->metrics[1] : NAN);
  fflush(stdout);
}

static mimic_status plot_rounds(const char *path, const char *env_id,
                                const mimic_dagger_round *rows, int n, double expert_return) {
  double x[1024], y[1024];
  if (n > 1024) n = 1024;
  for (int i = 0; i < n; i++) {
    x[i] = (double)rows[i].expert_queries;
    y[i] = rows[i].n_metrics ? rows[i].metrics[0] : NAN;
  }
  char title[128];
  snprintf(title, sizeof title, "DAgger on %s", env_id);
  mimic_plot *p = mimic_plot_new(title, "expert labels", "mean return");
  if (!p) return MIMIC_ERR_NOMEM;
  mimic_status st = mimic_plot_line(p, "learner", x, y, n, true);
  if (st == MIMIC_OK && isfinite(expert_return)) st = mimic_plot_hline(p, "expert", expert_return);
  if (st == MIMIC_OK) st = mimic_plot_save(p, path);
  mimic_plot_free(p);
  return st;
}

static int train_dagger(int argc, char **argv) {
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  mimic_bc_config bc = mimic_bc_defaults();
  const char *out = NULL, *beta = "linear", *query = "all", *hidden = NULL, *activation = NULL,
             *plot = NULL, *work = NULL, *policy = "mlp";
  long long epochs = 4, min_steps = 500, cap = 0;
  bool json = false, quiet = false, no_normalize = false;
  cli_opt opts[] = {
      {"env", CLI_STR, &cfg.env_id, "ID", "environment id", true},
      {"env-opts", CLI_STR, &cfg.env_opts, "K=V,..", "environment options, e.g. horizon=400"},
      {"expert", CLI_STR, &cfg.expert, "SPEC",
       "builtin (default), cmd:PROGRAM, human, web[:PORT] (a labeling page), or a policy file"},
      {"bind", CLI_STR, &cfg.bind, "ADDR",
       "web: serve the page on ADDR, not only 127.0.0.1 (warned; needs the printed token)"},
      {"web-agreement", CLI_INT, &cfg.web_agreement, "K",
       "web: votes each question needs from distinct people; the majority is learned (default 1)"},
      {"expert-timeout", CLI_DOUBLE, &cfg.expert_timeout, "SEC",
       "seconds an expert program may take (30)"},
      {"rounds", CLI_INT, &cfg.rounds, "R", "rounds (default 15; 5 for a human expert)"},
      {"beta", CLI_STR, &beta, "SCHEDULE",
       "linear[:R] (default, R=15), exp:p, indicator, constant:c"},
      {"query", CLI_STR, &query, "RULE",
       "all (default), uncertain:T, least-confident:K, margin:K, entropy:K, random:K"},
      {"defer", CLI_FLAG, &cfg.defer, NULL,
       "with uncertain:T, the expert also acts where it is asked"},
      {"min-steps", CLI_LONG, &min_steps, "N",
       "rollout steps per round, at least (default 500; 50 for a human expert)"},
      {"min-episodes", CLI_INT, &cfg.min_episodes, "N",
       "finished episodes per round, at least (default 3; 1 for a human expert)"},
      {"envs", CLI_INT, &cfg.n_envs, "N", "environment copies rolled out side by side (default 1)"},
      {"epochs", CLI_LONG, &epochs, "N", "BC epochs per round on all data (default 4)"},
      {"batch-size", CLI_INT, &bc.batch_size, "B", "BC minibatch size (default 32)"},
      {"lr", CLI_DOUBLE, &bc.lr, "LR", "Adam learning rate (default 1e-3)"},
      {"policy", CLI_STR, &policy, "mlp|cnn|gru[:H]|transformer[:K]",
       "network: mlp (default), cnn for image observations, gru (memory: a GRU of H units, "
       "default 64, refitted on the rolled-out episodes; --batch-size counts episodes) or "
       "transformer (the last K observations, default 16); memory needs --query all"},
      {"hidden", CLI_STR, &hidden, "N,N",
       "hidden layer widths (default 32,32; cnn: 64 or 512; gru, transformer: 64)"},
      {"activation", CLI_STR, &activation, "tanh|relu",
       "hidden activation (default tanh; cnn, gru, transformer: relu)"},
      {"no-normalize", CLI_FLAG, &no_normalize, NULL, "do not standardise observations"},
      {"cap", CLI_LONG, &cap, "N", "keep at most N labeled states in memory (reservoir sampling)"},
      {"eval-episodes", CLI_INT, &cfg.eval_episodes, "N",
       "evaluation episodes after each round (default 10)"},
      {"eval-sample", CLI_FLAG, &cfg.eval_sample, NULL,
       "evaluate with sampled actions instead of argmax"},
      {"seed", CLI_U64, &cfg.seed, "S", "seed (default 0)"},
      {"work", CLI_STR, &work, "DIR",
       "durable round-by-round state, to resume a killed run (default OUT.dagger)"},
      {"o", CLI_STR, &out, "FILE", "where to write the best learner", true},
      {"plot", CLI_STR, &plot, "FILE", "return against expert labels (.png or .svg)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object with every round"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse("train dagger",
                           "DAgger: run the learner, ask the expert about the states it visits, "
                           "aggregate, retrain.",
                           "--env ID -o FILE [options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  if (!cli_seen(opts, "web-agreement")) cfg.web_agreement = 1;
  int bad = cli_check_agreement("train dagger", cfg.web_agreement, "--expert", cfg.expert);
  if (bad) return bad;
  bool human = strcmp(cfg.expert, "human") == 0 || strncmp(cfg.expert, "web", 3) == 0;
  if (human) { /* a person's budget, not a program's: 5 rounds of some 50 steps */
    if (!cli_seen(opts, "rounds")) cfg.rounds = 5;
    if (!cli_seen(opts, "beta")) beta = "linear:5";
    if (!cli_seen(opts, "min-steps")) min_steps = 50;
    if (!cli_seen(opts, "min-episodes")) cfg.min_episodes = 1;
  }
  if (mimic_beta_parse(beta, &cfg.beta) || mimic_query_parse(query, &cfg.query))
    return cli_usage_error("train dagger", "%s", mimic_errmsg());
  if (!cli_parse_hidden(hidden ? hidden : "32,32", bc.hidden, &bc.n_hidden,
                        MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error("train dagger", "--hidden wants widths like 64,64, got '%s'", hidden);
  if (!cli_parse_activation(activation ? activation : "tanh", &bc.activation))
    return cli_usage_error("train dagger", "--activation is tanh or relu, got '%s'", activation);
  if (strcmp(policy, "mlp") != 0) {
    mimic_env *probe;
    if (mimic_env_make(cfg.env_id, cfg.env_opts, &probe)) return cli_fail("train dagger");
    bool ok =
        policy_arch("train dagger", policy, hidden, activation, mimic_env_obs_space(probe), &bc);
    mimic_env_free(probe);
    if (!ok) return CLI_EXIT_USAGE;
  }
  if (cfg.defer && cfg.query.kind != MIMIC_QUERY_UNCERTAIN)
    return cli_usage_error("train dagger", "--defer goes with --query uncertain:T");
  if (cli_seen(opts, "epochs") && epochs < 1)
    return cli_usage_error("train dagger", "--epochs must be at least 1");
  cfg.epochs = epochs;
  cfg.min_steps = min_steps;
  cfg.cap = cap;
  cfg.progress = !json && !quiet && !human; /* a bar would garble the questions */
  if (human && !quiet && cfg.expert[0] == 'h')
    fprintf(stderr,
            "you are the expert: %d rounds, each asking about the states of at least %lld steps "
            "and %d episode%s (--rounds, --min-steps and --min-episodes change it); q quits and "
            "the same command resumes\n",
            cfg.rounds, min_steps, cfg.min_episodes, cfg.min_episodes == 1 ? "" : "s");
  bc.normalize_obs = !no_normalize;
  bc.seed = cfg.seed;
  char *work_default = NULL;
  if (!work) work = work_default = mimic_asprintf("%s.dagger", out);
  cfg.work_dir = work;
  bool silent = json || quiet;
  cfg.on_round = print_round;
  cfg.user = &silent;
  /* under mpirun, distributed rollouts: every rank rolls out, rank 0 also learns */
  mimic_comm *comm = cli_comm_begin("train dagger");
  if (!comm) {
    free(work_default);
    return CLI_EXIT_FAIL;
  }
  cfg.comm = comm;
  mimic_dagger_round rows[1024];
  int n_rows = 0;
  mimic_model best;
  mimic_status st = mimic_dagger_env_run(&cfg, &bc, &best, rows, 1024, &n_rows);
  if (!mimic_comm_writer(comm)) { /* ranks other than 0: rank 0 reports */
    free(work_default);
    return cli_comm_end(comm, st ? cli_comm_fail("train dagger", comm) : CLI_EXIT_OK);
  }
  if (st == MIMIC_OK) {
    mimic_env *env;
    st = mimic_env_make(cfg.env_id, cfg.env_opts, &env);
    if (st == MIMIC_OK) {
      json_t *e = json_object();
      json_object_set_new(e, "algorithm", json_string("dagger"));
      json_object_set_new(e, "rounds", json_integer(cfg.rounds));
      json_object_set_new(e, "seed", cli_json_u64(cfg.seed));
      char *extra = cli_json_text(e);
      st = extra ? mimic_policy_describe_model(&best, cfg.env_id, mimic_env_obs_space(env),
                                               mimic_env_action_space(env), extra)
                 : mimic_fail_nomem("the model's description");
      free(extra);
      mimic_env_free(env);
    }
    if (st == MIMIC_OK) st = mimic_model_save(&best, out);
    mimic_model_free(&best);
  }
  if (st == MIMIC_OK && plot && n_rows > 0) {
    /* the expert's line: the built-in expert on the learner's evaluation
     * episodes (none for an environment without one) */
    double expert_return = NAN, random_return;
    mimic_eval_config ec = mimic_eval_defaults();
    ec.episodes = cfg.eval_episodes > 0 ? cfg.eval_episodes : 10;
    ec.seed = cfg.eval_seed;
    ec.progress = false;
    if (mimic_eval_references(cfg.env_id, cfg.env_opts, &ec, &expert_return, &random_return))
      expert_return = NAN;
    st = plot_rounds(plot, cfg.env_id, rows, n_rows, expert_return);
  }
  if (st == MIMIC_ERR_INTERRUPTED) { /* a person quit: every answer is saved */
    fprintf(stderr,
            "mimic train dagger: stopped (%s); the answers are saved in %s: run the same command "
            "to go on\n",
            mimic_errmsg(), work);
    free(work_default);
    return cli_comm_end(comm, CLI_EXIT_OK);
  }
  free(work_default);
  if (st) return cli_comm_end(comm, cli_comm_fail("train dagger", comm));
  if (json) {
    json_t *o = json_object(), *rounds = json_array();
    json_object_set_new(o, "policy", cli_json_str(out));
    json_object_set_new(o, "env", cli_json_str(cfg.env_id));
    for (int i = 0; i < n_rows; i++) {
      const mimic_dagger_round *r = &rows[i];
      json_t *j = json_object();
      json_object_set_new(j, "round", json_integer(r->round + 1));
      json_object_set_new(j, "beta", cli_json_number(r->beta));
      json_object_set_new(j, "visited", json_integer((json_int_t)r->candidates));
      json_object_set_new(j, "labeled", json_integer((json_int_t)r->queried));
      json_object_set_new(j, "expert_queries", json_integer(r->expert_queries));
      json_object_set_new(j, "data", json_integer((json_int_t)r->dataset_size));
      json_object_set_new(j, "return", cli_json_number(r->n_metrics ? r->metrics[0] : NAN));
      json_object_set_new(j, "normalized_score",
                          cli_json_number(r->n_metrics > 1 ? r->metrics[1] : NAN));
      json_object_set_new(j, "success_rate",
                          cli_json_number(r->n_metrics > 2 ? r->metrics[2] : NAN));
      json_object_set_new(j, "seconds", cli_json_number(r->seconds));
      json_array_append_new(rounds, j);
    }
    json_object_set_new(o, "rounds", rounds);
    cli_print_json_line(o);
  } else {
    printf("wrote the best learner to %s\n", out);
  }
  return cli_comm_end(comm, CLI_EXIT_OK);
}

static const cli_command train_commands[] = {
    {"bc", train_bc, "behavioral cloning on demonstrations"},
    {"dagger", train_dagger, "DAgger with an expert in the loop"},
    {"ppo", cli_train_ppo, "PPO on an environment's reward or a learned one"},
    {"gail", cli_train_gail, "GAIL: imitate demonstrations through a discriminator"},
    {"airl", cli_train_airl, "AIRL: learn a reusable reward from demonstrations"},
    {"bco", cli_train_bco, "behavioral cloning from observations alone (no actions)"},
    {"sqil", cli_train_sqil, "SQIL: soft Q-learning that rewards the demonstrations' moves"},
    {"density", cli_train_density, "PPO on the log density of the demonstrations"},
    {"preferences", cli_train_preferences, "learn a reward from preferences, PPO on it"},
    {"sac", cli_train_sac, "SAC (automatic temperature) on an environment"},
    {"td3", cli_train_td3, "TD3 on an environment"},
    {"td3bc", cli_train_td3bc, "TD3+BC: offline RL from a dataset with rewards"},
    {"iql", cli_train_iql, "IQL: offline RL from a dataset with rewards"},
    {"cql", cli_train_cql, "CQL (continuous or discrete): offline RL from a dataset with rewards"},
    {"dqn", cli_train_dqn, "DQN (SB3's) on an environment with Discrete actions"},
    {"discrete-bc", cli_train_discrete_bc, "BC with d3rlpy's DiscreteBC settings"},
    {"dt", cli_train_dt, "Decision Transformer: return-conditioned sequence model on a dataset"},
    {"maxent-irl", cli_train_maxent_irl, "maximum causal entropy IRL on a gridworld"},
    {NULL, NULL, NULL},
};

int cmd_train(int argc, char **argv) {
  return cli_dispatch("train", train_commands, argc - 1, argv + 1);
}
