/* Transformer pieces: the reference vectors of testdata/nn/layernorm_gelu,
 * attention and transformer_block (f64 block, README tolerances) for
 * LayerNorm, GELU (erf and tanh), causal self-attention, the pre-LN GPT-2
 * block and a small GPT (embeddings, blocks, ln_f, head, cross-entropy),
 * finite-difference checks of each, and the GPT's input checks. */
#include "nn_testutil.h"
#include "nn/transformer.h"

static float *tensor(const json_t *c, const char *key, size_t *n) {
  return tu_tensor_f32(nt_get(c, key), n);
}

static double dot_loss(const float *G, const float *y, size_t n) {
  double l = 0;
  for (size_t k = 0; k < n; k++) l += (double)G[k] * y[k];
  return l;
}

/* ---- LayerNorm and GELU --------------------------------------------------------- */

static void run_layernorm(const json_t *c, const char *name) {
  size_t nx, ng, nw;
  float *x = tensor(c, "x", &nx), *G = tensor(c, "upstream_grad", &ng);
  const json_t *P = nt_get(c, "params"), *ref = nt_get(c, "f64");
  float *w = tensor(P, "weight", &nw), *b = tensor(P, "bias", &nw);
  int C = (int)json_integer_value(json_array_get(nt_get(c, "normalized_shape"), 0));
  int N = (int)(nx / C);
  assert_int_equal((size_t)N * C, nx);
  float *y = malloc(nx * 4), *mean = malloc(N * 4), *rstd = malloc(N * 4), *dx = malloc(nx * 4);
  float *dw = calloc(C, 4), *db = calloc(C, 4);
  mimic_layernorm_forward(y, mean, rstd, x, w, b, N, C, (float)tu_num(c, "eps"));
  char what[160];
  snprintf(what, sizeof what, "%s y", name);
  nt_check(y, nt_get(ref, "y"), nx, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s mean", name);
  nt_check(mean, nt_get(ref, "mean"), N, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s rstd", name);
  nt_check(rstd, nt_get(ref, "rstd"), N, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(dot_loss(G, y, nx), nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
  mimic_layernorm_backward(dx, dw, db, G, x, w, mean, rstd, N, C);
  snprintf(what, sizeof what, "%s grad_x", name);
  nt_check(dx, nt_get(ref, "grad_x"), nx, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad weight", name);
  nt_check(dw, nt_get(nt_get(ref, "grads"), "weight"), C, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad bias", name);
  nt_check(db, nt_get(nt_get(ref, "grads"), "bias"), C, NT_ATOL, NT_RTOL, what);
  free(x), free(G), free(w), free(b), free(y), free(mean), free(rstd), free(dx), free(dw), free(db);
}

static void run_gelu(const json_t *c, const char *name) {
  const char *approx = json_string_value(nt_get(c, "approximate"));
  mimic_gelu_kind kind = strcmp(approx, "tanh") == 0 ? MIMIC_GELU_TANH : MIMIC_GELU_ERF;
  if (kind == MIMIC_GELU_ERF) assert_string_equal(approx, "none");
  size_t n, ng;
  float *x = tensor(c, "x", &n), *G = tensor(c, "upstream_grad", &ng);
  const json_t *ref = nt_get(c, "f64");
  float *y = malloc(n * 4), *dx = malloc(n * 4);
  mimic_gelu_forward(y, x, n, kind);
  char what[160];
  snprintf(what, sizeof what, "%s y", name);
  nt_check(y, nt_get(ref, "y"), n, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(dot_loss(G, y, n), nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
  mimic_gelu_backward(dx, G, x, n, kind);
  snprintf(what, sizeof what, "%s grad_x", name);
  nt_check(dx, nt_get(ref, "grad_x"), n, NT_ATOL, NT_RTOL, what);
  free(x), free(G), free(y), free(dx);
}

/* GELU's tanh form runs as one vectorised pass; it must give the bits of
 * the scalar formula (polynomial, mimic_tanhf, product) on every element,
 * tails of 1..7 included, over inputs from tiny to saturated. */
static void test_gelu_tanh_one_pass_bits(void **state) {
  (void)state;
  const float K = 0.7978845608028654f, A = 0.044715f;
  enum { N = 203 };
  float x[N], g[N], y[N], dx[N];
  for (int i = 0; i < N; i++) {
    x[i] = (float)((i % 2 ? -1.0 : 1.0) * pow(1.13, i - 100));
    g[i] = 0.5f + 0.01f * (float)i;
  }
  x[7] = 0.0f;
  x[8] = 30.0f;
  x[9] = -30.0f;
  for (size_t n = 1; n <= N; n += (n < 17 ? 1 : 31)) {
    mimic_gelu_forward(y, x, n, MIMIC_GELU_TANH);
    mimic_gelu_backward(dx, g, x, n, MIMIC_GELU_TANH);
    for (size_t i = 0; i < n; i++) {
      float t = mimic_tanhf(K * (x[i] + A * x[i] * x[i] * x[i]));
      float want = 0.5f * x[i] * (1.0f + t);
      float d =
          0.5f * (1.0f + t) + 0.5f * x[i] * (1.0f - t * t) * K * (1.0f + 3.0f * A * x[i] * x[i]);
      assert_memory_equal(&y[i], &want, sizeof want);
      float wantd = g[i] * d;
      assert_memory_equal(&dx[i], &wantd, sizeof wantd);
    }
  }
}

static void test_layernorm_gelu_reference_vectors(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/layernorm_gelu.json");
  size_t i;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    const char *op = json_string_value(nt_get(c, "op")),
               *name = json_string_value(nt_get(c, "name"));
    if (strcmp(op, "layer_norm") == 0)
      run_layernorm(c, name);
    else if (strcmp(op, "gelu") == 0)
      run_gelu(c, name);
    else
      fail_msg("%s: unknown op %s", name, op);
  }
  json_decref(f);
}

/* ---- attention (with its two Linears) ------------------------------------------- */

typedef struct attn_ctx {
  int B, T, C, NH;
  float *x, *G, *qkv, *att, *y, *out;
  float *wa, *ba, *wp, *bp;     /* c_attn, c_proj */
  float *dwa, *dba, *dwp, *dbp; /* their gradients */
  float *dx, *dy, *dqkv, *scratch;
} attn_ctx;

static void attn_alloc(attn_ctx *a) {
  size_t bt = (size_t)a->B * a->T, C = a->C;
  a->x = calloc(bt * C, 4), a->G = calloc(bt * C, 4), a->qkv = calloc(bt * 3 * C, 4);
  a->att = calloc((size_t)a->B * a->NH * a->T * a->T, 4), a->y = calloc(bt * C, 4);
  a->out = calloc(bt * C, 4), a->wa = calloc(3 * C * C, 4), a->ba = calloc(3 * C, 4);
  a->wp = calloc(C * C, 4), a->bp = calloc(C, 4), a->dwa = calloc(3 * C * C, 4);
  a->dba = calloc(3 * C, 4), a->dwp = calloc(C * C, 4), a->dbp = calloc(C, 4);
  a->dx = calloc(bt * C, 4), a->dy = calloc(bt * C, 4), a->dqkv = calloc(bt * 3 * C, 4);
  a->scratch = calloc(mimic_attention_scratch_count(a->T, a->C, a->NH), 4);
}

static void attn_free(attn_ctx *a) {
  float *all[] = {a->x,  a->G,   a->qkv, a->att, a->y,   a->out, a->wa, a->ba,   a->wp,
                  a->bp, a->dwa, a->dba, a->dwp, a->dbp, a->dx,  a->dy, a->dqkv, a->scratch};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

static double attn_loss(void *p) {
  attn_ctx *a = p;
  int BT = a->B * a->T, C = a->C;
  mimic_linear_forward(a->qkv, a->x, a->wa, a->ba, BT, C, 3 * C);
  mimic_attention_forward(a->y, a->att, a->scratch, a->qkv, a->B, a->T, C, a->NH);
  mimic_linear_forward(a->out, a->y, a->wp, a->bp, BT, C, C);
  return dot_loss(a->G, a->out, (size_t)BT * C);
}

static void attn_backward(attn_ctx *a) {
  int BT = a->B * a->T, C = a->C;
  mimic_linear_backward(a->dy, a->dwp, a->dbp, a->G, a->y, a->wp, BT, C, C);
  mimic_attention_backward(a->dqkv, a->scratch, a->dy, a->qkv, a->att, a->B, a->T, C, a->NH);
  mimic_linear_backward(a->dx, a->dwa, a->dba, a->dqkv, a->x, a->wa, BT, C, 3 * C);
}

static void test_attention_reference_vectors(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/attention.json");
  size_t i;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    const char *name = json_string_value(nt_get(c, "name"));
    attn_ctx a = {(int)tu_num(c, "batch"), (int)tu_num(c, "seq_len"), (int)tu_num(c, "n_embd"),
                  (int)tu_num(c, "n_head")};
    attn_alloc(&a);
    size_t bt = (size_t)a.B * a.T, C = a.C;
    const json_t *P = nt_get(c, "params"), *ref = nt_get(c, "f64"), *g = nt_get(ref, "grads");
    nt_copy(nt_get(P, "c_attn.weight"), a.wa, 3 * C * C, "c_attn.weight");
    nt_copy(nt_get(P, "c_attn.bias"), a.ba, 3 * C, "c_attn.bias");
    nt_copy(nt_get(P, "c_proj.weight"), a.wp, C * C, "c_proj.weight");
    nt_copy(nt_get(P, "c_proj.bias"), a.bp, C, "c_proj.bias");
    nt_copy(nt_get(c, "x"), a.x, bt * C, "x");
    nt_copy(nt_get(c, "upstream_grad"), a.G, bt * C, "upstream_grad");
    char what[160];
#define CHECK(got, obj, key, n)                                                                    \
  do {                                                                                             \
    snprintf(what, sizeof what, "%s %s", name, key);                                               \
    nt_check(got, nt_get(obj, key), n, NT_ATOL, NT_RTOL, what);                                    \
  } while (0)
    double loss = attn_loss(&a);
    CHECK(a.qkv, ref, "qkv", bt * 3 * C);
    CHECK(a.att, ref, "att", (size_t)a.B * a.NH * a.T * a.T);
    CHECK(a.y, ref, "y", bt * C);
    CHECK(a.out, ref, "out", bt * C);
    snprintf(what, sizeof what, "%s loss", name);
    nt_check_scalar(loss, nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
    attn_backward(&a);
    CHECK(a.dx, ref, "grad_x", bt * C);
    CHECK(a.dwa, g, "c_attn.weight", 3 * C * C);
    CHECK(a.dba, g, "c_attn.bias", 3 * C);
    CHECK(a.dwp, g, "c_proj.weight", C * C);
    CHECK(a.dbp, g, "c_proj.bias", C);
#undef CHECK
    attn_free(&a);
  }
  json_decref(f);
}

/* ---- block and GPT ---------------------------------------------------------------- */

static const char *const BLOCK_KEYS[12] = {
    "ln_1.weight",        "ln_1.bias",        "attn.c_attn.weight", "attn.c_attn.bias",
    "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight",        "ln_2.bias",
    "mlp.c_fc.weight",    "mlp.c_fc.bias",    "mlp.c_proj.weight",  "mlp.c_proj.bias"};

/* Sizes of the twelve block tensors, in BLOCK_KEYS' order. */
static void block_sizes(size_t C, size_t *sz) {
  size_t s[12] = {C, C, 3 * C * C, 3 * C, C * C, C, C, C, 4 * C * C, 4 * C, 4 * C * C, C};
  memcpy(sz, s, sizeof s);
}

/* Copies (load) or checks (!load) a block run against a name-keyed object. */
static void block_io(float *base, int C, const json_t *obj, const char *prefix, int load,
                     const char *what) {
  size_t sz[12];
  block_sizes((size_t)C, sz);
  char key[128], msg[256];
  for (int i = 0; i < 12; i++) {
    snprintf(key, sizeof key, "%s%s", prefix, BLOCK_KEYS[i]);
    if (load) {
      nt_copy(nt_get(obj, key), base, sz[i], key);
    } else {
      snprintf(msg, sizeof msg, "%s grad %s", what, key);
      nt_check(base, nt_get(obj, key), sz[i], NT_ATOL, NT_RTOL, msg);
    }
    base += sz[i];
  }
}

typedef struct block_ctx {
  mimic_block_shape s;
  float *params, *grads, *acts, *scratch, *x, *G, *dx;
  mimic_block_params p, g;
  mimic_block_acts a;
} block_ctx;

static void block_alloc(block_ctx *b) {
  size_t np = mimic_block_param_count(b->s.C), n = (size_t)b->s.B * b->s.T * b->s.C;
  b->params = calloc(np, 4), b->grads = calloc(np, 4);
  b->acts = calloc(mimic_block_act_count(&b->s), 4);
  b->scratch = calloc(mimic_block_scratch_count(&b->s), 4);
  b->x = calloc(n, 4), b->G = calloc(n, 4), b->dx = calloc(n, 4);
  mimic_block_params_point(&b->p, b->params, b->s.C);
  mimic_block_params_point(&b->g, b->grads, b->s.C);
  mimic_block_acts_point(&b->a, b->acts, &b->s);
}

static void block_free(block_ctx *b) {
  free(b->params), free(b->grads), free(b->acts), free(b->scratch), free(b->x), free(b->G);
  free(b->dx);
}

static double block_loss(void *p) {
  block_ctx *b = p;
  mimic_block_forward(&b->p, &b->a, b->x, &b->s);
  return dot_loss(b->G, b->a.out, (size_t)b->s.B * b->s.T * b->s.C);
}

static void run_block(const json_t *c, const char *name) {
  block_ctx b = {{(int)tu_num(c, "batch"), (int)tu_num(c, "seq_len"), (int)tu_num(c, "n_embd"),
                  (int)tu_num(c, "n_head"), (float)tu_num(c, "layer_norm_eps")}};
  block_alloc(&b);
  size_t n = (size_t)b.s.B * b.s.T * b.s.C;
  const json_t *ref = nt_get(c, "f64");
  block_io(b.params, b.s.C, nt_get(c, "params"), "", 1, name);
  nt_copy(nt_get(c, "x"), b.x, n, "x");
  nt_copy(nt_get(c, "upstream_grad"), b.G, n, "upstream_grad");
  char what[160];
  double loss = block_loss(&b);
  snprintf(what, sizeof what, "%s out", name);
  nt_check(b.a.out, nt_get(ref, "out"), n, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(loss, nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
  mimic_block_backward(b.dx, &b.g, &b.p, &b.a, b.x, b.G, b.scratch, &b.s);
  snprintf(what, sizeof what, "%s grad_x", name);
  nt_check(b.dx, nt_get(ref, "grad_x"), n, NT_ATOL, NT_RTOL, what);
  block_io(b.grads, b.s.C, nt_get(ref, "grads"), "", 0, name);
  /* dx may alias dout */
  memcpy(b.dx, b.G, n * 4);
  mimic_block_backward(b.dx, &b.g, &b.p, &b.a, b.x, b.dx, b.scratch, &b.s);
  nt_check(b.dx, nt_get(ref, "grad_x"), n, NT_ATOL, NT_RTOL, "block grad_x in place");
  block_free(&b);
}

/* Loads (load) or checks a GPT's parameters/gradients against a name-keyed object. */
static void gpt_io(mimic_gpt *g, float *flat, const json_t *obj, int load, const char *name) {
  const mimic_gpt_config *c = &g->cfg;
  size_t C = c->n_embd, V = c->vocab_size;
  struct {
    const char *key;
    size_t n;
  } head[2] = {{"wte.weight", V * C}, {"wpe.weight", (size_t)c->block_size * C}},
    tail[3] = {{"ln_f.weight", C}, {"ln_f.bias", C}, {"lm_head.weight", V * C}};
  char msg[256], prefix[32];
  float *p = flat;
  for (int i = 0; i < 2; i++, p += head[i - 1].n) {
    snprintf(msg, sizeof msg, "%s grad %s", name, head[i].key);
    if (load)
      nt_copy(nt_get(obj, head[i].key), p, head[i].n, head[i].key);
    else
      nt_check(p, nt_get(obj, head[i].key), head[i].n, NT_ATOL, NT_RTOL, msg);
  }
  for (int l = 0; l < c->n_layer; l++) {
    snprintf(prefix, sizeof prefix, "h.%d.", l);
    block_io(p, c->n_embd, obj, prefix, load, name);
    p += mimic_block_param_count(c->n_embd);
  }
  for (int i = 0; i < 3; i++, p += tail[i - 1].n) {
    snprintf(msg, sizeof msg, "%s grad %s", name, tail[i].key);
    if (load)
      nt_copy(nt_get(obj, tail[i].key), p, tail[i].n, tail[i].key);
    else
      nt_check(p, nt_get(obj, tail[i].key), tail[i].n, NT_ATOL, NT_RTOL, msg);
  }
  assert_int_equal(p - flat, (ptrdiff_t)g->n_params);
}

static int32_t *ids(const json_t *c, const char *key, size_t *n) {
  int64_t *v = tu_tensor_i64(nt_get(c, key), n);
  int32_t *out = malloc(*n * sizeof *out);
  for (size_t i = 0; i < *n; i++) out[i] = (int32_t)v[i];
  free(v);
  return out;
}

static void run_gpt(const json_t *c, const char *name) {
  mimic_gpt_config cfg = {(int)tu_num(c, "vocab_size"), (int)tu_num(c, "block_size"),
                          (int)tu_num(c, "n_layer"), (int)tu_num(c, "n_head"),
                          (int)tu_num(c, "n_embd")};
  assert_false(json_is_true(nt_get(c, "tied_lm_head")));
  assert_false(json_is_true(nt_get(c, "lm_head_bias")));
  int B = (int)tu_num(c, "batch"), T = (int)tu_num(c, "seq_len");
  mimic_gpt g;
  assert_int_equal(mimic_gpt_create(&g, &cfg, B + 1, cfg.block_size), MIMIC_OK);
  gpt_io(&g, g.params, nt_get(c, "params"), 1, name);
  size_t ni, nt;
  int32_t *idx = ids(c, "idx", &ni), *tg = ids(c, "targets", &nt);
  assert_int_equal(ni, (size_t)B * T);
  assert_int_equal(nt, ni);
  const json_t *ref = nt_get(c, "f64");
  assert_int_equal(mimic_gpt_forward(&g, idx, B, T), MIMIC_OK);
  char what[160];
  size_t nl = (size_t)B * T * cfg.vocab_size;
  snprintf(what, sizeof what, "%s logits", name);
  nt_check(g.logits, nt_get(ref, "logits"), nl, NT_ATOL, NT_RTOL, what);
  double loss;
  assert_int_equal(mimic_gpt_loss(&g, tg, &loss), MIMIC_OK);
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(loss, nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad_logits", name);
  nt_check(g.dlogits, nt_get(ref, "grad_logits"), nl, NT_ATOL, NT_RTOL, what);
  mimic_gpt_zero_grad(&g);
  mimic_gpt_backward(&g);
  gpt_io(&g, g.grads, nt_get(ref, "grads"), 0, name);
  free(idx), free(tg);
  mimic_gpt_free(&g);
}

static void test_transformer_block_reference_vectors(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/transformer_block.json");
  size_t i;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    const char *type = json_string_value(nt_get(c, "type")),
               *name = json_string_value(nt_get(c, "name"));
    if (strcmp(type, "block") == 0)
      run_block(c, name);
    else if (strcmp(type, "model") == 0)
      run_gpt(c, name);
    else
      fail_msg("%s: unknown type %s", name, type);
  }
  json_decref(f);
}

/* ---- finite differences ------------------------------------------------------------ */

typedef struct ln_ctx {
  float *x, *w, *b, *y, *mean, *rstd, *G;
  int N, C;
  mimic_gelu_kind kind;
} ln_ctx;

static double ln_loss(void *p) {
  ln_ctx *c = p;
  mimic_layernorm_forward(c->y, c->mean, c->rstd, c->x, c->w, c->b, c->N, c->C, 1e-5f);
  return dot_loss(c->G, c->y, (size_t)c->N * c->C);
}

static double gelu_loss(void *p) {
  ln_ctx *c = p;
  mimic_gelu_forward(c->y, c->x, (size_t)c->N * c->C, c->kind);
  return dot_loss(c->G, c->y, (size_t)c->N * c->C);
}

static void test_layernorm_gelu_fd(void **state) {
  (void)state;
  enum { N = 3, C = 7 };
  float x[N * C], w[C], b[C], y[N * C], mean[N], rstd[N], G[N * C], dx[N * C], dw[C] = {0},
                                                                               db[C] = {0};
  mimic_rng rng;
  mimic_rng_seed(&rng, 31);
  nt_fill(x, N * C, -2, 2, &rng);
  nt_fill(w, C, 0.5, 1.5, &rng);
  nt_fill(b, C, -0.5, 0.5, &rng);
  nt_fill(G, N * C, -1, 1, &rng);
  ln_ctx c = {x, w, b, y, mean, rstd, G, N, C};
  ln_loss(&c);
  mimic_layernorm_backward(dx, dw, db, G, x, w, mean, rstd, N, C);
  nt_fd_check(ln_loss, &c, x, dx, N * C, 1e-2f, 2e-4, 2e-3, "layernorm dx");
  nt_fd_check(ln_loss, &c, w, dw, C, 1e-2f, 2e-4, 2e-3, "layernorm dw");
  nt_fd_check(ln_loss, &c, b, db, C, 1e-2f, 2e-4, 2e-3, "layernorm db");
  for (int k = 0; k < 2; k++) {
    c.kind = k ? MIMIC_GELU_TANH : MIMIC_GELU_ERF;
    gelu_loss(&c);
    mimic_gelu_backward(dx, G, x, N * C, c.kind);
    nt_fd_check(gelu_loss, &c, x, dx, N * C, 1e-2f, 2e-4, 2e-3, k ? "gelu tanh dx" : "gelu erf dx");
  }
}

/* Causal attention straight from its definition, in double: y, att and
 * dqkv for upstream dy (the hand-written kernel's reference at sizes the
 * reference vectors do not reach). */
static void naive_attention(double *y, double *att, double *dqkv, const float *qkv, const float *dy,
                            int B, int T, int C, int NH) {
  const int hd = C / NH, C3 = 3 * C;
  const double scale = 1.0 / sqrt((double)hd);
  double *dA = malloc((size_t)T * sizeof *dA);
  memset(dqkv, 0, (size_t)B * T * C3 * sizeof *dqkv);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const float *base = qkv + (size_t)b * T * C3 + h * hd;
      double *A = att + ((size_t)b * NH + h) * T * T, *dbase = dqkv + (size_t)b * T * C3 + h * hd;
      for (int i = 0; i < T; i++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < T; j++) {
          double s = 0;
          for (int d = 0; d < hd; d++) s += (double)base[i * C3 + d] * base[j * C3 + C + d];
          A[i * T + j] = j <= i ? s * scale : 0;
          if (j <= i && A[i * T + j] > mx) mx = A[i * T + j];
        }
        for (int j = 0; j <= i; j++) sum += A[i * T + j] = exp(A[i * T + j] - mx);
        for (int j = 0; j <= i; j++) A[i * T + j] /= sum;
        const float *g = dy + ((size_t)b * T + i) * C + h * hd;
        double dot = 0;
        for (int d = 0; d < hd; d++) {
          double acc = 0;
          for (int j = 0; j <= i; j++) acc += A[i * T + j] * base[j * C3 + 2 * C + d];
          y[((size_t)b * T + i) * C + h * hd + d] = acc;
        }
        for (int j = 0; j <= i; j++) {
          dA[j] = 0;
          for (int d = 0; d < hd; d++) dA[j] += (double)g[d] * base[j * C3 + 2 * C + d];
          dot += dA[j] * A[i * T + j];
        }
        for (int j = 0; j <= i; j++) {
          double ds = A[i * T + j] * (dA[j] - dot) * scale;
          for (int d = 0; d < hd; d++) {
            dbase[i * C3 + d] += ds * base[j * C3 + C + d];
            dbase[j * C3 + C + d] += ds * base[i * C3 + d];
            dbase[j * C3 + 2 * C + d] += A[i * T + j] * g[d];
          }
        }
      }
    }
  free(dA);
}

static void check_close(const float *got, const double *ref, size_t n, const char *what) {
  for (size_t k = 0; k < n; k++)
    if (!(fabs(got[k] - ref[k]) <= NT_ATOL + NT_RTOL * fabs(ref[k])))
      fail_msg("%s[%zu]: %.9g, reference %.9g", what, k, got[k], ref[k]);
}

/* The lower-triangle kernel at a GPT's head size (hd 32, 16-column tiles)
 * and lengths that are not multiples of its 4-row and 8-column tiles,
 * against naive_attention; and the same bits on a rerun. */
static void test_attention_kernel_sizes(void **state) {
  (void)state;
  const int shapes[][3] = {{2, 64, 128}, {3, 37, 64}, {1, 13, 96}, {2, 9, 24}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
    const int B = shapes[s][0], T = shapes[s][1], C = shapes[s][2], NH = C / 32 ? C / 32 : 1;
    const size_t bt = (size_t)B * T, na = (size_t)B * NH * T * T;
    float *qkv = malloc(bt * 3 * C * 4), *dy = malloc(bt * C * 4), *y = malloc(bt * C * 4);
    float *att = malloc(na * 4), *dqkv = malloc(bt * 3 * C * 4), *y2 = malloc(bt * C * 4);
    float *dqkv2 = malloc(bt * 3 * C * 4);
    float *scratch = malloc(mimic_attention_scratch_count(T, C, NH) * 4);
    double *ry = malloc(bt * C * 8), *ratt = malloc(na * 8), *rdqkv = malloc(bt * 3 * C * 8);
    mimic_rng rng;
    mimic_rng_seed(&rng, 40 + s);
    nt_fill(qkv, bt * 3 * C, -2, 2, &rng);
    nt_fill(dy, bt * C, -1, 1, &rng);
    mimic_attention_forward(y, att, scratch, qkv, B, T, C, NH);
    mimic_attention_backward(dqkv, scratch, dy, qkv, att, B, T, C, NH);
    naive_attention(ry, ratt, rdqkv, qkv, dy, B, T, C, NH);
    char what[64];
    snprintf(what, sizeof what, "T%d C%d y", T, C);
    check_close(y, ry, bt * C, what);
    snprintf(what, sizeof what, "T%d C%d att", T, C);
    check_close(att, ratt, na, what);
    snprintf(what, sizeof what, "T%d C%d dqkv", T, C);
    check_close(dqkv, rdqkv, bt * 3 * C, what);
    mimic_attention_forward(y2, att, scratch, qkv, B, T, C, NH);
    mimic_attention_backward(dqkv2, scratch, dy, qkv, att, B, T, C, NH);
    assert_memory_equal(y, y2, bt * C * 4);
    assert_memory_equal(dqkv, dqkv2, bt * 3 * C * 4);
    free(qkv), free(dy), free(y), free(att), free(dqkv), free(y2), free(dqkv2), free(scratch);
    free(ry), free(ratt), free(rdqkv);
  }
}

static void test_attention_fd(void **state) {
  (void)state;
  attn_ctx a = {2, 5, 8, 2};
  attn_alloc(&a);
  size_t bt = (size_t)a.B * a.T, C = a.C;
  mimic_rng rng;
  mimic_rng_seed(&rng, 32);
  nt_fill(a.x, bt * C, -1, 1, &rng);
  nt_fill(a.G, bt * C, -1, 1, &rng);
  nt_fill(a.wa, 3 * C * C, -0.5, 0.5, &rng);
  nt_fill(a.ba, 3 * C, -0.2, 0.2, &rng);
  nt_fill(a.wp, C * C, -0.5, 0.5, &rng);
  nt_fill(a.bp, C, -0.2, 0.2, &rng);
  attn_loss(&a);
  attn_backward(&a);
  nt_fd_check(attn_loss, &a, a.x, a.dx, bt * C, 1e-2f, 3e-4, 3e-3, "attention dx");
  nt_fd_check(attn_loss, &a, a.wa, a.dwa, 3 * C * C, 1e-2f, 3e-4, 3e-3, "attention dW_attn");
  nt_fd_check(attn_loss, &a, a.ba, a.dba, 3 * C, 1e-2f, 3e-4, 3e-3, "attention db_attn");
  nt_fd_check(attn_loss, &a, a.wp, a.dwp, C * C, 1e-2f, 3e-4, 3e-3, "attention dW_proj");
  attn_free(&a);
}

static void test_block_fd(void **state) {
  (void)state;
  block_ctx b = {{2, 4, 8, 2, 1e-5f}};
  block_alloc(&b);
  size_t n = (size_t)b.s.B * b.s.T * b.s.C, np = mimic_block_param_count(b.s.C);
  mimic_rng rng;
  mimic_rng_seed(&rng, 33);
  nt_fill(b.params, np, -0.4, 0.4, &rng);
  for (int i = 0; i < b.s.C; i++) b.p.ln1w[i] += 1.0f, b.p.ln2w[i] += 1.0f;
  nt_fill(b.x, n, -1, 1, &rng);
  nt_fill(b.G, n, -1, 1, &rng);
  block_loss(&b);
  mimic_block_backward(b.dx, &b.g, &b.p, &b.a, b.x, b.G, b.scratch, &b.s);
  nt_fd_check(block_loss, &b, b.params, b.grads, np, 1e-2f, 5e-4, 5e-3, "block params");
  nt_fd_check(block_loss, &b, b.x, b.dx, n, 1e-2f, 5e-4, 5e-3, "block dx");
  block_free(&b);
}

typedef struct gpt_ctx {
  mimic_gpt *g;
  int32_t *idx, *tg;
  int B, T;
} gpt_ctx;

static double gpt_loss(void *p) {
  gpt_ctx *c = p;
  double loss;
  assert_int_equal(mimic_gpt_forward(c->g, c->idx, c->B, c->T), MIMIC_OK);
  assert_int_equal(mimic_gpt_loss(c->g, c->tg, &loss), MIMIC_OK);
  return loss;
}

static void test_gpt_fd_and_checks(void **state) {
  (void)state;
  mimic_gpt_config cfg = {7, 6, 2, 2, 8};
  mimic_gpt g;
  assert_int_equal(mimic_gpt_create(&g, &cfg, 2, 5), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 34);
  mimic_gpt_init(&g, &rng);
  /* larger weights than GPT-2's 0.02 so every path matters; float forward passes limit the finite
   * differences to about 1e-3 */
  for (size_t k = 0; k < g.n_params; k++) g.params[k] *= 5.0f;
  for (int i = 0; i < cfg.n_embd; i++) g.lnfw[i] = 1.0f + 0.1f * (float)i;
  int32_t idx[10] = {0, 3, 3, 6, 1, 2, 5, 0, 4, 4}, tg[10] = {3, 3, 6, 1, 2, 5, 0, 4, 4, 6};
  gpt_ctx c = {&g, idx, tg, 2, 4}; /* T < max_T < block_size */
  gpt_loss(&c);
  mimic_gpt_zero_grad(&g);
  mimic_gpt_backward(&g);
  float *grad = malloc(g.n_params * 4);
  memcpy(grad, g.grads, g.n_params * 4);
  nt_fd_check(gpt_loss, &c, g.params, grad, g.n_params, 5e-3f, 1e-3, 1e-2, "gpt params");
  /* rows of wpe beyond T and tokens never seen get no gradient */
  for (int t = 4; t < cfg.block_size; t++)
    for (int k = 0; k < cfg.n_embd; k++)
      assert_true(grad[(size_t)(cfg.vocab_size + t) * cfg.n_embd + k] == 0.0f);
  free(grad);
  /* bad input */
  idx[3] = 7;
  assert_int_equal(mimic_gpt_forward(&g, idx, 2, 4), MIMIC_ERR_RANGE);
  idx[3] = 6;
  assert_int_equal(mimic_gpt_forward(&g, idx, 2, 6), MIMIC_ERR_INVALID); /* T > max_T */
  assert_int_equal(mimic_gpt_forward(&g, idx, 2, 4), MIMIC_OK);
  tg[0] = -1;
  double loss;
  assert_int_equal(mimic_gpt_loss(&g, tg, &loss), MIMIC_ERR_RANGE);
  mimic_gpt_free(&g);
  mimic_gpt_config bad = {7, 6, 2, 3, 8}; /* 8 channels do not split into 3 heads */
  assert_int_equal(mimic_gpt_create(&g, &bad, 2, 5), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_gpt_create(&g, &cfg, 2, 7), MIMIC_ERR_INVALID); /* max_T > block_size */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layernorm_gelu_reference_vectors),
      cmocka_unit_test(test_gelu_tanh_one_pass_bits),
      cmocka_unit_test(test_attention_reference_vectors),
      cmocka_unit_test(test_transformer_block_reference_vectors),
      cmocka_unit_test(test_layernorm_gelu_fd),
      cmocka_unit_test(test_attention_fd),
      cmocka_unit_test(test_attention_kernel_sizes),
      cmocka_unit_test(test_block_fd),
      cmocka_unit_test(test_gpt_fd_and_checks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
