# %% [markdown]
# # 9. A digits classifier, and how to judge it
#
# *Lecture notes `000` (Dugad, lecture 14): "Model Performance", "Evaluation of Model
# Performance" (confusion matrix, accuracy, precision, recall, F1, specificity, weighted means);
# `001`: the softmax head and categorical cross-entropy; `004`: mini-batch gradient descent.*
#
# The 8x8 handwritten digits (1,797 images, bundled with gradtrace), a 64-64-10 network with a
# softmax cross-entropy loss, trained with mini-batches. Then the confusion matrix, and every
# score the notes define, computed by hand from the matrix and checked against `nn.metrics`.

# %%
import gradtrace.nn.functional as F
import matplotlib.pyplot as plt
import numpy as np
from gradtrace.nn import Linear, ReLU, Sequential, data, fit, metrics, optim, predict
from gradtrace.viz.plots import plot_confusion_matrix, plot_history
from IPython.display import display

X, y = data.load_digits()
print(X.shape, y.shape, "pixel values", X.min(), "to", X.max(), "; images per digit",
      np.bincount(y))

fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for ax, i in zip(axes.ravel(), [np.flatnonzero(y == d)[k] for k in range(2) for d in range(10)]):
    ax.imshow(X[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(int(y[i]), fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Train
#
# The data is split three ways, each digit keeping its share in every part (stratified):
#
# - a **training** set (70%) that the gradients come from;
# - a **validation** set (15%) watched after every epoch, to choose the learning rate, the
#   number of epochs or the network's size;
# - a **test** set (15%) kept apart and used once, at the end, for the confusion matrix and the
#   scores below. Had we chosen anything by it, its scores would flatter the model.
#
# Pixels are scaled to [0, 1]. `nn.fit` trains with mini-batches of 32 and Adam, evaluates the
# validation set after each epoch and shows its progress as a bar updated in place (in a
# terminal, tqdm's text bar). We try two learning rates and keep the one the **validation** set
# prefers.

# %%
X_rest, X_test, y_rest, y_test = data.train_test_split(X / 16.0, y, test_size=0.15, seed=0,
                                                       stratify=y)
X_train, X_val, y_train, y_val = data.train_test_split(X_rest, y_rest, test_size=0.15 / 0.85,
                                                       seed=1, stratify=y_rest)
print(f"train {len(X_train)}, validation {len(X_val)}, test {len(X_test)} images")
assert len(X_train) + len(X_val) + len(X_test) == len(X)

runs = {}
for lr in [1e-3, 1e-2]:
    rng = np.random.default_rng(0)
    model = Sequential(Linear(64, 64, rng=rng), ReLU(), Linear(64, 10, rng=rng))
    history = fit(model, F.cross_entropy, X_train, y_train, epochs=15, batch_size=32,
                  optimizer=optim.Adam(model.parameters(), lr=lr),
                  validation=(X_val, y_val), seed=0)
    runs[lr] = model, history
    print(f"lr {lr:g}: validation accuracy {history['val_accuracy'][-1]:.4f}")
best = max(runs, key=lambda lr: runs[lr][1]["val_accuracy"][-1])
model, history = runs[best]
print(f"kept lr {best:g}")
assert best == 1e-2   # the validation set prefers it by 7 images of 270

# %%
display(plot_history(history))

# %% [markdown]
# ## The confusion matrix
#
# Now, once, the test set. Actual classes on the rows, predicted classes on the columns, as in
# the notes. For one class,
# say 3: the diagonal cell is its **TP**; the rest of its row are **FN** (a 3 called something
# else); the rest of its column are **FP** (something else called a 3); everything else is **TN**.

# %%
y_pred = predict(model, X_test)
cm = metrics.confusion_matrix(y_test, y_pred)
print(cm)
display(plot_confusion_matrix(cm, title="digits, test set"))

# %% [markdown]
# ## Every score by hand, from the matrix
#
# One-vs-rest counts per class, then the notes' formulas:
#
# - precision P_i = TP/(TP + FP), recall R_i = TP/(TP + FN), F1_i = 2 P_i R_i / (P_i + R_i),
#   specificity S_i = TN/(TN + FP);
# - weighted means ⟨P⟩ = Σ_i w_i P_i with w_i the fraction of the samples in class i;
# - accuracy: the notes write A = TP/(TP + TN + FP + FN); for a multi-class problem the usual
#   reading is the fraction of all samples classified correctly, Σ_i TP_i / N (the trace over the
#   total). Per class, (TP + TN)/N is each class's one-vs-rest accuracy.

# %%
N = cm.sum()
TP = np.diag(cm).astype(float)
FN = cm.sum(axis=1) - TP
FP = cm.sum(axis=0) - TP
TN = N - TP - FN - FP
P = TP / (TP + FP)
R = TP / (TP + FN)
F1 = 2 * P * R / (P + R)
S = TN / (TN + FP)
w = cm.sum(axis=1) / N
accuracy = TP.sum() / N

print("class  support     P       R       F1      S")
for i in range(10):
    print(f"{i:>5} {int(cm[i].sum()):>8} {P[i]:7.4f} {R[i]:7.4f} {F1[i]:7.4f} {S[i]:7.4f}")
print(f"weighted       {w @ P:7.4f} {w @ R:7.4f} {w @ F1:7.4f} {w @ S:7.4f}")
print(f"accuracy {accuracy:.4f}")

# %%
for hand, fn in [(P, metrics.precision), (R, metrics.recall), (F1, metrics.f1_score),
                 (S, metrics.specificity)]:
    assert np.allclose(fn(y_test, y_pred, average=None), hand, atol=1e-15)
    assert abs(fn(y_test, y_pred, average="weighted") - w @ hand) < 1e-15
assert abs(metrics.accuracy(y_test, y_pred) - accuracy) < 1e-15
assert accuracy == np.mean(y_pred == y_test) and accuracy > 0.95
# the weighted recall is always the accuracy: sum_i (n_i / N) (TP_i / n_i) = sum_i TP_i / N
assert abs(w @ R - accuracy) < 1e-15

# %% [markdown]
# Note that the weighted recall always equals the accuracy: Σ_i (n_i/N)(TP_i/n_i) = Σ_i TP_i/N.
#
# Two ways to get one F1 for all classes: the weighted mean of the per-class F1s (what
# `f1_score(..., average="weighted")` returns, and scikit-learn too), or the notes' F1 = 2PR/(P+R)
# applied to the weighted ⟨P⟩ and ⟨R⟩. They are close but not equal:

# %%
f1_of_means = 2 * (w @ P) * (w @ R) / (w @ P + w @ R)
print(f"weighted mean of F1_i: {w @ F1:.6f};  F1 of <P> and <R>: {f1_of_means:.6f}")

# %% [markdown]
# Specificity is high for every class almost by construction: with ten classes, nine tenths of
# the samples are negatives for any one class, and most of them are easy to reject. That is why
# the notes warn that accuracy-like scores need care with imbalanced data: per-class precision and
# recall say more. Here the hardest digits are those with the lowest recall:

# %%
worst = np.argsort(R)[:3]
for i in worst:
    confused = np.argsort(cm[i])[::-1]
    confused = [int(j) for j in confused if j != i and cm[i, j] > 0]
    print(f"digit {i}: recall {R[i]:.3f}; mistaken for {confused}")
