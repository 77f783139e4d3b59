/* mimic train sac | td3 | td3bc | iql: off-policy actor-critic learning,
 * online from an environment (SAC, TD3) or offline from a dataset (TD3+BC,
 * IQL). Thin: flags become a mimic_offpolicy_config over the algorithm's
 * defaults, the library learns; this file shows progress, evaluates every
 * --eval-every steps, writes the CSV log and the policy file, and prints
 * the final evaluation (100 episodes from seed 1000, normalised where the
 * environment has an expert). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/comm.h"
#include "core/util.h"
#include "cli/commands.h"
#include "cli/rl_common.h"
#include "cli/show.h"
#include "mimic/data.h"
#include "mimic/env.h"
#include "mimic/evaluate.h"
#include "mimic/offpolicy.h"
#include "mimic/plot.h"
#include "mimic/policy.h"

typedef struct op_monitor {
  long eval_every;
  int eval_episodes;
  bool quiet;
  bool writer; /* rank 0 (or one process): evaluates and writes */
  mimic_progress bar;
  mimic_offpolicy_log *rows;
  int n_rows;
  size_t cap;
  bool failed;
} op_monitor;

static bool on_log(mimic_offpolicy *t, const mimic_offpolicy_log *row, void *user) {
  op_monitor *m = user;
  mimic_offpolicy_log r = *row;
  if (m->writer && m->eval_every > 0 && r.step % m->eval_every == 0 &&
      mimic_offpolicy_evaluate(t, m->eval_episodes, 1000, &r.eval_return, NULL) != MIMIC_OK) {
    m->failed = true;
    return false;
  }
  if (mimic_grow(&m->rows, &m->cap, (size_t)m->n_rows + 1, sizeof *m->rows, 64,
                 "the training log")) {
    m->failed = true;
    return false;
  }
  m->rows[m->n_rows++] = r;
  mimic_progress_update(&m->bar, (uint64_t)r.step);
  if (isfinite(r.eval_return))
    mimic_progress_note(&m->bar, "eval %.1f", r.eval_return);
  else if (isfinite(r.ep_return_mean))
    mimic_progress_note(&m->bar, "return %.1f", r.ep_return_mean);
  return true;
}

/* The rows as CSV, atomically. */
static mimic_status write_log(const char *path, const op_monitor *m) {
  size_t cap = 256 + (size_t)m->n_rows * 256, len = 0;
  char *buf = malloc(cap);
  if (!buf) return mimic_fail_nomem("the training log");
  len += (size_t)snprintf(buf, cap,
                          "step,updates,episodes,ep_return_mean,critic_loss,actor_loss,value_loss,"
                          "ent_coef,q_mean,eval_return,seconds\n");
  for (int i = 0; i < m->n_rows; i++) {
    const mimic_offpolicy_log *r = &m->rows[i];
    len += (size_t)snprintf(
        buf + len, cap - len, "%ld,%ld,%ld,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.3f\n", r->step,
        r->updates, r->episodes, r->ep_return_mean, r->critic_loss, r->actor_loss, r->value_loss,
        r->ent_coef, r->q_mean, r->eval_return, r->seconds);
  }
  mimic_status st = mimic_write_file_atomic(path, buf, len);
  free(buf);
  return st;
}

/* The learning curve: training return (online) and evaluation return
 * against steps, with the expert's and random play's returns as lines. */
static mimic_status write_plot(const char *path, const char *title, const op_monitor *m,
                               bool offline, double expert, double random) {
  mimic_plot *p = mimic_plot_new(title, offline ? "gradient steps" : "environment steps", "return");
  if (!p) return mimic_errcode();
  double *x = malloc((size_t)(m->n_rows + 1) * 3 * sizeof *x);
  mimic_status st = x ? MIMIC_OK : mimic_fail_nomem("a chart");
  if (!st) {
    double *tr = x + m->n_rows + 1, *ev = tr + m->n_rows + 1;
    for (int i = 0; i < m->n_rows; i++) {
      x[i] = (double)m->rows[i].step;
      tr[i] = m->rows[i].ep_return_mean;
      ev[i] = m->rows[i].eval_return;
    }
    if (!offline) st = mimic_plot_line(p, "training", x, tr, m->n_rows, false);
    if (!st) st = mimic_plot_line(p, "evaluation", x, ev, m->n_rows, true);
    if (!st && isfinite(expert)) st = mimic_plot_hline(p, "expert", expert);
    if (!st && isfinite(random)) st = mimic_plot_hline(p, "random", random);
    if (!st) st = mimic_plot_save(p, path);
  }
  free(x);
  mimic_plot_free(p);
  return st;
}

static int train_offpolicy(mimic_offpolicy_algo algo, int argc, char **argv) {
  char cmd[32];
  snprintf(cmd, sizeof cmd, "train %s",
           algo == MIMIC_OFFPOLICY_DISCRETE_CQL ? "cql" : mimic_offpolicy_algo_name(algo));
  const bool offline = mimic_offpolicy_is_offline(algo);
  mimic_offpolicy_config c = mimic_offpolicy_defaults(algo);
  const char *env = NULL, *env_opts = NULL, *out = NULL, *data = NULL, *hidden = NULL, *log = NULL,
             *plot = NULL;
  long long steps = 0, buffer = 0, starts = 0, log_every = 1000, ckpt_every = 0;
  const char *ckpt = NULL;
  bool resume = false;
  double lr = 0;
  int batch = 0, episodes = 100;
  bool json = false;
  op_monitor m = {.eval_episodes = 10};
  long long eval_every = 0;
  cli_opt o[40];
  int n = 0;
  o[n++] =
      (cli_opt){"env",
                CLI_STR,
                &env,
                "ID",
                offline ? "environment to evaluate in (default: the dataset's)" : "environment id",
                !offline};
  o[n++] = (cli_opt){"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"};
  if (offline)
    o[n++] = (cli_opt){"data", CLI_STR, &data, "DIR", "the dataset (a Minari folder)", true};
  o[n++] = (cli_opt){"o", CLI_STR, &out, "FILE", "where to write the policy", true};
  o[n++] =
      (cli_opt){"steps", CLI_LONG, &steps, "N",
                offline ? "gradient steps (default 100000)" : "environment steps (default 100000)"};
  o[n++] = (cli_opt){"batch-size", CLI_INT, &batch, "B", "minibatch size (256)"};
  o[n++] = (cli_opt){"lr", CLI_DOUBLE, &lr, "LR", "actor and critic learning rate"};
  o[n++] = (cli_opt){"gamma", CLI_DOUBLE, &c.gamma, "G", "discount (0.99)"};
  o[n++] = (cli_opt){"tau", CLI_DOUBLE, &c.tau, "T", "target averaging (0.005)"};
  o[n++] = (cli_opt){"hidden", CLI_STR, &hidden, "N,N", "hidden widths of every network"};
  o[n++] = (cli_opt){"seed", CLI_U64, &c.seed, "S", "random seed (0)"};
  o[n++] = (cli_opt){"checkpoint", CLI_STR, &ckpt, "FILE",
                     "checkpoint file (written at the end and every N steps)"};
  o[n++] = (cli_opt){"checkpoint-every", CLI_LONG, &ckpt_every, "N", "steps between checkpoints"};
  o[n++] = (cli_opt){"resume", CLI_FLAG, &resume, NULL, "continue from --checkpoint if it exists"};
  if (!offline) {
    o[n++] = (cli_opt){"buffer-size", CLI_LONG, &buffer, "N", "replay capacity (1000000)"};
    o[n++] = (cli_opt){"learning-starts", CLI_LONG, &starts, "N", "random steps first (100)"};
  }
  if (algo == MIMIC_OFFPOLICY_TD3)
    o[n++] = (cli_opt){"action-noise", CLI_DOUBLE, &c.action_noise, "S", "exploration std (0.1)"};
  const char *ent_coef = NULL;
  if (algo == MIMIC_OFFPOLICY_SAC || algo == MIMIC_OFFPOLICY_TD3) {
    o[n++] = (cli_opt){"train-freq", CLI_INT, &c.train_freq, "N", "train every N steps (1)"};
    o[n++] = (cli_opt){"gradient-steps", CLI_INT, &c.gradient_steps, "N",
                       "gradient steps each time (1)"};
  }
  if (algo == MIMIC_OFFPOLICY_SAC) {
    o[n++] = (cli_opt){"ent-coef", CLI_STR, &ent_coef, "X",
                       "temperature: auto, auto_X (learned from X) or a fixed X (auto)"};
    o[n++] = (cli_opt){"sde", CLI_FLAG, &c.use_sde, NULL,
                       "gSDE: state-dependent exploration noise (SB3's use_sde)"};
    o[n++] = (cli_opt){"sde-sample-freq", CLI_INT, &c.sde_sample_freq, "K",
                       "gSDE: a new noise matrix every K steps (-1: each rollout's start)"};
    o[n++] = (cli_opt){"log-std-init", CLI_DOUBLE, &c.log_std_init, "X",
                       "gSDE: the initial log std of the noise matrix (-3)"};
  }
  if (algo == MIMIC_OFFPOLICY_TD3BC)
    o[n++] = (cli_opt){"alpha", CLI_DOUBLE, &c.alpha, "A", "Q weight against BC (2.5)"};
  if (algo == MIMIC_OFFPOLICY_IQL) {
    o[n++] = (cli_opt){"expectile", CLI_DOUBLE, &c.expectile, "TAU", "value expectile (0.7)"};
    o[n++] = (cli_opt){"beta", CLI_DOUBLE, &c.beta, "B", "advantage inverse temperature (3)"};
  }
  long long target_every = 0;
  if (mimic_offpolicy_is_discrete(algo) && algo != MIMIC_OFFPOLICY_DISCRETE_BC)
    o[n++] = (cli_opt){"target-update-interval", CLI_LONG, &target_every, "N",
                       algo == MIMIC_OFFPOLICY_DQN ? "steps between target copies (10000)"
                                                   : "gradient steps between target copies (8000)"};
  if (algo == MIMIC_OFFPOLICY_DQN) {
    o[n++] = (cli_opt){"train-freq", CLI_INT, &c.train_freq, "N", "train every N steps (4)"};
    o[n++] = (cli_opt){"gradient-steps", CLI_INT, &c.gradient_steps, "N",
                       "gradient steps each time (1)"};
    o[n++] = (cli_opt){"exploration-fraction", CLI_DOUBLE, &c.exploration_fraction, "F",
                       "epsilon decays over this fraction of the run (0.1)"};
    o[n++] = (cli_opt){"exploration-final-eps", CLI_DOUBLE, &c.exploration_final_eps, "E",
                       "final epsilon (0.05)"};
  }
  if (algo == MIMIC_OFFPOLICY_DISCRETE_CQL)
    o[n++] = (cli_opt){"alpha", CLI_DOUBLE, &c.cql_alpha, "A", "weight of CQL(H) (1)"};
  if (algo == MIMIC_OFFPOLICY_DISCRETE_BC)
    o[n++] = (cli_opt){"beta", CLI_DOUBLE, &c.logit_penalty, "B", "weight of mean logits^2 (0.5)"};
  if (algo == MIMIC_OFFPOLICY_CQL) {
    o[n++] = (cli_opt){"conservative-weight", CLI_DOUBLE, &c.conservative_weight, "W",
                       "weight of the logsumexp penalty (5)"};
    o[n++] = (cli_opt){"alpha-threshold", CLI_DOUBLE, &c.alpha_threshold, "T",
                       "the Lagrangian's target gap (10; < 0: alpha fixed)"};
    o[n++] = (cli_opt){"n-action-samples", CLI_INT, &c.n_action_samples, "N",
                       "sampled actions of each kind per state (10)"};
  }
  o[n++] = (cli_opt){"eval-every", CLI_LONG, &eval_every, "N", "evaluate every N steps (0: never)"};
  o[n++] =
      (cli_opt){"eval-episodes", CLI_INT, &m.eval_episodes, "N", "episodes per evaluation (10)"};
  o[n++] = (cli_opt){"episodes", CLI_INT, &episodes, "N", "final evaluation episodes (100)"};
  o[n++] = (cli_opt){"log", CLI_STR, &log, "FILE", "CSV row every --log-every steps"};
  o[n++] = (cli_opt){"plot", CLI_STR, &plot, "FILE", "learning curve chart (.png or .svg)"};
  o[n++] = (cli_opt){"log-every", CLI_LONG, &log_every, "N", "steps between log rows (1000)"};
  o[n++] = (cli_opt){"json", CLI_FLAG, &json, NULL, "print one JSON object"};
  o[n++] = (cli_opt){"quiet", CLI_FLAG, &m.quiet, NULL, "no progress bar"};
  memset(&o[n], 0, sizeof o[n]);
  const char *summary =
      algo == MIMIC_OFFPOLICY_SAC     ? "Soft actor-critic (SB3's SAC) on an environment."
      : algo == MIMIC_OFFPOLICY_TD3   ? "TD3 (SB3's) on an environment."
      : algo == MIMIC_OFFPOLICY_TD3BC ? "TD3+BC (d3rlpy's defaults): offline RL from a dataset."
      : algo == MIMIC_OFFPOLICY_IQL
          ? "Implicit Q-learning (d3rlpy's defaults): offline RL from a dataset."
      : algo == MIMIC_OFFPOLICY_DQN
          ? "DQN (SB3's defaults) on an environment with Discrete actions."
      : algo == MIMIC_OFFPOLICY_DISCRETE_BC
          ? "Behavioural cloning with d3rlpy's DiscreteBC settings (Discrete actions)."
          : "Conservative Q-learning (d3rlpy's defaults): offline RL from a dataset (Discrete "
            "actions: DiscreteCQL, chosen from the dataset).";
  cli_parsed a = cli_parse(cmd, summary,
                           offline ? "--data DIR -o FILE [options]" : "--env ID -o FILE [options]",
                           o, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, m.quiet);
  mimic_nn_set_threads(1); /* small matrices: one thread is fastest and reproducible */
  if (steps) c.total_steps = (long)steps;
  if (buffer) c.buffer_size = (long)buffer;
  if (cli_seen(o, "learning-starts")) c.learning_starts = (long)starts;
  if (batch) c.batch_size = batch;
  if (lr) c.actor_lr = c.critic_lr = lr;
  if (target_every) c.target_update_interval = (long)target_every;
  if (ent_coef) { /* SB3's ent_coef: "auto", "auto_0.1" or a number */
    char *end = NULL;
    const bool autoc = strncmp(ent_coef, "auto", 4) == 0;
    const char *num = autoc ? (ent_coef[4] == '_' ? ent_coef + 5 : NULL) : ent_coef;
    if (autoc && ent_coef[4] && ent_coef[4] != '_')
      return cli_usage_error(cmd, "--ent-coef is auto, auto_X or a number, got '%s'", ent_coef);
    c.ent_auto = autoc;
    if (num) c.ent_coef = strtod(num, &end);
    if (num && (end == num || *end || !(c.ent_coef > 0) || !isfinite(c.ent_coef)))
      return cli_usage_error(cmd, "--ent-coef wants a number > 0, got '%s'", ent_coef);
  }
  if (!c.use_sde && (cli_seen(o, "sde-sample-freq") || cli_seen(o, "log-std-init")))
    return cli_usage_error(cmd, "--sde-sample-freq and --log-std-init are gSDE's: add --sde");
  if (hidden && !cli_parse_hidden(hidden, c.hidden, &c.n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--hidden wants widths like 256,256, got '%s'", hidden);
  if (ckpt_every < 0 || (resume && !ckpt))
    return cli_usage_error(cmd, "--checkpoint-every must be >= 0 and --resume needs --checkpoint");
  if (eval_every < 0 || m.eval_episodes < 1 || episodes < 1 || log_every < 1)
    return cli_usage_error(cmd, "--eval-every >= 0, --eval-episodes, --episodes, --log-every >= 1");
  m.eval_every = (long)eval_every;
  /* under mpirun (td3bc, iql): data-parallel, every rank on its slice of each batch */
  mimic_comm *comm = cli_comm_begin(cmd);
  if (!comm) return CLI_EXIT_FAIL;
  c.comm = comm;
  m.writer = mimic_comm_writer(comm);
  mimic_dataset ds = {0};
  mimic_transitions tr;
  bool have_ds = false;
  if (offline) {
    /* several ranks (td3bc, iql): each reads only its shard of the episodes */
    mimic_dataset_shard shard = {0};
    if (mimic_comm_parallel(comm) &&
        (algo == MIMIC_OFFPOLICY_TD3BC || algo == MIMIC_OFFPOLICY_IQL)) {
      if (mimic_dataset_load_shard(data, comm->rank, comm->size, &ds, &shard))
        return cli_comm_end(comm, cli_comm_fail(cmd, comm));
      c.shard_first = shard.first_step;
      c.shard_total = shard.steps;
    } else if (mimic_dataset_load(data, &ds)) {
      return cli_comm_end(comm, cli_comm_fail(cmd, comm));
    }
    have_ds = true;
    if (!env) env = ds.meta.env_id;
    if (!env) {
      mimic_dataset_free(&ds);
      return cli_comm_end(comm, cli_usage_error(cmd, "%s names no environment: give --env", data));
    }
    tr = mimic_dataset_transitions(&ds);
  }
  c.env_id = env;
  c.env_opts = env_opts;
  if (mimic_offpolicy_check(&c)) {
    if (have_ds) mimic_dataset_free(&ds);
    return cli_comm_end(comm, cli_usage_error(cmd, "%s", mimic_errmsg()));
  }
  mimic_offpolicy *t = NULL;
  mimic_status st = mimic_offpolicy_create(&c, offline ? &tr : NULL, &t);
  if (st && offline) mimic_errctx("%s", data);
  if (!st) {
    if (resume && ckpt && mimic_path_exists(ckpt)) {
      st = mimic_offpolicy_load_checkpoint(t, ckpt);
      if (!st) MIMIC_INFO("%s: resuming from %s at step %ld", cmd, ckpt, mimic_offpolicy_steps(t));
    }
    long every = m.eval_every > 0 && m.eval_every < log_every ? m.eval_every : (long)log_every;
    mimic_progress_begin(&m.bar, cmd, "steps", (uint64_t)c.total_steps);
    mimic_progress_update(&m.bar, (uint64_t)mimic_offpolicy_steps(t));
    while (!st && !m.failed && mimic_offpolicy_steps(t) < c.total_steps) {
      long left = c.total_steps - mimic_offpolicy_steps(t);
      long chunk = ckpt && ckpt_every > 0 && ckpt_every < left ? (long)ckpt_every : left;
      st = mimic_offpolicy_learn(t, chunk, every, on_log, &m);
      if (!st && ckpt) st = mimic_offpolicy_save_checkpoint(t, ckpt);
      if (!st && ckpt) rl_kill_point(mimic_offpolicy_steps(t));
    }
    mimic_progress_end(&m.bar);
    if (!st && m.failed) st = mimic_errcode();
  }
  if (!st) st = mimic_offpolicy_check_same(t);
  if (!m.writer) { /* rank 0 writes and evaluates */
    int rc = st ? cli_comm_fail(cmd, comm) : CLI_EXIT_OK;
    mimic_offpolicy_free(t);
    free(m.rows);
    if (have_ds) mimic_dataset_free(&ds);
    return cli_comm_end(comm, rc);
  }
  if (!st && log) st = write_log(log, &m);
  if (!st && plot) {
    double expert = NAN, random = NAN;
    mimic_eval_config ec = mimic_eval_defaults();
    ec.episodes = m.eval_episodes;
    ec.seed = 1000;
    ec.progress = false;
    mimic_env *e = NULL;
    if (mimic_env_make(env, env_opts, &e) == MIMIC_OK && mimic_env_has_expert(e))
      st = mimic_eval_references(env, env_opts, &ec, &expert, &random);
    mimic_env_free(e);
    char title[160];
    snprintf(title, sizeof title, "%s on %s%s%s", mimic_offpolicy_algo_name(algo), env,
             offline ? " from " : "", offline ? data : "");
    if (!st) st = write_plot(plot, title, &m, offline, expert, random);
  }
  if (!st) {
    char meta[1024];
    snprintf(meta, sizeof meta, "{\"algorithm\": \"%s\"%s%s%s}", mimic_offpolicy_algo_name(algo),
             offline ? ", \"trained_on\": \"" : "", offline ? data : "", offline ? "\"" : "");
    st = mimic_offpolicy_save(t, out, meta);
  }
  int rc = CLI_EXIT_OK;
  if (!st) {
    mimic_policy *pol = NULL;
    mimic_eval_config ec = mimic_eval_defaults();
    ec.episodes = episodes;
    ec.seed = 1000;
    ec.progress = !json && !m.quiet;
    mimic_env *e = NULL;
    st = mimic_env_make(env, env_opts, &e);
    if (!st) ec.normalize = mimic_env_has_expert(e);
    mimic_env_free(e);
    mimic_eval_result r = {0};
    if (!st) st = mimic_policy_load(out, &pol);
    if (!st) st = mimic_evaluate(pol, env, env_opts, &ec, &r);
    mimic_policy_free(pol);
    double secs = m.n_rows ? m.rows[m.n_rows - 1].seconds : 0;
    if (!st && json) {
      json_t *o = json_object();
      json_object_set_new(o, "algorithm", json_string(mimic_offpolicy_algo_name(algo)));
      json_object_set_new(o, "policy", cli_json_str(out));
      json_object_set_new(o, "env", cli_json_str(env));
      json_object_set_new(o, "steps", json_integer(mimic_offpolicy_steps(t)));
      json_object_set_new(o, "seconds", cli_json_number(secs));
      if (mimic_comm_parallel(comm)) json_object_set_new(o, "ranks", json_integer(comm->size));
      cli_eval_json(o, &r);
      cli_print_json_line(o);
    } else if (!st) {
      printf("trained %ld steps in %.1f s; return %.2f +- %.2f over %d episodes",
             mimic_offpolicy_steps(t), secs, r.return_mean, r.return_std, r.episodes);
      if (isfinite(r.normalized_score)) printf(", normalised %.3f", r.normalized_score);
      printf("; wrote %s\n", out);
    }
    mimic_eval_result_free(&r);
  }
  if (st) rc = cli_comm_fail(cmd, comm);
  mimic_offpolicy_free(t);
  free(m.rows);
  if (have_ds) mimic_dataset_free(&ds);
  return cli_comm_end(comm, rc);
}

int cli_train_sac(int argc, char **argv) {
  return train_offpolicy(MIMIC_OFFPOLICY_SAC, argc, argv);
}
int cli_train_td3(int argc, char **argv) {
  return train_offpolicy(MIMIC_OFFPOLICY_TD3, argc, argv);
}
int cli_train_td3bc(int argc, char **argv) {
  return train_offpolicy(MIMIC_OFFPOLICY_TD3BC, argc, argv);
}
int cli_train_iql(int argc, char **argv) {
  return train_offpolicy(MIMIC_OFFPOLICY_IQL, argc, argv);
}
/* CQL for the dataset's action space: DiscreteCQL when its actions are
 * Discrete. A dataset that does not load is left for the command to report. */
int cli_train_cql(int argc, char **argv) {
  mimic_offpolicy_algo algo = MIMIC_OFFPOLICY_CQL;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--data") == 0) {
      mimic_dataset ds = {0};
      if (mimic_dataset_load(argv[i + 1], &ds) == MIMIC_OK &&
          ds.act_space.space.kind == MIMIC_SPACE_DISCRETE)
        algo = MIMIC_OFFPOLICY_DISCRETE_CQL;
      mimic_dataset_free(&ds);
      break;
    }
  return train_offpolicy(algo, argc, argv);
}
int cli_train_dqn(int argc, char **argv) {
  return train_offpolicy(MIMIC_OFFPOLICY_DQN, argc, argv);
}
int cli_train_discrete_bc(int argc, char **argv) {
  return train_offpolicy(MIMIC_OFFPOLICY_DISCRETE_BC, argc, argv);
}
