/* Test helpers that run DAgger on an environment (testutil.h): the best
 * learner's bytes, and a run killed by SIGKILL after a given round (in a
 * child process, so the test goes on to resume it). Their own object in the
 * helper library, so only the DAgger tests link the driver. */
#include "testutil.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"

uint8_t *tu_dagger_bytes(const mimic_dagger_env_config *cfg, const mimic_bc_config *bc, size_t *len,
                         mimic_dagger_round *rows, int *n_rows) {
  mimic_model best;
  mimic_dagger_round local[64];
  int n_local;
  mimic_status st =
      mimic_dagger_env_run(cfg, bc, &best, rows ? rows : local, 64, n_rows ? n_rows : &n_local);
  if (st) fail_msg("dagger: %s", mimic_errmsg());
  uint8_t *bytes;
  assert_int_equal(mimic_model_encode(&best, &bytes, len), MIMIC_OK);
  mimic_model_free(&best);
  return bytes;
}

static void kill_after(const mimic_dagger_round *row, void *user) {
  if (row->round == *(const int *)user) kill(getpid(), SIGKILL);
}

void tu_dagger_killed_after(const mimic_dagger_env_config *cfg, const mimic_bc_config *bc,
                            int round) {
  pid_t pid = fork();
  if (pid == 0) {
    mimic_dagger_env_config child = *cfg;
    child.on_round = kill_after;
    child.user = &round;
    mimic_model best;
    mimic_dagger_env_run(&child, bc, &best, NULL, 0, NULL);
    _exit(0); /* not reached */
  }
  int status;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
}
