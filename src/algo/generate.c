/* Datasets of known quality, D4RL's recipe (mimic/offpolicy.h): random
 * play, the built-in expert, a SAC policy stopped at about a third of the
 * expert's normalised score ("medium"), the whole training run that made
 * it ("medium-replay"), and half medium, half expert ("medium-expert").
 * Normalised scores are mimic eval's: random 0, expert 1 on 100 episodes
 * from seed 1000; they go into Minari's ref_min_score / ref_max_score so a
 * reader computes D4RL's normalised score from the file alone. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/collect.h"
#include "mimic/env.h"
#include "mimic/evaluate.h"
#include "mimic/offpolicy.h"
#include "mimic/policy.h"

static const char *const quality_names[] = {"random", "medium", "expert", "medium-replay",
                                            "medium-expert"};

const char *mimic_data_quality_name(mimic_data_quality q) {
  return (unsigned)q < 5 ? quality_names[q] : NULL;
}

bool mimic_data_quality_parse(const char *name, mimic_data_quality *out) {
  for (int q = 0; q < 5; q++)
    if (name && strcmp(name, quality_names[q]) == 0) {
      *out = (mimic_data_quality)q;
      return true;
    }
  return false;
}

mimic_generate_config mimic_generate_defaults(const char *env_id, mimic_data_quality kind,
                                              long transitions) {
  mimic_generate_config c = {
      .env_id = env_id,
      .kind = kind,
      .transitions = transitions,
      .medium_score = 1.0 / 3.0,
      .eval_every = 200,
      .eval_episodes = 10,
      .sac = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_SAC),
      .dqn = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_DQN),
  };
  c.sac.env_id = env_id;
  /* rl-zoo's CartPole-v1 DQN (SB3's defaults barely learn in 50000 steps) */
  mimic_offpolicy_config *d = &c.dqn;
  d->env_id = env_id;
  d->total_steps = 50000;
  d->actor_lr = d->critic_lr = 2.3e-3;
  d->batch_size = 64;
  d->buffer_size = 100000;
  d->learning_starts = 1000;
  d->target_update_interval = 10;
  d->train_freq = 256;
  d->gradient_steps = 128;
  d->exploration_fraction = 0.16;
  d->exploration_final_eps = 0.04;
  d->hidden[0] = d->hidden[1] = 256;
  if (env_id && strcmp(env_id, "MountainCarContinuous-v0") == 0) {
    /* rl-zoo's sac.yml: SAC with gSDE. The reward is sparse (+100 at the
     * flag, minus the actions' cost), and SAC's step-by-step noise never
     * pushes the car up the hill: it learns to stand still */
    mimic_offpolicy_config *s = &c.sac;
    s->use_sde = true;
    s->log_std_init = -3.67;
    s->hidden[0] = s->hidden[1] = 64;
    s->total_steps = 50000;
    s->buffer_size = 50000;
    s->batch_size = 512;
    s->ent_auto = false;
    s->ent_coef = 0.1;
    s->train_freq = s->gradient_steps = 32;
    s->gamma = 0.9999;
    s->tau = 0.01;
    s->learning_starts = 0;
  }
  return c;
}

#define REF_EPISODES 100
#define REF_SEED 1000
#define DATA_SEED_OFFSET 100000 /* recorded episodes never replay evaluation seeds */

/* Mean return of a policy on the reference episodes. */
static mimic_status score(const mimic_generate_config *c, mimic_policy *p, int episodes,
                          double *ret) {
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = episodes;
  ec.seed = REF_SEED;
  ec.normalize = false;
  ec.progress = false;
  mimic_eval_result r;
  MIMIC_TRY(mimic_evaluate(p, c->env_id, c->env_opts, &ec, &r));
  *ret = r.return_mean;
  mimic_eval_result_free(&r);
  return MIMIC_OK;
}

/* Trains SAC (DQN for Discrete actions) until a snapshot reaches the
 * medium score; returns the snapshot as a policy, and records the run's
 * episodes into replay (may be NULL). */
static mimic_status train_medium(const mimic_generate_config *c, double lo, double hi,
                                 bool discrete, mimic_dataset *replay, mimic_policy **out,
                                 mimic_generate_result *res) {
  *out = NULL;
  mimic_offpolicy_config sc = discrete ? c->dqn : c->sac;
  const char *algo = sc.use_sde ? "SAC with gSDE" : mimic_offpolicy_algo_name(sc.algo);
  sc.env_id = c->env_id;
  sc.env_opts = c->env_opts;
  sc.seed = c->seed;
  mimic_offpolicy *t;
  MIMIC_TRY(mimic_offpolicy_create(&sc, NULL, &t));
  mimic_status st = replay ? mimic_offpolicy_record(t, replay) : MIMIC_OK;
  mimic_progress bar;
  mimic_progress_begin(&bar,
                       discrete     ? "medium policy (DQN)"
                       : sc.use_sde ? "medium policy (SAC+gSDE)"
                                    : "medium policy (SAC)",
                       "steps", (uint64_t)sc.total_steps);
  if (!c->progress) bar.active = false;
  bool reached = false;
  while (!st && mimic_offpolicy_steps(t) < sc.total_steps) {
    st = mimic_offpolicy_learn(t, c->eval_every, c->eval_every, NULL, NULL);
    double ret;
    if (!st) st = mimic_offpolicy_evaluate(t, c->eval_episodes, REF_SEED, &ret, NULL);
    if (st) break;
    double s = (ret - lo) / (hi - lo);
    mimic_progress_note(&bar, "score %.2f", s);
    mimic_progress_update(&bar, (uint64_t)mimic_offpolicy_steps(t));
    if (s >= c->medium_score) {
      reached = true;
      break;
    }
  }
  mimic_progress_end(&bar);
  if (!st && !reached)
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "%s: %s did not reach a normalised score of %.2f in %ld steps; give it more "
                    "steps or a lower target",
                    c->env_id, algo, c->medium_score, sc.total_steps);
  mimic_model m;
  if (!st) st = mimic_offpolicy_actor_model(t, &m);
  if (!st) {
    mimic_env *e = NULL;
    st = mimic_env_make(c->env_id, c->env_opts, &e);
    if (!st) st = mimic_policy_from_model(&m, mimic_env_action_space(e), out);
    if (st) mimic_model_free(&m);
    mimic_env_free(e);
  }
  res->medium_steps = mimic_offpolicy_steps(t);
  mimic_offpolicy_free(t);
  if (!st) st = score(c, *out, REF_EPISODES, &res->medium_return);
  if (!st) res->medium_score = (res->medium_return - lo) / (hi - lo);
  return st;
}

/* Appends n transitions of policy to ds (episodes from seed + k), its
 * actions sampled (a Q-network's greedy action: its Q-values are no
 * probabilities). */
static mimic_status record(const mimic_generate_config *c, mimic_policy *p, bool greedy,
                           double noise, long n, uint64_t seed, mimic_dataset *ds) {
  mimic_collect_config cc = {.env_id = c->env_id,
                             .action_noise = noise,
                             .env_opts = c->env_opts,
                             .episodes = n > 0x7fffffffL ? 0x7fffffff : (int)n,
                             .seed = seed,
                             .sample = !greedy,
                             .progress = c->progress,
                             .transitions = n};
  mimic_collect_result r;
  return mimic_collect(&cc, p, ds, NULL, &r);
}

static mimic_status describe(const mimic_generate_config *c, bool discrete, mimic_dataset *ds,
                             const mimic_generate_result *res) {
  const bool medium = c->kind != MIMIC_QUALITY_RANDOM && c->kind != MIMIC_QUALITY_EXPERT;
  const double span = res->expert_return - res->random_return;
  json_t *pol = json_object();
  if (c->kind == MIMIC_QUALITY_RANDOM || c->kind == MIMIC_QUALITY_MEDIUM_REPLAY)
    json_object_set_new(
        pol, "random",
        json_pack("{s:f, s:f}", "return", res->random_return, "normalized_score", 0.0));
  if (medium)
    json_object_set_new(pol, "medium",
                        json_pack("{s:s, s:f, s:f, s:I, s:f}", "algorithm",
                                  discrete         ? "dqn"
                                  : c->sac.use_sde ? "sac-gsde"
                                                   : "sac",
                                  "return", res->medium_return, "normalized_score",
                                  res->medium_score, "train_steps", (json_int_t)res->medium_steps,
                                  "target_score", c->medium_score));
  if (c->kind == MIMIC_QUALITY_EXPERT || c->kind == MIMIC_QUALITY_MEDIUM_EXPERT)
    json_object_set_new(pol, "expert",
                        json_pack("{s:s, s:f, s:f, s:f}", "algorithm", "built-in expert", "return",
                                  res->expert_return, "normalized_score", 1.0, "action_noise",
                                  c->expert_noise));
  double data_score = (res->data_return - res->random_return) / span;
  json_t *extra =
      json_pack("{s:s, s:o, s:f, s:f, s:i, s:i}", "kind", mimic_data_quality_name(c->kind),
                "policies", pol, "data_return", isfinite(res->data_return) ? res->data_return : 0.0,
                "data_normalized_score", isfinite(data_score) ? data_score : 0.0,
                "reference_episodes", REF_EPISODES, "reference_seed", REF_SEED);
  char *text = extra ? json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(extra);
  if (!text) return mimic_fail_nomem("dataset metadata");
  char algo[64];
  snprintf(algo, sizeof algo, "mimic dataset generate (%s)", mimic_data_quality_name(c->kind));
  mimic_status st = mimic_dataset_meta_set(&ds->meta.extra_json, text);
  if (!st) st = mimic_dataset_meta_set(&ds->meta.algorithm_name, algo);
  if (!st) st = mimic_dataset_meta_set(&ds->meta.author, "mimic");
  free(text);
  ds->meta.ref_min_score = res->random_return;
  ds->meta.ref_max_score = res->expert_return;
  return st;
}

mimic_status mimic_generate_dataset(const mimic_generate_config *c, mimic_dataset *ds,
                                    mimic_generate_result *res) {
  *res = (mimic_generate_result){.medium_return = NAN, .medium_score = NAN, .data_return = NAN};
  if (!mimic_data_quality_name(c->kind))
    return mimic_fail(MIMIC_ERR_INVALID, "dataset kind %d is unknown", (int)c->kind);
  if (c->transitions < 1 && c->kind != MIMIC_QUALITY_MEDIUM_REPLAY)
    return mimic_fail(MIMIC_ERR_INVALID, "a dataset needs at least 1 transition, got %ld",
                      c->transitions);
  if (c->eval_every < 1 || c->eval_episodes < 1 || !(c->medium_score > 0))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "eval_every and eval_episodes must be >= 1 and medium_score > 0");
  if (!(c->expert_noise >= 0 && isfinite(c->expert_noise)))
    return mimic_fail(MIMIC_ERR_INVALID, "expert noise must be a finite number >= 0, got %g",
                      c->expert_noise);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = REF_EPISODES;
  ec.seed = REF_SEED;
  ec.progress = false;
  MIMIC_TRY(
      mimic_eval_references(c->env_id, c->env_opts, &ec, &res->expert_return, &res->random_return));
  const double lo = res->random_return, hi = res->expert_return;
  if (!(hi > lo))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s: the expert (%g) does not beat random play (%g): no normalised score",
                      c->env_id, hi, lo);
  mimic_env *e;
  MIMIC_TRY(mimic_env_make(c->env_id, c->env_opts, &e));
  mimic_policy *random = NULL, *expert = NULL, *medium = NULL;
  mimic_status st = mimic_policy_random(mimic_env_action_space(e), &random);
  if (!st) st = mimic_policy_builtin_expert(e, &expert);
  const int max_steps = mimic_env_max_steps(e);
  const bool discrete = mimic_env_action_space(e)->kind == MIMIC_SPACE_DISCRETE;
  const bool noisy_expert = c->expert_noise > 0 && (c->kind == MIMIC_QUALITY_EXPERT ||
                                                    c->kind == MIMIC_QUALITY_MEDIUM_EXPERT);
  if (!st && noisy_expert) st = mimic_collect_check_noise(c->env_id, mimic_env_action_space(e));
  mimic_env_free(e);
  const uint64_t seed = c->seed + DATA_SEED_OFFSET;
  const long half = c->transitions / 2;
  switch (st ? -1 : (int)c->kind) {
  case MIMIC_QUALITY_RANDOM: st = record(c, random, false, 0, c->transitions, seed, ds); break;
  case MIMIC_QUALITY_EXPERT:
    st = record(c, expert, false, c->expert_noise, c->transitions, seed, ds);
    break;
  case MIMIC_QUALITY_MEDIUM:
    st = train_medium(c, lo, hi, discrete, NULL, &medium, res);
    if (!st) st = record(c, medium, discrete, 0, c->transitions, seed, ds);
    break;
  case MIMIC_QUALITY_MEDIUM_REPLAY: st = train_medium(c, lo, hi, discrete, ds, &medium, res); break;
  case MIMIC_QUALITY_MEDIUM_EXPERT:
    st = train_medium(c, lo, hi, discrete, NULL, &medium, res);
    if (!st) st = record(c, medium, discrete, 0, c->transitions - half, seed, ds);
    if (!st)
      st = record(c, expert, false, c->expert_noise, half, seed + (uint64_t)c->transitions, ds);
    break;
  default: break;
  }
  if (!st && ds->n_episodes == 0)
    st = mimic_fail(MIMIC_ERR_INVALID, "%s: the run recorded no finished episode", c->env_id);
  if (!st) {
    double sum = 0;
    size_t n = 0;
    for (size_t k = 0; k < ds->n_episodes; k++) {
      mimic_episode ep = mimic_dataset_episode(ds, k);
      /* the episode the dataset's end cut short is no episode's return */
      if (ep.T && ep.trunc[ep.T - 1] && (max_steps <= 0 || ep.T < (size_t)max_steps)) continue;
      sum += mimic_dataset_episode_return(ds, k);
      n++;
    }
    res->data_return = n ? sum / (double)n : NAN;
    st = describe(c, discrete, ds, res);
  }
  mimic_policy_free(random);
  mimic_policy_free(expert);
  mimic_policy_free(medium);
  return st;
}
