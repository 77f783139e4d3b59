/* The policy interface and its simplest members: built-in experts and
 * random policies (programs and people act through experts:
 * mimic_policy_from_expert; DAgger mixes expert and learner itself).
 *
 * A policy is a class pointer plus a copy of its action space; the class
 * does the acting. Experts that read the environment (built-in experts)
 * receive the environments in the batch; everything else sees only the
 * observations, which is what makes an external program or a network a
 * drop-in replacement for a built-in expert. */
#include "mimic/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mimic_status mimic_policy_alloc(const mimic_policy_class *cls, const mimic_space *action_space,
                                int obs_dim, mimic_policy **out) {
  *out = NULL;
  mimic_policy *p = mimic_calloc(1, sizeof *p, "a policy");
  if (!p) return MIMIC_ERR_NOMEM;
  p->cls = cls;
  p->action_space = *action_space;
  p->obs_dim = obs_dim;
  if (action_space->kind == MIMIC_SPACE_BOX) {
    int d = action_space->dim;
    p->action_bounds = mimic_malloc((size_t)(2 * d) * sizeof(float), "action bounds");
    if (!p->action_bounds) {
      free(p);
      return MIMIC_ERR_NOMEM;
    }
    for (int i = 0; i < d; i++) {
      p->action_bounds[i] = action_space->low ? action_space->low[i] : -INFINITY;
      p->action_bounds[d + i] = action_space->high ? action_space->high[i] : INFINITY;
    }
    p->action_space.low = p->action_bounds;
    p->action_space.high = p->action_bounds + d;
  }
  p->fitted = !cls->fit;
  snprintf(p->description, sizeof p->description, "%s", cls->kind);
  *out = p;
  return MIMIC_OK;
}

mimic_status mimic_policy_act(mimic_policy *p, mimic_act_batch *b) {
  if (b->n < 0) return mimic_fail(MIMIC_ERR_INVALID, "negative batch size");
  if (b->n == 0) return MIMIC_OK;
  if (!b->deterministic && !b->rng)
    return mimic_fail(MIMIC_ERR_INVALID, "%s: sampling actions needs a random generator",
                      p->description);
  if (!p->fitted)
    return mimic_fail(MIMIC_ERR_INVALID, "%s has not been fitted yet", p->description);
  return p->cls->act(p, b);
}

bool mimic_policy_is_learner(const mimic_policy *p) { return p->cls->fit != NULL; }
bool mimic_policy_fitted(const mimic_policy *p) { return p->fitted; }

int mimic_policy_n_actions(const mimic_policy *p) {
  if (p->action_space.kind != MIMIC_SPACE_DISCRETE) return 0;
  return p->cls->n_actions ? p->cls->n_actions(p) : p->action_space.n;
}

mimic_status mimic_policy_fit(mimic_policy *p, const mimic_labeled *data, bool warm,
                              uint64_t seed) {
  if (!p->cls->fit) return mimic_fail(MIMIC_ERR_INVALID, "%s cannot learn", p->description);
  if (data->n == 0) return mimic_fail(MIMIC_ERR_INVALID, "%s: nothing to fit on", p->description);
  if (!data->actions || (!data->obs && !data->items))
    return mimic_fail(MIMIC_ERR_INVALID, "%s: examples need states and actions", p->description);
  if (data->obs && p->obs_dim && data->obs_dim != p->obs_dim)
    return mimic_fail(MIMIC_ERR_INVALID, "%s takes observations of %d values, the examples have %d",
                      p->description, p->obs_dim, data->obs_dim);
  for (size_t i = 0; data->weights && i < data->n; i++)
    if (!(data->weights[i] >= 0 && isfinite(data->weights[i])))
      return mimic_fail(MIMIC_ERR_INVALID, "example %zu has weight %g (weights are finite, >= 0)",
                        i, (double)data->weights[i]);
  MIMIC_TRY(p->cls->fit(p, data, warm, seed));
  p->fitted = true;
  return MIMIC_OK;
}

mimic_status mimic_policy_save(const mimic_policy *p, const char *path) {
  if (!p->cls->save) return mimic_fail(MIMIC_ERR_INVALID, "%s cannot be saved", p->description);
  if (!p->fitted)
    return mimic_fail(MIMIC_ERR_INVALID, "%s has not been fitted yet", p->description);
  return p->cls->save(p, path);
}

mimic_status mimic_policy_reload(mimic_policy *p, const char *path) {
  if (!p->cls->reload)
    return mimic_fail(MIMIC_ERR_INVALID, "%s cannot reload a saved state", p->description);
  MIMIC_TRY(p->cls->reload(p, path));
  p->fitted = true;
  return MIMIC_OK;
}

void mimic_policy_free(mimic_policy *p) {
  if (!p) return;
  if (p->cls->free_impl) p->cls->free_impl(p);
  free(p->action_bounds);
  free(p);
}

const char *mimic_policy_describe(const mimic_policy *p) { return p->description; }
const mimic_space *mimic_policy_action_space(const mimic_policy *p) { return &p->action_space; }
int mimic_policy_obs_dim(const mimic_policy *p) { return p->obs_dim; }

static void fill_confidence(mimic_act_batch *b, float v) {
  if (b->confidence)
    for (int i = 0; i < b->n; i++) b->confidence[i] = v;
}

/* ---- built-in experts ---------------------------------------------------- */

static mimic_status expert_act(mimic_policy *p, mimic_act_batch *b) {
  if (!b->envs)
    return mimic_fail(MIMIC_ERR_INVALID, "%s needs the environments, not only observations",
                      p->description);
  int w = mimic_space_width(&p->action_space);
  for (int i = 0; i < b->n; i++)
    MIMIC_TRY(mimic_env_expert_act(b->envs[i], b->actions + (size_t)i * (size_t)w));
  fill_confidence(b, 1.0f);
  return MIMIC_OK;
}

static const mimic_policy_class expert_class = {"expert", expert_act, NULL};

mimic_status mimic_policy_builtin_expert(const mimic_env *like, mimic_policy **out) {
  if (!mimic_env_has_expert(like))
    return mimic_fail(MIMIC_ERR_NOT_FOUND, "%s has no built-in expert", mimic_env_id(like));
  MIMIC_TRY(mimic_policy_alloc(&expert_class, mimic_env_action_space(like),
                               mimic_env_obs_space(like)->dim, out));
  snprintf((*out)->description, sizeof(*out)->description, "expert %s", mimic_env_id(like));
  return MIMIC_OK;
}

/* ---- random -------------------------------------------------------------- */

static mimic_status random_act(mimic_policy *p, mimic_act_batch *b) {
  if (!b->rng) return mimic_fail(MIMIC_ERR_INVALID, "the random policy needs a random generator");
  int w = mimic_space_width(&p->action_space);
  for (int i = 0; i < b->n; i++)
    mimic_space_sample(&p->action_space, b->rng, b->actions + (size_t)i * (size_t)w);
  fill_confidence(b, p->action_space.kind == MIMIC_SPACE_DISCRETE ? 1.0f / (float)p->action_space.n
                                                                  : 0.0f);
  return MIMIC_OK;
}

static const mimic_policy_class random_class = {"random", random_act, NULL};

mimic_status mimic_policy_random(const mimic_space *action_space, mimic_policy **out) {
  return mimic_policy_alloc(&random_class, action_space, 0, out);
}
