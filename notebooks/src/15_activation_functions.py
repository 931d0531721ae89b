# %% [markdown]
# # 15. Activation functions, and their gradients
#
# *Lecture notes `004`: "Activation Functions" (sigmoid, tanh, ReLU, leaky ReLU, maxout);
# "Another complex example" (σ'(x) = (1 − σ(x)) σ(x)); `003`: "Back Propagation In NN" ("a is
# activation function: Sigmoid/tanh/ReLU").*
#
# The notes list five activations:
#
# | name | f(x) | f'(x) |
# |---|---|---|
# | sigmoid | σ(x) = 1 / (1 + e^(−x)) | σ(x)(1 − σ(x)) |
# | tanh | tanh(x) | 1 − tanh²(x) |
# | ReLU | max(0, x) | 1 if x > 0, else 0 |
# | leaky ReLU | max(0.1x, x) | 1 if x > 0, else 0.1 |
# | maxout | max(w₁ᵀx + b₁, w₂ᵀx + b₂) | the gradient of the larger piece |
#
# **The leaky slope.** The notes write leaky ReLU as max(0.1x, x): slope **0.1** for negative
# inputs. PyTorch's `nn.LeakyReLU` and gradtrace's `LeakyReLU` / `F.leaky_relu` default to
# **0.01**. Both are "leaky ReLU"; to get the notes' function, ask for it:
# `LeakyReLU(slope=0.1)` or `F.leaky_relu(x, 0.1)`. This notebook uses the notes' 0.1
# everywhere and says so.

# %%
import inspect

import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor, Value
from gradtrace.nn import LeakyReLU, Maxout
from gradtrace.viz import draw
from IPython.display import display

NOTES_SLOPE = 0.1
default = inspect.signature(F.leaky_relu).parameters["negative_slope"].default
print(f"the notes' leaky slope: {NOTES_SLOPE}; gradtrace's default: {default} "
      f"(F.leaky_relu), {LeakyReLU().slope} (LeakyReLU); PyTorch's default: 0.01")
assert default == LeakyReLU().slope == 0.01

# %% [markdown]
# ## Each function beside its derivative
#
# The derivatives below are not typed in: each curve is `x.grad` after `backward()` through the
# activation on a grid of 401 points (a Tensor, so one backward pass gives all of them). The
# next cell checks them against the formulas in the table.
#
# Maxout is a layer, not a fixed function: here one unit with two pieces on a 1-D input,
# max(1.0·x + 0, −0.5·x − 0.5), set by hand. ReLU is the maxout of x and 0, leaky ReLU the
# maxout of 0.1x and x.

# %%
grid = np.linspace(-4, 4, 401)


def with_gradient(act):
    """act on the grid and d act / dx at every point, by backward()."""
    x = Tensor(grid, requires_grad=True)
    y = act(x)
    y.sum().backward()          # d(sum)/dx_i = act'(x_i): the sum adds independent outputs
    return y.data.reshape(-1), x.grad.reshape(-1)


maxout = Maxout(1, 1, pieces=2)
maxout.linear.weight.data[:] = [[1.0], [-0.5]]
maxout.linear.bias.data[:] = [0.0, -0.5]

activations = {
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "ReLU": F.relu,
    "leaky ReLU (0.1)": lambda x: F.leaky_relu(x, NOTES_SLOPE),
    "maxout": lambda x: maxout(x.reshape(-1, 1)),
}
curves = {name: with_gradient(act) for name, act in activations.items()}

fig, axes = plt.subplots(1, 5, figsize=(12, 2.8), sharex=True)
for ax, (name, (f, df)) in zip(axes, curves.items()):
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.plot(grid, f, color="#2e7d32", lw=2, label="f(x)")
    ax.plot(grid, df, color="#c62828", lw=1.6, ls="--", label="f'(x)")
    ax.set_title(name, fontsize=10)
    ax.set_xlabel("x")
axes[0].legend(fontsize=8, loc="upper left")
fig.suptitle("activations (green) and their derivatives by backward() (red, dashed)", y=1.03)
plt.tight_layout()
plt.show()

# %%
s = 1 / (1 + np.exp(-grid))
formulas = {
    "sigmoid": (s, s * (1 - s)),
    "tanh": (np.tanh(grid), 1 - np.tanh(grid) ** 2),
    "ReLU": (np.maximum(0, grid), (grid > 0).astype(float)),
    "leaky ReLU (0.1)": (np.maximum(NOTES_SLOPE * grid, grid), np.where(grid > 0, 1, NOTES_SLOPE)),
    "maxout": (np.maximum(grid, -0.5 * grid - 0.5), np.where(grid > -1 / 3, 1.0, -0.5)),
}
print("            f'(-2)   f'(0)   f'(2)     (by backward; formula agrees at all 401 points)")
for name, (f, df) in curves.items():
    f_formula, df_formula = formulas[name]
    kink = np.isclose(grid, -1 / 3) if name == "maxout" else np.zeros_like(grid, bool)
    assert np.allclose(f, f_formula, atol=1e-12)
    assert np.allclose(df[~kink], df_formula[~kink], atol=1e-12), name
    at = {x: df[np.argmin(abs(grid - x))] for x in (-2, 0, 2)}
    print(f"{name:>17} {at[-2]:8.4f} {at[0]:7.4f} {at[2]:7.4f}")

# %% [markdown]
# What the derivatives say for learning:
#
# - **sigmoid**: at most 0.25 (at x = 0) and nearly 0 for |x| > 4: every sigmoid a gradient
#   passes through multiplies it by at most 0.25, so deep sigmoid networks learn slowly in
#   their first layers (vanishing gradients).
# - **tanh**: at most 1, centred at 0, but it saturates like the sigmoid.
# - **ReLU**: exactly 1 for x > 0, so the gradient passes unchanged; exactly 0 for x < 0, so a
#   unit whose input stays negative gets no gradient at all and stops learning. At x = 0 the
#   derivative is taken as 0 (gradtrace and PyTorch agree).
# - **leaky ReLU**: 1 for x > 0 and the slope (0.1 in the notes) for x < 0, so a negative unit
#   still learns. At x = 0 gradtrace gives the slope, as PyTorch does.
# - **maxout**: the gradient of whichever piece is larger; it learns its own shape.
#
# ## Each one as a gate in a graph
#
# One neuron, z = w·x + b with w = 2, x = −1, b = 0.5, so z = −1.5 (a negative input, where the
# five differ most), followed by each activation. `show_local=True` writes each gate's local
# gradient in blue under its input wire: the activation's derivative at z = −1.5 is that blue
# number, and the gradient under z is it times the upstream 1.

# %%
def neuron(act_name):
    """z = w x + b, then the activation; backward() from its output."""
    x, w, b = Value(-1.0, "x"), Value(2.0, "w"), Value(0.5, "b")
    z = w * x + b
    z.label = "z"
    if act_name == "sigmoid":
        a = z.sigmoid()
    elif act_name == "tanh":
        a = z.tanh()
    elif act_name == "ReLU":
        a = z.relu()
    elif act_name == "leaky ReLU":
        a = z.max(NOTES_SLOPE * z)            # the notes' max(0.1x, x), as gates
    else:                                       # maxout, two pieces of x
        w2, b2 = Value(-0.5, "w2"), Value(-0.5, "b2")
        z2 = w2 * x + b2
        z2.label = "z2"
        a = z.max(z2)
    a.label = "a"
    a.backward()
    return a, z, w


local = {}
for name in ["sigmoid", "tanh", "ReLU"]:
    a, z, w = neuron(name)
    local[name] = z.grad
    print(f"{name}: a = {a.data:.4f}, da/dz = {z.grad:.4f}, da/dw = {w.grad:.4f}")
    display(draw(a, show_local=True, title=f"{name} gate", size=8))

# %%
s15 = 1 / (1 + np.exp(1.5))
assert abs(local["sigmoid"] - s15 * (1 - s15)) < 1e-15      # σ(z)(1 − σ(z)) at z = −1.5
assert abs(local["tanh"] - (1 - np.tanh(-1.5) ** 2)) < 1e-15
assert local["ReLU"] == 0.0                                 # a negative input: no gradient

# %% [markdown]
# ReLU at z = −1.5 sends back nothing: w and x get gradient 0. The notes' leaky ReLU,
# max(0.1x, x), drawn as the notes write it: z feeds a `*0.1` gate and the `max` gate directly,
# and the max gate routes the whole gradient to its larger input, 0.1z = −0.15 (the max gate is
# a router). z's two branches bring back 0.1 and 0, which add to 0.1 (gradients add at
# branches): the slope.

# %%
a, z, w = neuron("leaky ReLU")
print(f"leaky ReLU (notes' 0.1): a = {a.data:.4f}, da/dz = {z.grad:.4f}, da/dw = {w.grad:.4f}")
display(draw(a, show_local=True, title="leaky ReLU as max(0.1z, z)", size=8))
assert abs(a.data - (-0.15)) < 1e-15 and abs(z.grad - NOTES_SLOPE) < 1e-15

# %% [markdown]
# gradtrace's `F.leaky_relu` gives the same numbers with one gate (a multiplication by the slope
# picked from the sign of z), and with its default slope it gives PyTorch's:

# %%
for slope in (NOTES_SLOPE, 0.01):
    z = Value(-1.5, "z")
    a = F.leaky_relu(z, slope)
    a.backward()
    print(f"F.leaky_relu(z = -1.5, {slope}): a = {a.data:+.4f}, da/dz = {z.grad:.4f}")
    assert abs(z.grad - slope) < 1e-15

# %% [markdown]
# Maxout with two pieces, z = 2x + 0.5 = −1.5 and z2 = −0.5x − 0.5 = 0: the max gate routes the
# gradient to the larger piece, z2, so w2 and b2 learn and w and b get nothing this time.

# %%
a, z, w = neuron("maxout")
print(f"maxout: a = {a.data:.4f}, da/dz = {z.grad:.4f}, da/dw = {w.grad:.4f}")
display(draw(a, show_local=True, title="maxout: max(w x + b, w2 x + b2)", size=8))
assert a.data == 0.0 and z.grad == 0.0
