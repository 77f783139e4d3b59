/* mimic train ppo | gail | airl, and mimic refine: reinforcement learning
 * and adversarial imitation from the command line. Thin: flags become a
 * mimic_ppo_config (the env's tuned preset first, then every given flag),
 * the library trains, rl_common.c logs, plots and reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/comm.h"
#include "cli/commands.h"
#include "cli/rl_common.h"
#include "cli/show.h"
#include "core/util.h"
#include "mimic/adversarial.h"
#include "mimic/data.h"
#include "mimic/policy.h"
#include "mimic/ppo.h"
#include "mimic/reward.h"

#define MAX_OPTS 64

int cli_train_ppo(int argc, char **argv) {
  const char *cmd = "train ppo", *env = NULL, *env_opts = NULL, *out = NULL, *reward = NULL;
  rl_ppo_flags f = {0};
  rl_monitor m = {.cmd = cmd, .can_checkpoint = true};
  cli_opt o[MAX_OPTS];
  int n = 0;
  o[n++] = (cli_opt){"env", CLI_STR, &env, "ID", "environment id", true};
  o[n++] = (cli_opt){"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"};
  o[n++] = (cli_opt){"reward", CLI_STR, &reward, "FILE",
                     "train on a learned reward network instead of the env's"};
  o[n++] = (cli_opt){"o", CLI_STR, &out, "FILE", "where to write the policy", true};
  int parsed = rl_parse(
      cmd, "Proximal policy optimisation (SB3's PPO) on an environment's reward or a learned one.",
      "--env ID -o FILE [options]", o, n, &f, &m, argc, argv);
  if (parsed >= 0) return parsed;
  mimic_ppo_config cfg;
  int rc = rl_ppo_config(cmd, o, &f, env, env_opts, &cfg);
  if (rc >= 0) return rc;
  /* under mpirun, data-parallel: each rank steps its own environments */
  mimic_comm *comm = cli_comm_begin(cmd);
  if (!comm) return CLI_EXIT_FAIL;
  cfg.comm = comm;
  const bool writer = mimic_comm_writer(comm);
  if (!writer) m.log = m.plot = NULL;
  m.comm = comm; /* rank 0 writes checkpoints holding every rank's part */
  mimic_reward_net rn = {0};
  bool have_rn = false;
  mimic_status st = MIMIC_OK;
  if (reward) {
    mimic_env *e;
    st = mimic_reward_net_load(reward, &rn);
    have_rn = st == MIMIC_OK;
    if (st == MIMIC_OK) st = mimic_env_make(env, env_opts, &e);
    if (st == MIMIC_OK) {
      st = mimic_reward_net_check_env(&rn, e);
      if (st) mimic_errctx("%s", reward);
      mimic_env_free(e);
    }
  }
  if (st == MIMIC_OK && m.checkpoint) { /* a learned reward is part of the run */
    char *bytes = NULL;
    size_t len = 0;
    if (reward) st = mimic_read_file(reward, &bytes, &len);
    /* not the last 4 bytes: a container ends with the CRC-32 of the rest,
     * and the CRC of data and its own CRC is the same for every file */
    size_t body = len > 4 ? len - 4 : len;
    m.settings = json_pack("{s:o}", "reward_crc32",
                           reward ? json_integer(mimic_crc32(0, bytes, body)) : json_null());
    free(bytes);
    if (!st && !m.settings) st = mimic_fail_nomem("a checkpoint's settings");
  }
  snprintf(m.title, sizeof m.title, "PPO on %s%s%s", env, reward ? " (learned reward " : "",
           reward ? reward : "");
  if (reward) strncat(m.title, ")", sizeof m.title - strlen(m.title) - 1);
  json_t *meta = json_object(), *extra = json_object();
  json_object_set_new(meta, "algorithm", json_string("ppo"));
  if (reward) json_object_set_new(meta, "reward", cli_json_str(reward));
  if (mimic_comm_parallel(comm)) json_object_set_new(meta, "ranks", json_integer(comm->size));
  json_object_set_new(extra, "algorithm", json_string("ppo"));
  json_object_set_new(extra, "learned_reward", json_boolean(reward != NULL));
  rc = st ? cli_comm_fail(cmd, comm)
          : rl_train_on_reward(cmd, &cfg, &m, have_rn ? mimic_reward_net_fn : NULL, &rn, out, meta,
                               extra);
  json_decref(meta);
  json_decref(extra);
  if (have_rn) mimic_reward_net_free(&rn);
  rl_monitor_free(&m);
  return cli_comm_end(comm, rc);
}

/* The demonstrations' mean episode return, summed in file order as one
 * process sums it: on several ranks (each holding a shard of the file's
 * `episodes`) each rank continues the sum of the ranks before it. */
static mimic_status demo_mean_return(mimic_comm *c, const mimic_dataset *ds, size_t episodes,
                                     double *out) {
  double sum = 0;
  const int ranks = mimic_comm_parallel(c) ? c->size : 1;
  for (int r = 0; r < ranks; r++) {
    if (ranks == 1 || r == c->rank)
      for (size_t e = 0; e < ds->n_episodes; e++)
        sum += mimic_dataset_episode_return(ds, e) / episodes;
    if (ranks > 1) MIMIC_TRY(c->bcast(c, &sum, sizeof sum, r));
  }
  *out = sum;
  return MIMIC_OK;
}

/* Per-round callback of GAIL/AIRL: the generator's iteration goes to the monitor. */
static bool adv_round(mimic_adv *a, const mimic_adv_round *r, void *user) {
  return rl_monitor_iter(mimic_adv_generator(a), &r->ppo, user);
}

static int train_adversarial(mimic_adv_kind kind, int argc, char **argv) {
  const bool airl = kind == MIMIC_ADV_AIRL;
  const char *cmd = airl ? "train airl" : "train gail";
  const char *env = NULL, *env_opts = NULL, *out = NULL, *data = NULL, *reward_out = NULL,
             *shaping_out = NULL, *disc_hidden = NULL, *inputs = NULL;
  int disc_updates = 0, demo_batch = 0, warmup = 0;
  double disc_lr = 0, disc_wd = 0;
  bool absorbing = false, no_absorbing = false, logit_reward = false;
  rl_ppo_flags f = {0};
  rl_monitor m = {.cmd = cmd, .can_checkpoint = true};
  cli_opt o[MAX_OPTS];
  int n = 0;
  o[n++] = (cli_opt){"env", CLI_STR, &env, "ID", "environment id", true};
  o[n++] = (cli_opt){"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"};
  o[n++] = (cli_opt){
      "data", CLI_STR, &data, "DIR", "expert demonstrations (a Minari dataset folder)", true};
  o[n++] = (cli_opt){"o", CLI_STR, &out, "FILE", "where to write the generator policy", true};
  o[n++] = (cli_opt){"reward-out", CLI_STR, &reward_out, "FILE",
                     airl ? "write the disentangled reward g(s) here"
                          : "write the discriminator reward here"};
  if (airl)
    o[n++] =
        (cli_opt){"shaping-out", CLI_STR, &shaping_out, "FILE", "write the shaping term h(s) here"};
  o[n++] = (cli_opt){"disc-updates", CLI_INT, &disc_updates, "N",
                     "discriminator steps per round (default 2)"};
  o[n++] = (cli_opt){"demo-batch-size", CLI_INT, &demo_batch, "B",
                     "expert (and generator) samples per step (256)"};
  o[n++] = (cli_opt){"disc-lr", CLI_DOUBLE, &disc_lr, "LR",
                     "discriminator Adam learning rate (default 1e-3)"};
  o[n++] = (cli_opt){"disc-weight-decay", CLI_DOUBLE, &disc_wd, "W",
                     "discriminator AdamW weight decay (default 0)"};
  o[n++] = (cli_opt){"disc-hidden", CLI_STR, &disc_hidden, "N,N",
                     "discriminator hidden widths (default 32,32)"};
  o[n++] = (cli_opt){"disc-warmup", CLI_INT, &warmup, "N",
                     "extra discriminator steps before the first update"};
  o[n++] = (cli_opt){"reward-inputs", CLI_STR, &inputs, "KIND",
                     airl ? "g's inputs: state (default) or state-action"
                          : "state-action (default), state, ..."};
  o[n++] = (cli_opt){"absorbing", CLI_FLAG, &absorbing, NULL,
                     "absorbing states for episodes that end early"};
  o[n++] = (cli_opt){"no-absorbing", CLI_FLAG, &no_absorbing, NULL, "no absorbing states"};
  if (!airl)
    o[n++] = (cli_opt){"logit-reward", CLI_FLAG, &logit_reward, NULL, "reward log D - log(1-D)"};
  int parsed = rl_parse(
      cmd,
      airl
          ? "Adversarial inverse RL (Fu et al.): learn a reward g(s) + shaping from demonstrations."
          : "Generative adversarial imitation (Ho & Ermon): PPO against a discriminator.",
      "--env ID --data DIR -o FILE [options]", o, n, &f, &m, argc, argv);
  if (parsed >= 0) return parsed;
  mimic_adv_config c = mimic_adv_defaults(kind, env);
  mimic_ppo_config pc;
  int rc = rl_ppo_config(cmd, o, &f, env, env_opts, &pc);
  if (rc >= 0) return rc;
  /* the adversarial defaults adjust the generator (reward scaling, a
   * per-env preset); flags given on the command line still win */
  mimic_ppo_config adv_ppo = c.ppo;
  c.ppo = pc;
  if (!f.no_norm_reward) c.ppo.norm_reward = adv_ppo.norm_reward;
  if (!cli_seen(o, "gamma") && (!f.preset || strcmp(f.preset, "none") != 0))
    c.ppo.gamma = adv_ppo.gamma;
  if (cli_seen(o, "disc-updates")) c.n_disc_updates = disc_updates;
  if (cli_seen(o, "demo-batch-size")) c.demo_batch_size = demo_batch;
  if (cli_seen(o, "disc-lr")) c.disc_lr = disc_lr;
  if (cli_seen(o, "disc-weight-decay")) c.disc_weight_decay = disc_wd;
  if (cli_seen(o, "disc-warmup")) c.disc_warmup = warmup;
  if (absorbing && no_absorbing)
    return cli_usage_error(cmd, "--absorbing and --no-absorbing exclude each other");
  if (absorbing) c.absorbing = true;
  if (no_absorbing) c.absorbing = false;
  c.gail_logit_reward = logit_reward;
  if (disc_hidden &&
      !cli_parse_hidden(disc_hidden, c.disc_hidden, &c.disc_n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--disc-hidden wants widths like 32,32, got '%s'", disc_hidden);
  if (inputs && !mimic_reward_inputs_parse(inputs, &c.reward_inputs))
    return cli_usage_error(cmd,
                           "--reward-inputs is state, state-action, state-next-state or "
                           "state-action-next-state, got '%s'",
                           inputs);
  /* under mpirun (GAIL), data-parallel as one process's run: each rank steps
   * its share of the environments, reads its shard of the demonstrations
   * and computes on its share of every discriminator batch
   * (adversarial_dist.c) */
  mimic_comm *comm = cli_comm_begin(cmd);
  if (!comm) return CLI_EXIT_FAIL;
  c.ppo.comm = comm;
  m.comm = comm;
  const bool writer = mimic_comm_writer(comm);
  if (!writer) m.log = m.plot = NULL;
  rc = CLI_EXIT_OK; /* a rank after 0 reports nothing */
  if (mimic_adv_check(&c)) return cli_comm_end(comm, cli_usage_error(cmd, "%s", mimic_errmsg()));
  /* several ranks: each reads only its shard of the episodes, as train bc */
  mimic_dataset ds;
  mimic_dataset_shard shard = {0};
  if (mimic_comm_parallel(comm)
          ? mimic_dataset_load_shard(data, comm->rank, comm->size, &ds, &shard)
          : mimic_dataset_load(data, &ds))
    return cli_comm_end(comm, cli_comm_fail(cmd, comm));
  if (mimic_comm_parallel(comm))
    c.shard = &shard;
  else
    shard = (mimic_dataset_shard){.episodes = ds.n_episodes, .steps = ds.n_steps};
  double demo_return = 0;
  mimic_adv *t = NULL;
  mimic_status st = demo_mean_return(comm, &ds, shard.episodes, &demo_return);
  if (st == MIMIC_OK) {
    st = mimic_adv_create(&c, &ds, &t);
    if (st && c.shard) mimic_errctx("%s", data);
  }
  snprintf(m.title, sizeof m.title, "%s on %s from %zu demonstrations", airl ? "AIRL" : "GAIL", env,
           shard.episodes);
  m.reference = demo_return;
  m.reference_name = "demonstrations";
  m.adv = t;
  if (st == MIMIC_OK) st = rl_checkpoint_resume(&m, mimic_adv_generator(t));
  if (st == MIMIC_OK) {
    st = mimic_adv_learn(t, 0, adv_round, &m);
    if (st == MIMIC_OK && m.failed) st = mimic_errcode();
  }
  if (st == MIMIC_OK) st = rl_checkpoint_save(&m, mimic_adv_generator(t));
  if (st == MIMIC_OK) st = rl_monitor_finish(&m);
  if (st == MIMIC_OK && reward_out && writer)
    st = mimic_adv_save_reward(t, reward_out, shaping_out);
  if (st == MIMIC_OK && writer) {
    json_t *meta = json_object();
    json_object_set_new(meta, "algorithm", json_string(airl ? "airl" : "gail"));
    json_object_set_new(meta, "trained_on", cli_json_str(data));
    json_object_set_new(meta, "episodes", json_integer((json_int_t)shard.episodes));
    if (mimic_comm_parallel(comm)) json_object_set_new(meta, "ranks", json_integer(comm->size));
    st = rl_save_with_meta(mimic_adv_generator(t), out, meta);
  }
  if (st == MIMIC_OK && writer) {
    json_t *extra = json_object();
    json_object_set_new(extra, "algorithm", json_string(airl ? "airl" : "gail"));
    json_object_set_new(extra, "demo_episodes", json_integer((json_int_t)shard.episodes));
    json_object_set_new(extra, "demo_transitions", json_integer((json_int_t)shard.steps));
    json_object_set_new(extra, "demo_return", cli_json_number(demo_return));
    rc = rl_report(cmd, mimic_adv_generator(t), &m, out, extra, 100);
    json_decref(extra);
  } else if (st != MIMIC_OK) {
    rc = cli_comm_fail(cmd, comm);
  }
  mimic_adv_free(t);
  mimic_dataset_free(&ds);
  rl_monitor_free(&m);
  return cli_comm_end(comm, rc);
}

int cli_train_gail(int argc, char **argv) { return train_adversarial(MIMIC_ADV_GAIL, argc, argv); }

int cli_train_airl(int argc, char **argv) { return train_adversarial(MIMIC_ADV_AIRL, argc, argv); }

int cli_refine(int argc, char **argv) {
  const char *cmd = "refine", *env = NULL, *env_opts = NULL, *out = NULL, *policy = NULL,
             *anchor = "kl";
  double coef = 1.0;
  long long decay = -1;
  rl_ppo_flags f = {0};
  rl_monitor m = {.cmd = cmd};
  cli_opt o[MAX_OPTS];
  int n = 0;
  o[n++] = (cli_opt){
      "policy", CLI_STR, &policy, "FILE", "the cloned policy to start from (e.g. from train bc)",
      true};
  o[n++] = (cli_opt){"env", CLI_STR, &env, "ID", "environment id", true};
  o[n++] = (cli_opt){"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"};
  o[n++] = (cli_opt){"o", CLI_STR, &out, "FILE", "where to write the refined policy", true};
  o[n++] = (cli_opt){"anchor", CLI_STR, &anchor, "kl|bc|none",
                     "keep the policy near the clone at first (default kl)"};
  o[n++] = (cli_opt){"anchor-coef", CLI_DOUBLE, &coef, "C",
                     "the anchor's starting coefficient (default 1)"};
  o[n++] = (cli_opt){"anchor-decay", CLI_LONG, &decay, "N",
                     "env steps over which it falls to 0 (default steps/2)"};
  int parsed =
      rl_parse(cmd, "Clone, then refine: PPO starting from a cloned policy, held near it at first.",
               "--policy FILE --env ID -o FILE [--steps N] [options]", o, n, &f, &m, argc, argv);
  if (parsed >= 0) return parsed;
  mimic_ppo_config c;
  int rc = rl_ppo_config(cmd, o, &f, env, env_opts, &c);
  if (rc >= 0) return rc;
  mimic_ppo_refine_defaults(&c);
  if (strcmp(anchor, "kl") == 0)
    c.anchor = MIMIC_ANCHOR_KL;
  else if (strcmp(anchor, "bc") == 0)
    c.anchor = MIMIC_ANCHOR_BC;
  else if (strcmp(anchor, "none") == 0)
    c.anchor = MIMIC_ANCHOR_NONE;
  else
    return cli_usage_error(cmd, "--anchor is kl, bc or none, got '%s'", anchor);
  c.anchor_coef = coef;
  if (decay >= 0) c.anchor_decay_steps = (long)decay;
  if (mimic_ppo_check(&c)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  mimic_model clone;
  if (mimic_model_load(policy, NULL, 64, &clone)) return cli_fail(cmd);
  mimic_ppo *p = NULL;
  mimic_status st = mimic_ppo_create_refine(&c, &clone, &p);
  if (st) mimic_errctx("%s", policy);
  snprintf(m.title, sizeof m.title, "refining %s on %s", policy, env);
  if (st == MIMIC_OK) {
    /* the clone's own return is the line to beat */
    m.reference_name = "clone";
    m.reference = NAN;
    double clone_ret;
    if (mimic_ppo_evaluate(p, m.eval_episodes, 1000, &clone_ret, NULL) == MIMIC_OK)
      m.reference = clone_ret;
    st = mimic_ppo_learn(p, 0, rl_monitor_iter, &m);
    if (st == MIMIC_OK && m.failed) st = mimic_errcode();
  }
  if (st == MIMIC_OK) st = rl_monitor_finish(&m);
  if (st == MIMIC_OK) {
    json_t *meta = json_object();
    json_object_set_new(meta, "algorithm", json_string("refine"));
    json_object_set_new(meta, "refined_from", cli_json_str(policy));
    json_object_set_new(meta, "anchor", cli_json_str(anchor));
    st = rl_save_with_meta(p, out, meta);
  }
  if (st == MIMIC_OK) {
    json_t *extra = json_object();
    json_object_set_new(extra, "algorithm", json_string("refine"));
    json_object_set_new(extra, "clone_return", cli_json_number(m.reference));
    json_object_set_new(extra, "anchor", cli_json_str(anchor));
    rc = rl_report(cmd, p, &m, out, extra, 100);
    json_decref(extra);
  } else {
    rc = cli_fail(cmd);
  }
  mimic_ppo_free(p);
  mimic_model_free(&clone);
  rl_monitor_free(&m);
  return rc;
}
