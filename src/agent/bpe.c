/* Byte-pair encoding (see bpe.h). Training recounts the pairs of the unique
 * chunks after every merge: with a few tens of thousands of unique chunks
 * and a few hundred merges that takes well under a second, and keeps the
 * code small enough to check by eye. */
#include "agent/bpe.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static int word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}

/* Length of the chunk starting at text[i]. */
static size_t chunk_len(const char *text, size_t len, size_t i) {
  size_t j = i;
  if (text[j] == ' ' && j + 1 < len && word_byte((unsigned char)text[j + 1])) j++;
  if (!word_byte((unsigned char)text[j])) return j - i + 1;
  while (j < len && j - i < AGENT_BPE_MAX_CHUNK && word_byte((unsigned char)text[j])) j++;
  return j - i;
}

static uint64_t hash64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

static uint64_t pair_key(int32_t a, int32_t b) {
  return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
}

static int32_t rank_of(const agent_bpe *b, int32_t x, int32_t y) {
  if (!b->n_slots) return -1;
  uint64_t k = pair_key(x, y) + 1; /* 0 marks an empty slot */
  for (size_t s = hash64(k) & (b->n_slots - 1);; s = (s + 1) & (b->n_slots - 1)) {
    if (b->keys[s] == 0) return -1;
    if (b->keys[s] == k) return b->ranks[s];
  }
}

int agent_bpe_vocab(const agent_bpe *b) { return 256 + b->n_merges; }

void agent_bpe_free(agent_bpe *b) {
  free(b->pairs);
  free(b->keys);
  free(b->ranks);
  free(b->off);
  free(b->len);
  free(b->bytes);
  memset(b, 0, sizeof *b);
}

mimic_status agent_bpe_from_pairs(agent_bpe *b, const int32_t *pairs, int n_merges,
                                  const char *what) {
  memset(b, 0, sizeof *b);
  if (n_merges < 0 || n_merges > AGENT_BPE_MAX_MERGES)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %d merges (at most %d)", what, n_merges,
                      AGENT_BPE_MAX_MERGES);
  size_t V = 256 + (size_t)n_merges;
  b->n_slots = 16;
  while (b->n_slots < 2 * (size_t)n_merges + 2) b->n_slots *= 2;
  b->pairs = mimic_malloc((2 * (size_t)n_merges + 1) * sizeof *b->pairs, "merges");
  b->keys = mimic_calloc(b->n_slots, sizeof *b->keys, "merges");
  b->ranks = mimic_calloc(b->n_slots, sizeof *b->ranks, "merges");
  b->off = mimic_malloc(V * sizeof *b->off, "vocabulary");
  b->len = mimic_malloc(V * sizeof *b->len, "vocabulary");
  if (!b->pairs || !b->keys || !b->ranks || !b->off || !b->len) {
    agent_bpe_free(b);
    return MIMIC_ERR_NOMEM;
  }
  size_t total = 256;
  for (int r = 0; r < n_merges; r++) {
    int32_t x = pairs[2 * r], y = pairs[2 * r + 1];
    if (x < 0 || y < 0 || x >= 256 + r || y >= 256 + r) {
      agent_bpe_free(b);
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: merge %d joins tokens %d and %d, but only %d exist before it", what, r,
                        x, y, 256 + r);
    }
    if (rank_of(b, x, y) >= 0) {
      agent_bpe_free(b);
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: merge %d repeats the pair (%d, %d)", what, r, x, y);
    }
    b->pairs[2 * r] = x;
    b->pairs[2 * r + 1] = y;
    uint64_t k = pair_key(x, y) + 1;
    size_t s = hash64(k) & (b->n_slots - 1);
    while (b->keys[s]) s = (s + 1) & (b->n_slots - 1);
    b->keys[s] = k;
    b->ranks[s] = r;
    b->n_merges = r + 1;
  }
  for (size_t t = 0; t < 256; t++) b->len[t] = 1;
  for (int r = 0; r < n_merges; r++) {
    size_t l = (size_t)b->len[pairs[2 * r]] + b->len[pairs[2 * r + 1]];
    if (l > 1u << 20) {
      agent_bpe_free(b);
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: merge %d makes a token of %zu bytes", what, r, l);
    }
    b->len[256 + r] = (uint32_t)l;
  }
  for (size_t t = 256; t < V; t++) { /* the bytes 0..255 come first */
    b->off[t] = (uint32_t)total;
    total += b->len[t];
  }
  b->bytes = mimic_malloc(total, "vocabulary");
  if (!b->bytes) {
    agent_bpe_free(b);
    return MIMIC_ERR_NOMEM;
  }
  for (size_t t = 0; t < 256; t++) {
    b->off[t] = (uint32_t)t;
    b->bytes[t] = (char)t;
  }
  for (int r = 0; r < n_merges; r++) {
    size_t t = 256 + (size_t)r;
    int32_t x = pairs[2 * r], y = pairs[2 * r + 1];
    memcpy(b->bytes + b->off[t], b->bytes + b->off[x], b->len[x]);
    memcpy(b->bytes + b->off[t] + b->len[x], b->bytes + b->off[y], b->len[y]);
  }
  return MIMIC_OK;
}

/* Merges the lowest-ranked pair present until none is left; returns the new length. */
static size_t merge_chunk(const agent_bpe *b, int32_t *t, size_t n) {
  while (n > 1) {
    int32_t best = -1;
    size_t at = 0;
    for (size_t i = 0; i + 1 < n; i++) {
      int32_t r = rank_of(b, t[i], t[i + 1]);
      if (r >= 0 && (best < 0 || r < best)) {
        best = r;
        at = i;
      }
    }
    if (best < 0) break;
    /* every occurrence of that pair, left to right */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
      if (i >= at && i + 1 < n && t[i] == b->pairs[2 * best] &&
          t[i + 1] == b->pairs[2 * best + 1]) {
        t[w++] = 256 + best;
        i++;
      } else {
        t[w++] = t[i];
      }
    }
    n = w;
  }
  return n;
}

size_t agent_bpe_encode(const agent_bpe *b, const char *text, size_t len, int32_t *out) {
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    size_t cl = chunk_len(text, len, i);
    for (size_t j = 0; j < cl; j++) out[n + j] = (unsigned char)text[i + j];
    n += merge_chunk(b, out + n, cl);
    i += cl;
  }
  return n;
}

size_t agent_bpe_decode(const agent_bpe *b, const int32_t *ids, size_t n, char *out, size_t cap) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= agent_bpe_vocab(b)) return (size_t)-1;
    size_t l = b->len[ids[i]];
    if (w + l <= cap) memcpy(out + w, b->bytes + b->off[ids[i]], l);
    w += l;
  }
  return w;
}

/* ---- training ------------------------------------------------------------ */

typedef struct chunk_table {
  char *bytes; /* all unique chunks, back to back */
  size_t n_bytes, cap_bytes;
  size_t *off; /* [n] */
  uint8_t *len;
  uint64_t *count;
  size_t n, cap;
  int64_t *slots; /* index + 1, 0 = empty */
  size_t n_slots;
} chunk_table;

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

static mimic_status chunk_add(chunk_table *c, const char *s, size_t n) {
  if (2 * (c->n + 1) > c->n_slots) { /* rehash */
    size_t ns = c->n_slots ? 2 * c->n_slots : 1024;
    int64_t *sl = mimic_calloc(ns, sizeof *sl, "chunk table");
    if (!sl) return MIMIC_ERR_NOMEM;
    for (size_t i = 0; i < c->n; i++) {
      size_t p = hash_bytes(c->bytes + c->off[i], c->len[i]) & (ns - 1);
      while (sl[p]) p = (p + 1) & (ns - 1);
      sl[p] = (int64_t)i + 1;
    }
    free(c->slots);
    c->slots = sl;
    c->n_slots = ns;
  }
  size_t p = hash_bytes(s, n) & (c->n_slots - 1);
  for (; c->slots[p]; p = (p + 1) & (c->n_slots - 1)) {
    size_t i = (size_t)c->slots[p] - 1;
    if (c->len[i] == n && !memcmp(c->bytes + c->off[i], s, n)) {
      c->count[i]++;
      return MIMIC_OK;
    }
  }
  if (c->n == c->cap) {
    size_t cap = c->cap;
    MIMIC_TRY(mimic_grow(&c->off, &cap, c->n + 1, sizeof *c->off, 1024, "chunk table"));
    cap = c->cap;
    MIMIC_TRY(mimic_grow(&c->len, &cap, c->n + 1, sizeof *c->len, 1024, "chunk table"));
    cap = c->cap;
    MIMIC_TRY(mimic_grow(&c->count, &cap, c->n + 1, sizeof *c->count, 1024, "chunk table"));
    c->cap = cap;
  }
  MIMIC_TRY(mimic_grow(&c->bytes, &c->cap_bytes, c->n_bytes + n, 1, 4096, "chunk table"));
  memcpy(c->bytes + c->n_bytes, s, n);
  c->off[c->n] = c->n_bytes;
  c->len[c->n] = (uint8_t)n;
  c->count[c->n] = 1;
  c->slots[p] = (int64_t)c->n + 1;
  c->n++;
  c->n_bytes += n;
  return MIMIC_OK;
}

static void chunk_free(chunk_table *c) {
  free(c->bytes);
  free(c->off);
  free(c->len);
  free(c->count);
  free(c->slots);
}

mimic_status agent_bpe_train(agent_bpe *b, const char *const *texts, const size_t *lens, size_t n,
                             int n_merges) {
  memset(b, 0, sizeof *b);
  if (n_merges < 0 || n_merges > AGENT_BPE_MAX_MERGES)
    return mimic_fail(MIMIC_ERR_INVALID, "bpe: merges must be in 0..%d, got %d",
                      AGENT_BPE_MAX_MERGES, n_merges);
  chunk_table c = {0};
  mimic_status st = MIMIC_OK;
  for (size_t t = 0; t < n && !st; t++)
    for (size_t i = 0; i < lens[t] && !st;) {
      size_t cl = chunk_len(texts[t], lens[t], i);
      st = chunk_add(&c, texts[t] + i, cl);
      i += cl;
    }
  /* each unique chunk as tokens, in the order first met */
  int32_t *tok = st ? NULL : mimic_malloc((c.n_bytes + 1) * sizeof *tok, "chunk tokens");
  size_t *wlen = st ? NULL : mimic_malloc((c.n + 1) * sizeof *wlen, "chunk tokens");
  int32_t *pairs = st ? NULL : mimic_malloc((2 * (size_t)n_merges + 1) * sizeof *pairs, "merges");
  size_t n_slots = 1024;
  while (n_slots < 4 * c.n_bytes) n_slots *= 2;
  uint64_t *pk = st ? NULL : mimic_malloc(n_slots * sizeof *pk, "pair counts");
  uint64_t *pc = st ? NULL : mimic_malloc(n_slots * sizeof *pc, "pair counts");
  if (!st && (!tok || !wlen || !pairs || !pk || !pc)) st = MIMIC_ERR_NOMEM;
  int made = 0;
  if (!st) {
    for (size_t i = 0; i < c.n_bytes; i++) tok[i] = (unsigned char)c.bytes[i];
    for (size_t w = 0; w < c.n; w++) wlen[w] = c.len[w];
  }
  while (!st && made < n_merges) {
    memset(pk, 0, n_slots * sizeof *pk);
    uint64_t best_key = 0, best_count = 0;
    for (size_t w = 0; w < c.n; w++) {
      const int32_t *t = tok + c.off[w];
      for (size_t i = 0; i + 1 < wlen[w]; i++) {
        uint64_t k = pair_key(t[i], t[i + 1]) + 1;
        size_t s = hash64(k) & (n_slots - 1);
        while (pk[s] && pk[s] != k) s = (s + 1) & (n_slots - 1);
        if (!pk[s]) {
          pk[s] = k;
          pc[s] = 0;
        }
        pc[s] += c.count[w];
        if (pc[s] > best_count || (pc[s] == best_count && k < best_key)) {
          best_count = pc[s];
          best_key = k;
        }
      }
    }
    if (best_count < 2) break;
    int32_t x = (int32_t)((best_key - 1) >> 32), y = (int32_t)((best_key - 1) & 0xffffffffu);
    pairs[2 * made] = x;
    pairs[2 * made + 1] = y;
    int32_t id = 256 + made;
    for (size_t w = 0; w < c.n; w++) {
      int32_t *t = tok + c.off[w];
      size_t m = 0;
      for (size_t i = 0; i < wlen[w]; i++) {
        if (i + 1 < wlen[w] && t[i] == x && t[i + 1] == y) {
          t[m++] = id;
          i++;
        } else {
          t[m++] = t[i];
        }
      }
      wlen[w] = m;
    }
    made++;
  }
  if (!st) st = agent_bpe_from_pairs(b, pairs, made, "bpe");
  free(tok);
  free(wlen);
  free(pairs);
  free(pk);
  free(pc);
  chunk_free(&c);
  return st;
}
