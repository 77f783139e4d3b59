/* The test helper that evaluates a trained model (testutil.h). Its own
 * object in the helper library, so only tests that call it link the
 * algorithms it needs. */
#include "testutil.h"

#include "mimic/evaluate.h"

double tu_model_return(struct mimic_model *model, const char *env_id, int episodes) {
  mimic_env *env;
  assert_int_equal(mimic_env_make(env_id, NULL, &env), MIMIC_OK);
  mimic_policy *p;
  assert_int_equal(mimic_policy_from_model(model, mimic_env_action_space(env), &p), MIMIC_OK);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = episodes;
  ec.seed = 1000;
  ec.normalize = false;
  mimic_eval_result r = {0};
  assert_int_equal(mimic_evaluate(p, env_id, NULL, &ec, &r), MIMIC_OK);
  const double mean = r.return_mean;
  mimic_eval_result_free(&r);
  mimic_policy_free(p);
  mimic_env_free(env);
  return mean;
}
