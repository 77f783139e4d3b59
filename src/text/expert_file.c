/* Text experts from specs and label files.
 *
 * A label file answers each question with the gold label of the item, for
 * experiments and for replaying labels made elsewhere: it is read here
 * (CSV, JSON Lines) and looked up by mimic's table expert (by id when the
 * question carries one and the file has an id column, else by exact text;
 * an unknown item, or a label the session does not offer, is an error
 * naming the item). Every other spec goes to mimic_expert_open.
 *
 * mimic_text_read_column reads an extra column (ids) aligned with the
 * items of mimic_text_read: CSV records by row, JSON Lines by line. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mimic/textloop.h"
#include "text/readers.h"
#include "text/codec.h"

mimic_status mimic_text_expert_file(const char *path, const mimic_text_read_opts *read,
                                    const char *id_column, const mimic_codec *codec,
                                    mimic_expert **out) {
  *out = NULL;
  mimic_text_read_opts o = {0};
  if (read) o = *read;
  o.need_labels = true;
  mimic_text_data d;
  MIMIC_TRY(mimic_text_read(path, &o, &d));
  char **ids = NULL;
  mimic_status st =
      mimic_text_read_column(path, o.format, id_column && *id_column ? id_column : "id", &d, &ids);
  char *name = st ? NULL : mimic_asprintf("file:%s", path);
  if (!st && !name) st = MIMIC_ERR_NOMEM;
  if (!st)
    st = mimic_expert_table(codec, name, d.n, (const char *const *)ids, (const char *const *)d.text,
                            (const char *const *)d.label, NULL, out);
  if (!st) MIMIC_INFO("%s: %zu gold labels%s", name, d.n, ids ? " (matched by id, then text)" : "");
  free(name);
  mimic_text_strings_free(ids, ids ? d.n : 0);
  mimic_text_data_free(&d);
  return st;
}

mimic_status mimic_text_expert_open(const char *spec, const mimic_codec *codec,
                                    const mimic_text_expert_opts *opts, mimic_expert **out) {
  *out = NULL;
  mimic_text_expert_opts o = {0};
  if (opts) o = *opts;
  if (!spec || !*spec)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "no expert given (use human, web[:PORT], file:PATH or cmd:PROGRAM)");
  if (o.agreement > 1 && strcmp(spec, "web") && strncmp(spec, "web:", 4))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "agreement (%d votes per question) is for people at the labeling page: "
                      "it needs the expert web[:PORT], not '%s'",
                      o.agreement, spec);
  if (strncmp(spec, "file:", 5) == 0) {
    if (!spec[5])
      return mimic_fail(MIMIC_ERR_INVALID, "expert 'file:' needs a path (file:gold.csv)");
    return mimic_text_expert_file(spec + 5, o.read, o.id_column, codec, out);
  }
  if (strcmp(spec, "human") && strncmp(spec, "cmd:", 4) && strcmp(spec, "web") &&
      strncmp(spec, "web:", 4))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "unknown expert '%s' (use human, web[:PORT], file:PATH with gold labels, or "
                      "cmd:PROGRAM)",
                      spec);
  mimic_expert_opts eo = {.timeout_s = o.timeout_s,
                          .in_fd = o.in_fd,
                          .out = o.out,
                          .bind = o.bind,
                          .agreement = o.agreement};
  return mimic_expert_open(spec, codec, &eo, out);
}

void mimic_text_strings_free(char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* ---- extra columns -------------------------------------------------------- */

static mimic_text_format format_of(const char *path, mimic_text_format f) {
  return f != MIMIC_TEXT_AUTO ? f : mimic_text_format_guess(path);
}

static mimic_status column_csv(const char *path, const char *column, const mimic_text_data *d,
                               char ***values) {
  mimic_csv c;
  MIMIC_TRY(mimic_csv_read(path, &c));
  int col = mimic_csv_column(&c, column);
  mimic_status st = MIMIC_OK;
  if (col >= 0) {
    char **v = mimic_calloc(d->n ? d->n : 1, sizeof *v, "a column");
    if (!v) st = MIMIC_ERR_NOMEM;
    for (size_t i = 0; v && i < d->n && !st; i++) {
      int64_t r = d->row[i] - 1;
      if (r < 0 || (size_t)r >= c.n_rows) {
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: changed while it was read", path);
        break;
      }
      if (!(v[i] = mimic_strdup(c.cells[(size_t)r * c.n_cols + (size_t)col]))) st = MIMIC_ERR_NOMEM;
    }
    if (st)
      mimic_text_strings_free(v, d->n);
    else
      *values = v;
  }
  mimic_csv_free(&c);
  return st;
}

static mimic_status column_jsonl(const char *path, const char *column, const mimic_text_data *d,
                                 char ***values) {
  char *buf;
  size_t len;
  MIMIC_TRY(mimic_read_file(path, &buf, &len));
  size_t start = len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
  char **v = NULL;
  mimic_status st = MIMIC_OK;
  size_t item = 0;
  int64_t line = 0;
  for (size_t i = start; i <= len && item < d->n && !st;) {
    char *nl = memchr(buf + i, '\n', len - i);
    size_t e = nl ? (size_t)(nl - buf) : len;
    line++;
    if (line == d->line[item]) {
      json_t *obj = json_loadb(buf + i, e - i, 0, NULL);
      json_t *f = obj ? json_object_get(obj, column) : NULL;
      if (f && !v && item == 0 && !(v = mimic_calloc(d->n, sizeof *v, "a column")))
        st = MIMIC_ERR_NOMEM;
      if (!st && v) {
        char num[32];
        const char *s = NULL;
        if (json_is_string(f))
          s = json_string_value(f);
        else if (json_is_integer(f))
          snprintf(num, sizeof num, "%lld", (long long)json_integer_value(f)), s = num;
        if (!s)
          st = mimic_fail(MIMIC_ERR_FORMAT,
                          "%s: line %lld: field '%s' is missing or not a "
                          "string or integer",
                          path, (long long)line, column);
        else if (!(v[item] = mimic_strdup(s)))
          st = MIMIC_ERR_NOMEM;
      }
      json_decref(obj);
      if (!v) break; /* the first item has no such field: no column */
      item++;
    }
    i = e + 1;
  }
  free(buf);
  if (!st && v && item < d->n)
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: changed while it was read", path);
  if (st)
    mimic_text_strings_free(v, d->n);
  else
    *values = v;
  return st;
}

mimic_status mimic_text_read_column(const char *path, mimic_text_format format, const char *column,
                                    const mimic_text_data *d, char ***values) {
  *values = NULL;
  switch (format_of(path, format)) {
  case MIMIC_TEXT_CSV: return column_csv(path, column, d, values);
  case MIMIC_TEXT_JSONL: return column_jsonl(path, column, d, values);
  default: return MIMIC_OK; /* plain text has no columns */
  }
}
