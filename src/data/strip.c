/* Observation-only datasets: `mimic dataset strip-actions` keeps what an
 * expert saw and drops what it did, as a video or a state log would. The
 * result stays a valid Minari dataset (Minari has no action-less layout):
 * every action becomes a placeholder inside the space (0, or the middle of
 * a bounded box) and the metadata says "actions_removed": true, which
 * trainers that need actions check (mimic_dataset_has_actions). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/data.h"

bool mimic_dataset_has_actions(const mimic_dataset *ds) {
  if (!ds->meta.extra_json) return true;
  json_t *extra = json_loads(ds->meta.extra_json, 0, NULL);
  const bool removed = json_is_true(json_object_get(extra, "actions_removed"));
  json_decref(extra);
  return !removed;
}

mimic_status mimic_dataset_strip_actions(mimic_dataset *ds) {
  const mimic_space *as = &ds->act_space.space;
  const int aw = ds->act_dim;
  for (size_t j = 0; j < ds->n_steps; j++)
    for (int k = 0; k < aw; k++) {
      float v = 0;
      if (as->kind == MIMIC_SPACE_BOX && as->low && as->high && isfinite(as->low[k]) &&
          isfinite(as->high[k]))
        v = as->low[k] + (as->high[k] - as->low[k]) / 2;
      ds->act[j * (size_t)aw + (size_t)k] = v;
    }
  json_error_t err;
  json_t *extra = ds->meta.extra_json ? json_loads(ds->meta.extra_json, 0, &err) : json_object();
  if (!json_is_object(extra)) {
    json_decref(extra);
    return mimic_fail(MIMIC_ERR_INVALID, "the dataset's extra metadata is not a JSON object");
  }
  json_object_set_new(extra, "actions_removed", json_true());
  char *text = json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(extra);
  if (!text) return mimic_fail_nomem("metadata");
  free(ds->meta.extra_json);
  ds->meta.extra_json = text;
  return MIMIC_OK;
}
