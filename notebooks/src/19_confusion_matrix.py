# %% [markdown]
# # 19. The confusion matrix as the notes draw it
#
# *Lecture notes `000` (Dugad, lecture 14): "Evaluation of Model Performance": the confusion
# matrix, TP / FN / FP / TN for one class, accuracy, precision, recall, F1, specificity and
# their weighted means ⟨P⟩ = Σ_i w_i P_i.*
#
# The notes draw a 5x5 confusion matrix for classes A to E, actual classes on the rows and
# predicted classes on the columns, and mark each cell for **one** class, B: the diagonal cell
# is B's true positives, the rest of B's row its false negatives, the rest of B's column its
# false positives, and everything else true negatives. Every score is read off those four
# numbers. Notebook 9 does the same on the digits; here is the notes' own picture, then the
# same grid with counts in it and each formula beside its number.

# %%
import matplotlib.pyplot as plt
import numpy as np
from gradtrace.nn import metrics
from matplotlib.patches import Rectangle

CLASSES = list("ABCDE")
COLOURS = {"TP": "#a5d6a7", "FN": "#ffcc80", "FP": "#ef9a9a", "TN": "#eeeeee"}


def roles(n_classes, i):
    """The notes' grid for class i: TP on the diagonal cell, FN along its row, FP along its
    column, TN elsewhere (rows actual, columns predicted)."""
    grid = np.full((n_classes, n_classes), "TN")
    grid[i, :] = "FN"
    grid[:, i] = "FP"
    grid[i, i] = "TP"
    return grid


def draw_grid(ax, grid, counts=None, title=""):
    """The grid as the notes draw it, coloured by role, with counts if given."""
    n = len(grid)
    for r in range(n):
        for c in range(n):
            role = grid[r, c]
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=COLOURS[role], edgecolor="white", lw=2))
            text = role if counts is None else f"{role}\n{counts[r, c]}"
            ax.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=10,
                    fontweight="bold" if role == "TP" else "normal")
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)
    ax.set_xticks(np.arange(n) + 0.5, CLASSES[:n])
    ax.set_yticks(np.arange(n) + 0.5, CLASSES[:n])
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("Predicted (Output)")
    ax.set_ylabel("Actual (Input)")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=10, y=-0.12)


# The notes' grid, cell by cell as printed, for the input value B
NOTES_GRID = np.array([
    ["TN", "FP", "TN", "TN", "TN"],
    ["FN", "TP", "FN", "FN", "FN"],
    ["TN", "FP", "TN", "TN", "TN"],
    ["TN", "FP", "TN", "TN", "TN"],
    ["TN", "FP", "TN", "TN", "TN"],
])
assert (roles(5, CLASSES.index("B")) == NOTES_GRID).all()

fig, ax = plt.subplots(figsize=(4.2, 4.2))
draw_grid(ax, NOTES_GRID, title="the notes' grid for class B")
plt.show()

# %% [markdown]
# - **True positive**: the input is B and the prediction is B (one cell).
# - **False negative**: the input is B but the prediction is A, C, D or E (B's row).
# - **False positive**: the input is A, C, D or E but the prediction is B (B's column).
# - **True negative**: all other combinations (the 16 cells that involve B in neither place).
#
# ## The same grid with counts
#
# A classifier's results on 200 samples of the five classes (counts chosen for the example, the
# notes give none). `nn.metrics.confusion_matrix` builds the matrix from the labels, rows
# actual and columns predicted, as drawn.

# %%
counts = np.array([
    [40, 3, 2, 0, 1],     # actual A
    [4, 30, 3, 2, 1],     # actual B
    [1, 5, 45, 2, 0],     # actual C
    [0, 2, 3, 28, 2],     # actual D
    [2, 1, 0, 3, 20],     # actual E
])
y_true = np.repeat(np.repeat(np.arange(5), 5), counts.ravel())
y_pred = np.repeat(np.tile(np.arange(5), 5), counts.ravel())
cm = metrics.confusion_matrix(y_true, y_pred)
print(cm)
assert (cm == counts).all() and cm.sum() == 200

b = CLASSES.index("B")
grid = roles(5, b)
TP = int(cm[grid == "TP"].sum())
FN = int(cm[grid == "FN"].sum())
FP = int(cm[grid == "FP"].sum())
TN = int(cm[grid == "TN"].sum())
N = TP + FN + FP + TN
print(f"class B: TP = {TP}, FN = {FN}, FP = {FP}, TN = {TN}  (N = {N})")

# %% [markdown]
# ## Each formula beside its number
#
# The notes' definitions, applied to class B's four counts. On accuracy the notes write
# A = TP / (TP + TN + FP + FN); read literally for one class that is only B's share of all the
# samples, TP_B / N. For the whole classifier the usual accuracy is every correct prediction
# over N, Σ_i TP_i / N (the matrix's trace over its total, `metrics.accuracy`), and one class's
# one-vs-rest accuracy is (TP + TN) / N. All three are below.

# %%
P = TP / (TP + FP)
R = TP / (TP + FN)
F1 = 2 * P * R / (P + R)
S = TN / (TN + FP)
acc_all = np.trace(cm) / N
acc_b = (TP + TN) / N
lines = [
    ("Precision", "P = TP / (TP + FP)", f"{TP} / ({TP} + {FP})", P),
    ("Recall", "R = TP / (TP + FN)", f"{TP} / ({TP} + {FN})", R),
    ("F1", "F1 = 2PR / (P + R)", f"2·{P:.4f}·{R:.4f} / ({P:.4f} + {R:.4f})", F1),
    ("Specificity", "S = TN / (TN + FP)", f"{TN} / ({TN} + {FP})", S),
    ("B's share (notes' A, literally)", "TP / (TP + TN + FP + FN)", f"{TP} / {N}", TP / N),
    ("B one-vs-rest accuracy", "(TP + TN) / N", f"({TP} + {TN}) / {N}", acc_b),
    ("Accuracy (all classes)", "Σ_i TP_i / N", f"{np.trace(cm)} / {N}", acc_all),
]
for name, formula, numbers, value in lines:
    print(f"{name:>32}: {formula:<26} = {numbers:<36} = {value:.4f}")

per_class = {fn.__name__: fn(y_true, y_pred, average=None)
             for fn in (metrics.precision, metrics.recall, metrics.f1_score, metrics.specificity)}
for ours, name in [(P, "precision"), (R, "recall"), (F1, "f1_score"), (S, "specificity")]:
    assert abs(ours - per_class[name][b]) < 1e-15, name
assert abs(metrics.accuracy(y_true, y_pred) - acc_all) < 1e-15
assert abs(metrics.accuracy(y_true, y_pred, average=None)[b] - acc_b) < 1e-15

# %% [markdown]
# The picture: the grid with B's counts, and each formula with its numbers beside it.

# %%
fig, (ax, text) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1, 1.25]})
draw_grid(ax, grid, counts=cm, title="class B on the example's 200 samples")
text.axis("off")
rows = [("TP", f"{TP}", "the diagonal cell"), ("FN", f"{FN}", "B's row, off the diagonal"),
        ("FP", f"{FP}", "B's column, off the diagonal"), ("TN", f"{TN}", "everything else")]
for k, (role, value, where) in enumerate(rows):
    text.add_patch(Rectangle((0.0, 0.93 - 0.075 * k), 0.05, 0.05, facecolor=COLOURS[role],
                             transform=text.transAxes))
    text.text(0.07, 0.955 - 0.075 * k, f"{role} = {value}  ({where})", fontsize=10,
              transform=text.transAxes, va="center")
for k, (name, formula, numbers, value) in enumerate(lines[:4] + lines[5:]):
    text.text(0.0, 0.6 - 0.1 * k, f"{name}: {formula}", fontsize=10, transform=text.transAxes)
    text.text(0.04, 0.555 - 0.1 * k, f"= {numbers} = {value:.4f}", fontsize=10,
              transform=text.transAxes, color="#1565c0")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Every class, and the weighted means
#
# Doing the same for each class in turn gives one score per class. The notes combine them with
# the class shares w_i (the fraction of samples whose actual class is i): ⟨P⟩ = Σ_i w_i P_i,
# ⟨R⟩ = Σ_i w_i R_i. By hand, beside `nn.metrics` with `average="weighted"`:

# %%
w = cm.sum(axis=1) / N
table = {}
print("class  TP  FN  FP   TN  support   P       R       F1      S")
for i, name in enumerate(CLASSES):
    g = roles(5, i)
    tp, fn, fp, tn = (int(cm[g == r].sum()) for r in ("TP", "FN", "FP", "TN"))
    p, r = tp / (tp + fp), tp / (tp + fn)
    table[name] = (p, r, 2 * p * r / (p + r), tn / (tn + fp))
    print(f"  {name}   {tp:3} {fn:3} {fp:3} {tn:4} {int(cm[i].sum()):6}   "
          + "  ".join(f"{v:.4f}" for v in table[name]))
hand = np.array(list(table.values()))
weighted = w @ hand
print("weighted means <P>, <R>, <F1>, <S>:", np.round(weighted, 4))
for k, fn in enumerate((metrics.precision, metrics.recall, metrics.f1_score, metrics.specificity)):
    assert np.allclose(fn(y_true, y_pred, average=None), hand[:, k], rtol=0, atol=1e-15)
    assert abs(fn(y_true, y_pred, average="weighted") - weighted[k]) < 1e-15
assert abs(weighted[1] - acc_all) < 1e-15     # the weighted recall is always the accuracy

# %% [markdown]
# As in notebook 9, the weighted recall equals the accuracy: Σ_i (n_i/N)(TP_i/n_i) = Σ_i TP_i/N.
