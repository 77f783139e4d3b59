/* bench/bc: behavioral cloning speed and memory.
 *
 * Prints one JSON object:
 *   train_samples_per_s_b32 / _b256  BC training throughput on CartPole
 *                                    demonstrations, default network
 *   cartpole_case_s                  collect 10 expert episodes + train BC
 *                                    (default epochs) + evaluate 100 episodes,
 *                                    in process, datasets in memory
 *   cartpole_case_cli_s              the same three steps through the mimic
 *                                    command, with durable files (fsync)
 *   peak_rss_mb / transition_arrays_mb / peak_ratio
 *                                    training on 1,000,000 transitions: the
 *                                    growth of peak RSS over the process
 *                                    before the data existed, against the
 *                                    bytes of the transition arrays
 * Each timing is the median of several runs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/bc.h"
#include "mimic/collect.h"
#include "mimic/evaluate.h"

#define BENCH_NAME "bc"
#include "bench_util.h"

static double train_rate(const mimic_dataset *ds, int batch) {
  double runs[5];
  for (int r = 0; r < 5; r++) {
    mimic_bc_config cfg = mimic_bc_defaults();
    cfg.batch_size = batch;
    cfg.batches = batch == 32 ? 20000 : 4000;
    cfg.progress = false;
    mimic_model m;
    mimic_bc_report rep;
    mimic_transitions t = mimic_dataset_transitions(ds);
    if (mimic_bc_model_create(&cfg, &t, &m)) die("model");
    double t0 = mimic_now();
    if (mimic_bc_fit(&cfg, &t, &m, &rep)) die("fit");
    runs[r] = (double)rep.samples / (mimic_now() - t0);
    mimic_bc_report_free(&rep);
    mimic_model_free(&m);
  }
  return median(runs, 5);
}

static double cartpole_case(void) {
  double t0 = mimic_now();
  mimic_dataset ds;
  if (mimic_collect_expert("CartPole-v1", NULL, 10, 0, &ds)) die("collect");
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  mimic_model m;
  mimic_bc_report rep;
  mimic_transitions tr = mimic_dataset_transitions(&ds);
  if (mimic_bc_model_create(&cfg, &tr, &m) || mimic_bc_fit(&cfg, &tr, &m, &rep)) die("train");
  mimic_policy *p;
  if (mimic_policy_from_model(&m, &ds.act_space.space, &p)) die("policy");
  mimic_eval_config ec = mimic_eval_defaults();
  ec.progress = false;
  ec.normalize = false;
  mimic_eval_result res;
  if (mimic_evaluate(p, "CartPole-v1", NULL, &ec, &res)) die("eval");
  double t = mimic_now() - t0;
  if (res.return_mean < 475)
    fprintf(stderr, "bench/bc: warning: clone returned %.1f\n", res.return_mean);
  mimic_eval_result_free(&res);
  mimic_policy_free(p);
  mimic_bc_report_free(&rep);
  mimic_dataset_free(&ds);
  return t;
}

static double cartpole_cli(const char *mimic) {
  char dir[] = "/tmp/mimic-bench-XXXXXX";
  if (!mkdtemp(dir)) return -1;
  char cmd[16384];
  snprintf(cmd, sizeof cmd,
           "%s collect --env CartPole-v1 --episodes 10 -o %s/demos --quiet >/dev/null && "
           "%s train bc --data %s/demos -o %s/bc.mimic --quiet >/dev/null && "
           "%s eval --policy %s/bc.mimic --env CartPole-v1 --no-normalize --quiet >/dev/null",
           mimic, dir, mimic, dir, dir, mimic, dir);
  double t0 = mimic_now();
  int rc = system(cmd);
  double t = mimic_now() - t0;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench/bc: could not remove %s\n", dir);
  return rc == 0 ? t : -1;
}

static long rss_kb(void) {
  FILE *fp = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (fp && fscanf(fp, "%ld %ld", &pages, &resident) != 2) resident = 0;
  if (fp) fclose(fp);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* In a child: build 1M CartPole transitions, train one epoch, report memory. */
static void memory_child(int fd) {
  long base = rss_kb();
  mimic_dataset ds;
  if (mimic_collect_expert("CartPole-v1", NULL, 2000, 0, &ds)) die("collect");
  double arrays = (double)(ds.n_steps + ds.n_episodes) * ds.obs_dim * sizeof(float) +
                  (double)ds.n_steps * (ds.act_dim * sizeof(float) + sizeof(double) + 2);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.epochs = 1;
  cfg.progress = false;
  mimic_model m;
  mimic_bc_report rep;
  mimic_transitions t = mimic_dataset_transitions(&ds);
  if (mimic_bc_model_create(&cfg, &t, &m) || mimic_bc_fit(&cfg, &t, &m, &rep)) die("train");
  double out[3] = {(double)ds.n_steps, arrays, (double)(peak_rss_kb() - base) * 1024.0};
  if (write(fd, out, sizeof out) != sizeof out) exit(1);
  exit(0);
}

int main(int argc, char **argv) {
  mimic_nn_set_threads(1);
  mimic_log_set_level(MIMIC_LOG_WARN);
  mimic_dataset ds;
  if (mimic_collect_expert("CartPole-v1", NULL, 10, 0, &ds)) die("collect");
  double b32 = train_rate(&ds, 32), b256 = train_rate(&ds, 256);
  mimic_dataset_free(&ds);
  double cases[5];
  for (int i = 0; i < 5; i++) cases[i] = cartpole_case();
  double case_s = median(cases, 5);
  char mimic[4096];
  snprintf(mimic, sizeof mimic, "%s", argv[0]);
  char *slash = strrchr(mimic, '/');
  snprintf(slash ? slash + 1 : mimic, sizeof mimic - (size_t)(slash ? slash + 1 - mimic : 0),
           "../mimic");
  double cli[3];
  for (int i = 0; i < 3; i++) cli[i] = cartpole_cli(mimic);
  double cli_s = median(cli, 3);
  int fds[2];
  double mem[3] = {0, 0, 0};
  if (pipe(fds) == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      memory_child(fds[1]);
    }
    close(fds[1]);
    if (read(fds[0], mem, sizeof mem) != sizeof mem)
      fprintf(stderr, "bench/bc: memory child failed\n");
    close(fds[0]);
    waitpid(pid, NULL, 0);
  }
  (void)argc;
  printf(
      "{\"bench\": \"bc\", \"train_samples_per_s_b32\": %.0f, \"train_samples_per_s_b256\": %.0f, "
      "\"cartpole_case_s\": %.4f, \"cartpole_case_cli_s\": %.4f, \"memory_transitions\": %.0f, "
      "\"transition_arrays_mb\": %.2f, \"peak_rss_mb\": %.2f, \"peak_ratio\": %.3f}\n",
      b32, b256, case_s, cli_s, mem[0], mem[1] / 1048576.0, mem[2] / 1048576.0,
      mem[1] > 0 ? mem[2] / mem[1] : 0.0);
  return 0;
}
