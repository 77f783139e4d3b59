/* What the expert transports share (mimic/expert.h): the codec helpers
 * that read, write and check answers, each transport's constructor, and an
 * expert acting as a policy. Internal to mimic (not installed): users open
 * experts by spec (mimic_expert_open), use the table expert for label
 * files, and write new transports with mimic_expert_alloc. */
#ifndef MIMIC_LOOP_TRANSPORT_H
#define MIMIC_LOOP_TRANSPORT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "mimic/expert.h"
#include "mimic/labelstore.h"

/* ---- codecs ------------------------------------------------------------- */

/* Number of named discrete actions (0 for numbers or a Box). */
int mimic_codec_n_names(const mimic_codec *c);
/* The id of an action name (exact), or -1. */
int mimic_codec_find(const mimic_codec *c, const char *name);
/* An action as text: its name, its number, or a Box's JSON list (malloc'd). */
char *mimic_codec_action_text(const mimic_codec *c, const float *action);
/* Reads an action written by mimic_codec_action_text (or a program's JSON
 * value: a number, a list, a name), checked against the space; a name not
 * yet known joins an open list. what names the value in messages. */
mimic_status mimic_codec_action_from_json(const mimic_codec *c, const json_t *v, const char *what,
                                          float *action);
/* Same from the label log's text. */
mimic_status mimic_codec_parse_action(const mimic_codec *c, const char *text, float *action);

/* Questions lo..lo+n of q (width: the action space's), sharing q's arrays. */
mimic_questions mimic_questions_slice(const mimic_questions *q, size_t lo, size_t n, int width);

/* ---- transports --------------------------------------------------------- */

/* Reads one line from fd a byte at a time (nothing is buffered past the
 * newline, so a person's next answers stay in the terminal for whoever
 * reads next), without its newline and trailing space; false at end of
 * input with nothing read. */
bool mimic_read_line_fd(int fd, char *buf, size_t cap);

/* The environment's built-in expert (questions must carry envs). */
mimic_status mimic_expert_builtin(const mimic_codec *codec, mimic_expert **out);
/* A policy as the expert (deterministic actions; ownership of p moves). */
mimic_status mimic_expert_policy(mimic_policy *p, const mimic_codec *codec, const char *name,
                                 mimic_expert **out);
/* An external program (docs/expert-protocol.md). */
mimic_status mimic_expert_program(const char *cmdline, const mimic_codec *codec, double timeout_s,
                                  mimic_expert **out);
/* A person at the terminal: questions to out, answers from in_fd (single
 * keys when the codec says so and in_fd is a terminal; lines otherwise). */
mimic_status mimic_expert_human(const mimic_codec *codec, int in_fd, FILE *out,
                                mimic_expert **out_expert);
/* People at a labeling page served on bind (NULL: 127.0.0.1) at port (0:
 * a free one), answering in any order (docs/web-expert.md). */
mimic_status mimic_expert_web(const mimic_codec *codec, const char *bind, int port, int agreement,
                              mimic_expert **out);
/* Agreement mode (agreement > 1): keeps every vote in session SESSION/votes
 * of store before its reply, and takes the votes stored there by an earlier
 * run. Nothing for other experts or agreement 1. */
mimic_status mimic_expert_web_votes(mimic_expert *e, mimic_labelstore *store, const char *session);
/* Tells a page how many answers the run holds and asks for in all (a
 * preference run's budget), for its progress. */
void mimic_expert_web_budget(mimic_expert *e, long answered, long budget);
/* Checks answer a to question i of q (a streaming expert's) and hands it to
 * q->deliver, which stores it (an undo: takes i's answer back). */
mimic_status mimic_expert_deliver(mimic_expert *e, const mimic_questions *q, size_t i,
                                  mimic_answer *a);

/* The labels a table expert can give, sorted and distinct (0 for other experts). */
size_t mimic_expert_table_labels(const mimic_expert *e, const char *const **labels);

/* An expert acting as a policy on environment states (ownership of e, and
 * of codec when not NULL, moves): every state is asked; a skip or quit is
 * an error. */
mimic_status mimic_policy_from_expert(mimic_expert *e, mimic_codec *codec, int obs_dim,
                                      mimic_policy **out);

#endif
