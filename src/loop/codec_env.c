/* The environment codec: how an environment's state looks to a program, a
 * person and the label log (control tasks, gridworlds, any registered
 * environment).
 *
 * A program gets {"env": id, "observation": [...], "action_space": {...}}
 * (docs/expert-protocol.md); a person the environment's own text picture
 * when the question carries the live environment (else the observation's
 * numbers), and answers with keys when the actions are discrete; the label
 * log keeps the observation as a JSON list of float32 values printed with
 * 9 significant digits, which read back to the same bits. */
#include <stdlib.h>
#include <string.h>

#include "mimic/expert.h"
#include "mimic/grid.h"

#include "core/util.h"

typedef struct env_codec {
  json_t *space; /* the action space as Gymnasium JSON, sent with every request */
  char id[64];
  char **names;  /* [n] copies of the action names, or NULL */
  float *bounds; /* Box: low then high */
  char **dims;   /* Box: [dim] copies of the dimensions' names, or NULL */
  char *picture; /* 64 KiB for render_text */
} env_codec;

static int env_n_names(const mimic_codec *c) {
  const env_codec *e = c->ctx;
  return e->names ? c->space.n : 0;
}

static const char *env_name(const mimic_codec *c, int k) {
  const env_codec *e = c->ctx;
  return e->names[k];
}

static mimic_status env_request_shared(const mimic_codec *c, const mimic_questions *q,
                                       json_t *req) {
  (void)q;
  const env_codec *e = c->ctx;
  json_object_set_new(req, "env", json_string(e->id));
  json_object_set(req, "action_space", e->space);
  return MIMIC_OK;
}

static mimic_status env_request(const mimic_codec *c, const mimic_questions *q, size_t i,
                                json_t *req) {
  (void)c;
  if (!q->obs) return mimic_fail(MIMIC_ERR_INVALID, "environment questions carry observations");
  json_t *obs = json_array();
  if (!obs) return mimic_fail_nomem("a request");
  const float *o = q->obs + i * (size_t)q->obs_dim;
  for (int j = 0; j < q->obs_dim; j++) json_array_append_new(obs, json_real(o[j]));
  json_object_set_new(req, "observation", obs);
  return MIMIC_OK;
}

/* A gridworld as a person reads it: the mission, the grid without the map
 * file's other header lines, and a legend of the cells it shows. */
static void show_grid(const mimic_env *env, const char *map, FILE *out) {
  fprintf(out, "mission: %s\n", mimic_grid_mission(env));
  bool seen_obj[128] = {false}, seen_col[128] = {false}, grid = false;
  for (const char *line = map; *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    const char *colon = memchr(line, ':', n);
    if (!grid && colon && colon + 1 < line + n && colon[1] == ' ') { /* "size: 5 5" */
      line += n + (end != NULL);
      continue;
    }
    grid = true;
    fprintf(out, "  %.*s\n", (int)n, line);
    for (size_t k = 0; k + 1 < n + 1; k += 2) {
      unsigned char a = (unsigned char)line[k], b = k + 1 < n ? (unsigned char)line[k + 1] : ' ';
      if (a < 128 && a != ' ' && a != '.') seen_obj[a] = true;
      if (b < 128 && strchr("><v^", a) == NULL) seen_col[b] = true;
    }
    line += n + (end != NULL);
  }
  static const char *const objects[][2] = {
      {"W", "wall"}, {"D", "door"}, {"L", "locked door"}, {"O", "open door"}, {"K", "key"},
      {"A", "ball"}, {"B", "box"},  {"G", "goal"},        {"V", "lava"},      {"F", "floor"}};
  static const char *const colours[][2] = {{"r", "red"},    {"g", "green"},  {"b", "blue"},
                                           {"p", "purple"}, {"y", "yellow"}, {"e", "grey"}};
  fprintf(out, "  legend: >> vv << ^^ you, facing that way;");
  for (size_t k = 0; k < sizeof objects / sizeof objects[0]; k++)
    if (seen_obj[(unsigned char)objects[k][0][0]])
      fprintf(out, " %s %s,", objects[k][0], objects[k][1]);
  fprintf(out, " then the colour:");
  for (size_t k = 0; k < sizeof colours / sizeof colours[0]; k++)
    if (seen_col[(unsigned char)colours[k][0][0]])
      fprintf(out, " %s %s", colours[k][0], colours[k][1]);
  fprintf(out, "\n");
  uint8_t obj[3];
  if (mimic_grid_carrying(env, obj, NULL))
    fprintf(out, "  carrying: a %s %s\n", mimic_grid_color_name(obj[1]),
            mimic_grid_object_name(obj[0]));
}

static mimic_status env_show(const mimic_codec *c, const mimic_questions *q, size_t i, FILE *out) {
  env_codec *e = c->ctx;
  if (q->envs) {
    MIMIC_TRY(mimic_env_render_text(q->envs[i], e->picture, 1 << 16));
    if (mimic_grid_is_grid(q->envs[i]))
      show_grid(q->envs[i], e->picture, out);
    else
      fprintf(out, "%s\n", e->picture);
    return MIMIC_OK;
  }
  if (!q->obs) return mimic_fail(MIMIC_ERR_INVALID, "nothing to show of this state");
  fprintf(out, "  observation:");
  for (int j = 0; j < q->obs_dim; j++)
    fprintf(out, " %.4g", (double)q->obs[i * (size_t)q->obs_dim + (size_t)j]);
  fprintf(out, "\n");
  return MIMIC_OK;
}

static char *env_state_text(const mimic_codec *c, const mimic_questions *q, size_t i) {
  (void)c;
  return mimic_float_list_text(q->obs + i * (size_t)q->obs_dim, q->obs_dim);
}

static void env_free(mimic_codec *c) {
  env_codec *e = c->ctx;
  if (!e) return;
  for (int k = 0; e->names && k < c->space.n; k++) free(e->names[k]);
  free(e->names);
  for (int j = 0; e->dims && j < c->space.dim; j++) free(e->dims[j]);
  free(e->dims);
  json_decref(e->space);
  free(e->bounds);
  free(e->picture);
  free(e);
}

/* The names of a Box action's dimensions, for a page's controls ("a[j]" where one has none). */
static mimic_status copy_dim_names(const mimic_env *like, mimic_codec *c, env_codec *e) {
  int dim = mimic_env_action_space(like)->dim;
  if (!(e->dims = mimic_calloc((size_t)dim, sizeof *e->dims, "dimension names")))
    return MIMIC_ERR_NOMEM;
  for (int j = 0; j < dim; j++) {
    const char *name = mimic_env_action_dim_name(like, j);
    if (!(e->dims[j] = name ? mimic_strdup(name) : mimic_asprintf("a[%d]", j)))
      return MIMIC_ERR_NOMEM;
  }
  c->dim_names = (const char *const *)e->dims;
  return MIMIC_OK;
}

mimic_status mimic_codec_env(const mimic_env *like, mimic_codec **out) {
  *out = NULL;
  mimic_codec *c = mimic_calloc(1, sizeof *c, "an environment codec");
  env_codec *e = mimic_calloc(1, sizeof *e, "an environment codec");
  if (!c || !e) {
    free(c);
    free(e);
    return MIMIC_ERR_NOMEM;
  }
  const mimic_space *as = mimic_env_action_space(like);
  c->kind = "state";
  c->space = *as;
  c->keys = as->kind == MIMIC_SPACE_DISCRETE;
  c->ctx = e;
  c->n_names = env_n_names;
  c->name = env_name;
  c->request_shared = env_request_shared;
  c->request = env_request;
  c->show = env_show;
  c->state_text = env_state_text;
  c->free_ctx = env_free;
  snprintf(e->id, sizeof e->id, "%s", mimic_env_id(like));
  char *text = mimic_space_json(as);
  mimic_status st = text ? MIMIC_OK : mimic_errcode();
  json_error_t err;
  if (st == MIMIC_OK && !(e->space = json_loads(text, 0, &err)))
    st = mimic_fail(MIMIC_ERR_INVALID, "cannot describe the action space: %s", err.text);
  free(text);
  if (st == MIMIC_OK && !(e->picture = mimic_malloc(1 << 16, "a picture"))) st = MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK && as->kind == MIMIC_SPACE_BOX) {
    if (!(e->bounds = mimic_malloc(2 * (size_t)as->dim * sizeof(float), "bounds"))) {
      st = MIMIC_ERR_NOMEM;
    } else {
      memcpy(e->bounds, as->low, (size_t)as->dim * sizeof(float));
      memcpy(e->bounds + as->dim, as->high, (size_t)as->dim * sizeof(float));
      c->space.low = e->bounds;
      c->space.high = e->bounds + as->dim;
    }
  }
  if (st == MIMIC_OK && as->kind == MIMIC_SPACE_BOX && mimic_env_action_dim_name(like, 0))
    st = copy_dim_names(like, c, e);
  if (st == MIMIC_OK && as->kind == MIMIC_SPACE_DISCRETE && mimic_env_action_name(like, 0)) {
    e->names = mimic_calloc((size_t)as->n, sizeof *e->names, "action names");
    if (!e->names) st = MIMIC_ERR_NOMEM;
    for (int k = 0; st == MIMIC_OK && k < as->n; k++) {
      const char *name = mimic_env_action_name(like, k);
      if (!(e->names[k] = name ? mimic_strdup(name) : mimic_asprintf("%d", k)))
        st = MIMIC_ERR_NOMEM;
    }
  }
  if (st) {
    mimic_codec_free(c);
    return st;
  }
  *out = c;
  return MIMIC_OK;
}
