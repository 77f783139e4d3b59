/* The inside of an environment program (program.c: the class, the JSON
 * handshake, protocol 1; program_batch.c: protocol 2's binary frames, one
 * program serving N copies). Shared by those two files and nothing else.
 *
 * A copy made alone has its own program_class and its own process. Copies
 * made together (mimic_env_make_copies) share a program_group: copy 0's
 * init says hello with num_envs N, and when the program answers protocol 2
 * the group owns the one process and every copy's reset, step and expert go
 * through it (a batch of copies in one frame). A program that answers
 * protocol 1 serves copy 0 alone and the other copies start their own. */
#ifndef MIMIC_ENVS_PROGRAM_H
#define MIMIC_ENVS_PROGRAM_H

#include <stdint.h>

#include "core/proc.h"
#include "envs/env_impl.h"

typedef struct program_env program_env;

typedef struct program_group {
  int refs, n;      /* copies alive / made */
  char *spec;       /* the id */
  char *pool_key;   /* spec and N: a kept program serves the same N again */
  mimic_proc *proc; /* the program, once it answered protocol 2 */
  bool batched;     /* it did */
  bool healthy;
  bool has_expert;        /* the program has an expert (hello said "expert": true) */
  bool expert_on_request; /* hello said so too: replies carry the expert's actions only when
                             a request's flags ask (else every reply does) */
  bool want_expert;       /* requests ask: someone asked for an expert action of this group */
  bool *expert_fresh;     /* [n] the cached expert action is for the copy's current state */
  double timeout_s;
  int max_steps;          /* from the handshake, for every copy */
  program_env **copies;   /* [n] */
  int obs_dim, act_width; /* floats of one observation and one action */
  float *bounds;          /* the spaces' bounds (copy 0's handshake) */
  float *expert;          /* [n x act_width] the expert's action in each copy's state */
  uint8_t *out, *in;      /* frame buffers (sized for n copies at the handshake) */
  size_t out_cap, in_cap;
  long frames;        /* frames sent, for messages */
  program_env **list; /* [n] scratch: the copies of one frame */
  const float **acts; /* [n] scratch: their actions */
  float **rows;       /* [n] scratch: their observation rows */
  bool *last;         /* [n] scratch: mimic's time limit ends their episode */
} program_group;

typedef struct program_class {
  mimic_env_class cls; /* first: env.c frees the class through its pointer */
  char *spec;          /* "cmd:..." or "gym:...", the id */
  char summary[128];
  mimic_proc *proc; /* protocol 1: this copy's own program */
  double timeout_s;
  bool healthy;         /* every request so far was answered as the protocol says */
  float *bounds;        /* obs low, obs high, act low, act high */
  program_group *group; /* copies made together, or NULL */
  int copy;             /* this copy's index in the group */
} program_class;

struct program_env {
  program_class *pc;
  mimic_env *env;
  mimic_space obs_space, act_space;
  long step, episode; /* for messages: steps in this episode, episodes begun */
  uint8_t *frame;     /* a rendered frame fetched by a size query, until it is taken */
  int frame_w, frame_h;
};

/* Where a reply came from, for messages: "step 17 of episode 3". */
const char *program_where(const program_env *e, char *buf, size_t cap);

/* Protocol 2 (program_batch.c): the group's frame buffers for n copies. */
mimic_status program_group_ready(program_group *g);
/* Resets copies[k] with seeds[k] (MIMIC_SEED_NONE: continue), obs rows k. */
mimic_status program_group_reset(program_group *g, program_env *const *copies, int m,
                                 const int64_t *seeds, float *const *obs);
/* One copy's step without auto-reset (mimic_env_step on a copy of a group). */
mimic_status program_group_step_one(program_env *e, const float *action, float *obs, double *reward,
                                    bool *terminated, bool *truncated);
/* The expert's action in copy e's state: cached from the last frame that
 * touched it, or asked for (an expert frame) when that frame carried none;
 * frames from then on ask for them. */
mimic_status program_group_expert(program_env *e, float *action);

#endif
