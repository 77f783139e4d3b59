/* The trace transformer policy (agent/tf_policy.h) and its byte-pair
 * vocabulary (agent/bpe.h): merges worked out by hand, ties, round trips
 * and bytes never seen; a task only order can solve (which tool came
 * first, three moves back) that the transformer learns and the logistic
 * policy cannot; the model file's round trip and its refusals of damaged
 * files; the same seed giving the same file byte for byte. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/bpe.h"
#include "mimic/agent.h"
#include "mimic/container.h"

/* internal: traces from a buffer (agent/agent_impl.h) */
mimic_status mimic_agent_traces_parse(const char *buf, size_t len, const char *name,
                                      mimic_agent_format fmt, mimic_agent_traces *out);

static void assert_ids(const int32_t *got, size_t n, const int32_t *want, size_t n_want) {
  assert_int_equal(n, n_want);
  for (size_t i = 0; i < n; i++) assert_int_equal(got[i], want[i]);
}

static void test_bpe_merges(void **st) {
  (void)st;
  /* chunks "abab" x2 and " abab" x1: (a,b) occurs 6 times, then (ab,ab) 3
   * times, then only (" ", abab) is left, once: two merges of ten asked */
  const char *texts[] = {"abab abab", "abab"};
  size_t lens[] = {9, 4};
  agent_bpe b;
  assert_int_equal(agent_bpe_train(&b, texts, lens, 2, 10), MIMIC_OK);
  assert_int_equal(b.n_merges, 2);
  assert_int_equal(agent_bpe_vocab(&b), 258);
  const int32_t want_pairs[] = {'a', 'b', 256, 256};
  assert_ids(b.pairs, 4, want_pairs, 4);
  int32_t out[16];
  assert_ids(out, agent_bpe_encode(&b, "abab", 4, out), (int32_t[]){257}, 1);
  assert_ids(out, agent_bpe_encode(&b, "aba", 3, out), (int32_t[]){256, 'a'}, 2);
  assert_ids(out, agent_bpe_encode(&b, " abab!", 6, out), (int32_t[]){' ', 257, '!'}, 3);
  /* merges never cross chunks: "ab" then "-ab" is not "abab" */
  assert_ids(out, agent_bpe_encode(&b, "ab-ab", 5, out), (int32_t[]){256, '-', 256}, 3);
  agent_bpe_free(&b);

  /* ties go to the lowest pair of ids: (' ', 'c') < ('a', 'b') < ('c', 'd') */
  const char *t2[] = {"ab cd ab cd"};
  size_t l2[] = {11};
  assert_int_equal(agent_bpe_train(&b, t2, l2, 1, 100), MIMIC_OK);
  const int32_t want2[] = {' ', 'c', 'a', 'b', 256, 'd'};
  assert_ids(b.pairs, 2 * (size_t)b.n_merges, want2, 6);
  agent_bpe_free(&b);
}

static void test_bpe_round_trip_and_unknown_bytes(void **st) {
  (void)st;
  const char *texts[] = {"the flight HAT069 leaves at 10:30", "the flight HAT170 is full",
                         "reservation ZFA04Y for the flight"};
  size_t lens[] = {strlen(texts[0]), strlen(texts[1]), strlen(texts[2])};
  agent_bpe b;
  assert_int_equal(agent_bpe_train(&b, texts, lens, 3, 50), MIMIC_OK);
  assert_true(b.n_merges > 5);
  /* bytes never seen in training (NUL, 0xff, '~', UTF-8) encode as themselves */
  const char probe[] = "the flight \x00\xff~ caf\xc3\xa9 HAT069";
  size_t n = sizeof probe - 1;
  int32_t ids[64];
  size_t k = agent_bpe_encode(&b, probe, n, ids);
  assert_true(k < n); /* the known words merged */
  bool saw_ff = false, saw_nul = false;
  for (size_t i = 0; i < k; i++) {
    assert_true(ids[i] >= 0 && ids[i] < agent_bpe_vocab(&b));
    saw_ff |= ids[i] == 0xff;
    saw_nul |= ids[i] == 0;
  }
  assert_true(saw_ff && saw_nul);
  char back[64];
  assert_int_equal(agent_bpe_decode(&b, ids, k, back, sizeof back), n);
  assert_memory_equal(back, probe, n);
  /* an id outside the vocabulary cannot be decoded */
  int32_t bad = agent_bpe_vocab(&b);
  assert_int_equal(agent_bpe_decode(&b, &bad, 1, back, sizeof back), (size_t)-1);
  /* a stored merge list rebuilds the same encoder */
  agent_bpe c;
  assert_int_equal(agent_bpe_from_pairs(&c, b.pairs, b.n_merges, "test"), MIMIC_OK);
  int32_t ids2[64];
  assert_ids(ids2, agent_bpe_encode(&c, probe, n, ids2), ids, k);
  agent_bpe_free(&c);
  /* damaged merge lists: a later token, a repeated pair, a negative id */
  int32_t later[] = {256, 'a'}, twice[] = {'a', 'b', 'a', 'b'}, neg[] = {-1, 'a'};
  assert_int_not_equal(agent_bpe_from_pairs(&c, later, 1, "m.mimic"), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "merge 0 joins tokens 256 and 97"));
  assert_int_not_equal(agent_bpe_from_pairs(&c, twice, 2, "m.mimic"), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "repeats"));
  assert_int_not_equal(agent_bpe_from_pairs(&c, neg, 1, "m.mimic"), MIMIC_OK);
  agent_bpe_free(&b);
}

/* Traces of four moves x/y (two of each, in all six orders), then p when
 * the first move was x and q otherwise; every observation is "ok". The
 * last two moves and the counts leave p/q ambiguous in four of six orders. */
static const char *orders[6] = {"xxyy", "xyxy", "xyyx", "yxxy", "yxyx", "yyxx"};

static void order_traces(mimic_agent_traces *t, int copies) {
  size_t cap = 1 << 20, len = 0;
  char *buf = malloc(cap);
  for (int c = 0; c < copies; c++)
    for (int o = 0; o < 6; o++) {
      len += (size_t)snprintf(buf + len, cap - len,
                              "{\"id\": \"t%d-%d\", \"task\": \"%d\", \"request\": \"help\", "
                              "\"steps\": [",
                              c, o, c * 6 + o);
      for (int k = 0; k < 4; k++)
        len += (size_t)snprintf(buf + len, cap - len,
                                "{\"action\": {\"tool\": \"%c\", \"arguments\": {}}, "
                                "\"observation\": \"ok\"},",
                                orders[o][k]);
      len += (size_t)snprintf(buf + len, cap - len,
                              "{\"action\": {\"tool\": \"%s\", \"arguments\": {}}}]}\n",
                              orders[o][0] == 'x' ? "p" : "q");
    }
  assert_int_equal(mimic_agent_traces_parse(buf, len, "orders", MIMIC_AGENT_FORMAT_MIMIC, t),
                   MIMIC_OK);
  assert_int_equal(t->n_problems, 0);
  free(buf);
}

static void small_config(mimic_agent_config *cfg) {
  mimic_agent_config_default(cfg);
  cfg->policy = MIMIC_AGENT_TRANSFORMER;
  cfg->tf.context = 32;
  cfg->tf.embd = 32;
  cfg->tf.merges = 16;
  cfg->tf.segment = 64;
  cfg->tf.epochs = 12;
  cfg->tf.lr = 3e-3;
  cfg->keep_demos = false;
  cfg->n_threads = 1;
}

/* Share of the six final states (after four moves) predicted right. */
static double final_accuracy(const mimic_agent_model *m, const mimic_agent_examples *ex,
                             double *proba_out) {
  mimic_agent_scratch *sc;
  assert_int_equal(mimic_agent_scratch_new(m, &sc), MIMIC_OK);
  int right = 0, n = 0, K = mimic_agent_n_actions(m);
  for (size_t i = 0; i < ex->n && n < 6; i++) {
    if (ex->ex[i].state.n_previous != 4) continue;
    mimic_agent_prediction p;
    assert_int_equal(mimic_agent_predict(m, &ex->ex[i].state, sc, &p), MIMIC_OK);
    right += p.action >= 0 && !strcmp(mimic_agent_action(m, p.action), ex->ex[i].action);
    if (proba_out) memcpy(proba_out + (size_t)n * K, p.proba, (size_t)K * sizeof *p.proba);
    n++;
  }
  assert_int_equal(n, 6);
  mimic_agent_scratch_free(sc);
  return right / 6.0;
}

static void test_learns_order(void **st) {
  (void)st;
  mimic_agent_traces t = {0};
  order_traces(&t, 20);
  mimic_agent_examples ex = {0};
  assert_int_equal(mimic_agent_examples_add_traces(&ex, &t, NULL), MIMIC_OK);
  mimic_agent_config cfg;
  small_config(&cfg);
  mimic_agent_model *tf, *lr;
  assert_int_equal(mimic_agent_fit(ex.ex, ex.n, &cfg, &tf), MIMIC_OK);
  assert_int_equal(mimic_agent_kind(tf), MIMIC_AGENT_TRANSFORMER);
  cfg.policy = MIMIC_AGENT_LOGREG;
  assert_int_equal(mimic_agent_fit(ex.ex, ex.n, &cfg, &lr), MIMIC_OK);
  double acc_tf = final_accuracy(tf, &ex, NULL), acc_lr = final_accuracy(lr, &ex, NULL);
  print_message("final move right: transformer %.3f, logreg %.3f\n", acc_tf, acc_lr);
  assert_true(acc_tf == 1.0);
  assert_true(acc_lr <= 4 / 6.0 + 1e-9);
  mimic_agent_free(tf);
  mimic_agent_free(lr);
  mimic_agent_examples_free(&ex);
  mimic_agent_traces_free(&t);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc(*len + 1);
  assert_int_equal(fread(b, 1, *len, f), *len);
  fclose(f);
  return b;
}

/* Rewrites the model file at src into dst with one change; kind: 0 drop
 * meta.transformer, 1 a wider meta.transformer.embd, 2 a merge naming a
 * later token. (The container itself refuses flipped bits and non-finite floats.) */
static void damage(const char *src, const char *dst, int kind) {
  mimic_container c;
  assert_int_equal(mimic_container_read(src, &c), MIMIC_OK);
  json_t *tj = json_object_get(c.meta, "transformer");
  void *copy = NULL;
  if (kind == 0) json_object_del(c.meta, "transformer");
  if (kind == 1) json_object_set_new(tj, "embd", json_integer(48));
  for (int i = 0; i < c.n_arrays && kind >= 2; i++) {
    mimic_container_array *a = &c.arrays[i];
    size_t bytes = a->count * mimic_array_type_size(a->type);
    if (kind == 2 && !strcmp(a->name, "bpe_merges")) {
      copy = malloc(bytes);
      memcpy(copy, a->data, bytes);
      ((int32_t *)copy)[0] = 999;
      a->data = copy;
    }
  }
  assert_int_equal(mimic_container_save(&c, dst), MIMIC_OK);
  mimic_container_free(&c);
  free(copy);
}

static void test_file_round_trip_and_determinism(void **st) {
  (void)st;
  mimic_agent_traces t = {0};
  order_traces(&t, 4);
  mimic_agent_examples ex = {0};
  assert_int_equal(mimic_agent_examples_add_traces(&ex, &t, NULL), MIMIC_OK);
  mimic_agent_config cfg;
  small_config(&cfg);
  cfg.tf.epochs = 2;
  mimic_agent_model *a, *b, *c, *back, *back2 = NULL;
  assert_int_equal(mimic_agent_fit(ex.ex, ex.n, &cfg, &a), MIMIC_OK);
  assert_int_equal(mimic_agent_fit(ex.ex, ex.n, &cfg, &b), MIMIC_OK);
  cfg.tf.seed = 1;
  assert_int_equal(mimic_agent_fit(ex.ex, ex.n, &cfg, &c), MIMIC_OK);
  char *pa = tu_tmp_path("tf_a.mimic"), *pb = tu_tmp_path("tf_b.mimic"),
       *pc = tu_tmp_path("tf_c.mimic"), *pd = tu_tmp_path("tf_damaged.mimic");
  assert_int_equal(mimic_agent_save(a, pa), MIMIC_OK);
  assert_int_equal(mimic_agent_save(b, pb), MIMIC_OK);
  assert_int_equal(mimic_agent_save(c, pc), MIMIC_OK);
  size_t la, lb, lc;
  char *fa = slurp(pa, &la), *fb = slurp(pb, &lb), *fc = slurp(pc, &lc);
  assert_int_equal(la, lb);
  assert_memory_equal(fa, fb, la); /* the same seed: the same file, byte for byte */
  assert_true(la != lc || memcmp(fa, fc, la) != 0);
  /* loaded, it predicts exactly what the fitted model does */
  assert_int_equal(mimic_agent_load(pa, &back), MIMIC_OK);
  assert_int_equal(mimic_agent_kind(back), MIMIC_AGENT_TRANSFORMER);
  int K = mimic_agent_n_actions(a);
  assert_int_equal(mimic_agent_n_actions(back), K);
  double *p1 = malloc(6 * (size_t)K * sizeof *p1), *p2 = malloc(6 * (size_t)K * sizeof *p2);
  final_accuracy(a, &ex, p1);
  final_accuracy(back, &ex, p2);
  assert_memory_equal(p1, p2, 6 * (size_t)K * sizeof *p1);
  /* damaged files are refused, saying what is wrong */
  const char *want[] = {"meta.transformer is missing", "transformer_params", "merge 0 joins"};
  for (int k = 0; k < 3; k++) {
    damage(pa, pd, k);
    mimic_agent_model *m = NULL;
    assert_int_not_equal(mimic_agent_load(pd, &m), MIMIC_OK);
    assert_null(m);
    print_message("damage %d: %s\n", k, mimic_errmsg());
    assert_non_null(strstr(mimic_errmsg(), want[k]));
  }
  /* a flipped byte in the parameters, and a cut file */
  fa[la - 64] ^= 0x10;
  FILE *g = fopen(pd, "wb");
  fwrite(fa, 1, la, g);
  fclose(g);
  assert_int_not_equal(mimic_agent_load(pd, &back2), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "tf_damaged.mimic"));
  FILE *f = fopen(pd, "wb");
  fwrite(fa, 1, la / 2, f);
  fclose(f);
  mimic_agent_model *m = NULL;
  assert_int_not_equal(mimic_agent_load(pd, &m), MIMIC_OK);
  free(p1);
  free(p2);
  free(fa);
  free(fb);
  free(fc);
  free(pa);
  free(pb);
  free(pc);
  free(pd);
  mimic_agent_free(a);
  mimic_agent_free(b);
  mimic_agent_free(c);
  mimic_agent_free(back);
  mimic_agent_examples_free(&ex);
  mimic_agent_traces_free(&t);
}

static void test_bad_config(void **st) {
  (void)st;
  mimic_agent_config cfg;
  small_config(&cfg);
  assert_int_equal(mimic_agent_config_check(&cfg), MIMIC_OK);
  cfg.tf.heads = 3; /* 32 is not a multiple of 3 */
  assert_int_not_equal(mimic_agent_config_check(&cfg), MIMIC_OK);
  small_config(&cfg);
  cfg.tf.context = 1;
  assert_int_not_equal(mimic_agent_config_check(&cfg), MIMIC_OK);
  small_config(&cfg);
  cfg.tf.lr = 0;
  assert_int_not_equal(mimic_agent_config_check(&cfg), MIMIC_OK);
  mimic_agent_policy_kind k;
  assert_int_equal(mimic_agent_policy_parse("transformer", &k), MIMIC_OK);
  assert_int_equal(k, MIMIC_AGENT_TRANSFORMER);
  assert_string_equal(mimic_agent_policy_name(k), "transformer");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bpe_merges),   cmocka_unit_test(test_bpe_round_trip_and_unknown_bytes),
      cmocka_unit_test(test_learns_order), cmocka_unit_test(test_file_round_trip_and_determinism),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
