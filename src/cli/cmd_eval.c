/* mimic eval: how well does a policy do on an environment? Also evaluates
 * the built-in expert and the random policy on the same seeds, the two ends
 * of the normalised score. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"

int cmd_eval(int argc, char **argv) {
  const char *spec = NULL, *env_id = NULL, *env_opts = NULL;
  mimic_eval_config cfg = mimic_eval_defaults();
  bool json = false, quiet = false, no_normalize = false;
  double timeout = 30;
  cli_opt opts[] = {
      {"policy", CLI_STR, &spec, "SPEC", "a policy file, or expert, random, cmd:PROGRAM", true},
      {"env", CLI_STR, &env_id, "ID", "environment id", true},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"episodes", CLI_INT, &cfg.episodes, "N", "episodes (default 100)"},
      {"seed", CLI_U64, &cfg.seed, "S", "episode k starts from reset(S + k) (default 0)"},
      {"sample", CLI_FLAG, &cfg.sample, NULL, "sample actions instead of argmax / mean"},
      {"no-normalize", CLI_FLAG, &no_normalize, NULL, "skip the expert and random reference runs"},
      {"expert-timeout", CLI_DOUBLE, &timeout, "SEC",
       "seconds a program policy may take per answer (30)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse("eval", "Evaluate a policy over seeded episodes.",
                           "--policy SPEC --env ID [options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  if (cfg.episodes < 1) return cli_usage_error("eval", "--episodes must be at least 1");
  cfg.normalize = !no_normalize;
  cfg.progress = !json && !quiet;
  mimic_env *env;
  if (mimic_env_make(env_id, env_opts, &env)) return cli_fail("eval");
  mimic_policy *policy;
  mimic_status st = mimic_policy_open(spec, env, timeout, &policy);
  mimic_env_free(env);
  if (st) return cli_fail("eval");
  mimic_eval_result r;
  st = mimic_evaluate(policy, env_id, env_opts, &cfg, &r);
  if (st) {
    mimic_policy_free(policy);
    return cli_fail("eval");
  }
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "policy", cli_json_str(mimic_policy_describe(policy)));
    json_object_set_new(o, "env", cli_json_str(env_id));
    json_object_set_new(o, "episodes", json_integer(r.episodes));
    json_object_set_new(o, "seed", cli_json_u64(cfg.seed));
    json_object_set_new(o, "deterministic", json_boolean(!cfg.sample));
    json_object_set_new(o, "return_mean", cli_json_number(r.return_mean));
    json_object_set_new(o, "return_std", cli_json_number(r.return_std));
    json_object_set_new(o, "length_mean", cli_json_number(r.length_mean));
    json_object_set_new(o, "success_rate", cli_json_number(r.success_rate));
    json_object_set_new(o, "normalized_score", cli_json_number(r.normalized_score));
    json_object_set_new(o, "expert_return", cli_json_number(r.expert_return));
    json_object_set_new(o, "random_return", cli_json_number(r.random_return));
    cli_print_json_line(o);
  } else {
    printf("%s on %s, %d episodes from seed %llu:\n", mimic_policy_describe(policy), env_id,
           r.episodes, (unsigned long long)cfg.seed);
    printf("  return            %.2f +- %.2f\n", r.return_mean, r.return_std);
    printf("  episode length    %.1f\n", r.length_mean);
    if (r.success_rate == r.success_rate)
      printf("  success rate      %.1f%%\n", 100 * r.success_rate);
    if (cfg.normalize)
      printf("  normalised score  %.3f  (random %.2f = 0, expert %.2f = 1)\n", r.normalized_score,
             r.random_return, r.expert_return);
  }
  mimic_eval_result_free(&r);
  mimic_policy_free(policy);
  return CLI_EXIT_OK;
}
