/* The generic half of every environment: creation by id (checking what a
 * class's init declares), seeding, the time limit, action validation,
 * spaces and rendering to PNG.
 *
 * Gymnasium splits the same work between the env, TimeLimit and the
 * passive checker; here it is one thin layer around a class's step, so the
 * classes stay pure simulations. Nothing here allocates after make. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envs/env_impl.h"
#include "core/util.h"

mimic_space mimic_space_discrete(int n) {
  return (mimic_space){.kind = MIMIC_SPACE_DISCRETE, .n = n, .dim = 1};
}

mimic_space mimic_space_box(int dim, const float *low, const float *high) {
  return (mimic_space){
      .kind = MIMIC_SPACE_BOX, .dim = dim, .ndim = 1, .shape = {dim}, .low = low, .high = high};
}

bool mimic_space_contains(const mimic_space *space, const float *x) {
  if (space->kind == MIMIC_SPACE_DISCRETE) {
    float a = x[0];
    return a == a && a >= 0 && a < (float)space->n && a == floorf(a);
  }
  for (int i = 0; i < space->dim; i++) {
    if (x[i] != x[i]) return false;
    if (space->low && x[i] < space->low[i]) return false;
    if (space->high && x[i] > space->high[i]) return false;
  }
  return true;
}

int mimic_space_width(const mimic_space *space) {
  return space->kind == MIMIC_SPACE_DISCRETE ? 1 : space->dim;
}

/* Prints a float32 bound with 9 significant digits (enough to round-trip),
 * infinities as JSON's Infinity as Python's json module writes them. */
static int print_bound(char *buf, size_t cap, float v) {
  if (isinf(v)) return snprintf(buf, cap, "%s", v > 0 ? "Infinity" : "-Infinity");
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%.9g", (double)v);
  if (!strpbrk(tmp, ".eEn")) strncat(tmp, ".0", sizeof tmp - strlen(tmp) - 1);
  return snprintf(buf, cap, "%s", tmp);
}

/* Writes what fits of the space's JSON into buf (cap bytes; buf may be
 * NULL when cap is 0) and its full length, without the NUL, into *len. */
static mimic_status space_json(const mimic_space *space, char *buf, size_t cap, size_t *len) {
  size_t n = 0;
#define PUT(...)                                                                                   \
  do {                                                                                             \
    int k = snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, __VA_ARGS__);                \
    if (k < 0) return mimic_fail(MIMIC_ERR_INVALID, "cannot format space");                        \
    n += (size_t)k;                                                                                \
  } while (0)
  if (space->kind == MIMIC_SPACE_DISCRETE) {
    PUT("{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": 0, \"n\": %d}", space->n);
  } else {
    PUT("{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [");
    for (int d = 0; d < space->ndim; d++) PUT("%s%d", d ? ", " : "", space->shape[d]);
    PUT("]");
    for (int which = 0; which < 2; which++) {
      const float *b = which ? space->high : space->low;
      PUT(", \"%s\": ", which ? "high" : "low");
      /* nested lists of exactly `shape` */
      int idx[MIMIC_SPACE_MAX_DIMS] = {0};
      for (int d = 0; d < space->ndim; d++) PUT("[");
      for (int i = 0; i < space->dim; i++) {
        if (i) {
          int closes = 0;
          for (int d = space->ndim - 1; d > 0 && idx[d] == 0; d--) closes++;
          for (int c = 0; c < closes; c++) PUT("]");
          PUT(", ");
          for (int c = 0; c < closes; c++) PUT("[");
        }
        char num[64];
        print_bound(num, sizeof num, b ? b[i] : (which ? INFINITY : -INFINITY));
        PUT("%s", num);
        for (int d = space->ndim - 1; d >= 0; d--) {
          if (++idx[d] < space->shape[d]) break;
          idx[d] = 0;
        }
      }
      for (int d = 0; d < space->ndim; d++) PUT("]");
    }
    PUT("}");
  }
#undef PUT
  *len = n;
  return MIMIC_OK;
}

mimic_status mimic_space_to_json(const mimic_space *space, char *buf, size_t cap) {
  size_t n;
  MIMIC_TRY(space_json(space, buf, cap, &n));
  if (n >= cap)
    return mimic_fail(MIMIC_ERR_INVALID, "space JSON needs %zu bytes, buffer has %zu", n + 1, cap);
  return MIMIC_OK;
}

char *mimic_space_json(const mimic_space *space) {
  size_t n;
  if (space_json(space, NULL, 0, &n)) return NULL;
  char *text = mimic_malloc(n + 1, "a space's JSON");
  if (text && space_json(space, text, n + 1, &n)) {
    free(text);
    return NULL;
  }
  return text;
}

void mimic_space_sample(const mimic_space *space, mimic_rng *rng, float *out) {
  if (space->kind == MIMIC_SPACE_DISCRETE) {
    out[0] = (float)mimic_rng_integers(rng, 0, space->n);
    return;
  }
  for (int i = 0; i < space->dim; i++) {
    float lo = space->low ? space->low[i] : -INFINITY, hi = space->high ? space->high[i] : INFINITY;
    if (isfinite(lo) && isfinite(hi))
      out[i] = (float)mimic_rng_uniform(rng, lo, hi);
    else if (isfinite(lo))
      out[i] = lo + (float)fabs(mimic_rng_normal(rng));
    else if (isfinite(hi))
      out[i] = hi - (float)fabs(mimic_rng_normal(rng));
    else
      out[i] = (float)mimic_rng_normal(rng);
  }
}

mimic_status mimic_env_check_action(const mimic_space *space, const float *action) {
  if (space->kind == MIMIC_SPACE_DISCRETE) {
    /* the common case first, without a libm call: an integer in range */
    float a = action[0];
    if (a >= 0 && a < (float)space->n && (float)(int)a == a) return MIMIC_OK;
    if (a != a) return mimic_fail(MIMIC_ERR_RANGE, "action is NaN");
    if (a < 0 || a >= (float)space->n)
      return mimic_fail(MIMIC_ERR_RANGE, "action %g is outside Discrete(%d)", (double)a, space->n);
    return mimic_fail(MIMIC_ERR_RANGE, "discrete action %g is not an integer", (double)a);
  }
  for (int i = 0; i < space->dim; i++)
    if (action[i] != action[i]) return mimic_fail(MIMIC_ERR_RANGE, "action[%d] is NaN", i);
  return MIMIC_OK;
}

mimic_status mimic_space_check(const mimic_space *space, const float *x, int n) {
  const int width = mimic_space_width(space);
  if (n != width) {
    if (space->kind == MIMIC_SPACE_DISCRETE)
      return mimic_fail(MIMIC_ERR_INVALID, "action has %d values, Discrete(%d) takes 1", n,
                        space->n);
    return mimic_fail(MIMIC_ERR_INVALID, "action has %d values, the Box action space takes %d", n,
                      width);
  }
  return mimic_env_check_action(space, x);
}

/* Checks a space init declared; `what` names it in the message. */
static mimic_status check_space(const mimic_space *sp, const char *what) {
  if (sp->kind == MIMIC_SPACE_DISCRETE) {
    if (sp->n < 1)
      return mimic_fail(MIMIC_ERR_INVALID, "init declared a Discrete(%d) %s space", sp->n, what);
    return MIMIC_OK;
  }
  if (sp->kind != MIMIC_SPACE_BOX)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "init declared a %s space that is neither Box nor Discrete", what);
  if (sp->ndim < 1 || sp->ndim > MIMIC_SPACE_MAX_DIMS)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "init declared a Box %s space with %d dimensions (1 to %d)", what, sp->ndim,
                      MIMIC_SPACE_MAX_DIMS);
  long long numel = 1;
  for (int d = 0; d < sp->ndim; d++) {
    if (sp->shape[d] < 1)
      return mimic_fail(MIMIC_ERR_INVALID, "init declared a Box %s space whose shape[%d] is %d",
                        what, d, sp->shape[d]);
    numel *= sp->shape[d];
  }
  if (numel != sp->dim)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "init declared a Box %s space of dim %d whose shape holds %lld values", what,
                      sp->dim, numel);
  return MIMIC_OK;
}

/* Points the Box bounds a class left NULL (unbounded) at +-INFINITY in
 * env->bounds, so every space a user gets has both arrays. */
static mimic_status fill_bounds(mimic_env *env) {
  mimic_space *sp[2] = {&env->obs_space, &env->action_space};
  size_t need = 0;
  for (int k = 0; k < 2; k++)
    if (sp[k]->kind == MIMIC_SPACE_BOX) need += (!sp[k]->low + !sp[k]->high) * (size_t)sp[k]->dim;
  if (!need) return MIMIC_OK;
  float *b = env->bounds = mimic_malloc(need * sizeof *b, "space bounds");
  if (!b) return MIMIC_ERR_NOMEM;
  for (int k = 0; k < 2; k++) {
    if (sp[k]->kind != MIMIC_SPACE_BOX) continue;
    for (int side = 0; side < 2; side++) {
      const float **bound = side ? &sp[k]->high : &sp[k]->low;
      if (*bound) continue;
      for (int i = 0; i < sp[k]->dim; i++) b[i] = side ? INFINITY : -INFINITY;
      *bound = b;
      b += sp[k]->dim;
    }
  }
  return MIMIC_OK;
}

/* Runs the class's init, then takes its spec and the generic options. */
static mimic_status init_env(mimic_env *env, mimic_kv *kv) {
  const mimic_env_class *cls = env->cls;
  mimic_env_spec spec = {.max_steps = cls->max_episode_steps};
  MIMIC_TRY(cls->init(env, env->impl, cls->user, kv, &spec));
  MIMIC_TRY(check_space(&spec.obs_space, "observation"));
  if (spec.obs_space.kind != MIMIC_SPACE_BOX)
    return mimic_fail(MIMIC_ERR_INVALID, "init declared a Discrete observation space (use a Box)");
  MIMIC_TRY(check_space(&spec.action_space, "action"));
  if (spec.max_steps < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "init declared a time limit of %d steps", spec.max_steps);
  env->obs_space = spec.obs_space;
  env->action_space = spec.action_space;
  if (env->action_space.kind == MIMIC_SPACE_DISCRETE) env->action_space.dim = 1;
  MIMIC_TRY(fill_bounds(env));
  long long max_steps;
  MIMIC_TRY(mimic_kv_int(kv, "max_steps", spec.max_steps, 0, 1LL << 30, &max_steps));
  env->made_max_steps = env->max_steps = (int)max_steps;
  return mimic_kv_check_used(kv, env->id);
}

/* Which copy the environment being made is: set around each make by
 * mimic_env_make_copies, so a class's init can see its group. */
static _Thread_local struct { int k, n; } making = {-1, 0};

void mimic_env_making_copy(int k, int n) {
  making.k = k;
  making.n = n;
}

int mimic_env_copy_index(const mimic_env *env, int *copies) {
  if (copies) *copies = env->copies;
  return env->copy;
}

mimic_status mimic_env_make(const char *id, const char *options, mimic_env **out) {
  *out = NULL;
  if (!id) return mimic_fail(MIMIC_ERR_INVALID, "no environment id given");
  mimic_env_class *owned = NULL;
  const mimic_env_class *cls;
  if (mimic_env_is_program(id)) {
    MIMIC_TRY(mimic_env_program_class(id, &owned));
    cls = owned;
  } else if (!(cls = mimic_env_class_find(id))) {
    return mimic_fail(MIMIC_ERR_NOT_FOUND, "unknown environment '%s' (see 'mimic envs')", id);
  }
  return mimic_env_make_class(id, options, cls, owned, out);
}

mimic_status mimic_env_make_class(const char *id, const char *options, const mimic_env_class *cls,
                                  mimic_env_class *owned, mimic_env **out) {
  *out = NULL;
  mimic_kv kv;
  mimic_status st = mimic_kv_parse(options, &kv);
  mimic_env *env = st ? NULL : mimic_calloc(1, sizeof *env, "an environment");
  if (env) {
    env->cls = cls;
    env->owned_cls = owned;
    env->impl = mimic_calloc(1, cls->impl_size ? cls->impl_size : 1, id);
    env->id = mimic_strdup(id);
  }
  if (!env || !env->impl || !env->id) {
    if (env)
      mimic_env_free(env);
    else
      mimic_env_program_class_free(owned);
    return st ? mimic_errctx("%s", id) : MIMIC_ERR_NOMEM;
  }
  env->reset_seed = MIMIC_SEED_NONE;
  env->copy = making.k;
  env->copies = making.k >= 0 ? making.n : 0;
  mimic_rng_seed(&env->rng, 0);
  st = init_env(env, &kv);
  if (st != MIMIC_OK) {
    mimic_errctx("%s", id);
    mimic_env_free(env);
    return st;
  }
  *out = env;
  return MIMIC_OK;
}

void mimic_env_free(mimic_env *env) {
  if (!env) return;
  if (env->cls->fini && env->impl) env->cls->fini(env->impl);
  mimic_env_program_class_free(env->owned_cls);
  free(env->impl);
  free(env->bounds);
  free(env->id);
  free(env);
}

const char *mimic_env_id(const mimic_env *env) { return env->id; }
const mimic_space *mimic_env_obs_space(const mimic_env *env) { return &env->obs_space; }
const mimic_space *mimic_env_action_space(const mimic_env *env) { return &env->action_space; }
int mimic_env_max_steps(const mimic_env *env) { return env->max_steps; }
int mimic_env_elapsed(const mimic_env *env) { return env->elapsed; }
double mimic_env_reward_threshold(const mimic_env *env) { return env->cls->reward_threshold; }
bool mimic_env_has_expert(const mimic_env *env) { return env->cls->expert != NULL; }

void *mimic_env_impl_of(const mimic_env *env, mimic_env_init_fn *init) {
  return env && env->cls->init == init ? env->impl : NULL;
}

int64_t mimic_env_reset_seed(const mimic_env *env) { return env->reset_seed; }

bool mimic_env_count_step(mimic_env *env) {
  return ++env->elapsed >= env->max_steps && env->max_steps > 0;
}

mimic_status mimic_env_set_clock(mimic_env *env, int elapsed, int max_steps) {
  if (elapsed < 0 || max_steps < 0)
    return mimic_fail(MIMIC_ERR_RANGE, "%s: a clock of %d steps taken with a limit of %d", env->id,
                      elapsed, max_steps);
  env->elapsed = elapsed;
  env->max_steps = max_steps;
  return MIMIC_OK;
}

const char *mimic_env_action_name(const mimic_env *env, int a) {
  if (!env->cls->action_names || env->action_space.kind != MIMIC_SPACE_DISCRETE || a < 0 ||
      a >= env->action_space.n)
    return NULL;
  return env->cls->action_names[a];
}

const char *mimic_env_action_dim_name(const mimic_env *env, int j) {
  if (!env->cls->action_names || env->action_space.kind != MIMIC_SPACE_BOX || j < 0 ||
      j >= env->action_space.dim)
    return NULL;
  return env->cls->action_names[j];
}

double mimic_env_success(const mimic_env *env, double episode_return, bool terminated,
                         double last_reward) {
  const mimic_env_class *c = env->cls;
  switch (c->success) {
  case MIMIC_SUCCESS_TERMINATED: return terminated ? 1 : 0;
  case MIMIC_SUCCESS_POSITIVE: return terminated && last_reward > 0 ? 1 : 0;
  case MIMIC_SUCCESS_SURVIVE: return terminated ? 0 : 1;
  case MIMIC_SUCCESS_THRESHOLD: return episode_return >= c->success_threshold ? 1 : 0;
  case MIMIC_SUCCESS_DEFAULT: break;
  }
  return isfinite(c->reward_threshold) ? (episode_return >= c->reward_threshold ? 1 : 0) : NAN;
}

mimic_status mimic_env_reset_with(mimic_env *env, int64_t seed, const char *options, float *obs) {
  mimic_kv kv;
  if (mimic_kv_parse(options, &kv) != MIMIC_OK) return mimic_errctx("%s: reset options", env->id);
  env->reset_seed = seed >= 0 ? seed : MIMIC_SEED_NONE;
  if (seed >= 0) {
    mimic_rng_seed(&env->rng, (uint64_t)seed);
    env->seeded = true;
  }
  mimic_env_clock_reset(env);
  mimic_status st = env->cls->reset(env->impl, &env->rng, &kv, obs);
  if (st == MIMIC_OK) st = mimic_kv_check_used(&kv, "reset");
  if (st != MIMIC_OK) return mimic_errctx("%s", env->id);
  return MIMIC_OK;
}

mimic_status mimic_env_reset(mimic_env *env, int64_t seed, float *obs) {
  env->reset_seed = seed >= 0 ? seed : MIMIC_SEED_NONE;
  if (seed >= 0) {
    mimic_rng_seed(&env->rng, (uint64_t)seed);
    env->seeded = true;
  }
  mimic_env_clock_reset(env);
  mimic_kv none; /* no options: only n is read, so 4 KB are not zeroed per reset */
  none.n = 0;
  mimic_status st = env->cls->reset(env->impl, &env->rng, &none, obs);
  return st == MIMIC_OK ? MIMIC_OK : mimic_errctx("%s", env->id);
}

mimic_status mimic_env_step(mimic_env *env, const float *action, float *obs, double *reward,
                            bool *terminated, bool *truncated) {
  if (mimic_env_check_action(&env->action_space, action) != MIMIC_OK)
    return mimic_errctx("%s", env->id);
  if (env->cls->step(env->impl, action, obs, reward, terminated) != MIMIC_OK)
    return mimic_errctx("%s", env->id);
  env->elapsed++;
  *truncated = env->max_steps > 0 && env->elapsed >= env->max_steps;
  return MIMIC_OK;
}

mimic_status mimic_env_expert_act(mimic_env *env, float *action) {
  if (!env->cls->expert)
    return mimic_fail(MIMIC_ERR_NOT_FOUND, "%s has no built-in expert", env->id);
  mimic_status st = env->cls->expert(env->impl, action);
  return st == MIMIC_OK ? MIMIC_OK : mimic_errctx("%s expert", env->id);
}

int mimic_env_get_state(const mimic_env *env, double *state, int cap) {
  return env->cls->get_state ? env->cls->get_state(env->impl, state, cap) : 0;
}

mimic_status mimic_env_set_state(mimic_env *env, const double *state, int n) {
  if (!env->cls->set_state)
    return mimic_fail(MIMIC_ERR_INVALID, "%s cannot set its state", env->id);
  mimic_status st = env->cls->set_state(env->impl, state, n);
  return st == MIMIC_OK ? MIMIC_OK : mimic_errctx("%s", env->id);
}

mimic_status mimic_env_render_text(mimic_env *env, char *buf, size_t cap) {
  if (!env->cls->render_text)
    return mimic_fail(MIMIC_ERR_INVALID, "%s has no text rendering", env->id);
  return env->cls->render_text(env->impl, buf, cap);
}

mimic_status mimic_env_render_rgb(mimic_env *env, uint8_t *rgb, int *w, int *h) {
  if (!env->cls->render_rgb)
    return mimic_fail(MIMIC_ERR_INVALID, "%s has no image rendering", env->id);
  return env->cls->render_rgb(env->impl, rgb, w, h);
}

mimic_status mimic_env_render_png(mimic_env *env, const char *path) {
  int w = 0, h = 0;
  MIMIC_TRY(mimic_env_render_rgb(env, NULL, &w, &h));
  uint8_t *rgb = mimic_malloc((size_t)w * (size_t)h * 3, "a frame");
  if (!rgb) return MIMIC_ERR_NOMEM;
  mimic_status st = mimic_env_render_rgb(env, rgb, &w, &h);
  if (st == MIMIC_OK) st = mimic_png_write_rgb(path, rgb, w, h);
  free(rgb);
  return st;
}
