/* Checkpoints of the offline learners (mimic/offpolicy.h): everything a
 * run needs to continue as if it had never stopped, in the model
 * container (kind "mimic.offpolicy-checkpoint"): every network and its
 * target, every optimizer's moments and step count, the temperatures, the
 * generator and the step counters. A resumed run ends with the same
 * parameters, bit for bit, as one that ran straight through. The
 * configuration that shapes the arrays (algorithm, widths, dimensions) is
 * in meta and must match the learner it is loaded into; a file is checked
 * field by field before anything is overwritten. Online learners would
 * also need their replay buffer and environment: not written yet. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "algo/offpolicy_impl.h"

#define CKPT_KIND "mimic.offpolicy-checkpoint"

/* The arrays of a checkpoint, in file order; count 0 = absent. */
typedef struct ckpt_array {
  const char *name;
  float *data;
  size_t count;
} ckpt_array;

static int arrays_of(mimic_offpolicy *t, ckpt_array *a) {
  int n = 0;
  a[n++] = (ckpt_array){"actor", t->a_params, t->n_actor};
  a[n++] = (ckpt_array){"actor_target", t->a_targ, t->n_actor};
  if (t->n_critic) /* the discrete algorithms have none */
    a[n++] = (ckpt_array){"critic", t->c_params, t->n_critic};
  if (t->n_critic) a[n++] = (ckpt_array){"critic_target", t->c_targ, t->n_critic};
  a[n++] = (ckpt_array){"actor_adam_m", t->actor_opt.m, t->n_actor};
  a[n++] = (ckpt_array){"actor_adam_v", t->actor_opt.v, t->n_actor};
  if (t->n_critic) a[n++] = (ckpt_array){"critic_adam_m", t->critic_opt.m, t->n_critic};
  if (t->n_critic) a[n++] = (ckpt_array){"critic_adam_v", t->critic_opt.v, t->n_critic};
  a[n++] = (ckpt_array){"scalars", NULL, 0}; /* log_alpha, log_cql and their moments */
  return n;
}

static mimic_status offline_only(const mimic_offpolicy *t) {
  if (!t->offline)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s: checkpoints are written for the offline learners only (an online run "
                      "would also need its replay buffer and environment)",
                      mimic_offpolicy_algo_name(t->cfg.algo));
  return MIMIC_OK;
}

mimic_status mimic_offpolicy_check_same(mimic_offpolicy *t) {
  mimic_comm *c = t->cfg.comm;
  MIMIC_TRY(
      mimic_comm_check_same(c, t->a_params, t->n_actor * sizeof(float), "the actor parameters"));
  return mimic_comm_check_same(c, t->c_params, t->n_critic * sizeof(float),
                               "the critic parameters");
}

mimic_status mimic_offpolicy_save_checkpoint(mimic_offpolicy *t, const char *path) {
  MIMIC_TRY(offline_only(t));
  /* the file stands for every rank: they must agree, and one writes it */
  MIMIC_TRY(mimic_offpolicy_check_same(t));
  if (!mimic_comm_writer(t->cfg.comm)) return MIMIC_OK;
  float scalars[6] = {
      t->log_alpha, t->alpha_opt.m ? t->alpha_opt.m[0] : 0, t->alpha_opt.v ? t->alpha_opt.v[0] : 0,
      t->log_cql,   t->cql_opt.m ? t->cql_opt.m[0] : 0,     t->cql_opt.v ? t->cql_opt.v[0] : 0};
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, CKPT_KIND, 1));
  json_t *hidden = json_array();
  for (int i = 0; i < t->cfg.n_hidden; i++)
    json_array_append_new(hidden, json_integer(t->cfg.hidden[i]));
  json_t *m = json_pack(
      "{s:s, s:i, s:i, s:i, s:o, s:I, s:I, s:I, s:I, s:I, s:I}", "algorithm",
      mimic_offpolicy_algo_name(t->cfg.algo), "obs_dim", t->D, "act_dim", t->A, "batch_size", t->B,
      "hidden", hidden, "steps", (json_int_t)t->steps, "updates", (json_int_t)t->updates,
      "actor_adam_t", (json_int_t)t->actor_opt.t, "critic_adam_t", (json_int_t)t->critic_opt.t,
      "alpha_adam_t", (json_int_t)t->alpha_opt.t, "cql_adam_t", (json_int_t)t->cql_opt.t);
  mimic_status st =
      m && !json_object_update(c.meta, m) ? MIMIC_OK : mimic_fail_nomem("a checkpoint");
  json_decref(m);
  ckpt_array a[16];
  int n = arrays_of(t, a);
  for (int i = 0; !st && i < n; i++)
    st = a[i].data ? mimic_container_add(&c, a[i].name, MIMIC_ARRAY_F4, a[i].data, a[i].count)
                   : mimic_container_add(&c, a[i].name, MIMIC_ARRAY_F4, scalars, 6);
  if (!st) st = mimic_container_add(&c, "rng", MIMIC_ARRAY_U1, &t->rng, sizeof t->rng);
  if (!st) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  return st;
}

/* An integer of meta that must equal want. */
static mimic_status same_int(const mimic_container *c, const char *key, long long want) {
  const json_t *v = json_object_get(c->meta, key);
  if (!json_is_integer(v))
    return mimic_container_fail(c, "meta", "'%s' is missing or not an integer", key);
  if (json_integer_value(v) != want)
    return mimic_container_fail(c, "meta", "%s is %lld, but this learner has %lld", key,
                                (long long)json_integer_value(v), want);
  return MIMIC_OK;
}

/* A non-negative integer of meta. */
static mimic_status count_of(const mimic_container *c, const char *key, long *out) {
  const json_t *v = json_object_get(c->meta, key);
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return mimic_container_fail(c, "meta", "'%s' must be a non-negative integer", key);
  *out = (long)json_integer_value(v);
  return MIMIC_OK;
}

static mimic_status check_and_load(mimic_offpolicy *t, const mimic_container *c) {
  MIMIC_TRY(mimic_container_expect(c, CKPT_KIND, 1));
  const char *algo = json_string_value(json_object_get(c->meta, "algorithm"));
  if (!algo || strcmp(algo, mimic_offpolicy_algo_name(t->cfg.algo)) != 0)
    return mimic_container_fail(c, "meta.algorithm", "is %s, but this learner is %s",
                                algo ? algo : "missing", mimic_offpolicy_algo_name(t->cfg.algo));
  MIMIC_TRY(same_int(c, "obs_dim", t->D));
  MIMIC_TRY(same_int(c, "act_dim", t->A));
  MIMIC_TRY(same_int(c, "batch_size", t->B));
  const json_t *h = json_object_get(c->meta, "hidden");
  bool same = json_is_array(h) && (int)json_array_size(h) == t->cfg.n_hidden;
  for (int i = 0; same && i < t->cfg.n_hidden; i++)
    same = json_integer_value(json_array_get(h, (size_t)i)) == t->cfg.hidden[i];
  if (!same) return mimic_container_fail(c, "meta.hidden", "the widths differ from this learner's");
  long steps, updates, at, ct, lt, qt;
  MIMIC_TRY(count_of(c, "steps", &steps));
  MIMIC_TRY(count_of(c, "updates", &updates));
  MIMIC_TRY(count_of(c, "actor_adam_t", &at));
  MIMIC_TRY(count_of(c, "critic_adam_t", &ct));
  MIMIC_TRY(count_of(c, "alpha_adam_t", &lt));
  MIMIC_TRY(count_of(c, "cql_adam_t", &qt));
  ckpt_array a[16];
  int n = arrays_of(t, a);
  const void *data[16], *rng;
  for (int i = 0; i < n; i++)
    MIMIC_TRY(
        mimic_container_get(c, a[i].name, MIMIC_ARRAY_F4, a[i].data ? a[i].count : 6, &data[i]));
  MIMIC_TRY(mimic_container_get(c, "rng", MIMIC_ARRAY_U1, sizeof t->rng, &rng));
  if (c->n_arrays != n + 1)
    return mimic_container_fail(c, "arrays", "a checkpoint holds %d arrays, this one %d", n + 1,
                                c->n_arrays);
  mimic_rng r;
  memcpy(&r, rng, sizeof r);
  if (!mimic_rng_plausible(&r))
    return mimic_container_fail(c, "array 'rng'", "is not a generator's state");
  /* everything checked (the container checked finiteness): overwrite */
  const float *s = NULL;
  for (int i = 0; i < n; i++) {
    if (a[i].data)
      memcpy(a[i].data, data[i], a[i].count * sizeof(float));
    else
      s = data[i];
  }
  t->log_alpha = s[0];
  if (t->alpha_opt.m) t->alpha_opt.m[0] = s[1], t->alpha_opt.v[0] = s[2];
  t->log_cql = s[3];
  if (t->cql_opt.m) t->cql_opt.m[0] = s[4], t->cql_opt.v[0] = s[5];
  t->actor_opt.t = at;
  t->critic_opt.t = ct;
  t->alpha_opt.t = lt;
  t->cql_opt.t = qt;
  t->rng = r;
  t->steps = steps;
  t->updates = updates;
  return MIMIC_OK;
}

mimic_status mimic_offpolicy_load_checkpoint(mimic_offpolicy *t, const char *path) {
  MIMIC_TRY(offline_only(t));
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  mimic_status st = check_and_load(t, &c);
  mimic_container_free(&c);
  return st;
}
