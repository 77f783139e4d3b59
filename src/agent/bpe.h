/* Byte-pair encoding learned from an agent's training traces (the trace
 * transformer's vocabulary). Tokens 0..255 are the bytes themselves, so any
 * text encodes and decodes back exactly, bytes never seen in training
 * included; token 256 + r is merge r, the pair (pairs[2r], pairs[2r+1]).
 *
 * Text is first cut into chunks (a run of word bytes - letters, digits,
 * '_' and bytes >= 0x80 - with at most one leading space, or any other
 * single byte; runs longer than AGENT_BPE_MAX_CHUNK bytes are cut), and
 * merges never cross a chunk. Training repeats: count every adjacent pair
 * in all chunks weighted by how often each chunk occurs, merge the most
 * frequent (ties: the lowest pair of ids), until n_merges are made or no
 * pair occurs twice. Encoding applies the merges in the order learned (the
 * lowest-ranked pair present first), so it is a pure function of the merge
 * list. Internal to mimic. */
#ifndef MIMIC_AGENT_BPE_H
#define MIMIC_AGENT_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/core.h"

#define AGENT_BPE_MAX_CHUNK 32
#define AGENT_BPE_MAX_MERGES 8192

typedef struct agent_bpe {
  int n_merges;
  int32_t *pairs; /* [2 n_merges] */
  /* (a, b) -> rank, open addressing */
  uint64_t *keys;
  int32_t *ranks;
  size_t n_slots;
  /* token -> bytes, for decoding */
  uint32_t *off, *len; /* [256 + n_merges] */
  char *bytes;
} agent_bpe;

/* Learns up to n_merges merges from n texts (lens[i] bytes each). */
mimic_status agent_bpe_train(agent_bpe *b, const char *const *texts, const size_t *lens, size_t n,
                             int n_merges);
/* Builds an encoder from a stored merge list, checking every pair refers to
 * earlier tokens (what names the source in messages). */
mimic_status agent_bpe_from_pairs(agent_bpe *b, const int32_t *pairs, int n_merges,
                                  const char *what);
/* Tokens in the vocabulary: 256 + n_merges. */
int agent_bpe_vocab(const agent_bpe *b);
/* Encodes len bytes of text into out, which needs room for len ids (a
 * token covers at least one byte); returns the number of ids written. */
size_t agent_bpe_encode(const agent_bpe *b, const char *text, size_t len, int32_t *out);
/* Writes the bytes of n ids into out (at most cap bytes); returns the bytes
 * the whole decoding needs, or (size_t)-1 for an id outside the vocabulary. */
size_t agent_bpe_decode(const agent_bpe *b, const int32_t *ids, size_t n, char *out, size_t cap);
/* Frees an encoder (safe on a zeroed one). */
void agent_bpe_free(agent_bpe *b);

#endif
