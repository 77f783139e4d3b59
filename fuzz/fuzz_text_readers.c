/* The CSV, JSON Lines and plain-text readers of labelled texts; the first
 * byte picks the format and whether labels are required. */
#include "fuzz_util.h"
#include "mimic/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const char *ext[3] = {".csv", ".jsonl", ".txt"};
  static const mimic_text_format fmt[3] = {MIMIC_TEXT_CSV, MIMIC_TEXT_JSONL, MIMIC_TEXT_PLAIN};
  int k = data[0] % 3;
  mimic_text_read_opts o;
  memset(&o, 0, sizeof o);
  o.format = fmt[k];
  o.need_labels = (data[0] >> 2) & 1;
  mimic_text_data d;
  if (mimic_text_read(fuzz_file(data + 1, size - 1, ext[k]), &o, &d) == MIMIC_OK)
    mimic_text_data_free(&d);
  return 0;
}
