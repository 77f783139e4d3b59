/* The text labeling loop (mimic_text_dagger_run through the DAgger driver)
 * on BANKING77 subsets: accuracy grows over rounds with a label-file
 * expert; a session killed with SIGKILL between answers (in a forked
 * child) resumes asking exactly the questions an uninterrupted run asks
 * after that point, stores the same answers and reaches the same model bit
 * for bit (margin and random rules); undo and skip, a quit and resume; a
 * program expert whose reply names an unknown label stops with a clear
 * error and loses nothing. */
#include "testutil.h"

#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/textloop.h"
#include "text/learner.h"
#include "loop/transport.h"
#include "text/codec.h"

static mimic_text_data train, test;
static char **ids;
static mimic_labelset intents; /* every label of the training set */
static mimic_codec *codec;     /* every run's labels pass through it */

static int setup(void **state) {
  (void)state;
  char path[4096];
  mimic_text_read_opts o = {.need_labels = true};
  snprintf(path, sizeof path, "%s/text-agents/banking77/train.csv", tu_data_dir());
  if (mimic_text_read(path, &o, &train)) return -1;
  snprintf(path, sizeof path, "%s/text-agents/banking77/test.csv", tu_data_dir());
  if (mimic_text_read(path, &o, &test)) return -1;
  ids = calloc(train.n, sizeof *ids);
  for (size_t i = 0; i < train.n; i++) ids[i] = mimic_asprintf("%lld", (long long)train.row[i]);
  if (mimic_text_codec(&codec)) return -1;
  return mimic_labelset_build(&intents, (const char *const *)train.label, train.n, NULL) ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  mimic_text_strings_free(ids, train.n);
  mimic_labelset_free(&intents);
  mimic_codec_free(codec);
  mimic_text_data_free(&train);
  mimic_text_data_free(&test);
  return 0;
}

/* A split of the training set: n_seed seed items and n_pool pool items (sorted by row). */
typedef struct split {
  size_t n_seed, n_pool, n_test;
  const char **seed_text, **seed_label, **pool_text, **pool_id;
  int64_t *pool_row;
} split;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static split make_split(uint64_t seed, size_t n_seed, size_t n_pool, size_t n_test) {
  split s = {n_seed, n_pool, n_test, NULL, NULL, NULL, NULL, NULL};
  uint32_t *perm = malloc(train.n * sizeof *perm);
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  mimic_rng_permutation(&rng, perm, train.n);
  qsort(perm + n_seed, n_pool, sizeof *perm, cmp_u32);
  s.seed_text = malloc(n_seed * sizeof(char *));
  s.seed_label = malloc(n_seed * sizeof(char *));
  s.pool_text = malloc(n_pool * sizeof(char *));
  s.pool_id = malloc(n_pool * sizeof(char *));
  s.pool_row = malloc(n_pool * sizeof(int64_t));
  for (size_t i = 0; i < n_seed; i++) {
    s.seed_text[i] = train.text[perm[i]];
    s.seed_label[i] = train.label[perm[i]];
  }
  for (size_t i = 0; i < n_pool; i++) {
    uint32_t k = perm[n_seed + i];
    s.pool_text[i] = train.text[k];
    s.pool_id[i] = ids[k];
    s.pool_row[i] = train.row[k];
  }
  free(perm);
  return s;
}

static void split_free(split *s) {
  free(s->seed_text);
  free(s->seed_label);
  free(s->pool_text);
  free(s->pool_id);
  free(s->pool_row);
}

static mimic_text_dagger_input input_of(const split *s) {
  return (mimic_text_dagger_input){.n_pool = s->n_pool,
                                   .pool_text = s->pool_text,
                                   .pool_id = s->pool_id,
                                   .pool_row = s->pool_row,
                                   .pool_name = "train.csv",
                                   .n_seed = s->n_seed,
                                   .seed_text = s->seed_text,
                                   .seed_label = s->seed_label,
                                   .seed_name = "seed",
                                   .n_test = s->n_test,
                                   .test_text = (const char *const *)test.text,
                                   .test_label = (const char *const *)test.label,
                                   .n_labels = (size_t)intents.n, /* what a person may answer */
                                   .labels = (const char *const *)intents.names};
}

static mimic_expert *gold_expert(void) {
  mimic_expert *e = NULL;
  assert_int_equal(mimic_expert_table(codec, "file:train.csv", train.n, (const char *const *)ids,
                                      (const char *const *)train.text,
                                      (const char *const *)train.label, NULL, &e),
                   MIMIC_OK);
  return e;
}

/* An expert that answers from the gold table, records what it was asked,
 * and can follow a script ('g' gold, 's' skip, 'u' undo, 'q' quit, 'x' a
 * wrong label) or kill the process at question `kill_at` (1-based). */
typedef struct recorder {
  mimic_expert *gold;
  char **asked;
  bool *again;
  size_t n, cap;
  const char *script;
  long kill_at;
} recorder;

static mimic_status rec_label(mimic_expert *e, const mimic_questions *q, mimic_answer *a) {
  recorder *rc = e->impl;
  assert_int_equal(q->n, 1); /* like a person: one question at a time */
  if (rc->n == rc->cap) {
    rc->cap = rc->cap ? 2 * rc->cap : 64;
    rc->asked = realloc(rc->asked, rc->cap * sizeof *rc->asked);
    rc->again = realloc(rc->again, rc->cap * sizeof *rc->again);
  }
  rc->again[rc->n] = q->again;
  rc->asked[rc->n++] = strdup(q->keys[0]);
  if (rc->kill_at > 0 && (long)rc->n == rc->kill_at) raise(SIGKILL);
  char c = rc->script && rc->n <= strlen(rc->script) ? rc->script[rc->n - 1] : 'g';
  switch (c) {
  case 's': a->kind = MIMIC_ANSWER_SKIP; return MIMIC_OK;
  case 'u': a->kind = MIMIC_ANSWER_UNDO; return MIMIC_OK;
  case 'q': a->kind = MIMIC_ANSWER_QUIT; return MIMIC_OK;
  default: break;
  }
  MIMIC_TRY(mimic_expert_label(rc->gold, q, a));
  if (c == 'x') a->action[0] = (float)(((int)a->action[0] + 1) % mimic_codec_n_names(e->codec));
  return MIMIC_OK;
}

static const mimic_expert_class recorder_class = {.kind = "recorder", .label = rec_label};

static mimic_expert *recorder_expert(recorder *rc) {
  mimic_expert *e = NULL;
  assert_int_equal(mimic_expert_alloc(&recorder_class, codec, "file:train.csv", &e), MIMIC_OK);
  e->impl = rc;
  e->person = true; /* it undoes and quits as a person does */
  return e;
}

static void recorder_free(recorder *rc) {
  for (size_t i = 0; i < rc->n; i++) free(rc->asked[i]);
  free(rc->asked);
  free(rc->again);
  rc->asked = NULL;
  rc->again = NULL;
  rc->n = rc->cap = 0;
}

/* The store's answers (not undone) as "item=label@round" lines. */
static char *store_answers(const char *db) {
  mimic_labelstore *s;
  assert_int_equal(mimic_labelstore_open(db, NULL, &s), MIMIC_OK);
  mimic_label_list l;
  assert_int_equal(mimic_labelstore_fetch(s, 0, &l), MIMIC_OK);
  size_t cap = 64 + l.n * 128, len = 0;
  char *out = calloc(cap, 1);
  for (size_t i = 0; i < l.n; i++)
    len += (size_t)snprintf(out + len, cap - len, "%s=%s@%lld\n", l.r[i].item, l.r[i].label,
                            (long long)l.r[i].round);
  mimic_label_list_free(&l);
  mimic_labelstore_close(s);
  return out;
}

static long count_undone(const char *db) {
  sqlite3 *h;
  assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *q;
  assert_int_equal(
      sqlite3_prepare_v2(h, "SELECT count(*) FROM labels WHERE undone = 1", -1, &q, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  long n = (long)sqlite3_column_int64(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(h);
  return n;
}

static void test_accuracy_grows(void **state) {
  (void)state;
  split s = make_split(11, 60, 1500, test.n);
  mimic_text_dagger_input in = input_of(&s);
  mimic_text_dagger_config cfg = mimic_text_dagger_defaults();
  cfg.rounds = 4;
  cfg.query = (mimic_query_rule){MIMIC_QUERY_MARGIN, 0, 60};
  mimic_expert *gold = gold_expert();
  mimic_text_dagger_result r, r2;
  assert_int_equal(mimic_text_dagger_run(&cfg, &in, codec, gold, NULL, &r), MIMIC_OK);
  assert_int_equal(r.n_rows, 5); /* the seed model, then 4 rounds */
  for (int k = 0; k < 5; k++) {
    assert_int_equal(r.rows[k].round, k - 1);
    assert_int_equal(r.rows[k].dataset_size, 60 + 60 * (size_t)k);
    assert_int_equal(r.rows[k].n_metrics, 2);
    printf("  round %d: %zu labels, accuracy %.4f, macro-F1 %.4f\n", k, r.rows[k].dataset_size,
           r.rows[k].metrics[0], r.rows[k].metrics[1]);
  }
  for (int k = 1; k < 5; k++) assert_int_equal(r.rows[k].queried, 60);
  assert_int_equal(r.n_answers, 240);
  assert_true(r.rows[4].metrics[0] > r.rows[0].metrics[0] + 0.10);
  assert_true(r.rows[4].metrics[1] > r.rows[0].metrics[1] + 0.10);
  for (int k = 1; k < 5; k++) assert_true(r.rows[k].metrics[0] > r.rows[k - 1].metrics[0] - 0.02);
  /* the same run again: the same numbers, bit for bit */
  assert_int_equal(mimic_text_dagger_run(&cfg, &in, codec, gold, NULL, &r2), MIMIC_OK);
  for (int k = 0; k < 5; k++) assert_true(r.rows[k].metrics[0] == r2.rows[k].metrics[0]);
  mimic_text_dagger_result_free(&r);
  mimic_text_dagger_result_free(&r2);
  mimic_expert_free(gold);
  split_free(&s);
}

/* Runs the loop on db with a recorder; returns the status. */
static mimic_status run_with(const char *db, const char *rule, recorder *rc,
                             mimic_text_dagger_result *res) {
  split s = make_split(5, 20, 120, 600);
  mimic_text_dagger_input in = input_of(&s);
  mimic_text_dagger_config cfg = mimic_text_dagger_defaults();
  cfg.rounds = 3;
  assert_int_equal(mimic_query_parse(rule, &cfg.query), MIMIC_OK);
  cfg.seed = 3;
  mimic_labelstore *store = NULL;
  assert_int_equal(mimic_labelstore_open(db, NULL, &store), MIMIC_OK);
  mimic_expert *e = recorder_expert(rc);
  mimic_status st = mimic_text_dagger_run(&cfg, &in, codec, e, store, res);
  mimic_expert_free(e);
  mimic_labelstore_close(store);
  split_free(&s);
  return st;
}

static void check_resume_after_kill(const char *rule) {
  recorder ref = {.gold = gold_expert()};
  char *db_ref = tu_tmp_path("ref.sqlite");
  unlink(db_ref);
  mimic_text_dagger_result rr;
  assert_int_equal(run_with(db_ref, rule, &ref, &rr), MIMIC_OK);
  assert_int_equal(ref.n, 12);
  char *want = store_answers(db_ref);
  const long kills[] = {1, 2, 4, 5, 8, 12};
  for (size_t t = 0; t < sizeof kills / sizeof kills[0]; t++) {
    long k = kills[t];
    char name[64];
    snprintf(name, sizeof name, "kill-%s-%ld.sqlite", rule, k);
    char *db = tu_tmp_path(name);
    unlink(db);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the child dies with SIGKILL when asked question k */
      recorder rc = {.gold = ref.gold, .kill_at = k};
      mimic_text_dagger_result r;
      run_with(db, rule, &rc, &r);
      _exit(3); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    recorder rc = {.gold = ref.gold};
    mimic_text_dagger_result r;
    assert_int_equal(run_with(db, rule, &rc, &r), MIMIC_OK);
    /* the resumed run asks exactly the questions the reference asked from question k on */
    assert_int_equal(rc.n, ref.n - (size_t)(k - 1));
    for (size_t i = 0; i < rc.n; i++) assert_string_equal(rc.asked[i], ref.asked[k - 1 + (long)i]);
    assert_true(r.resumed);
    char *got = store_answers(db);
    assert_string_equal(got, want);
    /* the same models: the rounds it ran match the reference bit for bit */
    for (int j = 0; j < r.n_rows; j++) {
      int round = r.rows[j].round;
      const mimic_dagger_round *w = &rr.rows[round + 1];
      assert_int_equal(w->round, round);
      assert_true(r.rows[j].metrics[0] == w->metrics[0]);
      assert_true(r.rows[j].metrics[1] == w->metrics[1]);
      assert_int_equal(r.rows[j].dataset_size, w->dataset_size);
    }
    assert_int_equal(r.rows[r.n_rows - 1].round, 2);
    free(got);
    free(db);
    recorder_free(&rc);
    mimic_text_dagger_result_free(&r);
  }
  free(want);
  free(db_ref);
  mimic_expert_free(ref.gold);
  recorder_free(&ref);
  mimic_text_dagger_result_free(&rr);
}

static void test_resume_after_sigkill_margin(void **state) {
  (void)state;
  check_resume_after_kill("margin:4");
}

static void test_resume_after_sigkill_random(void **state) {
  (void)state;
  check_resume_after_kill("random:4");
}

static void test_undo_skip_quit_resume(void **state) {
  (void)state;
  /* reference: every question answered with the gold label */
  recorder ref = {.gold = gold_expert()};
  char *db_ref = tu_tmp_path("undo-ref.sqlite");
  unlink(db_ref);
  mimic_text_dagger_result rr;
  assert_int_equal(run_with(db_ref, "margin:4", &ref, &rr), MIMIC_OK);
  char *want = store_answers(db_ref);
  const char *A = ref.asked[0], *B = ref.asked[1], *C = ref.asked[2];

  /* A: a wrong label; B: undo (A is asked again: gold), then B skipped;
   * C: undo (the skip of B: B asked again, gold), C gold; D gold; round 2
   * starts with an undo that has nothing to take back, then a quit. */
  char *db = tu_tmp_path("undo.sqlite");
  unlink(db);
  recorder rc = {.gold = ref.gold, .script = "xugsugggugq"};
  mimic_text_dagger_result r;
  assert_int_equal(run_with(db, "margin:4", &rc, &r), MIMIC_ERR_INTERRUPTED);
  assert_true(r.quit);
  assert_non_null(strstr(mimic_errmsg(), "quit"));
  const char *order[] = {A,           B, A, B, C, B, C, ref.asked[3], ref.asked[4], ref.asked[4],
                         ref.asked[5]};
  const bool again[] = {false, false, true, false, false, true, false, false, false, false, false};
  assert_int_equal(rc.n, 11);
  for (size_t i = 0; i < rc.n; i++) {
    assert_string_equal(rc.asked[i], order[i]);
    assert_int_equal(rc.again[i], again[i]);
  }
  assert_int_equal(r.rounds_done, 1);
  assert_int_equal(r.n_answers, 5); /* A B C D of round 1, E of round 2 */
  assert_int_equal(r.n_skipped, 0);
  assert_int_equal(count_undone(db), 1); /* A's wrong answer, kept as history */
  /* the rest: the same questions as the reference from the second of round 2 */
  recorder rest = {.gold = ref.gold};
  mimic_text_dagger_result r2;
  assert_int_equal(run_with(db, "margin:4", &rest, &r2), MIMIC_OK);
  assert_int_equal(rest.n, ref.n - 5);
  for (size_t i = 0; i < rest.n; i++) assert_string_equal(rest.asked[i], ref.asked[5 + i]);
  char *got = store_answers(db);
  assert_string_equal(got, want);
  assert_true(r2.rows[r2.n_rows - 1].metrics[0] == rr.rows[rr.n_rows - 1].metrics[0]);
  free(got);
  free(want);
  free(db);
  free(db_ref);
  recorder_free(&rc);
  recorder_free(&rest);
  recorder_free(&ref);
  mimic_expert_free(ref.gold);
  mimic_text_dagger_result_free(&r);
  mimic_text_dagger_result_free(&r2);
  mimic_text_dagger_result_free(&rr);
}

static void test_skipped_items_are_not_asked_again(void **state) {
  (void)state;
  recorder rc = {.gold = gold_expert(), .script = "sgggsggg"};
  char *db = tu_tmp_path("skip.sqlite");
  unlink(db);
  mimic_text_dagger_result r;
  assert_int_equal(run_with(db, "margin:4", &rc, &r), MIMIC_OK);
  assert_int_equal(rc.n, 12);
  assert_int_equal(r.n_skipped, 2);
  assert_int_equal(r.n_answers, 10);
  assert_int_equal(r.rows[1].queried, 3);
  for (size_t i = 0; i < rc.n; i++)
    for (size_t j = i + 1; j < rc.n; j++) assert_string_not_equal(rc.asked[i], rc.asked[j]);
  /* resuming a finished session asks nothing and reports the last model */
  recorder again = {.gold = rc.gold};
  mimic_text_dagger_result r2;
  assert_int_equal(run_with(db, "margin:4", &again, &r2), MIMIC_OK);
  assert_int_equal(again.n, 0);
  assert_int_equal(r2.n_rows, 1);
  assert_int_equal(r2.rows[0].round, 2);
  assert_true(r2.rows[0].metrics[0] == r.rows[3].metrics[0]);
  /* another rule on the same session is refused, naming the setting */
  mimic_text_dagger_result_free(&r2);
  assert_int_equal(run_with(db, "entropy:4", &again, &r2), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "query rule"));
  mimic_text_dagger_result_free(&r);
  mimic_text_dagger_result_free(&r2);
  mimic_expert_free(rc.gold);
  recorder_free(&rc);
  free(db);
}

static char *write_script(const char *name, const char *body) {
  char *path = tu_tmp_path(name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(body, f);
  fclose(f);
  chmod(path, 0755);
  return path;
}

/* A program that answers the model's first guess; on request BAD an unknown label. */
static const char *guess_script =
    "#!/bin/bash\n"
    "n=0\n"
    "while IFS= read -r line; do\n"
    "  n=$((n+1))\n"
    "  id=$(printf '%s' \"$line\" | sed -E 's/.*\"id\": ?([0-9]+).*/\\1/')\n"
    "  label=$(printf '%s' \"$line\" | sed -E "
    "'s/.*\"guesses\": ?\\[\\{\"label\": ?\"([^\"]*)\".*/\\1/')\n"
    "  if [ \"$n\" = \"${BAD:-0}\" ]; then label=no_such_label; fi\n"
    "  printf '{\"id\": %s, \"label\": \"%s\"}\\n' \"$id\" \"$label\"\n"
    "done\n";

static void test_program_expert(void **state) {
  (void)state;
  char *script = write_script("guess.sh", guess_script);
  char *db = tu_tmp_path("program.sqlite");
  unlink(db);
  split s = make_split(5, 20, 120, 0);
  mimic_text_dagger_input in = input_of(&s);
  mimic_text_dagger_config cfg = mimic_text_dagger_defaults();
  cfg.rounds = 2;
  cfg.query = (mimic_query_rule){MIMIC_QUERY_LEAST_CONFIDENT, 0, 4};
  mimic_labelstore *store;
  assert_int_equal(mimic_labelstore_open(db, NULL, &store), MIMIC_OK);
  char *cmd = mimic_asprintf("env BAD=3 %s", script);
  mimic_expert *e;
  assert_int_equal(mimic_expert_program(cmd, codec, 10, &e), MIMIC_OK);
  mimic_text_dagger_result r;
  assert_int_equal(mimic_text_dagger_run(&cfg, &in, codec, e, store, &r), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "no_such_label"));
  assert_non_null(strstr(mimic_errmsg(), "not one of the"));
  assert_non_null(strstr(mimic_errmsg(), "train.csv:"));
  mimic_expert_free(e);
  mimic_text_dagger_result_free(&r);
  int64_t n;
  assert_int_equal(mimic_labelstore_count(store, 0, &n), MIMIC_OK);
  assert_int_equal(n, 20 + 2); /* the seed and the two answers before the bad one */
  /* a good program finishes the session from where the bad one stopped */
  assert_int_equal(mimic_expert_program(script, codec, 10, &e), MIMIC_OK);
  assert_int_equal(mimic_text_dagger_run(&cfg, &in, codec, e, store, &r), MIMIC_OK);
  assert_true(r.resumed);
  assert_int_equal(r.n_asked, 6);
  assert_int_equal(r.n_answers, 8);
  char *name = mimic_asprintf("cmd:%s", script);
  assert_string_equal(e->name, name);
  free(name);
  assert_int_equal(mimic_labelstore_count(store, 0, &n), MIMIC_OK);
  assert_int_equal(n, 28);
  mimic_label_list l;
  assert_int_equal(mimic_labelstore_fetch(store, 0, &l), MIMIC_OK);
  assert_string_equal(l.r[27].labeler, e->name);
  assert_int_equal(l.r[27].round, 2);
  assert_non_null(strstr(l.r[27].meta, "\"guess\""));
  mimic_label_list_free(&l);
  mimic_expert_free(e);
  mimic_text_dagger_result_free(&r);
  mimic_labelstore_close(store);
  free(cmd);
  free(db);
  free(script);
  split_free(&s);
}

/* Asks a text expert one question about a document with the labels names. */
static mimic_status ask_one(mimic_expert *e, const mimic_labelset *labels, const char *key,
                            const char *id, const char *text, float *label) {
  assert_int_equal(mimic_text_codec_set_labels(codec, labels), MIMIC_OK);
  mimic_text_doc doc = {.text = text};
  const void *item = &doc;
  mimic_questions q = {.n = 1, .items = &item, .keys = &key, .ids = id ? &id : NULL};
  mimic_answer a = {.action = label};
  mimic_status st = mimic_expert_label(e, &q, &a);
  if (!st) assert_int_equal(a.kind, MIMIC_ANSWER_ACTION);
  return st;
}

static void test_file_expert_lookup(void **state) {
  (void)state;
  const char *texts[] = {"my card is late", "refund please", "my card is late", "top up"};
  const char *labels[] = {"card_arrival", "refund", "card_delivery", "top_up"};
  const char *idv[] = {"10", "11", "12", "13"};
  mimic_expert *e;
  assert_int_equal(mimic_expert_table(codec, "file:gold.csv", 4, idv, texts, labels, NULL, &e),
                   MIMIC_OK);
  const char *const *known;
  assert_int_equal(mimic_expert_table_labels(e, &known), 4);
  assert_string_equal(known[0], "card_arrival");
  mimic_labelset ls;
  const char *names[] = {"card_arrival", "card_delivery", "refund", "top_up"};
  assert_int_equal(mimic_labelset_from_names(&ls, names, 4), MIMIC_OK);
  float r;
  /* by text: the first occurrence */
  assert_int_equal(ask_one(e, &ls, "pool.csv:3", NULL, "my card is late", &r), MIMIC_OK);
  assert_string_equal(ls.names[(int)r], "card_arrival");
  /* by id: the exact item */
  assert_int_equal(ask_one(e, &ls, "pool.csv:3", "12", "my card is late", &r), MIMIC_OK);
  assert_string_equal(ls.names[(int)r], "card_delivery");
  /* an unknown id falls back to the text; an unknown text is an error naming the item */
  assert_int_equal(ask_one(e, &ls, "pool.csv:3", "99", "refund please", &r), MIMIC_OK);
  assert_string_equal(ls.names[(int)r], "refund");
  assert_int_equal(ask_one(e, &ls, "pool.csv:3", "99", "something else", &r), MIMIC_ERR_NOT_FOUND);
  assert_non_null(strstr(mimic_errmsg(), "pool.csv:3"));
  /* a label the session does not offer */
  mimic_labelset small;
  assert_int_equal(mimic_labelset_from_names(&small, names, 2), MIMIC_OK);
  assert_int_equal(ask_one(e, &small, "pool.csv:3", NULL, "top up", &r), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "'top_up'"));
  mimic_labelset_free(&small);
  mimic_labelset_free(&ls);
  mimic_expert_free(e);
  /* a file: CSV with an id column */
  char *path = tu_tmp_path("gold.csv");
  FILE *f = fopen(path, "w");
  fputs("id,text,category\n7,\"hello, world\",greet\n8,bye,leave\n", f);
  fclose(f);
  assert_int_equal(mimic_text_expert_file(path, NULL, NULL, codec, &e), MIMIC_OK);
  const char *n2[] = {"greet", "leave"};
  assert_int_equal(mimic_labelset_from_names(&ls, n2, 2), MIMIC_OK);
  assert_int_equal(ask_one(e, &ls, "p:1", "8", "not in the file", &r), MIMIC_OK);
  assert_string_equal(ls.names[(int)r], "leave");
  assert_non_null(strstr(e->name, "file:"));
  mimic_labelset_free(&ls);
  mimic_expert_free(e);
  /* a JSON Lines file with integer ids */
  char *jpath = tu_tmp_path("gold.jsonl");
  f = fopen(jpath, "w");
  fputs("{\"id\": 5, \"text\": \"a\", \"label\": \"x\"}\n\n{\"id\": 6, \"text\": \"b\", \"label\": "
        "\"y\"}\n",
        f);
  fclose(f);
  assert_int_equal(mimic_text_expert_file(jpath, NULL, NULL, codec, &e), MIMIC_OK);
  const char *n3[] = {"x", "y"};
  assert_int_equal(mimic_labelset_from_names(&ls, n3, 2), MIMIC_OK);
  assert_int_equal(ask_one(e, &ls, "p:2", "6", "zzz", &r), MIMIC_OK);
  assert_string_equal(ls.names[(int)r], "y");
  mimic_labelset_free(&ls);
  mimic_expert_free(e);
  free(path);
  free(jpath);
}

/* Answers typed into a pipe, one line each. */
static mimic_answer ask_human(mimic_expert *e, int wfd, const char *lines, const mimic_questions *q,
                              float *label) {
  if (lines) assert_int_equal(write(wfd, lines, strlen(lines)), (ssize_t)strlen(lines));
  mimic_answer a = {.action = label};
  assert_int_equal(mimic_expert_label(e, q, &a), MIMIC_OK);
  return a;
}

static void test_human_expert(void **state) {
  (void)state;
  int fd[2];
  assert_int_equal(pipe(fd), 0);
  FILE *out = tmpfile();
  mimic_labelset ls;
  const char *names[] = {"card_arrival", "card_linking", "refund", "top_up", "5"};
  assert_int_equal(mimic_labelset_from_names(&ls, names, 5), MIMIC_OK);
  assert_int_equal(mimic_text_codec_set_labels(codec, &ls), MIMIC_OK);
  mimic_expert *e;
  assert_int_equal(mimic_text_expert_open(
                       "human", codec, &(mimic_text_expert_opts){.in_fd = fd[0], .out = out}, &e),
                   MIMIC_OK);
  assert_true(e->person);
  /* sorted: 5, card_arrival, card_linking, refund, top_up; list numbers start at 4 */
  const double p[5] = {0, 0.3, 0.1, 0.5, 0};
  mimic_text_doc doc = {.text = "where is my refund?\nstill waiting"};
  const void *item = &doc;
  const char *key = "pool.csv:9";
  mimic_questions q = {.n = 1,
                       .items = &item,
                       .keys = &key,
                       .guess_proba = p,
                       .guess_k = 5,
                       .round = 1,
                       .rounds = 3,
                       .number = 2,
                       .count = 10};
  float r;
  mimic_answer a = ask_human(e, fd[1], "1\n", &q, &r);
  assert_int_equal(a.kind, MIMIC_ANSWER_ACTION);
  assert_string_equal(ls.names[(int)r], "refund");
  ask_human(e, fd[1], "  2 \n", &q, &r);
  assert_string_equal(ls.names[(int)r], "card_arrival");
  ask_human(e, fd[1], "4\n", &q, &r); /* the first of the list */
  assert_string_equal(ls.names[(int)r], "5");
  ask_human(e, fd[1], "8\n", &q, &r);
  assert_string_equal(ls.names[(int)r], "top_up");
  ask_human(e, fd[1], "99\n0\nref\n", &q, &r); /* out of range twice, then a prefix */
  assert_string_equal(ls.names[(int)r], "refund");
  ask_human(e, fd[1], "card\ncard_l\n", &q, &r); /* ambiguous, then unique */
  assert_string_equal(ls.names[(int)r], "card_linking");
  ask_human(e, fd[1], "CARD_ARRIVAL\n", &q, &r);
  assert_string_equal(ls.names[(int)r], "card_arrival");
  ask_human(e, fd[1], "=5\n", &q, &r);
  assert_string_equal(ls.names[(int)r], "5");
  a = ask_human(e, fd[1], "xyz\n\nl\n?\ns\n", &q, &r); /* unknown, empty, list, help, skip */
  assert_int_equal(a.kind, MIMIC_ANSWER_SKIP);
  a = ask_human(e, fd[1], "u\nq\n", &q, &r); /* nothing to undo: asked again; then quit */
  assert_int_equal(a.kind, MIMIC_ANSWER_QUIT);
  q.can_undo = true;
  a = ask_human(e, fd[1], "undo\n", &q, &r);
  assert_int_equal(a.kind, MIMIC_ANSWER_UNDO);
  close(fd[1]);
  a = ask_human(e, -1, NULL, &q, &r); /* end of input */
  assert_int_equal(a.kind, MIMIC_ANSWER_QUIT);
  /* what the person saw */
  fflush(out);
  rewind(out);
  char buf[16384];
  size_t n = fread(buf, 1, sizeof buf - 1, out);
  buf[n] = '\0';
  assert_non_null(strstr(buf, "round 1 of 3, question 2 of 10"));
  assert_non_null(strstr(buf, "    where is my refund?\n    still waiting"));
  assert_non_null(strstr(buf, "1  refund"));
  assert_non_null(strstr(buf, "0.50"));
  assert_non_null(strstr(buf, "could be 2 labels"));
  assert_non_null(strstr(buf, "no label is called or starts with 'xyz'"));
  assert_non_null(strstr(buf, "no answer has number 99"));
  assert_non_null(strstr(buf, "nothing to undo"));
  assert_non_null(strstr(buf, "   8 top_up"));
  fclose(out);
  close(fd[0]);
  mimic_labelset_free(&ls);
  mimic_expert_free(e);
}

static void test_bad_configs(void **state) {
  (void)state;
  split s = make_split(5, 20, 50, 0);
  mimic_text_dagger_input in = input_of(&s);
  mimic_text_dagger_config cfg = mimic_text_dagger_defaults();
  mimic_expert *gold = gold_expert();
  mimic_text_dagger_result r;
  cfg.rounds = 0;
  assert_int_equal(mimic_text_dagger_run(&cfg, &in, codec, gold, NULL, &r), MIMIC_ERR_INVALID);
  cfg.rounds = 1;
  in.n_pool = 0;
  assert_int_equal(mimic_text_dagger_run(&cfg, &in, codec, gold, NULL, &r), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "pool is empty"));
  in = input_of(&s);
  in.n_labels = 0;
  const char *bad[] = {"ok", ""};
  in.labels = bad;
  in.n_labels = 2;
  assert_int_equal(mimic_text_dagger_run(&cfg, &in, codec, gold, NULL, &r), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "label 22 "));
  mimic_expert *x;
  assert_int_equal(mimic_text_expert_open("oracle", codec, NULL, &x), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "unknown expert 'oracle'"));
  assert_int_equal(mimic_text_expert_open("cmd:", codec, NULL, &x), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_text_expert_open("file:/no/such/file.csv", codec, NULL, &x),
                   MIMIC_ERR_NOT_FOUND);
  mimic_expert_free(gold);
  split_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accuracy_grows),
      cmocka_unit_test(test_resume_after_sigkill_margin),
      cmocka_unit_test(test_resume_after_sigkill_random),
      cmocka_unit_test(test_undo_skip_quit_resume),
      cmocka_unit_test(test_skipped_items_are_not_asked_again),
      cmocka_unit_test(test_program_expert),
      cmocka_unit_test(test_file_expert_lookup),
      cmocka_unit_test(test_human_expert),
      cmocka_unit_test(test_bad_configs),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
