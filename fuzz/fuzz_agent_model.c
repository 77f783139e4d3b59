/* An agent policy file (mimic agent fit -o). */
#include "fuzz_util.h"
#include "mimic/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mimic_agent_model *m = NULL;
  if (mimic_agent_load(fuzz_file(data, size, ".mimic"), &m) == MIMIC_OK) mimic_agent_free(m);
  return 0;
}
