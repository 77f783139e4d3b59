/* Flag parsing for mimic's subcommands (see args.h). */
#include "cli/args.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/core.h"

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "mimic %s: error: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see 'mimic %s --help')\n", cmd);
  va_end(ap);
  return CLI_EXIT_USAGE;
}

int cli_check_agreement(const char *cmd, int k, const char *flag, const char *spec) {
  if (k < 1) return cli_usage_error(cmd, "--web-agreement must be at least 1, got %d", k);
  bool web = spec && (!strcmp(spec, "web") || !strncmp(spec, "web:", 4));
  if (k > 1 && !web)
    return cli_usage_error(cmd,
                           "--web-agreement %d asks several people at the labeling page for each "
                           "answer: give %s web[:PORT] (got %s)",
                           k, flag, spec ? spec : "none");
  return 0;
}

int cli_fail(const char *cmd) {
  const char *msg = mimic_errmsg();
  fprintf(stderr, "mimic %s: error: %s\n", cmd, *msg ? msg : "failed");
  return CLI_EXIT_FAIL;
}

void cli_set_output(bool json, bool quiet) {
  if (json || quiet) mimic_progress_set_enabled(false);
  if (quiet) mimic_log_set_level(MIMIC_LOG_WARN);
}

/* "-" before a one-letter option (-o, -C), "--" before the others. */
static const char *dashes(const char *name) { return strlen(name) == 1 ? "-" : "--"; }

static void print_help(const char *cmd, const char *summary, const char *usage,
                       const cli_opt *opts) {
  printf("usage: mimic %s %s\n\n%s\n\noptions:\n", cmd, usage ? usage : "[options]", summary);
  for (const cli_opt *o = opts; o->name; o++) {
    char left[64];
    if (o->type == CLI_FLAG)
      snprintf(left, sizeof left, "%s%s", dashes(o->name), o->name);
    else
      snprintf(left, sizeof left, "%s%s %s", dashes(o->name), o->name, o->meta ? o->meta : "VALUE");
    printf("  %-26s %s%s\n", left, o->help ? o->help : "", o->required ? " (required)" : "");
  }
  printf("  %-26s %s\n", "-h, --help", "show this help and exit");
}

static int set_value(const char *cmd, cli_opt *o, const char *v) {
  char *end = NULL;
  errno = 0;
  switch (o->type) {
  case CLI_STR: *(const char **)o->dest = v; return 0;
  case CLI_INT: {
    long x = strtol(v, &end, 10);
    if (errno || !*v || *end || x < -2147483647L || x > 2147483647L)
      return cli_usage_error(cmd, "%s%s wants an integer, got '%s'", dashes(o->name), o->name, v);
    *(int *)o->dest = (int)x;
    return 0;
  }
  case CLI_LONG: {
    long long x = strtoll(v, &end, 10);
    if (errno || !*v || *end)
      return cli_usage_error(cmd, "%s%s wants an integer, got '%s'", dashes(o->name), o->name, v);
    *(long long *)o->dest = x;
    return 0;
  }
  case CLI_U64: {
    if (*v == '-')
      return cli_usage_error(cmd, "%s%s wants a non-negative integer, got '%s'", dashes(o->name),
                             o->name, v);
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || !*v || *end)
      return cli_usage_error(cmd, "%s%s wants a non-negative integer, got '%s'", dashes(o->name),
                             o->name, v);
    *(uint64_t *)o->dest = (uint64_t)x;
    return 0;
  }
  case CLI_DOUBLE: {
    double x = strtod(v, &end);
    if (errno || !*v || *end || x != x)
      return cli_usage_error(cmd, "%s%s wants a number, got '%s'", dashes(o->name), o->name, v);
    *(double *)o->dest = x;
    return 0;
  }
  case CLI_FLAG: *(bool *)o->dest = true; return 0;
  }
  return cli_usage_error(cmd, "internal: bad option type for --%s", o->name);
}

bool cli_seen(const cli_opt *opts, const char *name) {
  for (const cli_opt *o = opts; o->name; o++)
    if (strcmp(o->name, name) == 0) return o->seen;
  return false;
}

cli_parsed cli_parse(const char *cmd, const char *summary, const char *usage, cli_opt *opts,
                     int max_pos, int argc, char **argv) {
  cli_parsed r = {0};
  r.pos = argv + argc; /* positional arguments are collected in place */
  int npos = 0;
  char **pos = argv + 1;
  bool only_pos = false;
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (!only_pos && strcmp(a, "--") == 0) {
      only_pos = true;
      continue;
    }
    if (!only_pos && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
      print_help(cmd, summary, usage, opts);
      r.exit_now = true;
      r.exit_code = CLI_EXIT_OK;
      return r;
    }
    if (only_pos || a[0] != '-' || a[1] == '\0') {
      if (npos >= max_pos) {
        r.exit_now = true;
        r.exit_code = cli_usage_error(cmd, "unexpected argument '%s'", a);
        return r;
      }
      pos[npos++] = a;
      continue;
    }
    const char *name = a + (a[1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    cli_opt *o = NULL;
    for (cli_opt *c = opts; c->name; c++)
      if (strlen(c->name) == len && strncmp(c->name, name, len) == 0) o = c;
    if (!o) {
      r.exit_now = true;
      r.exit_code =
          cli_usage_error(cmd, "unknown option '%.*s'", (int)(len + (size_t)(name - a)), a);
      return r;
    }
    const char *value = NULL;
    if (o->type == CLI_FLAG) {
      if (eq) {
        r.exit_now = true;
        r.exit_code = cli_usage_error(cmd, "%s%s takes no value", dashes(o->name), o->name);
        return r;
      }
    } else if (eq) {
      value = eq + 1;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      r.exit_now = true;
      r.exit_code = cli_usage_error(cmd, "%s%s needs a value", dashes(o->name), o->name);
      return r;
    }
    if (set_value(cmd, o, value) != 0) {
      r.exit_now = true;
      r.exit_code = CLI_EXIT_USAGE;
      return r;
    }
    o->seen = true;
  }
  for (cli_opt *o = opts; o->name; o++) {
    if (o->required && !o->seen) {
      r.exit_now = true;
      r.exit_code = cli_usage_error(cmd, "%s%s is required", dashes(o->name), o->name);
      return r;
    }
  }
  r.npos = npos;
  r.pos = pos;
  return r;
}
