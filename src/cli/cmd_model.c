/* `mimic model info FILE [--json]`: what a model file holds.
 *
 * The command loads the file through the real loader of its kind (so
 * `info` is also a full validation), then describes it as ONE JSON object
 * built with Jansson: kind and versions, the architecture in the kind's own
 * words, the environment and spaces when the metadata names them, the
 * arrays and the metadata. --json prints that object; without it the same
 * object is laid out for people. The dispatch by kind lives here, where
 * every layer may be used; the container itself knows no kind. A kind this
 * mimic does not know is still described from its container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/agent.h"
#include "mimic/container.h"
#include "mimic/data.h"
#include "mimic/nn.h"
#include "mimic/reward.h"
#include "mimic/text.h"

/* ---- one JSON description per kind ---------------------------------------- */

/* The policy's architecture as the file states it (the loader has checked
 * it against the parameters), with the parameter count. */
static mimic_status describe_policy(const char *path, const json_t *meta, json_t *arch) {
  mimic_model m;
  MIMIC_TRY(mimic_model_load(path, NULL, 1, &m));
  json_object_update(arch, json_object_get(meta, "architecture"));
  json_object_set_new(arch, "parameters", json_integer((json_int_t)m.n_params));
  mimic_model_free(&m);
  return MIMIC_OK;
}

static mimic_status describe_reward(const char *path, const json_t *meta, json_t *arch) {
  mimic_reward_net r;
  MIMIC_TRY(mimic_reward_net_load(path, &r));
  const json_t *net = json_object_get(meta, "architecture");
  char action[64] = "none";
  if (r.n_discrete)
    snprintf(action, sizeof action, "Discrete(%d), one-hot", r.n_discrete);
  else if (r.act_width)
    snprintf(action, sizeof action, "Box(%d)", r.act_width);
  json_object_set_new(arch, "inputs", json_string(mimic_reward_inputs_name(r.inputs)));
  json_object_set_new(arch, "output",
                      json_string(r.output == MIMIC_REWARD_SOFTPLUS ? "softplus" : "raw"));
  json_object_set_new(arch, "obs_dim", json_integer(r.obs_dim));
  json_object_set_new(arch, "action", json_string(action));
  json_object_set_new(arch, "absorbing", json_boolean(r.absorbing));
  if (r.absorbing) json_object_set_new(arch, "absorbing_value", json_real(r.absorbing_value));
  json_object_set_new(arch, "input_width", json_integer(r.in_dim));
  json_object_set(arch, "network", json_object_get(net, "actor"));
  json_object_set(arch, "obs_norm", json_object_get(net, "obs_norm"));
  json_object_set_new(arch, "parameters", json_integer((json_int_t)r.model.n_params));
  mimic_reward_net_free(&r);
  return MIMIC_OK;
}

static json_t *names_json(const mimic_labelset *ls) {
  json_t *a = json_array();
  for (int k = 0; k < ls->n; k++) json_array_append_new(a, json_string(ls->names[k]));
  return a;
}

static mimic_status describe_text(const char *path, json_t *arch) {
  mimic_text_model m;
  MIMIC_TRY(mimic_text_model_load(&m, path));
  json_object_set_new(arch, "classifier", json_string(mimic_linear_kind_name(m.clf.kind)));
  json_object_set_new(arch, "n_classes", json_integer(m.classes.n));
  json_object_set_new(arch, "classes", names_json(&m.classes));
  json_object_set_new(arch, "vocabulary_size", json_integer((json_int_t)m.vec.n_features));
  json_object_set_new(arch, "ngram_range",
                      json_pack("[i,i]", m.vec.cfg.ngram_min, m.vec.cfg.ngram_max));
  json_object_set_new(arch, "C", json_real(m.clf.C));
  mimic_text_model_free(&m);
  return MIMIC_OK;
}

static mimic_status describe_agent(const char *path, const json_t *meta, json_t *arch) {
  mimic_agent_model *m;
  MIMIC_TRY(mimic_agent_load(path, &m));
  json_t *actions = json_array();
  for (int k = 0; k < mimic_agent_n_actions(m); k++)
    json_array_append_new(actions, json_string(mimic_agent_action(m, k)));
  /* the loader has checked the forest; the model keeps no count of its own to ask */
  json_t *trees = json_object_get(json_object_get(meta, "forest"), "n_trees");
  json_object_set_new(arch, "policy", json_string(mimic_agent_policy_name(mimic_agent_kind(m))));
  json_object_set_new(arch, "n_actions", json_integer(mimic_agent_n_actions(m)));
  json_object_set_new(arch, "actions", actions);
  json_object_set_new(arch, "demonstrations_kept",
                      json_integer((json_int_t)mimic_agent_n_demos(m)));
  json_object_set_new(arch, "trained_on", json_integer((json_int_t)mimic_agent_n_trained(m)));
  json_object_set_new(arch, "threshold", json_real(mimic_agent_threshold(m)));
  json_object_set_new(arch, "forest_trees", json_integer(json_integer_value(trees)));
  mimic_agent_free(m);
  return MIMIC_OK;
}

/* A space of the metadata: Minari's JSON text, kept as text (it may hold
 * Infinity, which Python's json reads and JSON proper lacks); null when
 * the metadata has none or it is not a space. */
static json_t *space_json(const json_t *meta, const char *key) {
  const char *s = json_string_value(json_object_get(meta, key));
  mimic_data_space sp = {0};
  if (!s || mimic_data_space_parse(&sp, s) != MIMIC_OK) return json_null();
  mimic_data_space_free(&sp);
  return json_string(s);
}

/* The whole description of the file at path. */
static mimic_status describe(const char *path, json_t **out) {
  char kind[128];
  int kind_version;
  MIMIC_TRY(mimic_container_probe(path, kind, sizeof kind, &kind_version));
  mimic_container c;
  MIMIC_TRY(mimic_container_read(path, &c));
  json_t *arch = json_object();
  mimic_status st = MIMIC_OK;
  if (!strcmp(kind, MIMIC_KIND_POLICY))
    st = describe_policy(path, c.meta, arch);
  else if (!strcmp(kind, MIMIC_KIND_REWARD))
    st = describe_reward(path, c.meta, arch);
  else if (!strcmp(kind, MIMIC_KIND_TEXT_CLASSIFIER))
    st = describe_text(path, arch);
  else if (!strcmp(kind, MIMIC_KIND_AGENT))
    st = describe_agent(path, c.meta, arch);
  else { /* a kind this mimic has no loader for */
    json_decref(arch);
    arch = json_null();
  }
  if (st) {
    json_decref(arch);
    mimic_container_free(&c);
    return st;
  }
  json_t *o = json_object(), *metadata = json_deep_copy(c.meta), *arrays = json_array();
  json_object_del(metadata, "architecture");
  for (int a = 0; a < c.n_arrays; a++)
    json_array_append_new(arrays, json_pack("{s:s, s:s, s:I}", "name", c.arrays[a].name, "dtype",
                                            mimic_array_type_name(c.arrays[a].type), "count",
                                            (json_int_t)c.arrays[a].count));
  const json_t *env = json_object_get(c.meta, "env_id");
  json_object_set_new(o, "path", json_string(path));
  json_object_set_new(o, "kind", json_string(c.kind));
  json_object_set_new(o, "kind_version", json_integer(c.kind_version));
  json_object_set_new(o, "format_version", json_integer(c.format_version));
  json_object_set_new(o, "legacy", c.legacy ? json_string(c.legacy) : json_false());
  json_object_set_new(o, "env_id", json_is_string(env) ? json_copy((json_t *)env) : json_null());
  json_object_set_new(o, "observation_space", space_json(c.meta, "observation_space"));
  json_object_set_new(o, "action_space", space_json(c.meta, "action_space"));
  json_object_set_new(o, "architecture", arch);
  json_object_set_new(o, "arrays", arrays);
  json_object_set_new(o, "metadata", metadata);
  mimic_container_free(&c);
  *out = o;
  return MIMIC_OK;
}

/* ---- the same description for people ---------------------------------------- */

/* A value on one line: "4 -> 8 -> 2, tanh" for a network, "1x24x32, 16
 * 5x5/2, 32 3x3/2, relu" for a conv trunk, "eps 1e-08,
 * clip 10" for an object of numbers, "yes"/"no", "none", lists of names
 * joined, other JSON compact when short and summarised by its size when
 * long. */
static void value_text(const json_t *v, char *buf, size_t cap) {
  const json_t *sizes = json_object_get(v, "sizes"), *x;
  const json_t *image = json_object_get(v, "image"), *layers = json_object_get(v, "layers");
  const char *key;
  size_t n = 0, i, shown = 0;
  buf[0] = '\0';
  if (json_array_size(image) == 3 && json_is_array(layers)) { /* "1x24x32, 16 5x5/2, 32 3x3/2" */
    n += (size_t)snprintf(buf, cap, "%lldx%lldx%lld",
                          (long long)json_integer_value(json_array_get(image, 0)),
                          (long long)json_integer_value(json_array_get(image, 1)),
                          (long long)json_integer_value(json_array_get(image, 2)));
    json_array_foreach(layers, i, x) {
      long long k = json_integer_value(json_object_get(x, "kernel")),
                p = json_integer_value(json_object_get(x, "padding"));
      n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, ", %lld %lldx%lld/%lld",
                            (long long)json_integer_value(json_object_get(x, "channels")), k, k,
                            (long long)json_integer_value(json_object_get(x, "stride")));
      if (p) n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, " pad %lld", p);
    }
    snprintf(buf + n, n < cap ? cap - n : 0, ", relu");
    return;
  }
  if (json_is_array(sizes)) {
    json_array_foreach(sizes, i, x) n +=
        (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%lld", i ? " -> " : "",
                         (long long)json_integer_value(x));
    snprintf(buf + n, n < cap ? cap - n : 0, ", %s",
             json_string_value(json_object_get(v, "activation")));
    return;
  }
  if (json_is_object(v)) {
    json_object_foreach((json_t *)v, key, x) {
      if (!json_is_number(x)) break;
      n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s %g", shown++ ? ", " : "", key,
                            json_number_value(x));
    }
    if (shown && shown == json_object_size(v)) return;
  }
  if (json_is_array(v) && json_array_size(v) && json_is_string(json_array_get(v, 0))) {
    for (n = 0, i = 0; i < json_array_size(v) && n < 64; i++)
      n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", i ? ", " : "",
                            json_string_value(json_array_get(v, i)));
    if (i < json_array_size(v))
      snprintf(buf + n, n < cap ? cap - n : 0, ", ... (%zu in all)", json_array_size(v));
    return;
  }
  if (json_is_string(v)) {
    snprintf(buf, cap, "%s", json_string_value(v));
  } else if (json_is_boolean(v)) {
    snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
  } else if (json_is_null(v)) {
    snprintf(buf, cap, "none");
  } else if (json_is_number(v)) {
    snprintf(buf, cap, "%.10g", json_number_value(v));
  } else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (s && strlen(s) <= 72)
      snprintf(buf, cap, "%s", s);
    else if (json_is_array(v))
      snprintf(buf, cap, "[%zu items]", json_array_size(v));
    else
      snprintf(buf, cap, "{%zu keys}", json_object_size(v));
    free(s);
  }
}

static void print_fields(const json_t *o, const char *indent) {
  const char *key;
  json_t *v;
  char buf[512];
  json_object_foreach((json_t *)o, key, v) {
    value_text(v, buf, sizeof buf);
    printf("%s%-20s %s\n", indent, key, buf);
  }
}

/* "action               Discrete(2)" for a space of the description. */
static void space_line(const json_t *o, const char *key, const char *label) {
  const char *text = json_string_value(json_object_get(o, key));
  mimic_data_space sp = {0};
  char buf[256];
  if (text && mimic_data_space_parse(&sp, text) == MIMIC_OK) {
    cli_space_text(&sp, buf, sizeof buf);
    printf("%-20s %s\n", label, buf);
  }
  mimic_data_space_free(&sp);
}

static void print_text(const json_t *o) {
  const json_t *legacy = json_object_get(o, "legacy"), *arch = json_object_get(o, "architecture");
  printf("file                 %s\n", json_string_value(json_object_get(o, "path")));
  printf("kind                 %s (version %lld)\n", json_string_value(json_object_get(o, "kind")),
         (long long)json_integer_value(json_object_get(o, "kind_version")));
  printf("format version       %lld",
         (long long)json_integer_value(json_object_get(o, "format_version")));
  if (json_is_string(legacy))
    printf(" (legacy: %s; saving it again writes version 2)", json_string_value(legacy));
  printf("\n");
  if (json_is_string(json_object_get(o, "env_id")))
    printf("env                  %s\n", json_string_value(json_object_get(o, "env_id")));
  space_line(o, "observation_space", "observation");
  space_line(o, "action_space", "action");
  if (json_is_object(arch)) {
    printf("architecture\n");
    print_fields(arch, "  ");
  } else {
    printf("architecture         unknown (no loader for this kind in this mimic)\n");
  }
  printf("arrays\n");
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(o, "arrays"), i, a)
      printf("  %-20s %s x %lld\n", json_string_value(json_object_get(a, "name")),
             json_string_value(json_object_get(a, "dtype")),
             (long long)json_integer_value(json_object_get(a, "count")));
  json_t *meta = json_deep_copy(json_object_get(o, "metadata"));
  json_object_del(meta, "env_id");
  json_object_del(meta, "observation_space");
  json_object_del(meta, "action_space");
  if (json_object_size(meta)) {
    printf("metadata\n");
    print_fields(meta, "  ");
  }
  json_decref(meta);
}

static int cmd_info(int argc, char **argv) {
  bool json = false;
  cli_opt opts[] = {
      {"json", CLI_FLAG, &json, NULL, "print one JSON object", false, false},
      {NULL, 0, NULL, NULL, NULL, false, false},
  };
  cli_parsed r = cli_parse("model info",
                           "Describe a model file (any kind, any layout mimic wrote) and check it "
                           "through its kind's loader.",
                           "FILE [--json]", opts, 1, argc, argv);
  if (r.exit_now) return r.exit_code;
  if (r.npos != 1) return cli_usage_error("model info", "give one model file");
  cli_set_output(json, false);
  json_t *o;
  if (describe(r.pos[0], &o) != MIMIC_OK) return cli_fail("model info");
  if (json) {
    cli_print_json(o);
  } else {
    print_text(o);
    json_decref(o);
  }
  return CLI_EXIT_OK;
}

static const cli_command model_commands[] = {
    {"info", cmd_info, "what a model file holds: kind, architecture, spaces, metadata"},
    {NULL, NULL, NULL},
};

int cmd_model(int argc, char **argv) {
  return cli_dispatch("model", model_commands, argc - 1, argv + 1);
}
