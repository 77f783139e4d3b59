/* Copies of one environment made and stepped together (mimic/env.h's
 * mimic_env_make_copies, mimic_env_step_copies, mimic_env_reset_copies):
 * what rollouts and vector environments step.
 *
 * For mimic's own environments a batch is a loop over the copies (each has
 * its own generator, so the order never changes a result). Copies of an
 * environment program that speaks protocol 2 are one process: the whole
 * batch, auto-resets included, is one frame each way (program_batch.c). The
 * reset rule is the same on both paths, so a rollout gives the same
 * episodes either way. */
#include <stdlib.h>
#include <string.h>

#include "envs/env_impl.h"

mimic_status mimic_env_make_copies(const char *id, const char *options, int n, mimic_env **envs) {
  if (n < 1) return mimic_fail(MIMIC_ERR_INVALID, "copies of an environment: %d asked", n);
  for (int i = 0; i < n; i++) envs[i] = NULL;
  mimic_status st = MIMIC_OK;
  if (id && mimic_env_is_program(id) && n > 1) {
    mimic_env_class **cls = mimic_calloc((size_t)n, sizeof *cls, "environment classes");
    if (!cls) return MIMIC_ERR_NOMEM;
    st = mimic_env_program_classes(id, n, cls);
    for (int i = 0; st == MIMIC_OK && i < n; i++) {
      st = mimic_env_make_class(id, options, cls[i], cls[i], &envs[i]);
      cls[i] = NULL; /* the environment owns it now, or freed it */
    }
    for (int i = 0; i < n; i++) mimic_env_program_class_free(cls[i]);
    free(cls);
  } else {
    for (int i = 0; st == MIMIC_OK && i < n; i++) {
      mimic_env_making_copy(i, n);
      st = mimic_env_make(id, options, &envs[i]);
    }
    mimic_env_making_copy(-1, 0);
  }
  if (st) {
    for (int i = 0; i < n; i++) {
      mimic_env_free(envs[i]);
      envs[i] = NULL;
    }
  }
  return st;
}

/* Whether the listed copies were made together by a class that steps its
 * copies in one call (mimic_env_class.step_copies). */
static bool class_batched(mimic_env *const *envs, const int *rows, int m) {
  const mimic_env *e0 = m > 0 ? envs[rows ? rows[0] : 0] : NULL;
  if (!e0 || !e0->cls->step_copies || e0->copy < 0) return false;
  for (int k = 1; k < m; k++) {
    const mimic_env *e = envs[rows ? rows[k] : k];
    if (e->cls != e0->cls || e->copy < 0) return false;
  }
  return true;
}

/* A batch through the class's step_copies: the class steps and resets,
 * mimic keeps the clocks (the class saw the time limit in max_steps). */
static mimic_status class_step_copies(const mimic_env_batch *b) {
  mimic_env *e0 = b->envs[b->rows ? b->rows[0] : 0];
  if (e0->cls->step_copies(b)) return mimic_errctx("%s", e0->id);
  long j = 0;
  for (int k = 0; k < b->m; k++) {
    int i = b->rows ? b->rows[k] : k;
    mimic_env *e = b->envs[i];
    e->elapsed++;
    b->truncated[i] = b->truncated[i] || (e->max_steps > 0 && e->elapsed >= e->max_steps);
    if (!b->reset[i]) continue;
    if (!b->terminated[i] && !b->truncated[i])
      return mimic_fail(MIMIC_ERR_EXTERNAL, "%s copy %d: reset though its episode went on", e->id,
                        i);
    int64_t seed = b->next_seed >= 0 ? b->next_seed + j : MIMIC_SEED_NONE;
    e->reset_seed = seed;
    if (seed >= 0) e->seeded = true;
    mimic_env_clock_reset(e);
    j++;
  }
  if (j > b->max_resets)
    return mimic_fail(MIMIC_ERR_EXTERNAL, "%s: %ld copies reset, at most %ld asked", e0->id, j,
                      b->max_resets);
  return MIMIC_OK;
}

mimic_status mimic_env_step_copies(const mimic_env_batch *b) {
  const size_t od = b->m ? (size_t)b->envs[0]->obs_space.dim : 0;
  const size_t aw = b->m ? (size_t)mimic_space_width(&b->envs[0]->action_space) : 0;
  /* a bad action must leave every copy where it was */
  for (int k = 0; k < b->m; k++) {
    int i = b->rows ? b->rows[k] : k;
    if (mimic_env_check_action(&b->envs[i]->action_space, b->actions + (size_t)i * aw))
      return mimic_errctx("%s copy %d", b->envs[i]->id, i);
  }
  if (mimic_env_program_batched(b->envs, b->rows, b->m)) return mimic_env_program_step_copies(b);
  if (class_batched(b->envs, b->rows, b->m)) return class_step_copies(b);
  long j = 0;
  for (int k = 0; k < b->m; k++) {
    int i = b->rows ? b->rows[k] : k;
    mimic_env *e = b->envs[i];
    float *o = b->obs + (size_t)i * od;
    if (e->cls->step(e->impl, b->actions + (size_t)i * aw, o, &b->reward[i], &b->terminated[i]))
      return mimic_errctx("%s copy %d", e->id, i);
    e->elapsed++;
    b->truncated[i] = e->max_steps > 0 && e->elapsed >= e->max_steps;
    b->reset[i] = false;
    if (!b->terminated[i] && !b->truncated[i]) continue;
    if (b->final_obs) memcpy(b->final_obs + (size_t)i * od, o, od * sizeof *o);
    if (j >= b->max_resets) continue;
    int64_t seed = b->next_seed >= 0 ? b->next_seed + j : MIMIC_SEED_NONE;
    if (mimic_env_reset(e, seed, o)) return mimic_errctx("copy %d", i);
    b->reset[i] = true;
    j++;
  }
  return MIMIC_OK;
}

mimic_status mimic_env_reset_copies(mimic_env *const *envs, const int *rows, int m,
                                    const int64_t *seeds, float *obs) {
  if (m < 1) return MIMIC_OK;
  if (mimic_env_program_batched(envs, rows, m))
    return mimic_env_program_reset_copies(envs, rows, m, seeds, obs);
  if (class_batched(envs, rows, m)) {
    for (int k = 0; k < m; k++) {
      mimic_env *e = envs[rows ? rows[k] : k];
      e->reset_seed = seeds[k] >= 0 ? seeds[k] : MIMIC_SEED_NONE;
      if (seeds[k] >= 0) e->seeded = true;
      mimic_env_clock_reset(e);
    }
    mimic_env *e0 = envs[rows ? rows[0] : 0];
    if (e0->cls->reset_copies(envs, rows, m, seeds, obs)) return mimic_errctx("%s", e0->id);
    return MIMIC_OK;
  }
  const size_t od = (size_t)envs[rows ? rows[0] : 0]->obs_space.dim;
  for (int k = 0; k < m; k++) {
    int i = rows ? rows[k] : k;
    if (mimic_env_reset(envs[i], seeds[k], obs + (size_t)i * od)) return mimic_errctx("copy %d", i);
  }
  return MIMIC_OK;
}
