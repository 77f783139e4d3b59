/* PPO, part 3: configuration (defaults, tuned presets, checks), access to
 * the policy, evaluation, policy files, and the per-iteration log and chart.
 *
 * Presets are rl-zoo's hyperparameters where they exist, adapted where
 * mimic differs (no gSDE, so Pendulum gets a lower initial std and more
 * environments); docs/rl.md lists them with the step budgets that the
 * tests and bench/rl use. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/ppo_impl.h"
#include "mimic/evaluate.h"
#include "mimic/plot.h"
#include "mimic/policy.h"
#include "core/util.h"
#include "nn/layers.h"
#include "nn/heads.h"

mimic_ppo_config mimic_ppo_defaults(void) {
  mimic_ppo_config c;
  memset(&c, 0, sizeof c);
  c.n_envs = 8;
  c.n_steps = 2048;
  c.batch_size = 64;
  c.n_epochs = 10;
  c.learning_rate = 3e-4;
  c.gamma = 0.99;
  c.gae_lambda = 0.95;
  c.clip_range = 0.2;
  c.normalize_advantage = true;
  c.ent_coef = 0.0;
  c.vf_coef = 0.5;
  c.max_grad_norm = 0.5;
  c.adam_eps = 1e-5;
  c.norm_obs = true;
  c.norm_reward = false;
  c.clip_obs = 10.0;
  c.clip_reward = 10.0;
  c.n_hidden = 2;
  c.hidden[0] = c.hidden[1] = 64;
  c.vf_n_hidden = 2;
  c.vf_hidden[0] = c.vf_hidden[1] = 64;
  c.activation = MIMIC_ACT_TANH;
  c.log_std_init = 0.0;
  c.ortho_init = true;
  c.total_steps = 100000;
  c.anchor = MIMIC_ANCHOR_NONE;
  return c;
}

/* One tuned setting; the fields it names replace the defaults. */
typedef struct ppo_preset {
  const char *env_id;
  int n_envs, n_steps, batch_size, n_epochs;
  double gae_lambda, gamma, ent_coef, learning_rate, clip_range;
  bool lr_linear, clip_linear, norm_obs, norm_reward;
  long total_steps;
} ppo_preset;

/* CartPole, Acrobot and MountainCar are rl-zoo's ppo.yml; Pendulum is
 * rl-zoo's retuned without gSDE (docs/rl.md). Columns: envs, steps, batch,
 * epochs, lambda, gamma, ent_coef, lr, clip, linear lr, linear clip,
 * normalise observations, normalise rewards, total steps. */
static const ppo_preset ppo_presets[] = {
    {"CartPole-v1", 8, 32, 256, 20, 0.8, 0.98, 0.0, 1e-3, 0.2, true, true, false, false, 100000},
    {"Pendulum-v1", 8, 256, 64, 10, 0.95, 0.95, 0.0, 1e-3, 0.2, true, false, true, true, 200000},
    {"Acrobot-v1", 16, 256, 64, 4, 0.94, 0.99, 0.0, 3e-4, 0.2, false, false, true, true, 1000000},
    {"MountainCar-v0", 16, 16, 64, 4, 0.98, 0.99, 0.0, 3e-4, 0.2, false, false, true, true,
     1000000},
};

bool mimic_ppo_preset(const char *env_id, mimic_ppo_config *c) {
  for (size_t i = 0; i < sizeof ppo_presets / sizeof *ppo_presets; i++) {
    const ppo_preset *p = &ppo_presets[i];
    if (strcmp(env_id, p->env_id) != 0) continue;
    c->n_envs = p->n_envs;
    c->n_steps = p->n_steps;
    c->batch_size = p->batch_size;
    c->n_epochs = p->n_epochs;
    c->gae_lambda = p->gae_lambda;
    c->gamma = p->gamma;
    c->ent_coef = p->ent_coef;
    c->learning_rate = p->learning_rate;
    c->lr_linear = p->lr_linear;
    c->clip_range = p->clip_range;
    c->clip_linear = p->clip_linear;
    c->norm_obs = p->norm_obs;
    c->norm_reward = p->norm_reward;
    c->total_steps = p->total_steps;
    return true;
  }
  return false;
}

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) return mimic_fail(MIMIC_ERR_INVALID, __VA_ARGS__);                                \
  } while (0)

mimic_status mimic_ppo_check(const mimic_ppo_config *c) {
  CHECK(c->env_id && *c->env_id, "ppo: no environment id");
  CHECK(c->n_envs >= 1 && c->n_envs <= 4096, "ppo: n_envs %d must be in 1..4096", c->n_envs);
  CHECK(c->n_steps >= 1, "ppo: n_steps %d must be >= 1", c->n_steps);
  CHECK((long long)c->n_steps * c->n_envs <= (1LL << 26),
        "ppo: a rollout of %d x %d steps is too large", c->n_steps, c->n_envs);
  CHECK(c->batch_size >= 2,
        "ppo: batch_size %d must be >= 2 (advantages are normalised per minibatch)", c->batch_size);
  CHECK(c->n_epochs >= 1, "ppo: n_epochs %d must be >= 1", c->n_epochs);
  CHECK(c->learning_rate > 0 && isfinite(c->learning_rate), "ppo: learning_rate %g must be > 0",
        c->learning_rate);
  CHECK(c->gamma >= 0 && c->gamma <= 1, "ppo: gamma %g must be in [0, 1]", c->gamma);
  CHECK(c->gae_lambda >= 0 && c->gae_lambda <= 1, "ppo: gae_lambda %g must be in [0, 1]",
        c->gae_lambda);
  CHECK(c->clip_range > 0 && isfinite(c->clip_range), "ppo: clip_range %g must be > 0",
        c->clip_range);
  CHECK(isfinite(c->clip_range_vf), "ppo: clip_range_vf must be finite (<= 0 for none)");
  CHECK(c->ent_coef >= 0 && isfinite(c->ent_coef), "ppo: ent_coef %g must be >= 0", c->ent_coef);
  CHECK(c->vf_coef >= 0 && isfinite(c->vf_coef), "ppo: vf_coef %g must be >= 0", c->vf_coef);
  CHECK(isfinite(c->max_grad_norm) && isfinite(c->target_kl),
        "ppo: max_grad_norm and target_kl must be finite");
  CHECK(c->adam_eps >= 0 && isfinite(c->adam_eps), "ppo: adam_eps %g must be >= 0", c->adam_eps);
  CHECK(c->clip_obs >= 0 && c->clip_reward > 0, "ppo: clip_obs must be >= 0 and clip_reward > 0");
  CHECK(c->n_hidden >= 0 && c->n_hidden < MIMIC_MLP_MAX_LAYERS && c->vf_n_hidden >= 0 &&
            c->vf_n_hidden < MIMIC_MLP_MAX_LAYERS,
        "ppo: at most %d hidden layers", MIMIC_MLP_MAX_LAYERS - 1);
  CHECK(isfinite(c->log_std_init), "ppo: log_std_init must be finite");
  CHECK(c->total_steps >= 0, "ppo: total_steps must be >= 0");
  CHECK(c->anchor >= MIMIC_ANCHOR_NONE && c->anchor <= MIMIC_ANCHOR_BC,
        "ppo: unknown anchor kind %d", (int)c->anchor);
  CHECK(c->anchor_coef >= 0 && isfinite(c->anchor_coef), "ppo: anchor_coef %g must be >= 0",
        c->anchor_coef);
  CHECK(c->anchor_decay_steps >= 0, "ppo: anchor_decay_steps must be >= 0");
  return MIMIC_OK;
}

mimic_status mimic_ppo_log_prob(mimic_ppo *p, const float *obs, const float *actions, int n,
                                float *out) {
  const int D = p->D, K = p->K, cap = p->mb; /* rows of the m_* buffers */
  for (int s = 0; s < n; s += cap) {
    int B = n - s < cap ? n - s : cap;
    MIMIC_TRY(ppo_normalize(p, obs + (size_t)s * D, B, p->m_obs));
    MIMIC_TRY(mimic_mlp_forward(&p->model.actor, p->m_obs, B));
    const float *a = actions + (size_t)s * (size_t)p->aw;
    if (p->discrete) {
      for (int i = 0; i < B; i++) {
        if (!(a[i] >= 0 && a[i] < K))
          return mimic_fail(MIMIC_ERR_RANGE, "ppo: action %g is not in 0..%d", a[i], K - 1);
        p->m_acts[i] = (int32_t)a[i];
      }
      mimic_cat_log_softmax(p->model.actor.out, B, K, p->work.logp);
      mimic_cat_log_prob(p->work.logp, p->m_acts, B, K, out + s);
    } else {
      mimic_gauss_log_prob(p->model.actor.out, p->model.log_std, a, B, K, out + s);
    }
  }
  return MIMIC_OK;
}

mimic_model *mimic_ppo_model(mimic_ppo *p) { return &p->model; }

mimic_status mimic_ppo_copy_model(mimic_ppo *p, mimic_model *out) {
  return mimic_model_copy(&p->model, 64, out);
}

const mimic_ppo_config *mimic_ppo_get_config(const mimic_ppo *p) { return &p->cfg; }

long mimic_ppo_timesteps(const mimic_ppo *p) { return p->timesteps; }

mimic_status mimic_ppo_save(mimic_ppo *p, const char *path, const char *extra_json) {
  const mimic_ppo_config *c = &p->cfg;
  json_t *meta = NULL;
  if (extra_json) {
    meta = json_loads(extra_json, 0, NULL);
    if (!json_is_object(meta)) {
      json_decref(meta);
      return mimic_fail(MIMIC_ERR_INVALID, "ppo: extra metadata is not a JSON object");
    }
  } else {
    meta = json_object();
  }
  if (!json_object_get(meta, "algorithm"))
    json_object_set_new(meta, "algorithm", json_string("ppo"));
  json_t *pc = json_pack(
      "{s:i, s:i, s:i, s:i, s:f, s:b, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:b, s:I, s:I, s:I}",
      "n_envs", c->n_envs, "n_steps", c->n_steps, "batch_size", c->batch_size, "n_epochs",
      c->n_epochs, "learning_rate", c->learning_rate, "lr_linear", c->lr_linear, "gamma", c->gamma,
      "gae_lambda", c->gae_lambda, "clip_range", c->clip_range, "ent_coef", c->ent_coef, "vf_coef",
      c->vf_coef, "max_grad_norm", c->max_grad_norm, "norm_obs", c->norm_obs, "norm_reward",
      c->norm_reward, "seed", (json_int_t)c->seed, "timesteps", (json_int_t)p->timesteps,
      "iterations", (json_int_t)p->iteration);
  if (pc) json_object_set_new(meta, "ppo", pc);
  char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(meta);
  if (!text) return mimic_fail_nomem("ppo metadata");
  mimic_status st =
      mimic_policy_describe_model(&p->model, p->env_id, &p->obs_space, &p->act_space, text);
  free(text);
  if (st == MIMIC_OK) st = mimic_model_save(&p->model, path);
  return st;
}

mimic_status mimic_ppo_evaluate(mimic_ppo *p, int episodes, uint64_t seed, double *mean,
                                double *std) {
  mimic_model copy;
  MIMIC_TRY(mimic_ppo_copy_model(p, &copy));
  return mimic_evaluate_model(&copy, &p->act_space, p->env_id, p->env_opts, episodes, seed, mean,
                              std);
}

static const char *num(char *buf, double v) {
  if (isfinite(v))
    snprintf(buf, 32, "%.9g", v);
  else
    snprintf(buf, 32, "%s", isnan(v) ? "" : v > 0 ? "inf" : "-inf");
  return buf;
}

mimic_status mimic_ppo_write_log(const char *path, const mimic_ppo_iter *rows, int n) {
  bool jsonl = mimic_ends_with(path, ".jsonl");
  mimic_atomic_file f;
  MIMIC_TRY(mimic_atomic_open(&f, path));
  static const char *cols[] = {"iteration",
                               "timesteps",
                               "episodes",
                               "ep_return_mean",
                               "ep_len_mean",
                               "ep_reward_mean",
                               "policy_loss",
                               "value_loss",
                               "entropy_loss",
                               "anchor_loss",
                               "approx_kl",
                               "clip_fraction",
                               "explained_variance",
                               "learning_rate",
                               "clip_range",
                               "anchor_coef",
                               "std",
                               "eval_return",
                               "epochs",
                               "seconds",
                               "fps"};
  const int nc = (int)(sizeof cols / sizeof *cols);
  if (!jsonl)
    for (int k = 0; k < nc; k++) fprintf(f.fp, "%s%s", cols[k], k + 1 < nc ? "," : "\n");
  for (int i = 0; i < n; i++) {
    const mimic_ppo_iter *r = &rows[i];
    double v[] = {(double)r->iteration,
                  (double)r->timesteps,
                  (double)r->episodes,
                  r->ep_return_mean,
                  r->ep_len_mean,
                  r->ep_reward_mean,
                  r->policy_loss,
                  r->value_loss,
                  r->entropy_loss,
                  r->anchor_loss,
                  r->approx_kl,
                  r->clip_fraction,
                  r->explained_variance,
                  r->learning_rate,
                  r->clip_range,
                  r->anchor_coef,
                  r->std,
                  r->eval_return,
                  (double)r->epochs,
                  r->seconds,
                  r->fps};
    char b[32];
    if (jsonl) fputc('{', f.fp);
    for (int k = 0; k < nc; k++) {
      if (jsonl)
        fprintf(f.fp, "\"%s\": %s%s", cols[k], isfinite(v[k]) ? num(b, v[k]) : "null",
                k + 1 < nc ? ", " : "}\n");
      else
        fprintf(f.fp, "%s%s", num(b, v[k]), k + 1 < nc ? "," : "\n");
    }
  }
  return mimic_atomic_commit(&f);
}

mimic_status mimic_ppo_plot(const char *path, const char *title, const mimic_ppo_iter *rows, int n,
                            double reference, const char *reference_name) {
  double *x = mimic_malloc((size_t)(n > 0 ? n : 1) * 3 * sizeof *x, "plot data");
  if (!x) return MIMIC_ERR_NOMEM;
  double *y = x + n, *y2 = x + 2 * n;
  bool learned = false;
  for (int i = 0; i < n; i++) {
    x[i] = (double)rows[i].timesteps;
    y[i] = rows[i].ep_return_mean;
    y2[i] = rows[i].ep_reward_mean;
    if (isfinite(y2[i]) && y2[i] != y[i]) learned = true;
  }
  mimic_status st = MIMIC_OK;
  mimic_plot *pl = mimic_plot_new(title, "environment steps", "episode return (last 100)");
  if (!pl) st = MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) st = mimic_plot_line(pl, "environment return", x, y, n, false);
  if (st == MIMIC_OK && learned) st = mimic_plot_line(pl, "learned-reward return", x, y2, n, false);
  bool evals = false;
  for (int i = 0; i < n; i++) {
    y2[i] = rows[i].eval_return;
    evals |= isfinite(y2[i]);
  }
  if (st == MIMIC_OK && evals) st = mimic_plot_line(pl, "evaluation", x, y2, n, true);
  if (st == MIMIC_OK && isfinite(reference))
    st = mimic_plot_hline(pl, reference_name ? reference_name : "reference", reference);
  if (st == MIMIC_OK) st = mimic_plot_save(pl, path);
  mimic_plot_free(pl);
  free(x);
  return st;
}

void mimic_ppo_refine_defaults(mimic_ppo_config *c) {
  c->anchor = MIMIC_ANCHOR_KL;
  c->anchor_coef = 1.0;
  c->anchor_decay_steps = c->total_steps / 2;
}

mimic_status mimic_ppo_create_refine(const mimic_ppo_config *cfg, const mimic_model *clone,
                                     mimic_ppo **out) {
  MIMIC_TRY(mimic_ppo_create(cfg, clone, out));
  if (cfg->anchor == MIMIC_ANCHOR_NONE || cfg->anchor_coef <= 0) return MIMIC_OK;
  mimic_status st = mimic_ppo_set_anchor(*out, clone);
  if (st != MIMIC_OK) {
    mimic_ppo_free(*out);
    *out = NULL;
  }
  return st;
}
