/* Helpers shared by mimic's unit tests: reference-vector loading (from
 * $MIMIC_TESTDATA, default ../shared/testdata beside the repo), tensor
 * extraction, tolerance checks and temporary folders.
 *
 * Include order for cmocka: <stdarg.h> <stddef.h> <stdint.h> <setjmp.h>
 * before <cmocka.h>; this header does that. */
#ifndef MIMIC_TESTUTIL_H
#define MIMIC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdbool.h>

/* The reference-vector folder: $MIMIC_TESTDATA or <repo>/../shared/testdata. */
const char *tu_testdata_dir(void);
/* The shared data folder: $MIMIC_DATA or <repo>/../shared/data. */
const char *tu_data_dir(void);
/* Returns <repository>/<rel> (malloc'd), for data kept with the tests. */
char *tu_source_path(const char *rel);
/* Loads <testdata>/<rel> as JSON; fails the test loudly if missing or bad. */
json_t *tu_load_json(const char *rel);
/* Returns a path inside a fresh temporary folder for this test (malloc'd). */
char *tu_tmp_path(const char *name);
/* Number of elements of a {"shape":[..],"data":[..]} tensor (or a bare array). */
size_t tu_numel(const json_t *tensor);
/* Copies a tensor's data into a new float array; n gets its length. */
float *tu_tensor_f32(const json_t *tensor, size_t *n);
/* Copies a tensor's data into a new double array; n gets its length. */
double *tu_tensor_f64(const json_t *tensor, size_t *n);
/* Copies integer tensor data into a new int64 array. */
int64_t *tu_tensor_i64(const json_t *tensor, size_t *n);
/* Reads a JSON number (integer or real) from an object field; fails if absent. */
double tu_num(const json_t *obj, const char *key);
/* Fails the test unless |got-ref| <= atol + rtol*|ref| for all n elements. */
void tu_assert_close_f32(const float *got, const double *ref, size_t n, double atol, double rtol,
                         const char *what);
/* Same for double results. */
void tu_assert_close_f64(const double *got, const double *ref, size_t n, double atol, double rtol,
                         const char *what);
/* Runs a shell command; returns its exit status and, if out, its stdout (malloc'd). */
int tu_run(const char *cmd, char **out);
/* The path of the built mimic command ($MIMIC_CLI). */
const char *tu_cli(void);
struct mimic_model;
/* Mean return of a trained model (ownership passes here: it is freed) over
 * episodes deterministic episodes of env_id from reset(1000). */
double tu_model_return(struct mimic_model *model, const char *env_id, int episodes);
struct mimic_dagger_env_config;
struct mimic_bc_config;
struct mimic_dagger_round;
/* Runs DAgger on an environment (failing the test on an error) and returns
 * the best learner's model bytes (malloc'd); rows (may be NULL, 64 entries)
 * and n_rows get the rounds run. */
uint8_t *tu_dagger_bytes(const struct mimic_dagger_env_config *cfg,
                         const struct mimic_bc_config *bc, size_t *len,
                         struct mimic_dagger_round *rows, int *n_rows);
/* Runs DAgger in a child process that is killed by SIGKILL once round
 * (0-based) is reported, and checks that it was. */
void tu_dagger_killed_after(const struct mimic_dagger_env_config *cfg,
                            const struct mimic_bc_config *bc, int round);

#endif
