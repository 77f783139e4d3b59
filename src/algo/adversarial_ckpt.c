/* Checkpoints of GAIL and AIRL (mimic/adversarial.h: mimic_adv_checkpoint,
 * mimic_adv_restore): the generator's PPO state (ppo_ckpt.c) plus the
 * discriminator's side, in one model container.
 *
 * Taken between rounds. Per network (GAIL's D or AIRL's g, and AIRL's
 * shaping h): parameters, Adam's moments and step count, the running input
 * statistics and the normaliser they were last written into; then the
 * generator of the discriminator's draws and the round (the warm-up steps
 * belong to round 0 only). meta.adversarial holds the settings and the
 * demonstrations' size and CRC-32 (the whole file's, sharded too): a
 * checkpoint from other settings or other demonstrations is refused by
 * name. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "algo/adversarial_impl.h"
#include "core/util.h"

#define ADV_KIND "mimic.adversarial-checkpoint"

uint32_t adv_demo_crc(const mimic_adv *a, uint32_t crc, int part) {
  const size_t n = a->d_n, D = (size_t)a->D, aw = (size_t)a->aw;
  const void *p[4] = {a->d_obs, a->d_next, a->d_act, a->d_term};
  const size_t len[4] = {n * D * sizeof(float), n * D * sizeof(float), n * aw * sizeof(float),
                         n * sizeof(bool)};
  for (int i = part < 0 ? 0 : part; i < (part < 0 ? 4 : part + 1); i++)
    crc = mimic_crc32(crc, p[i], len[i]);
  return crc;
}

static json_t *widths(const int *w, int n) {
  json_t *a = json_array();
  for (int i = 0; i < n; i++) json_array_append_new(a, json_integer(w[i]));
  return a;
}

static json_t *settings_json(const mimic_adv *a) {
  const mimic_adv_config *c = &a->cfg;
  json_t *s = json_pack(
      "{s:s, s:o, s:o, s:s, s:i, s:f, s:f, s:i, s:i, s:i, s:b, s:b, s:b, s:I, s:I}", "algorithm",
      c->kind == MIMIC_ADV_AIRL ? "airl" : "gail", "disc_hidden",
      widths(c->disc_hidden, c->disc_n_hidden), "shaping_hidden",
      widths(c->shaping_hidden, c->shaping_n_hidden), "disc_activation",
      mimic_activation_name(c->disc_activation), "reward_inputs", (int)c->reward_inputs, "disc_lr",
      c->disc_lr, "disc_weight_decay", c->disc_weight_decay, "n_disc_updates", c->n_disc_updates,
      "disc_warmup", c->disc_warmup, "demo_batch_size", c->demo_batch_size, "disc_normalize",
      c->disc_normalize, "gail_logit_reward", c->gail_logit_reward, "absorbing", c->absorbing,
      "demo_transitions", (json_int_t)a->M, "demo_crc32", (json_int_t)a->demo_crc);
  /* a data-parallel run before the discriminator drew one process's batches
   * had a stream a rank: its checkpoints are refused rather than continued
   * differently */
  if (s && a->par) json_object_set_new(s, "disc_batches", json_string("one process's"));
  return s;
}

/* The networks a checkpoint holds: g, and h for AIRL. */
static int nets(mimic_adv *a, mimic_reward_net **net, mimic_optim **opt, rl_running **rms) {
  net[0] = &a->g, opt[0] = &a->opt_g, rms[0] = &a->norm_g;
  net[1] = &a->h, opt[1] = &a->opt_h, rms[1] = &a->norm_h;
  return a->cfg.kind == MIMIC_ADV_AIRL ? 2 : 1;
}

static const char *const NAMES[2][5] = {
    {"adv.g.params", "adv.g.adam_m", "adv.g.adam_v", "adv.g.rms", "adv.g.norm"},
    {"adv.h.params", "adv.h.adam_m", "adv.h.adam_v", "adv.h.rms", "adv.h.norm"},
};

mimic_status mimic_adv_checkpoint(mimic_adv *a, mimic_container *c) {
  mimic_reward_net *net[2];
  mimic_optim *opt[2];
  rl_running *rms[2];
  int n = nets(a, net, opt, rms);
  size_t in = (size_t)a->g.in_dim + (n > 1 ? (size_t)a->h.in_dim : 0);
  if (!a->ckpt_rms) a->ckpt_rms = mimic_malloc((2 + 2 * in) * sizeof(double), "a checkpoint");
  if (!a->ckpt_norm) a->ckpt_norm = mimic_malloc((4 + 2 * in) * sizeof(float), "a checkpoint");
  if (!a->ckpt_rms || !a->ckpt_norm) return MIMIC_ERR_NOMEM;
  MIMIC_TRY(mimic_container_init(c, ADV_KIND, 1));
  json_t *s = settings_json(a);
  mimic_status st = s && !json_object_set_new(c->meta, "adversarial", s)
                        ? MIMIC_OK
                        : mimic_fail_nomem("a checkpoint's settings");
  if (!st) st = ppo_ckpt_add(a->gen, c);
  int64_t *k = a->ckpt_counts;
  k[0] = a->round, k[1] = opt[0]->t, k[2] = n > 1 ? opt[1]->t : 0;
  k[3] = net[0]->model.obs_norm, k[4] = n > 1 && net[1]->model.obs_norm;
  if (!st) st = mimic_container_add(c, "adv.counts", MIMIC_ARRAY_I8, k, 5);
  if (!st) st = mimic_container_add(c, "adv.rng", MIMIC_ARRAY_U1, &a->rng, sizeof a->rng);
  double *r = a->ckpt_rms;
  float *f = a->ckpt_norm;
  for (int i = 0; !st && i < n; i++) {
    const mimic_model *m = &net[i]->model;
    size_t d = (size_t)net[i]->in_dim, np = m->n_params;
    r[0] = rms[i]->count;
    memcpy(r + 1, rms[i]->mean, d * sizeof(double));
    memcpy(r + 1 + d, rms[i]->var, d * sizeof(double));
    f[0] = m->obs_eps, f[1] = m->obs_clip;
    memcpy(f + 2, m->obs_mean, d * sizeof(float));
    memcpy(f + 2 + d, m->obs_var, d * sizeof(float));
    st = mimic_container_add(c, NAMES[i][0], MIMIC_ARRAY_F4, m->params, np);
    if (!st) st = mimic_container_add(c, NAMES[i][1], MIMIC_ARRAY_F4, opt[i]->m, np);
    if (!st) st = mimic_container_add(c, NAMES[i][2], MIMIC_ARRAY_F4, opt[i]->v, np);
    if (!st) st = mimic_container_add(c, NAMES[i][3], MIMIC_ARRAY_F8, r, 1 + 2 * d);
    if (!st) st = mimic_container_add(c, NAMES[i][4], MIMIC_ARRAY_F4, f, 2 + 2 * d);
    r += 1 + 2 * d;
    f += 2 + 2 * d;
  }
  if (st) mimic_container_free(c);
  return st;
}

mimic_status mimic_adv_restore(mimic_adv *a, const mimic_container *c) {
  MIMIC_TRY(mimic_container_expect(c, ADV_KIND, 1));
  MIMIC_TRY(ckpt_same_settings(c, "adversarial", settings_json(a)));
  mimic_reward_net *net[2];
  mimic_optim *opt[2];
  rl_running *rms[2];
  int n = nets(a, net, opt, rms);
  const int64_t *k;
  const void *rngp;
  const float *params[2], *m[2], *v[2], *norm[2];
  const double *r[2];
  MIMIC_TRY(mimic_container_get(c, "adv.counts", MIMIC_ARRAY_I8, 5, (const void **)&k));
  MIMIC_TRY(mimic_container_get(c, "adv.rng", MIMIC_ARRAY_U1, sizeof a->rng, &rngp));
  if (k[0] < 0 || k[1] < 0 || k[2] < 0 || (k[3] != 0 && k[3] != 1) || (k[4] != 0 && k[4] != 1))
    return mimic_container_fail(c, "adv.counts", "the counters are not valid");
  mimic_rng rng;
  memcpy(&rng, rngp, sizeof rng);
  if (!mimic_rng_plausible(&rng))
    return mimic_container_fail(c, "array 'adv.rng'", "is not a generator's state");
  for (int i = 0; i < n; i++) {
    size_t d = (size_t)net[i]->in_dim, np = net[i]->model.n_params;
    MIMIC_TRY(mimic_container_get(c, NAMES[i][0], MIMIC_ARRAY_F4, np, (const void **)&params[i]));
    MIMIC_TRY(mimic_container_get(c, NAMES[i][1], MIMIC_ARRAY_F4, np, (const void **)&m[i]));
    MIMIC_TRY(mimic_container_get(c, NAMES[i][2], MIMIC_ARRAY_F4, np, (const void **)&v[i]));
    MIMIC_TRY(mimic_container_get(c, NAMES[i][3], MIMIC_ARRAY_F8, 1 + 2 * d, (const void **)&r[i]));
    MIMIC_TRY(
        mimic_container_get(c, NAMES[i][4], MIMIC_ARRAY_F4, 2 + 2 * d, (const void **)&norm[i]));
    for (size_t j = 0; j < np; j++)
      if (!(v[i][j] >= 0)) return mimic_container_fail(c, NAMES[i][2], "value %zu is negative", j);
    if (!(r[i][0] > 0)) return mimic_container_fail(c, NAMES[i][3], "the count must be > 0");
    for (size_t j = 0; j < d; j++)
      if (!(r[i][1 + d + j] >= 0) || (k[3 + i] && !(norm[i][2 + d + j] >= 0)))
        return mimic_container_fail(c, NAMES[i][3], "variance %zu is negative", j);
  }
  MIMIC_TRY(ppo_ckpt_load(a->gen, c));
  for (int i = 0; i < n; i++) {
    mimic_model *mo = &net[i]->model;
    size_t d = (size_t)net[i]->in_dim, np = mo->n_params;
    memcpy(mo->params, params[i], np * sizeof(float));
    memcpy(opt[i]->m, m[i], np * sizeof(float));
    memcpy(opt[i]->v, v[i], np * sizeof(float));
    opt[i]->t = (long)k[1 + i];
    rms[i]->count = r[i][0];
    memcpy(rms[i]->mean, r[i] + 1, d * sizeof(double));
    memcpy(rms[i]->var, r[i] + 1 + d, d * sizeof(double));
    if (k[3 + i])
      MIMIC_TRY(mimic_model_set_obs_norm(mo, norm[i] + 2, norm[i] + 2 + d, norm[i][0], norm[i][1]));
  }
  a->rng = rng;
  a->round = (long)k[0];
  return MIMIC_OK;
}
