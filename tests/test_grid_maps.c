/* Gridworld input and configuration: ASCII maps (parse, write, round
 * trip, and errors that name the row and column), MiniGrid encodings given
 * to set_state (checked, errors naming row and column), mimic-GridMap-v0,
 * the observation options (onehot, image, full, mission), the state as
 * doubles, and the registry (ids, MiniGrid's max_steps and visibility). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/env.h"
#include "mimic/grid.h"

static mimic_grid_state st, st2;

static const uint8_t *cell(const mimic_grid_state *s, int x, int y) {
  return s->grid + ((size_t)x * (size_t)s->height + (size_t)y) * 3;
}

static void assert_cell(const mimic_grid_state *s, int x, int y, int t, int c, int k) {
  const uint8_t *e = cell(s, x, y);
  if (e[0] != t || e[1] != c || e[2] != k)
    fail_msg("cell (%d,%d) is (%d,%d,%d), want (%d,%d,%d)", x, y, e[0], e[1], e[2], t, c, k);
}

static void test_parse_map(void **state) {
  (void)state;
  const char *text = "# a level with one of everything\n"
                     "mission: take the red ball home\n"
                     "max_steps: 77\n"
                     "see_through_walls: yes\n"
                     "task: pickup red ball\n"
                     "carrying: Bp Ky\n"
                     "box 3 2: Ar\n"
                     "\n"
                     "W W W W W W W W\n"
                     "W ^^  Fg  Dy  W\n"
                     "W Kb  Bg  Lr  W\n"
                     "W Ap  Oe  G V\n"
                     "WrWgWbWpWyWeW W\n";
  assert_int_equal(mimic_grid_parse_map(text, "level.txt", &st), MIMIC_OK);
  assert_int_equal(st.width, 8);
  assert_int_equal(st.height, 5);
  assert_string_equal(st.mission, "take the red ball home");
  assert_int_equal(st.max_steps, 77);
  assert_true(st.see_through_walls);
  assert_int_equal(st.task.kind, MIMIC_GRID_PICKUP_OBJECT);
  assert_int_equal(st.task.type, MIMIC_GRID_BALL);
  assert_int_equal(st.task.color, MIMIC_GRID_RED);
  assert_int_equal(st.agent_x, 1);
  assert_int_equal(st.agent_y, 1);
  assert_int_equal(st.agent_dir, 3);
  assert_cell(&st, 1, 1, MIMIC_GRID_EMPTY, 0, 0); /* under the agent */
  assert_cell(&st, 3, 1, MIMIC_GRID_FLOOR, MIMIC_GRID_GREEN, 0);
  assert_cell(&st, 5, 1, MIMIC_GRID_DOOR, MIMIC_GRID_YELLOW, MIMIC_GRID_CLOSED);
  assert_cell(&st, 1, 2, MIMIC_GRID_KEY, MIMIC_GRID_BLUE, 0);
  assert_cell(&st, 3, 2, MIMIC_GRID_BOX, MIMIC_GRID_GREEN, 0);
  assert_cell(&st, 5, 2, MIMIC_GRID_DOOR, MIMIC_GRID_RED, MIMIC_GRID_LOCKED);
  assert_cell(&st, 1, 3, MIMIC_GRID_BALL, MIMIC_GRID_PURPLE, 0);
  assert_cell(&st, 3, 3, MIMIC_GRID_DOOR, MIMIC_GRID_GREY, MIMIC_GRID_OPEN);
  assert_cell(&st, 5, 3, MIMIC_GRID_GOAL, MIMIC_GRID_GREEN, 0);
  assert_cell(&st, 6, 3, MIMIC_GRID_LAVA, MIMIC_GRID_RED, 0);
  assert_cell(&st, 0, 4, MIMIC_GRID_WALL, MIMIC_GRID_RED, 0);
  assert_cell(&st, 5, 4, MIMIC_GRID_WALL, MIMIC_GRID_GREY, 0);
  assert_cell(&st, 7, 0, MIMIC_GRID_WALL, MIMIC_GRID_GREY, 0);
  assert_cell(&st, 7, 3, MIMIC_GRID_EMPTY, 0, 0); /* a short row is padded */
  assert_int_equal(st.carrying[0], MIMIC_GRID_BOX);
  assert_int_equal(st.carrying_contains[0], MIMIC_GRID_KEY);
  assert_int_equal(st.n_boxes, 1);
  assert_int_equal(st.boxes[0].x, 3);
  assert_int_equal(st.boxes[0].contains[0], MIMIC_GRID_BALL);
  /* written back and read again: the same world */
  char buf[4096];
  assert_int_equal(mimic_grid_format_map(&st, buf, sizeof buf), MIMIC_OK);
  assert_int_equal(mimic_grid_parse_map(buf, NULL, &st2), MIMIC_OK);
  assert_memory_equal(&st, &st2, sizeof st);
  /* too small a buffer is an error, not a truncation */
  assert_int_not_equal(mimic_grid_format_map(&st, buf, 40), MIMIC_OK);
}

static void test_render_text_round_trip_every_env(void **state) {
  (void)state;
  static char buf[1 << 16];
  int n = 0;
  for (int i = 0; i < mimic_env_count(); i++) {
    const char *id = mimic_env_info_at(i)->id;
    if (strncmp(id, "MiniGrid-", 9) && strncmp(id, "mimic-BoxBall", 13)) continue;
    mimic_env *env;
    assert_int_equal(mimic_env_make(id, NULL, &env), MIMIC_OK);
    float *obs = malloc(sizeof(float) * (size_t)mimic_env_obs_space(env)->dim);
    for (int seed = 0; seed < 5; seed++) {
      assert_int_equal(mimic_env_reset(env, seed, obs), MIMIC_OK);
      /* walk a little so doors, carried objects and poses vary */
      for (int t = 0; t < 8; t++) {
        float a;
        double r;
        bool term, trunc;
        assert_int_equal(mimic_env_expert_act(env, &a), MIMIC_OK);
        assert_int_equal(mimic_env_step(env, &a, obs, &r, &term, &trunc), MIMIC_OK);
        if (term || trunc) break;
      }
      mimic_grid_get_state(env, &st);
      assert_int_equal(mimic_env_render_text(env, buf, sizeof buf), MIMIC_OK);
      if (mimic_grid_parse_map(buf, id, &st2) != MIMIC_OK)
        fail_msg("%s: %s\n%s", id, mimic_errmsg(), buf);
      if (memcmp(&st, &st2, sizeof st))
        fail_msg("%s seed %d: the map does not read back the same\n%s", id, seed, buf);
    }
    free(obs);
    mimic_env_free(env);
    n++;
  }
  assert_int_equal(n, 41);
}

typedef struct bad_map {
  const char *text, *want;
} bad_map;

static void test_malformed_maps(void **state) {
  (void)state;
  static const bad_map cases[] = {
      {"W W W\nW >>X \nW W W\n", "line 2: row 1, column 2: 'X ': unknown object letter"},
      {"W W W\nW >>Kq\nW W W\n", "line 2: row 1, column 2: 'Kq': unknown colour letter"},
      {"W W W W\nW >>D W\nW W W W\n",
       "line 2: row 1, column 2: 'D ': doors and boxes need a colour"},
      {"W W W W\nW >>B W\nW W W W\n", "row 1, column 2: 'B ': doors and boxes need a colour"},
      {"W W W W\nW >><<W\nW W W W\n",
       "row 1, column 2: a second agent (the first is at row 1, column 1)"},
      {"W W W\nW   W\nW W W\n", "no agent in the map"},
      {"W W\nW>>\n", "the map is 2x2 cells; it needs at least 3x3"},
      {"W W W\nW >v W\nW W W\n", "row 1, column 1: '>v': an agent cell is written as two arrows"},
      {"colour: red\nW W W\nW >>W\nW W W\n", "line 1: unknown header 'colour'"},
      {"max_steps: zero\nW W W\nW >>W\nW W W\n", "line 1: max_steps: 'zero' is not an integer"},
      {"task: fly away\nW W W\nW >>W\nW W W\n", "line 1: task: 'fly away': expected reach_goal"},
      {"task: unlock 1 0\nW W W\nW >>W\nW W W\n",
       "grid row 0, column 1: the task's door is a wall"},
      {"box 1 0: Ar\nW W W\nW >>W\nW W W\n",
       "grid row 0, column 1: box contents given for a cell that is not a box (wall)"},
      {"carrying: G \nW W W\nW >>W\nW W W\n", "carried object: a goal cannot be carried"},
      {"under_agent: W \nW W W\nW >>W\nW W W\n",
       "grid row 1, column 1: the agent stands on a wall"},
      {"size: 3 3\nW W W W\nW >>  W\nW W W W\n",
       "the map rows are 4x3 cells, more than 'size: 3 3'"},
      {"W W W\nW >>W\n\tW W\n", "line 3: row 2: tabs are not allowed"},
      {"", "no map rows"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    mimic_status s = mimic_grid_parse_map(cases[i].text, "bad.txt", &st);
    if (s == MIMIC_OK) fail_msg("case %zu parsed: %s", i, cases[i].text);
    assert_int_equal(s, MIMIC_ERR_FORMAT);
    if (!strstr(mimic_errmsg(), cases[i].want))
      fail_msg("case %zu: error '%s' lacks '%s'", i, mimic_errmsg(), cases[i].want);
    assert_true(!strncmp(mimic_errmsg(), "bad.txt", 7));
  }
  /* a CRLF file cut by one byte ends in a bare '\r': it parses, and ends */
  assert_int_equal(mimic_grid_parse_map("W W W\r\nW >>W\r\nW W W\r", "cut.map", &st), MIMIC_OK);
  assert_int_equal(st.width, 3);
  assert_int_equal(st.height, 3);
  (void)mimic_grid_parse_map("W W W\nW > W\nW W W\r", "cut.map", &st); /* the file */
  /* a missing file */
  assert_int_not_equal(mimic_grid_load_map("/nonexistent/level.txt", &st), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "/nonexistent/level.txt"));
}

/* A good 5x5 world in MiniGrid's encoding. */
static void good_state(mimic_grid_state *s) {
  memset(s, 0, sizeof *s);
  s->width = s->height = 5;
  for (int x = 0; x < 5; x++)
    for (int y = 0; y < 5; y++) {
      uint8_t *e = s->grid + (x * 5 + y) * 3;
      bool edge = x == 0 || y == 0 || x == 4 || y == 4;
      e[0] = edge ? MIMIC_GRID_WALL : MIMIC_GRID_EMPTY;
      e[1] = edge ? MIMIC_GRID_GREY : 0;
    }
  uint8_t *g = s->grid + (3 * 5 + 3) * 3;
  g[0] = MIMIC_GRID_GOAL, g[1] = MIMIC_GRID_GREEN;
  s->agent_x = s->agent_y = 1;
  s->max_steps = 100;
  snprintf(s->mission, sizeof s->mission, "get to the green goal square");
}

static void test_malformed_encodings(void **state) {
  (void)state;
  mimic_env *env;
  assert_int_equal(mimic_env_make("MiniGrid-Empty-5x5-v0", NULL, &env), MIMIC_OK);
  good_state(&st);
  assert_int_equal(mimic_grid_check_state(&st), MIMIC_OK);
  assert_int_equal(mimic_grid_set_state(env, &st), MIMIC_OK);
  struct {
    int x, y;
    uint8_t e[3];
    const char *want;
  } cells[] = {
      {2, 1, {0, 0, 0}, "grid row 1, column 2: (0,0,0): unseen (0) is not a world object"},
      {3, 2, {10, 0, 1}, "grid row 2, column 3: (10,0,1): the agent (10) is not a grid object"},
      {1, 3, {11, 0, 0}, "grid row 3, column 1: (11,0,0): unknown object index"},
      {2, 2, {5, 6, 0}, "grid row 2, column 2: (5,6,0): unknown colour index"},
      {2, 3, {4, 1, 3}, "grid row 3, column 2: (4,1,3): unknown door state"},
      {3, 1, {5, 2, 1}, "grid row 1, column 3: (5,2,1): only doors have a state"},
      {2, 2, {1, 2, 0}, "grid row 2, column 2: (1,2,0): an empty cell is (1,0,0)"},
      {1, 1, {2, 5, 0}, "grid row 1, column 1: the agent stands on a wall"},
  };
  for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
    good_state(&st);
    memcpy(st.grid + (cells[i].x * 5 + cells[i].y) * 3, cells[i].e, 3);
    assert_int_equal(mimic_grid_set_state(env, &st), MIMIC_ERR_FORMAT);
    if (!strstr(mimic_errmsg(), cells[i].want)) fail_msg("case %zu: '%s'", i, mimic_errmsg());
  }
  good_state(&st);
  st.width = 60;
  assert_int_equal(mimic_grid_check_state(&st), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "grid size 60x5"));
  good_state(&st);
  st.agent_x = 7;
  assert_int_equal(mimic_grid_check_state(&st), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "agent position (7, 1) is outside"));
  good_state(&st);
  st.agent_dir = 4;
  assert_int_equal(mimic_grid_check_state(&st), MIMIC_ERR_FORMAT);
  good_state(&st);
  st.carrying[0] = MIMIC_GRID_WALL, st.carrying[1] = MIMIC_GRID_GREY;
  assert_int_equal(mimic_grid_check_state(&st), MIMIC_ERR_FORMAT);
  assert_non_null(strstr(mimic_errmsg(), "a wall cannot be carried"));
  good_state(&st);
  st.n_boxes = 1, st.boxes[0].x = 2, st.boxes[0].y = 3, st.boxes[0].contains[0] = MIMIC_GRID_KEY;
  assert_int_equal(mimic_grid_check_state(&st), MIMIC_ERR_FORMAT);
  assert_non_null(
      strstr(mimic_errmsg(),
             "grid row 3, column 2: box contents given for a cell that is not a box (empty)"));
  good_state(&st);
  st.max_steps = 0;
  assert_int_equal(mimic_grid_check_state(&st), MIMIC_ERR_FORMAT);
  /* the failed loads left the last good world in place */
  int x, y, d;
  mimic_grid_agent(env, &x, &y, &d);
  assert_int_equal(x, 1);
  mimic_env_free(env);
}

static void test_gridmap_env(void **state) {
  (void)state;
  char *path = tu_tmp_path("maze.txt");
  const char *text = "mission: find the exit\n"
                     "max_steps: 60\n"
                     "W W W W W W W\n"
                     "W >>  W     W\n"
                     "W W   W   W W\n"
                     "W     Dr  G W\n"
                     "W W W W W W W\n";
  assert_int_equal(mimic_write_file_atomic(path, text, strlen(text)), MIMIC_OK);
  char opts[512];
  snprintf(opts, sizeof opts, "map=%s", path);
  mimic_env *env;
  assert_int_equal(mimic_env_make("mimic-GridMap-v0", opts, &env), MIMIC_OK);
  assert_int_equal(mimic_env_max_steps(env), 60);
  float obs[984];
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  assert_string_equal(mimic_grid_mission(env), "find the exit");
  int len = 0;
  for (;;) {
    float a;
    double r;
    bool term, trunc;
    assert_int_equal(mimic_env_expert_act(env, &a), MIMIC_OK);
    assert_int_equal(mimic_env_step(env, &a, obs, &r, &term, &trunc), MIMIC_OK);
    len++;
    if (term || trunc) {
      assert_true(term && r > 0);
      assert_true(r == 1.0 - 0.9 * ((double)len / 60.0));
      break;
    }
  }
  /* forward, right, forward, forward, left, toggle, forward x3: 9 */
  assert_int_equal(len, 9);
  int plan[64], n;
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  assert_int_equal(mimic_grid_plan(env, plan, 64, &n), MIMIC_OK);
  assert_int_equal(n, len);
  mimic_env_free(env);
  /* no map, or a bad one */
  assert_int_not_equal(mimic_env_make("mimic-GridMap-v0", NULL, &env), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "map=PATH"));
  const char *bad = "W W W\nW >>Q \nW W W\n";
  assert_int_equal(mimic_write_file_atomic(path, bad, strlen(bad)), MIMIC_OK);
  assert_int_not_equal(mimic_env_make("mimic-GridMap-v0", opts, &env), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "line 2: row 1, column 2"));
  free(path);
}

static void test_observation_options(void **state) {
  (void)state;
  mimic_env *env;
  float obs[2048];
  /* onehot (default): 984 = 49 * 20 + 4 */
  assert_int_equal(mimic_env_make("MiniGrid-DoorKey-5x5-v0", NULL, &env), MIMIC_OK);
  const mimic_space *os = mimic_env_obs_space(env);
  assert_int_equal(os->dim, 984);
  assert_int_equal(mimic_env_action_space(env)->n, 7);
  assert_int_equal(mimic_env_reset(env, 1, obs), MIMIC_OK);
  uint8_t img[147];
  int dir;
  assert_int_equal(mimic_grid_observe(env, img, &dir), MIMIC_OK);
  for (int k = 0; k < 49; k++) {
    float sum = 0;
    for (int b = 0; b < 20; b++) sum += obs[k * 20 + b];
    assert_true(sum == 3.0f);
    assert_true(obs[k * 20 + img[3 * k]] == 1.0f);
    assert_true(obs[k * 20 + 11 + img[3 * k + 1]] == 1.0f);
    assert_true(obs[k * 20 + 17 + img[3 * k + 2]] == 1.0f);
  }
  assert_true(obs[980 + dir] == 1.0f);
  assert_true(mimic_space_contains(os, obs));
  mimic_env_free(env);
  /* image: 148 = 147 + direction */
  assert_int_equal(mimic_env_make("MiniGrid-DoorKey-5x5-v0", "obs=image", &env), MIMIC_OK);
  assert_int_equal(mimic_env_obs_space(env)->dim, 148);
  assert_int_equal(mimic_env_reset(env, 1, obs), MIMIC_OK);
  for (int k = 0; k < 147; k++) assert_true(obs[k] == img[k]);
  assert_true(obs[147] == (float)dir);
  mimic_env_free(env);
  /* full: W*H*3 + 3, the agent as (10, 0, dir), then what it carries */
  assert_int_equal(mimic_env_make("MiniGrid-DoorKey-5x5-v0", "obs=full", &env), MIMIC_OK);
  assert_int_equal(mimic_env_obs_space(env)->dim, 5 * 5 * 3 + 3);
  assert_int_equal(mimic_env_reset(env, 1, obs), MIMIC_OK);
  int ax, ay, ad;
  mimic_grid_agent(env, &ax, &ay, &ad);
  uint8_t grid[75];
  mimic_grid_encode(env, grid);
  for (int x = 0; x < 5; x++)
    for (int y = 0; y < 5; y++) {
      const float *o = obs + (x * 5 + y) * 3;
      if (x == ax && y == ay) {
        assert_true(o[0] == 10 && o[1] == 0 && o[2] == (float)ad);
      } else {
        for (int c = 0; c < 3; c++) assert_true(o[c] == grid[(x * 5 + y) * 3 + c]);
      }
    }
  assert_true(obs[75] == 1 && obs[76] == 0 && obs[77] == 0); /* nothing carried */
  /* a world of another size does not fit obs=full */
  good_state(&st);
  st.width = 6;
  memset(st.grid, 0, sizeof st.grid);
  for (int k = 0; k < 6 * 5; k++) st.grid[k * 3] = MIMIC_GRID_EMPTY;
  assert_int_equal(mimic_grid_set_state(env, &st), MIMIC_ERR_INVALID);
  mimic_env_free(env);
  /* mission=1 appends a one-hot of the mission id */
  assert_int_equal(mimic_env_make("MiniGrid-Fetch-8x8-N3-v0", "mission=1", &env), MIMIC_OK);
  assert_int_equal(mimic_grid_mission_count(env), 60);
  assert_int_equal(mimic_env_obs_space(env)->dim, 984 + 60);
  for (int seed = 0; seed < 20; seed++) {
    assert_int_equal(mimic_env_reset(env, seed, obs), MIMIC_OK);
    int id = mimic_grid_mission_id(env);
    assert_true(id >= 0 && id < 60);
    for (int m = 0; m < 60; m++) assert_true(obs[984 + m] == (m == id ? 1.0f : 0.0f));
    /* the id decodes to the text: (syntax * 6 + colour rank) * 2 + type */
    static const char *const syntax[5] = {"get a", "go get a", "fetch a", "go fetch a",
                                          "you must fetch a"};
    static const char *const ranked[6] = {"blue", "green", "grey", "purple", "red", "yellow"};
    char want[128];
    snprintf(want, sizeof want, "%s %s %s", syntax[id / 12], ranked[id / 2 % 6],
             id % 2 ? "ball" : "key");
    assert_string_equal(mimic_grid_mission(env), want);
  }
  mimic_env_free(env);
  /* bad options */
  assert_int_not_equal(mimic_env_make("MiniGrid-DoorKey-5x5-v0", "obs=pixels", &env), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "obs=pixels"));
  assert_int_not_equal(mimic_env_make("MiniGrid-DoorKey-5x5-v0", "colour=red", &env), MIMIC_OK);
  /* max_steps changes the time limit and the reward */
  assert_int_equal(mimic_env_make("MiniGrid-Empty-5x5-v0", "max_steps=10", &env), MIMIC_OK);
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  double r;
  bool term, trunc;
  const float fwd = MIMIC_GRID_FORWARD, right = MIMIC_GRID_RIGHT;
  assert_int_equal(mimic_env_step(env, &fwd, obs, &r, &term, &trunc), MIMIC_OK);
  assert_int_equal(mimic_env_step(env, &fwd, obs, &r, &term, &trunc), MIMIC_OK);
  assert_int_equal(mimic_env_step(env, &right, obs, &r, &term, &trunc), MIMIC_OK);
  assert_int_equal(mimic_env_step(env, &fwd, obs, &r, &term, &trunc), MIMIC_OK);
  assert_int_equal(mimic_env_step(env, &fwd, obs, &r, &term, &trunc), MIMIC_OK);
  assert_true(term && !trunc);
  assert_true(r == 1.0 - 0.9 * (5.0 / 10.0));
  mimic_env_free(env);
}

static void test_state_as_doubles(void **state) {
  (void)state;
  mimic_env *a, *b;
  assert_int_equal(mimic_env_make("mimic-BoxBall-9x7", NULL, &a), MIMIC_OK);
  assert_int_equal(mimic_env_make("mimic-BoxBall-9x7", NULL, &b), MIMIC_OK);
  float obs_a[984], obs_b[984];
  assert_int_equal(mimic_env_reset(a, 0, obs_a), MIMIC_OK);
  assert_int_equal(mimic_env_reset(b, 0, obs_b), MIMIC_OK);
  /* take the box (with its ball) in hand */
  const int acts[] = {MIMIC_GRID_FORWARD, MIMIC_GRID_RIGHT, MIMIC_GRID_FORWARD, MIMIC_GRID_PICKUP};
  for (int i = 0; i < 4; i++) {
    float f = (float)acts[i];
    double r;
    bool t, u;
    assert_int_equal(mimic_env_step(a, &f, obs_a, &r, &t, &u), MIMIC_OK);
  }
  uint8_t carry[3], inside[3];
  assert_true(mimic_grid_carrying(a, carry, inside));
  assert_int_equal(carry[0], MIMIC_GRID_BOX);
  assert_int_equal(inside[0], MIMIC_GRID_BALL);
  int n = mimic_env_get_state(a, NULL, 0);
  assert_true(n > 0);
  double *s = malloc(sizeof(double) * (size_t)n);
  assert_int_equal(mimic_env_get_state(a, s, n), n);
  assert_int_equal(mimic_env_set_state(b, s, n), MIMIC_OK);
  assert_int_equal(mimic_env_elapsed(b), 4);
  mimic_grid_get_state(a, &st);
  mimic_grid_get_state(b, &st2);
  assert_memory_equal(&st, &st2, sizeof st);
  /* the two now step alike */
  for (int t = 0; t < 30; t++) {
    float f = (float)(t * 5 % 7);
    double ra, rb;
    bool ta, tb, ua, ub;
    assert_int_equal(mimic_env_step(a, &f, obs_a, &ra, &ta, &ua), MIMIC_OK);
    assert_int_equal(mimic_env_step(b, &f, obs_b, &rb, &tb, &ub), MIMIC_OK);
    assert_memory_equal(obs_a, obs_b, sizeof obs_a);
    assert_true(ra == rb && ta == tb && ua == ub);
  }
  /* bad vectors */
  s[0] = 2;
  assert_int_not_equal(mimic_env_set_state(b, s, n), MIMIC_OK);
  s[0] = 1;
  assert_int_not_equal(mimic_env_set_state(b, s, n - 1), MIMIC_OK);
  s[3] = 0.5;
  assert_int_not_equal(mimic_env_set_state(b, s, n), MIMIC_OK);
  s[3] = NAN;
  assert_int_not_equal(mimic_env_set_state(b, s, n), MIMIC_OK);
  free(s);
  mimic_env_free(a);
  mimic_env_free(b);
}

static void test_registry(void **state) {
  (void)state;
  static const struct {
    const char *id;
    int max_steps, w, h;
    bool see;
  } ids[] = {
      {"MiniGrid-Empty-5x5-v0", 100, 5, 5, true},
      {"MiniGrid-Empty-6x6-v0", 144, 6, 6, true},
      {"MiniGrid-Empty-8x8-v0", 256, 8, 8, true},
      {"MiniGrid-Empty-16x16-v0", 1024, 16, 16, true},
      {"MiniGrid-Empty-Random-5x5-v0", 100, 5, 5, true},
      {"MiniGrid-Empty-Random-6x6-v0", 144, 6, 6, true},
      {"MiniGrid-FourRooms-v0", 100, 19, 19, false},
      {"MiniGrid-DoorKey-5x5-v0", 250, 5, 5, false},
      {"MiniGrid-DoorKey-6x6-v0", 360, 6, 6, false},
      {"MiniGrid-DoorKey-8x8-v0", 640, 8, 8, false},
      {"MiniGrid-DoorKey-16x16-v0", 2560, 16, 16, false},
      {"MiniGrid-LavaCrossingS9N1-v0", 324, 9, 9, false},
      {"MiniGrid-LavaCrossingS9N2-v0", 324, 9, 9, false},
      {"MiniGrid-LavaCrossingS9N3-v0", 324, 9, 9, false},
      {"MiniGrid-LavaCrossingS11N5-v0", 484, 11, 11, false},
      {"MiniGrid-SimpleCrossingS9N1-v0", 324, 9, 9, false},
      {"MiniGrid-SimpleCrossingS9N2-v0", 324, 9, 9, false},
      {"MiniGrid-SimpleCrossingS9N3-v0", 324, 9, 9, false},
      {"MiniGrid-SimpleCrossingS11N5-v0", 484, 11, 11, false},
      {"MiniGrid-LavaGapS5-v0", 100, 5, 5, false},
      {"MiniGrid-LavaGapS6-v0", 144, 6, 6, false},
      {"MiniGrid-LavaGapS7-v0", 196, 7, 7, false},
      {"MiniGrid-Unlock-v0", 288, 11, 6, false},
      {"MiniGrid-UnlockPickup-v0", 288, 11, 6, false},
      {"MiniGrid-BlockedUnlockPickup-v0", 576, 11, 6, false},
      {"MiniGrid-KeyCorridorS3R1-v0", 270, 7, 3, false},
      {"MiniGrid-KeyCorridorS3R2-v0", 270, 7, 5, false},
      {"MiniGrid-KeyCorridorS3R3-v0", 270, 7, 7, false},
      {"MiniGrid-KeyCorridorS4R3-v0", 480, 10, 10, false},
      {"MiniGrid-KeyCorridorS5R3-v0", 750, 13, 13, false},
      {"MiniGrid-KeyCorridorS6R3-v0", 1080, 16, 16, false},
      {"MiniGrid-MultiRoom-N2-S4-v0", 40, 25, 25, false},
      {"MiniGrid-MultiRoom-N4-S5-v0", 120, 25, 25, false},
      {"MiniGrid-MultiRoom-N6-v0", 120, 25, 25, false},
      {"MiniGrid-Fetch-5x5-N2-v0", 125, 5, 5, true},
      {"MiniGrid-Fetch-6x6-N2-v0", 180, 6, 6, true},
      {"MiniGrid-Fetch-8x8-N3-v0", 320, 8, 8, true},
      {"MiniGrid-GoToDoor-5x5-v0", 100, 5, 5, true},
      {"MiniGrid-GoToDoor-6x6-v0", 144, 6, 6, true},
      {"MiniGrid-GoToDoor-8x8-v0", 256, 8, 8, true},
  };
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
    mimic_env *env;
    if (mimic_env_make(ids[i].id, NULL, &env) != MIMIC_OK)
      fail_msg("%s: %s", ids[i].id, mimic_errmsg());
    assert_true(mimic_grid_is_grid(env));
    assert_int_equal(mimic_env_max_steps(env), ids[i].max_steps);
    assert_true(isnan(mimic_env_reward_threshold(env)));
    float obs[984];
    assert_int_equal(mimic_env_reset(env, 42, obs), MIMIC_OK);
    mimic_grid_get_state(env, &st);
    assert_int_equal(st.width, ids[i].w);
    assert_int_equal(st.height, ids[i].h);
    assert_int_equal(st.max_steps, ids[i].max_steps);
    assert_int_equal(st.see_through_walls, ids[i].see);
    /* same seed, same world; the next reset continues the stream */
    assert_int_equal(mimic_env_reset(env, 42, obs), MIMIC_OK);
    mimic_grid_get_state(env, &st2);
    assert_memory_equal(&st, &st2, sizeof st);
    mimic_env_free(env);
  }
  /* a non-grid env is refused by the grid API */
  mimic_env *other = NULL;
  if (mimic_env_make("CartPole-v1", NULL, &other) == MIMIC_OK) {
    assert_false(mimic_grid_is_grid(other));
    uint8_t img[147];
    assert_int_equal(mimic_grid_observe(other, img, NULL), MIMIC_ERR_INVALID);
    mimic_env_free(other);
  }
  assert_string_equal(mimic_grid_object_name(MIMIC_GRID_LAVA), "lava");
  assert_string_equal(mimic_grid_color_name(MIMIC_GRID_GREY), "grey");
  assert_string_equal(mimic_grid_action_name(MIMIC_GRID_TOGGLE), "toggle");
  assert_string_equal(mimic_grid_object_name(12), "?");
}

static void test_vecenv(void **state) {
  (void)state;
  /* copy i of a vector env reset with seed s has the world of seed s + i */
  mimic_vecenv *venv;
  assert_int_equal(mimic_vecenv_make("MiniGrid-DoorKey-8x8-v0", NULL, 4, &venv), MIMIC_OK);
  float *obs = malloc(sizeof(float) * 4 * 984), *fin = malloc(sizeof(float) * 4 * 984);
  assert_int_equal(mimic_vecenv_reset(venv, 10, obs), MIMIC_OK);
  mimic_env *one;
  assert_int_equal(mimic_env_make("MiniGrid-DoorKey-8x8-v0", NULL, &one), MIMIC_OK);
  float o[984];
  for (int i = 0; i < 4; i++) {
    assert_int_equal(mimic_env_reset(one, 10 + i, o), MIMIC_OK);
    assert_memory_equal(o, obs + i * 984, sizeof o);
    mimic_grid_get_state(one, &st);
    mimic_grid_get_state(mimic_vecenv_env(venv, i), &st2);
    assert_memory_equal(&st, &st2, sizeof st);
  }
  /* experts drive all four to success, with auto-reset */
  int done = 0;
  for (int t = 0; t < 200 && done < 4; t++) {
    float acts[4];
    double r[4];
    bool term[4], trunc[4];
    for (int i = 0; i < 4; i++)
      assert_int_equal(mimic_env_expert_act(mimic_vecenv_env(venv, i), &acts[i]), MIMIC_OK);
    assert_int_equal(mimic_vecenv_step(venv, acts, obs, r, term, trunc, fin), MIMIC_OK);
    for (int i = 0; i < 4; i++) {
      assert_false(trunc[i]);
      if (term[i]) assert_true(r[i] > 0), done++;
    }
  }
  assert_true(done >= 4);
  free(obs);
  free(fin);
  mimic_env_free(one);
  mimic_vecenv_free(venv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_map),
      cmocka_unit_test(test_render_text_round_trip_every_env),
      cmocka_unit_test(test_malformed_maps),
      cmocka_unit_test(test_malformed_encodings),
      cmocka_unit_test(test_gridmap_env),
      cmocka_unit_test(test_observation_options),
      cmocka_unit_test(test_state_as_doubles),
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_vecenv),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
