/* Conv2d the im2col way, one image at a time.
 *
 * Each image is unfolded into its block of col, a (C*k*k, Ho*Wo) matrix
 * whose row (c, u, v) holds, for every output position, the input pixel
 * that kernel tap (u, v) of channel c sees there (0 in the padding); the
 * image's output is then W (O, C*k*k) @ that block, written by the sgemm
 * straight into the image's NCHW slice. Image by image the block (400 KB
 * for Nature-CNN's first layer) is still in cache when the sgemm packs
 * it, and neither the output nor its gradient needs a staging copy: the
 * earlier whole-batch product (O, N*Ho*Wo) read a 13 MB col back from
 * memory and copied the output to NCHW and the gradient back, which cost
 * more than the longer product saved (docs/nn.md, "Performance").
 *
 * Space-to-depth: when the stride s divides the kernel and there is no
 * padding (Nature-CNN's 8x8/4 and 4x4/2), the layer is a (k/s)x(k/s)
 * stride-1 convolution over the input rearranged into s x s blocks (C*s*s
 * channels of (H/s) x (W/s)). The image is rearranged once, a pass over
 * the input, and every row of col is then a run of contiguous copies
 * instead of a stride-s gather over (k/s)^2 times as many pixels. col's
 * rows stay in (c, u, v) order, PyTorch's weight layout, so the block is
 * bit for bit the one the direct gather writes and the weights need no
 * reordering. Backward folds the same way: contiguous adds onto the
 * blocks, then one rearrangement back.
 *
 * Backward, per image: dW += dout_n (O, Ho*Wo) @ col_n^T, db += row sums,
 * and dcol = W^T @ dout_n folds back (col2im, adding where windows
 * overlap) into dinp. */
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
  return rows * s->N * s->Ho * s->Wo + (size_t)s->C * s->H * s->W;
}

int mimic_conv2d_space_to_depth(const mimic_conv2d_shape *s) {
  return !s->direct && s->stride > 1 && s->pad == 0 && s->k % s->stride == 0;
}

/* xs (C*s*s, H/s, W/s) = img (C, H, W) in s x s blocks: channel
 * (c*s + du)*s + dv of block (bi, bj) is img[c][bi*s + du][bj*s + dv]. */
static void to_blocks(float *xs, const float *img, const mimic_conv2d_shape *s) {
  const int st = s->stride, Hs = s->H / st, Ws = s->W / st;
  const size_t plane = (size_t)Hs * Ws;
  for (int c = 0; c < s->C; c++)
    for (int bi = 0; bi < Hs; bi++)
      for (int du = 0; du < st; du++) {
        const float *src = img + ((size_t)c * s->H + bi * st + du) * s->W;
        float *dst = xs + (size_t)(c * st + du) * st * plane + (size_t)bi * Ws;
        for (int dv = 0; dv < st; dv++, dst += plane)
          for (int bj = 0; bj < Ws; bj++) dst[bj] = src[bj * st + dv];
      }
}

/* img (C, H, W) = the blocks xs back in place; pixels no block covers
 * (rows and columns past the last whole block) are 0. */
static void from_blocks(float *img, const float *xs, const mimic_conv2d_shape *s) {
  const int st = s->stride, Hs = s->H / st, Ws = s->W / st;
  const size_t plane = (size_t)Hs * Ws;
  memset(img, 0, (size_t)s->C * s->H * s->W * sizeof *img);
  for (int c = 0; c < s->C; c++)
    for (int bi = 0; bi < Hs; bi++)
      for (int du = 0; du < st; du++) {
        float *dst = img + ((size_t)c * s->H + bi * st + du) * s->W;
        const float *src = xs + (size_t)(c * st + du) * st * plane + (size_t)bi * Ws;
        for (int dv = 0; dv < st; dv++, src += plane)
          for (int bj = 0; bj < Ws; bj++) dst[bj * st + dv] = src[bj];
      }
}

/* col (C*k*k, Ho*Wo) = unfold(img (C,H,W)); xs: C*H*W floats of scratch */
static void im2col(float *col, const float *img, float *xs, const mimic_conv2d_shape *s) {
  const int k = s->k, st = s->stride, p = s->pad, Ho = s->Ho, Wo = s->Wo;
  const size_t hw = (size_t)Ho * Wo;
  if (mimic_conv2d_space_to_depth(s)) {
    const int Ws = s->W / st;
    const size_t plane = (size_t)(s->H / st) * Ws;
    to_blocks(xs, img, s);
    for (int c = 0; c < s->C; c++)
      for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
          float *row = col + ((size_t)(c * k + u) * k + v) * hw;
          const float *blk = xs + (size_t)((c * st + u % st) * st + v % st) * plane;
          blk += (size_t)(u / st) * Ws + v / st;
          for (int i = 0; i < Ho; i++)
            memcpy(row + (size_t)i * Wo, blk + (size_t)i * Ws, (size_t)Wo * sizeof *row);
        }
    return;
  }
  for (int c = 0; c < s->C; c++)
    for (int u = 0; u < k; u++)
      for (int v = 0; v < k; v++) {
        float *row = col + ((size_t)(c * k + u) * k + v) * hw;
        const float *ch = img + (size_t)c * s->H * s->W;
        for (int i = 0; i < Ho; i++) {
          float *dst = row + (size_t)i * Wo;
          int a = i * st + u - p;
          if (a < 0 || a >= s->H) {
            memset(dst, 0, (size_t)Wo * sizeof *dst);
            continue;
          }
          const float *src = ch + (size_t)a * s->W;
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

/* dimg (C,H,W) = fold(col (C*k*k, Ho*Wo)), summing overlapping taps in
 * (c, u, v) order on both paths; xs: C*H*W floats of scratch */
static void col2im(float *dimg, const float *col, float *xs, const mimic_conv2d_shape *s) {
  const int k = s->k, st = s->stride, p = s->pad, Ho = s->Ho, Wo = s->Wo;
  const size_t hw = (size_t)Ho * Wo;
  if (mimic_conv2d_space_to_depth(s)) {
    const int Ws = s->W / st;
    const size_t plane = (size_t)(s->H / st) * Ws;
    memset(xs, 0, (size_t)s->C * st * st * plane * sizeof *xs);
    for (int c = 0; c < s->C; c++)
      for (int u = 0; u < k; u++)
        for (int v = 0; v < k; v++) {
          const float *row = col + ((size_t)(c * k + u) * k + v) * hw;
          float *blk = xs + (size_t)((c * st + u % st) * st + v % st) * plane;
          blk += (size_t)(u / st) * Ws + v / st;
          for (int i = 0; i < Ho; i++) {
            float *dst = blk + (size_t)i * Ws;
            const float *src = row + (size_t)i * Wo;
            for (int j = 0; j < Wo; j++) dst[j] += src[j];
          }
        }
    from_blocks(dimg, xs, s);
    return;
  }
  memset(dimg, 0, (size_t)s->C * s->H * s->W * sizeof *dimg);
  for (int c = 0; c < s->C; c++)
    for (int u = 0; u < k; u++)
      for (int v = 0; v < k; v++) {
        const float *row = col + ((size_t)(c * k + u) * k + v) * hw;
        float *ch = dimg + (size_t)c * s->H * s->W;
        for (int i = 0; i < Ho; i++) {
          const float *src = row + (size_t)i * Wo;
          int a = i * st + u - p;
          if (a < 0 || a >= s->H) continue;
          float *dst = ch + (size_t)a * s->W;
          if (st == 1 && p == 0) { /* contiguous: vectorised */
            float *dv = dst + v;
            for (int j = 0; j < Wo; j++) dv[j] += src[j];
            continue;
          }
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

void mimic_conv2d_forward(float *out, float *col, float *tmp, const float *inp, const float *W,
                          const float *b, const mimic_conv2d_shape *s) {
  const int K = s->C * s->k * s->k, hw = s->Ho * s->Wo;
  const size_t in_img = (size_t)s->C * s->H * s->W;
  for (int n = 0; n < s->N; n++) {
    float *col_n = col + (size_t)n * K * hw, *out_n = out + (size_t)n * s->O * hw;
    im2col(col_n, inp + n * in_img, tmp, s);
    // out_n (O, hw) = W (O, K) @ col_n (K, hw)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->O, hw, K, 1.0f, W, K, col_n, hw, 0.0f,
                out_n, hw);
    if (b)
      for (int o = 0; o < s->O; o++) {
        float *row = out_n + (size_t)o * hw, bo = b[o];
        for (int q = 0; q < hw; q++) row[q] += bo;
      }
  }
}

void mimic_conv2d_backward(float *dinp, float *dW, float *db, float *col, float *tmp,
                           const float *dout, const float *W, const mimic_conv2d_shape *s) {
  const int K = s->C * s->k * s->k, hw = s->Ho * s->Wo;
  const size_t in_img = (size_t)s->C * s->H * s->W;
  if (db)
    for (int o = 0; o < s->O; o++) {
      float acc = 0.0f;
      for (int n = 0; n < s->N; n++) {
        const float *row = dout + ((size_t)n * s->O + o) * hw;
        for (int q = 0; q < hw; q++) acc += row[q];
      }
      db[o] += acc;
    }
  for (int n = 0; n < s->N; n++) {
    const float *col_n = col + (size_t)n * K * hw, *dout_n = dout + (size_t)n * s->O * hw;
    // dW (O, K) += dout_n (O, hw) @ col_n^T (hw, K)
    if (dW)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->O, K, hw, 1.0f, dout_n, hw, col_n, hw,
                  1.0f, dW, K);
    if (!dinp) continue;
    // dcol (K, hw) = W^T (K, O) @ dout_n (O, hw), then folded back
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, hw, s->O, 1.0f, W, K, dout_n, hw, 0.0f,
                tmp, hw);
    col2im(dinp + n * in_img, tmp, tmp + (size_t)K * hw, s);
  }
}
