/* Conv2d and CNNs: the reference vectors of testdata/nn/conv2d.json (f64
 * block, README tolerances) for single layers and for whole networks
 * (conv + ReLU stacks, flatten, Linear head), finite-difference checks of
 * the layer and of a CNN, and shape validation. */
#include "nn_testutil.h"
#include "nn/cnn.h"
#include "nn/conv.h"
#include "nn/optim.h"

static int json_int_at(const json_t *c, const char *key, int i) {
  return (int)json_integer_value(json_array_get(nt_get(c, key), (size_t)i));
}

/* ---- single layers ---------------------------------------------------------- */

static void run_layer_case(const json_t *c) {
  const char *name = json_string_value(nt_get(c, "name"));
  mimic_conv2d_shape s = {(int)tu_num(c, "batch"),        (int)tu_num(c, "in_channels"),
                          json_int_at(c, "input_hw", 0),  json_int_at(c, "input_hw", 1),
                          (int)tu_num(c, "out_channels"), json_int_at(c, "kernel_size", 0),
                          json_int_at(c, "stride", 0),    json_int_at(c, "padding", 0)};
  assert_int_equal(json_int_at(c, "kernel_size", 1), s.k);
  assert_int_equal(mimic_conv2d_shape_init(&s), 0);
  assert_int_equal(s.Ho, json_int_at(c, "output_hw", 0));
  assert_int_equal(s.Wo, json_int_at(c, "output_hw", 1));
  size_t nx = (size_t)s.N * s.C * s.H * s.W, ny = (size_t)s.N * s.O * s.Ho * s.Wo;
  size_t nw = (size_t)s.O * s.C * s.k * s.k, sc = mimic_conv2d_scratch(&s);
  const json_t *P = nt_get(c, "params"), *ref = nt_get(c, "f64");
  float *W = malloc(nw * sizeof *W), *b = malloc(s.O * sizeof *b), *x = malloc(nx * sizeof *x);
  float *G = malloc(ny * sizeof *G), *y = malloc(ny * sizeof *y), *dx = malloc(nx * sizeof *dx);
  float *col = malloc(sc * sizeof *col), *tmp = malloc(sc * sizeof *tmp);
  float *dW = calloc(nw, sizeof *dW), *db = calloc(s.O, sizeof *db);
  nt_copy(nt_get(P, "weight"), W, nw, "weight");
  nt_copy(nt_get(P, "bias"), b, s.O, "bias");
  nt_copy(nt_get(c, "x"), x, nx, "x");
  nt_copy(nt_get(c, "upstream_grad"), G, ny, "upstream_grad");
  char what[160];
  mimic_conv2d_forward(y, col, tmp, x, W, b, &s);
  snprintf(what, sizeof what, "%s y", name);
  nt_check(y, nt_get(ref, "y"), ny, NT_ATOL, NT_RTOL, what);
  double loss = 0;
  for (size_t k = 0; k < ny; k++) loss += (double)G[k] * y[k];
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(loss, nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
  mimic_conv2d_backward(dx, dW, db, col, tmp, G, W, &s);
  snprintf(what, sizeof what, "%s grad_x", name);
  nt_check(dx, nt_get(ref, "grad_x"), nx, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad weight", name);
  nt_check(dW, nt_get(nt_get(ref, "grads"), "weight"), nw, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad bias", name);
  nt_check(db, nt_get(nt_get(ref, "grads"), "bias"), s.O, NT_ATOL, NT_RTOL, what);
  free(W), free(b), free(x), free(G), free(y), free(dx), free(col), free(tmp), free(dW), free(db);
}

/* ---- networks ------------------------------------------------------------------ */

/* Reads a case's arch into cfg and returns the layer names in parameter order. */
static int read_arch(const json_t *c, mimic_cnn_config *cfg, const char **names) {
  memset(cfg, 0, sizeof *cfg);
  const json_t *chw = nt_get(c, "input_chw");
  cfg->in_c = (int)json_integer_value(json_array_get(chw, 0));
  cfg->in_h = (int)json_integer_value(json_array_get(chw, 1));
  cfg->in_w = (int)json_integer_value(json_array_get(chw, 2));
  size_t i;
  json_t *L;
  int n = 0;
  json_array_foreach(nt_get(c, "arch"), i, L) {
    const char *type = json_string_value(nt_get(L, "type"));
    if (strcmp(type, "conv2d") == 0) {
      assert_int_equal(cfg->n_fc, 0); /* the head comes after every conv layer */
      int l = cfg->n_conv++;
      cfg->out_channels[l] = (int)tu_num(L, "out_channels");
      cfg->kernel[l] = (int)tu_num(L, "kernel_size");
      cfg->stride[l] = (int)tu_num(L, "stride");
      cfg->pad[l] = (int)tu_num(L, "padding");
      names[n++] = json_string_value(nt_get(L, "name"));
    } else if (strcmp(type, "linear") == 0) {
      cfg->fc[cfg->n_fc++] = (int)tu_num(L, "out_features");
      names[n++] = json_string_value(nt_get(L, "name"));
    } else if (strcmp(type, "relu") != 0 && strcmp(type, "flatten") != 0) {
      fail_msg("unknown layer type %s", type);
    }
  }
  /* a ReLU follows every layer but the last */
  const json_t *last = json_array_get(nt_get(c, "arch"), json_array_size(nt_get(c, "arch")) - 1);
  assert_string_equal(json_string_value(nt_get(last, "type")), "linear");
  return n;
}

/* Pointer to layer l's weight (w = 1) or bias (w = 0) inside flat (params or grads). */
static float *layer_tensor(const mimic_cnn *m, float *flat, int l, int w, size_t *n) {
  if (l < m->cfg.n_conv) {
    const mimic_conv2d_shape *s = &m->conv[l];
    *n = w ? (size_t)s->O * s->C * s->k * s->k : (size_t)s->O;
    return flat + (w ? m->w_off[l] : m->b_off[l]);
  }
  int f = l - m->cfg.n_conv;
  *n = w ? (size_t)m->head.sizes[f + 1] * m->head.sizes[f] : (size_t)m->head.sizes[f + 1];
  return flat + m->n_conv_params + (w ? m->head.w_off[f] : m->head.b_off[f]);
}

static void run_net_case(const json_t *c) {
  const char *name = json_string_value(nt_get(c, "name"));
  mimic_cnn_config cfg;
  const char *names[MIMIC_CNN_MAX_CONV + MIMIC_MLP_MAX_LAYERS];
  int nl = read_arch(c, &cfg, names);
  int N = (int)tu_num(c, "batch");
  mimic_cnn m;
  assert_int_equal(mimic_cnn_create(&m, &cfg, N + 3, NULL, NULL), MIMIC_OK);
  const json_t *P = nt_get(c, "params"), *ref = nt_get(c, "f64");
  char key[128], what[200];
  for (int l = 0; l < nl; l++)
    for (int w = 0; w < 2; w++) {
      size_t n;
      float *t = layer_tensor(&m, m.params, l, w, &n);
      snprintf(key, sizeof key, "%s.%s", names[l], w ? "weight" : "bias");
      nt_copy(nt_get(P, key), t, n, key);
    }
  size_t nx, ng;
  float *x = tu_tensor_f32(nt_get(c, "x"), &nx),
        *G = tu_tensor_f32(nt_get(c, "upstream_grad"), &ng);
  int n_out = cfg.fc[cfg.n_fc - 1];
  assert_int_equal(nx, (size_t)N * cfg.in_c * cfg.in_h * cfg.in_w);
  assert_int_equal(ng, (size_t)N * n_out);
  assert_int_equal(mimic_cnn_forward(&m, x, N), MIMIC_OK);
  snprintf(what, sizeof what, "%s logits", name);
  nt_check(m.out, nt_get(ref, "logits"), ng, NT_ATOL, NT_RTOL, what);
  /* pre-activations: every conv output, then every hidden Linear output */
  const json_t *pre = nt_get(ref, "pre_activations");
  assert_int_equal(json_array_size(pre), (size_t)(nl - 1));
  for (int l = 0; l < nl - 1; l++) {
    snprintf(what, sizeof what, "%s pre_activations[%d]", name, l);
    if (l < cfg.n_conv) {
      const mimic_conv2d_shape *s = &m.conv[l];
      nt_check(m.pre[l], json_array_get(pre, l), (size_t)N * s->O * s->Ho * s->Wo, NT_ATOL, NT_RTOL,
               what);
    } else {
      int f = l - cfg.n_conv;
      nt_check(m.head.pre[f], json_array_get(pre, l), (size_t)N * m.head.sizes[f + 1], NT_ATOL,
               NT_RTOL, what);
    }
  }
  double loss = 0;
  for (size_t k = 0; k < ng; k++) loss += (double)G[k] * m.out[k];
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(loss, nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
  float *dx = malloc(nx * sizeof *dx);
  mimic_cnn_zero_grad(&m);
  assert_int_equal(mimic_cnn_backward(&m, G, N, dx), MIMIC_OK);
  snprintf(what, sizeof what, "%s grad_x", name);
  nt_check(dx, nt_get(ref, "grad_x"), nx, NT_ATOL, NT_RTOL, what);
  for (int l = 0; l < nl; l++)
    for (int w = 0; w < 2; w++) {
      size_t n;
      float *t = layer_tensor(&m, m.grads, l, w, &n);
      snprintf(key, sizeof key, "%s.%s", names[l], w ? "weight" : "bias");
      snprintf(what, sizeof what, "%s grad %s", name, key);
      nt_check(t, nt_get(nt_get(ref, "grads"), key), n, NT_ATOL, NT_RTOL, what);
    }
  /* without dx the parameter gradients are the same */
  float *g1 = malloc(m.n_params * sizeof *g1);
  memcpy(g1, m.grads, m.n_params * sizeof *g1);
  mimic_cnn_zero_grad(&m);
  assert_int_equal(mimic_cnn_forward(&m, x, N), MIMIC_OK);
  assert_int_equal(mimic_cnn_backward(&m, G, N, NULL), MIMIC_OK);
  assert_memory_equal(g1, m.grads, m.n_params * sizeof *g1);
  free(g1), free(dx), free(x), free(G);
  mimic_cnn_free(&m);
}

static void test_conv_reference_vectors(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/conv2d.json");
  size_t i;
  json_t *c;
  int layers = 0, nets = 0;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    if (json_object_get(c, "arch")) {
      run_net_case(c);
      nets++;
    } else {
      run_layer_case(c);
      layers++;
    }
  }
  assert_true(layers + nets > 0); /* the file had cases at all */
  json_decref(f);
}

/* ---- finite differences -------------------------------------------------------- */

typedef struct conv_ctx {
  mimic_conv2d_shape s;
  float *y, *col, *tmp, *x, *W, *b, *G;
} conv_ctx;

static double conv_loss(void *p) {
  conv_ctx *c = p;
  mimic_conv2d_forward(c->y, c->col, c->tmp, c->x, c->W, c->b, &c->s);
  double l = 0;
  for (size_t k = 0; k < (size_t)c->s.N * c->s.O * c->s.Ho * c->s.Wo; k++)
    l += (double)c->G[k] * c->y[k];
  return l;
}

/* Finite differences of one layer's dW, db and dx. */
static void conv_fd(mimic_conv2d_shape s) {
  assert_int_equal(mimic_conv2d_shape_init(&s), 0);
  size_t nx = (size_t)s.N * s.C * s.H * s.W, ny = (size_t)s.N * s.O * s.Ho * s.Wo;
  size_t nw = (size_t)s.O * s.C * s.k * s.k, sc = mimic_conv2d_scratch(&s);
  conv_ctx c = {s};
  c.y = malloc(ny * 4), c.col = malloc(sc * 4), c.tmp = malloc(sc * 4), c.x = malloc(nx * 4);
  c.W = malloc(nw * 4), c.b = malloc(s.O * 4), c.G = malloc(ny * 4);
  mimic_rng rng;
  mimic_rng_seed(&rng, 5);
  nt_fill(c.x, nx, -1, 1, &rng);
  nt_fill(c.W, nw, -0.5, 0.5, &rng);
  nt_fill(c.b, s.O, -0.5, 0.5, &rng);
  nt_fill(c.G, ny, -1, 1, &rng);
  float *dx = malloc(nx * 4), *dW = calloc(nw, 4), *db = calloc(s.O, 4);
  conv_loss(&c);
  mimic_conv2d_backward(dx, dW, db, c.col, c.tmp, c.G, c.W, &s);
  nt_fd_check(conv_loss, &c, c.W, dW, nw, 1e-2f, 1e-4, 1e-3, "conv dW");
  nt_fd_check(conv_loss, &c, c.b, db, s.O, 1e-2f, 1e-4, 1e-3, "conv db");
  nt_fd_check(conv_loss, &c, c.x, dx, nx, 1e-2f, 1e-4, 1e-3, "conv dx");
  free(dx), free(dW), free(db);
  free(c.y), free(c.col), free(c.tmp), free(c.x), free(c.W), free(c.b), free(c.G);
}

static void test_conv_fd(void **state) {
  (void)state;
  /* stride 2 with a left-over row, padding, H != W */
  conv_fd((mimic_conv2d_shape){2, 3, 7, 6, 4, 3, 2, 1});
  /* space to depth: 4x4/2 over 11x9, a row and a column no block covers */
  mimic_conv2d_shape s2d = {2, 2, 11, 9, 3, 4, 2, 0};
  assert_int_equal(mimic_conv2d_shape_init(&s2d), 0);
  assert_int_equal(mimic_conv2d_space_to_depth(&s2d), 1);
  conv_fd(s2d);
}

/* Forward and backward of s, on the space-to-depth path and on the direct
 * gather, on random inputs: every output and gradient bit for bit equal
 * (same col, same sgemm, the folds add in the same order). */
static void s2d_matches_direct(mimic_conv2d_shape s, uint64_t seed) {
  assert_int_equal(mimic_conv2d_shape_init(&s), 0);
  mimic_conv2d_shape d = s;
  d.direct = 1;
  assert_int_equal(mimic_conv2d_space_to_depth(&s), 1);
  assert_int_equal(mimic_conv2d_space_to_depth(&d), 0);
  size_t nx = (size_t)s.N * s.C * s.H * s.W, ny = (size_t)s.N * s.O * s.Ho * s.Wo;
  size_t nw = (size_t)s.O * s.C * s.k * s.k, sc = mimic_conv2d_scratch(&s);
  float *x = malloc(nx * 4), *W = malloc(nw * 4), *b = malloc(s.O * 4), *G = malloc(ny * 4);
  float *y[2], *dx[2], *dW[2], *db[2], *col = malloc(sc * 4), *tmp = malloc(sc * 4);
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  nt_fill(x, nx, -1, 1, &rng);
  nt_fill(W, nw, -0.5, 0.5, &rng);
  nt_fill(b, s.O, -0.5, 0.5, &rng);
  nt_fill(G, ny, -1, 1, &rng);
  for (int p = 0; p < 2; p++) {
    const mimic_conv2d_shape *sp = p ? &d : &s;
    y[p] = malloc(ny * 4), dx[p] = malloc(nx * 4);
    dW[p] = calloc(nw, 4), db[p] = calloc(s.O, 4);
    memset(col, 0xff, sc * 4); /* NaN where nothing was written */
    memset(tmp, 0xff, sc * 4);
    mimic_conv2d_forward(y[p], col, tmp, x, W, b, sp);
    mimic_conv2d_backward(dx[p], dW[p], db[p], col, tmp, G, W, sp);
  }
  assert_memory_equal(y[0], y[1], ny * 4);
  assert_memory_equal(dx[0], dx[1], nx * 4);
  assert_memory_equal(dW[0], dW[1], nw * 4);
  assert_memory_equal(db[0], db[1], s.O * 4);
  for (size_t i = 0; i < ny; i++) assert_true(isfinite(y[0][i]));
  for (int p = 0; p < 2; p++) free(y[p]), free(dx[p]), free(dW[p]), free(db[p]);
  free(x), free(W), free(b), free(G), free(col), free(tmp);
}

static void test_conv_space_to_depth(void **state) {
  (void)state;
  s2d_matches_direct((mimic_conv2d_shape){2, 4, 84, 84, 32, 8, 4, 0}, 11);  /* Nature-CNN conv1 */
  s2d_matches_direct((mimic_conv2d_shape){3, 32, 20, 20, 64, 4, 2, 0}, 12); /* its conv2 */
  s2d_matches_direct((mimic_conv2d_shape){2, 3, 11, 9, 5, 4, 2, 0}, 13);    /* left-over pixels */
  s2d_matches_direct((mimic_conv2d_shape){1, 2, 10, 13, 3, 6, 3, 0}, 14);   /* 6x6/3, H != W */
  s2d_matches_direct((mimic_conv2d_shape){2, 3, 7, 7, 2, 2, 2, 0}, 15);     /* 2x2/2 */
  /* neither padding nor a stride that does not divide k takes the path */
  mimic_conv2d_shape p = {1, 1, 9, 9, 1, 4, 2, 1}, q = {1, 1, 9, 9, 1, 3, 2, 0};
  assert_int_equal(mimic_conv2d_shape_init(&p) | mimic_conv2d_shape_init(&q), 0);
  assert_int_equal(mimic_conv2d_space_to_depth(&p) | mimic_conv2d_space_to_depth(&q), 0);
}

/* Nature-CNN (small batch), three Adam steps from the same seed, twice:
 * the parameters end bit for bit equal. */
static void test_cnn_training_deterministic(void **state) {
  (void)state;
  mimic_cnn_config cfg = {.in_c = 4, .in_h = 84, .in_w = 84, .n_conv = 3, .n_fc = 2};
  const int oc[3] = {32, 64, 64}, ks[3] = {8, 4, 3}, st[3] = {4, 2, 1};
  for (int l = 0; l < 3; l++)
    cfg.out_channels[l] = oc[l], cfg.kernel[l] = ks[l], cfg.stride[l] = st[l];
  cfg.fc[0] = 64, cfg.fc[1] = 3;
  enum { N = 3 };
  size_t nx = (size_t)N * 4 * 84 * 84;
  float *x = malloc(nx * 4), *out[2];
  mimic_rng rng;
  mimic_rng_seed(&rng, 21);
  nt_fill(x, nx, 0, 1, &rng);
  size_t np = 0;
  for (int run = 0; run < 2; run++) {
    mimic_cnn m;
    assert_int_equal(mimic_cnn_create(&m, &cfg, N, NULL, NULL), MIMIC_OK);
    mimic_rng r;
    mimic_rng_seed(&r, 7);
    mimic_cnn_init_torch(&m, &r);
    mimic_optim_config oc2 = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
    mimic_optim o;
    assert_int_equal(mimic_optim_create(&o, &oc2, m.n_params), MIMIC_OK);
    float G[N * 3];
    for (int step = 0; step < 3; step++) {
      mimic_cnn_zero_grad(&m);
      assert_int_equal(mimic_cnn_forward(&m, x, N), MIMIC_OK);
      for (int k = 0; k < N * 3; k++) G[k] = m.out[k] - 0.1f * (float)k;
      assert_int_equal(mimic_cnn_backward(&m, G, N, NULL), MIMIC_OK);
      mimic_optim_step(&o, m.params, m.grads);
    }
    np = m.n_params;
    out[run] = malloc(np * 4);
    memcpy(out[run], m.params, np * 4);
    mimic_optim_free(&o);
    mimic_cnn_free(&m);
  }
  assert_memory_equal(out[0], out[1], np * 4);
  free(out[0]), free(out[1]), free(x);
}

typedef struct cnn_ctx {
  mimic_cnn *m;
  float *x, *G;
  int N;
} cnn_ctx;

static double cnn_loss(void *p) {
  cnn_ctx *c = p;
  assert_int_equal(mimic_cnn_forward(c->m, c->x, c->N), MIMIC_OK);
  double l = 0;
  for (int k = 0; k < c->N * c->m->cfg.fc[c->m->cfg.n_fc - 1]; k++)
    l += (double)c->G[k] * c->m->out[k];
  return l;
}

static void test_cnn_fd(void **state) {
  (void)state;
  mimic_cnn_config cfg = {.in_c = 2, .in_h = 9, .in_w = 8, .n_conv = 2, .n_fc = 2};
  cfg.out_channels[0] = 3, cfg.kernel[0] = 3, cfg.stride[0] = 2, cfg.pad[0] = 1;
  cfg.out_channels[1] = 4, cfg.kernel[1] = 2, cfg.stride[1] = 1, cfg.pad[1] = 0;
  cfg.fc[0] = 5, cfg.fc[1] = 3;
  enum { N = 2 };
  mimic_cnn m;
  assert_int_equal(mimic_cnn_create(&m, &cfg, N, NULL, NULL), MIMIC_OK);
  size_t nx = (size_t)N * 2 * 9 * 8;
  float x[N * 2 * 9 * 8], G[N * 3], dx[N * 2 * 9 * 8];
  cnn_ctx c = {&m, x, G, N};
  /* the first seed whose ReLU inputs all keep clear of the kink */
  bool clear = false;
  for (uint64_t seed = 1; seed < 2000 && !clear; seed++) {
    mimic_rng rng;
    mimic_rng_seed(&rng, seed);
    mimic_cnn_init_torch(&m, &rng);
    nt_fill(x, nx, -1, 1, &rng);
    nt_fill(G, N * 3, -1, 1, &rng);
    cnn_loss(&c);
    clear = true;
    for (int l = 0; l < cfg.n_conv; l++)
      for (size_t k = 0; k < (size_t)N * m.conv[l].O * m.conv[l].Ho * m.conv[l].Wo; k++)
        clear = clear && fabsf(m.pre[l][k]) > 0.005f;
    for (int k = 0; k < N * cfg.fc[0]; k++) clear = clear && fabsf(m.head.pre[0][k]) > 0.005f;
  }
  assert_true(clear);
  mimic_cnn_zero_grad(&m);
  assert_int_equal(mimic_cnn_backward(&m, G, N, dx), MIMIC_OK);
  float *grad = malloc(m.n_params * sizeof *grad);
  memcpy(grad, m.grads, m.n_params * sizeof *grad);
  nt_fd_check(cnn_loss, &c, m.params, grad, m.n_params, 1e-3f, 2e-4, 2e-3, "cnn params");
  nt_fd_check(cnn_loss, &c, x, dx, nx, 1e-3f, 2e-4, 2e-3, "cnn dx");
  free(grad);
  mimic_cnn_free(&m);
}

static void test_conv_shapes(void **state) {
  (void)state;
  mimic_conv2d_shape s = {1, 1, 4, 4, 1, 5, 1, 0};
  assert_int_equal(mimic_conv2d_shape_init(&s), -1); /* kernel larger than the input */
  s.pad = 1;
  assert_int_equal(mimic_conv2d_shape_init(&s), 0);
  assert_int_equal(s.Ho, 2);
  s.stride = 0;
  assert_int_equal(mimic_conv2d_shape_init(&s), -1);
  mimic_cnn_config cfg = {.in_c = 1, .in_h = 4, .in_w = 4, .n_conv = 1, .n_fc = 1};
  cfg.out_channels[0] = 2, cfg.kernel[0] = 5, cfg.stride[0] = 1, cfg.fc[0] = 2;
  mimic_cnn m;
  assert_int_equal(mimic_cnn_create(&m, &cfg, 4, NULL, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "cnn"));
  cfg.kernel[0] = 3;
  assert_int_equal(mimic_cnn_create(&m, &cfg, 4, NULL, NULL), MIMIC_OK);
  float x[5 * 16] = {0};
  assert_int_equal(mimic_cnn_forward(&m, x, 5), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_cnn_forward(&m, x, 2), MIMIC_OK);
  assert_int_equal(mimic_cnn_backward(&m, x, 3, NULL), MIMIC_ERR_INVALID);
  mimic_cnn_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_reference_vectors),
      cmocka_unit_test(test_conv_fd),
      cmocka_unit_test(test_cnn_fd),
      cmocka_unit_test(test_conv_space_to_depth),
      cmocka_unit_test(test_cnn_training_deterministic),
      cmocka_unit_test(test_conv_shapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
