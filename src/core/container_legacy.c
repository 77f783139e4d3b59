/* Reading the binary policy layout of format version 1 (mimic before the
 * one container): MLP policies and reward networks, and the models inside
 * BC checkpoints written then.
 *
 *   magic "MIMICMDL", u32 version 1, u64 file size, u32 head, u32 flags
 *   (1 critic, 2 observation normalisation), u32 obs_dim, u32 act_dim,
 *   actor net, [critic net], f32 log_std_init, u64 n_params, f32 params,
 *   [f32 eps, f32 clip, f32 mean[obs_dim], f32 var[obs_dim]],
 *   u32 metadata length, metadata (a JSON object), u32 CRC-32
 *   (a net: u32 activation 0 tanh / 1 relu, u32 layers L, u32 widths[L+1])
 *
 * The layout is frozen, so this file carries its own small tables (head and
 * activation numbers, width and layer limits) rather than asking nn: core
 * stays below every other layer. A file is turned into exactly what a
 * version-2 file of its kind holds (meta "architecture" beside the
 * metadata's keys; arrays "params", "obs_mean", "obs_var"), so the policy
 * loader in nn has one code path and checks the parameter count, the
 * statistics and the architecture itself. The structure is checked here,
 * as the old reader did: the recorded size, the CRC, every count against
 * the bytes that remain, the widths and the ends of each network. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/container_impl.h"
#include "core/util.h"

#define V1_HEADER 20 /* magic, version, file size */
#define V1_MAX_LAYERS 16
#define V1_MAX_WIDTH (1 << 20)
#define V1_MAX_META (16u << 20)

static const char *const v1_heads[] = {NULL, "categorical", "gaussian", "regression"};
static const char *const v1_activations[] = {"tanh", "relu"};

typedef struct cursor {
  const uint8_t *p;
  size_t len, pos; /* the body ends at len - 4, before the CRC */
  const char *name;
} cursor;

static mimic_status need(cursor *r, size_t n, const char *field) {
  if (n > r->len - 4 - r->pos)
    return container_bad(r->name, "the file ends inside %s (byte %zu of %zu)", field, r->pos,
                         r->len);
  return MIMIC_OK;
}

static mimic_status get_u32(cursor *r, uint32_t *v, const char *field) {
  MIMIC_TRY(need(r, 4, field));
  *v = container_u32(r->p + r->pos);
  r->pos += 4;
  return MIMIC_OK;
}

static float f32_at(const uint8_t *p) {
  uint32_t u = container_u32(p);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* Reads a finite f32 into a JSON real. */
static mimic_status get_real(cursor *r, const char *field, json_t **out) {
  MIMIC_TRY(need(r, 4, field));
  float f = f32_at(r->p + r->pos);
  r->pos += 4;
  *out = json_real(f);
  if (!*out) return container_bad(r->name, "%s is not a finite number", field);
  return MIMIC_OK;
}

/* Reads one network ({"sizes": [...], "activation": ...}) that must map
 * `in` to `out` widths. */
static mimic_status get_net(cursor *r, const char *what, uint32_t in, uint32_t out, json_t **net) {
  uint32_t a, L;
  MIMIC_TRY(get_u32(r, &a, "the architecture"));
  if (a > 1) return container_bad(r->name, "%s activation %u is unknown", what, a);
  MIMIC_TRY(get_u32(r, &L, "the architecture"));
  if (L < 1 || L > V1_MAX_LAYERS)
    return container_bad(r->name, "%s has %u layers; allowed 1..%d", what, L, V1_MAX_LAYERS);
  uint32_t sizes[V1_MAX_LAYERS + 1];
  for (uint32_t l = 0; l <= L; l++) {
    MIMIC_TRY(get_u32(r, &sizes[l], "the architecture"));
    if (sizes[l] < 1 || sizes[l] > V1_MAX_WIDTH)
      return container_bad(r->name, "%s width %u (layer %u) is outside 1..%d", what, sizes[l], l,
                           V1_MAX_WIDTH);
  }
  if (sizes[0] != in || sizes[L] != out)
    return container_bad(r->name, "%s maps %u -> %u but it must map %u -> %u", what, sizes[0],
                         sizes[L], in, out);
  json_t *s = json_array();
  *net = json_pack("{s:o, s:s}", "sizes", s, "activation", v1_activations[a]);
  for (uint32_t l = 0; s && l <= L; l++) json_array_append_new(s, json_integer(sizes[l]));
  return *net ? MIMIC_OK : mimic_fail_nomem("a model header");
}

/* Reads n finite f32 values into out. */
static mimic_status get_f32s(cursor *r, float *out, size_t n, const char *field) {
  if (n > (r->len - 4 - r->pos) / 4)
    return container_bad(r->name, "the file ends inside %s (%zu values at byte %zu)", field, n,
                         r->pos);
  for (size_t i = 0; i < n; i++) {
    out[i] = f32_at(r->p + r->pos + 4 * i);
    if (!isfinite(out[i]))
      return container_bad(r->name, "%s[%zu] is not a finite number", field, i);
  }
  r->pos += 4 * n;
  return MIMIC_OK;
}

/* The metadata object (checked: no NUL, a JSON object, no key "architecture"). */
static mimic_status get_metadata(cursor *r, json_t **meta) {
  uint32_t n;
  MIMIC_TRY(get_u32(r, &n, "the metadata length"));
  if (n > V1_MAX_META || n > r->len - 4 - r->pos)
    return container_bad(r->name, "metadata length %u exceeds the file", n);
  const char *text = (const char *)r->p + r->pos;
  r->pos += n;
  if (memchr(text, 0, n)) return container_bad(r->name, "metadata contains a NUL byte");
  json_error_t err;
  *meta = json_loadb(text, n, JSON_REJECT_DUPLICATES, &err);
  if (!json_is_object(*meta)) {
    json_decref(*meta);
    *meta = NULL;
    return container_bad(r->name, "metadata is not a JSON object");
  }
  if (json_object_get(*meta, "architecture"))
    return container_bad(r->name, "metadata uses the key 'architecture', which a policy file "
                                  "keeps for its architecture");
  return MIMIC_OK;
}

/* The fixed part: size, CRC, head, flags, dims, networks, log_std_init. */
static mimic_status get_architecture(cursor *r, json_t *arch, uint32_t *obs_dim, uint32_t *flags) {
  const char *name = r->name;
  if (r->len < V1_HEADER + 4)
    return container_bad(name, "truncated model file (%zu bytes; the header alone is %d)", r->len,
                         V1_HEADER);
  uint64_t size = (uint64_t)container_u32(r->p + 12) | (uint64_t)container_u32(r->p + 16) << 32;
  if (size > r->len)
    return container_bad(name,
                         "truncated model file: the header records %llu bytes, the file "
                         "has %zu",
                         (unsigned long long)size, r->len);
  if (size < r->len)
    return container_bad(name,
                         "the header records %llu bytes but the file has %zu (trailing "
                         "data?)",
                         (unsigned long long)size, r->len);
  uint32_t want = container_u32(r->p + r->len - 4), got = mimic_crc32(0, r->p, r->len - 4);
  if (want != got)
    return container_bad(name,
                         "checksum mismatch (stored %08x, computed %08x): the file is "
                         "damaged",
                         want, got);
  r->pos = V1_HEADER;
  uint32_t head, act_dim;
  MIMIC_TRY(get_u32(r, &head, "the header"));
  MIMIC_TRY(get_u32(r, flags, "the header"));
  MIMIC_TRY(get_u32(r, obs_dim, "the header"));
  MIMIC_TRY(get_u32(r, &act_dim, "the header"));
  if (head < 1 || head > 3) return container_bad(name, "head kind %u is unknown", head);
  if (*flags & ~3u) return container_bad(name, "unknown flags 0x%x", *flags);
  if (*obs_dim < 1 || *obs_dim > V1_MAX_WIDTH || act_dim < 1 || act_dim > V1_MAX_WIDTH)
    return container_bad(name, "obs_dim %u or act_dim %u is outside 1..%d", *obs_dim, act_dim,
                         V1_MAX_WIDTH);
  json_object_set_new(arch, "head", json_string(v1_heads[head]));
  json_object_set_new(arch, "obs_dim", json_integer(*obs_dim));
  json_object_set_new(arch, "act_dim", json_integer(act_dim));
  json_t *net = NULL, *real = NULL;
  MIMIC_TRY(get_net(r, "actor", *obs_dim, act_dim, &net));
  json_object_set_new(arch, "actor", net);
  net = json_null();
  if (*flags & 1u) MIMIC_TRY(get_net(r, "critic", *obs_dim, 1, &net));
  json_object_set_new(arch, "critic", net);
  MIMIC_TRY(get_real(r, "log_std_init", &real));
  json_object_set_new(arch, "log_std_init", real);
  return MIMIC_OK;
}

/* Parameters and normalisation into one store; adds the arrays. */
static mimic_status get_arrays(cursor *r, json_t *arch, uint32_t obs_dim, bool norm,
                               mimic_container *c) {
  MIMIC_TRY(need(r, 8, "the parameter count"));
  uint64_t n = (uint64_t)container_u32(r->p + r->pos) | (uint64_t)container_u32(r->p + r->pos + 4)
                                                            << 32;
  r->pos += 8;
  if (n > (r->len - 4 - r->pos) / 4)
    return container_bad(r->name, "the file ends inside the parameters (%llu of them)",
                         (unsigned long long)n);
  size_t k = norm ? 2 * (size_t)obs_dim : 0;
  float *store = mimic_malloc(((size_t)n + k + 1) * sizeof(float), "model parameters");
  if (!store) return MIMIC_ERR_NOMEM;
  c->store = store;
  MIMIC_TRY(get_f32s(r, store, (size_t)n, "parameters"));
  MIMIC_TRY(mimic_container_add(c, "params", MIMIC_ARRAY_F4, store, n));
  json_t *on = json_null();
  if (norm) {
    json_t *eps, *clip;
    MIMIC_TRY(get_real(r, "observation eps", &eps));
    mimic_status st = get_real(r, "observation clip", &clip);
    if (st) {
      json_decref(eps);
      return st;
    }
    on = json_pack("{s:o, s:o}", "eps", eps, "clip", clip);
    if (!on) return mimic_fail_nomem("a model header");
    float *mean = store + n, *var = mean + obs_dim;
    st = get_f32s(r, mean, obs_dim, "observation mean");
    if (!st) st = get_f32s(r, var, obs_dim, "observation var");
    if (!st) st = mimic_container_add(c, "obs_mean", MIMIC_ARRAY_F4, mean, obs_dim);
    if (!st) st = mimic_container_add(c, "obs_var", MIMIC_ARRAY_F4, var, obs_dim);
    if (st) {
      json_decref(on);
      return st;
    }
  }
  json_object_set_new(arch, "obs_norm", on);
  return MIMIC_OK;
}

mimic_status container_read_policy_v1(const uint8_t *p, size_t len, mimic_container *c) {
  cursor r = {p, len, 0, c->name};
  uint32_t obs_dim, flags;
  json_t *arch = json_object(), *meta = NULL;
  if (!arch) return mimic_fail_nomem("a model header");
  mimic_status st = get_architecture(&r, arch, &obs_dim, &flags);
  if (!st) st = get_arrays(&r, arch, obs_dim, flags & 2u, c);
  if (!st) st = get_metadata(&r, &meta);
  if (!st && r.pos != len - 4)
    st = container_bad(c->name, "%zu unexpected bytes before the checksum", len - 4 - r.pos);
  if (!st) {
    const char *fmt = json_string_value(json_object_get(meta, "format"));
    bool reward = fmt && !strcmp(fmt, "mimic-reward-1");
    st = container_start(c, reward ? "mimic.reward" : "mimic.policy", 1);
  }
  if (!st) {
    json_object_set_new(meta, "architecture", arch);
    arch = NULL;
    json_decref(c->meta);
    c->meta = meta;
    meta = NULL;
    c->format_version = 1;
    c->legacy = "binary policy layout of format version 1";
  }
  json_decref(arch);
  json_decref(meta);
  return st;
}
