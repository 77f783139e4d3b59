/* The driver's schedules: beta (how often the expert acts in the states
 * the learner meets), query rules (which candidate states go to the
 * expert) and the uncertainty scores the rules rank them by.
 *
 * Each rule turns a row of action probabilities into a score, larger = ask
 * the expert first: least confidence 1 - p_max (also the UNCERTAIN rule's
 * "1 - confidence"), margin 1 - (p_max - p_second), entropy -sum p ln p
 * with 0 ln 0 = 0. A state the learner knows nothing about (confidence
 * NAN) scores NAN, which selection ranks above every number. Selection is
 * deterministic: ties break by candidate index and RANDOM draws from the
 * caller's seeded generator, so a resumed loop asks the same questions. */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/dagger.h"

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

static const struct {
  const char *name;
  mimic_query_kind kind;
} query_names[] = {
    {"all", MIMIC_QUERY_ALL},
    {"uncertain", MIMIC_QUERY_UNCERTAIN},
    {"least-confident", MIMIC_QUERY_LEAST_CONFIDENT},
    {"budget", MIMIC_QUERY_LEAST_CONFIDENT},
    {"margin", MIMIC_QUERY_MARGIN},
    {"entropy", MIMIC_QUERY_ENTROPY},
    {"random", MIMIC_QUERY_RANDOM},
};

mimic_status mimic_query_parse(const char *text, mimic_query_rule *out) {
  const char *colon = strchr(text, ':');
  size_t len = colon ? (size_t)(colon - text) : strlen(text);
  int found = -1;
  for (size_t i = 0; i < sizeof query_names / sizeof query_names[0]; i++)
    if (strlen(query_names[i].name) == len && strncmp(text, query_names[i].name, len) == 0)
      found = (int)i;
  if (found < 0)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "unknown query rule '%s' (use all, uncertain:T, least-confident:K, margin:K, "
                      "entropy:K or random:K)",
                      text);
  memset(out, 0, sizeof *out);
  out->kind = query_names[found].kind;
  char *end = NULL;
  switch (out->kind) {
  case MIMIC_QUERY_ALL:
    if (colon) return mimic_fail(MIMIC_ERR_INVALID, "query rule '%s': 'all' takes no value", text);
    return MIMIC_OK;
  case MIMIC_QUERY_UNCERTAIN: {
    double t = colon ? strtod(colon + 1, &end) : NAN;
    if (!colon || end == colon + 1 || *end || !(t > 0 && t <= 1))
      return mimic_fail(MIMIC_ERR_INVALID,
                        "query rule '%s': uncertain needs a threshold in (0, 1] (uncertain:0.8)",
                        text);
    out->threshold = t;
    return MIMIC_OK;
  }
  default: {
    long k = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || end == colon + 1 || *end || k < 1)
      return mimic_fail(MIMIC_ERR_INVALID,
                        "query rule '%s': %s needs a count of items per round (%s:10)", text,
                        query_names[found].name, query_names[found].name);
    out->k = k;
    return MIMIC_OK;
  }
  }
}

void mimic_query_format(const mimic_query_rule *q, char *buf, size_t cap) {
  const char *name = "all";
  for (size_t i = 0; i < sizeof query_names / sizeof query_names[0]; i++)
    if (query_names[i].kind == q->kind) {
      name = query_names[i].name;
      break;
    }
  if (q->kind == MIMIC_QUERY_ALL)
    snprintf(buf, cap, "all");
  else if (q->kind == MIMIC_QUERY_UNCERTAIN)
    snprintf(buf, cap, "uncertain:%g", q->threshold);
  else
    snprintf(buf, cap, "%s:%ld", name, q->k);
}

/* An unknown (NaN) confidence counts as the most uncertain. */
static double query_score(const double *scores, size_t i) {
  double v = scores[i];
  return v != v ? INFINITY : v;
}

/* Candidate indices by score, highest first, ties by index. */
static int by_score_desc(const void *a, const void *b, void *scores) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  double x = query_score(scores, i), y = query_score(scores, j);
  if (x != y) return x > y ? -1 : 1;
  return i < j ? -1 : i > j;
}

size_t mimic_query_select(const mimic_query_rule *q, const double *scores,
                          const bool *already_labeled, size_t n, mimic_rng *rng, size_t *out) {
  size_t m = 0;
  if (q->kind == MIMIC_QUERY_ALL) {
    for (size_t i = 0; i < n; i++)
      if (!already_labeled || !already_labeled[i]) out[m++] = i;
    return q->k > 0 && m > (size_t)q->k ? (size_t)q->k : m;
  }
  if (q->kind == MIMIC_QUERY_RANDOM) {
    for (size_t i = 0; i < n; i++)
      if (!already_labeled || !already_labeled[i]) out[m++] = i;
    size_t k = m < (size_t)q->k ? m : (size_t)q->k;
    for (size_t i = 0; i < k; i++) { /* partial Fisher-Yates */
      size_t j = i + (size_t)mimic_rng_integers(rng, 0, (int64_t)(m - i));
      size_t t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return k;
  }
  for (size_t i = 0; i < n; i++) {
    if (already_labeled && already_labeled[i]) continue;
    if (q->kind == MIMIC_QUERY_UNCERTAIN && !(query_score(scores, i) > 1.0 - q->threshold))
      continue;
    out[m++] = i;
  }
  /* sorted in out itself: selection needs no memory, so it cannot fail */
  qsort_r(out, m, sizeof *out, by_score_desc, (void *)scores);
  return q->k > 0 && m > (size_t)q->k ? (size_t)q->k : m;
}

mimic_status mimic_query_scores(mimic_query_kind kind, const double *proba, const float *confidence,
                                size_t n, int K, double *scores) {
  if (proba && K < 1) return mimic_fail(MIMIC_ERR_INVALID, "uncertainty: no classes");
  for (size_t i = 0; i < n; i++) {
    if (confidence && isnan(confidence[i])) { /* the learner knows nothing here */
      scores[i] = NAN;
      continue;
    }
    if (!proba) { /* a confidence alone scores every rule as least confidence */
      scores[i] = confidence ? 1.0 - confidence[i] : 0.0;
      continue;
    }
    const double *p = proba + i * (size_t)K;
    double s = 0.0;
    for (int k = 0; k < K; k++)
      if (isnan(p[k]))
        return mimic_fail(MIMIC_ERR_RANGE, "uncertainty: item %zu has NaN probabilities", i);
    switch (kind) {
    case MIMIC_QUERY_LEAST_CONFIDENT:
    case MIMIC_QUERY_UNCERTAIN:
    case MIMIC_QUERY_MARGIN: {
      double a = -INFINITY, b = 0.0; /* largest, second largest */
      for (int k = 0; k < K; k++) {
        if (p[k] > a) {
          if (k > 0) b = a;
          a = p[k];
        } else if (p[k] > b) {
          b = p[k];
        }
      }
      s = kind == MIMIC_QUERY_MARGIN ? 1.0 - (a - b) : 1.0 - a;
      break;
    }
    case MIMIC_QUERY_ENTROPY:
      for (int k = 0; k < K; k++)
        if (p[k] > 0) s -= p[k] * log(p[k]);
      break;
    default: break; /* ALL, RANDOM: no preference */
    }
    scores[i] = s;
  }
  return MIMIC_OK;
}
