/* data.c: datasets of demonstrations as NumPy views (mimic.Dataset).
 *
 * A Dataset owns one mimic_dataset (Minari's layout in memory: every
 * episode's T+1 observations back to back, its T actions, rewards and
 * flags). Its arrays are views of those buffers that keep the Dataset
 * alive; they are made on each access, not cached, so no reference cycle
 * holds a dataset after its last user lets go. */
#include "mimic_py.h"

#include <stdlib.h>

#include "mimic/collect.h"
#include "mimic/data.h"
#include "mimic/policy.h"

typedef struct {
  PyObject_HEAD mimic_dataset ds;
  bool loaded;
} DatasetObject;

static PyTypeObject DatasetType;

static void dataset_dealloc(DatasetObject *self) {
  if (self->loaded) mimic_dataset_free(&self->ds);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *view(DatasetObject *self, void *data, const char *fmt, Py_ssize_t size,
                      Py_ssize_t rows, Py_ssize_t cols) {
  Py_ssize_t shape[2] = {rows, cols};
  return mimicpy_array((PyObject *)self, data, fmt, size, cols > 0 ? 2 : 1, shape, true);
}

static PyObject *ds_observations(DatasetObject *self, void *unused) {
  mimic_dataset *d = &self->ds;
  return view(self, d->obs, "f", sizeof(float), (Py_ssize_t)(d->n_steps + d->n_episodes),
              d->obs_dim);
}

static PyObject *ds_actions(DatasetObject *self, void *unused) {
  mimic_dataset *d = &self->ds;
  bool discrete = d->act_space.space.kind == MIMIC_SPACE_DISCRETE;
  return view(self, d->act, "f", sizeof(float), (Py_ssize_t)d->n_steps, discrete ? 0 : d->act_dim);
}

static PyObject *ds_rewards(DatasetObject *self, void *unused) {
  return view(self, self->ds.rew, "d", sizeof(double), (Py_ssize_t)self->ds.n_steps, 0);
}

static PyObject *ds_terminations(DatasetObject *self, void *unused) {
  return view(self, self->ds.term, "?", 1, (Py_ssize_t)self->ds.n_steps, 0);
}

static PyObject *ds_truncations(DatasetObject *self, void *unused) {
  return view(self, self->ds.trunc, "?", 1, (Py_ssize_t)self->ds.n_steps, 0);
}

static PyObject *ds_episode_starts(DatasetObject *self, void *unused) {
  return view(self, self->ds.ep_start, "Q", sizeof(uint64_t), (Py_ssize_t)self->ds.n_episodes + 1,
              0);
}

static PyObject *ds_obs_rows(DatasetObject *self, void *unused) {
  return view(self, self->ds.obs_row, "I", sizeof(uint32_t), (Py_ssize_t)self->ds.n_steps, 0);
}

static PyObject *ds_seeds(DatasetObject *self, void *unused) {
  return view(self, self->ds.ep_seed, "q", sizeof(int64_t), (Py_ssize_t)self->ds.n_episodes, 0);
}

static PyObject *ds_info(DatasetObject *self, void *unused) {
  mimic_dataset *d = &self->ds;
  PyObject *o = mimicpy_space_tuple(&d->obs_space.space);
  PyObject *a = mimicpy_space_tuple(&d->act_space.space);
  PyObject *r =
      (o && a)
          ? Py_BuildValue("{s:O,s:O,s:z,s:z,s:n,s:n}", "observation_space", o, "action_space", a,
                          "env_id", d->meta.env_id, "dataset_id", d->meta.dataset_id, "n_episodes",
                          (Py_ssize_t)d->n_episodes, "n_steps", (Py_ssize_t)d->n_steps)
          : NULL;
  Py_XDECREF(o);
  Py_XDECREF(a);
  return r;
}

static PyObject *ds_save(DatasetObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"path", "overwrite", NULL};
  const char *path;
  int overwrite = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "s|p", kwlist, &path, &overwrite)) return NULL;
  mimic_write_opts wo = mimic_write_opts_default();
  wo.overwrite = overwrite;
  mimic_status st;
  Py_BEGIN_ALLOW_THREADS st = mimic_dataset_save(&self->ds, path, &wo);
  Py_END_ALLOW_THREADS if (st != MIMIC_OK) return mimicpy_raise(st);
  Py_RETURN_NONE;
}

static Py_ssize_t ds_len(DatasetObject *self) { return (Py_ssize_t)self->ds.n_steps; }

static PyGetSetDef dataset_getset[] = {
    {"observations", (getter)ds_observations, NULL,
     "[steps + episodes, obs_dim] float32: each episode's T+1 observations, back to back", NULL},
    {"actions", (getter)ds_actions, NULL,
     "[steps] (Discrete: ids as float32) or [steps, act_dim] float32", NULL},
    {"rewards", (getter)ds_rewards, NULL, "[steps] float64", NULL},
    {"terminations", (getter)ds_terminations, NULL, "[steps] bool", NULL},
    {"truncations", (getter)ds_truncations, NULL, "[steps] bool", NULL},
    {"episode_starts", (getter)ds_episode_starts, NULL,
     "[episodes + 1] uint64: the first step of each episode", NULL},
    {"obs_rows", (getter)ds_obs_rows, NULL,
     "[steps] uint32: the row of observations each step starts from", NULL},
    {"seeds", (getter)ds_seeds, NULL, "[episodes] int64: reset seeds (INT64_MIN: none)", NULL},
    {"_info", (getter)ds_info, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef dataset_methods[] = {
    {"save", (PyCFunction)(void (*)(void))ds_save, METH_VARARGS | METH_KEYWORDS,
     "save(path, overwrite=False): writes the dataset in Minari's layout, atomically."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods dataset_seq = {.sq_length = (lenfunc)ds_len};

static PyTypeObject DatasetType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.Dataset",
    .tp_basicsize = sizeof(DatasetObject),
    .tp_dealloc = (destructor)dataset_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Demonstrations in memory (mimic.load_dataset, mimic.collect).",
    .tp_getset = dataset_getset,
    .tp_methods = dataset_methods,
    .tp_as_sequence = &dataset_seq,
    .tp_new = PyType_GenericNew,
};

/* The mimic_dataset of a Dataset, or NULL with a TypeError. */
const mimic_dataset *mimicpy_dataset_of(PyObject *obj) {
  if (PyObject_TypeCheck(obj, &DatasetType) && ((DatasetObject *)obj)->loaded)
    return &((DatasetObject *)obj)->ds;
  PyErr_Format(PyExc_TypeError, "expected a mimic.Dataset, got %s", Py_TYPE(obj)->tp_name);
  return NULL;
}

/* load_dataset(cls, path) -> Dataset (an instance of cls, a Dataset subclass) */
static PyObject *py_load_dataset(PyObject *module, PyObject *args) {
  PyObject *cls;
  const char *path;
  if (!PyArg_ParseTuple(args, "Os", &cls, &path)) return NULL;
  DatasetObject *self = (DatasetObject *)PyObject_CallNoArgs(cls);
  if (!self) return NULL;
  mimic_status st;
  Py_BEGIN_ALLOW_THREADS st = mimic_dataset_load(path, &self->ds);
  Py_END_ALLOW_THREADS if (st != MIMIC_OK) {
    Py_DECREF(self);
    return mimicpy_raise(st);
  }
  self->loaded = true;
  return (PyObject *)self;
}

/* collect(cls, env, expert, episodes, seed, epsilon, sample, path, overwrite, progress) */
static PyObject *py_collect(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"cls",    "env",  "expert",    "episodes", "seed", "epsilon",
                           "sample", "path", "overwrite", "progress", NULL};
  PyObject *cls, *env_obj, *expert;
  int episodes, sample = 0, overwrite = 0, progress = 0;
  unsigned long long seed = 0;
  double epsilon = 0;
  const char *path = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOi|Kdpzpp", kwlist, &cls, &env_obj, &expert,
                                   &episodes, &seed, &epsilon, &sample, &path, &overwrite,
                                   &progress))
    return NULL;
  const char *opts;
  mimic_env *env = mimicpy_env_arg(env_obj, "collect", &opts);
  if (!env) return NULL;
  if (episodes < 1) {
    PyErr_SetString(mimicpy_invalid, "collect: episodes must be at least 1");
    return NULL;
  }
  const mimic_space *as = mimic_env_action_space(env);
  const mimic_space *os = mimic_env_obs_space(env);
  mimic_policy *owned = NULL, *policy = NULL;
  if (PyUnicode_Check(expert)) {
    mimic_status st = mimic_policy_open(PyUnicode_AsUTF8(expert), env, 30, &owned);
    if (st != MIMIC_OK) return mimicpy_raise(st);
    policy = owned;
  } else {
    policy = mimicpy_policy_of(expert, as, os->dim, &owned);
  }
  if (!policy) return NULL;
  DatasetObject *self = (DatasetObject *)PyObject_CallNoArgs(cls);
  mimic_data_space dos = {0}, das = {0};
  mimic_status st = MIMIC_OK;
  if (!self) goto done;
  st = mimic_data_space_from_env(&dos, os);
  if (st == MIMIC_OK) st = mimic_data_space_from_env(&das, as);
  if (st == MIMIC_OK) st = mimic_dataset_init(&self->ds, &dos, &das);
  if (st != MIMIC_OK) goto done;
  self->loaded = true;
  st = mimic_dataset_meta_set(&self->ds.meta.env_id, mimic_env_id(env));
  if (st == MIMIC_OK)
    st = mimic_dataset_meta_set(&self->ds.meta.algorithm_name, mimic_policy_describe(policy));
  if (st == MIMIC_OK) st = mimic_dataset_meta_set(&self->ds.meta.author, "mimic");
  self->ds.meta.max_episode_steps = mimic_env_max_steps(env);
  if (st != MIMIC_OK) goto done;
  mimic_collect_config cc = {.env_id = mimic_env_id(env),
                             .env_opts = opts,
                             .episodes = episodes,
                             .seed = seed,
                             .epsilon = epsilon,
                             .sample = sample,
                             .progress = progress};
  mimic_collect_result res;
  PyThreadState *ts = mimicpy_pause(env, policy);
  st = mimic_collect(&cc, policy, &self->ds, NULL, &res);
  mimicpy_resume(ts);
  if (st == MIMIC_OK && path) {
    mimic_write_opts wo = mimic_write_opts_default();
    wo.overwrite = overwrite;
    Py_BEGIN_ALLOW_THREADS st = mimic_dataset_save(&self->ds, path, &wo);
    Py_END_ALLOW_THREADS
  }
done:
  mimic_data_space_free(&dos);
  mimic_data_space_free(&das);
  mimic_policy_free(owned);
  if (self && st != MIMIC_OK) {
    Py_CLEAR(self);
    return mimicpy_raise(st);
  }
  return (PyObject *)self;
}

/* ---- minibatches ------------------------------------------------------------ */

/* Minibatches of a Dataset as mimic's trainers draw them (mimic_sampler:
 * a seeded permutation per epoch). Each batch is gathered into the same
 * buffers, and the arrays returned are views of them: the next batch
 * overwrites them, and no batch allocates. */
typedef struct {
  PyObject_HEAD PyObject *dataset; /* keeps the transitions' arrays alive */
  mimic_transitions t;
  mimic_sampler s;
  bool ready;
  long left; /* batches still to give */
  PyObject *memory, *obs_array, *act_array;
  float *obs, *act;
} SamplerObject;

static void sampler_dealloc(SamplerObject *self) {
  if (self->ready) mimic_sampler_free(&self->s);
  Py_XDECREF(self->obs_array);
  Py_XDECREF(self->act_array);
  Py_XDECREF(self->memory);
  Py_XDECREF(self->dataset);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *sampler_next(SamplerObject *self) {
  if (!self->ready || self->left <= 0) return NULL; /* StopIteration */
  mimic_batch b = {.obs = self->obs, .act = self->act};
  size_t k = mimic_sampler_next(&self->s, &b);
  if (k == 0) return NULL;
  self->left--;
  if (k == self->s.batch_size) return PyTuple_Pack(2, self->obs_array, self->act_array);
  PyObject *o = PySequence_GetSlice(self->obs_array, 0, (Py_ssize_t)k);
  PyObject *a = o ? PySequence_GetSlice(self->act_array, 0, (Py_ssize_t)k) : NULL;
  PyObject *t = a ? PyTuple_Pack(2, o, a) : NULL;
  Py_XDECREF(o);
  Py_XDECREF(a);
  return t;
}

static PyObject *sampler_len(SamplerObject *self, PyObject *unused) {
  return PyLong_FromLong(self->left);
}

static PyMethodDef sampler_methods[] = {
    {"remaining", (PyCFunction)sampler_len, METH_NOARGS, "batches still to come"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SamplerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.Batches",
    .tp_basicsize = sizeof(SamplerObject),
    .tp_dealloc = (destructor)sampler_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Minibatches (obs, actions) of a dataset; views overwritten by the next batch.",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)sampler_next,
    .tp_methods = sampler_methods,
};

/* batches(dataset, batch_size, seed, epochs, drop_last) -> iterator of (obs, actions) */
static PyObject *py_batches(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"dataset", "batch_size", "seed", "epochs", "drop_last", NULL};
  PyObject *ds_obj;
  Py_ssize_t batch_size = 32;
  unsigned long long seed = 0;
  long epochs = 1;
  int drop_last = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|nKlp", kwlist, &ds_obj, &batch_size, &seed,
                                   &epochs, &drop_last))
    return NULL;
  const mimic_dataset *ds = mimicpy_dataset_of(ds_obj);
  if (!ds) return NULL;
  if (batch_size < 1 || epochs < 1)
    return PyErr_Format(mimicpy_invalid, "batches: batch_size and epochs must be >= 1");
  SamplerObject *self = PyObject_New(SamplerObject, &SamplerType);
  if (!self) return NULL;
  self->dataset = Py_NewRef(ds_obj);
  self->ready = false;
  self->memory = self->obs_array = self->act_array = NULL;
  self->t = mimic_dataset_transitions(ds);
  size_t od = (size_t)ds->obs_dim, ad = (size_t)ds->act_dim, B = (size_t)batch_size;
  char *mem = mimicpy_alloc(B * (od + ad) * sizeof(float), &self->memory);
  if (!mem) {
    Py_DECREF(self);
    return NULL;
  }
  self->obs = (float *)mem;
  self->act = self->obs + B * od;
  mimic_status st = mimic_sampler_init(&self->s, &self->t, NULL, 0, B, drop_last, seed);
  if (st != MIMIC_OK) {
    Py_DECREF(self);
    return mimicpy_raise(st);
  }
  self->ready = true;
  self->left = epochs * (long)mimic_sampler_batches_per_epoch(&self->s);
  bool discrete = ds->act_space.space.kind == MIMIC_SPACE_DISCRETE;
  Py_ssize_t oshape[2] = {batch_size, (Py_ssize_t)od}, ashape[2] = {batch_size, (Py_ssize_t)ad};
  self->obs_array = mimicpy_array(self->memory, self->obs, "f", sizeof(float), 2, oshape, true);
  self->act_array =
      mimicpy_array(self->memory, self->act, "f", sizeof(float), discrete ? 1 : 2, ashape, true);
  if (!self->obs_array || !self->act_array) {
    Py_DECREF(self);
    return NULL;
  }
  return (PyObject *)self;
}

static PyMethodDef data_functions[] = {
    {"batches", (PyCFunction)(void (*)(void))py_batches, METH_VARARGS | METH_KEYWORDS, NULL},
    {"load_dataset", py_load_dataset, METH_VARARGS, NULL},
    {"collect", (PyCFunction)(void (*)(void))py_collect, METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL},
};

int mimicpy_data_init(PyObject *module) {
  if (PyType_Ready(&DatasetType) < 0 || PyType_Ready(&SamplerType) < 0) return -1;
  if (PyModule_AddObjectRef(module, "Dataset", (PyObject *)&DatasetType) < 0) return -1;
  return PyModule_AddFunctions(module, data_functions);
}
