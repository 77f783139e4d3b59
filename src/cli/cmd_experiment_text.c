/* `mimic experiment text-dagger`: uncertainty sampling on BANKING77 (the
 * library's mimic_experiment_text_dagger), printed as tables and drawn. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "experiments/experiments.h"

/* The first point of c whose mean accuracy reaches goal, or -1. */
static int reach(const mimic_text_curve *c, double goal) {
  for (int k = 0; k < c->n; k++)
    if (c->acc[k] >= goal) return k;
  return -1;
}

static json_t *curve_json(const mimic_text_curve *c) {
  json_t *o = json_pack("{s:s}", "rule", c->rule), *pts = json_array();
  for (int k = 0; k < c->n; k++)
    json_array_append_new(pts, json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "labels", c->labels[k],
                                         "accuracy", c->acc[k], "accuracy_std", c->acc_std[k],
                                         "accuracy_min", c->acc_min[k], "accuracy_max",
                                         c->acc_max[k], "macro_f1", c->f1[k]));
  json_object_set_new(o, "points", pts);
  return o;
}

/* Adds to each curve the labels it needs to reach the last curve's final accuracy. */
static void add_reach(json_t *curves, const mimic_text_curve *c, int n) {
  double goal = c[n - 1].acc[c[n - 1].n - 1];
  for (int i = 0; i < n; i++) {
    int k = reach(&c[i], goal);
    json_object_set_new(json_array_get(curves, (size_t)i), "labels_to_reach_random_final",
                        k >= 0 ? json_real(c[i].labels[k]) : json_null());
  }
}

static void print_curves(const mimic_text_curve *c, int n) {
  printf("%8s", "labels");
  for (int r = 0; r < n; r++) printf("  %22s", c[r].rule);
  printf("\n");
  for (int k = 0; k < c[0].n; k++) {
    printf("%8.0f", c[0].labels[k]);
    for (int r = 0; r < n; r++) printf("  %14.4f +- %.4f", c[r].acc[k], c[r].acc_std[k]);
    printf("\n");
  }
}

/* BANKING77 under $MIMIC_DATA, ../shared/data (from the repo root) or
 * <build>/../../shared/data (beside the repo holding the executable). */
static char *find_banking77(void) {
  char exe[2048], cand[3][2400];
  int n = 0;
  const char *env = getenv("MIMIC_DATA");
  if (env && *env) snprintf(cand[n++], sizeof cand[0], "%s/text-agents/banking77", env);
  snprintf(cand[n++], sizeof cand[0], "../shared/data/text-agents/banking77");
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(cand[n++], sizeof cand[0], "%s/../../shared/data/text-agents/banking77", exe);
  }
  for (int i = 0; i < n; i++) {
    char *probe = mimic_path_join(cand[i], "train.csv");
    bool found = probe && mimic_path_exists(probe);
    free(probe);
    if (found) return mimic_strdup(cand[i]);
  }
  return NULL;
}

int cmd_experiment_text_dagger(int argc, char **argv) {
  const char *cmd = "experiment text-dagger";
  mimic_text_experiment_config cfg = mimic_text_experiment_defaults();
  const char *plot = "text-dagger.png", *part = "both";
  long long start = cfg.scale_start, end = cfg.scale_end, step = cfg.scale_step;
  bool json = false, quiet = false;
  char *default_dir = NULL;
  cli_opt opts[] = {
      {"data", CLI_STR, &cfg.data_dir, "DIR",
       "folder with train.csv and test.csv (default: BANKING77 in ../shared/data)"},
      {"label-column", CLI_STR, &cfg.label_column, "NAME", "label column (default: category)"},
      {"part", CLI_STR, &part, "P", "small (the exercise), scale (learning curves) or both"},
      {"seeds", CLI_INT, &cfg.small_seeds, "N", "part 1 seeds (default 10)"},
      {"labeled", CLI_INT, &cfg.small_labeled, "N", "part 1 seed labels (default 20)"},
      {"pool", CLI_INT, &cfg.small_pool, "N", "part 1 pool size (default 50)"},
      {"batch", CLI_INT, &cfg.small_batch, "K", "part 1 questions per round (default 10)"},
      {"rounds", CLI_INT, &cfg.small_rounds, "R", "part 1 rounds of the exercise (default 3)"},
      {"scale-seeds", CLI_INT, &cfg.scale_seeds, "N", "part 2 seeds (default 5)"},
      {"start", CLI_LONG, &start, "N", "part 2 seed labels (default 200)"},
      {"end", CLI_LONG, &end, "N", "part 2 final labels (default 2000)"},
      {"step", CLI_LONG, &step, "N", "part 2 questions per round (default 100)"},
      {"seed", CLI_U64, &cfg.seed, "S", "first seed (default 0)"},
      {"threads", CLI_INT, &cfg.n_threads, "N", "LIBLINEAR threads (default: all cores)"},
      {"plot", CLI_STR, &plot, "FILE",
       "chart of part 2 (default text-dagger.png; part 1 goes to text-dagger-small.png)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse(cmd,
                           "Uncertainty sampling on BANKING77: 20 labels and a pool of 50, and "
                           "learning curves per query rule.",
                           "[options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  if (!strcmp(part, "small"))
    cfg.scale = false;
  else if (!strcmp(part, "scale"))
    cfg.small = false;
  else if (strcmp(part, "both"))
    return cli_usage_error(cmd, "--part wants small, scale or both");
  cfg.scale_start = start;
  cfg.scale_end = end;
  cfg.scale_step = step;
  cfg.progress = !json && !quiet;
  if (!cfg.data_dir && !(cfg.data_dir = default_dir = find_banking77())) {
    mimic_fail(MIMIC_ERR_NOT_FOUND,
               "cannot find BANKING77 (text-agents/banking77/train.csv) under "
               "$MIMIC_DATA, ../shared/data or beside the build; use --data DIR");
    return cli_fail(cmd);
  }
  mimic_text_experiment_result r;
  if (mimic_experiment_text_dagger(&cfg, &r) || (plot && mimic_text_experiment_plot(&r, plot))) {
    free(default_dir);
    return cli_fail(cmd);
  }
  if (json) {
    json_t *o = json_pack("{s:s, s:i, s:i, s:i}", "data", cfg.data_dir, "n_train", r.n_train,
                          "n_test", r.n_test, "n_classes", r.n_classes);
    if (r.n_small) {
      json_t *cur = json_array(), *per = json_array();
      for (int i = 0; i < r.n_small; i++) json_array_append_new(cur, curve_json(&r.small[i]));
      for (int k = 1; k <= r.small_rounds_run; k++)
        json_array_append_new(per, json_integer(r.match_per_seed[k]));
      json_object_set_new(
          o, "small",
          json_pack("{s:i, s:i, s:i, s:i, s:i, s:o, s:f, s:f, s:f, s:f, s:f, s:i, s:f, s:f, s:f, "
                    "s:o, s:o, s:i, s:f}",
                    "seeds", cfg.small_seeds, "labeled", cfg.small_labeled, "pool", cfg.small_pool,
                    "batch", cfg.small_batch, "rounds", cfg.small_rounds, "curves", cur,
                    "seed_only_accuracy", r.seed_acc, "seed_only_accuracy_std", r.seed_acc_std,
                    "seed_only_macro_f1", r.seed_f1, "from_start_accuracy", r.start50_acc,
                    "from_start_accuracy_std", r.start50_acc_std, "from_start_labels",
                    r.start_labels, "from_start_macro_f1", r.start50_f1, "whole_pool_accuracy",
                    r.pool_acc, "whole_pool_accuracy_std", r.pool_acc_std, "rounds_to_match",
                    r.match_round < 0 ? json_null() : json_integer(r.match_round),
                    "seeds_matching_at_round", per, "seeds_never_matching", r.never_match,
                    "seconds", r.seconds_small));
    }
    if (r.n_scale) {
      json_t *cur = json_array();
      for (int i = 0; i < r.n_scale; i++) json_array_append_new(cur, curve_json(&r.scale[i]));
      add_reach(cur, r.scale, r.n_scale);
      json_object_set_new(o, "scale",
                          json_pack("{s:i, s:o, s:f}", "seeds", cfg.scale_seeds, "curves", cur,
                                    "seconds", r.seconds_scale));
    }
    if (plot) json_object_set_new(o, "plot", json_string(plot));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    puts(s);
    free(s);
    json_decref(o);
    free(default_dir);
    return CLI_EXIT_OK;
  }
  printf("BANKING77 (%s): %d training texts, %d test texts, %d intents\n", cfg.data_dir, r.n_train,
         r.n_test, r.n_classes);
  printf("every label comes from the text DAgger loop with a label-file expert (gold labels);\n"
         "accuracy on the whole test set, mean +- std over seeds\n");
  if (r.n_small) {
    const mimic_text_curve *lc = &r.small[0];
    printf("\n1. the exercise: %d labeled, pool of %d, ask the %d least confident, retrain, %d "
           "rounds (%d seeds, %.1f s)\n\n",
           cfg.small_labeled, cfg.small_pool, cfg.small_batch, cfg.small_rounds, cfg.small_seeds,
           r.seconds_small);
    printf("%6s %7s  %22s  %22s  %22s\n", "round", "labels", r.small[0].rule, r.small[1].rule,
           r.small[2].rule);
    for (int k = 0; k < lc->n; k++)
      printf("%6d %7.0f  %14.4f +- %.4f  %14.4f +- %.4f  %14.4f +- %.4f%s\n", k, lc->labels[k],
             r.small[0].acc[k], r.small[0].acc_std[k], r.small[1].acc[k], r.small[1].acc_std[k],
             r.small[2].acc[k], r.small[2].acc_std[k],
             k > cfg.small_rounds ? "   (beyond the exercise)" : "");
    printf("\n  %d labels (seed only):                  accuracy %.4f +- %.4f, macro-F1 %.4f\n",
           cfg.small_labeled, r.seed_acc, r.seed_acc_std, r.seed_f1);
    printf("  %d labels from the start (seed + %d random pool items): accuracy %.4f +- %.4f, "
           "macro-F1 %.4f\n",
           r.start_labels, r.start_labels - cfg.small_labeled, r.start50_acc, r.start50_acc_std,
           r.start50_f1);
    printf("  after %d rounds of least-confident querying (%d labels): accuracy %.4f +- %.4f, "
           "macro-F1 %.4f\n",
           cfg.small_rounds, (int)lc->labels[cfg.small_rounds], lc->acc[cfg.small_rounds],
           lc->acc_std[cfg.small_rounds], lc->f1[cfg.small_rounds]);
    printf("  the whole pool labeled (%d labels): accuracy %.4f +- %.4f\n",
           cfg.small_labeled + cfg.small_pool, r.pool_acc, r.pool_acc_std);
    if (r.match_round > 0)
      printf("\n  rounds to match %d labels from the start (mean over seeds): %d (%d labels)\n",
             r.start_labels, r.match_round, (int)lc->labels[r.match_round]);
    else
      printf("\n  rounds to match %d labels from the start (mean over seeds): not reached within "
             "%d rounds\n",
             r.start_labels, r.small_rounds_run);
    printf("  per seed, first round at or above its own %d-label model:", r.start_labels);
    for (int k = 1; k <= r.small_rounds_run; k++) printf("  round %d: %d", k, r.match_per_seed[k]);
    printf("  never: %d\n", r.never_match);
  }
  if (r.n_scale) {
    printf("\n2. at scale: %ld random seed labels, +%ld per round to %ld, %d seeds (%.1f s)\n\n",
           cfg.scale_start, cfg.scale_step, cfg.scale_end, cfg.scale_seeds, r.seconds_scale);
    print_curves(r.scale, r.n_scale);
    printf("\n  mean accuracy over the curve:");
    for (int i = 0; i < r.n_scale; i++) {
      double m = 0;
      for (int k = 0; k < r.scale[i].n; k++) m += r.scale[i].acc[k];
      printf("  %s %.4f", r.scale[i].rule, m / r.scale[i].n);
    }
    const mimic_text_curve *rnd = &r.scale[r.n_scale - 1];
    double goal = rnd->acc[rnd->n - 1];
    printf("\n  labels to reach random's accuracy at %.0f labels (%.4f):", rnd->labels[rnd->n - 1],
           goal);
    for (int i = 0; i < r.n_scale; i++) {
      int k = reach(&r.scale[i], goal);
      if (k >= 0)
        printf("  %s %.0f", r.scale[i].rule, r.scale[i].labels[k]);
      else
        printf("  %s not reached", r.scale[i].rule);
    }
    printf("\n");
  }
  if (plot) printf("\nchart: %s%s\n", plot, r.n_small && r.n_scale ? " (part 1: *-small)" : "");
  free(default_dir);
  return CLI_EXIT_OK;
}
