/* The labeling page's HTTP side (loop/web.h): libmicrohttpd with a thread
 * per connection, so a request that waits for the loop's thread (an answer
 * being stored) blocks only its own connection.
 *
 *   GET  /, /app.js, /style.css    the page (embedded in the binary)
 *   GET  /api/next?labeler=NAME    this labeler's question (the one handed
 *                                  to them before, else one nobody holds),
 *                                  with the progress; item null: none open
 *   GET  /api/progress             answered / questions, round, chart data
 *   GET  /api/frame?item=ID        the environment's frame as PNG
 *   POST /api/answer {"item", "label", "labeler"[, "arguments"]}
 *   POST /api/skip   {"item", "labeler"}
 *   POST /api/undo   {"labeler"}
 *
 * Bad requests get 4xx and change nothing: a body over 16 KiB 413, malformed
 * JSON or a bad labeler name 400, a missing token 403, an unknown item 404,
 * an answered item or one held by another labeler 409. Served anywhere
 * but loopback, every API call needs the token printed at start. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/util.h"
#include "loop/web.h"

/* The page's files (web_assets.c, made from src/loop/web/ at build time). */
typedef struct web_asset {
  const char *path, *type;
  const unsigned char *data;
  size_t len;
} web_asset;
extern const web_asset mimic_web_assets[];

typedef struct body {
  char *text;
  size_t len;
  bool too_large;
  bool owed; /* the loop stored this request's change; its reply counts in web.owed */
} body;

void web_msg_done(web *w, web_msg *m) {
  m->done = true;
  m->owed = true;
  w->owed++;
}

bool web_name_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > WEB_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

char *web_progress_json(const web *w) {
  json_t *p = json_pack("{s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:O, s:O, s:b}", "kind",
                        w->kind ? w->kind : "", "round", w->round, "rounds", w->rounds, "answered",
                        (json_int_t)w->answered, "count", (json_int_t)w->count, "total",
                        (json_int_t)w->total, "budget", (json_int_t)w->budget, "history",
                        w->history, "labelers", w->labelers, "open", w->active);
  if (p && w->agreement > 1) json_object_set_new(p, "agreement", web_votes_progress(w));
  char *t = p ? json_dumps(p, JSON_COMPACT) : NULL;
  json_decref(p);
  return t;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *type,
                               const void *data, size_t len, enum MHD_ResponseMemoryMode mode) {
  struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
  if (!r) {
    if (mode == MHD_RESPMEM_MUST_FREE) free((void *)data);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Content-Security-Policy",
                          "default-src 'self'; img-src 'self'; style-src 'self'");
  enum MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

/* A JSON reply (text malloc'd, taken). */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned code, char *text) {
  if (!text) return MHD_NO;
  return respond(c, code, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned code, const char *msg) {
  json_t *j = json_pack("{s:s}", "error", msg);
  char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  return send_json(c, code, t);
}

static web_item *find_item(web *w, const char *id) {
  for (size_t i = 0; id && i < w->n_items; i++)
    if (!strcmp(w->items[i].id, id)) return &w->items[i];
  return NULL;
}

/* The question for labeler: the one they hold, else one nobody holds (w->mu held). */
static web_item *hand_out(web *w, const char *labeler) {
  if (w->agreement > 1) return web_votes_hand_out(w, labeler);
  double now = mimic_now();
  web_item *spare = NULL;
  for (size_t i = 0; w->active && i < w->n_items; i++) {
    web_item *it = &w->items[i];
    if (it->state) continue;
    if (!strcmp(it->holder, labeler)) return it;
    if (!spare && (!it->holder[0] || now - it->handed > WEB_LEASE_S)) spare = it;
  }
  if (spare) {
    snprintf(spare->holder, sizeof spare->holder, "%s", labeler);
    spare->handed = now;
  }
  return spare;
}

static enum MHD_Result get_next(web *w, struct MHD_Connection *c) {
  const char *who = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "labeler");
  if (!web_name_ok(who))
    return send_error(c, 400, "labeler must be 1-40 letters, digits, '.', '_', '-' or '@'");
  pthread_mutex_lock(&w->mu);
  web_item *it = hand_out(w, who);
  char *progress = web_progress_json(w);
  char *t = progress
                ? mimic_asprintf("{\"item\":%s,\"progress\":%s}", it ? it->json : "null", progress)
                : NULL;
  pthread_mutex_unlock(&w->mu);
  free(progress);
  return send_json(c, 200, t);
}

static enum MHD_Result get_frame(web *w, struct MHD_Connection *c) {
  const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "item");
  pthread_mutex_lock(&w->mu);
  web_item *it = find_item(w, id);
  unsigned char *png = it && it->png ? malloc(it->png_len) : NULL;
  size_t len = png ? it->png_len : 0;
  if (png) memcpy(png, it->png, len);
  pthread_mutex_unlock(&w->mu);
  if (!png) return send_error(c, 404, "no open question with a frame has that item id");
  return respond(c, 200, "image/png", png, len, MHD_RESPMEM_MUST_FREE);
}

/* Queues a change for the loop's thread and waits for its reply. */
static enum MHD_Result post_change(web *w, struct MHD_Connection *c, web_op op, body *b) {
  if (b->too_large) return send_error(c, 413, "the request body is larger than 16384 bytes");
  json_error_t err;
  json_t *j = b->len ? json_loadb(b->text, b->len, JSON_REJECT_DUPLICATES, &err) : NULL;
  if (!j) {
    char msg[300];
    snprintf(msg, sizeof msg, "malformed JSON at line %d, column %d: %s", err.line, err.column,
             err.text);
    return send_error(c, 400, b->len ? msg : "the request body is empty (send a JSON object)");
  }
  if (!json_is_object(j) || !web_name_ok(json_string_value(json_object_get(j, "labeler")))) {
    json_decref(j);
    return send_error(c, 400,
                      "send a JSON object with \"labeler\": 1-40 letters, digits, '.', '_', "
                      "'-' or '@'");
  }
  web_msg m = {.op = op, .body = j};
  pthread_mutex_lock(&w->mu);
  if (!w->active) {
    pthread_mutex_unlock(&w->mu);
    json_decref(j);
    return send_error(c, 409,
                      "no question is open (the learner is training, or the run has ended): "
                      "ask /api/next again");
  }
  if (w->tail)
    w->tail->next = &m;
  else
    w->head = &m;
  w->tail = &m;
  pthread_cond_signal(&w->to_loop);
  while (!m.done) pthread_cond_wait(&w->to_http, &w->mu);
  b->owed = m.owed;
  pthread_mutex_unlock(&w->mu);
  json_decref(j);
  if (!m.reply) return send_error(c, m.code ? (unsigned)m.code : 503, "the run has stopped");
  return send_json(c, (unsigned)m.code, m.reply);
}

static bool token_ok(web *w, struct MHD_Connection *c) {
  if (!w->token[0]) return true;
  const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Mimic-Token");
  if (!t) t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
  return t && strcmp(t, w->token) == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state) {
  (void)version;
  web *w = cls;
  bool post = !strcmp(method, "POST");
  if (post) {
    body *b = *state;
    if (!b) {
      if (!(b = calloc(1, sizeof *b))) return MHD_NO;
      *state = b;
      return MHD_YES;
    }
    if (*upload_size) { /* a body over the limit is read and dropped, then refused */
      if (!b->too_large && b->len + *upload_size <= WEB_MAX_BODY) {
        char *t = realloc(b->text, b->len + *upload_size);
        if (!t) return MHD_NO;
        memcpy(t + b->len, upload, *upload_size);
        b->text = t;
        b->len += *upload_size;
      } else {
        b->too_large = true;
      }
      *upload_size = 0;
      return MHD_YES;
    }
  }
  if (strncmp(url, "/api/", 5) != 0) {
    if (post || strcmp(method, "GET")) return send_error(c, 405, "the page is read with GET");
    const char *path = strcmp(url, "/") ? url : "/index.html";
    for (const web_asset *a = mimic_web_assets; a->path; a++)
      if (!strcmp(a->path, path))
        return respond(c, 200, a->type, a->data, a->len, MHD_RESPMEM_PERSISTENT);
    return send_error(c, 404, "no such page (open /)");
  }
  if (!token_ok(w, c))
    return send_error(c, 403, "this page needs the token printed when mimic started (?token=)");
  const char *api = url + 5;
  if (!post) {
    if (strcmp(method, "GET")) return send_error(c, 405, "use GET or POST");
    if (!strcmp(api, "next")) return get_next(w, c);
    if (!strcmp(api, "frame")) return get_frame(w, c);
    if (!strcmp(api, "progress")) {
      pthread_mutex_lock(&w->mu);
      char *t = web_progress_json(w);
      pthread_mutex_unlock(&w->mu);
      return send_json(c, 200, t);
    }
    return send_error(c, 404, "unknown API path (next, progress, frame, answer, skip, undo)");
  }
  body *b = *state;
  if (!strcmp(api, "answer")) return post_change(w, c, WEB_ANSWER, b);
  if (!strcmp(api, "skip")) return post_change(w, c, WEB_SKIP, b);
  if (!strcmp(api, "undo")) return post_change(w, c, WEB_UNDO, b);
  return send_error(c, 404, "unknown API path (next, progress, frame, answer, skip, undo)");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code) {
  (void)c;
  (void)code;
  web *w = cls;
  body *b = *state;
  if (b && b->owed) {
    pthread_mutex_lock(&w->mu);
    w->owed--;
    pthread_cond_broadcast(&w->to_http);
    pthread_mutex_unlock(&w->mu);
  }
  if (b) free(b->text);
  free(b);
  *state = NULL;
}

/* A token of 32 hex digits from the kernel's random source. */
static mimic_status make_token(char *out) {
  unsigned char r[16];
  FILE *f = fopen("/dev/urandom", "rb");
  size_t got = f ? fread(r, 1, sizeof r, f) : 0;
  if (f) fclose(f);
  if (got != sizeof r) return mimic_fail(MIMIC_ERR_IO, "cannot read /dev/urandom for a token");
  for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", r[i]);
  return MIMIC_OK;
}

mimic_status web_server_start(web *w, const char *bind, int port) {
  const char *host = bind ? bind : "127.0.0.1";
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  bool loopback;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    flags |= MHD_USE_IPv6;
    loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
  } else {
    return mimic_fail(MIMIC_ERR_INVALID, "--bind '%s' is not an IPv4 or IPv6 address", host);
  }
  w->token[0] = '\0';
  if (!loopback) MIMIC_TRY(make_token(w->token));
  json_object_seed(0); /* before any connection thread touches jansson */
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->to_loop, NULL);
  pthread_cond_init(&w->to_http, NULL);
  w->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, w,
                               MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                               MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_END);
  if (!w->daemon) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->to_loop);
    pthread_cond_destroy(&w->to_http);
    return mimic_fail(MIMIC_ERR_IO, "cannot serve the labeling page on %s port %d (in use?)", host,
                      port);
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_BIND_PORT);
  w->port = info ? info->port : port;
  bool v6 = flags & MHD_USE_IPv6;
  /* at warning level: the address is what a person needs, --quiet or not */
  if (loopback) {
    MIMIC_WARN("labeling page: http://%s%s%s:%d/", v6 ? "[" : "", host, v6 ? "]" : "", w->port);
  } else {
    MIMIC_WARN("the labeling page is served on %s, not only this machine: anyone who can reach "
               "it and has the token can label",
               host);
    MIMIC_WARN("labeling page: http://%s%s%s:%d/?token=%s", v6 ? "[" : "", host, v6 ? "]" : "",
               w->port, w->token);
  }
  return MIMIC_OK;
}

void web_server_stop(web *w) {
  if (!w->daemon) return;
  pthread_mutex_lock(&w->mu);
  w->active = false;
  for (web_msg *m = w->head; m; m = m->next) {
    m->code = 503;
    web_msg_done(w, m);
  }
  w->head = w->tail = NULL;
  pthread_cond_broadcast(&w->to_http);
  /* the replies to stored answers go out before the server does (at most 5 s) */
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 5;
  while (w->owed > 0 && pthread_cond_timedwait(&w->to_http, &w->mu, &until) == 0) {
  }
  pthread_mutex_unlock(&w->mu);
  MHD_stop_daemon(w->daemon);
  w->daemon = NULL;
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->to_loop);
  pthread_cond_destroy(&w->to_http);
}
