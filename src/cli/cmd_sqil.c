/* mimic train sqil (soft Q imitation learning, mimic/sqil.h). Thin: flags
 * become a mimic_sqil_config, the library learns, the policy is evaluated
 * and saved as train bc saves its policies. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/evaluate.h"
#include "mimic/sqil.h"

static bool on_log(const mimic_sqil_log *row, const mimic_model *q, void *user) {
  (void)q;
  const bool *quiet = user;
  if (!*quiet)
    fprintf(stderr,
            "train sqil: step %ld: %ld episodes, return %.1f, loss %.4f, Q demo %.2f agent "
            "%.2f\n",
            row->step, row->episodes, row->ep_return_mean, row->loss, row->q_demo, row->q_agent);
  return true;
}

int cli_train_sqil(int argc, char **argv) {
  const char *cmd = "train sqil";
  const char *data = NULL, *env = NULL, *env_opts = NULL, *out = NULL, *hidden = "64,64";
  mimic_sqil_config c = mimic_sqil_defaults(NULL);
  long long steps = c.total_steps, starts = c.learning_starts, target = c.target_update_interval;
  long long log_every = 1000;
  bool json = false, quiet = false;
  cli_opt opts[] = {
      {"data", CLI_STR, &data, "DIR", "demonstrations (observations, actions, episode ends)", true},
      {"env", CLI_STR, &env, "ID", "environment to interact with (default: the dataset's)"},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"o", CLI_STR, &out, "FILE", "where to write the policy", true},
      {"steps", CLI_LONG, &steps, "N", "environment steps (30000)"},
      {"learning-starts", CLI_LONG, &starts, "N", "random steps before learning (1000)"},
      {"batch", CLI_INT, &c.batch_size, "N", "rows from each buffer per gradient step (64)"},
      {"lr", CLI_DOUBLE, &c.lr, "LR", "Adam's learning rate (1e-3)"},
      {"gamma", CLI_DOUBLE, &c.gamma, "G", "discount (0.99)"},
      {"temperature", CLI_DOUBLE, &c.temperature, "T", "soft value and policy temperature (0.1)"},
      {"target-update", CLI_LONG, &target, "N", "gradient steps between target copies (500)"},
      {"hidden", CLI_STR, &hidden, "N,N", "the Q-network's hidden widths (64,64)"},
      {"log-every", CLI_LONG, &log_every, "N", "steps between progress lines (1000)"},
      {"seed", CLI_U64, &c.seed, "S", "seed of interaction and learning (0)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse(cmd,
                           "Soft Q imitation learning (Reddy et al. 2019): reward 1 for the "
                           "demonstrations' transitions, 0 for the agent's, soft Q-learning on "
                           "both.",
                           "--data DIR -o FILE [options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  c.total_steps = (long)steps;
  c.learning_starts = (long)starts;
  c.target_update_interval = (long)target;
  if (!cli_parse_hidden(hidden, c.hidden, &c.n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--hidden wants widths like 64,64, got '%s'", hidden);
  c.env_opts = env_opts;
  mimic_dataset ds;
  int loaded = cli_load_demos(cmd, data, env, &ds, &c.env_id);
  if (loaded >= 0) return loaded;
  if (mimic_sqil_check(&c)) {
    mimic_dataset_free(&ds);
    return cli_usage_error(cmd, "%s", mimic_errmsg());
  }
  mimic_nn_set_threads(1); /* small matrices; and the same result on every machine */
  bool silent = json || quiet;
  mimic_transitions demos = mimic_dataset_transitions(&ds);
  mimic_model q;
  mimic_eval_result r = {0};
  mimic_status st = mimic_sqil_learn(&c, &demos, (long)log_every, on_log, &silent, &q);
  if (st == MIMIC_OK) {
    json_t *meta = json_object();
    json_object_set_new(meta, "algorithm", json_string("sqil"));
    json_object_set_new(meta, "trained_on", cli_json_str(data));
    json_object_set_new(meta, "steps", json_integer(c.total_steps));
    json_object_set_new(meta, "temperature", cli_json_number(c.temperature));
    json_object_set_new(meta, "seed", cli_json_u64(c.seed));
    st = cli_save_and_evaluate(&q, c.env_id, c.env_opts, out, meta, !silent, &r);
  }
  if (st) {
    mimic_eval_result_free(&r);
    mimic_dataset_free(&ds);
    return cli_fail(cmd);
  }
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "policy", cli_json_str(out));
    json_object_set_new(o, "env", json_string(c.env_id));
    json_object_set_new(o, "steps", json_integer(c.total_steps));
    cli_eval_json(o, &r);
    cli_print_json(o);
  } else {
    printf("SQIL with %ld environment steps; return %.2f +- %.2f over %d episodes", c.total_steps,
           r.return_mean, r.return_std, r.episodes);
    if (isfinite(r.normalized_score)) printf(", normalised %.3f", r.normalized_score);
    printf("; wrote %s\n", out);
  }
  mimic_eval_result_free(&r);
  mimic_dataset_free(&ds); /* last: c.env_id may point into its metadata */
  return CLI_EXIT_OK;
}
