/* mimic collect: record an expert's demonstrations into a Minari dataset.
 *
 * Episode k starts from reset(seed + k); each finished episode is appended
 * durably before the next begins, so a killed collect leaves a valid
 * dataset of the episodes it finished. --epsilon mixes in random actions
 * (a deliberately weakened expert, for refinement experiments). Adding
 * to a dataset already there must be asked for (--append): the same
 * command run twice would otherwise double every episode silently. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/collect.h"
#include "mimic/data.h"
#include "mimic/env.h"
#include "mimic/policy.h"

/* True when path is a file or a folder with anything in it. */
static bool holds_something(const char *path) {
  if (!mimic_path_exists(path)) return false;
  DIR *d = opendir(path);
  if (!d) return true;
  bool any = false;
  for (struct dirent *e; !any && (e = readdir(d));)
    any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return any;
}

int cmd_collect(int argc, char **argv) {
  const char *env_id = NULL, *env_opts = NULL, *expert = "builtin", *out = NULL, *dataset_id = NULL;
  int episodes = 10;
  uint64_t seed = 0;
  double epsilon = 0, timeout = 30, action_noise = 0;
  bool json = false, quiet = false, overwrite = false, append = false, sample = false;
  cli_opt opts[] = {
      {"env", CLI_STR, &env_id, "ID", "environment id (see 'mimic envs')", true},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options, e.g. horizon=400"},
      {"expert", CLI_STR, &expert, "SPEC",
       "builtin (default), random, cmd:PROGRAM or a policy file"},
      {"episodes", CLI_INT, &episodes, "N", "episodes to record (default 10)"},
      {"seed", CLI_U64, &seed, "S", "episode k starts from reset(S + k) (default 0)"},
      {"epsilon", CLI_DOUBLE, &epsilon, "P", "take a random action with probability P (default 0)"},
      {"sample", CLI_FLAG, &sample, NULL, "sample the expert's actions instead of its best action"},
      {"action-noise", CLI_DOUBLE, &action_noise, "S",
       "Box actions: add Gaussian noise of std S half-ranges to each action taken (default 0)"},
      {"expert-timeout", CLI_DOUBLE, &timeout, "SEC",
       "seconds an expert program may take per answer (30)"},
      {"dataset-id", CLI_STR, &dataset_id, "ID",
       "Minari dataset id (default: from the folder name)"},
      {"o", CLI_STR, &out, "DIR", "dataset folder to create", true},
      {"append", CLI_FLAG, &append, NULL, "add the episodes to the dataset already in DIR"},
      {"overwrite", CLI_FLAG, &overwrite, NULL, "replace the dataset already in DIR"},
      {"json", CLI_FLAG, &json, NULL, "print a JSON summary"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse("collect", "Record expert demonstrations into a Minari dataset.",
                           "--env ID -o DIR [options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  if (episodes < 1) return cli_usage_error("collect", "--episodes must be at least 1");
  if (!(epsilon >= 0 && epsilon <= 1))
    return cli_usage_error("collect", "--epsilon must be in [0, 1]");
  if (!(action_noise >= 0 && isfinite(action_noise)))
    return cli_usage_error("collect", "--action-noise must be a finite number >= 0");
  if (append && overwrite)
    return cli_usage_error("collect", "--append and --overwrite exclude each other");
  if (!append && !overwrite && holds_something(out))
    return cli_usage_error("collect",
                           "%s already exists: --append adds the episodes to it, --overwrite "
                           "replaces it",
                           out);

  mimic_env *env = NULL;
  mimic_policy *policy = NULL;
  mimic_dataset_writer *w = NULL;
  mimic_data_space os = {0}, as = {0};
  mimic_dataset_meta meta;
  mimic_dataset_meta_init(&meta);
  int rc = CLI_EXIT_FAIL;
  if (mimic_env_make(env_id, env_opts, &env) || mimic_policy_open(expert, env, timeout, &policy))
    goto fail;
  const mimic_space *obs_space = mimic_env_obs_space(env), *act_space = mimic_env_action_space(env);
  if (mimic_data_space_from_env(&os, obs_space) || mimic_data_space_from_env(&as, act_space))
    goto fail;
  if (action_noise > 0 && mimic_collect_check_noise(env_id, act_space)) goto fail;
  char algo[160];
  snprintf(algo, sizeof algo, "%s%s", mimic_policy_describe(policy),
           epsilon > 0        ? " with random actions"
           : action_noise > 0 ? " with action noise"
                              : "");
  if (mimic_dataset_meta_set(&meta.env_id, env_id) ||
      mimic_dataset_meta_set(&meta.algorithm_name, algo) ||
      mimic_dataset_meta_set(&meta.author, "mimic") ||
      (dataset_id && mimic_dataset_meta_set(&meta.dataset_id, dataset_id)))
    goto fail;
  meta.max_episode_steps = mimic_env_max_steps(env);
  mimic_writer_opts wo = mimic_writer_opts_default();
  wo.write.overwrite = overwrite;
  if (overwrite && mimic_path_exists(out)) {
    /* replacing means starting from an empty dataset that is swapped in atomically */
    mimic_dataset empty;
    if (mimic_dataset_init(&empty, &os, &as)) goto fail;
    mimic_dataset_meta_copy(&empty.meta, &meta);
    mimic_status st = mimic_dataset_save(&empty, out, &wo.write);
    mimic_dataset_free(&empty);
    if (st) goto fail;
  }
  if (mimic_dataset_writer_open(out, &os, &as, &meta, &wo, &w)) goto fail;
  mimic_collect_config cc = {.env_id = env_id,
                             .env_opts = env_opts,
                             .episodes = episodes,
                             .seed = seed,
                             .epsilon = epsilon,
                             .action_noise = action_noise,
                             .sample = sample,
                             .progress = !json && !quiet};
  mimic_collect_result res;
  size_t before = mimic_dataset_writer_episodes(w);
  if (mimic_collect(&cc, policy, NULL, w, &res)) goto fail;
  size_t total = mimic_dataset_writer_episodes(w);
  mimic_status st = mimic_dataset_writer_close(w);
  w = NULL;
  if (st) goto fail;
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "dataset", cli_json_str(out));
    json_object_set_new(o, "env", cli_json_str(env_id));
    json_object_set_new(o, "episodes", json_integer(episodes));
    json_object_set_new(o, "total_episodes", json_integer((json_int_t)total));
    json_object_set_new(o, "steps", cli_json_number((double)res.steps));
    json_object_set_new(o, "return_mean", cli_json_number(res.return_mean));
    json_object_set_new(o, "length_mean", cli_json_number(res.length_mean));
    cli_print_json_line(o);
  } else
    printf("recorded %d episodes of %s (%s): mean return %.2f, mean length %.1f; %s now holds %zu "
           "episodes (%zu new)\n",
           episodes, env_id, mimic_policy_describe(policy), res.return_mean, res.length_mean, out,
           total, total - before);
  rc = CLI_EXIT_OK;
  goto done;
fail:
  rc = cli_fail("collect");
done:
  if (w && rc != CLI_EXIT_OK) mimic_dataset_writer_abandon(w); /* keeps cli_fail's message */
  if (w && rc == CLI_EXIT_OK && mimic_dataset_writer_close(w)) rc = cli_fail("collect");
  mimic_dataset_meta_free(&meta);
  mimic_data_space_free(&os);
  mimic_data_space_free(&as);
  mimic_policy_free(policy);
  mimic_env_free(env);
  return rc;
}
