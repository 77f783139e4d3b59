/* A policy file (every layout mimic has written) loaded as `--policy FILE`. */
#include "fuzz_util.h"
#include "mimic/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mimic_policy *p = NULL;
  if (mimic_policy_load(fuzz_file(data, size, ".mimic"), &p) == MIMIC_OK) mimic_policy_free(p);
  return 0;
}
