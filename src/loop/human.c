/* A person as the expert (see mimic_policy_human in mimic/policy.h).
 *
 * The question is the environment's own text picture plus the learner's
 * suggestion; the answer is one key. On a terminal the key is read in raw
 * mode (no Enter needed) and the terminal is restored before returning,
 * also on errors; from a pipe (tests, scripts) bytes are read as they
 * come. Arrow keys arrive as ESC [ A..D. Every answer counts as one expert
 * call, which is what DAgger reports as its cost. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "mimic/policy.h"

typedef struct human_impl {
  int fd;
  FILE *out;
  int n;
  char names[32][24];
  char letter[32]; /* the unique first letter of each name, or 0 */
  char *picture;
} human_impl;

enum { KEY_UP = 256, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_EOF };

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

static int find_name(const human_impl *h, const char *name) {
  for (int a = 0; a < h->n; a++)
    if (strcmp(h->names[a], name) == 0) return a;
  return -1;
}

/* Maps a key to an action; -1 = not an action key. */
static int key_action(const human_impl *h, int key) {
  if (key >= '0' && key <= '9' && key - '0' < h->n) return key - '0';
  if (key == KEY_LEFT) return find_name(h, "left");
  if (key == KEY_RIGHT) return find_name(h, "right");
  if (key == KEY_UP) return find_name(h, "forward");
  for (int a = 0; a < h->n; a++)
    if (h->letter[a] && tolower(key) == h->letter[a]) return a;
  return -1;
}

static void print_keys(const human_impl *h) {
  fprintf(h->out, "keys:");
  for (int a = 0; a < h->n; a++) {
    fprintf(h->out, "  %d", a);
    if (h->letter[a]) fprintf(h->out, "/%c", h->letter[a]);
    fprintf(h->out, " %s", h->names[a]);
  }
  if (find_name(h, "forward") >= 0) fprintf(h->out, "  (arrows turn and move)");
  fprintf(h->out, "  Enter/g accept  q quit\n");
}

static mimic_status human_act(mimic_policy *p, mimic_act_batch *b) {
  human_impl *h = p->impl;
  if (!b->envs)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "a person needs to see the environment, not only observations");
  struct termios saved;
  bool raw = isatty(h->fd) && tcgetattr(h->fd, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(h->fd, TCSANOW, &t);
  }
  mimic_status st = MIMIC_OK;
  for (int i = 0; i < b->n && st == MIMIC_OK; i++) {
    st = mimic_env_render_text(b->envs[i], h->picture, 1 << 16);
    if (st) break;
    fprintf(h->out, "\n%s\n", h->picture);
    int guess = b->hint ? (int)b->hint[i] : -1;
    if (guess >= 0 && guess < h->n) {
      fprintf(h->out, "the learner suggests: %s", h->names[guess]);
      if (b->hint_confidence) fprintf(h->out, " (confidence %.2f)", (double)b->hint_confidence[i]);
      fprintf(h->out, "\n");
    }
    print_keys(h);
    fflush(h->out);
    for (;;) {
      int key = read_key(h->fd);
      if (key == KEY_EOF) {
        st = mimic_fail(MIMIC_ERR_INTERRUPTED, "the person's input ended");
        break;
      }
      if (key == 'q' || key == 'Q' || key == 3 /* Ctrl-C in raw mode */) {
        st = mimic_fail(MIMIC_ERR_INTERRUPTED, "the person quit");
        break;
      }
      int a = (key == '\n' || key == '\r' || key == 'g') ? guess : key_action(h, key);
      if (a < 0 || a >= h->n) {
        if (key != '\n' && key != '\r') fprintf(h->out, "(not an action key)\n");
        fflush(h->out);
        continue;
      }
      b->actions[i] = (float)a;
      if (b->confidence) b->confidence[i] = 1.0f;
      p->calls++;
      fprintf(h->out, "-> %s\n", h->names[a]);
      break;
    }
  }
  if (raw) tcsetattr(h->fd, TCSANOW, &saved);
  return st;
}

static void human_free(mimic_policy *p) {
  human_impl *h = p->impl;
  if (h) free(h->picture);
  free(h);
}

static const mimic_policy_class human_class = {"human", human_act, human_free};

mimic_status mimic_policy_human(const mimic_env *like, int in_fd, FILE *out,
                                mimic_policy **out_policy) {
  *out_policy = NULL;
  const mimic_space *as = mimic_env_action_space(like);
  if (as->kind != MIMIC_SPACE_DISCRETE)
    return mimic_fail(MIMIC_ERR_INVALID, "a person answers with keys, so %s needs discrete actions",
                      mimic_env_id(like));
  if (as->n > 32)
    return mimic_fail(MIMIC_ERR_INVALID, "too many actions (%d) to answer with keys", as->n);
  MIMIC_TRY(mimic_policy_alloc(&human_class, as, mimic_env_obs_space(like)->dim, out_policy));
  human_impl *h = mimic_calloc(1, sizeof *h, "a human expert");
  char *picture = mimic_malloc(1 << 16, "a picture");
  if (!h || !picture) {
    free(h);
    free(picture);
    mimic_policy_free(*out_policy);
    *out_policy = NULL;
    return MIMIC_ERR_NOMEM;
  }
  h->fd = in_fd;
  h->out = out;
  h->n = as->n;
  h->picture = picture;
  for (int a = 0; a < h->n; a++) {
    const char *name = mimic_env_action_name(like, a);
    if (name)
      snprintf(h->names[a], sizeof h->names[a], "%s", name);
    else
      snprintf(h->names[a], sizeof h->names[a], "action %d", a);
  }
  for (int a = 0; a < h->n; a++) { /* a first letter is a key only when no other name shares it */
    if (!mimic_env_action_name(like, a)) continue;
    char c = (char)tolower((unsigned char)h->names[a][0]);
    bool unique = c != 'q' && c != 'g' && !isdigit((unsigned char)c);
    for (int b = 0; b < h->n && unique; b++)
      if (b != a && tolower((unsigned char)h->names[b][0]) == c) unique = false;
    h->letter[a] = unique ? c : 0;
  }
  (*out_policy)->impl = h;
  snprintf((*out_policy)->description, sizeof(*out_policy)->description, "human at the terminal");
  return MIMIC_OK;
}
