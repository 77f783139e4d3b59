/* Tabular MDPs: storage, checks, rollouts, optimal value iteration, and
 * building one from a gridworld by simulation.
 *
 * Successors are a fixed number per (state, action) (max_succ; a
 * gridworld's dynamics are deterministic, so 1), which keeps every sweep a
 * plain loop over contiguous arrays. A terminal state ends the episode when
 * it is entered: its value is its own reward, and nothing flows out of it.
 *
 * The gridworld builder never reaches into the environment: it sets each
 * agent pose with mimic_grid_set_state, takes one real step with
 * mimic_grid_step and reads where the agent went, so the MDP is exactly the
 * environment's dynamics (walls stop, goals and lava end the episode).
 *
 * Why the gridworld's own API (mimic/grid.h, public) and not the generic
 * environment class: a tabular MDP is built from the world's layout (which
 * cells are free, goal or lava) and from agent poses set one by one, which
 * only a gridworld's state describes. The class's get_state/set_state carry
 * the same world as opaque doubles, so going through them would mean
 * decoding a gridworld's layout here; its built-in expert answers "done"
 * where the planner finds no plan, which this builder must tell apart
 * (-1: no expert action). The planner's first action is what that expert
 * would take. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/grid.h"
#include "mimic/irl.h"
#include "core/util.h"

mimic_status mimic_tabular_create(mimic_tabular_mdp *m, int S, int A, int K, int F) {
  memset(m, 0, sizeof *m);
  if (S < 1 || A < 1 || K < 1 || F < 1 || (double)S * A * K > 1e8 || (double)S * F > 1e8)
    return mimic_fail(MIMIC_ERR_INVALID,
                      "tabular MDP: sizes S=%d A=%d successors=%d F=%d are out of range", S, A, K,
                      F);
  size_t sak = (size_t)S * A * K;
  m->succ = mimic_malloc(sak * sizeof *m->succ, "MDP successors");
  m->prob = mimic_calloc(sak, sizeof *m->prob, "MDP probabilities");
  m->terminal = mimic_calloc((size_t)S, 1, "MDP terminal flags");
  m->init = mimic_calloc((size_t)S, sizeof *m->init, "MDP initial distribution");
  m->features = mimic_calloc((size_t)S * F, sizeof *m->features, "MDP features");
  if (!m->succ || !m->prob || !m->terminal || !m->init || !m->features) {
    mimic_tabular_free(m);
    return MIMIC_ERR_NOMEM;
  }
  for (size_t i = 0; i < sak; i++) m->succ[i] = -1;
  m->n_states = S;
  m->n_actions = A;
  m->max_succ = K;
  m->n_features = F;
  return MIMIC_OK;
}

void mimic_tabular_free(mimic_tabular_mdp *m) {
  free(m->succ);
  free(m->prob);
  free(m->terminal);
  free(m->init);
  free(m->features);
  free(m->cell_x);
  free(m->wall);
  memset(m, 0, sizeof *m);
}

mimic_status mimic_tabular_check(const mimic_tabular_mdp *m) {
  const int S = m->n_states, A = m->n_actions, K = m->max_succ;
  double init = 0;
  for (int s = 0; s < S; s++) {
    if (!(m->init[s] >= 0))
      return mimic_fail(MIMIC_ERR_INVALID, "tabular MDP: init[%d] = %g", s, m->init[s]);
    init += m->init[s];
    for (int f = 0; f < m->n_features; f++)
      if (!isfinite(m->features[(size_t)s * m->n_features + f]))
        return mimic_fail(MIMIC_ERR_INVALID, "tabular MDP: feature %d of state %d is not finite", f,
                          s);
    for (int a = 0; a < A; a++) {
      double sum = 0;
      for (int k = 0; k < K; k++) {
        size_t i = ((size_t)s * A + a) * K + k;
        if (m->succ[i] < 0) continue;
        if (m->succ[i] >= S)
          return mimic_fail(MIMIC_ERR_INVALID,
                            "tabular MDP: state %d action %d leads to state %d of %d", s, a,
                            m->succ[i], S);
        if (!(m->prob[i] >= 0))
          return mimic_fail(MIMIC_ERR_INVALID, "tabular MDP: state %d action %d: probability %g", s,
                            a, m->prob[i]);
        sum += m->prob[i];
      }
      if (fabs(sum - 1.0) > 1e-9)
        return mimic_fail(MIMIC_ERR_INVALID,
                          "tabular MDP: state %d action %d: probabilities sum to %.12g", s, a, sum);
    }
  }
  if (fabs(init - 1.0) > 1e-9)
    return mimic_fail(MIMIC_ERR_INVALID, "tabular MDP: the initial distribution sums to %.12g",
                      init);
  return MIMIC_OK;
}

mimic_status mimic_tabular_rollout(const mimic_tabular_mdp *m, const int32_t *policy, int s0, int H,
                                   int32_t *states, int32_t *actions, int *n) {
  const int A = m->n_actions, K = m->max_succ;
  if (s0 < 0 || s0 >= m->n_states)
    return mimic_fail(MIMIC_ERR_RANGE, "rollout: start state %d is out of range", s0);
  int s = s0, t = 0;
  states[0] = s;
  while (t < H && !m->terminal[s]) {
    int a = policy[s];
    if (a < 0 || a >= A)
      return mimic_fail(MIMIC_ERR_RANGE, "rollout: the policy has no action in state %d", s);
    const int32_t *sc = m->succ + ((size_t)s * A + a) * K;
    const double *pr = m->prob + ((size_t)s * A + a) * K;
    int best = -1;
    for (int k = 0; k < K; k++)
      if (sc[k] >= 0 && (best < 0 || pr[k] > pr[best])) best = k;
    actions[t] = a;
    s = sc[best];
    states[++t] = s;
  }
  actions[t] = -1;
  *n = t + 1;
  return MIMIC_OK;
}

mimic_status mimic_value_iteration(const mimic_tabular_mdp *m, const double *reward, int H,
                                   double gamma, double *V, int32_t *greedy) {
  const int S = m->n_states, A = m->n_actions, K = m->max_succ;
  if (H < 1) return mimic_fail(MIMIC_ERR_INVALID, "value iteration: horizon %d must be >= 1", H);
  double *mem = mimic_calloc(2 * (size_t)S, sizeof *mem, "value iteration");
  if (!mem) return MIMIC_ERR_NOMEM;
  double *next = mem, *cur = mem + S; /* V_{t+1} and V_t */
  for (int t = H - 1; t >= 0; t--) {
    for (int s = 0; s < S; s++) {
      if (m->terminal[s]) {
        cur[s] = reward[s];
        if (t == 0 && greedy) greedy[s] = -1;
        continue;
      }
      double best = -INFINITY;
      int arg = 0;
      for (int a = 0; a < A; a++) {
        double q = 0;
        for (int k = 0; k < K; k++) {
          size_t i = ((size_t)s * A + a) * K + k;
          if (m->succ[i] >= 0) q += m->prob[i] * next[m->succ[i]];
        }
        q = reward[s] + gamma * q;
        if (q > best + 1e-9) best = q, arg = a;
      }
      cur[s] = best;
      if (t == 0 && greedy) greedy[s] = arg;
    }
    double *tmp = next;
    next = cur;
    cur = tmp;
  }
  if (V) memcpy(V, next, (size_t)S * sizeof *V);
  free(mem);
  return MIMIC_OK;
}

void mimic_tabular_reward(const mimic_tabular_mdp *m, const double *theta, double *reward) {
  const int F = m->n_features;
  for (int s = 0; s < m->n_states; s++) {
    const double *phi = m->features + (size_t)s * F;
    double r = 0;
    for (int f = 0; f < F; f++) r += phi[f] * theta[f];
    reward[s] = r;
  }
}

mimic_status mimic_tabular_reward_grid(const mimic_tabular_mdp *m, const double *reward,
                                       double *grid) {
  if (!m->width) return mimic_fail(MIMIC_ERR_INVALID, "the MDP is not a gridworld");
  size_t cells = (size_t)m->width * m->height;
  int *count = mimic_calloc(cells, sizeof *count, "reward grid");
  if (!count) return MIMIC_ERR_NOMEM;
  for (size_t c = 0; c < cells; c++) grid[c] = 0;
  for (int s = 0; s < m->n_states; s++) {
    size_t c = (size_t)m->cell_y[s] * m->width + m->cell_x[s];
    grid[c] += reward[s];
    count[c]++;
  }
  for (size_t c = 0; c < cells; c++) grid[c] = count[c] ? grid[c] / count[c] : NAN;
  free(count);
  return MIMIC_OK;
}

/* ---- gridworlds ------------------------------------------------------------ */

static bool free_cell(int obj) {
  return obj == MIMIC_GRID_EMPTY || obj == MIMIC_GRID_GOAL || obj == MIMIC_GRID_LAVA ||
         obj == MIMIC_GRID_FLOOR;
}

typedef struct grid_build {
  mimic_env *env;
  mimic_grid_state *base, *tmp;
  int *cell_id; /* (W*H) free-cell index or -1 */
  int *plan;
} grid_build;

/* Puts the agent at (x, y, dir) in the reset world. */
static mimic_status pose(grid_build *g, int x, int y, int dir) {
  memcpy(g->tmp, g->base, sizeof *g->tmp);
  g->tmp->agent_x = x;
  g->tmp->agent_y = y;
  g->tmp->agent_dir = dir;
  g->tmp->step_count = 0;
  return mimic_grid_set_state(g->env, g->tmp);
}

static mimic_status build_grid(grid_build *g, mimic_grid_features features, mimic_tabular_mdp *m,
                               int32_t **expert) {
  const mimic_grid_state *b = g->base;
  const int W = b->width, Hh = b->height;
  if (b->carrying[0] || b->n_boxes)
    return mimic_fail(MIMIC_ERR_INVALID, "the world has objects to carry");
  int n_cells = 0;
  g->cell_id = mimic_malloc((size_t)W * Hh * sizeof(int), "cells");
  if (!g->cell_id) return MIMIC_ERR_NOMEM;
  for (int y = 0; y < Hh; y++)
    for (int x = 0; x < W; x++) {
      int obj = b->grid[((size_t)x * Hh + y) * 3];
      g->cell_id[y * W + x] = -1;
      if (free_cell(obj))
        g->cell_id[y * W + x] = n_cells++;
      else if (obj != MIMIC_GRID_WALL)
        return mimic_fail(MIMIC_ERR_INVALID,
                          "cell (%d, %d) holds a %s; tabular gridworlds have only floor, walls, "
                          "goals and lava",
                          x, y, mimic_grid_object_name(obj));
    }
  const int S = 4 * n_cells, A = 3, F = features == MIMIC_GRID_FEATURES_CELL ? n_cells : S;
  MIMIC_TRY(mimic_tabular_create(m, S, A, 1, F));
  m->width = W;
  m->height = Hh;
  m->cell_x = mimic_malloc(3 * (size_t)S * sizeof(int32_t), "state cells");
  m->wall = mimic_calloc((size_t)W * Hh, 1, "walls");
  if (!m->cell_x || !m->wall) return MIMIC_ERR_NOMEM;
  m->cell_y = m->cell_x + S;
  m->cell_dir = m->cell_y + S;
  int n_start = 0;
  for (int y = 0; y < Hh; y++)
    for (int x = 0; x < W; x++) {
      int c = g->cell_id[y * W + x];
      m->wall[y * W + x] = c < 0;
      if (c < 0) continue;
      int obj = b->grid[((size_t)x * Hh + y) * 3];
      for (int d = 0; d < 4; d++) {
        int s = 4 * c + d;
        m->cell_x[s] = x, m->cell_y[s] = y, m->cell_dir[s] = d;
        m->terminal[s] = obj == MIMIC_GRID_GOAL || obj == MIMIC_GRID_LAVA;
        m->features[(size_t)s * F + (features == MIMIC_GRID_FEATURES_CELL ? c : s)] = 1.0;
        n_start += !m->terminal[s];
      }
    }
  if (n_start == 0)
    return mimic_fail(MIMIC_ERR_INVALID, "the world has no free cell that is not terminal");
  int32_t *ex = NULL;
  if (expert) {
    ex = *expert = mimic_malloc((size_t)S * sizeof *ex, "expert actions");
    if (!ex) return MIMIC_ERR_NOMEM;
  }
  for (int s = 0; s < S; s++) {
    if (m->terminal[s]) {
      for (int a = 0; a < A; a++) m->succ[s * A + a] = s, m->prob[s * A + a] = 1.0;
      if (ex) ex[s] = -1;
      continue;
    }
    m->init[s] = 1.0 / n_start;
    for (int a = 0; a < A; a++) {
      MIMIC_TRY(pose(g, m->cell_x[s], m->cell_y[s], m->cell_dir[s]));
      double r;
      bool term, trunc;
      MIMIC_TRY(mimic_grid_step(g->env, a, NULL, &r, &term, &trunc));
      int x, y, d;
      mimic_grid_agent(g->env, &x, &y, &d);
      int c = x >= 0 && x < W && y >= 0 && y < Hh ? g->cell_id[y * W + x] : -1;
      if (c < 0)
        return mimic_fail(MIMIC_ERR_INVALID, "the agent left the free cells at (%d, %d)", x, y);
      m->succ[s * A + a] = 4 * c + d;
      m->prob[s * A + a] = 1.0;
    }
    if (ex) {
      MIMIC_TRY(pose(g, m->cell_x[s], m->cell_y[s], m->cell_dir[s]));
      int n = 0;
      if (mimic_grid_plan(g->env, g->plan, 4096, &n) != MIMIC_OK || n == 0) {
        ex[s] = -1; /* no plan from here (the goal is walled off) */
        mimic_errclear();
      } else if (g->plan[0] < 0 || g->plan[0] >= A) {
        return mimic_fail(MIMIC_ERR_INVALID,
                          "the planner uses action %s, not left, right or forward",
                          mimic_grid_action_name(g->plan[0]));
      } else {
        ex[s] = g->plan[0];
      }
    }
  }
  return MIMIC_OK;
}

mimic_status mimic_tabular_from_grid(const char *env_id, const char *env_opts, int64_t seed,
                                     mimic_grid_features features, mimic_tabular_mdp *m,
                                     int32_t **expert) {
  memset(m, 0, sizeof *m);
  if (expert) *expert = NULL;
  grid_build g = {0};
  MIMIC_TRY(mimic_env_make(env_id, env_opts, &g.env));
  mimic_status st = MIMIC_OK;
  float *obs = NULL;
  if (!mimic_grid_is_grid(g.env))
    st = mimic_fail(MIMIC_ERR_INVALID, "%s is not a gridworld", env_id);
  if (st == MIMIC_OK) {
    obs = mimic_malloc((size_t)mimic_env_obs_space(g.env)->dim * sizeof *obs, "observation");
    g.base = mimic_malloc(2 * sizeof *g.base, "grid states");
    g.plan = mimic_malloc(4096 * sizeof *g.plan, "plan");
    if (!obs || !g.base || !g.plan) st = MIMIC_ERR_NOMEM;
  }
  if (st == MIMIC_OK) st = mimic_env_reset(g.env, seed, obs);
  if (st == MIMIC_OK) {
    g.tmp = g.base + 1;
    mimic_grid_get_state(g.env, g.base);
    st = build_grid(&g, features, m, expert);
    if (st == MIMIC_OK) st = mimic_tabular_check(m);
    if (st) mimic_errctx("%s (seed %lld)", env_id, (long long)seed);
  }
  if (st != MIMIC_OK) {
    mimic_tabular_free(m);
    if (expert) {
      free(*expert);
      *expert = NULL;
    }
  }
  free(g.cell_id);
  free(g.plan);
  free(g.base);
  free(obs);
  mimic_env_free(g.env);
  return st;
}
