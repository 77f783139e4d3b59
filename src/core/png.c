/* PNG output through libpng: files written atomically like every mimic file,
 * and frames in memory (the labeling page serves them). libpng reports
 * errors by longjmp; the jump lands here and becomes a status, so a full
 * disk is an error message, not a crash. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>

#include "mimic/core.h"
#include "core/util.h"

/* Encodes the image to fp; what names it in messages. */
static mimic_status png_to(FILE *fp, const uint8_t *rgb, int w, int h, const char *what) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    return mimic_fail_nomem("a PNG writer");
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return mimic_fail(MIMIC_ERR_IO, "%s: PNG write failed", what);
  }
  png_init_io(png, fp);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < h; y++)
    png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)w * 3));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return MIMIC_OK;
}

mimic_status mimic_png_write_rgb(const char *path, const uint8_t *rgb, int w, int h) {
  if (w <= 0 || h <= 0 || !rgb) return mimic_fail(MIMIC_ERR_INVALID, "%s: empty image", path);
  mimic_atomic_file f;
  MIMIC_TRY(mimic_atomic_open(&f, path));
  mimic_status st = png_to(f.fp, rgb, w, h, path);
  if (st) {
    mimic_atomic_abort(&f);
    return st;
  }
  return mimic_atomic_commit(&f);
}

mimic_status mimic_png_encode_rgb(const uint8_t *rgb, int w, int h, unsigned char **out,
                                  size_t *len) {
  *out = NULL;
  *len = 0;
  if (w <= 0 || h <= 0 || !rgb) return mimic_fail(MIMIC_ERR_INVALID, "a frame: empty image");
  char *buf = NULL;
  size_t n = 0;
  FILE *fp = open_memstream(&buf, &n);
  if (!fp) return mimic_fail_nomem("a PNG in memory");
  mimic_status st = png_to(fp, rgb, w, h, "a frame");
  if (fclose(fp) && !st) st = mimic_fail_nomem("a PNG in memory");
  if (st) {
    free(buf);
    return st;
  }
  *out = (unsigned char *)buf;
  *len = n;
  return MIMIC_OK;
}
