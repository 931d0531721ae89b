# %% [markdown]
# # 1. The chain rule on f(x, y, z) = (x + y) z
#
# *Lecture notes: `003_…txt`, "Backpropagation: a simple example" (also `004_…txt`,
# "Backpropagation", where the same graph is drawn with inputs above the wires and gradients
# below).*
#
# The notes take the smallest interesting graph, f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4,
# and work out every gradient by the chain rule. We do the same by hand, then ask gradtrace,
# and then look at the picture.

# %%
from gradtrace import Value
from gradtrace.viz import backward_steps, draw, explain
from IPython.display import display

# %% [markdown]
# ## Forward pass by hand
#
# Name the intermediate result, as the notes do: q = x + y, f = q z.

# %%
x, y, z = -2.0, 5.0, -4.0
q = x + y        # 3
f = q * z        # -12
q, f

# %% [markdown]
# ## Local gradients
#
# Each gate knows only its own inputs and output, so it can compute its *local* gradients on the
# forward pass:
#
# | gate | local gradients |
# |---|---|
# | q = x + y | dq/dx = 1, dq/dy = 1 |
# | f = q z | df/dq = z = -4, df/dz = q = 3 |
#
# ## Backward pass by hand
#
# Start at the output with df/df = 1 and walk back; at every wire multiply the local gradient by
# the upstream gradient ("[local gradient] x [upstream gradient]"):

# %%
df_df = 1.0
df_dz = q * df_df          # mul gate: the gradient to z is the *other* input, q
df_dq = z * df_df          # ... and the gradient to q is z
df_dx = 1.0 * df_dq        # add gate: local gradient 1, passes df/dq through unchanged
df_dy = 1.0 * df_dq
print(f"df/dz = {df_dz}, df/dq = {df_dq}, df/dx = {df_dx}, df/dy = {df_dy}")

# %% [markdown]
# The notes' answer: df/dx = -4, df/dy = -4, df/dz = 3.

# %% [markdown]
# ## The same with gradtrace
#
# `Value` records each gate and its local gradients as the expression is evaluated;
# `backward()` then applies the same rule to every node, in reverse topological order.

# %%
xv, yv, zv = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
qv = xv + yv
qv.label = "q"
fv = qv * zv
fv.label = "f"
draw(fv)      # before backward: forward values only (green, above the wires)

# %% [markdown]
# ## The backward pass, one gate at a time
#
# `backward_steps` replays the backward pass as the slides animate it: first the seed
# df/df = 1, then each gate, highlighted, hands "local gradient x upstream gradient" to its inputs.

# %%
steps = backward_steps(fv)
for step, frame in zip(steps.steps, steps):
    display(frame)
assert len(steps) == 3     # the seed, the * gate, the + gate

# %% [markdown]
# Now the real backward pass. In the picture, gradients appear in red below each wire, as on the
# slides; `show_local=True` also prints each gate's local gradient (blue) under its input wires,
# and `show_roles=True` names the add gate's and mul gate's patterns (see notebook 3).

# %%
fv.backward()
draw(fv, show_local=True, show_roles=True)

# %%
print(f"gradtrace: f = {fv.data}   df/dx = {xv.grad}   df/dy = {yv.grad}   df/dz = {zv.grad}   df/dq = {qv.grad}")
print("notes:     f = -12    df/dx = -4    df/dy = -4    df/dz = 3    df/dq = -4")

# %%
# hand derivation == engine == the lecture's numbers
assert fv.data == f == -12.0
for engine, hand, lecture in [(xv.grad, df_dx, -4), (yv.grad, df_dy, -4),
                              (zv.grad, df_dz, 3), (qv.grad, df_dq, -4)]:
    assert abs(engine - hand) < 1e-12 and abs(hand - lecture) < 1e-12

# %% [markdown]
# The local gradients the engine stored on each gate are the numbers in the table above:
# the mul gate stored (z, q) = (-4, 3) for its inputs (q, z), the add gate (1, 1).

# %%
print("f gate:", fv.op, "inputs", [p.label for p in fv.parents], "local gradients", fv.local_grads)
print("q gate:", qv.op, "inputs", [p.label for p in qv.parents], "local gradients", qv.local_grads)
assert fv.local_grads == (-4.0, 3.0) and qv.local_grads == (1.0, 1.0)

# %% [markdown]
# ## The chain rule, written out by `explain`
#
# `explain(f, wrt=x)` writes the derivation we did by hand for the graph the engine recorded: every
# path from f back to x, as the product of the local gradients along it (here one path,
# df/dx = df/dq · dq/dx), and the same sum node by node, in the order backward visits the nodes.
# It reads the local gradients stored on the gates, so its numbers are the engine's.

# %%
explain(fv, wrt=xv)

# %%
e = explain(fv, wrt=xv)
(path,) = e.paths
print(" · ".join(factor.name for factor in path.factors), "=",
      " × ".join(f"{factor.value:g}" for factor in path.factors), "=", f"{path.value:g}")
assert [(factor.name, factor.value) for factor in path.factors] == [("df/dq", df_dq), ("dq/dx", 1.0)]
assert e.gradient == xv.grad == df_dx == -4

# %% [markdown]
# For z the path is a single wire into the mul gate, whose local gradient is the other input:
# df/dz = q = 3. The same explanation is also plain data (`to_dict()`) and text (`print`):

# %%
print(explain(fv, wrt=zv))
assert explain(fv, wrt=zv).to_dict()["paths"][0]["factors"] == [
    {"name": "df/dz", "of": "f", "wrt": "z", "value": 3.0}]

# %% [markdown]
# ## A numerical check
#
# A gradient is a slope: nudge one input by a small h and watch f. The central difference
# (f(x+h) - f(x-h)) / 2h agrees with backprop (here exactly up to rounding, since f is linear in
# each input).

# %%
def f_of(x, y, z):
    return (x + y) * z

h = 1e-6
numeric = [
    (f_of(x + h, y, z) - f_of(x - h, y, z)) / (2 * h),
    (f_of(x, y + h, z) - f_of(x, y - h, z)) / (2 * h),
    (f_of(x, y, z + h) - f_of(x, y, z - h)) / (2 * h),
]
print(numeric)
assert all(abs(n - g) < 1e-6 for n, g in zip(numeric, [xv.grad, yv.grad, zv.grad]))

# %% [markdown]
# ## Gradients accumulate on leaves (as in PyTorch)
#
# Calling `backward()` a second time on the same graph *adds* the gradients again on the leaves
# (x.grad goes from -4 to -8), while inner nodes such as q are recomputed. This is what lets a
# value used twice collect the gradient of both uses; in a training loop, zero the gradients
# before each backward pass.

# %%
fv.backward()
print("after a second backward:", xv.grad, yv.grad, zv.grad, "  q:", qv.grad)
assert (xv.grad, yv.grad, zv.grad, qv.grad) == (-8.0, -8.0, 6.0, -4.0)
fv.zero_grad()
fv.backward()
assert (xv.grad, yv.grad, zv.grad) == (-4.0, -4.0, 3.0)
