/* A transformer policy (a model with cfg.tf, nn/tf_trunk.h, behind the
 * policy interface): BC on windows has the gradient finite differences
 * give; a window padded on the right answers as the same window unpadded;
 * each stream a batch names keeps its own window of the last K
 * observations (the oldest dropped, emptied at an episode's start), so the
 * policy answers what the model answers on that window; the model file
 * keeps the architecture and the answers; bad configurations are refused. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "mimic/nn.h"
#include "mimic/policy.h"
#include "nn/model.h"

enum { D = 4, A = 3, K = 3 };

static void make(mimic_model *m, int rows) {
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, D, A, MIMIC_HEAD_CATEGORICAL);
  cfg.critic = false;
  cfg.n_hidden = 1;
  cfg.hidden[0] = 6;
  cfg.tf = (mimic_tf_config){.context = K, .layers = 2, .heads = 2, .embd = 8};
  assert_int_equal(mimic_model_create(m, &cfg, rows), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 21);
  assert_int_equal(mimic_model_init_params(m, MIMIC_INIT_TORCH, &rng), MIMIC_OK);
  for (size_t k = 0; k < m->n_params; k++) m->params[k] *= 2.0f; /* every path matters */
}

typedef struct seq_ctx {
  mimic_model *m;
  const float *obs, *mask;
  const int32_t *acts;
  int B, T;
} seq_ctx;

static double seq_loss(seq_ctx *c) {
  mimic_bc_stats st;
  mimic_model_zero_grad(c->m);
  assert_int_equal(
      mimic_model_bc_sequences(c->m, c->obs, c->acts, c->mask, c->B, c->T, 0.0f, 0.0f, &st),
      MIMIC_OK);
  return st.loss;
}

static void test_windows_gradient(void **state) {
  (void)state;
  mimic_model m;
  make(&m, 6);
  enum { B = 2, T = 3 };
  float obs[B * T * D], mask[B * T] = {1, 1, 1, 1, 1, 0};
  int32_t acts[B * T] = {0, 2, 1, 1, 0, 0};
  mimic_rng rng;
  mimic_rng_seed(&rng, 3);
  for (int i = 0; i < B * T * D; i++) obs[i] = (float)mimic_rng_normal(&rng);
  seq_ctx c = {&m, obs, mask, acts, B, T};
  seq_loss(&c);
  float *grad = malloc(m.n_params * sizeof(float));
  memcpy(grad, m.grads, m.n_params * sizeof(float));
  for (size_t k = 0; k < m.n_params; k++) {
    float saved = m.params[k], h = 2e-3f;
    m.params[k] = saved + h;
    double up = seq_loss(&c);
    m.params[k] = saved - h;
    double dn = seq_loss(&c);
    m.params[k] = saved;
    double fd = (up - dn) / (2.0 * h), tol = 1e-3 + 1e-2 * fabs(fd);
    if (!(fabs(fd - grad[k]) <= tol))
      fail_msg("param %zu: finite difference %.6g vs analytic %.6g", k, fd, (double)grad[k]);
  }
  free(grad);
  mimic_model_free(&m);
}

/* The probabilities of the rows of the last actor forward. */
static void probs(const mimic_model *m, int n, double *out) {
  for (int i = 0; i < n; i++) {
    const float *z = m->actor.out + (size_t)i * A;
    double mx = z[0], s = 0;
    for (int a = 1; a < A; a++) mx = z[a] > mx ? z[a] : mx;
    for (int a = 0; a < A; a++) s += exp(z[a] - mx);
    for (int a = 0; a < A; a++) out[i * A + a] = exp(z[a] - mx) / s;
  }
}

static void test_streams_keep_their_windows(void **state) {
  (void)state;
  mimic_model ref, m;
  make(&ref, 16);
  make(&m, 16);
  mimic_space as = mimic_space_discrete(A);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(&m, &as, &p), MIMIC_OK);
  assert_non_null(strstr(mimic_policy_describe(p), "transformer 4-tf3x2x8-6-3"));
  enum { STEPS = 6 };
  float o[STEPS][2 * D];
  mimic_rng rng;
  mimic_rng_seed(&rng, 9);
  for (int t = 0; t < STEPS; t++)
    for (int k = 0; k < 2 * D; k++) o[t][k] = (float)mimic_rng_uniform(&rng, -1, 1);
  int streams[2] = {1, 0}; /* stream 1 is row 0: streams need not be rows */
  for (int t = 0; t < STEPS; t++) {
    /* stream 0 restarts its episode at step 4 */
    bool starts[2] = {t == 0, t == 0 || t == 4};
    double got[2 * A], want[2 * A];
    float actions[2];
    mimic_act_batch b = {.n = 2,
                         .obs = o[t],
                         .actions = actions,
                         .proba = got,
                         .deterministic = true,
                         .streams = streams,
                         .starts = starts};
    assert_int_equal(mimic_policy_act(p, &b), MIMIC_OK);
    /* the windows by hand: row r's last min(t+1, K) observations (stream 0 from step 4) */
    for (int r = 0; r < 2; r++) {
      int first = r == 1 && t >= 4 ? 4 : 0, from = t + 1 - K > first ? t + 1 - K : first;
      int len = t + 1 - from;
      float win[K * D];
      for (int k = 0; k < len; k++) memcpy(win + k * D, o[from + k] + r * D, D * sizeof(float));
      assert_int_equal(mimic_model_windows(&ref, win, &len, 1, len), MIMIC_OK);
      probs(&ref, 1, want + r * A);
    }
    for (int k = 0; k < 2 * A; k++)
      if (fabs(got[k] - want[k]) > 1e-6)
        fail_msg("step %d, entry %d: %.8f vs %.8f", t, k, got[k], want[k]);
  }
  /* a window padded on the right answers as itself */
  float pad[2 * K * D];
  memset(pad, 0, sizeof pad);
  memcpy(pad, o[0], 2 * D * sizeof(float));     /* window 0: 2 steps */
  memcpy(pad + K * D, o[1], D * sizeof(float)); /* window 1: 1 step */
  int lens[2] = {2, 1};
  double a[2 * A], c[A];
  assert_int_equal(mimic_model_windows(&ref, pad, lens, 2, K), MIMIC_OK);
  probs(&ref, 2, a);
  assert_int_equal(mimic_model_windows(&ref, o[1], &lens[1], 1, 1), MIMIC_OK);
  probs(&ref, 1, c);
  for (int k = 0; k < A; k++) assert_true(fabs(a[A + k] - c[k]) < 1e-6);
  lens[0] = 0;
  assert_int_equal(mimic_model_windows(&ref, pad, lens, 2, K), MIMIC_ERR_INVALID);
  /* the file keeps the architecture and the answers */
  char *path = tu_tmp_path("tf.mimic");
  assert_int_equal(mimic_model_save(mimic_policy_model(p), path), MIMIC_OK);
  mimic_model back;
  assert_int_equal(mimic_model_load(path, &ref.cfg, 16, &back), MIMIC_OK);
  assert_int_equal(memcmp(back.params, ref.params, ref.n_params * sizeof(float)), 0);
  mimic_model_config other = ref.cfg;
  other.tf.context = 4;
  mimic_model junk;
  assert_int_equal(mimic_model_load(path, &other, 16, &junk), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "transformer"));
  /* configurations a transformer refuses */
  other = ref.cfg;
  other.tf.embd = 7;
  assert_int_equal(mimic_model_create(&junk, &other, 4), MIMIC_ERR_INVALID);
  other = ref.cfg;
  other.gru_hidden = 4;
  assert_int_equal(mimic_model_create(&junk, &other, 4), MIMIC_ERR_INVALID);
  other = ref.cfg;
  other.head = MIMIC_HEAD_GAUSSIAN;
  assert_int_equal(mimic_model_create(&junk, &other, 4), MIMIC_ERR_INVALID);
  free(path);
  mimic_model_free(&back);
  mimic_model_free(&ref);
  mimic_policy_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_windows_gradient),
      cmocka_unit_test(test_streams_keep_their_windows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
