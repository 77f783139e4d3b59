/* bench/text_uncertainty: do LIBLINEAR's one-vs-rest probabilities rank
 * uncertainty worse than a softmax model's? Measured on BANKING77.
 *
 * 1. Calibration and ranking on the test set, for models fitted on all
 *    10,003 training texts and on random subsets of 500 and 1,000 (the
 *    regime an active-learning loop lives in; 3 seeds): accuracy, log loss,
 *    Brier score, expected calibration error (15 bins), the AUC of each
 *    uncertainty score (max probability, margin, entropy) for telling right
 *    answers from wrong ones, and the accuracy of the 10% most and least
 *    confident answers.
 * 2. Pool-based uncertainty sampling, the use that matters: start from 100
 *    random labels, add 100 per round chosen by least-confidence, margin,
 *    entropy or at random, up to 1,000 labels; test accuracy after every
 *    round and its mean over the curve (3 seeds). TF-IDF is fitted once on
 *    the pool's texts (no labels involved); each model sees only the
 *    classes labeled so far (unseen test classes count as errors).
 *
 *   bench/text_uncertainty [--seeds N] [--data DIR]
 *
 * Prints one JSON object on stdout (progress on stderr). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"

#define BENCH_NAME "text_uncertainty"
#include "bench_util.h"

typedef struct calib {
  double acc, nll, brier, ece, auc_conf, auc_margin, auc_entropy, acc_top10, acc_bottom10;
} calib;

/* proba [n x K] over model classes; y[i] = model class of item i, or -1 if unseen. */
static calib measure(const double *proba, const int32_t *y, size_t n, int K) {
  calib c = {0};
  double *conf = malloc(n * sizeof *conf), *mar = malloc(n * sizeof *mar),
         *ent = malloc(n * sizeof *ent);
  bool *ok = malloc(n * sizeof *ok);
  double bin_acc[15] = {0}, bin_conf[15] = {0};
  int bin_n[15] = {0};
  for (size_t i = 0; i < n; i++) {
    const double *p = proba + i * (size_t)K;
    int best = 0;
    for (int k = 1; k < K; k++)
      if (p[k] > p[best]) best = k;
    double second = 0, h = 0, br = 0;
    for (int k = 0; k < K; k++) {
      if (k != best && p[k] > second) second = p[k];
      if (p[k] > 0) h -= p[k] * log(p[k]);
      double t = (k == y[i]) ? 1.0 : 0.0;
      br += (p[k] - t) * (p[k] - t);
    }
    if (y[i] < 0) br += 1.0; /* the true class has probability 0 */
    ok[i] = best == y[i];
    conf[i] = p[best];
    mar[i] = p[best] - second;
    ent[i] = -h;
    c.acc += ok[i];
    c.nll += -log(y[i] >= 0 && p[y[i]] > 1e-300 ? p[y[i]] : 1e-300);
    c.brier += br;
    int b = (int)(p[best] * 15);
    if (b > 14) b = 14;
    bin_n[b]++;
    bin_acc[b] += ok[i];
    bin_conf[b] += p[best];
  }
  c.acc /= (double)n;
  c.nll /= (double)n;
  c.brier /= (double)n;
  for (int b = 0; b < 15; b++)
    if (bin_n[b]) c.ece += fabs(bin_acc[b] - bin_conf[b]) / (double)n;
  c.auc_conf = mimic_auc(conf, ok, n);
  c.auc_margin = mimic_auc(mar, ok, n);
  c.auc_entropy = mimic_auc(ent, ok, n);
  /* accuracy of the most and least confident tenth */
  double *sorted = malloc(n * sizeof *sorted);
  memcpy(sorted, conf, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_double);
  double lo = sorted[n / 10], hi = sorted[n - 1 - n / 10];
  double top = 0, bot = 0;
  int nt = 0, nb = 0;
  for (size_t i = 0; i < n; i++) {
    if (conf[i] >= hi) top += ok[i], nt++;
    if (conf[i] <= lo) bot += ok[i], nb++;
  }
  c.acc_top10 = nt ? top / nt : NAN;
  c.acc_bottom10 = nb ? bot / nb : NAN;
  free(sorted);
  free(conf);
  free(mar);
  free(ent);
  free(ok);
  return c;
}

typedef struct data {
  mimic_text_data tr, te;
  mimic_csr Xtr, Xte;
  mimic_labelset all; /* the 77 classes */
  int32_t *ytr, *yte; /* global ids */
} data;

/* Fits kind on the rows `rows` of the training matrix; returns test calibration and
 * (if pool_proba) probabilities over the whole pool, with the model's class list. */
static calib fit_eval(const data *D, const size_t *rows, size_t nr, mimic_linear_kind kind,
                      double *acc_out, double **pool_proba, mimic_labelset *cls) {
  mimic_csr X;
  if (mimic_csr_select_rows(&D->Xtr, rows, nr, &X)) die("select");
  const char **lab = malloc(nr * sizeof *lab);
  for (size_t i = 0; i < nr; i++) lab[i] = D->tr.label[rows[i]];
  int32_t *y = malloc(nr * sizeof *y);
  if (mimic_labelset_build(cls, lab, nr, y)) die("labels");
  mimic_linear_config cfg;
  mimic_linear_config_default(&cfg);
  cfg.kind = kind;
  mimic_linear m;
  if (mimic_linear_fit(&m, &X, y, cls->n, &cfg)) die("fit");
  int K = cls->n;
  double *p = malloc(D->te.n * (size_t)K * sizeof *p);
  if (mimic_linear_proba(&m, &D->Xte, p)) die("proba");
  int32_t *yt = malloc(D->te.n * sizeof *yt);
  for (size_t i = 0; i < D->te.n; i++) yt[i] = mimic_labelset_find(cls, D->te.label[i]);
  calib c = measure(p, yt, D->te.n, K);
  if (acc_out) *acc_out = c.acc;
  if (pool_proba) {
    *pool_proba = malloc(D->tr.n * (size_t)K * sizeof **pool_proba);
    if (mimic_linear_proba(&m, &D->Xtr, *pool_proba)) die("proba");
  }
  free(p);
  free(yt);
  free(y);
  free(lab);
  mimic_linear_free(&m);
  mimic_csr_free(&X);
  return c;
}

static void print_calib(const char *name, const calib *c, bool comma) {
  printf("\"%s\":{\"accuracy\":%.4f,\"log_loss\":%.4f,\"brier\":%.4f,\"ece\":%.4f,"
         "\"auc_max_prob\":%.4f,\"auc_margin\":%.4f,\"auc_neg_entropy\":%.4f,"
         "\"acc_most_confident_10pct\":%.4f,\"acc_least_confident_10pct\":%.4f}%s",
         name, c->acc, c->nll, c->brier, c->ece, c->auc_conf, c->auc_margin, c->auc_entropy,
         c->acc_top10, c->acc_bottom10, comma ? "," : "");
}

static void add_calib(calib *a, const calib *b, double w) {
  a->acc += w * b->acc;
  a->nll += w * b->nll;
  a->brier += w * b->brier;
  a->ece += w * b->ece;
  a->auc_conf += w * b->auc_conf;
  a->auc_margin += w * b->auc_margin;
  a->auc_entropy += w * b->auc_entropy;
  a->acc_top10 += w * b->acc_top10;
  a->acc_bottom10 += w * b->acc_bottom10;
}

int main(int argc, char **argv) {
  int seeds = 3;
  char dbuf[4096];
  const char *dir = bench_data_dir(dbuf, sizeof dbuf);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
      seeds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--data") && i + 1 < argc)
      dir = argv[++i];
    else {
      fprintf(stderr, "usage: bench/text_uncertainty [--seeds N] [--data DIR]\n");
      return 2;
    }
  }
  mimic_log_set_level(MIMIC_LOG_WARN);
  data D;
  memset(&D, 0, sizeof D);
  char p1[4200], p2[4200];
  snprintf(p1, sizeof p1, "%s/text-agents/banking77/train.csv", dir);
  snprintf(p2, sizeof p2, "%s/text-agents/banking77/test.csv", dir);
  mimic_text_read_opts o = {.need_labels = true};
  if (mimic_text_read(p1, &o, &D.tr) || mimic_text_read(p2, &o, &D.te)) die("read");
  mimic_tfidf_config tc;
  mimic_tfidf_config_default(&tc);
  mimic_tfidf v;
  if (mimic_tfidf_fit_transform(&v, (const char *const *)D.tr.text, D.tr.n, &tc, &D.Xtr))
    die("tf-idf");
  if (mimic_tfidf_transform(&v, (const char *const *)D.te.text, D.te.n, &D.Xte)) die("tf-idf");
  size_t N = D.tr.n;
  size_t *all = malloc(N * sizeof *all);
  for (size_t i = 0; i < N; i++) all[i] = i;
  const char *kinds[2] = {"ovr", "softmax"};

  printf("{\"bench\":\"text_uncertainty\",\"dataset\":\"banking77\",\"seeds\":%d,", seeds);
  /* 1. calibration and ranking */
  printf("\"calibration\":{");
  size_t sizes[3] = {500, 1000, N};
  for (int si = 0; si < 3; si++) {
    printf("\"n_train_%zu\":{", sizes[si]);
    for (int kind = 0; kind < 2; kind++) {
      calib avg = {0};
      int reps = sizes[si] == N ? 1 : seeds;
      for (int s = 0; s < reps; s++) {
        size_t *rows = all;
        uint32_t *perm = NULL;
        if (sizes[si] < N) {
          mimic_rng rng;
          mimic_rng_seed(&rng, 1000 + (uint64_t)s);
          perm = malloc(N * sizeof *perm);
          mimic_rng_permutation(&rng, perm, N);
          rows = malloc(sizes[si] * sizeof *rows);
          for (size_t i = 0; i < sizes[si]; i++) rows[i] = perm[i];
        }
        mimic_labelset cls;
        calib c = fit_eval(&D, rows, sizes[si], (mimic_linear_kind)kind, NULL, NULL, &cls);
        mimic_labelset_free(&cls);
        add_calib(&avg, &c, 1.0 / reps);
        if (rows != all) free(rows);
        free(perm);
      }
      print_calib(kinds[kind], &avg, kind == 0);
      fprintf(stderr, "calibration n=%zu %s: acc %.4f auc %.4f\n", sizes[si], kinds[kind], avg.acc,
              avg.auc_conf);
    }
    printf("}%s", si < 2 ? "," : "");
  }
  printf("},");

  /* 2. uncertainty sampling */
  const mimic_query_kind rules[4] = {MIMIC_QUERY_LEAST_CONFIDENT, MIMIC_QUERY_MARGIN,
                                     MIMIC_QUERY_ENTROPY, MIMIC_QUERY_RANDOM};
  const char *rule_names[4] = {"least-confident", "margin", "entropy", "random"};
  enum { START = 100, STEP = 100, STOP = 1000, POINTS = (STOP - START) / STEP + 1 };
  printf("\"active_learning\":{\"start\":%d,\"step\":%d,\"stop\":%d,\"labels\":[", START, STEP,
         STOP);
  for (int q = 0; q < POINTS; q++) printf("%d%s", START + q * STEP, q < POINTS - 1 ? "," : "],");
  for (int kind = 0; kind < 2; kind++) {
    printf("\"%s\":{", kinds[kind]);
    for (int r = 0; r < 4; r++) {
      double curve[POINTS] = {0};
      for (int s = 0; s < seeds; s++) {
        mimic_rng rng;
        mimic_rng_seed(&rng, 2000 + (uint64_t)s);
        uint32_t *perm = malloc(N * sizeof *perm);
        mimic_rng_permutation(&rng, perm, N);
        size_t *lab = malloc(STOP * sizeof *lab), nl = START;
        bool *in = calloc(N, sizeof *in);
        for (size_t i = 0; i < START; i++) {
          lab[i] = perm[i];
          in[perm[i]] = true;
        }
        for (int q = 0; q < POINTS; q++) {
          double *pool = NULL, acc;
          mimic_labelset cls;
          fit_eval(&D, lab, nl, (mimic_linear_kind)kind, &acc, q < POINTS - 1 ? &pool : NULL, &cls);
          curve[q] += acc / seeds;
          if (q < POINTS - 1) {
            mimic_query_rule rule = {.kind = rules[r], .k = STEP};
            size_t *pick = malloc(N * sizeof *pick);
            double *sc = malloc(N * sizeof *sc);
            if (mimic_query_scores(rule.kind, pool, NULL, N, cls.n, sc)) die("query");
            size_t np = mimic_query_select(&rule, sc, in, N, &rng, pick);
            free(sc);
            for (size_t j = 0; j < np; j++) {
              lab[nl++] = pick[j];
              in[pick[j]] = true;
            }
            free(pick);
          }
          free(pool);
          mimic_labelset_free(&cls);
        }
        free(perm);
        free(lab);
        free(in);
      }
      double mean = 0;
      for (int q = 0; q < POINTS; q++) mean += curve[q] / POINTS;
      fprintf(stderr, "active learning %s %s: final %.4f mean %.4f\n", kinds[kind], rule_names[r],
              curve[POINTS - 1], mean);
      printf("\"%s\":{\"accuracy\":[", rule_names[r]);
      for (int q = 0; q < POINTS; q++) printf("%.4f%s", curve[q], q < POINTS - 1 ? "," : "");
      printf("],\"final\":%.4f,\"mean_over_curve\":%.4f}%s", curve[POINTS - 1], mean,
             r < 3 ? "," : "");
    }
    printf("}%s", kind == 0 ? "," : "");
  }
  printf("}}\n");
  free(all);
  mimic_csr_free(&D.Xtr);
  mimic_csr_free(&D.Xte);
  mimic_tfidf_free(&v);
  mimic_text_data_free(&D.tr);
  mimic_text_data_free(&D.te);
  return 0;
}
