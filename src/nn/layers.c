/* Layers: Linear (through CBLAS sgemm), tanh and ReLU, forward and backward
 * over caller-owned float buffers, plus the OpenBLAS thread switch.
 *
 * Linear keeps PyTorch's layout, W (OC, C), so out = inp W^T + b is one
 * sgemm (NoTrans, Trans) with the bias pre-filled into out and beta = 1;
 * backward is dW += dout^T inp (Trans, NoTrans), db += column sums of dout,
 * and dinp = dout W (NoTrans, NoTrans).
 *
 * tanh is mimic's own: libm's tanhf costs ~20 ns a call and dominated small
 * networks. It is written once on 8-lane GCC vectors (lowered to SSE2 by
 * default, AVX2 in a target clone) so scalar and vector results are the
 * same bits: |x| < 0.4 uses the odd Taylor polynomial to x^13 (truncation
 * < 4e-9 relative); otherwise tanh|x| = (1 - u) / (1 + u) with
 * u = exp(-2|x|) from a range-reduced degree-7 polynomial. Measured error
 * is a few float ulp (the unit test bounds it). -ffp-contract=off and no FMA
 * in the clone keep every lane's arithmetic identical. NaN stays NaN. */
#include "mimic/nn.h"
#include "nn/layers.h"
#include "nn/simd.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>

void mimic_nn_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

int mimic_nn_get_threads(void) { return openblas_get_num_threads(); }

const char *mimic_nn_blas_info(void) {
  static char buf[256];
  snprintf(buf, sizeof buf, "%s | %s", openblas_get_config(), openblas_get_corename());
  return buf;
}

const char *mimic_activation_name(mimic_activation act) {
  switch (act) {
  case MIMIC_ACT_TANH: return "tanh";
  case MIMIC_ACT_RELU: return "relu";
  }
  return NULL;
}

/* ---- Linear ------------------------------------------------------------- */

void mimic_linear_forward(float *out, const float *inp, const float *W, const float *b, int B,
                          int C, int OC) {
  // out (B,OC) = inp (B,C) @ W^T (C,OC) + b
  float beta = 0.0f;
  if (b) {
    for (int i = 0; i < B; i++) memcpy(out + (size_t)i * OC, b, (size_t)OC * sizeof *b);
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, OC, C, 1.0f, inp, C, W, C, beta, out, OC);
}

void mimic_linear_backward(float *dinp, float *dW, float *db, const float *dout, const float *inp,
                           const float *W, int B, int C, int OC) {
  // dW (OC,C) += dout^T (OC,B) @ inp (B,C)
  if (dW)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, B, 1.0f, dout, OC, inp, C, 1.0f, dW,
                C);
  // db (OC) += sum over rows of dout
  if (db)
    for (int i = 0; i < B; i++) {
      const float *row = dout + (size_t)i * OC;
      for (int o = 0; o < OC; o++) db[o] += row[o];
    }
  // dinp (B,C) = dout (B,OC) @ W (OC,C)
  if (dinp)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, C, OC, 1.0f, dout, OC, W, C, 0.0f,
                dinp, C);
}

/* ---- tanh ---------------------------------------------------------------- */

/* out[0..7] = tanh(in[0..7]). Vectors never cross a call boundary (their
 * by-value ABI differs with and without AVX). */
static inline __attribute__((always_inline)) void tanh8(float *out, const float *in) {
  v8f x;
  memcpy(&x, in, sizeof x);
  v8i xi = (v8i)x;
  v8i sign = xi & (int32_t)0x80000000;
  v8f a = (v8f)(xi & 0x7fffffff);
  /* small |x|: x + x^3 (c3 + x^2 (c5 + ...)), Taylor to x^13 */
  v8f a2 = a * a;
  v8f q = a2 * (21844.0f / 6081075.0f) + -1382.0f / 155925.0f;
  q = q * a2 + 62.0f / 2835.0f;
  q = q * a2 + -17.0f / 315.0f;
  q = q * a2 + 2.0f / 15.0f;
  q = q * a2 + -1.0f / 3.0f;
  v8f small_val = a + (a * a2) * q;
  /* large |x|: u = exp(-2|x|), |x| clamped at 20 (tanh is 1 in float long before) */
  const v8f zero = {0};
  v8f ac = VSEL(a > 20.0f, zero + 20.0f, a);
  v8f u = ac * -2.0f;
  exp8_nonpos(&u);
  v8f large_val = (1.0f - u) / (1.0f + u);
  v8f res = VSEL(a < 0.4f, small_val, large_val);
  res = (v8f)((v8i)res | sign);
  memcpy(out, &res, sizeof res);
}

SIMD_CLONES void mimic_tanh_forward(float *out, const float *inp, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) tanh8(out + i, inp + i);
  if (i < n) {
    float x[8] = {0};
    memcpy(x, inp + i, (n - i) * sizeof(float));
    tanh8(x, x);
    memcpy(out + i, x, (n - i) * sizeof(float));
  }
}

/* ---- GELU, tanh form ------------------------------------------------------ */

/* One pass instead of three (polynomial, tanh, product): the GPT's MLP
 * spent more on GELU's passes over memory than on the tanh itself. Each
 * lane does exactly the scalar formula's operations in its order
 * (-ffp-contract=off), so the bits are those of the scalar form. */
#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_A 0.044715f

static inline __attribute__((always_inline)) void gelu8(float *out, const float *inp) {
  v8f x, t;
  memcpy(&x, inp, sizeof x);
  v8f u = GELU_K * (x + GELU_A * x * x * x);
  tanh8((float *)&t, (const float *)&u);
  v8f y = 0.5f * x * (1.0f + t);
  memcpy(out, &y, sizeof y);
}

static inline __attribute__((always_inline)) void gelu_grad8(float *dinp, const float *dout,
                                                             const float *inp) {
  v8f x, g, t;
  memcpy(&x, inp, sizeof x);
  memcpy(&g, dout, sizeof g);
  v8f u = GELU_K * (x + GELU_A * x * x * x);
  tanh8((float *)&t, (const float *)&u);
  v8f d = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_K * (1.0f + 3.0f * GELU_A * x * x);
  v8f y = g * d;
  memcpy(dinp, &y, sizeof y);
}

SIMD_CLONES void mimic_gelu_tanh_forward(float *out, const float *inp, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) gelu8(out + i, inp + i);
  if (i < n) {
    float x[8] = {0};
    memcpy(x, inp + i, (n - i) * sizeof(float));
    gelu8(x, x);
    memcpy(out + i, x, (n - i) * sizeof(float));
  }
}

SIMD_CLONES void mimic_gelu_tanh_backward(float *dinp, const float *dout, const float *inp,
                                          size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) gelu_grad8(dinp + i, dout + i, inp + i);
  if (i < n) {
    float x[8] = {0}, g[8] = {0};
    memcpy(x, inp + i, (n - i) * sizeof(float));
    memcpy(g, dout + i, (n - i) * sizeof(float));
    gelu_grad8(g, g, x);
    memcpy(dinp + i, g, (n - i) * sizeof(float));
  }
}

float mimic_tanhf(float x) {
  float v[8] = {x};
  tanh8(v, v);
  return v[0];
}

void mimic_tanh_backward(float *dinp, const float *dout, const float *out, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

/* ---- ReLU ---------------------------------------------------------------- */

/* Both are masks (x > 0, all ones or zeros) ANDed with the value, eight
 * lanes at a time: the scalar loop's branch mispredicts on half of a
 * layer's units and made ReLU 20% of an offline RL update. Same bits as
 * x > 0 ? v : 0 (+0 where not positive, NaN included). */
SIMD_CLONES void mimic_relu_forward(float *out, const float *inp, size_t n) {
  const v8f zero = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8f x;
    memcpy(&x, inp + i, sizeof x);
    v8f y = (v8f)((v8i)x & (x > zero));
    memcpy(out + i, &y, sizeof y);
  }
  for (; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

SIMD_CLONES void mimic_relu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
  const v8f zero = {0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v8f x, g;
    memcpy(&x, inp + i, sizeof x);
    memcpy(&g, dout + i, sizeof g);
    v8f y = (v8f)((v8i)g & (x > zero));
    memcpy(dinp + i, &y, sizeof y);
  }
  for (; i < n; i++) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
}
