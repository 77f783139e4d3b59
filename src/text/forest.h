/* Random forests of classification trees over sparse rows. Internal to
 * mimic (not installed): the agent policy's forest (its settings,
 * mimic_forest_config, are public in mimic/linear.h).
 *
 * Breiman's random forest as scikit-learn's RandomForestClassifier builds
 * it: each tree grows on a bootstrap sample (rows drawn with replacement,
 * a row's draw count is its weight), every split tries a random subset of
 * the features and takes the largest decrease of weighted Gini impurity,
 * thresholds sit halfway between neighbouring values, and trees grow until
 * their leaves are pure (or max_depth / min_samples_leaf stop them). The
 * forest's probability is the mean of its leaves' class shares.
 *
 * Input is any CSR matrix (absent entries are 0), so a forest takes the
 * same features as the linear models and the two can be averaged: trees
 * see interactions (this previous action *and* this word) that a linear
 * model cannot. Results depend on the seed only, not on the thread count:
 * tree t always draws from the t-th child of the seed's generator. */
#ifndef MIMIC_TEXT_FOREST_H
#define MIMIC_TEXT_FOREST_H

#include <jansson.h>

#include "mimic/sparse.h"
#include "mimic/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills cfg with the defaults (mimic/linear.h). */
void mimic_forest_config_default(mimic_forest_config *cfg);
/* Checks a configuration. */
mimic_status mimic_forest_config_check(const mimic_forest_config *cfg);

/* A node: an inner node goes to left when x[feature] <= threshold, else to
 * right; a leaf has feature -1 and its class shares at leaf[left * n_classes].
 * One struct per node keeps a step of a prediction on one cache line. */
typedef struct mimic_forest_node {
  double threshold;
  int32_t feature, left, right;
} mimic_forest_node;

/* A fitted forest: all trees' nodes in one array, tree t from root[t]. */
typedef struct mimic_forest {
  int n_classes, n_trees;
  int64_t n_features, n_nodes, n_leaves;
  mimic_forest_node *nodes; /* [n_nodes] */
  int32_t *root;            /* [n_trees] */
  double *leaf;             /* [n_leaves * n_classes] */
  double *packed; /* the file's view: n_trees roots, then (feature, threshold, left, right) */
} mimic_forest;

/* Fits a forest on rows X with labels y in [0, n_classes). */
mimic_status mimic_forest_fit(mimic_forest *f, const mimic_csr *X, const int32_t *y, int n_classes,
                              const mimic_forest_config *cfg);
/* Class probabilities of one sparse row. dense is scratch of n_features
 * doubles that must be all zero on entry; it is all zero again on return. */
void mimic_forest_proba_row(const mimic_forest *f, const int32_t *idx, const double *val,
                            int64_t nnz, double *dense, double *proba);
/* Frees the forest's arrays (the struct itself is the caller's). */
void mimic_forest_free(mimic_forest *f);

/* Adds a forest to c: meta[key] and arrays "<key>.nodes" (packed) and "<key>.leaf". */
mimic_status mimic_forest_export(const mimic_forest *f, const char *key, mimic_container *c);
/* Rebuilds a forest from meta[key] and its arrays, checking that every tree
 * is a proper tree (children in range and after their parent, no node shared). */
mimic_status mimic_forest_import(mimic_forest *f, const mimic_container *c, const char *key);

#ifdef __cplusplus
}
#endif
#endif
