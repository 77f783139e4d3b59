/* The label store (SQLite, WAL): every answer is committed before add()
 * returns (a second connection sees it at once); a labeling process killed
 * with SIGKILL between answers loses none, and its session resumes from the
 * state stored with the last answer; undo, export to JSONL and CSV (round
 * trip through the CSV reader), agent-style corrections (state JSON,
 * action, metadata), concurrent writers, and refusal of foreign files. */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/labelstore.h"
#include "mimic/text.h"
#include "text/readers.h"
#include "loop/label_log.h"

static int64_t count_direct(const char *path) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *q;
  assert_int_equal(
      sqlite3_prepare_v2(db, "SELECT count(*) FROM labels WHERE undone = 0", -1, &q, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return n;
}

static void answer(mimic_labelstore *s, int64_t session, int i) {
  char text[64], label[32], state[64], item[32];
  snprintf(text, sizeof text, "text number %d, with \"quotes\"", i);
  snprintf(label, sizeof label, "class_%d", i % 3);
  snprintf(state, sizeof state, "{\"next\": %d}", i + 1);
  snprintf(item, sizeof item, "pool.csv:%d", i);
  mimic_label_record r = {.session = session,
                          .item = item,
                          .text = text,
                          .label = label,
                          .labeler = "file:labels.csv",
                          .round = i / 4};
  int64_t id = 0;
  assert_int_equal(mimic_labelstore_add(s, &r, state, &id), MIMIC_OK);
  assert_true(id > 0);
}

/* The session's cursor, from its state JSON. */
static int next_of(mimic_labelstore *s, int64_t session) {
  char *st = NULL;
  assert_int_equal(mimic_labelstore_session_state(s, session, &st), MIMIC_OK);
  if (!st) return 0;
  json_t *j = json_loads(st, 0, NULL);
  int n = (int)json_integer_value(json_object_get(j, "next"));
  json_decref(j);
  free(st);
  return n;
}

static void test_kill_and_resume(void **state) {
  (void)state;
  char *path = tu_tmp_path("kill.sqlite");
  int go[2], ack[2];
  assert_int_equal(pipe(go), 0);
  assert_int_equal(pipe(ack), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* the labeling process: one answer per "go" */
    close(go[1]);
    close(ack[0]);
    mimic_labelstore *s;
    if (mimic_labelstore_open(path, NULL, &s)) _exit(2);
    int64_t sid;
    bool resumed;
    if (mimic_labelstore_session_open(s, "run1", "text-dagger", "{\"batch\": 10}", &sid, &resumed))
      _exit(3);
    char c;
    for (int i = next_of(s, sid); i < 10; i++) {
      if (read(go[0], &c, 1) != 1) _exit(0);
      answer(s, sid, i);
      if (write(ack[1], "k", 1) != 1) _exit(4);
    }
    _exit(0);
  }
  close(go[0]);
  close(ack[1]);
  char c;
  for (int i = 0; i < 5; i++) {
    assert_int_equal(write(go[1], "g", 1), 1);
    assert_int_equal(read(ack[0], &c, 1), 1);
    /* committed before add() returned: another connection sees it now */
    assert_int_equal(count_direct(path), i + 1);
  }
  /* the child now waits for its 6th question: kill it there */
  assert_int_equal(kill(pid, SIGKILL), 0);
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
  close(go[1]);
  close(ack[0]);
  /* resume: same session, its config, its cursor, its 5 answers */
  mimic_labelstore *s;
  assert_int_equal(mimic_labelstore_open(path, NULL, &s), MIMIC_OK);
  int64_t sid;
  bool resumed;
  assert_int_equal(
      mimic_labelstore_session_open(s, "run1", "text-dagger", "{\"other\": 1}", &sid, &resumed),
      MIMIC_OK);
  assert_true(resumed);
  char *cfg = NULL;
  assert_int_equal(mimic_labelstore_session_config(s, sid, &cfg), MIMIC_OK);
  assert_string_equal(cfg, "{\"batch\": 10}");
  free(cfg);
  int64_t n;
  assert_int_equal(mimic_labelstore_count(s, sid, &n), MIMIC_OK);
  assert_int_equal(n, 5);
  int next = next_of(s, sid);
  assert_int_equal(next, 5);
  for (int i = next; i < 10; i++) answer(s, sid, i);
  mimic_label_list l;
  assert_int_equal(mimic_labelstore_fetch(s, sid, &l), MIMIC_OK);
  assert_int_equal(l.n, 10);
  for (size_t i = 0; i < l.n; i++) { /* each item once, in order */
    char want[32];
    snprintf(want, sizeof want, "pool.csv:%zu", i);
    assert_string_equal(l.r[i].item, want);
    assert_int_equal(l.r[i].round, (int64_t)i / 4);
    assert_string_equal(l.r[i].labeler, "file:labels.csv");
    assert_true(l.r[i].time > 1.6e9);
  }
  mimic_label_list_free(&l);
  assert_int_equal(mimic_labelstore_session_close(s, sid, "finished"), MIMIC_OK);
  assert_int_equal(mimic_labelstore_session_open(s, "run1", "text-dagger", NULL, &sid, &resumed),
                   MIMIC_ERR_INVALID);
  assert_int_equal(
      mimic_labelstore_session_open(s, "run2", "agent-corrections", NULL, &sid, &resumed),
      MIMIC_OK);
  assert_false(resumed);
  assert_int_equal(mimic_labelstore_session_open(s, "run2", "text-dagger", NULL, &sid, &resumed),
                   MIMIC_ERR_INVALID); /* a different kind under the same name */
  mimic_labelstore_close(s);
  /* the file is in WAL mode */
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *q;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
  sqlite3_finalize(q);
  sqlite3_close(db);
  free(path);
}

static void test_undo_and_export(void **state) {
  (void)state;
  char *path = tu_tmp_path("export.sqlite");
  mimic_labelstore *s;
  assert_int_equal(mimic_labelstore_open(path, NULL, &s), MIMIC_OK);
  int64_t sid;
  bool resumed;
  assert_int_equal(mimic_labelstore_session_open(s, "ex", "text-dagger", NULL, &sid, &resumed),
                   MIMIC_OK);
  for (int i = 0; i < 3; i++) answer(s, sid, i);
  mimic_label_record undone;
  assert_int_equal(mimic_labelstore_undo(s, sid, "{\"next\": 2}", &undone), MIMIC_OK);
  assert_string_equal(undone.item, "pool.csv:2");
  mimic_label_record_free(&undone);
  assert_int_equal(next_of(s, sid), 2);
  int64_t n;
  assert_int_equal(mimic_labelstore_count(s, sid, &n), MIMIC_OK);
  assert_int_equal(n, 2);
  /* an agent-style correction: state JSON in, action out, arguments in meta */
  int64_t aid;
  assert_int_equal(
      mimic_labelstore_session_open(s, "agent", "agent-corrections", NULL, &aid, &resumed),
      MIMIC_OK);
  mimic_label_record corr = {.session = aid,
                             .text = "{\"intent\":\"order_status\",\"request\":\"where is it?\"}",
                             .label = "search_orders",
                             .labeler = "cmd:./llm-expert",
                             .meta = "{\"args\":{\"user\":\"u1\"},\"confidence\":0.41}"};
  assert_int_equal(mimic_labelstore_add(s, &corr, NULL, NULL), MIMIC_OK);
  /* bad answers store nothing */
  mimic_label_record bad = {.session = sid, .text = "x", .label = "", .labeler = "human"};
  assert_int_equal(mimic_labelstore_add(s, &bad, NULL, NULL), MIMIC_ERR_INVALID);
  bad.label = "ok";
  bad.meta = "{not json";
  assert_int_equal(mimic_labelstore_add(s, &bad, NULL, NULL), MIMIC_ERR_FORMAT);
  bad.meta = NULL;
  bad.text = "bad \xff utf8";
  assert_int_equal(mimic_labelstore_add(s, &bad, NULL, NULL), MIMIC_ERR_FORMAT);
  assert_int_equal(mimic_labelstore_count(s, 0, &n), MIMIC_OK);
  assert_int_equal(n, 3);
  /* exports */
  char *jl = tu_tmp_path("labels.jsonl"), *csv = tu_tmp_path("labels.csv");
  assert_int_equal(mimic_labelstore_export(s, sid, jl, MIMIC_EXPORT_JSONL), MIMIC_OK);
  assert_int_equal(mimic_labelstore_export(s, 0, csv, MIMIC_EXPORT_CSV), MIMIC_OK);
  char *d;
  size_t len;
  assert_int_equal(mimic_read_file(jl, &d, &len), MIMIC_OK);
  int lines = 0;
  for (char *line = strtok(d, "\n"); line; line = strtok(NULL, "\n")) {
    json_t *o = json_loads(line, 0, NULL);
    assert_non_null(o);
    char want[64];
    snprintf(want, sizeof want, "text number %d, with \"quotes\"", lines);
    assert_string_equal(json_string_value(json_object_get(o, "text")), want);
    assert_non_null(json_object_get(o, "time_utc"));
    json_decref(o);
    lines++;
  }
  assert_int_equal(lines, 2);
  free(d);
  mimic_csv c;
  assert_int_equal(mimic_csv_read(csv, &c), MIMIC_OK);
  assert_int_equal(c.n_rows, 3);
  int ti = mimic_csv_column(&c, "text"), li = mimic_csv_column(&c, "label"),
      mi = mimic_csv_column(&c, "meta");
  assert_true(ti >= 0 && li >= 0 && mi >= 0);
  assert_string_equal(c.cells[ti], "text number 0, with \"quotes\"");
  assert_string_equal(c.cells[2 * c.n_cols + (size_t)li], "search_orders");
  json_t *meta = json_loads(c.cells[2 * c.n_cols + (size_t)mi], 0, NULL);
  assert_non_null(meta);
  json_decref(meta);
  mimic_csv_free(&c);
  /* the text reader takes the export as training data (text + label columns) */
  mimic_text_read_opts o = {.need_labels = true};
  mimic_text_data td;
  assert_int_equal(mimic_text_read(csv, &o, &td), MIMIC_OK);
  assert_int_equal(td.n, 3);
  mimic_text_data_free(&td);
  /* nothing to undo in an empty session */
  int64_t e;
  assert_int_equal(mimic_labelstore_session_open(s, "empty", "text-dagger", NULL, &e, &resumed),
                   MIMIC_OK);
  assert_int_equal(mimic_labelstore_undo(s, e, NULL, NULL), MIMIC_ERR_NOT_FOUND);
  mimic_labelstore_close(s);
  /* read-only access */
  mimic_labelstore_opts ro = {.read_only = true};
  assert_int_equal(mimic_labelstore_open(path, &ro, &s), MIMIC_OK);
  assert_int_equal(mimic_labelstore_count(s, 0, &n), MIMIC_OK);
  assert_int_equal(n, 3);
  assert_int_equal(mimic_labelstore_add(s, &corr, NULL, NULL), MIMIC_ERR_INVALID);
  mimic_labelstore_close(s);
  free(jl);
  free(csv);
  free(path);
}

typedef struct writer_arg {
  mimic_labelstore *s;
  int64_t session;
  int id;
} writer_arg;

static void *writer(void *p) {
  writer_arg *a = p;
  for (int i = 0; i < 25; i++) {
    char text[48];
    snprintf(text, sizeof text, "thread %d answer %d", a->id, i);
    mimic_label_record r = {.session = a->session, .text = text, .label = "x", .labeler = "t"};
    if (mimic_labelstore_add(a->s, &r, NULL, NULL)) return (void *)1;
  }
  return NULL;
}

static void test_concurrent_writers(void **state) {
  (void)state;
  char *path = tu_tmp_path("threads.sqlite");
  mimic_labelstore *s;
  mimic_labelstore_opts fast = {.fast = true};
  assert_int_equal(mimic_labelstore_open(path, &fast, &s), MIMIC_OK);
  int64_t sid;
  bool resumed;
  assert_int_equal(mimic_labelstore_session_open(s, "t", "agent-corrections", NULL, &sid, &resumed),
                   MIMIC_OK);
  pthread_t th[4];
  writer_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (writer_arg){s, sid, i};
    pthread_create(&th[i], NULL, writer, &args[i]);
  }
  for (int i = 0; i < 4; i++) {
    void *rv;
    pthread_join(th[i], &rv);
    assert_null(rv);
  }
  int64_t n;
  assert_int_equal(mimic_labelstore_count(s, sid, &n), MIMIC_OK);
  assert_int_equal(n, 100);
  /* a batch is one transaction */
  mimic_label_record batch[3] = {{.session = sid, .text = "a", .label = "x", .labeler = "f"},
                                 {.session = sid, .text = "b", .label = "y", .labeler = "f"},
                                 {.session = sid, .text = "c", .label = "", .labeler = "f"}};
  assert_int_equal(mimic_labelstore_add_many(s, batch, 3, NULL), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_labelstore_count(s, sid, &n), MIMIC_OK);
  assert_int_equal(n, 100); /* the bad third answer rolled back the first two */
  assert_int_equal(mimic_labelstore_add_many(s, batch, 2, "{\"next\": 2}"), MIMIC_OK);
  assert_int_equal(mimic_labelstore_count(s, sid, &n), MIMIC_OK);
  assert_int_equal(n, 102);
  mimic_labelstore_close(s);
  free(path);
}

static void test_foreign_files(void **state) {
  (void)state;
  char *path = tu_tmp_path("foreign.sqlite");
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  mimic_labelstore *s;
  assert_int_equal(mimic_labelstore_open(path, NULL, &s), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "not a mimic label store"));
  free(path);
  path = tu_tmp_path("text.sqlite");
  FILE *f = fopen(path, "w");
  fputs("this is not a database, just some text that is long enough to have a header\n", f);
  fclose(f);
  assert_int_equal(mimic_labelstore_open(path, NULL, &s), MIMIC_ERR_IO);
  assert_non_null(strstr(mimic_errmsg(), path));
  /* the file was not damaged */
  char *d;
  size_t n;
  assert_int_equal(mimic_read_file(path, &d, &n), MIMIC_OK);
  assert_non_null(strstr(d, "not a database"));
  free(d);
  free(path);
  mimic_labelstore_opts ro = {.read_only = true};
  assert_true(mimic_labelstore_open("/nonexistent/dir/x.sqlite", &ro, &s) != MIMIC_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_and_resume),
      cmocka_unit_test(test_undo_and_export),
      cmocka_unit_test(test_concurrent_writers),
      cmocka_unit_test(test_foreign_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
