/* A label file as the expert: answers looked up in a table held in memory
 * (gold labels for experiments, an agent's recorded moves, labels made
 * elsewhere).
 *
 * A state is found by its id when the question carries ids and the table
 * has them (pools and gold files that share ids), else by its text as the
 * codec writes it for the label log. Lookups are binary searches over
 * entries sorted by key, ties kept in file order, so a key that occurs
 * twice with different answers gets the first one (counted and reported
 * once when the table is built: such a file cannot tell which was meant).
 * A state the table does not know, or an answer the codec refuses (a label
 * the session does not offer), is an error naming the item: a wrong gold
 * file must not be guessed around. */
#include <stdlib.h>
#include <string.h>

#include "mimic/expert.h"
#include "loop/transport.h"

typedef struct entry {
  const char *key;
  size_t row; /* the table row (file order) */
} entry;

typedef struct table {
  size_t n;
  char **label, **detail; /* [n] owned (detail entries may be NULL) */
  char **keys;            /* owned ids and texts */
  size_t n_keys;
  entry *by_text, *by_id; /* sorted; NULL when the table has none */
  const char **distinct;  /* sorted distinct labels */
  size_t n_distinct;
} table;

static int cmp_entry(const void *a, const void *b) {
  const entry *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c) return c;
  return x->row < y->row ? -1 : x->row > y->row;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
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
    if (strcmp(v[i].key, v[i - 1].key) == 0 && strcmp(t->label[v[i].row], t->label[v[i - 1].row]))
      c++;
  return c;
}

static mimic_status table_label(mimic_expert *e, const mimic_questions *q, mimic_answer *answers) {
  table *t = e->impl;
  for (size_t i = 0; i < q->n; i++) {
    const char *id = q->ids && q->ids[i] ? q->ids[i] : q->keys ? q->keys[i] : NULL;
    const entry *hit = id && t->by_id ? find(t->by_id, t->n, id) : NULL;
    char *text = NULL;
    if (!hit && t->by_text && e->codec->state_text) {
      if (!(text = e->codec->state_text(e->codec, q, i))) return mimic_fail_nomem("a state");
      hit = find(t->by_text, t->n, text);
    }
    const char *item = q->keys ? q->keys[i] : id ? id : "?";
    if (!hit) {
      mimic_status st =
          mimic_fail(MIMIC_ERR_NOT_FOUND, "%s has no label for item %s%s%s%s ('%.60s')", e->name,
                     item, id && id != item ? " (id " : "", id && id != item ? id : "",
                     id && id != item ? ")" : "", text ? text : "");
      free(text);
      return st;
    }
    free(text);
    mimic_status st = mimic_codec_parse_action(e->codec, t->label[hit->row], answers[i].action);
    if (st) return mimic_errctx("%s, item %s", e->name, item);
    if (t->detail && t->detail[hit->row] &&
        !(answers[i].detail = mimic_strdup(t->detail[hit->row])))
      return MIMIC_ERR_NOMEM;
    answers[i].kind = MIMIC_ANSWER_ACTION;
  }
  return MIMIC_OK;
}

static void strings_free(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

static void table_free(mimic_expert *e) {
  table *t = e->impl;
  if (!t) return;
  strings_free(t->label, t->n);
  strings_free(t->detail, t->detail ? t->n : 0);
  strings_free(t->keys, t->n_keys);
  free(t->by_text);
  free(t->by_id);
  free(t->distinct);
  free(t);
}

static const mimic_expert_class table_class = {
    .kind = "table", .label = table_label, .free_impl = table_free};

/* Sorts one key column and warns once about keys that disagree. */
static void index_keys(const char *name, const table *t, entry *v, const char *what) {
  qsort(v, t->n, sizeof *v, cmp_entry);
  size_t c = count_conflicts(t, v);
  if (c)
    MIMIC_WARN("%s: %zu %s occur again with another label; the first one is used", name, c, what);
}

mimic_status mimic_expert_table(const mimic_codec *codec, const char *name, size_t n,
                                const char *const *id, const char *const *text,
                                const char *const *label, const char *const *detail,
                                mimic_expert **out) {
  *out = NULL;
  if (n == 0) return mimic_fail(MIMIC_ERR_INVALID, "%s: no labeled items", name);
  if (!id && !text) return mimic_fail(MIMIC_ERR_INVALID, "%s: items need ids or texts", name);
  MIMIC_TRY(mimic_expert_alloc(&table_class, codec, name, out));
  mimic_expert *e = *out;
  e->repeatable = true;
  e->max_batch = 4096;
  table *t = mimic_calloc(1, sizeof *t, "a label table");
  e->impl = t;
  mimic_status st = t ? MIMIC_OK : MIMIC_ERR_NOMEM;
  if (!st) {
    t->n = n;
    t->label = mimic_calloc(n, sizeof *t->label, "labels");
    t->keys = mimic_calloc(2 * n, sizeof *t->keys, "keys");
    t->distinct = mimic_calloc(n, sizeof *t->distinct, "labels");
    if (detail) t->detail = mimic_calloc(n, sizeof *t->detail, "details");
    if (text) t->by_text = mimic_calloc(n, sizeof *t->by_text, "a label table");
    if (id) t->by_id = mimic_calloc(n, sizeof *t->by_id, "a label table");
    if (!t->label || !t->keys || !t->distinct || (detail && !t->detail) || (text && !t->by_text) ||
        (id && !t->by_id))
      st = MIMIC_ERR_NOMEM;
  }
  for (size_t i = 0; i < n && !st; i++) {
    if (!label[i] || !*label[i] || (text && !text[i]) || (id && !id[i])) {
      st = mimic_fail(MIMIC_ERR_INVALID, "%s: item %zu has no text, label or id", name, i + 1);
      break;
    }
    if (!(t->label[i] = mimic_strdup(label[i])) ||
        (detail && detail[i] && !(t->detail[i] = mimic_strdup(detail[i])))) {
      st = MIMIC_ERR_NOMEM;
      break;
    }
    if (text) {
      if (!(t->keys[t->n_keys++] = mimic_strdup(text[i]))) st = MIMIC_ERR_NOMEM;
      if (!st) t->by_text[i] = (entry){t->keys[t->n_keys - 1], i};
    }
    if (id && !st) {
      if (!(t->keys[t->n_keys++] = mimic_strdup(id[i]))) st = MIMIC_ERR_NOMEM;
      if (!st) t->by_id[i] = (entry){t->keys[t->n_keys - 1], i};
    }
  }
  if (!st) {
    if (t->by_text) index_keys(name, t, t->by_text, "texts");
    if (t->by_id) index_keys(name, t, t->by_id, "ids");
    for (size_t i = 0; i < n; i++) t->distinct[i] = t->label[i];
    qsort(t->distinct, n, sizeof *t->distinct, cmp_str);
    for (size_t i = 0; i < n; i++)
      if (t->n_distinct == 0 || strcmp(t->distinct[t->n_distinct - 1], t->distinct[i]))
        t->distinct[t->n_distinct++] = t->distinct[i];
  }
  if (st) {
    mimic_expert_free(e);
    *out = NULL;
  }
  return st;
}

size_t mimic_expert_table_labels(const mimic_expert *e, const char *const **labels) {
  if (e->cls != &table_class) {
    *labels = NULL;
    return 0;
  }
  const table *t = e->impl;
  *labels = t->distinct;
  return t->n_distinct;
}
