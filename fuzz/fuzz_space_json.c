/* Gymnasium/Minari space JSON (metadata.json's observation_space). */
#include "fuzz_util.h"
#include "mimic/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  mimic_data_space s;
  if (mimic_data_space_parse(&s, text) == MIMIC_OK) {
    char *back = mimic_data_space_to_json(&s); /* and written back */
    free(back);
    mimic_data_space_free(&s);
  }
  free(text);
  return 0;
}
