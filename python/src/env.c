/* env.c: mimic environments as Python objects with Gymnasium's API.
 *
 * Env wraps one mimic_env, VecEnv one mimic_vecenv. Their step methods are
 * the hot path of every Python loop, so they live here in C: the action is
 * read straight from the Python number or array (any numeric dtype), mimic
 * steps into buffers allocated once, and the observation returned is the
 * same read-only NumPy view every step (no copy; a caller who keeps an
 * observation across steps copies it). The pure-Python classes in
 * mimic/envs.py subclass these types and add the spaces and the rest of
 * Gymnasium's surface. */
#include "mimic_py.h"

#include <structmember.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Gymnasium's reset seed: None (MIMIC_SEED_NONE: continue) or an int >= 0. */
static int parse_seed(PyObject *obj, int64_t *seed) {
  *seed = MIMIC_SEED_NONE;
  if (obj == Py_None) return 0;
  long long s = PyLong_AsLongLong(obj);
  if (s == -1 && PyErr_Occurred()) return -1;
  if (s < 0) {
    PyErr_Format(mimicpy_invalid, "seed must be a non-negative int, got %lld", s);
    return -1;
  }
  *seed = s;
  return 0;
}

/* reset's (obs, info) with an empty info. */
static PyObject *obs_and_info(PyObject *obs) {
  PyObject *info = PyDict_New();
  if (!info) return NULL;
  PyObject *t = PyTuple_Pack(2, obs, info);
  Py_DECREF(info);
  return t;
}

/* ---- Env ---------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD mimic_env *env;
  float *obs, *action; /* obs: obs_dim floats (NumPy sees them); action: width */
  int width;
  bool discrete, started;
  PyObject *memory;    /* owns obs */
  PyObject *obs_array; /* the view step and reset return */
  char *options;       /* what it was made with ("" for none), for the loops that make copies */
} EnvObject;

static int env_ready(EnvObject *self) {
  if (self->env) return 0;
  PyErr_SetString(mimicpy_error, "the environment is closed");
  return -1;
}

static int env_init(EnvObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"id", "options", NULL};
  const char *id, *options = "";
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "s|s", kwlist, &id, &options)) return -1;
  if (self->env) {
    PyErr_SetString(PyExc_RuntimeError, "Env.__init__ called twice");
    return -1;
  }
  mimic_status st = mimic_env_make(id, *options ? options : NULL, &self->env);
  if (st != MIMIC_OK) return mimicpy_raise_int(st);
  if (!(self->options = strdup(options))) {
    PyErr_NoMemory();
    return -1;
  }
  const mimic_space *os = mimic_env_obs_space(self->env);
  const mimic_space *as = mimic_env_action_space(self->env);
  self->width = mimic_space_width(as);
  self->discrete = as->kind == MIMIC_SPACE_DISCRETE;
  self->obs = mimicpy_alloc((size_t)os->dim * sizeof(float), &self->memory);
  self->action = calloc((size_t)self->width, sizeof(float));
  if (!self->obs || !self->action) {
    if (self->obs) PyErr_NoMemory();
    return -1;
  }
  Py_ssize_t shape[MIMIC_SPACE_MAX_DIMS];
  for (int i = 0; i < os->ndim; i++) shape[i] = os->shape[i];
  self->obs_array =
      mimicpy_array(self->memory, self->obs, "f", sizeof(float), os->ndim, shape, true);
  return self->obs_array ? 0 : -1;
}

static void env_close_impl(EnvObject *self) {
  mimic_env_free(self->env);
  self->env = NULL;
}

static void env_dealloc(EnvObject *self) {
  env_close_impl(self);
  free(self->action);
  free(self->options);
  Py_XDECREF(self->obs_array);
  Py_XDECREF(self->memory);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* reset(seed=None, options=None) -> (obs, info) */
static PyObject *env_reset(EnvObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"seed", "options", NULL};
  PyObject *seed_obj = Py_None, *options = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$OO", kwlist, &seed_obj, &options)) return NULL;
  if (env_ready(self) < 0) return NULL;
  int64_t seed;
  if (parse_seed(seed_obj, &seed) < 0) return NULL;
  PyObject *opts = mimicpy_options(options);
  if (!opts) return NULL;
  const char *text = PyBytes_AS_STRING(opts);
  mimic_status st = mimic_env_reset_with(self->env, seed, *text ? text : NULL, self->obs);
  Py_DECREF(opts);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  self->started = true;
  return obs_and_info(self->obs_array);
}

/* step(action) -> (obs, reward, terminated, truncated, info) */
static PyObject *env_step(EnvObject *self, PyObject *action) {
  if (env_ready(self) < 0) return NULL;
  if (!self->started) {
    PyErr_SetString(mimicpy_error, "call reset() before step()");
    return NULL;
  }
  if (self->discrete && PyLong_CheckExact(action)) {
    long a = PyLong_AsLong(action);
    if (a == -1 && PyErr_Occurred()) return NULL;
    self->action[0] = (float)a;
  } else if (mimicpy_floats(action, self->action, self->width, "action") < 0) {
    return NULL;
  }
  double reward;
  bool terminated, truncated;
  mimic_status st =
      mimic_env_step(self->env, self->action, self->obs, &reward, &terminated, &truncated);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  PyObject *t = PyTuple_New(5);
  PyObject *r = PyFloat_FromDouble(reward), *info = PyDict_New();
  if (!t || !r || !info) {
    Py_XDECREF(t);
    Py_XDECREF(r);
    Py_XDECREF(info);
    return NULL;
  }
  PyTuple_SET_ITEM(t, 0, Py_NewRef(self->obs_array));
  PyTuple_SET_ITEM(t, 1, r);
  PyTuple_SET_ITEM(t, 2, PyBool_FromLong(terminated));
  PyTuple_SET_ITEM(t, 3, PyBool_FromLong(truncated));
  PyTuple_SET_ITEM(t, 4, info);
  return t;
}

static PyObject *env_close(EnvObject *self, PyObject *unused) {
  env_close_impl(self);
  Py_RETURN_NONE;
}

static PyObject *env_spaces(EnvObject *self, PyObject *unused) {
  if (env_ready(self) < 0) return NULL;
  PyObject *o = mimicpy_space_tuple(mimic_env_obs_space(self->env));
  PyObject *a = mimicpy_space_tuple(mimic_env_action_space(self->env));
  PyObject *t = (o && a) ? PyTuple_Pack(2, o, a) : NULL;
  Py_XDECREF(o);
  Py_XDECREF(a);
  return t;
}

static PyObject *env_describe(EnvObject *self, PyObject *unused) {
  if (env_ready(self) < 0) return NULL;
  double thr = mimic_env_reward_threshold(self->env);
  PyObject *threshold = isnan(thr) ? Py_NewRef(Py_None) : PyFloat_FromDouble(thr);
  if (!threshold) return NULL;
  int max_steps = mimic_env_max_steps(self->env);
  PyObject *limit = max_steps > 0 ? PyLong_FromLong(max_steps) : Py_NewRef(Py_None);
  PyObject *names;
  const mimic_space *as = mimic_env_action_space(self->env);
  if (as->kind == MIMIC_SPACE_DISCRETE && mimic_env_action_name(self->env, 0)) {
    names = PyList_New(as->n);
    for (int a = 0; names && a < as->n; a++) {
      const char *name = mimic_env_action_name(self->env, a);
      PyList_SET_ITEM(names, a, PyUnicode_FromString(name ? name : ""));
    }
  } else {
    names = Py_NewRef(Py_None);
  }
  PyObject *d =
      (limit && names)
          ? Py_BuildValue("{s:s,s:O,s:O,s:O,s:O}", "id", mimic_env_id(self->env),
                          "reward_threshold", threshold, "max_episode_steps", limit, "action_names",
                          names, "has_expert", mimic_env_has_expert(self->env) ? Py_True : Py_False)
          : NULL;
  Py_DECREF(threshold);
  Py_XDECREF(limit);
  Py_XDECREF(names);
  return d;
}

static PyObject *env_elapsed(EnvObject *self, PyObject *unused) {
  if (env_ready(self) < 0) return NULL;
  return PyLong_FromLong(mimic_env_elapsed(self->env));
}

static PyObject *env_render_text(EnvObject *self, PyObject *unused) {
  if (env_ready(self) < 0) return NULL;
  size_t cap = 1 << 16;
  char *buf = malloc(cap);
  if (!buf) return PyErr_NoMemory();
  mimic_status st = mimic_env_render_text(self->env, buf, cap);
  PyObject *s = st == MIMIC_OK ? PyUnicode_FromString(buf) : mimicpy_raise(st);
  free(buf);
  return s;
}

static PyObject *env_render_rgb(EnvObject *self, PyObject *unused) {
  if (env_ready(self) < 0) return NULL;
  int w = 0, h = 0;
  mimic_status st = mimic_env_render_rgb(self->env, NULL, &w, &h);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  PyObject *owner;
  uint8_t *rgb = mimicpy_alloc((size_t)w * (size_t)h * 3, &owner);
  if (!rgb) return NULL;
  st = mimic_env_render_rgb(self->env, rgb, &w, &h);
  if (st != MIMIC_OK) {
    Py_DECREF(owner);
    return mimicpy_raise(st);
  }
  Py_ssize_t shape[3] = {h, w, 3};
  PyObject *arr = mimicpy_array(owner, rgb, "B", 1, 3, shape, false);
  Py_DECREF(owner);
  return arr;
}

static PyObject *env_expert_action(EnvObject *self, PyObject *unused) {
  if (env_ready(self) < 0) return NULL;
  mimic_status st = mimic_env_expert_act(self->env, self->action);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  if (self->discrete) return PyLong_FromLong((long)self->action[0]);
  PyObject *owner;
  float *a = mimicpy_alloc((size_t)self->width * sizeof(float), &owner);
  if (!a) return NULL;
  memcpy(a, self->action, (size_t)self->width * sizeof(float));
  Py_ssize_t shape[1] = {self->width};
  PyObject *arr = mimicpy_array(owner, a, "f", sizeof(float), 1, shape, false);
  Py_DECREF(owner);
  return arr;
}

static PyObject *env_get_state(EnvObject *self, PyObject *unused) {
  if (env_ready(self) < 0) return NULL;
  double state[4096];
  int n = mimic_env_get_state(self->env, state, 4096);
  if (n > 4096) n = 4096;
  PyObject *list = PyList_New(n);
  for (int i = 0; list && i < n; i++) PyList_SET_ITEM(list, i, PyFloat_FromDouble(state[i]));
  return list;
}

static PyObject *env_set_state(EnvObject *self, PyObject *arg) {
  if (env_ready(self) < 0) return NULL;
  PyObject *seq = PySequence_Fast(arg, "set_state takes a sequence of numbers");
  if (!seq) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  double *state = malloc((size_t)(n ? n : 1) * sizeof(double));
  if (!state) {
    Py_DECREF(seq);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < n; i++) state[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, i));
  Py_DECREF(seq);
  if (PyErr_Occurred()) {
    free(state);
    return NULL;
  }
  mimic_status st = mimic_env_set_state(self->env, state, (int)n);
  free(state);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  self->started = true;
  Py_RETURN_NONE;
}

static PyMethodDef env_methods[] = {
    {"reset", (PyCFunction)(void (*)(void))env_reset, METH_VARARGS | METH_KEYWORDS,
     "reset(*, seed=None, options=None) -> (obs, info): starts an episode (seed: Gymnasium's)."},
    {"step", (PyCFunction)env_step, METH_O,
     "step(action) -> (obs, reward, terminated, truncated, info); obs is a read-only view "
     "that the next step overwrites."},
    {"close", (PyCFunction)env_close, METH_NOARGS, "close(): frees the environment."},
    {"_spaces", (PyCFunction)env_spaces, METH_NOARGS, NULL},
    {"_describe", (PyCFunction)env_describe, METH_NOARGS, NULL},
    {"_elapsed", (PyCFunction)env_elapsed, METH_NOARGS, NULL},
    {"_render_text", (PyCFunction)env_render_text, METH_NOARGS, NULL},
    {"_render_rgb", (PyCFunction)env_render_rgb, METH_NOARGS, NULL},
    {"expert_action", (PyCFunction)env_expert_action, METH_NOARGS,
     "expert_action() -> the built-in expert's action in the current state."},
    {"get_state", (PyCFunction)env_get_state, METH_NOARGS,
     "get_state() -> the internal state as a list of floats (docs/envs.md)."},
    {"set_state", (PyCFunction)env_set_state, METH_O,
     "set_state(values): the inverse of get_state."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EnvType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.Env",
    .tp_basicsize = sizeof(EnvObject),
    .tp_dealloc = (destructor)env_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "One mimic environment (use mimic.make).",
    .tp_methods = env_methods,
    .tp_init = (initproc)env_init,
    .tp_new = PyType_GenericNew,
};

mimic_env *mimicpy_env_of(PyObject *obj) {
  if (!PyObject_TypeCheck(obj, &EnvType)) return NULL;
  EnvObject *e = (EnvObject *)obj;
  return env_ready(e) < 0 ? NULL : e->env;
}

mimic_env *mimicpy_env_arg(PyObject *obj, const char *what, const char **options) {
  if (!PyObject_TypeCheck(obj, &EnvType)) {
    PyErr_Format(PyExc_TypeError, "%s: expected a mimic environment, got %s", what,
                 Py_TYPE(obj)->tp_name);
    return NULL;
  }
  EnvObject *e = (EnvObject *)obj;
  if (env_ready(e) < 0) return NULL;
  if (options) *options = e->options && *e->options ? e->options : NULL;
  return e->env;
}

/* ---- VecEnv --------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD mimic_vecenv *venv;
  int n, obs_dim, width;
  float *obs, *final_obs, *actions;
  double *rewards;
  bool *terminated, *truncated, *done;
  PyObject *memory;
  PyObject *obs_array, *final_array, *rewards_array, *term_array, *trunc_array, *done_array;
} VecEnvObject;

static int vec_ready(VecEnvObject *self) {
  if (self->venv) return 0;
  PyErr_SetString(mimicpy_error, "the vector environment is closed");
  return -1;
}

static int vec_init(VecEnvObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"id", "n", "options", NULL};
  const char *id, *options = "";
  int n;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "si|s", kwlist, &id, &n, &options)) return -1;
  if (self->venv) {
    PyErr_SetString(PyExc_RuntimeError, "VecEnv.__init__ called twice");
    return -1;
  }
  if (n < 1) {
    PyErr_Format(mimicpy_invalid, "make_vec: n must be >= 1, got %d", n);
    return -1;
  }
  mimic_status st = mimic_vecenv_make(id, *options ? options : NULL, n, &self->venv);
  if (st != MIMIC_OK) return mimicpy_raise_int(st);
  mimic_env *e0 = mimic_vecenv_env(self->venv, 0);
  const mimic_space *os = mimic_env_obs_space(e0);
  self->n = n;
  self->obs_dim = os->dim;
  self->width = mimic_space_width(mimic_env_action_space(e0));
  size_t rows = (size_t)n, od = (size_t)os->dim;
  /* one allocation: obs, final_obs, rewards, flags; actions separately */
  size_t bytes = 2 * rows * od * sizeof(float) + rows * sizeof(double) + 3 * rows;
  char *mem = mimicpy_alloc(bytes, &self->memory);
  self->actions = calloc(rows * (size_t)self->width, sizeof(float));
  if (!mem || !self->actions) {
    if (mem) PyErr_NoMemory();
    return -1;
  }
  self->rewards = (double *)mem;
  self->obs = (float *)(mem + rows * sizeof(double));
  self->final_obs = self->obs + rows * od;
  self->terminated = (bool *)(self->final_obs + rows * od);
  self->truncated = self->terminated + rows;
  self->done = self->truncated + rows;
  Py_ssize_t shape[MIMIC_SPACE_MAX_DIMS + 1] = {n};
  for (int i = 0; i < os->ndim; i++) shape[i + 1] = os->shape[i];
  Py_ssize_t flat[1] = {n};
  self->obs_array =
      mimicpy_array(self->memory, self->obs, "f", sizeof(float), os->ndim + 1, shape, true);
  self->final_array =
      mimicpy_array(self->memory, self->final_obs, "f", sizeof(float), os->ndim + 1, shape, true);
  self->rewards_array =
      mimicpy_array(self->memory, self->rewards, "d", sizeof(double), 1, flat, true);
  self->term_array = mimicpy_array(self->memory, self->terminated, "?", 1, 1, flat, true);
  self->trunc_array = mimicpy_array(self->memory, self->truncated, "?", 1, 1, flat, true);
  self->done_array = mimicpy_array(self->memory, self->done, "?", 1, 1, flat, true);
  if (!self->obs_array || !self->final_array || !self->rewards_array || !self->term_array ||
      !self->trunc_array || !self->done_array)
    return -1;
  return 0;
}

static void vec_dealloc(VecEnvObject *self) {
  mimic_vecenv_free(self->venv);
  free(self->actions);
  Py_XDECREF(self->obs_array);
  Py_XDECREF(self->final_array);
  Py_XDECREF(self->rewards_array);
  Py_XDECREF(self->term_array);
  Py_XDECREF(self->trunc_array);
  Py_XDECREF(self->done_array);
  Py_XDECREF(self->memory);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* reset(seed=None, options=None) -> (obs, info): copy i from seed + i. */
static PyObject *vec_reset(VecEnvObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"seed", "options", NULL};
  PyObject *seed_obj = Py_None, *options = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$OO", kwlist, &seed_obj, &options)) return NULL;
  if (vec_ready(self) < 0) return NULL;
  if (options != Py_None) {
    PyErr_SetString(mimicpy_invalid, "VecEnv.reset takes no options");
    return NULL;
  }
  int64_t seed;
  if (parse_seed(seed_obj, &seed) < 0) return NULL;
  mimic_status st = mimic_vecenv_reset(self->venv, seed, self->obs);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  return obs_and_info(self->obs_array);
}

/* step(actions) -> (obs, rewards, terminated, truncated, info) */
static PyObject *vec_step(VecEnvObject *self, PyObject *actions) {
  if (vec_ready(self) < 0) return NULL;
  if (mimicpy_floats(actions, self->actions, (Py_ssize_t)self->n * self->width, "actions") < 0)
    return NULL;
  mimic_status st = mimic_vecenv_step(self->venv, self->actions, self->obs, self->rewards,
                                      self->terminated, self->truncated, self->final_obs);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  for (int i = 0; i < self->n; i++) self->done[i] = self->terminated[i] | self->truncated[i];
  PyObject *info = PyDict_New();
  if (!info) return NULL;
  if (PyDict_SetItemString(info, "final_obs", self->final_array) < 0 ||
      PyDict_SetItemString(info, "_final_obs", self->done_array) < 0) {
    Py_DECREF(info);
    return NULL;
  }
  PyObject *t = PyTuple_New(5);
  if (!t) {
    Py_DECREF(info);
    return NULL;
  }
  PyTuple_SET_ITEM(t, 0, Py_NewRef(self->obs_array));
  PyTuple_SET_ITEM(t, 1, Py_NewRef(self->rewards_array));
  PyTuple_SET_ITEM(t, 2, Py_NewRef(self->term_array));
  PyTuple_SET_ITEM(t, 3, Py_NewRef(self->trunc_array));
  PyTuple_SET_ITEM(t, 4, info);
  return t;
}

static PyObject *vec_close(VecEnvObject *self, PyObject *unused) {
  mimic_vecenv_free(self->venv);
  self->venv = NULL;
  Py_RETURN_NONE;
}

static PyObject *vec_spaces(VecEnvObject *self, PyObject *unused) {
  if (vec_ready(self) < 0) return NULL;
  mimic_env *e0 = mimic_vecenv_env(self->venv, 0);
  PyObject *o = mimicpy_space_tuple(mimic_env_obs_space(e0));
  PyObject *a = mimicpy_space_tuple(mimic_env_action_space(e0));
  PyObject *t = (o && a) ? PyTuple_Pack(2, o, a) : NULL;
  Py_XDECREF(o);
  Py_XDECREF(a);
  return t;
}

static PyMethodDef vec_methods[] = {
    {"reset", (PyCFunction)(void (*)(void))vec_reset, METH_VARARGS | METH_KEYWORDS,
     "reset(*, seed=None) -> (obs, info): copy i starts from seed + i."},
    {"step", (PyCFunction)vec_step, METH_O,
     "step(actions) -> (obs, rewards, terminated, truncated, info): ended copies restart in the "
     "same step; info['final_obs'][i] is the last observation where info['_final_obs'][i]."},
    {"close", (PyCFunction)vec_close, METH_NOARGS, "close(): frees the environments."},
    {"_spaces", (PyCFunction)vec_spaces, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef vec_members[] = {
    {"num_envs", T_INT, offsetof(VecEnvObject, n), READONLY, "number of copies"},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject VecEnvType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.VecEnv",
    .tp_basicsize = sizeof(VecEnvObject),
    .tp_dealloc = (destructor)vec_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "n copies of a mimic environment in one batch (use mimic.make_vec).",
    .tp_methods = vec_methods,
    .tp_members = vec_members,
    .tp_init = (initproc)vec_init,
    .tp_new = PyType_GenericNew,
};

int mimicpy_env_init(PyObject *module) {
  if (PyType_Ready(&EnvType) < 0 || PyType_Ready(&VecEnvType) < 0) return -1;
  if (PyModule_AddObjectRef(module, "Env", (PyObject *)&EnvType) < 0 ||
      PyModule_AddObjectRef(module, "VecEnv", (PyObject *)&VecEnvType) < 0)
    return -1;
  return 0;
}
