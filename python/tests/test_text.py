"""mimic.text.TfidfLogReg against `mimic text train` on BANKING77: the same
texts and settings give the same classifier, and files go both ways."""
import csv
import json
import os
import subprocess

import numpy as np
import pytest

import mimic

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("MIMIC_DATA") or os.path.join(HERE, "..", "..", "..", "shared", "data")
BANKING = os.path.join(DATA, "text-agents", "banking77")


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


@pytest.fixture(scope="module")
def banking():
    if not os.path.exists(os.path.join(BANKING, "train.csv")):
        pytest.skip(f"no BANKING77 in {BANKING}")
    return read(os.path.join(BANKING, "train.csv")), read(os.path.join(BANKING, "test.csv"))


@pytest.mark.parametrize("flags,params", [
    ([], {}),
    (["--model", "softmax", "--C", "3", "--ngram", "1,2", "--min-df", "2", "--sublinear-tf"],
     dict(model="softmax", C=3, ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
])
def test_same_classifier_as_text_train(cli, banking, tmp_path, flags, params):
    (X, y), (Xt, yt) = banking
    out = tmp_path / "cli.mimic"
    subprocess.run([cli, "text", "train", "--data", os.path.join(BANKING, "train.csv"),
                    "--label-column", "category", "-o", str(out), "--quiet", *flags], check=True)
    clf = mimic.text.TfidfLogReg(**params).fit(X, y)
    from_cli = mimic.text.TfidfLogReg.load(out)
    assert list(clf.classes_) == sorted(set(y)) == list(from_cli.classes_)
    np.testing.assert_array_equal(clf.predict_proba(Xt), from_cli.predict_proba(Xt))
    report = json.loads(subprocess.run(
        [cli, "text", "eval", "--model", str(out), "--data", os.path.join(BANKING, "test.csv"),
         "--label-column", "category", "--json", "--quiet"],
        check=True, capture_output=True, text=True).stdout)
    assert clf.score(Xt, yt) == pytest.approx(report["accuracy"], abs=1e-9)
    assert clf.score(Xt, yt) > 0.8
    clf.save(tmp_path / "py.mimic")  # the command line reads the Python file
    subprocess.run([cli, "text", "eval", "--model", str(tmp_path / "py.mimic"), "--data",
                    os.path.join(BANKING, "test.csv"), "--label-column", "category", "--quiet"],
                   check=True, capture_output=True)


def test_estimator_surface():
    X = ["where is my card", "card not arrived", "top up failed", "how to top up"] * 2
    y = ["card", "card", "topup", "topup"] * 2
    clf = mimic.text.TfidfLogReg(C=1.0)
    assert clf.get_params()["C"] == 1.0 and clf.set_params(C=5.0).C == 5.0
    assert clf.fit(X, y) is clf
    assert list(clf.predict(["my card", "top up"])) == ["card", "topup"]
    p = clf.predict_proba(["my card"])
    assert p.shape == (1, 2) and abs(p.sum() - 1) < 1e-12
    with pytest.raises(mimic.Error):
        mimic.text.TfidfLogReg().predict(["x"])
    with pytest.raises(mimic.InvalidError):
        mimic.text.TfidfLogReg().fit(X, y[:-1])
    with pytest.raises(ValueError):
        clf.set_params(alpha=1)
