/* PNG output through libpng, written atomically like every mimic file.
 * libpng reports errors by longjmp; the jump lands here and becomes a
 * status, so a full disk is an error message, not a crash. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>

#include "mimic/core.h"
#include "core/util.h"

mimic_status mimic_png_write_rgb(const char *path, const uint8_t *rgb, int w, int h) {
  if (w <= 0 || h <= 0 || !rgb) return mimic_fail(MIMIC_ERR_INVALID, "%s: empty image", path);
  mimic_atomic_file f;
  MIMIC_TRY(mimic_atomic_open(&f, path));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    mimic_atomic_abort(&f);
    return mimic_fail_nomem("a PNG writer");
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    mimic_atomic_abort(&f);
    return mimic_fail(MIMIC_ERR_IO, "%s: PNG write failed", path);
  }
  png_init_io(png, f.fp);
  png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < h; y++)
    png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)w * 3));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return mimic_atomic_commit(&f);
}
