/* Helpers for the nn tests: moving layer lists between the reference JSON
 * ({"W": tensor [out, in], "b": tensor [out]} per layer) and an MLP's flat
 * parameters, tolerance checks against the f64 block, and finite
 * differences. Header-only (static) so each test binary stays standalone. */
#ifndef MIMIC_NN_TESTUTIL_H
#define MIMIC_NN_TESTUTIL_H

#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/nn.h"
#include "nn/layers.h"

/* Tolerances of testdata/nn/README.md for float32 code. */
#define NT_ATOL 1e-5
#define NT_RTOL 1e-4
#define NT_ADAM_ATOL 2e-6
#define NT_ADAM_RTOL 1e-5

static inline json_t *nt_get(const json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!v) fail_msg("reference field '%s' is missing", key);
  return v;
}

/* Returns the case named name in a refvec file. */
static inline const json_t *nt_case(const json_t *file, const char *name) {
  size_t i;
  json_t *c;
  json_array_foreach(nt_get(file, "cases"), i, c) {
    if (strcmp(json_string_value(nt_get(c, "name")), name) == 0) return c;
  }
  fail_msg("reference case '%s' is missing", name);
  return NULL;
}

/* Reads "sizes" of a case into sizes; returns their count. */
static inline int nt_sizes(const json_t *c, const char *key, int *sizes) {
  const json_t *a = nt_get(c, key);
  int n = (int)json_array_size(a);
  assert_true(n >= 2 && n <= MIMIC_MLP_MAX_LAYERS + 1);
  for (int i = 0; i < n; i++) sizes[i] = (int)json_integer_value(json_array_get(a, i));
  return n;
}

static inline mimic_activation nt_act(const json_t *c) {
  const char *a = json_string_value(nt_get(c, "activation"));
  if (strcmp(a, "tanh") == 0) return MIMIC_ACT_TANH;
  if (strcmp(a, "relu") == 0) return MIMIC_ACT_RELU;
  fail_msg("unknown activation %s", a);
  return MIMIC_ACT_TANH;
}

/* Copies a tensor into dst, checking it has exactly n elements. */
static inline void nt_copy(const json_t *t, float *dst, size_t n, const char *what) {
  size_t got;
  float *f = tu_tensor_f32(t, &got);
  if (got != n) fail_msg("%s: reference has %zu elements, expected %zu", what, got, n);
  memcpy(dst, f, n * sizeof *f);
  free(f);
}

/* Fills an MLP's parameters from a layer list. */
static inline void nt_load_layers(const json_t *layers, mimic_mlp *m) {
  assert_int_equal(json_array_size(layers), m->n_layers);
  for (int l = 0; l < m->n_layers; l++) {
    const json_t *L = json_array_get(layers, l);
    size_t out = m->sizes[l + 1], in = m->sizes[l];
    nt_copy(nt_get(L, "W"), mimic_mlp_W(m, l), out * in, "W");
    nt_copy(nt_get(L, "b"), mimic_mlp_b(m, l), out, "b");
  }
}

/* Checks n floats against a reference tensor (its f64 values). */
static inline void nt_check(const float *got, const json_t *ref, size_t n, double atol, double rtol,
                            const char *what) {
  size_t rn;
  double *r = tu_tensor_f64(ref, &rn);
  if (rn != n) fail_msg("%s: reference has %zu elements, got %zu", what, rn, n);
  tu_assert_close_f32(got, r, n, atol, rtol, what);
  free(r);
}

static inline void nt_check_scalar(double got, const json_t *ref, double atol, double rtol,
                                   const char *what) {
  if (!json_is_number(ref)) fail_msg("%s: reference is not a number", what);
  tu_assert_close_f64(&got, (double[]){json_number_value(ref)}, 1, atol, rtol, what);
}

/* Checks a flat gradient/parameter array laid out like m against a layer list. */
static inline void nt_check_layers(const float *flat, const mimic_mlp *m, const json_t *layers,
                                   double atol, double rtol, const char *what) {
  assert_int_equal(json_array_size(layers), m->n_layers);
  char buf[256];
  for (int l = 0; l < m->n_layers; l++) {
    const json_t *L = json_array_get(layers, l);
    size_t out = m->sizes[l + 1], in = m->sizes[l];
    snprintf(buf, sizeof buf, "%s layer %d W", what, l);
    nt_check(flat + m->w_off[l], nt_get(L, "W"), out * in, atol, rtol, buf);
    snprintf(buf, sizeof buf, "%s layer %d b", what, l);
    nt_check(flat + m->b_off[l], nt_get(L, "b"), out, atol, rtol, buf);
  }
}

/* Fills x with uniform values in [lo, hi) from rng. */
static inline void nt_fill(float *x, size_t n, double lo, double hi, mimic_rng *rng) {
  for (size_t i = 0; i < n; i++) x[i] = (float)mimic_rng_uniform(rng, lo, hi);
}

/* Finite-difference check: for each of the n floats in x (perturbed in
 * place, by +-h), compares (f(x+h) - f(x-h)) / 2h with grad. f returns a
 * double computed from float forward passes with double accumulation. */
typedef double (*nt_fn)(void *ctx);
static inline void nt_fd_check(nt_fn f, void *ctx, float *x, const float *grad, size_t n, float h,
                               double atol, double rtol, const char *what) {
  double worst = 0;
  for (size_t k = 0; k < n; k++) {
    float saved = x[k];
    x[k] = saved + h;
    double up = f(ctx);
    float hu = x[k] - saved;
    x[k] = saved - h;
    double dn = f(ctx);
    float hd = saved - x[k];
    x[k] = saved;
    double fd = (up - dn) / ((double)hu + hd);
    double err = fabs(fd - grad[k]);
    double tol = atol + rtol * fabs(fd);
    if (err / tol > worst) worst = err / tol;
    if (!(err <= tol))
      fail_msg("%s[%zu]: finite difference %.8g vs analytic %.8g (|diff| %.3g > %.3g)", what, k, fd,
               grad[k], err, tol);
  }
  (void)worst;
}

#endif
