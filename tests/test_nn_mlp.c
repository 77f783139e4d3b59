/* MLP layers: forward and backward against PyTorch's reference vectors
 * (testdata/nn/mlp_forward_backward.json, f64 block, README tolerances),
 * finite-difference checks of Linear, tanh, ReLU and whole MLPs, the fast
 * tanh's accuracy, and the initialisers (seeded bit for bit, PyTorch's
 * bounds, orthogonality). */
#include "nn_testutil.h"
#include "nn/layers.h"

/* ---- reference vectors --------------------------------------------------- */

static void run_mlp_case(const json_t *c, int extra_rows) {
  int sizes[MIMIC_MLP_MAX_LAYERS + 1];
  int n = nt_sizes(c, "sizes", sizes), L = n - 1;
  int B = (int)tu_num(c, "batch");
  const char *name = json_string_value(nt_get(c, "name"));
  mimic_mlp m;
  assert_int_equal(mimic_mlp_create(&m, sizes, n, nt_act(c), B + extra_rows, NULL, NULL), MIMIC_OK);
  nt_load_layers(nt_get(c, "params"), &m);
  size_t nx, ng;
  float *x = tu_tensor_f32(nt_get(c, "x"), &nx);
  float *G = tu_tensor_f32(nt_get(c, "upstream_grad"), &ng);
  assert_int_equal(nx, (size_t)B * sizes[0]);
  assert_int_equal(ng, (size_t)B * sizes[L]);
  const json_t *ref = nt_get(c, "f64");

  assert_int_equal(mimic_mlp_forward(&m, x, B), MIMIC_OK);
  char what[160];
  snprintf(what, sizeof what, "%s logits", name);
  nt_check(m.out, nt_get(ref, "logits"), ng, NT_ATOL, NT_RTOL, what);
  for (int l = 0; l < L - 1; l++) {
    size_t k = (size_t)B * sizes[l + 1];
    snprintf(what, sizeof what, "%s hidden_pre[%d]", name, l);
    nt_check(m.pre[l], json_array_get(nt_get(ref, "hidden_pre"), l), k, NT_ATOL, NT_RTOL, what);
    snprintf(what, sizeof what, "%s hidden[%d]", name, l);
    nt_check(m.hid[l], json_array_get(nt_get(ref, "hidden"), l), k, NT_ATOL, NT_RTOL, what);
  }
  double loss = 0;
  for (size_t k = 0; k < ng; k++) loss += (double)G[k] * m.out[k];
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(loss, nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);

  float *dx = calloc(nx, sizeof *dx);
  mimic_mlp_zero_grad(&m);
  assert_int_equal(mimic_mlp_backward(&m, x, G, B, dx), MIMIC_OK);
  snprintf(what, sizeof what, "%s grads", name);
  nt_check_layers(m.grads, &m, nt_get(ref, "grads"), NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad_x", name);
  nt_check(dx, nt_get(ref, "grad_x"), nx, NT_ATOL, NT_RTOL, what);

  /* gradients accumulate: a second backward doubles them (up to rounding) */
  float *g1 = malloc(m.n_params * sizeof *g1);
  memcpy(g1, m.grads, m.n_params * sizeof *g1);
  assert_int_equal(mimic_mlp_backward(&m, x, G, B, NULL), MIMIC_OK);
  for (size_t k = 0; k < m.n_params; k++)
    assert_true(fabsf(m.grads[k] - 2.0f * g1[k]) <= 1e-6f * (1.0f + fabsf(g1[k])));
  free(g1);
  free(dx);
  free(x);
  free(G);
  mimic_mlp_free(&m);
}

static void test_mlp_reference_vectors(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/mlp_forward_backward.json");
  size_t i;
  json_t *c;
  /* at least one case, whatever the recording holds */
  assert_true(json_array_size(nt_get(f, "cases")) >= 1);
  json_array_foreach(nt_get(f, "cases"), i, c) {
    run_mlp_case(c, 0);
    run_mlp_case(c, 13); /* a cache bigger than the batch */
  }
  json_decref(f);
}

/* ---- finite differences -------------------------------------------------- */

typedef struct lin_ctx {
  float *out, *inp, *W, *b, *G;
  int B, C, OC;
} lin_ctx;

static double lin_loss(void *p) {
  lin_ctx *c = p;
  mimic_linear_forward(c->out, c->inp, c->W, c->b, c->B, c->C, c->OC);
  double s = 0;
  for (int k = 0; k < c->B * c->OC; k++) s += (double)c->G[k] * c->out[k];
  return s;
}

static void test_linear_fd(void **state) {
  (void)state;
  mimic_rng rng;
  mimic_rng_seed(&rng, 11);
  enum { B = 3, C = 5, OC = 4 };
  float inp[B * C], W[OC * C], b[OC], G[B * OC], out[B * OC];
  float dW[OC * C] = {0}, db[OC] = {0}, dinp[B * C];
  nt_fill(inp, B * C, -1, 1, &rng);
  nt_fill(W, OC * C, -1, 1, &rng);
  nt_fill(b, OC, -1, 1, &rng);
  nt_fill(G, B * OC, -1, 1, &rng);
  lin_ctx c = {out, inp, W, b, G, B, C, OC};
  lin_loss(&c);
  mimic_linear_backward(dinp, dW, db, G, inp, W, B, C, OC);
  nt_fd_check(lin_loss, &c, W, dW, OC * C, 1e-2f, 1e-4, 1e-3, "linear dW");
  nt_fd_check(lin_loss, &c, b, db, OC, 1e-2f, 1e-4, 1e-3, "linear db");
  nt_fd_check(lin_loss, &c, inp, dinp, B * C, 1e-2f, 1e-4, 1e-3, "linear dinp");
  /* without a bias */
  c.b = NULL;
  float dinp2[B * C];
  mimic_linear_backward(dinp2, NULL, NULL, G, inp, W, B, C, OC);
  nt_fd_check(lin_loss, &c, inp, dinp2, B * C, 1e-2f, 1e-4, 1e-3, "linear dinp (no bias)");
}

typedef struct act_ctx {
  float *x, *y, *G;
  size_t n;
  mimic_activation act;
} act_ctx;

static double act_loss(void *p) {
  act_ctx *c = p;
  if (c->act == MIMIC_ACT_TANH)
    mimic_tanh_forward(c->y, c->x, c->n);
  else
    mimic_relu_forward(c->y, c->x, c->n);
  double s = 0;
  for (size_t k = 0; k < c->n; k++) s += (double)c->G[k] * c->y[k];
  return s;
}

static void test_activation_fd(void **state) {
  (void)state;
  mimic_rng rng;
  mimic_rng_seed(&rng, 12);
  enum { N = 37 };
  float x[N], y[N], G[N], dx[N];
  nt_fill(G, N, -1, 1, &rng);
  for (int a = 0; a < 2; a++) {
    for (int k = 0; k < N; k++) {
      x[k] = (float)mimic_rng_uniform(&rng, 0.05, 3.0); /* away from ReLU's kink */
      if (mimic_rng_double(&rng) < 0.5) x[k] = -x[k];
    }
    act_ctx c = {x, y, G, N, a == 0 ? MIMIC_ACT_TANH : MIMIC_ACT_RELU};
    act_loss(&c);
    if (a == 0)
      mimic_tanh_backward(dx, G, y, N);
    else
      mimic_relu_backward(dx, G, x, N);
    nt_fd_check(act_loss, &c, x, dx, N, 1e-3f, 1e-4, 1e-3, a == 0 ? "tanh dx" : "relu dx");
    /* in place (dinp == dout) gives the same */
    act_loss(&c); /* y as of the unperturbed x */
    float g2[N];
    memcpy(g2, G, sizeof g2);
    if (a == 0)
      mimic_tanh_backward(g2, g2, y, N);
    else
      mimic_relu_backward(g2, g2, y, N); /* the output gives the same mask */
    assert_memory_equal(g2, dx, sizeof g2);
  }
}

typedef struct mlp_ctx {
  mimic_mlp *m;
  float *x, *G;
  int B;
} mlp_ctx;

static double mlp_loss(void *p) {
  mlp_ctx *c = p;
  assert_int_equal(mimic_mlp_forward(c->m, c->x, c->B), MIMIC_OK);
  double s = 0;
  for (int k = 0; k < c->B * c->m->sizes[c->m->n_layers]; k++) s += (double)c->G[k] * c->m->out[k];
  return s;
}

static void mlp_fd(mimic_activation act) {
  const int sizes[] = {3, 7, 6, 5, 2};
  enum { B = 4 };
  mimic_mlp m;
  assert_int_equal(mimic_mlp_create(&m, sizes, 5, act, B, NULL, NULL), MIMIC_OK);
  float x[B * 3], G[B * 2], dx[B * 3];
  mlp_ctx c = {&m, x, G, B};
  /* the first seed whose pre-activations all keep 0.02 clear of ReLU's kink */
  bool clear = false;
  for (uint64_t seed = 1; seed < 200 && !clear; seed++) {
    mimic_rng rng;
    mimic_rng_seed(&rng, seed);
    mimic_mlp_init_torch(&m, &rng);
    nt_fill(x, B * 3, -2, 2, &rng);
    nt_fill(G, B * 2, -1, 1, &rng);
    mlp_loss(&c);
    clear = true;
    for (int l = 0; l + 1 < m.n_layers; l++)
      for (int k = 0; k < B * m.sizes[l + 1]; k++) clear = clear && fabsf(m.pre[l][k]) > 0.02f;
  }
  assert_true(clear);
  mimic_mlp_zero_grad(&m);
  assert_int_equal(mimic_mlp_backward(&m, x, G, B, dx), MIMIC_OK);
  float *grad = malloc(m.n_params * sizeof *grad);
  memcpy(grad, m.grads, m.n_params * sizeof *grad);
  const char *what = act == MIMIC_ACT_TANH ? "tanh mlp" : "relu mlp";
  nt_fd_check(mlp_loss, &c, m.params, grad, m.n_params, 1e-3f, 1e-4, 1e-3, what);
  nt_fd_check(mlp_loss, &c, x, dx, B * 3, 1e-3f, 1e-4, 1e-3, what);
  free(grad);
  mimic_mlp_free(&m);
}

static void test_mlp_fd(void **state) {
  (void)state;
  mlp_fd(MIMIC_ACT_TANH);
  mlp_fd(MIMIC_ACT_RELU);
}

/* ---- fast tanh ------------------------------------------------------------ */

static void test_tanh_accuracy(void **state) {
  (void)state;
  double worst = 0;
  enum { N = 4001 };
  static float xs[N], ys[N];
  for (int i = 0; i < N; i++) xs[i] = (float)(-10.0 + 20.0 * i / (N - 1));
  mimic_tanh_forward(ys, xs, N);
  for (float x = -12.0f; x < 12.0f; x += 1.37e-4f) {
    float y = mimic_tanhf(x);
    double r = tanh((double)x);
    float rf = (float)r;
    double ulp = fabs((double)nextafterf(rf, 2.0f) - rf);
    double e = fabs((double)y - r) / ulp;
    if (e > worst) worst = e;
  }
  assert_true(worst <= 4.0); /* measured ~2.1 ulp */
  for (int i = 0; i < N; i++) {
    float s = mimic_tanhf(xs[i]);
    assert_memory_equal(&s, &ys[i], sizeof s); /* vector == scalar, bit for bit */
  }
  assert_true(isnan(mimic_tanhf(NAN)));
  assert_true(mimic_tanhf(INFINITY) == 1.0f && mimic_tanhf(-INFINITY) == -1.0f);
  assert_true(mimic_tanhf(0.0f) == 0.0f && signbit(mimic_tanhf(-0.0f)));
  assert_true(mimic_tanhf(1e-30f) == 1e-30f);
  assert_true(mimic_tanhf(50.0f) == 1.0f);
}

/* ---- initialisers --------------------------------------------------------- */

static void test_init_same_seed(void **state) {
  (void)state;
  const int sizes[] = {17, 64, 33, 6};
  mimic_mlp a, b;
  assert_int_equal(mimic_mlp_create(&a, sizes, 4, MIMIC_ACT_TANH, 1, NULL, NULL), MIMIC_OK);
  assert_int_equal(mimic_mlp_create(&b, sizes, 4, MIMIC_ACT_TANH, 1, NULL, NULL), MIMIC_OK);
  for (int kind = 0; kind < 2; kind++) {
    mimic_rng ra, rb;
    mimic_rng_seed(&ra, 99);
    mimic_rng_seed(&rb, 99);
    if (kind == 0) {
      mimic_mlp_init_torch(&a, &ra);
      mimic_mlp_init_torch(&b, &rb);
    } else {
      assert_int_equal(mimic_mlp_init_orthogonal(&a, &ra, sqrtf(2.0f), 0.01f), MIMIC_OK);
      assert_int_equal(mimic_mlp_init_orthogonal(&b, &rb, sqrtf(2.0f), 0.01f), MIMIC_OK);
    }
    assert_memory_equal(a.params, b.params, a.n_params * sizeof(float));
    mimic_rng_seed(&rb, 100);
    if (kind == 0)
      mimic_mlp_init_torch(&b, &rb);
    else
      assert_int_equal(mimic_mlp_init_orthogonal(&b, &rb, sqrtf(2.0f), 0.01f), MIMIC_OK);
    assert_true(memcmp(a.params, b.params, a.n_params * sizeof(float)) != 0);
  }
  mimic_mlp_free(&a);
  mimic_mlp_free(&b);
}

static void test_init_torch_bounds(void **state) {
  (void)state;
  const int sizes[] = {100, 400, 9};
  mimic_mlp m;
  assert_int_equal(mimic_mlp_create(&m, sizes, 3, MIMIC_ACT_RELU, 1, NULL, NULL), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 5);
  mimic_mlp_init_torch(&m, &rng);
  for (int l = 0; l < 2; l++) {
    double bound = 1.0 / sqrt((double)sizes[l]), s = 0, s2 = 0;
    size_t n = (size_t)sizes[l] * sizes[l + 1];
    const float *W = mimic_mlp_W(&m, l);
    for (size_t k = 0; k < n; k++) {
      assert_true(fabs(W[k]) <= bound);
      s += W[k];
      s2 += (double)W[k] * W[k];
    }
    for (int o = 0; o < sizes[l + 1]; o++) assert_true(fabs(mimic_mlp_b(&m, l)[o]) <= bound);
    double var = s2 / n, want = bound * bound / 3.0; /* U(-a, a) has variance a^2/3 */
    assert_true(fabs(s / n) < 0.05 * bound);
    assert_true(fabs(var - want) < 0.05 * want);
  }
  mimic_mlp_free(&m);
}

static void check_orthogonal(const float *W, int rows, int cols, double gain) {
  /* rows <= cols: W W^T = gain^2 I; else W^T W = gain^2 I */
  int k = rows <= cols ? rows : cols, len = rows <= cols ? cols : rows;
  for (int a = 0; a < k; a++)
    for (int b = 0; b < k; b++) {
      double dot = 0;
      for (int i = 0; i < len; i++) {
        double wa = rows <= cols ? W[(size_t)a * cols + i] : W[(size_t)i * cols + a];
        double wb = rows <= cols ? W[(size_t)b * cols + i] : W[(size_t)i * cols + b];
        dot += wa * wb;
      }
      double want = a == b ? gain * gain : 0.0;
      if (fabs(dot - want) > 1e-5 * (1 + gain * gain))
        fail_msg("orthogonal (%d, %d): <%d, %d> = %g, want %g", rows, cols, a, b, dot, want);
    }
}

static void test_init_orthogonal(void **state) {
  (void)state;
  const int sizes[] = {5, 64, 64, 3}; /* tall, square, wide */
  mimic_mlp m;
  assert_int_equal(mimic_mlp_create(&m, sizes, 4, MIMIC_ACT_TANH, 1, NULL, NULL), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 8);
  assert_int_equal(mimic_mlp_init_orthogonal(&m, &rng, sqrtf(2.0f), 0.01f), MIMIC_OK);
  for (int l = 0; l < 3; l++) {
    check_orthogonal(mimic_mlp_W(&m, l), sizes[l + 1], sizes[l], l == 2 ? 0.01f : sqrtf(2.0f));
    for (int o = 0; o < sizes[l + 1]; o++) assert_true(mimic_mlp_b(&m, l)[o] == 0.0f);
  }
  mimic_mlp_free(&m);
}

/* ---- misuse --------------------------------------------------------------- */

/* The eight-lane ReLU gives the scalar rule's bits (x > 0 ? x : +0, NaN
 * and -0 to +0) at every length, tails included, in place too. */
static void test_relu_bits(void **state) {
  (void)state;
  float in[37], out[37], g[37], dg[37];
  for (int i = 0; i < 37; i++) {
    in[i] = (i % 3 == 0) ? -0.5f * i : 0.25f * i;
    g[i] = 1.0f + i;
  }
  in[5] = -0.0f;
  in[9] = NAN;
  in[35] = -INFINITY;
  in[36] = INFINITY;
  for (size_t n = 0; n <= 37; n++) {
    memset(out, 0x55, sizeof out);
    mimic_relu_forward(out, in, n);
    mimic_relu_backward(dg, g, in, n);
    for (size_t i = 0; i < n; i++) {
      float want = in[i] > 0.0f ? in[i] : 0.0f, dwant = in[i] > 0.0f ? g[i] : 0.0f;
      assert_memory_equal(&out[i], &want, sizeof want);
      assert_memory_equal(&dg[i], &dwant, sizeof dwant);
    }
    uint32_t past = 0x55555555u;
    if (n < 37) assert_memory_equal(&out[n], &past, sizeof past); /* past n: untouched */
  }
  float x[37];
  memcpy(x, g, sizeof x);
  mimic_relu_backward(x, x, in, 37); /* in place, as the MLP's backward runs it */
  assert_memory_equal(x, dg, sizeof x);
}

/* mimic_mlp_backward_input writes the same dx as mimic_mlp_backward, bit
 * for bit, and leaves every parameter gradient as it was. */
static void test_mlp_backward_input(void **state) {
  (void)state;
  int sizes[] = {5, 16, 12, 3};
  mimic_mlp m;
  assert_int_equal(mimic_mlp_create(&m, sizes, 4, MIMIC_ACT_RELU, 9, NULL, NULL), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 7);
  mimic_mlp_init_torch(&m, &rng);
  float x[9 * 5], dout[9 * 3], dx1[9 * 5], dx2[9 * 5];
  for (int i = 0; i < 9 * 5; i++) x[i] = (float)mimic_rng_normal(&rng);
  for (int i = 0; i < 9 * 3; i++) dout[i] = (float)mimic_rng_normal(&rng);
  mimic_mlp_zero_grad(&m);
  assert_int_equal(mimic_mlp_forward(&m, x, 9), MIMIC_OK);
  assert_int_equal(mimic_mlp_backward(&m, x, dout, 9, dx1), MIMIC_OK);
  float *grads = malloc(m.n_params * sizeof(float));
  memcpy(grads, m.grads, m.n_params * sizeof(float));
  assert_int_equal(mimic_mlp_forward(&m, x, 9), MIMIC_OK);
  assert_int_equal(mimic_mlp_backward_input(&m, x, dout, 9, dx2), MIMIC_OK);
  assert_memory_equal(dx1, dx2, sizeof dx1);
  assert_memory_equal(grads, m.grads, m.n_params * sizeof(float));
  bool any = false;
  for (size_t k = 0; k < m.n_params; k++) any |= grads[k] != 0.0f;
  assert_true(any); /* the full backward did write gradients */
  free(grads);
  mimic_mlp_free(&m);
}

static void test_mlp_errors(void **state) {
  (void)state;
  mimic_mlp m;
  const int bad[] = {4, 0, 2};
  assert_int_equal(mimic_mlp_create(&m, bad, 3, MIMIC_ACT_TANH, 4, NULL, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "width 0"));
  const int sizes[] = {4, 8, 2};
  assert_int_equal(mimic_mlp_param_count(sizes, 3), 8 * 5 + 2 * 9);
  assert_int_equal(mimic_mlp_create(&m, sizes, 3, MIMIC_ACT_TANH, 4, NULL, NULL), MIMIC_OK);
  float x[5 * 4] = {0}, g[5 * 2] = {0};
  assert_int_equal(mimic_mlp_backward(&m, x, g, 4, NULL), MIMIC_ERR_INVALID); /* no forward yet */
  assert_int_equal(mimic_mlp_forward(&m, x, 5), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "batch 5"));
  assert_int_equal(mimic_mlp_reserve(&m, 5), MIMIC_OK);
  assert_int_equal(mimic_mlp_forward(&m, x, 5), MIMIC_OK);
  assert_int_equal(mimic_mlp_backward(&m, x, g, 5, NULL), MIMIC_OK);
  mimic_mlp_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mlp_reference_vectors),
      cmocka_unit_test(test_linear_fd),
      cmocka_unit_test(test_activation_fd),
      cmocka_unit_test(test_mlp_fd),
      cmocka_unit_test(test_tanh_accuracy),
      cmocka_unit_test(test_init_same_seed),
      cmocka_unit_test(test_init_torch_bounds),
      cmocka_unit_test(test_init_orthogonal),
      cmocka_unit_test(test_mlp_errors),
      cmocka_unit_test(test_relu_bits),
      cmocka_unit_test(test_mlp_backward_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
