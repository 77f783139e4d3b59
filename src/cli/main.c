/* mimic: the command line. A thin layer: each subcommand parses its flags
 * and calls the library; nothing here knows how learning works. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "mpi/mpi_comm.h"

#ifndef MIMIC_VERSION
#define MIMIC_VERSION "0.0.0"
#endif

static const cli_command commands[] = {
    {"envs", cmd_envs, "list environments: ids, spaces, time limits, options"},
    {"collect", cmd_collect, "record expert demonstrations into a dataset"},
    {"dataset", cmd_dataset, "inspect, validate, convert, merge and split demonstration datasets"},
    {"train", cmd_train, "train a policy (bc, dagger, ...)"},
    {"refine", cli_refine, "clone, then refine: PPO from a cloned policy"},
    {"eval", cmd_eval, "evaluate a policy: return, success, normalised score"},
    {"model", cmd_model, "inspect model files: kind, architecture, spaces, metadata"},
    {"play", cmd_play, "watch a policy act (terminal or PNG frames)"},
    {"experiment", cmd_experiment,
     "run the experiments behind README's figures (compounding, text-dagger)"},
    {"text", cmd_text, "text classifiers: train, predict, eval (TF-IDF + logistic regression)"},
    {"agent", cmd_agent, "clone tool-using agents: import, fit, predict, calibrate, dagger, serve"},
    {"version", cmd_version, "print mimic's version"},
    {NULL, NULL, NULL},
};

int cmd_version(int argc, char **argv) {
  (void)argc;
  (void)argv;
  printf("mimic %s\n", MIMIC_VERSION);
  return CLI_EXIT_OK;
}

static void print_table(const char *prefix, const cli_command *table, FILE *out) {
  fprintf(out, "usage: mimic %s%s<command> [options]\n\ncommands:\n", prefix, *prefix ? " " : "");
  for (const cli_command *c = table; c->name; c++)
    fprintf(out, "  %-14s %s\n", c->name, c->summary);
  fprintf(out, "\nRun 'mimic %s%s<command> --help' for a command's options.\n", prefix,
          *prefix ? " " : "");
}

int cli_dispatch(const char *prefix, const cli_command *table, int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
      strcmp(argv[0], "help") == 0) {
    print_table(prefix, table, stdout);
    return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
  }
  for (const cli_command *c = table; c->name; c++)
    if (strcmp(c->name, argv[0]) == 0) return c->run(argc, argv);
  fprintf(stderr, "mimic: unknown command '%s%s%s'\n", prefix, *prefix ? " " : "", argv[0]);
  print_table(prefix, table, stderr);
  return CLI_EXIT_USAGE;
}

/* The commands that share their work out over an MPI job's ranks
 * (docs/cluster.md); any other, started N times by mpirun, would do the
 * same work N times into the same files. */
static bool runs_on_ranks(int argc, char **argv) {
  static const char *train[] = {"bc", "ppo", "gail", "dagger", "td3bc", "iql"};
  if (argc < 3 || strcmp(argv[1], "train") != 0) return false;
  for (size_t i = 0; i < sizeof train / sizeof *train; i++)
    if (strcmp(argv[2], train[i]) == 0) return true;
  return false;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--version") == 0) return cmd_version(0, NULL);
  if (mimic_mpi_launch_size() > 1 && !runs_on_ranks(argc, argv)) {
    fprintf(
        stderr,
        "mimic: started on %d MPI ranks, but only train bc, ppo, gail, dagger, td3bc and iql share "
        "their work out over ranks; run this command without mpirun (docs/cluster.md)\n",
        mimic_mpi_launch_size());
    return CLI_EXIT_USAGE;
  }
  return cli_dispatch("", commands, argc - 1, argv + 1);
}
