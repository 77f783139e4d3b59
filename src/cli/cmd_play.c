/* mimic play: watch a policy act, in the terminal or as PNG frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/show.h"
#include "mimic/policy.h"

/* Writes the environment's picture as frames/frame_NNNNNN.png. */
static mimic_status save_frame(mimic_env *env, const char *frames, long *frame) {
  char name[64];
  snprintf(name, sizeof name, "frame_%06ld.png", (*frame)++);
  char *path = mimic_path_join(frames, name);
  mimic_status st = path ? mimic_env_render_png(env, path) : MIMIC_ERR_NOMEM;
  free(path);
  return st;
}

int cmd_play(int argc, char **argv) {
  const char *spec = "expert", *env_id = NULL, *env_opts = NULL, *frames = NULL;
  uint64_t seed = 0;
  int episodes = 1, delay_ms = 50, max_steps = 0;
  bool sample = false, quiet = false, json = false;
  double timeout = 30;
  cli_opt opts[] = {
      {"policy", CLI_STR, &spec, "SPEC", "a policy file, or expert (default), random, cmd:PROGRAM"},
      {"env", CLI_STR, &env_id, "ID", "environment id", true},
      {"env-opts", CLI_STR, &env_opts, "K=V,..", "environment options"},
      {"seed", CLI_U64, &seed, "S", "episode k starts from reset(S + k) (default 0)"},
      {"episodes", CLI_INT, &episodes, "N", "episodes to play (default 1)"},
      {"steps", CLI_INT, &max_steps, "N",
       "stop after N steps per episode (default: the time limit)"},
      {"frames", CLI_STR, &frames, "DIR",
       "write PNG frames here instead of drawing in the terminal"},
      {"delay", CLI_INT, &delay_ms, "MS", "pause between terminal frames (default 50)"},
      {"sample", CLI_FLAG, &sample, NULL, "sample actions instead of argmax / mean"},
      {"expert-timeout", CLI_DOUBLE, &timeout, "SEC",
       "seconds a program policy may take per answer (30)"},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object: every episode's return and steps"},
      {"quiet", CLI_FLAG, &quiet, NULL, "print only the summary"},
      {NULL},
  };
  cli_parsed a = cli_parse("play", "Watch a policy act in an environment.",
                           "--env ID [--policy SPEC] [options]", opts, 0, argc, argv);
  if (a.exit_now) return a.exit_code;
  if (episodes < 1) return cli_usage_error("play", "--episodes must be at least 1");
  quiet = quiet || json;
  json_t *eps = json_array();
  mimic_env *env = NULL;
  mimic_policy *policy = NULL;
  float *obs = NULL, *act = NULL;
  char *text = NULL;
  int rc = CLI_EXIT_FAIL;
  if (mimic_env_make(env_id, env_opts, &env) || mimic_policy_open(spec, env, timeout, &policy))
    goto fail;
  if (frames && mimic_mkdirs(frames)) goto fail;
  obs = mimic_malloc((size_t)mimic_env_obs_space(env)->dim * sizeof *obs, "an observation");
  act = mimic_malloc((size_t)mimic_space_width(mimic_env_action_space(env)) * sizeof *act,
                     "an action");
  text = mimic_malloc(1 << 16, "a picture");
  if (!obs || !act || !text) goto fail;
  mimic_rng rng;
  mimic_rng_seed(&rng, seed);
  bool tty = isatty(STDOUT_FILENO) && !frames && !quiet;
  long frame = 0;
  for (int k = 0; k < episodes; k++) {
    if (mimic_env_reset(env, (int64_t)(seed + (uint64_t)k), obs)) goto fail;
    double ret = 0;
    int t = 0;
    for (;;) {
      if (frames) {
        if (save_frame(env, frames, &frame)) goto fail;
      } else if (!quiet) {
        if (mimic_env_render_text(env, text, 1 << 16)) goto fail;
        printf("%s%s\nepisode %d  step %d  return %.2f\n", tty ? "\033[H\033[2J" : "", text, k + 1,
               t, ret);
        fflush(stdout);
        if (tty && delay_ms > 0) {
          struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
          nanosleep(&ts, NULL);
        }
      }
      if (max_steps > 0 && t >= max_steps) {
        if (!json)
          printf("episode %d: return %.2f after %d steps (stopped by --steps)\n", k + 1, ret, t);
        json_array_append_new(
            eps, json_pack("{s:f,s:i,s:s}", "return", ret, "steps", t, "end", "steps"));
        break;
      }
      /* one stream, starting with the episode: a policy with memory keeps it */
      const int stream = 0;
      const bool start = t == 0;
      mimic_act_batch b = {.n = 1,
                           .obs = obs,
                           .envs = &env,
                           .actions = act,
                           .deterministic = !sample,
                           .rng = &rng,
                           .streams = &stream,
                           .starts = &start};
      double r;
      bool term, trunc;
      if (mimic_policy_act(policy, &b) || mimic_env_step(env, act, obs, &r, &term, &trunc))
        goto fail;
      ret += r;
      t++;
      if (term || trunc) {
        if (frames && save_frame(env, frames, &frame)) goto fail;
        if (!json)
          printf("episode %d: return %.2f in %d steps (%s)\n", k + 1, ret, t,
                 term ? "terminated" : "time limit");
        json_array_append_new(eps, json_pack("{s:f,s:i,s:s}", "return", ret, "steps", t, "end",
                                             term ? "terminated" : "truncated"));
        break;
      }
    }
  }
  if (json) {
    json_t *o = json_pack("{s:s,s:s,s:O}", "env", env_id, "policy", spec, "episodes", eps);
    if (frames) {
      json_object_set_new(o, "frames", json_integer(frame));
      json_object_set_new(o, "frames_dir", json_string(frames));
    }
    cli_print_json(o);
  } else if (frames) {
    printf("wrote %ld frames to %s\n", frame, frames);
  }
  rc = CLI_EXIT_OK;
  goto done;
fail:
  rc = cli_fail("play");
done:
  json_decref(eps);
  free(obs);
  free(act);
  free(text);
  mimic_policy_free(policy);
  mimic_env_free(env);
  return rc;
}
