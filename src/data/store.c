/* The folder protocol: where a dataset's files are, how a new data folder
 * replaces an old one atomically, the journal of appended episodes, and
 * the reader's view of committed + journaled episodes (dsrc).
 *
 * Files of a dataset <dir>:
 *   <dir>/data/main_data.hdf5            committed episodes (Minari's layout)
 *   <dir>/data/metadata.json             describes exactly those episodes
 *   <dir>/data/main_data.journal/episode_<k>.hdf5
 *                                        episodes appended since the last
 *                                        commit, one small HDF5 file each,
 *                                        holding group episode_<k>
 * A whole new data folder is built as <dir>/data.tmp.XXXXXX and renamed
 * into place; replacing an existing one goes through data.new and
 * data.old, and a reader that finds only data.new uses it. Commits and
 * crash recovery are explained in writer.c and docs/datasets.md. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/data_impl.h"
#include "core/util.h"

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *parent_dir(const char *p) {
  char *c = mimic_strdup(p);
  if (!c) return NULL;
  char *d = mimic_strdup(dirname(c));
  free(c);
  return d;
}

void mimic_dataset_paths_free(mimic_dataset_paths *p) {
  if (!p) return;
  free(p->dir);
  free(p->data_dir);
  free(p->main_path);
  free(p->meta_path);
  free(p->journal);
  memset(p, 0, sizeof *p);
}

mimic_status mimic_dataset_paths_resolve(const char *path, mimic_dataset_paths *out) {
  memset(out, 0, sizeof *out);
  if (!path || !*path) return mimic_fail(MIMIC_ERR_INVALID, "empty dataset path");
  char *p = mimic_strdup(path);
  if (!p) return MIMIC_ERR_NOMEM;
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
  const char *base = strrchr(p, '/');
  base = base ? base + 1 : p;
  char *probe = mimic_path_join(p, "main_data.hdf5");
  char *probe2 = mimic_path_join(p, "data/main_data.hdf5");
  if (!probe || !probe2) goto nomem;
  if (strcmp(base, "main_data.hdf5") == 0) {
    out->data_dir = parent_dir(p);
    out->dir = out->data_dir ? parent_dir(out->data_dir) : NULL;
  } else if (mimic_path_exists(probe) && !mimic_path_exists(probe2)) {
    out->data_dir = mimic_strdup(p);
    out->dir = parent_dir(p);
  } else {
    out->dir = mimic_strdup(p);
    out->data_dir = mimic_path_join(p, "data");
    /* an overwrite interrupted between its two renames leaves data.new */
    char *nw = mimic_path_join(p, "data.new");
    if (nw && !is_dir(out->data_dir) && is_dir(nw)) {
      free(out->data_dir);
      out->data_dir = nw;
      nw = NULL;
    }
    free(nw);
  }
  if (!out->dir || !out->data_dir) goto nomem;
  out->main_path = mimic_path_join(out->data_dir, "main_data.hdf5");
  out->meta_path = mimic_path_join(out->data_dir, "metadata.json");
  out->journal = mimic_path_join(out->data_dir, "main_data.journal");
  if (!out->main_path || !out->meta_path || !out->journal) goto nomem;
  free(p);
  free(probe);
  free(probe2);
  return MIMIC_OK;
nomem:
  free(p);
  free(probe);
  free(probe2);
  mimic_dataset_paths_free(out);
  return mimic_fail_nomem("dataset path");
}

uint64_t dstore_file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

mimic_status dstore_fsync_path(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return mimic_fail(MIMIC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0 && err != EINVAL)
    return mimic_fail(MIMIC_ERR_IO, "%s: fsync failed: %s", path, strerror(err));
  return MIMIC_OK;
}

mimic_status dstore_write_file(const char *path, const void *data, size_t len, bool sync) {
  if (sync) return mimic_write_file_atomic(path, data, len);
  char *tmp = mimic_asprintf("%s.tmp.XXXXXX", path);
  if (!tmp) return MIMIC_ERR_NOMEM;
  int fd = mkstemp(tmp);
  if (fd < 0) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    free(tmp);
    return st;
  }
  fchmod(fd, 0644);
  size_t off = 0;
  while (off < len) {
    ssize_t k = write(fd, (const char *)data + off, len - off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    off += (size_t)k;
  }
  bool ok = off == len;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return st;
  }
  free(tmp);
  return MIMIC_OK;
}

void dstore_rmtree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char *sub = mimic_path_join(path, e->d_name);
    if (!sub) continue;
    struct stat st;
    if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
      dstore_rmtree(sub);
    else
      unlink(sub);
    free(sub);
  }
  closedir(d);
  rmdir(path);
}

mimic_status dstore_tmp_dir(const char *data_dir, char **tmp) {
  *tmp = mimic_asprintf("%s.tmp.XXXXXX", data_dir);
  if (!*tmp) return MIMIC_ERR_NOMEM;
  if (!mkdtemp(*tmp)) {
    mimic_status st =
        mimic_fail(MIMIC_ERR_IO, "%s: cannot create a folder: %s", data_dir, strerror(errno));
    free(*tmp);
    *tmp = NULL;
    return st;
  }
  chmod(*tmp, 0755);
  return MIMIC_OK;
}

static mimic_status fsync_tree_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return mimic_fail(MIMIC_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
  struct dirent *e;
  mimic_status st = MIMIC_OK;
  while (!st && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *sub = mimic_path_join(dir, e->d_name);
    if (!sub) {
      st = MIMIC_ERR_NOMEM;
      break;
    }
    if (!is_dir(sub)) st = dstore_fsync_path(sub);
    free(sub);
  }
  closedir(d);
  if (!st) st = dstore_fsync_path(dir);
  return st;
}

mimic_status dstore_install(const char *tmp, const mimic_dataset_paths *p, bool overwrite,
                            bool sync) {
  if (sync) MIMIC_TRY(fsync_tree_files(tmp));
  /* data_dir may be <dir>/data.new when a reader resolved it; install at <dir>/data */
  char *data = mimic_path_join(p->dir, "data");
  char *nw = mimic_path_join(p->dir, "data.new");
  char *old = mimic_path_join(p->dir, "data.old");
  mimic_status st = MIMIC_OK;
  if (!data || !nw || !old) {
    st = mimic_fail_nomem("dataset path");
    goto done;
  }
  if (!is_dir(data)) {
    if (rename(tmp, data) != 0)
      st = mimic_fail(MIMIC_ERR_IO, "%s: cannot rename into place: %s", data, strerror(errno));
    else if (is_dir(nw))
      dstore_rmtree(nw);
  } else if (!overwrite) {
    st = mimic_fail(MIMIC_ERR_INVALID, "%s: a dataset already exists there", p->dir);
  } else {
    dstore_rmtree(nw);
    dstore_rmtree(old);
    if (rename(tmp, nw) != 0)
      st = mimic_fail(MIMIC_ERR_IO, "%s: cannot rename: %s", nw, strerror(errno));
    if (!st && sync) st = mimic_fsync_parent(nw);
    /* commit point: after this rename readers fall back to data.new */
    if (!st && rename(data, old) != 0)
      st = mimic_fail(MIMIC_ERR_IO, "%s: cannot rename: %s", data, strerror(errno));
    if (!st) dwrite_crash_point("install_between_renames");
    if (!st && rename(nw, data) != 0)
      st = mimic_fail(MIMIC_ERR_IO, "%s: cannot rename: %s", nw, strerror(errno));
    if (!st) dstore_rmtree(old);
  }
  if (!st && sync) st = mimic_fsync_parent(data);
done:
  free(data);
  free(nw);
  free(old);
  return st;
}

mimic_status dstore_copy_file(const char *src, const char *dst) {
  int in = open(src, O_RDONLY);
  if (in < 0) return mimic_fail(MIMIC_ERR_IO, "%s: cannot open: %s", src, strerror(errno));
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    mimic_status st = mimic_fail(MIMIC_ERR_IO, "%s: cannot create: %s", dst, strerror(errno));
    close(in);
    return st;
  }
  struct stat sb;
  fstat(in, &sb);
  off_t left = sb.st_size;
  bool fallback = false;
  while (left > 0 && !fallback) {
    ssize_t k = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      fallback = true;
      break;
    }
    left -= k;
  }
  mimic_status st = MIMIC_OK;
  if (fallback) {
    off_t done = sb.st_size - left;
    char *buf = mimic_malloc(1 << 20, "copy buffer");
    if (!buf) st = MIMIC_ERR_NOMEM;
    while (!st && left > 0) {
      ssize_t r = pread(in, buf, 1 << 20, done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        st = mimic_fail(MIMIC_ERR_IO, "%s: read failed: %s", src,
                        r < 0 ? strerror(errno) : "short file");
        break;
      }
      ssize_t w = 0;
      while (w < r) {
        ssize_t k = pwrite(out, buf + w, (size_t)(r - w), done + w);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
          st = mimic_fail(MIMIC_ERR_IO, "%s: write failed: %s", dst, strerror(errno));
          break;
        }
        w += k;
      }
      done += r;
      left -= r;
    }
    free(buf);
  }
  close(in);
  if (close(out) != 0 && !st)
    st = mimic_fail(MIMIC_ERR_IO, "%s: write failed: %s", dst, strerror(errno));
  return st;
}

/* ---- journal ------------------------------------------------------------ */

char *dstore_journal_path(const char *journal, int64_t k) {
  return mimic_asprintf("%s/episode_%lld.hdf5", journal, (long long)k);
}

/* Parses "episode_<k><suffix>" with k without leading zeros. */
static bool parse_episode_name(const char *name, const char *suffix, int64_t *k) {
  if (strncmp(name, "episode_", 8) != 0) return false;
  const char *p = name + 8;
  if (!(*p >= '0' && *p <= '9')) return false;
  if (*p == '0' && p[1] >= '0' && p[1] <= '9') return false;
  int64_t v = 0;
  while (*p >= '0' && *p <= '9') {
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (*p - '0');
    p++;
  }
  if (strcmp(p, suffix) != 0) return false;
  *k = v;
  return true;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

mimic_status dstore_journal_list(const char *journal, int64_t from, int64_t **idx, size_t *n) {
  *idx = NULL;
  *n = 0;
  DIR *d = opendir(journal);
  if (!d) {
    if (errno == ENOENT) return MIMIC_OK;
    return mimic_fail(MIMIC_ERR_IO, "%s: cannot list: %s", journal, strerror(errno));
  }
  size_t cap = 0, cnt = 0;
  int64_t *v = NULL;
  struct dirent *e;
  mimic_status st = MIMIC_OK;
  while ((e = readdir(d))) {
    int64_t k;
    if (!parse_episode_name(e->d_name, ".hdf5", &k) || k < from) continue;
    if (cnt == cap) {
      size_t nc = cap ? cap * 2 : 16;
      int64_t *nv = mimic_realloc(v, nc, sizeof *nv, "journal list");
      if (!nv) {
        st = MIMIC_ERR_NOMEM;
        break;
      }
      v = nv;
      cap = nc;
    }
    v[cnt++] = k;
  }
  closedir(d);
  if (st) {
    free(v);
    return st;
  }
  if (cnt) qsort(v, cnt, sizeof *v, cmp_i64);
  for (size_t i = 0; i < cnt; i++) {
    if (v[i] != from + (int64_t)i) {
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: journal has episode_%lld.hdf5 but not episode_%lld.hdf5 (episodes must "
                      "follow the committed ones without gaps)",
                      journal, (long long)v[i], (long long)(from + (int64_t)i));
      free(v);
      return st;
    }
  }
  *idx = v;
  *n = cnt;
  return MIMIC_OK;
}

/* ---- the reader's view ------------------------------------------------- */

typedef struct root_iter {
  const char *file;
  int64_t count, max;
  mimic_status st;
} root_iter;

static herr_t root_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  root_iter *it = data;
  (void)g;
  (void)info;
  int64_t k;
  if (!parse_episode_name(name, "", &k)) {
    it->st = mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: unexpected '%s' at the root (Minari's main_data.hdf5 holds only "
                        "episode_0 .. episode_{N-1} groups)",
                        it->file, name);
    return -1;
  }
  it->count++;
  if (k > it->max) it->max = k;
  return 0;
}

/* What the probe of an untrusted dataset loads: the caller's shard. */
typedef struct probe_part {
  const char *path;
  int shard, n_shards;
} probe_part;

/* The load the caller is about to make (the whole dataset, or its shard:
 * a data-parallel rank reads no more), as the check of an untrusted one. */
static mimic_status probe_load(void *ctx) {
  const probe_part *p = ctx;
  mimic_dataset ds;
  mimic_status st = mimic_dataset_load_shard(p->path, p->shard, p->n_shards, &ds, NULL);
  if (!st) mimic_dataset_free(&ds);
  return st;
}

mimic_status dsrc_open(const char *path, dsrc *s) { return dsrc_open_shard(path, 0, 1, s); }

mimic_status dsrc_open_shard(const char *path, int shard, int n_shards, dsrc *s) {
  memset(s, 0, sizeof *s);
  s->main = -1;
  dh5_init();
  MIMIC_TRY(mimic_dataset_paths_resolve(path, &s->paths));
  mimic_status st = MIMIC_OK;
  if (!mimic_path_exists(s->paths.main_path)) {
    if (mimic_path_exists(s->paths.dir) && !is_dir(s->paths.dir))
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: not a Minari dataset folder (for D4RL or robomimic files use 'mimic "
                      "dataset convert')",
                      path);
    else
      st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no dataset here (expected %s)", path,
                      s->paths.main_path);
    goto fail;
  }
  if (!mimic_path_exists(s->paths.meta_path)) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: missing (a Minari dataset needs metadata.json beside main_data.hdf5)",
                    s->paths.meta_path);
    goto fail;
  }
  if ((st = dmeta_read(s->paths.meta_path, &s->meta))) goto fail;
  if (!dcontain_inside()) {
    /* a main file mimic did not commit, or journal episodes: the HDF5
       library may crash on them, so the whole dataset is read in a child first */
    bool trusted = dcontain_trusted(s->paths.main_path);
    if (trusted) {
      int64_t *idx = NULL;
      size_t pending = 0;
      trusted = dstore_journal_list(s->paths.journal, 0, &idx, &pending) == MIMIC_OK && !pending;
      free(idx);
    }
    probe_part part = {path, shard, n_shards};
    if (!trusted && (st = dcontain_probe(s->paths.main_path, probe_load, &part))) goto fail;
  }
  if ((st = dh5_open(s->paths.main_path, false, &s->main))) goto fail;
  root_iter it = {s->paths.main_path, 0, -1, MIMIC_OK};
  if (H5Literate(s->main, H5_INDEX_NAME, H5_ITER_INC, NULL, root_cb, &it) < 0) {
    st = it.st ? it.st
               : dh5_fail(MIMIC_ERR_FORMAT, "%s: cannot list the root group", s->paths.main_path);
    goto fail;
  }
  int64_t n = s->meta.total_episodes;
  if (it.max + 1 != it.count) {
    for (int64_t k = 0; k <= it.max; k++) {
      char name[40];
      snprintf(name, sizeof name, "episode_%lld", (long long)k);
      if (!dh5_exists(s->main, name)) {
        st = mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: episode_%lld is missing but episode_%lld exists (episodes must be "
                        "numbered from 0 without gaps)",
                        s->paths.main_path, (long long)k, (long long)it.max);
        goto fail;
      }
    }
  }
  if (it.count < n) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: metadata.json says total_episodes = %lld but main_data.hdf5 holds %lld "
                    "(episode_%lld is missing)",
                    s->paths.meta_path, (long long)n, (long long)it.count, (long long)it.count);
    goto fail;
  }
  if (it.count > n && !is_dir(s->paths.journal)) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: metadata.json says total_episodes = %lld but main_data.hdf5 holds %lld "
                    "episodes",
                    s->paths.meta_path, (long long)n, (long long)it.count);
    goto fail;
  }
  /* it.count > n with a journal: a commit was interrupted after main_data.hdf5
   * was replaced; the extra groups are also in the journal, which wins. */
  s->n_main = n;
  if ((st = dstore_journal_list(s->paths.journal, n, &s->journal, &s->n_journal))) goto fail;
  return MIMIC_OK;
fail:
  dsrc_close(s);
  return st;
}

void dsrc_close(dsrc *s) {
  dh5_close(s->main);
  s->main = -1;
  dmeta_free(&s->meta);
  mimic_dataset_paths_free(&s->paths);
  free(s->journal);
  s->journal = NULL;
  s->n_journal = 0;
}

mimic_status dsrc_episode(dsrc *s, int64_t k, hid_t *loc, hid_t *file_out, const char **fname,
                          char *name, size_t cap) {
  static __thread char jpath[4096];
  snprintf(name, cap, "episode_%lld", (long long)k);
  *file_out = -1;
  if (k < s->n_main) {
    *loc = s->main;
    *fname = s->paths.main_path;
    return MIMIC_OK;
  }
  char *p = dstore_journal_path(s->paths.journal, k);
  if (!p) return MIMIC_ERR_NOMEM;
  snprintf(jpath, sizeof jpath, "%s", p);
  free(p);
  *fname = jpath;
  MIMIC_TRY(dh5_open(jpath, false, file_out));
  *loc = *file_out;
  return MIMIC_OK;
}

mimic_status dsrc_journal_totals(dsrc *s, size_t *steps, uint64_t *bytes) {
  *steps = 0;
  if (bytes) *bytes = 0;
  char name[48];
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; !st && i < s->n_journal; i++) {
    hid_t loc, f;
    const char *fname;
    size_t T = 0;
    st = dsrc_episode(s, s->n_main + (int64_t)i, &loc, &f, &fname, name, sizeof name);
    if (!st) st = dh5_episode_steps(loc, fname, name, &s->meta.obs_space, &s->meta.act_space, &T);
    if (!st && bytes) *bytes += dstore_file_size(fname);
    dh5_close(f);
    *steps += T;
  }
  return st;
}
