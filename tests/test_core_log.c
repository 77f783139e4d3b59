/* The logger as a host program (a GUI, the Python binding) uses it: a sink
 * set with mimic_log_set_sink receives every line at or above the level,
 * with its level and the formatted message (no trailing newline), nothing
 * below it, and NULL restores the default; mimic_status_str names every
 * status, and names each one differently. */
#include "testutil.h"

#include <string.h>

#include "mimic/core.h"

typedef struct seen {
  int n;
  mimic_log_level level[8];
  char msg[8][64];
} seen;

static void sink(mimic_log_level level, const char *msg, void *user) {
  seen *s = user;
  if (s->n < 8) {
    s->level[s->n] = level;
    snprintf(s->msg[s->n], sizeof s->msg[s->n], "%s", msg);
  }
  s->n++;
}

static void test_sink_receives_levels_and_messages(void **state) {
  (void)state;
  seen s = {0};
  mimic_log_level before = mimic_log_get_level();
  mimic_log_set_level(MIMIC_LOG_INFO);
  mimic_log_set_sink(sink, &s);
  MIMIC_DEBUG("hidden %d", 0); /* below the level: not delivered */
  MIMIC_INFO("round %d of %d", 2, 5);
  MIMIC_WARN("beta %.1f", 0.5);
  mimic_log(MIMIC_LOG_ERROR, "%s", "disk full");
  mimic_log(MIMIC_LOG_OFF, "never"); /* OFF is a level to set, not one to write at */
  assert_int_equal(s.n, 3);
  assert_int_equal(s.level[0], MIMIC_LOG_INFO);
  assert_string_equal(s.msg[0], "round 2 of 5");
  assert_int_equal(s.level[1], MIMIC_LOG_WARN);
  assert_string_equal(s.msg[1], "beta 0.5");
  assert_int_equal(s.level[2], MIMIC_LOG_ERROR);
  assert_string_equal(s.msg[2], "disk full");

  mimic_log_set_level(MIMIC_LOG_DEBUG);
  MIMIC_DEBUG("shown %d", 1);
  assert_int_equal(s.n, 4);
  assert_int_equal(s.level[3], MIMIC_LOG_DEBUG);
  assert_string_equal(s.msg[3], "shown 1");

  mimic_log_set_level(MIMIC_LOG_OFF);
  MIMIC_ERROR("quiet");
  assert_int_equal(s.n, 4);

  mimic_log_set_sink(NULL, NULL); /* back to stderr: the sink hears nothing more */
  mimic_log_set_level(MIMIC_LOG_ERROR);
  MIMIC_ERROR("to stderr (expected in the test log)");
  assert_int_equal(s.n, 4);
  mimic_log_set_level(before);
}

static void test_status_str_names_every_status(void **state) {
  (void)state;
  const char *names[MIMIC_ERR_INTERRUPTED + 1];
  for (int st = MIMIC_OK; st <= MIMIC_ERR_INTERRUPTED; st++) {
    names[st] = mimic_status_str((mimic_status)st);
    assert_non_null(names[st]);
    assert_true(strlen(names[st]) > 0);
    assert_string_not_equal(names[st], "unknown status");
    for (int k = 0; k < st; k++) assert_string_not_equal(names[st], names[k]);
  }
  assert_string_equal(mimic_status_str(MIMIC_OK), "ok");
  assert_string_equal(mimic_status_str(MIMIC_ERR_NOT_FOUND), "not found");
  assert_string_equal(mimic_status_str((mimic_status)99), "unknown status");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sink_receives_levels_and_messages),
      cmocka_unit_test(test_status_str_names_every_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
