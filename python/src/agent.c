/* agent.c: the tool-using agent policy (mimic.agent) from Python.
 *
 * An AgentModel owns one mimic_agent_model and the scratch its
 * predictions use. fit reads traces in any format mimic reads (a file) and
 * fits with `mimic agent fit`'s configuration; predict takes a state as
 * JSON text (the Python layer dumps a dict), so a state means exactly what
 * it means to `mimic agent predict --state`. */
#include "mimic_py.h"

#include <stdlib.h>

#include <jansson.h>

#include "mimic/agent.h"
#include "mimic/linear.h"

typedef struct {
  PyObject_HEAD mimic_agent_model *m;
  mimic_agent_scratch *scratch;
} AgentObject;

static void agent_dealloc(AgentObject *self) {
  mimic_agent_scratch_free(self->scratch);
  mimic_agent_free(self->m);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Takes m into self (replacing what it held), with fresh scratch. */
static PyObject *agent_take(AgentObject *self, mimic_agent_model *m) {
  mimic_agent_scratch *s;
  mimic_status st = mimic_agent_scratch_new(m, &s);
  if (st != MIMIC_OK) {
    mimic_agent_free(m);
    return mimicpy_raise(st);
  }
  mimic_agent_scratch_free(self->scratch);
  mimic_agent_free(self->m);
  self->m = m;
  self->scratch = s;
  Py_RETURN_NONE;
}

static int ready(AgentObject *self) {
  if (self->m) return 0;
  PyErr_SetString(mimicpy_error, "the agent policy is not fitted (use fit or load)");
  return -1;
}

/* _fit(path, format, policy, C, threshold, markov_k, prev_k, trees, features, model,
 * max_observation, keep_demos) */
static PyObject *agent_fit(AgentObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"path",   "format", "policy",   "C",     "threshold",       "markov_k",
                           "prev_k", "trees",  "features", "model", "max_observation", "keep_demos",
                           NULL};
  mimic_agent_config c;
  mimic_agent_config_default(&c);
  const char *path, *format = "auto", *policy = "logreg", *features = NULL, *model = NULL;
  Py_ssize_t max_obs = (Py_ssize_t)c.max_observation;
  int keep = c.keep_demos;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "s|$ssddiiizznp", kwlist, &path, &format, &policy,
                                   &c.linear.C, &c.threshold, &c.markov_k, &c.prev_k,
                                   &c.forest.n_trees, &features, &model, &max_obs, &keep))
    return NULL;
  mimic_agent_format fmt;
  mimic_status st = mimic_agent_format_parse(format, &fmt);
  if (st == MIMIC_OK) st = mimic_agent_policy_parse(policy, &c.policy);
  if (st == MIMIC_OK && features) st = mimic_agent_features_parse(features, &c.features);
  if (st == MIMIC_OK && model) st = mimic_linear_kind_parse(model, &c.linear.kind);
  if (st == MIMIC_OK && c.forest.n_trees < 0)
    st = mimic_fail(MIMIC_ERR_INVALID, "trees must be >= 0");
  if (st == MIMIC_OK && max_obs < 16)
    st = mimic_fail(MIMIC_ERR_INVALID, "max_observation must be >= 16");
  c.max_observation = (size_t)max_obs;
  c.keep_demos = keep;
  if (st == MIMIC_OK) st = mimic_agent_config_check(&c);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  mimic_agent_traces t = {0};
  mimic_agent_examples ex = {0};
  mimic_agent_model *m = NULL;
  Py_BEGIN_ALLOW_THREADS st = mimic_agent_traces_read(path, fmt, &t);
  if (st == MIMIC_OK) st = mimic_agent_examples_add_traces(&ex, &t, NULL);
  if (st == MIMIC_OK) st = mimic_agent_fit(ex.ex, ex.n, &c, &m);
  Py_END_ALLOW_THREADS;
  size_t problems = t.n_problems;
  mimic_agent_examples_free(&ex);
  mimic_agent_traces_free(&t);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  PyObject *r = agent_take(self, m);
  Py_XDECREF(r);
  return r ? PyLong_FromSize_t(problems) : NULL;
}

/* _predict(state_json) -> (action or None, confidence, {action: p}, arguments JSON or None) */
static PyObject *agent_predict(AgentObject *self, PyObject *arg) {
  if (ready(self) < 0) return NULL;
  const char *text = PyUnicode_AsUTF8(arg);
  if (!text) return NULL;
  json_error_t err;
  json_t *j = json_loads(text, 0, &err);
  if (!j || !json_is_object(j)) {
    json_decref(j);
    return PyErr_Format(mimicpy_invalid, "a state is a JSON object (%s)", j ? "" : err.text);
  }
  mimic_agent_state_buf sb;
  mimic_status st = mimic_agent_state_from_json(j, &sb);
  mimic_agent_prediction p = {0};
  char *args_text = NULL;
  if (st == MIMIC_OK) {
    st = mimic_agent_predict(self->m, &sb.s, self->scratch, &p);
    json_t *args = NULL;
    if (st == MIMIC_OK && p.action >= 0)
      st = mimic_agent_fill_arguments(self->m, p.action, &sb.s, &args, NULL);
    if (args) args_text = json_dumps(args, JSON_COMPACT);
    json_decref(args);
    mimic_agent_state_buf_free(&sb);
  }
  json_decref(j);
  if (st != MIMIC_OK) {
    free(args_text);
    return mimicpy_raise(st);
  }
  PyObject *proba = PyDict_New();
  for (int k = 0; proba && k < mimic_agent_n_actions(self->m); k++) {
    PyObject *v = PyFloat_FromDouble(p.proba ? p.proba[k] : 0.0);
    if (!v || PyDict_SetItemString(proba, mimic_agent_action(self->m, k), v) < 0) Py_CLEAR(proba);
    Py_XDECREF(v);
  }
  PyObject *action = p.action >= 0 ? PyUnicode_FromString(mimic_agent_action(self->m, p.action))
                                   : Py_NewRef(Py_None);
  PyObject *r =
      action && proba ? Py_BuildValue("(OdOz)", action, p.confidence, proba, args_text) : NULL;
  free(args_text);
  Py_XDECREF(action);
  Py_DECREF(proba);
  return r;
}

static PyObject *agent_info(AgentObject *self, PyObject *unused) {
  if (ready(self) < 0) return NULL;
  int n = mimic_agent_n_actions(self->m);
  PyObject *names = PyList_New(n);
  for (int k = 0; names && k < n; k++)
    PyList_SET_ITEM(names, k, PyUnicode_FromString(mimic_agent_action(self->m, k)));
  if (!names) return NULL;
  PyObject *d = Py_BuildValue("{s:O,s:d,s:s,s:n}", "actions", names, "threshold",
                              mimic_agent_threshold(self->m), "policy",
                              mimic_agent_policy_name(mimic_agent_kind(self->m)), "n_trained",
                              (Py_ssize_t)mimic_agent_n_trained(self->m));
  Py_DECREF(names);
  return d;
}

static PyObject *agent_save(AgentObject *self, PyObject *arg) {
  if (ready(self) < 0) return NULL;
  const char *path = PyUnicode_AsUTF8(arg);
  if (!path) return NULL;
  mimic_status st = mimic_agent_save(self->m, path);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  Py_RETURN_NONE;
}

static PyObject *agent_load(AgentObject *self, PyObject *arg) {
  const char *path = PyUnicode_AsUTF8(arg);
  if (!path) return NULL;
  mimic_agent_model *m;
  mimic_status st = mimic_agent_load(path, &m);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  return agent_take(self, m);
}

static PyMethodDef agent_methods[] = {
    {"_fit", (PyCFunction)(void (*)(void))agent_fit, METH_VARARGS | METH_KEYWORDS, NULL},
    {"_predict", (PyCFunction)agent_predict, METH_O, NULL},
    {"_info", (PyCFunction)agent_info, METH_NOARGS, NULL},
    {"_save", (PyCFunction)agent_save, METH_O, NULL},
    {"_load", (PyCFunction)agent_load, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AgentType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.AgentModel",
    .tp_basicsize = sizeof(AgentObject),
    .tp_dealloc = (destructor)agent_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "An agent policy (use mimic.agent.fit or mimic.agent.load).",
    .tp_methods = agent_methods,
    .tp_new = PyType_GenericNew,
};

int mimicpy_agent_init(PyObject *module) {
  if (PyType_Ready(&AgentType) < 0) return -1;
  return PyModule_AddObjectRef(module, "AgentModel", (PyObject *)&AgentType);
}
