/* Request bodies through the agent server's handler (no sockets): POST
 * /predict and /correct (the first byte picks), with a policy fitted on the
 * tau-bench traces once at start. */
#include "fuzz_util.h"
#include "agent/agent_impl.h"
#include "mimic/agent.h"

/* static, so they stay reachable (no leak report at exit) */
static mimic_agent_traces traces;
static mimic_agent_examples examples;
static mimic_agent_model *model;
static mimic_agent_server *srv;
static mimic_agent_scratch *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char path[1024];
  snprintf(path, sizeof path, "%s/../shared/data/text-agents/tau-bench/gpt-4o-airline.json",
           MIMIC_SOURCE_DIR);
  mimic_agent_config cfg;
  mimic_agent_config_default(&cfg);
  if (mimic_agent_traces_read(path, MIMIC_AGENT_FORMAT_AUTO, &traces) ||
      mimic_agent_examples_add_traces(&examples, &traces, NULL) ||
      mimic_agent_fit(examples.ex, examples.n, &cfg, &model)) {
    fprintf(stderr, "fuzz_http: %s\n", mimic_errmsg());
    abort();
  }
  mimic_agent_server_config sc;
  mimic_agent_server_defaults(&sc);
  sc.port = 0;
  sc.threads = 1;
  if (mimic_agent_server_start(model, &sc, &srv) || mimic_agent_scratch_new(model, &scratch))
    abort();
  return 0; /* the model, traces and server live as long as the process */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  char *out = NULL;
  const char *path = data[0] & 1 ? "/correct" : "/predict";
  mimic_agent_server_handle(srv, "POST", path, (const char *)data + 1, size - 1, scratch, &out);
  free(out);
  return 0;
}
