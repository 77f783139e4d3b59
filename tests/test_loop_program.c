/* The program expert's two protocol versions (docs/expert-protocol.md): a
 * program that never says "protocol" gets one state a message; one that
 * answers the first request with "protocol": 2 gets batches of at most its
 * max_batch, answers in order; and a batch reply of the wrong length, a bad
 * max_batch or protocol, or a reply list of the wrong kind is an error that
 * names the request. The programs are small Python scripts written here. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/expert.h"
#include "loop/transport.h"

/* Writes a Python expert (CartPole: push right when the pole leans right)
 * that logs each message's number of states; greeting runs on its first
 * (one-state) reply, body builds every batch reply. Returns its cmd: spec. */
static char *program(const char *name, const char *greeting, const char *body) {
  char *path = tu_tmp_path(name), *log = tu_tmp_path("sizes.log");
  remove(log);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fprintf(fp,
          "import json, sys\n"
          "log = open('%s', 'a')\n"
          "for line in sys.stdin:\n"
          "    req = json.loads(line)\n"
          "    states = req.get('batch', [req])\n"
          "    log.write('%%d\\n' %% len(states)); log.flush()\n"
          "    acts = [1 if s['observation'][2] > 0 else 0 for s in states]\n"
          "    if 'batch' not in req:\n"
          "        reply = {'id': req['id'], 'action': acts[0]}\n"
          "        %s\n"
          "    else:\n"
          "        %s\n"
          "    print(json.dumps(reply), flush=True)\n",
          log, greeting, body);
  fclose(fp);
  char *spec = malloc(strlen(path) + 32);
  sprintf(spec, "cmd:/usr/bin/python3 %s", path);
  free(path);
  free(log);
  return spec;
}

/* The message sizes the last program logged, as "1 4 4 2". */
static char *sizes(void) {
  char *log = tu_tmp_path("sizes.log"), *out = malloc(4096);
  FILE *fp = fopen(log, "r");
  size_t n = 0;
  int k;
  out[0] = '\0';
  while (fp && fscanf(fp, "%d", &k) == 1)
    n += (size_t)snprintf(out + n, 4096 - n, "%s%d", n ? " " : "", k);
  if (fp) fclose(fp);
  remove(log);
  free(log);
  return out;
}

typedef struct world {
  mimic_env *env;
  mimic_codec *codec;
  float obs[9 * 4];
  float act[9];
  mimic_answer ans[9];
} world;

/* Nine CartPole states, every other one leaning right (observation[2] > 0). */
static void world_make(world *w) {
  assert_int_equal(mimic_env_make("CartPole-v1", NULL, &w->env), MIMIC_OK);
  assert_int_equal(mimic_codec_env(w->env, &w->codec), MIMIC_OK);
  for (int i = 0; i < 9; i++) {
    for (int j = 0; j < 4; j++) w->obs[i * 4 + j] = 0.01f * (float)(j + 1);
    w->obs[i * 4 + 2] = i % 2 ? 0.05f : -0.05f;
    w->ans[i].action = &w->act[i];
  }
}

static void world_free(world *w) {
  mimic_codec_free(w->codec);
  mimic_env_free(w->env);
}

/* Asks the program about states [lo, lo + n) of the world. */
static mimic_status ask(mimic_expert *e, world *w, int lo, int n) {
  mimic_questions q = {.n = (size_t)n, .obs = w->obs + lo * 4, .obs_dim = 4, .must_act = true};
  return mimic_expert_label(e, &q, w->ans + lo);
}

static void expect_answers(const world *w, int n) {
  for (int i = 0; i < n; i++) {
    assert_int_equal(w->ans[i].kind, MIMIC_ANSWER_ACTION);
    assert_true(w->act[i] == (float)(i % 2));
  }
}

static void test_version_1_gets_one_state_a_message(void **state) {
  (void)state;
  world w;
  world_make(&w);
  char *spec = program("v1.py", "pass", "reply = {'id': req['id'], 'error': 'no batches'}");
  mimic_expert *e;
  assert_int_equal(mimic_expert_open(spec, w.codec, NULL, &e), MIMIC_OK);
  assert_int_equal(ask(e, &w, 0, 4), MIMIC_OK);
  assert_int_equal(ask(e, &w, 4, 5), MIMIC_OK);
  expect_answers(&w, 9);
  mimic_expert_free(e);
  char *got = sizes();
  assert_string_equal(got, "1 1 1 1 1 1 1 1 1");
  free(got);
  free(spec);
  world_free(&w);
}

static void test_version_2_gets_batches_within_its_limit(void **state) {
  (void)state;
  world w;
  world_make(&w);
  char *spec = program("v2.py", "reply.update(protocol=2, max_batch=3)",
                       "reply = {'id': req['id'], 'actions': acts}");
  mimic_expert *e;
  assert_int_equal(mimic_expert_open(spec, w.codec, NULL, &e), MIMIC_OK);
  assert_int_equal(ask(e, &w, 0, 4), MIMIC_OK); /* the greeting, then 3 */
  assert_int_equal(e->max_batch, 3);
  assert_int_equal(ask(e, &w, 4, 5), MIMIC_OK); /* 3, then 2 */
  expect_answers(&w, 9);
  assert_int_equal(e->answers, 9);
  mimic_expert_free(e);
  char *got = sizes();
  assert_string_equal(got, "1 3 3 2");
  free(got);
  free(spec);
  world_free(&w);
}

/* A version-2 program whose batch replies are `body`: the error must say `words`. */
static void expect_refused(const char *greeting, const char *body, const char *words) {
  world w;
  world_make(&w);
  char *spec = program("bad.py", greeting, body);
  mimic_expert *e;
  assert_int_equal(mimic_expert_open(spec, w.codec, NULL, &e), MIMIC_OK);
  mimic_status st = ask(e, &w, 0, 4);
  if (st == MIMIC_OK) fail_msg("a bad reply was taken (%s)", body);
  if (!strstr(mimic_errmsg(), words)) fail_msg("'%s' does not say '%s'", mimic_errmsg(), words);
  mimic_expert_free(e);
  free(sizes());
  free(spec);
  world_free(&w);
}

static void test_bad_batches_are_refused(void **state) {
  (void)state;
  const char *v2 = "reply.update(protocol=2)";
  expect_refused(v2, "reply = {'id': req['id'], 'actions': acts[1:]}",
                 "one entry for each of its 3 states, and holds another number");
  expect_refused(v2, "reply = {'id': req['id'], 'action': acts[0]}", "must hold \"actions\"");
  expect_refused(v2, "reply = {'id': req['id'], 'replies': acts}",
                 "each of \"replies\" must be an object");
  expect_refused(v2, "reply = {'id': req['id'], 'actions': [True] * len(acts)}",
                 "state 1 of 3 must be an integer");
  expect_refused("reply.update(protocol=2, max_batch=0)", "pass",
                 "\"max_batch\" must be a positive integer");
  expect_refused("reply.update(protocol='two')", "pass", "\"protocol\" must be 1 or 2");
}

static void test_replies_can_skip(void **state) {
  (void)state;
  world w;
  world_make(&w);
  char *spec = program("skip.py", "reply.update(protocol=2)",
                       "reply = {'id': req['id'], 'replies': [{'skip': True}] + "
                       "[{'action': a} for a in acts[1:]]}");
  mimic_expert *e;
  assert_int_equal(mimic_expert_open(spec, w.codec, NULL, &e), MIMIC_OK);
  mimic_questions q = {.n = 4, .obs = w.obs, .obs_dim = 4};
  assert_int_equal(mimic_expert_label(e, &q, w.ans), MIMIC_OK);
  assert_int_equal(w.ans[0].kind, MIMIC_ANSWER_ACTION); /* the greeting's one state */
  assert_int_equal(w.ans[1].kind, MIMIC_ANSWER_SKIP);
  assert_int_equal(w.ans[2].kind, MIMIC_ANSWER_ACTION);
  assert_true(w.act[3] == 1);
  mimic_expert_free(e);
  free(sizes());
  free(spec);
  world_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_1_gets_one_state_a_message),
      cmocka_unit_test(test_version_2_gets_batches_within_its_limit),
      cmocka_unit_test(test_bad_batches_are_refused),
      cmocka_unit_test(test_replies_can_skip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
