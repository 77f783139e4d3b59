/* The gridworld's image observations for a CNN: obs=view (MiniGrid's
 * ImgObsWrapper image, channels-first [3][7][7], no direction) and obs=rgb
 * (RGBImgPartialObsWrapper's picture of the view, tile_size 8: 3x56x56).
 *
 * Expected values are worked out by hand from MiniGrid's rules: the view is
 * the 7x7 window ahead rotated so the agent looks up (row 0 far, row 6 the
 * agent's row, the agent at column 3), cells outside the grid are walls,
 * the agent's cell holds what it carries (nothing: empty); OBJECT_TO_IDX
 * (empty 1, wall 2, door 4, key 5, ball 6, goal 8), COLOR_TO_IDX (red 0,
 * green 1, blue 2, purple 3, yellow 4, grey 5), STATE_TO_IDX (open 0,
 * closed 1, locked 2); unseen cells (0, 0, 0). Pictures: Grid.render_tile
 * at 8 pixels, 3x3 subpixels averaged, highlight = v + 0.3 * (255 - v)
 * truncated to a byte, unseen cells emptied by process_vis and not
 * highlighted. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/env.h"
#include "mimic/grid.h"
#include "mimic/rng.h"

/* 9x8, agent at (4, 6) facing north; a yellow key, a closed red door, a
 * locked blue door, an open purple door in row 2, a green ball at (6, 4),
 * the goal at (7, 5). */
static const char *const open_map = "see_through_walls: yes\n"
                                    "W W W W W W W W W\n"
                                    "W               W\n"
                                    "W   Ky  DrLbOp  W\n"
                                    "W               W\n"
                                    "W           Ag  W\n"
                                    "W             G W\n"
                                    "W       ^^      W\n"
                                    "W W W W W W W W W\n";

/* Row 5 is a wall: everything beyond it is unseen (process_vis). */
static const char *const blind_map = "W W W W W W W W W\n"
                                     "W               W\n"
                                     "W   Ky          W\n"
                                     "W               W\n"
                                     "W               W\n"
                                     "W W W W W W W W W\n"
                                     "W       ^^      W\n"
                                     "W W W W W W W W W\n";

static mimic_env *make_map(const char *text, const char *name, const char *opts) {
  char *path = tu_tmp_path(name);
  assert_int_equal(mimic_write_file_atomic(path, text, strlen(text)), MIMIC_OK);
  char o[600];
  snprintf(o, sizeof o, "map=%s,%s", path, opts);
  mimic_env *env;
  if (mimic_env_make("mimic-GridMap-v0", o, &env)) fail_msg("%s", mimic_errmsg());
  free(path);
  return env;
}

/* MiniGrid's encoding of a cell letter in the expected views below. */
static void cell_code(char c, int e[3]) {
  int t = 1, col = 0, st = 0;
  switch (c) {
  case 'W': t = 2, col = 5; break;
  case 'K': t = 5, col = 4; break;         /* yellow key */
  case 'D': t = 4, col = 0, st = 1; break; /* red door, closed */
  case 'L': t = 4, col = 2, st = 2; break; /* blue door, locked */
  case 'O': t = 4, col = 3, st = 0; break; /* purple door, open */
  case 'A': t = 6, col = 1; break;         /* green ball */
  case 'G': t = 8, col = 1; break;         /* goal */
  case '?': t = 0; break;                  /* unseen */
  default: break;                          /* empty */
  }
  e[0] = t, e[1] = col, e[2] = st;
}

/* view[c][j][i] against 7 rows of 7 letters (row 0 the farthest). */
static void assert_view(const float *view, const char *rows[7], const char *what) {
  for (int j = 0; j < 7; j++)
    for (int i = 0; i < 7; i++) {
      int e[3];
      cell_code(rows[j][i], e);
      for (int c = 0; c < 3; c++)
        if (view[c * 49 + j * 7 + i] != (float)e[c])
          fail_msg("%s: channel %d row %d column %d is %g, want %d ('%c')", what, c, j, i,
                   view[c * 49 + j * 7 + i], e[c], rows[j][i]);
    }
}

static void test_view_by_hand(void **state) {
  (void)state;
  mimic_env *env = make_map(open_map, "view_open.txt", "obs=view");
  const mimic_space *os = mimic_env_obs_space(env);
  assert_int_equal(os->dim, 147);
  assert_int_equal(os->ndim, 3);
  assert_int_equal(os->shape[0], 3);
  assert_int_equal(os->shape[1], 7);
  assert_int_equal(os->shape[2], 7);
  for (int k = 0; k < 147; k++) { /* MiniGrid's Box(0, 255, uint8) */
    assert_true(os->low[k] == 0.0f);
    assert_true(os->high[k] == 255.0f);
  }
  float view[147];
  assert_int_equal(mimic_env_reset(env, 0, view), MIMIC_OK);
  const char *north[7] = {"WWWWWWW", ".......", ".K.DLO.", ".......",
                          ".....A.", "......G", "......."};
  assert_view(view, north, "facing north");
  /* turn right: facing east, x = 10 - row, y = 3 + column; beyond the grid are walls */
  float right = MIMIC_GRID_RIGHT;
  double r;
  bool t, u;
  assert_int_equal(mimic_env_step(env, &right, view, &r, &t, &u), MIMIC_OK);
  const char *east[7] = {"WWWWWWW", "WWWWWWW", "WWWWWWW", "..G.WWW",
                         ".A..WWW", "....WWW", "....WWW"};
  assert_view(view, east, "facing east");
  /* two more: facing west, x = row - 2, y = 9 - column (7 is the bottom wall) */
  assert_int_equal(mimic_env_step(env, &right, view, &r, &t, &u), MIMIC_OK);
  assert_int_equal(mimic_env_step(env, &right, view, &r, &t, &u), MIMIC_OK);
  const char *west[7] = {"WWWWWWW", "WWWWWWW", "WWWWWWW", "WWW....",
                         "WWW....", "WWW....", "WWW...."};
  assert_view(view, west, "facing west");
  mimic_env_free(env);

  env = make_map(blind_map, "view_blind.txt", "obs=view");
  assert_int_equal(mimic_env_reset(env, 0, view), MIMIC_OK);
  const char *blind[7] = {"???????", "???????", "???????", "???????",
                          "???????", "WWWWWWW", "......."};
  assert_view(view, blind, "behind a wall");
  mimic_env_free(env);
}

/* obs=view is obs=image (checked byte for byte against MiniGrid's
 * recordings by test_grid_replay) reordered channels-first, without the
 * direction: compared on DoorKey-8x8 (walls and doors hide cells) and
 * Empty-8x8 (sees through walls) over random walks. */
static void test_view_is_image_reordered(void **state) {
  (void)state;
  const char *ids[2] = {"MiniGrid-DoorKey-8x8-v0", "MiniGrid-Empty-8x8-v0"};
  for (int e = 0; e < 2; e++) {
    mimic_env *a, *b;
    assert_int_equal(mimic_env_make(ids[e], "obs=image", &a), MIMIC_OK);
    assert_int_equal(mimic_env_make(ids[e], "obs=view", &b), MIMIC_OK);
    mimic_rng rng;
    mimic_rng_seed(&rng, 7);
    float img[148], view[147];
    int checked_unseen = 0;
    for (int ep = 0; ep < 20; ep++) {
      assert_int_equal(mimic_env_reset(a, (uint64_t)ep, img), MIMIC_OK);
      assert_int_equal(mimic_env_reset(b, (uint64_t)ep, view), MIMIC_OK);
      for (int s = 0; s < 60; s++) {
        for (int i = 0; i < 7; i++)
          for (int j = 0; j < 7; j++)
            for (int c = 0; c < 3; c++) {
              assert_true(view[c * 49 + j * 7 + i] == img[(i * 7 + j) * 3 + c]);
              checked_unseen += c == 0 && img[(i * 7 + j) * 3] == 0;
            }
        float act = (float)(mimic_rng_next64(&rng) % 6);
        double r;
        bool t, u, t2, u2;
        assert_int_equal(mimic_env_step(a, &act, img, &r, &t, &u), MIMIC_OK);
        assert_int_equal(mimic_env_step(b, &act, view, &r, &t2, &u2), MIMIC_OK);
        assert_true(t == t2 && u == u2);
        if (t || u) break;
      }
    }
    if (e == 0) assert_true(checked_unseen > 0); /* DoorKey hides cells */
    mimic_env_free(a);
    mimic_env_free(b);
  }
}

/* Pixel (x, y) of the channels-first picture (side pixels square). */
static void assert_rgb(const float *obs, int side, int x, int y, int r, int g, int b,
                       const char *what) {
  size_t n = (size_t)side * (size_t)side, p = (size_t)y * (size_t)side + (size_t)x;
  int got[3] = {(int)obs[p], (int)obs[n + p], (int)obs[2 * n + p]};
  if (got[0] != r || got[1] != g || got[2] != b)
    fail_msg("%s: pixel (%d, %d) is (%d, %d, %d), want (%d, %d, %d)", what, x, y, got[0], got[1],
             got[2], r, g, b);
}

static void test_rgb_by_hand(void **state) {
  (void)state;
  mimic_env *env = make_map(open_map, "rgb_open.txt", "obs=rgb");
  const mimic_space *os = mimic_env_obs_space(env);
  assert_int_equal(os->dim, 3 * 56 * 56);
  assert_int_equal(os->ndim, 3);
  assert_int_equal(os->shape[0], 3);
  assert_int_equal(os->shape[1], 56);
  assert_int_equal(os->shape[2], 56);
  assert_true(os->low[0] == 0.0f && os->high[3 * 56 * 56 - 1] == 255.0f);
  float *obs = malloc(sizeof(float) * 3 * 56 * 56);
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  /* view cell (i, j) is the 8x8 block at (8i, 8j); all of it is seen here */
#define P(i, j, px, py, r, g, b, what)                                                             \
  assert_rgb(obs, 56, 8 * (i) + (px), 8 * (j) + (py), r, g, b, what)
  /* a wall covers its tile, grid lines included: 100 lightened is 146 */
  P(0, 0, 4, 4, 146, 146, 146, "wall");
  P(0, 0, 0, 0, 146, 146, 146, "wall corner");
  /* empty: black lightened 76; the left grid line covers 1 of 3 subpixel
     columns: (146 + 76 + 76) / 3 = 99.3; the corner also the top subpixel
     row: (146 + 99.3 + 99.3) / 3 = 114.9 */
  P(0, 1, 4, 4, 76, 76, 76, "empty");
  P(0, 1, 0, 4, 99, 99, 99, "empty, left edge");
  P(0, 1, 0, 0, 114, 114, 114, "empty, corner");
  /* the agent's triangle points up, red lightened (255, 76, 76) at the
     centre; the left-centre is inside a right-pointing triangle, not this */
  P(3, 6, 4, 4, 255, 76, 76, "agent");
  P(3, 6, 1, 4, 76, 76, 76, "agent's left");
  /* the yellow key's shaft (x 0.50-0.63, y 0.31-0.88) */
  P(1, 2, 4, 5, 255, 255, 76, "key");
  /* closed red door, column 0 at mid-height: subpixels red, black (the
     0.04-0.96 inset), red: R (255 + 76 + 255) / 3 = 195 */
  P(3, 2, 0, 4, 195, 76, 76, "closed door");
  /* locked blue door: inside the 0.06-0.94 inset 0.45 * 255 = 114 blue,
     lightened 114 + 0.3 * 141 = 156 */
  P(4, 2, 2, 2, 76, 76, 156, "locked door");
  /* open purple door: the 0.88-1 strip with the black 0.92-0.96 line;
     purple (112, 39, 195) lightened (154, 103, 213); column 7: purple,
     black, purple */
  P(5, 2, 7, 4, 128, 94, 167, "open door");
  P(5, 2, 3, 4, 76, 76, 76, "open door's empty part");
  P(5, 4, 4, 4, 76, 255, 76, "green ball");
  P(6, 5, 0, 0, 76, 255, 76, "goal (covers its grid lines)");
  mimic_env_free(env);

  env = make_map(blind_map, "rgb_blind.txt", "obs=rgb");
  assert_int_equal(mimic_env_reset(env, 0, obs), MIMIC_OK);
  /* unseen cells are emptied and not lightened: black, grid line 100 / 3 */
  P(1, 2, 4, 5, 0, 0, 0, "the key behind the wall is unseen");
  P(1, 2, 0, 4, 33, 33, 33, "unseen, left edge");
  P(2, 5, 4, 4, 146, 146, 146, "the wall in view");
  P(2, 6, 4, 4, 76, 76, 76, "empty beside the agent");
#undef P
  mimic_env_free(env);
  free(obs);

  /* agent_pov=1: the environment's picture is the view at 32-pixel tiles */
  env = make_map(open_map, "pov_open.txt", "agent_pov=1");
  assert_int_equal(mimic_env_reset(env, 0, NULL), MIMIC_OK);
  int w = 0, h = 0;
  assert_int_equal(mimic_env_render_rgb(env, NULL, &w, &h), MIMIC_OK);
  assert_int_equal(w, 224);
  assert_int_equal(h, 224);
  uint8_t *pic = malloc((size_t)w * (size_t)h * 3);
  assert_int_equal(mimic_env_render_rgb(env, pic, &w, &h), MIMIC_OK);
  const uint8_t *agent = pic + 3 * ((size_t)(32 * 6 + 16) * 224 + 32 * 3 + 16);
  assert_true(agent[0] == 255 && agent[1] == 76 && agent[2] == 76);
  const uint8_t *ball = pic + 3 * ((size_t)(32 * 4 + 16) * 224 + 32 * 5 + 16);
  assert_true(ball[0] == 76 && ball[1] == 255 && ball[2] == 76);
  free(pic);
  mimic_env_free(env);

  /* tile_size sets the picture's size */
  assert_int_equal(mimic_env_make("MiniGrid-Empty-5x5-v0", "obs=rgb,tile_size=4", &env), MIMIC_OK);
  assert_int_equal(mimic_env_obs_space(env)->shape[1], 28);
  assert_int_equal(mimic_env_obs_space(env)->dim, 3 * 28 * 28);
  mimic_env_free(env);
}

/* The RGB view follows the encoding: a wall cell is a uniform tile, an
 * unseen cell's centre is black, a seen empty cell's centre 76. */
static void test_rgb_matches_view(void **state) {
  (void)state;
  mimic_env *a, *b;
  assert_int_equal(mimic_env_make("MiniGrid-DoorKey-8x8-v0", "obs=view", &a), MIMIC_OK);
  assert_int_equal(mimic_env_make("MiniGrid-DoorKey-8x8-v0", "obs=rgb", &b), MIMIC_OK);
  float view[147], *rgb = malloc(sizeof(float) * 3 * 56 * 56);
  mimic_rng rng;
  mimic_rng_seed(&rng, 3);
  for (int ep = 0; ep < 5; ep++) {
    assert_int_equal(mimic_env_reset(a, (uint64_t)ep, view), MIMIC_OK);
    assert_int_equal(mimic_env_reset(b, (uint64_t)ep, rgb), MIMIC_OK);
    for (int s = 0; s < 40; s++) {
      for (int j = 0; j < 7; j++)
        for (int i = 0; i < 7; i++) {
          if (i == 3 && j == 6) continue; /* the agent */
          float t = view[j * 7 + i];
          size_t p = (size_t)(8 * j + 4) * 56 + (size_t)(8 * i + 4);
          if (t == 0) assert_true(rgb[p] == 0 && rgb[56 * 56 + p] == 0);
          if (t == 1) assert_true(rgb[p] == 76 && rgb[2 * 56 * 56 + p] == 76);
          if (t == 2) assert_true(rgb[p] == 146 && rgb[(size_t)(8 * j) * 56 + 8 * i] == 146);
        }
      float act = (float)(mimic_rng_next64(&rng) % 3);
      double r;
      bool t, u;
      assert_int_equal(mimic_env_step(a, &act, view, &r, &t, &u), MIMIC_OK);
      assert_int_equal(mimic_env_step(b, &act, rgb, &r, &t, &u), MIMIC_OK);
      if (t || u) break;
    }
  }
  free(rgb);
  mimic_env_free(a);
  mimic_env_free(b);
}

static void test_bad_options(void **state) {
  (void)state;
  mimic_env *env;
  assert_int_not_equal(mimic_env_make("MiniGrid-Empty-5x5-v0", "obs=view,mission=1", &env),
                       MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "mission"));
  assert_int_not_equal(mimic_env_make("MiniGrid-Empty-5x5-v0", "obs=rgb,tile_size=0", &env),
                       MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "tile_size"));
  assert_int_not_equal(mimic_env_make("MiniGrid-Empty-5x5-v0", "obs=pixels", &env), MIMIC_OK);
  assert_non_null(strstr(mimic_errmsg(), "view or rgb"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_view_by_hand), cmocka_unit_test(test_view_is_image_reordered),
      cmocka_unit_test(test_rgb_by_hand),  cmocka_unit_test(test_rgb_matches_view),
      cmocka_unit_test(test_bad_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
