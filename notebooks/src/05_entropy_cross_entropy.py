# %% [markdown]
# # 5. Entropy, cross-entropy, and why cross-entropy is the classification loss
#
# *Lecture notes `001` (Dugad, lecture 13): "Entropy: 1-2", "Entropy and Cross Entropy: 3-5",
# "Choice of Loss Function for Classification Network".*
#
# ## The cricketers
#
# You tell a friend in Australia about four cricketers, 1000 times. With a fixed-length code each
# name takes 2 bits (00, 01, 10, 11): **2000 bits, 2 bits per name**. But you talk about Sachin
# half the time, Bradman a quarter, Kapil and Warne an eighth each. Can a cleverer code do better?

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from gradtrace import Value
from gradtrace.nn import metrics

players = ["Sachin", "Bradman", "Kapil", "Warne"]
p_india = np.array([0.5, 0.25, 0.125, 0.125])       # how often you name each one
fixed = {"Sachin": "00", "Bradman": "01", "Kapil": "10", "Warne": "11"}

# %% [markdown]
# The notes first try Sachin → 0, Bradman → 1, Kapil → 01, Warne → 10, and show it is ambiguous:
# `0000001` could be six Sachins and a Bradman, or five Sachins and a Kapil. Let us find *every*
# reading of that message:

# %%
bad = {"Sachin": "0", "Bradman": "1", "Kapil": "01", "Warne": "10"}


def readings(bits, code):
    """All ways to split `bits` into codewords."""
    if not bits:
        return [[]]
    out = []
    for name, word in code.items():
        if bits.startswith(word):
            out += [[name] + rest for rest in readings(bits[len(word):], code)]
    return out


for r in readings("0000001", bad):
    print(" ".join(r))
assert len(readings("0000001", bad)) == 2

# %% [markdown]
# The notes' fix is a *prefix code* (no codeword starts another one): Sachin → 0, Bradman → 10,
# Kapil → 110, Warne → 111. Now every message has exactly one reading. For 1000 names in the
# stated proportions: 500 x 1 + 250 x 2 + 125 x 3 + 125 x 3 = **1750 bits, 1.75 bits per name**.

# %%
prefix = {"Sachin": "0", "Bradman": "10", "Kapil": "110", "Warne": "111"}
rng = np.random.default_rng(0)
message = list(np.repeat(players, (p_india * 1000).astype(int)))   # 500, 250, 125, 125
rng.shuffle(message)
bits_fixed = "".join(fixed[m] for m in message)
bits_prefix = "".join(prefix[m] for m in message)


def decode(bits, code):
    """Read a prefix code left to right: the first codeword that matches is the only one."""
    names, word, by_word = [], "", {w: n for n, w in code.items()}
    for bit in bits:
        word += bit
        if word in by_word:
            names.append(by_word[word])
            word = ""
    return names


print(f"fixed-length code: {len(bits_fixed)} bits;  prefix code: {len(bits_prefix)} bits")
print("the first 12 names:", " ".join(message[:12]))
print("their bits:        ", "".join(prefix[m] for m in message[:12]))
print("every reading of 0000010 under the prefix code:", readings("0000010", prefix))
assert len(readings("0000010", prefix)) == 1
assert len(bits_fixed) == 2000 and len(bits_prefix) == 1750
assert decode(bits_prefix, prefix) == message

# %% [markdown]
# ## Entropy
#
# The best possible average length is the **entropy**. With codeword lengths n_i = -log2 p_i
# (1, 2, 3, 3 bits here), the average message length is
#
# $$H(p) = \sum_i p_i\, n_i = -\sum_i p_i \log_2 p_i .$$
#
# The notes print this as E = Σ p_i log2 p_i, **without the minus sign**; that would be -1.75
# (log2 p_i is negative for p_i < 1). The minus sign makes it the positive 1.75 bits.

# %%
aml = sum(p * len(prefix[name]) for p, name in zip(p_india, players))
H_hand = -sum(p * math.log2(p) for p in p_india)
no_minus = sum(p * math.log2(p) for p in p_india)
print(f"average message length {aml}, entropy {H_hand} (notes: 1.75), the notes' formula as "
      f"printed: {no_minus}")
print(f"nn.metrics.entropy: {metrics.entropy(p_india)}")
assert aml == H_hand == metrics.entropy(p_india) == 1.75 and no_minus == -1.75

# %% [markdown]
# Entropy also measures uncertainty: if you only ever talked about Sachin it would be 0 (no
# surprise at all); if all four were equally likely it would be at its maximum, log2 4 = 2 bits.

# %%
assert metrics.entropy([1, 0, 0, 0]) == 0 and metrics.entropy([0.25] * 4) == 2

# %% [markdown]
# ## Cross-entropy
#
# Your Australian friend talks about Warne half the time, Kapil a quarter, Bradman and Sachin an
# eighth each, but uses **your** code. For 1000 names: 500 Warne x 3 + 250 Kapil x 3 + 125
# Bradman x 2 + 125 Sachin x 1 = 1500 + 750 + 250 + 125 = **2625 bits, 2.625 per name** (the notes
# round it to 2.6). That is the **cross-entropy**: symbols drawn from p (his distribution) coded
# with a code built for q (yours):
#
# $$H(p, q) = -\sum_i p_i \log_2 q_i \;\ge\; H(p).$$

# %%
p_australia = np.array([0.125, 0.125, 0.25, 0.5])
bits = sum(int(p * 1000) * len(prefix[name]) for p, name in zip(p_australia, players))
CE_hand = -sum(p * math.log2(q) for p, q in zip(p_australia, p_india))
print(f"{bits} bits for 1000 names; cross-entropy {CE_hand} bits per name;"
      f" nn.metrics: {metrics.cross_entropy(p_australia, p_india)}  (notes: 2625 bits, 2.6)")
print(f"his own best code would need H(p) = {metrics.entropy(p_australia)} bits")
assert bits == 2625 and CE_hand == metrics.cross_entropy(p_australia, p_india) == 2.625

# %% [markdown]
# The notes' two-name example: CE = -(0.2 log2 0.4 + 0.8 log2 0.6).

# %%
ce = -(0.2 * math.log2(0.4) + 0.8 * math.log2(0.6))
print(f"CE([0.2, 0.8], [0.4, 0.6]) = {ce:.4f} bits")
assert abs(ce - 0.8540) < 5e-5 and abs(metrics.cross_entropy([0.2, 0.8], [0.4, 0.6]) - ce) < 1e-15

# %% [markdown]
# ## Cross-entropy as a loss
#
# A classifier outputs a distribution q over the classes; the truth is p = the one-hot label.
# Cross-entropy then reduces to -log q_true: the number of bits wasted by believing q. It is 0
# only when the classifier puts probability 1 on the right class.
#
# For a binary classifier with a sigmoid output a = σ(z) and label y, compare the two candidate
# losses the notes discuss:
#
# - squared error L = ½ (a − y)², whose gradient is dL/dz = (a − y) · a(1 − a);
# - binary cross-entropy L = −[y ln a + (1 − y) ln(1 − a)], whose gradient is dL/dz = a − y.
#
# The factor a(1 − a) is the sigmoid's slope (notebook 2): when the neuron is confidently **wrong**
# (a ≈ 0 but y = 1) it is nearly 0, and squared error stops learning. Cross-entropy cancels it.
# We check both gradients against the engine:

# %%
def losses(z, y):
    zv = Value(z)
    a = zv.sigmoid()
    mse = 0.5 * (a - y) ** 2
    mse.backward()
    g_mse = zv.grad
    zv2 = Value(z)
    a2 = zv2.sigmoid()
    bce = -(y * a2.log() + (1 - y) * (1 - a2).log())
    bce.backward()
    return mse.data, g_mse, bce.data, zv2.grad


zs = np.linspace(-8, 8, 81)
rows = np.array([losses(float(z), 1.0) for z in zs])
a = 1 / (1 + np.exp(-zs))
assert np.allclose(rows[:, 1], (a - 1) * a * (1 - a), atol=1e-14)     # hand: (a - y) a (1 - a)
assert np.allclose(rows[:, 3], a - 1, atol=1e-12)                    # hand: a - y
print(f"at z = -8 (confidently wrong): dMSE/dz = {rows[0, 1]:.5f}, dBCE/dz = {rows[0, 3]:.5f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
axes[0].plot(zs, rows[:, 0], label="squared error")
axes[0].plot(zs, rows[:, 2], label="cross-entropy")
axes[0].set_title("loss for a positive example (y = 1)")
axes[1].plot(zs, rows[:, 1], label="squared error")
axes[1].plot(zs, rows[:, 3], label="cross-entropy")
axes[1].set_title("dL/dz from backward()")
for ax in axes:
    ax.set_xlabel("z (the score before the sigmoid)")
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Loss surfaces for a sigmoid neuron
#
# The notes say the squared error of a sigmoid output "does not have a convex shape" while
# cross-entropy does. Take a one-input neuron a = σ(w x + b) and a small, slightly noisy data set,
# and draw both losses over (w, b):

# %%
rng = np.random.default_rng(1)
x_data = rng.normal(size=40)
y_data = (x_data + 0.3 * rng.normal(size=40) > 0).astype(float)

W, B = np.meshgrid(np.linspace(-12, 12, 121), np.linspace(-12, 12, 121))
Z = W[..., None] * x_data + B[..., None]                    # (121, 121, 40)
A = 1 / (1 + np.exp(-Z))
mse_surface = 0.5 * ((A - y_data) ** 2).mean(axis=-1)
log_a = -np.logaddexp(0, -Z)                                # ln σ(z), computed stably
log_1ma = -np.logaddexp(0, Z)                               # ln(1 - σ(z))
bce_surface = -(y_data * log_a + (1 - y_data) * log_1ma).mean(axis=-1)

fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
for ax, surface, title in [(axes[0], mse_surface, "squared error"),
                           (axes[1], bce_surface, "cross-entropy")]:
    cs = ax.contourf(W, B, surface, levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax)
    ax.set_title(title)
    ax.set_xlabel("w")
    ax.set_ylabel("b")
plt.tight_layout()
plt.show()

# %% [markdown]
# The squared-error surface is flat over large regions (wherever the neuron is saturated), with
# the loss bounded by ½: gradient descent started there barely moves. The cross-entropy surface
# keeps rising as the neuron gets more confidently wrong, so its gradient always points back.
# Convexity can be checked numerically: along a straight line in (w, b), a convex function lies
# below its chords. Cross-entropy passes on every line we try; squared error fails:

# %%
def midpoint_gap(loss, p0, p1):
    """loss(midpoint) - mean(loss(ends)); positive means not convex along this segment."""
    def at(p):
        z = p[0] * x_data + p[1]
        a = 1 / (1 + np.exp(-z))
        if loss == "mse":
            return 0.5 * ((a - y_data) ** 2).mean()
        return -(y_data * -np.logaddexp(0, -z) + (1 - y_data) * -np.logaddexp(0, z)).mean()
    return at((p0 + p1) / 2) - (at(p0) + at(p1)) / 2


ends = rng.uniform(-12, 12, size=(2000, 2, 2))
gaps = {k: np.array([midpoint_gap(k, a, b) for a, b in ends]) for k in ("mse", "bce")}
for k, g in gaps.items():
    print(f"{k}: {np.sum(g > 1e-12)} of {len(g)} random segments violate convexity")
assert np.sum(gaps["bce"] > 1e-12) == 0 and np.sum(gaps["mse"] > 1e-12) > 0
