/* The communicator's helpers that need only its collectives (mimic/comm.h). */
#include "mimic/comm.h"

#include <stdlib.h>

#include "core/util.h"

mimic_status mimic_comm_check_same(mimic_comm *c, const void *buf, size_t bytes, const char *what) {
  if (!mimic_comm_parallel(c)) return MIMIC_OK;
  uint32_t mine = mimic_crc32(0, buf, bytes), *all = NULL;
  if (c->rank == 0) {
    all = mimic_calloc((size_t)c->size, sizeof *all, "the ranks' checksums");
    if (!all) return MIMIC_ERR_NOMEM; /* the others then wait: the caller aborts the job */
  }
  mimic_status st = c->gather(c, &mine, sizeof mine, all, 0);
  int32_t verdict[3] = {-1, 0, 0}; /* first differing rank, its checksum, rank 0's */
  if (st == MIMIC_OK && c->rank == 0)
    for (int r = 1; r < c->size; r++)
      if (all[r] != all[0]) {
        verdict[0] = r;
        verdict[1] = (int32_t)all[r];
        verdict[2] = (int32_t)all[0];
        break;
      }
  free(all);
  if (st == MIMIC_OK) st = c->bcast(c, verdict, sizeof verdict, 0);
  if (st == MIMIC_OK && verdict[0] >= 0)
    st = mimic_fail(MIMIC_ERR_RANGE,
                    "%s differ between rank 0 and rank %d (checksums %08x and %08x)", what,
                    (int)verdict[0], (unsigned)verdict[2], (unsigned)verdict[1]);
  return st;
}
