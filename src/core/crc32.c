/* CRC-32 (the IEEE polynomial of zlib and PNG), for model-file checksums.
 * A table-driven byte loop: fast enough for files of a few megabytes. */
#include "mimic/core.h"
#include "core/util.h"

#include <pthread.h>

static uint32_t crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

uint32_t mimic_crc32(uint32_t crc, const void *data, size_t len) {
  pthread_once(&crc_table_once, build_table);
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}
