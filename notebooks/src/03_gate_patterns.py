# %% [markdown]
# # 3. Patterns in backward flow, and the Jacobian that is never built
#
# *Lecture notes `003` (Vipparthi): "Patterns in backward flow", "Gradients add at branches",
# "Gradients for vectorized code", "Vectorized operations".*
#
# The notes name three gates by what they do to the gradient coming from above:
#
# - **add** gate: gradient *distributor*: every input gets the upstream gradient unchanged;
# - **max** gate: gradient *router*: the larger input gets all of it, the others get zero;
# - **mul** gate: gradient *switcher*: each input gets the upstream gradient times the *other* input.
#
# We check all three on one small expression, f = 2 (x y + max(z, w)) at x = 3, y = -4, z = 2,
# w = -1 (the circuit the slide draws, with our own inputs).

# %%
import numpy as np
from gradtrace import Value
from gradtrace.viz import draw

# %% [markdown]
# ## By hand
#
# Forward: x y = -12, max(z, w) = 2, their sum -10, times 2: f = -20.
# Backward from df/df = 1:
#
# - the "\*2" gate: upstream 1, local gradient 2, so the sum receives **2**;
# - the add gate *distributes*: x y and max(z, w) both receive **2**;
# - the max gate *routes*: z = 2 is larger, so dz = **2** and dw = **0**;
# - the mul gate *switches*: dx = y x 2 = **-8**, dy = x x 2 = **6**.

# %%
hand = {"x": -4.0 * 2, "y": 3.0 * 2, "z": 2.0, "w": 0.0}
x, y, z, w = Value(3.0, "x"), Value(-4.0, "y"), Value(2.0, "z"), Value(-1.0, "w")
xy = x * y
m = z.max(w)
s = xy + m
f = s * 2
f.backward()
print(f"f = {f.data}")
print(f"upstream at the add gate {s.grad}; both of its inputs get {xy.grad} and {m.grad}")
for v in (x, y, z, w):
    print(f"df/d{v.label} = {v.grad:+g}   (by hand {hand[v.label]:+g})")

# %%
draw(f, show_roles=True)

# %%
assert f.data == -20.0
assert xy.grad == m.grad == s.grad == 2.0                 # add: distributor
assert (z.grad, w.grad) == (2.0, 0.0)                     # max: router
assert (x.grad, y.grad) == (y.data * 2, x.data * 2)       # mul: switcher
assert all(v.grad == hand[v.label] for v in (x, y, z, w))

# %% [markdown]
# On a tie, gradtrace's max gate routes the whole gradient to its *first* input (a choice; the
# derivative is undefined there), so max(x, x) gives x the gradient 1, not 2:

# %%
t = Value(1.5, "t")
t.max(t).backward()
print("d max(t, t)/dt =", t.grad)
assert t.grad == 1.0

# %% [markdown]
# ## Gradients add at branches
#
# When a value feeds two gates, it receives a gradient from each, and the two are *added*
# (the multivariable chain rule). For f = x y + x at x = 3, y = -4: df/dx = y + 1 = -3.

# %%
x, y = Value(3.0, "x"), Value(-4.0, "y")
f = x * y + x
f.backward()
print("df/dx =", x.grad, "  df/dy =", y.grad)
assert x.grad == y.data + 1 == -3.0 and y.grad == 3.0
draw(f)   # x splits at a dot: -4 comes back along one branch, 1 along the other, -3 in total

a = Value(5.0, "a")
(a + a).backward()                    # the same wire used twice by one gate
assert a.grad == 2.0
b = Value(5.0, "b")
(b * b).backward()                    # d(b^2)/db = 2b, again as the sum of two branches
assert b.grad == 10.0

# %% [markdown]
# ## Vectorized code: the Jacobian
#
# When x and f(x) are vectors, df/dx is the **Jacobian matrix**: the derivative of each output
# element with respect to each input element, and backprop multiplies it by the upstream gradient,
#
# $$\frac{\partial L}{\partial x} = \left(\frac{\partial f}{\partial x}\right)^{\!\top}
#   \frac{\partial L}{\partial f}.$$
#
# The notes' example: f(x) = max(0, x) elementwise on a 4096-d vector. We can build the Jacobian
# of a small one (n = 6) with the scalar engine, one backward pass per output, and look at it:

# %%
rng = np.random.default_rng(0)
n = 6
x_np = rng.normal(size=n)
J = np.zeros((n, n))
for i in range(n):                      # row i: gradient of output i w.r.t. every input
    xs = [Value(float(v)) for v in x_np]
    outs = [v.relu() for v in xs]
    outs[i].backward()
    J[i] = [v.grad for v in xs]
print("x =", np.round(x_np, 3))
print(J)
assert np.array_equal(J, np.diag((x_np > 0).astype(float)))

# %% [markdown]
# Every off-diagonal entry is zero: output i depends on input i only. So J^T g is just
# `(x > 0) * g`, an elementwise product: the vector-Jacobian product (VJP) that a vectorized
# gate computes *without building J*.

# %%
g = rng.normal(size=n)                  # some upstream gradient dL/df
vjp = np.where(x_np > 0, g, 0.0)        # what the relu gate actually computes
assert np.allclose(J.T @ g, vjp)
print("J^T g        =", np.round(J.T @ g, 4))
print("(x > 0) * g  =", np.round(vjp, 4))  # no Jacobian needed

# %% [markdown]
# ## Why it is never built
#
# The notes ask: what is the size of that Jacobian for a 4096-d input and output? [4096 x 4096].
# And with a minibatch of 100 examples processed at once it would "technically be a
# [409,600 x 409,600] matrix". In float64 (8 bytes per entry):

# %%
for rows, what in [(4096, "one example"), (4096 * 100, "a minibatch of 100")]:
    entries = rows * rows
    size = f"{entries * 8 / 1e6:,.0f} MB" if entries < 1e9 else f"{entries * 8 / 1e12:,.2f} TB"
    print(f"{what:>18}: {rows:,} x {rows:,} = {entries:,} entries = {size};"
          f" nonzero: {rows:,}")
assert 4096 * 100 == 409_600

# %% [markdown]
# 134 MB for one example and 1.3 **TB** for the minibatch, to store a matrix that is zero except
# for its diagonal. The VJP needs 409,600 multiplications and no extra memory. This is why every
# Tensor gate in gradtrace (and in PyTorch) supplies a vector-Jacobian product instead of a
# Jacobian.
