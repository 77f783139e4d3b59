/* LayerNorm, GELU and embeddings: the elementwise and row-wise pieces of a
 * transformer, as PyTorch computes them (F.layer_norm, F.gelu,
 * nn.Embedding). Float32 throughout; LayerNorm's variance takes two passes
 * over the row, because E[x^2] - mu^2 loses every digit when |mu| >> std.
 * The row sums run in 8 lanes (simd.h), a fixed order the compiler would
 * not choose itself without -ffast-math; each other loop is elementwise.
 *
 * GELU's tanh form is one vectorised pass in layers.c, beside mimic's fast
 * tanh (a few ulp): libm's tanhf per element costs more than the matrix
 * products around it in a GPT's MLP. The backward pass recomputes that
 * tanh the same way rather than keeping another buffer. */
#include "nn/layers.h"
#include "nn/simd.h"
#include "nn/transformer.h"

#include <math.h>

/* ---- LayerNorm ------------------------------------------------------------ */

/* simd.h's helpers return vectors only when inlined (no ABI involved). */
#pragma GCC diagnostic ignored "-Wpsabi"

/* Sum of x[c] - shift (row_sum) and of (x[c] - m)^2 (row_sq) over a row:
 * 8 lane sums combined in v8f_sum's order, then the tail. */
SIMD_INLINE float row_sum(const float *x, float shift, int C) {
  v8f acc = {0};
  int c = 0;
  for (; c + 8 <= C; c += 8) acc += v8f_load(x + c) - shift;
  float s = v8f_sum(acc);
  for (; c < C; c++) s += x[c] - shift;
  return s;
}

SIMD_INLINE float row_sq(const float *x, float m, int C) {
  v8f acc = {0};
  int c = 0;
  for (; c + 8 <= C; c += 8) {
    v8f d = v8f_load(x + c) - m;
    acc += d * d;
  }
  float s = v8f_sum(acc);
  for (; c < C; c++) s += (x[c] - m) * (x[c] - m);
  return s;
}

SIMD_CLONES void mimic_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                         const float *w, const float *b, int N, int C, float eps) {
  for (int n = 0; n < N; n++) {
    const float *x = inp + (size_t)n * C;
    float m = row_sum(x, 0.0f, C) / (float)C;
    float v = row_sq(x, m, C) / (float)C;
    float s = 1.0f / sqrtf(v + eps);
    float *o = out + (size_t)n * C;
    for (int c = 0; c < C; c++) o[c] = (x[c] - m) * s * w[c] + b[c];
    mean[n] = m;
    rstd[n] = s;
  }
}

SIMD_CLONES void mimic_layernorm_backward(float *dinp, float *dw, float *db, const float *dout,
                                          const float *inp, const float *w, const float *mean,
                                          const float *rstd, int N, int C) {
  for (int n = 0; n < N; n++) {
    const float *x = inp + (size_t)n * C, *g = dout + (size_t)n * C;
    float m = mean[n], s = rstd[n];
    // mean_d(dxhat) and mean_d(dxhat * xhat), lane sums as row_sum's
    v8f a1 = {0}, a2 = {0};
    int c = 0;
    for (; c + 8 <= C; c += 8) {
      v8f xhat = (v8f_load(x + c) - m) * s, dxhat = v8f_load(w + c) * v8f_load(g + c);
      a1 += dxhat;
      a2 += dxhat * xhat;
    }
    float dnorm_mean = v8f_sum(a1), dnorm_norm_mean = v8f_sum(a2);
    for (; c < C; c++) {
      float xhat = (x[c] - m) * s, dxhat = w[c] * g[c];
      dnorm_mean += dxhat;
      dnorm_norm_mean += dxhat * xhat;
    }
    dnorm_mean /= (float)C;
    dnorm_norm_mean /= (float)C;
    float *dx = dinp + (size_t)n * C;
    for (c = 0; c < C; c++) {
      float xhat = (x[c] - m) * s, dxhat = w[c] * g[c];
      dx[c] = s * (dxhat - dnorm_mean - xhat * dnorm_norm_mean);
    }
    if (db)
      for (c = 0; c < C; c++) db[c] += g[c];
    if (dw)
      for (c = 0; c < C; c++) dw[c] += (x[c] - m) * s * g[c];
  }
}

/* ---- GELU ------------------------------------------------------------------ */

#define INV_SQRT2 0.7071067811865476f
#define INV_SQRT_2PI 0.3989422804014327f

void mimic_gelu_forward(float *out, const float *inp, size_t n, mimic_gelu_kind kind) {
  if (kind == MIMIC_GELU_ERF) {
    for (size_t i = 0; i < n; i++) out[i] = inp[i] * 0.5f * (1.0f + erff(inp[i] * INV_SQRT2));
    return;
  }
  mimic_gelu_tanh_forward(out, inp, n);
}

void mimic_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n,
                         mimic_gelu_kind kind) {
  if (kind == MIMIC_GELU_ERF) {
    for (size_t i = 0; i < n; i++) {
      float x = inp[i];
      float phi = 0.5f * (1.0f + erff(x * INV_SQRT2));
      dinp[i] = dout[i] * (phi + x * expf(-0.5f * x * x) * INV_SQRT_2PI);
    }
    return;
  }
  mimic_gelu_tanh_backward(dinp, dout, inp, n);
}

/* ---- embeddings ------------------------------------------------------------ */

void mimic_embedding_forward(float *out, const int32_t *idx, const float *wte, const float *wpe,
                             int B, int T, int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      float *o = out + ((size_t)b * T + t) * C;
      const float *e = wte + (size_t)idx[b * T + t] * C;
      if (wpe) {
        const float *p = wpe + (size_t)t * C;
        for (int c = 0; c < C; c++) o[c] = e[c] + p[c];
      } else {
        for (int c = 0; c < C; c++) o[c] = e[c];
      }
    }
}

void mimic_embedding_backward(float *dwte, float *dwpe, const float *dout, const int32_t *idx,
                              int B, int T, int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      const float *g = dout + ((size_t)b * T + t) * C;
      float *e = dwte + (size_t)idx[b * T + t] * C;
      for (int c = 0; c < C; c++) e[c] += g[c];
      if (dwpe) {
        float *p = dwpe + (size_t)t * C;
        for (int c = 0; c < C; c++) p[c] += g[c];
      }
    }
}
