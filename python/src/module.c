/* module.c: mimic._mimic, the C half of the Python package.
 *
 * Here: the module itself, the exceptions mimic's statuses become, and
 * Buffer, the one way memory mimic owns reaches NumPy. A Buffer is a
 * buffer-protocol view (format, shape, read-only flag) of memory that its
 * owner (an Env, a Dataset, a Policy) keeps alive; numpy.asarray(buffer)
 * then wraps it without copying, and the array keeps the Buffer, so the
 * owner outlives every array that points into it. */
#include "mimic_py.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

PyObject *mimicpy_error, *mimicpy_invalid;

/* An exception a Python callback raised inside a mimic call, kept until the
 * call returns (mimic sees only a failing status). */
static PyObject *pending_type, *pending_value, *pending_tb;

void mimicpy_keep_exception(void) {
  if (!PyErr_Occurred()) return;
  if (pending_type) {
    PyErr_Clear(); /* the first one is what went wrong */
    return;
  }
  PyErr_Fetch(&pending_type, &pending_value, &pending_tb);
}

void mimicpy_rename_kept(PyObject *obj, const char *method, int k, const char *what) {
  if (!pending_type) return;
  PyErr_Restore(pending_type, pending_value, pending_tb);
  pending_type = pending_value = pending_tb = NULL;
  PyObject *t, *v, *tb;
  PyErr_Fetch(&t, &v, &tb);
  PyErr_NormalizeException(&t, &v, &tb);
  if (tb) PyException_SetTraceback(v, tb);
  PyObject *r = PyObject_CallMethod(obj, method, "isO", k, what, v);
  if (r) { /* it did not raise: the first error stands */
    Py_DECREF(r);
    PyErr_Restore(t, v, tb);
  } else {
    Py_XDECREF(t);
    Py_XDECREF(v);
    Py_XDECREF(tb);
  }
  mimicpy_keep_exception();
}

PyObject *mimicpy_raise(mimic_status st) {
  if (pending_type) {
    PyErr_Restore(pending_type, pending_value, pending_tb);
    pending_type = pending_value = pending_tb = NULL;
    return NULL;
  }
  const char *msg = mimic_errmsg();
  if (!msg || !*msg) msg = mimic_status_str(st);
  PyObject *type = mimicpy_error;
  if (st == MIMIC_ERR_INVALID || st == MIMIC_ERR_RANGE || st == MIMIC_ERR_NOT_FOUND)
    type = mimicpy_invalid;
  if (st == MIMIC_ERR_NOMEM) type = PyExc_MemoryError;
  if (st == MIMIC_ERR_INTERRUPTED) type = PyExc_KeyboardInterrupt;
  if (!PyErr_Occurred()) PyErr_SetString(type, msg);
  return NULL;
}

int mimicpy_raise_int(mimic_status st) {
  mimicpy_raise(st);
  return -1;
}

/* ---- Buffer --------------------------------------------------------------- */

typedef struct {
  PyObject_HEAD PyObject *owner;
  void *data;
  char format[4];
  Py_ssize_t itemsize;
  int ndim;
  bool readonly;
  Py_ssize_t shape[MIMIC_SPACE_MAX_DIMS + 1];
  Py_ssize_t strides[MIMIC_SPACE_MAX_DIMS + 1];
} BufferObject;

static int buffer_get(PyObject *self, Py_buffer *view, int flags) {
  BufferObject *b = (BufferObject *)self;
  if ((flags & PyBUF_WRITABLE) && b->readonly) {
    PyErr_SetString(PyExc_BufferError, "mimic's buffer is read-only");
    return -1;
  }
  Py_ssize_t len = b->itemsize;
  for (int i = 0; i < b->ndim; i++) len *= b->shape[i];
  view->obj = Py_NewRef(self);
  view->buf = b->data;
  view->len = len;
  view->readonly = b->readonly;
  view->itemsize = b->itemsize;
  view->format = (flags & PyBUF_FORMAT) ? b->format : NULL;
  view->ndim = b->ndim;
  view->shape = (flags & PyBUF_ND) ? b->shape : NULL;
  view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? b->strides : NULL;
  view->suboffsets = NULL;
  view->internal = NULL;
  return 0;
}

static void buffer_dealloc(PyObject *self) {
  Py_XDECREF(((BufferObject *)self)->owner);
  Py_TYPE(self)->tp_free(self);
}

static PyBufferProcs buffer_procs = {buffer_get, NULL};

static PyTypeObject BufferType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mimic._mimic.Buffer",
    .tp_basicsize = sizeof(BufferObject),
    .tp_dealloc = buffer_dealloc,
    .tp_as_buffer = &buffer_procs,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A view of memory mimic owns (numpy.asarray wraps it without a copy).",
};

PyObject *mimicpy_buffer(PyObject *owner, void *data, const char *format, Py_ssize_t itemsize,
                         int ndim, const Py_ssize_t *shape, bool readonly) {
  if (ndim < 0 || ndim > MIMIC_SPACE_MAX_DIMS + 1) {
    PyErr_SetString(PyExc_ValueError, "mimic: too many dimensions for a buffer");
    return NULL;
  }
  BufferObject *b = PyObject_New(BufferObject, &BufferType);
  if (!b) return NULL;
  b->owner = Py_XNewRef(owner);
  static float empty;
  b->data = data ? data : &empty;
  snprintf(b->format, sizeof b->format, "%s", format);
  b->itemsize = itemsize;
  b->ndim = ndim;
  b->readonly = readonly;
  Py_ssize_t stride = itemsize;
  for (int i = ndim - 1; i >= 0; i--) {
    b->shape[i] = shape[i];
    b->strides[i] = stride;
    stride *= shape[i];
  }
  return (PyObject *)b;
}

static PyObject *numpy_asarray;

PyObject *mimicpy_array_copy(const void *data, const char *format, Py_ssize_t itemsize, int ndim,
                             const Py_ssize_t *shape) {
  size_t bytes = (size_t)itemsize;
  for (int i = 0; i < ndim; i++) bytes *= (size_t)shape[i];
  PyObject *owner;
  void *mem = mimicpy_alloc(bytes, &owner);
  if (!mem) return NULL;
  if (bytes) memcpy(mem, data, bytes);
  PyObject *arr = mimicpy_array(owner, mem, format, itemsize, ndim, shape, true);
  Py_DECREF(owner);
  return arr;
}

PyObject *mimicpy_array(PyObject *owner, void *data, const char *format, Py_ssize_t itemsize,
                        int ndim, const Py_ssize_t *shape, bool readonly) {
  PyObject *buf = mimicpy_buffer(owner, data, format, itemsize, ndim, shape, readonly);
  if (!buf) return NULL;
  if (!numpy_asarray) {
    PyObject *np = PyImport_ImportModule("numpy");
    if (!np) {
      Py_DECREF(buf);
      return NULL;
    }
    numpy_asarray = PyObject_GetAttrString(np, "asarray");
    Py_DECREF(np);
    if (!numpy_asarray) {
      Py_DECREF(buf);
      return NULL;
    }
  }
  PyObject *arr = PyObject_CallOneArg(numpy_asarray, buf);
  Py_DECREF(buf);
  return arr;
}

static void memory_free(PyObject *capsule) { free(PyCapsule_GetPointer(capsule, "mimic.memory")); }

void *mimicpy_alloc(size_t bytes, PyObject **owner) {
  void *p = calloc(1, bytes ? bytes : 1);
  if (!p) {
    PyErr_NoMemory();
    return NULL;
  }
  *owner = PyCapsule_New(p, "mimic.memory", memory_free);
  if (!*owner) {
    free(p);
    return NULL;
  }
  return p;
}

/* ---- reading numbers ---------------------------------------------------- */

static int floats_from_buffer(Py_buffer *v, float *out, Py_ssize_t n, const char *what) {
  const char *f = v->format ? v->format : "B";
  if (*f == '<' || *f == '=' || *f == '@') f++;
  Py_ssize_t count = v->itemsize ? v->len / v->itemsize : 0;
  if (count != n) {
    PyErr_Format(PyExc_ValueError, "%s: expected %zd value%s, got %zd", what, n, n == 1 ? "" : "s",
                 count);
    return -1;
  }
  if (!PyBuffer_IsContiguous(v, 'C')) {
    PyErr_Format(PyExc_ValueError, "%s: the array is not contiguous", what);
    return -1;
  }
  const char *p = v->buf;
#define MIMICPY_CONVERT(T)                                                                         \
  for (Py_ssize_t i = 0; i < n; i++) out[i] = (float)((const T *)p)[i];                            \
  return 0
  if (f[1] == '\0') switch (f[0]) {
    case 'f': memcpy(out, p, (size_t)n * sizeof(float)); return 0;
    case 'd': MIMICPY_CONVERT(double);
    case 'b': MIMICPY_CONVERT(signed char);
    case 'B': MIMICPY_CONVERT(unsigned char);
    case '?': MIMICPY_CONVERT(bool);
    case 'h': MIMICPY_CONVERT(short);
    case 'H': MIMICPY_CONVERT(unsigned short);
    case 'i': MIMICPY_CONVERT(int);
    case 'I': MIMICPY_CONVERT(unsigned int);
    case 'l': MIMICPY_CONVERT(long);
    case 'L': MIMICPY_CONVERT(unsigned long);
    case 'q': MIMICPY_CONVERT(long long);
    case 'Q': MIMICPY_CONVERT(unsigned long long);
    default: break;
    }
#undef MIMICPY_CONVERT
  PyErr_Format(PyExc_TypeError, "%s: arrays of format '%s' are not numbers mimic reads", what, f);
  return -1;
}

int mimicpy_floats(PyObject *obj, float *out, Py_ssize_t n, const char *what) {
  if (PyLong_CheckExact(obj) || PyFloat_CheckExact(obj) || PyBool_Check(obj)) {
    if (n != 1) {
      PyErr_Format(PyExc_ValueError, "%s: expected %zd values, got a number", what, n);
      return -1;
    }
    double x = PyFloat_AsDouble(obj);
    if (x == -1.0 && PyErr_Occurred()) return -1;
    out[0] = (float)x;
    return 0;
  }
  if (PyObject_CheckBuffer(obj)) {
    Py_buffer v;
    if (PyObject_GetBuffer(obj, &v, PyBUF_FORMAT | PyBUF_STRIDES) == 0) {
      int rc = floats_from_buffer(&v, out, n, what);
      PyBuffer_Release(&v);
      return rc;
    }
    PyErr_Clear();
  }
  if (PyIndex_Check(obj) && !PySequence_Check(obj)) {
    PyObject *i = PyNumber_Index(obj);
    if (!i) return -1;
    int rc = mimicpy_floats(i, out, n, what);
    Py_DECREF(i);
    return rc;
  }
  if (PyNumber_Check(obj) && !PySequence_Check(obj)) {
    double x = PyFloat_AsDouble(obj);
    if (x == -1.0 && PyErr_Occurred()) return -1;
    if (n != 1) {
      PyErr_Format(PyExc_ValueError, "%s: expected %zd values, got a number", what, n);
      return -1;
    }
    out[0] = (float)x;
    return 0;
  }
  PyObject *seq = PySequence_Fast(obj, what);
  if (!seq) {
    PyErr_Format(PyExc_TypeError, "%s: expected a number or a sequence of numbers, got %s", what,
                 Py_TYPE(obj)->tp_name);
    return -1;
  }
  Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
  int rc = 0;
  if (len == n) {
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
      PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
      rc = mimicpy_floats(x, out + i, 1, what);
    }
  } else {
    /* nested lists ([[1, 2], [3, 4]]): flatten through NumPy */
    PyObject *np = PyImport_ImportModule("numpy");
    PyObject *arr =
        np ? PyObject_CallMethod(np, "ascontiguousarray", "(Os)", obj, "float32") : NULL;
    Py_XDECREF(np);
    if (!arr) {
      rc = -1;
    } else {
      Py_buffer v;
      rc = PyObject_GetBuffer(arr, &v, PyBUF_FORMAT | PyBUF_STRIDES);
      if (rc == 0) {
        rc = floats_from_buffer(&v, out, n, what);
        PyBuffer_Release(&v);
      }
      Py_DECREF(arr);
    }
  }
  Py_DECREF(seq);
  return rc;
}

/* ---- spaces and options --------------------------------------------------- */

static PyObject *float_list(const float *x, int n, double missing) {
  PyObject *list = PyList_New(n);
  if (!list) return NULL;
  for (int i = 0; i < n; i++) {
    PyObject *v = PyFloat_FromDouble(x ? x[i] : missing);
    if (!v) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, i, v);
  }
  return list;
}

PyObject *mimicpy_space_tuple(const mimic_space *s) {
  if (s->kind == MIMIC_SPACE_DISCRETE) return Py_BuildValue("(si)", "discrete", s->n);
  PyObject *shape = PyTuple_New(s->ndim);
  if (!shape) return NULL;
  for (int i = 0; i < s->ndim; i++) PyTuple_SET_ITEM(shape, i, PyLong_FromLong(s->shape[i]));
  PyObject *low = float_list(s->low, s->dim, -INFINITY);
  PyObject *high = float_list(s->high, s->dim, INFINITY);
  PyObject *t = (low && high) ? Py_BuildValue("(sOOO)", "box", shape, low, high) : NULL;
  Py_DECREF(shape);
  Py_XDECREF(low);
  Py_XDECREF(high);
  return t;
}

PyObject *mimicpy_options(PyObject *dict) {
  if (!dict || dict == Py_None) return PyBytes_FromString("");
  if (!PyDict_Check(dict)) {
    PyErr_SetString(PyExc_TypeError, "options must be a dict");
    return NULL;
  }
  PyObject *parts = PyList_New(0);
  if (!parts) return NULL;
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  while (PyDict_Next(dict, &pos, &key, &value)) {
    PyObject *text;
    if (value == Py_True || value == Py_False)
      text = PyUnicode_FromFormat("%S=%d", key, value == Py_True);
    else
      text = PyUnicode_FromFormat("%S=%S", key, value);
    if (!text || PyList_Append(parts, text) < 0) {
      Py_XDECREF(text);
      Py_DECREF(parts);
      return NULL;
    }
    Py_DECREF(text);
  }
  PyObject *comma = PyUnicode_FromString(",");
  PyObject *joined = comma ? PyUnicode_Join(comma, parts) : NULL;
  Py_XDECREF(comma);
  Py_DECREF(parts);
  if (!joined) return NULL;
  PyObject *bytes = PyUnicode_AsUTF8String(joined);
  Py_DECREF(joined);
  return bytes;
}

/* ---- the module ------------------------------------------------------------ */

static PyObject *py_env_ids(PyObject *self, PyObject *unused) {
  int n = mimic_env_count();
  PyObject *list = PyList_New(n);
  if (!list) return NULL;
  for (int i = 0; i < n; i++) {
    const mimic_env_info *info = mimic_env_info_at(i);
    PyList_SET_ITEM(list, i,
                    Py_BuildValue("(sss)", info->id, info->summary ? info->summary : "",
                                  info->options ? info->options : ""));
  }
  return list;
}

static PyMethodDef module_methods[] = {
    {"env_ids", py_env_ids, METH_NOARGS,
     "env_ids() -> [(id, summary, options)] of every registered environment."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "mimic._mimic",
    "The C half of mimic's Python package (use the mimic package, not this module).",
    -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__mimic(void) {
  PyObject *m = PyModule_Create(&module_def);
  if (!m) return NULL;
  if (PyType_Ready(&BufferType) < 0) goto fail;
  mimicpy_error =
      PyErr_NewExceptionWithDoc("mimic.Error", "A mimic call failed.", PyExc_RuntimeError, NULL);
  if (!mimicpy_error) goto fail;
  PyObject *bases = PyTuple_Pack(2, mimicpy_error, PyExc_ValueError);
  if (!bases) goto fail;
  mimicpy_invalid = PyErr_NewExceptionWithDoc(
      "mimic.InvalidError", "A bad argument, option, id or value (also a ValueError).", bases,
      NULL);
  Py_DECREF(bases);
  if (!mimicpy_invalid) goto fail;
  if (PyModule_AddObjectRef(m, "Error", mimicpy_error) < 0 ||
      PyModule_AddObjectRef(m, "InvalidError", mimicpy_invalid) < 0 ||
      PyModule_AddObjectRef(m, "Buffer", (PyObject *)&BufferType) < 0)
    goto fail;
  if (mimicpy_env_init(m) < 0 || mimicpy_data_init(m) < 0 || mimicpy_policy_init(m) < 0 ||
      mimicpy_foreign_init(m) < 0 || mimicpy_text_init(m) < 0 || mimicpy_rl_init(m) < 0 ||
      mimicpy_agent_init(m) < 0)
    goto fail;
  return m;
fail:
  Py_DECREF(m);
  return NULL;
}
