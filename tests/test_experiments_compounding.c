/* The compounding-error experiment: its bootstrap intervals are right on
 * synthetic power laws whose exponent is known (the estimate, the interval's
 * coverage over many replicates, the interval of a difference), and the
 * experiment itself is a pure function of its seed on both tasks (small
 * settings: the full run is for the docs). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "experiments/experiments.h"
#include "mimic/rng.h"

enum { N = 5, SEEDS = 30 };
static const double xs[N] = {25, 50, 100, 200, 400};

/* y[i][s] = c x_i^k exp(sigma z): the mean over seeds is c' x^k for every
 * sigma, so its fitted exponent is k. */
static void synthetic(double *y, double c, double k, double sigma, mimic_rng *rng) {
  for (int i = 0; i < N; i++)
    for (int s = 0; s < SEEDS; s++)
      y[i * SEEDS + s] = c * pow(xs[i], k) * exp(sigma * mimic_rng_normal(rng));
}

static void test_exact_power_law(void **state) {
  (void)state;
  double y[N * SEEDS];
  for (int i = 0; i < N; i++)
    for (int s = 0; s < SEEDS; s++) y[i * SEEDS + s] = 0.3 * pow(xs[i], 1.7);
  const double *series[1] = {y};
  mimic_power_fit f;
  assert_int_equal(mimic_power_bootstrap(xs, N, SEEDS, series, 1, 500, 1, &f, NULL, NULL, NULL),
                   MIMIC_OK);
  assert_true(fabs(f.k - 1.7) < 1e-12 && fabs(f.lo - 1.7) < 1e-12 && fabs(f.hi - 1.7) < 1e-12);
  /* a horizon with a mean of zero carries no slope: no exponent at all */
  for (int s = 0; s < SEEDS; s++) y[s] = 0;
  assert_int_equal(mimic_power_bootstrap(xs, N, SEEDS, series, 1, 500, 1, &f, NULL, NULL, NULL),
                   MIMIC_OK);
  assert_true(isnan(f.k) && isnan(f.lo) && isnan(f.hi));
  assert_true(isnan(mimic_power_exponent(xs, y, N)));
}

/* 95 % intervals contain the true exponent in about 95 % of replicates,
 * are narrow with 30 seeds, and the paired difference of two exponents
 * is right too. */
static void test_bootstrap_covers_known_exponent(void **state) {
  (void)state;
  mimic_rng rng;
  mimic_rng_seed(&rng, 12345);
  double a[N * SEEDS], b[N * SEEDS];
  const int reps = 200;
  int cover_a = 0, cover_b = 0, cover_gap = 0, separated = 0;
  double width = 0;
  for (int r = 0; r < reps; r++) {
    synthetic(a, 0.02, 2.0, 0.5, &rng);
    synthetic(b, 0.1, 1.0, 0.5, &rng);
    const double *series[2] = {a, b};
    mimic_power_fit f[2], gap;
    double lo[2 * N], hi[2 * N];
    assert_int_equal(
        mimic_power_bootstrap(xs, N, SEEDS, series, 2, 1000, (uint64_t)r, f, &gap, lo, hi),
        MIMIC_OK);
    assert_true(f[0].lo <= f[0].k && f[0].k <= f[0].hi);
    for (int i = 0; i < 2 * N; i++) assert_true(lo[i] < hi[i]);
    cover_a += f[0].lo <= 2.0 && 2.0 <= f[0].hi;
    cover_b += f[1].lo <= 1.0 && 1.0 <= f[1].hi;
    cover_gap += gap.lo <= 1.0 && 1.0 <= gap.hi;
    separated += !mimic_power_overlap(&f[0], &f[1]);
    width += (f[0].hi - f[0].lo) / reps;
  }
  print_message("coverage of 95%% intervals over %d replicates: %d, %d, gap %d; mean width %.3f\n",
                reps, cover_a, cover_b, cover_gap, width);
  /* binomial(200, 0.95) lies in [180, 197] with probability > 0.999; the
   * percentile bootstrap runs slightly narrow with 30 seeds */
  assert_true(cover_a >= 176 && cover_a <= 198);
  assert_true(cover_b >= 176 && cover_b <= 198);
  assert_true(cover_gap >= 176 && cover_gap <= 198);
  assert_true(width < 0.25);
  assert_int_equal(separated, reps);
  /* the mean's interval */
  double mean, lo, hi, v[SEEDS];
  for (int s = 0; s < SEEDS; s++) v[s] = s % 2;
  assert_int_equal(mimic_bootstrap_mean(v, SEEDS, 2000, 3, &mean, &lo, &hi), MIMIC_OK);
  print_message("mean %.3f [%.3f, %.3f]\n", mean, lo, hi);
  /* normal theory: 0.5 +- 1.96 * 0.5 / sqrt(30) = [0.32, 0.68]; means are multiples of 1/30 */
  assert_true(mean == 0.5 && lo >= 0.28 && lo <= 0.35 && hi >= 0.65 && hi <= 0.72);
}

static mimic_compounding_config small(const char *opts) {
  mimic_compounding_config cfg = mimic_compounding_defaults();
  cfg.env_opts = opts;
  cfg.progress = false;
  cfg.n_horizons = 3;
  cfg.horizons[0] = 25;
  cfg.horizons[1] = 50;
  cfg.horizons[2] = 100;
  cfg.labels = 120;
  cfg.rounds = 3;
  cfg.sample_episodes = 3;
  cfg.seeds = 3;
  cfg.eval_episodes = 6;
  cfg.resamples = 200;
  cfg.labels_horizon = 50;
  cfg.labels_points = 3;
  return cfg;
}

static bool same_result(const mimic_compounding_result *a, const mimic_compounding_result *b) {
  if (a->n != b->n || a->seeds != b->seeds || a->overlap != b->overlap) return false;
  if (memcmp(&a->bc, &b->bc, sizeof a->bc) || memcmp(&a->dagger, &b->dagger, sizeof a->dagger) ||
      memcmp(&a->gap, &b->gap, sizeof a->gap))
    return false;
  for (int i = 0; i < a->n; i++) {
    const mimic_compounding_row *x = &a->rows[i], *y = &b->rows[i];
    const mimic_compounding_arm *ax[2] = {&x->bc, &x->dagger}, *ay[2] = {&y->bc, &y->dagger};
    if (x->horizon != y->horizon) return false;
    for (int m = 0; m < 2; m++)
      if (ax[m]->cost != ay[m]->cost || ax[m]->cost_lo != ay[m]->cost_lo ||
          ax[m]->cost_hi != ay[m]->cost_hi || ax[m]->failures != ay[m]->failures ||
          ax[m]->failed != ay[m]->failed || ax[m]->labels != ay[m]->labels ||
          memcmp(ax[m]->per_seed, ay[m]->per_seed, (size_t)a->seeds * sizeof(double)))
        return false;
  }
  return true;
}

static void test_deterministic_for_a_seed(void **state) {
  (void)state;
  const char *tasks[2] = {NULL, "lanes=2"};
  for (int t = 0; t < 2; t++) {
    mimic_compounding_config cfg = small(tasks[t]);
    mimic_compounding_result *r = malloc(3 * sizeof *r);
    assert_non_null(r);
    assert_int_equal(mimic_experiment_compounding(&cfg, &r[0]), MIMIC_OK);
    assert_int_equal(mimic_experiment_compounding(&cfg, &r[1]), MIMIC_OK);
    assert_true(same_result(&r[0], &r[1]));
    for (int i = 0; i < r[0].n; i++) {
      const mimic_compounding_row *w = &r[0].rows[i];
      print_message("%s T=%d  BC %.2f [%.2f, %.2f] fail %.2f  DAgger %.2f [%.2f, %.2f] fail %.2f\n",
                    tasks[t] ? tasks[t] : "v0", w->horizon, w->bc.cost, w->bc.cost_lo,
                    w->bc.cost_hi, w->bc.failures, w->dagger.cost, w->dagger.cost_lo,
                    w->dagger.cost_hi, w->dagger.failures);
      assert_int_equal(w->bc.labels, 120); /* the same budget */
      assert_true(labs(w->dagger.labels - 120) <= 2);
      assert_true(w->bc.cost_lo <= w->bc.cost && w->bc.cost <= w->bc.cost_hi);
    }
    assert_true(isfinite(r[0].bc.k) && isfinite(r[0].dagger.k) && isfinite(r[0].gap.lo));
    cfg.seed = 7; /* another seed, another result */
    assert_int_equal(mimic_experiment_compounding(&cfg, &r[2]), MIMIC_OK);
    assert_false(same_result(&r[0], &r[2]));
    char *plot = tu_tmp_path("compounding.png");
    assert_int_equal(mimic_compounding_plot(&r[0], "LaneKeep-v0", plot), MIMIC_OK);
    free(plot);
    free(r);
  }
  mimic_compounding_config cfg = small("lanes=2");
  mimic_compounding_labels_result a, b;
  assert_int_equal(mimic_experiment_compounding_labels(&cfg, &a), MIMIC_OK);
  assert_int_equal(mimic_experiment_compounding_labels(&cfg, &b), MIMIC_OK);
  a.seconds = b.seconds = 0;
  assert_int_equal(a.n, 3);
  assert_true(a.labels[0] == 40 && a.labels[2] == 120);
  assert_memory_equal(&a, &b, sizeof a);
  char *plot = tu_tmp_path("failures.svg");
  assert_int_equal(mimic_compounding_labels_plot(&a, "LaneKeep-v0 lanes=2", plot), MIMIC_OK);
  free(plot);
}

static void test_bad_settings(void **state) {
  (void)state;
  mimic_compounding_result r;
  mimic_compounding_config cfg = mimic_compounding_defaults();
  cfg.rounds = 1;
  assert_int_equal(mimic_experiment_compounding(&cfg, &r), MIMIC_ERR_INVALID);
  cfg = mimic_compounding_defaults();
  cfg.seeds = MIMIC_EXPERIMENT_MAX_SEEDS + 1;
  assert_int_equal(mimic_experiment_compounding(&cfg, &r), MIMIC_ERR_INVALID);
  cfg = mimic_compounding_defaults();
  cfg.horizons[1] = cfg.horizons[0]; /* not increasing */
  assert_int_equal(mimic_experiment_compounding(&cfg, &r), MIMIC_ERR_INVALID);
  cfg = small(NULL);
  cfg.env_id = "CartPole-v1"; /* no horizon option */
  assert_int_equal(mimic_experiment_compounding(&cfg, &r), MIMIC_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_power_law),
      cmocka_unit_test(test_bootstrap_covers_known_exponent),
      cmocka_unit_test(test_deterministic_for_a_seed),
      cmocka_unit_test(test_bad_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
