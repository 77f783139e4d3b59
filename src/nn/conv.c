/* Conv2d the im2col way, one sgemm for the whole batch.
 *
 * The input is unfolded into col, a (C*k*k, N*Ho*Wo) matrix whose row
 * (c, u, v) holds, for every output position of every image, the input
 * pixel that kernel tap (u, v) of channel c sees there (0 in the padding).
 * The convolution is then W (O, C*k*k) @ col, an (O, N*Ho*Wo) matrix that
 * one copy turns into NCHW. One product over the whole batch keeps the
 * sgemm's inner dimension long (Nature-CNN's last layer is 7x7 a picture,
 * too thin a matrix per image), at the price of an (O, N*Ho*Wo) staging
 * buffer.
 *
 * Backward: dout is staged the same way (tmp); dW += tmp @ col^T, db +=
 * row sums of tmp, and dcol = W^T @ tmp folds back (col2im, adding where
 * windows overlap) into dinp. */
#include "nn/conv.h"

#include <cblas.h>
#include <string.h>

int mimic_conv2d_shape_init(mimic_conv2d_shape *s) {
  if (s->N < 1 || s->C < 1 || s->H < 1 || s->W < 1 || s->O < 1 || s->k < 1 || s->stride < 1 ||
      s->pad < 0)
    return -1;
  int hp = s->H + 2 * s->pad - s->k, wp = s->W + 2 * s->pad - s->k;
  if (hp < 0 || wp < 0) return -1;
  s->Ho = hp / s->stride + 1;
  s->Wo = wp / s->stride + 1;
  return 0;
}

size_t mimic_conv2d_scratch(const mimic_conv2d_shape *s) {
  size_t rows = (size_t)s->C * s->k * s->k;
  if ((size_t)s->O > rows) rows = (size_t)s->O;
  return rows * s->N * s->Ho * s->Wo;
}

/* col (C*k*k, N*Ho*Wo) = unfold(inp (N,C,H,W)) */
static void im2col(float *col, const float *inp, const mimic_conv2d_shape *s) {
  const int k = s->k, st = s->stride, p = s->pad, Ho = s->Ho, Wo = s->Wo;
  const size_t hw = (size_t)Ho * Wo, ncols = (size_t)s->N * hw;
  for (int c = 0; c < s->C; c++)
    for (int u = 0; u < k; u++)
      for (int v = 0; v < k; v++) {
        float *row = col + ((size_t)(c * k + u) * k + v) * ncols;
        for (int n = 0; n < s->N; n++) {
          const float *img = inp + ((size_t)n * s->C + c) * s->H * s->W;
          for (int i = 0; i < Ho; i++) {
            float *dst = row + n * hw + (size_t)i * Wo;
            int a = i * st + u - p;
            if (a < 0 || a >= s->H) {
              memset(dst, 0, (size_t)Wo * sizeof *dst);
              continue;
            }
            const float *src = img + (size_t)a * s->W;
            if (st == 1 && p == 0) {
              memcpy(dst, src + v, (size_t)Wo * sizeof *dst);
              continue;
            }
            if (p == 0) { /* every tap inside the row: a plain strided gather */
              const float *sv = src + v;
              for (int j = 0; j < Wo; j++) dst[j] = sv[(size_t)j * st];
              continue;
            }
            for (int j = 0; j < Wo; j++) {
              int b = j * st + v - p;
              dst[j] = (b >= 0 && b < s->W) ? src[b] : 0.0f;
            }
          }
        }
      }
}

/* dinp (N,C,H,W) = fold(col), summing overlapping taps */
static void col2im(float *dinp, const float *col, const mimic_conv2d_shape *s) {
  const int k = s->k, st = s->stride, p = s->pad, Ho = s->Ho, Wo = s->Wo;
  const size_t hw = (size_t)Ho * Wo, ncols = (size_t)s->N * hw;
  memset(dinp, 0, (size_t)s->N * s->C * s->H * s->W * sizeof *dinp);
  for (int c = 0; c < s->C; c++)
    for (int u = 0; u < k; u++)
      for (int v = 0; v < k; v++) {
        const float *row = col + ((size_t)(c * k + u) * k + v) * ncols;
        for (int n = 0; n < s->N; n++) {
          float *img = dinp + ((size_t)n * s->C + c) * s->H * s->W;
          for (int i = 0; i < Ho; i++) {
            const float *src = row + n * hw + (size_t)i * Wo;
            int a = i * st + u - p;
            if (a < 0 || a >= s->H) continue;
            float *dst = img + (size_t)a * s->W;
            if (p == 0) {
              float *dv = dst + v;
              for (int j = 0; j < Wo; j++) dv[(size_t)j * st] += src[j];
              continue;
            }
            for (int j = 0; j < Wo; j++) {
              int b = j * st + v - p;
              if (b >= 0 && b < s->W) dst[b] += src[j];
            }
          }
        }
      }
}

void mimic_conv2d_forward(float *out, float *col, float *tmp, const float *inp, const float *W,
                          const float *b, const mimic_conv2d_shape *s) {
  const int K = s->C * s->k * s->k;
  const size_t hw = (size_t)s->Ho * s->Wo, ncols = (size_t)s->N * hw;
  im2col(col, inp, s);
  // tmp (O, N*Ho*Wo) = W (O, K) @ col (K, N*Ho*Wo)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->O, (int)ncols, K, 1.0f, W, K, col,
              (int)ncols, 0.0f, tmp, (int)ncols);
  for (int n = 0; n < s->N; n++)
    for (int o = 0; o < s->O; o++) {
      float *dst = out + ((size_t)n * s->O + o) * hw;
      const float *src = tmp + (size_t)o * ncols + n * hw;
      float bo = b ? b[o] : 0.0f;
      for (size_t q = 0; q < hw; q++) dst[q] = src[q] + bo;
    }
}

void mimic_conv2d_backward(float *dinp, float *dW, float *db, float *col, float *tmp,
                           const float *dout, const float *W, const mimic_conv2d_shape *s) {
  const int K = s->C * s->k * s->k;
  const size_t hw = (size_t)s->Ho * s->Wo, ncols = (size_t)s->N * hw;
  for (int n = 0; n < s->N; n++)
    for (int o = 0; o < s->O; o++)
      memcpy(tmp + (size_t)o * ncols + n * hw, dout + ((size_t)n * s->O + o) * hw,
             hw * sizeof *tmp);
  if (db)
    for (int o = 0; o < s->O; o++) {
      const float *row = tmp + (size_t)o * ncols;
      float acc = 0.0f;
      for (size_t q = 0; q < ncols; q++) acc += row[q];
      db[o] += acc;
    }
  // dW (O, K) += tmp (O, ncols) @ col^T (ncols, K)
  if (dW)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->O, K, (int)ncols, 1.0f, tmp, (int)ncols,
                col, (int)ncols, 1.0f, dW, K);
  if (dinp) {
    // dcol (K, ncols) = W^T (K, O) @ tmp (O, ncols), then folded back
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, (int)ncols, s->O, 1.0f, W, K, tmp,
                (int)ncols, 0.0f, col, (int)ncols);
    col2im(dinp, col, s);
  }
}
