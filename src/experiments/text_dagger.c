/* `mimic experiment text-dagger`: how many labels does uncertainty
 * sampling save on a real intent data set (BANKING77, 77 intents)?
 *
 * Part 1 is the exercise as the mission states it: 20 labeled examples, a
 * pool of 50, ask about the 10 items the model is least confident of,
 * retrain, 3 rounds (run on until the pool is used up, so the question "how
 * many rounds to match 50 labels from the start?" has an answer even when
 * 3 are not enough). It is compared with the 20-label model and with a
 * model given 50 labels from the start (the 20 plus 30 random items of the
 * same pool: the same labeling cost without the loop), over 10 seeds.
 * Margin and random querying run beside it for reference.
 *
 * Part 2 is the same at scale: 200 random seed labels, the rest of the
 * training set as the pool, 100 questions per round up to 2,000 labels, for
 * each query rule (least-confident, margin, entropy, random) over 5 seeds:
 * test accuracy against labels, as a table and a chart.
 *
 * Every label comes from the loop itself (mimic_text_dagger_run through
 * the DAgger driver) with a label-file expert holding the training set's
 * gold labels, looked up by row id. Features: in part 1 the vectorizer is
 * fitted on each seed's 70 seed + pool texts (what `mimic text dagger`
 * does); in part 2 seed + pool is the whole training set, so one
 * vectorizer fitted on it (exactly the loop's own) serves every run and
 * the pool's rows are computed once. No label store: nothing here needs
 * to survive a crash, and fsyncing 36,000 answers would only cost time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/plot.h"
#include "experiments/experiments.h"

mimic_text_experiment_config mimic_text_experiment_defaults(void) {
  mimic_text_experiment_config c = {0};
  c.small = c.scale = true;
  c.small_seeds = 10;
  c.small_labeled = 20;
  c.small_pool = 50;
  c.small_batch = 10;
  c.small_rounds = 3;
  c.scale_seeds = 5;
  c.scale_start = 200;
  c.scale_end = 2000;
  c.scale_step = 100;
  return c;
}

/* Everything the runs share: data, gold labels, features, the expert. */
typedef struct shared {
  const mimic_text_experiment_config *cfg;
  mimic_text_data train, test;
  char **ids;         /* train row numbers as strings (the gold file's ids) */
  mimic_labelset all; /* train + test labels */
  int32_t *y_train, *y_test;
  mimic_codec *codec; /* every run's labels pass through it */
  mimic_expert *gold;
  mimic_progress bar;
  long runs_done;
} shared;

static void shared_free(shared *s) {
  mimic_text_strings_free(s->ids, s->train.n);
  mimic_text_data_free(&s->train);
  mimic_text_data_free(&s->test);
  mimic_labelset_free(&s->all);
  free(s->y_train);
  free(s->y_test);
  mimic_expert_free(s->gold);
  mimic_codec_free(s->codec);
}

static mimic_status load(shared *s) {
  const mimic_text_experiment_config *c = s->cfg;
  const char *dir = c->data_dir;
  char *train = mimic_path_join(dir, "train.csv"), *test = mimic_path_join(dir, "test.csv");
  mimic_text_read_opts o = {.need_labels = true, .label_column = c->label_column};
  mimic_status st = train && test ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st) st = mimic_text_read(train, &o, &s->train);
  if (!st) st = mimic_text_read(test, &o, &s->test);
  size_t n = s->train.n, m = s->test.n;
  if (!st) {
    s->ids = mimic_calloc(n, sizeof *s->ids, "ids");
    s->y_train = mimic_malloc(n * sizeof *s->y_train, "labels");
    s->y_test = mimic_malloc(m * sizeof *s->y_test, "labels");
    if (!s->ids || !s->y_train || !s->y_test) st = MIMIC_ERR_NOMEM;
  }
  for (size_t i = 0; !st && i < n; i++)
    if (!(s->ids[i] = mimic_asprintf("%lld", (long long)s->train.row[i]))) st = MIMIC_ERR_NOMEM;
  if (!st) {
    const char **all = mimic_malloc((n + m) * sizeof *all, "labels");
    if (!all) st = MIMIC_ERR_NOMEM;
    for (size_t i = 0; all && i < n + m; i++)
      all[i] = i < n ? s->train.label[i] : s->test.label[i - n];
    if (!st) st = mimic_labelset_build(&s->all, all, n + m, NULL);
    free(all);
  }
  if (!st) st = mimic_labelset_ids(&s->all, (const char *const *)s->train.label, n, s->y_train, 1);
  if (!st) st = mimic_labelset_ids(&s->all, (const char *const *)s->test.label, m, s->y_test, 1);
  if (!st) st = mimic_text_codec(&s->codec);
  if (!st)
    st = mimic_expert_table(s->codec, train, n, (const char *const *)s->ids,
                            (const char *const *)s->train.text, (const char *const *)s->train.label,
                            NULL, &s->gold);
  free(train);
  free(test);
  return st;
}

/* A random split: seed = the first n_seed of a permutation, pool = the next
 * n_pool (0: all the rest), the pool sorted by row so its ids increase. */
static mimic_status split(size_t n, uint64_t seed, size_t n_seed, size_t n_pool, size_t **seed_idx,
                          size_t **pool_idx, size_t *pool_n) {
  uint32_t *perm = mimic_malloc(n * sizeof *perm, "a permutation");
  if (!perm) return MIMIC_ERR_NOMEM;
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  mimic_rng_permutation(&rng, perm, n);
  if (n_pool == 0 || n_seed + n_pool > n) n_pool = n - n_seed;
  *seed_idx = mimic_malloc(n_seed * sizeof **seed_idx, "seed rows");
  bool *in_pool = mimic_calloc(n, sizeof *in_pool, "flags");
  *pool_idx = mimic_malloc(n_pool * sizeof **pool_idx, "pool rows");
  if (!*seed_idx || !in_pool || !*pool_idx) {
    free(perm);
    free(in_pool);
    return MIMIC_ERR_NOMEM;
  }
  for (size_t i = 0; i < n_seed; i++) (*seed_idx)[i] = perm[i];
  for (size_t i = 0; i < n_pool; i++) in_pool[perm[n_seed + i]] = true;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (in_pool[i]) (*pool_idx)[k++] = i;
  *pool_n = k;
  free(perm);
  free(in_pool);
  return MIMIC_OK;
}

/* Fits on rows X with label ids y (of s->all), evaluates on the test rows. */
static mimic_status fit_eval(const shared *s, const mimic_csr *X, const int32_t *y,
                             const mimic_csr *Xt, double *acc, double *f1) {
  int L = s->all.n, K = 0;
  int32_t *map = mimic_malloc((size_t)L * sizeof *map, "classes"),
          *cls = mimic_malloc((size_t)L * sizeof *cls, "classes"),
          *yc = mimic_malloc((size_t)X->n_rows * sizeof *yc, "labels"),
          *pred = mimic_malloc(s->test.n * sizeof *pred, "predictions");
  mimic_linear m = {0};
  mimic_status st = map && cls && yc && pred ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st) {
    for (int k = 0; k < L; k++) map[k] = -1;
    for (int64_t i = 0; i < X->n_rows; i++) map[y[i]] = 0;
    for (int k = 0; k < L; k++)
      if (map[k] == 0) cls[K] = k, map[k] = K++;
    for (int64_t i = 0; i < X->n_rows; i++) yc[i] = map[y[i]];
    mimic_linear_config lc;
    mimic_linear_config_default(&lc);
    lc.n_threads = s->cfg->n_threads;
    st = mimic_linear_fit(&m, X, yc, K, &lc);
  }
  if (!st) st = mimic_linear_predict(&m, Xt, pred, NULL);
  mimic_class_metrics met;
  if (!st) {
    for (size_t i = 0; i < s->test.n; i++) pred[i] = cls[pred[i]];
    st = mimic_metrics_compute(s->y_test, pred, s->test.n, L, &met);
  }
  if (!st) {
    *acc = met.accuracy;
    *f1 = met.macro_f1;
    mimic_metrics_free(&met);
  }
  mimic_linear_free(&m);
  free(map);
  free(cls);
  free(yc);
  free(pred);
  return st;
}

/* One loop run: seed and pool as train rows, features given; the curve's
 * accuracies (and F1s) per round into acc[0..rounds], labels into lab. */
typedef struct run_spec {
  const size_t *seed_idx, *pool_idx;
  size_t n_seed, n_pool;
  const mimic_tfidf *vec;
  const mimic_csr *xs, *xp, *xt;
  const char *rule;
  long batch;
  int rounds;
  uint64_t seed;
} run_spec;

static mimic_status run_loop(shared *s, const run_spec *r, double *acc, double *f1, double *lab) {
  size_t ns = r->n_seed, np = r->n_pool;
  const char **st_ = mimic_malloc(ns * sizeof *st_, "texts"),
             **sl = mimic_malloc(ns * sizeof *sl, "labels");
  const char **pt = mimic_malloc(np * sizeof *pt, "texts"),
             **pid = mimic_malloc(np * sizeof *pid, "ids");
  int64_t *prow = mimic_malloc(np * sizeof *prow, "rows");
  mimic_status st = st_ && sl && pt && pid && prow ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (size_t i = 0; !st && i < ns; i++) {
    st_[i] = s->train.text[r->seed_idx[i]];
    sl[i] = s->train.label[r->seed_idx[i]];
  }
  for (size_t i = 0; !st && i < np; i++) {
    pt[i] = s->train.text[r->pool_idx[i]];
    pid[i] = s->ids[r->pool_idx[i]];
    prow[i] = s->train.row[r->pool_idx[i]];
  }
  mimic_text_dagger_config cfg = mimic_text_dagger_defaults();
  char rule[64];
  snprintf(rule, sizeof rule, "%s:%ld", r->rule, r->batch);
  if (!st) st = mimic_query_parse(rule, &cfg.query);
  cfg.rounds = r->rounds;
  cfg.seed = r->seed;
  cfg.n_guesses = 0;
  cfg.linear.n_threads = s->cfg->n_threads;
  mimic_text_dagger_input in = {.n_pool = np,
                                .pool_text = pt,
                                .pool_id = pid,
                                .pool_row = prow,
                                .pool_name = "train.csv",
                                .n_seed = ns,
                                .seed_text = st_,
                                .seed_label = sl,
                                .seed_name = "train.csv",
                                .n_test = s->test.n,
                                .test_text = (const char *const *)s->test.text,
                                .test_label = (const char *const *)s->test.label,
                                .vec = r->vec,
                                .X_pool = r->xp,
                                .X_seed = r->xs,
                                .X_test = r->xt};
  mimic_text_dagger_result res = {0};
  if (!st) st = mimic_text_dagger_run(&cfg, &in, s->codec, s->gold, NULL, &res);
  if (!st && res.n_rows != r->rounds + 1)
    st = mimic_fail(MIMIC_ERR_INVALID, "the loop ran %d rounds of %d", res.n_rows - 1, r->rounds);
  for (int k = 0; !st && k < res.n_rows; k++) {
    acc[k] = res.rows[k].metrics[0];
    f1[k] = res.rows[k].metrics[1];
    lab[k] = (double)res.rows[k].dataset_size;
  }
  mimic_text_dagger_result_free(&res);
  free(st_);
  free(sl);
  free(pt);
  free(pid);
  free(prow);
  s->runs_done++;
  mimic_progress_update(&s->bar, (uint64_t)s->runs_done);
  return st;
}

/* Mean, std (n-1), min and max over seeds of per-round values v[seed][round]. */
static void summarize(mimic_text_curve *c, const char *rule, const double *acc, const double *f1,
                      const double *lab, int seeds, int points) {
  memset(c, 0, sizeof *c);
  snprintf(c->rule, sizeof c->rule, "%s", rule);
  c->n = points;
  for (int k = 0; k < points; k++) {
    double sum = 0, sq = 0, fs = 0, lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < seeds; s++) {
      double a = acc[s * points + k];
      sum += a;
      fs += f1[s * points + k];
      lo = fmin(lo, a);
      hi = fmax(hi, a);
    }
    double mean = sum / seeds;
    for (int s = 0; s < seeds; s++)
      sq += (acc[s * points + k] - mean) * (acc[s * points + k] - mean);
    c->labels[k] = lab[k];
    c->acc[k] = mean;
    c->acc_std[k] = seeds > 1 ? sqrt(sq / (seeds - 1)) : 0;
    c->acc_min[k] = lo;
    c->acc_max[k] = hi;
    c->f1[k] = fs / seeds;
  }
}

static double mean_std(const double *v, int n, double *std) {
  double m = 0, q = 0;
  for (int i = 0; i < n; i++) m += v[i];
  m /= n;
  for (int i = 0; i < n; i++) q += (v[i] - m) * (v[i] - m);
  *std = n > 1 ? sqrt(q / (n - 1)) : 0;
  return m;
}

static const char *const small_rules[] = {"least-confident", "margin", "random"};
static const char *const scale_rules[] = {"least-confident", "margin", "entropy", "random"};

static mimic_status part_small(shared *s, mimic_text_experiment_result *out) {
  const mimic_text_experiment_config *c = s->cfg;
  const int S = c->small_seeds, R = c->small_pool / c->small_batch, P = R + 1, NR = 3;
  out->small_rounds_run = R;
  out->start_labels = c->small_labeled + c->small_rounds * c->small_batch;
  double *acc = mimic_calloc((size_t)NR * S * P, sizeof *acc, "results"),
         *f1 = mimic_calloc((size_t)NR * S * P, sizeof *f1, "results"),
         *lab = mimic_calloc((size_t)P, sizeof *lab, "results");
  double *b_acc = mimic_calloc((size_t)S * 3, sizeof *b_acc, "results");
  double *b_f1 = mimic_calloc((size_t)S * 3, sizeof *b_f1, "results");
  if (!acc || !f1 || !lab || !b_acc || !b_f1) {
    free(acc), free(f1), free(lab), free(b_acc), free(b_f1);
    return MIMIC_ERR_NOMEM;
  }
  mimic_status st = MIMIC_OK;
  double t0 = mimic_now();
  for (int sd = 0; sd < S && !st; sd++) {
    size_t *si = NULL, *pi = NULL, np = 0, ns = (size_t)c->small_labeled;
    mimic_tfidf vec = {0};
    mimic_csr xs = {0}, xp = {0}, xt = {0}, xb = {0}, xa = {0};
    uint64_t seed = c->seed + (uint64_t)sd;
    st = split(s->train.n, seed, ns, (size_t)c->small_pool, &si, &pi, &np);
    const char **docs = st ? NULL : mimic_malloc((ns + np) * sizeof *docs, "texts");
    if (!st && !docs) st = MIMIC_ERR_NOMEM;
    if (!st) { /* the vectorizer the loop would fit: seed + pool texts */
      for (size_t i = 0; i < ns; i++) docs[i] = s->train.text[si[i]];
      for (size_t i = 0; i < np; i++) docs[ns + i] = s->train.text[pi[i]];
      mimic_tfidf_config tc;
      mimic_tfidf_config_default(&tc);
      st = mimic_tfidf_fit(&vec, docs, ns + np, &tc);
    }
    if (!st) st = mimic_tfidf_transform(&vec, docs, ns, &xs);
    if (!st) st = mimic_tfidf_transform(&vec, docs + ns, np, &xp);
    if (!st) st = mimic_tfidf_transform(&vec, (const char *const *)s->test.text, s->test.n, &xt);
    free(docs);
    for (int r = 0; r < NR && !st; r++) {
      run_spec rs = {si, pi, ns, np, &vec, &xs, &xp, &xt, small_rules[r], c->small_batch, R, seed};
      size_t o = ((size_t)r * S + sd) * P;
      st = run_loop(s, &rs, acc + o, f1 + o, lab);
    }
    /* baselines: the seed plus 30 random pool items from the start; the whole pool */
    size_t extra = (size_t)(out->start_labels - c->small_labeled);
    if (extra > np) extra = np;
    size_t *rows = st ? NULL : mimic_malloc((ns + np) * sizeof *rows, "rows");
    int32_t *y = st ? NULL : mimic_malloc((ns + np) * sizeof *y, "labels");
    if (!st && (!rows || !y)) st = MIMIC_ERR_NOMEM;
    if (!st) {
      uint32_t *perm = mimic_malloc(np * sizeof *perm, "a permutation");
      if (!perm) st = MIMIC_ERR_NOMEM;
      mimic_rng rng;
      mimic_rng_seed(&rng, seed + 7777);
      if (perm) mimic_rng_permutation(&rng, perm, np);
      for (size_t i = 0; perm && i < ns + np; i++) {
        rows[i] = i < ns ? i : ns + perm[i - ns]; /* rows of [xs; xp] */
        y[i] = s->y_train[i < ns ? si[i] : pi[perm[i - ns]]];
      }
      free(perm);
      const mimic_csr *parts[2] = {&xs, &xp};
      if (!st) st = mimic_csr_vstack(parts, 2, &xa);
      const size_t counts[3] = {ns, ns + extra, ns + np};
      for (int b = 0; b < 3 && !st; b++) {
        st = mimic_csr_select_rows(&xa, rows, counts[b], &xb);
        if (!st) st = fit_eval(s, &xb, y, &xt, &b_acc[b * S + sd], &b_f1[b * S + sd]);
        mimic_csr_free(&xb);
      }
    }
    free(rows);
    free(y);
    free(si);
    free(pi);
    mimic_tfidf_free(&vec);
    mimic_csr_free(&xs);
    mimic_csr_free(&xp);
    mimic_csr_free(&xt);
    mimic_csr_free(&xa);
  }
  if (!st) {
    for (int r = 0; r < NR; r++)
      summarize(&out->small[r], small_rules[r], acc + (size_t)r * S * P, f1 + (size_t)r * S * P,
                lab, S, P);
    out->n_small = NR;
    double sd_;
    out->seed_acc = mean_std(b_acc, S, &out->seed_acc_std);
    out->seed_f1 = mean_std(b_f1, S, &sd_);
    out->start50_acc = mean_std(b_acc + S, S, &out->start50_acc_std);
    out->start50_f1 = mean_std(b_f1 + S, S, &sd_);
    out->pool_acc = mean_std(b_acc + 2 * S, S, &out->pool_acc_std);
    out->match_round = -1;
    for (int k = 1; k < P && out->match_round < 0; k++)
      if (out->small[0].acc[k] >= out->start50_acc) out->match_round = k;
    memset(out->match_per_seed, 0, sizeof out->match_per_seed);
    out->never_match = 0;
    for (int sd = 0; sd < S; sd++) { /* least-confident (the exercise) per seed */
      int k = 1;
      while (k < P && acc[(size_t)sd * P + k] < b_acc[S + sd]) k++;
      if (k < P)
        out->match_per_seed[k]++;
      else
        out->never_match++;
    }
  }
  out->seconds_small = mimic_now() - t0;
  free(acc), free(f1), free(lab), free(b_acc), free(b_f1);
  return st;
}

static mimic_status part_scale(shared *s, mimic_text_experiment_result *out) {
  const mimic_text_experiment_config *c = s->cfg;
  const int S = c->scale_seeds, NR = 4;
  const int R = (int)((c->scale_end - c->scale_start) / c->scale_step), P = R + 1;
  if (P > MIMIC_TEXT_EXP_MAX_POINTS)
    return mimic_fail(MIMIC_ERR_INVALID, "at most %d points per curve", MIMIC_TEXT_EXP_MAX_POINTS);
  double t0 = mimic_now();
  mimic_tfidf vec = {0};
  mimic_csr xtrain = {0}, xt = {0};
  mimic_tfidf_config tc;
  mimic_tfidf_config_default(&tc);
  mimic_status st =
      mimic_tfidf_fit_transform(&vec, (const char *const *)s->train.text, s->train.n, &tc, &xtrain);
  if (!st) st = mimic_tfidf_transform(&vec, (const char *const *)s->test.text, s->test.n, &xt);
  double *acc = mimic_calloc((size_t)NR * S * P, sizeof *acc, "results"),
         *f1 = mimic_calloc((size_t)NR * S * P, sizeof *f1, "results"),
         *lab = mimic_calloc((size_t)P, sizeof *lab, "results");
  if (!st && (!acc || !f1 || !lab)) st = MIMIC_ERR_NOMEM;
  for (int sd = 0; sd < S && !st; sd++) {
    size_t *si = NULL, *pi = NULL, np = 0, ns = (size_t)c->scale_start;
    mimic_csr xs = {0}, xp = {0};
    uint64_t seed = c->seed + 1000 + (uint64_t)sd;
    st = split(s->train.n, seed, ns, 0, &si, &pi, &np);
    if (!st) st = mimic_csr_select_rows(&xtrain, si, ns, &xs);
    if (!st) st = mimic_csr_select_rows(&xtrain, pi, np, &xp);
    for (int r = 0; r < NR && !st; r++) {
      run_spec rs = {si, pi, ns, np, &vec, &xs, &xp, &xt, scale_rules[r], c->scale_step, R, seed};
      size_t o = ((size_t)r * S + sd) * P;
      mimic_progress_note(&s->bar, "%s, seed %d of %d", scale_rules[r], sd + 1, S);
      st = run_loop(s, &rs, acc + o, f1 + o, lab);
    }
    free(si);
    free(pi);
    mimic_csr_free(&xs);
    mimic_csr_free(&xp);
  }
  if (!st) {
    for (int r = 0; r < NR; r++)
      summarize(&out->scale[r], scale_rules[r], acc + (size_t)r * S * P, f1 + (size_t)r * S * P,
                lab, S, P);
    out->n_scale = NR;
  }
  out->seconds_scale = mimic_now() - t0;
  free(acc), free(f1), free(lab);
  mimic_tfidf_free(&vec);
  mimic_csr_free(&xtrain);
  mimic_csr_free(&xt);
  return st;
}

mimic_status mimic_experiment_text_dagger(const mimic_text_experiment_config *cfg,
                                          mimic_text_experiment_result *out) {
  memset(out, 0, sizeof *out);
  const mimic_text_experiment_config *c = cfg;
  if (!c->data_dir) return mimic_fail(MIMIC_ERR_INVALID, "no data folder");
  if (c->small && (c->small_seeds < 1 || c->small_labeled < 1 || c->small_batch < 1 ||
                   c->small_pool < c->small_batch || c->small_rounds < 1 ||
                   c->small_rounds * c->small_batch > c->small_pool ||
                   c->small_pool / c->small_batch + 1 > MIMIC_TEXT_EXP_MAX_POINTS))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "part 1 needs seeds, labels, batch >= 1 and rounds * "
                      "batch <= pool (at most %d rounds)",
                      MIMIC_TEXT_EXP_MAX_POINTS - 1);
  if (c->scale && (c->scale_seeds < 1 || c->scale_start < 1 || c->scale_step < 1 ||
                   c->scale_end <= c->scale_start))
    return mimic_fail(MIMIC_ERR_INVALID, "part 2 needs seeds >= 1 and start < end by step >= 1");
  shared s = {.cfg = c};
  mimic_status st = load(&s);
  if (!st && c->scale && (size_t)c->scale_end > s.train.n)
    st = mimic_fail(MIMIC_ERR_INVALID, "part 2 wants %ld labels; the training set has %zu",
                    c->scale_end, s.train.n);
  if (!st) {
    out->n_train = (int)s.train.n;
    out->n_test = (int)s.test.n;
    out->n_classes = s.all.n;
    long runs = (c->small ? 3L * c->small_seeds : 0) + (c->scale ? 4L * c->scale_seeds : 0);
    mimic_progress_begin(&s.bar, "text-dagger", "run", (uint64_t)runs);
    if (!c->progress) s.bar.active = false;
    mimic_log_level level = mimic_log_get_level();
    if (level < MIMIC_LOG_WARN && !c->progress) mimic_log_set_level(MIMIC_LOG_WARN);
    if (c->small) {
      mimic_progress_note(&s.bar, "part 1: %d labels + pool of %d", c->small_labeled,
                          c->small_pool);
      st = part_small(&s, out);
    }
    if (!st && c->scale) st = part_scale(&s, out);
    mimic_progress_end(&s.bar);
    mimic_log_set_level(level);
  }
  shared_free(&s);
  return st;
}

/* "<stem>-small<ext>" next to path. */
static char *small_path(const char *path) {
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return mimic_asprintf("%s-small", path);
  return mimic_asprintf("%.*s-small%s", (int)(dot - path), path, dot);
}

static mimic_status draw(const mimic_text_curve *curves, int n, const char *title,
                         const double *hline, const char *const *hname, int n_h, const char *path) {
  mimic_plot *p = mimic_plot_new(title, "labels (seed + expert answers)", "test accuracy");
  if (!p) return mimic_fail_nomem("a chart");
  mimic_status st = MIMIC_OK;
  for (int r = 0; r < n && !st; r++) {
    const mimic_text_curve *c = &curves[r];
    double lo[MIMIC_TEXT_EXP_MAX_POINTS], hi[MIMIC_TEXT_EXP_MAX_POINTS];
    for (int k = 0; k < c->n; k++) {
      lo[k] = c->acc[k] - c->acc_std[k];
      hi[k] = c->acc[k] + c->acc_std[k];
    }
    st = mimic_plot_line(p, c->rule, c->labels, c->acc, c->n, true);
    if (!st) st = mimic_plot_band(p, c->labels, lo, hi, c->n);
  }
  for (int h = 0; h < n_h && !st; h++) st = mimic_plot_hline(p, hname[h], hline[h]);
  if (!st) st = mimic_plot_save(p, path);
  mimic_plot_free(p);
  return st;
}

mimic_status mimic_text_experiment_plot(const mimic_text_experiment_result *r, const char *path) {
  if (r->n_scale > 0)
    MIMIC_TRY(draw(r->scale, r->n_scale, "BANKING77: uncertainty sampling at scale (mean +- std)",
                   NULL, NULL, 0, path));
  if (r->n_small > 0) {
    char *sp = r->n_scale > 0 ? small_path(path) : mimic_strdup(path);
    if (!sp) return MIMIC_ERR_NOMEM;
    char name[64];
    snprintf(name, sizeof name, "%d labels from the start", r->start_labels);
    const double h[2] = {r->start50_acc, r->seed_acc};
    const char *const hn[2] = {name, "seed only"};
    mimic_status st = draw(r->small, r->n_small,
                           "BANKING77: 20 seed labels, a pool of 50 (mean +- std)", h, hn, 2, sp);
    free(sp);
    return st;
  }
  return MIMIC_OK;
}
