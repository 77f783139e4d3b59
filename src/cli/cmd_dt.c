/* mimic train dt: Decision Transformer from a dataset with rewards. Thin:
 * flags become a mimic_dt_config, the library learns; this file shows
 * progress, evaluates every --eval-every steps (10 episodes from seed 1000
 * at the target return), writes the CSV log, the learning curve, the
 * checkpoint and the model, and prints the final evaluation (100 episodes
 * from seed 1000, normalised where the environment has an expert). The
 * target return defaults to the dataset's ref_max_score (the expert's
 * return) and, without one, to its best episode's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "core/util.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/dt.h"
#include "mimic/env.h"
#include "mimic/nn.h"
#include "mimic/plot.h"

typedef struct dt_monitor {
  const char *env, *env_opts;
  double target;
  long eval_every;
  int eval_episodes;
  mimic_progress bar;
  mimic_dt_log *rows;
  int n_rows;
  size_t cap;
  bool failed;
} dt_monitor;

static bool on_log(mimic_dt *t, const mimic_dt_log *row, void *user) {
  dt_monitor *m = user;
  mimic_dt_log r = *row;
  if (m->eval_every > 0 && r.step % m->eval_every == 0) {
    mimic_eval_result e;
    if (mimic_dt_evaluate(t, m->env, m->env_opts, m->target, m->eval_episodes, 1000, false, &e)) {
      m->failed = true;
      return false;
    }
    r.eval_return = e.return_mean;
    mimic_eval_result_free(&e);
  }
  if (mimic_grow(&m->rows, &m->cap, (size_t)m->n_rows + 1, sizeof *m->rows, 64,
                 "the training log")) {
    m->failed = true;
    return false;
  }
  m->rows[m->n_rows++] = r;
  mimic_progress_update(&m->bar, (uint64_t)r.step);
  if (isfinite(r.eval_return))
    mimic_progress_note(&m->bar, "loss %.4f eval %.1f", r.loss, r.eval_return);
  else
    mimic_progress_note(&m->bar, "loss %.4f", r.loss);
  return true;
}

static mimic_status write_log(const char *path, const dt_monitor *m) {
  size_t cap = 128 + (size_t)m->n_rows * 128, len = 0;
  char *buf = malloc(cap);
  if (!buf) return mimic_fail_nomem("the training log");
  len += (size_t)snprintf(buf, cap, "step,loss,lr,eval_return,seconds\n");
  for (int i = 0; i < m->n_rows; i++) {
    const mimic_dt_log *r = &m->rows[i];
    len += (size_t)snprintf(buf + len, cap - len, "%ld,%.9g,%.9g,%.9g,%.3f\n", r->step, r->loss,
                            r->lr, r->eval_return, r->seconds);
  }
  mimic_status st = mimic_write_file_atomic(path, buf, len);
  free(buf);
  return st;
}

/* The learning curve: evaluation return and the training loss against
 * steps, with the target as a line. */
static mimic_status write_plot(const char *path, const char *title, const dt_monitor *m) {
  mimic_plot *p = mimic_plot_new(title, "gradient steps", "return");
  if (!p) return mimic_errcode();
  double *x = malloc((size_t)(m->n_rows + 1) * 2 * sizeof *x);
  mimic_status st = x ? MIMIC_OK : mimic_fail_nomem("a chart");
  if (!st) {
    double *ev = x + m->n_rows + 1;
    for (int i = 0; i < m->n_rows; i++) {
      x[i] = (double)m->rows[i].step;
      ev[i] = m->rows[i].eval_return;
    }
    st = mimic_plot_line(p, "evaluation", x, ev, m->n_rows, true);
    if (!st) st = mimic_plot_hline(p, "target", m->target);
    if (!st) st = mimic_plot_save(p, path);
  }
  free(x);
  mimic_plot_free(p);
  return st;
}

static void print_result(const char *out, const mimic_dt *t, double target, bool json,
                         const mimic_eval_result *r) {
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "algorithm", json_string("dt"));
    json_object_set_new(o, "policy", cli_json_str(out));
    json_object_set_new(o, "steps", json_integer(mimic_dt_steps(t)));
    json_object_set_new(o, "target_return", cli_json_number(target));
    cli_eval_json(o, r);
    cli_print_json_line(o);
    return;
  }
  printf("trained %ld steps; target %.2f: return %.2f +- %.2f over %d episodes", mimic_dt_steps(t),
         target, r->return_mean, r->return_std, r->episodes);
  if (isfinite(r->normalized_score)) printf(", normalised %.3f", r->normalized_score);
  printf("; wrote %s\n", out);
}

int cli_train_dt(int argc, char **argv) {
  const char *cmd = "train dt";
  mimic_dt_config c = mimic_dt_defaults();
  const char *env = NULL, *env_opts = NULL, *out = NULL, *data = NULL, *log = NULL, *plot = NULL,
             *ckpt = NULL;
  long long steps = 0, warmup = -1, log_every = 500, ckpt_every = 0, eval_every = 0;
  double target = NAN;
  int episodes = 100;
  bool json = false, quiet = false, resume = false;
  dt_monitor m = {.eval_episodes = 10};
  cli_opt o[] = {
      {"data", CLI_STR, &data, "DIR", "the dataset (a Minari folder with rewards)", true},
      {"o", CLI_STR, &out, "FILE", "where to write the model", true},
      {"env", CLI_STR, &env, "ID", "environment to evaluate in (default: the dataset's)"},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"steps", CLI_LONG, &steps, "N", "gradient steps (10000)"},
      {"context", CLI_INT, &c.context, "K", "steps per window (20)"},
      {"layers", CLI_INT, &c.n_layer, "N", "transformer blocks (3)"},
      {"heads", CLI_INT, &c.n_head, "N", "attention heads (1)"},
      {"embd", CLI_INT, &c.n_embd, "C", "embedding width (128)"},
      {"batch-size", CLI_INT, &c.batch_size, "B", "windows per step (64)"},
      {"lr", CLI_DOUBLE, &c.lr, "LR", "AdamW learning rate (1e-4)"},
      {"weight-decay", CLI_DOUBLE, &c.weight_decay, "W", "AdamW weight decay (1e-4)"},
      {"warmup", CLI_LONG, &warmup, "N", "steps of linear learning-rate warm-up (1000)"},
      {"return-scale", CLI_DOUBLE, &c.return_scale, "R",
       "returns-to-go are divided by it (default: the largest |episode return|)"},
      {"max-ep-len", CLI_INT, &c.max_ep_len, "N",
       "timestep embeddings (default: the longest episode)"},
      {"target-return", CLI_DOUBLE, &target, "R",
       "return asked for when acting (default: the dataset's ref_max_score, else its best)"},
      {"seed", CLI_U64, &c.seed, "S", "random seed (0)"},
      {"eval-every", CLI_LONG, &eval_every, "N", "evaluate every N steps (0: never)"},
      {"eval-episodes", CLI_INT, &m.eval_episodes, "N", "episodes per evaluation (10)"},
      {"episodes", CLI_INT, &episodes, "N", "final evaluation episodes (100)"},
      {"log", CLI_STR, &log, "FILE", "CSV row every --log-every steps"},
      {"plot", CLI_STR, &plot, "FILE", "learning curve chart (.png or .svg)"},
      {"log-every", CLI_LONG, &log_every, "N", "steps between log rows (500)"},
      {"checkpoint", CLI_STR, &ckpt, "FILE", "checkpoint file (written at the end and every N)"},
      {"checkpoint-every", CLI_LONG, &ckpt_every, "N", "steps between checkpoints"},
      {"resume", CLI_FLAG, &resume, NULL, "continue from --checkpoint if it exists"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress bar"},
      {0}};
  cli_parsed a = cli_parse(cmd,
                           "Decision Transformer (Chen et al. 2021): return-conditioned sequence "
                           "model trained on a dataset.",
                           "--data DIR -o FILE [options]", o, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  mimic_nn_set_threads(1); /* small matrices: one thread is fastest and reproducible */
  if (steps) c.steps = (long)steps;
  if (warmup >= 0) c.warmup_steps = (long)warmup;
  if (ckpt_every < 0 || (resume && !ckpt))
    return cli_usage_error(cmd, "--checkpoint-every must be >= 0 and --resume needs --checkpoint");
  if (eval_every < 0 || m.eval_episodes < 1 || episodes < 1 || log_every < 1)
    return cli_usage_error(cmd, "--eval-every >= 0, --eval-episodes, --episodes, --log-every >= 1");
  if (cli_seen(o, "target-return") && !isfinite(target))
    return cli_usage_error(cmd, "--target-return must be a finite number");
  if (mimic_dt_check(&c)) return cli_usage_error(cmd, "%s", mimic_errmsg());
  m.eval_every = (long)eval_every;
  mimic_dataset ds = {0};
  if (mimic_dataset_load(data, &ds)) return cli_fail(cmd);
  if (!env) env = ds.meta.env_id;
  if (!env) {
    mimic_dataset_free(&ds);
    return cli_usage_error(cmd, "%s names no environment: give --env", data);
  }
  mimic_dt *t = NULL;
  mimic_status st = mimic_dt_create(&c, &ds, &t);
  if (st) mimic_errctx("%s", data);
  if (!st && !isfinite(target)) {
    target = ds.meta.ref_max_score;
    if (!isfinite(target)) mimic_dt_data_returns(t, &target, NULL);
  }
  m.env = env;
  m.env_opts = env_opts;
  m.target = target;
  if (!st && resume && mimic_path_exists(ckpt)) {
    st = mimic_dt_load_checkpoint(t, ckpt);
    if (!st) MIMIC_INFO("%s: resuming from %s at step %ld", cmd, ckpt, mimic_dt_steps(t));
  }
  if (!st) {
    long every = m.eval_every > 0 && m.eval_every < log_every ? m.eval_every : (long)log_every;
    mimic_progress_begin(&m.bar, cmd, "steps", (uint64_t)c.steps);
    mimic_progress_update(&m.bar, (uint64_t)mimic_dt_steps(t));
    while (!st && !m.failed && mimic_dt_steps(t) < c.steps) {
      long left = c.steps - mimic_dt_steps(t);
      long chunk = ckpt && ckpt_every > 0 && ckpt_every < left ? (long)ckpt_every : left;
      st = mimic_dt_learn(t, chunk, every, on_log, &m);
      if (!st && ckpt) st = mimic_dt_save_checkpoint(t, ckpt);
    }
    mimic_progress_end(&m.bar);
    if (!st && m.failed) st = mimic_errcode();
  }
  if (!st && log) st = write_log(log, &m);
  if (!st && plot) {
    char title[160];
    snprintf(title, sizeof title, "Decision Transformer on %s from %s", env, data);
    st = write_plot(plot, title, &m);
  }
  if (!st) {
    json_t *meta = json_pack("{s:s, s:s, s:f}", "algorithm", "dt", "trained_on", data,
                             "target_return", target);
    char *text = meta ? json_dumps(meta, 0) : NULL;
    st = text ? mimic_dt_save(t, out, text) : mimic_fail_nomem("metadata");
    free(text);
    json_decref(meta);
  }
  if (!st) {
    mimic_eval_result r;
    st = mimic_dt_evaluate(t, env, env_opts, target, episodes, 1000, true, &r);
    if (!st) print_result(out, t, target, json, &r);
    if (!st) mimic_eval_result_free(&r);
  }
  int rc = st ? cli_fail(cmd) : CLI_EXIT_OK;
  mimic_dt_free(t);
  free(m.rows);
  mimic_dataset_free(&ds);
  return rc;
}
