/* Building blocks every layer of mimic shares but a user of the library
 * does not call: growing arrays, aligned buffers, error plumbing, folder
 * fsyncs, PNG and CSV output, UTF-8 checks and CRC-32. Internal to mimic
 * (not installed); the public part of core is mimic/core.h. */
#ifndef MIMIC_CORE_UTIL_H
#define MIMIC_CORE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mimic/core.h"

/* ---- errors ------------------------------------------------------------- */

/* Like mimic_fail with a va_list. */
mimic_status mimic_vfail(mimic_status st, const char *fmt, va_list ap);

/* Clears this thread's last error. */
void mimic_errclear(void);

/* ---- memory ------------------------------------------------------------- */

/* Makes *buf (an array of *cap items of size bytes) hold at least need
 * items, doubling from `first`; on failure *buf and *cap are unchanged. */
mimic_status mimic_grow(void *buf, size_t *cap, size_t need, size_t size, size_t first,
                        const char *what);
/* Does s end with suffix (byte for byte)? */
bool mimic_ends_with(const char *s, const char *suffix);
/* 64-byte aligned allocation for vectorised buffers; free with mimic_free_aligned. */
void *mimic_alloc_aligned(size_t n, const char *what);
/* Frees memory from mimic_alloc_aligned (NULL is fine). */
void mimic_free_aligned(void *p);
/* Bytes of physical memory in this machine (0 when it cannot be told). */
size_t mimic_memory_total(void);

/* ---- files -------------------------------------------------------------- */

/* fsyncs the folder that holds path, so a rename or create in it is durable. */
mimic_status mimic_fsync_parent(const char *path);
/* Writes an 8-bit RGB image (w*h*3 bytes, rows top to bottom) as a PNG file, durably. */
mimic_status mimic_png_write_rgb(const char *path, const uint8_t *rgb, int w, int h);
/* Encodes an 8-bit RGB image as PNG bytes in memory (*out malloc'd). */
mimic_status mimic_png_encode_rgb(const uint8_t *rgb, int w, int h, unsigned char **out,
                                  size_t *len);

/* ---- text and checksums ------------------------------------------------- */

/* Rewrites NaN, Infinity and -Infinity outside strings (what Python's json
 * module writes for non-finite floats, and JSON has no words for) as the
 * strings "NaN", "Infinity", "-Infinity", so the text parses and the reader
 * of a field can say which one was not finite. Returns a new string (NULL
 * when out of memory). */
char *mimic_json_quote_nonfinite(const char *text);
/* Checks that len bytes are valid UTF-8; on failure *bad_offset = first bad byte. */
bool mimic_utf8_valid(const char *s, size_t len, size_t *bad_offset);
/* Writes one CSV field, quoting when needed (",", quote, CR, LF, leading/trailing space). */
void mimic_csv_write_field(FILE *fp, const char *s);
/* Bytes mimic_float_text may write, with the terminating NUL. */
#define MIMIC_FLOAT_TEXT_MAX 32
/* Writes v exactly as printf's "%.9g" does (nine significant digits: any
 * float reads back as itself) and returns the length; several times faster
 * for the values observations usually hold. */
size_t mimic_float_text(float v, char *buf);
/* n floats as a JSON list, "[0.5, -1]" (malloc'd; NULL when out of memory). */
char *mimic_float_list_text(const float *v, int n);
/* Is s (len bytes) one JSON value (RFC 8259; nesting at most 64 deep), with
 * only white space around it? Checks without building anything. */
bool mimic_json_valid(const char *s, size_t len);
/* Writes s as a JSON string (quotes, escapes) into buf of cap bytes; returns
 * the length it needs (not counting the NUL), as snprintf does. */
size_t mimic_json_quote(const char *s, char *buf, size_t cap);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of len bytes, continuing from crc (start with 0). */
uint32_t mimic_crc32(uint32_t crc, const void *data, size_t len);

#endif
