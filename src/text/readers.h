/* CSV files per RFC 4180, and the format a path's extension names: what
 * mimic_text_read (mimic/text.h) and the label-file expert read with.
 * Internal to mimic (not installed). */
#ifndef MIMIC_TEXT_READERS_H
#define MIMIC_TEXT_READERS_H

#include <stddef.h>
#include <stdint.h>

#include "mimic/text.h"

/* A CSV file per RFC 4180: first record is the header; fields may be quoted
 * ("a, b"), hold doubled quotes ("say ""hi""") and newlines. CRLF or LF. */
typedef struct mimic_csv {
  size_t n_rows, n_cols;
  char **header; /* [n_cols] */
  char **cells;  /* [n_rows * n_cols], row-major */
  int64_t *line; /* [n_rows]: the line each record starts on (1-based) */
  char *storage; /* backing memory of header and cells */
} mimic_csv;

/* Parses a CSV buffer; name is used in messages ("train.csv: row 7 (line 9): ..."). */
mimic_status mimic_csv_parse(const char *buf, size_t len, const char *name, mimic_csv *out);
/* Reads and parses a CSV file. */
mimic_status mimic_csv_read(const char *path, mimic_csv *out);
/* Column index of a header name, or -1. */
int mimic_csv_column(const mimic_csv *c, const char *name);
/* Frees a parsed CSV. */
void mimic_csv_free(mimic_csv *c);

/* The format MIMIC_TEXT_AUTO picks for path: by its extension, in any case. */
mimic_text_format mimic_text_format_guess(const char *path);

#endif
