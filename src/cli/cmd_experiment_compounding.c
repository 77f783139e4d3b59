/* mimic experiment compounding: BC against DAgger as the horizon grows, on
 * LaneKeep-v0 and on its two-lane variant (or on one task given with
 * --env), with the exponents' intervals and failures against labels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "experiments/experiments.h"

#define CMD "experiment compounding"

typedef struct task {
  const char *env_id, *env_opts;
  char name[160]; /* "LaneKeep-v0 lanes=2" */
  char slug[160]; /* "LaneKeep-v0-lanes-2", for file names */
  mimic_compounding_result horizon;
  mimic_compounding_labels_result labels;
} task;

static void task_init(task *t, const char *env_id, const char *env_opts) {
  t->env_id = env_id;
  t->env_opts = env_opts && *env_opts ? env_opts : NULL;
  snprintf(t->name, sizeof t->name, "%s%s%s", env_id, t->env_opts ? " " : "",
           t->env_opts ? t->env_opts : "");
  snprintf(t->slug, sizeof t->slug, "%s", t->name);
  for (char *c = t->slug; *c; c++)
    if (*c == ' ' || *c == ',' || *c == '=' || *c == '/') *c = '-';
}

static int parse_horizons(const char *text, mimic_compounding_config *cfg) {
  int n = 0;
  const char *p = text;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > 1000000 || n >= MIMIC_EXPERIMENT_MAX_HORIZONS ||
        (*end && *end != ','))
      return cli_usage_error(CMD, "--horizons wants 2 to %d positive integers, got '%s'",
                             MIMIC_EXPERIMENT_MAX_HORIZONS, text);
    cfg->horizons[n++] = (int)v;
    p = *end == ',' ? end + 1 : end;
  }
  cfg->n_horizons = n;
  return CLI_EXIT_OK;
}

static const char *interval_text(const mimic_power_fit *f, char *buf, size_t cap) {
  if (!isfinite(f->k))
    snprintf(buf, cap, "not fitted");
  else if (!isfinite(f->lo))
    snprintf(buf, cap, "%.2f [n/a]", f->k);
  else
    snprintf(buf, cap, "%.2f [%.2f, %.2f]", f->k, f->lo, f->hi);
  return buf;
}

static void print_task(const task *t, const mimic_compounding_config *cfg, bool labels_part) {
  const mimic_compounding_result *r = &t->horizon;
  printf("== %s: %ld expert labels per method, %d seeds x %d episodes (%.0f s)\n", t->name,
         cfg->labels, cfg->seeds, cfg->eval_episodes, r->seconds);
  printf("%7s  %24s %8s %7s  %24s %8s %7s\n", "horizon", "BC cost [95% interval]", "fail/ep",
         "failed", "DAgger cost [95% interval]", "fail/ep", "failed");
  for (int i = 0; i < r->n; i++) {
    const mimic_compounding_arm *b = &r->rows[i].bc, *d = &r->rows[i].dagger;
    printf("%7d  %7.1f [%6.1f, %6.1f] %8.3f %6.0f%%  %7.1f [%6.1f, %6.1f] %8.3f %6.0f%%\n",
           r->rows[i].horizon, b->cost, b->cost_lo, b->cost_hi, b->failures, 100 * b->failed,
           d->cost, d->cost_lo, d->cost_hi, d->failures, 100 * d->failed);
  }
  char a[64], b[64], g[64];
  printf("cost ~ T^k:  BC k = %s,  DAgger k = %s,  BC - DAgger = %s:  intervals %s\n",
         interval_text(&r->bc, a, sizeof a), interval_text(&r->dagger, b, sizeof b),
         interval_text(&r->gap, g, sizeof g), r->overlap ? "overlap" : "do not overlap");
  if (!labels_part) return;
  const mimic_compounding_labels_result *l = &t->labels;
  printf("failures per episode at T = %d against expert labels (%.0f s)\n", l->horizon, l->seconds);
  printf("%7s  %24s  %24s\n", "labels", "BC [95% interval]", "DAgger [95% interval]");
  for (int i = 0; i < l->n; i++)
    printf("%7ld  %7.3f [%6.3f, %6.3f]  %7.3f [%6.3f, %6.3f]\n", l->labels[i], l->bc[i],
           l->bc_lo[i], l->bc_hi[i], l->dagger[i], l->dagger_lo[i], l->dagger_hi[i]);
}

static void print_summary(const task *tasks, int n) {
  printf("\n== exponents of cost ~ T^k with 95%% bootstrap intervals over seeds\n");
  printf("%-24s %20s %20s %20s  %s\n", "task", "BC", "DAgger", "BC - DAgger", "intervals");
  for (int i = 0; i < n; i++) {
    const mimic_compounding_result *r = &tasks[i].horizon;
    char a[64], b[64], g[64];
    printf("%-24s %20s %20s %20s  %s\n", tasks[i].name, interval_text(&r->bc, a, sizeof a),
           interval_text(&r->dagger, b, sizeof b), interval_text(&r->gap, g, sizeof g),
           r->overlap ? "overlap" : "do not overlap");
  }
}

static json_t *json_fit(const mimic_power_fit *f) {
  json_t *o = json_object();
  json_object_set_new(o, "k", cli_json_number(f->k));
  json_object_set_new(o, "lo", cli_json_number(f->lo));
  json_object_set_new(o, "hi", cli_json_number(f->hi));
  return o;
}

static json_t *json_arm(const mimic_compounding_arm *a) {
  json_t *o = json_object();
  json_object_set_new(o, "cost", cli_json_number(a->cost));
  json_object_set_new(o, "cost_lo", cli_json_number(a->cost_lo));
  json_object_set_new(o, "cost_hi", cli_json_number(a->cost_hi));
  json_object_set_new(o, "failures", cli_json_number(a->failures));
  json_object_set_new(o, "failed", cli_json_number(a->failed));
  json_object_set_new(o, "labels", json_integer(a->labels));
  return o;
}

/* "name": [..], "name_lo": [..], "name_hi": [..] into o */
static void json_band(json_t *o, const char *name, const double *mean, const double *lo,
                      const double *hi, int n) {
  const double *v[3] = {mean, lo, hi};
  const char *suffix[3] = {"", "_lo", "_hi"};
  for (int k = 0; k < 3; k++) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, cli_json_number(v[k][i]));
    char key[64];
    snprintf(key, sizeof key, "%s%s", name, suffix[k]);
    json_object_set_new(o, key, a);
  }
}

static void print_json(const task *tasks, int n, const mimic_compounding_config *cfg,
                       bool labels_part, const char *out_dir) {
  json_t *o = json_object(), *ts = json_array();
  json_object_set_new(o, "labels", json_integer(cfg->labels));
  json_object_set_new(o, "seeds", json_integer(cfg->seeds));
  json_object_set_new(o, "episodes", json_integer(cfg->eval_episodes));
  for (int i = 0; i < n; i++) {
    const mimic_compounding_result *r = &tasks[i].horizon;
    json_t *t = json_object(), *rows = json_array();
    json_object_set_new(t, "task", cli_json_str(tasks[i].name));
    json_object_set_new(t, "env", cli_json_str(tasks[i].env_id));
    json_object_set_new(t, "env_opts", cli_json_str(tasks[i].env_opts ? tasks[i].env_opts : ""));
    json_object_set_new(t, "seconds", cli_json_number(r->seconds));
    json_object_set_new(t, "bc_exponent", json_fit(&r->bc));
    json_object_set_new(t, "dagger_exponent", json_fit(&r->dagger));
    json_object_set_new(t, "gap", json_fit(&r->gap));
    json_object_set_new(t, "overlap", json_boolean(r->overlap));
    for (int j = 0; j < r->n; j++) {
      json_t *row = json_object();
      json_object_set_new(row, "horizon", json_integer(r->rows[j].horizon));
      json_object_set_new(row, "bc", json_arm(&r->rows[j].bc));
      json_object_set_new(row, "dagger", json_arm(&r->rows[j].dagger));
      json_array_append_new(rows, row);
    }
    json_object_set_new(t, "rows", rows);
    if (labels_part) {
      const mimic_compounding_labels_result *l = &tasks[i].labels;
      json_t *f = json_object(), *ls = json_array();
      json_object_set_new(f, "horizon", json_integer(l->horizon));
      for (int j = 0; j < l->n; j++) json_array_append_new(ls, json_integer(l->labels[j]));
      json_object_set_new(f, "labels", ls);
      json_band(f, "bc", l->bc, l->bc_lo, l->bc_hi, l->n);
      json_band(f, "dagger", l->dagger, l->dagger_lo, l->dagger_hi, l->n);
      json_object_set_new(f, "seconds", cli_json_number(l->seconds));
      json_object_set_new(t, "failures_against_labels", f);
    }
    json_array_append_new(ts, t);
  }
  json_object_set_new(o, "tasks", ts);
  json_object_set_new(o, "out", cli_json_str(out_dir ? out_dir : ""));
  cli_print_json_line(o);
}

/* Runs both parts on one task and draws its charts into out_dir. */
static int run_task(task *t, mimic_compounding_config cfg, bool labels_part, const char *out_dir) {
  cfg.env_id = t->env_id;
  cfg.env_opts = t->env_opts;
  if (mimic_experiment_compounding(&cfg, &t->horizon)) return cli_fail(CMD);
  if (labels_part && mimic_experiment_compounding_labels(&cfg, &t->labels)) return cli_fail(CMD);
  if (!out_dir) return CLI_EXIT_OK;
  char path[512];
  snprintf(path, sizeof path, "%s/cost-%s.png", out_dir, t->slug);
  if (mimic_compounding_plot(&t->horizon, t->name, path)) return cli_fail(CMD);
  snprintf(path, sizeof path, "%s/failures-%s.png", out_dir, t->slug);
  if (labels_part && mimic_compounding_labels_plot(&t->labels, t->name, path)) return cli_fail(CMD);
  return CLI_EXIT_OK;
}

int cmd_experiment_compounding(int argc, char **argv) {
  mimic_compounding_config cfg = mimic_compounding_defaults();
  const char *env = NULL, *env_opts = NULL, *horizons = NULL, *query = "random";
  const char *out_dir = "compounding";
  long long labels = cfg.labels;
  bool json = false, quiet = false, no_labels = false, no_plots = false;
  cli_opt opts[] = {
      {"env", CLI_STR, &env, "ID",
       "one task: an environment with a horizon=T option (default: LaneKeep-v0, then LaneKeep-v0 "
       "with lanes=2)"},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "its make options (with --env)"},
      {"horizons", CLI_STR, &horizons, "T,T,..", "horizons (default 25,50,100,200,400,800)"},
      {"labels", CLI_LONG, &labels, "N", "expert labels per method and horizon (default 400)"},
      {"rounds", CLI_INT, &cfg.rounds, "R",
       "DAgger: BC on N/R labels, then R-1 rounds of N/R (default 5)"},
      {"query", CLI_STR, &query, "RULE",
       "which visited states DAgger labels: random (default) or least-confident"},
      {"sample-episodes", CLI_INT, &cfg.sample_episodes, "E",
       "labels are drawn from the states of E episodes: the expert's (BC), the learner's (each "
       "DAgger round) (default 10)"},
      {"seeds", CLI_INT, &cfg.seeds, "S", "repetitions, resampled for the intervals (default 40)"},
      {"episodes", CLI_INT, &cfg.eval_episodes, "E",
       "evaluation episodes per horizon, method and seed (default 50)"},
      {"resamples", CLI_INT, &cfg.resamples, "B", "bootstrap resamples (default 2000)"},
      {"labels-horizon", CLI_INT, &cfg.labels_horizon, "T",
       "failures against labels: the horizon (default 400)"},
      {"labels-points", CLI_INT, &cfg.labels_points, "P",
       "failures against labels: N/R, 2N/R, .. P N/R labels (default 10)"},
      {"no-labels-part", CLI_FLAG, &no_labels, NULL, "skip failures against labels"},
      {"out", CLI_STR, &out_dir, "DIR", "folder for the charts (default compounding)"},
      {"no-plots", CLI_FLAG, &no_plots, NULL, "draw no charts"},
      {"seed", CLI_U64, &cfg.seed, "S", "first seed (default 0)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse(
      CMD, "Behavioral cloning against DAgger with the same expert labels, as the horizon grows.",
      "[options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  cfg.labels = labels;
  cfg.progress = !json && !quiet;
  if (horizons && parse_horizons(horizons, &cfg)) return CLI_EXIT_USAGE;
  if (!strcmp(query, "random"))
    cfg.query = MIMIC_QUERY_RANDOM;
  else if (!strcmp(query, "least-confident"))
    cfg.query = MIMIC_QUERY_LEAST_CONFIDENT;
  else
    return cli_usage_error(CMD, "--query is random or least-confident, got '%s'", query);
  if (env_opts && !env) return cli_usage_error(CMD, "--env-opts goes with --env");
  if (mimic_compounding_check(&cfg)) return cli_usage_error(CMD, "%s", mimic_errmsg());
  if (no_plots) out_dir = NULL;
  if (out_dir && mimic_mkdirs(out_dir)) return cli_fail(CMD);
  static task tasks[2];
  int n = 0;
  if (env) {
    task_init(&tasks[n++], env, env_opts);
  } else {
    task_init(&tasks[n++], "LaneKeep-v0", NULL);
    task_init(&tasks[n++], "LaneKeep-v0", "lanes=2");
  }
  const double t0 = mimic_now();
  for (int i = 0; i < n; i++) {
    int rc = run_task(&tasks[i], cfg, !no_labels, out_dir);
    if (rc) return rc;
    if (!json) {
      print_task(&tasks[i], &cfg, !no_labels);
      printf("\n");
      fflush(stdout);
    }
  }
  if (json) {
    print_json(tasks, n, &cfg, !no_labels, out_dir);
    return CLI_EXIT_OK;
  }
  printf("cost: steps in which the learner's action differs from the expert's, over episodes it "
         "drives\n(a step after it ended an episode early counts as one); failures: steps at "
         "which the task\nstops paying (the car leaves the road or, with lanes=2, enters the "
         "oncoming lane)\n");
  print_summary(tasks, n);
  if (out_dir) printf("charts in %s/ (cost-*.png, failures-*.png)\n", out_dir);
  printf("%.0f s in all\n", mimic_now() - t0);
  return CLI_EXIT_OK;
}
