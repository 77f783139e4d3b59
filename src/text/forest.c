/* Random forests over CSR rows (see forest.h).
 *
 * Split search works on columns: the training matrix is transposed once,
 * and a node finds the non-zero values of a feature among its rows either
 * by walking the feature's column (marking the node's rows) or, when the
 * node is small, by binary search in each of its rows; whichever touches
 * fewer entries. Every other row of the node has value 0, so its class
 * weights are the node's minus those of the non-zeros, and zero sits as
 * one block in the sorted order. Trees are built with an explicit stack,
 * so depth costs no C stack. */
#define _GNU_SOURCE /* qsort_r */
#include "text/forest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text/pool.h"
#include "text/text_impl.h"
#include "core/util.h"
#include "text/csr.h"

#define MAX_DEPTH_CAP 256

void mimic_forest_config_default(mimic_forest_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->n_trees = 100;
  cfg->min_samples_leaf = 1;
}

mimic_status mimic_forest_config_check(const mimic_forest_config *cfg) {
  if (cfg->n_trees < 1 || cfg->n_trees > 100000)
    return mimic_fail(MIMIC_ERR_INVALID, "a forest needs 1..100000 trees, got %d", cfg->n_trees);
  if (!(cfg->max_features >= 0 && cfg->max_features <= 1))
    return mimic_fail(MIMIC_ERR_INVALID, "max_features must be a share in [0, 1], got %g",
                      cfg->max_features);
  if (cfg->min_samples_leaf < 1)
    return mimic_fail(MIMIC_ERR_INVALID, "min_samples_leaf must be >= 1, got %d",
                      cfg->min_samples_leaf);
  if (cfg->max_depth < 0 || cfg->max_depth > MAX_DEPTH_CAP)
    return mimic_fail(MIMIC_ERR_INVALID, "max_depth must be in 0..%d, got %d", MAX_DEPTH_CAP,
                      cfg->max_depth);
  if (cfg->n_threads < 0) return mimic_fail(MIMIC_ERR_INVALID, "n_threads must be >= 0");
  return MIMIC_OK;
}

/* ---- one tree ------------------------------------------------------------ */

typedef struct tree_nodes { /* a tree under construction: node and leaf numbers are its own */
  mimic_forest_node *node;
  double *leaf;
  int64_t n, n_leaves;
  size_t cap, leaf_cap;
  mimic_status st;
} tree_nodes;

typedef struct fit_ctx {
  const mimic_csr *X, *Xt; /* rows and columns */
  const int32_t *y;
  int K;
  int64_t n, d;
  int mtry, min_leaf, max_depth;
  mimic_rng *rngs; /* [n_trees] */
  tree_nodes *trees;
} fit_ctx;

typedef struct worker { /* per-thread scratch, reused across trees */
  int32_t *rows;        /* in-bag rows, partitioned node by node */
  double *weight;       /* [n] draw counts of the current tree */
  uint32_t *mark;       /* [n] stamp of the node a row is in */
  double *value;        /* [n] the split feature's value per row */
  int32_t *feats;       /* [d] feature permutation */
  uint32_t *colmark;    /* [d] stamp of the last node whose rows have the feature */
  double *hist;         /* [3 * K]: node, non-zero, left */
  int32_t *nz_row;      /* [n] non-zero entries of the node on one feature */
  double *nz_val;       /* [n] */
  int32_t *order;       /* [n] */
  int64_t *stack;       /* [3 * (n + 1)] pending (begin, end, parent slot | depth) */
} worker;

/* Room for `more` further nodes. */
static mimic_status node_reserve(tree_nodes *t, int64_t more) {
  return mimic_grow(&t->node, &t->cap, (size_t)(t->n + more), sizeof *t->node, 64, "a tree");
}

static mimic_status leaf_reserve(tree_nodes *t, int K) {
  return mimic_grow(&t->leaf, &t->leaf_cap, (size_t)t->n_leaves + 1, (size_t)K * sizeof *t->leaf,
                    32, "a tree");
}

static void tree_nodes_free(tree_nodes *t) {
  free(t->node);
  free(t->leaf);
}

static int by_value(const void *a, const void *b, void *vals) {
  const double *v = vals;
  double x = v[*(const int32_t *)a], y = v[*(const int32_t *)b];
  return x < y ? -1 : x > y;
}

/* Sum over classes of h[k]^2 / w: the Gini gain term of one side. */
static double purity(const double *h, int K, double w) {
  double s = 0;
  for (int k = 0; k < K; k++) s += h[k] * h[k];
  return s / w;
}

typedef struct split {
  int32_t feature;
  double threshold, score;
} split;

/* The node's non-zero values of feature j, into w->nz_row / nz_val. */
static int64_t gather(const fit_ctx *c, worker *w, int32_t j, int64_t a, int64_t b,
                      uint32_t stamp) {
  int64_t m = 0;
  const mimic_csr *Xt = c->Xt, *X = c->X;
  int64_t col = Xt->indptr[j + 1] - Xt->indptr[j];
  if ((b - a) * 8 < col) { /* small node: look the feature up in each row */
    for (int64_t i = a; i < b; i++) {
      int32_t r = w->rows[i];
      int64_t lo = X->indptr[r], hi = X->indptr[r + 1];
      while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (X->indices[mid] < j)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo < X->indptr[r + 1] && X->indices[lo] == j && X->data[lo] != 0) {
        w->nz_row[m] = r;
        w->nz_val[m++] = X->data[lo];
      }
    }
  } else {
    for (int64_t e = Xt->indptr[j]; e < Xt->indptr[j + 1]; e++) {
      int32_t r = Xt->indices[e];
      if (w->mark[r] == stamp && Xt->data[e] != 0) {
        w->nz_row[m] = r;
        w->nz_val[m++] = Xt->data[e];
      }
    }
  }
  return m;
}

/* Best threshold on feature j for the node's rows [a, b); improves *best. */
static bool try_feature(const fit_ctx *c, worker *w, int32_t j, int64_t a, int64_t b,
                        uint32_t stamp, double node_w, split *best) {
  int K = c->K;
  int64_t m = gather(c, w, j, a, b, stamp), n_rows = b - a;
  if (m == 0) return false; /* all zero: constant */
  if (m == n_rows) {
    int64_t i = 1;
    while (i < m && w->nz_val[i] == w->nz_val[0]) i++;
    if (i == m) return false;
  }
  double *node = w->hist, *nz = w->hist + K, *left = w->hist + 2 * K;
  memset(nz, 0, (size_t)K * sizeof *nz);
  double nz_w = 0;
  for (int64_t i = 0; i < m; i++) {
    double wt = w->weight[w->nz_row[i]];
    nz[c->y[w->nz_row[i]]] += wt;
    nz_w += wt;
    w->order[i] = (int32_t)i;
  }
  bool sorted = true; /* one-hot and count columns are often already in order */
  for (int64_t i = 1; i < m && sorted; i++) sorted = w->nz_val[i - 1] <= w->nz_val[i];
  if (!sorted) qsort_r(w->order, (size_t)m, sizeof *w->order, by_value, w->nz_val);
  /* walk: negatives, then the zero block (rows without an entry), then positives */
  int64_t zeros = n_rows - m, left_rows = 0, i = 0;
  double left_w = 0;
  memset(left, 0, (size_t)K * sizeof *left);
  bool zero_done = zeros == 0;
  double prev = 0;
  bool have_prev = false;
  for (;;) {
    double v;
    bool take_zero = !zero_done && (i >= m || w->nz_val[w->order[i]] > 0);
    if (take_zero)
      v = 0;
    else if (i < m)
      v = w->nz_val[w->order[i]];
    else
      break;
    if (have_prev && v > prev && left_rows >= c->min_leaf && n_rows - left_rows >= c->min_leaf) {
      double right_w = node_w - left_w, s = 0;
      if (left_w > 0 && right_w > 0) {
        s = purity(left, K, left_w);
        for (int k = 0; k < K; k++) {
          double r = node[k] - left[k];
          s += r * r / right_w;
        }
        if (s > best->score + 1e-12 * fabs(s)) {
          best->score = s;
          best->feature = j;
          double t = prev / 2 + v / 2;
          best->threshold = t < v ? t : prev; /* never equal to the right value */
        }
      }
    }
    if (take_zero) {
      for (int k = 0; k < K; k++) left[k] += node[k] - nz[k];
      left_w += node_w - nz_w;
      left_rows += zeros;
      zero_done = true;
    } else {
      int32_t r = w->nz_row[w->order[i++]];
      left[c->y[r]] += w->weight[r];
      left_w += w->weight[r];
      left_rows++;
    }
    prev = v;
    have_prev = true;
  }
  return true;
}

static void add_leaf(tree_nodes *t, int32_t node, const double *h, double wsum, int K) {
  t->node[node] = (mimic_forest_node){0, -1, (int32_t)t->n_leaves, -1};
  double *p = t->leaf + t->n_leaves * K;
  for (int k = 0; k < K; k++) p[k] = h[k] / wsum;
  t->n_leaves++;
}

static void grow_tree(fit_ctx *c, worker *w, int tree) {
  tree_nodes *t = &c->trees[tree];
  mimic_rng *rng = &c->rngs[tree];
  int K = c->K;
  int64_t n = c->n, d = c->d;
  memset(w->weight, 0, (size_t)n * sizeof *w->weight);
  for (int64_t i = 0; i < n; i++) w->weight[mimic_rng_integers(rng, 0, n)] += 1;
  int64_t nb = 0;
  for (int64_t i = 0; i < n; i++)
    if (w->weight[i] > 0) w->rows[nb++] = (int32_t)i;
  for (int64_t j = 0; j < d; j++) w->feats[j] = (int32_t)j;
  memset(w->mark, 0, (size_t)n * sizeof *w->mark);
  memset(w->colmark, 0, (size_t)d * sizeof *w->colmark);
  uint32_t stamp = 0;
  int64_t sp = 0; /* stack entries: begin, end, node << 16 | depth */
  if ((t->st = node_reserve(t, 1))) return;
  t->n = 1;
  w->stack[sp++] = 0;
  w->stack[sp++] = nb;
  w->stack[sp++] = 0;
  while (sp > 0) {
    int64_t packed = w->stack[--sp], b = w->stack[--sp], a = w->stack[--sp];
    int32_t node = (int32_t)(packed >> 16);
    int depth = (int)(packed & 0xFFFF);
    double *h = w->hist, wsum = 0;
    memset(h, 0, (size_t)K * sizeof *h);
    stamp++;
    for (int64_t i = a; i < b; i++) {
      int32_t r = w->rows[i];
      h[c->y[r]] += w->weight[r];
      wsum += w->weight[r];
      w->mark[r] = stamp;
    }
    int classes = 0;
    for (int k = 0; k < K; k++) classes += h[k] > 0;
    split best = {-1, 0, -INFINITY};
    bool may_split = classes > 1 && b - a >= 2 * (int64_t)c->min_leaf &&
                     (c->max_depth == 0 || depth < c->max_depth) && depth < MAX_DEPTH_CAP;
    if (may_split) {
      /* as scikit-learn: features drawn without replacement, mtry of them,
       * constant ones included, and more only while every one drawn was
       * constant; a feature none of the node's rows has is all zero there */
      for (int64_t i = a; i < b; i++)
        for (int64_t e = c->X->indptr[w->rows[i]]; e < c->X->indptr[w->rows[i] + 1]; e++)
          w->colmark[c->X->indices[e]] = stamp;
      int visited = 0, varied = 0;
      for (int64_t q = 0; q < d && (visited < c->mtry || varied == 0); q++) {
        visited++;
        int64_t s = q + mimic_rng_integers(rng, 0, d - q);
        int32_t j = w->feats[s];
        w->feats[s] = w->feats[q];
        w->feats[q] = j;
        if (w->colmark[j] == stamp) varied += try_feature(c, w, j, a, b, stamp, wsum, &best);
      }
    }
    if (best.feature < 0) {
      if ((t->st = leaf_reserve(t, K))) return;
      add_leaf(t, node, h, wsum, K);
      continue;
    }
    /* partition rows: value <= threshold to the left */
    for (int64_t i = a; i < b; i++) w->value[w->rows[i]] = 0;
    int64_t m = gather(c, w, best.feature, a, b, stamp);
    for (int64_t i = 0; i < m; i++) w->value[w->nz_row[i]] = w->nz_val[i];
    int64_t lo = a, hi = b;
    while (lo < hi) {
      if (w->value[w->rows[lo]] <= best.threshold)
        lo++;
      else {
        int32_t tmp = w->rows[lo];
        w->rows[lo] = w->rows[--hi];
        w->rows[hi] = tmp;
      }
    }
    if ((t->st = node_reserve(t, 2))) return;
    int32_t l = (int32_t)t->n, r = (int32_t)t->n + 1;
    t->n += 2;
    t->node[node] = (mimic_forest_node){best.threshold, best.feature, l, r};
    /* right first so the left subtree is numbered next (depth-first order) */
    w->stack[sp++] = lo;
    w->stack[sp++] = b;
    w->stack[sp++] = (int64_t)r << 16 | (depth + 1);
    w->stack[sp++] = a;
    w->stack[sp++] = lo;
    w->stack[sp++] = (int64_t)l << 16 | (depth + 1);
  }
}

/* ---- the forest ---------------------------------------------------------- */

static void worker_free(worker *w) {
  free(w->rows);
  free(w->weight);
  free(w->mark);
  free(w->value);
  free(w->feats);
  free(w->colmark);
  free(w->hist);
  free(w->nz_row);
  free(w->nz_val);
  free(w->order);
  free(w->stack);
}

static mimic_status worker_init(worker *w, int64_t n, int64_t d, int K) {
  memset(w, 0, sizeof *w);
  size_t un = (size_t)n + 1, ud = (size_t)d + 1;
  w->rows = malloc(un * sizeof *w->rows);
  w->weight = malloc(un * sizeof *w->weight);
  w->mark = malloc(un * sizeof *w->mark);
  w->value = malloc(un * sizeof *w->value);
  w->feats = malloc(ud * sizeof *w->feats);
  w->colmark = malloc(ud * sizeof *w->colmark);
  w->hist = malloc(3 * (size_t)K * sizeof *w->hist);
  w->nz_row = malloc(un * sizeof *w->nz_row);
  w->nz_val = malloc(un * sizeof *w->nz_val);
  w->order = malloc(un * sizeof *w->order);
  w->stack = malloc(3 * (MAX_DEPTH_CAP + 2) * sizeof *w->stack);
  if (!w->rows || !w->weight || !w->mark || !w->value || !w->feats || !w->colmark || !w->hist ||
      !w->nz_row || !w->nz_val || !w->order || !w->stack) {
    worker_free(w);
    return mimic_fail_nomem("forest workspace");
  }
  return MIMIC_OK;
}

typedef struct job {
  fit_ctx *c;
  worker *workers;
} job;

static void grow_some(void *ctx, int64_t begin, int64_t end, int wid) {
  job *j = ctx;
  for (int64_t t = begin; t < end; t++) grow_tree(j->c, &j->workers[wid], (int)t);
}

void mimic_forest_free(mimic_forest *f) {
  free(f->nodes);
  free(f->root);
  free(f->leaf);
  free(f->packed);
  memset(f, 0, sizeof *f);
}

/* The file's view of the nodes (roots, then 4 numbers per node). */
static mimic_status pack(mimic_forest *f) {
  f->packed = malloc((size_t)(f->n_trees + 4 * f->n_nodes) * sizeof *f->packed);
  if (!f->packed) return mimic_fail_nomem("a forest");
  for (int t = 0; t < f->n_trees; t++) f->packed[t] = f->root[t];
  double *p = f->packed + f->n_trees;
  for (int64_t i = 0; i < f->n_nodes; i++) {
    p[4 * i] = f->nodes[i].feature;
    p[4 * i + 1] = f->nodes[i].threshold;
    p[4 * i + 2] = f->nodes[i].left;
    p[4 * i + 3] = f->nodes[i].right;
  }
  return MIMIC_OK;
}

static mimic_status alloc_nodes(mimic_forest *f) {
  f->nodes = malloc(((size_t)f->n_nodes + 1) * sizeof *f->nodes);
  f->root = malloc((size_t)f->n_trees * sizeof *f->root);
  f->leaf = malloc(((size_t)f->n_leaves * (size_t)f->n_classes + 1) * sizeof *f->leaf);
  if (!f->nodes || !f->root || !f->leaf) return mimic_fail_nomem("a forest");
  return MIMIC_OK;
}

mimic_status mimic_forest_fit(mimic_forest *f, const mimic_csr *X, const int32_t *y, int n_classes,
                              const mimic_forest_config *cfg) {
  memset(f, 0, sizeof *f);
  MIMIC_TRY(mimic_forest_config_check(cfg));
  if (X->n_rows < 1) return mimic_fail(MIMIC_ERR_INVALID, "a forest needs at least one row");
  MIMIC_TRY(mimic_csr_check(X, "training features")); /* sorted unique columns, finite values */
  if (X->n_rows > INT32_MAX || X->n_cols > INT32_MAX)
    return mimic_fail(MIMIC_ERR_RANGE, "a forest takes at most 2^31 rows and columns");
  if (n_classes < 1) return mimic_fail(MIMIC_ERR_INVALID, "a forest needs at least one class");
  for (int64_t i = 0; i < X->n_rows; i++)
    if (y[i] < 0 || y[i] >= n_classes)
      return mimic_fail(MIMIC_ERR_INVALID, "row %lld: label %d is not in 0..%d", (long long)i, y[i],
                        n_classes - 1);
  fit_ctx c = {.X = X, .y = y, .K = n_classes, .n = X->n_rows, .d = X->n_cols};
  c.mtry = cfg->max_features > 0 ? (int)ceil(cfg->max_features * (double)c.d)
                                 : (int)floor(sqrt((double)c.d));
  if (c.mtry < 1) c.mtry = 1;
  c.min_leaf = cfg->min_samples_leaf;
  c.max_depth = cfg->max_depth;
  mimic_csr Xt = {0};
  int threads = cfg->n_threads > 0 ? cfg->n_threads : mimic_default_threads();
  if (threads > cfg->n_trees) threads = cfg->n_trees;
  if (threads > 64) threads = 64;
  worker *workers = calloc((size_t)threads, sizeof *workers);
  c.rngs = malloc((size_t)cfg->n_trees * sizeof *c.rngs);
  c.trees = calloc((size_t)cfg->n_trees, sizeof *c.trees);
  tpool *pool = NULL;
  mimic_status st = workers && c.rngs && c.trees ? MIMIC_OK : mimic_fail_nomem("a forest");
  if (!st) st = mimic_csr_transpose(X, &Xt);
  c.Xt = &Xt;
  int ready = 0;
  while (ready < threads && !st) /* worker_init frees a worker it could not finish */
    if (!(st = worker_init(&workers[ready], c.n, c.d, c.K))) ready++;
  if (!st) st = tpool_create(threads, &pool);
  if (!st) {
    mimic_rng parent;
    mimic_rng_seed(&parent, cfg->seed);
    for (int t = 0; t < cfg->n_trees; t++) mimic_rng_spawn(&parent, &c.rngs[t]);
    job j = {&c, workers};
    tpool_for(pool, cfg->n_trees, 1, grow_some, &j);
    for (int t = 0; t < cfg->n_trees && !st; t++) {
      /* the message was set on a worker thread; set it again on this one */
      if (c.trees[t].st) st = mimic_fail_nomem("a tree");
      f->n_nodes += c.trees[t].n;
      f->n_leaves += c.trees[t].n_leaves;
    }
  }
  if (!st && f->n_nodes > INT32_MAX) st = mimic_fail(MIMIC_ERR_RANGE, "the forest is too large");
  if (!st) {
    f->n_classes = n_classes;
    f->n_trees = cfg->n_trees;
    f->n_features = c.d;
    st = alloc_nodes(f);
  }
  if (!st) { /* concatenate: node and leaf numbers shift by the trees before */
    int64_t node0 = 0, leaf0 = 0;
    for (int t = 0; t < f->n_trees; t++) {
      const tree_nodes *tn = &c.trees[t];
      f->root[t] = (int32_t)node0;
      for (int64_t i = 0; i < tn->n; i++) {
        mimic_forest_node *o = &f->nodes[node0 + i];
        *o = tn->node[i];
        o->left += (int32_t)(o->feature < 0 ? leaf0 : node0);
        if (o->feature >= 0) o->right += (int32_t)node0;
      }
      memcpy(f->leaf + leaf0 * n_classes, tn->leaf,
             (size_t)(tn->n_leaves * n_classes) * sizeof *f->leaf);
      node0 += tn->n;
      leaf0 += tn->n_leaves;
    }
    st = pack(f);
  }
  tpool_destroy(pool);
  for (int i = 0; i < ready; i++) worker_free(&workers[i]);
  free(workers);
  if (c.trees)
    for (int t = 0; t < cfg->n_trees; t++) tree_nodes_free(&c.trees[t]);
  free(c.trees);
  free(c.rngs);
  mimic_csr_free(&Xt);
  if (st) mimic_forest_free(f);
  return st;
}

void mimic_forest_proba_row(const mimic_forest *f, const int32_t *idx, const double *val,
                            int64_t nnz, double *dense, double *proba) {
  int K = f->n_classes;
  for (int64_t e = 0; e < nnz; e++)
    if (idx[e] >= 0 && idx[e] < f->n_features) dense[idx[e]] = val[e];
  for (int k = 0; k < K; k++) proba[k] = 0;
  for (int t = 0; t < f->n_trees; t++) {
    const mimic_forest_node *nd = &f->nodes[f->root[t]];
    while (nd->feature >= 0)
      nd = &f->nodes[dense[nd->feature] <= nd->threshold ? nd->left : nd->right];
    const double *p = f->leaf + (int64_t)nd->left * K;
    for (int k = 0; k < K; k++) proba[k] += p[k];
  }
  for (int k = 0; k < K; k++) proba[k] /= f->n_trees;
  for (int64_t e = 0; e < nnz; e++)
    if (idx[e] >= 0 && idx[e] < f->n_features) dense[idx[e]] = 0;
}

/* ---- model files ----------------------------------------------------------- */

mimic_status mimic_forest_export(const mimic_forest *f, const char *key, mimic_container *c) {
  json_t *o = json_object();
  if (!o) return mimic_fail_nomem("model header");
  json_object_set_new(o, "type", json_string("random_forest"));
  json_object_set_new(o, "n_classes", json_integer(f->n_classes));
  json_object_set_new(o, "n_features", json_integer(f->n_features));
  json_object_set_new(o, "n_trees", json_integer(f->n_trees));
  json_object_set_new(o, "n_nodes", json_integer(f->n_nodes));
  json_object_set_new(o, "n_leaves", json_integer(f->n_leaves));
  json_object_set_new(o, "layout",
                      json_string("nodes: n_trees roots, then (feature, threshold, "
                                  "left, right) per node; feature -1 = leaf whose "
                                  "class shares start at leaf[left * n_classes]"));
  json_object_set_new(c->meta, key, o);
  MIMIC_TRY(part_add(c, key, "nodes", f->packed, (uint64_t)(f->n_trees + 4 * f->n_nodes)));
  return part_add(c, key, "leaf", f->leaf, (uint64_t)(f->n_leaves * f->n_classes));
}

static bool whole(double v, double lo, double hi) { return v >= lo && v <= hi && v == floor(v); }

/* Every tree is nodes [root[t], root[t+1]), children come after their parent
 * inside the tree and each non-root node has exactly one parent: a tree. */
static mimic_status check_trees(const mimic_forest *f, const mimic_container *file,
                                const char *key) {
  uint8_t *parents = calloc((size_t)f->n_nodes + 1, 1);
  if (!parents) return mimic_fail_nomem("a forest");
  mimic_status st = MIMIC_OK;
  for (int t = 0; t < f->n_trees && !st; t++) {
    int64_t a = f->root[t], b = t + 1 < f->n_trees ? f->root[t + 1] : f->n_nodes;
    if (b <= a) st = 1;
    for (int64_t i = a; i < b && !st; i++) {
      const mimic_forest_node *nd = &f->nodes[i];
      if (nd->feature < 0) continue; /* leaf numbers were checked on reading */
      if (nd->left <= i || nd->left >= b || nd->right <= i || nd->right >= b ||
          nd->left == nd->right || parents[nd->left]++ || parents[nd->right]++)
        st = 1;
    }
    for (int64_t i = a + 1; i < b && !st; i++)
      if (!parents[i]) st = 1;
  }
  free(parents);
  return st ? part_bad(file, key, "nodes do not form trees") : MIMIC_OK;
}

mimic_status mimic_forest_import(mimic_forest *f, const mimic_container *file, const char *key) {
  memset(f, 0, sizeof *f);
  const json_t *o = json_object_get(file->meta, key);
  if (!json_is_object(o)) return part_bad(file, key, "missing");
  const json_t *type = json_object_get(o, "type"), *K = json_object_get(o, "n_classes"),
               *V = json_object_get(o, "n_features"), *T = json_object_get(o, "n_trees"),
               *N = json_object_get(o, "n_nodes"), *L = json_object_get(o, "n_leaves");
  if (!json_is_string(type) || strcmp(json_string_value(type), "random_forest"))
    return part_bad(file, key, "type must be 'random_forest'");
  if (!json_is_integer(K) || json_integer_value(K) < 1 || json_integer_value(K) > 1000000 ||
      !json_is_integer(V) || json_integer_value(V) < 0 || json_integer_value(V) > INT32_MAX ||
      !json_is_integer(T) || json_integer_value(T) < 1 || json_integer_value(T) > 100000 ||
      !json_is_integer(N) || json_integer_value(N) < json_integer_value(T) ||
      json_integer_value(N) > INT32_MAX || !json_is_integer(L) || json_integer_value(L) < 1 ||
      json_integer_value(L) > json_integer_value(N))
    return part_bad(file, key, "n_classes, n_features, n_trees, n_nodes or n_leaves out of range");
  f->n_classes = (int)json_integer_value(K);
  f->n_features = json_integer_value(V);
  f->n_trees = (int)json_integer_value(T);
  f->n_nodes = json_integer_value(N);
  f->n_leaves = json_integer_value(L);
  if ((uint64_t)f->n_leaves * (uint64_t)f->n_classes > (uint64_t)1 << 34)
    return part_bad(file, key, "forest too large");
  const double *nodes, *leaf;
  mimic_status st = part_get(file, key, "nodes", (uint64_t)(f->n_trees + 4 * f->n_nodes), &nodes);
  if (!st) st = part_get(file, key, "leaf", (uint64_t)(f->n_leaves * f->n_classes), &leaf);
  if (!st) st = alloc_nodes(f);
  for (int t = 0; t < f->n_trees && !st; t++) {
    if (!whole(nodes[t], 0, (double)f->n_nodes - 1) || (t == 0 && nodes[t] != 0) ||
        (t > 0 && nodes[t] <= nodes[t - 1]))
      st = part_bad(file, key, "tree roots must be increasing node numbers from 0");
    else
      f->root[t] = (int32_t)nodes[t];
  }
  const double *p = nodes + f->n_trees;
  for (int64_t i = 0; i < f->n_nodes && !st; i++) {
    double fe = p[4 * i], th = p[4 * i + 1], l = p[4 * i + 2], r = p[4 * i + 3];
    bool leaf_node = fe == -1;
    if (!(leaf_node
              ? whole(l, 0, (double)f->n_leaves - 1) && r == -1
              : whole(fe, 0, (double)f->n_features - 1) && isfinite(th) &&
                    whole(l, 0, (double)f->n_nodes - 1) && whole(r, 0, (double)f->n_nodes - 1)))
      st = part_bad(file, key, "a node has a bad feature, threshold or child");
    else {
      f->nodes[i] = (mimic_forest_node){leaf_node ? 0 : th, (int32_t)fe, (int32_t)l, (int32_t)r};
    }
  }
  for (int64_t i = 0; i < f->n_leaves * f->n_classes && !st; i++)
    if (!(leaf[i] >= 0 && leaf[i] <= 1)) st = part_bad(file, key, "leaf shares must be in [0, 1]");
  if (!st) {
    memcpy(f->leaf, leaf, (size_t)(f->n_leaves * f->n_classes) * sizeof *leaf);
    st = check_trees(f, file, key);
  }
  if (!st) st = pack(f);
  if (st) mimic_forest_free(f);
  return st;
}
