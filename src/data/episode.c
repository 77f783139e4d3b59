/* One episode group in Minari's layout, written and read back strictly.
 *
 *   episode_<id>/observations   (T+1, *obs shape)  the Box dtype; Discrete: int64 (T+1,)
 *   episode_<id>/actions        (T, *act shape)    the Box dtype; Discrete: int64 (T,)
 *   episode_<id>/rewards        (T,)               float64
 *   episode_<id>/terminations   (T,)               bool (enum on int8, FALSE=0 TRUE=1)
 *   episode_<id>/truncations    (T,)               bool
 *   episode_<id>/infos          group (empty when mimic writes it)
 *   attributes id, total_steps (int64), seed (int64, optional)
 *
 * Reading is split in two so a bad file is refused before any big
 * allocation: dh5_episode_steps() opens every field and checks rank, shape,
 * dtype and row counts (cheap metadata reads); dh5_read_episode() then
 * reads the values straight into the dataset's arrays and checks each one
 * (NaN/Inf, discrete range, Box bounds for actions, bools 0/1). Every error
 * reads "<file>: episode_<k>/<field>: <what>". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_impl.h"

void dh5_scratch_free(dh5_scratch *s) {
  free(s->i64);
  s->i64 = NULL;
  s->cap = 0;
}

static mimic_status scratch_need(dh5_scratch *s, size_t n) {
  if (n <= s->cap) return MIMIC_OK;
  size_t cap = s->cap ? s->cap : 1024;
  while (cap < n) cap *= 2;
  int64_t *p = mimic_realloc(s->i64, cap, sizeof(int64_t), "episode buffer");
  if (!p) return MIMIC_ERR_NOMEM;
  s->i64 = p;
  s->cap = cap;
  return MIMIC_OK;
}

/* ---- writing ---------------------------------------------------------- */

static mimic_status write_ds(hid_t g, const char *name, hid_t ftype, hid_t mtype, int rank,
                             const hsize_t *dims, const void *data, int compress) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(dcpl, 0); /* no clock in the file: one seed, one byte stream */
  mimic_status st = MIMIC_OK;
  if (compress > 0 && dims[0] > 0) {
    hsize_t chunk[8];
    size_t row = H5Tget_size(ftype);
    for (int i = 1; i < rank; i++) {
      chunk[i] = dims[i];
      row *= (size_t)dims[i];
    }
    hsize_t rows = row ? (hsize_t)(262144 / row) : 1;
    if (rows < 1) rows = 1;
    chunk[0] = dims[0] < rows ? dims[0] : rows;
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_deflate(dcpl, (unsigned)(compress > 9 ? 9 : compress));
  }
  hid_t d = H5Dcreate2(g, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (d < 0)
    st = dh5_fail(MIMIC_ERR_IO, "cannot create dataset '%s'", name);
  else if (dims[0] > 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    st = dh5_fail(MIMIC_ERR_IO, "cannot write dataset '%s'", name);
  dh5_close(d);
  dh5_close(dcpl);
  dh5_close(sp);
  return st;
}

static mimic_status write_space_rows(hid_t g, const char *name, const mimic_data_space *s,
                                     const float *rows, size_t n, int compress, dh5_scratch *sc) {
  hsize_t dims[1 + MIMIC_SPACE_MAX_DIMS];
  dims[0] = n;
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    MIMIC_TRY(scratch_need(sc, n));
    for (size_t i = 0; i < n; i++) sc->i64[i] = (int64_t)rows[i] + s->start;
    return write_ds(g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, sc->i64, compress);
  }
  for (int d = 0; d < s->space.ndim; d++) dims[1 + d] = (hsize_t)s->space.shape[d];
  return write_ds(g, name, dh5_file_type(s->dtype), H5T_NATIVE_FLOAT, 1 + s->space.ndim, dims, rows,
                  compress);
}

mimic_status dh5_write_episode(hid_t loc, const char *name, int64_t id, const mimic_episode *ep,
                               const mimic_data_space *os, const mimic_data_space *as, int compress,
                               dh5_scratch *sc) {
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(gcpl, 0);
  hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  if (g < 0) {
    dh5_close(gcpl);
    return dh5_fail(MIMIC_ERR_IO, "%s: cannot create group", name);
  }
  hid_t bt = dh5_bool_type();
  hid_t infos = -1;
  hsize_t dims[1] = {ep->T};
  mimic_status st = dh5_write_i64_attr(g, "id", id);
  if (!st) st = dh5_write_i64_attr(g, "total_steps", (int64_t)ep->T);
  if (!st && ep->seed != MIMIC_NO_SEED) st = dh5_write_i64_attr(g, "seed", ep->seed);
  if (!st) st = write_space_rows(g, "observations", os, ep->obs, ep->T + 1, compress, sc);
  if (!st) st = write_space_rows(g, "actions", as, ep->act, ep->T, compress, sc);
  if (!st)
    st = write_ds(g, "rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, ep->rew, compress);
  if (!st) st = write_ds(g, "terminations", bt, bt, 1, dims, ep->term, compress);
  if (!st) st = write_ds(g, "truncations", bt, bt, 1, dims, ep->trunc, compress);
  if (!st) {
    infos = H5Gcreate2(g, "infos", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    if (infos < 0) st = dh5_fail(MIMIC_ERR_IO, "cannot create group 'infos'");
  }
  dh5_close(infos);
  dh5_close(bt);
  dh5_close(g);
  dh5_close(gcpl);
  if (st) return mimic_errctx("%s", name);
  return MIMIC_OK;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct field {
  hid_t d, type;
  int rank;
  hsize_t dims[8];
} field;

static void field_close(field *f) {
  dh5_close(f->type);
  dh5_close(f->d);
  f->d = f->type = -1;
}

static mimic_status open_field(hid_t g, const char *file, const char *ep, const char *name,
                               field *f) {
  f->d = f->type = -1;
  H5O_type_t t = dh5_obj_type(g, name);
  if (t == H5O_TYPE_UNKNOWN)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: missing", file, ep, name);
  if (t != H5O_TYPE_DATASET)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: is a group, expected a dataset%s", file, ep,
                      name,
                      strcmp(name, "observations") == 0 || strcmp(name, "actions") == 0
                          ? " (Dict/Tuple spaces are not supported by mimic)"
                          : "");
  f->d = H5Dopen2(g, name, H5P_DEFAULT);
  if (f->d < 0) return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: cannot open", file, ep, name);
  f->type = H5Dget_type(f->d);
  hid_t sp = H5Dget_space(f->d);
  f->rank = H5Sget_simple_extent_ndims(sp);
  if (f->rank < 0 || f->rank > 8) {
    dh5_close(sp);
    field_close(f);
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: unsupported dataspace", file, ep, name);
  }
  H5Sget_simple_extent_dims(sp, f->dims, NULL);
  dh5_close(sp);
  return MIMIC_OK;
}

static const char *space_desc(const mimic_data_space *s, char *buf, size_t cap) {
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    if (s->start)
      snprintf(buf, cap, "Discrete(%d, start=%lld)", s->space.n, (long long)s->start);
    else
      snprintf(buf, cap, "Discrete(%d)", s->space.n);
    return buf;
  }
  size_t n = (size_t)snprintf(buf, cap, "Box(");
  for (int d = 0; d < s->space.ndim; d++)
    n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%d", d ? ", " : "", s->space.shape[d]);
  snprintf(buf + n, n < cap ? cap - n : 0, "%s, %s)", s->space.ndim == 1 ? "," : "",
           mimic_dtype_name(s->dtype));
  return buf;
}

/* Checks rank, shape, dtype and rows of a space-shaped field. rows_want < 0: any. */
static mimic_status check_space_field(const field *f, const char *file, const char *ep,
                                      const char *name, const mimic_data_space *s, const char *what,
                                      long long rows_want, const char *rows_why) {
  char sb[96], tb[64], db[128];
  int want_rank = s->space.kind == MIMIC_SPACE_DISCRETE ? 1 : 1 + s->space.ndim;
  bool shape_ok = f->rank == want_rank;
  for (int d = 1; shape_ok && d < want_rank; d++)
    shape_ok = f->dims[d] == (hsize_t)s->space.shape[d - 1];
  if (!shape_ok) {
    hsize_t want[1 + MIMIC_SPACE_MAX_DIMS];
    want[0] = f->rank > 0 ? f->dims[0] : 0;
    for (int d = 1; d < want_rank; d++) want[d] = (hsize_t)s->space.shape[d - 1];
    char wb[96];
    dh5_shape_str(want, want_rank, wb, sizeof wb);
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: has shape %s, expected %s for the %s space %s",
                      file, ep, name, dh5_shape_str(f->dims, f->rank, db, sizeof db), wb, what,
                      space_desc(s, sb, sizeof sb));
  }
  mimic_dtype dt;
  bool known = dh5_dtype_of(f->type, &dt);
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    if (H5Tget_class(f->type) != H5T_INTEGER)
      return mimic_fail(
          MIMIC_ERR_FORMAT, "%s: %s/%s: stored as %s, expected int64 for the %s space %s", file, ep,
          name, dh5_type_str(f->type, tb, sizeof tb), what, space_desc(s, sb, sizeof sb));
  } else if (!known || dt != s->dtype) {
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: stored as %s, but the %s space's dtype is %s",
                      file, ep, name, dh5_type_str(f->type, tb, sizeof tb), what,
                      mimic_dtype_name(s->dtype));
  }
  if (rows_want >= 0 && f->dims[0] != (hsize_t)rows_want)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: has %llu rows, expected %lld (%s)", file, ep,
                      name, (unsigned long long)f->dims[0], rows_want, rows_why);
  return MIMIC_OK;
}

static mimic_status check_step_field(const field *f, const char *file, const char *ep,
                                     const char *name, size_t T, bool is_bool) {
  char db[96], tb[64];
  if (f->rank != 1)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: has shape %s, expected (%zu,)%s", file, ep,
                      name, dh5_shape_str(f->dims, f->rank, db, sizeof db), T,
                      f->rank == 0 ? " (a rank-0 value)" : "");
  if (f->dims[0] != T)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: has %llu rows, expected %zu (one per action)",
                      file, ep, name, (unsigned long long)f->dims[0], T);
  H5T_class_t c = H5Tget_class(f->type);
  if (is_bool) {
    if (c == H5T_ENUM) {
      if (H5Tget_size(f->type) != 1)
        return mimic_fail(MIMIC_ERR_FORMAT,
                          "%s: %s/%s: stored as %s, expected h5py's bool (enum on int8)", file, ep,
                          name, dh5_type_str(f->type, tb, sizeof tb));
      return MIMIC_OK;
    }
    if (c == H5T_INTEGER) return MIMIC_OK;
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: stored as %s, expected bool", file, ep, name,
                      dh5_type_str(f->type, tb, sizeof tb));
  }
  if (c != H5T_FLOAT && c != H5T_INTEGER)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: stored as %s, expected float64", file, ep, name,
                      dh5_type_str(f->type, tb, sizeof tb));
  return MIMIC_OK;
}

static mimic_status check_infos(hid_t g, const char *file, const char *path, size_t rows);

typedef struct info_iter {
  const char *file, *path;
  size_t rows;
  mimic_status st;
} info_iter;

static herr_t info_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  info_iter *it = data;
  (void)info;
  char sub[512];
  snprintf(sub, sizeof sub, "%s/%s", it->path, name);
  H5O_type_t t = dh5_obj_type(g, name);
  if (t == H5O_TYPE_GROUP) {
    hid_t c = H5Gopen2(g, name, H5P_DEFAULT);
    it->st = c < 0 ? dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot open", it->file, sub)
                   : check_infos(c, it->file, sub, it->rows);
    dh5_close(c);
  } else if (t == H5O_TYPE_DATASET) {
    field f;
    it->st = open_field(g, it->file, it->path, name, &f);
    if (!it->st && (f.rank < 1 || f.dims[0] != it->rows)) {
      char db[96];
      it->st = mimic_fail(MIMIC_ERR_FORMAT,
                          "%s: %s: has shape %s, expected %zu rows (T+1; row 0 is the reset)",
                          it->file, sub, dh5_shape_str(f.dims, f.rank, db, sizeof db), it->rows);
    }
    field_close(&f);
  }
  return it->st ? -1 : 0;
}

static mimic_status check_infos(hid_t g, const char *file, const char *path, size_t rows) {
  info_iter it = {file, path, rows, MIMIC_OK};
  herr_t rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, info_cb, &it);
  if (it.st) return it.st;
  if (rc < 0) return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot list", file, path);
  return MIMIC_OK;
}

static mimic_status open_episode(hid_t loc, const char *file, const char *name, hid_t *g) {
  *g = -1;
  H5O_type_t t = dh5_obj_type(loc, name);
  if (t == H5O_TYPE_UNKNOWN)
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: %s: missing (episodes must be numbered from 0 without gaps)", file,
                      name);
  if (t != H5O_TYPE_GROUP)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: is not a group", file, name);
  *g = H5Gopen2(loc, name, H5P_DEFAULT);
  if (*g < 0) return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot open", file, name);
  return MIMIC_OK;
}

mimic_status dh5_episode_steps(hid_t loc, const char *file, const char *name,
                               const mimic_data_space *os, const mimic_data_space *as, size_t *T) {
  hid_t g;
  MIMIC_TRY(open_episode(loc, file, name, &g));
  field f = {-1, -1, 0, {0}};
  mimic_status st = open_field(g, file, name, "actions", &f);
  if (!st) st = check_space_field(&f, file, name, "actions", as, "action", -1, "");
  size_t t = st ? 0 : (size_t)f.dims[0];
  field_close(&f);
  char why[64];
  snprintf(why, sizeof why, "T+1 with T = %zu actions", t);
  if (!st) st = open_field(g, file, name, "observations", &f);
  if (!st)
    st =
        check_space_field(&f, file, name, "observations", os, "observation", (long long)t + 1, why);
  field_close(&f);
  static const char *const steps[] = {"rewards", "terminations", "truncations"};
  for (int i = 0; i < 3 && !st; i++) {
    st = open_field(g, file, name, steps[i], &f);
    if (!st) st = check_step_field(&f, file, name, steps[i], t, i > 0);
    field_close(&f);
  }
  if (!st) {
    H5O_type_t it = dh5_obj_type(g, "infos");
    if (it == H5O_TYPE_GROUP) {
      char path[128];
      snprintf(path, sizeof path, "%s/infos", name);
      hid_t ig = H5Gopen2(g, "infos", H5P_DEFAULT);
      st = ig < 0 ? dh5_fail(MIMIC_ERR_FORMAT, "%s: %s: cannot open", file, path)
                  : check_infos(ig, file, path, t + 1);
      dh5_close(ig);
    }
  }
  /* attributes */
  int64_t v;
  bool present;
  if (!st) {
    st = dh5_read_i64_attr(g, "total_steps", &v, &present);
    if (st)
      st = mimic_errctx("%s: %s", file, name);
    else if (!present)
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: attribute 'total_steps' is missing", file, name);
    else if (v != (int64_t)t)
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: %s: attribute total_steps is %lld but the episode has %zu steps", file,
                      name, (long long)v, t);
  }
  if (!st) {
    st = dh5_read_i64_attr(g, "seed", &v, &present);
    if (st) st = mimic_errctx("%s: %s", file, name);
  }
  dh5_close(g);
  *T = t;
  return st;
}

static mimic_status read_space_rows(const field *f, const char *file, const char *ep,
                                    const char *name, const mimic_data_space *s, bool check_bounds,
                                    size_t n, float *out, dh5_scratch *sc) {
  if (n == 0) return MIMIC_OK;
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    MIMIC_TRY(scratch_need(sc, n));
    if (H5Dread(f->d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, sc->i64) < 0)
      return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: cannot read", file, ep, name);
    for (size_t i = 0; i < n; i++) {
      int64_t v = sc->i64[i] - s->start;
      if (v < 0 || v >= s->space.n) {
        char sb[64];
        return mimic_fail(MIMIC_ERR_RANGE, "%s: %s/%s: row %zu is %lld, outside %s", file, ep, name,
                          i, (long long)sc->i64[i], space_desc(s, sb, sizeof sb));
      }
      out[i] = (float)v;
    }
    return MIMIC_OK;
  }
  if (H5Dread(f->d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: cannot read", file, ep, name);
  size_t dim = (size_t)s->space.dim;
  for (size_t i = 0; i < n; i++) {
    const float *row = out + i * dim;
    for (size_t c = 0; c < dim; c++) {
      float x = row[c];
      if (!isfinite(x)) {
        char col[48] = "";
        if (dim > 1) snprintf(col, sizeof col, ", column %zu", c);
        return mimic_fail(MIMIC_ERR_RANGE, "%s: %s/%s: row %zu%s is %s", file, ep, name, i, col,
                          isnan(x) ? "NaN" : (x > 0 ? "+Infinity" : "-Infinity"));
      }
      if (check_bounds && (x < s->lowf[c] || x > s->highf[c])) {
        char col[48] = "";
        if (dim > 1) snprintf(col, sizeof col, ", column %zu", c);
        return mimic_fail(
            MIMIC_ERR_RANGE, "%s: %s/%s: row %zu%s is %.9g, outside the action space [%.9g, %.9g]",
            file, ep, name, i, col, (double)x, (double)s->lowf[c], (double)s->highf[c]);
      }
    }
  }
  return MIMIC_OK;
}

static int enum_value(hid_t type, const char *a, const char *b, const char *c) {
  int8_t v;
  const char *names[3] = {a, b, c};
  for (int i = 0; i < 3; i++) {
    if (H5Tenum_valueof(type, names[i], &v) >= 0) return v;
  }
  H5Eclear2(H5E_DEFAULT);
  return 1000;
}

static mimic_status read_flags(const field *f, const char *file, const char *ep, const char *name,
                               size_t n, uint8_t *out, dh5_scratch *sc) {
  if (n == 0) return MIMIC_OK;
  if (H5Tget_class(f->type) == H5T_ENUM) {
    int tv = enum_value(f->type, "TRUE", "True", "true");
    int fv = enum_value(f->type, "FALSE", "False", "false");
    if (tv == 1000 || fv == 1000)
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: %s/%s: an enum without FALSE/TRUE members is not a bool", file, ep,
                        name);
    if (H5Dread(f->d, f->type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
      return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: cannot read", file, ep, name);
    for (size_t i = 0; i < n; i++) {
      int v = (int8_t)out[i];
      if (v == tv)
        out[i] = 1;
      else if (v == fv)
        out[i] = 0;
      else
        return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: row %zu holds %d, neither FALSE nor TRUE",
                          file, ep, name, i, v);
    }
    return MIMIC_OK;
  }
  MIMIC_TRY(scratch_need(sc, n));
  if (H5Dread(f->d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, sc->i64) < 0)
    return dh5_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: cannot read", file, ep, name);
  for (size_t i = 0; i < n; i++) {
    if (sc->i64[i] != 0 && sc->i64[i] != 1)
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s/%s: row %zu holds %lld, expected 0 or 1", file,
                        ep, name, i, (long long)sc->i64[i]);
    out[i] = (uint8_t)sc->i64[i];
  }
  return MIMIC_OK;
}

mimic_status dh5_read_episode(hid_t loc, const char *file, const char *name, int64_t id,
                              const mimic_data_space *os, const mimic_data_space *as, size_t T,
                              float *obs, float *act, double *rew, uint8_t *term, uint8_t *trunc,
                              int64_t *seed, dh5_scratch *sc) {
  hid_t g;
  MIMIC_TRY(open_episode(loc, file, name, &g));
  field f = {-1, -1, 0, {0}};
  mimic_status st = open_field(g, file, name, "observations", &f);
  if (!st) st = read_space_rows(&f, file, name, "observations", os, false, T + 1, obs, sc);
  field_close(&f);
  if (!st) st = open_field(g, file, name, "actions", &f);
  if (!st) st = read_space_rows(&f, file, name, "actions", as, true, T, act, sc);
  field_close(&f);
  if (!st) st = open_field(g, file, name, "rewards", &f);
  if (!st && T > 0 && H5Dread(f.d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, rew) < 0)
    st = dh5_fail(MIMIC_ERR_FORMAT, "%s: %s/rewards: cannot read", file, name);
  for (size_t i = 0; !st && i < T; i++)
    if (!isfinite(rew[i]))
      st = mimic_fail(MIMIC_ERR_RANGE, "%s: %s/rewards: row %zu is %s", file, name, i,
                      isnan(rew[i]) ? "NaN" : (rew[i] > 0 ? "+Infinity" : "-Infinity"));
  field_close(&f);
  if (!st) st = open_field(g, file, name, "terminations", &f);
  if (!st) st = read_flags(&f, file, name, "terminations", T, term, sc);
  field_close(&f);
  if (!st) st = open_field(g, file, name, "truncations", &f);
  if (!st) st = read_flags(&f, file, name, "truncations", T, trunc, sc);
  field_close(&f);
  int64_t v;
  bool present;
  if (!st) {
    st = dh5_read_i64_attr(g, "id", &v, &present);
    if (st)
      st = mimic_errctx("%s: %s", file, name);
    else if (!present)
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: attribute 'id' is missing", file, name);
    else if (v != id)
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: attribute id is %lld, expected %lld", file, name,
                      (long long)v, (long long)id);
  }
  if (!st) {
    st = dh5_read_i64_attr(g, "seed", &v, &present);
    if (st)
      st = mimic_errctx("%s: %s", file, name);
    else
      *seed = present ? v : MIMIC_NO_SEED;
  }
  dh5_close(g);
  return st;
}
