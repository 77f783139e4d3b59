/* The trace transformer (see tf_policy.h and mimic_agent_tf_config).
 *
 * One training sequence per move: the last `context` tokens of the state
 * before it, the loss read only at the last position (the softmax over the
 * action tokens), so training sees exactly what prediction sees. Sequences
 * of a batch are padded on the right, which the causal attention makes
 * harmless: nothing after the last real token reaches it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tf_policy.h"
#include "core/util.h"
#include "nn/optim.h"

/* ---- tokens -------------------------------------------------------------- */

typedef struct tok_buf {
  int32_t *p;
  size_t n, cap;
} tok_buf;

static mimic_status tb_reserve(tok_buf *t, size_t more) {
  return mimic_grow(&t->p, &t->cap, t->n + more, sizeof *t->p, 256, "tokens");
}

/* A marker token, then the first `segment` bytes of text (cut at a UTF-8
 * boundary) as byte-pair tokens. */
static mimic_status tb_text(tok_buf *t, const agent_tf *tf, size_t segment, int marker,
                            const char *text) {
  size_t len = agent_obs_len(text ? text : "", segment);
  MIMIC_TRY(tb_reserve(t, len + 1));
  t->p[t->n++] = tf->tok_special + marker;
  t->n += agent_bpe_encode(&tf->bpe, text ? text : "", len, t->p + t->n);
  return MIMIC_OK;
}

mimic_status agent_tf_tokens(const mimic_agent_model *m, const mimic_agent_state *s, int32_t **buf,
                             size_t *cap, size_t *n) {
  const agent_tf *tf = m->tf;
  size_t seg = m->cfg.tf.segment;
  tok_buf t = {*buf, 0, *cap};
  mimic_status st = MIMIC_OK;
  if (s->intent && *s->intent) st = tb_text(&t, tf, seg, AGENT_TOK_INTENT, s->intent);
  if (!st) st = tb_text(&t, tf, seg, AGENT_TOK_REQUEST, s->request);
  for (size_t j = 0; j < s->n_previous && !st; j++) {
    if ((st = tb_reserve(&t, 1))) break;
    int a = s->previous[j] ? mimic_labelset_find(&m->actions, s->previous[j]) : -1;
    t.p[t.n++] = a >= 0 ? tf->tok_action + a : tf->tok_special + AGENT_TOK_UNKNOWN_ACTION;
    const char *content = s->previous_content ? s->previous_content[j] : NULL;
    if (content && *content) st = tb_text(&t, tf, seg, AGENT_TOK_CONTENT, content);
    const char *obs = j < s->n_observations    ? s->observations[j]
                      : j + 1 == s->n_previous ? s->last_observation
                                               : NULL;
    if (!st && obs) st = tb_text(&t, tf, seg, AGENT_TOK_OBS, obs);
  }
  if (!st && s->n_previous == 0 && s->last_observation)
    st = tb_text(&t, tf, seg, AGENT_TOK_OBS, s->last_observation);
  *buf = t.p;
  *cap = t.cap;
  *n = t.n;
  return st;
}

/* ---- the model ----------------------------------------------------------- */

static mimic_gpt_config gpt_config(const mimic_agent_model *m, const agent_tf *tf) {
  const mimic_agent_tf_config *c = &m->cfg.tf;
  mimic_gpt_config g = {tf->tok_action + m->actions.n, c->context, c->layers, c->heads, c->embd};
  return g;
}

static void set_layout(mimic_agent_model *m, agent_tf *tf) {
  (void)m;
  tf->tok_special = agent_bpe_vocab(&tf->bpe);
  tf->tok_action = tf->tok_special + AGENT_N_SPECIAL;
}

void agent_tf_free(mimic_agent_model *m) {
  if (!m->tf) return;
  agent_bpe_free(&m->tf->bpe);
  mimic_gpt_free(&m->tf->gpt);
  free(m->tf);
  m->tf = NULL;
}

/* Softmax of the action logits of one position into p; returns log p[y] (y < 0: 0). */
static double action_softmax(const float *logits, int K, int y, double *p) {
  double mx = logits[0];
  for (int k = 1; k < K; k++)
    if (logits[k] > mx) mx = logits[k];
  double z = 0;
  for (int k = 0; k < K; k++) z += (p[k] = exp(logits[k] - mx));
  for (int k = 0; k < K; k++) p[k] /= z;
  return y >= 0 ? log(p[y] > 1e-300 ? p[y] : 1e-300) : 0;
}

/* The texts the vocabulary is learned from: every distinct text the
 * states hold (examples of one trace share their strings), cut as the
 * model cuts them. */
static mimic_status collect_texts(const mimic_agent_example *ex, size_t n, size_t seg,
                                  const char ***out, size_t *n_out) {
  size_t cap = 0, k = 0;
  const char **v = NULL;
  for (size_t i = 0; i < n; i++) {
    const mimic_agent_state *s = &ex[i].state;
    size_t need = k + 3 + s->n_observations + (s->previous_content ? s->n_previous : 0);
    MIMIC_TRY(mimic_grow(&v, &cap, need, sizeof *v, 1024, "texts"));
    if (s->intent) v[k++] = s->intent;
    if (s->request) v[k++] = s->request;
    if (s->last_observation) v[k++] = s->last_observation;
    for (size_t j = 0; j < s->n_observations; j++)
      if (s->observations[j]) v[k++] = s->observations[j];
    for (size_t j = 0; s->previous_content && j < s->n_previous; j++)
      if (s->previous_content[j]) v[k++] = s->previous_content[j];
  }
  /* distinct pointers, in the order first met (sorting by address would
   * make the vocabulary depend on the allocator) */
  size_t n_slots = 16;
  while (n_slots < 2 * k + 2) n_slots *= 2;
  const char **slots = mimic_calloc(n_slots, sizeof *slots, "texts");
  if (!slots) {
    free(v);
    return MIMIC_ERR_NOMEM;
  }
  size_t w = 0;
  for (size_t i = 0; i < k; i++) {
    uint64_t h = (uint64_t)(uintptr_t)v[i] * 0x9e3779b97f4a7c15ull;
    size_t p = (size_t)(h >> 20) & (n_slots - 1);
    while (slots[p] && slots[p] != v[i]) p = (p + 1) & (n_slots - 1);
    if (slots[p]) continue;
    slots[p] = v[i];
    v[w++] = v[i];
  }
  free(slots);
  (void)seg;
  *out = v;
  *n_out = w;
  return MIMIC_OK;
}

static mimic_status fit_vocab(agent_tf *tf, const mimic_agent_model *m,
                              const mimic_agent_example *ex, size_t n) {
  const char **texts = NULL;
  size_t nt = 0;
  MIMIC_TRY(collect_texts(ex, n, m->cfg.tf.segment, &texts, &nt));
  size_t *lens = mimic_malloc((nt + 1) * sizeof *lens, "texts");
  mimic_status st = lens ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < nt && !st; i++) lens[i] = agent_obs_len(texts[i], m->cfg.tf.segment);
  if (!st) st = agent_bpe_train(&tf->bpe, texts, lens, nt, m->cfg.tf.merges);
  free(texts);
  free(lens);
  return st;
}

/* The last `context` tokens of every example's state, back to back. */
typedef struct seqs {
  int32_t *tok; /* [n * context] */
  int32_t *len; /* [n] */
} seqs;

static mimic_status build_seqs(const mimic_agent_model *m, const mimic_agent_example *ex, size_t n,
                               seqs *out) {
  size_t K = (size_t)m->cfg.tf.context, cap = 0, nt = 0;
  int32_t *buf = NULL;
  out->tok = mimic_malloc(n * K * sizeof *out->tok, "token sequences");
  out->len = mimic_malloc(n * sizeof *out->len, "token sequences");
  mimic_status st = out->tok && out->len ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n && !st; i++) {
    st = agent_tf_tokens(m, &ex[i].state, &buf, &cap, &nt);
    size_t keep = nt < K ? nt : K;
    if (!st) memcpy(out->tok + i * K, buf + (nt - keep), keep * sizeof *buf);
    out->len[i] = (int32_t)keep;
  }
  free(buf);
  return st;
}

mimic_status agent_tf_fit(mimic_agent_model *m, const mimic_agent_example *ex, size_t n,
                          const int32_t *y) {
  const mimic_agent_tf_config *c = &m->cfg.tf;
  agent_tf *tf = mimic_calloc(1, sizeof *tf, "the transformer");
  if (!tf) return MIMIC_ERR_NOMEM;
  m->tf = tf;
  MIMIC_TRY(fit_vocab(tf, m, ex, n));
  set_layout(m, tf);
  mimic_gpt_config gc = gpt_config(m, tf);
  int B = c->batch < (int)n ? c->batch : (int)n, T = c->context, K = m->actions.n;
  MIMIC_TRY(mimic_gpt_create(&tf->gpt, &gc, B, T));
  mimic_rng rng;
  mimic_rng_seed(&rng, c->seed);
  mimic_gpt_init(&tf->gpt, &rng);
  mimic_gpt *g = &tf->gpt;
  seqs sq = {0};
  mimic_optim opt = {0};
  int32_t *idx = mimic_malloc((size_t)B * T * sizeof *idx, "a batch");
  uint32_t *perm = mimic_malloc(n * sizeof *perm, "a permutation");
  double *p = mimic_malloc((size_t)K * sizeof *p, "probabilities");
  mimic_status st = idx && perm && p ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st) st = build_seqs(m, ex, n, &sq);
  mimic_optim_config oc = mimic_optim_defaults(MIMIC_OPTIM_ADAMW);
  oc.lr = c->lr;
  if (!st) st = mimic_optim_create(&opt, &oc, g->n_params);
  size_t per_epoch = (n + (size_t)B - 1) / (size_t)B, total = per_epoch * (size_t)c->epochs,
         done = 0;
  const int V = gc.vocab_size;
  mimic_progress bar;
  mimic_progress_begin(&bar, "agent transformer", "batch", total);
  double loss_sum = 0;
  size_t loss_n = 0;
  for (int e = 0; e < c->epochs && !st; e++) {
    mimic_rng_permutation(&rng, perm, n);
    for (size_t b0 = 0; b0 < n && !st; b0 += (size_t)B) {
      int nb = (int)(n - b0 < (size_t)B ? n - b0 : (size_t)B), Tb = 1;
      for (int b = 0; b < nb; b++)
        if (sq.len[perm[b0 + b]] > Tb) Tb = sq.len[perm[b0 + b]];
      for (int b = 0; b < nb; b++) {
        size_t i = perm[b0 + b];
        int L = sq.len[i];
        memcpy(idx + (size_t)b * Tb, sq.tok + i * (size_t)T, (size_t)L * sizeof *idx);
        for (int t = L; t < Tb; t++) idx[(size_t)b * Tb + t] = 0; /* padding, after the last */
      }
      if ((st = mimic_gpt_forward(g, idx, nb, Tb))) break;
      memset(g->dlogits, 0, (size_t)nb * Tb * V * sizeof *g->dlogits);
      for (int b = 0; b < nb; b++) {
        size_t i = perm[b0 + b], row = ((size_t)b * Tb + (size_t)sq.len[i] - 1) * V;
        loss_sum -= action_softmax(g->logits + row + tf->tok_action, K, y[i], p);
        loss_n++;
        float *d = g->dlogits + row + tf->tok_action;
        for (int k = 0; k < K; k++) d[k] = (float)((p[k] - (k == y[i])) / nb);
      }
      mimic_gpt_backward(g);
      mimic_clip_grad_norm(g->grads, g->n_params, 1.0f);
      opt.cfg.lr = c->lr * (1.0 - 0.9 * (double)done / (double)total);
      mimic_optim_step(&opt, g->params, g->grads);
      mimic_gpt_zero_grad(g);
      done++;
      mimic_progress_note(&bar, "epoch %d, loss %.4f", e + 1, loss_sum / (double)loss_n);
      mimic_progress_update(&bar, done);
    }
    loss_sum = 0;
    loss_n = 0;
  }
  mimic_progress_end(&bar);
  mimic_optim_free(&opt);
  free(sq.tok);
  free(sq.len);
  free(idx);
  free(perm);
  free(p);
  return st;
}

/* ---- prediction ---------------------------------------------------------- */

mimic_status agent_tf_scratch(const mimic_agent_model *m, mimic_agent_scratch *sc) {
  const agent_tf *tf = m->tf;
  sc->gpt = mimic_calloc(1, sizeof *sc->gpt, "the transformer");
  if (!sc->gpt) return MIMIC_ERR_NOMEM;
  MIMIC_TRY(mimic_gpt_create(sc->gpt, &tf->gpt.cfg, 1, m->cfg.tf.context));
  memcpy(sc->gpt->params, tf->gpt.params, tf->gpt.n_params * sizeof *tf->gpt.params);
  return mimic_grow(&sc->tok, &sc->tok_cap, 4096, sizeof *sc->tok, 4096, "tokens");
}

void agent_tf_scratch_free(mimic_agent_scratch *sc) {
  if (sc->gpt) mimic_gpt_free(sc->gpt);
  free(sc->gpt);
  free(sc->tok);
  sc->gpt = NULL;
  sc->tok = NULL;
}

mimic_status agent_tf_predict(const mimic_agent_model *m, const mimic_agent_state *s,
                              mimic_agent_scratch *sc) {
  const agent_tf *tf = m->tf;
  size_t n, K = (size_t)m->cfg.tf.context;
  MIMIC_TRY(agent_tf_tokens(m, s, &sc->tok, &sc->tok_cap, &n));
  size_t keep = n < K ? n : K;
  MIMIC_TRY(mimic_gpt_forward(sc->gpt, sc->tok + (n - keep), 1, (int)keep));
  const float *row = sc->gpt->logits + (keep - 1) * (size_t)sc->gpt->cfg.vocab_size;
  action_softmax(row + tf->tok_action, m->actions.n, -1, sc->proba);
  return MIMIC_OK;
}

/* ---- the model file ------------------------------------------------------ */

mimic_status agent_tf_export(const mimic_agent_model *m, mimic_container *c) {
  const agent_tf *tf = m->tf;
  const mimic_agent_tf_config *k = &m->cfg.tf;
  json_t *j = json_pack("{s:i,s:i,s:i,s:i,s:i,s:I,s:i,s:i,s:f,s:I}", "context", k->context,
                        "layers", k->layers, "heads", k->heads, "embd", k->embd, "merges",
                        tf->bpe.n_merges, "segment", (json_int_t)k->segment, "epochs", k->epochs,
                        "batch", k->batch, "lr", k->lr, "seed", (json_int_t)k->seed);
  if (!j) return mimic_fail_nomem("model header");
  json_object_set_new(c->meta, "transformer", j);
  MIMIC_TRY(mimic_container_add(c, "bpe_merges", MIMIC_ARRAY_I4, tf->bpe.pairs,
                                2 * (uint64_t)tf->bpe.n_merges));
  return mimic_container_add(c, "transformer_params", MIMIC_ARRAY_F4, tf->gpt.params,
                             tf->gpt.n_params);
}

static mimic_status get_int(const json_t *o, const char *key, long long lo, long long hi,
                            long long *out, const char *path) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.transformer.%s must be an integer in %lld..%lld",
                      path, key, lo, hi);
  *out = json_integer_value(v);
  return MIMIC_OK;
}

mimic_status agent_tf_import(mimic_agent_model *m, const mimic_container *f, const char *path) {
  const json_t *j = json_object_get(f->meta, "transformer");
  if (!json_is_object(j))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: meta.transformer is missing", path);
  mimic_agent_tf_config *k = &m->cfg.tf;
  long long v, merges;
  MIMIC_TRY(get_int(j, "context", 1, 1 << 16, &v, path));
  k->context = (int)v;
  MIMIC_TRY(get_int(j, "layers", 1, MIMIC_GPT_MAX_LAYERS, &v, path));
  k->layers = (int)v;
  MIMIC_TRY(get_int(j, "heads", 1, 1024, &v, path));
  k->heads = (int)v;
  MIMIC_TRY(get_int(j, "embd", 1, 8192, &v, path));
  k->embd = (int)v;
  MIMIC_TRY(get_int(j, "segment", 1, 64 << 20, &v, path));
  k->segment = (size_t)v;
  MIMIC_TRY(get_int(j, "merges", 0, AGENT_BPE_MAX_MERGES, &merges, path));
  if (k->embd % k->heads)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: meta.transformer.embd %d is not a multiple of heads %d", path, k->embd,
                      k->heads);
  /* the training settings are kept for the record; absent ones are fine */
  if (!get_int(j, "epochs", 1, INT32_MAX, &v, path)) k->epochs = (int)v;
  if (!get_int(j, "batch", 1, INT32_MAX, &v, path)) k->batch = (int)v;
  mimic_errclear();
  agent_tf *tf = mimic_calloc(1, sizeof *tf, "the transformer");
  if (!tf) return MIMIC_ERR_NOMEM;
  m->tf = tf;
  const int32_t *pairs;
  const float *params;
  MIMIC_TRY(mimic_container_get(f, "bpe_merges", MIMIC_ARRAY_I4, 2 * (uint64_t)merges,
                                (const void **)&pairs));
  char what[512];
  snprintf(what, sizeof what, "%s: bpe_merges", path);
  MIMIC_TRY(agent_bpe_from_pairs(&tf->bpe, pairs, (int)merges, what));
  set_layout(m, tf);
  mimic_gpt_config gc = gpt_config(m, tf);
  MIMIC_TRY(mimic_gpt_create(&tf->gpt, &gc, 1, k->context));
  MIMIC_TRY(mimic_container_get(f, "transformer_params", MIMIC_ARRAY_F4, tf->gpt.n_params,
                                (const void **)&params));
  /* the container has checked the CRC and that every float is finite */
  memcpy(tf->gpt.params, params, tf->gpt.n_params * sizeof *params);
  return MIMIC_OK;
}
