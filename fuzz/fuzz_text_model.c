/* A text classifier file (mimic text train -o). */
#include "fuzz_util.h"
#include "mimic/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mimic_text_model m;
  if (mimic_text_model_load(&m, fuzz_file(data, size, ".mimic")) == MIMIC_OK)
    mimic_text_model_free(&m);
  return 0;
}
