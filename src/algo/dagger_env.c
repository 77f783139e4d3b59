/* DAgger in environments: the plug-in that feeds the driver (dagger.c)
 * rollouts of the beta-mixture and turns expert answers into training data.
 *
 * A round rolls out N copies side by side until it has at least min_steps
 * steps and min_episodes finished episodes. In every state the learner
 * proposes an action with a confidence; with probability beta the expert
 * acts instead (and so labels that state). Which other states the expert
 * labels depends on the query rule:
 *   all        every visited state, at the moment it is visited;
 *   uncertain  states where the learner's confidence is below a threshold,
 *              at the moment (with defer, the expert's action is also taken);
 *   top-k      after the round, the k states the learner was least sure of
 *              (built-in experts answer from a snapshot taken during the
 *              rollout; programs answer from the observation).
 * Labeled states join an in-memory pool, capped by reservoir sampling when
 * cap is set, and, when a work folder is given, a Minari dataset on disk in
 * which each run of consecutive labeled steps is an episode. The learner is
 * refit with warm start after every round and evaluated on fixed seeds.
 *
 * Resuming is exact. Every round starts from fresh resets seeded by the
 * round number, so a round is a pure function of the learner (saved after
 * every round) and the expert's answers. Answers from experts that are not
 * built in (a program, a person) are journaled one by one, fsynced before
 * the next question; a run killed mid-round replays that round, takes the
 * journaled answers instead of asking again, and goes on asking from the
 * first unanswered state. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mimic/bc.h"
#include "mimic/dagger.h"
#include "mimic/data.h"
#include "mimic/evaluate.h"
#include "mimic/policy.h"
#include "mimic/rollout.h"

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

/* What one round visited, step by step (row r = tick * N + copy). */
typedef struct round_log {
  size_t n, cap;
  float *obs, *next_obs; /* (cap, od) */
  float *label;          /* (cap, aw) expert answer; NAN row = none yet */
  float *snapshot;       /* (cap, aw) built-in expert's answer, not yet counted as a query */
  double *rew;
  uint8_t *term, *trunc;
  bool *labeled;
} round_log;

/* One journaled answer: which round, which question, a checksum of the
 * state it answered (to refuse a replay into a different rollout). */
typedef struct answer {
  uint32_t round, seq, obs_crc, record_crc;
  float action[8];
} answer;

typedef struct ctx {
  const mimic_dagger_env_config *cfg;
  mimic_bc_config bc;
  mimic_rollout roll; /* the copies, stepped side by side */
  int n, od, aw;
  int n_actions; /* 0 for continuous actions */
  mimic_policy *expert;
  bool expert_builtin;
  mimic_policy *learner; /* wraps model once it exists */
  mimic_model *model;    /* owned by learner */
  mimic_policy *random;  /* acts for the learner before its first fit */
  mimic_data_space os, as;
  round_log log;
  /* the aggregate of labeled states, capped by reservoir sampling */
  float *pool_obs, *pool_act;
  size_t pool_n, pool_cap;
  uint64_t pool_seen;
  mimic_rng pool_rng, roll_rng;
  long expert_queries;
  /* the answer journal of the round in progress (non-built-in experts) */
  FILE *journal;
  struct answer *replay; /* journaled answers of the round being resumed */
  size_t n_replay, next_replay;
  int replay_round;
  uint32_t seq; /* questions asked this round */
  /* durable storage */
  mimic_dataset_writer *writer;
  size_t committed_episodes;
  double best_return;
  int best_round;
  double expert_return, random_return;
  uint8_t *best_bytes;
  size_t best_len;
} ctx;

static float *row(float *base, size_t r, int width) { return base + r * (size_t)width; }

static mimic_status log_reserve(ctx *c, size_t need) {
  round_log *l = &c->log;
  if (need <= l->cap) return MIMIC_OK;
  size_t cap = l->cap ? l->cap : 1024;
  while (cap < need) cap *= 2;
#define GROW(field, count)                                                                         \
  do {                                                                                             \
    void *p =                                                                                      \
        mimic_realloc(l->field, cap * (size_t)(count), sizeof *l->field, "the round's states");    \
    if (!p) return MIMIC_ERR_NOMEM;                                                                \
    l->field = p;                                                                                  \
  } while (0)
  GROW(obs, c->od);
  GROW(next_obs, c->od);
  GROW(label, c->aw);
  GROW(snapshot, c->aw);
  GROW(rew, 1);
  GROW(term, 1);
  GROW(trunc, 1);
  GROW(labeled, 1);
#undef GROW
  l->cap = cap;
  return MIMIC_OK;
}

/* Adds one labeled state to the pool (reservoir sampling beyond the cap). */
static mimic_status pool_add(ctx *c, const float *obs, const float *act) {
  c->pool_seen++;
  size_t slot;
  if (c->cfg->cap <= 0 || c->pool_n < (size_t)c->cfg->cap) {
    if (c->pool_n == c->pool_cap) {
      size_t cap = c->pool_cap ? c->pool_cap * 2 : 4096;
      if (c->cfg->cap > 0 && cap > (size_t)c->cfg->cap) cap = (size_t)c->cfg->cap;
      float *o =
          mimic_realloc(c->pool_obs, cap * (size_t)c->od, sizeof(float), "the labeled states");
      if (!o) return MIMIC_ERR_NOMEM;
      c->pool_obs = o;
      float *a =
          mimic_realloc(c->pool_act, cap * (size_t)c->aw, sizeof(float), "the labeled states");
      if (!a) return MIMIC_ERR_NOMEM;
      c->pool_act = a;
      c->pool_cap = cap;
    }
    slot = c->pool_n++;
  } else {
    uint64_t j = (uint64_t)mimic_rng_integers(&c->pool_rng, 0, (int64_t)c->pool_seen);
    if (j >= (uint64_t)c->cfg->cap) return MIMIC_OK; /* not kept */
    slot = (size_t)j;
  }
  memcpy(row(c->pool_obs, slot, c->od), obs, (size_t)c->od * sizeof(float));
  memcpy(row(c->pool_act, slot, c->aw), act, (size_t)c->aw * sizeof(float));
  return MIMIC_OK;
}

/* Asks the expert about one state: online (envs in that state) or from the
 * observation; hint is the learner's proposal (shown to people), may be NULL. */
static mimic_status ask_expert(ctx *c, const float *obs, mimic_env **env, const float *hint,
                               const float *hint_conf, float *out) {
  uint32_t seq = c->seq++;
  uint32_t crc = mimic_crc32(0, obs, (size_t)c->od * sizeof *obs);
  if (c->next_replay < c->n_replay) { /* answered before the run was killed */
    const answer *a = &c->replay[c->next_replay];
    if (a->seq != seq || a->obs_crc != crc)
      return mimic_fail(MIMIC_ERR_FORMAT,
                        "the answer journal does not match this run (question %u of round %u)", seq,
                        a->round + 1);
    memcpy(out, a->action, (size_t)c->aw * sizeof *out);
    c->next_replay++;
    c->expert_queries++;
    return MIMIC_OK;
  }
  mimic_act_batch b = {.n = 1,
                       .obs = obs,
                       .envs = env,
                       .actions = out,
                       .deterministic = true,
                       .hint = hint,
                       .hint_confidence = hint_conf};
  MIMIC_TRY(mimic_policy_act(c->expert, &b));
  c->expert_queries++;
  if (c->journal) { /* on disk before the next question */
    answer a = {.round = (uint32_t)c->replay_round, .seq = seq, .obs_crc = crc};
    memcpy(a.action, out, (size_t)c->aw * sizeof *out);
    a.record_crc = mimic_crc32(0, &a, offsetof(answer, record_crc));
    if (fwrite(&a, sizeof a, 1, c->journal) != 1 || fflush(c->journal) != 0 ||
        fsync(fileno(c->journal)) != 0)
      return mimic_fail(MIMIC_ERR_IO, "cannot journal the expert's answer");
  }
  return MIMIC_OK;
}

static char *work_path(const ctx *c, const char *name) {
  return mimic_path_join(c->cfg->work_dir, name);
}

/* Opens the answer journal for round (keeping answers already given in it). */
static mimic_status begin_journal(ctx *c, int round) {
  c->seq = 0;
  if (c->replay_round != round) { /* answers journaled for another round are not this round's */
    c->n_replay = c->next_replay = 0;
  }
  c->replay_round = round;
  if (c->journal) fclose(c->journal);
  c->journal = NULL;
  if (!c->cfg->work_dir || c->expert_builtin) return MIMIC_OK;
  char *path = work_path(c, "answers.journal");
  if (!path) return MIMIC_ERR_NOMEM;
  /* rewrite the replayed answers first, so the journal is exactly this round's */
  mimic_atomic_file f;
  mimic_status st = mimic_atomic_open(&f, path);
  if (st == MIMIC_OK && c->n_replay &&
      fwrite(c->replay, sizeof *c->replay, c->n_replay, f.fp) != c->n_replay) {
    mimic_atomic_abort(&f);
    st = mimic_fail(MIMIC_ERR_IO, "%s: cannot write", path);
  } else if (st == MIMIC_OK) {
    st = mimic_atomic_commit(&f);
  }
  if (st == MIMIC_OK && !(c->journal = fopen(path, "ab")))
    st = mimic_fail(MIMIC_ERR_IO, "%s: cannot open for appending", path);
  free(path);
  return st;
}

/* Reads the journaled answers of round (stopping at a torn or damaged record). */
static mimic_status load_journal(ctx *c, int round) {
  char *path = work_path(c, "answers.journal");
  if (!path) return MIMIC_ERR_NOMEM;
  c->n_replay = c->next_replay = 0;
  c->replay_round = round;
  if (!mimic_path_exists(path)) {
    free(path);
    return MIMIC_OK;
  }
  char *buf;
  size_t len;
  mimic_status st = mimic_read_file(path, &buf, &len);
  free(path);
  if (st) return st;
  size_t n = len / sizeof(answer);
  c->replay = mimic_calloc(n ? n : 1, sizeof(answer), "journaled answers");
  if (!c->replay) {
    free(buf);
    return MIMIC_ERR_NOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    answer a;
    memcpy(&a, buf + i * sizeof a, sizeof a);
    if (a.record_crc != mimic_crc32(0, &a, offsetof(answer, record_crc)) || a.seq != i)
      break; /* a torn tail */
    if (a.round != (uint32_t)round) break;
    c->replay[c->n_replay++] = a;
  }
  free(buf);
  if (c->n_replay)
    MIMIC_INFO("dagger: %zu answers of round %d come from the journal", c->n_replay, round + 1);
  return MIMIC_OK;
}

static mimic_status gather(void *vc, int round, double beta, size_t *n_out, const bool **labeled) {
  ctx *c = vc;
  const mimic_dagger_env_config *cfg = c->cfg;
  /* every round from fresh resets seeded by the round: rounds replay exactly */
  mimic_rollout *ro = &c->roll;
  MIMIC_TRY(mimic_rollout_reset(ro, cfg->seed + 100003u * (uint64_t)round));
  mimic_rng_seed(&c->roll_rng, cfg->seed * 7919u + (uint64_t)round);
  MIMIC_TRY(begin_journal(c, round));
  c->log.n = 0;
  long steps = 0;
  int episodes = 0;
  bool online_all = cfg->query.kind == MIMIC_QUERY_ALL;
  bool online_uncertain = cfg->query.kind == MIMIC_QUERY_UNCERTAIN;
  mimic_policy *learner = c->learner ? c->learner : c->random;
  mimic_progress bar;
  char label[32];
  snprintf(label, sizeof label, "round %d rollouts", round + 1);
  mimic_progress_begin(&bar, label, "step", (uint64_t)cfg->min_steps);
  if (!cfg->progress) bar.active = false;
  while (steps < cfg->min_steps || episodes < cfg->min_episodes) {
    MIMIC_TRY(log_reserve(c, c->log.n + (size_t)c->n));
    MIMIC_TRY(mimic_rollout_act(ro, learner, true, &c->roll_rng));
    for (int i = 0; i < c->n; i++) {
      size_t r = c->log.n + (size_t)i;
      const float *o = row(ro->obs, (size_t)i, c->od);
      float *lab = row(c->log.label, r, c->aw), *snap = row(c->log.snapshot, r, c->aw);
      float *act = row(ro->actions, (size_t)i, c->aw); /* the learner's, until the expert acts */
      memcpy(row(c->log.obs, r, c->od), o, (size_t)c->od * sizeof(float));
      c->log.labeled[r] = false;
      snap[0] = NAN;
      bool expert_acts = beta > 0 && mimic_rng_double(&c->roll_rng) < beta;
      bool unsure = online_uncertain && ro->confidence[i] < cfg->query.threshold;
      if (expert_acts || online_all || unsure) {
        MIMIC_TRY(ask_expert(c, o, &ro->envs[i], act, &ro->confidence[i], lab));
        c->log.labeled[r] = true;
        if (expert_acts || (unsure && cfg->defer)) memcpy(act, lab, (size_t)c->aw * sizeof(float));
      } else if (c->expert_builtin) {
        mimic_act_batch sb = {
            .n = 1, .obs = o, .envs = &ro->envs[i], .actions = snap, .deterministic = true};
        MIMIC_TRY(mimic_policy_act(c->expert, &sb)); /* a snapshot, counted only if asked */
      }
    }
    MIMIC_TRY(mimic_rollout_step(ro));
    for (int i = 0; i < c->n; i++) {
      size_t r = c->log.n + (size_t)i;
      bool done = ro->terminated[i] || ro->truncated[i];
      memcpy(row(c->log.next_obs, r, c->od), row(done ? ro->final_obs : ro->obs, (size_t)i, c->od),
             (size_t)c->od * sizeof(float));
      c->log.rew[r] = ro->reward[i];
      c->log.term[r] = ro->terminated[i];
      c->log.trunc[r] = ro->truncated[i];
    }
    episodes += ro->n_end;
    c->log.n += (size_t)c->n;
    steps += c->n;
    mimic_progress_update(&bar, (uint64_t)steps);
  }
  mimic_progress_end(&bar);
  *n_out = c->log.n;
  *labeled = c->log.labeled;
  return MIMIC_OK;
}

static mimic_status uncertainty(void *vc, mimic_query_kind kind, double *scores, size_t n) {
  ctx *c = vc;
  if (!c->model) { /* before the first fit every state is equally unknown */
    for (size_t i = 0; i < n; i++) scores[i] = 1.0;
    return MIMIC_OK;
  }
  const int K = c->n_actions, chunk = 256;
  float *probs = mimic_malloc((size_t)chunk * (size_t)K * sizeof(float), "probabilities");
  if (!probs) return MIMIC_ERR_NOMEM;
  mimic_status st = mimic_model_reserve(c->model, chunk);
  for (size_t off = 0; st == MIMIC_OK && off < n; off += (size_t)chunk) {
    int b = n - off < (size_t)chunk ? (int)(n - off) : chunk;
    st = mimic_model_forward(c->model, row(c->log.obs, off, c->od), b);
    if (st) break;
    mimic_cat_probs(c->model->actor.out, b, K, probs);
    for (int i = 0; i < b; i++) {
      const float *p = probs + (size_t)i * (size_t)K;
      double top = 0, second = 0, ent = 0;
      for (int k = 0; k < K; k++) {
        if (p[k] > top)
          second = top, top = p[k];
        else if (p[k] > second)
          second = p[k];
        if (p[k] > 0) ent -= p[k] * log(p[k]);
      }
      double s = kind == MIMIC_QUERY_MARGIN    ? 1.0 - (top - second)
                 : kind == MIMIC_QUERY_ENTROPY ? ent
                                               : 1.0 - top;
      scores[off + (size_t)i] = s;
    }
  }
  free(probs);
  return st;
}

static mimic_status label(void *vc, size_t i, bool *added) {
  ctx *c = vc;
  float *lab = row(c->log.label, i, c->aw), *snap = row(c->log.snapshot, i, c->aw);
  if (c->expert_builtin && !isnan(snap[0])) {
    memcpy(lab, snap, (size_t)c->aw * sizeof(float));
    c->expert_queries++;
  } else {
    MIMIC_TRY(ask_expert(c, row(c->log.obs, i, c->od), NULL, NULL, NULL, lab));
  }
  c->log.labeled[i] = true;
  *added = true;
  return MIMIC_OK;
}

static mimic_status fit(void *vc, int round) {
  ctx *c = vc;
  if (c->pool_n == 0)
    return mimic_fail(MIMIC_ERR_INVALID, "round %d gave the expert nothing to label", round + 1);
  /* BC reads the pool in place: no dataset copy per round */
  mimic_transitions t = {.n = c->pool_n,
                         .obs_dim = c->od,
                         .act_dim = c->aw,
                         .act_space = &c->as.space,
                         .obs = c->pool_obs,
                         .act = c->pool_act};
  mimic_status st = MIMIC_OK;
  mimic_bc_config bc = c->bc;
  bc.seed = c->bc.seed + (uint64_t)round;
  if ((size_t)bc.batch_size > t.n) bc.batch_size = (int)t.n; /* tiny first rounds */
  if (!c->model) {
    mimic_model m;
    st = mimic_bc_model_create(&bc, &t, &m);
    if (st == MIMIC_OK) /* the spaces in its metadata make learner.mimic a policy file */
      st = mimic_policy_describe_model(&m, c->cfg->env_id, &c->os.space, &c->as.space,
                                       "{\"algorithm\": \"dagger\"}");
    if (st == MIMIC_OK) st = mimic_policy_from_model(&m, &c->as.space, &c->learner);
    if (st == MIMIC_OK)
      c->model = mimic_policy_model(c->learner);
    else
      mimic_model_free(&m);
  }
  mimic_bc_report rep = {0};
  if (st == MIMIC_OK) st = mimic_bc_fit(&bc, &t, c->model, &rep);
  mimic_bc_report_free(&rep);
  return st;
}

static mimic_status evaluate(void *vc, int round, mimic_dagger_round *r) {
  ctx *c = vc;
  if (c->cfg->eval_episodes <= 0) return MIMIC_OK;
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = c->cfg->eval_episodes;
  ec.seed = c->cfg->eval_seed;
  ec.normalize = false;
  ec.progress = false;
  ec.sample = c->cfg->eval_sample;
  mimic_eval_result res;
  MIMIC_TRY(mimic_evaluate(c->learner, c->cfg->env_id, c->cfg->env_opts, &ec, &res));
  r->n_metrics = 3;
  r->metric_names[0] = "return";
  r->metrics[0] = res.return_mean;
  r->metric_names[1] = "normalized";
  double span = c->expert_return - c->random_return;
  r->metrics[1] = fabs(span) > 1e-12 ? (res.return_mean - c->random_return) / span : NAN;
  r->metric_names[2] = "success";
  r->metrics[2] = res.success_rate;
  mimic_eval_result_free(&res);
  if (c->best_round < 0 || r->metrics[0] > c->best_return) {
    c->best_return = r->metrics[0];
    c->best_round = round;
    free(c->best_bytes);
    c->best_bytes = NULL;
    MIMIC_TRY(mimic_model_encode(c->model, &c->best_bytes, &c->best_len));
  }
  return MIMIC_OK;
}

/* Writes one run of consecutive labeled steps as a dataset episode. */
static mimic_status append_run(ctx *c, mimic_episode_buf *ep) {
  mimic_episode v = mimic_episode_buf_view(ep);
  return mimic_dataset_writer_append(c->writer, &v);
}

/* Appends the round's runs of consecutive labeled steps as dataset episodes. */
static mimic_status store_round(ctx *c) {
  mimic_episode_buf ep;
  MIMIC_TRY(mimic_episode_buf_init(&ep, c->od, c->aw));
  mimic_status st = MIMIC_OK;
  size_t ticks = c->log.n / (size_t)c->n;
  for (int i = 0; i < c->n && st == MIMIC_OK; i++) {
    bool open = false;
    for (size_t t = 0; t < ticks && st == MIMIC_OK; t++) {
      size_t r = t * (size_t)c->n + (size_t)i;
      if (!c->log.labeled[r]) {
        if (open) st = append_run(c, &ep);
        open = false;
        continue;
      }
      if (!open) {
        st = mimic_episode_buf_reset(&ep, row(c->log.obs, r, c->od), MIMIC_NO_SEED);
        open = true;
      }
      if (st == MIMIC_OK)
        st = mimic_episode_buf_step(&ep, row(c->log.label, r, c->aw), c->log.rew[r], c->log.term[r],
                                    c->log.trunc[r], row(c->log.next_obs, r, c->od));
      if (st == MIMIC_OK && (c->log.term[r] || c->log.trunc[r])) {
        st = append_run(c, &ep);
        open = false;
      }
    }
    if (open && st == MIMIC_OK) st = append_run(c, &ep);
  }
  mimic_episode_buf_free(&ep);
  return st;
}

static mimic_status save_state(ctx *c, int round) {
  char *learner = work_path(c, "learner.mimic"), *best = work_path(c, "best.mimic"),
       *state = work_path(c, "state.json");
  mimic_status st = learner && best && state ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (st == MIMIC_OK) st = mimic_model_save(c->model, learner);
  if (st == MIMIC_OK && c->best_bytes)
    st = mimic_write_file_atomic(best, c->best_bytes, c->best_len);
  if (st == MIMIC_OK) {
    json_t *j = json_pack("{s:i, s:I, s:I, s:I, s:f, s:i, s:f, s:f}", "rounds_done", round + 1,
                          "expert_queries", (json_int_t)c->expert_queries, "episodes",
                          (json_int_t)c->committed_episodes, "pool_seen", (json_int_t)c->pool_seen,
                          "best_return", isfinite(c->best_return) ? c->best_return : 0.0,
                          "best_round", c->best_round, "expert_return", c->expert_return,
                          "random_return", c->random_return);
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    st = text ? mimic_write_file_atomic(state, text, strlen(text))
              : mimic_fail_nomem("the DAgger state");
    free(text);
    json_decref(j);
  }
  free(learner);
  free(best);
  free(state);
  return st;
}

static size_t dataset_size(void *vc) { return ((ctx *)vc)->pool_n; }
static long expert_queries(void *vc) { return ((ctx *)vc)->expert_queries; }

/* Labels must reach the pool before fit: the driver calls fit before
 * end_round, so the pool takes this round's labels here. */
static mimic_status fit_with_round(void *vc, int round) {
  ctx *c = vc;
  /* copy by copy, step by step: the order store_round writes and resume reads */
  size_t ticks = c->log.n / (size_t)c->n;
  for (int i = 0; i < c->n; i++)
    for (size_t t = 0; t < ticks; t++) {
      size_t r = t * (size_t)c->n + (size_t)i;
      if (c->log.labeled[r])
        MIMIC_TRY(pool_add(c, row(c->log.obs, r, c->od), row(c->log.label, r, c->aw)));
    }
  return fit(vc, round);
}

static mimic_status end_round_stored(void *vc, int round) {
  ctx *c = vc;
  c->n_replay = c->next_replay = 0;
  if (!c->cfg->work_dir) return MIMIC_OK;
  MIMIC_TRY(store_round(c));
  MIMIC_TRY(mimic_dataset_writer_commit(c->writer));
  c->committed_episodes = mimic_dataset_writer_episodes(c->writer);
  MIMIC_TRY(save_state(c, round));
  if (c->journal) { /* the round is durable: its answers need no journal any more */
    fclose(c->journal);
    c->journal = NULL;
    char *path = work_path(c, "answers.journal");
    mimic_status st = path ? mimic_write_file_atomic(path, "", 0) : MIMIC_ERR_NOMEM;
    free(path);
    return st;
  }
  return MIMIC_OK;
}

/* Reloads a work folder: the finished rounds' data (a partial round's
 * episodes are dropped), the learner, the best learner and the counters. */
static mimic_status resume(void *vc, int *first, size_t *answered) {
  ctx *c = vc;
  *first = 0;
  *answered = 0;
  if (!c->cfg->work_dir) return MIMIC_OK;
  char *state = work_path(c, "state.json"), *data = work_path(c, "labels");
  mimic_status st = state && data ? MIMIC_OK : MIMIC_ERR_NOMEM;
  json_t *j = NULL;
  if (st == MIMIC_OK && mimic_path_exists(state)) {
    json_error_t err;
    j = json_load_file(state, 0, &err);
    if (!json_is_object(j)) st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s", state, err.text);
  }
  if (st == MIMIC_OK && j) {
    int rounds_done = (int)json_integer_value(json_object_get(j, "rounds_done"));
    size_t episodes = (size_t)json_integer_value(json_object_get(j, "episodes"));
    c->expert_queries = (long)json_integer_value(json_object_get(j, "expert_queries"));
    c->best_return = json_number_value(json_object_get(j, "best_return"));
    c->best_round = (int)json_integer_value(json_object_get(j, "best_round"));
    mimic_dataset ds;
    st = mimic_dataset_load(data, &ds);
    if (st == MIMIC_OK && ds.n_episodes < episodes)
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: holds %zu episodes, but %s says %zu", data,
                      ds.n_episodes, state, episodes);
    if (st == MIMIC_OK && ds.n_episodes > episodes) { /* a killed round left some: drop them */
      mimic_dataset kept;
      st = mimic_dataset_init(&kept, &ds.obs_space, &ds.act_space);
      for (size_t e = 0; st == MIMIC_OK && e < episodes; e++) {
        mimic_episode ep = mimic_dataset_episode(&ds, e);
        st = mimic_dataset_add_episode(&kept, &ep);
      }
      if (st == MIMIC_OK) {
        mimic_dataset_meta_copy(&kept.meta, &ds.meta);
        mimic_write_opts wo = mimic_write_opts_default();
        wo.overwrite = true;
        st = mimic_dataset_save(&kept, data, &wo);
      }
      mimic_dataset_free(&ds);
      ds = kept;
    }
    for (size_t s = 0; st == MIMIC_OK && s < ds.n_steps; s++)
      st = pool_add(c, mimic_dataset_step_obs(&ds, s), mimic_dataset_step_act(&ds, s));
    mimic_dataset_free(&ds);
    char *learner = work_path(c, "learner.mimic"), *best = work_path(c, "best.mimic");
    if (st == MIMIC_OK && (!learner || !best)) st = MIMIC_ERR_NOMEM;
    if (st == MIMIC_OK) { /* the saved learner replaces any initial one */
      mimic_policy_free(c->learner);
      c->learner = NULL;
      c->model = NULL;
      st = mimic_policy_load(learner, &c->learner);
    }
    if (st == MIMIC_OK) c->model = mimic_policy_model(c->learner);
    if (st == MIMIC_OK && mimic_path_exists(best)) {
      char *bytes;
      size_t len;
      st = mimic_read_file(best, &bytes, &len);
      if (st == MIMIC_OK) {
        c->best_bytes = (uint8_t *)bytes;
        c->best_len = len;
      }
    }
    free(learner);
    free(best);
    c->committed_episodes = episodes;
    *first = rounds_done;
  }
  if (st == MIMIC_OK && !j && mimic_path_exists(data)) {
    /* labels of a run that never finished a round: start them afresh */
    mimic_dataset empty;
    st = mimic_dataset_init(&empty, &c->os, &c->as);
    if (st == MIMIC_OK) {
      mimic_write_opts wo = mimic_write_opts_default();
      wo.overwrite = true;
      st = mimic_dataset_save(&empty, data, &wo);
      mimic_dataset_free(&empty);
    }
  }
  if (st == MIMIC_OK) st = load_journal(c, *first);
  if (st == MIMIC_OK) {
    mimic_dataset_meta meta;
    mimic_dataset_meta_init(&meta);
    mimic_dataset_meta_set(&meta.env_id, c->cfg->env_id);
    mimic_dataset_meta_set(&meta.algorithm_name, "DAgger expert labels");
    mimic_dataset_meta_set(&meta.author, "mimic");
    mimic_writer_opts wo = mimic_writer_opts_default();
    st = mimic_dataset_writer_open(data, &c->os, &c->as, &meta, &wo, &c->writer);
    mimic_dataset_meta_free(&meta);
  }
  json_decref(j);
  free(state);
  free(data);
  return st;
}

/* Starts from a copy of a trained learner (a resumed run replaces it). */
static mimic_status adopt_initial_learner(ctx *c, const mimic_model *init) {
  if (init->cfg.obs_dim != c->od)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "the initial learner takes %d observation values, %s gives %d",
                      init->cfg.obs_dim, c->cfg->env_id, c->od);
  mimic_model m;
  MIMIC_TRY(mimic_model_copy(init, c->bc.batch_size, &m));
  mimic_status st = mimic_policy_describe_model(&m, c->cfg->env_id, &c->os.space, &c->as.space,
                                                "{\"algorithm\": \"dagger\"}");
  if (st == MIMIC_OK) st = mimic_policy_from_model(&m, &c->as.space, &c->learner);
  if (st) {
    mimic_model_free(&m);
    return st;
  }
  c->model = mimic_policy_model(c->learner);
  return MIMIC_OK;
}

static void ctx_free(ctx *c) {
  if (c->writer) mimic_dataset_writer_close(c->writer);
  if (c->journal) fclose(c->journal);
  free(c->replay);
  mimic_policy_free(c->learner);
  mimic_policy_free(c->random);
  mimic_policy_free(c->expert);
  mimic_rollout_close(&c->roll);
  mimic_data_space_free(&c->os);
  mimic_data_space_free(&c->as);
  round_log *l = &c->log;
  free(l->obs);
  free(l->next_obs);
  free(l->label);
  free(l->snapshot);
  free(l->rew);
  free(l->term);
  free(l->trunc);
  free(l->labeled);
  free(c->pool_obs);
  free(c->pool_act);
  free(c->best_bytes);
}

static mimic_status reference_returns(ctx *c) {
  mimic_eval_config ec = mimic_eval_defaults();
  ec.episodes = c->cfg->eval_episodes > 0 ? c->cfg->eval_episodes : 10;
  ec.seed = c->cfg->eval_seed;
  ec.progress = false;
  return mimic_eval_references(c->cfg->env_id, c->cfg->env_opts, &ec, &c->expert_return,
                               &c->random_return);
}

mimic_status mimic_dagger_env_run(const mimic_dagger_env_config *cfg, const mimic_bc_config *bc,
                                  mimic_model *best, mimic_dagger_round *rows, int cap,
                                  int *n_rows) {
  memset(best, 0, sizeof *best);
  if (cfg->n_envs < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger needs at least 1 environment copy");
  if (cfg->min_steps < 1 || cfg->min_episodes < 0)
    return mimic_fail(MIMIC_ERR_INVALID, "each round needs at least 1 step");
  if (cfg->epochs < 1) return mimic_fail(MIMIC_ERR_INVALID, "BC needs at least 1 epoch per round");
  ctx c = {.cfg = cfg,
           .bc = *bc,
           .n = cfg->n_envs,
           .best_round = -1,
           .best_return = -INFINITY,
           .replay_round = -1};
  c.bc.epochs = cfg->epochs;
  c.bc.batches = 0;
  c.bc.val_fraction = 0;
  c.bc.patience = 0;
  c.bc.progress = false;
  c.bc.log_path = c.bc.plot_path = c.bc.checkpoint_path = NULL;
  mimic_rng_seed(&c.pool_rng, cfg->seed ^ 0xda66e7ULL);
  mimic_rollout_config rc = {.n = cfg->n_envs, .seed = cfg->seed};
  mimic_status st = mimic_rollout_open(&c.roll, cfg->env_id, cfg->env_opts, &rc);
  if (st == MIMIC_OK) {
    mimic_env *env = c.roll.envs[0];
    const mimic_space *os = mimic_env_obs_space(env), *as = mimic_env_action_space(env);
    c.od = os->dim;
    c.aw = mimic_space_width(as);
    c.n_actions = as->kind == MIMIC_SPACE_DISCRETE ? as->n : 0;
    st = mimic_data_space_from_env(&c.os, os);
    if (st == MIMIC_OK) st = mimic_data_space_from_env(&c.as, as);
    if (st == MIMIC_OK) st = mimic_policy_open(cfg->expert, env, cfg->expert_timeout, &c.expert);
    if (st == MIMIC_OK) st = mimic_policy_random(as, &c.random);
    c.expert_builtin = st == MIMIC_OK && strncmp(mimic_policy_describe(c.expert), "expert", 6) == 0;
  }
  bool online_rule = cfg->query.kind == MIMIC_QUERY_ALL || cfg->query.kind == MIMIC_QUERY_UNCERTAIN;
  if (st == MIMIC_OK && !online_rule &&
      strcmp(mimic_policy_describe(c.expert), "human at the terminal") == 0)
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "a person answers in the moment: use --query all or uncertain:T");
  if (st == MIMIC_OK && cfg->query.kind != MIMIC_QUERY_ALL &&
      cfg->query.kind != MIMIC_QUERY_RANDOM && !c.n_actions)
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "confidence-based queries need discrete actions; use 'all' or 'random'");
  if (st == MIMIC_OK && cfg->work_dir && !c.expert_builtin && c.aw > 8)
    st = mimic_fail(MIMIC_ERR_INVALID,
                    "the answer journal holds actions of up to 8 values, %s has %d", cfg->env_id,
                    c.aw);
  if (st == MIMIC_OK && cfg->work_dir) st = mimic_mkdirs(cfg->work_dir);
  if (st == MIMIC_OK) st = reference_returns(&c);
  if (st == MIMIC_OK && cfg->init) st = adopt_initial_learner(&c, cfg->init);
  if (st == MIMIC_OK) {
    mimic_dagger_ops ops = {.ctx = &c,
                            .resume = resume,
                            .gather = gather,
                            .uncertainty = uncertainty,
                            .label = label,
                            .fit = fit_with_round,
                            .evaluate = evaluate,
                            .end_round = end_round_stored,
                            .dataset_size = dataset_size,
                            .expert_queries = expert_queries};
    mimic_dagger_config dc = {.rounds = cfg->rounds,
                              .beta = cfg->beta,
                              .query = cfg->query,
                              .seed = cfg->seed,
                              .on_round = cfg->on_round,
                              .user = cfg->user};
    st = mimic_dagger_run(&dc, &ops, rows, cap, n_rows);
  }
  if (st == MIMIC_OK && !c.best_bytes) { /* no evaluation: the last learner is the result */
    if (c.model)
      st = mimic_model_encode(c.model, &c.best_bytes, &c.best_len);
    else
      st = mimic_fail(MIMIC_ERR_INVALID, "DAgger trained no learner");
  }
  if (st == MIMIC_OK)
    st = mimic_model_decode(c.best_bytes, c.best_len, "the best learner", NULL, 1, best);
  ctx_free(&c);
  return st;
}
