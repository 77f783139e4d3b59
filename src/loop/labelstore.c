/* The label store: SQLite in WAL mode, one transaction per answer.
 *
 * See mimic/labelstore.h for the model (sessions + labels) and the choice
 * of synchronous=FULL. Implementation notes:
 *   - the database is tagged with PRAGMA application_id 'MIMC' and
 *     user_version 1, so a foreign SQLite file (or a newer schema) is
 *     refused with a clear message instead of being written to;
 *   - every write is BEGIN IMMEDIATE ... COMMIT, so answer and session
 *     state change together or not at all; a failure rolls back;
 *   - statements are prepared per call (labels arrive at human speed; the
 *     batch path reuses one statement for all rows);
 *   - one mutex per handle serialises calls, so threads (an HTTP server
 *     storing corrections) may share it; SQLite's own locking and a 5 s
 *     busy timeout cover several processes;
 *   - exports go through mimic_atomic_file: a crash mid-export leaves the
 *     previous file intact. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mimic/labelstore.h"
#include "core/util.h"
#include "loop/label_log.h"

#define APP_ID 0x4D494D43 /* "MIMC" */
#define SCHEMA_VERSION 1

struct mimic_labelstore {
  sqlite3 *db;
  char *path;
  pthread_mutex_t mu;
  bool read_only;
};

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS sessions("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL,"
    " config TEXT,"
    " state TEXT,"
    " status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running','quit','finished')),"
    " created REAL NOT NULL,"
    " updated REAL NOT NULL);"
    "CREATE TABLE IF NOT EXISTS labels("
    " id INTEGER PRIMARY KEY," /* no AUTOINCREMENT: rows are never deleted (undo marks
                                   them), so ids never repeat, and inserts skip a table */
    " session INTEGER REFERENCES sessions(id),"
    " item TEXT,"
    " text TEXT NOT NULL,"
    " label TEXT NOT NULL,"
    " labeler TEXT NOT NULL,"
    " round INTEGER NOT NULL DEFAULT 0,"
    " time REAL NOT NULL,"
    " meta TEXT,"
    " undone INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS labels_by_session ON labels(session, undone, id);";

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static mimic_status db_fail(mimic_labelstore *s, const char *what) {
  return mimic_fail(MIMIC_ERR_IO, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static mimic_status exec(mimic_labelstore *s, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: %s", s->path, err ? err : "SQLite error");
    sqlite3_free(err);
    return st;
  }
  return MIMIC_OK;
}

static mimic_status pragma_int(mimic_labelstore *s, const char *sql, int64_t *out) {
  sqlite3_stmt *q;
  if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
    return db_fail(s, "not a SQLite database");
  int rc = sqlite3_step(q);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(q);
    return db_fail(s, "not a SQLite database");
  }
  *out = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  return MIMIC_OK;
}

void mimic_labelstore_close(mimic_labelstore *s) {
  if (!s) return;
  sqlite3_close_v2(s->db);
  pthread_mutex_destroy(&s->mu);
  free(s->path);
  free(s);
}

mimic_status mimic_labelstore_open(const char *path, const mimic_labelstore_opts *opts,
                                   mimic_labelstore **out) {
  *out = NULL;
  mimic_labelstore_opts o = {0};
  if (opts) o = *opts;
  mimic_labelstore *s = mimic_calloc(1, sizeof *s, "label store");
  if (!s) return MIMIC_ERR_NOMEM;
  pthread_mutex_init(&s->mu, NULL);
  s->read_only = o.read_only;
  s->path = mimic_strdup(path);
  if (!s->path) {
    mimic_labelstore_close(s);
    return MIMIC_ERR_NOMEM;
  }
  int flags = SQLITE_OPEN_FULLMUTEX |
              (o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot open label store: %s", path,
                                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
    mimic_labelstore_close(s);
    return st;
  }
  sqlite3_busy_timeout(s->db, 5000);
  sqlite3_extended_result_codes(s->db, 1);
  mimic_status st = MIMIC_OK;
  int64_t app = 0, ver = 0, ntab = 0;
  if ((st = pragma_int(s, "PRAGMA application_id", &app))) goto fail;
  if ((st = pragma_int(s, "PRAGMA user_version", &ver))) goto fail;
  if ((st = pragma_int(s, "SELECT count(*) FROM sqlite_master", &ntab))) goto fail;
  if (ntab > 0 && app != APP_ID) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: a SQLite database, but not a mimic label store", path);
    goto fail;
  }
  if (ver > SCHEMA_VERSION) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: label store schema %lld is newer than this mimic (%d)",
                    path, (long long)ver, SCHEMA_VERSION);
    goto fail;
  }
  if (o.read_only) {
    if (ntab == 0) {
      st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no label store here", path);
      goto fail;
    }
  } else {
    /* a new file gets 16 KiB pages: a round's answers then take a quarter
     * of the page writes (set before the first table, or ignored) */
    if (ntab == 0 && (st = exec(s, "PRAGMA page_size=16384"))) goto fail;
    if ((st = exec(s, "PRAGMA journal_mode=WAL"))) goto fail;
    if ((st = exec(s, o.fast ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL"))) goto fail;
    if ((st = exec(s, "PRAGMA foreign_keys=ON"))) goto fail;
    if ((st = exec(s, "BEGIN IMMEDIATE"))) goto fail;
    st = exec(s, SCHEMA);
    if (!st) st = exec(s, "PRAGMA application_id=1296649539"); /* 0x4D494D43 */
    if (!st) st = exec(s, "PRAGMA user_version=1");
    if (!st) st = exec(s, "COMMIT");
    if (st) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      goto fail;
    }
  }
  *out = s;
  return MIMIC_OK;
fail:
  mimic_labelstore_close(s);
  return st;
}

static mimic_status prepare(mimic_labelstore *s, const char *sql, sqlite3_stmt **q) {
  if (sqlite3_prepare_v2(s->db, sql, -1, q, NULL) != SQLITE_OK) return db_fail(s, "query failed");
  return MIMIC_OK;
}

/* Binds v without a copy: every caller's strings outlive its statement,
 * which is stepped and finalized before it returns. */
static void bind_text(sqlite3_stmt *q, int i, const char *v) {
  if (v)
    sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(q, i);
}

static char *col_text(sqlite3_stmt *q, int i) {
  const unsigned char *t = sqlite3_column_text(q, i);
  return t ? strdup((const char *)t) : NULL;
}

static mimic_status begin(mimic_labelstore *s) {
  if (s->read_only) return mimic_fail(MIMIC_ERR_INVALID, "%s: opened read-only", s->path);
  return exec(s, "BEGIN IMMEDIATE");
}

static mimic_status commit_or_rollback(mimic_labelstore *s, mimic_status st) {
  if (st == MIMIC_OK) {
    st = exec(s, "COMMIT");
    if (st == MIMIC_OK) return MIMIC_OK;
  }
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return st;
}

mimic_status mimic_labelstore_session_open(mimic_labelstore *s, const char *name, const char *kind,
                                           const char *config_json, int64_t *session,
                                           bool *resumed) {
  if (!name || !*name || !kind || !*kind)
    return mimic_fail(MIMIC_ERR_INVALID, "a session needs a name and a kind");
  pthread_mutex_lock(&s->mu);
  mimic_status st = begin(s);
  sqlite3_stmt *q = NULL;
  *resumed = false;
  if (st) goto out;
  if ((st = prepare(s, "SELECT id, kind, status FROM sessions WHERE name = ?", &q))) goto done;
  bind_text(q, 1, name);
  int rc = sqlite3_step(q);
  if (rc == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(q, 0);
    const char *k = (const char *)sqlite3_column_text(q, 1);
    const char *status = (const char *)sqlite3_column_text(q, 2);
    if (strcmp(k, kind) != 0) {
      st = mimic_fail(MIMIC_ERR_INVALID, "%s: session '%s' is a '%s' session, not '%s'", s->path,
                      name, k, kind);
    } else if (!strcmp(status, "finished")) {
      st = mimic_fail(MIMIC_ERR_INVALID, "%s: session '%s' is finished (use a new name)", s->path,
                      name);
    } else {
      *session = id;
      *resumed = true;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (!st) {
      if ((st = prepare(s, "UPDATE sessions SET status = 'running', updated = ? WHERE id = ?", &q)))
        goto done;
      sqlite3_bind_double(q, 1, wall_now());
      sqlite3_bind_int64(q, 2, *session);
      if (sqlite3_step(q) != SQLITE_DONE) st = db_fail(s, "cannot resume session");
    }
  } else if (rc == SQLITE_DONE) {
    sqlite3_finalize(q);
    q = NULL;
    if ((st = prepare(
             s, "INSERT INTO sessions(name, kind, config, created, updated) VALUES (?,?,?,?,?)",
             &q)))
      goto done;
    double t = wall_now();
    bind_text(q, 1, name);
    bind_text(q, 2, kind);
    bind_text(q, 3, config_json);
    sqlite3_bind_double(q, 4, t);
    sqlite3_bind_double(q, 5, t);
    if (sqlite3_step(q) != SQLITE_DONE)
      st = db_fail(s, "cannot create session");
    else
      *session = sqlite3_last_insert_rowid(s->db);
  } else {
    st = db_fail(s, "cannot read sessions");
  }
done:
  sqlite3_finalize(q);
  st = commit_or_rollback(s, st);
out:
  pthread_mutex_unlock(&s->mu);
  return st;
}

static mimic_status session_column(mimic_labelstore *s, int64_t session, const char *col,
                                   char **out) {
  *out = NULL;
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT %s FROM sessions WHERE id = ?", col);
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *q = NULL;
  mimic_status st = prepare(s, sql, &q);
  if (!st) {
    sqlite3_bind_int64(q, 1, session);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
      if (sqlite3_column_type(q, 0) != SQLITE_NULL && !(*out = col_text(q, 0)))
        st = mimic_fail_nomem("session");
    } else if (rc == SQLITE_DONE) {
      st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no session %lld", s->path, (long long)session);
    } else {
      st = db_fail(s, "cannot read session");
    }
  }
  sqlite3_finalize(q);
  pthread_mutex_unlock(&s->mu);
  return st;
}

mimic_status mimic_labelstore_session_find(mimic_labelstore *s, const char *name, int64_t *session,
                                           char **status) {
  *session = 0;
  if (status) *status = NULL;
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *q = NULL;
  mimic_status st = prepare(s, "SELECT id, status FROM sessions WHERE name = ?", &q);
  if (!st) {
    bind_text(q, 1, name);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
      *session = sqlite3_column_int64(q, 0);
      if (status && !(*status = col_text(q, 1))) st = mimic_fail_nomem("session");
    } else if (rc != SQLITE_DONE) {
      st = db_fail(s, "cannot read sessions");
    }
  }
  sqlite3_finalize(q);
  pthread_mutex_unlock(&s->mu);
  return st;
}

mimic_status mimic_labelstore_session_state(mimic_labelstore *s, int64_t session, char **state) {
  return session_column(s, session, "state", state);
}

mimic_status mimic_labelstore_session_config(mimic_labelstore *s, int64_t session, char **config) {
  return session_column(s, session, "config", config);
}

/* UPDATE of the session's state (inside an open transaction). */
static mimic_status set_state_locked(mimic_labelstore *s, int64_t session, const char *state,
                                     const char *status) {
  sqlite3_stmt *q = NULL;
  const char *sql = status ? "UPDATE sessions SET status = ?, updated = ? WHERE id = ?"
                           : "UPDATE sessions SET state = ?, updated = ? WHERE id = ?";
  MIMIC_TRY(prepare(s, sql, &q));
  bind_text(q, 1, status ? status : state);
  sqlite3_bind_double(q, 2, wall_now());
  sqlite3_bind_int64(q, 3, session);
  mimic_status st = MIMIC_OK;
  if (sqlite3_step(q) != SQLITE_DONE)
    st = db_fail(s, "cannot update session");
  else if (sqlite3_changes(s->db) != 1)
    st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no session %lld", s->path, (long long)session);
  sqlite3_finalize(q);
  return st;
}

mimic_status mimic_labelstore_session_set_state(mimic_labelstore *s, int64_t session,
                                                const char *state_json) {
  pthread_mutex_lock(&s->mu);
  mimic_status st = begin(s);
  if (!st) st = commit_or_rollback(s, set_state_locked(s, session, state_json, NULL));
  pthread_mutex_unlock(&s->mu);
  return st;
}

mimic_status mimic_labelstore_session_close(mimic_labelstore *s, int64_t session,
                                            const char *status) {
  if (!status || (strcmp(status, "finished") && strcmp(status, "quit")))
    return mimic_fail(MIMIC_ERR_INVALID, "session status must be 'finished' or 'quit'");
  pthread_mutex_lock(&s->mu);
  mimic_status st = begin(s);
  if (!st) st = commit_or_rollback(s, set_state_locked(s, session, NULL, status));
  pthread_mutex_unlock(&s->mu);
  return st;
}

static mimic_status check_record(const mimic_label_record *r) {
  if (!r->text || !r->label || !*r->label || !r->labeler || !*r->labeler)
    return mimic_fail(MIMIC_ERR_INVALID, "an answer needs a text, a label and a labeler");
  size_t bad;
  if (!mimic_utf8_valid(r->text, strlen(r->text), &bad) ||
      !mimic_utf8_valid(r->label, strlen(r->label), &bad))
    return mimic_fail(MIMIC_ERR_FORMAT, "an answer's text or label is not valid UTF-8");
  const char *m = r->meta ? r->meta + strspn(r->meta, " \t\r\n") : NULL;
  if (m && ((*m != '{' && *m != '[') || !mimic_json_valid(r->meta, strlen(r->meta)))) {
    json_error_t err; /* jansson says where it breaks */
    json_t *j = json_loads(r->meta, 0, &err);
    json_decref(j);
    return mimic_fail(MIMIC_ERR_FORMAT, "an answer's metadata is not a JSON object: %s",
                      j ? "it is nested too deeply" : err.text);
  }
  return MIMIC_OK;
}

static mimic_status insert_records(mimic_labelstore *s, const mimic_label_record *r, size_t n,
                                   int64_t *last_id) {
  sqlite3_stmt *q = NULL;
  MIMIC_TRY(prepare(s,
                    "INSERT INTO labels(session, item, text, label, labeler, round, time, meta) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    &q));
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < n && !st; i++) {
    if ((st = check_record(&r[i]))) {
      mimic_errctx("answer %zu", i);
      break;
    }
    sqlite3_reset(q);
    if (r[i].session)
      sqlite3_bind_int64(q, 1, r[i].session);
    else
      sqlite3_bind_null(q, 1);
    bind_text(q, 2, r[i].item);
    bind_text(q, 3, r[i].text);
    bind_text(q, 4, r[i].label);
    bind_text(q, 5, r[i].labeler);
    sqlite3_bind_int64(q, 6, r[i].round);
    sqlite3_bind_double(q, 7, r[i].time > 0 ? r[i].time : wall_now());
    bind_text(q, 8, r[i].meta);
    if (sqlite3_step(q) != SQLITE_DONE)
      st = db_fail(s, "cannot store the answer");
    else if (last_id)
      *last_id = sqlite3_last_insert_rowid(s->db);
  }
  sqlite3_finalize(q);
  return st;
}

/* Inserts n answers and (if given) the session state in one transaction. */
static mimic_status add_locked(mimic_labelstore *s, const mimic_label_record *r, size_t n,
                               const char *state_json, int64_t *last_id) {
  pthread_mutex_lock(&s->mu);
  mimic_status st = begin(s);
  if (!st) {
    st = insert_records(s, r, n, last_id);
    if (!st && state_json && n > 0) {
      if (!r[0].session)
        st = mimic_fail(MIMIC_ERR_INVALID, "a session state needs answers with a session");
      else
        st = set_state_locked(s, r[0].session, state_json, NULL);
    }
    st = commit_or_rollback(s, st);
  }
  pthread_mutex_unlock(&s->mu);
  return st;
}

mimic_status mimic_labelstore_add(mimic_labelstore *s, const mimic_label_record *r,
                                  const char *state_json, int64_t *id) {
  int64_t last = 0;
  MIMIC_TRY(add_locked(s, r, 1, state_json, &last));
  if (id) *id = last;
  return MIMIC_OK;
}

mimic_status mimic_labelstore_add_many(mimic_labelstore *s, const mimic_label_record *r, size_t n,
                                       const char *state_json) {
  int64_t last = 0;
  return add_locked(s, r, n, state_json, &last);
}

static void record_from_row(sqlite3_stmt *q, mimic_label_record *r) {
  r->id = sqlite3_column_int64(q, 0);
  r->session = sqlite3_column_int64(q, 1);
  r->item = col_text(q, 2);
  r->text = col_text(q, 3);
  r->label = col_text(q, 4);
  r->labeler = col_text(q, 5);
  r->round = sqlite3_column_int64(q, 6);
  r->time = sqlite3_column_double(q, 7);
  r->meta = col_text(q, 8);
}

#define RECORD_COLS "id, coalesce(session, 0), item, text, label, labeler, round, time, meta"

mimic_status mimic_labelstore_undo(mimic_labelstore *s, int64_t session, const char *state_json,
                                   mimic_label_record *undone) {
  if (undone) memset(undone, 0, sizeof *undone);
  pthread_mutex_lock(&s->mu);
  mimic_status st = begin(s);
  sqlite3_stmt *q = NULL;
  if (st) goto out;
  if ((st = prepare(s,
                    "SELECT " RECORD_COLS " FROM labels WHERE coalesce(session, 0) = ? AND "
                    "undone = 0 ORDER BY id DESC LIMIT 1",
                    &q)))
    goto done;
  sqlite3_bind_int64(q, 1, session);
  int rc = sqlite3_step(q);
  if (rc == SQLITE_DONE) {
    st = mimic_fail(MIMIC_ERR_NOT_FOUND, "nothing to undo");
    goto done;
  }
  if (rc != SQLITE_ROW) {
    st = db_fail(s, "cannot read answers");
    goto done;
  }
  int64_t id = sqlite3_column_int64(q, 0);
  if (undone) record_from_row(q, undone);
  sqlite3_finalize(q);
  q = NULL;
  if ((st = prepare(s, "UPDATE labels SET undone = 1 WHERE id = ?", &q))) goto done;
  sqlite3_bind_int64(q, 1, id);
  if (sqlite3_step(q) != SQLITE_DONE) st = db_fail(s, "cannot undo");
  if (!st && state_json && session) st = set_state_locked(s, session, state_json, NULL);
done:
  sqlite3_finalize(q);
  st = commit_or_rollback(s, st);
  if (st && undone) mimic_label_record_free(undone);
out:
  pthread_mutex_unlock(&s->mu);
  return st;
}

mimic_status mimic_labelstore_undo_id(mimic_labelstore *s, int64_t session, int64_t id) {
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *q = NULL;
  mimic_status st = begin(s);
  if (st) goto out;
  st = prepare(s, "UPDATE labels SET undone = 1 WHERE id = ? AND session = ? AND undone = 0", &q);
  if (!st) {
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, session);
    if (sqlite3_step(q) != SQLITE_DONE)
      st = db_fail(s, "cannot undo");
    else if (sqlite3_changes(s->db) != 1)
      st = mimic_fail(MIMIC_ERR_NOT_FOUND, "answer %lld is not in the session, or is undone",
                      (long long)id);
  }
  sqlite3_finalize(q);
  st = commit_or_rollback(s, st);
out:
  pthread_mutex_unlock(&s->mu);
  return st;
}

mimic_status mimic_labelstore_count(mimic_labelstore *s, int64_t session, int64_t *n) {
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *q = NULL;
  mimic_status st = prepare(s,
                            session ? "SELECT count(*) FROM labels WHERE session = ? AND undone = 0"
                                    : "SELECT count(*) FROM labels WHERE undone = 0",
                            &q);
  if (!st) {
    if (session) sqlite3_bind_int64(q, 1, session);
    if (sqlite3_step(q) == SQLITE_ROW)
      *n = sqlite3_column_int64(q, 0);
    else
      st = db_fail(s, "cannot count answers");
  }
  sqlite3_finalize(q);
  pthread_mutex_unlock(&s->mu);
  return st;
}

void mimic_label_record_free(mimic_label_record *r) {
  if (!r) return;
  free(r->item);
  free(r->text);
  free(r->label);
  free(r->labeler);
  free(r->meta);
  memset(r, 0, sizeof *r);
}

void mimic_label_list_free(mimic_label_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) mimic_label_record_free(&l->r[i]);
  free(l->r);
  memset(l, 0, sizeof *l);
}

mimic_status mimic_labelstore_fetch(mimic_labelstore *s, int64_t session, mimic_label_list *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *q = NULL;
  mimic_status st = prepare(s,
                            session ? "SELECT " RECORD_COLS " FROM labels WHERE session = ? AND "
                                      "undone = 0 ORDER BY id"
                                    : "SELECT " RECORD_COLS " FROM labels WHERE undone = 0 "
                                      "ORDER BY id",
                            &q);
  size_t cap = 0;
  if (!st && session) sqlite3_bind_int64(q, 1, session);
  while (!st) {
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      st = db_fail(s, "cannot read answers");
      break;
    }
    if (out->n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      mimic_label_record *nr = mimic_realloc(out->r, nc, sizeof *nr, "answers");
      if (!nr) {
        st = MIMIC_ERR_NOMEM;
        break;
      }
      out->r = nr;
      cap = nc;
    }
    record_from_row(q, &out->r[out->n]);
    if (!out->r[out->n].text || !out->r[out->n].label || !out->r[out->n].labeler) {
      out->n++;
      st = mimic_fail_nomem("answers");
      break;
    }
    out->n++;
  }
  sqlite3_finalize(q);
  pthread_mutex_unlock(&s->mu);
  if (st) mimic_label_list_free(out);
  return st;
}

static void iso_time(double t, char *buf, size_t n) {
  time_t sec = (time_t)t;
  struct tm tm;
  gmtime_r(&sec, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

mimic_status mimic_labelstore_export(mimic_labelstore *s, int64_t session, const char *path,
                                     mimic_export_format fmt) {
  mimic_label_list l;
  MIMIC_TRY(mimic_labelstore_fetch(s, session, &l));
  mimic_atomic_file f;
  mimic_status st = mimic_atomic_open(&f, path);
  if (st) {
    mimic_label_list_free(&l);
    return st;
  }
  if (fmt == MIMIC_EXPORT_CSV)
    fputs("id,session,item,text,label,labeler,round,time,meta\r\n", f.fp);
  for (size_t i = 0; i < l.n && !st; i++) {
    const mimic_label_record *r = &l.r[i];
    char ts[32];
    iso_time(r->time, ts, sizeof ts);
    if (fmt == MIMIC_EXPORT_CSV) {
      fprintf(f.fp, "%lld,%lld,", (long long)r->id, (long long)r->session);
      mimic_csv_write_field(f.fp, r->item);
      fputc(',', f.fp);
      mimic_csv_write_field(f.fp, r->text);
      fputc(',', f.fp);
      mimic_csv_write_field(f.fp, r->label);
      fputc(',', f.fp);
      mimic_csv_write_field(f.fp, r->labeler);
      fprintf(f.fp, ",%lld,%s,", (long long)r->round, ts);
      mimic_csv_write_field(f.fp, r->meta);
      fputs("\r\n", f.fp);
    } else {
      json_t *o = json_object();
      json_object_set_new(o, "id", json_integer(r->id));
      json_object_set_new(o, "session", json_integer(r->session));
      json_object_set_new(o, "item", r->item ? json_string(r->item) : json_null());
      json_object_set_new(o, "text", json_string(r->text));
      json_object_set_new(o, "label", json_string(r->label));
      json_object_set_new(o, "labeler", json_string(r->labeler));
      json_object_set_new(o, "round", json_integer(r->round));
      json_object_set_new(o, "time", json_real(r->time));
      json_object_set_new(o, "time_utc", json_string(ts));
      json_t *meta = r->meta ? json_loads(r->meta, JSON_DECODE_ANY, NULL) : NULL;
      json_object_set_new(o, "meta", meta ? meta : json_null());
      /* 15 digits: a meta's 9-digit numbers come back as written (0.109937236,
       * not 0.10993723599999999); a time keeps 10 microseconds */
      char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
      json_decref(o);
      if (!line) {
        st = mimic_fail_nomem("export");
        break;
      }
      fputs(line, f.fp);
      fputc('\n', f.fp);
      free(line);
    }
  }
  mimic_label_list_free(&l);
  if (st) {
    mimic_atomic_abort(&f);
    return st;
  }
  return mimic_atomic_commit(&f);
}
