# %% [markdown]
# # 17. The 3-layer network with a BCE loss, and its shapes
#
# *Lecture notes `004`: "Backpropagation" (the 3-layer network: w_m^[n], b_m^[n], z_m^[n],
# a_m^[n]; "Number of parameters?"), "Matrix notation" (the shapes 3x1 = 3xD · Dx1 + 3x1, ...),
# "Let's find the update for the third layer" (BCE), "Put everything together"
# (∂L/∂w^[3] = (a_1^[3] − y) a^[2]ᵀ).*
#
# The notes' network: D inputs, two hidden layers of 3 sigmoid neurons, one sigmoid output,
# binary cross-entropy. In the notes' matrix notation, with x a column:
#
# | layer | forward | shapes |
# |---|---|---|
# | 1 | z^[1] = w^[1] x + b^[1], a^[1] = σ(z^[1]) | 3x1 = 3xD · Dx1 + 3x1 |
# | 2 | z^[2] = w^[2] a^[1] + b^[2], a^[2] = σ(z^[2]) | 3x1 = 3x3 · 3x1 + 3x1 |
# | 3 | z^[3] = w^[3] a^[2] + b^[3], ŷ = a^[3] = σ(z^[3]) | 1x1 = 1x3 · 3x1 + 1x1 |
#
# gradtrace's `Linear(in, out).weight` has shape (out, in), the notes' w^[n] exactly (note 004
# writes z = w x; notes 000-002 write z = Wᵀa with W of shape in x out, see notebook 06). A
# sample is a row, so x is (1, D) and z^[n] is (1, 3): the notes' columns, transposed.
# Here D = 4. Each shape is printed beside the notes' (the notes' column is gradtrace's row).

# %%
import gradtrace.nn.functional as F
import numpy as np
from gradtrace import Tensor
from gradtrace.nn import Linear, Sequential, Sigmoid
from gradtrace.viz import explain_layers

D = 4
rng = np.random.default_rng(4)
model = Sequential(Linear(D, 3, rng=rng), Sigmoid(), Linear(3, 3, rng=rng), Sigmoid(),
                   Linear(3, 1, rng=rng), Sigmoid())
x = Tensor([[0.5, -1.2, 0.3, 2.0]])
y = np.array([[1.0]])

n_params = sum(p.data.size for p in model.parameters())
print(f"Number of parameters? (3·D + 3) + (3·3 + 3) + (1·3 + 1) = {3 * D + 3} + 12 + 4 = {n_params}")
assert n_params == 3 * D + 3 + 3 * 3 + 3 + 3 + 1 == 31

# %% [markdown]
# ## Forward, with every shape
#
# The BCE loss for one example, L = −(y log ŷ + (1 − y) log(1 − ŷ)). (The notes' first BCE
# slide drops the leading minus sign; their BCE-gradient slide has it.)

# %%
z1 = model[0](x); a1 = model[1](z1)           # noqa: E702
z2 = model[2](a1); a2 = model[3](z2)          # noqa: E702
z3 = model[4](a2); a3 = model[5](z3)          # noqa: E702
loss = F.binary_cross_entropy(a3, y)
for t in (z1, z2, z3):
    t.retain_grad()                             # keep the inner gradients dL/dz for below
loss.backward()
notes_shape = {"x": "Dx1", "z[1]": "3x1", "a[1]": "3x1", "z[2]": "3x1", "a[2]": "3x1",
               "z[3]": "1x1", "a[3] = ŷ": "1x1"}
print("             gradtrace  notes   values")
for name, t in [("x", x), ("z[1]", z1), ("a[1]", a1), ("z[2]", z2), ("a[2]", a2),
                ("z[3]", z3), ("a[3] = ŷ", a3)]:
    print(f"{name:>9}    {str(t.shape):9}  {notes_shape[name]:6}  {np.array2string(t.data, precision=4)}")
    assert t.shape[::-1] == ((D if name == "x" else int(notes_shape[name][0])), 1)
print(f"L = {float(loss.data):.6f}  (y = 1)")

# %% [markdown]
# ## The third layer: ∂L/∂w^[3] = (a^[3] − y) a^[2]ᵀ
#
# The notes split ∂L/∂w^[3] into three factors:
#
# - ∂L/∂a^[3] = −y/a^[3] + (1 − y)/(1 − a^[3]) (the notes' first line writes "− (1 − y)…"; the
#   sign is + once the minus of the loss is carried, as their next slide has it);
# - ∂a^[3]/∂z^[3] = σ(z^[3])(1 − σ(z^[3])) = a^[3](1 − a^[3]);
# - ∂z^[3]/∂w^[3] = a^[2]ᵀ.
#
# The first two multiply to a^[3] − y: the a(1 − a) cancels. Each factor, by hand, beside what
# backward() left in `.grad`:

# %%
a, a2v = float(a3.data[0, 0]), a2.data            # a^[3] and a^[2] (as a row: a^[2]ᵀ)
dL_da = -y[0, 0] / a + (1 - y[0, 0]) / (1 - a)
da_dz = a * (1 - a)
delta3 = dL_da * da_dz
dW3 = delta3 * a2v                                  # (a − y) a^[2]ᵀ, shape 1x3
print(f"dL/da[3]  = {dL_da:+.6f}")
print(f"da[3]/dz[3] = a(1 - a) = {da_dz:.6f}")
print(f"dL/dz[3]  = their product = {delta3:+.6f};  a[3] - y = {a - y[0, 0]:+.6f};  "
      f"backward: {float(z3.grad[0, 0]):+.6f}")
print(f"dL/dw[3] = (a[3] - y) a[2]^T = {np.array2string(dW3, precision=6)}")
print(f"backward:  w[3].grad         = {np.array2string(model[4].weight.grad, precision=6)}")
assert abs(delta3 - (a - y[0, 0])) < 1e-15 and abs(delta3 - z3.grad[0, 0]) < 1e-15
assert np.allclose(dW3, model[4].weight.grad, rtol=0, atol=1e-15)

# %% [markdown]
# The notes add: "the output of derivative should be the same as w". In their matrix notation
# w^[3] is 1x3 (z^[3] = w^[3] a^[2]: 1x1 = 1x3 · 3x1), and (a − y) a^[2]ᵀ is (1x1)(1x3) = 1x3:
# the same shape. (The slide calls w "3x1": the three weights of the single neuron, w_1^[3], as a
# column; its gradient, a^[2] (a − y), is then 3x1 too. Either way a gradient has its weight's
# shape.)
#
# ## Layers 2 and 1, by the chain rule in matrix form
#
# Going back one layer multiplies by w^[n]ᵀ and by σ' elementwise (⊙):
#
# - δ^[3] = a^[3] − y (1x1), ∂L/∂w^[3] = δ^[3] a^[2]ᵀ, ∂L/∂b^[3] = δ^[3];
# - δ^[2] = (w^[3]ᵀ δ^[3]) ⊙ a^[2](1 − a^[2]) (3x1), ∂L/∂w^[2] = δ^[2] a^[1]ᵀ (3x3);
# - δ^[1] = (w^[2]ᵀ δ^[2]) ⊙ a^[1](1 − a^[1]) (3x1), ∂L/∂w^[1] = δ^[1] xᵀ (3xD).
#
# In NumPy, with the notes' columns (`.T` turns gradtrace's rows into them):

# %%
col = lambda t: t.data.T                                    # noqa: E731  a row -> the notes' column
W = {n: model[2 * n - 2].weight.data for n in (1, 2, 3)}    # the notes' w^[n], (out, in)
d3 = col(a3) - y.T                                          # 1x1
d2 = (W[3].T @ d3) * col(a2) * (1 - col(a2))                # 3x1
d1 = (W[2].T @ d2) * col(a1) * (1 - col(a1))                # 3x1
hand = {3: (d3, d3 @ col(a2).T), 2: (d2, d2 @ col(a1).T), 1: (d1, d1 @ col(x).T)}

notes_w = {1: "3xD", 2: "3x3", 3: "1x3"}
print("layer  weight w^[n] (notes)   dL/dw^[n]   bias b^[n]   dL/db^[n]   delta^[n]")
for n in (3, 2, 1):
    layer = model[2 * n - 2]
    delta, dW = hand[n]
    print(f"  {n}     {str(layer.weight.shape):7} ({notes_w[n]})      {str(dW.shape):11} "
          f"{str(layer.bias.shape):12} {str(delta[:, 0].shape):11} {delta.shape}")
    assert dW.shape == layer.weight.shape == layer.weight.grad.shape
    assert np.allclose(dW, layer.weight.grad, rtol=0, atol=1e-15)
    assert np.allclose(delta[:, 0], layer.bias.grad, rtol=0, atol=1e-15)
print("\nevery gradient by the chain rule equals backward()'s .grad, in its weight's shape")

# %% [markdown]
# Each gradient has exactly its parameter's shape (3x4, 3x3, 1x3 for the weights; 3, 3, 1 for
# the biases), which is how one checks a matrix derivation before trusting it.
#
# The numbers, layer by layer:

# %%
for n in (3, 2, 1):
    print(f"dL/dw[{n}] =\n{np.array2string(hand[n][1], precision=5)}")

# %% [markdown]
# ## The same through `explain_layers`
#
# `gradtrace.viz.explain_layers` writes the five backprop equations of notes 000-002 for a
# `Sequential` like this one, every δ and gradient checked against the engine. It uses those
# notes' M×N convention (z = Wᵀa), so its W is the transpose of note 004's w; it says so.

# %%
loss = F.binary_cross_entropy(model(x), y)
model.zero_grad()
loss.backward()
layers = explain_layers(loss, model)
for n, layer in zip((1, 2, 3), layers.layers):
    assert np.allclose(layer.grad_weight, hand[n][1], rtol=0, atol=1e-15)
layers
