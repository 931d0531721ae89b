# %% [markdown]
# # 7. Regularization: L2, L1, max-norm and inverted dropout
#
# *Lecture notes `002` (Dugad, lecture 12): "Backpropagation: Regularization → Overfitting",
# "Overfitting → Regularization", "Dropout → Overfitting", "Overfitting → Dropout"; `004`: the
# total loss L = (1/N) Σ L_i + λ R(W).*
#
# A network with far more weights than training points can fit its training set perfectly and
# still do badly on new data. The notes list four remedies. We first check what each one does to
# a gradient or a weight **by hand**, then train the same overfitting network with each and watch
# the training and test losses.

# %%
import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor, no_grad
from gradtrace.nn import Dropout, Linear, ReLU, Sequential, data, optim

rng = np.random.default_rng(0)

# %% [markdown]
# ## L2: weight decay
#
# E(θ) → E(θ) + ½ λ Σ w². The penalty's gradient is λ w, so a gradient step becomes
# w ← w − η(∇E + λ w) = (1 − ηλ) w − η ∇E: every step first shrinks each weight by the factor
# (1 − ηλ), hence "weight decay". `optim.l2_penalty(w)` is ½ Σ w², and adding λ times it to the
# loss is the same as `SGD(..., weight_decay=λ)`:

# %%
W0 = rng.normal(size=(3, 4))
x = rng.normal(size=(5, 4))
lam, lr = 0.1, 0.5

w_a = Tensor(W0.copy(), requires_grad=True)                   # penalty in the loss
loss = (x @ w_a.T).tanh().sum() + lam * optim.l2_penalty([w_a])
loss.backward()
optim.SGD([w_a], lr=lr).step()

w_b = Tensor(W0.copy(), requires_grad=True)                   # weight decay in the optimizer
(x @ w_b.T).tanh().sum().backward()
grad_E = w_b.grad.copy()
optim.SGD([w_b], lr=lr, weight_decay=lam).step()

by_hand = (1 - lr * lam) * W0 - lr * grad_E                   # decay, then the data gradient
print("largest difference:", np.abs(w_a.data - by_hand).max(), np.abs(w_b.data - by_hand).max())
assert np.allclose(w_a.data, by_hand, atol=1e-14) and np.allclose(w_b.data, by_hand, atol=1e-14)

# %% [markdown]
# ## L1: sparsity
#
# E(θ) → E(θ) + λ Σ |w|, gradient λ sign(w): a constant pull towards zero, however small the
# weight already is (L2's pull λ w fades as w shrinks). So L1 drives unimportant weights to
# (nearly) exactly zero.

# %%
w = Tensor(np.array([-2.0, -0.01, 0.0, 0.3, 5.0]), requires_grad=True)
optim.l1_penalty([w]).backward()
print("d sum|w| / dw =", w.grad)
assert np.array_equal(w.grad, np.sign(w.data))               # and 0 at w = 0

# %% [markdown]
# ## Max-norm
#
# After each step, project every neuron's incoming weight vector back onto the ball of radius c
# (the notes suggest c = 3 or 4): w ← w · c/‖w‖ when ‖w‖ > c. In a `Linear` layer each row of
# `weight` is one neuron's incoming vector.

# %%
layer = Linear(4, 3, seed=0)
layer.weight.data[...] = [[3.0, 4.0, 0.0, 0.0],     # norm 5: projected to norm 3
                          [0.3, 0.4, 0.0, 0.0],     # norm 0.5: left alone
                          [0.0, 0.0, 6.0, 8.0]]     # norm 10: projected to norm 3
expected = layer.weight.data * np.array([[3 / 5], [1.0], [3 / 10]])
optim.max_norm_(layer, c=3.0)
print(layer.weight.data, "\nrow norms:", np.linalg.norm(layer.weight.data, axis=1))
assert np.allclose(layer.weight.data, expected, atol=1e-15)

# %% [markdown]
# ## Inverted dropout
#
# While training, keep each neuron with probability p (the notes' p) and zero it otherwise. Plain
# dropout's expected output is then p x + (1 − p) · 0 = p x, so at test time every output would have
# to be scaled by p. **Inverted** dropout divides the survivors by p during training instead, so the
# expected output stays x and the test-time network needs no change.
#
# gradtrace follows PyTorch: `Dropout(q)` takes the probability of **dropping**, q = 1 − p. The
# notes' p = 0.8 is `Dropout(0.2)`.

# %%
p_keep = 0.8
drop = Dropout(1 - p_keep, seed=0)
x = Tensor(np.full((20_000, 5), 2.0))
out = drop(x).data
kept = out != 0
print(f"fraction kept {kept.mean():.4f} (p = {p_keep}); survivors are {out[kept][0]} = 2 / {p_keep};"
      f" mean output {out.mean():.4f} (input 2.0)")
assert set(np.unique(out)) == {0.0, 2.0 / p_keep}
assert abs(kept.mean() - p_keep) < 0.01 and abs(out.mean() - 2.0) < 0.02
drop.eval()
assert np.array_equal(drop(x).data, x.data)         # test time: the identity, nothing to rescale

# %% [markdown]
# ## An overfitting network
#
# 40 noisy training points from the two moons, 500 test points from the same distribution, and a
# 2-64-64-1 ReLU network (4,417 parameters) trained with full-batch SGD (learning rate 0.1,
# momentum 0.9) on the binary cross-entropy.
# Five runs from the same initial weights: no regularization, L2, L1, max-norm, and dropout.

# %%
X, y = data.make_moons(n_samples=540, noise=0.3, seed=3)
X_train, y_train, X_test, y_test = X[:40], y[:40].astype(float), X[40:], y[40:].astype(float)
STEPS, EVERY = 600, 20


def make_model(dropout=0.0):
    r = np.random.default_rng(0)                   # the same initial weights in every run
    layers = [Linear(2, 64, rng=r), ReLU()]
    layers += [Dropout(dropout, seed=1)] if dropout else []
    layers += [Linear(64, 64, rng=r), ReLU()]
    layers += [Dropout(dropout, seed=2)] if dropout else []
    return Sequential(*layers, Linear(64, 1, rng=r))


def losses_of(model, X, y):
    model.eval()
    with no_grad():
        scores = model(Tensor(X)).reshape(-1)
    model.train()
    return F.binary_cross_entropy_with_logits(scores, y).item(), np.mean((scores.data > 0) == y)


def train(l2=0.0, l1=0.0, max_norm=None, dropout=0.0):
    model = make_model(dropout)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    sgd = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    curves = {"train": [], "test": []}
    for step in range(STEPS + 1):
        if step % EVERY == 0:
            curves["train"].append(losses_of(model, X_train, y_train)[0])
            curves["test"].append(losses_of(model, X_test, y_test)[0])
        if step == STEPS:
            break
        loss = F.binary_cross_entropy_with_logits(model(Tensor(X_train)).reshape(-1), y_train)
        if l2:
            loss = loss + l2 * optim.l2_penalty(weights)
        if l1:
            loss = loss + l1 * optim.l1_penalty(weights)
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        if max_norm:
            optim.max_norm_(model, max_norm)
    return model, curves


runs = {
    "none": dict(),
    "L2, λ = 0.01": dict(l2=1e-2),
    "L1, λ = 0.003": dict(l1=3e-3),
    "max-norm, c = 1": dict(max_norm=1.0),
    "dropout, p = 0.5": dict(dropout=0.5),
}
results = {name: train(**kw) for name, kw in runs.items()}
print(f"{'':>18} {'train loss':>10} {'test loss':>10} {'train acc':>9} {'test acc':>9}"
      f" {'|w| < 1e-3':>10}")
summary = {}
for name, (model, curves) in results.items():
    tr_loss, tr_acc = losses_of(model, X_train, y_train)
    te_loss, te_acc = losses_of(model, X_test, y_test)
    w = np.concatenate([p.data.ravel() for n, p in model.named_parameters() if n.endswith("weight")])
    summary[name] = (tr_loss, te_loss, tr_acc, te_acc, np.mean(np.abs(w) < 1e-3))
    print(f"{name:>18} {tr_loss:10.3f} {te_loss:10.3f} {tr_acc:9.0%} {te_acc:9.1%}"
          f" {summary[name][4]:10.0%}")

# %% [markdown]
# What the run shows (the numbers are from the table above):
#
# - **No regularization** overfits: it classifies all 40 training points right with a training
#   loss of 0.077, but its test loss is 1.155, fifteen times larger, and rising (curves below).
# - **L2** and **max-norm** trade training fit for generalization: training loss about 0.22,
#   test loss 0.33 (3.5 times better than no regularization), and the best test accuracy, 89%.
# - **L1** makes the network sparse, as the notes promise: 95% of the weights end below 10⁻³ in
#   size, and the test loss drops to 0.680. (L2 also zeroes about half of them here, for another
#   reason: weights into ReLU units that never fire get no gradient from the data, only decay.)
# - **Dropout** (keep probability 0.5) keeps the training loss up (0.181), but on this tiny,
#   two-dimensional problem it does not help the test loss: 1.159, no better than no
#   regularization. Dropout pays off in wide networks on high-dimensional inputs, where units
#   can co-adapt; here a test loss that is still dominated by a few confidently wrong points is
#   better cured by keeping weights small.

# %%
assert summary["none"][0] < 0.1 and summary["none"][1] > 1.0                    # overfits
for name in ("L2, λ = 0.01", "max-norm, c = 1"):
    assert summary[name][1] < summary["none"][1] / 3                            # generalizes
assert summary["L1, λ = 0.003"][4] > 0.9                                        # sparse

# %% [markdown]
# ## Training and test curves, side by side

# %%
steps = np.arange(0, STEPS + 1, EVERY)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for name, (_, curves) in results.items():
    axes[0].plot(steps, curves["train"], label=name)
    axes[1].plot(steps, curves["test"], label=name)
axes[0].set_title("training loss")
axes[1].set_title("test loss")
for ax in axes:
    ax.set_xlabel("step")
    ax.set_yscale("log")
axes[0].set_ylabel("binary cross-entropy")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## What each model learned

# %%
xx, yy = np.meshgrid(np.linspace(-2, 3, 80), np.linspace(-1.6, 2.0, 60))
grid = Tensor(np.column_stack([xx.ravel(), yy.ravel()]))
fig, axes = plt.subplots(1, len(results), figsize=(15, 3))
for ax, (name, (model, _)) in zip(axes, results.items()):
    model.eval()
    with no_grad():
        z = model(grid).data.reshape(xx.shape)
    ax.contourf(xx, yy, z > 0, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"])
    ax.contour(xx, yy, z, levels=[0], colors="k", linewidths=0.8)
    ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="coolwarm_r", s=16,
               edgecolors="k", linewidths=0.4)
    ax.set_title(f"{name}\ntest accuracy {summary[name][3]:.1%}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
