"""Small data sets and data plumbing: toy 2-D sets, the 8x8 digits, splits and mini-batches.

Everything random takes `seed`: None (fresh entropy), an int, or a `numpy.random.Generator`
(used as is, so one generator can drive a whole experiment). No global random state is
touched, so the same seed always gives the same data.

Arrays come back as NumPy: features `X` float64 of shape (n_samples, n_features), labels `y`
int64 of shape (n_samples,). Feed them to a Tensor model directly, or row by row to a scalar
MLP (`model(list(x))`).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from numbers import Integral, Real

import numpy as np

from .init import Seed, make_rng
from .module import check_count

__all__ = [
    "batches",
    "load_digits",
    "make_blobs",
    "make_moons",
    "make_spiral",
    "one_hot",
    "train_test_split",
]


# ---------------------------------------------------------------------- toy data sets
def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Seed = None):
    """Two interleaving half circles (the micrograd demo set); returns (X, y).

    Class 0 is the upper moon (cos t, sin t), class 1 the lower one (1 - cos t, 0.5 - sin t),
    t in [0, pi], plus Gaussian noise of standard deviation `noise`; rows are shuffled."""
    n_samples = check_count("n_samples", n_samples, minimum=2)
    noise = _check_nonnegative("noise", noise)
    rng = make_rng(seed=seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t_upper), np.sin(t_upper)]),
            np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)]),
        ]
    )
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    X += rng.normal(0.0, noise, size=X.shape)
    return _shuffled(X, y, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | np.ndarray = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: Seed = None,
):
    """Isotropic Gaussian blobs, one class per center; returns (X, y).

    `centers` is a number of centers (drawn uniformly from `center_box`) or an array of shape
    (num_classes, n_features). Samples are shared out evenly, the first classes taking any
    remainder; rows are shuffled."""
    n_samples = check_count("n_samples", n_samples)
    cluster_std = _check_nonnegative("cluster_std", cluster_std)
    rng = make_rng(seed=seed)
    if isinstance(centers, Integral) and not isinstance(centers, bool):
        k = check_count("centers", centers)
        n_features = check_count("n_features", n_features)
        low, high = center_box
        if not low < high:
            raise ValueError(f"center_box: need low < high, got {center_box!r}")
        points = rng.uniform(low, high, size=(k, n_features))
    else:
        points = np.asarray(centers, dtype=np.float64)
        if points.ndim != 2 or points.shape[0] == 0:
            raise ValueError(
                f"centers: expected an int or an array of shape (num_classes, n_features), "
                f"got shape {points.shape}"
            )
        k = points.shape[0]
    counts = _share(n_samples, k)
    X = np.concatenate(
        [
            points[c] + rng.normal(0.0, cluster_std, size=(m, points.shape[1]))
            for c, m in enumerate(counts)
        ]
    )
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    return _shuffled(X, y, rng)


def make_spiral(n_samples: int = 300, num_classes: int = 3, noise: float = 0.2, seed: Seed = None):
    """K interleaved spiral arms (the cs231n "spiral" set, not linearly separable); (X, y).

    Arm j has radius r in [0, 1] and angle t in [4j, 4(j+1)] plus Gaussian noise of standard
    deviation `noise` on the angle; the point is r * (sin t, cos t)."""
    n_samples = check_count("n_samples", n_samples)
    num_classes = check_count("num_classes", num_classes)
    noise = _check_nonnegative("noise", noise)
    rng = make_rng(seed=seed)
    parts = []
    for j, m in enumerate(_share(n_samples, num_classes)):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(4.0 * j, 4.0 * (j + 1), m) + rng.normal(0.0, noise, size=m)
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    y = np.repeat(np.arange(num_classes, dtype=np.int64), _share(n_samples, num_classes))
    return _shuffled(np.concatenate(parts), y, rng)


def load_digits():
    """The 8x8 handwritten digits: X float64 (1797, 64) with pixel counts 0..16, y int (1797,).

    Bundled (nn/datasets/digits.csv.gz, 57 kB): the test set of the UCI "Optical Recognition
    of Handwritten Digits" data (E. Alpaydin and C. Kaynak, 1998, CC BY 4.0), the same file
    scikit-learn ships. Read with NumPy, no network and no pickle. Row i reshaped to (8, 8) is
    the image. Scale X (e.g. X / 16) before training."""
    X, y = _digits()
    return X.copy(), y.copy()


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    path = resources.files("gradtrace.nn").joinpath("datasets", "digits.csv.gz")
    with path.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(np.int64)


# ---------------------------------------------------------------------- splits and batches
def train_test_split(X, y, test_size: float | int = 0.25, seed: Seed = None, stratify=None):
    """Shuffle and split into (X_train, X_test, y_train, y_test), scikit-learn's order.

    `test_size` is a fraction in (0, 1) (the test set gets ceil(fraction * n) rows) or a
    count. `stratify`, as in scikit-learn, is None or an array of labels (usually y): each
    class then keeps its share of rows in both parts."""
    X, y = _check_xy(X, y)
    n = len(X)
    if n < 2:
        raise ValueError(f"X: need at least 2 samples to split, got {n}")
    n_test = _test_count(test_size, n)
    rng = make_rng(seed=seed)
    if stratify is None:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        labels = np.asarray(stratify)
        if labels.shape != (n,):
            raise ValueError(
                f"stratify: expected labels of shape ({n},) like y, got shape {labels.shape}"
            )
        classes, codes = np.unique(labels, return_inverse=True)
        per_class = _share_like(np.bincount(codes), n_test)
        test_parts, train_parts = [], []
        for c in range(len(classes)):
            rows = rng.permutation(np.flatnonzero(codes == c))
            test_parts.append(rows[: per_class[c]])
            train_parts.append(rows[per_class[c] :])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return X[train], X[test], y[train], y[test]


def batches(
    X, y, batch_size: int, shuffle: bool = True, seed: Seed = None, drop_last: bool = False
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (X_batch, y_batch) NumPy arrays of `batch_size` rows for one pass over the data.

    The last batch may be shorter unless `drop_last`. With `shuffle`, rows come in a fresh
    random order drawn from `seed` (pass one Generator to get a new order every epoch)."""
    X, y = _check_xy(X, y)
    batch_size = check_count("batch_size", batch_size)
    n = len(X)
    order = make_rng(seed=seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        rows = order[start : start + batch_size]
        yield X[rows], y[rows]


def one_hot(y, num_classes: int | None = None) -> np.ndarray:
    """Class indices (N,) to one-hot rows (N, num_classes) of float64 0.0 / 1.0.

    `num_classes` defaults to max(y) + 1."""
    y = class_labels("y", y)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    num_classes = check_count("num_classes", num_classes, minimum=0)
    if y.size and y.max() >= num_classes:
        raise ValueError(
            f"y: class index {int(y.max())} is outside [0, {num_classes}) for "
            f"num_classes={num_classes}"
        )
    out = np.zeros((y.shape[0], num_classes), dtype=np.float64)
    out[np.arange(y.shape[0]), y] = 1.0
    return out


# ---------------------------------------------------------------------- helpers
def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    order = rng.permutation(len(X))
    return np.ascontiguousarray(X[order], dtype=np.float64), y[order]


def _share(total: int, parts: int) -> list[int]:
    """Split `total` into `parts` near-equal counts, the first ones taking the remainder."""
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


def _share_like(sizes: np.ndarray, total: int) -> np.ndarray:
    """Split `total` in proportion to `sizes` (largest remainders round up), never more
    than a class has."""
    exact = sizes * total / sizes.sum()
    counts = np.floor(exact).astype(np.int64)
    for i in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[i] += 1
    return np.minimum(counts, sizes)


def _test_count(test_size: float | int, n: int) -> int:
    if isinstance(test_size, Integral) and not isinstance(test_size, bool):
        if not 1 <= test_size < n:
            raise ValueError(f"test_size: a count must be in [1, {n - 1}], got {test_size}")
        return int(test_size)
    if isinstance(test_size, Real) and 0.0 < test_size < 1.0:
        count = int(np.ceil(test_size * n))
        return min(count, n - 1)
    raise ValueError(
        f"test_size: expected a fraction in (0, 1) or a count in [1, {n - 1}], got {test_size!r}"
    )


def _check_nonnegative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
        raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
    return float(value)


def class_labels(name: str, y) -> np.ndarray:
    """Integer class labels >= 0 (whole floats too) as a 1-D int64 array: the one check of
    class labels, used by one_hot and by every score in nn.metrics."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of class labels, got shape {arr.shape}")
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iub":
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name}: class labels must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.min() < 0:
        raise ValueError(f"{name}: class labels must be >= 0, found {int(arr.min())}")
    return arr


def _check_xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    """X as an array of samples (rows, or images (N, C, H, W)) without NaN or inf, y as an
    array with as many rows."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim < 2:
        raise ValueError(f"X: expected shape (n_samples, n_features, ...), got shape {X.shape}")
    if X.dtype.kind in "fc" and not np.all(np.isfinite(X)):
        raise ValueError("X: contains NaN or infinity")
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y: expected {X.shape[0]} rows to match X of shape {X.shape}, got shape {y.shape}"
        )
    return X, y
