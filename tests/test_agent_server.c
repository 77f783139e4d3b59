/* The agent server under load on loopback: several client threads on
 * keep-alive connections send predictions (each answer checked against
 * the same prediction made in process), corrections (every one must be in
 * the store afterwards), and a mix of bad requests: malformed JSON, JSON of
 * the wrong shape, unknown paths and methods, bodies over the size limit
 * (announced with Expect: 100-continue, or streamed chunked), and bytes
 * that are not HTTP at all. Nothing may crash and every answer must be the
 * right one. The request handler is also fed thousands of mangled bodies
 * directly. The model is tau-bench's (real states, long observations). */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "agent_http.h"
#include "mimic/agent.h"
#include "agent/agent_impl.h"

static mimic_agent_traces traces;
static mimic_agent_examples examples;
static mimic_agent_model *model;
static char **bodies;    /* /predict bodies: {"state": ..., "k": 2} */
static int *want_action; /* in-process answers */
static double *want_conf;
static size_t n_bodies;

static int setup(void **state) {
  (void)state;
  signal(SIGPIPE, SIG_IGN);
  char path[1024];
  snprintf(path, sizeof path, "%s/text-agents/tau-bench/gpt-4o-airline.json", tu_data_dir());
  if (mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &traces)) return -1;
  bool train[200];
  for (size_t i = 0; i < traces.n; i++) train[i] = i % 4 != 3; /* trials 0-2 */
  memset(&examples, 0, sizeof examples);
  if (mimic_agent_examples_add_traces(&examples, &traces, train)) return -1;
  mimic_agent_config cfg;
  mimic_agent_config_default(&cfg);
  cfg.n_threads = 2;
  if (mimic_agent_fit(examples.ex, examples.n, &cfg, &model)) return -1;
  /* the states of trial 3 as request bodies, with in-process answers */
  mimic_agent_examples test = {0};
  bool take[200];
  for (size_t i = 0; i < traces.n; i++) take[i] = i % 4 == 3;
  if (mimic_agent_examples_add_traces(&test, &traces, take)) return -1;
  n_bodies = test.n < 200 ? test.n : 200;
  bodies = calloc(n_bodies, sizeof *bodies);
  want_action = calloc(n_bodies, sizeof *want_action);
  want_conf = calloc(n_bodies, sizeof *want_conf);
  mimic_agent_scratch *sc;
  if (mimic_agent_scratch_new(model, &sc)) return -1;
  for (size_t i = 0; i < n_bodies; i++) {
    json_t *st = mimic_agent_state_to_json(&test.ex[i * test.n / n_bodies].state);
    json_t *b = json_pack("{s:o,s:i}", "state", st, "k", (int)(i % 3));
    bodies[i] = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    /* what the server will see: the state parsed back from this JSON */
    json_t *again = json_loads(bodies[i], 0, NULL);
    mimic_agent_state_buf sb;
    if (mimic_agent_state_from_json(json_object_get(again, "state"), &sb)) return -1;
    mimic_agent_prediction p;
    if (mimic_agent_predict(model, &sb.s, sc, &p)) return -1;
    want_action[i] = p.action;
    want_conf[i] = p.confidence;
    mimic_agent_state_buf_free(&sb);
    json_decref(again);
  }
  mimic_agent_scratch_free(sc);
  mimic_agent_examples_free(&test);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < n_bodies; i++) free(bodies[i]);
  free(bodies);
  free(want_action);
  free(want_conf);
  mimic_agent_free(model);
  mimic_agent_examples_free(&examples);
  mimic_agent_traces_free(&traces);
  return 0;
}

typedef struct worker {
  int id, port, n;
  int ok_predict, wrong_predict, corrections, bad400, too_large, not_found, not_allowed, other;
  int failures;
  char first_failure[256];
} worker;

static void fail_note(worker *w, const char *what, int status) {
  if (!w->failures++)
    snprintf(w->first_failure, sizeof w->first_failure, "%s: status %d", what, status);
}

static void *run_worker(void *arg) {
  worker *w = arg;
  http_client c;
  http_init(&c, w->port);
  char body[512];
  for (int i = 0; i < w->n; i++) {
    int kind = (i * 7 + w->id) % 20;
    if (kind < 13) { /* a prediction */
      size_t b = (size_t)(w->id * 131 + i * 17) % n_bodies;
      if (http_request(&c, "POST", "/predict", bodies[b], strlen(bodies[b]), NULL) ||
          c.status != 200) {
        fail_note(w, "predict", c.status);
        continue;
      }
      json_t *r = json_loadb(c.body, c.body_len, 0, NULL);
      const char *a = json_string_value(json_object_get(r, "action"));
      double conf = json_number_value(json_object_get(r, "confidence"));
      const char *want = want_action[b] >= 0 ? mimic_agent_action(model, want_action[b]) : NULL;
      const char *route = json_string_value(json_object_get(r, "route"));
      bool same = a && want && !strcmp(a, want) && conf == want_conf[b] && route &&
                  !strcmp(route, conf >= 0.5 ? "act" : "fallback") &&
                  json_array_size(json_object_get(r, "examples")) <= b % 3 &&
                  json_is_object(json_object_get(r, "arguments"));
      if (same)
        w->ok_predict++;
      else
        w->wrong_predict++;
      json_decref(r);
    } else if (kind < 15) { /* a correction */
      snprintf(body, sizeof body,
               "{\"state\": {\"intent\": \"w%d\", \"request\": \"case %d of worker %d\", "
               "\"previous_actions\": [\"reply\"]}, \"action\": \"fix_%d_%d\", \"arguments\": "
               "{\"n\": %d}, \"labeler\": \"test\"}",
               w->id, i, w->id, w->id, i, i);
      if (http_request(&c, "POST", "/correct", body, strlen(body), NULL) || c.status != 201)
        fail_note(w, "correct", c.status);
      else
        w->corrections++;
    } else if (kind == 15) { /* malformed JSON, or JSON of the wrong shape */
      const char *bad[] = {"{\"state\": {\"request\": \"x\"",
                           "[1, 2, 3]",
                           "{\"state\": 5}",
                           "{\"state\": {\"previous_actions\": [1]}}",
                           "",
                           "{\"k\": 99}",
                           "\xff\xfe{}",
                           "{\"state\": {\"request\": \"a\\u0000b\"}}"};
      const char *b = bad[(i / 20 + w->id) % 8];
      if (http_request(&c, "POST", "/predict", b, strlen(b), NULL) || c.status != 400)
        fail_note(w, "malformed", c.status);
      else
        w->bad400++;
    } else if (kind == 16) { /* over the size limit, announced */
      if (http_expect(&c, "/predict", 10u << 20) || c.status != 413)
        fail_note(w, "expect", c.status);
      else
        w->too_large++;
      http_close(&c);
    } else if (kind == 17) { /* over the size limit, streamed */
      if (http_chunked(&c, "/correct", 80000) || c.status != 413)
        fail_note(w, "chunked", c.status);
      else
        w->too_large++;
      http_close(&c);
    } else if (kind == 18) {
      if (http_request(&c, "GET", "/nothing/here", NULL, 0, NULL) || c.status != 404)
        fail_note(w, "404", c.status);
      else
        w->not_found++;
    } else {
      if (http_request(&c, "GET", "/predict", NULL, 0, NULL) || c.status != 405)
        fail_note(w, "405", c.status);
      else
        w->not_allowed++;
    }
  }
  /* bytes that are not HTTP: the server answers 400 or closes; it must live on */
  if (!http_connect(&c)) {
    const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n";
    http_send_all(c.fd, junk, sizeof junk - 1);
    char tmp[256];
    while (recv(c.fd, tmp, sizeof tmp, 0) > 0) {
    }
    http_close(&c);
  }
  http_free(&c);
  return NULL;
}

static void test_load(void **state) {
  (void)state;
  char *db = tu_tmp_path("served.db");
  mimic_labelstore *store;
  int64_t session;
  bool resumed;
  mimic_labelstore_opts fast = {.fast = true};
  assert_int_equal(mimic_labelstore_open(db, &fast, &store), MIMIC_OK);
  assert_int_equal(mimic_labelstore_session_open(store, "http", MIMIC_AGENT_SESSION_KIND, NULL,
                                                 &session, &resumed),
                   MIMIC_OK);
  mimic_agent_server_config cfg;
  mimic_agent_server_defaults(&cfg);
  cfg.port = 0;
  cfg.threads = 2;
  cfg.max_body = 64 * 1024;
  cfg.store = store;
  cfg.session = session;
  mimic_agent_server *srv;
  assert_int_equal(mimic_agent_server_start(model, &cfg, &srv), MIMIC_OK);
  int port = mimic_agent_server_port(srv);
  assert_true(port > 0);
  enum { W = 4, N = 160 };
  worker w[W];
  pthread_t th[W];
  for (int i = 0; i < W; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].id = i;
    w[i].port = port;
    w[i].n = N;
    assert_int_equal(pthread_create(&th[i], NULL, run_worker, &w[i]), 0);
  }
  int predictions = 0, corrections = 0, rejected = 0;
  for (int i = 0; i < W; i++) {
    pthread_join(th[i], NULL);
    if (w[i].failures) print_error("worker %d: %s\n", i, w[i].first_failure);
    assert_int_equal(w[i].failures, 0);
    assert_int_equal(w[i].wrong_predict, 0);
    predictions += w[i].ok_predict;
    corrections += w[i].corrections;
    rejected += w[i].bad400 + w[i].too_large + w[i].not_found + w[i].not_allowed;
  }
  print_message("%d predictions, %d corrections, %d bad requests rejected, all answered right\n",
                predictions, corrections, rejected);
  assert_true(predictions > 300 && corrections > 40 && rejected > 100);
  /* the server is still fine */
  http_client c;
  http_init(&c, port);
  assert_int_equal(http_request(&c, "GET", "/health", NULL, 0, NULL), 0);
  assert_int_equal(c.status, 200);
  json_t *h = json_loadb(c.body, c.body_len, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
  assert_int_equal(json_integer_value(json_object_get(h, "corrections")), corrections);
  json_decref(h);
  http_free(&c);
  mimic_agent_server_stats st;
  mimic_agent_server_stats_get(srv, &st);
  assert_int_equal(st.predictions, (uint64_t)predictions);
  assert_int_equal(st.corrections, (uint64_t)corrections);
  assert_int_equal(st.errors, 0);
  mimic_agent_server_stop(srv);
  mimic_labelstore_close(store);
  /* every correction is in the store, with its arguments */
  mimic_labelstore_opts ro = {.read_only = true};
  assert_int_equal(mimic_labelstore_open(db, &ro, &store), MIMIC_OK);
  mimic_agent_examples got = {0};
  assert_int_equal(mimic_agent_examples_add_store(&got, store, 0), MIMIC_OK);
  mimic_labelstore_close(store);
  assert_int_equal(got.n, (size_t)corrections);
  for (int i = 0; i < W; i++)
    for (int k = 0; k < N; k++) {
      if ((k * 7 + i) % 20 < 13 || (k * 7 + i) % 20 >= 15) continue;
      char name[32], args[32];
      snprintf(name, sizeof name, "fix_%d_%d", i, k);
      snprintf(args, sizeof args, "{\"n\":%d}", k);
      bool found = false;
      for (size_t j = 0; j < got.n && !found; j++)
        found = !strcmp(got.ex[j].action, name) && !strcmp(got.ex[j].arguments, args);
      assert_true(found);
    }
  mimic_agent_examples_free(&got);
  free(db);
}

/* The handler fed mangled bodies: always 200 or 400, never a crash. */
static void test_mangled(void **state) {
  (void)state;
  mimic_agent_server_config cfg;
  mimic_agent_server_defaults(&cfg);
  cfg.port = 0;
  cfg.threads = 1;
  mimic_agent_server *srv;
  assert_int_equal(mimic_agent_server_start(model, &cfg, &srv), MIMIC_OK);
  mimic_agent_scratch *sc;
  assert_int_equal(mimic_agent_scratch_new(model, &sc), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 42);
  int n200 = 0, n400 = 0;
  for (int i = 0; i < 1500; i++) {
    const char *src = bodies[(size_t)i % n_bodies];
    size_t len = strlen(src);
    char *b = malloc(len + 1);
    memcpy(b, src, len + 1);
    int kind = i % 4;
    if (kind == 0) { /* flip bytes */
      for (int k = 0; k < 3; k++)
        b[mimic_rng_integers(&rng, 0, (int64_t)len)] = (char)mimic_rng_integers(&rng, 0, 256);
    } else if (kind == 1) { /* cut short */
      len = (size_t)mimic_rng_integers(&rng, 0, (int64_t)len);
    } else if (kind == 2) { /* replace a value's type */
      char *p = strstr(b, "\"request\"");
      if (p) memcpy(p + 10, "[[[[", 4);
    }
    char *out = NULL;
    int code = mimic_agent_server_handle(srv, "POST", "/predict", b, len, sc, &out);
    assert_non_null(out);
    assert_true(code == 200 || code == 400);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j); /* every answer is JSON */
    if (code == 400) assert_true(json_is_string(json_object_get(j, "error")));
    json_decref(j);
    n200 += code == 200;
    n400 += code == 400;
    free(out);
    free(b);
  }
  assert_true(n200 > 100 && n400 > 100);
  /* deep nesting, huge numbers, a correction without a store */
  char *deep = malloc(200003);
  memset(deep, '[', 100000);
  memset(deep + 100000, ']', 100000);
  deep[200000] = 0;
  char *out;
  assert_int_equal(mimic_agent_server_handle(srv, "POST", "/predict", deep, 200000, sc, &out), 400);
  free(out);
  free(deep);
  const char *big = "{\"state\": {\"request\": \"x\"}, \"k\": 1e400}";
  assert_int_equal(mimic_agent_server_handle(srv, "POST", "/predict", big, strlen(big), sc, &out),
                   400);
  free(out);
  const char *corr = "{\"state\": {}, \"action\": \"a\"}";
  assert_int_equal(mimic_agent_server_handle(srv, "POST", "/correct", corr, strlen(corr), sc, &out),
                   503);
  free(out);
  mimic_agent_scratch_free(sc);
  mimic_agent_server_stop(srv);
}

/* ---- slow clients (slowloris) ------------------------------------------- */

/* A socket from source address src (127.0.0.x: loopback answers all of
 * 127/8, so one machine plays several clients) connected to port. */
static int connect_from(const char *src, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  inet_pton(AF_INET, src, &a.sin_addr);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  a.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* One request from src on a new connection; the status, or -1 when no whole
 * answer came within limit_s (polled in 20 ms steps: the server must be
 * live, not fast). */
static int timed_request(const char *src, int port, const char *method, const char *path,
                         const char *body, double limit_s) {
  int fd = connect_from(src, port);
  if (fd < 0) return -1;
  char head[256];
  size_t blen = body ? strlen(body) : 0;
  int hn = snprintf(head, sizeof head,
                    "%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                    method, path, blen);
  int rc = -1;
  if (http_send_all(fd, head, (size_t)hn) == 0 && (!blen || http_send_all(fd, body, blen) == 0)) {
    char buf[65536];
    size_t got = 0;
    double until = mimic_now() + limit_s;
    while (mimic_now() < until && got < sizeof buf - 1) {
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
      if (k <= 0) break; /* Connection: close: the whole answer is in */
      got += (size_t)k;
    }
    buf[got] = 0;
    int status;
    if (mimic_now() < until && sscanf(buf, "HTTP/1.1 %d", &status) == 1) rc = status;
  }
  close(fd);
  return rc;
}

/* Slow clients: each sent a request line and trickles one header byte per round. */
typedef struct slow_set {
  int fd[700];
  int n, closed; /* closed: by the server (end of stream or reset) */
  long sent;
} slow_set;

static void slow_open(slow_set *ss, const char *src, int port, int n) {
  for (int i = 0; i < n; i++) {
    int fd = connect_from(src, port);
    if (fd < 0) {
      ss->closed++; /* refused at once */
      continue;
    }
    const char *line = "POST /predict HTTP/1.1\r\nHost: t\r\n";
    if (send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      close(fd);
      ss->closed++;
      continue;
    }
    ss->fd[ss->n++] = fd;
  }
}

/* One round: a byte from every client still open; notes those the server closed. */
static void slow_round(slow_set *ss) {
  for (int i = 0; i < ss->n; i++) {
    if (ss->fd[i] < 0) continue;
    char tmp[512];
    ssize_t k = recv(ss->fd[i], tmp, sizeof tmp, MSG_DONTWAIT);
    bool gone = k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    if (!gone) gone = send(ss->fd[i], "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN;
    if (gone) {
      close(ss->fd[i]);
      ss->fd[i] = -1;
      ss->closed++;
    } else {
      ss->sent++;
    }
  }
}

static void slow_close(slow_set *ss) {
  for (int i = 0; i < ss->n; i++)
    if (ss->fd[i] >= 0) close(ss->fd[i]);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* 600 slow clients from one address cannot keep /health or a /predict from
 * another client from being answered within 1 s; the server holds at most
 * max_per_ip of them and refuses the rest at once. */
static void test_slow_clients(void **state) {
  (void)state;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2048 && rl.rlim_max >= 2048) rl.rlim_cur = 2048;
  setrlimit(RLIMIT_NOFILE, &rl);
  mimic_agent_server_config cfg;
  mimic_agent_server_defaults(&cfg); /* 512 connections, 128 an address, 10 s a request */
  cfg.port = 0;
  mimic_agent_server *srv;
  assert_int_equal(mimic_agent_server_start(model, &cfg, &srv), MIMIC_OK);
  int port = mimic_agent_server_port(srv);
  static slow_set ss;
  memset(&ss, 0, sizeof ss);
  slow_open(&ss, "127.0.0.1", port, 600);
  int probes = 0;
  for (int round = 0; round < 30; round++) { /* 3 s of trickling, a probe every 0.5 s */
    slow_round(&ss);
    if (round % 5 == 4) {
      int h = timed_request("127.0.0.2", port, "GET", "/health", NULL, 1.0);
      int p = timed_request("127.0.0.2", port, "POST", "/predict", bodies[round % n_bodies], 1.0);
      if (h != 200 || p != 200)
        fail_msg("round %d: /health %d, /predict %d (-1: none in 1 s)", round, h, p);
      probes++;
    }
    sleep_ms(100);
  }
  mimic_agent_server_stats st;
  mimic_agent_server_stats_get(srv, &st);
  print_message(
      "600 slow clients: %d refused or closed, %llu connections open, %d probes answered\n",
      ss.closed, (unsigned long long)st.open, probes);
  assert_true(st.open <= cfg.max_per_ip);              /* bounded in count */
  assert_true(ss.closed >= 600 - (int)cfg.max_per_ip); /* the rest were refused */
  assert_int_equal(probes, 6);
  slow_close(&ss);
  mimic_agent_server_stop(srv);
}

/* Past max_connections a request gets 503 at once and /health is still
 * answered; a request that trickles in is cut at its deadline, however many
 * bytes keep coming. */
static void test_full_and_deadline(void **state) {
  (void)state;
  mimic_agent_server_config cfg;
  mimic_agent_server_defaults(&cfg);
  cfg.port = 0;
  cfg.max_connections = 8;
  cfg.max_per_ip = 1000;
  cfg.request_timeout_s = cfg.busy_timeout_s = 600; /* nobody is cut in this part */
  mimic_agent_server *srv;
  assert_int_equal(mimic_agent_server_start(model, &cfg, &srv), MIMIC_OK);
  int port = mimic_agent_server_port(srv);
  static slow_set ss;
  memset(&ss, 0, sizeof ss);
  slow_open(&ss, "127.0.0.1", port, 12);
  mimic_agent_server_stats st;
  for (int i = 0; i < 500; i++) { /* until the server has accepted them all */
    mimic_agent_server_stats_get(srv, &st);
    if (st.open == 12) break;
    sleep_ms(10);
  }
  assert_int_equal(st.open, 12);
  assert_int_equal(timed_request("127.0.0.2", port, "POST", "/predict", bodies[0], 1.0), 503);
  assert_int_equal(timed_request("127.0.0.2", port, "GET", "/health", NULL, 1.0), 200);
  mimic_agent_server_stats_get(srv, &st);
  assert_true(st.busy >= 1);
  slow_close(&ss);
  mimic_agent_server_stop(srv);

  cfg.max_connections = 512;
  cfg.request_timeout_s = 1;
  assert_int_equal(mimic_agent_server_start(model, &cfg, &srv), MIMIC_OK);
  port = mimic_agent_server_port(srv);
  memset(&ss, 0, sizeof ss);
  slow_open(&ss, "127.0.0.1", port, 5);
  for (int round = 0; round < 200 && ss.closed < 5; round++) { /* at most 20 s */
    slow_round(&ss);
    sleep_ms(100);
  }
  mimic_agent_server_stats_get(srv, &st);
  print_message("5 trickling requests cut after %ld bytes sent\n", ss.sent);
  assert_int_equal(ss.closed, 5);
  assert_true(st.timed_out >= 5);
  assert_true(ss.sent >= 5); /* they were sending while they were cut */
  slow_close(&ss);
  assert_int_equal(timed_request("127.0.0.2", port, "GET", "/health", NULL, 1.0), 200);
  mimic_agent_server_stop(srv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load),
      cmocka_unit_test(test_mangled),
      cmocka_unit_test(test_slow_clients),
      cmocka_unit_test(test_full_and_deadline),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
