/* Agent traces in every format (mimic traces, OpenAI/ReAct transcripts,
 * JSON or JSON Lines), found by content as `--traces FILE` does; the first
 * byte picks the file's extension. Then the same bytes as a file of states. */
#include "fuzz_util.h"
#include "mimic/agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *ext = data[0] & 1 ? ".jsonl" : ".json";
  const char *path = fuzz_file(data + 1, size - 1, ext);
  mimic_agent_traces t;
  if (mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &t) == MIMIC_OK)
    mimic_agent_traces_free(&t);
  mimic_agent_examples e = {0};
  mimic_agent_states_read(path, &e);
  mimic_agent_examples_free(&e);
  return 0;
}
