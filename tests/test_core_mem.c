/* Allocation helpers: mimic_grow doubles from its first capacity, keeps the
 * contents, leaves buffer and capacity untouched when the size overflows,
 * mimic_realloc / mimic_calloc refuse overflowing products, and
 * mimic_ends_with compares suffixes byte for byte. */
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/core.h"
#include "core/util.h"

static void test_grow_doubles_and_keeps(void **state) {
  (void)state;
  int *a = NULL;
  size_t cap = 0;
  assert_int_equal(mimic_grow(&a, &cap, 0, sizeof *a, 4, "ints"), MIMIC_OK);
  assert_null(a); /* nothing needed, nothing allocated */
  assert_int_equal(mimic_grow(&a, &cap, 3, sizeof *a, 4, "ints"), MIMIC_OK);
  assert_int_equal(cap, 4);
  for (int i = 0; i < 4; i++) a[i] = i;
  assert_int_equal(mimic_grow(&a, &cap, 9, sizeof *a, 4, "ints"), MIMIC_OK);
  assert_int_equal(cap, 16);
  for (int i = 0; i < 4; i++) assert_int_equal(a[i], i);
  assert_int_equal(mimic_grow(&a, &cap, 16, sizeof *a, 4, "ints"), MIMIC_OK);
  assert_int_equal(cap, 16); /* enough already */
  int *before = a;
  assert_int_equal(mimic_grow(&a, &cap, SIZE_MAX / 2, sizeof *a, 4, "ints"), MIMIC_ERR_NOMEM);
  assert_ptr_equal(a, before);
  assert_int_equal(cap, 16);
  assert_non_null(strstr(mimic_errmsg(), "ints"));
  assert_int_equal(mimic_grow(&a, &cap, SIZE_MAX, 1, 4, "bytes"), MIMIC_ERR_NOMEM);
  assert_int_equal(cap, 16);
  free(a);
}

static void test_overflowing_sizes(void **state) {
  (void)state;
  assert_null(mimic_calloc(SIZE_MAX / 4, 8, "table"));
  assert_non_null(strstr(mimic_errmsg(), "table"));
  void *p = malloc(8);
  assert_null(mimic_realloc(p, SIZE_MAX / 2, 4, "rows"));
  assert_non_null(strstr(mimic_errmsg(), "rows"));
  free(p); /* still ours after a failed realloc */
}

static void test_ends_with(void **state) {
  (void)state;
  assert_true(mimic_ends_with("log.jsonl", ".jsonl"));
  assert_true(mimic_ends_with(".png", ".png"));
  assert_true(mimic_ends_with("x", ""));
  assert_false(mimic_ends_with("png", ".png"));
  assert_false(mimic_ends_with("chart.PNG", ".png")); /* byte for byte */
  assert_false(mimic_ends_with("a.jsonl.tmp", ".jsonl"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ends_with),
      cmocka_unit_test(test_grow_doubles_and_keeps),
      cmocka_unit_test(test_overflowing_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
