/* Text classifiers saved before format version 2 (the JSON-header layout
 * of version 1; one-vs-rest and softmax) load and give exactly the class
 * probabilities they gave then; saved again, they are version-2 files
 * with the same probabilities. */
#include "legacy_fixtures.h"

#include "mimic/text.h"

static const char *const texts[3] = {"my card got declined", "top up please",
                                     "where is the refund for my card"};

static void check(const mimic_text_model *m, const json_t *want, const char *name) {
  double p[3 * 3];
  assert_int_equal(m->classes.n, 3);
  assert_int_equal(m->vec.n_features, json_integer_value(json_object_get(want, "n_features")));
  assert_int_equal(mimic_text_model_proba(m, texts, 3, p), MIMIC_OK);
  legacy_same_f64(p, json_object_get(want, "proba"), 9, name);
}

static void test_text_classifiers(void **state) {
  (void)state;
  const char *files[] = {"text-ovr.mimic", "text-softmax.mimic"};
  for (int f = 0; f < 2; f++) {
    char *path = legacy_path(files[f]), *again = tu_tmp_path(files[f]);
    json_t *want = legacy_expected(files[f]);
    mimic_text_model m, r;
    assert_int_equal(mimic_text_model_load(&m, path), MIMIC_OK);
    check(&m, want, files[f]);
    assert_int_equal(mimic_text_model_save(&m, again), MIMIC_OK);
    mimic_container c;
    assert_int_equal(mimic_container_read(again, &c), MIMIC_OK);
    assert_int_equal(c.format_version, 2);
    assert_int_equal(mimic_container_expect(&c, MIMIC_KIND_TEXT_CLASSIFIER, 1), MIMIC_OK);
    mimic_container_free(&c);
    assert_int_equal(mimic_text_model_load(&r, again), MIMIC_OK);
    check(&r, want, files[f]);
    mimic_text_model_free(&r);
    mimic_text_model_free(&m);
    json_decref(want);
    free(path);
    free(again);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_classifiers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
