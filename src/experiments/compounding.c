/* The compounding-error experiment (see experiments/experiments.h).
 *
 * For each horizon T and seed:
 *   BC      the expert drives rounds * E episodes of horizon T
 *           (E = sample_episodes, as many as DAgger drives in all) and BC
 *           fits `labels` of their states, drawn uniformly: a sample of the
 *           expert's state distribution over the horizon.
 *   DAgger  BC on labels/rounds states of E expert episodes, then rounds-1
 *           rounds in which the learner drives E episodes of horizon T (the
 *           expert never acts: beta = 0) and the expert labels
 *           labels/rounds of the states it visited: a uniform sample by
 *           default, Ross et al.'s setting (the labels follow the learner's
 *           own state distribution), or the ones the learner was least sure
 *           of. The learner is refitted after each round.
 * Drawing labels from many episodes, rather than giving BC whole episodes,
 * keeps the number of roads a learner saw the same at every horizon: with
 * whole episodes, a fixed budget covers fewer roads as T grows, and that,
 * not compounding, dominates how BC's cost grows (docs/dagger.md).
 * Both learners then drive eval_episodes fresh episodes of horizon T; in
 * every state they reach the built-in expert is consulted (for the cost
 * only, never as a label).
 *
 * The cost of an episode is the number of its steps in which the learner's
 * action differs from the expert's; an episode that ended early (off the
 * road) adds its remaining steps, in which the learner is somewhere the
 * expert never is. Ross et al.'s bounds are on this quantity. Failures are
 * separate: a step whose reward is 0 after one that paid (the car left the
 * road or, with lanes=2, entered the oncoming lane). */
#include "experiments/compounding_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/collect.h"
#include "mimic/dagger.h"
#include "mimic/policy.h"
#include "mimic/rng.h"
#include "mimic/rollout.h"

mimic_compounding_config mimic_compounding_defaults(void) {
  mimic_compounding_config c = {.env_id = "LaneKeep-v0",
                                .n_horizons = 6,
                                .horizons = {25, 50, 100, 200, 400, 800},
                                .labels = 400,
                                .rounds = 5,
                                .query = MIMIC_QUERY_RANDOM,
                                .sample_episodes = 10,
                                .seeds = 40,
                                .eval_episodes = 50,
                                .resamples = 2000,
                                .labels_horizon = 400,
                                .labels_points = 10,
                                .seed = 0,
                                .progress = true};
  return c;
}

mimic_status mimic_compounding_check(const mimic_compounding_config *cfg) {
  if (!cfg->env_id) return mimic_fail(MIMIC_ERR_INVALID, "compounding: no environment given");
  if (cfg->n_horizons < 2 || cfg->n_horizons > MIMIC_EXPERIMENT_MAX_HORIZONS)
    return mimic_fail(MIMIC_ERR_INVALID, "compounding: give 2 to %d horizons (got %d)",
                      MIMIC_EXPERIMENT_MAX_HORIZONS, cfg->n_horizons);
  for (int i = 0; i < cfg->n_horizons; i++)
    if (cfg->horizons[i] < 1 || (i && cfg->horizons[i] <= cfg->horizons[i - 1]))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "compounding: horizons must be positive and increasing (horizon %d is %d)",
                        i + 1, cfg->horizons[i]);
  if (cfg->rounds < 2)
    return mimic_fail(MIMIC_ERR_INVALID, "compounding: DAgger needs at least 2 rounds (got %d)",
                      cfg->rounds);
  if (cfg->labels < cfg->rounds)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "compounding: give at least one label per round (%ld labels, %d rounds)",
                      cfg->labels, cfg->rounds);
  if (cfg->query != MIMIC_QUERY_RANDOM && cfg->query != MIMIC_QUERY_LEAST_CONFIDENT)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "compounding: DAgger's query is random or least-confident here");
  if (cfg->sample_episodes < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "compounding: labels are drawn from at least 1 episode");
  if (cfg->seeds < 2 || cfg->seeds > MIMIC_EXPERIMENT_MAX_SEEDS)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "compounding: give 2 to %d seeds (intervals resample them; got %d)",
                      MIMIC_EXPERIMENT_MAX_SEEDS, cfg->seeds);
  if (cfg->eval_episodes < 1 || cfg->resamples < 100)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "compounding: episodes must be >= 1 and resamples >= 100 (got %d, %d)",
                      cfg->eval_episodes, cfg->resamples);
  if (cfg->labels_horizon < 1 || cfg->labels_points < 2 ||
      cfg->labels_points > MIMIC_EXPERIMENT_MAX_POINTS)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "compounding: the labels part wants a horizon >= 1 and 2 to %d points",
                      MIMIC_EXPERIMENT_MAX_POINTS);
  return MIMIC_OK;
}

uint64_t compounding_seed(const mimic_compounding_config *cfg, int s) {
  return cfg->seed + 1000u * (uint64_t)s;
}

/* The make options of an episode of horizon T. */
static void episode_opts(const mimic_compounding_config *cfg, int T, char *buf, size_t cap) {
  snprintf(buf, cap, "%s%shorizon=%d", cfg->env_opts ? cfg->env_opts : "",
           cfg->env_opts && *cfg->env_opts ? "," : "", T);
}

static mimic_bc_config bc_settings(uint64_t seed) {
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.seed = seed;
  cfg.epochs = 50; /* a few hundred labels need more passes than imitation's default */
  return cfg;
}

static int cmp_u32(const void *a, const void *b) {
  const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* BC on `labels` states drawn uniformly, without replacement, from the
 * states of the expert's episodes in ds (the expert's state distribution
 * over the horizon); the rows keep their order in ds. */
static mimic_status fit_sample(const mimic_dataset *ds, long labels, uint64_t seed,
                               mimic_model *m) {
  const size_t n = (size_t)labels < ds->n_steps ? (size_t)labels : ds->n_steps;
  const size_t aw = (size_t)ds->act_dim;
  uint32_t *pick = mimic_malloc(ds->n_steps * sizeof *pick, "a permutation");
  uint32_t *rows = mimic_malloc(n * sizeof *rows, "observation rows");
  float *act = mimic_malloc(n * aw * sizeof *act, "actions");
  mimic_status st = pick && rows && act ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) {
    mimic_rng rng;
    mimic_rng_seed(&rng, seed ^ 0x5a3b1e);
    mimic_rng_permutation(&rng, pick, ds->n_steps);
    qsort(pick, n, sizeof *pick, cmp_u32);
    for (size_t j = 0; j < n; j++) {
      rows[j] = ds->obs_row[pick[j]];
      memcpy(act + j * aw, ds->act + (size_t)pick[j] * aw, aw * sizeof *act);
    }
    mimic_transitions t = mimic_dataset_transitions(ds);
    t.n = n;
    t.obs_row = rows;
    t.act = act;
    t.weight = NULL;
    t.rew = NULL;
    t.done = NULL;
    t.ep_start = NULL;
    t.n_episodes = 0;
    mimic_bc_config cfg = bc_settings(seed);
    if ((size_t)cfg.batch_size > n) cfg.batch_size = (int)n;
    st = mimic_bc_model_create(&cfg, &t, m);
    if (st == MIMIC_OK) {
      mimic_bc_report rep;
      st = mimic_bc_fit(&cfg, &t, m, &rep);
      mimic_bc_report_free(&rep);
      if (st) mimic_model_free(m);
    }
  }
  free(pick);
  free(rows);
  free(act);
  return st;
}

mimic_status compounding_bc(const mimic_compounding_config *cfg, int T, long labels, int episodes,
                            uint64_t seed, mimic_model *out) {
  char opts[256];
  episode_opts(cfg, T, opts, sizeof opts);
  const long need = (labels + T - 1) / T; /* enough states to draw the labels from */
  if (need > episodes) episodes = (int)need;
  mimic_dataset ds;
  MIMIC_TRY(mimic_collect_expert(cfg->env_id, opts, episodes, seed, &ds));
  mimic_status st = ds.n_steps ? fit_sample(&ds, labels, seed, out)
                               : mimic_fail(MIMIC_ERR_INVALID,
                                            "%s: the expert's episodes ended at once", cfg->env_id);
  mimic_dataset_free(&ds);
  return st;
}

mimic_status compounding_dagger(const mimic_compounding_config *cfg, int T, int rounds,
                                uint64_t seed, mimic_model *out, long *used) {
  const long per_round = cfg->labels / cfg->rounds;
  mimic_model init;
  MIMIC_TRY(compounding_bc(cfg, T, per_round, cfg->sample_episodes, seed, &init));
  *used = per_round;
  if (rounds < 2) {
    *out = init;
    return MIMIC_OK;
  }
  char opts[256];
  episode_opts(cfg, T, opts, sizeof opts);
  mimic_dagger_env_config dc = mimic_dagger_env_defaults();
  dc.env_id = cfg->env_id;
  dc.env_opts = opts;
  dc.rounds = rounds - 1;
  dc.beta = (mimic_beta_schedule){MIMIC_BETA_CONSTANT, 0};
  dc.query = (mimic_query_rule){cfg->query, 0, per_round};
  dc.min_steps = per_round;               /* enough states to spend the round's labels on */
  dc.min_episodes = cfg->sample_episodes; /* whole episodes, as BC's labels come from */
  dc.epochs = 50;
  dc.eval_episodes = 0; /* the last learner, not one picked on evaluation episodes */
  dc.seed = seed;
  dc.progress = false;
  dc.init = &init;
  mimic_bc_config bc = bc_settings(seed);
  mimic_dagger_round rows[MIMIC_EXPERIMENT_MAX_POINTS];
  int n = 0;
  mimic_status st = mimic_dagger_env_run(&dc, &bc, out, rows, MIMIC_EXPERIMENT_MAX_POINTS, &n);
  if (st == MIMIC_OK && n > 0) *used += rows[n - 1].expert_queries;
  mimic_model_free(&init);
  return st;
}

/* Per-copy counters of the episode in progress. */
typedef struct episode_tally {
  int mistakes, failures;
  bool paid; /* the last step paid (a failure is a step that stops paying) */
} episode_tally;

mimic_status compounding_measure(const mimic_compounding_config *cfg, const mimic_model *model,
                                 int T, uint64_t seed, compounding_score *out) {
  char opts[256];
  episode_opts(cfg, T, opts, sizeof opts);
  const int episodes = cfg->eval_episodes;
  mimic_rollout r;
  mimic_rollout_config rc = {
      .n = episodes < 16 ? episodes : 16, .seed = seed, .episodes = episodes};
  MIMIC_TRY(mimic_rollout_open(&r, cfg->env_id, opts, &rc));
  mimic_model copy;
  mimic_policy *p = NULL;
  mimic_status st = mimic_model_copy(model, r.n, &copy);
  if (st == MIMIC_OK) {
    st = mimic_policy_from_model(&copy, mimic_env_action_space(r.envs[0]), &p);
    if (st) mimic_model_free(&copy);
  }
  const int aw = r.act_width;
  float *expert = mimic_malloc((size_t)aw * sizeof *expert, "an action");
  episode_tally *tally = mimic_calloc((size_t)r.n, sizeof *tally, "episode counters");
  bool *stepped = mimic_calloc((size_t)r.n, sizeof *stepped, "flags");
  if (st == MIMIC_OK && (!expert || !tally || !stepped)) st = MIMIC_ERR_NOMEM;
  for (int i = 0; st == MIMIC_OK && i < r.n; i++) tally[i].paid = true;
  double cost = 0, failures = 0, failed = 0; /* sums of integers: exact in any order */
  while (st == MIMIC_OK && !mimic_rollout_done(&r)) {
    st = mimic_rollout_act(&r, p, true, NULL);
    for (int i = 0; st == MIMIC_OK && i < r.n; i++) {
      stepped[i] = r.running[i];
      if (!r.running[i]) continue;
      st = mimic_env_expert_act(r.envs[i], expert);
      tally[i].mistakes +=
          memcmp(r.actions + (size_t)i * (size_t)aw, expert, (size_t)aw * sizeof(float)) != 0;
    }
    if (st == MIMIC_OK) st = mimic_rollout_step(&r);
    for (int i = 0; st == MIMIC_OK && i < r.n; i++) {
      if (!stepped[i]) continue;
      const bool paid = r.reward[i] > 0;
      tally[i].failures += tally[i].paid && !paid;
      tally[i].paid = paid;
    }
    for (int k = 0; st == MIMIC_OK && k < r.n_end; k++) {
      const mimic_episode_end *e = &r.end[k];
      episode_tally *t = &tally[e->copy];
      cost += t->mistakes + (e->terminated ? T - e->length : 0);
      failures += t->failures;
      failed += t->failures > 0;
      *t = (episode_tally){.paid = true};
    }
  }
  out->cost = cost / episodes;
  out->failures = failures / episodes;
  out->failed = failed / episodes;
  free(expert);
  free(tally);
  free(stepped);
  mimic_policy_free(p);
  mimic_rollout_close(&r);
  return st;
}

static void arm_add(mimic_compounding_arm *a, int s, const compounding_score *sc, long labels) {
  a->per_seed[s] = sc->cost;
  a->cost += sc->cost;
  a->failures += sc->failures;
  a->failed += sc->failed;
  a->labels += labels;
}

static void arm_finish(mimic_compounding_arm *a, int seeds) {
  a->cost /= seeds;
  a->failures /= seeds;
  a->failed /= seeds;
  a->labels = (a->labels + seeds / 2) / seeds;
}

/* One seed at one horizon: both learners trained and measured. */
static mimic_status run_one(const mimic_compounding_config *cfg, mimic_compounding_row *row,
                            int s) {
  const int T = row->horizon;
  const uint64_t seed = compounding_seed(cfg, s), eval_seed = seed + 500000u;
  mimic_model m;
  compounding_score sc;
  long used;
  /* BC's expert drives as many episodes as DAgger's start and rounds do together */
  MIMIC_TRY(compounding_bc(cfg, T, cfg->labels, cfg->sample_episodes * cfg->rounds, seed, &m));
  mimic_status st = compounding_measure(cfg, &m, T, eval_seed, &sc);
  mimic_model_free(&m);
  if (st) return st;
  arm_add(&row->bc, s, &sc, cfg->labels);
  MIMIC_TRY(compounding_dagger(cfg, T, cfg->rounds, seed, &m, &used));
  st = compounding_measure(cfg, &m, T, eval_seed, &sc);
  mimic_model_free(&m);
  if (st == MIMIC_OK) arm_add(&row->dagger, s, &sc, used);
  return st;
}

/* The exponents and the intervals from the per-seed costs. */
static mimic_status fit_exponents(const mimic_compounding_config *cfg,
                                  mimic_compounding_result *out) {
  const int n = out->n, seeds = out->seeds;
  double x[MIMIC_EXPERIMENT_MAX_HORIZONS], lo[2 * MIMIC_EXPERIMENT_MAX_HORIZONS],
      hi[2 * MIMIC_EXPERIMENT_MAX_HORIZONS];
  double *y = mimic_malloc(2 * (size_t)n * (size_t)seeds * sizeof *y, "per-seed costs");
  if (!y) return MIMIC_ERR_NOMEM;
  for (int i = 0; i < n; i++) {
    x[i] = out->rows[i].horizon;
    for (int s = 0; s < seeds; s++) {
      y[(size_t)i * (size_t)seeds + (size_t)s] = out->rows[i].bc.per_seed[s];
      y[((size_t)n + (size_t)i) * (size_t)seeds + (size_t)s] = out->rows[i].dagger.per_seed[s];
    }
  }
  const double *series[2] = {y, y + (size_t)n * (size_t)seeds};
  mimic_power_fit fits[2];
  mimic_status st = mimic_power_bootstrap(x, n, seeds, series, 2, cfg->resamples,
                                          cfg->seed ^ 0xb007u, fits, &out->gap, lo, hi);
  free(y);
  if (st) return st;
  out->bc = fits[0];
  out->dagger = fits[1];
  out->overlap = mimic_power_overlap(&fits[0], &fits[1]);
  for (int i = 0; i < n; i++) {
    out->rows[i].bc.cost_lo = lo[i];
    out->rows[i].bc.cost_hi = hi[i];
    out->rows[i].dagger.cost_lo = lo[n + i];
    out->rows[i].dagger.cost_hi = hi[n + i];
  }
  return MIMIC_OK;
}

mimic_status mimic_experiment_compounding(const mimic_compounding_config *cfg,
                                          mimic_compounding_result *out) {
  memset(out, 0, sizeof *out);
  MIMIC_TRY(mimic_compounding_check(cfg));
  const double t0 = mimic_now();
  out->n = cfg->n_horizons;
  out->seeds = cfg->seeds;
  mimic_progress bar;
  mimic_progress_begin(&bar, "compounding", "run", (uint64_t)(cfg->n_horizons * cfg->seeds));
  if (!cfg->progress) bar.active = false;
  mimic_status st = MIMIC_OK;
  for (int h = 0; h < cfg->n_horizons && st == MIMIC_OK; h++) {
    mimic_compounding_row *row = &out->rows[h];
    row->horizon = cfg->horizons[h];
    for (int s = 0; s < cfg->seeds && st == MIMIC_OK; s++) {
      st = run_one(cfg, row, s);
      mimic_progress_update(&bar, (uint64_t)(h * cfg->seeds + s + 1));
    }
    arm_finish(&row->bc, cfg->seeds);
    arm_finish(&row->dagger, cfg->seeds);
  }
  mimic_progress_end(&bar);
  if (st == MIMIC_OK) st = fit_exponents(cfg, out);
  out->seconds = mimic_now() - t0;
  return st;
}
