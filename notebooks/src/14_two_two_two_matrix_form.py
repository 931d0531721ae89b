# %% [markdown]
# # 14. The 2-2-2 network in matrix form
#
# *Lecture notes `003` (Vipparthi): "Back Propagation In NN" … "Example of NN" (the worked
# example credited to Matt Mazur's 2015 post); `000`, `001`, `002` (Dugad): the five
# backpropagation equations, "Results in the Matrix/Vector Form"; `004`: dL/dw^[3] =
# (a − y) a^[2]ᵀ.*
#
# Notebook 04 worked the lecture's 2-2-2 network one scalar at a time: w1 … w8, net_h1, out_o1,
# δ_o1. Here is the same network the way the matrix half of the lectures writes it: one weight
# **matrix** per layer, one δ **vector** per layer, and the five equations
#
# $$z^L = (W^L)^T a^{L-1} + b^L, \qquad a^L = h(z^L),$$
# $$\delta^H = (a^H - y) \odot h'(z^H) \ \text{(squared error)}, \qquad
#   \delta^L = h'(z^L) \odot W^{L+1} \delta^{L+1},$$
# $$\frac{\partial J}{\partial b^L} = \delta^L, \qquad
#   \frac{\partial J}{\partial W^L} = a^{L-1} (\delta^L)^T .$$
#
# **One convention to keep straight.** The notes' $W^L$ is M×N (M inputs × N outputs), so
# $z = W^T a$. gradtrace's `Linear.weight`, like PyTorch's, is **(out, in)**: it *is* the notes'
# $W^T$, and a minibatch stacks examples as **rows**, so a layer computes
# `z = a @ weight.T + bias` and its gradient is $\partial J/\partial \mathrm{weight} =
# \delta^T a$ (rows: examples), the transpose of the notes' $a\,\delta^T$.

# %%
import numpy as np
from gradtrace import Tensor, Value, nn
from gradtrace.nn import functional as F
from gradtrace.viz import backward_steps, draw, explain, explain_layers

# %% [markdown]
# ## The lecture's network with the notes' weights
#
# Row n of a weight matrix holds the weights *into* neuron n: `weight[0] = (w1, w2)` feed h1,
# `weight[1] = (w3, w4)` feed h2; in the output layer `(w5, w6)` feed o1 and `(w7, w8)` o2. The
# notes give each layer one bias shared by its two neurons (b1 = 0.35, b2 = 0.60); a `Linear`
# has one per neuron, both set to that value (the notes never update the biases).

# %%
model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
model[0].weight.data[:] = [[0.15, 0.20], [0.25, 0.30]]   # w1 w2 / w3 w4
model[0].bias.data[:] = 0.35
model[2].weight.data[:] = [[0.40, 0.45], [0.50, 0.55]]   # w5 w6 / w7 w8
model[2].bias.data[:] = 0.60

x = Tensor([[0.05, 0.10]])    # one example, as a row: (1, 2)
y = Tensor([[0.01, 0.99]])
E = 0.5 * ((model(x) - y) ** 2).sum()   # the notes' E_total = Σ ½ (target − output)²
E.backward()
print(f"E = {E.item():.9f}   notes: 0.298371109")

# %% [markdown]
# ## The five equations, every δ and every gradient matrix
#
# `explain_layers(E, model)` writes the equations layer by layer (layer 0 reads x, as in the
# notes), with every vector and matrix in full, and checks each δ against the engine's own
# ∂E/∂z and each gradient against what `backward()` put in `.grad`:

# %%
layers = explain_layers(E, model)
print(layers)

# %% [markdown]
# Next to the notes' numbers (which the notes print rounded to 7-9 digits):

# %%
hidden, out = layers.layers
gw_h, gw_o = hidden.grad_weight, out.grad_weight
rows = [
    ("z^0 = (net_h1, net_h2)", hidden.z[0], "0.3775, ·"),
    ("a^0 = (out_h1, out_h2)", hidden.a[0], "0.5932699, 0.5968843"),
    ("z^1 = (net_o1, net_o2)", out.z[0], "1.105905967, ·"),
    ("a^1 = (out_o1, out_o2)", out.a[0], "0.75136507, 0.772928"),
    ("δ^1 = (δ_o1, δ_o2)", out.delta[0], "0.1384985, −0.0380983"),
    ("∂E/∂weight^1 row o1 = (w5, w6)", gw_o[0], "0.082167041, ·"),
    ("∂E/∂weight^1 row o2 = (w7, w8)", gw_o[1], "·, ·"),
    ("δ^0 = (δ_h1, δ_h2)", hidden.delta[0], "·, ·"),
    ("∂E/∂weight^0 row h1 = (w1, w2)", gw_h[0], "0.00043856, ·"),
    ("∂E/∂weight^0 row h2 = (w3, w4)", gw_h[1], "·, ·"),
]
for name, ours, notes in rows:
    print(f"{name:<32} {ours[0]:+.10f} {ours[1]:+.10f}   notes: {notes}")

# %%
notes = [(hidden.z[0, 0], "0.3775"), (hidden.a[0, 0], "0.5932699"), (hidden.a[0, 1], "0.5968843"),
         (out.z[0, 0], "1.105905967"), (out.a[0, 0], "0.75136507"), (out.a[0, 1], "0.772928"),
         (out.delta[0, 0], "0.1384985"), (out.delta[0, 1], "-0.0380983"),
         (gw_o[0, 0], "0.082167041"), (gw_h[0, 0], "0.00043856"), (E.item(), "0.298371109")]
for ours, printed in notes:   # within one unit of the last printed digit (the notes truncate)
    assert abs(ours - float(printed)) < 10.0 ** -len(printed.split(".")[1]), printed
assert layers.agrees   # every δ = the engine's dE/dz, every gradient = .grad

# %% [markdown]
# ## The same numbers as notebook 04's scalars
#
# Notebook 04 builds the network from eight `Value` weights, one gate per multiplication. The
# Tensor engine's two 2 × 2 gradient matrices hold exactly its eight numbers:

# %%
w = [Value(v) for v in (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55)]
i1, i2 = 0.05, 0.10
h1 = (w[0] * i1 + w[1] * i2 + 0.35).sigmoid()
h2 = (w[2] * i1 + w[3] * i2 + 0.35).sigmoid()
o1 = (w[4] * h1 + w[5] * h2 + 0.60).sigmoid()
o2 = (w[6] * h1 + w[7] * h2 + 0.60).sigmoid()
(0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2).backward()
scalar = np.array([v.grad for v in w])
matrix = np.concatenate([model[0].weight.grad.ravel(), model[2].weight.grad.ravel()])
for k, (s, m) in enumerate(zip(scalar, matrix), start=1):
    print(f"dE/dw{k}: scalar engine {s:+.15f}   matrix form {m:+.15f}")
np.testing.assert_allclose(matrix, scalar, rtol=1e-13)

# %% [markdown]
# ## The equations by hand, in NumPy
#
# The same five equations with nothing but NumPy, rows as examples: δ^H = (a − y) ⊙ a(1 − a)
# (the squared error's head), δ^0 = a(1 − a) ⊙ δ^1 · weight^1 (the notes' W δ), ∂E/∂weight =
# δᵀ · a_prev. Note 004 writes the output layer's as dL/dw^[3] = (a − y) a^[2]ᵀ: with the
# sigmoid's a(1 − a) folded into δ, it is this same δᵀ · a.

# %%
W1, W2 = model[0].weight.data, model[2].weight.data
a0 = 1 / (1 + np.exp(-(x.data @ W1.T + 0.35)))
a1 = 1 / (1 + np.exp(-(a0 @ W2.T + 0.60)))
d1 = (a1 - y.data) * a1 * (1 - a1)
d0 = a0 * (1 - a0) * (d1 @ W2)
print("δ^1 =", d1, "\nδ^0 =", d0, "\n∂E/∂weight^1 =\n", d1.T @ a0, "\n∂E/∂weight^0 =\n", d0.T @ x.data)
np.testing.assert_allclose(d1.T @ a0, model[2].weight.grad, rtol=1e-13)
np.testing.assert_allclose(d0.T @ x.data, model[0].weight.grad, rtol=1e-13)

# %% [markdown]
# ## The picture, with each gate's rule
#
# Every tensor here is small, so `draw` writes it in full on its wire, row by row: values above
# in green, gradients below in red, four significant digits (dE/dw1 = 0.00043856 reads
# 0.0004386). Parameters carry their `state_dict` names (`0.weight`) and inner nodes say what
# they are (`Linear 0 output`), with no label set by hand; every inner gradient is shown, with
# no `retain_grad()`. `show_local=True` writes each gate's backward rule under its input
# wires, as the lecture writes it: the linear gate's dW = δᵀ·X with its shapes
# (1, 2)ᵀ·(1, 2) = (2, 2), db = Σₙ δ, the sigmoid's δ × σ(z)(1 − σ(z)) (× is the elementwise
# product ⊙ in pictures).

# %%
picture = draw(E, show_local=True, rankdir="TB", size=9)
picture

# %%
for shown in ("0.0004386", "0.08217", "0.1385", "-0.0381", "Linear 0 output", "0.weight"):
    assert shown in picture.source, shown
assert "dW = δᵀ·X" in picture.source and "(1, 2)ᵀ·(1, 2) = (2, 2)" in picture.source

# %% [markdown]
# Stepping through backward, each frame is one gate applying its rule to the δ that came from
# above; the last one is the first layer's linear gate handing back dW = δᵀ·X:

# %%
steps = backward_steps(E, rankdir="TB", size=8)   # at most 8 inches wide: fits the column
print(steps.steps[-1].caption)
assert 'size="8,100"' in steps[len(steps) - 1].source   # every frame scaled to the column
steps[len(steps) - 1]

# %% [markdown]
# And `explain` writes the chain for one weight matrix gate by gate, each gate's rule with its
# shapes and numbers, ending in `0.weight.grad`:

# %%
e = explain(E, wrt=model[0].weight)
print(str(e).split("Gate by gate")[1].split("Note:")[0])
assert "✓ the same as the rules give" in str(e)

# %% [markdown]
# ## The five equations on a small softmax network
#
# The same view on a classifier: 3 inputs, a tanh hidden layer of 4, a softmax head over 3
# classes with categorical cross-entropy, a minibatch of 4. At the head δ^H = (a − y) / N: the
# softmax and the cross-entropy's derivatives cancel to a − y (notes `001`), and the mean
# over the N = 4 rows divides it. In Jupyter the view shows as Markdown with LaTeX:

# %%
rng = np.random.default_rng(0)
net = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 3, rng=rng))
X = rng.normal(size=(4, 3))
labels = np.array([0, 2, 1, 2])
loss = F.cross_entropy(net(X), labels)
loss.backward()
view = explain_layers(loss, net)
view

# %%
head = view.layers[-1]
a = np.exp(head.z) / np.exp(head.z).sum(axis=1, keepdims=True)
np.testing.assert_allclose(head.delta, (a - np.eye(3)[labels]) / 4, rtol=1e-12)   # (a − y)/N
np.testing.assert_allclose(view.layers[0].grad_weight, net[0].weight.grad, rtol=1e-12)
assert view.agrees and view.head.divisor == 4
