/* mimic experiment offline: every offline algorithm (and BC) on every
 * dataset kind of one environment, over seeds; prints D4RL's table of
 * normalised scores (mean ± std over seeds, random 0, expert 1) and draws
 * it (one line per algorithm across the kinds, a band of ± std). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "experiments/experiments.h"
#include "mimic/env.h"
#include "mimic/offpolicy.h"
#include "mimic/plot.h"

static const char *algo_label(int a) {
  return a == MIMIC_EXP_OFFLINE_BC   ? "bc"
         : a == MIMIC_EXP_OFFLINE_DT ? "dt"
                                     : mimic_offpolicy_algo_name((mimic_offpolicy_algo)a);
}

/* One cell's normalised scores, seed 0 first, for those who want the spread
 * itself and not only its summary. */
static json_t *seed_scores(const double *v, int n) {
  json_t *a = json_array();
  for (int i = 0; i < n; i++) json_array_append_new(a, cli_json_number(v[i]));
  return a;
}

static void mean_std(const double *v, int n, double *mean, double *std) {
  double s = 0, q = 0;
  for (int i = 0; i < n; i++) s += v[i];
  *mean = s / n;
  for (int i = 0; i < n; i++) q += (v[i] - *mean) * (v[i] - *mean);
  *std = n > 1 ? sqrt(q / (n - 1)) : 0; /* the sample std */
}

static mimic_status draw(const char *path, const mimic_exp_offline_config *c,
                         const double *scores) {
  char xlabel[256] = "dataset:";
  for (int k = 0; k < c->n_kinds; k++) {
    size_t len = strlen(xlabel);
    snprintf(xlabel + len, sizeof xlabel - len, "%s %d %s", k ? "," : "", k,
             mimic_data_quality_name((mimic_data_quality)c->kinds[k]));
  }
  mimic_plot *p =
      mimic_plot_new(c->env_id, xlabel, "normalised score (mean, band: ± std over seeds)");
  if (!p) return mimic_errcode();
  double x[8], m[8], lo[8], hi[8];
  mimic_status st = MIMIC_OK;
  for (int a = 0; !st && a < c->n_algos; a++) {
    for (int k = 0; k < c->n_kinds; k++) {
      double sd;
      x[k] = k;
      mean_std(scores + ((size_t)a * c->n_kinds + k) * c->seeds, c->seeds, &m[k], &sd);
      lo[k] = m[k] - sd;
      hi[k] = m[k] + sd;
    }
    st = mimic_plot_line(p, algo_label(c->algos[a]), x, m, c->n_kinds, true);
    if (!st && c->seeds > 1) st = mimic_plot_band(p, x, lo, hi, c->n_kinds);
  }
  if (!st) st = mimic_plot_hline(p, "expert", 1.0);
  if (!st) st = mimic_plot_save(p, path);
  mimic_plot_free(p);
  return st;
}

int cmd_experiment_offline(int argc, char **argv) {
  const char *cmd = "experiment offline", *env = NULL, *env_opts = NULL, *plot = NULL,
             *kinds = "random,medium,medium-replay,medium-expert,expert", *algos = NULL,
             *hidden = NULL;
  long long target_every = 0;
  double cql_lr = 0, expert_noise = 0;
  long long n = 10000, steps = 10000, eval_every = 200;
  int seeds = 3, episodes = 20;
  uint64_t first_seed = 0;
  bool json = false, quiet = false;
  mimic_dt_config dt = mimic_dt_defaults();
  long long dt_steps = 0, dt_warmup = 1000;
  cli_opt o[] = {
      {"env", CLI_STR, &env, "ID", "environment id", true},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"kinds", CLI_STR, &kinds, "K,K", "dataset kinds (all five)"},
      {"algos", CLI_STR, &algos, "A,A",
       "bc, td3bc, iql, cql, dt (bc,td3bc,iql,cql; Discrete actions: bc and cql, d3rlpy's "
       "discrete ones)"},
      {"target-update-interval", CLI_LONG, &target_every, "N",
       "discrete CQL's target interval (8000)"},
      {"cql-lr", CLI_DOUBLE, &cql_lr, "LR", "discrete CQL's learning rate (6.25e-5)"},
      {"seeds", CLI_INT, &seeds, "N", "how many seeds (3)"},
      {"seed", CLI_U64, &first_seed, "S", "the first seed: S..S+N-1 (0)"},
      {"transitions", CLI_LONG, &n, "N", "transitions per dataset (10000)"},
      {"steps", CLI_LONG, &steps, "N", "gradient steps per offline learner (10000)"},
      {"eval-every", CLI_LONG, &eval_every, "N", "SAC steps between medium snapshots (200)"},
      {"expert-noise", CLI_DOUBLE, &expert_noise, "S",
       "Box actions: the expert's data sampled with Gaussian noise of std S half-ranges (0)"},
      {"episodes", CLI_INT, &episodes, "N", "evaluation episodes from seed 1000 (20)"},
      {"hidden", CLI_STR, &hidden, "N,N", "widths of every network (each one's default)"},
      {"dt-steps", CLI_LONG, &dt_steps, "N", "the Decision Transformer's steps (--steps)"},
      {"dt-context", CLI_INT, &dt.context, "K", "its context (20)"},
      {"dt-layers", CLI_INT, &dt.n_layer, "N", "its blocks (3)"},
      {"dt-embd", CLI_INT, &dt.n_embd, "C", "its width (128)"},
      {"dt-lr", CLI_DOUBLE, &dt.lr, "LR", "its learning rate (1e-4)"},
      {"dt-warmup", CLI_LONG, &dt_warmup, "N", "its warm-up steps (1000)"},
      {"plot", CLI_STR, &plot, "FILE", "chart of the table (.png or .svg)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse(cmd, "Offline RL and BC on every dataset kind (D4RL's table).",
                           "--env ID [options]", o, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  mimic_nn_set_threads(1);
  mimic_exp_offline_config c = {.env_id = env,
                                .env_opts = env_opts,
                                .seeds = seeds,
                                .first_seed = first_seed,
                                .transitions = (long)n,
                                .steps = (long)steps,
                                .eval_every = (long)eval_every,
                                .expert_noise = expert_noise,
                                .eval_episodes = episodes,
                                .target_update_interval = (long)target_every,
                                .cql_lr = cql_lr,
                                .progress = !json && !quiet};
  if (!algos) {
    mimic_env *e = NULL;
    if (mimic_env_make(env, env_opts, &e)) return cli_fail(cmd);
    algos = mimic_env_action_space(e)->kind == MIMIC_SPACE_DISCRETE ? "bc,cql" : "bc,td3bc,iql,cql";
    mimic_env_free(e);
  }
  char buf[256];
  snprintf(buf, sizeof buf, "%s", kinds);
  for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
    mimic_data_quality q;
    if (c.n_kinds == 8 || !mimic_data_quality_parse(s, &q))
      return cli_usage_error(cmd, "--kinds: '%s' is not a dataset kind", s);
    c.kinds[c.n_kinds++] = (int)q;
  }
  snprintf(buf, sizeof buf, "%s", algos);
  for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
    mimic_offpolicy_algo al;
    if (c.n_algos == 8) return cli_usage_error(cmd, "--algos: at most 8");
    if (strcmp(s, "bc") == 0)
      c.algos[c.n_algos++] = MIMIC_EXP_OFFLINE_BC;
    else if (strcmp(s, "dt") == 0)
      c.algos[c.n_algos++] = MIMIC_EXP_OFFLINE_DT;
    else if (mimic_offpolicy_algo_parse(s, &al) && mimic_offpolicy_is_offline(al))
      c.algos[c.n_algos++] = (int)al;
    else
      return cli_usage_error(cmd, "--algos: '%s' is not bc, td3bc, iql, cql or dt", s);
  }
  if (hidden && !cli_parse_hidden(hidden, c.hidden, &c.n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--hidden wants widths like 256,256, got '%s'", hidden);
  dt.steps = (long)dt_steps;
  dt.warmup_steps = (long)dt_warmup;
  if (mimic_dt_check(&dt)) return cli_usage_error(cmd, "--dt-*: %s", mimic_errmsg());
  c.dt = dt;
  if (seeds < 1 || steps < 1 || episodes < 1 || eval_every < 1 || target_every < 0 || cql_lr < 0)
    return cli_usage_error(cmd, "--seeds, --steps, --episodes and --eval-every must be >= 1, "
                                "--target-update-interval and --cql-lr >= 0");
  size_t cells = (size_t)c.n_algos * c.n_kinds * c.seeds;
  double *scores = calloc(cells + (size_t)c.n_kinds * c.seeds, sizeof *scores);
  if (!scores) return cli_fail(cmd);
  double *data = scores + cells;
  mimic_status st = mimic_exp_offline_run(&c, scores, data);
  if (!st && plot) st = draw(plot, &c, scores);
  if (st) {
    free(scores);
    return cli_fail(cmd);
  }
  json_t *scores_json = json ? json_object() : NULL, *seeds_json = json ? json_object() : NULL;
  if (!json) {
    printf("normalised scores on %s (random 0, expert 1), mean ± std over %d seed%s\n", env, seeds,
           seeds > 1 ? "s" : "");
    printf("%-14s %-14s", "dataset", "data");
    for (int i = 0; i < c.n_algos; i++) printf(" %-14s", algo_label(c.algos[i]));
    printf("\n");
  }
  for (int k = 0; k < c.n_kinds; k++) {
    double mu, sd;
    mean_std(data + (size_t)k * c.seeds, c.seeds, &mu, &sd);
    const char *kn = mimic_data_quality_name((mimic_data_quality)c.kinds[k]);
    json_t *row = NULL, *seed_row = NULL;
    if (json) {
      row = json_object();
      json_object_set_new(row, "data",
                          json_pack("[o, o]", cli_json_number(mu), cli_json_number(sd)));
      json_object_set_new(scores_json, kn, row);
      seed_row = json_object();
      json_object_set_new(seed_row, "data", seed_scores(data + (size_t)k * c.seeds, c.seeds));
      json_object_set_new(seeds_json, kn, seed_row);
    } else
      printf("%-14s %6.3f ± %-5.3f", kn, mu, sd);
    for (int i = 0; i < c.n_algos; i++) {
      const double *cell = scores + ((size_t)i * c.n_kinds + k) * c.seeds;
      mean_std(cell, c.seeds, &mu, &sd);
      if (json) {
        json_object_set_new(row, algo_label(c.algos[i]),
                            json_pack("[o, o]", cli_json_number(mu), cli_json_number(sd)));
        json_object_set_new(seed_row, algo_label(c.algos[i]), seed_scores(cell, c.seeds));
      } else
        printf(" %6.3f ± %-5.3f", mu, sd);
    }
    if (!json) printf("\n");
  }
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "env", cli_json_str(env));
    json_object_set_new(o, "seeds", json_integer(seeds));
    json_object_set_new(o, "scores", scores_json);
    json_object_set_new(o, "per_seed", seeds_json);
    cli_print_json_line(o);
  }
  free(scores);
  return CLI_EXIT_OK;
}
