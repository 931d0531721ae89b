# %% [markdown]
# # 10. The loss functions of the notes, side by side
#
# *Lecture notes `003` (Vipparthi): "Definition of Loss", "Absolute value, L1-norm", "Square
# error", "Classification", "Softmax", "One-hot encoding", "Cross-entropy loss", "Multi-label
# classification"; `004`: "Loss functions" (hinge loss, total loss), "Binary Cross-Entropy (BCE)
# loss"; `001`: the three classification heads.*
#
# | task | output | loss | per example |
# |---|---|---|---|
# | regression | a number | L1 | \|y − f\| |
# | regression | a number | L2 | (y − f)² |
# | binary, margin | a score s, label t ∈ {−1, +1} | hinge | max(0, 1 − t s) |
# | binary, probability | p = σ(z) | BCE | −[y ln p + (1 − y) ln(1 − p)] |
# | one class of k | softmax(z) | categorical CE | −ln softmax(z)_y |
# | several classes of k | σ(z_k) each | multi-label CE | Σ_k BCE(σ(z_k), y_k) |
#
# Every one is in `nn.functional` and works on Values (a graph you can draw) and on Tensors.
# For each we check the value and the gradient against the formula by hand.

# %%
import math

import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor, Value
from gradtrace.viz import draw

# %% [markdown]
# ## Regression: L1 and L2
#
# L1 = (1/n) Σ |y_i − f_i| and L2 = (1/n) Σ (y_i − f_i)². By hand, ∂L1/∂f_i = sign(f_i − y_i)/n
# and ∂L2/∂f_i = 2(f_i − y_i)/n: L2 pushes harder the further off a prediction is (it "penalizes
# large errors more strongly"), L1 pushes with the same force everywhere.

# %%
f = np.array([2.5, 0.0, 2.0, 8.0])
y = np.array([3.0, -0.5, 2.0, 7.0])
for name, loss_fn, value, grad in [
    ("L1", F.l1_loss, np.mean(np.abs(y - f)), np.sign(f - y) / len(f)),
    ("L2", F.mse_loss, np.mean((y - f) ** 2), 2 * (f - y) / len(f)),
]:
    ft = Tensor(f, requires_grad=True)
    lt = loss_fn(ft, y)
    lt.backward()
    fv = [Value(v) for v in f]
    lv = loss_fn(fv, list(y))
    lv.backward()
    print(f"{name}: hand {value:.4f}  Tensor {lt.item():.4f}  Value {lv.data:.4f};"
          f"  gradient {np.round(ft.grad, 4)}")
    assert abs(lt.item() - value) < 1e-15 and abs(lv.data - value) < 1e-15
    assert np.allclose(ft.grad, grad, atol=1e-15) and np.allclose([v.grad for v in fv], grad)

# %% [markdown]
# The notes say L1 is "less sensitive to outliers". Here is what that means: fit one number c to
# data with one outlier by gradient descent on each loss. L2's minimizer is the **mean**, which
# the outlier drags along; L1's is the **median**, which it cannot move.

# %%
data = np.array([1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.05, 9.0])     # 9.0 is the outlier
fits = {}
for name, loss_fn, lr in [("L1", F.l1_loss, 0.05), ("L2", F.mse_loss, 0.1)]:
    c = Tensor(np.array([0.0]), requires_grad=True)
    path = []
    for step in range(400):
        loss = loss_fn(c * np.ones_like(data), data)
        c.grad = None
        loss.backward()
        c.data -= lr * c.grad * (0.99 ** step if name == "L1" else 1.0)   # L1: decaying steps
        path.append(c.data[0])
    fits[name] = path
print(f"L2 fit {fits['L2'][-1]:.4f}  (mean {data.mean():.4f});"
      f"  L1 fit {fits['L1'][-1]:.4f}  (median {np.median(data):.4f})")
assert abs(fits["L2"][-1] - data.mean()) < 1e-6
assert abs(fits["L1"][-1] - np.median(data)) < 0.01

# %% [markdown]
# ## Hinge loss
#
# max(0, 1 − t s) for a label t ∈ {−1, +1} and a score s. It is zero only when the example is on
# the right side **with a margin** (t s ≥ 1): a correct but unconfident answer still pays, and the
# loss grows linearly with the mistake. Its gradient is −t where t s < 1 and 0 elsewhere.

# %%
s = np.array([2.0, 0.4, -0.5, -3.0])
t = np.array([1.0, 1.0, 1.0, -1.0])
st = Tensor(s, requires_grad=True)
loss = F.hinge_loss(st, t, reduction="sum")
loss.backward()
hand = np.maximum(0, 1 - t * s)
print("per-example hinge:", hand, " gradient:", st.grad)
assert abs(loss.item() - hand.sum()) < 1e-15
assert np.array_equal(st.grad, np.where(t * s < 1, -t, 0.0))

# %% [markdown]
# ## Binary cross-entropy
#
# For p = σ(z): −[y ln p + (1 − y) ln(1 − p)]. (Lecture `004` prints it as
# L = y log ŷ + (1 − y) log(1 − ŷ), without the leading minus, the same slip as the entropy formula
# in lecture `001`; two slides later it is written with the minus. Without it the "loss" would be
# ≤ 0 and gradient descent would make the predictions worse.) From probabilities or, better,
# from the logit z, where the gradient is p − y (notebook 6):

# %%
z = np.array([2.0, -1.0, 0.5, -4.0])
yb = np.array([1.0, 0.0, 0.0, 1.0])
p = 1 / (1 + np.exp(-z))
hand = -(yb * np.log(p) + (1 - yb) * np.log(1 - p))
zt = Tensor(z, requires_grad=True)
loss = F.binary_cross_entropy_with_logits(zt, yb, reduction="sum")
loss.backward()
pt = Tensor(p)
print("per-example BCE:", np.round(hand, 4), " dL/dz:", np.round(zt.grad, 4), " p - y:",
      np.round(p - yb, 4))
assert abs(loss.item() - hand.sum()) < 1e-13
assert abs(F.binary_cross_entropy(pt, yb, reduction="sum").item() - hand.sum()) < 1e-13
assert np.allclose(zt.grad, p - yb, atol=1e-15)

# %% [markdown]
# ## Categorical cross-entropy, and the multi-class hinge
#
# The linear-classifier slide in `004` scores an image as dog 3.6, cat 2.6, pig −3.0 with
# f(x, W) = W x + b. (We cannot recompute those scores: the slide's W times the pixels
# x = (1, 2, 3, 4) is (3.7, 2.9, 5.7), so the bias, which the text does not give, would have to be
# (−0.1, −0.3, −8.7).) Take the scores as given. Softmax turns them into probabilities, and the
# cross-entropy is −ln of the true class's probability:

# %%
scores = np.array([3.6, 2.6, -3.0])
probs = np.exp(scores) / np.exp(scores).sum()
print("softmax:", dict(zip(["dog", "cat", "pig"], np.round(probs, 4).tolist())))
for true, name in enumerate(["dog", "cat", "pig"]):
    ce = F.cross_entropy(Tensor(scores), true).item()
    svm = F.hinge_loss(Tensor(scores[None]), np.array([true])).item()
    svm_hand = sum(max(0, scores[j] - scores[true] + 1) for j in range(3) if j != true)
    print(f"if it is a {name}: cross-entropy {ce:.4f} (= -ln {probs[true]:.4f}),"
          f" multi-class hinge {svm:.1f}")
    assert abs(ce + math.log(probs[true])) < 1e-14 and abs(svm - svm_hand) < 1e-14

# %% [markdown]
# One-hot targets give the same loss as class indices; on Values the whole loss is a graph:

# %%
onehot = np.eye(3)[0]
assert abs(F.cross_entropy(Tensor(scores), onehot).item()
           - F.cross_entropy(Tensor(scores), 0).item()) < 1e-15
sv = [Value(v, name) for v, name in zip(scores, ["dog", "cat", "pig"])]
L = F.cross_entropy(sv, 0)
L.backward()
assert np.allclose([v.grad for v in sv], probs - onehot, atol=1e-15)
draw(L, fmt=".3f", size=8)

# %% [markdown]
# ## Multi-label cross-entropy
#
# A sigmoid per output and the sum of the per-label BCEs (notes `003`, `000`):

# %%
zm = np.array([[1.5, -0.3, 2.2, -2.0], [0.1, 0.4, -1.0, 3.0]])
ym = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])
pm = 1 / (1 + np.exp(-zm))
hand = -(ym * np.log(pm) + (1 - ym) * np.log(1 - pm)).sum(axis=1).mean()
zt = Tensor(zm, requires_grad=True)
loss = F.multilabel_cross_entropy(zt, ym)
loss.backward()
print(f"multi-label CE: hand {hand:.6f}, engine {loss.item():.6f}")
assert abs(loss.item() - hand) < 1e-14 and np.allclose(zt.grad, (pm - ym) / 2, atol=1e-15)

# %% [markdown]
# ## All of them in one picture
#
# Each loss for one example as a function of how right the model is (the margin t s for hinge;
# the logit z of the true class for the probabilistic losses, with the other class at 0; the
# residual for L1/L2), with its gradient computed by `backward()`:

# %%
grid = np.linspace(-3, 3, 121)


def curve(fn):
    """Per-example losses over the grid (reduction="none") and their gradients."""
    xt = Tensor(grid, requires_grad=True)
    losses = fn(xt)
    losses.sum().backward()
    return losses.data, xt.grad


ones, zeros = np.ones_like(grid), np.zeros_like(grid)
curves = {
    "L1 |r|": curve(lambda r: F.l1_loss(r, zeros, reduction="none")),
    "L2 r²": curve(lambda r: F.mse_loss(r, zeros, reduction="none")),
    "hinge (t s)": curve(lambda m: F.hinge_loss(m, ones, reduction="none")),
    "BCE (z, y = 1)": curve(lambda z: F.binary_cross_entropy_with_logits(z, ones, reduction="none")),
}
xt = Tensor(np.column_stack([grid, zeros]), requires_grad=True)
ce = F.cross_entropy(xt, np.zeros(len(grid), dtype=int), reduction="none")
ce.sum().backward()
curves["softmax CE (2 classes)"] = (ce.data, xt.grad[:, 0])

fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for name, (values, grads) in curves.items():
    axes[0].plot(grid, values, label=name)
    axes[1].plot(grid, grads, label=name)
axes[0].set_title("loss")
axes[1].set_title("gradient from backward()")
axes[0].set_ylim(-0.2, 5)
for ax in axes:
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("residual r / margin t s / logit z")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# With two classes, softmax cross-entropy on (z, 0) *is* BCE on z (the two curves coincide):
# softmax over two scores is the sigmoid of their difference.

# %%
assert np.allclose(curves["softmax CE (2 classes)"][0], curves["BCE (z, y = 1)"][0], atol=1e-14)

# %% [markdown]
# ## Stable at the extremes
#
# Logits of ±1000 overflow a naive e^z; the library's losses work from log-sum-exp and softplus:

# %%
big = Tensor(np.array([1000.0, -1000.0]), requires_grad=True)
loss = F.binary_cross_entropy_with_logits(big, np.array([0.0, 1.0]), reduction="sum")
loss.backward()
print("BCE of confidently wrong logits ±1000:", loss.item(), " gradient:", big.grad)
assert loss.item() == 2000.0 and np.array_equal(big.grad, [1.0, -1.0])
