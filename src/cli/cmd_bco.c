/* mimic train bco (behavioral cloning from observation, mimic/bco.h) and
 * mimic dataset strip-actions (the observation-only datasets it learns
 * from). Thin: flags become a mimic_bco_config, the library learns, the
 * clone is evaluated and saved as train bc saves its policies. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/bco.h"
#include "mimic/evaluate.h"

typedef struct bco_progress {
  bool quiet;
} bco_progress;

static bool on_round(const mimic_bco_round *r, const mimic_model *clone, void *user) {
  (void)clone;
  const bco_progress *p = user;
  if (!p->quiet)
    fprintf(stderr,
            "train bco: round %d: %ld interactions, inferred actions agree %.3f, clone return "
            "%.1f\n",
            r->iteration, r->interactions, r->idm_agreement, r->clone_return);
  return true;
}

int cli_train_bco(int argc, char **argv) {
  const char *cmd = "train bco";
  const char *data = NULL, *env = NULL, *env_opts = NULL, *out = NULL, *hidden = "32,32";
  mimic_bco_config c = mimic_bco_defaults(NULL);
  long long pre = c.pre_steps, epochs = c.policy.epochs;
  bool json = false, quiet = false;
  cli_opt opts[] = {
      {"data", CLI_STR, &data, "DIR", "demonstrations; only their observations are read", true},
      {"env", CLI_STR, &env, "ID", "environment to interact with (default: the dataset's)"},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"o", CLI_STR, &out, "FILE", "where to write the cloned policy", true},
      {"pre-steps", CLI_LONG, &pre, "N", "random interactions before the first fit (10000)"},
      {"alpha", CLI_DOUBLE, &c.alpha, "A",
       "BCO(alpha): alpha x pre-steps interactions per iteration (0.1)"},
      {"iterations", CLI_INT, &c.iterations, "N", "BCO(alpha) iterations (5; 0 = plain BCO)"},
      {"envs", CLI_INT, &c.n_envs, "N", "environments side by side (8)"},
      {"epochs", CLI_LONG, &epochs, "N", "epochs of each fit (30)"},
      {"hidden", CLI_STR, &hidden, "N,N", "the clone's hidden widths (32,32)"},
      {"seed", CLI_U64, &c.seed, "S", "seed of interactions and fits (0)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse(cmd,
                           "Behavioral cloning from observation (Torabi et al. 2018): infer the "
                           "demonstrator's actions with an inverse dynamics model, then clone.",
                           "--data DIR -o FILE [options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  c.pre_steps = (long)pre;
  c.policy.epochs = c.idm.epochs = (long)epochs;
  if (!cli_parse_hidden(hidden, c.policy.hidden, &c.policy.n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--hidden wants widths like 32,32, got '%s'", hidden);
  c.env_opts = env_opts;
  mimic_dataset ds;
  int loaded = cli_load_demos(cmd, data, env, &ds, &c.env_id);
  if (loaded >= 0) return loaded;
  if (c.pre_steps < 1 || mimic_bco_check(&c)) {
    mimic_dataset_free(&ds);
    return cli_usage_error(cmd, "%s",
                           c.pre_steps < 1 ? "--pre-steps must be positive" : mimic_errmsg());
  }
  mimic_nn_set_threads(1); /* small matrices; and the same result on every machine */
  bco_progress prog = {.quiet = json || quiet};
  mimic_model clone;
  mimic_bco_round last;
  mimic_status st = mimic_bco_train(&c, &ds, on_round, &prog, &clone, &last);
  mimic_eval_result r = {0};
  if (st == MIMIC_OK) {
    json_t *meta = json_object();
    json_object_set_new(meta, "algorithm", json_string("bco"));
    json_object_set_new(meta, "trained_on", cli_json_str(data));
    json_object_set_new(meta, "interactions", json_integer(last.interactions));
    json_object_set_new(meta, "alpha", cli_json_number(c.alpha));
    json_object_set_new(meta, "iterations", json_integer(c.iterations));
    json_object_set_new(meta, "seed", cli_json_u64(c.seed));
    st = cli_save_and_evaluate(&clone, c.env_id, c.env_opts, out, meta, !json && !quiet, &r);
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
    json_object_set_new(o, "interactions", json_integer(last.interactions));
    json_object_set_new(o, "inferred_action_agreement", cli_json_number(last.idm_agreement));
    cli_eval_json(o, &r);
    cli_print_json(o);
  } else {
    printf("cloned from observations with %ld interactions; return %.2f +- %.2f over %d episodes",
           last.interactions, r.return_mean, r.return_std, r.episodes);
    if (isfinite(r.normalized_score)) printf(", normalised %.3f", r.normalized_score);
    printf("; wrote %s\n", out);
  }
  mimic_eval_result_free(&r);
  mimic_dataset_free(&ds); /* last: c.env_id may point into its metadata */
  return CLI_EXIT_OK;
}

int cli_dataset_strip_actions(int argc, char **argv) {
  const char *cmd = "dataset strip-actions", *out = NULL;
  bool overwrite = false;
  cli_opt opts[] = {
      {"o", CLI_STR, &out, "DIR", "output dataset folder", true, false},
      {"overwrite", CLI_FLAG, &overwrite, NULL, "replace an existing dataset", false, false},
      {NULL, 0, NULL, NULL, NULL, false, false},
  };
  cli_parsed r = cli_parse(cmd,
                           "Copy a dataset without its actions (observations only, as a video "
                           "would give): what train bco learns from.",
                           "IN -o DIR [options]", opts, 1, argc, argv);
  if (r.exit_now) return r.exit_code;
  if (r.npos != 1) return cli_usage_error(cmd, "give one input dataset");
  mimic_dataset ds;
  if (mimic_dataset_load(r.pos[0], &ds)) return cli_fail(cmd);
  mimic_write_opts wo = mimic_write_opts_default();
  wo.overwrite = overwrite;
  mimic_status st = mimic_dataset_strip_actions(&ds);
  if (st == MIMIC_OK) st = mimic_dataset_save(&ds, out, &wo);
  const size_t episodes = ds.n_episodes, steps = ds.n_steps;
  mimic_dataset_free(&ds);
  if (st) return cli_fail(cmd);
  printf("wrote %s: %zu episodes, %zu steps, observations only\n", out, episodes, steps);
  return CLI_EXIT_OK;
}
