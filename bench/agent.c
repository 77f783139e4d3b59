/* bench/agent: the agent policy on tau-bench airline, fit and serve.
 *
 * Fits the default policy (logistic regression over the agent features) on
 * the training tasks of a split by task, then measures
 *   - fit seconds (median over --runs);
 *   - predictions per second in process: the next move (action and
 *     confidence) of the held-out states, from the parsed state, with one
 *     thread and with --threads threads (one scratch each, the model
 *     shared); and "full" answers (move + arguments + 3 few-shot examples);
 *   - requests per second over HTTP on loopback: the server (libmicrohttpd,
 *     --server-threads workers) and --clients keep-alive connections driven
 *     by --client-threads threads of this process (each thread polls its
 *     connections, one request in flight on each), POST /predict with the
 *     whole state and k = 0 (the router's question), with k = 3 (few-shot
 *     examples), and with the short state (names and last observation
 *     only); once with the model shared read-only and once with lock_model
 *     (one mutex around prediction), to measure what a lock costs.
 * The machine has 2 cores: by default the server gets 2 workers and the
 * client 1 thread with 8 connections, so both sides share both cores, as
 * they would on a small host.
 *
 *   bench/agent [--seconds S] [--runs N] [--threads N] [--server-threads N]
 *               [--client-threads N] [--clients N] [--data FILE]
 *
 * HTTP rates are medians over --runs measurements of --seconds each.
 * Prints one JSON object on stdout. */
#define _GNU_SOURCE /* strcasestr */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/agent_http.h"
#include "mimic/agent.h"

#define BENCH_NAME "agent"
#include "bench_util.h"

typedef struct shared {
  const mimic_agent_model *m;
  const mimic_agent_state *states;
  size_t n_states;
  char **bodies;
  size_t n_bodies;
  double seconds;
  bool full;
  int port, connections;
  atomic_long done;
  atomic_int failures;
} shared;

typedef struct job {
  shared *s;
  int id;
  long count;
} job;

/* Predicts states round robin for s->seconds. */
static void *predict_loop(void *arg) {
  job *j = arg;
  shared *s = j->s;
  mimic_agent_scratch *sc;
  if (mimic_agent_scratch_new(s->m, &sc)) die("scratch");
  double t_end = mimic_now() + s->seconds;
  size_t i = (size_t)j->id * 7919;
  long n = 0;
  mimic_agent_shot shots[3];
  while ((n & 63) || mimic_now() < t_end) {
    const mimic_agent_state *st = &s->states[i++ % s->n_states];
    mimic_agent_prediction p;
    if (mimic_agent_predict(s->m, st, sc, &p)) die("predict");
    if (s->full) {
      json_t *args;
      size_t k;
      if (mimic_agent_fill_arguments(s->m, p.action, st, &args, NULL)) die("arguments");
      json_decref(args);
      if (mimic_agent_retrieve(s->m, st, 3, sc, shots, &k)) die("retrieve");
    }
    n++;
  }
  mimic_agent_scratch_free(sc);
  j->count = n;
  return NULL;
}

static double predictions_per_s(shared *s, int threads, bool full) {
  s->full = full;
  pthread_t th[64];
  job jobs[64];
  double t0 = mimic_now();
  for (int i = 0; i < threads; i++) {
    jobs[i] = (job){s, i, 0};
    pthread_create(&th[i], NULL, predict_loop, &jobs[i]);
  }
  long total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    total += jobs[i].count;
  }
  return (double)total / (mimic_now() - t0);
}

/* One client thread driving its share of the connections at once with
 * poll(): every connection has one request in flight (keep-alive, no
 * pipelining); when its response is complete the next request goes out on
 * it. One thread keeps several server workers busy without a context
 * switch per request. */
typedef struct conn {
  http_client c;
  size_t sent, want; /* request bytes sent / total */
  bool busy;
} conn;

static int start_request(conn *k, shared *s, size_t *next) {
  const char *b = s->bodies[(*next)++ % s->n_bodies];
  size_t len = strlen(b), need = len + 256;
  if (need > k->c.req_cap) {
    char *p = realloc(k->c.req, need);
    if (!p) return -1;
    k->c.req = p;
    k->c.req_cap = need;
  }
  int h = snprintf(k->c.req, k->c.req_cap,
                   "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   len);
  memcpy(k->c.req + h, b, len);
  k->want = (size_t)h + len;
  k->sent = 0;
  k->c.len = 0;
  k->busy = true;
  return 0;
}

/* Reads what is there; 1 when the response is complete, 0 if not yet, -1 on error. */
static int read_some(conn *k) {
  http_client *c = &k->c;
  if (c->len + 65536 > c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 131072;
    char *p = realloc(c->buf, cap);
    if (!p) return -1;
    c->buf = p;
    c->cap = cap;
  }
  ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (r <= 0) return -1;
  c->len += (size_t)r;
  c->buf[c->len] = 0;
  char *end = strstr(c->buf, "\r\n\r\n");
  if (!end) return 0;
  size_t head = (size_t)(end - c->buf) + 4, clen = 0;
  const char *cl = strcasestr(c->buf, "\r\nContent-Length:");
  if (cl && cl < end) clen = (size_t)strtoull(cl + 17, NULL, 10);
  if (c->len < head + clen) return 0;
  c->status = atoi(c->buf + 9);
  return 1;
}

static void *client_loop(void *arg) {
  job *j = arg;
  shared *s = j->s;
  int nc = s->connections;
  conn *k = calloc((size_t)nc, sizeof *k);
  struct pollfd *pf = calloc((size_t)nc, sizeof *pf);
  size_t next = (size_t)j->id * 104729;
  for (int q = 0; q < nc; q++) {
    http_init(&k[q].c, s->port);
    if (http_connect(&k[q].c) || start_request(&k[q], s, &next)) die("connect");
  }
  double t_end = mimic_now() + s->seconds;
  long n = 0;
  bool stopping = false;
  int active = nc;
  while (active > 0) {
    for (int q = 0; q < nc; q++) {
      pf[q].fd = k[q].busy ? k[q].c.fd : -1;
      pf[q].events = k[q].sent < k[q].want ? POLLOUT : POLLIN;
    }
    if (poll(pf, (nfds_t)nc, 1000) < 0 && errno != EINTR) die("poll");
    if (!stopping && mimic_now() >= t_end) stopping = true;
    for (int q = 0; q < nc; q++) {
      conn *c = &k[q];
      if (!c->busy || !pf[q].revents) continue;
      if (c->sent < c->want) {
        ssize_t w =
            send(c->c.fd, c->c.req + c->sent, c->want - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0)
          c->sent += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
          die("send");
        continue;
      }
      int r = read_some(c);
      if (r < 0) die("recv");
      if (r == 0) continue;
      if (c->c.status != 200) atomic_fetch_add(&s->failures, 1);
      n++;
      c->busy = false;
      if (stopping)
        active--;
      else if (start_request(c, s, &next))
        die("request");
    }
  }
  for (int q = 0; q < nc; q++) http_free(&k[q].c);
  free(k);
  free(pf);
  j->count = n;
  return NULL;
}

static double requests_per_s(shared *s, int client_threads) {
  pthread_t th[64];
  job jobs[64];
  double t0 = mimic_now();
  for (int i = 0; i < client_threads; i++) {
    jobs[i] = (job){s, i, 0};
    pthread_create(&th[i], NULL, client_loop, &jobs[i]);
  }
  long total = 0;
  for (int i = 0; i < client_threads; i++) {
    pthread_join(th[i], NULL);
    total += jobs[i].count;
  }
  return (double)total / (mimic_now() - t0);
}

int main(int argc, char **argv) {
  double seconds = 1.5;
  int runs = 3, threads = 2, server_threads = 2, client_threads = 1, clients = 8, trees = 0;
  char data[1024];
  snprintf(data, sizeof data, "%s/../shared/data/text-agents/tau-bench/gpt-4o-airline.json",
           MIMIC_SOURCE_DIR);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--seconds") && v)
      seconds = atof(argv[++i]);
    else if (!strcmp(a, "--runs") && v)
      runs = atoi(argv[++i]);
    else if (!strcmp(a, "--threads") && v)
      threads = atoi(argv[++i]);
    else if (!strcmp(a, "--server-threads") && v)
      server_threads = atoi(argv[++i]);
    else if (!strcmp(a, "--client-threads") && v)
      client_threads = atoi(argv[++i]);
    else if (!strcmp(a, "--clients") && v)
      clients = atoi(argv[++i]);
    else if (!strcmp(a, "--trees") && v)
      trees = atoi(argv[++i]);
    else if (!strcmp(a, "--data") && v)
      snprintf(data, sizeof data, "%s", argv[++i]);
    else {
      fprintf(
          stderr,
          "usage: bench/agent [--seconds S] [--runs N] [--threads N] "
          "[--server-threads N] [--client-threads N] [--clients N] [--trees N] [--data FILE]\n");
      return 2;
    }
  }
  if (runs < 1 || runs > 64 || threads < 1 || threads > 64 || client_threads < 1 ||
      client_threads > 64 || clients < 1 || server_threads < 1 || trees < 0 || !(seconds > 0)) {
    fprintf(stderr, "bench/agent: bad option value\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  mimic_log_set_level(MIMIC_LOG_WARN);
  mimic_agent_traces t;
  if (mimic_agent_traces_read(data, MIMIC_AGENT_FORMAT_AUTO, &t)) die("read");
  bool test[1024], train[1024];
  if (t.n > 1024) t.n = 1024;
  if (mimic_agent_split(&t, MIMIC_AGENT_SPLIT_TASK, 0.3, 0, test, NULL)) die("split");
  for (size_t i = 0; i < t.n; i++) train[i] = !test[i];
  mimic_agent_examples tr = {0}, te = {0};
  if (mimic_agent_examples_add_traces(&tr, &t, train) ||
      mimic_agent_examples_add_traces(&te, &t, test))
    die("examples");
  /* fit */
  mimic_agent_config cfg;
  mimic_agent_config_default(&cfg);
  cfg.forest.n_trees = trees;
  double *fit_s = calloc((size_t)runs, sizeof *fit_s);
  mimic_agent_model *m = NULL;
  for (int r = 0; r < runs; r++) {
    mimic_agent_free(m);
    double t0 = mimic_now();
    if (mimic_agent_fit(tr.ex, tr.n, &cfg, &m)) die("fit");
    fit_s[r] = mimic_now() - t0;
  }
  qsort(fit_s, (size_t)runs, sizeof *fit_s, cmp_double);
  mimic_agent_eval ev;
  if (mimic_agent_evaluate(m, te.ex, te.n, &ev)) die("evaluate");
  /* the held-out states, as structs and as request bodies */
  mimic_agent_state *states = calloc(te.n, sizeof *states);
  size_t obs_bytes = 0;
  for (size_t i = 0; i < te.n; i++) {
    states[i] = te.ex[i].state;
    obs_bytes += states[i].last_observation ? strlen(states[i].last_observation) : 0;
  }
  /* request bodies: the whole state (previous actions with their
   * arguments and replies, every observation so far: what the model was
   * trained on), and the short form (action names and the last observation
   * only, 4.5 points less accurate on tau-bench; docs/agents.md) */
  char **bodies[3];
  size_t body_bytes[3] = {0, 0, 0};
  for (int v = 0; v < 3; v++) bodies[v] = calloc(te.n, sizeof *bodies[v]);
  for (size_t i = 0; i < te.n; i++) {
    mimic_agent_state s = states[i];
    json_t *full = mimic_agent_state_to_json(&s);
    s.observations = NULL;
    s.n_observations = 0;
    s.previous_content = NULL;
    json_t *brief = mimic_agent_state_to_json(&s);
    json_t *b[3] = {json_pack("{s:O,s:i}", "state", full, "k", 0),
                    json_pack("{s:O,s:i}", "state", full, "k", 3),
                    json_pack("{s:O,s:i}", "state", brief, "k", 0)};
    for (int v = 0; v < 3; v++) {
      bodies[v][i] = json_dumps(b[v], JSON_COMPACT);
      body_bytes[v] += strlen(bodies[v][i]);
      json_decref(b[v]);
    }
    json_decref(full);
    json_decref(brief);
  }
  shared s = {.m = m, .states = states, .n_states = te.n, .seconds = seconds};
  double p1 = predictions_per_s(&s, 1, false);
  double pn = predictions_per_s(&s, threads, false);
  double f1 = predictions_per_s(&s, 1, true);
  double fn = predictions_per_s(&s, threads, true);
  /* HTTP */
  double http[2][3]; /* [lock][full k=0, full k=3, short k=0] */
  int failures = 0;
  for (int lock = 0; lock < 2; lock++) {
    mimic_agent_server_config sc;
    mimic_agent_server_defaults(&sc);
    sc.port = 0;
    sc.threads = server_threads;
    sc.lock_model = lock;
    mimic_agent_server *srv;
    if (mimic_agent_server_start(m, &sc, &srv)) die("server");
    s.port = mimic_agent_server_port(srv);
    s.connections = (clients + client_threads - 1) / client_threads;
    for (int v = 0; v < 3; v++) {
      s.bodies = bodies[v];
      s.n_bodies = te.n;
      double keep = s.seconds, rate[64];
      s.seconds = 0.3; /* warm up: connections, worker scratch, caches */
      requests_per_s(&s, client_threads);
      s.seconds = keep;
      for (int r = 0; r < runs; r++) rate[r] = requests_per_s(&s, client_threads);
      qsort(rate, (size_t)runs, sizeof *rate, cmp_double);
      http[lock][v] = rate[runs / 2]; /* the median: loopback on a shared VM is noisy */
    }
    mimic_agent_server_stop(srv);
  }
  failures = atomic_load(&s.failures);
  json_t *o = json_pack(
      "{s:s,s:I,s:I,s:i,s:f,s:f,s:f,s:i,s:{s:f,s:f,s:f,s:f},"
      "s:{s:f,s:f,s:f,s:f,s:f,s:f,s:I,s:I},s:i,s:i,s:i,s:i,s:f,s:I,s:i}",
      "data", "tau-bench airline (split by task, seed 0)", "train_moves", (json_int_t)tr.n,
      "test_moves", (json_int_t)te.n, "features", (int)cfg.features, "fit_seconds", fit_s[runs / 2],
      "fit_seconds_min", fit_s[0], "test_accuracy", ev.accuracy, "threads", threads, "in_process",
      "predictions_per_s", pn, "predictions_per_s_1_thread", p1, "full_answers_per_s", fn,
      "full_answers_per_s_1_thread", f1, "http", "requests_per_s", http[0][0],
      "requests_per_s_with_examples", http[0][1], "requests_per_s_short_state", http[0][2],
      "requests_per_s_locked", http[1][0], "requests_per_s_locked_with_examples", http[1][1],
      "requests_per_s_locked_short_state", http[1][2], "mean_request_bytes",
      (json_int_t)(body_bytes[0] / (te.n ? te.n : 1)), "mean_short_request_bytes",
      (json_int_t)(body_bytes[2] / (te.n ? te.n : 1)), "server_threads", server_threads,
      "client_threads", client_threads, "connections", clients, "http_failures", failures,
      "seconds_per_measurement", seconds, "mean_observation_bytes",
      (json_int_t)(obs_bytes / (te.n ? te.n : 1)), "forest_trees", trees);
  char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
  puts(text);
  free(text);
  json_decref(o);
  for (int v = 0; v < 3; v++) {
    for (size_t i = 0; i < te.n; i++) free(bodies[v][i]);
    free(bodies[v]);
  }
  free(states);
  free(fit_s);
  mimic_agent_eval_free(&ev);
  mimic_agent_free(m);
  mimic_agent_examples_free(&tr);
  mimic_agent_examples_free(&te);
  mimic_agent_traces_free(&t);
  return failures ? 1 : 0;
}
