/* NumPy's SeedSequence, the seeding under mimic_rng_seed and
 * mimic_rng_spawn (mimic/rng.h). Internal to mimic (not installed): users
 * seed generators with mimic_rng_seed and split them with mimic_rng_spawn;
 * the sampler (src/data) seeds from a spawn key directly. */
#ifndef MIMIC_CORE_SEEDSEQ_H
#define MIMIC_CORE_SEEDSEQ_H

#include "mimic/rng.h"

/* Initialises a SeedSequence from a 64-bit seed (NumPy's SeedSequence(seed)). */
void mimic_seedseq_init(mimic_seedseq *ss, uint64_t seed);
/* Initialises from seed and a spawn key, as SeedSequence(seed, spawn_key=key). */
void mimic_seedseq_init_key(mimic_seedseq *ss, uint64_t seed, const uint32_t *key, int n_key);
/* Fills out with n 32-bit words (SeedSequence.generate_state(n, uint32)). */
void mimic_seedseq_generate(const mimic_seedseq *ss, uint32_t *out, int n);
/* Makes the next child sequence (SeedSequence.spawn(1)[0]). */
void mimic_seedseq_spawn(mimic_seedseq *ss, mimic_seedseq *child);
/* Seeds from a SeedSequence (np.random.Generator(PCG64(seq))). */
void mimic_rng_seed_seq(mimic_rng *r, const mimic_seedseq *seq);

#endif
