/* bench/dagger: DAgger speed and memory.
 *
 * Prints one JSON object:
 *   cartpole_s, cartpole_queries, cartpole_return
 *       imitation's default SimpleDAggerTrainer run on CartPole-v1 (15
 *       rounds, linear beta over 15, >= 500 steps and 3 episodes per round,
 *       4 BC epochs per round on all data; one environment), state in
 *       memory; median of 5 runs; the final learner's mean return over
 *       100 evaluation episodes
 *   cartpole_durable_s  the same with the durable work folder (fsync per round)
 *   rss_mb_by_rounds    peak RSS growth with --cap 2000 after 10, 20, 40
 *                       rounds, each in a fresh process (flat = bounded)
 *   rss_mb_uncapped_40  the same 40 rounds without a cap */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/evaluate.h"

#define BENCH_NAME "dagger"
#include "bench_util.h"

static double run_cartpole(const char *work, long *queries, double *ret) {
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  cfg.env_id = "CartPole-v1";
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
  double r2, durable = run_cartpole(dir, &q2, &r2);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench/dagger: could not remove %s\n", dir);
  double m10 = rss_for(10, 2000), m20 = rss_for(20, 2000), m40 = rss_for(40, 2000),
         u40 = rss_for(40, 0);
  printf("{\"bench\": \"dagger\", \"cartpole_s\": %.4f, \"cartpole_queries\": %ld, "
         "\"cartpole_return\": %.2f, "
         "\"cartpole_durable_s\": %.4f, \"rss_mb_by_rounds\": {\"10\": %.2f, \"20\": %.2f, \"40\": "
         "%.2f}, "
         "\"rss_mb_uncapped_40\": %.2f}\n",
         median(t, 5), queries, ret, durable, m10, m20, m40, u40);
  return 0;
}
