/* GRU and LSTM: the reference vectors of testdata/nn/gru.json and
 * lstm.json (f64 block, README tolerances; PyTorch's gate order and
 * layouts), finite-difference checks of every input and parameter through
 * time, and truncated BPTT (two chunks carrying the state equal one
 * sequence forward). */
#include "nn_testutil.h"
#include "nn/recurrent.h"

typedef struct rnn_case {
  int lstm;
  mimic_rnn_shape s;
  size_t np, nx, nh, nout, ng;
  float *params, *grads, *x, *h0, *c0, *Gout, *GhT, *GcT;
  float *out, *cells, *gates, *hn, *scratch, *dx, *dh0, *dc0;
  mimic_rnn_params p, g;
} rnn_case;

static void rnn_alloc(rnn_case *r) {
  const mimic_rnn_shape *s = &r->s;
  int G = r->lstm ? 4 : 3;
  r->np = mimic_rnn_param_count(G, s->In, s->H);
  r->nx = (size_t)s->B * s->T * s->In;
  r->nh = (size_t)s->B * s->H;
  r->nout = (size_t)s->B * s->T * s->H;
  r->ng = r->nout * G;
  r->params = calloc(r->np, 4), r->grads = calloc(r->np, 4);
  r->x = calloc(r->nx, 4), r->dx = calloc(r->nx, 4);
  r->h0 = calloc(r->nh, 4), r->c0 = calloc(r->nh, 4), r->dh0 = calloc(r->nh, 4);
  r->dc0 = calloc(r->nh, 4), r->GhT = calloc(r->nh, 4), r->GcT = calloc(r->nh, 4);
  r->Gout = calloc(r->nout, 4), r->out = calloc(r->nout, 4), r->cells = calloc(r->nout, 4);
  r->hn = calloc(r->nout, 4), r->gates = calloc(r->ng, 4);
  r->scratch = calloc(mimic_rnn_scratch(G, s), 4);
  mimic_rnn_params_point(&r->p, r->params, G, s->In, s->H);
  mimic_rnn_params_point(&r->g, r->grads, G, s->In, s->H);
}

static void rnn_free(rnn_case *r) {
  float *all[] = {r->params, r->grads, r->x,    r->dx,  r->h0,    r->c0, r->dh0,   r->dc0,
                  r->GhT,    r->GcT,   r->Gout, r->out, r->cells, r->hn, r->gates, r->scratch};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

static void rnn_forward(rnn_case *r) {
  if (r->lstm)
    mimic_lstm_forward(r->out, r->cells, r->gates, r->scratch, r->x, r->h0, r->c0, &r->p, &r->s);
  else
    mimic_gru_forward(r->out, r->gates, r->hn, r->scratch, r->x, r->h0, &r->p, &r->s);
}

static void rnn_backward(rnn_case *r) {
  if (r->lstm)
    mimic_lstm_backward(r->dx, r->dh0, r->dc0, &r->g, r->scratch, r->Gout, r->GhT, r->GcT, r->x,
                        r->h0, r->c0, r->out, r->cells, r->gates, &r->p, &r->s);
  else
    mimic_gru_backward(r->dx, r->dh0, &r->g, r->scratch, r->Gout, r->GhT, r->x, r->h0, r->out,
                       r->gates, r->hn, &r->p, &r->s);
}

/* h_n (B,H) = out[:, T-1] */
static void last_state(const rnn_case *r, const float *seq, float *last) {
  for (int b = 0; b < r->s.B; b++)
    memcpy(last + (size_t)b * r->s.H, seq + ((size_t)b * r->s.T + r->s.T - 1) * r->s.H,
           (size_t)r->s.H * 4);
}

static double rnn_loss(void *p) {
  rnn_case *r = p;
  rnn_forward(r);
  double l = 0;
  for (size_t k = 0; k < r->nout; k++) l += (double)r->Gout[k] * r->out[k];
  for (int b = 0; b < r->s.B; b++)
    for (int j = 0; j < r->s.H; j++) {
      size_t last = ((size_t)b * r->s.T + r->s.T - 1) * r->s.H + j, k = (size_t)b * r->s.H + j;
      l += (double)r->GhT[k] * r->out[last];
      if (r->lstm) l += (double)r->GcT[k] * r->cells[last];
    }
  return l;
}

static void run_case(const json_t *c, int lstm) {
  const char *name = json_string_value(nt_get(c, "name"));
  rnn_case r = {lstm};
  r.s = (mimic_rnn_shape){(int)tu_num(c, "batch"), (int)tu_num(c, "seq_len"),
                          (int)tu_num(c, "input_size"), (int)tu_num(c, "hidden_size")};
  assert_int_equal((int)tu_num(c, "num_layers"), 1);
  rnn_alloc(&r);
  int G = lstm ? 4 : 3;
  size_t gh = (size_t)G * r.s.H;
  const json_t *P = nt_get(c, "params"), *ref = nt_get(c, "f64");
  nt_copy(nt_get(P, "weight_ih_l0"), r.p.w_ih, gh * r.s.In, "weight_ih_l0");
  nt_copy(nt_get(P, "weight_hh_l0"), r.p.w_hh, gh * r.s.H, "weight_hh_l0");
  nt_copy(nt_get(P, "bias_ih_l0"), r.p.b_ih, gh, "bias_ih_l0");
  nt_copy(nt_get(P, "bias_hh_l0"), r.p.b_hh, gh, "bias_hh_l0");
  nt_copy(nt_get(c, "x"), r.x, r.nx, "x");
  nt_copy(nt_get(c, "h0"), r.h0, r.nh, "h0");
  nt_copy(nt_get(c, "upstream_grad_output"), r.Gout, r.nout, "upstream_grad_output");
  nt_copy(nt_get(c, "upstream_grad_h_n"), r.GhT, r.nh, "upstream_grad_h_n");
  if (lstm) {
    nt_copy(nt_get(c, "c0"), r.c0, r.nh, "c0");
    nt_copy(nt_get(c, "upstream_grad_c_n"), r.GcT, r.nh, "upstream_grad_c_n");
  }
  char what[160];
#define CHECK(got, key, n)                                                                         \
  do {                                                                                             \
    snprintf(what, sizeof what, "%s %s", name, key);                                               \
    nt_check(got, nt_get(ref, key), n, NT_ATOL, NT_RTOL, what);                                    \
  } while (0)
  double loss = rnn_loss(&r);
  CHECK(r.out, "output", r.nout);
  CHECK(r.gates, "gates", r.ng);
  float *last = malloc(r.nh * 4);
  last_state(&r, r.out, last);
  CHECK(last, "h_n", r.nh);
  if (lstm) {
    CHECK(r.cells, "cells", r.nout);
    last_state(&r, r.cells, last);
    CHECK(last, "c_n", r.nh);
  }
  snprintf(what, sizeof what, "%s loss", name);
  nt_check_scalar(loss, nt_get(ref, "loss"), NT_ATOL, NT_RTOL, what);
  rnn_backward(&r);
  CHECK(r.dx, "grad_x", r.nx);
  CHECK(r.dh0, "grad_h0", r.nh);
  if (lstm) CHECK(r.dc0, "grad_c0", r.nh);
  const json_t *grads = nt_get(ref, "grads");
  snprintf(what, sizeof what, "%s grad weight_ih_l0", name);
  nt_check(r.g.w_ih, nt_get(grads, "weight_ih_l0"), gh * r.s.In, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad weight_hh_l0", name);
  nt_check(r.g.w_hh, nt_get(grads, "weight_hh_l0"), gh * r.s.H, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad bias_ih_l0", name);
  nt_check(r.g.b_ih, nt_get(grads, "bias_ih_l0"), gh, NT_ATOL, NT_RTOL, what);
  snprintf(what, sizeof what, "%s grad bias_hh_l0", name);
  nt_check(r.g.b_hh, nt_get(grads, "bias_hh_l0"), gh, NT_ATOL, NT_RTOL, what);
#undef CHECK
  free(last);
  rnn_free(&r);
}

static void run_file(const char *file, int lstm) {
  json_t *f = tu_load_json(file);
  size_t i;
  json_t *c;
  json_array_foreach(nt_get(f, "cases"), i, c) {
    assert_string_equal(json_string_value(nt_get(c, "cell")), lstm ? "lstm" : "gru");
    run_case(c, lstm);
  }
  json_decref(f);
}

static void test_gru_reference_vectors(void **state) {
  (void)state;
  run_file("nn/gru.json", 0);
}

static void test_lstm_reference_vectors(void **state) {
  (void)state;
  run_file("nn/lstm.json", 1);
}

/* ---- finite differences ------------------------------------------------------ */

static void random_case(rnn_case *r, int lstm, uint64_t seed) {
  memset(r, 0, sizeof *r);
  r->lstm = lstm;
  r->s = (mimic_rnn_shape){3, 4, 5, 6};
  rnn_alloc(r);
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  nt_fill(r->params, r->np, -0.6, 0.6, &rng);
  nt_fill(r->x, r->nx, -1, 1, &rng);
  nt_fill(r->h0, r->nh, -0.8, 0.8, &rng);
  nt_fill(r->c0, r->nh, -0.8, 0.8, &rng);
  nt_fill(r->Gout, r->nout, -1, 1, &rng);
  nt_fill(r->GhT, r->nh, -1, 1, &rng);
  if (lstm) nt_fill(r->GcT, r->nh, -1, 1, &rng);
}

static void rnn_fd(int lstm) {
  rnn_case r;
  random_case(&r, lstm, 21 + lstm);
  rnn_loss(&r);
  rnn_backward(&r);
  const char *tag = lstm ? "lstm" : "gru";
  char what[64];
  snprintf(what, sizeof what, "%s params", tag);
  nt_fd_check(rnn_loss, &r, r.params, r.grads, r.np, 1e-2f, 3e-4, 3e-3, what);
  snprintf(what, sizeof what, "%s dx", tag);
  nt_fd_check(rnn_loss, &r, r.x, r.dx, r.nx, 1e-2f, 3e-4, 3e-3, what);
  snprintf(what, sizeof what, "%s dh0", tag);
  nt_fd_check(rnn_loss, &r, r.h0, r.dh0, r.nh, 1e-2f, 3e-4, 3e-3, what);
  if (lstm) nt_fd_check(rnn_loss, &r, r.c0, r.dc0, r.nh, 1e-2f, 3e-4, 3e-3, "lstm dc0");
  rnn_free(&r);
}

static void test_gru_fd(void **state) {
  (void)state;
  rnn_fd(0);
}

static void test_lstm_fd(void **state) {
  (void)state;
  rnn_fd(1);
}

/* Two chunks of T/2 steps, the second starting from the first's last
 * state, give the whole sequence's outputs: what truncated BPTT relies on. */
static void chunks(int lstm) {
  rnn_case whole, part;
  random_case(&whole, lstm, 40);
  rnn_forward(&whole);
  random_case(&part, lstm, 40);
  part.s.T = 2; /* the same buffers, read as (B, 2, ...) */
  int T = whole.s.T, H = whole.s.H, In = whole.s.In, B = whole.s.B;
  for (int half = 0; half < 2; half++) {
    for (int b = 0; b < B; b++)
      memcpy(part.x + (size_t)b * 2 * In, whole.x + ((size_t)b * T + 2 * half) * In,
             (size_t)2 * In * 4);
    if (half) {
      last_state(&part, part.out, part.h0);
      last_state(&part, part.cells, part.c0);
    }
    rnn_forward(&part);
    for (int b = 0; b < B; b++)
      for (int t = 0; t < 2; t++)
        for (int j = 0; j < H; j++)
          assert_true(part.out[((size_t)b * 2 + t) * H + j] ==
                      whole.out[((size_t)b * T + 2 * half + t) * H + j]);
  }
  rnn_free(&whole);
  rnn_free(&part);
}

static void test_truncated_chunks(void **state) {
  (void)state;
  chunks(0);
  chunks(1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gru_reference_vectors),
      cmocka_unit_test(test_lstm_reference_vectors),
      cmocka_unit_test(test_gru_fd),
      cmocka_unit_test(test_lstm_fd),
      cmocka_unit_test(test_truncated_chunks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
