/* mimic experiment text-dagger at a small size: the shape of the results,
 * every rule starting from the same seed model, that model agreeing with
 * the independently fitted seed-only baseline, determinism, and the charts. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "experiments/experiments.h"

static void test_small_experiment(void **state) {
  (void)state;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/text-agents/banking77", tu_data_dir());
  mimic_text_experiment_config cfg = mimic_text_experiment_defaults();
  cfg.data_dir = dir;
  cfg.small_seeds = 2;
  cfg.scale_seeds = 1;
  cfg.scale_start = 200;
  cfg.scale_end = 400;
  cfg.scale_step = 100;
  mimic_text_experiment_result r, r2;
  assert_int_equal(mimic_experiment_text_dagger(&cfg, &r), MIMIC_OK);
  assert_int_equal(r.n_train, 10003);
  assert_int_equal(r.n_test, 3080);
  assert_int_equal(r.n_classes, 77);
  /* part 1: 20 labels, pool of 50, 10 per round until the pool is used up */
  assert_int_equal(r.n_small, 3);
  assert_int_equal(r.small_rounds_run, 5);
  assert_int_equal(r.start_labels, 50);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(r.small[i].n, 6);
    for (int k = 0; k < 6; k++) assert_true(r.small[i].labels[k] == 20 + 10 * k);
    /* every rule starts from the seed-only model, fitted here by the loop */
    assert_true(fabs(r.small[i].acc[0] - r.seed_acc) < 1e-12);
    /* with the whole pool labeled every rule has the same labels */
    assert_true(fabs(r.small[i].acc[5] - r.small[0].acc[5]) < 1e-12);
  }
  assert_true(fabs(r.small[0].acc[5] - r.pool_acc) < 0.01); /* same rows, other order */
  assert_true(r.start50_acc > r.seed_acc);
  int counted = r.never_match;
  for (int k = 1; k <= 5; k++) counted += r.match_per_seed[k];
  assert_int_equal(counted, 2);
  /* part 2: 200 to 400 labels for four rules */
  assert_int_equal(r.n_scale, 4);
  const char *rules[] = {"least-confident", "margin", "entropy", "random"};
  for (int i = 0; i < 4; i++) {
    assert_string_equal(r.scale[i].rule, rules[i]);
    assert_int_equal(r.scale[i].n, 3);
    assert_true(r.scale[i].labels[2] == 400);
    assert_true(r.scale[i].acc[0] == r.scale[0].acc[0]);
    assert_true(r.scale[i].acc[2] > r.scale[i].acc[0]);
  }
  /* the same seeds give the same numbers */
  cfg.small = false;
  assert_int_equal(mimic_experiment_text_dagger(&cfg, &r2), MIMIC_OK);
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 3; k++) assert_true(r.scale[i].acc[k] == r2.scale[i].acc[k]);
  char *png = tu_tmp_path("curves.png");
  assert_int_equal(mimic_text_experiment_plot(&r, png), MIMIC_OK);
  assert_int_equal(access(png, F_OK), 0);
  char *small = tu_tmp_path("curves-small.png");
  assert_int_equal(access(small, F_OK), 0);
  free(png);
  free(small);
  /* a bad configuration is refused before any work */
  cfg.small = true;
  cfg.small_rounds = 9;
  assert_int_equal(mimic_experiment_text_dagger(&cfg, &r2), MIMIC_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_small_experiment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
