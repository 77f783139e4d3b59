/* The text codec: documents and their labels as programs, people and the
 * label log see them (mimic/expert.h).
 *
 * Items are mimic_text_doc. A program gets
 *   {"kind": "text", "item": key, "item_id": id, "text": ..., "labels": [...],
 *    "guesses": [{"label": ..., "p": ...}, ...], "round": r}
 * a person the text, indented, and the label list; the label log keeps the
 * text itself. The label list is the session's, fixed when it starts:
 * mimic_text_dagger_run sets it (mimic_text_codec_set_labels), so experts
 * made before the run read it when they are asked. A program's "labels"
 * list is built once per list and reused for every request. */
#include <stdlib.h>
#include <string.h>

#include "mimic/textloop.h"
#include "text/learner.h"
#include "text/linear_impl.h"
#include "text/codec.h"

typedef struct text_codec {
  mimic_labelset labels;
  json_t *names; /* the labels as a JSON array, for requests */
} text_codec;

static int tc_n_names(const mimic_codec *c) { return ((const text_codec *)c->ctx)->labels.n; }

static const char *tc_name(const mimic_codec *c, int k) {
  return ((const text_codec *)c->ctx)->labels.names[k];
}

/* The top guesses of question i (at most 3, probability > 0), best first. */
static json_t *guesses_json(const mimic_codec *c, const mimic_questions *q, size_t i) {
  json_t *g = json_array();
  if (!g || !q->guess_proba) return g;
  const double *p = q->guess_proba + i * (size_t)q->guess_k;
  int top[3], n = 0;
  for (int k = 0; k < q->guess_k; k++) {
    if (!(p[k] > 0) || (n == 3 && !(p[k] > p[top[2]]))) continue;
    int j = n < 3 ? n++ : 2;
    while (j > 0 && p[k] > p[top[j - 1]]) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = k;
  }
  for (int j = 0; j < n; j++)
    json_array_append_new(g, json_pack("{s:s, s:f}", "label", tc_name(c, top[j]), "p", p[top[j]]));
  return g;
}

static mimic_status tc_request_shared(const mimic_codec *c, const mimic_questions *q, json_t *req) {
  json_object_set(req, "labels", ((const text_codec *)c->ctx)->names);
  if (q->round) json_object_set_new(req, "round", json_integer(q->round));
  return MIMIC_OK;
}

static mimic_status tc_request(const mimic_codec *c, const mimic_questions *q, size_t i,
                               json_t *req) {
  const mimic_text_doc *d = q->items[i];
  if (q->keys) json_object_set_new(req, "item", json_string(q->keys[i]));
  if (q->ids && q->ids[i]) json_object_set_new(req, "item_id", json_string(q->ids[i]));
  json_object_set_new(req, "text", json_string(d->text));
  json_t *g = guesses_json(c, q, i);
  if (!g) return mimic_fail_nomem("a request");
  json_object_set_new(req, "guesses", g);
  return MIMIC_OK;
}

static mimic_status tc_show(const mimic_codec *c, const mimic_questions *q, size_t i, FILE *out) {
  (void)c;
  const mimic_text_doc *d = q->items[i];
  fprintf(out, "\n    ");
  for (const char *s = d->text; *s; s++) { /* indent continuation lines */
    fputc(*s, out);
    if (*s == '\n') fputs("    ", out);
  }
  fprintf(out, "\n\n");
  return MIMIC_OK;
}

static char *tc_state_text(const mimic_codec *c, const mimic_questions *q, size_t i) {
  (void)c;
  return mimic_strdup(((const mimic_text_doc *)q->items[i])->text);
}

static void tc_free(mimic_codec *c) {
  text_codec *t = c->ctx;
  if (!t) return;
  mimic_labelset_free(&t->labels);
  json_decref(t->names);
  free(t);
}

mimic_status mimic_text_codec(mimic_codec **out) {
  *out = NULL;
  mimic_codec *c = mimic_calloc(1, sizeof *c, "a text codec");
  text_codec *t = mimic_calloc(1, sizeof *t, "a text codec");
  if (!c || !t) {
    free(c);
    free(t);
    return MIMIC_ERR_NOMEM;
  }
  c->kind = "text";
  c->noun = "label";
  c->space = (mimic_space){.kind = MIMIC_SPACE_DISCRETE, .n = 0, .dim = 1};
  c->ctx = t;
  c->n_names = tc_n_names;
  c->name = tc_name;
  c->request_shared = tc_request_shared;
  c->request = tc_request;
  c->show = tc_show;
  c->state_text = tc_state_text;
  c->free_ctx = tc_free;
  *out = c;
  return MIMIC_OK;
}

mimic_status mimic_text_codec_set_labels(mimic_codec *c, const mimic_labelset *labels) {
  text_codec *t = c->ctx;
  mimic_labelset copy;
  MIMIC_TRY(mimic_labelset_copy(labels, &copy));
  json_t *names = json_array();
  for (int k = 0; names && k < copy.n; k++)
    json_array_append_new(names, json_string(copy.names[k]));
  if (!names) {
    mimic_labelset_free(&copy);
    return mimic_fail_nomem("labels");
  }
  mimic_labelset_free(&t->labels);
  json_decref(t->names);
  t->labels = copy;
  t->names = names;
  c->space.n = copy.n;
  return MIMIC_OK;
}
