/* External JSON Lines programs: replies, ids, timeouts, crashes, garbage.
 * The expert programs are small bash scripts written by the test. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/proc.h"

static char *write_script(const char *name, const char *body) {
  char *path = tu_tmp_path(name);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fprintf(fp, "#!/bin/bash\n%s\n", body);
  fclose(fp);
  chmod(path, 0755);
  return path;
}

/* Answers {"id": N, "action": N*2} for every request. */
static const char *ECHO = "while IFS= read -r line; do\n"
                          "  id=$(printf '%s' \"$line\" | sed -E 's/.*\"id\": ?([0-9]+).*/\\1/')\n"
                          "  printf '{\"id\": %d, \"action\": %d}\\n' \"$id\" $((id * 2))\n"
                          "done";

static void test_argv_split(void **state) {
  (void)state;
  char **argv;
  assert_int_equal(mimic_argv_split("prog 'a b' \"c \\\"d\\\"\" e\\ f", &argv), MIMIC_OK);
  assert_string_equal(argv[0], "prog");
  assert_string_equal(argv[1], "a b");
  assert_string_equal(argv[2], "c \"d\"");
  assert_string_equal(argv[3], "e f");
  assert_null(argv[4]);
  mimic_argv_free(argv);
  assert_int_equal(mimic_argv_split("prog 'open", &argv), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "unclosed"));
  assert_int_equal(mimic_argv_split("   ", &argv), MIMIC_ERR_INVALID);
}

static void test_round_trips(void **state) {
  (void)state;
  char *script = write_script("echo.sh", ECHO);
  mimic_proc *p;
  assert_int_equal(mimic_proc_start(script, "expert program", 10, &p), MIMIC_OK);
  for (int i = 1; i <= 20; i++) {
    json_t *req = json_pack("{s:[f,f]}", "observation", 0.5, -1.0), *rep;
    assert_int_equal(mimic_proc_request(p, req, &rep), MIMIC_OK);
    assert_int_equal(json_integer_value(json_object_get(rep, "action")), 2 * i);
    json_decref(req);
    json_decref(rep);
  }
  assert_int_equal(mimic_proc_replies(p), 20);
  mimic_proc_stop(p);
  free(script);
}

/* Timeouts of weeks (or no end) wait for a reply like any other, and a
 * timeout that is not a number is refused: none may overflow the wait. */
static void test_long_timeouts(void **state) {
  (void)state;
  char *script = write_script("echo-slow.sh", ECHO);
  const double timeouts[] = {3e6, 1e300, INFINITY};
  for (int k = 0; k < 3; k++) {
    mimic_proc *p;
    assert_int_equal(mimic_proc_start(script, "expert program", timeouts[k], &p), MIMIC_OK);
    json_t *req = json_object(), *rep;
    assert_int_equal(mimic_proc_request(p, req, &rep), MIMIC_OK);
    assert_int_equal(json_integer_value(json_object_get(rep, "action")), 2);
    json_decref(req);
    json_decref(rep);
    mimic_proc_stop(p);
  }
  mimic_proc *p;
  assert_int_equal(mimic_proc_start(script, "expert program", NAN, &p), MIMIC_ERR_INVALID);
  free(script);
}

static mimic_status one_request(const char *body, const char *name) {
  char *script = write_script(name, body);
  mimic_proc *p;
  mimic_status st = mimic_proc_start(script, "expert program", 1.0, &p);
  if (st == MIMIC_OK) {
    json_t *req = json_object(), *rep = NULL;
    st = mimic_proc_request(p, req, &rep);
    json_decref(req);
    json_decref(rep);
    mimic_proc_stop(p);
  }
  free(script);
  return st;
}

static void test_errors(void **state) {
  (void)state;
  assert_int_equal(one_request("read -r line; sleep 5", "slow.sh"), MIMIC_ERR_TIMEOUT);
  assert_non_null(strstr(mimic_errmsg(), "did not answer request 1 within 1 s"));
  assert_int_equal(one_request("read -r line; exit 3", "crash.sh"), MIMIC_ERR_EXTERNAL);
  assert_non_null(strstr(mimic_errmsg(), "exited with status 3"));
  assert_int_equal(one_request("read -r line; echo 'this is not json'", "garbage.sh"),
                   MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "not a JSON object"));
  assert_int_equal(one_request("read -r line; echo '{\"id\": 99, \"action\": 1}'", "wrongid.sh"),
                   MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "another id"));
  assert_int_equal(
      one_request("read -r line; echo '{\"id\": 1, \"error\": \"no idea\"}'", "err.sh"),
      MIMIC_ERR_EXTERNAL);
  assert_non_null(strstr(mimic_errmsg(), "no idea"));
  /* an expert's text cannot drive the terminal: no control characters reach it */
  assert_int_equal(one_request("read -r line; printf '{\"id\": 1, \"error\": "
                               "\"\\\\u001b[2J\\\\u001b]0;pwned\\\\u0007\\\\u0085x\\\\nok\"}\\n'",
                               "esc.sh"),
                   MIMIC_ERR_EXTERNAL);
  assert_non_null(strstr(mimic_errmsg(), "?[2J?]0;pwned???x?ok"));
  for (const unsigned char *c = (const unsigned char *)mimic_errmsg(); *c; c++)
    assert_true(*c >= 0x20 && *c != 0x7f);
  assert_int_equal(one_request("exit 0", "early.sh"), MIMIC_ERR_EXTERNAL);
  mimic_proc *p;
  assert_int_equal(mimic_proc_start("/nonexistent/expert --flag", "expert program", 1, &p),
                   MIMIC_ERR_EXTERNAL);
  assert_non_null(strstr(mimic_errmsg(), "cannot start '/nonexistent/expert'"));
}

static void test_stop_kills_stubborn_program(void **state) {
  (void)state;
  char *script = write_script("stubborn.sh", "trap '' TERM; while true; do sleep 1; done");
  mimic_proc *p;
  assert_int_equal(mimic_proc_start(script, "expert program", 1, &p), MIMIC_OK);
  mimic_proc_stop(p); /* returns: SIGKILL after SIGTERM is ignored */
  free(script);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_argv_split),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_long_timeouts),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_stop_kills_stubborn_program),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
