/* mimic/labelstore.h: the expert's answers, on disk before the next question.
 *
 * A label store is one SQLite database (WAL journal, synchronous=FULL)
 * with two tables:
 *
 *   sessions  one row per labeling session (a text DAgger run, an agent
 *             correction stream): name, kind, config (JSON), state (JSON,
 *             whatever the driver needs to resume: round, pending batch,
 *             cursor, RNG seed), status and times.
 *   labels    one row per answer: the item's key, its input (the text, or
 *             the agent state as JSON), the label (a class name, or the
 *             action), who gave it, the round, the time, optional metadata
 *             (JSON: the model's guess, confidence, tool arguments), and an
 *             `undone` flag (undo keeps history; exports skip undone rows).
 *
 * The loops write it (the DAgger driver's label log, the agent server's
 * corrections, mimic_agent_store_correction): every answer is one
 * transaction committed before the next question, together with the
 * session's state, so "answer stored" and "cursor moved" never disagree
 * after a crash, and a killed session reopened with the same name finds its
 * state and its answers and resumes where it stopped. A user opens a store,
 * finds and opens sessions, counts, reads back and exports the answers.
 *
 * Why synchronous=FULL: in WAL mode NORMAL already survives a killed
 * process, but may lose the last commits if the machine loses power; FULL
 * fsyncs the WAL at each commit. One fsync costs milliseconds, a person
 * answers in seconds, and "every label an expert gives is on disk before the
 * next question" is the promise, so FULL is the default; `fast` trades it
 * for speed where thousands of items are labeled by a file (experiments).
 *
 * A store handle is safe to share between threads (calls are serialised by
 * a mutex), and several processes may open the same file (SQLite locking,
 * busy timeout 5 s). */
#ifndef MIMIC_LABELSTORE_H
#define MIMIC_LABELSTORE_H

#include "mimic/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_labelstore mimic_labelstore;

typedef struct mimic_labelstore_opts {
  bool fast;      /* synchronous=NORMAL (survives a killed process, not a power cut) */
  bool read_only; /* open an existing store for reading (export, inspection) */
} mimic_labelstore_opts;

/* One answer. Strings are borrowed on input; on output (fetch) they are owned. */
typedef struct mimic_label_record {
  int64_t id;      /* assigned by the store, increasing */
  int64_t session; /* session id, 0 = none */
  char *item;      /* the item's stable key (e.g. "pool.csv:17"), may be NULL */
  char *text;      /* the input: the document, or the agent state as JSON */
  char *label;     /* the answer: a class name, or an action */
  char *labeler;   /* who answered: "human", "file:labels.csv", "cmd:./oracle" */
  int64_t round;   /* DAgger round (0 = seed data) */
  double time;     /* Unix seconds (0 on input = now) */
  char *meta;      /* optional JSON object text, may be NULL */
} mimic_label_record;

/* Opens (creating if needed) the store at path; opts may be NULL. */
mimic_status mimic_labelstore_open(const char *path, const mimic_labelstore_opts *opts,
                                   mimic_labelstore **out);
/* Closes the store (checkpointing the WAL). NULL is fine. */
void mimic_labelstore_close(mimic_labelstore *s);

/* Opens the session called name (kind e.g. "text-dagger", "agent-corrections"):
 * resumes it if it exists and is not finished (*resumed = true; its config
 * is kept), else starts a new one with config_json (may be NULL). A finished
 * session of that name is an error (pick another name). */
mimic_status mimic_labelstore_session_open(mimic_labelstore *s, const char *name, const char *kind,
                                           const char *config_json, int64_t *session,
                                           bool *resumed);
/* Looks up the session called name without opening it: *session = 0 when
 * there is none; *status (may be NULL; free() it) gets running, quit or finished. */
mimic_status mimic_labelstore_session_find(mimic_labelstore *s, const char *name, int64_t *session,
                                           char **status);
/* Counts the answers of a session that are not undone (session 0: all sessions). */
mimic_status mimic_labelstore_count(mimic_labelstore *s, int64_t session, int64_t *n);

/* Answers read back, in the order they were given. */
typedef struct mimic_label_list {
  size_t n;
  mimic_label_record *r;
} mimic_label_list;

/* Reads the answers of a session (0: all) that are not undone, oldest first. */
mimic_status mimic_labelstore_fetch(mimic_labelstore *s, int64_t session, mimic_label_list *out);
/* Frees a fetched list. */
void mimic_label_list_free(mimic_label_list *l);
/* Frees the strings of one fetched record. */
void mimic_label_record_free(mimic_label_record *r);

typedef enum mimic_export_format {
  MIMIC_EXPORT_JSONL =
      0, /* one object per answer: id, session, item, text, label, labeler, round, time, meta */
  MIMIC_EXPORT_CSV = 1, /* header id,session,item,text,label,labeler,round,time,meta (RFC 4180) */
} mimic_export_format;

/* Writes the answers of a session (0: all) that are not undone to path, atomically. */
mimic_status mimic_labelstore_export(mimic_labelstore *s, int64_t session, const char *path,
                                     mimic_export_format fmt);

#ifdef __cplusplus
}
#endif
#endif
