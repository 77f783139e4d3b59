/* text.c: the text classifier (TF-IDF + logistic regression) as
 * mimic.text.TfidfLogReg's engine.
 *
 * A TextModel owns one mimic_text_model, fitted with `mimic text train`'s
 * configuration (so the same texts, labels and settings give the same
 * model as the command line) or loaded from its file. Texts come in as a
 * sequence of str and are passed to mimic as UTF-8 without copies. */
#include "mimic_py.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/linear.h"
#include "mimic/text.h"

typedef struct {
  PyObject_HEAD mimic_text_model m;
  bool fitted;
} TextModelObject;

static void text_dealloc(TextModelObject *self) {
  mimic_text_model_free(&self->m);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The UTF-8 of n str in seq (borrowed from seq's items, which it keeps). */
static const char **utf8_of(PyObject *seq, const char *what) {
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  const char **out = malloc((size_t)(n ? n : 1) * sizeof *out);
  if (!out) {
    PyErr_NoMemory();
    return NULL;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
    if (!PyUnicode_Check(s)) {
      PyErr_Format(PyExc_TypeError, "%s[%zd] is %s, not str", what, i, Py_TYPE(s)->tp_name);
      free(out);
      return NULL;
    }
    if (!(out[i] = PyUnicode_AsUTF8(s))) {
      free(out);
      return NULL;
    }
  }
  return out;
}

static int ready(TextModelObject *self) {
  if (self->fitted) return 0;
  PyErr_SetString(mimicpy_error, "the classifier is not fitted (call fit or load)");
  return -1;
}

/* _fit(texts, labels, model, C, tol, max_iter, class_weight, ngram, min_df, max_df,
 * max_features, sublinear_tf) */
static PyObject *text_fit(TextModelObject *self, PyObject *args, PyObject *kwds) {
  static char *kwlist[] = {"texts",    "labels",       "model",        "C",         "tol",
                           "max_iter", "class_weight", "ngram_min",    "ngram_max", "min_df",
                           "max_df",   "max_features", "sublinear_tf", NULL};
  mimic_text_model_config cfg;
  mimic_text_model_config_default(&cfg);
  PyObject *texts, *labels;
  const char *model = "ovr", *class_weight = "none", *min_df = "1", *max_df = "1.0";
  double tol = NAN;
  long long max_features = 0;
  int sublinear = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|$sddisiissLp", kwlist, &texts, &labels, &model,
                                   &cfg.linear.C, &tol, &cfg.linear.max_iter, &class_weight,
                                   &cfg.tfidf.ngram_min, &cfg.tfidf.ngram_max, &min_df, &max_df,
                                   &max_features, &sublinear))
    return NULL;
  if (mimic_linear_kind_parse(model, &cfg.linear.kind) != MIMIC_OK ||
      mimic_df_bound_parse(min_df, &cfg.tfidf.min_df) != MIMIC_OK ||
      mimic_df_bound_parse(max_df, &cfg.tfidf.max_df) != MIMIC_OK)
    return mimicpy_raise(MIMIC_ERR_INVALID);
  if (strcmp(class_weight, "balanced") == 0)
    cfg.linear.class_weight_mode = MIMIC_CLASS_WEIGHT_BALANCED;
  else if (strcmp(class_weight, "none") != 0)
    return PyErr_Format(mimicpy_invalid, "class_weight is None or 'balanced', got '%s'",
                        class_weight);
  if (!isnan(tol)) cfg.linear.tol = tol;
  cfg.tfidf.max_features = max_features;
  cfg.tfidf.sublinear_tf = sublinear;
  mimic_status st = mimic_tfidf_config_check(&cfg.tfidf);
  if (st == MIMIC_OK) st = mimic_linear_config_check(&cfg.linear);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  PyObject *tseq = PySequence_Fast(texts, "texts must be a sequence of str");
  PyObject *lseq = tseq ? PySequence_Fast(labels, "labels must be a sequence of str") : NULL;
  if (!lseq) {
    Py_XDECREF(tseq);
    return NULL;
  }
  Py_ssize_t n = PySequence_Fast_GET_SIZE(tseq);
  const char **t = NULL, **l = NULL;
  if (PySequence_Fast_GET_SIZE(lseq) != n)
    PyErr_Format(mimicpy_invalid, "fit: %zd texts but %zd labels", n,
                 PySequence_Fast_GET_SIZE(lseq));
  else if ((t = utf8_of(tseq, "texts")))
    l = utf8_of(lseq, "labels");
  if (l) {
    mimic_text_model fresh = {0};
    Py_BEGIN_ALLOW_THREADS st = mimic_text_model_fit(&fresh, t, l, (size_t)n, &cfg);
    Py_END_ALLOW_THREADS if (st == MIMIC_OK) {
      mimic_text_model_free(&self->m);
      self->m = fresh;
      self->fitted = true;
    }
    else {
      mimic_text_model_free(&fresh);
    }
  }
  free(t);
  free(l);
  Py_DECREF(tseq);
  Py_DECREF(lseq);
  if (!l) return NULL;
  if (st != MIMIC_OK) return mimicpy_raise(st);
  Py_RETURN_NONE;
}

/* _proba(texts) -> float64 [n, K] */
static PyObject *text_proba(TextModelObject *self, PyObject *texts) {
  if (ready(self) < 0) return NULL;
  PyObject *seq = PySequence_Fast(texts, "texts must be a sequence of str");
  if (!seq) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  const char **t = utf8_of(seq, "texts");
  PyObject *owner = NULL, *arr = NULL;
  int K = self->m.classes.n;
  double *p = t ? mimicpy_alloc((size_t)n * (size_t)K * sizeof(double), &owner) : NULL;
  if (p) {
    mimic_status st = n ? mimic_text_model_proba(&self->m, t, (size_t)n, p) : MIMIC_OK;
    Py_ssize_t shape[2] = {n, K};
    arr = st == MIMIC_OK ? mimicpy_array(owner, p, "d", sizeof(double), 2, shape, false)
                         : mimicpy_raise(st);
  }
  Py_XDECREF(owner);
  free(t);
  Py_DECREF(seq);
  return arr;
}

static PyObject *text_classes(TextModelObject *self, PyObject *unused) {
  if (ready(self) < 0) return NULL;
  PyObject *list = PyList_New(self->m.classes.n);
  for (int k = 0; list && k < self->m.classes.n; k++)
    PyList_SET_ITEM(list, k, PyUnicode_FromString(self->m.classes.names[k]));
  return list;
}

static PyObject *text_save(TextModelObject *self, PyObject *arg) {
  if (ready(self) < 0) return NULL;
  const char *path = PyUnicode_AsUTF8(arg);
  if (!path) return NULL;
  mimic_status st = mimic_text_model_save(&self->m, path);
  if (st != MIMIC_OK) return mimicpy_raise(st);
  Py_RETURN_NONE;
}

static PyObject *text_load(TextModelObject *self, PyObject *arg) {
  const char *path = PyUnicode_AsUTF8(arg);
  if (!path) return NULL;
  mimic_text_model fresh = {0};
  mimic_status st = mimic_text_model_load(&fresh, path);
  if (st != MIMIC_OK) {
    mimic_text_model_free(&fresh);
    return mimicpy_raise(st);
  }
  mimic_text_model_free(&self->m);
  self->m = fresh;
  self->fitted = true;
  Py_RETURN_NONE;
}

static PyMethodDef text_methods[] = {
    {"_fit", (PyCFunction)(void (*)(void))text_fit, METH_VARARGS | METH_KEYWORDS, NULL},
    {"_proba", (PyCFunction)text_proba, METH_O, NULL},
    {"_classes", (PyCFunction)text_classes, METH_NOARGS, NULL},
    {"_save", (PyCFunction)text_save, METH_O, NULL},
    {"_load", (PyCFunction)text_load, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TextModelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.TextModel",
    .tp_basicsize = sizeof(TextModelObject),
    .tp_dealloc = (destructor)text_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "TF-IDF + logistic regression (use mimic.text.TfidfLogReg).",
    .tp_methods = text_methods,
    .tp_new = PyType_GenericNew,
};

int mimicpy_text_init(PyObject *module) {
  if (PyType_Ready(&TextModelType) < 0) return -1;
  return PyModule_AddObjectRef(module, "TextModel", (PyObject *)&TextModelType);
}
