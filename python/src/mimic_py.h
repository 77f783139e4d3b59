/* mimic_py.h: what the files of the Python extension (mimic._mimic) share.
 *
 * The extension is a thin layer over libmimic's public API: each Python
 * type wraps one mimic handle, and every array Python sees is a view of a
 * buffer mimic owns, handed out through the buffer protocol (Buffer below)
 * so NumPy wraps it without a copy. A failing mimic call becomes a Python
 * exception carrying mimic's message (mimicpy_raise). */
#ifndef MIMIC_PY_H
#define MIMIC_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "mimic/core.h"
#include "mimic/env.h"
#include "mimic/nn.h"

/* mimic.Error (RuntimeError) and mimic.InvalidError (also a ValueError). */
extern PyObject *mimicpy_error, *mimicpy_invalid;

/* Raises the exception for st with mimic's last message; returns NULL. */
PyObject *mimicpy_raise(mimic_status st);
/* Inside a callback mimic called: keeps the Python exception being raised
 * (with the GIL held) so that mimicpy_raise re-raises it when the mimic call
 * fails because of it. */
void mimicpy_keep_exception(void);
/* Replaces the kept exception by the one obj.method(k, what, exc) raises (a
 * batch naming its copy k); keeps the first one if the method returns. */
void mimicpy_rename_kept(PyObject *obj, const char *method, int k, const char *what);
/* Like mimicpy_raise for functions returning int: returns -1. */
int mimicpy_raise_int(mimic_status st);

/* A view of memory some Python object keeps alive, with the buffer
 * protocol: format "f" (float32), "d" (float64), "?" (bool) or "B" (uint8). */
PyObject *mimicpy_buffer(PyObject *owner, void *data, const char *format, Py_ssize_t itemsize,
                         int ndim, const Py_ssize_t *shape, bool readonly);
/* The same view as a NumPy array (numpy.asarray of the buffer). */
PyObject *mimicpy_array(PyObject *owner, void *data, const char *format, Py_ssize_t itemsize,
                        int ndim, const Py_ssize_t *shape, bool readonly);

/* Zeroed memory owned by *owner (a new capsule that frees it): arrays over
 * it keep it alive on their own, so an object holding those arrays makes
 * no reference cycle with them. */
void *mimicpy_alloc(size_t bytes, PyObject **owner);
/* A read-only array holding a copy of data: what a Python callback gets of
 * mimic's scratch memory, which it may keep after the call. */
PyObject *mimicpy_array_copy(const void *data, const char *format, Py_ssize_t itemsize, int ndim,
                             const Py_ssize_t *shape);
/* Reads obj (a number, a sequence or anything with the buffer protocol:
 * float32/64, int8..64, bool) as exactly n floats into out; a TypeError or
 * ValueError naming `what` otherwise. */
int mimicpy_floats(PyObject *obj, float *out, Py_ssize_t n, const char *what);
/* A space as the keyword arguments of a Python space: ("discrete", n) or
 * ("box", shape tuple, low list, high list). */
PyObject *mimicpy_space_tuple(const mimic_space *s);
/* Builds a mimic options string "k=v,k=v" from a dict (NULL or None: "");
 * returns a new bytes object or NULL with an exception set. */
PyObject *mimicpy_options(PyObject *dict);

/* The mimic_env inside a mimic._mimic.Env, or NULL (no exception) for other objects. */
mimic_env *mimicpy_env_of(PyObject *obj);
/* The same for an argument: a TypeError naming `what` for anything else;
 * *options (may be NULL) gets the options it was made with (NULL: none),
 * alive as long as obj. */
mimic_env *mimicpy_env_arg(PyObject *obj, const char *what, const char **options);

struct mimic_policy;
/* A Python Policy owning p (freed with it); NULL with an exception. */
PyObject *mimicpy_policy_wrap(struct mimic_policy *p);
/* The mimic_policy behind obj: a Policy, or a callable mapping a batch of
 * observations [n, obs_dim] to n actions (wrapped in a new policy that
 * *owned receives, to free after use); NULL with an exception otherwise. */
struct mimic_policy *mimicpy_policy_of(PyObject *obj, const mimic_space *action_space, int obs_dim,
                                       struct mimic_policy **owned);

/* Calls fn with a copy of n observation rows and reads n x width floats of
 * its answer into out (taking the GIL); a Python exception is kept for
 * mimicpy_raise and fails the call. what names the answer in messages. */
mimic_status mimicpy_call_batch(PyObject *fn, const float *obs, size_t n, int obs_dim, float *out,
                                int width, const char *what);
/* Drops a reference from code that may not hold the GIL (NULL is fine). */
void mimicpy_forget(PyObject *obj);

/* "tanh" or "relu" as a mimic_activation (mimic/nn.h); -1 with an exception. */
int mimicpy_activation(const char *name, mimic_activation *out);

struct mimic_bc_config;
/* Sets a BC configuration's hidden widths (a sequence; None keeps them) and
 * activation ("tanh", "relu"); -1 with an exception for bad ones. */
int mimicpy_bc_layers(PyObject *hidden, const char *activation, struct mimic_bc_config *cfg);

/* Releases the GIL for a long mimic call unless Python code runs inside it
 * (a Python environment or policy): callbacks then need no GIL hand-over
 * per step. Returns what mimicpy_resume takes. */
PyThreadState *mimicpy_pause(const mimic_env *env, const struct mimic_policy *policy);
/* Takes the GIL back after mimicpy_pause (NULL: it was kept). */
void mimicpy_resume(PyThreadState *ts);

int mimicpy_env_init(PyObject *module);
int mimicpy_data_init(PyObject *module);
int mimicpy_policy_init(PyObject *module);
int mimicpy_foreign_init(PyObject *module);
int mimicpy_text_init(PyObject *module);
int mimicpy_rl_init(PyObject *module);
int mimicpy_agent_init(PyObject *module);
#endif
