/* An expert program's reply line and the label log's action text, read
 * against an environment's action space (the first byte picks CartPole's
 * Discrete(2) or Pendulum's Box(1, [-2, 2])). */
#include <jansson.h>

#include "fuzz_util.h"
#include "loop/transport.h"
#include "mimic/env.h"
#include "mimic/expert.h"

static mimic_env *envs[2];
static mimic_codec *codecs[2];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *ids[2] = {"CartPole-v1", "Pendulum-v1"};
  for (int i = 0; i < 2; i++)
    if (mimic_env_make(ids[i], NULL, &envs[i]) || mimic_codec_env(envs[i], &codecs[i])) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const mimic_codec *c = codecs[data[0] & 1];
  float action[8];
  json_error_t err;
  json_t *reply = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &err);
  if (json_is_object(reply)) {
    json_t *v = json_object_get(reply, "action");
    if (!v) v = json_object_get(reply, "label");
    if (v) mimic_codec_action_from_json(c, v, "fuzz reply", action);
  }
  json_decref(reply);
  char *text = fuzz_text(data + 1, size - 1);
  mimic_codec_parse_action(c, text, action);
  free(text);
  return 0;
}
