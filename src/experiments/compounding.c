/* The compounding-error experiment (see experiments/experiments.h).
 *
 * For each horizon T and seed:
 *   BC      the expert drives episodes of horizon T until it has given
 *           `labels` actions (the last episode cut short); BC fits them.
 *   DAgger  BC on labels/rounds expert actions (the same start), then
 *           rounds-1 rounds in which the learner drives whole episodes of
 *           horizon T and the expert labels the labels/rounds states the
 *           learner was least sure of; refit after each round.
 * Both learners then drive eval_episodes fresh episodes of horizon T; in
 * every state they reach the built-in expert is consulted (for the cost
 * only, never as a label). */
#include "experiments/experiments.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/collect.h"
#include "mimic/dagger.h"
#include "mimic/plot.h"
#include "mimic/policy.h"
#include "mimic/rollout.h"

mimic_compounding_config mimic_compounding_defaults(void) {
  mimic_compounding_config c = {.env_id = "LaneKeep-v0",
                                .n_horizons = 5,
                                .horizons = {50, 100, 200, 400, 800},
                                .labels = 400,
                                .rounds = 5,
                                .seeds = 3,
                                .eval_episodes = 20,
                                .seed = 0,
                                .progress = true};
  return c;
}

/* Expert demonstrations of horizon T totalling exactly `labels` steps. */
static mimic_status demos(const char *env_id, int T, long labels, uint64_t seed,
                          mimic_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  long left = labels;
  int k = 0;
  while (left > 0) {
    int len = left < T ? (int)left : T;
    char opts[64];
    snprintf(opts, sizeof opts, "horizon=%d", len);
    mimic_dataset one;
    MIMIC_TRY(mimic_collect_expert(env_id, opts, 1, seed + (uint64_t)k, &one));
    mimic_episode ep = mimic_dataset_episode(&one, 0);
    mimic_status st =
        ds->obs_dim ? MIMIC_OK : mimic_dataset_init(ds, &one.obs_space, &one.act_space);
    if (st == MIMIC_OK) st = mimic_dataset_add_episode(ds, &ep);
    left -= (long)ep.T;
    mimic_dataset_free(&one);
    if (st) return st;
    if (ep.T == 0)
      return mimic_fail(MIMIC_ERR_INVALID, "%s: the expert's episode ended at once", env_id);
    k++;
  }
  return MIMIC_OK;
}

static mimic_status bc_learner(const mimic_dataset *ds, uint64_t seed, mimic_model *m) {
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.seed = seed;
  cfg.epochs = 50;
  if ((size_t)cfg.batch_size > ds->n_steps) cfg.batch_size = (int)ds->n_steps;
  mimic_transitions t = mimic_dataset_transitions(ds);
  MIMIC_TRY(mimic_bc_model_create(&cfg, &t, m));
  mimic_bc_report rep;
  mimic_status st = mimic_bc_fit(&cfg, &t, m, &rep);
  mimic_bc_report_free(&rep);
  if (st) mimic_model_free(m);
  return st;
}

/* The cost of model over episodes of horizon T, and its success rate. */
static mimic_status cost_of(const mimic_model *model, const char *env_id, int T, int episodes,
                            uint64_t seed, double *cost, double *lost, double *success) {
  char opts[64];
  snprintf(opts, sizeof opts, "horizon=%d", T);
  mimic_rollout r;
  mimic_rollout_config rc = {
      .n = episodes < 16 ? episodes : 16, .seed = seed, .episodes = episodes};
  MIMIC_TRY(mimic_rollout_open(&r, env_id, opts, &rc));
  mimic_model copy;
  mimic_policy *p = NULL;
  mimic_status st = mimic_model_copy(model, r.n, &copy);
  if (st == MIMIC_OK) {
    st = mimic_policy_from_model(&copy, mimic_env_action_space(r.envs[0]), &p);
    if (st) mimic_model_free(&copy);
  }
  int aw = r.act_width;
  float *expert = mimic_malloc((size_t)aw * sizeof *expert, "an action");
  int *mistakes = mimic_calloc((size_t)r.n, sizeof *mistakes, "mistake counts");
  if (st == MIMIC_OK && (!expert || !mistakes)) st = MIMIC_ERR_NOMEM;
  double total = 0, ok = 0, gone = 0; /* sums of integers: exact in any order */
  while (st == MIMIC_OK && !mimic_rollout_done(&r)) {
    st = mimic_rollout_act(&r, p, true, NULL);
    for (int i = 0; st == MIMIC_OK && i < r.n; i++) {
      if (!r.running[i]) continue;
      st = mimic_env_expert_act(r.envs[i], expert);
      mistakes[i] += st == MIMIC_OK &&
                     memcmp(r.actions + (size_t)i * (size_t)aw, expert, (size_t)aw * sizeof(float));
    }
    if (st == MIMIC_OK) st = mimic_rollout_step(&r);
    for (int k = 0; st == MIMIC_OK && k < r.n_end; k++) {
      const mimic_episode_end *e = &r.end[k];
      int left = e->terminated ? T - e->length : 0; /* steps lost after leaving the road */
      total += mistakes[e->copy] + left;
      gone += left;
      ok += !e->terminated;
      mistakes[e->copy] = 0;
    }
  }
  *cost = total / episodes;
  *lost = gone / episodes;
  *success = ok / episodes;
  free(expert);
  free(mistakes);
  mimic_policy_free(p);
  mimic_rollout_close(&r);
  return st;
}

static mimic_status dagger_learner(const mimic_compounding_config *cfg, int T,
                                   const mimic_dataset *start, uint64_t seed, mimic_model *best,
                                   long *labels) {
  mimic_model init;
  MIMIC_TRY(bc_learner(start, seed, &init));
  char opts[64];
  snprintf(opts, sizeof opts, "horizon=%d", T);
  mimic_dagger_env_config dc = mimic_dagger_env_defaults();
  dc.env_id = cfg->env_id;
  dc.env_opts = opts;
  dc.rounds = cfg->rounds - 1;
  dc.beta = (mimic_beta_schedule){MIMIC_BETA_CONSTANT, 0};
  dc.query = (mimic_query_rule){MIMIC_QUERY_LEAST_CONFIDENT, 0, cfg->labels / cfg->rounds};
  dc.min_steps = cfg->labels / cfg->rounds; /* enough states to spend the round's labels on */
  dc.min_episodes = 1;                      /* and at least one whole episode of horizon T */
  dc.epochs = 50;
  dc.eval_episodes = 0;
  dc.seed = seed;
  dc.progress = false;
  dc.init = &init;
  mimic_bc_config bc = mimic_bc_defaults();
  bc.progress = false;
  bc.seed = seed;
  mimic_dagger_round rows[64];
  int n = 0;
  mimic_status st = mimic_dagger_env_run(&dc, &bc, best, rows, 64, &n);
  *labels = (long)start->n_steps + (n ? rows[n - 1].expert_queries : 0);
  mimic_model_free(&init);
  return st;
}

static void mean_std(const double *v, int n, double *mean, double *std) {
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++) s += v[i];
  *mean = s / n;
  for (int i = 0; i < n; i++) s2 += (v[i] - *mean) * (v[i] - *mean);
  *std = n > 1 ? sqrt(s2 / (n - 1)) : 0;
}

/* Least-squares slope of log(cost) against log(T); which: 0 BC cost,
 * 1 DAgger cost, 2 BC lost steps, 3 DAgger lost steps. Horizons with a
 * cost of 0 (no failure at all) carry no slope information and are left
 * out; fewer than two usable horizons give NAN. */
static double exponent(const mimic_compounding_result *r, int which) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int n = 0;
  for (int i = 0; i < r->n; i++) {
    const mimic_compounding_row *w = &r->rows[i];
    double c = which == 0   ? w->bc_cost
               : which == 1 ? w->dagger_cost
               : which == 2 ? w->bc_lost
                            : w->dagger_lost;
    if (!(c > 0)) continue;
    double x = log((double)w->horizon), y = log(c);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    n++;
  }
  double d = n * sxx - sx * sx;
  return n >= 2 && d != 0 ? (n * sxy - sx * sy) / d : NAN;
}

mimic_status mimic_experiment_compounding(const mimic_compounding_config *cfg,
                                          mimic_compounding_result *out) {
  memset(out, 0, sizeof *out);
  if (cfg->n_horizons < 1 || cfg->n_horizons > MIMIC_EXPERIMENT_MAX_HORIZONS)
    return mimic_fail(MIMIC_ERR_INVALID, "between 1 and %d horizons",
                      MIMIC_EXPERIMENT_MAX_HORIZONS);
  if (cfg->rounds < 2) return mimic_fail(MIMIC_ERR_INVALID, "DAgger needs at least 2 rounds here");
  if (cfg->labels < cfg->rounds)
    return mimic_fail(MIMIC_ERR_INVALID, "give at least one label per round");
  if (cfg->seeds < 1 || cfg->eval_episodes < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "seeds and episodes must be >= 1");
  mimic_progress bar;
  mimic_progress_begin(&bar, "compounding", "run", (uint64_t)(cfg->n_horizons * cfg->seeds));
  if (!cfg->progress) bar.active = false;
  mimic_status st = MIMIC_OK;
  for (int h = 0; h < cfg->n_horizons && st == MIMIC_OK; h++) {
    int T = cfg->horizons[h];
    double bc_cost[64], dg_cost[64], bc_succ = 0, dg_succ = 0, bc_lab = 0, dg_lab = 0, bc_lost = 0,
                                     dg_lost = 0, lost;
    int seeds = cfg->seeds > 64 ? 64 : cfg->seeds;
    for (int s = 0; s < seeds && st == MIMIC_OK; s++) {
      uint64_t seed = cfg->seed + 1000u * (uint64_t)s;
      mimic_dataset full, start;
      double succ;
      mimic_model bc, dg;
      long dl = 0;
      st = demos(cfg->env_id, T, cfg->labels, seed, &full);
      if (st == MIMIC_OK) st = bc_learner(&full, seed, &bc);
      if (st == MIMIC_OK) {
        st = cost_of(&bc, cfg->env_id, T, cfg->eval_episodes, seed + 500000u, &bc_cost[s], &lost,
                     &succ);
        bc_succ += succ;
        bc_lost += lost;
        bc_lab += (double)full.n_steps;
        mimic_model_free(&bc);
      }
      mimic_dataset_free(&full);
      if (st == MIMIC_OK) st = demos(cfg->env_id, T, cfg->labels / cfg->rounds, seed, &start);
      if (st == MIMIC_OK) {
        st = dagger_learner(cfg, T, &start, seed, &dg, &dl);
        mimic_dataset_free(&start);
      }
      if (st == MIMIC_OK) {
        st = cost_of(&dg, cfg->env_id, T, cfg->eval_episodes, seed + 500000u, &dg_cost[s], &lost,
                     &succ);
        dg_succ += succ;
        dg_lost += lost;
        dg_lab += (double)dl;
        mimic_model_free(&dg);
      }
      mimic_progress_update(&bar, (uint64_t)(h * cfg->seeds + s + 1));
    }
    if (st) break;
    mimic_compounding_row *r = &out->rows[out->n++];
    r->horizon = T;
    mean_std(bc_cost, seeds, &r->bc_cost, &r->bc_cost_std);
    mean_std(dg_cost, seeds, &r->dagger_cost, &r->dagger_cost_std);
    r->bc_success = bc_succ / seeds;
    r->bc_lost = bc_lost / seeds;
    r->dagger_lost = dg_lost / seeds;
    r->dagger_success = dg_succ / seeds;
    r->bc_labels = (long)(bc_lab / seeds + 0.5);
    r->dagger_labels = (long)(dg_lab / seeds + 0.5);
  }
  mimic_progress_end(&bar);
  out->bc_exponent = exponent(out, 0);
  out->dagger_exponent = exponent(out, 1);
  out->bc_lost_exponent = exponent(out, 2);
  out->dagger_lost_exponent = exponent(out, 3);
  return st;
}

mimic_status mimic_compounding_plot(const mimic_compounding_result *r, const char *env_id,
                                    const char *path) {
  double x[MIMIC_EXPERIMENT_MAX_HORIZONS], bc[MIMIC_EXPERIMENT_MAX_HORIZONS],
      dg[MIMIC_EXPERIMENT_MAX_HORIZONS];
  for (int i = 0; i < r->n; i++) {
    x[i] = r->rows[i].horizon;
    bc[i] = r->rows[i].bc_cost;
    dg[i] = r->rows[i].dagger_cost;
  }
  char title[128], bc_name[64], dg_name[64];
  snprintf(title, sizeof title, "compounding error on %s (same expert labels)", env_id);
  snprintf(bc_name, sizeof bc_name, "BC (cost ~ T^%.2f)", r->bc_exponent);
  snprintf(dg_name, sizeof dg_name, "DAgger (cost ~ T^%.2f)", r->dagger_exponent);
  mimic_plot *p = mimic_plot_new(title, "horizon T (steps)", "cost (mistakes per episode)");
  if (!p) return MIMIC_ERR_NOMEM;
  mimic_plot_log_axes(p, true, true);
  mimic_status st = mimic_plot_line(p, bc_name, x, bc, r->n, true);
  if (st == MIMIC_OK) st = mimic_plot_line(p, dg_name, x, dg, r->n, true);
  if (st == MIMIC_OK) st = mimic_plot_save(p, path);
  mimic_plot_free(p);
  return st;
}
