/* mimic dataset generate: a dataset of known quality (D4RL's recipe:
 * random, medium, expert, medium-replay, medium-expert) in Minari's layout,
 * with the kind, the policies' scores and the reference returns in its
 * metadata. Thin: the library makes the dataset (mimic_generate_dataset),
 * this file saves it atomically and reports. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/data.h"
#include "mimic/env.h"
#include "mimic/offpolicy.h"

int cmd_dataset_generate(int argc, char **argv) {
  const char *cmd = "dataset generate", *env = NULL, *env_opts = NULL, *kind = NULL, *out = NULL,
             *hidden = NULL, *id = NULL;
  long long n = 0, sac_steps = 0, eval_every = 0;
  double medium = 0, expert_noise = 0;
  uint64_t seed = 0;
  bool overwrite = false, json = false, quiet = false;
  cli_opt o[] = {
      {"env", CLI_STR, &env, "ID", "environment id", true},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"kind", CLI_STR, &kind, "KIND", "random, medium, expert, medium-replay or medium-expert",
       true},
      {"transitions", CLI_LONG, &n, "N",
       "steps in the dataset (medium-replay: the whole training run instead)"},
      {"o", CLI_STR, &out, "DIR", "output dataset folder (Minari layout)", true},
      {"seed", CLI_U64, &seed, "S", "random seed (0)"},
      {"medium-score", CLI_DOUBLE, &medium, "X",
       "the medium policy's normalised score to stop at (1/3)"},
      {"expert-noise", CLI_DOUBLE, &expert_noise, "S",
       "Box actions: the expert acts with Gaussian noise of std S half-ranges, as D4RL's "
       "sampled experts (0)"},
      {"sac-steps", CLI_LONG, &sac_steps, "N",
       "most SAC (Discrete: DQN) steps for the medium policy (100000; DQN and "
       "MountainCarContinuous's SAC with gSDE 50000)"},
      {"eval-every", CLI_LONG, &eval_every, "N", "SAC (DQN) steps between its evaluations (200)"},
      {"hidden", CLI_STR, &hidden, "N,N", "SAC's (DQN's) hidden widths (256,256)"},
      {"dataset-id", CLI_STR, &id, "ID", "Minari id (default from DIR)"},
      {"overwrite", CLI_FLAG, &overwrite, NULL, "replace an existing dataset"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a =
      cli_parse(cmd, "Make a dataset of known quality (D4RL's recipe) for offline RL.",
                "--env ID --kind KIND --transitions N -o DIR [options]", o, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  mimic_nn_set_threads(1);
  mimic_data_quality q;
  if (!mimic_data_quality_parse(kind, &q))
    return cli_usage_error(
        cmd, "--kind is random, medium, expert, medium-replay or medium-expert, got '%s'", kind);
  if (q != MIMIC_QUALITY_MEDIUM_REPLAY && n < 1)
    return cli_usage_error(cmd, "--transitions N (>= 1) is required for %s", kind);
  mimic_generate_config c = mimic_generate_defaults(env, q, (long)n);
  c.env_opts = env_opts;
  c.seed = seed;
  c.progress = !json && !quiet;
  if (medium) c.medium_score = medium;
  c.expert_noise = expert_noise;
  if (sac_steps) c.sac.total_steps = c.dqn.total_steps = (long)sac_steps;
  if (eval_every) c.eval_every = (long)eval_every;
  if (hidden && !cli_parse_hidden(hidden, c.sac.hidden, &c.sac.n_hidden, MIMIC_MLP_MAX_LAYERS - 1))
    return cli_usage_error(cmd, "--hidden wants widths like 256,256, got '%s'", hidden);
  c.dqn.n_hidden = c.sac.n_hidden;
  memcpy(c.dqn.hidden, c.sac.hidden, sizeof c.dqn.hidden);
  mimic_dataset ds = {0};
  mimic_generate_result r;
  mimic_status st = mimic_generate_dataset(&c, &ds, &r);
  mimic_env *e = NULL;
  if (!st) st = mimic_env_make(env, env_opts, &e);
  if (!st) ds.meta.max_episode_steps = mimic_env_max_steps(e);
  mimic_env_free(e);
  if (!st && id) st = mimic_dataset_meta_set(&ds.meta.dataset_id, id);
  mimic_write_opts wo = mimic_write_opts_default();
  wo.overwrite = overwrite;
  if (!st) st = mimic_dataset_save(&ds, out, &wo);
  if (st) {
    mimic_dataset_free(&ds);
    return cli_fail(cmd);
  }
  double span = r.expert_return - r.random_return;
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "dataset", cli_json_str(out));
    json_object_set_new(o, "env", cli_json_str(env));
    json_object_set_new(o, "kind", cli_json_str(kind));
    json_object_set_new(o, "episodes", json_integer((json_int_t)ds.n_episodes));
    json_object_set_new(o, "transitions", json_integer((json_int_t)ds.n_steps));
    json_object_set_new(o, "data_return", cli_json_number(r.data_return));
    json_object_set_new(o, "data_normalized_score",
                        cli_json_number((r.data_return - r.random_return) / span));
    json_object_set_new(o, "random_return", cli_json_number(r.random_return));
    json_object_set_new(o, "expert_return", cli_json_number(r.expert_return));
    json_object_set_new(o, "medium_return", cli_json_number(r.medium_return));
    json_object_set_new(o, "medium_score", cli_json_number(r.medium_score));
    json_object_set_new(o, "medium_steps", json_integer(r.medium_steps));
    cli_print_json_line(o);
  } else {
    printf("wrote %s: %s %s, %zu transitions in %zu episodes, mean return %.2f (normalised %.3f; "
           "random %.2f, expert %.2f)",
           out, env, kind, ds.n_steps, ds.n_episodes, r.data_return,
           (r.data_return - r.random_return) / span, r.random_return, r.expert_return);
    if (isfinite(r.medium_score))
      printf("; medium policy %.2f (normalised %.3f) after %ld %s steps", r.medium_return,
             r.medium_score, r.medium_steps,
             ds.act_space.space.kind == MIMIC_SPACE_DISCRETE ? "DQN" : "SAC");
    printf("\n");
  }
  mimic_dataset_free(&ds);
  return CLI_EXIT_OK;
}
