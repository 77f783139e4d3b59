/* mimic experiment <name>: the experiments the mission names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "experiments/experiments.h"

static int experiment_compounding(int argc, char **argv) {
  mimic_compounding_config cfg = mimic_compounding_defaults();
  const char *horizons = NULL, *plot = "compounding.png";
  long long labels = cfg.labels;
  bool json = false, quiet = false;
  cli_opt opts[] = {
      {"env", CLI_STR, &cfg.env_id, "ID",
       "environment with a horizon=T option (default LaneKeep-v0)"},
      {"horizons", CLI_STR, &horizons, "T,T,..", "horizons (default 50,100,200,400,800)"},
      {"labels", CLI_LONG, &labels, "N", "expert labels per method and horizon (default 400)"},
      {"rounds", CLI_INT, &cfg.rounds, "R",
       "DAgger: BC on N/R labels, then R-1 rounds of N/R (default 5)"},
      {"seeds", CLI_INT, &cfg.seeds, "S", "repetitions (default 3)"},
      {"episodes", CLI_INT, &cfg.eval_episodes, "E",
       "evaluation episodes per horizon and seed (default 20)"},
      {"seed", CLI_U64, &cfg.seed, "S", "first seed (default 0)"},
      {"plot", CLI_STR, &plot, "FILE", "chart of cost against horizon (default compounding.png)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object"},
      {"quiet", CLI_FLAG, &quiet, NULL, "no progress output"},
      {NULL},
  };
  cli_parsed a = cli_parse(
      "experiment compounding",
      "Behavioral cloning against DAgger with the same expert labels, as the horizon grows.",
      "[options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  cli_set_output(json, quiet);
  cfg.labels = labels;
  cfg.progress = !json && !quiet;
  if (horizons) {
    int n = 0;
    const char *p = horizons;
    while (*p) {
      char *end;
      long v = strtol(p, &end, 10);
      if (end == p || v < 1 || n >= MIMIC_EXPERIMENT_MAX_HORIZONS)
        return cli_usage_error("experiment compounding",
                               "--horizons wants up to %d positive integers, got '%s'",
                               MIMIC_EXPERIMENT_MAX_HORIZONS, horizons);
      cfg.horizons[n++] = (int)v;
      p = *end == ',' ? end + 1 : end;
      if (*end && *end != ',')
        return cli_usage_error("experiment compounding", "bad --horizons '%s'", horizons);
    }
    cfg.n_horizons = n;
  }
  mimic_compounding_result r;
  if (mimic_experiment_compounding(&cfg, &r)) return cli_fail("experiment compounding");
  if (plot && mimic_compounding_plot(&r, cfg.env_id, plot))
    return cli_fail("experiment compounding");
  if (json) {
    printf("{\"env\": \"%s\", \"labels\": %ld, \"seeds\": %d, \"rows\": [", cfg.env_id, cfg.labels,
           cfg.seeds);
    for (int i = 0; i < r.n; i++) {
      const mimic_compounding_row *w = &r.rows[i];
      printf("%s{\"horizon\": %d, \"bc_cost\": %s, \"bc_cost_std\": %s, \"bc_success\": %s, "
             "\"bc_lost\": %s, \"bc_labels\": %ld, "
             "\"dagger_cost\": %s, \"dagger_cost_std\": %s, \"dagger_success\": %s, "
             "\"dagger_lost\": %s, "
             "\"dagger_labels\": %ld}",
             i ? ", " : "", w->horizon, cli_json_num(w->bc_cost), cli_json_num(w->bc_cost_std),
             cli_json_num(w->bc_success), cli_json_num(w->bc_lost), w->bc_labels,
             cli_json_num(w->dagger_cost), cli_json_num(w->dagger_cost_std),
             cli_json_num(w->dagger_success), cli_json_num(w->dagger_lost), w->dagger_labels);
    }
    printf("], \"bc_exponent\": %s, \"dagger_exponent\": %s, \"bc_lost_exponent\": %s, "
           "\"dagger_lost_exponent\": %s, \"plot\": \"%s\"}\n",
           cli_json_num(r.bc_exponent), cli_json_num(r.dagger_exponent),
           cli_json_num(r.bc_lost_exponent), cli_json_num(r.dagger_lost_exponent),
           plot ? plot : "");
    return CLI_EXIT_OK;
  }
  printf("compounding error on %s: %ld expert labels per method, %d seeds, %d episodes each\n",
         cfg.env_id, cfg.labels, cfg.seeds, cfg.eval_episodes);
  printf("cost = steps not doing what the expert would do (steps after leaving the road count as "
         "mistakes)\n\n");
  printf("%8s  %18s %7s %8s  %18s %7s %8s\n", "horizon", "BC cost", "lost", "on road",
         "DAgger cost", "lost", "on road");
  for (int i = 0; i < r.n; i++) {
    const mimic_compounding_row *w = &r.rows[i];
    printf("%8d  %9.1f +- %6.1f %7.1f %7.0f%%  %9.1f +- %6.1f %7.1f %7.0f%%\n", w->horizon,
           w->bc_cost, w->bc_cost_std, w->bc_lost, 100 * w->bc_success, w->dagger_cost,
           w->dagger_cost_std, w->dagger_lost, 100 * w->dagger_success);
  }
  printf("\nfitted growth, cost ~ T^k:  BC k = %.2f,  DAgger k = %.2f  (theory: BC up to 2, DAgger "
         "1)\n",
         r.bc_exponent, r.dagger_exponent);
  printf("lost steps alone (failures):  BC k = %.2f,  DAgger k = %.2f  (over the horizons with "
         "failures)\n",
         r.bc_lost_exponent, r.dagger_lost_exponent);
  if (plot) printf("chart: %s\n", plot);
  return CLI_EXIT_OK;
}

static const cli_command experiments[] = {
    {"compounding", experiment_compounding, "BC vs DAgger cost as the horizon grows (LaneKeep)"},
    {"text-dagger", cmd_experiment_text_dagger, "labeling loop on BANKING77: labels vs accuracy"},
    {NULL, NULL, NULL},
};

int cmd_experiment(int argc, char **argv) {
  return cli_dispatch("experiment", experiments, argc - 1, argv + 1);
}
