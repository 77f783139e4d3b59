/* Causal multi-head self-attention (nanoGPT's CausalSelfAttention without
 * the two Linears, which the block applies), in hand-written loops over
 * the lower triangle only.
 *
 * At a GPT's sizes (T = 64, hd = 32) the per-head products are too small
 * for sgemm (~30 GFLOP/s measured, with the masked upper half computed and
 * thrown away). Here each head's q, k, v (and the gradients) are copied
 * into zero-padded contiguous tiles in scratch (rows and columns rounded
 * up to 8), and every product is one register-blocked kernel: 4 output
 * rows x 16 (or 8) columns held in registers, a row of the right operand
 * loaded once per k and multiplied by 4 broadcast scalars. A causal
 * product only visits the k (or output columns) a row block can see: the
 * 4-row block starting at i reads keys 0..i+3, so about half of the
 * square is skipped in all six products (scores, A v, and the backward's
 * dA, dv, dq, dk). Zeros above the diagonal in the probability tiles make
 * the few entries a block overreaches contribute exact zeros.
 *
 * The softmax is fused into the score pass: max, exp (simd.h's
 * polynomial, a few ulp) and normalisation per row, vectorised. Sums run
 * in a fixed order (k ascending per lane, lanes combined in v8f_sum's
 * order), so results are deterministic and the same in both clones; they
 * differ from the former sgemm path only in summation order. */
#include "nn/simd.h"
#include "nn/transformer.h"

#include <math.h>
#include <string.h>

/* simd.h's helpers return vectors only when inlined (no ABI involved). */
#pragma GCC diagnostic ignored "-Wpsabi"

static int round8(int n) { return (n + 7) & ~7; }

size_t mimic_attention_scratch_count(int T, int C, int NH) {
  size_t tp = (size_t)round8(T), hp = (size_t)round8(C / NH);
  return 7 * tp * hp + 3 * tp * tp;
}

/* out[r][c] = alpha * sum_{k0 <= k < k1} a[r][k] b[k][c] for the 4 rows
 * r of a block and columns c < n (n a multiple of 8). */
SIMD_INLINE void kernel4(float *out, int ldo, const float *a, int lda, const float *b, int ldb,
                         int k0, int k1, int n, float alpha) {
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  int c = 0;
  for (; c + 16 <= n; c += 16) {
    v8f s00 = {0}, s01 = {0}, s10 = {0}, s11 = {0}, s20 = {0}, s21 = {0}, s30 = {0}, s31 = {0};
    for (int k = k0; k < k1; k++) {
      const float *bk = b + (size_t)k * ldb + c;
      v8f b0 = v8f_load(bk), b1 = v8f_load(bk + 8);
      float x0 = a0[k], x1 = a1[k], x2 = a2[k], x3 = a3[k];
      s00 += x0 * b0, s01 += x0 * b1, s10 += x1 * b0, s11 += x1 * b1;
      s20 += x2 * b0, s21 += x2 * b1, s30 += x3 * b0, s31 += x3 * b1;
    }
    float *o = out + c;
    v8f_store(o, s00 * alpha), v8f_store(o + 8, s01 * alpha);
    v8f_store(o + ldo, s10 * alpha), v8f_store(o + ldo + 8, s11 * alpha);
    v8f_store(o + 2 * ldo, s20 * alpha), v8f_store(o + 2 * ldo + 8, s21 * alpha);
    v8f_store(o + 3 * ldo, s30 * alpha), v8f_store(o + 3 * ldo + 8, s31 * alpha);
  }
  if (c < n) {
    v8f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    for (int k = k0; k < k1; k++) {
      v8f bk = v8f_load(b + (size_t)k * ldb + c);
      s0 += a0[k] * bk, s1 += a1[k] * bk, s2 += a2[k] * bk, s3 += a3[k] * bk;
    }
    float *o = out + c;
    v8f_store(o, s0 * alpha), v8f_store(o + ldo, s1 * alpha);
    v8f_store(o + 2 * ldo, s2 * alpha), v8f_store(o + 3 * ldo, s3 * alpha);
  }
}

/* Which part of a product a causal row block sees. */
typedef enum {
  CAUSAL_COLS, /* output columns 0 .. i+3 (scores, dA), all k */
  CAUSAL_LOW,  /* k in 0 .. i+3 (A v, dS k): a is lower triangular */
  CAUSAL_HIGH, /* k in i .. T-1 (A^T dy, dS^T q): a is upper triangular */
} causal_kind;

/* out (rows of tile rows) = alpha * a @ b over the causal part; rows
 * beyond T are computed on the zero padding and never read. */
SIMD_INLINE void causal_product(float *out, int ldo, const float *a, int lda, const float *b,
                                int ldb, int T, int K, int n, causal_kind kind, float alpha) {
  for (int i = 0; i < T; i += 4) {
    int lim = i + 4 < T ? i + 4 : T;
    int k0 = 0, k1 = K, cols = n;
    if (kind == CAUSAL_COLS) cols = round8(lim);
    if (kind == CAUSAL_LOW) k1 = lim;
    if (kind == CAUSAL_HIGH) k0 = i;
    kernel4(out + (size_t)i * ldo, ldo, a + (size_t)i * lda, lda, b, ldb, k0, k1, cols, alpha);
  }
}

/* A head's columns of a (T, ld) strided view into a (T, hp) tile. */
SIMD_INLINE void gather(float *tile, int hp, const float *src, int ld, int T, int hd) {
  for (int t = 0; t < T; t++)
    memcpy(tile + (size_t)t * hp, src + (size_t)t * ld, hd * sizeof(float));
}

/* The transposed tile (hp, tp) of the same view. */
SIMD_INLINE void gather_t(float *tile, int tp, const float *src, int ld, int T, int hd) {
  for (int t = 0; t < T; t++)
    for (int d = 0; d < hd; d++) tile[(size_t)d * tp + t] = src[(size_t)t * ld + d];
}

SIMD_INLINE void scatter(float *dst, int ld, const float *tile, int hp, int T, int hd) {
  for (int t = 0; t < T; t++)
    memcpy(dst + (size_t)t * ld, tile + (size_t)t * hp, hd * sizeof(float));
}

/* Row i of the scores (S, in place) becomes its causal softmax: entries
 * 0..i the probabilities, i+1 up to the row's 8-column boundary zero;
 * att's row (T wide) gets the probabilities and zeros above the diagonal. */
SIMD_INLINE void softmax_row(float *S, float *att, int i, int T) {
  const v8f zero = {0};
  const v8i lane = {0, 1, 2, 3, 4, 5, 6, 7};
  const int n = round8(i + 1);
  float mx = S[0];
  for (int j = 1; j <= i; j++) mx = S[j] > mx ? S[j] : mx;
  v8f sum = zero;
  for (int j = 0; j < n; j += 8) {
    v8f z = v8f_load(S + j) - mx; /* > 0 only in the masked lanes */
    z = VSEL(z > 0.0f, zero, z);
    z = VSEL(z < -87.0f, zero - 87.0f, z);
    exp8_nonpos(&z);
    v8f e = VSEL(lane + j <= i, z, zero); /* lanes j.. beyond i: 0 */
    sum += e;
    v8f_store(S + j, e);
  }
  float inv = 1.0f / v8f_sum(sum);
  for (int j = 0; j < n; j += 8) v8f_store(S + j, v8f_load(S + j) * inv);
  memcpy(att, S, (size_t)(i + 1) * sizeof(float));
  memset(att + i + 1, 0, (size_t)(T - i - 1) * sizeof(float));
}

SIMD_CLONES void mimic_attention_forward(float *y, float *att, float *scratch, const float *qkv,
                                         int B, int T, int C, int NH) {
  const int hd = C / NH, C3 = 3 * C, tp = round8(T), hp = round8(hd);
  const size_t th = (size_t)tp * hp;
  const float scale = 1.0f / sqrtf((float)hd);
  float *Q = scratch, *Kt = Q + th, *V = Kt + th, *Y = V + th, *S = Y + th;
  memset(scratch, 0, mimic_attention_scratch_count(T, C, NH) * sizeof(float));
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const float *q = qkv + (size_t)b * T * C3 + h * hd, *k = q + C, *v = q + 2 * C;
      float *A = att + ((size_t)b * NH + h) * T * T;
      gather(Q, hp, q, C3, T, hd);
      gather_t(Kt, tp, k, C3, T, hd);
      gather(V, hp, v, C3, T, hd);
      causal_product(S, tp, Q, hp, Kt, tp, T, hp, 0, CAUSAL_COLS, scale);
      for (int i = 0; i < T; i++) softmax_row(S + (size_t)i * tp, A + (size_t)i * T, i, T);
      causal_product(Y, hp, S, tp, V, hp, T, tp, hp, CAUSAL_LOW, 1.0f);
      scatter(y + (size_t)b * T * C + h * hd, C, Y, hp, T, hd);
    }
}

SIMD_CLONES void mimic_attention_backward(float *dqkv, float *scratch, const float *dy,
                                          const float *qkv, const float *att, int B, int T, int C,
                                          int NH) {
  const int hd = C / NH, C3 = 3 * C, tp = round8(T), hp = round8(hd);
  const size_t th = (size_t)tp * hp, tt = (size_t)tp * tp;
  const float scale = 1.0f / sqrtf((float)hd);
  float *Q = scratch, *K = Q + th, *Vt = K + th, *dY = Vt + th, *dQ = dY + th, *dK = dQ + th;
  float *dV = dK + th, *dS = dV + th, *At = dS + tt, *dSt = At + tt;
  memset(scratch, 0, mimic_attention_scratch_count(T, C, NH) * sizeof(float));
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const size_t off = (size_t)b * T * C3 + h * hd;
      const float *q = qkv + off, *k = q + C, *v = q + 2 * C;
      float *dq = dqkv + off, *dk = dq + C, *dv = dq + 2 * C;
      const float *A = att + ((size_t)b * NH + h) * T * T;
      gather(Q, hp, q, C3, T, hd);
      gather(K, hp, k, C3, T, hd);
      gather_t(Vt, tp, v, C3, T, hd);
      gather(dY, hp, dy + (size_t)b * T * C + h * hd, C, T, hd);
      // dA = dy v^T on the causal columns
      causal_product(dS, tp, dY, hp, Vt, tp, T, hp, 0, CAUSAL_COLS, 1.0f);
      // dS = A * (dA - rowsum(dA * A)); At and dSt their transposes (upper)
      for (int i = 0; i < T; i++) {
        float *r = dS + (size_t)i * tp;
        const float *a = A + (size_t)i * T;
        const int n = round8(i + 1);
        v8f dot = {0};
        for (int j = 0; j + 8 <= i + 1; j += 8) dot += v8f_load(r + j) * v8f_load(a + j);
        float d = v8f_sum(dot);
        for (int j = (i + 1) & ~7; j <= i; j++) d += r[j] * a[j];
        for (int j = 0; j <= i; j++) {
          r[j] = a[j] * (r[j] - d);
          At[(size_t)j * tp + i] = a[j];
          dSt[(size_t)j * tp + i] = r[j];
        }
        memset(r + i + 1, 0, (size_t)(n - i - 1) * sizeof(float));
      }
      causal_product(dV, hp, At, tp, dY, hp, T, T, hp, CAUSAL_HIGH, 1.0f);
      causal_product(dQ, hp, dS, tp, K, hp, T, tp, hp, CAUSAL_LOW, scale);
      causal_product(dK, hp, dSt, tp, Q, hp, T, T, hp, CAUSAL_HIGH, scale);
      scatter(dq, C3, dQ, hp, T, hd);
      scatter(dk, C3, dK, hp, T, hd);
      scatter(dv, C3, dV, hp, T, hd);
    }
}
