/* External programs spoken to in JSON Lines (see proc.h).
 *
 * The program is started with posix_spawnp, never through a shell, so
 * nothing in a command line is interpreted twice. Requests are written with
 * SIGPIPE blocked on this thread, so a program that died turns into an
 * error, not a killed process. Replies are read with poll() against a
 * deadline and a bound on line length (a hostile program cannot make mimic
 * wait forever or allocate without limit). */
#define _GNU_SOURCE
#include "core/util.h"
#include "core/proc.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE (16u << 20)

extern char **environ;

struct mimic_proc {
  pid_t pid;
  int to_child, from_child;
  double timeout_s;
  char *name;       /* argv[0], for messages */
  const char *role; /* "expert program", "environment program": for messages */
  bool nonfinite;   /* NaN and Infinity tokens become strings (mimic_proc_allow_nonfinite) */
  char *buf;        /* bytes read but not yet consumed */
  size_t len, cap;
  long next_id, replies;
  bool exited;
  int status;
};

mimic_status mimic_argv_split(const char *s, char ***out) {
  *out = NULL;
  size_t cap = 8, n = 0, len = strlen(s);
  char **argv = mimic_calloc(cap, sizeof *argv, "an argument list");
  char *word = mimic_malloc(len + 1, "an argument");
  if (!argv || !word) {
    free(argv);
    free(word);
    return MIMIC_ERR_NOMEM;
  }
  size_t i = 0;
  for (;;) {
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') i++;
    if (!s[i]) break;
    size_t w = 0;
    char quote = 0;
    for (; s[i]; i++) {
      char c = s[i];
      if (quote) {
        if (c == quote)
          quote = 0;
        else if (c == '\\' && quote == '"' && (s[i + 1] == '"' || s[i + 1] == '\\'))
          word[w++] = s[++i];
        else
          word[w++] = c;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '\\' && s[i + 1]) {
        word[w++] = s[++i];
      } else if (c == ' ' || c == '\t' || c == '\n') {
        break;
      } else {
        word[w++] = c;
      }
    }
    if (quote) {
      free(word);
      mimic_argv_free(argv);
      return mimic_fail(MIMIC_ERR_INVALID, "command '%s' has an unclosed %c quote", s, quote);
    }
    if (n + 2 > cap) {
      char **bigger = mimic_realloc(argv, cap * 2, sizeof *argv, "an argument list");
      if (!bigger) {
        free(word);
        mimic_argv_free(argv);
        return MIMIC_ERR_NOMEM;
      }
      argv = bigger;
      cap *= 2;
    }
    word[w] = '\0';
    argv[n] = mimic_strdup(word);
    if (!argv[n]) {
      free(word);
      mimic_argv_free(argv);
      return MIMIC_ERR_NOMEM;
    }
    argv[++n] = NULL;
  }
  free(word);
  if (n == 0) {
    mimic_argv_free(argv);
    return mimic_fail(MIMIC_ERR_INVALID, "empty command");
  }
  *out = argv;
  return MIMIC_OK;
}

void mimic_argv_free(char **argv) {
  if (!argv) return;
  for (char **a = argv; *a; a++) free(*a);
  free(argv);
}

mimic_status mimic_proc_spawn(char *const argv[], const char *role, double timeout_s,
                              mimic_proc **out) {
  *out = NULL;
  if (isnan(timeout_s))
    return mimic_fail(MIMIC_ERR_INVALID, "the timeout for '%s' is not a number", argv[0]);
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0)
    return mimic_fail(MIMIC_ERR_IO, "cannot create a pipe: %s", strerror(errno));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return mimic_fail(MIMIC_ERR_IO, "cannot create a pipe: %s", strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    return mimic_fail(MIMIC_ERR_EXTERNAL, "cannot start '%s': %s", argv[0], strerror(rc));
  }
  mimic_proc *p = mimic_calloc(1, sizeof *p, "an external program");
  char *name = mimic_strdup(argv[0]);
  if (!p || !name) {
    free(p);
    free(name);
    close(in_pipe[1]);
    close(out_pipe[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return MIMIC_ERR_NOMEM;
  }
  p->pid = pid;
  p->to_child = in_pipe[1];
  p->from_child = out_pipe[0];
  p->timeout_s = timeout_s;
  p->name = name;
  p->role = role;
  p->next_id = 1;
  *out = p;
  return MIMIC_OK;
}

mimic_status mimic_proc_start(const char *cmdline, const char *role, double timeout_s,
                              mimic_proc **out) {
  *out = NULL;
  if (isnan(timeout_s))
    return mimic_fail(MIMIC_ERR_INVALID, "the timeout for '%s' is not a number", cmdline);
  char **argv;
  MIMIC_TRY(mimic_argv_split(cmdline, &argv));
  mimic_status st = mimic_proc_spawn(argv, role, timeout_s, out);
  mimic_argv_free(argv);
  return st;
}

const char *mimic_proc_name(const mimic_proc *p) { return p->name; }

void mimic_proc_set_timeout(mimic_proc *p, double timeout_s) { p->timeout_s = timeout_s; }

void mimic_proc_allow_nonfinite(mimic_proc *p) { p->nonfinite = true; }

/* Reaps the child if it has exited and describes how it ended. */
static const char *exit_story(mimic_proc *p, char *buf, size_t cap) {
  if (!p->exited) {
    int status;
    pid_t r = waitpid(p->pid, &status, 0);
    if (r == p->pid) {
      p->exited = true;
      p->status = status;
    }
  }
  if (!p->exited)
    snprintf(buf, cap, "closed its output");
  else if (WIFEXITED(p->status))
    snprintf(buf, cap, "exited with status %d", WEXITSTATUS(p->status));
  else if (WIFSIGNALED(p->status))
    snprintf(buf, cap, "was killed by signal %d", WTERMSIG(p->status));
  else
    snprintf(buf, cap, "stopped");
  return buf;
}

/* what names the message in errors ("request 9", "step frame 17"). */
static mimic_status write_all(mimic_proc *p, const char *data, size_t len, const char *what) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  mimic_status st = MIMIC_OK;
  while (len > 0) {
    ssize_t k = write(p->to_child, data, len);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) {
      int err = errno;
      if (err == EPIPE) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero); /* consume the pending SIGPIPE */
        char story[64];
        st = mimic_fail(MIMIC_ERR_EXTERNAL, "%s '%s' %s before %s (after %ld replies)", p->role,
                        p->name, exit_story(p, story, sizeof story), what, p->replies);
      } else {
        st = mimic_fail(MIMIC_ERR_IO, "cannot write to '%s': %s", p->name, strerror(err));
      }
      break;
    }
    data += k;
    len -= (size_t)k;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return st;
}

/* Reads what the program has sent into the buffer, waiting until the
 * deadline; what names the awaited reply in errors ("request 9"). */
static mimic_status read_more(mimic_proc *p, double deadline, const char *what) {
  for (;;) {
    int wait_ms = -1;
    if (p->timeout_s > 0) {
      double left = deadline - mimic_now();
      if (left <= 0)
        return mimic_fail(MIMIC_ERR_TIMEOUT, "%s '%s' did not answer %s within %g s", p->role,
                          p->name, what, p->timeout_s);
      /* a timeout of days would overflow an int of milliseconds: wait in
       * slices of at most a day, the deadline check above ends it */
      wait_ms = left < 86400.0 ? (int)(left * 1000) + 1 : 86400 * 1000;
    }
    struct pollfd pfd = {.fd = p->from_child, .events = POLLIN};
    int r = poll(&pfd, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return mimic_fail(MIMIC_ERR_IO, "poll on '%s' failed: %s", p->name, strerror(errno));
    if (r == 0) continue; /* the deadline check above reports the timeout */
    if (p->len + 65536 > p->cap) {
      size_t cap = p->cap ? p->cap * 2 : 65536;
      while (cap < p->len + 65536) cap *= 2;
      char *bigger = mimic_realloc(p->buf, cap, 1, "a reply buffer");
      if (!bigger) return MIMIC_ERR_NOMEM;
      p->buf = bigger;
      p->cap = cap;
    }
    ssize_t k = read(p->from_child, p->buf + p->len, p->cap - p->len);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0)
      return mimic_fail(MIMIC_ERR_IO, "cannot read from '%s': %s", p->name, strerror(errno));
    if (k == 0) {
      char story[64];
      return mimic_fail(MIMIC_ERR_EXTERNAL, "%s '%s' %s without answering %s (after %ld replies)",
                        p->role, p->name, exit_story(p, story, sizeof story), what, p->replies);
    }
    p->len += (size_t)k;
    return MIMIC_OK;
  }
}

/* Reads one line (without the newline) into a new string before the deadline. */
static mimic_status read_line(mimic_proc *p, double deadline, const char *what, char **line) {
  for (;;) {
    char *nl = p->len ? memchr(p->buf, '\n', p->len) : NULL;
    if (nl) {
      size_t n = (size_t)(nl - p->buf);
      *line = mimic_malloc(n + 1, "a reply");
      if (!*line) return MIMIC_ERR_NOMEM;
      memcpy(*line, p->buf, n);
      (*line)[n] = '\0';
      memmove(p->buf, nl + 1, p->len - n - 1);
      p->len -= n + 1;
      return MIMIC_OK;
    }
    if (p->len >= MAX_LINE)
      return mimic_fail(MIMIC_ERR_EXTERNAL, "%s '%s': reply to %s is longer than %u bytes", p->role,
                        p->name, what, MAX_LINE);
    MIMIC_TRY(read_more(p, deadline, what));
  }
}

mimic_status mimic_proc_send(mimic_proc *p, const void *data, size_t len, const char *what) {
  if (p->exited)
    return mimic_fail(MIMIC_ERR_EXTERNAL, "%s '%s' is no longer running", p->role, p->name);
  return write_all(p, data, len, what);
}

mimic_status mimic_proc_recv(mimic_proc *p, void *out, size_t len, const char *what) {
  double deadline = mimic_now() + p->timeout_s;
  while (p->len < len) MIMIC_TRY(read_more(p, deadline, what));
  memcpy(out, p->buf, len);
  memmove(p->buf, p->buf + len, p->len - len);
  p->len -= len;
  return MIMIC_OK;
}

void mimic_proc_count_reply(mimic_proc *p) { p->replies++; }

mimic_status mimic_proc_request(mimic_proc *p, json_t *request, json_t **reply) {
  *reply = NULL;
  if (p->exited)
    return mimic_fail(MIMIC_ERR_EXTERNAL, "%s '%s' is no longer running", p->role, p->name);
  long id = p->next_id++;
  json_object_set_new(request, "id", json_integer(id));
  char *text = json_dumps(request, JSON_COMPACT | JSON_ENSURE_ASCII);
  if (!text) return mimic_fail_nomem("a request");
  size_t n = strlen(text);
  text[n] = '\n'; /* the line ends where the string's NUL was */
  char what[32];
  snprintf(what, sizeof what, "request %ld", id);
  mimic_status st = write_all(p, text, n + 1, what);
  free(text);
  if (st) return st;
  double deadline = mimic_now() + p->timeout_s;
  for (;;) {
    char *line = NULL;
    MIMIC_TRY(read_line(p, deadline, what, &line));
    if (line[strspn(line, " \t\r")] == '\0') { /* blank lines are allowed */
      free(line);
      continue;
    }
    if (p->nonfinite) {
      char *quoted = mimic_json_quote_nonfinite(line);
      free(line);
      if (!quoted) return MIMIC_ERR_NOMEM;
      line = quoted;
    }
    json_error_t err;
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
    if (!j || !json_is_object(j)) {
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "%s '%s': reply to request %ld is not a JSON object (%s): '%.80s'", p->role,
                      p->name, id, j ? "not an object" : err.text, line);
      json_decref(j);
      free(line);
      return st;
    }
    free(line);
    json_t *rid = json_object_get(j, "id");
    if (!json_is_integer(rid) || json_integer_value(rid) != id) {
      json_decref(j);
      return mimic_fail(MIMIC_ERR_FORMAT, "%s '%s': reply to request %ld carries %s", p->role,
                        p->name, id, rid ? "another id" : "no \"id\"");
    }
    json_t *e = json_object_get(j, "error");
    if (json_is_string(e)) {
      st = mimic_fail(MIMIC_ERR_EXTERNAL, "%s '%s' reported an error on request %ld: %s", p->role,
                      p->name, id, json_string_value(e));
      json_decref(j);
      return st;
    }
    p->replies++;
    *reply = j;
    return MIMIC_OK;
  }
}

long mimic_proc_replies(const mimic_proc *p) { return p->replies; }

/* Waits up to ms milliseconds for the program to exit; true when it did. */
static bool wait_exit(mimic_proc *p, int ms) {
  for (int waited = 0; !p->exited && waited <= ms; waited += 10) {
    int status;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
      p->exited = true;
      break;
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return p->exited;
}

void mimic_proc_stop(mimic_proc *p) {
  if (!p) return;
  close(p->to_child); /* EOF on its stdin: a well-behaved program leaves now */
  if (!wait_exit(p, 500)) {
    kill(p->pid, SIGTERM);
    if (!wait_exit(p, 500)) {
      kill(p->pid, SIGKILL);
      waitpid(p->pid, NULL, 0);
    }
  }
  close(p->from_child);
  free(p->buf);
  free(p->name);
  free(p);
}
