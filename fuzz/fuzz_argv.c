/* The split of an expert command line into words (cmd:PROGRAM ARGS). */
#include "fuzz_util.h"
#include "core/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  char **argv = NULL;
  if (mimic_argv_split(text, &argv) == MIMIC_OK) mimic_argv_free(argv);
  free(text);
  return 0;
}
