# %% [markdown]
# # 4. The 2-2-2 network, by hand and by autograd
#
# *Lecture notes `003` (Vipparthi): "Back Propagation In NN", "Example of NN", "Forward Pass",
# "Total Error", "Backward Propagation" (the worked example credited to Matt Mazur's 2015 post).*
#
# Two inputs, two hidden sigmoid neurons, two sigmoid outputs, a squared-error loss, one
# training example, learning rate 0.5. As in the notes, each layer has **one** bias shared by its
# two neurons, and the biases are **not** updated.
#
# | | values |
# |---|---|
# | inputs | i1 = 0.05, i2 = 0.10 |
# | targets | 0.01, 0.99 |
# | input → hidden | w1 = 0.15, w2 = 0.20 (into h1), w3 = 0.25, w4 = 0.30 (into h2), b1 = 0.35 |
# | hidden → output | w5 = 0.40, w6 = 0.45 (into o1), w7 = 0.50, w8 = 0.55 (into o2), b2 = 0.60 |

# %%
import math
import time

import matplotlib.pyplot as plt
from gradtrace import Value
from gradtrace.viz import draw, explain

i1, i2 = 0.05, 0.10
t1, t2 = 0.01, 0.99
w1, w2, w3, w4, w5, w6, w7, w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55
b1, b2 = 0.35, 0.60
lr = 0.5


def sigmoid(z):
    return 1 / (1 + math.exp(-z))

# %% [markdown]
# ## Forward pass by hand

# %%
net_h1 = w1 * i1 + w2 * i2 + b1
out_h1 = sigmoid(net_h1)
net_h2 = w3 * i1 + w4 * i2 + b1
out_h2 = sigmoid(net_h2)
net_o1 = w5 * out_h1 + w6 * out_h2 + b2
out_o1 = sigmoid(net_o1)
net_o2 = w7 * out_h1 + w8 * out_h2 + b2
out_o2 = sigmoid(net_o2)
E_o1 = 0.5 * (t1 - out_o1) ** 2
E_o2 = 0.5 * (t2 - out_o2) ** 2
E_total = E_o1 + E_o2
for name, ours, notes in [
    ("net_h1", net_h1, "0.3775"), ("out_h1", out_h1, "0.5932699"), ("out_h2", out_h2, "0.5968843"),
    ("net_o1", net_o1, "1.105905967"), ("out_o1", out_o1, "0.75136507"),
    ("out_o2", out_o2, "0.772928"), ("E_o1", E_o1, "0.274811083"), ("E_o2", E_o2, "0.023560026"),
    ("E_total", E_total, "0.298371109"),
]:
    print(f"{name:>8} = {ours:.10f}   notes: {notes}")

# %%
notes_forward = {"net_h1": 0.3775, "out_h1": 0.5932699, "out_h2": 0.5968843,
                 "net_o1": 1.105905967, "out_o1": 0.75136507, "out_o2": 0.772928,
                 "E_o1": 0.274811083, "E_o2": 0.023560026, "E_total": 0.298371109}
ours_forward = {"net_h1": net_h1, "out_h1": out_h1, "out_h2": out_h2, "net_o1": net_o1,
                "out_o1": out_o1, "out_o2": out_o2, "E_o1": E_o1, "E_o2": E_o2, "E_total": E_total}
for key, printed in notes_forward.items():
    digits = len(str(printed).split(".")[1])
    assert abs(ours_forward[key] - printed) < 10**-digits, key   # within one unit of the last digit

# %% [markdown]
# Every forward number the notes print is reproduced to the last printed digit (the notes
# sometimes truncate instead of rounding: out_h1 = 0.59326999… is printed 0.5932699).
#
# ## Backward pass by hand: the output layer
#
# dE/dw5 = dE/dout_o1 · dout_o1/dnet_o1 · dnet_o1/dw5, and in the same way for w6, w7, w8.

# %%
dE_dout_o1 = -(t1 - out_o1)                 # notes: 0.74136507
dout_dnet_o1 = out_o1 * (1 - out_o1)        # notes: 0.18681560
delta_o1 = dE_dout_o1 * dout_dnet_o1        # notes: 0.1384985
dE_dout_o2 = -(t2 - out_o2)                 # notes: -0.217072
dout_dnet_o2 = out_o2 * (1 - out_o2)        # notes: 0.1755100
delta_o2 = dE_dout_o2 * dout_dnet_o2        # notes: -0.0380983

dE_dw5 = delta_o1 * out_h1                  # notes: 0.082167041
dE_dw6 = delta_o1 * out_h2
dE_dw7 = delta_o2 * out_h1
dE_dw8 = delta_o2 * out_h2

# %% [markdown]
# ## Backward pass by hand: the hidden layer
#
# out_h1 feeds both outputs, so its gradient is the *sum* of two branches (gradients add at
# branches): dE/dout_h1 = dE_o1/dout_h1 + dE_o2/dout_h1, with dnet_o1/dout_h1 = w5 and
# dnet_o2/dout_h1 = w7, the **old** weights.

# %%
dEo1_dout_h1 = delta_o1 * w5                 # notes: 0.0553994
dEo2_dout_h1 = delta_o2 * w7                 # notes: -0.0190491
dE_dout_h1 = dEo1_dout_h1 + dEo2_dout_h1     # notes: 0.0363503
dout_dnet_h1 = out_h1 * (1 - out_h1)         # notes: 0.2413007
delta_h1 = dE_dout_h1 * dout_dnet_h1
delta_h2 = (delta_o1 * w6 + delta_o2 * w8) * out_h2 * (1 - out_h2)

dE_dw1 = delta_h1 * i1                       # notes: 0.00043856
dE_dw2 = delta_h1 * i2
dE_dw3 = delta_h2 * i1
dE_dw4 = delta_h2 * i2

hand_grads = [dE_dw1, dE_dw2, dE_dw3, dE_dw4, dE_dw5, dE_dw6, dE_dw7, dE_dw8]
notes_backward = [
    ("dE/dout_o1", dE_dout_o1, "0.74136507"), ("dout_o1/dnet_o1", dout_dnet_o1, "0.18681560"),
    ("dE_o1/dnet_o1", delta_o1, "0.1384985"), ("dE/dw5", dE_dw5, "0.082167041"),
    ("dE_o2/dout_o2", dE_dout_o2, "-0.217072"), ("dout_o2/dnet_o2", dout_dnet_o2, "0.1755100"),
    ("dE_o2/dnet_o2", delta_o2, "-0.0380983"), ("dE_o1/dout_h1", dEo1_dout_h1, "0.0553994"),
    ("dE_o2/dout_h1", dEo2_dout_h1, "-0.0190491"), ("dE/dout_h1", dE_dout_h1, "0.0363503"),
    ("dout_h1/dnet_h1", dout_dnet_h1, "0.2413007"), ("dE/dw1", dE_dw1, "0.00043856"),
]
for name, ours, printed in notes_backward:
    print(f"{name:>16} = {ours:+.10f}   notes: {printed}")

# %%
for name, ours, printed in notes_backward:
    digits = len(printed.split(".")[1])
    assert abs(ours - float(printed)) < 10**-digits, name

# %% [markdown]
# Every intermediate gradient the notes print is reproduced to its last printed digit.
#
# ## The same gradients by autograd
#
# Build the network from `Value`s and let `backward()` do all of the above.

# %%
def network(ws, i1=i1, i2=i2):
    """The 2-2-2 network on Values; returns (E, out_o1, out_o2)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = ws
    net_h1 = w1 * i1 + w2 * i2 + b1
    net_h2 = w3 * i1 + w4 * i2 + b1
    h1, h2 = net_h1.sigmoid(), net_h2.sigmoid()
    net_o1 = w5 * h1 + w6 * h2 + b2
    net_o2 = w7 * h1 + w8 * h2 + b2
    o1, o2 = net_o1.sigmoid(), net_o2.sigmoid()
    E = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
    named = {"net_h1": net_h1, "net_h2": net_h2, "out_h1": h1, "out_h2": h2,
             "net_o1": net_o1, "net_o2": net_o2, "out_o1": o1, "out_o2": o2, "E": E}
    for name, node in named.items():   # the notes' names, for the picture and `explain`
        node.label = name
    return E, o1, o2


weights = [Value(v, f"w{k}") for k, v in enumerate([w1, w2, w3, w4, w5, w6, w7, w8], start=1)]
E, o1, o2 = network(weights)
E.backward()
print(f"E = {E.data:.10f}")
for w, hand in zip(weights, hand_grads):
    print(f"dE/d{w.label} = {w.grad:+.12f}   by hand {hand:+.12f}")

# %%
assert abs(E.data - 0.298371109) < 5e-10
for w, hand in zip(weights, hand_grads):
    assert abs(w.grad - hand) < 1e-15

# %% [markdown]
# The whole computation as a graph, values beside each wire in green and gradients in red, drawn
# top to bottom so that it fits the notebook's column (`rankdir="TB"`, and `size=8`: at most 8
# inches wide). Numbers have four significant digits. The notes' numbers are all on it:
# out_h1 = 0.5933 splits into two branches that bring back 0.0554 (via w5) and -0.01905 (via w7),
# which add up to dE/dout_h1 = 0.03635; the wire out of net_o1 into o1's sigmoid carries
# δ_o1 = 0.1385, out_o1 = 0.7514 is below it, w5's gradient is 0.08217 and w1's 0.0004386 (the
# notes' 0.00043856); the loss E = 0.2984 is at the bottom.

# %%
draw(E, rankdir="TB", size=8)

# %%
picture = draw(E, rankdir="TB", size=8)
for shown in ["0.2984", "0.7514", "0.1385", "0.08217", "0.03635", "0.0004386"]:
    assert f">{shown}<" in picture.source, shown   # the notes' numbers, on the picture
assert 'size="8,100"' in picture.source

# %% [markdown]
# ## The notes' derivation, written out by `explain`
#
# `explain(E, wrt=w5)` writes how backprop got w5's gradient from the local gradients the gates
# recorded. With `by="label"` it keeps only the nodes we named as the notes do (net_o1, out_o1,
# ...) and multiplies the unnamed gates between two of them into one factor: the squared error's
# gates (-, \*\*2, \*0.5, +) become the notes' single dE/dout_o1, and the neuron's sum becomes
# dnet_o1/dw5 = out_h1. The notes print 8 digits here (`fmt=".8g"`):

# %%
explain(E, wrt=weights[4], by="label", fmt=".8g")

# %%
e5 = explain(E, wrt=weights[4], by="label")
(path,) = e5.paths
assert [f.name for f in path.factors] == ["dE/dout_o1", "dout_o1/dnet_o1", "dnet_o1/dw5"]
for factor, printed in zip(path.factors, ["0.74136507", "0.18681560", "0.5932699"]):
    digits = len(printed.split(".")[1])
    assert abs(factor.value - float(printed)) < 10**-digits, factor.name   # the notes' digits
assert abs(path.value - 0.082167041) < 1e-9 and e5.agrees

# %% [markdown]
# w1 is reached along two paths, one through each output neuron. The notes add them where they
# meet, at out_h1: dE/dout_h1 = 0.0553994 + -0.0190491 = 0.0363503, then multiply by
# dout_h1/dnet_h1 = 0.2413007 and dnet_h1/dw1 = i1 = 0.05. That is the per-node form, printed
# here with the notes' 7 decimals (above it, the same sum path by path):

# %%
explain(E, wrt=weights[0], by="label", fmt=".7f")

# %%
e1 = explain(E, wrt=weights[0], by="label")
assert e1.n_paths == 2
out_h1_sum = next(n for n in e1.nodes if n.name == "out_h1")
assert [t.consumer for t in out_h1_sum.terms] == ["net_o1", "net_o2"]
for ours, printed in [(out_h1_sum.terms[0].value, "0.0553994"),
                      (out_h1_sum.terms[1].value, "-0.0190491"),
                      (out_h1_sum.gradient, "0.0363503"), (e1.gradient, "0.00043856")]:
    digits = len(printed.split(".")[1])
    assert abs(ours - float(printed)) < 10**-digits, printed
assert abs(sum(p.value for p in e1.paths) - dE_dw1) < 1e-15 and e1.agrees

# %% [markdown]
# Gate by gate (the default, `by="gate"`) the same two paths have 13 factors each, one per gate,
# and give the same sum:

# %%
gates = explain(E, wrt=weights[0])
print(f"{gates.n_paths} paths of {len(gates.paths[0].factors)} factors; dE/dw1 = {gates.gradient:.8f}")
assert gates.n_paths == 2 and abs(gates.gradient - e1.gradient) < 1e-15

# %% [markdown]
# ## One update: w ← w − 0.5 · dE/dw, all weights at once

# %%
new = [w.data - lr * w.grad for w in weights]
notes_new = {"w1": "0.149780", "w2": "0.19956143", "w3": "0.24975114", "w4": "0.29950229",
             "w5": "0.358916", "w6": "0.408666186", "w7": "0.511301270", "w8": "0.561370121"}
for w, value in zip(weights, new):
    print(f"{w.label}: {w.data:.2f} -> {value:.9f}   notes: {notes_new[w.label]}")

# %%
for w, value in zip(weights, new):
    printed = notes_new[w.label]
    digits = len(printed.split(".")[1])
    assert abs(value - float(printed)) < 10**-digits, w.label
expected = [0.14978072, 0.19956143, 0.24975114, 0.29950229,
            0.35891648, 0.40866619, 0.51130127, 0.56137012]      # DESIGN.md, 8 digits
assert all(abs(a - b) < 5e-9 for a, b in zip(new, expected))

# %% [markdown]
# All eight new weights match the notes. One slip in the notes: after computing w1 they write
# "With the same procedure weights **w2 w3 w4** … will be computed" and then print the three
# values as "w1_new = 0.19956143, w2_new = 0.24975114, w3_new = 0.29950229". Those are **w2, w3
# and w4** (w1 is 0.149780, computed just before); the labels are off by one.
#
# ## The error after one update

# %%
E1, _, _ = network([Value(v) for v in new])
print(f"after one update: E = {E1.data:.10f}   (notes: 0.291027924)")
assert abs(E1.data - 0.2910277737) < 5e-11

# %% [markdown]
# We get **0.2910277737**; the notes print **0.291027924**, 1.5e-7 higher. The difference is not
# rounding: the notes' own printed weights give the same 0.29102773 as we do. It comes from a
# small bug in the program the numbers were taken from. That program updates w5..w8 *first* and
# then uses the **new** w5 and w7 to send the gradient back to the hidden layer, although the notes
# themselves say "new values only considered in next forward pass after complete updation of
# weights" (and their hand derivation uses the old w5 = 0.40). Doing exactly that reproduces the
# notes' number to all nine digits:

# %%
def update_like_the_notes_source(ws):
    """One step that (wrongly) backpropagates through the already-updated w5..w8."""
    w1, w2, w3, w4, w5, w6, w7, w8 = ws
    h1 = sigmoid(w1 * i1 + w2 * i2 + b1)
    h2 = sigmoid(w3 * i1 + w4 * i2 + b1)
    o1 = sigmoid(w5 * h1 + w6 * h2 + b2)
    o2 = sigmoid(w7 * h1 + w8 * h2 + b2)
    d1 = (o1 - t1) * o1 * (1 - o1)
    d2 = (o2 - t2) * o2 * (1 - o2)
    w5, w6, w7, w8 = w5 - lr * d1 * h1, w6 - lr * d1 * h2, w7 - lr * d2 * h1, w8 - lr * d2 * h2
    dh1 = (d1 * w5 + d2 * w7) * h1 * (1 - h1)       # new w5, w7: the bug
    dh2 = (d1 * w6 + d2 * w8) * h2 * (1 - h2)
    return [w1 - lr * dh1 * i1, w2 - lr * dh1 * i2, w3 - lr * dh2 * i1, w4 - lr * dh2 * i2,
            w5, w6, w7, w8]


def error(ws):
    with_values = network([Value(v) for v in ws])
    return with_values[0].data, with_values[1].data, with_values[2].data


buggy = update_like_the_notes_source([w1, w2, w3, w4, w5, w6, w7, w8])
print(f"with the source's update: E = {error(buggy)[0]:.9f}")
print(f"notes' printed weights:   E = {error([float(v) for v in notes_new.values()])[0]:.9f}")
assert abs(error(buggy)[0] - 0.291027924) < 5e-10

# %% [markdown]
# ## 10,000 updates
#
# Now train: 10,000 steps of forward, backward, update, with the engine.

# %%
start = time.perf_counter()
ws = [Value(v, f"w{k}") for k, v in enumerate([w1, w2, w3, w4, w5, w6, w7, w8], start=1)]
history = []
for step in range(10_000):
    E, o1, o2 = network(ws)
    history.append(E.data)
    for w in ws:
        w.grad = 0.0
    E.backward()
    for w in ws:
        w.data -= lr * w.grad
E, o1, o2 = network(ws)
history.append(E.data)
seconds = time.perf_counter() - start
print(f"after 10,000 updates: E = {E.data:.6e}, outputs {o1.data:.7f} {o2.data:.7f}"
      f"   ({seconds:.1f} s)")
print("notes:                E = 3.51085e-05, outputs 0.015912196 0.984065734")

# %%
assert abs(E.data - 3.5102e-05) < 5e-10
assert abs(o1.data - 0.0159136) < 5e-8 and abs(o2.data - 0.9840643) < 5e-8

# %% [markdown]
# Exact float64 gives **3.5102e-05** with outputs **0.0159136** and **0.9840643**; the notes print
# 0.0000351085, 0.015912196 and 0.984065734. Again the source's update rule explains it: run
# 10,000 of *its* updates and the two outputs come out as the notes print them, to all nine digits.
# (Its error, 3.50848e-05, is still not the notes' 3.51085e-05: those two differ in the third
# digit, and the notes' two outputs give 3.50848e-05 when put into the error formula by hand, so
# the printed error looks like a transcription slip.)

# %%
ws_src = [w1, w2, w3, w4, w5, w6, w7, w8]
for _ in range(10_000):
    ws_src = update_like_the_notes_source(ws_src)
E_src, o1_src, o2_src = error(ws_src)
print(f"the source's rule: E = {E_src:.6e}, outputs {o1_src:.9f} {o2_src:.9f}")
by_hand = 0.5 * (0.01 - 0.015912196) ** 2 + 0.5 * (0.99 - 0.984065734) ** 2
print(f"the notes' outputs put into E by hand: {by_hand:.6e}")
assert abs(o1_src - 0.015912196) < 5e-10 and abs(o2_src - 0.984065734) < 5e-10
assert abs(by_hand - 3.50848e-05) < 5e-10

# %% [markdown]
# ## The error curve

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.semilogy(history)
ax.set_xlabel("update")
ax.set_ylabel("E (log scale)")
ax.set_title("2-2-2 network: squared error over 10,000 updates (lr 0.5)")
ax.annotate(f"{history[0]:.9f}", (0, history[0]), (800, 0.1))
ax.annotate(f"{history[-1]:.4e}", (10_000, history[-1]), (6500, 2e-4))
plt.show()
