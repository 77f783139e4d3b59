/* The MiniGrid suite's class list: one line per id, with MiniGrid 3.1's
 * registration kwargs (minigrid/__init__.py) and default max_steps,
 * registered when the library loads, as src/envs/control_classes.c explains.
 *
 * Columns: kind, size (grid or room size), a, b, c (per kind, see
 * mg_params in world.h), max_steps, see_through_walls, mission count. */
#include "grid/grid_env.h"

#define H MG_OPTIONS_HELP
#define MAP_HELP "map=PATH (an ASCII map, docs/gridworld.md), " MG_OPTIONS_HELP

/* Empty: max_steps 4*size^2, see-through */
MG_CLASS(empty5, "MiniGrid-Empty-5x5-v0", "empty 5x5 room, reach the goal", H, MG_GEN_EMPTY, 5, 0,
         0, 0, 100, true, 1);
MG_CLASS(empty6, "MiniGrid-Empty-6x6-v0", "empty 6x6 room, reach the goal", H, MG_GEN_EMPTY, 6, 0,
         0, 0, 144, true, 1);
MG_CLASS(empty8, "MiniGrid-Empty-8x8-v0", "empty 8x8 room, reach the goal", H, MG_GEN_EMPTY, 8, 0,
         0, 0, 256, true, 1);
MG_CLASS(empty16, "MiniGrid-Empty-16x16-v0", "empty 16x16 room, reach the goal", H, MG_GEN_EMPTY,
         16, 0, 0, 0, 1024, true, 1);
MG_CLASS(emptyr5, "MiniGrid-Empty-Random-5x5-v0", "empty 5x5 room, random start", H, MG_GEN_EMPTY,
         5, 1, 0, 0, 100, true, 1);
MG_CLASS(emptyr6, "MiniGrid-Empty-Random-6x6-v0", "empty 6x6 room, random start", H, MG_GEN_EMPTY,
         6, 1, 0, 0, 144, true, 1);
/* FourRooms: max_steps 100 */
MG_CLASS(fourrooms, "MiniGrid-FourRooms-v0", "four rooms joined by gaps, reach the goal", H,
         MG_GEN_FOURROOMS, 19, 0, 0, 0, 100, false, 1);
/* DoorKey: max_steps 10*size^2 */
MG_CLASS(doorkey5, "MiniGrid-DoorKey-5x5-v0", "get the key, unlock the door, reach the goal (5x5)",
         H, MG_GEN_DOORKEY, 5, 0, 0, 0, 250, false, 1);
MG_CLASS(doorkey6, "MiniGrid-DoorKey-6x6-v0", "get the key, unlock the door, reach the goal (6x6)",
         H, MG_GEN_DOORKEY, 6, 0, 0, 0, 360, false, 1);
MG_CLASS(doorkey8, "MiniGrid-DoorKey-8x8-v0", "get the key, unlock the door, reach the goal (8x8)",
         H, MG_GEN_DOORKEY, 8, 0, 0, 0, 640, false, 1);
MG_CLASS(doorkey16, "MiniGrid-DoorKey-16x16-v0",
         "get the key, unlock the door, reach the goal (16x16)", H, MG_GEN_DOORKEY, 16, 0, 0, 0,
         2560, false, 1);
/* Crossings: max_steps 4*size^2; a = crossings, b = lava */
MG_CLASS(lavac91, "MiniGrid-LavaCrossingS9N1-v0", "cross 1 lava river to the goal (9x9)", H,
         MG_GEN_CROSSING, 9, 1, 1, 0, 324, false, 1);
MG_CLASS(lavac92, "MiniGrid-LavaCrossingS9N2-v0", "cross 2 lava rivers to the goal (9x9)", H,
         MG_GEN_CROSSING, 9, 2, 1, 0, 324, false, 1);
MG_CLASS(lavac93, "MiniGrid-LavaCrossingS9N3-v0", "cross 3 lava rivers to the goal (9x9)", H,
         MG_GEN_CROSSING, 9, 3, 1, 0, 324, false, 1);
MG_CLASS(lavac115, "MiniGrid-LavaCrossingS11N5-v0", "cross 5 lava rivers to the goal (11x11)", H,
         MG_GEN_CROSSING, 11, 5, 1, 0, 484, false, 1);
MG_CLASS(simplec91, "MiniGrid-SimpleCrossingS9N1-v0", "cross 1 wall to the goal (9x9)", H,
         MG_GEN_CROSSING, 9, 1, 0, 0, 324, false, 1);
MG_CLASS(simplec92, "MiniGrid-SimpleCrossingS9N2-v0", "cross 2 walls to the goal (9x9)", H,
         MG_GEN_CROSSING, 9, 2, 0, 0, 324, false, 1);
MG_CLASS(simplec93, "MiniGrid-SimpleCrossingS9N3-v0", "cross 3 walls to the goal (9x9)", H,
         MG_GEN_CROSSING, 9, 3, 0, 0, 324, false, 1);
MG_CLASS(simplec115, "MiniGrid-SimpleCrossingS11N5-v0", "cross 5 walls to the goal (11x11)", H,
         MG_GEN_CROSSING, 11, 5, 0, 0, 484, false, 1);
/* LavaGap: max_steps 4*size^2 */
MG_CLASS(lavagap5, "MiniGrid-LavaGapS5-v0", "pass the gap in a lava wall (5x5)", H, MG_GEN_LAVAGAP,
         5, 0, 0, 0, 100, false, 1);
MG_CLASS(lavagap6, "MiniGrid-LavaGapS6-v0", "pass the gap in a lava wall (6x6)", H, MG_GEN_LAVAGAP,
         6, 0, 0, 0, 144, false, 1);
MG_CLASS(lavagap7, "MiniGrid-LavaGapS7-v0", "pass the gap in a lava wall (7x7)", H, MG_GEN_LAVAGAP,
         7, 0, 0, 0, 196, false, 1);
/* RoomGrid envs (room size 6, 1x2 rooms): Unlock 8*36, UnlockPickup 8*36, Blocked 16*36 */
MG_CLASS(unlock, "MiniGrid-Unlock-v0", "open the locked door", H, MG_GEN_UNLOCK, 6, 0, 0, 0, 288,
         false, 1);
MG_CLASS(unlockpickup, "MiniGrid-UnlockPickup-v0", "unlock the door, pick up the box behind it", H,
         MG_GEN_UNLOCKPICKUP, 6, 0, 0, 0, 288, false, 6);
MG_CLASS(blocked, "MiniGrid-BlockedUnlockPickup-v0",
         "move the ball, unlock the door, pick up the box", H, MG_GEN_BLOCKEDUNLOCKPICKUP, 6, 0, 0,
         0, 576, false, 12);
/* KeyCorridor: room size S, a = rows, max_steps 30*S^2 */
MG_CLASS(kc31, "MiniGrid-KeyCorridorS3R1-v0",
         "find the key, unlock the room, pick up the ball (S3R1)", H, MG_GEN_KEYCORRIDOR, 3, 1, 0,
         0, 270, false, 6);
MG_CLASS(kc32, "MiniGrid-KeyCorridorS3R2-v0",
         "find the key, unlock the room, pick up the ball (S3R2)", H, MG_GEN_KEYCORRIDOR, 3, 2, 0,
         0, 270, false, 6);
MG_CLASS(kc33, "MiniGrid-KeyCorridorS3R3-v0",
         "find the key, unlock the room, pick up the ball (S3R3)", H, MG_GEN_KEYCORRIDOR, 3, 3, 0,
         0, 270, false, 6);
MG_CLASS(kc43, "MiniGrid-KeyCorridorS4R3-v0",
         "find the key, unlock the room, pick up the ball (S4R3)", H, MG_GEN_KEYCORRIDOR, 4, 3, 0,
         0, 480, false, 6);
MG_CLASS(kc53, "MiniGrid-KeyCorridorS5R3-v0",
         "find the key, unlock the room, pick up the ball (S5R3)", H, MG_GEN_KEYCORRIDOR, 5, 3, 0,
         0, 750, false, 6);
MG_CLASS(kc63, "MiniGrid-KeyCorridorS6R3-v0",
         "find the key, unlock the room, pick up the ball (S6R3)", H, MG_GEN_KEYCORRIDOR, 6, 3, 0,
         0, 1080, false, 6);
/* MultiRoom: a, b = min/max rooms, c = max room size, max_steps 20*max rooms.
 * N4-S5-v0 is registered by MiniGrid 3.1 with 6 rooms (its legacy setting). */
MG_CLASS(mr2, "MiniGrid-MultiRoom-N2-S4-v0", "go through 2 rooms (size <= 4) to the goal", H,
         MG_GEN_MULTIROOM, 25, 2, 2, 4, 40, false, 1);
MG_CLASS(mr4, "MiniGrid-MultiRoom-N4-S5-v0",
         "go through rooms (size <= 5; MiniGrid registers 6) to the goal", H, MG_GEN_MULTIROOM, 25,
         6, 6, 5, 120, false, 1);
MG_CLASS(mr6, "MiniGrid-MultiRoom-N6-v0", "go through 6 rooms (size <= 10) to the goal", H,
         MG_GEN_MULTIROOM, 25, 6, 6, 10, 120, false, 1);
/* Fetch: a = objects, max_steps 5*size^2, see-through; missions 5 syntaxes x 6 colours x 2 types */
MG_CLASS(fetch5, "MiniGrid-Fetch-5x5-N2-v0", "pick up the named object among 2 (5x5)", H,
         MG_GEN_FETCH, 5, 2, 0, 0, 125, true, 60);
MG_CLASS(fetch6, "MiniGrid-Fetch-6x6-N2-v0", "pick up the named object among 2 (6x6)", H,
         MG_GEN_FETCH, 6, 2, 0, 0, 180, true, 60);
MG_CLASS(fetch8, "MiniGrid-Fetch-8x8-N3-v0", "pick up the named object among 3 (8x8)", H,
         MG_GEN_FETCH, 8, 3, 0, 0, 320, true, 60);
/* GoToDoor: max_steps 4*size^2 in MiniGrid 3.1 (the recordings say 100 for 5x5), see-through */
MG_CLASS(gotodoor5, "MiniGrid-GoToDoor-5x5-v0", "stand next to the named door and say done (5x5)",
         H, MG_GEN_GOTODOOR, 5, 0, 0, 0, 100, true, 6);
MG_CLASS(gotodoor6, "MiniGrid-GoToDoor-6x6-v0", "stand next to the named door and say done (6x6)",
         H, MG_GEN_GOTODOOR, 6, 0, 0, 0, 144, true, 6);
MG_CLASS(gotodoor8, "MiniGrid-GoToDoor-8x8-v0", "stand next to the named door and say done (8x8)",
         H, MG_GEN_GOTODOOR, 8, 0, 0, 0, 256, true, 6);
/* mimic's own */
MG_CLASS_LISTED(boxball, false, "mimic-BoxBall-9x7",
                "a box holding a ball, two keys, two doors, lava and a goal (testdata)", H,
                MG_GEN_BOXBALL, 9, 0, 0, 0, 80, false, 1);
MG_CLASS(gridmap, "mimic-GridMap-v0", "a level from an ASCII map file (map=PATH)", MAP_HELP,
         MG_GEN_MAP, 0, 0, 0, 0, 100, false, 1);

static const mimic_env_class *const grid_classes[] = {
    &empty5,   &empty6,    &empty8,       &empty16,   &emptyr5,    &emptyr6,  &fourrooms,
    &doorkey5, &doorkey6,  &doorkey8,     &doorkey16, &lavac91,    &lavac92,  &lavac93,
    &lavac115, &simplec91, &simplec92,    &simplec93, &simplec115, &lavagap5, &lavagap6,
    &lavagap7, &unlock,    &unlockpickup, &blocked,   &kc31,       &kc32,     &kc33,
    &kc43,     &kc53,      &kc63,         &mr2,       &mr4,        &mr6,      &fetch5,
    &fetch6,   &fetch8,    &gotodoor5,    &gotodoor6, &gotodoor8,  &boxball,  &gridmap};

/* After classic control (src/envs/control_classes.c registers at 201).
 * The classes are valid (tests/test_grid_expert.c makes each one), so only
 * an id taken first or a failed allocation refuses one, and with no caller
 * to tell, the logger says it. */
__attribute__((constructor(202))) static void register_grid_family(void) {
  for (size_t i = 0; i < sizeof grid_classes / sizeof *grid_classes; i++)
    if (mimic_env_register(grid_classes[i]) != MIMIC_OK) MIMIC_WARN("%s", mimic_errmsg());
}
