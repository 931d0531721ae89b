# %% [markdown]
# # 20. Write your own engine, and let gradtrace name your mistakes
#
# *Lecture notes `003` and `004`: a node keeps its value and its inputs; each gate knows its
# local gradient; backward visits the nodes from the output back, multiplying local by
# upstream gradients and adding them where a value is used twice.*
#
# The classic assignment is to write that engine yourself, micrograd-style: a `Value` class
# with `data`, `grad`, `_prev` (the inputs) and `_op`, one closure `_backward` per gate, and a
# `backward()` that orders the graph and runs the closures. Below is a skeleton, filled in the
# way a first attempt usually is. After each part, `gradtrace.check_engine(Value)` runs small
# probe graphs through *your* class and through gradtrace and says which mistake each
# difference points to. Edit the cells and run them again to try your own fixes.
#
# The same checks run in an autograder (`gradtrace.assert_engine(Value, min_score=...)`, see
# the course-kit guide), with probe values drawn from a seed.

# %%
import math
import random

import gradtrace
from gradtrace import check_answers, check_engine
from gradtrace.viz import draw, worksheet

# %% [markdown]
# ## Part 1: add, mul and backward
#
# Fill in each gate's `_backward`: the local gradient times the upstream gradient
# `out.grad`, given to each input. And `backward()`: order the nodes so each comes after its
# inputs (a topological order), seed the output's gradient with 1, then call each node's
# `_backward` from the output back.


# %%
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._prev = set(_children)
        self._op = _op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # TODO: local gradient 1 for both inputs
            self.grad = out.grad
            other.grad = out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # TODO: local gradient: the other input
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):  # TODO: a topological order
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


report = check_engine(Value)
print(report)

# %% [markdown]
# Only the gates the class has are checked; the others are listed as skipped, not failed.
# Two mistakes: one gate slip, and the recursive sort (part 1 of the fixes comes back to
# it). `draw(report)` (or `report.draw()`) is *your* graph of the first failing probe, drawn
# from `_prev` and `_op`, the wrong wire in red with the right number beside it:

# %%
assert report.causes() == ["assign-instead-of-accumulate", "recursion-limit"]
draw(report)

# %% [markdown]
# `a + a` uses `a` twice: both uses send gradient back, and the second assignment throws
# the first away. The fix is `+=` in every `_backward`.


# %%
class Value(Value):  # noqa: F811 - each part adds to the class of the part before
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out


report = check_engine(Value)
print(report)
assert report.causes() == ["stale-inner-gradients", "recursion-limit"]

# %% [markdown]
# Two mistakes left, and they are micrograd's own (its issue #53 and its recursive sort):
#
# - **stale inner gradients**: call `backward()` twice and the inner nodes' gradients keep
#   adding up, so the second pass sends twice the gradient down. Leaves adding up is fine (as
#   in PyTorch), but an inner node must start from 0 on each pass.
# - **recursion limit**: `visit` calls itself once per node on the way down a chain; past
#   about 1,000 nodes Python stops it. A loop with a stack of its own has no such limit.


# %%
class Value(Value):  # noqa: F811
    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth first, without recursion: a node goes out after its inputs
            v, inputs_done = stack.pop()
            if inputs_done:
                order.append(v)
            elif v not in seen:
                seen.add(v)
                stack.append((v, True))
                stack.extend((child, False) for child in v._prev)
        for v in order:
            if v._prev:  # inner nodes start again from 0; leaves keep adding up
                v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


report = check_engine(Value)
print(report)
assert report.passed and report.skipped

# %% [markdown]
# ## Part 2: the other gates
#
# Subtraction and division are compositions (a - b = a + (-b), a / b = a * b^-1), and a
# number on the left (`2 - a`) calls the *reflected* methods with the operands swapped. The
# first attempt below has one of the usual slips in it.


# %%
class Value(Value):  # noqa: F811
    def __pow__(self, n):
        out = Value(self.data**n, (self,), f"**{n}")

        def _backward():
            self.grad += n * self.data ** (n - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():  # TODO: the local gradient of tanh
            self.grad += (1 - self.data**2) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other**-1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self - other

    def __rtruediv__(self, other):
        return other * self**-1


report = check_engine(Value)
print(report)
assert report.causes() == ["wrong-local-gradient:tanh", "reflected-op:sub"]

# %% [markdown]
# tanh's local gradient is 1 - t² with t = tanh(x), the gate's *output*; and `2 - a` is
# `a.__rsub__(2)`, which must compute other - self. The picture of the first finding:

# %%
draw(report)


# %%
class Value(Value):  # noqa: F811
    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def __rsub__(self, other):
        return (-self) + other


report = check_engine(Value)
print(report)
assert report.passed and not report.skipped and report.score == 1.0

# %% [markdown]
# Your engine now agrees with gradtrace on every probe. gradtrace draws, steps and explains
# its graphs too: anything with `data`, `grad`, `_prev` and `_op` is read as it is (other
# attribute names: `gradtrace.viz.adapt(node, parents=..., op=...)`).

# %%
x, w, b = Value(2.0), Value(-3.0), Value(6.5)
x.label, w.label, b.label = "x", "w", "b"
n = (x * w + b).tanh()
n.backward()
draw(n)

# %% [markdown]
# ## A worksheet
#
# Before the engine, the same rules by hand. `worksheet(f)` draws a graph with every
# gradient blank (print it: `.render("sheet.pdf")`; `.key()` is the answer key;
# `.save("sheet.html")` a page where you type each gradient and each wire says what your
# answer shows). `check_answers` names the misconception behind a wrong answer.

# %%
X, Y, Z = gradtrace.Value(-2.0, "x"), gradtrace.Value(5.0, "y"), gradtrace.Value(-4.0, "z")
q = X + Y
q.label = "q"
f = q * Z
f.label = "f"
sheet = worksheet(f)
sheet

# %%
answers = {"x": 1, "y": -4, "q": 3, "z": 3}  # a first try
result = check_answers(f, answers)
print(result)
assert result.causes() == {
    "x": "forgot-upstream",
    "y": "correct",
    "q": "mul-gate-uses-own-input",
    "z": "correct",
}
assert sheet.answers() == {"x": -4.0, "y": -4.0, "q": -4.0, "z": 3.0, "f": 1.0}

# %% [markdown]
# ## Watching a network train
#
# `watch(model)` keeps one picture up to date while a model trains: the network view (a box
# per neuron, arrows coloured by the size of the gradient flowing back along them) and the
# loss so far. It is a callback `fit` accepts, and a context manager for a loop of your own
# (call it with each step's loss after `backward()`); the saved notebook keeps the last frame.
# Here: the moons MLP of notebook 08, with micrograd's hinge loss.

# %%
import gradtrace.nn as nn  # noqa: E402
from gradtrace.nn import functional as F  # noqa: E402
from gradtrace.viz import watch  # noqa: E402

points, labels = nn.data.make_moons(40, noise=0.1, seed=1337)
model = nn.MLP(2, [8, 8, 1], activation="relu", seed=0)
with watch(model, every=10) as live:
    sgd = nn.optim.SGD(model.parameters(), lr=0.1)
    options = {"epochs": 30, "batch_size": 40, "seed": 0, "progress": False}
    history = nn.fit(model, F.hinge_loss, points, labels * 2 - 1, optimizer=sgd, callback=live, **options)
print(f"loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}")
assert history["loss"][-1] < history["loss"][0] and len(live.losses) == 30

# %% [markdown]
# ## Switching a micrograd course with one line
#
# `gradtrace.micrograd` is micrograd's API on gradtrace's engine: `from gradtrace.micrograd
# import Value` and `from gradtrace.micrograd.nn import MLP` in place of micrograd's imports,
# and a seeded course notebook builds the same model (`random.uniform(-1, 1)` in the same
# order) and trains it to the same losses. Its Values are gradtrace's, so they draw, explain,
# and pass `check_engine`.

# %%
from gradtrace.micrograd import Value as MValue  # noqa: E402
from gradtrace.micrograd.nn import MLP  # noqa: E402

random.seed(1337)
tiny = MLP(2, [2, 1])
score = tiny([MValue(1.0), MValue(-0.5)])
loss = (1 + -1 * score).relu()
loss.backward()
assert check_engine(MValue).passed
draw(loss, size=8)
