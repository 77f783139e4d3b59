/* DAgger in environments: the state source of the DAgger driver
 * (dagger.c) for control tasks, gridworlds and any registered environment.
 *
 * A round rolls out N copies side by side until it has at least min_steps
 * steps and min_episodes finished episodes. In every state the learner
 * proposes an action with a confidence; with probability beta the expert
 * acts instead (and so labels that state). Which other states the expert
 * labels depends on the query rule:
 *   all        every visited state: a live expert (built-in, a person) at the
 *              moment it is visited, a program after the round's rollouts
 *              in batches (at the moment only where its action is taken);
 *   uncertain  states where the learner's confidence is below a threshold,
 *              at the moment (with defer, the expert's action is also taken);
 *   top-k      after the round, the k states the learner was least sure of
 *              (a built-in expert answers from a snapshot taken during the
 *              rollout; other experts from the observation).
 * Every visited state is a candidate of the driver, numbered in the order
 * met; its answer joins the training set copy by copy, step by step. The
 * learner is BC refitted with warm start after every round (the driver's
 * doing) and evaluated here on fixed seeds; the best learner is kept.
 *
 * Every round starts from fresh resets seeded by the round number, so a
 * round is a pure function of the learner and the expert's answers: the
 * driver's resume replays it exactly. The work folder holds the label log
 * (labels.sqlite), the learner after the last finished round and the best
 * learner so far. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/evaluate.h"
#include "mimic/expert.h"
#include "mimic/rollout.h"

#include "algo/dagger_dist.h"
#include "algo/dagger_labels.h"

mimic_dagger_env_config mimic_dagger_env_defaults(void) {
  mimic_dagger_env_config c = {0};
  c.expert = "builtin";
  c.expert_timeout = 30;
  c.rounds = 15;
  c.beta = (mimic_beta_schedule){MIMIC_BETA_LINEAR, 15};
  c.query = (mimic_query_rule){MIMIC_QUERY_ALL, 0, 0};
  c.min_steps = 500;
  c.min_episodes = 3;
  c.n_envs = 1;
  c.epochs = 4;
  c.eval_episodes = 10;
  c.eval_seed = 1000000;
  c.progress = true;
  return c;
}

typedef struct source {
  const mimic_dagger_env_config *cfg;
  mimic_rollout roll;
  int n, od, aw;
  mimic_codec *codec;
  mimic_expert *expert;
  bool snapshots; /* a built-in expert's answers are taken during rollouts */
  bool episodes;  /* the learner has memory: its states are marked where episodes begin */
  mimic_policy *learner, *random;
  mimic_rng roll_rng;
  /* one tick of the rollout */
  mimic_dagger_state *states;
  float *known; /* [n x aw] */
  size_t *ask;
  mimic_env **ask_env;
  bool *takes; /* the expert's answer is the action taken */
  float *answers, *guess, *guess_conf;
  float *before; /* [n x od] the observations a step started from */
  /* scores */
  double best_return, expert_return, random_return;
  int best_round;
  uint8_t *best_bytes;
  size_t best_len;
  char *best_path;
  float *restored; /* [od] the state of a restored answer */
  /* the labels as a Minari dataset (with a work folder) */
  char *labels_path;
  dagger_labels labels;
  mimic_dagger *d;
  char ended[200];  /* episodes that ended since a person's last question */
  dagger_dist dist; /* rank 0 of distributed rollouts (dist.comm NULL: one process) */
} source;

/* Where a state's answer joins the training set: round, then copy, then step. */
static uint64_t order_of(int round, int copy, uint64_t tick) {
  return (uint64_t)round << 43 | (uint64_t)copy << 31 | tick;
}

/* Notes an episode that ended (the k-th of round) for the person's next
 * question, which may come in the next round: the round is named. */
static void ended(source *s, const mimic_episode_end *e, int round, int k) {
  size_t len = strlen(s->ended);
  if (len + 100 > sizeof s->ended) len = 0; /* keep the latest (a replayed round ends many) */
  snprintf(s->ended + len, sizeof s->ended - len,
           "%sepisode %d of round %d ended: return %.1f after %d steps%s", len ? "\n" : "", k,
           round + 1, e->ret, e->length, e->terminated ? "" : " (time limit)");
}

/* The line a person sees with the next question: the episodes that ended
 * since the last one, and what is left of the round. */
static void set_note(source *s, long steps, int episodes) {
  const mimic_dagger_env_config *cfg = s->cfg;
  char left[128];
  long more_steps = cfg->min_steps - steps;
  int more_eps = cfg->min_episodes - episodes;
  if (more_steps > 0 && more_eps > 0)
    snprintf(left, sizeof left, "this round: at least %ld more steps and %d more episode%s",
             more_steps, more_eps, more_eps == 1 ? "" : "s");
  else if (more_steps > 0)
    snprintf(left, sizeof left, "this round: at least %ld more step%s", more_steps,
             more_steps == 1 ? "" : "s");
  else if (more_eps > 0)
    snprintf(left, sizeof left, "this round: until %d more episode%s end%s", more_eps,
             more_eps == 1 ? "" : "s", more_eps == 1 ? "s" : "");
  else
    snprintf(left, sizeof left, "this round: its last step");
  char note[sizeof s->ended + sizeof left + 8];
  snprintf(note, sizeof note, "%s%s%s", s->ended, s->ended[0] ? "\n" : "", left);
  mimic_dagger_set_note(s->d, note);
  s->ended[0] = '\0';
}

/* Distributed: a round on every rank, this one too (dagger_dist.c), then
 * their states tick by tick as one process's N*n copies would report them:
 * every state with the expert's label known, those DAgger asks about asked. */
static mimic_status gather_remote(source *s, mimic_dagger *d, int round, double beta) {
  bool ready = mimic_dagger_learner_ready(d);
  MIMIC_TRY(dagger_dist_round(&s->dist, round, beta, ready ? s->learner : NULL));
  const size_t aw = (size_t)s->aw;
  for (long t = 0; t < s->dist.ticks; t++) {
    size_t n_ask = 0, first = 0;
    for (int i = 0; i < s->n; i++) {
      dagger_dist_record r = dagger_dist_get(&s->dist, t, i);
      s->states[i] = (mimic_dagger_state){
          .obs = r.obs, .known = r.label, .order = order_of(round, i, (uint64_t)t)};
      if (r.flags & DIST_ASKED) {
        memcpy(s->guess + n_ask * aw, r.guess, aw * sizeof(float));
        s->guess_conf[n_ask] = r.conf;
        s->ask[n_ask++] = (size_t)i;
      }
    }
    MIMIC_TRY(mimic_dagger_add(d, s->states, (size_t)s->n, &first));
    for (size_t k = 0; k < n_ask; k++) s->ask[k] += first;
    if (n_ask)
      MIMIC_TRY(mimic_dagger_ask(d, s->ask, n_ask, NULL, ready ? s->guess : NULL, s->guess_conf,
                                 s->answers));
    for (int i = 0; s->labels_path && i < s->n; i++) {
      dagger_dist_record r = dagger_dist_get(&s->dist, t, i);
      MIMIC_TRY(dagger_labels_step(&s->labels, first + (size_t)i, r.obs, r.next, r.reward,
                                   r.flags & DIST_TERM, r.flags & DIST_TRUNC));
    }
  }
  return MIMIC_OK;
}

static mimic_status gather(void *ctx, mimic_dagger *d, int round, double beta) {
  source *s = ctx;
  const mimic_dagger_env_config *cfg = s->cfg;
  mimic_rollout *ro = &s->roll;
  s->d = d;
  if (s->labels_path && !s->labels.writer) /* a fresh run (a resumed one opened it in resume) */
    MIMIC_TRY(dagger_labels_open(&s->labels, s->labels_path, cfg->env_id, s->n,
                                 mimic_env_obs_space(ro->envs[0]),
                                 mimic_env_action_space(ro->envs[0]), -1));
  if (s->dist.comm) return gather_remote(s, d, round, beta);
  /* every round from fresh resets seeded by the round: rounds replay exactly */
  MIMIC_TRY(mimic_rollout_reset(ro, cfg->seed + 100003u * (uint64_t)round));
  mimic_rng_seed(&s->roll_rng, cfg->seed * 7919u + (uint64_t)round);
  /* 'all' asks a live expert (built-in, a person) at the moment; a program
   * is asked after the rollouts, in batches, except where its action is
   * taken: the states and answers are the same, the messages far fewer */
  bool online_all =
      cfg->query.kind == MIMIC_QUERY_ALL && (s->expert->live || s->expert->repeatable);
  bool online_uncertain = cfg->query.kind == MIMIC_QUERY_UNCERTAIN;
  mimic_policy *actor = mimic_dagger_learner_ready(d) ? s->learner : s->random;
  mimic_progress bar;
  char label[32];
  snprintf(label, sizeof label, "round %d rollouts", round + 1);
  mimic_progress_begin(&bar, label, "step", (uint64_t)cfg->min_steps);
  if (!cfg->progress || s->expert->person) bar.active = false;
  long steps = 0;
  int episodes = 0;
  mimic_status st = MIMIC_OK;
  for (uint64_t tick = 0; !st && (steps < cfg->min_steps || episodes < cfg->min_episodes); tick++) {
    size_t first = 0;
    st = mimic_rollout_act(ro, actor, true, &s->roll_rng);
    size_t n_ask = 0;
    for (int i = 0; !st && i < s->n; i++) {
      bool expert_acts = beta > 0 && mimic_rng_double(&s->roll_rng) < beta;
      bool unsure = online_uncertain && ro->confidence[i] < cfg->query.threshold;
      bool asked = expert_acts || online_all || unsure;
      float *known = s->known + (size_t)i * (size_t)s->aw;
      if (!asked && s->snapshots) /* a snapshot, counted only if asked later */
        st = mimic_env_expert_act(ro->envs[i], known);
      s->states[i] = (mimic_dagger_state){.obs = ro->obs + (size_t)i * (size_t)s->od,
                                          .env = ro->envs[i],
                                          .known = !asked && s->snapshots ? known : NULL,
                                          .order = order_of(round, i, tick),
                                          .start = s->episodes && ro->ep_length[i] == 0};
      s->takes[n_ask] = expert_acts || (unsure && cfg->defer);
      if (asked) s->ask[n_ask++] = (size_t)i;
    }
    if (!st) st = mimic_dagger_add(d, s->states, (size_t)s->n, &first);
    if (!st && n_ask) {
      for (size_t k = 0; k < n_ask; k++) {
        size_t i = s->ask[k];
        memcpy(s->guess + k * (size_t)s->aw, ro->actions + i * (size_t)s->aw,
               (size_t)s->aw * sizeof(float));
        s->guess_conf[k] = ro->confidence[i];
        s->ask_env[k] = ro->envs[i];
        s->ask[k] = first + i;
      }
      if (s->expert->person) set_note(s, steps, episodes);
      st = mimic_dagger_ask(d, s->ask, n_ask, s->ask_env, actor == s->learner ? s->guess : NULL,
                            s->guess_conf, s->answers);
      for (size_t k = 0; !st && k < n_ask; k++) /* the expert acts where beta or defer says */
        if (s->takes[k])
          memcpy(ro->actions + (s->ask[k] - first) * (size_t)s->aw, s->answers + k * (size_t)s->aw,
                 (size_t)s->aw * sizeof(float));
    }
    if (!st && s->labels_path) /* the observations before the step, for the dataset */
      memcpy(s->before, ro->obs, (size_t)s->n * (size_t)s->od * sizeof(float));
    if (!st) st = mimic_rollout_step(ro);
    for (int i = 0; !st && s->labels_path && i < s->n; i++) {
      bool done = ro->terminated[i] || ro->truncated[i];
      st = dagger_labels_step(&s->labels, first + (size_t)i, s->before + (size_t)i * (size_t)s->od,
                              (done ? ro->final_obs : ro->obs) + (size_t)i * (size_t)s->od,
                              ro->reward[i], ro->terminated[i], ro->truncated[i]);
    }
    episodes += ro->n_end;
    steps += s->n;
    for (int k = 0; s->expert->person && k < ro->n_end; k++)
      ended(s, &ro->end[k], round, episodes - ro->n_end + k + 1);
    mimic_progress_update(&bar, (uint64_t)steps);
  }
  mimic_progress_end(&bar);
  return st;
}

/* A stored answer's state: the observation written in its text; its key,
 * "<round>:<candidate>", gives its place (candidate = step * N + copy). */
static mimic_status restore(void *ctx, const char *key, const char *text,
                            mimic_dagger_example *out) {
  source *s = ctx;
  int round;
  unsigned long long cand;
  char tail;
  if (sscanf(key, "%d:%llu%c", &round, &cand, &tail) != 2 || round < 0)
    return mimic_fail(MIMIC_ERR_FORMAT, "'%s' is not the key of a state met in a rollout", key);
  json_error_t err;
  json_t *v = json_loads(text, 0, &err);
  mimic_status st = MIMIC_OK;
  if (!json_is_array(v) || json_array_size(v) != (size_t)s->od)
    st = mimic_fail(MIMIC_ERR_FORMAT, "its state is not a list of %d numbers", s->od);
  for (int j = 0; !st && j < s->od; j++) {
    json_t *x = json_array_get(v, (size_t)j);
    if (!json_is_number(x))
      st = mimic_fail(MIMIC_ERR_FORMAT, "its state[%d] is not a number", j);
    else
      s->restored[j] = (float)json_number_value(x);
  }
  json_decref(v);
  if (st) return st;
  out->obs = s->restored;
  out->item = NULL;
  out->order = order_of(round, (int)(cand % (unsigned long long)s->n), cand / (unsigned)s->n);
  return MIMIC_OK;
}

static mimic_status evaluate(void *ctx, int round, mimic_dagger_round *r) {
  source *s = ctx;
  const mimic_dagger_env_config *cfg = s->cfg;
  if (cfg->eval_episodes <= 0) return MIMIC_OK;
  if (!mimic_policy_fitted(s->learner))
    return mimic_fail(MIMIC_ERR_INVALID, "round %d gave the expert nothing to label", round + 1);
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = cfg->eval_episodes;
  ec.seed = cfg->eval_seed;
  ec.normalize = false;
  ec.progress = false;
  ec.sample = cfg->eval_sample;
  mimic_eval_result res;
  MIMIC_TRY(mimic_evaluate(s->learner, cfg->env_id, cfg->env_opts, &ec, &res));
  r->n_metrics = 3;
  r->metric_names[0] = "return";
  r->metrics[0] = res.return_mean;
  r->metric_names[1] = "normalized";
  double span = s->expert_return - s->random_return;
  r->metrics[1] = fabs(span) > 1e-12 ? (res.return_mean - s->random_return) / span : NAN;
  r->metric_names[2] = "success";
  r->metrics[2] = res.success_rate;
  mimic_eval_result_free(&res);
  if (s->best_round < 0 || r->metrics[0] > s->best_return) {
    s->best_return = r->metrics[0];
    s->best_round = round;
    free(s->best_bytes);
    s->best_bytes = NULL;
    MIMIC_TRY(mimic_model_encode(mimic_bc_learner_model(s->learner), &s->best_bytes, &s->best_len));
  }
  return MIMIC_OK;
}

static mimic_status end_round(void *ctx, int round, json_t *state) {
  source *s = ctx;
  (void)round;
  if (s->best_path && s->best_bytes)
    MIMIC_TRY(mimic_write_file_atomic(s->best_path, s->best_bytes, s->best_len));
  if (s->labels.writer) {
    long episodes;
    MIMIC_TRY(dagger_labels_commit(&s->labels, s->d, &episodes));
    json_object_set_new(state, "label_episodes", json_integer(episodes));
  }
  json_object_set_new(state, "best_return",
                      json_real(isfinite(s->best_return) ? s->best_return : 0.0));
  json_object_set_new(state, "best_round", json_integer(s->best_round));
  return MIMIC_OK;
}

static mimic_status resume(void *ctx, int first, const json_t *state) {
  source *s = ctx;
  (void)first;
  if (!json_is_object(state)) return MIMIC_OK;
  if (s->labels_path) {
    json_t *e = json_object_get(state, "label_episodes");
    mimic_env *env = s->roll.envs[0];
    MIMIC_TRY(dagger_labels_open(&s->labels, s->labels_path, s->cfg->env_id, s->n,
                                 mimic_env_obs_space(env), mimic_env_action_space(env),
                                 json_is_integer(e) ? (long)json_integer_value(e) : -1));
  }
  s->best_return = json_number_value(json_object_get(state, "best_return"));
  s->best_round = (int)json_integer_value(json_object_get(state, "best_round"));
  if (s->best_round >= 0 && s->best_path && mimic_path_exists(s->best_path)) {
    char *bytes;
    size_t len;
    MIMIC_TRY(mimic_read_file(s->best_path, &bytes, &len));
    free(s->best_bytes);
    s->best_bytes = (uint8_t *)bytes;
    s->best_len = len;
  }
  return MIMIC_OK;
}

/* What decides this run's questions: a resumed work folder must agree. */
static char *settings(const mimic_dagger_env_config *cfg, const mimic_bc_config *bc) {
  char beta[64], query[64];
  mimic_beta_format(&cfg->beta, beta, sizeof beta);
  mimic_query_format(&cfg->query, query, sizeof query);
  json_t *hidden = json_array();
  for (int i = 0; hidden && i < bc->n_hidden; i++)
    json_array_append_new(hidden, json_integer(bc->hidden[i]));
  json_t *j = json_pack(
      "{s:s, s:s, s:s, s:s, s:b, s:I, s:i, s:i, s:I, s:I, s:I, s:o, s:s, s:i, s:f, s:f, s:f, "
      "s:b}",
      "env", cfg->env_id, "env_opts", cfg->env_opts ? cfg->env_opts : "", "beta", beta, "query",
      query, "defer", cfg->defer, "min_steps", (json_int_t)cfg->min_steps, "min_episodes",
      cfg->min_episodes, "n_envs", cfg->n_envs, "epochs", (json_int_t)cfg->epochs, "cap",
      (json_int_t)cfg->cap, "seed", (json_int_t)cfg->seed, "hidden", hidden, "activation",
      mimic_activation_name(bc->activation), "batch_size", bc->batch_size, "lr", bc->lr,
      "ent_weight", bc->ent_weight, "l2_weight", bc->l2_weight, "normalize_obs", bc->normalize_obs);
  /* rounds depend on the ranks rolling out (every rank of the job; a
   * folder of the days when rank 0 did not, with "rollout_ranks", is
   * refused): a work folder resumes with as many */
  if (j && mimic_comm_parallel(cfg->comm))
    json_object_set_new(j, "ranks", json_integer(cfg->comm->size));
  /* a learner with memory (absent for the MLP: older work folders still resume) */
  if (j && bc->gru_hidden) json_object_set_new(j, "gru", json_integer(bc->gru_hidden));
  if (j && bc->tf.context) {
    json_object_set_new(j, "transformer_context", json_integer(bc->tf.context));
    json_object_set_new(j, "transformer_layers", json_integer(bc->tf.layers));
    json_object_set_new(j, "transformer_heads", json_integer(bc->tf.heads));
    json_object_set_new(j, "transformer_embd", json_integer(bc->tf.embd));
  }
  char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(j);
  if (!text) mimic_fail_nomem("the run's settings");
  return text;
}

static void source_free(source *s) {
  mimic_rollout_close(&s->roll);
  if (s->expert != s->cfg->expert_obj) mimic_expert_free(s->expert);
  mimic_codec_free(s->codec);
  mimic_policy_free(s->learner);
  mimic_policy_free(s->random);
  free(s->states);
  free(s->known);
  free(s->ask);
  free(s->ask_env);
  free(s->takes);
  free(s->answers);
  free(s->guess);
  free(s->guess_conf);
  free(s->best_bytes);
  free(s->best_path);
  free(s->restored);
  free(s->before);
  free(s->labels_path);
  dagger_labels_close(&s->labels);
  dagger_dist_close(&s->dist);
}

/* The expert, its checks, the learner and the buffers of one tick. */
static mimic_status setup(source *s, const mimic_dagger_env_config *cfg,
                          const mimic_bc_config *bc) {
  mimic_rollout_config rc = {.n = cfg->n_envs, .seed = cfg->seed};
  MIMIC_TRY(mimic_rollout_open(&s->roll, cfg->env_id, cfg->env_opts, &rc));
  mimic_env *env = s->roll.envs[0];
  const mimic_space *os = mimic_env_obs_space(env), *as = mimic_env_action_space(env);
  s->n = cfg->n_envs;
  s->od = os->dim;
  s->aw = mimic_space_width(as);
  MIMIC_TRY(mimic_codec_env(env, &s->codec));
  mimic_expert_opts eo = {.timeout_s = cfg->expert_timeout,
                          .in_fd = cfg->human_fd,
                          .out = cfg->human_out ? cfg->human_out : stderr,
                          .interactive = cfg->human_fd == 0,
                          .bind = cfg->bind,
                          .agreement = cfg->web_agreement};
  if (cfg->expert_obj)
    s->expert = cfg->expert_obj;
  else
    MIMIC_TRY(mimic_expert_open(cfg->expert, s->codec, &eo, &s->expert));
  if (mimic_comm_parallel(cfg->comm)) { /* rank 0: the states of every rank's copies */
    MIMIC_TRY(dagger_dist_open(&s->dist, cfg->comm, cfg, s->expert)); /* its own: the driver's */
    s->n = s->dist.G;
  }
  s->snapshots = strcmp(s->expert->cls->kind, "builtin") == 0 &&
                 cfg->query.kind != MIMIC_QUERY_ALL && cfg->query.kind != MIMIC_QUERY_UNCERTAIN;
  bool online = cfg->query.kind == MIMIC_QUERY_ALL || cfg->query.kind == MIMIC_QUERY_UNCERTAIN;
  if (!online && s->expert->person)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a person answers in the moment: use --query all or uncertain:T");
  if (!online && cfg->query.kind != MIMIC_QUERY_RANDOM && as->kind != MIMIC_SPACE_DISCRETE)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "confidence-based queries need discrete actions; use 'all' or 'random'");
  mimic_bc_config b = *bc;
  b.epochs = cfg->epochs;
  b.batches = 0;
  b.val_fraction = 0;
  b.patience = 0;
  MIMIC_TRY(mimic_bc_learner(&b, cfg->env_id, os, as, "{\"algorithm\": \"dagger\"}", &s->learner));
  s->episodes = bc->gru_hidden || bc->tf.context;
  if (cfg->init) MIMIC_TRY(mimic_bc_learner_start(s->learner, cfg->init));
  MIMIC_TRY(mimic_policy_random(as, &s->random));
  size_t n = (size_t)s->n, aw = (size_t)s->aw;
  s->states = mimic_calloc(n, sizeof *s->states, "states");
  s->known = mimic_calloc(n * aw, sizeof *s->known, "answers");
  s->ask = mimic_calloc(n, sizeof *s->ask, "questions");
  s->ask_env = mimic_calloc(n, sizeof *s->ask_env, "questions");
  s->takes = mimic_calloc(n, sizeof *s->takes, "questions");
  s->answers = mimic_calloc(n * aw, sizeof *s->answers, "answers");
  s->guess = mimic_calloc(n * aw, sizeof *s->guess, "guesses");
  s->guess_conf = mimic_calloc(n, sizeof *s->guess_conf, "guesses");
  s->restored = mimic_calloc((size_t)s->od, sizeof *s->restored, "a state");
  s->before = mimic_calloc(n * (size_t)s->od, sizeof *s->before, "observations");
  if (!s->states || !s->known || !s->ask || !s->ask_env || !s->takes || !s->answers || !s->guess ||
      !s->guess_conf || !s->restored || !s->before)
    return MIMIC_ERR_NOMEM;
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = cfg->eval_episodes > 0 ? cfg->eval_episodes : 10;
  ec.seed = cfg->eval_seed;
  ec.progress = false;
  if (!mimic_env_has_expert(env)) { /* no reference to normalise by: the score is NAN */
    s->expert_return = s->random_return = NAN;
    return MIMIC_OK;
  }
  return mimic_eval_references(cfg->env_id, cfg->env_opts, &ec, &s->expert_return,
                               &s->random_return);
}

mimic_status mimic_dagger_env_run(const mimic_dagger_env_config *cfg, const mimic_bc_config *bc,
                                  mimic_model *best, mimic_dagger_round *rows, int cap,
                                  int *n_rows) {
  memset(best, 0, sizeof *best);
  if (n_rows) *n_rows = 0;
  if (cfg->n_envs < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger needs at least 1 environment copy");
  if (bc->gru_hidden || bc->tf.context) { /* the learner fits on whole rolled-out episodes */
    const char *what = bc->gru_hidden ? "a recurrent" : "a transformer";
    if (cfg->query.kind != MIMIC_QUERY_ALL)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "%s learner fits on whole episodes: use --query all (a rule that labels "
                        "some states leaves holes in them)",
                        what);
    if (cfg->cap > 0)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "%s learner fits on whole episodes: a cap (reservoir) would cut them",
                        what);
    if (mimic_comm_parallel(cfg->comm))
      return mimic_fail(MIMIC_ERR_INVALID, "%s learner trains on one process only", what);
  }
  if (cfg->min_steps < 1 || cfg->min_episodes < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "each round needs at least 1 step");
  if (cfg->epochs < 1) return mimic_fail(MIMIC_ERR_INVALID, "BC needs at least 1 epoch per round");
  if (mimic_comm_parallel(cfg->comm) && cfg->comm->rank > 0) { /* rolls out; rank 0 learns */
    dagger_dist x;
    mimic_status st = dagger_dist_open(&x, cfg->comm, cfg, NULL);
    if (!st) st = dagger_dist_serve(&x);
    dagger_dist_close(&x);
    return st;
  }
  source s = {.cfg = cfg, .best_round = -1, .best_return = -INFINITY};
  mimic_labelstore *store = NULL;
  mimic_dagger *d = NULL;
  char *learner_path = NULL, *log_path = NULL, *set = NULL;
  mimic_status st = setup(&s, cfg, bc);
  if (!st && cfg->work_dir) {
    st = mimic_mkdirs(cfg->work_dir);
    learner_path = mimic_path_join(cfg->work_dir, "learner.mimic");
    s.best_path = mimic_path_join(cfg->work_dir, "best.mimic");
    log_path = mimic_path_join(cfg->work_dir, "labels.sqlite");
    s.labels_path = mimic_path_join(cfg->work_dir, "labels");
    if (!st && (!learner_path || !s.best_path || !log_path || !s.labels_path)) st = MIMIC_ERR_NOMEM;
    if (!st) st = mimic_labelstore_open(log_path, NULL, &store);
  }
  if (!st && !(set = settings(cfg, bc))) st = MIMIC_ERR_NOMEM;
  mimic_dagger_config dc = {.rounds = cfg->rounds,
                            .beta = cfg->beta,
                            .query = cfg->query,
                            .seed = cfg->seed,
                            .learner = s.learner,
                            .expert = s.expert,
                            .cap = cfg->cap,
                            .store = store,
                            .session = "dagger",
                            .session_kind = "dagger-env",
                            .settings = set,
                            .learner_path = learner_path,
                            .progress = cfg->progress,
                            .on_round = cfg->on_round,
                            .user = cfg->user};
  mimic_dagger_source src = {.ctx = &s,
                             .gather = gather,
                             .restore = restore,
                             .evaluate = evaluate,
                             .end_round = end_round,
                             .resume = resume};
  if (!st) {
    st = mimic_dagger_open(&dc, &src, &d);
    if (st && cfg->work_dir) /* the folder is what a user renames or removes */
      mimic_errctx("work folder %s", cfg->work_dir);
  }
  if (!st && cfg->work_dir && mimic_dagger_resumed(d))
    MIMIC_INFO("dagger: resuming the run in %s", cfg->work_dir);
  if (!st) st = mimic_dagger_run(d, rows, cap, n_rows);
  if (!st && s.dist.comm) st = dagger_dist_stop(&s.dist);
  if (!st && !s.best_bytes) { /* no evaluation: the last learner is the result */
    if (mimic_bc_learner_model(s.learner))
      st = mimic_model_encode(mimic_bc_learner_model(s.learner), &s.best_bytes, &s.best_len);
    else
      st = mimic_fail(MIMIC_ERR_INVALID, "DAgger trained no learner");
  }
  if (!st) st = mimic_model_decode(s.best_bytes, s.best_len, "the best learner", NULL, 1, best);
  mimic_dagger_close(d);
  mimic_labelstore_close(store);
  source_free(&s);
  free(learner_path);
  free(log_path);
  free(set);
  return st;
}
