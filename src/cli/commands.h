/* The subcommands of `mimic`. Each lives in its own cmd_<name>.c and has
 * the signature of main(): argv[0] is the subcommand's own name. */
#ifndef MIMIC_CLI_COMMANDS_H
#define MIMIC_CLI_COMMANDS_H

typedef int (*cli_command_fn)(int argc, char **argv);

typedef struct cli_command {
  const char *name;
  cli_command_fn run;
  const char *summary;
} cli_command;

/* Runs the command table entry matching argv[0] among `table`, or prints the
 * table's help. `prefix` is the words before it ("text" for "mimic text"). */
int cli_dispatch(const char *prefix, const cli_command *table, int argc, char **argv);

int cmd_version(int argc, char **argv);
int cmd_envs(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_play(int argc, char **argv);
int cmd_experiment(int argc, char **argv);
int cmd_text(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_text_dagger(int argc, char **argv);
int cmd_text_export(int argc, char **argv);
int cmd_experiment_text_dagger(int argc, char **argv);
int cmd_experiment_compounding(int argc, char **argv);
int cmd_experiment_offline(int argc, char **argv);
int cli_train_ppo(int argc, char **argv);
int cli_train_gail(int argc, char **argv);
/* mimic train preferences (cmd_pref.c). */
int cli_train_preferences(int argc, char **argv);
/* mimic train bco and mimic dataset strip-actions (cmd_bco.c). */
int cli_train_bco(int argc, char **argv);
/* mimic train sqil (cmd_sqil.c). */
int cli_train_sqil(int argc, char **argv);
/* mimic train density (cmd_density.c). */
int cli_train_density(int argc, char **argv);
int cli_dataset_strip_actions(int argc, char **argv);
int cli_train_airl(int argc, char **argv);
int cli_train_maxent_irl(int argc, char **argv);
int cli_refine(int argc, char **argv);
int cmd_dataset_generate(int argc, char **argv);
int cli_train_sac(int argc, char **argv);
int cli_train_td3(int argc, char **argv);
int cli_train_td3bc(int argc, char **argv);
int cli_train_iql(int argc, char **argv);
int cli_train_cql(int argc, char **argv);
/* mimic train dt (cmd_dt.c). */
int cli_train_dt(int argc, char **argv);
int cli_train_dqn(int argc, char **argv);
int cli_train_discrete_bc(int argc, char **argv);

#include <stdbool.h>

#include "mimic/nn.h"

/* Parses "32,32" into hidden widths (at most cap); false if malformed. */
bool cli_parse_hidden(const char *text, int *hidden, int *n_hidden, int cap);
/* Parses "tanh" or "relu". */
bool cli_parse_activation(const char *text, mimic_activation *act);

#endif
