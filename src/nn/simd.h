/* 8-lane float vectors for nn's hand-written loops (GCC vector extensions:
 * SSE2 by default, AVX2 in the target clones SIMD_CLONES selects at load
 * time). With -ffp-contract=off every lane does the scalar operations in
 * the scalar order, so each clone gives the same bits on every CPU.
 * Vectors never cross a real call boundary (their by-value ABI differs
 * with and without AVX): helpers here are always inlined. Internal to nn. */
#ifndef MIMIC_NN_SIMD_H
#define MIMIC_NN_SIMD_H

#include <stdint.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#if defined(__x86_64__) && !defined(__clang__)
#define SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_CLONES
#endif

#define SIMD_INLINE static inline __attribute__((always_inline))

/* mask ? a : b, lane by lane */
#define VSEL(mask, a, b) ((v8f)(((v8i)(a) & (mask)) | ((v8i)(b) & ~(mask))))

/* Helpers pass vectors by value only when inlined, so the ABI warning
 * (SSE2 vs AVX return) does not apply to them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

SIMD_INLINE v8f v8f_load(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v);
  return v;
}

SIMD_INLINE void v8f_store(float *p, v8f v) { memcpy(p, &v, sizeof v); }

/* The lanes' sum, in a fixed order ((0+4)+(2+6))+((1+5)+(3+7)). */
SIMD_INLINE float v8f_sum(v8f v) {
  float a = (v[0] + v[4]) + (v[2] + v[6]), b = (v[1] + v[5]) + (v[3] + v[7]);
  return a + b;
}

/* z = exp(z) for z in [-87, 0] (NaN stays NaN): z = k ln2 + r, a degree-7
 * Taylor polynomial in r (|r| <= ln2/2, truncation < 1e-8 relative) scaled
 * by 2^k built in the exponent bits. tanh's large-|x| branch and the
 * attention softmax share it. */
SIMD_INLINE void exp8_nonpos(v8f *zp) {
  const v8f z = *zp;
  const v8f zero = {0};
  v8f kf = z * 1.44269504088896341f - 0.5f;   /* round(z / ln 2) for z <= 0 */
  kf = VSEL(kf > -100.0f, kf, zero - 100.0f); /* NaN -> -100: no undefined conversion */
  v8i k = __builtin_convertvector(kf, v8i);
  v8f kk = __builtin_convertvector(k, v8f);
  v8f r = (z - kk * 0.693145751953125f) - kk * 1.428606765330187045e-06f;
  v8f p = r * (1.0f / 5040.0f) + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  *zp = p * (v8f)((k + 127) << 23);
}

#pragma GCC diagnostic pop

#endif
