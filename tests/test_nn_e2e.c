/* A whole BC training run (bc_train_e2e.json): full-batch Adam on a
 * 4 -> [8] -> 2 tanh MLP with imitation's BC loss for 200 steps, checking
 * the loss trace every 20 steps, the first gradient, the first update, the
 * final parameters and the final training accuracy. Also: the same run
 * twice gives the same bits. */
#include "nn_testutil.h"
#include "nn/layers.h"
#include "nn/heads.h"
#include "nn/optim.h"
#include "nn/model.h"

static void run(const json_t *c, bool check, float *final_params) {
  int sizes[MIMIC_MLP_MAX_LAYERS + 1];
  int ns = nt_sizes(c, "sizes", sizes);
  int B = (int)tu_num(c, "n_samples"), steps = (int)tu_num(c, "n_steps");
  int every = (int)tu_num(c, "record_every");
  float ent_w = (float)tu_num(c, "ent_weight"), l2_w = (float)tu_num(c, "l2_weight");
  const json_t *oc = nt_get(c, "optimizer");
  assert_string_equal(json_string_value(nt_get(oc, "name")), "adam");
  mimic_optim_config ocfg = mimic_optim_defaults(MIMIC_OPTIM_ADAM);
  ocfg.lr = tu_num(oc, "lr");
  ocfg.beta1 = tu_num(oc, "beta1");
  ocfg.beta2 = tu_num(oc, "beta2");
  ocfg.eps = tu_num(oc, "eps");
  ocfg.weight_decay = tu_num(oc, "weight_decay");

  mimic_model_config cfg;
  mimic_model_config_init(&cfg, sizes[0], sizes[ns - 1], MIMIC_HEAD_CATEGORICAL);
  cfg.n_hidden = ns - 2;
  for (int i = 0; i < ns - 2; i++) cfg.hidden[i] = sizes[i + 1];
  cfg.activation = nt_act(c);
  cfg.critic = false;
  mimic_model m;
  assert_int_equal(mimic_model_create(&m, &cfg, B), MIMIC_OK);
  nt_load_layers(nt_get(c, "params_init"), &m.actor);
  mimic_optim o;
  assert_int_equal(mimic_optim_create(&o, &ocfg, m.n_params), MIMIC_OK);

  size_t nobs, nact;
  float *obs = tu_tensor_f32(nt_get(c, "obs"), &nobs);
  int64_t *a64 = tu_tensor_i64(nt_get(c, "acts"), &nact);
  assert_int_equal(nobs, (size_t)B * sizes[0]);
  assert_int_equal(nact, (size_t)B);
  int32_t *acts = malloc(B * sizeof *acts);
  for (int i = 0; i < B; i++) acts[i] = (int32_t)a64[i];

  const json_t *ref = nt_get(c, "f64"), *trace = nt_get(ref, "loss_trace");
  assert_int_equal(json_array_size(trace), (size_t)(steps / every + 1));
  char what[160];
  for (int k = 0; k <= steps; k++) {
    mimic_bc_stats st;
    mimic_model_zero_grad(&m);
    assert_int_equal(mimic_model_bc_discrete(&m, obs, acts, NULL, B, ent_w, l2_w, &st), MIMIC_OK);
    if (check && k % every == 0) {
      const json_t *r = json_array_get(trace, k / every);
      assert_int_equal((int)tu_num(r, "step"), k);
      const char *fields[] = {"loss", "neglogp", "entropy", "l2_norm", "prob_true_act"};
      double got[] = {st.loss, st.neglogp, st.entropy, st.l2_norm, st.prob_true_act};
      for (int f = 0; f < 5; f++) {
        snprintf(what, sizeof what, "step %d %s", k, fields[f]);
        nt_check_scalar(got[f], nt_get(r, fields[f]), NT_ATOL, NT_RTOL, what);
      }
    }
    if (check && k == 0)
      nt_check_layers(m.grads, &m.actor, nt_get(ref, "grads_step0"), NT_ATOL, NT_RTOL,
                      "grads_step0");
    if (k == steps) break;
    mimic_optim_step(&o, m.params, m.grads);
    if (check && k == 0)
      nt_check_layers(m.params, &m.actor, nt_get(ref, "params_after_step1"), NT_ATOL, NT_RTOL,
                      "params_after_step1");
  }
  if (check) {
    nt_check_layers(m.params, &m.actor, nt_get(ref, "params_final"), NT_ATOL, NT_RTOL,
                    "params_final");
    assert_int_equal(mimic_model_forward(&m, obs, B), MIMIC_OK);
    int32_t *pred = malloc(B * sizeof *pred);
    mimic_cat_argmax(m.actor.out, B, cfg.act_dim, pred);
    int correct = 0;
    for (int i = 0; i < B; i++) correct += pred[i] == acts[i];
    double want = tu_num(ref, "train_accuracy_final");
    assert_int_equal(correct, (int)lround(want * B)); /* an exact count */
    free(pred);
  }
  memcpy(final_params, m.params, m.n_params * sizeof(float));
  mimic_optim_free(&o);
  mimic_model_free(&m);
  free(obs);
  free(a64);
  free(acts);
}

static void test_bc_train_e2e(void **state) {
  (void)state;
  json_t *f = tu_load_json("nn/bc_train_e2e.json");
  const json_t *c = nt_case(f, "bc_e2e_4_8_2_tanh");
  float a[4096], b[4096];
  run(c, true, a);
  run(c, false, b);
  int sizes[MIMIC_MLP_MAX_LAYERS + 1];
  int ns = nt_sizes(c, "sizes", sizes);
  size_t n = mimic_mlp_param_count(sizes, ns);
  assert_true(n <= 4096);
  assert_memory_equal(a, b, n * sizeof(float)); /* deterministic, bit for bit */
  json_decref(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bc_train_e2e),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
