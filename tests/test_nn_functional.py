"""nn.functional: activations and losses on both engines, against PyTorch (float64), the
lecture's dJ/dz = a - y for every input, and stability at +-1000."""

import math

import gradtrace
import gradtrace.nn.functional as F
import numpy as np
import pytest
from gradtrace import Value, vsum
from hypothesis import given, settings
from hypothesis import strategies as st

ENGINES = ["value", "tensor"]
REDUCTIONS = ["mean", "sum", "none"]


# ---------------------------------------------------------------------- helpers
@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param == "tensor" and not hasattr(gradtrace, "Tensor"):
        pytest.skip("gradtrace.Tensor is not available")
    return request.param


def make(engine, arr):
    """`arr` as the engine's input: a Tensor, or (nested) lists of Values."""
    arr = np.asarray(arr, dtype=np.float64)
    if engine == "tensor":
        return gradtrace.Tensor(arr, requires_grad=True)
    return np.vectorize(Value, otypes=[object])(arr).tolist()


def numbers(out):
    """The forward numbers of an engine's output (Tensor, Value or nested lists of Values)."""
    if isinstance(out, Value):
        return np.array(out.data)
    if isinstance(out, list):
        return np.vectorize(lambda v: v.data, otypes=[float])(np.array(out, dtype=object))
    return np.asarray(out.data)


def backward(out, weights=None):
    """Backward from the output, or from sum(weights * out) for a non-scalar output."""
    if isinstance(out, Value):
        out.backward()
        return
    if isinstance(out, list):
        flat = np.array(out, dtype=object).ravel()
        w = np.ones(flat.size) if weights is None else np.ravel(weights)
        vsum(v * float(c) for v, c in zip(flat, w, strict=True)).backward()
        return
    if out.data.size == 1 and weights is None:
        out.backward()
    else:
        out.backward(np.ones(out.shape) if weights is None else np.asarray(weights))


def grads(x):
    if isinstance(x, list):
        return np.vectorize(lambda v: v.grad, otypes=[float])(np.array(x, dtype=object))
    return np.asarray(x.grad)


def torch_run(torch, fn, x, *args, weights=None, **kwargs):
    """PyTorch's forward numbers and the gradient w.r.t. x (of sum(weights * out))."""
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    out = fn(xt, *args, **kwargs)
    if out.numel() == 1 and weights is None:
        out.backward()
    else:
        w = torch.ones_like(out) if weights is None else torch.tensor(np.asarray(weights))
        (out * w).sum().backward()
    return out.detach().numpy(), xt.grad.numpy()


def ours(engine, fn, x, *args, **kwargs):
    xe = make(engine, x)
    out = fn(xe, *args, **kwargs)
    backward(out)
    return numbers(out), grads(xe)


rng = np.random.default_rng(1234)
X = rng.normal(size=(5, 4))
T = rng.normal(size=(5, 4))
P = rng.uniform(0.05, 0.95, size=(5, 4))
BITS = rng.integers(0, 2, size=(5, 4)).astype(np.float64)
SOFT = rng.uniform(0.0, 1.0, size=(5, 4))
SIGNS = 2.0 * BITS - 1.0
CLASSES = np.array([0, 3, 1, 1, 2])
SOFT_ROWS = rng.dirichlet(np.ones(4), size=5)


# ---------------------------------------------------------------------- losses vs PyTorch
def _torch_hinge(x, target, reduction):
    # PyTorch has no binary hinge loss function; the lecture's max(0, 1 - t y) in torch ops
    losses = (1.0 - target * x).clamp(min=0.0)
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def _torch_multiclass_hinge(x, target, reduction):
    # PyTorch divides the multi-class SVM loss by C; the cs231n loss does not
    import torch

    return x.shape[-1] * torch.nn.functional.multi_margin_loss(x, target, reduction=reduction)


def _torch_multilabel_sum(x, target, reduction):
    import torch

    per_sample = torch.nn.functional.binary_cross_entropy_with_logits(
        x, target, reduction="none"
    ).sum(-1)
    return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]


LOSS_CASES = {
    # name: (our function, torch function name or callable, input, target, target is int)
    "mse": (F.mse_loss, "mse_loss", X, T, False),
    "l1": (F.l1_loss, "l1_loss", X, T, False),
    "bce": (F.binary_cross_entropy, "binary_cross_entropy", P, BITS, False),
    "bce_soft_targets": (F.binary_cross_entropy, "binary_cross_entropy", P, SOFT, False),
    "bce_logits": (
        F.binary_cross_entropy_with_logits,
        "binary_cross_entropy_with_logits",
        3 * X,
        BITS,
        False,
    ),
    "ce_indices": (F.cross_entropy, "cross_entropy", 3 * X, CLASSES, True),
    "ce_one_hot": (F.cross_entropy, "cross_entropy", 3 * X, np.eye(4)[CLASSES], False),
    "ce_soft_rows": (F.cross_entropy, "cross_entropy", 3 * X, SOFT_ROWS, False),
    "hinge_binary": (F.hinge_loss, _torch_hinge, X, SIGNS, False),
    "hinge_multiclass": (F.hinge_loss, _torch_multiclass_hinge, X, CLASSES, True),
    "multilabel_sum": (F.multilabel_cross_entropy, _torch_multilabel_sum, 3 * X, BITS, False),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_matches_pytorch(torch, engine, case, reduction):
    fn, torch_fn, x, target, is_int = LOSS_CASES[case]
    if isinstance(torch_fn, str):
        torch_fn = getattr(torch.nn.functional, torch_fn)
    t_torch = torch.tensor(target) if not is_int else torch.tensor(target, dtype=torch.long)
    expected, expected_grad = torch_run(torch, torch_fn, x, t_torch, reduction=reduction)
    t_ours = target.tolist() if engine == "value" else target
    got, got_grad = ours(engine, fn, x, t_ours, reduction=reduction)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_mean_over_labels_is_pytorchs_multilabel_soft_margin(torch, engine, reduction):
    expected, expected_grad = torch_run(
        torch,
        torch.nn.functional.multilabel_soft_margin_loss,
        X,
        torch.tensor(BITS),
        reduction=reduction,
    )
    target = BITS.tolist() if engine == "value" else BITS
    got, got_grad = ours(
        engine, F.multilabel_cross_entropy, X, target, reduction=reduction, label_reduction="mean"
    )
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_elementwise_losses_on_a_flat_list_match_pytorch(torch, reduction):
    # a flat list of Values (N samples of one output) is a 1-D input
    x, t = X[0], T[0]
    for fn, tfn in ((F.mse_loss, "mse_loss"), (F.l1_loss, "l1_loss")):
        expected, expected_grad = torch_run(
            torch, getattr(torch.nn.functional, tfn), x, torch.tensor(t), reduction=reduction
        )
        got, got_grad = ours("value", fn, x, t.tolist(), reduction=reduction)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-12)


def test_cross_entropy_of_one_row_and_a_class_index_matches_pytorch(torch, engine):
    expected, expected_grad = torch_run(
        torch, torch.nn.functional.cross_entropy, X[0], torch.tensor(2)
    )
    got, got_grad = ours(engine, F.cross_entropy, X[0], 2)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_of_one_row_of_values_is_one_value():
    z = [Value(1.0), Value(2.0), Value(3.0)]
    for target in (1, [0.0, 1.0, 0.0]):
        for reduction in REDUCTIONS:
            assert isinstance(F.cross_entropy(z, target, reduction=reduction), Value)


def test_loss_of_a_single_value_is_a_value():
    x = Value(0.3)
    for reduction in REDUCTIONS:
        assert isinstance(F.mse_loss(x, 1.0, reduction=reduction), Value)
        assert isinstance(F.binary_cross_entropy(x, 1.0, reduction=reduction), Value)
    # the lecture's hinge loss max(0, 1 - t y) for y = 0.3, t = -1: 1.3 (by hand)
    assert F.hinge_loss(x, -1).data == pytest.approx(1.3)


def test_reduction_none_keeps_the_shape_of_rows_of_values():
    rows = make("value", X[:2, :3])
    out = F.mse_loss(rows, T[:2, :3].tolist(), reduction="none")
    assert len(out) == 2 and all(len(r) == 3 for r in out)
    out = F.cross_entropy(rows, [0, 2], reduction="none")
    assert len(out) == 2 and all(isinstance(v, Value) for v in out)


def test_targets_may_be_values_with_gradients(torch):
    # d/dt (x - t)**2 = -2 (x - t): a loss is differentiable in its target too (PyTorch)
    x, t = Value(3.0), Value(1.0)
    F.mse_loss(x, t).backward()
    assert (x.grad, t.grad) == (4.0, -4.0)


# ---------------------------------------------------------------------- activations vs PyTorch
ACTIVATIONS = {
    "sigmoid": (F.sigmoid, lambda torch: torch.sigmoid),
    "tanh": (F.tanh, lambda torch: torch.tanh),
    "relu": (F.relu, lambda torch: torch.relu),
    "leaky_relu": (F.leaky_relu, lambda torch: torch.nn.functional.leaky_relu),
    "softmax": (F.softmax, lambda torch: lambda x: torch.softmax(x, dim=-1)),
    "log_softmax": (F.log_softmax, lambda torch: lambda x: torch.log_softmax(x, dim=-1)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_pytorch(torch, engine, name):
    fn, torch_fn = ACTIVATIONS[name]
    x = 3 * X
    x[0, 0] = 0.0  # relu'(0) = 0 and leaky_relu'(0) = slope, as in PyTorch
    w = T  # backward from sum(w * f(x)), so every Jacobian entry counts
    expected, expected_grad = torch_run(torch, torch_fn(torch), x, weights=w)
    xe = make(engine, x)
    out = fn(xe)
    backward(out, w)
    np.testing.assert_allclose(numbers(out), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads(xe), expected_grad, rtol=1e-9, atol=1e-14)


def test_activations_of_a_single_value_and_a_list():
    assert F.sigmoid(Value(0.0)).data == 0.5
    assert F.relu(Value(-1.0)).data == 0.0
    assert [v.data for v in F.leaky_relu([Value(-2.0), Value(3.0)], 0.1)] == [-0.2, 3.0]
    # softmax of one row of Values sums to one (the notes: a probability distribution)
    assert math.fsum(v.data for v in F.softmax([Value(1.0), Value(2.0), Value(3.0)])) == (
        pytest.approx(1.0)
    )


# ---------------------------------------------------------------------- dJ/dz = a - y (lectures)
def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _sigmoid(z):
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


logits = st.lists(
    st.floats(-1000, 1000, allow_nan=False, allow_infinity=False), min_size=2, max_size=6
)


@settings(max_examples=60, deadline=None)
@given(z=logits, data=st.data())
def test_softmax_cross_entropy_gradient_is_a_minus_y(z, data):
    # lecture 13 / 14: delta = dJ/dz = a - y for softmax + categorical cross-entropy
    z = np.array(z)
    k = data.draw(st.integers(0, len(z) - 1))
    y = np.eye(len(z))[k]
    a = _softmax(z)
    for engine in _available_engines():
        for target in (k, y.tolist()):
            xe = make(engine, z)
            loss = F.cross_entropy(xe, target, reduction="sum")
            backward(loss)
            assert np.isfinite(numbers(loss))
            np.testing.assert_allclose(grads(xe), a - y, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    z=st.lists(st.floats(-30, 30, allow_nan=False), min_size=2, max_size=6),
    data=st.data(),
)
def test_softmax_then_the_notes_loss_gradient_is_a_minus_y(z, data):
    # the derivation's own pieces: a = softmax(z), J = -sum_m y_m ln a_m, built gate by gate
    z = np.array(z)
    k = data.draw(st.integers(0, len(z) - 1))
    xs = make("value", z)
    a = F.softmax(xs)
    J = -a[k].log()
    J.backward()
    np.testing.assert_allclose(grads(xs), _softmax(z) - np.eye(len(z))[k], atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    z=st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=1, max_size=6),
    data=st.data(),
)
def test_bce_with_logits_gradient_is_a_minus_y(z, data):
    # lecture 004 / 14: dL/dz = a - y for sigmoid + binary cross-entropy, any logits
    z = np.array(z)
    y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(z), max_size=len(z))))
    for engine in _available_engines():
        xe = make(engine, z)
        loss = F.binary_cross_entropy_with_logits(xe, y.tolist(), reduction="sum")
        backward(loss)
        assert np.isfinite(numbers(loss))
        np.testing.assert_allclose(grads(xe), _sigmoid(z) - y, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    z=st.lists(st.floats(-27, 27, allow_nan=False), min_size=1, max_size=6),
    data=st.data(),
)
def test_sigmoid_then_bce_gradient_is_a_minus_y(z, data):
    # the lecture's composition a = sigmoid(z), L = -(y ln a + (1 - y) ln(1 - a)); for |z| <= 27
    # a (1 - a) stays above 1e-12, so neither of PyTorch's edge rules applies (its log clamp at
    # -100 and its gradient's divisor max(a (1 - a), 1e-12): beyond |z| = 27.6 torch gives
    # less than a - y, and so do we; test_bce_at_the_edges_follows_pytorch checks that region)
    z = np.array(z)
    y = np.array(data.draw(st.lists(st.floats(0, 1), min_size=len(z), max_size=len(z))))
    for engine in _available_engines():
        xe = make(engine, z)
        loss = F.binary_cross_entropy(F.sigmoid(xe), y.tolist(), reduction="sum")
        backward(loss)
        np.testing.assert_allclose(grads(xe), _sigmoid(z) - y, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    z=st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=2, max_size=5),
    data=st.data(),
)
def test_multilabel_gradient_is_a_minus_y(z, data):
    # lecture 14: multi-label cross-entropy with sigmoid outputs, delta_n = a_n - y_n
    z = np.array(z)
    y = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(z), max_size=len(z))))
    for engine in _available_engines():
        xe = make(engine, [z])
        loss = F.multilabel_cross_entropy(xe, [y.tolist()], reduction="sum")
        backward(loss)
        np.testing.assert_allclose(grads(xe)[0], _sigmoid(z) - y, atol=1e-12)


def _available_engines():
    return ENGINES if hasattr(gradtrace, "Tensor") else ["value"]


# ---------------------------------------------------------------------- stability
def test_cross_entropy_is_finite_for_logits_of_plus_minus_1000(engine):
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    loss, g = ours(engine, F.cross_entropy, z, [1, 2] if engine == "value" else np.array([1, 2]))
    assert np.isfinite(loss) and np.all(np.isfinite(g))
    # row 1: -log softmax picks -1000 against 1000: loss 2000; row 2 is right: loss 0
    assert loss == pytest.approx(1000.0)
    np.testing.assert_allclose(g, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, F.sigmoid, F.tanh])
def test_activations_are_finite_at_plus_minus_1000(engine, fn):
    x = np.array([[1000.0, -1000.0, 0.0]])
    xe = make(engine, x)
    out = fn(xe)
    backward(out, [[1.0, 2.0, 3.0]])
    assert np.all(np.isfinite(numbers(out))) and np.all(np.isfinite(grads(xe)))


def test_bce_with_logits_at_plus_minus_1000(engine):
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    loss, g = ours(
        engine, F.binary_cross_entropy_with_logits, x, [1.0, 0.0, 0.0, 1.0], reduction="none"
    )
    np.testing.assert_allclose(loss, [0.0, 0.0, 1000.0, 1000.0])
    np.testing.assert_allclose(g, [0.0, 0.0, 1.0, -1.0])


def test_bce_clamps_log_at_minus_100_for_probabilities_0_and_1(torch, engine):
    # PyTorch: log(0) is clamped to -100, so a certain wrong answer costs 100
    p = np.array([0.0, 1.0, 0.0, 1.0])
    t = [1.0, 0.0, 0.0, 1.0]
    loss, g = ours(engine, F.binary_cross_entropy, p, t, reduction="none")
    expected = torch.nn.functional.binary_cross_entropy(
        torch.tensor(p), torch.tensor(t), reduction="none"
    )
    np.testing.assert_allclose(loss, expected.numpy(), atol=1e-12)
    np.testing.assert_allclose(loss, [100.0, 100.0, 0.0, 0.0], atol=1e-12)
    # finite gradients (the derivative of the clamped loss; PyTorch's formula differs here)
    assert np.all(np.isfinite(g))


def test_multiclass_hinge_is_finite_at_plus_minus_1000(engine):
    loss, g = ours(
        engine, F.hinge_loss, [[1000.0, -1000.0, 0.0]], [1] if engine == "value" else np.array([1])
    )
    # max(0, 1000 + 1000 + 1) + max(0, 0 + 1000 + 1) (by hand)
    assert loss == pytest.approx(3002.0)
    np.testing.assert_allclose(g, [[1.0, -2.0, 1.0]])


# ---------------------------------------------------------------------- worked hinge examples
def test_multiclass_hinge_of_the_cs231n_example():
    # cs231n notes: scores cat 3.2, car 5.1, frog -1.7 for a cat: max(0, 5.1 - 3.2 + 1) +
    # max(0, -1.7 - 3.2 + 1) = 2.9
    assert F.hinge_loss([Value(3.2), Value(5.1), Value(-1.7)], 0).data == pytest.approx(2.9)


def test_multiclass_hinge_of_the_lecture_scores():
    # lecture 004: scores dog 3.6, cat 2.6, pig -3.0. For a dog every margin is met: 0.
    # For a cat: max(0, 3.6 - 2.6 + 1) + max(0, -3.0 - 2.6 + 1) = 2.0 (by hand)
    s = [Value(3.6), Value(2.6), Value(-3.0)]
    assert F.hinge_loss(s, 0).data == 0.0
    assert F.hinge_loss(s, 1).data == pytest.approx(2.0)


def test_binary_hinge_penalises_correct_answers_inside_the_margin():
    # lecture 004: max(0, 1 - t y): right side but within the margin still costs
    out = F.hinge_loss([Value(2.0), Value(0.5), Value(-0.5)], [1, 1, 1], reduction="none")
    assert [v.data for v in out] == [0.0, 0.5, 1.5]


# ---------------------------------------------------------------------- the graph it builds
def test_value_losses_build_graphs_of_the_lectures_gates():
    z = [Value(1.0, label="z1"), Value(2.0, label="z2")]
    loss = F.cross_entropy(z, 0)
    ops = {node.op for node in gradtrace.topological_order(loss)}
    assert {"exp", "log", "+"} <= ops


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x: F.cross_entropy(x, [0, 4]), r"target.*4.*\[0, 4\)"),
        (lambda x: F.cross_entropy(x, [0, -1]), r"target.*-1"),
        (lambda x: F.cross_entropy(x, [0, 1, 2]), r"target.*\(3,\).*\(2, 4\)"),
        (lambda x: F.cross_entropy(x, [0.5, 1.0]), "target.*integers"),
        (lambda x: F.mse_loss(x, [[1.0, 2.0]]), r"target.*\(1, 2\).*\(2, 4\)"),
        (lambda x: F.hinge_loss(x, [[0.0] * 4] * 2), "target.*-1 or \\+1"),
        (lambda x: F.mse_loss(x, [[0.0] * 4] * 2, reduction="avg"), "reduction"),
        (lambda x: F.binary_cross_entropy(x, [[0.0] * 4] * 2), "input.*probabilities"),
        (
            lambda x: F.multilabel_cross_entropy(x, [[0.0] * 4] * 2, label_reduction="x"),
            "label_reduction",
        ),
    ],
)
def test_bad_input_raises_value_error_naming_argument_and_shapes(engine, call, match):
    x = make(engine, 3 * X[:2])  # shape (2, 4), some entries outside [0, 1]
    with pytest.raises(ValueError, match=match):
        call(x)


def test_ragged_rows_of_values_are_rejected():
    with pytest.raises(ValueError, match="input.*same length"):
        F.cross_entropy([[Value(1.0), Value(2.0)], [Value(1.0)]], [0, 0])


def test_bce_rejects_targets_outside_0_1():
    with pytest.raises(ValueError, match="target"):
        F.binary_cross_entropy([Value(0.5)], [2.0])


def test_unknown_input_types_raise_type_error():
    with pytest.raises(TypeError, match="input"):
        F.relu("abc")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_on_one_row_of_values(torch, reduction):
    z = [Value(1.0), Value(-1.0), Value(0.0)]
    loss = F.multilabel_cross_entropy(z, [0, 1, 1], reduction=reduction)
    logits, labels = torch.tensor([[1.0, -1.0, 0.0]]), torch.tensor([[0.0, 1.0, 1.0]])
    expected = 3 * torch.nn.functional.multilabel_soft_margin_loss(logits, labels)
    value = loss.data if isinstance(loss, Value) else sum(v.data for v in np.ravel(loss))
    assert value == pytest.approx(expected.item(), abs=1e-12)  # summed over labels, as the notes


# ---------------------------------------------------------------------- one check, one message
def _message(call) -> str:
    with pytest.raises(ValueError) as err:
        call()
    return str(err.value)


def test_reduction_is_checked_in_one_place_with_one_message():
    # the engine's fused gate, nn's Tensor path, nn's Value path and an elementwise loss
    z = np.zeros((2, 3))
    messages = {
        _message(lambda: gradtrace.cross_entropy(gradtrace.Tensor(z), [0, 1], "avg")),
        _message(lambda: F.cross_entropy(gradtrace.Tensor(z), np.array([0, 1]), "avg")),
        _message(lambda: F.cross_entropy(make("value", z), [0, 1], "avg")),
        _message(lambda: F.mse_loss(make("value", z), z, "avg")),
        _message(lambda: F.hinge_loss(gradtrace.Tensor(z), [0, 1], "avg")),
    }
    assert messages == {"reduction: expected 'mean', 'sum' or 'none', got 'avg'"}


@pytest.mark.parametrize("target", [[0, 3], [0.5, 1.0]])
def test_class_indices_are_checked_in_one_place_with_one_message(target):
    # before: nn said "class indices must be integers", the engine "expected integer class
    # indices"; now both say what the engine's one check says, naming the function
    z = np.zeros((2, 3))
    messages = {
        _message(lambda: F.cross_entropy(gradtrace.Tensor(z), target)),
        _message(lambda: F.cross_entropy(make("value", z), target)),
        _message(lambda: F.hinge_loss(make("value", z), target)).replace("hinge_loss", "X"),
        _message(lambda: F.hinge_loss(gradtrace.Tensor(z), target)).replace("hinge_loss", "X"),
    }
    engine_gate = gradtrace.cross_entropy  # the fused gate: whole floats are refused
    messages.add(_message(lambda: engine_gate(gradtrace.Tensor(z), np.asarray(target))))
    assert len({m.replace("cross_entropy", "X") for m in messages}) == 1, messages
