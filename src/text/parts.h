/* The parts of text and agent models in a model container
 * (mimic/container.h): a vectorizer, a linear model and a class list, each
 * exported under a key (meta[key] and float64 arrays "<key>.<name>") and
 * imported back with every field checked (errors name the file and
 * "meta.<key>"). The text classifier's file and the agent model's file are
 * built from them. Internal to mimic (not installed). */
#ifndef MIMIC_TEXT_PARTS_H
#define MIMIC_TEXT_PARTS_H

#include "mimic/container.h"
#include "mimic/text.h"

/* Adds a vectorizer's settings and terms under meta[key] and its idf as array "<key>.idf". */
mimic_status mimic_tfidf_export(const mimic_tfidf *v, const char *key, mimic_container *c);
/* Rebuilds a vectorizer from meta[key] and array "<key>.idf" (validating everything). */
mimic_status mimic_tfidf_import(mimic_tfidf *v, const mimic_container *c, const char *key);
/* Adds a linear model under meta[key] and arrays "<key>.w", "<key>.intercept". */
mimic_status mimic_linear_export(const mimic_linear *m, const char *key, mimic_container *c);
/* Rebuilds a linear model from meta[key] and its arrays. */
mimic_status mimic_linear_import(mimic_linear *m, const mimic_container *c, const char *key);
/* Adds class names as meta[key] (a JSON array of strings). */
mimic_status mimic_labelset_export(const mimic_labelset *ls, const char *key, mimic_container *c);
/* Reads class names from meta[key] (sorted, unique, valid UTF-8). */
mimic_status mimic_labelset_import(mimic_labelset *ls, const mimic_container *c, const char *key);

#endif
