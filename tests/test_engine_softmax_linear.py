"""The softmax family for a row of Values (nn.functional's one softmax, built from the engine's
gates) agrees with the Tensor gates, stays finite at +-1000; `gradtrace.linear(input, weight,
bias)` means the same in both engines."""

import numpy as np
import pytest
from gradtrace import Tensor, Value, linear
from gradtrace.nn.functional import log_softmax, softmax

ROW = [2.0, -1.0, 0.5, 1000.0, -1000.0]


def _values(row):
    return [Value(x) for x in row]


def logsumexp(xs):
    """ln sum e**x_i of a row of Values, from the one softmax family: x_0 - log_softmax(x)_0."""
    return xs[0] - log_softmax(xs)[0]


def test_value_logsumexp_is_finite_at_plus_minus_1000_and_its_gradient_is_the_softmax():
    xs = _values(ROW)
    lse = logsumexp(xs)
    assert lse.data == pytest.approx(1000.0)  # e**1000 dominates: ln sum = 1000 (hand)
    lse.backward()
    t = Tensor(ROW, requires_grad=True)
    np.testing.assert_allclose([x.grad for x in xs], t.softmax().data, atol=1e-300)


def test_value_log_softmax_and_softmax_match_the_tensor_gates():
    row = [0.3, -1.2, 2.5, 0.0]
    w = np.array([1.0, -2.0, 0.5, 3.0])  # an arbitrary upstream gradient
    for values_fn, method in ((log_softmax, "log_softmax"), (softmax, "softmax")):
        xs = _values(row)
        out = values_fn(xs)
        sum(o * float(wi) for o, wi in zip(out, w, strict=True)).backward()
        t = Tensor(row, requires_grad=True)
        tout = getattr(t, method)()
        (tout * w).sum().backward()
        np.testing.assert_allclose([o.data for o in out], tout.data, rtol=1e-12)
        np.testing.assert_allclose([x.grad for x in xs], t.grad, rtol=1e-10, atol=1e-15)


def test_value_softmax_family_refuses_an_empty_row():
    with pytest.raises(ValueError, match="is empty"):
        log_softmax([])
    with pytest.raises(ValueError, match="is empty"):
        softmax([])


def test_linear_takes_input_weight_bias_in_both_engines_as_pytorch():
    x, w, b = [0.5, -1.0, 2.0], [[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]], [0.25, -0.5]
    xt = Tensor(x, requires_grad=True)
    wt, bt = Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
    out_t = linear(xt, wt, bt)  # (in,) @ (out, in).T + (out,)
    (out_t * np.array([1.0, -1.0])).sum().backward()
    xv = [Value(v) for v in x]
    for k, sign in ((0, 1.0), (1, -1.0)):  # one neuron per output row
        wv, bv = [Value(v) for v in w[k]], Value(b[k])
        out_v = linear(xv, wv, bv)
        assert out_v.data == pytest.approx(out_t.data[k])
        (out_v * sign).backward()
        np.testing.assert_allclose([v.grad for v in wv], wt.grad[k])
        assert bv.grad == bt.grad[k]
    np.testing.assert_allclose([v.grad for v in xv], xt.grad)
