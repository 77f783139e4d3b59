/* Shared pieces of the reinforcement-learning commands: see rl_common.h. */
#include "cli/rl_common.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/comm.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/container.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"

int rl_ppo_opts(cli_opt *o, rl_ppo_flags *f) {
  const cli_opt list[] = {
      {"preset", CLI_STR, &f->preset, "auto|none",
       "tuned hyperparameters for the env (docs/rl.md; default auto)"},
      {"steps", CLI_LONG, &f->steps, "N",
       "environment steps to train for (default: the preset's budget)"},
      {"envs", CLI_INT, &f->envs, "N", "environments stepped side by side"},
      {"n-steps", CLI_INT, &f->n_steps, "N", "steps per environment per rollout"},
      {"batch-size", CLI_INT, &f->batch_size, "B", "minibatch size"},
      {"epochs", CLI_INT, &f->epochs, "N", "passes over each rollout"},
      {"lr", CLI_DOUBLE, &f->lr, "LR", "Adam learning rate"},
      {"lr-linear", CLI_FLAG, &f->lr_linear, NULL,
       "decay the learning rate (and clip range) linearly to 0"},
      {"lr-constant", CLI_FLAG, &f->lr_constant, NULL,
       "keep the learning rate and clip range constant"},
      {"gamma", CLI_DOUBLE, &f->gamma, "G", "discount"},
      {"gae-lambda", CLI_DOUBLE, &f->gae_lambda, "L", "GAE lambda"},
      {"clip", CLI_DOUBLE, &f->clip, "C", "clip range of the surrogate"},
      {"clip-vf", CLI_DOUBLE, &f->clip_vf, "C", "clip range of the value (default none)"},
      {"ent-coef", CLI_DOUBLE, &f->ent_coef, "C", "entropy bonus coefficient"},
      {"vf-coef", CLI_DOUBLE, &f->vf_coef, "C", "value loss coefficient"},
      {"max-grad-norm", CLI_DOUBLE, &f->max_grad_norm, "N", "global gradient clip (default 0.5)"},
      {"target-kl", CLI_DOUBLE, &f->target_kl, "KL",
       "stop an update's epochs past 1.5 x this approx KL"},
      {"hidden", CLI_STR, &f->hidden, "N,N", "actor hidden widths (default 64,64)"},
      {"vf-hidden", CLI_STR, &f->vf_hidden, "N,N", "critic hidden widths (default 64,64)"},
      {"activation", CLI_STR, &f->activation, "tanh|relu", "hidden activation (default tanh)"},
      {"log-std-init", CLI_DOUBLE, &f->log_std_init, "X",
       "initial log std of a Gaussian policy (default 0)"},
      {"norm-obs", CLI_FLAG, &f->norm_obs, NULL, "normalise observations with running statistics"},
      {"no-norm-obs", CLI_FLAG, &f->no_norm_obs, NULL, "do not normalise observations"},
      {"norm-reward", CLI_FLAG, &f->norm_reward, NULL,
       "scale rewards by the running std of the return"},
      {"no-norm-reward", CLI_FLAG, &f->no_norm_reward, NULL, "do not scale rewards"},
      {"seed", CLI_U64, &f->seed, "S",
       "seed: envs reset with S + i, initialisation, sampling (default 0)"},
  };
  int n = (int)(sizeof list / sizeof *list);
  memcpy(o, list, sizeof list);
  return n;
}

int rl_parse(const char *cmd, const char *summary, const char *usage, cli_opt *opts, int n,
             rl_ppo_flags *f, rl_monitor *m, int argc, char **argv) {
  n += rl_ppo_opts(opts + n, f);
  n += rl_monitor_opts(opts + n, m);
  memset(&opts[n], 0, sizeof opts[n]);
  cli_parsed a = cli_parse(cmd, summary, usage, opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  if (m->checkpoint_every < 0 || (m->resume && !m->checkpoint) ||
      (m->checkpoint_every && !m->checkpoint))
    return cli_usage_error(cmd, "--checkpoint-every must be >= 0, and --checkpoint-every and "
                                "--resume need --checkpoint");
  cli_set_output(m->json, m->quiet);
  return -1;
}

int rl_ppo_config(const char *cmd, const cli_opt *o, const rl_ppo_flags *f, const char *env,
                  const char *env_opts, mimic_ppo_config *c) {
  /* RL's matrices are small (a few hundred rows): one BLAS thread is the
   * fastest, and it keeps a seed's result the same on every machine */
  mimic_nn_set_threads(1);
  *c = mimic_ppo_defaults();
  c->env_id = env;
  c->env_opts = env_opts;
  const char *preset = f->preset ? f->preset : "auto";
  if (strcmp(preset, "auto") == 0)
    mimic_ppo_preset(env, c);
  else if (strcmp(preset, "none") != 0)
    return cli_usage_error(cmd, "--preset is auto or none, got '%s'", preset);
#define SET(flag, field, value)                                                                    \
  if (cli_seen(o, flag)) c->field = value
  SET("steps", total_steps, (long)f->steps);
  SET("envs", n_envs, f->envs);
  SET("n-steps", n_steps, f->n_steps);
  SET("batch-size", batch_size, f->batch_size);
  SET("epochs", n_epochs, f->epochs);
  SET("lr", learning_rate, f->lr);
  SET("gamma", gamma, f->gamma);
  SET("gae-lambda", gae_lambda, f->gae_lambda);
  SET("clip", clip_range, f->clip);
  SET("clip-vf", clip_range_vf, f->clip_vf);
  SET("ent-coef", ent_coef, f->ent_coef);
  SET("vf-coef", vf_coef, f->vf_coef);
  SET("max-grad-norm", max_grad_norm, f->max_grad_norm);
  SET("target-kl", target_kl, f->target_kl);
  SET("log-std-init", log_std_init, f->log_std_init);
  SET("seed", seed, f->seed);
#undef SET
  if (f->lr_linear && f->lr_constant)
    return cli_usage_error(cmd, "--lr-linear and --lr-constant exclude each other");
  if (f->lr_linear) c->lr_linear = c->clip_linear = true;
  if (f->lr_constant) c->lr_linear = c->clip_linear = false;
  if (f->norm_obs && f->no_norm_obs)
    return cli_usage_error(cmd, "--norm-obs and --no-norm-obs exclude each other");
  if (f->norm_obs) c->norm_obs = true;
  if (f->no_norm_obs) c->norm_obs = false;
  if (f->norm_reward && f->no_norm_reward)
    return cli_usage_error(cmd, "--norm-reward and --no-norm-reward exclude each other");
  if (f->norm_reward) c->norm_reward = true;
  if (f->no_norm_reward) c->norm_reward = false;
  if (f->hidden && !cli_parse_hidden(f->hidden, c->hidden, &c->n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--hidden wants widths like 64,64, got '%s'", f->hidden);
  if (f->vf_hidden &&
      !cli_parse_hidden(f->vf_hidden, c->vf_hidden, &c->vf_n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--vf-hidden wants widths like 64,64, got '%s'", f->vf_hidden);
  if (f->activation && !cli_parse_activation(f->activation, &c->activation))
    return cli_usage_error(cmd, "--activation is tanh or relu, got '%s'", f->activation);
  if (mimic_ppo_check(c)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  return -1;
}

int rl_monitor_opts(cli_opt *o, rl_monitor *m) {
  const cli_opt list[] = {
      {"eval-every", CLI_INT, &m->eval_every, "N",
       "evaluate every N iterations (default 0: only at the end)"},
      {"eval-episodes", CLI_INT, &m->eval_episodes, "N",
       "episodes per evaluation during training (default 10)"},
      {"target", CLI_DOUBLE, &m->target, "R", "stop once an evaluation reaches return R"},
      {"log", CLI_STR, &m->log, "FILE", "per-iteration log, CSV (or JSON Lines for .jsonl)"},
      {"plot", CLI_STR, &m->plot, "FILE", "learning curve (.png or .svg)"},
      {"json", CLI_FLAG, &m->json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &m->quiet, NULL, "no progress output"},
  };
  int n = (int)(sizeof list / sizeof *list);
  memcpy(o, list, sizeof list);
  if (m->can_checkpoint) {
    const cli_opt ck[] = {
        {"checkpoint", CLI_STR, &m->checkpoint, "FILE",
         "checkpoint file (written at the end and every N iterations)"},
        {"checkpoint-every", CLI_INT, &m->checkpoint_every, "N", "iterations between checkpoints"},
        {"resume", CLI_FLAG, &m->resume, NULL,
         "continue from --checkpoint if it exists (same result, bit for bit)"},
    };
    memcpy(o + n, ck, sizeof ck);
    n += (int)(sizeof ck / sizeof *ck);
  }
  m->eval_episodes = 10;
  m->target = NAN;
  m->reference = NAN;
  m->reached_steps = -1;
  return n;
}

void rl_kill_point(long iteration) {
  const char *k = getenv("MIMIC_TEST_KILL_AT");
  if (k && *k && strtol(k, NULL, 10) == iteration) raise(SIGKILL);
}

#define ROWS_ARRAY "monitor.rows"

/* Several ranks: each holds its own environments, generator, episode log
 * and log rows, so rank 0 stores every other rank's whole checkpoint, as
 * the bytes of an encoded container, in an array "ranks.R" beside its own
 * (one file; docs/cluster.md). The parameters every rank shares are
 * checked equal first. gathered receives the buffer c borrows (rank 0). */
static mimic_status add_ranks(rl_monitor *m, mimic_container *c, uint8_t **gathered) {
  mimic_comm *k = m->comm;
  const mimic_container_array *pa = mimic_container_find(c, "ppo.params");
  if (!pa) return mimic_fail(MIMIC_ERR_INVALID, "a PPO checkpoint without ppo.params");
  MIMIC_TRY(mimic_comm_check_same(k, pa->data, pa->count * sizeof(float), "the parameters"));
  uint8_t *mine = NULL, *pad = NULL;
  size_t len = 0;
  uint64_t n = 0, *lens = NULL;
  mimic_status st = k->rank ? mimic_container_encode(c, &mine, &len) : MIMIC_OK;
  n = len;
  if (!st && k->rank == 0 &&
      !(lens = mimic_calloc((size_t)k->size, sizeof *lens, "the ranks' checkpoint sizes")))
    st = MIMIC_ERR_NOMEM; /* the others then wait: the caller aborts the job */
  if (!st) st = k->gather(k, &n, sizeof n, lens, 0);
  uint64_t most = 0;
  for (int r = 0; !st && k->rank == 0 && r < k->size; r++) most = lens[r] > most ? lens[r] : most;
  if (!st) st = k->bcast(k, &most, sizeof most, 0);
  if (!st && !(pad = mimic_calloc(most ? most : 1, 1, "a rank's checkpoint"))) st = MIMIC_ERR_NOMEM;
  if (!st && k->rank == 0 &&
      !(*gathered = mimic_malloc((size_t)most * (size_t)k->size + 1, "the ranks' checkpoints")))
    st = MIMIC_ERR_NOMEM;
  if (!st) {
    if (len) memcpy(pad, mine, len);
    st = k->gather(k, pad, (size_t)most, *gathered, 0);
  }
  for (int r = 1; !st && k->rank == 0 && r < k->size; r++) {
    char name[32];
    snprintf(name, sizeof name, "ranks.%d", r);
    st = mimic_container_add(c, name, MIMIC_ARRAY_U1, *gathered + (size_t)r * most, lens[r]);
  }
  if (!st && k->rank == 0 && json_object_set_new(c->meta, "ranks", json_integer(k->size)))
    st = mimic_fail_nomem("a checkpoint");
  free(mine);
  free(pad);
  free(lens);
  return st;
}

mimic_status rl_checkpoint_save(rl_monitor *m, mimic_ppo *p) {
  if (!m->checkpoint) return MIMIC_OK;
  mimic_container c;
  MIMIC_TRY(m->adv ? mimic_adv_checkpoint(m->adv, &c) : mimic_ppo_checkpoint(p, &c));
  /* the rows are kept as they sit in memory (they hold NaNs, which float
   * arrays may not): a checkpoint is for the build that wrote it */
  json_t *mon =
      json_pack("{s:i, s:I, s:f}", "row_bytes", (int)sizeof(mimic_ppo_iter), "reached_steps",
                (json_int_t)m->reached_steps, "reached_seconds", m->reached_seconds);
  mimic_status st = mon && !json_object_set_new(c.meta, "monitor", mon) &&
                            (!m->settings || !json_object_set(c.meta, "command", m->settings))
                        ? MIMIC_OK
                        : mimic_fail_nomem("a checkpoint");
  if (!st)
    st = mimic_container_add(&c, ROWS_ARRAY, MIMIC_ARRAY_U1, m->rows,
                             (uint64_t)m->n_rows * sizeof(mimic_ppo_iter));
  uint8_t *gathered = NULL;
  if (!st && mimic_comm_parallel(m->comm)) st = add_ranks(m, &c, &gathered);
  if (!st && mimic_comm_writer(m->comm)) st = mimic_container_save(&c, m->checkpoint);
  mimic_container_free(&c);
  free(gathered);
  return st;
}

/* The monitor's part of a read checkpoint, checked, into m. */
static mimic_status restore_rows(rl_monitor *m, const mimic_container *c) {
  const char *key;
  json_t *want;
  json_object_foreach(m->settings, key, want) {
    const json_t *had = json_object_get(json_object_get(c->meta, "command"), key);
    if (!had || !json_equal(had, want))
      return mimic_container_fail(c, "meta.command",
                                  "'%s' differs from this run's: resume with "
                                  "the same settings or start a new checkpoint",
                                  key);
  }
  const json_t *mon = json_object_get(c->meta, "monitor");
  json_int_t row_bytes = -1, reached = -2;
  double seconds = 0;
  if (json_unpack((json_t *)mon, "{s:I, s:I, s:F}", "row_bytes", &row_bytes, "reached_steps",
                  &reached, "reached_seconds", &seconds) ||
      row_bytes != (json_int_t)sizeof(mimic_ppo_iter) || reached < -1)
    return mimic_container_fail(c, "meta.monitor", "is missing or from another build of mimic");
  const mimic_container_array *a = mimic_container_find(c, ROWS_ARRAY);
  if (!a || a->type != MIMIC_ARRAY_U1 || a->count % sizeof(mimic_ppo_iter) ||
      a->count / sizeof(mimic_ppo_iter) > (1u << 24))
    return mimic_container_fail(c, "array '" ROWS_ARRAY "'", "is missing or not whole rows");
  int n = (int)(a->count / sizeof(mimic_ppo_iter));
  if (n > m->cap) {
    mimic_ppo_iter *rows = mimic_realloc(m->rows, (size_t)n, sizeof *rows, "log rows");
    if (!rows) return MIMIC_ERR_NOMEM;
    m->rows = rows;
    m->cap = n;
  }
  if (n) memcpy(m->rows, a->data, a->count);
  m->n_rows = n;
  m->reached_steps = (long)reached;
  m->reached_seconds = seconds;
  return MIMIC_OK;
}

/* Fails unless the file's c was written by a job of this many ranks. */
static mimic_status check_ranks(const rl_monitor *m, const mimic_container *c) {
  const int size = m->comm ? m->comm->size : 1;
  const json_t *jr = json_object_get(c->meta, "ranks");
  const json_int_t had = jr ? json_integer_value(jr) : 1;
  if (had == size) return MIMIC_OK;
  return mimic_container_fail(c, "meta.ranks",
                              "written by a job of %lld rank%s, resumed on %d: resume with the "
                              "same number of ranks",
                              (long long)had, had == 1 ? "" : "s", size);
}

/* Rank r's own checkpoint (r > 0) out of the file's c. */
static mimic_status rank_part(const rl_monitor *m, const mimic_container *c,
                              mimic_container *mine) {
  char name[32];
  snprintf(name, sizeof name, "ranks.%d", m->comm->rank);
  const mimic_container_array *a = mimic_container_find(c, name);
  if (!a || a->type != MIMIC_ARRAY_U1)
    return mimic_container_fail(c, name, "rank %d's checkpoint is missing", m->comm->rank);
  return mimic_container_decode(a->data, (size_t)a->count, m->checkpoint, mine);
}

mimic_status rl_checkpoint_resume(rl_monitor *m, mimic_ppo *p) {
  if (!m->resume || !m->checkpoint || !mimic_path_exists(m->checkpoint)) return MIMIC_OK;
  mimic_container file, part = {0}, *c = &file;
  MIMIC_TRY(mimic_container_read(m->checkpoint, &file));
  /* every rank reads the one file; a rank after 0 restores its own part */
  mimic_status st = check_ranks(m, &file);
  if (!st && m->comm && m->comm->rank > 0) {
    st = rank_part(m, &file, &part);
    c = &part;
  }
  /* the trainer's restore checks the kind and settings first; a failure
   * anywhere fails the command, so the order changes nothing else */
  if (!st) st = m->adv ? mimic_adv_restore(m->adv, c) : mimic_ppo_restore(p, c);
  if (!st) st = restore_rows(m, c);
  mimic_container_free(&part);
  mimic_container_free(&file);
  if (!st)
    MIMIC_INFO("%s: resuming from %s at step %ld (iteration %d)", m->cmd, m->checkpoint,
               mimic_ppo_timesteps(p), m->n_rows);
  return st;
}

bool rl_monitor_iter(mimic_ppo *p, const mimic_ppo_iter *it, void *user) {
  rl_monitor *m = user;
  const mimic_ppo_config *c = mimic_ppo_get_config(p);
  if (!m->bar_started) {
    mimic_progress_begin(&m->bar, m->cmd, "step", (uint64_t)c->total_steps);
    m->bar_started = true;
    m->last_log = mimic_now();
  }
  if (m->n_rows == m->cap) {
    int cap = m->cap ? 2 * m->cap : 256;
    mimic_ppo_iter *rows = mimic_realloc(m->rows, (size_t)cap, sizeof *rows, "log rows");
    if (!rows) {
      m->failed = true;
      return false;
    }
    m->rows = rows;
    m->cap = cap;
  }
  mimic_ppo_iter *row = &m->rows[m->n_rows++];
  *row = *it;
  bool last = it->timesteps >= c->total_steps;
  bool stop = false;
  if ((m->eval_every > 0 && it->iteration % m->eval_every == 0) || (last && isfinite(m->target))) {
    double mean;
    if (mimic_ppo_evaluate(p, m->eval_episodes, 1000, &mean, NULL)) {
      m->failed = true;
      return false;
    }
    row->eval_return = mean;
    if (isfinite(m->target) && mean >= m->target && m->reached_steps < 0) {
      m->reached_steps = it->timesteps;
      m->reached_seconds = it->seconds;
      stop = true;
    }
  }
  if (m->checkpoint && m->checkpoint_every > 0 && it->iteration % m->checkpoint_every == 0) {
    if (rl_checkpoint_save(m, p)) {
      m->failed = true;
      return false;
    }
    rl_kill_point(it->iteration);
  }
  mimic_progress_update(&m->bar, (uint64_t)it->timesteps);
  if (isfinite(row->eval_return))
    mimic_progress_note(&m->bar, "return %.1f  eval %.1f", it->ep_return_mean, row->eval_return);
  else
    mimic_progress_note(&m->bar, "return %.1f", it->ep_return_mean);
  if (m->log &&
      mimic_now() - m->last_log > 10.0) { /* a durable log every 10 s, not every iteration */
    m->last_log = mimic_now();
    if (mimic_ppo_write_log(m->log, m->rows, m->n_rows)) {
      m->failed = true;
      return false;
    }
  }
  return !stop;
}

mimic_status rl_monitor_finish(rl_monitor *m) {
  if (m->bar_started) mimic_progress_end(&m->bar);
  if (m->log) MIMIC_TRY(mimic_ppo_write_log(m->log, m->rows, m->n_rows));
  if (m->plot)
    MIMIC_TRY(
        mimic_ppo_plot(m->plot, m->title, m->rows, m->n_rows, m->reference, m->reference_name));
  return MIMIC_OK;
}

void rl_monitor_free(rl_monitor *m) {
  json_decref(m->settings);
  m->settings = NULL;
  free(m->rows);
  m->rows = NULL;
}

int rl_report(const char *cmd, mimic_ppo *p, const rl_monitor *m, const char *out, json_t *extra,
              int final_episodes) {
  const mimic_ppo_config *c = mimic_ppo_get_config(p);
  mimic_model copy;
  if (mimic_ppo_copy_model(p, &copy)) return cli_fail(cmd);
  mimic_env *env;
  if (mimic_env_make(c->env_id, c->env_opts, &env)) {
    mimic_model_free(&copy);
    return cli_fail(cmd);
  }
  mimic_policy *pol;
  mimic_status st = mimic_policy_from_model(&copy, mimic_env_action_space(env), &pol);
  if (st) mimic_model_free(&copy);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = final_episodes;
  ec.seed = 1000;
  ec.normalize = mimic_env_has_expert(env);
  ec.progress = !m->json && !m->quiet;
  mimic_eval_result r = {0};
  if (st == MIMIC_OK) st = mimic_evaluate(pol, c->env_id, c->env_opts, &ec, &r);
  mimic_policy_free(pol);
  mimic_env_free(env);
  if (st) return cli_fail(cmd);
  const mimic_ppo_iter *last = m->n_rows ? &m->rows[m->n_rows - 1] : NULL;
  double seconds = last ? last->seconds : 0, fps = last ? last->fps : 0;
  if (m->json) {
    json_t *o = json_object();
    json_object_set_new(o, "policy", cli_json_str(out));
    json_object_set_new(o, "env", cli_json_str(c->env_id));
    json_object_set_new(o, "steps", json_integer(mimic_ppo_timesteps(p)));
    json_object_set_new(o, "iterations", json_integer(m->n_rows));
    json_object_set_new(o, "seconds", cli_json_number(seconds));
    json_object_set_new(o, "steps_per_second", cli_json_number(fps));
    cli_eval_json(o, &r);
    bool reached = m->reached_steps >= 0;
    json_object_set_new(o, "target_reached_at_steps",
                        reached ? json_integer(m->reached_steps) : json_null());
    json_object_set_new(o, "target_reached_at_seconds",
                        reached ? cli_json_number(m->reached_seconds) : json_null());
    if (extra) json_object_update(o, extra);
    cli_print_json_line(o);
  } else {
    printf("trained %ld steps in %.1f s (%.0f steps/s); return %.2f +- %.2f over %d episodes",
           mimic_ppo_timesteps(p), seconds, fps, r.return_mean, r.return_std, r.episodes);
    if (isfinite(r.normalized_score)) printf(", normalised %.3f", r.normalized_score);
    if (m->reached_steps >= 0)
      printf("; target reached at %ld steps (%.1f s)", m->reached_steps, m->reached_seconds);
    printf("; wrote %s\n", out);
  }
  mimic_eval_result_free(&r);
  return CLI_EXIT_OK;
}

/* Saves a PPO policy with meta (released) as its description. */
mimic_status rl_save_with_meta(mimic_ppo *p, const char *out, json_t *meta) {
  char *text = cli_json_text(meta);
  if (!text) return mimic_fail_nomem("the model's description");
  mimic_status st = mimic_ppo_save(p, out, text);
  free(text);
  return st;
}

int rl_train_on_reward(const char *cmd, const mimic_ppo_config *cfg, rl_monitor *m,
                       mimic_reward_fn reward, void *user, const char *out, json_t *meta,
                       json_t *extra) {
  mimic_ppo *p = NULL;
  mimic_status st = mimic_ppo_create(cfg, NULL, &p);
  if (st == MIMIC_OK && reward) mimic_ppo_set_reward(p, reward, user);
  if (st == MIMIC_OK) st = rl_checkpoint_resume(m, p);
  m->reference_name = "solved";
  if (st == MIMIC_OK) {
    mimic_env *e;
    if (mimic_env_make(cfg->env_id, cfg->env_opts, &e) == MIMIC_OK) {
      m->reference = mimic_env_reward_threshold(e);
      mimic_env_free(e);
    }
    st = mimic_ppo_learn(p, 0, rl_monitor_iter, m);
    if (st == MIMIC_OK && m->failed) st = mimic_errcode();
  }
  if (st == MIMIC_OK) st = rl_checkpoint_save(m, p);
  if (st == MIMIC_OK) st = rl_monitor_finish(m);
  /* data-parallel (cfg->comm): rank 0 saves and reports for the job */
  const bool writer = mimic_comm_writer(cfg->comm);
  if (st == MIMIC_OK && writer) st = rl_save_with_meta(p, out, json_incref(meta));
  int rc = st != MIMIC_OK ? cli_comm_fail(cmd, cfg->comm)
           : writer       ? rl_report(cmd, p, m, out, extra, 100)
                          : CLI_EXIT_OK;
  mimic_ppo_free(p);
  return rc;
}
