/* The environment registry: ids to classes, in registration order.
 *
 * Everything that knows environments by id reads this one list: make, the
 * listing (`mimic envs`), every command. Nothing is built in here: the
 * families register themselves from constructors when the library loads
 * (control_classes.c, then grid/grid_classes.c, ordered by priority), and a
 * user's environment joins through the same mimic_env_register.
 *
 * Classes are never removed, so a class pointer handed out stays valid
 * after the lock is released; the lock only guards the array, which may
 * move when it grows. Lookups are linear: make is not a hot path, and the
 * list is a few dozen entries. */
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include "envs/env_impl.h"
#include "core/util.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const mimic_env_class **classes;
static size_t n_classes, cap_classes;

/* The class with this id, or NULL; the caller holds the lock. */
static const mimic_env_class *find_locked(const char *id) {
  for (size_t i = 0; i < n_classes; i++)
    if (strcmp(classes[i]->id, id) == 0) return classes[i];
  return NULL;
}

/* Why cls cannot be registered (NULL if it can), duplicates aside. */
static const char *class_problem(const mimic_env_class *cls) {
  if (!cls->id || !cls->id[0]) return "it has no id";
  _Static_assert(MIMIC_ENV_ID_MAX == 64, "the message below says 63");
  if (strlen(cls->id) >= MIMIC_ENV_ID_MAX) return "its id is longer than 63 bytes";
  for (const char *c = cls->id; *c; c++)
    if (!isgraph((unsigned char)*c)) return "its id has a space or a control character";
  if (!cls->init) return "it has no init function";
  if (!cls->reset) return "it has no reset function";
  if (!cls->step) return "it has no step function";
  if (!cls->step_copies != !cls->reset_copies) return "it has one of step_copies and reset_copies";
  if (cls->max_episode_steps < 0) return "its max_episode_steps is negative";
  if ((unsigned)cls->success > MIMIC_SUCCESS_THRESHOLD) return "its success rule is unknown";
  if (cls->success == MIMIC_SUCCESS_THRESHOLD &&
      !(cls->success_threshold == cls->success_threshold))
    return "its success rule compares with a success_threshold that is NaN";
  return NULL;
}

mimic_status mimic_env_register(const mimic_env_class *cls) {
  if (!cls) return mimic_fail(MIMIC_ERR_INVALID, "cannot register an environment: no class given");
  const char *problem = class_problem(cls);
  if (problem) {
    if (!cls->id || !cls->id[0])
      return mimic_fail(MIMIC_ERR_INVALID, "cannot register an environment: %s", problem);
    return mimic_fail(MIMIC_ERR_INVALID, "cannot register environment '%.*s%s': %s",
                      MIMIC_ENV_ID_MAX - 1, cls->id,
                      strlen(cls->id) >= MIMIC_ENV_ID_MAX ? "..." : "", problem);
  }
  pthread_mutex_lock(&lock);
  mimic_status st = MIMIC_OK;
  if (find_locked(cls->id))
    st =
        mimic_fail(MIMIC_ERR_INVALID,
                   "cannot register environment '%s': the id is taken (see 'mimic envs')", cls->id);
  else
    st = mimic_grow(&classes, &cap_classes, n_classes + 1, sizeof *classes, 64,
                    "the environment registry");
  if (st == MIMIC_OK) classes[n_classes++] = cls;
  pthread_mutex_unlock(&lock);
  return st;
}

const mimic_env_class *mimic_env_class_find(const char *id) {
  pthread_mutex_lock(&lock);
  const mimic_env_class *c = find_locked(id);
  pthread_mutex_unlock(&lock);
  return c;
}

int mimic_env_count(void) {
  pthread_mutex_lock(&lock);
  int n = (int)n_classes;
  pthread_mutex_unlock(&lock);
  return n;
}

const mimic_env_info *mimic_env_info_at(int i) {
  static _Thread_local mimic_env_info info;
  pthread_mutex_lock(&lock);
  const mimic_env_class *c = i >= 0 && (size_t)i < n_classes ? classes[i] : NULL;
  pthread_mutex_unlock(&lock);
  if (!c) return NULL;
  info.id = c->id;
  info.summary = c->summary ? c->summary : "";
  info.options = c->options_help ? c->options_help : "";
  info.unlisted = c->unlisted;
  return &info;
}
