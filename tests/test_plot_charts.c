/* Charts: files are valid PNG/SVG, written atomically, bad input refused. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mimic/plot.h"
#include "plot/canvas.h"

static void read_head(const char *path, char *buf, size_t n) {
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  assert_int_equal(fread(buf, 1, n, fp), n);
  fclose(fp);
}

static void test_line_chart_png_and_svg(void **state) {
  (void)state;
  double x[50], y[50], lo[50], hi[50];
  for (int i = 0; i < 50; i++) {
    x[i] = i * 100;
    y[i] = 500 * (1 - exp(-i / 10.0));
    lo[i] = y[i] - 20;
    hi[i] = y[i] + 20;
  }
  y[10] = NAN; /* gaps are skipped, not fatal */
  mimic_plot *p = mimic_plot_new("BC learning curve", "batches", "return");
  assert_non_null(p);
  assert_int_equal(mimic_plot_line(p, "clone", x, y, 50, true), MIMIC_OK);
  assert_int_equal(mimic_plot_band(p, x, lo, hi, 50), MIMIC_OK);
  assert_int_equal(mimic_plot_hline(p, "expert", 500), MIMIC_OK);
  char *png = tu_tmp_path("curve.png"), *svg = tu_tmp_path("curve.svg");
  assert_int_equal(mimic_plot_save(p, png), MIMIC_OK);
  assert_int_equal(mimic_plot_save(p, svg), MIMIC_OK);
  char head[8];
  read_head(png, head, 8);
  assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
  read_head(svg, head, 5);
  assert_memory_equal(head, "<?xml", 5);
  mimic_plot_log_axes(p, true, true);
  assert_int_equal(mimic_plot_save(p, png), MIMIC_OK);
  char *bad = tu_tmp_path("curve.jpg");
  assert_int_equal(mimic_plot_save(p, bad), MIMIC_ERR_INVALID);
  assert_non_null(strstr(mimic_errmsg(), ".png or .svg"));
  mimic_plot_free(p);
  free(png);
  free(svg);
  free(bad);
}

/* One axis, one form: PPO's x axis read "90000" beside "1e+05". */
static void test_tick_labels(void **state) {
  (void)state;
  char buf[32];
  const struct {
    double v, step;
    const char *want;
  } cases[] = {{90000, 10000, "90k"}, {100000, 10000, "100k"}, {0, 10000, "0"},
               {2500, 500, "2500"},   {7500, 2500, "7.5k"},    {1.5e6, 5e5, "1.5M"},
               {1200, 200, "1200"},   {-200, 100, "-200"},     {0.25, 0.05, "0.25"},
               {2e-5, 1e-5, "2e-05"}, {0.5, 0.5, "0.5"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    plot_format_tick(buf, sizeof buf, cases[i].v, cases[i].step);
    assert_string_equal(buf, cases[i].want);
  }
  double ticks[16], step;
  int n = plot_nice_ticks(0, 100000, 6, ticks, 16, &step);
  for (int i = 0; i < n; i++) {
    plot_format_tick(buf, sizeof buf, ticks[i], step);
    assert_null(strchr(buf, 'e'));
  }
}

static void test_band_needs_line(void **state) {
  (void)state;
  mimic_plot *p = mimic_plot_new("t", "x", "y");
  double v[2] = {0, 1};
  assert_int_equal(mimic_plot_band(p, v, v, v, 2), MIMIC_ERR_INVALID);
  mimic_plot_free(p);
}

static void test_heatmap(void **state) {
  (void)state;
  double v[5 * 7];
  for (int i = 0; i < 35; i++) v[i] = i % 6 == 0 ? NAN : sin(i);
  char *path = tu_tmp_path("heat.png");
  assert_int_equal(mimic_heatmap_save(path, "reward", v, 5, 7), MIMIC_OK);
  char head[8];
  read_head(path, head, 8);
  assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
  assert_int_equal(mimic_heatmap_save(path, "reward", v, 0, 7), MIMIC_ERR_INVALID);
  /* a named colour bar takes room of its own: the labelled map is wider */
  char *labelled = tu_tmp_path("heat-labelled.png");
  assert_int_equal(mimic_heatmap_save_labelled(labelled, "reward", "reward per cell", v, 5, 7),
                   MIMIC_OK);
  unsigned char a[24], b[24];
  read_head(path, (char *)a, 24);
  read_head(labelled, (char *)b, 24);
  unsigned wa = (unsigned)a[16] << 24 | a[17] << 16 | a[18] << 8 | a[19];
  unsigned wb = (unsigned)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
  assert_true(wb > wa);
  free(labelled);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line_chart_png_and_svg),
      cmocka_unit_test(test_tick_labels),
      cmocka_unit_test(test_band_needs_line),
      cmocka_unit_test(test_heatmap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
