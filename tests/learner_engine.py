"""A micrograd-style engine as a learner writes one, with one mistake planted on request.

`engine()` is correct (iterative topological sort, inner gradients reset on each pass);
`engine("assign")` and the rest each plant one of the mistakes check_engine names. Written for
these tests: each gate is a closure, as in the courses, so only the numbers can be checked.
"""

import math

MISTAKES = {  # planted mistake -> the cause check_engine must name, and nothing else
    "assign": "assign-instead-of-accumulate",
    "reversed-order": "no-topological-order",
    "tanh-uses-input": "wrong-local-gradient:tanh",
    "exp-uses-input": "wrong-local-gradient:exp",
    "pow-forgets-n": "wrong-local-gradient:pow",
    "relu-always-one": "wrong-local-gradient:relu",
    "sub-sign": "sign-error:sub",
    "neg-sign": "sign-error:neg",
    "rsub-swapped": "reflected-op:sub",
    "rtruediv-swapped": "reflected-op:div",
    "no-rmul": "reflected-op:mul",
    "no-radd": "reflected-op:add",
    "stale": "stale-inner-gradients",
    "unseeded": "root-not-seeded",
    "recursive-sort": "recursion-limit",
}


def engine(mistake=None, tanh=True):
    """A Value class; `mistake` is a key of MISTAKES (or "crash-in-mul"); tanh=False leaves
    tanh out (an op the class lacks)."""
    if mistake is not None and mistake not in MISTAKES and mistake != "crash-in-mul":
        raise ValueError(mistake)
    give = (lambda p, g: setattr(p, "grad", g)) if mistake == "assign" else _add_grad

    class Value:
        def __init__(self, data, _children=(), _op=""):
            self.data = float(data)
            self.grad = 0.0
            self._prev = set(_children)
            self._op = _op
            self._backward = lambda: None

        def _gate(self, data, children, op, locals_):
            out = Value(data, children, op)

            def _backward():
                for child, local in zip(children, locals_(out), strict=True):
                    give(child, local * out.grad)

            out._backward = _backward
            return out

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            return self._gate(self.data + other.data, (self, other), "+", lambda o: (1.0, 1.0))

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            if mistake == "crash-in-mul":
                raise ValueError("my mul is not written yet")
            a, b = self.data, other.data
            return self._gate(a * b, (self, other), "*", lambda o: (b, a))

        def __pow__(self, n):
            x = self.data
            rule = (lambda o: (x ** (n - 1),)) if mistake == "pow-forgets-n" else None
            return self._gate(x**n, (self,), f"**{n}", rule or (lambda o: (n * x ** (n - 1),)))

        def __neg__(self):
            if mistake == "neg-sign":
                return self._gate(-self.data, (self,), "neg", lambda o: (1.0,))
            return self * -1

        def __sub__(self, other):
            if mistake == "sub-sign":
                other = other if isinstance(other, Value) else Value(other)
                return self._gate(self.data - other.data, (self, other), "-", lambda o: (1.0, 1.0))
            return self + (-other)

        def __truediv__(self, other):
            return self * other**-1

        def __radd__(self, other):
            return self + other

        def __rmul__(self, other):
            return self * other

        def __rsub__(self, other):
            return self - other if mistake == "rsub-swapped" else (-self) + other

        def __rtruediv__(self, other):
            return self / other if mistake == "rtruediv-swapped" else other * self**-1

        def exp(self):
            x, e = self.data, math.exp(self.data)
            return self._gate(
                e, (self,), "exp", lambda o: (x if mistake == "exp-uses-input" else e,)
            )

        def relu(self):
            x = self.data
            one = mistake == "relu-always-one"
            return self._gate(
                max(x, 0.0), (self,), "ReLU", lambda o: (1.0 if one or x > 0 else 0.0,)
            )

        def _tanh(self):
            x, t = self.data, math.tanh(self.data)
            used = x if mistake == "tanh-uses-input" else t
            return self._gate(t, (self,), "tanh", lambda o: (1.0 - used * used,))

        def backward(self):
            order = _recursive_order(self) if mistake == "recursive-sort" else _order(self)
            if mistake != "stale":
                for v in order:
                    if v._prev:
                        v.grad = 0.0
            if mistake != "unseeded":
                self.grad = 1.0
            for v in order if mistake == "reversed-order" else reversed(order):
                v._backward()

        def __repr__(self):
            return f"Value(data={self.data}, grad={self.grad})"

    if tanh:
        Value.tanh = Value._tanh
    if mistake == "no-rmul":
        del Value.__rmul__
    if mistake == "no-radd":
        del Value.__radd__
    return Value


def _add_grad(p, g):
    p.grad += g


def _order(root):
    """Every node after its inputs, without recursion."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
        elif v not in seen:
            seen.add(v)
            stack.append((v, True))
            stack.extend((c, False) for c in v._prev if c not in seen)
    return order


def _recursive_order(root):
    order, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            for c in v._prev:
                visit(c)
            order.append(v)

    visit(root)
    return order
