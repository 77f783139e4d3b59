/* Gridworld map files (mimic-GridMap-v0's map=FILE). */
#include "fuzz_util.h"
#include "mimic/grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  static mimic_grid_state st;
  mimic_grid_parse_map(text, "fuzz.map", &st);
  free(text);
  return 0;
}
