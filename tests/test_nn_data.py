"""nn.data: toy sets, the bundled digits, splits, batches, one-hot."""

import numpy as np
import pytest
from gradtrace.nn import MLP, Dropout, Linear
from gradtrace.nn.data import (
    batches,
    load_digits,
    make_blobs,
    make_moons,
    make_spiral,
    one_hot,
    train_test_split,
)


# ---------------------------------------------------------------------- toy sets
@pytest.mark.parametrize("make", [make_moons, make_blobs, make_spiral])
def test_toy_sets_have_float_features_and_int_labels(make):
    X, y = make(n_samples=101, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64


@pytest.mark.parametrize("make", [make_moons, make_blobs, make_spiral])
def test_toy_sets_are_reproducible_from_a_seed_or_generator(make):
    X1, y1 = make(n_samples=50, seed=7)
    X2, y2 = make(n_samples=50, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make(n_samples=50, seed=8)
    assert not np.array_equal(X1, X3)


def test_toy_sets_leave_numpy_global_random_state_alone():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    make_moons(seed=1)
    make_blobs(seed=1)
    make_spiral(seed=1)
    assert np.random.random() == expected


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = make_moons(n_samples=100, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    assert len(upper) == len(lower) == 50
    # upper moon: the unit circle around (0, 0); lower moon: around (1, 0.5) (by construction)
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)


def test_blobs_share_samples_evenly_and_sit_around_given_centers():
    centers = np.array([[0.0, 0.0], [10.0, 10.0], [-10.0, 5.0]])
    X, y = make_blobs(n_samples=3000, centers=centers, cluster_std=0.5, seed=0)
    assert np.bincount(y).tolist() == [1000, 1000, 1000]
    for c in range(3):
        np.testing.assert_allclose(X[y == c].mean(axis=0), centers[c], atol=0.05)
        np.testing.assert_allclose(X[y == c].std(axis=0), 0.5, atol=0.05)


def test_blobs_take_n_features():
    X, y = make_blobs(n_samples=20, centers=4, n_features=5, seed=0)
    assert X.shape == (20, 5) and set(y.tolist()) == {0, 1, 2, 3}


def test_spiral_has_num_classes_arms_within_the_unit_disc():
    X, y = make_spiral(n_samples=300, num_classes=5, noise=0.1, seed=0)
    assert np.bincount(y).tolist() == [60] * 5
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: make_moons(n_samples=1), "n_samples"),
        (lambda: make_moons(noise=-0.1), "noise"),
        (lambda: make_moons(seed="abc"), "seed"),
        (lambda: make_blobs(centers=0), "centers"),
        (lambda: make_blobs(centers=np.zeros(3)), "centers"),
        (lambda: make_blobs(cluster_std=-1), "cluster_std"),
        (lambda: make_spiral(num_classes=0), "num_classes"),
        (lambda: make_spiral(n_samples=2.5), "n_samples"),
    ],
)
def test_toy_sets_reject_bad_arguments_by_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ---------------------------------------------------------------------- digits
def test_digits_load_offline_with_the_documented_shape():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    assert np.all(X == np.round(X))
    # class counts of scikit-learn's digits (sklearn.datasets.load_digits, documented there)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_first_image_is_a_zero():
    X, y = load_digits()
    # first row of the UCI optdigits.tes file (and of scikit-learn's copy)
    assert y[0] == 0
    assert X[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_return_fresh_copies():
    X, _ = load_digits()
    X[:] = -1
    assert load_digits()[0].min() == 0.0


def test_digits_source_and_licence_are_documented():
    from importlib import resources

    text = resources.files("nn").joinpath("datasets", "README.md").read_text()
    assert "Alpaydin" in text and "CC BY 4.0" in text and "UCI" in text


# ---------------------------------------------------------------------- train_test_split
def test_split_keeps_rows_paired_and_covers_everything_once():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0)
    assert len(X_te) == 5 and len(X_tr) == 15
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(20))


def test_split_test_size_rounds_up_like_scikit_learn():
    X, y = np.zeros((10, 1)), np.zeros(10, int)
    assert len(train_test_split(X, y, test_size=0.25, seed=0)[1]) == 3  # ceil(2.5)
    assert len(train_test_split(X, y, test_size=4, seed=0)[1]) == 4


def test_split_is_reproducible_from_a_seed():
    X, y = make_moons(seed=0)
    a = train_test_split(X, y, seed=3)
    b = train_test_split(X, y, seed=3)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_stratified_split_keeps_class_shares():
    y = np.array([0] * 80 + [1] * 20)
    X = np.arange(100.0)[:, None]
    _, _, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
    assert np.bincount(y_te).tolist() == [20, 5]
    assert np.bincount(y_tr).tolist() == [60, 15]


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(X=np.zeros((4, 2)), y=np.zeros(3)), "y"),
        (dict(X=np.zeros(4), y=np.zeros(4)), "X"),
        (dict(X=np.zeros((4, 2)), y=np.zeros(4), test_size=1.5), "test_size"),
        (dict(X=np.zeros((4, 2)), y=np.zeros(4), test_size=4), "test_size"),
        (dict(X=np.zeros((4, 2)), y=np.zeros(4), stratify=np.zeros(3)), "stratify"),
        (dict(X=np.array([[0.0], [np.nan]]), y=np.zeros(2)), "X"),
    ],
)
def test_split_rejects_bad_input_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        train_test_split(**kwargs)


# ---------------------------------------------------------------------- batches
def test_batches_cover_every_row_once_per_pass():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    seen = []
    sizes = []
    for xb, yb in batches(X, y, batch_size=4, seed=0):
        assert isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray)
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)
        seen.extend(yb.tolist())
        sizes.append(len(yb))
    assert sizes == [4, 4, 2]
    assert sorted(seen) == list(range(10))
    assert seen != list(range(10))  # shuffled (seed 0)


def test_batches_without_shuffle_keep_order_and_can_drop_the_last():
    y = np.arange(10)
    out = [yb.tolist() for _, yb in batches(np.zeros((10, 1)), y, 4, shuffle=False)]
    assert out == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    out = [yb.tolist() for _, yb in batches(np.zeros((10, 1)), y, 4, shuffle=False, drop_last=True)]
    assert out == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_batches_with_one_generator_reshuffle_every_epoch():
    rng = np.random.default_rng(0)
    X, y = np.zeros((50, 1)), np.arange(50)
    first = np.concatenate([yb for _, yb in batches(X, y, 10, seed=rng)])
    second = np.concatenate([yb for _, yb in batches(X, y, 10, seed=rng)])
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("batch_size", [0, -1, 2.0])
def test_batches_reject_a_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        next(batches(np.zeros((4, 1)), np.zeros(4), batch_size))


# ---------------------------------------------------------------------- one_hot
def test_one_hot_rows():
    np.testing.assert_array_equal(one_hot([2, 0, 1], 4), [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert one_hot(np.array([0, 2])).shape == (2, 3)


@pytest.mark.parametrize("y, num_classes", [([0, 3], 3), ([-1, 0], 2), ([0.5], 2)])
def test_one_hot_rejects_labels_outside_the_classes(y, num_classes):
    with pytest.raises(ValueError, match="y"):
        one_hot(y, num_classes)


# ---------------------------------------------------------------------- one way to get randomness
@pytest.mark.parametrize(
    "make",
    [
        lambda seed: make_moons(seed=seed),
        lambda seed: next(batches(np.zeros((4, 2)), np.zeros(4), 2, seed=seed)),
        lambda seed: Linear(2, 2, seed=seed),
        lambda seed: Dropout(0.5, seed=seed),
        lambda seed: MLP(2, [2], seed=seed),
    ],
)
def test_data_and_layers_take_seeds_the_same_way(make):
    # one helper (nn.init.make_rng) for data and layers: before, a layer passed "abc" or -1
    # to NumPy (a TypeError, or NumPy's message that does not name the argument)
    with pytest.raises(ValueError, match="seed: expected None, an int or a numpy.random"):
        make("abc")
    with pytest.raises(ValueError, match="seed: must be non-negative, got -1"):
        make(-1)
    make(np.random.default_rng(0))  # a Generator is used as is, everywhere
