/* Trajectories in memory: the transitions view, minibatches without
 * replacement, the train/validation split, normalisation statistics and
 * determinism. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "data_fixtures.h"

static void test_transitions_view(void **state) {
  (void)state;
  mimic_dataset ds;
  fx_dataset(&ds, 20);
  size_t total = 0;
  for (size_t e = 0; e < 20; e++) total += fx_len(e);
  assert_int_equal(ds.n_steps, total);
  for (size_t j = 0; j < ds.n_steps; j++) {
    size_t e = mimic_dataset_step_episode(&ds, j);
    size_t t = j - ds.ep_start[e];
    assert_true(t < fx_len(e));
    const float *o = mimic_dataset_step_obs(&ds, j), *n = mimic_dataset_step_next_obs(&ds, j);
    for (int c = 0; c < 4; c++) {
      assert_true(o[c] == fx_obs(e, t, c));
      assert_true(n[c] == fx_obs(e, t + 1, c));
    }
    assert_true(*mimic_dataset_step_act(&ds, j) == (float)((e + t) % 2));
    assert_int_equal(mimic_dataset_step_done(&ds, j), t + 1 == fx_len(e) && e % 2 == 0);
  }
  /* returns */
  for (size_t e = 0; e < 20; e++) {
    double want = 0;
    for (size_t t = 0; t < fx_len(e); t++) want += 1.0 + 0.5 * (double)t;
    assert_true(mimic_dataset_episode_return(&ds, e) == want);
  }
  mimic_dataset_free(&ds);
}

static void test_sampler_covers_each_transition_once(void **state) {
  (void)state;
  mimic_dataset ds;
  fx_dataset(&ds, 40);
  size_t n = ds.n_steps;
  size_t B = 7; /* does not divide n */
  assert_true(n % B != 0);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  mimic_sampler s;
  assert_int_equal(mimic_sampler_init(&s, &t, NULL, 0, B, false, 123), MIMIC_OK);
  assert_int_equal(mimic_sampler_batches_per_epoch(&s), (n + B - 1) / B);
  float obs[7 * 4], next[7 * 4], act[7];
  double rew[7];
  uint8_t done[7];
  uint32_t idx[7];
  mimic_batch b = {obs, act, next, rew, done, idx};
  int *count = calloc(n, sizeof(int));
  uint32_t *first_epoch = calloc(n, sizeof(uint32_t));
  for (int epoch = 0; epoch < 3; epoch++) {
    memset(count, 0, n * sizeof(int));
    size_t got = 0, k = 0;
    while (got < n) {
      size_t m = mimic_sampler_next(&s, &b);
      assert_true(m > 0 && m <= B);
      assert_true(s.epoch == (uint64_t)epoch + 1);
      for (size_t i = 0; i < m; i++) {
        uint32_t j = idx[i];
        assert_true(j < n);
        count[j]++;
        if (epoch == 0) first_epoch[k++] = j;
        assert_memory_equal(obs + 4 * i, mimic_dataset_step_obs(&ds, j), 16);
        assert_memory_equal(next + 4 * i, mimic_dataset_step_next_obs(&ds, j), 16);
        assert_true(act[i] == ds.act[j] && rew[i] == ds.rew[j] && done[i] == ds.term[j]);
      }
      got += m;
    }
    assert_int_equal(got, n);
    for (size_t j = 0; j < n; j++) assert_int_equal(count[j], 1);
  }
  /* shuffled: not the identity order */
  size_t in_order = 0;
  for (size_t j = 0; j < n; j++) in_order += first_epoch[j] == j;
  assert_true(in_order < n / 4);
  /* same seed, same batches; seek resumes exactly */
  mimic_sampler s2, s3;
  assert_int_equal(mimic_sampler_init(&s2, &t, NULL, 0, B, false, 123), MIMIC_OK);
  assert_int_equal(mimic_sampler_init(&s3, &t, NULL, 0, B, false, 123), MIMIC_OK);
  uint32_t i2[7], i3[7];
  mimic_batch b2 = {0}, b3 = {0};
  b2.index = i2;
  b3.index = i3;
  for (int k = 0; k < 20; k++) mimic_sampler_next(&s2, &b2);
  mimic_sampler_seek(&s3, s2.epoch - 1, s2.pos);
  for (int k = 0; k < 50; k++) {
    size_t m2 = mimic_sampler_next(&s2, &b2), m3 = mimic_sampler_next(&s3, &b3);
    assert_int_equal(m2, m3);
    assert_memory_equal(i2, i3, m2 * sizeof(uint32_t));
  }
  /* a different seed gives a different order */
  mimic_sampler s4;
  assert_int_equal(mimic_sampler_init(&s4, &t, NULL, 0, n, false, 124), MIMIC_OK);
  uint32_t *all = calloc(n, sizeof(uint32_t));
  mimic_batch b4 = {0};
  b4.index = all;
  assert_int_equal(mimic_sampler_next(&s4, &b4), n);
  assert_true(memcmp(all, first_epoch, n * sizeof(uint32_t)) != 0);
  free(all);
  mimic_sampler_free(&s4);
  mimic_sampler_free(&s3);
  mimic_sampler_free(&s2);
  mimic_sampler_free(&s);
  /* drop_last: only full batches, n - n % B distinct transitions per epoch */
  assert_int_equal(mimic_sampler_init(&s, &t, NULL, 0, B, true, 5), MIMIC_OK);
  assert_int_equal(mimic_sampler_batches_per_epoch(&s), n / B);
  memset(count, 0, n * sizeof(int));
  for (size_t k = 0; k < n / B; k++) {
    assert_int_equal(mimic_sampler_next(&s, &b), B);
    for (size_t i = 0; i < B; i++) count[idx[i]]++;
  }
  size_t distinct = 0;
  for (size_t j = 0; j < n; j++) {
    assert_true(count[j] <= 1);
    distinct += (size_t)count[j];
  }
  assert_int_equal(distinct, n - n % B);
  assert_int_equal(mimic_sampler_next(&s, &b), B);
  assert_int_equal(s.epoch, 2);
  mimic_sampler_free(&s);
  free(count);
  free(first_epoch);
  mimic_dataset_free(&ds);
}

/* The episode of transition row j (rows of one episode are contiguous). */
static size_t episode_of(const mimic_dataset *ds, uint32_t j) {
  return mimic_dataset_step_episode(ds, j);
}

static void test_split_and_sampler_subset(void **state) {
  (void)state;
  mimic_dataset ds;
  fx_dataset(&ds, 30);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  uint32_t *tr, *va;
  size_t nt, nv;
  assert_int_equal(mimic_transitions_split(&t, 0.2, 9, &tr, &nt, &va, &nv), MIMIC_OK);
  /* whole episodes on each side: ceil(0.2 * 30) = 6 held out, 24 kept */
  int side[30];
  for (int e = 0; e < 30; e++) side[e] = -1;
  size_t seen = 0;
  for (size_t i = 0; i < nt; i++) {
    size_t e = episode_of(&ds, tr[i]);
    assert_true(side[e] == -1 || side[e] == 0);
    side[e] = 0;
    if (i) assert_true(tr[i - 1] < tr[i]);
  }
  for (size_t i = 0; i < nv; i++) {
    size_t e = episode_of(&ds, va[i]);
    assert_true(side[e] == -1 || side[e] == 1);
    side[e] = 1;
    if (i) assert_true(va[i - 1] < va[i]);
  }
  int n_val_eps = 0;
  for (int e = 0; e < 30; e++) {
    if (fx_len((size_t)e) == 0) continue; /* an empty episode has no rows to place */
    assert_true(side[e] >= 0);            /* every other episode lands on one side */
    n_val_eps += side[e];
    seen += fx_len((size_t)e);
  }
  assert_true(n_val_eps >= 4 && n_val_eps <= 6); /* 6 held out, empty ones included */
  assert_int_equal(nt + nv, seen);               /* and every transition once */
  assert_int_equal(nt + nv, ds.n_steps);
  /* deterministic, seed-dependent */
  uint32_t *tr2, *va2, *tr3, *va3;
  size_t nt2, nv2, nt3, nv3;
  mimic_transitions_split(&t, 0.2, 9, &tr2, &nt2, &va2, &nv2);
  mimic_transitions_split(&t, 0.2, 10, &tr3, &nt3, &va3, &nv3);
  assert_int_equal(nv, nv2);
  assert_memory_equal(va, va2, nv * sizeof(uint32_t));
  assert_true(nv != nv3 || memcmp(va, va3, nv * sizeof(uint32_t)) != 0);
  free(tr3);
  free(va3);
  /* the sampler over the train rows only ever returns them */
  mimic_sampler s;
  assert_int_equal(mimic_sampler_init(&s, &t, tr, nt, 16, false, 1), MIMIC_OK);
  assert_int_equal(s.n, nt);
  uint32_t idx[16];
  mimic_batch b = {0};
  b.index = idx;
  size_t got = 0;
  while (got < nt) {
    size_t m = mimic_sampler_next(&s, &b);
    for (size_t i = 0; i < m; i++) assert_int_equal(side[episode_of(&ds, idx[i])], 0);
    got += m;
  }
  mimic_sampler_free(&s);
  /* a row outside the view is refused */
  uint32_t bad = (uint32_t)t.n;
  assert_int_equal(mimic_sampler_init(&s, &t, &bad, 1, 4, false, 1), MIMIC_ERR_INVALID);
  /* edge cases: no validation; everything held out is refused */
  free(tr2);
  free(va2);
  assert_int_equal(mimic_transitions_split(&t, 0, 9, &tr2, &nt2, &va2, &nv2), MIMIC_OK);
  assert_int_equal(nv2, 0);
  assert_int_equal(nt2, ds.n_steps);
  assert_int_equal(mimic_transitions_split(&t, 1.0, 9, &tr3, &nt3, &va3, &nv3), MIMIC_ERR_INVALID);
  /* a view without episodes splits by transition */
  mimic_transitions flat = t;
  flat.ep_start = NULL;
  free(tr3);
  free(va3);
  assert_int_equal(mimic_transitions_split(&flat, 0.25, 9, &tr3, &nt3, &va3, &nv3), MIMIC_OK);
  assert_int_equal(nv3, (size_t)ceil(0.25 * (double)ds.n_steps - 1e-9));
  assert_int_equal(nt3 + nv3, ds.n_steps);
  free(tr);
  free(va);
  free(tr2);
  free(va2);
  free(tr3);
  free(va3);
  mimic_dataset_free(&ds);
}

static void test_obs_stats_match_two_pass(void **state) {
  (void)state;
  /* large offsets and tiny spreads: naive sum-of-squares would lose it all */
  size_t n = 100003;
  int d = 3;
  float *x = malloc(n * (size_t)d * sizeof(float));
  mimic_rng r;
  mimic_rng_seed(&r, 11);
  for (size_t i = 0; i < n; i++) {
    x[i * 3 + 0] = (float)(1e6 + mimic_rng_normal(&r) * 0.5);
    x[i * 3 + 1] = (float)(mimic_rng_uniform(&r, -1, 1));
    x[i * 3 + 2] = 7.0f; /* constant */
  }
  double mean[3] = {0}, var[3] = {0};
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < d; c++) mean[c] += x[i * 3 + (size_t)c];
  for (int c = 0; c < d; c++) mean[c] /= (double)n;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < d; c++) {
      double dv = x[i * 3 + (size_t)c] - mean[c];
      var[c] += dv * dv;
    }
  double want_std[3];
  for (int c = 0; c < d; c++) want_std[c] = sqrt(var[c] / (double)n);
  mimic_obs_stats st, a, b;
  assert_int_equal(mimic_obs_stats_init(&st, d), MIMIC_OK);
  mimic_obs_stats_add(&st, x, n);
  double gm[3], gs[3];
  mimic_obs_stats_get(&st, gm, gs);
  tu_assert_close_f64(gm, mean, 3, 0, 1e-12, "mean");
  tu_assert_close_f64(gs, want_std, 3, 1e-12, 1e-9, "std");
  /* split in uneven parts and merged: the same */
  mimic_obs_stats_init(&a, d);
  mimic_obs_stats_init(&b, d);
  mimic_obs_stats_add(&a, x, 17);
  for (size_t i = 17; i < n; i += 1001)
    mimic_obs_stats_add(&b, x + i * 3, i + 1001 <= n ? 1001 : n - i);
  mimic_obs_stats_merge(&a, &b);
  assert_int_equal(a.count, n);
  mimic_obs_stats_get(&a, gm, gs);
  tu_assert_close_f64(gm, mean, 3, 0, 1e-12, "merged mean");
  tu_assert_close_f64(gs, want_std, 3, 1e-12, 1e-9, "merged std");
  float fm[3], fs[3];
  mimic_obs_stats_normalizer(&a, 1e-8, fm, fs);
  assert_true(fs[2] == 1.0f && fm[2] == 7.0f); /* constant feature: std 1 */
  mimic_obs_stats_free(&a);
  mimic_obs_stats_free(&b);
  mimic_obs_stats_free(&st);
  free(x);
  /* over a dataset's transitions: T observation rows per episode */
  mimic_dataset ds;
  fx_dataset(&ds, 15);
  mimic_transitions t = mimic_dataset_transitions(&ds);
  assert_int_equal(mimic_obs_stats_of_transitions(&st, &t, NULL, 0), MIMIC_OK);
  assert_int_equal(st.count, ds.n_steps);
  double m0 = 0;
  for (size_t j = 0; j < ds.n_steps; j++) m0 += mimic_dataset_step_obs(&ds, j)[1];
  m0 /= (double)ds.n_steps;
  assert_true(fabs(st.mean[1] - m0) < 1e-12);
  /* merged episode by episode, bit for bit as adding each episode's rows */
  mimic_obs_stats by_episode;
  assert_int_equal(mimic_obs_stats_init(&by_episode, ds.obs_dim), MIMIC_OK);
  for (size_t e = 0; e < ds.n_episodes; e++) {
    mimic_episode ep = mimic_dataset_episode(&ds, e);
    mimic_obs_stats_add(&by_episode, ep.obs, ep.T);
  }
  assert_memory_equal(st.mean, by_episode.mean, sizeof(double) * (size_t)ds.obs_dim);
  assert_memory_equal(st.m2, by_episode.m2, sizeof(double) * (size_t)ds.obs_dim);
  mimic_obs_stats_free(&by_episode);
  mimic_obs_stats_free(&st);
  /* a subset of rows counts only those */
  uint32_t some[3] = {0, 2, (uint32_t)ds.n_steps - 1};
  assert_int_equal(mimic_obs_stats_of_transitions(&st, &t, some, 3), MIMIC_OK);
  assert_int_equal(st.count, 3);
  mimic_obs_stats_free(&st);
  some[2] = (uint32_t)ds.n_steps;
  assert_int_equal(mimic_obs_stats_of_transitions(&st, &t, some, 3), MIMIC_ERR_INVALID);
  mimic_dataset_free(&ds);
}

static void test_episode_buf_and_validation(void **state) {
  (void)state;
  mimic_dataset ds;
  fx_dataset(&ds, 2);
  float o[4] = {0, 0, 0, 0}, bad_o[4] = {0, NAN, 0, 0};
  float a = 1, bad_a = 2, frac = 0.5f;
  double rr = 1;
  uint8_t f0 = 0;
  mimic_episode ep = {1, NULL, &a, &rr, &f0, &f0, MIMIC_NO_SEED};
  float rows[8];
  memcpy(rows, o, 16);
  memcpy(rows + 4, bad_o, 16);
  ep.obs = rows;
  assert_int_equal(mimic_dataset_add_episode(&ds, &ep), MIMIC_ERR_RANGE);
  assert_non_null(strstr(mimic_errmsg(), "episode 2: observations: row 1, column 1 is not finite"));
  memcpy(rows + 4, o, 16);
  ep.act = &bad_a;
  assert_int_equal(mimic_dataset_add_episode(&ds, &ep), MIMIC_ERR_RANGE);
  assert_non_null(strstr(mimic_errmsg(), "actions: row 0 is 2, outside Discrete(2)"));
  ep.act = &frac;
  assert_int_equal(mimic_dataset_add_episode(&ds, &ep), MIMIC_ERR_RANGE);
  ep.act = &a;
  assert_int_equal(mimic_dataset_add_episode(&ds, &ep), MIMIC_OK);
  assert_int_equal(ds.n_episodes, 3);
  /* growing past the first capacity keeps earlier episodes intact */
  mimic_episode_buf b;
  mimic_episode_buf_init(&b, 4, 1);
  for (size_t e = 3; e < 200; e++) {
    fx_episode(&b, e);
    mimic_episode v = mimic_episode_buf_view(&b);
    assert_int_equal(mimic_dataset_add_episode(&ds, &v), MIMIC_OK);
  }
  for (size_t e = 3; e < 200; e++) {
    mimic_episode v = mimic_dataset_episode(&ds, e);
    fx_check_episode(&v, e);
  }
  mimic_episode v0 = mimic_dataset_episode(&ds, 0);
  fx_check_episode(&v0, 0);
  mimic_episode_buf_free(&b);
  mimic_dataset_free(&ds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transitions_view),
      cmocka_unit_test(test_sampler_covers_each_transition_once),
      cmocka_unit_test(test_split_and_sampler_subset),
      cmocka_unit_test(test_obs_stats_match_two_pass),
      cmocka_unit_test(test_episode_buf_and_validation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
