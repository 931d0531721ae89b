# %% [markdown]
# # 8. The moons MLP, on the scalar engine and on the Tensor engine
#
# *The micrograd demo (Karpathy's `demo.ipynb`), which the lecture's "Neural Networks:
# Architectures" / "Setting the number of layers and their sizes" slides (`004`) point to with
# the ConvNetJS 2-D classification demo; the max-margin loss is the hinge loss of `004`'s "Loss
# functions", and the regularized total loss L = (1/N) Σ L_i + λ R(W) is the one on the same slide.*
#
# Two interleaving half-moons, 100 points; a 2-16-16-1 ReLU network; the hinge loss
# max(0, 1 − t s) with t ∈ {−1, +1} plus λ Σ w² with λ = 10⁻⁴; full-batch SGD with the learning
# rate falling from 1.0 to 0.1. We train the **same** network, from the **same** initial weights,
# once on the scalar engine (337 Values, every weight a graph node) and once on the Tensor engine
# (three `Linear` layers), and compare losses and times.

# %%
import time

import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor, topological_order
from gradtrace.nn import MLP, Linear, ReLU, Sequential, data, optim
from gradtrace.viz.plots import plot_decision_boundary
from IPython.display import display

X, y = data.make_moons(n_samples=100, noise=0.1, seed=1)
t = 2.0 * y - 1.0                                   # labels as -1 / +1 for the hinge loss
print(X.shape, np.bincount(y))

# %% [markdown]
# ## The scalar model and a copy of it as Tensors

# %%
scalar_model = MLP(2, [16, 16, 1], activation="relu", seed=1337)
print(scalar_model, "-", len(scalar_model.parameters()), "parameters")

tensor_model = Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1))
for layer, linear in zip(scalar_model.layers, [tensor_model[0], tensor_model[2], tensor_model[4]]):
    linear.weight.data[...] = [[w.data for w in neuron.w] for neuron in layer.neurons]
    linear.bias.data[...] = [neuron.b.data for neuron in layer.neurons]
print(tensor_model)
assert sum(p.data.size for p in tensor_model.parameters()) == 337

# %% [markdown]
# ## Training on the scalar engine
#
# One step = 100 forward passes through 337 weights (one per point, all in one graph), one
# backward pass, one update. The micrograd demo runs 100 steps, and so do we, on both engines.
# Each neuron's w.x + b is one fused `linear` gate (the same numbers as its mul gates and sum,
# in one node), which is what makes the scalar engine fast enough for this.

# %%
STEPS_SCALAR = STEPS = 100
LAMBDA = 1e-4


def lr_at(k):
    return 1.0 - 0.9 * k / STEPS


def scalar_step(model, k):
    scores = [model(list(x)) for x in X]
    loss = F.hinge_loss(scores, list(t)) + 2 * LAMBDA * optim.l2_penalty(model.parameters())
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr_at(k) * p.grad
    accuracy = np.mean([(s.data > 0) == (ti > 0) for s, ti in zip(scores, t)])
    return loss.data, accuracy


first_loss = F.hinge_loss([scalar_model(list(x)) for x in X], list(t))
print(f"the data loss of one step is a graph of {len(topological_order(first_loss)):,} nodes")

start = time.perf_counter()
scalar_history = [scalar_step(scalar_model, k) for k in range(STEPS_SCALAR)]
scalar_seconds = time.perf_counter() - start
print(f"scalar engine: {STEPS_SCALAR} steps in {scalar_seconds:.1f} s "
      f"({1000 * scalar_seconds / STEPS_SCALAR:.0f} ms per step); "
      f"loss {scalar_history[-1][0]:.4f}, accuracy {scalar_history[-1][1]:.0%}")

# %% [markdown]
# ## The same training on the Tensor engine
#
# The whole batch goes through each layer as one matrix product, so a step is a handful of
# NumPy calls. `optim.SGD` does the update; `2 λ · l2_penalty` is micrograd's λ Σ w².

# %%
sgd = optim.SGD(tensor_model.parameters(), lr=1.0)
Xt = Tensor(X)


def tensor_step(model, k):
    scores = model(Xt).reshape(-1)
    loss = F.hinge_loss(scores, t) + 2 * LAMBDA * optim.l2_penalty(model.parameters())
    sgd.zero_grad()
    loss.backward()
    sgd.lr = lr_at(k)
    sgd.step()
    return loss.item(), np.mean((scores.data > 0) == (t > 0))


start = time.perf_counter()
tensor_history = [tensor_step(tensor_model, k) for k in range(STEPS)]
tensor_seconds = time.perf_counter() - start
print(f"Tensor engine: {STEPS} steps in {tensor_seconds:.2f} s "
      f"({1000 * tensor_seconds / STEPS:.1f} ms per step); "
      f"loss {tensor_history[-1][0]:.4f}, accuracy {tensor_history[-1][1]:.0%}")
per_step = (scalar_seconds / STEPS_SCALAR) / (tensor_seconds / STEPS)
print(f"the Tensor engine is about {per_step:.0f} times faster per step on this machine")

# %% [markdown]
# The two engines compute the same function with the same weights, so over the 100 steps
# the losses agree to rounding error (the sums are just added in a different order):

# %%
diff = max(abs(a[0] - b[0]) for a, b in zip(scalar_history, tensor_history))
print(f"largest loss difference over the first {STEPS_SCALAR} steps: {diff:.1e}")
assert diff < 1e-9
assert tensor_history[-1][1] == 1.0             # the demo's result: every point right

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot([h[0] for h in tensor_history], label="Tensor engine")
ax.plot([h[0] for h in scalar_history], "--", lw=2, label="scalar engine")
ax.set_xlabel("step")
ax.set_ylabel("loss")
ax.set_yscale("log")
ax.legend()
ax.set_title("the same loss curve from both engines")
plt.show()

# %% [markdown]
# ## Decision boundaries
#
# `viz.plots.plot_decision_boundary` evaluates a model over a grid (without recording a graph)
# and shades the predicted class. The scalar model is called point by point, so it gets a
# coarser grid.

# %%
start = time.perf_counter()
fig_scalar = plot_decision_boundary(
    scalar_model, X, y, resolution=36,
    title=f"scalar engine, {STEPS_SCALAR} steps (accuracy {scalar_history[-1][1]:.0%})")
grid_scalar = time.perf_counter() - start
start = time.perf_counter()
fig_tensor = plot_decision_boundary(
    tensor_model, X, y, resolution=120,
    title=f"Tensor engine, {STEPS} steps (accuracy {tensor_history[-1][1]:.0%})")
grid_tensor = time.perf_counter() - start
print(f"scalar engine: {36 * 36} grid points in {grid_scalar:.2f} s;"
      f" Tensor engine: {120 * 120} points in {grid_tensor:.2f} s")
display(fig_scalar, fig_tensor)
