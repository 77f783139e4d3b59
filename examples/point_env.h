/* PointMass-v0, an environment written against mimic's public headers only
 * (docs/write-an-environment.md walks through point_env.c).
 *
 * Register it once, then use it by id like any built-in environment:
 *
 *     mimic_env_register(&point_env_class);
 *     mimic_env_make("PointMass-v0", "dims=12", &env);
 */
#ifndef POINT_ENV_H
#define POINT_ENV_H

#include <mimic/env_class.h>

extern const mimic_env_class point_env_class;

#endif
