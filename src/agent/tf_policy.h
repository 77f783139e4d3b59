/* The trace transformer policy of the agent layer (mimic_agent_tf_config in
 * mimic/agent.h): tokens of a state, fitting, prediction and the model
 * file's part. Internal to mimic. */
#ifndef MIMIC_AGENT_TF_POLICY_H
#define MIMIC_AGENT_TF_POLICY_H

#include "agent/agent_impl.h"
#include "agent/bpe.h"
#include "nn/transformer.h"

/* Special tokens after the byte-pair vocabulary, then one token per action. */
enum {
  AGENT_TOK_INTENT = 0,
  AGENT_TOK_REQUEST,
  AGENT_TOK_CONTENT,
  AGENT_TOK_OBS,
  AGENT_TOK_UNKNOWN_ACTION,
  AGENT_N_SPECIAL
};

typedef struct agent_tf {
  agent_bpe bpe;
  mimic_gpt gpt;               /* the trained parameters (caches for one sequence) */
  int tok_special, tok_action; /* first special token, first action token */
} agent_tf;

/* Fits m->tf on n examples with action ids y (m->actions and m->cfg set). */
mimic_status agent_tf_fit(mimic_agent_model *m, const mimic_agent_example *ex, size_t n,
                          const int32_t *y);
/* The whole token stream of a state into *buf (grown as needed); *n gets its length. */
mimic_status agent_tf_tokens(const mimic_agent_model *m, const mimic_agent_state *s, int32_t **buf,
                             size_t *cap, size_t *n);
/* Action probabilities of a state into sc->proba. */
mimic_status agent_tf_predict(const mimic_agent_model *m, const mimic_agent_state *s,
                              mimic_agent_scratch *sc);
/* Gives a scratch its own copy of the network (sc->gpt). */
mimic_status agent_tf_scratch(const mimic_agent_model *m, mimic_agent_scratch *sc);
/* Frees what agent_tf_scratch made. */
void agent_tf_scratch_free(mimic_agent_scratch *sc);
/* Frees m->tf (NULL is fine). */
void agent_tf_free(mimic_agent_model *m);
/* Writes the transformer's meta ("transformer") and arrays into c. */
mimic_status agent_tf_export(const mimic_agent_model *m, mimic_container *c);
/* Reads and checks them (m->actions set). */
mimic_status agent_tf_import(mimic_agent_model *m, const mimic_container *f, const char *path);

#endif
