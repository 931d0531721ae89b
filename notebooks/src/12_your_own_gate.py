# %% [markdown]
# # 12. Your own gate: write it, check it, break it, find it, fix it
#
# *Lecture notes `003` and `004`: every gate is a forward rule and a local gradient, and
# backward is "[local gradient] x [upstream gradient]" at every gate.*
#
# The built-in gates (add, mul, max, exp, tanh, ...) are written that way, and so is a gate
# of your own. Here we write **softplus**, f(x) = ln(1 + e^x), a smooth relu, as a gate; draw
# it; let `explain` write out the chain rule through it; then break its derivative on purpose
# and watch two checks look for the mistake: the whole-graph `gradcheck`, which can only say
# *that* a gradient is off, and `check_gates`, which says *which gate* is wrong.
#
# **By hand.** f(x) = ln(1 + e^x), so
#
# f'(x) = e^x / (1 + e^x) = 1 / (1 + e^-x) = sigmoid(x).
#
# (A classic slip is to write sigmoid(-x), the derivative of ln(1 + e^-x): that is the one we
# will plant below.)

# %%
import math

import gradtrace
import numpy as np
from gradtrace import Value, check_gates, gradcheck
from gradtrace.viz import draw, explain


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# %% [markdown]
# ## The gate
#
# `@gradtrace.gate(name)` turns a function of plain floats that returns
# `(value, local_gradients)` (one local gradient per input) into a gate that works on Values.
# The value is computed stably: ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), so e^1000 never
# appears.

# %%
@gradtrace.gate("softplus")
def softplus(x):
    """softplus: f = ln(1 + e**x); df/dx = sigmoid(x)."""
    value = max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return value, (sigmoid(x),)


# %% [markdown]
# A one-neuron example: z = w x + b, out = softplus(z), and a squared error against y = 1,
# at x = 2, w = -0.5, b = 0.5 (so z = -0.5).
#
# By hand: softplus(-0.5) = ln(1 + e^-0.5) = 0.474077, its local gradient sigmoid(-0.5) =
# 0.377541; dL/dout = 2 (out - 1) = -1.051846; so dL/dz = -1.051846 x 0.377541 = -0.397115,
# dL/dw = dL/dz x x = -0.794229 and dL/db = dL/dz = -0.397115.

# %%
def neuron(x, w, b, gate=softplus):
    wx = w * x
    z = wx + b
    out = gate(z)
    e = out - 1.0
    wx.label, z.label, out.label, e.label = "wx", "z", "out", "e"
    return e**2


x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
loss = neuron(x, w, b)
loss.label = "L"
loss.backward()
out = loss.parents[0].parents[0]  # L = e**2, e = out - 1
hand = {
    "out": math.log1p(math.exp(-0.5)),
    "local": sigmoid(-0.5),
    "dL/dw": 2 * (math.log1p(math.exp(-0.5)) - 1) * sigmoid(-0.5) * 2.0,
    "dL/db": 2 * (math.log1p(math.exp(-0.5)) - 1) * sigmoid(-0.5),
}
print(f"out = {out.data:.6f}      by hand {hand['out']:.6f}")
print(f"local gradient of softplus = {out.local_grads[0]:.6f}   by hand {hand['local']:.6f}")
print(f"dL/dw = {w.grad:.6f}    by hand {hand['dL/dw']:.6f}")
print(f"dL/db = {b.grad:.6f}    by hand {hand['dL/db']:.6f}")

# %%
assert out.op == "softplus"
assert math.isclose(out.data, hand["out"], rel_tol=1e-12)
assert math.isclose(w.grad, hand["dL/dw"], rel_tol=1e-12)
assert math.isclose(b.grad, hand["dL/db"], rel_tol=1e-12)

# %% [markdown]
# Drawn like any built-in gate: values above the wires (green), gradients below (red), and
# with `show_local=True` each gate's local gradient (blue): 0.3775 into softplus.

# %%
draw(loss, show_local=True, size=8)

# %% [markdown]
# `explain` writes the chain rule for dL/dw out, one factor per gate, softplus included:

# %%
explain(loss, wrt=w)

# %% [markdown]
# Both checks agree that this gate is right. `gradcheck` differentiates the whole function
# numerically; `check_gates` re-runs each gate on its own, nudged a little each way, and
# compares with the local gradient it recorded. An empty report means every gate agrees.

# %%
print("gradcheck:", gradcheck(neuron, 2.0, -0.5, 0.5))
report = check_gates(loss)
print(report)
assert len(report) == 0

# %% [markdown]
# ## Break it
#
# The same gate with the classic slip: sigmoid(-x) instead of sigmoid(x). At z = -0.5 it says
# 0.622459 where the true slope is 0.377541.

# %%
@gradtrace.gate("softplus")
def softplus_wrong(x):
    """softplus with a wrong derivative: sigmoid(-x), the slope of ln(1 + e**-x)."""
    value = max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return value, (sigmoid(-x),)


# %% [markdown]
# `gradcheck` notices, but all it can say is which *input* of the whole function is off:

# %%
def neuron_wrong(x, w, b):
    return neuron(x, w, b, gate=softplus_wrong)


try:
    gradcheck(neuron_wrong, 2.0, -0.5, 0.5)
except gradtrace.GradcheckError as error:
    print(error)

# %% [markdown]
# In a bigger graph that is not much of a clue: every gate between the input and the loss is a
# suspect. `check_gates` points at the gate, its input, and both numbers:

# %%
x, w, b = Value(2.0, "x"), Value(-0.5, "w"), Value(0.5, "b")
loss = neuron_wrong(x, w, b)
loss.label = "L"
loss.backward()
report = check_gates(loss)
report

# %%
finding = report[0]
print(f"gate {finding.op!r}, input {finding.input} ({finding.parent.label}):")
print(f"  backward used {finding.analytic:.6f}   sigmoid(+0.5) = {sigmoid(0.5):.6f}")
print(f"  numerically   {finding.numeric:.6f}   sigmoid(-0.5) = {sigmoid(-0.5):.6f}")
assert len(report) == 1 and finding.op == "softplus" and finding.input == 0
assert math.isclose(finding.analytic, sigmoid(0.5), rel_tol=1e-12)
assert math.isclose(finding.numeric, sigmoid(-0.5), rel_tol=1e-6)

# %% [markdown]
# And in the picture, `draw(..., check=report)` (or `check=True`) marks the gate and its wire
# in red, with backward's number and the numeric one:

# %%
draw(loss, check=report, size=8)

# %% [markdown]
# ## A bigger graph
#
# A small scalar network, two inputs, three softplus neurons, a tanh output (each neuron one
# fused `linear` gate). With the broken gate, `gradcheck` again only says which input's
# gradient is off, although nine gates lie between that input and the output:

# %%
rng = np.random.default_rng(0)
W1 = [[Value(v, f"w{i}{j}") for j, v in enumerate(row)] for i, row in enumerate(rng.normal(size=(3, 2)))]
W2 = [Value(v, f"v{i}") for i, v in enumerate(rng.normal(size=3))]


def network(x1, x2, gate=softplus):
    hidden = [gate(gradtrace.linear([x1, x2], row)) for row in W1]
    for i, h in enumerate(hidden):
        h.label = f"h{i}"
    return gradtrace.linear(hidden, W2).tanh()


def network_wrong(x1, x2):
    return network(x1, x2, gate=softplus_wrong)


try:
    gradcheck(network_wrong, 0.5, -1.2)
except gradtrace.GradcheckError as error:
    print(error)

# %% [markdown]
# `check_gates` names the three softplus gates, and only them: the linear and tanh gates
# around them pass.

# %%
x1, x2 = Value(0.5, "x1"), Value(-1.2, "x2")
y = network_wrong(x1, x2)
y.backward()
report = check_gates(y)
print(report)
assert [f.op for f in report] == ["softplus"] * 3

# %%
draw(y, check=report, size=8)

# %% [markdown]
# ## Fix it
#
# Back to sigmoid(x): the same network, and not one gate disagrees; `gradcheck` agrees too.

# %%
y = network(x1, x2)
y.backward()
report = check_gates(y)
print(report)
print("gradcheck:", gradcheck(network, 0.5, -1.2))
assert len(report) == 0

# %% [markdown]
# ## The same gate on Tensors
#
# For arrays a gate gives a vector-Jacobian product instead of a local gradient (the Jacobian
# of an elementwise gate on n numbers is n x n, almost all zeros): `vjp(g, out, x)` returns the
# gradient of the input, here g * sigmoid(x). `check_gates` cannot nudge every element of a
# big tensor, so it compares slopes along a few random directions, which a wrong VJP fails.

# %%
def softplus_vjp(g, out, x):
    return (g / (1 + np.exp(-x)),)


def softplus_vjp_wrong(g, out, x):
    return (g / (1 + np.exp(x)),)


@gradtrace.gate("softplus", vjp=softplus_vjp)
def softplus_t(x):
    """softplus on arrays: f = ln(1 + e**x), stably."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


@gradtrace.gate("softplus", vjp=softplus_vjp_wrong)
def softplus_t_wrong(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


X = gradtrace.Tensor(rng.normal(size=(4, 3)), requires_grad=True, label="X")
W = gradtrace.Tensor(rng.normal(size=(2, 3)), requires_grad=True, label="W")
for gate in (softplus_t, softplus_t_wrong):
    print(check_gates(gate(gradtrace.linear(X, W)).sum()))

# %% [markdown]
# ## Kinks are not mistakes
#
# relu has no derivative at 0, max none on a tie: the one-sided slopes differ there (1 on
# one side, 0 on the other). gradtrace picks one side (relu'(0) = 0, the first input wins a
# tie), so comparing it with a central difference would cry wolf. `check_gates` sees that the
# two one-sided differences disagree however small the step, sets such inputs apart and
# says so:

# %%
t, u = Value(0.0, "t"), Value(0.0, "u")
report = check_gates(t.relu() + t.max(u))
print(report)
assert len(report) == 0 and len(report.skipped) == 3
