/* Experts that are policies: the environment's built-in expert, and any
 * policy acting as the expert (a saved policy file, a random policy).
 *
 * Both answer at once and the same way every time, so they take whole
 * batches and are marked repeatable: a loop need not commit their answers
 * one by one, since asking again after a crash gives the same answers. */
#include <stdlib.h>
#include <string.h>

#include "mimic/expert.h"
#include "loop/transport.h"

static mimic_status builtin_label(mimic_expert *e, const mimic_questions *q,
                                  mimic_answer *answers) {
  if (!q->envs)
    return mimic_fail(MIMIC_ERR_INVALID, "%s needs the environments, not only observations",
                      e->name);
  for (size_t i = 0; i < q->n; i++) MIMIC_TRY(mimic_env_expert_act(q->envs[i], answers[i].action));
  return MIMIC_OK;
}

static const mimic_expert_class builtin_class = {.kind = "builtin", .label = builtin_label};

mimic_status mimic_expert_builtin(const mimic_codec *codec, mimic_expert **out) {
  MIMIC_TRY(mimic_expert_alloc(&builtin_class, codec, "builtin", out));
  (*out)->repeatable = true;
  (*out)->live = true;
  (*out)->max_batch = 4096;
  return MIMIC_OK;
}

static mimic_status policy_label(mimic_expert *e, const mimic_questions *q, mimic_answer *answers) {
  mimic_policy *p = e->impl;
  if (q->obs && mimic_policy_obs_dim(p) && mimic_policy_obs_dim(p) != q->obs_dim)
    return mimic_fail(MIMIC_ERR_INVALID, "%s expects observations of %d values, not %d", e->name,
                      mimic_policy_obs_dim(p), q->obs_dim);
  int w = mimic_space_width(&e->codec->space);
  float *actions = mimic_malloc(q->n * (size_t)w * sizeof *actions, "actions");
  if (!actions) return MIMIC_ERR_NOMEM;
  mimic_rng rng; /* a stochastic policy (random) draws from the states' count: repeatable */
  mimic_rng_seed(&rng, 0x5eed0000u + (uint64_t)e->answers);
  mimic_act_batch b = {.n = (int)q->n,
                       .obs = q->obs,
                       .items = q->items,
                       .envs = (mimic_env **)q->envs,
                       .actions = actions,
                       .deterministic = true,
                       .rng = &rng};
  mimic_status st = mimic_policy_act(p, &b);
  for (size_t i = 0; st == MIMIC_OK && i < q->n; i++)
    memcpy(answers[i].action, actions + i * (size_t)w, (size_t)w * sizeof *actions);
  free(actions);
  return st;
}

static void policy_free(mimic_expert *e) { mimic_policy_free(e->impl); }

static const mimic_expert_class policy_class = {
    .kind = "policy", .label = policy_label, .free_impl = policy_free};

mimic_status mimic_expert_policy(mimic_policy *p, const mimic_codec *codec, const char *name,
                                 mimic_expert **out) {
  const mimic_space *a = mimic_policy_action_space(p), *b = &codec->space;
  bool fits = a->kind == b->kind &&
              (a->kind == MIMIC_SPACE_DISCRETE ? a->n == b->n || mimic_codec_n_names(codec) > 0
                                               : a->dim == b->dim);
  if (!fits) {
    mimic_status st =
        mimic_fail(MIMIC_ERR_INVALID, "%s acts in another action space than the one asked about",
                   mimic_policy_describe(p));
    mimic_policy_free(p);
    return st;
  }
  mimic_status st = mimic_expert_alloc(&policy_class, codec, name, out);
  if (st) {
    mimic_policy_free(p);
    return st;
  }
  (*out)->impl = p;
  (*out)->repeatable = true;
  (*out)->max_batch = 4096;
  return MIMIC_OK;
}
