/* bench/dagger: DAgger speed and memory.
 *
 * Prints one JSON object:
 *   cartpole_s, cartpole_queries, cartpole_return
 *       imitation's default SimpleDAggerTrainer run on CartPole-v1 (15
 *       rounds, linear beta over 15, >= 500 steps and 3 episodes per round,
 *       4 BC epochs per round on all data; one environment), state in
 *       memory; median of 5 runs; the final learner's mean return over
 *       100 evaluation episodes
 *   cartpole_durable_s  the same with the durable work folder (fsync per round),
 *                       median of 3
 *   program_expert      what an expert program costs mimic per question: 5
 *                       rounds with 16 copies side by side and a work folder
 *                       (as `mimic train dagger --envs 16`), answered by the
 *                       built-in expert and by tests/batch_expert.py (one
 *                       fixed rule in Python) speaking the protocol one state
 *                       a message ("single") and in batches ("batched");
 *                       us_per_query = (seconds - builtin's) / queries,
 *                       medians of 3
 *   rss_mb_by_rounds    peak RSS growth with --cap 2000 after 10, 20, 40
 *                       rounds, each in a fresh process (flat = bounded)
 *   rss_mb_uncapped_40  the same 40 rounds without a cap */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/evaluate.h"

#define BENCH_NAME "dagger"
#include "bench_util.h"

static double run_cartpole_with(const char *work, const char *expert, int n_envs, int rounds,
                                long *queries, double *ret) {
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  cfg.env_id = "CartPole-v1";
  cfg.expert = expert;
  cfg.n_envs = n_envs;
  if (rounds) cfg.rounds = rounds; /* the beta schedule stays linear over 15 */
  cfg.progress = false;
  cfg.eval_episodes = 0; /* imitation's loop evaluates nothing between rounds */
  cfg.work_dir = work;
  mimic_bc_config bc = mimic_bc_defaults();
  bc.progress = false;
  mimic_model best;
  mimic_dagger_round rows[16];
  int n;
  double t0 = mimic_now();
  if (mimic_dagger_env_run(&cfg, &bc, &best, rows, 16, &n)) die("dagger");
  double t = mimic_now() - t0;
  *queries = rows[n - 1].expert_queries;
  mimic_env *env;
  mimic_policy *p;
  if (mimic_env_make("CartPole-v1", NULL, &env) ||
      mimic_policy_from_model(&best, mimic_env_action_space(env), &p))
    die("policy");
  mimic_eval_config ec = mimic_eval_defaults();
  ec.progress = false;
  ec.normalize = false;
  mimic_eval_result r;
  if (mimic_evaluate(p, "CartPole-v1", NULL, &ec, &r)) die("eval");
  *ret = r.return_mean;
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  mimic_env_free(env);
  return t;
}

static double run_cartpole(const char *work, long *queries, double *ret) {
  return run_cartpole_with(work, "builtin", 1, 0, queries, ret);
}

/* Median seconds of 3 runs of the 16-copy case with this expert, in a work
 * folder as the command runs it (every answer committed before the next
 * question: a program's one by one, or batch by batch). */
static double expert_case(const char *expert, long *queries) {
  double t[3], ret;
  for (int i = 0; i < 3; i++) {
    char dir[] = "/tmp/mimic-dagger-XXXXXX", cmd[64];
    if (!mkdtemp(dir)) die("mkdtemp");
    t[i] = run_cartpole_with(dir, expert, 16, 5, queries, &ret);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench/dagger: could not remove %s\n", dir);
  }
  return median(t, 3);
}

/* Peak RSS growth (MB) of a fresh process running `rounds` rounds. */
static double rss_for(int rounds, long cap) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    long before = peak_rss_kb();
    mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
    cfg.env_id = "CartPole-v1";
    cfg.rounds = rounds;
    mimic_beta_parse("linear:15", &cfg.beta);
    cfg.progress = false;
    cfg.eval_episodes = 0;
    cfg.epochs = 1;
    cfg.cap = cap;
    mimic_bc_config bc = mimic_bc_defaults();
    bc.progress = false;
    mimic_model best;
    if (mimic_dagger_env_run(&cfg, &bc, &best, NULL, 0, NULL)) die("dagger");
    double mb = (double)(peak_rss_kb() - before) / 1024.0;
    if (write(fds[1], &mb, sizeof mb) != sizeof mb) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  double mb = -1;
  if (read(fds[0], &mb, sizeof mb) != sizeof mb) mb = -1;
  close(fds[0]);
  waitpid(pid, NULL, 0);
  return mb;
}

int main(void) {
  mimic_nn_set_threads(1);
  mimic_log_set_level(MIMIC_LOG_WARN);
  double t[5], ret = 0;
  long queries = 0;
  for (int i = 0; i < 5; i++) t[i] = run_cartpole(NULL, &queries, &ret);
  char dir[] = "/tmp/mimic-dagger-XXXXXX";
  if (!mkdtemp(dir)) die("mkdtemp");
  long q2;
  double r2, durable[3];
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  for (int i = 0; i < 3; i++) {
    durable[i] = run_cartpole(dir, &q2, &r2);
    if (system(cmd) != 0 || mkdir(dir, 0700) != 0) die("a fresh work folder");
  }
  if (system(cmd) != 0) fprintf(stderr, "bench/dagger: could not remove %s\n", dir);
  char single[512], batched[512];
  snprintf(single, sizeof single, "cmd:/usr/bin/python3 %s/tests/batch_expert.py --single",
           MIMIC_SOURCE_DIR);
  snprintf(batched, sizeof batched, "cmd:/usr/bin/python3 %s/tests/batch_expert.py",
           MIMIC_SOURCE_DIR);
  long q_builtin, q_single, q_batched;
  double t_builtin = expert_case("builtin", &q_builtin);
  double t_single = expert_case(single, &q_single);
  double t_batched = expert_case(batched, &q_batched);
  double m10 = rss_for(10, 2000), m20 = rss_for(20, 2000), m40 = rss_for(40, 2000),
         u40 = rss_for(40, 0);
  printf("{\"bench\": \"dagger\", \"cartpole_s\": %.4f, \"cartpole_queries\": %ld, "
         "\"cartpole_return\": %.2f, "
         "\"cartpole_durable_s\": %.4f, \"rss_mb_by_rounds\": {\"10\": %.2f, \"20\": %.2f, \"40\": "
         "%.2f}, "
         "\"rss_mb_uncapped_40\": %.2f, \"program_expert\": {\"envs\": 16, \"queries\": %ld, "
         "\"builtin_s\": %.4f, \"single_s\": %.4f, \"batched_s\": %.4f, "
         "\"single_us_per_query\": %.1f, \"batched_us_per_query\": %.1f}}\n",
         median(t, 5), queries, ret, median(durable, 3), m10, m20, m40, u40, q_batched, t_builtin,
         t_single, t_batched, 1e6 * (t_single - t_builtin) / (double)q_single,
         1e6 * (t_batched - t_builtin) / (double)q_batched);
  return 0;
}
