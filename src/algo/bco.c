/* Behavioral cloning from observation (mimic/bco.h).
 *
 * The inverse dynamics model is an ordinary BC model whose "observation" is
 * the pair (s, s') laid side by side, so mimic_bc_fit trains it and a
 * network policy answers for it; the clone is BC on the demonstrations'
 * observations with the inferred actions. Both are refitted from scratch
 * with fixed seeds each round, so a round's result depends only on the
 * data gathered so far. */
#include "mimic/bco.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/rollout.h"
#include "core/util.h"

enum { CHUNK = 256 }; /* rows per inference call */

/* What the agent did: (s, s') rows and the actions between them. */
typedef struct idm_data {
  size_t n, cap;
  int D, aw;
  float *pairs; /* (cap, 2D) */
  float *act;   /* (cap, aw) */
} idm_data;

static mimic_status idm_reserve(idm_data *d, size_t n) {
  if (n <= d->cap) return MIMIC_OK;
  size_t cap = d->cap ? d->cap : 1024;
  while (cap < n) cap *= 2;
  float *p = realloc(d->pairs, cap * 2 * (size_t)d->D * sizeof *p);
  if (p) d->pairs = p;
  float *a = realloc(d->act, cap * (size_t)d->aw * sizeof *a);
  if (a) d->act = a;
  if (!p || !a) return mimic_fail_nomem("inverse dynamics data");
  d->cap = cap;
  return MIMIC_OK;
}

mimic_bco_config mimic_bco_defaults(const char *env_id) {
  mimic_bco_config c = {.env_id = env_id,
                        .policy = mimic_bc_defaults(),
                        .idm = mimic_bc_defaults(),
                        .pre_steps = 10000,
                        .alpha = 0.1,
                        .iterations = 5,
                        .n_envs = 8};
  c.idm.n_hidden = 2;
  c.idm.hidden[0] = c.idm.hidden[1] = 64;
  c.idm.activation = MIMIC_ACT_RELU;
  return c;
}

mimic_status mimic_bco_check(const mimic_bco_config *c) {
  if (!c->env_id) return mimic_fail(MIMIC_ERR_INVALID, "BCO needs an environment id");
  if (c->pre_steps < 1 || c->pre_steps > (1L << 31))
    return mimic_fail(MIMIC_ERR_INVALID, "pre_steps must be 1..2^31 interactions");
  if (!(c->alpha >= 0 && c->alpha <= 100))
    return mimic_fail(MIMIC_ERR_INVALID, "alpha must be in [0, 100]");
  if (c->iterations < 0 || c->iterations > 10000)
    return mimic_fail(MIMIC_ERR_INVALID, "iterations must be 0..10000");
  if (c->iterations > 0 && c->alpha * (double)c->pre_steps < 1)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "alpha x pre_steps is below one interaction: iterations would learn nothing");
  if (c->n_envs < 1 || c->n_envs > 4096)
    return mimic_fail(MIMIC_ERR_INVALID, "n_envs must be 1..4096");
  return MIMIC_OK;
}

/* Steps the rollout with policy (sampling) for at least steps steps,
 * recording every transition; *mean_return gets the mean return of the
 * episodes that ended meanwhile (NAN if none). */
static mimic_status interact(mimic_rollout *r, mimic_policy *policy, long steps, mimic_rng *rng,
                             idm_data *d, long *taken, double *mean_return) {
  const size_t D = (size_t)d->D, aw = (size_t)d->aw;
  const long episodes0 = r->log.episodes;
  const double return0 = r->log.return_sum;
  for (long done = 0; done < steps; done += r->n) {
    MIMIC_TRY(idm_reserve(d, d->n + (size_t)r->n));
    MIMIC_TRY(mimic_rollout_act(r, policy, false, rng));
    for (int i = 0; i < r->n; i++) {
      memcpy(d->pairs + (d->n + (size_t)i) * 2 * D, r->obs + (size_t)i * D, D * sizeof(float));
      memcpy(d->act + (d->n + (size_t)i) * aw, r->actions + (size_t)i * aw, aw * sizeof(float));
    }
    MIMIC_TRY(mimic_rollout_step(r));
    for (int i = 0; i < r->n; i++) {
      const bool ended = r->terminated[i] || r->truncated[i];
      memcpy(d->pairs + (d->n + (size_t)i) * 2 * D + D,
             (ended ? r->final_obs : r->obs) + (size_t)i * D, D * sizeof(float));
    }
    d->n += (size_t)r->n;
    *taken += r->n;
  }
  const long ended = r->log.episodes - episodes0;
  *mean_return = ended > 0 ? (r->log.return_sum - return0) / (double)ended : NAN;
  return MIMIC_OK;
}

/* Fits a fresh BC model on t. */
static mimic_status fit(const mimic_bc_config *cfg, const mimic_transitions *t, mimic_model *m) {
  MIMIC_TRY(mimic_bc_model_create(cfg, t, m));
  mimic_bc_report rep = {0};
  mimic_status st = mimic_bc_fit(cfg, t, m, &rep);
  mimic_bc_report_free(&rep);
  if (st) mimic_model_free(m);
  return st;
}

/* Deterministic actions of model for n rows of obs (model is copied). */
static mimic_status predict(const mimic_model *model, const mimic_space *as, const float *obs,
                            int obs_dim, size_t n, int aw, float *actions) {
  mimic_model copy;
  MIMIC_TRY(mimic_model_copy(model, CHUNK, &copy));
  mimic_policy *p;
  MIMIC_TRY(mimic_policy_from_model(&copy, as, &p));
  mimic_status st = MIMIC_OK;
  for (size_t s = 0; s < n && st == MIMIC_OK; s += CHUNK) {
    mimic_act_batch b = {.n = (int)(n - s < CHUNK ? n - s : CHUNK),
                         .obs = obs + s * (size_t)obs_dim,
                         .actions = actions + s * (size_t)aw,
                         .deterministic = true};
    st = mimic_policy_act(p, &b);
  }
  mimic_policy_free(p);
  return st;
}

/* The share of demonstrated actions the model inferred (NAN without actions). */
static double agreement(const mimic_dataset *demos, const mimic_space *as, const float *inferred) {
  if (!mimic_dataset_has_actions(demos)) return NAN;
  const int aw = demos->act_dim;
  size_t right = 0;
  for (size_t j = 0; j < demos->n_steps; j++) {
    const float *a = demos->act + j * (size_t)aw, *b = inferred + j * (size_t)aw;
    bool ok = true;
    for (int k = 0; k < aw && ok; k++) {
      if (as->kind == MIMIC_SPACE_DISCRETE) {
        ok = a[k] == b[k];
      } else {
        const double range = as->high && as->low && isfinite(as->high[k] - as->low[k])
                                 ? as->high[k] - as->low[k]
                                 : 1.0;
        ok = fabs(a[k] - b[k]) <= 0.1 * range;
      }
    }
    right += ok;
  }
  return demos->n_steps ? (double)right / (double)demos->n_steps : NAN;
}

/* The demonstrations as (s, s') rows. */
static float *demo_pairs(const mimic_dataset *demos) {
  const size_t D = (size_t)demos->obs_dim;
  float *pairs = mimic_malloc(demos->n_steps * 2 * D * sizeof *pairs, "demonstrated pairs");
  for (size_t j = 0; pairs && j < demos->n_steps; j++) {
    const float *s = demos->obs + (size_t)demos->obs_row[j] * D;
    memcpy(pairs + j * 2 * D, s, 2 * D * sizeof(float)); /* s and the row after it, s' */
  }
  return pairs;
}

typedef struct bco_run {
  const mimic_bco_config *cfg;
  const mimic_dataset *demos;
  mimic_space as;
  idm_data data;
  float *demo_pairs, *inferred;
  mimic_rollout roll;
  mimic_rng rng;
  long taken;
} bco_run;

/* Fits the model on the data so far, relabels the demonstrations and fits the clone. */
static mimic_status fit_round(bco_run *b, mimic_model *clone, mimic_bco_round *r) {
  const mimic_dataset *demos = b->demos;
  const int D = demos->obs_dim, aw = demos->act_dim;
  mimic_transitions t_idm = {.n = b->data.n,
                             .obs_dim = 2 * D,
                             .act_dim = aw,
                             .act_space = &b->as,
                             .obs = b->data.pairs,
                             .act = b->data.act};
  mimic_bc_config idm_cfg = b->cfg->idm;
  if (b->as.kind == MIMIC_SPACE_BOX && idm_cfg.head == 0) idm_cfg.head = MIMIC_HEAD_REGRESSION;
  idm_cfg.seed = b->cfg->seed ^ 0x1d3ULL;
  idm_cfg.progress = false;
  mimic_model idm;
  MIMIC_TRY(fit(&idm_cfg, &t_idm, &idm));
  mimic_status st = predict(&idm, &b->as, b->demo_pairs, 2 * D, demos->n_steps, aw, b->inferred);
  mimic_model_free(&idm);
  MIMIC_TRY(st);
  r->idm_agreement = agreement(demos, &b->as, b->inferred);
  mimic_transitions t = mimic_dataset_transitions(demos);
  t.act = b->inferred;
  t.weight = NULL;
  mimic_bc_config clone_cfg = b->cfg->policy;
  clone_cfg.seed = b->cfg->seed;
  clone_cfg.progress = false;
  return fit(&clone_cfg, &t, clone);
}

static mimic_status bco_setup(bco_run *b) {
  const mimic_bco_config *c = b->cfg;
  mimic_rollout_config rc = {.n = c->n_envs, .seed = c->seed, .episodes = 0};
  MIMIC_TRY(mimic_rollout_open(&b->roll, c->env_id, c->env_opts, &rc));
  const mimic_env *env = b->roll.envs[0];
  if (mimic_env_obs_space(env)->dim != b->demos->obs_dim)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "the demonstrations' observations have %d values, %s's have %d: they "
                      "are not from this environment",
                      b->demos->obs_dim, c->env_id, mimic_env_obs_space(env)->dim);
  b->as = *mimic_env_action_space(env);
  if (mimic_space_width(&b->as) != b->demos->act_dim ||
      b->as.kind != b->demos->act_space.space.kind)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "the demonstrations' action space is not %s's: they are not from this "
                      "environment",
                      c->env_id);
  if (b->demos->n_steps == 0) return mimic_fail(MIMIC_ERR_INVALID, "the demonstrations are empty");
  b->data.D = b->demos->obs_dim;
  b->data.aw = b->demos->act_dim;
  b->demo_pairs = demo_pairs(b->demos);
  b->inferred = mimic_malloc(b->demos->n_steps * (size_t)b->demos->act_dim * sizeof(float),
                             "inferred actions");
  if (!b->demo_pairs || !b->inferred) return MIMIC_ERR_NOMEM;
  mimic_rng_seed(&b->rng, c->seed ^ 0xbc0ULL);
  return MIMIC_OK;
}

mimic_status mimic_bco_train(const mimic_bco_config *cfg, const mimic_dataset *demos,
                             mimic_bco_callback cb, void *user, mimic_model *clone,
                             mimic_bco_round *last) {
  memset(clone, 0, sizeof *clone);
  MIMIC_TRY(mimic_bco_check(cfg));
  bco_run b = {.cfg = cfg, .demos = demos};
  mimic_policy *random = NULL, *acting = NULL;
  mimic_status st = bco_setup(&b);
  if (st == MIMIC_OK) st = mimic_policy_random(&b.as, &random);
  double ret = NAN;
  if (st == MIMIC_OK)
    st = interact(&b.roll, random, cfg->pre_steps, &b.rng, &b.data, &b.taken, &ret);
  mimic_bco_round r = {0};
  for (int it = 0; st == MIMIC_OK && it <= cfg->iterations; it++) {
    if (it > 0) {
      mimic_model copy;
      st = mimic_model_copy(clone, b.roll.n, &copy);
      if (st == MIMIC_OK) st = mimic_policy_from_model(&copy, &b.as, &acting);
      if (st == MIMIC_OK)
        st = interact(&b.roll, acting, (long)ceil(cfg->alpha * (double)cfg->pre_steps), &b.rng,
                      &b.data, &b.taken, &ret);
      mimic_policy_free(acting);
      acting = NULL;
      mimic_model_free(clone);
      if (st) break;
    }
    r = (mimic_bco_round){.iteration = it, .clone_return = it ? ret : NAN};
    st = fit_round(&b, clone, &r);
    r.interactions = b.taken;
    if (st == MIMIC_OK && cb && !cb(&r, clone, user)) break;
  }
  if (last) *last = r;
  mimic_policy_free(random);
  mimic_rollout_close(&b.roll);
  free(b.data.pairs);
  free(b.data.act);
  free(b.demo_pairs);
  free(b.inferred);
  if (st) mimic_model_free(clone);
  return st;
}
