/* A rollout's state between steps, in and out of a checkpoint container
 * (mimic/rollout.h: mimic_rollout_save_state / mimic_rollout_load_state).
 *
 * A trainer that stops between two steps and starts again must find every
 * copy where it was: the environment mid-episode (its own state, generator
 * and clock, mimic_env_save_state), the observation the policy answers
 * next, the return and length so far, which episode each copy runs, and
 * every finished episode's statistics. The arrays, under a prefix:
 *
 *   .counts   <i8> n, obs_dim, seed, episodes, started, n_running
 *   .copies   <i8> (n, 3): ep_length, ep_index, running
 *   .returns  <f8> (n) returns so far
 *   .obs      <f4> (n, obs_dim)
 *   .env_size <i8> (n) bytes of each copy's saved environment
 *   .envs     |u1 the saved environments, one after the other
 *   .log      |u1 the episode log as it sits in memory
 *
 * The last two are byte images, read back by the same build; everything
 * read is checked before the rollout changes (the environments' own
 * set_state last, which checks its values). */
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "mimic/rollout.h"

#define N_COUNTS 6

static void name_of(char *buf, size_t cap, const char *prefix, const char *field) {
  snprintf(buf, cap, "%s.%s", prefix, field);
}

mimic_status mimic_rollout_save_state(mimic_rollout *r, mimic_container *c, const char *prefix) {
  const size_t n = (size_t)r->n;
  size_t env_bytes = 0;
  for (size_t i = 0; i < n; i++) {
    size_t s = mimic_env_saved_size(r->envs[i]);
    if (s == 0)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "%s cannot save its state mid-episode (its class has no get_state), so a "
                        "run on it cannot be checkpointed",
                        mimic_env_id(r->envs[i]));
    env_bytes += s;
  }
  /* one buffer: counts, copies, env sizes, log, environments */
  size_t ints = N_COUNTS + 3 * n + n, log_bytes = (sizeof r->log + 7) & ~(size_t)7;
  size_t total = ints * sizeof(int64_t) + log_bytes + env_bytes;
  MIMIC_TRY(mimic_grow(&r->saved, &r->saved_cap, total, 1, 4096, "a rollout's saved state"));
  int64_t *counts = r->saved, *copies = counts + N_COUNTS, *sizes = copies + 3 * n;
  uint8_t *log = (uint8_t *)(sizes + n), *envs = log + log_bytes;
  const int64_t cv[N_COUNTS] = {r->n,       r->obs_dim,  (int64_t)r->cfg.seed, r->cfg.episodes,
                                r->started, r->n_running};
  memcpy(counts, cv, sizeof cv);
  memcpy(log, &r->log, sizeof r->log);
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    copies[3 * i] = r->ep_length[i];
    copies[3 * i + 1] = r->ep_index[i];
    copies[3 * i + 2] = r->running[i];
    sizes[i] = (int64_t)mimic_env_saved_size(r->envs[i]);
    MIMIC_TRY(mimic_env_save_state(r->envs[i], envs + off, (size_t)sizes[i]));
    off += (size_t)sizes[i];
  }
  char name[128];
#define ADD(field, type, data, count)                                                              \
  name_of(name, sizeof name, prefix, field);                                                       \
  MIMIC_TRY(mimic_container_add(c, name, type, data, count))
  ADD("counts", MIMIC_ARRAY_I8, counts, N_COUNTS);
  ADD("copies", MIMIC_ARRAY_I8, copies, 3 * n);
  ADD("returns", MIMIC_ARRAY_F8, r->ep_return, n);
  ADD("obs", MIMIC_ARRAY_F4, r->obs, n * (size_t)r->obs_dim);
  ADD("env_size", MIMIC_ARRAY_I8, sizes, n);
  ADD("envs", MIMIC_ARRAY_U1, envs, env_bytes);
  ADD("log", MIMIC_ARRAY_U1, log, sizeof r->log);
#undef ADD
  return MIMIC_OK;
}

/* Gets array prefix.field of exactly this type and count. */
static mimic_status get(const mimic_container *c, const char *prefix, const char *field,
                        mimic_array_type type, uint64_t count, const void **data) {
  char name[128];
  name_of(name, sizeof name, prefix, field);
  return mimic_container_get(c, name, type, count, data);
}

mimic_status mimic_rollout_load_state(mimic_rollout *r, const mimic_container *c,
                                      const char *prefix) {
  const size_t n = (size_t)r->n;
  const int64_t *counts, *copies, *sizes;
  const double *returns;
  const float *obs;
  const void *envs, *logp;
  MIMIC_TRY(get(c, prefix, "counts", MIMIC_ARRAY_I8, N_COUNTS, (const void **)&counts));
  const char *what[4] = {"environment copies", "observation values", "seed", "seeded episodes"};
  const int64_t want[4] = {r->n, r->obs_dim, (int64_t)r->cfg.seed, r->cfg.episodes};
  for (int k = 0; k < 4; k++)
    if (counts[k] != want[k])
      return mimic_container_fail(c, prefix, "the rollout had %lld %s, this one has %lld",
                                  (long long)counts[k], what[k], (long long)want[k]);
  if (counts[4] < 0 || counts[5] < 0 || counts[5] > r->n)
    return mimic_container_fail(c, prefix, "the episode counts are not valid");
  MIMIC_TRY(get(c, prefix, "copies", MIMIC_ARRAY_I8, 3 * n, (const void **)&copies));
  MIMIC_TRY(get(c, prefix, "returns", MIMIC_ARRAY_F8, n, (const void **)&returns));
  MIMIC_TRY(get(c, prefix, "obs", MIMIC_ARRAY_F4, n * (size_t)r->obs_dim, (const void **)&obs));
  MIMIC_TRY(get(c, prefix, "env_size", MIMIC_ARRAY_I8, n, (const void **)&sizes));
  MIMIC_TRY(get(c, prefix, "log", MIMIC_ARRAY_U1, sizeof r->log, &logp));
  mimic_episode_log log;
  memcpy(&log, logp, sizeof log);
  if (log.episodes < 0 || log.recent_n < 0 || log.recent_n > MIMIC_EPISODE_RECENT ||
      log.recent_pos < 0 || log.recent_pos >= MIMIC_EPISODE_RECENT)
    return mimic_container_fail(c, prefix, "the episode log is not valid");
  uint64_t env_bytes = 0;
  int running = 0;
  for (size_t i = 0; i < n; i++) {
    if (sizes[i] <= 0 || sizes[i] % 8 || (uint64_t)sizes[i] > (1u << 30) || copies[3 * i] < 0 ||
        copies[3 * i + 1] < 0 || copies[3 * i + 1] >= counts[4] ||
        (copies[3 * i + 2] != 0 && copies[3 * i + 2] != 1))
      return mimic_container_fail(c, prefix, "copy %zu's episode or state size is not valid", i);
    env_bytes += (uint64_t)sizes[i];
    running += (int)copies[3 * i + 2];
  }
  if (running != counts[5])
    return mimic_container_fail(c, prefix, "%d copies run, the count says %lld", running,
                                (long long)counts[5]);
  MIMIC_TRY(get(c, prefix, "envs", MIMIC_ARRAY_U1, env_bytes, &envs));
  /* checked: the environments first (their classes check the values) */
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    mimic_status st =
        mimic_env_load_state(r->envs[i], (const uint8_t *)envs + off, (size_t)sizes[i]);
    if (st) return mimic_errctx("%s: %s: copy %zu", c->name, prefix, i);
    off += (size_t)sizes[i];
  }
  for (size_t i = 0; i < n; i++) {
    r->ep_length[i] = (int)copies[3 * i];
    r->ep_index[i] = (long)copies[3 * i + 1];
    r->running[i] = copies[3 * i + 2] != 0;
    r->ep_return[i] = returns[i];
  }
  memcpy(r->obs, obs, n * (size_t)r->obs_dim * sizeof(float));
  r->started = (long)counts[4];
  r->n_running = (int)counts[5];
  r->n_end = 0;
  r->log = log;
  return MIMIC_OK;
}
