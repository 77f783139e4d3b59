/* Printing that several commands share: spaces in Gymnasium's words, and
 * JSON objects built with Jansson (never printf-escaped). */
#ifndef MIMIC_CLI_SHOW_H
#define MIMIC_CLI_SHOW_H

#include <jansson.h>
#include <stddef.h>

#include "mimic/data.h"

/* Writes "Discrete(2)", "Discrete(3, start=1)" or "Box(shape=(4,), float32)" into buf. */
void cli_space_text(const mimic_data_space *s, char *buf, size_t cap);
/* Prints o indented on stdout and releases it. */
void cli_print_json(json_t *o);

#endif
