"""The network view's boxes: which unit (box) every node of a big graph belongs to.

- With a model (anything with the Module API's `named_modules()` / `named_parameters()`), a
  unit is the module that owns parameters (a Neuron of a scalar MLP, a Linear layer), grouped
  by parent module (the Layer of a Neuron). The nodes computed from a unit's parameters, and
  activations right after them, join the unit; inputs form one unit, what is computed from
  the parameters of several modules alone (an L1/L2 penalty) another, and what follows the
  last module (the loss) a third, "output". Boxes are named by kind, index and size
  ("Linear 0 (64 → 128)") and listed in module order.
- Without a model, units are bands of depth (distance from the inputs).

Gates are told apart by their record (`viz.flow.gate_of`), never by their op text.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any

from .flow import gate_of
from .modules import modules_by_parameter, parent_module

# Gates recognised by the names the engine records (a test builds each one and checks): an
# activation right after a layer joins the layer's box; a reshape of a parameter (W.T) is
# still that parameter. leaky_relu is recorded as a "*" by a constant, so it is not here.
ACTIVATIONS = frozenset({"tanh", "relu", "sigmoid"})
RESHAPES = frozenset({"transpose", "reshape", "index"})
SUMS = frozenset({"+", "*c", "/c", "sum", "mean", "*"})  # what adds up a penalty's terms
MAX_BANDS = 24


class Unit:
    """A box of the network view: a name, a kind, its nodes and its parameters."""

    def __init__(
        self, key: str, name: str, kind: str, cluster: str | None = None, title: str = ""
    ) -> None:
        self.key = key
        self.name = name  # the module's dotted name, or the box's own ("output", "inputs")
        self.kind = kind
        self.cluster = cluster
        self.title = title or name  # what the box says in bold
        self.count = 0
        self.params: list[Any] = []
        self.ops: dict[str, int] = defaultdict(int)


# ---------------------------------------------------------------------------- grouping
def _sizes(module: Any) -> str:
    """A module's size as its box says it: "64 → 128", "1 → 6, 3×3", "2 inputs"."""
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{module.in_features} → {module.out_features}"
    if hasattr(module, "in_channels") and hasattr(module, "out_channels"):
        k = getattr(module, "kernel_size", None)
        kernel = f", {k[0]}×{k[1]}" if isinstance(k, tuple) and len(k) == 2 else ""
        return f"{module.in_channels} → {module.out_channels}{kernel}"
    if isinstance(getattr(module, "nin", None), int):
        return f"{module.nin} inputs"
    return ""


def _title(name: str, module: Any) -> str:
    """ "Linear 0 (64 → 128)": kind, the last part of the module's name, its sizes."""
    last = name.rsplit(".", 1)[-1] if name else ""
    text = f"{type(module).__name__} {last}".strip()
    size = _sizes(module)
    return f"{text} ({size})" if size else text


def _in_order(name: str) -> tuple:
    """Sort key for module names with numbers in order: layers.2 before layers.10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def group_by_model(order: list[Any], model: Any) -> tuple[dict[int, Unit], list[Unit]]:
    """Give every node a unit using the model's modules (see the module docstring)."""
    g = _Grouping(model)
    for node in order:
        g.place(node)
    g.place_rest(order)
    return g.of, sorted(g.units.values(), key=_unit_order)


class _Grouping:
    """The units of a model's graph as they are found, node by node (inputs first)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.owner, self.modules = modules_by_parameter(model)
        self.units: dict[str, Unit] = {}
        self.of: dict[int, Unit] = {}
        self.param_like: set[int] = set()
        # A penalty (L1, L2) sums terms that each use one parameter (w*w, |w|) over several
        # modules. `single`: node -> the one parameter it is computed from; `summed`: node ->
        # the modules whose per-parameter terms it adds up (through sums and scalings only).
        self.single: dict[int, int] = {}
        self.summed: dict[int, frozenset[str]] = {}

    def unit(
        self, key: str, name: str, kind: str, cluster: str | None = None, title: str = ""
    ) -> Unit:
        if key not in self.units:
            self.units[key] = Unit(key, name, kind, cluster, title)
        return self.units[key]

    def place(self, node: Any) -> None:
        """A parameter joins its module's box, an input the inputs' box, a gate its
        parameters' box, the penalty's, or the layer's box it activates (else: later)."""
        if id(node) in self.owner:
            mname = self.owner[id(node)]
            module = self.modules.get(mname, self.model)
            u = self.unit(
                "m:" + mname,
                mname or type(self.model).__name__,
                type(module).__name__,
                parent_module(mname, self.modules),
                _title(mname, module),
            )
            u.params.append(node)
            self.param_like.add(id(node))
            self.single[id(node)] = id(node)
        elif not node.parents:
            u = self.unit("inputs", "inputs", "leaves")
        elif self._penalty(node):
            u = self.unit("penalty", "penalty", "operations")
        else:
            u = self._gate_unit(node)
        if u is not None:
            self.of[id(node)] = u

    def _penalty(self, node: Any) -> bool:
        """Does this gate add up per-parameter terms of more than one module?"""
        single, summed = self.single, self.summed
        kept = [p for p in node.parents if p.parents or id(p) in self.owner]  # not constants
        if kept and all(single.get(id(p)) == single.get(id(kept[0]), -1) for p in kept):
            single[id(node)] = single[id(kept[0])]
        elif (
            kept
            and gate_kind(node) in SUMS
            and all(id(p) in single or id(p) in summed for p in kept)
        ):
            used = frozenset().union(
                *(summed.get(id(p)) or {self.owner.get(single.get(id(p)), "")} for p in kept)
            )
            summed[id(node)] = used
            return len(used) > 1
        return False

    def _gate_unit(self, node: Any) -> Unit | None:
        """The box of a gate computed from a module's parameters, or of the activation right
        after a layer; None for anything else (placed by `place_rest`)."""
        owned = [self.of[id(p)] for p in node.parents if id(p) in self.param_like]
        if owned:
            if len(node.parents) == 1 and gate_kind(node) in RESHAPES:
                self.param_like.add(id(node))  # weight.T is still "the weight"
            return owned[0]
        before = self.of.get(id(node.parents[0]))
        if (
            len(node.parents) == 1
            and gate_kind(node) in ACTIVATIONS
            and before is not None
            and before.key.startswith("m:")
        ):
            return before
        return None

    def place_rest(self, order: list[Any]) -> None:
        """What is left (the loss, glue between modules) goes to connected groups of its own;
        the one holding the root is "output"."""
        rest = [n for n in order if id(n) not in self.of]
        link = {id(n): id(n) for n in rest}

        def find(i: int) -> int:
            while link[i] != i:
                link[i] = link[link[i]]
                i = link[i]
            return i

        for n in rest:
            for p in n.parents:
                if id(p) in link:
                    link[find(id(p))] = find(id(n))
        names: dict[int, Unit] = {}
        root = order[-1]  # `order` lists parents first, so the root comes last
        if id(root) in link:
            names[find(id(root))] = self.unit("ops:0", "output", "operations")
        for n in rest:
            r = find(id(n))
            if r not in names:
                k = len(names) if id(root) in link else len(names) + 1
                names[r] = self.unit(f"ops:{k}", f"ops {k}", "operations")
            self.of[id(n)] = names[r]


def _unit_order(u: Unit) -> tuple:
    """Inputs, then the modules in index order, the rest, the penalty, the output."""
    group = 1 if u.key.startswith("m:") else {"inputs": 0, "penalty": 2, "ops:0": 4}.get(u.key, 3)
    return (group, _in_order(u.name))


def gate_kind(node: Any) -> str:
    """A gate's kind as the view counts it, from its record: its name, with "c" when it
    folds a number in (x * 1.74 is "*c"); "" for a leaf."""
    name, folded = gate_of(node)
    return name + "c" if folded is not None else name


def group_by_depth(order: list[Any]) -> tuple[dict[int, Unit], list[Unit]]:
    """Give every node a band of depth (longest distance from a leaf)."""
    depth: dict[int, int] = {}
    for node in order:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.parents), default=-1)
    deepest = max(depth.values(), default=0)
    width = max(1, math.ceil((deepest + 1) / MAX_BANDS))
    units: dict[int, Unit] = {}
    of: dict[int, Unit] = {}
    for node in order:
        band = depth[id(node)] // width
        if band not in units:
            lo, hi = band * width, min(band * width + width - 1, deepest)
            name = f"depth {lo}" if lo == hi else f"depth {lo}–{hi}"
            units[band] = Unit(f"d:{band}", name, "band")
        of[id(node)] = units[band]
    return of, [units[b] for b in sorted(units)]
