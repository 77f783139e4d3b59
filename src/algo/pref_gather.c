/* Who answers preference questions besides the synthetic oracle
 * (mimic/preferences.h): a person at a terminal, a program over the expert
 * protocol, and the label log that keeps every answer and replays them
 * when a killed run is started again. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loop/label_log.h"
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

/* ---- the label log ---------------------------------------------------------- */

struct mimic_pref_log {
  mimic_labelstore *store;
  int64_t session;
  mimic_label_list replay; /* the answers found when opened */
  long answers;            /* given so far, replayed ones first */
  char *labeler;
  mimic_pref_gather_fn inner;
  void *inner_user;
};

/* FNV-1a over a fragment pair's observations and actions: the question's
 * fingerprint, so a replayed answer is known to answer the same question. */
static uint64_t pair_hash(const mimic_fragment *a, const mimic_fragment *b) {
  uint64_t h = 1469598103934665603ULL;
  const mimic_fragment *f[2] = {a, b};
  for (int s = 0; s < 2; s++) {
    const unsigned char *parts[2] = {(const unsigned char *)f[s]->obs,
                                     (const unsigned char *)f[s]->actions};
    size_t lens[2] = {(size_t)f[s]->length * f[s]->obs_dim * sizeof(float),
                      (size_t)f[s]->length * f[s]->act_width * sizeof(float)};
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < lens[k]; i++) h = (h ^ parts[k][i]) * 1099511628211ULL;
  }
  return h;
}

static const char *label_of(double p, char *buf, size_t cap) {
  if (isnan(p)) return "skip";
  if (p == 1.0) return "first";
  if (p == 0.0) return "second";
  if (p == 0.5) return "equal";
  snprintf(buf, cap, "%.17g", p);
  return buf;
}

static mimic_status preference_of(const char *label, double *p) {
  if (!strcmp(label, "skip"))
    *p = NAN;
  else if (!strcmp(label, "first"))
    *p = 1.0;
  else if (!strcmp(label, "second"))
    *p = 0.0;
  else if (!strcmp(label, "equal"))
    *p = 0.5;
  else {
    char *end;
    *p = strtod(label, &end);
    if (*end || !(*p >= 0 && *p <= 1))
      return mimic_fail(MIMIC_ERR_FORMAT, "the answer \"%s\" is not a preference", label);
  }
  return MIMIC_OK;
}

mimic_status mimic_pref_log_open(const char *path, const char *name, const char *config_json,
                                 const char *labeler, mimic_pref_gather_fn inner, void *inner_user,
                                 mimic_pref_log **out) {
  *out = NULL;
  mimic_pref_log *l = calloc(1, sizeof *l);
  if (!l) return mimic_fail_nomem("the preference log");
  l->inner = inner;
  l->inner_user = inner_user;
  l->labeler = strdup(labeler ? labeler : "gatherer");
  bool resumed = false;
  char *kept = NULL;
  mimic_status st = l->labeler ? mimic_labelstore_open(path, NULL, &l->store)
                               : mimic_fail_nomem("the preference log");
  if (st == MIMIC_OK)
    st = mimic_labelstore_session_open(l->store, name, "preferences", config_json, &l->session,
                                       &resumed);
  if (st == MIMIC_OK && resumed) st = mimic_labelstore_session_config(l->store, l->session, &kept);
  if (st == MIMIC_OK && resumed && config_json && (!kept || strcmp(kept, config_json) != 0))
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "session '%s' was started with other settings (%s); give the same ones to "
                    "resume it, or another label log",
                    name, kept ? kept : "none recorded");
  free(kept);
  if (st == MIMIC_OK && resumed) st = mimic_labelstore_fetch(l->store, l->session, &l->replay);
  if (st != MIMIC_OK) {
    mimic_errctx("label log %s", path);
    mimic_pref_log_close(l, false);
    return mimic_errcode();
  }
  *out = l;
  return MIMIC_OK;
}

mimic_status mimic_pref_log_gather(void *user, const mimic_fragment *first,
                                   const mimic_fragment *second, int n, double *preference) {
  mimic_pref_log *l = user;
  for (int i = 0; i < n; i++) {
    char item[64], buf[32];
    snprintf(item, sizeof item, "comparison %ld/%016llx", l->answers + 1,
             (unsigned long long)pair_hash(&first[i], &second[i]));
    if ((size_t)l->answers < l->replay.n) {
      const mimic_label_record *r = &l->replay.r[l->answers];
      if (!r->item || strcmp(r->item, item) != 0)
        return mimic_fail(MIMIC_ERR_INVALID,
                          "label log: answer %ld was given to another question (%s, now %s): "
                          "the run's settings or seed differ from the logged run's",
                          l->answers + 1, r->item ? r->item : "none", item);
      MIMIC_TRY(preference_of(r->label, &preference[i]));
    } else {
      MIMIC_TRY(l->inner(l->inner_user, &first[i], &second[i], 1, &preference[i]));
      mimic_label_record rec = {.session = l->session,
                                .item = item,
                                .text = "preference between two fragments",
                                .label = (char *)label_of(preference[i], buf, sizeof buf),
                                .labeler = l->labeler};
      MIMIC_TRY(mimic_labelstore_add(l->store, &rec, NULL, NULL));
    }
    l->answers++;
  }
  return MIMIC_OK;
}

long mimic_pref_log_resumed(const mimic_pref_log *l) { return (long)l->replay.n; }

long mimic_pref_log_answers(const mimic_pref_log *l) { return l->answers; }

mimic_status mimic_pref_log_close(mimic_pref_log *l, bool finished) {
  if (!l) return MIMIC_OK;
  mimic_status st = MIMIC_OK;
  if (l->store && l->session)
    st = mimic_labelstore_session_close(l->store, l->session, finished ? "finished" : "quit");
  mimic_labelstore_close(l->store);
  mimic_label_list_free(&l->replay);
  free(l->labeler);
  free(l);
  return st;
}
