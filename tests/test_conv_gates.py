"""The convolution and pooling gates: shapes from the lecture, finite differences, PyTorch
float64 over hypothesis-drawn sizes, strides and paddings, arg-max routing, errors."""

import numpy as np
import pytest
from gradtrace import Tensor, gradcheck, no_grad
from gradtrace.conv_gates import avg_pool2d, conv2d, max_pool2d
from gradtrace.tensor import GATES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

rng = np.random.default_rng(11)
FIXTURE_OK = HealthCheck.function_scoped_fixture  # the torch fixture holds no per-test state


# ---------------------------------------------------------------------- shapes
def test_a_28x28_image_and_a_5x5_filter_at_stride_1_give_a_24x24_feature_map():
    # lecture 14: "Size of first hidden layer with 5x5 filter applied on 28x28 image
    # (with stride=1) is 24x24"
    out = conv2d(np.zeros((1, 1, 28, 28)), np.zeros((1, 1, 5, 5)))
    assert out.shape == (1, 1, 24, 24)


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "expected"),
    [(28, 5, 1, 0, 24), (28, 5, 1, 2, 28), (7, 3, 2, 0, 3), (8, 3, 2, 1, 4), (5, 5, 1, 0, 1)],
)
def test_output_size_is_floor_of_h_plus_2p_minus_k_over_s_plus_1(
    size, kernel, stride, padding, expected
):
    # (H + 2p - k) // s + 1, as PyTorch's Conv2d documentation gives it
    out = conv2d(
        np.zeros((2, 3, size, size)), np.zeros((4, 3, kernel, kernel)), None, stride, padding
    )
    assert out.shape == (2, 4, expected, expected)


def test_pools_default_stride_is_the_kernel_size():
    x = np.zeros((1, 2, 8, 6))
    assert max_pool2d(x, 2).shape == (1, 2, 4, 3)
    assert avg_pool2d(x, (2, 3)).shape == (1, 2, 4, 2)


# ---------------------------------------------------------------------- the lecture's formula
def test_one_output_neuron_is_b_plus_the_sum_of_w_lm_times_a_j_plus_l_k_plus_m():
    # lecture 14: z_jk = b + sum_l sum_m w_lm a_(j+l)(k+m), written out by hand
    a = rng.normal(size=(1, 1, 28, 28))
    w = rng.normal(size=(1, 1, 5, 5))
    b = np.array([0.3])
    z = conv2d(a, w, b).data
    for j, k in [(0, 0), (7, 13), (23, 23)]:
        by_hand = b[0] + sum(
            w[0, 0, l, m] * a[0, 0, j + l, k + m] for l in range(5) for m in range(5)
        )
        assert z[0, 0, j, k] == pytest.approx(by_hand, rel=1e-12)


# ---------------------------------------------------------------------- finite differences
def test_conv2d_gradients_match_finite_differences():
    x = Tensor(rng.normal(size=(2, 2, 5, 4)))
    w = Tensor(rng.normal(size=(3, 2, 3, 2)))
    b = Tensor(rng.normal(size=3))
    assert gradcheck(lambda x, w, b: (conv2d(x, w, b, (2, 1), (1, 0)) ** 2).sum(), x, w, b)


def test_max_pool2d_gradients_match_finite_differences_with_overlapping_windows():
    x = Tensor(rng.normal(size=(2, 2, 5, 6)))  # distinct values: no ties for eps to break
    assert gradcheck(lambda x: (max_pool2d(x, 3, 1, 1) ** 2).sum(), x)


def test_avg_pool2d_gradients_match_finite_differences():
    x = Tensor(rng.normal(size=(2, 2, 5, 6)))
    assert gradcheck(lambda x: (avg_pool2d(x, (3, 2), (1, 2), (1, 0)) ** 2).sum(), x)


# ---------------------------------------------------------------------- against PyTorch
@st.composite
def window_settings(draw, pool=False):
    """Kernel, stride, padding (pairs) and an input size the kernel fits."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    if pool:  # PyTorch's pools take padding of at most half the kernel
        ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    else:
        ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = max(1, kh - 2 * ph) + draw(st.integers(0, 5))
    w = max(1, kw - 2 * pw) + draw(st.integers(0, 5))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return (n, c, h, w), (kh, kw), (sh, sw), (ph, pw)


def _compare(ours, theirs, torch):
    """Values and gradients of every input, after an arbitrary upstream gradient."""
    out, ref = ours
    g = rng.normal(size=out.shape)
    (out * g).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for mine, their in theirs:
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[FIXTURE_OK])
@given(window_settings(), st.integers(1, 3), st.booleans())
def test_conv2d_matches_torch(torch, setting, out_channels, with_bias):
    shape, kernel, stride, padding = setting
    x, w = rng.normal(size=shape), rng.normal(size=(out_channels, shape[1], *kernel))
    b = rng.normal(size=out_channels)
    xs = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    if not with_bias:
        xs[2] = ts[2] = None
    out = conv2d(xs[0], xs[1], xs[2], stride, padding)
    ref = torch.nn.functional.conv2d(ts[0], ts[1], ts[2], stride, padding)
    pairs = [(m, t) for m, t in zip(xs, ts, strict=True) if m is not None]
    _compare((out, ref), pairs, torch)


@settings(max_examples=40, deadline=None, suppress_health_check=[FIXTURE_OK])
@given(window_settings(pool=True), st.booleans())
def test_max_pool2d_matches_torch(torch, setting, with_ties):
    shape, kernel, stride, padding = setting
    x = rng.normal(size=shape)
    if with_ties:  # few distinct values: many windows with tied maxima
        x = np.round(x)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = max_pool2d(ours, kernel, stride, padding)
    ref = torch.nn.functional.max_pool2d(theirs, kernel, stride, padding)
    _compare((out, ref), [(ours, theirs)], torch)


@settings(max_examples=40, deadline=None, suppress_health_check=[FIXTURE_OK])
@given(window_settings(pool=True))
def test_avg_pool2d_matches_torch(torch, setting):
    shape, kernel, stride, padding = setting
    x = rng.normal(size=shape)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = avg_pool2d(ours, kernel, stride, padding)
    ref = torch.nn.functional.avg_pool2d(theirs, kernel, stride, padding)
    _compare((out, ref), [(ours, theirs)], torch)


def test_every_conv_gate_is_compared_with_torch():
    conv = {name for name, g in GATES.items() if g.forward.__module__ == conv2d.__module__}
    assert conv == {"conv2d", "max_pool2d", "avg_pool2d"}


# ---------------------------------------------------------------------- routing
def test_max_pool_routes_each_gradient_to_its_windows_first_arg_max():
    # the max gate: the whole gradient to the larger input, the first one on a tie
    x = Tensor(np.array([[[[1.0, 4.0, 2.0, 2.0], [4.0, 0.0, 2.0, 2.0]]]]), requires_grad=True)
    out = max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[4.0, 2.0]]]])
    out.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0.0, 10.0, 20.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_overlapping_max_windows_add_their_gradients_on_a_shared_arg_max():
    x = Tensor(np.array([[[[0.0, 9.0, 0.0]]]]), requires_grad=True)
    max_pool2d(x, (1, 2), stride=1).sum().backward()  # both windows pick the 9
    np.testing.assert_array_equal(x.grad, [[[[0.0, 2.0, 0.0]]]])


def test_avg_pool_shares_the_gradient_equally():
    x = Tensor(np.ones((1, 1, 2, 4)), requires_grad=True)
    avg_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 2, 4), 0.25))


def test_rows_and_columns_past_the_last_window_get_no_gradient():
    x = Tensor(rng.normal(size=(1, 1, 5, 5)), requires_grad=True)
    max_pool2d(x, 2).sum().backward()  # windows cover rows and columns 0..3
    assert not x.grad[:, :, 4, :].any() and not x.grad[:, :, :, 4].any()
    assert x.grad.sum() == 4


# ---------------------------------------------------------------------- dtype, no_grad
def test_float32_stays_float32_through_conv_and_pool():
    x = Tensor(np.ones((1, 1, 6, 6), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((2, 1, 3, 3), dtype=np.float32), requires_grad=True)
    out = max_pool2d(conv2d(x, w), 2)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_no_graph_is_recorded_under_no_grad():
    w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
    with no_grad():
        out = avg_pool2d(max_pool2d(conv2d(np.ones((1, 1, 6, 6)), w), 2), 1)
    assert out.parents == () and not out.requires_grad


def test_the_gates_are_recorded_with_their_names():
    w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
    out = avg_pool2d(max_pool2d(conv2d(np.ones((1, 1, 6, 6)), w), 2), 1)
    assert out.op == "avg_pool2d" and out.parents[0].op == "max_pool2d"
    assert out.parents[0].parents[0].op == "conv2d"


# ---------------------------------------------------------------------- errors
def test_a_kernel_that_does_not_fit_names_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"Conv2d: kernel 5x5 does not fit input 3x3 "
        r"\(with padding 0\)",
    ):
        conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="MaxPool2d: kernel 3x3 does not fit input 2x2"):
        max_pool2d(np.zeros((1, 1, 2, 2)), 3)


def test_wrong_channel_count_names_expected_and_given():
    with pytest.raises(ValueError, match="expected 3 input channels, got 1"):
        conv2d(np.zeros((1, 1, 8, 8)), np.zeros((4, 3, 3, 3)))


def test_an_input_without_a_batch_axis_is_refused_with_a_hint():
    with pytest.raises(ValueError, match=r"NCHW.*got shape \(1, 8, 8\).*reshape\(1, C, H, W\)"):
        conv2d(np.zeros((1, 8, 8)), np.zeros((4, 1, 3, 3)))


@pytest.mark.parametrize("bad", [0, -1, (2, 0), (1, 2, 3), 1.5])
def test_bad_kernel_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="kernel_size"):
        max_pool2d(np.zeros((1, 1, 4, 4)), bad)


def test_pool_padding_over_half_the_kernel_is_refused():
    with pytest.raises(ValueError, match="at most half the kernel"):
        avg_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2)


def test_bias_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\), got \(3,\)"):
        conv2d(np.zeros((1, 1, 4, 4)), np.zeros((4, 1, 3, 3)), np.zeros(3))
