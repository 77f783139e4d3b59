/* Minibatches without replacement, drawn per epoch.
 *
 * The sampler keeps one array of row ids (4 bytes per transition; a
 * second with the chosen rows only when a subset was chosen) and
 * gathers rows straight from the view into the caller's buffers, so a
 * batch costs B small copies and nothing is allocated after init.
 *
 * Epoch e's order is the list of the chosen rows, in the order given,
 * shuffled (Fisher-Yates, NumPy's bounded draws) by a generator
 * seeded with SeedSequence(seed, spawn_key=(e,)). It depends only on
 * (seed, e), never on earlier epochs, so a trainer that saved (epoch, pos)
 * resumes bit for bit with mimic_sampler_seek. */
#include <stdlib.h>
#include <string.h>

#include "data/data_impl.h"
#include "core/seedseq.h"

static void begin_epoch(mimic_sampler *s, uint64_t e) {
  if (s->rows)
    memcpy(s->items, s->rows, s->n * sizeof *s->items);
  else
    for (size_t i = 0; i < s->n; i++) s->items[i] = (uint32_t)i;
  mimic_seedseq ss;
  uint32_t key[2] = {(uint32_t)e, (uint32_t)(e >> 32)};
  mimic_seedseq_init_key(&ss, s->seed, key, e >> 32 ? 2 : 1);
  mimic_rng r;
  mimic_rng_seed_seq(&r, &ss);
  mimic_rng_shuffle(&r, s->items, s->n, sizeof(uint32_t));
  s->epoch = e + 1;
  s->pos = 0;
}

mimic_status mimic_sampler_init(mimic_sampler *s, const mimic_transitions *t, const uint32_t *rows,
                                size_t n_rows, size_t batch_size, bool drop_last, uint64_t seed) {
  memset(s, 0, sizeof *s);
  if (batch_size == 0) return mimic_fail(MIMIC_ERR_INVALID, "batch size must be positive");
  if (!rows) n_rows = t->n;
  if (rows) s->rows = mimic_calloc(n_rows ? n_rows : 1, sizeof(uint32_t), "sampler");
  s->items = mimic_calloc(n_rows ? n_rows : 1, sizeof(uint32_t), "sampler");
  if ((rows && !s->rows) || !s->items) {
    mimic_sampler_free(s);
    return MIMIC_ERR_NOMEM;
  }
  for (size_t i = 0; rows && i < n_rows; i++) {
    if (rows[i] >= t->n) {
      mimic_sampler_free(s);
      return mimic_fail(MIMIC_ERR_INVALID, "sampler: row %u is outside the view (%zu rows)",
                        rows[i], t->n);
    }
    s->rows[i] = rows[i];
  }
  s->t = t;
  s->n = n_rows;
  s->batch_size = batch_size;
  s->drop_last = drop_last;
  s->seed = seed;
  s->epoch = 0;
  s->pos = n_rows; /* the first call begins epoch 0 */
  return MIMIC_OK;
}

size_t mimic_sampler_batches_per_epoch(const mimic_sampler *s) {
  size_t full = s->n / s->batch_size;
  return full + (!s->drop_last && s->n % s->batch_size ? 1 : 0);
}

size_t mimic_sampler_next_rows(mimic_sampler *s, const uint32_t **rows) {
  if (s->n == 0 || (s->drop_last && s->n < s->batch_size)) return 0;
  size_t left = s->n - s->pos;
  if (left == 0 || (s->drop_last && left < s->batch_size)) {
    begin_epoch(s, s->epoch);
    left = s->n;
  }
  size_t b = left < s->batch_size ? left : s->batch_size;
  *rows = s->items + s->pos;
  s->pos += b;
  return b;
}

size_t mimic_sampler_next(mimic_sampler *s, const mimic_batch *out) {
  const uint32_t *rows;
  size_t b = mimic_sampler_next_rows(s, &rows);
  if (b) mimic_transitions_gather(s->t, rows, b, out);
  return b;
}

void mimic_sampler_seek(mimic_sampler *s, uint64_t epoch, size_t pos) {
  if (s->n == 0) return;
  begin_epoch(s, epoch);
  s->pos = pos > s->n ? s->n : pos;
}

void mimic_sampler_free(mimic_sampler *s) {
  free(s->items);
  free(s->rows);
  memset(s, 0, sizeof *s);
}
