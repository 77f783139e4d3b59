/* Durable appends: a child process appends episodes and is killed with
 * SIGKILL, at random moments and at every step of the commit protocol
 * (through the MIMIC_TEST_CRASH_AT fault points). Afterwards the dataset
 * must load with every episode whose append had returned, each intact; the
 * committed part (main_data.hdf5 + metadata.json, what h5py/Minari read)
 * must be consistent; and the next writer must fold the journal in. */
#include "testutil.h"

#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "data_fixtures.h"

static mimic_writer_opts busy_opts(void) {
  mimic_writer_opts o = mimic_writer_opts_default();
  o.commit_min_bytes = 0; /* commit by ratio only, and often, */
  o.commit_ratio = 0.15;  /* so kills land inside commits too */
  return o;
}

/* Child: append fixture episodes from the dataset's current count on,
 * reporting each finished append on fd; never returns. */
static void child_append(const char *dir, int fd, int max_episodes, const mimic_writer_opts *o) {
  mimic_data_space os, as;
  fx_cartpole_spaces(&os, &as);
  mimic_dataset_writer *w;
  if (mimic_dataset_writer_open(dir, &os, &as, NULL, o, &w) != MIMIC_OK) {
    fprintf(stderr, "child: open: %s\n", mimic_errmsg());
    _exit(3);
  }
  mimic_episode_buf b;
  mimic_episode_buf_init(&b, 4, 1);
  for (int i = 0; i < max_episodes; i++) {
    size_t e = mimic_dataset_writer_episodes(w);
    fx_episode(&b, e);
    mimic_episode ep = mimic_episode_buf_view(&b);
    if (mimic_dataset_writer_append(w, &ep) != MIMIC_OK) {
      fprintf(stderr, "child: append: %s\n", mimic_errmsg());
      _exit(4);
    }
    uint32_t done = (uint32_t)e;
    if (write(fd, &done, sizeof done) != sizeof done) _exit(5);
  }
  mimic_dataset_writer_close(w);
  _exit(0);
}

/* Checks the dataset holds at least `want` episodes, all fixture-exact, and
 * that the committed part is what Minari would read. Returns the count. */
static size_t check_dataset(const char *dir, size_t want) {
  mimic_dataset ds;
  if (mimic_dataset_load(dir, &ds) != MIMIC_OK) fail_msg("load after crash: %s", mimic_errmsg());
  if (ds.n_episodes < want)
    fail_msg("%zu episodes after the crash, %zu were appended", ds.n_episodes, want);
  for (size_t e = 0; e < ds.n_episodes; e++) {
    mimic_episode ep = mimic_dataset_episode(&ds, e);
    fx_check_episode(&ep, e);
  }
  size_t n = ds.n_episodes;
  mimic_dataset_free(&ds);
  /* Minari's view: metadata.json's total_episodes groups exist in main */
  char *mp = mimic_asprintf("%s/data/metadata.json", dir),
       *mf = mimic_asprintf("%s/data/main_data.hdf5", dir);
  char *t;
  size_t len;
  assert_int_equal(mimic_read_file(mp, &t, &len), MIMIC_OK);
  json_error_t err;
  json_t *m = json_loads(t, 0, &err);
  assert_non_null(m);
  json_int_t total = json_integer_value(json_object_get(m, "total_episodes"));
  assert_true((size_t)total <= n);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(mf, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  for (json_int_t k = 0; k < total; k++) {
    char name[32];
    snprintf(name, sizeof name, "episode_%lld", (long long)k);
    assert_true(H5Lexists(f, name, H5P_DEFAULT) > 0);
  }
  H5Fclose(f);
  json_decref(m);
  free(t);
  free(mp);
  free(mf);
  return n;
}

static void test_random_kills(void **state) {
  (void)state;
  char *dir = tu_tmp_path("crash-random");
  mimic_writer_opts o = busy_opts();
  size_t known = 0;
  srand(1234);
  for (int round = 0; round < 12; round++) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      child_append(dir, fds[1], 100000, &o);
    }
    close(fds[1]);
    /* wait for a few appends, then kill at a random moment */
    int want = 1 + rand() % 12;
    uint32_t last = 0;
    int got = 0;
    while (got < want && read(fds[0], &last, sizeof last) == sizeof last) got++;
    if (got < want) fail_msg("round %d: the child stopped after %d appends", round, got);
    struct timespec ts = {0, (long)(rand() % 4000) * 1000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    /* count every append the child reported before dying */
    while (read(fds[0], &last, sizeof last) == sizeof last) got++;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    size_t n = check_dataset(dir, (size_t)last + 1);
    assert_true(n >= known);
    known = n;
  }
  assert_true(known > 12);
  /* a final clean open folds any journal and leaves a pure Minari folder */
  size_t folded;
  assert_int_equal(mimic_dataset_repair(dir, &folded), MIMIC_OK);
  assert_int_equal(check_dataset(dir, known), known);
  char *j = mimic_asprintf("%s/data/main_data.journal", dir);
  assert_false(mimic_path_exists(j));
  free(j);
  free(dir);
}

/* Runs a child that appends 6 episodes, committing after each, and dies at
 * the third time it reaches `point`. Returns nothing; checks the kill. */
static void crash_at(const char *dir, const char *point, const mimic_writer_opts *o) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    setenv("MIMIC_TEST_CRASH_AT", point, 1);
    setenv("MIMIC_TEST_CRASH_SKIP", "2", 1);
    child_append(dir, fds[1], 6, o);
  }
  close(fds[1]);
  uint32_t last;
  while (read(fds[0], &last, sizeof last) == sizeof last) {
  }
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
    fail_msg("%s: the child was not killed", point);
}

static void test_crash_points(void **state) {
  (void)state;
  mimic_writer_opts every = mimic_writer_opts_default();
  every.commit_min_bytes = 0; /* commit on every append */
  every.commit_ratio = 0;
  struct {
    const char *point;
    size_t want;   /* episodes mimic loads after the crash */
    size_t minari; /* total_episodes in metadata.json (Minari's view) */
  } cases[] = {
      {"append_before_rename", 2, 2}, /* the third episode was being written: lost */
      {"commit_before_main", 3, 2},   /* journaled, commit not yet visible */
      {"commit_after_main", 3, 2},    /* main has 3 groups, metadata still says 2 */
      {"commit_after_meta", 3, 3},    /* committed; journal not yet cleaned */
      {"commit_mid_cleanup", 3, 3},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char name[64];
    snprintf(name, sizeof name, "crash-%s", cases[i].point);
    char *dir = tu_tmp_path(name);
    crash_at(dir, cases[i].point, &every);
    assert_int_equal(check_dataset(dir, cases[i].want), cases[i].want);
    mimic_dataset_summary sum;
    assert_int_equal(mimic_dataset_summarize(dir, &sum, NULL, NULL, NULL), MIMIC_OK);
    assert_int_equal(sum.n_episodes, cases[i].want);
    assert_int_equal(sum.n_episodes - sum.n_pending, cases[i].minari);
    /* a new writer folds the journal, cleans temps, and appends after it */
    mimic_data_space os, as;
    fx_cartpole_spaces(&os, &as);
    mimic_dataset_writer *w;
    assert_int_equal(mimic_dataset_writer_open(dir, &os, &as, NULL, NULL, &w), MIMIC_OK);
    assert_int_equal(mimic_dataset_writer_pending(w), 0);
    assert_int_equal(mimic_dataset_writer_episodes(w), cases[i].want);
    mimic_episode_buf b;
    mimic_episode_buf_init(&b, 4, 1);
    fx_episode(&b, cases[i].want);
    mimic_episode ep = mimic_episode_buf_view(&b);
    assert_int_equal(mimic_dataset_writer_append(w, &ep), MIMIC_OK);
    assert_int_equal(mimic_dataset_writer_close(w), MIMIC_OK);
    mimic_episode_buf_free(&b);
    mimic_data_space_free(&os);
    mimic_data_space_free(&as);
    assert_int_equal(check_dataset(dir, cases[i].want + 1), cases[i].want + 1);
    assert_int_equal(mimic_dataset_summarize(dir, &sum, NULL, NULL, NULL), MIMIC_OK);
    assert_int_equal(sum.n_pending, 0);
    /* no temp files are left behind */
    char *cmd = mimic_asprintf("find '%s' -name '*.tmp.*' | grep -q .", dir);
    assert_int_not_equal(system(cmd), 0);
    free(cmd);
    free(dir);
  }
}

static void test_overwrite_crash(void **state) {
  (void)state;
  char *dir = tu_tmp_path("crash-overwrite");
  mimic_dataset a, b;
  fx_dataset(&a, 4);
  fx_dataset(&b, 9);
  assert_int_equal(mimic_dataset_save(&a, dir, NULL), MIMIC_OK);
  pid_t pid = fork();
  if (pid == 0) {
    setenv("MIMIC_TEST_CRASH_AT", "install_between_renames", 1);
    mimic_write_opts o = mimic_write_opts_default();
    o.overwrite = true;
    mimic_dataset_save(&b, dir, &o);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  /* data/ is gone for an instant; data.new holds the complete new dataset,
   * which mimic reads (Minari needs the repair below to find it) */
  mimic_dataset ds;
  assert_int_equal(mimic_dataset_load(dir, &ds), MIMIC_OK);
  assert_int_equal(ds.n_episodes, 9);
  for (size_t e = 0; e < 9; e++) {
    mimic_episode ep = mimic_dataset_episode(&ds, e);
    fx_check_episode(&ep, e);
  }
  mimic_dataset_free(&ds);
  assert_int_equal(mimic_dataset_repair(dir, NULL), MIMIC_OK);
  char *data = mimic_asprintf("%s/data/main_data.hdf5", dir),
       *nw = mimic_asprintf("%s/data.new", dir);
  assert_true(mimic_path_exists(data));
  assert_false(mimic_path_exists(nw));
  assert_int_equal(check_dataset(dir, 9), 9);
  free(data);
  free(nw);
  mimic_dataset_free(&a);
  mimic_dataset_free(&b);
  free(dir);
}

static void test_writer_basics(void **state) {
  (void)state;
  char *dir = tu_tmp_path("writer");
  mimic_data_space os, as;
  fx_cartpole_spaces(&os, &as);
  mimic_dataset_meta meta;
  mimic_dataset_meta_init(&meta);
  mimic_dataset_meta_set(&meta.env_id, "CartPole-v1");
  mimic_dataset_meta_set(&meta.dataset_id, "mimic/cartpole/expert-v0");
  mimic_writer_opts o = mimic_writer_opts_default();
  o.commit_min_bytes = 0;
  o.commit_ratio = 1e9; /* never commit by itself */
  o.commit_on_close = false;
  mimic_dataset_writer *w, *w2;
  assert_int_equal(mimic_dataset_writer_open(dir, &os, &as, &meta, &o, &w), MIMIC_OK);
  /* the dataset exists (empty) from the start */
  mimic_dataset ds;
  assert_int_equal(mimic_dataset_load(dir, &ds), MIMIC_OK);
  assert_int_equal(ds.n_episodes, 0);
  mimic_dataset_free(&ds);
  /* one writer at a time */
  assert_int_not_equal(mimic_dataset_writer_open(dir, &os, &as, NULL, NULL, &w2), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "another process is writing"));
  mimic_episode_buf b;
  mimic_episode_buf_init(&b, 4, 1);
  for (size_t e = 0; e < 5; e++) {
    fx_episode(&b, e);
    mimic_episode ep = mimic_episode_buf_view(&b);
    assert_int_equal(mimic_dataset_writer_append(w, &ep), MIMIC_OK);
  }
  assert_int_equal(mimic_dataset_writer_pending(w), 5);
  assert_int_equal(check_dataset(dir, 5), 5); /* journaled episodes load */
  assert_int_equal(mimic_dataset_writer_commit(w), MIMIC_OK);
  assert_int_equal(mimic_dataset_writer_pending(w), 0);
  /* the committed files are readable by other users, like metadata.json */
  const char *names[] = {"main_data.hdf5", "metadata.json"};
  for (size_t i = 0; i < 2; i++) {
    char *path = mimic_asprintf("%s/data/%s", dir, names[i]);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    if ((sb.st_mode & 0777) != 0644) fail_msg("%s: mode %o, not 644", path, sb.st_mode & 0777);
    free(path);
  }
  /* a bad episode is refused and changes nothing */
  float bad = 3;
  mimic_episode ep = mimic_episode_buf_view(&b);
  ep.act = &bad;
  ep.T = 1;
  assert_int_equal(mimic_dataset_writer_append(w, &ep), MIMIC_ERR_RANGE);
  assert_int_equal(mimic_dataset_writer_episodes(w), 5);
  assert_int_equal(mimic_dataset_writer_close(w), MIMIC_OK);
  /* reopening with other spaces is refused */
  mimic_space other = {MIMIC_SPACE_DISCRETE, 3, 1, 0, {0}, NULL, NULL};
  mimic_data_space as3;
  mimic_data_space_from_env(&as3, &other);
  assert_int_not_equal(mimic_dataset_writer_open(dir, &os, &as3, NULL, NULL, &w2), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "action space differs"));
  assert_int_equal(mimic_dataset_load(dir, &ds), MIMIC_OK);
  assert_string_equal(ds.meta.dataset_id, "mimic/cartpole/expert-v0");
  assert_string_equal(ds.meta.env_id, "CartPole-v1");
  assert_int_equal(ds.n_episodes, 5);
  mimic_dataset_free(&ds);
  mimic_data_space_free(&as3);
  mimic_episode_buf_free(&b);
  mimic_dataset_meta_free(&meta);
  mimic_data_space_free(&os);
  mimic_data_space_free(&as);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_writer_basics),
      cmocka_unit_test(test_crash_points),
      cmocka_unit_test(test_overwrite_crash),
      cmocka_unit_test(test_random_kills),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
