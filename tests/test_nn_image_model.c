/* Image models: a conv trunk in front of the actor (cfg.conv). BC's
 * gradient through the trunk agrees with finite differences; a policy file
 * round trips bit for bit (parameters and outputs); the architecture
 * check names conv differences; hostile conv architectures in a file are
 * clean errors naming the field; configurations that cannot work (no
 * image, a critic, kernels that do not fit) are refused. */
#include "nn_testutil.h"
#include "nn/cnn.h"
#include "nn/model.h"

/* A 1 x 12 x 10 image, 3 actions: 16 5x5/2, 32 3x3/2, [64], relu. */
static void make_image_model(mimic_model *m, uint64_t seed) {
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, 120, 3, MIMIC_HEAD_CATEGORICAL);
  assert_int_equal(mimic_model_config_cnn(&cfg, 1, 12, 10), MIMIC_OK);
  assert_int_equal(cfg.conv.n_conv, 2);
  assert_false(cfg.critic);
  cfg.hidden[0] = 8; /* small enough for finite differences over everything */
  assert_int_equal(mimic_model_create(m, &cfg, 6), MIMIC_OK);
  assert_non_null(m->trunk);
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  assert_int_equal(mimic_model_init_params(m, MIMIC_INIT_TORCH, &rng), MIMIC_OK);
}

typedef struct bc_ctx {
  mimic_model *m;
  float *obs;
  int32_t *acts;
  int B;
} bc_ctx;

static double bc_loss(void *p) {
  bc_ctx *c = p;
  mimic_bc_stats st;
  assert_int_equal(mimic_model_bc_discrete(c->m, c->obs, c->acts, NULL, c->B, 0, 0, &st), MIMIC_OK);
  return st.neglogp;
}

static void test_bc_gradient_through_trunk(void **state) {
  (void)state;
  enum { B = 4, D = 120 };
  float obs[B * D];
  int32_t acts[B] = {0, 2, 1, 2};
  mimic_model m = {0};
  bc_ctx c = {&m, obs, acts, B};
  /* a seed whose ReLU inputs all keep clear of the kink */
  bool clear = false;
  for (uint64_t seed = 1; seed < 3000 && !clear; seed++) {
    mimic_model_free(&m);
    make_image_model(&m, seed);
    mimic_rng rng;
    mimic_rng_seed(&rng, seed + 1000);
    nt_fill(obs, B * D, 0, 1, &rng);
    bc_loss(&c);
    clear = true;
    for (int l = 0; l < m.trunk->cfg.n_conv; l++) {
      const mimic_conv2d_shape *s = &m.trunk->conv[l];
      for (size_t k = 0; k < (size_t)B * s->O * s->Ho * s->Wo; k++)
        clear = clear && fabsf(m.trunk->pre[l][k]) > 0.003f;
    }
    for (int k = 0; k < B * m.cfg.hidden[0]; k++)
      clear = clear && fabsf(m.actor.pre[0][k]) > 0.003f;
  }
  assert_true(clear);
  mimic_model_zero_grad(&m);
  bc_loss(&c);
  float *grad = malloc(m.n_params * sizeof *grad);
  memcpy(grad, m.grads, m.n_params * sizeof *grad);
  nt_fd_check(bc_loss, &c, m.params, grad, m.n_params, 1e-3f, 2e-4, 2e-3, "image model bc");
  /* the trunk's parameters come first and do get gradient */
  double trunk_norm = 0;
  for (size_t k = 0; k < m.trunk->n_params; k++) trunk_norm += fabs(grad[k]);
  assert_true(trunk_norm > 0);
  free(grad);
  mimic_model_free(&m);
}

static void test_round_trip(void **state) {
  (void)state;
  mimic_model m, back;
  make_image_model(&m, 5);
  float mean[120], var[120], obs[2 * 120];
  for (int k = 0; k < 120; k++) mean[k] = 0.01f * k, var[k] = 1.0f + 0.1f * k;
  assert_int_equal(mimic_model_set_obs_norm(&m, mean, var, 1e-8f, 10.0f), MIMIC_OK);
  char *path = tu_tmp_path("image.policy");
  assert_int_equal(mimic_model_save(&m, path), MIMIC_OK);
  assert_int_equal(mimic_model_load(path, &m.cfg, 3, &back), MIMIC_OK);
  assert_int_equal(back.n_params, m.n_params);
  assert_memory_equal(back.params, m.params, m.n_params * sizeof(float));
  assert_int_equal(mimic_model_config_compare(&back.cfg, &m.cfg), MIMIC_OK);
  mimic_rng rng;
  mimic_rng_seed(&rng, 9);
  nt_fill(obs, 2 * 120, 0, 1, &rng);
  assert_int_equal(mimic_model_forward(&m, obs, 2), MIMIC_OK);
  assert_int_equal(mimic_model_forward(&back, obs, 2), MIMIC_OK);
  assert_memory_equal(back.actor.out, m.actor.out, 2 * 3 * sizeof(float));
  /* an MLP of the same sizes is another architecture, and says why */
  mimic_model_config mlp = m.cfg;
  mlp.conv.n_conv = 0;
  mimic_model other;
  assert_int_equal(mimic_model_load(path, &mlp, 3, &other), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "conv layers"));
  mimic_model_config wider = m.cfg;
  wider.conv.channels[1] = 8;
  assert_int_equal(mimic_model_load(path, &wider, 3, &other), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "conv layer 1"));
  /* a copy and a bigger cache keep the outputs */
  mimic_model copy;
  assert_int_equal(mimic_model_copy(&m, 5, &copy), MIMIC_OK);
  assert_int_equal(mimic_model_reserve(&copy, 9), MIMIC_OK);
  assert_int_equal(mimic_model_forward(&copy, obs, 2), MIMIC_OK);
  assert_memory_equal(copy.actor.out, m.actor.out, 2 * 3 * sizeof(float));
  mimic_model_free(&copy);
  mimic_model_free(&back);
  mimic_model_free(&m);
  free(path);
}

/* Encodes m with its meta.architecture.conv replaced by conv_json. */
static mimic_status decode_with_conv(const mimic_model *m, const char *conv_json) {
  mimic_container c;
  assert_int_equal(mimic_container_init(&c, MIMIC_KIND_POLICY, 1), MIMIC_OK);
  assert_int_equal(mimic_model_to_container(m, &c), MIMIC_OK);
  json_t *arch = json_object_get(c.meta, "architecture");
  json_error_t err;
  json_t *conv = json_loads(conv_json, 0, &err);
  assert_non_null(conv);
  json_object_set_new(arch, "conv", conv);
  uint8_t *buf;
  size_t len;
  assert_int_equal(mimic_container_encode(&c, &buf, &len), MIMIC_OK);
  mimic_container_free(&c);
  mimic_model out;
  mimic_status st = mimic_model_decode(buf, len, "hostile.policy", NULL, 2, &out);
  free(buf);
  if (st == MIMIC_OK) mimic_model_free(&out);
  return st;
}

static void test_hostile_conv(void **state) {
  (void)state;
  mimic_model m;
  make_image_model(&m, 6);
  static const char *const bad[] = {
      "[]",
      "{\"image\": [1, 12], \"layers\": []}",
      "{\"image\": [1, 12, 11], \"layers\": [{\"channels\": 16, \"kernel\": 5, \"stride\": 2, "
      "\"padding\": 0}]}", /* 132 values, obs_dim 120 */
      "{\"image\": [1, 12, 10], \"layers\": [{\"channels\": 16, \"kernel\": 50, \"stride\": 2, "
      "\"padding\": 0}]}", /* the kernel does not fit */
      "{\"image\": [1, 12, 10], \"layers\": [{\"channels\": -1, \"kernel\": 5, \"stride\": 2, "
      "\"padding\": 0}]}",
      "{\"image\": [1, 12, 10], \"layers\": [{\"channels\": 16, \"kernel\": 5, \"stride\": 0, "
      "\"padding\": 0}]}",
      "{\"image\": [1, 12, 10], \"layers\": [{\"channels\": 16, \"kernel\": 5}]}",
      /* a valid trunk whose parameter count differs from the file's */
      "{\"image\": [1, 12, 10], \"layers\": [{\"channels\": 16, \"kernel\": 5, \"stride\": 2, "
      "\"padding\": 0}, {\"channels\": 24, \"kernel\": 3, \"stride\": 2, \"padding\": 0}]}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mimic_status st = decode_with_conv(&m, bad[i]);
    if (st == MIMIC_OK) fail_msg("hostile conv %zu loaded: %s", i, bad[i]);
    assert_non_null(strstr(mimic_errmsg(), "hostile.policy"));
  }
  mimic_model_free(&m);
}

static void test_refused_configs(void **state) {
  (void)state;
  mimic_model_config cfg;
  mimic_model_config_init(&cfg, 100, 3, MIMIC_HEAD_CATEGORICAL);
  assert_int_equal(mimic_model_config_cnn(&cfg, 1, 12, 10), MIMIC_ERR_INVALID); /* 120 != 100 */
  mimic_model_config_init(&cfg, 120, 3, MIMIC_HEAD_CATEGORICAL);
  assert_int_equal(mimic_model_config_cnn(&cfg, 1, 12, 10), MIMIC_OK);
  cfg.critic = true;
  assert_int_equal(mimic_model_check_config(&cfg), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "critic"));
  cfg.critic = false;
  cfg.conv.kernel[0] = 13;
  assert_int_equal(mimic_model_check_config(&cfg), MIMIC_ERR_INVALID);
  /* 84 x 84 gets Nature-CNN's trunk and 512 hidden units */
  mimic_model_config_init(&cfg, 4 * 84 * 84, 6, MIMIC_HEAD_CATEGORICAL);
  assert_int_equal(mimic_model_config_cnn(&cfg, 4, 84, 84), MIMIC_OK);
  assert_int_equal(cfg.conv.n_conv, 3);
  assert_int_equal(cfg.conv.kernel[0], 8);
  assert_int_equal(cfg.hidden[0], 512);
  mimic_model m;
  assert_int_equal(mimic_model_create(&m, &cfg, 2), MIMIC_OK);
  assert_int_equal(m.actor.sizes[0], 64 * 7 * 7); /* 3136, as SB3's NatureCNN */
  mimic_model_free(&m);
  /* a 3x7x7 gridworld view, where 5x5/2 then 3x3/2 does not fit: 2x2/1 convs
     16, 32, 64 (7 -> 6 -> 5 -> 4) */
  mimic_model_config_init(&cfg, 3 * 7 * 7, 7, MIMIC_HEAD_CATEGORICAL);
  assert_int_equal(mimic_model_config_cnn(&cfg, 3, 7, 7), MIMIC_OK);
  assert_int_equal(cfg.conv.n_conv, 3);
  for (int l = 0; l < 3; l++) {
    assert_int_equal(cfg.conv.kernel[l], 2);
    assert_int_equal(cfg.conv.stride[l], 1);
    assert_int_equal(cfg.conv.channels[l], 16 << l);
  }
  assert_int_equal(mimic_model_create(&m, &cfg, 2), MIMIC_OK);
  assert_int_equal(m.actor.sizes[0], 64 * 4 * 4);
  mimic_model_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bc_gradient_through_trunk),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_hostile_conv),
      cmocka_unit_test(test_refused_configs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
