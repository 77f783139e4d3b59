/* ASCII maps: users' own levels as text (the format is in docs/gridworld.md).
 *
 * A map is a few "key: value" header lines and then the rows of the grid,
 * two characters per cell as MiniGrid's str(env) prints them: an object
 * letter and a colour letter ("W " wall, "Ky" yellow key, "Lr" locked red
 * door, ">>" the agent facing right). Rows may be ragged: missing cells at
 * the end of a row are empty, so editors that trim trailing blanks do no
 * harm; the writer puts a "." on rows that would otherwise be blank. The writer emits the same
 * format, so `render_text` output loads back. Every error names the line, and for cells the row (y)
 * and column (x). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "grid/world.h"

static const char color_chars[MIMIC_GRID_N_COLORS] = {'r', 'g', 'b', 'p', 'y', 'e'};
static const char dir_chars[4] = {'>', 'v', '<', '^'};

typedef struct mctx {
  const char *name;
  int line;
} mctx;

/* Prefixes the last error with "<name>: line N" (either part may be absent). */
static mimic_status with_ctx(const mctx *ctx) {
  if (ctx->line > 0)
    return mimic_errctx("%s%sline %d", ctx->name ? ctx->name : "", ctx->name ? ": " : "",
                        ctx->line);
  return ctx->name ? mimic_errctx("%s", ctx->name) : mimic_errcode();
}
#define FAILF(ctx, ...) (mimic_fail(MIMIC_ERR_FORMAT, __VA_ARGS__), with_ctx(ctx))

static int color_of(char c) {
  for (int i = 0; i < MIMIC_GRID_N_COLORS; i++)
    if (color_chars[i] == c) return i;
  return -1;
}

/* Parses one two-character cell (c1 c2) into an encoding; -1 in *dir unless
 * it is the agent. Returns NULL or the reason it is malformed. */
static const char *parse_cell(char c1, char c2, uint8_t e[3], int *dir) {
  *dir = -1;
  e[0] = MIMIC_GRID_EMPTY, e[1] = 0, e[2] = 0;
  bool dflt = c2 == ' ' || c2 == '.' || c2 == '\0';
  int color = dflt ? -1 : color_of(c2);
  for (int d = 0; d < 4; d++)
    if (c1 == dir_chars[d]) {
      if (!(dflt || c2 == c1)) return "an agent cell is written as two arrows, e.g. '>>'";
      *dir = d;
      return NULL;
    }
  if (c1 == ' ' || c1 == '.') {
    if (!dflt) return "an empty cell is two blanks or dots";
    return NULL;
  }
  if (!dflt && color < 0) return "unknown colour letter (r g b p y e)";
  int t, def = -1, s = 0;
  switch (c1) {
  case 'W': t = MIMIC_GRID_WALL, def = MIMIC_GRID_GREY; break;
  case 'F': t = MIMIC_GRID_FLOOR, def = MIMIC_GRID_BLUE; break;
  case 'D': t = MIMIC_GRID_DOOR, s = MIMIC_GRID_CLOSED; break;
  case 'L': t = MIMIC_GRID_DOOR, s = MIMIC_GRID_LOCKED; break;
  case 'O': t = MIMIC_GRID_DOOR, s = MIMIC_GRID_OPEN; break;
  case 'K': t = MIMIC_GRID_KEY, def = MIMIC_GRID_BLUE; break;
  case 'A': t = MIMIC_GRID_BALL, def = MIMIC_GRID_BLUE; break;
  case 'B': t = MIMIC_GRID_BOX; break;
  case 'G': t = MIMIC_GRID_GOAL, def = MIMIC_GRID_GREEN; break;
  case 'V': t = MIMIC_GRID_LAVA, def = MIMIC_GRID_RED; break;
  default: return "unknown object letter (W F D L O K A B G V, an arrow, or blank)";
  }
  if (color < 0) color = def;
  if (color < 0) return "doors and boxes need a colour letter (r g b p y e)";
  e[0] = (uint8_t)t, e[1] = (uint8_t)color, e[2] = (uint8_t)s;
  return NULL;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

/* A header line: lowercase word (and for "box", two integers) then ':'. */
static bool is_header(const char *s) {
  const char *p = s;
  if (!islower((unsigned char)*p)) return false;
  while (islower((unsigned char)*p) || *p == '_') p++;
  if (*p == ':') return true;
  if (strncmp(s, "box ", 4) != 0) return false;
  while (*p == ' ' || *p == '-' || isdigit((unsigned char)*p)) p++;
  return *p == ':';
}

static mimic_status parse_int(mctx *ctx, const char *key, const char *v, int lo, int hi, int *out) {
  char *end;
  long x = strtol(v, &end, 10);
  if (end == v || *trim(end) || x < lo || x > hi)
    return FAILF(ctx, "%s: '%s' is not an integer in %d..%d", key, v, lo, hi);
  *out = (int)x;
  return MIMIC_OK;
}

/* A cell code given in a header ("Ky"); object must not be empty or the agent. */
static mimic_status parse_object(mctx *ctx, const char *key, const char *v, uint8_t e[3]) {
  int dir;
  const char *why = strlen(v) < 1 || strlen(v) > 2 ? "write one two-letter cell, e.g. 'Ky'"
                                                   : parse_cell(v[0], v[1], e, &dir);
  if (!why && (dir >= 0 || e[0] == MIMIC_GRID_EMPTY)) why = "expected an object";
  if (why) return FAILF(ctx, "%s: '%s': %s", key, v, why);
  return MIMIC_OK;
}

static int type_of(const char *s) {
  for (int t = MIMIC_GRID_KEY; t <= MIMIC_GRID_BOX; t++)
    if (!strcmp(s, mimic_grid_object_name(t))) return t;
  return -1;
}
static int color_named(const char *s) {
  for (int c = 0; c < MIMIC_GRID_N_COLORS; c++)
    if (!strcmp(s, mimic_grid_color_name(c))) return c;
  return -1;
}

static mimic_status parse_task(mctx *ctx, const char *v, mimic_grid_task *t) {
  char kind[32] = "", a[32] = "", b[32] = "";
  int n = sscanf(v, "%31s %31s %31s", kind, a, b);
  memset(t, 0, sizeof *t);
  if (n >= 1 && !strcmp(kind, "reach_goal") && n == 1) {
    t->kind = MIMIC_GRID_REACH_GOAL;
    return MIMIC_OK;
  }
  if (n == 3 && (!strcmp(kind, "unlock") || !strcmp(kind, "goto_door"))) {
    t->kind = kind[0] == 'u' ? MIMIC_GRID_UNLOCK_DOOR : MIMIC_GRID_GOTO_DOOR;
    MIMIC_TRY(parse_int(ctx, "task", a, 0, MIMIC_GRID_MAX - 1, &t->x));
    MIMIC_TRY(parse_int(ctx, "task", b, 0, MIMIC_GRID_MAX - 1, &t->y));
    t->type = MIMIC_GRID_DOOR;
    return MIMIC_OK;
  }
  if (n == 3 && (!strcmp(kind, "pickup") || !strcmp(kind, "fetch"))) {
    t->kind = kind[0] == 'p' ? MIMIC_GRID_PICKUP_OBJECT : MIMIC_GRID_FETCH;
    t->color = color_named(a);
    t->type = type_of(b);
    if (t->color < 0 || t->type < 0)
      return FAILF(ctx, "task: '%s': write '%s <colour> <key|ball|box>'", v, kind);
    return MIMIC_OK;
  }
  return FAILF(ctx,
               "task: '%s': expected reach_goal, unlock X Y, goto_door X Y, pickup COLOUR TYPE "
               "or fetch COLOUR TYPE",
               v);
}

static const uint8_t *cell_at(const mimic_grid_state *st, int x, int y) {
  return st->grid + ((size_t)x * (size_t)st->height + (size_t)y) * 3;
}

static void default_mission(mimic_grid_state *st) {
  const mimic_grid_task *t = &st->task;
  switch (t->kind) {
  case MIMIC_GRID_REACH_GOAL:
    snprintf(st->mission, sizeof st->mission, "get to the green goal square");
    break;
  case MIMIC_GRID_UNLOCK_DOOR: snprintf(st->mission, sizeof st->mission, "open the door"); break;
  case MIMIC_GRID_GOTO_DOOR: {
    const uint8_t *e = st->grid + ((size_t)t->x * (size_t)st->height + (size_t)t->y) * 3;
    snprintf(st->mission, sizeof st->mission, "go to the %s door", mimic_grid_color_name(e[1]));
    break;
  }
  case MIMIC_GRID_PICKUP_OBJECT:
  case MIMIC_GRID_FETCH:
    snprintf(st->mission, sizeof st->mission, "%s the %s %s",
             t->kind == MIMIC_GRID_FETCH ? "fetch" : "pick up", mimic_grid_color_name(t->color),
             mimic_grid_object_name(t->type));
    break;
  }
}

mimic_status mimic_grid_parse_map(const char *text, const char *name, mimic_grid_state *st) {
  mg_tables_init();
  memset(st, 0, sizeof *st);
  st->max_steps = 100; /* MiniGridEnv's default */
  st->agent_x = st->agent_y = -1;
  mctx ctx = {name, 0};
  bool have_mission = false;
  int size_w = 0, size_h = 0;
  uint8_t under[3] = {MIMIC_GRID_EMPTY, 0, 0};
  /* rows are kept as (start, length) into text; cells parsed after the width is known */
  enum { MAX_ROWS = MIMIC_GRID_MAX };
  const char *row_at[MAX_ROWS + 1];
  int row_len[MAX_ROWS + 1], row_line[MAX_ROWS + 1], nrows = 0, last_nonblank = -1;
  char buf[512];
  const char *p = text ? text : "";
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    ctx.line++;
    const char *line = p;
    /* step past the whole line before trimming its '\r': a last line ending in
       a bare '\r' (a CRLF file cut by one byte) must not be read forever */
    p = eol ? eol + 1 : p + len;
    if (len && line[len - 1] == '\r') len--;
    if (len >= sizeof buf)
      return FAILF(&ctx, "the line is longer than %zu characters", sizeof buf - 1);
    size_t n = len;
    memcpy(buf, line, n);
    buf[n] = '\0';
    if (buf[0] == '#') continue;
    if (is_header(buf)) {
      char *colon = strchr(buf, ':');
      *colon = '\0';
      char *key = trim(buf), *v = trim(colon + 1);
      if (!strcmp(key, "mission")) {
        snprintf(st->mission, sizeof st->mission, "%s", v);
        have_mission = true;
      } else if (!strcmp(key, "size")) {
        if (sscanf(v, "%d %d", &size_w, &size_h) != 2 || size_w < 3 || size_h < 3 ||
            size_w > MIMIC_GRID_MAX || size_h > MIMIC_GRID_MAX)
          return FAILF(&ctx, "size: '%s' is not 'WIDTH HEIGHT' within 3..%d", v, MIMIC_GRID_MAX);
      } else if (!strcmp(key, "max_steps")) {
        MIMIC_TRY(parse_int(&ctx, key, v, 1, 1 << 30, &st->max_steps));
      } else if (!strcmp(key, "step_count")) {
        MIMIC_TRY(parse_int(&ctx, key, v, 0, 1 << 30, &st->step_count));
      } else if (!strcmp(key, "mission_id")) {
        MIMIC_TRY(parse_int(&ctx, key, v, 0, 1 << 30, &st->mission_id));
      } else if (!strcmp(key, "see_through_walls")) {
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
          st->see_through_walls = true;
        else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
          st->see_through_walls = false;
        else
          return FAILF(&ctx, "see_through_walls: '%s' is not yes or no", v);
      } else if (!strcmp(key, "task")) {
        MIMIC_TRY(parse_task(&ctx, v, &st->task));
      } else if (!strcmp(key, "carrying")) {
        char a[8] = "", b[8] = "";
        int k = sscanf(v, "%7s %7s", a, b);
        if (k < 1) return FAILF(&ctx, "carrying: give an object, e.g. 'Ky'");
        MIMIC_TRY(parse_object(&ctx, key, a, st->carrying));
        if (k == 2) MIMIC_TRY(parse_object(&ctx, "carrying (contents)", b, st->carrying_contains));
      } else if (!strcmp(key, "under_agent")) {
        int dir;
        const char *why = strlen(v) < 1 || strlen(v) > 2 ? "write one two-letter cell"
                                                         : parse_cell(v[0], v[1], under, &dir);
        if (!why && dir >= 0) why = "expected a cell, not the agent";
        if (why) return FAILF(&ctx, "under_agent: '%s': %s", v, why);
      } else if (!strncmp(key, "box", 3)) {
        int bx, by;
        if (sscanf(key, "box %d %d", &bx, &by) != 2)
          return FAILF(&ctx, "write 'box X Y: <object>'");
        if (st->n_boxes >= MIMIC_GRID_MAX_BOXES) return FAILF(&ctx, "too many box lines");
        st->boxes[st->n_boxes].x = bx;
        st->boxes[st->n_boxes].y = by;
        MIMIC_TRY(parse_object(&ctx, "box contents", v, st->boxes[st->n_boxes].contains));
        st->n_boxes++;
      } else {
        return FAILF(&ctx,
                     "unknown header '%s' (mission, size, max_steps, step_count, "
                     "see_through_walls, task, carrying, under_agent, box X Y, mission_id)",
                     key);
      }
      continue;
    }
    bool blank = strspn(buf, " \t") == strlen(buf);
    if (blank && nrows == 0) continue;
    if (nrows >= MAX_ROWS) {
      if (blank) continue;
      return FAILF(&ctx, "the map has more than %d rows", MIMIC_GRID_MAX);
    }
    if (len > 2 * MIMIC_GRID_MAX)
      return FAILF(&ctx, "row %d is wider than %d cells", nrows, MIMIC_GRID_MAX);
    if (strchr(buf, '\t')) return FAILF(&ctx, "row %d: tabs are not allowed in a map", nrows);
    row_at[nrows] = line;
    row_len[nrows] = (int)len;
    row_line[nrows] = ctx.line;
    if (!blank) last_nonblank = nrows;
    nrows++;
  }
  nrows = last_nonblank + 1;
  ctx.line = 0;
  if (nrows == 0) return FAILF(&ctx, "no map rows");
  int W = 0;
  for (int r = 0; r < nrows; r++)
    if ((row_len[r] + 1) / 2 > W) W = (row_len[r] + 1) / 2;
  int H = nrows;
  if (size_w) { /* an explicit size keeps blank rows and columns at the end */
    if (W > size_w || H > size_h)
      return FAILF(&ctx, "the map rows are %dx%d cells, more than 'size: %d %d'", W, H, size_w,
                   size_h);
    W = size_w;
    H = size_h;
  }
  if (W < 3 || H < 3) return FAILF(&ctx, "the map is %dx%d cells; it needs at least 3x3", W, H);
  st->width = W;
  st->height = H;
  for (int y = 0; y < H; y++) {
    ctx.line = y < nrows ? row_line[y] : 0;
    if (y >= nrows) row_len[y] = 0, row_at[y] = "";
    for (int x = 0; x < W; x++) {
      char c1 = 2 * x < row_len[y] ? row_at[y][2 * x] : ' ';
      char c2 = 2 * x + 1 < row_len[y] ? row_at[y][2 * x + 1] : ' ';
      uint8_t *e = st->grid + ((size_t)x * (size_t)H + (size_t)y) * 3;
      int dir;
      const char *why = parse_cell(c1, c2, e, &dir);
      if (why) return FAILF(&ctx, "row %d, column %d: '%c%c': %s", y, x, c1, c2, why);
      if (dir >= 0) {
        if (st->agent_x >= 0)
          return FAILF(&ctx,
                       "row %d, column %d: a second agent (the first is at row %d, column %d)", y,
                       x, st->agent_y, st->agent_x);
        st->agent_x = x, st->agent_y = y, st->agent_dir = dir;
        memcpy(e, under, 3);
      }
    }
  }
  ctx.line = 0;
  if (st->agent_x < 0) return FAILF(&ctx, "no agent in the map (write '>>', 'vv', '<<' or '^^')");
  if ((st->task.kind == MIMIC_GRID_UNLOCK_DOOR || st->task.kind == MIMIC_GRID_GOTO_DOOR) &&
      st->task.x < W && st->task.y < H) /* the door's colour, as the world records it */
    st->task.color = cell_at(st, st->task.x, st->task.y)[1];
  if (!have_mission) default_mission(st);
  mimic_status s = mimic_grid_check_state(st);
  if (s != MIMIC_OK) return mimic_errctx("%s", name ? name : "map");
  return MIMIC_OK;
}

mimic_status mimic_grid_load_map(const char *path, mimic_grid_state *st) {
  char *text;
  size_t len;
  MIMIC_TRY(mimic_read_file(path, &text, &len));
  mimic_status s = mimic_grid_parse_map(text, path, st);
  free(text);
  return s;
}

/* Writes one cell's two characters. */
static void cell_chars(const uint8_t *e, char out[2]) {
  int t = e[0], c = e[1], s = e[2];
  static const char letters[] = "? WFDKABGV";
  out[0] = t < (int)sizeof letters - 1 ? letters[t] : '?';
  out[1] = t <= MIMIC_GRID_EMPTY ? ' ' : color_chars[c < MIMIC_GRID_N_COLORS ? c : 0];
  if (t == MIMIC_GRID_DOOR)
    out[0] = s == MIMIC_GRID_OPEN ? 'O' : s == MIMIC_GRID_LOCKED ? 'L' : 'D';
  if ((t == MIMIC_GRID_WALL && c == MIMIC_GRID_GREY) ||
      (t == MIMIC_GRID_GOAL && c == MIMIC_GRID_GREEN) ||
      (t == MIMIC_GRID_LAVA && c == MIMIC_GRID_RED))
    out[1] = ' ';
  if (t <= MIMIC_GRID_EMPTY) out[0] = ' ';
}

mimic_status mimic_grid_format_map(const mimic_grid_state *st, char *buf, size_t cap) {
  size_t n = 0;
#define PUT(...)                                                                                   \
  do {                                                                                             \
    int k_ = snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, __VA_ARGS__);              \
    if (k_ > 0) n += (size_t)k_;                                                                   \
  } while (0)
  if (cap) buf[0] = '\0';
  PUT("mission: %s\n", st->mission);
  PUT("size: %d %d\n", st->width, st->height);
  PUT("max_steps: %d\n", st->max_steps);
  if (st->step_count) PUT("step_count: %d\n", st->step_count);
  if (st->mission_id) PUT("mission_id: %d\n", st->mission_id);
  PUT("see_through_walls: %s\n", st->see_through_walls ? "yes" : "no");
  const mimic_grid_task *t = &st->task;
  switch (t->kind) {
  case MIMIC_GRID_REACH_GOAL: break;
  case MIMIC_GRID_UNLOCK_DOOR: PUT("task: unlock %d %d\n", t->x, t->y); break;
  case MIMIC_GRID_GOTO_DOOR: PUT("task: goto_door %d %d\n", t->x, t->y); break;
  case MIMIC_GRID_PICKUP_OBJECT:
  case MIMIC_GRID_FETCH:
    PUT("task: %s %s %s\n", t->kind == MIMIC_GRID_FETCH ? "fetch" : "pickup",
        mimic_grid_color_name(t->color), mimic_grid_object_name(t->type));
    break;
  }
  char cc[2];
  if (st->carrying[0]) {
    cell_chars(st->carrying, cc);
    PUT("carrying: %c%c", cc[0], cc[1]);
    if (st->carrying_contains[0]) {
      char in[2];
      cell_chars(st->carrying_contains, in);
      PUT(" %c%c", in[0], in[1]);
    }
    PUT("\n");
  }
  const uint8_t *under =
      st->grid + ((size_t)st->agent_x * (size_t)st->height + (size_t)st->agent_y) * 3;
  if (under[0] != MIMIC_GRID_EMPTY) {
    cell_chars(under, cc);
    PUT("under_agent: %c%c\n", cc[0], cc[1]);
  }
  for (int b = 0; b < st->n_boxes; b++) {
    cell_chars(st->boxes[b].contains, cc);
    PUT("box %d %d: %c%c\n", st->boxes[b].x, st->boxes[b].y, cc[0], cc[1]);
  }
  for (int y = 0; y < st->height; y++) {
    char row[2 * MIMIC_GRID_MAX + 1];
    int len = 0;
    for (int x = 0; x < st->width; x++) {
      if (x == st->agent_x && y == st->agent_y) {
        row[len++] = dir_chars[st->agent_dir & 3];
        row[len++] = dir_chars[st->agent_dir & 3];
        continue;
      }
      cell_chars(st->grid + ((size_t)x * (size_t)st->height + (size_t)y) * 3, row + len);
      len += 2;
    }
    while (len && row[len - 1] == ' ') len--;
    if (len == 0) row[len++] = '.'; /* an empty row stays a row, not a blank line */
    row[len] = '\0';
    PUT("%s\n", row);
  }
#undef PUT
  if (n >= cap)
    return mimic_fail(MIMIC_ERR_INVALID, "the map needs %zu bytes, the buffer has %zu", n + 1, cap);
  return MIMIC_OK;
}
