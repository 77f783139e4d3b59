/* `mimic dataset info|validate|convert|merge|split|repair`: looking at,
 * checking and reshaping demonstration datasets. Thin: every verb is one
 * library call (mimic/data.h) plus printing. --json prints one object on
 * stdout; errors go to stderr with exit 1 (2 for bad usage). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/data.h"

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* Loads a Minari dataset, or imports a D4RL/robomimic file in memory. */
static mimic_status load_any(const char *path, const char *from, const mimic_import_opts *io,
                             mimic_dataset *ds, const char **format) {
  const char *fmt = from;
  if (!fmt || strcmp(fmt, "auto") == 0) MIMIC_TRY(mimic_detect_format(path, &fmt));
  *format = fmt;
  if (strcmp(fmt, "minari") == 0) return mimic_dataset_load(path, ds);
  if (strcmp(fmt, "d4rl") == 0) return mimic_import_d4rl(path, io, ds);
  if (strcmp(fmt, "robomimic") == 0) return mimic_import_robomimic(path, io, ds);
  return mimic_fail(MIMIC_ERR_INVALID, "unknown format '%s' (auto, minari, d4rl, robomimic)", fmt);
}

typedef struct ep_stats {
  double ret_mean, ret_std, ret_min, ret_max, len_mean;
  size_t len_min, len_max, terminated, truncated;
} ep_stats;

static ep_stats episode_stats(const mimic_dataset *ds) {
  ep_stats s = {0, 0, NAN, NAN, 0, 0, 0, 0, 0};
  size_t n = ds->n_episodes;
  if (!n) return s;
  double sum = 0, sum2 = 0;
  s.len_min = SIZE_MAX;
  for (size_t e = 0; e < n; e++) {
    double r = mimic_dataset_episode_return(ds, e);
    mimic_episode ep = mimic_dataset_episode(ds, e);
    sum += r;
    if (e == 0 || r < s.ret_min) s.ret_min = r;
    if (e == 0 || r > s.ret_max) s.ret_max = r;
    if (ep.T < s.len_min) s.len_min = ep.T;
    if (ep.T > s.len_max) s.len_max = ep.T;
    if (ep.T && ep.term[ep.T - 1])
      s.terminated++;
    else if (ep.T && ep.trunc[ep.T - 1])
      s.truncated++;
  }
  s.ret_mean = sum / (double)n;
  for (size_t e = 0; e < n; e++) {
    double d = mimic_dataset_episode_return(ds, e) - s.ret_mean;
    sum2 += d * d;
  }
  s.ret_std = sqrt(sum2 / (double)n);
  s.len_mean = (double)ds->n_steps / (double)n;
  return s;
}

/* The arguments of info and validate: one dataset path, --from, --json.
 * Returns -1 to go on, else the exit code. */
static int one_dataset_args(const char *cmd, const char *summary, int argc, char **argv,
                            const char **path, const char **from, bool *json) {
  *from = "auto";
  *json = false;
  cli_opt opts[] = {
      {"from", CLI_STR, from, "FORMAT", "auto, minari, d4rl or robomimic (default auto)", false,
       false},
      {"json", CLI_FLAG, json, NULL, "print one JSON object", false, false},
      {NULL, 0, NULL, NULL, NULL, false, false},
  };
  cli_parsed r = cli_parse(cmd, summary, "PATH [options]", opts, 1, argc, argv);
  if (r.exit_now) return r.exit_code;
  if (r.npos != 1) return cli_usage_error(cmd, "give one dataset path");
  cli_set_output(*json, false);
  *path = r.pos[0];
  return -1;
}

static int cmd_info(int argc, char **argv) {
  const char *path, *from;
  bool json;
  int rc = one_dataset_args("dataset info", "Describe a dataset: spaces, episodes, steps, returns.",
                            argc, argv, &path, &from, &json);
  if (rc >= 0) return rc;
  mimic_dataset ds;
  const char *fmt;
  if (load_any(path, from, NULL, &ds, &fmt)) return cli_fail("dataset info");
  mimic_dataset_summary sum = {0};
  if (strcmp(fmt, "minari") == 0 && mimic_dataset_summarize(path, &sum, NULL, NULL, NULL)) {
    mimic_dataset_free(&ds);
    return cli_fail("dataset info");
  }
  ep_stats s = episode_stats(&ds);
  char osb[128], asb[128];
  cli_space_text(&ds.obs_space, osb, sizeof osb);
  cli_space_text(&ds.act_space, asb, sizeof asb);
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "path", cli_json_str(path));
    json_object_set_new(o, "format", json_string(fmt));
    json_object_set_new(o, "dataset_id", cli_json_str(ds.meta.dataset_id));
    json_object_set_new(o, "env_id", cli_json_str(ds.meta.env_id));
    json_object_set_new(o, "total_episodes", json_integer((json_int_t)ds.n_episodes));
    json_object_set_new(o, "total_steps", json_integer((json_int_t)ds.n_steps));
    json_object_set_new(o, "pending_episodes", json_integer((json_int_t)sum.n_pending));
    json_object_set_new(o, "observation_space", cli_data_space_json(&ds.obs_space));
    json_object_set_new(o, "action_space", cli_data_space_json(&ds.act_space));
    json_object_set_new(o, "return_mean", num_or_null(s.ret_mean));
    json_object_set_new(o, "return_std", num_or_null(s.ret_std));
    json_object_set_new(o, "return_min", num_or_null(s.ret_min));
    json_object_set_new(o, "return_max", num_or_null(s.ret_max));
    json_object_set_new(o, "length_mean", num_or_null(s.len_mean));
    json_object_set_new(o, "length_min", json_integer((json_int_t)s.len_min));
    json_object_set_new(o, "length_max", json_integer((json_int_t)s.len_max));
    json_object_set_new(o, "terminated_episodes", json_integer((json_int_t)s.terminated));
    json_object_set_new(o, "truncated_episodes", json_integer((json_int_t)s.truncated));
    json_object_set_new(o, "main_bytes", json_integer((json_int_t)sum.main_bytes));
    cli_print_json(o);
  } else {
    printf("dataset      %s\n", path);
    printf("format       %s\n", fmt);
    if (ds.meta.dataset_id) printf("id           %s\n", ds.meta.dataset_id);
    if (ds.meta.env_id) printf("env          %s\n", ds.meta.env_id);
    printf("episodes     %zu", ds.n_episodes);
    if (sum.n_pending)
      printf(" (%zu journaled, not yet in main_data.hdf5: run 'mimic dataset repair')",
             sum.n_pending);
    printf("\nsteps        %zu\n", ds.n_steps);
    printf("observation  %s\n", osb);
    printf("action       %s\n", asb);
    if (ds.n_episodes) {
      printf("return       mean %.6g  std %.6g  min %.6g  max %.6g\n", s.ret_mean, s.ret_std,
             s.ret_min, s.ret_max);
      printf("length       mean %.6g  min %zu  max %zu\n", s.len_mean, s.len_min, s.len_max);
      printf("ends         %zu terminated, %zu truncated\n", s.terminated, s.truncated);
    }
    if (ds.meta.algorithm_name) printf("algorithm    %s\n", ds.meta.algorithm_name);
    if (ds.meta.description) printf("description  %s\n", ds.meta.description);
  }
  mimic_dataset_free(&ds);
  return CLI_EXIT_OK;
}

static int cmd_validate(int argc, char **argv) {
  const char *path, *from;
  bool json;
  int rc = one_dataset_args(
      "dataset validate",
      "Check every key, shape, dtype and value of a dataset; exit 1 on the first problem.", argc,
      argv, &path, &from, &json);
  if (rc >= 0) return rc;
  mimic_dataset ds;
  const char *fmt = NULL;
  mimic_status st = load_any(path, from, NULL, &ds, &fmt);
  if (st == MIMIC_OK) { /* what training rejects, validate rejects */
    mimic_transitions t = mimic_dataset_transitions(&ds);
    st = mimic_transitions_check(&t);
    if (st == MIMIC_OK) st = mimic_transitions_check_scale(&t);
    if (st) {
      mimic_errctx("%s", path);
      mimic_dataset_free(&ds);
    }
  }
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "path", cli_json_str(path));
    json_object_set_new(o, "valid", json_boolean(st == MIMIC_OK));
    if (st)
      json_object_set_new(o, "error", cli_json_str(mimic_errmsg()));
    else {
      json_object_set_new(o, "format", json_string(fmt));
      json_object_set_new(o, "total_episodes", json_integer((json_int_t)ds.n_episodes));
      json_object_set_new(o, "total_steps", json_integer((json_int_t)ds.n_steps));
    }
    cli_print_json(o);
    if (st) {
      fprintf(stderr, "mimic dataset validate: error: %s\n", mimic_errmsg());
      return CLI_EXIT_FAIL;
    }
  } else {
    if (st) return cli_fail("dataset validate");
    printf("%s: valid %s dataset: %zu episodes, %zu steps\n", path, fmt, ds.n_episodes, ds.n_steps);
  }
  mimic_dataset_free(&ds);
  return CLI_EXIT_OK;
}

/* Splits "a,b,c" in place into at most max parts. */
static int split_list(char *s, char **parts, int max) {
  int n = 0;
  for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ",")) parts[n++] = tok;
  return n;
}

static int cmd_convert(int argc, char **argv) {
  const char *out = NULL, *from = "auto", *id = NULL, *env_id = NULL, *obs_keys = NULL;
  bool use_states = false, repeat_final = false, overwrite = false, json = false;
  double lo = NAN, hi = NAN;
  int discrete = 0, compress = 0;
  cli_opt opts[] = {
      {"o", CLI_STR, &out, "DIR", "output dataset folder (Minari layout: DIR/data/...)", true,
       false},
      {"from", CLI_STR, &from, "FORMAT", "auto, minari, d4rl or robomimic (default auto)", false,
       false},
      {"dataset-id", CLI_STR, &id, "ID",
       "Minari id, e.g. mimic/hopper/expert-v0 (default from DIR)", false, false},
      {"env-id", CLI_STR, &env_id, "ID", "Gymnasium env id recorded in env_spec", false, false},
      {"obs-keys", CLI_STR, &obs_keys, "K1,K2",
       "robomimic: obs keys to concatenate (default all, sorted)", false, false},
      {"use-states", CLI_FLAG, &use_states, NULL, "robomimic: use `states` as observations", false,
       false},
      {"repeat-final", CLI_FLAG, &repeat_final, NULL,
       "without next observations, repeat the last one instead of dropping the last step", false,
       false},
      {"action-low", CLI_DOUBLE, &lo, "X",
       "action bound (default: [-1,1] if it holds, else the data's range)", false, false},
      {"action-high", CLI_DOUBLE, &hi, "X", "action bound", false, false},
      {"discrete", CLI_INT, &discrete, "N", "D4RL: actions are Discrete(N)", false, false},
      {"compress", CLI_INT, &compress, "LEVEL", "deflate level 1-9 (default 0: contiguous)", false,
       false},
      {"overwrite", CLI_FLAG, &overwrite, NULL, "replace an existing dataset", false, false},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object", false, false},
      {NULL, 0, NULL, NULL, NULL, false, false},
  };
  cli_parsed r =
      cli_parse("dataset convert", "Write a Minari dataset from a Minari, D4RL or robomimic file.",
                "INPUT -o DIR [options]", opts, 1, argc, argv);
  if (r.exit_now) return r.exit_code;
  if (r.npos != 1) return cli_usage_error("dataset convert", "give one input path");
  if (isnan(lo) != isnan(hi))
    return cli_usage_error("dataset convert", "give both --action-low and --action-high");
  if (!isnan(lo) && !(lo < hi))
    return cli_usage_error("dataset convert", "--action-low must be below --action-high");
  if (compress < 0 || compress > 9)
    return cli_usage_error("dataset convert", "--compress wants 0..9");
  if (discrete < 0) return cli_usage_error("dataset convert", "--discrete wants N > 0");
  if (id && !mimic_dataset_id_valid(id))
    return cli_usage_error("dataset convert",
                           "--dataset-id '%s' is not a Minari id ((namespace/)name-vN)", id);
  cli_set_output(json, false);
  mimic_import_opts io = {obs_keys, use_states, repeat_final, !isnan(lo), lo, hi, discrete};
  mimic_dataset ds;
  const char *fmt;
  if (load_any(r.pos[0], from, &io, &ds, &fmt)) return cli_fail("dataset convert");
  mimic_status st = mimic_dataset_meta_set(&ds.meta.dataset_id, id);
  if (!st && env_id) {
    st = mimic_dataset_meta_set(&ds.meta.env_id, env_id);
    if (!st) st = mimic_dataset_meta_set(&ds.meta.env_spec, NULL);
  }
  mimic_write_opts wo = mimic_write_opts_default();
  wo.compress = compress;
  wo.overwrite = overwrite;
  if (!st) st = mimic_dataset_save(&ds, out, &wo);
  if (st) {
    mimic_dataset_free(&ds);
    return cli_fail("dataset convert");
  }
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "input", cli_json_str(r.pos[0]));
    json_object_set_new(o, "format", json_string(fmt));
    json_object_set_new(o, "output", cli_json_str(out));
    json_object_set_new(o, "total_episodes", json_integer((json_int_t)ds.n_episodes));
    json_object_set_new(o, "total_steps", json_integer((json_int_t)ds.n_steps));
    cli_print_json(o);
  } else {
    printf("wrote %s: %zu episodes, %zu steps (from %s)\n", out, ds.n_episodes, ds.n_steps, fmt);
  }
  mimic_dataset_free(&ds);
  return CLI_EXIT_OK;
}

static int cmd_merge(int argc, char **argv) {
  const char *out = NULL, *id = NULL;
  bool overwrite = false, json = false;
  cli_opt opts[] = {
      {"o", CLI_STR, &out, "DIR", "output dataset folder", true, false},
      {"dataset-id", CLI_STR, &id, "ID", "Minari id of the result (default from DIR)", false,
       false},
      {"overwrite", CLI_FLAG, &overwrite, NULL, "replace an existing dataset", false, false},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object", false, false},
      {NULL, 0, NULL, NULL, NULL, false, false},
  };
  cli_parsed r = cli_parse(
      "dataset merge", "Concatenate the episodes of datasets with the same spaces into a new one.",
      "IN1 IN2 ... -o DIR [options]", opts, 1024, argc, argv);
  if (r.exit_now) return r.exit_code;
  if (r.npos < 1) return cli_usage_error("dataset merge", "give at least one input dataset");
  if (id && !mimic_dataset_id_valid(id))
    return cli_usage_error("dataset merge",
                           "--dataset-id '%s' is not a Minari id ((namespace/)name-vN)", id);
  cli_set_output(json, false);
  mimic_write_opts wo = mimic_write_opts_default();
  wo.overwrite = overwrite;
  mimic_dataset_meta meta, *mp = NULL;
  if (id) {
    /* keep the first input's metadata, with the new id */
    mimic_dataset_summary sum;
    mimic_dataset_meta_init(&meta);
    if (mimic_dataset_summarize(r.pos[0], &sum, &meta, NULL, NULL))
      return cli_fail("dataset merge");
    mimic_dataset_meta_set(&meta.dataset_id, id);
    mp = &meta;
  }
  mimic_status st = mimic_dataset_merge((const char *const *)r.pos, (size_t)r.npos, out, mp, &wo);
  if (mp) mimic_dataset_meta_free(mp);
  if (st) return cli_fail("dataset merge");
  mimic_dataset_summary sum;
  if (mimic_dataset_summarize(out, &sum, NULL, NULL, NULL)) return cli_fail("dataset merge");
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "output", cli_json_str(out));
    json_object_set_new(o, "inputs", json_integer(r.npos));
    json_object_set_new(o, "total_episodes", json_integer((json_int_t)sum.n_episodes));
    json_object_set_new(o, "total_steps", json_integer((json_int_t)sum.n_steps));
    cli_print_json(o);
  } else {
    printf("wrote %s: %zu episodes, %zu steps from %d datasets\n", out, sum.n_episodes, sum.n_steps,
           r.npos);
  }
  return CLI_EXIT_OK;
}

static int cmd_split(int argc, char **argv) {
  const char *outs = NULL, *fracs = NULL;
  uint64_t seed = 0;
  bool overwrite = false, json = false;
  cli_opt opts[] = {
      {"o", CLI_STR, &outs, "DIR1,DIR2", "output dataset folders, comma-separated", true, false},
      {"fractions", CLI_STR, &fracs, "F1,F2",
       "share of episodes for each output, summing to 1 (default equal)", false, false},
      {"seed", CLI_U64, &seed, "N", "shuffle seed (default 0)", false, false},
      {"overwrite", CLI_FLAG, &overwrite, NULL, "replace existing datasets", false, false},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object", false, false},
      {NULL, 0, NULL, NULL, NULL, false, false},
  };
  cli_parsed r = cli_parse("dataset split",
                           "Split a dataset by episode (seeded shuffle) into several datasets.",
                           "IN -o DIR1,DIR2 [--fractions 0.8,0.2] [options]", opts, 1, argc, argv);
  if (r.exit_now) return r.exit_code;
  if (r.npos != 1) return cli_usage_error("dataset split", "give one input dataset");
  char *ob = strdup(outs), *fb = fracs ? strdup(fracs) : NULL;
  char *parts[64], *fparts[64];
  double f[64];
  int n = split_list(ob, parts, 64), nf = fb ? split_list(fb, fparts, 64) : 0;
  int code = CLI_EXIT_OK;
  if (n < 2)
    code = cli_usage_error("dataset split", "-o needs at least two folders, comma-separated");
  else if (fb && nf != n)
    code = cli_usage_error("dataset split", "--fractions needs one value per output (%d)", n);
  for (int i = 0; code == CLI_EXIT_OK && i < n; i++) {
    if (!fb) {
      f[i] = 1.0 / n;
      continue;
    }
    char *end;
    f[i] = strtod(fparts[i], &end);
    if (*end || !(f[i] >= 0 && f[i] <= 1))
      code = cli_usage_error("dataset split", "--fractions: '%s' is not a number in [0, 1]",
                             fparts[i]);
  }
  if (code == CLI_EXIT_OK && fb) {
    double s = 0;
    for (int i = 0; i < n; i++) s += f[i];
    if (fabs(s - 1) > 1e-6)
      code = cli_usage_error("dataset split", "--fractions sum to %g, not 1", s);
  }
  if (code == CLI_EXIT_OK) {
    cli_set_output(json, false);
    mimic_write_opts wo = mimic_write_opts_default();
    wo.overwrite = overwrite;
    if (mimic_dataset_split_files(r.pos[0], (const char *const *)parts, f, (size_t)n, seed, &wo)) {
      code = cli_fail("dataset split");
    } else {
      json_t *arr = json_array();
      for (int i = 0; i < n; i++) {
        mimic_dataset_summary sum;
        if (mimic_dataset_summarize(parts[i], &sum, NULL, NULL, NULL)) {
          code = cli_fail("dataset split");
          break;
        }
        if (json) {
          json_t *o = json_object();
          json_object_set_new(o, "output", cli_json_str(parts[i]));
          json_object_set_new(o, "total_episodes", json_integer((json_int_t)sum.n_episodes));
          json_object_set_new(o, "total_steps", json_integer((json_int_t)sum.n_steps));
          json_array_append_new(arr, o);
        } else {
          printf("wrote %s: %zu episodes, %zu steps\n", parts[i], sum.n_episodes, sum.n_steps);
        }
      }
      if (json && code == CLI_EXIT_OK) {
        json_t *o = json_object();
        json_object_set_new(o, "input", cli_json_str(r.pos[0]));
        json_object_set_new(o, "seed", json_integer((json_int_t)seed));
        json_object_set_new(o, "outputs", arr);
        cli_print_json(o);
      } else {
        json_decref(arr);
      }
    }
  }
  free(ob);
  free(fb);
  return code;
}

static int cmd_repair(int argc, char **argv) {
  bool json = false;
  cli_opt opts[] = {
      {"json", CLI_FLAG, &json, NULL, "print one JSON object", false, false},
      {NULL, 0, NULL, NULL, NULL, false, false},
  };
  cli_parsed r = cli_parse(
      "dataset repair",
      "Fold episodes a crash left in the journal into main_data.hdf5 and remove temp files.",
      "PATH [options]", opts, 1, argc, argv);
  if (r.exit_now) return r.exit_code;
  if (r.npos != 1) return cli_usage_error("dataset repair", "give one dataset path");
  cli_set_output(json, false);
  size_t folded = 0;
  if (mimic_dataset_repair(r.pos[0], &folded)) return cli_fail("dataset repair");
  if (json) {
    json_t *o = json_object();
    json_object_set_new(o, "path", cli_json_str(r.pos[0]));
    json_object_set_new(o, "folded_episodes", json_integer((json_int_t)folded));
    cli_print_json(o);
  } else {
    printf("%s: %zu journaled episode%s folded in\n", r.pos[0], folded, folded == 1 ? "" : "s");
  }
  return CLI_EXIT_OK;
}

static const cli_command dataset_commands[] = {
    {"info", cmd_info, "describe a dataset (spaces, episodes, returns)"},
    {"validate", cmd_validate, "check a dataset completely; exit 1 on a problem"},
    {"convert", cmd_convert, "write a Minari dataset from Minari, D4RL or robomimic files"},
    {"merge", cmd_merge, "concatenate datasets with the same spaces"},
    {"split", cmd_split, "split a dataset by episode (seeded)"},
    {"strip-actions", cli_dataset_strip_actions, "copy a dataset without its actions"},
    {"generate", cmd_dataset_generate,
     "make a dataset of known quality (random, medium, expert, ...) for offline RL"},
    {"repair", cmd_repair, "fold a crashed writer's journal into the dataset"},
    {NULL, NULL, NULL},
};

int cmd_dataset(int argc, char **argv) {
  return cli_dispatch("dataset", dataset_commands, argc - 1, argv + 1);
}
