/* bench/text: TF-IDF + logistic regression on BANKING77, end to end.
 *
 * Times vectorize (fit_transform on 10,003 training texts + transform of
 * 3,080 test texts), fit and predict (probabilities + argmax on the test
 * set) for both models (softmax = mimic's L-BFGS, ovr = LIBLINEAR), with all
 * cores and with one thread, and reports medians over several runs plus
 * test accuracy and macro-F1 (cpu_s: CPU seconds of all threads for the
 * whole pipeline; well below threads x total_s means other processes held
 * the cores). Reference: scikit-learn's default pipeline,
 * TfidfVectorizer() + LogisticRegression(C=10), 0.901 accuracy in 5 to 13 s
 * on this machine (issue 7).
 *
 *   bench/text [--runs N] [--threads N] [--data DIR]
 *
 * Prints one JSON object on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"

#define BENCH_NAME "text"
#include "bench_util.h"
#include "text/linear_impl.h"

typedef struct result {
  double vec, fit, pred, total, cpu, acc, f1;
  int iters;
} result;

static result run(const mimic_text_data *tr, const mimic_text_data *te, mimic_linear_kind kind,
                  int threads, int runs, int64_t *n_features) {
  double *vec = calloc((size_t)runs, sizeof(double)), *fit = calloc((size_t)runs, sizeof(double)),
         *pred = calloc((size_t)runs, sizeof(double)), *tot = calloc((size_t)runs, sizeof(double)),
         *cpu = calloc((size_t)runs, sizeof(double));
  result r = {0};
  for (int k = 0; k < runs; k++) {
    mimic_tfidf_config tc;
    mimic_tfidf_config_default(&tc);
    tc.n_threads = threads;
    mimic_linear_config lc;
    mimic_linear_config_default(&lc);
    lc.kind = kind;
    lc.n_threads = threads;
    mimic_tfidf v;
    mimic_csr Xtr, Xte;
    mimic_labelset ls;
    int32_t *ytr = malloc(tr->n * sizeof *ytr), *yte = malloc(te->n * sizeof *yte),
            *yp = malloc(te->n * sizeof *yp);
    double c0 = process_cpu_now(), t0 = mimic_now();
    if (mimic_tfidf_fit_transform(&v, (const char *const *)tr->text, tr->n, &tc, &Xtr))
      die("tf-idf");
    if (mimic_tfidf_transform(&v, (const char *const *)te->text, te->n, &Xte)) die("tf-idf");
    double t1 = mimic_now();
    if (mimic_labelset_build(&ls, (const char *const *)tr->label, tr->n, ytr)) die("labels");
    mimic_linear m;
    if (mimic_linear_fit(&m, &Xtr, ytr, ls.n, &lc)) die("fit");
    double t2 = mimic_now();
    if (mimic_linear_predict(&m, &Xte, yp, NULL)) die("predict");
    double t3 = mimic_now(), c3 = process_cpu_now();
    if (mimic_labelset_ids(&ls, (const char *const *)te->label, te->n, yte, 1)) die("test labels");
    mimic_class_metrics cm;
    if (mimic_metrics_compute(yte, yp, te->n, ls.n, &cm)) die("metrics");
    vec[k] = t1 - t0;
    fit[k] = t2 - t1;
    pred[k] = t3 - t2;
    tot[k] = t3 - t0;
    cpu[k] = c3 - c0;
    r.acc = cm.accuracy;
    r.f1 = cm.macro_f1;
    r.iters = m.n_iter;
    *n_features = v.n_features;
    mimic_metrics_free(&cm);
    mimic_linear_free(&m);
    mimic_labelset_free(&ls);
    mimic_csr_free(&Xtr);
    mimic_csr_free(&Xte);
    mimic_tfidf_free(&v);
    free(ytr);
    free(yte);
    free(yp);
  }
  r.vec = median(vec, runs);
  r.fit = median(fit, runs);
  r.pred = median(pred, runs);
  r.total = median(tot, runs);
  r.cpu = median(cpu, runs);
  free(vec);
  free(fit);
  free(pred);
  free(tot);
  free(cpu);
  return r;
}

static void print_result(const char *name, const result *r, bool comma) {
  printf("\"%s\":{\"vectorize_s\":%.4f,\"fit_s\":%.4f,\"predict_s\":%.4f,\"total_s\":%.4f,"
         "\"cpu_s\":%.4f,\"accuracy\":%.4f,\"macro_f1\":%.4f,\"n_iter\":%d,"
         "\"speedup_vs_sklearn\":[%.1f,%.1f]}%s",
         name, r->vec, r->fit, r->pred, r->total, r->cpu, r->acc, r->f1, r->iters, 5.0 / r->total,
         13.0 / r->total, comma ? "," : "");
}

int main(int argc, char **argv) {
  int runs = 5, threads = 0;
  char dbuf[4096];
  const char *dir = bench_data_dir(dbuf, sizeof dbuf);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--data") && i + 1 < argc)
      dir = argv[++i];
    else {
      fprintf(stderr, "usage: bench/text [--runs N] [--threads N] [--data DIR]\n");
      return 2;
    }
  }
  if (runs < 1) runs = 1;
  mimic_log_set_level(MIMIC_LOG_WARN);
  char trp[4200], tep[4200];
  snprintf(trp, sizeof trp, "%s/text-agents/banking77/train.csv", dir);
  snprintf(tep, sizeof tep, "%s/text-agents/banking77/test.csv", dir);
  mimic_text_read_opts o = {.need_labels = true};
  mimic_text_data tr, te;
  double t0 = mimic_now();
  if (mimic_text_read(trp, &o, &tr) || mimic_text_read(tep, &o, &te)) die("read");
  double read_s = mimic_now() - t0;
  int nthreads = threads > 0 ? threads : mimic_default_threads();
  int64_t V = 0;
  result sm = run(&tr, &te, MIMIC_LINEAR_SOFTMAX, threads, runs, &V);
  result ovr = run(&tr, &te, MIMIC_LINEAR_OVR, threads, runs, &V);
  result sm1 = run(&tr, &te, MIMIC_LINEAR_SOFTMAX, 1, runs, &V);
  result ovr1 = run(&tr, &te, MIMIC_LINEAR_OVR, 1, runs, &V);
  printf("{\"bench\":\"text\",\"dataset\":\"banking77\",\"n_train\":%zu,\"n_test\":%zu,"
         "\"n_features\":%lld,\"n_classes\":77,\"threads\":%d,\"runs\":%d,\"statistic\":\"median\","
         "\"read_s\":%.4f,",
         tr.n, te.n, (long long)V, nthreads, runs, read_s);
  print_result("softmax", &sm, true);
  print_result("ovr", &ovr, true);
  print_result("softmax_1_thread", &sm1, true);
  print_result("ovr_1_thread", &ovr1, true);
  printf("\"sklearn\":{\"pipeline\":\"TfidfVectorizer() + LogisticRegression(C=10)\","
         "\"accuracy\":0.901,\"total_s\":[5,13]}}\n");
  mimic_text_data_free(&tr);
  mimic_text_data_free(&te);
  return 0;
}
