"""The gate record: what every node keeps of the gate that made it, and the one registry.

A node made by a gate holds the gate object itself (`node.gate`) and, exactly, whatever the
gate keeps besides its parents (`node.settings`): a Value gate's folded number ("x * 1.5"
keeps 1.5), a Tensor gate's keyword settings (axes, index, window, ...). From that record
alone the gate can be re-run (`gate.rerun`, what `check_gates` nudges), drawn (`gate.op`,
the display text; no code reads numbers back from it) and explained (`gate.formula`, its
local gradient as the lecture writes it).

Three kinds of gate share this base: `ValueGate` (the built-in Value gates, value.py),
`ScalarGate` (a learner's own Value gate, custom_gates.py) and `TensorGate` (every Tensor
gate, tensor.py). `registry()` lists them all, built-in and a learner's own, both engines.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any


class Gate:
    """One gate: `name` (as drawn, without a folded number: "*", "max", "@"), `word` (its
    readable name: "mul"), `formula` (its local gradient as the lecture writes it; optional
    for a learner's gate), `engine` ("Value" or "Tensor"), `forward` and `builtin`."""

    engine = ""
    # Where a gate's recorded gradient is, on purpose, not its forward's derivative (PyTorch's
    # clamp in BCE): a function of the gate's inputs (floats or arrays, folded numbers
    # included) that is True there, and the reason check_gates gives instead of a finding.
    on_purpose: Any = None
    on_purpose_note = ""

    def __init__(
        self, name: str, formula: str = "", word: str = "", builtin: bool = False, key: str = ""
    ) -> None:
        self.name, self.formula = name, formula
        self.word = word or name
        self.key = key or self.word  # unique among an engine's built-in gates (for `find`)
        self.builtin = builtin
        if builtin:
            _BUILTIN.append(self)
        else:
            _LEARNERS.add(self)

    def op(self, node: Any) -> str:
        """The text a picture writes on `node`'s gate: the name, with a folded number."""
        return self.name

    def constant(self, node: Any) -> float | None:
        """The number folded into `node`'s gate ("x * 1.5": 1.5), or None."""
        return None

    def rerun(self, node: Any, inputs: Sequence[Any]) -> Any:
        """`node`'s output had its parents held `inputs` instead, settings kept exactly."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.engine} gate {self.name!r}>"


_BUILTIN: list[Gate] = []  # filled once, as the engine's modules load
_LEARNERS: weakref.WeakSet[Gate] = weakref.WeakSet()  # a learner's gates, while they live


def registry() -> tuple[Gate, ...]:
    """Every gate of both engines: the built-in ones, then a learner's own that still live."""
    return (*_BUILTIN, *sorted(_LEARNERS, key=lambda g: (g.engine, g.name)))


def find(engine: str, name: str) -> Gate:
    """The built-in gate of `engine` ("Value" or "Tensor") with the key `name` ("mul", "sum",
    "matmul"), else the first one drawn as `name` ("*", "+": the two-input add, "@")."""
    for field in ("key", "name"):
        for g in _BUILTIN:
            if g.engine == engine and getattr(g, field) == name:
                return g
    raise KeyError(f"no built-in {engine} gate is named {name!r}")


def show(node: Any) -> str:
    """A gate's forward, backward and formula side by side, as text (for a learner)."""
    import inspect

    gate = node if isinstance(node, Gate) else node.gate
    parts = [f"{gate.engine} gate {gate.word} ({gate.name}): {gate.formula or 'no formula'}"]
    for what in ("method", "forward", "vjp"):
        fn = getattr(gate, what, None)
        if what == "forward" and hasattr(gate, "method"):
            continue
        if fn is not None:
            try:
                parts.append(inspect.getsource(fn).rstrip())
            except (OSError, TypeError):
                parts.append(f"{what}: {fn!r}")
    return "\n\n".join(parts)
