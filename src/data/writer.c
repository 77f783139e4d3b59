/* Writing datasets: whole (mimic_dataset_save) and by durable appends
 * (mimic_dataset_writer).
 *
 * HDF5 is not crash-consistent: a process killed while HDF5 updates a file
 * in place can leave a file nobody opens. So main_data.hdf5 is never
 * modified in place. The design, in the order things reach the disk:
 *
 * 1. Append: episode k is written as its own small HDF5 file
 *    data/main_data.journal/episode_<k>.hdf5 (holding group episode_<k>
 *    in Minari's layout) through a temp name, fsync, rename, fsync of the
 *    folder. When append returns, the episode survives kill -9 and power
 *    loss; a crash before the rename leaves only a temp file, ignored.
 * 2. Commit (when the journal holds at least commit_min_bytes and at least
 *    commit_ratio of main_data.hdf5's size, and on close): main_data.hdf5 is copied to
 *    a temp file (copy_file_range: a reflink or in-kernel copy), the
 *    journal's groups are H5Ocopy'd into the copy, the copy is fsynced and
 *    renamed over main_data.hdf5; then metadata.json is replaced (temp,
 *    fsync, rename); then the journal files are removed.
 * 3. Readers take metadata.json's total_episodes N as the committed count,
 *    then journal episodes N, N+1, ... A crash between the two renames of
 *    step 2 leaves main_data.hdf5 with extra groups that metadata.json does
 *    not count yet; they are still in the journal, so nothing is lost or
 *    doubled, and Minari (which trusts total_episodes) ignores them.
 *    Journal files numbered below N are leftovers of step 2 and ignored.
 *    The next writer open (or `mimic dataset repair`) folds the journal in.
 *
 * At every instant the data folder is a dataset mimic opens with every
 * finished episode, and h5py/Minari open the committed part. Cost: each
 * commit copies main_data.hdf5 once; committing only when the journal has
 * grown to commit_ratio r of the main file makes the bytes written per
 * appended byte at most 2 + 1/r (amortised O(new data)). An append costs
 * two fsyncs (file, folder); a commit four. commit_min_bytes (1 MiB) keeps
 * a short recording (10 CartPole episodes) to one commit, at close.
 * One writer at a time: the dataset folder is flock()ed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/data_impl.h"
#include "core/util.h"

void dwrite_crash_point(const char *point) {
  static int skip = -1;
  const char *at = getenv("MIMIC_TEST_CRASH_AT");
  if (!at || strcmp(at, point) != 0) return;
  if (skip < 0) {
    const char *s = getenv("MIMIC_TEST_CRASH_SKIP");
    skip = s ? atoi(s) : 0;
  }
  if (skip-- > 0) return;
  raise(SIGKILL);
}

mimic_write_opts mimic_write_opts_default(void) {
  mimic_write_opts o = {0, false, true};
  return o;
}

mimic_writer_opts mimic_writer_opts_default(void) {
  mimic_writer_opts o;
  o.write = mimic_write_opts_default();
  o.commit_ratio = 0.5;
  o.commit_min_bytes = (size_t)1 << 20;
  o.commit_on_close = true;
  return o;
}

/* The id to write: meta's, or one derived from the folder. */
static mimic_status resolve_id(mimic_dataset_meta *m, const char *dir) {
  if (m->dataset_id) {
    if (!mimic_dataset_id_valid(m->dataset_id))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "dataset id \"%s\" is not a Minari id ((namespace/)name-vN; letters, "
                        "digits, _ and -; namespace parts of 2+ characters)",
                        m->dataset_id);
    return MIMIC_OK;
  }
  m->dataset_id = dmeta_default_id(dir);
  return m->dataset_id ? MIMIC_OK : MIMIC_ERR_NOMEM;
}

static bool dir_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

mimic_status dwrite_build_and_install(const mimic_dataset_paths *p, const mimic_dataset_meta *meta,
                                      const mimic_data_space *os, const mimic_data_space *as,
                                      const mimic_write_opts *opts, dwrite_fill_fn fill,
                                      void *ctx) {
  char *data = mimic_path_join(p->dir, "data");
  if (!data) return MIMIC_ERR_NOMEM;
  if (dir_exists(data) && !opts->overwrite) {
    free(data);
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s: a dataset already exists there (overwrite it with --overwrite)", p->dir);
  }
  mimic_status st = mimic_mkdirs(p->dir);
  char *tmp = NULL, *main = NULL, *metap = NULL;
  if (!st) st = dstore_tmp_dir(data, &tmp);
  free(data);
  if (st) return st;
  main = mimic_path_join(tmp, "main_data.hdf5");
  metap = mimic_path_join(tmp, "metadata.json");
  hid_t f = -1;
  int64_t eps = 0, steps = 0;
  mimic_dataset_meta m;
  mimic_dataset_meta_init(&m);
  if (!main || !metap) st = mimic_fail_nomem("dataset path");
  if (!st) st = dh5_create(main, &f);
  if (!st) st = fill(f, ctx, &eps, &steps);
  if (f >= 0 && H5Fclose(f) < 0 && !st) st = dh5_fail(MIMIC_ERR_IO, "%s: cannot close", main);
  if (!st) st = dcontain_stamp(main, false); /* installed with the folder */
  if (!st) st = mimic_dataset_meta_copy(&m, meta);
  if (!st) st = resolve_id(&m, p->dir);
  if (!st) st = dmeta_write(metap, &m, os, as, eps, steps, false);
  if (!st) st = dstore_install(tmp, p, opts->overwrite, opts->sync);
  if (st) dstore_rmtree(tmp);
  mimic_dataset_meta_free(&m);
  free(tmp);
  free(main);
  free(metap);
  return st;
}

typedef struct save_ctx {
  const mimic_dataset *ds;
  int compress;
} save_ctx;

static mimic_status fill_from_dataset(hid_t file, void *vctx, int64_t *eps, int64_t *steps) {
  save_ctx *c = vctx;
  dh5_scratch sc = {0};
  mimic_status st = MIMIC_OK;
  for (size_t e = 0; !st && e < c->ds->n_episodes; e++) {
    char name[40];
    snprintf(name, sizeof name, "episode_%zu", e);
    mimic_episode ep = mimic_dataset_episode(c->ds, e);
    st = dh5_write_episode(file, name, (int64_t)e, &ep, &c->ds->obs_space, &c->ds->act_space,
                           c->compress, &sc);
  }
  dh5_scratch_free(&sc);
  *eps = (int64_t)c->ds->n_episodes;
  *steps = (int64_t)c->ds->n_steps;
  return st;
}

static mimic_status fill_empty(hid_t file, void *ctx, int64_t *eps, int64_t *steps) {
  (void)file;
  (void)ctx;
  *eps = *steps = 0;
  return MIMIC_OK;
}

mimic_status mimic_dataset_save(const mimic_dataset *ds, const char *path,
                                const mimic_write_opts *opts) {
  mimic_write_opts o = opts ? *opts : mimic_write_opts_default();
  mimic_dataset_paths p;
  MIMIC_TRY(mimic_dataset_paths_resolve(path, &p));
  save_ctx c = {ds, o.compress};
  mimic_status st = dwrite_build_and_install(&p, &ds->meta, &ds->obs_space, &ds->act_space, &o,
                                             fill_from_dataset, &c);
  if (st) st = mimic_errctx("%s", path);
  mimic_dataset_paths_free(&p);
  return st;
}

/* ---- the appending writer ---------------------------------------------- */

struct mimic_dataset_writer {
  mimic_dataset_paths p;
  mimic_data_space os, as;
  mimic_dataset_meta meta;
  mimic_writer_opts opts;
  int64_t n_committed, n_total;
  int64_t committed_steps, journal_steps;
  uint64_t main_bytes, journal_bytes;
  int lock_fd;
  bool created_dir; /* this writer made the dataset's folder */
  dh5_scratch sc;
};

static void writer_free(mimic_dataset_writer *w) {
  if (!w) return;
  mimic_data_space_free(&w->os);
  mimic_data_space_free(&w->as);
  mimic_dataset_meta_free(&w->meta);
  mimic_dataset_paths_free(&w->p);
  dh5_scratch_free(&w->sc);
  if (w->lock_fd >= 0) close(w->lock_fd); /* releases the flock */
  free(w);
}

/* Removes files named "<prefix>.tmp.*" in dir (leftovers of crashed writes). */
static void remove_temps(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strstr(e->d_name, ".tmp.")) continue;
    char *sub = mimic_path_join(dir, e->d_name);
    if (sub) dstore_rmtree(sub);
    free(sub);
  }
  closedir(d);
}

/* Finishes an install interrupted between its renames and sweeps temps. */
static void recover_folder(mimic_dataset_paths *p) {
  char *data = mimic_path_join(p->dir, "data");
  char *nw = mimic_path_join(p->dir, "data.new");
  char *old = mimic_path_join(p->dir, "data.old");
  if (data && nw && old) {
    if (!dir_exists(data) && dir_exists(nw))
      rename(nw, data);
    else if (dir_exists(nw))
      dstore_rmtree(nw); /* never got installed */
    if (dir_exists(old)) dstore_rmtree(old);
    if (strcmp(p->data_dir, data) != 0) {
      /* re-resolve: data_dir pointed at data.new */
      mimic_dataset_paths q;
      if (mimic_dataset_paths_resolve(p->dir, &q) == MIMIC_OK) {
        mimic_dataset_paths_free(p);
        *p = q;
      }
    }
  }
  remove_temps(p->dir);
  remove_temps(p->data_dir);
  remove_temps(p->journal);
  free(data);
  free(nw);
  free(old);
}

static mimic_status lock_dir(mimic_dataset_writer *w) {
  w->lock_fd = open(w->p.dir, O_RDONLY | O_DIRECTORY);
  if (w->lock_fd < 0)
    return mimic_fail(MIMIC_ERR_IO, "%s: cannot open: %s", w->p.dir, strerror(errno));
  if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return mimic_fail(MIMIC_ERR_IO, "%s: another process is writing this dataset", w->p.dir);
  return MIMIC_OK;
}

static void merge_meta(mimic_dataset_meta *dst, const mimic_dataset_meta *src) {
  if (!src) return;
  if (src->env_id && !dst->env_spec) mimic_dataset_meta_set(&dst->env_id, src->env_id);
  if (src->max_episode_steps && !dst->env_spec) dst->max_episode_steps = src->max_episode_steps;
  if (src->algorithm_name) mimic_dataset_meta_set(&dst->algorithm_name, src->algorithm_name);
  if (src->author) mimic_dataset_meta_set(&dst->author, src->author);
  if (src->description) mimic_dataset_meta_set(&dst->description, src->description);
  if (isfinite(src->ref_min_score)) dst->ref_min_score = src->ref_min_score;
  if (isfinite(src->ref_max_score)) dst->ref_max_score = src->ref_max_score;
}

static mimic_status writer_open(const char *path, const mimic_data_space *os,
                                const mimic_data_space *as, const mimic_dataset_meta *meta,
                                const mimic_writer_opts *opts, bool create,
                                mimic_dataset_writer **out) {
  *out = NULL;
  dh5_init();
  mimic_dataset_writer *w = mimic_calloc(1, sizeof *w, "dataset writer");
  if (!w) return MIMIC_ERR_NOMEM;
  w->lock_fd = -1;
  w->opts = opts ? *opts : mimic_writer_opts_default();
  mimic_dataset_meta_init(&w->meta);
  mimic_status st = mimic_dataset_paths_resolve(path, &w->p);
  if (!st && create && !dir_exists(w->p.dir)) {
    w->created_dir = true;
    st = mimic_mkdirs(w->p.dir);
  }
  if (!st && !dir_exists(w->p.dir))
    st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no such dataset", path);
  if (!st) st = lock_dir(w);
  if (st) goto fail;
  recover_folder(&w->p);
  if (!mimic_path_exists(w->p.main_path)) {
    if (!create) {
      st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no dataset here (expected %s)", path,
                      w->p.main_path);
      goto fail;
    }
    if (!os || !as) {
      st = mimic_fail(MIMIC_ERR_INVALID,
                      "%s: a new dataset needs its observation and action spaces", path);
      goto fail;
    }
    if ((st = mimic_data_space_copy(&w->os, os)) || (st = mimic_data_space_copy(&w->as, as)))
      goto fail;
    if (meta && (st = mimic_dataset_meta_copy(&w->meta, meta))) goto fail;
    if ((st = resolve_id(&w->meta, w->p.dir))) goto fail;
    mimic_write_opts wo = w->opts.write;
    wo.overwrite = false;
    if ((st = dwrite_build_and_install(&w->p, &w->meta, &w->os, &w->as, &wo, fill_empty, NULL)))
      goto fail;
    mimic_dataset_paths q;
    if ((st = mimic_dataset_paths_resolve(w->p.dir, &q))) goto fail;
    mimic_dataset_paths_free(&w->p);
    w->p = q;
  } else {
    dsrc s;
    if ((st = dsrc_open(w->p.dir, &s))) goto fail;
    if ((os && !mimic_data_space_equal(os, &s.meta.obs_space)) ||
        (as && !mimic_data_space_equal(as, &s.meta.act_space))) {
      char *a =
          mimic_data_space_to_json(os && !mimic_data_space_equal(os, &s.meta.obs_space) ? os : as);
      st = mimic_fail(
          MIMIC_ERR_INVALID, "%s: the dataset's %s space differs from the one given (%s)", path,
          os && !mimic_data_space_equal(os, &s.meta.obs_space) ? "observation" : "action",
          a ? a : "?");
      free(a);
      dsrc_close(&s);
      goto fail;
    }
    st = mimic_data_space_copy(&w->os, &s.meta.obs_space);
    if (!st) st = mimic_data_space_copy(&w->as, &s.meta.act_space);
    if (!st) st = mimic_dataset_meta_copy(&w->meta, &s.meta.meta);
    w->n_committed = s.n_main;
    w->n_total = s.n_main + (int64_t)s.n_journal;
    w->committed_steps = s.meta.total_steps;
    size_t journal_steps = 0;
    if (!st) st = dsrc_journal_totals(&s, &journal_steps, &w->journal_bytes);
    w->journal_steps = (int64_t)journal_steps;
    dsrc_close(&s);
    if (st) goto fail;
    merge_meta(&w->meta, meta);
    /* journal files below the committed count are leftovers of a commit */
    for (int64_t k = 0; k < w->n_committed; k++) {
      char *jp = dstore_journal_path(w->p.journal, k);
      if (jp) unlink(jp);
      free(jp);
    }
  }
  w->main_bytes = dstore_file_size(w->p.main_path);
  if (w->n_total > w->n_committed && (st = mimic_dataset_writer_commit(w))) goto fail;
  *out = w;
  return MIMIC_OK;
fail:
  writer_free(w);
  return st;
}

mimic_status mimic_dataset_writer_open(const char *path, const mimic_data_space *obs_space,
                                       const mimic_data_space *act_space,
                                       const mimic_dataset_meta *meta,
                                       const mimic_writer_opts *opts, mimic_dataset_writer **out) {
  return writer_open(path, obs_space, act_space, meta, opts, true, out);
}

size_t mimic_dataset_writer_episodes(const mimic_dataset_writer *w) { return (size_t)w->n_total; }

size_t mimic_dataset_writer_pending(const mimic_dataset_writer *w) {
  return (size_t)(w->n_total - w->n_committed);
}

static bool should_commit(const mimic_dataset_writer *w) {
  return w->journal_bytes >= w->opts.commit_min_bytes &&
         (double)w->journal_bytes >= w->opts.commit_ratio * (double)w->main_bytes;
}

mimic_status mimic_dataset_writer_append(mimic_dataset_writer *w, const mimic_episode *ep) {
  char label[64];
  snprintf(label, sizeof label, "episode %lld", (long long)w->n_total);
  MIMIC_TRY(ddata_check_episode(&w->os, &w->as, ep, label));
  bool sync = w->opts.write.sync;
  if (mkdir(w->p.journal, 0755) != 0 && errno != EEXIST)
    return mimic_fail(MIMIC_ERR_IO, "%s: cannot create: %s", w->p.journal, strerror(errno));
  int64_t k = w->n_total;
  char *final = dstore_journal_path(w->p.journal, k);
  char *tmp = final ? mimic_asprintf("%s.tmp.XXXXXX", final) : NULL;
  if (!final || !tmp) {
    free(final);
    free(tmp);
    return MIMIC_ERR_NOMEM;
  }
  mimic_status st = MIMIC_OK;
  int fd = mkstemp(tmp);
  if (fd < 0)
    st = mimic_fail(MIMIC_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
  else {
    fchmod(fd, 0644);
    close(fd);
  }
  hid_t f = -1;
  char name[48];
  snprintf(name, sizeof name, "episode_%lld", (long long)k);
  if (!st) st = dh5_create(tmp, &f);
  if (!st) st = dh5_write_episode(f, name, k, ep, &w->os, &w->as, w->opts.write.compress, &w->sc);
  if (f >= 0 && H5Fclose(f) < 0 && !st) st = dh5_fail(MIMIC_ERR_IO, "%s: cannot close", tmp);
  if (!st && sync) st = dstore_fsync_path(tmp);
  if (!st) dwrite_crash_point("append_before_rename");
  if (!st && rename(tmp, final) != 0)
    st = mimic_fail(MIMIC_ERR_IO, "%s: cannot rename: %s", final, strerror(errno));
  if (!st && sync) st = mimic_fsync_parent(final);
  if (st) {
    unlink(tmp);
    st = mimic_errctx("%s", w->p.dir);
  } else {
    w->n_total++;
    w->journal_steps += (int64_t)ep->T;
    w->journal_bytes += dstore_file_size(final);
  }
  free(final);
  free(tmp);
  if (!st && should_commit(w)) st = mimic_dataset_writer_commit(w);
  return st;
}

mimic_status mimic_dataset_writer_commit(mimic_dataset_writer *w) {
  if (w->n_total == w->n_committed) return MIMIC_OK;
  bool sync = w->opts.write.sync;
  char *tmp = mimic_asprintf("%s.tmp.XXXXXX", w->p.main_path);
  if (!tmp) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  int fd = mkstemp(tmp);
  if (fd < 0)
    st = mimic_fail(MIMIC_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
  else {
    fchmod(fd, 0644); /* mkstemp's 0600 would hide a shared dataset from other users */
    close(fd);
  }
  if (!st) st = dstore_copy_file(w->p.main_path, tmp);
  hid_t out = -1;
  if (!st) st = dh5_open(tmp, true, &out);
  for (int64_t k = w->n_committed; !st && k < w->n_total; k++) {
    char name[48];
    snprintf(name, sizeof name, "episode_%lld", (long long)k);
    if (dh5_exists(out, name) && H5Ldelete(out, name, H5P_DEFAULT) < 0) {
      st = dh5_fail(MIMIC_ERR_IO, "%s: cannot replace %s", tmp, name);
      break;
    }
    char *jp = dstore_journal_path(w->p.journal, k);
    hid_t jf = -1;
    if (!jp) st = MIMIC_ERR_NOMEM;
    if (!st) st = dh5_open(jp, false, &jf);
    if (!st && H5Ocopy(jf, name, out, name, H5P_DEFAULT, H5P_DEFAULT) < 0)
      st = dh5_fail(MIMIC_ERR_IO, "%s: cannot copy %s into %s", jp, name, tmp);
    dh5_close(jf);
    free(jp);
  }
  if (out >= 0 && H5Fclose(out) < 0 && !st) st = dh5_fail(MIMIC_ERR_IO, "%s: cannot close", tmp);
  if (!st) dwrite_crash_point("commit_before_main");
  if (!st && sync) st = dstore_fsync_path(tmp);
  if (!st && rename(tmp, w->p.main_path) != 0)
    st = mimic_fail(MIMIC_ERR_IO, "%s: cannot replace: %s", w->p.main_path, strerror(errno));
  if (st) {
    unlink(tmp);
    free(tmp);
    return mimic_errctx("%s: commit", w->p.dir);
  }
  free(tmp);
  if (sync) MIMIC_TRY(mimic_fsync_parent(w->p.main_path));
  dwrite_crash_point("commit_after_main");
  /* a crash before this leaves the old checksum: the file is then read in a
     child first, which costs time, not safety */
  dcontain_stamp(w->p.main_path, sync);
  mimic_errclear();
  int64_t steps = w->committed_steps + w->journal_steps;
  st = dmeta_write(w->p.meta_path, &w->meta, &w->os, &w->as, w->n_total, steps, sync);
  if (st) return mimic_errctx("%s: commit", w->p.dir);
  dwrite_crash_point("commit_after_meta");
  for (int64_t k = w->n_committed; k < w->n_total; k++) {
    char *jp = dstore_journal_path(w->p.journal, k);
    if (jp) unlink(jp);
    free(jp);
    if (k == w->n_committed) dwrite_crash_point("commit_mid_cleanup");
  }
  rmdir(w->p.journal); /* only if empty */
  w->n_committed = w->n_total;
  w->committed_steps = steps;
  w->journal_steps = 0;
  w->journal_bytes = 0;
  w->main_bytes = dstore_file_size(w->p.main_path);
  return MIMIC_OK;
}

mimic_status mimic_dataset_writer_close(mimic_dataset_writer *w) {
  if (!w) return MIMIC_OK;
  mimic_status st = MIMIC_OK;
  if (w->opts.commit_on_close) st = mimic_dataset_writer_commit(w);
  writer_free(w);
  return st;
}

mimic_status mimic_dataset_writer_abandon(mimic_dataset_writer *w) {
  if (!w) return MIMIC_OK;
  if (!w->created_dir || w->n_total > 0) return mimic_dataset_writer_close(w);
  char *dir = mimic_strdup(w->p.dir);
  if (dir) dstore_rmtree(dir); /* still under our lock: nobody else writes here */
  writer_free(w);
  free(dir);
  return MIMIC_OK;
}

mimic_status mimic_dataset_repair(const char *path, size_t *folded) {
  if (folded) *folded = 0;
  dsrc s;
  MIMIC_TRY(dsrc_open(path, &s));
  size_t pending = s.n_journal;
  dsrc_close(&s);
  mimic_dataset_writer *w;
  MIMIC_TRY(writer_open(path, NULL, NULL, NULL, NULL, false, &w));
  mimic_status st = mimic_dataset_writer_close(w);
  if (!st && folded) *folded = pending;
  return st;
}
