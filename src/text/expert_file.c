/* The label-file expert: answers each question with the gold label of the
 * item, for experiments and for replaying labels made elsewhere.
 *
 * An item is found by its id when the question carries one and the file
 * has an id column (pools and gold files that share ids), else by its
 * exact text. Lookups are binary searches over entries sorted by key, ties
 * kept in file order, so a text that occurs twice with different labels
 * gets the label of its first occurrence (counted and reported once when
 * the file is read: such a file cannot tell which label was meant). An
 * item the file does not know, or a label the session does not offer, is
 * an error naming the item: a wrong gold file must not be guessed around.
 *
 * mimic_text_read_column reads an extra column (ids) aligned with the
 * items of mimic_text_read: CSV records by row, JSON Lines by line. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "text/expert_impl.h"

typedef struct entry {
  const char *key;
  size_t label; /* index into labels */
  size_t order;
} entry;

typedef struct table {
  char *name;
  char **labels; /* [n] owned */
  char **keys;   /* owned texts and ids */
  size_t n, n_keys;
  entry *by_text, *by_id; /* by_id NULL without ids */
} table;

static int cmp_entry(const void *a, const void *b) {
  const entry *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c) return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* The first entry (in file order) with key, or NULL. */
static const entry *find(const entry *v, size_t n, const char *key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(v[mid].key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && strcmp(v[lo].key, key) == 0 ? &v[lo] : NULL;
}

static size_t count_conflicts(const table *t, const entry *v) {
  size_t c = 0;
  for (size_t i = 1; i < t->n; i++)
    if (strcmp(v[i].key, v[i - 1].key) == 0 &&
        strcmp(t->labels[v[i].label], t->labels[v[i - 1].label]) != 0)
      c++;
  return c;
}

static void table_free(void *u) {
  table *t = u;
  if (!t) return;
  mimic_text_strings_free(t->labels, t->n);
  mimic_text_strings_free(t->keys, t->n_keys);
  free(t->by_text);
  free(t->by_id);
  free(t->name);
  free(t);
}

static mimic_status table_ask(void *u, const mimic_text_question *q, mimic_text_reply *r) {
  table *t = u;
  const entry *e = NULL;
  if (q->id && t->by_id) e = find(t->by_id, t->n, q->id);
  if (!e) e = find(t->by_text, t->n, q->text);
  if (!e)
    return mimic_fail(MIMIC_ERR_NOT_FOUND, "%s has no label for item %s%s%s%s ('%.60s')", t->name,
                      q->item ? q->item : "?", q->id ? " (id " : "", q->id ? q->id : "",
                      q->id ? ")" : "", q->text);
  const char *label = t->labels[e->label];
  int id = mimic_labelset_find(q->labels, label);
  if (id < 0)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s labels item %s '%s', which is not one of the session's %d labels",
                      t->name, q->item ? q->item : "?", label, q->labels->n);
  r->kind = MIMIC_TEXT_REPLY_LABEL;
  r->label = id;
  return MIMIC_OK;
}

mimic_status mimic_text_expert_table(const char *name, const char *const *texts,
                                     const char *const *labels, const char *const *ids, size_t n,
                                     mimic_text_expert **out) {
  *out = NULL;
  if (n == 0) return mimic_fail(MIMIC_ERR_INVALID, "%s: no labeled items", name);
  table *t = mimic_calloc(1, sizeof *t, "a label table");
  if (!t) return MIMIC_ERR_NOMEM;
  mimic_status st = MIMIC_OK;
  size_t n_keys = ids ? 2 * n : n;
  t->name = mimic_strdup(name);
  t->labels = mimic_calloc(n, sizeof *t->labels, "labels");
  t->keys = mimic_calloc(n_keys, sizeof *t->keys, "keys");
  t->by_text = mimic_calloc(n, sizeof *t->by_text, "a label table");
  if (ids) t->by_id = mimic_calloc(n, sizeof *t->by_id, "a label table");
  if (!t->name || !t->labels || !t->keys || !t->by_text || (ids && !t->by_id)) {
    table_free(t);
    return MIMIC_ERR_NOMEM;
  }
  t->n = n;
  for (size_t i = 0; i < n && !st; i++) {
    if (!texts[i] || !labels[i] || !*labels[i] || (ids && !ids[i])) {
      st = mimic_fail(MIMIC_ERR_INVALID, "%s: item %zu has no text, label or id", name, i + 1);
      break;
    }
    if (!(t->labels[i] = mimic_strdup(labels[i])) ||
        !(t->keys[t->n_keys++] = mimic_strdup(texts[i])))
      st = MIMIC_ERR_NOMEM;
    else
      t->by_text[i] = (entry){t->keys[t->n_keys - 1], i, i};
    if (!st && ids) {
      if (!(t->keys[t->n_keys++] = mimic_strdup(ids[i])))
        st = MIMIC_ERR_NOMEM;
      else
        t->by_id[i] = (entry){t->keys[t->n_keys - 1], i, i};
    }
  }
  if (!st) {
    qsort(t->by_text, n, sizeof *t->by_text, cmp_entry);
    size_t c = count_conflicts(t, t->by_text);
    if (c)
      MIMIC_WARN("%s: %zu texts occur again with another label; the first label is used", name, c);
    if (t->by_id) {
      qsort(t->by_id, n, sizeof *t->by_id, cmp_entry);
      if ((c = count_conflicts(t, t->by_id)))
        MIMIC_WARN("%s: %zu ids occur again with another label; the first label is used", name, c);
    }
  }
  mimic_text_expert *e = NULL;
  if (!st) st = mimic_text_expert_new(name, table_ask, t, table_free, &e);
  if (st) {
    table_free(t);
    return st;
  }
  if ((st = text_expert_set_known(e, (const char *const *)t->labels, n))) {
    mimic_text_expert_free(e);
    return st;
  }
  *out = e;
  return MIMIC_OK;
}

mimic_status mimic_text_expert_file(const char *path, const mimic_text_read_opts *read,
                                    const char *id_column, mimic_text_expert **out) {
  *out = NULL;
  mimic_text_read_opts o = {0};
  if (read) o = *read;
  o.need_labels = true;
  mimic_text_data d;
  MIMIC_TRY(mimic_text_read(path, &o, &d));
  char **ids = NULL;
  mimic_text_format fmt = o.format;
  mimic_status st =
      mimic_text_read_column(path, fmt, id_column && *id_column ? id_column : "id", &d, &ids);
  char *name = st ? NULL : mimic_asprintf("file:%s", path);
  if (!st && !name) st = MIMIC_ERR_NOMEM;
  if (!st)
    st = mimic_text_expert_table(name, (const char *const *)d.text, (const char *const *)d.label,
                                 (const char *const *)ids, d.n, out);
  if (!st) MIMIC_INFO("%s: %zu gold labels%s", name, d.n, ids ? " (matched by id, then text)" : "");
  free(name);
  mimic_text_strings_free(ids, ids ? d.n : 0);
  mimic_text_data_free(&d);
  return st;
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
