/* rl.c: PPO from Python (mimic.ppo), `mimic train ppo` without the
 * command line.
 *
 * The configuration is built as the command builds it: SB3's defaults,
 * then the environment's tuned preset (preset="auto"), then every setting
 * the caller gave, with one BLAS thread; so the same settings and seed
 * give the command line's network bit for bit. Settings come as a dict of
 * the keywords the caller passed (python/mimic/learn.py). */
#include "mimic_py.h"

#include <string.h>

#include "mimic/adversarial.h"
#include "mimic/data.h"
#include "mimic/nn.h"
#include "mimic/policy.h"
#include "mimic/ppo.h"

/* Reads key from d into *out when present: 0, 1 when set, -1 with an exception. */
static int get_double(PyObject *d, const char *key, double *out) {
  PyObject *v = PyDict_GetItemString(d, key);
  if (!v || v == Py_None) return 0;
  double x = PyFloat_AsDouble(v);
  if (x == -1.0 && PyErr_Occurred()) return -1;
  *out = x;
  return 1;
}

static int get_int(PyObject *d, const char *key, long *out) {
  PyObject *v = PyDict_GetItemString(d, key);
  if (!v || v == Py_None) return 0;
  long x = PyLong_AsLong(v);
  if (x == -1 && PyErr_Occurred()) return -1;
  *out = x;
  return 1;
}

static int get_bool(PyObject *d, const char *key, bool *out) {
  PyObject *v = PyDict_GetItemString(d, key);
  if (!v || v == Py_None) return 0;
  int x = PyObject_IsTrue(v);
  if (x < 0) return -1;
  *out = x;
  return 1;
}

static int get_widths(PyObject *d, const char *key, int *widths, int *n) {
  PyObject *v = PyDict_GetItemString(d, key);
  if (!v || v == Py_None) return 0;
  PyObject *seq = PySequence_Fast(v, "hidden widths are a sequence of ints");
  if (!seq) return -1;
  Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
  if (k > MIMIC_MLP_MAX_LAYERS - 1) {
    Py_DECREF(seq);
    PyErr_Format(mimicpy_invalid, "%s: at most %d layers", key, MIMIC_MLP_MAX_LAYERS - 1);
    return -1;
  }
  *n = (int)k;
  for (Py_ssize_t i = 0; i < k; i++)
    widths[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
  Py_DECREF(seq);
  return PyErr_Occurred() ? -1 : 1;
}

/* The command line's configuration from the settings dict (rl_ppo_config's order). */
static int ppo_config(PyObject *d, mimic_ppo_config *c) {
  long l;
  double x;
  int rc;
  PyObject *preset = PyDict_GetItemString(d, "preset");
  const char *p = preset && preset != Py_None ? PyUnicode_AsUTF8(preset) : "auto";
  if (!p) return -1;
  if (strcmp(p, "auto") == 0) {
    mimic_ppo_preset(c->env_id, c);
  } else if (strcmp(p, "none") != 0) {
    PyErr_Format(mimicpy_invalid, "preset is 'auto' or 'none', got '%s'", p);
    return -1;
  }
#define INT(key, field)                                                                            \
  if ((rc = get_int(d, key, &l)) < 0) return -1;                                                   \
  if (rc) c->field = (int)l
#define DBL(key, field)                                                                            \
  if ((rc = get_double(d, key, &x)) < 0) return -1;                                                \
  if (rc) c->field = x
  if ((rc = get_int(d, "steps", &l)) < 0) return -1;
  if (rc) c->total_steps = l;
  INT("n_envs", n_envs);
  INT("n_steps", n_steps);
  INT("batch_size", batch_size);
  INT("epochs", n_epochs);
  DBL("lr", learning_rate);
  DBL("gamma", gamma);
  DBL("gae_lambda", gae_lambda);
  DBL("clip", clip_range);
  DBL("clip_vf", clip_range_vf);
  DBL("ent_coef", ent_coef);
  DBL("vf_coef", vf_coef);
  DBL("max_grad_norm", max_grad_norm);
  DBL("target_kl", target_kl);
  DBL("log_std_init", log_std_init);
#undef INT
#undef DBL
  if ((rc = get_int(d, "seed", &l)) < 0) return -1;
  if (rc) c->seed = (uint64_t)l;
  bool linear;
  if ((rc = get_bool(d, "lr_linear", &linear)) < 0) return -1;
  if (rc) c->lr_linear = c->clip_linear = linear;
  if (get_bool(d, "norm_obs", &c->norm_obs) < 0 ||
      get_bool(d, "norm_reward", &c->norm_reward) < 0 ||
      get_widths(d, "hidden", c->hidden, &c->n_hidden) < 0 ||
      get_widths(d, "vf_hidden", c->vf_hidden, &c->vf_n_hidden) < 0)
    return -1;
  PyObject *act = PyDict_GetItemString(d, "activation");
  if (act && act != Py_None) {
    const char *a = PyUnicode_AsUTF8(act);
    if (!a || mimicpy_activation(a, &c->activation) < 0) return -1;
  }
  mimic_status st = mimic_ppo_check(c);
  return st == MIMIC_OK ? 0 : mimicpy_raise_int(st);
}

/* One iteration's logged values as a dict. */
static PyObject *iter_row(const mimic_ppo_iter *it) {
  return Py_BuildValue("{s:l,s:l,s:l,s:d,s:d,s:d,s:d,s:d,s:d,s:d,s:d}", "iteration", it->iteration,
                       "timesteps", it->timesteps, "episodes", it->episodes, "ep_return_mean",
                       it->ep_return_mean, "ep_len_mean", it->ep_len_mean, "policy_loss",
                       it->policy_loss, "value_loss", it->value_loss, "entropy_loss",
                       it->entropy_loss, "approx_kl", it->approx_kl, "clip_fraction",
                       it->clip_fraction, "explained_variance", it->explained_variance);
}

/* Appends row (a new reference, may be NULL) to the list user. */
static void log_row(PyObject *rows, PyObject *row) {
  if (!row || PyList_Append(rows, row) < 0) PyErr_Clear();
  Py_XDECREF(row);
}

static bool on_iter(mimic_ppo *ppo, const mimic_ppo_iter *it, void *user) {
  PyGILState_STATE gil = PyGILState_Ensure();
  log_row(user, iter_row(it));
  PyGILState_Release(gil);
  return true;
}

/* The trained policy of p as (Policy, rows), or st raised; takes rows. */
static PyObject *trained(mimic_status st, mimic_ppo *p, const mimic_env *env, const char *algorithm,
                         PyObject *rows) {
  mimic_model model = {0};
  mimic_policy *policy = NULL;
  /* the model with VecNormalize's statistics written in, as the command saves it */
  if (st == MIMIC_OK) st = mimic_model_copy(mimic_ppo_model(p), 1, &model);
  char meta[64];
  snprintf(meta, sizeof meta, "{\"algorithm\": \"%s\"}", algorithm);
  if (st == MIMIC_OK)
    st = mimic_policy_describe_model(&model, mimic_env_id(env), mimic_env_obs_space(env),
                                     mimic_env_action_space(env), meta);
  if (st == MIMIC_OK) st = mimic_policy_from_model(&model, mimic_env_action_space(env), &policy);
  mimic_model_free(&model);
  if (st != MIMIC_OK) {
    Py_DECREF(rows);
    return mimicpy_raise(st);
  }
  PyObject *pol = mimicpy_policy_wrap(policy);
  PyObject *r = pol ? PyTuple_Pack(2, pol, rows) : NULL;
  Py_XDECREF(pol);
  Py_DECREF(rows);
  return r;
}

/* ppo(env, settings) -> (Policy, iterations) */
static PyObject *py_ppo(PyObject *module, PyObject *args) {
  PyObject *env_obj, *settings;
  if (!PyArg_ParseTuple(args, "OO!", &env_obj, &PyDict_Type, &settings)) return NULL;
  const char *opts;
  mimic_env *env = mimicpy_env_arg(env_obj, "ppo", &opts);
  if (!env) return NULL;
  mimic_nn_set_threads(1); /* as the command: small matrices, the same result everywhere */
  mimic_ppo_config cfg = mimic_ppo_defaults();
  cfg.env_id = mimic_env_id(env);
  cfg.env_opts = opts;
  PyObject *rows = PyList_New(0);
  if (!rows || ppo_config(settings, &cfg) < 0) {
    Py_XDECREF(rows);
    return NULL;
  }
  mimic_ppo *p = NULL;
  PyThreadState *ts = mimicpy_pause(env, NULL);
  mimic_status st = mimic_ppo_create(&cfg, NULL, &p);
  if (st == MIMIC_OK) st = mimic_ppo_learn(p, 0, on_iter, rows);
  mimicpy_resume(ts);
  PyObject *r = trained(st, p, env, "ppo", rows);
  mimic_ppo_free(p);
  return r;
}

const mimic_dataset *mimicpy_dataset_of(PyObject *obj);

static bool on_round(mimic_adv *a, const mimic_adv_round *r, void *user) {
  PyGILState_STATE gil = PyGILState_Ensure();
  PyObject *row = iter_row(&r->ppo);
  PyObject *disc = Py_BuildValue(
      "{s:d,s:d,s:d,s:d,s:d}", "disc_loss", r->disc_loss, "disc_acc_expert", r->disc_acc_expert,
      "disc_acc_gen", r->disc_acc_gen, "expert_logit", r->expert_logit, "gen_logit", r->gen_logit);
  if (row && (!disc || PyDict_Update(row, disc) < 0)) Py_CLEAR(row);
  Py_XDECREF(disc);
  log_row(user, row);
  PyGILState_Release(gil);
  return true;
}

/* The adversarial settings over the generator's (train gail/airl's order). */
static int adv_config(PyObject *d, mimic_adv_config *c, const mimic_ppo_config *pc) {
  mimic_ppo_config adv_ppo = c->ppo;
  c->ppo = *pc;
  PyObject *norm_reward = PyDict_GetItemString(d, "norm_reward");
  if (norm_reward != Py_False) c->ppo.norm_reward = adv_ppo.norm_reward;
  PyObject *preset = PyDict_GetItemString(d, "preset");
  bool no_preset =
      preset && PyUnicode_Check(preset) && PyUnicode_CompareWithASCIIString(preset, "none") == 0;
  if (!PyDict_GetItemString(d, "gamma") && !no_preset) c->ppo.gamma = adv_ppo.gamma;
  long l;
  int rc;
  double x;
  if ((rc = get_int(d, "disc_updates", &l)) < 0) return -1;
  if (rc) c->n_disc_updates = (int)l;
  if ((rc = get_int(d, "demo_batch_size", &l)) < 0) return -1;
  if (rc) c->demo_batch_size = (int)l;
  if ((rc = get_int(d, "disc_warmup", &l)) < 0) return -1;
  if (rc) c->disc_warmup = (int)l;
  if ((rc = get_double(d, "disc_lr", &x)) < 0) return -1;
  if (rc) c->disc_lr = x;
  if ((rc = get_double(d, "disc_weight_decay", &x)) < 0) return -1;
  if (rc) c->disc_weight_decay = x;
  if (get_bool(d, "absorbing", &c->absorbing) < 0 ||
      get_bool(d, "logit_reward", &c->gail_logit_reward) < 0 ||
      get_widths(d, "disc_hidden", c->disc_hidden, &c->disc_n_hidden) < 0)
    return -1;
  PyObject *inputs = PyDict_GetItemString(d, "reward_inputs");
  if (inputs && inputs != Py_None) {
    const char *s = PyUnicode_AsUTF8(inputs);
    if (!s) return -1;
    if (!mimic_reward_inputs_parse(s, &c->reward_inputs)) {
      PyErr_Format(mimicpy_invalid,
                   "reward_inputs is state, state-action, state-next-state or "
                   "state-action-next-state, got '%s'",
                   s);
      return -1;
    }
  }
  mimic_status st = mimic_adv_check(c);
  return st == MIMIC_OK ? 0 : mimicpy_raise_int(st);
}

/* adversarial(kind, env, dataset, settings, reward_out) -> (Policy, rounds): train gail/airl */
static PyObject *py_adversarial(PyObject *module, PyObject *args) {
  const char *kind_name, *reward_out = NULL;
  PyObject *env_obj, *ds_obj, *settings;
  if (!PyArg_ParseTuple(args, "sOOO!z", &kind_name, &env_obj, &ds_obj, &PyDict_Type, &settings,
                        &reward_out))
    return NULL;
  mimic_adv_kind kind = strcmp(kind_name, "airl") == 0 ? MIMIC_ADV_AIRL : MIMIC_ADV_GAIL;
  const char *opts;
  mimic_env *env = mimicpy_env_arg(env_obj, kind_name, &opts);
  const mimic_dataset *ds = env ? mimicpy_dataset_of(ds_obj) : NULL;
  if (!ds) return NULL;
  mimic_nn_set_threads(1);
  mimic_adv_config c = mimic_adv_defaults(kind, mimic_env_id(env));
  mimic_ppo_config pc = mimic_ppo_defaults();
  pc.env_id = mimic_env_id(env);
  pc.env_opts = opts;
  if (ppo_config(settings, &pc) < 0 || adv_config(settings, &c, &pc) < 0) return NULL;
  PyObject *rows = PyList_New(0);
  if (!rows) return NULL;
  mimic_adv *t = NULL;
  PyThreadState *ts = mimicpy_pause(env, NULL);
  mimic_status st = mimic_adv_create(&c, ds, &t);
  if (st == MIMIC_OK) st = mimic_adv_learn(t, 0, on_round, rows);
  mimicpy_resume(ts);
  if (st == MIMIC_OK && reward_out) st = mimic_adv_save_reward(t, reward_out, NULL);
  PyObject *r = trained(st, t ? mimic_adv_generator(t) : NULL, env, kind_name, rows);
  mimic_adv_free(t);
  return r;
}

static PyMethodDef rl_functions[] = {
    {"ppo", py_ppo, METH_VARARGS, NULL},
    {"adversarial", py_adversarial, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

int mimicpy_rl_init(PyObject *module) { return PyModule_AddFunctions(module, rl_functions); }
