/* metadata.json: Minari's dataset description, read strictly and written
 * to the letter of ../shared/specs/minari-format.md.
 *
 * Reading checks every required key, its type and its value (the spaces
 * must be JSON *strings* holding the space's JSON, minari_version must be
 * one Minari 0.5 reads, data_format "hdf5"), because Minari itself only
 * fails later with bare KeyErrors. Python's json module writes Infinity and
 * NaN, which Jansson refuses, so such tokens outside strings are first
 * turned into strings ("Infinity") that the space parser understands.
 *
 * Writing builds the outer object with Jansson (key order kept, 17-digit
 * reals) and the inner space strings by hand (see space.c). Keys mimic does
 * not know are kept verbatim in meta.extra_json and written back. */
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "data/data_impl.h"

void dmeta_free(dmeta *m) {
  mimic_dataset_meta_free(&m->meta);
  mimic_data_space_free(&m->obs_space);
  mimic_data_space_free(&m->act_space);
  free(m->minari_version);
  memset(m, 0, sizeof *m);
}

static bool version_ok(const char *v) {
  /* Minari 0.5.x writes and reads "0.5.<n>" (0.4.x used another layout) */
  if (strncmp(v, "0.5.", 4) != 0 || !v[4]) return false;
  for (const char *c = v + 4; *c; c++)
    if (*c < '0' || *c > '9') return false;
  return true;
}

static mimic_status get_str(const char *path, json_t *o, const char *key, bool required,
                            const char **out) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v || json_is_null(v)) {
    if (required)
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: required key \"%s\" is missing", path, key);
    return MIMIC_OK;
  }
  if (!json_is_string(v))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: \"%s\" must be a string", path, key);
  *out = json_string_value(v);
  return MIMIC_OK;
}

static mimic_status get_count(const char *path, json_t *o, const char *key, int64_t *out) {
  json_t *v = json_object_get(o, key);
  if (!v) return mimic_fail(MIMIC_ERR_FORMAT, "%s: required key \"%s\" is missing", path, key);
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: \"%s\" must be a non-negative integer", path, key);
  *out = (int64_t)json_integer_value(v);
  return MIMIC_OK;
}

static mimic_status get_space(const char *path, json_t *o, const char *key, mimic_data_space *sp) {
  json_t *v = json_object_get(o, key);
  if (!v) return mimic_fail(MIMIC_ERR_FORMAT, "%s: required key \"%s\" is missing", path, key);
  if (!json_is_string(v))
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: \"%s\" must be a JSON string holding the space's JSON (Minari "
                      "refuses a nested object)",
                      path, key);
  if (mimic_data_space_parse(sp, json_string_value(v)) != MIMIC_OK)
    return mimic_errctx("%s: %s", path, key);
  return MIMIC_OK;
}

static mimic_status get_score(const char *path, json_t *o, const char *key, double *out) {
  json_t *v = json_object_get(o, key);
  *out = NAN;
  if (!v || json_is_null(v)) return MIMIC_OK;
  if (json_is_number(v)) {
    *out = json_number_value(v);
    return MIMIC_OK;
  }
  if (json_is_string(v)) { /* Infinity/NaN quoted by mimic_json_quote_nonfinite */
    const char *s = json_string_value(v);
    if (strcmp(s, "NaN") == 0) return MIMIC_OK;
    if (strcmp(s, "Infinity") == 0)
      *out = INFINITY;
    else if (strcmp(s, "-Infinity") == 0)
      *out = -INFINITY;
    else
      return mimic_fail(MIMIC_ERR_FORMAT, "%s: \"%s\" must be a number", path, key);
    return MIMIC_OK;
  }
  return mimic_fail(MIMIC_ERR_FORMAT, "%s: \"%s\" must be a number", path, key);
}

static const char *const known_keys[] = {
    "dataset_id",        "minari_version", "data_format",   "total_episodes", "total_steps",
    "observation_space", "action_space",   "env_spec",      "algorithm_name", "author",
    "description",       "ref_min_score",  "ref_max_score", "dataset_size",   NULL};

static bool is_known(const char *k) {
  for (int i = 0; known_keys[i]; i++)
    if (strcmp(known_keys[i], k) == 0) return true;
  return false;
}

static mimic_status parse_meta(const char *path, json_t *o, dmeta *m) {
  const char *s;
  MIMIC_TRY(get_str(path, o, "dataset_id", true, &s));
  if (!mimic_dataset_id_valid(s))
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: dataset_id \"%s\" is not a Minari id ((namespace/)name-vN; letters, "
                      "digits, _ and -)",
                      path, s);
  MIMIC_TRY(mimic_dataset_meta_set(&m->meta.dataset_id, s));
  MIMIC_TRY(get_str(path, o, "minari_version", true, &s));
  if (!version_ok(s))
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: minari_version \"%s\" is not one Minari 0.5 reads (\"0.5.0\" ... )",
                      path, s);
  if (!(m->minari_version = mimic_strdup(s))) return MIMIC_ERR_NOMEM;
  MIMIC_TRY(get_str(path, o, "data_format", true, &s));
  if (strcmp(s, "hdf5") != 0)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: data_format \"%s\" is not supported (only \"hdf5\")",
                      path, s);
  MIMIC_TRY(get_count(path, o, "total_episodes", &m->total_episodes));
  MIMIC_TRY(get_count(path, o, "total_steps", &m->total_steps));
  MIMIC_TRY(get_space(path, o, "observation_space", &m->obs_space));
  MIMIC_TRY(get_space(path, o, "action_space", &m->act_space));
  MIMIC_TRY(get_str(path, o, "env_spec", false, &s));
  if (s) {
    MIMIC_TRY(mimic_dataset_meta_set(&m->meta.env_spec, s));
    json_error_t err;
    json_t *spec = json_loads(s, 0, &err);
    const char *id = spec ? json_string_value(json_object_get(spec, "id")) : NULL;
    if (!id) {
      json_decref(spec);
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "%s: env_spec is not a JSON string of an EnvSpec with an \"id\"", path);
    }
    mimic_status st = mimic_dataset_meta_set(&m->meta.env_id, id);
    json_t *mes = json_object_get(spec, "max_episode_steps");
    if (json_is_integer(mes)) m->meta.max_episode_steps = (int)json_integer_value(mes);
    json_decref(spec);
    MIMIC_TRY(st);
  }
  MIMIC_TRY(get_str(path, o, "algorithm_name", false, &s));
  MIMIC_TRY(mimic_dataset_meta_set(&m->meta.algorithm_name, s));
  MIMIC_TRY(get_str(path, o, "description", false, &s));
  MIMIC_TRY(mimic_dataset_meta_set(&m->meta.description, s));
  MIMIC_TRY(get_score(path, o, "ref_min_score", &m->meta.ref_min_score));
  MIMIC_TRY(get_score(path, o, "ref_max_score", &m->meta.ref_max_score));
  json_t *extra = json_object();
  if (!extra) return mimic_fail_nomem("metadata");
  json_t *author = json_object_get(o, "author");
  if (json_is_array(author) && json_array_size(author) == 1 &&
      json_is_string(json_array_get(author, 0))) {
    if (mimic_dataset_meta_set(&m->meta.author, json_string_value(json_array_get(author, 0)))) {
      json_decref(extra);
      return MIMIC_ERR_NOMEM;
    }
  } else if (json_is_string(author)) {
    if (mimic_dataset_meta_set(&m->meta.author, json_string_value(author))) {
      json_decref(extra);
      return MIMIC_ERR_NOMEM;
    }
  } else if (author && !json_is_null(author)) {
    json_object_set(extra, "author", author);
  }
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    if (!is_known(k)) json_object_set(extra, k, v);
  }
  if (json_object_size(extra)) {
    m->meta.extra_json =
        json_dumps(extra, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!m->meta.extra_json) {
      json_decref(extra);
      return mimic_fail_nomem("metadata");
    }
  }
  json_decref(extra);
  return MIMIC_OK;
}

mimic_status dmeta_read(const char *path, dmeta *m) {
  memset(m, 0, sizeof *m);
  mimic_dataset_meta_init(&m->meta);
  char *text = NULL;
  size_t len = 0;
  MIMIC_TRY(mimic_read_file(path, &text, &len));
  if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
      (unsigned char)text[2] == 0xBF) {
    free(text);
    return mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: starts with a UTF-8 byte-order mark (Python's json refuses it)", path);
  }
  if (strlen(text) != len) {
    free(text);
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: contains a NUL byte", path);
  }
  char *q = mimic_json_quote_nonfinite(text);
  free(text);
  if (!q) return MIMIC_ERR_NOMEM;
  json_error_t err;
  json_t *o = json_loads(q, JSON_REJECT_DUPLICATES, &err);
  free(q);
  if (!o)
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: line %d: not valid JSON: %s", path, err.line,
                      err.text);
  mimic_status st = MIMIC_OK;
  if (!json_is_object(o))
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: must hold one JSON object", path);
  else
    st = parse_meta(path, o, m);
  json_decref(o);
  if (st != MIMIC_OK) dmeta_free(m);
  return st;
}

static json_t *make_env_spec(const mimic_dataset_meta *meta) {
  json_t *s = json_object();
  json_object_set_new(s, "id", json_string(meta->env_id));
  json_object_set_new(s, "entry_point", json_null());
  json_object_set_new(s, "reward_threshold", json_null());
  json_object_set_new(s, "nondeterministic", json_false());
  json_object_set_new(s, "max_episode_steps",
                      meta->max_episode_steps > 0 ? json_integer(meta->max_episode_steps)
                                                  : json_null());
  json_object_set_new(s, "order_enforce", json_true());
  json_object_set_new(s, "disable_env_checker", json_false());
  json_object_set_new(s, "kwargs", json_object());
  json_object_set_new(s, "additional_wrappers", json_array());
  json_object_set_new(s, "vector_entry_point", json_null());
  return s;
}

mimic_status dmeta_write(const char *path, const mimic_dataset_meta *meta,
                         const mimic_data_space *os, const mimic_data_space *as,
                         int64_t total_episodes, int64_t total_steps, bool sync) {
  if (!meta->dataset_id || !mimic_dataset_id_valid(meta->dataset_id))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "dataset id \"%s\" is not a Minari id ((namespace/)name-vN; letters, digits, "
                      "_ and -; namespace parts of 2+ characters)",
                      meta->dataset_id ? meta->dataset_id : "");
  char *ojs = mimic_data_space_to_json(os), *ajs = mimic_data_space_to_json(as);
  json_t *o = json_object();
  mimic_status st = MIMIC_OK;
  if (!ojs || !ajs || !o) {
    st = mimic_fail_nomem("metadata");
    goto done;
  }
  json_object_set_new(o, "dataset_id", json_string(meta->dataset_id));
  json_object_set_new(o, "minari_version", json_string("0.5.0"));
  json_object_set_new(o, "data_format", json_string("hdf5"));
  json_object_set_new(o, "total_episodes", json_integer(total_episodes));
  json_object_set_new(o, "total_steps", json_integer(total_steps));
  json_object_set_new(o, "observation_space", json_string(ojs));
  json_object_set_new(o, "action_space", json_string(ajs));
  if (meta->env_spec) {
    json_object_set_new(o, "env_spec", json_string(meta->env_spec));
  } else if (meta->env_id) {
    json_t *spec = make_env_spec(meta);
    char *txt = spec ? json_dumps(spec, JSON_PRESERVE_ORDER | JSON_COMPACT) : NULL;
    json_decref(spec);
    if (!txt) {
      st = mimic_fail_nomem("metadata");
      goto done;
    }
    json_object_set_new(o, "env_spec", json_string(txt));
    free(txt);
  }
  if (meta->algorithm_name)
    json_object_set_new(o, "algorithm_name", json_string(meta->algorithm_name));
  if (meta->author) {
    json_t *a = json_array();
    json_array_append_new(a, json_string(meta->author));
    json_object_set_new(o, "author", a);
  }
  if (meta->description) json_object_set_new(o, "description", json_string(meta->description));
  if (isfinite(meta->ref_min_score))
    json_object_set_new(o, "ref_min_score", json_real(meta->ref_min_score));
  if (isfinite(meta->ref_max_score))
    json_object_set_new(o, "ref_max_score", json_real(meta->ref_max_score));
  if (meta->extra_json) {
    json_error_t err;
    json_t *extra = json_loads(meta->extra_json, 0, &err);
    if (!json_is_object(extra)) {
      json_decref(extra);
      st = mimic_fail(MIMIC_ERR_INVALID, "metadata: extra keys are not a JSON object");
      goto done;
    }
    const char *k;
    json_t *v;
    json_object_foreach(extra, k, v) {
      if (!json_object_get(o, k) && strcmp(k, "dataset_size") != 0) json_object_set(o, k, v);
    }
    json_decref(extra);
  }
  char *text = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(17));
  if (!text) {
    st = mimic_fail_nomem("metadata");
    goto done;
  }
  size_t n = strlen(text);
  text[n] = '\n'; /* json_dumps leaves room for its NUL; we replace it */
  st = dstore_write_file(path, text, n + 1, sync);
  free(text);
done:
  free(ojs);
  free(ajs);
  json_decref(o);
  return st;
}

static bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

char *dmeta_default_id(const char *dir) {
  char real[PATH_MAX], root[PATH_MAX];
  const char *r = getenv("MINARI_DATASETS_PATH");
  char *home_root = NULL;
  if (!r || !*r) {
    const char *home = getenv("HOME");
    if (home) home_root = mimic_asprintf("%s/.minari/datasets", home);
    r = home_root;
  }
  bool have_real = realpath(dir, real) != NULL;
  if (have_real && r && realpath(r, root)) {
    size_t n = strlen(root);
    if (strncmp(real, root, n) == 0 && real[n] == '/' && mimic_dataset_id_valid(real + n + 1)) {
      free(home_root);
      return mimic_strdup(real + n + 1);
    }
  }
  free(home_root);
  char *copy = mimic_strdup(have_real ? real : dir);
  if (!copy) return NULL;
  size_t len = strlen(copy);
  while (len > 1 && copy[len - 1] == '/') copy[--len] = '\0';
  char *base = basename(copy);
  char name[200];
  size_t k = 0;
  for (const char *c = base; *c && k < sizeof name - 8; c++) name[k++] = id_char(*c) ? *c : '_';
  name[k] = '\0';
  if (k == 0 || strcmp(base, "/") == 0 || strcmp(base, ".") == 0)
    snprintf(name, sizeof name, "dataset");
  char *id = mimic_asprintf("mimic/%s", name);
  if (id && !mimic_dataset_id_valid(id)) {
    free(id);
    id = mimic_asprintf("mimic/%s-v0", name);
  }
  free(copy);
  return id;
}
