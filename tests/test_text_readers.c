/* Readers: CSV per RFC 4180 (quoted fields, doubled quotes, embedded
 * newlines, CRLF, BOM, empty lines), malformed CSV rows named by row and
 * line, JSON Lines and plain text, column selection, invalid UTF-8 and
 * empty texts named by row, the CSV field writer round trip, and the
 * BANKING77 files (10,003 / 3,080 rows, multi-line quoted texts). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"
#include "core/util.h"
#include "text/readers.h"

static char *write_tmp(const char *name, const char *content) {
  char *p = tu_tmp_path(name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  fwrite(content, 1, strlen(content), f);
  fclose(f);
  return p;
}

static void test_csv_rfc4180(void **state) {
  (void)state;
  const char *src = "\xEF\xBB\xBFtext,label\r\n"
                    "plain,a\r\n"
                    "\"with, comma\",b\r\n"
                    "\r\n"
                    "\"say \"\"hi\"\"\",c\n"
                    "\"two\nlines\",d\n"
                    ",e\n"
                    "\"\",f\n"
                    "last,g"; /* no final newline */
  mimic_csv c;
  assert_int_equal(mimic_csv_parse(src, strlen(src), "t.csv", &c), MIMIC_OK);
  assert_int_equal(c.n_cols, 2);
  assert_int_equal(c.n_rows, 7);
  assert_string_equal(c.header[0], "text");
  assert_string_equal(c.cells[0], "plain");
  assert_string_equal(c.cells[2], "with, comma");
  assert_string_equal(c.cells[4], "say \"hi\"");
  assert_string_equal(c.cells[6], "two\nlines");
  assert_string_equal(c.cells[8], "");
  assert_string_equal(c.cells[10], "");
  assert_string_equal(c.cells[12], "last");
  assert_string_equal(c.cells[13], "g");
  /* lines where records start: header 1, plain 2, comma 3, (blank 4), hi 5, two 6, e 8 */
  assert_int_equal(c.line[0], 2);
  assert_int_equal(c.line[2], 5);
  assert_int_equal(c.line[3], 6);
  assert_int_equal(c.line[4], 8);
  assert_int_equal(mimic_csv_column(&c, "label"), 1);
  assert_int_equal(mimic_csv_column(&c, "nope"), -1);
  mimic_csv_free(&c);
}

static void expect_csv_error(const char *src, const char *part1, const char *part2) {
  mimic_csv c;
  mimic_status st = mimic_csv_parse(src, strlen(src), "bad.csv", &c);
  assert_int_equal(st, MIMIC_ERR_FORMAT);
  const char *msg = mimic_errmsg();
  if (!strstr(msg, part1) || (part2 && !strstr(msg, part2)))
    fail_msg("message '%s' lacks '%s' / '%s'", msg, part1, part2 ? part2 : "");
}

static void test_csv_malformed(void **state) {
  (void)state;
  expect_csv_error("text,label\na,b\nc,d,e\n", "row 2 (line 3)", "3 fields, the header has 2");
  expect_csv_error("text,label\na,b\nonly\n", "row 2 (line 3)", "1 field,");
  expect_csv_error("text,label\na,b\n\"open,c\nmore\n", "row 2 (line 3)", "never closed");
  expect_csv_error("text,label\n\"ab\"c,d\n", "row 1 (line 2)", "after a closing quote");
  expect_csv_error("text,label\nab\"c,d\n", "row 1 (line 2)", "quote inside an unquoted");
  expect_csv_error("text,text\na,b\n", "header", "appears twice");
  expect_csv_error("", "empty file", NULL);
  /* a NUL byte inside the buffer */
  mimic_csv c;
  const char nul[] = "text,label\na\0b,c\n";
  assert_int_equal(mimic_csv_parse(nul, sizeof nul - 1, "nul.csv", &c), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "NUL"));
  /* the row number counts records, the line number physical lines */
  expect_csv_error("text,label\n\"a\nb\nc\",x\nd,e,f\n", "row 2 (line 5)", NULL);
}

static void test_csv_writer_round_trip(void **state) {
  (void)state;
  const char *fields[] = {"plain",  "a,b", "quote \"x\"", "new\nline", " lead",
                          "trail ", "",    "crlf\r\nend"};
  char *path = tu_tmp_path("rt.csv");
  FILE *f = fopen(path, "wb");
  fputs("text,label\n", f);
  for (int i = 0; i < 8; i++) {
    mimic_csv_write_field(f, fields[i]);
    fprintf(f, ",l%d\n", i);
  }
  fclose(f);
  mimic_csv c;
  assert_int_equal(mimic_csv_read(path, &c), MIMIC_OK);
  assert_int_equal(c.n_rows, 8);
  for (int i = 0; i < 8; i++) assert_string_equal(c.cells[2 * i], fields[i]);
  mimic_csv_free(&c);
  free(path);
}

static void test_text_read_csv(void **state) {
  (void)state;
  char *p = write_tmp("data.csv", "id,utterance,intent\n1,hello there,greet\n2,\"bye, now\",bye\n");
  mimic_text_read_opts o = {0};
  mimic_text_data d;
  o.text_column = "utterance";
  o.need_labels = true;
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_OK); /* label column found: intent */
  assert_int_equal(d.n, 2);
  assert_string_equal(d.text[1], "bye, now");
  assert_string_equal(d.label[1], "bye");
  assert_string_equal(d.label_column, "intent");
  assert_int_equal(d.row[1], 2);
  mimic_text_data_free(&d);
  o.label_column = "id";
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_OK);
  assert_string_equal(d.label[0], "1");
  mimic_text_data_free(&d);
  o.label_column = "missing";
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_NOT_FOUND);
  assert_non_null(strstr(mimic_errmsg(), "missing"));
  o.label_column = NULL;
  o.text_column = "text";
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_NOT_FOUND);
  assert_non_null(strstr(mimic_errmsg(), "no column 'text'"));
  free(p);
  /* empty texts and invalid UTF-8 name the row */
  p = write_tmp("empty.csv", "text,label\nfine,a\n\"  \",b\n");
  o.text_column = NULL;
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "row 2 (line 3)"));
  assert_non_null(strstr(mimic_errmsg(), "empty"));
  o.allow_empty = true;
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_OK);
  mimic_text_data_free(&d);
  o.allow_empty = false;
  free(p);
  p = write_tmp("utf8.csv", "text,label\nfine,a\nok,b\n\"bad \xc3\x28 text\",c\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "row 3 (line 4)"));
  assert_non_null(strstr(mimic_errmsg(), "invalid UTF-8"));
  free(p);
  p = write_tmp("nolabel.csv", "text\nhello\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_NOT_FOUND);
  o.need_labels = false;
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_OK);
  assert_null(d.label);
  mimic_text_data_free(&d);
  free(p);
  p = write_tmp("emptylabel.csv", "text,label\nhello,\n");
  o.need_labels = true;
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "row 1"));
  free(p);
}

static void test_text_read_jsonl_and_plain(void **state) {
  (void)state;
  mimic_text_read_opts o = {0};
  mimic_text_data d;
  char *p = write_tmp("d.jsonl", "{\"text\": \"hi there\", \"label\": \"greet\"}\n\n"
                                 "{\"text\": \"caf\\u00e9 \\\"x\\\"\", \"label\": 7}\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_OK);
  assert_int_equal(d.n, 2);
  assert_string_equal(d.text[1], "café \"x\"");
  assert_string_equal(d.label[1], "7");
  assert_int_equal(d.line[1], 3);
  mimic_text_data_free(&d);
  free(p);
  p = write_tmp("bad.jsonl",
                "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 2"));
  free(p);
  p = write_tmp("bad2.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n[1,2]\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 2: expected a JSON object"));
  free(p);
  p = write_tmp("bad3.jsonl",
                "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"\", \"label\": \"y\"}\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 2"));
  assert_non_null(strstr(mimic_errmsg(), "empty"));
  free(p);
  p = write_tmp("bad4.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\"}\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 2"));
  free(p);
  p = write_tmp("bad5.jsonl", "{\"text\": \"a\xff\", \"label\": \"x\"}\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 1"));
  free(p);
  /* plain text: one item per line, CRLF tolerated, final newline optional */
  p = write_tmp("d.txt", "first line\r\nsecond line\nthird");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_OK);
  assert_int_equal(d.n, 3);
  assert_string_equal(d.text[0], "first line");
  assert_null(d.label);
  mimic_text_data_free(&d);
  free(p);
  p = write_tmp("e.txt", "one\n\nthree\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 2 is empty"));
  free(p);
  p = write_tmp("u.txt", "one\ntw\xc0\xafo\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "line 2: invalid UTF-8"));
  free(p);
  o.need_labels = true;
  p = write_tmp("f.txt", "one\n");
  assert_int_equal(mimic_text_read(p, &o, &d), MIMIC_ERR_INVALID);
  free(p);
  o.need_labels = false;
  assert_int_equal(mimic_text_read("/nonexistent/file.csv", &o, &d), MIMIC_ERR_NOT_FOUND);
}

static void test_banking77_files(void **state) {
  (void)state;
  char path[4096];
  mimic_text_read_opts o = {0};
  o.need_labels = true;
  mimic_text_data d;
  snprintf(path, sizeof path, "%s/text-agents/banking77/train.csv", tu_data_dir());
  assert_int_equal(mimic_text_read(path, &o, &d), MIMIC_OK);
  assert_int_equal(d.n, 10003);
  assert_string_equal(d.label_column, "category");
  size_t multiline = 0, quotes = 0;
  for (size_t i = 0; i < d.n; i++) {
    multiline += strchr(d.text[i], '\n') != NULL;
    quotes += strchr(d.text[i], '"') != NULL;
  }
  assert_int_equal(multiline, 10); /* per the data README */
  assert_true(quotes > 0);
  mimic_labelset ls;
  assert_int_equal(mimic_labelset_build(&ls, (const char *const *)d.label, d.n, NULL), MIMIC_OK);
  assert_int_equal(ls.n, 77);
  mimic_labelset_free(&ls);
  mimic_text_data_free(&d);
  snprintf(path, sizeof path, "%s/text-agents/banking77/test.csv", tu_data_dir());
  assert_int_equal(mimic_text_read(path, &o, &d), MIMIC_OK);
  assert_int_equal(d.n, 3080);
  multiline = 0;
  for (size_t i = 0; i < d.n; i++) multiline += strchr(d.text[i], '\n') != NULL;
  assert_int_equal(multiline, 3);
  mimic_text_data_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv_rfc4180),
      cmocka_unit_test(test_csv_malformed),
      cmocka_unit_test(test_csv_writer_round_trip),
      cmocka_unit_test(test_text_read_csv),
      cmocka_unit_test(test_text_read_jsonl_and_plain),
      cmocka_unit_test(test_banking77_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
