/* mimic/core.h: status codes, error messages, logging, progress, time and
 * durable files. Every other layer of mimic stands on these.
 *
 * Errors follow SQLite's model: a function that can fail returns a
 * mimic_status, and mimic_errmsg() gives the sentence that explains the last
 * failure on this thread ("demos/main_data.hdf5: episode_3/actions: row 7 is
 * NaN"). Callers add context on the way up with mimic_errctx(). The library
 * never exits and never prints except through the logger. */
#ifndef MIMIC_CORE_H
#define MIMIC_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ------------------------------------------------------ */

typedef enum mimic_status {
  MIMIC_OK = 0,
  MIMIC_ERR_INVALID,     /* a bad argument, option or configuration */
  MIMIC_ERR_NOMEM,       /* an allocation failed */
  MIMIC_ERR_IO,          /* the operating system refused a read or write */
  MIMIC_ERR_FORMAT,      /* a file or record is malformed */
  MIMIC_ERR_NOT_FOUND,   /* a named thing (file, env id, key) does not exist */
  MIMIC_ERR_RANGE,       /* a value lies outside its allowed space */
  MIMIC_ERR_EXTERNAL,    /* an external program or library failed */
  MIMIC_ERR_TIMEOUT,     /* an external party did not answer in time */
  MIMIC_ERR_INTERRUPTED, /* the user asked to stop (quit, SIGINT) */
} mimic_status;

/* Returns a short constant name for a status ("invalid argument", ...). */
const char *mimic_status_str(mimic_status st);

/* Returns the message of the last failure on this thread ("" if none). */
const char *mimic_errmsg(void);

/* Returns the status of the last failure on this thread. */
mimic_status mimic_errcode(void);

/* Records st with a printf-style message as this thread's last error and
 * returns st, so a failing function can `return mimic_fail(...)`. */
mimic_status mimic_fail(mimic_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends "<context>: " to the last error message and returns its status. */
mimic_status mimic_errctx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records an out-of-memory failure for `what` and returns MIMIC_ERR_NOMEM. */
mimic_status mimic_fail_nomem(const char *what);

/* Propagates a failing status: `MIMIC_TRY(f(x));` returns early on error. */
#define MIMIC_TRY(expr)                                                                            \
  do {                                                                                             \
    mimic_status mimic_try_st_ = (expr);                                                           \
    if (mimic_try_st_ != MIMIC_OK) return mimic_try_st_;                                           \
  } while (0)

/* ---- memory ------------------------------------------------------------ */

/* malloc that records an error naming `what` on failure (n may be 0). */
void *mimic_malloc(size_t n, const char *what);
/* calloc for count*size bytes with overflow check; error names `what`. */
void *mimic_calloc(size_t count, size_t size, const char *what);
/* realloc with overflow check of count*size; on failure p stays valid. */
void *mimic_realloc(void *p, size_t count, size_t size, const char *what);
/* strdup that records an error on failure. */
char *mimic_strdup(const char *s);
/* Allocates and formats a string like asprintf; NULL (error set) on failure. */
char *mimic_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- logging ----------------------------------------------------------- */

typedef enum mimic_log_level {
  MIMIC_LOG_DEBUG = 0,
  MIMIC_LOG_INFO,
  MIMIC_LOG_WARN,
  MIMIC_LOG_ERROR,
  MIMIC_LOG_OFF,
} mimic_log_level;

typedef void (*mimic_log_sink)(mimic_log_level level, const char *msg, void *user);

/* Sets the lowest level that is written (default INFO, or $MIMIC_LOG). */
void mimic_log_set_level(mimic_log_level level);
/* Returns the current log level. */
mimic_log_level mimic_log_get_level(void);
/* Routes log lines to sink (NULL restores the default: stderr). */
void mimic_log_set_sink(mimic_log_sink sink, void *user);
/* Writes one log line at level (no trailing newline needed). */
void mimic_log(mimic_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define MIMIC_DEBUG(...) mimic_log(MIMIC_LOG_DEBUG, __VA_ARGS__)
#define MIMIC_INFO(...) mimic_log(MIMIC_LOG_INFO, __VA_ARGS__)
#define MIMIC_WARN(...) mimic_log(MIMIC_LOG_WARN, __VA_ARGS__)
#define MIMIC_ERROR(...) mimic_log(MIMIC_LOG_ERROR, __VA_ARGS__)

/* ---- time and progress ------------------------------------------------- */

/* Monotonic seconds since an arbitrary origin. */
double mimic_now(void);

/* A progress bar on a terminal (rate and ETA), or plain periodic lines when
 * stderr is not a terminal. Writes go through the logger's level: nothing
 * is shown below INFO. Updates are cheap; redraws are rate-limited. */
typedef struct mimic_progress {
  char label[48];
  char unit[16];
  uint64_t total; /* 0 = unknown */
  uint64_t done;
  double t_start, t_last_draw;
  bool tty;
  bool active;
  char note[96]; /* free text shown after the numbers (loss, return, ...) */
} mimic_progress;

/* Starts a bar for `total` units (0 if unknown), e.g. ("train bc", "batch", 2000). */
void mimic_progress_begin(mimic_progress *p, const char *label, const char *unit, uint64_t total);
/* Sets the count of finished units and redraws when due. */
void mimic_progress_update(mimic_progress *p, uint64_t done);
/* Sets the free-text note shown beside the bar (printf-style). */
void mimic_progress_note(mimic_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Finishes the bar with a final line. */
void mimic_progress_end(mimic_progress *p);
/* Globally disables progress output (for --json and --quiet). */
void mimic_progress_set_enabled(bool enabled);

/* ---- files ------------------------------------------------------------- */

/* A file written durably: bytes go to "<path>.tmp.XXXXXX" in the same folder;
 * commit flushes, fsyncs, renames over path and fsyncs the folder, so a crash
 * leaves either the old file or the new one, never a mix. */
typedef struct mimic_atomic_file {
  FILE *fp;
  char *path;
  char *tmp_path;
} mimic_atomic_file;

/* Opens a temporary file next to path for writing. */
mimic_status mimic_atomic_open(mimic_atomic_file *f, const char *path);
/* Makes the written bytes the new content of path (closes f). */
mimic_status mimic_atomic_commit(mimic_atomic_file *f);
/* Throws the temporary file away (closes f; safe after commit). */
void mimic_atomic_abort(mimic_atomic_file *f);
/* Writes a whole file durably (atomic_open + write + commit). */
mimic_status mimic_write_file_atomic(const char *path, const void *data, size_t len);
/* Reads a whole file into a NUL-terminated buffer (*len excludes the NUL). */
mimic_status mimic_read_file(const char *path, char **data, size_t *len);
/* Creates a folder and its parents (like mkdir -p). */
mimic_status mimic_mkdirs(const char *path);
/* Returns true when path exists. */
bool mimic_path_exists(const char *path);
/* Joins two path parts with one '/'; returns a malloc'd string or NULL. */
char *mimic_path_join(const char *a, const char *b);

/* ---- key=value options ------------------------------------------------ */

#define MIMIC_KV_MAX 24

/* Options written "key=value,key=value" (as in `--env-opts horizon=400`).
 * Readers mark keys as used, so unknown keys can be reported afterwards. */
typedef struct mimic_kv {
  int n;
  struct {
    char key[32];
    char value[128];
    bool used;
  } item[MIMIC_KV_MAX];
} mimic_kv;

/* Parses text (NULL or "" gives no options); duplicate keys are errors. */
mimic_status mimic_kv_parse(const char *text, mimic_kv *kv);
/* Reads an integer option in [lo, hi], or def when absent. */
mimic_status mimic_kv_int(mimic_kv *kv, const char *key, long long def, long long lo, long long hi,
                          long long *out);
/* Reads a finite number option in [lo, hi], or def when absent. */
mimic_status mimic_kv_double(mimic_kv *kv, const char *key, double def, double lo, double hi,
                             double *out);
/* Reads a string option, or def when absent. */
const char *mimic_kv_str(mimic_kv *kv, const char *key, const char *def);
/* Fails naming the first key no reader asked for ("unknown option 'x' for <what>"). */
mimic_status mimic_kv_check_used(const mimic_kv *kv, const char *what);

#ifdef __cplusplus
}
#endif
#endif
