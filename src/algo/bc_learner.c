/* The BC learner: behavioral cloning behind the learner interface
 * (mimic/policy.h), so any loop fits a network policy the way it fits a
 * text classifier or an agent policy.
 *
 * The network does not exist until the first fit: its input statistics
 * (observation normalisation) come from the first labeled set it sees, as
 * `mimic train bc` takes them from the whole dataset. A warm fit continues
 * training the same parameters (DAgger refits with warm start every round,
 * as imitation's DAgger trainer does); a cold one starts a new network.
 * Each fit draws from cfg.seed + seed, so a loop that passes its round gets
 * new minibatch orders every round and the same ones on a rerun. */
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"

typedef struct bc_learner {
  mimic_bc_config cfg;
  char *env_id;
  char *meta; /* extra metadata for the policy file, a JSON object text */
  mimic_data_space obs_space, act_space;
  mimic_policy *net; /* the network policy once there is one */
} bc_learner;

static mimic_status bl_act(mimic_policy *p, mimic_act_batch *b) {
  bc_learner *l = p->impl;
  return mimic_policy_act(l->net, b);
}

/* Makes m the learner's network (ownership moves), with the policy file's metadata. */
static mimic_status adopt(mimic_policy *p, mimic_model *m) {
  bc_learner *l = p->impl;
  mimic_policy *net = NULL;
  mimic_status st =
      mimic_policy_describe_model(m, l->env_id, &l->obs_space.space, &l->act_space.space, l->meta);
  if (st == MIMIC_OK) st = mimic_policy_from_model(m, &l->act_space.space, &net);
  if (st) {
    mimic_model_free(m);
    return st;
  }
  mimic_policy_free(l->net);
  l->net = net;
  snprintf(p->description, sizeof p->description, "bc %s", mimic_policy_describe(net));
  return MIMIC_OK;
}

/* The episodes of a labeled set with starts (the first example always
 * begins one): t->ep_start is allocated (the caller frees it). */
static mimic_status episodes_of(const mimic_labeled *data, mimic_transitions *t) {
  size_t E = 0;
  for (size_t i = 0; i < data->n; i++) E += i == 0 || data->starts[i];
  uint64_t *ep = mimic_malloc((E + 1) * sizeof *ep, "episode bounds");
  if (!ep) return MIMIC_ERR_NOMEM;
  E = 0;
  for (size_t i = 0; i < data->n; i++)
    if (i == 0 || data->starts[i]) ep[E++] = i;
  ep[E] = data->n;
  t->ep_start = ep;
  t->n_episodes = E;
  return MIMIC_OK;
}

static mimic_status bl_fit(mimic_policy *p, const mimic_labeled *data, bool warm, uint64_t seed) {
  bc_learner *l = p->impl;
  if (!data->obs)
    return mimic_fail(MIMIC_ERR_INVALID, "behavioral cloning fits on observation rows");
  mimic_transitions t = {.n = data->n,
                         .obs_dim = data->obs_dim,
                         .act_dim = mimic_space_width(&l->act_space.space),
                         .act_space = &l->act_space.space,
                         .obs = data->obs,
                         .act = data->actions,
                         .weight = data->weights};
  mimic_bc_config bc = l->cfg;
  bc.seed = l->cfg.seed + seed;
  bool memory = bc.gru_hidden || bc.tf.context;
  if (memory && !data->starts)
    return mimic_fail(MIMIC_ERR_INVALID, "a recurrent or transformer learner fits on episodes: "
                                         "the labeled states do not say where episodes begin");
  if (!memory && (size_t)bc.batch_size > t.n)
    bc.batch_size = (int)t.n; /* a loop's tiny first rounds */
  mimic_status st = memory ? episodes_of(data, &t) : MIMIC_OK;
  if (!st && (!l->net || !warm)) {
    mimic_model m;
    st = mimic_bc_model_create(&bc, &t, &m);
    if (!st) st = adopt(p, &m);
  }
  mimic_bc_report rep = {0};
  if (!st) st = mimic_bc_fit(&bc, &t, mimic_policy_model(l->net), &rep);
  mimic_bc_report_free(&rep);
  free((void *)t.ep_start);
  return st;
}

static mimic_status bl_save(const mimic_policy *p, const char *path) {
  const bc_learner *l = p->impl;
  return mimic_model_save(mimic_policy_model(l->net), path);
}

static mimic_status bl_reload(mimic_policy *p, const char *path) {
  bc_learner *l = p->impl;
  mimic_model m;
  MIMIC_TRY(mimic_model_load(path, NULL, l->cfg.batch_size, &m));
  if (m.cfg.obs_dim != l->obs_space.space.dim) {
    mimic_status st =
        mimic_fail(MIMIC_ERR_FORMAT, "%s: the network takes %d observation values, not %d", path,
                   m.cfg.obs_dim, l->obs_space.space.dim);
    mimic_model_free(&m);
    return st;
  }
  mimic_status st = adopt(p, &m);
  if (st) mimic_errctx("%s", path);
  return st;
}

static void bl_free(mimic_policy *p) {
  bc_learner *l = p->impl;
  if (!l) return;
  mimic_policy_free(l->net);
  mimic_data_space_free(&l->obs_space);
  mimic_data_space_free(&l->act_space);
  free(l->env_id);
  free(l->meta);
  free(l);
}

static const mimic_policy_class bc_learner_class = {.kind = "bc",
                                                    .act = bl_act,
                                                    .free_impl = bl_free,
                                                    .fit = bl_fit,
                                                    .save = bl_save,
                                                    .reload = bl_reload};

mimic_status mimic_bc_learner(const mimic_bc_config *cfg, const char *env_id,
                              const mimic_space *obs_space, const mimic_space *act_space,
                              const char *meta_json, mimic_policy **out) {
  *out = NULL;
  MIMIC_TRY(mimic_policy_alloc(&bc_learner_class, act_space, obs_space->dim, out));
  mimic_policy *p = *out;
  bc_learner *l = mimic_calloc(1, sizeof *l, "a BC learner");
  p->impl = l;
  mimic_status st = l ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) {
    l->cfg = *cfg;
    l->cfg.progress = false;
    l->cfg.log_path = l->cfg.plot_path = l->cfg.checkpoint_path = NULL;
    l->cfg.resume = false;
    if ((env_id && !(l->env_id = mimic_strdup(env_id))) ||
        (meta_json && !(l->meta = mimic_strdup(meta_json))))
      st = MIMIC_ERR_NOMEM;
  }
  if (st == MIMIC_OK) st = mimic_data_space_from_env(&l->obs_space, obs_space);
  if (st == MIMIC_OK) st = mimic_data_space_from_env(&l->act_space, act_space);
  if (st) {
    mimic_policy_free(p);
    *out = NULL;
  }
  return st;
}

mimic_status mimic_bc_learner_start(mimic_policy *learner, const mimic_model *init) {
  if (learner->cls != &bc_learner_class)
    return mimic_fail(MIMIC_ERR_INVALID, "%s is not a BC learner", learner->description);
  bc_learner *l = learner->impl;
  if (init->cfg.obs_dim != l->obs_space.space.dim)
    return mimic_fail(MIMIC_ERR_INVALID, "the initial learner takes %d observation values, not %d",
                      init->cfg.obs_dim, l->obs_space.space.dim);
  mimic_model m;
  MIMIC_TRY(mimic_model_copy(init, l->cfg.batch_size, &m));
  MIMIC_TRY(adopt(learner, &m));
  learner->fitted = true;
  return MIMIC_OK;
}

mimic_model *mimic_bc_learner_model(mimic_policy *learner) {
  if (learner->cls != &bc_learner_class) return NULL;
  bc_learner *l = learner->impl;
  return l->net ? mimic_policy_model(l->net) : NULL;
}
