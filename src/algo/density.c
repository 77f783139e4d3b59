/* The density reward (mimic/density.h): a Gaussian kernel density
 * estimate over the demonstrations, evaluated exactly (every query against
 * every demonstrated point: a few thousand points of a few columns cost
 * microseconds per query, far below a PPO step's other work). */
#include "mimic/density.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/reward_net.h"
#include "core/util.h"

enum { CHUNK = 256 }; /* demonstrated transitions assembled at a time */

mimic_density_config mimic_density_defaults(void) {
  return (mimic_density_config){
      .inputs = MIMIC_REWARD_STATE, .bandwidth = 0.5, .standardise = true, .floor = NAN};
}

void mimic_density_free(mimic_density *d) {
  mimic_reward_net_free(&d->shape);
  free(d->points);
  free(d->mean);
  free(d->inv_scale);
  memset(d, 0, sizeof *d);
}

/* Copies the assembled rows of demonstrated transitions into d->points. */
static mimic_status gather_points(mimic_density *d, const mimic_transitions *t) {
  const size_t D = (size_t)t->obs_dim, A = (size_t)t->act_dim, in = (size_t)d->in_dim;
  float *obs = malloc(CHUNK * D * sizeof(float)), *next = malloc(CHUNK * D * sizeof(float));
  float *act = malloc(CHUNK * A * sizeof(float));
  uint32_t rows[CHUNK];
  mimic_status st = obs && next && act ? mimic_reward_net_reserve(&d->shape, CHUNK)
                                       : mimic_fail_nomem("the density's demonstrations");
  for (size_t j0 = 0; st == MIMIC_OK && j0 < t->n; j0 += CHUNK) {
    int m = (int)(t->n - j0 < CHUNK ? t->n - j0 : CHUNK);
    for (int i = 0; i < m; i++) rows[i] = (uint32_t)(j0 + (size_t)i);
    mimic_batch b = {.obs = obs, .act = act, .next_obs = t->obs_row ? next : NULL};
    mimic_transitions_gather(t, rows, (size_t)m, &b);
    st = mimic_reward_net_inputs(&d->shape, obs, act, next, m);
    if (st == MIMIC_OK)
      memcpy(d->points + j0 * in, d->shape.in_buf, (size_t)m * in * sizeof(float));
  }
  free(obs);
  free(next);
  free(act);
  return st;
}

/* StandardScaler's statistics of the points (double sums), then the points
 * standardised in place. */
static void standardise_points(mimic_density *d) {
  const size_t in = (size_t)d->in_dim;
  for (size_t k = 0; k < in; k++) {
    double sum = 0, sq = 0;
    for (size_t i = 0; i < d->n; i++) sum += d->points[i * in + k];
    double mean = sum / (double)d->n;
    for (size_t i = 0; i < d->n; i++) {
      double v = d->points[i * in + k] - mean;
      sq += v * v;
    }
    double sd = sqrt(sq / (double)d->n);
    d->mean[k] = d->cfg.standardise ? (float)mean : 0.0f;
    d->inv_scale[k] = d->cfg.standardise && sd > 0 ? (float)(1.0 / sd) : 1.0f;
  }
  for (size_t i = 0; i < d->n; i++)
    for (size_t k = 0; k < in; k++)
      d->points[i * in + k] = (d->points[i * in + k] - d->mean[k]) * d->inv_scale[k];
}

mimic_status mimic_density_fit(mimic_density *d, const mimic_density_config *cfg,
                               const mimic_transitions *demos, const mimic_space *action_space) {
  memset(d, 0, sizeof *d);
  if (!(cfg->bandwidth > 0) || !isfinite(cfg->bandwidth))
    return mimic_fail(MIMIC_ERR_INVALID, "density: bandwidth must be positive, got %g",
                      cfg->bandwidth);
  if (isinf(cfg->floor)) return mimic_fail(MIMIC_ERR_INVALID, "density: the floor must be finite");
  MIMIC_TRY(mimic_transitions_check(demos));
  if (demos->n < 1) return mimic_fail(MIMIC_ERR_INVALID, "density: the demonstrations are empty");
  const bool next = cfg->inputs == MIMIC_REWARD_STATE_NEXT_STATE ||
                    cfg->inputs == MIMIC_REWARD_STATE_ACTION_NEXT_STATE;
  if (next && !demos->obs_row)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "density: %s inputs need next observations (a dataset's episodes)",
                      mimic_reward_inputs_name(cfg->inputs));
  d->cfg = *cfg;
  mimic_rng rng;
  mimic_rng_seed(&rng, 0); /* the shape's unused network */
  mimic_status st = mimic_reward_net_create(&d->shape, cfg->inputs, demos->obs_dim, action_space,
                                            false, 0, NULL, MIMIC_ACT_TANH, &rng);
  if (st != MIMIC_OK) return st;
  if (d->shape.act_width && d->shape.act_width != demos->act_dim) {
    mimic_density_free(d);
    return mimic_fail(MIMIC_ERR_INVALID,
                      "density: the demonstrations' actions have %d values, the environment's %d",
                      demos->act_dim, d->shape.act_width);
  }
  if (d->shape.n_discrete) st = mimic_transitions_check_ids(demos, d->shape.n_discrete);
  if (st != MIMIC_OK) {
    mimic_density_free(d);
    return mimic_errctx("density: the demonstrations");
  }
  d->in_dim = d->shape.in_dim;
  d->n = demos->n;
  d->points = mimic_realloc(NULL, d->n * (size_t)d->in_dim, sizeof(float), "density points");
  d->mean = calloc((size_t)d->in_dim, sizeof(float));
  d->inv_scale = calloc((size_t)d->in_dim, sizeof(float));
  if (!d->points || !d->mean || !d->inv_scale) st = mimic_fail_nomem("the density estimate");
  if (st == MIMIC_OK) st = gather_points(d, demos);
  if (st != MIMIC_OK) {
    mimic_density_free(d);
    return st;
  }
  standardise_points(d);
  const double h = cfg->bandwidth;
  d->log_norm = -log((double)d->n) - 0.5 * d->in_dim * log(2.0 * M_PI * h * h);
  d->floor = isnan(cfg->floor) ? d->log_norm - 4.5 : cfg->floor;
  return MIMIC_OK;
}

/* log p of one standardised row x: one pass of a streaming logsumexp
 * shifted by the nearest point so far. */
static double log_density_row(const mimic_density *d, const float *x) {
  const size_t in = (size_t)d->in_dim;
  const double inv2h2 = 1.0 / (2.0 * d->cfg.bandwidth * d->cfg.bandwidth);
  double best = INFINITY, sum = 0; /* sum of exp(-(s - best) / 2h^2) */
  for (size_t i = 0; i < d->n; i++) {
    const float *p = d->points + i * in;
    double s = 0;
    for (size_t k = 0; k < in; k++) {
      double v = (double)x[k] - p[k];
      s += v * v;
    }
    if (s < best) {
      sum = sum * exp(-(best - s) * inv2h2) + 1.0;
      best = s;
    } else {
      sum += exp(-(s - best) * inv2h2);
    }
  }
  return -best * inv2h2 + log(sum) + d->log_norm;
}

mimic_status mimic_density_log(mimic_density *d, const float *obs, const float *act,
                               const float *next_obs, int n, double *out) {
  MIMIC_TRY(mimic_reward_net_reserve(&d->shape, n));
  MIMIC_TRY(mimic_reward_net_inputs(&d->shape, obs, act, next_obs, n));
  const size_t in = (size_t)d->in_dim;
  for (int i = 0; i < n; i++) {
    float *x = d->shape.in_buf + (size_t)i * in;
    for (size_t k = 0; k < in; k++) x[k] = (x[k] - d->mean[k]) * d->inv_scale[k];
    out[i] = log_density_row(d, x);
  }
  return MIMIC_OK;
}

mimic_status mimic_density_reward_fn(void *user, const float *obs, const float *act,
                                     const float *next_obs, const bool *terminated, int n,
                                     double *rewards) {
  (void)terminated; /* the floor is the absorbing state's density: 0 after the shift */
  mimic_density *d = user;
  MIMIC_TRY(mimic_density_log(d, obs, act, next_obs, n, rewards));
  for (int i = 0; i < n; i++)
    rewards[i] = (rewards[i] > d->floor ? rewards[i] : d->floor) - d->floor;
  return MIMIC_OK;
}
