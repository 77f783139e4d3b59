/* Talking to an external program in JSON Lines. Internal to mimic (not
 * installed): users reach programs through experts (mimic/expert.h,
 * "cmd:PROGRAM ARGS") and environments ("--env cmd:PROGRAM", "gym:ID");
 * this is the transport under both, so it sits in core, below the envs and
 * loop layers that use it.
 *
 * Experts can be programs (a script calling an LLM, a legacy controller, a
 * person's labeling tool), and so can environments. mimic starts the program itself, without a
 * shell, writes one JSON object per line to its stdin and reads one JSON
 * object per line from its stdout. Every request carries an "id" and the
 * reply must echo it. Replies that do not arrive in time, a program that
 * exits, and lines that are not JSON are errors that say which request and
 * what was received. The protocols are documented in docs/expert-protocol.md
 * and docs/env-protocol.md. */
#ifndef MIMIC_CORE_PROC_H
#define MIMIC_CORE_PROC_H

#include <jansson.h>

#include "mimic/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mimic_proc mimic_proc;

/* Starts cmdline (split into words like a shell would, with '...' and "..."
 * quoting and backslash escapes, but never run by a shell). role names the
 * program in messages ("expert program"; a string that outlives p).
 * timeout_s bounds each reply (<= 0: no limit). */
mimic_status mimic_proc_start(const char *cmdline, const char *role, double timeout_s,
                              mimic_proc **out);
/* Same with the words already split (argv NULL-terminated, argv[0] looked up on PATH). */
mimic_status mimic_proc_spawn(char *const argv[], const char *role, double timeout_s,
                              mimic_proc **out);
/* Changes the bound on each reply from now on (<= 0: no limit). */
void mimic_proc_set_timeout(mimic_proc *p, double timeout_s);
/* The program's name (argv[0]), for messages. */
const char *mimic_proc_name(const mimic_proc *p);
/* From now on, NaN, Infinity and -Infinity in replies (Python's json module
 * writes them; JSON has no such words) arrive as the strings "NaN",
 * "Infinity" and "-Infinity", so a reader can name the field that holds one
 * instead of failing on the whole line. */
void mimic_proc_allow_nonfinite(mimic_proc *p);
/* Sends request (an object; "id" is set by this call) and waits for the
 * reply with the same id. *reply is a new reference on success. */
mimic_status mimic_proc_request(mimic_proc *p, json_t *request, json_t **reply);
/* Sends len raw bytes (the binary frames a protocol may switch to after
 * its JSON handshake); what names them in errors ("step frame 17"). */
mimic_status mimic_proc_send(mimic_proc *p, const void *data, size_t len, const char *what);
/* Reads exactly len raw bytes within the timeout; an exit, a hang or the
 * end of output is an error naming what was awaited. */
mimic_status mimic_proc_recv(mimic_proc *p, void *out, size_t len, const char *what);
/* Counts a reply read with mimic_proc_recv (for "after N replies"). */
void mimic_proc_count_reply(mimic_proc *p);
/* Number of replies received so far. */
long mimic_proc_replies(const mimic_proc *p);
/* Closes the program's stdin, waits briefly for it to exit, then ends it
 * (SIGTERM, then SIGKILL). NULL is fine. */
void mimic_proc_stop(mimic_proc *p);

/* Splits a command line into a NULL-terminated argv (malloc'd; free with
 * mimic_argv_free). Unbalanced quotes are an error. */
mimic_status mimic_argv_split(const char *cmdline, char ***argv);
/* Frees an argv from mimic_argv_split. */
void mimic_argv_free(char **argv);

#ifdef __cplusplus
}
#endif
#endif
