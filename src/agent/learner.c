/* The agent learner: the agent policy behind the learner interface
 * (mimic/policy.h), and the vocabulary of actions an agent loop knows.
 *
 * Actions are ids into a vocabulary that only grows (an expert may name a
 * tool the policy has never seen, and ids already handed out must keep
 * their meaning), shared by the learner and whoever reads experts'
 * answers. A fit turns the labeled examples into agent examples (state and
 * where it came from from the item, the action's name from the
 * vocabulary, its arguments from the example's detail) and fits a new
 * model on them; a fitted model's own action list is sorted, so it is
 * mapped onto vocabulary ids once per fit. A state the model knows nothing
 * about (an intent it never saw) gets confidence NAN and a NAN action: the
 * query rules treat it as the most uncertain of all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "core/util.h"
#include "agent/learner.h"

int mimic_agent_vocab_find(const mimic_agent_vocab *v, const char *name) {
  for (size_t i = 0; i < v->n; i++)
    if (strcmp(v->names[i], name) == 0) return (int)i;
  return -1;
}

mimic_status mimic_agent_vocab_add(mimic_agent_vocab *v, const char *name, int *id) {
  int k = mimic_agent_vocab_find(v, name);
  if (k < 0) {
    if (!name || !*name) return mimic_fail(MIMIC_ERR_INVALID, "an action needs a name");
    MIMIC_TRY(mimic_grow(&v->names, &v->cap, v->n + 1, sizeof *v->names, 16, "actions"));
    if (!(v->names[v->n] = mimic_strdup(name))) return MIMIC_ERR_NOMEM;
    k = (int)v->n++;
  }
  if (id) *id = k;
  return MIMIC_OK;
}

void mimic_agent_vocab_free(mimic_agent_vocab *v) {
  for (size_t i = 0; v && i < v->n; i++) free(v->names[i]);
  if (v) free(v->names);
  if (v) memset(v, 0, sizeof *v);
}

typedef struct agent_learner {
  mimic_agent_config cfg;
  mimic_agent_vocab *vocab;
  mimic_agent_model *model;
  mimic_agent_scratch *scratch;
  int *to_vocab; /* [model actions] vocabulary id of each model action */
} agent_learner;

static int al_n_actions(const mimic_policy *p) {
  const agent_learner *l = p->impl;
  return (int)l->vocab->n;
}

/* Adopts a fitted or loaded model: its scratch and its actions' vocabulary ids. */
static mimic_status adopt(agent_learner *l, mimic_agent_model *m) {
  int K = mimic_agent_n_actions(m);
  int *to_vocab = mimic_calloc(K ? (size_t)K : 1, sizeof *to_vocab, "actions");
  mimic_agent_scratch *sc = NULL;
  mimic_status st = to_vocab ? mimic_agent_scratch_new(m, &sc) : MIMIC_ERR_NOMEM;
  for (int k = 0; !st && k < K; k++)
    st = mimic_agent_vocab_add(l->vocab, mimic_agent_action(m, k), &to_vocab[k]);
  if (st) {
    free(to_vocab);
    mimic_agent_scratch_free(sc);
    mimic_agent_free(m);
    return st;
  }
  mimic_agent_free(l->model);
  mimic_agent_scratch_free(l->scratch);
  free(l->to_vocab);
  l->model = m;
  l->scratch = sc;
  l->to_vocab = to_vocab;
  return MIMIC_OK;
}

static mimic_status al_fit(mimic_policy *p, const mimic_labeled *data, bool warm, uint64_t seed) {
  agent_learner *l = p->impl;
  (void)warm; /* the policy is refitted from scratch */
  (void)seed; /* its fit is a pure function of the examples */
  if (!data->items) return mimic_fail(MIMIC_ERR_INVALID, "the agent learner fits on agent states");
  if (data->weights)
    return mimic_fail(MIMIC_ERR_INVALID, "the agent policy takes no example weights");
  mimic_agent_example *ex = mimic_malloc(data->n * sizeof *ex, "examples");
  if (!ex) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < data->n && !st; i++) {
    float a = data->actions[i];
    if (!(a >= 0 && a < (float)l->vocab->n && a == floorf(a))) {
      st = mimic_fail(MIMIC_ERR_RANGE, "example %zu has action id %g; %zu actions are known", i,
                      (double)a, l->vocab->n);
      break;
    }
    ex[i] = *(const mimic_agent_example *)data->items[i];
    ex[i].action = l->vocab->names[(int)a];
    ex[i].arguments = data->details ? data->details[i] : NULL;
  }
  mimic_agent_model *m = NULL;
  if (!st) st = mimic_agent_fit(ex, data->n, &l->cfg, &m);
  free(ex);
  if (!st) st = adopt(l, m);
  return st;
}

static mimic_status al_act(mimic_policy *p, mimic_act_batch *b) {
  agent_learner *l = p->impl;
  if (!b->items) return mimic_fail(MIMIC_ERR_INVALID, "the agent learner reads agent states");
  const size_t V = l->vocab->n;
  const int K = mimic_agent_n_actions(l->model);
  for (int i = 0; i < b->n; i++) {
    const mimic_agent_example *e = b->items[i];
    mimic_agent_prediction pr;
    MIMIC_TRY(mimic_agent_predict(l->model, &e->state, l->scratch, &pr));
    double *row = b->proba ? b->proba + (size_t)i * V : NULL;
    if (pr.action < 0) { /* the model knows nothing about this state */
      b->actions[i] = NAN;
      if (b->confidence) b->confidence[i] = NAN;
      for (size_t k = 0; row && k < V; k++) row[k] = NAN;
      continue;
    }
    b->actions[i] = (float)l->to_vocab[pr.action];
    if (b->confidence) b->confidence[i] = (float)pr.confidence;
    if (row) {
      memset(row, 0, V * sizeof *row);
      for (int k = 0; k < K; k++) row[l->to_vocab[k]] = pr.proba[k];
    }
  }
  return MIMIC_OK;
}

static mimic_status al_save(const mimic_policy *p, const char *path) {
  const agent_learner *l = p->impl;
  return mimic_agent_save(l->model, path);
}

static mimic_status al_reload(mimic_policy *p, const char *path) {
  agent_learner *l = p->impl;
  mimic_agent_model *m;
  MIMIC_TRY(mimic_agent_load(path, &m));
  return adopt(l, m);
}

static void al_free(mimic_policy *p) {
  agent_learner *l = p->impl;
  if (!l) return;
  mimic_agent_free(l->model);
  mimic_agent_scratch_free(l->scratch);
  free(l->to_vocab);
  free(l);
}

static const mimic_policy_class agent_learner_class = {.kind = "agent",
                                                       .act = al_act,
                                                       .free_impl = al_free,
                                                       .fit = al_fit,
                                                       .save = al_save,
                                                       .reload = al_reload,
                                                       .n_actions = al_n_actions};

mimic_status mimic_agent_learner(const mimic_agent_config *cfg, mimic_agent_vocab *vocab,
                                 mimic_policy **out) {
  *out = NULL;
  MIMIC_TRY(mimic_agent_config_check(cfg));
  mimic_space space = {.kind = MIMIC_SPACE_DISCRETE, .n = (int)vocab->n, .dim = 1};
  MIMIC_TRY(mimic_policy_alloc(&agent_learner_class, &space, 0, out));
  agent_learner *l = mimic_calloc(1, sizeof *l, "an agent learner");
  if (!l) {
    mimic_policy_free(*out);
    *out = NULL;
    return MIMIC_ERR_NOMEM;
  }
  (*out)->impl = l;
  l->cfg = *cfg;
  l->vocab = vocab;
  snprintf((*out)->description, sizeof(*out)->description, "agent %s policy",
           mimic_agent_policy_name(cfg->policy));
  return MIMIC_OK;
}

const mimic_agent_model *mimic_agent_learner_model(const mimic_policy *p) {
  return p->cls == &agent_learner_class ? ((const agent_learner *)p->impl)->model : NULL;
}

mimic_agent_model *mimic_agent_learner_take(mimic_policy *p) {
  if (p->cls != &agent_learner_class) return NULL;
  agent_learner *l = p->impl;
  mimic_agent_model *m = l->model;
  mimic_agent_scratch_free(l->scratch);
  free(l->to_vocab);
  l->model = NULL;
  l->scratch = NULL;
  l->to_vocab = NULL;
  p->fitted = false;
  return m;
}
