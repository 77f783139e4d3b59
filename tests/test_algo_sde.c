/* gSDE for SAC (src/algo/sac_sde.c): the squashed state-dependent
 * distribution's log-probability against a direct computation the way
 * SB3 scores it (the action inverted through atanh, a Gaussian of variance
 * latent^2 sigma^2 + 1e-6), its gradient w.r.t. the mean, log_std and the
 * features against central finite differences, the Hardtanh clip of the
 * mean; SAC with gSDE is a pure function of its seed (and a run stopped
 * at a checkpoint mid-rollout continues bit for bit); and on
 * MountainCarContinuous-v0, with rl-zoo's settings, SAC with gSDE reaches
 * the flag where SAC with the same settings and budget does not. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/sac_sde.h"
#include "mimic/nn.h"
#include "mimic/offpolicy.h"

enum { B = 3, F = 5, A = 2 };

typedef struct sde_case {
  float mean[B * A], latent[B * F], log_std[F * A], z[F * A];
  float da[B * A], dlp[B]; /* the loss: sum da * action + sum dlp * log_prob */
} sde_case;

static void make_case(sde_case *c, uint64_t seed) {
  mimic_rng r;
  mimic_rng_seed(&r, seed);
  for (int k = 0; k < B * A; k++) c->mean[k] = (float)mimic_rng_uniform(&r, -1.5, 1.5);
  for (int k = 0; k < B * F; k++) c->latent[k] = (float)mimic_rng_uniform(&r, 0.1, 1.5);
  for (int k = 0; k < F * A; k++) c->log_std[k] = (float)mimic_rng_uniform(&r, -1.5, -0.5);
  for (int k = 0; k < F * A; k++) c->z[k] = (float)mimic_rng_normal(&r);
  for (int k = 0; k < B * A; k++) c->da[k] = (float)mimic_rng_uniform(&r, -1, 1);
  for (int k = 0; k < B; k++) c->dlp[k] = (float)mimic_rng_uniform(&r, -1, 1);
}

/* The loss of a case (double) and, given buffers, its sample. */
static double loss_of(const sde_case *c, float clip, float *action, float *lp) {
  float sigma[F * A], W[F * A], noise[B * A], var[B * A];
  mimic_sde_weights(c->log_std, c->z, F, A, sigma, W);
  mimic_sde_sample(c->mean, c->latent, sigma, W, B, F, A, clip, action, lp, noise, var);
  double L = 0;
  for (int k = 0; k < B * A; k++) L += (double)c->da[k] * action[k];
  for (int i = 0; i < B; i++) L += (double)c->dlp[i] * lp[i];
  return L;
}

static void test_log_prob_direct(void **state) {
  sde_case c;
  make_case(&c, 7);
  float action[B * A], lp[B];
  loss_of(&c, 2.0f, action, lp);
  for (int i = 0; i < B; i++) {
    double want = 0;
    for (int j = 0; j < A; j++) {
      double n = 0, v = 1e-6;
      for (int k = 0; k < F; k++) {
        double s = exp((double)c.log_std[k * A + j]), W = s * c.z[k * A + j];
        n += (double)c.latent[i * F + k] * W;
        v += (double)c.latent[i * F + k] * c.latent[i * F + k] * s * s;
      }
      double mu = c.mean[i * A + j], u = mu + n;
      assert_float_equal(action[i * A + j], tanh(u), 1e-6);
      /* SB3: the Gaussian scores atanh(action); the squash correction */
      double g = atanh((double)action[i * A + j]);
      want += -0.5 * (g - mu) * (g - mu) / v - 0.5 * log(2 * M_PI * v);
      want -= log(1 - tanh(g) * tanh(g) + 1e-6);
    }
    print_message("row %d: log_prob %.6f, direct %.6f\n", i, lp[i], want);
    assert_float_equal(lp[i], want, 1e-4 * (1 + fabs(want)));
  }
  /* the clip: a mean beyond +-2 acts as +-2 */
  c.mean[0] = 5.0f;
  float a2[B * A], lp2[B];
  loss_of(&c, 2.0f, a2, lp2);
  c.mean[0] = 2.0f;
  loss_of(&c, 2.0f, action, lp);
  assert_true(a2[0] == action[0] && lp2[0] == lp[0]);
}

/* Central differences of the loss in double over float32 sums. */
static double fd(sde_case *c, float *x, float clip) {
  const float h = 1e-3f, x0 = *x;
  float action[B * A], lp[B];
  *x = x0 + h;
  double up = loss_of(c, clip, action, lp);
  *x = x0 - h;
  double down = loss_of(c, clip, action, lp);
  *x = x0;
  return (up - down) / (2.0 * h);
}

static void check_grad(double got, double want, const char *what, int k) {
  if (fabs(got - want) > 2e-2 * (1 + fabs(want)))
    fail_msg("d/d%s[%d]: backward %.6f, finite differences %.6f", what, k, got, want);
}

static void test_gradients_finite_differences(void **state) {
  for (uint64_t seed = 1; seed <= 3; seed++) {
    sde_case c;
    make_case(&c, seed);
    c.mean[1] = 2.5f; /* beyond the clip: no gradient */
    const float clip = 2.0f;
    float sigma[F * A], W[F * A], noise[B * A], var[B * A], action[B * A], lp[B];
    mimic_sde_weights(c.log_std, c.z, F, A, sigma, W);
    mimic_sde_sample(c.mean, c.latent, sigma, W, B, F, A, clip, action, lp, noise, var);
    float dmean[B * A], dls[F * A] = {0}, dlat[B * F];
    mimic_sde_backward(c.mean, c.latent, sigma, c.z, W, action, noise, var, B, F, A, clip, c.da,
                       c.dlp, dmean, dls, dlat);
    assert_true(dmean[1] == 0.0f);
    for (int k = 0; k < B * A; k++) check_grad(dmean[k], fd(&c, &c.mean[k], clip), "mean", k);
    for (int k = 0; k < F * A; k++) check_grad(dls[k], fd(&c, &c.log_std[k], clip), "log_std", k);
    for (int k = 0; k < B * F; k++) check_grad(dlat[k], fd(&c, &c.latent[k], clip), "latent", k);
    /* the gradient w.r.t. log_std adds to what is there */
    float again[F * A];
    memcpy(again, dls, sizeof dls);
    mimic_sde_backward(c.mean, c.latent, sigma, c.z, W, action, noise, var, B, F, A, clip, c.da,
                       c.dlp, dmean, again, NULL);
    for (int k = 0; k < F * A; k++) assert_float_equal(again[k], 2 * dls[k], 1e-5);
  }
}

/* rl-zoo's MountainCarContinuous-v0 SAC, with or without gSDE. */
static mimic_offpolicy_config zoo(bool sde, long steps, uint64_t seed) {
  mimic_offpolicy_config c =
      mimic_generate_defaults("MountainCarContinuous-v0", MIMIC_QUALITY_MEDIUM, 1).sac;
  c.use_sde = sde;
  c.total_steps = steps;
  c.seed = seed;
  return c;
}

static mimic_offpolicy *run(const mimic_offpolicy_config *c, long steps) {
  mimic_offpolicy *t;
  if (mimic_offpolicy_create(c, NULL, &t)) fail_msg("%s", mimic_errmsg());
  if (mimic_offpolicy_learn(t, steps, 0, NULL, NULL)) fail_msg("%s", mimic_errmsg());
  return t;
}

static char *saved(mimic_offpolicy *t, const char *name, size_t *len) {
  char *p = tu_tmp_path(name), *buf;
  if (mimic_offpolicy_save(t, p, NULL)) fail_msg("%s", mimic_errmsg());
  if (mimic_read_file(p, &buf, len)) fail_msg("%s", mimic_errmsg());
  remove(p);
  free(p);
  return buf;
}

static void test_deterministic_and_resumes(void **state) {
  mimic_nn_set_threads(1);
  mimic_offpolicy_config c = zoo(true, 1500, 5);
  c.batch_size = 64;
  c.hidden[0] = c.hidden[1] = 16;
  c.sde_sample_freq = 8; /* new matrices inside rollouts too */
  mimic_offpolicy *a = run(&c, 0), *b = run(&c, 700);
  /* b stops mid-rollout (700 = 21 x 32 + 28), goes through a file */
  char *ck = tu_tmp_path("sde.ckpt");
  assert_int_equal(mimic_offpolicy_save_checkpoint(b, ck), MIMIC_OK);
  mimic_offpolicy_free(b);
  assert_int_equal(mimic_offpolicy_create(&c, NULL, &b), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_load_checkpoint(b, ck), MIMIC_OK);
  assert_int_equal(mimic_offpolicy_learn(b, 0, 0, NULL, NULL), MIMIC_OK);
  c.seed = 6;
  mimic_offpolicy *d = run(&c, 0);
  size_t la, lb, ld;
  char *fa = saved(a, "sde_a.mimic", &la), *fb = saved(b, "sde_b.mimic", &lb),
       *fd_ = saved(d, "sde_d.mimic", &ld);
  assert_int_equal(la, lb);
  assert_memory_equal(fa, fb, la);
  assert_true(la != ld || memcmp(fa, fd_, la) != 0);
  /* the settings are in the policy file */
  char *pa = tu_tmp_path("sde_meta.mimic");
  mimic_model m;
  assert_int_equal(mimic_offpolicy_save(a, pa, NULL), MIMIC_OK);
  assert_int_equal(mimic_model_load(pa, NULL, 1, &m), MIMIC_OK);
  assert_non_null(strstr(m.metadata, "\"use_sde\":true"));
  assert_int_equal(m.cfg.act_dim, 1);
  mimic_model_free(&m);
  remove(pa);
  free(pa);
  /* a plain SAC learner does not take gSDE's checkpoint */
  c.use_sde = false;
  c.seed = 5;
  mimic_offpolicy *x;
  assert_int_equal(mimic_offpolicy_create(&c, NULL, &x), MIMIC_OK);
  assert_int_not_equal(mimic_offpolicy_load_checkpoint(x, ck), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "use_sde"));
  mimic_offpolicy_free(x);
  remove(ck);
  free(ck), free(fa), free(fb), free(fd_);
  mimic_offpolicy_free(a), mimic_offpolicy_free(b), mimic_offpolicy_free(d);
}

static void test_refusals(void **state) {
  mimic_offpolicy_config c = mimic_offpolicy_defaults(MIMIC_OFFPOLICY_TD3);
  c.env_id = "Pendulum-v1";
  c.use_sde = true;
  mimic_offpolicy *t = NULL;
  assert_int_not_equal(mimic_offpolicy_create(&c, NULL, &t), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "gSDE"));
  c = zoo(true, 100, 0);
  c.sde_sample_freq = 0;
  assert_int_not_equal(mimic_offpolicy_create(&c, NULL, &t), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "sde_sample_freq"));
  c = zoo(true, 100, 0);
  c.train_freq = 0;
  assert_int_not_equal(mimic_offpolicy_create(&c, NULL, &t), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "train_freq"));
  assert_null(t);
}

/* The zoo's settings for BUDGET steps, seed 0, scored on 20 episodes from
 * seed 1000: gSDE reaches the flag (+100 there; standing still scores 0,
 * random play about -33), plain SAC's per-step noise does not. */
#define BUDGET 15000
static void test_sde_solves_mountain_car(void **state) {
  mimic_nn_set_threads(1);
  double ret[2];
  for (int sde = 0; sde < 2; sde++) {
    mimic_offpolicy_config c = zoo(sde, BUDGET, 0);
    mimic_offpolicy *t = run(&c, 0);
    assert_int_equal(mimic_offpolicy_evaluate(t, 20, 1000, &ret[sde], NULL), MIMIC_OK);
    print_message("SAC%s on MountainCarContinuous-v0, %d steps: %.2f\n", sde ? "+gSDE" : "", BUDGET,
                  ret[sde]);
    mimic_offpolicy_free(t);
  }
  assert_true(ret[1] > 80);
  assert_true(ret[0] < 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_prob_direct),
      cmocka_unit_test(test_gradients_finite_differences),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_deterministic_and_resumes),
      cmocka_unit_test(test_sde_solves_mountain_car),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
