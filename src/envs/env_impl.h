/* The inside of a mimic_env, shared by the generic layer's files (env.c,
 * vecenv.c, registry.c) and nothing else.
 *
 * A class (mimic/env_class.h) sees only its own state; users see an opaque
 * handle. What sits between them lives here: the class, its state, the
 * generator, the spaces init declared and the episode's clock. */
#ifndef MIMIC_ENV_IMPL_H
#define MIMIC_ENV_IMPL_H

#include "mimic/env_class.h"

struct mimic_env {
  const mimic_env_class *cls;
  void *impl;
  mimic_rng rng;
  bool seeded;
  mimic_space obs_space;
  mimic_space action_space;
  float *bounds;      /* +-INFINITY for Box bounds a class left NULL (so users never see NULL) */
  int made_max_steps; /* the time limit after make (options applied); every reset restores it */
  int max_steps;      /* this episode's time limit (mimic_env_set_clock may change it) */
  int elapsed;
  int64_t reset_seed;         /* the seed of the last reset (MIMIC_SEED_NONE: it continued) */
  char *id;                   /* a registered id, or a program's "cmd:..." of any length */
  mimic_env_class *owned_cls; /* a class made for this environment alone (program.c) */
  int copy, copies;           /* index among copies made together, and their count (-1, 0) */
};

/* Makes the next environments made on this thread copy k of n (k -1: alone),
 * for mimic_env_copy_index (mimic_env_make_copies). */
void mimic_env_making_copy(int k, int n);

/* Looks up a registered class by id (NULL if unknown). */
const mimic_env_class *mimic_env_class_find(const char *id);

/* Whether id names an environment in another process ("cmd:", "gym:"). */
bool mimic_env_is_program(const char *id);
/* A class for one environment in another process, named by id ("cmd:PROGRAM
 * ARGS" or "gym:ID[:JSON]"; docs/env-protocol.md): its init starts the
 * program and fills the class in from the handshake. */
mimic_status mimic_env_program_class(const char *id, mimic_env_class **out);
/* Ends the program and frees a class from mimic_env_program_class (NULL is fine). */
void mimic_env_program_class_free(mimic_env_class *cls);
/* n classes for n copies of program id made together, in order (copy 0
 * first): the program is asked to serve all n (protocol 2), else each copy
 * gets its own. Each is freed with mimic_env_program_class_free. */
mimic_status mimic_env_program_classes(const char *id, int n, mimic_env_class **out);
/* Whether envs[rows[k]] (k < m; rows NULL: envs[k]) are copies served by one
 * program in protocol 2, so one frame steps them all. */
bool mimic_env_program_batched(mimic_env *const *envs, const int *rows, int m);
/* mimic_env_step_copies and mimic_env_reset_copies for such copies. */
mimic_status mimic_env_program_step_copies(const mimic_env_batch *b);
mimic_status mimic_env_program_reset_copies(mimic_env *const *envs, const int *rows, int m,
                                            const int64_t *seeds, float *obs);
/* Makes an environment of class cls (owned: freed with it, a program's). */
mimic_status mimic_env_make_class(const char *id, const char *options, const mimic_env_class *cls,
                                  mimic_env_class *owned, mimic_env **out);

/* Checks an action against the space: finite, integral and in range for
 * Discrete. Returns an error naming the problem. */
mimic_status mimic_env_check_action(const mimic_space *space, const float *action);

/* Starts an episode's clock at reset: no steps taken, the made time limit. */
static inline void mimic_env_clock_reset(mimic_env *env) {
  env->elapsed = 0;
  env->max_steps = env->made_max_steps;
}

#endif
