/* A person as the expert, for every domain.
 *
 * The codec shows the state (an environment's picture, a document, an
 * agent's request and moves); this file asks and reads the answer, in one
 * of two ways:
 *
 * Lines (documents, agent states, Box actions):
 *
 *     round 1 of 3, question 2 of 10  [pool.csv:17]
 *         my card has not arrived yet
 *       1  card_arrival              0.41
 *       2  card_delivery_estimate    0.22
 *     answer>
 *
 *   Numbers 1..R (R = the guesses shown, at least 3) pick a guess; the
 *   whole action list ('l') is numbered from R+1, so every number means one
 *   thing and a list's numbers never change. A name may be typed in full or
 *   as a unique prefix, in any case; an exact name wins over a longer one
 *   starting with it; "=NAME" is always a name. A name may be followed by a
 *   JSON object (an agent tool's arguments). Where actions are open (an
 *   agent's tools) an unknown name is a new action; elsewhere it is
 *   refused, so a typo never becomes a label. Box actions are typed as
 *   numbers. An empty line answers nothing (a stray Enter must not become
 *   a label); g takes the best guess, s skips, u undoes, l lists, q quits,
 *   h helps. End of input counts as quitting.
 *
 * Keys (environments with discrete actions): one key per answer, read in
 * raw mode on a terminal (restored afterwards, also on errors) and byte by
 * byte from a pipe. A digit picks action N, arrows and unique first
 * letters pick named actions (MiniGrid: left/right turn, up moves
 * forward), Enter or g accepts the learner's suggestion, q quits.
 *
 * Input is read from a file descriptor byte by byte (no stdio buffer), so a
 * script driving a session sees exactly its lines consumed and nothing is
 * read ahead of the question that needs it. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "mimic/expert.h"
#include "loop/transport.h"

enum { LINE_MAX_BYTES = 8192, GUESSES = 3 };
enum { KEY_UP = 256, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_EOF };

typedef struct human {
  int fd;
  FILE *out;
  int reserved;  /* line mode: numbers 1..reserved are guesses */
  int listed_n;  /* actions in the list last printed (-1: never printed) */
  char *letters; /* key mode: the unique first letter of each action, or 0 */
} human;

bool mimic_read_line_fd(int fd, char *buf, size_t cap) {
  size_t n = 0;
  bool any = false;
  for (;;) {
    unsigned char c;
    ssize_t k = read(fd, &c, 1);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    any = true;
    if (c == '\n') break;
    if (n + 1 < cap) buf[n++] = (char)c;
  }
  while (n > 0 && isspace((unsigned char)buf[n - 1])) n--;
  buf[n] = '\0';
  return any;
}

static int read_byte(int fd) {
  unsigned char c;
  for (;;) {
    ssize_t k = read(fd, &c, 1);
    if (k == 1) return c;
    if (k < 0 && errno == EINTR) continue;
    return KEY_EOF;
  }
}

static int read_key(int fd) {
  int c = read_byte(fd);
  if (c != 27) return c;
  int b = read_byte(fd);
  if (b != '[' && b != 'O') return 27;
  switch (read_byte(fd)) {
  case 'A': return KEY_UP;
  case 'B': return KEY_DOWN;
  case 'C': return KEY_RIGHT;
  case 'D': return KEY_LEFT;
  default: return 27;
  }
}

/* What an action is called ("label" for a text loop). */
static const char *noun(const mimic_codec *c) { return c->noun ? c->noun : "action"; }

/* The name of discrete action k for people ("action 3" when it has none). */
static const char *action_name(const mimic_codec *c, int k, char *buf, size_t cap) {
  if (k >= 0 && k < mimic_codec_n_names(c)) return c->name(c, k);
  snprintf(buf, cap, "action %d", k);
  return buf;
}

static int n_choices(const mimic_codec *c) {
  int named = mimic_codec_n_names(c);
  return named > c->space.n ? named : c->space.n;
}

/* The learner's guesses for question i, best first: ids and probabilities. */
static int guesses(const mimic_questions *q, size_t i, int width, int *id, double *p, int cap) {
  if (q->guess_proba) {
    const double *row = q->guess_proba + i * (size_t)q->guess_k;
    int n = 0;
    for (int k = 0; k < q->guess_k; k++) { /* insertion into the top cap, ties to the lower id */
      if (!(row[k] > 0) || (n == cap && !(row[k] > p[n - 1]))) continue;
      int j = n < cap ? n++ : n - 1;
      while (j > 0 && row[k] > p[j - 1]) {
        id[j] = id[j - 1];
        p[j] = p[j - 1];
        j--;
      }
      id[j] = k;
      p[j] = row[k];
    }
    return n;
  }
  if (!q->guess || isnan(q->guess[i * (size_t)width])) return 0;
  id[0] = (int)q->guess[i * (size_t)width];
  p[0] = q->guess_conf ? q->guess_conf[i] : NAN;
  return 1;
}

static void header(human *h, const mimic_questions *q, size_t i) {
  fprintf(h->out, "\n");
  if (q->note && i == 0) fprintf(h->out, "%s\n", q->note);
  if (q->round > 0) fprintf(h->out, "round %d of %d, ", q->round, q->rounds);
  if (q->count)
    fprintf(h->out, "question %zu of %zu", q->number + i, q->count);
  else if (q->number)
    fprintf(h->out, "question %zu", q->number + i);
  else
    fprintf(h->out, "question");
  if (q->keys) fprintf(h->out, "  [%s]", q->keys[i]);
  if (q->again) fprintf(h->out, "  (again, after undo)");
  fprintf(h->out, "\n");
}

/* ---- keys ------------------------------------------------------------------ */

static int find_name(const mimic_codec *c, const char *name) { return mimic_codec_find(c, name); }

/* Maps a key to an action; -1 = not an action key. */
static int key_action(const human *h, const mimic_codec *c, int key) {
  int n = n_choices(c);
  if (key >= '0' && key <= '9' && key - '0' < n) return key - '0';
  if (key == KEY_LEFT) return find_name(c, "left");
  if (key == KEY_RIGHT) return find_name(c, "right");
  if (key == KEY_UP) return find_name(c, "forward");
  for (int a = 0; a < n && a < mimic_codec_n_names(c); a++)
    if (h->letters[a] && tolower(key) == h->letters[a]) return a;
  return -1;
}

static void print_keys(const human *h, const mimic_codec *c) {
  char buf[32];
  fprintf(h->out, "keys:");
  for (int a = 0; a < n_choices(c); a++) {
    fprintf(h->out, "  %d", a);
    if (a < mimic_codec_n_names(c) && h->letters[a]) fprintf(h->out, "/%c", h->letters[a]);
    fprintf(h->out, " %s", action_name(c, a, buf, sizeof buf));
  }
  if (find_name(c, "forward") >= 0) fprintf(h->out, "  (arrows turn and move)");
  fprintf(h->out, "  Enter/g accept  q quit\n");
}

static mimic_status ask_key(human *h, const mimic_codec *c, const mimic_questions *q, size_t i,
                            mimic_answer *a) {
  header(h, q, i);
  MIMIC_TRY(c->show(c, q, i, h->out));
  int id[1];
  double p[1];
  int guess = guesses(q, i, 1, id, p, 1) ? id[0] : -1;
  char buf[32];
  if (guess >= 0) {
    fprintf(h->out, "the learner suggests: %s", action_name(c, guess, buf, sizeof buf));
    if (!isnan(p[0])) fprintf(h->out, " (confidence %.2f)", p[0]);
    fprintf(h->out, "\n");
  }
  print_keys(h, c);
  fflush(h->out);
  for (;;) {
    int key = read_key(h->fd);
    if (key == KEY_EOF || key == 'q' || key == 'Q' || key == 3 /* Ctrl-C in raw mode */) {
      a->kind = MIMIC_ANSWER_QUIT;
      return MIMIC_OK;
    }
    int k = (key == '\n' || key == '\r' || key == 'g') ? guess : key_action(h, c, key);
    if (k < 0 || k >= n_choices(c)) {
      if (key != '\n' && key != '\r') fprintf(h->out, "(not an action key)\n");
      fflush(h->out);
      continue;
    }
    a->action[0] = (float)k;
    fprintf(h->out, "-> %s\n", action_name(c, k, buf, sizeof buf));
    return MIMIC_OK;
  }
}

/* ---- lines ----------------------------------------------------------------- */

static void print_list(human *h, const mimic_codec *c) {
  int n = n_choices(c), width = 0;
  char buf[32];
  for (int k = 0; k < n; k++) {
    int w = (int)strlen(action_name(c, k, buf, sizeof buf));
    if (w > width) width = w;
  }
  if (width > 40) width = 40;
  int cols = 100 / (width + 7);
  if (cols < 1) cols = 1;
  fprintf(h->out, "%ss (type the number or the name):\n", noun(c));
  for (int k = 0; k < n; k++)
    fprintf(h->out, "  %4d %-*s%s", h->reserved + 1 + k, width, action_name(c, k, buf, sizeof buf),
            (k + 1) % cols == 0 || k + 1 == n ? "\n" : "");
  h->listed_n = n;
}

static void print_help(human *h, const mimic_codec *c, const mimic_questions *q) {
  if (c->space.kind == MIMIC_SPACE_BOX)
    fprintf(h->out, "answer with %d numbers (the action)", c->space.dim);
  else
    fprintf(h->out,
            "answer with: 1-%d a guess; a %s's number from the list; a %s's name "
            "(a unique prefix will do)%s",
            h->reserved, noun(c), noun(c),
            c->add_name ? ", optionally followed by JSON arguments" : "");
  fprintf(h->out, ";\n  g the best guess%s%s   l list   q quit (resume later)\n",
          q->must_act ? "" : "  s skip this one",
          q->must_act ? "" : "   u undo the previous answer");
}

/* The ids whose names match s: exact (case-sensitive), else exact in any
 * case, else those starting with s in any case. Returns the count. */
static int match_names(const mimic_codec *c, const char *s, int *first, int *second) {
  int n = 0, names = mimic_codec_n_names(c);
  size_t len = strlen(s);
  for (int pass = 0; pass < 3 && n == 0; pass++)
    for (int k = 0; k < names; k++) {
      const char *name = c->name(c, k);
      bool hit = pass == 0   ? strcmp(name, s) == 0
                 : pass == 1 ? strcasecmp(name, s) == 0
                             : strncasecmp(name, s, len) == 0;
      if (!hit) continue;
      if (n == 0) *first = k;
      if (n == 1) *second = k;
      n++;
    }
  return n;
}

static bool is_word(const char *s, const char *word) {
  return (s[0] == word[0] && s[1] == '\0') || strcmp(s, word) == 0;
}

/* Reads a Box action from numbers separated by spaces or commas (or a JSON list). */
static bool parse_numbers(const mimic_codec *c, const char *s, float *action) {
  int dim = c->space.dim;
  if (*s == '[') s++;
  for (int j = 0; j < dim; j++) {
    while (*s == ' ' || *s == ',') s++;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v)) return false;
    if ((c->space.low && v < c->space.low[j]) || (c->space.high && v > c->space.high[j]))
      return false;
    action[j] = (float)v;
    s = end;
  }
  while (*s == ' ' || *s == ']') s++;
  return *s == '\0';
}

/* Takes "name {json}" apart: the name is everything before the first '{'. */
static mimic_status name_and_detail(char *s, char **detail, bool *bad) {
  *bad = false;
  char *brace = strchr(s, '{');
  if (!brace) return MIMIC_OK;
  json_error_t err;
  json_t *args = json_loads(brace, 0, &err);
  if (!json_is_object(args)) {
    json_decref(args);
    *bad = true;
    return MIMIC_OK;
  }
  *detail = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(args);
  if (!*detail) return mimic_fail_nomem("an answer");
  for (*brace = '\0'; brace > s && isspace((unsigned char)brace[-1]); brace--) brace[-1] = '\0';
  return MIMIC_OK;
}

/* Resolves a typed name (exact, any case, unique prefix, or new for an open list). */
static int resolve_name(human *h, const mimic_codec *c, const char *s, bool by_name) {
  int first = -1, second = -1, n = match_names(c, s, &first, &second);
  if (n == 1 || (n > 1 && by_name && strcmp(c->name(c, first), s) == 0)) return first;
  if (n > 1) {
    fprintf(h->out, "'%s' could be %d %ss (%s, %s%s); type more of the name\n", s, n, noun(c),
            c->name(c, first), c->name(c, second), n > 2 ? ", ..." : "");
    return -1;
  }
  if (c->add_name) {
    int id;
    if (c->add_name(c, s, &id)) return -2;
    fprintf(h->out, "(a new %s: %s)\n", noun(c), s);
    return id;
  }
  /* a closed label list is fixed when a text session starts: say how to widen it */
  fprintf(h->out, "no %s is called or starts with '%s' (l lists them%s)\n", noun(c), s,
          strcmp(noun(c), "label") == 0
              ? "; labels the seed file lacks are named with --labels when a session starts"
              : "");
  return -1;
}

static mimic_status ask_line(human *h, const mimic_codec *c, const mimic_questions *q, size_t i,
                             mimic_answer *a) {
  enum { CAP = 16 };
  int id[CAP];
  double p[CAP];
  int width = mimic_space_width(&c->space);
  int ng = guesses(q, i, width, id, p, q->guess_proba ? GUESSES : 1);
  bool discrete = c->space.kind == MIMIC_SPACE_DISCRETE;
  if (discrete && h->listed_n != n_choices(c)) {
    fprintf(h->out, "\n");
    print_list(h, c);
    print_help(h, c, q);
  }
  header(h, q, i);
  MIMIC_TRY(c->show(c, q, i, h->out));
  char buf[32];
  if (!discrete && q->guess) {
    fprintf(h->out, "  guess:");
    for (int j = 0; j < width; j++) fprintf(h->out, " %.4g", (double)q->guess[i * width + j]);
    fprintf(h->out, "\n");
  } else if (discrete && ng == 0) {
    fprintf(h->out, "  (no guess: the learner knows nothing of this yet)\n");
  }
  for (int g = 0; discrete && g < ng; g++) {
    fprintf(h->out, "  %d  %-36s", g + 1, action_name(c, id[g], buf, sizeof buf));
    if (!isnan(p[g])) fprintf(h->out, " %.2f", p[g]);
    fprintf(h->out, "\n");
  }
  char line[LINE_MAX_BYTES];
  for (;;) {
    fprintf(h->out, "answer> ");
    fflush(h->out);
    if (!mimic_read_line_fd(h->fd, line, sizeof line)) {
      fprintf(h->out, "\n(end of input: quitting)\n");
      a->kind = MIMIC_ANSWER_QUIT;
      return MIMIC_OK;
    }
    char *s = line;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) continue;
    if (!strcmp(s, "g") || !strcmp(s, "guess")) { /* the best guess, asked for by name */
      if (discrete && ng > 0) {
        a->action[0] = (float)id[0];
        fprintf(h->out, "-> %s\n", action_name(c, id[0], buf, sizeof buf));
        return MIMIC_OK;
      }
      if (!discrete && q->guess) {
        memcpy(a->action, q->guess + i * (size_t)width, (size_t)width * sizeof(float));
        return MIMIC_OK;
      }
      fprintf(h->out, "there is no guess to take\n");
      continue;
    }
    if (is_word(s, "quit") || !strcmp(s, "exit")) {
      a->kind = MIMIC_ANSWER_QUIT;
      return MIMIC_OK;
    }
    if (is_word(s, "help") || !strcmp(s, "?")) {
      print_help(h, c, q);
      continue;
    }
    if (discrete && is_word(s, "list")) {
      print_list(h, c);
      continue;
    }
    if (is_word(s, "skip") || is_word(s, "undo")) {
      bool undo = s[0] == 'u';
      if (q->must_act) {
        fprintf(h->out, "this state needs an action now\n");
        continue;
      }
      if (undo && !q->can_undo) {
        fprintf(h->out, "nothing to undo in this round (earlier rounds' answers are already in "
                        "the model)\n");
        continue;
      }
      a->kind = undo ? MIMIC_ANSWER_UNDO : MIMIC_ANSWER_SKIP;
      fprintf(h->out, undo ? "-> undone; asking the previous one again\n" : "-> skipped\n");
      return MIMIC_OK;
    }
    if (!discrete) {
      if (parse_numbers(c, s, a->action)) return MIMIC_OK;
      fprintf(h->out, "type %d numbers, each within the action's bounds\n", c->space.dim);
      continue;
    }
    bool bad_args;
    MIMIC_TRY(name_and_detail(s, &a->detail, &bad_args));
    if (bad_args) {
      fprintf(h->out, "the arguments after the name must be a JSON object\n");
      continue;
    }
    bool by_name = *s == '='; /* "=5": the action called 5, not number 5 */
    if (by_name) s++;
    char *end = NULL;
    long v = !by_name && isdigit((unsigned char)*s) ? strtol(s, &end, 10) : 0;
    int k = -1;
    if (end && !*end) { /* a number (a name that starts with a digit goes on below) */
      if (v >= 1 && v <= ng)
        k = id[v - 1];
      else if (v > h->reserved && v <= h->reserved + n_choices(c))
        k = (int)(v - h->reserved - 1);
      else
        fprintf(h->out, "no answer has number %ld (guesses 1-%d, %ss %d-%d; l lists them)\n", v, ng,
                noun(c), h->reserved + 1, h->reserved + n_choices(c));
    } else {
      k = resolve_name(h, c, s, by_name);
      if (k == -2) return mimic_errcode();
    }
    if (k < 0) {
      free(a->detail);
      a->detail = NULL;
      continue;
    }
    a->action[0] = (float)k;
    fprintf(h->out, "-> %s\n", action_name(c, k, buf, sizeof buf));
    return MIMIC_OK;
  }
}

static mimic_status human_label(mimic_expert *e, const mimic_questions *q, mimic_answer *answers) {
  human *h = e->impl;
  const mimic_codec *c = e->codec;
  bool keys = c->keys && c->space.kind == MIMIC_SPACE_DISCRETE;
  struct termios saved;
  bool raw = keys && isatty(h->fd) && tcgetattr(h->fd, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(h->fd, TCSANOW, &t);
  }
  mimic_status st = MIMIC_OK;
  for (size_t i = 0; i < q->n && st == MIMIC_OK; i++) {
    answers[i].kind = MIMIC_ANSWER_ACTION;
    st = keys ? ask_key(h, c, q, i, &answers[i]) : ask_line(h, c, q, i, &answers[i]);
    if (answers[i].kind != MIMIC_ANSWER_ACTION) break;
  }
  if (raw) tcsetattr(h->fd, TCSANOW, &saved);
  return st;
}

static void human_free(mimic_expert *e) {
  human *h = e->impl;
  if (h) free(h->letters);
  free(h);
}

static const mimic_expert_class human_class = {
    .kind = "human", .label = human_label, .free_impl = human_free};

mimic_status mimic_expert_human(const mimic_codec *codec, int in_fd, FILE *out,
                                mimic_expert **out_expert) {
  *out_expert = NULL;
  if (!codec->show)
    return mimic_fail(MIMIC_ERR_INVALID, "these states cannot be shown to a person");
  MIMIC_TRY(mimic_expert_alloc(&human_class, codec, "human", out_expert));
  mimic_expert *e = *out_expert;
  e->person = true;
  e->live = true;
  human *h = mimic_calloc(1, sizeof *h, "a human expert");
  int names = mimic_codec_n_names(codec);
  char *letters = mimic_calloc((size_t)names + 1, 1, "keys");
  e->impl = h;
  if (!h || !letters) {
    free(letters);
    mimic_expert_free(e);
    *out_expert = NULL;
    return MIMIC_ERR_NOMEM;
  }
  h->fd = in_fd;
  h->out = out ? out : stderr;
  h->reserved = GUESSES;
  h->listed_n = -1;
  h->letters = letters;
  for (int a = 0; a < names; a++) { /* a first letter is a key only when no other name shares it */
    char c = (char)tolower((unsigned char)codec->name(codec, a)[0]);
    bool unique = c && c != 'q' && c != 'g' && !isdigit((unsigned char)c);
    for (int b = 0; b < names && unique; b++)
      if (b != a && tolower((unsigned char)codec->name(codec, b)[0]) == c) unique = false;
    h->letters[a] = unique ? c : 0;
  }
  return MIMIC_OK;
}
