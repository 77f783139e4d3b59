/* mimic train maxent-irl: maximum causal entropy IRL on a gridworld.
 *
 * The gridworld (a MiniGrid layout after reset(--env-seed)) becomes a
 * tabular MDP by simulation; the demonstrations are the built-in planner's
 * trajectories from every state (or from --demos random states); the
 * recovered reward is written as JSON (per state and per cell), drawn as a
 * heat map, and checked: how often does the policy that is optimal for it
 * take the expert's action? */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/irl.h"
#include "mimic/plot.h"
#include "mimic/rng.h"

/* The demonstrations: planner trajectories from n_demos start states (all when 0). */
static mimic_status make_demos(const mimic_tabular_mdp *m, const int32_t *expert, int n_demos,
                               int H, uint64_t seed, int32_t **st, int32_t **ac, int64_t **start,
                               int *n_traj) {
  const int S = m->n_states;
  int32_t *cand = mimic_malloc((size_t)S * sizeof *cand, "start states");
  if (!cand) return MIMIC_ERR_NOMEM;
  int nc = 0;
  for (int s = 0; s < S; s++)
    if (!m->terminal[s] && expert[s] >= 0) cand[nc++] = s;
  if (n_demos > 0 && n_demos < nc) {
    mimic_rng rng;
    mimic_rng_seed(&rng, seed);
    mimic_rng_shuffle(&rng, cand, (size_t)nc, sizeof *cand);
    nc = n_demos;
  }
  *st = mimic_malloc((size_t)nc * (H + 1) * sizeof **st, "demonstrations");
  *ac = mimic_malloc((size_t)nc * (H + 1) * sizeof **ac, "demonstrations");
  *start = mimic_malloc((size_t)(nc + 1) * sizeof **start, "demonstrations");
  mimic_status status = *st && *ac && *start ? MIMIC_OK : MIMIC_ERR_NOMEM;
  int64_t pos = 0;
  for (int k = 0; k < nc && status == MIMIC_OK; k++) {
    int n;
    (*start)[k] = pos;
    status = mimic_tabular_rollout(m, expert, cand[k], H, *st + pos, *ac + pos, &n);
    pos += n;
  }
  if (status == MIMIC_OK) (*start)[nc] = pos;
  *n_traj = nc;
  free(cand);
  return status;
}

static mimic_status write_reward(const char *path, const char *env, const mimic_tabular_mdp *m,
                                 const double *theta, const double *reward, const double *grid) {
  json_t *j = json_object(), *states = json_array(), *cells = json_array(), *th = json_array();
  json_object_set_new(j, "format", json_string("mimic-tabular-reward-1"));
  json_object_set_new(j, "env_id", json_string(env));
  json_object_set_new(j, "width", json_integer(m->width));
  json_object_set_new(j, "height", json_integer(m->height));
  for (int f = 0; f < m->n_features; f++) json_array_append_new(th, json_real(theta[f]));
  for (int s = 0; s < m->n_states; s++)
    json_array_append_new(states, json_pack("{s:i, s:i, s:i, s:f, s:b}", "x", m->cell_x[s], "y",
                                            m->cell_y[s], "dir", m->cell_dir[s], "reward",
                                            reward[s], "terminal", m->terminal[s] != 0));
  for (int y = 0; y < m->height; y++) {
    json_t *row = json_array();
    for (int x = 0; x < m->width; x++) {
      double v = grid[y * m->width + x];
      json_array_append_new(row, isfinite(v) ? json_real(v) : json_null());
    }
    json_array_append_new(cells, row);
  }
  json_object_set_new(j, "theta", th);
  json_object_set_new(j, "states", states);
  json_object_set_new(j, "cells", cells);
  char *text = json_dumps(j, JSON_INDENT(1));
  json_decref(j);
  if (!text) return mimic_fail_nomem("reward JSON");
  mimic_status st = mimic_write_file_atomic(path, text, strlen(text));
  free(text);
  return st;
}

static mimic_status write_curve(const char *log, const char *plot, const mimic_maxent_report *rep) {
  if (log) {
    mimic_atomic_file f;
    MIMIC_TRY(mimic_atomic_open(&f, log));
    fprintf(f.fp, "iteration,feature_gap,grad_max,demo_nll\n");
    for (int i = 0; i < rep->iterations; i++)
      fprintf(f.fp, "%d,%.9g,%.9g,%.9g\n", rep->curve[i].iteration, rep->curve[i].feature_gap,
              rep->curve[i].grad_max, rep->curve[i].demo_nll);
    MIMIC_TRY(mimic_atomic_commit(&f));
  }
  if (plot && rep->iterations > 0) {
    double *x = mimic_malloc(2 * (size_t)rep->iterations * sizeof *x, "plot");
    if (!x) return MIMIC_ERR_NOMEM;
    double *y = x + rep->iterations;
    for (int i = 0; i < rep->iterations; i++)
      x[i] = rep->curve[i].iteration, y[i] = rep->curve[i].feature_gap;
    mimic_plot *p = mimic_plot_new("MaxEnt IRL: feature expectation gap", "iteration",
                                   "sum |mu_expert - mu_model|");
    mimic_status st =
        p ? mimic_plot_line(p, "feature gap", x, y, rep->iterations, false) : MIMIC_ERR_NOMEM;
    if (st == MIMIC_OK) mimic_plot_log_axes(p, false, true);
    if (st == MIMIC_OK) st = mimic_plot_save(p, plot);
    mimic_plot_free(p);
    free(x);
    MIMIC_TRY(st);
  }
  return MIMIC_OK;
}

int cli_train_maxent_irl(int argc, char **argv) {
  const char *cmd = "train maxent-irl", *env = NULL, *env_opts = NULL, *features = "cell",
             *out = NULL, *heatmap = NULL, *log = NULL, *plot = NULL;
  long long env_seed = 0;
  int demos = 0;
  uint64_t seed = 0;
  bool json = false, quiet = false;
  mimic_maxent_config c = mimic_maxent_defaults();
  cli_opt o[] = {
      {"env", CLI_STR, &env, "ID",
       "a gridworld without doors or objects (MiniGrid-Empty-*, -FourRooms-v0, ...)", true},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"env-seed", CLI_LONG, &env_seed, "S", "the layout: reset(S) (default 0)"},
      {"features", CLI_STR, &features, "cell|state",
       "a reward per cell (default) or per pose (x, y, direction)"},
      {"demos", CLI_INT, &demos, "N",
       "planner demonstrations from N random states (default: every state)"},
      {"iterations", CLI_INT, &c.iterations, "N", "gradient steps (default 300)"},
      {"lr", CLI_DOUBLE, &c.lr, "LR", "Adam learning rate on the reward weights (default 0.05)"},
      {"horizon", CLI_INT, &c.horizon, "H", "horizon of the soft value iteration (default 100)"},
      {"gamma", CLI_DOUBLE, &c.gamma, "G", "discount (default 0.99)"},
      {"l2", CLI_DOUBLE, &c.l2, "W", "L2 penalty on the reward weights (default 0)"},
      {"seed", CLI_U64, &seed, "S", "seed for choosing demonstration starts (default 0)"},
      {"o", CLI_STR, &out, "FILE", "the recovered reward as JSON"},
      {"heatmap", CLI_STR, &heatmap, "FILE", "the recovered reward as a heat map (.png or .svg)"},
      {"log", CLI_STR, &log, "FILE", "per-iteration log (CSV)"},
      {"plot", CLI_STR, &plot, "FILE", "the feature gap against iterations (.png or .svg)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse(cmd, "Maximum causal entropy IRL on a gridworld with known dynamics.",
                           "--env ID [--heatmap FILE] [-o FILE] [options]", o, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  mimic_grid_features feat;
  if (strcmp(features, "cell") == 0)
    feat = MIMIC_GRID_FEATURES_CELL;
  else if (strcmp(features, "state") == 0)
    feat = MIMIC_GRID_FEATURES_STATE;
  else
    return cli_usage_error(cmd, "--features is cell or state, got '%s'", features);
  if (c.horizon < 1 || demos < 0)
    return cli_usage_error(cmd, "--horizon must be >= 1 and --demos >= 0");
  c.progress = !json && !quiet;
  mimic_tabular_mdp m;
  int32_t *expert = NULL, *st_ids = NULL, *ac_ids = NULL, *greedy = NULL;
  int64_t *start = NULL;
  double *theta = NULL, *reward = NULL, *grid = NULL;
  int n_traj = 0, rc = CLI_EXIT_FAIL;
  mimic_maxent_report rep = {0};
  mimic_status st = mimic_tabular_from_grid(env, env_opts, env_seed, feat, &m, &expert);
  if (st == MIMIC_OK)
    st = make_demos(&m, expert, demos, c.horizon, seed, &st_ids, &ac_ids, &start, &n_traj);
  if (st == MIMIC_OK) {
    theta = mimic_calloc((size_t)m.n_features, sizeof *theta, "reward weights");
    reward = mimic_malloc((size_t)m.n_states * sizeof *reward, "rewards");
    grid = mimic_malloc((size_t)m.width * m.height * sizeof *grid, "reward grid");
    greedy = mimic_malloc((size_t)m.n_states * sizeof *greedy, "greedy actions");
    if (!theta || !reward || !grid || !greedy) st = MIMIC_ERR_NOMEM;
  }
  mimic_tabular_demos d = {n_traj, st_ids, ac_ids, start};
  if (st == MIMIC_OK) st = mimic_maxent_irl(&m, &d, &c, theta, &rep);
  int n = 0, same = 0;
  if (st == MIMIC_OK) {
    mimic_tabular_reward(&m, theta, reward);
    st = mimic_value_iteration(&m, reward, c.horizon, c.gamma, NULL, greedy);
    for (int s = 0; s < m.n_states; s++)
      if (!m.terminal[s] && expert[s] >= 0) n++, same += greedy[s] == expert[s];
  }
  if (st == MIMIC_OK) st = mimic_tabular_reward_grid(&m, reward, grid);
  if (st == MIMIC_OK && heatmap) {
    char title[160];
    snprintf(title, sizeof title, "MaxEnt IRL reward, %s (seed %lld)", env, env_seed);
    st = mimic_heatmap_save_labelled(heatmap, title, "recovered reward", grid, m.height, m.width);
  }
  if (st == MIMIC_OK && out) st = write_reward(out, env, &m, theta, reward, grid);
  if (st == MIMIC_OK) st = write_curve(log, plot, &rep);
  if (st == MIMIC_OK) {
    double match = n ? (double)same / n : NAN;
    if (json) {
      json_t *o = json_object();
      json_object_set_new(o, "env", cli_json_str(env));
      json_object_set_new(o, "env_seed", json_integer(env_seed));
      json_object_set_new(o, "states", json_integer(m.n_states));
      json_object_set_new(o, "features", json_integer(m.n_features));
      json_object_set_new(o, "demonstrations", json_integer(n_traj));
      json_object_set_new(o, "iterations", json_integer(rep.iterations));
      json_object_set_new(o, "feature_gap", cli_json_number(rep.feature_gap));
      json_object_set_new(o, "demo_nll", cli_json_number(rep.demo_nll));
      json_object_set_new(o, "seconds", cli_json_number(rep.seconds));
      json_object_set_new(o, "expert_match", cli_json_number(match));
      json_object_set_new(o, "matched_states", json_integer(same));
      json_object_set_new(o, "scored_states", json_integer(n));
      cli_print_json_line(o);
    } else
      printf(
          "MaxEnt IRL on %s: %d states, %d demonstrations, %d iterations (%.2f s), feature gap "
          "%.4f; the policy "
          "optimal for the learned reward takes the expert's action in %d of %d states (%.1f%%)\n",
          env, m.n_states, n_traj, rep.iterations, rep.seconds, rep.feature_gap, same, n,
          100.0 * match);
    rc = CLI_EXIT_OK;
  } else {
    rc = cli_fail(cmd);
  }
  mimic_maxent_report_free(&rep);
  mimic_tabular_free(&m);
  free(expert), free(st_ids), free(ac_ids), free(start), free(theta), free(reward), free(grid),
      free(greedy);
  return rc;
}
