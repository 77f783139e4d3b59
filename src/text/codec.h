/* What the text loop sets up behind mimic/textloop.h: the label list of
 * the text codec (mimic_text_dagger_run sets the session's) and the
 * label-file expert (mimic_text_expert_open's "file:PATH"). Internal to
 * mimic (not installed). */
#ifndef MIMIC_TEXT_CODEC_H
#define MIMIC_TEXT_CODEC_H

#include "mimic/textloop.h"

/* Sets the labels answers are ids into (copied). */
mimic_status mimic_text_codec_set_labels(mimic_codec *c, const mimic_labelset *labels);
/* A label file as the expert: each item's gold label, found by id when the
 * question has one and the file has an id column, else by exact text
 * (a table expert: mimic_expert_table). */
mimic_status mimic_text_expert_file(const char *path, const mimic_text_read_opts *read,
                                    const char *id_column, const mimic_codec *codec,
                                    mimic_expert **out);

#endif
