/* The label store's write side (mimic/labelstore.h): a session's resume
 * state and config, answers stored one by one or a batch in one commit,
 * and undo. The DAgger driver keeps its label log with these, and the agent
 * layer stores corrections (mimic_agent_store_correction). Internal to
 * mimic (not installed): users open, count, fetch and export.
 *
 * Every call that records something is one transaction committed before it
 * returns; mimic_labelstore_add() can update the session state in the same
 * transaction as the answer, so "answer stored" and "cursor moved" never
 * disagree after a crash. Programs that label thousands of items (file
 * experts in experiments) batch answers with mimic_labelstore_add_many()
 * (one commit) or open the store with `fast`. */
#ifndef MIMIC_LOOP_LABEL_LOG_H
#define MIMIC_LOOP_LABEL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/labelstore.h"

/* Reads a session's state JSON (*state = NULL if never set; free() it). */
mimic_status mimic_labelstore_session_state(mimic_labelstore *s, int64_t session, char **state);
/* Reads a session's config JSON (*config = NULL if none; free() it). */
mimic_status mimic_labelstore_session_config(mimic_labelstore *s, int64_t session, char **config);
/* Replaces a session's state JSON (committed before return). */
mimic_status mimic_labelstore_session_set_state(mimic_labelstore *s, int64_t session,
                                                const char *state_json);
/* Marks a session "finished" or "quit" (a quit session can still be resumed). */
mimic_status mimic_labelstore_session_close(mimic_labelstore *s, int64_t session,
                                            const char *status);

/* Stores one answer and, if state_json is not NULL, the session's new state,
 * in one committed transaction. *id (may be NULL) gets the record id. */
mimic_status mimic_labelstore_add(mimic_labelstore *s, const mimic_label_record *r,
                                  const char *state_json, int64_t *id);
/* Stores n answers (and the state) in one committed transaction. */
mimic_status mimic_labelstore_add_many(mimic_labelstore *s, const mimic_label_record *r, size_t n,
                                       const char *state_json);
/* Marks the session's latest answer that is not undone as undone (and sets
 * state_json if not NULL), in one transaction. *undone (may be NULL) gets a
 * copy of that record; MIMIC_ERR_NOT_FOUND if there is nothing to undo. */
mimic_status mimic_labelstore_undo(mimic_labelstore *s, int64_t session, const char *state_json,
                                   mimic_label_record *undone);
/* Marks answer id of session as undone in one transaction (a vote taken
 * back by its own labeler); MIMIC_ERR_NOT_FOUND if it is not there or undone. */
mimic_status mimic_labelstore_undo_id(mimic_labelstore *s, int64_t session, int64_t id);

#endif
