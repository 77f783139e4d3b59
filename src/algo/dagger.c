/* The DAgger driver: beta schedules and the round loop.
 *
 * Everything specific to a domain (how states are produced, who the expert
 * is, what "fit" means) sits behind mimic_dagger_ops; this file only
 * decides how much the expert acts, which candidates it is asked about and
 * in what order (the rules are query.c's), and keeps the books. Selection
 * is deterministic: RANDOM draws from a generator seeded per round, so a
 * resumed run asks the same questions. */
#include "mimic/dagger.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mimic_status mimic_beta_parse(const char *text, mimic_beta_schedule *out) {
  const char *colon = strchr(text, ':');
  size_t len = colon ? (size_t)(colon - text) : strlen(text);
  char *end = NULL;
  double v = colon ? strtod(colon + 1, &end) : NAN;
  bool has_value = colon && end && end != colon + 1 && *end == '\0';
  if (colon && !has_value)
    return mimic_fail(MIMIC_ERR_INVALID, "beta schedule '%s': bad number after ':'", text);
  if (len == 6 && strncmp(text, "linear", 6) == 0) {
    if (has_value && !(v >= 1))
      return mimic_fail(MIMIC_ERR_INVALID, "beta schedule '%s': R must be >= 1", text);
    *out = (mimic_beta_schedule){MIMIC_BETA_LINEAR, has_value ? v : 15};
  } else if ((len == 3 && strncmp(text, "exp", 3) == 0) ||
             (len == 11 && strncmp(text, "exponential", 11) == 0)) {
    if (!has_value || !(v >= 0 && v <= 1))
      return mimic_fail(MIMIC_ERR_INVALID, "beta schedule '%s': exp needs p in [0, 1] (exp:0.5)",
                        text);
    *out = (mimic_beta_schedule){MIMIC_BETA_EXPONENTIAL, v};
  } else if (len == 9 && strncmp(text, "indicator", 9) == 0) {
    if (colon)
      return mimic_fail(MIMIC_ERR_INVALID, "beta schedule '%s': indicator takes no value", text);
    *out = (mimic_beta_schedule){MIMIC_BETA_INDICATOR, 0};
  } else if (len == 8 && strncmp(text, "constant", 8) == 0) {
    if (!has_value || !(v >= 0 && v <= 1))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "beta schedule '%s': constant needs c in [0, 1] (constant:0.5)", text);
    *out = (mimic_beta_schedule){MIMIC_BETA_CONSTANT, v};
  } else {
    return mimic_fail(MIMIC_ERR_INVALID,
                      "unknown beta schedule '%s' (use linear[:R], exp:p, indicator or constant:c)",
                      text);
  }
  return MIMIC_OK;
}

double mimic_beta_at(const mimic_beta_schedule *s, int round) {
  switch (s->kind) {
  case MIMIC_BETA_LINEAR: {
    double b = 1.0 - (double)round / s->param;
    return b < 0 ? 0 : b > 1 ? 1 : b;
  }
  case MIMIC_BETA_EXPONENTIAL: return pow(s->param, round);
  case MIMIC_BETA_INDICATOR: return round == 0 ? 1.0 : 0.0;
  case MIMIC_BETA_CONSTANT: return s->param;
  }
  return 0;
}

void mimic_beta_format(const mimic_beta_schedule *s, char *buf, size_t cap) {
  switch (s->kind) {
  case MIMIC_BETA_LINEAR: snprintf(buf, cap, "linear:%g", s->param); break;
  case MIMIC_BETA_EXPONENTIAL: snprintf(buf, cap, "exp:%g", s->param); break;
  case MIMIC_BETA_INDICATOR: snprintf(buf, cap, "indicator"); break;
  case MIMIC_BETA_CONSTANT: snprintf(buf, cap, "constant:%g", s->param); break;
  }
}

mimic_status mimic_dagger_run(const mimic_dagger_config *cfg, const mimic_dagger_ops *ops,
                              mimic_dagger_round *rows, int cap, int *n_rows) {
  if (n_rows) *n_rows = 0;
  if (cfg->rounds < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger needs at least 1 round, got %d", cfg->rounds);
  if (!ops->gather || !ops->label || !ops->fit)
    return mimic_fail(MIMIC_ERR_INVALID, "DAgger ops need gather, label and fit");
  int first = 0;
  size_t answered = 0; /* answers the first round already holds */
  if (ops->resume) MIMIC_TRY(ops->resume(ops->ctx, &first, &answered));
  if (first > 0) MIMIC_INFO("dagger: resuming at round %d of %d", first + 1, cfg->rounds);
  double *scores = NULL;
  size_t *chosen = NULL, scratch = 0;
  mimic_status st = MIMIC_OK;
  for (int round = first; round < cfg->rounds && st == MIMIC_OK; round++) {
    double t0 = mimic_now();
    long queries_before = ops->expert_queries ? ops->expert_queries(ops->ctx) : 0;
    mimic_dagger_round row = {.round = round, .beta = mimic_beta_at(&cfg->beta, round)};
    size_t n = 0;
    const bool *labeled = NULL;
    st = ops->gather(ops->ctx, round, row.beta, &n, &labeled);
    if (st) break;
    row.candidates = n;
    if (n > scratch) {
      free(scores);
      free(chosen);
      scores = malloc(n * sizeof *scores);
      chosen = malloc(n * sizeof *chosen);
      if (!scores || !chosen) {
        st = mimic_fail_nomem("DAgger candidate lists");
        break;
      }
      scratch = n;
    }
    if (n > 0 && cfg->query.kind != MIMIC_QUERY_ALL && cfg->query.kind != MIMIC_QUERY_RANDOM) {
      if (!ops->uncertainty) {
        st =
            mimic_fail(MIMIC_ERR_INVALID,
                       "this learner gives no confidence, so only 'all' and 'random' queries work");
        break;
      }
      st = ops->uncertainty(ops->ctx, cfg->query.kind, scores, n);
      if (st) break;
    }
    mimic_rng rng;
    mimic_rng_seed(&rng, cfg->seed * 1000003u + (uint64_t)round);
    mimic_query_rule rule = cfg->query;
    if (round == first && answered > 0 && rule.k > 0)
      rule.k = rule.k > (long)answered ? rule.k - (long)answered : 0;
    size_t k = n && !(cfg->query.k > 0 && rule.k == 0)
                   ? mimic_query_select(&rule, scores, labeled, n, &rng, chosen)
                   : 0;
    for (size_t j = 0; j < k; j++) {
      bool added = false;
      st = ops->label(ops->ctx, chosen[j], &added);
      if (st) break;
      row.queried += added;
    }
    if (st) break;
    st = ops->fit(ops->ctx, round);
    if (st) break;
    if (ops->evaluate) {
      st = ops->evaluate(ops->ctx, round, &row);
      if (st) break;
    }
    if (ops->end_round) {
      st = ops->end_round(ops->ctx, round);
      if (st) break;
    }
    row.dataset_size = ops->dataset_size ? ops->dataset_size(ops->ctx) : 0;
    if (ops->expert_queries) { /* labels made while gathering count too */
      row.expert_queries = ops->expert_queries(ops->ctx);
      row.queried = (size_t)(row.expert_queries - queries_before);
    } else {
      row.expert_queries = (long)row.queried;
    }
    row.seconds = mimic_now() - t0;
    if (rows && n_rows && *n_rows < cap) rows[(*n_rows)++] = row;
    if (cfg->on_round) cfg->on_round(&row, cfg->user);
  }
  free(scores);
  free(chosen);
  return st;
}
