/* Optimizers and clipping: torch's Adam / AdamW / coupled weight decay over
 * five steps (adam.json), clip_grad_norm_ (clip_grad_norm.json), SGD with
 * momentum against an independent double-precision transcription of
 * torch.optim.SGD, and multi-block steps equal to single-array steps. */
#include "nn_testutil.h"
#include "nn/optim.h"

/* Concatenates an array of P tensors into one float array (n gets the length). */
static float *concat(const json_t *tensors, size_t *n, size_t *lens) {
  size_t total = 0, P = json_array_size(tensors);
  for (size_t p = 0; p < P; p++) total += tu_numel(json_array_get(tensors, p));
  float *out = malloc(total * sizeof *out);
  size_t off = 0;
  for (size_t p = 0; p < P; p++) {
    size_t k;
    float *t = tu_tensor_f32(json_array_get(tensors, p), &k);
    memcpy(out + off, t, k * sizeof *t);
    if (lens) lens[p] = k;
    off += k;
    free(t);
  }
  *n = total;
  return out;
}

/* Checks a flat array against an array of reference tensors. */
static void check_concat(const float *got, const json_t *tensors, double atol, double rtol,
                         const char *what) {
  size_t off = 0;
  char buf[160];
  for (size_t p = 0; p < json_array_size(tensors); p++) {
    const json_t *t = json_array_get(tensors, p);
    size_t k = tu_numel(t);
    snprintf(buf, sizeof buf, "%s tensor %zu", what, p);
    nt_check(got + off, t, k, atol, rtol, buf);
    off += k;
  }
}

static void run_adam_case(const json_t *c) {
  const char *name = json_string_value(nt_get(c, "name"));
  const char *kind = json_string_value(nt_get(c, "optimizer"));
  mimic_optim_config cfg =
      mimic_optim_defaults(strcmp(kind, "adamw") == 0 ? MIMIC_OPTIM_ADAMW : MIMIC_OPTIM_ADAM);
  cfg.lr = tu_num(c, "lr");
  cfg.beta1 = tu_num(c, "beta1");
  cfg.beta2 = tu_num(c, "beta2");
  cfg.eps = tu_num(c, "eps");
  cfg.weight_decay = tu_num(c, "weight_decay");
  int steps = (int)tu_num(c, "n_steps");
  size_t n, lens[16];
  const json_t *init = nt_get(c, "params_init");
  assert_true(json_array_size(init) <= 16);
  int P = (int)json_array_size(init);
  float *p = concat(init, &n, lens), *p2 = malloc(n * sizeof *p2);
  memcpy(p2, p, n * sizeof *p);
  mimic_optim o, o2;
  assert_int_equal(mimic_optim_create(&o, &cfg, n), MIMIC_OK);
  assert_int_equal(mimic_optim_create(&o2, &cfg, n), MIMIC_OK);
  const json_t *ref = nt_get(c, "f64");
  assert_int_equal(json_array_size(ref), (size_t)steps);
  for (int t = 0; t < steps; t++) {
    size_t ng;
    float *g = concat(json_array_get(nt_get(c, "grads"), t), &ng, NULL);
    assert_int_equal(ng, n);
    mimic_optim_step(&o, p, g);
    /* the same step block by block */
    float *pb[16];
    const float *gb[16];
    size_t off = 0;
    for (int b = 0; b < P; b++) {
      pb[b] = p2 + off;
      gb[b] = g + off;
      off += lens[b];
    }
    mimic_optim_step_blocks(&o2, pb, gb, lens, P);
    assert_memory_equal(p, p2, n * sizeof *p);
    const json_t *r = json_array_get(ref, t);
    char what[160];
    snprintf(what, sizeof what, "%s step %d params", name, t + 1);
    check_concat(p, nt_get(r, "params"), NT_ADAM_ATOL, NT_ADAM_RTOL, what);
    snprintf(what, sizeof what, "%s step %d exp_avg", name, t + 1);
    check_concat(o.m, nt_get(r, "exp_avg"), NT_ADAM_ATOL, NT_ADAM_RTOL, what);
    snprintf(what, sizeof what, "%s step %d exp_avg_sq", name, t + 1);
    check_concat(o.v, nt_get(r, "exp_avg_sq"), NT_ADAM_ATOL, NT_ADAM_RTOL, what);
    free(g);
  }
  assert_int_equal(o.t, steps);
  mimic_optim_free(&o);
  mimic_optim_free(&o2);
  free(p);
  free(p2);
}

static void test_adam_reference(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/adam.json");
  nt_case(f, "adam");
  nt_case(f, "adamw_wd0.01");
  nt_case(f, "adam_coupled_wd0.01");
  size_t i;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) run_adam_case(c);
  json_decref(f);
}

static void test_clip_reference(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/clip_grad_norm.json");
  nt_case(f, "clipped");
  nt_case(f, "not_clipped");
  size_t i;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    const char *name = json_string_value(nt_get(c, "name"));
    float max_norm = (float)tu_num(c, "max_norm");
    const json_t *ref = nt_get(c, "f64");
    size_t n, lens[16];
    assert_true(json_array_size(nt_get(c, "grads_before")) <= 16);
    int P = (int)json_array_size(nt_get(c, "grads_before"));
    float *g = concat(nt_get(c, "grads_before"), &n, lens);
    float *g2 = malloc(n * sizeof *g2), *before = malloc(n * sizeof *before);
    memcpy(g2, g, n * sizeof *g);
    memcpy(before, g, n * sizeof *g);
    double total = mimic_clip_grad_norm(g, n, max_norm);
    char what[160];
    snprintf(what, sizeof what, "%s total_norm", name);
    nt_check_scalar(total, nt_get(ref, "total_norm"), NT_ATOL, NT_RTOL, what);
    bool clipped = json_is_true(nt_get(ref, "clipped"));
    assert_int_equal(max_norm / (total + 1e-6) < 1.0, clipped);
    snprintf(what, sizeof what, "%s grads_after", name);
    check_concat(g, nt_get(ref, "grads_after"), NT_ATOL, NT_RTOL, what);
    snprintf(what, sizeof what, "%s norm_after", name);
    nt_check_scalar(mimic_grad_norm(g, n), nt_get(ref, "norm_after"), NT_ATOL, NT_RTOL, what);
    if (!clipped) assert_memory_equal(g, before, n * sizeof *g); /* untouched */
    /* one global norm over blocks */
    float *gb[16];
    size_t off = 0;
    for (int b = 0; b < P; b++) {
      gb[b] = g2 + off;
      off += lens[b];
    }
    double total2 = mimic_clip_grad_norm_blocks(gb, lens, P, max_norm);
    assert_true(total2 == total);
    assert_memory_equal(g, g2, n * sizeof *g);
    free(g);
    free(g2);
    free(before);
  }
  json_decref(f);
}

/* torch.optim.SGD (1.13), transcribed in double. */
static void sgd_ref(double *p, const double *g, double *buf, int n, bool first, double lr,
                    double mom, double damp, double wd, bool nesterov) {
  for (int i = 0; i < n; i++) {
    double d = g[i] + wd * p[i];
    if (mom != 0) {
      buf[i] = first ? d : mom * buf[i] + (1 - damp) * d;
      d = nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

static void test_sgd(void **state) {
  (void)state;
  struct {
    float lr, mom, damp, wd;
    bool nesterov;
  } cases[] = {{0.1f, 0.0f, 0.0f, 0.0f, false},
               {0.05f, 0.9f, 0.0f, 0.0f, false},
               {0.05f, 0.9f, 0.1f, 0.01f, false},
               {0.02f, 0.8f, 0.0f, 1e-3f, true}};
  enum { N = 23, STEPS = 6 };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    mimic_optim_config cfg = mimic_optim_defaults(MIMIC_OPTIM_SGD);
    cfg.lr = cases[k].lr;
    cfg.momentum = cases[k].mom;
    cfg.dampening = cases[k].damp;
    cfg.weight_decay = cases[k].wd;
    cfg.nesterov = cases[k].nesterov;
    mimic_optim o;
    assert_int_equal(mimic_optim_create(&o, &cfg, N), MIMIC_OK);
    mimic_rng rng;
    mimic_rng_seed(&rng, 50 + k);
    float p[N], g[N];
    double pd[N], gd[N], buf[N] = {0};
    nt_fill(p, N, -1, 1, &rng);
    for (int i = 0; i < N; i++) pd[i] = p[i];
    for (int t = 0; t < STEPS; t++) {
      nt_fill(g, N, -2, 2, &rng);
      for (int i = 0; i < N; i++) gd[i] = g[i];
      mimic_optim_step(&o, p, g);
      sgd_ref(pd, gd, buf, N, t == 0, cfg.lr, cfg.momentum, cfg.dampening, cfg.weight_decay,
              cfg.nesterov);
      tu_assert_close_f32(p, pd, N, 1e-6, 1e-5, "sgd params");
    }
    mimic_optim_free(&o);
  }
}

static void test_optim_config_errors(void **state) {
  (void)state;
  mimic_optim o;
  mimic_optim_config c = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  assert_true(c.lr == 1e-3 && c.beta1 == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8);
  assert_true(mimic_optim_defaults(MIMIC_OPTIM_ADAMW).weight_decay == 1e-2);
  c.beta2 = 1.0;
  assert_int_equal(mimic_optim_create(&o, &c, 4), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "beta2"));
  c = mimic_optim_defaults(MIMIC_OPTIM_SGD);
  c.nesterov = true;
  assert_int_equal(mimic_optim_check(&c), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "nesterov"));
  c.lr = -1.0;
  assert_int_equal(mimic_optim_check(&c), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "learning rate"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_adam_reference),
      cmocka_unit_test(test_clip_reference),
      cmocka_unit_test(test_sgd),
      cmocka_unit_test(test_optim_config_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
