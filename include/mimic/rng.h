/* mimic/rng.h: random numbers, bit-compatible with NumPy's Generator(PCG64).
 *
 * mimic uses NumPy's PCG64 (a 128-bit LCG with the XSL-RR output) seeded
 * through NumPy's SeedSequence, so that `mimic_rng_seed(&r, s)` then
 * `mimic_rng_uniform` draws exactly what `np.random.default_rng(s).uniform`
 * draws, and an environment reset with seed s starts where Gymnasium's
 * `reset(seed=s)` starts. Integer draws (`mimic_rng_integers`) follow
 * NumPy's Lemire method and 32-bit buffering, as MiniGrid's layouts need.
 *
 * Streams split like SeedSequence.spawn: child k of a generator seeded
 * with s is NumPy's SeedSequence(s, spawn_key=(k,)), independent of its
 * parent and siblings (per environment, per worker). Shuffles use NumPy's
 * Fisher-Yates with masked rejection; normal and categorical draws are
 * mimic's own (polar method, inverse CDF), not NumPy's. */
#ifndef MIMIC_RNG_H
#define MIMIC_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MIMIC_SEEDSEQ_MAX_ENTROPY 8
#define MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH 8

/* NumPy's SeedSequence with an integer entropy of up to 256 bits: where a
 * generator came from (its functions are internal to mimic). */
typedef struct mimic_seedseq {
  uint32_t entropy[MIMIC_SEEDSEQ_MAX_ENTROPY]; /* little-endian 32-bit words */
  int n_entropy;
  uint32_t spawn_key[MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH];
  int n_spawn_key;
  uint32_t pool[4];
  uint32_t n_children_spawned;
} mimic_seedseq;

/* A PCG64 generator with NumPy's state layout and 32-bit buffer. */
typedef struct mimic_rng {
  unsigned __int128 state;
  unsigned __int128 inc;
  uint32_t uinteger; /* the upper half of the last 64-bit draw, for next_uint32 */
  int has_uint32;
  int has_gauss; /* a cached second normal from the polar method */
  double gauss;
  mimic_seedseq seq; /* where this generator came from, for spawning */
} mimic_rng;

/* Seeds like np.random.default_rng(seed) / Gymnasium's np_random(seed). */
void mimic_rng_seed(mimic_rng *r, uint64_t seed);
/* Whether r could be a generator's state (odd increment, seed sequence
 * sizes in range): checks a state read back from a file. */
bool mimic_rng_plausible(const mimic_rng *r);
/* Makes an independent child generator (the parent's seed sequence spawns). */
void mimic_rng_spawn(mimic_rng *parent, mimic_rng *child);
/* Next raw 64-bit output (PCG64.random_raw()). */
uint64_t mimic_rng_next64(mimic_rng *r);
/* Next 32-bit output, using the buffered upper half as NumPy does. */
uint32_t mimic_rng_next32(mimic_rng *r);
/* Uniform double in [0, 1): (next64 >> 11) * 2^-53 (Generator.random()). */
double mimic_rng_double(mimic_rng *r);
/* Uniform float in [0, 1): (next32 >> 8) * 2^-24 (Generator.random(dtype=float32)). */
float mimic_rng_float(mimic_rng *r);
/* Uniform in [low, high): low + (high - low) * double (Generator.uniform). */
double mimic_rng_uniform(mimic_rng *r, double low, double high);
/* Integer in [low, high) exactly as Generator.integers(low, high) (int64). */
int64_t mimic_rng_integers(mimic_rng *r, int64_t low, int64_t high);
/* Standard normal by the polar method (not NumPy's ziggurat). */
double mimic_rng_normal(mimic_rng *r);
/* Draws an index from n probabilities (need not sum to 1; all >= 0, sum > 0). */
int mimic_rng_categorical(mimic_rng *r, const float *probs, int n);
/* Fills perm with a permutation of 0..n-1, by Fisher-Yates. */
void mimic_rng_permutation(mimic_rng *r, uint32_t *perm, size_t n);
/* Shuffles n items of size bytes in place, by Fisher-Yates. */
void mimic_rng_shuffle(mimic_rng *r, void *items, size_t n, size_t size);

#ifdef __cplusplus
}
#endif
#endif
