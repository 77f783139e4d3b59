/* bench/data: the data layer at BC scale. Builds 1,000,000 CartPole-like
 * transitions (2,000 episodes of 500 steps), saves them in Minari's layout,
 * then in a fresh process (fork + exec) loads them and samples minibatches of 32
 * for one epoch. Prints one JSON object: save/load seconds, sampler
 * nanoseconds per sample and samples per second, durable append rate, and
 * the child's peak RSS against the size of the transition arrays
 * (obs, next_obs, acts as float32, dones) imitation would hold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/data.h"

#define EPISODES 2000
#define T 500

static void build(mimic_dataset *ds) {
  float lo[4] = {-4.8f, -1e30f, -0.42f, -1e30f}, hi[4] = {4.8f, 1e30f, 0.42f, 1e30f};
  mimic_space o = {MIMIC_SPACE_BOX, 0, 4, 1, {4}, lo, hi};
  mimic_space a = {MIMIC_SPACE_DISCRETE, 2, 1, 0, {0}, NULL, NULL};
  mimic_data_space os, as;
  mimic_data_space_from_env(&os, &o);
  mimic_data_space_from_env(&as, &a);
  mimic_dataset_init(ds, &os, &as);
  mimic_dataset_reserve(ds, (size_t)EPISODES * T, EPISODES);
  mimic_episode_buf b;
  mimic_episode_buf_init(&b, 4, 1);
  mimic_rng r;
  mimic_rng_seed(&r, 0);
  for (int e = 0; e < EPISODES; e++) {
    float x[4];
    for (int c = 0; c < 4; c++) x[c] = (float)mimic_rng_uniform(&r, -0.05, 0.05);
    mimic_episode_buf_reset(&b, x, e);
    for (int t = 0; t < T; t++) {
      float act = (float)(mimic_rng_next64(&r) & 1);
      for (int c = 0; c < 4; c++) x[c] = (float)mimic_rng_uniform(&r, -0.4, 0.4);
      mimic_episode_buf_step(&b, &act, 1.0, false, t == T - 1, x);
    }
    mimic_episode ep = mimic_episode_buf_view(&b);
    mimic_dataset_add_episode(ds, &ep);
  }
  mimic_episode_buf_free(&b);
  mimic_data_space_free(&os);
  mimic_data_space_free(&as);
  mimic_dataset_meta_set(&ds->meta.dataset_id, "mimic/bench/data-v0");
}

static int child_main(const char *path, int fd);

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--child") == 0) return child_main(argv[2], atoi(argv[3]));
  char dir[] = "/tmp/mimic-bench-data-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  char *path = mimic_path_join(dir, "ds");
  mimic_dataset ds;
  build(&ds);
  double t0 = mimic_now();
  if (mimic_dataset_save(&ds, path, NULL)) {
    fprintf(stderr, "save: %s\n", mimic_errmsg());
    return 1;
  }
  double save_s = mimic_now() - t0;
  size_t n = ds.n_steps;
  /* durable appends of 200 episodes into a fresh dataset */
  char *apath = mimic_path_join(dir, "append");
  mimic_dataset_writer *w;
  t0 = mimic_now();
  mimic_dataset_writer_open(apath, &ds.obs_space, &ds.act_space, NULL, NULL, &w);
  for (size_t e = 0; e < 200; e++) {
    mimic_episode ep = mimic_dataset_episode(&ds, e);
    if (mimic_dataset_writer_append(w, &ep)) {
      fprintf(stderr, "append: %s\n", mimic_errmsg());
      return 1;
    }
  }
  mimic_dataset_writer_close(w);
  double append_s = mimic_now() - t0;
  mimic_dataset_free(&ds);
  int fds[2];
  if (pipe(fds)) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    char fdtxt[16];
    snprintf(fdtxt, sizeof fdtxt, "%d", fds[1]);
    execl("/proc/self/exe", argv[0], "--child", path, fdtxt, (char *)NULL);
    _exit(9);
  }
  close(fds[1]);
  double r[4] = {0};
  ssize_t got = read(fds[0], r, sizeof r);
  int status;
  waitpid(pid, &status, 0);
  if (got != sizeof r) return 1;
  double arrays = (double)n * (4 * 4 * 2 + 4 + 1);
  printf(
      "{\"transitions\": %zu, \"save_s\": %.3f, \"load_s\": %.3f, \"sample_ns_per_sample\": %.2f, "
      "\"samples_per_s\": %.0f, \"epoch_shuffle_s\": %.4f, \"append_200_episodes_s\": %.3f, "
      "\"peak_rss_bytes\": %.0f, \"transition_arrays_bytes\": %.0f, \"peak_rss_ratio\": %.3f}\n",
      n, save_s, r[0], r[1] * 1e9, 1.0 / r[1], r[2], append_s, r[3], arrays, r[3] / arrays);
  char *cmd = mimic_asprintf("rm -rf '%s'", dir);
  if (getenv("MIMIC_BENCH_KEEP"))
    fprintf(stderr, "kept %s\n", dir);
  else if (cmd && system(cmd) != 0)
    fprintf(stderr, "cleanup failed\n");
  free(cmd);
  free(path);
  free(apath);
  return 0;
}

/* Loads and samples in a fresh process (exec'd, so its peak RSS is its own). */
static int child_main(const char *path, int fd) {
  double r[4];
  mimic_dataset d;
  double t1 = mimic_now();
  if (mimic_dataset_load(path, &d)) return 2;
  r[0] = mimic_now() - t1;
  mimic_sampler s;
  mimic_transitions t = mimic_dataset_transitions(&d);
  mimic_sampler_init(&s, &t, NULL, 0, 32, true, 0);
  float obs[32 * 4], act[32];
  mimic_batch b = {obs, act, NULL, NULL, NULL, NULL};
  size_t nb = mimic_sampler_batches_per_epoch(&s);
  mimic_sampler_next(&s, &b); /* begins epoch 0 (shuffle) */
  t1 = mimic_now();
  volatile float sink = 0;
  for (size_t k = 1; k < nb; k++) {
    mimic_sampler_next(&s, &b);
    sink += obs[0];
  }
  r[1] = (mimic_now() - t1) / (double)((nb - 1) * 32);
  t1 = mimic_now();
  mimic_sampler_seek(&s, 1, 0); /* cost of one epoch's shuffle */
  r[2] = mimic_now() - t1;
  r[3] = 0;
  FILE *st = fopen("/proc/self/status", "r");
  char line[256];
  while (st && fgets(line, sizeof line, st))
    if (strncmp(line, "VmHWM:", 6) == 0) r[3] = atof(line + 6) * 1024.0;
  if (st) fclose(st);
  (void)sink;
  if (write(fd, r, sizeof r) != sizeof r) return 3;
  return 0;
}
