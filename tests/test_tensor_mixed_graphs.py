"""The two engines agree: the lecture's 2-2-2 sigmoid network built from Tensors and built
Value by Value gives the same error, gradients and update."""

import numpy as np
from gradtrace import Tensor, Value

# The lecture's network: inputs, targets, weights w1..w8 and biases b1, b2.
X, TARGET = [0.05, 0.10], [0.01, 0.99]
W = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
B1, B2 = 0.35, 0.60


def values_net(w):
    """E = sum 1/2 (t - o)**2, every multiplication its own Value gate."""
    w = [Value(v, f"w{i + 1}") for i, v in enumerate(w)]
    h = [(w[0] * X[0] + w[1] * X[1] + B1).sigmoid(), (w[2] * X[0] + w[3] * X[1] + B1).sigmoid()]
    o = [(w[4] * h[0] + w[5] * h[1] + B2).sigmoid(), (w[6] * h[0] + w[7] * h[1] + B2).sigmoid()]
    error = sum((0.5 * (t - oi) ** 2 for t, oi in zip(TARGET, o, strict=True)), Value(0.0))
    return error, w


def tensor_net(w):
    """The same network as two matrix products."""
    w1 = Tensor(np.reshape(w[:4], (2, 2)), requires_grad=True)  # rows: h1 and h2's weights
    w2 = Tensor(np.reshape(w[4:], (2, 2)), requires_grad=True)
    h = (w1 @ np.array(X) + B1).sigmoid()
    o = (w2 @ h + B2).sigmoid()
    error = (0.5 * (np.array(TARGET) - o) ** 2).sum()
    return error, w1, w2


def test_error_and_gradients_agree_between_value_and_tensor_engines():
    e_v, ws = values_net(W)
    e_v.backward()
    e_t, w1, w2 = tensor_net(W)
    e_t.backward()
    assert np.isclose(e_t.item(), e_v.data, rtol=1e-14)
    assert np.isclose(e_t.item(), 0.298371109, atol=1e-9)  # lecture
    grads = np.concatenate([w1.grad.ravel(), w2.grad.ravel()])
    assert np.allclose(grads, [w.grad for w in ws], rtol=1e-12, atol=0)


def test_one_update_gives_the_lecture_weights():
    e_t, w1, w2 = tensor_net(W)
    e_t.backward()
    new = np.concatenate([(w1.data - 0.5 * w1.grad).ravel(), (w2.data - 0.5 * w2.grad).ravel()])
    lecture = [
        0.14978072,
        0.19956143,
        0.24975114,
        0.29950229,
        0.35891648,
        0.40866619,
        0.51130127,
        0.56137012,
    ]
    assert np.allclose(new, lecture, atol=1e-8)
    assert np.isclose(tensor_net(new)[0].item(), 0.2910277737, atol=1e-10)  # DESIGN (exact)
