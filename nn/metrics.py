"""Judging a classifier (lecture 14): the confusion matrix and the scores read off it, and the
entropy / cross-entropy of distributions in bits (lecture 13).

Labels are class indices 0..C-1 (NumPy arrays or lists). Every score comes from the
confusion matrix, one-vs-rest per class i:
    TP = predicted i and actually i      FP = predicted i, actually another class
    FN = actually i, predicted another   TN = everything else
(in the matrix, actual classes are rows and predicted classes columns, as in the notes).

`average` picks what comes back:
    None        one score per class, an array of length C
    "macro"     the plain mean over the classes that occur in y_true or y_pred
    "weighted"  sum_i w_i * score_i with w_i = support_i / N, the fraction of samples whose
                actual class is i: the notes' weighted means <P> = sum_i w_i P_i
    "micro"     scores from the summed TP, FP, FN, TN of all classes (for single-label data,
                micro precision = micro recall = micro F1 = accuracy)

Zero division: a score whose denominator is 0 (precision for a class never predicted,
recall for a class never present, specificity when every sample is of that class, F1 when
P + R = 0) is defined as 0.0, scikit-learn's `zero_division=0`. No NumPy warning is raised.
"""

from __future__ import annotations

import numpy as np

from .data import class_labels
from .module import check_count

__all__ = [
    "accuracy",
    "confusion_matrix",
    "cross_entropy",
    "entropy",
    "f1_score",
    "precision",
    "recall",
    "specificity",
]

_AVERAGES = (None, "macro", "weighted", "micro")


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """C x C counts: entry [i, j] is the number of samples of actual class i predicted as j.

    C is `num_classes`, or max(label) + 1 over both arrays. Rows sum to each class's support;
    the diagonal holds the correct predictions."""
    y_true, y_pred, c = _check_labels(y_true, y_pred, num_classes)
    return np.bincount(y_true * c + y_pred, minlength=c * c).reshape(c, c)


def accuracy(y_true, y_pred, average: str | None = "micro", num_classes: int | None = None):
    """Fraction of correct predictions, sum_i TP_i / N (the default, average="micro").

    The notes write A = TP / (TP + TN + FP + FN); summed over the classes that is this number.
    average=None gives each class's one-vs-rest accuracy (TP + TN) / N, and "macro" or
    "weighted" average those."""
    if average == "micro":
        y_true, y_pred, _ = _check_labels(y_true, y_pred, num_classes)
        return float(np.mean(y_true == y_pred)) if y_true.size else 0.0
    tp, fp, fn, tn, present = _counts(y_true, y_pred, num_classes, average)
    return _reduce(_divide(tp + tn, tp + fp + fn + tn), tp + fn, present, average)


def precision(y_true, y_pred, average: str | None = None, num_classes: int | None = None):
    """P_i = TP / (TP + FP): of the samples predicted as i, the fraction that are i.

    0.0 for a class that is never predicted."""
    tp, fp, fn, tn, present = _counts(y_true, y_pred, num_classes, average)
    if average == "micro":
        return _scalar(_divide(tp.sum(), tp.sum() + fp.sum()))
    return _reduce(_divide(tp, tp + fp), tp + fn, present, average)


def recall(y_true, y_pred, average: str | None = None, num_classes: int | None = None):
    """R_i = TP / (TP + FN) (sensitivity): of the samples of class i, the fraction found.

    0.0 for a class that never occurs in y_true."""
    tp, fp, fn, tn, present = _counts(y_true, y_pred, num_classes, average)
    if average == "micro":
        return _scalar(_divide(tp.sum(), tp.sum() + fn.sum()))
    return _reduce(_divide(tp, tp + fn), tp + fn, present, average)


def f1_score(y_true, y_pred, average: str | None = None, num_classes: int | None = None):
    """F1_i = 2 P_i R_i / (P_i + R_i), the harmonic mean of precision and recall per class.

    0.0 when P_i + R_i = 0. The "macro" and "weighted" scores average the per-class F1s (as
    scikit-learn does), which is not the F1 of the averaged P and R."""
    tp, fp, fn, tn, present = _counts(y_true, y_pred, num_classes, average)
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    p, r = _divide(tp, tp + fp), _divide(tp, tp + fn)
    f1 = _divide(2 * p * r, p + r)
    if average == "micro":
        return _scalar(f1)
    return _reduce(f1, tp + fn, present, average)


def specificity(y_true, y_pred, average: str | None = None, num_classes: int | None = None):
    """S_i = TN / (TN + FP): of the samples not of class i, the fraction not predicted as i.

    0.0 when every sample is of class i (no negatives)."""
    tp, fp, fn, tn, present = _counts(y_true, y_pred, num_classes, average)
    if average == "micro":
        return _scalar(_divide(tn.sum(), tn.sum() + fp.sum()))
    return _reduce(_divide(tn, tn + fp), tp + fn, present, average)


# ---------------------------------------------------------------------- information theory
def entropy(p, base: float = 2) -> float:
    """H(p) = -sum_i p_i log p_i, in bits for base 2 (terms with p_i = 0 count as 0).

    The minimum average message length per symbol: 1.75 bits for the notes' cricketers
    (0.5, 0.25, 0.125, 0.125). The notes print E = sum p log2 p without the minus sign, which
    would give -1.75; the entropy is the positive number."""
    p = _check_distribution("p", p)
    nz = p > 0
    return float(-np.sum(p[nz] * np.log(p[nz])) / np.log(_check_base(base)))


def cross_entropy(p, q, base: float = 2) -> float:
    """H(p, q) = -sum_i p_i log q_i: the average message length when symbols come from p but
    the code was built for q (in bits for base 2). H(p, q) >= H(p), equal when q = p.

    p is the true distribution, q the assumed (predicted) one, the order of the notes' CE
    formula and of a loss -sum y log a. In the notes, the Australian friend talks with
    p = (0.125, 0.125, 0.25, 0.5) using the code for q = (0.5, 0.25, 0.125, 0.125): 2.625
    bits; CE([0.2, 0.8], [0.4, 0.6]) = 0.8540 bits. Infinite if some q_i = 0 where p_i > 0.

    A number about two distributions (lecture 13), not a loss: the training loss of the same
    name, from logits and with a gradient, is gradtrace.nn.functional.cross_entropy (in nats)."""
    p = _check_distribution("p", p)
    q = _check_distribution("q", q)
    if p.shape != q.shape:
        raise ValueError(f"q: shape {q.shape} does not match p of shape {p.shape}")
    nz = p > 0
    if np.any(q[nz] == 0):
        return float("inf")
    return float(-np.sum(p[nz] * np.log(q[nz])) / np.log(_check_base(base)))


# ---------------------------------------------------------------------- helpers
def _check_labels(y_true, y_pred, num_classes):
    """Both label arrays as 1-D int64 of equal length with labels in [0, C); returns C too."""
    y_true = class_labels("y_true", y_true)
    y_pred = class_labels("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_pred: has {y_pred.shape[0]} labels but y_true has {y_true.shape[0]}; "
            "they must have the same length"
        )
    biggest = max(int(y_true.max(initial=-1)), int(y_pred.max(initial=-1)))
    if num_classes is None:
        return y_true, y_pred, max(biggest + 1, 1)
    num_classes = check_count("num_classes", num_classes)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and y.max() >= num_classes:
            raise ValueError(
                f"{name}: label {int(y.max())} is outside [0, {num_classes}) "
                f"for num_classes={num_classes}"
            )
    return y_true, y_pred, int(num_classes)


def _counts(y_true, y_pred, num_classes, average):
    """Per-class TP, FP, FN, TN (float arrays) and which classes occur in either array."""
    if average not in _AVERAGES:
        raise ValueError(f"average: expected one of {_AVERAGES}, got {average!r}")
    cm = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    present = (cm.sum(axis=0) + cm.sum(axis=1)) > 0
    return tp, fp, fn, tn, present


def _divide(num, den):
    """num / den with 0.0 where den == 0 (the zero-division convention), without warnings."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _reduce(scores: np.ndarray, support: np.ndarray, present: np.ndarray, average):
    """Per-class scores to what `average` asks for (see the module docstring)."""
    if average is None:
        return scores
    if average == "macro":
        return float(scores[present].mean()) if present.any() else 0.0
    total = support.sum()
    return float(np.sum(scores * support) / total) if total else 0.0


def _scalar(x) -> float:
    return float(np.asarray(x))


def _check_distribution(name: str, p) -> np.ndarray:
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a 1-D probability vector, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name}: probabilities must be finite and >= 0, got {arr}")
    if not np.isclose(arr.sum(), 1.0, atol=1e-6):
        raise ValueError(f"{name}: probabilities must sum to 1, got sum {arr.sum():.6g}")
    return arr


def _check_base(base) -> float:
    if isinstance(base, bool) or not isinstance(base, int | float) or base <= 0 or base == 1:
        raise ValueError(f"base: expected a positive number other than 1, got {base!r}")
    return float(base)
