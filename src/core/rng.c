/* NumPy-compatible PCG64 and SeedSequence.
 *
 * The constants and mixing steps are NumPy's (numpy/random/bit_generator.pyx
 * and pcg64.h), so a seed means the same stream here as in Python:
 *   SeedSequence: the seed's 32-bit words are hashed into a pool of four
 *     words; generate_state() hashes the pool again into output words.
 *   PCG64: state and increment come from generate_state(4, uint64); each
 *     draw steps the LCG (state = state * M + inc) and outputs
 *     rotr64(hi ^ lo, state >> 122).
 * Bounded integers use NumPy's Lemire rejection on 32-bit draws (which take
 * halves of one 64-bit draw, low half first) and shuffles use NumPy's masked
 * rejection, so seeded layouts match MiniGrid's. */
#include "mimic/rng.h"
#include "core/seedseq.h"

#include <math.h>
#include <string.h>

#define SS_INIT_A 0x43b0d7e5u
#define SS_MULT_A 0x931e8875u
#define SS_INIT_B 0x8b51f9ddu
#define SS_MULT_B 0x58f38dedu
#define SS_MIX_MULT_L 0xca01f9ddu
#define SS_MIX_MULT_R 0x4973f715u
#define SS_XSHIFT 16

static uint32_t hashmix(uint32_t value, uint32_t *hash_const) {
  value ^= *hash_const;
  *hash_const *= SS_MULT_A;
  value *= *hash_const;
  value ^= value >> SS_XSHIFT;
  return value;
}

static uint32_t mix(uint32_t x, uint32_t y) {
  uint32_t result = SS_MIX_MULT_L * x - SS_MIX_MULT_R * y;
  result ^= result >> SS_XSHIFT;
  return result;
}

static void seedseq_mix_pool(mimic_seedseq *ss) {
  uint32_t entropy[MIMIC_SEEDSEQ_MAX_ENTROPY + 4 + MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH];
  int n = 0;
  for (int i = 0; i < ss->n_entropy; i++) entropy[n++] = ss->entropy[i];
  if (ss->n_spawn_key > 0)
    while (n < 4) entropy[n++] = 0; /* run entropy padded to the pool size */
  for (int i = 0; i < ss->n_spawn_key; i++) entropy[n++] = ss->spawn_key[i];

  uint32_t hash_const = SS_INIT_A;
  for (int i = 0; i < 4; i++) ss->pool[i] = hashmix(i < n ? entropy[i] : 0, &hash_const);
  for (int src = 0; src < 4; src++)
    for (int dst = 0; dst < 4; dst++)
      if (src != dst) ss->pool[dst] = mix(ss->pool[dst], hashmix(ss->pool[src], &hash_const));
  for (int src = 4; src < n; src++)
    for (int dst = 0; dst < 4; dst++)
      ss->pool[dst] = mix(ss->pool[dst], hashmix(entropy[src], &hash_const));
}

void mimic_seedseq_init_key(mimic_seedseq *ss, uint64_t seed, const uint32_t *key, int n_key) {
  memset(ss, 0, sizeof *ss);
  if (seed == 0) ss->entropy[ss->n_entropy++] = 0;
  while (seed > 0) {
    ss->entropy[ss->n_entropy++] = (uint32_t)(seed & 0xffffffffu);
    seed >>= 32;
  }
  if (n_key > MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH) n_key = MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH;
  for (int i = 0; i < n_key; i++) ss->spawn_key[i] = key[i];
  ss->n_spawn_key = n_key;
  seedseq_mix_pool(ss);
}

void mimic_seedseq_init(mimic_seedseq *ss, uint64_t seed) {
  mimic_seedseq_init_key(ss, seed, NULL, 0);
}

void mimic_seedseq_generate(const mimic_seedseq *ss, uint32_t *out, int n) {
  uint32_t hash_const = SS_INIT_B;
  for (int i = 0; i < n; i++) {
    uint32_t v = ss->pool[i % 4];
    v ^= hash_const;
    hash_const *= SS_MULT_B;
    v *= hash_const;
    v ^= v >> SS_XSHIFT;
    out[i] = v;
  }
}

void mimic_seedseq_spawn(mimic_seedseq *ss, mimic_seedseq *child) {
  *child = *ss;
  child->n_children_spawned = 0;
  int depth = ss->n_spawn_key < MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH ? ss->n_spawn_key
                                                              : MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH - 1;
  child->spawn_key[depth] = ss->n_children_spawned++;
  child->n_spawn_key = depth + 1;
  seedseq_mix_pool(child);
}

#define PCG_MULT ((((unsigned __int128)2549297995355413924ULL) << 64) + 4865540595714422341ULL)

static inline void pcg_step(mimic_rng *r) { r->state = r->state * PCG_MULT + r->inc; }

void mimic_rng_seed_seq(mimic_rng *r, const mimic_seedseq *seq) {
  uint32_t w[8];
  mimic_seedseq_generate(seq, w, 8);
  uint64_t v[4];
  for (int i = 0; i < 4; i++) v[i] = (uint64_t)w[2 * i] | ((uint64_t)w[2 * i + 1] << 32);
  unsigned __int128 initstate = ((unsigned __int128)v[0] << 64) | v[1];
  unsigned __int128 initseq = ((unsigned __int128)v[2] << 64) | v[3];
  memset(r, 0, sizeof *r);
  r->seq = *seq;
  r->inc = (initseq << 1) | 1;
  pcg_step(r);
  r->state += initstate;
  pcg_step(r);
}

void mimic_rng_seed(mimic_rng *r, uint64_t seed) {
  mimic_seedseq ss;
  mimic_seedseq_init(&ss, seed);
  mimic_rng_seed_seq(r, &ss);
}

bool mimic_rng_plausible(const mimic_rng *r) {
  return (r->inc & 1) && r->seq.n_entropy >= 0 && r->seq.n_entropy <= MIMIC_SEEDSEQ_MAX_ENTROPY &&
         r->seq.n_spawn_key >= 0 && r->seq.n_spawn_key <= MIMIC_SEEDSEQ_MAX_SPAWN_DEPTH &&
         (r->has_uint32 == 0 || r->has_uint32 == 1) && (r->has_gauss == 0 || r->has_gauss == 1);
}

void mimic_rng_spawn(mimic_rng *parent, mimic_rng *child) {
  mimic_seedseq cs;
  mimic_seedseq_spawn(&parent->seq, &cs);
  mimic_rng_seed_seq(child, &cs);
}

uint64_t mimic_rng_next64(mimic_rng *r) {
  pcg_step(r);
  uint64_t hi = (uint64_t)(r->state >> 64), lo = (uint64_t)r->state;
  unsigned rot = (unsigned)(r->state >> 122);
  uint64_t x = hi ^ lo;
  return (x >> rot) | (x << ((64 - rot) & 63));
}

uint32_t mimic_rng_next32(mimic_rng *r) {
  if (r->has_uint32) {
    r->has_uint32 = 0;
    return r->uinteger;
  }
  uint64_t next = mimic_rng_next64(r);
  r->has_uint32 = 1;
  r->uinteger = (uint32_t)(next >> 32);
  return (uint32_t)(next & 0xffffffffu);
}

double mimic_rng_double(mimic_rng *r) {
  return (double)(mimic_rng_next64(r) >> 11) * (1.0 / 9007199254740992.0);
}

float mimic_rng_float(mimic_rng *r) {
  return (float)(mimic_rng_next32(r) >> 8) * (1.0f / 16777216.0f);
}

double mimic_rng_uniform(mimic_rng *r, double low, double high) {
  return low + (high - low) * mimic_rng_double(r);
}

static uint32_t bounded_lemire32(mimic_rng *r, uint32_t rng) {
  uint32_t rng_excl = rng + 1;
  uint64_t m = (uint64_t)mimic_rng_next32(r) * rng_excl;
  uint32_t leftover = (uint32_t)m;
  if (leftover < rng_excl) {
    uint32_t threshold = (UINT32_MAX - rng) % rng_excl;
    while (leftover < threshold) {
      m = (uint64_t)mimic_rng_next32(r) * rng_excl;
      leftover = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}

static uint64_t bounded_lemire64(mimic_rng *r, uint64_t rng) {
  uint64_t rng_excl = rng + 1;
  unsigned __int128 m = (unsigned __int128)mimic_rng_next64(r) * rng_excl;
  uint64_t leftover = (uint64_t)m;
  if (leftover < rng_excl) {
    uint64_t threshold = (UINT64_MAX - rng) % rng_excl;
    while (leftover < threshold) {
      m = (unsigned __int128)mimic_rng_next64(r) * rng_excl;
      leftover = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

int64_t mimic_rng_integers(mimic_rng *r, int64_t low, int64_t high) {
  if (high <= low) return low;
  uint64_t rng = (uint64_t)high - (uint64_t)low - 1;
  if (rng == 0) return low;
  uint64_t v;
  if (rng <= 0xffffffffu)
    v = rng == 0xffffffffu ? mimic_rng_next32(r) : bounded_lemire32(r, (uint32_t)rng);
  else
    v = rng == UINT64_MAX ? mimic_rng_next64(r) : bounded_lemire64(r, rng);
  return (int64_t)((uint64_t)low + v);
}

double mimic_rng_normal(mimic_rng *r) {
  if (r->has_gauss) {
    r->has_gauss = 0;
    return r->gauss;
  }
  double x1, x2, s;
  do {
    x1 = 2.0 * mimic_rng_double(r) - 1.0;
    x2 = 2.0 * mimic_rng_double(r) - 1.0;
    s = x1 * x1 + x2 * x2;
  } while (s >= 1.0 || s == 0.0);
  double f = sqrt(-2.0 * log(s) / s);
  r->gauss = f * x1;
  r->has_gauss = 1;
  return f * x2;
}

int mimic_rng_categorical(mimic_rng *r, const float *probs, int n) {
  double total = 0;
  for (int i = 0; i < n; i++) total += probs[i];
  double u = mimic_rng_double(r) * total, acc = 0;
  int last = 0;
  for (int i = 0; i < n; i++) {
    if (probs[i] <= 0) continue;
    acc += probs[i];
    last = i;
    if (u < acc) return i;
  }
  return last; /* rounding put u at the very top */
}

/* NumPy's random_interval: a uniform integer in [0, max] by masked rejection. */
static uint64_t random_interval(mimic_rng *r, uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max, value;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  if (max <= 0xffffffffu) {
    while ((value = (mimic_rng_next32(r) & mask)) > max) {
    }
  } else {
    while ((value = (mimic_rng_next64(r) & mask)) > max) {
    }
  }
  return value;
}

void mimic_rng_shuffle(mimic_rng *r, void *items, size_t n, size_t size) {
  unsigned char *base = items, tmp[256];
  for (size_t i = n; i-- > 1;) {
    size_t j = (size_t)random_interval(r, i);
    if (j == i) continue;
    unsigned char *a = base + i * size, *b = base + j * size;
    for (size_t off = 0; off < size; off += sizeof tmp) {
      size_t k = size - off < sizeof tmp ? size - off : sizeof tmp;
      memcpy(tmp, a + off, k);
      memcpy(a + off, b + off, k);
      memcpy(b + off, tmp, k);
    }
  }
}

void mimic_rng_permutation(mimic_rng *r, uint32_t *perm, size_t n) {
  for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
  mimic_rng_shuffle(r, perm, n, sizeof *perm);
}
