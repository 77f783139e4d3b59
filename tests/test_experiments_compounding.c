/* The compounding-error experiment on LaneKeep-v0, with fixed seeds: with
 * the same number of expert labels, BC leaves the road on long horizons
 * where DAgger keeps the car on it, and BC's cost grows faster with T. */
#include "testutil.h"

#include <math.h>

#include "experiments/experiments.h"

static void test_dagger_keeps_the_road_where_bc_fails(void **state) {
  (void)state;
  mimic_compounding_config cfg = mimic_compounding_defaults();
  cfg.progress = false;
  cfg.seeds = 2;
  mimic_compounding_result r;
  assert_int_equal(mimic_experiment_compounding(&cfg, &r), MIMIC_OK);
  assert_int_equal(r.n, 5);
  for (int i = 0; i < r.n; i++) {
    const mimic_compounding_row *w = &r.rows[i];
    print_message(
        "T=%d  BC cost %.1f (on road %.0f%%)  DAgger cost %.1f (on road %.0f%%)  labels %ld/%ld\n",
        w->horizon, w->bc_cost, 100 * w->bc_success, w->dagger_cost, 100 * w->dagger_success,
        w->bc_labels, w->dagger_labels);
    assert_int_equal(w->bc_labels, 400); /* the same budget */
    assert_true(labs(w->dagger_labels - 400) <= 5);
  }
  const mimic_compounding_row *longest = &r.rows[4];
  assert_true(longest->bc_success < 0.7);       /* BC fails to last 800 steps */
  assert_true(longest->dagger_success >= 0.85); /* DAgger does, nearly always */
  assert_true(longest->dagger_lost < longest->bc_lost);
  print_message("exponents: BC %.2f, DAgger %.2f\n", r.bc_exponent, r.dagger_exponent);
  assert_true(r.bc_exponent > r.dagger_exponent);
  char *plot = tu_tmp_path("compounding.png");
  assert_int_equal(mimic_compounding_plot(&r, "LaneKeep-v0", plot), MIMIC_OK);
  free(plot);
}

static void test_bad_settings(void **state) {
  (void)state;
  mimic_compounding_config cfg = mimic_compounding_defaults();
  cfg.rounds = 1;
  mimic_compounding_result r;
  assert_int_equal(mimic_experiment_compounding(&cfg, &r), MIMIC_ERR_INVALID);
  cfg = mimic_compounding_defaults();
  cfg.env_id = "CartPole-v1"; /* no horizon option */
  cfg.progress = false;
  assert_int_equal(mimic_experiment_compounding(&cfg, &r), MIMIC_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dagger_keeps_the_road_where_bc_fails),
      cmocka_unit_test(test_bad_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
