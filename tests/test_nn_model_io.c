/* Model files: save -> load round trips bit for bit; a file truncated at
 * every byte offset, or with any byte flipped, is a clean error; files of
 * the version-1 binary layout still load, and hostile ones with a valid
 * checksum (absurd counts, widths, lengths, NaNs) are clean errors; an
 * architecture in the meta that lies is a clean error; wrong version and
 * wrong architecture say so. Buffers
 * handed to the decoder are exact-size heap copies so ASan sees overreads. */
#include "nn_testutil.h"
#include "core/util.h"
#include "nn/model.h"

static void make_model(mimic_model *m, mimic_head_kind head, bool critic, bool norm) {
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, 5, 3, head);
  cfg.hidden[0] = 7;
  cfg.hidden[1] = 4;
  cfg.activation = MIMIC_ACT_RELU;
  cfg.critic = critic;
  cfg.critic_n_hidden = 1;
  cfg.critic_hidden[0] = 6;
  cfg.log_std_init = -0.5f;
  assert_int_equal(mimic_model_create(m, &cfg, 8), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 77);
  assert_int_equal(mimic_model_init_params(m, MIMIC_INIT_ORTHOGONAL, &rng), MIMIC_OK);
  if (m->log_std) m->log_std[1] = 0.25f;
  if (norm) {
    float mean[5] = {0.5f, -1, 2, 0, 3}, var[5] = {1, 2, 0.5f, 4, 0};
    assert_int_equal(mimic_model_set_obs_norm(m, mean, var, 1e-8f, 10.0f), MIMIC_OK);
  }
  assert_int_equal(
      mimic_model_set_metadata(m, "{\"env_id\": \"CartPole-v1\", \"bc\": {\"batch_size\": 32}}"),
      MIMIC_OK);
}

static uint8_t *slurp(const char *path, size_t *len) {
  char *d;
  assert_int_equal(mimic_read_file(path, &d, len), MIMIC_OK);
  return (uint8_t *)d;
}

static void spit(const char *path, const uint8_t *d, size_t len) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  if (len) assert_int_equal(fwrite(d, 1, len, fp), len);
  fclose(fp);
}

/* Decodes an exact-size heap copy of buf[0..len). */
static mimic_status decode(const uint8_t *buf, size_t len, const mimic_model_config *expect,
                           mimic_model *out) {
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, buf, len);
  mimic_status st = mimic_model_decode(len ? copy : NULL, len, "t.model", expect, 4, out);
  free(copy);
  return st;
}

static void fix_crc(uint8_t *b, size_t len) {
  uint32_t crc = mimic_crc32(0, b, len - 4);
  for (int i = 0; i < 4; i++) b[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

static void put32(uint8_t *b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}

static void assert_same_model(const mimic_model *a, const mimic_model *b) {
  assert_int_equal(mimic_model_config_compare(&a->cfg, &b->cfg), MIMIC_OK);
  assert_true(a->cfg.log_std_init == b->cfg.log_std_init);
  assert_int_equal(a->n_params, b->n_params);
  assert_memory_equal(a->params, b->params, a->n_params * sizeof(float));
  assert_int_equal(a->obs_norm, b->obs_norm);
  if (a->obs_norm) {
    assert_memory_equal(a->obs_mean, b->obs_mean, a->cfg.obs_dim * sizeof(float));
    assert_memory_equal(a->obs_var, b->obs_var, a->cfg.obs_dim * sizeof(float));
    assert_memory_equal(a->obs_scale, b->obs_scale, a->cfg.obs_dim * sizeof(float));
    assert_true(a->obs_eps == b->obs_eps && a->obs_clip == b->obs_clip);
  }
  assert_string_equal(a->metadata, b->metadata);
}

static void test_round_trip(void **state) {
  (void)state;
  const struct {
    mimic_head_kind head;
    bool critic, norm;
  } kinds[] = {{MIMIC_HEAD_GAUSSIAN, true, true},
               {MIMIC_HEAD_CATEGORICAL, false, false},
               {MIMIC_HEAD_REGRESSION, true, false}};
  for (int k = 0; k < 3; k++) {
    mimic_model m, l;
    make_model(&m, kinds[k].head, kinds[k].critic, kinds[k].norm);
    char *path = tu_tmp_path("round.model");
    assert_int_equal(mimic_model_save(&m, path), MIMIC_OK);
    assert_int_equal(mimic_model_load(path, &m.cfg, 16, &l), MIMIC_OK);
    assert_same_model(&m, &l);
    assert_int_equal(l.max_batch, 16);
    /* the loaded model computes what the saved one computes */
    float obs[2 * 5] = {0.1f, 0.2f, -0.3f, 0.4f, 5.0f, -1, 0, 1, 2, 3};
    assert_int_equal(mimic_model_forward(&m, obs, 2), MIMIC_OK);
    assert_int_equal(mimic_model_forward(&l, obs, 2), MIMIC_OK);
    assert_memory_equal(m.actor.out, l.actor.out, 2 * 3 * sizeof(float));
    /* and encodes to the same bytes */
    size_t len1, len2;
    uint8_t *f1 = slurp(path, &len1), *f2;
    assert_int_equal(mimic_model_encode(&l, &f2, &len2), MIMIC_OK);
    assert_int_equal(len1, len2);
    assert_memory_equal(f1, f2, len1);
    free(f1);
    free(f2);
    free(path);
    mimic_model_free(&m);
    mimic_model_free(&l);
  }
}

/* A copy is the same model and owns its own parameters. */
static void test_copy(void **state) {
  (void)state;
  mimic_model m, c;
  make_model(&m, MIMIC_HEAD_GAUSSIAN, true, true);
  assert_int_equal(mimic_model_copy(&m, 8, &c), MIMIC_OK);
  assert_same_model(&m, &c);
  assert_int_equal(c.max_batch, 8);
  assert_ptr_not_equal(c.params, m.params);
  float before = m.params[0];
  c.params[0] += 1.0f;
  assert_true(m.params[0] == before);
  mimic_model_free(&m);
  mimic_model_free(&c);
}

static void test_truncated_and_flipped(void **state) {
  (void)state;
  mimic_model m, l;
  make_model(&m, MIMIC_HEAD_GAUSSIAN, true, true);
  uint8_t *buf;
  size_t len;
  assert_int_equal(mimic_model_encode(&m, &buf, &len), MIMIC_OK);
  char *path = tu_tmp_path("trunc.model");
  /* every truncation, from the empty file to one byte short */
  for (size_t n = 0; n < len; n++) {
    memset(&l, 0xAB, sizeof l); /* must stay untouched on failure */
    mimic_model before = l;
    assert_int_equal(decode(buf, n, NULL, &l), MIMIC_ERR_FORMAT);
    assert_memory_equal(&l, &before, sizeof l);
    assert_true(strlen(mimic_errmsg()) > 10);
    spit(path, buf, n);
    assert_int_equal(mimic_model_load(path, NULL, 4, &l), MIMIC_ERR_FORMAT);
    assert_non_null(strstr(mimic_errmsg(), path));
  }
  /* every byte flipped, two ways */
  for (size_t i = 0; i < len; i++) {
    const uint8_t masks[2] = {0xFF, 0x01};
    for (int k = 0; k < 2; k++) {
      buf[i] ^= masks[k];
      assert_int_equal(decode(buf, len, NULL, &l), MIMIC_ERR_FORMAT);
      buf[i] ^= masks[k];
    }
  }
  /* a byte of trailing data */
  uint8_t *longer = malloc(len + 1);
  memcpy(longer, buf, len);
  longer[len] = 0;
  assert_int_equal(decode(longer, len + 1, NULL, &l), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "trailing"));
  free(longer);
  /* the intact bytes still load */
  assert_int_equal(decode(buf, len, NULL, &l), MIMIC_OK);
  mimic_model_free(&l);
  free(buf);
  free(path);
  mimic_model_free(&m);
}

/* Appends v little-endian in n bytes. */
static void put_le(uint8_t *b, size_t *at, uint64_t v, int n) {
  for (int i = 0; i < n; i++) b[(*at)++] = (uint8_t)(v >> (8 * i));
}

static void put_f32(uint8_t *b, size_t *at, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  put_le(b, at, u, 4);
}

static void put_net_v1(uint8_t *b, size_t *at, const mimic_mlp *net) {
  put_le(b, at, (uint32_t)net->act, 4);
  put_le(b, at, (uint32_t)net->n_layers, 4);
  for (int l = 0; l <= net->n_layers; l++) put_le(b, at, (uint32_t)net->sizes[l], 4);
}

/* The model in the binary layout of format version 1 (docs/model-file.md,
 * "Older layouts"), which mimic_model_encode wrote before the container:
 * old files must stay readable, by a reader as hard to fool as the new. */
static uint8_t *encode_v1(const mimic_model *m, size_t *len) {
  const mimic_model_config *c = &m->cfg;
  size_t meta_len = strlen(m->metadata), at = 0;
  uint8_t *b = calloc(1, 4096 + 4 * m->n_params + meta_len);
  memcpy(b, "MIMICMDL", 8);
  at = 8;
  put_le(b, &at, 1, 4);
  put_le(b, &at, 0, 8); /* the file size, set below */
  put_le(b, &at, (uint32_t)c->head, 4);
  put_le(b, &at, (c->critic ? 1u : 0u) | (m->obs_norm ? 2u : 0u), 4);
  put_le(b, &at, (uint32_t)c->obs_dim, 4);
  put_le(b, &at, (uint32_t)c->act_dim, 4);
  put_net_v1(b, &at, &m->actor);
  if (c->critic) put_net_v1(b, &at, &m->critic);
  put_f32(b, &at, c->log_std_init);
  put_le(b, &at, m->n_params, 8);
  for (size_t i = 0; i < m->n_params; i++) put_f32(b, &at, m->params[i]);
  if (m->obs_norm) {
    put_f32(b, &at, m->obs_eps);
    put_f32(b, &at, m->obs_clip);
    for (int k = 0; k < c->obs_dim; k++) put_f32(b, &at, m->obs_mean[k]);
    for (int k = 0; k < c->obs_dim; k++) put_f32(b, &at, m->obs_var[k]);
  }
  put_le(b, &at, meta_len, 4);
  memcpy(b + at, m->metadata, meta_len);
  at += meta_len + 4;
  size_t size_at = 12;
  put_le(b, &size_at, at, 8);
  fix_crc(b, at);
  *len = at;
  return b;
}

/* A model written in the version-1 layout reads back as the same model. */
static void test_reads_version_1(void **state) {
  (void)state;
  const mimic_head_kind heads[] = {MIMIC_HEAD_GAUSSIAN, MIMIC_HEAD_CATEGORICAL};
  for (int k = 0; k < 2; k++) {
    mimic_model m, l;
    make_model(&m, heads[k], k == 0, k == 0);
    size_t len;
    uint8_t *b = encode_v1(&m, &len);
    assert_int_equal(decode(b, len, &m.cfg, &l), MIMIC_OK);
    assert_same_model(&m, &l);
    free(b);
    mimic_model_free(&m);
    mimic_model_free(&l);
  }
}

static void expect_error(const uint8_t *b, size_t len, const char *needle) {
  mimic_model l;
  mimic_status st = decode(b, len, NULL, &l);
  if (st == MIMIC_OK) fail_msg("decoded a file that should fail with '%s'", needle);
  if (!strstr(mimic_errmsg(), needle))
    fail_msg("error '%s' does not mention '%s'", mimic_errmsg(), needle);
}

/* Hostile fields of the version-1 binary layout (its reader lives on). */
static void test_hostile_fields(void **state) {
  (void)state;
  mimic_model m;
  make_model(&m, MIMIC_HEAD_GAUSSIAN, true, true);
  uint8_t *good, *b;
  size_t len;
  good = encode_v1(&m, &len);
  b = malloc(len);
  /* offsets: magic 0, version 8, size 12, head 20, flags 24, obs 28, act 32,
   * actor activation 36, actor layers 40, actor widths 44.. */
  struct {
    size_t off;
    uint32_t v;
    const char *needle;
  } patches[] = {
      {8, 2, "version 2"},         {20, 9, "head kind 9"},
      {24, 0x10, "unknown flags"}, {28, 0, "obs_dim 0"},
      {32, 1u << 30, "act_dim"},   {36, 7, "activation 7"},
      {40, 1000, "1000 layers"},   {40, 0, "0 layers"},
      {44, 0, "width 0"},          {48, 0xFFFFFFFFu, "width 4294967295"},
      {48, 1000000, "parameters"}, {28, 6, "actor maps"},
      {24, 0, "parameters"}, /* no critic flag: the critic's bytes are read as the rest */
  };
  for (size_t k = 0; k < sizeof patches / sizeof patches[0]; k++) {
    memcpy(b, good, len);
    put32(b, patches[k].off, patches[k].v);
    fix_crc(b, len);
    expect_error(b, len, patches[k].needle);
  }
  /* a NaN parameter, a metadata length beyond the file, metadata that is not an object */
  size_t meta_len = strlen(m.metadata), meta_off = len - 4 - meta_len, param_off = 0;
  memcpy(b, good, len);
  /* the first float of the actor: after the architecture and log_std_init and n_params */
  param_off = 44 + 4 * 4 + 4 + 4 + 3 * 4 + 4 + 8;
  put32(b, param_off, 0x7FC00000u);
  fix_crc(b, len);
  expect_error(b, len, "not a finite number");
  memcpy(b, good, len);
  put32(b, meta_off - 4, 0x7FFFFFFFu);
  fix_crc(b, len);
  expect_error(b, len, "metadata length");
  memcpy(b, good, len);
  memcpy(b + meta_off, "[1,2,3]", 7);
  memset(b + meta_off + 7, ' ', meta_len - 7);
  fix_crc(b, len);
  expect_error(b, len, "JSON object");
  memcpy(b, good, len);
  b[meta_off + 3] = 0;
  fix_crc(b, len);
  expect_error(b, len, "NUL");
  memcpy(b, good, len);
  memcpy(b, "MIMICMDX", 8);
  expect_error(b, len, "not a mimic model");
  /* random damage with the checksum repaired: any outcome but a crash */
  mimic_rng rng;
  mimic_rng_seed(&rng, 123);
  int ok = 0;
  for (int it = 0; it < 4000; it++) {
    memcpy(b, good, len);
    int hits = 1 + (int)mimic_rng_integers(&rng, 0, 4);
    for (int h = 0; h < hits; h++) {
      size_t at = (size_t)mimic_rng_integers(&rng, 8, (int64_t)len - 4);
      b[at] = (uint8_t)mimic_rng_integers(&rng, 0, 256);
    }
    fix_crc(b, len);
    mimic_model l;
    if (decode(b, len, NULL, &l) == MIMIC_OK) {
      ok++;
      mimic_model_free(&l);
    } else {
      assert_true(strlen(mimic_errmsg()) > 10);
    }
  }
  assert_true(ok > 0 && ok < 4000); /* some damage is in parameter values, some is not */
  free(b);
  free(good);
  mimic_model_free(&m);
}

/* Re-encodes a policy's container after edit(case, c) and expects the
 * policy loader to refuse it with a message holding needle. */
static void expect_meta_lie(const uint8_t *good, size_t len, int which, const char *needle) {
  mimic_container c, w;
  assert_int_equal(mimic_container_decode(good, len, "lie.model", &c), MIMIC_OK);
  json_t *arch = json_object_get(c.meta, "architecture"), *actor = json_object_get(arch, "actor");
  double wide[1] = {0};
  switch (which) {
  case 0: json_object_set_new(arch, "head", json_string("softmax")); break;
  case 1: json_object_set_new(arch, "obs_dim", json_integer(0)); break;
  case 2: json_array_set_new(json_object_get(actor, "sizes"), 0, json_integer(6)); break;
  case 3: json_object_set_new(actor, "activation", json_string("gelu")); break;
  case 4: json_object_set_new(arch, "critic", json_integer(7)); break;
  case 5: json_object_set_new(arch, "log_std_init", json_string("x")); break;
  case 6: json_object_set_new(arch, "obs_norm", json_pack("{s:f}", "eps", 1e-8)); break;
  case 7: json_object_set_new(arch, "dropout", json_real(0.5)); break;
  case 8: json_object_del(c.meta, "architecture"); break;
  case 9: json_object_set_new(json_object_get(arch, "obs_norm"), "eps", json_real(-1)); break;
  case 10: assert_int_equal(mimic_container_add(&c, "extra", MIMIC_ARRAY_F8, wide, 1), 0); break;
  case 11: json_array_insert_new(json_object_get(actor, "sizes"), 1, json_integer(9)); break;
  case 12: json_object_set_new(arch, "act_dim", json_integer(1 << 30)); break;
  }
  const char *kind = which == 13 ? "mimic.reward" : MIMIC_KIND_POLICY;
  assert_int_equal(mimic_container_init(&w, kind, which == 14 ? 2 : 1), MIMIC_OK);
  json_object_update(w.meta, c.meta);
  for (int a = 0; a < c.n_arrays; a++) {
    const mimic_container_array *x = &c.arrays[a];
    assert_int_equal(mimic_container_add(&w, x->name, x->type, x->data, x->count), MIMIC_OK);
  }
  uint8_t *b;
  size_t n;
  assert_int_equal(mimic_container_encode(&w, &b, &n), MIMIC_OK);
  mimic_container_free(&w);
  mimic_container_free(&c);
  mimic_model l;
  if (decode(b, n, NULL, &l) == MIMIC_OK) fail_msg("case %d: loaded a lying file", which);
  if (!strstr(mimic_errmsg(), needle) || !strstr(mimic_errmsg(), "t.model"))
    fail_msg("case %d: '%s' lacks '%s' or the name", which, mimic_errmsg(), needle);
  free(b);
}

/* A version-2 policy whose meta lies about its architecture, or whose
 * arrays do not match it, is refused with the field named. */
static void test_lying_architecture(void **state) {
  (void)state;
  mimic_model m;
  make_model(&m, MIMIC_HEAD_GAUSSIAN, true, true);
  uint8_t *good;
  size_t len;
  assert_int_equal(mimic_model_encode(&m, &good, &len), MIMIC_OK);
  const char *needles[] = {"meta.architecture.head",
                           "obs_dim must be an integer",
                           "actor maps 6 -> 3",
                           "activation 'gelu' is unknown",
                           "meta.architecture.critic",
                           "log_std_init must be a finite number",
                           "meta.architecture.obs_norm",
                           "unknown key 'dropout'",
                           "meta.architecture: missing",
                           "observation eps",
                           "a policy has 'params', 'obs_mean' and 'obs_var'",
                           "parameters",
                           "act_dim must be an integer",
                           "not a 'mimic.policy'",
                           "newer than this mimic reads"};
  for (int k = 0; k < 15; k++) expect_meta_lie(good, len, k, needles[k]);
  free(good);
  mimic_model_free(&m);
}

static void test_wrong_architecture(void **state) {
  (void)state;
  mimic_model m, l;
  make_model(&m, MIMIC_HEAD_CATEGORICAL, true, false);
  char *path = tu_tmp_path("arch.model");
  assert_int_equal(mimic_model_save(&m, path), MIMIC_OK);
  mimic_model_config want = m.cfg;
  want.obs_dim = 8;
  assert_int_equal(mimic_model_load(path, &want, 4, &l), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "obs_dim is 5, expected 8"));
  assert_non_null(strstr(mimic_errmsg(), path));
  want = m.cfg;
  want.hidden[1] = 64;
  assert_int_equal(mimic_model_load(path, &want, 4, &l), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "hidden layer 1 has width 4, expected 64"));
  want = m.cfg;
  want.head = MIMIC_HEAD_GAUSSIAN;
  assert_int_equal(mimic_model_load(path, &want, 4, &l), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "head is categorical, expected gaussian"));
  want = m.cfg;
  want.critic = false;
  assert_int_equal(mimic_model_load(path, &want, 4, &l), MIMIC_ERR_INVALID);
  want = m.cfg;
  want.critic_activation = MIMIC_ACT_RELU;
  assert_int_equal(mimic_model_load(path, &want, 4, &l), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "critic activation"));
  /* missing file, bad folder */
  assert_int_equal(mimic_model_load("/nonexistent/x.model", NULL, 4, &l), MIMIC_ERR_NOT_FOUND);
  assert_int_equal(mimic_model_save(&m, "/nonexistent/x.model"), MIMIC_ERR_IO);
  /* metadata must be a JSON object */
  assert_int_equal(mimic_model_set_metadata(&m, "[1]"), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_model_set_metadata(&m, "{\"a\":"), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_model_set_metadata(&m, "{}"), MIMIC_OK);
  free(path);
  mimic_model_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_copy),
      cmocka_unit_test(test_truncated_and_flipped),
      cmocka_unit_test(test_reads_version_1),
      cmocka_unit_test(test_hostile_fields),
      cmocka_unit_test(test_lying_architecture),
      cmocka_unit_test(test_wrong_architecture),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
