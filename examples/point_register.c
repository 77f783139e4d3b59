/* Registers PointMass-v0 as the program starts, before main, as mimic's own
 * families register themselves. Built into a program together with
 * point_env.c, it makes the id usable everywhere in that program; built
 * into the mimic command, by every command:
 *
 *     cmake -S . -B build \
 *       -DMIMIC_USER_ENVS="$PWD/examples/point_env.c;$PWD/examples/point_register.c"
 *     build/mimic collect --env PointMass-v0 --expert builtin -o demos/
 *
 * (mimic's own build makes exactly that as examples/mimic-point.) */
#include <stdio.h>

#include "point_env.h"

__attribute__((constructor)) static void register_point_env(void) {
  if (mimic_env_register(&point_env_class) != MIMIC_OK)
    fprintf(stderr, "PointMass-v0 is not available: %s\n", mimic_errmsg());
}
