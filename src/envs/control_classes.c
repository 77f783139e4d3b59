/* The classic-control and LaneKeep family: one line per environment, in
 * the order `mimic envs` lists them, registered when the library loads.
 *
 * Registration runs from a constructor (priority 201, before the gridworld
 * family's 202 in grid/grid_classes.c, so the listing's order is fixed), the
 * same mimic_env_register a user calls. A program linking libmimic
 * statically must take the whole archive (-Wl,--whole-archive), or the
 * linker drops this file, which nothing references
 * (docs/write-an-environment.md). */
#include "envs/control.h"

extern const mimic_env_class mimic_cartpole_class;
extern const mimic_env_class mimic_mountain_car_class;
extern const mimic_env_class mimic_mountain_car_continuous_class;
extern const mimic_env_class mimic_acrobot_class;
extern const mimic_env_class mimic_pendulum_class;
extern const mimic_env_class mimic_lanekeep_class;
extern const mimic_env_class mimic_lanekeep_continuous_class;

static const mimic_env_class *const control_classes[] = {
    &mimic_cartpole_class,
    &mimic_mountain_car_class,
    &mimic_mountain_car_continuous_class,
    &mimic_acrobot_class,
    &mimic_pendulum_class,
    &mimic_lanekeep_class,
    &mimic_lanekeep_continuous_class,
};

/* Built-in classes are valid (tests/test_envs_api.c makes each one), so
 * only an id taken first (by a user's constructor that runs earlier) or a
 * failed allocation can refuse one; no caller is there to tell, so the
 * logger says it. */
__attribute__((constructor(201))) static void register_control_family(void) {
  for (size_t i = 0; i < sizeof control_classes / sizeof *control_classes; i++)
    if (mimic_env_register(control_classes[i]) != MIMIC_OK) MIMIC_WARN("%s", mimic_errmsg());
}
