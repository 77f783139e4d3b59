/* Policies over agent states: frequency, Markov and logistic regression.
 *
 * frequency  counts the actions taken per (intent, step): the first move
 *            for "order_status", the second, ... Confidence is the share of
 *            the most frequent action under that key (the mission's "2 of 3
 *            demonstrations start with search_orders: 0.67"). A step never
 *            seen for a known intent backs off to all steps of the intent.
 *            An intent never seen gives no action and confidence 0, so the
 *            router hands it to the fallback (the expert).
 * markov     counts per (intent, last k actions), backing off to k-1, ...,
 *            0 previous actions (0 = all moves of the intent) until a key
 *            was seen. Confidence as above, at the level used.
 * logreg     LIBLINEAR one-vs-rest logistic regression (or softmax) over
 *            one sparse row per state, built from blocks (each can be
 *            switched on or off; MIMIC_AGENT_FEAT_*):
 *              request      TF-IDF of the request
 *              observation  TF-IDF of the last observation (a tool's output
 *                           or the user's message), cut to max_observation
 *                           bytes at a UTF-8 boundary
 *              shapes       TF-IDF of the observation's token shapes: every
 *                           token that is not a plain word becomes its
 *                           character classes ("mia_li_3668" -> "sxuxud"), so
 *                           "the user just gave an id" is visible although
 *                           this id was never seen
 *              reply        TF-IDF of the agent's last reply
 *              available    per tool, whether each argument it copies can be
 *                           found in the state, and whether one found value
 *                           was not used by an earlier call of the tool (args.c)
 *              previous     one-hots of the last prev_k actions by position
 *              counts       log(1 + times) each action was taken so far
 *              intent       one-hot of the intent
 *              progress     step-count buckets, moves since the agent last
 *                           replied, and those moves with the last action
 *            The default leaves out request and reply: on tau-bench airline
 *            (split by task, 30 seeds) each cost about half a point of
 *            next-move accuracy (docs/agents.md). Confidence is the class
 *            probability (OvR: normalised sigmoids).
 *
 * Prediction allocates nothing once the scratch has grown: the row is
 * assembled in scratch buffers and LIBLINEAR's weights are read in place
 * (mimic_linear_proba_row). Count keys are built in the scratch too. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_impl.h"
#include "agent/tf_policy.h"
#include "core/util.h"
#include "text/tfidf.h"
#include "text/csr.h"
#include "text/linear_impl.h"

static const char *policy_names[] = {"frequency", "markov", "logreg", "transformer"};
#define N_POLICIES 4

mimic_status mimic_agent_policy_parse(const char *name, mimic_agent_policy_kind *out) {
  for (int i = 0; i < N_POLICIES; i++)
    if (!strcmp(name, policy_names[i])) {
      *out = (mimic_agent_policy_kind)i;
      return MIMIC_OK;
    }
  if (!strcmp(name, "lr") || !strcmp(name, "logistic")) {
    *out = MIMIC_AGENT_LOGREG;
    return MIMIC_OK;
  }
  return mimic_fail(MIMIC_ERR_INVALID,
                    "unknown policy '%s' (use frequency, markov, logreg or transformer)", name);
}

const char *mimic_agent_policy_name(mimic_agent_policy_kind k) {
  return (unsigned)k < N_POLICIES ? policy_names[k] : "?";
}

static const char *feature_names[] = {"request",  "observation", "shapes", "reply",   "available",
                                      "previous", "counts",      "intent", "progress"};
#define N_FEATURE_NAMES 9

mimic_status mimic_agent_features_parse(const char *text, unsigned *out) {
  unsigned f = 0;
  bool relative = text[0] == '+' || text[0] == '-';
  if (relative) f = MIMIC_AGENT_FEAT_DEFAULT;
  const char *p = text;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    char sign = 0;
    if (n && (*p == '+' || *p == '-')) {
      sign = *p++;
      n--;
    }
    unsigned bits = 0;
    if (n == 7 && !strncmp(p, "default", 7))
      bits = MIMIC_AGENT_FEAT_DEFAULT;
    else if (n == 3 && !strncmp(p, "all", 3))
      bits = MIMIC_AGENT_FEAT_ALL;
    else
      for (int i = 0; i < N_FEATURE_NAMES; i++)
        if (strlen(feature_names[i]) == n && !strncmp(p, feature_names[i], n)) bits = 1u << i;
    if (!bits)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "unknown feature '%.*s' in '%s' (use default, all, request, observation, "
                        "shapes, reply, available, previous, counts, intent, progress; +name "
                        "adds to the default, -name removes)",
                        (int)n, p, text);
    if (sign == '-')
      f &= ~bits;
    else
      f |= bits;
    p += n;
    if (*p == ',') p++;
  }
  if (!f) return mimic_fail(MIMIC_ERR_INVALID, "feature list '%s' leaves no feature", text);
  *out = f;
  return MIMIC_OK;
}

void mimic_agent_features_format(unsigned features, char *buf, size_t cap) {
  size_t k = 0;
  if (cap) buf[0] = 0;
  for (int i = 0; i < N_FEATURE_NAMES; i++)
    if (features & (1u << i)) {
      int w = snprintf(buf + k, k < cap ? cap - k : 0, "%s%s", k ? "," : "", feature_names[i]);
      if (w > 0) k += (size_t)w;
    }
}

void mimic_agent_config_default(mimic_agent_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->policy = MIMIC_AGENT_LOGREG;
  cfg->markov_k = 2;
  cfg->threshold = 0.5;
  cfg->prev_k = 2;
  cfg->features = MIMIC_AGENT_FEAT_DEFAULT;
  cfg->max_observation = 4096;
  mimic_tfidf_config_default(&cfg->tfidf);
  cfg->tfidf.sublinear_tf = true;
  mimic_linear_config_default(&cfg->linear);
  cfg->linear.C = 3;
  cfg->tf = (mimic_agent_tf_config){.context = 128,
                                    .layers = 2,
                                    .heads = 2,
                                    .embd = 64,
                                    .merges = 512,
                                    .segment = 192,
                                    .epochs = 8,
                                    .batch = 16,
                                    .lr = 1e-3,
                                    .seed = 0};
  cfg->keep_demos = true;
  mimic_forest_config_default(&cfg->forest);
  cfg->forest.n_trees = 0;
  cfg->forest.max_features = 0.1; /* 0.1, 0.3 and 0.5 score alike on tau-bench; 0.1 fits fastest */
}

mimic_status mimic_agent_config_check(const mimic_agent_config *cfg) {
  if ((unsigned)cfg->policy > MIMIC_AGENT_TRANSFORMER)
    return mimic_fail(MIMIC_ERR_INVALID, "unknown policy kind %d", (int)cfg->policy);
  if (cfg->markov_k < 0 || cfg->markov_k > 16)
    return mimic_fail(MIMIC_ERR_INVALID, "markov_k must be in 0..16, got %d", cfg->markov_k);
  if (cfg->prev_k < 0 || cfg->prev_k > 16)
    return mimic_fail(MIMIC_ERR_INVALID, "prev_k must be in 0..16, got %d", cfg->prev_k);
  if (!(cfg->threshold >= 0 && cfg->threshold <= 1))
    return mimic_fail(MIMIC_ERR_INVALID, "threshold must be in [0, 1], got %g", cfg->threshold);
  if (cfg->max_observation < 16 || cfg->max_observation > (64u << 20))
    return mimic_fail(MIMIC_ERR_INVALID, "max_observation must be in 16..64 MiB, got %zu",
                      cfg->max_observation);
  if (cfg->n_threads < 0) return mimic_fail(MIMIC_ERR_INVALID, "n_threads must be >= 0");
  if (cfg->policy == MIMIC_AGENT_LOGREG &&
      (!cfg->features || (cfg->features & ~MIMIC_AGENT_FEAT_ALL)))
    return mimic_fail(MIMIC_ERR_INVALID, "features must be a non-empty set of MIMIC_AGENT_FEAT_*");
  if (cfg->policy == MIMIC_AGENT_LOGREG) {
    MIMIC_TRY(mimic_tfidf_config_check(&cfg->tfidf));
    MIMIC_TRY(mimic_linear_config_check(&cfg->linear));
    if (cfg->forest.n_trees > 0) MIMIC_TRY(mimic_forest_config_check(&cfg->forest));
  }
  if (cfg->policy == MIMIC_AGENT_TRANSFORMER) {
    const mimic_agent_tf_config *t = &cfg->tf;
    if (t->context < 2 || t->context > 4096)
      return mimic_fail(MIMIC_ERR_INVALID, "transformer context must be in 2..4096, got %d",
                        t->context);
    if (t->layers < 1 || t->layers > 32)
      return mimic_fail(MIMIC_ERR_INVALID, "transformer layers must be in 1..32, got %d",
                        t->layers);
    if (t->embd < 4 || t->embd > 1024 || t->heads < 1 || t->embd % t->heads)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "transformer width %d must be in 4..1024 and a multiple of the heads (%d)",
                        t->embd, t->heads);
    if (t->merges < 0 || t->merges > 8192)
      return mimic_fail(MIMIC_ERR_INVALID, "transformer merges must be in 0..8192, got %d",
                        t->merges);
    if (t->segment < 1 || t->segment > (64u << 20))
      return mimic_fail(MIMIC_ERR_INVALID, "transformer segment must be in 1 byte..64 MiB");
    if (t->epochs < 1 || t->batch < 1 || t->batch > 4096)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "transformer epochs must be >= 1 and batch in 1..4096 (got %d, %d)",
                        t->epochs, t->batch);
    if (!(t->lr > 0 && t->lr <= 1))
      return mimic_fail(MIMIC_ERR_INVALID, "transformer lr must be in (0, 1], got %g", t->lr);
  }
  return MIMIC_OK;
}

/* ---- count tables ------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

void agent_count_table_free(agent_count_table *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->rows[i].key);
    free(t->rows[i].counts);
  }
  free(t->rows);
  free(t->slots);
  memset(t, 0, sizeof *t);
}

const agent_count_row *agent_count_find(const agent_count_table *t, const char *key, size_t len) {
  if (!t->n_slots) return NULL;
  size_t mask = t->n_slots - 1;
  for (size_t i = (size_t)hash_bytes(key, len) & mask;; i = (i + 1) & mask) {
    int64_t r = t->slots[i];
    if (r < 0) return NULL;
    const char *k = t->rows[r].key;
    if (strlen(k) == len && !memcmp(k, key, len)) return &t->rows[r];
  }
}

static mimic_status rehash(agent_count_table *t, size_t n_slots) {
  int64_t *s = mimic_malloc(n_slots * sizeof *s, "a count table");
  if (!s) return MIMIC_ERR_NOMEM;
  for (size_t i = 0; i < n_slots; i++) s[i] = -1;
  for (size_t r = 0; r < t->n; r++) {
    size_t i = (size_t)hash_bytes(t->rows[r].key, strlen(t->rows[r].key)) & (n_slots - 1);
    while (s[i] >= 0) i = (i + 1) & (n_slots - 1);
    s[i] = (int64_t)r;
  }
  free(t->slots);
  t->slots = s;
  t->n_slots = n_slots;
  return MIMIC_OK;
}

mimic_status agent_count_add(agent_count_table *t, const char *key, size_t len, int K, int action,
                             double w) {
  agent_count_row *row = (agent_count_row *)agent_count_find(t, key, len);
  if (!row) {
    if (2 * (t->n + 1) > t->n_slots) MIMIC_TRY(rehash(t, t->n_slots ? 2 * t->n_slots : 64));
    if (t->n == t->cap) {
      size_t cap = t->cap ? 2 * t->cap : 64;
      void *p = mimic_realloc(t->rows, cap, sizeof *t->rows, "a count table");
      if (!p) return MIMIC_ERR_NOMEM;
      t->rows = p;
      t->cap = cap;
    }
    row = &t->rows[t->n];
    memset(row, 0, sizeof *row);
    row->key = mimic_malloc(len + 1, "a count key");
    row->counts = mimic_calloc((size_t)K, sizeof *row->counts, "counts");
    if (!row->key || !row->counts) {
      free(row->key);
      free(row->counts);
      return MIMIC_ERR_NOMEM;
    }
    memcpy(row->key, key, len);
    row->key[len] = 0;
    size_t mask = t->n_slots - 1;
    size_t i = (size_t)hash_bytes(key, len) & mask;
    while (t->slots[i] >= 0) i = (i + 1) & mask;
    t->slots[i] = (int64_t)t->n;
    t->n++;
  }
  row->counts[action] += w;
  row->total += w;
  return MIMIC_OK;
}

void agent_count_finish(agent_count_table *t, int K) {
  for (size_t r = 0; r < t->n; r++) {
    agent_count_row *row = &t->rows[r];
    int best = 0;
    for (int k = 1; k < K; k++)
      if (row->counts[k] > row->counts[best]) best = k;
    row->best = best;
  }
}

/* Key parts are separated by the unit separator 0x1F, which text never holds
 * in practice; "step" keys end with "#<n>", Markov keys list actions with the
 * most recent first. */
#define SEP '\x1f'

/* Appends s to the key buffer in scratch; false when it does not fit. */
typedef struct keybuf {
  char *p;
  size_t n, cap;
} keybuf;

static mimic_status kb_add(keybuf *k, const char *s, size_t n) {
  MIMIC_TRY(mimic_grow(&k->p, &k->cap, k->n + n + 2, 1, 256, "a key"));
  memcpy(k->p + k->n, s, n);
  k->n += n;
  k->p[k->n] = 0;
  return MIMIC_OK;
}

static mimic_status kb_intent(keybuf *k, const mimic_agent_state *s) {
  k->n = 0;
  const char *in = s->intent ? s->intent : "";
  return kb_add(k, in, strlen(in));
}

static mimic_status kb_step(keybuf *k, size_t step) {
  char num[32];
  int len = snprintf(num, sizeof num, "%c#%zu", SEP, step);
  return kb_add(k, num, (size_t)len);
}

static mimic_status kb_action(keybuf *k, const mimic_agent_state *s, size_t back) {
  const char *a = back <= s->n_previous && back > 0 ? s->previous[s->n_previous - back] : "^";
  char sep = SEP;
  MIMIC_TRY(kb_add(k, &sep, 1));
  return kb_add(k, a ? a : "", a ? strlen(a) : 0);
}

/* ---- features ----------------------------------------------------------- */

/* The class letter of each byte in a shape (0: not part of a token):
 * X upper, x lower, d digit, u '_', h '-', p '.', a '@', l '/', n non-ASCII. */
static const char shape_class[256] = {
    ['0' ... '9'] = 'd', ['a' ... 'z'] = 'x', ['A' ... 'Z'] = 'X',
    ['_'] = 'u',         ['-'] = 'h',         ['.'] = 'p',
    ['@'] = 'a',         ['/'] = 'l',         [0x80 ... 0xFF] = 'n',
};

mimic_status agent_shape_doc(const char *text, size_t len, char **buf, size_t *cap,
                             size_t *out_len) {
  /* each token becomes "s" + its classes with runs collapsed: X upper, x lower,
   * d digit, u '_', h '-', p '.', a '@', l '/', n non-ASCII; words of one class
   * of letters only ("the", "Hello") are skipped: TF-IDF already has them */
  size_t need = 2 * len + 2;
  if (need > *cap) {
    char *p = realloc(*buf, need);
    if (!p) return mimic_fail_nomem("a shape document");
    *buf = p;
    *cap = need;
  }
  char *o = *buf;
  size_t k = 0, i = 0;
  while (i < len) {
    while (i < len && !shape_class[(unsigned char)text[i]]) i++;
    size_t a = i;
    while (i < len && shape_class[(unsigned char)text[i]]) i++;
    size_t b = i;
    while (b > a && (text[b - 1] == '.' || text[b - 1] == '-' || text[b - 1] == '/')) b--;
    if (b == a) continue;
    size_t start = k;
    o[k++] = 's';
    char last = 0;
    int classes = 0;
    bool letters_only = true;
    for (size_t j = a; j < b && k - start < 24; j++) {
      char cls = shape_class[(unsigned char)text[j]];
      if (cls != 'X' && cls != 'x') letters_only = false;
      if (cls != last) {
        o[k++] = cls;
        classes++;
      }
      last = cls;
    }
    if (letters_only && classes <= 2) { /* a plain word: "the", "Hello" */
      k = start;
      continue;
    }
    o[k++] = ' ';
  }
  o[k] = 0;
  *out_len = k;
  return MIMIC_OK;
}

const char *agent_last_reply(const mimic_agent_state *s) {
  if (!s->previous_content) return "";
  for (size_t i = s->n_previous; i-- > 0;)
    if (!strcmp(s->previous[i], MIMIC_AGENT_REPLY))
      return s->previous_content[i] ? s->previous_content[i] : "";
  return "";
}

size_t agent_obs_len(const char *obs, size_t max) {
  size_t n = strlen(obs);
  if (n <= max) return n;
  n = max;
  while (n > 0 && ((unsigned char)obs[n] & 0xC0) == 0x80) n--; /* not inside a code point */
  return n;
}

/* idx and val grow together (both to the same capacity). */
static mimic_status sc_reserve(mimic_agent_scratch *sc, size_t need) {
  size_t cap_idx = sc->cap, cap_val = sc->cap;
  MIMIC_TRY(mimic_grow(&sc->idx, &cap_idx, need, sizeof *sc->idx, 256, "features"));
  MIMIC_TRY(mimic_grow(&sc->val, &cap_val, need, sizeof *sc->val, 256, "features"));
  sc->cap = cap_val;
  return MIMIC_OK;
}

/* Step-count buckets: 0, 1, 2, 3, 4-5, 6-9, 10-15, 16+. */
static int step_bucket(size_t n) {
  if (n < 4) return (int)n;
  if (n < 6) return 4;
  if (n < 10) return 5;
  if (n < 16) return 6;
  return 7;
}
#define N_BUCKETS 8

static mimic_status add_text(const mimic_tfidf *v, const char *text, size_t len, int64_t off,
                             mimic_agent_scratch *sc, int64_t *nnz) {
  if (v->n_features == 0) return MIMIC_OK; /* no vocabulary (every training text was empty) */
  const int32_t *idx;
  const double *val;
  int64_t k;
  MIMIC_TRY(mimic_tfidf_transform_one(v, text, len, &sc->tf, &idx, &val, &k));
  MIMIC_TRY(sc_reserve(sc, (size_t)(*nnz + k + 64)));
  for (int64_t i = 0; i < k; i++) {
    sc->idx[*nnz + i] = (int32_t)(off + idx[i]);
    sc->val[*nnz + i] = val[i];
  }
  *nnz += k;
  return MIMIC_OK;
}

mimic_status agent_featurize(const mimic_agent_model *m, const mimic_agent_state *s,
                             mimic_agent_scratch *sc, int64_t *nnz_out) {
  const agent_features *f = &m->feat;
  unsigned use = m->cfg.features;
  int K = m->actions.n;
  int64_t nnz = 0;
  const char *obs = s->last_observation ? s->last_observation : "";
  size_t obs_len = agent_obs_len(obs, f->max_observation);
  if (use & MIMIC_AGENT_FEAT_REQUEST) {
    const char *req = s->request ? s->request : "";
    MIMIC_TRY(add_text(&m->vec_request, req, strlen(req), f->off_request, sc, &nnz));
  }
  if (use & MIMIC_AGENT_FEAT_OBSERVATION)
    MIMIC_TRY(add_text(&m->vec_obs, obs, obs_len, f->off_obs, sc, &nnz));
  if (use & MIMIC_AGENT_FEAT_SHAPES) {
    size_t sl;
    MIMIC_TRY(agent_shape_doc(obs, obs_len, &sc->text, &sc->text_cap, &sl));
    MIMIC_TRY(add_text(&m->vec_shape, sc->text, sl, f->off_shape, sc, &nnz));
  }
  if (use & MIMIC_AGENT_FEAT_REPLY) {
    const char *rep = agent_last_reply(s);
    MIMIC_TRY(add_text(&m->vec_reply, rep, agent_obs_len(rep, f->max_observation), f->off_reply, sc,
                       &nnz));
  }
  MIMIC_TRY(sc_reserve(sc, (size_t)nnz + (size_t)f->prev_k + 4 * (size_t)K + 16));
  MIMIC_TRY(mimic_grow(&sc->ids, &sc->ids_cap, s->n_previous, sizeof *sc->ids, 64, "a history"));
  for (size_t i = 0; i < s->n_previous; i++) /* -1: an action the model never saw */
    sc->ids[i] = mimic_labelset_find(&m->actions, s->previous[i]);
  int last = s->n_previous ? sc->ids[s->n_previous - 1] : K; /* K: at the start */
  if (use & MIMIC_AGENT_FEAT_AVAILABLE)
    for (int k = 0; k < K; k++) {
      bool fill, fresh;
      agent_args_available(m, k, s, &fill, &fresh);
      if (fill) {
        sc->idx[nnz] = (int32_t)(f->off_avail + 2 * k);
        sc->val[nnz++] = 1.0;
      }
      if (fresh) {
        sc->idx[nnz] = (int32_t)(f->off_avail + 2 * k + 1);
        sc->val[nnz++] = 1.0;
      }
    }
  if (use & MIMIC_AGENT_FEAT_PREVIOUS) /* the action at position p (1 = last); column K = none */
    for (int p = 1; p <= f->prev_k; p++) {
      int id = (size_t)p <= s->n_previous ? sc->ids[s->n_previous - (size_t)p] : K;
      if (id < 0) continue;
      sc->idx[nnz] = (int32_t)(f->off_prev + (int64_t)(p - 1) * (K + 1) + id);
      sc->val[nnz++] = 1.0;
    }
  if (use & MIMIC_AGENT_FEAT_COUNTS) { /* log(1 + times taken), columns in id order */
    int64_t first = nnz;
    for (size_t i = 0; i < s->n_previous; i++)
      if (sc->ids[i] >= 0 && sc->count[sc->ids[i]]++ == 0) {
        int64_t col = f->off_counts + sc->ids[i], j = nnz;
        while (j > first && sc->idx[j - 1] > col) j--;
        memmove(sc->idx + j + 1, sc->idx + j, (size_t)(nnz - j) * sizeof *sc->idx);
        sc->idx[j] = (int32_t)col;
        nnz++;
      }
    for (int64_t j = first; j < nnz; j++) {
      int id = (int)(sc->idx[j] - f->off_counts);
      sc->val[j] = log1p((double)sc->count[id]);
      sc->count[id] = 0;
    }
  }
  if ((use & MIMIC_AGENT_FEAT_INTENT) && s->intent && *s->intent) {
    int id = mimic_labelset_find(&m->intents, s->intent);
    if (id >= 0) {
      sc->idx[nnz] = (int32_t)(f->off_intent + id);
      sc->val[nnz++] = 1.0;
    }
  }
  if (use & MIMIC_AGENT_FEAT_PROGRESS) {
    /* the step bucket; moves since the agent last replied (0..4+), alone and
     * with the last action */
    sc->idx[nnz] = (int32_t)(f->off_progress + step_bucket(s->n_previous));
    sc->val[nnz++] = 1.0;
    size_t since = 0;
    while (since < s->n_previous &&
           strcmp(s->previous[s->n_previous - 1 - since], MIMIC_AGENT_REPLY))
      since++;
    int b = since > 4 ? 4 : (int)since;
    sc->idx[nnz] = (int32_t)(f->off_progress + N_BUCKETS + b);
    sc->val[nnz++] = 1.0;
    if (last >= 0) {
      sc->idx[nnz] = (int32_t)(f->off_progress + N_BUCKETS + 5 + last * 5 + b);
      sc->val[nnz++] = 1.0;
    }
  }
  *nnz_out = nnz;
  return MIMIC_OK;
}

void agent_layout(mimic_agent_model *m) {
  agent_features *f = &m->feat;
  unsigned use = m->cfg.features;
  int64_t K = m->actions.n;
  f->prev_k = m->cfg.prev_k;
  f->max_observation = m->cfg.max_observation;
  f->off_request = 0;
  f->off_obs = f->off_request + m->vec_request.n_features;
  f->off_shape = f->off_obs + m->vec_obs.n_features;
  f->off_reply = f->off_shape + m->vec_shape.n_features;
  f->off_avail = f->off_reply + m->vec_reply.n_features;
  f->off_prev = f->off_avail + (use & MIMIC_AGENT_FEAT_AVAILABLE ? 2 * K : 0);
  f->off_counts =
      f->off_prev + (use & MIMIC_AGENT_FEAT_PREVIOUS ? (int64_t)f->prev_k * (K + 1) : 0);
  f->off_intent = f->off_counts + (use & MIMIC_AGENT_FEAT_COUNTS ? K : 0);
  f->off_progress = f->off_intent + (use & MIMIC_AGENT_FEAT_INTENT ? m->intents.n : 0);
  f->n_cols = f->off_progress + (use & MIMIC_AGENT_FEAT_PROGRESS ? N_BUCKETS + 5 + 5 * (K + 1) : 0);
}

/* ---- scratch ------------------------------------------------------------ */

mimic_status mimic_agent_scratch_new(const mimic_agent_model *m, mimic_agent_scratch **out) {
  mimic_agent_scratch *s = mimic_calloc(1, sizeof *s, "prediction buffers");
  if (!s) return MIMIC_ERR_NOMEM;
  int K = m->actions.n > 0 ? m->actions.n : 1;
  s->proba = mimic_calloc((size_t)K, sizeof *s->proba, "prediction buffers");
  s->count = mimic_calloc((size_t)K, sizeof *s->count, "prediction buffers");
  s->proba_forest = mimic_calloc((size_t)K, sizeof *s->proba_forest, "prediction buffers");
  size_t n_dense = m->forest.n_trees > 0 ? (size_t)m->feat.n_cols + 1 : 1; /* forest input */
  s->dense = mimic_calloc(n_dense, sizeof *s->dense, "prediction buffers");
  size_t nd = m->n_demos ? m->n_demos : 1;
  s->score = mimic_calloc(nd, sizeof *s->score, "retrieval buffers");
  s->touched = mimic_calloc(nd, sizeof *s->touched, "retrieval buffers");
  if (!s->proba || !s->count || !s->proba_forest || !s->dense || !s->score || !s->touched ||
      sc_reserve(s, 1024) || (m->tf && agent_tf_scratch(m, s))) {
    mimic_agent_scratch_free(s);
    return MIMIC_ERR_NOMEM;
  }
  *out = s;
  return MIMIC_OK;
}

void mimic_agent_scratch_free(mimic_agent_scratch *s) {
  if (!s) return;
  agent_tf_scratch_free(s);
  mimic_tfidf_scratch_free(&s->tf);
  free(s->idx);
  free(s->val);
  free(s->proba);
  free(s->proba_forest);
  free(s->dense);
  free(s->count);
  free(s->ids);
  free(s->score);
  free(s->touched);
  free(s->text);
  free(s);
}

/* ---- fitting ------------------------------------------------------------ */

static mimic_status fit_counts(mimic_agent_model *m, const mimic_agent_example *ex, size_t n,
                               const int32_t *y) {
  int K = m->actions.n;
  keybuf kb = {0};
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < n && !st; i++) {
    const mimic_agent_state *s = &ex[i].state;
    if (m->kind == MIMIC_AGENT_FREQUENCY) {
      /* (intent, step) and the intent's back-off row (intent, all steps) */
      st = kb_intent(&kb, s);
      if (!st) st = agent_count_add(&m->table, kb.p, kb.n, K, y[i], 1);
      if (!st) st = kb_step(&kb, s->n_previous);
      if (!st) st = agent_count_add(&m->table, kb.p, kb.n, K, y[i], 1);
    } else {
      st = kb_intent(&kb, s);
      if (!st) st = agent_count_add(&m->table, kb.p, kb.n, K, y[i], 1);
      for (int b = 1; b <= m->cfg.markov_k && !st; b++) {
        st = kb_action(&kb, s, (size_t)b);
        if (!st) st = agent_count_add(&m->table, kb.p, kb.n, K, y[i], 1);
      }
    }
  }
  free(kb.p);
  if (!st) agent_count_finish(&m->table, K);
  return st;
}

/* Fits a vectorizer; texts without any word leave it empty (no columns). */
static mimic_status fit_vocabulary(mimic_tfidf *v, const char *const *texts, size_t n,
                                   const mimic_tfidf_config *tc) {
  mimic_status st = mimic_tfidf_fit(v, texts, n, tc);
  if (st == MIMIC_ERR_INVALID) { /* empty vocabulary, or every term pruned */
    mimic_errclear();
    memset(v, 0, sizeof *v);
    v->cfg = *tc;
    return MIMIC_OK;
  }
  return st;
}

/* The text of one block for state s (malloc'd): observation and reply cut
 * to max_observation bytes, shapes as their shape document. */
static char *block_text(const mimic_agent_config *cfg, unsigned block, const mimic_agent_state *s) {
  const char *t;
  if (block == MIMIC_AGENT_FEAT_REQUEST)
    t = s->request ? s->request : "";
  else if (block == MIMIC_AGENT_FEAT_REPLY)
    t = agent_last_reply(s);
  else
    t = s->last_observation ? s->last_observation : "";
  size_t len =
      block == MIMIC_AGENT_FEAT_REQUEST ? strlen(t) : agent_obs_len(t, cfg->max_observation);
  if (block == MIMIC_AGENT_FEAT_SHAPES) {
    char *buf = NULL;
    size_t cap = 0, n;
    if (agent_shape_doc(t, len, &buf, &cap, &n)) {
      free(buf);
      return NULL;
    }
    return buf ? buf : mimic_strdup("");
  }
  char *p = mimic_malloc(len + 1, "a text");
  if (p) {
    memcpy(p, t, len);
    p[len] = 0;
  }
  return p;
}

/* Fits the vectorizer of one text block (left empty when the block is off). */
static mimic_status fit_block(mimic_agent_model *m, unsigned block, mimic_tfidf *v,
                              const mimic_agent_example *ex, size_t n) {
  memset(v, 0, sizeof *v);
  v->cfg = m->cfg.tfidf;
  if (!(m->cfg.features & block)) return MIMIC_OK;
  char **texts = mimic_calloc(n, sizeof *texts, "texts");
  if (!texts) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < n && !st; i++)
    if (!(texts[i] = block_text(&m->cfg, block, &ex[i].state))) st = MIMIC_ERR_NOMEM;
  if (!st) {
    mimic_tfidf_config tc = m->cfg.tfidf;
    tc.n_threads = m->cfg.n_threads;
    st = fit_vocabulary(v, (const char *const *)texts, n, &tc);
  }
  for (size_t i = 0; i < n; i++) free(texts[i]);
  free(texts);
  return st;
}

static mimic_status fit_logreg(mimic_agent_model *m, const mimic_agent_example *ex, size_t n,
                               const int32_t *y) {
  mimic_status st = MIMIC_OK;
  const char **intents = mimic_malloc(n * sizeof *intents, "intents");
  mimic_agent_scratch *sc = NULL;
  mimic_csr_builder b = {0};
  mimic_csr X = {0};
  if (!intents) return MIMIC_ERR_NOMEM;
  size_t n_int = 0;
  for (size_t i = 0; i < n; i++)
    if (ex[i].state.intent && *ex[i].state.intent) intents[n_int++] = ex[i].state.intent;
  if (n_int && (m->cfg.features & MIMIC_AGENT_FEAT_INTENT) &&
      (st = mimic_labelset_build(&m->intents, intents, n_int, NULL)))
    goto done;
  if ((st = fit_block(m, MIMIC_AGENT_FEAT_REQUEST, &m->vec_request, ex, n))) goto done;
  if ((st = fit_block(m, MIMIC_AGENT_FEAT_OBSERVATION, &m->vec_obs, ex, n))) goto done;
  if ((st = fit_block(m, MIMIC_AGENT_FEAT_SHAPES, &m->vec_shape, ex, n))) goto done;
  if ((st = fit_block(m, MIMIC_AGENT_FEAT_REPLY, &m->vec_reply, ex, n))) goto done;
  agent_layout(m);
  if ((st = mimic_agent_scratch_new(m, &sc))) goto done;
  if ((st = mimic_csr_builder_init(&b, m->feat.n_cols))) goto done;
  for (size_t i = 0; i < n && !st; i++) {
    int64_t nnz;
    st = agent_featurize(m, &ex[i].state, sc, &nnz);
    for (int64_t j = 0; j < nnz && !st; j++) st = mimic_csr_builder_add(&b, sc->idx[j], sc->val[j]);
    if (!st) st = mimic_csr_builder_end_row(&b);
  }
  if (st) goto done;
  mimic_csr_builder_finish(&b, &X);
  mimic_linear_config lc = m->cfg.linear;
  lc.n_threads = m->cfg.n_threads;
  st = mimic_linear_fit(&m->clf, &X, y, m->actions.n, &lc);
  if (!st && m->cfg.forest.n_trees > 0) {
    mimic_forest_config fc = m->cfg.forest;
    fc.n_threads = m->cfg.n_threads;
    st = mimic_forest_fit(&m->forest, &X, y, m->actions.n, &fc);
  }
done:
  mimic_csr_builder_free(&b);
  mimic_csr_free(&X);
  mimic_agent_scratch_free(sc);
  free(intents);
  return st;
}

mimic_status mimic_agent_fit(const mimic_agent_example *ex, size_t n, const mimic_agent_config *cfg,
                             mimic_agent_model **out) {
  *out = NULL;
  MIMIC_TRY(mimic_agent_config_check(cfg));
  if (n == 0) return mimic_fail(MIMIC_ERR_INVALID, "no examples to fit on");
  for (size_t i = 0; i < n; i++)
    if (!ex[i].action || !*ex[i].action)
      return mimic_fail(MIMIC_ERR_INVALID, "example %zu (%s step %zu) has no action", i,
                        ex[i].trace_id ? ex[i].trace_id : "?", ex[i].step);
  mimic_agent_model *m = mimic_calloc(1, sizeof *m, "an agent model");
  int32_t *y = mimic_malloc(n * sizeof *y, "actions");
  const char **names = mimic_malloc(n * sizeof *names, "actions");
  mimic_status st = MIMIC_OK;
  if (!m || !y || !names) {
    st = MIMIC_ERR_NOMEM;
    goto done;
  }
  m->kind = cfg->policy;
  m->cfg = *cfg;
  m->n_trained = n;
  for (size_t i = 0; i < n; i++) names[i] = ex[i].action;
  if ((st = mimic_labelset_build(&m->actions, names, n, y))) goto done;
  m->reply_id = mimic_labelset_find(&m->actions, MIMIC_AGENT_REPLY);
  st = agent_args_fit(m, ex, n, y);
  if (!st && m->kind == MIMIC_AGENT_LOGREG)
    st = fit_logreg(m, ex, n, y);
  else if (!st && m->kind == MIMIC_AGENT_TRANSFORMER)
    st = agent_tf_fit(m, ex, n, y);
  else if (!st)
    st = fit_counts(m, ex, n, y);
  if (!st && cfg->keep_demos) st = agent_demos_build(m, ex, n);
  if (!st && cfg->keep_demos) st = agent_demos_index(m);
done:
  free(y);
  free(names);
  if (st) {
    mimic_agent_free(m);
    return st;
  }
  *out = m;
  return MIMIC_OK;
}

void mimic_agent_free(mimic_agent_model *m) {
  if (!m) return;
  agent_args_free(m); /* first: it walks the action list */
  agent_demos_free(m);
  agent_tf_free(m);
  mimic_labelset_free(&m->actions);
  mimic_labelset_free(&m->intents);
  agent_count_table_free(&m->table);
  mimic_tfidf_free(&m->vec_request);
  mimic_tfidf_free(&m->vec_obs);
  mimic_tfidf_free(&m->vec_reply);
  mimic_tfidf_free(&m->vec_shape);
  mimic_linear_free(&m->clf);
  mimic_forest_free(&m->forest);
  free(m);
}

/* ---- accessors ---------------------------------------------------------- */

mimic_agent_policy_kind mimic_agent_kind(const mimic_agent_model *m) { return m->kind; }
int mimic_agent_n_actions(const mimic_agent_model *m) { return m->actions.n; }
const char *mimic_agent_action(const mimic_agent_model *m, int k) {
  return k >= 0 && k < m->actions.n ? m->actions.names[k] : NULL;
}
int mimic_agent_action_id(const mimic_agent_model *m, const char *name) {
  return mimic_labelset_find(&m->actions, name);
}
double mimic_agent_threshold(const mimic_agent_model *m) { return m->cfg.threshold; }
size_t mimic_agent_n_demos(const mimic_agent_model *m) { return m->n_demos; }
size_t mimic_agent_n_trained(const mimic_agent_model *m) { return m->n_trained; }

/* ---- prediction --------------------------------------------------------- */

static void from_row(const agent_count_row *row, int K, double *proba,
                     mimic_agent_prediction *out) {
  for (int k = 0; k < K; k++) proba[k] = row->counts[k] / row->total;
  out->action = row->best;
  out->confidence = proba[row->best];
}

static mimic_status predict_counts(const mimic_agent_model *m, const mimic_agent_state *s,
                                   mimic_agent_scratch *sc, mimic_agent_prediction *out) {
  int K = m->actions.n;
  keybuf kb = {sc->text, 0, sc->text_cap};
  const agent_count_row *row = NULL;
  mimic_status st = kb_intent(&kb, s);
  if (!st && m->kind == MIMIC_AGENT_FREQUENCY) {
    const agent_count_row *intent_row = agent_count_find(&m->table, kb.p, kb.n);
    if (intent_row) {
      st = kb_step(&kb, s->n_previous);
      if (!st) row = agent_count_find(&m->table, kb.p, kb.n);
      if (!row) row = intent_row;
    }
  } else if (!st) {
    /* the longest history seen: build the full key, then cut parts off */
    const agent_count_row *intent_row = agent_count_find(&m->table, kb.p, kb.n);
    if (intent_row) {
      size_t cut[17];
      int k = m->cfg.markov_k;
      cut[0] = kb.n;
      for (int b = 1; b <= k && !st; b++) {
        st = kb_action(&kb, s, (size_t)b);
        cut[b] = kb.n;
      }
      for (int b = k; b >= 0 && !st && !row; b--) row = agent_count_find(&m->table, kb.p, cut[b]);
    }
  }
  sc->text = kb.p;
  sc->text_cap = kb.cap;
  if (st) return st;
  if (!row) { /* an intent never seen: nothing to go on */
    for (int k = 0; k < K; k++) sc->proba[k] = 0;
    out->action = -1;
    out->confidence = 0;
  } else {
    from_row(row, K, sc->proba, out);
  }
  out->proba = sc->proba;
  return MIMIC_OK;
}

mimic_status mimic_agent_predict(const mimic_agent_model *m, const mimic_agent_state *s,
                                 mimic_agent_scratch *sc, mimic_agent_prediction *out) {
  int K = m->actions.n;
  if (m->kind == MIMIC_AGENT_TRANSFORMER) {
    MIMIC_TRY(agent_tf_predict(m, s, sc));
  } else if (m->kind != MIMIC_AGENT_LOGREG) {
    return predict_counts(m, s, sc, out);
  } else {
    int64_t nnz;
    MIMIC_TRY(agent_featurize(m, s, sc, &nnz));
    mimic_linear_proba_row(&m->clf, sc->idx, sc->val, nnz, sc->proba);
    if (m->forest.n_trees > 0) { /* the mean of the two models' probabilities */
      mimic_forest_proba_row(&m->forest, sc->idx, sc->val, nnz, sc->dense, sc->proba_forest);
      for (int k = 0; k < K; k++) sc->proba[k] = (sc->proba[k] + sc->proba_forest[k]) / 2;
    }
  }
  int best = 0;
  for (int k = 1; k < K; k++)
    if (sc->proba[k] > sc->proba[best]) best = k;
  out->action = best;
  out->confidence = sc->proba[best];
  out->proba = sc->proba;
  return MIMIC_OK;
}
