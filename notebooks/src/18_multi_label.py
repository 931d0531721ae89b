# %% [markdown]
# # 18. Multi-label classification: sigmoid heads, the multi-label loss, thresholds
#
# *Lecture notes `000` (Dugad, lecture 14): "Backpropagation: Multi-Label Classification" (the
# multi-label cross-entropy, δ_n = a_n − y_n); `001` (lecture 13): "Choice of Loss Function for
# Classification Network" (the output [0.1, 0.3, 0.9, 0.1, 0.8] that "does NOT add up to 1");
# `004`: "Multi-label classification (1), (2)" ("car", "automobile", "motor vehicle").*
#
# One input may carry several labels at once: an image of a car is a "car", an "automobile" and
# a "motor vehicle". The sum of the truths can be more than 1, so softmax (whose outputs always
# add up to 1) cannot be the output layer. Instead each output gets its own **sigmoid**, a label
# counts as present when its sigmoid is **above 0.5**, and the loss is the sum of one binary
# cross-entropy per label, the **multi-label cross-entropy**:
#
# $$J = -\sum_m y_m \ln a_m - \sum_m (1 - y_m) \ln(1 - a_m), \qquad a_m = \sigma(z_m),
# \qquad \delta_m = \frac{\partial J}{\partial z_m} = a_m - y_m$$

# %%
import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Tensor
from gradtrace.nn import Linear, ReLU, Sequential, data, metrics, optim

# %% [markdown]
# ## The notes' output vector
#
# Note 001's example output of five sigmoid heads, a = [0.1, 0.3, 0.9, 0.1, 0.8]: it adds up to
# 2.2, not 1, and thresholded at 0.5 it says labels 3 and 5 are present. Against a truth we
# choose, y = [0, 0, 1, 0, 1] (the notes give none), the multi-label loss and δ = a − y, by
# hand and by gradtrace (from the logits z = ln(a / (1 − a)), which is what the sigmoid heads
# receive):

# %%
a = np.array([0.1, 0.3, 0.9, 0.1, 0.8])
y_true = np.array([0.0, 0.0, 1.0, 0.0, 1.0])
print(f"sum of the outputs: {a.sum():.1f}   present (a > 0.5): labels {np.flatnonzero(a > 0.5) + 1}")

J_hand = -np.sum(y_true * np.log(a)) - np.sum((1 - y_true) * np.log(1 - a))
z = Tensor(np.log(a / (1 - a)), requires_grad=True)
J = F.multilabel_cross_entropy(z, y_true)            # label_reduction="sum", as the notes
J.backward()
print(f"J by hand  = {J_hand:.6f}")
print(f"gradtrace  = {float(J.data):.6f}")
print(f"delta = a - y      = {a - y_true}")
print(f"dJ/dz by backward  = {np.round(z.grad, 12)}")
assert abs(J_hand - float(J.data)) < 1e-12
assert np.allclose(z.grad, a - y_true, rtol=0, atol=1e-12)

# %% [markdown]
# δ = a − y, the same as for softmax with categorical cross-entropy ("δ_n is same for both type
# of cross entropy function"), though the loss and the head differ. With softmax, the same five
# scores would be forced to share one unit of probability:

# %%
soft = np.exp(z.data) / np.exp(z.data).sum()
print("softmax of the same logits:", np.round(soft, 3), "sum", round(soft.sum(), 6),
      "-> above 0.5:", np.flatnonzero(soft > 0.5) + 1)
assert abs(soft.sum() - 1) < 1e-12 and (soft > 0.5).sum() <= 1

# %% [markdown]
# Softmax can call at most one label present at 0.5; two true labels need independent sigmoids.
#
# ## A multi-label task: three questions about each digit
#
# The 8x8 digits, each labelled with three yes/no questions that can all be true at once:
# *is it even?*, *is it 5 or more?*, *does it have a closed loop (0, 4, 6, 8, 9)?* An 8 is all
# three; a 1 none. A 64-32-3 network with three sigmoid heads, the multi-label loss, 80
# full-batch steps of Adam, the validation loss every 5 steps; a training / validation / test
# split (70/15/15) as in notebook 9.

# %%
X, digit = data.load_digits()
X = X / 16.0
questions = ["even", "5 or more", "closed loop"]
Y = np.stack([digit % 2 == 0, digit >= 5, np.isin(digit, [0, 4, 6, 8, 9])], axis=1).astype(float)
counts = np.bincount(Y.sum(axis=1).astype(int))
print("images with 0, 1, 2, 3 labels:", counts.tolist())

rows = np.arange(len(X)).reshape(-1, 1)             # split the row numbers, then index
rest, test, _, _ = data.train_test_split(rows, digit, test_size=0.15, seed=0, stratify=digit)
rest, test = rest[:, 0], test[:, 0]
train, val, _, _ = data.train_test_split(rest.reshape(-1, 1), digit[rest], test_size=0.15 / 0.85,
                                         seed=1, stratify=digit[rest])
train, val = train[:, 0], val[:, 0]

rng = np.random.default_rng(0)
model = Sequential(Linear(64, 32, rng=rng), ReLU(), Linear(32, 3, rng=rng))
opt = optim.Adam(model.parameters(), lr=0.01)
history = {"train": [], "val": []}
for step in range(80):
    loss = F.multilabel_cross_entropy(model(Tensor(X[train])), Y[train])
    opt.zero_grad()
    loss.backward()
    opt.step()
    history["train"].append(float(loss.data))
    if step % 5 == 4:
        val_loss = F.multilabel_cross_entropy(model(Tensor(X[val])), Y[val])
        history["val"].append((step, float(val_loss.data)))
print(f"multi-label loss (summed over the 3 labels, mean over images): "
      f"train {history['train'][-1]:.4f}, validation {history['val'][-1][1]:.4f}")

fig, ax = plt.subplots(figsize=(5, 2.6))
ax.plot(history["train"], label="training")
ax.plot(*zip(*history["val"]), label="validation", ls="--", marker=".")
ax.set_xlabel("step")
ax.set_ylabel("multi-label CE")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Predictions: each sigmoid thresholded at 0.5
#
# On the test set, used once. Each head answers its own question; several can say yes.

# %%
scores = model(Tensor(X[test])).sigmoid().data          # the three a_m per image
predicted = (scores > 0.5).astype(int)
truth = Y[test].astype(int)
for i in range(4):
    print(f"digit {digit[test][i]}: a = {np.round(scores[i], 3)} -> predicted "
          f"{[q for q, p in zip(questions, predicted[i]) if p]}, true "
          f"{[q for q, t in zip(questions, truth[i]) if t]}")

# %% [markdown]
# ## Per-label precision and recall
#
# Each label is its own binary problem, so each gets its own counts and the notes' formulas:
# precision P = TP / (TP + FP) (of the images the head called "yes", how many were), recall
# R = TP / (TP + FN) (of the images that were, how many the head found). By hand, then by
# `nn.metrics` on each label's column (class 1 = "yes").

# %%
print("label         TP  FP  FN  TN   precision  recall")
for m, q in enumerate(questions):
    t, p = truth[:, m], predicted[:, m]
    TP, FP = int(np.sum((p == 1) & (t == 1))), int(np.sum((p == 1) & (t == 0)))
    FN, TN = int(np.sum((p == 0) & (t == 1))), int(np.sum((p == 0) & (t == 0)))
    P, R = TP / (TP + FP), TP / (TP + FN)
    print(f"{q:12} {TP:3} {FP:3} {FN:3} {TN:3}   {P:9.4f}  {R:6.4f}")
    assert abs(P - metrics.precision(t, p, average=None, num_classes=2)[1]) < 1e-15
    assert abs(R - metrics.recall(t, p, average=None, num_classes=2)[1]) < 1e-15
    assert P > 0.85 and R > 0.85
exact = np.mean((predicted == truth).all(axis=1))
print(f"\nall three answers right: {exact:.2%} of the {len(test)} test images")
