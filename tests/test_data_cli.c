/* `mimic dataset convert|validate|info|merge|split|repair` end to end, on a
 * D4RL file this test writes with the HDF5 API: exit codes, --json output
 * and the messages a user sees for a malformed file. */
#include "testutil.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mimic/data.h"

static void make_d4rl(const char *path) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  enum { N = 30 };
  float obs[N * 3], act[N * 2], rew[N];
  uint8_t term[N] = {0}, tout[N] = {0};
  for (int i = 0; i < N; i++) {
    for (int c = 0; c < 3; c++) obs[i * 3 + c] = (float)(i * 3 + c);
    act[i * 2] = 0.5f;
    act[i * 2 + 1] = -0.5f;
    rew[i] = 1;
  }
  term[9] = 1;
  tout[19] = 1;
  hid_t bt = H5Tenum_create(H5T_STD_I8LE);
  int8_t v0 = 0, v1 = 1;
  H5Tenum_insert(bt, "FALSE", &v0);
  H5Tenum_insert(bt, "TRUE", &v1);
  struct {
    const char *name;
    hid_t ft, mt;
    int rank;
    hsize_t dims[2];
    const void *data;
  } ds[] = {
      {"observations", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N, 3}, obs},
      {"actions", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, {N, 2}, act},
      {"rewards", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, {N, 0}, rew},
      {"terminals", bt, bt, 1, {N, 0}, term},
      {"timeouts", bt, bt, 1, {N, 0}, tout},
  };
  for (size_t i = 0; i < sizeof ds / sizeof *ds; i++) {
    hid_t sp = H5Screate_simple(ds[i].rank, ds[i].dims, NULL);
    hid_t d = H5Dcreate2(f, ds[i].name, ds[i].ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, ds[i].mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, ds[i].data);
    H5Dclose(d);
    H5Sclose(sp);
  }
  H5Tclose(bt);
  H5Fclose(f);
}

/* Runs `mimic <args>` (stderr into the output) and checks the exit code and
 * that the output holds frag (if not NULL). args is freed. */
static void expect(int rc_want, const char *frag, char *args) {
  char *cmd = mimic_asprintf("'%s' %s 2>&1", tu_cli(), args);
  char *out = NULL;
  int rc = tu_run(cmd, &out);
  if (rc != rc_want || (frag && !strstr(out, frag)))
    fail_msg("mimic %s: exit %d (want %d), output:\n%s\n(wanted '%s')", args, rc, rc_want, out,
             frag ? frag : "");
  free(out);
  free(cmd);
  free(args);
}

#define A(...) mimic_asprintf(__VA_ARGS__)

static void test_cli_dataset(void **state) {
  (void)state;
  char *d4 = tu_tmp_path("d4rl.hdf5"), *a = tu_tmp_path("a"), *m = tu_tmp_path("m"),
       *s1 = tu_tmp_path("s1"), *s2 = tu_tmp_path("s2");
  make_d4rl(d4);
  expect(0, "\"format\": \"d4rl\"", A("dataset validate %s --json", d4));
  expect(0, "\"total_steps\": 27",
         A("dataset info %s --json", d4)); /* last step of 3 episodes dropped */
  expect(
      0, "3 episodes, 30 steps (from d4rl)",
      A("dataset convert %s -o %s --dataset-id mimic/test/a-v0 --env-id Hopper-v4 --repeat-final",
        d4, a));
  expect(0, "valid minari dataset: 3 episodes, 30 steps", A("dataset validate %s", a));
  expect(0, "\"dataset_id\": \"mimic/test/a-v0\"", A("dataset info %s --json", a));
  expect(0, "\"env_id\": \"Hopper-v4\"", A("dataset info %s --json", a));
  expect(0, "Box(shape=(2,), float32)", A("dataset info %s", a));
  expect(1, "already exists", A("dataset convert %s -o %s", d4, a));
  expect(0, "\"total_steps\": 27", A("dataset convert %s -o %s --overwrite --json", d4, a));
  expect(2, "is not a Minari id", A("dataset convert %s -o %s --dataset-id bad.id", d4, m));
  expect(2, "--action-low", A("dataset convert %s -o %s --action-low -1", d4, m));
  expect(1, "outside the given bounds",
         A("dataset convert %s -o %s --action-low -0.1 --action-high 0.1", d4, m));
  expect(0, "\"total_episodes\": 6", A("dataset merge %s %s -o %s --json", a, a, m));
  expect(0, "wrote", A("dataset split %s -o %s,%s --fractions 0.5,0.5 --seed 3", m, s1, s2));
  expect(0, "\"total_episodes\": 3", A("dataset info %s --json", s1));
  expect(2, "sum to", A("dataset split %s -o %s,%s --fractions 0.5,0.7", m, s1, s2));
  expect(2, "at least two", A("dataset split %s -o %s", m, s1));
  expect(0, "\"folded_episodes\": 0", A("dataset repair %s --json", m));
  /* a malformed file: NaN in an action of episode 1 */
  char *mf = A("%s/data/main_data.hdf5", a);
  hid_t f = H5Fopen(mf, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "episode_1/actions", H5P_DEFAULT);
  float v[9 * 2];
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  v[4 * 2 + 1] = NAN;
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
  H5Fclose(f);
  expect(1, "main_data.hdf5: episode_1/actions: row 4, column 1 is NaN",
         A("dataset validate %s", a));
  expect(1, "\"valid\": false", A("dataset validate %s --json", a));
  expect(1, "episode_1/actions: row 4, column 1 is NaN", A("dataset info %s", a));
  expect(1, "episode_1/actions", A("dataset merge %s %s -o %s --overwrite", m, a, s1));
  /* values too spread to standardise in float32: validate catches what
     training rejects, and training names the dataset, episode and step */
  char *big = tu_tmp_path("big"), *bm = tu_tmp_path("big.mimic");
  expect(0, "wrote", A("dataset convert %s -o %s --repeat-final", d4, big));
  char *bf = A("%s/data/main_data.hdf5", big);
  f = H5Fopen(bf, H5F_ACC_RDWR, H5P_DEFAULT);
  d = H5Dopen2(f, "episode_1/observations", H5P_DEFAULT);
  float o[11 * 3];
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, o);
  o[2 * 3 + 1] = 3e30f;
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, o);
  H5Dclose(d);
  H5Fclose(f);
  expect(1, "column 1 cannot be standardised", A("dataset validate %s", big));
  expect(1, "at episode 1, step 2", A("dataset validate %s", big));
  char *want = A("%s: observations: column 1", big);
  expect(1, want, A("train bc --data %s -o %s --epochs 1 --batch-size 8 --quiet", big, bm));
  expect(0, NULL,
         A("train bc --data %s -o %s --epochs 1 --batch-size 8 --quiet --no-normalize", big, bm));
  free(want);
  free(bf);
  free(big);
  free(bm);
  free(mf);
  free(d4);
  free(a);
  free(m);
  free(s1);
  free(s2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cli_dataset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
