/* Private to the container's two files: what the reader of the current
 * layout (container.c) and the converter of the binary policy layout
 * (container_legacy.c) share. */
#ifndef MIMIC_CORE_CONTAINER_IMPL_H
#define MIMIC_CORE_CONTAINER_IMPL_H

#include "mimic/container.h"

/* Reads a little-endian uint32. */
static inline uint32_t container_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Fails with "<name>: <printf message>" (MIMIC_ERR_FORMAT). */
mimic_status container_bad(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets kind, kind version and an empty meta object on a container whose
 * other fields are zero or kept (the name). */
mimic_status container_start(mimic_container *c, const char *kind, int kind_version);

/* Fills c (named, otherwise empty) from the bytes of a file in the binary
 * policy layout of version 1, already known to start with the magic and
 * version 1: the kind "mimic.policy" (or "mimic.reward" when its metadata
 * says "format": "mimic-reward-1") with the arrays and meta a policy of
 * format version 2 has. */
mimic_status container_read_policy_v1(const uint8_t *p, size_t len, mimic_container *c);

#endif
