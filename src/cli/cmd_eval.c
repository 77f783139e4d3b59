/* mimic eval: how well does a policy do on an environment? Also evaluates
 * the built-in expert and the random policy on the same seeds, the two ends
 * of the normalised score. A Decision Transformer's file (mimic train dt)
 * is run at --target-return, by default the one it was trained for. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mimic/container.h"
#include "mimic/dt.h"

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"

/* The target return a Decision Transformer's file was trained for. */
static mimic_status dt_target(const char *path, double *target) {
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  const json_t *v = json_object_get(c.meta, "target_return");
  mimic_status st = json_is_number(v) ? MIMIC_OK
                                      : mimic_container_fail(&c, "meta.target_return",
                                                             "is missing: give --target-return");
  if (!st) *target = json_number_value(v);
  mimic_container_free(&c);
  return st;
}

int cmd_eval(int argc, char **argv) {
  const char *spec = NULL, *env_id = NULL, *env_opts = NULL;
  mimic_eval_config cfg = mimic_eval_defaults();
  bool json = false, quiet = false, no_normalize = false;
  double timeout = 30, target = NAN;
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
      {"target-return", CLI_DOUBLE, &target, "R",
       "a Decision Transformer's target (default: its training's)"},
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
  char kind[64] = "", what[128];
  int version;
  mimic_policy *policy = NULL;
  mimic_eval_result r;
  mimic_status st;
  if (mimic_path_exists(spec) && !mimic_container_probe(spec, kind, sizeof kind, &version) &&
      strcmp(kind, "mimic.dt") == 0) {
    if (cfg.sample) return cli_usage_error("eval", "a Decision Transformer acts deterministically");
    if (!isfinite(target) && dt_target(spec, &target)) return cli_fail("eval");
    mimic_dt *t;
    if (mimic_dt_load(spec, &t)) return cli_fail("eval");
    st = mimic_dt_evaluate(t, env_id, env_opts, target, cfg.episodes, cfg.seed, cfg.normalize, &r);
    mimic_dt_free(t);
    if (st) return cli_fail("eval");
    snprintf(what, sizeof what, "decision transformer (target %g)", target);
  } else {
    if (cli_seen(opts, "target-return"))
      return cli_usage_error("eval", "--target-return is for a Decision Transformer's file");
    mimic_env *env;
    if (mimic_env_make(env_id, env_opts, &env)) return cli_fail("eval");
    st = mimic_policy_open(spec, env, timeout, &policy);
    mimic_env_free(env);
    if (st) return cli_fail("eval");
    st = mimic_evaluate(policy, env_id, env_opts, &cfg, &r);
    if (st) {
      mimic_policy_free(policy);
      return cli_fail("eval");
    }
    snprintf(what, sizeof what, "%s", mimic_policy_describe(policy));
  }
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "policy", cli_json_str(what));
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
    printf("%s on %s, %d episodes from seed %llu:\n", what, env_id, r.episodes,
           (unsigned long long)cfg.seed);
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
