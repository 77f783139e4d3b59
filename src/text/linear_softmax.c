/* Multinomial (softmax) logistic regression, solved by L-BFGS.
 *
 * Objective (scikit-learn's LogisticRegression(solver='lbfgs'), and the
 * `lbfgs_multinomial_exact` reference):
 *
 *   f(W, b) = sum_i s_i * (logsumexp(z_i) - z_i[y_i]) + ||W||_F^2 / (2C),
 *   z_i = W^T x_i + b,  s_i = class weight of y_i times sample weight i.
 *
 * The intercept b is not penalised. Adding a constant to every b_k leaves
 * f unchanged; the fitted b is shifted to sum to zero, as the reference
 * reports.
 *
 * Layout: W is feature-major [V x Kp] with K padded up to Kp, a multiple of
 * 4 (padding columns stay exactly zero), followed by b [Kp]: one flat
 * parameter vector theta. A row's scores are one contiguous 4-wide axpy
 * per non-zero; its gradient contribution is the same axpy in reverse.
 *
 * One evaluation is one pass over the rows, split into S fixed shards
 * (1 to 4, from the problem size only): for each row, z = b + sum x_j W[j],
 * softmax, loss, G = s_i (p - onehot(y)), then gW_s[j] += x_j G for the
 * same j, while W[j] and gW_s[j] are still in cache. A second, smaller pass
 * over features sums the shards in order and adds W / C. Threads take
 * whole shards and feature chunks, and every sum runs in a fixed order, so
 * the result is the same bit for bit for any thread count.
 *
 * exp() in the pass is mimic's own (Cody-Waite reduction, degree-13
 * polynomial, exponent bits; within a few ulp of libm), written with
 * element-wise vector arithmetic: AVX2 or SSE2 give identical bits.
 *
 * L-BFGS keeps m = 6 pairs (in float, fewer when theta is very large) in
 * the vector-free form described below, and searches for the weak Wolfe
 * conditions by expansion and bisection. Stop when ||g||_inf <= tol *
 * max(1, ||g_0||_inf), after max_iter iterations, or when double precision
 * allows no further decrease. Nothing is allocated inside the iterations.
 *
 * Cost on BANKING77 (10,003 rows, 2,320 features, 77 classes): about 5 ms
 * of one core per iteration, 85 to 115 iterations at tol 1e-3 to 1e-4. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/linear.h"
#include "text/linear_impl.h"
#include "text/pool.h"

enum { FEAT_CHUNK = 64, LBFGS_M = 6 };

/* Four doubles at any 8-byte aligned address (one AVX2 register, two SSE2
 * ones). Only element-wise arithmetic is done on them, so the AVX2 and the
 * SSE2 clone of a kernel give identical bits; sums across lanes are taken
 * in a fixed order. */
typedef double v4d __attribute__((vector_size(32), aligned(8), may_alias));
typedef int64_t v4l __attribute__((vector_size(32), aligned(8), may_alias));
typedef float v4f __attribute__((vector_size(16), aligned(4), may_alias));
#define V4(p) (*(v4d *)(p))
#define CV4(p) (*(const v4d *)(p))
#define F4(p) (*(v4f *)(p))
#define CF4(p) (*(const v4f *)(p))
#define TOD(v) __builtin_convertvector((v), v4d)
#define KERNEL __attribute__((target_clones("avx2", "default")))

/* Sums the four lanes of a v4d variable in a fixed order. A macro, not a
 * function: passing a 32-byte vector by value from the non-AVX clone changes
 * the calling convention, which clang refuses to compile. */
#define HSUM4(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]))

/* exp of four values in place; inputs below -708 give 0 (softmax only needs x <= 0). */
static inline __attribute__((always_inline)) void exp4(double *px) {
  const double log2e = 1.4426950408889634, shifter = 0x1.8p52;
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  const v4d zero = {0};
  v4d x = CV4(px);
  v4l keep = x >= -708.0; /* all ones where kept */
  v4l big = x > 709.0;
  x = (v4d)(((v4l)x & keep) | ((v4l)(zero - 708.0) & ~keep));
  x = (v4d)(((v4l)x & ~big) | ((v4l)(zero + 709.0) & big));
  v4d t = x * log2e + shifter;
  v4d k = t - shifter;
  v4d r = x - k * ln2hi;
  r = r - k * ln2lo;
  v4d p = r * (1.0 / 6227020800.0) + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  v4l ki = (v4l)t - (v4l)(zero + shifter);
  v4d scale = (v4d)((ki + 1023) << 52);
  V4(px) = (v4d)((v4l)(p * scale) & keep);
}

typedef struct sm {
  const mimic_csr *X;
  const int32_t *y;
  const double *sw; /* [n] */
  int K, Kp;
  int64_t n, V, P, PW; /* PW = V * Kp */
  bool fit_bias;
  double inv_C;
  int S; /* row shards */
  tpool *pool;
  /* per evaluation */
  const double *theta;
  double *grad;
  double *gW_shard;   /* [S x PW] */
  double *gb_shard;   /* [S x Kp] */
  double *loss_shard; /* [S] */
  double *reg_part;   /* [feature chunks] */
  double *zbuf;       /* [threads x Kp]: one row's scores, then its G */
} sm;

/* ---- pass 1: rows of one shard: scores, softmax, loss, gradient -------- */

/* z[kb .. kb+4*NB) = b + sum_p x_p W[j_p], with the NB accumulators in registers. */
#define FORWARD_BLOCK(NB)                                                                          \
  do {                                                                                             \
    v4d acc[NB];                                                                                   \
    _Pragma("GCC unroll 4") for (int q = 0; q < NB; q++) acc[q] =                                  \
        fit_bias ? CV4(b + kb + 4 * q) : zero;                                                     \
    for (int64_t p = a; p < e; p++) {                                                              \
      const double *w = W + (int64_t)idx[p] * Kp + kb;                                             \
      double x = val[p];                                                                           \
      _Pragma("GCC unroll 4") for (int q = 0; q < NB; q++) acc[q] += x * CV4(w + 4 * q);           \
    }                                                                                              \
    _Pragma("GCC unroll 4") for (int q = 0; q < NB; q++) V4(z + kb + 4 * q) = acc[q];              \
  } while (0)

/* gW[j_p][kb .. kb+4*NB) += x_p G, with G's block in registers. */
#define BACKWARD_BLOCK(NB)                                                                         \
  do {                                                                                             \
    v4d gz[NB];                                                                                    \
    _Pragma("GCC unroll 4") for (int q = 0; q < NB; q++) gz[q] = CV4(z + kb + 4 * q);              \
    for (int64_t p = a; p < e; p++) {                                                              \
      double *g = gW + (int64_t)idx[p] * Kp + kb;                                                  \
      double x = val[p];                                                                           \
      _Pragma("GCC unroll 4") for (int q = 0; q < NB; q++) V4(g + 4 * q) += x * gz[q];             \
    }                                                                                              \
  } while (0)

KERNEL static void shard_pass(void *ctx, int64_t begin, int64_t end, int worker) {
  sm *s = ctx;
  const mimic_csr *X = s->X;
  const int Kp = s->Kp, K = s->K;
  const double *W = s->theta, *b = s->theta + s->PW;
  const int32_t *idx = X->indices, *ys = s->y;
  const int64_t *ptr = X->indptr;
  const double *val = X->data, *sw = s->sw;
  const bool fit_bias = s->fit_bias;
  const v4d zero = {0};
  double *z = s->zbuf + (int64_t)worker * Kp;
  for (int64_t sh = begin; sh < end; sh++) {
    int64_t r0 = s->n * sh / s->S, r1 = s->n * (sh + 1) / s->S;
    double *gW = s->gW_shard + sh * s->PW, *gb = s->gb_shard + sh * Kp;
    for (int k = 0; k < Kp; k += 4) V4(gb + k) = zero;
    double loss = 0.0;
    for (int64_t i = r0; i < r1; i++) {
      int64_t a = ptr[i], e = ptr[i + 1];
      for (int kb = 0; kb < Kp; kb += 16) {
        switch ((Kp - kb) / 4) {
        case 1: FORWARD_BLOCK(1); break;
        case 2: FORWARD_BLOCK(2); break;
        case 3: FORWARD_BLOCK(3); break;
        default: FORWARD_BLOCK(4); break;
        }
      }
      int yi = ys[i];
      double mx = z[0];
      for (int k = 1; k < K; k++)
        if (z[k] > mx) mx = z[k];
      double zy = z[yi];
      for (int k = 0; k < Kp; k += 4) {
        V4(z + k) -= mx;
        exp4(z + k);
      }
      for (int k = K; k < Kp; k++) z[k] = 0.0; /* padding */
      double sum = 0.0;
      for (int k = 0; k < K; k++) sum += z[k];
      double wi = sw[i];
      loss += wi * (log(sum) + mx - zy);
      double scale = wi / sum;
      for (int k = 0; k < Kp; k += 4) V4(z + k) *= scale;
      z[yi] -= wi;
      for (int k = 0; k < Kp; k += 4) V4(gb + k) += CV4(z + k);
      for (int kb = 0; kb < Kp; kb += 16) {
        switch ((Kp - kb) / 4) {
        case 1: BACKWARD_BLOCK(1); break;
        case 2: BACKWARD_BLOCK(2); break;
        case 3: BACKWARD_BLOCK(3); break;
        default: BACKWARD_BLOCK(4); break;
        }
      }
    }
    s->loss_shard[sh] = loss;
  }
}

/* ---- pass 2: sum the shards, add W / C (features) ---------------------- */

/* Also zeroes the shards for the next evaluation, so pass 1 never clears them. */
KERNEL static void reduce_pass(void *ctx, int64_t begin, int64_t end, int worker) {
  (void)worker;
  sm *s = ctx;
  const int Kp = s->Kp;
  const v4d zero = {0};
  for (int64_t c = begin; c < end; c++) {
    int64_t j0 = c * FEAT_CHUNK, j1 = j0 + FEAT_CHUNK < s->V ? j0 + FEAT_CHUNK : s->V;
    v4d reg = zero;
    for (int64_t j = j0; j < j1; j++) {
      double *g = s->grad + j * Kp;
      const double *w = s->theta + j * Kp;
      for (int k = 0; k < Kp; k += 4) {
        double *g0 = s->gW_shard + j * Kp + k;
        v4d acc = CV4(g0);
        V4(g0) = zero;
        for (int sh = 1; sh < s->S; sh++) {
          double *gs = s->gW_shard + sh * s->PW + j * Kp + k;
          acc += CV4(gs);
          V4(gs) = zero;
        }
        v4d wk = CV4(w + k);
        V4(g + k) = acc + wk * s->inv_C;
        reg += wk * wk;
      }
    }
    s->reg_part[c] = HSUM4(reg);
  }
}

static double evaluate(sm *s, const double *theta, double *grad) {
  s->theta = theta;
  s->grad = grad;
  int64_t fc = (s->V + FEAT_CHUNK - 1) / FEAT_CHUNK;
  tpool_for(s->pool, s->S, 1, shard_pass, s);
  tpool_for(s->pool, fc, 4, reduce_pass, s);
  double loss = 0.0, reg = 0.0;
  for (int sh = 0; sh < s->S; sh++) loss += s->loss_shard[sh];
  for (int64_t c = 0; c < fc; c++) reg += s->reg_part[c];
  double *gb = grad + s->PW;
  for (int k = 0; k < s->Kp; k++) gb[k] = 0.0;
  if (s->fit_bias)
    for (int sh = 0; sh < s->S; sh++)
      for (int k = 0; k < s->Kp; k++) gb[k] += s->gb_shard[sh * s->Kp + k];
  return loss + 0.5 * s->inv_C * reg;
}

/* ---- L-BFGS, vector-free form ------------------------------------------
 *
 * The two-loop recursion only ever needs dot products between the history
 * vectors s_i, y_i and the gradient g, so (Chen, Wang and Zhou, NIPS 2014)
 * it runs on their Gram matrix, a (2m+1)^2 table of numbers, and the
 * direction d = sum_j delta_j b_j is formed in one pass at the end. Per
 * iteration theta-sized memory is swept twice (pass A: new pair and its
 * dots; pass B: the direction) instead of 4m times, and the history is
 * stored in float (its dots are taken on the stored values, so the implied
 * inverse-Hessian stays exactly positive definite). Chunks of theta are
 * fixed, partial sums are added in chunk order: deterministic. */

enum { LB_CHUNK = 4096 };

typedef struct lbfgs {
  int m, hist;
  int ord[LBFGS_M]; /* slots, oldest first */
  float *S[LBFGS_M], *Y[LBFGS_M];
  double SS[LBFGS_M][LBFGS_M], SY[LBFGS_M][LBFGS_M], YY[LBFGS_M][LBFGS_M];
  double Sg[LBFGS_M], Yg[LBFGS_M], gg, gmax;
  /* pass inputs */
  const double *x, *xn, *g, *gn;
  double *d;
  int ns;                              /* slot being written by pass A, -1 for none */
  double dS[LBFGS_M], dY[LBFGS_M], dg; /* pass B coefficients */
  double *part;                        /* [chunks x PART] */
  int64_t P;
} lbfgs;

enum { PART = 6 * LBFGS_M + 2 };

/* Pass A: s = xn - x, y = gn - g into slot ns (if ns >= 0), then the dots of
 * s, y, gn with every active slot, gn.gn and max|gn|. P is a multiple of 4
 * (K is padded), so every chunk is too; each dot keeps four lane sums. */
KERNEL static void pass_a(void *ctx, int64_t begin, int64_t end, int worker) {
  (void)worker;
  lbfgs *L = ctx;
  const v4d zero = {0};
  for (int64_t c = begin; c < end; c++) {
    int64_t a = c * LB_CHUNK, b = a + LB_CHUNK < L->P ? a + LB_CHUNK : L->P;
    double *pt = L->part + c * PART;
    for (int q = 0; q < PART; q++) pt[q] = 0.0;
    if (L->ns >= 0) {
      float *sv = L->S[L->ns], *yv = L->Y[L->ns];
      for (int64_t i = a; i < b; i += 4) {
        F4(sv + i) = __builtin_convertvector(CV4(L->xn + i) - CV4(L->x + i), v4f);
        F4(yv + i) = __builtin_convertvector(CV4(L->gn + i) - CV4(L->g + i), v4f);
      }
    }
    for (int h = 0; h < L->hist; h++) {
      int j = L->ord[h];
      const float *Sj = L->S[j], *Yj = L->Y[j];
      v4d gs = zero, gy = zero;
      for (int64_t i = a; i < b; i += 4) {
        v4d gi = CV4(L->gn + i);
        gs += gi * TOD(CF4(Sj + i));
        gy += gi * TOD(CF4(Yj + i));
      }
      pt[4 * LBFGS_M + j] = HSUM4(gs);
      pt[5 * LBFGS_M + j] = HSUM4(gy);
      if (L->ns >= 0) {
        const float *sv = L->S[L->ns], *yv = L->Y[L->ns];
        v4d ss = zero, sy = zero, ys = zero, yy = zero;
        for (int64_t i = a; i < b; i += 4) {
          v4d si = TOD(CF4(sv + i)), yi = TOD(CF4(yv + i));
          v4d S4 = TOD(CF4(Sj + i)), Y4 = TOD(CF4(Yj + i));
          ss += si * S4;
          sy += si * Y4;
          ys += yi * S4;
          yy += yi * Y4;
        }
        pt[j] = HSUM4(ss);
        pt[LBFGS_M + j] = HSUM4(sy);
        pt[2 * LBFGS_M + j] = HSUM4(ys);
        pt[3 * LBFGS_M + j] = HSUM4(yy);
      }
    }
    v4d gg = zero, gm = zero;
    const v4l nosign = (v4l){0, 0, 0, 0} + 0x7fffffffffffffffLL;
    for (int64_t i = a; i < b; i += 4) {
      v4d gi = CV4(L->gn + i);
      gg += gi * gi;
      v4d ab = (v4d)((v4l)gi & nosign);
      v4l more = ab > gm;
      gm = (v4d)(((v4l)ab & more) | ((v4l)gm & ~more));
    }
    pt[6 * LBFGS_M] = HSUM4(gg);
    double gmax = gm[0];
    for (int q = 1; q < 4; q++) gmax = gm[q] > gmax ? gm[q] : gmax;
    pt[6 * LBFGS_M + 1] = gmax;
  }
}

/* Pass B: d = dg * g + sum_j (dS_j s_j + dY_j y_j). */
KERNEL static void pass_b(void *ctx, int64_t begin, int64_t end, int worker) {
  (void)worker;
  lbfgs *L = ctx;
  for (int64_t c = begin; c < end; c++) {
    int64_t a = c * LB_CHUNK, b = a + LB_CHUNK < L->P ? a + LB_CHUNK : L->P;
    for (int64_t i = a; i < b; i += 4) V4(L->d + i) = L->dg * CV4(L->g + i);
    for (int h = 0; h < L->hist; h++) {
      int j = L->ord[h];
      const float *Sj = L->S[j], *Yj = L->Y[j];
      double cs = L->dS[j], cy = L->dY[j];
      for (int64_t i = a; i < b; i += 4)
        V4(L->d + i) += cs * TOD(CF4(Sj + i)) + cy * TOD(CF4(Yj + i));
    }
  }
}

/* xn = x + t d, and partial dots for gn.d come later (see dot_gd). */
typedef struct step_job {
  const double *x, *d, *gn;
  double *xn;
  double t;
  int64_t P;
  double *part;
} step_job;

KERNEL static void step_chunk(void *ctx, int64_t begin, int64_t end, int worker) {
  (void)worker;
  step_job *j = ctx;
  int64_t a = begin * LB_CHUNK, b = end * LB_CHUNK < j->P ? end * LB_CHUNK : j->P;
  for (int64_t i = a; i < b; i += 4) V4(j->xn + i) = CV4(j->x + i) + j->t * CV4(j->d + i);
}

KERNEL static void gd_chunk(void *ctx, int64_t begin, int64_t end, int worker) {
  (void)worker;
  step_job *j = ctx;
  for (int64_t c = begin; c < end; c++) {
    int64_t a = c * LB_CHUNK, b = a + LB_CHUNK < j->P ? a + LB_CHUNK : j->P;
    v4d acc = {0, 0, 0, 0};
    for (int64_t i = a; i < b; i += 4) acc += CV4(j->gn + i) * CV4(j->d + i);
    j->part[c] = HSUM4(acc);
  }
}

/* Runs pass A and folds its partial sums into the Gram tables. */
static void run_pass_a(sm *s, lbfgs *L) {
  int64_t nc = (L->P + LB_CHUNK - 1) / LB_CHUNK;
  tpool_for(s->pool, nc, 2, pass_a, L);
  double tot[PART];
  for (int q = 0; q < PART; q++) tot[q] = 0.0;
  for (int64_t c = 0; c < nc; c++)
    for (int q = 0; q < PART - 1; q++) tot[q] += L->part[c * PART + q];
  double gm = 0.0;
  for (int64_t c = 0; c < nc; c++) gm = fmax(gm, L->part[c * PART + PART - 1]);
  for (int h = 0; h < L->hist; h++) {
    int j = L->ord[h];
    L->Sg[j] = tot[4 * LBFGS_M + j];
    L->Yg[j] = tot[5 * LBFGS_M + j];
    if (L->ns >= 0) {
      int n = L->ns;
      L->SS[n][j] = L->SS[j][n] = tot[j];
      L->SY[n][j] = tot[LBFGS_M + j];     /* s_new . y_j */
      L->SY[j][n] = tot[2 * LBFGS_M + j]; /* s_j . y_new */
      L->YY[n][j] = L->YY[j][n] = tot[3 * LBFGS_M + j];
    }
  }
  L->gg = tot[6 * LBFGS_M];
  L->gmax = gm;
}

/* b_u . d for d = dg g + sum (dS s + dY y), from the Gram tables; u is s_i (is_y false) or y_i. */
static double gram_dot(const lbfgs *L, int i, bool is_y) {
  double acc = L->dg * (is_y ? L->Yg[i] : L->Sg[i]);
  for (int h = 0; h < L->hist; h++) {
    int j = L->ord[h];
    if (is_y)
      acc += L->dS[j] * L->SY[j][i] + L->dY[j] * L->YY[i][j];
    else
      acc += L->dS[j] * L->SS[i][j] + L->dY[j] * L->SY[i][j];
  }
  return acc;
}

static mimic_status solve(sm *s, double *theta, int max_iter, double tol, double *f_out,
                          int *iters) {
  lbfgs L;
  memset(&L, 0, sizeof L);
  int64_t P = s->P;
  L.P = P;
  const double budget = 256.0 * 1024 * 1024;
  L.m = (int)fmin((double)LBFGS_M, floor(budget / (8.0 * (double)P)));
  if (L.m < 2) L.m = 2;
  int64_t nc = (P + LB_CHUNK - 1) / LB_CHUNK;
  mimic_status st = MIMIC_OK;
  double *buf[4] = {NULL, NULL, NULL, NULL}; /* g, d, xn, gn */
  for (int k = 0; k < L.m; k++) {
    L.S[k] = mimic_malloc((size_t)P * sizeof(float), "L-BFGS history");
    L.Y[k] = mimic_malloc((size_t)P * sizeof(float), "L-BFGS history");
    if (!L.S[k] || !L.Y[k]) st = MIMIC_ERR_NOMEM;
  }
  for (int k = 0; k < 4; k++)
    if (!(buf[k] = mimic_calloc((size_t)P, sizeof(double), "L-BFGS vectors"))) st = MIMIC_ERR_NOMEM;
  L.part = mimic_calloc((size_t)nc * PART, sizeof(double), "L-BFGS partial sums");
  double *gpart = mimic_calloc((size_t)nc, sizeof(double), "L-BFGS partial sums");
  if (!L.part || !gpart) st = MIMIC_ERR_NOMEM;
  if (st) goto done;
  double *x = theta, *g = buf[0], *d = buf[1], *xn = buf[2], *gn = buf[3];
  double f = evaluate(s, x, g);
  L.x = L.xn = x;
  L.g = L.gn = g;
  L.ns = -1;
  run_pass_a(s, &L);
  double stop = tol * fmax(1.0, L.gmax);
  int it = 0;
  while (it < max_iter && L.gmax > stop) {
    /* coefficients of d = -H g over the basis {s_j, y_j, g} */
    for (int k = 0; k < LBFGS_M; k++) L.dS[k] = L.dY[k] = 0.0;
    L.dg = -1.0;
    double alpha[LBFGS_M];
    for (int h = L.hist - 1; h >= 0; h--) {
      int i = L.ord[h];
      alpha[i] = gram_dot(&L, i, false) / L.SY[i][i];
      L.dY[i] -= alpha[i];
    }
    if (L.hist > 0) {
      int nw = L.ord[L.hist - 1];
      double gamma = L.SY[nw][nw] / L.YY[nw][nw];
      L.dg *= gamma;
      for (int k = 0; k < LBFGS_M; k++) {
        L.dS[k] *= gamma;
        L.dY[k] *= gamma;
      }
    } else {
      L.dg = -1.0 / sqrt(L.gg); /* first step: unit length */
    }
    for (int h = 0; h < L.hist; h++) {
      int i = L.ord[h];
      double beta = gram_dot(&L, i, true) / L.SY[i][i];
      L.dS[i] += alpha[i] - beta;
    }
    /* g.d from the tables */
    double gd = L.dg * L.gg;
    for (int h = 0; h < L.hist; h++) {
      int j = L.ord[h];
      gd += L.dS[j] * L.Sg[j] + L.dY[j] * L.Yg[j];
    }
    if (!(gd < 0)) { /* not a descent direction: forget the history */
      L.hist = 0;
      L.dg = -1.0 / sqrt(L.gg);
      gd = -sqrt(L.gg);
    }
    L.g = g;
    L.d = d;
    tpool_for(s->pool, nc, 2, pass_b, &L);
    /* weak Wolfe line search: expand while too short, bisect when too long */
    double t = 1.0, lo = 0.0, hi = INFINITY, fn = f;
    const double c1 = 1e-4, c2 = 0.9, slack = 8.0 * DBL_EPSILON * fabs(f);
    bool ok = false;
    step_job sj = {x, d, gn, xn, 0.0, P, gpart};
    for (int ls = 0; ls < 50; ls++) {
      sj.t = t;
      tpool_for(s->pool, nc, 2, step_chunk, &sj);
      fn = evaluate(s, xn, gn);
      if (!isfinite(fn) || fn > f + c1 * t * gd + slack) {
        hi = t;
      } else {
        tpool_for(s->pool, nc, 2, gd_chunk, &sj);
        double gnd = 0.0;
        for (int64_t c = 0; c < nc; c++) gnd += gpart[c];
        if (gnd < c2 * gd) {
          lo = t;
        } else {
          ok = true;
          break;
        }
      }
      t = isinf(hi) ? 2.0 * t : 0.5 * (lo + hi);
    }
    if (!ok && !(fn < f)) break; /* no progress possible in double precision */
    /* new pair into the oldest slot (or a free one) */
    int ns;
    if (L.hist < L.m) {
      ns = 0;
      for (bool used = true; used; ns++) {
        used = false;
        for (int h = 0; h < L.hist; h++) used |= L.ord[h] == ns;
        if (!used) break;
      }
    } else {
      ns = L.ord[0];
      memmove(L.ord, L.ord + 1, (size_t)(L.hist - 1) * sizeof *L.ord);
      L.hist--;
    }
    L.ord[L.hist++] = ns;
    L.ns = ns;
    L.x = x;
    L.xn = xn;
    L.g = g;
    L.gn = gn;
    run_pass_a(s, &L);
    if (!(L.SY[ns][ns] > 1e-16 * L.YY[ns][ns]) || !(L.SY[ns][ns] > 0)) {
      L.hist--; /* no curvature: drop the pair (its slot is free again) */
    }
    L.ns = -1;
    /* accept the step */
    double *tmp = x;
    x = xn;
    xn = tmp;
    tmp = g;
    g = gn;
    gn = tmp;
    f = fn;
    it++;
  }
  if (x != theta) memcpy(theta, x, (size_t)P * sizeof(double));
  *f_out = f;
  *iters = it;
done:
  for (int k = 0; k < L.m; k++) {
    free(L.S[k]);
    free(L.Y[k]);
  }
  for (int k = 0; k < 4; k++) free(buf[k]);
  free(L.part);
  free(gpart);
  return st;
}

mimic_status linear_fit_softmax(mimic_linear *m, const mimic_csr *X, const int32_t *y, int K,
                                const mimic_linear_config *cfg) {
  sm s;
  memset(&s, 0, sizeof s);
  s.X = X;
  s.y = y;
  s.K = K;
  s.Kp = (K + 3) / 4 * 4;
  s.n = X->n_rows;
  s.V = X->n_cols;
  s.PW = s.V * s.Kp;
  s.P = s.PW + s.Kp;
  s.fit_bias = cfg->bias > 0;
  s.inv_C = 1.0 / cfg->C;
  /* Row shards: each costs a gradient copy of W (zeroed and summed every
   * evaluation), so few rows get one shard and big data up to 4 (at most
   * 256 MiB of copies). The count depends on the problem only, never on
   * the thread count, so results do not either. */
  s.S = (int)(s.n / 2048);
  if (s.S > 4) s.S = 4;
  while (s.S > 1 && 8.0 * (double)s.PW * s.S > 256e6) s.S--;
  if (s.S < 1) s.S = 1;
  int threads = cfg->n_threads > 0 ? cfg->n_threads : mimic_default_threads();
  mimic_status st = MIMIC_OK;
  double *cw = mimic_malloc((size_t)K * sizeof *cw, "class weights");
  double *theta = mimic_calloc((size_t)s.P, sizeof *theta, "softmax weights");
  double *sw = mimic_malloc((size_t)s.n * sizeof *sw, "sample weights");
  int64_t fc = (s.V + FEAT_CHUNK - 1) / FEAT_CHUNK;
  s.gW_shard = mimic_calloc((size_t)s.S * (size_t)(s.PW ? s.PW : 1), sizeof(double),
                            "softmax gradient shards"); /* zero; reduce_pass re-zeroes */
  s.gb_shard = mimic_calloc((size_t)s.S * (size_t)s.Kp, sizeof(double), "softmax partial sums");
  s.loss_shard = mimic_calloc((size_t)s.S, sizeof(double), "softmax partial sums");
  s.reg_part = mimic_calloc((size_t)(fc ? fc : 1), sizeof(double), "softmax partial sums");
  s.zbuf = mimic_calloc((size_t)threads * (size_t)s.Kp, sizeof(double), "softmax scores");
  if (!cw || !theta || !sw || !s.gW_shard || !s.gb_shard || !s.loss_shard || !s.reg_part ||
      !s.zbuf) {
    st = MIMIC_ERR_NOMEM;
    goto done;
  }
  if ((st = linear_class_weights(cfg, y, (size_t)s.n, K, cw))) goto done;
  for (int64_t i = 0; i < s.n; i++)
    sw[i] = cw[y[i]] * (cfg->sample_weight ? cfg->sample_weight[i] : 1.0);
  s.sw = sw;
  if ((st = tpool_create(threads, &s.pool))) goto done;
  double f = 0.0;
  int iters = 0;
  if ((st = solve(&s, theta, cfg->max_iter, mimic_linear_tol(cfg), &f, &iters))) goto done;
  if ((st = linear_alloc(m, MIMIC_LINEAR_SOFTMAX, K, s.V))) goto done;
  m->C = cfg->C;
  m->bias = cfg->bias;
  m->n_iter = iters;
  m->objective = f;
  for (int64_t j = 0; j < s.V; j++)
    for (int k = 0; k < K; k++) m->w[j * K + k] = theta[j * s.Kp + k];
  /* The objective does not change when every b_k moves by the same amount;
   * report the b with sum zero (rounding in the float history lets it drift). */
  double mean_b = 0.0;
  for (int k = 0; k < K; k++) mean_b += s.fit_bias ? theta[s.PW + k] : 0.0;
  mean_b /= K;
  for (int k = 0; k < K; k++) m->intercept[k] = s.fit_bias ? theta[s.PW + k] - mean_b : 0.0;
done:
  tpool_destroy(s.pool);
  free(cw);
  free(theta);
  free(sw);
  free(s.gW_shard);
  free(s.gb_shard);
  free(s.loss_shard);
  free(s.reg_part);
  free(s.zbuf);
  return st;
}
