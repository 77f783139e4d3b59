/* policy.c: policies (mimic.Policy), Python callables as policies, and the
 * trainers and evaluator that make and score them (bc, evaluate).
 *
 * A Policy owns one mimic_policy: a network from bc or a policy file, or
 * any other kind mimic_policy_open makes. act reads the batch of
 * observations in place when it is C-contiguous float32 (converting any
 * other numeric array once) and writes the actions into a new array.
 *
 * A Python callable (batch of observations -> batch of actions) becomes a
 * mimic_policy of kind "python" whose act calls it with a read-only view
 * of mimic's batch, with the GIL taken for the call: mimic's loops
 * (collect, evaluate, DAgger's expert) then run it like any other policy.
 * An exception it raises fails the mimic call and is re-raised as is. */
#include "mimic_py.h"

#include <stdlib.h>
#include <string.h>

#include "mimic/bc.h"
#include "mimic/data.h"
#include "mimic/evaluate.h"
#include "mimic/nn.h"
#include "mimic/policy.h"

const mimic_dataset *mimicpy_dataset_of(PyObject *obj);

/* ---- Python callables as mimic policies ---------------------------------- */

mimic_status mimicpy_call_batch(PyObject *fn, const float *obs, size_t n, int obs_dim, float *out,
                                int width, const char *what) {
  mimic_status st = MIMIC_OK;
  PyGILState_STATE gil = PyGILState_Ensure();
  Py_ssize_t shape[2] = {(Py_ssize_t)n, obs_dim};
  PyObject *batch = mimicpy_array_copy(obs, "f", sizeof(float), 2, shape);
  PyObject *r = batch ? PyObject_CallOneArg(fn, batch) : NULL;
  if (!r || mimicpy_floats(r, out, (Py_ssize_t)n * width, what) < 0) {
    mimicpy_keep_exception();
    st = mimic_fail(MIMIC_ERR_EXTERNAL, "%s raised an exception", what);
  }
  Py_XDECREF(r);
  Py_XDECREF(batch);
  PyGILState_Release(gil);
  return st;
}

void mimicpy_forget(PyObject *obj) {
  if (!obj) return;
  PyGILState_STATE gil = PyGILState_Ensure();
  Py_DECREF(obj);
  PyGILState_Release(gil);
}

/* A policy whose impl is the callable itself. */
static mimic_status callable_act(mimic_policy *p, mimic_act_batch *b) {
  if (!b->obs) return mimic_fail(MIMIC_ERR_INVALID, "a Python policy acts on observations");
  MIMIC_TRY(mimicpy_call_batch(p->impl, b->obs, (size_t)b->n, p->obs_dim, b->actions,
                               mimic_space_width(&p->action_space), "the Python policy's actions"));
  for (int i = 0; b->confidence && i < b->n; i++) b->confidence[i] = 1.0f;
  return MIMIC_OK;
}

static void callable_free(mimic_policy *p) { mimicpy_forget(p->impl); }

static const mimic_policy_class callable_class = {"python", callable_act, callable_free};

/* A policy that calls fn (batch of observations -> actions). */
mimic_status mimicpy_callable_policy(PyObject *fn, const mimic_space *action_space, int obs_dim,
                                     mimic_policy **out) {
  MIMIC_TRY(mimic_policy_alloc(&callable_class, action_space, obs_dim, out));
  (*out)->impl = Py_NewRef(fn);
  PyObject *name = PyObject_Repr(fn);
  snprintf((*out)->description, sizeof(*out)->description, "python %s",
           name ? PyUnicode_AsUTF8(name) : "callable");
  Py_XDECREF(name);
  PyErr_Clear();
  return MIMIC_OK;
}

/* ---- Policy ----------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD mimic_policy *p;
  mimic_rng rng;
} PolicyObject;

static PyTypeObject PolicyType;
static PyObject *policy_class; /* the Python subclass (mimic.Policy) new policies are made of */

PyObject *mimicpy_policy_wrap(mimic_policy *p) {
  PyObject *cls = policy_class ? policy_class : (PyObject *)&PolicyType;
  PolicyObject *self = (PolicyObject *)PyObject_CallNoArgs(cls);
  if (!self) {
    mimic_policy_free(p);
    return NULL;
  }
  self->p = p;
  mimic_rng_seed(&self->rng, 0);
  return (PyObject *)self;
}

mimic_policy *mimicpy_policy_of(PyObject *obj, const mimic_space *action_space, int obs_dim,
                                mimic_policy **owned) {
  *owned = NULL;
  if (PyObject_TypeCheck(obj, &PolicyType)) {
    mimic_policy *p = ((PolicyObject *)obj)->p;
    if (!p) PyErr_SetString(mimicpy_error, "the policy is empty");
    return p;
  }
  if (!PyCallable_Check(obj)) {
    PyErr_Format(PyExc_TypeError,
                 "expected a mimic.Policy, a policy spec or a callable (batch of observations -> "
                 "actions), got %s",
                 Py_TYPE(obj)->tp_name);
    return NULL;
  }
  mimic_status st = mimicpy_callable_policy(obj, action_space, obs_dim, owned);
  if (st != MIMIC_OK) {
    mimicpy_raise(st);
    return NULL;
  }
  return *owned;
}

static void policy_dealloc(PolicyObject *self) {
  mimic_policy_free(self->p);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int policy_ready(PolicyObject *self) {
  if (self->p) return 0;
  PyErr_SetString(mimicpy_error, "the policy is empty (use mimic.bc or mimic.load_policy)");
  return -1;
}

/* _act(obs [n, obs_dim], deterministic) -> (actions float32 [n, width], confidence [n]) */
static PyObject *policy_act(PolicyObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"obs", "deterministic", NULL};
  PyObject *obs_obj;
  int deterministic = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|p", kwlist, &obs_obj, &deterministic))
    return NULL;
  if (policy_ready(self) < 0) return NULL;
  int obs_dim = mimic_policy_obs_dim(self->p);
  int width = mimic_space_width(mimic_policy_action_space(self->p));
  Py_buffer v;
  bool have_view = false;
  const float *obs = NULL;
  float *converted = NULL;
  Py_ssize_t n = 0;
  if (PyObject_GetBuffer(obs_obj, &v, PyBUF_FORMAT | PyBUF_STRIDES) == 0) {
    have_view = true;
    const char *f = v.format ? v.format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    Py_ssize_t count = v.itemsize ? v.len / v.itemsize : 0;
    if (obs_dim < 1 || count % obs_dim != 0) {
      PyBuffer_Release(&v);
      PyErr_Format(PyExc_ValueError, "act: observations of %zd values are not rows of %d", count,
                   obs_dim);
      return NULL;
    }
    n = count / obs_dim;
    if (strcmp(f, "f") == 0 && PyBuffer_IsContiguous(&v, 'C')) obs = v.buf;
  } else {
    PyErr_Clear();
  }
  if (!obs) {
    PyObject *np = PyImport_ImportModule("numpy");
    PyObject *arr =
        np ? PyObject_CallMethod(np, "ascontiguousarray", "(Os)", obs_obj, "float32") : NULL;
    Py_XDECREF(np);
    if (have_view) PyBuffer_Release(&v);
    have_view = false;
    if (!arr) return NULL;
    PyObject *size = PyObject_GetAttrString(arr, "size");
    Py_ssize_t count = size ? PyLong_AsSsize_t(size) : -1;
    Py_XDECREF(size);
    if (count < 0 || obs_dim < 1 || count % obs_dim != 0) {
      Py_DECREF(arr);
      if (!PyErr_Occurred())
        PyErr_Format(PyExc_ValueError, "act: observations of %zd values are not rows of %d", count,
                     obs_dim);
      return NULL;
    }
    n = count / obs_dim;
    converted = malloc((size_t)(count ? count : 1) * sizeof(float));
    if (!converted || mimicpy_floats(arr, converted, count, "observations") < 0) {
      Py_DECREF(arr);
      free(converted);
      return converted ? NULL : PyErr_NoMemory();
    }
    Py_DECREF(arr);
    obs = converted;
  }
  PyObject *owner = NULL;
  size_t abytes = (size_t)n * (size_t)width * sizeof(float);
  char *mem = mimicpy_alloc(abytes + (size_t)n * sizeof(float), &owner);
  mimic_status st = MIMIC_OK;
  if (mem && n > 0) {
    mimic_act_batch b = {.n = (int)n,
                         .obs = obs,
                         .actions = (float *)mem,
                         .confidence = (float *)(mem + abytes),
                         .deterministic = deterministic,
                         .rng = &self->rng};
    if (n > 1024) {
      Py_BEGIN_ALLOW_THREADS st = mimic_policy_act(self->p, &b);
      Py_END_ALLOW_THREADS
    } else {
      st = mimic_policy_act(self->p, &b);
    }
  }
  if (have_view) PyBuffer_Release(&v);
  free(converted);
  if (!mem) return NULL;
  if (st != MIMIC_OK) {
    Py_DECREF(owner);
    return mimicpy_raise(st);
  }
  Py_ssize_t ashape[2] = {n, width}, cshape[1] = {n};
  PyObject *actions = mimicpy_array(owner, mem, "f", sizeof(float), 2, ashape, false);
  PyObject *conf = mimicpy_array(owner, mem + abytes, "f", sizeof(float), 1, cshape, false);
  Py_DECREF(owner);
  PyObject *t = (actions && conf) ? PyTuple_Pack(2, actions, conf) : NULL;
  Py_XDECREF(actions);
  Py_XDECREF(conf);
  return t;
}

static PyObject *policy_seed(PolicyObject *self, PyObject *arg) {
  unsigned long long s = PyLong_AsUnsignedLongLong(arg);
  if (s == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
  mimic_rng_seed(&self->rng, s);
  Py_RETURN_NONE;
}

static PyObject *policy_save(PolicyObject *self, PyObject *arg) {
  if (policy_ready(self) < 0) return NULL;
  const char *path = PyUnicode_AsUTF8(arg);
  if (!path) return NULL;
  mimic_model *m = mimic_policy_model(self->p);
  mimic_status st;
  if (m)
    st = mimic_model_save(m, path);
  else if (mimic_policy_is_learner(self->p))
    st = mimic_policy_save(self->p, path);
  else
    st = mimic_fail(MIMIC_ERR_INVALID, "%s cannot be saved (only networks are)",
                    mimic_policy_describe(self->p));
  if (st != MIMIC_OK) return mimicpy_raise(st);
  Py_RETURN_NONE;
}

static PyObject *policy_info(PolicyObject *self, PyObject *unused) {
  if (policy_ready(self) < 0) return NULL;
  PyObject *as = mimicpy_space_tuple(mimic_policy_action_space(self->p));
  if (!as) return NULL;
  PyObject *d = Py_BuildValue("{s:s,s:i,s:O,s:O}", "description", mimic_policy_describe(self->p),
                              "obs_dim", mimic_policy_obs_dim(self->p), "action_space", as,
                              "is_network", mimic_policy_model(self->p) ? Py_True : Py_False);
  Py_DECREF(as);
  mimic_model *m = mimic_policy_model(self->p);
  if (!d || !m) return d;
  /* a conv or GRU trunk feeds the actor: the actor's layers alone are not the network */
  if (m->cfg.conv.n_conv || m->cfg.gru_hidden || m->cfg.tf.context) {
    PyObject *trunk = PyUnicode_FromString(m->cfg.gru_hidden   ? "gru"
                                           : m->cfg.tf.context ? "transformer"
                                                               : "conv");
    if (!trunk || PyDict_SetItemString(d, "trunk", trunk) < 0) Py_CLEAR(d);
    Py_XDECREF(trunk);
    return d;
  }
  /* the actor as the layers of a torch nn.Sequential: views of mimic's parameters */
  const mimic_mlp *a = &m->actor;
  PyObject *layers = PyList_New(a->n_layers);
  for (int l = 0; layers && l < a->n_layers; l++) {
    Py_ssize_t wshape[2] = {a->sizes[l + 1], a->sizes[l]}, bshape[1] = {a->sizes[l + 1]};
    PyObject *w = mimicpy_array((PyObject *)self, a->params + a->w_off[l], "f", sizeof(float), 2,
                                wshape, true);
    PyObject *b = mimicpy_array((PyObject *)self, a->params + a->b_off[l], "f", sizeof(float), 1,
                                bshape, true);
    PyObject *t = (w && b) ? PyTuple_Pack(2, w, b) : NULL;
    Py_XDECREF(w);
    Py_XDECREF(b);
    if (!t) {
      Py_CLEAR(layers);
      break;
    }
    PyList_SET_ITEM(layers, l, t);
  }
  PyObject *norm = Py_NewRef(Py_None), *log_std = Py_NewRef(Py_None);
  Py_ssize_t oshape[1] = {m->cfg.obs_dim}, lshape[1] = {m->cfg.act_dim};
  if (m->obs_norm) {
    Py_DECREF(norm);
    PyObject *mean =
        mimicpy_array((PyObject *)self, m->obs_mean, "f", sizeof(float), 1, oshape, true);
    PyObject *scale =
        mimicpy_array((PyObject *)self, m->obs_scale, "f", sizeof(float), 1, oshape, true);
    PyObject *var =
        mimicpy_array((PyObject *)self, m->obs_var, "f", sizeof(float), 1, oshape, true);
    norm = (mean && scale && var)
               ? Py_BuildValue("{s:O,s:O,s:O,s:d,s:d}", "mean", mean, "scale", scale, "var", var,
                               "eps", (double)m->obs_eps, "clip", (double)m->obs_clip)
               : NULL;
    Py_XDECREF(mean);
    Py_XDECREF(scale);
    Py_XDECREF(var);
  }
  if (m->log_std) {
    Py_DECREF(log_std);
    log_std = mimicpy_array((PyObject *)self, m->log_std, "f", sizeof(float), 1, lshape, true);
  }
  PyObject *more = (layers && norm && log_std)
                       ? Py_BuildValue("{s:O,s:s,s:s,s:O,s:O,s:s,s:O}", "layers", layers,
                                       "activation", mimic_activation_name(a->act), "head",
                                       mimic_head_name(m->cfg.head), "obs_norm", norm, "log_std",
                                       log_std, "metadata", m->metadata ? m->metadata : "{}",
                                       "squash", m->cfg.squash ? Py_True : Py_False)
                       : NULL;
  if (!more || PyDict_Update(d, more) < 0) Py_CLEAR(d);
  Py_XDECREF(more);
  Py_XDECREF(layers);
  Py_XDECREF(norm);
  Py_XDECREF(log_std);
  return d;
}

static PyMethodDef policy_methods[] = {
    {"_act", (PyCFunction)(void (*)(void))policy_act, METH_VARARGS | METH_KEYWORDS, NULL},
    {"seed", (PyCFunction)policy_seed, METH_O,
     "seed(s): reseeds the generator sampled actions come from."},
    {"save", (PyCFunction)policy_save, METH_O,
     "save(path): writes the policy file (a network; docs/model-file.md)."},
    {"_info", (PyCFunction)policy_info, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PolicyType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.Policy",
    .tp_basicsize = sizeof(PolicyObject),
    .tp_dealloc = (destructor)policy_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A policy (mimic.bc, mimic.load_policy).",
    .tp_methods = policy_methods,
    .tp_new = PyType_GenericNew,
};

/* ---- functions -------------------------------------------------------------- */

static PyObject *py_set_policy_class(PyObject *module, PyObject *cls) {
  Py_XSETREF(policy_class, Py_NewRef(cls));
  Py_RETURN_NONE;
}

/* load_policy(path) -> Policy */
static PyObject *py_load_policy(PyObject *module, PyObject *arg) {
  const char *path = PyUnicode_AsUTF8(arg);
  if (!path) return NULL;
  mimic_policy *p;
  mimic_status st = mimic_policy_load(path, &p);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  return mimicpy_policy_wrap(p);
}

/* open_policy(spec, env) -> Policy: builtin, random, cmd:..., a file */
static PyObject *py_open_policy(PyObject *module, PyObject *args) {
  const char *spec;
  PyObject *env_obj;
  if (!PyArg_ParseTuple(args, "sO", &spec, &env_obj)) return NULL;
  mimic_env *env = mimicpy_env_arg(env_obj, "open_policy", NULL);
  if (!env) return NULL;
  mimic_policy *p;
  mimic_status st = mimic_policy_open(spec, env, 30, &p);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  return mimicpy_policy_wrap(p);
}

int mimicpy_bc_layers(PyObject *hidden, const char *activation, mimic_bc_config *cfg) {
  if (hidden && hidden != Py_None) {
    PyObject *seq = PySequence_Fast(hidden, "hidden must be a sequence of widths");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > MIMIC_MLP_MAX_LAYERS - 1) {
      Py_DECREF(seq);
      PyErr_Format(mimicpy_invalid, "hidden: at most %d layers", MIMIC_MLP_MAX_LAYERS - 1);
      return -1;
    }
    cfg->n_hidden = (int)n;
    for (Py_ssize_t i = 0; i < n; i++)
      cfg->hidden[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
    Py_DECREF(seq);
    if (PyErr_Occurred()) return -1;
  }
  return mimicpy_activation(activation, &cfg->activation);
}

int mimicpy_activation(const char *name, mimic_activation *out) {
  if (strcmp(name, "tanh") == 0) {
    *out = MIMIC_ACT_TANH;
  } else if (strcmp(name, "relu") == 0) {
    *out = MIMIC_ACT_RELU;
  } else {
    PyErr_Format(mimicpy_invalid, "activation is tanh or relu, got '%s'", name);
    return -1;
  }
  return 0;
}

/* bc(dataset, trained_on, **config) -> (Policy, report dict): the CLI's `train bc` */
static PyObject *py_bc(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"dataset",       "trained_on", "epochs",     "batches",
                           "batch_size",    "lr",         "ent_weight", "l2_weight",
                           "max_grad_norm", "hidden",     "activation", "head",
                           "val_fraction",  "patience",   "normalize",  "seed",
                           "log",           "plot",       "progress",   NULL};
  mimic_bc_config cfg = mimic_bc_defaults();
  PyObject *ds_obj, *hidden = NULL;
  const char *trained_on = "python", *activation = "tanh", *head = "auto";
  long epochs = 0, batches = 0;
  int normalize = 1, progress = 0;
  unsigned long long seed = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds,
                                   "O|s$llidddd"
                                   "Ossdipkzzp",
                                   kwlist, &ds_obj, &trained_on, &epochs, &batches, &cfg.batch_size,
                                   &cfg.lr, &cfg.ent_weight, &cfg.l2_weight, &cfg.max_grad_norm,
                                   &hidden, &activation, &head, &cfg.val_fraction, &cfg.patience,
                                   &normalize, &seed, &cfg.log_path, &cfg.plot_path, &progress))
    return NULL;
  const mimic_dataset *ds = mimicpy_dataset_of(ds_obj);
  if (!ds) return NULL;
  cfg.epochs = epochs;
  cfg.batches = batches;
  cfg.normalize_obs = normalize;
  cfg.seed = seed;
  cfg.progress = progress;
  if (mimicpy_bc_layers(hidden, activation, &cfg) < 0) return NULL;
  if (strcmp(head, "gaussian") == 0)
    cfg.head = MIMIC_HEAD_GAUSSIAN;
  else if (strcmp(head, "mse") == 0)
    cfg.head = MIMIC_HEAD_REGRESSION;
  else if (strcmp(head, "auto") != 0)
    return PyErr_Format(mimicpy_invalid, "head is auto, gaussian or mse, got '%s'", head);
  mimic_model model = {0};
  mimic_bc_report rep = {0};
  mimic_transitions t = mimic_dataset_transitions(ds);
  mimic_status st;
  Py_BEGIN_ALLOW_THREADS st = mimic_bc_model_create(&cfg, &t, &model);
  if (st == MIMIC_OK) st = mimic_bc_fit(&cfg, &t, &model, &rep);
  Py_END_ALLOW_THREADS if (st == MIMIC_OK) {
    /* the metadata `mimic train bc` writes */
    char *extra = mimic_asprintf(
        "{\"algorithm\": \"bc\", \"trained_on\": \"%s\", \"episodes\": %zu, \"transitions\": "
        "%zu, \"epochs\": %ld, \"batches\": %ld, \"seed\": %llu}",
        trained_on, ds->n_episodes, ds->n_steps, rep.epochs, rep.batches,
        (unsigned long long)cfg.seed);
    mimic_space os = ds->obs_space.space, as = ds->act_space.space;
    st = extra ? mimic_policy_describe_model(&model, ds->meta.env_id, &os, &as, extra)
               : MIMIC_ERR_NOMEM;
    free(extra);
  }
  mimic_policy *p = NULL;
  if (st == MIMIC_OK) {
    mimic_space as = ds->act_space.space;
    st = mimic_policy_from_model(&model, &as, &p);
  }
  if (st != MIMIC_OK) {
    mimic_model_free(&model);
    mimic_bc_report_free(&rep);
    return mimicpy_raise(st);
  }
  PyObject *report = Py_BuildValue("{s:l,s:l,s:l,s:d,s:d,s:l,s:O,s:d}", "epochs", rep.epochs,
                                   "batches", rep.batches, "samples", rep.samples,
                                   "final_train_loss", rep.final_train_loss, "best_val_loss",
                                   rep.best_val_loss, "best_epoch", rep.best_epoch, "stopped_early",
                                   rep.stopped_early ? Py_True : Py_False, "seconds", rep.seconds);
  mimic_bc_report_free(&rep);
  PyObject *policy = mimicpy_policy_wrap(p);
  if (!policy || !report) {
    Py_XDECREF(policy);
    Py_XDECREF(report);
    return NULL;
  }
  PyObject *r = PyTuple_Pack(2, policy, report);
  Py_DECREF(policy);
  Py_DECREF(report);
  return r;
}

static PyObject *num_or_none(double x) {
  return isnan(x) ? Py_NewRef(Py_None) : PyFloat_FromDouble(x);
}

/* evaluate(policy, env, episodes, seed, deterministic, normalize, progress) -> dict */
static PyObject *py_evaluate(PyObject *module, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"policy",        "env",       "episodes", "seed",
                           "deterministic", "normalize", "progress", NULL};
  PyObject *policy_obj, *env_obj;
  mimic_eval_config cfg = mimic_eval_defaults();
  unsigned long long seed = 0;
  int deterministic = 1, normalize = 1, progress = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|iKppp", kwlist, &policy_obj, &env_obj,
                                   &cfg.episodes, &seed, &deterministic, &normalize, &progress))
    return NULL;
  const char *opts;
  mimic_env *env = mimicpy_env_arg(env_obj, "evaluate", &opts);
  if (!env) return NULL;
  if (cfg.episodes < 1) return PyErr_Format(mimicpy_invalid, "evaluate: episodes must be >= 1");
  cfg.seed = seed;
  cfg.sample = !deterministic;
  cfg.normalize = normalize && mimic_env_has_expert(env); /* the expert is the score's 1 */
  cfg.progress = progress;
  mimic_policy *owned, *p;
  if (PyUnicode_Check(policy_obj)) {
    mimic_status st = mimic_policy_open(PyUnicode_AsUTF8(policy_obj), env, 30, &owned);
    if (st != MIMIC_OK) return mimicpy_raise(st);
    p = owned;
  } else {
    p = mimicpy_policy_of(policy_obj, mimic_env_action_space(env), mimic_env_obs_space(env)->dim,
                          &owned);
    if (!p) return NULL;
  }
  mimic_eval_result r;
  mimic_status st;
  PyThreadState *ts = mimicpy_pause(env, p);
  st = mimic_evaluate(p, mimic_env_id(env), opts, &cfg, &r);
  mimicpy_resume(ts);
  PyObject *d = NULL;
  if (st == MIMIC_OK) {
    PyObject *returns = PyList_New(r.episodes), *lengths = PyList_New(r.episodes);
    for (int i = 0; returns && lengths && i < r.episodes; i++) {
      PyList_SET_ITEM(returns, i, PyFloat_FromDouble(r.returns[i]));
      PyList_SET_ITEM(lengths, i, PyLong_FromLong(r.lengths[i]));
    }
    d = (returns && lengths)
            ? Py_BuildValue(
                  "{s:s,s:s,s:i,s:K,s:O,s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:O,s:O}", "policy",
                  mimic_policy_describe(p), "env", mimic_env_id(env), "episodes", r.episodes,
                  "seed", seed, "deterministic", deterministic ? Py_True : Py_False, "return_mean",
                  num_or_none(r.return_mean), "return_std", num_or_none(r.return_std),
                  "length_mean", num_or_none(r.length_mean), "success_rate",
                  num_or_none(r.success_rate), "normalized_score", num_or_none(r.normalized_score),
                  "expert_return", num_or_none(r.expert_return), "random_return",
                  num_or_none(r.random_return), "returns", returns, "lengths", lengths)
            : NULL;
    Py_XDECREF(returns);
    Py_XDECREF(lengths);
    mimic_eval_result_free(&r);
  }
  mimic_policy_free(owned);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  return d;
}

static PyMethodDef policy_functions[] = {
    {"_set_policy_class", py_set_policy_class, METH_O, NULL},
    {"load_policy", py_load_policy, METH_O, NULL},
    {"open_policy", py_open_policy, METH_VARARGS, NULL},
    {"bc", (PyCFunction)(void (*)(void))py_bc, METH_VARARGS | METH_KEYWORDS, NULL},
    {"evaluate", (PyCFunction)(void (*)(void))py_evaluate, METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL},
};

int mimicpy_policy_init(PyObject *module) {
  if (PyType_Ready(&PolicyType) < 0) return -1;
  if (PyModule_AddObjectRef(module, "Policy", (PyObject *)&PolicyType) < 0) return -1;
  return PyModule_AddFunctions(module, policy_functions);
}
