/* Who answers preference questions besides the synthetic oracle
 * (mimic/preferences.h): a person at a terminal and a program over the
 * expert protocol (pref_log.c keeps their answers, pref_web.c serves a
 * page). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/proc.h"
#include "loop/transport.h"
#include "mimic/preferences.h"

/* ---- a person at the terminal ------------------------------------------ */

/* Writes one side's row of step t: its observation and action. */
static void put_side(FILE *out, const mimic_fragment *f, int t) {
  const int shown = f->obs_dim < 6 ? f->obs_dim : 6;
  for (int k = 0; k < shown; k++) fprintf(out, "%8.3f", (double)f->obs[(size_t)t * f->obs_dim + k]);
  if (shown < f->obs_dim) fprintf(out, " ...");
  fprintf(out, "  a=");
  for (int k = 0; k < f->act_width; k++)
    fprintf(out, "%s%g", k ? "," : "", (double)f->actions[(size_t)t * f->act_width + k]);
}

static void show_pair(mimic_pref_human *h, const mimic_fragment *a, const mimic_fragment *b) {
  FILE *out = h->out;
  const int rows = h->shown_steps > 0 ? h->shown_steps : 6, L = a->length;
  fprintf(out, "\ncomparison %ld: which clip is better? (observations and actions)\n",
          h->asked + 1);
  fprintf(out, "  step | LEFT\n       | RIGHT\n");
  for (int r = 0; r < rows && r < L; r++) {
    int t = rows > 1 ? (int)((long)r * (L - 1) / (rows - 1)) : 0;
    fprintf(out, "  %4d | ", t);
    put_side(out, a, t);
    fprintf(out, "\n       | ");
    put_side(out, b, t);
    fprintf(out, "\n");
  }
  fprintf(out, "1/l left better   2/r right better   e/= equal   s skip   q quit (resume later)\n");
}

/* The answer a line means: 1, 0, 0.5, NAN (skip); false if none. */
static bool parse_choice(const char *s, double *p, bool *quit) {
  *quit = false;
  if (!strcmp(s, "1") || !strcmp(s, "l") || !strcmp(s, "left"))
    *p = 1.0;
  else if (!strcmp(s, "2") || !strcmp(s, "r") || !strcmp(s, "right"))
    *p = 0.0;
  else if (!strcmp(s, "e") || !strcmp(s, "=") || !strcmp(s, "equal"))
    *p = 0.5;
  else if (!strcmp(s, "s") || !strcmp(s, "skip"))
    *p = NAN;
  else if (!strcmp(s, "q") || !strcmp(s, "quit"))
    *quit = true;
  else
    return false;
  return true;
}

mimic_status mimic_pref_human_gather(void *user, const mimic_fragment *first,
                                     const mimic_fragment *second, int n, double *preference) {
  mimic_pref_human *h = user;
  for (int i = 0; i < n; i++) {
    show_pair(h, &first[i], &second[i]);
    for (;;) {
      fprintf(h->out, "> ");
      fflush(h->out);
      char line[64];
      bool quit = false;
      if (!mimic_read_line_fd(h->in_fd, line, sizeof line)) {
        fprintf(h->out, "\n(end of input: quitting)\n");
        quit = true;
      } else if (!parse_choice(line, &preference[i], &quit)) {
        fprintf(h->out, "'%s'? answer 1, 2, e, s or q\n", line);
        continue;
      }
      if (quit)
        return mimic_fail(MIMIC_ERR_INTERRUPTED, "the person quit at comparison %ld", h->asked + 1);
      break;
    }
    h->asked++;
  }
  return MIMIC_OK;
}

/* ---- a program ----------------------------------------------------------- */

struct mimic_pref_program {
  mimic_proc *proc;
  char *cmdline, *env_id;
};

mimic_status mimic_pref_program_open(const char *cmdline, double timeout_s, const char *env_id,
                                     mimic_pref_program **out) {
  *out = NULL;
  mimic_pref_program *p = calloc(1, sizeof *p);
  if (!p) return mimic_fail_nomem("the preference program");
  p->cmdline = strdup(cmdline);
  p->env_id = strdup(env_id ? env_id : "");
  mimic_status st = p->cmdline && p->env_id
                        ? mimic_proc_start(cmdline, "expert program", timeout_s, &p->proc)
                        : mimic_fail_nomem("the preference program");
  if (st != MIMIC_OK) {
    mimic_pref_program_close(p);
    return st;
  }
  *out = p;
  return MIMIC_OK;
}

void mimic_pref_program_close(mimic_pref_program *p) {
  if (!p) return;
  mimic_proc_stop(p->proc);
  free(p->cmdline);
  free(p->env_id);
  free(p);
}

static json_t *fragment_json(const mimic_fragment *f) {
  json_t *o = json_object(), *obs = json_array(), *act = json_array();
  for (int t = 0; t < f->length; t++) {
    json_t *row = json_array();
    for (int k = 0; k < f->obs_dim; k++)
      json_array_append_new(row, json_real(f->obs[(size_t)t * f->obs_dim + k]));
    json_array_append_new(obs, row);
    if (f->act_width == 1) {
      json_array_append_new(act, json_real(f->actions[t]));
    } else {
      json_t *a = json_array();
      for (int k = 0; k < f->act_width; k++)
        json_array_append_new(a, json_real(f->actions[(size_t)t * f->act_width + k]));
      json_array_append_new(act, a);
    }
  }
  json_object_set_new(o, "observations", obs);
  json_object_set_new(o, "actions", act);
  return o;
}

/* The preference a reply says; the message names the request and field. */
static mimic_status reply_preference(const mimic_pref_program *p, const json_t *reply, long id,
                                     double *pref) {
  const json_t *v = json_object_get(reply, "preference");
  const json_t *choice = json_object_get(reply, "choice");
  if (json_is_true(json_object_get(reply, "skip"))) {
    *pref = NAN;
  } else if (v) {
    *pref = json_is_number(v) ? json_number_value(v) : NAN;
    if (!json_is_number(v) || !(*pref >= 0 && *pref <= 1))
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: reply %ld: \"preference\" must be a number in [0, 1]", p->cmdline, id);
  } else if (json_is_string(choice)) {
    const char *c = json_string_value(choice);
    if (!strcmp(c, "first"))
      *pref = 1.0;
    else if (!strcmp(c, "second"))
      *pref = 0.0;
    else if (!strcmp(c, "equal"))
      *pref = 0.5;
    else
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: reply %ld: \"choice\" is \"%s\"; it must be first, second or equal",
                        p->cmdline, id, c);
  } else {
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: reply %ld has no \"preference\", \"choice\" or \"skip\"", p->cmdline,
                      id);
  }
  return MIMIC_OK;
}

mimic_status mimic_pref_program_gather(void *user, const mimic_fragment *first,
                                       const mimic_fragment *second, int n, double *preference) {
  mimic_pref_program *p = user;
  for (int i = 0; i < n; i++) {
    json_t *req = json_object(), *reply = NULL;
    json_object_set_new(req, "kind", json_string("compare"));
    json_object_set_new(req, "env", json_string(p->env_id));
    json_object_set_new(req, "first", fragment_json(&first[i]));
    json_object_set_new(req, "second", fragment_json(&second[i]));
    mimic_status st = mimic_proc_request(p->proc, req, &reply);
    json_decref(req);
    if (st == MIMIC_OK) {
      st = reply_preference(p, reply, mimic_proc_replies(p->proc), &preference[i]);
      json_decref(reply);
    }
    if (st != MIMIC_OK) return st;
  }
  return MIMIC_OK;
}
