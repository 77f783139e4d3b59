/* The agent learner: a learner of the policy layer (mimic/policy.h) over
 * agent states, acting in ids of a growing action vocabulary, as the agent
 * DAgger loop (mimic_agent_dagger_run) drives it. Internal to mimic (not
 * installed): users run the loop, or fit models with mimic_agent_fit. */
#ifndef MIMIC_AGENT_LEARNER_H
#define MIMIC_AGENT_LEARNER_H

#include "mimic/agent.h"

/* The actions an agent loop knows, in the order first met: ids never change
 * as the list grows (an expert may name a tool no policy has seen yet). */
typedef struct mimic_agent_vocab {
  size_t n, cap;
  char **names;
} mimic_agent_vocab;

/* The id of name, or -1. */
int mimic_agent_vocab_find(const mimic_agent_vocab *v, const char *name);
/* The id of name, appending it when new (*id may be NULL). */
mimic_status mimic_agent_vocab_add(mimic_agent_vocab *v, const char *name, int *id);
/* Frees the names (safe on a zeroed vocabulary). */
void mimic_agent_vocab_free(mimic_agent_vocab *v);

/* A learner (mimic/policy.h) over agent states given as mimic_agent_example
 * items (the state and where it came from; the item's own action is not
 * read), acting in ids of vocab (borrowed; a fit adds the actions it
 * meets). Each fit is mimic_agent_fit on the examples, with their actions'
 * names from vocab and their details as tool arguments. A state the policy
 * knows nothing about gets confidence NAN. */
mimic_status mimic_agent_learner(const mimic_agent_config *cfg, mimic_agent_vocab *vocab,
                                 mimic_policy **out);
/* The fitted model of an agent learner (NULL before a fit or for another policy). */
const mimic_agent_model *mimic_agent_learner_model(const mimic_policy *p);
/* Moves the fitted model out of an agent learner (the caller frees it; the
 * learner is unfitted again). NULL when there is none. */
mimic_agent_model *mimic_agent_learner_take(mimic_policy *p);

#endif
