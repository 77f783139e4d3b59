/* GRU and LSTM, forward and backward through time.
 *
 * The input projections of all T steps are one sgemm (x is (B*T, In)), done
 * before the time loop into the gates buffer; each step then adds the
 * recurrent projection h_(t-1) W_hh^T + b_hh, an sgemm of B rows whose
 * leading dimension T*H walks the batch-first output, so the previous
 * state is read in place. Backward mirrors it: per step only the
 * recurrent products (dW_hh, dh_(t-1)); the input-side gradients of all
 * steps are collected and become three sgemms after the loop.
 *
 * PyTorch's GRU differs from the textbook one in one place, kept here:
 * r multiplies (h W_hn^T + b_hn), bias included, so that term is kept
 * (hn) for the backward pass. */
#include "nn/recurrent.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

size_t mimic_rnn_param_count(int gates, int In, int H) {
  return (size_t)gates * H * ((size_t)In + H + 2);
}

void mimic_rnn_params_point(mimic_rnn_params *p, float *base, int gates, int In, int H) {
  size_t gh = (size_t)gates * H;
  p->w_ih = base;
  p->w_hh = p->w_ih + gh * In;
  p->b_ih = p->w_hh + gh * H;
  p->b_hh = p->b_ih + gh;
}

size_t mimic_rnn_scratch(int gates, const mimic_rnn_shape *s) {
  size_t gh = (size_t)gates * s->H;
  return (size_t)s->B * s->T * gh + (size_t)s->B * gh + 2 * (size_t)s->B * s->H;
}

/* gates (B*T, GH) = x (B*T, In) W_ih^T + b_ih */
static void input_proj(float *gates, const float *x, const mimic_rnn_params *p, int BT, int In,
                       int GH) {
  for (int r = 0; r < BT; r++) memcpy(gates + (size_t)r * GH, p->b_ih, (size_t)GH * sizeof *gates);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BT, GH, In, 1.0f, x, In, p->w_ih, In, 1.0f,
              gates, GH);
}

/* hh (B, GH) = h (B rows, leading dimension ldh) W_hh^T + b_hh */
static void recur_proj(float *hh, const float *h, int ldh, const mimic_rnn_params *p, int B, int H,
                       int GH) {
  for (int b = 0; b < B; b++) memcpy(hh + (size_t)b * GH, p->b_hh, (size_t)GH * sizeof *hh);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, GH, H, 1.0f, h, ldh, p->w_hh, H, 1.0f, hh,
              GH);
}

/* After the time loop: the input side's gradients from dih (B*T, GH). */
static void input_backward(float *dx, const mimic_rnn_params *g, const float *dih, const float *x,
                           const mimic_rnn_params *p, int BT, int In, int GH) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, In, BT, 1.0f, dih, GH, x, In, 1.0f,
              g->w_ih, In);
  for (int r = 0; r < BT; r++)
    for (int j = 0; j < GH; j++) g->b_ih[j] += dih[(size_t)r * GH + j];
  if (dx)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BT, In, GH, 1.0f, dih, GH, p->w_ih, In,
                0.0f, dx, In);
}

/* One step's recurrent-side gradients: dW_hh += da^T hprev, db_hh += sum da,
 * dh (B,H) = da W_hh + beta * dh. da has leading dimension lda. */
static void recur_backward(float *dh, float beta, const mimic_rnn_params *g, const float *da,
                           int lda, const float *hprev, int ldh, const mimic_rnn_params *p, int B,
                           int H, int GH) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, B, 1.0f, da, lda, hprev, ldh, 1.0f,
              g->w_hh, H);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < GH; j++) g->b_hh[j] += da[(size_t)b * lda + j];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, GH, 1.0f, da, lda, p->w_hh, H, beta,
              dh, H);
}

/* ---- GRU ------------------------------------------------------------------ */

void mimic_gru_forward(float *out, float *gates, float *hn, float *scratch, const float *x,
                       const float *h0, const mimic_rnn_params *p, const mimic_rnn_shape *s) {
  const int B = s->B, T = s->T, H = s->H, GH = 3 * H;
  float *hh = scratch;
  input_proj(gates, x, p, B * T, s->In, GH);
  for (int t = 0; t < T; t++) {
    const float *hp = t ? out + (size_t)(t - 1) * H : h0;
    int ldh = t ? T * H : H;
    recur_proj(hh, hp, ldh, p, B, H, GH);
    for (int b = 0; b < B; b++) {
      size_t row = (size_t)b * T + t;
      float *gt = gates + row * GH, *ht = out + row * H, *hnt = hn + row * H;
      const float *hb = hp + (size_t)b * ldh, *hhb = hh + (size_t)b * GH;
      for (int j = 0; j < H; j++) {
        float r = sigmoidf(gt[j] + hhb[j]);
        float z = sigmoidf(gt[H + j] + hhb[H + j]);
        float n = tanhf(gt[2 * H + j] + r * hhb[2 * H + j]);
        hnt[j] = hhb[2 * H + j];
        gt[j] = r;
        gt[H + j] = z;
        gt[2 * H + j] = n;
        ht[j] = (1.0f - z) * n + z * hb[j];
      }
    }
  }
}

void mimic_gru_backward(float *dx, float *dh0, const mimic_rnn_params *g, float *scratch,
                        const float *dout, const float *dhT, const float *x, const float *h0,
                        const float *out, const float *gates, const float *hn,
                        const mimic_rnn_params *p, const mimic_rnn_shape *s) {
  const int B = s->B, T = s->T, H = s->H, GH = 3 * H;
  float *dih = scratch, *dhh = dih + (size_t)B * T * GH, *dh = dhh + (size_t)B * GH;
  if (dhT)
    memcpy(dh, dhT, (size_t)B * H * sizeof *dh);
  else
    memset(dh, 0, (size_t)B * H * sizeof *dh);
  for (int t = T - 1; t >= 0; t--) {
    const float *hp = t ? out + (size_t)(t - 1) * H : h0;
    int ldh = t ? T * H : H;
    for (int b = 0; b < B; b++) {
      size_t row = (size_t)b * T + t;
      const float *gt = gates + row * GH, *hnt = hn + row * H, *go = dout + row * H;
      const float *hb = hp + (size_t)b * ldh;
      float *di = dih + row * GH, *dr = dhh + (size_t)b * GH, *dhb = dh + (size_t)b * H;
      for (int j = 0; j < H; j++) {
        float r = gt[j], z = gt[H + j], n = gt[2 * H + j];
        float d = dhb[j] + go[j];
        float dan = d * (1.0f - z) * (1.0f - n * n);
        float dar = dan * hnt[j] * r * (1.0f - r);
        float daz = d * (hb[j] - n) * z * (1.0f - z);
        di[j] = dr[j] = dar;
        di[H + j] = dr[H + j] = daz;
        di[2 * H + j] = dan;
        dr[2 * H + j] = dan * r;
        dhb[j] = d * z;
      }
    }
    recur_backward(dh, 1.0f, g, dhh, GH, hp, ldh, p, B, H, GH);
  }
  if (dh0) memcpy(dh0, dh, (size_t)B * H * sizeof *dh);
  input_backward(dx, g, dih, x, p, B * T, s->In, GH);
}

/* ---- LSTM ------------------------------------------------------------------ */

void mimic_lstm_forward(float *out, float *cells, float *gates, float *scratch, const float *x,
                        const float *h0, const float *c0, const mimic_rnn_params *p,
                        const mimic_rnn_shape *s) {
  const int B = s->B, T = s->T, H = s->H, GH = 4 * H;
  float *hh = scratch;
  input_proj(gates, x, p, B * T, s->In, GH);
  for (int t = 0; t < T; t++) {
    const float *hp = t ? out + (size_t)(t - 1) * H : h0;
    const float *cp = t ? cells + (size_t)(t - 1) * H : c0;
    int ld = t ? T * H : H;
    recur_proj(hh, hp, ld, p, B, H, GH);
    for (int b = 0; b < B; b++) {
      size_t row = (size_t)b * T + t;
      float *gt = gates + row * GH, *ht = out + row * H, *ct = cells + row * H;
      const float *cb = cp + (size_t)b * ld, *hhb = hh + (size_t)b * GH;
      for (int j = 0; j < H; j++) {
        float i = sigmoidf(gt[j] + hhb[j]);
        float f = sigmoidf(gt[H + j] + hhb[H + j]);
        float gg = tanhf(gt[2 * H + j] + hhb[2 * H + j]);
        float o = sigmoidf(gt[3 * H + j] + hhb[3 * H + j]);
        float c = f * cb[j] + i * gg;
        gt[j] = i;
        gt[H + j] = f;
        gt[2 * H + j] = gg;
        gt[3 * H + j] = o;
        ct[j] = c;
        ht[j] = o * tanhf(c);
      }
    }
  }
}

void mimic_lstm_backward(float *dx, float *dh0, float *dc0, const mimic_rnn_params *g,
                         float *scratch, const float *dout, const float *dhT, const float *dcT,
                         const float *x, const float *h0, const float *c0, const float *out,
                         const float *cells, const float *gates, const mimic_rnn_params *p,
                         const mimic_rnn_shape *s) {
  const int B = s->B, T = s->T, H = s->H, GH = 4 * H;
  const size_t bh = (size_t)B * H;
  float *dih = scratch, *dh = dih + (size_t)B * T * GH + (size_t)B * GH, *dc = dh + bh;
  if (dhT)
    memcpy(dh, dhT, bh * sizeof *dh);
  else
    memset(dh, 0, bh * sizeof *dh);
  if (dcT)
    memcpy(dc, dcT, bh * sizeof *dc);
  else
    memset(dc, 0, bh * sizeof *dc);
  for (int t = T - 1; t >= 0; t--) {
    const float *hp = t ? out + (size_t)(t - 1) * H : h0;
    const float *cp = t ? cells + (size_t)(t - 1) * H : c0;
    int ld = t ? T * H : H;
    for (int b = 0; b < B; b++) {
      size_t row = (size_t)b * T + t;
      const float *gt = gates + row * GH, *ct = cells + row * H, *go = dout + row * H;
      const float *cb = cp + (size_t)b * ld;
      float *da = dih + row * GH, *dhb = dh + (size_t)b * H, *dcb = dc + (size_t)b * H;
      for (int j = 0; j < H; j++) {
        float i = gt[j], f = gt[H + j], gg = gt[2 * H + j], o = gt[3 * H + j];
        float d = dhb[j] + go[j], tc = tanhf(ct[j]);
        float dct = dcb[j] + d * o * (1.0f - tc * tc);
        da[j] = dct * gg * i * (1.0f - i);
        da[H + j] = dct * cb[j] * f * (1.0f - f);
        da[2 * H + j] = dct * i * (1.0f - gg * gg);
        da[3 * H + j] = d * tc * o * (1.0f - o);
        dcb[j] = dct * f;
      }
    }
    recur_backward(dh, 0.0f, g, dih + (size_t)t * GH, T * GH, hp, ld, p, B, H, GH);
  }
  if (dh0) memcpy(dh0, dh, bh * sizeof *dh);
  if (dc0) memcpy(dc0, dc, bh * sizeof *dc);
  input_backward(dx, g, dih, x, p, B * T, s->In, GH);
}
