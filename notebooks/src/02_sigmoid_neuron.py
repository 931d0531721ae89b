# %% [markdown]
# # 2. The sigmoid neuron, gate by gate
#
# *Lecture notes `003` (Vipparthi, "Another example"), and `004` ("Another complex example").*
#
# The notes' second example is one neuron with a sigmoid activation,
#
# $$f(w, x) = \frac{1}{1 + e^{-(w_0 x_0 + w_1 x_1 + w_2)}}, \qquad w = (2, -3, -3),\; x = (-1, -2),$$
#
# drawn as a circuit of the smallest gates whose derivatives we know:
#
# | gate | local gradient |
# |---|---|
# | f(x) = e^x | e^x |
# | f(x) = 1/x | -1/x^2 |
# | f_a(x) = a x | a |
# | f_c(x) = c + x | 1 |
#
# Backprop is then "[local gradient] x [upstream gradient]" at every gate, from right to left.
# The slides round to two digits (0.73, -0.53, -0.20, 0.2, 0.4, -0.2, ...); we keep every digit.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Value, topological_order
from gradtrace.viz import backward_steps, draw, explain
from IPython.display import display

# %% [markdown]
# ## Forward pass by hand, one gate at a time

# %%
w0, w1, w2 = 2.0, -3.0, -3.0
x0, x1 = -1.0, -2.0

a = w0 * x0            # -2
b = w1 * x1            #  6
c = a + b              #  4
d = c + w2             #  1
e = d * -1             # -1
g = math.exp(e)        #  0.3679
h = g + 1              #  1.3679
out = 1 / h            #  0.7311
print(f"a={a} b={b} c={c} d={d} e={e} exp={g:.4f} +1={h:.4f} out={out:.10f}")

# %% [markdown]
# ## Backward pass by hand: local x upstream at every gate

# %%
d_out = 1.0
d_h = (-1 / h**2) * d_out      # 1/x gate:   -1/1.37^2 x 1      = -0.53
d_g = 1.0 * d_h                # +1 gate:     1 x -0.53          = -0.53
d_e = math.exp(e) * d_g        # exp gate:    e^-1 x -0.53       = -0.20
d_d = -1.0 * d_e               # *-1 gate:   -1 x -0.20          =  0.20
d_c = 1.0 * d_d                # add gate:    distributes 0.20 to both inputs
d_w2 = 1.0 * d_d
d_a = 1.0 * d_c
d_b = 1.0 * d_c
d_w0, d_x0 = x0 * d_a, w0 * d_a   # mul gate: each input gets the *other* input x upstream
d_w1, d_x1 = x1 * d_b, w1 * d_b
hand = {"w0": d_w0, "x0": d_x0, "w1": d_w1, "x1": d_x1, "w2": d_w2}
for gate, value in [("1/x", d_h), ("+1", d_g), ("exp", d_e), ("*-1", d_d)]:
    print(f"gradient into the {gate:>4} gate's input: {value:+.7f}")
for name, value in hand.items():
    print(f"df/d{name} = {value:+.7f}")

# %% [markdown]
# The slides print these rounded: the gradient entering the exp gate is (e^-1)(-0.53) = -0.20, the
# add gate passes 0.2 to both inputs, and at the mul gates x0 gets [2] x [0.2] = 0.4 and w0 gets
# [-1] x [0.2] = -0.2. The full-precision values, from the run above:
#
# | input | slides | exact |
# |---|---|---|
# | w0 | -0.2 | -0.1966119 |
# | x0 | 0.39 (0.4) | 0.3932239 |
# | w1 | -0.39 | -0.3932239 |
# | x1 | -0.59 | -0.5898358 |
# | w2 | 0.2 | 0.1966119 |

# %% [markdown]
# ## The same circuit in gradtrace
#
# We build it from the same primitive gates: `-v` is the gate "\*-1", `exp()`, `+ 1` is one "+1"
# gate, and `reciprocal()` is 1/x.

# %%
W0, W1, W2 = Value(w0, "w0"), Value(w1, "w1"), Value(w2, "w2")
X0, X1 = Value(x0, "x0"), Value(x1, "x1")
net = W0 * X0 + W1 * X1 + W2
f_gates = ((-net).exp() + 1).reciprocal()
f_gates.backward()
slide = {"out": "0.73", "w0": "-0.2", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.2"}
print(f"out = {f_gates.data:.10f}   (slide {slide['out']})")
for v in (W0, X0, W1, X1, W2):
    print(f"df/d{v.label} = {v.grad:+.7f}   (by hand {hand[v.label]:+.7f}; slide {slide[v.label]})")

# %% [markdown]
# The picture, with two decimals like the slide: forward values above each wire (green),
# gradients below (red). Read it right to left: 1.00, -0.53, -0.53, -0.20, 0.20, then 0.20 on
# both inputs of each add gate, and the mul gates switch: x0 gets 2 x 0.2 = 0.39, w0 gets
# -1 x 0.2 = -0.20. (`size=8`: at most 8 inches wide, the notebook's column.)

# %%
draw(f_gates, fmt=".2f", size=8)

# %% [markdown]
# The first steps of the backward pass, as the slides step through them: the seed, then the
# 1/x, +1, exp and \*-1 gates, each passing local x upstream to its input.

# %%
steps = backward_steps(f_gates, fmt=".2f", size=8)
for frame in list(steps)[:5]:
    display(frame)
print(steps.steps[3].caption)

# %%
assert abs(f_gates.data - 0.7310585786) < 1e-10
for v in (W0, X0, W1, X1, W2):
    assert abs(v.grad - hand[v.label]) < 1e-12
# the values in DESIGN.md's table (the slides' numbers to 7 digits)
expected = {"w0": -0.1966119, "x0": 0.3932239, "w1": -0.3932239, "x1": -0.5898358, "w2": 0.1966119}
for v in (W0, X0, W1, X1, W2):
    assert abs(v.grad - expected[v.label]) < 1e-7

# %% [markdown]
# ## The chain rule for each input, written out by `explain`
#
# `explain(f, wrt=w0)` writes the derivation above for the recorded circuit: the one path from the
# output back to w0 as the product of the gates' local gradients (unlabeled gates are named by
# what they do and numbered: add3 is the +1 gate, neg the \*-1 gate, exp the exp gate; f is the
# 1/x gate's output), and the same node by node, with the slides' two decimals (`fmt=".2f"`):

# %%
explain(f_gates, wrt=W0, fmt=".2f")

# %% [markdown]
# Each input has one path; here are all five, ending in the slides' numbers -0.20, 0.39, -0.39,
# -0.59 and 0.20:

# %%
for v in (W0, X0, W1, X1, W2):
    print("\n".join(explain(f_gates, wrt=v, fmt=".2f").path_lines()))

# %%
slides = {"w0": "-0.20", "x0": "0.39", "w1": "-0.39", "x1": "-0.59", "w2": "0.20"}
for v in (W0, X0, W1, X1, W2):
    ex = explain(f_gates, wrt=v, fmt=".2f")
    assert ex.path_lines()[-1].strip() == "= " + slides[v.label]
    assert abs(ex.gradient - hand[v.label]) < 1e-12 and ex.agrees
# one name per gate in every derivation: the four gates all five paths share read the same
shared = [explain(f_gates, wrt=v).path_lines()[0].split(" = ", 1)[1].split(" · ")[:4]
          for v in (W0, X0, W1, X1, W2)]
assert all(names == shared[0] for names in shared), shared
per_node = {n.name: n.gradient for n in explain(f_gates, wrt=W0).nodes}
assert abs(per_node["exp"] - d_g) < 1e-12 and abs(per_node["neg"] - d_e) < 1e-12   # -0.53, -0.20

# %% [markdown]
# ## The fused sigmoid gate
#
# The last four gates (\*-1, exp, +1, 1/x) together compute sigma(x) = 1/(1+e^-x). Its derivative
# has a famous closed form (the notes' derivation):
#
# $$\frac{d\sigma}{dx} = \frac{e^{-x}}{(1+e^{-x})^2}
#   = \left(\frac{1 + e^{-x} - 1}{1 + e^{-x}}\right)\left(\frac{1}{1+e^{-x}}\right)
#   = (1 - \sigma(x))\,\sigma(x).$$
#
# So the four gates can be one *sigmoid gate* whose local gradient is s(1 - s). At our neuron
# s = 0.73 and (1 - 0.73)(0.73) = 0.2: the same 0.2 the four gates produced one at a time.

# %%
s = out
print(f"(1 - s) s = {(1 - s) * s:.7f}   four gates gave {d_d:.7f}")
assert abs((1 - s) * s - d_d) < 1e-12

V0, V1, V2 = Value(w0, "w0"), Value(w1, "w1"), Value(w2, "w2")
U0, U1 = Value(x0, "x0"), Value(x1, "x1")
f_fused = (V0 * U0 + V1 * U1 + V2).sigmoid()
f_fused.backward()
print("fused gate:", f_fused.op, "local gradient", f_fused.local_grads)
for fused, gates in zip((V0, U0, V1, U1, V2), (W0, X0, W1, X1, W2)):
    assert abs(fused.grad - gates.grad) < 1e-12
assert abs(f_fused.data - f_gates.data) < 1e-15
n_gates, n_fused = len(topological_order(f_gates)), len(topological_order(f_fused))
print(f"nodes in the graph: {n_gates} with four gates, {n_fused} with the fused gate")
assert n_gates - n_fused == 3
draw(f_fused, fmt=".2f", show_local=True)

# %% [markdown]
# Both graphs give the same gradients; the fused one replaces four nodes by one. (gradtrace's
# `Value.sigmoid()` is that fused gate; it is also numerically stable for large |x|.)
#
# ## sigma'(x) = sigma(x)(1 - sigma(x)), everywhere
#
# One engine backward pass per point, against the closed form and a finite difference:

# %%
xs = np.linspace(-8, 8, 161)
sig = 1 / (1 + np.exp(-xs))
engine = []
for xi in xs:
    v = Value(float(xi))
    v.sigmoid().backward()
    engine.append(v.grad)
engine = np.array(engine)
step = 1e-5
finite = (1 / (1 + np.exp(-(xs + step))) - 1 / (1 + np.exp(-(xs - step)))) / (2 * step)
print("max |engine - s(1-s)|     =", np.abs(engine - sig * (1 - sig)).max())
print("max |engine - finite diff| =", np.abs(engine - finite).max())
assert np.abs(engine - sig * (1 - sig)).max() < 1e-14
assert np.abs(engine - finite).max() < 1e-9

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(xs, sig, label="sigma(x)")
ax.plot(xs, engine, label="d sigma/dx from backward()", lw=3, alpha=0.5)
ax.plot(xs, sig * (1 - sig), "k--", lw=1, label="sigma(x)(1 - sigma(x))")
ax.axvline(1.0, color="grey", lw=0.8)
ax.annotate("our neuron: x = 1, slope 0.197", (1.0, 0.1966), (2.2, 0.45),
            arrowprops={"arrowstyle": "->"})
ax.set_xlabel("x")
ax.legend(loc="upper left", fontsize=8)
ax.set_title("The sigmoid and its derivative (at most 0.25, at x = 0)")
plt.show()

# %% [markdown]
# The derivative is at most 0.25 (at x = 0) and vanishes for large |x|: a saturated sigmoid
# passes almost no gradient back. Notebook 5 shows what this does to a squared-error loss.
