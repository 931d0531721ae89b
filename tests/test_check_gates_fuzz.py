"""check_gates without false alarms: 2,000 random correct graphs (every Value gate and every
Tensor gate, nn's bce included, magnitudes from 1e-300 to 1e300, exact kinks and ties,
float32 and float64) get no finding; in each, a wrong local gradient / VJP planted at one
compared gate input (10x the tolerance off) is caught at that gate and input.

Run with `-s` to print the counts (graphs, gate inputs compared, skipped, planted, caught)."""

import copy
import math

import numpy as np
import pytest
from fuzz_support import Draws
from gradtrace import (
    Tensor,
    Value,
    avg_pool2d,
    check_gates,
    concatenate,
    conv2d,
    cross_entropy,
    gate,
    linear,
    max_pool2d,
    stack,
    vsum,
)
from gradtrace.engine import topological_order
from gradtrace.nn import functional as F

VALUE_GRAPHS, TENSOR_GRAPHS, CHUNKS = 1200, 800, 4
RTOL, ATOL = 1e-4, 1e-5  # check_gates' defaults


@gate("cube")
def cube(x):
    """A learner's gate, correct: d x^3 / dx = 3 x^2."""
    return x**3, (3 * x**2,)


# ---------------------------------------------------------------------------- Value graphs
def value_number(d: Draws, exponent: int) -> float:
    return (-1) ** d.integer(0, 2) * 10.0**exponent * d.uniform(0.5, 2.0)


# fmt: skip below: the step names stay a table, not one name per line
VALUE_STEPS = (
    "+", "-", "*", "/", "max", "tie", "**", "exp", "log", "1/x", "tanh", "sigmoid", "relu",
    "sum", "linear", "+c", "c-", "*c", "c/", "/c", "maxc", "cube", "bce",
)  # fmt: skip


def value_step(d: Draws, pool: list, exponent: int):
    """One random gate on values of the pool (None where it fails: overflow, domain)."""
    kind = d.choice(VALUE_STEPS)
    a, b = d.choice(pool), d.choice(pool)
    c = value_number(d, d.integer(-300, 301) if d.random() < 0.3 else exponent)
    try:
        return {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b,
            "max": lambda: a.max(b),
            "tie": lambda: a.max(Value(a.data)),  # a tie: a kink
            "**": lambda: a ** d.choice((2, 3, -1, 0.5 if a.data > 0 else 2)),
            "exp": lambda: a.exp(),
            "log": lambda: abs_value(a).log(),
            "1/x": lambda: a.reciprocal(),
            "tanh": lambda: a.tanh(),
            "sigmoid": lambda: a.sigmoid(),
            "relu": lambda: a.relu(),
            "sum": lambda: vsum([a, b, d.choice(pool)]),
            "linear": lambda: linear([a, c], [b, d.choice(pool)], d.choice(pool)),
            "+c": lambda: a + c,
            "c-": lambda: c - a,
            "*c": lambda: a * c,
            "c/": lambda: c / a,
            "/c": lambda: a / c,
            "maxc": lambda: a.max(c),
            "cube": lambda: cube(a),
            "bce": lambda: F.binary_cross_entropy(a.sigmoid(), d.choice((0.0, 0.25, 1.0))),
        }[kind]()
    except (ArithmeticError, ValueError):
        return None


def abs_value(a: Value) -> Value:
    return a if a.data > 0 else -a


def value_graph(seed: int) -> tuple[Value, str]:
    d = Draws(seed)
    exponent = d.integer(-300, 301)
    pool = [Value(value_number(d, exponent)) for _ in range(d.integer(2, 5))]
    if d.random() < 0.2:
        pool.append(Value(0.0))  # relu / max at an exact kink
    for _ in range(d.integer(2, 9)):
        out = value_step(d, pool, exponent)
        if out is not None and math.isfinite(out.data):
            pool.append(out)
    return pool[-1], f"Value graph {seed}, magnitude 1e{exponent}"


def plant_value(node: Value, i: int) -> None:
    """A local gradient 10x the tolerance off."""
    a = node.local_grads[i]
    wrong = list(node.local_grads)
    wrong[i] = a + 10 * (ATOL + RTOL * abs(a)) * (1 if a >= 0 else -1)
    node.local_grads = tuple(wrong)


# ---------------------------------------------------------------------------- Tensor graphs
def tensor_array(d: Draws, shape, exponent: int, dtype) -> np.ndarray:
    signs = np.where(d.normal(shape) < 0, -1.0, 1.0)
    mags = np.exp(d.normal(shape) * 0.3) * 10.0**exponent
    return (signs * mags).astype(dtype)


# fmt: skip below: the step names stay a table, not one name per line
TENSOR_STEPS = (
    "+", "-", "*", "/", "+row", "*row", "@", "sum", "sum0", "mean", "exp", "log", "tanh",
    "sigmoid", "relu", "max", "max1", "softmax", "log_softmax", "reshape", "transpose",
    "index", "concatenate", "stack", "pow", "neg", "linear", "*c", "+c", "powt", "conv2d",
    "max_pool2d", "avg_pool2d", "cross_entropy", "bce",
)  # fmt: skip


def tensor_step(d: Draws, pool: list, exponent: int, dtype):
    """One random Tensor gate on (2, 3) tensors of the pool (None where it does not apply)."""
    full = [t for t in pool if t.shape == (2, 3)]
    a, b = d.choice(full), d.choice(full)
    kind = d.choice(TENSOR_STEPS)
    row = Tensor(tensor_array(d, (3,), exponent, dtype), requires_grad=True)
    square = Tensor(tensor_array(d, (3, 3), 0, dtype), requires_grad=True)
    c = float(10.0 ** d.integer(-3, 4))
    steps = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a / b,
        "+row": lambda: a + row,
        "*row": lambda: a * row,
        "@": lambda: a @ square,
        "sum": lambda: a.sum() + b * 0.5,
        "sum0": lambda: a.sum(axis=0) * b,
        "mean": lambda: a.mean(axis=1).reshape(2, 1) - b,
        "exp": lambda: (a * (1.0 / np.abs(a.data).max())).exp(),
        "log": lambda: (a * a).log(),
        "tanh": lambda: a.tanh(),
        "sigmoid": lambda: a.sigmoid(),
        "relu": lambda: a.relu(),
        "max": lambda: a.max() * b,
        "max1": lambda: a.max(axis=1).reshape(2, 1) + b,
        "softmax": lambda: a.softmax(axis=-1) * b,
        "log_softmax": lambda: a.log_softmax(axis=-1),
        "reshape": lambda: a.reshape(3, 2).reshape(2, 3),
        "transpose": lambda: a.transpose().transpose() + b,
        "index": lambda: a[:, 1].reshape(2, 1) * b,
        "concatenate": lambda: concatenate([a, b], axis=0)[1:3],
        "stack": lambda: stack([a, b], axis=0).sum(axis=0),
        "pow": lambda: a ** d.choice((2, 3)),
        "neg": lambda: -a,
        "linear": lambda: linear(a, square, row),
        "*c": lambda: a * c,
        "+c": lambda: a + c,
        "powt": lambda: (a * a + 1.0) ** (b * (1.0 / np.abs(b.data).max())),
        "conv2d": lambda: a * conv2d(image(a), Tensor(d.normal((1, 1, 2, 2)))).sum(),
        "max_pool2d": lambda: a * max_pool2d(image(a), 2, stride=1).sum(),
        "avg_pool2d": lambda: a * avg_pool2d(image(b), 2, stride=1).sum(),
        "cross_entropy": lambda: a * cross_entropy(b, [0, 2]),
        "bce": lambda: a * F.binary_cross_entropy(b.sigmoid(), Tensor(np.float64([[0, 1, 1]] * 2))),
    }
    try:
        out = steps[kind]()
    except (ArithmeticError, ValueError, FloatingPointError):
        return None
    return out if out.shape == (2, 3) and np.isfinite(out.data).all() else None


def image(t: Tensor) -> Tensor:
    """A (2, 3) tensor as a one-channel image of one example, for the 2-D gates."""
    return t.reshape(1, 1, 2, 3)


def tensor_graph(seed: int) -> tuple[Tensor, str]:
    d = Draws(seed)
    dtype = np.float32 if d.random() < 0.5 else np.float64
    top = 30 if dtype == np.float32 else 300
    exponent = d.integer(-top, top + 1)
    pool = [
        Tensor(tensor_array(d, (2, 3), exponent, dtype), requires_grad=True)
        for _ in range(d.integer(1, 3))
    ]
    if d.random() < 0.2:
        pool[0].data[0, 0] = 0.0  # relu at an exact kink
    with np.errstate(all="ignore"):
        for _ in range(d.integer(2, 6)):
            out = tensor_step(d, pool, exponent, dtype)
            if out is not None:
                pool.append(out)
    root = pool[-1].sum() if pool[-1].requires_grad else None
    return root, f"Tensor graph {seed}, {np.dtype(dtype).name}, magnitude 1e{exponent}"


class Planted:
    """A copy of a Tensor gate whose VJP for input `i` is off by 10x the tolerance along
    every direction (the scale of the gradient, or 1, added to each element)."""

    def __init__(self, node: Tensor, i: int) -> None:
        self.node, self.original = node, node.gate
        planted = copy.copy(node.gate)
        vjp = node.gate.vjp

        def wrong(g, out, *xs, **kw):
            grads = list(vjp(g, out, *xs, **kw))
            gi = np.zeros_like(xs[i]) if grads[i] is None else np.asarray(grads[i])
            shift = max(float(np.abs(gi).max()), 1.0)  # far beyond rtol and atol
            grads[i] = gi + shift
            return tuple(grads)

        planted.vjp = wrong
        node.gate = planted

    def undo(self) -> None:
        self.node.gate = self.original


# ---------------------------------------------------------------------------- the checks
def compared(report, node) -> list[int]:
    """The inputs of `node` that check_gates compared (not skipped)."""
    skipped = {f.input for f in report.skipped if f.node is node}
    return [i for i in range(len(node.parents)) if i not in skipped]


def check(build, seed: int, plant, counts: dict) -> None:
    root, what = build(seed)
    if root is None:
        return
    report = check_gates(root)
    counts["graphs"] += 1
    counts["compared"] += report.checked
    counts["skipped"] += len(report.skipped)
    assert len(report) == 0, f"false alarm in {what}:\n{report}"
    d = Draws(seed + 10**6)
    gates = [n for n in topological_order(root) if n.parents and compared(report, n)]
    if isinstance(root, Tensor):
        gates = [n for n in gates if any(p.requires_grad for p in n.parents)]
    if not gates:
        return
    node = d.choice(gates)
    inputs = [i for i in compared(report, node) if getattr(node.parents[i], "requires_grad", 1)]
    if not inputs:
        return
    i = d.choice(inputs)
    undo = plant(node, i)
    try:
        caught = check_gates(root)
    finally:
        undo()
    counts["planted"] += 1
    hits = [f for f in caught if f.node is node and f.input == i]
    assert hits, f"planted error at {node.op} input {i} not caught in {what}:\n{caught}"
    counts["caught"] += 1


def plant_value_gate(node, i):
    saved = node.local_grads
    plant_value(node, i)
    return lambda: setattr(node, "local_grads", saved)


def plant_tensor_gate(node, i):
    return Planted(node, i).undo


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_no_false_alarm_on_random_value_graphs_and_planted_errors_caught(chunk):
    counts = dict.fromkeys(("graphs", "compared", "skipped", "planted", "caught"), 0)
    per = VALUE_GRAPHS // CHUNKS
    for seed in range(chunk * per, (chunk + 1) * per):
        check(value_graph, seed, plant_value_gate, counts)
    print(f"Value chunk {chunk}: {counts}")
    assert counts["graphs"] == per and counts["planted"] > per * 0.8


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_no_false_alarm_on_random_tensor_graphs_and_planted_errors_caught(chunk):
    counts = dict.fromkeys(("graphs", "compared", "skipped", "planted", "caught"), 0)
    per = TENSOR_GRAPHS // CHUNKS
    for seed in range(chunk * per, (chunk + 1) * per):
        check(tensor_graph, seed, plant_tensor_gate, counts)
    print(f"Tensor chunk {chunk}: {counts}")
    assert counts["graphs"] > per * 0.9 and counts["planted"] > per * 0.8


@pytest.mark.parametrize(
    "build",
    [
        lambda: Value(1e8) + Value(1.0),  # numeric 0.998 for the second input before
        lambda: Value(1.0) + 1e300,  # numeric 0
        lambda: Value(1.0) - 1e300,
        lambda: Value(1e-300) * Value(1e300) + 1.0,
        lambda: (Tensor([1.0, 2.0, 3.0], requires_grad=True) + 1e9).sum(),  # numeric 0
        lambda: (Tensor(np.float32([1.0, 2.0]), requires_grad=True) * 3e30).sum(),
    ],
)
def test_an_output_much_bigger_than_the_input_is_no_false_alarm(build):
    report = check_gates(build())
    assert len(report) == 0 and report.checked >= 1, str(report)


@pytest.mark.parametrize("constant", [1234567.0, 1.0000001234, 3.14159265358979, 1e-7 + 1e-14])
def test_a_folded_constant_is_rerun_exactly_not_from_its_six_digit_name(constant):
    x = Value(0.75, "x")
    outs = [x * constant, x + constant, constant - x, x / constant, constant / x, x.max(constant)]
    for out in outs:
        report = check_gates(out, rtol=1e-9, atol=0.0)  # 6 digits would be off by ~1e-7
        assert len(report) == 0, str(report)
        assert out.gate.constant(out) == constant or out.op == "max"


def test_a_vjp_of_zeros_at_huge_inputs_is_caught_not_called_a_kink():
    forgot = gate("forgot", vjp=lambda g, out, x: (np.zeros_like(x),))(lambda x: x * 3.0)
    x = Tensor(np.array([[2.0e226, -1.0e-167, 3.0e133]]), requires_grad=True)
    report = check_gates(forgot(x).max(axis=1).sum())
    assert [f.op for f in report] == ["forgot"] and not report.skipped, str(report)
