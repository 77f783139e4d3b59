/* mimic experiment <name>: the experiments behind README's and docs' figures. */
#include "cli/args.h"
#include "cli/commands.h"

static const cli_command experiments[] = {
    {"compounding", cmd_experiment_compounding,
     "BC vs DAgger cost as the horizon grows, with intervals (LaneKeep, two lanes)"},
    {"offline", cmd_experiment_offline,
     "offline RL and BC on every dataset kind: D4RL's table of normalised scores"},
    {"text-dagger", cmd_experiment_text_dagger, "labeling loop on BANKING77: labels vs accuracy"},
    {NULL, NULL, NULL},
};

int cmd_experiment(int argc, char **argv) {
  return cli_dispatch("experiment", experiments, argc - 1, argv + 1);
}
