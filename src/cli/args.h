/* Flag parsing for mimic's subcommands.
 *
 * Each command declares a table of options; cli_parse fills the
 * destinations, prints --help from the same table, and rejects unknown
 * flags, missing values and malformed numbers with a message naming the
 * flag. Both "--name value" and "--name=value" work. */
#ifndef MIMIC_CLI_ARGS_H
#define MIMIC_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum cli_arg_type {
  CLI_STR,    /* const char * */
  CLI_INT,    /* int */
  CLI_LONG,   /* long long */
  CLI_U64,    /* uint64_t */
  CLI_DOUBLE, /* double */
  CLI_FLAG,   /* bool, no value */
} cli_arg_type;

typedef struct cli_opt {
  const char *name; /* without the dashes: "epochs"; "o" for -o */
  cli_arg_type type;
  void *dest;
  const char *meta; /* "N", "PATH" */
  const char *help;
  bool required;
  bool seen; /* set by cli_parse */
} cli_opt;

/* The exit codes of the command: success, a failure at run time, bad usage. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* Result of cli_parse: go on, or exit now with the given code. */
typedef struct cli_parsed {
  bool exit_now;
  int exit_code;
  int npos;   /* positional arguments left */
  char **pos; /* pointers into argv */
} cli_parsed;

/* Parses argv[1..] (argv[0] is the command name) against opts (ended by a
 * {NULL} entry). max_pos limits positional arguments. */
cli_parsed cli_parse(const char *cmd, const char *summary, const char *usage, cli_opt *opts,
                     int max_pos, int argc, char **argv);

/* Returns true when the option called name was given on the command line. */
bool cli_seen(const cli_opt *opts, const char *name);

/* Prints "mimic CMD: error: <mimic_errmsg()>" and returns CLI_EXIT_FAIL. */
int cli_fail(const char *cmd);

/* Prints "mimic CMD: error: <message>" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks --web-agreement K against the expert spec (flag: "--expert" or
 * "--gatherer"): K >= 1, and K > 1 only with web[:PORT]. 0 or a usage error. */
int cli_check_agreement(const char *cmd, int k, const char *flag, const char *spec);

/* Applies the shared output flags: quiet and json silence progress bars. */
void cli_set_output(bool json, bool quiet);

#endif
