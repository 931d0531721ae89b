# %% [markdown]
# # 13. Graduating to PyTorch
#
# gradtrace is for seeing backpropagation; PyTorch is for running it on GPUs and across
# machines. This notebook makes the step a continuation instead of a restart:
#
# 1. train a small digits classifier in gradtrace,
# 2. move it to PyTorch (`model.to_torch()`), check it predicts the same, and train on there,
# 3. move it back (`gradtrace.nn.from_torch`),
# 4. draw a PyTorch graph in the lecture's style, beside the same graph built in gradtrace
#    (`gradtrace.viz.trace_torch`), and a bare PyTorch tensor with what PyTorch kept.
#
# PyTorch is an optional extra: `pip install "gradtrace[torch]"`.

# %%
import gradtrace.nn.functional as F
import numpy as np
import torch
from gradtrace import Value
from gradtrace.nn import Linear, ReLU, Sequential, fit, from_torch, predict
from gradtrace.nn.data import batches, load_digits, train_test_split
from gradtrace.nn.optim import SGD
from gradtrace.viz import draw, network, trace_torch
from gradtrace.viz.dot import to_bytes
from IPython.display import HTML, display

torch.set_default_dtype(torch.float64)  # gradtrace's default, so the numbers agree exactly

# %% [markdown]
# ## 1. Train in gradtrace
#
# The 8x8 digits, a 64-32-10 network with ReLU, cross-entropy, SGD with momentum: two epochs.

# %%
X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, seed=0, stratify=y)
model = Sequential(Linear(64, 32, seed=0), ReLU(), Linear(32, 10, seed=1))
history = fit(model, F.cross_entropy, X_train, y_train, epochs=2, seed=0, progress=False,
              optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9))
accuracy_here = (predict(model.eval(), X_test) == y_test).mean()
print(f"gradtrace: loss {history['loss'][-1]:.4f}, held-out accuracy {accuracy_here:.2%}")

# %% [markdown]
# ## 2. Move it to PyTorch
#
# `to_torch()` builds the equivalent `torch.nn` module and copies the weights (float64 stays
# float64). The state-dict names are PyTorch's already: a Sequential's children are "0", "1",
# "2", and a Linear has `weight` of shape (out, in) and `bias`.

# %%
tmodel = model.to_torch()
print(tmodel)
print({k: tuple(v.shape) for k, v in tmodel.state_dict().items()})
assert list(tmodel.state_dict()) == list(model.state_dict())

# %% [markdown]
# The same outputs to 1e-12, so the same predictions and the same held-out accuracy:

# %%
with torch.no_grad():
    logits = tmodel(torch.tensor(X_test))
gap = np.abs(logits.numpy() - model(X_test).data).max()
accuracy_torch = (logits.argmax(dim=1).numpy() == y_test).mean()
print(f"largest difference in the logits: {gap:.1e}; torch accuracy {accuracy_torch:.2%}")
assert gap < 1e-12 and accuracy_torch == accuracy_here

# %% [markdown]
# ## Train on in PyTorch
#
# A first batch shows the loss goes on from where gradtrace left it: the same number in both.
# Then three more epochs with `torch.optim.SGD`, from the same weights.

# %%
xb, yb = X_train[:64], y_train[:64]
loss_here = F.cross_entropy(model.train()(xb), yb).data
loss_torch = torch.nn.functional.cross_entropy(tmodel.train()(torch.tensor(xb)), torch.tensor(yb))
print(f"loss on one batch: gradtrace {float(loss_here):.12f}, torch {loss_torch.item():.12f}")
assert abs(float(loss_here) - loss_torch.item()) < 1e-12

opt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
for epoch in range(3):
    losses = []
    for Xb, yb_ in batches(X_train, y_train, batch_size=32, seed=epoch + 10):
        loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(Xb)), torch.tensor(yb_))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(f"torch epoch {epoch + 1}: mean loss {np.mean(losses):.4f}")
tmodel.eval()
with torch.no_grad():
    accuracy_torch = (tmodel(torch.tensor(X_test)).argmax(dim=1).numpy() == y_test).mean()
print(f"held-out accuracy after training on in torch: {accuracy_torch:.2%}")

# %% [markdown]
# ## 3. And back to gradtrace
#
# `from_torch` does the reverse, with the same checks: the weights come back exactly.

# %%
back = from_torch(tmodel)
print(back)
accuracy_back = (predict(back, X_test) == y_test).mean()
print(f"gradtrace again: held-out accuracy {accuracy_back:.2%}")
assert accuracy_back == accuracy_torch
assert np.array_equal(back[0].weight.data, tmodel[0].weight.detach().numpy())

# %% [markdown]
# A module gradtrace does not have is an error that names it and where it sits:

# %%
try:
    from_torch(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4)))
except ValueError as err:
    print(type(err).__name__, ":", err)

# %% [markdown]
# ## 4. A PyTorch graph in the lecture's style
#
# PyTorch records the graph of backward functions (`grad_fn`, `next_functions`) but not the
# values and gradients between them. `trace_torch(fn, *inputs)` runs `fn` with hooks that record
# them, calls `backward()`, and returns a graph `draw` takes like a Value. The lecture's
# f = (x + y) z at (-2, 5, -4), in gradtrace (left) and in PyTorch (right):


# %%
def side_by_side(*graphs, titles=()):
    """Pictures next to each other, each with its title."""
    cells = [
        f"<div style='margin-right:2em'><b>{title}</b>{to_bytes(g, 'svg').decode()}</div>"
        for g, title in zip(graphs, titles, strict=True)
    ]
    display(HTML("<div style='display:flex;align-items:flex-start'>" + "".join(cells) + "</div>"))


x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
f = (x + y) * z
f.backward()
traced = trace_torch(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)
side_by_side(draw(f), draw(traced), titles=("gradtrace", "PyTorch, traced"))
assert draw(traced).source == draw(f).source  # the same picture, number for number
print("torch's gates:", [n.torch_op for n in (traced.parents[0], traced)])

# %% [markdown]
# The sigmoid neuron gate by gate, as the slides draw it, with local gradients (blue). PyTorch
# computes 1/x as a reciprocal times 1, so its picture has one more gate, `*1`; every number is
# the same: out 0.73, dw0 -0.20, dx0 0.39, dw1 -0.39, dx1 -0.59, dw2 0.20.

# %%
w0, x0, w1, x1, w2 = (Value(v, n) for v, n in zip((2.0, -1.0, -3.0, -2.0, -3.0),
                                                   ("w0", "x0", "w1", "x1", "w2")))
s = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
s.backward()
traced_s = trace_torch(lambda w0, x0, w1, x1, w2: 1 / (1 + torch.exp(-(w0 * x0 + w1 * x1 + w2))),
                       2.0, -1.0, -3.0, -2.0, -3.0)
side_by_side(draw(s, fmt=".2f", show_local=True, rankdir="TB"),
             draw(traced_s, fmt=".2f", show_local=True, rankdir="TB"),
             titles=("gradtrace", "PyTorch, traced"))

# %% [markdown]
# ## A bare PyTorch tensor
#
# Without tracing, `draw` walks what PyTorch kept after `backward()`: the leaves with their
# values and `.grad`, the output, and nothing in between (backward frees the saved tensors).
# The picture says so instead of inventing numbers. The add gate's local gradients (1, 1) need
# no saved value, so they are still known; the mul gate's are not.

# %%
xt, yt, zt = (torch.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
for t, name in zip((xt, yt, zt), "xyz", strict=True):
    t.label = name  # a name for the picture
ft = (xt + yt) * zt
ft.backward()
draw(ft)

# %% [markdown]
# ## A PyTorch model: Tensors and the network view
#
# Traced through `tmodel`, each tensor is summarised as gradtrace summarises its Tensors (shape,
# dtype, first values, norm), and the parameters are named as in the state dict. Big graphs are
# boxed by the `torch.nn` modules that computed them.

# %%
loss = trace_torch(lambda X: torch.nn.functional.cross_entropy(tmodel(X), torch.tensor(y_test[:8])),
                   torch.tensor(X_test[:8]), model=tmodel)
draw(loss)

# %%
network(loss, model=loss.model, rankdir="TB", size=8)
