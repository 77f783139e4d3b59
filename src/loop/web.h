/* The labeling page's two halves (docs/web-expert.md): the HTTP side
 * (web_server.c, threads of libmicrohttpd) and the expert (expert_web.c,
 * the loop's thread). They share one struct under one mutex.
 *
 * Reads (the next question, progress, a frame) are answered on the HTTP
 * side from what the expert published. Every change (an answer, a skip, an
 * undo) is a message the HTTP side queues and the loop's thread handles
 * while it waits in label(): it checks the request, hands the answer to
 * the loop, which stores it, and only then is the reply sent. So the codec
 * and the loop are only ever touched by the loop's thread, and an answer
 * is on disk before its labeler is given another question. Internal to the
 * loop layer. */
#ifndef MIMIC_LOOP_WEB_H
#define MIMIC_LOOP_WEB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "mimic/core.h"
#include "mimic/expert.h"
#include "mimic/labelstore.h"

enum { WEB_MAX_BODY = 16384, WEB_NAME_MAX = 40, WEB_LEASE_S = 300 };
/* WEB_LEASE_S: a question handed to a labeler who went quiet goes to another after this long */

typedef enum web_op { WEB_ANSWER, WEB_SKIP, WEB_UNDO } web_op;

/* A change asked for by a page: handled by the loop's thread. */
struct web;

typedef struct web_msg {
  web_op op;
  json_t *body; /* the request's JSON object (the HTTP side's) */
  int code;     /* the reply's status (set by the loop's thread) */
  char *reply;  /* the reply's JSON text (malloc'd by the loop's thread) */
  bool done;
  bool owed; /* counted in web.owed when done (by the loop's thread, so stopping sees it) */
  struct web_msg *next;
} web_msg;

/* Marks m answered by the loop's thread (w->mu held): its reply is owed
 * until the HTTP side has sent it. */
void web_msg_done(struct web *w, web_msg *m);

/* A question as the page sees it. */
typedef struct web_item {
  char *id;           /* the question's key: stable across restarts */
  char *json;         /* what /api/next sends for it */
  unsigned char *png; /* the environment's frame, or NULL */
  size_t png_len;
  int state;                     /* 0 open, 1 answered, 2 skipped */
  char holder[WEB_NAME_MAX + 1]; /* the labeler it was handed to ("": nobody) */
  double handed;                 /* when (mimic_now) */
} web_item;

typedef struct web {
  pthread_mutex_t mu;
  pthread_cond_t to_loop, to_http;
  struct MHD_Daemon *daemon;
  int port;
  char token[33]; /* "" when the page is served on loopback only */
  /* published by the loop's thread */
  bool active; /* label() waits for answers: messages are taken */
  web_item *items;
  size_t n_items;
  web_msg *head, *tail;
  int owed; /* changes the loop has stored whose HTTP reply is not yet sent: stopping
               waits for them, so a person's last answer is confirmed, not cut off */
  int round, rounds;
  size_t answered, count; /* this round's answers and its questions (0: unknown) */
  long total;       /* answers and skips over the whole run (this process, or as the run says) */
  long budget;      /* answers the run asks for in all (0: unknown) */
  json_t *history;  /* [{"round": r, "metric": name, "value": v}] */
  json_t *labelers; /* {"name": answers} */
  const char *kind; /* the codec's kind */
  int agreement;    /* votes each question needs (1: the first answer settles it) */
  struct web_votes *votes; /* agreement > 1: the votes (loop/web_vote.c) */
} web;

/* Box actions (web_box.c): puts a Box question's "box" (shape, bounds,
 * dimension names) and its "suggested" vector into the page's item. */
mimic_status web_box_fields(const mimic_codec *c, const mimic_questions *q, size_t i, json_t *item);
/* An answer's "label" as an action: for a Box, a list of exactly dim finite
 * numbers inside the bounds (refused, not clipped); otherwise as any expert's. */
mimic_status web_action_from_json(const mimic_codec *c, const json_t *v, float *action);

/* Starts serving the page and its API on bind:port (the web's mutex,
 * conditions and token are set up here). */
mimic_status web_server_start(web *w, const char *bind, int port);
/* Stops serving (waiting requests are answered 503 first). */
void web_server_stop(web *w);
/* A labeler's name is 1..40 letters, digits, '.', '_', '-' or '@'. */
bool web_name_ok(const char *s);
/* The run's progress as JSON text (w->mu held; malloc'd). */
char *web_progress_json(const web *w);

/* ---- agreement mode (web_vote.c): K labelers vote on each question ---- */

/* Starts agreement mode: votes are kept in session `name` of store (resumed:
 * the votes stored before count, and must have been given with the same K). */
mimic_status web_votes_open(web *w, const mimic_codec *codec, mimic_labelstore *store,
                            const char *name);
/* Frees the votes (w->votes may be NULL). */
void web_votes_free(web *w);
/* Sets up the published batch's tallies from the stored votes, and settles
 * the questions that already have K votes (w->mu held, loop's thread). */
mimic_status web_votes_publish(web *w, mimic_expert *e, const mimic_questions *q,
                               mimic_answer *answers, size_t *open);
/* Drops the batch's tallies (w->mu held). */
void web_votes_unpublish(web *w);
/* The question for labeler in agreement mode (w->mu held; NULL: none). */
web_item *web_votes_hand_out(web *w, const char *labeler);
/* Handles an answer (a vote), a skip (a pass) or an undo (of the labeler's
 * own vote) in agreement mode (w->mu held, loop's thread). */
mimic_status web_votes_handle(web *w, mimic_expert *e, const mimic_questions *q,
                              mimic_answer *answers, const char *who, web_msg *m, size_t *open);
/* The agreement figures for /api/progress (w->mu held; new reference). */
json_t *web_votes_progress(const web *w);
/* The reply {"error": msg} with code (a request refused: nothing changed). */
void web_refuse(web_msg *m, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Finds the open question m's "item" names; refuses m (400 without an id,
 * 404 for an unknown one) and returns false when there is none. */
bool web_find_item(web *w, web_msg *m, size_t *index);
/* An answer's "label" and optional "arguments" (borrowed); refuses m with
 * 400 and returns false when the label is missing or the arguments are not
 * an object. */
bool web_label_and_arguments(const mimic_codec *c, web_msg *m, json_t **label, json_t **args);

#endif
