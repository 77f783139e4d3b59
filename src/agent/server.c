/* Serving an agent policy over HTTP (GNU libmicrohttpd).
 *
 *   POST /predict   {"state": {...}, "k": 3, "threshold": 0.7}  (or the state itself)
 *                   -> {"action", "tool", "confidence", "route", "threshold",
 *                       "arguments", "argument_sources", "alternatives", "examples"}
 *   POST /correct   {"state": {...}, "action": "...", "arguments": {...}, "labeler": "..."}
 *                   -> 201 {"stored": true, "id": N}, committed to the label store
 *   GET  /health    -> {"status": "ok", "policy", "actions", "demonstrations", ...}
 *
 * Threads: libmicrohttpd runs a pool of worker threads, each with its own
 * epoll loop (keep-alive connections stay on one worker). The model is
 * immutable while serving, so workers share it without a lock; every
 * worker has its own scratch (thread-specific data, freed when the worker
 * ends). lock_model serialises predictions with a mutex instead, to measure
 * what a lock costs (bench/agent). The label store serialises its own
 * writers and commits each correction before the reply is sent.
 *
 * Hostile input: a body over max_body is refused with 413 (at once when
 * Content-Length says so, else after reading and discarding it); bodies
 * that are not JSON, JSON that is not an object, a state with wrong types
 * get 400 with a sentence saying what is wrong; unknown paths 404, wrong
 * methods 405. Idle connections are closed after timeout_s. The request
 * handler itself is mimic_agent_server_handle, so tests can drive it
 * without sockets.
 *
 * Slow clients (slowloris: a header line a second) cannot lock it out:
 *   - a request's headers and body must all arrive within request_timeout_s
 *     of its start (the connection's accept, or the previous answer on a
 *     keep-alive connection), and bytes arriving do not extend it; while
 *     the server is full, within busy_timeout_s (1 s). A reaper thread shuts such
 *     sockets down (libmicrohttpd's own timeout restarts with every byte);
 *   - one address holds at most max_per_ip connections; more are refused
 *     at once;
 *   - past max_connections a request is answered 503 at once, from a
 *     reserve of connections above the cap (max_connections / 4 + 16), and
 *     GET /health is still answered from it, so a monitor sees the server.
 * The reaper finds sockets through a registry filled by libmicrohttpd's
 * connection notifications; it shuts a socket down under the registry's
 * lock, and a connection leaves the registry (also under the lock) before
 * libmicrohttpd closes its socket, so the descriptor is never a reused one. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "agent/agent_impl.h"

#define MAX_EXAMPLES 20

void mimic_agent_server_defaults(mimic_agent_server_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->host = "127.0.0.1";
  cfg->port = 8080;
  cfg->threads = 2;
  cfg->max_body = 1u << 20;
  cfg->timeout_s = 15;
  cfg->max_connections = 512;
  cfg->max_per_ip = 128;
  cfg->request_timeout_s = 10;
  cfg->busy_timeout_s = 1;
  cfg->threshold = NAN;
  cfg->fallback = "fallback";
  cfg->examples = 3;
}

/* One open connection, for the request deadline. The worker serving the
 * connection writes since and waiting (atomically); the reaper reads them. */
typedef struct conn_slot {
  int fd;
  bool used;
  bool waiting; /* a request is arriving: its deadline runs */
  double since; /* when it started */
} conn_slot;

struct mimic_agent_server {
  const mimic_agent_model *m;
  mimic_agent_server_config cfg;
  struct MHD_Daemon *d;
  int port;
  pthread_key_t key; /* per-thread mimic_agent_scratch */
  bool key_made;
  pthread_mutex_t lock; /* lock_model only */
  double threshold;
  double started;
  mimic_agent_server_stats stats; /* updated atomically */
  /* the registry of open connections (reg_lock) and the reaper */
  pthread_mutex_t reg_lock;
  conn_slot *slots;
  unsigned *free_ids, n_free, n_slots;
  pthread_t reaper;
  bool reaper_made, stopping;
  pthread_cond_t wake; /* with reg_lock: stop the reaper */
};

#define COUNT(s, field) __atomic_fetch_add(&(s)->stats.field, 1, __ATOMIC_RELAXED)

static void free_scratch(void *p) { mimic_agent_scratch_free(p); }

static mimic_agent_scratch *thread_scratch(mimic_agent_server *s) {
  mimic_agent_scratch *sc = pthread_getspecific(s->key);
  if (sc) return sc;
  if (mimic_agent_scratch_new(s->m, &sc)) return NULL;
  if (pthread_setspecific(s->key, sc)) {
    mimic_agent_scratch_free(sc);
    return NULL;
  }
  return sc;
}

/* ---- the handler ---------------------------------------------------------- */

/* Rewrites, in place, every real number of compact JSON text (Jansson
 * prints them with 17 digits: 0.7 as 0.69999999999999996) in the fewest
 * digits that read back to the same double, skipping strings. */
static void shorten_reals(char *text) {
  char *w = text;
  for (const char *r = text; *r;) {
    if (*r == '"') { /* copy a string, escapes and all */
      *w++ = *r++;
      while (*r && *r != '"') {
        if (*r == '\\' && r[1]) *w++ = *r++;
        *w++ = *r++;
      }
      if (*r) *w++ = *r++;
      continue;
    }
    if (*r == '-' || (*r >= '0' && *r <= '9')) {
      const char *end = r;
      bool real = false;
      while (*end && strchr("+-0123456789.eE", *end)) real |= strchr(".eE", *end++) != NULL;
      if (real) {
        double v = strtod(r, NULL);
        char buf[32];
        for (int p = 1; p <= 17; p++) {
          snprintf(buf, sizeof buf, "%.*g", p, v);
          if (strtod(buf, NULL) == v) break;
        }
        if (!strpbrk(buf, ".eE")) strcat(buf, ".0"); /* still a real to a reader */
        size_t n = strlen(buf);
        if (n <= (size_t)(end - r)) {
          memcpy(w, buf, n);
          w += n;
          r = end;
          continue;
        }
      }
      while (r < end) *w++ = *r++;
      continue;
    }
    *w++ = *r++;
  }
  *w = '\0';
}

static int reply_json(json_t *body, int status, char **out) {
  *out = body ? json_dumps(body, JSON_COMPACT) : NULL;
  if (*out) shorten_reals(*out);
  json_decref(body);
  if (!*out) {
    *out = strdup("{\"error\":\"out of memory\"}");
    return 500;
  }
  return status;
}

static int reply_error(int status, const char *msg, char **out) {
  return reply_json(json_pack("{s:s}", "error", msg), status, out);
}

/* The keys /predict reads: the request's, and a state's (docs/agents.md). */
static const char *const body_keys[] = {"state", "k", "threshold", NULL};
static const char *const state_keys[] = {"intent",           "request",      "previous_actions",
                                         "last_observation", "observations", NULL};
static const char *const state_and_body_keys[] = {
    "intent",       "request", "previous_actions", "last_observation",
    "observations", "k",       "threshold",        NULL};
static const char state_key_list[] =
    "intent, request, previous_actions, last_observation, observations";

/* A 400 naming the first key of obj that is not in allowed (NULL-ended),
 * or 0: a misspelled key must not get a confident answer to another question. */
static int unknown_key(json_t *obj, const char *const *allowed, const char *where, char **out) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool ok = false;
    for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(key, allowed[i]) == 0;
    if (!ok) {
      char msg[256];
      snprintf(msg, sizeof msg, "%s has an unknown key \"%.64s\" (known: %s)", where, key,
               allowed == body_keys ? "state, k, threshold" : state_key_list);
      return reply_error(400, msg, out);
    }
  }
  return 0;
}

static int handle_predict(mimic_agent_server *s, json_t *body, mimic_agent_scratch *sc,
                          char **out) {
  json_t *sj = json_object_get(body, "state");
  if (sj && !json_is_object(sj)) return reply_error(400, "\"state\" must be a JSON object", out);
  int bad = sj ? unknown_key(body, body_keys, "the request", out)
               : unknown_key(body, state_and_body_keys, "the state", out);
  if (bad) return bad;
  if (!sj) sj = body;
  if (sj != body && (bad = unknown_key(sj, state_keys, "\"state\"", out))) return bad;
  if (!json_object_get(sj, "request") && !json_object_get(sj, "intent") &&
      !json_object_get(sj, "previous_actions"))
    return reply_error(400,
                       "the state is empty: give at least one of \"request\", \"intent\" and "
                       "\"previous_actions\"",
                       out);
  json_t *kj = json_object_get(body, "k"), *tj = json_object_get(body, "threshold");
  int k = s->cfg.examples;
  if (kj) {
    if (!json_is_integer(kj) || json_integer_value(kj) < 0 || json_integer_value(kj) > MAX_EXAMPLES)
      return reply_error(400, "\"k\" must be an integer from 0 to 20", out);
    k = (int)json_integer_value(kj);
  }
  double threshold = s->threshold;
  if (tj) {
    if (!json_is_number(tj) || !(json_number_value(tj) >= 0 && json_number_value(tj) <= 1))
      return reply_error(400, "\"threshold\" must be a number from 0 to 1", out);
    threshold = json_number_value(tj);
  }
  mimic_agent_state_buf sb;
  if (mimic_agent_state_from_json(sj, &sb)) return reply_error(400, mimic_errmsg(), out);
  const mimic_agent_model *m = s->m;
  mimic_agent_prediction p;
  mimic_agent_shot shots[MAX_EXAMPLES];
  size_t n_shots = 0;
  json_t *args = NULL, *sources = NULL;
  int K = mimic_agent_n_actions(m);
  int top[3] = {-1, -1, -1};
  if (s->cfg.lock_model) pthread_mutex_lock(&s->lock);
  mimic_status st = mimic_agent_predict(m, &sb.s, sc, &p);
  if (!st) { /* the three most probable actions (copied before the scratch is reused) */
    for (int a = 0; a < K && p.action >= 0; a++) {
      for (int j = 0; j < 3; j++)
        if (top[j] < 0 || p.proba[a] > p.proba[top[j]]) {
          for (int q = 2; q > j; q--) top[q] = top[q - 1];
          top[j] = a;
          break;
        }
    }
  }
  double top_p[3] = {0, 0, 0};
  for (int j = 0; j < 3; j++)
    if (top[j] >= 0) top_p[j] = p.proba[top[j]];
  if (!st) st = mimic_agent_fill_arguments(m, p.action, &sb.s, &args, &sources);
  if (!st) st = mimic_agent_retrieve(m, &sb.s, k, sc, shots, &n_shots);
  if (s->cfg.lock_model) pthread_mutex_unlock(&s->lock);
  if (st) {
    json_decref(args);
    json_decref(sources);
    mimic_agent_state_buf_free(&sb);
    COUNT(s, errors);
    return reply_error(500, mimic_errmsg(), out);
  }
  const char *name = p.action >= 0 ? mimic_agent_action(m, p.action) : NULL;
  json_t *o = json_object(), *alts = json_array(), *ex = json_array();
  if (o && alts && ex) {
    json_object_set_new(o, "action", name ? json_string(name) : json_null());
    json_object_set_new(o, "tool",
                        name && strcmp(name, MIMIC_AGENT_REPLY) ? json_string(name) : json_null());
    json_object_set_new(o, "confidence", json_real(p.confidence));
    const char *route = mimic_agent_route(p.confidence, threshold, s->cfg.fallback);
    json_object_set_new(o, "route", json_string(route));
    /* whether to act, without knowing the server's --fallback name */
    json_object_set_new(o, "act", json_boolean(p.confidence >= threshold));
    json_object_set_new(o, "threshold", json_real(threshold));
    json_object_set_new(o, "arguments", args);
    json_object_set_new(o, "argument_sources", sources);
    args = sources = NULL;
    for (int j = 0; j < 3; j++)
      if (top[j] >= 0 && top_p[j] > 0)
        json_array_append_new(
            alts, json_pack("{s:s,s:f}", "action", mimic_agent_action(m, top[j]), "p", top_p[j]));
    json_object_set_new(o, "alternatives", alts);
    for (size_t i = 0; i < n_shots; i++) {
      json_t *shot = mimic_agent_shot_json(m, &shots[i]);
      if (shot) json_array_append_new(ex, shot);
    }
    json_object_set_new(o, "examples", ex);
    alts = ex = NULL;
  }
  json_decref(alts);
  json_decref(ex);
  json_decref(args);
  json_decref(sources);
  mimic_agent_state_buf_free(&sb);
  COUNT(s, predictions);
  return reply_json(o, 200, out);
}

static int handle_correct(mimic_agent_server *s, json_t *body, char **out) {
  if (!s->cfg.store) return reply_error(503, "this server has no correction store", out);
  json_t *sj = json_object_get(body, "state"), *aj = json_object_get(body, "action");
  json_t *args = json_object_get(body, "arguments"), *lab = json_object_get(body, "labeler");
  json_t *guess = json_object_get(body, "guess");
  if (!json_is_object(sj)) return reply_error(400, "\"state\" must be a JSON object", out);
  if (!json_is_string(aj) || json_string_length(aj) == 0)
    return reply_error(400, "\"action\" must be a non-empty string", out);
  if (args && !json_is_null(args) && !json_is_object(args))
    return reply_error(400, "\"arguments\" must be a JSON object", out);
  if (!strcmp(json_string_value(aj), MIMIC_AGENT_REPLY) && json_object_size(args) > 0)
    return reply_error(400,
                       "\"reply\" is reserved for plain replies, which take no \"arguments\" "
                       "(as in imported traces)",
                       out);
  if (lab && !json_is_string(lab)) return reply_error(400, "\"labeler\" must be a string", out);
  mimic_agent_state_buf sb;
  if (mimic_agent_state_from_json(sj, &sb)) return reply_error(400, mimic_errmsg(), out);
  char *at = json_is_object(args) ? agent_json_canon(args) : NULL;
  char *meta = NULL;
  if (guess) {
    json_t *mj = json_pack("{s:O}", "guess", guess);
    meta = mj ? json_dumps(mj, JSON_COMPACT) : NULL;
    json_decref(mj);
  }
  int64_t id = 0;
  mimic_status st =
      (json_is_object(args) && !at) || (guess && !meta)
          ? MIMIC_ERR_NOMEM
          : mimic_agent_store_correction(s->cfg.store, s->cfg.session, &sb.s, json_string_value(aj),
                                         at, lab ? json_string_value(lab) : "http", 0, meta, &id);
  free(at);
  free(meta);
  mimic_agent_state_buf_free(&sb);
  if (st) {
    COUNT(s, errors);
    return reply_error(500, mimic_errmsg(), out);
  }
  COUNT(s, corrections);
  return reply_json(json_pack("{s:b,s:I}", "stored", 1, "id", (json_int_t)id), 201, out);
}

static int handle_health(mimic_agent_server *s, char **out) {
  const mimic_agent_model *m = s->m;
  mimic_agent_server_stats st;
  mimic_agent_server_stats_get(s, &st);
  return reply_json(
      json_pack("{s:s,s:s,s:i,s:I,s:I,s:f,s:b,s:I,s:I,s:f,s:I}", "status", "ok", "policy",
                mimic_agent_policy_name(mimic_agent_kind(m)), "actions", mimic_agent_n_actions(m),
                "demonstrations", (json_int_t)mimic_agent_n_demos(m), "trained_on",
                (json_int_t)mimic_agent_n_trained(m), "threshold", s->threshold,
                "corrections_enabled", s->cfg.store != NULL, "requests", (json_int_t)st.requests,
                "corrections", (json_int_t)st.corrections, "uptime_s", mimic_now() - s->started,
                "open_connections", (json_int_t)st.open),
      200, out);
}

int mimic_agent_server_handle(mimic_agent_server *s, const char *method, const char *path,
                              const char *body, size_t len, mimic_agent_scratch *scratch,
                              char **response) {
  COUNT(s, requests);
  bool post = !strcmp(method, "POST"), get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
  int code;
  if (!strcmp(path, "/health")) {
    if (!get)
      code = reply_error(405, "use GET /health", response);
    else
      code = handle_health(s, response);
  } else if (!strcmp(path, "/predict") || !strcmp(path, "/correct")) {
    bool predict = path[1] == 'p';
    if (!post) {
      code = reply_error(405,
                         predict ? "use POST /predict with a JSON body"
                                 : "use POST /correct with a JSON body",
                         response);
    } else {
      json_error_t err;
      json_t *j = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &err) : NULL;
      if (!j) {
        char msg[300];
        if (!len)
          snprintf(msg, sizeof msg, "the request body is empty (send a JSON object)");
        else
          snprintf(msg, sizeof msg, "malformed JSON at line %d, column %d: %s", err.line,
                   err.column, err.text);
        code = reply_error(400, msg, response);
      } else if (!json_is_object(j)) {
        code = reply_error(400, "the request body must be a JSON object", response);
      } else if (predict) {
        mimic_agent_scratch *own = NULL;
        mimic_agent_scratch *sc = scratch;
        if (!sc && mimic_agent_scratch_new(s->m, &own) == MIMIC_OK) sc = own;
        code =
            sc ? handle_predict(s, j, sc, response) : reply_error(500, "out of memory", response);
        mimic_agent_scratch_free(own);
      } else {
        code = handle_correct(s, j, response);
      }
      json_decref(j);
    }
  } else {
    code = reply_error(404, "unknown path (use POST /predict, POST /correct or GET /health)",
                       response);
  }
  if (code == 400) COUNT(s, bad_requests);
  if (code == 404) COUNT(s, not_found);
  return code;
}

/* ---- libmicrohttpd glue ---------------------------------------------------- */

typedef struct request {
  char *body;
  size_t len, cap;
  bool too_large;
} request;

static enum MHD_Result send_body(struct MHD_Connection *conn, int code, char *text, bool close) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "application/json");
  if (code == 405) MHD_add_response_header(r, "Allow", "GET, POST");
  if (close) MHD_add_response_header(r, "Connection", "close");
  enum MHD_Result ret = MHD_queue_response(conn, (unsigned)code, r);
  MHD_destroy_response(r);
  return ret;
}

/* 413, counted, closing the connection (the rest of the body is not read). */
static enum MHD_Result send_too_large(mimic_agent_server *s, struct MHD_Connection *conn) {
  COUNT(s, requests);
  COUNT(s, too_large);
  char msg[160];
  snprintf(msg, sizeof msg, "{\"error\":\"the request body is larger than %zu bytes\"}",
           s->cfg.max_body);
  char *t = strdup(msg);
  return t ? send_body(conn, 413, t, true) : MHD_NO;
}

/* ---- the connection registry and the request deadline ------------------ */

static conn_slot *slot_of(struct MHD_Connection *conn) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

/* The deadline of the request now arriving on slot starts now (or stops). */
static void slot_wait(conn_slot *slot, bool waiting) {
  if (!slot) return;
  if (waiting) {
    double now = mimic_now();
    __atomic_store(&slot->since, &now, __ATOMIC_RELAXED);
  }
  __atomic_store_n(&slot->waiting, waiting, __ATOMIC_RELEASE);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  mimic_agent_server *s = cls;
  pthread_mutex_lock(&s->reg_lock);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    conn_slot *slot = NULL;
    if (s->n_free && ci) {
      slot = &s->slots[s->free_ids[--s->n_free]];
      slot->fd = ci->connect_fd;
      slot->used = true;
      slot->since = mimic_now();
      slot->waiting = true;
      __atomic_fetch_add(&s->stats.open, 1, __ATOMIC_RELAXED);
    }
    *socket_context = slot;
  } else if (*socket_context) {
    conn_slot *slot = *socket_context;
    slot->used = false;
    slot->fd = -1;
    s->free_ids[s->n_free++] = (unsigned)(slot - s->slots);
    __atomic_fetch_sub(&s->stats.open, 1, __ATOMIC_RELAXED);
    *socket_context = NULL;
  }
  pthread_mutex_unlock(&s->reg_lock);
}

static bool is_full(const mimic_agent_server *s) {
  return __atomic_load_n(&s->stats.open, __ATOMIC_RELAXED) > s->cfg.max_connections;
}

/* Every 100 ms: shut down the sockets whose request is overdue. */
static void *reaper_main(void *arg) {
  mimic_agent_server *s = arg;
  pthread_mutex_lock(&s->reg_lock);
  while (!s->stopping) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&s->wake, &s->reg_lock, &ts);
    if (s->stopping) break;
    double now = mimic_now(), limit = s->cfg.request_timeout_s;
    if (is_full(s) && limit > s->cfg.busy_timeout_s) limit = s->cfg.busy_timeout_s;
    for (unsigned i = 0; i < s->n_slots; i++) {
      conn_slot *c = &s->slots[i];
      if (!c->used || c->fd < 0 || !__atomic_load_n(&c->waiting, __ATOMIC_ACQUIRE)) continue;
      double since;
      __atomic_load(&c->since, &since, __ATOMIC_RELAXED);
      if (now - since <= limit) continue;
      shutdown(c->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes the connection */
      __atomic_store_n(&c->waiting, false, __ATOMIC_RELAXED);
      COUNT(s, timed_out);
    }
  }
  pthread_mutex_unlock(&s->reg_lock);
  return NULL;
}

/* 503 at once, closing the connection: the server is full. */
static enum MHD_Result send_busy(mimic_agent_server *s, struct MHD_Connection *conn) {
  COUNT(s, requests);
  COUNT(s, busy);
  char *t = strdup("{\"error\":\"the server is busy: too many connections; try again\"}");
  return t ? send_body(conn, 503, t, true) : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
  mimic_agent_server *s = cls;
  request *rq = *con_cls;
  if (!rq) { /* the headers are in: decide early what can be decided */
    rq = calloc(1, sizeof *rq);
    if (!rq) return MHD_NO;
    *con_cls = rq;
    if (is_full(s) && strcmp(url, "/health") != 0) {
      slot_wait(slot_of(conn), false);
      return send_busy(s, conn);
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > s->cfg.max_body) {
      return send_too_large(s, conn);
    }
    return MHD_YES;
  }
  if (*upload_size) { /* more of the body */
    if (!rq->too_large && rq->len + *upload_size > s->cfg.max_body) {
      rq->too_large = true;
      free(rq->body);
      rq->body = NULL;
      rq->len = rq->cap = 0;
    }
    if (!rq->too_large) {
      if (rq->len + *upload_size + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 1024;
        while (cap < rq->len + *upload_size + 1) cap *= 2;
        char *p = realloc(rq->body, cap);
        if (!p) return MHD_NO;
        rq->body = p;
        rq->cap = cap;
      }
      memcpy(rq->body + rq->len, upload_data, *upload_size);
      rq->len += *upload_size;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  slot_wait(slot_of(conn), false); /* the request is in: no deadline while it is answered */
  if (rq->too_large) {
    return send_too_large(s, conn);
  }
  char *out = NULL;
  mimic_agent_scratch *sc = thread_scratch(s);
  int code =
      sc ? mimic_agent_server_handle(s, method, url, rq->body ? rq->body : "", rq->len, sc, &out)
         : reply_error(500, "out of memory", &out);
  return send_body(conn, code, out, false);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)toe;
  slot_wait(slot_of(conn), true); /* the next request on this connection starts its clock */
  request *rq = *con_cls;
  if (rq) {
    free(rq->body);
    free(rq);
  }
  *con_cls = NULL;
}

mimic_status mimic_agent_server_start(const mimic_agent_model *m,
                                      const mimic_agent_server_config *cfg,
                                      mimic_agent_server **out) {
  *out = NULL;
  if (cfg->threads < 1 || cfg->threads > 256)
    return mimic_fail(MIMIC_ERR_INVALID, "threads must be in 1..256, got %d", cfg->threads);
  if (cfg->port < 0 || cfg->port > 65535)
    return mimic_fail(MIMIC_ERR_INVALID, "port must be in 0..65535, got %d", cfg->port);
  if (cfg->max_body < 64) return mimic_fail(MIMIC_ERR_INVALID, "max_body must be >= 64 bytes");
  if (cfg->examples < 0 || cfg->examples > MAX_EXAMPLES)
    return mimic_fail(MIMIC_ERR_INVALID, "examples must be in 0..%d", MAX_EXAMPLES);
  if (!isnan(cfg->threshold) && !(cfg->threshold >= 0 && cfg->threshold <= 1))
    return mimic_fail(MIMIC_ERR_INVALID, "threshold must be in [0, 1]");
  if (cfg->max_connections < 1 || cfg->max_connections > 100000)
    return mimic_fail(MIMIC_ERR_INVALID, "max_connections must be in 1..100000, got %u",
                      cfg->max_connections);
  if (cfg->max_per_ip < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "max_per_ip must be at least 1, got %u", cfg->max_per_ip);
  if (!(cfg->request_timeout_s > 0 && cfg->request_timeout_s <= 86400) ||
      !(cfg->busy_timeout_s > 0 && cfg->busy_timeout_s <= 86400))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "request_timeout_s and busy_timeout_s must be in (0, 86400] seconds");
  mimic_agent_server *s = mimic_calloc(1, sizeof *s, "a server");
  if (!s) return MIMIC_ERR_NOMEM;
  s->m = m;
  s->cfg = *cfg;
  if (!s->cfg.fallback) s->cfg.fallback = "fallback";
  s->threshold = isnan(cfg->threshold) ? mimic_agent_threshold(m) : cfg->threshold;
  s->started = mimic_now();
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->reg_lock, NULL);
  pthread_cond_init(&s->wake, NULL);
  s->n_slots = cfg->max_connections + cfg->max_connections / 4 + 16;
  s->slots = mimic_calloc(s->n_slots, sizeof *s->slots, "the connection registry");
  s->free_ids = mimic_calloc(s->n_slots, sizeof *s->free_ids, "the connection registry");
  if (!s->slots || !s->free_ids) {
    mimic_agent_server_stop(s);
    return MIMIC_ERR_NOMEM;
  }
  for (unsigned i = 0; i < s->n_slots; i++) {
    s->slots[i].fd = -1;
    s->free_ids[i] = s->n_slots - 1 - i;
  }
  s->n_free = s->n_slots;
  if (pthread_key_create(&s->key, free_scratch)) {
    free(s);
    return mimic_fail(MIMIC_ERR_EXTERNAL, "cannot create thread-specific data");
  }
  s->key_made = true;
  json_object_seed(0); /* before any worker thread touches jansson */
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  const char *host = cfg->host ? cfg->host : "127.0.0.1";
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)cfg->port);
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)cfg->port);
    flags |= MHD_USE_IPv6;
  } else {
    mimic_agent_server_stop(s);
    return mimic_fail(MIMIC_ERR_INVALID, "--host '%s' is not an IPv4 or IPv6 address", host);
  }
  s->d = MHD_start_daemon(
      flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
      MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s, MHD_OPTION_CONNECTION_LIMIT, s->n_slots,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_per_ip, MHD_OPTION_NOTIFY_CONNECTION,
      on_connection, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
  if (!s->d) {
    mimic_agent_server_stop(s);
    return mimic_fail(MIMIC_ERR_IO, "cannot listen on %s port %d (in use, or not allowed)", host,
                      cfg->port);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : cfg->port;
  if (pthread_create(&s->reaper, NULL, reaper_main, s)) {
    mimic_agent_server_stop(s);
    return mimic_fail(MIMIC_ERR_EXTERNAL, "cannot start the server's reaper thread");
  }
  s->reaper_made = true;
  *out = s;
  return MIMIC_OK;
}

int mimic_agent_server_port(const mimic_agent_server *s) { return s->port; }

void mimic_agent_server_stats_get(const mimic_agent_server *s, mimic_agent_server_stats *out) {
  mimic_agent_server_stats *src = (mimic_agent_server_stats *)&s->stats;
  out->requests = __atomic_load_n(&src->requests, __ATOMIC_RELAXED);
  out->predictions = __atomic_load_n(&src->predictions, __ATOMIC_RELAXED);
  out->corrections = __atomic_load_n(&src->corrections, __ATOMIC_RELAXED);
  out->bad_requests = __atomic_load_n(&src->bad_requests, __ATOMIC_RELAXED);
  out->too_large = __atomic_load_n(&src->too_large, __ATOMIC_RELAXED);
  out->not_found = __atomic_load_n(&src->not_found, __ATOMIC_RELAXED);
  out->errors = __atomic_load_n(&src->errors, __ATOMIC_RELAXED);
  out->busy = __atomic_load_n(&src->busy, __ATOMIC_RELAXED);
  out->timed_out = __atomic_load_n(&src->timed_out, __ATOMIC_RELAXED);
  out->open = __atomic_load_n(&src->open, __ATOMIC_RELAXED);
}

void mimic_agent_server_stop(mimic_agent_server *s) {
  if (!s) return;
  if (s->reaper_made) {
    pthread_mutex_lock(&s->reg_lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->reg_lock);
    pthread_join(s->reaper, NULL);
  }
  if (s->d) MHD_stop_daemon(s->d); /* joins the workers: their scratch is freed */
  if (s->key_made) {
    mimic_agent_scratch *sc = pthread_getspecific(s->key); /* the caller's, if it handled any */
    mimic_agent_scratch_free(sc);
    pthread_key_delete(s->key);
  }
  pthread_mutex_destroy(&s->lock);
  pthread_mutex_destroy(&s->reg_lock);
  pthread_cond_destroy(&s->wake);
  free(s->slots);
  free(s->free_ids);
  free(s);
}
