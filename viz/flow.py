"""What every picture says about a graph, worked out once: what flows back along each wire
(local x upstream = downstream) and each node's name.

    flow = Flow(root)           one walk in backward's order from the seed d root/d root = 1
    flow.wire(gate, k)          Wire: local, upstream, down = local x upstream, step
    flow.arrived(node, step)    the wires that brought gradient to `node` by that step
    flow.grad[id(node)]         d root/d node, the sum of what arrived (backward's own sums)
    node_names(root)            every node's name, the same in every view of the graph

The frames, `explain`, the page and the network view all read these numbers; none multiplies
a local gradient by an upstream one itself. Names are given over the whole graph, so a gate
has the same name in every derivation, frame and panel (never add3 in one `explain` and add2
in the next).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, NamedTuple

import numpy as np
from gradtrace import topological_order


class Wire(NamedTuple):
    """One input wire of a gate and what flows back along it: local x upstream = down.

    `local` is d gate/d node (None for a Tensor gate, which keeps a vector-Jacobian product
    instead), `upstream` d root/d gate, `down` their product (None when either is unknown).
    `step` is the backward step that sends it: the gate's place in backward's order, from 1;
    the root's seed is a wire of its own, gate None at step 0."""

    gate: Any
    k: int
    node: Any
    local: Any
    upstream: Any
    down: Any
    step: int


class Flow:
    """What flows back along every wire of one graph, worked out in one walk: backward
    replayed from the seed d root/d root = 1 (ones for a Tensor root, or `seed`), adding up
    what each gate hands back in backward's order, never reading or touching `.grad`: a Value
    gate hands local x upstream, a Tensor gate its vector-Jacobian product's share
    (`_shares`, as the engine's backward loop does). The frames, `explain`, the page and a
    Tensor picture's inner gradients read it; a picture after backward reads each wire's
    `recorded_part` instead (backward may have run from a bigger root).

    The walk keeps numbers only (each gate's upstream and what it hands each input: 100,000
    nodes of a scalar MLP in 0.38 s on the shared 2-core machine); a `Wire` is made when asked
    for."""

    def __init__(
        self,
        root: Any,
        *,
        order: list[Any] | None = None,
        seed: Any = None,
    ) -> None:
        self.root = root
        self.order = order if order is not None else topological_order(root)  # root first
        self.gates = [n for n in self.order if n.parents]  # step i processes gates[i - 1]
        self.grad: dict[int, Any] = {}  # d root/d node
        self._at: dict[int, tuple[int, Any, list[Any]]] = {}  # gate: step, upstream, downs
        self._arrived: dict[int, list[Wire]] | None = None  # made when first asked for
        if hasattr(root, "_shares"):  # d root/d root: ones for a Tensor, or the `seed` given
            seed = np.ones_like(root.data) if seed is None else np.asarray(seed, root.data.dtype)
        self._seed = Wire(None, 0, root, None, None, 1.0 if seed is None else seed, 0)
        grad = self.grad
        grad[id(root)] = self._seed.down
        for step, gate in enumerate(self.gates, start=1):
            upstream = grad.get(id(gate))
            downs = _downs(gate, upstream)
            self._at[id(gate)] = (step, upstream, downs)
            for node, down in zip(gate.parents, downs, strict=True):
                if down is not None:  # each input's gradient adds up what its wires hand it
                    key = id(node)
                    grad[key] = down if key not in grad else grad[key] + down

    def wire(self, gate: Any, k: int) -> Wire:
        """The wire into `gate` at operand `k`."""
        step, upstream, downs = self._at[id(gate)]
        local = gate.local_grads[k] if getattr(gate, "local_grads", None) else None
        return Wire(gate, k, gate.parents[k], local, upstream, downs[k], step)

    def into(self, gate: Any) -> list[Wire]:
        """A gate's input wires in operand order."""
        return [self.wire(gate, k) for k in range(len(gate.parents))]

    def wires(self) -> list[Wire]:
        """Every wire, gate by gate in backward's order."""
        return [w for gate in self.gates for w in self.into(gate)]

    def arrived(self, node: Any, step: int | None = None) -> list[Wire]:
        """The wires that brought gradient to `node` (by backward step `step`), in order; the
        root's first is the seed."""
        if self._arrived is None:
            self._arrived = {}
            for w in [self._seed, *self.wires()]:
                if w.down is not None:
                    self._arrived.setdefault(id(w.node), []).append(w)
        got = self._arrived.get(id(node), [])
        return got if step is None else [w for w in got if w.step <= step]


def recorded_part(gate: Any, k: int) -> Any:
    """What came back along one wire after backward, without a walk: the gate's local
    gradient x its recorded `.grad` (None for a Tensor gate or a gradient not known)."""
    locals_ = getattr(gate, "local_grads", None)
    parts = _products(locals_[k : k + 1] if locals_ else None, gate.grad)
    return None if parts is None else parts[0]


def _downs(gate: Any, upstream: Any) -> list[Any]:
    """What `gate` hands each input (None where unknown or not needed): local x upstream for
    a Value gate, its VJP's shares for a Tensor gate."""
    n = len(gate.parents)
    locals_ = getattr(gate, "local_grads", None)
    if locals_:
        return _products(locals_, upstream) or [None] * n
    if upstream is None or not hasattr(gate, "_shares"):
        return [None] * n
    shares = list(gate._shares(upstream))  # (input, share) for each input that needs one
    downs = []
    for node in gate.parents:
        downs.append(shares.pop(0)[1] if shares and shares[0][0] is node else None)
    return downs


def _products(locals_: Any, upstream: Any) -> list[Any] | None:
    """Local x upstream for each of a Value gate's inputs: the one place the two multiply
    (None when either is unknown, or the upstream is an array)."""
    if not locals_ or upstream is None or hasattr(upstream, "shape"):
        return None
    return [local * upstream for local in locals_]


_SYMBOLS = {"+": "add", "*": "mul", "-": "sub", "/": "div", "@": "matmul", "**": "pow"}


def gate_of(node: Any) -> tuple[str, Any]:
    """The gate that made `node` as (name, folded number), read from its record: ("*", 1.5)
    for x * 1.5, ("+", None) for x + y, ("", None) for a leaf. A node without a record
    (another engine's, a traced PyTorch Tensor's) gives its op, the number it keeps in
    `settings` left off."""
    gate = getattr(node, "gate", None)
    if gate is not None:
        return gate.name, gate.constant(node)
    folded = getattr(node, "settings", None)
    if not isinstance(folded, (int, float)) or isinstance(folded, bool):
        return node.op, None
    return node.op.removesuffix(f"{folded:g}"), folded


def gate_formula(node: Any) -> str:
    """The local gradient of the gate that made `node` as the lecture writes it, from its
    record ("d/da = b, d/db = a" for mul); "" for a leaf or a node with no formula recorded."""
    gate = getattr(node, "gate", None)
    if gate is None or not node.parents:
        return ""
    return gate.formula or ""


def gate_word(node: Any) -> str:
    """A readable name for the gate that made `node`, from its gate record: "add", "mul",
    "neg" (a mul by the folded -1, the lecture's *-1 gate), "pow", "exp"; "leaf" for a leaf.
    A node without a record (another engine's, a traced PyTorch Tensor's) is named by its op:
    its symbol's word, else its letters, with the number it keeps in `settings` left off."""
    if not node.parents:
        return "leaf"
    gate = getattr(node, "gate", None)
    if gate is None:
        op = gate_of(node)[0]
        return _SYMBOLS.get(op) or re.sub(r"[^A-Za-z]+", "", op).lower() or "gate"
    if gate.word == "mul" and gate.constant(node) == -1:
        return "neg"
    return gate.word


def reading_order(root: Any) -> list[Any]:
    """Every node after its inputs, the first operand's inputs first: the order in which the
    expression reads (w0 * x0 before w1 * x1), which the engine's sort does not keep."""
    seen: set[int] = set()
    out: list[Any] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            out.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack += [(p, False) for p in reversed(node.parents) if id(p) not in seen]
    return out


def node_names(root: Any) -> dict[int, str]:
    """Every node's name (by id): its label (with #2, #3 when labels repeat), "f" for an
    unlabeled root, else its gate's word with an index when the word repeats (add1, add2),
    counted in reading order, so w0 * x0 is mul1 and w1 * x1 mul2."""
    forward = reading_order(root)
    labels = Counter(n.label for n in forward if n.label)
    taken = set(labels)
    names: dict[int, str] = {}
    repeat: Counter[str] = Counter()
    for n in forward:
        if n.label:
            repeat[n.label] += 1
            names[id(n)] = n.label if labels[n.label] == 1 else f"{n.label}#{repeat[n.label]}"
    if not root.label and "f" not in taken:
        names[id(root)] = "f"
    words = {id(n): gate_word(n) for n in forward if id(n) not in names}
    many = Counter(words.values())
    index: Counter[str] = Counter()
    taken |= set(names.values())
    for n in forward:
        if id(n) in words:
            word = words[id(n)]
            index[word] += 1
            name = f"{word}{index[word]}" if many[word] > 1 else word
            while name in taken:
                name += "'"
            taken.add(name)
            names[id(n)] = name
    return names
