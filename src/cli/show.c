/* Printing that several commands share (see show.h). */
#include "cli/show.h"

#include <stdio.h>
#include <stdlib.h>

void cli_space_text(const mimic_data_space *s, char *buf, size_t cap) {
  if (s->space.kind == MIMIC_SPACE_DISCRETE) {
    if (s->start)
      snprintf(buf, cap, "Discrete(%d, start=%lld)", s->space.n, (long long)s->start);
    else
      snprintf(buf, cap, "Discrete(%d)", s->space.n);
    return;
  }
  size_t n = (size_t)snprintf(buf, cap, "Box(shape=(");
  for (int d = 0; d < s->space.ndim; d++)
    n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%d", d ? ", " : "", s->space.shape[d]);
  snprintf(buf + n, n < cap ? cap - n : 0, "%s), %s)", s->space.ndim == 1 ? "," : "",
           mimic_dtype_name(s->dtype));
}

void cli_print_json(json_t *o) {
  char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(10));
  if (s) printf("%s\n", s);
  free(s);
  json_decref(o);
}
