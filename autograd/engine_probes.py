"""The probe graphs `check_engine` runs through a learner's Value class and through gradtrace.

Each probe is a tiny graph built by one function from the class it is given, so the same code
builds the learner's graph and gradtrace's reference. Each is made to show one mistake and
only that one (`kind`): one gate alone; a number on the left (a reflected operator); one gate
using one value twice (gradients must add); graphs whose backward needs a topological order;
the root's seed; two backward() calls; a chain deeper than Python's recursion limit.
`uses` lists the gates (by op; a reflected one as "r" + op) and the probe kinds a probe leans
on: when one of those already failed, that failure is the cause (a learner's `a - b` is often
`a + (-b)`, so a wrong neg also breaks sub).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEEP = 3000  # a chain deeper than Python's default recursion limit (1000)

Nodes = dict[str, Any]  # name -> node; "out" is the root


@dataclass(frozen=True)
class Probe:
    """One probe: `check` as the learner reads it ("a - b"), the gate it tests (`op`), its
    `kind`, the methods the class needs for it (`needs`, else skipped), the gates it `uses`,
    the ranges its leaves are drawn from, and `build(V, leaves) -> Nodes`."""

    check: str
    op: str
    kind: str
    build: Callable[[Any, Nodes], Nodes]
    needs: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    ranges: tuple[tuple[float, float], ...] = ((-2.0, 2.0), (-2.0, 2.0))

    def leaves(self, rng: random.Random) -> list[float]:
        """Leaf values from the seeded `rng`, one per range: uniform in (lo, hi), or for a
        range across 0, a magnitude in (0.5, hi) with a random sign (never near 0)."""
        out = []
        for lo, hi in self.ranges:
            if lo < 0 < hi:
                out.append(rng.uniform(0.5, hi) * rng.choice((-1, 1)))
            else:
                out.append(rng.uniform(lo, hi))
        return [round(x, 3) for x in out]  # short numbers a learner can check by hand


def _leafs(names: str) -> Callable[[Any, list[float]], Nodes]:
    return lambda V, xs: {n: V(x) for n, x in zip(names, xs, strict=True)}


def _one(f: Callable[..., Any]) -> Callable[[Any, Nodes], Nodes]:
    """A probe whose root is f(a) or f(a, b) of its leaves."""

    def build(V: Any, leaves: Nodes) -> Nodes:
        return {**leaves, "out": f(*leaves.values())}

    return build


def _diamond(V: Any, n: Nodes) -> Nodes:
    e = n["a"] * n["b"]
    return {**n, "e": e, "out": (e + n["c"]) * e}


def _chain(V: Any, n: Nodes) -> Nodes:
    e = n["a"] * n["b"]
    g = e + n["c"]
    return {**n, "e": e, "g": g, "out": g * n["d"]}


def _twice(V: Any, n: Nodes) -> Nodes:
    q = n["a"] + n["b"]
    return {**n, "q": q, "out": q * n["c"]}


def _deep(V: Any, n: Nodes) -> Nodes:
    x = n["a"]
    for _ in range(DEEP):
        x = x + n["b"]
    return {**n, "out": x}


POS, NEG, ANY = (0.5, 2.0), (-2.0, -0.5), (-2.0, 2.0)
TANH = (0.3, 1.2)  # 1 - x**2 and 1 - tanh(x)**2 differ clearly here
POW_BASE = (1.2, 2.0)  # away from 1, where n x**(n-1), x**(n-1) and n x**n meet

GATES = [
    Probe("a + b", "add", "op", _one(lambda a, b: a + b), ("__add__",), ()),
    Probe("a * b", "mul", "op", _one(lambda a, b: a * b), ("__mul__",), ()),
    Probe("-a", "neg", "op", _one(lambda a: -a), ("__neg__",), ("mul", "rmul", "order"), (ANY,)),
    Probe(
        "a - b", "sub", "op", _one(lambda a, b: a - b), ("__sub__",), ("add", "neg", "mul", "order")
    ),
    Probe("a ** 3", "pow", "op", _one(lambda a: a**3), ("__pow__",), (), (POW_BASE,)),
    Probe(
        "a / b", "div", "op", _one(lambda a, b: a / b), ("__truediv__",), ("mul", "pow", "order")
    ),
    Probe("a.exp()", "exp", "op", _one(lambda a: a.exp()), ("exp",), (), ((0.5, 1.5),)),
    Probe("a.tanh()", "tanh", "op", _one(lambda a: a.tanh()), ("tanh",), (), (TANH,)),
    Probe("a.relu() with a > 0", "relu", "op", _one(lambda a: a.relu()), ("relu",), (), (POS,)),
    Probe("a.relu() with a < 0", "relu", "op", _one(lambda a: a.relu()), ("relu",), (), (NEG,)),
    Probe("a + 2", "add", "op", _one(lambda a: a + 2), ("__add__",), ("add",), (ANY,)),
    Probe("a * 2", "mul", "op", _one(lambda a: a * 2), ("__mul__",), ("mul",), (ANY,)),
]
REFLECTED = [
    Probe("2 + a", "add", "reflected", _one(lambda a: 2 + a), ("__add__",), ("add",), (POS,)),
    Probe("2 * a", "mul", "reflected", _one(lambda a: 2 * a), ("__mul__",), ("mul",), (POS,)),
    Probe(
        "2 - a",
        "sub",
        "reflected",
        _one(lambda a: 2 - a),
        ("__sub__",),
        ("add", "neg", "sub", "mul", "rmul", "radd", "order"),
        (POS,),
    ),
    Probe(
        "2 / a",
        "div",
        "reflected",
        _one(lambda a: 2 / a),
        ("__truediv__",),
        ("mul", "pow", "div", "rmul", "order"),
        (POS,),
    ),
]
ACCUMULATE = [
    Probe(
        "a + a",
        "add",
        "accumulate",
        lambda V, n: {**n, "out": n["a"] + n["a"]},
        ("__add__",),
        ("add",),
        (POS,),
    ),
    Probe(
        "a * a",
        "mul",
        "accumulate",
        lambda V, n: {**n, "out": n["a"] * n["a"]},
        ("__mul__",),
        ("mul",),
        (POS,),
    ),
]
ORDER = [
    Probe(
        "e = a * b; (e + c) * e",
        "",
        "order",
        _diamond,
        ("__add__", "__mul__"),
        ("add", "mul", "accumulate"),
        (ANY, ANY, ANY),
    ),
    Probe(
        "((a * b) + c) * d",
        "",
        "order",
        _chain,
        ("__add__", "__mul__"),
        ("add", "mul", "accumulate"),
        (ANY, ANY, ANY, ANY),
    ),
]
SEED = Probe(
    "backward() on a + b sets its own grad to 1",
    "",
    "seed",
    _one(lambda a, b: a + b),
    ("__add__",),
    (),
)
TWICE = Probe(
    "backward() twice on q = a + b; q * c",
    "",
    "twice",
    _twice,
    ("__add__", "__mul__"),
    ("add", "mul", "accumulate", "order"),
    (ANY, ANY, ANY),
)
DEEP_CHAIN = Probe(
    f"a chain of {DEEP} additions (a + b + b + ...)",
    "",
    "deep",
    _deep,
    ("__add__",),
    ("add", "accumulate", "order"),
    (ANY, ANY),
)

# add and mul first: the order probes use only them, and the composite gates (sub, div) and the
# reflected ones lean on the order probes, since an engine may build them from several gates.
ALL = [SEED, *GATES[:2], *ACCUMULATE, *ORDER, *GATES[2:], *REFLECTED, TWICE, DEEP_CHAIN]


def leaf_names(probe: Probe) -> str:
    return "abcd"[: len(probe.ranges)]


def build(probe: Probe, V: Any, xs: list[float]) -> Nodes:
    """The probe's graph in class V with leaf values xs: name -> node."""
    return probe.build(V, _leafs(leaf_names(probe))(V, xs))
