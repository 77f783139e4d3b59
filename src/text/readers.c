/* Readers for labelled and unlabelled text: CSV (RFC 4180), JSON Lines and
 * plain text.
 *
 * CSV: one pass over the buffer with a small state machine. Quoted fields
 * may hold commas, doubled quotes and line breaks; the unquoted text is
 * copied into one arena no larger than the input (unquoting only
 * shrinks), so a file costs two allocations plus the row tables. The
 * parser is strict where a lenient one would silently misread: a quote
 * inside an unquoted field, text after a closing quote, an unclosed quote
 * at the end of the file and a record whose field count differs from the
 * header's are errors naming the row (data records from 1) and the line
 * where it starts. Empty lines are skipped; CRLF and LF both end records;
 * a UTF-8 byte-order mark is ignored.
 *
 * mimic_text_read picks the text and label columns (by name; the label
 * column defaults to the first of label/category/intent present) and
 * checks every text: invalid UTF-8 and empty or all-space texts are errors
 * naming the row, since a silent empty document would still get a label. */
#include <ctype.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mimic/text.h"
#include "core/util.h"
#include "text/readers.h"

void mimic_csv_free(mimic_csv *c) {
  if (!c) return;
  free(c->header);
  free(c->cells);
  free(c->line);
  free(c->storage);
  memset(c, 0, sizeof *c);
}

int mimic_csv_column(const mimic_csv *c, const char *name) {
  for (size_t j = 0; j < c->n_cols; j++)
    if (strcmp(c->header[j], name) == 0) return (int)j;
  return -1;
}

typedef struct csv_fields {
  char **v;
  size_t n, cap;
} csv_fields;

static mimic_status fields_push(csv_fields *f, char *s) {
  if (f->n == f->cap) {
    size_t nc = f->cap ? f->cap * 2 : 1024;
    char **nv = mimic_realloc(f->v, nc, sizeof *nv, "CSV fields");
    if (!nv) return MIMIC_ERR_NOMEM;
    f->v = nv;
    f->cap = nc;
  }
  f->v[f->n++] = s;
  return MIMIC_OK;
}

static const char *row_name(int64_t rec, char *buf, size_t n) {
  if (rec == 0)
    snprintf(buf, n, "header");
  else
    snprintf(buf, n, "row %lld", (long long)rec);
  return buf;
}

mimic_status mimic_csv_parse(const char *buf, size_t len, const char *name, mimic_csv *out) {
  memset(out, 0, sizeof *out);
  if (!name) name = "CSV";
  if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
      (unsigned char)buf[2] == 0xBF) {
    buf += 3;
    len -= 3;
  }
  if (memchr(buf, '\0', len)) {
    size_t at = (size_t)((const char *)memchr(buf, '\0', len) - buf);
    int64_t line = 1;
    for (size_t i = 0; i < at; i++) line += buf[i] == '\n';
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: line %lld: contains a NUL byte (not a text file?)",
                      name, (long long)line);
  }
  char *arena = mimic_malloc(len + 1, "CSV text");
  if (!arena) return MIMIC_ERR_NOMEM;
  csv_fields f = {0};
  int64_t *lines = NULL;
  size_t lines_cap = 0, n_records = 0, n_cols = 0;
  mimic_status st = MIMIC_OK;
  char rn[32];
  size_t i = 0, w = 0;
  int64_t line = 1;
  while (i < len) {
    /* skip empty lines between records */
    if (buf[i] == '\n') {
      i++;
      line++;
      continue;
    }
    if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n') {
      i += 2;
      line++;
      continue;
    }
    /* one record */
    int64_t rec_line = line;
    size_t rec_fields = 0;
    for (;;) {
      char *field = arena + w;
      if (i < len && buf[i] == '"') {
        int64_t qline = line;
        i++;
        for (;;) {
          if (i >= len) {
            st = mimic_fail(MIMIC_ERR_FORMAT,
                            "%s: %s (line %lld): the quoted field opened on line %lld is never "
                            "closed",
                            name, row_name((int64_t)n_records, rn, sizeof rn), (long long)rec_line,
                            (long long)qline);
            goto fail;
          }
          char c = buf[i];
          if (c == '"') {
            if (i + 1 < len && buf[i + 1] == '"') {
              arena[w++] = '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c == '\n') line++;
          arena[w++] = c;
          i++;
        }
        if (i < len && buf[i] != ',' && buf[i] != '\n' &&
            !(buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')) {
          st = mimic_fail(MIMIC_ERR_FORMAT,
                          "%s: %s (line %lld): unexpected character '%c' after a closing quote "
                          "(a quote inside a quoted field must be doubled: \"\")",
                          name, row_name((int64_t)n_records, rn, sizeof rn), (long long)line,
                          isprint((unsigned char)buf[i]) ? buf[i] : '?');
          goto fail;
        }
      } else {
        while (i < len && buf[i] != ',' && buf[i] != '\n' &&
               !(buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')) {
          if (buf[i] == '"') {
            st = mimic_fail(MIMIC_ERR_FORMAT,
                            "%s: %s (line %lld): a quote inside an unquoted field (quote the "
                            "whole field and double the quote: \"say \"\"hi\"\"\")",
                            name, row_name((int64_t)n_records, rn, sizeof rn), (long long)line);
            goto fail;
          }
          arena[w++] = buf[i++];
        }
      }
      arena[w++] = '\0';
      if ((st = fields_push(&f, field))) goto fail;
      rec_fields++;
      if (i < len && buf[i] == ',') {
        i++;
        continue;
      }
      /* end of record */
      if (i < len) {
        i += buf[i] == '\r' ? 2 : 1;
        line++;
      }
      break;
    }
    if (n_records == 0) {
      n_cols = rec_fields;
    } else if (rec_fields != n_cols) {
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: row %lld (line %lld): %zu field%s, the header has %zu",
                      name, (long long)n_records, (long long)rec_line, rec_fields,
                      rec_fields == 1 ? "" : "s", n_cols);
      goto fail;
    }
    if (n_records == lines_cap) {
      size_t nc = lines_cap ? lines_cap * 2 : 1024;
      int64_t *nl = mimic_realloc(lines, nc, sizeof *nl, "CSV rows");
      if (!nl) {
        st = MIMIC_ERR_NOMEM;
        goto fail;
      }
      lines = nl;
      lines_cap = nc;
    }
    lines[n_records++] = rec_line;
  }
  if (n_records == 0) {
    st = mimic_fail(MIMIC_ERR_FORMAT, "%s: empty file (no header)", name);
    goto fail;
  }
  for (size_t a = 0; a < n_cols; a++)
    for (size_t b = a + 1; b < n_cols; b++)
      if (strcmp(f.v[a], f.v[b]) == 0) {
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: header: column '%s' appears twice", name, f.v[a]);
        goto fail;
      }
  out->n_cols = n_cols;
  out->n_rows = n_records - 1;
  out->storage = arena;
  out->header = mimic_malloc(n_cols * sizeof *out->header, "CSV header");
  out->cells = mimic_malloc(
      (out->n_rows * n_cols > 0 ? out->n_rows * n_cols : 1) * sizeof *out->cells, "CSV cells");
  out->line = mimic_malloc((out->n_rows ? out->n_rows : 1) * sizeof *out->line, "CSV rows");
  if (!out->header || !out->cells || !out->line) {
    out->storage = NULL;
    mimic_csv_free(out);
    st = MIMIC_ERR_NOMEM;
    goto fail;
  }
  memcpy(out->header, f.v, n_cols * sizeof *f.v);
  if (out->n_rows) {
    memcpy(out->cells, f.v + n_cols, out->n_rows * n_cols * sizeof *f.v);
    memcpy(out->line, lines + 1, out->n_rows * sizeof *lines);
  }
  free(f.v);
  free(lines);
  return MIMIC_OK;
fail:
  free(arena);
  free(f.v);
  free(lines);
  return st;
}

mimic_status mimic_csv_read(const char *path, mimic_csv *out) {
  memset(out, 0, sizeof *out);
  char *data = NULL;
  size_t len = 0;
  MIMIC_TRY(mimic_read_file(path, &data, &len));
  mimic_status st = mimic_csv_parse(data, len, path, out);
  free(data);
  return st;
}

/* ---- text data --------------------------------------------------------- */

void mimic_text_data_free(mimic_text_data *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n; i++) {
    if (d->text) free(d->text[i]);
    if (d->label) free(d->label[i]);
  }
  free(d->text);
  free(d->label);
  free(d->row);
  free(d->line);
  free(d->label_column);
  memset(d, 0, sizeof *d);
}

mimic_status mimic_text_format_parse(const char *name, mimic_text_format *out) {
  if (!strcmp(name, "auto"))
    *out = MIMIC_TEXT_AUTO;
  else if (!strcmp(name, "csv"))
    *out = MIMIC_TEXT_CSV;
  else if (!strcmp(name, "jsonl") || !strcmp(name, "ndjson"))
    *out = MIMIC_TEXT_JSONL;
  else if (!strcmp(name, "txt") || !strcmp(name, "text") || !strcmp(name, "plain"))
    *out = MIMIC_TEXT_PLAIN;
  else
    return mimic_fail(MIMIC_ERR_INVALID, "unknown format '%s' (want auto, csv, jsonl or txt)",
                      name);
  return MIMIC_OK;
}

static bool ends_with(const char *s, const char *suf) { /* in any case: DATA.CSV too */
  size_t a = strlen(s), b = strlen(suf);
  return a >= b && strcasecmp(s + a - b, suf) == 0;
}

mimic_text_format mimic_text_format_guess(const char *path) {
  if (ends_with(path, ".csv")) return MIMIC_TEXT_CSV;
  if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json"))
    return MIMIC_TEXT_JSONL;
  return MIMIC_TEXT_PLAIN;
}

static const char *const label_names[] = {"label", "category", "intent"};

static bool all_space(const char *s) {
  for (; *s; s++)
    if (!isspace((unsigned char)*s)) return false;
  return true;
}

/* Checks a text cell: UTF-8 and (unless allowed) not empty. where = "row 3 (line 5)". */
static mimic_status check_text(const char *path, const char *where, const char *col, const char *s,
                               bool allow_empty) {
  size_t bad;
  if (!mimic_utf8_valid(s, strlen(s), &bad))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: column '%s': invalid UTF-8 at byte %zu", path,
                      where, col, bad);
  if (!allow_empty && all_space(s))
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: column '%s' is empty", path, where, col);
  return MIMIC_OK;
}

static mimic_status data_alloc(mimic_text_data *d, size_t n, bool labels) {
  d->text = mimic_calloc(n ? n : 1, sizeof *d->text, "texts");
  d->row = mimic_calloc(n ? n : 1, sizeof *d->row, "texts");
  d->line = mimic_calloc(n ? n : 1, sizeof *d->line, "texts");
  if (labels) d->label = mimic_calloc(n ? n : 1, sizeof *d->label, "labels");
  if (!d->text || !d->row || !d->line || (labels && !d->label)) return MIMIC_ERR_NOMEM;
  return MIMIC_OK;
}

static mimic_status read_csv(const char *path, const mimic_text_read_opts *o, mimic_text_data *d) {
  mimic_csv c;
  MIMIC_TRY(mimic_csv_read(path, &c));
  mimic_status st = MIMIC_OK;
  const char *tcol = o->text_column ? o->text_column : "text";
  int ti = mimic_csv_column(&c, tcol), li = -1;
  if (ti < 0) {
    st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no column '%s' (columns: %s%s%s%s)", path, tcol,
                    c.header[0], c.n_cols > 1 ? ", " : "", c.n_cols > 1 ? c.header[1] : "",
                    c.n_cols > 2 ? ", ..." : "");
    goto done;
  }
  if (o->label_column) {
    li = mimic_csv_column(&c, o->label_column);
    if (li < 0) {
      st = mimic_fail(MIMIC_ERR_NOT_FOUND, "%s: no label column '%s'", path, o->label_column);
      goto done;
    }
  } else {
    for (size_t k = 0; k < 3 && li < 0; k++) li = mimic_csv_column(&c, label_names[k]);
  }
  if (li < 0 && o->need_labels) {
    st = mimic_fail(MIMIC_ERR_NOT_FOUND,
                    "%s: no label column (looked for label, category, intent; use "
                    "--label-column)",
                    path);
    goto done;
  }
  if (li >= 0 && !(d->label_column = mimic_strdup(c.header[li]))) {
    st = MIMIC_ERR_NOMEM;
    goto done;
  }
  if ((st = data_alloc(d, c.n_rows, li >= 0))) goto done;
  for (size_t r = 0; r < c.n_rows; r++) {
    char where[64];
    snprintf(where, sizeof where, "row %zu (line %lld)", r + 1, (long long)c.line[r]);
    const char *t = c.cells[r * c.n_cols + (size_t)ti];
    if ((st = check_text(path, where, tcol, t, o->allow_empty))) goto done;
    d->n = r + 1; /* counted before allocating, so a failure frees what was made */
    if (li >= 0) {
      const char *l = c.cells[r * c.n_cols + (size_t)li];
      if ((st = check_text(path, where, c.header[li], l, false))) goto done;
      if (!(d->label[r] = mimic_strdup(l))) {
        st = MIMIC_ERR_NOMEM;
        goto done;
      }
    }
    if (!(d->text[r] = mimic_strdup(t))) {
      st = MIMIC_ERR_NOMEM;
      goto done;
    }
    d->row[r] = (int64_t)r + 1;
    d->line[r] = c.line[r];
  }
done:
  mimic_csv_free(&c);
  return st;
}

/* Splits buf into lines in place (LF or CRLF); returns the count, or -1 on no memory. */
static int64_t split_lines(char *buf, size_t len, char ***lines) {
  size_t cap = 1024, n = 0;
  char **v = mimic_malloc(cap * sizeof *v, "lines");
  if (!v) return -1;
  size_t i = 0;
  while (i < len) {
    char *s = buf + i;
    char *nl = memchr(s, '\n', len - i);
    size_t e = nl ? (size_t)(nl - buf) : len;
    if (e > i && buf[e - 1] == '\r') buf[e - 1] = '\0';
    if (e < len) buf[e] = '\0';
    if (n == cap) {
      cap *= 2;
      char **nv = mimic_realloc(v, cap, sizeof *nv, "lines");
      if (!nv) {
        free(v);
        return -1;
      }
      v = nv;
    }
    v[n++] = s;
    i = e + 1;
  }
  *lines = v;
  return (int64_t)n;
}

static mimic_status read_lines_file(const char *path, char **data, char ***lines, int64_t *n) {
  size_t len = 0;
  MIMIC_TRY(mimic_read_file(path, data, &len));
  if (memchr(*data, '\0', len)) {
    free(*data);
    return mimic_fail(MIMIC_ERR_FORMAT, "%s: contains a NUL byte (not a text file?)", path);
  }
  size_t skip = len >= 3 && (unsigned char)(*data)[0] == 0xEF &&
                        (unsigned char)(*data)[1] == 0xBB && (unsigned char)(*data)[2] == 0xBF
                    ? 3
                    : 0;
  *n = split_lines(*data + skip, len - skip, lines);
  if (*n < 0) {
    free(*data);
    return MIMIC_ERR_NOMEM;
  }
  return MIMIC_OK;
}

static mimic_status read_plain(const char *path, const mimic_text_read_opts *o,
                               mimic_text_data *d) {
  if (o->need_labels)
    return mimic_fail(MIMIC_ERR_INVALID, "%s: a plain-text file has no labels (use CSV or JSONL)",
                      path);
  char *data = NULL, **lines = NULL;
  int64_t n = 0;
  MIMIC_TRY(read_lines_file(path, &data, &lines, &n));
  mimic_status st = data_alloc(d, (size_t)n, false);
  for (int64_t r = 0; st == MIMIC_OK && r < n; r++) {
    char where[48];
    snprintf(where, sizeof where, "line %lld", (long long)r + 1);
    size_t bad;
    if (!mimic_utf8_valid(lines[r], strlen(lines[r]), &bad))
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: invalid UTF-8 at byte %zu", path, where, bad);
    else if (!o->allow_empty && all_space(lines[r]))
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s is empty", path, where);
    else if (!(d->text[r] = mimic_strdup(lines[r])))
      st = MIMIC_ERR_NOMEM;
    else {
      d->row[r] = d->line[r] = r + 1;
      d->n = (size_t)r + 1;
    }
  }
  free(lines);
  free(data);
  return st;
}

static mimic_status read_jsonl(const char *path, const mimic_text_read_opts *o,
                               mimic_text_data *d) {
  char *data = NULL, **lines = NULL;
  int64_t n = 0;
  MIMIC_TRY(read_lines_file(path, &data, &lines, &n));
  mimic_status st = data_alloc(d, (size_t)n, true);
  const char *tcol = o->text_column ? o->text_column : "text";
  const char *lcol = o->label_column;
  size_t k = 0;
  bool any_label = false;
  for (int64_t r = 0; st == MIMIC_OK && r < n; r++) {
    if (all_space(lines[r])) continue; /* blank lines separate nothing in JSONL */
    char where[48];
    snprintf(where, sizeof where, "line %lld", (long long)r + 1);
    json_error_t err;
    json_t *obj = json_loads(lines[r], JSON_REJECT_DUPLICATES, &err);
    if (!obj) {
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: invalid JSON: %s", path, where, err.text);
      break;
    }
    if (!json_is_object(obj)) {
      json_decref(obj);
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: expected a JSON object", path, where);
      break;
    }
    json_t *t = json_object_get(obj, tcol);
    if (!json_is_string(t)) {
      json_decref(obj);
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: field '%s' is %s", path, where, tcol,
                      t ? "not a string" : "missing");
      break;
    }
    json_t *l = NULL;
    const char *lname = lcol;
    if (lcol)
      l = json_object_get(obj, lcol);
    else
      for (size_t q = 0; q < 3 && !l; q++) l = json_object_get(obj, lname = label_names[q]);
    if (lcol && !l && o->need_labels) {
      json_decref(obj);
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: field '%s' is missing", path, where, lcol);
      break;
    }
    if (!l && o->need_labels) {
      json_decref(obj);
      st = mimic_fail(MIMIC_ERR_FORMAT,
                      "%s: %s: no label field (looked for label, category, intent; use "
                      "--label-column)",
                      path, where);
      break;
    }
    const char *ts = json_string_value(t);
    if ((st = check_text(path, where, tcol, ts, o->allow_empty))) {
      json_decref(obj);
      break;
    }
    d->n = k + 1; /* counted before allocating, so a failure frees what was made */
    if (l) {
      char num[32];
      const char *ls = NULL;
      if (json_is_string(l))
        ls = json_string_value(l);
      else if (json_is_integer(l)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(l));
        ls = num;
      } else {
        json_decref(obj);
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: field '%s' is not a string or integer", path,
                        where, lname);
        break;
      }
      if (!*ls) {
        json_decref(obj);
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: field '%s' is empty", path, where, lname);
        break;
      }
      if (!d->label_column && !(d->label_column = mimic_strdup(lname))) st = MIMIC_ERR_NOMEM;
      if (st == MIMIC_OK && !(d->label[k] = mimic_strdup(ls))) st = MIMIC_ERR_NOMEM;
      any_label = true;
    } else if (any_label) {
      json_decref(obj);
      st = mimic_fail(MIMIC_ERR_FORMAT, "%s: %s: label field is missing (earlier lines have one)",
                      path, where);
      break;
    }
    if (st == MIMIC_OK && !(d->text[k] = mimic_strdup(ts))) st = MIMIC_ERR_NOMEM;
    json_decref(obj);
    if (st) break;
    d->row[k] = d->line[k] = r + 1;
    k++;
  }
  if (st == MIMIC_OK && any_label)
    for (size_t i = 0; i < d->n; i++)
      if (!d->label[i]) {
        st = mimic_fail(MIMIC_ERR_FORMAT, "%s: line %lld: label field is missing", path,
                        (long long)d->line[i]);
        break;
      }
  if (st == MIMIC_OK && !any_label) {
    free(d->label);
    d->label = NULL;
  }
  free(lines);
  free(data);
  return st;
}

mimic_status mimic_text_read(const char *path, const mimic_text_read_opts *opts,
                             mimic_text_data *out) {
  memset(out, 0, sizeof *out);
  mimic_text_read_opts o;
  if (opts)
    o = *opts;
  else
    memset(&o, 0, sizeof o);
  struct stat sb;
  if (path && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
    return mimic_fail(MIMIC_ERR_INVALID,
                      "%s is a directory; give a file of texts (.csv, .jsonl or .txt)", path);
  mimic_text_format fmt = o.format == MIMIC_TEXT_AUTO ? mimic_text_format_guess(path) : o.format;
  mimic_status st;
  switch (fmt) {
  case MIMIC_TEXT_CSV: st = read_csv(path, &o, out); break;
  case MIMIC_TEXT_JSONL: st = read_jsonl(path, &o, out); break;
  default: st = read_plain(path, &o, out); break;
  }
  if (st == MIMIC_OK && out->n == 0) st = mimic_fail(MIMIC_ERR_FORMAT, "%s: no items", path);
  if (st) mimic_text_data_free(out);
  return st;
}
