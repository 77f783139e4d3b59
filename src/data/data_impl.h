/* Private helpers of the data module: spaces and paths, HDF5 plumbing,
 * metadata.json, episode groups, the folder protocol. Internal to mimic
 * (not installed); nothing here is public API. */
#ifndef MIMIC_DATA_IMPL_H
#define MIMIC_DATA_IMPL_H

#include <hdf5.h>

#include "mimic/data.h"

/* ---- space.c, store.c: spaces and paths ------------------------------ */

/* Deep copy of a data space (dst is overwritten, not freed). */
mimic_status mimic_data_space_copy(mimic_data_space *dst, const mimic_data_space *src);
/* True when two spaces are the same (kind, dtype, shape, start, bounds). */
bool mimic_data_space_equal(const mimic_data_space *a, const mimic_data_space *b);

/* Where a dataset lives: the folder, its data folder and the two files. */
typedef struct mimic_dataset_paths {
  char *dir;       /* "demos" */
  char *data_dir;  /* "demos/data" */
  char *main_path; /* "demos/data/main_data.hdf5" */
  char *meta_path; /* "demos/data/metadata.json" */
  char *journal;   /* "demos/data/main_data.journal" */
} mimic_dataset_paths;

/* Resolves a path naming a dataset folder, data folder or main_data.hdf5. */
mimic_status mimic_dataset_paths_resolve(const char *path, mimic_dataset_paths *out);
/* Frees resolved paths. */
void mimic_dataset_paths_free(mimic_dataset_paths *p);

/* ---- h5.c: HDF5 plumbing --------------------------------------------- */

/* Silences HDF5's own error printing (once per process). */
void dh5_init(void);
/* Fails with st and the message, followed by HDF5's innermost reason. */
mimic_status dh5_fail(mimic_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The bool type h5py writes: an enum on int8 with FALSE=0, TRUE=1 (close it). */
hid_t dh5_bool_type(void);
/* The little-endian file type of a dtype (a predefined id; do not close). */
hid_t dh5_file_type(mimic_dtype t);
/* The dtype of an HDF5 numeric type; false if it is not a plain integer/float. */
bool dh5_dtype_of(hid_t type, mimic_dtype *out);
/* Writes a scalar int64 attribute. */
mimic_status dh5_write_i64_attr(hid_t obj, const char *name, int64_t v);
/* Reads a scalar integer attribute; *present tells whether it exists. */
mimic_status dh5_read_i64_attr(hid_t obj, const char *name, int64_t *v, bool *present);
/* Reads a string attribute (fixed or variable length) as a malloc'd string, or NULL. */
char *dh5_read_str_attr(hid_t obj, const char *name);
/* Creates an HDF5 file for writing (truncating). */
mimic_status dh5_create(const char *path, hid_t *file);
/* Opens an HDF5 file read-only, or read-write; a non-HDF5 file is a clear error. */
mimic_status dh5_open(const char *path, bool rw, hid_t *file);
/* Closes an id if it is valid (>= 0). */
void dh5_close(hid_t id);
/* True when loc has a link called name. */
bool dh5_exists(hid_t loc, const char *name);
/* Object type of loc/name: H5O_TYPE_GROUP, H5O_TYPE_DATASET, or H5O_TYPE_UNKNOWN if absent. */
H5O_type_t dh5_obj_type(hid_t loc, const char *name);
/* Formats "(a, b, c)" of dims into buf. */
const char *dh5_shape_str(const hsize_t *dims, int rank, char *buf, size_t cap);
/* Formats a dataset's type as a NumPy-ish name ("float64", "int8 enum", "string"). */
const char *dh5_type_str(hid_t type, char *buf, size_t cap);

/* ---- episode.c: one episode group ------------------------------------ */

/* Scratch memory reused across episodes while reading or writing. */
typedef struct dh5_scratch {
  int64_t *i64;
  size_t cap;
} dh5_scratch;
void dh5_scratch_free(dh5_scratch *s);

/* Writes group `name` (episode_<id>) in loc in Minari's layout. */
mimic_status dh5_write_episode(hid_t loc, const char *name, int64_t id, const mimic_episode *ep,
                               const mimic_data_space *os, const mimic_data_space *as, int compress,
                               dh5_scratch *sc);
/* Reads T of group `name` (from actions) and checks the episode's shapes;
 * file names the file in messages. */
mimic_status dh5_episode_steps(hid_t loc, const char *file, const char *name,
                               const mimic_data_space *os, const mimic_data_space *as, size_t *T);
/* Reads and validates the episode group into the given arrays (T known). */
mimic_status dh5_read_episode(hid_t loc, const char *file, const char *name, int64_t id,
                              const mimic_data_space *os, const mimic_data_space *as, size_t T,
                              float *obs, float *act, double *rew, uint8_t *term, uint8_t *trunc,
                              int64_t *seed, dh5_scratch *sc);

/* ---- dataset.c ---------------------------------------------------------- */

/* Checks one episode against the spaces; label prefixes messages. */
mimic_status ddata_check_episode(const mimic_data_space *os, const mimic_data_space *as,
                                 const mimic_episode *ep, const char *label);

/* ---- meta.c: metadata.json ------------------------------------------- */

typedef struct dmeta {
  mimic_dataset_meta meta;
  mimic_data_space obs_space, act_space;
  int64_t total_episodes, total_steps;
  char *minari_version;
} dmeta;

/* Reads and validates metadata.json (every error names the file and key). */
mimic_status dmeta_read(const char *path, dmeta *out);
/* Writes metadata.json atomically (sync: fsync). */
mimic_status dmeta_write(const char *path, const mimic_dataset_meta *meta,
                         const mimic_data_space *os, const mimic_data_space *as,
                         int64_t total_episodes, int64_t total_steps, bool sync);
void dmeta_free(dmeta *m);
/* Default dataset id for a folder (relative to $MINARI_DATASETS_PATH, or
 * "mimic/<name>-v0"); malloc'd. */
char *dmeta_default_id(const char *dir);

/* ---- store.c: the folder protocol ------------------------------------- */

/* Lists journal episode indices >= from, contiguous; *n gets how many. */
mimic_status dstore_journal_list(const char *journal, int64_t from, int64_t **idx, size_t *n);
/* Path of journal entry k (malloc'd). */
char *dstore_journal_path(const char *journal, int64_t k);
/* Writes a whole file by temp + rename (atomic); sync adds the fsyncs. */
mimic_status dstore_write_file(const char *path, const void *data, size_t len, bool sync);
/* fsyncs a file by path. */
mimic_status dstore_fsync_path(const char *path);
/* Removes a folder tree (best effort for temp trees). */
void dstore_rmtree(const char *path);
/* Makes a fresh temp data folder next to data_dir ("data.tmp.XXXXXX"). */
mimic_status dstore_tmp_dir(const char *data_dir, char **tmp);
/* Installs a complete temp data folder as data_dir atomically (the old one,
 * if any and overwrite, is replaced through data.new/data.old renames). */
mimic_status dstore_install(const char *tmp, const mimic_dataset_paths *p, bool overwrite,
                            bool sync);
/* Copies a file's bytes (copy_file_range with a read/write fallback). */
mimic_status dstore_copy_file(const char *src, const char *dst);
/* Size of a file in bytes (0 if absent). */
uint64_t dstore_file_size(const char *path);

/* ---- contain.c: untrusted HDF5 files are read in a child first -------- */

/* Is this the child process checking a file? */
bool dcontain_inside(void);
/* Records main_path's size and CRC-32 beside it (data/mimic-checksum). */
mimic_status dcontain_stamp(const char *main_path, bool sync);
/* Is main_path the file mimic last stamped there (and MIMIC_CONTAIN is not "always")? */
bool dcontain_trusted(const char *main_path);
/* Runs fn(ctx) in a forked child with limits; a crash there becomes "the
 * HDF5 library crashed reading FILE: the file is damaged", a failure the
 * child's error. MIMIC_OK (at once inside a child) when the read succeeded. */
mimic_status dcontain_probe(const char *file, mimic_status (*fn)(void *ctx), void *ctx);

/* ---- fault injection (tests) ------------------------------------------ */

/* Kills the process with SIGKILL when $MIMIC_TEST_CRASH_AT equals point
 * (and $MIMIC_TEST_CRASH_SKIP, if set, has counted down to 0); tests use it
 * to stop a writer at each step of the commit protocol. */
void dwrite_crash_point(const char *point);

/* ---- writer.c ------------------------------------------------------------ */

/* Fills a new main_data.hdf5; reports the episodes and steps written. */
typedef mimic_status (*dwrite_fill_fn)(hid_t file, void *ctx, int64_t *episodes, int64_t *steps);
/* Builds a complete data folder (main file by fill, metadata.json from meta
 * with the id resolved) at a temp path and installs it atomically. */
mimic_status dwrite_build_and_install(const mimic_dataset_paths *p, const mimic_dataset_meta *meta,
                                      const mimic_data_space *os, const mimic_data_space *as,
                                      const mimic_write_opts *opts, dwrite_fill_fn fill, void *ctx);

/* Opens the episodes of a dataset for reading: metadata, main file and
 * journal, checked for layout (root names, numbering, counts). */
typedef struct dsrc {
  mimic_dataset_paths paths;
  dmeta meta;
  hid_t main;       /* main_data.hdf5 */
  int64_t n_main;   /* committed episodes read from main */
  int64_t *journal; /* journal indices n_main.. */
  size_t n_journal;
} dsrc;

mimic_status dsrc_open(const char *path, dsrc *s);
/* dsrc_open for a reader of shard `shard` of n_shards only: an untrusted
 * file is probed in a child by loading that shard (what the caller reads),
 * not the whole dataset. */
mimic_status dsrc_open_shard(const char *path, int shard, int n_shards, dsrc *s);
void dsrc_close(dsrc *s);
/* Opens the location and group name of episode k (main or journal file);
 * *file_out is the file to close (or -1), *fname the file's path for messages. */
mimic_status dsrc_episode(dsrc *s, int64_t k, hid_t *loc, hid_t *file_out, const char **fname,
                          char *name, size_t cap);
/* Steps and bytes of the journaled (not yet folded-in) episodes; checks
 * each one's arrays on the way. bytes may be NULL. */
mimic_status dsrc_journal_totals(dsrc *s, size_t *steps, uint64_t *bytes);

#endif
