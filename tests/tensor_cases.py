"""One hypothesis strategy per Tensor gate: a function of Tensors exercising the gate, and
inputs that keep it differentiable (no ties for max, no zeros for relu or division).

Shared by the finite-difference tests and the PyTorch tests; a gate of the table without an
entry here makes `test_every_gate_has_a_case` fail.
"""

from __future__ import annotations

import numpy as np
from gradtrace import (
    Tensor,
    avg_pool2d,
    concatenate,
    conv2d,
    cross_entropy,
    linear,
    max_pool2d,
    stack,
)
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
NONEMPTY = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
PAIRS = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)


def values(draw, shape, lo=-2.0, hi=2.0):
    """A float64 array of `shape` with elements in [lo, hi]."""
    elements = st.floats(lo, hi, allow_nan=False, allow_subnormal=False)
    return draw(hnp.arrays(np.float64, shape, elements=elements))


def away_from_zero(draw, shape, lo=0.3, hi=2.0):
    """Elements in [lo, hi] with a random sign."""
    return values(draw, shape, lo, hi) * draw(
        hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    )


def distinct(draw, shape):
    """Elements at least 0.1 apart, so the arg-max is unique and stays put under eps."""
    n = int(np.prod(shape))
    ints = draw(st.lists(st.integers(-60, 60), min_size=n, max_size=n, unique=True))
    return np.array(ints, dtype=np.float64).reshape(shape) / 10


def axis_choice(draw, ndim):
    """None, an int (maybe negative) or a tuple of distinct axes."""
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or ndim == 0:
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))


def _binary(fn, lo_b=None):
    def make(draw):
        sa, sb = draw(PAIRS).input_shapes
        a = values(draw, sa)
        b = away_from_zero(draw, sb) if lo_b else values(draw, sb)
        return fn, [a, b]

    return make


def _unary(fn, make_values=values, shapes=SHAPES):
    def make(draw):
        return fn, [make_values(draw, draw(shapes))]

    return make


def _power(draw):
    sa, sb = draw(PAIRS).input_shapes
    return (lambda a, b: a**b), [values(draw, sa, 0.5, 2.0), values(draw, sb)]


def _pow(draw):
    n = draw(st.sampled_from([0, 1, 2, 3, -1, 0.5, 1.5]))
    return (lambda x: x**n), [values(draw, draw(SHAPES), 0.5, 2.0)]


def _matmul(draw):
    n, k, m, b = (draw(st.integers(1, 4)) for _ in range(4))
    shapes = draw(
        st.sampled_from(
            [
                ((k,), (k,)),
                ((n, k), (k,)),
                ((k,), (k, m)),
                ((n, k), (k, m)),
                ((b, n, k), (k, m)),
                ((k,), (b, k, m)),
                ((b, n, k), (k,)),
                ((2, 1, n, k), (b, k, m)),
            ]
        )
    )
    return (lambda x, y: x @ y), [values(draw, s) for s in shapes]


def _reduction(method, make_values=values):
    def make(draw):
        x = make_values(draw, draw(SHAPES))
        axis, keepdims = axis_choice(draw, x.ndim), draw(st.booleans())
        return (lambda t: getattr(t, method)(axis=axis, keepdims=keepdims)), [x]

    return make


def _softmax(method):
    def make(draw):
        x = values(draw, draw(NONEMPTY), -5, 5)
        axis = draw(st.integers(-x.ndim, x.ndim - 1))
        return (lambda t: getattr(t, method)(axis=axis)), [x]

    return make


def _linear(draw):
    """x (..., in) @ w.T + b, with or without the bias; x 1-D, 2-D or a batch of matrices."""
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    lead = draw(st.sampled_from([(), (3,), (2, 3)]))
    arrays = [values(draw, (*lead, n_in)), values(draw, (n_out, n_in))]
    if draw(st.booleans()):
        arrays.append(values(draw, (n_out,)))
    return (lambda *ts: linear(*ts)), arrays


def _cross_entropy(draw):
    """Logits (..., C) against class indices (...), every reduction."""
    shape = draw(NONEMPTY)
    x = values(draw, shape, -5, 5)
    classes = hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, shape[-1] - 1))
    target, reduction = draw(classes), draw(st.sampled_from(["mean", "sum", "none"]))
    return (lambda t: cross_entropy(t, target, reduction)), [x]


def _reshape(draw):
    x = values(draw, draw(SHAPES))
    target = draw(st.sampled_from([(-1,), tuple(reversed(x.shape)), (1, x.size)]))
    return (lambda t: t.reshape(*target)), [x]


def _transpose(draw):
    x = values(draw, draw(SHAPES))
    axes = draw(st.permutations(range(x.ndim)))
    return (lambda t: t.transpose(*axes)), [x]


def _index(draw):
    x = values(draw, draw(NONEMPTY))
    n = x.shape[0]
    kind = draw(st.sampled_from(["int", "slice", "mask", "repeats", "tuple"]))
    if kind == "int":
        index = draw(st.integers(-n, n - 1))
    elif kind == "slice":
        index = slice(draw(st.integers(0, n)), None, draw(st.sampled_from([1, 2, -1])))
    elif kind == "mask":
        index = draw(hnp.arrays(bool, x.shape))
    elif kind == "repeats":  # an element picked twice gets both gradients
        index = np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6)))
    else:
        index = (Ellipsis, draw(st.integers(0, x.shape[-1] - 1)))
    return (lambda t: t[index]), [x]


def _concatenate(draw):
    shape = draw(NONEMPTY)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        parts.append(values(draw, tuple(s)))
    return (lambda *ts: concatenate(ts, axis=axis)), parts


def _stack(draw):
    shape = draw(SHAPES)
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    parts = [values(draw, shape) for _ in range(draw(st.integers(1, 3)))]
    return (lambda *ts: stack(ts, axis=axis)), parts


def _conv2d(draw):
    """NCHW images and filters, with or without the bias, every stride and padding."""
    n, c, o, k = (draw(st.integers(1, 2)) for _ in range(4))
    k += 1  # a 2x2 or 3x3 kernel
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    size = draw(st.integers(k, 5))
    arrays = [values(draw, (n, c, size, size)), values(draw, (o, c, k, k))]
    if draw(st.booleans()):
        arrays.append(values(draw, (o,)))
    return (lambda *ts: conv2d(*ts[:2], ts[2] if len(ts) > 2 else None, stride, padding)), arrays


def _pool(pool, make_values=values):
    def make(draw):
        k, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        padding = draw(st.integers(0, k // 2))
        size = draw(st.integers(k, 5))
        x = make_values(draw, (draw(st.integers(1, 2)), draw(st.integers(1, 2)), size, size))
        return (lambda t: pool(t, k, stride, padding)), [x]

    return make


CASES = {
    "+": _binary(lambda a, b: a + b),
    "-": _binary(lambda a, b: a - b),
    "*": _binary(lambda a, b: a * b),
    "/": _binary(lambda a, b: a / b, lo_b=True),
    "**": _power,
    "@": _matmul,
    "neg": _unary(lambda x: -x),
    "pow": _pow,
    "exp": _unary(lambda x: x.exp()),
    "log": _unary(lambda x: x.log(), lambda draw, s: values(draw, s, 0.2, 3.0)),
    "tanh": _unary(lambda x: x.tanh()),
    "sigmoid": _unary(lambda x: x.sigmoid(), lambda draw, s: values(draw, s, -6, 6)),
    "relu": _unary(lambda x: x.relu(), away_from_zero),
    "sum": _reduction("sum"),
    "mean": _reduction("mean"),
    "max": _reduction("max", distinct),
    "softmax": _softmax("softmax"),
    "log_softmax": _softmax("log_softmax"),
    "linear": _linear,
    "cross_entropy": _cross_entropy,
    "reshape": _reshape,
    "transpose": _transpose,
    "index": _index,
    "concatenate": _concatenate,
    "stack": _stack,
    "conv2d": _conv2d,
    "max_pool2d": _pool(max_pool2d, distinct),
    "avg_pool2d": _pool(avg_pool2d),
}


def weighted(fn, arrays):
    """fn followed by a fixed random weighting of its output, so that no gradient is trivially
    zero (the sum of a softmax is always 1)."""
    out = fn(*[Tensor(a) for a in arrays])
    w = np.random.default_rng(0).normal(size=out.shape)
    return lambda *ts: fn(*ts) * w
