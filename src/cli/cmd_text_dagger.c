/* `mimic text dagger` (the expert-in-the-loop labeling loop) and `mimic
 * text export` (a session's labels as JSON Lines or CSV).
 *
 * Thin: read the pool, the seed, the test set and the label list, open
 * the expert and the label store, call mimic_text_dagger_run, print a row
 * per round. A person's questions go to stderr and answers come from
 * stdin; the table (or, with --json, one JSON object) goes to stdout. A
 * person quitting is not a failure: the command says how to resume and
 * exits 0; running the same command again continues the session. */
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "mimic/textloop.h"

typedef struct columns {
  const char *format, *text_column, *label_column, *id_column;
} columns;

static mimic_status read_texts(const char *path, const columns *c, bool labels,
                               mimic_text_data *d) {
  mimic_text_read_opts o = {0};
  MIMIC_TRY(mimic_text_format_parse(c->format ? c->format : "auto", &o.format));
  o.text_column = c->text_column;
  o.label_column = c->label_column;
  o.need_labels = labels;
  return mimic_text_read(path, &o, d);
}

/* --labels: a JSON array file, a file with one label per line, or "a,b,c". */
static mimic_status read_label_list(const char *arg, char ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  char *buf = NULL;
  size_t len = 0;
  if (mimic_path_exists(arg)) {
    MIMIC_TRY(mimic_read_file(arg, &buf, &len));
    const char *s = buf + strspn(buf, " \t\r\n");
    if (*s == '[') {
      json_error_t err;
      json_t *a = json_loads(buf, 0, &err);
      mimic_status st = MIMIC_OK;
      if (!json_is_array(a))
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: not a JSON array of labels (%s)", arg,
                        a ? "not an array" : err.text);
      size_t m = json_array_size(a);
      char **v = st ? NULL : mimic_calloc(m ? m : 1, sizeof *v, "labels");
      if (!st && !v) st = MIMIC_ERR_NOMEM;
      for (size_t i = 0; !st && i < m; i++) {
        const char *l = json_string_value(json_array_get(a, i));
        if (!l || !*l)
          st = mimic_fail(MIMIC_ERR_FORMAT, "%s: label %zu is not a non-empty string", arg, i + 1);
        else if (!(v[i] = mimic_strdup(l)))
          st = MIMIC_ERR_NOMEM;
        else
          *n = i + 1;
      }
      json_decref(a);
      free(buf);
      if (st) {
        mimic_text_strings_free(v, *n);
        *n = 0;
        return st;
      }
      *out = v;
      return MIMIC_OK;
    }
  } else if (!(buf = mimic_strdup(arg))) {
    return MIMIC_ERR_NOMEM;
  }
  bool lines = mimic_path_exists(arg);
  size_t cap = 16, m = 0;
  char **v = mimic_calloc(cap, sizeof *v, "labels");
  mimic_status st = v ? MIMIC_OK : MIMIC_ERR_NOMEM;
  for (char *save = NULL, *tok = strtok_r(buf, lines ? "\r\n" : ",", &save); !st && tok;
       tok = strtok_r(NULL, lines ? "\r\n" : ",", &save)) {
    while (*tok == ' ' || *tok == '\t') tok++;
    size_t l = strlen(tok);
    while (l && (tok[l - 1] == ' ' || tok[l - 1] == '\t')) tok[--l] = '\0';
    if (!l) continue;
    if (m == cap) {
      char **w = mimic_realloc(v, cap *= 2, sizeof *v, "labels");
      if (!w) {
        st = MIMIC_ERR_NOMEM;
        break;
      }
      v = w;
    }
    if (!(v[m++] = mimic_strdup(tok))) st = MIMIC_ERR_NOMEM;
  }
  free(buf);
  if (!st && m == 0) st = mimic_fail(MIMIC_ERR_INVALID, "--labels '%s' names no labels", arg);
  if (st) {
    mimic_text_strings_free(v, m);
    return st;
  }
  *out = v;
  *n = m;
  return MIMIC_OK;
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

typedef struct printer {
  bool json, quiet;
  json_t *rows;
} printer;

static void print_row(const mimic_dagger_round *row, void *user) {
  printer *p = user;
  double acc = row->n_metrics > 0 ? row->metrics[0] : NAN;
  double f1 = row->n_metrics > 1 ? row->metrics[1] : NAN;
  if (p->json) {
    json_t *o = json_pack("{s:i, s:I, s:I}", "round", row->round + 1, "labels",
                          (json_int_t)row->dataset_size, "asked",
                          (json_int_t)(row->round < 0 ? 0 : row->queried));
    if (row->n_metrics > 0) {
      json_object_set_new(o, "accuracy", isfinite(acc) ? json_real(acc) : json_null());
      json_object_set_new(o, "macro_f1", isfinite(f1) ? json_real(f1) : json_null());
    }
    json_array_append_new(p->rows, o);
    return;
  }
  if (p->quiet) return;
  char a[24] = "-", f[24] = "-", asked[24] = "-";
  if (isfinite(acc)) snprintf(a, sizeof a, "%.4f", acc);
  if (isfinite(f1)) snprintf(f, sizeof f, "%.4f", f1);
  if (row->round >= 0 && row->queried > 0) snprintf(asked, sizeof asked, "%zu", row->queried);
  printf("%5d  %7zu  %6s  %9s  %9s%s\n", row->round + 1, row->dataset_size,
         row->round >= 0 ? asked : "-", a, f,
         row->round < 0 ? "   (before this run's rounds)" : "");
  fflush(stdout);
}

int cmd_text_dagger(int argc, char **argv) {
  const char *cmd = "text dagger";
  const char *pool_path = NULL, *seed_path = NULL, *expert_spec = NULL, *db = NULL,
             *test_path = NULL, *bind = NULL, *query = "margin", *labels_arg = NULL, *out = NULL,
             *model = "ovr";
  columns col = {0};
  mimic_text_dagger_config cfg = mimic_text_dagger_defaults();
  long long batch = 10;
  double timeout = 30, C = cfg.linear.C;
  int threads = 0, agreement = 1;
  bool json = false, quiet = false;
  cli_opt opts[] = {
      {"pool", CLI_STR, &pool_path, "PATH", "unlabeled texts to ask about (.csv, .jsonl, .txt)",
       true},
      {"labeled", CLI_STR, &seed_path, "PATH", "labeled seed texts (.csv or .jsonl)", true},
      {"expert", CLI_STR, &expert_spec, "WHO",
       "human, web[:PORT] (a labeling page), file:GOLD.csv (gold labels by id or text) or "
       "cmd:PROGRAM (JSON Lines)",
       true},
      {"bind", CLI_STR, &bind, "ADDR",
       "web: serve the page on ADDR, not only 127.0.0.1 (warned; needs the printed token)", false},
      {"web-agreement", CLI_INT, &agreement, "K",
       "web: votes each question needs from distinct people; the majority is learned (default 1)",
       false},
      {"db", CLI_STR, &db, "PATH", "SQLite label store (created if missing; resumes a session)",
       true},
      {"rounds", CLI_INT, &cfg.rounds, "N", "rounds (default 3)", false},
      {"batch", CLI_LONG, &batch, "K", "items asked per round (default 10)", false},
      {"query", CLI_STR, &query, "RULE",
       "margin (default), least-confident, entropy, random, all or uncertain:T", false},
      {"test", CLI_STR, &test_path, "PATH", "labeled test texts: accuracy and macro-F1 per round",
       false},
      {"labels", CLI_STR, &labels_arg, "LIST",
       "labels the expert may give besides the seed's: a,b,c, a JSON array file or one per line",
       false},
      {"session", CLI_STR, &cfg.session, "NAME", "session name in the store (default text-dagger)",
       false},
      {"text-column", CLI_STR, &col.text_column, "NAME", "column with the text (default text)",
       false},
      {"label-column", CLI_STR, &col.label_column, "NAME",
       "column with the label (default: label, category or intent)", false},
      {"id-column", CLI_STR, &col.id_column, "NAME",
       "ids shared by pool and label file (default id, if present)", false},
      {"format", CLI_STR, &col.format, "FMT", "auto (by extension), csv, jsonl or txt", false},
      {"seed", CLI_U64, &cfg.seed, "S", "random seed for --query random (default 0)", false},
      {"guesses", CLI_INT, &cfg.n_guesses, "N", "model guesses shown per question (default 3)",
       false},
      {"expert-timeout", CLI_DOUBLE, &timeout, "S", "seconds a program may take (default 30)",
       false},
      {"model", CLI_STR, &model, "KIND", "ovr (default) or softmax", false},
      {"C", CLI_DOUBLE, &C, "X", "inverse regularisation strength (default 10)", false},
      {"threads", CLI_INT, &threads, "N", "threads (default: all cores)", false},
      {"o", CLI_STR, &out, "PATH", "write the final model here", false},
      {"json", CLI_FLAG, &json, NULL, "print one JSON object at the end", false},
      {"quiet", CLI_FLAG, &quiet, NULL, "print nothing but errors (and a person's questions)",
       false},
      {NULL},
  };
  cli_parsed p =
      cli_parse(cmd,
                "Label a pool with an expert in the loop: each round the model's least "
                "certain items are asked, answers are stored, the model is refit.",
                "--pool FILE --labeled FILE --expert WHO --db FILE [options]", opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  cli_set_output(json, quiet);
  if (batch < 1) return cli_usage_error(cmd, "--batch must be at least 1");
  int bad = cli_check_agreement(cmd, agreement, "--expert", expert_spec);
  if (bad) return bad;
  if (cfg.rounds < 1) return cli_usage_error(cmd, "--rounds must be at least 1");
  if (cfg.n_guesses < 0 || cfg.n_guesses > 16)
    return cli_usage_error(cmd, "--guesses wants 0 to 16");
  if (threads < 0) return cli_usage_error(cmd, "--threads must be >= 0");
  char rule[96];
  if (strchr(query, ':') || !strcmp(query, "all"))
    snprintf(rule, sizeof rule, "%s", query);
  else
    snprintf(rule, sizeof rule, "%s:%lld", query, batch);
  if (mimic_query_parse(rule, &cfg.query))
    return cli_usage_error(cmd, "--query: %s", mimic_errmsg());
  if (cfg.query.kind == MIMIC_QUERY_ALL || cfg.query.kind == MIMIC_QUERY_UNCERTAIN)
    cfg.query.k = batch; /* a cap per round */
  else if (strchr(query, ':') && cli_seen(opts, "batch") && cfg.query.k != batch)
    return cli_usage_error(cmd, "--query %s and --batch %lld disagree", query, batch);
  if (mimic_linear_kind_parse(model, &cfg.linear.kind))
    return cli_usage_error(cmd, "%s", mimic_errmsg());
  cfg.linear.C = C;
  cfg.linear.n_threads = threads;
  cfg.tfidf.n_threads = threads;
  cfg.keep_model = out != NULL;
  cfg.progress = !json && !quiet;
  if (mimic_linear_config_check(&cfg.linear)) return cli_usage_error(cmd, "%s", mimic_errmsg());

  mimic_text_data pool = {0}, seed = {0}, test = {0};
  char **pool_ids = NULL, **extra = NULL;
  size_t n_extra = 0;
  mimic_codec *codec = NULL;
  mimic_expert *expert = NULL;
  mimic_labelstore *store = NULL;
  mimic_text_dagger_result res = {0};
  printer pr = {.json = json, .quiet = quiet, .rows = json ? json_array() : NULL};
  int rc = CLI_EXIT_FAIL;
  mimic_text_format fmt = MIMIC_TEXT_AUTO;
  if (mimic_text_format_parse(col.format ? col.format : "auto", &fmt)) {
    rc = cli_usage_error(cmd, "%s", mimic_errmsg());
    goto done;
  }
  if (read_texts(pool_path, &col, false, &pool) || read_texts(seed_path, &col, true, &seed) ||
      (test_path && read_texts(test_path, &col, true, &test)) ||
      mimic_text_read_column(pool_path, fmt, col.id_column ? col.id_column : "id", &pool,
                             &pool_ids) ||
      (labels_arg && read_label_list(labels_arg, &extra, &n_extra)))
    goto fail;
  if (col.id_column && !pool_ids) {
    mimic_fail(MIMIC_ERR_NOT_FOUND, "%s has no column '%s'", pool_path, col.id_column);
    goto fail;
  }
  mimic_text_read_opts ro = {
      .format = fmt, .text_column = col.text_column, .label_column = col.label_column};
  mimic_text_expert_opts eo = {.read = &ro,
                               .id_column = col.id_column,
                               .timeout_s = timeout,
                               .in_fd = 0,
                               .out = stderr,
                               .bind = bind,
                               .agreement = agreement};
  if (mimic_text_codec(&codec) || mimic_text_expert_open(expert_spec, codec, &eo, &expert))
    goto fail;
  if (mimic_labelstore_open(db, NULL, &store)) goto fail;
  mimic_text_dagger_input in = {.n_pool = pool.n,
                                .pool_text = (const char *const *)pool.text,
                                .pool_id = (const char *const *)pool_ids,
                                .pool_row = pool.row,
                                .pool_name = base_name(pool_path),
                                .n_seed = seed.n,
                                .seed_text = (const char *const *)seed.text,
                                .seed_label = (const char *const *)seed.label,
                                .seed_name = base_name(seed_path),
                                .n_test = test.n,
                                .test_text = (const char *const *)test.text,
                                .test_label = (const char *const *)test.label,
                                .n_labels = n_extra,
                                .labels = (const char *const *)extra};
  cfg.on_round = print_row;
  cfg.user = &pr;
  if (!json && !quiet) {
    char q[64];
    mimic_query_format(&cfg.query, q, sizeof q);
    printf("session '%s' in %s: pool %zu, seed %zu, query %s, %d rounds, expert %s\n", cfg.session,
           db, pool.n, seed.n, q, cfg.rounds, expert->name);
    printf("round   labels   asked   accuracy   macro-F1\n");
    fflush(stdout);
  }
  mimic_status st = mimic_text_dagger_run(&cfg, &in, codec, expert, store, &res);
  if (st && st != MIMIC_ERR_INTERRUPTED) goto fail;
  if (out && res.model.clf.w && mimic_text_model_save(&res.model, out)) goto fail;
  if (res.quit)
    fprintf(stderr,
            "mimic %s: stopped (%s) in round %d with %zu answers stored in %s; run the "
            "same command again to resume\n",
            cmd, mimic_errmsg(), res.rounds_done + 1, res.n_answers, db);
  if (json) {
    json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:i, s:i, s:o, s:I, s:I, s:I, s:I, s:s}",
                          "session", cfg.session, "db", db, "resumed", res.resumed, "quit",
                          res.quit, "finished", !res.quit && res.rounds_done >= cfg.rounds,
                          "first_round", res.first_round, "rounds_done", res.rounds_done, "rounds",
                          pr.rows, "seed_labels", (json_int_t)res.n_seed, "answers",
                          (json_int_t)res.n_answers, "skipped", (json_int_t)res.n_skipped, "asked",
                          (json_int_t)res.n_asked, "expert", expert->name);
    pr.rows = NULL;
    if (out) json_object_set_new(o, "model", json_string(out));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    puts(s);
    free(s);
    json_decref(o);
  } else if (!quiet && !res.quit) {
    printf("%zu answers (%zu skipped) after %d rounds; %zu questions asked in this run\n",
           res.n_answers, res.n_skipped, res.rounds_done, res.n_asked);
    if (out) printf("saved %s\n", out);
  }
  rc = CLI_EXIT_OK;
  goto done;
fail:
  rc = cli_fail(cmd);
done:
  json_decref(pr.rows);
  mimic_text_dagger_result_free(&res);
  mimic_expert_free(expert);
  mimic_codec_free(codec);
  mimic_labelstore_close(store);
  mimic_text_strings_free(pool_ids, pool.n);
  mimic_text_strings_free(extra, n_extra);
  mimic_text_data_free(&pool);
  mimic_text_data_free(&seed);
  mimic_text_data_free(&test);
  return rc;
}

int cmd_text_export(int argc, char **argv) {
  const char *cmd = "text export";
  const char *db = NULL, *out = NULL, *session = NULL, *format = NULL;
  cli_opt opts[] = {
      {"db", CLI_STR, &db, "PATH", "SQLite label store", true},
      {"o", CLI_STR, &out, "PATH", "output file (.jsonl or .csv)", true},
      {"session", CLI_STR, &session, "NAME", "only this session (default: all)", false},
      {"format", CLI_STR, &format, "FMT", "jsonl or csv (default: by extension)", false},
      {NULL},
  };
  cli_parsed p = cli_parse(cmd,
                           "Write the labels of a store (not undone; seed rows have round 0) as "
                           "JSON Lines or CSV (text,label columns: training data for text train).",
                           "--db FILE -o OUT [options]", opts, 0, argc, argv);
  if (p.exit_now) return p.exit_code;
  const char *f = format;
  if (!f) {
    const char *dot = strrchr(out, '.');
    f = dot && !strcmp(dot, ".csv") ? "csv" : "jsonl";
  }
  mimic_export_format fmt;
  if (!strcmp(f, "csv"))
    fmt = MIMIC_EXPORT_CSV;
  else if (!strcmp(f, "jsonl") || !strcmp(f, "json"))
    fmt = MIMIC_EXPORT_JSONL;
  else
    return cli_usage_error(cmd, "--format wants jsonl or csv, got '%s'", f);
  if (!mimic_path_exists(db)) {
    mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no such label store", db);
    return cli_fail(cmd);
  }
  mimic_labelstore_opts so = {.read_only = true};
  mimic_labelstore *store = NULL;
  if (mimic_labelstore_open(db, &so, &store)) return cli_fail(cmd);
  int64_t id = 0;
  int rc = CLI_EXIT_OK;
  if (session && mimic_labelstore_session_find(store, session, &id, NULL)) {
    rc = cli_fail(cmd);
  } else if (session && id == 0) {
    mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no session '%s'", db, session);
    rc = cli_fail(cmd);
  } else if (mimic_labelstore_export(store, id, out, fmt)) {
    rc = cli_fail(cmd);
  } else {
    int64_t n = 0;
    mimic_labelstore_count(store, id, &n);
    fprintf(stderr, "wrote %lld labels to %s\n", (long long)n, out);
  }
  mimic_labelstore_close(store);
  return rc;
}
