/* Protocol 2 of the env protocol: one program serving N copies, stepped in
 * binary frames after the JSON handshake (docs/env-protocol.md, "Protocol
 * 2"). program.c makes the group and says hello; this file is the frames.
 *
 * Why frames and a batch: in protocol 1 every step of every copy is a JSON
 * line each way and two process wake-ups, and the wake-ups dominate. Here a
 * step of all running copies is one frame each way, and the program resets
 * the copies that ended in the same frame (Stable-Baselines3's auto-reset),
 * with the seeds mimic's rollout would have given them, so one rollout step
 * is one round trip. The program also sends its expert's action for every
 * copy it touched, so DAgger's labels cost no message at all.
 *
 * Every field of a reply is checked before any of it reaches mimic's
 * buffers: the magic, the kind, the copy count and the exact payload size of
 * the frame, then NaN and infinite values, rewards, flags that are not 0 or
 * 1, expert actions outside the space. Failures name the program, the frame,
 * the copy, its step and the field. Numbers are little-endian whatever the
 * host (read and written byte by byte). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "envs/program.h"

enum {
  HEADER = 16,
  KIND_RESET = 1,
  KIND_STEP = 2,
  KIND_EXPERT = 3,
  KIND_ERROR = 0x7f,
  ERROR_MAX = 4096,
  FLAG_EXPERT = 1 /* header byte 5: the reply carries the expert's actions */
};
static const char MAGIC[4] = {'M', 'E', 'P', '2'};

/* ---- little-endian numbers ------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}
static void putf(uint8_t *p, float x) {
  uint32_t v;
  memcpy(&v, &x, 4);
  put32(p, v);
}
static float getf(const uint8_t *p) {
  uint32_t v = get32(p);
  float x;
  memcpy(&x, &v, 4);
  return x;
}
static double getd(const uint8_t *p) {
  uint64_t v = get64(p);
  double x;
  memcpy(&x, &v, 8);
  return x;
}

/* ---- frames ------------------------------------------------------------------------ */

static size_t step_request_size(const program_group *g, int m) {
  return HEADER + 16 + (size_t)m * (4 + 4 * (size_t)g->act_width + 1);
}
static size_t reset_request_size(int m) { return HEADER + (size_t)m * 12; }
static bool frames_carry_expert(const program_group *g) {
  return g->has_expert && (!g->expert_on_request || g->want_expert);
}
static size_t expert_bytes(const program_group *g, int m) {
  return frames_carry_expert(g) ? (size_t)m * 4 * (size_t)g->act_width : 0;
}
static size_t step_reply_payload(const program_group *g, int m) {
  return (size_t)m * (8 + 8 * (size_t)g->obs_dim + 2) + expert_bytes(g, m);
}
static size_t reset_reply_payload(const program_group *g, int m) {
  return (size_t)m * 4 * (size_t)g->obs_dim + expert_bytes(g, m);
}

mimic_status program_group_ready(program_group *g) {
  const program_env *e = g->copies[0];
  g->has_expert = e->pc->cls.expert != NULL;
  g->obs_dim = e->obs_space.dim;
  g->act_width = mimic_space_width(&e->act_space);
  size_t out = step_request_size(g, g->n), rs = reset_request_size(g->n);
  g->out_cap = out > rs ? out : rs;
  size_t in = step_reply_payload(g, g->n), ri = reset_reply_payload(g, g->n);
  g->in_cap = (in > ri ? in : ri) + ERROR_MAX;
  free(g->out);
  free(g->in);
  free(g->expert);
  free(g->expert_fresh);
  g->expert_fresh = mimic_calloc((size_t)g->n, sizeof(bool), "expert actions");
  g->out = mimic_malloc(g->out_cap, "a frame");
  g->in = mimic_malloc(g->in_cap, "a frame");
  g->expert = mimic_calloc((size_t)g->n * (size_t)g->act_width, sizeof(float), "expert actions");
  if (!g->list) { /* the same n on a reused program: made once */
    g->list = mimic_calloc((size_t)g->n, sizeof *g->list, "environment copies");
    g->acts = mimic_calloc((size_t)g->n, sizeof *g->acts, "environment copies");
    g->rows = mimic_calloc((size_t)g->n, sizeof *g->rows, "environment copies");
    g->last = mimic_calloc((size_t)g->n, sizeof *g->last, "environment copies");
  }
  return g->out && g->in && g->expert && g->expert_fresh && g->list && g->acts && g->rows && g->last
             ? MIMIC_OK
             : MIMIC_ERR_NOMEM;
}

static void put_header(const program_group *g, uint8_t *p, int kind, int m, size_t total) {
  memcpy(p, MAGIC, 4);
  p[4] = (uint8_t)kind;
  p[5] = g->expert_on_request && g->want_expert ? FLAG_EXPERT : 0;
  p[6] = p[7] = 0;
  put32(p + 8, (uint32_t)m);
  put32(p + 12, (uint32_t)(total - HEADER));
}

/* "step frame 12 (32 copies; copy 0 at step 3 of episode 1)", for messages. */
static const char *frame_where(const program_group *g, int kind, const program_env *first, int m,
                               char *buf, size_t cap) {
  char w[64];
  snprintf(buf, cap, "%s frame %ld (%d %s; copy %d at %s)",
           kind == KIND_STEP    ? "step"
           : kind == KIND_RESET ? "reset"
                                : "expert",
           g->frames, m, m == 1 ? "copy" : "copies", first->pc->copy,
           program_where(first, w, sizeof w));
  return buf;
}

/* Sends the request in g->out (total bytes) and reads a reply of the same
 * kind and count with exactly `payload` bytes into g->in. */
static mimic_status round_trip(program_group *g, int kind, const program_env *first, int m,
                               size_t total, size_t payload) {
  char what[160];
  g->frames++;
  frame_where(g, kind, first, m, what, sizeof what);
  const char *name = mimic_proc_name(g->proc);
  MIMIC_TRY(mimic_proc_send(g->proc, g->out, total, what));
  uint8_t h[HEADER];
  MIMIC_TRY(mimic_proc_recv(g->proc, h, HEADER, what));
  if (memcmp(h, MAGIC, 4) != 0)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "environment program '%s': %s: the reply does not start with \"MEP2\" "
                      "(bytes %02x %02x %02x %02x)",
                      name, what, h[0], h[1], h[2], h[3]);
  uint32_t count = get32(h + 8), len = get32(h + 12);
  if (h[4] == KIND_ERROR) {
    size_t keep = len < ERROR_MAX - 1 ? len : ERROR_MAX - 1;
    char msg[ERROR_MAX];
    MIMIC_TRY(mimic_proc_recv(g->proc, msg, keep, what));
    msg[keep] = '\0';
    return mimic_fail(MIMIC_ERR_EXTERNAL, "environment program '%s' reported an error on %s: %s",
                      name, what, msg);
  }
  if (h[4] != kind)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "environment program '%s': %s: the reply's kind is %d, not %d", name, what,
                      h[4], kind);
  if (count != (uint32_t)m)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "environment program '%s': %s: the reply holds %u copies, the request %d",
                      name, what, count, m);
  if (len != payload)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "environment program '%s': %s: the reply's payload is %u bytes, %d copies "
                      "take %zu",
                      name, what, len, m, payload);
  MIMIC_TRY(mimic_proc_recv(g->proc, g->in, payload, what));
  mimic_proc_count_reply(g->proc);
  return MIMIC_OK;
}

/* Checks n floats of a row for NaN (and infinities unless allowed). */
static mimic_status check_row(const program_env *e, const char *field, const uint8_t *p, int n,
                              bool allow_inf) {
  for (int i = 0; i < n; i++) {
    float x = getf(p + 4 * (size_t)i);
    if (isnan(x) || (!allow_inf && isinf(x))) {
      char w[64];
      return mimic_fail(MIMIC_ERR_RANGE, "environment program '%s': %s, copy %d: %s[%d] is %s",
                        mimic_proc_name(e->pc->group->proc), program_where(e, w, sizeof w),
                        e->pc->copy, field, i, isnan(x) ? "NaN" : "infinite");
    }
  }
  return MIMIC_OK;
}

/* Checks copy e's expert action (act_width floats at p). */
static mimic_status check_expert(const program_env *e, const uint8_t *p) {
  if (!e->pc->cls.expert) return MIMIC_OK;
  MIMIC_TRY(check_row(e, "expert_action", p, e->pc->group->act_width, false));
  float a = getf(p);
  if (e->act_space.kind == MIMIC_SPACE_DISCRETE && !mimic_space_contains(&e->act_space, &a)) {
    char w[64];
    return mimic_fail(MIMIC_ERR_RANGE,
                      "environment program '%s': %s, copy %d: expert_action %g is not in "
                      "Discrete(%d)",
                      mimic_proc_name(e->pc->group->proc), program_where(e, w, sizeof w),
                      e->pc->copy, (double)a, e->act_space.n);
  }
  return MIMIC_OK;
}

static void take_row(float *out, const uint8_t *p, int n) {
  for (int i = 0; i < n; i++) out[i] = getf(p + 4 * (size_t)i);
}

/* ---- reset ---------------------------------------------------------------------------- */

mimic_status program_group_reset(program_group *g, program_env *const *copies, int m,
                                 const int64_t *seeds, float *const *obs) {
  const int od = g->obs_dim, aw = g->act_width;
  size_t total = reset_request_size(m);
  uint8_t *p = g->out + HEADER;
  for (int k = 0; k < m; k++) {
    put32(p + 4 * (size_t)k, (uint32_t)copies[k]->pc->copy);
    put64(p + 4 * (size_t)m + 8 * (size_t)k, (uint64_t)(seeds[k] >= 0 ? seeds[k] : -1));
    copies[k]->step = 0;
    copies[k]->episode++;
  }
  put_header(g, g->out, KIND_RESET, m, total);
  mimic_status st = round_trip(g, KIND_RESET, copies[0], m, total, reset_reply_payload(g, m));
  const uint8_t *in = g->in, *ex = in + (size_t)m * 4 * (size_t)od;
  for (int k = 0; st == MIMIC_OK && k < m; k++) {
    st = check_row(copies[k], "obs", in + (size_t)k * 4 * (size_t)od, od, true);
    if (st == MIMIC_OK && expert_bytes(g, 1))
      st = check_expert(copies[k], ex + (size_t)k * 4 * (size_t)aw);
  }
  if (st) {
    g->healthy = false;
    return st;
  }
  for (int k = 0; k < m; k++) {
    take_row(obs[k], in + (size_t)k * 4 * (size_t)od, od);
    g->expert_fresh[copies[k]->pc->copy] = frames_carry_expert(g);
    if (expert_bytes(g, 1))
      take_row(g->expert + (size_t)copies[k]->pc->copy * (size_t)aw,
               ex + (size_t)k * 4 * (size_t)aw, aw);
  }
  return MIMIC_OK;
}

/* ---- step ------------------------------------------------------------------------------ */

/* One step frame for copies[k] (k < m): actions rows, last[k] whether mimic's
 * time limit ends the episode at this step; up to max_resets copies that end
 * are reset by the program (seeds next_seed + j). On success the reply is in
 * g->in, checked. */
static mimic_status step_frame(program_group *g, program_env *const *copies, int m,
                               const float *const *actions, const bool *last, int64_t next_seed,
                               long max_resets) {
  const int od = g->obs_dim, aw = g->act_width;
  size_t total = step_request_size(g, m);
  uint8_t *p = g->out + HEADER;
  put64(p, (uint64_t)(next_seed >= 0 ? next_seed : -1));
  put64(p + 8, (uint64_t)(max_resets < m ? max_resets : m));
  uint8_t *cp = p + 16, *ap = cp + 4 * (size_t)m, *lp = ap + (size_t)m * 4 * (size_t)aw;
  for (int k = 0; k < m; k++) {
    put32(cp + 4 * (size_t)k, (uint32_t)copies[k]->pc->copy);
    for (int j = 0; j < aw; j++) putf(ap + ((size_t)k * (size_t)aw + (size_t)j) * 4, actions[k][j]);
    lp[k] = last[k];
    copies[k]->step++;
  }
  put_header(g, g->out, KIND_STEP, m, total);
  MIMIC_TRY(round_trip(g, KIND_STEP, copies[0], m, total, step_reply_payload(g, m)));
  const uint8_t *rw = g->in, *ob = rw + 8 * (size_t)m, *fo = ob + (size_t)m * 4 * (size_t)od;
  const uint8_t *ex = fo + (size_t)m * 4 * (size_t)od, *tf = ex + expert_bytes(g, m), *tr = tf + m;
  for (int k = 0; k < m; k++) {
    const program_env *e = copies[k];
    char w[64];
    double r = getd(rw + 8 * (size_t)k);
    if (!isfinite(r))
      return mimic_fail(MIMIC_ERR_RANGE, "environment program '%s': %s, copy %d: reward is %s",
                        mimic_proc_name(g->proc), program_where(e, w, sizeof w), e->pc->copy,
                        isnan(r) ? "NaN" : "infinite");
    for (int f = 0; f < 2; f++) {
      uint8_t v = (f ? tr : tf)[k];
      if (v > 1)
        return mimic_fail(MIMIC_ERR_FORMAT,
                          "environment program '%s': %s, copy %d: %s is %u, not 0 or 1",
                          mimic_proc_name(g->proc), program_where(e, w, sizeof w), e->pc->copy,
                          f ? "truncated" : "terminated", v);
    }
    bool done = tf[k] || tr[k] || last[k];
    MIMIC_TRY(check_row(e, done ? "final_obs" : "obs",
                        (done ? fo : ob) + (size_t)k * 4 * (size_t)od, od, true));
    if (done) MIMIC_TRY(check_row(e, "obs", ob + (size_t)k * 4 * (size_t)od, od, true));
    if (expert_bytes(g, 1)) MIMIC_TRY(check_expert(e, ex + (size_t)k * 4 * (size_t)aw));
  }
  return MIMIC_OK;
}

mimic_status program_group_step_one(program_env *e, const float *action, float *obs, double *reward,
                                    bool *terminated, bool *truncated) {
  program_group *g = e->pc->group;
  bool last = false; /* mimic's clock and the reset after it stay with mimic_env_step */
  mimic_status st = step_frame(g, &e, 1, &action, &last, MIMIC_SEED_NONE, 0);
  if (st) {
    g->healthy = false;
    return st;
  }
  const uint8_t *ob = g->in + 8, *ex = ob + 8 * (size_t)g->obs_dim;
  *reward = getd(g->in);
  take_row(obs, ob, g->obs_dim);
  g->expert_fresh[e->pc->copy] = frames_carry_expert(g);
  if (expert_bytes(g, 1))
    take_row(g->expert + (size_t)e->pc->copy * (size_t)g->act_width, ex, g->act_width);
  const uint8_t *tf = ex + expert_bytes(g, 1);
  *terminated = tf[0];
  *truncated = tf[1];
  return MIMIC_OK;
}

mimic_status program_group_expert(program_env *e, float *action) {
  program_group *g = e->pc->group;
  const int c = e->pc->copy, aw = g->act_width;
  if (!g->expert_fresh[c]) { /* the first ask: one expert frame, then every frame asks */
    g->want_expert = true;
    size_t total = HEADER + 4;
    put32(g->out + HEADER, (uint32_t)c);
    put_header(g, g->out, KIND_EXPERT, 1, total);
    mimic_status st = round_trip(g, KIND_EXPERT, e, 1, total, (size_t)4 * (size_t)aw);
    if (st == MIMIC_OK) st = check_expert(e, g->in);
    if (st) {
      g->healthy = false;
      return st;
    }
    take_row(g->expert + (size_t)c * (size_t)aw, g->in, aw);
    g->expert_fresh[c] = true;
  }
  memcpy(action, g->expert + (size_t)c * (size_t)aw, (size_t)aw * sizeof(float));
  return MIMIC_OK;
}

/* ---- copies through the env layer ----------------------------------------------------------- */

/* The copy behind env when it is served by a batched group, else NULL. */
static program_env *batched_copy(mimic_env *env) {
  if (!env->owned_cls) return NULL;
  program_env *e = env->impl;
  return e->pc && e->pc->group && e->pc->group->batched ? e : NULL;
}

bool mimic_env_program_batched(mimic_env *const *envs, const int *rows, int m) {
  program_env *first = m > 0 ? batched_copy(envs[rows ? rows[0] : 0]) : NULL;
  if (!first) return false;
  for (int k = 1; k < m; k++) {
    program_env *e = batched_copy(envs[rows ? rows[k] : k]);
    if (!e || e->pc->group != first->pc->group) return false;
  }
  return true;
}

mimic_status mimic_env_program_step_copies(const mimic_env_batch *b) {
  const int m = b->m;
  mimic_env *env0 = b->envs[b->rows ? b->rows[0] : 0];
  program_group *g = ((program_env *)env0->impl)->pc->group;
  const int od = g->obs_dim, aw = g->act_width;
  program_env **copies = g->list;
  const float **acts = g->acts;
  bool *last = g->last;
  for (int k = 0; k < m; k++) {
    int i = b->rows ? b->rows[k] : k;
    mimic_env *env = b->envs[i];
    copies[k] = env->impl;
    acts[k] = b->actions + (size_t)i * (size_t)aw;
    last[k] = env->max_steps > 0 && env->elapsed + 1 >= env->max_steps;
  }
  mimic_status st = step_frame(g, copies, m, acts, last, b->next_seed, b->max_resets);
  if (st) {
    g->healthy = false;
    return mimic_errctx("%s", env0->id);
  }
  const uint8_t *rw = g->in, *ob = rw + 8 * (size_t)m, *fo = ob + (size_t)m * 4 * (size_t)od;
  const uint8_t *ex = fo + (size_t)m * 4 * (size_t)od, *tf = ex + expert_bytes(g, m), *tr = tf + m;
  long j = 0; /* copies reset so far, in row order: the program counts the same way */
  for (int k = 0; k < m; k++) {
    int i = b->rows ? b->rows[k] : k;
    mimic_env *env = b->envs[i];
    program_env *e = copies[k];
    float *o = b->obs + (size_t)i * (size_t)od;
    b->reward[i] = getd(rw + 8 * (size_t)k);
    b->terminated[i] = tf[k];
    b->truncated[i] = tr[k] || last[k];
    take_row(o, ob + (size_t)k * 4 * (size_t)od, od);
    g->expert_fresh[e->pc->copy] = frames_carry_expert(g);
    if (expert_bytes(g, 1))
      take_row(g->expert + (size_t)e->pc->copy * (size_t)aw, ex + (size_t)k * 4 * (size_t)aw, aw);
    env->elapsed++;
    b->reset[i] = false;
    if (!b->terminated[i] && !b->truncated[i]) continue;
    if (b->final_obs)
      take_row(b->final_obs + (size_t)i * (size_t)od, fo + (size_t)k * 4 * (size_t)od, od);
    if (j >= b->max_resets) continue;
    int64_t seed = b->next_seed >= 0 ? b->next_seed + j : MIMIC_SEED_NONE;
    env->reset_seed = seed;
    if (seed >= 0) env->seeded = true;
    mimic_env_clock_reset(env);
    e->step = 0;
    e->episode++;
    b->reset[i] = true;
    j++;
  }
  return MIMIC_OK;
}

mimic_status mimic_env_program_reset_copies(mimic_env *const *envs, const int *rows, int m,
                                            const int64_t *seeds, float *obs) {
  mimic_env *env0 = envs[rows ? rows[0] : 0];
  program_group *g = ((program_env *)env0->impl)->pc->group;
  program_env **copies = g->list;
  float **out = g->rows;
  for (int k = 0; k < m; k++) {
    int i = rows ? rows[k] : k;
    mimic_env *env = envs[i];
    copies[k] = env->impl;
    out[k] = obs + (size_t)i * (size_t)g->obs_dim;
    env->reset_seed = seeds[k] >= 0 ? seeds[k] : MIMIC_SEED_NONE;
    if (seeds[k] >= 0) env->seeded = true;
    mimic_env_clock_reset(env);
  }
  if (program_group_reset(g, copies, m, seeds, out) != MIMIC_OK)
    return mimic_errctx("%s", env0->id);
  return MIMIC_OK;
}
