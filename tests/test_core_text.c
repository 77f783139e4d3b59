/* Numbers and strings as the label log writes them: mimic_float_text is
 * byte for byte printf's "%.9g" (on bit patterns drawn from every exponent,
 * on the fast path's edges and on the values printf handles itself), every
 * float reads back as itself, and mimic_json_quote escapes what JSON needs
 * and truncates as snprintf does; mimic_json_valid accepts what jansson
 * accepts. */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/util.h"

static void expect_as_printf(float v) {
  char got[MIMIC_FLOAT_TEXT_MAX], want[64];
  size_t n = mimic_float_text(v, got);
  snprintf(want, sizeof want, "%.9g", (double)v);
  if (strcmp(got, want) || n != strlen(want))
    fail_msg("float %a: wrote '%s' (%zu bytes), printf writes '%s'", (double)v, got, n, want);
  if (isfinite(v) && strtof(got, NULL) != v)
    fail_msg("'%s' does not read back as %a", got, (double)v);
}

static void test_float_text_is_printf(void **state) {
  (void)state;
  uint32_t x = 2463534242u;
  for (long i = 0; i < 3000000; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    uint32_t bits = x;
    if (i % 2) /* exponents around the fast path's range, 1e-6 .. 1e11 */
      bits = (bits & 0x807fffffu) | (uint32_t)(107 + i % 50) << 23;
    float v;
    memcpy(&v, &bits, sizeof v);
    expect_as_printf(v);
  }
  const float edges[] = {0.0f,
                         -0.0f,
                         1e-4f,
                         nextafterf(1e-4f, 0),
                         1e9f,
                         999999940.f,
                         999999999.5f,
                         0.5f,
                         1.0f,
                         -1.0f,
                         0.1f,
                         123456789.f,
                         9.99999994f,
                         99999.9961f,
                         0.000999999,
                         3.40282347e38f,
                         1.17549435e-38f,
                         1e-45f,
                         INFINITY,
                         -INFINITY,
                         NAN};
  for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) expect_as_printf(edges[i]);
}

static void test_float_list_text(void **state) {
  (void)state;
  const float v[] = {0.5f, -1.0f, 0.1f};
  char *t = mimic_float_list_text(v, 3);
  assert_string_equal(t, "[0.5, -1, 0.100000001]");
  free(t);
  t = mimic_float_list_text(v, 0);
  assert_string_equal(t, "[]");
  free(t);
}

static void test_json_quote(void **state) {
  (void)state;
  char buf[64];
  assert_int_equal(mimic_json_quote("left", buf, sizeof buf), 6);
  assert_string_equal(buf, "\"left\"");
  assert_int_equal(mimic_json_quote("a\"b\\c\n\x01é", buf, sizeof buf), 23);
  assert_string_equal(buf, "\"a\\\"b\\\\c\\u000a\\u0001é\"");
  /* truncated as snprintf truncates: the length it needs, a terminated prefix */
  assert_int_equal(mimic_json_quote("abcdef", buf, 4), 8);
  assert_string_equal(buf, "\"ab");
}

/* The syntax check agrees with jansson on documents and on every one-byte
 * change of them (jansson's extra rules on \\u escapes aside). */
static void test_json_valid_agrees_with_jansson(void **state) {
  (void)state;
  const char *docs[] = {
      "{}",
      "[]",
      "0",
      "-0.5e+3",
      "\"a\"",
      "true",
      "null",
      "{\"guess\":{\"action\":\"left\",\"confidence\":0.930000007},\"kind\":\"agent\"}",
      " [1, 2.5, -3e2, \"x\\n\\\"y\", [true, false, null], {\"k\": {}}] ",
      "{\"arguments\":{\"reason\":\"late, \\u00e9t\\u00e9\"},\"n\":[0,10,-0.0]}"};
  char buf[256];
  uint32_t x = 1;
  long compared = 0;
  for (size_t d = 0; d < sizeof docs / sizeof *docs; d++) {
    size_t n = strlen(docs[d]);
    for (size_t at = 0; at <= n; at++) {
      for (int variant = 0; variant < 12; variant++) {
        memcpy(buf, docs[d], n + 1);
        size_t len = n;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        const char alphabet[] = "{}[]\",:0-.eE+tfn\\ u1a\x01\x80";
        char ch = alphabet[x % (sizeof alphabet - 1)];
        if (variant == 0 && at < n) { /* delete */
          memmove(buf + at, buf + at + 1, n - at);
          len--;
        } else if (variant == 1 && n < sizeof buf - 2) { /* insert */
          memmove(buf + at + 1, buf + at, n - at + 1);
          buf[at] = ch;
          len++;
        } else if (at < n) { /* replace */
          buf[at] = ch;
        }
        if (strstr(buf, "\\u")) continue;
        json_error_t err;
        json_t *j = json_loadb(buf, len, JSON_DECODE_ANY, &err);
        bool theirs = j != NULL, ours = mimic_json_valid(buf, len);
        json_decref(j);
        if (theirs != ours) fail_msg("'%s': jansson %d, mimic_json_valid %d", buf, theirs, ours);
        compared++;
      }
    }
  }
  assert_true(compared > 1000);
  /* nesting deeper than 64 is refused, 64 is fine */
  memset(buf, '[', 64);
  memset(buf + 64, ']', 64);
  assert_true(mimic_json_valid(buf, 128));
  memset(buf, '[', 65);
  memset(buf + 65, ']', 65);
  assert_false(mimic_json_valid(buf, 130));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_text_is_printf),
      cmocka_unit_test(test_float_list_text),
      cmocka_unit_test(test_json_quote),
      cmocka_unit_test(test_json_valid_agrees_with_jansson),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
