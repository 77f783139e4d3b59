/* foreign.c: Python objects inside mimic's loops: environments with
 * Gymnasium's API, experts, and DAgger driving both.
 *
 * A Python environment becomes a registered mimic environment class
 * (mimic/env_class.h): register_env gives it an id, and every environment
 * mimic makes by that id (a rollout's copies, an evaluation's) calls the
 * factory for a Python object of its own, then resets and steps it through
 * callbacks, taking the GIL for each call. Resets pass mimic's seed on
 * (mimic_env_reset_seed: None when the generator continues), Gymnasium's
 * truncated becomes mimic's time limit for that step, and an object with
 * expert_action() serves as the built-in expert. What comes back is
 * checked: an observation of the wrong size or with a NaN, or a NaN reward,
 * is an error naming the environment and the step. Registrations are
 * permanent (mimic keeps class pointers), so retire_env drops the factory
 * when a run is over (the id then fails to make) and registering the same
 * class again takes the retired id back: ids stay "py:<name>" from run to
 * run, and a DAgger work folder resumes.
 *
 * A Python expert is a mimic_expert (mimic_expert_alloc) whose label calls
 * the callable with the batch of observations, so the one DAgger driver
 * asks it like any other expert. */
#include "mimic_py.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/env_class.h"
#include "mimic/expert.h"
#include "mimic/nn.h"
#include "mimic/policy.h"

/* ---- Python environments ---------------------------------------------------- */

typedef struct pyenv_class {
  mimic_env_class cls;
  char id[MIMIC_ENV_ID_MAX];
  char summary[128];
  PyObject *factory; /* NULL once retired */
  PyObject *batch;   /* steps and resets copies made together (foreign.py's batches), or NULL */
  bool per_copy;     /* the batch's copies are stepped here, one step call each (a list's) */
  mimic_space obs_space, act_space;
  float *bounds; /* obs low, obs high, act low, act high */
} pyenv_class;

typedef struct pyenv {
  const pyenv_class *pc;
  mimic_env *env;
  PyObject *obj;
  PyObject *target; /* what step and reset are called on: obj, or the environment it wraps */
  long step;        /* steps in this episode, for messages */
} pyenv;

static pyenv_class **registered;
static int n_registered;

static mimic_status py_failed(const pyenv *e, const char *what) {
  mimicpy_keep_exception();
  if (e->step > 0)
    return mimic_fail(MIMIC_ERR_EXTERNAL, "Python environment %s: %s failed at step %ld", e->pc->id,
                      what, e->step);
  return mimic_fail(MIMIC_ERR_EXTERNAL, "Python environment %s: %s failed", e->pc->id, what);
}

static mimic_status pyenv_init(mimic_env *env, void *impl, const void *user, mimic_kv *options,
                               mimic_env_spec *spec) {
  pyenv *e = impl;
  e->pc = user;
  e->env = env;
  spec->obs_space = e->pc->obs_space;
  spec->action_space = e->pc->act_space;
  PyGILState_STATE gil = PyGILState_Ensure();
  mimic_status st = MIMIC_OK;
  if (!e->pc->factory)
    st = mimic_fail(MIMIC_ERR_INVALID, "Python environment %s is retired (its run is over)",
                    e->pc->id);
  else if (e->pc->batch) { /* the factory places copy k of n in its batch */
    int n, k = mimic_env_copy_index(env, &n);
    if (!(e->obj = PyObject_CallFunction(e->pc->factory, "ii", k, n)))
      st = py_failed(e, "making the environment");
  } else if (!(e->obj = PyObject_CallNoArgs(e->pc->factory)))
    st = py_failed(e, "making the environment");
  if (st == MIMIC_OK) /* a list's copy wraps its environment: call that one directly */
    e->target = e->pc->per_copy && PyObject_HasAttrString(e->obj, "_mimic_copy")
                    ? PyObject_GetAttrString(e->obj, "env")
                    : Py_NewRef(e->obj);
  if (st == MIMIC_OK && !e->target) st = py_failed(e, "making the environment");
  PyGILState_Release(gil);
  return st;
}

static void pyenv_fini(void *impl) {
  pyenv *e = impl;
  if (!e->obj) return;
  PyGILState_STATE gil = PyGILState_Ensure();
  Py_CLEAR(e->obj);
  Py_CLEAR(e->target);
  PyGILState_Release(gil);
}

/* Reads an observation into obs: the right size, finite. */
static mimic_status read_obs(pyenv *e, PyObject *o, float *obs, const char *what) {
  int dim = e->pc->obs_space.dim;
  if (mimicpy_floats(o, obs, dim, "observation") < 0) return py_failed(e, what);
  for (int j = 0; j < dim; j++) {
    if (!isnan(obs[j])) continue;
    if (e->step > 0)
      return mimic_fail(MIMIC_ERR_RANGE,
                        "Python environment %s: step %ld gave NaN in observation[%d]", e->pc->id,
                        e->step, j);
    return mimic_fail(MIMIC_ERR_RANGE, "Python environment %s: reset gave NaN in observation[%d]",
                      e->pc->id, j);
  }
  return MIMIC_OK;
}

/* reset(seed=seed or None) of e's object into obs; the caller holds the GIL. */
static mimic_status reset_call(pyenv *e, int64_t seed, float *obs) {
  e->step = 0;
  mimic_status st = MIMIC_OK;
  PyObject *kw = seed >= 0 ? Py_BuildValue("{s:L}", "seed", (long long)seed) : PyDict_New();
  PyObject *noargs = PyTuple_New(0);
  PyObject *reset = PyObject_GetAttrString(e->target, "reset");
  PyObject *r = (kw && noargs && reset) ? PyObject_Call(reset, noargs, kw) : NULL;
  Py_XDECREF(kw);
  Py_XDECREF(noargs);
  Py_XDECREF(reset);
  if (!r) {
    st = py_failed(e, "reset");
  } else if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "Python environment %s: reset returned %s, not (obs, info)",
                    e->pc->id, Py_TYPE(r)->tp_name);
  } else {
    st = read_obs(e, PyTuple_GET_ITEM(r, 0), obs, "reset");
  }
  Py_XDECREF(r);
  return st;
}

static mimic_status pyenv_reset(void *impl, mimic_rng *rng, mimic_kv *options, float *obs) {
  pyenv *e = impl;
  PyGILState_STATE gil = PyGILState_Ensure();
  mimic_status st = reset_call(e, mimic_env_reset_seed(e->env), obs);
  PyGILState_Release(gil);
  return st;
}

static PyObject *action_object(const pyenv *e, const float *action) {
  if (e->pc->act_space.kind == MIMIC_SPACE_DISCRETE) return PyLong_FromLong((long)action[0]);
  PyObject *owner;
  int dim = e->pc->act_space.dim;
  float *a = mimicpy_alloc((size_t)dim * sizeof(float), &owner);
  if (!a) return NULL;
  memcpy(a, action, (size_t)dim * sizeof(float));
  Py_ssize_t shape[MIMIC_SPACE_MAX_DIMS];
  for (int i = 0; i < e->pc->act_space.ndim; i++) shape[i] = e->pc->act_space.shape[i];
  PyObject *arr = mimicpy_array(owner, a, "f", sizeof(float), e->pc->act_space.ndim, shape, false);
  Py_DECREF(owner);
  return arr;
}

/* step(action) of e's object: obs, reward and flags checked; the caller holds the GIL. */
static mimic_status step_call(pyenv *e, const float *action, float *obs, double *reward,
                              bool *terminated, bool *truncated) {
  e->step++;
  mimic_status st = MIMIC_OK;
  PyObject *a = action_object(e, action);
  static PyObject *step_name;
  if (!step_name) step_name = PyUnicode_InternFromString("step");
  PyObject *r = a && step_name ? PyObject_CallMethodOneArg(e->target, step_name, a) : NULL;
  Py_XDECREF(a);
  if (!r) {
    st = py_failed(e, "step");
  } else if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 5) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "Python environment %s: step %ld returned %s, not (obs, reward, terminated, "
                    "truncated, info)",
                    e->pc->id, e->step, Py_TYPE(r)->tp_name);
  } else {
    st = read_obs(e, PyTuple_GET_ITEM(r, 0), obs, "step");
    double rew = PyFloat_AsDouble(PyTuple_GET_ITEM(r, 1));
    int term = PyObject_IsTrue(PyTuple_GET_ITEM(r, 2));
    int trunc = PyObject_IsTrue(PyTuple_GET_ITEM(r, 3));
    if (st == MIMIC_OK && ((rew == -1.0 && PyErr_Occurred()) || term < 0 || trunc < 0))
      st = py_failed(e, "step's reward or flags");
    else if (st == MIMIC_OK && isnan(rew))
      st = mimic_fail(MIMIC_ERR_RANGE, "Python environment %s: step %ld gave a NaN reward",
                      e->pc->id, e->step);
    *reward = rew;
    *terminated = term > 0;
    *truncated = trunc > 0;
  }
  Py_XDECREF(r);
  return st;
}

static mimic_status pyenv_step(void *impl, const float *action, float *obs, double *reward,
                               bool *terminated) {
  pyenv *e = impl;
  PyGILState_STATE gil = PyGILState_Ensure();
  bool truncated;
  mimic_status st = step_call(e, action, obs, reward, terminated, &truncated);
  if (st == MIMIC_OK && truncated) { /* its own time limit: mimic's clock ends the episode here */
    int elapsed = mimic_env_elapsed(e->env);
    st = mimic_env_set_clock(e->env, elapsed, elapsed + 1);
  }
  PyGILState_Release(gil);
  return st;
}

static mimic_status pyenv_expert(void *impl, float *action) {
  pyenv *e = impl;
  PyGILState_STATE gil = PyGILState_Ensure();
  mimic_status st = MIMIC_OK;
  PyObject *r = PyObject_CallMethod(e->obj, "expert_action", NULL);
  if (!r || mimicpy_floats(r, action, mimic_space_width(&e->pc->act_space), "expert_action") < 0)
    st = py_failed(e, "expert_action");
  Py_XDECREF(r);
  PyGILState_Release(gil);
  return st;
}

/* ---- copies made together: one callback per batch -------------------------------- */

/* The Python objects of the listed copies, in order (a new tuple). */
static PyObject *batch_objects(mimic_env *const *envs, const int *rows, int m) {
  PyObject *t = PyTuple_New(m);
  for (int k = 0; t && k < m; k++) {
    const pyenv *e = mimic_env_impl_of(envs[rows ? rows[k] : k], pyenv_init);
    PyTuple_SET_ITEM(t, k, Py_NewRef(e->obj));
  }
  return t;
}

static mimic_status batch_failed(const pyenv_class *pc, const char *what) {
  mimicpy_keep_exception();
  return mimic_fail(MIMIC_ERR_EXTERNAL, "Python environment %s: the batch's %s failed", pc->id,
                    what);
}

/* Reads field `what` of a batch reply, m rows of width floats, into out
 * (the listed rows of an [N x width] buffer): the right shape, no NaN. Only
 * rows k with only[k] are read when only is given. */
static mimic_status batch_rows(const pyenv_class *pc, const char *call, PyObject *x,
                               const char *what, float *scratch, int m, int width, const int *rows,
                               const bool *only, float *out) {
  char field[64];
  snprintf(field, sizeof field, "%s's %s", call, what);
  if (mimicpy_floats(x, scratch, (Py_ssize_t)m * width, field) < 0) return batch_failed(pc, call);
  for (int k = 0; k < m; k++) {
    const float *r = scratch + (size_t)k * (size_t)width;
    if (only && !only[k]) continue;
    for (int j = 0; j < width; j++)
      if (isnan(r[j]))
        return mimic_fail(MIMIC_ERR_RANGE, "Python environment %s: %s, copy %d: %s[%d] is NaN",
                          pc->id, call, rows ? rows[k] : k, what, j);
    memcpy(out + (size_t)(rows ? rows[k] : k) * (size_t)width, r, (size_t)width * sizeof *r);
  }
  return MIMIC_OK;
}

/* Reads m flags (0 or 1) of a batch reply into the listed rows of out. */
static mimic_status batch_flags(const pyenv_class *pc, PyObject *x, const char *what,
                                float *scratch, int m, const int *rows, bool *out) {
  char field[64];
  snprintf(field, sizeof field, "step's %s", what);
  if (mimicpy_floats(x, scratch, m, field) < 0) return batch_failed(pc, "step");
  for (int k = 0; k < m; k++) {
    if (scratch[k] != 0 && scratch[k] != 1)
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "Python environment %s: step, copy %d: %s is %g, not a flag", pc->id,
                        rows ? rows[k] : k, what, (double)scratch[k]);
    out[rows ? rows[k] : k] = scratch[k] != 0;
  }
  return MIMIC_OK;
}

/* A list's copies stepped here, each through its own step and reset (as
 * copies made one by one are) in one GIL hold: the batch's work in Python was
 * a per-step array of actions, a stack of observations and flag arrays, which
 * cost more than the calls it saved. Same reset rule as the other paths. */
static mimic_status list_step_copies(const mimic_env_batch *b) {
  const pyenv *e0 = mimic_env_impl_of(b->envs[b->rows ? b->rows[0] : 0], pyenv_init);
  const pyenv_class *pc = e0->pc;
  const size_t od = (size_t)pc->obs_space.dim, aw = (size_t)mimic_space_width(&pc->act_space);
  PyGILState_STATE gil = PyGILState_Ensure();
  mimic_status st = MIMIC_OK;
  long j = 0;
  for (int k = 0; st == MIMIC_OK && k < b->m; k++) {
    int i = b->rows ? b->rows[k] : k;
    mimic_env *env = b->envs[i];
    pyenv *e = mimic_env_impl_of(env, pyenv_init);
    float *o = b->obs + (size_t)i * od;
    st = step_call(e, b->actions + (size_t)i * aw, o, &b->reward[i], &b->terminated[i],
                   &b->truncated[i]);
    const char *what = "step";
    int ms = mimic_env_max_steps(env);
    bool ended =
        b->terminated[i] || b->truncated[i] || (ms > 0 && mimic_env_elapsed(env) + 1 >= ms);
    b->reset[i] = false;
    if (st == MIMIC_OK && ended && b->final_obs) memcpy(b->final_obs + (size_t)i * od, o, od * 4);
    if (st == MIMIC_OK && ended && j < b->max_resets) {
      what = "reset";
      st = reset_call(e, b->next_seed >= 0 ? b->next_seed + j : MIMIC_SEED_NONE, o);
      b->reset[i] = true;
      j++;
    }
    if (st != MIMIC_OK) mimicpy_rename_kept(pc->batch, "failed", i, what);
  }
  PyGILState_Release(gil);
  return st;
}

static mimic_status list_reset_copies(mimic_env *const *envs, const int *rows, int m,
                                      const int64_t *seeds, float *obs) {
  const size_t od = (size_t)((const pyenv *)mimic_env_impl_of(envs[rows ? rows[0] : 0], pyenv_init))
                        ->pc->obs_space.dim;
  PyGILState_STATE gil = PyGILState_Ensure();
  mimic_status st = MIMIC_OK;
  for (int k = 0; st == MIMIC_OK && k < m; k++) {
    int i = rows ? rows[k] : k;
    pyenv *e = mimic_env_impl_of(envs[i], pyenv_init);
    st = reset_call(e, seeds[k] >= 0 ? seeds[k] : MIMIC_SEED_NONE, obs + (size_t)i * od);
    if (st != MIMIC_OK) mimicpy_rename_kept(e->pc->batch, "failed", i, "reset");
  }
  PyGILState_Release(gil);
  return st;
}

/* The batch's step: batch.step(objects, actions [m, width], at_limit [m], next_seed,
 * max_resets) -> (obs, reward, terminated, truncated, reset, final_obs), rows in the
 * order given. */
static mimic_status pyenv_step_copies(const mimic_env_batch *b) {
  const int m = b->m;
  const int *rows = b->rows;
  const pyenv *e0 = mimic_env_impl_of(b->envs[rows ? rows[0] : 0], pyenv_init);
  const pyenv_class *pc = e0->pc;
  if (pc->per_copy) return list_step_copies(b);
  const int od = pc->obs_space.dim, aw = mimic_space_width(&pc->act_space);
  PyGILState_STATE gil = PyGILState_Ensure();
  mimic_status st = MIMIC_OK;
  PyObject *owner = NULL, *lowner = NULL, *r = NULL, *objs = batch_objects(b->envs, rows, m);
  float *acts = mimicpy_alloc((size_t)m * (size_t)aw * sizeof(float), &owner);
  bool *limit = mimicpy_alloc((size_t)m, &lowner);
  float *scratch = malloc((size_t)m * (size_t)(od > 1 ? od : 1) * sizeof(float));
  if (!objs || !acts || !limit || !scratch) {
    st = batch_failed(pc, "step");
    goto done;
  }
  for (int k = 0; k < m; k++) {
    int i = rows ? rows[k] : k;
    mimic_env *env = b->envs[i];
    pyenv *e = mimic_env_impl_of(env, pyenv_init);
    e->step++;
    memcpy(acts + (size_t)k * (size_t)aw, b->actions + (size_t)i * (size_t)aw,
           (size_t)aw * sizeof(float));
    int ms = mimic_env_max_steps(env);
    limit[k] = ms > 0 && mimic_env_elapsed(env) + 1 >= ms;
  }
  Py_ssize_t ashape[2] = {m, aw}, lshape[1] = {m};
  PyObject *a = mimicpy_array(owner, acts, "f", sizeof(float), 2, ashape, true);
  PyObject *l = a ? mimicpy_array(lowner, limit, "?", 1, 1, lshape, true) : NULL;
  if (l)
    r = PyObject_CallMethod(pc->batch, "step", "OOOLl", objs, a, l,
                            (long long)(b->next_seed >= 0 ? b->next_seed : -1),
                            b->max_resets < m ? b->max_resets : (long)m);
  Py_XDECREF(a);
  Py_XDECREF(l);
  if (!r) {
    st = batch_failed(pc, "step");
  } else if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 6) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "Python environment %s: the batch's step returned %s, not (obs, reward, "
                    "terminated, truncated, reset, final_obs)",
                    pc->id, Py_TYPE(r)->tp_name);
  } else {
    PyObject *rew = PyTuple_GET_ITEM(r, 1);
    if (PySequence_Size(rew) != m) {
      PyErr_Clear();
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "Python environment %s: the batch's step gave %zd rewards for %d copies",
                      pc->id, PyObject_Length(rew), m);
      PyErr_Clear();
    }
    for (int k = 0; st == MIMIC_OK && k < m; k++) {
      int i = rows ? rows[k] : k;
      PyObject *x = PySequence_GetItem(rew, k);
      double v = x ? PyFloat_AsDouble(x) : -1.0;
      Py_XDECREF(x);
      if (v == -1.0 && PyErr_Occurred())
        st = batch_failed(pc, "step's reward");
      else if (isnan(v))
        st = mimic_fail(MIMIC_ERR_RANGE, "Python environment %s: step, copy %d: reward is NaN",
                        pc->id, i);
      b->reward[i] = v;
    }
    if (st == MIMIC_OK)
      st =
          batch_rows(pc, "step", PyTuple_GET_ITEM(r, 0), "obs", scratch, m, od, rows, NULL, b->obs);
    if (st == MIMIC_OK)
      st = batch_flags(pc, PyTuple_GET_ITEM(r, 2), "terminated", scratch, m, rows, b->terminated);
    if (st == MIMIC_OK)
      st = batch_flags(pc, PyTuple_GET_ITEM(r, 3), "truncated", scratch, m, rows, b->truncated);
    if (st == MIMIC_OK)
      st = batch_flags(pc, PyTuple_GET_ITEM(r, 4), "reset", scratch, m, rows, b->reset);
    for (int k = 0; st == MIMIC_OK && k < m; k++) { /* the copies whose episode ended */
      int i = rows ? rows[k] : k;
      limit[k] = limit[k] || b->terminated[i] || b->truncated[i];
    }
    if (st == MIMIC_OK && b->final_obs)
      st = batch_rows(pc, "step", PyTuple_GET_ITEM(r, 5), "final_obs", scratch, m, od, rows, limit,
                      b->final_obs);
    for (int k = 0; st == MIMIC_OK && k < m; k++) { /* a new episode's step count */
      int i = rows ? rows[k] : k;
      if (b->reset[i]) ((pyenv *)mimic_env_impl_of(b->envs[i], pyenv_init))->step = 0;
    }
  }
done:
  Py_XDECREF(r);
  Py_XDECREF(objs);
  Py_XDECREF(owner);
  Py_XDECREF(lowner);
  free(scratch);
  PyGILState_Release(gil);
  return st;
}

/* The batch's reset: batch.reset(objects, seeds [m], -1 to continue) -> obs [m, obs_dim]. */
static mimic_status pyenv_reset_copies(mimic_env *const *envs, const int *rows, int m,
                                       const int64_t *seeds, float *obs) {
  const pyenv *e0 = mimic_env_impl_of(envs[rows ? rows[0] : 0], pyenv_init);
  const pyenv_class *pc = e0->pc;
  if (pc->per_copy) return list_reset_copies(envs, rows, m, seeds, obs);
  const int od = pc->obs_space.dim;
  PyGILState_STATE gil = PyGILState_Ensure();
  mimic_status st = MIMIC_OK;
  PyObject *r = NULL, *objs = batch_objects(envs, rows, m), *list = PyList_New(m);
  float *scratch = malloc((size_t)m * (size_t)od * sizeof(float));
  for (int k = 0; list && k < m; k++) {
    ((pyenv *)mimic_env_impl_of(envs[rows ? rows[k] : k], pyenv_init))->step = 0;
    PyList_SET_ITEM(list, k, PyLong_FromLongLong(seeds[k] >= 0 ? (long long)seeds[k] : -1));
  }
  if (objs && list && scratch) r = PyObject_CallMethod(pc->batch, "reset", "OO", objs, list);
  if (!r)
    st = batch_failed(pc, "reset");
  else
    st = batch_rows(pc, "reset", r, "obs", scratch, m, od, rows, NULL, obs);
  Py_XDECREF(r);
  Py_XDECREF(objs);
  Py_XDECREF(list);
  free(scratch);
  PyGILState_Release(gil);
  return st;
}

/* A space from ("discrete", n) or ("box", shape, low, high); bounds go to b. */
static int space_from(PyObject *desc, mimic_space *s, float *low, float *high) {
  const char *kind;
  PyObject *a = NULL, *b = NULL, *c = NULL;
  if (!PyArg_ParseTuple(desc, "s|OOO", &kind, &a, &b, &c)) return -1;
  if (strcmp(kind, "discrete") == 0 && a) {
    long n = PyLong_AsLong(a);
    if (n == -1 && PyErr_Occurred()) return -1;
    *s = mimic_space_discrete((int)n);
    return 0;
  }
  if (strcmp(kind, "box") != 0 || !a || !b || !c) {
    PyErr_SetString(mimicpy_invalid, "a space is ('discrete', n) or ('box', shape, low, high)");
    return -1;
  }
  PyObject *shape = PySequence_Fast(a, "a Box's shape is a sequence");
  if (!shape) return -1;
  Py_ssize_t nd = PySequence_Fast_GET_SIZE(shape);
  int dim = 1;
  if (nd < 1 || nd > MIMIC_SPACE_MAX_DIMS) {
    Py_DECREF(shape);
    PyErr_Format(mimicpy_invalid, "a Box of %zd dimensions (mimic takes 1 to %d)", nd,
                 MIMIC_SPACE_MAX_DIMS);
    return -1;
  }
  *s = mimic_space_box(1, NULL, NULL);
  s->ndim = (int)nd;
  for (Py_ssize_t i = 0; i < nd; i++) {
    s->shape[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(shape, i));
    dim *= s->shape[i];
  }
  Py_DECREF(shape);
  if (PyErr_Occurred()) return -1;
  s->dim = dim;
  if (low && (mimicpy_floats(b, low, dim, "low") < 0 || mimicpy_floats(c, high, dim, "high") < 0))
    return -1;
  s->low = low;
  s->high = high;
  return 0;
}

static bool same_space(const mimic_space *a, const mimic_space *b) {
  if (a->kind != b->kind || a->n != b->n || a->dim != b->dim || a->ndim != b->ndim) return false;
  if (a->kind == MIMIC_SPACE_DISCRETE) return true;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return false;
  return memcmp(a->low, b->low, (size_t)a->dim * sizeof(float)) == 0 &&
         memcmp(a->high, b->high, (size_t)a->dim * sizeof(float)) == 0;
}

/* Whether a registered class describes the same environment as pc would. */
static bool same_class(const pyenv_class *old, const pyenv_class *pc, int max_steps,
                       double threshold, bool has_expert) {
  bool same_threshold = (isnan(threshold) && isnan(old->cls.reward_threshold)) ||
                        threshold == old->cls.reward_threshold;
  return same_space(&old->obs_space, &pc->obs_space) &&
         same_space(&old->act_space, &pc->act_space) &&
         old->cls.max_episode_steps == (max_steps > 0 ? max_steps : 0) && same_threshold &&
         (old->cls.expert != NULL) == has_expert;
}

static int box_dim(PyObject *desc) {
  PyObject *shape =
      PyTuple_Check(desc) && PyTuple_GET_SIZE(desc) == 4 ? PyTuple_GET_ITEM(desc, 1) : NULL;
  if (!shape) return 1;
  Py_ssize_t n = PySequence_Size(shape);
  long dim = 1;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *x = PySequence_GetItem(shape, i);
    dim *= x ? PyLong_AsLong(x) : 1;
    Py_XDECREF(x);
  }
  PyErr_Clear();
  return dim > 0 && dim < (1 << 24) ? (int)dim : 1;
}

/* register_env(factory, name, obs_space, action_space, max_episode_steps, reward_threshold,
 * has_expert, batch=None) -> id; with a batch, factory(k, n) makes copy k of n made together
 * (k -1: made alone) and batch.step/batch.reset step and reset such copies in one call. */
static PyObject *py_register_env(PyObject *module, PyObject *args) {
  PyObject *factory, *obs_desc, *act_desc, *batch = Py_None;
  const char *name;
  int max_steps, has_expert;
  double threshold;
  if (!PyArg_ParseTuple(args, "OsOOidp|O", &factory, &name, &obs_desc, &act_desc, &max_steps,
                        &threshold, &has_expert, &batch))
    return NULL;
  if (batch == Py_None) batch = NULL;
  /* a batch saying per_copy = True is stepped here, copy by copy (list_step_copies) */
  PyObject *flag = batch ? PyObject_GetAttrString(batch, "per_copy") : NULL;
  int per_copy = flag ? PyObject_IsTrue(flag) : 0;
  Py_XDECREF(flag);
  PyErr_Clear();
  int od = box_dim(obs_desc), ad = box_dim(act_desc);
  pyenv_class *pc = calloc(1, sizeof *pc);
  float *bounds = calloc((size_t)(2 * od + 2 * ad), sizeof(float));
  pyenv_class **list = realloc(registered, (size_t)(n_registered + 1) * sizeof *list);
  if (!pc || !bounds || !list) {
    free(pc);
    free(bounds);
    if (list) registered = list;
    return PyErr_NoMemory();
  }
  registered = list;
  pc->bounds = bounds;
  if (space_from(obs_desc, &pc->obs_space, bounds, bounds + od) < 0 ||
      space_from(act_desc, &pc->act_space, bounds + 2 * od, bounds + 2 * od + ad) < 0) {
    free(bounds);
    free(pc);
    return NULL;
  }
  if (pc->obs_space.kind != MIMIC_SPACE_BOX) {
    free(bounds);
    free(pc);
    return PyErr_Format(mimicpy_invalid, "%s: mimic takes Box observations only", name);
  }
  /* a stable id, so a work folder's run resumes in a new process: "py:<name>",
   * or "py:<name>-<k>" while that one is in use; a retired one with the same
   * class is taken back */
  char base[MIMIC_ENV_ID_MAX - 16];
  snprintf(base, sizeof base, "py:%s", name);
  for (char *p = base; *p; p++)
    if (*p == ' ' || *p == ',') *p = '_';
  for (int k = 1;; k++) {
    if (k == 1)
      snprintf(pc->id, sizeof pc->id, "%s", base);
    else
      snprintf(pc->id, sizeof pc->id, "%s-%d", base, k % 1000000);
    pyenv_class *old = NULL;
    for (int i = 0; i < n_registered && !old; i++)
      if (strcmp(registered[i]->id, pc->id) == 0) old = registered[i];
    if (!old) break;
    if (!old->factory && same_class(old, pc, max_steps, threshold, has_expert) &&
        (old->cls.step_copies != NULL) == (batch != NULL)) {
      old->factory = Py_NewRef(factory);
      Py_XSETREF(old->batch, Py_XNewRef(batch));
      old->per_copy = per_copy;
      free(bounds);
      free(pc);
      return PyUnicode_FromString(old->id);
    }
  }
  snprintf(pc->summary, sizeof pc->summary, "a Python environment (%.80s)", name);
  pc->cls = (mimic_env_class){.id = pc->id,
                              .summary = pc->summary,
                              .impl_size = sizeof(pyenv),
                              .max_episode_steps = max_steps > 0 ? max_steps : 0,
                              .reward_threshold = threshold,
                              .user = pc,
                              .init = pyenv_init,
                              .fini = pyenv_fini,
                              .reset = pyenv_reset,
                              .step = pyenv_step,
                              .expert = has_expert ? pyenv_expert : NULL,
                              .step_copies = batch ? pyenv_step_copies : NULL,
                              .reset_copies = batch ? pyenv_reset_copies : NULL};
  pc->factory = Py_NewRef(factory);
  pc->batch = Py_XNewRef(batch);
  pc->per_copy = per_copy > 0;
  mimic_status st = mimic_env_register(&pc->cls);
  if (st != MIMIC_OK) {
    Py_DECREF(pc->factory);
    Py_XDECREF(pc->batch);
    free(bounds);
    free(pc);
    return mimicpy_raise(st);
  }
  registered[n_registered++] = pc;
  return PyUnicode_FromString(pc->id);
}

/* retire_env(id): drops the factory of a Python environment (making it again fails). */
static PyObject *py_retire_env(PyObject *module, PyObject *arg) {
  const char *id = PyUnicode_AsUTF8(arg);
  if (!id) return NULL;
  for (int i = 0; i < n_registered; i++)
    if (strcmp(registered[i]->id, id) == 0) {
      Py_CLEAR(registered[i]->factory);
      Py_CLEAR(registered[i]->batch);
    }
  Py_RETURN_NONE;
}

PyThreadState *mimicpy_pause(const mimic_env *env, const mimic_policy *policy) {
  if (env && mimic_env_impl_of(env, pyenv_init)) return NULL;
  if (policy && strcmp(policy->cls->kind, "python") == 0) return NULL;
  return PyEval_SaveThread();
}

void mimicpy_resume(PyThreadState *ts) {
  if (ts) PyEval_RestoreThread(ts);
}

/* ---- Python experts ------------------------------------------------------------- */

/* An expert whose impl is the callable itself. */
static mimic_status pyexpert_label(mimic_expert *x, const mimic_questions *q,
                                   mimic_answer *answers) {
  if (!q->obs) return mimic_fail(MIMIC_ERR_INVALID, "a Python expert labels observations");
  int width = mimic_space_width(&x->codec->space);
  float *acts = malloc((q->n ? q->n : 1) * (size_t)width * sizeof(float));
  if (!acts) return mimic_fail_nomem("the expert's answers");
  mimic_status st =
      mimicpy_call_batch(x->impl, q->obs, q->n, q->obs_dim, acts, width, "the expert's actions");
  for (size_t i = 0; st == MIMIC_OK && i < q->n; i++) {
    answers[i].kind = MIMIC_ANSWER_ACTION;
    answers[i].detail = NULL;
    memcpy(answers[i].action, acts + i * (size_t)width, (size_t)width * sizeof(float));
  }
  free(acts);
  return st;
}

static void pyexpert_free(mimic_expert *x) { mimicpy_forget(x->impl); }

static const mimic_expert_class pyexpert_class = {"python", pyexpert_label, pyexpert_free};

/* ---- DAgger ----------------------------------------------------------------------- */

typedef struct {
  PyObject *rows; /* a list of per-round dicts */
  bool failed;
} round_log;

static void on_round(const mimic_dagger_round *row, void *user) {
  round_log *log = user;
  PyGILState_STATE gil = PyGILState_Ensure();
  PyObject *d = Py_BuildValue(
      "{s:i,s:d,s:n,s:n,s:l,s:n,s:d}", "round", row->round + 1, "beta", row->beta, "candidates",
      (Py_ssize_t)row->candidates, "queried", (Py_ssize_t)row->queried, "expert_queries",
      row->expert_queries, "dataset_size", (Py_ssize_t)row->dataset_size, "seconds", row->seconds);
  for (int k = 0; d && k < row->n_metrics; k++) {
    PyObject *v = isnan(row->metrics[k]) ? Py_NewRef(Py_None) : PyFloat_FromDouble(row->metrics[k]);
    if (!v || PyDict_SetItemString(d, row->metric_names[k], v) < 0) Py_CLEAR(d);
    Py_XDECREF(v);
  }
  if (!d || PyList_Append(log->rows, d) < 0) {
    log->failed = true;
    PyErr_Clear();
  }
  Py_XDECREF(d);
  PyGILState_Release(gil);
}

/* dagger(env, expert, ...) -> (Policy, rounds): `mimic train dagger` from Python; expert is a
 * spec (builtin, cmd:..., a policy file) or a callable (batch of observations -> actions). */
static PyObject *py_dagger(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {
      "env",           "expert",      "rounds",    "beta",           "query",      "seed",
      "work_dir",      "n_envs",      "min_steps", "min_episodes",   "epochs",     "cap",
      "eval_episodes", "eval_sample", "defer",     "expert_timeout", "batch_size", "lr",
      "hidden",        "activation",  "normalize", "progress",       NULL};
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  mimic_bc_config bc = mimic_bc_defaults();
  PyObject *env_obj, *expert, *hidden = NULL;
  const char *beta = "linear", *query = "all", *activation = "tanh";
  unsigned long long seed = 0;
  long epochs = 4, min_steps = 500, cap = 0;
  int eval_sample = 0, defer = 0, normalize = 1, progress = 0;
  if (!PyArg_ParseTupleAndKeywords(
          args, kwds, "OO|$issKzilililppdidOspp", kwlist, &env_obj, &expert, &cfg.rounds, &beta,
          &query, &seed, &cfg.work_dir, &cfg.n_envs, &min_steps, &cfg.min_episodes, &epochs, &cap,
          &cfg.eval_episodes, &eval_sample, &defer, &cfg.expert_timeout, &bc.batch_size, &bc.lr,
          &hidden, &activation, &normalize, &progress))
    return NULL;
  const char *opts;
  mimic_env *env = mimicpy_env_arg(env_obj, "dagger", &opts);
  if (!env) return NULL;
  if (mimic_beta_parse(beta, &cfg.beta) != MIMIC_OK ||
      mimic_query_parse(query, &cfg.query) != MIMIC_OK)
    return mimicpy_raise(MIMIC_ERR_INVALID);
  if (mimicpy_bc_layers(hidden, activation, &bc) < 0) return NULL;
  if (defer && cfg.query.kind != MIMIC_QUERY_UNCERTAIN)
    return PyErr_Format(mimicpy_invalid, "defer goes with query='uncertain:T'");
  cfg.env_id = mimic_env_id(env);
  cfg.env_opts = opts;
  cfg.seed = seed;
  cfg.epochs = epochs;
  cfg.min_steps = min_steps;
  cfg.cap = cap;
  cfg.eval_sample = eval_sample;
  cfg.defer = defer;
  cfg.progress = progress;
  bc.normalize_obs = normalize;
  bc.seed = seed;
  mimic_codec *codec = NULL;
  mimic_expert *x = NULL;
  mimic_status st = MIMIC_OK;
  if (PyUnicode_Check(expert)) {
    cfg.expert = PyUnicode_AsUTF8(expert);
  } else if (PyCallable_Check(expert)) {
    st = mimic_codec_env(env, &codec);
    PyObject *name = PyObject_Repr(expert);
    char label[160];
    snprintf(label, sizeof label, "python:%s", name ? PyUnicode_AsUTF8(name) : "callable");
    Py_XDECREF(name);
    PyErr_Clear();
    if (st == MIMIC_OK) st = mimic_expert_alloc(&pyexpert_class, codec, label, &x);
    if (st == MIMIC_OK) {
      x->impl = Py_NewRef(expert);
      x->repeatable = true; /* a function of the observation, as a policy */
      x->max_batch = (size_t)1 << 20;
      cfg.expert_obj = x;
    }
  } else {
    return PyErr_Format(PyExc_TypeError,
                        "dagger: the expert is a spec (builtin, cmd:PROGRAM, a policy file) or a "
                        "callable, got %s",
                        Py_TYPE(expert)->tp_name);
  }
  round_log log = {.rows = PyList_New(0)};
  if (!log.rows) st = MIMIC_ERR_NOMEM;
  cfg.on_round = on_round;
  cfg.user = &log;
  mimic_model best = {0};
  mimic_dagger_round *rows = calloc(1024, sizeof *rows);
  int n_rows = 0;
  if (st == MIMIC_OK && !rows) st = mimic_fail_nomem("DAgger's rounds");
  if (st == MIMIC_OK) {
    PyThreadState *ts = x ? NULL : mimicpy_pause(env, NULL);
    st = mimic_dagger_env_run(&cfg, &bc, &best, rows, 1024, &n_rows);
    mimicpy_resume(ts);
  }
  free(rows);
  mimic_expert_free(x);
  mimic_codec_free(codec);
  mimic_policy *policy = NULL;
  if (st == MIMIC_OK) {
    char extra[256];
    snprintf(extra, sizeof extra, "{\"algorithm\": \"dagger\", \"rounds\": %d, \"seed\": %llu}",
             cfg.rounds, seed);
    st = mimic_policy_describe_model(&best, cfg.env_id, mimic_env_obs_space(env),
                                     mimic_env_action_space(env), extra);
  }
  if (st == MIMIC_OK) st = mimic_policy_from_model(&best, mimic_env_action_space(env), &policy);
  mimic_model_free(&best);
  if (st != MIMIC_OK) {
    Py_XDECREF(log.rows);
    return mimicpy_raise(st);
  }
  PyObject *p = mimicpy_policy_wrap(policy);
  PyObject *r = p ? PyTuple_Pack(2, p, log.rows) : NULL;
  Py_XDECREF(p);
  Py_DECREF(log.rows);
  return r;
}

static PyMethodDef foreign_functions[] = {
    {"register_env", py_register_env, METH_VARARGS, NULL},
    {"retire_env", py_retire_env, METH_O, NULL},
    {"dagger", (PyCFunction)(void (*)(void))py_dagger, METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL},
};

int mimicpy_foreign_init(PyObject *module) {
  return PyModule_AddFunctions(module, foreign_functions);
}
