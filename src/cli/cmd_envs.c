/* mimic envs: list the registered environments with their spaces, time
 * limits, thresholds and options.
 *
 * Each id is made once with its default options to read its spaces (the
 * registry only knows names), so the listing is exactly what `--env ID`
 * gets (an id that cannot be made without options is listed with its
 * options and the reason). --json prints one object {"envs": [...]}, built
 * with Jansson, one environment a line; infinite Box bounds are the strings
 * "inf" and "-inf" (as Gymnasium's constants.json writes them) so that the
 * output stays strict JSON (cli_space_json). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/env.h"

/* Prints a float32 bound with the fewest digits that read back exactly. */
static void print_float(FILE *out, float v) {
  if (isinf(v)) {
    fprintf(out, "%s", v > 0 ? "inf" : "-inf");
    return;
  }
  char buf[32];
  for (int prec = 6; prec <= 9; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
    if ((float)strtod(buf, NULL) == v) break;
  }
  fputs(buf, out);
}

/* "Box(4)", "Box(1, [-2, 2])" or "Discrete(3)". */
static void print_space_text(FILE *out, const mimic_space *sp) {
  if (sp->kind == MIMIC_SPACE_DISCRETE) {
    fprintf(out, "Discrete(%d)", sp->n);
    return;
  }
  fprintf(out, "Box(%d", sp->dim);
  bool same = sp->low && sp->high;
  for (int i = 1; same && i < sp->dim; i++)
    same = sp->low[i] == sp->low[0] && sp->high[i] == sp->high[0];
  if (same) {
    fputs(", [", out);
    print_float(out, sp->low[0]);
    fputs(", ", out);
    print_float(out, sp->high[0]);
    fputc(']', out);
  }
  fputc(')', out);
}

int cmd_envs(int argc, char **argv) {
  bool json = false;
  cli_opt opts[] = {
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {NULL},
  };
  cli_parsed a =
      cli_parse("envs",
                "List the environments: ids, observation and action spaces, time limits, "
                "reward thresholds and the options each takes (--env-opts K=V,...).",
                "[ID] [--json]", opts, 1, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, false);
  const char *only = a.npos > 0 ? a.pos[0] : NULL;
  if (only) {
    mimic_env *probe;
    if (mimic_env_make(only, NULL, &probe) != MIMIC_OK) return cli_fail("envs");
    mimic_env_free(probe);
  }
  int shown = 0;
  json_t *list = json_array();
  for (int i = 0; i < mimic_env_count(); i++) {
    const mimic_env_info *info = mimic_env_info_at(i);
    if (only ? strcmp(info->id, only) != 0 : info->unlisted) continue;
    mimic_env *env;
    if (mimic_env_make(info->id, NULL, &env) != MIMIC_OK) {
      /* an environment that cannot be made without options (a map file) */
      if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "id", cli_json_str(info->id));
        json_object_set_new(o, "summary", cli_json_str(info->summary));
        json_object_set_new(o, "observation_space", json_null());
        json_object_set_new(o, "action_space", json_null());
        json_object_set_new(o, "options", cli_json_str(info->options));
        json_object_set_new(o, "note", cli_json_str(mimic_errmsg()));
        json_array_append_new(list, o);
      } else {
        printf("%s%s\n  %s\n  (spaces depend on options: %s)\n  options: %s\n", shown ? "\n" : "",
               info->id, info->summary, mimic_errmsg(), info->options ? info->options : "none");
      }
      shown++;
      continue;
    }
    const double thr = mimic_env_reward_threshold(env);
    if (json) {
      json_t *o = json_object();
      json_object_set_new(o, "id", cli_json_str(info->id));
      json_object_set_new(o, "summary", cli_json_str(info->summary));
      json_object_set_new(o, "observation_space", cli_space_json(mimic_env_obs_space(env)));
      json_object_set_new(o, "action_space", cli_space_json(mimic_env_action_space(env)));
      json_object_set_new(o, "max_episode_steps", json_integer(mimic_env_max_steps(env)));
      json_object_set_new(o, "reward_threshold", cli_json_number(thr));
      json_object_set_new(o, "expert", json_boolean(mimic_env_has_expert(env)));
      json_object_set_new(o, "options", cli_json_str(info->options));
      json_array_append_new(list, o);
    } else {
      printf("%s%s\n  %s\n  observation ", shown ? "\n" : "", info->id, info->summary);
      print_space_text(stdout, mimic_env_obs_space(env));
      printf("   action ");
      print_space_text(stdout, mimic_env_action_space(env));
      printf("   time limit %d", mimic_env_max_steps(env));
      if (!isnan(thr)) printf("   solved at %g", thr);
      printf("   expert %s\n  options: %s\n", mimic_env_has_expert(env) ? "yes" : "no",
             info->options && *info->options ? info->options : "none");
    }
    shown++;
    mimic_env_free(env);
  }
  if (json) { /* one environment a line: a Box of 147 bounds stays readable */
    printf("{\"envs\": [");
    for (size_t i = 0; i < json_array_size(list); i++) {
      char *line = cli_json_text(json_incref(json_array_get(list, i)));
      printf("%s\n  %s", i ? "," : "", line ? line : "null");
      free(line);
    }
    printf("\n]}\n");
  }
  json_decref(list);
  return CLI_EXIT_OK;
}
