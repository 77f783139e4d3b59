/* Decision Transformer files (mimic/dt.h): the model (kind "mimic.dt")
 * holds the configuration, spaces and normalisation in its metadata and
 * the parameters, state statistics and action bounds as arrays; the
 * checkpoint (kind "mimic.dt-checkpoint") adds AdamW's moments and step,
 * the window generator and the step count, and must match the learner it
 * is loaded into (sizes, configuration, data size), checked field by
 * field before anything is replaced. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/dt_impl.h"
#include "mimic/container.h"

#define DT_KIND "mimic.dt"
#define DT_CKPT_KIND "mimic.dt-checkpoint"

/* The metadata both files share. */
static json_t *meta_of(const mimic_dt *t) {
  const mimic_dt_config *c = &t->cfg;
  return json_pack("{s:i, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:I, s:o}", "state_dim",
                   t->S, "discrete", t->discrete, "act_dim", t->A, "context", c->context, "n_layer",
                   c->n_layer, "n_head", c->n_head, "n_embd", c->n_embd, "max_ep_len",
                   c->max_ep_len, "batch_size", c->batch_size, "return_scale", c->return_scale,
                   "steps", (json_int_t)t->step, "env_id",
                   t->env_id ? json_string(t->env_id) : json_null());
}

mimic_status mimic_dt_save(const mimic_dt *t, const char *path, const char *extra_json) {
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, DT_KIND, 1));
  json_t *m = meta_of(t), *extra = NULL;
  mimic_status st = m && !json_object_update(c.meta, m) ? MIMIC_OK : mimic_fail_nomem("metadata");
  json_decref(m);
  if (!st && extra_json) {
    json_error_t err;
    extra = json_loads(extra_json, 0, &err);
    if (!json_is_object(extra))
      st = mimic_fail(MIMIC_ERR_INVALID, "decision transformer: extra metadata is not a JSON "
                                         "object");
    else
      json_object_update_missing(c.meta, extra);
    json_decref(extra);
  }
  if (!st) st = mimic_container_add(&c, "params", MIMIC_ARRAY_F4, t->net.params, t->net.n_params);
  if (!st) st = mimic_container_add(&c, "obs_mean", MIMIC_ARRAY_F4, t->obs_mean, (uint64_t)t->S);
  if (!st) st = mimic_container_add(&c, "obs_std", MIMIC_ARRAY_F4, t->obs_std, (uint64_t)t->S);
  if (!st) st = mimic_container_add(&c, "act_low", MIMIC_ARRAY_F4, t->act_low, (uint64_t)t->aw);
  if (!st) st = mimic_container_add(&c, "act_high", MIMIC_ARRAY_F4, t->act_high, (uint64_t)t->aw);
  if (!st) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  return st;
}

/* A positive integer of meta (at most cap). */
static mimic_status meta_int(const mimic_container *c, const char *key, int cap, int *out) {
  const json_t *v = json_object_get(c->meta, key);
  if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > cap)
    return mimic_container_fail(c, "meta", "'%s' must be an integer in 1..%d", key, cap);
  *out = (int)json_integer_value(v);
  return MIMIC_OK;
}

/* Fills t's configuration and sizes from a model's metadata. */
static mimic_status read_meta(const mimic_container *c, mimic_dt *t) {
  mimic_dt_config *g = &t->cfg;
  *g = mimic_dt_defaults();
  MIMIC_TRY(meta_int(c, "state_dim", 1 << 20, &t->S));
  MIMIC_TRY(meta_int(c, "act_dim", 1 << 20, &t->A));
  MIMIC_TRY(meta_int(c, "context", 1024, &g->context));
  MIMIC_TRY(meta_int(c, "n_layer", 32, &g->n_layer));
  MIMIC_TRY(meta_int(c, "n_head", 1 << 12, &g->n_head));
  MIMIC_TRY(meta_int(c, "n_embd", 1 << 14, &g->n_embd));
  MIMIC_TRY(meta_int(c, "max_ep_len", 1 << 24, &g->max_ep_len));
  MIMIC_TRY(meta_int(c, "batch_size", 1 << 20, &g->batch_size));
  const json_t *d = json_object_get(c->meta, "discrete"),
               *rs = json_object_get(c->meta, "return_scale");
  if (!json_is_boolean(d))
    return mimic_container_fail(c, "meta", "'discrete' must be true or false");
  if (!json_is_number(rs) || !(json_number_value(rs) > 0) || !isfinite(json_number_value(rs)))
    return mimic_container_fail(c, "meta", "'return_scale' must be a positive number");
  if (g->n_embd % g->n_head)
    return mimic_container_fail(c, "meta", "n_embd %d is not a multiple of n_head %d", g->n_embd,
                                g->n_head);
  t->discrete = json_is_true(d);
  t->aw = t->discrete ? 1 : t->A;
  g->return_scale = json_number_value(rs);
  const json_t *steps = json_object_get(c->meta, "steps"),
               *env = json_object_get(c->meta, "env_id");
  t->step = json_is_integer(steps) ? (long)json_integer_value(steps) : 0;
  if (json_is_string(env) && !(t->env_id = strdup(json_string_value(env))))
    return mimic_fail_nomem("an env id");
  return MIMIC_OK;
}

/* Copies array name (count floats) of c into dst. */
static mimic_status get_f4(const mimic_container *c, const char *name, size_t count, float *dst) {
  const void *data;
  MIMIC_TRY(mimic_container_get(c, name, MIMIC_ARRAY_F4, count, &data));
  const float *f = data;
  for (size_t i = 0; i < count; i++)
    if (!isfinite(f[i])) return mimic_container_fail(c, name, "element %zu is %g", i, (double)f[i]);
  memcpy(dst, data, count * sizeof(float));
  return MIMIC_OK;
}

mimic_status mimic_dt_load(const char *path, mimic_dt **out) {
  *out = NULL;
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  mimic_status st = mimic_container_expect(&c, DT_KIND, 1);
  mimic_dt *t = NULL;
  if (!st && !(t = mimic_calloc(1, sizeof *t, "a decision transformer"))) st = mimic_errcode();
  if (!st) st = read_meta(&c, t);
  if (!st) {
    t->obs_mean = mimic_malloc((2 * (size_t)t->S + 2 * (size_t)t->aw) * sizeof(float), "stats");
    if (!t->obs_mean) st = mimic_errcode();
  }
  if (!st) {
    t->obs_std = t->obs_mean + t->S;
    t->act_low = t->obs_std + t->S;
    t->act_high = t->act_low + t->aw;
    int max_B = t->cfg.batch_size > 16 ? t->cfg.batch_size : 16;
    st = mimic_dt_alloc(t, max_B);
  }
  if (!st) st = get_f4(&c, "params", t->net.n_params, t->net.params);
  if (!st) st = get_f4(&c, "obs_mean", (size_t)t->S, t->obs_mean);
  if (!st) st = get_f4(&c, "obs_std", (size_t)t->S, t->obs_std);
  if (!st) st = get_f4(&c, "act_low", (size_t)t->aw, t->act_low);
  if (!st) st = get_f4(&c, "act_high", (size_t)t->aw, t->act_high);
  for (int d = 0; !st && d < t->S; d++)
    if (!(t->obs_std[d] > 0)) st = mimic_container_fail(&c, "obs_std", "element %d is not > 0", d);
  for (int d = 0; !st && !t->discrete && d < t->aw; d++)
    if (!(t->act_high[d] > t->act_low[d]))
      st = mimic_container_fail(&c, "act_high", "element %d is not above act_low's", d);
  mimic_container_free(&c);
  if (st) {
    mimic_dt_free(t);
    return st;
  }
  *out = t;
  return MIMIC_OK;
}

mimic_status mimic_dt_save_checkpoint(const mimic_dt *t, const char *path) {
  if (!t->states)
    return mimic_fail(MIMIC_ERR_INVALID, "decision transformer: a loaded model has no run to "
                                         "checkpoint");
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, DT_CKPT_KIND, 1));
  json_t *m = meta_of(t);
  if (m) {
    json_object_set_new(m, "data_steps", json_integer((json_int_t)t->n_steps));
    json_object_set_new(m, "adam_t", json_integer((json_int_t)t->opt.t));
    json_object_set_new(m, "seconds", json_real(t->seconds));
  }
  mimic_status st = m && !json_object_update(c.meta, m) ? MIMIC_OK : mimic_fail_nomem("metadata");
  json_decref(m);
  if (!st) st = mimic_container_add(&c, "params", MIMIC_ARRAY_F4, t->net.params, t->net.n_params);
  if (!st) st = mimic_container_add(&c, "adam_m", MIMIC_ARRAY_F4, t->opt.m, t->net.n_params);
  if (!st) st = mimic_container_add(&c, "adam_v", MIMIC_ARRAY_F4, t->opt.v, t->net.n_params);
  if (!st) st = mimic_container_add(&c, "rng", MIMIC_ARRAY_U1, &t->rng, sizeof t->rng);
  if (!st) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  return st;
}

/* Fails unless integer key of the checkpoint equals want. */
static mimic_status same(const mimic_container *c, const char *key, long long want) {
  const json_t *v = json_object_get(c->meta, key);
  if (!json_is_integer(v) || json_integer_value(v) != want)
    return mimic_container_fail(c, "meta", "'%s' is not %lld, this run's", key, want);
  return MIMIC_OK;
}

mimic_status mimic_dt_load_checkpoint(mimic_dt *t, const char *path) {
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  mimic_status st = mimic_container_expect(&c, DT_CKPT_KIND, 1);
  const mimic_dt_config *g = &t->cfg;
  const char *keys[] = {"state_dim", "act_dim",    "context",    "n_layer",   "n_head",
                        "n_embd",    "max_ep_len", "batch_size", "data_steps"};
  long long want[] = {t->S,      t->A,          g->context,    g->n_layer,           g->n_head,
                      g->n_embd, g->max_ep_len, g->batch_size, (long long)t->n_steps};
  for (int i = 0; !st && i < 9; i++) st = same(&c, keys[i], want[i]);
  const json_t *steps = json_object_get(c.meta, "steps"), *adam = json_object_get(c.meta, "adam_t");
  if (!st && (!json_is_integer(steps) || json_integer_value(steps) < 0 || !json_is_integer(adam) ||
              json_integer_value(adam) < 0))
    st = mimic_container_fail(&c, "meta", "'steps' and 'adam_t' must be integers >= 0");
  const void *rng = NULL;
  if (!st) st = mimic_container_get(&c, "rng", MIMIC_ARRAY_U1, sizeof t->rng, &rng);
  float *tmp = st ? NULL : mimic_malloc(3 * t->net.n_params * sizeof(float), "a checkpoint");
  if (!st && !tmp) st = mimic_errcode();
  if (!st) st = get_f4(&c, "params", t->net.n_params, tmp);
  if (!st) st = get_f4(&c, "adam_m", t->net.n_params, tmp + t->net.n_params);
  if (!st) st = get_f4(&c, "adam_v", t->net.n_params, tmp + 2 * t->net.n_params);
  if (!st) {
    memcpy(t->net.params, tmp, t->net.n_params * sizeof(float));
    memcpy(t->opt.m, tmp + t->net.n_params, 2 * t->net.n_params * sizeof(float));
    memcpy(&t->rng, rng, sizeof t->rng);
    t->step = (long)json_integer_value(steps);
    t->opt.t = (long)json_integer_value(adam);
    const json_t *secs = json_object_get(c.meta, "seconds");
    t->seconds = json_is_number(secs) ? json_number_value(secs) : 0;
    t->loss_sum = 0;
    t->loss_n = 0;
  }
  free(tmp);
  mimic_container_free(&c);
  return st;
}
