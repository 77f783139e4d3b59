/* Printing that several commands share (see show.h). */
#include "cli/show.h"

#include "cli/args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_space_text(const mimic_data_space *s, char *buf, size_t cap) {
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    if (s->start)
      snprintf(buf, cap, "Discrete(%d, start=%lld)", s->space.n, (long long)s->start);
    else
      snprintf(buf, cap, "Discrete(%d)", s->space.n);
    return;
  }
  size_t n = (size_t)snprintf(buf, cap, "Box(shape=(");
  for (int d = 0; d < s->space.ndim; d++)
    n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%d", d ? ", " : "", s->space.shape[d]);
  snprintf(buf + n, n < cap ? cap - n : 0, "%s), %s)", s->space.ndim == 1 ? "," : "",
           mimic_dtype_name(s->dtype));
}

void cli_print_json(json_t *o) {
  char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(10));
  if (s) printf("%s\n", s);
  free(s);
  json_decref(o);
}

/* Real numbers carry 10 significant digits: enough for every statistic
 * printed, and 0.7 stays 0.7 (17 would print 0.69999999999999996). */
#define JSON_FLAGS (JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

void cli_print_json_line(json_t *o) {
  char *s = json_dumps(o, JSON_FLAGS);
  if (s) printf("%s\n", s);
  free(s);
  json_decref(o);
}

char *cli_json_text(json_t *o) {
  char *s = o ? json_dumps(o, JSON_FLAGS) : NULL;
  json_decref(o);
  return s;
}

json_t *cli_json_number(double v) {
  if (!isfinite(v)) return json_null();
  if (v == floor(v) && fabs(v) <= 9007199254740992.0) return json_integer((json_int_t)v);
  return json_real(v);
}

json_t *cli_json_u64(uint64_t v) {
  return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

json_t *cli_json_str(const char *s) {
  if (!s) return json_null();
  json_t *j = json_string(s);
  if (j) return j;
  /* not UTF-8 (a file name can be any bytes): '?' for each byte past ASCII */
  char *copy = strdup(s);
  if (!copy) return json_null();
  for (char *c = copy; *c; c++)
    if ((unsigned char)*c >= 0x80) *c = '?';
  j = json_string(copy);
  free(copy);
  return j ? j : json_null();
}

/* A bound: "inf"/"-inf", or the shortest decimal that reads back as the same
 * float32 (f32) or double. */
static json_t *bound(double v, bool f32) {
  if (isinf(v)) return json_string(v > 0 ? "inf" : "-inf");
  if (isnan(v)) return json_null();
  char buf[40];
  for (int prec = f32 ? 6 : 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    double back = strtod(buf, NULL);
    if (f32 ? (float)back == (float)v : back == v) break;
  }
  return cli_json_number(strtod(buf, NULL));
}

static json_t *box_json(const mimic_space *sp, const char *dtype, const double *low,
                        const double *high, const float *lowf, const float *highf) {
  json_t *o = json_object(), *shape = json_array(), *lo = json_array(), *hi = json_array();
  bool f32 = strcmp(dtype, "float32") == 0;
  for (int d = 0; d < sp->ndim; d++) json_array_append_new(shape, json_integer(sp->shape[d]));
  for (int i = 0; i < sp->dim; i++) {
    double l = low ? low[i] : lowf ? (double)lowf[i] : -INFINITY;
    double h = high ? high[i] : highf ? (double)highf[i] : INFINITY;
    json_array_append_new(lo, bound(l, f32));
    json_array_append_new(hi, bound(h, f32));
  }
  json_object_set_new(o, "type", json_string("Box"));
  json_object_set_new(o, "dtype", json_string(dtype));
  json_object_set_new(o, "shape", shape);
  json_object_set_new(o, "low", lo);
  json_object_set_new(o, "high", hi);
  return o;
}

json_t *cli_space_json(const mimic_space *sp) {
  if (sp->kind == MIMIC_SPACE_DISCRETE) {
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("Discrete"));
    json_object_set_new(o, "n", json_integer(sp->n));
    return o;
  }
  return box_json(sp, "float32", NULL, NULL, sp->low, sp->high);
}

json_t *cli_data_space_json(const mimic_data_space *s) {
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("Discrete"));
    json_object_set_new(o, "n", json_integer(s->space.n));
    json_object_set_new(o, "start", json_integer((json_int_t)s->start));
    return o;
  }
  return box_json(&s->space, mimic_dtype_name(s->dtype), s->low, s->high, s->lowf, s->highf);
}

void cli_eval_json(json_t *o, const mimic_eval_result *r) {
  json_object_set_new(o, "return_mean", cli_json_number(r->return_mean));
  json_object_set_new(o, "return_std", cli_json_number(r->return_std));
  json_object_set_new(o, "normalized_score", cli_json_number(r->normalized_score));
  json_object_set_new(o, "expert_return", cli_json_number(r->expert_return));
  json_object_set_new(o, "random_return", cli_json_number(r->random_return));
  json_object_set_new(o, "eval_episodes", json_integer(r->episodes));
}

mimic_status cli_save_and_evaluate(mimic_model *model, const char *env_id, const char *env_opts,
                                   const char *out, json_t *meta, bool progress,
                                   mimic_eval_result *r) {
  mimic_env *e = NULL;
  char *text = cli_json_text(meta);
  mimic_status st =
      text ? mimic_env_make(env_id, env_opts, &e) : mimic_fail_nomem("the model's description");
  if (st == MIMIC_OK)
    st = mimic_policy_describe_model(model, env_id, mimic_env_obs_space(e),
                                     mimic_env_action_space(e), text);
  free(text);
  if (st == MIMIC_OK) st = mimic_model_save(model, out);
  if (st != MIMIC_OK) {
    mimic_model_free(model);
    mimic_env_free(e);
    return st;
  }
  mimic_policy *pol;
  st = mimic_policy_from_model(model, mimic_env_action_space(e), &pol);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.seed = 1000;
  ec.normalize = mimic_env_has_expert(e);
  ec.progress = progress;
  if (st == MIMIC_OK) st = mimic_evaluate(pol, env_id, env_opts, &ec, r);
  mimic_policy_free(pol);
  mimic_env_free(e);
  return st;
}

int cli_load_demos(const char *cmd, const char *data, const char *env, mimic_dataset *ds,
                   const char **env_id) {
  if (mimic_dataset_load(data, ds)) return cli_fail(cmd);
  *env_id = env ? env : ds->meta.env_id;
  if (*env_id) return -1;
  mimic_dataset_free(ds);
  return cli_usage_error(cmd, "%s names no environment: give --env", data);
}
