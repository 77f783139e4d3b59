/* mimic/container.h: the one file every model mimic writes lives in.
 *
 * A container is a kind ("mimic.policy", "mimic.reward",
 * "mimic.text_classifier", "mimic.agent", ...) with its own version, a JSON
 * object of metadata and named typed arrays, written as magic "MIMICMDL",
 * format version 2, a JSON header, the arrays (each at a multiple of 8
 * bytes) and a CRC-32 (docs/model-file.md). A writer fills one with
 * init/add and saves or encodes it; a reader reads or decodes it (files of
 * the two older layouts too), checks its kind with expect and takes its
 * arrays with get. Reading trusts nothing in the bytes; every error names
 * the file and the field or array. */
#ifndef MIMIC_CONTAINER_H
#define MIMIC_CONTAINER_H

#include <jansson.h>

#include "mimic/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The element types of arrays, by their NumPy names. */
typedef enum mimic_array_type {
  MIMIC_ARRAY_F4 = 0, /* "<f4": float, little-endian IEEE-754 binary32 */
  MIMIC_ARRAY_F8 = 1, /* "<f8": double */
  MIMIC_ARRAY_I4 = 2, /* "<i4": int32_t */
  MIMIC_ARRAY_I8 = 3, /* "<i8": int64_t */
  MIMIC_ARRAY_U1 = 4, /* "|u1": uint8_t */
} mimic_array_type;

typedef struct mimic_container_array {
  char *name;            /* unique in its container */
  mimic_array_type type; /* element type */
  uint64_t count;        /* elements */
  const void *data;      /* count elements in host order, 8-byte aligned when read */
} mimic_container_array;

typedef struct mimic_container {
  char *name;         /* the file (or buffer) named in messages */
  char *kind;         /* what the file holds */
  int kind_version;   /* the version of the kind's meta and arrays */
  int format_version; /* the layout read: 2, or 1 for a file of an older layout */
  const char *legacy; /* NULL, or which older layout the file was read from */
  json_t *meta;       /* a JSON object, owned */
  int n_arrays;       /* arrays, in file order */
  mimic_container_array *arrays;
  int cap_arrays; /* private */
  void *store;    /* private: the bytes a read container's arrays point into */
} mimic_container;

/* Returns "<f4", "<f8", "<i4", "<i8" or "|u1" (NULL if unknown). */
const char *mimic_array_type_name(mimic_array_type type);
/* Returns the bytes of one element (0 if unknown). */
size_t mimic_array_type_size(mimic_array_type type);

/* Starts an empty container of kind (letters, digits, '.', '_', '-') at kind_version >= 1. */
mimic_status mimic_container_init(mimic_container *c, const char *kind, int kind_version);
/* Adds an array that borrows data (count elements of type) until the container is saved or freed.
 */
mimic_status mimic_container_add(mimic_container *c, const char *name, mimic_array_type type,
                                 const void *data, uint64_t count);
/* Encodes the container into a malloc'd buffer (the file's bytes). */
mimic_status mimic_container_encode(const mimic_container *c, uint8_t **buf, size_t *len);
/* Writes the container to path atomically (temporary file, fsync, rename). */
mimic_status mimic_container_save(const mimic_container *c, const char *path);

/* Reads and checks a file of any model layout mimic has written. */
mimic_status mimic_container_read(const char *path, mimic_container *c);
/* Like mimic_container_read on bytes; name is used in messages. */
mimic_status mimic_container_decode(const void *buf, size_t len, const char *name,
                                    mimic_container *c);
/* Reads only what a file says it holds: its kind (into kind, cap bytes) and kind version. */
mimic_status mimic_container_probe(const char *path, char *kind, size_t cap, int *kind_version);
/* Fails unless c holds kind at a version from 1 to max_kind_version. */
mimic_status mimic_container_expect(const mimic_container *c, const char *kind,
                                    int max_kind_version);
/* Returns the array called name, or NULL. */
const mimic_container_array *mimic_container_find(const mimic_container *c, const char *name);
/* Gives the data of array name, failing unless it has exactly this type and count. */
mimic_status mimic_container_get(const mimic_container *c, const char *name, mimic_array_type type,
                                 uint64_t count, const void **data);
/* Fails with "<file>: <field>: <printf message>" (MIMIC_ERR_FORMAT), for kind loaders. */
mimic_status mimic_container_fail(const mimic_container *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Frees what the container holds (not borrowed array data); safe on a zeroed one. */
void mimic_container_free(mimic_container *c);

#ifdef __cplusplus
}
#endif
#endif
