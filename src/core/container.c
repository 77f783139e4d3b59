/* The model container: one kind-tagged, versioned, checksummed file for
 * every model mimic writes (docs/model-file.md).
 *
 *   bytes 0-7    magic "MIMICMDL"
 *   bytes 8-11   format version, uint32 little-endian: 2
 *   bytes 12-15  header length H, uint32 little-endian (at most 64 MiB)
 *   H bytes      JSON header: {"format": "mimic-model", "version": 2,
 *                "kind", "kind_version", "meta": {...}, "arrays":
 *                [{"name", "dtype", "count"}, ...]}
 *   arrays       each little-endian, starting at a multiple of 8 (zero
 *                bytes pad the header and each array up to the next one)
 *   last 4       CRC-32 of every byte before it
 *
 * Why this shape. JSON for what is small and structured (architecture,
 * vocabulary, settings) keeps a file readable by anything: Python needs
 * json, struct and numpy.frombuffer, nothing of mimic. Raw arrays for what
 * is large keep files small and loads fast, and alignment lets a reader
 * (NumPy, or this one) use them in place. A model's parameters are one
 * array (llm.c's single parameter block), so saving and loading copy one
 * block, bit for bit. The price of JSON is that numbers in meta are
 * decimal: anything that must round-trip bit for bit goes into an array
 * (reals in meta are written with 17 digits, which round-trips doubles).
 *
 * The kind says which loader owns the meta and arrays ("mimic.policy" in
 * nn, "mimic.text_classifier" in text, ...); this file knows nothing about
 * any kind. The container checks the structure, the loaders check their
 * content. Both treat the bytes as an attacker's: every length and count
 * is bounded by the file's size before anything is sized from it, the
 * header is valid UTF-8 JSON without duplicate keys, arrays have unique
 * names and known types and fill the file exactly, padding is zero, the
 * CRC matches and every float is finite. A reader keeps the file's bytes
 * and points the arrays into them (swapped in place on a big-endian host).
 *
 * Older files are still read. Version 1 with a JSON header (text and agent
 * models) is this layout with float64 arrays only and no kind_version, and
 * goes through the same code. Version 1 in the binary policy layout is
 * converted by container_legacy.c into what a version-2 policy holds, so
 * a kind has exactly one loader. Writers always write version 2. */
#include "core/container_impl.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAGIC "MIMICMDL"
#define VERSION 2u
#define MAX_FILE ((uint64_t)1 << 32)
#define MAX_HEADER (64u << 20)
#define MAX_ARRAYS 4096
#define MAX_NAME 255
#define MAX_KIND 64

static const char *const type_names[] = {"<f4", "<f8", "<i4", "<i8", "|u1"};
static const size_t type_sizes[] = {4, 8, 4, 8, 1};

const char *mimic_array_type_name(mimic_array_type type) {
  return (unsigned)type < 5 ? type_names[type] : NULL;
}

size_t mimic_array_type_size(mimic_array_type type) {
  return (unsigned)type < 5 ? type_sizes[type] : 0;
}

mimic_status container_bad(const char *name, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s", name, msg);
}

mimic_status mimic_container_fail(const mimic_container *c, const char *field, const char *fmt,
                                  ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: %s", c->name ? c->name : "model", field, msg);
}

static bool host_is_le(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

static uint64_t align8(uint64_t x) { return (x + 7) & ~(uint64_t)7; }

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Reverses the bytes of each of n elements of size bytes (host <-> little-endian). */
static void swap_bytes(uint8_t *p, uint64_t n, size_t size) {
  for (uint64_t i = 0; i < n; i++, p += size)
    for (size_t a = 0, b = size - 1; a < b; a++, b--) {
      uint8_t t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

static bool kind_valid(const char *kind) {
  size_t n = strlen(kind);
  if (n < 1 || n > MAX_KIND) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = kind[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '.' || ch == '_' || ch == '-'))
      return false;
  }
  return true;
}

/* Index of the first non-finite float of an array, or -1. */
static int64_t first_non_finite(const mimic_container_array *a) {
  if (a->type == MIMIC_ARRAY_F4) {
    const float *f = a->data;
    for (uint64_t i = 0; i < a->count; i++)
      if (!isfinite(f[i])) return (int64_t)i;
  } else if (a->type == MIMIC_ARRAY_F8) {
    const double *d = a->data;
    for (uint64_t i = 0; i < a->count; i++)
      if (!isfinite(d[i])) return (int64_t)i;
  }
  return -1;
}

/* ---- building ------------------------------------------------------------ */

mimic_status container_start(mimic_container *c, const char *kind, int kind_version) {
  if (!kind || !kind_valid(kind))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "model container: kind '%s' must be 1 to %d letters, digits, '.', '_' or '-'",
                      kind ? kind : "(null)", MAX_KIND);
  if (kind_version < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "model container: kind version %d must be >= 1",
                      kind_version);
  c->kind = mimic_strdup(kind);
  c->meta = json_object();
  if (!c->kind || !c->meta) return mimic_fail_nomem("a model container");
  c->kind_version = kind_version;
  return MIMIC_OK;
}

mimic_status mimic_container_init(mimic_container *c, const char *kind, int kind_version) {
  memset(c, 0, sizeof *c);
  c->format_version = (int)VERSION;
  mimic_status st = container_start(c, kind, kind_version);
  if (st) mimic_container_free(c);
  return st;
}

/* Checks a name for the table: 1..255 bytes, valid UTF-8, not taken yet. */
static mimic_status check_new_name(const mimic_container *c, const char *name) {
  size_t n = strlen(name);
  if (n < 1 || n > MAX_NAME || !mimic_utf8_valid(name, n, NULL))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "model container: array name '%s' must be 1 to %d bytes of UTF-8", name,
                      MAX_NAME);
  if (mimic_container_find(c, name))
    return mimic_fail(MIMIC_ERR_INVALID, "model container: array '%s' given twice", name);
  return MIMIC_OK;
}

mimic_status mimic_container_add(mimic_container *c, const char *name, mimic_array_type type,
                                 const void *data, uint64_t count) {
  MIMIC_TRY(check_new_name(c, name));
  if (!mimic_array_type_name(type))
    return mimic_fail(MIMIC_ERR_INVALID, "model container: array '%s' has unknown type %d", name,
                      (int)type);
  if (count > MAX_FILE || (count && !data))
    return mimic_fail(MIMIC_ERR_INVALID, "model container: array '%s' has %llu values and %s", name,
                      (unsigned long long)count, data ? "is too large" : "no data");
  if (c->n_arrays >= MAX_ARRAYS)
    return mimic_fail(MIMIC_ERR_INVALID, "model container: more than %d arrays", MAX_ARRAYS);
  size_t cap = (size_t)c->cap_arrays;
  MIMIC_TRY(mimic_grow(&c->arrays, &cap, (size_t)c->n_arrays + 1, sizeof *c->arrays, 8,
                       "model container arrays"));
  c->cap_arrays = (int)cap;
  char *copy = mimic_strdup(name);
  if (!copy) return MIMIC_ERR_NOMEM;
  c->arrays[c->n_arrays++] = (mimic_container_array){copy, type, count, data};
  return MIMIC_OK;
}

/* The compact JSON header of c, or NULL (error set). */
static char *header_text(const mimic_container *c) {
  json_t *hdr = json_object(), *tab = json_array();
  bool ok = hdr && tab;
  ok = ok && !json_object_set_new(hdr, "format", json_string("mimic-model"));
  ok = ok && !json_object_set_new(hdr, "version", json_integer(VERSION));
  ok = ok && !json_object_set_new(hdr, "kind", json_string(c->kind));
  ok = ok && !json_object_set_new(hdr, "kind_version", json_integer(c->kind_version));
  ok = ok && !json_object_set(hdr, "meta", c->meta);
  for (int a = 0; ok && a < c->n_arrays; a++) {
    const mimic_container_array *x = &c->arrays[a];
    json_t *e = json_object();
    ok = e && !json_object_set_new(e, "name", json_string(x->name)) &&
         !json_object_set_new(e, "dtype", json_string(mimic_array_type_name(x->type))) &&
         !json_object_set_new(e, "count", json_integer((json_int_t)x->count));
    ok = !json_array_append_new(tab, e) && ok;
  }
  ok = ok && !json_object_set(hdr, "arrays", tab);
  char *text = ok ? json_dumps(hdr, JSON_COMPACT) : NULL;
  json_decref(hdr);
  json_decref(tab);
  if (!text) mimic_fail_nomem("a model header");
  return text;
}

mimic_status mimic_container_encode(const mimic_container *c, uint8_t **buf, size_t *len) {
  *buf = NULL;
  *len = 0;
  const char *what = c->kind ? c->kind : "model container";
  if (!c->kind || !json_is_object(c->meta))
    return mimic_fail(MIMIC_ERR_INVALID, "%s: a container needs a kind and a meta object", what);
  uint64_t total = 0;
  for (int a = 0; a < c->n_arrays; a++) {
    int64_t bad = first_non_finite(&c->arrays[a]);
    if (bad >= 0)
      return mimic_fail(MIMIC_ERR_INVALID, "%s: array '%s': value %lld is not finite", what,
                        c->arrays[a].name, (long long)bad);
    total += c->arrays[a].count * mimic_array_type_size(c->arrays[a].type) + 8;
  }
  char *text = header_text(c);
  if (!text) return MIMIC_ERR_NOMEM;
  size_t H = strlen(text);
  if (H > MAX_HEADER || 20 + (uint64_t)H + total > MAX_FILE) {
    free(text);
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s: a header of %zu bytes or arrays of %llu bytes is "
                      "over the limit (64 MiB, 4 GiB)",
                      what, H, (unsigned long long)total);
  }
  uint64_t off = align8(16 + (uint64_t)H);
  for (int a = 0; a < c->n_arrays; a++)
    off = align8(off) + c->arrays[a].count * mimic_array_type_size(c->arrays[a].type);
  size_t size = (size_t)off + 4;
  uint8_t *p = mimic_calloc(size, 1, "a model file");
  if (!p) {
    free(text);
    return MIMIC_ERR_NOMEM;
  }
  memcpy(p, MAGIC, 8);
  put_u32(p + 8, VERSION);
  put_u32(p + 12, (uint32_t)H);
  memcpy(p + 16, text, H);
  free(text);
  off = align8(16 + (uint64_t)H);
  bool swap = !host_is_le();
  for (int a = 0; a < c->n_arrays; a++) {
    const mimic_container_array *x = &c->arrays[a];
    size_t es = mimic_array_type_size(x->type);
    off = align8(off);
    if (x->count) memcpy(p + off, x->data, (size_t)x->count * es);
    if (swap) swap_bytes(p + off, x->count, es);
    off += x->count * es;
  }
  put_u32(p + off, mimic_crc32(0, p, (size_t)off));
  *buf = p;
  *len = size;
  return MIMIC_OK;
}

mimic_status mimic_container_save(const mimic_container *c, const char *path) {
  uint8_t *buf;
  size_t len;
  if (mimic_container_encode(c, &buf, &len) != MIMIC_OK) return mimic_errctx("%s", path);
  mimic_status st = mimic_write_file_atomic(path, buf, len);
  free(buf);
  return st;
}

/* ---- reading ------------------------------------------------------------- */

/* Parses H header bytes: valid UTF-8, no NUL, a JSON object without duplicate keys. */
static mimic_status parse_header(const uint8_t *p, uint32_t H, const char *name, json_t **out) {
  *out = NULL;
  size_t bad;
  const char *text = (const char *)p;
  const void *nul = memchr(text, 0, H);
  if (nul)
    return container_bad(name, "header: a NUL byte at byte %zu of the header",
                         (size_t)((const char *)nul - text));
  if (!mimic_utf8_valid(text, H, &bad))
    return container_bad(name, "header: invalid UTF-8 at byte %zu of the header", bad);
  json_error_t err;
  json_t *h = json_loadb(text, H, JSON_REJECT_DUPLICATES, &err);
  if (!h)
    return container_bad(name, "header: not valid JSON: %s (header byte %d)", err.text,
                         err.position);
  if (!json_is_object(h)) {
    json_decref(h);
    return container_bad(name, "header: not a JSON object");
  }
  *out = h;
  return MIMIC_OK;
}

/* Checks the header's fields (not yet the array table) and returns its
 * kind and kind version; version 1 headers have no kind_version. */
static mimic_status header_fields(const json_t *h, uint32_t version, const char *name,
                                  const char **kind, int *kind_version) {
  static const char *const keys[] = {"format", "version", "kind", "kind_version", "meta", "arrays"};
  const char *key;
  const json_t *v;
  json_object_foreach((json_t *)h, key, v) {
    bool known = false;
    for (int i = 0; i < 6; i++) known = known || !strcmp(key, keys[i]);
    if (!known || (version == 1 && !strcmp(key, "kind_version")))
      return container_bad(name, "header: unknown key '%s'", key);
  }
  const json_t *fmt = json_object_get(h, "format"), *ver = json_object_get(h, "version"),
               *k = json_object_get(h, "kind"), *kv = json_object_get(h, "kind_version");
  if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "mimic-model"))
    return container_bad(name, "header: format must be \"mimic-model\"");
  if (!json_is_integer(ver) || json_integer_value(ver) != (json_int_t)version)
    return container_bad(name, "header: \"version\" differs from the file's format version %u",
                         version);
  if (!json_is_string(k) || !kind_valid(json_string_value(k)))
    return container_bad(name, "header: kind must be 1 to %d letters, digits, '.', '_' or '-'",
                         MAX_KIND);
  if (version >= 2 &&
      (!json_is_integer(kv) || json_integer_value(kv) < 1 || json_integer_value(kv) > INT32_MAX))
    return container_bad(name, "header: kind_version must be an integer from 1 to %d", INT32_MAX);
  if (!json_is_object(json_object_get(h, "meta")))
    return container_bad(name, "header: meta must be a JSON object");
  const json_t *tab = json_object_get(h, "arrays");
  if (!json_is_array(tab) || json_array_size(tab) > MAX_ARRAYS)
    return container_bad(name, "header: arrays must be a list of at most %d entries", MAX_ARRAYS);
  *kind = json_string_value(k);
  *kind_version = version >= 2 ? (int)json_integer_value(kv) : 1;
  return MIMIC_OK;
}

/* Reads array entry i of the table into c (data not yet set). */
static mimic_status table_entry(const json_t *e, size_t i, uint32_t version, size_t len,
                                mimic_container *c) {
  const char *name = c->name;
  if (!json_is_object(e) || json_object_size(e) != 3)
    return container_bad(name, "header: arrays[%zu] must be an object of name, dtype and count", i);
  const json_t *nm = json_object_get(e, "name"), *dt = json_object_get(e, "dtype"),
               *ct = json_object_get(e, "count");
  if (!json_is_string(nm) || json_string_length(nm) < 1 || json_string_length(nm) > MAX_NAME ||
      strlen(json_string_value(nm)) != json_string_length(nm))
    return container_bad(name, "header: arrays[%zu].name must be 1 to %d bytes without NUL", i,
                         MAX_NAME);
  const char *an = json_string_value(nm);
  if (mimic_container_find(c, an))
    return container_bad(name, "header: array '%s' is listed twice", an);
  int type = -1;
  for (int t = 0; json_is_string(dt) && t < 5; t++)
    if (!strcmp(json_string_value(dt), type_names[t])) type = t;
  if (type < 0 || (version == 1 && type != MIMIC_ARRAY_F8))
    return container_bad(name, "header: array '%s': dtype must be %s", an,
                         version == 1 ? "\"<f8\" in format version 1"
                                      : "one of \"<f4\", \"<f8\", \"<i4\", \"<i8\", \"|u1\"");
  if (!json_is_integer(ct) || json_integer_value(ct) < 0 ||
      (uint64_t)json_integer_value(ct) > len / type_sizes[type])
    return container_bad(name,
                         "header: array '%s' needs a count that fits the file (an integer "
                         "from 0 to %zu)",
                         an, len / type_sizes[type]);
  mimic_status st = mimic_container_add(c, an, (mimic_array_type)type, NULL, 0);
  if (st) return st == MIMIC_ERR_NOMEM ? st : container_bad(name, "header: %s", mimic_errmsg());
  c->arrays[c->n_arrays - 1].count = (uint64_t)json_integer_value(ct);
  return MIMIC_OK;
}

/* Checks that n bytes at p are zero. */
static bool all_zero(const uint8_t *p, uint64_t n) {
  for (uint64_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

/* Decodes the JSON-header layout (version 2, or 1 with float64 only) from
 * p, which c->store already owns. */
static mimic_status decode_json_layout(uint8_t *p, size_t len, uint32_t version,
                                       mimic_container *c) {
  const char *name = c->name;
  if (len < 20)
    return container_bad(name, "truncated: %zu bytes is shorter than any model file (20)", len);
  uint32_t H = container_u32(p + 12);
  if (H > MAX_HEADER)
    return container_bad(name, "the header length %u is over the limit of 64 MiB", H);
  if ((uint64_t)16 + H + 4 > len)
    return container_bad(name,
                         "the version %u header of %u bytes runs past the end of the file "
                         "(%zu bytes): truncated?",
                         version, H, len);
  json_t *h;
  MIMIC_TRY(parse_header(p + 16, H, name, &h));
  const char *kind;
  int kind_version;
  mimic_status st = header_fields(h, version, name, &kind, &kind_version);
  if (!st) st = container_start(c, kind, kind_version);
  if (!st) {
    json_decref(c->meta);
    c->meta = json_incref(json_object_get(h, "meta"));
  }
  const json_t *tab = json_object_get(h, "arrays");
  for (size_t i = 0; !st && i < json_array_size(tab); i++)
    st = table_entry(json_array_get(tab, i), i, version, len, c);
  json_decref(h);
  if (st) return st;
  /* offsets stay below (MAX_ARRAYS + 1) * 2 len: no overflow */
  uint64_t hdr_end = 16 + (uint64_t)H, off = align8(hdr_end);
  for (int a = 0; a < c->n_arrays; a++)
    off = align8(off) + c->arrays[a].count * type_sizes[c->arrays[a].type];
  uint64_t total = off + 4;
  if (total > len)
    return container_bad(name, "truncated: the header describes %llu bytes, the file has %zu",
                         (unsigned long long)total, len);
  if (total < len)
    return container_bad(name,
                         "%llu bytes of trailing data after the checksum (the header describes "
                         "%llu bytes)",
                         (unsigned long long)(len - total), (unsigned long long)total);
  uint32_t want = container_u32(p + len - 4), got = mimic_crc32(0, p, len - 4);
  if (want != got)
    return container_bad(
        name, "checksum mismatch (stored %08x, computed %08x): the file is damaged", want, got);
  if (!all_zero(p + hdr_end, align8(hdr_end) - hdr_end))
    return container_bad(name, "the padding after the header is not zero bytes");
  off = align8(hdr_end);
  bool swap = !host_is_le();
  for (int a = 0; a < c->n_arrays; a++) {
    mimic_container_array *x = &c->arrays[a];
    if (!all_zero(p + off, align8(off) - off))
      return container_bad(name, "the padding before array '%s' is not zero bytes", x->name);
    off = align8(off);
    if (swap) swap_bytes(p + off, x->count, type_sizes[x->type]);
    x->data = p + off;
    off += x->count * type_sizes[x->type];
  }
  c->format_version = (int)version;
  c->legacy = version == 1 ? "JSON-header layout of format version 1" : NULL;
  return MIMIC_OK;
}

/* Decodes len bytes at p, taking ownership of p (freed on failure, or kept
 * as the container's store). */
static mimic_status decode_owned(uint8_t *p, size_t len, const char *name, mimic_container *c) {
  memset(c, 0, sizeof *c);
  c->name = mimic_strdup(name ? name : "model");
  if (!c->name) {
    free(p);
    return MIMIC_ERR_NOMEM;
  }
  name = c->name;
  mimic_status st = MIMIC_OK;
  uint32_t version = len >= 12 ? container_u32(p + 8) : 0;
  if (len == 0) {
    st = container_bad(name, "an empty file is not a model file");
  } else if (memcmp(p, MAGIC, len < 8 ? len : 8) != 0) {
    st = container_bad(name, "not a mimic model file (it does not start with MIMICMDL)");
  } else if (len < 12) {
    st = container_bad(name, "truncated: %zu bytes end inside the format version", len);
  } else if (version == VERSION || (version == 1 && len > 16 && p[16] == '{')) {
    c->store = p;
    st = decode_json_layout(p, len, version, c);
    p = NULL;
  } else if (version == 1) {
    st = container_read_policy_v1(p, len, c);
  } else {
    st = container_bad(name, "format version %u is not supported (this mimic reads 1 and 2)",
                       version);
  }
  free(p);
  for (int a = 0; !st && a < c->n_arrays; a++) {
    int64_t bad = first_non_finite(&c->arrays[a]);
    if (bad >= 0)
      st = container_bad(name, "array '%s': value %lld is not finite", c->arrays[a].name,
                         (long long)bad);
  }
  if (st) mimic_container_free(c);
  return st;
}

mimic_status mimic_container_decode(const void *buf, size_t len, const char *name,
                                    mimic_container *c) {
  memset(c, 0, sizeof *c);
  if (len > MAX_FILE)
    return container_bad(name ? name : "model", "%zu bytes is larger than any model file (4 GiB)",
                         len);
  uint8_t *p = mimic_malloc(len ? len : 1, "a model file");
  if (!p) return MIMIC_ERR_NOMEM;
  if (len) memcpy(p, buf, len);
  return decode_owned(p, len, name, c);
}

/* Opens path as a regular file of at most MAX_FILE bytes. */
static mimic_status open_model(const char *path, FILE **fp, size_t *size) {
  *fp = fopen(path, "rb");
  if (!*fp)
    return mimic_fail(errno == ENOENT ? MIMIC_ERR_NOT_FOUND : MIMIC_ERR_IO, "%s: cannot open: %s",
                      path, strerror(errno));
  struct stat sb;
  mimic_status st = MIMIC_OK;
  if (fstat(fileno(*fp), &sb) != 0 || !S_ISREG(sb.st_mode))
    st = mimic_fail(MIMIC_ERR_IO, "%s: not a regular file", path);
  else if ((uint64_t)sb.st_size > MAX_FILE)
    st = container_bad(path, "%lld bytes is larger than any model file (4 GiB)",
                       (long long)sb.st_size);
  if (st) {
    fclose(*fp);
    *fp = NULL;
    return st;
  }
  *size = (size_t)sb.st_size;
  return MIMIC_OK;
}

/* Reads n bytes into a new buffer (n may be 0). */
static mimic_status read_bytes(FILE *fp, const char *path, size_t n, uint8_t **out) {
  *out = mimic_malloc(n ? n : 1, path);
  if (!*out) return MIMIC_ERR_NOMEM;
  if (n && fread(*out, 1, n, fp) != n) {
    free(*out);
    *out = NULL;
    return mimic_fail(MIMIC_ERR_IO, "%s: read failed (did the file change while it was read?)",
                      path);
  }
  return MIMIC_OK;
}

mimic_status mimic_container_read(const char *path, mimic_container *c) {
  memset(c, 0, sizeof *c);
  FILE *fp;
  size_t len;
  uint8_t *p;
  MIMIC_TRY(open_model(path, &fp, &len));
  mimic_status st = read_bytes(fp, path, len, &p);
  fclose(fp);
  return st ? st : decode_owned(p, len, path, c);
}

mimic_status mimic_container_probe(const char *path, char *kind, size_t cap, int *kind_version) {
  FILE *fp;
  size_t len;
  uint8_t *p = NULL;
  MIMIC_TRY(open_model(path, &fp, &len));
  uint8_t head[17] = {0};
  size_t got = fread(head, 1, len < 17 ? len : 17, fp);
  uint32_t version = got >= 12 ? container_u32(head + 8) : 0, H = container_u32(head + 12);
  const char *k = NULL;
  json_t *h = NULL;
  mimic_status st = MIMIC_OK;
  mimic_container full = {0};
  if (got == 17 && !memcmp(head, MAGIC, 8) &&
      (version == VERSION || (version == 1 && head[16] == '{')) && H <= MAX_HEADER &&
      (uint64_t)16 + H + 4 <= len) {
    /* the JSON layouts: the header alone says what the file holds */
    if (fseek(fp, 16, SEEK_SET) != 0) st = mimic_fail(MIMIC_ERR_IO, "%s: seek failed", path);
    if (!st) st = read_bytes(fp, path, H, &p);
    if (!st) st = parse_header(p, H, path, &h);
    if (!st) st = header_fields(h, version, path, &k, kind_version);
  } else {
    /* the binary policy layout, or a damaged file: the full reader decides */
    rewind(fp);
    st = read_bytes(fp, path, len, &p);
    if (!st) st = decode_owned(p, len, path, &full);
    p = NULL;
    if (!st) {
      k = full.kind;
      *kind_version = full.kind_version;
    }
  }
  fclose(fp);
  if (!st && strlen(k) >= cap)
    st = mimic_fail(MIMIC_ERR_INVALID, "%s: kind '%s' does not fit %zu bytes", path, k, cap);
  if (!st) memcpy(kind, k, strlen(k) + 1);
  json_decref(h);
  free(p);
  mimic_container_free(&full);
  return st;
}

mimic_status mimic_container_expect(const mimic_container *c, const char *kind,
                                    int max_kind_version) {
  if (strcmp(c->kind, kind) != 0)
    return container_bad(c->name, "the file holds a '%s', not a '%s'", c->kind, kind);
  if (c->kind_version > max_kind_version)
    return container_bad(c->name,
                         "'%s' version %d is newer than this mimic reads (versions 1 to %d)", kind,
                         c->kind_version, max_kind_version);
  return MIMIC_OK;
}

const mimic_container_array *mimic_container_find(const mimic_container *c, const char *name) {
  for (int a = 0; a < c->n_arrays; a++)
    if (!strcmp(c->arrays[a].name, name)) return &c->arrays[a];
  return NULL;
}

mimic_status mimic_container_get(const mimic_container *c, const char *name, mimic_array_type type,
                                 uint64_t count, const void **data) {
  const mimic_container_array *a = mimic_container_find(c, name);
  const char *tn = mimic_array_type_name(type);
  if (!a)
    return container_bad(c->name, "array '%s' is missing (expected %llu values of %s)", name,
                         (unsigned long long)count, tn);
  if (a->type != type)
    return container_bad(c->name, "array '%s' holds %s values, expected %s", name,
                         mimic_array_type_name(a->type), tn);
  if (a->count != count)
    return container_bad(c->name, "array '%s' has %llu values, expected %llu", name,
                         (unsigned long long)a->count, (unsigned long long)count);
  *data = a->data;
  return MIMIC_OK;
}

void mimic_container_free(mimic_container *c) {
  if (!c) return;
  for (int a = 0; a < c->n_arrays; a++) free(c->arrays[a].name);
  free(c->arrays);
  free(c->name);
  free(c->kind);
  json_decref(c->meta);
  free(c->store);
  memset(c, 0, sizeof *c);
}
