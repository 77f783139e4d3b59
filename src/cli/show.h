/* Printing that several commands share: spaces in Gymnasium's words, and
 * JSON objects built with Jansson (never printf-escaped). */
#ifndef MIMIC_CLI_SHOW_H
#define MIMIC_CLI_SHOW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mimic/data.h"
#include "mimic/evaluate.h"
#include "mimic/nn.h"

/* Writes "Discrete(2)", "Discrete(3, start=1)" or "Box(shape=(4,), float32)" into buf. */
void cli_space_text(const mimic_data_space *s, char *buf, size_t cap);
/* Prints o indented on stdout and releases it. */
void cli_print_json(json_t *o);
/* Prints o on one line on stdout and releases it. */
void cli_print_json_line(json_t *o);
/* o as compact JSON text (malloc'd; NULL when out of memory); releases o. */
char *cli_json_text(json_t *o);
/* A number: integral values as integers, others as reals, non-finite as null. */
json_t *cli_json_number(double v);
/* An unsigned 64-bit number (a seed): an integer, exact up to 2^63 - 1. */
json_t *cli_json_u64(uint64_t v);
/* A string (bytes that are not UTF-8 become '?'), or null for NULL. */
json_t *cli_json_str(const char *s);
/* A space as {"type": "Discrete", "n": N} or {"type": "Box", "dtype":
 * "float32", "shape": [...], "low": [...], "high": [...]} (bounds flat, in
 * row-major order, each with the fewest digits that read back exactly;
 * infinite bounds are the strings "inf" and "-inf", as Gymnasium's
 * constants.json writes them, so the output stays strict JSON). */
json_t *cli_space_json(const mimic_space *sp);
/* Adds an evaluation's figures to o: return_mean, return_std,
 * normalized_score, expert_return, random_return, eval_episodes. */
void cli_eval_json(json_t *o, const mimic_eval_result *r);
/* Loads the demonstrations at data and the environment to learn in: env,
 * or else the one the dataset names. Returns -1 to go on (ds loaded), or
 * an exit code (nothing loaded) after saying what is wrong. */
int cli_load_demos(const char *cmd, const char *data, const char *env, mimic_dataset *ds,
                   const char **env_id);
/* Describes a trained policy model by meta (released) and the environment's
 * spaces, saves it to out and evaluates it (100 episodes from seed 1000,
 * normalised when the environment has an expert) into r; the model passes
 * to this function (freed here). */
mimic_status cli_save_and_evaluate(mimic_model *model, const char *env_id, const char *env_opts,
                                   const char *out, json_t *meta, bool progress,
                                   mimic_eval_result *r);
/* The same for a dataset's space: Box bounds in its dtype, Discrete with its start. */
json_t *cli_data_space_json(const mimic_data_space *s);

#endif
