/* Importing D4RL and robomimic HDF5 files into a mimic_dataset.
 *
 * D4RL (one flat file): observations (N, *obs), actions (N, *act) or (N,),
 * rewards (N,) or (N, 1), terminals (N,), timeouts (N,) (absent = all
 * false), optional next_observations (N, *obs). Episodes end at rows where
 * terminals | timeouts; rows after the last such row form a final episode
 * marked truncated. Row i is (obs_i, act_i, r_i); terminated/truncated of
 * the episode's last step are terminals/(timeouts and not terminals).
 * Minari needs T+1 observations and D4RL does not store the one after the
 * last step, so:
 *   - with next_observations: the final row is next_observations[last];
 *   - without (the default): the last step of every episode is dropped and
 *     its observation becomes the final row, marked truncated (no state is
 *     invented; each episode loses one transition);
 *   - with repeat_final: the last observation is repeated as the final
 *     row and the flags are kept (one fabricated row per episode).
 * Spaces: observations Box(-inf, inf, float32) of the stored shape; actions
 * Box whose bounds are the given ones, else [-1, 1] when every action lies
 * in it (D4RL's MuJoCo convention), else each column's [min, max]; with
 * discrete_n > 0 actions are Discrete(n) and must be integers 0..n-1.
 *
 * robomimic: data/demo_<k> groups (ordered by k), each with actions (N, A),
 * rewards (N,), dones (N,), and obs/<key> (N, ...) or states (N, S).
 * Observations are the chosen obs keys (default: all, sorted by name) each
 * flattened and concatenated, or states with use_states. The final row is
 * next_obs/<keys>[N-1] when present (else the D4RL rules above); the last
 * step is terminated when dones[N-1] is 1, else truncated. mask/ (filter
 * keys) and env_args are not imported; env_args' env_name goes to the
 * description. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "data/data_impl.h"

/* A whole dataset read as float32 rows of `width` values. */
typedef struct flat {
  float *v;
  size_t rows, width;
  int ndim; /* rank of one row */
  int shape[MIMIC_SPACE_MAX_DIMS];
} flat;

static mimic_status read_flat(hid_t loc, const char *file, const char *path, bool required,
                              flat *out, bool *present) {
  memset(out, 0, sizeof *out);
  if (present) *present = false;
  H5O_type_t t = dh5_obj_type(loc, path);
  if (t == H5O_TYPE_UNKNOWN) {
    if (required) return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: missing", file, path);
    return MIMIC_OK;
  }
  if (t != H5O_TYPE_DATASET)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: is not a dataset", file, path);
  hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
  if (d < 0) return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot open", file, path);
  hid_t type = H5Dget_type(d), sp = H5Dget_space(d);
  hsize_t dims[8];
  int rank = H5Sget_simple_extent_ndims(sp);
  mimic_status st = MIMIC_OK;
  char tb[64];
  H5T_class_t c = H5Tget_class(type);
  if (rank < 1 || rank > 1 + MIMIC_SPACE_MAX_DIMS) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: rank %d is not supported (want 1..%d)", file, path,
                    rank, 1 + MIMIC_SPACE_MAX_DIMS);
  } else if (c != H5T_FLOAT && c != H5T_INTEGER && !(c == H5T_ENUM && H5Tget_size(type) == 1)) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: stored as %s, expected numbers", file, path,
                    dh5_type_str(type, tb, sizeof tb));
  } else {
    H5Sget_simple_extent_dims(sp, dims, NULL);
    out->rows = dims[0];
    out->width = 1;
    out->ndim = rank - 1;
    for (int i = 1; i < rank; i++) {
      out->shape[i - 1] = (int)dims[i];
      out->width *= dims[i];
    }
    size_t n = out->rows * out->width;
    if (c == H5T_ENUM) {
      uint8_t *raw = mimic_malloc(n ? n : 1, path);
      out->v = mimic_calloc(n ? n : 1, sizeof(float), path);
      if (!raw || !out->v) st = MIMIC_ERR_NOMEM;
      int8_t tv = 1, fv = 0;
      if (!st &&
          (H5Tenum_valueof(type, "TRUE", &tv) < 0 || H5Tenum_valueof(type, "FALSE", &fv) < 0))
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: an enum without FALSE/TRUE members", file, path);
      if (!st && n && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
        st = dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot read", file, path);
      for (size_t i = 0; !st && i < n; i++) {
        if ((int8_t)raw[i] == tv)
          out->v[i] = 1;
        else if ((int8_t)raw[i] == fv)
          out->v[i] = 0;
        else
          st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: row %zu is neither FALSE nor TRUE", file, path,
                          i);
      }
      free(raw);
    } else {
      out->v = mimic_calloc(n ? n : 1, sizeof(float), path);
      if (!out->v) st = MIMIC_ERR_NOMEM;
      if (!st && n && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->v) < 0)
        st = dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot read", file, path);
      for (size_t i = 0; !st && i < n; i++)
        if (!isfinite(out->v[i])) {
          size_t r = i / out->width, col = i % out->width;
          char cb[40] = "";
          if (out->width > 1) snprintf(cb, sizeof cb, ", column %zu", col);
          st = mimic_fail(MIMIC_ERR_RANGE, "%s: %s: row %zu%s is %s", file, path, r, cb,
                          isnan(out->v[i]) ? "NaN" : "infinite (or too large for float32)");
        }
    }
    if (present) *present = true;
  }
  if (st) {
    free(out->v);
    out->v = NULL;
  }
  dh5_close(type);
  dh5_close(sp);
  dh5_close(d);
  return st;
}

/* rewards may be (N,) or (N, 1); returns doubles */
static mimic_status read_rewards(hid_t loc, const char *file, const char *path, size_t rows,
                                 double **out) {
  *out = NULL;
  flat f;
  MIMIC_TRY(read_flat(loc, file, path, true, &f, NULL));
  mimic_status st = MIMIC_OK;
  if (f.width != 1 || f.ndim > 1)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: expected one value per row", file, path);
  else if (f.rows != rows)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: has %zu rows, expected %zu (one per action)", file,
                    path, f.rows, rows);
  if (!st) {
    /* re-read as double for full precision */
    *out = mimic_calloc(rows ? rows : 1, sizeof(double), path);
    hid_t d = H5Dopen2(loc, path, H5P_DEFAULT);
    if (!*out)
      st = MIMIC_ERR_NOMEM;
    else if (rows && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
      st = dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot read", file, path);
    dh5_close(d);
    if (st) {
      free(*out);
      *out = NULL;
    }
  }
  free(f.v);
  return st;
}

static mimic_status read_flags(hid_t loc, const char *file, const char *path, size_t rows,
                               bool required, uint8_t **out) {
  *out = mimic_calloc(rows ? rows : 1, 1, path);
  if (!*out) return MIMIC_ERR_NOMEM;
  flat f;
  bool present;
  mimic_status st = read_flat(loc, file, path, required, &f, &present);
  if (!st && present) {
    if (f.width != 1)
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: expected one flag per row", file, path);
    else if (f.rows != rows)
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: has %zu rows, expected %zu", file, path, f.rows,
                      rows);
    for (size_t i = 0; !st && i < rows; i++) {
      if (f.v[i] != 0 && f.v[i] != 1)
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: row %zu is %g, expected 0 or 1", file, path, i,
                        (double)f.v[i]);
      (*out)[i] = f.v[i] != 0;
    }
  }
  free(f.v);
  if (st) {
    free(*out);
    *out = NULL;
  }
  return st;
}

static mimic_status make_obs_space(mimic_data_space *s, int ndim, const int *shape, size_t width) {
  mimic_space sp = {0};
  sp.kind = MIMIC_SPACE_BOX;
  sp.ndim = ndim ? ndim : 1;
  if (ndim == 0) sp.shape[0] = 1;
  for (int i = 0; i < ndim; i++) sp.shape[i] = shape[i];
  if (width > (1u << 28)) return mimic_fail(MIMIC_ERR_RANGE, "observation rows are too wide");
  sp.dim = (int)width;
  return mimic_data_space_from_env(s, &sp); /* NULL bounds: (-inf, inf) */
}

static mimic_status make_act_space(mimic_data_space *s, const mimic_import_opts *o, const flat *a,
                                   const char *file) {
  mimic_space sp = {0};
  if (o && o->discrete_n > 0) {
    if (a->width != 1)
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: actions: Discrete actions need one value per row",
                        file);
    for (size_t i = 0; i < a->rows; i++) {
      float v = a->v[i];
      if (v != floorf(v) || v < 0 || v >= (float)o->discrete_n)
        return mimic_fail(MIMIC_ERR_RANGE, "%s: actions: row %zu is %g, outside Discrete(%d)", file,
                          i, (double)v, o->discrete_n);
    }
    sp.kind = MIMIC_SPACE_DISCRETE;
    sp.n = o->discrete_n;
    sp.dim = 1;
    return mimic_data_space_from_env(s, &sp);
  }
  sp.kind = MIMIC_SPACE_BOX;
  sp.ndim = a->ndim ? a->ndim : 1;
  if (a->ndim == 0) sp.shape[0] = 1;
  for (int i = 0; i < a->ndim; i++) sp.shape[i] = a->shape[i];
  sp.dim = (int)a->width;
  float *lo = mimic_calloc(a->width, sizeof(float), "bounds"),
        *hi = mimic_calloc(a->width, sizeof(float), "bounds");
  if (!lo || !hi) {
    free(lo);
    free(hi);
    return MIMIC_ERR_NOMEM;
  }
  bool unit = true;
  for (size_t c = 0; c < a->width; c++) {
    lo[c] = INFINITY;
    hi[c] = -INFINITY;
  }
  for (size_t i = 0; i < a->rows; i++)
    for (size_t c = 0; c < a->width; c++) {
      float v = a->v[i * a->width + c];
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
      if (v < -1 || v > 1) unit = false;
    }
  mimic_status st = MIMIC_OK;
  for (size_t c = 0; c < a->width; c++) {
    if (o && o->has_action_bounds) {
      if (a->rows && (lo[c] < o->action_low || hi[c] > o->action_high)) {
        st = mimic_fail(
            MIMIC_ERR_RANGE,
            "%s: actions: column %zu holds values in [%g, %g], outside the given bounds [%g, %g]",
            file, c, (double)lo[c], (double)hi[c], o->action_low, o->action_high);
        break;
      }
      lo[c] = (float)o->action_low;
      hi[c] = (float)o->action_high;
    } else if (unit || a->rows == 0) {
      lo[c] = -1;
      hi[c] = 1;
    }
  }
  sp.low = lo;
  sp.high = hi;
  if (!st) st = mimic_data_space_from_env(s, &sp);
  free(lo);
  free(hi);
  return st;
}

/* Adds episode rows [a, b] (inclusive). final_row: the observation after
 * row b, or NULL (drop the last step unless repeat). */
static mimic_status add_range(mimic_dataset *ds, mimic_episode_buf *buf, const flat *obs,
                              const float *final_row, const flat *act, const double *rew, size_t a,
                              size_t b, bool terminal, bool timeout, bool repeat) {
  size_t od = obs->width, ad = act->width;
  size_t L = b - a + 1;
  size_t T = L;
  bool term = terminal, trunc = timeout && !terminal;
  if (!final_row && !repeat) {
    T = L - 1;
    term = false;
    trunc = T > 0;
  }
  MIMIC_TRY(mimic_episode_buf_reset(buf, obs->v + a * od, MIMIC_NO_SEED));
  for (size_t t = 0; t < T; t++) {
    size_t i = a + t;
    const float *next;
    if (t + 1 < L)
      next = obs->v + (i + 1) * od;
    else
      next = final_row ? final_row : obs->v + i * od; /* repeat */
    bool last = t + 1 == T;
    MIMIC_TRY(
        mimic_episode_buf_step(buf, act->v + i * ad, rew[i], last && term, last && trunc, next));
  }
  mimic_episode ep = mimic_episode_buf_view(buf);
  return mimic_dataset_add_episode(ds, &ep);
}

/* Imports of untrusted files run in a child first (contain.c). */
typedef struct import_probe {
  const char *file;
  const mimic_import_opts *opts;
  bool robomimic;
} import_probe;

static mimic_status probe_import(void *ctx) {
  const import_probe *p = ctx;
  mimic_dataset ds;
  mimic_status st = p->robomimic ? mimic_import_robomimic(p->file, p->opts, &ds)
                                 : mimic_import_d4rl(p->file, p->opts, &ds);
  if (!st) mimic_dataset_free(&ds);
  return st;
}

mimic_status mimic_import_d4rl(const char *file, const mimic_import_opts *opts, mimic_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  import_probe probe = {file, opts, false};
  MIMIC_TRY(dcontain_probe(file, probe_import, &probe));
  mimic_import_opts o0 = {0};
  const mimic_import_opts *o = opts ? opts : &o0;
  hid_t f;
  MIMIC_TRY(dh5_open(file, false, &f));
  flat obs = {0}, act = {0}, next = {0};
  double *rew = NULL;
  uint8_t *term = NULL, *tout = NULL;
  bool has_next = false;
  mimic_data_space os = {0}, as = {0};
  mimic_episode_buf buf = {0};
  mimic_status st = read_flat(f, file, "observations", true, &obs, NULL);
  if (!st) st = read_flat(f, file, "actions", true, &act, NULL);
  if (!st && act.rows != obs.rows)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: actions: has %zu rows but observations has %zu", file,
                    act.rows, obs.rows);
  if (!st) st = read_rewards(f, file, "rewards", obs.rows, &rew);
  if (!st) st = read_flags(f, file, "terminals", obs.rows, true, &term);
  if (!st) st = read_flags(f, file, "timeouts", obs.rows, false, &tout);
  if (!st) st = read_flat(f, file, "next_observations", false, &next, &has_next);
  if (!st && has_next && (next.rows != obs.rows || next.width != obs.width))
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: next_observations: shape differs from observations",
                    file);
  if (!st) st = make_obs_space(&os, obs.ndim, obs.shape, obs.width);
  if (!st) st = make_act_space(&as, o, &act, file);
  if (!st) st = mimic_dataset_init(ds, &os, &as);
  if (!st) st = mimic_episode_buf_init(&buf, (int)obs.width, (int)act.width);
  if (!st) st = mimic_dataset_reserve(ds, obs.rows, 16);
  size_t a = 0;
  for (size_t i = 0; !st && i < obs.rows; i++) {
    bool end = term[i] || tout[i];
    bool last_row = i + 1 == obs.rows;
    if (!end && !last_row) continue;
    const float *final_row = has_next ? next.v + i * next.width : NULL;
    st = add_range(ds, &buf, &obs, final_row, &act, rew, a, i, term[i], end ? tout[i] : true,
                   o->repeat_final);
    a = i + 1;
  }
  if (!st) {
    char *base = strrchr(file, '/');
    char *desc = mimic_asprintf("imported from the D4RL file %s", base ? base + 1 : file);
    if (desc) {
      free(ds->meta.description);
      ds->meta.description = desc;
    }
  }
  if (st && ds->obs)
    mimic_dataset_free(ds);
  else if (st)
    memset(ds, 0, sizeof *ds);
  mimic_episode_buf_free(&buf);
  mimic_data_space_free(&os);
  mimic_data_space_free(&as);
  free(obs.v);
  free(act.v);
  free(next.v);
  free(rew);
  free(term);
  free(tout);
  dh5_close(f);
  return st;
}

/* ---- robomimic ------------------------------------------------------------ */

typedef struct name_list {
  char **v;
  size_t n, cap;
} name_list;

static void names_free(name_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static int names_add(name_list *l, const char *s) {
  if (l->n == l->cap) {
    size_t nc = l->cap ? 2 * l->cap : 16;
    char **nv = realloc(l->v, nc * sizeof *nv);
    if (!nv) return -1;
    l->v = nv;
    l->cap = nc;
  }
  if (!(l->v[l->n] = strdup(s))) return -1;
  l->n++;
  return 0;
}

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g;
  (void)info;
  return names_add(data, name) ? -1 : 0;
}

static long demo_index(const char *s) {
  if (strncmp(s, "demo_", 5) != 0 || !s[5]) return -1;
  char *end;
  long v = strtol(s + 5, &end, 10);
  return *end || v < 0 ? -1 : v;
}

static int cmp_demo(const void *a, const void *b) {
  long x = demo_index(*(char *const *)a), y = demo_index(*(char *const *)b);
  return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads and concatenates the observation keys of a demo (rows x width). */
static mimic_status read_obs_keys(hid_t demo, const char *file, const char *dname,
                                  const char *group, const name_list *keys, size_t rows,
                                  float **out, size_t *width) {
  *out = NULL;
  *width = 0;
  flat parts[64];
  size_t nk = keys->n;
  if (nk > 64) return mimic_fail(MIMIC_ERR_RANGE, "%s: at most 64 observation keys", file);
  mimic_status st = MIMIC_OK;
  size_t w = 0, got = 0;
  for (size_t i = 0; i < nk && !st; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", group, keys->v[i]);
    st = read_flat(demo, file, path, true, &parts[i], NULL);
    if (st)
      st = mimic_errctx("%s", dname);
    else {
      got++;
      if (parts[i].rows != rows)
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: has %zu rows, expected %zu (one per action)",
                        file, dname, path, parts[i].rows, rows);
      w += parts[i].width;
    }
  }
  float *v = NULL;
  if (!st) {
    v = mimic_calloc(rows * w > 0 ? rows * w : 1, sizeof(float), "observations");
    if (!v) st = MIMIC_ERR_NOMEM;
  }
  if (!st) {
    size_t off = 0;
    for (size_t i = 0; i < nk; i++) {
      for (size_t r = 0; r < rows; r++)
        memcpy(v + r * w + off, parts[i].v + r * parts[i].width, parts[i].width * sizeof(float));
      off += parts[i].width;
    }
    *out = v;
    *width = w;
  }
  for (size_t i = 0; i < got; i++) free(parts[i].v);
  return st;
}

mimic_status mimic_import_robomimic(const char *file, const mimic_import_opts *opts,
                                    mimic_dataset *ds) {
  memset(ds, 0, sizeof *ds);
  import_probe probe = {file, opts, true};
  MIMIC_TRY(dcontain_probe(file, probe_import, &probe));
  mimic_import_opts o0 = {0};
  const mimic_import_opts *o = opts ? opts : &o0;
  hid_t f;
  MIMIC_TRY(dh5_open(file, false, &f));
  hid_t data = -1;
  name_list demos = {0}, keys = {0};
  mimic_episode_buf buf = {0};
  mimic_data_space os = {0}, as = {0};
  mimic_status st = MIMIC_OK;
  char *env_name = NULL;
  if (dh5_obj_type(f, "data") != H5O_TYPE_GROUP) {
    st = mimic_fail(MIMIC_ERR_FORMAT,
                    "%s: data: missing (a robomimic file holds data/demo_<k> groups)", file);
    goto done;
  }
  data = H5Gopen2(f, "data", H5P_DEFAULT);
  if (H5Literate(data, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, &demos) < 0) {
    st = dh5_fail(MIMIC_ERR_FORMAT, "%s: data: cannot list", file);
    goto done;
  }
  {
    size_t k = 0;
    for (size_t i = 0; i < demos.n; i++) {
      if (demo_index(demos.v[i]) >= 0)
        demos.v[k++] = demos.v[i];
      else
        free(demos.v[i]);
    }
    demos.n = k;
  }
  if (demos.n == 0) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: data: holds no demo_<k> groups", file);
    goto done;
  }
  qsort(demos.v, demos.n, sizeof *demos.v, cmp_demo);
  char *env_args = dh5_read_str_attr(data, "env_args");
  if (env_args) {
    json_error_t err;
    json_t *j = json_loads(env_args, 0, &err);
    const char *en = j ? json_string_value(json_object_get(j, "env_name")) : NULL;
    if (en) env_name = mimic_strdup(en);
    json_decref(j);
    free(env_args);
  }
  /* observation keys */
  const char *obs_group = o->use_states ? NULL : "obs";
  if (obs_group) {
    if (o->obs_keys && *o->obs_keys) {
      char *copy = mimic_strdup(o->obs_keys);
      for (char *tok = copy ? strtok(copy, ",") : NULL; tok; tok = strtok(NULL, ","))
        if (*tok && names_add(&keys, tok)) st = mimic_fail_nomem("keys");
      free(copy);
    } else {
      char path[300];
      snprintf(path, sizeof path, "%s/obs", demos.v[0]);
      if (dh5_obj_type(data, path) != H5O_TYPE_GROUP) {
        st = mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: data/%s: missing (use states instead with --use-states)", file, path);
        goto done;
      }
      hid_t g = H5Gopen2(data, path, H5P_DEFAULT);
      H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, list_cb, &keys);
      dh5_close(g);
      qsort(keys.v, keys.n, sizeof *keys.v, cmp_str);
    }
    if (!st && keys.n == 0) st = mimic_fail(MIMIC_ERR_FORMAT, "%s: no observation keys", file);
  }
  for (size_t di = 0; !st && di < demos.n; di++) {
    char dname[300];
    snprintf(dname, sizeof dname, "data/%s", demos.v[di]);
    hid_t demo = H5Gopen2(data, demos.v[di], H5P_DEFAULT);
    if (demo < 0) {
      st = dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot open", file, dname);
      break;
    }
    flat act = {0}, obsf = {0};
    double *rew = NULL;
    uint8_t *dones = NULL;
    float *obsv = NULL, *nextv = NULL;
    size_t ow = 0, nw = 0;
    st = read_flat(demo, file, "actions", true, &act, NULL);
    if (st) st = mimic_errctx("%s", dname);
    if (!st) {
      st = read_rewards(demo, file, "rewards", act.rows, &rew);
      if (st) st = mimic_errctx("%s", dname);
    }
    if (!st) {
      st = read_flags(demo, file, "dones", act.rows, true, &dones);
      if (st) st = mimic_errctx("%s", dname);
    }
    bool has_next = false;
    if (!st && o->use_states) {
      st = read_flat(demo, file, "states", true, &obsf, NULL);
      if (st)
        st = mimic_errctx("%s", dname);
      else if (obsf.rows != act.rows)
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/states: has %zu rows, expected %zu", file, dname,
                        obsf.rows, act.rows);
      obsv = obsf.v;
      obsf.v = NULL;
      ow = obsf.width;
    } else if (!st) {
      st = read_obs_keys(demo, file, dname, "obs", &keys, act.rows, &obsv, &ow);
      if (!st && dh5_obj_type(demo, "next_obs") == H5O_TYPE_GROUP) {
        st = read_obs_keys(demo, file, dname, "next_obs", &keys, act.rows, &nextv, &nw);
        has_next = !st && nw == ow;
      }
    }
    if (!st && di == 0) {
      st = make_obs_space(&os, 0, NULL, ow);
      if (!st) st = make_obs_space(&as, act.ndim, act.shape, act.width); /* bounds set below */
      if (!st) st = mimic_dataset_init(ds, &os, &as);
      if (!st) st = mimic_episode_buf_init(&buf, (int)ow, (int)act.width);
    } else if (!st && (ow != (size_t)ds->obs_dim || act.width != (size_t)ds->act_dim)) {
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: %s: observation/action widths (%zu, %zu) differ from %s's (%d, %d)",
                      file, dname, ow, act.width, demos.v[0], ds->obs_dim, ds->act_dim);
    }
    if (!st && act.rows > 0) {
      flat ob = {obsv, act.rows, ow, 1, {(int)ow}};
      size_t last = act.rows - 1;
      bool done = dones[last] != 0;
      st = add_range(ds, &buf, &ob, has_next ? nextv + last * ow : NULL, &act, rew, 0, last, done,
                     !done, o->repeat_final);
      if (st) st = mimic_errctx("%s: %s", file, dname);
    }
    free(act.v);
    free(obsf.v);
    free(rew);
    free(dones);
    free(obsv);
    free(nextv);
    dh5_close(demo);
  }
  if (!st) {
    /* action bounds over every demo: given, [-1, 1], or each column's range */
    flat all = {ds->act, ds->n_steps, (size_t)ds->act_dim, ds->act_space.space.ndim, {0}};
    memcpy(all.shape, ds->act_space.space.shape, sizeof all.shape);
    mimic_data_space fin;
    st = make_act_space(&fin, o, &all, file);
    if (!st) {
      mimic_data_space_free(&ds->act_space);
      ds->act_space = fin;
    }
  }
  if (!st) {
    char *base = strrchr(file, '/');
    char *desc =
        env_name ? mimic_asprintf("imported from the robomimic file %s (env %s)",
                                  base ? base + 1 : file, env_name)
                 : mimic_asprintf("imported from the robomimic file %s", base ? base + 1 : file);
    if (desc) {
      free(ds->meta.description);
      ds->meta.description = desc;
    }
  }
done:
  if (st) {
    if (ds->ep_start)
      mimic_dataset_free(ds);
    else
      memset(ds, 0, sizeof *ds);
  }
  free(env_name);
  mimic_episode_buf_free(&buf);
  mimic_data_space_free(&os);
  mimic_data_space_free(&as);
  names_free(&demos);
  names_free(&keys);
  dh5_close(data);
  dh5_close(f);
  return st;
}

static mimic_status probe_detect(void *ctx) {
  const char *format;
  return mimic_detect_format(ctx, &format);
}

mimic_status mimic_detect_format(const char *path, const char **format) {
  *format = NULL;
  mimic_dataset_paths p;
  MIMIC_TRY(mimic_dataset_paths_resolve(path, &p));
  bool minari = mimic_path_exists(p.main_path) && mimic_path_exists(p.meta_path);
  mimic_dataset_paths_free(&p);
  if (minari) {
    *format = "minari";
    return MIMIC_OK;
  }
  MIMIC_TRY(dcontain_probe(path, probe_detect, (void *)path));
  hid_t f;
  MIMIC_TRY(dh5_open(path, false, &f));
  if (dh5_obj_type(f, "data") == H5O_TYPE_GROUP)
    *format = "robomimic";
  else if (dh5_obj_type(f, "observations") == H5O_TYPE_DATASET &&
           dh5_obj_type(f, "actions") == H5O_TYPE_DATASET)
    *format = "d4rl";
  else if (dh5_obj_type(f, "episode_0") == H5O_TYPE_GROUP)
    *format = NULL;
  dh5_close(f);
  if (!*format)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: cannot tell the format (a Minari dataset needs data/main_data.hdf5 and "
                      "metadata.json; D4RL has observations and actions at the root; robomimic "
                      "has data/demo_<k>)",
                      path);
  return MIMIC_OK;
}
