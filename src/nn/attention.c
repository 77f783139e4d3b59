/* Causal multi-head self-attention (nanoGPT's CausalSelfAttention without
 * the two Linears, which the block applies): per sequence and head, three
 * sgemms on strided views of the fused qkv buffer (the leading dimension
 * 3C steps from one position to the next, so no head is ever copied out).
 *
 * The score product is computed over the full T x T square and the upper
 * triangle then cleared; the wasted half costs less than row-by-row
 * products would lose in sgemm efficiency at these sizes. Softmax
 * subtracts each row's maximum; entries above the diagonal are exactly 0,
 * so the backward formulas need no mask. */
#include "nn/transformer.h"

#include <cblas.h>
#include <math.h>

void mimic_attention_forward(float *y, float *att, const float *qkv, int B, int T, int C, int NH) {
  const int hd = C / NH, C3 = 3 * C;
  const float scale = 1.0f / sqrtf((float)hd);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const float *q = qkv + (size_t)b * T * C3 + h * hd, *k = q + C, *v = q + 2 * C;
      float *A = att + ((size_t)b * NH + h) * T * T;
      // A (T,T) = scale * q_h (T,hd) @ k_h^T
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, scale, q, C3, k, C3, 0.0f, A,
                  T);
      for (int i = 0; i < T; i++) {
        float *row = A + (size_t)i * T;
        float mx = row[0];
        for (int j = 1; j <= i; j++)
          if (row[j] > mx) mx = row[j];
        float sum = 0.0f;
        for (int j = 0; j <= i; j++) {
          row[j] = expf(row[j] - mx);
          sum += row[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j <= i; j++) row[j] *= inv;
        for (int j = i + 1; j < T; j++) row[j] = 0.0f;
      }
      // y_h (T,hd) = A (T,T) @ v_h (T,hd)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, 1.0f, A, T, v, C3, 0.0f,
                  y + (size_t)b * T * C + h * hd, C);
    }
}

void mimic_attention_backward(float *dqkv, float *scratch, const float *dy, const float *qkv,
                              const float *att, int B, int T, int C, int NH) {
  const int hd = C / NH, C3 = 3 * C;
  const float scale = 1.0f / sqrtf((float)hd);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const size_t off = (size_t)b * T * C3 + h * hd;
      const float *q = qkv + off, *k = q + C, *v = q + 2 * C;
      float *dq = dqkv + off, *dk = dq + C, *dv = dq + 2 * C;
      const float *A = att + ((size_t)b * NH + h) * T * T;
      const float *dyh = dy + (size_t)b * T * C + h * hd;
      float *dA = scratch;
      // dA (T,T) = dy_h (T,hd) @ v_h^T;  dv_h = A^T @ dy_h
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hd, 1.0f, dyh, C, v, C3, 0.0f, dA,
                  T);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, 1.0f, A, T, dyh, C, 0.0f, dv,
                  C3);
      // dS = A * (dA - rowsum(dA * A)), in place (0 above the diagonal, as A)
      for (int i = 0; i < T; i++) {
        float *r = dA + (size_t)i * T;
        const float *a = A + (size_t)i * T;
        float dot = 0.0f;
        for (int j = 0; j <= i; j++) dot += r[j] * a[j];
        for (int j = 0; j <= i; j++) r[j] = a[j] * (r[j] - dot);
        for (int j = i + 1; j < T; j++) r[j] = 0.0f;
      }
      // dq_h = scale * dS @ k_h;  dk_h = scale * dS^T @ q_h
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hd, T, scale, dA, T, k, C3, 0.0f,
                  dq, C3);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hd, T, scale, dA, T, q, C3, 0.0f, dk,
                  C3);
    }
}
