"""mimic.text: the text classifier of `mimic text train`, scikit-learn style.

    clf = mimic.text.TfidfLogReg(C=10).fit(texts, labels)
    clf.predict(["where is my card"]), clf.predict_proba(texts), clf.score(texts, labels)
    clf.classes_                                    # sorted label names
    clf.save("intents.mimic"); mimic.text.TfidfLogReg.load("intents.mimic")

TF-IDF as scikit-learn's TfidfVectorizer computes it, then logistic
regression through LIBLINEAR (one-vs-rest, the default) or multinomial
(model="softmax"); the same texts, labels and settings give the same model
file as `mimic text train`, and its files load here and there alike.
"""
import numpy as np

from . import _mimic


class TfidfLogReg:
    """TF-IDF + logistic regression: fit, predict, predict_proba, score, classes_."""

    def __init__(self, C=10.0, model="ovr", tol=None, max_iter=500, class_weight=None,
                 ngram_range=(1, 1), min_df=1, max_df=1.0, max_features=None,
                 sublinear_tf=False):
        self.C = C
        self.model = model
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self._m = _mimic.TextModel()

    _PARAMS = ("C", "model", "tol", "max_iter", "class_weight", "ngram_range", "min_df", "max_df",
               "max_features", "sublinear_tf")

    def get_params(self, deep=True):
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params):
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError(f"TfidfLogReg has no parameter {k!r}")
            setattr(self, k, v)
        return self

    def fit(self, X, y):
        """Learns the vocabulary, idf and classifier from texts X and labels y."""
        texts = [str(x) for x in X]
        labels = [str(v) for v in y]
        lo, hi = self.ngram_range
        self._m._fit(texts, labels, model=str(self.model), C=float(self.C),
                     tol=float("nan") if self.tol is None else float(self.tol),
                     max_iter=int(self.max_iter),
                     class_weight="none" if self.class_weight is None else str(self.class_weight),
                     ngram_min=int(lo), ngram_max=int(hi), min_df=repr(self.min_df),
                     max_df=repr(self.max_df), max_features=int(self.max_features or 0),
                     sublinear_tf=bool(self.sublinear_tf))
        return self

    @property
    def classes_(self):
        return np.array(self._m._classes(), dtype=object)

    def predict_proba(self, X):
        """[n, K] probabilities, columns in classes_ order."""
        return self._m._proba([str(x) for x in X])

    def predict(self, X):
        """The most probable label of each text."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)] if len(proba) else self.classes_[:0]

    def score(self, X, y):
        """Accuracy on texts X with labels y."""
        return float(np.mean(self.predict(X) == np.asarray([str(v) for v in y], dtype=object)))

    def save(self, path):
        """Writes the model file `mimic text predict --model` reads."""
        self._m._save(str(path))

    @classmethod
    def load(cls, path):
        """A classifier from a model file (`mimic text train` writes them too)."""
        clf = cls()
        clf._m._load(str(path))
        return clf

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._PARAMS)
        return f"TfidfLogReg({args})"
