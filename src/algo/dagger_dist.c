/* Distributed rollouts for DAgger in environments (see dagger_dist.h).
 *
 * A round: rank 0 broadcasts a header (round, beta, the learner's length)
 * and the learner's bytes (a model file's encoding); every rank, rank 0
 * too, makes its actor from those bytes, resets its copies from the seeds
 * one process with N*n copies would use (rank r's copy i is global copy
 * r*n + i), steps them until it has its share of the round's steps and
 * episodes, and learns from a gather the most ticks any rank needed; the
 * others step on to that count, so every rank sends the same number of
 * records and one gather brings them to rank 0, which reads them
 * tick-major over the global copies (dagger_dist_get): the candidate
 * numbering of one process with N*n copies. A record is the observation,
 * the next observation, the expert's label (the expert answers every
 * state; it counts as a question only where DAgger asks), the learner's
 * action and confidence, the reward and the flags (terminated, truncated,
 * asked, the expert's action taken).
 *
 * Rank 0 rolls out too because a round is sequential anyway: while the
 * ranks step, the learner has nothing to do but wait for their records,
 * and while it fits they wait for the next policy. So N processes on N
 * cores all step (a learner that only waited left a core idle, and on a
 * machine with as many cores as ranks its polling took one from a rollout
 * rank). It steps with the decoded bytes it sent, like every other rank,
 * so the actor is the same bit for bit everywhere.
 *
 * The expert runs on every rank, beside the environments: the built-in one
 * reads the live environment, and every expert's label is needed the
 * moment the beta mixture takes its action, so asking one rank would cost
 * a round trip per tick. Each rank has its own copy, opened from the spec
 * (an expert program is started once per rank; rank 0 uses the driver's),
 * asks it about its n states once a tick (one batched message to a
 * program), and the labels travel with the states. A person (human, web)
 * answers on one process only.
 *
 * Rollouts are a pure function of the round, the learner and the rank
 * count, so rank 0's resume replays a round exactly with the same count. */
#include "algo/dagger_dist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/nn.h"

typedef struct header {
  int32_t cmd; /* 1 a round, 0 stop */
  int32_t round;
  double beta;
  int64_t model_len; /* 0: no learner yet, act at random */
} header;

mimic_status dagger_dist_open(dagger_dist *x, mimic_comm *comm, const mimic_dagger_env_config *cfg,
                              mimic_expert *expert) {
  memset(x, 0, sizeof *x);
  x->comm = comm;
  x->cfg = cfg;
  if (!comm) return mimic_fail(MIMIC_ERR_INVALID, "distributed rollouts need a communicator");
  const char *spec = cfg->expert;
  if (cfg->expert_obj || strcmp(spec, "human") == 0 || strncmp(spec, "web", 3) == 0)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "distributed DAgger runs the expert on every rank (built-in, a program or "
                      "a policy file); the expert '%s' runs on one process only",
                      cfg->expert_obj ? cfg->expert_obj->name : spec);
  const bool builtin = strcmp(spec, "builtin") == 0 || strcmp(spec, "expert") == 0;
  x->n = cfg->n_envs;
  x->G = cfg->n_envs * comm->size;
  mimic_rollout_config rc = {.n = cfg->n_envs, .seed = cfg->seed};
  MIMIC_TRY(mimic_rollout_open(&x->roll, cfg->env_id, cfg->env_opts, &rc));
  mimic_env *env = x->roll.envs[0];
  if (builtin && !mimic_env_has_expert(env))
    return mimic_fail(MIMIC_ERR_INVALID, "%s has no built-in expert", cfg->env_id);
  x->as = mimic_env_action_space(env);
  x->od = mimic_env_obs_space(env)->dim;
  x->aw = mimic_space_width(x->as);
  x->width = 2 * (size_t)x->od + 2 * (size_t)x->aw + 3;
  MIMIC_TRY(mimic_policy_random(x->as, &x->random));
  if (builtin) return MIMIC_OK;
  if (expert) { /* the caller's copy (rank 0: the driver's) */
    x->expert = expert;
  } else { /* this rank's own copy */
    mimic_expert_opts eo = {.timeout_s = cfg->expert_timeout};
    MIMIC_TRY(mimic_codec_env(env, &x->codec));
    MIMIC_TRY(mimic_expert_open(spec, x->codec, &eo, &x->expert));
    x->own_expert = true;
  }
  if (x->expert->person || x->expert->streams)
    return mimic_fail(MIMIC_ERR_INVALID, "the expert '%s' is a person: one process only", spec);
  x->answers = mimic_calloc((size_t)x->n, sizeof *x->answers, "the expert's answers");
  return x->answers ? MIMIC_OK : MIMIC_ERR_NOMEM;
}

void dagger_dist_close(dagger_dist *x) {
  mimic_rollout_close(&x->roll);
  mimic_policy_free(x->random);
  mimic_policy_free(x->learner);
  if (x->own_expert) mimic_expert_free(x->expert);
  mimic_codec_free(x->codec);
  free(x->answers);
  free(x->local);
  free(x->all);
  free(x->bytes);
  memset(x, 0, sizeof *x);
}

dagger_dist_record dagger_dist_get(const dagger_dist *x, long tick, int copy) {
  /* rank copy/n sent its block of ticks x n records */
  const size_t rank = (size_t)(copy / x->n), i = (size_t)(copy % x->n), n = (size_t)x->n;
  const float *r = x->all + ((rank * (size_t)x->ticks + (size_t)tick) * n + i) * x->width;
  const size_t od = (size_t)x->od, aw = (size_t)x->aw;
  return (dagger_dist_record){.obs = r,
                              .next = r + od,
                              .label = r + 2 * od,
                              .guess = r + 2 * od + aw,
                              .conf = r[2 * od + 2 * aw],
                              .reward = r[2 * od + 2 * aw + 1],
                              .flags = (int)r[2 * od + 2 * aw + 2]};
}

/* Grows *buf to hold n records of width floats. */
static mimic_status reserve(float **buf, size_t *cap, size_t n, size_t width) {
  if (n <= *cap) return MIMIC_OK;
  size_t want = *cap ? *cap : 1024;
  while (want < n) want *= 2;
  float *p = mimic_realloc(*buf, want, width * sizeof(float), "the rollout records");
  if (!p) return MIMIC_ERR_NOMEM;
  *buf = p;
  *cap = want;
  return MIMIC_OK;
}

/* Rollout rank: the expert's (not built-in) labels of the n states of a
 * tick into the records' label fields, in one batch. */
static mimic_status ask_expert(dagger_dist *x, float *row, int round, bool learner) {
  mimic_rollout *ro = &x->roll;
  const size_t od = (size_t)x->od;
  for (int i = 0; i < x->n; i++)
    x->answers[i] = (mimic_answer){.action = row + (size_t)i * x->width + 2 * od};
  mimic_questions q = {.n = (size_t)x->n,
                       .obs = ro->obs,
                       .obs_dim = x->od,
                       .envs = ro->envs,
                       .guess = learner ? ro->actions : NULL, /* none before the first fit */
                       .guess_conf = learner ? ro->confidence : NULL,
                       .round = round + 1,
                       .must_act = true};
  mimic_status st = mimic_expert_label(x->expert, &q, x->answers);
  for (int i = 0; i < x->n; i++) {
    if (!st && x->answers[i].kind != MIMIC_ANSWER_ACTION)
      st = mimic_fail(MIMIC_ERR_INVALID,
                      "the expert '%s' gave no action (a skip or quit) on rank %d: "
                      "distributed DAgger needs one for every state",
                      x->expert->name, x->comm->rank);
    free(x->answers[i].detail);
    x->answers[i].detail = NULL;
  }
  return st;
}

/* Rollout rank: one tick of its n copies, recorded as row `tick`. */
static mimic_status tick_once(dagger_dist *x, mimic_policy *actor, double beta, int round,
                              long tick, int *ended) {
  mimic_rollout *ro = &x->roll;
  const mimic_dagger_env_config *cfg = x->cfg;
  const size_t od = (size_t)x->od, aw = (size_t)x->aw;
  MIMIC_TRY(reserve(&x->local, &x->local_cap, (size_t)(tick + 1) * (size_t)x->n, x->width));
  MIMIC_TRY(mimic_rollout_act(ro, actor, true, &x->rng));
  float *row = x->local + (size_t)tick * (size_t)x->n * x->width;
  if (x->expert) MIMIC_TRY(ask_expert(x, row, round, actor != x->random));
  for (int i = 0; i < x->n; i++) {
    float *r = row + (size_t)i * x->width;
    float *label = r + 2 * od, *guess = r + 2 * od + aw;
    bool takes = beta > 0 && mimic_rng_double(&x->rng) < beta;
    float conf = ro->confidence[i];
    bool unsure = cfg->query.kind == MIMIC_QUERY_UNCERTAIN && conf < cfg->query.threshold;
    bool asked = takes || cfg->query.kind == MIMIC_QUERY_ALL || unsure;
    takes = takes || (unsure && cfg->defer);
    if (!x->expert) MIMIC_TRY(mimic_env_expert_act(ro->envs[i], label));
    memcpy(r, ro->obs + (size_t)i * od, od * sizeof(float));
    memcpy(guess, ro->actions + (size_t)i * aw, aw * sizeof(float));
    if (takes) memcpy(ro->actions + (size_t)i * aw, label, aw * sizeof(float));
    r[2 * od + 2 * aw] = conf;
    r[2 * od + 2 * aw + 2] = (float)((asked ? DIST_ASKED : 0) | (takes ? DIST_TAKES : 0));
  }
  MIMIC_TRY(mimic_rollout_step(ro));
  for (int i = 0; i < x->n; i++) {
    float *r = row + (size_t)i * x->width;
    bool done = ro->terminated[i] || ro->truncated[i];
    memcpy(r + od, (done ? ro->final_obs : ro->obs) + (size_t)i * od, od * sizeof(float));
    r[2 * od + 2 * aw + 1] = (float)ro->reward[i];
    r[2 * od + 2 * aw + 2] +=
        (float)((ro->terminated[i] ? DIST_TERM : 0) | (ro->truncated[i] ? DIST_TRUNC : 0));
  }
  *ended += ro->n_end;
  return MIMIC_OK;
}

/* The tests' rank failure: with MIMIC_TEST_KILL_RANK=RANK:ROUND rollout
 * rank RANK kills itself (SIGKILL, as a node dies) as round ROUND begins,
 * a fixed point where killing it from outside would race the run's end. */
static void test_kill_point(int rank, int round) {
  const char *k = getenv("MIMIC_TEST_KILL_RANK");
  int kill_rank, kill_round;
  if (k && sscanf(k, "%d:%d", &kill_rank, &kill_round) == 2 && kill_rank == rank &&
      kill_round == round)
    raise(SIGKILL);
}

/* Every rank: the round's actor from the learner's bytes in x->bytes
 * (len 0: no learner yet, act at random). */
static mimic_status load_actor(dagger_dist *x, size_t len) {
  mimic_policy_free(x->learner);
  x->learner = NULL;
  if (!len) return MIMIC_OK;
  mimic_model m;
  MIMIC_TRY(mimic_model_decode(x->bytes, len, "the learner", NULL, x->n, &m));
  mimic_status st = mimic_policy_from_model(&m, x->as, &x->learner);
  if (st) mimic_model_free(&m);
  return st;
}

/* Every rank: steps its copies to tick `until` or further, until it has
 * its share of the steps and episodes (share false: exactly to until). */
static mimic_status step_to(dagger_dist *x, const header *h, long *tick, long until, bool share,
                            int *ended, mimic_progress *bar) {
  const int N = x->comm->size;
  const long steps_share = (x->cfg->min_steps + N - 1) / N;
  const int episodes_share = (x->cfg->min_episodes + N - 1) / N;
  mimic_policy *actor = x->learner ? x->learner : x->random;
  for (; *tick < until || (share && (*tick * x->n < steps_share || *ended < episodes_share));
       ++*tick) {
    MIMIC_TRY(tick_once(x, actor, h->beta, h->round, *tick, ended));
    /* rank 0's count for all: the ranks step at the same pace */
    mimic_progress_update(bar, (uint64_t)(*tick + 1) * (uint64_t)x->G);
  }
  return MIMIC_OK;
}

/* Every rank: a round's rollouts, then the agreed tick count, then the
 * records to rank 0 (x->all, x->ticks). */
static mimic_status roll_round(dagger_dist *x, const header *h) {
  mimic_comm *c = x->comm;
  test_kill_point(c->rank, h->round);
  const mimic_dagger_env_config *cfg = x->cfg;
  uint64_t round = (uint64_t)h->round;
  MIMIC_TRY(mimic_rollout_reset(&x->roll,
                                cfg->seed + 100003u * round + (uint64_t)c->rank * (uint64_t)x->n));
  /* rank r's stream is the one rank r+1 had when rank 0 did not roll out:
   * N ranks now step what N+1 did then */
  mimic_rng_seed(&x->rng,
                 (cfg->seed * 7919u + round) ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(c->rank + 1)));
  mimic_progress bar;
  char label[48];
  snprintf(label, sizeof label, "round %d rollouts, %d ranks", h->round + 1, c->size);
  mimic_progress_begin(&bar, label, "step", (uint64_t)cfg->min_steps);
  bar.active = bar.active && cfg->progress && c->rank == 0;
  long tick = 0;
  int ended = 0;
  mimic_status st = step_to(x, h, &tick, 0, true, &ended, &bar);
  int64_t mine = tick, most = 0, *ticks = NULL;
  if (!st && c->rank == 0 &&
      !(ticks = mimic_calloc((size_t)c->size, sizeof *ticks, "the ranks' tick counts")))
    st = MIMIC_ERR_NOMEM;
  if (!st) st = c->gather(c, &mine, sizeof mine, ticks, 0);
  for (int r = 0; !st && ticks && r < c->size; r++)
    if (ticks[r] > most) most = ticks[r];
  free(ticks);
  if (!st) st = c->bcast(c, &most, sizeof most, 0);
  if (!st) st = step_to(x, h, &tick, (long)most, false, &ended, &bar);
  mimic_progress_end(&bar);
  const size_t block = (size_t)most * (size_t)x->n; /* records from each rank */
  if (!st && c->rank == 0) st = reserve(&x->all, &x->all_cap, (size_t)c->size * block, x->width);
  if (!st) st = c->gather(c, x->local, block * x->width * sizeof(float), x->all, 0);
  x->ticks = most;
  return st;
}

mimic_status dagger_dist_serve(dagger_dist *x) {
  mimic_comm *c = x->comm;
  mimic_status st = MIMIC_OK;
  for (;;) {
    header h;
    st = c->bcast(c, &h, sizeof h, 0);
    if (st || h.cmd == 0) break;
    if (h.model_len > 0) {
      size_t len = (size_t)h.model_len;
      if (len > x->bytes_cap) {
        uint8_t *b = mimic_realloc(x->bytes, len, 1, "the learner");
        if (!b) {
          st = MIMIC_ERR_NOMEM;
          break;
        }
        x->bytes = b;
        x->bytes_cap = len;
      }
      st = c->bcast(c, x->bytes, len, 0);
    }
    if (!st) st = load_actor(x, (size_t)h.model_len);
    if (!st) st = roll_round(x, &h);
    if (st) break;
  }
  return st;
}

mimic_status dagger_dist_round(dagger_dist *x, int round, double beta, mimic_policy *learner) {
  mimic_comm *c = x->comm;
  uint8_t *bytes = NULL;
  size_t len = 0;
  mimic_model *m = learner ? mimic_bc_learner_model(learner) : NULL;
  if (m) MIMIC_TRY(mimic_model_encode(m, &bytes, &len));
  free(x->bytes);
  x->bytes = bytes;
  x->bytes_cap = len;
  header h = {.cmd = 1, .round = round, .beta = beta, .model_len = (int64_t)len};
  MIMIC_TRY(c->bcast(c, &h, sizeof h, 0));
  if (len) MIMIC_TRY(c->bcast(c, x->bytes, len, 0));
  MIMIC_TRY(load_actor(x, len)); /* rank 0 steps with the bytes it sent, as the others do */
  return roll_round(x, &h);
}

mimic_status dagger_dist_stop(dagger_dist *x) {
  header h = {.cmd = 0};
  return x->comm->bcast(x->comm, &h, sizeof h, 0);
}
