/* DAgger on environments: it reaches the expert, counts its queries, and a
 * run killed between or inside rounds resumes to exactly the result of a
 * run that was never interrupted, without asking any question twice. A
 * program that takes batches gets the same questions in far fewer
 * messages, never more than it announced, and a kill loses at most the
 * batch in flight. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"

static mimic_dagger_env_config small_config(const char *env_id) {
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  cfg.env_id = env_id;
  cfg.rounds = 4;
  mimic_beta_parse("linear:4", &cfg.beta);
  cfg.min_steps = 300;
  cfg.min_episodes = 1;
  cfg.eval_episodes = 5;
  cfg.progress = false;
  return cfg;
}

static mimic_bc_config quiet_bc(void) {
  mimic_bc_config bc = mimic_bc_defaults();
  bc.progress = false;
  return bc;
}

/* Runs DAgger and returns the best learner's bytes (malloc'd). */
static uint8_t *run(const mimic_dagger_env_config *cfg, size_t *len, mimic_dagger_round *rows,
                    int *n_rows) {
  mimic_bc_config bc = quiet_bc();
  return tu_dagger_bytes(cfg, &bc, len, rows, n_rows);
}

static void test_cartpole_reaches_expert(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  cfg.env_id = "CartPole-v1";
  cfg.rounds = 6;
  cfg.eval_episodes = 10;
  cfg.progress = false;
  mimic_bc_config bc = quiet_bc();
  mimic_model best;
  mimic_dagger_round rows[16];
  int n;
  assert_int_equal(mimic_dagger_env_run(&cfg, &bc, &best, rows, 16, &n), MIMIC_OK);
  assert_int_equal(n, 6);
  for (int i = 0; i < n; i++) {
    assert_true(rows[i].candidates >= 500);
    assert_int_equal(rows[i].queried,
                     rows[i].candidates); /* 'all': the expert labels every visited state */
  }
  mimic_env *env;
  assert_int_equal(mimic_env_make("CartPole-v1", NULL, &env), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&best, mimic_env_action_space(env), &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.progress = false;
  ec.normalize = false;
  ec.seed = 777;
  mimic_eval_result r;
  assert_int_equal(mimic_evaluate(p, "CartPole-v1", NULL, &ec, &r), MIMIC_OK);
  print_message("DAgger CartPole-v1: %.1f over 100 episodes after %ld expert labels\n",
                r.return_mean, rows[n - 1].expert_queries);
  assert_true(r.return_mean >= 475);
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  mimic_env_free(env);
}

/* Labels asked after round 1 (where beta = 1 makes the expert act everywhere). */
static size_t later_queries(mimic_dagger_env_config *cfg, const char *rule, size_t *visited) {
  mimic_query_parse(rule, &cfg->query);
  mimic_dagger_round rows[8];
  int n;
  size_t len;
  free(run(cfg, &len, rows, &n));
  assert_int_equal(rows[0].queried, rows[0].candidates);
  size_t later = 0;
  *visited = 0;
  for (int i = 1; i < n; i++) {
    later += rows[i].queried;
    *visited += rows[i].candidates;
  }
  assert_int_equal(rows[n - 1].expert_queries, (long)(rows[0].queried + later));
  return later;
}

/* DoorKey-8x8 is partially observed: a memoryless learner sees the same view
 * in states where the expert (who sees the whole grid) acts differently, and
 * a deterministic policy can loop there forever. Sampled actions break such
 * loops, so the learner is evaluated (and selected) with sampling. */
static void test_doorkey_8x8(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  cfg.env_id = "MiniGrid-DoorKey-8x8-v0";
  cfg.rounds = 8;
  cfg.epochs = 6;
  cfg.eval_episodes = 20;
  cfg.eval_sample = true;
  cfg.progress = false;
  mimic_bc_config bc = quiet_bc();
  bc.hidden[0] = bc.hidden[1] = 64;
  mimic_model best;
  assert_int_equal(mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL), MIMIC_OK);
  mimic_env *env;
  assert_int_equal(mimic_env_make(cfg.env_id, NULL, &env), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&best, mimic_env_action_space(env), &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.progress = false;
  ec.normalize = false;
  ec.seed = 5000;
  ec.sample = true;
  mimic_eval_result sampled, argmax;
  assert_int_equal(mimic_evaluate(p, cfg.env_id, NULL, &ec, &sampled), MIMIC_OK);
  ec.sample = false;
  assert_int_equal(mimic_evaluate(p, cfg.env_id, NULL, &ec, &argmax), MIMIC_OK);
  print_message("DAgger DoorKey-8x8: success %.0f%% sampled, %.0f%% argmax (100 episodes)\n",
                100 * sampled.success_rate, 100 * argmax.success_rate);
  assert_true(sampled.success_rate >= 0.95);
  mimic_eval_result_free(&sampled);
  mimic_eval_result_free(&argmax);
  mimic_policy_free(p);
  mimic_env_free(env);
}

static void test_query_rules_and_cap(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = small_config("CartPole-v1");
  mimic_beta_parse("indicator", &cfg.beta);
  size_t v1, v2;
  size_t strict = later_queries(&cfg, "uncertain:0.95", &v1),
         lax = later_queries(&cfg, "uncertain:0.6", &v2);
  print_message("uncertain:0.95 asked %zu of %zu states, uncertain:0.6 asked %zu of %zu\n", strict,
                v1, lax, v2);
  assert_true(strict < v1);
  assert_true(lax < strict);
  mimic_dagger_round rows[8];
  int n;
  size_t len;
  mimic_query_parse("least-confident:25", &cfg.query);
  free(run(&cfg, &len, rows, &n));
  for (int i = 1; i < n; i++) assert_int_equal(rows[i].queried, 25);

  cfg.cap = 600; /* memory bound: the pool never holds more */
  mimic_query_parse("all", &cfg.query);
  free(run(&cfg, &len, rows, &n));
  for (int i = 0; i < n; i++) assert_true(rows[i].dataset_size <= 600);
  assert_int_equal(rows[n - 1].dataset_size, 600);
}

static void test_resume_after_kill_between_rounds(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = small_config("CartPole-v1");
  size_t len_a, len_b;
  uint8_t *a = run(&cfg, &len_a, NULL, NULL);
  char *work = tu_tmp_path("dagger-kill");
  cfg.work_dir = work;
  mimic_bc_config bc = quiet_bc();
  tu_dagger_killed_after(&cfg, &bc, 1);
  mimic_dagger_round rows[8];
  int n;
  uint8_t *b = run(&cfg, &len_b, rows, &n);
  assert_int_equal(n, 2); /* rounds 3 and 4 only */
  assert_int_equal(rows[0].round, 2);
  assert_int_equal(len_a, len_b);
  assert_memory_equal(a, b, len_a);
  free(a);
  free(b);
  free(work);
}

/* An expert program (awk, a CartPole balancer) that logs every answer and,
 * with a limit, kills the DAgger process when the question after the
 * limit arrives: by then the last answer must already be journaled. */
static char *expert_script(const char *log, int limit) {
  char name[64];
  snprintf(name, sizeof name, "expert-%d.sh", limit);
  char *path = tu_tmp_path(name);
  FILE *fp = fopen(path, "w");
  fprintf(fp,
          "#!/bin/bash\n"
          "exec awk -W interactive -v victim=\"$PPID\" -v limit=%d -v logf=\"%s\" '{\n"
          "  n++; if (limit > 0 && n > limit) { system(\"kill -9 \" victim); exit }\n"
          "  id = $0; sub(/.*\"id\": ?/, \"\", id); sub(/[^0-9].*/, \"\", id)\n"
          "  obs = $0; sub(/.*\"observation\": ?\\[/, \"\", obs); sub(/\\].*/, \"\", obs)\n"
          "  split(obs, o, \",\")\n"
          "  a = (o[3] + 0.3 * o[4] + 0.01 * o[2] > 0) ? 1 : 0\n"
          "  print id >> logf; fflush(logf)\n"
          "  printf(\"{\\\"id\\\": %%s, \\\"action\\\": %%d}\\n\", id, a); fflush()\n"
          "}'\n",
          limit, log);
  fclose(fp);
  chmod(path, 0755);
  return path;
}

static long count_lines(const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp) return 0;
  long n = 0;
  int ch;
  while ((ch = fgetc(fp)) != EOF) n += ch == '\n';
  fclose(fp);
  return n;
}

static void test_program_expert_killed_mid_round(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = small_config("CartPole-v1");
  cfg.rounds = 3;
  cfg.min_steps = 200;
  char *log_a = tu_tmp_path("answers-a.log"), *log_b = tu_tmp_path("answers-b.log");
  char *plain = expert_script(log_a, 0), *killer = expert_script(log_b, 450);
  char spec[4200];
  /* the uninterrupted reference run, with its own work folder */
  char *work_a = tu_tmp_path("dagger-prog-a"), *work_b = tu_tmp_path("dagger-prog-b");
  snprintf(spec, sizeof spec, "cmd:%s", plain);
  cfg.expert = spec;
  cfg.work_dir = work_a;
  mimic_dagger_round rows[8];
  int n;
  size_t len_a, len_b;
  uint8_t *a = run(&cfg, &len_a, rows, &n);
  long total = rows[n - 1].expert_queries;
  assert_int_equal(count_lines(log_a), total);
  assert_true(total > 450); /* the kill lands inside a round */
  /* the same run, killed by its expert after 450 answers */
  snprintf(spec, sizeof spec, "cmd:%s", killer);
  cfg.work_dir = work_b;
  pid_t pid = fork();
  if (pid == 0) {
    mimic_bc_config bc = quiet_bc();
    mimic_model best;
    mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL);
    _exit(3);
  }
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(count_lines(log_b), 450);
  /* resume with a well-behaved expert: journaled answers are not asked again */
  snprintf(spec, sizeof spec, "cmd:%s", plain);
  char *log_c = log_a;
  long before = count_lines(log_c);
  uint8_t *b = run(&cfg, &len_b, rows, &n);
  long asked_again = count_lines(log_c) - before;
  assert_int_equal(rows[n - 1].expert_queries, total);
  /* every answer given before the kill was kept: none is asked again */
  assert_int_equal(asked_again, total - 450);
  assert_int_equal(len_a, len_b);
  assert_memory_equal(a, b, len_a);
  free(a);
  free(b);
  free(log_a);
  free(log_b);
  free(plain);
  free(killer);
  free(work_a);
  free(work_b);
}

/* A person answering a gridworld through a pipe: keys from a fixed script
 * (turn, turn, forward, ...), every answer in the label log before the
 * next question. */
static const char *KEYS = "0122102211021";

/* Writes the script's keys from offset `from`, n of them. */
static void feed(int fd, size_t from, size_t n) {
  for (size_t k = 0; k < n; k++) {
    char c = KEYS[(from + k) % strlen(KEYS)];
    assert_int_equal(write(fd, &c, 1), 1);
  }
}

static mimic_dagger_env_config human_config(int fd, FILE *out) {
  mimic_dagger_env_config cfg = small_config("MiniGrid-Empty-5x5-v0");
  cfg.expert = "human";
  cfg.human_fd = fd;
  cfg.human_out = out;
  cfg.rounds = 3;
  cfg.min_steps = 40;
  cfg.min_episodes = 0;
  cfg.eval_episodes = 3;
  return cfg;
}

static int64_t answers_in(const char *db) {
  mimic_labelstore *s;
  int64_t n = 0;
  if (mimic_labelstore_open(db, &(mimic_labelstore_opts){.read_only = true}, &s)) return 0;
  mimic_labelstore_count(s, 0, &n);
  mimic_labelstore_close(s);
  return n;
}

static void test_human_gridworld_killed_mid_round(void **state) {
  (void)state;
  FILE *out = fopen("/dev/null", "w");
  size_t total = 3 * 40; /* query all: every visited state, one key each */
  /* the uninterrupted run */
  int a_fd[2];
  assert_int_equal(pipe(a_fd), 0);
  feed(a_fd[1], 0, total);
  mimic_dagger_env_config cfg = human_config(a_fd[0], out);
  char *work_a = tu_tmp_path("dagger-human-a"), *work_b = tu_tmp_path("dagger-human-b");
  cfg.work_dir = work_a;
  size_t len_a, len_b;
  mimic_dagger_round rows[8];
  int n;
  uint8_t *a = run(&cfg, &len_a, rows, &n);
  assert_int_equal(rows[n - 1].expert_queries, (long)total);
  /* the same person, the run killed while it waits for answer 57 (round 2) */
  int b_fd[2];
  assert_int_equal(pipe(b_fd), 0);
  feed(b_fd[1], 0, 56);
  char *db = mimic_path_join(work_b, "labels.sqlite");
  pid_t pid = fork();
  if (pid == 0) {
    mimic_dagger_env_config child = human_config(b_fd[0], out);
    child.work_dir = work_b;
    mimic_bc_config bc = quiet_bc();
    mimic_model best;
    mimic_dagger_env_run(&child, &bc, &best, NULL, 0, NULL);
    _exit(3);
  }
  /* a person's answers are committed one by one: wait until 56 are */
  for (int waited = 0; answers_in(db) < 56 && waited < 6000; waited++) usleep(10000);
  assert_int_equal(answers_in(db), 56);
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  /* resumed: only the 64 unanswered questions are asked, the keys from 57 on */
  int c_fd[2];
  assert_int_equal(pipe(c_fd), 0);
  feed(c_fd[1], 56, total - 56);
  close(c_fd[1]);
  cfg = human_config(c_fd[0], out);
  cfg.work_dir = work_b;
  uint8_t *b = run(&cfg, &len_b, rows, &n);
  assert_int_equal(n, 2); /* rounds 2 and 3 */
  assert_int_equal(rows[n - 1].expert_queries, (long)total);
  char extra;
  assert_int_equal(read(c_fd[0], &extra, 1), 0); /* every key was used, none twice */
  assert_int_equal(len_a, len_b);
  assert_memory_equal(a, b, len_a);
  free(a);
  free(b);
  free(db);
  free(work_a);
  free(work_b);
  close(a_fd[0]);
  close(a_fd[1]);
  close(b_fd[0]);
  close(b_fd[1]);
  close(c_fd[0]);
  fclose(out);
}

static void test_bad_settings(void **state) {
  (void)state;
  mimic_dagger_env_config cfg = small_config("Pendulum-v1");
  mimic_query_parse("margin:5", &cfg.query);
  mimic_bc_config bc = quiet_bc();
  mimic_model best;
  assert_int_equal(mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "discrete actions"));
  cfg = small_config("CartPole-v1");
  cfg.expert = "cmd:/no/such/expert";
  assert_int_equal(mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL), MIMIC_ERR_EXTERNAL);
  cfg = small_config("NoSuchEnv-v0");
  assert_int_equal(mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL), MIMIC_ERR_NOT_FOUND);
}

/* ---- batched questions (docs/expert-protocol.md, version 2) ---------------- */

/* The CartPole expert program of tests/batch_expert.py with these flags. */
static void batch_expert(char *spec, size_t cap, const char *flags, const char *log) {
  snprintf(spec, cap, "cmd:/usr/bin/python3 %s/tests/batch_expert.py --log %s %s", MIMIC_SOURCE_DIR,
           log, flags);
}

static mimic_dagger_env_config batch_config(char *spec, const char *work) {
  mimic_dagger_env_config cfg = small_config("CartPole-v1");
  cfg.rounds = 3;
  mimic_beta_parse("linear:3", &cfg.beta);
  cfg.min_steps = 300;
  cfg.n_envs = 2;
  cfg.expert = spec;
  cfg.work_dir = work;
  return cfg;
}

/* Messages in a batch_expert log, their states, and the largest. */
static long log_stats(const char *path, long *states, long *largest) {
  FILE *fp = fopen(path, "r");
  long messages = 0, k;
  *states = *largest = 0;
  while (fp && fscanf(fp, "%ld", &k) == 1) {
    messages++;
    *states += k;
    if (k > *largest) *largest = k;
  }
  if (fp) fclose(fp);
  return messages;
}

static void test_batched_program_equals_single(void **state) {
  (void)state;
  char *log_1 = tu_tmp_path("single.log"), *log_b = tu_tmp_path("batched.log");
  char *work_1 = tu_tmp_path("dagger-single"), *work_b = tu_tmp_path("dagger-batched");
  char spec[4400];
  mimic_dagger_round rows[8];
  int n;
  size_t len_1, len_b;
  batch_expert(spec, sizeof spec, "--single", log_1);
  mimic_dagger_env_config cfg = batch_config(spec, work_1);
  uint8_t *a = run(&cfg, &len_1, rows, &n);
  long total = rows[n - 1].expert_queries;
  batch_expert(spec, sizeof spec, "", log_b);
  cfg = batch_config(spec, work_b);
  uint8_t *b = run(&cfg, &len_b, rows, &n);
  /* the same questions, answers and learner, byte for byte */
  assert_int_equal(rows[n - 1].expert_queries, total);
  assert_int_equal(len_1, len_b);
  assert_memory_equal(a, b, len_1);
  long states_1, states_b, largest_1, largest_b;
  long messages_1 = log_stats(log_1, &states_1, &largest_1);
  long messages_b = log_stats(log_b, &states_b, &largest_b);
  print_message("%ld answers: %ld messages one by one, %ld batched (largest %ld)\n", total,
                messages_1, messages_b, largest_b);
  assert_int_equal(states_1, total);
  assert_int_equal(largest_1, 1); /* a version-1 program is sent one state at a time */
  assert_int_equal(states_b, total);
  /* only the states where the expert's action is taken wait for it */
  assert_true(messages_b * 2 < messages_1);
  assert_true(largest_b > 100);
  char db[4200];
  snprintf(db, sizeof db, "%s/labels.sqlite", work_b);
  assert_int_equal(answers_in(db), total);
  free(a);
  free(b);
  free(log_1);
  free(log_b);
  free(work_1);
  free(work_b);
}

static void test_announced_batch_limit_is_kept(void **state) {
  (void)state;
  char *log = tu_tmp_path("limit.log");
  char spec[4400];
  batch_expert(spec, sizeof spec, "--max-batch 7", log);
  mimic_dagger_env_config cfg = batch_config(spec, NULL);
  mimic_dagger_round rows[8];
  int n;
  size_t len;
  free(run(&cfg, &len, rows, &n));
  long states, largest;
  log_stats(log, &states, &largest);
  assert_int_equal(states, rows[n - 1].expert_queries);
  assert_int_equal(largest, 7);
  free(log);
}

/* Killed when a batch arrives: the label log holds what was answered but
 * for at most one batch, and resuming asks only what it does not hold,
 * ending with the uninterrupted run's learner. */
static void test_kill_mid_batch(void **state) {
  (void)state;
  char *log_a = tu_tmp_path("whole.log"), *log_b = tu_tmp_path("killed.log");
  char *work_a = tu_tmp_path("dagger-whole"), *work_b = tu_tmp_path("dagger-killed");
  char spec[4400];
  mimic_dagger_round rows[8];
  int n;
  size_t len_a, len_b;
  batch_expert(spec, sizeof spec, "--max-batch 50", log_a);
  mimic_dagger_env_config cfg = batch_config(spec, work_a);
  uint8_t *a = run(&cfg, &len_a, rows, &n);
  long total = rows[n - 1].expert_queries;
  const long limit = rows[0].expert_queries + 120; /* inside round 1's batches */
  assert_true(limit < total);
  batch_expert(spec, sizeof spec, "--max-batch 50 --kill-after 0", log_b);
  char *flag = strstr(spec, "--kill-after 0");
  snprintf(flag, sizeof spec - (size_t)(flag - spec), "--kill-after %ld", limit);
  cfg = batch_config(spec, work_b);
  pid_t pid = fork();
  if (pid == 0) {
    mimic_bc_config bc = quiet_bc();
    mimic_model best;
    mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL);
    _exit(3);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  long answered, largest;
  log_stats(log_b, &answered, &largest);
  assert_true(answered >= limit && answered < total);
  char db[4200];
  snprintf(db, sizeof db, "%s/labels.sqlite", work_b);
  /* what was answered is in the label log, but for at most one batch (the
   * answers of one-state messages asked in a rollout are committed in 50s) */
  long stored = (long)answers_in(db);
  assert_true(stored <= answered && answered - stored < 50);
  /* resumed with an expert that lives */
  batch_expert(spec, sizeof spec, "--max-batch 50", log_b);
  cfg = batch_config(spec, work_b);
  uint8_t *b = run(&cfg, &len_b, rows, &n);
  long asked, all;
  log_stats(log_b, &all, &largest);
  asked = all - answered;
  print_message("killed after %ld of %ld answers (%ld stored); %ld asked after resuming\n",
                answered, total, stored, asked);
  assert_int_equal(asked, total - stored);
  assert_int_equal(rows[n - 1].expert_queries, total);
  assert_int_equal(len_a, len_b);
  assert_memory_equal(a, b, len_a);
  free(a);
  free(b);
  free(log_a);
  free(log_b);
  free(work_a);
  free(work_b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cartpole_reaches_expert),
      cmocka_unit_test(test_doorkey_8x8),
      cmocka_unit_test(test_query_rules_and_cap),
      cmocka_unit_test(test_resume_after_kill_between_rounds),
      cmocka_unit_test(test_program_expert_killed_mid_round),
      cmocka_unit_test(test_human_gridworld_killed_mid_round),
      cmocka_unit_test(test_batched_program_equals_single),
      cmocka_unit_test(test_announced_batch_limit_is_kept),
      cmocka_unit_test(test_kill_mid_batch),
      cmocka_unit_test(test_bad_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
