/* DAgger for agents through the one driver (mimic_dagger_run): the
 * mission's loop with a program as the expert (JSON Lines, kind
 * "agent_state"): only the state the policy was unsure of (the unseen
 * complaint) is asked, the answer is in the store before the next
 * question, and it is learned; a person at the terminal answering with
 * arguments; a person who stops mid-run, and the run resumed with another
 * expert asking only what was not answered; and the recorded expert on
 * tau-bench, where a few hundred corrections on the states the policy was
 * unsure of raise held-out accuracy. */
#include "testutil.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/agent.h"

static char *src_path(const char *rel) {
  char *p = malloc(1024);
  snprintf(p, 1024, "%s/%s", MIMIC_SOURCE_DIR, rel);
  return p;
}

static void read_examples(const char *rel, mimic_agent_traces *t, mimic_agent_examples *e) {
  char *p = src_path(rel);
  assert_int_equal(mimic_agent_traces_read(p, MIMIC_AGENT_FORMAT_AUTO, t), MIMIC_OK);
  memset(e, 0, sizeof *e);
  assert_int_equal(mimic_agent_examples_add_traces(e, t, NULL), MIMIC_OK);
  free(p);
}

static void read_pool(const char *text, mimic_agent_examples *e) {
  char *p = tu_tmp_path("pool.jsonl");
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  memset(e, 0, sizeof *e);
  assert_int_equal(mimic_agent_states_read(p, e), MIMIC_OK);
  free(p);
}

static int64_t stored(const char *db, mimic_label_list *l) {
  mimic_labelstore *s;
  mimic_labelstore_opts ro = {.read_only = true};
  assert_int_equal(mimic_labelstore_open(db, &ro, &s), MIMIC_OK);
  int64_t n;
  assert_int_equal(mimic_labelstore_count(s, 0, &n), MIMIC_OK);
  if (l) assert_int_equal(mimic_labelstore_fetch(s, 0, l), MIMIC_OK);
  mimic_labelstore_close(s);
  return n;
}

static mimic_agent_prediction predict(const mimic_agent_model *m, const char *intent,
                                      const char *request) {
  mimic_agent_state s = {intent, request, NULL, 0, NULL, NULL, 0, NULL};
  mimic_agent_scratch *sc;
  assert_int_equal(mimic_agent_scratch_new(m, &sc), MIMIC_OK);
  mimic_agent_prediction p;
  assert_int_equal(mimic_agent_predict(m, &s, sc, &p), MIMIC_OK);
  mimic_agent_scratch_free(sc);
  return p;
}

/* The mission with a program as the expert. */
static void test_mission_program(void **state) {
  (void)state;
  mimic_agent_traces dt;
  mimic_agent_examples demos, pool;
  read_examples("docs/agent-mission/demos.jsonl", &dt, &demos);
  char *pool_path = src_path("docs/agent-mission/pool.jsonl");
  memset(&pool, 0, sizeof pool);
  assert_int_equal(mimic_agent_states_read(pool_path, &pool), MIMIC_OK);
  assert_int_equal(pool.n, 2);
  char *expert = src_path("docs/agent-mission/expert.sh");
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "cmd:%s", expert);
  char *db = tu_tmp_path("mission.db"), *out = tu_tmp_path("agent.mimic");
  mimic_agent_dagger_config cfg;
  mimic_agent_dagger_defaults(&cfg);
  cfg.policy.policy = MIMIC_AGENT_FREQUENCY;
  cfg.demos = &demos;
  cfg.pool = &pool;
  cfg.expert = cmd;
  cfg.store_path = db;
  cfg.model_out = out;
  mimic_dagger_round rows[4];
  int n_rows;
  mimic_agent_model *m = NULL;
  assert_int_equal(mimic_agent_dagger_run(&cfg, rows, 4, &n_rows, &m), MIMIC_OK);
  assert_int_equal(n_rows, 1);
  assert_int_equal(rows[0].candidates, 2);
  assert_int_equal(rows[0].queried, 1); /* only the complaint: 0 < 0.5; order_status 0.67 acts */
  assert_int_equal(rows[0].expert_queries, 1);
  assert_int_equal(rows[0].dataset_size, demos.n + 1);
  mimic_label_list l;
  assert_int_equal(stored(db, &l), 1);
  assert_string_equal(l.r[0].label, "escalate_to_human");
  assert_non_null(strstr(l.r[0].text, "\"complaint\""));
  assert_non_null(strstr(l.r[0].meta, "\"reason\":\"complaint\""));
  assert_string_equal(l.r[0].item, "new-2#0");
  mimic_label_list_free(&l);
  mimic_agent_prediction p = predict(m, "complaint", "My order arrived broken!");
  assert_string_equal(mimic_agent_action(m, p.action), "escalate_to_human");
  assert_true(p.confidence == 1.0);
  p = predict(m, "order_status", "Where is order F1207?");
  assert_string_equal(mimic_agent_action(m, p.action), "search_orders");
  assert_true(fabs(p.confidence - 2.0 / 3.0) < 1e-12);
  /* the model written after the round says the same */
  mimic_agent_model *saved;
  assert_int_equal(mimic_agent_load(out, &saved), MIMIC_OK);
  p = predict(saved, "complaint", "anything");
  assert_string_equal(mimic_agent_action(saved, p.action), "escalate_to_human");
  mimic_agent_free(saved);
  /* a finished session is not run twice */
  assert_int_equal(mimic_agent_dagger_run(&cfg, NULL, 0, NULL, NULL), MIMIC_ERR_INVALID);
  mimic_agent_free(m);
  mimic_agent_examples_free(&demos);
  mimic_agent_examples_free(&pool);
  mimic_agent_traces_free(&dt);
  free(pool_path);
  free(expert);
  free(db);
  free(out);
}

/* A person at the terminal: an answer with arguments, then quitting; the
 * run resumed with a program asks only what was not answered. */
static void test_human_quit_resume(void **state) {
  (void)state;
  mimic_agent_traces dt;
  mimic_agent_examples demos, pool;
  read_examples("docs/agent-mission/demos.jsonl", &dt, &demos);
  read_pool("{\"id\": \"p1\", \"intent\": \"complaint\", \"request\": \"broken again\"}\n"
            "{\"id\": \"p2\", \"intent\": \"order_status\", \"request\": \"order G1?\"}\n"
            "{\"id\": \"p3\", \"intent\": \"fraud\", \"request\": \"someone used my card\"}\n"
            "{\"id\": \"p4\", \"intent\": \"order_status\", \"request\": \"order H2?\"}\n",
            &pool);
  char *db = tu_tmp_path("resume.db"), *qpath = tu_tmp_path("questions.txt");
  char *apath = tu_tmp_path("answers.txt");
  FILE *a = fopen(apath, "w");
  fputs("70\nescalate_to_human {\"reason\": \"angry\"}\n", a); /* a bad number, then an answer */
  fclose(a);
  FILE *in = fopen(apath, "r"), *out = fopen(qpath, "w");
  mimic_agent_dagger_config cfg;
  mimic_agent_dagger_defaults(&cfg);
  cfg.policy.policy = MIMIC_AGENT_FREQUENCY;
  cfg.demos = &demos;
  cfg.pool = &pool;
  cfg.expert = "human";
  cfg.human_in = in;
  cfg.human_out = out;
  cfg.store_path = db;
  cfg.rounds = 2;
  mimic_dagger_round rows[4];
  int n_rows;
  /* round 1 asks p1 (answered); round 2 asks p3 and the input ends */
  assert_int_equal(mimic_agent_dagger_run(&cfg, rows, 4, &n_rows, NULL), MIMIC_ERR_INTERRUPTED);
  fclose(in);
  fclose(out);
  assert_int_equal(n_rows, 1);
  assert_int_equal(rows[0].queried, 1);
  char *questions;
  size_t qlen;
  assert_int_equal(mimic_read_file(qpath, &questions, &qlen), MIMIC_OK);
  assert_non_null(strstr(questions, "broken again"));
  assert_non_null(strstr(questions, "no answer has number 70"));
  assert_non_null(strstr(questions, "someone used my card"));
  free(questions);
  mimic_label_list l;
  assert_int_equal(stored(db, &l), 1);
  assert_string_equal(l.r[0].label, "escalate_to_human");
  assert_string_equal(l.r[0].labeler, "human");
  assert_non_null(strstr(l.r[0].meta, "\"reason\":\"angry\""));
  mimic_label_list_free(&l);
  /* resume with a program: only p3 is asked */
  char *expert = src_path("docs/agent-mission/expert.sh");
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "cmd:%s", expert);
  cfg.expert = cmd;
  cfg.human_in = cfg.human_out = NULL;
  mimic_agent_model *m;
  assert_int_equal(mimic_agent_dagger_run(&cfg, rows, 4, &n_rows, &m), MIMIC_OK);
  assert_int_equal(n_rows, 1); /* round 2 only */
  assert_int_equal(rows[0].round, 1);
  assert_int_equal(rows[0].queried, 1);
  assert_int_equal(stored(db, NULL), 2);
  mimic_agent_prediction p = predict(m, "fraud", "card stolen");
  assert_string_equal(mimic_agent_action(m, p.action), "search_orders"); /* the program's answer */
  p = predict(m, "complaint", "x");
  assert_string_equal(mimic_agent_action(m, p.action), "escalate_to_human");
  mimic_agent_free(m);
  mimic_agent_examples_free(&demos);
  mimic_agent_examples_free(&pool);
  mimic_agent_traces_free(&dt);
  free(expert);
  free(db);
  free(qpath);
  free(apath);
}

/* tau-bench with the recorded expert: corrections where the policy is unsure. */
static void test_tau_recorded(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/text-agents/tau-bench/gpt-4o-airline.json", tu_data_dir());
  mimic_agent_traces t;
  assert_int_equal(mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &t), MIMIC_OK);
  bool test[200], is_demo[200], in_pool[200];
  assert_int_equal(mimic_agent_split(&t, MIMIC_AGENT_SPLIT_TASK, 0.3, 3, test, NULL), MIMIC_OK);
  /* demonstrations: trial 0 of the training tasks; pool: their other trials */
  for (size_t i = 0; i < t.n; i++) {
    bool trial0 = strstr(t.t[i].id, "-trial0") != NULL;
    is_demo[i] = !test[i] && trial0;
    in_pool[i] = !test[i] && !trial0;
  }
  mimic_agent_examples demos = {0}, pool = {0}, eval = {0};
  assert_int_equal(mimic_agent_examples_add_traces(&demos, &t, is_demo), MIMIC_OK);
  assert_int_equal(mimic_agent_examples_add_traces(&pool, &t, in_pool), MIMIC_OK);
  assert_int_equal(mimic_agent_examples_add_traces(&eval, &t, test), MIMIC_OK);
  char *db = tu_tmp_path("tau.db");
  mimic_agent_dagger_config cfg;
  mimic_agent_dagger_defaults(&cfg);
  cfg.policy.n_threads = 2;
  cfg.policy.keep_demos = false;
  cfg.demos = &demos;
  cfg.pool = &pool;
  cfg.eval = &eval;
  cfg.expert = "recorded";
  cfg.store_path = db;
  cfg.rounds = 3;
  cfg.query = (mimic_query_rule){MIMIC_QUERY_UNCERTAIN, 0.7, 0};
  mimic_dagger_round rows[4];
  int n_rows;
  mimic_agent_model *m;
  if (mimic_agent_dagger_run(&cfg, rows, 4, &n_rows, &m)) fail_msg("%s", mimic_errmsg());
  assert_int_equal(n_rows, 3);
  /* the accuracy before any correction */
  mimic_agent_model *m0;
  assert_int_equal(mimic_agent_fit(demos.ex, demos.n, &cfg.policy, &m0), MIMIC_OK);
  mimic_agent_eval e0, e1;
  assert_int_equal(mimic_agent_evaluate(m0, eval.ex, eval.n, &e0), MIMIC_OK);
  assert_int_equal(mimic_agent_evaluate(m, eval.ex, eval.n, &e1), MIMIC_OK);
  size_t asked = 0, cand = 0;
  for (int r = 0; r < n_rows; r++) {
    asked += rows[r].queried;
    cand += rows[r].candidates;
    print_message("round %d: %zu states, %zu asked, accuracy %.4f coverage %.3f\n", r + 1,
                  rows[r].candidates, rows[r].queried, rows[r].metrics[1], rows[r].metrics[2]);
  }
  print_message("accuracy from %zu demonstrations %.4f; with %zu corrections %.4f\n", demos.n,
                e0.accuracy, asked, e1.accuracy);
  assert_int_equal(cand, pool.n);
  assert_true(asked > 0 && asked < pool.n); /* only the unsure states */
  assert_int_equal(stored(db, NULL), (int64_t)asked);
  assert_true(e1.accuracy > e0.accuracy);
  assert_true(fabs(rows[n_rows - 1].metrics[1] - e1.accuracy) < 1e-12);
  mimic_agent_eval_free(&e0);
  mimic_agent_eval_free(&e1);
  mimic_agent_free(m0);
  mimic_agent_free(m);
  mimic_agent_examples_free(&demos);
  mimic_agent_examples_free(&pool);
  mimic_agent_examples_free(&eval);
  mimic_agent_traces_free(&t);
  free(db);
}

/* A program expert (a shell rule: complaints escalate, everything else looks
 * orders up) that kills the DAgger process when question limit + 1 arrives. */
static char *killer_expert(const char *name, int limit) {
  char *path = tu_tmp_path(name);
  FILE *f = fopen(path, "w");
  fprintf(f,
          "#!/bin/bash\n"
          "n=0\n"
          "while IFS= read -r line; do\n"
          "  n=$((n+1))\n"
          "  if [ %d -gt 0 ] && [ $n -gt %d ]; then kill -9 $PPID; exit; fi\n"
          "  id=$(printf '%%s' \"$line\" | sed -E 's/.*\"id\": ?([0-9]+).*/\\1/')\n"
          "  case \"$line\" in\n"
          "    *'\"intent\":\"cancel'*) printf '{\"id\": %%s, \"action\": \"cancel_reservation\", "
          "\"arguments\": {\"why\": \"asked\"}}\\n' \"$id\" ;;\n"
          "    *) printf '{\"id\": %%s, \"action\": \"get_user_details\"}\\n' \"$id\" ;;\n"
          "  esac\n"
          "done\n",
          limit, limit);
  fclose(f);
  chmod(path, 0755);
  return path;
}

/* The store's answers as "item=label" lines. */
static char *answer_lines(const char *db) {
  mimic_label_list l;
  stored(db, &l);
  size_t cap = 64 + l.n * 160, len = 0;
  char *out = calloc(cap, 1);
  for (size_t i = 0; i < l.n; i++)
    len += (size_t)snprintf(out + len, cap - len, "%s=%s@%lld\n", l.r[i].item, l.r[i].label,
                            (long long)l.r[i].round);
  mimic_label_list_free(&l);
  return out;
}

/* Killed with SIGKILL inside round 2, the run resumed asks only what was not
 * answered and ends with the same answers and the same model. */
static void test_program_killed_mid_round(void **state) {
  (void)state;
  char path[1024];
  snprintf(path, sizeof path, "%s/text-agents/tau-bench/gpt-4o-airline.json", tu_data_dir());
  mimic_agent_traces t;
  assert_int_equal(mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &t), MIMIC_OK);
  bool test[200], is_demo[200], in_pool[200];
  assert_int_equal(mimic_agent_split(&t, MIMIC_AGENT_SPLIT_TASK, 0.3, 3, test, NULL), MIMIC_OK);
  for (size_t i = 0; i < t.n; i++) {
    bool trial0 = strstr(t.t[i].id, "-trial0") != NULL;
    is_demo[i] = !test[i] && trial0;
    in_pool[i] = !test[i] && !trial0 && i % 3 == 0; /* a third of the other trials */
  }
  mimic_agent_examples demos = {0}, pool = {0}, eval = {0};
  assert_int_equal(mimic_agent_examples_add_traces(&demos, &t, is_demo), MIMIC_OK);
  assert_int_equal(mimic_agent_examples_add_traces(&pool, &t, in_pool), MIMIC_OK);
  assert_int_equal(mimic_agent_examples_add_traces(&eval, &t, test), MIMIC_OK);
  char *plain = killer_expert("agent-expert.sh", 0),
       *killer = killer_expert("agent-killer.sh", 150);
  char cmd_plain[1200], cmd_killer[1200];
  snprintf(cmd_plain, sizeof cmd_plain, "cmd:%s", plain);
  snprintf(cmd_killer, sizeof cmd_killer, "cmd:%s", killer);
  char *db_a = tu_tmp_path("agent-a.db"), *db_b = tu_tmp_path("agent-b.db");
  mimic_agent_dagger_config cfg;
  mimic_agent_dagger_defaults(&cfg);
  cfg.policy.policy = MIMIC_AGENT_FREQUENCY;
  cfg.demos = &demos;
  cfg.pool = &pool;
  cfg.eval = &eval;
  cfg.rounds = 3;
  cfg.query = (mimic_query_rule){MIMIC_QUERY_UNCERTAIN, 0.7, 0};
  cfg.expert = cmd_plain;
  cfg.store_path = db_a;
  mimic_dagger_round ra[4], rb[4];
  int na, nb;
  assert_int_equal(mimic_agent_dagger_run(&cfg, ra, 4, &na, NULL), MIMIC_OK);
  int64_t total = stored(db_a, NULL);
  assert_true(total > 200 && ra[0].queried < 150 && ra[0].queried + ra[1].queried > 150);
  /* the same run killed by its expert at question 151 (inside round 2) */
  pid_t pid = fork();
  if (pid == 0) {
    mimic_agent_dagger_config child = cfg;
    child.expert = cmd_killer;
    child.store_path = db_b;
    mimic_agent_dagger_run(&child, NULL, 0, NULL, NULL);
    _exit(3);
  }
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(stored(db_b, NULL), 150); /* every answer before the kill is on disk */
  cfg.store_path = db_b;
  assert_int_equal(mimic_agent_dagger_run(&cfg, rb, 4, &nb, NULL), MIMIC_OK);
  assert_int_equal(nb, 2); /* rounds 2 and 3 */
  char *a = answer_lines(db_a), *b = answer_lines(db_b);
  assert_string_equal(a, b);
  for (int r = 0; r < 2; r++)
    for (int k = 0; k < ra[r + 1].n_metrics; k++)
      assert_true(ra[r + 1].metrics[k] == rb[r].metrics[k]);
  free(a);
  free(b);
  free(plain);
  free(killer);
  free(db_a);
  free(db_b);
  mimic_agent_examples_free(&demos);
  mimic_agent_examples_free(&pool);
  mimic_agent_examples_free(&eval);
  mimic_agent_traces_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mission_program),
      cmocka_unit_test(test_human_quit_resume),
      cmocka_unit_test(test_tau_recorded),
      cmocka_unit_test(test_program_killed_mid_round),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
