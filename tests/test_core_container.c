/* The model container: round trips of every dtype, empty arrays and meta,
 * bit for bit and in the documented layout; the cheap probe; files of the
 * older layouts; and hostile input (truncation at every offset, flipped
 * bytes, huge counts, duplicate names, unknown dtypes, headers that are not
 * objects or not UTF-8, non-zero padding, trailing data, NaN, the wrong
 * kind) refused with a message naming the file. Buffers handed to the
 * decoder are exact-size heap copies so ASan sees any overread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/container.h"
#include "legacy_fixtures.h"
#include "core/util.h"

static const float f4[3] = {1.5f, -0.0f, 3.4028235e38f};
static const double f8[5] = {0.1, -2.5e-300, 1e300, 0.0, 42.0};
static const int32_t i4[1] = {-2147483647 - 1};
static const int64_t i8[2] = {INT64_MIN, 1234567890123456789LL};
static const uint8_t u1[7] = {0, 1, 2, 127, 128, 254, 255};

/* A container holding one array of each type, an empty one and meta. */
static void make(mimic_container *c) {
  assert_int_equal(mimic_container_init(c, "mimic.test", 3), MIMIC_OK);
  assert_int_equal(mimic_container_add(c, "u1", MIMIC_ARRAY_U1, u1, 7), MIMIC_OK);
  assert_int_equal(mimic_container_add(c, "f4", MIMIC_ARRAY_F4, f4, 3), MIMIC_OK);
  assert_int_equal(mimic_container_add(c, "empty", MIMIC_ARRAY_F8, NULL, 0), MIMIC_OK);
  assert_int_equal(mimic_container_add(c, "i4", MIMIC_ARRAY_I4, i4, 1), MIMIC_OK);
  assert_int_equal(mimic_container_add(c, "f8", MIMIC_ARRAY_F8, f8, 5), MIMIC_OK);
  assert_int_equal(mimic_container_add(c, "i8 with spaces, \xc3\xa9", MIMIC_ARRAY_I8, i8, 2),
                   MIMIC_OK);
  json_object_set_new(c->meta, "env_id", json_string("CartPole-v1"));
  json_object_set_new(c->meta, "nested", json_pack("{s:[i,f,b,n]}", "x", 1, 0.1, 1));
}

static uint8_t *encode(size_t *len) {
  mimic_container c;
  make(&c);
  uint8_t *b;
  assert_int_equal(mimic_container_encode(&c, &b, len), MIMIC_OK);
  mimic_container_free(&c);
  return b;
}

/* Decodes an exact-size heap copy of b[0..len) named "hostile.mimic". */
static mimic_status decode(const uint8_t *b, size_t len, mimic_container *c) {
  uint8_t *copy = malloc(len ? len : 1);
  if (len) memcpy(copy, b, len);
  mimic_status st = mimic_container_decode(len ? copy : NULL, len, "hostile.mimic", c);
  free(copy);
  return st;
}

/* Fails unless b is refused with a message naming the file and holding needle. */
static void expect_refused(const uint8_t *b, size_t len, const char *needle) {
  mimic_container c;
  if (decode(b, len, &c) == MIMIC_OK) fail_msg("decoded a file that should fail (%s)", needle);
  assert_int_equal(mimic_errcode(), MIMIC_ERR_FORMAT);
  if (!strstr(mimic_errmsg(), "hostile.mimic") || (needle && !strstr(mimic_errmsg(), needle)))
    fail_msg("'%s' does not name the file or lacks '%s'", mimic_errmsg(), needle ? needle : "");
  for (size_t i = 0; i < sizeof c; i++) assert_int_equal(((uint8_t *)&c)[i], 0);
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crc(uint8_t *b, size_t len) { put32(b + len - 4, mimic_crc32(0, b, len - 4)); }

/* A file of format version `version` with this header text, zero padding
 * to 8 and then body bytes as given, with a valid CRC. */
static uint8_t *raw(const char *header, const void *body, size_t body_len, uint32_t version,
                    size_t *len) {
  size_t H = strlen(header), pad = (8 - (16 + H) % 8) % 8;
  *len = 16 + H + pad + body_len + 4;
  uint8_t *b = calloc(1, *len);
  memcpy(b, "MIMICMDL", 8);
  put32(b + 8, version);
  put32(b + 12, (uint32_t)H);
  memcpy(b + 16, header, H);
  if (body_len) memcpy(b + 16 + H + pad, body, body_len);
  fix_crc(b, *len);
  return b;
}

static void expect_raw(const char *header, const void *body, size_t body_len, const char *needle) {
  size_t len;
  uint8_t *b = raw(header, body, body_len, 2, &len);
  expect_refused(b, len, needle);
  free(b);
}

static void assert_same(const mimic_container *c) {
  assert_string_equal(c->kind, "mimic.test");
  assert_int_equal(c->kind_version, 3);
  assert_int_equal(c->format_version, 2);
  assert_null(c->legacy);
  assert_int_equal(c->n_arrays, 6);
  const void *x;
  assert_int_equal(mimic_container_get(c, "u1", MIMIC_ARRAY_U1, 7, &x), MIMIC_OK);
  assert_memory_equal(x, u1, sizeof u1);
  assert_int_equal(mimic_container_get(c, "f4", MIMIC_ARRAY_F4, 3, &x), MIMIC_OK);
  assert_memory_equal(x, f4, sizeof f4); /* -0.0 keeps its sign: bit for bit */
  assert_int_equal(mimic_container_get(c, "empty", MIMIC_ARRAY_F8, 0, &x), MIMIC_OK);
  assert_int_equal(mimic_container_get(c, "i4", MIMIC_ARRAY_I4, 1, &x), MIMIC_OK);
  assert_memory_equal(x, i4, sizeof i4);
  assert_int_equal(mimic_container_get(c, "f8", MIMIC_ARRAY_F8, 5, &x), MIMIC_OK);
  assert_memory_equal(x, f8, sizeof f8);
  assert_int_equal(mimic_container_get(c, "i8 with spaces, \xc3\xa9", MIMIC_ARRAY_I8, 2, &x),
                   MIMIC_OK);
  assert_memory_equal(x, i8, sizeof i8);
  for (int a = 0; a < c->n_arrays; a++) assert_int_equal((uintptr_t)c->arrays[a].data % 8, 0);
  assert_string_equal(json_string_value(json_object_get(c->meta, "env_id")), "CartPole-v1");
  json_t *want = json_pack("{s:[i,f,b,n]}", "x", 1, 0.1, 1);
  assert_true(json_equal(json_object_get(c->meta, "nested"), want));
  json_decref(want);
}

static void test_round_trip(void **state) {
  (void)state;
  size_t len, len2;
  uint8_t *b = encode(&len), *b2 = encode(&len2);
  assert_int_equal(len, len2);
  assert_memory_equal(b, b2, len); /* the same container, the same bytes */
  mimic_container c;
  assert_int_equal(decode(b, len, &c), MIMIC_OK);
  assert_same(&c);
  /* a read container encodes back to the same bytes */
  uint8_t *b3;
  size_t len3;
  assert_int_equal(mimic_container_encode(&c, &b3, &len3), MIMIC_OK);
  assert_int_equal(len3, len);
  assert_memory_equal(b3, b, len);
  mimic_container_free(&c);
  /* through a file */
  char *path = tu_tmp_path("round.mimic");
  make(&c);
  assert_int_equal(mimic_container_save(&c, path), MIMIC_OK);
  mimic_container_free(&c);
  assert_int_equal(mimic_container_read(path, &c), MIMIC_OK);
  assert_same(&c);
  assert_string_equal(c.name, path);
  assert_int_equal(mimic_container_expect(&c, "mimic.test", 3), MIMIC_OK);
  mimic_container_free(&c);
  char kind[64];
  int kv = 0;
  assert_int_equal(mimic_container_probe(path, kind, sizeof kind, &kv), MIMIC_OK);
  assert_string_equal(kind, "mimic.test");
  assert_int_equal(kv, 3);
  assert_int_equal(mimic_container_probe(path, kind, 5, &kv), MIMIC_ERR_INVALID);
  /* an empty container */
  assert_int_equal(mimic_container_init(&c, "empty-kind_1", 1), MIMIC_OK);
  assert_int_equal(mimic_container_save(&c, path), MIMIC_OK);
  mimic_container_free(&c);
  assert_int_equal(mimic_container_read(path, &c), MIMIC_OK);
  assert_int_equal(c.n_arrays, 0);
  assert_int_equal(json_object_size(c.meta), 0);
  mimic_container_free(&c);
  free(path);
  free(b);
  free(b2);
  free(b3);
}

/* The bytes are what docs/model-file.md says. */
static void test_layout(void **state) {
  (void)state;
  size_t len;
  uint8_t *b = encode(&len);
  assert_memory_equal(b, "MIMICMDL", 8);
  assert_int_equal(rd32(b + 8), 2);
  uint32_t H = rd32(b + 12);
  json_t *h = json_loadb((const char *)b + 16, H, 0, NULL);
  assert_non_null(h);
  const char *keys[] = {"format", "version", "kind", "kind_version", "meta", "arrays"};
  const char *key;
  json_t *v;
  int i = 0;
  json_object_foreach(h, key, v) assert_string_equal(key, keys[i++]);
  assert_int_equal(i, 6);
  assert_string_equal(json_string_value(json_object_get(h, "format")), "mimic-model");
  assert_int_equal(json_integer_value(json_object_get(h, "version")), 2);
  assert_string_equal(json_string_value(json_object_get(h, "kind")), "mimic.test");
  assert_int_equal(json_integer_value(json_object_get(h, "kind_version")), 3);
  const char *dtypes[] = {"|u1", "<f4", "<f8", "<i4", "<f8", "<i8"};
  const size_t sizes[] = {1, 4, 8, 4, 8, 8}, counts[] = {7, 3, 0, 1, 5, 2};
  const void *data[] = {u1, f4, NULL, i4, f8, i8};
  size_t off = 16 + H;
  for (int a = 0; a < 6; a++) {
    json_t *e = json_array_get(json_object_get(h, "arrays"), (size_t)a);
    assert_string_equal(json_string_value(json_object_get(e, "dtype")), dtypes[a]);
    assert_int_equal(json_integer_value(json_object_get(e, "count")), counts[a]);
    while (off % 8) assert_int_equal(b[off++], 0); /* zero padding up to a multiple of 8 */
    if (counts[a]) assert_memory_equal(b + off, data[a], sizes[a] * counts[a]); /* LE host */
    off += sizes[a] * counts[a];
  }
  assert_int_equal(off + 4, len);
  assert_int_equal(rd32(b + off), mimic_crc32(0, b, off));
  json_decref(h);
  free(b);
}

/* Every truncation and every flipped byte is refused, naming the file. */
static void test_truncated_and_flipped(void **state) {
  (void)state;
  size_t len;
  uint8_t *b = encode(&len);
  for (size_t n = 0; n < len; n++) expect_refused(b, n, n ? NULL : "empty");
  uint32_t H = rd32(b + 12);
  for (size_t i = 0; i < len; i++) {
    const uint8_t masks[2] = {0x01, 0xFF};
    for (int k = 0; k < 2; k++) {
      b[i] ^= masks[k];
      /* past the header only the checksum can tell */
      expect_refused(b, len, i >= 16 + H ? "checksum" : NULL);
      b[i] ^= masks[k];
    }
  }
  uint8_t *longer = calloc(1, len + 3);
  memcpy(longer, b, len);
  expect_refused(longer, len + 3, "3 bytes of trailing data");
  /* random damage with the checksum repaired: refused or read, never a crash */
  mimic_container c;
  uint64_t x = 88172645463325252ull;
  for (int it = 0; it < 3000; it++) {
    memcpy(longer, b, len);
    for (int hits = 0; hits < 1 + it % 4; hits++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      longer[8 + x % (len - 12)] = (uint8_t)(x >> 32);
    }
    fix_crc(longer, len);
    if (decode(longer, len, &c) == MIMIC_OK)
      mimic_container_free(&c);
    else
      assert_non_null(strstr(mimic_errmsg(), "hostile.mimic"));
  }
  free(longer);
  free(b);
}

static void test_hostile_headers(void **state) {
  (void)state;
  const double one[1] = {1.0};
  uint8_t eight[8] = {0};
  const char *ok_tail = "\"kind\":\"k\",\"kind_version\":1,\"meta\":{}";
  char h[1024];
  /* the honest file first */
  snprintf(h, sizeof h,
           "{\"format\":\"mimic-model\",\"version\":2,%s,\"arrays\":[{\"name\":\"a\",\"dtype\":"
           "\"<f8\",\"count\":1}]}",
           ok_tail);
  size_t len;
  uint8_t *b = raw(h, one, 8, 2, &len);
  mimic_container c;
  assert_int_equal(decode(b, len, &c), MIMIC_OK);
  mimic_container_free(&c);
  free(b);
  struct {
    const char *arrays, *needle;
  } tables[] = {
      {"[{\"name\":\"a\",\"dtype\":\"<f8\",\"count\":9007199254740991}]", "count that fits"},
      {"[{\"name\":\"a\",\"dtype\":\"|u1\",\"count\":4294967296}]", "count that fits"},
      {"[{\"name\":\"a\",\"dtype\":\"<f8\",\"count\":-1}]", "count that fits"},
      {"[{\"name\":\"a\",\"dtype\":\"<f8\",\"count\":1.0}]", "count that fits"},
      {"[{\"name\":\"a\",\"dtype\":\"<f2\",\"count\":1}]", "dtype"},
      {"[{\"name\":\"a\",\"dtype\":\"<f8\",\"count\":1},{\"name\":\"a\",\"dtype\":\"|u1\","
       "\"count\":0}]",
       "array 'a' is listed twice"},
      {"[{\"name\":\"\",\"dtype\":\"<f8\",\"count\":1}]", "arrays[0].name"},
      {"[{\"name\":\"a\",\"dtype\":\"<f8\",\"count\":1,\"offset\":0}]", "arrays[0]"},
      {"[{\"name\":\"a\",\"dtype\":\"<f8\",\"count\":2}]", "truncated"},
      {"[{\"name\":\"a\",\"dtype\":\"<f8\",\"count\":0}]", "trailing data"},
      {"[7]", "arrays[0]"},
      {"{}", "arrays must be a list"},
  };
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
    snprintf(h, sizeof h, "{\"format\":\"mimic-model\",\"version\":2,%s,\"arrays\":%s}", ok_tail,
             tables[i].arrays);
    expect_raw(h, eight, 8, tables[i].needle);
  }
  struct {
    const char *header, *needle;
  } heads[] = {
      {"[1,2]", "not a JSON object"},
      {"{\"format\":\"mimic-model\",\"format\":\"mimic-model\"}", "not valid JSON"},
      {"{not json", "not valid JSON"},
      {"{\"format\":\"mimic-model\",\"version\":2,\"kind\":\"k\",\"kind_version\":1,\"meta\":[],"
       "\"arrays\":[]}",
       "meta must be a JSON object"},
      {"{\"format\":\"mimic-model\",\"version\":2,\"kind\":\"k\",\"kind_version\":1,\"meta\":{},"
       "\"arrays\":[],\"extra\":1}",
       "unknown key 'extra'"},
      {"{\"format\":\"other\",\"version\":2,\"kind\":\"k\",\"kind_version\":1,\"meta\":{},"
       "\"arrays\":[]}",
       "format"},
      {"{\"format\":\"mimic-model\",\"version\":1,\"kind\":\"k\",\"kind_version\":1,\"meta\":{},"
       "\"arrays\":[]}",
       "format version 2"},
      {"{\"format\":\"mimic-model\",\"version\":2,\"kind\":\"a b\",\"kind_version\":1,\"meta\":{},"
       "\"arrays\":[]}",
       "kind"},
      {"{\"format\":\"mimic-model\",\"version\":2,\"kind\":\"k\",\"kind_version\":0,\"meta\":{},"
       "\"arrays\":[]}",
       "kind_version"},
      {"{\"format\":\"mimic-model\",\"version\":2,\"kind\":\"k\",\"meta\":{},\"arrays\":[]}",
       "kind_version"},
      {"{\"format\":\"mimic-model\",\"version\":2,\"kind\":\"k\",\"kind_version\":1,\"meta\":{"
       "\"x\":"
       "\"\xff\"},\"arrays\":[]}",
       "invalid UTF-8"},
      {"{\"format\":\"mimic-model\",\"version\":2,\"kind\":\"k\",\"kind_version\":1,\"meta\":{"
       "\"x\":"
       "\"\xc0\xaf\"},\"arrays\":[]}",
       "invalid UTF-8"},
  };
  for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
    expect_raw(heads[i].header, NULL, 0, heads[i].needle);
  /* a NUL inside the header */
  snprintf(h, sizeof h, "{\"format\":\"mimic-model\",\"version\":2,%s,\"arrays\":[]}  ", ok_tail);
  b = raw(h, NULL, 0, 2, &len);
  b[16 + strlen(h) - 1] = 0;
  fix_crc(b, len);
  expect_refused(b, len, "NUL");
  free(b);
  /* a header length past the end, or over the limit */
  snprintf(h, sizeof h, "{\"format\":\"mimic-model\",\"version\":2,%s,\"arrays\":[]}", ok_tail);
  b = raw(h, NULL, 0, 2, &len);
  put32(b + 12, (uint32_t)len);
  fix_crc(b, len);
  expect_refused(b, len, "runs past the end");
  put32(b + 12, 0xFFFFFFFFu);
  fix_crc(b, len);
  expect_refused(b, len, "over the limit");
  /* magic, versions */
  put32(b + 12, (uint32_t)strlen(h));
  put32(b + 8, 3);
  expect_refused(b, len, "format version 3 is not supported");
  memcpy(b, "MIMICMDX", 8);
  expect_refused(b, len, "not a mimic model file");
  expect_refused((const uint8_t *)"MIMIC", 5, "truncated");
  expect_refused((const uint8_t *)"MIMXC", 5, "not a mimic model file");
  expect_refused((const uint8_t *)"MIMICMDL\2\0", 10, "truncated");
  free(b);
}

/* Checks that pass the CRC: non-zero padding and non-finite floats. */
static void test_padding_and_nan(void **state) {
  (void)state;
  const char *tail = "\"kind\":\"k\",\"kind_version\":1,\"meta\":{}";
  char h[512];
  snprintf(h, sizeof h,
           "{\"format\":\"mimic-model\",\"version\":2,%s,\"arrays\":[{\"name\":\"a\",\"dtype\":"
           "\"|u1\",\"count\":1},{\"name\":\"b\",\"dtype\":\"<f4\",\"count\":1}]}",
           tail);
  uint8_t body[12] = {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3f}; /* 9, padding, 1.0f */
  size_t len;
  uint8_t *b = raw(h, body, 12, 2, &len);
  mimic_container c;
  assert_int_equal(decode(b, len, &c), MIMIC_OK);
  mimic_container_free(&c);
  free(b);
  body[3] = 1;
  expect_raw(h, body, 12, "padding before array 'b'");
  body[3] = 0;
  body[10] = 0xc0, body[11] = 0x7f; /* NaN */
  expect_raw(h, body, 12, "array 'b': value 0 is not finite");
  body[10] = 0x80, body[11] = 0x7f; /* +inf */
  expect_raw(h, body, 12, "not finite");
  /* padding after the header */
  snprintf(h, sizeof h, "{\"format\":\"mimic-model\",\"version\":2,%s,\"arrays\":[] }", tail);
  size_t H = strlen(h);
  assert_true((16 + H) % 8 != 0);
  b = raw(h, NULL, 0, 2, &len);
  b[16 + H] = 1;
  fix_crc(b, len);
  expect_refused(b, len, "padding after the header");
  free(b);
}

/* get, expect and the writer say what is wrong, naming file and array. */
static void test_get_expect_and_writer(void **state) {
  (void)state;
  size_t len;
  uint8_t *b = encode(&len);
  mimic_container c;
  assert_int_equal(decode(b, len, &c), MIMIC_OK);
  const void *x;
  assert_int_equal(mimic_container_get(&c, "f4", MIMIC_ARRAY_F8, 3, &x), MIMIC_ERR_FORMAT);
  assert_non_null(
      strstr(mimic_errmsg(), "hostile.mimic: array 'f4' holds <f4 values, expected <f8"));
  assert_int_equal(mimic_container_get(&c, "f4", MIMIC_ARRAY_F4, 4, &x), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "hostile.mimic: array 'f4' has 3 values, expected 4"));
  assert_int_equal(mimic_container_get(&c, "nope", MIMIC_ARRAY_I4, 2, &x), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "array 'nope' is missing (expected 2 values of <i4)"));
  assert_null(mimic_container_find(&c, "nope"));
  assert_non_null(mimic_container_find(&c, "u1"));
  assert_int_equal(mimic_container_expect(&c, "mimic.policy", 1), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "holds a 'mimic.test', not a 'mimic.policy'"));
  assert_int_equal(mimic_container_expect(&c, "mimic.test", 2), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "version 3 is newer"));
  assert_int_equal(mimic_container_fail(&c, "meta.x", "is %d", 7), MIMIC_ERR_FORMAT);
  assert_string_equal(mimic_errmsg(), "hostile.mimic: meta.x: is 7");
  mimic_container_free(&c);
  free(b);
  /* writers */
  assert_int_equal(mimic_container_init(&c, "has space", 1), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_container_init(&c, "", 1), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_container_init(&c, "k", 0), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_container_init(&c, "k", 1), MIMIC_OK);
  assert_int_equal(mimic_container_add(&c, "", MIMIC_ARRAY_U1, u1, 1), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_container_add(&c, "bad\xff", MIMIC_ARRAY_U1, u1, 1), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_container_add(&c, "t", (mimic_array_type)9, u1, 1), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_container_add(&c, "t", MIMIC_ARRAY_U1, NULL, 1), MIMIC_ERR_INVALID);
  float nan[2] = {1, NAN};
  assert_int_equal(mimic_container_add(&c, "nan", MIMIC_ARRAY_F4, nan, 2), MIMIC_OK);
  uint8_t *out;
  assert_int_equal(mimic_container_encode(&c, &out, &len), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "array 'nan': value 1 is not finite"));
  char *path = tu_tmp_path("nan.mimic");
  assert_int_equal(mimic_container_save(&c, path), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), path));
  assert_false(mimic_path_exists(path)); /* nothing written */
  mimic_container_free(&c);
  assert_int_equal(mimic_container_read("/nonexistent/m.mimic", &c), MIMIC_ERR_NOT_FOUND);
  assert_non_null(strstr(mimic_errmsg(), "/nonexistent/m.mimic"));
  char *dir = tu_tmp_path("");
  assert_int_equal(mimic_container_read(dir, &c), MIMIC_ERR_IO);
  assert_non_null(strstr(mimic_errmsg(), "not a regular file"));
  free(dir);
  free(path);
}

/* Both older layouts are read, and say which they were. */
static void test_legacy_layouts(void **state) {
  (void)state;
  struct {
    const char *file, *kind, *legacy;
    int n_arrays;
  } files[] = {
      {"bc-cartpole.mimic", "mimic.policy", "binary", 3},
      {"ppo-pendulum.mimic", "mimic.policy", "binary", 3},
      {"gail-reward.mimic", "mimic.reward", "binary", 3},
      {"text-ovr.mimic", "mimic.text_classifier", "JSON", 3},
      {"agent-forest.mimic", "mimic.agent", "JSON", 6},
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char *p = legacy_path(files[i].file);
    mimic_container c;
    assert_int_equal(mimic_container_read(p, &c), MIMIC_OK);
    assert_string_equal(c.kind, files[i].kind);
    assert_int_equal(c.kind_version, 1);
    assert_int_equal(c.format_version, 1);
    assert_non_null(strstr(c.legacy, files[i].legacy));
    assert_int_equal(c.n_arrays, files[i].n_arrays);
    char kind[64];
    int kv;
    assert_int_equal(mimic_container_probe(p, kind, sizeof kind, &kv), MIMIC_OK);
    assert_string_equal(kind, files[i].kind);
    assert_int_equal(kv, 1);
    /* a file read in an older layout is written in the current one */
    uint8_t *b;
    size_t len;
    mimic_container d;
    assert_int_equal(mimic_container_encode(&c, &b, &len), MIMIC_OK);
    assert_int_equal(decode(b, len, &d), MIMIC_OK);
    assert_int_equal(d.format_version, 2);
    assert_true(json_equal(c.meta, d.meta));
    for (int a = 0; a < c.n_arrays; a++) {
      assert_string_equal(c.arrays[a].name, d.arrays[a].name);
      assert_int_equal(c.arrays[a].count, d.arrays[a].count);
      assert_memory_equal(c.arrays[a].data, d.arrays[a].data,
                          c.arrays[a].count * mimic_array_type_size(c.arrays[a].type));
    }
    free(b);
    mimic_container_free(&d);
    mimic_container_free(&c);
    free(p);
  }
  /* a JSON-layout file of version 1 takes float64 only */
  const char *h = "{\"format\":\"mimic-model\",\"version\":1,\"kind\":\"k\",\"meta\":{},"
                  "\"arrays\":[{\"name\":\"a\",\"dtype\":\"<f4\",\"count\":2}]}";
  uint8_t eight[8] = {0};
  size_t len;
  uint8_t *b = raw(h, eight, 8, 1, &len);
  expect_refused(b, len, "\"<f8\" in format version 1");
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_layout),
      cmocka_unit_test(test_truncated_and_flipped),
      cmocka_unit_test(test_hostile_headers),
      cmocka_unit_test(test_padding_and_nan),
      cmocka_unit_test(test_get_expect_and_writer),
      cmocka_unit_test(test_legacy_layouts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
