/* Preference questions on the labeling page (docs/web-expert.md): the web
 * expert of the loop layer serves them through a codec of comparisons whose
 * actions are "left", "right" and "equal" (a skip is the page's skip), so
 * answering, skipping, undo, several labelers and the token work as for
 * every other loop. Each answer goes to the label log (pref_log.c) through
 * the sink before its labeler is given the next pair.
 *
 * The clips are drawn by the environment's own renderer: a pair's picture
 * is one PNG, the left clip's frames in its top row and the right clip's
 * below, which the page plays as two animations and shows as strips. A
 * frame is drawn by setting the environment's state to the observation, so
 * only environments whose observation is their whole state get frames
 * (checked at open: CartPole, MountainCar); the others show a table of the
 * observations and actions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "loop/transport.h"
#include "mimic/preferences.h"

enum { SHOWN_MAX = 16, TILE_W = 200 };

static const char *const choice_names[3] = {"left", "right", "equal"};

typedef struct pair_ref {
  const mimic_fragment *left, *right;
} pair_ref;

struct mimic_pref_web {
  mimic_codec codec;
  mimic_expert *expert;
  mimic_env *env; /* draws the frames; NULL: a table instead */
  int rounds;
  long budget;
  const mimic_pref_sink *sink; /* the batch being answered */
};

static int n_names(const mimic_codec *c) {
  (void)c;
  return 3;
}

static const char *name(const mimic_codec *c, int k) {
  (void)c;
  return k >= 0 && k < 3 ? choice_names[k] : NULL;
}

/* The steps shown of a clip of length L: SHOWN_MAX at most, evenly spaced. */
static int shown_steps(int L, int *t) {
  const int K = L < SHOWN_MAX ? L : SHOWN_MAX;
  for (int k = 0; k < K; k++) t[k] = K > 1 ? (int)((long)k * (L - 1) / (K - 1)) : 0;
  return K;
}

/* A clip's observations and actions at the shown steps. */
static json_t *clip_json(const mimic_fragment *f, const int *t, int K) {
  json_t *obs = json_array(), *act = json_array();
  for (int k = 0; k < K; k++) {
    json_t *row = json_array();
    for (int d = 0; d < f->obs_dim; d++)
      json_array_append_new(row, json_real(f->obs[(size_t)t[k] * f->obs_dim + d]));
    json_array_append_new(obs, row);
    json_t *a = json_array();
    for (int d = 0; d < f->act_width; d++)
      json_array_append_new(a, json_real(f->actions[(size_t)t[k] * f->act_width + d]));
    json_array_append_new(act,
                          f->act_width == 1 ? json_incref(json_array_get(a, 0)) : json_incref(a));
    json_decref(a);
  }
  return json_pack("{s:o, s:o}", "observations", obs, "actions", act);
}

static mimic_status request(const mimic_codec *c, const mimic_questions *q, size_t i, json_t *req) {
  (void)c;
  const pair_ref *p = q->items[i];
  int t[SHOWN_MAX];
  const int K = shown_steps(p->left->length, t);
  json_t *steps = json_array();
  for (int k = 0; k < K; k++) json_array_append_new(steps, json_integer(t[k]));
  json_object_set_new(req, "steps", json_integer(p->left->length));
  json_object_set_new(req, "shown", steps);
  json_object_set_new(req, "left", clip_json(p->left, t, K));
  json_object_set_new(req, "right", clip_json(p->right, t, K));
  return MIMIC_OK;
}

/* Draws the state obs into a tile of the sheet (w x h pixels per tile). */
static mimic_status draw_tile(mimic_env *env, const float *obs, int D, uint8_t *frame, int fw,
                              int fh, int scale, uint8_t *sheet, int sheet_w, int x0, int y0) {
  double s[64];
  for (int d = 0; d < D; d++) s[d] = obs[d];
  MIMIC_TRY(mimic_env_set_state(env, s, D));
  int w = fw, h = fh;
  MIMIC_TRY(mimic_env_render_rgb(env, frame, &w, &h));
  for (int y = 0; y < fh / scale; y++) /* each tile pixel averages its block: thin lines stay */
    for (int x = 0; x < fw / scale; x++)
      for (int ch = 0; ch < 3; ch++) {
        int sum = 0;
        for (int dy = 0; dy < scale; dy++)
          for (int dx = 0; dx < scale; dx++)
            sum += frame[(((size_t)(y * scale + dy) * fw) + (size_t)(x * scale + dx)) * 3 + ch];
        sheet[((size_t)(y0 + y) * sheet_w + x0 + x) * 3 + ch] = (uint8_t)(sum / (scale * scale));
      }
  return MIMIC_OK;
}

static mimic_status picture(const mimic_codec *c, const mimic_questions *q, size_t i,
                            unsigned char **png, size_t *len) {
  const mimic_pref_web *w = c->ctx;
  *png = NULL;
  *len = 0;
  if (!w->env) return MIMIC_OK;
  const pair_ref *p = q->items[i];
  int t[SHOWN_MAX], fw = 0, fh = 0;
  const int K = shown_steps(p->left->length, t);
  MIMIC_TRY(mimic_env_render_rgb(w->env, NULL, &fw, &fh));
  const int scale = fw > TILE_W ? (fw + TILE_W - 1) / TILE_W : 1, tw = fw / scale, th = fh / scale,
            sheet_w = tw * K;
  uint8_t *frame = mimic_malloc((size_t)fw * fh * 3, "a frame");
  uint8_t *sheet = mimic_calloc((size_t)sheet_w * th * 2 * 3, 1, "the clips' frames");
  mimic_status st = frame && sheet ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (int side = 0; side < 2 && !st; side++) {
    const mimic_fragment *f = side ? p->right : p->left;
    for (int k = 0; k < K && !st; k++)
      st = draw_tile(w->env, f->obs + (size_t)t[k] * f->obs_dim, f->obs_dim, frame, fw, fh, scale,
                     sheet, sheet_w, k * tw, side * th);
  }
  if (!st) st = mimic_png_encode_rgb(sheet, sheet_w, th * 2, png, len);
  free(frame);
  free(sheet);
  if (st && st != MIMIC_ERR_NOMEM) { /* a state the renderer refuses: the page shows the table */
    MIMIC_WARN("comparison %s: no frames (%s)", q->keys ? q->keys[i] : "?", mimic_errmsg());
    free(*png);
    *png = NULL;
    *len = 0;
    return MIMIC_OK;
  }
  return st;
}

/* True when env's observation right after a reset is the leading part of
 * its state and its class takes that part alone as a state (the classic
 * control tasks' Gymnasium state), so setting the state to an observation
 * draws that observation's frame. */
static bool obs_is_state(mimic_env *env) {
  const mimic_space *os = mimic_env_obs_space(env);
  const int D = os->dim;
  float obs[64];
  double s[64];
  int fw = 0, fh = 0;
  if (D <= 0 || D > 64 || mimic_env_reset(env, 0, obs)) return false;
  if (mimic_env_get_state(env, s, 64) < D) return false;
  for (int d = 0; d < D; d++)
    if (fabs(s[d] - obs[d]) > 1e-6 * (1 + fabs(s[d]))) return false;
  if (mimic_env_set_state(env, s, D)) return false;
  return !mimic_env_render_rgb(env, NULL, &fw, &fh) && fw > 0 && fh > 0;
}

mimic_status mimic_pref_web_open(const char *spec, const char *bind, const char *env_id,
                                 const char *env_opts, int rounds, long budget, int agreement,
                                 mimic_pref_web **out) {
  *out = NULL;
  mimic_pref_web *w = mimic_calloc(1, sizeof *w, "the preference page");
  if (!w) return MIMIC_ERR_NOMEM;
  w->rounds = rounds;
  w->budget = budget;
  w->codec = (mimic_codec){.kind = "compare",
                           .space = {.kind = MIMIC_SPACE_DISCRETE, .n = 3, .dim = 1},
                           .ctx = w,
                           .n_names = n_names,
                           .name = name,
                           .request = request,
                           .picture = picture,
                           .noun = "choice"};
  mimic_status st = mimic_env_make(env_id, env_opts, &w->env);
  if (!st && !obs_is_state(w->env)) {
    mimic_env_free(w->env);
    w->env = NULL;
  }
  mimic_expert_opts o = {.bind = bind, .agreement = agreement};
  if (!st) st = mimic_expert_open(spec, &w->codec, &o, &w->expert);
  if (!st && strcmp(w->expert->cls->kind, "web"))
    st = mimic_fail(MIMIC_ERR_INVALID, "'%s' is not a labeling page (web[:PORT])", spec);
  if (st) {
    mimic_pref_web_close(w);
    return st;
  }
  *out = w;
  return MIMIC_OK;
}

mimic_status mimic_pref_web_votes(mimic_pref_web *w, mimic_pref_log *log, const char *name) {
  return mimic_expert_web_votes(w->expert, mimic_pref_log_store(log), name);
}

/* An answer from the page, stored through the batch's sink. */
static mimic_status deliver(void *ctx, const mimic_questions *q, size_t i, mimic_answer *a) {
  (void)q;
  mimic_pref_web *w = ctx;
  const mimic_pref_sink *s = w->sink;
  if (a->kind == MIMIC_ANSWER_UNDO) return s->undo(s->ctx, (int)i);
  double p = NAN; /* a skip */
  if (a->kind == MIMIC_ANSWER_ACTION) {
    const int k = (int)a->action[0];
    p = k == 0 ? 1.0 : k == 1 ? 0.0 : 0.5;
  }
  return s->store(s->ctx, (int)i, p, a->labeler);
}

mimic_status mimic_pref_web_gather(void *user, const mimic_fragment *first,
                                   const mimic_fragment *second, int n,
                                   const mimic_pref_sink *sink) {
  mimic_pref_web *w = user;
  pair_ref *pairs = mimic_malloc((size_t)n * sizeof *pairs, "the pairs");
  const void **items = mimic_malloc((size_t)n * sizeof *items, "the pairs");
  float *actions = mimic_malloc((size_t)n * sizeof *actions, "the answers");
  mimic_answer *answers = mimic_calloc((size_t)n, sizeof *answers, "the answers");
  mimic_status st = pairs && items && actions && answers ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (int i = 0; !st && i < n; i++) {
    pairs[i] = (pair_ref){&first[i], &second[i]};
    items[i] = &pairs[i];
    answers[i].action = &actions[i];
  }
  mimic_questions q = {.n = (size_t)n,
                       .items = (const void *const *)items,
                       .keys = sink->keys,
                       .round = sink->round,
                       .rounds = w->rounds,
                       .number = 1,
                       .count = (size_t)n,
                       .can_undo = true,
                       .deliver = deliver,
                       .deliver_ctx = w};
  w->sink = sink;
  if (!st) {
    mimic_expert_web_budget(w->expert, sink->answered, w->budget);
    st = mimic_expert_label(w->expert, &q, answers);
  }
  w->sink = NULL;
  for (int i = 0; answers && i < n; i++) free(answers[i].detail);
  free(pairs);
  free(items);
  free(actions);
  free(answers);
  return st;
}

void mimic_pref_web_round_done(mimic_pref_web *w, int round, const char *metric, double value) {
  if (w) mimic_expert_round_done(w->expert, round, metric, value);
}

void mimic_pref_web_close(mimic_pref_web *w) {
  if (!w) return;
  mimic_expert_free(w->expert);
  mimic_env_free(w->env);
  free(w);
}
