/* Containing the HDF5 library: a file mimic did not write is read in a
 * child process first.
 *
 * libhdf5 trusts its files: a bit-flipped main_data.hdf5 can make it
 * overflow a heap buffer inside H5Dopen2 (1.10.8; h5py on the same library
 * crashes too). mimic cannot fix the library, but it can keep a damaged file
 * from crashing or corrupting the process that reads it: before an untrusted
 * file is read in process, the same read runs in a forked child with limits
 * (CPU seconds, and address space unless a sanitizer owns it). A child
 * killed by a signal becomes "the HDF5 library crashed reading FILE: the
 * file is damaged"; a child that fails reports its error, which is the one
 * the read would give in process; only a clean read goes on in process.
 *
 * Trust: a dataset is trusted when its main_data.hdf5 is the one this
 * machine's mimic last committed there, byte for byte. Each commit writes
 * data/mimic-checksum (the main file's size and CRC-32) after the main file;
 * a dataset without it (Minari's, anyone else's), with pending journal
 * episodes, or whose file no longer matches is read in a child first, and
 * so is every D4RL and robomimic file. The checksum catches damage (a disk,
 * a truncated copy, an edit), not forgery: someone who crafts a file can
 * write its checksum too, so MIMIC_CONTAIN=always contains every read (the
 * cost: each untrusted read is done twice). docs/datasets.md states this. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "data/data_impl.h"

#define CHECKSUM_FILE "mimic-checksum"

static bool inside_probe = false; /* set in the child only */

bool dcontain_inside(void) { return inside_probe; }

/* Size and CRC-32 of a file's bytes. */
static mimic_status file_crc(const char *path, uint64_t *size, uint32_t *crc) {
  FILE *f = fopen(path, "rb");
  if (!f) return mimic_fail(MIMIC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  static _Thread_local unsigned char buf[1 << 16];
  uint32_t c = 0;
  uint64_t n = 0;
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
    c = mimic_crc32(c, buf, k);
    n += k;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) return mimic_fail(MIMIC_ERR_IO, "%s: cannot read", path);
  *size = n;
  *crc = c;
  return MIMIC_OK;
}

static char *checksum_path(const char *main_path) {
  const char *slash = strrchr(main_path, '/');
  size_t dir = slash ? (size_t)(slash - main_path) + 1 : 0;
  return mimic_asprintf("%.*s%s", (int)dir, main_path, CHECKSUM_FILE);
}

mimic_status dcontain_stamp(const char *main_path, bool sync) {
  uint64_t size;
  uint32_t crc;
  MIMIC_TRY(file_crc(main_path, &size, &crc));
  char *path = checksum_path(main_path);
  if (!path) return MIMIC_ERR_NOMEM;
  char text[96];
  int n = snprintf(text, sizeof text, "main_data.hdf5 size %" PRIu64 " crc32 %08" PRIx32 "\n", size,
                   crc);
  mimic_status st = dstore_write_file(path, text, (size_t)n, sync);
  free(path);
  return st;
}

bool dcontain_trusted(const char *main_path) {
  const char *mode = getenv("MIMIC_CONTAIN");
  if (mode && !strcmp(mode, "always")) return false;
  char *path = checksum_path(main_path);
  char *text = NULL;
  size_t len = 0;
  bool ok = path && mimic_read_file(path, &text, &len) == MIMIC_OK;
  free(path);
  uint64_t want_size = 0, size;
  uint32_t want_crc = 0, crc;
  ok = ok &&
       sscanf(text, "main_data.hdf5 size %" SCNu64 " crc32 %" SCNx32, &want_size, &want_crc) == 2;
  free(text);
  ok = ok && dstore_file_size(main_path) == want_size;
  ok = ok && file_crc(main_path, &size, &crc) == MIMIC_OK && size == want_size && crc == want_crc;
  mimic_errclear();
  return ok;
}

/* The child's limits: a read of a file should not need more. */
static void limit_child(void) {
  struct rlimit cpu = {60, 61}; /* SIGXCPU, then SIGKILL */
  setrlimit(RLIMIT_CPU, &cpu);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define MIMIC_NO_AS_LIMIT
#endif
#endif
#ifndef MIMIC_NO_AS_LIMIT
  struct rlimit as = {(rlim_t)16 << 30, (rlim_t)16 << 30}; /* 16 GiB of address space */
  setrlimit(RLIMIT_AS, &as);
#endif
#endif
}

mimic_status dcontain_probe(const char *file, mimic_status (*fn)(void *ctx), void *ctx) {
  if (inside_probe) return MIMIC_OK;
  int fds[2];
  if (pipe(fds) != 0)
    return mimic_fail(MIMIC_ERR_IO, "cannot create a pipe to check %s: %s", file, strerror(errno));
  fflush(NULL); /* the child must not write the parent's buffered output again */
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return mimic_fail(MIMIC_ERR_IO, "cannot fork to check %s: %s", file, strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    inside_probe = true;
    limit_child();
    const char *crash = getenv("MIMIC_TEST_HDF5_CRASH"); /* tests: the library "crashes" */
    if (crash && *crash && strstr(file, crash)) {
      signal(SIGSEGV, SIG_DFL); /* a plain crash, also under a sanitizer's handler */
      raise(SIGSEGV);
    }
    mimic_status st = fn(ctx);
    if (st) {
      const char *msg = mimic_errmsg();
      size_t n = strlen(msg);
      while (n) {
        ssize_t k = write(fds[1], msg, n);
        if (k <= 0) break;
        msg += k;
        n -= (size_t)k;
      }
    }
    _exit(st == MIMIC_OK ? 0 : 1 + (int)st);
  }
  close(fds[1]);
  char msg[1024];
  size_t got = 0;
  for (;;) {
    ssize_t k = read(fds[0], msg + got, sizeof msg - 1 - got);
    if (k > 0 && got + (size_t)k < sizeof msg - 1) {
      got += (size_t)k;
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    if (k > 0) got += (size_t)k;
    break;
  }
  msg[got] = '\0';
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGXCPU || sig == SIGKILL)
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "reading %s took over a minute of CPU in the HDF5 library: the file is "
                        "damaged",
                        file);
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "the HDF5 library crashed reading %s (signal %d, %s): the file is damaged",
                      file, sig, strsignal(sig));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return MIMIC_OK;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) - 1 : (int)MIMIC_ERR_EXTERNAL;
  if (code <= 0 || code > (int)MIMIC_ERR_INTERRUPTED) code = (int)MIMIC_ERR_FORMAT;
  return mimic_fail((mimic_status)code, "%s", got ? msg : "the check of the file failed");
}
