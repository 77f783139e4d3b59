/* Box (continuous) actions on the labeling page (docs/web-expert.md).
 *
 * A question whose actions are Box vectors carries "box": the space's
 * shape, its bounds (null where a dimension is unbounded) and a name per
 * dimension ("torque", else "a[j]"), and its "suggested" is the learner's
 * action vector as it came out (possibly beyond the bounds: the page starts
 * its controls at the suggestion pulled inside them).
 *
 * An answer's "label" must be a JSON list of exactly dim numbers, each
 * finite and inside [low, high]. A value outside is refused (400), not
 * clipped: a person who pushed past a bound meant something the action
 * cannot say, and storing the bound instead would put words in their mouth.
 * The bounds are checked on the number as sent, before it becomes float32,
 * so 2.0000001 against a high of 2 is refused rather than rounded into
 * range. The accepted vector is what the label log stores: its float32
 * values, which the log writes with 9 significant digits and reads back to
 * the same bits, so the learner trains on exactly what was sent (to
 * float32). Internal to the loop layer. */
#include <math.h>
#include <stdlib.h>

#include "core/util.h"
#include "loop/transport.h"
#include "loop/web.h"

/* A bound as JSON: null where the dimension is unbounded. */
static json_t *bound(float v) { return isfinite(v) ? json_real((double)v) : json_null(); }

/* Dimension j's name. */
static const char *dim_name(const mimic_codec *c, int j, char *buf, size_t cap) {
  if (c->dim_names && c->dim_names[j]) return c->dim_names[j];
  snprintf(buf, cap, "a[%d]", j);
  return buf;
}

mimic_status web_box_fields(const mimic_codec *c, const mimic_questions *q, size_t i,
                            json_t *item) {
  const mimic_space *s = &c->space;
  json_t *box = json_object(), *shape = json_array(), *low = json_array(), *high = json_array(),
         *names = json_array();
  json_t *guess = q->guess && !isnan(q->guess[i * (size_t)s->dim]) ? json_array() : json_null();
  mimic_status st =
      box && shape && low && high && names && guess ? MIMIC_OK : mimic_fail_nomem("a question");
  for (int d = 0; !st && d < s->ndim; d++) json_array_append_new(shape, json_integer(s->shape[d]));
  for (int j = 0; !st && j < s->dim; j++) {
    char buf[32];
    json_array_append_new(low, bound(s->low ? s->low[j] : -INFINITY));
    json_array_append_new(high, bound(s->high ? s->high[j] : INFINITY));
    json_array_append_new(names, json_string(dim_name(c, j, buf, sizeof buf)));
    if (json_is_array(guess)) {
      float g = q->guess[i * (size_t)s->dim + (size_t)j];
      json_array_append_new(guess, isfinite(g) ? json_real((double)g) : json_null());
    }
  }
  if (!st) {
    json_object_set(box, "shape", shape);
    json_object_set(box, "low", low);
    json_object_set(box, "high", high);
    json_object_set(box, "names", names);
    json_object_set(item, "box", box);
    json_object_set(item, "suggested", guess);
  }
  json_decref(box);
  json_decref(shape);
  json_decref(low);
  json_decref(high);
  json_decref(names);
  json_decref(guess);
  return st;
}

mimic_status web_action_from_json(const mimic_codec *c, const json_t *v, float *action) {
  const mimic_space *s = &c->space;
  if (s->kind != MIMIC_SPACE_BOX) return mimic_codec_action_from_json(c, v, "label", action);
  if (!json_is_array(v))
    return mimic_fail(MIMIC_ERR_FORMAT, "\"label\" must be a JSON list of %d number%s", s->dim,
                      s->dim == 1 ? "" : "s");
  if (json_array_size(v) != (size_t)s->dim)
    return mimic_fail(MIMIC_ERR_FORMAT, "\"label\" has %zu number%s; the action has %d",
                      json_array_size(v), json_array_size(v) == 1 ? "" : "s", s->dim);
  for (int j = 0; j < s->dim; j++) {
    char buf[32];
    const char *name = dim_name(c, j, buf, sizeof buf);
    json_t *x = json_array_get(v, (size_t)j);
    if (!json_is_number(x))
      return mimic_fail(MIMIC_ERR_FORMAT, "\"label\"[%d] (%s) is not a number", j, name);
    double a = json_number_value(x);
    double lo = s->low ? (double)s->low[j] : -INFINITY,
           hi = s->high ? (double)s->high[j] : INFINITY;
    if (!isfinite(a) || !isfinite((double)(float)a))
      return mimic_fail(MIMIC_ERR_RANGE, "\"label\"[%d] (%s) is not a finite float32", j, name);
    if (a < lo || a > hi)
      return mimic_fail(MIMIC_ERR_RANGE, "\"label\"[%d] (%s) = %.9g is outside [%g, %g]", j, name,
                        a, lo, hi);
    action[j] = (float)a;
  }
  return MIMIC_OK;
}
