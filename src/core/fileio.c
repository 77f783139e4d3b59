/* Durable files: write to a temporary file, fsync, rename, fsync the folder.
 *
 * A reader therefore sees the old content or the new, never a torn file,
 * and after commit returns the new content survives a power cut. Reading
 * helpers bound what they accept because inputs may come from anyone. */
#include "mimic/core.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *parent_of(const char *path) {
  char *copy = mimic_strdup(path);
  if (!copy) return NULL;
  char *dir = mimic_strdup(dirname(copy));
  free(copy);
  return dir;
}

mimic_status mimic_fsync_parent(const char *path) {
  char *dir = parent_of(path);
  if (!dir) return MIMIC_ERR_NOMEM;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    free(dir);
    return st;
  }
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0 && err != EINVAL) { /* some file systems cannot fsync folders */
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: fsync failed: %s", dir, strerror(err));
    free(dir);
    return st;
  }
  free(dir);
  return MIMIC_OK;
}

mimic_status mimic_atomic_open(mimic_atomic_file *f, const char *path) {
  memset(f, 0, sizeof *f);
  f->path = mimic_strdup(path);
  f->tmp_path = mimic_asprintf("%s.tmp.XXXXXX", path);
  if (!f->path || !f->tmp_path) {
    mimic_atomic_abort(f);
    return MIMIC_ERR_NOMEM;
  }
  int fd = mkstemp(f->tmp_path);
  if (fd < 0) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    free(f->tmp_path);
    f->tmp_path = NULL;
    mimic_atomic_abort(f);
    return st;
  }
  fchmod(fd, 0644);
  f->fp = fdopen(fd, "wb");
  if (!f->fp) {
    close(fd);
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    mimic_atomic_abort(f);
    return st;
  }
  return MIMIC_OK;
}

mimic_status mimic_atomic_commit(mimic_atomic_file *f) {
  if (!f->fp) return mimic_fail(MIMIC_ERR_INVALID, "atomic file is not open");
  bool ok = fflush(f->fp) == 0 && !ferror(f->fp) && fsync(fileno(f->fp)) == 0;
  int err = errno;
  ok = (fclose(f->fp) == 0) && ok;
  f->fp = NULL;
  if (!ok) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: write failed: %s", f->path, strerror(err));
    mimic_atomic_abort(f);
    return st;
  }
  if (rename(f->tmp_path, f->path) != 0) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot replace: %s", f->path, strerror(errno));
    mimic_atomic_abort(f);
    return st;
  }
  free(f->tmp_path);
  f->tmp_path = NULL;
  mimic_status st = mimic_fsync_parent(f->path);
  free(f->path);
  f->path = NULL;
  return st;
}

void mimic_atomic_abort(mimic_atomic_file *f) {
  if (f->fp) fclose(f->fp);
  if (f->tmp_path) unlink(f->tmp_path);
  free(f->tmp_path);
  free(f->path);
  memset(f, 0, sizeof *f);
}

mimic_status mimic_write_file_atomic(const char *path, const void *data, size_t len) {
  mimic_atomic_file f;
  MIMIC_TRY(mimic_atomic_open(&f, path));
  if (len && fwrite(data, 1, len, f.fp) != len) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    mimic_atomic_abort(&f);
    return st;
  }
  return mimic_atomic_commit(&f);
}

mimic_status mimic_read_file(const char *path, char **data, size_t *len) {
  *data = NULL;
  if (len) *len = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return mimic_fail(errno == ENOENT ? MIMIC_ERR_NOT_FOUND : MIMIC_ERR_IO, "%s: cannot open: %s",
                      path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = mimic_malloc(cap, path);
  if (!buf) {
    fclose(fp);
    return MIMIC_ERR_NOMEM;
  }
  for (;;) {
    if (n + 1 >= cap) {
      char *bigger = mimic_realloc(buf, cap, 2, path);
      if (!bigger) {
        free(buf);
        fclose(fp);
        return MIMIC_ERR_NOMEM;
      }
      buf = bigger;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, fp);
    n += got;
    if (got == 0) break;
  }
  bool failed = ferror(fp);
  fclose(fp);
  if (failed) {
    free(buf);
    return mimic_fail(MIMIC_ERR_IO, "%s: read failed", path);
  }
  buf[n] = '\0';
  *data = buf;
  if (len) *len = n;
  return MIMIC_OK;
}

mimic_status mimic_mkdirs(const char *path) {
  char *copy = mimic_strdup(path);
  if (!copy) return MIMIC_ERR_NOMEM;
  size_t n = strlen(copy);
  for (size_t i = 1; i <= n; i++) {
    if (copy[i] != '/' && copy[i] != '\0') continue;
    char saved = copy[i];
    copy[i] = '\0';
    if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
      mimic_status st =
          mimic_fail(MIMIC_ERR_IO, "%s: cannot create folder: %s", copy, strerror(errno));
      free(copy);
      return st;
    }
    copy[i] = saved;
  }
  free(copy);
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
    return mimic_fail(MIMIC_ERR_IO, "%s: exists and is not a folder", path);
  return MIMIC_OK;
}

bool mimic_path_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

char *mimic_path_join(const char *a, const char *b) {
  size_t la = strlen(a);
  if (la == 0) return mimic_strdup(b);
  return mimic_asprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}
