/* Model files: a mimic_model in the model container (mimic/container.h,
 * docs/model-file.md), kind "mimic.policy".
 *
 * The model's one parameter allocation (actor | critic | log_std) is one
 * float32 array "params", so a save is one block copy and a load gives the
 * same floats bit for bit; the observation statistics are arrays
 * "obs_mean" and "obs_var". The architecture (head, widths, activations,
 * log_std_init, normalisation eps and clip) is meta "architecture"; the
 * model's free-form metadata object is the rest of meta, so Python finds
 * meta["env_id"] where it expects it. Other kinds that hold a model (a
 * reward network) use the same two functions with their own kind.
 *
 * Reading goes through the container, which checks the structure, CRC and
 * finiteness (and turns files of the old binary layout into this shape).
 * This file then checks what only nn knows: the architecture is valid, the
 * parameter count is what it implies, the statistics are usable, and no
 * array is missing or left over. The model is assembled in a temporary, so
 * a failed load leaves the caller's model untouched. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/nn.h"
#include "nn/cnn.h"
#include "nn/model.h"

#define ARCH "architecture"

/* ---- writing ------------------------------------------------------------- */

static json_t *net_json(const mimic_mlp *net) {
  json_t *sizes = json_array();
  for (int l = 0; sizes && l <= net->n_layers; l++)
    json_array_append_new(sizes, json_integer(net->sizes[l]));
  return json_pack("{s:o, s:s}", "sizes", sizes, "activation", mimic_activation_name(net->act));
}

/* {"image": [C, H, W], "layers": [{"channels", "kernel", "stride", "padding"}, ...]} */
static json_t *conv_json(const mimic_conv_config *v) {
  json_t *layers = json_array();
  for (int l = 0; layers && l < v->n_conv; l++)
    json_array_append_new(layers,
                          json_pack("{s:i, s:i, s:i, s:i}", "channels", v->channels[l], "kernel",
                                    v->kernel[l], "stride", v->stride[l], "padding", v->pad[l]));
  return json_pack("{s:[i, i, i], s:o}", "image", v->image[0], v->image[1], v->image[2], "layers",
                   layers);
}

static json_t *architecture_json(const mimic_model *m) {
  const mimic_model_config *c = &m->cfg;
  json_t *norm =
      m->obs_norm ? json_pack("{s:f, s:f}", "eps", (double)m->obs_eps, "clip", (double)m->obs_clip)
                  : json_null();
  json_t *a = json_pack("{s:s, s:i, s:i, s:o, s:o, s:f, s:o}", "head", mimic_head_name(c->head),
                        "obs_dim", c->obs_dim, "act_dim", c->act_dim, "actor", net_json(&m->actor),
                        "critic", c->critic ? net_json(&m->critic) : json_null(), "log_std_init",
                        (double)c->log_std_init, "obs_norm", norm);
  /* MLP files keep the key set they always had */
  if (a && c->conv.n_conv && json_object_set_new(a, "conv", conv_json(&c->conv))) {
    json_decref(a);
    return NULL;
  }
  if (a && c->gru_hidden &&
      json_object_set_new(a, "gru", json_pack("{s:i}", "hidden", c->gru_hidden))) {
    json_decref(a);
    return NULL;
  }
  if (a && c->tf.context &&
      json_object_set_new(a, "transformer",
                          json_pack("{s:i, s:i, s:i, s:i}", "context", c->tf.context, "layers",
                                    c->tf.layers, "heads", c->tf.heads, "embd", c->tf.embd))) {
    json_decref(a);
    return NULL;
  }
  /* written only when set, so files of unsquashed models stay as they were */
  if (a && c->squash) json_object_set_new(a, "squash", json_string("tanh"));
  return a;
}

mimic_status mimic_model_to_container(const mimic_model *m, mimic_container *c) {
  json_error_t err;
  json_t *meta = json_loads(m->metadata ? m->metadata : "{}", 0, &err);
  json_t *arch = architecture_json(m);
  mimic_status st = MIMIC_OK;
  if (!json_is_object(meta) || !arch)
    st = meta ? mimic_fail_nomem("a model header")
              : mimic_fail(MIMIC_ERR_INVALID, "model: metadata is not JSON: %s", err.text);
  if (!st && json_object_get(meta, ARCH))
    st = mimic_fail(MIMIC_ERR_INVALID, "model: metadata key '%s' is reserved", ARCH);
  if (!st && (json_object_update(c->meta, meta) || json_object_set(c->meta, ARCH, arch)))
    st = mimic_fail_nomem("a model header");
  if (!st) st = mimic_container_add(c, "params", MIMIC_ARRAY_F4, m->params, m->n_params);
  if (!st && m->obs_norm)
    st = mimic_container_add(c, "obs_mean", MIMIC_ARRAY_F4, m->obs_mean, (uint64_t)m->cfg.obs_dim);
  if (!st && m->obs_norm)
    st = mimic_container_add(c, "obs_var", MIMIC_ARRAY_F4, m->obs_var, (uint64_t)m->cfg.obs_dim);
  json_decref(meta);
  json_decref(arch);
  return st;
}

mimic_status mimic_model_encode(const mimic_model *m, uint8_t **buf, size_t *len) {
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, MIMIC_KIND_POLICY, 1));
  mimic_status st = mimic_model_to_container(m, &c);
  if (!st) st = mimic_container_encode(&c, buf, len);
  mimic_container_free(&c);
  return st;
}

mimic_status mimic_model_save(const mimic_model *m, const char *path) {
  mimic_container c;
  MIMIC_TRY(mimic_container_init(&c, MIMIC_KIND_POLICY, 1));
  mimic_status st = mimic_model_to_container(m, &c);
  if (st) mimic_errctx("%s", path);
  if (!st) st = mimic_container_save(&c, path);
  mimic_container_free(&c);
  return st;
}

/* ---- reading ------------------------------------------------------------- */

mimic_status mimic_model_config_compare(const mimic_model_config *a, const mimic_model_config *b) {
#define DIFF(fmt, x, y) return mimic_fail(MIMIC_ERR_INVALID, "architecture mismatch: " fmt, x, y)
  if (a->head != b->head)
    DIFF("head is %s, expected %s", mimic_head_name(a->head) ? mimic_head_name(a->head) : "?",
         mimic_head_name(b->head) ? mimic_head_name(b->head) : "?");
  if (a->obs_dim != b->obs_dim) DIFF("obs_dim is %d, expected %d", a->obs_dim, b->obs_dim);
  if (a->act_dim != b->act_dim) DIFF("act_dim is %d, expected %d", a->act_dim, b->act_dim);
  if (a->n_hidden != b->n_hidden)
    DIFF("actor has %d hidden layers, expected %d", a->n_hidden, b->n_hidden);
  for (int i = 0; i < a->n_hidden; i++)
    if (a->hidden[i] != b->hidden[i])
      return mimic_fail(MIMIC_ERR_INVALID,
                        "architecture mismatch: actor hidden layer %d has width %d, expected %d", i,
                        a->hidden[i], b->hidden[i]);
  if (a->activation != b->activation)
    DIFF("actor activation is %s, expected %s", mimic_activation_name(a->activation),
         mimic_activation_name(b->activation));
  if (a->squash != b->squash)
    DIFF("the file's actions are %s, expected %s", a->squash ? "squashed by tanh" : "unsquashed",
         b->squash ? "squashed" : "unsquashed");
  if (a->critic != b->critic)
    DIFF("the file has %s critic, expected %s", a->critic ? "a" : "no", b->critic ? "one" : "none");
  if (a->gru_hidden != b->gru_hidden)
    DIFF("the GRU has %d units, expected %d", a->gru_hidden, b->gru_hidden);
  if (memcmp(&a->tf, &b->tf, sizeof a->tf) != 0)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "architecture mismatch: the transformer (context %d, %d layers, %d heads, "
                      "width %d) differs from the expected (%d, %d, %d, %d)",
                      a->tf.context, a->tf.layers, a->tf.heads, a->tf.embd, b->tf.context,
                      b->tf.layers, b->tf.heads, b->tf.embd);
  if (a->conv.n_conv != b->conv.n_conv)
    DIFF("the file has %d conv layers, expected %d", a->conv.n_conv, b->conv.n_conv);
  for (int i = 0; i < 3; i++)
    if (a->conv.image[i] != b->conv.image[i])
      return mimic_fail(MIMIC_ERR_INVALID,
                        "architecture mismatch: image dimension %d is %d, expected %d", i,
                        a->conv.image[i], b->conv.image[i]);
  for (int l = 0; l < a->conv.n_conv; l++)
    if (a->conv.channels[l] != b->conv.channels[l] || a->conv.kernel[l] != b->conv.kernel[l] ||
        a->conv.stride[l] != b->conv.stride[l] || a->conv.pad[l] != b->conv.pad[l])
      return mimic_fail(MIMIC_ERR_INVALID, "architecture mismatch: conv layer %d differs", l);
  if (a->critic) {
    if (a->critic_n_hidden != b->critic_n_hidden)
      DIFF("critic has %d hidden layers, expected %d", a->critic_n_hidden, b->critic_n_hidden);
    for (int i = 0; i < a->critic_n_hidden; i++)
      if (a->critic_hidden[i] != b->critic_hidden[i])
        return mimic_fail(MIMIC_ERR_INVALID,
                          "architecture mismatch: critic hidden layer %d has width %d, expected %d",
                          i, a->critic_hidden[i], b->critic_hidden[i]);
    if (a->critic_activation != b->critic_activation)
      DIFF("critic activation is %s, expected %s", mimic_activation_name(a->critic_activation),
           mimic_activation_name(b->critic_activation));
  }
#undef DIFF
  return MIMIC_OK;
}

/* An integer field of o in lo..hi. */
static mimic_status arch_int(const mimic_container *c, const json_t *o, const char *key, int lo,
                             int hi, int *out) {
  const json_t *v = json_object_get(o, key);
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
    return mimic_container_fail(c, "meta." ARCH, "%s must be an integer in %d..%d", key, lo, hi);
  *out = (int)json_integer_value(v);
  return MIMIC_OK;
}

/* A finite number field of o. */
static mimic_status arch_float(const mimic_container *c, const json_t *o, const char *field,
                               const char *key, float *out) {
  const json_t *v = json_object_get(o, key);
  double d = json_number_value(v);
  if (!json_is_number(v) || !isfinite(d) || !isfinite((float)d))
    return mimic_container_fail(c, field, "%s must be a finite number", key);
  *out = (float)d;
  return MIMIC_OK;
}

/* One network: {"sizes": [in, hidden..., out], "activation": name}. */
static mimic_status arch_net(const mimic_container *c, const json_t *arch, const char *what, int in,
                             int out, int *hidden, int *n_hidden, mimic_activation *act) {
  const json_t *net = json_object_get(arch, what), *sizes = json_object_get(net, "sizes"),
               *an = json_object_get(net, "activation");
  char field[64];
  snprintf(field, sizeof field, "meta." ARCH ".%s", what);
  size_t n = json_array_size(sizes);
  if (!json_is_object(net) || json_object_size(net) != 2 || !json_is_array(sizes) || n < 2 ||
      n > MIMIC_MLP_MAX_LAYERS + 1 || !json_is_string(an))
    return mimic_container_fail(c, field,
                                "must be {\"sizes\": 2 to %d widths, \"activation\": a name}",
                                MIMIC_MLP_MAX_LAYERS + 1);
  int s[MIMIC_MLP_MAX_LAYERS + 1];
  for (size_t l = 0; l < n; l++) {
    const json_t *w = json_array_get(sizes, l);
    if (!json_is_integer(w) || json_integer_value(w) < 1 ||
        json_integer_value(w) > MIMIC_MLP_MAX_WIDTH)
      return mimic_container_fail(c, field, "width %zu is not an integer in 1..%d", l,
                                  MIMIC_MLP_MAX_WIDTH);
    s[l] = (int)json_integer_value(w);
  }
  if (s[0] != in || s[n - 1] != out)
    return mimic_container_fail(c, field, "the %s maps %d -> %d but it must map %d -> %d", what,
                                s[0], s[n - 1], in, out);
  int a = 0;
  while (mimic_activation_name((mimic_activation)a) &&
         strcmp(mimic_activation_name((mimic_activation)a), json_string_value(an)))
    a++;
  if (!mimic_activation_name((mimic_activation)a))
    return mimic_container_fail(c, field, "activation '%s' is unknown (tanh or relu)",
                                json_string_value(an));
  *n_hidden = (int)n - 2;
  for (size_t l = 1; l + 1 < n; l++) hidden[l - 1] = s[l];
  *act = (mimic_activation)a;
  return MIMIC_OK;
}

/* meta.architecture.conv -> cfg->conv; *features = what the actor reads. */
static mimic_status arch_conv(const mimic_container *c, const json_t *conv, mimic_model_config *cfg,
                              int *features) {
  const char *field = "meta." ARCH ".conv";
  const json_t *image = json_object_get(conv, "image"), *layers = json_object_get(conv, "layers");
  size_t n = json_array_size(layers);
  if (!json_is_object(conv) || json_object_size(conv) != 2 || json_array_size(image) != 3 ||
      !json_is_array(layers) || n < 1 || n > MIMIC_MODEL_MAX_CONV)
    return mimic_container_fail(c, field,
                                "must be {\"image\": [C, H, W], \"layers\": 1 to %d layers}",
                                MIMIC_MODEL_MAX_CONV);
  mimic_conv_config *v = &cfg->conv;
  for (int i = 0; i < 3; i++) {
    const json_t *d = json_array_get(image, i);
    if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 65536)
      return mimic_container_fail(c, field, "image dimension %d is not an integer in 1..65536", i);
    v->image[i] = (int)json_integer_value(d);
  }
  v->n_conv = (int)n;
  for (size_t l = 0; l < n; l++) {
    const json_t *L = json_array_get(layers, l);
    if (!json_is_object(L) || json_object_size(L) != 4)
      return mimic_container_fail(c, field, "layer %zu must be {channels, kernel, stride, padding}",
                                  l);
    MIMIC_TRY(arch_int(c, L, "channels", 1, 65536, &v->channels[l]));
    MIMIC_TRY(arch_int(c, L, "kernel", 1, 1024, &v->kernel[l]));
    MIMIC_TRY(arch_int(c, L, "stride", 1, 1024, &v->stride[l]));
    MIMIC_TRY(arch_int(c, L, "padding", 0, 1024, &v->pad[l]));
  }
  if ((long)v->image[0] * v->image[1] * v->image[2] != cfg->obs_dim)
    return mimic_container_fail(c, field, "an image of %d x %d x %d is not obs_dim %d values",
                                v->image[0], v->image[1], v->image[2], cfg->obs_dim);
  mimic_cnn_config cc = {
      .in_c = v->image[0], .in_h = v->image[1], .in_w = v->image[2], .n_conv = v->n_conv};
  for (int l = 0; l < v->n_conv; l++)
    cc.out_channels[l] = v->channels[l], cc.kernel[l] = v->kernel[l], cc.stride[l] = v->stride[l],
    cc.pad[l] = v->pad[l];
  *features = mimic_cnn_features(&cc);
  if (*features < 1) return mimic_container_fail(c, field, "the layers do not fit the image");
  return MIMIC_OK;
}

/* meta.architecture -> cfg (and the normalisation's eps and clip). */
static mimic_status read_architecture(const mimic_container *c, mimic_model_config *cfg, bool *norm,
                                      float *eps, float *clip) {
  static const char *const keys[] = {"head",   "obs_dim",      "act_dim",    "actor",
                                     "critic", "log_std_init", "obs_norm",   "conv",
                                     "gru",    "squash",       "transformer"};
  const json_t *arch = json_object_get(c->meta, ARCH);
  if (!json_is_object(arch)) return mimic_container_fail(c, "meta." ARCH, "missing");
  const char *key;
  const json_t *v;
  json_object_foreach((json_t *)arch, key, v) {
    bool known = false;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) known = known || !strcmp(key, keys[i]);
    if (!known) return mimic_container_fail(c, "meta." ARCH, "unknown key '%s'", key);
  }
  memset(cfg, 0, sizeof *cfg);
  const char *head = json_string_value(json_object_get(arch, "head"));
  for (int h = MIMIC_HEAD_CATEGORICAL; head && h <= MIMIC_HEAD_REGRESSION; h++)
    if (!strcmp(head, mimic_head_name((mimic_head_kind)h))) cfg->head = (mimic_head_kind)h;
  if (!cfg->head)
    return mimic_container_fail(c, "meta." ARCH ".head",
                                "must be \"categorical\", \"gaussian\" or \"regression\"");
  MIMIC_TRY(arch_int(c, arch, "obs_dim", 1, MIMIC_MLP_MAX_WIDTH, &cfg->obs_dim));
  MIMIC_TRY(arch_int(c, arch, "act_dim", 1, MIMIC_MLP_MAX_WIDTH, &cfg->act_dim));
  int actor_in = cfg->obs_dim;
  const json_t *conv = json_object_get(arch, "conv");
  if (conv) MIMIC_TRY(arch_conv(c, conv, cfg, &actor_in));
  const json_t *gru = json_object_get(arch, "gru");
  if (gru) {
    if (!json_is_object(gru) || json_object_size(gru) != 1)
      return mimic_container_fail(c, "meta." ARCH ".gru", "must be {\"hidden\": units}");
    MIMIC_TRY(arch_int(c, gru, "hidden", 1, 65536, &cfg->gru_hidden));
    actor_in = cfg->gru_hidden;
  }
  const json_t *tf = json_object_get(arch, "transformer");
  if (tf) {
    if (!json_is_object(tf) || json_object_size(tf) != 4)
      return mimic_container_fail(c, "meta." ARCH ".transformer",
                                  "must be {\"context\", \"layers\", \"heads\", \"embd\"}");
    MIMIC_TRY(arch_int(c, tf, "context", 1, 1024, &cfg->tf.context));
    MIMIC_TRY(arch_int(c, tf, "layers", 1, 32, &cfg->tf.layers));
    MIMIC_TRY(arch_int(c, tf, "heads", 1, 4096, &cfg->tf.heads));
    MIMIC_TRY(arch_int(c, tf, "embd", 1, 4096, &cfg->tf.embd));
    actor_in = cfg->tf.embd;
  }
  MIMIC_TRY(arch_net(c, arch, "actor", actor_in, cfg->act_dim, cfg->hidden, &cfg->n_hidden,
                     &cfg->activation));
  cfg->critic = !json_is_null(json_object_get(arch, "critic"));
  if (cfg->critic)
    MIMIC_TRY(arch_net(c, arch, "critic", cfg->obs_dim, 1, cfg->critic_hidden,
                       &cfg->critic_n_hidden, &cfg->critic_activation));
  MIMIC_TRY(arch_float(c, arch, "meta." ARCH, "log_std_init", &cfg->log_std_init));
  const json_t *sq = json_object_get(arch, "squash");
  if (sq && (!json_is_string(sq) || strcmp(json_string_value(sq), "tanh") != 0))
    return mimic_container_fail(c, "meta." ARCH ".squash", "must be \"tanh\" when present");
  if (sq && cfg->head == MIMIC_HEAD_CATEGORICAL)
    return mimic_container_fail(c, "meta." ARCH ".squash", "a categorical head is not squashed");
  cfg->squash = sq != NULL;
  const json_t *on = json_object_get(arch, "obs_norm");
  *norm = !json_is_null(on);
  if (*norm && (!json_is_object(on) || json_object_size(on) != 2))
    return mimic_container_fail(c, "meta." ARCH ".obs_norm", "must be null or {\"eps\", \"clip\"}");
  if (*norm) MIMIC_TRY(arch_float(c, on, "meta." ARCH ".obs_norm", "eps", eps));
  if (*norm) MIMIC_TRY(arch_float(c, on, "meta." ARCH ".obs_norm", "clip", clip));
  return MIMIC_OK;
}

/* The model's metadata: meta without the architecture, as compact JSON. */
static mimic_status read_metadata(const mimic_container *c, mimic_model *m) {
  json_t *rest = json_copy(c->meta);
  if (!rest) return mimic_fail_nomem("model metadata");
  json_object_del(rest, ARCH);
  char *text = json_dumps(rest, JSON_COMPACT);
  json_decref(rest);
  if (!text) return mimic_fail_nomem("model metadata");
  mimic_status st = mimic_model_set_metadata(m, text);
  free(text);
  return st;
}

/* Fills tmp from c; on failure the caller frees tmp. */
static mimic_status model_from(const mimic_container *c, const mimic_model_config *expect,
                               int max_batch, mimic_model *tmp) {
  mimic_model_config cfg;
  bool norm;
  float eps = 0, clip = 0;
  MIMIC_TRY(read_architecture(c, &cfg, &norm, &eps, &clip));
  if (expect && mimic_model_config_compare(&cfg, expect) != MIMIC_OK)
    return mimic_errctx("%s", c->name);
  MIMIC_TRY(mimic_model_create(tmp, &cfg, max_batch));
  const mimic_container_array *p = mimic_container_find(c, "params");
  if (!p || p->type != MIMIC_ARRAY_F4 || p->count != tmp->n_params)
    return mimic_container_fail(c, "array 'params'",
                                "the file holds %llu %s parameters but its architecture has %zu "
                                "float32 ones",
                                p ? (unsigned long long)p->count : 0ull,
                                p ? mimic_array_type_name(p->type) : "(no array of)",
                                tmp->n_params);
  memcpy(tmp->params, p->data, tmp->n_params * sizeof(float));
  if (c->n_arrays != (norm ? 3 : 1))
    return mimic_container_fail(c, "arrays", "a policy has 'params'%s and nothing else",
                                norm ? ", 'obs_mean' and 'obs_var'" : "");
  if (norm) {
    const void *mean, *var;
    MIMIC_TRY(mimic_container_get(c, "obs_mean", MIMIC_ARRAY_F4, (uint64_t)cfg.obs_dim, &mean));
    MIMIC_TRY(mimic_container_get(c, "obs_var", MIMIC_ARRAY_F4, (uint64_t)cfg.obs_dim, &var));
    if (mimic_model_set_obs_norm(tmp, mean, var, eps, clip) != MIMIC_OK)
      return mimic_errctx("%s", c->name);
  }
  if (read_metadata(c, tmp) != MIMIC_OK) return mimic_errctx("%s: meta", c->name);
  return MIMIC_OK;
}

mimic_status mimic_model_from_container(const mimic_container *c, const mimic_model_config *expect,
                                        int max_batch, mimic_model *m) {
  mimic_model tmp;
  memset(&tmp, 0, sizeof tmp);
  mimic_status st = model_from(c, expect, max_batch, &tmp);
  if (st != MIMIC_OK) {
    mimic_model_free(&tmp);
    return st;
  }
  *m = tmp;
  return MIMIC_OK;
}

/* A policy from a read container (freed here). */
static mimic_status load_policy(mimic_container *c, const mimic_model_config *expect, int max_batch,
                                mimic_model *m) {
  mimic_status st = mimic_container_expect(c, MIMIC_KIND_POLICY, 1);
  if (!st) st = mimic_model_from_container(c, expect, max_batch, m);
  mimic_container_free(c);
  return st;
}

mimic_status mimic_model_decode(const void *buf, size_t len, const char *name,
                                const mimic_model_config *expect, int max_batch, mimic_model *m) {
  mimic_container c;
  MIMIC_TRY(mimic_container_decode(buf, len, name, &c));
  return load_policy(&c, expect, max_batch, m);
}

mimic_status mimic_model_load(const char *path, const mimic_model_config *expect, int max_batch,
                              mimic_model *m) {
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  return load_policy(&c, expect, max_batch, m);
}

mimic_status mimic_model_copy(const mimic_model *src, int max_batch, mimic_model *dst) {
  uint8_t *buf;
  size_t len;
  MIMIC_TRY(mimic_model_encode(src, &buf, &len));
  mimic_status st = mimic_model_decode(buf, len, "a model copy", NULL, max_batch, dst);
  free(buf);
  return st;
}
