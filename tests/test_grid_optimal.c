/* The planner's paths are optimal on Empty, DoorKey and the Crossings (and
 * FourRooms and LavaGap): for each seed, a brute-force breadth-first search
 * over the joint state (agent cell and direction, where every key or ball
 * is or whether it is carried, the state of every door), trying all seven
 * actions with the environment's own step function, finds the fewest steps
 * to success; the expert's episode must succeed in exactly that many steps.
 *
 * The search is independent of the planner: it knows nothing of subgoals,
 * it only enumerates what the rules allow. Seeds: 1000 per env, except
 * DoorKey-16x16 (its joint space is large: 100 seeds) and fewer under
 * AddressSanitizer. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grid/grid_env.h"
#include "mimic/env.h"
#include "mimic/grid.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 1
#else
#define SLOW 0
#endif

#define MAX_OBJ 4
#define MAX_DOORS 8

typedef struct model {
  mg_world base; /* the world without its movable objects, doors as at reset */
  int n_obj;
  uint8_t obj_code[MAX_OBJ];
  int n_doors;
  int door_cell[MAX_DOORS];
  int door_color[MAX_DOORS];
} model;

/* joint state: agent cell (12 bits) dir (2) objects' cells (12 bits each, 0 = carried)
 * doors (2 bits each) */
typedef struct jstate {
  uint64_t a, b;
} jstate;

static jstate pack(const model *m, const mg_world *w, const int *obj_cell) {
  jstate s = {0, 0};
  s.a = (uint64_t)w->agent | (uint64_t)w->dir << 12;
  for (int i = 0; i < m->n_obj; i++)
    s.a |= (uint64_t)(obj_cell[i] < 0 ? 0 : obj_cell[i]) << (14 + 12 * i);
  for (int d = 0; d < m->n_doors; d++)
    s.b |= (uint64_t)mg_state(w->cell[m->door_cell[d]]) << (2 * d);
  return s;
}

/* Builds the world of state s into w, a copy of the base whose object
 * cells were cleared after the previous step (restore()). Only cell[] is
 * kept: no observation is made of these worlds, so cellT may be stale. */
static void unpack(const model *m, jstate s, mg_world *w, int *obj_cell) {
  mg_set_agent(w, (int)(s.a & 0xFFF));
  w->dir = (int)(s.a >> 12 & 3);
  w->carrying = 0;
  for (int i = 0; i < m->n_obj; i++) {
    int c = (int)(s.a >> (14 + 12 * i) & 0xFFF);
    obj_cell[i] = c ? c : -1;
    if (c)
      w->cell[c] = m->obj_code[i];
    else
      w->carrying = m->obj_code[i];
  }
  for (int d = 0; d < m->n_doors; d++)
    w->cell[m->door_cell[d]] =
        MG_CODE(MIMIC_GRID_DOOR, m->door_color[d], (int)(s.b >> (2 * d) & 3));
}

/* Puts back the base's content in the cells a step may have changed. */
static void restore(const model *m, mg_world *w, const int *before, const int *after, int fwd) {
  for (int i = 0; i < m->n_obj; i++) {
    if (before[i] > 0) w->cell[before[i]] = m->base.cell[before[i]];
    if (after[i] > 0) w->cell[after[i]] = m->base.cell[after[i]];
  }
  w->cell[fwd] = m->base.cell[fwd];
}

/* open-addressing set of jstates */
typedef struct jset {
  jstate *k;
  uint8_t *used;
  size_t cap, n;
} jset;

static uint64_t jhash(jstate s) {
  uint64_t h = s.a * 0x9E3779B97F4A7C15ULL ^ (s.b + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
  return h ^ (h >> 31);
}

static bool jset_add(jset *set, jstate s) {
  if (set->n * 2 >= set->cap) {
    jset bigger = {calloc(set->cap * 2, sizeof(jstate)), calloc(set->cap * 2, 1), set->cap * 2, 0};
    for (size_t i = 0; i < set->cap; i++)
      if (set->used[i]) jset_add(&bigger, set->k[i]);
    free(set->k);
    free(set->used);
    *set = bigger;
  }
  for (size_t i = jhash(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
    if (!set->used[i]) {
      set->used[i] = 1;
      set->k[i] = s;
      set->n++;
      return true;
    }
    if (set->k[i].a == s.a && set->k[i].b == s.b) return false;
  }
}

/* Fewest steps from w to success over the whole joint state (-1 if none). */
static int brute_force(const mg_world *w0, size_t *n_states) {
  static model m;
  static mg_world w;
  m.n_obj = m.n_doors = 0;
  mg_world_copy(&m.base, w0);
  int obj_cell[MAX_OBJ];
  for (int y = 0; y < w0->height; y++)
    for (int x = 0; x < w0->width; x++) {
      int c = mg_idx(w0, x, y);
      uint8_t code = w0->cell[c];
      int t = mg_type(code);
      if (t == MIMIC_GRID_KEY || t == MIMIC_GRID_BALL) {
        assert_true(m.n_obj < MAX_OBJ);
        obj_cell[m.n_obj] = c;
        m.obj_code[m.n_obj++] = code;
        m.base.cell[c] = 0;
      } else if (t == MIMIC_GRID_DOOR) {
        assert_true(m.n_doors < MAX_DOORS);
        m.door_cell[m.n_doors] = c;
        m.door_color[m.n_doors++] = mg_color(code);
      }
      assert_true(t != MIMIC_GRID_BOX); /* boxes can vanish: not modelled */
    }
  assert_int_equal(w0->carrying, 0);
  m.base.max_steps = 1 << 30;
  mg_world_copy(&w, &m.base);
  jset seen = {calloc(1024, sizeof(jstate)), calloc(1024, 1), 1024, 0};
  size_t cap = 1 << 16, head = 0, tail = 0, level_end;
  jstate *queue = malloc(cap * sizeof *queue);
  jstate s0 = pack(&m, w0, obj_cell);
  jset_add(&seen, s0);
  queue[tail++] = s0;
  int depth = 0, found = -1;
  while (head < tail && found < 0) {
    level_end = tail;
    depth++;
    while (head < level_end && found < 0) {
      jstate s = queue[head++];
      for (int a = 0; a < MIMIC_GRID_N_ACTIONS && found < 0; a++) {
        int cells[MAX_OBJ], before[MAX_OBJ];
        unpack(&m, s, &w, cells);
        memcpy(before, cells, sizeof cells);
        int fwd = w.agent + w.dstep[w.dir];
        uint8_t carried_before = w.carrying;
        double r;
        int f = mg_step(&w, a, &r);
        if (f & MG_TERMINATED) {
          if (r > 0) found = depth;
          restore(&m, &w, before, before, fwd);
          continue; /* an ended episode goes nowhere */
        }
        /* follow the objects */
        if (!carried_before && w.carrying) {
          for (int i = 0; i < m.n_obj; i++)
            if (cells[i] == fwd) cells[i] = -1;
        } else if (carried_before && !w.carrying) {
          for (int i = 0; i < m.n_obj; i++)
            if (cells[i] < 0) cells[i] = fwd;
        }
        jstate n = pack(&m, &w, cells);
        restore(&m, &w, before, cells, fwd);
        if (jset_add(&seen, n)) {
          if (tail == cap) {
            cap *= 2;
            queue = realloc(queue, cap * sizeof *queue);
          }
          queue[tail++] = n;
        }
      }
    }
  }
  *n_states = seen.n;
  free(queue);
  free(seen.k);
  free(seen.used);
  return found;
}

static void check_env(const char *id, int seeds) {
  mimic_env *env;
  assert_int_equal(mimic_env_make(id, "obs=image", &env), MIMIC_OK);
  float obs[148];
  size_t total_states = 0;
  long total_len = 0;
  for (int seed = 0; seed < seeds; seed++) {
    assert_int_equal(mimic_env_reset(env, seed, obs), MIMIC_OK);
    mg_impl *I = mg_grid_impl(env);
    size_t n_states;
    int best = brute_force(&I->w, &n_states);
    total_states += n_states;
    if (best < 0) fail_msg("%s seed %d: no way to succeed", id, seed);
    int len = 0;
    for (;;) {
      float a;
      double r;
      bool term, trunc;
      assert_int_equal(mimic_env_expert_act(env, &a), MIMIC_OK);
      assert_int_equal(mimic_env_step(env, &a, obs, &r, &term, &trunc), MIMIC_OK);
      len++;
      if (term || trunc) {
        if (!(term && r > 0)) fail_msg("%s seed %d: the expert failed", id, seed);
        break;
      }
    }
    if (len != best)
      fail_msg("%s seed %d: the expert took %d steps, the optimum is %d", id, seed, len, best);
    total_len += len;
  }
  printf("  %-32s %4d seeds optimal (mean length %.2f, %.0f joint states searched per seed)\n", id,
         seeds, (double)total_len / seeds, (double)total_states / seeds);
  mimic_env_free(env);
}

static void test_empty(void **state) {
  (void)state;
  const char *ids[] = {"MiniGrid-Empty-5x5-v0",        "MiniGrid-Empty-6x6-v0",
                       "MiniGrid-Empty-8x8-v0",        "MiniGrid-Empty-16x16-v0",
                       "MiniGrid-Empty-Random-5x5-v0", "MiniGrid-Empty-Random-6x6-v0"};
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) check_env(ids[i], SLOW ? 200 : 1000);
}

static void test_crossings(void **state) {
  (void)state;
  const char *ids[] = {"MiniGrid-LavaCrossingS9N1-v0",   "MiniGrid-LavaCrossingS9N2-v0",
                       "MiniGrid-LavaCrossingS9N3-v0",   "MiniGrid-LavaCrossingS11N5-v0",
                       "MiniGrid-SimpleCrossingS9N1-v0", "MiniGrid-SimpleCrossingS9N2-v0",
                       "MiniGrid-SimpleCrossingS9N3-v0", "MiniGrid-SimpleCrossingS11N5-v0",
                       "MiniGrid-LavaGapS5-v0",          "MiniGrid-LavaGapS6-v0",
                       "MiniGrid-LavaGapS7-v0",          "MiniGrid-FourRooms-v0"};
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) check_env(ids[i], SLOW ? 200 : 1000);
}

static void test_doorkey(void **state) {
  (void)state;
  check_env("MiniGrid-DoorKey-5x5-v0", SLOW ? 200 : 1000);
  check_env("MiniGrid-DoorKey-6x6-v0", SLOW ? 200 : 1000);
  check_env("MiniGrid-DoorKey-8x8-v0", SLOW ? 100 : 1000);
  check_env("MiniGrid-DoorKey-16x16-v0", SLOW ? 5 : 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty),
      cmocka_unit_test(test_crossings),
      cmocka_unit_test(test_doorkey),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
