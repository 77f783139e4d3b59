/* Model files: the binary format of docs/model-format.md.
 *
 * Writing builds the whole file in memory (models are small), appends the
 * CRC-32 of every preceding byte and hands it to mimic_write_file_atomic,
 * so a crash leaves the old file or the new one, never a torn one.
 *
 * Reading treats the file as hostile. The file's size is bounded before
 * anything is allocated; the header's recorded size and then the CRC are
 * checked before any field is trusted; after that every field is read
 * through a bounds-checked cursor and every count is checked against the
 * bytes that remain before it sizes an allocation. Parameters, statistics
 * and metadata are validated (finite numbers, a JSON object) and the model
 * is assembled in a temporary, so a failed load leaves the caller's model
 * untouched. Every failure is a mimic_fail sentence naming the file.
 * All integers and floats are little-endian regardless of the host. */
#include "mimic/nn.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MODEL_MAGIC "MIMICMDL"
#define MODEL_VERSION 1u
#define MODEL_HEADER 20 /* magic, version, file size */
#define MODEL_MAX_FILE (1ull << 30)
#define MODEL_MAX_META (16u << 20)
#define FLAG_CRITIC 1u
#define FLAG_OBS_NORM 2u

/* ---- writing ------------------------------------------------------------- */

typedef struct wbuf {
  uint8_t *p;
  size_t len, cap;
  bool failed;
} wbuf;

static void put(wbuf *w, const void *src, size_t n) {
  if (w->failed) return;
  if (w->len + n > w->cap) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n) cap *= 2;
    uint8_t *q = mimic_realloc(w->p, cap, 1, "model file buffer");
    if (!q) {
      w->failed = true;
      return;
    }
    w->p = q;
    w->cap = cap;
  }
  memcpy(w->p + w->len, src, n);
  w->len += n;
}

static void put_u32(wbuf *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(w, b, 4);
}

static void put_u64(wbuf *w, uint64_t v) {
  put_u32(w, (uint32_t)v);
  put_u32(w, (uint32_t)(v >> 32));
}

static void put_f32(wbuf *w, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  put_u32(w, u);
}

static void put_f32s(wbuf *w, const float *f, size_t n) {
  for (size_t i = 0; i < n; i++) put_f32(w, f[i]);
}

static void put_net(wbuf *w, const mimic_mlp *net) {
  put_u32(w, (uint32_t)net->act);
  put_u32(w, (uint32_t)net->n_layers);
  for (int l = 0; l <= net->n_layers; l++) put_u32(w, (uint32_t)net->sizes[l]);
}

mimic_status mimic_model_encode(const mimic_model *m, uint8_t **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  wbuf w = {0};
  const mimic_model_config *c = &m->cfg;
  uint32_t flags = (c->critic ? FLAG_CRITIC : 0) | (m->obs_norm ? FLAG_OBS_NORM : 0);
  size_t meta_len = strlen(m->metadata);
  if (meta_len > MODEL_MAX_META)
    return mimic_fail(MIMIC_ERR_INVALID, "model: metadata is %zu bytes; at most 16 MiB", meta_len);
  put(&w, MODEL_MAGIC, 8);
  put_u32(&w, MODEL_VERSION);
  put_u64(&w, 0); /* file size, patched below */
  put_u32(&w, (uint32_t)c->head);
  put_u32(&w, flags);
  put_u32(&w, (uint32_t)c->obs_dim);
  put_u32(&w, (uint32_t)c->act_dim);
  put_net(&w, &m->actor);
  if (c->critic) put_net(&w, &m->critic);
  put_f32(&w, c->log_std_init);
  put_u64(&w, (uint64_t)m->n_params);
  put_f32s(&w, m->params, m->n_params);
  if (m->obs_norm) {
    put_f32(&w, m->obs_eps);
    put_f32(&w, m->obs_clip);
    put_f32s(&w, m->obs_mean, (size_t)c->obs_dim);
    put_f32s(&w, m->obs_var, (size_t)c->obs_dim);
  }
  put_u32(&w, (uint32_t)meta_len);
  put(&w, m->metadata, meta_len);
  put_u32(&w, 0); /* CRC, patched below */
  if (w.failed) {
    free(w.p);
    return MIMIC_ERR_NOMEM;
  }
  uint64_t size = w.len;
  for (int i = 0; i < 8; i++) w.p[12 + i] = (uint8_t)(size >> (8 * i));
  uint32_t crc = mimic_crc32(0, w.p, w.len - 4);
  for (int i = 0; i < 4; i++) w.p[w.len - 4 + i] = (uint8_t)(crc >> (8 * i));
  *buf = w.p;
  *len = w.len;
  return MIMIC_OK;
}

mimic_status mimic_model_save(const mimic_model *m, const char *path) {
  uint8_t *buf;
  size_t len;
  mimic_status st = mimic_model_encode(m, &buf, &len);
  if (st != MIMIC_OK) return mimic_errctx("%s", path);
  st = mimic_write_file_atomic(path, buf, len);
  free(buf);
  return st;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct rbuf {
  const uint8_t *p;
  size_t len, pos;
  const char *name;
} rbuf;

static mimic_status need(rbuf *r, size_t n, const char *field) {
  if (n > r->len - r->pos)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: the file ends inside %s (byte %zu of %zu)", r->name,
                      field, r->pos, r->len);
  return MIMIC_OK;
}

static uint32_t rd_u32(const uint8_t *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static mimic_status get_u32(rbuf *r, uint32_t *v, const char *field) {
  MIMIC_TRY(need(r, 4, field));
  *v = rd_u32(r->p + r->pos);
  r->pos += 4;
  return MIMIC_OK;
}

static mimic_status get_u64(rbuf *r, uint64_t *v, const char *field) {
  MIMIC_TRY(need(r, 8, field));
  *v = (uint64_t)rd_u32(r->p + r->pos) | (uint64_t)rd_u32(r->p + r->pos + 4) << 32;
  r->pos += 8;
  return MIMIC_OK;
}

/* Reads n floats; fails on a non-finite one, naming field and index. */
static mimic_status get_f32s(rbuf *r, float *out, size_t n, const char *field) {
  if (n > (r->len - r->pos) / 4)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: the file ends inside %s (%zu floats at byte %zu)",
                      r->name, field, n, r->pos);
  for (size_t i = 0; i < n; i++) {
    uint32_t u = rd_u32(r->p + r->pos + 4 * i);
    float f;
    memcpy(&f, &u, 4);
    if (!isfinite(f))
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s[%zu] is not a finite number", r->name, field, i);
    out[i] = f;
  }
  r->pos += 4 * n;
  return MIMIC_OK;
}

/* Reads one network's architecture: activation, layer count, widths. */
static mimic_status get_net(rbuf *r, const char *what, mimic_activation *act, int *sizes,
                            int *n_layers) {
  uint32_t a, L;
  MIMIC_TRY(get_u32(r, &a, "the architecture"));
  if (!mimic_activation_name((mimic_activation)a))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s activation %u is unknown", r->name, what, a);
  MIMIC_TRY(get_u32(r, &L, "the architecture"));
  if (L < 1 || L > MIMIC_MLP_MAX_LAYERS)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s has %u layers; allowed 1..%d", r->name, what, L,
                      MIMIC_MLP_MAX_LAYERS);
  for (uint32_t l = 0; l <= L; l++) {
    uint32_t s;
    MIMIC_TRY(get_u32(r, &s, "the architecture"));
    if (s < 1 || s > MIMIC_MLP_MAX_WIDTH)
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s width %u (layer %u) is outside 1..%d", r->name,
                        what, s, l, MIMIC_MLP_MAX_WIDTH);
    sizes[l] = (int)s;
  }
  *act = (mimic_activation)a;
  *n_layers = (int)L;
  return MIMIC_OK;
}

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
  if (a->critic != b->critic)
    DIFF("the file has %s critic, expected %s", a->critic ? "a" : "no", b->critic ? "one" : "none");
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

/* Parses the body after the checks on size and CRC; fills tmp. */
static mimic_status decode_body(rbuf *r, const mimic_model_config *expect, int max_batch,
                                mimic_model *tmp) {
  uint32_t head, flags, obs_dim, act_dim;
  MIMIC_TRY(get_u32(r, &head, "the header"));
  MIMIC_TRY(get_u32(r, &flags, "the header"));
  MIMIC_TRY(get_u32(r, &obs_dim, "the header"));
  MIMIC_TRY(get_u32(r, &act_dim, "the header"));
  if (!mimic_head_name((mimic_head_kind)head))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: head kind %u is unknown", r->name, head);
  if (flags & ~(FLAG_CRITIC | FLAG_OBS_NORM))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: unknown flags 0x%x", r->name, flags);
  if (obs_dim < 1 || obs_dim > MIMIC_MLP_MAX_WIDTH || act_dim < 1 || act_dim > MIMIC_MLP_MAX_WIDTH)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: obs_dim %u or act_dim %u is outside 1..%d", r->name,
                      obs_dim, act_dim, MIMIC_MLP_MAX_WIDTH);
  mimic_model_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.head = (mimic_head_kind)head;
  cfg.obs_dim = (int)obs_dim;
  cfg.act_dim = (int)act_dim;
  int sizes[MIMIC_MLP_MAX_LAYERS + 1], L;
  MIMIC_TRY(get_net(r, "actor", &cfg.activation, sizes, &L));
  if (sizes[0] != cfg.obs_dim || sizes[L] != cfg.act_dim)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: actor maps %d -> %d but obs_dim is %d and act_dim %d",
                      r->name, sizes[0], sizes[L], cfg.obs_dim, cfg.act_dim);
  cfg.n_hidden = L - 1;
  for (int i = 0; i < L - 1; i++) cfg.hidden[i] = sizes[i + 1];
  if (flags & FLAG_CRITIC) {
    MIMIC_TRY(get_net(r, "critic", &cfg.critic_activation, sizes, &L));
    if (sizes[0] != cfg.obs_dim || sizes[L] != 1)
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: critic maps %d -> %d; expected %d -> 1", r->name,
                        sizes[0], sizes[L], cfg.obs_dim);
    cfg.critic = true;
    cfg.critic_n_hidden = L - 1;
    for (int i = 0; i < L - 1; i++) cfg.critic_hidden[i] = sizes[i + 1];
  }
  MIMIC_TRY(get_f32s(r, &cfg.log_std_init, 1, "log_std_init"));
  if (expect) {
    mimic_status st = mimic_model_config_compare(&cfg, expect);
    if (st != MIMIC_OK) return mimic_errctx("%s", r->name);
  }
  uint64_t n_params;
  MIMIC_TRY(get_u64(r, &n_params, "the parameter count"));
  /* what the architecture implies, computed without allocating anything */
  int as[MIMIC_MLP_MAX_LAYERS + 1], cs[MIMIC_MLP_MAX_LAYERS + 1];
  as[0] = cs[0] = cfg.obs_dim;
  for (int i = 0; i < cfg.n_hidden; i++) as[i + 1] = cfg.hidden[i];
  as[cfg.n_hidden + 1] = cfg.act_dim;
  for (int i = 0; i < cfg.critic_n_hidden; i++) cs[i + 1] = cfg.critic_hidden[i];
  cs[cfg.critic_n_hidden + 1] = 1;
  uint64_t want = mimic_mlp_param_count(as, cfg.n_hidden + 2);
  if (cfg.critic) want += mimic_mlp_param_count(cs, cfg.critic_n_hidden + 2);
  if (cfg.head == MIMIC_HEAD_GAUSSIAN) want += cfg.act_dim;
  if (n_params != want)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: the file holds %llu parameters but its architecture has %llu", r->name,
                      (unsigned long long)n_params, (unsigned long long)want);
  if (n_params > (r->len - r->pos) / 4)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: the file ends inside the parameters", r->name);
  MIMIC_TRY(mimic_model_create(tmp, &cfg, max_batch));
  MIMIC_TRY(get_f32s(r, tmp->params, tmp->n_params, "parameters"));
  if (flags & FLAG_OBS_NORM) {
    float ec[2];
    MIMIC_TRY(get_f32s(r, ec, 2, "observation eps/clip"));
    MIMIC_TRY(get_f32s(r, tmp->obs_mean, obs_dim, "observation mean"));
    MIMIC_TRY(get_f32s(r, tmp->obs_var, obs_dim, "observation var"));
    /* set_obs_norm validates and derives the scale; it reads from copies it overwrites */
    float *copy = mimic_calloc(2 * (size_t)obs_dim, sizeof(float), "observation statistics");
    if (!copy) return MIMIC_ERR_NOMEM;
    memcpy(copy, tmp->obs_mean, 2 * (size_t)obs_dim * sizeof(float));
    mimic_status st = mimic_model_set_obs_norm(tmp, copy, copy + obs_dim, ec[0], ec[1]);
    free(copy);
    if (st != MIMIC_OK) return mimic_errctx("%s", r->name);
  }
  uint32_t meta_len;
  MIMIC_TRY(get_u32(r, &meta_len, "the metadata length"));
  if (meta_len > MODEL_MAX_META || meta_len > r->len - r->pos)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: metadata length %u exceeds the file", r->name,
                      meta_len);
  char *meta = mimic_malloc((size_t)meta_len + 1, "model metadata");
  if (!meta) return MIMIC_ERR_NOMEM;
  memcpy(meta, r->p + r->pos, meta_len);
  meta[meta_len] = '\0';
  r->pos += meta_len;
  mimic_status st = MIMIC_OK;
  if (strlen(meta) != meta_len)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: metadata contains a NUL byte", r->name);
  else if (mimic_model_set_metadata(tmp, meta) != MIMIC_OK)
    st = mimic_errctx("%s", r->name);
  free(meta);
  if (st != MIMIC_OK) return st;
  if (r->len - r->pos != 4)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %zu unexpected bytes before the checksum", r->name,
                      r->len - r->pos - 4);
  return MIMIC_OK;
}

mimic_status mimic_model_decode(const void *buf, size_t len, const char *name,
                                const mimic_model_config *expect, int max_batch, mimic_model *m) {
  const uint8_t *p = buf;
  if (!name) name = "model";
  if (len == 0 || !p) return mimic_fail(MIMIC_ERR_FORMAT, "%s: empty model file", name);
  if (len < 8 || memcmp(p, MODEL_MAGIC, 8) != 0) {
    if (memcmp(p, MODEL_MAGIC, len < 8 ? len : 8) == 0)
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: truncated model file (%zu bytes)", name, len);
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: not a mimic model file (bad magic number)", name);
  }
  if (len < MODEL_HEADER)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: truncated model file (%zu bytes; the header alone is %d)", name, len,
                      MODEL_HEADER);
  uint32_t version = rd_u32(p + 8);
  if (version != MODEL_VERSION)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: model format version %u is not supported (this build reads version %u)",
                      name, version, MODEL_VERSION);
  uint64_t size = (uint64_t)rd_u32(p + 12) | (uint64_t)rd_u32(p + 16) << 32;
  if (size != len) {
    if (size > len)
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: truncated model file: the header records %llu bytes, the file has %zu",
                        name, (unsigned long long)size, len);
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: the header records %llu bytes but the file has %zu (trailing data?)",
                      name, (unsigned long long)size, len);
  }
  if (len < MODEL_HEADER + 4)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: model file of %zu bytes is too short", name, len);
  uint32_t want = rd_u32(p + len - 4), got = mimic_crc32(0, p, len - 4);
  if (want != got)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: checksum mismatch (stored %08x, computed %08x): the file is corrupted",
                      name, want, got);
  rbuf r = {p, len, MODEL_HEADER, name}; /* the body must end 4 bytes (the CRC) before len */
  mimic_model tmp;
  memset(&tmp, 0, sizeof tmp);
  mimic_status st = decode_body(&r, expect, max_batch, &tmp);
  if (st != MIMIC_OK) {
    mimic_model_free(&tmp);
    return st;
  }
  *m = tmp;
  return MIMIC_OK;
}

mimic_status mimic_model_load(const char *path, const mimic_model_config *expect, int max_batch,
                              mimic_model *m) {
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return mimic_fail(errno == ENOENT ? MIMIC_ERR_NOT_FOUND : MIMIC_ERR_IO, "%s: cannot open: %s",
                      path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(fp);
    return mimic_fail(MIMIC_ERR_IO, "%s: not a regular file", path);
  }
  if ((unsigned long long)sb.st_size > MODEL_MAX_FILE) {
    fclose(fp);
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %lld bytes is larger than any model file (1 GiB)",
                      path, (long long)sb.st_size);
  }
  size_t len = (size_t)sb.st_size;
  uint8_t *buf = mimic_malloc(len, path);
  if (!buf) {
    fclose(fp);
    return MIMIC_ERR_NOMEM;
  }
  size_t got = len ? fread(buf, 1, len, fp) : 0;
  bool err = ferror(fp);
  fclose(fp);
  if (err || got != len) {
    free(buf);
    return mimic_fail(MIMIC_ERR_IO, "%s: read failed", path);
  }
  mimic_status st = mimic_model_decode(buf, len, path, expect, max_batch, m);
  free(buf);
  return st;
}

mimic_status mimic_model_copy(const mimic_model *src, int max_batch, mimic_model *dst) {
  uint8_t *buf;
  size_t len;
  MIMIC_TRY(mimic_model_encode(src, &buf, &len));
  mimic_status st = mimic_model_decode(buf, len, "a model copy", NULL, max_batch, dst);
  free(buf);
  return st;
}
