/* The model container (docs/model-file.md) decoded from bytes. */
#include "fuzz_util.h"
#include "mimic/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mimic_container c;
  if (mimic_container_decode(data, size, "fuzz", &c) == MIMIC_OK) mimic_container_free(&c);
  return 0;
}
