/* Datasets on disk: save -> load round trips, Minari's layout checked key
 * for key with the HDF5 API and Jansson, every malformed-file case and its
 * message, files as Minari itself writes them (chunked, infos, extra keys),
 * D4RL and robomimic imports, merge and split. */
#include "testutil.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "data_fixtures.h"
#include "data/data_impl.h"

/* ---- helpers ------------------------------------------------------------- */

static char *main_of(const char *dir) { return mimic_asprintf("%s/data/main_data.hdf5", dir); }
static char *meta_of(const char *dir) { return mimic_asprintf("%s/data/metadata.json", dir); }

static void save_fixture(const char *dir, size_t n) {
  mimic_dataset ds;
  fx_dataset(&ds, n);
  mimic_write_opts o = mimic_write_opts_default();
  o.overwrite = true;
  assert_int_equal(mimic_dataset_save(&ds, dir, &o), MIMIC_OK);
  mimic_dataset_free(&ds);
}

/* Loads dir expecting failure whose message holds every given fragment. */
static void expect_load_error(const char *dir, const char *frag1, const char *frag2) {
  mimic_dataset ds;
  mimic_status st = mimic_dataset_load(dir, &ds);
  if (st == MIMIC_OK) {
    mimic_dataset_free(&ds);
    fail_msg("%s loaded, expected an error with '%s'", dir, frag1);
  }
  const char *msg = mimic_errmsg();
  if (!strstr(msg, frag1) || (frag2 && !strstr(msg, frag2)))
    fail_msg("error '%s' lacks '%s' / '%s'", msg, frag1, frag2 ? frag2 : "");
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char *read_text(const char *path) {
  char *t;
  size_t n;
  assert_int_equal(mimic_read_file(path, &t, &n), MIMIC_OK);
  return t;
}

/* Sets key of metadata.json to a JSON value (text), or deletes it (NULL). */
static void meta_edit(const char *dir, const char *key, const char *value_json) {
  char *mp = meta_of(dir);
  char *t = read_text(mp);
  json_error_t err;
  json_t *o = json_loads(t, 0, &err);
  assert_non_null(o);
  if (value_json) {
    json_t *v = json_loads(value_json, JSON_DECODE_ANY, &err);
    assert_non_null(v);
    json_object_set_new(o, key, v);
  } else {
    json_object_del(o, key);
  }
  char *out = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
  write_text(mp, out);
  free(out);
  json_decref(o);
  free(t);
  free(mp);
}

static hid_t open_rw(const char *dir) {
  char *p = main_of(dir);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(f >= 0);
  free(p);
  return f;
}

/* Replaces dataset `path` with one of the given type, shape and data. */
static void put_ds(hid_t f, const char *path, hid_t ftype, hid_t mtype, int rank,
                   const hsize_t *dims, const void *data) {
  if (H5Lexists(f, path, H5P_DEFAULT) > 0) H5Ldelete(f, path, H5P_DEFAULT);
  hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
  hid_t d = H5Dcreate2(f, path, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  if (data) assert_true(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
  H5Dclose(d);
  H5Sclose(sp);
}

static void put_attr_i64(hid_t f, const char *obj, const char *name, int64_t v) {
  hid_t o = H5Oopen(f, obj, H5P_DEFAULT);
  if (H5Aexists(o, name) > 0) H5Adelete(o, name);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(o, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  H5Sclose(sp);
  H5Oclose(o);
}

/* Reads a whole dataset of episode_e as floats after an edit (row-major). */
static float *get_f32(hid_t f, const char *path, hsize_t *dims) {
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  H5Sget_simple_extent_dims(sp, dims, NULL);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  float *v = calloc((size_t)n + 1, sizeof(float));
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Sclose(sp);
  H5Dclose(d);
  return v;
}

/* ---- round trips ---------------------------------------------------------- */

static void assert_same_dataset(const mimic_dataset *a, const mimic_dataset *b) {
  assert_int_equal(a->n_episodes, b->n_episodes);
  assert_int_equal(a->n_steps, b->n_steps);
  assert_int_equal(a->obs_dim, b->obs_dim);
  assert_int_equal(a->act_dim, b->act_dim);
  assert_true(mimic_data_space_equal(&a->obs_space, &b->obs_space));
  assert_true(mimic_data_space_equal(&a->act_space, &b->act_space));
  size_t rows = a->n_steps + a->n_episodes;
  assert_memory_equal(a->obs, b->obs, rows * (size_t)a->obs_dim * sizeof(float));
  if (a->n_steps) {
    assert_memory_equal(a->act, b->act, a->n_steps * (size_t)a->act_dim * sizeof(float));
    assert_memory_equal(a->rew, b->rew, a->n_steps * sizeof(double));
    assert_memory_equal(a->term, b->term, a->n_steps);
    assert_memory_equal(a->trunc, b->trunc, a->n_steps);
    assert_memory_equal(a->obs_row, b->obs_row, a->n_steps * sizeof(uint32_t));
  }
  assert_memory_equal(a->ep_start, b->ep_start, (a->n_episodes + 1) * sizeof(uint64_t));
  assert_memory_equal(a->ep_seed, b->ep_seed, a->n_episodes * sizeof(int64_t));
}

static void test_roundtrip_discrete(void **state) {
  (void)state;
  char *dir = tu_tmp_path("rt");
  mimic_dataset ds, back;
  fx_dataset(&ds, 12);
  assert_int_equal(mimic_dataset_save(&ds, dir, NULL), MIMIC_OK);
  assert_int_equal(mimic_dataset_load(dir, &back), MIMIC_OK);
  assert_same_dataset(&ds, &back);
  for (size_t e = 0; e < back.n_episodes; e++) {
    mimic_episode ep = mimic_dataset_episode(&back, e);
    fx_check_episode(&ep, e);
  }
  assert_string_equal(back.meta.dataset_id, "mimic/cartpole/test-v0");
  assert_string_equal(back.meta.env_id, "CartPole-v1");
  assert_int_equal(back.meta.max_episode_steps, 500);
  assert_string_equal(back.meta.algorithm_name, "scripted expert");
  assert_string_equal(back.meta.author, "mimic");
  /* the loader also accepts the data folder and the file itself */
  char *dd = mimic_asprintf("%s/data", dir), *mf = main_of(dir);
  mimic_dataset b2;
  assert_int_equal(mimic_dataset_load(dd, &b2), MIMIC_OK);
  mimic_dataset_free(&b2);
  assert_int_equal(mimic_dataset_load(mf, &b2), MIMIC_OK);
  assert_same_dataset(&ds, &b2);
  mimic_dataset_free(&b2);
  /* saving again without overwrite is refused; with it, replaced */
  assert_int_equal(mimic_dataset_save(&ds, dir, NULL), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), "already exists"));
  mimic_write_opts o = mimic_write_opts_default();
  o.overwrite = true;
  o.compress = 4; /* chunked + deflate reads back the same */
  assert_int_equal(mimic_dataset_save(&back, dir, &o), MIMIC_OK);
  assert_int_equal(mimic_dataset_load(dir, &b2), MIMIC_OK);
  assert_same_dataset(&ds, &b2);
  mimic_dataset_free(&b2);
  free(dd);
  free(mf);
  mimic_dataset_free(&ds);
  mimic_dataset_free(&back);
  free(dir);
}

static void test_roundtrip_box_spaces(void **state) {
  (void)state;
  /* obs Box(2,3) float64 file dtype, actions Box(1,) in [-2, 2], Discrete obs elsewhere */
  float lo[6] = {-1, -2, -3, -INFINITY, 0, 0}, hi[6] = {1, 2, 3, INFINITY, 10, 1e30f};
  mimic_space o = {MIMIC_SPACE_BOX, 0, 6, 2, {2, 3}, lo, hi};
  float alo = -2, ahi = 2;
  mimic_space a = {MIMIC_SPACE_BOX, 0, 1, 1, {1}, &alo, &ahi};
  mimic_data_space os, as;
  assert_int_equal(mimic_data_space_from_env(&os, &o), MIMIC_OK);
  assert_int_equal(mimic_data_space_from_env(&as, &a), MIMIC_OK);
  mimic_dataset ds;
  assert_int_equal(mimic_dataset_init(&ds, &os, &as), MIMIC_OK);
  mimic_rng r;
  mimic_rng_seed(&r, 3);
  for (int e = 0; e < 5; e++) {
    size_t T = (size_t)(4 + e);
    float obs[10 * 6], act[10];
    double rew[10];
    uint8_t term[10] = {0}, trunc[10] = {0};
    for (size_t i = 0; i < (T + 1) * 6; i++) obs[i] = (float)mimic_rng_uniform(&r, -1, 1);
    for (size_t i = 0; i < T; i++) {
      act[i] = (float)mimic_rng_uniform(&r, -2, 2);
      rew[i] = mimic_rng_normal(&r);
    }
    act[0] = 2.0f; /* on the bound */
    trunc[T - 1] = 1;
    mimic_episode ep = {T, obs, act, rew, term, trunc, e};
    assert_int_equal(mimic_dataset_add_episode(&ds, &ep), MIMIC_OK);
  }
  mimic_dataset_meta_set(&ds.meta.dataset_id, "box-v3");
  char *dir = tu_tmp_path("box");
  assert_int_equal(mimic_dataset_save(&ds, dir, NULL), MIMIC_OK);
  mimic_dataset back;
  assert_int_equal(mimic_dataset_load(dir, &back), MIMIC_OK);
  assert_same_dataset(&ds, &back);
  /* the space strings in metadata.json: nested lists of exactly shape */
  char *mp = meta_of(dir), *t = read_text(mp);
  json_error_t err;
  json_t *m = json_loads(t, 0, &err);
  assert_string_equal(json_string_value(json_object_get(m, "observation_space")),
                      "{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [2, 3], \"low\": "
                      "[[-1.0, -2.0, -3.0], [-Infinity, 0.0, 0.0]], \"high\": [[1.0, 2.0, 3.0], "
                      "[Infinity, 10.0, 1.00000002e+30]]}");
  assert_string_equal(
      json_string_value(json_object_get(m, "action_space")),
      "{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [1], \"low\": [-2.0], "
      "\"high\": [2.0]}");
  json_decref(m);
  /* actions are (T, 1) float32 in the file */
  char *mf = main_of(dir);
  hid_t f = H5Fopen(mf, H5F_ACC_RDONLY, H5P_DEFAULT);
  hsize_t dims[4];
  float *v = get_f32(f, "episode_0/actions", dims);
  assert_int_equal(dims[0], 4);
  assert_int_equal(dims[1], 1);
  free(v);
  v = get_f32(f, "episode_0/observations", dims);
  assert_int_equal(dims[0], 5);
  assert_int_equal(dims[1], 2);
  assert_int_equal(dims[2], 3);
  free(v);
  H5Fclose(f);
  free(mf);
  free(t);
  free(mp);
  mimic_dataset_free(&back);
  mimic_dataset_free(&ds);
  mimic_data_space_free(&os);
  mimic_data_space_free(&as);
  free(dir);
}

static void test_space_json_roundtrip(void **state) {
  (void)state;
  const char *texts[] = {
      "{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": 0, \"n\": 2}",
      "{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": -1, \"n\": 3}",
      "{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [4], \"low\": [-4.80000019, "
      "-3.40282347e+38, -0.418879032, -3.40282347e+38], \"high\": [4.80000019, 3.40282347e+38, "
      "0.418879032, 3.40282347e+38]}",
      "{\"type\": \"Box\", \"dtype\": \"float64\", \"shape\": [2], \"low\": [-0.10000000000000001, "
      "-Infinity], \"high\": [0.20000000000000001, Infinity]}",
      "{\"type\": \"Box\", \"dtype\": \"uint8\", \"shape\": [2, 2], \"low\": [[0, 0], [0, 0]], "
      "\"high\": [[255, 255], [255, 255]]}",
  };
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    mimic_data_space s;
    assert_int_equal(mimic_data_space_parse(&s, texts[i]), MIMIC_OK);
    char *back = mimic_data_space_to_json(&s);
    assert_string_equal(back, texts[i]);
    free(back);
    mimic_data_space_free(&s);
  }
  /* Gymnasium's CartPole bounds written by Python parse to the float32 values */
  mimic_data_space s;
  assert_int_equal(
      mimic_data_space_parse(&s, "{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [2], "
                                 "\"low\": [-4.800000190734863, -3.4028234663852886e+38], "
                                 "\"high\": 1.5}"),
      MIMIC_OK);
  assert_true(s.lowf[0] == -4.8f && s.lowf[1] == -3.4028234663852886e+38f && s.highf[1] == 1.5f);
  mimic_data_space_free(&s);
  const char *bad[][2] = {
      {"{\"type\": \"Discrete\", \"dtype\": \"int64\", \"n\": 2}", "\"start\" is missing"},
      {"{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [2, 2], \"low\": [0, 0, 0, 0], "
       "\"high\": 1}",
       "\"low\" has 4 entries, the shape wants 2"},
      {"{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [3], \"low\": [0, 0], \"high\": 1}",
       "has 2 entries"},
      {"{\"type\": \"Dict\", \"subspaces\": {}}", "Dict spaces are not supported"},
      {"{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [1], \"low\": [NaN], \"high\": [1]}",
       "NaN"},
      {"{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [1], \"low\": [2], \"high\": [1]}",
       "low[0] > high[0]"},
      {"[1, 2]", "must be a JSON object"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_not_equal(mimic_data_space_parse(&s, bad[i][0]), MIMIC_OK);
    if (!strstr(mimic_errmsg(), bad[i][1])) fail_msg("'%s' lacks '%s'", mimic_errmsg(), bad[i][1]);
  }
  assert_true(mimic_dataset_id_valid("mimic/cartpole/expert-v0"));
  assert_true(mimic_dataset_id_valid("expert-v12"));
  assert_false(mimic_dataset_id_valid("expert"));
  assert_false(mimic_dataset_id_valid("m/expert-v0"));
  assert_false(mimic_dataset_id_valid("mimic/exp.ert-v0"));
  assert_false(mimic_dataset_id_valid("mimic/expert-v"));
  assert_false(mimic_dataset_id_valid("mimic/-v0"));
}

/* ---- Minari's layout, key for key ------------------------------------------ */

typedef struct names {
  char v[64][64];
  int n;
} names;

static herr_t name_cb(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g;
  (void)info;
  names *l = data;
  if (l->n < 64) snprintf(l->v[l->n++], 64, "%s", name);
  return 0;
}

static void check_i64_attr(hid_t g, const char *name, int64_t want) {
  assert_true(H5Aexists(g, name) > 0);
  hid_t a = H5Aopen(g, name, H5P_DEFAULT);
  hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
  assert_true(H5Tequal(t, H5T_STD_I64LE) > 0);
  assert_int_equal(H5Sget_simple_extent_type(sp), H5S_SCALAR);
  int64_t v;
  H5Aread(a, H5T_NATIVE_INT64, &v);
  assert_true(v == want);
  H5Tclose(t);
  H5Sclose(sp);
  H5Aclose(a);
}

static void check_ds(hid_t g, const char *name, hid_t want_type, int rank, const hsize_t *dims) {
  hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
  if (H5Tequal(t, want_type) <= 0) fail_msg("%s: wrong HDF5 type", name);
  assert_int_equal(H5Sget_simple_extent_ndims(sp), rank);
  hsize_t got[8];
  H5Sget_simple_extent_dims(sp, got, NULL);
  for (int i = 0; i < rank; i++) assert_int_equal(got[i], dims[i]);
  H5Tclose(t);
  H5Sclose(sp);
  H5Dclose(d);
}

static void test_minari_layout(void **state) {
  (void)state;
  char *dir = tu_tmp_path("layout");
  save_fixture(dir, 3);
  char *mf = main_of(dir);
  hid_t f = H5Fopen(mf, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  names root = {0};
  H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, name_cb, &root);
  assert_int_equal(root.n, 3);
  assert_string_equal(root.v[0], "episode_0");
  assert_string_equal(root.v[1], "episode_1");
  assert_string_equal(root.v[2], "episode_2");
  /* h5py's bool: enum on int8 with FALSE=0, TRUE=1 */
  hid_t want_bool = H5Tenum_create(H5T_STD_I8LE);
  int8_t v0 = 0, v1 = 1;
  H5Tenum_insert(want_bool, "FALSE", &v0);
  H5Tenum_insert(want_bool, "TRUE", &v1);
  for (int e = 0; e < 3; e++) {
    char gname[32];
    snprintf(gname, sizeof gname, "episode_%d", e);
    hid_t g = H5Gopen2(f, gname, H5P_DEFAULT);
    hsize_t T = fx_len((size_t)e);
    names kids = {0};
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, name_cb, &kids);
    assert_int_equal(kids.n, 6);
    const char *want[6] = {"actions", "infos",        "observations",
                           "rewards", "terminations", "truncations"};
    for (int i = 0; i < 6; i++) assert_string_equal(kids.v[i], want[i]);
    hsize_t od[2] = {T + 1, 4}, ad[1] = {T};
    check_ds(g, "observations", H5T_IEEE_F32LE, 2, od);
    check_ds(g, "actions", H5T_STD_I64LE, 1, ad);
    check_ds(g, "rewards", H5T_IEEE_F64LE, 1, ad);
    check_ds(g, "terminations", want_bool, 1, ad);
    check_ds(g, "truncations", want_bool, 1, ad);
    H5O_info_t oi;
    H5Oget_info_by_name(g, "infos", &oi, H5P_DEFAULT);
    assert_int_equal(oi.type, H5O_TYPE_GROUP);
    check_i64_attr(g, "id", e);
    check_i64_attr(g, "total_steps", (int64_t)T);
    if (e % 3)
      check_i64_attr(g, "seed", 100 + e);
    else
      assert_int_equal(H5Aexists(g, "seed"), 0);
    /* the enum's member names and values */
    hid_t d = H5Dopen2(g, "terminations", H5P_DEFAULT), t = H5Dget_type(d);
    assert_int_equal(H5Tget_nmembers(t), 2);
    char *n0 = H5Tget_member_name(t, 0), *n1 = H5Tget_member_name(t, 1);
    assert_string_equal(n0, "FALSE");
    assert_string_equal(n1, "TRUE");
    H5free_memory(n0);
    H5free_memory(n1);
    H5Tclose(t);
    H5Dclose(d);
    H5Gclose(g);
  }
  H5Tclose(want_bool);
  H5Fclose(f);
  /* metadata.json */
  char *mp = meta_of(dir), *t = read_text(mp);
  assert_true((unsigned char)t[0] == '{'); /* no BOM */
  json_error_t err;
  json_t *m = json_loads(t, JSON_REJECT_DUPLICATES, &err);
  assert_non_null(m);
  assert_string_equal(json_string_value(json_object_get(m, "dataset_id")),
                      "mimic/cartpole/test-v0");
  assert_string_equal(json_string_value(json_object_get(m, "minari_version")), "0.5.0");
  assert_string_equal(json_string_value(json_object_get(m, "data_format")), "hdf5");
  assert_int_equal(json_integer_value(json_object_get(m, "total_episodes")), 3);
  assert_int_equal(json_integer_value(json_object_get(m, "total_steps")),
                   (long long)(fx_len(0) + fx_len(1) + fx_len(2)));
  assert_string_equal(json_string_value(json_object_get(m, "observation_space")),
                      "{\"type\": \"Box\", \"dtype\": \"float32\", \"shape\": [4], \"low\": "
                      "[-4.80000019, -Infinity, -0.418879032, -Infinity], \"high\": [4.80000019, "
                      "Infinity, 0.418879032, Infinity]}");
  assert_string_equal(json_string_value(json_object_get(m, "action_space")),
                      "{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": 0, \"n\": 2}");
  json_t *author = json_object_get(m, "author");
  assert_true(json_is_array(author) && json_array_size(author) == 1);
  assert_string_equal(json_string_value(json_object_get(m, "algorithm_name")), "scripted expert");
  /* env_spec: a JSON string of an EnvSpec Gymnasium 1.x accepts */
  const char *spec_text = json_string_value(json_object_get(m, "env_spec"));
  assert_non_null(spec_text);
  json_t *spec = json_loads(spec_text, 0, &err);
  assert_string_equal(json_string_value(json_object_get(spec, "id")), "CartPole-v1");
  assert_int_equal(json_integer_value(json_object_get(spec, "max_episode_steps")), 500);
  assert_true(json_is_array(json_object_get(spec, "additional_wrappers")));
  assert_null(json_object_get(spec, "autoreset"));
  assert_null(json_object_get(spec, "apply_api_compatibility"));
  json_decref(spec);
  json_decref(m);
  free(t);
  free(mp);
  free(mf);
  free(dir);
}

/* ---- malformed files --------------------------------------------------------- */

static void test_malformed_cases(void **state) {
  (void)state;
  char *dir = tu_tmp_path("bad");
  char *mp = meta_of(dir);
  char *mf = main_of(dir);
  hid_t f;

  /* metadata.json problems */
  save_fixture(dir, 3);
  unlink(mp);
  expect_load_error(dir, "metadata.json: missing", NULL);
  save_fixture(dir, 3);
  write_text(mp, "{\"dataset_id\": ");
  expect_load_error(dir, "metadata.json: line", "not valid JSON");
  save_fixture(dir, 3);
  meta_edit(dir, "minari_version", NULL);
  expect_load_error(dir, "metadata.json: required key \"minari_version\" is missing", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "minari_version", "\"0.5\"");
  expect_load_error(dir, "minari_version \"0.5\"", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "data_format", "\"arrow\"");
  expect_load_error(dir, "data_format \"arrow\"", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "action_space",
            "{\"type\": \"Discrete\", \"dtype\": \"int64\", \"start\": 0, \"n\": 2}");
  expect_load_error(dir, "\"action_space\" must be a JSON string", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "action_space", "\"{\\\"type\\\": \\\"Discrete\\\", \\\"n\\\": 2}\"");
  expect_load_error(dir, "metadata.json: action_space: Discrete space: \"start\" is missing", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "dataset_id", "\"my.data\"");
  expect_load_error(dir, "dataset_id \"my.data\" is not a Minari id", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "total_episodes", "-1");
  expect_load_error(dir, "\"total_episodes\" must be a non-negative integer", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "total_episodes", "4");
  expect_load_error(dir, "total_episodes = 4 but main_data.hdf5 holds 3", "episode_3 is missing");
  save_fixture(dir, 3);
  meta_edit(dir, "total_episodes", "2");
  expect_load_error(dir, "total_episodes = 2 but main_data.hdf5 holds 3", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "total_steps", "999");
  expect_load_error(dir, "total_steps is 999 but the episodes hold", NULL);
  save_fixture(dir, 3);
  {
    char *t = read_text(mp);
    char *bom = mimic_asprintf("\xEF\xBB\xBF%s", t);
    write_text(mp, bom);
    free(bom);
    free(t);
  }
  expect_load_error(dir, "byte-order mark", NULL);
  save_fixture(dir, 3);
  meta_edit(dir, "env_spec", "\"{not json\"");
  expect_load_error(dir, "env_spec is not a JSON string of an EnvSpec", NULL);

  /* main_data.hdf5 problems */
  save_fixture(dir, 3);
  write_text(mf, "this is not HDF5");
  expect_load_error(dir, "main_data.hdf5: not an HDF5 file", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  H5Ldelete(f, "episode_1", H5P_DEFAULT);
  H5Fclose(f);
  expect_load_error(dir, "episode_1 is missing but episode_2 exists", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  H5Gclose(H5Gcreate2(f, "extra", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Fclose(f);
  expect_load_error(dir, "unexpected 'extra' at the root", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  H5Ldelete(f, "episode_1/actions", H5P_DEFAULT);
  H5Fclose(f);
  expect_load_error(dir, "main_data.hdf5: episode_1/actions: missing", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  H5Ldelete(f, "episode_2/truncations", H5P_DEFAULT);
  H5Fclose(f);
  expect_load_error(dir, "episode_2/truncations: missing", NULL);
  /* episode 1 has T = fx_len(1) = 10 steps: give it T observation rows */
  size_t T1 = fx_len(1);
  assert_int_equal(T1, 10);
  float obs[11 * 4] = {0};
  hsize_t d2[2] = {T1, 4};
  save_fixture(dir, 3);
  f = open_rw(dir);
  put_ds(f, "episode_1/observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d2, obs);
  H5Fclose(f);
  expect_load_error(
      dir, "episode_1/observations: has 10 rows, expected 11 (T+1 with T = 10 actions)", NULL);
  hsize_t d3[2] = {T1 + 1, 3};
  save_fixture(dir, 3);
  f = open_rw(dir);
  put_ds(f, "episode_1/observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d3, obs);
  H5Fclose(f);
  expect_load_error(dir, "episode_1/observations: has shape (11, 3), expected (11, 4)", NULL);
  hsize_t d4[2] = {T1 + 1, 4};
  save_fixture(dir, 3);
  f = open_rw(dir);
  put_ds(f, "episode_1/observations", H5T_IEEE_F64LE, H5T_NATIVE_FLOAT, 2, d4, obs);
  H5Fclose(f);
  expect_load_error(
      dir,
      "episode_1/observations: stored as float64, but the observation space's dtype is float32",
      NULL);
  /* NaN in an observation: row 3, column 2 */
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    hsize_t dims[2];
    float *v = get_f32(f, "episode_1/observations", dims);
    v[3 * 4 + 2] = NAN;
    put_ds(f, "episode_1/observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, v);
    free(v);
  }
  H5Fclose(f);
  expect_load_error(dir, "main_data.hdf5: episode_1/observations: row 3, column 2 is NaN", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    hsize_t dims[1] = {T1};
    double r[10] = {0};
    r[7] = INFINITY;
    put_ds(f, "episode_1/rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, r);
  }
  H5Fclose(f);
  expect_load_error(dir, "episode_1/rewards: row 7 is +Infinity", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    hsize_t dims[1] = {T1};
    int64_t a[10] = {0};
    a[2] = 5;
    put_ds(f, "episode_1/actions", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, dims, a);
  }
  H5Fclose(f);
  expect_load_error(dir, "episode_1/actions: row 2 is 5, outside Discrete(2)", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    hsize_t dims[1] = {T1};
    float a[10] = {0};
    put_ds(f, "episode_1/actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, a);
  }
  H5Fclose(f);
  expect_load_error(
      dir, "episode_1/actions: stored as float32, expected int64 for the action space Discrete(2)",
      NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    hsize_t dims[1] = {T1 - 1};
    double r[10] = {0};
    put_ds(f, "episode_1/rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, r);
  }
  H5Fclose(f);
  expect_load_error(dir, "episode_1/rewards: has 9 rows, expected 10", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    double r = 1;
    put_ds(f, "episode_1/rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, &r);
  }
  H5Fclose(f);
  expect_load_error(dir, "episode_1/rewards: has shape ()", "rank-0");
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    hsize_t dims[1] = {T1};
    uint8_t t[10] = {0};
    t[4] = 2;
    put_ds(f, "episode_1/terminations", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, dims, t);
  }
  H5Fclose(f);
  expect_load_error(dir, "episode_1/terminations: row 4 holds 2, expected 0 or 1", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  put_attr_i64(f, "episode_2", "id", 7);
  H5Fclose(f);
  expect_load_error(dir, "episode_2: attribute id is 7, expected 2", NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  put_attr_i64(f, "episode_1", "total_steps", 3);
  H5Fclose(f);
  expect_load_error(dir, "episode_1: attribute total_steps is 3 but the episode has 10 steps",
                    NULL);
  save_fixture(dir, 3);
  f = open_rw(dir);
  {
    hsize_t dims[1] = {T1};
    float x[10] = {0};
    put_ds(f, "episode_1/infos/speed", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims, x);
  }
  H5Fclose(f);
  expect_load_error(dir, "episode_1/infos/speed: has shape (10,), expected 11 rows", NULL);
  /* a Box action outside its bounds */
  {
    float lo = -1, hi = 1;
    mimic_space o = {MIMIC_SPACE_BOX, 0, 4, 1, {4}, NULL, NULL};
    mimic_space a = {MIMIC_SPACE_BOX, 0, 1, 1, {1}, &lo, &hi};
    mimic_data_space os, as;
    mimic_data_space_from_env(&os, &o);
    mimic_data_space_from_env(&as, &a);
    mimic_dataset ds;
    mimic_dataset_init(&ds, &os, &as);
    float ob[3 * 4] = {0}, ac[2] = {0.5f, -0.25f};
    double rw[2] = {0, 0};
    uint8_t z[2] = {0, 0};
    mimic_episode ep = {2, ob, ac, rw, z, z, MIMIC_NO_SEED};
    assert_int_equal(mimic_dataset_add_episode(&ds, &ep), MIMIC_OK);
    /* the in-memory check refuses bad episodes too */
    float bad_ac[2] = {0.5f, 1.5f};
    mimic_episode bad = {2, ob, bad_ac, rw, z, z, MIMIC_NO_SEED};
    assert_int_equal(mimic_dataset_add_episode(&ds, &bad), MIMIC_ERR_RANGE);
    assert_non_null(
        strstr(mimic_errmsg(), "episode 1: actions: row 1, column 0 is 1.5, outside [-1, 1]"));
    mimic_dataset_meta_set(&ds.meta.dataset_id, "boxact-v0");
    mimic_write_opts wo = mimic_write_opts_default();
    wo.overwrite = true;
    assert_int_equal(mimic_dataset_save(&ds, dir, &wo), MIMIC_OK);
    f = open_rw(dir);
    hsize_t dims[2] = {2, 1};
    put_ds(f, "episode_0/actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, bad_ac);
    H5Fclose(f);
    expect_load_error(dir, "episode_0/actions: row 1 is 1.5, outside the action space [-1, 1]",
                      NULL);
    mimic_dataset_free(&ds);
    mimic_data_space_free(&os);
    mimic_data_space_free(&as);
  }
  /* not a dataset at all */
  char *nothing = tu_tmp_path("nothing");
  expect_load_error(nothing, "no dataset here", NULL);
  free(nothing);
  free(mp);
  free(mf);
  free(dir);
}

/* ---- a file as Minari writes it ----------------------------------------------- */

static void test_reads_minari_written_file(void **state) {
  (void)state;
  char *dir = tu_tmp_path("minari");
  char *dd = mimic_asprintf("%s/data", dir);
  assert_int_equal(mimic_mkdirs(dd), MIMIC_OK);
  char *mf = main_of(dir), *mp = meta_of(dir);
  /* h5py with track_order=True, chunked resizable datasets, infos with
   * nested groups, options attributes, Discrete(3, start=1) actions and a
   * float64 Box observation */
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t f = H5Fcreate(mf, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  hid_t bt = H5Tenum_create(H5T_STD_I8LE);
  int8_t v0 = 0, v1 = 1;
  H5Tenum_insert(bt, "FALSE", &v0);
  H5Tenum_insert(bt, "TRUE", &v1);
  for (int e = 0; e < 2; e++) {
    char gname[32];
    snprintf(gname, sizeof gname, "episode_%d", e);
    hid_t g = H5Gcreate2(f, gname, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    put_attr_i64(f, gname, "id", e);
    put_attr_i64(f, gname, "total_steps", 3);
    put_attr_i64(f, gname, "seed", 42 + e);
    put_attr_i64(f, gname, "options/level", 2);
    hsize_t T = 3;
    double obs[4 * 2];
    for (int i = 0; i < 8; i++) obs[i] = 0.1 * i + e;
    int64_t act[3] = {1, 3, 2};
    double rew[3] = {1, 0, -1};
    uint8_t term[3] = {0, 0, 1}, trunc[3] = {0, 0, 0};
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t chunk[2] = {1, 2}, maxd[2] = {H5S_UNLIMITED, 2};
    H5Pset_chunk(dcpl, 2, chunk);
    hsize_t od[2] = {T + 1, 2};
    hid_t sp = H5Screate_simple(2, od, maxd);
    hid_t d = H5Dcreate2(g, "observations", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, obs);
    H5Dclose(d);
    H5Sclose(sp);
    H5Pclose(dcpl);
    hsize_t ad[1] = {T};
    put_ds(g, "actions", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, ad, act);
    put_ds(g, "rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, ad, rew);
    put_ds(g, "terminations", bt, bt, 1, ad, term);
    put_ds(g, "truncations", bt, bt, 1, ad, trunc);
    hid_t ig = H5Gcreate2(g, "infos", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sub = H5Gcreate2(ig, "stats", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t id[1] = {T + 1};
    double x[4] = {1, 2, 3, 4};
    put_ds(sub, "x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, id, x);
    H5Gclose(sub);
    H5Gclose(ig);
    H5Gclose(g);
  }
  H5Tclose(bt);
  H5Fclose(f);
  write_text(
      mp,
      "{\n  \"dataset_id\": \"test/minari-written-v1\",\n  \"minari_version\": \"0.5.3\",\n"
      "  \"data_format\": \"hdf5\",\n  \"total_episodes\": 2,\n  \"total_steps\": 6,\n"
      "  \"observation_space\": \"{\\\"type\\\": \\\"Box\\\", \\\"dtype\\\": \\\"float64\\\", "
      "\\\"shape\\\": [2], \\\"low\\\": [-Infinity, -Infinity], \\\"high\\\": [Infinity, "
      "Infinity]}\",\n"
      "  \"action_space\": \"{\\\"type\\\": \\\"Discrete\\\", \\\"dtype\\\": \\\"int64\\\", "
      "\\\"start\\\": 1, \\\"n\\\": 3}\",\n"
      "  \"env_spec\": \"{\\\"id\\\": \\\"CartPole-v1\\\", \\\"entry_point\\\": "
      "\\\"gymnasium.envs.classic_control.cartpole:CartPoleEnv\\\", \\\"reward_threshold\\\": "
      "475.0, "
      "\\\"nondeterministic\\\": false, \\\"max_episode_steps\\\": 500, \\\"order_enforce\\\": "
      "true, "
      "\\\"disable_env_checker\\\": false, \\\"kwargs\\\": {}, \\\"additional_wrappers\\\": [], "
      "\\\"vector_entry_point\\\": null}\",\n"
      "  \"author\": [\"A\", \"B\"],\n  \"requirements\": [\"gymnasium>=1.0\"],\n"
      "  \"ref_min_score\": NaN,\n  \"dataset_size\": 0.01,\n  \"num_episodes_average_score\": "
      "100\n}\n");
  mimic_dataset ds;
  assert_int_equal(mimic_dataset_load(dir, &ds), MIMIC_OK);
  assert_int_equal(ds.n_episodes, 2);
  assert_int_equal(ds.n_steps, 6);
  assert_int_equal(ds.obs_space.dtype, MIMIC_DTYPE_FLOAT64);
  assert_int_equal(ds.act_space.start, 1);
  /* Discrete(3, start=1): file values 1,3,2 are 0,2,1 in memory */
  assert_true(ds.act[0] == 0 && ds.act[1] == 2 && ds.act[2] == 1);
  assert_true(ds.obs[5 * 2 + 1] == (float)(0.1 * 3 + 1));
  assert_true(ds.ep_seed[1] == 43);
  assert_int_equal(ds.term[2], 1);
  assert_string_equal(ds.meta.env_id, "CartPole-v1");
  assert_int_equal(ds.meta.max_episode_steps, 500);
  assert_true(isnan(ds.meta.ref_min_score));
  assert_non_null(strstr(ds.meta.extra_json, "requirements"));
  assert_non_null(strstr(ds.meta.extra_json, "\"author\":[\"A\",\"B\"]"));
  /* merging Minari's file keeps what mimic does not read (infos, options) */
  char *out = tu_tmp_path("minari-merged");
  const char *ins[2] = {dir, dir};
  assert_int_equal(mimic_dataset_merge(ins, 2, out, NULL, NULL), MIMIC_OK);
  mimic_dataset m;
  assert_int_equal(mimic_dataset_load(out, &m), MIMIC_OK);
  assert_int_equal(m.n_episodes, 4);
  assert_memory_equal(m.obs + 8 * 2, ds.obs, 8 * 2 * sizeof(float));
  char *omf = main_of(out);
  hid_t of = H5Fopen(omf, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(H5Lexists(of, "episode_3/infos/stats/x", H5P_DEFAULT) > 0);
  hid_t g3 = H5Gopen2(of, "episode_3", H5P_DEFAULT);
  check_i64_attr(g3, "id", 3);
  check_i64_attr(g3, "options/level", 2);
  H5Gclose(g3);
  H5Fclose(of);
  /* metadata of the result keeps the extra keys and the env_spec verbatim */
  char *omp = meta_of(out), *t = read_text(omp);
  assert_non_null(strstr(t, "\"requirements\""));
  assert_non_null(strstr(t, "gymnasium.envs.classic_control.cartpole:CartPoleEnv"));
  assert_non_null(strstr(t, "\\\"start\\\": 1"));
  assert_null(strstr(t, "dataset_size"));
  free(t);
  free(omp);
  free(omf);
  mimic_dataset_free(&m);
  mimic_dataset_free(&ds);
  free(out);
  free(dd);
  free(mf);
  free(mp);
  free(dir);
}

/* ---- D4RL and robomimic ------------------------------------------------------ */

static void make_d4rl(const char *path, bool with_next) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  enum { N = 10 };
  float obs[N * 3], next[N * 3], act[N * 2], rew[N];
  for (int i = 0; i < N; i++) {
    for (int c = 0; c < 3; c++) {
      obs[i * 3 + c] = (float)(i * 10 + c);
      next[i * 3 + c] = (float)(i * 10 + c + 1000);
    }
    act[i * 2] = (float)(i % 3) * 0.5f - 0.5f;
    act[i * 2 + 1] = 0.25f;
    rew[i] = (float)i;
  }
  uint8_t term[N] = {0}, tout[N] = {0};
  term[3] = 1; /* episode 0: rows 0-3, terminated */
  tout[7] = 1; /* episode 1: rows 4-7, timeout; rows 8-9: trailing */
  hid_t bt = H5Tenum_create(H5T_STD_I8LE);
  int8_t v0 = 0, v1 = 1;
  H5Tenum_insert(bt, "FALSE", &v0);
  H5Tenum_insert(bt, "TRUE", &v1);
  hsize_t d2[2] = {N, 3}, da[2] = {N, 2}, d1[1] = {N};
  put_ds(f, "observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d2, obs);
  if (with_next) put_ds(f, "next_observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, d2, next);
  put_ds(f, "actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, da, act);
  put_ds(f, "rewards", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1, rew);
  put_ds(f, "terminals", bt, bt, 1, d1, term);
  put_ds(f, "timeouts", bt, bt, 1, d1, tout);
  H5Tclose(bt);
  H5Fclose(f);
}

static void test_import_d4rl(void **state) {
  (void)state;
  char *path = tu_tmp_path("d4rl.hdf5");
  make_d4rl(path, true);
  const char *fmt;
  assert_int_equal(mimic_detect_format(path, &fmt), MIMIC_OK);
  assert_string_equal(fmt, "d4rl");
  mimic_dataset ds;
  assert_int_equal(mimic_import_d4rl(path, NULL, &ds), MIMIC_OK);
  assert_int_equal(ds.n_episodes, 3);
  assert_int_equal(ds.n_steps, 10);
  mimic_episode e0 = mimic_dataset_episode(&ds, 0), e1 = mimic_dataset_episode(&ds, 1),
                e2 = mimic_dataset_episode(&ds, 2);
  assert_int_equal(e0.T, 4);
  assert_int_equal(e1.T, 4);
  assert_int_equal(e2.T, 2);
  assert_true(e0.obs[0] == 0 && e0.obs[3 * 3] == 30 && e0.obs[4 * 3] == 1030); /* final = next[3] */
  assert_true(e1.obs[0] == 40 && e1.obs[4 * 3 + 2] == 1072);
  assert_true(e0.term[3] == 1 && e0.trunc[3] == 0);
  assert_true(e1.term[3] == 0 && e1.trunc[3] == 1);
  assert_true(e2.term[1] == 0 && e2.trunc[1] == 1);
  assert_true(e1.rew[0] == 4.0 && e1.act[0] == 0.0f); /* row 4: (4 % 3) * 0.5 - 0.5 */
  assert_int_equal(ds.act_space.space.kind, MIMIC_SPACE_BOX);
  assert_true(ds.act_space.lowf[0] == -1 && ds.act_space.highf[1] == 1);
  assert_true(isinf(ds.obs_space.lowf[0]));
  mimic_dataset_free(&ds);
  /* without next_observations: the last step of each episode is dropped */
  make_d4rl(path, false);
  assert_int_equal(mimic_import_d4rl(path, NULL, &ds), MIMIC_OK);
  assert_int_equal(ds.n_episodes, 3);
  assert_int_equal(ds.n_steps, 7);
  e0 = mimic_dataset_episode(&ds, 0);
  assert_int_equal(e0.T, 3);
  assert_true(e0.obs[3 * 3] == 30 && e0.term[2] == 0 && e0.trunc[2] == 1);
  mimic_dataset_free(&ds);
  mimic_import_opts o = {0};
  o.repeat_final = true;
  assert_int_equal(mimic_import_d4rl(path, &o, &ds), MIMIC_OK);
  assert_int_equal(ds.n_steps, 10);
  e0 = mimic_dataset_episode(&ds, 0);
  assert_true(e0.obs[4 * 3] == 30 && e0.term[3] == 1);
  /* and it saves as a valid Minari dataset */
  char *dir = tu_tmp_path("d4rl-out");
  assert_int_equal(mimic_dataset_save(&ds, dir, NULL), MIMIC_OK);
  mimic_dataset back;
  assert_int_equal(mimic_dataset_load(dir, &back), MIMIC_OK);
  assert_same_dataset(&ds, &back);
  mimic_dataset_free(&back);
  mimic_dataset_free(&ds);
  /* malformed D4RL: NaN action, mismatched rows, missing key */
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  float bad[10 * 2] = {0};
  bad[6 * 2 + 1] = NAN;
  hsize_t da[2] = {10, 2};
  put_ds(f, "actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, da, bad);
  H5Fclose(f);
  assert_int_not_equal(mimic_import_d4rl(path, NULL, &ds), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "d4rl.hdf5: actions: row 6, column 1 is NaN"));
  f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hsize_t d1[1] = {9};
  float r[9] = {0};
  put_ds(f, "rewards", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, d1, r);
  H5Ldelete(f, "terminals", H5P_DEFAULT);
  H5Fclose(f);
  assert_int_not_equal(mimic_import_d4rl(path, NULL, &ds), MIMIC_OK);
  make_d4rl(path, false);
  f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  H5Ldelete(f, "terminals", H5P_DEFAULT);
  H5Fclose(f);
  assert_int_not_equal(mimic_import_d4rl(path, NULL, &ds), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "d4rl.hdf5: terminals: missing"));
  free(dir);
  free(path);
}

static void make_demo(hid_t data, int k, int N, bool next) {
  char name[32];
  snprintf(name, sizeof name, "demo_%d", k);
  hid_t g = H5Gcreate2(data, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t obs = H5Gcreate2(g, "obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double a[16 * 2], b[16], act[16 * 3], rew[16], st[16 * 5];
  int64_t dones[16] = {0};
  for (int i = 0; i < N; i++) {
    a[i * 2] = k * 100 + i;
    a[i * 2 + 1] = -(k * 100 + i);
    b[i] = 0.5 * i;
    for (int c = 0; c < 3; c++) act[i * 3 + c] = 0.1 * c - 0.1;
    rew[i] = i == N - 1;
    for (int c = 0; c < 5; c++) st[i * 5 + c] = c;
  }
  dones[N - 1] = k != 1; /* demo_1 did not finish */
  hsize_t d2[2] = {(hsize_t)N, 2}, d1[1] = {(hsize_t)N}, d3[2] = {(hsize_t)N, 3},
          d5[2] = {(hsize_t)N, 5};
  put_ds(obs, "a_pos", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, a);
  put_ds(obs, "b_vel", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1, b);
  H5Gclose(obs);
  if (next) {
    hid_t nx = H5Gcreate2(g, "next_obs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int i = 0; i < N * 2; i++) a[i] += 0.5;
    put_ds(nx, "a_pos", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, a);
    put_ds(nx, "b_vel", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1, b);
    H5Gclose(nx);
  }
  put_ds(g, "actions", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d3, act);
  put_ds(g, "rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1, rew);
  put_ds(g, "dones", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, d1, dones);
  put_ds(g, "states", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d5, st);
  H5Gclose(g);
}

static void test_import_robomimic(void **state) {
  (void)state;
  char *path = tu_tmp_path("robomimic.hdf5");
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t data = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  make_demo(data, 10, 4, true); /* created first, must come last */
  make_demo(data, 0, 5, true);
  make_demo(data, 1, 3, true);
  hid_t mask = H5Gcreate2(f, "mask", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(mask);
  H5Gclose(data);
  H5Fclose(f);
  const char *fmt;
  assert_int_equal(mimic_detect_format(path, &fmt), MIMIC_OK);
  assert_string_equal(fmt, "robomimic");
  mimic_dataset ds;
  assert_int_equal(mimic_import_robomimic(path, NULL, &ds), MIMIC_OK);
  assert_int_equal(ds.n_episodes, 3);
  assert_int_equal(ds.obs_dim, 3); /* a_pos (2) then b_vel (1) */
  assert_int_equal(ds.act_dim, 3);
  mimic_episode e0 = mimic_dataset_episode(&ds, 0), e1 = mimic_dataset_episode(&ds, 1),
                e2 = mimic_dataset_episode(&ds, 2);
  assert_int_equal(e0.T, 5);
  assert_int_equal(e1.T, 3);
  assert_int_equal(e2.T, 4);
  assert_true(e0.obs[0] == 0 && e0.obs[1] == 0 && e0.obs[3 * 1] == 1 && e0.obs[3 * 1 + 2] == 0.5f);
  assert_true(e2.obs[0] == 1000 && e2.obs[1] == -1000);
  assert_true(e0.obs[5 * 3] == 4.5f); /* final row from next_obs */
  assert_true(e0.term[4] == 1 && e0.trunc[4] == 0);
  assert_true(e1.term[2] == 0 && e1.trunc[2] == 1);
  assert_true(e0.act[0] == -0.1f && e0.act[2] == (float)(0.1 * 2 - 0.1));
  assert_true(ds.act_space.lowf[0] == -1 && ds.act_space.highf[0] == 1);
  mimic_dataset_free(&ds);
  mimic_import_opts o = {0};
  o.use_states = true;
  assert_int_equal(mimic_import_robomimic(path, &o, &ds), MIMIC_OK);
  assert_int_equal(ds.obs_dim, 5);
  assert_int_equal(ds.n_steps, 4 + 2 + 3); /* no next states: last step dropped */
  mimic_dataset_free(&ds);
  o.use_states = false;
  o.obs_keys = "b_vel";
  assert_int_equal(mimic_import_robomimic(path, &o, &ds), MIMIC_OK);
  assert_int_equal(ds.obs_dim, 1);
  mimic_dataset_free(&ds);
  o.obs_keys = "nope";
  assert_int_not_equal(mimic_import_robomimic(path, &o, &ds), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "data/demo_0"));
  assert_non_null(strstr(mimic_errmsg(), "obs/nope: missing"));
  free(path);
}

/* ---- merge and split ---------------------------------------------------------- */

static void test_merge_split(void **state) {
  (void)state;
  char *a = tu_tmp_path("ma"), *b = tu_tmp_path("mb"), *m = tu_tmp_path("mm");
  save_fixture(a, 5);
  save_fixture(b, 8);
  const char *ins[2] = {a, b};
  assert_int_equal(mimic_dataset_merge(ins, 2, m, NULL, NULL), MIMIC_OK);
  mimic_dataset dm;
  assert_int_equal(mimic_dataset_load(m, &dm), MIMIC_OK);
  assert_int_equal(dm.n_episodes, 13);
  for (size_t e = 0; e < 13; e++) {
    mimic_episode ep = mimic_dataset_episode(&dm, e);
    fx_check_episode(&ep, e < 5 ? e : e - 5);
  }
  /* the merged id comes from the folder name */
  assert_non_null(strstr(dm.meta.dataset_id, "mimic/mm"));
  /* split 13 episodes 0.7/0.3 -> 9 + 4, disjoint, covering, deterministic */
  char *s1 = tu_tmp_path("s1"), *s2 = tu_tmp_path("s2");
  const char *outs[2] = {s1, s2};
  double fr[2] = {0.7, 0.3};
  assert_int_equal(mimic_dataset_split_files(m, outs, fr, 2, 7, NULL), MIMIC_OK);
  mimic_dataset d1, d2;
  assert_int_equal(mimic_dataset_load(s1, &d1), MIMIC_OK);
  assert_int_equal(mimic_dataset_load(s2, &d2), MIMIC_OK);
  assert_int_equal(d1.n_episodes, 9);
  assert_int_equal(d2.n_episodes, 4);
  assert_int_equal(d1.n_steps + d2.n_steps, dm.n_steps);
  /* every merged episode is found exactly once (episodes differ by obs row 0) */
  int seen[13] = {0};
  mimic_dataset *parts[2] = {&d1, &d2};
  for (int p = 0; p < 2; p++)
    for (size_t e = 0; e < parts[p]->n_episodes; e++) {
      mimic_episode ep = mimic_dataset_episode(parts[p], e);
      int found = -1;
      for (size_t k = 0; k < 13; k++) {
        mimic_episode mk = mimic_dataset_episode(&dm, k);
        if (!seen[k] && mk.T == ep.T && memcmp(mk.obs, ep.obs, (ep.T + 1) * 16) == 0 &&
            (ep.T == 0 || memcmp(mk.act, ep.act, ep.T * 4) == 0)) {
          found = (int)k;
          break;
        }
      }
      assert_true(found >= 0);
      seen[found] = 1;
    }
  /* same seed, same split */
  char *s3 = tu_tmp_path("s3"), *s4 = tu_tmp_path("s4");
  const char *outs2[2] = {s3, s4};
  assert_int_equal(mimic_dataset_split_files(m, outs2, fr, 2, 7, NULL), MIMIC_OK);
  mimic_dataset d3;
  assert_int_equal(mimic_dataset_load(s3, &d3), MIMIC_OK);
  assert_same_dataset(&d1, &d3);
  /* refusing bad inputs */
  double bad[2] = {0.7, 0.7};
  assert_int_equal(mimic_dataset_split_files(m, outs2, bad, 2, 7, NULL), MIMIC_ERR_INVALID);
  assert_int_equal(mimic_dataset_merge(ins, 2, m, NULL, NULL), MIMIC_ERR_INVALID); /* exists */
  mimic_dataset_free(&d3);
  mimic_dataset_free(&d1);
  mimic_dataset_free(&d2);
  mimic_dataset_free(&dm);
  free(a);
  free(b);
  free(m);
  free(s1);
  free(s2);
  free(s3);
  free(s4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_space_json_roundtrip), cmocka_unit_test(test_roundtrip_discrete),
      cmocka_unit_test(test_roundtrip_box_spaces), cmocka_unit_test(test_minari_layout),
      cmocka_unit_test(test_malformed_cases),      cmocka_unit_test(test_reads_minari_written_file),
      cmocka_unit_test(test_import_d4rl),          cmocka_unit_test(test_import_robomimic),
      cmocka_unit_test(test_merge_split),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
