/* mimic/data.h: demonstrations. Trajectories in memory, the flat
 * transitions view trainers read, minibatches, normalisation statistics,
 * and datasets on disk in Minari's HDF5 layout (with D4RL and robomimic
 * import).
 *
 * In memory a dataset is the `imitation` library's list of trajectories,
 * stored back to back in a few contiguous arrays (llm.c style): episode e
 * owns the observation rows ep_start[e] + e .. ep_start[e+1] + e (T+1 rows)
 * and the step rows ep_start[e] .. ep_start[e+1]-1 of actions, rewards and
 * the terminated/truncated flags. Observations and actions are float32 rows
 * (a Discrete value is one float holding 0..n-1, as in mimic/env.h);
 * rewards are doubles. The transitions view trainers read (mimic_transitions:
 * obs, act, next_obs, done, reward) indexes into those arrays through
 * obs_row[], so nothing is duplicated: a million CartPole transitions take
 * ~36 bytes each.
 *
 * On disk a dataset is a folder in Minari's layout:
 *     <dir>/data/main_data.hdf5   episode_0 .. episode_{N-1}
 *     <dir>/data/metadata.json
 * so `-o demos/` writes demos/data/...; Python opens it with
 * minari.MinariDataset("demos/data") or h5py. Paths given to the loader may
 * name the dataset folder, its data folder or main_data.hdf5 itself.
 * Appending (mimic_dataset_writer) is crash-safe: see docs/datasets.md. */
#ifndef MIMIC_DATA_H
#define MIMIC_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/core.h"
#include "mimic/env.h"
#include "mimic/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The seed of an episode that was not reset with one. */
#define MIMIC_NO_SEED INT64_MIN

/* ---- spaces as files describe them ------------------------------------- */

/* Element types a file may store (NumPy names). */
typedef enum mimic_dtype {
  MIMIC_DTYPE_FLOAT32 = 0,
  MIMIC_DTYPE_FLOAT64,
  MIMIC_DTYPE_INT8,
  MIMIC_DTYPE_INT16,
  MIMIC_DTYPE_INT32,
  MIMIC_DTYPE_INT64,
  MIMIC_DTYPE_UINT8,
  MIMIC_DTYPE_UINT16,
  MIMIC_DTYPE_UINT32,
  MIMIC_DTYPE_UINT64,
} mimic_dtype;

/* The NumPy name of a dtype ("float32"). */
const char *mimic_dtype_name(mimic_dtype t);

/* A Discrete or Box space as a dataset stores it: the float32 mimic_space
 * the rest of mimic uses, plus what the file says beyond it (the element
 * dtype, Discrete's start, the exact bounds). In memory a Discrete value is
 * always 0..n-1; files hold start..start+n-1. */
typedef struct mimic_data_space {
  mimic_space space;   /* low/high point at lowf/highf */
  mimic_dtype dtype;   /* Box: element type in files; Discrete: int64 */
  int64_t start;       /* Discrete: the first value (Gymnasium's start) */
  double *low, *high;  /* Box: dim bounds exactly as written (owned) */
  float *lowf, *highf; /* Box: the same bounds as float32 (owned) */
} mimic_data_space;

/* Makes a data space from an environment's space (float32 Box or Discrete from 0). */
mimic_status mimic_data_space_from_env(mimic_data_space *out, const mimic_space *s);
/* Frees the bounds of a data space (the struct itself is the caller's). */
void mimic_data_space_free(mimic_data_space *s);
/* Parses Gymnasium/Minari space JSON (Infinity and NaN allowed in bounds). */
mimic_status mimic_data_space_parse(mimic_data_space *out, const char *json_text);
/* Writes the space's Gymnasium/Minari JSON; returns a malloc'd string or NULL (error set). */
char *mimic_data_space_to_json(const mimic_data_space *s);

/* ---- metadata ----------------------------------------------------------- */

/* The metadata.json fields mimic knows; every string may be NULL. */
typedef struct mimic_dataset_meta {
  char *dataset_id;      /* "mimic/cartpole/expert-v0"; NULL = derive from the folder name */
  char *env_id;          /* the Gymnasium id in env_spec ("CartPole-v1") */
  char *env_spec;        /* env_spec's JSON text as read (kept verbatim on rewrite) */
  int max_episode_steps; /* for a generated env_spec; 0 = none */
  char *algorithm_name;  /* "scripted expert" */
  char *author;          /* written as a one-element list */
  char *description;
  double ref_min_score; /* NAN = absent (Minari's normalised-score reference) */
  double ref_max_score; /* NAN = absent */
  char *extra_json;     /* any other keys, as the text of one JSON object */
} mimic_dataset_meta;

/* Initialises empty metadata (scores NAN). */
void mimic_dataset_meta_init(mimic_dataset_meta *m);
/* Frees the strings of metadata and reinitialises it. */
void mimic_dataset_meta_free(mimic_dataset_meta *m);
/* Deep copy (dst is overwritten, not freed). */
mimic_status mimic_dataset_meta_copy(mimic_dataset_meta *dst, const mimic_dataset_meta *src);
/* Replaces a string field of meta with a copy of value (NULL clears it). */
mimic_status mimic_dataset_meta_set(char **field, const char *value);
/* True when id is a valid Minari dataset id ("(namespace/)name-vN"). */
bool mimic_dataset_id_valid(const char *id);

/* ---- trajectories in memory -------------------------------------------- */

/* One episode: T steps, T+1 observation rows. Used both to add an episode
 * (pointers to the caller's arrays) and to look at one (pointers into the
 * dataset). term/trunc hold 0 or 1 per step. */
typedef struct mimic_episode {
  size_t T;
  const float *obs;            /* [T+1][obs_dim] */
  const float *act;            /* [T][act_dim] */
  const double *rew;           /* [T] */
  const uint8_t *term, *trunc; /* [T] */
  int64_t seed;                /* MIMIC_NO_SEED if none */
} mimic_episode;

/* All episodes of a dataset, back to back (see the top of this file). */
typedef struct mimic_dataset {
  mimic_data_space obs_space, act_space;
  int obs_dim, act_dim; /* floats per observation / action row */
  size_t n_episodes, n_steps;
  float *obs;            /* [n_steps + n_episodes][obs_dim] */
  float *act;            /* [n_steps][act_dim] */
  double *rew;           /* [n_steps] */
  uint8_t *term, *trunc; /* [n_steps], 0/1 */
  uint64_t *ep_start;    /* [n_episodes + 1]: first step of each episode */
  int64_t *ep_seed;      /* [n_episodes] */
  uint32_t *obs_row;     /* [n_steps]: observation row of step j (j + its episode) */
  mimic_dataset_meta meta;
  size_t cap_steps, cap_episodes; /* allocated rows (private) */
} mimic_dataset;

/* Starts an empty dataset with copies of the two spaces. */
mimic_status mimic_dataset_init(mimic_dataset *ds, const mimic_data_space *obs_space,
                                const mimic_data_space *act_space);
/* Frees everything a dataset owns (safe on a zeroed struct). */
void mimic_dataset_free(mimic_dataset *ds);
/* Reserves room for more steps and episodes so adds do not reallocate. */
mimic_status mimic_dataset_reserve(mimic_dataset *ds, size_t steps, size_t episodes);
/* Appends a copy of one episode, validating it against the spaces. */
mimic_status mimic_dataset_add_episode(mimic_dataset *ds, const mimic_episode *ep);
/* Views episode e (pointers into the dataset). */
mimic_episode mimic_dataset_episode(const mimic_dataset *ds, size_t e);
/* The episode that holds step j (binary search). */
size_t mimic_dataset_step_episode(const mimic_dataset *ds, size_t j);
/* Undiscounted return of episode e. */
double mimic_dataset_episode_return(const mimic_dataset *ds, size_t e);

/* Transition j's observation (the flat transitions view, without a copy). */
static inline const float *mimic_dataset_step_obs(const mimic_dataset *ds, size_t j) {
  return ds->obs + (size_t)ds->obs_row[j] * (size_t)ds->obs_dim;
}
/* Transition j's next observation (the row after its observation). */
static inline const float *mimic_dataset_step_next_obs(const mimic_dataset *ds, size_t j) {
  return ds->obs + ((size_t)ds->obs_row[j] + 1) * (size_t)ds->obs_dim;
}
/* Transition j's action. */
static inline const float *mimic_dataset_step_act(const mimic_dataset *ds, size_t j) {
  return ds->act + j * (size_t)ds->act_dim;
}
/* imitation's `dones`: the step that terminated its episode (not truncation). */
static inline bool mimic_dataset_step_done(const mimic_dataset *ds, size_t j) {
  return ds->term[j] != 0;
}

/* A growing buffer for the episode being recorded (one per environment). */
typedef struct mimic_episode_buf {
  int obs_dim, act_dim;
  size_t T, cap;
  float *obs, *act;
  double *rew;
  uint8_t *term, *trunc;
  int64_t seed;
} mimic_episode_buf;

/* Prepares an empty buffer for rows of obs_dim and act_dim floats. */
mimic_status mimic_episode_buf_init(mimic_episode_buf *b, int obs_dim, int act_dim);
/* Starts a new episode at its first observation. */
mimic_status mimic_episode_buf_reset(mimic_episode_buf *b, const float *obs0, int64_t seed);
/* Records one step: the action taken, its reward and flags, and the next observation. */
mimic_status mimic_episode_buf_step(mimic_episode_buf *b, const float *act, double rew,
                                    bool terminated, bool truncated, const float *next_obs);
/* Views the buffer as an episode. */
mimic_episode mimic_episode_buf_view(const mimic_episode_buf *b);
/* Frees a buffer. */
void mimic_episode_buf_free(mimic_episode_buf *b);

/* ---- the flat transitions view ---------------------------------------- */

/* Labeled transitions as trainers read them (imitation's `Transitions`):
 * n rows of observation and action, optional loss weights, and optionally
 * the episodes they form (for a validation split by episode). A view only
 * points at arrays that live elsewhere: a dataset lends its own
 * (mimic_dataset_transitions), DAgger its pool of labeled states. */
typedef struct mimic_transitions {
  size_t n;
  int obs_dim, act_dim;
  const mimic_space *act_space; /* Discrete(k): act holds ids; Box: act_dim values */
  const float *obs;             /* observation rows */
  const uint32_t *obs_row;      /* [n] the row of transition j in obs (NULL: row j); with a
                                   row index the next observation is the row after it */
  const float *act;             /* [n x act_dim] */
  const float *weight;          /* [n] loss weights, finite and >= 0 (NULL: all 1) */
  const double *rew;            /* [n] rewards (may be NULL) */
  const uint8_t *done;          /* [n] imitation's dones: the step terminated (may be NULL) */
  const uint64_t *ep_start;     /* [n_episodes + 1] first transition of each episode (NULL:
                                   no episodes; splits then go by transition) */
  size_t n_episodes;
} mimic_transitions;

/* The view of every transition of a dataset (nothing is copied). */
mimic_transitions mimic_dataset_transitions(const mimic_dataset *ds);
/* Checks a view before training: rows, arrays, episode bounds and weights. */
mimic_status mimic_transitions_check(const mimic_transitions *t);
/* Checks that every action of a view is a whole number in [0, n), as a
 * Discrete(n) space's ids are; the message names the transition. */
mimic_status mimic_transitions_check_ids(const mimic_transitions *t, int n);
/* Splits into train and validation rows by episode (by transition when the
 * view has no episodes), as scikit-learn's ShuffleSplit after a seeded
 * permutation: ceil(val_fraction * groups) held out, but at least one
 * training group when there are 2 or more. Row lists are malloc'd, ascending. */
mimic_status mimic_transitions_split(const mimic_transitions *t, double val_fraction, uint64_t seed,
                                     uint32_t **train, size_t *n_train, uint32_t **val,
                                     size_t *n_val);

/* Where a minibatch goes: caller-owned buffers of batch_size rows; any NULL
 * field is skipped (and next_obs, rew and done when the view lacks them). */
typedef struct mimic_batch {
  float *obs;      /* [B][obs_dim] */
  float *act;      /* [B][act_dim] */
  float *next_obs; /* [B][obs_dim] */
  double *rew;     /* [B] */
  uint8_t *done;   /* [B] */
  uint32_t *index; /* [B] transition ids into the view */
  float *weight;   /* [B] (1 where the view has no weights) */
} mimic_batch;

/* Copies transitions rows[0..n) into a batch's buffers. */
void mimic_transitions_gather(const mimic_transitions *t, const uint32_t *rows, size_t n,
                              const mimic_batch *out);

/* Minibatches without replacement: every epoch is a fresh permutation of the
 * chosen rows, a pure function of (seed, epoch), so a trainer resumes
 * exactly with mimic_sampler_seek. */
typedef struct mimic_sampler {
  const mimic_transitions *t;
  uint32_t *rows;  /* the rows sampled from (owned copy, ascending as given) */
  uint32_t *items; /* [n] rows in this epoch's order */
  size_t n, pos, batch_size;
  bool drop_last;       /* imitation's DataLoader drops the short last batch */
  uint64_t seed, epoch; /* epoch: epochs begun so far (the current one is epoch-1) */
} mimic_sampler;

/* Samples from rows[0..n_rows) of t (rows NULL = every row), batch_size at a
 * time; t must outlive the sampler. */
mimic_status mimic_sampler_init(mimic_sampler *s, const mimic_transitions *t, const uint32_t *rows,
                                size_t n_rows, size_t batch_size, bool drop_last, uint64_t seed);
/* Fills the next minibatch and returns its row count (> 0; short only for
 * the last batch of an epoch without drop_last). A finished epoch rolls
 * over to a new permutation. Returns 0 only when there is nothing to sample. */
size_t mimic_sampler_next(mimic_sampler *s, const mimic_batch *out);
/* Advances as mimic_sampler_next does but copies nothing: *rows points at
 * the batch's row ids (valid until the next call). A sampler used only this
 * way may be given a view with nothing but n set (a dataset's shape, held
 * in shards by several ranks). */
size_t mimic_sampler_next_rows(mimic_sampler *s, const uint32_t **rows);
/* Full batches per epoch (plus one short batch when !drop_last and n % B). */
size_t mimic_sampler_batches_per_epoch(const mimic_sampler *s);
/* Positions the sampler at epoch e (0-based), row pos (for exact resume). */
void mimic_sampler_seek(mimic_sampler *s, uint64_t epoch, size_t pos);
/* Frees the sampler. */
void mimic_sampler_free(mimic_sampler *s);

/* Per-feature running mean and variance in float64 (Welford within a
 * chunk, Chan et al. to merge chunks). */
typedef struct mimic_obs_stats {
  int dim;
  uint64_t count;
  double *mean, *m2; /* [dim]; variance = m2 / count */
  double *scratch;   /* [2*dim] */
} mimic_obs_stats;

/* Prepares empty statistics of dim features. */
mimic_status mimic_obs_stats_init(mimic_obs_stats *st, int dim);
/* Adds n rows of dim floats (row stride dim). */
void mimic_obs_stats_add(mimic_obs_stats *st, const float *rows, size_t n);
/* Merges other into st (same dim). */
void mimic_obs_stats_merge(mimic_obs_stats *st, const mimic_obs_stats *other);
/* Statistics of the observations of rows[0..n_rows) of a view (rows NULL:
 * every row), merged run by run of rows consecutive in memory. */
mimic_status mimic_obs_stats_of_transitions(mimic_obs_stats *st, const mimic_transitions *t,
                                            const uint32_t *rows, size_t n_rows);
/* Adds the observations of rows[0..n_rows) of a view (rows NULL: every
 * row) to st, in the runs mimic_obs_stats_of_transitions takes: statistics
 * continued shard after shard in dataset order are the whole set's, bit
 * for bit. */
mimic_status mimic_obs_stats_add_transitions(mimic_obs_stats *st, const mimic_transitions *t,
                                             const uint32_t *rows, size_t n_rows);
/* Writes mean and population std (ddof 0) as doubles (either may be NULL). */
void mimic_obs_stats_get(const mimic_obs_stats *st, double *mean, double *std);
/* Writes float32 mean and std for normalising inputs; a std below eps
 * (a constant feature) becomes 1, as scikit-learn's StandardScaler does. */
void mimic_obs_stats_normalizer(const mimic_obs_stats *st, double eps, float *mean, float *std);
/* Frees statistics. */
void mimic_obs_stats_free(mimic_obs_stats *st);
/* Checks that every observation column of a view can be standardised in
 * float32 (its variance is finite), as training with normalisation needs;
 * the error names the column, the episode and step of its largest value. */
mimic_status mimic_transitions_check_scale(const mimic_transitions *t);

/* ---- files -------------------------------------------------------------- */

/* True unless the metadata says the actions were removed ("actions_removed":
 * true, from mimic_dataset_strip_actions): an observation-only dataset. */
bool mimic_dataset_has_actions(const mimic_dataset *ds);
/* Makes the dataset observation-only: every action becomes a placeholder
 * inside the space (0, or the middle of a bounded box) and the metadata
 * says "actions_removed": true (docs/datasets.md). */
mimic_status mimic_dataset_strip_actions(mimic_dataset *ds);

/* Loads and validates a Minari dataset (committed episodes, then any
 * journaled ones a crash left). Errors name file, episode and field. */
mimic_status mimic_dataset_load(const char *path, mimic_dataset *ds);
/* Where a shard sits in its dataset. */
typedef struct mimic_dataset_shard {
  size_t first_episode, episodes; /* its first episode, of the dataset's episodes */
  uint64_t first_step, steps;     /* its first step (transition), of the dataset's steps */
} mimic_dataset_shard;
/* Loads shard `shard` of n_shards: a run of whole episodes, [s E/n,
 * (s+1) E/n) of the dataset's E, so the shards partition it in order. Every
 * episode's shapes are checked (metadata reads); only the shard's values
 * are read (data-parallel ranks, docs/cluster.md). Fails when E < n. */
mimic_status mimic_dataset_load_shard(const char *path, int shard, int n_shards, mimic_dataset *ds,
                                      mimic_dataset_shard *info);

/* How files are written. */
typedef struct mimic_write_opts {
  int compress;   /* deflate level 1..9 for chunked datasets; 0 = contiguous */
  bool overwrite; /* replace an existing dataset (atomically) */
  bool sync;      /* fsync files and folders (default true) */
} mimic_write_opts;

/* Default options: contiguous, no overwrite, synced. */
mimic_write_opts mimic_write_opts_default(void);

/* Writes a whole dataset to a new folder (or replaces one with overwrite),
 * atomically: readers see the old dataset or the new, never a mix. */
mimic_status mimic_dataset_save(const mimic_dataset *ds, const char *path,
                                const mimic_write_opts *opts);

/* Durable appends: episodes are journaled one small file each (fsync +
 * rename) and folded into main_data.hdf5 by an atomic rewrite when the
 * journal grows past commit_ratio of the main file (amortised O(new data))
 * and on close. A crash loses at most the episode being appended; mimic
 * reads journaled episodes too, Minari/h5py see the committed ones. */
typedef struct mimic_dataset_writer mimic_dataset_writer;

typedef struct mimic_writer_opts {
  mimic_write_opts write;
  double commit_ratio;     /* commit when journal bytes >= ratio * main bytes (default 0.5) ... */
  size_t commit_min_bytes; /* ... and >= this (default 1 MiB; 0 and ratio 0: every append) */
  bool commit_on_close;    /* fold everything on close, so Minari sees it all (default true) */
} mimic_writer_opts;

/* Default writer options. */
mimic_writer_opts mimic_writer_opts_default(void);

/* Opens a dataset for appending, creating it (0 episodes) if absent. An
 * existing dataset must have the same spaces; episodes a crash left in its
 * journal are folded in first. meta may be NULL (keep or derive). */
mimic_status mimic_dataset_writer_open(const char *path, const mimic_data_space *obs_space,
                                       const mimic_data_space *act_space,
                                       const mimic_dataset_meta *meta,
                                       const mimic_writer_opts *opts, mimic_dataset_writer **out);
/* Appends one finished episode durably (it is on disk when this returns). */
mimic_status mimic_dataset_writer_append(mimic_dataset_writer *w, const mimic_episode *ep);
/* Folds every journaled episode into main_data.hdf5 and metadata.json now. */
mimic_status mimic_dataset_writer_commit(mimic_dataset_writer *w);
/* Episodes in the dataset (committed + journaled). */
size_t mimic_dataset_writer_episodes(const mimic_dataset_writer *w);
/* Episodes not yet folded into main_data.hdf5. */
size_t mimic_dataset_writer_pending(const mimic_dataset_writer *w);
/* Commits (if commit_on_close) and frees the writer; NULL is fine. */
mimic_status mimic_dataset_writer_close(mimic_dataset_writer *w);
/* Closes a writer after a failure: a folder this writer created that holds
 * no episode yet is removed (a failed first recording leaves nothing behind);
 * otherwise the same as mimic_dataset_writer_close. */
mimic_status mimic_dataset_writer_abandon(mimic_dataset_writer *w);

/* Folds a journal left by a crash into the dataset and removes stale
 * temporary files; *folded gets the number of episodes folded (may be NULL). */
mimic_status mimic_dataset_repair(const char *path, size_t *folded);

/* What `mimic dataset info` shows without loading the arrays. */
typedef struct mimic_dataset_summary {
  size_t n_episodes, n_steps; /* committed + journaled */
  size_t n_pending;           /* journaled, not yet in main_data.hdf5 */
  uint64_t main_bytes;        /* size of main_data.hdf5 */
} mimic_dataset_summary;

/* Reads metadata.json and counts episodes cheaply (metadata is validated). */
mimic_status mimic_dataset_summarize(const char *path, mimic_dataset_summary *sum,
                                     mimic_dataset_meta *meta, mimic_data_space *obs_space,
                                     mimic_data_space *act_space);

/* ---- import, merge, split ---------------------------------------------- */

/* Options for importing foreign files. */
typedef struct mimic_import_opts {
  const char *obs_keys;   /* robomimic: comma-separated obs/<key> names (NULL = all, sorted) */
  bool use_states;        /* robomimic: use `states` instead of obs/<keys> */
  bool repeat_final;      /* D4RL without next_observations: repeat the last observation
                             as the final row instead of dropping the last step */
  bool has_action_bounds; /* use action_low/high instead of inferring them */
  double action_low, action_high;
  int discrete_n; /* D4RL: > 0 makes actions Discrete(n) (integer actions) */
} mimic_import_opts;

/* Reads a D4RL flat HDF5 file (observations, actions, rewards, terminals,
 * timeouts[, next_observations]) and splits it into episodes. */
mimic_status mimic_import_d4rl(const char *file, const mimic_import_opts *opts, mimic_dataset *ds);
/* Reads a robomimic HDF5 file (data/demo_k with actions, rewards, dones and
 * obs/<key> or states). */
mimic_status mimic_import_robomimic(const char *file, const mimic_import_opts *opts,
                                    mimic_dataset *ds);
/* Detects a file's format: "minari", "d4rl" or "robomimic" (or fails). */
mimic_status mimic_detect_format(const char *path, const char **format);

/* Writes the episodes of several datasets (same spaces) as one new dataset,
 * copying episode groups whole (infos and attributes kept). */
mimic_status mimic_dataset_merge(const char *const *inputs, size_t n_inputs, const char *output,
                                 const mimic_dataset_meta *meta, const mimic_write_opts *opts);
/* Splits a dataset by episode into n outputs with the given fractions
 * (summing to 1), after a seeded shuffle; episodes keep their relative order. */
mimic_status mimic_dataset_split_files(const char *input, const char *const *outputs,
                                       const double *fractions, size_t n_outputs, uint64_t seed,
                                       const mimic_write_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
