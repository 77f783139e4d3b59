/* bench/mpi: data-parallel BC and distributed DAgger rollouts under MPI.
 *
 * Run by hand, it is the driver: it starts itself under mpirun
 * (tests/mpirun.sh: this machine only, shared memory) for each rank count,
 * --runs times (default 5), and prints one JSON object with the medians:
 *   - bc: samples per second of data-parallel BC (CartPole-v1, 10 expert
 *     episodes, batches of 256) at 1, 2 and 4 ranks, for the default
 *     32x32 network and a 256x256 one; efficiency = rate / (ranks x the
 *     1-rank rate); and the measured seconds of one all-reduce of the
 *     parameter block, and of one batch's compute at 1 rank (the inputs of
 *     docs/cluster.md's scaling model);
 *   - rollouts: env steps per second of DAgger's distributed rollouts
 *     (dagger_dist.c; every rank rolls out, rank 0 too) at 1, 2 and 4
 *     ranks, the same total work at each: 20 rounds of 100,000 steps
 *     (5 rounds made windows of 0.1-0.2 s, too short to time a job by),
 *     acting with the same BC learner (the default network) and beta 0.5,
 *     built-in expert labels, the records gathered to rank 0. "rollouts"
 *     steps 4 CartPole copies a rank (the same command, --envs 4, on every
 *     rank count); "rollouts_shared" 8 copies in all, shared out (8/N a
 *     rank: the very same copies, but each rank's vectors narrower, so a
 *     tick's fixed cost falls on fewer steps). The 1-rank rate is the same
 *     code on one process. efficiency = rate(N) / (N x rate(1)), wall
 *     clock; cpu_efficiency = CPU per step at 1 rank / CPU per step at N
 *     (all ranks' CPU time), which a machine shared with other jobs
 *     disturbs far less: it says what running on N ranks costs in work,
 *     not whether the ranks got their cores. cpu_share is the job's CPU
 *     time over N x its wall time (1: every rank had a core throughout).
 *     The rank counts take turns run by run, so a change of load falls on
 *     all three alike;
 *   - gather_3mb_2_ranks: one gather of 3 MB a rank (a round's records
 *     from a rank of 2) on 2 ranks, 20 times: the best and the median
 *     seconds of the run whose best is the median.
 *
 *   bench/mpi [--runs N] [--rollouts]   (default 5 runs; --rollouts: only those)
 *   bench/mpi --worker bc|bc-wide|rollouts|rollouts-shared|gather   (under mpirun: one run)
 *
 * The machine's load average is printed too (when it starts and ends, and
 * after each rank count's runs, medians): the ranks share its cores with
 * whatever else runs. Skipped (exit 77) when mimic was built without MPI. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "algo/dagger_dist.h"
#include "mimic/bc.h"
#include "mimic/collect.h"
#include "mpi/mpi_comm.h"

#define BENCH_NAME "mpi"
#include "bench_util.h"

/* ---- workers (under mpirun) --------------------------------------------------- */

static void worker_bc(mimic_comm *c, bool wide) {
  mimic_dataset ds;
  if (mimic_collect_expert("CartPole-v1", NULL, 10, 0, &ds)) die("collect");
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_bc_config cfg = mimic_bc_defaults();
  cfg.progress = false;
  cfg.batch_size = 256;
  cfg.batches = wide ? 300 : 1500;
  if (wide) cfg.hidden[0] = cfg.hidden[1] = 256;
  cfg.comm = c;
  mimic_model m;
  mimic_bc_report rep;
  if (mimic_bc_model_create(&cfg, &t, &m)) die("model");
  double t0 = mimic_now();
  if (mimic_bc_fit(&cfg, &t, &m, &rep)) die("fit");
  double secs = mimic_now() - t0;
  /* one all-reduce of the block a step sums (parameters + 5 numbers) */
  size_t n = m.n_params + 5;
  float *buf = calloc(n, sizeof *buf);
  int reps = 500;
  double a0 = mimic_now();
  for (int i = 0; i < reps; i++)
    if (c->allreduce_sum(c, buf, n)) die("allreduce");
  double ar = (mimic_now() - a0) / reps;
  if (c->rank == 0)
    printf("{\"rate\": %.6g, \"seconds\": %.6g, \"params\": %zu, \"allreduce_s\": %.6g, "
           "\"batch_s\": %.6g}\n",
           (double)rep.samples / secs, secs, m.n_params, ar, secs / (double)rep.batches);
  free(buf);
  mimic_bc_report_free(&rep);
  mimic_model_free(&m);
  mimic_dataset_free(&ds);
}

#define COPIES_RANK 4 /* CartPole copies a rank (--envs 4 on every rank count) */
#define COPIES_ALL 8  /* or copies in all, shared out over the ranks */
#define ROUNDS 20
#define ROUND_STEPS 100000

/* DAgger's rollouts: COPIES_RANK copies a rank, or (shared) COPIES_ALL in all. */
static void worker_rollouts(mimic_comm *c, bool shared) {
  mimic_dagger_env_config cfg = mimic_dagger_env_defaults();
  cfg.env_id = "CartPole-v1";
  cfg.n_envs = shared ? COPIES_ALL / c->size : COPIES_RANK;
  cfg.min_steps = ROUND_STEPS;
  cfg.min_episodes = 0;
  cfg.progress = false;
  cfg.comm = c;
  if (shared && cfg.n_envs * c->size != COPIES_ALL)
    die("the rank count does not divide the copies");
  /* the learner every rank rolls out: BC's default network, one epoch on
   * 10 expert episodes (its forward pass is part of every step), made
   * before the rounds so the clocks start with them */
  mimic_dataset ds = {0};
  mimic_policy *learner = NULL;
  if (c->rank == 0) {
    if (mimic_collect_expert("CartPole-v1", NULL, 10, 0, &ds)) die("collect");
    mimic_transitions t = mimic_dataset_transitions(&ds);
    mimic_bc_config bc = mimic_bc_defaults();
    bc.progress = false;
    bc.epochs = 1;
    if (mimic_bc_learner(&bc, "CartPole-v1", &ds.obs_space.space, &ds.act_space.space, NULL,
                         &learner))
      die("learner");
    mimic_labeled lab = {.n = t.n, .obs = t.obs, .obs_dim = t.obs_dim, .actions = t.act};
    if (mimic_policy_fit(learner, &lab, false, 0)) die("fit");
  }
  dagger_dist x;
  if (dagger_dist_open(&x, c, &cfg, NULL)) die("open");
  float sync = 1;
  if (c->allreduce_sum(c, &sync, 1)) die("allreduce"); /* the clocks start together */
  const double t0 = mimic_now(), cpu0 = process_cpu_now();
  long steps = 0;
  if (c->rank > 0) {
    if (dagger_dist_serve(&x)) die("serve");
  } else {
    for (int round = 0; round < ROUNDS; round++) {
      if (dagger_dist_round(&x, round, 0.5, learner)) die("round");
      steps += x.ticks * x.G;
    }
    if (dagger_dist_stop(&x)) die("stop");
  }
  const double secs = mimic_now() - t0, cpu = process_cpu_now() - cpu0;
  /* every rank's CPU seconds, for the CPU time a step costs the machine */
  double *all = calloc((size_t)c->size, sizeof *all);
  if (!all || c->gather(c, &cpu, sizeof cpu, all, 0)) die("gather");
  if (c->rank == 0) {
    double total = 0, load = NAN;
    for (int r = 0; r < c->size; r++) total += all[r];
    getloadavg(&load, 1);
    printf("{\"rate\": %.6g, \"seconds\": %.6g, \"steps\": %ld, \"cpu_us_per_step\": %.6g, "
           "\"cpu_share\": %.4g, \"load_average_1min\": %.3g}\n",
           (double)steps / secs, secs, steps, 1e6 * total / (double)steps, total / (secs * c->size),
           load);
  }
  free(all);
  if (learner) mimic_policy_free(learner);
  if (c->rank == 0) mimic_dataset_free(&ds);
  dagger_dist_close(&x);
}

#define GATHER_BYTES 3000000 /* a rank's records of a 2-rank round: 50,000 steps x 60 bytes */
#define GATHERS 20

/* One gather of GATHER_BYTES a rank to rank 0, GATHERS times after a
 * barrier each: the seconds of the best and the median (mimic's quiet
 * wait: a large message is polled, src/mpi/mpi_comm.c). */
static void worker_gather(mimic_comm *c) {
  char *send = calloc(GATHER_BYTES, 1), *recv = calloc((size_t)c->size, GATHER_BYTES);
  double t[GATHERS];
  if (!send || !recv) die("memory");
  for (int i = 0; i < GATHERS; i++) {
    float sync = 1;
    if (c->allreduce_sum(c, &sync, 1)) die("allreduce");
    const double t0 = mimic_now();
    if (c->gather(c, send, GATHER_BYTES, recv, 0)) die("gather");
    t[i] = mimic_now() - t0;
  }
  double best = t[0];
  for (int i = 1; i < GATHERS; i++) best = fmin(best, t[i]);
  if (c->rank == 0)
    printf("{\"rate\": %.6g, \"best_s\": %.6g, \"median_s\": %.6g}\n", GATHER_BYTES / best, best,
           median(t, GATHERS));
  free(send);
  free(recv);
}

/* ---- the driver --------------------------------------------------------------- */

/* One measurement: the worker `what` on np ranks; its JSON line (exits on failure). */
static json_t *run_worker(const char *self, const char *what, int np) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "bash %s/tests/mpirun.sh %d %s --worker %s", MIMIC_SOURCE_DIR, np, self,
           what);
  FILE *p = popen(cmd, "r");
  if (!p) die("popen");
  char line[1024] = "";
  if (!fgets(line, sizeof line, p)) line[0] = 0;
  int rc = pclose(p);
  if (rc != 0) {
    fprintf(stderr, "bench/mpi: %s (exit %d)\n", cmd, rc);
    exit(WEXITSTATUS(rc) == 77 ? 77 : 1);
  }
  json_error_t err;
  json_t *o = json_loads(line, 0, &err);
  if (!o) {
    fprintf(stderr, "bench/mpi: %s printed '%s'\n", cmd, line);
    exit(1);
  }
  fprintf(stderr, "bench/mpi: %s on %d rank%s: %.0f/s\n", what, np, np == 1 ? "" : "s",
          json_number_value(json_object_get(o, "rate")));
  return o;
}

/* The median over objs[0..runs) of field. */
static double median_of(json_t *const *objs, int runs, const char *field) {
  double v[16];
  for (int r = 0; r < runs; r++) v[r] = json_number_value(json_object_get(objs[r], field));
  return median(v, runs);
}

/* Median over runs of a worker's "rate" (and its other fields, from the median run). */
static double measure(const char *self, const char *what, int np, int runs, json_t **fields) {
  json_t *objs[16] = {0};
  for (int r = 0; r < runs; r++) objs[r] = run_worker(self, what, np);
  double med = median_of(objs, runs, "rate");
  int pick = 0;
  for (int r = 0; r < runs; r++)
    if (fabs(json_number_value(json_object_get(objs[r], "rate")) - med) <
        fabs(json_number_value(json_object_get(objs[pick], "rate")) - med))
      pick = r;
  if (fields) *fields = json_incref(objs[pick]);
  for (int r = 0; r < runs; r++) json_decref(objs[r]);
  return med;
}

static json_t *bc_series(const char *self, const char *what, int runs) {
  static const int nps[] = {1, 2, 4};
  json_t *o = json_object(), *ranks = json_array(), *rates = json_array(), *eff = json_array(),
         *ar = json_array();
  double one = 0;
  for (int k = 0; k < 3; k++) {
    json_t *f = NULL;
    double rate = measure(self, what, nps[k], runs, &f);
    if (k == 0) {
      one = rate;
      json_object_set(o, "params", json_object_get(f, "params"));
      json_object_set(o, "batch_seconds_1_rank", json_object_get(f, "batch_s"));
    }
    json_array_append_new(ranks, json_integer(nps[k]));
    json_array_append_new(rates, json_real(rate));
    json_array_append_new(eff, json_real(rate / (nps[k] * one)));
    json_array_append(ar, json_object_get(f, "allreduce_s"));
    json_decref(f);
  }
  json_object_set_new(o, "ranks", ranks);
  json_object_set_new(o, "samples_per_second", rates);
  json_object_set_new(o, "efficiency", eff);
  json_object_set_new(o, "allreduce_seconds", ar);
  return o;
}

/* Distributed rollouts at 1, 2 and 4 ranks, the rank counts interleaved
 * run by run (1, 2, 4, 1, 2, 4, ...) so that a change in the machine's
 * load falls on all three alike; medians of each field. */
static json_t *rollout_series(const char *self, const char *what, int runs) {
  enum { K = 3 };
  static const int nps[K] = {1, 2, 4};
  json_t *objs[K][16] = {{0}};
  for (int r = 0; r < runs; r++)
    for (int k = 0; k < K; k++) objs[k][r] = run_worker(self, what, nps[k]);
  double rate[K], cpu[K];
  json_t *ranks = json_array(), *rates = json_array(), *lo = json_array(), *hi = json_array(),
         *eff = json_array(), *cpus = json_array(), *ceff = json_array(), *share = json_array(),
         *load = json_array();
  for (int k = 0; k < K; k++) {
    rate[k] = median_of(objs[k], runs, "rate");
    cpu[k] = median_of(objs[k], runs, "cpu_us_per_step");
    double least = INFINITY, most = 0;
    for (int r = 0; r < runs; r++) {
      double v = json_number_value(json_object_get(objs[k][r], "rate"));
      least = fmin(least, v);
      most = fmax(most, v);
    }
    json_array_append_new(ranks, json_integer(nps[k]));
    json_array_append_new(rates, json_real(rate[k]));
    json_array_append_new(lo, json_real(least));
    json_array_append_new(hi, json_real(most));
    json_array_append_new(eff, json_real(rate[k] / (nps[k] * rate[0])));
    json_array_append_new(cpus, json_real(cpu[k]));
    json_array_append_new(ceff, json_real(cpu[0] / cpu[k]));
    json_array_append_new(share, json_real(median_of(objs[k], runs, "cpu_share")));
    json_array_append_new(load, json_real(median_of(objs[k], runs, "load_average_1min")));
  }
  json_t *o = json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "ranks", ranks,
                        "steps_per_run", (json_int_t)ROUNDS * ROUND_STEPS, "steps_per_second",
                        rates, "steps_per_second_least", lo, "steps_per_second_most", hi,
                        "efficiency", eff, "cpu_us_per_step", cpus, "cpu_efficiency", ceff,
                        "cpu_share", share, "load_average_1min", load);
  if (strcmp(what, "rollouts") == 0)
    json_object_set_new(o, "copies_per_rank", json_integer(COPIES_RANK));
  else
    json_object_set_new(o, "copies_in_all", json_integer(COPIES_ALL));
  for (int k = 0; k < K; k++)
    for (int r = 0; r < runs; r++) json_decref(objs[k][r]);
  return o;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--worker") == 0) {
    mimic_comm *c;
    if (mimic_mpi_begin(&c)) die("joining the job");
    mimic_log_set_level(MIMIC_LOG_WARN);
    if (strcmp(argv[2], "bc") == 0 || strcmp(argv[2], "bc-wide") == 0)
      worker_bc(c, strcmp(argv[2], "bc-wide") == 0);
    else if (strcmp(argv[2], "gather") == 0)
      worker_gather(c);
    else if (strcmp(argv[2], "rollouts") == 0 || strcmp(argv[2], "rollouts-shared") == 0)
      worker_rollouts(c, strcmp(argv[2], "rollouts-shared") == 0);
    else
      die("unknown worker");
    mimic_mpi_end(c);
    return 0;
  }
  int runs = 5;
  bool rollouts_only = false, bad = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--rollouts") == 0)
      rollouts_only = true;
    else
      bad = true;
  }
  if (runs < 1 || runs > 16 || bad) {
    fprintf(stderr, "usage: bench/mpi [--runs N (1..16)] [--rollouts (only the rollouts)]\n");
    return 2;
  }
  if (!mimic_mpi_built()) {
    fprintf(stderr, "bench/mpi: mimic was built without MPI\n");
    return 77;
  }
  const char *self = "/proc/self/exe";
  char exe[4096];
  ssize_t len = readlink(self, exe, sizeof exe - 1);
  if (len <= 0) die("readlink /proc/self/exe");
  exe[len] = 0;
  json_t *out = json_object();
  json_object_set_new(out, "bench", json_string("mpi"));
  json_object_set_new(out, "runs", json_integer(runs));
  double load0 = NAN;
  if (getloadavg(&load0, 1) == 1)
    json_object_set_new(out, "load_average_1min_start", json_real(load0));
  if (!rollouts_only) {
    json_object_set_new(out, "bc", bc_series(exe, "bc", runs));
    json_object_set_new(out, "bc_wide", bc_series(exe, "bc-wide", runs));
  }
  json_object_set_new(out, "rollouts", rollout_series(exe, "rollouts", runs));
  json_object_set_new(out, "rollouts_shared", rollout_series(exe, "rollouts-shared", runs));
  json_t *g = NULL;
  measure(exe, "gather", 2, runs, &g); /* the run of median best time */
  json_object_set_new(out, "gather_3mb_2_ranks",
                      json_pack("{s:O, s:O}", "seconds_best", json_object_get(g, "best_s"),
                                "seconds_median", json_object_get(g, "median_s")));
  json_decref(g);
  double load[3] = {NAN, NAN, NAN};
  if (getloadavg(load, 3) == 3) json_object_set_new(out, "load_average_1min", json_real(load[0]));
  char *text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(6));
  puts(text);
  free(text);
  json_decref(out);
  return 0;
}
