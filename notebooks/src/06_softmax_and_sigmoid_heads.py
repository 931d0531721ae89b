# %% [markdown]
# # 6. Softmax and sigmoid heads: δ = a − y, and the five backprop equations
#
# *Lecture notes `001` (Dugad, lecture 13): "Backpropagation: Multi-Class Categorical
# Classification", "Backpropagation General Formalism"; `000` (lecture 14): "Backpropagation:
# Multi-Label Classification"; `002` (lecture 12): "Results in the Matrix/Vector Form".*
#
# Two output heads for classification:
#
# - **one label per input** (categorical): softmax a_n = e^{z_n} / Σ_m e^{z_m}, loss
#   J = −Σ_m y_m ln a_m with a one-hot y;
# - **several labels per input** (multi-label): a sigmoid per output a_n = σ(z_n), loss
#   J = −Σ_m [y_m ln a_m + (1 − y_m) ln(1 − a_m)].
#
# The notes derive the same, remarkably simple, gradient for both: **δ = ∂J/∂z = a − y**.

# %%
import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor, Value
from gradtrace import nn, topological_order
from gradtrace.viz import draw, explain_layers

rng = np.random.default_rng(0)

# %% [markdown]
# ## Softmax + categorical cross-entropy, following the notes' steps
#
# Softmax couples the outputs: a_m depends on every z_n. So δ_n = Σ_m ∂J/∂a_m · ∂a_m/∂z_n with
#
# - ∂J/∂a_m = −y_m / a_m,
# - ∂a_n/∂z_n = a_n(1 − a_n) (the m = n term) and ∂a_m/∂z_n = −a_m a_n (m ≠ n).
#
# The m = n term gives −y_n(1 − a_n), each m ≠ n term gives (−y_m/a_m)(−a_m a_n) = y_m a_n, and
# with Σ_m y_m = 1 the sum collapses to δ_n = a_n − y_n. Each step in NumPy, for random logits:

# %%
z = rng.normal(size=5)
y = np.eye(5)[2]                                   # the true class is 2
a = np.exp(z - z.max()) / np.exp(z - z.max()).sum()

dJ_da = -y / a                                     # step 1
da_dz = np.diag(a) - np.outer(a, a)                # steps 2 and 3: a_n(1-a_n) on the diagonal, -a_m a_n off it
delta_chain = da_dz.T @ dJ_da                      # delta_n = sum_m dJ/da_m * da_m/dz_n
print("a            =", np.round(a, 5))
print("chain rule   =", np.round(delta_chain, 5))
print("a - y        =", np.round(a - y, 5))
assert np.allclose(delta_chain, a - y, atol=1e-14)

# %% [markdown]
# Now the engines. On Values (gate by gate: exp, one sum, a reciprocal, muls, log), and on a
# Tensor with `nn.functional.cross_entropy` (which works from the logits with log-softmax):

# %%
zv = [Value(float(v), f"z{i}") for i, v in enumerate(z)]
J = -F.softmax(zv)[2].log()
J.backward()
delta_values = np.array([v.grad for v in zv])

zt = Tensor(z, requires_grad=True)
F.cross_entropy(zt, 2).backward()
print("Value engine :", np.round(delta_values, 5))
print("Tensor engine:", np.round(zt.grad, 5))
assert np.allclose(delta_values, a - y, atol=1e-14)
assert np.allclose(zt.grad, a - y, atol=1e-14)

# %% [markdown]
# For every input, not just this one: 200 random logit vectors of random widths, and a few
# extreme ones (logits of ±1000 must not overflow):

# %%
worst = 0.0
for _ in range(200):
    c = int(rng.integers(2, 10))
    z = rng.normal(scale=3, size=c)
    k = int(rng.integers(c))
    zt = Tensor(z, requires_grad=True)
    F.cross_entropy(zt, k).backward()
    a = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    worst = max(worst, np.abs(zt.grad - (a - np.eye(c)[k])).max())
zt = Tensor(np.array([1000.0, -1000.0, 0.0]), requires_grad=True)
loss = F.cross_entropy(zt, 1)
loss.backward()
print(f"largest |grad - (a - y)| over 200 random cases: {worst:.2e}")
print(f"logits (1000, -1000, 0), true class 1: loss {loss.item()}, grad {zt.grad}")
assert worst < 1e-14 and np.allclose(zt.grad, [1, -1, 0]) and loss.item() == 2000.0

# %% [markdown]
# The graph of a three-class softmax + cross-entropy on Values, after backward: the gradients
# on the three z wires (red, below) are a − y.

# %%
z3 = [Value(v, f"z{i}") for i, v in enumerate([2.0, 1.0, 0.1])]
J3 = -F.softmax(z3)[0].log()
J3.label = "J"
J3.backward()
a3 = [s.data for s in F.softmax([Value(v) for v in (2.0, 1.0, 0.1)])]
print("a - y =", np.round(np.array(a3) - [1, 0, 0], 4), "  grads:", [round(v.grad, 4) for v in z3])
assert np.allclose([v.grad for v in z3], np.array(a3) - [1, 0, 0], atol=1e-15)
draw(J3, fmt=".3f")

# %% [markdown]
# **The "−2" gates.** Each z first goes through a gate "−2": the largest score, 2, is subtracted
# before the exponential. Softmax does not change when the same number is taken from every
# score, e^(z_n − m) / Σ_m e^(z_m − m) = e^(z_n) / Σ_m e^(z_m), but with m = max z every
# exponent is ≤ 0, so e^(z − m) ≤ 1 never overflows: logits of 1000 would give e^1000 = inf
# without it (the same trick as the Tensor gate's and PyTorch's). The 2 is a constant folded
# into the gate, not a wire: its local gradient is 1, so the gradients on the z wires are
# exactly what they would be without it.

# %%
ops = {n.op for n in topological_order(J3)}
assert "-2" in ops   # z - max(z), with max(z) = 2 a constant
big = [Value(v) for v in (1000.0, 999.0, 0.0)]
J_big = -F.softmax(big)[0].log()
J_big.backward()
print(f"logits (1000, 999, 0): J = {J_big.data:.6f}, grads {[round(v.grad, 6) for v in big]}")
assert np.isfinite(J_big.data) and abs(big[0].grad - (1 / (1 + np.exp(-1)) - 1)) < 1e-12

# %% [markdown]
# ## Sigmoid heads for multi-label
#
# Here a_n depends on z_n only, so δ_n = ∂J/∂a_n · ∂a_n/∂z_n with (the notes' Eqn. 2 and 3)
#
# $$\frac{\partial J}{\partial a_n} = -\left(\frac{y_n}{a_n} - \frac{1-y_n}{1-a_n}\right)
#   = \frac{a_n - y_n}{a_n(1-a_n)}, \qquad \frac{\partial a_n}{\partial z_n} = a_n(1-a_n),$$
#
# and the a_n(1 − a_n) cancels: δ_n = a_n − y_n again, now with several y_n = 1 allowed.

# %%
z = rng.normal(size=6)
y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])          # three labels present at once
a = 1 / (1 + np.exp(-z))
dJ_da = (a - y) / (a * (1 - a))                        # Eqn. 2
delta_hand = dJ_da * a * (1 - a)                       # Eqn. 1 with Eqn. 3

zv = [Value(float(v)) for v in z]
Jv = -sum(yi * v.sigmoid().log() + (1 - yi) * (1 - v.sigmoid()).log() for v, yi in zip(zv, y))
Jv.backward()
zt = Tensor(z, requires_grad=True)
F.multilabel_cross_entropy(zt, y).backward()
print("a - y        :", np.round(a - y, 5))
print("Value engine :", np.round([v.grad for v in zv], 5))
print("Tensor engine:", np.round(zt.grad, 5))
for got in (delta_hand, np.array([v.grad for v in zv]), zt.grad):
    assert np.allclose(got, a - y, atol=1e-14)

# %% [markdown]
# ## The five backpropagation equations in matrix form
#
# The notes' notation: $W^L$ has shape (neurons in layer L−1) × (neurons in layer L), M × N,
# and h is the activation:
#
# $$\text{(1)}\quad z^L = (W^L)^T a^{L-1} + b^L \quad (a^{L-1} = x \text{ for the first layer})$$
# $$\text{(2)}\quad a^L = h(z^L)$$
# $$\text{(3)}\quad \delta^L = h'(z^L) \odot W^{L+1} \delta^{L+1}, \qquad
#   \delta^H = a^H - y \ \text{(softmax + CE, sigmoid + multi-label CE)}, \quad
#   \delta^H = (a^H - y) \odot h'(z^H) \ \text{(quadratic loss } \tfrac12\|y - a\|^2)$$
# $$\text{(4)}\quad \frac{\partial J}{\partial W^L} = a^{L-1} (\delta^L)^T$$
# $$\text{(5)}\quad \frac{\partial J}{\partial b^L} = \delta^L$$
#
# and one mini-batch step averages over its d examples:
# $W^L \leftarrow W^L - \frac{\lambda}{d} \sum_x \partial J / \partial W^L$.
# We code this by hand, example by example with column vectors exactly as written, for a
# 4-6-5-3 network with sigmoid hidden layers:

# %%
sizes = [4, 6, 5, 3]
params = {}
for L in range(1, len(sizes)):
    params[f"W{L}"] = rng.normal(scale=0.8, size=(sizes[L - 1], sizes[L]))
    params[f"b{L}"] = rng.normal(scale=0.1, size=sizes[L])
d = 8
X = rng.normal(size=(d, 4))
labels = rng.integers(0, 3, size=d)
Y_onehot = np.eye(3)[labels]
Y_multi = (rng.random(size=(d, 3)) < 0.5).astype(float)
H = len(sizes) - 1


def sigma(z):
    return 1 / (1 + np.exp(-z))


def five_equations(params, x, y, head):
    """Gradients of one example's loss by the notes' five equations (column vectors)."""
    a = {0: x.reshape(-1, 1)}
    z = {}
    for L in range(1, H + 1):                                          # Eqn. 1 and 2
        z[L] = params[f"W{L}"].T @ a[L - 1] + params[f"b{L}"].reshape(-1, 1)
        if L < H or head != "softmax":
            a[L] = sigma(z[L])
        else:
            e = np.exp(z[L] - z[L].max())
            a[L] = e / e.sum()
    y = y.reshape(-1, 1)
    delta = {}
    if head == "quadratic":                                            # Eqn. 3 at L = H
        delta[H] = (a[H] - y) * a[H] * (1 - a[H])
    else:
        delta[H] = a[H] - y
    for L in range(H - 1, 0, -1):                                      # Eqn. 3 for L < H
        delta[L] = a[L] * (1 - a[L]) * (params[f"W{L + 1}"] @ delta[L + 1])
    grads = {}
    for L in range(1, H + 1):
        grads[f"W{L}"] = a[L - 1] @ delta[L].T                        # Eqn. 4
        grads[f"b{L}"] = delta[L].ravel()                             # Eqn. 5
    return grads


def by_hand(head, Y):
    """The mini-batch gradient: (1/d) sum over the examples."""
    total = {k: np.zeros_like(v) for k, v in params.items()}
    for x, y in zip(X, Y):
        for k, g in five_equations(params, x, y, head).items():
            total[k] += g / d
    return total

# %% [markdown]
# The same network on the Tensor engine, written with rows (one example per row), so equation 1
# reads Z = A W + b; the loss is averaged over the batch, which is the notes' (1/d) Σ_x.

# %%
def by_engine(head, Y):
    P = {k: Tensor(v, requires_grad=True, label=k) for k, v in params.items()}
    A = Tensor(X)
    for L in range(1, H + 1):
        Z = A @ P[f"W{L}"] + P[f"b{L}"]
        A = Z.sigmoid() if L < H else Z
    if head == "softmax":
        loss = F.cross_entropy(A, Y)                              # one-hot rows
    elif head == "multilabel":
        loss = F.multilabel_cross_entropy(A, Y)                   # sum over labels, mean over batch
    else:
        loss = (0.5 * ((A.sigmoid() - Tensor(Y)) ** 2).sum(axis=-1)).mean()
    loss.backward()
    return {k: p.grad for k, p in P.items()}, loss.item()


for head, Y in [("softmax", Y_onehot), ("multilabel", Y_multi), ("quadratic", Y_multi)]:
    hand, (engine, loss) = by_hand(head, Y), by_engine(head, Y)
    err = max(np.abs(hand[k] - engine[k]).max() for k in params)
    scale = max(np.abs(engine[k]).max() for k in params)
    print(f"{head:>10}: loss {loss:.6f}; largest |hand - engine| over all {len(params)} "
          f"gradients {err:.1e} (gradients up to {scale:.2f})")
    assert err < 1e-14, head

# %% [markdown]
# The hand-coded equations and the engine agree to the last bits, for all three heads. Only
# equation 3's output-layer case changes from head to head; the rest of backprop is the same.
#
# ## Every δ and every gradient matrix, through the view
#
# The check above prints one number, the largest difference. `explain_layers(loss, model)`
# shows what is being compared: for each layer its z, a, δ, ∂J/∂b and ∂J/∂weight, with their
# shapes and numbers, each checked against the engine. The same 4-6-5-3 network as
# `nn.Linear` layers: a `Linear`'s weight is (out, in), the notes' $W^T$, so it gets
# `params["W1"].T`, and its gradient is the transpose of the notes' $a\,\delta^T$. Three
# examples, so every matrix fits on the page in full (a mean loss divides δ by N = 3):

# %%
def as_model(params):
    """The 4-6-5-3 sigmoid network as a Sequential, with the notes' W^L as weight = (W^L)^T."""
    model = nn.Sequential(nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 5), nn.Sigmoid(),
                          nn.Linear(5, 3))
    for L, linear in enumerate([model[0], model[2], model[4]], start=1):
        linear.weight.data[:] = params[f"W{L}"].T
        linear.bias.data[:] = params[f"b{L}"]
    return model


model = as_model(params)
X3, labels3 = X[:3], labels[:3]
loss3 = F.cross_entropy(model(X3), labels3)
loss3.backward()   # so the view can check each gradient against .grad as well
view = explain_layers(loss3, model)
view

# %% [markdown]
# The same numbers as the hand-written equations, example by example with column vectors
# (`five_equations` above), averaged over the 3 examples; each of the view's weight gradients is
# the transpose of the notes' ∂J/∂W^L (the view counts layers from 0, as the notes' equations
# do; this notebook's W1, W2, W3 are its layers 0, 1, 2):

# %%
hand3 = {k: np.zeros_like(v) for k, v in params.items()}
for x, y in zip(X3, Y_onehot[:3]):
    for k, g in five_equations(params, x, y, "softmax").items():
        hand3[k] += g / 3
for L, layer in enumerate(view.layers, start=1):
    np.testing.assert_allclose(layer.grad_weight, hand3[f"W{L}"].T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.grad_bias, hand3[f"b{L}"], rtol=1e-12, atol=1e-15)
head_layer = view.layers[-1]
probs = np.exp(head_layer.z) / np.exp(head_layer.z).sum(axis=1, keepdims=True)
np.testing.assert_allclose(head_layer.delta, (probs - Y_onehot[:3]) / 3, rtol=1e-12)
assert view.agrees
print("δ^H = (a − y)/3 =\n", np.round(head_layer.delta, 5))
print("∂J/∂W^3 (notes' layout, 5 x 3) =\n", np.round(head_layer.grad_weight.T, 5))

# %% [markdown]
# And the multi-label head on the same network, δ^H = (a − y)/N again, now with sigmoids and
# several labels per example (printed as text this time):

# %%
model.zero_grad()   # leaves keep adding across backward() calls: start again
loss_multi = F.multilabel_cross_entropy(model(X3), Y_multi[:3])
loss_multi.backward()
multi = explain_layers(loss_multi, model)
print(multi)
assert multi.agrees and multi.head.kind == "sigmoid-bce"
#
# Where the gradient is larger: δ^H for the quadratic loss carries the extra factor h'(z^H) ≤ 1/4,
# so for the same network and targets its output deltas are much smaller than a − y, and they
# vanish when an output saturates on the wrong side (notebook 5).

# %%
grads = {h: by_hand(h, Y_multi) for h in ("multilabel", "quadratic")}
norms = {h: [np.linalg.norm(g[f"W{L}"]) for L in range(1, H + 1)] for h, g in grads.items()}
fig, ax = plt.subplots(figsize=(5.5, 3))
width = 0.38
for i, (h, n) in enumerate(norms.items()):
    ax.bar(np.arange(1, H + 1) + (i - 0.5) * width, n, width, label=f"{h} loss")
ax.set_xticks(range(1, H + 1), [f"W{L}" for L in range(1, H + 1)])
ax.set_ylabel("‖∂J/∂W‖")
ax.set_title("Same network and targets, two losses on sigmoid outputs")
ax.legend()
plt.show()
