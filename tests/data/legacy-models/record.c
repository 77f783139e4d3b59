/* Prints what the legacy model files in this folder compute on fixed
 * inputs, as the JSON of expected.json. Built by hand (see README.md), not
 * by CMake: run it once with the commit that wrote the files, and the tests
 * (tests/test_*_legacy.c) then check that today's readers give the same
 * numbers. Floats are printed with %.9g and doubles with %.17g, which
 * round-trip exactly. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "mimic/agent.h"
#include "mimic/nn.h"
#include "mimic/reward.h"
#include "mimic/text.h"

static const float policy_obs[3][4] = {
    {0.01f, -0.02f, 0.03f, 0.04f}, {0.5f, 1.0f, -0.1f, -1.5f}, {-1.0f, 0.25f, 0.2f, 2.0f}};

static void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, mimic_errmsg());
  exit(1);
}

static void floats(const char *key, const float *x, int n, const char *sep) {
  printf("\"%s\": [", key);
  for (int i = 0; i < n; i++) printf("%s%.9g", i ? ", " : "", x[i]);
  printf("]%s", sep);
}

static void doubles(const char *key, const double *x, int n, const char *sep) {
  printf("\"%s\": [", key);
  for (int i = 0; i < n; i++) printf("%s%.17g", i ? ", " : "", x[i]);
  printf("]%s", sep);
}

/* Actor outputs (and critic values) of the first obs_dim columns of policy_obs. */
static void policy(const char *dir, const char *name, const char *sep) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  mimic_model m;
  if (mimic_model_load(path, NULL, 3, &m)) die(path);
  int D = m.cfg.obs_dim, A = m.cfg.act_dim;
  float obs[3 * 4];
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < D; k++) obs[i * D + k] = policy_obs[i][k];
  printf("  \"%s\": {\"n_params\": %zu, ", name, m.n_params);
  floats("first_params", m.params, 4, ", ");
  if (mimic_model_forward(&m, obs, 3)) die(path);
  floats("actor_out", m.actor.out, 3 * A, m.cfg.critic ? ", " : "");
  if (m.cfg.critic) {
    if (mimic_model_value(&m, obs, 3)) die(path);
    floats("value", m.critic.out, 3, "");
  }
  printf("}%s\n", sep);
  mimic_model_free(&m);
}

/* Rewards of three CartPole transitions; terminated on the last one. */
static void reward(const char *dir, const char *name, const char *sep) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  mimic_reward_net r;
  if (mimic_reward_net_load(path, &r)) die(path);
  float act[3] = {0, 1, 1};
  bool term[3] = {false, false, true};
  double pred[3], fn[3];
  if (mimic_reward_net_predict(&r, &policy_obs[0][0], act, &policy_obs[1][0], 3, pred)) die(path);
  if (mimic_reward_net_fn(&r, &policy_obs[0][0], act, &policy_obs[1][0], term, 3, fn)) die(path);
  printf("  \"%s\": {", name);
  doubles("predict", pred, 3, ", ");
  doubles("reward_fn", fn, 3, "");
  printf("}%s\n", sep);
  mimic_reward_net_free(&r);
}

static const char *const texts[3] = {"my card got declined", "top up please",
                                     "where is the refund for my card"};

static void text(const char *dir, const char *name, const char *sep) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  mimic_text_model m;
  if (mimic_text_model_load(&m, path)) die(path);
  double p[3 * 16];
  if (m.classes.n > 16 || mimic_text_model_proba(&m, texts, 3, p)) die(path);
  printf("  \"%s\": {\"n_classes\": %d, \"n_features\": %lld, ", name, m.classes.n,
         (long long)m.vec.n_features);
  doubles("proba", p, 3 * m.classes.n, "");
  printf("}%s\n", sep);
  mimic_text_model_free(&m);
}

static const char *const states[3] = {
    "{\"intent\": \"order_status\", \"request\": \"Where is order F1207?\"}",
    "{\"intent\": \"refund\", \"request\": \"I want my money back for order A1234\", "
    "\"previous_actions\": [\"search_orders\"], \"last_observation\": \"{\\\"status\\\": "
    "\\\"delivered\\\"}\"}",
    "{\"request\": \"My blender arrived broken!\"}"};

static void agent(const char *dir, const char *name, const char *sep) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  mimic_agent_model *m;
  mimic_agent_scratch *s;
  if (mimic_agent_load(path, &m) || mimic_agent_scratch_new(m, &s)) die(path);
  int K = mimic_agent_n_actions(m);
  printf("  \"%s\": {\"n_actions\": %d, \"n_demos\": %zu, \"states\": [\n", name, K,
         mimic_agent_n_demos(m));
  for (int i = 0; i < 3; i++) {
    json_t *j = json_loads(states[i], 0, NULL);
    mimic_agent_state_buf b;
    mimic_agent_prediction p;
    if (!j || mimic_agent_state_from_json(j, &b) || mimic_agent_predict(m, &b.s, s, &p)) die(path);
    printf("    {\"action\": \"%s\", \"confidence\": %.17g, ",
           p.action >= 0 ? mimic_agent_action(m, p.action) : "", p.confidence);
    doubles("proba", p.proba, K, "");
    printf("}%s\n", i < 2 ? "," : "");
    mimic_agent_state_buf_free(&b);
    json_decref(j);
  }
  printf("  ]}%s\n", sep);
  mimic_agent_scratch_free(s);
  mimic_agent_free(m);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  printf("{\n");
  policy(dir, "bc-cartpole.mimic", ",");
  policy(dir, "ppo-pendulum.mimic", ",");
  reward(dir, "gail-reward.mimic", ",");
  reward(dir, "airl-reward.mimic", ",");
  text(dir, "text-ovr.mimic", ",");
  text(dir, "text-softmax.mimic", ",");
  agent(dir, "agent-frequency.mimic", ",");
  agent(dir, "agent-logreg.mimic", ",");
  agent(dir, "agent-forest.mimic", "");
  printf("}\n");
  return 0;
}
